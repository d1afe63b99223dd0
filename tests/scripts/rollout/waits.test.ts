// How long the load runs: until the last old pod is gone, then the settle.
import { parseRolloutOutput } from "../../../lib/rolloutOutput";
import { fakeClusterPerTest, haveSiege, runScript } from "../../support/rolloutScript";

(haveSiege ? describe : describe.skip)("rollout-test.sh against a fake cluster: until the old pods are gone", () => {
  const cluster = fakeClusterPerTest();
  const env = cluster.env;

  test("keeps the load until the last old pod is gone, then settles", async () => {
    const run = await runScript(env({ FAKE_OUTAGE_SECONDS: "0", FAKE_TERMINATION_SECONDS: "5" }));
    const measurement = parseRolloutOutput(run.stdout);
    expect(measurement.rolloutSeconds).toBeLessThan(5);
    expect(measurement.oldPodsGoneSeconds).toBeGreaterThanOrEqual(5);
    expect(measurement.pods.map((p) => p.goneSeconds === null)).toEqual([false, false]);
    // 1 s warm-up, 5 s until the old pods are gone, 1 s settle.
    expect(measurement.report!.elapsedSeconds).toBeGreaterThanOrEqual(6.5);
  });
});
