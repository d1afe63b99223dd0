// What fails a measurement, so that later cases still run: a stuck rollout, an unready Deployment, no URL, no siege.
import { parseRolloutOutput } from "../../../lib/rolloutOutput";
import { fakeCluster, fakeClusterPerTest, haveSiege, runScript, studyLine, toolsWithout } from "../../support/rolloutScript";

(haveSiege ? describe : describe.skip)("rollout-test.sh against a fake cluster: failed measurements", () => {
  const cluster = fakeClusterPerTest();
  const env = cluster.env;

  test("a rollout that does not finish is reported as failed, with the measurement stopped", async () => {
    const run = await runScript(env({ FAKE_ROLLOUT: "stuck", FAKE_OUTAGE_SECONDS: "0" }));
    expect(run.code).toBe(0);
    expect(studyLine(run.stdout, "status")).toBe("failed rollout did not finish within 10s");
    expect(studyLine(run.stdout, "rollout-seconds")).toBeUndefined();
  });

  test("a Deployment that is not ready is a failed measurement, so that later cases still run", async () => {
    const run = await runScript(env({ FAKE_ROLLOUT: "unready" }));
    expect(run.code).toBe(0);
    expect(studyLine(run.stdout, "status")).toBe("failed deployment/demo-site was not ready within 10s before the test");
    expect(parseRolloutOutput(run.stdout).status).toBe("failed");
  });

  test("a service minikube cannot reach is a failed measurement that quotes minikube", async () => {
    const run = await runScript(env({ FAKE_URL: "" }));
    expect(run.code).toBe(0);
    expect(studyLine(run.stdout, "status")).toMatch(/^failed minikube service gave no URL for service\/demo-site: .*SVC_NOT_FOUND/);
  });

  test("fails at once, naming siege, when siege is missing", async () => {
    const run = await runScript(env({ PATH: `${fakeCluster}:${toolsWithout("siege")}` }));
    expect(run.code).toBe(127);
    expect(run.stderr).toMatch(/siege is not on PATH: install it/);
    expect(run.stdout).toBe("");
  });
});
