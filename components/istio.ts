import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { IstioSettings } from "../lib/settings";
import { chartSource, istioCharts } from "../lib/istioCharts";
import { ClusterLifetime } from "./cluster";

export interface IstioArgs {
  settings: IstioSettings;
  /** The stack's fully qualified name: the Istio it installs names it (scripts/detect-istio.sh). */
  stack: string;
  /** Context of the cluster in the user's kubeconfig, for istioctl. */
  kubeContext: string;
  provider: k8s.Provider;
  lifetime: ClusterLifetime;
  /** What must exist before istioctl can reach the cluster (Helm goes through the provider). */
  clusterReady: pulumi.Resource;
  /** Names the cluster as built: istioctl installs anew on a rebuilt one. */
  clusterIdentity: string;
}

export const istioNamespace = "istio-system";
/**
 * Marks an Istio the study installed, and how, so that a later run on an existing cluster knows it
 * for its own (scripts/detect-istio.sh; scripts/istioctl-install.sh sets the same for istioctl).
 */
export const installedByLabels = (installer: "helm" | "istioctl") => ({
  "istio-exit-study/installed-by": "istio-exit-study",
  "istio-exit-study/installer": installer,
});
/** Names the stack that installed it: another stack uses it as it is, or is refused (lib/installedIstio.ts). */
export const installedByAnnotations = (stack: string) => ({ "istio-exit-study/stack": stack });

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
        ? this.installWithHelm(name, settings, args.stack, provider, args.lifetime)
        : this.installWithIstioctl(name, args);
    this.registerOutputs({ version: this.version });
  }

  private installWithHelm(name: string, settings: IstioSettings, stack: string, provider: k8s.Provider, lifetime: ClusterLifetime): pulumi.Resource {
    const namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      { metadata: { name: istioNamespace, labels: installedByLabels("helm"), annotations: installedByAnnotations(stack) } },
      { parent: this, provider, ...lifetime },
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
        { parent: this, provider, ...lifetime, dependsOn: [previous] },
      );
    }
    return previous;
  }

  /**
   * istioctl installs only where no Istio is, under an installation of its own, and prints what it
   * made; its delete removes exactly that, each object only if it is still the one it made (never
   * `istioctl uninstall --purge`, which removes every Istio of a cluster).
   */
  private installWithIstioctl(name: string, { settings, stack, kubeContext, clusterReady, clusterIdentity, lifetime }: IstioArgs): pulumi.Resource {
    return new command.local.Command(
      `${name}-istioctl`,
      {
        create: "bash scripts/istioctl-install.sh create",
        update: "bash scripts/istioctl-install.sh update",
        delete: "bash scripts/istioctl-uninstall.sh",
        environment: {
          KUBE_CONTEXT: kubeContext,
          ISTIO_VERSION: settings.version,
          // minimal: base and istiod, what the Helm path installs; the default profile adds an ingress
          // gateway, which the lab's load never goes through (manifests/profiles/*.yaml of Istio).
          ISTIO_PROFILE: settings.mesh === "ambient" ? "ambient" : "minimal",
          ISTIO_PLATFORM: settings.platform,
          STACK: stack,
        },
        // The context of a rebuilt cluster has the old name: only its identity tells it is new.
        triggers: [clusterIdentity],
        // The record of what the install made (its stdout) reaches the update and the delete.
        addPreviousOutputInEnv: true,
      },
      { parent: this, ...lifetime, dependsOn: [clusterReady] },
    );
  }
}
