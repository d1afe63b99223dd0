// The whole program under Pulumi's mocks, on an existing cluster (kubeContext).
import { defaultProfile } from "../../lib/minikubeProfile";
import { runStudy } from "../harness";
import { withFakeIstio } from "../support/fakeIstio";

describe("an existing cluster (kubeContext)", () => {
  test("creates no minikube: the provider uses the context, and the test runs in the cluster by default", async () => {
    const run = await withFakeIstio("none", () => runStudy({ kubeContext: "kind-lab" }));
    expect(run.all("command:local:Command").map((c) => c.name).sort()).toEqual(["cluster-identity", "cluster-identity-check", "rollout-test", "verdict-check"]);
    expect(run.one("pulumi:providers:kubernetes").inputs).toMatchObject({ context: "kind-lab", clusterIdentifier: "context/kind-lab" });
    for (const r of run.resources.filter((r) => r.type.startsWith("kubernetes:"))) expect(r.provider).toMatch(/::cluster-k8s::/);
    const test = run.one("command:local:Command", "rollout-test");
    expect(test.inputs.environment).toMatchObject({ KUBE_CONTEXT: "kind-lab", PROFILE: "", LOAD_FROM: "cluster", LOAD_NAMESPACE: "demo-site-load" });
    expect(run.outputs.kubeContext).toBe("kind-lab");
  });

  test.each([["none"], ["study helm"]])(
    "the cluster is recorded before the study touches it, and checked after everything it put there, so that a destroy checks it first (Istio found: %s)",
    async (found) => {
      const slow = ["kubernetes:helm.sh/v3:Release", "kubernetes:core/v1:Namespace", "kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Service"];
      const run = await withFakeIstio(found, () =>
        runStudy({ kubeContext: "kind-lab", injection: "true" }, { slowTypes: [...slow, "command:local:Command"] }),
      );
      const record = run.one("command:local:Command", "cluster-identity");
      const check = run.one("command:local:Command", "cluster-identity-check");
      const inCluster = run.resources.filter((r) => r.type.startsWith("kubernetes:"));
      expect(inCluster.map((r) => r.name)).toEqual(expect.arrayContaining(["demo-site-namespace", "load-namespace", "istio-namespace", "istio-istiod"]));
      for (const resource of inCluster) expect([resource.name, record.order < resource.order, check.order > resource.order]).toEqual([resource.name, true, true]);
      expect(run.one("pulumi:providers:kubernetes").order).toBeGreaterThan(record.order);
      expect(record.inputs).toMatchObject({
        create: "bash scripts/existing-cluster.sh record",
        update: "bash scripts/existing-cluster.sh update",
        environment: { KUBE_CONTEXT: "kind-lab", KUBE_SYSTEM_UID: expect.any(String) },
        triggers: ["kind-lab"],
        addPreviousOutputInEnv: true,
      });
      expect(check.inputs).toMatchObject({ delete: "bash scripts/existing-cluster.sh check", environment: { KUBE_CONTEXT: "kind-lab" } });
      expect(check.inputs.create).toBeUndefined();
    },
  );

  test("the load namespace is the study's own and exists before the first test", async () => {
    const run = await withFakeIstio("none", () =>
      runStudy({ kubeContext: "kind-lab" }, { slowTypes: ["kubernetes:core/v1:Namespace"] }),
    );
    const load = run.one("kubernetes:core/v1:Namespace", "load-namespace");
    expect(load.inputs.metadata).toEqual({ name: "demo-site-load", labels: { "istio-injection": "disabled" } });
    expect(run.one("command:local:Command", "rollout-test").order).toBeGreaterThan(load.order);
  });

  test("the load Job reaches the Service by its cluster IP, with no DNS needed", async () => {
    const run = await withFakeIstio("none", () => runStudy({ kubeContext: "kind-lab" }));
    const job = JSON.parse(run.one("command:local:Command", "rollout-test").inputs.environment.LOAD_JOB);
    const env = Object.fromEntries(job.spec.template.spec.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env.TARGET_URL).toBe("http://10.0.0.10:80/");
  });

  test("loadFrom=host on an existing cluster keeps siege on this machine, through a node's address", async () => {
    const run = await withFakeIstio("none", () => runStudy({ kubeContext: "kind-lab", loadFrom: "host" }));
    expect(run.one("command:local:Command", "rollout-test").inputs.environment).toMatchObject({ LOAD_FROM: "host", PROFILE: "" });
    expect(run.all("kubernetes:core/v1:Namespace").map((n) => n.inputs.metadata.name)).not.toContain("demo-site-load");
  });

  test("installs Istio, labelled as the study's, where there is none or the study's own", async () => {
    for (const found of ["none", "study helm"]) {
      const run = await withFakeIstio(found, () => runStudy({ kubeContext: "kind-lab" }));
      expect(run.all("kubernetes:helm.sh/v3:Release").map((r) => r.inputs.name).sort()).toEqual(["istio-base", "istiod"]);
      expect(run.one("kubernetes:core/v1:Namespace", "istio-namespace").inputs.metadata.labels).toEqual({
        "istio-exit-study/installed-by": "istio-exit-study",
        "istio-exit-study/installer": "helm",
      });
    }
  });

  test("uses someone else's Istio of the configured version as it is, and never manages it", async () => {
    const run = await withFakeIstio("other docker.io/istio/pilot:1.31.1", () => runStudy({ kubeContext: "kind-lab", injection: "true" }));
    expect(run.resources.filter((r) => r.name.startsWith("istio"))).toEqual([]);
    expect(run.outputs.istioVersion).toBe("1.31.1 (found installed)");
    expect(run.one("kubernetes:core/v1:Namespace", "demo-site-namespace").inputs.metadata.labels).toEqual({ "istio-injection": "enabled" });
  });

  test("stops before creating anything when someone else's Istio is of another version", async () => {
    const registered: string[] = [];
    await expect(
      withFakeIstio("other docker.io/istio/pilot:1.30.2", () =>
        runStudy({ kubeContext: "kind-lab" }, { state: (r) => (registered.push(r.name), undefined) }),
      ),
    ).rejects.toThrow("context kind-lab already runs Istio 1.30.2, not installed by this study, and config istioVersion is 1.31.1");
    expect(registered).toEqual([]);
  });

  test("reuses someone else's ambient Istio for ambient cases, and refuses one without ztunnel", async () => {
    const ambient = await withFakeIstio("other docker.io/istio/pilot:1.31.1 ambient", () =>
      runStudy({ kubeContext: "kind-lab", cases: "ambient-hook" }),
    );
    expect(ambient.all("kubernetes:helm.sh/v3:Release")).toEqual([]);
    await expect(
      withFakeIstio("other docker.io/istio/pilot:1.31.1", () => runStudy({ kubeContext: "kind-lab", cases: "ambient-hook" })),
    ).rejects.toThrow("without ztunnel");
  });

  test("does not look for Istio when no case needs it", async () => {
    const run = await withFakeIstio("other docker.io/istio/pilot:1.2.3", () => runStudy({ kubeContext: "kind-lab", mesh: "none" }));
    expect(run.outputs.istioVersion).toBe("none");
  });

  test("minikube is the default, and loads from the host", async () => {
    const run = await runStudy();
    expect(run.one("command:local:Command", "rollout-test").inputs.environment).toMatchObject({ LOAD_FROM: "host", PROFILE: defaultProfile("dev") });
    expect(run.one("pulumi:providers:kubernetes").inputs.context).toBeUndefined();
  });
});
