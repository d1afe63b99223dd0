import { classifySiegeError, parseSiegeReport, SiegeErrorKind, SiegeReport } from "./siege";

/** One old pod of the rollout, in seconds from the restart; `goneSeconds` null if never seen gone. */
export interface PodLifetime {
  name: string;
  terminatingSeconds: number;
  goneSeconds: number | null;
}

export type ErrorCounts = Record<SiegeErrorKind, number>;

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
  /** Errors per half second, keyed by the bin's start in seconds from the restart. */
  errorBins: { atSeconds: number; count: number }[];
  pods: PodLifetime[];
  report?: SiegeReport;
}

export function emptyErrorCounts(): ErrorCounts {
  return { connectionReset: 0, connectionRefused: 0, timeout: 0, http5xx: 0, other: 0 };
}

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
 * Seconds from the first old pod's termination to the first and the last error: how long after
 * SIGTERM requests began to fail, and for how long.
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
