// siege in a Job in the cluster: what its pod keeps in its log.
import * as fs from "fs";
import * as path from "path";
import { parseRolloutOutput } from "../../../lib/rolloutOutput";
import { fakeClusterPerTest, haveSiege, inClusterLoad, runScript, siegeJobEnv } from "../../support/rolloutScript";

(haveSiege ? describe : describe.skip)("rollout-test.sh against a fake cluster: the load Job's log", () => {
  const cluster = fakeClusterPerTest();
  const env = cluster.env;

  describe("with siege in a Job in the cluster (LOAD_FROM=cluster)", () => {
    const clusterEnv = (overrides: Record<string, string> = {}) => siegeJobEnv(env, inClusterLoad(), overrides);

    test("keeps only failed responses in the pod's log", async () => {
      await runScript(clusterEnv({}));
      const log = fs.readFileSync(path.join(cluster.state, "job.log"), "utf8");
      expect(log).not.toMatch(/ HTTP\/1\.1 200 /);
      expect(log).toMatch(/Connection reset by peer/);
    });

    test("keeps 408 answers, which siege counts as failed, in the pod's log", async () => {
      cluster.server.fail("408", 5);
      const run = await runScript(clusterEnv({ FAKE_OUTAGE_SECONDS: "0" }));
      const log = fs.readFileSync(path.join(cluster.state, "job.log"), "utf8");
      expect(log).toMatch(/ HTTP\/1\.1 408 /);
      expect(parseRolloutOutput(run.stdout).errors.timeout).toBeGreaterThan(0);
    });
  });
});
