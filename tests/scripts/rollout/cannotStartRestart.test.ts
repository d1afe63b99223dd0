// A new pod of the restart whose container cannot start: the test's failed status names it, within
// the bound rather than the rollout's own wait, with the load stopped as after any failed rollout.
import * as fs from "fs";
import * as path from "path";
import { parseRolloutOutput } from "../../../lib/rolloutOutput";
import { fakeClusterPerTest, haveSiege, runScript, siegeProcesses, studyLine } from "../../support/rolloutScript";

(haveSiege ? describe : describe.skip)("rollout-test.sh against a fake cluster: a container of the restart that cannot start", () => {
  const cluster = fakeClusterPerTest();
  const env = cluster.env;

  test("an image pull that keeps failing fails the test once the bound has passed, naming the new pod, and stops the load", async () => {
    const startedAt = Date.now();
    // The rollout's wait would take 120 s, past runScript's own limit of 60 s.
    const run = await runScript(env({ FAKE_ROLLOUT: "pull-backoff", FAKE_PULL_AT: "restart", POD_START_BOUND_SECONDS: "4", ROLLOUT_TIMEOUT_SECONDS: "120", FAKE_OUTAGE_SECONDS: "0" }));
    const seconds = (Date.now() - startedAt) / 1000;
    expect(run.code).toBe(0);
    expect(studyLine(run.stdout, "status")).toMatch(
      /^failed rollout could not finish: sidecar container istio-proxy of pod demo-site-new-a cannot start: image docker\.io\/istio\/proxyv2:1\.31\.0, ImagePullBackOff for \d+s: Back-off pulling image "docker\.io\/istio\/proxyv2:1\.31\.0"; the pod's latest warning: Failed: Failed to pull image .*: not found$/,
    );
    const measurement = parseRolloutOutput(run.stdout);
    expect([measurement.status, measurement.rolloutSeconds]).toEqual(["failed", undefined]);
    expect(measurement.restartAt).toBeGreaterThan(0);
    // The load ran and was stopped, its report read; nothing of it is left.
    expect(run.stderr).toContain("siege stopped");
    expect(measurement.report!.transactions).toBeGreaterThan(0);
    expect(siegeProcesses(cluster.server.url)).toEqual([]);
    expect(seconds).toBeLessThan(45);
  });

  test("a pull of the restart that succeeds after a back-off shorter than the bound: the rollout measured as any other", async () => {
    // The back-off's clock starts at the watch's first look at the pods, after ts-node's start (seconds
    // on this loaded machine), and the rollout's wait runs from the restart: a bound with room for both.
    const run = await runScript(
      env({ FAKE_ROLLOUT: "pull-recovers", FAKE_PULL_AT: "restart", FAKE_BACKOFF_SECONDS: "3", POD_START_BOUND_SECONDS: "10", ROLLOUT_TIMEOUT_SECONDS: "40", FAKE_OUTAGE_SECONDS: "0" }),
    );
    const measurement = parseRolloutOutput(run.stdout);
    expect([measurement.status, measurement.reason]).toEqual(["ok", undefined]);
    // Held by the back-off, which the watch saw, then the fake rollout's 1.5 s.
    expect(measurement.rolloutSeconds).toBeGreaterThanOrEqual(3);
    expect(fs.readFileSync(path.join(cluster.state, "proxy.seen"), "utf8").trim().split("\n")).toContain("ImagePullBackOff");
  });
});
