// siege in a Job in the cluster: what it needs here, and a Job that never starts.
import * as fs from "fs";
import * as path from "path";
import { loadJobManifest } from "../../../lib/loadJob";
import { parseRolloutOutput } from "../../../lib/rolloutOutput";
import { fakeCluster, fakeClusterPerTest, haveSiege, projectDir, runScript, studyLine, toolsWithout , throttledSiegerc } from "../../support/rolloutScript";

(haveSiege ? describe : describe.skip)("rollout-test.sh against a fake cluster: the load Job's start", () => {
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
