// The whole program under Pulumi's mocks: a study's results, its report and its verdict.
import * as fs from "fs";
import * as path from "path";
import { json407, seedNoHook, text41x } from "../fixtures/siegeReports";
import { runStudy } from "../harness";

/** The mocks' test command prints `report` as the measurement of every test. */
const withReport = (report: string) => ({
  state: (r: { type: string; inputs: Record<string, any> }) =>
    r.inputs.create?.includes("rollout-test") ? { stdout: `study-status: ok\nstudy-sidecar: classic\n${report}` } : undefined,
});

describe("the whole study in one run: results, report and verdict", () => {
  test("mocked siege reports become the results and a summary table with one row per case", async () => {
    const reports: Record<string, string> = { "sidecar-hook": seedNoHook, "native-hook": json407, "ambient-hook": text41x };
    const run = await runStudy(
      { cases: "sidecar-hook,native-hook,ambient-hook" },
      {
        state: (r) => {
          const name = Object.keys(reports).find((n) => r.name === `rollout-${n}-test`);
          return name ? { stdout: `study-status: ok\nstudy-sidecar: classic\nstudy-rollout-seconds: 20\n${reports[name]}` } : undefined;
        },
      },
    );
    const results = run.outputs.results as any[];
    expect(results.map((r) => [r.case, r.status, r.availability, r.transactions, r.failedTransactions])).toEqual([
      ["sidecar-hook", "ok", 99.98, 127679, 26],
      ["native-hook", "ok", 100, 3769, 0],
      ["ambient-hook", "ok", 97.49, 5120, 132],
    ]);
    const rows = (run.outputs.summary as string).split("\n").slice(2);
    expect(rows).toHaveLength(3);
    // The seed's failures (Istio 1.5) are not what current Istio leads to expect of this case.
    expect(rows[0]).toMatch(/^\| sidecar-hook \| classic sidecar, preStop 10s \| classic \| 26 \/ 127705 \| 2.04 \(1.33–2.98\) \| NOT as expected \(lossless\) \|/);
    // ambient against the classic sidecar with the same hook: 132 of 5252 against 26 of 127705.
    expect(rows[2]).toMatch(/^\| ambient-hook \| ambient, preStop 10s \| classic \| 132 \/ 5252 \| 251.33 .* \| no expectation \| more failures than sidecar-hook \(p = /);
    expect(run.outputs.availability).toBeUndefined();
    expect(run.outputs.namespace).toBeUndefined();
  });

  test("a case above maxFailuresPer10k fails the update with its figures; one below it passes", async () => {
    const gated = await runStudy({ injection: "true", maxFailuresPer10k: "1.5" }, withReport(seedNoHook));
    expect(gated.outputs.summary).toMatch(/, ABOVE THE GATE$/);
    expect(gated.one("command:local:Command", "verdict-check").inputs.environment.STUDY_FAILURES).toBe(
      "above the gate: study: 2.04 failures per 10,000 requests (26 of 127705; 95 % interval 1.33–2.98), above maxFailuresPer10k=1.5",
    );
    const passed = await runStudy({ injection: "true", maxFailuresPer10k: "2.5" }, withReport(seedNoHook));
    expect(passed.one("command:local:Command", "verdict-check").inputs.environment).toEqual({ STUDY_FAILURES: "" });
    expect(passed.outputs.failuresPer10k).toEqual({ rate: 2.04, lower: 1.33, upper: 2.98 });
  });

  test("load=fortio measures with fortio's record: its figures become the outputs", async () => {
    const fortioOutput = [
      "study-status: ok",
      "study-load: fortio",
      "study-sidecar: none",
      "study-restart-at: 1764064800.25",
      "study-rollout-seconds: 20",
      "study-pod: demo-site-a deleted=0.5 gone=6.1",
      "study-requests: sent=4000 asked=4010 from=-5.000 to=35.000",
      "study-rate: outside=100.0 shutdown=99.5",
      "study-latency: before p50=0.001000 p99=0.004000 p999=0.009000 n=500",
      "study-failure: 0.812 connectionRefused -1",
      "study-failure: 0.913 connectionRefused -1",
    ].join("\n");
    const run = await runStudy(
      { load: "fortio", qps: "100", variant: "nohook" },
      { state: (r) => (r.inputs.create?.includes("rollout-test") ? { stdout: fortioOutput } : undefined) },
    );
    expect(run.one("command:local:Command", "rollout-test").inputs.environment).toMatchObject({ LOAD: "fortio", QPS: "100" });
    expect(run.outputs).toMatchObject({ requests: 4000, failures: 2, asExpected: true, failuresPer10k: { rate: 5, lower: 0.61 } });
    const [result] = run.outputs.results as any[];
    expect(result).toMatchObject({ load: "fortio", asked: 4010, rateOutside: 100, rateShutdown: 99.5, expect: "lossy" });
    expect(result.oldPods).toEqual([{ run: 1, name: "demo-site-a", deletedSeconds: 0.5, goneSeconds: 6.1, failures: 2, failureSpanSeconds: 0.101 }]);
    expect(result.failureTimes).toEqual([
      { atSeconds: 0.812, kind: "connectionRefused" },
      { atSeconds: 0.913, kind: "connectionRefused" },
    ]);
  });

  test("a failed case shows as failed with its reason, the others keep their figures, and the update fails", async () => {
    const run = await runStudy(
      { cases: "sidecar-hook,native-hook,ambient-hook" },
      {
        state: (r) =>
          r.name === "rollout-native-hook-test"
            ? { stdout: "study-status: failed rollout did not finish within 300s\nstudy-sidecar: native\n" }
            : undefined,
      },
    );
    const results = run.outputs.results as any[];
    expect(results.map((r) => r.status)).toEqual(["ok", "failed", "ok"]);
    expect(results[1].reason).toMatch(/^run 1: rollout did not finish within 300s/);
    expect(results[0].availability).toBe(99.98);
    expect(run.outputs.summary).toMatch(/\| native-hook \| native sidecar, preStop 10s \| native \| FAILED: run 1: rollout did not finish/);
    expect(run.one("command:local:Command", "verdict-check").inputs.environment.STUDY_FAILURES).toMatch(
      /^measurement failed: native-hook: run 1: rollout did not finish within 300s/,
    );
  });

  test("each run writes a report with the table and both charts", async () => {
    const run = await runStudy({ cases: "sidecar-hook,native-hook" });
    const folder = run.outputs.report as string;
    expect(folder.startsWith(path.join(run.folder, "reports", "dev"))).toBe(true);
    expect(fs.readdirSync(folder).sort()).toEqual(["availability.svg", "errors.svg", "report.md"]);
    expect(fs.readFileSync(path.join(folder, "report.md"), "utf8")).toContain("| native-hook | native sidecar, preStop 10s |");
  });

  test("every result and the report name the Istio in the cluster: ambient's profile for all when a case needs it", async () => {
    const run = await runStudy({ cases: "sidecar-hook,ambient-hook" });
    expect((run.outputs.results as any[]).map((r) => r.istio)).toEqual([
      "1.31.1 ambient profile, installed by helm",
      "1.31.1 ambient profile, installed by helm",
    ]);
    expect(fs.readFileSync(path.join(run.outputs.report as string, "report.md"), "utf8")).toContain(
      "Istio in the cluster: 1.31.1 ambient profile, installed by helm, for every case.",
    );
    expect((await runStudy({ cases: "nomesh-hook" })).outputs.results).toEqual([expect.objectContaining({ istio: "none" })]);
  });

  test("a preview measures nothing, so it writes no report", async () => {
    const run = await runStudy({ cases: "sidecar-hook,native-hook" }, { preview: true });
    expect(run.outputs.report).toBeUndefined();
    expect(fs.existsSync(path.join(run.folder, "reports"))).toBe(false);
  });

  test("a run that measured nothing new finds its report and writes no other", async () => {
    const first = await runStudy({ cases: "sidecar-hook" });
    const again = await runStudy({ cases: "sidecar-hook" });
    expect(path.relative(again.folder, again.outputs.report as string)).toBe(path.relative(first.folder, first.outputs.report as string));
  });

  test("a single case writes its report too, and keeps the seed's outputs", async () => {
    const run = await runStudy({ injection: "true" });
    expect(fs.existsSync(path.join(run.outputs.report as string, "report.md"))).toBe(true);
    expect((run.outputs.results as any[]).map((r) => r.case)).toEqual([""]);
    expect(run.outputs.availability).toBe(99.98);
  });
});
