import { StudyCase } from "../config/study";
import type { ErrorKind } from "./errorKinds";
import { asExpected, Expectation } from "./expectations";
import { emptyErrorCounts, ErrorCounts, errorWindow, Latency, requestCounts, RolloutMeasurement } from "./rolloutOutput";
import { failureRateInterval, fisherExactTwoSided, per10k } from "./stats";

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

/** An old pod of one run: its shutdown, and the failures timed within it (fortio). */
export interface OldPod {
  run: number;
  name: string;
  deletedSeconds: number;
  goneSeconds: number | null;
  /** fortio: failures that started while this pod was the latest deleted and not yet gone. */
  failures?: number;
  /** fortio: from its first such failure to its last. */
  failureSpanSeconds?: number;
}

/** A fix compared with the case it fixes, by Fisher's exact test on their failures and requests. */
export interface BaselineComparison {
  case: string;
  /** The chance of failure counts at least this far apart were both rates the same. */
  pValue: number;
  /** Whether that chance is below 5 %: the difference is more than chance. */
  differs: boolean;
}

/** One case's result over its runs; figures only when every run was measured. */
export interface CaseResult {
  case: string;
  status: "ok" | "failed";
  reason?: string;
  setting: CaseSetting;
  load: "siege" | "fortio";
  /** What the pods ran, as Istio's injector recorded it: none, classic, native, or mixed. */
  sidecar: string;
  runs: number;
  /** When the last of its runs restarted the Deployment (ISO 8601): the measurement's own time. */
  measuredAt?: string;
  /**
   * The Istio in the cluster while the case ran, whether the case used it or not: one Istio serves
   * every case, and a matrix with an ambient case installs the ambient profile for all.
   */
  istio?: string;
  /** What the case was expected to show; `asExpected`, whether it did (none for unknown). */
  expect: Expectation;
  asExpected?: boolean;
  /** Successful requests over all requests, in %, mean over the runs, with min and max. */
  availability?: number;
  availabilityMin?: number;
  availabilityMax?: number;
  /** Requests and failed requests of all runs, and the failure rate per 10,000 with its exact 95 % interval. */
  requests?: number;
  failures?: number;
  failuresPer10k?: number;
  failuresPer10kLower?: number;
  failuresPer10kUpper?: number;
  /** siege: its own figures, summed (elapsed: mean). */
  transactions?: number;
  failedTransactions?: number;
  elapsedSeconds?: number;
  /** fortio: requests asked (rate times time) of all runs; rates and latencies, mean over the runs. */
  asked?: number;
  rateOutside?: number;
  rateShutdown?: number;
  latencyBefore?: Latency;
  latencyShutdown?: Latency;
  errors: ErrorCounts;
  rolloutSeconds?: number;
  /** From the restart until the last old pod was gone, mean over the runs that saw it. */
  oldPodsGoneSeconds?: number;
  /** From the first old pod's deletion to the first and last timed failure, over all runs. */
  firstErrorSeconds?: number;
  lastErrorSeconds?: number;
  /** Timed failures per half second around the restart, summed over the runs. */
  errorBins: { atSeconds: number; count: number }[];
  /** fortio: every failure of every run, from its run's restart. */
  failureTimes?: { atSeconds: number; kind: ErrorKind }[];
  oldPods: OldPod[];
  baseline?: BaselineComparison;
  /** Whether its failure rate is above the stack's maxFailuresPer10k. */
  aboveGate?: boolean;
}

const round2 = (value: number) => Math.round(value * 100) / 100;
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

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

/**
 * Each timed failure goes to the old pod deleted last before it and not yet gone: in a rolling
 * restart a pod's failures follow its deletion. Which pod a request reached is not known (the load
 * goes through a Service); this is an attribution by time.
 */
export function oldPodsWithFailures(run: number, m: RolloutMeasurement): OldPod[] {
  const pods: OldPod[] = m.pods.map(({ name, deletedSeconds, goneSeconds }) => ({ run, name, deletedSeconds, goneSeconds }));
  if (!m.failures) return pods;
  const times = new Map<OldPod, number[]>(pods.map((p) => [p, []]));
  for (const failure of m.failures) {
    const owner = pods
      .filter((p) => p.deletedSeconds <= failure.atSeconds && (p.goneSeconds === null || failure.atSeconds <= p.goneSeconds))
      .sort((a, b) => b.deletedSeconds - a.deletedSeconds)[0];
    if (owner) times.get(owner)!.push(failure.atSeconds);
  }
  return pods.map((p) => {
    const own = times.get(p)!;
    return { ...p, failures: own.length, ...(own.length > 0 && { failureSpanSeconds: round3(Math.max(...own) - Math.min(...own)) }) };
  });
}
const round3 = (value: number) => Math.round(value * 1000) / 1000;

/** Percentiles averaged over the runs that have them. */
function meanLatency(latencies: (Latency | undefined)[]): Latency | undefined {
  const present = latencies.filter((l): l is Latency => l !== undefined);
  if (present.length === 0) return undefined;
  const at = (key: keyof Latency) => mean(present.map((l) => l[key]));
  return { p50: round6(at("p50")), p99: round6(at("p99")), p999: round6(at("p999")), count: sum(present.map((l) => l.count)) };
}
const round6 = (value: number) => Math.round(value * 1e6) / 1e6;

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
    load: measurements[0]?.load ?? "siege",
    sidecar: sidecars.length === 1 ? sidecars[0] : "mixed",
    runs: measurements.length,
    ...measuredAt(measurements),
    expect: studyCase.expect,
    errors,
    errorBins: [...bins].sort(([a], [b]) => a - b).map(([atSeconds, count]) => ({ atSeconds, count })),
    oldPods: measurements.flatMap((m, i) => oldPodsWithFailures(i + 1, m)),
  };
  const failed = measurements.flatMap((m, i) => (m.status === "failed" ? [`run ${i + 1}: ${m.reason}`] : []));
  if (failed.length > 0) return { ...result, status: "failed", reason: failed.join("; ") };

  const counts = measurements.map(requestCounts);
  const requests = sum(counts.map((c) => c.requests));
  const failures = sum(counts.map((c) => c.failures));
  const availabilities = counts.map((c) => round2((100 * (c.requests - c.failures)) / c.requests));
  const rate = failureRateInterval(failures, requests);
  const windows = measurements.map(errorWindow).filter((w) => w !== undefined);
  const reports = measurements.flatMap((m) => (m.report ? [m.report] : []));
  const fortio = measurements.flatMap((m) => (m.fortio ? [m.fortio] : []));
  return {
    ...result,
    ...(asExpected(studyCase.expect, failures) !== undefined && { asExpected: asExpected(studyCase.expect, failures) }),
    availability: round2(mean(availabilities)),
    availabilityMin: Math.min(...availabilities),
    availabilityMax: Math.max(...availabilities),
    requests,
    failures,
    failuresPer10k: round2(per10k(rate.rate)),
    failuresPer10kLower: round2(per10k(rate.lower)),
    failuresPer10kUpper: round2(per10k(rate.upper)),
    ...(reports.length > 0 && {
      transactions: sum(reports.map((r) => r.transactions)),
      failedTransactions: sum(reports.map((r) => r.failedTransactions)),
      elapsedSeconds: round2(mean(reports.map((r) => r.elapsedSeconds))),
    }),
    ...(fortio.length > 0 && {
      asked: sum(fortio.map((f) => f.asked)),
      ...meanOf(fortio.flatMap((f) => (f.rateOutside === undefined ? [] : [f.rateOutside])), "rateOutside"),
      ...meanOf(fortio.flatMap((f) => (f.rateShutdown === undefined ? [] : [f.rateShutdown])), "rateShutdown"),
      ...definedOnly({ latencyBefore: meanLatency(fortio.map((f) => f.latencyBefore)), latencyShutdown: meanLatency(fortio.map((f) => f.latencyShutdown)) }),
      failureTimes: measurements.flatMap((m) => (m.failures ?? []).map(({ atSeconds, kind }) => ({ atSeconds, kind }))),
    }),
    rolloutSeconds: round2(mean(measurements.map((m) => m.rolloutSeconds ?? 0))),
    ...meanOf(measurements.flatMap((m) => (m.oldPodsGoneSeconds === undefined ? [] : [m.oldPodsGoneSeconds])), "oldPodsGoneSeconds"),
    ...(windows.length > 0 && {
      firstErrorSeconds: Math.min(...windows.map((w) => w.firstErrorSeconds)),
      lastErrorSeconds: Math.max(...windows.map((w) => w.lastErrorSeconds)),
    }),
  };
}

function definedOnly<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The case a fix is measured against, found among the cases by its setting: for a sidecar fix
 * (a longer drain, exit on zero connections, a proxy preStop, a native sidecar, ambient) the classic
 * sidecar with the same preStop hook and nothing else; for the preStop hook without a mesh, no mesh
 * without it. Both with the same connection.
 */
export function baselineOf(result: CaseResult, results: CaseResult[]): CaseResult | undefined {
  const s = result.setting;
  const plain = (t: CaseSetting) => t.proxyDrainSeconds === 0 && !t.exitOnZeroActiveConnections && t.proxyPreStopSeconds === 0;
  const meshless = (t: CaseSetting) => t.mesh === "none" || (t.mesh === "sidecar" && !t.injection);
  const classicSidecar = (t: CaseSetting) => t.mesh === "sidecar" && t.injection && t.sidecarMode === "classic";
  const sidecarFix = s.variant === "hook" && (s.mesh === "ambient" || (s.mesh === "sidecar" && s.injection && (s.sidecarMode === "native" || !plain(s))));
  const matches = (t: CaseSetting) =>
    t.connection === s.connection &&
    (sidecarFix
      ? classicSidecar(t) && plain(t) && t.variant === "hook" && t.preStopSeconds === s.preStopSeconds
      : meshless(s) && s.variant === "hook" && meshless(t) && t.variant === "nohook");
  return results.find((other) => other !== result && other.status === "ok" && matches(other.setting));
}

/**
 * Each measured case with its baseline among `results` compared, and the gate applied: the results
 * a study reports.
 */
export function judgedResults(results: CaseResult[], maxFailuresPer10k?: number): CaseResult[] {
  return results.map((r) => {
    if (r.status !== "ok") return r;
    const baseline = baselineOf(r, results);
    const pValue = baseline ? fisherExactTwoSided(r.failures!, r.requests!, baseline.failures!, baseline.requests!) : undefined;
    return {
      ...r,
      ...(baseline && pValue !== undefined && { baseline: { case: baseline.case, pValue: Number(pValue.toPrecision(3)), differs: pValue < 0.05 } }),
      ...(maxFailuresPer10k !== undefined && { aboveGate: r.failuresPer10k! > maxFailuresPer10k }),
    };
  });
}

/** Why the update fails: each case that failed to measure, or is above the gate, with its figures. */
export function verdictLines(results: CaseResult[], maxFailuresPer10k?: number): string[] {
  return results.flatMap((r) => {
    const name = r.case || "study";
    if (r.status === "failed") return [`${name}: ${r.reason}`];
    if (!r.aboveGate) return [];
    return [
      `${name}: ${r.failuresPer10k} failures per 10,000 requests (${r.failures} of ${r.requests}; 95 % interval ` +
        `${r.failuresPer10kLower}–${r.failuresPer10kUpper}), above maxFailuresPer10k=${maxFailuresPer10k}`,
    ];
  });
}

/** `2.27 per 10,000 (95 %: 1.52–3.26)`: a failure rate and how sure it is. */
export function rateText(r: CaseResult): string {
  return `${r.failuresPer10k!.toFixed(2)} per 10,000 (95 %: ${r.failuresPer10kLower!.toFixed(2)}–${r.failuresPer10kUpper!.toFixed(2)})`;
}

/** `as expected (lossless)`, `NOT as expected (lossy)`, or `no expectation`. */
export function expectationText(r: CaseResult): string {
  if (r.asExpected === undefined) return "no expectation";
  return `${r.asExpected ? "as expected" : "NOT as expected"} (${r.expect})`;
}

/**
 * One line a person reads, e.g. `injection=true variant=hook sidecar=classic: 99.98 % available,
 * 29 of 127708 requests failed, 2.27 per 10,000 (95 %: 1.52–3.26), as expected (lossy)`. The
 * sidecar is the one the test found on the pods, not the one asked for; the mesh is named only
 * when it is not the seed's sidecar mesh.
 */
export function summaryLine(result: CaseResult): string {
  const { mesh, injection, variant } = result.setting;
  const setting = `${mesh === "sidecar" ? "" : `mesh=${mesh} `}injection=${injection} variant=${variant} sidecar=${result.sidecar}`;
  if (result.status === "failed") return `${setting}: FAILED, ${result.reason}`;
  const runs = result.runs > 1 ? ` (mean of ${result.runs} runs)` : "";
  return (
    `${setting}: ${result.availability!.toFixed(2)} % available${runs}, ${result.failures} of ${result.requests} requests failed, ` +
    `${rateText(result)}, ${expectationText(result)}${result.aboveGate ? ", ABOVE THE GATE" : ""}`
  );
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
    "| case | setting | sidecar found | failed / requests | failures per 10,000 (95 %) | expected | vs its baseline | errors | rollout | old pods gone | errors after deletion |\n" +
    "| --- | --- | --- | ---: | ---: | --- | --- | --- | ---: | ---: | --- |";
  const rows = results.map((r) => {
    const cells = [r.case, describeSetting(r.setting), r.sidecar];
    if (r.status === "failed") return `| ${[...cells, `FAILED: ${r.reason}`, "", "", "", "", "", "", ""].join(" | ")} |`;
    const kinds = Object.entries(r.errors)
      .filter(([, count]) => count > 0)
      .map(([kind, count]) => `${kind} ${count}`)
      .join(", ");
    const window =
      r.firstErrorSeconds === undefined ? "" : `${r.firstErrorSeconds.toFixed(1)}–${r.lastErrorSeconds!.toFixed(1)} s`;
    const baseline = r.baseline
      ? `${r.baseline.differs ? "differs" : "no clear difference"} from ${r.baseline.case} (p = ${r.baseline.pValue})`
      : "";
    return `| ${[
      ...cells,
      `${r.failures} / ${r.requests}`,
      `${r.failuresPer10k!.toFixed(2)} (${r.failuresPer10kLower!.toFixed(2)}–${r.failuresPer10kUpper!.toFixed(2)})${r.aboveGate ? " ABOVE THE GATE" : ""}`,
      expectationText(r),
      baseline,
      kinds || "none",
      `${r.rolloutSeconds!.toFixed(1)} s`,
      r.oldPodsGoneSeconds === undefined ? "" : `${r.oldPodsGoneSeconds.toFixed(1)} s`,
      window,
    ].join(" | ")} |`;
  });
  return [header, ...rows].join("\n");
}
