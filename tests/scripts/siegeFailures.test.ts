// Real siege against local servers, one way of failing at a time: the failed requests by kind, as
// scripts/summarize-siege.sh and lib/rolloutOutput.ts count them, add up to siege's own failed
// count. Every request goes to 127.0.0.1.
//
// siege is the one on PATH (Debian's 4.0.7 in CI); STUDY_EXTRA_SIEGES adds others, as paths
// separated by ":" (e.g. Debian's 4.1.6 and 4.1.7 unpacked from their .deb with a newer libc).
// Counts are exact where siege's own count is (every request of a run fails the same way); no
// assertion depends on how fast the machine is, only siege's connect timeout takes time.
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ErrorCounts, parseRolloutOutput, RolloutMeasurement } from "../../lib/rolloutOutput";
import { FlakyServer, refusedUrl, startFlakyServer, startUnacceptingListener } from "../support/flakyServer";

const projectDir = path.resolve(__dirname, "../..");
const summarize = path.join(projectDir, "scripts/summarize-siege.sh");

const onPath = (process.env.PATH ?? "").split(path.delimiter).some((dir) => dir !== "" && fs.existsSync(path.join(dir, "siege")));
if (!onPath) console.warn("siege is not on PATH: skipping the tests that run the real siege");
const sieges = [...(onPath ? ["siege"] : []), ...(process.env.STUDY_EXTRA_SIEGES ?? "").split(":").filter(Boolean)];

interface SiegeRun {
  stdout: string;
  stderr: string;
}

/** siege with the study's own settings (siege/siegerc), but a connect timeout of 1 s. */
function runSiege(siege: string, url: string, users: number, reps: number): Promise<SiegeRun> {
  if (!url.startsWith("http://127.0.0.1:")) throw new Error(`refusing to siege a non-loopback URL: ${url}`);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "siege-failures-"));
  const rc = path.join(home, "siegerc");
  fs.writeFileSync(rc, fs.readFileSync(path.join(projectDir, "siege/siegerc"), "utf8").replace(/^timeout = \d+$/m, "timeout = 1"));
  return new Promise((resolve, reject) => {
    const child = spawn(siege, [`--rc=${rc}`, `--concurrent=${users}`, `--reps=${reps}`, url], {
      env: { ...process.env, HOME: home },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const deadline = setTimeout(() => child.kill("SIGKILL"), 45_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(deadline);
      fs.rmSync(home, { recursive: true, force: true });
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`siege ended with ${code ?? signal}: ${stderr.slice(-300)}`));
    });
  });
}

/** siege's output through summarize-siege.sh, as rollout-test.sh passes it (stderr, then stdout). */
function measure(run: SiegeRun): { summary: string; measurement: RolloutMeasurement } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "siege-failures-"));
  const pods = path.join(dir, "pods.log");
  fs.writeFileSync(pods, "");
  const stamped = (run.stderr + run.stdout)
    .split("\n")
    .filter((line, i, all) => line !== "" || i < all.length - 1)
    .map((line) => `1000.000 ${line}\n`)
    .join("");
  const summary = execFileSync("bash", [summarize], {
    input: stamped,
    env: { PATH: process.env.PATH, RESTART_AT: "999", PODS_LOG: pods },
    encoding: "utf8",
  });
  fs.rmSync(dir, { recursive: true, force: true });
  return { summary, measurement: parseRolloutOutput(`study-status: ok\nstudy-sidecar: none\n${summary}`) };
}

/** Every count but the named ones is 0; the kinds, less linesOverCount, are siege's failed count. */
function expectCounts(measurement: RolloutMeasurement, counts: Partial<ErrorCounts>): void {
  const { errors, report } = measurement;
  expect(measurement.status).toBe("ok");
  const zeros = Object.fromEntries(Object.keys(errors).map((key) => [key, 0]));
  expect(errors).toEqual({ ...zeros, ...counts });
  const { linesOverCount, ...kinds } = errors;
  expect(Object.values(kinds).reduce((a, b) => a + b, 0) - linesOverCount).toBe(report!.failedTransactions);
}

const binned = (measurement: RolloutMeasurement) => measurement.errorBins.reduce((sum, bin) => sum + bin.count, 0);
const alertLines = (run: SiegeRun, text: string) => run.stderr.split("\n").filter((line) => line.includes(text)).length;

(sieges.length > 0 ? describe.each(sieges) : describe.skip.each(["siege"]))("%s: each failed request counted once, by kind", (siege) => {
  let server: FlakyServer;
  beforeAll(async () => {
    server = await startFlakyServer();
  });
  afterAll(() => server.close());

  test("a reset before the response header: connectionReset", async () => {
    server.fail("reset");
    const { measurement } = measure(await runSiege(siege, server.url, 2, 3));
    expect(measurement.report!.failedTransactions).toBe(6);
    expectCounts(measurement, { connectionReset: 6 });
    expect(binned(measurement)).toBe(6);
  });

  test("a port nothing listens on: connectionRefused", async () => {
    const { measurement } = measure(await runSiege(siege, await refusedUrl(), 2, 3));
    expect(measurement.report!.failedTransactions).toBe(6);
    expectCounts(measurement, { connectionRefused: 6 });
  });

  test("a connect that times out prints two lines, and counts once: timeout", async () => {
    const listener = await startUnacceptingListener();
    try {
      const run = await runSiege(siege, listener.url, 2, 2);
      const { summary, measurement } = measure(run);
      expect(measurement.report!.failedTransactions).toBe(4);
      expect(alertLines(run, "discovered it's not ready")).toBe(4);
      expect(alertLines(run, "read check timed out")).toBe(4);
      expectCounts(measurement, { timeout: 4 });
      expect(binned(measurement)).toBe(4);
      expect(summary).not.toContain("not ready");
    } finally {
      await listener.close();
    }
  });

  test("a connection closed before any response header: no line, closedWithoutResponse, untimed", async () => {
    server.fail("closeBeforeHeader");
    const run = await runSiege(siege, server.url, 2, 3);
    const { summary, measurement } = measure(run);
    expect(run.stderr).not.toMatch(/\[(error|alert)/);
    expect(measurement.report!.failedTransactions).toBe(6);
    expect(summary).toMatch(/^study-failures: closedWithoutResponse 6$/m);
    expectCounts(measurement, { closedWithoutResponse: 6 });
    expect(measurement.errorBins).toEqual([]);
  });

  test("HTTP 502: http5xx, from siege's verbose lines", async () => {
    server.fail("502");
    const { measurement } = measure(await runSiege(siege, server.url, 2, 3));
    expect(measurement.report!.failedTransactions).toBe(6);
    expectCounts(measurement, { http5xx: 6 });
  });

  test("HTTP 408, which siege fails: timeout", async () => {
    server.fail("408");
    const { measurement } = measure(await runSiege(siege, server.url, 2, 3));
    expect(measurement.report!.failedTransactions).toBe(6);
    expectCounts(measurement, { timeout: 6 });
  });

  test("a reset after the response header: a reset line for a request siege counts as successful, shown as linesOverCount", async () => {
    server.fail("resetAfterHeader");
    const run = await runSiege(siege, server.url, 2, 3);
    const { summary, measurement } = measure(run);
    expect(alertLines(run, "Connection reset by peer")).toBe(6);
    expect(measurement.report!.failedTransactions).toBe(0);
    expect(summary).toMatch(/^study-failures: linesOverCount 6$/m);
    expectCounts(measurement, { connectionReset: 6, linesOverCount: 6 });
  });

  test("all of them in one run, in turn with answered requests", async () => {
    server.rotate(["ok", "reset", "closeBeforeHeader", "502", "408"]);
    const { measurement } = measure(await runSiege(siege, server.url, 2, 5));
    expect(measurement.report!.failedTransactions).toBe(8);
    expect(measurement.report!.transactions).toBe(2);
    expectCounts(measurement, { connectionReset: 2, closedWithoutResponse: 2, http5xx: 2, timeout: 2 });
    // Only the failures siege printed a line for have a time.
    expect(binned(measurement)).toBe(6);
  });
});
