// siege in a Job in the cluster: what its pod keeps in its log.
import * as fs from "fs";
import * as path from "path";
import { loadJobManifest } from "../../../lib/loadJob";
import { parseRolloutOutput } from "../../../lib/rolloutOutput";
import { fakeClusterPerTest, haveSiege, projectDir, runScript, throttledSiegerc } from "../../support/rolloutScript";

(haveSiege ? describe : describe.skip)("rollout-test.sh against a fake cluster: the load Job's log", () => {
  const cluster = fakeClusterPerTest();
  const env = cluster.env;

  describe("with siege in a Job in the cluster (LOAD_FROM=cluster)", () => {
    const job = (script: string) =>
      JSON.stringify(
        loadJobManifest(
          { namespace: "demo-site-load", name: "siege", image: "debian:bookworm-slim", deadlineSeconds: 120 },
          {
            load: "siege",
            targetUrl: "http://demo-site.demo-site.svc.cluster.local:80/",
            concurrency: 4,
            timeLimitSeconds: 60,
            siegerc: throttledSiegerc(),
            script,
          },
        ),
      );
    const clusterEnv = (overrides: Record<string, string> = {}) =>
      env({
        LOAD_FROM: "cluster",
        LOAD_NAMESPACE: "demo-site-load",
        LOAD_JOB_NAME: "siege",
        LOAD_JOB: job(fs.readFileSync(path.join(projectDir, "scripts/in-cluster-load.sh"), "utf8")),
        LOAD_STOP_FILE: "/tmp/study-stop",
        ...overrides,
      });

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
