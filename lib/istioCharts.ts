// Istio's Helm charts: which ones a mesh needs, with what values, and where Helm finds them.
import * as path from "path";
import type { Mesh } from "./settings";

export interface IstioChart {
  release: string;
  chart: string;
  values: Record<string, unknown>;
}

/**
 * Where Helm finds a chart: a classic repository by URL and name, an OCI registry (Istio's
 * `oci://ghcr.io/istio/release/charts`) by the chart's full reference, or a local folder of charts
 * (config gives it as an absolute path) by the chart's own folder.
 */
export function chartSource(repo: string, chart: string): { chart: string; repositoryOpts?: { repo: string } } {
  if (path.isAbsolute(repo)) return { chart: path.join(repo, chart) };
  return repo.startsWith("oci://") ? { chart: `${repo.replace(/\/+$/, "")}/${chart}` } : { chart, repositoryOpts: { repo } };
}

/**
 * Istio's charts for a mesh, in install order, with their Helm values. The platform profile tells
 * ambient's CNI node agent where the nodes keep pod network namespaces (minikube's differ).
 */
export function istioCharts(mesh: "sidecar" | "ambient", platform: string): IstioChart[] {
  // base holds the CRDs and the validation webhook's default revision, which istiod needs first.
  const base = { release: "istio-base", chart: "base", values: { defaultRevision: "default" } };
  if (mesh === "sidecar") return [base, { release: "istiod", chart: "istiod", values: {} }];
  // Ambient's istiod still injects sidecars; the CNI node agent and ztunnel carry ambient traffic.
  return [
    base,
    { release: "istiod", chart: "istiod", values: { profile: "ambient" } },
    { release: "istio-cni", chart: "cni", values: { profile: "ambient", ...(platform && { global: { platform } }) } },
    { release: "ztunnel", chart: "ztunnel", values: {} },
  ];
}

/** The charts a mesh needs, by name. */
export function istioChartNames(mesh: Mesh): string[] {
  return mesh === "none" ? [] : istioCharts(mesh, "").map(({ chart }) => chart);
}
