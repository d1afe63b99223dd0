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
import { FlakyServer, Fault, refusedUrl, startFlakyServer, startUnacceptingListener } from "../support/flakyServer";

const fortio = fortioDir();

interface FortioRun {
  accessLog: string;
  log: string;
  startedAt: number;
  stoppedAt: number;
  /** The requests fortio sent, by its own count (its log's "Run ended"). */
  sent: number;
  /** The requests the server received meanwhile, when the target is a FlakyServer. */
  received?: number;
}

/**
 * `requests` requests over 2 connections, 20 a second, with a timeout of 1 s: as the lab runs fortio.
 * With -nocatchup, as the lab runs it, fortio skips a turn that has passed: on a loaded machine a
 * fortio (or server) held up for 50 ms sends fewer than asked, never a request late.
 */
function runFortio(target: string | FlakyServer, requests: number, keepAlive = false): Promise<FortioRun> {
  const url = typeof target === "string" ? target : target.url;
  const receivedBefore = typeof target === "string" ? undefined : target.received;
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
      const ended = stderr.split("\n").find((line) => line.includes('"msg":"Run ended"'));
      if (!ended) return reject(new Error(`fortio logged no end of its run: ${stderr.slice(-300)}`));
      const sent = Number(JSON.parse(ended).calls);
      const received = receivedBefore === undefined ? undefined : (target as FlakyServer).received - receivedBefore;
      resolve({ accessLog, log: stderr, startedAt, stoppedAt, sent, ...(received !== undefined && { received }) });
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

/**
 * Every request fortio sent is in the summary once, as the server received it: at most the
 * `requests` asked, at least each connection's first (a skipped turn is a later one's).
 */
function expectSent(run: FortioRun, measurement: RolloutMeasurement, requests: number): void {
  expect(run.sent).toBeGreaterThanOrEqual(2);
  expect(run.sent).toBeLessThanOrEqual(requests);
  expect(measurement.fortio!.sent).toBe(run.sent);
  if (run.received !== undefined) expect(run.received).toBe(run.sent);
}

/**
 * Every request sent is in the summary once; every count but the named ones is 0; every failure is
 * timed within the run; the kinds add up to them. `counts` from the requests fortio sent.
 */
function expectFailures(run: FortioRun, measurement: RolloutMeasurement, requests: number, counts: (sent: number) => Partial<ErrorCounts>): void {
  expect(measurement.status).toBe("ok");
  expectSent(run, measurement, requests);
  const zeros = Object.fromEntries(Object.keys(measurement.errors).map((key) => [key, 0]));
  expect(measurement.errors).toEqual({ ...zeros, ...counts(run.sent) });
  const failed = Object.values(counts(run.sent)).reduce((a, b) => a + b, 0);
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
    const run = await runFortio(server, 6);
    expectFailures(run, measure(run).measurement, 6, (sent) => ({ connectionReset: sent }));
  });

  test("a port nothing listens on: connectionRefused", async () => {
    const run = await runFortio(await refusedUrl(), 6);
    expectFailures(run, measure(run).measurement, 6, (sent) => ({ connectionRefused: sent }));
  });

  test("a connect that times out: timeout; the requests it held up are skipped, not sent late", async () => {
    const listener = await startUnacceptingListener();
    try {
      const run = await runFortio(listener.url, 4);
      const { measurement } = measure(run);
      // Each connection's first request holds it for the 1 s timeout, past its second's turn.
      expect(run.sent).toBeLessThan(4);
      expectFailures(run, measurement, 4, (sent) => ({ timeout: sent }));
    } finally {
      await listener.close();
    }
  });

  test("a connection closed before any response header: closedWithoutResponse, timed as any other", async () => {
    server.fail("closeBeforeHeader");
    const run = await runFortio(server, 6);
    expectFailures(run, measure(run).measurement, 6, (sent) => ({ closedWithoutResponse: sent }));
  });

  test("a status line fortio cannot read: other, with fortio's words for it", async () => {
    server.fail("garbledStatus");
    const run = await runFortio(server, 6);
    const { measurement } = measure(run);
    expectFailures(run, measurement, 6, (sent) => ({ other: sent }));
    expect(new Set(measurement.failures!.map((f) => f.detail))).toEqual(new Set(["Non ok http code (status HTTP/1.1 abc)"]));
  });

  test("HTTP 502: http5xx; HTTP 408: timeout", async () => {
    server.fail("502");
    const run = await runFortio(server, 6);
    expectFailures(run, measure(run).measurement, 6, (sent) => ({ http5xx: sent }));
    server.fail("408");
    const timedOut = await runFortio(server, 4);
    expectFailures(timedOut, measure(timedOut).measurement, 4, (sent) => ({ timeout: sent }));
  });

  test("all of them in one run, in turn with answered requests, on kept connections too", async () => {
    const turns: (Fault | "ok")[] = ["ok", "reset", "closeBeforeHeader", "502", "ok"];
    for (const keepAlive of [false, true]) {
      server.rotate(turns);
      const run = await runFortio(server, 10, keepAlive);
      const { measurement } = measure(run);
      // Which request meets which fault depends on the order the server sees them in, the turns in
      // that order: each kind as many times as the server gave its fault, none of them unexplained.
      const given = (fault: Fault) => Array.from({ length: run.received! }, (_, i) => turns[i % turns.length]).filter((turn) => turn === fault).length;
      expectFailures(run, measurement, 10, () => ({ connectionReset: given("reset"), closedWithoutResponse: given("closeBeforeHeader"), http5xx: given("502") }));
      expect(measurement.errors.http5xx).toBeGreaterThan(0);
    }
  });

  test("answered requests: no failure, the latency of each in the figures", async () => {
    server.healthy();
    const run = await runFortio(server, 8);
    const { summary, measurement } = measure(run);
    expectFailures(run, measurement, 8, () => ({}));
    expect(summary).toMatch(new RegExp(`^study-requests: sent=${run.sent} asked=\\d+ `, "m"));
  });
});
