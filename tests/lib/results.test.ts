import * as path from "path";
import { readStudyConfig } from "../../config/study";
import { StudyCase } from "../../lib/settings";
import { parseRolloutOutput, RolloutMeasurement } from "../../lib/rolloutOutput";
import { gateWarnings, judgedResults, verdictLines } from "../../lib/judgement";
import { caseResult, failuresOutsideShutdown, oldPodsWithFailures, withinShutdown } from "../../lib/results";
import { describeSetting, summaryLine, summaryTable } from "../../lib/summary";
import { reportMarkdown } from "../../lib/report";
import { seedHook, seedNoHook, text41x } from "../fixtures/siegeReports";
import { classicRolloutOutput } from "../harness";

const projectDir = path.resolve(__dirname, "../..");
const standard = readStudyConfig((key) => ({ cases: "standard", cpus: "6" })[key], projectDir, "dev").cases;
const byName = (name: string): StudyCase => standard.find((c) => c.name === name)!;
const measured = (report: string, sidecar = "classic"): RolloutMeasurement =>
  parseRolloutOutput(`study-status: ok\nstudy-sidecar: ${sidecar}\nstudy-rollout-seconds: 20\n${report}`);

describe("caseResult", () => {
  test("one run: siege's figures as printed, errors by kind, the error window", () => {
    const result = caseResult(byName("sidecar-hook"), [parseRolloutOutput(classicRolloutOutput)]);
    expect(result).toMatchObject({
      case: "sidecar-hook",
      status: "ok",
      sidecar: "classic",
      runs: 1,
      availability: 99.98,
      availabilityMin: 99.98,
      availabilityMax: 99.98,
      transactions: 127679,
      failedTransactions: 29,
      elapsedSeconds: 51.17,
      errors: { connectionReset: 26, http5xx: 3 },
      rolloutSeconds: 21.4,
      firstErrorSeconds: 0.9,
      lastErrorSeconds: 1.9,
    });
    expect(result.setting).toEqual({
      mesh: "sidecar",
      injection: true,
      variant: "hook",
      preStopSeconds: 10,
      sidecarMode: "classic",
      proxyDrainSeconds: 0,
      exitOnZeroActiveConnections: false,
      proxyPreStopSeconds: 0,
      connection: "close",
    });
  });

  test("repeats: the mean availability with min and max, totals of requests and errors", () => {
    const result = caseResult(byName("sidecar-hook"), [measured(seedNoHook), measured(seedHook), measured(text41x)]);
    expect(result).toMatchObject({
      runs: 3,
      availability: Math.round(((99.98 + 100 + 97.49) / 3) * 100) / 100,
      availabilityMin: 97.49,
      availabilityMax: 100,
      transactions: 127679 + 89051 + 5120,
      failedTransactions: 26 + 0 + 132,
    });
  });

  test("a failed run fails the case with its reason and leaves no figure", () => {
    const failed = parseRolloutOutput("study-status: failed rollout did not finish within 300s\nstudy-sidecar: classic\n");
    const result = caseResult(byName("native-hook"), [measured(seedHook), failed]);
    expect(result.status).toBe("failed");
    expect(result.reason).toMatch(/^run 2: rollout did not finish within 300s/);
    expect(result.availability).toBeUndefined();
    expect(result.failedTransactions).toBeUndefined();
  });

  test("a measurement that failed before the test keeps the sidecar found on the pods that could not start", () => {
    const failed = parseRolloutOutput(
      "study-status: failed deployment/demo-site could not roll out before the test: sidecar container istio-proxy of pod p cannot start\n" +
        "study-load: fortio\nstudy-sidecar: classic\n",
    );
    const result = caseResult(byName("sidecar-hook"), [failed]);
    expect(result).toMatchObject({ status: "failed", sidecar: "classic" });
    expect(summaryLine(result)).toBe(
      "injection=true variant=hook sidecar=classic: FAILED, run 1: deployment/demo-site could not roll out before the test: sidecar container istio-proxy of pod p cannot start",
    );
  });

  test("different sidecars across runs show as mixed", () => {
    expect(caseResult(byName("native-hook"), [measured(seedHook, "native"), measured(seedHook, "classic")]).sidecar).toBe("mixed");
  });
});

describe("summaryLine", () => {
  test("the seed's setting, the sidecar found, availability and failed requests", () => {
    // The seed's failures with the hook were Istio 1.5's, whose agent stopped Envoy's listeners at
    // once: current Istio leads to expect none.
    expect(summaryLine(caseResult(byName("sidecar-hook"), [parseRolloutOutput(classicRolloutOutput)]))).toBe(
      "injection=true variant=hook sidecar=classic: 99.98 % available, 29 of 127708 requests failed, 2.27 per 10,000 (95 %: 1.52–3.26), NOT as expected (lossless)",
    );
  });
  test("names the mesh when it is not the sidecar mesh, and the number of runs", () => {
    expect(summaryLine(caseResult(byName("ambient-hook"), [measured(seedHook, "none"), measured(seedHook, "none")]))).toBe(
      "mesh=ambient injection=false variant=hook sidecar=none: 100.00 % available (mean of 2 runs), 0 of 178102 requests failed, 0.00 per 10,000 (95 %: 0.00–0.17), no expectation",
    );
  });
  test("a failed case says FAILED and why", () => {
    const failed = parseRolloutOutput("study-status: failed rollout did not finish within 9s\nstudy-sidecar: none\n");
    expect(summaryLine(caseResult(byName("nomesh-nohook"), [failed]))).toMatch(
      /^mesh=none injection=false variant=nohook sidecar=none: FAILED, run 1: rollout did not finish within 9s/,
    );
  });
});

test("describeSetting names the mesh, the hook and the fix", () => {
  expect(standard.map(describeSetting)).toEqual([
    "no mesh, no preStop",
    "no mesh, preStop 10s",
    "classic sidecar, no preStop",
    "classic sidecar, preStop 10s",
    "classic sidecar, preStop 10s, drain 15s",
    "classic sidecar, preStop 10s, exit on zero connections",
    "classic sidecar, preStop 10s, proxy preStop 15s",
    "native sidecar, preStop 10s",
    "ambient, preStop 10s",
  ]);
});

test("summaryTable: one row per case in order, failures with their reason", () => {
  const results = [
    caseResult(byName("nomesh-hook"), [measured(seedHook, "none")]),
    caseResult(byName("sidecar-hook"), [parseRolloutOutput(classicRolloutOutput), measured(seedNoHook)]),
    caseResult(byName("native-hook"), [parseRolloutOutput("study-status: failed rollout did not finish within 300s\nstudy-sidecar: native\n")]),
  ];
  expect(summaryTable(results)).toMatchSnapshot();
});

describe("fortio's results", () => {
  const fortio = (failures: string[], pods: string[], sent = 4000) =>
    parseRolloutOutput(
      ["study-status: ok", "study-load: fortio", "study-sidecar: classic", ...pods, `study-requests: sent=${sent} asked=4000 from=-5 to=35`, ...failures].join("\n"),
    );

  test("each failure goes to the old pod deleted last before it, after its end too; before any deletion, to none", () => {
    const m = fortio(
      ["study-failure: 0.2 other -1", "study-failure: 0.6 connectionRefused -1", "study-failure: 0.9 connectionRefused -1", "study-failure: 5.2 connectionReset -1", "study-failure: 11.8 timeout -1"],
      ["study-pod: a deleted=0.5 gone=6.0", "study-pod: b deleted=5.0 gone=11.0"],
    );
    expect(oldPodsWithFailures(1, m)).toEqual([
      { run: 1, name: "a", deletedSeconds: 0.5, goneSeconds: 6, failures: 2, failureSpanSeconds: 0.3 },
      { run: 1, name: "b", deletedSeconds: 5, goneSeconds: 11, failures: 2, failureSpanSeconds: 6.6 },
    ]);
  });

  test("a failure outside every old pod's shutdown is counted apart, per run against that run's pods, and stays in the totals", () => {
    const pods = ["study-pod: a deleted=0.5 gone=6.0", "study-pod: b deleted=5.0 gone=11.0"];
    // Before the first deletion (less the watch's lag), and after the last pod's end plus kube-proxy's lag: outside.
    const first = fortio(["study-failure: -1.09 timeout -1", "study-failure: 0.35 connectionRefused -1", "study-failure: 12.4 timeout -1", "study-failure: 12.6 timeout -1"], pods);
    expect(failuresOutsideShutdown(first)).toBe(2);
    // 0.35 is within run 1's first shutdown; in run 2, whose pods went earlier, 12.4 is outside too.
    const second = fortio(["study-failure: 12.4 timeout -1"], ["study-pod: c deleted=1.0 gone=4.0"]);
    const result = caseResult(byName("nomesh-hook"), [first, second]);
    expect([result.failures, result.failuresOutsideShutdown, result.asExpected]).toEqual([5, 3, false]);
    expect(summaryLine(result)).toContain("5 of 8000 requests failed (3 of them outside every old pod's shutdown), ");
    expect(summaryTable([result])).toContain("connectionRefused 1, timeout 4; 3 of them outside every old pod's shutdown");
    const report = reportMarkdown("t", [result], { warmupSeconds: 3, settleSeconds: 3, repeats: 2, qps: 100, concurrency: 10 } as any);
    expect(report).toContain("3 of the 5 failures started outside every old pod's shutdown");
    // None outside: nothing said; no old pod seen: nothing known.
    const within = caseResult(byName("nomesh-hook"), [fortio(["study-failure: 0.6 connectionRefused -1"], pods)]);
    expect([within.failuresOutsideShutdown, summaryLine(within).includes("outside")]).toEqual([0, false]);
    expect(failuresOutsideShutdown(fortio(["study-failure: 0.6 timeout -1"], []))).toBeUndefined();
  });

  test("every failure of every run is in failureTimes, with fortio's words for one of kind other", () => {
    const result = caseResult(byName("nomesh-nohook"), [fortio(["study-failure: -0.582 other -1 Unable to write: write: broken pipe"], []), fortio(["study-failure: 0.6 timeout -1"], [])]);
    expect(result.failureTimes).toEqual([
      { atSeconds: -0.582, kind: "other", detail: "Unable to write: write: broken pipe" },
      { atSeconds: 0.6, kind: "timeout" },
    ]);
  });

  test("the failure rate over all runs, with its exact interval, and the expectation checked", () => {
    const result = caseResult(byName("nomesh-nohook"), [fortio(["study-failure: 0.6 connectionRefused -1"], []), fortio([], [], 6000)]);
    expect(result).toMatchObject({ load: "fortio", requests: 10000, failures: 1, failuresPer10k: 1, failuresPer10kLower: 0.03, expect: "lossy", asExpected: true });
    expect(result.failuresPer10kUpper).toBeCloseTo(5.57, 2);
    expect(caseResult(byName("nomesh-hook"), [fortio(["study-failure: 0.6 connectionRefused -1"], [])]).asExpected).toBe(false);
  });
});

describe("an old pod's shutdown", () => {
  const pods = [
    { deletedSeconds: 1, goneSeconds: 2 },
    { deletedSeconds: 5, goneSeconds: null },
  ];
  test("runs from its deletion, less the watch's lag, until kube-proxy's lag after it is gone; for a pod never seen gone, to the end", () => {
    expect([0.79, 0.8, 3.5, 3.51, 4.79, 4.8, 99].map((t) => withinShutdown(t, pods))).toEqual([false, true, true, false, false, true, true]);
  });
  test("starts later when nothing in the pod stops serving before its preStop sleep ends", () => {
    expect([0.8, 2.79, 2.8].map((t) => withinShutdown(t, [pods[0]], 2))).toEqual([false, false, true]);
  });
  test("is widened at both ends by how far a time may be off (a load in the cluster times by the pod's clock)", () => {
    expect([0.49, 0.5, 3.8, 3.81].map((t) => withinShutdown(t, [pods[0]], 0, 0.3))).toEqual([false, true, true, false]);
  });
  test("a cluster load's failures count as outside only beyond the uncertainty of its clock, the same for siege's bins", () => {
    const run = (load: string, uncertainty: string[], lines: string[]) =>
      parseRolloutOutput(["study-status: ok", `study-load: ${load}`, "study-sidecar: none", ...uncertainty, "study-pod: a deleted=1.0 gone=2.0", ...lines].join("\n"));
    const fortioLines = ["study-requests: sent=4000 asked=4000 from=-5 to=35", "study-failure: 0.6 connectionRefused -1", "study-failure: 0.3 connectionRefused -1"];
    // The watch's lag makes 0.8 the shutdown's start; 0.6 is within 0.3 of it, 0.3 not.
    expect(failuresOutsideShutdown(run("fortio", [], fortioLines))).toBe(2);
    expect(failuresOutsideShutdown(run("fortio", ["study-clock-uncertainty-seconds: 0.3"], fortioLines))).toBe(1);
    const siegeLines = ["study-error-bins: 0.0 2", seedHook];
    expect(failuresOutsideShutdown(run("siege", [], siegeLines))).toBe(2);
    // The bin from 0.0 ends at 0.5, where the shutdown starts less 0.3; 0.35 reaches into it.
    expect(failuresOutsideShutdown(run("siege", ["study-clock-uncertainty-seconds: 0.3"], siegeLines))).toBe(2);
    expect(failuresOutsideShutdown(run("siege", ["study-clock-uncertainty-seconds: 0.35"], siegeLines))).toBe(0);
    const runs = [run("fortio", ["study-clock-uncertainty-seconds: 0.3"], fortioLines), run("fortio", ["study-clock-uncertainty-seconds: 0.1"], fortioLines)];
    // Each run's failures by its own clock's uncertainty (1 and 2 outside); the case shows the largest.
    expect(caseResult(byName("nomesh-nohook"), runs)).toMatchObject({ clockUncertaintySeconds: 0.3, failuresOutsideShutdown: 3 });
  });
  test("siege's half-second bins count as outside only when no shutdown reaches into them", () => {
    const siege = parseRolloutOutput(
      [
        "study-status: ok",
        "study-load: siege",
        "study-sidecar: none",
        "study-pod: a deleted=1.0 gone=2.0",
        "study-error-bins: -1.0 2 0.5 3 3.0 4 3.5 5 13.5 6 14.0 7",
        seedHook,
      ].join("\n"),
    );
    // -1.0 ends before 0.8; 0.5 reaches 0.8; 3.0 and 3.5 start before 3.5. siege prints a failure when
    // it ends, up to its 10 s timeout after it started: 13.5 may have started at 3.5, 14.0 not.
    expect(failuresOutsideShutdown(siege)).toBe(2 + 7);
  });
});

describe("judgedResults", () => {
  const siege = (report: string) => measured(report);
  const results = () => [
    caseResult(byName("nomesh-nohook"), [siege(seedNoHook)]),
    caseResult(byName("nomesh-hook"), [siege(seedHook)]),
    caseResult(byName("sidecar-hook"), [siege(text41x)]),
    caseResult(byName("drain-hook"), [siege(seedHook)]),
    caseResult(byName("native-hook"), [siege(text41x)]),
  ];

  test("each fix against its baseline: the sidecar fixes against sidecar-hook, nomesh-hook against nomesh-nohook", () => {
    const judged = judgedResults(results());
    expect(judged.map((r) => [r.case, r.baseline?.case])).toEqual([
      ["nomesh-nohook", undefined],
      ["nomesh-hook", "nomesh-nohook"],
      ["sidecar-hook", undefined],
      ["drain-hook", "sidecar-hook"],
      ["native-hook", "sidecar-hook"],
    ]);
    // 0 of 89051 against 132 of 5252: far more than chance; the same counts: no difference.
    expect(judged[3].baseline).toMatchObject({ differs: true, rate: "lower" });
    expect(judged[3].baseline!.pValue).toBeLessThan(1e-10);
    expect(judged[4].baseline).toEqual({ case: "sidecar-hook", pValue: 1, differs: false, rate: "same" });
  });

  test("no baseline among the cases, no comparison; a failed baseline is none", () => {
    expect(judgedResults([caseResult(byName("drain-hook"), [siege(seedHook)])])[0].baseline).toBeUndefined();
  });

  const failedRun = parseRolloutOutput("study-status: failed rollout did not finish within 300s\nstudy-sidecar: classic\n");

  test("a failed case is never a baseline: the fix has none, or the measured case of its setting", () => {
    const failedBaseline = caseResult(byName("sidecar-hook"), [failedRun]);
    expect(failedBaseline.status).toBe("failed");
    const alone = judgedResults([failedBaseline, caseResult(byName("drain-hook"), [siege(seedHook)])]);
    expect(alone[1].baseline).toBeUndefined();
    // The failed one first, where a search that took any case would stop.
    const measuredToo = { ...caseResult(byName("sidecar-hook"), [siege(text41x)]), case: "sidecar-hook-again" };
    const judged = judgedResults([failedBaseline, measuredToo, caseResult(byName("drain-hook"), [siege(seedHook)])]);
    expect(judged[2].baseline).toMatchObject({ case: "sidecar-hook-again", differs: true, rate: "lower" });
  });

  test("a fix's baseline has its preStopSeconds: a sidecar case with another sleep is not it", () => {
    const shortSleep = caseResult({ ...byName("sidecar-hook"), name: "sidecar-hook-3s", preStopSeconds: 3 }, [siege(text41x)]);
    expect(shortSleep.setting.preStopSeconds).toBe(3);
    const sameSleep = caseResult(byName("sidecar-hook"), [siege(seedHook)]);
    // The other sleep first, where a search that ignored the sleep would stop.
    const judged = judgedResults([shortSleep, sameSleep, caseResult(byName("drain-hook"), [siege(seedHook)])]);
    expect(judged[2].baseline).toEqual({ case: "sidecar-hook", pValue: 1, differs: false, rate: "same" });
    // With no case of its sleep, none.
    expect(judgedResults([shortSleep, caseResult(byName("drain-hook"), [siege(seedHook)])])[1].baseline).toBeUndefined();
  });

  test("a gate of 0 passes a case that lost nothing, and a rate exactly at the gate passes", () => {
    const lossless = caseResult(byName("nomesh-hook"), [siege(seedHook)]);
    expect(lossless.failures).toBe(0);
    expect(judgedResults([lossless], 0)[0].aboveGate).toBe(false);
    expect(verdictLines(judgedResults([lossless], 0), 0)).toEqual([]);
    // 1 of 10,000 and 5 of 10,000 are 1 and 5 per 10,000 exactly, in floating point too.
    const atGate = (failures: number) => ({ ...lossless, failures, requests: 10_000 });
    expect(judgedResults([atGate(1)], 1)[0].aboveGate).toBe(false);
    expect(judgedResults([atGate(5)], 5)[0].aboveGate).toBe(false);
    expect(judgedResults([atGate(6)], 5)[0].aboveGate).toBe(true);
  });

  test("the gate marks the cases above it, and the verdict names each with its figures", () => {
    const judged = judgedResults(results(), 10);
    expect(judged.map((r) => r.aboveGate)).toEqual([false, false, true, false, true]);
    expect(verdictLines(judged, 10)).toEqual([
      "above the gate: sidecar-hook: 251.33 failures per 10,000 requests (132 of 5252; 95 % interval 210.7–297.35), above maxFailuresPer10k=10",
      "above the gate: native-hook: 251.33 failures per 10,000 requests (132 of 5252; 95 % interval 210.7–297.35), above maxFailuresPer10k=10",
    ]);
    expect(judgedResults(results()).every((r) => r.aboveGate === undefined)).toBe(true);
  });

  test("the gate judges the rate as measured, not as rounded for show", () => {
    // 1 of 19,841 is 0.504 per 10,000, shown as 0.5.
    const [judged] = judgedResults([{ ...caseResult(byName("sidecar-hook"), [siege(seedHook)]), failures: 1, requests: 19841, failuresPer10k: 0.5 }], 0.5);
    expect(judged.aboveGate).toBe(true);
  });

  test("a case at or below the gate on too few requests to show it is said so, with how many would", () => {
    const thin = { ...caseResult(byName("drain-hook"), [siege(seedHook)]), failures: 0, requests: 1200, failuresPer10k: 0, failuresPer10kLower: 0, failuresPer10kUpper: 24.93 };
    const plenty = { ...thin, case: "plenty", requests: 80000, failuresPer10kUpper: 0.37 };
    const judged = judgedResults([thin, plenty], 0.5);
    expect(judged.map((r) => r.aboveGate)).toEqual([false, false]);
    expect(gateWarnings(judged, 0.5)).toEqual([
      "drain-hook: 0 failures of 1200 requests is at or below maxFailuresPer10k=0.5, but not surely: the 95 % interval reaches 24.93 per 10,000; " +
        "with no failure, about 60,000 requests would show it (more qps, a longer settle, or repeats)",
    ]);
    expect(gateWarnings(judged)).toEqual([]);
  });
});
