import { StudyCase } from "./settings";
import type { ErrorKind } from "./errorKinds";
import { asExpected, Expectation } from "./expectations";
import { emptyErrorCounts, ErrorCounts, errorWindow, Latency, PodLifetime, requestCounts, RolloutMeasurement } from "./rolloutOutput";
import { failureRateInterval, per10k } from "./stats";

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
  /** fortio: failures that started while this pod was the one deleted last. */
  failures?: number;
  /** fortio: from its first such failure to its last. */
  failureSpanSeconds?: number;
}

/** A fix compared with the case it fixes, by Fisher's exact test on their failures and requests. */
export interface BaselineComparison {
  case: string;
  /** The chance of failure counts at least this far apart were both rates the same. */
  pValue: number;
  /** Whether that chance is below 5 % (two-sided): the difference is more than chance. */
  differs: boolean;
  /** Which way: the fix's failure rate against its baseline's. */
  rate: "lower" | "higher" | "same";
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
  failureTimes?: { atSeconds: number; kind: ErrorKind; detail?: string }[];
  /**
   * Timed failures, of all runs, that started outside every old pod's shutdown (failuresOutsideShutdown):
   * not the rollout's; they are in `failures` all the same.
   */
  failuresOutsideShutdown?: number;
  /** A load in the cluster: how far its failures' times may be off, at most over the runs (clockUncertaintySeconds). */
  clockUncertaintySeconds?: number;
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
 * The kubelet may act on a deletion a little before the watch's event reaches this machine: a
 * shutdown is taken to start this much before the deletion the measurement saw.
 */
export const shutdownWatchLagSeconds = 0.2;
/**
 * How long after a pod is gone new connections may still be sent to it: kube-proxy rewrites the
 * node's rules at most once a second (minSyncPeriod), and a connection sent meanwhile to a pod just
 * gone hangs until the load's timeout; half a second more for a sync that runs late.
 */
export const shutdownRuleLagSeconds = 1.5;
/**
 * siege prints a failure when the request ends, not when it starts: a connect sent to a pod just
 * gone ends with "No route to host" once the host's ARP gives up (3 probes a second apart), or at
 * siege's own timeout (siege/siegerc, `timeout = 10`); a line may come that much after its start.
 */
export const siegeFailureEndLagSeconds = 10;

/** An old pod's shutdown as a measurement sees it: deleted, and gone (null: never seen gone). */
export type Shutdown = Pick<PodLifetime, "deletedSeconds" | "goneSeconds">;

/**
 * Whether a request that started `atSeconds` after the restart started within an old pod's
 * shutdown, the only time the rollout can make it fail: from the pod's deletion (`fromSeconds`
 * later at the earliest, when nothing in the pod stops serving before then) until kube-proxy has
 * stopped sending it new connections, a moment after it is gone. A pod never seen gone may be sent
 * requests until the end. `uncertaintySeconds`: how far `atSeconds` may be off (a load in the
 * cluster times by the pod's clock: clockUncertaintySeconds), by which the shutdown is widened.
 */
export function withinShutdown(atSeconds: number, pods: Shutdown[], fromSeconds = 0, uncertaintySeconds = 0): boolean {
  return pods.some(
    (p) =>
      p.deletedSeconds + fromSeconds - shutdownWatchLagSeconds - uncertaintySeconds <= atSeconds &&
      atSeconds <= (p.goneSeconds ?? Infinity) + shutdownRuleLagSeconds + uncertaintySeconds,
  );
}

/**
 * A run's timed failures that started outside every old pod's shutdown (withinShutdown): the
 * rollout cannot have caused them; the load's path can (docs/results.md, "Failures outside
 * every old pod's shutdown"). fortio times each failure by its start; siege only those it prints a
 * line for, per half second, by their end, so a bin counts here only if no shutdown reaches into it,
 * a shutdown's end taken siegeFailureEndLagSeconds later. Undefined when the run saw no old pod.
 */
export function failuresOutsideShutdown(m: RolloutMeasurement): number | undefined {
  if (m.pods.length === 0) return undefined;
  const uncertainty = m.clockUncertaintySeconds ?? 0;
  if (m.failures) return m.failures.filter((f) => !withinShutdown(f.atSeconds, m.pods, 0, uncertainty)).length;
  const binSeconds = 0.5;
  const reached = (start: number) =>
    m.pods.some(
      (p) =>
        p.deletedSeconds - shutdownWatchLagSeconds - uncertainty < start + binSeconds &&
        start <= (p.goneSeconds ?? Infinity) + shutdownRuleLagSeconds + siegeFailureEndLagSeconds + uncertainty,
    );
  return sum(m.errorBins.filter((b) => !reached(b.atSeconds)).map((b) => b.count));
}

/**
 * Each timed failure goes to the old pod deleted last before it: in a rolling restart a pod's
 * failures follow its deletion, and may outlast it by a moment (kube-proxy still sends connections
 * to a pod just gone, for up to its sync period). Which pod a request reached is not known (the load
 * goes through a Service); this is an attribution by time.
 */
export function oldPodsWithFailures(run: number, m: RolloutMeasurement): OldPod[] {
  const pods: OldPod[] = m.pods.map(({ name, deletedSeconds, goneSeconds }) => ({ run, name, deletedSeconds, goneSeconds }));
  if (!m.failures) return pods;
  const times = new Map<OldPod, number[]>(pods.map((p) => [p, []]));
  for (const failure of m.failures) {
    const owner = pods.filter((p) => p.deletedSeconds <= failure.atSeconds).sort((a, b) => b.deletedSeconds - a.deletedSeconds)[0];
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
  const outside = measurements.map(failuresOutsideShutdown).filter((n) => n !== undefined);
  const uncertainties = measurements.flatMap((m) => (m.clockUncertaintySeconds === undefined ? [] : [m.clockUncertaintySeconds]));
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
      failureTimes: measurements.flatMap((m) => (m.failures ?? []).map(({ atSeconds, kind, detail }) => ({ atSeconds, kind, ...(detail && { detail }) }))),
    }),
    ...(outside.length > 0 && { failuresOutsideShutdown: sum(outside) }),
    ...(uncertainties.length > 0 && { clockUncertaintySeconds: Math.max(...uncertainties) }),
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

/** The stack output failuresPer10k: the rate with its exact 95 % interval, when the load gives one. */
export function failureRateOutput(r: CaseResult): { rate: number; lower?: number; upper?: number } | undefined {
  return r.failuresPer10k === undefined ? undefined : { rate: r.failuresPer10k, lower: r.failuresPer10kLower, upper: r.failuresPer10kUpper };
}

/** The stack output errorWindowSeconds: the first and last timed failure, when any failure was timed. */
export function errorWindowOutput(r: CaseResult): { firstErrorSeconds: number; lastErrorSeconds?: number } | undefined {
  return r.firstErrorSeconds === undefined ? undefined : { firstErrorSeconds: r.firstErrorSeconds, lastErrorSeconds: r.lastErrorSeconds };
}
