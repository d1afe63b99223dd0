import * as fs from "fs";
import * as path from "path";
import { TestSettings } from "../config/study";
import { CaseResult, describeSetting, summaryTable } from "./results";

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

/**
 * Errors per half second around the restart (at 0 s), one row per case, each scaled to its own peak,
 * over the old pods' shutdowns: a grey band from each pod's deletion to its end, so that a reader sees
 * the failures against the shutdown.
 */
export function errorTimelineChart(results: CaseResult[]): string {
  const labelWidth = 170;
  const plotWidth = 480;
  // Room under each row's baseline for the old pods' bands.
  const rowHeight = 52;
  const bins = results.flatMap((r) => r.errorBins.map((b) => b.atSeconds));
  const gone = results.flatMap((r) => r.oldPods.flatMap((p) => (p.goneSeconds === null ? [] : [p.goneSeconds])));
  const start = Math.min(0, ...bins);
  const end = Math.max(10, ...bins.map((b) => b + 0.5), ...gone);
  const x = (seconds: number) => labelWidth + ((seconds - start) / (end - start)) * plotWidth;
  const top = 36;
  const height = top + rowHeight * results.length + 30;
  const body = [
    `<text x="10" y="20" ${font} font-weight="bold">Failed requests per 0.5 s, seconds from the rollout restart</text>`,
    `<line x1="${x(0).toFixed(1)}" x2="${x(0).toFixed(1)}" y1="${top}" y2="${height - 30}" stroke="#888" stroke-dasharray="4 3"/>`,
    `<text x="${(x(0) + 4).toFixed(1)}" y="${top - 4}" ${font} fill="#666">restart</text>`,
    `<text x="${labelWidth + plotWidth}" y="${top - 4}" ${font} fill="#666" text-anchor="end">grey under a row: an old pod, from its deletion until it was gone</text>`,
  ];
  results.forEach((r, i) => {
    const baseline = top + (i + 1) * rowHeight - 16;
    const peak = Math.max(0, ...r.errorBins.map((b) => b.count));
    body.push(`<text x="10" y="${baseline - 8}" ${font}>${escapeXml(r.case || "study")}</text>`);
    body.push(`<text x="10" y="${baseline + 4}" ${font} fill="#666">peak ${peak}</text>`);
    body.push(`<line x1="${labelWidth}" x2="${labelWidth + plotWidth}" y1="${baseline}" y2="${baseline}" stroke="#ccc"/>`);
    // One thin band per old pod, stacked below the baseline; a pod never seen gone runs to the end.
    r.oldPods.forEach((pod, k) => {
      const y = baseline + 2 + (k % 4) * 3;
      const until = x(pod.goneSeconds ?? end);
      body.push(
        `<rect x="${x(pod.terminatingSeconds).toFixed(1)}" y="${y}" width="${Math.max(1, until - x(pod.terminatingSeconds)).toFixed(1)}" height="2" fill="#888"/>`,
      );
    });
    for (const bin of r.errorBins) {
      const barHeight = (bin.count / peak) * (rowHeight - 22);
      const width = Math.max(1, x(bin.atSeconds + 0.5) - x(bin.atSeconds) - 1);
      body.push(
        `<rect x="${x(bin.atSeconds).toFixed(1)}" y="${(baseline - barHeight).toFixed(1)}" width="${width.toFixed(1)}" height="${barHeight.toFixed(1)}" fill="#c0392b"/>`,
      );
    }
  });
  const axisY = height - 24;
  for (let seconds = Math.ceil(start / 5) * 5; seconds <= end; seconds += 5) {
    body.push(`<text x="${x(seconds).toFixed(1)}" y="${axisY + 12}" ${font} text-anchor="middle">${seconds}</text>`);
  }
  return svg(labelWidth + plotWidth + 20, height, body);
}

/** The report a person reads: the table, each case's setting, how the load ran, and the two charts. */
export function reportMarkdown(title: string, results: CaseResult[], test: TestSettings): string {
  const settings = results.map((r) => `- **${r.case || "study"}**: ${describeSetting(r.setting)}; \`${JSON.stringify(r.setting)}\``);
  return [
    `# ${title}`,
    "",
    summaryTable(results),
    "",
    "Availability is siege's: successful requests / all requests, over the whole load",
    `(${test.warmupSeconds} s warm-up, the rollout until the last old pod is gone, ${test.settleSeconds} s settle;`,
    `${test.concurrency} concurrent users, ${test.repeats} run(s) per case: the mean, with min–max when there are several).`,
    `Istio in the cluster: ${results[0]?.istio ?? "unknown"}, for every case.`,
    "'Rollout' runs from the restart until the last old pod was deleted, 'old pods gone' until it was gone;",
    "'errors after deletion' from the first old pod's deletion (seen by a poll every half second) to the first and the last failure",
    "siege printed a line for (a connection closed before any response header has no line, and no time).",
    "",
    "![availability per case](availability.svg)",
    "",
    "![errors over time](errors.svg)",
    "",
    "## Cases",
    "",
    ...settings,
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
