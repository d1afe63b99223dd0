// siege in a Job in the cluster: what it needs here, and a Job that never starts.
import { parseRolloutOutput } from "../../../lib/rolloutOutput";
import { fakeCluster, fakeClusterPerTest, haveSiege, inClusterLoad, runScript, siegeJobEnv, studyLine, toolsWithout } from "../../support/rolloutScript";

(haveSiege ? describe : describe.skip)("rollout-test.sh against a fake cluster: the load Job's start", () => {
  const cluster = fakeClusterPerTest();
  const env = cluster.env;

  describe("with siege in a Job in the cluster (LOAD_FROM=cluster)", () => {
    const clusterEnv = (overrides: Record<string, string> = {}) => siegeJobEnv(env, inClusterLoad(), overrides);
    const job = (script: string) => siegeJobEnv(env, script).LOAD_JOB;

    test("needs neither siege nor minikube on this machine", async () => {
      const run = await runScript(clusterEnv({ FAKE_OUTAGE_SECONDS: "0", PATH: `${fakeCluster}:${toolsWithout("minikube")}` }));
      expect(run.code).toBe(0);
      expect(parseRolloutOutput(run.stdout).report!.availability).toBe(100);
    });

    test("a Job that never starts siege is a failed measurement quoting its log", async () => {
      const run = await runScript(clusterEnv({ LOAD_JOB: job("echo 'E: Unable to locate package siege' >&2; exit 100"), ROLLOUT_TIMEOUT_SECONDS: "3" }));
      expect(run.code).toBe(0);
      expect(studyLine(run.stdout, "status")).toMatch(/^failed the load Job did not start siege within 3s: .*Unable to locate package siege/);
    });
  });
});
