import * as fs from "fs";
import * as path from "path";
import { fortioConnections } from "./loadJob";
import { TestSettings } from "./settings";
import type { ErrorKind } from "./errorKinds";
import { CaseResult, shutdownRuleLagSeconds } from "./results";
import { describeSetting, summaryTable } from "./summary";

const escapeXml = (text: string) => text.replace(/[<>&"]/g, (c) => `&${{ "<": "lt", ">": "gt", "&": "amp", '"': "quot" }[c]};`);
const font = 'font-family="sans-serif" font-size="12"';

function svg(width: number, height: number, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...body,
    "</svg>",
    "",
  ].join("\n");
}

/**
 * Availability per case as horizontal bars. The axis starts below the lowest figure, not at 0, since
 * the differences that matter are fractions of a percent; its ticks say so.
 */
export function availabilityChart(results: CaseResult[]): string {
  const labelWidth = 170;
  const plotWidth = 420;
  const rowHeight = 26;
  const measured = results.filter((r) => r.availability !== undefined).map((r) => r.availabilityMin!);
  // Half a percent of room below the lowest figure keeps its bar visible.
  const axisStart = Math.min(99, Math.floor(Math.min(100, ...measured) - 0.5));
  const x = (value: number) => labelWidth + ((value - axisStart) / (100 - axisStart)) * plotWidth;
  const height = 40 + rowHeight * results.length + 30;
  const body = [`<text x="10" y="20" ${font} font-weight="bold">Availability during the rolling restart (%)</text>`];
  results.forEach((r, i) => {
    const y = 36 + i * rowHeight;
    body.push(`<text x="10" y="${y + 15}" ${font}>${escapeXml(r.case || "study")}</text>`);
    if (r.availability === undefined) {
      body.push(`<text x="${labelWidth + 4}" y="${y + 15}" ${font} fill="#b00">failed: ${escapeXml((r.reason ?? "").slice(0, 60))}</text>`);
      return;
    }
    const colour = r.availability >= 100 ? "#2a8a3e" : "#d9822b";
    body.push(`<rect x="${labelWidth}" y="${y + 3}" width="${(x(r.availability) - labelWidth).toFixed(1)}" height="16" fill="${colour}"/>`);
    if (r.runs > 1) {
      const y1 = y + 11;
      body.push(`<line x1="${x(r.availabilityMin!).toFixed(1)}" x2="${x(r.availabilityMax!).toFixed(1)}" y1="${y1}" y2="${y1}" stroke="black"/>`);
    }
    body.push(`<text x="${labelWidth + plotWidth + 6}" y="${y + 15}" ${font}>${r.availability.toFixed(2)}</text>`);
  });
  const axisY = 36 + rowHeight * results.length + 4;
  body.push(`<line x1="${labelWidth}" x2="${labelWidth + plotWidth}" y1="${axisY}" y2="${axisY}" stroke="#555"/>`);
  for (let tick = 0; tick <= 4; tick++) {
    const value = axisStart + ((100 - axisStart) * tick) / 4;
    body.push(`<text x="${x(value).toFixed(1)}" y="${axisY + 16}" ${font} text-anchor="middle">${value.toFixed(2)}</text>`);
  }
  return svg(labelWidth + plotWidth + 60, height, body);
}

/** The colour of each kind of failure on the timeline. */
export const kindColours: Record<ErrorKind, string> = {
  connectionReset: "#8e44ad",
  connectionRefused: "#c0392b",
  timeout: "#2c3e50",
  http5xx: "#d35400",
  closedWithoutResponse: "#16a085",
  other: "#7f8c8d",
};

/**
 * Failures around the restart (at 0 s), one row per case, over the old pods' shutdowns: a grey band
 * from each pod's deletion to its end, so that a reader sees the failures against the shutdown.
 * fortio's failures are each a tick at its time, in the colour of its kind; siege's, those it timed,
 * bars per half second, each row scaled to its own peak.
 */
export function errorTimelineChart(results: CaseResult[]): string {
  const labelWidth = 170;
  const plotWidth = 480;
  // Room under each row's baseline for the old pods' bands.
  const rowHeight = 52;
  const times = results.flatMap((r) => [...r.errorBins.map((b) => b.atSeconds), ...(r.failureTimes ?? []).map((f) => f.atSeconds)]);
  const gone = results.flatMap((r) => r.oldPods.flatMap((p) => (p.goneSeconds === null ? [] : [p.goneSeconds])));
  const start = Math.min(0, ...times, ...results.flatMap((r) => r.oldPods.map((p) => p.deletedSeconds)));
  const end = Math.max(10, ...times.map((t) => t + 0.5), ...gone);
  const x = (seconds: number) => labelWidth + ((seconds - start) / (end - start)) * plotWidth;
  const top = 36;
  const legendHeight = 18;
  const height = top + rowHeight * results.length + 30 + legendHeight;
  const body = [
    `<text x="10" y="20" ${font} font-weight="bold">Failed requests, seconds from the rollout restart</text>`,
    `<line x1="${x(0).toFixed(1)}" x2="${x(0).toFixed(1)}" y1="${top}" y2="${top + rowHeight * results.length}" stroke="#888" stroke-dasharray="4 3"/>`,
    `<text x="${(x(0) + 4).toFixed(1)}" y="${top - 4}" ${font} fill="#666">restart</text>`,
    `<text x="${labelWidth + plotWidth}" y="${top - 4}" ${font} fill="#666" text-anchor="end">grey under a row: an old pod, from its deletion until it was gone</text>`,
  ];
  results.forEach((r, i) => {
    const baseline = top + (i + 1) * rowHeight - 16;
    body.push(`<text x="10" y="${baseline - 8}" ${font}>${escapeXml(r.case || "study")}</text>`);
    body.push(`<line x1="${labelWidth}" x2="${labelWidth + plotWidth}" y1="${baseline}" y2="${baseline}" stroke="#ccc"/>`);
    // One thin band per old pod, stacked below the baseline; a pod never seen gone runs to the end.
    r.oldPods.forEach((pod, k) => {
      const y = baseline + 2 + (k % 4) * 3;
      const until = x(pod.goneSeconds ?? end);
      body.push(
        `<rect x="${x(pod.deletedSeconds).toFixed(1)}" y="${y}" width="${Math.max(1, until - x(pod.deletedSeconds)).toFixed(1)}" height="2" fill="#888"/>`,
      );
    });
    if (r.failureTimes) {
      body.push(`<text x="10" y="${baseline + 4}" ${font} fill="#666">${r.failureTimes.length} failed</text>`);
      for (const f of r.failureTimes) {
        body.push(`<line x1="${x(f.atSeconds).toFixed(1)}" x2="${x(f.atSeconds).toFixed(1)}" y1="${baseline - (rowHeight - 22)}" y2="${baseline}" stroke="${kindColours[f.kind]}" stroke-opacity="0.6"/>`);
      }
      return;
    }
    const peak = Math.max(0, ...r.errorBins.map((b) => b.count));
    body.push(`<text x="10" y="${baseline + 4}" ${font} fill="#666">peak ${peak} per 0.5 s</text>`);
    for (const bin of r.errorBins) {
      const barHeight = (bin.count / peak) * (rowHeight - 22);
      const width = Math.max(1, x(bin.atSeconds + 0.5) - x(bin.atSeconds) - 1);
      body.push(
        `<rect x="${x(bin.atSeconds).toFixed(1)}" y="${(baseline - barHeight).toFixed(1)}" width="${width.toFixed(1)}" height="${barHeight.toFixed(1)}" fill="#c0392b"/>`,
      );
    }
  });
  const axisY = top + rowHeight * results.length + 6;
  for (let seconds = Math.ceil(start / 5) * 5; seconds <= end; seconds += 5) {
    body.push(`<text x="${x(seconds).toFixed(1)}" y="${axisY + 12}" ${font} text-anchor="middle">${seconds}</text>`);
  }
  if (results.some((r) => r.failureTimes)) {
    let legendX = labelWidth;
    for (const [kind, colour] of Object.entries(kindColours)) {
      body.push(`<rect x="${legendX}" y="${height - 14}" width="10" height="10" fill="${colour}"/>`);
      body.push(`<text x="${legendX + 13}" y="${height - 5}" ${font}>${kind}</text>`);
      legendX += 26 + kind.length * 6.5;
    }
  }
  return svg(Math.max(labelWidth + plotWidth + 20, 1000), height, body);
}

const seconds = (value: number) => `${(value * 1000).toFixed(1)} ms`;

/** What fortio's record gives of a case beyond the table: rates, latencies, and each old pod. */
function fortioDetails(r: CaseResult): string[] {
  if (r.status !== "ok" || r.asked === undefined) return [];
  const lines = [
    `  - requests: ${r.requests} sent of ${r.asked} asked; sent per second: ${r.rateOutside ?? "?"} outside the shutdown window, ` +
      `${r.rateShutdown ?? "?"} in it (a generator that fell behind sends fewer than asked)`,
  ];
  const latency = (name: string, l: CaseResult["latencyBefore"]) =>
    l ? [`  - latency of successful requests ${name}: p50 ${seconds(l.p50)}, p99 ${seconds(l.p99)}, p99.9 ${seconds(l.p999)} (${l.count} requests)`] : [];
  lines.push(...latency("before the restart", r.latencyBefore), ...latency("during the shutdown window", r.latencyShutdown));
  const others = new Map<string, number>();
  for (const { detail } of r.failureTimes ?? []) if (detail) others.set(detail, (others.get(detail) ?? 0) + 1);
  for (const [detail, count] of others) lines.push(`  - ${count} failed of kind other: \`${detail.replace(/`/g, "'")}\``);
  for (const pod of r.oldPods) {
    const span = pod.failureSpanSeconds === undefined ? "" : `, from first to last ${pod.failureSpanSeconds.toFixed(3)} s`;
    const gone = pod.goneSeconds === null ? "never seen gone" : `gone at ${pod.goneSeconds.toFixed(3)} s`;
    lines.push(`  - run ${pod.run}, ${pod.name}: deleted at ${pod.deletedSeconds.toFixed(3)} s, ${gone}; ${pod.failures ?? 0} failed${span}`);
  }
  return lines;
}

/**
 * The failures that started outside every old pod's shutdown, apart from the rollout's: how many,
 * why the rollout cannot have caused them, and where to read what can.
 */
function outsideDetails(r: CaseResult): string[] {
  if (r.status !== "ok" || !r.failuresOutsideShutdown) return [];
  return [
    `  - ${r.failuresOutsideShutdown} of the ${r.failures} failures started outside every old pod's shutdown (before its deletion, or ` +
      `more than ${shutdownRuleLagSeconds} s after it was gone): the rollout cannot have caused them, and they are counted all the same. ` +
      "From this machine through a NodePort, a load that opens many connections a second, or follows such a load within a minute, " +
      "loses connects on its own: docs/results.md, \"Failures outside every old pod's shutdown\"",
  ];
}

/** The connections fortio used, as each case's `connection` sized them. */
function fortioConnectionsText(results: CaseResult[], test: TestSettings): string {
  const connections = [...new Set(results.filter((r) => r.load === "fortio").map((r) => r.setting.connection))];
  return connections
    .map((c) => (c === "keep-alive" ? `${fortioConnections(test, c)} kept connections` : `${fortioConnections(test, c)} connections, a new one per request`))
    .join(" or ");
}

/** How the load ran and what its figures mean, for the load the cases used. */
function loadExplanation(results: CaseResult[], test: TestSettings): string[] {
  const window = `(${test.warmupSeconds} s warm-up, the rollout until the last old pod is gone, ${test.settleSeconds} s settle; ${test.repeats} run(s) per case)`;
  const common = [
    "Failures per 10,000 requests are over all runs of a case, with Clopper-Pearson's exact 95 % interval (2.5 % on each side;",
    "at 0 failures, the whole 5 % above: the rate is at most the upper bound). A fix is compared with its baseline by Fisher's",
    "exact test, two-sided: fewer or more failures than its baseline when p < 0.05, i.e. a difference this large would come",
    "by chance less than once in 20 studies; else no clear difference.",
    "The expectation is what docs/istio-shutdown.md leads to expect of the setting (or the case's own `expect`).",
  ];
  if (results.some((r) => r.load === "fortio")) {
    return [
      `fortio sent ${test.qps} requests a second over ${fortioConnectionsText(results, test)}, whatever the answers ${window}: the rate of`,
      "failures does not depend on how fast failures come back, and compares across cases and machines. Every request is in",
      "fortio's record: each failure is timed to the millisecond and classified by fortio's own log line for it.",
      ...common,
    ];
  }
  return [
    `siege ran ${test.concurrency} concurrent users, each sending its next request when the last one ended ${window}.`,
    "That closed loop makes the number of requests, and of failures, depend on how fast failures come back (a refused connection",
    "returns at once and is retried at once): compare siege's figures within a run, not across cases or machines.",
    "siege gives no time to a connection closed before any response header (closedWithoutResponse); it is in no bin.",
    ...common,
  ];
}

/** The report a person reads: the table, how the load ran, the two charts, and each case in detail. */
export function reportMarkdown(title: string, results: CaseResult[], test: TestSettings): string {
  const cases = results.flatMap((r) => [`- **${r.case || "study"}**: ${describeSetting(r.setting)}; \`${JSON.stringify(r.setting)}\``, ...fortioDetails(r), ...outsideDetails(r)]);
  return [
    `# ${title}`,
    "",
    summaryTable(results),
    "",
    ...loadExplanation(results, test),
    `Istio in the cluster: ${results[0]?.istio ?? "unknown"}, for every case.`,
    "'Rollout' runs from the restart (its time taken just before it was sent) until the last old pod was deleted, 'old pods gone'",
    "until it was gone, as a watch of the pods saw the events arrive; 'errors after deletion' from the first old pod's deletion to the",
    "first and the last timed failure.",
    "",
    "![availability per case](availability.svg)",
    "",
    "![failures over time](errors.svg)",
    "",
    "## Cases",
    "",
    ...cases,
    "",
  ].join("\n");
}

/**
 * Writes the report and its charts under `dir/<stack>/<time>/`, the time being that of the latest
 * measurement, and returns that folder: a run that measured nothing new finds its report written
 * and writes nothing. Undefined when no case got as far as its restart.
 */
export function writeReport(dir: string, stack: string, results: CaseResult[], test: TestSettings): string | undefined {
  const times = results.flatMap((r) => (r.measuredAt ? [r.measuredAt] : [])).sort();
  if (times.length === 0) return undefined;
  const measuredAt = times[times.length - 1];
  const folder = path.join(dir, stack, measuredAt.replace(/[:.]/g, "-"));
  if (fs.existsSync(path.join(folder, "report.md"))) return folder;
  fs.mkdirSync(folder, { recursive: true });
  const title = `Istio sidecar exit study: stack ${stack}, measured ${measuredAt}`;
  fs.writeFileSync(path.join(folder, "report.md"), reportMarkdown(title, results, test));
  fs.writeFileSync(path.join(folder, "availability.svg"), availabilityChart(results));
  fs.writeFileSync(path.join(folder, "errors.svg"), errorTimelineChart(results));
  return folder;
}
