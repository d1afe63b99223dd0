// How long the load runs: until the old pods are gone, past 10 s when their grace period allows.
import { parseRolloutOutput } from "../../../lib/rolloutOutput";
import { fakeClusterPerTest, haveSiege, runScript } from "../../support/rolloutScript";

(haveSiege ? describe : describe.skip)("rollout-test.sh against a fake cluster: waiting past 10 s", () => {
  const cluster = fakeClusterPerTest();
  const env = cluster.env;

  test("waits for old pods as long as their grace period allows, well past 10 s", async () => {
    // The rollout itself takes 1.5 s, and the wait counts whole seconds: 14 s is past any cap of 10 s.
    const run = await runScript(env({ FAKE_OUTAGE_SECONDS: "0", FAKE_TERMINATION_SECONDS: "14", FAKE_GRACE_SECONDS: "20" }));
    const measurement = parseRolloutOutput(run.stdout);
    expect(measurement.pods.map((p) => p.goneSeconds !== null && p.goneSeconds >= 14)).toEqual([true, true]);
    expect(measurement.oldPodsGoneSeconds).toBeGreaterThanOrEqual(14);
  });
});
