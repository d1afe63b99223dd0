import { ERROR_KINDS, ErrorKind } from "./errorKinds";
import type { TimedFailure } from "./fortio";
import { classifySiegeError, parseSiegeReport, SiegeReport } from "./siege";

/**
 * One old pod of the rollout, in seconds from the restart, as a watch saw its events arrive:
 * deleted, and gone (null if never seen gone).
 */
export interface PodLifetime {
  name: string;
  deletedSeconds: number;
  goneSeconds: number | null;
}

/** Latency percentiles of the successful requests of a period, in seconds. */
export interface Latency {
  p50: number;
  p99: number;
  p999: number;
  /** How many successful requests they are of. */
  count: number;
}

/** What fortio's record of every request gives beyond the failures (scripts/summarize-fortio.ts). */
export interface FortioFigures {
  /** Requests fortio started, and the rate asked times the time it ran. */
  sent: number;
  asked: number;
  /** Requests started per second outside the old pods' shutdown window, and in it. */
  rateOutside?: number;
  rateShutdown?: number;
  latencyBefore?: Latency;
  latencyShutdown?: Latency;
}

/**
 * The failed requests by kind (lib/errorKinds.ts), and, for siege, one correction: the one list of
 * them (lib/results.ts, the outputs and the summary table read them generically, in this order).
 * Each failed request is counted once: the kinds add up to the failures, less `linesOverCount`.
 * With siege (scripts/summarize-siege.sh):
 * - connectionReset, connectionRefused, timeout, http5xx, other: by the siege line that ended the
 *   request (classifySiegeError; a timeout is a connect that did not complete within siege's
 *   timeout, whose two lines count once, or an HTTP 408).
 * - closedWithoutResponse: failed requests siege printed no line for, i.e. its failed count less
 *   the lines. siege gives them no time, so they are in no error bin.
 * - linesOverCount: not a kind but a correction: how many more failures siege's own lines claim
 *   than its report counts (a reset after the response header prints a line, yet the request
 *   succeeds). siege gives only its total, so this and closedWithoutResponse are netted.
 * With fortio (lib/fortio.ts), every failed request is in its record, timed, and of one kind.
 */
const ERROR_COUNT_KEYS = [...ERROR_KINDS, "linesOverCount"] as const;

export type ErrorCounts = Record<(typeof ERROR_COUNT_KEYS)[number], number>;

/** What one run of scripts/rollout-test.sh measured; `report` only when siege printed a complete one. */
export interface RolloutMeasurement {
  status: "ok" | "failed";
  load: "siege" | "fortio";
  /** Why the measurement failed: the rollout, or siege's report (quoting the end of the output). */
  reason?: string;
  sidecar: string;
  /** When the restart was issued, in seconds since the epoch; a measurement that got that far has it. */
  restartAt?: number;
  /**
   * A load in the cluster: how far its times, put on this machine's clock by the pod's clock offset,
   * may be off (half the width of the offset's bounds, scripts/load-clock.sh measure_clock_offset).
   */
  clockUncertaintySeconds?: number;
  rolloutSeconds?: number;
  /** From the restart until the last old pod was gone: what a longer shutdown or drain costs. */
  oldPodsGoneSeconds?: number;
  errors: ErrorCounts;
  /**
   * Failed requests per half second, keyed by the bin's start in seconds from the restart: those
   * siege printed a line for (closedWithoutResponse has no time), timed by that line.
   */
  errorBins: { atSeconds: number; count: number }[];
  pods: PodLifetime[];
  /** siege: its report. */
  report?: SiegeReport;
  /** fortio: every failed request, timed from the restart, and its other figures. */
  failures?: TimedFailure[];
  fortio?: FortioFigures;
}

/** A measurement's requests and failed requests, whichever the load. */
export function requestCounts(m: RolloutMeasurement): { requests: number; failures: number } {
  if (m.fortio) return { requests: m.fortio.sent, failures: m.failures?.length ?? 0 };
  const report = m.report!;
  return { requests: report.transactions + report.failedTransactions, failures: report.failedTransactions };
}

export function emptyErrorCounts(): ErrorCounts {
  return Object.fromEntries(ERROR_COUNT_KEYS.map((key) => [key, 0])) as ErrorCounts;
}

const isErrorCountKey = (key: string): key is keyof ErrorCounts => (ERROR_COUNT_KEYS as readonly string[]).includes(key);

function studyLines(stdout: string, key: string): string[] {
  const prefix = `study-${key}: `;
  return stdout
    .split("\n")
    .filter((line) => line.startsWith(prefix))
    .map((line) => line.slice(prefix.length).trim());
}

/** Reads the script's stdout (format documented at the top of scripts/rollout-test.sh). */
export function parseRolloutOutput(stdout: string): RolloutMeasurement {
  const [status = "failed the test script printed no status"] = studyLines(stdout, "status");
  const [rollout] = studyLines(stdout, "rollout-seconds");
  const [restartAt] = studyLines(stdout, "restart-at");
  const [clockUncertainty] = studyLines(stdout, "clock-uncertainty-seconds");
  const [oldPodsGone] = studyLines(stdout, "old-pods-gone-seconds");
  const errors = emptyErrorCounts();
  for (const line of studyLines(stdout, "errors")) {
    const [, count, text] = line.match(/^(\d+) (.*)$/) ?? [];
    if (count) errors[classifySiegeError(text)] += Number(count);
  }
  // What siege's lines do not tell, from its failed count (scripts/summarize-siege.sh): failures
  // without a line, or lines without a failure. Untimed: siege prints nothing to time them by.
  for (const line of studyLines(stdout, "failures")) {
    const [, key, count] = line.match(/^(\w+) (\d+)$/) ?? [];
    if (key && isErrorCountKey(key)) errors[key] += Number(count);
  }
  const binFields = (studyLines(stdout, "error-bins")[0] ?? "").split(/\s+/).filter(Boolean).map(Number);
  let errorBins = [];
  for (let i = 0; i + 1 < binFields.length; i += 2) errorBins.push({ atSeconds: binFields[i], count: binFields[i + 1] });
  const pods = studyLines(stdout, "pod").flatMap((line) => {
    const [, name, deleted, gone] = line.match(/^(\S+) deleted=(-?[\d.]+) gone=(-?[\d.]+|never)$/) ?? [];
    return name ? [{ name, deletedSeconds: Number(deleted), goneSeconds: gone === "never" ? null : Number(gone) }] : [];
  });
  const load = studyLines(stdout, "load")[0] === "fortio" ? "fortio" : "siege";
  const failures = load === "fortio" ? parseFailures(studyLines(stdout, "failure")) : undefined;
  if (failures) {
    for (const failure of failures) errors[failure.kind] += 1;
    errorBins = binned(failures.map((f) => f.atSeconds));
  }

  const measurement: RolloutMeasurement = {
    status: status === "ok" ? "ok" : "failed",
    load,
    sidecar: studyLines(stdout, "sidecar")[0] ?? "unknown",
    errors,
    errorBins,
    pods,
  };
  if (status !== "ok") measurement.reason = status.replace(/^failed\s*/, "");
  if (rollout !== undefined) measurement.rolloutSeconds = Number(rollout);
  if (restartAt !== undefined) measurement.restartAt = Number(restartAt);
  if (clockUncertainty !== undefined) measurement.clockUncertaintySeconds = Number(clockUncertainty);
  if (oldPodsGone !== undefined) measurement.oldPodsGoneSeconds = Number(oldPodsGone);
  if (load === "fortio") {
    const figures = parseFortioFigures(stdout);
    if (figures) return { ...measurement, failures, fortio: figures };
    return measurement.status === "failed" ? measurement : { ...measurement, status: "failed", reason: "fortio's record gave no request" };
  }
  const reportText = stdout
    .split("\n")
    .filter((line) => !line.startsWith("study-"))
    .join("\n");
  // A measurement the script reported failed before siege printed anything (its pods could not
  // start, say) owes no report.
  if (studyLines(stdout, "status").length > 0 && measurement.status === "failed" && reportText.trim() === "") return measurement;
  try {
    measurement.report = parseSiegeReport(reportText);
  } catch (error) {
    measurement.status = "failed";
    measurement.reason = [measurement.reason, (error as Error).message].filter(Boolean).join("; ");
  }
  return measurement;
}

/** `<s> <kind> <code>[ <detail>]` lines (lib/fortio.ts). */
function parseFailures(lines: string[]): TimedFailure[] {
  return lines.flatMap((line) => {
    const [, at, kind, code, detail] = line.match(/^(-?[\d.]+) (\w+) (-?\d+)(?: (.+))?$/) ?? [];
    if (!at || !(ERROR_KINDS as readonly string[]).includes(kind)) return [];
    return [{ atSeconds: Number(at), kind: kind as ErrorKind, code: Number(code), ...(detail && { detail }) }];
  });
}

/** Times in seconds from the restart, counted per half second. */
function binned(times: number[]): { atSeconds: number; count: number }[] {
  const bins = new Map<number, number>();
  for (const t of times) {
    const bin = Math.floor(t * 2) / 2;
    bins.set(bin, (bins.get(bin) ?? 0) + 1);
  }
  return [...bins].sort(([a], [b]) => a - b).map(([atSeconds, count]) => ({ atSeconds, count }));
}

const numberFields = (line: string) =>
  Object.fromEntries([...line.matchAll(/(\w+)=(-?[\d.]+)/g)].map(([, key, value]) => [key, Number(value)])) as Record<string, number>;

function parseFortioFigures(stdout: string): FortioFigures | undefined {
  const [requests] = studyLines(stdout, "requests");
  if (!requests) return undefined;
  const { sent, asked } = numberFields(requests);
  const figures: FortioFigures = { sent, asked };
  const [rate] = studyLines(stdout, "rate");
  if (rate) {
    const { outside, shutdown } = numberFields(rate);
    Object.assign(figures, { rateOutside: outside, rateShutdown: shutdown });
  }
  for (const line of studyLines(stdout, "latency")) {
    const [period] = line.split(" ");
    const { p50, p99, p999, n } = numberFields(line);
    const latency = { p50, p99, p999, count: n };
    if (period === "before") figures.latencyBefore = latency;
    if (period === "shutdown") figures.latencyShutdown = latency;
  }
  return figures;
}

/**
 * Seconds from the first old pod's deletion to the first and the last timed failure: how long after
 * deletion requests began to fail, and for how long. fortio times every failure to the
 * millisecond; siege only those it prints a line for, to the half second of their bin.
 */
export function errorWindow(measurement: RolloutMeasurement): { firstErrorSeconds: number; lastErrorSeconds: number } | undefined {
  if (measurement.pods.length === 0 || measurement.errorBins.length === 0) return undefined;
  const firstDeletion = Math.min(...measurement.pods.map((p) => p.deletedSeconds));
  const times = measurement.failures?.map((f) => f.atSeconds);
  const bins = measurement.errorBins.map((b) => b.atSeconds);
  const [first, last] = times ? [Math.min(...times), Math.max(...times)] : [Math.min(...bins), Math.max(...bins) + 0.5];
  const round = (seconds: number) => Math.round(seconds * 1000) / 1000;
  return { firstErrorSeconds: round(first - firstDeletion), lastErrorSeconds: round(last - firstDeletion) };
}
