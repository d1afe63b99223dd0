// Which Istio serves the study, decided before anything is created: none when no case needs one,
// the Istio found on a cluster of the user's when it is of the configured version, else the lab's.
import { InstalledIstio, istioPlan, probeInstalledIstio } from "./installedIstio";
import type { IstioSettings } from "./settings";

export interface MeshPlan {
  /** Whether the lab installs Istio itself. */
  install: boolean;
  /** The Istio as the measurements record it: another one measures anew. */
  measuredOn: string;
  /** The Istio in the cluster, as results and the report name it. */
  inCluster: string;
  /** The stack output istioVersion. */
  version: string;
}

/**
 * `found`: what an existing cluster (`kubeContext`) already runs; none on the lab's own minikube.
 * `stack`: the stack's fully qualified name, which an Istio the lab installed names.
 */
export function planMesh(istio: IstioSettings, found: InstalledIstio, kubeContext: string, stack: string): MeshPlan {
  const { installer, version, chartRepo, mesh } = istio;
  if (mesh === "none") return { install: false, measuredOn: "none", inCluster: "none", version: "none" };
  if (istioPlan(found, version, kubeContext, mesh === "ambient", installer, stack) === "reuse") {
    return { install: false, measuredOn: `found ${version}`, inCluster: `${version}, found installed`, version: `${version} (found installed)` };
  }
  return {
    install: true,
    measuredOn: `${installer} ${version} ${chartRepo} ${mesh}`,
    inCluster: `${version} ${mesh === "ambient" ? "ambient" : "default"} profile, installed by ${installer}`,
    version,
  };
}

/** The study's mesh: on a cluster of the user's (`kubeContext`), after asking it which Istio it runs. */
export function planStudyMesh(istio: IstioSettings, kubeContext: string, projectDir: string, stack: string): MeshPlan {
  const found: InstalledIstio = kubeContext && istio.mesh !== "none" ? probeInstalledIstio(kubeContext, projectDir) : { owner: "none" };
  return planMesh(istio, found, kubeContext, stack);
}
