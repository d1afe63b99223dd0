// The whole program under Pulumi's mocks: with several cases, every case's rollout is waited for
// once, before the first test (the provider does not await the Deployments).
import { rolloutWaitEnvironment } from "../../components/measurements";
import { runStudy, runStudyOnce } from "../harness";

test("rolloutWaitEnvironment: a line per case, its namespace, Deployment and pod selector, and one bound", () => {
  const targets = [
    { namespace: "a", deployment: "web", podSelector: "app=web,tier=front" },
    { namespace: "b", deployment: "web", podSelector: "app=web" },
  ];
  expect(rolloutWaitEnvironment("ctx", targets, 120)).toEqual({ KUBE_CONTEXT: "ctx", ROLLOUT_TIMEOUT_SECONDS: "120", DEPLOYMENTS: "a web app=web,tier=front\nb web app=web" });
});

describe("the wait for every rollout before the first test", () => {
  const two = { cases: "sidecar-hook,native-hook" };
  const waitOf = (run: Awaited<ReturnType<typeof runStudy>>) => run.one("command:local:Command", "workloads-rolled-out");

  test("comes after every workload and before the first test, the later Deployment slow to apply", async () => {
    const lastSiteSlow = { delayMs: (r: { name: string }) => (r.name === "demo-site-native-hook-deployment" ? 200 : 0) };
    const run = await runStudy(two, lastSiteSlow);
    const wait = waitOf(run);
    for (const name of ["sidecar-hook", "native-hook"]) {
      expect(wait.order).toBeGreaterThan(run.one("kubernetes:apps/v1:Deployment", `${name}-deployment`).order);
      expect(wait.order).toBeGreaterThan(run.one("kubernetes:core/v1:Service", `${name}-service`).order);
    }
    expect(wait.order).toBeGreaterThan(run.one("kubernetes:helm.sh/v3:Release", "istiod").order);
    expect(run.one("command:local:Command", "rollout-sidecar-hook-test").order).toBeGreaterThan(wait.order);
  });

  test("waits for each case's Deployment, by namespace and pod selector, within the tests' rollout bound", async () => {
    const wait = waitOf(await runStudyOnce(two));
    expect(wait.inputs.create).toBe("bash scripts/wait-for-rollouts.sh");
    expect(wait.inputs.environment).toEqual({
      KUBE_CONTEXT: expect.any(String),
      ROLLOUT_TIMEOUT_SECONDS: "300",
      DEPLOYMENTS: "demo-site-sidecar-hook demo-site app=demo-site\ndemo-site-native-hook demo-site app=demo-site",
    });
    const test = (await runStudyOnce(two)).one("command:local:Command", "rollout-sidecar-hook-test");
    expect(wait.inputs.environment.KUBE_CONTEXT).toBe(test.inputs.environment.KUBE_CONTEXT);
  });

  test("runs again when a workload changes, not when only the tests would run again", async () => {
    const trigger = async (config: Record<string, string>) => waitOf(await runStudyOnce({ ...two, ...config })).inputs.triggers[0];
    const base = await trigger({});
    expect(await trigger({ preStopSeconds: "12" })).not.toEqual(base);
    expect(await trigger({ run: "2" })).toEqual(base);
  });

  test("with one case there is none: its test's own wait is that wait", async () => {
    const run = await runStudyOnce({});
    expect(run.all("command:local:Command").filter((c) => c.name === "workloads-rolled-out")).toEqual([]);
  });
});
