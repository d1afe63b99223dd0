import { execFileSync } from "child_process";
import * as path from "path";

/** What Istio a cluster already has, anywhere in it, as scripts/detect-istio.sh tells it. */
export type InstalledIstio =
  | { owner: "none" }
  /** This lab's, installed by `stack` ("": by a version of the lab from before it named the stack). */
  | { owner: "study"; installer: "helm" | "istioctl" | "unknown"; stack: string; version: string; ambient: boolean }
  | { owner: "other"; version: string; ambient: boolean };

export function parseIstioProbe(output: string): InstalledIstio {
  const line = output.trim();
  if (line === "none") return { owner: line };
  const study = line.match(/^study (helm|istioctl|unknown) (\S+) (\S+) (ambient|sidecar)$/);
  if (study) {
    const [, installer, stack, version, mode] = study;
    return { owner: "study", installer: installer as "helm" | "istioctl" | "unknown", stack: stack === "-" ? "" : stack, version, ambient: mode === "ambient" };
  }
  const other = line.match(/^other (\S+) (ambient|sidecar)$/);
  if (other) return { owner: "other", version: other[1], ambient: other[2] === "ambient" };
  throw new Error(`scripts/detect-istio.sh printed something unexpected: ${JSON.stringify(line)}`);
}

/** Asks the cluster of `kubeContext`, with the user's kubectl. */
export function probeInstalledIstio(kubeContext: string, projectDir: string): InstalledIstio {
  try {
    const output = execFileSync("bash", [path.join(projectDir, "scripts/detect-istio.sh")], {
      env: { ...process.env, KUBE_CONTEXT: kubeContext },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    return parseIstioProbe(output);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`could not tell which Istio context ${kubeContext} has: ${stderr || (error as Error).message}`);
  }
}

/**
 * Whether the study installs Istio or uses the one it found, decided by who installed it: this
 * stack (its Istio goes on, by the installer it was installed with), nobody (installed), or anyone
 * else, another stack of this lab included. Another's Istio of the configured version is used as it
 * is, and never installed over nor removed; of another version, the study stops before it creates
 * anything rather than install a second one over it.
 */
export function istioPlan(
  installed: InstalledIstio,
  version: string,
  kubeContext: string,
  needsAmbient: boolean,
  installer: "helm" | "istioctl",
  stack: string,
): "install" | "reuse" {
  if (installed.owner === "none") return "install";
  if (installed.owner === "study" && (installed.stack === stack || installed.stack === "")) {
    if (installed.installer !== "unknown" && installed.installer !== installer) {
      // Each installer's Istio would be removed, at the end of the run, from under the other's.
      throw new Error(
        `context ${kubeContext} runs the Istio this lab installed with ${installed.installer}, and config istioInstaller is ${installer}: ` +
          `set istioInstaller=${installed.installer}, or remove the lab from that cluster first (pulumi destroy) and install it anew`,
      );
    }
    return "install";
  }
  const whose =
    installed.owner === "study"
      ? `installed by this lab's stack ${installed.stack} (which alone removes it, with its pulumi destroy)`
      : "not installed by this study";
  if (installed.version === "unknown") {
    throw new Error(
      `context ${kubeContext} already has Istio, ${whose}, but no istiod whose image tells its version: ` +
        "the lab installs Istio only where there is none, and uses one only of the configured version; remove it, or use a cluster without it",
    );
  }
  if (installed.version === version) {
    if (needsAmbient && !installed.ambient) {
      throw new Error(
        `context ${kubeContext} already runs Istio ${version}, ${whose}, without ztunnel: ` +
          "a case with mesh=ambient would measure pods outside the mesh; install Istio's ambient parts or drop those cases",
      );
    }
    return "reuse";
  }
  throw new Error(
    `context ${kubeContext} already runs Istio ${installed.version}, ${whose}, and config istioVersion is ${version}: ` +
      `set istioVersion=${installed.version} to study that Istio as it is, or use a cluster without it`,
  );
}
