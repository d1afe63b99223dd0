import * as path from "path";
import { readStudyConfig, StudyCase } from "../../config/study";
import { parseRolloutOutput, RolloutMeasurement } from "../../lib/rolloutOutput";
import { caseResult, describeSetting, summaryLine, summaryTable } from "../../lib/results";
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

  test("different sidecars across runs show as mixed", () => {
    expect(caseResult(byName("native-hook"), [measured(seedHook, "native"), measured(seedHook, "classic")]).sidecar).toBe("mixed");
  });
});

describe("summaryLine", () => {
  test("the seed's setting, the sidecar found, availability and failed requests", () => {
    expect(summaryLine(caseResult(byName("sidecar-hook"), [parseRolloutOutput(classicRolloutOutput)]))).toBe(
      "injection=true variant=hook sidecar=classic: 99.98 % available, 29 of 127708 requests failed",
    );
  });
  test("names the mesh when it is not the sidecar mesh, and the number of runs", () => {
    expect(summaryLine(caseResult(byName("ambient-hook"), [measured(seedHook, "none"), measured(seedHook, "none")]))).toBe(
      "mesh=ambient injection=false variant=hook sidecar=none: 100.00 % available (mean of 2 runs), 0 of 178102 requests failed",
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
