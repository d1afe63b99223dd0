import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as os from "os";
import * as path from "path";

/** What scripts/minikube-cluster.sh finds of a minikube profile, and the mark the lab left on it. */
export type ProfileProbe =
  | { kind: "absent" }
  /** A profile the lab did not make: by hand, by another tool, or the user's own `minikube`. */
  | { kind: "unmarked" }
  | { kind: "marked"; mark: ProfileMark };

export interface ProfileMark {
  /** The fully qualified name of the stack that built it. */
  stack: string;
  /** The generation the program named that stack's cluster resource after. */
  generation: string;
  /** The cluster as it was built: version, driver, size (minikubeClusterIdentifier). */
  identity: string;
  state: "building" | "built" | "deleting";
}

export function parseProfileProbe(output: string): ProfileProbe {
  const values = new Map<string, string>();
  for (const line of output.split("\n").filter(Boolean)) {
    const at = line.indexOf("=");
    if (at > 0) values.set(line.slice(0, at), line.slice(at + 1));
  }
  const kind = values.get("profile");
  if (kind === "absent" || kind === "unmarked") return { kind };
  const state = values.get("state");
  const [stack, generation, identity] = ["stack", "generation", "identity"].map((key) => values.get(key) ?? "");
  if (kind === "marked" && stack && generation && identity && (state === "building" || state === "built" || state === "deleting")) {
    return { kind, mark: { stack, generation, identity, state } };
  }
  throw new Error(`scripts/minikube-cluster.sh probe printed something unexpected: ${JSON.stringify(output)}`);
}

/** Reads the profile's folder, as minikube keeps it; the cluster need not run. */
export function probeMinikubeProfile(profile: string, projectDir: string): ProfileProbe {
  const output = execFileSync("bash", [path.join(projectDir, "scripts/minikube-cluster.sh"), "probe"], {
    env: { ...process.env, PROFILE: profile },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  return parseProfileProbe(output);
}

export class ProfileRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProfileRefused";
  }
}

/**
 * The generation of the stack's cluster: the one the profile was built as, when it is this stack's
 * and built as configured, so that the resource in the state goes on; else a new one, so that the
 * program plans a cluster of its own and builds it (the profile is absent, was left building or
 * half deleted, or was built otherwise). A profile of someone else is refused, before anything is
 * created, with the ways out.
 */
export function clusterGeneration(probe: ProfileProbe, profile: string, stack: string, identity: string, fresh: () => string = newGeneration): string {
  const waysOut =
    `Set another profile (pulumi config set profile NAME), or, if that cluster is no longer needed, ` +
    `delete it yourself: minikube delete --profile ${profile}`;
  if (probe.kind === "unmarked") {
    throw new ProfileRefused(
      `minikube profile ${profile} exists and this lab did not make it (it carries no mark of the lab): ` +
        `the lab never adopts or deletes a cluster it did not create. ${waysOut}`,
    );
  }
  if (probe.kind === "absent") return fresh();
  const { mark } = probe;
  if (mark.stack !== stack) {
    throw new ProfileRefused(
      `minikube profile ${profile} belongs to stack ${mark.stack}, not to ${stack}: two stacks never share a cluster. ` +
        `${waysOut} (or pulumi destroy in stack ${mark.stack}; if that was this stack's name before a pulumi stack rename, rename it back to keep or destroy its cluster)`,
    );
  }
  return mark.state === "built" && mark.identity === identity ? mark.generation : fresh();
}

function newGeneration(): string {
  return crypto.randomBytes(4).toString("hex");
}

const profilePrefix = "istio-exit-study";

/** The folder minikube keeps its profiles in (localpath.MiniPath), as scripts/minikube-cluster.sh finds it. */
export function minikubeHome(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string {
  const set = env.MINIKUBE_HOME;
  if (!set) return path.join(home, ".minikube");
  return path.resolve(path.basename(set) === ".minikube" ? set : path.join(set, ".minikube"));
}

/**
 * The profile of a stack that sets none: the stack's own, so that two stacks of the project get
 * two clusters, and of this minikube home's, so that two homes on one docker daemon (two users, a
 * CI job given the host's docker socket, a shell with another MINIKUBE_HOME) never name two
 * clusters alike: minikube's docker driver names a cluster's container after its profile alone.
 * A DNS label (minikube names containers and contexts after it): the stack's name as one, then a
 * digest of the name as it is and of the home, which keeps apart names made alike too.
 */
export function defaultProfile(stackName: string, home: string = minikubeHome()): string {
  const label = stackName.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "");
  const digest = crypto.createHash("sha256").update(`${stackName}\0${home}`).digest("hex").slice(0, 6);
  return `${profilePrefix}-${label.slice(0, 63 - profilePrefix.length - 8).replace(/-+$/, "")}-${digest}`.replace(/--+/g, "-");
}

/** What a minikube profile is built with (config's ClusterSettings). */
export interface MinikubeSettings {
  profile: string;
  kubernetesVersion: string;
  /** Empty: minikube chooses. */
  driver: string;
  cpus: number;
  memoryMiB: number;
}

/**
 * Names the cluster as it is built: minikube cannot change a profile's version, driver or size, and
 * an installer switch is a new cluster too (each installer's Istio would be removed, at the end of
 * the run, from under the other's). Not the API server's port, which minikube may change.
 */
export function minikubeClusterIdentifier(settings: MinikubeSettings, istioInstaller: string): string {
  const { profile, kubernetesVersion, driver, cpus, memoryMiB } = settings;
  return `minikube/${profile}/${kubernetesVersion}/${driver || "auto"}/${cpus}cpu/${memoryMiB}MiB/istio-by-${istioInstaller}`;
}

export interface MinikubeClusterPlan {
  identity: string;
  generation: string;
  /** The stack's fully qualified name, which the profile's mark carries. */
  stack: string;
}

/** The stack's cluster as the profile's mark allows it; refuses a profile that is not the stack's. */
export function planMinikubeCluster(settings: MinikubeSettings, istioInstaller: string, stack: string, projectDir: string): MinikubeClusterPlan {
  const identity = minikubeClusterIdentifier(settings, istioInstaller);
  const generation = clusterGeneration(probeMinikubeProfile(settings.profile, projectDir), settings.profile, stack, identity);
  return { identity, generation, stack };
}

/** The profiles whose mark names `stack` (scripts/minikube-cluster.sh owned); none without minikube. */
export function stackProfiles(stack: string, projectDir: string): string[] {
  const output = execFileSync("bash", [path.join(projectDir, "scripts/minikube-cluster.sh"), "owned"], {
    env: { ...process.env, STACK: stack },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  return output.split("\n").filter(Boolean);
}

/**
 * On a cluster of the user's (`kubeContext`), the stack's own minikube profiles of before are
 * deleted only at the end of a run that succeeds: until then each is named, with the way to remove it.
 */
export function leftoverProfileWarnings(profiles: string[], kubeContext: string): string[] {
  return profiles.map(
    (profile) =>
      `minikube profile ${profile} is this stack's own cluster from before kubeContext=${kubeContext}: this run deletes it at its end ` +
      `if it succeeds; if it does not, the cluster keeps running until a pulumi up succeeds, or until you delete it: minikube delete --profile ${profile}`,
  );
}
