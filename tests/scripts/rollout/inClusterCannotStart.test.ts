// The load Job's pod whose container cannot start: a failed measurement that names it, well before
// the wait for the load's start (as long as a rollout may take) would have run out.
import { parseRolloutOutput } from "../../../lib/rolloutOutput";
import { fakeClusterPerTest, haveSiege, inClusterLoad, runScript, siegeJobEnv, studyLine } from "../../support/rolloutScript";

(haveSiege ? describe : describe.skip)("rollout-test.sh against a fake cluster: a load Job whose pod cannot start", () => {
  const cluster = fakeClusterPerTest();
  // The wait for the load's start would take 120 s, past runScript's own limit of 60 s: a test that
  // ends with a status did not sit it out.
  const timed = async (overrides: Record<string, string>) => {
    const startedAt = Date.now();
    const run = await runScript(siegeJobEnv(cluster.env, inClusterLoad(), { ROLLOUT_TIMEOUT_SECONDS: "120", FAKE_OUTAGE_SECONDS: "0", ...overrides }));
    return { run, seconds: (Date.now() - startedAt) / 1000 };
  };

  test("an image the node never pulls fails the measurement at once, naming the pod, the container and the image", async () => {
    const { run, seconds } = await timed({ FAKE_LOAD_POD: "never-pull" });
    expect(run.code).toBe(0);
    expect(studyLine(run.stdout, "status")).toBe(
      "failed the load Job could not start siege: container siege of pod fake-load-pod cannot start: image debian:bookworm-slim, " +
        'ErrImageNeverPull: Container image "debian:bookworm-slim" is not present with pull policy of Never',
    );
    expect(parseRolloutOutput(run.stdout)).toMatchObject({ status: "failed", load: "siege" });
    expect(seconds).toBeLessThan(40);
    // Before the restart: nothing was measured.
    expect(run.stderr).not.toContain("rollout restart issued");
  });

  test("a pull that keeps failing fails it once the bound has passed", async () => {
    const { run, seconds } = await timed({ FAKE_LOAD_POD: "pull-backoff", POD_START_BOUND_SECONDS: "3" });
    expect(studyLine(run.stdout, "status")).toMatch(
      /^failed the load Job could not start siege: container siege of pod fake-load-pod cannot start: image debian:bookworm-slim, ImagePullBackOff for \d+s: Back-off pulling image "debian:bookworm-slim"$/,
    );
    expect(seconds).toBeGreaterThanOrEqual(3);
    expect(seconds).toBeLessThan(45);
  });
});
