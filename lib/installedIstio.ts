import { execFileSync } from "child_process";
import * as path from "path";

/** What Istio a cluster already has, as scripts/detect-istio.sh tells it. */
export type InstalledIstio =
  | { owner: "none" }
  | { owner: "study"; installer: "helm" | "istioctl" | "unknown" }
  | { owner: "other"; version: string; ambient: boolean };

export function parseIstioProbe(output: string): InstalledIstio {
  const line = output.trim();
  if (line === "none") return { owner: line };
  const study = line.match(/^study (helm|istioctl|unknown)$/);
  if (study) return { owner: "study", installer: study[1] as "helm" | "istioctl" | "unknown" };
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
 * Whether the study installs Istio or uses the one it found. Someone else's Istio of the configured
 * version is used as it is (and never removed); of another version, the study stops rather than
 * install a second one over it.
 */
export function istioPlan(
  installed: InstalledIstio,
  version: string,
  kubeContext: string,
  needsAmbient: boolean,
  installer: "helm" | "istioctl",
): "install" | "reuse" {
  if (installed.owner === "study" && installed.installer !== "unknown" && installed.installer !== installer) {
    // Each installer's Istio would be removed, at the end of the run, from under the other's.
    throw new Error(
      `context ${kubeContext} runs the Istio this lab installed with ${installed.installer}, and config istioInstaller is ${installer}: ` +
        `set istioInstaller=${installed.installer}, or remove the lab from that cluster first (pulumi destroy) and install it anew`,
    );
  }
  if (installed.owner !== "other") return "install";
  if (installed.version === version) {
    if (needsAmbient && !installed.ambient) {
      throw new Error(
        `context ${kubeContext} already runs Istio ${version}, not installed by this study, without ztunnel: ` +
          "a case with mesh=ambient would measure pods outside the mesh; install Istio's ambient parts or drop those cases",
      );
    }
    return "reuse";
  }
  throw new Error(
    `context ${kubeContext} already runs Istio ${installed.version}, not installed by this study, and config istioVersion is ${version}: ` +
      `set istioVersion=${installed.version} to study that Istio, or use a cluster without it`,
  );
}
