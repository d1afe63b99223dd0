// siege under keep-alive: kept connections, and descriptors it leaks.
import { execFile } from "child_process";
import { parseRolloutOutput } from "../../../lib/rolloutOutput";
import { startFlakyServer } from "../../support/flakyServer";
import { fakeClusterPerTest, haveSiege, projectDir, runScript, ScriptRun, throttledSiegerc } from "../../support/rolloutScript";

(haveSiege ? describe : describe.skip)("rollout-test.sh against a fake cluster: keep-alive", () => {
  const cluster = fakeClusterPerTest();
  const env = cluster.env;

  describe("with keep-alive", () => {
    const keepAlive = () => throttledSiegerc().replace(/^connection = close$/m, "connection = keep-alive");

    test("siege keeps its connections to a server that keeps them, and measures as with close", async () => {
      const keeping = await startFlakyServer({ keepAlive: true });
      try {
        const run = await runScript(env({ FAKE_OUTAGE_SECONDS: "0", SIEGERC_CONTENT: keepAlive(), FAKE_URL: keeping.url }));
        if (process.env.SHOW_SCRIPT_OUTPUT) console.log(run.stdout, run.stderr);
        const measurement = parseRolloutOutput(run.stdout);
        expect(measurement.status).toBe("ok");
        expect(measurement.report!.availability).toBe(100);
      } finally {
        await keeping.close();
      }
    });

    test("out of file descriptors, siege aborts with no report: a failed measurement that says why", async () => {
      const run = await new Promise<ScriptRun>((resolve) => {
        execFile(
          "/bin/bash",
          ["-c", 'ulimit -n 64 && exec /bin/bash scripts/rollout-test.sh'],
          { env: env({ FAKE_OUTAGE_SECONDS: "0", CONCURRENCY: "2", FAKE_URL: "http://127.0.0.1:1/", SIEGERC_CONTENT: keepAlive() }), cwd: projectDir, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
          (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
        );
      });
      const measurement = parseRolloutOutput(run.stdout);
      expect(measurement.status).toBe("failed");
      expect(measurement.reason).toMatch(/^siege ran out of file descriptors: under connection=keep-alive it leaks one per refused connection/);
    });
  });
});
