import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readStudyConfig } from "../../config/study";
import { availabilityChart, errorTimelineChart, reportMarkdown, writeReport } from "../../lib/report";
import { caseResult, CaseResult } from "../../lib/results";
import { parseRolloutOutput } from "../../lib/rolloutOutput";
import { seedHook, text41x } from "../fixtures/siegeReports";
import { classicRolloutOutput } from "../harness";

const config = readStudyConfig((key) => (key === "cases" ? "nomesh-hook,sidecar-hook,native-hook,ambient-hook" : undefined), path.resolve(__dirname, "../.."), "dev");
const [nomesh, sidecar, native, ambient] = config.cases;
const results: CaseResult[] = [
  caseResult(nomesh, [parseRolloutOutput(`study-status: ok\nstudy-sidecar: none\nstudy-restart-at: 1764064900.5\nstudy-rollout-seconds: 18\n${seedHook}`)]),
  caseResult(sidecar, [parseRolloutOutput(classicRolloutOutput)]),
  caseResult(native, [parseRolloutOutput("study-status: failed rollout did not finish within 300s\nstudy-sidecar: native\n")]),
  caseResult(ambient, [
    parseRolloutOutput(`study-status: ok\nstudy-sidecar: none\nstudy-rollout-seconds: 19\nstudy-error-bins: -1 4 3.5 128\n${text41x}`),
  ]),
];

/** The labels of an SVG document, which must be one whole <svg> element. */
function texts(svg: string): string[] {
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
}

describe("availabilityChart", () => {
  const svg = availabilityChart(results);
  test("labels every case and its availability, and says which case failed", () => {
    const labels = texts(svg);
    for (const name of ["nomesh-hook", "sidecar-hook", "native-hook", "ambient-hook"]) expect(labels).toContain(name);
    expect(labels).toEqual(expect.arrayContaining(["100.00", "99.98", "97.49"]));
    expect(labels.some((l) => l.startsWith("failed: run 1: rollout did not finish"))).toBe(true);
  });
  test("starts its axis below the lowest availability, and labels the start", () => {
    expect(texts(svg)).toEqual(expect.arrayContaining(["97.00", "100.00"]));
  });
  test("draws each case's min–max across its runs right of the axis's start, within the plot", () => {
    const spread = { ...results[0], runs: 3, availability: 99.5, availabilityMin: 97.1, availabilityMax: 100 };
    const chart = availabilityChart([spread, results[1]]);
    const [whisker] = [...chart.matchAll(/<line x1="([\d.]+)" x2="([\d.]+)" y1="[\d.]+" y2="[\d.]+" stroke="black"\/>/g)];
    expect(whisker).toBeDefined();
    expect(Number(whisker[1])).toBeGreaterThanOrEqual(170);
    expect(Number(whisker[2])).toBeLessThanOrEqual(170 + 420);
    expect(Number(whisker[1])).toBeLessThan(Number(whisker[2]));
  });

  test("draws longer bars for higher availability", () => {
    const widths = [...svg.matchAll(/<rect x="170" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths).toHaveLength(3);
    expect(widths[0]).toBeGreaterThan(widths[1]);
    expect(widths[1]).toBeGreaterThan(widths[2]);
  });
});

describe("errorTimelineChart", () => {
  const svg = errorTimelineChart(results);
  test("one row per case with its peak count, and bars where errors were", () => {
    const labels = texts(svg);
    expect(labels).toEqual(expect.arrayContaining(["sidecar-hook", "peak 20 per 0.5 s", "ambient-hook", "peak 128 per 0.5 s", "peak 0 per 0.5 s"]));
    expect([...svg.matchAll(/fill="#c0392b"/g)]).toHaveLength(2 + 2);
  });
  test("a grey band per old pod from its deletion to its end, one running to the chart's end if never seen gone", () => {
    // The fixture's sidecar-hook pods: deleted at 0.6 s and 7.3 s, gone at 12.1 s and 18.2 s.
    const bands = [...errorTimelineChart([results[1]]).matchAll(/<rect x="([\d.]+)" y="\d+" width="([\d.]+)" height="2" fill="#888"\/>/g)];
    expect(bands).toHaveLength(2);
    expect(Number(bands[0][2])).toBeGreaterThan(Number(bands[1][2]));
    const neverGone = { ...results[1], oldPods: [{ run: 1, name: "p", deletedSeconds: 1, goneSeconds: null }] };
    expect([...errorTimelineChart([neverGone]).matchAll(/fill="#888"/g)]).toHaveLength(1);
  });
  test("escapes what it prints", () => {
    const odd = [{ ...results[0], case: "<b>&" }];
    expect(errorTimelineChart(odd)).toContain("&lt;b&gt;&amp;");
  });
});

test("the report has the table, how the load ran, both charts and each case's config", () => {
  const markdown = reportMarkdown("Study", results, config.test);
  expect(markdown).toContain("| sidecar-hook | classic sidecar, preStop 10s | classic | 29 / 127708 | 2.27 (");
  expect(markdown).toContain("![availability per case](availability.svg)");
  expect(markdown).toContain("![failures over time](errors.svg)");
  expect(markdown).toContain('- **native-hook**: native sidecar, preStop 10s; `{"mesh":"sidecar"');
  expect(markdown).toContain("25 concurrent users");
});

test("the report says how long the load ran before and after the rollout, each by its name", () => {
  const markdown = reportMarkdown("Study", results, { ...config.test, warmupSeconds: 7, settleSeconds: 13 });
  expect(markdown).toContain("7 s warm-up");
  expect(markdown).toContain("13 s settle");
});

test("with fortio, the report says what the failures of kind other were, counted", () => {
  const failureTimes = [
    { atSeconds: 0.5, kind: "other" as const, detail: "Unable to write: `write`: broken pipe" },
    { atSeconds: 0.7, kind: "timeout" as const },
    { atSeconds: 0.9, kind: "other" as const, detail: "Unable to write: `write`: broken pipe" },
  ];
  const test = { ...config.test, load: "fortio" as const, qps: 100 };
  const report = reportMarkdown("Study", [{ ...results[0], load: "fortio", asked: 1000, failureTimes }], test);
  expect(report).toContain("  - 2 failed of kind other: `Unable to write: 'write': broken pipe`");
});

test("with fortio, the report names the connections fortio used for each connection setting", () => {
  const fortio = (r: CaseResult, connection: "close" | "keep-alive"): CaseResult => ({ ...r, load: "fortio", setting: { ...r.setting, connection } });
  const test = { ...config.test, load: "fortio" as const, qps: 100, concurrency: 8 };
  expect(reportMarkdown("Study", [fortio(results[0], "close")], test)).toContain("100 requests a second over 400 connections, a new one per request,");
  expect(reportMarkdown("Study", [fortio(results[0], "close"), fortio(results[1], "keep-alive")], test)).toContain(
    "over 400 connections, a new one per request or 8 kept connections,",
  );
});

describe("writeReport", () => {
  test("each chart goes into the file the report shows it by", () => {
    const folder = writeReport(fs.mkdtempSync(path.join(os.tmpdir(), "reports-")), "dev", results, config.test)!;
    expect(fs.readFileSync(path.join(folder, "availability.svg"), "utf8")).toBe(availabilityChart(results));
    expect(fs.readFileSync(path.join(folder, "errors.svg"), "utf8")).toBe(errorTimelineChart(results));
  });

  test("writes the report and its charts in a folder per stack, named after the latest measurement", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reports-"));
    const folder = writeReport(dir, "dev", results, config.test)!;
    // nomesh-hook restarted at 1764064900.5, after the fixture's sidecar-hook (1764064800.25).
    expect(folder).toBe(path.join(dir, "dev", "2025-11-25T10-01-40-500Z"));
    expect(fs.readdirSync(folder).sort()).toEqual(["availability.svg", "errors.svg", "report.md"]);
    expect(fs.readFileSync(path.join(folder, "report.md"), "utf8")).toMatch(/^# Istio sidecar exit study: stack dev, measured 2025-11-25T10:01:40.500Z/);
  });

  test("the same measurements give the same folder and write nothing again", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reports-"));
    const folder = writeReport(dir, "dev", results, config.test)!;
    fs.writeFileSync(path.join(folder, "report.md"), "kept");
    expect(writeReport(dir, "dev", results, config.test)).toBe(folder);
    expect(fs.readFileSync(path.join(folder, "report.md"), "utf8")).toBe("kept");
    expect(fs.readdirSync(path.join(dir, "dev"))).toHaveLength(1);
  });

  test("writes nothing when no case got as far as its restart", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reports-"));
    expect(writeReport(dir, "dev", [results[2]], config.test)).toBeUndefined();
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
