// A case of the ambient mesh is measured only once Istio's CNI node agent has enrolled every pod:
// pods it did not enroll would be measured outside the mesh, a false figure.
import * as fs from "fs";
import * as path from "path";
import { parseRolloutOutput } from "../../../lib/rolloutOutput";
import { fakeClusterPerTest, haveSiege, runScript, studyLine } from "../../support/rolloutScript";

const check =
  "check that the DaemonSets istio-cni-node and ztunnel are ready on every node (kubectl --context istio-exit-study get daemonsets --all-namespaces)";

(haveSiege ? describe : describe.skip)("rollout-test.sh against a fake cluster: ambient mode", () => {
  const cluster = fakeClusterPerTest();
  const ambient = (redirection: string) => runScript(cluster.env({ MESH: "ambient", FAKE_REDIRECTION: redirection, FAKE_OUTAGE_SECONDS: "0" }));
  const restarted = () => fs.readFileSync(path.join(cluster.state, "kubectl.calls"), "utf8").includes("rollout restart");

  test("every pod enrolled: measured, the pods found in the ambient mesh (a pod being deleted, unmarked, aside)", async () => {
    const run = await ambient("enabled enabled");
    expect(run.code).toBe(0);
    expect(parseRolloutOutput(run.stdout)).toMatchObject({ status: "ok", sidecar: "ambient" });
    expect(parseRolloutOutput(run.stdout).report!.transactions).toBeGreaterThan(0);
  });

  test("a pod the agent redirected but could not hand to ztunnel (pending): failed before the restart, naming it and what to check", async () => {
    const run = await ambient("enabled pending");
    expect(run.code).toBe(0);
    const status = studyLine(run.stdout, "status")!;
    expect(status).toMatch(/^failed not every pod of deployment\/demo-site is in the ambient mesh \(.*ambient\.istio\.io\/redirection=enabled.*\): /);
    expect(status).toContain(`: demo-site-old-b is marked pending; ${check}`);
    expect(status).not.toContain("demo-site-old-a");
    // The pods' mode with the failure: one enrolled, one not.
    expect(parseRolloutOutput(run.stdout)).toMatchObject({ status: "failed", sidecar: "mixed" });
    expect(restarted()).toBe(false);
  });

  test("pods the agent has not enrolled at all (no mark): failed before the restart, naming each", async () => {
    const run = await ambient("- -");
    expect(studyLine(run.stdout, "status")).toMatch(new RegExp(`: demo-site-old-a has no mark, demo-site-old-b has no mark; ${check.replace(/[()]/g, "\\$&")}$`));
    expect(parseRolloutOutput(run.stdout)).toMatchObject({ status: "failed", sidecar: "none" });
    expect(run.stderr).not.toContain("siege started");
    expect(restarted()).toBe(false);
  });

  test("a case of the sidecar mesh is not asked for the mark", async () => {
    const run = await runScript(cluster.env({ MESH: "sidecar", FAKE_SIDECAR: "classic", FAKE_OUTAGE_SECONDS: "0" }));
    expect(parseRolloutOutput(run.stdout)).toMatchObject({ status: "ok", sidecar: "classic" });
  });
});
