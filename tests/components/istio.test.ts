import { IstioSettings } from "../../lib/settings";
import { runMocked } from "../harness";

const helm: IstioSettings = { version: "1.31.1", chartRepo: "https://blob.istio.io/istio-release/charts", installer: "helm", mesh: "sidecar", platform: "minikube" };

function runIstio(settings: IstioSettings) {
  return runMocked(
    {},
    () => {
      const k8s = require("@pulumi/kubernetes");
      const command = require("@pulumi/command");
      const { Istio } = require("../../components/istio");
      const provider = new k8s.Provider("k8s", { kubeconfig: "fake" });
      const clusterReady = new command.local.Command("cluster-ready", { create: "true" });
      const istio = new Istio("istio", {
        settings,
        stack: "organization/istio-exit-study/dev",
        kubeContext: "istio-exit-study",
        provider,
        lifetime: {},
        clusterReady,
        clusterIdentity: "minikube/istio-exit-study/v1.35.1/docker/4cpu/8192MiB",
      });
      return { version: istio.version };
    },
    { slowTypes: ["kubernetes:helm.sh/v3:Release"] },
  );
}

describe("Istio with Helm", () => {
  test("installs base then istiod, at the configured version from the configured repository", async () => {
    const run = await runIstio(helm);
    const base = run.one("kubernetes:helm.sh/v3:Release", "-base");
    const istiod = run.one("kubernetes:helm.sh/v3:Release", "-istiod");
    for (const [release, chart, name] of [
      [base, "base", "istio-base"],
      [istiod, "istiod", "istiod"],
    ] as const) {
      expect(release.inputs).toMatchObject({
        chart,
        name,
        version: "1.31.1",
        namespace: "istio-system",
        repositoryOpts: { repo: "https://blob.istio.io/istio-release/charts" },
      });
      expect(release.provider).toContain("::k8s::");
    }
    expect(base.inputs.values).toEqual({ defaultRevision: "default" });
    expect(istiod.order).toBeGreaterThan(base.order);
    expect(base.order).toBeGreaterThan(run.one("kubernetes:core/v1:Namespace").order);
    expect(run.outputs.version).toBe("1.31.1");
    expect(run.all("command:local:Command").map((c) => c.name)).toEqual(["cluster-ready"]);
  });

  test("labels istio-system as the lab's, installed by helm, and names the stack that installed it", async () => {
    const namespace = (await runIstio(helm)).one("kubernetes:core/v1:Namespace");
    expect(namespace.inputs.metadata).toEqual({
      name: "istio-system",
      labels: { "istio-exit-study/installed-by": "istio-exit-study", "istio-exit-study/installer": "helm" },
      annotations: { "istio-exit-study/stack": "organization/istio-exit-study/dev" },
    });
  });

  test("takes another version and repository from config", async () => {
    const run = await runIstio({ ...helm, version: "1.30.2", chartRepo: "https://charts.example.com/istio" });
    for (const release of run.all("kubernetes:helm.sh/v3:Release")) {
      expect(release.inputs.version).toBe("1.30.2");
      expect(release.inputs.repositoryOpts).toEqual({ repo: "https://charts.example.com/istio" });
    }
  });

  test("takes charts from a local folder by their own folders, with no repository", async () => {
    const run = await runIstio({ ...helm, chartRepo: "/srv/istio-charts" });
    const istiod = run.one("kubernetes:helm.sh/v3:Release", "-istiod").inputs;
    expect(istiod).toMatchObject({ chart: "/srv/istio-charts/istiod", version: "1.31.1" });
    expect(istiod.repositoryOpts).toBeUndefined();
  });

  test("takes charts from an OCI registry by their full reference", async () => {
    const run = await runIstio({ ...helm, chartRepo: "oci://ghcr.io/istio/release/charts/" });
    expect(run.one("kubernetes:helm.sh/v3:Release", "-istiod").inputs).toMatchObject({
      chart: "oci://ghcr.io/istio/release/charts/istiod",
      version: "1.31.1",
    });
    expect(run.one("kubernetes:helm.sh/v3:Release", "-istiod").inputs.repositoryOpts).toBeUndefined();
  });
});

describe("Istio with istioctl", () => {
  test("runs the user's istioctl through the install script after the cluster, and uninstalls on destroy", async () => {
    const run = await runIstio({ ...helm, installer: "istioctl" });
    expect(run.all("kubernetes:helm.sh/v3:Release")).toEqual([]);
    const install = run.one("command:local:Command", "-istioctl");
    expect(install.inputs.create).toBe("bash scripts/istioctl-install.sh create");
    expect(install.inputs.update).toBe("bash scripts/istioctl-install.sh update");
    // Only what the install recorded, never a cluster-wide purge.
    expect(install.inputs.delete).toBe("bash scripts/istioctl-uninstall.sh");
    expect(install.inputs.addPreviousOutputInEnv).toBe(true);
    // A rebuilt cluster keeps its context's name: its identity makes istioctl install again.
    expect(install.inputs.triggers).toEqual(["minikube/istio-exit-study/v1.35.1/docker/4cpu/8192MiB"]);
    expect(install.inputs.environment).toEqual({
      KUBE_CONTEXT: "istio-exit-study",
      ISTIO_VERSION: "1.31.1",
      ISTIO_PROFILE: "minimal",
      ISTIO_PLATFORM: "minikube",
      STACK: "organization/istio-exit-study/dev",
    });
    expect(install.order).toBeGreaterThan(run.one("command:local:Command", "cluster-ready").order);
  });
});

describe("Istio for ambient mode", () => {
  test("adds the CNI node agent (minikube platform) and ztunnel after an ambient istiod, in that order", async () => {
    const run = await runIstio({ ...helm, mesh: "ambient" });
    const releases = run.all("kubernetes:helm.sh/v3:Release").sort((a, b) => a.order - b.order);
    expect(releases.map((r) => [r.inputs.name, r.inputs.chart, r.inputs.values])).toEqual([
      ["istio-base", "base", { defaultRevision: "default" }],
      ["istiod", "istiod", { profile: "ambient" }],
      ["istio-cni", "cni", { profile: "ambient", global: { platform: "minikube" } }],
      ["ztunnel", "ztunnel", {}],
    ]);
  });

  test("on a cluster other than minikube, the CNI agent gets no platform profile", async () => {
    const run = await runIstio({ ...helm, mesh: "ambient", platform: "" });
    expect(run.one("kubernetes:helm.sh/v3:Release", "-cni").inputs.values).toEqual({ profile: "ambient" });
  });

  test("istioctl installs the ambient profile for the minikube platform", async () => {
    const run = await runIstio({ ...helm, mesh: "ambient", installer: "istioctl" });
    expect(run.one("command:local:Command", "-istioctl").inputs.environment).toMatchObject({
      ISTIO_PROFILE: "ambient",
      ISTIO_PLATFORM: "minikube",
    });
  });
});
