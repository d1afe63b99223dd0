// A pod whose container cannot start, before the test: a failed measurement that names it, well
// before the rollout's own wait would have run out, so that later cases still get their turn.
import * as fs from "fs";
import * as path from "path";
import { parseRolloutOutput } from "../../../lib/rolloutOutput";
import { fakeClusterPerTest, haveSiege, runScript, studyLine } from "../../support/rolloutScript";

const image = "docker.io/istio/proxyv2:1.31.0";

(haveSiege ? describe : describe.skip)("rollout-test.sh against a fake cluster: a container that cannot start before the test", () => {
  const cluster = fakeClusterPerTest();
  const env = cluster.env;
  // The rollout's wait would take 120 s, past runScript's own limit of 60 s: a test that ends with a
  // status did not sit it out.
  const timed = async (overrides: Record<string, string>) => {
    const startedAt = Date.now();
    const run = await runScript(env({ ROLLOUT_TIMEOUT_SECONDS: "120", FAKE_OUTAGE_SECONDS: "0", ...overrides }));
    return { run, seconds: (Date.now() - startedAt) / 1000 };
  };
  const calls = () => fs.readFileSync(path.join(cluster.state, "kubectl.calls"), "utf8");

  test("ErrImageNeverPull fails the case at once, naming the pod, the container, its image and the reason, and the sidecar the pods carry", async () => {
    const { run, seconds } = await timed({ FAKE_ROLLOUT: "never-pull", FAKE_SIDECAR: "native" });
    expect(run.code).toBe(0);
    expect(studyLine(run.stdout, "status")).toBe(
      "failed deployment/demo-site could not roll out before the test: sidecar container istio-proxy of pod demo-site-old-a cannot start: " +
        `image ${image}, ErrImageNeverPull: Container image "${image}" is not present with pull policy of Never; ` +
        "1 more cannot start: istio-proxy of pod demo-site-old-b (ErrImageNeverPull)",
    );
    // What Istio's injector left on the pods that cannot start, as the results show it with the failure.
    expect(studyLine(run.stdout, "sidecar")).toBe("native");
    expect(parseRolloutOutput(run.stdout)).toMatchObject({ status: "failed", load: "siege", sidecar: "native" });
    // Without waiting for a retry: the bound for those is 60 s here.
    expect(seconds).toBeLessThan(40);
    expect(calls()).not.toContain("rollout restart");
    expect(run.stderr).not.toContain("siege started");
  });

  test("an image pull that keeps failing fails the case once the bound has passed, with the pull's error from the events", async () => {
    const { run, seconds } = await timed({ FAKE_ROLLOUT: "pull-backoff", POD_START_BOUND_SECONDS: "4" });
    expect(run.code).toBe(0);
    const status = studyLine(run.stdout, "status")!;
    expect(status).toMatch(
      new RegExp(
        "^failed deployment/demo-site could not roll out before the test: sidecar container istio-proxy of pod demo-site-old-a cannot start: " +
          `image docker\\.io/istio/proxyv2:1\\.31\\.0, ImagePullBackOff for (\\d+)s: Back-off pulling image "docker\\.io/istio/proxyv2:1\\.31\\.0"; ` +
          `the pod's latest warning: Failed: Failed to pull image "docker\\.io/istio/proxyv2:1\\.31\\.0": rpc error: code = NotFound .*: not found; ` +
          "1 more cannot start: istio-proxy of pod demo-site-old-b \\(ImagePullBackOff\\)$",
      ),
    );
    expect(Number(status.match(/for (\d+)s/)![1])).toBeGreaterThanOrEqual(4);
    expect(seconds).toBeGreaterThanOrEqual(4);
    expect(seconds).toBeLessThan(45);
    expect(calls()).not.toContain("rollout restart");
  });

  test("a pull that succeeds after a back-off shorter than the bound does not fail the case", async () => {
    const { run } = await timed({ FAKE_ROLLOUT: "pull-recovers", FAKE_BACKOFF_SECONDS: "3", POD_START_BOUND_SECONDS: "10" });
    expect(run.code).toBe(0);
    expect(studyLine(run.stdout, "status")).toBe("ok");
    expect(parseRolloutOutput(run.stdout).report!.transactions).toBeGreaterThan(0);
    // The watch saw the back-off (its first look at the pods starts it) and let the rollout's wait go on.
    const seen = fs.readFileSync(path.join(cluster.state, "proxy.seen"), "utf8").trim().split("\n");
    expect(seen[0]).toBe("ImagePullBackOff");
    expect(run.stderr).not.toMatch(/watch-pod-start|the watch of the pods' containers ended/);
  });
});
