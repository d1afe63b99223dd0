import { StudyCase } from "../config/study";
import { emptyErrorCounts, ErrorCounts, errorWindow, RolloutMeasurement } from "./rolloutOutput";

/** The setting of a case, as the table and the report show it. */
export type CaseSetting = Pick<
  StudyCase,
  | "mesh"
  | "injection"
  | "variant"
  | "preStopSeconds"
  | "sidecarMode"
  | "proxyDrainSeconds"
  | "exitOnZeroActiveConnections"
  | "proxyPreStopSeconds"
  | "connection"
>;

/** One case's result over its runs; figures only when every run was measured. */
export interface CaseResult {
  case: string;
  status: "ok" | "failed";
  reason?: string;
  setting: CaseSetting;
  /** What the pods ran, as the test found it: none, classic, native, or mixed. */
  sidecar: string;
  runs: number;
  /** When the last of its runs restarted the Deployment (ISO 8601): the measurement's own time. */
  measuredAt?: string;
  /**
   * The Istio in the cluster while the case ran, whether the case used it or not: one Istio serves
   * every case, and a matrix with an ambient case installs the ambient profile for all.
   */
  istio?: string;
  availability?: number;
  availabilityMin?: number;
  availabilityMax?: number;
  transactions?: number;
  failedTransactions?: number;
  /** How long siege ran, mean over the runs. */
  elapsedSeconds?: number;
  errors: ErrorCounts;
  rolloutSeconds?: number;
  /** From the restart until the last old pod was gone, mean over the runs that saw it. */
  oldPodsGoneSeconds?: number;
  /** From the first old pod's termination to the first and last error, over all runs. */
  firstErrorSeconds?: number;
  lastErrorSeconds?: number;
  /** Errors per half second around the restart, summed over the runs. */
  errorBins: { atSeconds: number; count: number }[];
  /** Each old pod of every run: when it was first seen deleted, and gone, from its run's restart. */
  oldPods: { terminatingSeconds: number; goneSeconds: number | null }[];
}

const round2 = (value: number) => Math.round(value * 100) / 100;
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

export function caseSetting(studyCase: StudyCase): CaseSetting {
  const { mesh, injection, variant, preStopSeconds, sidecarMode, proxyDrainSeconds, exitOnZeroActiveConnections, proxyPreStopSeconds, connection } =
    studyCase;
  return { mesh, injection, variant, preStopSeconds, sidecarMode, proxyDrainSeconds, exitOnZeroActiveConnections, proxyPreStopSeconds, connection };
}

function meanOf<K extends string>(values: number[], key: K): { [key in K]?: number } {
  return (values.length > 0 ? { [key]: round2(mean(values)) } : {}) as { [key in K]?: number };
}

function measuredAt(measurements: RolloutMeasurement[]): { measuredAt?: string } {
  const times = measurements.flatMap((m) => (m.restartAt ? [m.restartAt] : []));
  return times.length > 0 ? { measuredAt: new Date(Math.max(...times) * 1000).toISOString() } : {};
}

export function caseResult(studyCase: StudyCase, measurements: RolloutMeasurement[]): CaseResult {
  const errors = emptyErrorCounts();
  const bins = new Map<number, number>();
  for (const m of measurements) {
    for (const [kind, count] of Object.entries(m.errors)) errors[kind as keyof ErrorCounts] += count;
    for (const bin of m.errorBins) bins.set(bin.atSeconds, (bins.get(bin.atSeconds) ?? 0) + bin.count);
  }
  const sidecars = [...new Set(measurements.map((m) => m.sidecar))];
  const result: CaseResult = {
    case: studyCase.name,
    status: "ok",
    setting: caseSetting(studyCase),
    sidecar: sidecars.length === 1 ? sidecars[0] : "mixed",
    runs: measurements.length,
    ...measuredAt(measurements),
    errors,
    errorBins: [...bins].sort(([a], [b]) => a - b).map(([atSeconds, count]) => ({ atSeconds, count })),
    oldPods: measurements.flatMap((m) => m.pods.map(({ terminatingSeconds, goneSeconds }) => ({ terminatingSeconds, goneSeconds }))),
  };
  const failures = measurements.flatMap((m, i) => (m.status === "failed" ? [`run ${i + 1}: ${m.reason}`] : []));
  if (failures.length > 0) return { ...result, status: "failed", reason: failures.join("; ") };

  const reports = measurements.map((m) => m.report!);
  const availabilities = reports.map((r) => r.availability);
  const windows = measurements.map(errorWindow).filter((w) => w !== undefined);
  return {
    ...result,
    availability: round2(mean(availabilities)),
    availabilityMin: Math.min(...availabilities),
    availabilityMax: Math.max(...availabilities),
    transactions: reports.reduce((sum, r) => sum + r.transactions, 0),
    failedTransactions: reports.reduce((sum, r) => sum + r.failedTransactions, 0),
    elapsedSeconds: round2(mean(reports.map((r) => r.elapsedSeconds))),
    rolloutSeconds: round2(mean(measurements.map((m) => m.rolloutSeconds ?? 0))),
    ...meanOf(measurements.flatMap((m) => (m.oldPodsGoneSeconds === undefined ? [] : [m.oldPodsGoneSeconds])), "oldPodsGoneSeconds"),
    ...(windows.length > 0 && {
      firstErrorSeconds: Math.min(...windows.map((w) => w.firstErrorSeconds)),
      lastErrorSeconds: Math.max(...windows.map((w) => w.lastErrorSeconds)),
    }),
  };
}

/**
 * One line a person reads, e.g.
 * `injection=true variant=hook sidecar=classic: 99.98 % available, 26 of 127705 requests failed`.
 * The sidecar is the one the test found on the pods, not the one asked for; the mesh is named only
 * when it is not the seed's sidecar mesh.
 */
export function summaryLine(result: CaseResult): string {
  const { mesh, injection, variant } = result.setting;
  const setting = `${mesh === "sidecar" ? "" : `mesh=${mesh} `}injection=${injection} variant=${variant} sidecar=${result.sidecar}`;
  if (result.status === "failed") return `${setting}: FAILED, ${result.reason}`;
  const runs = result.runs > 1 ? ` (mean of ${result.runs} runs)` : "";
  const requests = result.transactions! + result.failedTransactions!;
  return `${setting}: ${result.availability!.toFixed(2)} % available${runs}, ${result.failedTransactions} of ${requests} requests failed`;
}

/** The setting in a few words: the mesh, the hook, and the fix in use. */
export function describeSetting(setting: CaseSetting): string {
  const parts: string[] = [];
  if (setting.mesh === "none" || (setting.mesh === "sidecar" && !setting.injection)) parts.push("no mesh");
  else if (setting.mesh === "ambient") parts.push("ambient");
  else parts.push(`${setting.sidecarMode} sidecar`);
  parts.push(setting.variant === "hook" ? `preStop ${setting.preStopSeconds}s` : "no preStop");
  if (setting.proxyDrainSeconds > 0) parts.push(`drain ${setting.proxyDrainSeconds}s`);
  if (setting.exitOnZeroActiveConnections) parts.push("exit on zero connections");
  if (setting.proxyPreStopSeconds > 0) parts.push(`proxy preStop ${setting.proxyPreStopSeconds}s`);
  if (setting.connection === "keep-alive") parts.push("keep-alive load");
  return parts.join(", ");
}

/** The results as a Markdown table, one row per case, in the order the cases ran. */
export function summaryTable(results: CaseResult[]): string {
  const header =
    "| case | setting | sidecar found | availability | failed / requests | errors | rollout | old pods gone | errors after deletion |\n" +
    "| --- | --- | --- | ---: | ---: | --- | ---: | ---: | --- |";
  const rows = results.map((r) => {
    const cells = [r.case, describeSetting(r.setting), r.sidecar];
    if (r.status === "failed") return `| ${[...cells, `FAILED: ${r.reason}`, "", "", "", "", ""].join(" | ")} |`;
    const spread = r.runs > 1 ? ` (${r.availabilityMin!.toFixed(2)}–${r.availabilityMax!.toFixed(2)})` : "";
    const kinds = Object.entries(r.errors)
      .filter(([, count]) => count > 0)
      .map(([kind, count]) => `${kind} ${count}`)
      .join(", ");
    const window =
      r.firstErrorSeconds === undefined ? "" : `${r.firstErrorSeconds.toFixed(1)}–${r.lastErrorSeconds!.toFixed(1)} s`;
    return `| ${[
      ...cells,
      `${r.availability!.toFixed(2)} %${spread}`,
      `${r.failedTransactions} / ${r.transactions! + r.failedTransactions!}`,
      kinds || "none",
      `${r.rolloutSeconds!.toFixed(1)} s`,
      r.oldPodsGoneSeconds === undefined ? "" : `${r.oldPodsGoneSeconds.toFixed(1)} s`,
      window,
    ].join(" | ")} |`;
  });
  return [header, ...rows].join("\n");
}
