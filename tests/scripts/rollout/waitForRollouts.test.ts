// scripts/wait-for-rollouts.sh, before the first test of several cases: every case's Deployment
// waited for in turn, within one bound, with the tests' own wait; it never fails.
import * as fs from "fs";
import * as path from "path";
import { fakeClusterPerTest, runScript, toolsWithout } from "../../support/rolloutScript";

describe("wait-for-rollouts.sh against a fake cluster", () => {
  const cluster = fakeClusterPerTest();
  const deployments = ["demo-site-a demo-site app=demo-site", "demo-site-b demo-site app=demo-site"].join("\n");
  const waitFor = async (overrides: Record<string, string>) => {
    const startedAt = Date.now();
    const run = await runScript(cluster.env({ DEPLOYMENTS: deployments, ...overrides }), "scripts/wait-for-rollouts.sh");
    return { run, seconds: (Date.now() - startedAt) / 1000 };
  };
  const waits = () =>
    fs
      .readFileSync(path.join(cluster.state, "kubectl.calls"), "utf8")
      .split("\n")
      .filter((call) => call.includes("rollout status"));

  test("waits for each case's Deployment in turn", async () => {
    const { run } = await waitFor({});
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("");
    expect(waits()).toEqual([
      "--context istio-exit-study --namespace demo-site-a rollout status deployment/demo-site --timeout=10s",
      expect.stringMatching(/^--context istio-exit-study --namespace demo-site-b rollout status deployment\/demo-site --timeout=(9|10)s$/),
    ]);
    expect(run.stderr).toMatch(/deployment\/demo-site in demo-site-a rolled out\n(.|\n)*deployment\/demo-site in demo-site-b rolled out\n/);
  });

  test("pods that cannot start end their wait at once, logged, and the update goes on", async () => {
    const { run, seconds } = await waitFor({ FAKE_ROLLOUT: "never-pull", ROLLOUT_TIMEOUT_SECONDS: "120" });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      "deployment/demo-site in demo-site-a did not roll out: sidecar container istio-proxy of pod demo-site-old-a cannot start: image docker.io/istio/proxyv2:1.31.0, ErrImageNeverPull",
    );
    expect(run.stderr).toMatch(/deployment\/demo-site in demo-site-b did not roll out: .*; its test waits for it again, and fails its case alone/);
    expect(waits()).toHaveLength(2);
    // Far from the 120 s the rollouts' own waits would take (runScript gives up at 60 s).
    expect(seconds).toBeLessThan(40);
  });

  test("all the waits share one bound: a Deployment still rolling once it is spent is left to its test", async () => {
    // Pulls that keep failing, for longer than the whole bound: the first wait takes all of it.
    const { run, seconds } = await waitFor({ FAKE_ROLLOUT: "pull-backoff", POD_START_BOUND_SECONDS: "100", ROLLOUT_TIMEOUT_SECONDS: "3" });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/deployment\/demo-site in demo-site-a did not roll out; /);
    expect(run.stderr).toContain("no time left to wait for deployment/demo-site in demo-site-b: its test waits for it");
    expect(waits()).toHaveLength(1);
    // bash's SECONDS, the deadline's clock and the fake's, counts whole seconds: the bound is 3 s less one.
    expect(seconds).toBeGreaterThanOrEqual(2);
    expect(seconds).toBeLessThan(20);
  });

  test("without kubectl, no wait, and no failure", async () => {
    const { run } = await waitFor({ PATH: toolsWithout() });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("kubectl is not on PATH: no wait for the rollouts");
  });
});
