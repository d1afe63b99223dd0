import { classifySiegeError, parseSiegeReport, SiegeReport } from "./siege";

/** One old pod of the rollout, in seconds from the restart; `goneSeconds` null if never seen gone. */
export interface PodLifetime {
  name: string;
  terminatingSeconds: number;
  goneSeconds: number | null;
}

/**
 * The failed requests by kind: the one list of them (lib/results.ts, the outputs and the summary
 * table read them generically, in this order). Each failed request is counted once: the kinds add
 * up to siege's failedTransactions, less `linesOverCount`.
 * - connectionReset, connectionRefused, timeout, http5xx, other: by the siege line that ended the
 *   request (classifySiegeError; a timeout is a connect that did not complete within siege's
 *   timeout, whose two lines count once, or an HTTP 408).
 * - closedWithoutResponse: failed requests siege printed no line for, i.e. its failed count less
 *   the lines: a connection closed (FIN) before a complete response header, as when a proxy exits
 *   after its drain. siege gives them no time, so they are in no error bin.
 * - linesOverCount: not a kind but a correction: how many more failures siege's own lines claim
 *   than its report counts (a reset after the response header prints a line, yet the request
 *   succeeds). siege gives only its total, so this and closedWithoutResponse are netted.
 */
const ERROR_COUNT_KEYS = [
  "connectionReset",
  "connectionRefused",
  "timeout",
  "http5xx",
  "closedWithoutResponse",
  "other",
  "linesOverCount",
] as const;

export type ErrorCounts = Record<(typeof ERROR_COUNT_KEYS)[number], number>;

/** What one run of scripts/rollout-test.sh measured; `report` only when siege printed a complete one. */
export interface RolloutMeasurement {
  status: "ok" | "failed";
  /** Why the measurement failed: the rollout, or siege's report (quoting the end of the output). */
  reason?: string;
  sidecar: string;
  /** When the restart was issued, in seconds since the epoch; a measurement that got that far has it. */
  restartAt?: number;
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
  report?: SiegeReport;
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
  const errorBins = [];
  for (let i = 0; i + 1 < binFields.length; i += 2) errorBins.push({ atSeconds: binFields[i], count: binFields[i + 1] });
  const pods = studyLines(stdout, "pod").flatMap((line) => {
    const [, name, terminating, gone] = line.match(/^(\S+) terminating=(-?[\d.]+) gone=(-?[\d.]+|never)$/) ?? [];
    return name ? [{ name, terminatingSeconds: Number(terminating), goneSeconds: gone === "never" ? null : Number(gone) }] : [];
  });

  const measurement: RolloutMeasurement = {
    status: status === "ok" ? "ok" : "failed",
    sidecar: studyLines(stdout, "sidecar")[0] ?? "unknown",
    errors,
    errorBins,
    pods,
  };
  if (status !== "ok") measurement.reason = status.replace(/^failed\s*/, "");
  if (rollout !== undefined) measurement.rolloutSeconds = Number(rollout);
  if (restartAt !== undefined) measurement.restartAt = Number(restartAt);
  if (oldPodsGone !== undefined) measurement.oldPodsGoneSeconds = Number(oldPodsGone);
  const reportText = stdout
    .split("\n")
    .filter((line) => !line.startsWith("study-"))
    .join("\n");
  try {
    measurement.report = parseSiegeReport(reportText);
  } catch (error) {
    measurement.status = "failed";
    measurement.reason = [measurement.reason, (error as Error).message].filter(Boolean).join("; ");
  }
  return measurement;
}

/**
 * Seconds from the first old pod's deletion, as the half-second poll first saw it, to the first and
 * the last failure siege printed a line for: how long after deletion requests began to fail, and for
 * how long. Failures siege prints nothing for have no time and are not in it.
 */
export function errorWindow(measurement: RolloutMeasurement): { firstErrorSeconds: number; lastErrorSeconds: number } | undefined {
  if (measurement.pods.length === 0 || measurement.errorBins.length === 0) return undefined;
  const firstTermination = Math.min(...measurement.pods.map((p) => p.terminatingSeconds));
  const bins = measurement.errorBins.map((b) => b.atSeconds);
  const round = (seconds: number) => Math.round(seconds * 10) / 10;
  return {
    firstErrorSeconds: round(Math.min(...bins) - firstTermination),
    lastErrorSeconds: round(Math.max(...bins) + 0.5 - firstTermination),
  };
}
