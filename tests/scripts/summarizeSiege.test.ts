// scripts/summarize-siege.sh on siege output we write by hand, line by line as siege prints it.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parseRolloutOutput } from "../../lib/rolloutOutput";

const script = path.resolve(__dirname, "../../scripts/summarize-siege.sh");
const restartAt = 1000;

function summarize(stampedSiege: string[]): string {
  return execFileSync("bash", [script], {
    input: stampedSiege.map((l) => `${l}\n`).join(""),
    env: { PATH: process.env.PATH, RESTART_AT: String(restartAt) },
    encoding: "utf8",
  });
}

const reset = "\x1b[1;33merror\x1b[0m] socket: read error Connection reset by peer sock.c:635: Connection reset by peer";
const report = [
  "1030.000 Lifting the server siege...",
  "1030.000 Transactions:\t\t         100 hits",
  "1030.000 Availability:\t\t       97.09 %",
  "1030.000 Elapsed time:\t\t       30.00 secs",
  "1030.000 Data transferred:\t        0.06 MB",
  "1030.000 Response time:\t\t        0.01 secs",
  "1030.000 Transaction rate:\t        3.33 trans/sec",
  "1030.000 Throughput:\t\t        0.00 MB/sec",
  "1030.000 Concurrency:\t\t        0.03",
  "1030.000 Successful transactions:         100",
  "1030.000 Failed transactions:\t           4",
  "1030.000 Longest transaction:\t        0.02",
  "1030.000 Shortest transaction:\t        0.00",
];

test("counts failed requests by their lines, bins them by half second around the restart, and keeps the report", () => {
  const out = summarize(
    [
      "995.000 ** SIEGE 4.0.7",
      `995.100 The server is now under siege...[${reset}`,
      "995.200 HTTP/1.1 200     0.00 secs:     612 bytes ==> GET  /",
      `1001.200 [${reset}`,
      "1001.400 \x1b[0;31mHTTP/1.1 503     0.00 secs:      19 bytes ==> GET  /\x1b[0m",
      "1001.600 HTTP/1.1 408     0.00 secs:       0 bytes ==> GET  /",
      ...report,
    ],
  );
  const lines = out.split("\n");
  expect(lines.filter((l) => l.startsWith("study-errors:")).sort()).toEqual([
    "study-errors: 1 HTTP 408",
    "study-errors: 1 HTTP 503",
    "study-errors: 2 [error] socket: read error Connection reset by peer sock.c:635: Connection reset by peer",
  ]);
  expect(lines).toContain("study-error-bins: -5 1 1 2 1.5 1");
  expect(lines).toContain("The server is now under siege...");
  expect(out).not.toMatch(/HTTP\/1.1 200|\x1b/);
  const measurement = parseRolloutOutput(`study-status: ok\nstudy-sidecar: classic\n${out}`);
  expect(measurement.errors).toEqual({
    connectionReset: 2,
    connectionRefused: 0,
    timeout: 1,
    http5xx: 1,
    closedWithoutResponse: 0,
    other: 0,
    linesOverCount: 0,
  });
  expect(out).not.toContain("study-failures");
  expect(measurement.report?.availability).toBe(97.09);
});

const alert = (message: string) => `[\x1b[1;32malert\x1b[0m] ${message}`;
const error = (message: string) => `[\x1b[1;33merror\x1b[0m] ${message}`;
const notReady = alert("socket: select and discovered it's not ready sock.c:384: Connection timed out");
const readCheck = alert("socket: read check timed out(1) sock.c:273: Connection timed out");
const failedAs = (count: number) => report.map((line) => line.replace(/Failed transactions:\t +\d+$/, `Failed transactions:\t${String(count).padStart(12)}`));
const studyLines = (out: string, key: string) => out.split("\n").filter((l) => l.startsWith(`study-${key}: `));

describe("each failed request counted once, by the line that ends it", () => {
  test("a connect that timed out prints two lines (select, then read check), from two threads interleaved: two failures", () => {
    const out = summarize(["1001.000 " + notReady, "1001.001 " + notReady, "1001.002 " + readCheck, "1001.003 " + readCheck, ...failedAs(2)]);
    expect(studyLines(out, "errors")).toEqual([`study-errors: 2 [alert] socket: read check timed out(1) sock.c:273: Connection timed out`]);
    expect(out).toContain("study-error-bins: 1 2");
    expect(out).not.toContain("not ready");
    expect(out).not.toContain("study-failures");
    expect(parseRolloutOutput(`study-status: ok\n${out}`).errors).toMatchObject({ timeout: 2, other: 0 });
  });

  test("the polled form of the first line, from siege's poll path (descriptors past FD_SETSIZE), is not counted either", () => {
    const out = summarize(["1001.000 " + alert("socket: polled(30) and discovered it's not ready sock.c:421: Connection timed out"), "1001.000 " + readCheck, ...failedAs(1)]);
    expect(studyLines(out, "errors")).toHaveLength(1);
    expect(parseRolloutOutput(`study-status: ok\n${out}`).errors.timeout).toBe(1);
  });

  test("a resolver failure prints two lines: one failure, by the resolver's message", () => {
    const out = summarize(
      [
        "1001.000 " + error("Address resolution failed at sock.c:190 with the following error:"),
        "1001.000 " + error("Name or service not known: demo-site.demo-site.svc.cluster.local"),
        ...failedAs(1),
      ],
    );
    expect(studyLines(out, "errors")).toEqual(["study-errors: 1 [error] Name or service not known: demo-site.demo-site.svc.cluster.local"]);
    expect(parseRolloutOutput(`study-status: ok\n${out}`).errors).toMatchObject({ other: 1, linesOverCount: 0, closedWithoutResponse: 0 });
  });

  test("lines printed while closing a socket end no request", () => {
    const out = summarize(["1001.000 " + error("unable to close the socket sock.c:770: Bad file descriptor"), ...failedAs(0)]);
    expect(out).not.toContain("study-errors");
    expect(out).not.toContain("study-failures");
  });

  test("failed requests without a line are closedWithoutResponse, and get no time", () => {
    const out = summarize([`1001.200 [${reset}`, ...failedAs(5)]);
    expect(out).toContain("study-failures: closedWithoutResponse 4");
    expect(out).toContain("study-error-bins: 1 1");
    const measurement = parseRolloutOutput(`study-status: ok\n${out}`);
    expect(measurement.errors).toMatchObject({ connectionReset: 1, closedWithoutResponse: 4, linesOverCount: 0 });
    expect(measurement.errorBins).toEqual([{ atSeconds: 1, count: 1 }]);
  });

  test("more failure lines than siege's failed count: the difference is linesOverCount, nothing is dropped", () => {
    const out = summarize([`1001.200 [${reset}`, `1001.300 [${reset}`, `1001.400 [${reset}`, ...failedAs(1)]);
    expect(out).toContain("study-failures: linesOverCount 2");
    const errors = parseRolloutOutput(`study-status: ok\n${out}`).errors;
    expect(errors).toMatchObject({ connectionReset: 3, closedWithoutResponse: 0, linesOverCount: 2 });
  });

  test("reads siege's failed count from a JSON report, and from the last report when there are two", () => {
    const json = ["1030.000 {", '1030.000 \t"failed_transactions":\t\t           3,', "1030.000 }"];
    expect(summarize(json)).toContain("study-failures: closedWithoutResponse 3");
    expect(summarize([...failedAs(9), ...failedAs(2)])).toContain("study-failures: closedWithoutResponse 2");
    expect(summarize([...failedAs(9), ...json])).toContain("study-failures: closedWithoutResponse 3");
  });

  test("no report, no reconciliation: the measurement fails on the missing report anyway", () => {
    const out = summarize([`1001.200 [${reset}`]);
    expect(out).not.toContain("study-failures");
    expect(parseRolloutOutput(`study-status: ok\n${out}`).status).toBe("failed");
  });

  test("a verbose line counts only for the codes siege fails: 408, 418, 500-509", () => {
    const verbose = (code: number) => `1001.000 HTTP/1.1 ${code}     0.00 secs:       3 bytes ==> GET  /`;
    const out = summarize([...[200, 404, 408, 418, 429, 500, 503, 509, 510, 599].map(verbose), ...failedAs(5)]);
    expect(studyLines(out, "errors").sort()).toEqual(
      ["408", "418", "500", "503", "509"].map((code) => `study-errors: 1 HTTP ${code}`).sort(),
    );
    expect(parseRolloutOutput(`study-status: ok\n${out}`).errors).toMatchObject({ timeout: 1, http5xx: 3, other: 1, linesOverCount: 0 });
  });
});

// Real siege output, captured against local servers (tests/fixtures/siege-lines/README.md): each
// failed request counted once, for each version we could run.
describe.each(["4.0.7", "4.1.6", "4.1.7"])("siege %s's own lines", (version) => {
  const fixture = (name: string) =>
    fs
      .readFileSync(path.join(__dirname, "../fixtures/siege-lines", version, `${name}.txt`), "utf8")
      .replace(/\n$/, "")
      .split("\n")
      .map((line) => `1000.000 ${line}`);
  test.each<[string, number, Record<string, number>]>([
    ["reset", 6, { connectionReset: 6 }],
    ["refused", 6, { connectionRefused: 6 }],
    ["connect-timeout", 4, { timeout: 4 }],
    ["close-before-header", 6, { closedWithoutResponse: 6 }],
    ["close-before-header-json", 6, { closedWithoutResponse: 6 }],
    ["502", 6, { http5xx: 6 }],
    ["408", 6, { timeout: 6 }],
    ["reset-after-header", 0, { connectionReset: 6, linesOverCount: 6 }],
  ])("%s: %d failed", (name, failed, counts) => {
    const measurement = parseRolloutOutput(`study-status: ok\n${summarize(fixture(name))}`);
    expect(measurement.report!.failedTransactions).toBe(failed);
    const zeros = Object.fromEntries(Object.keys(measurement.errors).map((key) => [key, 0]));
    expect(measurement.errors).toEqual({ ...zeros, ...counts });
    const { linesOverCount, ...kinds } = measurement.errors;
    expect(Object.values(kinds).reduce((a, b) => a + b, 0) - linesOverCount).toBe(failed);
  });
});
