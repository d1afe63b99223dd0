import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { IstioSettings } from "../config/study";

export interface IstioArgs {
  settings: IstioSettings;
  /** Context of the cluster in the user's kubeconfig, for istioctl. */
  kubeContext: string;
  provider: k8s.Provider;
  /** What must exist before istioctl can reach the cluster (Helm goes through the provider). */
  clusterReady: pulumi.Resource;
}

export const istioNamespace = "istio-system";
/** Marks an Istio the study installed, so that a later run on an existing cluster knows it for its own. */
export const installedByLabel = { "istio-exit-study/installed-by": "istio-exit-study" };

export interface IstioChart {
  release: string;
  chart: string;
  values: Record<string, unknown>;
}

/**
 * Where Helm finds a chart: a classic repository by URL and name, or an OCI registry (Istio's
 * `oci://ghcr.io/istio/release/charts`) by the chart's full reference.
 */
export function chartSource(repo: string, chart: string): { chart: string; repositoryOpts?: { repo: string } } {
  return repo.startsWith("oci://") ? { chart: `${repo.replace(/\/+$/, "")}/${chart}` } : { chart, repositoryOpts: { repo } };
}

/**
 * Istio's charts for a mesh, in install order, with their Helm values. The platform profile tells
 * ambient's CNI node agent where the nodes keep pod network namespaces (minikube's differ).
 */
export function istioCharts(mesh: "sidecar" | "ambient", platform: string): IstioChart[] {
  // base holds the CRDs and the validation webhook's default revision, which istiod needs first.
  const base = { release: "istio-base", chart: "base", values: { defaultRevision: "default" } };
  if (mesh === "sidecar") return [base, { release: "istiod", chart: "istiod", values: {} }];
  // Ambient's istiod still injects sidecars; the CNI node agent and ztunnel carry ambient traffic.
  return [
    base,
    { release: "istiod", chart: "istiod", values: { profile: "ambient" } },
    { release: "istio-cni", chart: "cni", values: { profile: "ambient", ...(platform && { global: { platform } }) } },
    { release: "ztunnel", chart: "ztunnel", values: {} },
  ];
}

/**
 * Istio's control plane, ready (istiod's injection webhook serving) before anything depends on it:
 * Helm releases by default, or the user's istioctl as in the seed study.
 */
export class Istio extends pulumi.ComponentResource {
  /** What a workload must wait for: the last step of the install. */
  readonly ready: pulumi.Resource;
  readonly version: string;

  constructor(name: string, args: IstioArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-exit-study:index:Istio", name, {}, opts);
    const { settings, provider } = args;
    if (settings.mesh === "none") throw new Error("Istio is not installed for mesh=none");
    this.version = settings.version;
    this.ready =
      settings.installer === "helm"
        ? this.installWithHelm(name, settings, provider)
        : this.installWithIstioctl(name, settings, args.kubeContext, args.clusterReady);
    this.registerOutputs({ version: this.version });
  }

  private installWithHelm(name: string, settings: IstioSettings, provider: k8s.Provider): pulumi.Resource {
    const namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      { metadata: { name: istioNamespace, labels: installedByLabel } },
      { parent: this, provider },
    );
    let previous: pulumi.Resource = namespace;
    for (const { release, chart, values } of istioCharts(settings.mesh as "sidecar" | "ambient", settings.platform)) {
      // A Release waits until its resources are ready, so each chart starts on a working predecessor.
      previous = new k8s.helm.v3.Release(
        `${name}-${chart}`,
        {
          name: release,
          ...chartSource(settings.chartRepo, chart),
          version: settings.version,
          namespace: istioNamespace,
          values,
        },
        { parent: this, provider, dependsOn: [previous] },
      );
    }
    return previous;
  }

  private installWithIstioctl(
    name: string,
    settings: IstioSettings,
    kubeContext: string,
    clusterReady: pulumi.Resource,
  ): pulumi.Resource {
    return new command.local.Command(
      `${name}-istioctl`,
      {
        create: "bash scripts/istioctl-install.sh",
        delete: 'istioctl uninstall --context "$KUBE_CONTEXT" --purge --skip-confirmation >&2',
        environment: {
          KUBE_CONTEXT: kubeContext,
          ISTIO_VERSION: settings.version,
          ISTIO_PROFILE: settings.mesh === "ambient" ? "ambient" : "default",
          ISTIO_PLATFORM: settings.platform,
        },
        addPreviousOutputInEnv: false,
      },
      { parent: this, dependsOn: [clusterReady] },
    );
  }
}
