// The whole program, index.ts, under Pulumi's mocks: what it registers, in what order, and what a flip changes.
import { defaultProfile } from "../../lib/minikubeProfile";
import { builtGeneration, MockRun, runStudy, runStudyOnce } from "../harness";

/** Inputs of every resource in the cluster and mesh layers, by name: what a flip must leave alone. */
function clusterAndMesh(run: MockRun): Record<string, unknown> {
  return Object.fromEntries(
    run.resources.filter((r) => r.name.startsWith("cluster") || r.name.startsWith("istio")).map((r) => [r.name, r.inputs]),
  );
}

describe("the study program", () => {
  test("registers cluster, provider, Istio, namespace, Deployment and Service, and exports the setting", async () => {
    const run = await runStudy({ injection: "true" });
    const named = run.resources.filter((r) => !r.type.startsWith("istio-exit-study:")).map((r) => `${r.type} ${r.name}`);
    expect(named.sort()).toEqual(
      [
        "command:local:Command cluster-contents",
        "command:local:Command cluster-kubeconfig",
        `command:local:Command cluster-minikube-${builtGeneration}`,
        "command:local:Command cluster-owner",
        "command:local:Command rollout-test",
        "command:local:Command verdict-check",
        "kubernetes:apps/v1:Deployment demo-site-deployment",
        "kubernetes:core/v1:Namespace demo-site-namespace",
        "kubernetes:core/v1:Namespace istio-namespace",
        "kubernetes:core/v1:Service demo-site-service",
        "kubernetes:helm.sh/v3:Release istio-base",
        "kubernetes:helm.sh/v3:Release istio-istiod",
        "pulumi:providers:kubernetes cluster-k8s",
      ].sort(),
    );
    expect(run.outputs).toMatchObject({
      kubeContext: defaultProfile("dev"),
      namespace: "demo-site",
      injection: true,
      variant: "hook",
      sidecarMode: "classic",
      istioVersion: "1.31.1",
    });
  });

  test("every Kubernetes resource uses the cluster's explicit provider", async () => {
    const run = await runStudy();
    const kube = run.resources.filter((r) => r.type.startsWith("kubernetes:"));
    expect(kube.length).toBeGreaterThan(0);
    for (const resource of kube) expect(resource.provider).toMatch(/::cluster-k8s::/);
  });

  test.each([["helm"], ["istioctl"]])(
    "the cluster's contents guard comes after everything the study puts in the cluster (Istio by %s), so that a destroy deletes it first",
    async (installer) => {
      const slow = ["kubernetes:helm.sh/v3:Release", "kubernetes:core/v1:Namespace", "kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Service"];
      const run = await runStudy({ injection: "true", istioInstaller: installer, loadFrom: "cluster" }, { slowTypes: [...slow, "command:local:Command"] });
      const guard = run.one("command:local:Command", "cluster-contents");
      const inCluster = run.resources.filter((r) => r.type.startsWith("kubernetes:") || r.name === "istio-istioctl");
      expect(inCluster.map((r) => r.name)).toEqual(expect.arrayContaining(["demo-site-namespace", "load-namespace", installer === "helm" ? "istio-istiod" : "istio-istioctl"]));
      for (const resource of inCluster) expect([resource.name, guard.order > resource.order]).toEqual([resource.name, true]);
      expect(guard.inputs).toMatchObject({ delete: "bash scripts/minikube-cluster.sh vacate", environment: { PROFILE: expect.any(String), CLUSTER_GENERATION: builtGeneration } });
      expect(guard.inputs.create).toBeUndefined();
    },
  );

  test("the workload is deployed only after istiod is ready", async () => {
    const run = await runStudy({ injection: "true" }, { slowTypes: ["kubernetes:helm.sh/v3:Release"] });
    const istiod = run.one("kubernetes:helm.sh/v3:Release", "istiod");
    expect(run.one("kubernetes:core/v1:Namespace", "demo-site-namespace").order).toBeGreaterThan(istiod.order);
    expect(run.one("kubernetes:apps/v1:Deployment").order).toBeGreaterThan(istiod.order);
  });

  test("istioInstaller=istioctl replaces the Helm releases by the istioctl command", async () => {
    const run = await runStudy({ istioInstaller: "istioctl" });
    expect(run.all("kubernetes:helm.sh/v3:Release")).toEqual([]);
    expect(run.one("command:local:Command", "istio-istioctl").inputs.environment.KUBE_CONTEXT).toBe(defaultProfile("dev"));
  });

  test.each([
    ["injection", "false", "true"],
    ["variant", "hook", "nohook"],
    ["sidecarMode", "classic", "native"],
    ["proxyDrainSeconds", "0", "30"],
    ["exitOnZeroActiveConnections", "false", "true"],
    ["proxyPreStopSeconds", "0", "15"],
  ])("flipping %s changes the workload but not one input of the cluster or of Istio", async (key, from, to) => {
    // The sidecar's switches act on an injected classic sidecar only.
    const base: Record<string, string> = key === "injection" || key === "sidecarMode" ? {} : { injection: "true" };
    const before = await runStudyOnce({ ...base, [key]: from });
    const after = await runStudyOnce({ ...base, [key]: to });
    expect(clusterAndMesh(after)).toEqual(clusterAndMesh(before));
    expect(Object.keys(clusterAndMesh(before)).length).toBeGreaterThanOrEqual(6);
    const workload = (run: MockRun) => run.resources.filter((r) => r.name.startsWith("demo-site-")).map((r) => r.inputs);
    expect(workload(after)).not.toEqual(workload(before));
  });

  test.each([
    ["kubernetesVersion", "v1.34.2"],
    ["cpus", "6"],
    ["istioVersion", "1.30.2"],
    ["istioInstaller", "istioctl"],
    ["mesh", "ambient"],
  ])("a rebuilt cluster or another Istio (%s) measures again", async (key, value) => {
    const trigger = async (config: Record<string, string>) =>
      (await runStudyOnce(config)).one("command:local:Command", "rollout-test").inputs.triggers[0];
    expect(await trigger({ [key]: value })).not.toEqual(await trigger({}));
  });

  test("flipping injection rolls the pods: the Deployment's pod template changes", async () => {
    const template = async (injection: string) =>
      (await runStudyOnce({ injection })).one("kubernetes:apps/v1:Deployment").inputs.spec.template;
    expect(await template("true")).not.toEqual(await template("false"));
  });

  test.each([
    ["injection", "maybe"],
    ["variant", "sometimes"],
    ["replicas", "0"],
    ["preStopSeconds", "-1"],
    ["profile", "a b"],
    ["namespace", "x;$(rm -rf /)"],
    ["manifest", "/nonexistent.yaml"],
  ])("a bad %s (%j) stops the program before any resource is registered", async (key, value) => {
    const registered: string[] = [];
    const recordEach = { state: (r: { name: string }) => (registered.push(r.name), undefined) };
    await expect(runStudy({ [key]: value }, recordEach)).rejects.toThrow(`config ${key}=${JSON.stringify(value)} is invalid`);
    expect(registered).toEqual([]);
  });
});
