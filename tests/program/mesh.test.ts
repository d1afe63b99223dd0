// The whole program under Pulumi's mocks: the mesh switch.
import { MockRun, runStudy } from "../harness";

describe("the mesh switch", () => {
  test("mesh=none installs no Istio at all and measures the app alone", async () => {
    const run = await runStudy({ mesh: "none" });
    expect(run.resources.filter((r) => r.name.startsWith("istio"))).toEqual([]);
    expect(run.outputs.istioVersion).toBe("none");
    expect(run.one("command:local:Command", "rollout-test").inputs.triggers[0]).toContain('"mesh":"none"');
  });

  test("mesh=ambient adds cni and ztunnel and enrolls the namespace; the cluster stays as it was", async () => {
    const sidecar = await runStudy();
    const ambient = await runStudy({ mesh: "ambient" });
    expect(ambient.all("kubernetes:helm.sh/v3:Release").map((r) => r.inputs.name).sort()).toEqual(
      ["istio-base", "istio-cni", "istiod", "ztunnel"],
    );
    expect(ambient.one("kubernetes:core/v1:Namespace", "demo-site-namespace").inputs.metadata.labels).toEqual({
      "istio.io/dataplane-mode": "ambient",
    });
    const clusterOf = (run: MockRun) => run.resources.filter((r) => r.name.startsWith("cluster")).map((r) => r.inputs);
    expect(clusterOf(ambient)).toEqual(clusterOf(sidecar));
    expect(ambient.one("kubernetes:helm.sh/v3:Release", "istio-base").inputs).toEqual(
      sidecar.one("kubernetes:helm.sh/v3:Release", "istio-base").inputs,
    );
  });
});
