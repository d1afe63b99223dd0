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

/** What the rest of the study needs of a cluster, whoever made it. */
export interface StudyCluster {
  /** The cluster's context in the user's kubeconfig, for the scripts' kubectl. */
  readonly kubeContext: string;
  readonly provider: k8s.Provider;
  /** What commands that reach the cluster without the provider must wait for. */
  readonly ready: pulumi.Resource;
  /** Names the cluster as built: it changes whenever the cluster is another one. */
  readonly identity: string;
}

/** The study's own minikube profile and a Kubernetes provider bound to it. */
export class MinikubeCluster extends pulumi.ComponentResource implements StudyCluster {
  readonly kubeContext: string;
  readonly provider: k8s.Provider;
  readonly ready: pulumi.Resource;
  readonly identity: string;

  constructor(name: string, args: MinikubeClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-exit-study:index:MinikubeCluster", name, {}, opts);
    const { settings } = args;
    this.kubeContext = settings.profile;
    const identifier = minikubeClusterIdentifier(settings);
    this.identity = identifier;

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

export interface ExistingClusterArgs {
  /** A context of the user's kubeconfig (the file $KUBECONFIG or ~/.kube/config names). */
  kubeContext: string;
}

/**
 * A cluster the study does not own: it only gets a provider bound to the user's context, so that
 * `pulumi destroy` removes what the study created there and never the cluster.
 */
export class ExistingCluster extends pulumi.ComponentResource implements StudyCluster {
  readonly kubeContext: string;
  readonly provider: k8s.Provider;
  readonly ready: pulumi.Resource;
  readonly identity: string;

  constructor(name: string, args: ExistingClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-exit-study:index:ExistingCluster", name, {}, opts);
    this.kubeContext = args.kubeContext;
    // The context names the cluster: a new token or endpoint in the kubeconfig is no new cluster.
    this.identity = `context/${args.kubeContext}`;
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      { context: args.kubeContext, clusterIdentifier: this.identity },
      { parent: this },
    );
    this.ready = this.provider;
    this.registerOutputs({ kubeContext: this.kubeContext });
  }
}
