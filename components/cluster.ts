import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MinikubeClusterPlan, planMinikubeCluster } from "../lib/minikubeProfile";
import { ClusterSettings, IstioInstaller } from "../lib/settings";

export interface MinikubeClusterArgs {
  settings: ClusterSettings;
  /** The identity and generation the profile's mark allows (lib/minikubeProfile.ts). */
  plan: MinikubeClusterPlan;
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
    const { settings, plan } = args;
    this.kubeContext = settings.profile;
    this.identity = `${plan.identity}#${plan.generation}`;

    // The stack's proof of ownership, made once and kept in its state: the profile's mark holds it,
    // and the start and delete scripts touch only a profile that does.
    const owner = new command.local.Command(
      `${name}-owner`,
      { create: "bash scripts/minikube-cluster.sh token", addPreviousOutputInEnv: false },
      { parent: this },
    );
    // One resource per generation of the cluster: another version, driver, size, profile or
    // installer, or a profile no longer as this stack built it, is a new generation, which the
    // script builds (deleting the stack's profile of before), while the old resource's delete, at
    // the end of the run, finds the profile held by another instance and leaves it alone. Its
    // stdout is the instance's id, which its delete reads back (PULUMI_COMMAND_STDOUT).
    const minikube = new command.local.Command(
      `${name}-minikube-${plan.generation}`,
      {
        create: "bash scripts/minikube-cluster.sh start",
        delete: "bash scripts/minikube-cluster.sh delete",
        environment: {
          ...minikubeEnvironment(settings),
          STACK: plan.stack,
          STACK_TOKEN: owner.stdout.apply((token) => token.trim()),
          CLUSTER_GENERATION: plan.generation,
          CLUSTER_IDENTITY: plan.identity,
        },
        addPreviousOutputInEnv: true,
      },
      { parent: this },
    );

    const kubeconfig = new command.local.Command(
      `${name}-kubeconfig`,
      {
        create: "bash scripts/kubeconfig.sh",
        environment: { KUBE_CONTEXT: this.kubeContext },
        triggers: [this.identity],
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
      { kubeconfig: pulumi.secret(kubeconfig.stdout), clusterIdentifier: this.identity },
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

/**
 * The study's cluster: an existing one of the user's kubeconfig (`kubeContext`), or the stack's own
 * minikube profile, whose mark is read first: a profile that is not the stack's stops the program
 * before anything exists (lib/minikubeProfile.ts).
 */
export function studyCluster(settings: ClusterSettings, istioInstaller: IstioInstaller, stack: string, projectDir: string): StudyCluster {
  if (settings.kubeContext) return new ExistingCluster("cluster", { kubeContext: settings.kubeContext });
  return new MinikubeCluster("cluster", { settings, plan: planMinikubeCluster(settings, istioInstaller, stack, projectDir) });
}
