import { TestSettings } from "../../config/study";
import { RolloutTarget } from "../../components/rolloutTest";
import { runMocked } from "../harness";

const target: RolloutTarget = {
  kubeContext: "istio-exit-study",
  profile: "istio-exit-study",
  namespace: "demo-site",
  deployment: "demo-site",
  service: "demo-site",
  podSelector: "app=demo-site",
};
const settings: TestSettings = { concurrency: 25, warmupSeconds: 5, settleSeconds: 10, rolloutTimeoutSeconds: 300, repeats: 1, run: "" };
const measured = { injection: true, variant: "hook", sidecarMode: "classic", replicas: 3, workload: "abc" };

function runTest(overrides: { settings?: Partial<TestSettings>; measured?: Record<string, string | number | boolean> } = {}) {
  return runMocked({}, () => {
    const command = require("@pulumi/command");
    const { RolloutTest } = require("../../components/rolloutTest");
    const workload = new command.local.Command("workload", { create: "true" });
    const test = new RolloutTest("rollout", {
      target,
      settings: { ...settings, ...overrides.settings },
      measured: overrides.measured ?? measured,
      after: [workload],
    });
    return { measurement: test.measurement };
  });
}

describe("RolloutTest", () => {
  test("runs the test script after the workload, all settings in the environment", async () => {
    const run = await runTest();
    const siege = run.one("command:local:Command", "rollout-siege");
    expect(siege.inputs.create).toBe("bash scripts/rollout-test.sh");
    expect(siege.inputs.environment).toEqual({
      KUBE_CONTEXT: "istio-exit-study",
      PROFILE: "istio-exit-study",
      NAMESPACE: "demo-site",
      DEPLOYMENT: "demo-site",
      SERVICE: "demo-site",
      POD_SELECTOR: "app=demo-site",
      SIEGERC: "siege/siegerc",
      CONCURRENCY: "25",
      WARMUP_SECONDS: "5",
      SETTLE_SECONDS: "10",
      ROLLOUT_TIMEOUT_SECONDS: "300",
    });
    expect(siege.inputs.addPreviousOutputInEnv).toBe(false);
    expect(siege.order).toBeGreaterThan(run.one("command:local:Command", "workload").order);
  });

  test("its measurement is the script's stdout, parsed", async () => {
    const run = await runTest();
    expect(run.outputs.measurement).toMatchObject({ status: "ok", sidecar: "classic", report: { availability: 99.98 } });
  });

  test("the trigger changes exactly when what is measured, how, or the run label changes", async () => {
    const trigger = async (overrides: Parameters<typeof runTest>[0]) =>
      (await runTest(overrides)).one("command:local:Command", "rollout-siege").inputs.triggers;
    const base = await trigger({});
    expect(await trigger({})).toEqual(base);
    expect(await trigger({ measured: { ...measured } })).toEqual(base);
    for (const change of [
      { measured: { ...measured, injection: false } },
      { measured: { ...measured, variant: "nohook" } },
      { measured: { ...measured, sidecarMode: "native" } },
      { measured: { ...measured, replicas: 4 } },
      { measured: { ...measured, workload: "def" } },
      { settings: { concurrency: 50 } },
      { settings: { settleSeconds: 20 } },
      { settings: { run: "2" } },
    ]) {
      expect([change, await trigger(change)]).not.toEqual([change, base]);
    }
  });
});
