// Real fortio against local servers, one way of failing at a time: every failed request in fortio's
// record, timed, and classified by fortio's own log line for it (lib/fortio.ts, as
// scripts/summarize-fortio.ts runs it), each counted once, the kinds adding up to the failures.
// Every request goes to 127.0.0.1.
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { fortioSummaryLines, parseAccessLog, parseFortioLog } from "../../lib/fortio";
import { ErrorCounts, parseRolloutOutput, RolloutMeasurement } from "../../lib/rolloutOutput";
import { fortioDir } from "../support/fortio";
import { FlakyServer, refusedUrl, startFlakyServer, startUnacceptingListener } from "../support/flakyServer";

const fortio = fortioDir();

interface FortioRun {
  accessLog: string;
  log: string;
  startedAt: number;
  stoppedAt: number;
}

/** `requests` requests over 2 connections, 20 a second, with a timeout of 1 s: as the lab runs fortio. */
function runFortio(url: string, requests: number, keepAlive = false): Promise<FortioRun> {
  if (!url.startsWith("http://127.0.0.1:")) throw new Error(`refusing to load a non-loopback URL: ${url}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fortio-failures-"));
  const access = path.join(dir, "access.log");
  const startedAt = Date.now() / 1000;
  const args = ["load", "-qps", "20", "-c", "2", "-n", String(requests), "-uniform", "-nocatchup", "-allow-initial-errors"];
  args.push(`-keepalive=${keepAlive}`, "-timeout", "1s", "-access-log-file", access, "-access-log-format", "json", url);
  return new Promise((resolve, reject) => {
    execFile(path.join(fortio!, "fortio"), args, { timeout: 60_000 }, (error, _stdout, stderr) => {
      const stoppedAt = Date.now() / 1000;
      if (error && error.killed) return reject(new Error(`fortio did not end: ${stderr.slice(-300)}`));
      const accessLog = fs.readFileSync(access, "utf8");
      fs.rmSync(dir, { recursive: true, force: true });
      resolve({ accessLog, log: stderr, startedAt, stoppedAt });
    });
  });
}

/** fortio's record summarized as scripts/summarize-fortio.ts does, the restart at its start. */
function measure(run: FortioRun): { summary: string; measurement: RolloutMeasurement } {
  const lines = fortioSummaryLines({
    records: parseAccessLog(run.accessLog),
    log: parseFortioLog(run.log),
    restartAt: run.startedAt,
    stopAt: run.stoppedAt + 1,
    qps: 20,
    pods: [],
  });
  const summary = lines.map((line) => `${line}\n`).join("");
  return { summary, measurement: parseRolloutOutput(`study-status: ok\nstudy-load: fortio\nstudy-sidecar: none\n${summary}`) };
}

/** Every count but the named ones is 0; every failure is timed within the run; the kinds add up to them. */
function expectFailures(run: FortioRun, measurement: RolloutMeasurement, requests: number, counts: Partial<ErrorCounts>): void {
  expect(measurement.status).toBe("ok");
  expect(measurement.fortio!.sent).toBe(requests);
  const zeros = Object.fromEntries(Object.keys(measurement.errors).map((key) => [key, 0]));
  expect(measurement.errors).toEqual({ ...zeros, ...counts });
  const failed = Object.values(counts).reduce((a, b) => a + b, 0);
  expect(measurement.failures).toHaveLength(failed);
  for (const failure of measurement.failures!) {
    expect(failure.atSeconds).toBeGreaterThanOrEqual(0);
    expect(failure.atSeconds).toBeLessThanOrEqual(run.stoppedAt - run.startedAt);
  }
}

(fortio ? describe : describe.skip)("fortio 1.75.3: each failed request timed and counted once, by kind", () => {
  let server: FlakyServer;
  beforeAll(async () => {
    server = await startFlakyServer();
  });
  afterAll(() => server.close());

  test("a reset before the response header: connectionReset", async () => {
    server.fail("reset");
    const run = await runFortio(server.url, 6);
    expectFailures(run, measure(run).measurement, 6, { connectionReset: 6 });
  });

  test("a port nothing listens on: connectionRefused", async () => {
    const run = await runFortio(await refusedUrl(), 6);
    expectFailures(run, measure(run).measurement, 6, { connectionRefused: 6 });
  });

  test("a connect that times out: timeout; the requests it held up are skipped, not sent late", async () => {
    const listener = await startUnacceptingListener();
    try {
      const run = await runFortio(listener.url, 4);
      const { measurement } = measure(run);
      // Each connection's first request holds it for the 1 s timeout, past its second's turn.
      const sent = measurement.fortio!.sent;
      expect(sent).toBeGreaterThanOrEqual(2);
      expect(sent).toBeLessThan(4);
      expectFailures(run, measurement, sent, { timeout: sent });
    } finally {
      await listener.close();
    }
  });

  test("a connection closed before any response header: closedWithoutResponse, timed as any other", async () => {
    server.fail("closeBeforeHeader");
    const run = await runFortio(server.url, 6);
    expectFailures(run, measure(run).measurement, 6, { closedWithoutResponse: 6 });
  });

  test("a status line fortio cannot read: other, with fortio's words for it", async () => {
    server.fail("garbledStatus");
    const run = await runFortio(server.url, 6);
    const { measurement } = measure(run);
    expectFailures(run, measurement, 6, { other: 6 });
    expect(new Set(measurement.failures!.map((f) => f.detail))).toEqual(new Set(["Non ok http code (status HTTP/1.1 abc)"]));
  });

  test("HTTP 502: http5xx; HTTP 408: timeout", async () => {
    server.fail("502");
    const run = await runFortio(server.url, 6);
    expectFailures(run, measure(run).measurement, 6, { http5xx: 6 });
    server.fail("408");
    const timedOut = await runFortio(server.url, 4);
    expectFailures(timedOut, measure(timedOut).measurement, 4, { timeout: 4 });
  });

  test("all of them in one run, in turn with answered requests, on kept connections too", async () => {
    for (const keepAlive of [false, true]) {
      server.rotate(["ok", "reset", "closeBeforeHeader", "502", "ok"]);
      const run = await runFortio(server.url, 10, keepAlive);
      const { measurement } = measure(run);
      expect(measurement.fortio!.sent).toBe(10);
      // Which request meets which fault depends on the order the server sees them in: the kinds
      // add up to the failures, none of them unexplained.
      expect(measurement.errors.other).toBe(0);
      expect(measurement.failures!.length).toBe(measurement.errors.connectionReset + measurement.errors.closedWithoutResponse + measurement.errors.http5xx);
      expect(measurement.errors.http5xx).toBeGreaterThan(0);
    }
  });

  test("answered requests: no failure, the latency of each in the figures", async () => {
    server.healthy();
    const run = await runFortio(server.url, 8);
    const { summary, measurement } = measure(run);
    expectFailures(run, measurement, 8, {});
    expect(summary).toMatch(/^study-requests: sent=8 asked=\d+ /m);
  });
});
