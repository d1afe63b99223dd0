// siege in a Job in the cluster: the pod's log gives the same report, on this machine's clock.
import * as fs from "fs";
import * as path from "path";
import { errorWindow, parseRolloutOutput } from "../../../lib/rolloutOutput";
import { fakeClusterPerTest, haveSiege, inClusterLoad, runScript, siegeJobEnv } from "../../support/rolloutScript";

(haveSiege ? describe : describe.skip)("rollout-test.sh against a fake cluster: siege in a Job", () => {
  const cluster = fakeClusterPerTest();
  const env = cluster.env;

  describe("with siege in a Job in the cluster (LOAD_FROM=cluster)", () => {
    const clusterEnv = (overrides: Record<string, string> = {}) => siegeJobEnv(env, inClusterLoad(), overrides);

    test("the Job's log, with the pod's timestamps, gives the same report, errors and timeline", async () => {
      const run = await runScript(clusterEnv({ FAKE_SIDECAR: "classic" }));
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/load Job siege runs siege in pod fake-load-pod/);
      const measurement = parseRolloutOutput(run.stdout);
      expect(measurement.status).toBe("ok");
      expect(measurement.report!.availability).toBeLessThan(100);
      expect(measurement.report!.failedTransactions).toBe(measurement.errors.connectionReset);
      const window = errorWindow(measurement)!;
      expect(window.lastErrorSeconds).toBeLessThan(3);
      expect(run.stdout).not.toContain("study-load-started");
      // The Job is applied, stopped through its pod, and removed.
      const calls = fs.readFileSync(path.join(cluster.state, "kubectl.calls"), "utf8");
      expect(calls).toMatch(/^--context istio-exit-study --namespace demo-site-load apply -f -$/m);
      expect(calls).toMatch(/^--context istio-exit-study --namespace demo-site-load exec fake-load-pod -- touch \/tmp\/study-stop$/m);
      expect(calls).toMatch(/^--context istio-exit-study --namespace demo-site-load delete job siege --ignore-not-found --wait=false$/m);
    });

    test("puts the node's clock on this machine's, so that errors still fall at the restart", async () => {
      const run = await runScript(clusterEnv({ FAKE_POD_CLOCK_OFFSET: "30" }));
      // Half a command round trip is the uncertainty: on a loaded machine that is well over 0.1 s.
      const offset = Number(run.stderr.match(/the load pod's clock is (-?[\d.]+)s ahead of this machine's/)?.[1]);
      expect(offset).toBeGreaterThan(27);
      expect(offset).toBeLessThan(33);
      const window = errorWindow(parseRolloutOutput(run.stdout))!;
      expect(Math.abs(window.firstErrorSeconds)).toBeLessThan(2);
    });

    test("bounds the node's clock offset by each exec's round trip, which it spends mostly before the pod reads its clock, and says how sure it is", async () => {
      // Each exec takes a second before its command runs, and little after: a midpoint would read
      // the offset half a second high; the bounds hold the true one.
      const run = await runScript(clusterEnv({ FAKE_POD_CLOCK_OFFSET: "30", FAKE_EXEC_START_SECONDS: "1" }));
      const [, offset, within] = run.stderr.match(/the load pod's clock is (-?[\d.]+)s ahead of this machine's, to within ([\d.]+)s/) ?? [];
      expect(Math.abs(Number(offset) - 30)).toBeLessThanOrEqual(Number(within));
      const measurement = parseRolloutOutput(run.stdout);
      expect(measurement.clockUncertaintySeconds).toBe(Number(within));
      // Never tighter than the part of a trip after the pod's reading, never wider than a whole trip.
      expect(Number(within)).toBeGreaterThan(0);
      expect(Number(within)).toBeLessThan(1);
    });
  });
});
