// How long the load runs: an old pod that outlives its grace period is waited for no longer.
import { parseRolloutOutput } from "../../../lib/rolloutOutput";
import { fakeClusterPerTest, haveSiege, runScript } from "../../support/rolloutScript";

(haveSiege ? describe : describe.skip)("rollout-test.sh against a fake cluster: bounded by the grace period", () => {
  const cluster = fakeClusterPerTest();
  const env = cluster.env;

  test("waits for an old pod no longer than its grace period and a margin", async () => {
    const run = await runScript(env({ FAKE_OUTAGE_SECONDS: "0", FAKE_TERMINATION_SECONDS: "1000", FAKE_GRACE_SECONDS: "1" }));
    const measurement = parseRolloutOutput(run.stdout);
    expect(measurement.status).toBe("ok");
    expect(measurement.oldPodsGoneSeconds).toBeUndefined();
    expect(run.stderr).toMatch(/pod demo-site-old-[ab] was not gone 1s after the rollout/);
  });
});
