import * as command from "@pulumi/command";
import { execFileSync } from "child_process";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { leftoverProfileWarnings, MinikubeClusterPlan, planMinikubeCluster, stackProfiles } from "../lib/minikubeProfile";
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
  /** The lab's minikube profile, whose `minikube service` finds a Service's URL; "" on a cluster of the user's. */
  readonly minikubeProfile: string;
  /** Everything the study puts in the cluster, once it is all declared (see MinikubeCluster). */
  holds(contents: pulumi.Resource[]): void;
}

/** The study's own minikube profile and a Kubernetes provider bound to it. */
export class MinikubeCluster extends pulumi.ComponentResource implements StudyCluster {
  readonly kubeContext: string;
  readonly provider: k8s.Provider;
  readonly lifetime: ClusterLifetime;
  readonly ready: pulumi.Resource;
  readonly identity: string;
  readonly minikubeProfile: string;
  private readonly name: string;
  private readonly markEnvironment: Record<string, pulumi.Input<string>>;

  constructor(name: string, args: MinikubeClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-exit-study:index:MinikubeCluster", name, {}, opts);
    const { settings, plan } = args;
    this.name = name;
    this.kubeContext = settings.profile;
    this.minikubeProfile = settings.profile;
    this.identity = `${plan.identity}#${plan.generation}`;

    // The stack's proof of ownership, made once and kept in its state (an update prints it again):
    // the profile's mark holds it, and the start and delete scripts touch only a profile that does.
    // It goes last in a destroy, after every cluster resource: its delete then deletes what the
    // token still marks, a cluster that no resource of the state holds (a first build that failed
    // once minikube had made the cluster, a new cluster the engine never recorded).
    const owner = new command.local.Command(
      `${name}-owner`,
      {
        create: "bash scripts/minikube-cluster.sh token",
        delete: "bash scripts/minikube-cluster.sh sweep",
        environment: { STACK: plan.stack },
        addPreviousOutputInEnv: true,
      },
      { parent: this },
    );
    // One resource per generation of the cluster: another version, driver, size, profile or
    // installer, or a profile no longer as this stack built it, is a new generation, which the
    // script builds (deleting the stack's profile of before), while the old resource's delete, at
    // the end of the run, finds the profile held by another instance and leaves it alone. Its
    // stdout is the instance's id, which its delete reads back (PULUMI_COMMAND_STDOUT).
    this.markEnvironment = {
      PROFILE: settings.profile,
      STACK_TOKEN: owner.stdout.apply((token) => token.trim()),
      CLUSTER_GENERATION: plan.generation,
    };
    const minikube = new command.local.Command(
      `${name}-minikube-${plan.generation}`,
      {
        create: "bash scripts/minikube-cluster.sh start",
        delete: "bash scripts/minikube-cluster.sh delete",
        environment: { ...minikubeEnvironment(settings), ...this.markEnvironment, STACK: plan.stack, CLUSTER_IDENTITY: plan.identity },
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

  /**
   * Everything in the cluster is deleted with it, by `deletedWith`: on `pulumi destroy` the engine
   * only forgets it, then deletes the cluster. Were the cluster's delete to fail or be interrupted
   * in between, its objects would live on, unknown to the state, and the next `pulumi up` would fail
   * on them. This resource depends on all of it, so the engine deletes it first, and its delete marks
   * the profile as being deleted: from then on, the next `pulumi up` rebuilds the cluster and the
   * next `pulumi destroy` deletes it. A rebuild's new generation leaves the old one's alone.
   */
  holds(contents: pulumi.Resource[]): void {
    new command.local.Command(
      `${this.name}-contents`,
      { delete: "bash scripts/minikube-cluster.sh vacate", environment: this.markEnvironment, addPreviousOutputInEnv: false },
      { parent: this, dependsOn: contents },
    );
  }
}

export interface ExistingClusterArgs {
  /** A context of the user's kubeconfig (the file $KUBECONFIG or ~/.kube/config names). */
  kubeContext: string;
  /** The cluster the context reaches as the program runs (scripts/existing-cluster.sh record); "" if it does not answer. */
  clusterUid: string;
}

/** The uid of the kube-system namespace of the cluster `kubeContext` reaches, "" if it does not answer. */
export function readClusterUid(kubeContext: string, projectDir: string): string {
  try {
    return execFileSync("bash", [path.join(projectDir, "scripts/existing-cluster.sh"), "record"], {
      env: { ...process.env, KUBE_CONTEXT: kubeContext },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 60_000,
    }).trim();
  } catch {
    return "";
  }
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
  /** Not minikube's: the test script asks the cluster for a node's address. */
  readonly minikubeProfile = "";
  private readonly name: string;
  private readonly clusterRecord: command.local.Command;

  constructor(name: string, args: ExistingClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-exit-study:index:ExistingCluster", name, {}, opts);
    this.name = name;
    this.kubeContext = args.kubeContext;
    // The context names the cluster: a new token or endpoint in the kubeconfig is no new cluster.
    this.identity = `context/${args.kubeContext}`;
    // The study reaches the cluster by name through the context, which may be made anew for another
    // cluster, where the same names (istio-system, Istio's Helm releases, a namespace) may be
    // someone else's. The cluster is recorded, and everything the study does there comes after this
    // record: when the program finds another cluster behind the context (KUBE_SYSTEM_UID), its update
    // refuses before anything is created, changed or deleted there. A new context is a new record.
    this.clusterRecord = new command.local.Command(
      `${name}-identity`,
      {
        create: "bash scripts/existing-cluster.sh record",
        update: "bash scripts/existing-cluster.sh update",
        environment: { KUBE_CONTEXT: args.kubeContext, KUBE_SYSTEM_UID: args.clusterUid },
        triggers: [args.kubeContext],
        addPreviousOutputInEnv: true,
      },
      { parent: this },
    );
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      { context: args.kubeContext, clusterIdentifier: this.identity },
      { parent: this, dependsOn: [this.clusterRecord] },
    );
    this.ready = this.clusterRecord;
    this.registerOutputs({ kubeContext: this.kubeContext });
  }

  /**
   * What the study made here is deleted one by one, through the provider. This resource depends on
   * all of it, so the engine deletes it first in a destroy (no program runs then, to find another
   * cluster behind the context), and its delete refuses on another cluster than the one recorded.
   */
  holds(contents: pulumi.Resource[]): void {
    new command.local.Command(
      `${this.name}-identity-check`,
      {
        delete: "bash scripts/existing-cluster.sh check",
        environment: { KUBE_CONTEXT: this.kubeContext, RECORDED_UID: this.clusterRecord.stdout },
        addPreviousOutputInEnv: false,
      },
      { parent: this, dependsOn: contents },
    );
  }
}

/**
 * The study's cluster: an existing one of the user's kubeconfig (`kubeContext`), or the stack's own
 * minikube profile, whose mark is read first: a profile that is not the stack's stops the program
 * before anything exists (lib/minikubeProfile.ts). On an existing cluster, a profile the stack left
 * is named until it is gone.
 */
export function studyCluster(settings: ClusterSettings, istioInstaller: IstioInstaller, stack: string, projectDir: string): StudyCluster {
  if (settings.kubeContext) {
    for (const warning of leftoverProfileWarnings(stackProfiles(stack, projectDir), settings.kubeContext)) pulumi.log.warn(warning);
    return new ExistingCluster("cluster", { kubeContext: settings.kubeContext, clusterUid: readClusterUid(settings.kubeContext, projectDir) });
  }
  return new MinikubeCluster("cluster", { settings, plan: planMinikubeCluster(settings, istioInstaller, stack, projectDir) });
}
