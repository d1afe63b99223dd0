// The whole program under Pulumi's mocks: its measurements become the outputs and the verdict.
import { json407, seedNoHook, text41x } from "../fixtures/siegeReports";
import { runStudy } from "../harness";

/** The mocks' test command prints `report` as the measurement of every test. */
const withReport = (report: string) => ({
  state: (r: { type: string; inputs: Record<string, any> }) =>
    r.inputs.create?.includes("rollout-test") ? { stdout: `study-status: ok\nstudy-sidecar: classic\n${report}` } : undefined,
});

describe("the study's outputs", () => {

  test.each([
    ["4.0.5 text (the seed)", seedNoHook, { availability: 99.98, transactions: 127679, failedTransactions: 26 }],
    ["4.0.7 JSON", json407, { availability: 100, transactions: 3769, failedTransactions: 0 }],
    ["4.1.x text", text41x, { availability: 97.49, transactions: 5120, failedTransactions: 132 }],
  ])("siege %s becomes exactly its availability, transactions and failed transactions", async (_v, report, figures) => {
    const run = await runStudy({ injection: "true" }, withReport(report));
    expect(run.outputs).toMatchObject(figures);
    expect(run.outputs.sidecar).toBe("classic");
    expect(run.outputs.summary).toMatch(
      `injection=true variant=hook sidecar=classic: ${figures.availability.toFixed(2)} % available, ` +
        `${figures.failedTransactions} of ${figures.transactions + figures.failedTransactions} requests failed, `,
    );
    expect(run.outputs).toMatchObject({ requests: figures.transactions + figures.failedTransactions, failures: figures.failedTransactions });
    expect(run.one("command:local:Command", "verdict-check").inputs.environment).toEqual({ STUDY_FAILURES: "" });
  });

  test("errors, rollout time and the error window come from the test's output", async () => {
    const run = await runStudy();
    expect(run.outputs).toMatchObject({
      errors: { connectionReset: 26, http5xx: 3 },
      rolloutSeconds: 21.4,
      errorWindowSeconds: { firstErrorSeconds: 0.9, lastErrorSeconds: 1.9 },
    });
  });

  test("a report cut short gives no figure and makes the verdict fail the update, quoting the output", async () => {
    const run = await runStudy({}, withReport(seedNoHook.slice(0, seedNoHook.indexOf("Elapsed"))));
    expect(run.outputs.availability).toBeUndefined();
    expect(run.outputs.transactions).toBeUndefined();
    const verdict = run.one("command:local:Command", "verdict-check");
    expect(verdict.inputs.environment.STUDY_FAILURES).toMatch(/no complete siege report was found.*Availability/s);
    expect(verdict.order).toBeGreaterThan(run.one("command:local:Command", "rollout-test").order);
  });

  test("the test waits for istiod and the workload", async () => {
    const run = await runStudy({}, { slowTypes: ["kubernetes:helm.sh/v3:Release", "kubernetes:apps/v1:Deployment"] });
    const test = run.one("command:local:Command", "rollout-test");
    expect(test.order).toBeGreaterThan(run.one("kubernetes:apps/v1:Deployment").order);
    expect(test.order).toBeGreaterThan(run.one("kubernetes:helm.sh/v3:Release", "istiod").order);
    expect(test.inputs.environment).toMatchObject({ NAMESPACE: "demo-site", DEPLOYMENT: "demo-site", POD_SELECTOR: "app=demo-site" });
  });
});
