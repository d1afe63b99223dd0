// Each case judged among the others: a fix against the case it fixes, and the stack's gate.
import { CaseResult, CaseSetting } from "./results";
import { fisherExactTwoSided } from "./stats";

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
    const rate = (c: CaseResult) => c.failures! / c.requests!;
    return {
      ...r,
      ...(baseline &&
        pValue !== undefined && {
          baseline: {
            case: baseline.case,
            pValue: Number(pValue.toPrecision(3)),
            differs: pValue < 0.05,
            rate: rate(r) < rate(baseline) ? ("lower" as const) : rate(r) > rate(baseline) ? ("higher" as const) : ("same" as const),
          },
        }),
      // The measured rate, unrounded: 0.504 per 10,000 is above a gate of 0.5.
      ...(maxFailuresPer10k !== undefined && { aboveGate: (rate(r) * 10000) > maxFailuresPer10k }),
    };
  });
}

/** Why the update fails: each case that failed to measure, or is above the gate, with its figures. */
export function verdictLines(results: CaseResult[], maxFailuresPer10k?: number): string[] {
  return results.flatMap((r) => {
    const name = r.case || "study";
    if (r.status === "failed") return [`measurement failed: ${name}: ${r.reason}`];
    if (!r.aboveGate) return [];
    return [
      `above the gate: ${name}: ${r.failuresPer10k} failures per 10,000 requests (${r.failures} of ${r.requests}; 95 % interval ` +
        `${r.failuresPer10kLower}–${r.failuresPer10kUpper}), above maxFailuresPer10k=${maxFailuresPer10k}`,
    ];
  });
}

/**
 * The gate judges the measured rate. A case at or below it whose interval still reaches above it
 * passed on too few requests to show its rate is below the gate: said, with how many would.
 */
export function gateWarnings(results: CaseResult[], maxFailuresPer10k?: number): string[] {
  if (maxFailuresPer10k === undefined) return [];
  return results.flatMap((r) => {
    if (r.status !== "ok" || r.aboveGate || r.failuresPer10kUpper === undefined || r.failuresPer10kUpper <= maxFailuresPer10k) return [];
    // With no failure, the 95 % upper bound is about 3 / n.
    const needed = maxFailuresPer10k > 0 ? `; with no failure, about ${Math.ceil(30000 / maxFailuresPer10k).toLocaleString("en-US")} requests would show it` : "";
    return [
      `${r.case || "study"}: ${r.failures} failures of ${r.requests} requests is at or below maxFailuresPer10k=${maxFailuresPer10k}, ` +
        `but not surely: the 95 % interval reaches ${r.failuresPer10kUpper} per 10,000${needed} (more qps, a longer settle, or repeats)`,
    ];
  });
}
