// scripts/summarize-siege.sh on siege output we write by hand, line by line as siege prints it.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseRolloutOutput } from "../../lib/rolloutOutput";

const script = path.resolve(__dirname, "../../scripts/summarize-siege.sh");
const restartAt = 1000;

function summarize(stampedSiege: string[], podsLog: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "summarize-"));
  const pods = path.join(dir, "pods.log");
  fs.writeFileSync(pods, podsLog.map((l) => `${l}\n`).join(""));
  return execFileSync("bash", [script], {
    input: stampedSiege.map((l) => `${l}\n`).join(""),
    env: { PATH: process.env.PATH, RESTART_AT: String(restartAt), PODS_LOG: pods },
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
  "1030.000 Failed transactions:\t           3",
  "1030.000 Longest transaction:\t        0.02",
  "1030.000 Shortest transaction:\t        0.00",
];

test("counts errors by line, bins them by half second around the restart, and keeps the report", () => {
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
    ["999.5 demo-a= demo-b=", "1000.5 demo-a=2026-01-01T00:00:00Z demo-b= demo-c=", "1003.0 demo-b= demo-c="],
  );
  const lines = out.split("\n");
  expect(lines.filter((l) => l.startsWith("study-errors:")).sort()).toEqual([
    "study-errors: 1 HTTP 408",
    "study-errors: 1 HTTP 503",
    "study-errors: 2 [error] socket: read error Connection reset by peer sock.c:635: Connection reset by peer",
  ]);
  expect(lines).toContain("study-error-bins: -5 1 1 2 1.5 1");
  expect(lines).toContain("study-pod: demo-a terminating=0.5 gone=3.0");
  expect(lines).toContain("The server is now under siege...");
  expect(out).not.toMatch(/HTTP\/1.1 200|\x1b/);
  const measurement = parseRolloutOutput(`study-status: ok\nstudy-sidecar: classic\n${out}`);
  expect(measurement.errors).toEqual({ connectionReset: 2, connectionRefused: 0, timeout: 1, http5xx: 1, other: 0 });
  expect(measurement.report?.availability).toBe(97.09);
});

test("a pod still there at the end is never gone", () => {
  const out = summarize(report, ["1000.5 demo-a=2026-01-01T00:00:00Z", "1001.0 demo-a=2026-01-01T00:00:00Z"]);
  expect(out).toContain("study-pod: demo-a terminating=0.5 gone=never");
  expect(out).not.toContain("study-errors");
  expect(out).not.toContain("study-error-bins");
});
