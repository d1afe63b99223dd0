// The whole program under Pulumi's mocks: the whole study in one run (cases).
import { MockRun, runStudy } from "../harness";

describe("the whole study in one run (cases)", () => {
  const standardNames = [
    "nomesh-nohook",
    "nomesh-hook",
    "sidecar-nohook",
    "sidecar-hook",
    "drain-hook",
    "exit-on-zero-hook",
    "proxy-prestop-hook",
    "native-hook",
    "ambient-hook",
  ];
  // Earlier tests register more slowly: only the chain keeps them in the order of the cases.
  const earlierIsSlower = {
    delayMs: (r: { name: string }) => {
      const index = standardNames.findIndex((name) => r.name.startsWith(`rollout-${name}`));
      return index < 0 ? 0 : (standardNames.length - index) * 15;
    },
  };
  const testOf = (run: MockRun, name: string) => run.one("command:local:Command", `rollout-${name}-test`);

  test("cases=standard registers one namespace, workload and test per case, one Istio for all", async () => {
    const run = await runStudy({ cases: "standard", cpus: "6" });
    expect(run.all("kubernetes:core/v1:Namespace").map((r) => r.inputs.metadata.name).sort()).toEqual(
      ["istio-system", ...standardNames.map((n) => `demo-site-${n}`)].sort(),
    );
    expect(run.all("kubernetes:apps/v1:Deployment")).toHaveLength(standardNames.length);
    expect(run.all("kubernetes:core/v1:Service")).toHaveLength(standardNames.length);
    expect(run.all("command:local:Command").filter((c) => c.name.startsWith("rollout-")).map((c) => c.name)).toHaveLength(standardNames.length);
    expect(run.all("kubernetes:helm.sh/v3:Release").map((r) => r.inputs.name).sort()).toEqual(["istio-base", "istio-cni", "istiod", "ztunnel"]);
    const labels = (name: string) => run.one("kubernetes:core/v1:Namespace", `demo-site-${name}-namespace`).inputs.metadata.labels;
    expect(labels("nomesh-hook")).toEqual({});
    expect(labels("sidecar-hook")).toEqual({ "istio-injection": "enabled" });
    expect(labels("ambient-hook")).toEqual({ "istio.io/dataplane-mode": "ambient" });
    const pods = (name: string) => run.one("kubernetes:apps/v1:Deployment", `demo-site-${name}-deployment`).inputs.spec.template;
    expect(pods("drain-hook").metadata.annotations["proxy.istio.io/config"]).toBe('{"terminationDrainDuration":"15s"}');
    expect(pods("native-hook").metadata.annotations["sidecar.istio.io/nativeSidecar"]).toBe("true");
    expect(testOf(run, "native-hook").inputs.environment).toMatchObject({ NAMESPACE: "demo-site-native-hook", MESH: "sidecar" });
    // Its test checks an ambient case's pods are enrolled before it measures them.
    expect(testOf(run, "ambient-hook").inputs.environment).toMatchObject({ MESH: "ambient" });
    expect(testOf(run, "nomesh-hook").inputs.environment).toMatchObject({ MESH: "none" });
  });

  test("proxyPreStopSeconds in the stack: no istio-proxy on the pods without a classic sidecar, and the warning says it was left out", async () => {
    // Under the mocks Pulumi has no engine to log to: its warnings go to the console.
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    const run = await runStudy({ cases: "standard", cpus: "6", proxyPreStopSeconds: "15" });
    const warnings = warn.mock.calls.map(([line]) => String(line)).filter((line) => line.includes("proxyPreStopSeconds"));
    warn.mockRestore();
    const pod = (name: string) => run.one("kubernetes:apps/v1:Deployment", `demo-site-${name}-deployment`).inputs.spec.template.spec;
    // The mocks hand a list over as an object keyed by position.
    const containers = (name: string) => Object.values(pod(name).containers as Record<string, { name: string }>).map((c) => c.name);
    for (const name of ["nomesh-nohook", "nomesh-hook", "native-hook", "ambient-hook"]) expect([name, containers(name)]).toEqual([name, ["nginx"]]);
    for (const name of ["sidecar-hook", "drain-hook", "proxy-prestop-hook"]) expect([name, containers(name)]).toEqual([name, ["nginx", "istio-proxy"]]);
    // Nor does a sleep that is not there lengthen their grace period: the app's 10 s, Istio's 5 s, the margin.
    expect(pod("nomesh-hook").terminationGracePeriodSeconds).toBe(30);
    expect(warnings).toEqual(
      ["nomesh-nohook", "nomesh-hook", "native-hook", "ambient-hook"].map((name) =>
        expect.stringContaining(`cases[${name}].proxyPreStopSeconds=15, taken from the stack's config, is left out of this case: `),
      ),
    );
    // What each case carries is what its pods got: the results say so too.
    const settings = Object.fromEntries((run.outputs.results as any[]).map((r) => [r.case, r.setting.proxyPreStopSeconds]));
    expect([settings["nomesh-hook"], settings["native-hook"], settings["sidecar-hook"]]).toEqual([0, 0, 15]);
  });

  test("the tests are chained: each waits for the one before, in the order of the cases", async () => {
    const run = await runStudy({ cases: "standard", cpus: "6" }, earlierIsSlower);
    const order = standardNames.map((name) => testOf(run, name).order);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(run.one("command:local:Command", "verdict-check").order).toBeGreaterThan(Math.max(...order));
  });

  test("no test starts before every workload is in place, so no Deployment rolls during a test", async () => {
    const lastSiteSlow = { delayMs: (r: { name: string }) => (r.name === "demo-site-native-hook-deployment" ? 200 : 0) };
    const run = await runStudy({ cases: "sidecar-hook,native-hook" }, lastSiteSlow);
    expect(testOf(run, "sidecar-hook").order).toBeGreaterThan(run.one("kubernetes:apps/v1:Deployment", "native-hook-deployment").order);
  });

  test("repeats go round the cases, chained too, the repeat in its trigger", async () => {
    const run = await runStudy({ cases: "sidecar-hook,native-hook", repeats: "2" }, { delayMs: earlierIsSlower.delayMs });
    const tests = run.all("command:local:Command").filter((c) => c.name.startsWith("rollout-"));
    expect(tests.sort((a, b) => a.order - b.order).map((c) => c.name)).toEqual([
      "rollout-sidecar-hook-test",
      "rollout-native-hook-test",
      "rollout-sidecar-hook-2-test",
      "rollout-native-hook-2-test",
    ]);
    expect(JSON.parse(tests[2].inputs.triggers[0]).repeat).toBe(2);
    expect((run.outputs.results as any[]).map((r) => [r.case, r.runs])).toEqual([
      ["sidecar-hook", 2],
      ["native-hook", 2],
    ]);
  });

});
