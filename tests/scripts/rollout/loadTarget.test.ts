// Where the host's load goes: minikube's URL for the study's Service, or a node's address and the NodePort.
import * as fs from "fs";
import * as path from "path";
import { availability, fakeCluster, fakeClusterPerTest, haveSiege, runScript, toolsWithout } from "../../support/rolloutScript";

(haveSiege ? describe : describe.skip)("rollout-test.sh against a fake cluster: the load's target", () => {
  const cluster = fakeClusterPerTest();
  const env = cluster.env;

  test("the load runs against the URL minikube gives for the study's service, namespace and profile", async () => {
    const run = await runScript(env({ FAKE_OUTAGE_SECONDS: "0" }));
    expect(run.stderr).toContain(`load target: ${cluster.server.url}`);
    const minikubeCalls = fs.readFileSync(path.join(cluster.state, "minikube.calls"), "utf8");
    expect(minikubeCalls).toBe("service demo-site --namespace demo-site --profile istio-exit-study --url\n");
    const kubectlCalls = fs.readFileSync(path.join(cluster.state, "kubectl.calls"), "utf8");
    expect(kubectlCalls).toMatch(/^--context istio-exit-study --namespace demo-site rollout restart deployment\/demo-site$/m);
  });

  test("on a cluster other than minikube, the host loads a node's address and the NodePort", async () => {
    const port = new URL(cluster.server.url).port;
    const run = await runScript(env({ PROFILE: "", FAKE_NODE_PORT: port, FAKE_OUTAGE_SECONDS: "0", PATH: `${fakeCluster}:${toolsWithout("minikube")}` }));
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`load target: http://127.0.0.1:${port}/`);
    expect(availability(run.stdout)).toBe(100);
  });
});
