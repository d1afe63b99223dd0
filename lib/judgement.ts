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
