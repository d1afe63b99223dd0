import * as fs from "fs";
import * as path from "path";
import {
  injectionAnnotation,
  parseWorkloadManifest,
  PodShutdownSettings,
  renderDeployment,
  renderService,
  terminationGracePeriodSeconds,
} from "../../lib/manifest";

const demoSite = parseWorkloadManifest(
  fs.readFileSync(path.resolve(__dirname, "../../manifests/demo-site.yaml"), "utf8"),
);
const hook: PodShutdownSettings = { variant: "hook", preStopSeconds: 10, injection: true, sidecarMode: "classic" };
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
  test("keeps a longer grace period the manifest declares", () => {
    expect(terminationGracePeriodSeconds(hook, 120)).toBe(120);
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
