import * as fs from "fs";
import * as path from "path";
import {
  injectionAnnotation,
  parseWorkloadManifest,
  PodShutdownSettings,
  proxyConfigAnnotation,
  renderDeployment,
  renderService,
  terminationGracePeriodSeconds,
} from "../../lib/manifest";

const demoSite = parseWorkloadManifest(
  fs.readFileSync(path.resolve(__dirname, "../../manifests/demo-site.yaml"), "utf8"),
);
const hook: PodShutdownSettings = {
  variant: "hook",
  preStopSeconds: 10,
  injection: true,
  sidecarMode: "classic",
  mesh: "sidecar",
  proxyDrainSeconds: 0,
  exitOnZeroActiveConnections: false,
  proxyPreStopSeconds: 0,
};
const nohook: PodShutdownSettings = { ...hook, variant: "nohook" };

describe("renderDeployment", () => {
  test("hook: every app container sleeps preStopSeconds before SIGTERM, with the grace period above it", () => {
    const deployment = renderDeployment(demoSite, "lab", 3, hook);
    const pod = deployment.spec.template.spec;
    expect(pod.containers[0].lifecycle).toEqual({ preStop: { sleep: { seconds: 10 } } });
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(10);
    expect(deployment.metadata.namespace).toBe("lab");
    expect(deployment.spec.replicas).toBe(3);
  });

  test("nohook: no preStop hook at all, as the seed's demo-site-nohook.yaml", () => {
    const pod = renderDeployment(demoSite, "lab", 3, nohook).spec.template.spec;
    expect(pod.containers[0].lifecycle).toBeUndefined();
    expect(pod.terminationGracePeriodSeconds).toBe(30);
  });

  test("nohook removes a preStop the user's manifest declares but keeps its other hooks", () => {
    const manifest = structuredClone(demoSite);
    manifest.deployment.spec.template.spec.containers[0].lifecycle = {
      preStop: { exec: { command: ["sleep", "5"] } },
      postStart: { exec: { command: ["true"] } },
    };
    const pod = renderDeployment(manifest, "lab", 1, nohook).spec.template.spec;
    expect(pod.containers[0].lifecycle).toEqual({ postStart: { exec: { command: ["true"] } } });
  });

  test.each([
    ["classic", "false"],
    ["native", "true"],
  ] as const)("sidecarMode %s sets sidecar.istio.io/nativeSidecar=%s on the pods", (sidecarMode, value) => {
    const deployment = renderDeployment(demoSite, "lab", 3, { ...hook, sidecarMode });
    expect(deployment.spec.template.metadata.annotations["sidecar.istio.io/nativeSidecar"]).toBe(value);
  });

  test("the pod template records the injection setting, so that a flip rolls the pods", () => {
    const on = renderDeployment(demoSite, "lab", 3, hook).spec.template;
    const off = renderDeployment(demoSite, "lab", 3, { ...hook, injection: false }).spec.template;
    expect(on.metadata.annotations[injectionAnnotation]).toBe("true");
    expect(off.metadata.annotations[injectionAnnotation]).toBe("false");
    expect(on).not.toEqual(off);
    expect(on.metadata.labels).toEqual({ app: "demo-site" });
  });

  test("leaves the parsed manifest untouched", () => {
    const before = structuredClone(demoSite);
    renderDeployment(demoSite, "lab", 7, hook);
    renderService(demoSite, "lab");
    expect(demoSite).toEqual(before);
  });
});

describe("terminationGracePeriodSeconds", () => {
  test("outlasts the preStop sleep and Istio's default drain", () => {
    expect(terminationGracePeriodSeconds({ ...hook, preStopSeconds: 60 })).toBeGreaterThanOrEqual(60 + 5);
  });
  test("adds the sidecar's drain to the preStop sleep: the drain follows the sleep, it does not overlap it", () => {
    expect(terminationGracePeriodSeconds({ ...hook, preStopSeconds: 100, proxyDrainSeconds: 100 })).toBeGreaterThanOrEqual(200);
  });

  test("leaves 15 s above the preStop sleep and the drain that follows it", () => {
    expect(terminationGracePeriodSeconds({ ...hook, preStopSeconds: 60 })).toBe(60 + 5 + 15);
    expect(terminationGracePeriodSeconds({ ...hook, preStopSeconds: 100, proxyDrainSeconds: 100 })).toBe(100 + 100 + 15);
    expect(terminationGracePeriodSeconds({ ...hook, preStopSeconds: 10, proxyPreStopSeconds: 40 })).toBe(40 + 5 + 15);
  });

  test("keeps a longer grace period the manifest declares", () => {
    expect(terminationGracePeriodSeconds(hook, 120)).toBe(120);
  });

  test("raises a grace period the manifest declares shorter than the shutdown needs, in the Deployment too", () => {
    expect(terminationGracePeriodSeconds({ ...hook, preStopSeconds: 60 }, 10)).toBe(60 + 5 + 15);
    const manifest = structuredClone(demoSite);
    manifest.deployment.spec.template.spec.terminationGracePeriodSeconds = 10;
    expect(renderDeployment(manifest, "lab", 1, { ...hook, preStopSeconds: 60 }).spec.template.spec.terminationGracePeriodSeconds).toBe(80);
  });
  test("is Kubernetes' default 30 s when nothing needs more", () => {
    expect(terminationGracePeriodSeconds(nohook)).toBe(30);
  });
});

test("renderService places the Service in the namespace and keeps its type and ports", () => {
  const service = renderService(demoSite, "lab");
  expect(service.metadata).toMatchObject({ name: "demo-site", namespace: "lab" });
  expect(service.spec.type).toBe("NodePort");
  expect(service.spec.ports[0]).toMatchObject({ port: 80, targetPort: "http" });
});

describe("a preStop sleep on the proxy (proxyPreStopSeconds)", () => {
  test("declares a container istio-proxy with the sleep, for the injector to merge; the app's hook stays its own", () => {
    const pod = renderDeployment(demoSite, "lab", 3, { ...hook, proxyPreStopSeconds: 15 }).spec.template.spec;
    expect(pod.containers.map((c: any) => [c.name, c.lifecycle?.preStop])).toEqual([
      ["nginx", { sleep: { seconds: 10 } }],
      ["istio-proxy", { sleep: { seconds: 15 } }],
    ]);
    expect(pod.containers[1].image).toBe("auto");
    // The proxy's drain starts after its sleep: the grace period outlasts both.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(15 + 5);
  });

  test("a proxy sleep longer than the app's, and than Kubernetes' default grace period, is outlasted too", () => {
    const pod = renderDeployment(demoSite, "lab", 3, { ...hook, proxyPreStopSeconds: 60 }).spec.template.spec;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(60 + 5);
  });

  test("0: no such container", () => {
    expect(renderDeployment(demoSite, "lab", 3, hook).spec.template.spec.containers.map((c: any) => c.name)).toEqual(["nginx"]);
  });

  test.each([
    ["no mesh", { mesh: "none", injection: false }, "mesh=none, injection=false, sidecarMode=classic"],
    ["ambient", { mesh: "ambient", injection: false }, "mesh=ambient, injection=false, sidecarMode=classic"],
    ["a sidecar mesh without injection", { injection: false }, "mesh=sidecar, injection=false, sidecarMode=classic"],
    ["a native sidecar", { sidecarMode: "native" }, "mesh=sidecar, injection=true, sidecarMode=native"],
  ] as const)("never for pods without a classic sidecar (%s), where it would keep them from starting", (_what, change, pods) => {
    expect(() => renderDeployment(demoSite, "lab", 3, { ...hook, ...change, proxyPreStopSeconds: 15 })).toThrow(
      `proxyPreStopSeconds=15 needs a classic sidecar (mesh=sidecar, injection=true, sidecarMode=classic), and these pods have ${pods}: leave it at 0`,
    );
  });
});

describe("the sidecar's drain switches (proxy.istio.io/config)", () => {
  test("none set: no annotation, Istio's defaults as in the seed", () => {
    expect(proxyConfigAnnotation(hook)).toBeUndefined();
    expect(renderDeployment(demoSite, "lab", 3, hook).spec.template.metadata.annotations).not.toHaveProperty("proxy.istio.io/config");
  });

  test("proxyDrainSeconds sets terminationDrainDuration, and the grace period outlasts preStop and drain", () => {
    const settings = { ...hook, proxyDrainSeconds: 40 };
    const deployment = renderDeployment(demoSite, "lab", 3, settings);
    expect(JSON.parse(deployment.spec.template.metadata.annotations["proxy.istio.io/config"])).toEqual({
      terminationDrainDuration: "40s",
    });
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(10 + 40);
  });

  test("exitOnZeroActiveConnections waits at least the preStop sleep before exiting", () => {
    const annotation = proxyConfigAnnotation({ ...hook, preStopSeconds: 25, exitOnZeroActiveConnections: true });
    expect(JSON.parse(annotation!)).toEqual({
      proxyMetadata: { EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "true", MINIMUM_DRAIN_DURATION: "25s" },
    });
  });

  test("exitOnZeroActiveConnections without a hook keeps Istio's 5 s minimum drain", () => {
    const annotation = proxyConfigAnnotation({ ...hook, variant: "nohook", exitOnZeroActiveConnections: true });
    expect(JSON.parse(annotation!).proxyMetadata.MINIMUM_DRAIN_DURATION).toBe("5s");
  });

  test("the pod template records the mesh, so that switching it rolls the pods", () => {
    const ambient = renderDeployment(demoSite, "lab", 3, { ...hook, injection: false, mesh: "ambient" });
    expect(ambient.spec.template.metadata.annotations["istio-exit-study/mesh"]).toBe("ambient");
  });
});
