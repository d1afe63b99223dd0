// siege on this machine: what a restart that drops connections costs, counted by kind.
import * as path from "path";
import { errorWindow, parseRolloutOutput } from "../../../lib/rolloutOutput";
import { startFlakyServer } from "../../support/flakyServer";
import { availability, fakeClusterPerTest, haveSiege, runScript, studyLine } from "../../support/rolloutScript";

(haveSiege ? describe : describe.skip)("rollout-test.sh against a fake cluster: what a restart costs", () => {
  const cluster = fakeClusterPerTest();
  const env = cluster.env;

  test("a restart that drops connections shows as less than 100 % with the resets counted", async () => {
    const run = await runScript(env({ FAKE_SIDECAR: "classic" }));
    if (process.env.SHOW_SCRIPT_OUTPUT) console.log(run.stdout, run.stderr);
    expect(run.code).toBe(0);
    expect(studyLine(run.stdout, "status")).toBe("ok");
    expect(studyLine(run.stdout, "sidecar")).toBe("classic");
    expect(Number(studyLine(run.stdout, "rollout-seconds"))).toBeGreaterThanOrEqual(1.5);
    expect(availability(run.stdout)).toBeLessThan(100);
    expect(studyLine(run.stdout, "errors")).toMatch(/^\d+ \[error\] socket: .*Connection reset by peer/);
    expect(run.stdout).not.toMatch(/\x1b\[/);
    // Errors fall into the outage, which starts with the restart and lasts half a second.
    const bins = studyLine(run.stdout, "error-bins")!.trim().split(" ").map(Number);
    for (let i = 0; i < bins.length; i += 2) expect(bins[i]).toBeGreaterThanOrEqual(-0.5);
    // Deleted at the restart, as the watch saw it: never before the restart was sent.
    expect(run.stdout).toMatch(/^study-pod: demo-site-old-a deleted=\d+\.\d{3} gone=\d+\.\d{3}$/m);
    expect(run.stderr).toMatch(/rollout restart issued/);
    expect(run.stderr).toMatch(/siege stopped/);

    // The program reads the same output: siege's own figures, the resets, and the timeline.
    const measurement = parseRolloutOutput(run.stdout);
    expect(measurement.status).toBe("ok");
    expect(measurement.report!.availability).toBe(availability(run.stdout));
    expect(measurement.report!.failedTransactions).toBe(measurement.errors.connectionReset);
    const window = errorWindow(measurement)!;
    expect(window.firstErrorSeconds).toBeLessThanOrEqual(window.lastErrorSeconds);
    expect(window.lastErrorSeconds).toBeLessThan(3);
  });

  test("a restart without an outage shows 100 % and no errors", async () => {
    const run = await runScript(env({ FAKE_OUTAGE_SECONDS: "0", FAKE_SIDECAR: "native" }));
    expect(run.code).toBe(0);
    expect(studyLine(run.stdout, "sidecar")).toBe("native");
    expect(availability(run.stdout)).toBe(100);
    expect(studyLine(run.stdout, "errors")).toBeUndefined();
  });

  test("HTTP 502 answers during the restart are counted as failed responses", async () => {
    cluster.server = await (async () => {
      await cluster.server.close();
      return startFlakyServer({ faultFile: path.join(cluster.state, "outage"), fileFault: "502" });
    })();
    const run = await runScript(env({ FAKE_FAULT_FILE: cluster.server.faultFile!, FAKE_URL: cluster.server.url }));
    expect(availability(run.stdout)).toBeLessThan(100);
    expect(studyLine(run.stdout, "errors")).toMatch(/^\d+ HTTP 502$/);
    const measurement = parseRolloutOutput(run.stdout);
    expect(measurement.errors.http5xx).toBe(measurement.report!.failedTransactions);
  });
});
