import * as crypto from "crypto";
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

/**
 * How a resource inside a cluster lives with it: in the study's own cluster it is rebuilt with the
 * cluster and goes with it, never deleted by itself after the cluster is gone.
 */
export type ClusterLifetime = Pick<pulumi.CustomResourceOptions, "deletedWith">;

/** What the rest of the study needs of a cluster, whoever made it. */
export interface StudyCluster {
  /** The cluster's context in the user's kubeconfig, for the scripts' kubectl. */
  readonly kubeContext: string;
  readonly provider: k8s.Provider;
  /** Options of every resource the study puts in the cluster, with its provider. */
  readonly lifetime: ClusterLifetime;
  /** What commands that reach the cluster without the provider must wait for. */
  readonly ready: pulumi.Resource;
  /** Names the cluster as built: it changes whenever the cluster is another one. */
  readonly identity: string;
}

/** The study's own minikube profile and a Kubernetes provider bound to it. */
export class MinikubeCluster extends pulumi.ComponentResource implements StudyCluster {
  readonly kubeContext: string;
  readonly provider: k8s.Provider;
  readonly lifetime: ClusterLifetime;
  readonly ready: pulumi.Resource;
  readonly identity: string;

  constructor(name: string, args: MinikubeClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-exit-study:index:MinikubeCluster", name, {}, opts);
    const { settings } = args;
    this.kubeContext = settings.profile;
    const identifier = minikubeClusterIdentifier(settings);
    this.identity = identifier;

    // One resource per cluster as built: another version, driver, size or profile is another
    // cluster, a resource of its own (scripts/minikube-cluster.sh deletes the old profile first, and
    // the old resource's delete, at the end of the run, then leaves the new profile alone).
    const minikube = new command.local.Command(
      `${name}-minikube-${crypto.createHash("sha256").update(identifier).digest("hex").slice(0, 8)}`,
      {
        create: "bash scripts/minikube-cluster.sh start",
        delete: "bash scripts/minikube-cluster.sh delete",
        environment: { ...minikubeEnvironment(settings), CLUSTER_IDENTITY: identifier },
        addPreviousOutputInEnv: false,
      },
      { parent: this },
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
    // Nothing in the cluster is deleted through the provider when its cluster goes in the same run:
    // not on `pulumi destroy` (with the cluster stopped or deleted by hand too), and not after a
    // rebuild, where the old provider's kubeconfig would reach the new cluster (minikube gives it the
    // same address and CA) and delete by name what was just created there.
    // No deleteUnreachable: a refresh while the cluster is stopped must not forget what is in it.
    this.lifetime = { deletedWith: minikube };
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      { kubeconfig: pulumi.secret(kubeconfig.stdout), clusterIdentifier: identifier },
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
  /** The cluster outlives the study: what the study made there is deleted one by one. */
  readonly lifetime: ClusterLifetime = {};
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
