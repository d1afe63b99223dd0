// The results as a person reads them: a line for one case, a table for several.
import { CaseResult, CaseSetting } from "./results";

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
 * 29 of 127708 requests failed, 2.27 per 10,000 (95 %: 1.52–3.26), NOT as expected (lossless)`. The
 * sidecar is the one the test found on the pods, not the one asked for; the mesh is named only
 * when it is not the seed's sidecar mesh.
 */
export function summaryLine(result: CaseResult): string {
  const { mesh, injection, variant } = result.setting;
  const setting = `${mesh === "sidecar" ? "" : `mesh=${mesh} `}injection=${injection} variant=${variant} sidecar=${result.sidecar}`;
  if (result.status === "failed") return `${setting}: FAILED, ${result.reason}`;
  const runs = result.runs > 1 ? ` (mean of ${result.runs} runs)` : "";
  return (
    `${setting}: ${result.availability!.toFixed(2)} % available${runs}, ${result.failures} of ${result.requests} requests failed` +
    `${outsideText(result, " (", ")")}, ${rateText(result)}, ${expectationText(result)}${result.aboveGate ? ", ABOVE THE GATE" : ""}`
  );
}

/**
 * `2 of them outside every old pod's shutdown`, between `before` and `after`, or nothing when every
 * timed failure started within one: those the rollout cannot have caused, counted all the same.
 */
export function outsideText(r: CaseResult, before = "", after = ""): string {
  if (!r.failuresOutsideShutdown) return "";
  return `${before}${r.failuresOutsideShutdown} of them outside every old pod's shutdown${after}`;
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

/**
 * Text as one cell of a Markdown table row: a pipe would end the cell and a line break the row, and
 * a failure's reason may hold either (a kubelet's message, the end of a load's output). A backslash
 * is escaped too, so that one before a pipe does not undo the pipe's escape; lines are joined.
 */
export function markdownCell(text: string): string {
  return text
    .replace(/[\\|]/g, (c) => `\\${c}`)
    .replace(/\s*[\r\n]+\s*/g, " ");
}

/** The results as a Markdown table, one row per case, in the order the cases ran. */
export function summaryTable(results: CaseResult[]): string {
  const header =
    "| case | setting | sidecar found | failed / requests | failures per 10,000 (95 %) | expected | vs its baseline | errors | rollout | old pods gone | errors after deletion |\n" +
    "| --- | --- | --- | ---: | ---: | --- | --- | --- | ---: | ---: | --- |";
  const row = (cells: string[]) => `| ${cells.map(markdownCell).join(" | ")} |`;
  const rows = results.map((r) => {
    const cells = [r.case, describeSetting(r.setting), r.sidecar];
    if (r.status === "failed") return row([...cells, `FAILED: ${r.reason}`, "", "", "", "", "", "", ""]);
    const kinds = Object.entries(r.errors)
      .filter(([, count]) => count > 0)
      .map(([kind, count]) => `${kind} ${count}`)
      .join(", ");
    const window =
      r.firstErrorSeconds === undefined ? "" : `${r.firstErrorSeconds.toFixed(1)}–${r.lastErrorSeconds!.toFixed(1)} s`;
    const baseline = r.baseline
      ? `${r.baseline.differs ? `${r.baseline.rate === "lower" ? "fewer failures than" : "more failures than"}` : "no clear difference from"} ${r.baseline.case} (p = ${r.baseline.pValue})`
      : "";
    return row([
      ...cells,
      `${r.failures} / ${r.requests}`,
      `${r.failuresPer10k!.toFixed(2)} (${r.failuresPer10kLower!.toFixed(2)}–${r.failuresPer10kUpper!.toFixed(2)})${r.aboveGate ? " ABOVE THE GATE" : ""}`,
      expectationText(r),
      baseline,
      `${kinds || "none"}${outsideText(r, "; ")}`,
      `${r.rolloutSeconds!.toFixed(1)} s`,
      r.oldPodsGoneSeconds === undefined ? "" : `${r.oldPodsGoneSeconds.toFixed(1)} s`,
      window,
    ]);
  });
  return [header, ...rows].join("\n");
}
