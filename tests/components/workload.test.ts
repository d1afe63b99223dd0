import * as path from "path";
import { readStudyConfig } from "../../config/study";
import { WorkloadSettings } from "../../lib/settings";
import { runMocked } from "../harness";

const defaults = readStudyConfig(() => undefined, path.resolve(__dirname, "../.."), "dev").cases[0];

function runDemoSite(overrides: Partial<WorkloadSettings> = {}) {
  return runMocked(
    {},
    () => {
      const k8s = require("@pulumi/kubernetes");
      const command = require("@pulumi/command");
      const { DemoSite } = require("../../components/workload");
      const provider = new k8s.Provider("k8s", { kubeconfig: "fake" });
      const mesh = new command.local.Command("mesh-ready", { create: "sleep 0" });
      const site = new DemoSite("demo-site", { settings: { ...defaults, ...overrides }, provider, meshReady: [mesh] });
      return { namespace: site.namespace, deploymentName: site.deploymentName, serviceName: site.serviceName };
    },
    { slowTypes: ["command:local:Command"] },
  );
}

describe("DemoSite", () => {
  test("injection=true labels the namespace istio-injection=enabled", async () => {
    const run = await runDemoSite({ injection: true });
    expect(run.one("kubernetes:core/v1:Namespace").inputs.metadata).toEqual({
      name: "demo-site",
      labels: { "istio-injection": "enabled" },
    });
  });

  test("mesh=ambient enrolls the namespace with istio.io/dataplane-mode=ambient instead", async () => {
    const run = await runDemoSite({ injection: false, mesh: "ambient" });
    expect(run.one("kubernetes:core/v1:Namespace").inputs.metadata.labels).toEqual({ "istio.io/dataplane-mode": "ambient" });
  });

  test("injection=false leaves no injection label", async () => {
    const run = await runDemoSite({ injection: false });
    expect(run.one("kubernetes:core/v1:Namespace").inputs.metadata.labels).toEqual({});
  });

  test("deploys the manifest's Deployment and NodePort Service in the namespace, after the mesh and the label", async () => {
    const run = await runDemoSite({ replicas: 4, namespace: "lab" });
    const namespace = run.one("kubernetes:core/v1:Namespace");
    const deployment = run.one("kubernetes:apps/v1:Deployment");
    const service = run.one("kubernetes:core/v1:Service");
    expect(deployment.inputs.metadata).toMatchObject({ name: "demo-site", namespace: "lab" });
    expect(deployment.inputs.spec.replicas).toBe(4);
    expect(service.inputs.metadata).toMatchObject({ name: "demo-site", namespace: "lab" });
    expect(service.inputs.spec.type).toBe("NodePort");
    const mesh = run.one("command:local:Command", "mesh-ready");
    expect(namespace.order).toBeGreaterThan(mesh.order);
    expect(deployment.order).toBeGreaterThan(namespace.order);
    expect(service.order).toBeGreaterThan(namespace.order);
    expect(run.outputs).toEqual({ namespace: "lab", deploymentName: "demo-site", serviceName: "demo-site" });
  });

  test("the provider awaits neither the Deployment's rollout nor the Service's endpoints: the test does, and fails the case alone (pulumi.com/skipAwait)", async () => {
    const run = await runDemoSite();
    expect(run.one("kubernetes:apps/v1:Deployment").inputs.metadata.annotations).toEqual({ "pulumi.com/skipAwait": "true" });
    expect(run.one("kubernetes:core/v1:Service").inputs.metadata.annotations).toEqual({ "pulumi.com/skipAwait": "true" });
    // The namespace is still awaited: nothing of a case is created before it.
    expect(run.one("kubernetes:core/v1:Namespace").inputs.metadata.annotations).toBeUndefined();
  });

  test("every Kubernetes resource goes through the given provider", async () => {
    const run = await runDemoSite();
    const kube = run.resources.filter((r) => r.type.startsWith("kubernetes:"));
    expect(kube).toHaveLength(3);
    for (const resource of kube) expect(resource.provider).toContain("::k8s::");
  });

  test.each([
    ["hook", { preStop: { sleep: { seconds: 10 } } }],
    ["nohook", undefined],
  ] as const)("variant %s shapes the app container's preStop", async (variant, lifecycle) => {
    const run = await runDemoSite({ variant });
    const pod = run.one("kubernetes:apps/v1:Deployment").inputs.spec.template.spec;
    expect(pod.containers[0].lifecycle).toEqual(lifecycle);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30);
  });

  test.each([
    ["classic", "false"],
    ["native", "true"],
  ] as const)("sidecarMode %s is explicit on the pods", async (sidecarMode, value) => {
    const run = await runDemoSite({ sidecarMode });
    const annotations = run.one("kubernetes:apps/v1:Deployment").inputs.spec.template.metadata.annotations;
    expect(annotations["sidecar.istio.io/nativeSidecar"]).toBe(value);
  });
});
