import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterSettings } from "../config/study";

export interface MinikubeClusterArgs {
  settings: ClusterSettings;
}

/** Environment of the start script: every setting as a variable, none pasted into a command line. */
export function minikubeEnvironment(settings: ClusterSettings): Record<string, string> {
  return {
    PROFILE: settings.profile,
    KUBERNETES_VERSION: settings.kubernetesVersion,
    CPUS: String(settings.cpus),
    MEMORY_MIB: String(settings.memoryMiB),
    DRIVER: settings.driver,
  };
}

/**
 * Names the cluster as it is built: it changes exactly when the minikube profile is replaced, so the
 * Kubernetes provider (and everything in the cluster) is replaced with it and at no other time, not
 * even when minikube hands out a new API server port.
 */
export function minikubeClusterIdentifier(settings: ClusterSettings): string {
  const { profile, kubernetesVersion, driver, cpus, memoryMiB } = settings;
  return `minikube/${profile}/${kubernetesVersion}/${driver || "auto"}/${cpus}cpu/${memoryMiB}MiB`;
}

/** The study's own minikube profile and a Kubernetes provider bound to it. */
export class MinikubeCluster extends pulumi.ComponentResource {
  /** Name of the profile's context in the user's kubeconfig, for the scripts' kubectl. */
  readonly kubeContext: string;
  readonly provider: k8s.Provider;
  /** The last step of bringing the cluster up, for commands that reach it without the provider. */
  readonly ready: pulumi.Resource;

  constructor(name: string, args: MinikubeClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-exit-study:index:MinikubeCluster", name, {}, opts);
    const { settings } = args;
    this.kubeContext = settings.profile;
    const identifier = minikubeClusterIdentifier(settings);

    // minikube cannot change a profile's version, driver, CPUs or memory in place: any change is a
    // new cluster, and the old one must be gone first since both have the same profile name.
    const minikube = new command.local.Command(
      `${name}-minikube`,
      {
        create: "bash scripts/minikube-start.sh",
        delete: 'minikube delete --profile "$PROFILE"',
        environment: minikubeEnvironment(settings),
        triggers: [identifier],
        addPreviousOutputInEnv: false,
      },
      { parent: this, deleteBeforeReplace: true },
    );

    const kubeconfig = new command.local.Command(
      `${name}-kubeconfig`,
      {
        create: "bash scripts/kubeconfig.sh",
        environment: { KUBE_CONTEXT: this.kubeContext },
        triggers: [identifier],
        addPreviousOutputInEnv: false,
        logging: "stderr",
      },
      { parent: this, dependsOn: [minikube], additionalSecretOutputs: ["stdout"] },
    );

    this.ready = kubeconfig;
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      {
        kubeconfig: pulumi.secret(kubeconfig.stdout),
        clusterIdentifier: identifier,
        // `pulumi destroy` after the profile was deleted by hand still clears the state.
        deleteUnreachable: true,
      },
      { parent: this },
    );

    this.registerOutputs({ kubeContext: this.kubeContext });
  }
}
