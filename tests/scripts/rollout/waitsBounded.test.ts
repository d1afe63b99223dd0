// How long the load runs: a warm-up before the restart and a settle after it.
import { parseRolloutOutput } from "../../../lib/rolloutOutput";
import { fakeClusterPerTest, haveSiege, runScript } from "../../support/rolloutScript";

(haveSiege ? describe : describe.skip)("rollout-test.sh against a fake cluster: warm-up and settle", () => {
  const cluster = fakeClusterPerTest();
  const env = cluster.env;

  test("keeps the load through the warm-up before the restart and the settle after it", async () => {
    const run = await runScript(env({ FAKE_OUTAGE_SECONDS: "0", WARMUP_SECONDS: "3", SETTLE_SECONDS: "3" }));
    // Loaded machines only make it longer; without either wait it would be about 3 s shorter.
    expect(parseRolloutOutput(run.stdout).report!.elapsedSeconds).toBeGreaterThanOrEqual(5.5);
  });
});
