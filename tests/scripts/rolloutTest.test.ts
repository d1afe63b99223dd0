// scripts/rollout-test.sh run for real: real siege against a local server, with fake kubectl and
// minikube on PATH playing the cluster and its rolling restart.
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { errorWindow, parseRolloutOutput } from "../../lib/rolloutOutput";
import { FlakyServer, startFlakyServer } from "../support/flakyServer";

const projectDir = path.resolve(__dirname, "../..");
const fakeCluster = path.join(projectDir, "tests/support/fake-cluster");
const haveSiege = fs.existsSync("/usr/bin/siege") || process.env.PATH!.split(":").some((d) => fs.existsSync(path.join(d, "siege")));
if (!haveSiege) console.warn("siege is not on PATH: the rollout script tests are skipped (apt-get install siege)");

interface ScriptRun {
  code: number;
  stdout: string;
  stderr: string;
}

function runScript(env: Record<string, string>): Promise<ScriptRun> {
  return new Promise((resolve) => {
    execFile(
      "/bin/bash",
      [path.join(projectDir, "scripts/rollout-test.sh")],
      { env, cwd: projectDir, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const studyLine = (stdout: string, key: string) => stdout.match(new RegExp(`^study-${key}: (.*)$`, "m"))?.[1];
const availability = (stdout: string) => Number(stdout.match(/^Availability:\s+([\d.]+) %/m)?.[1]);

(haveSiege ? describe : describe.skip)("rollout-test.sh against a fake cluster", () => {
  let state: string;
  let server: FlakyServer;

  beforeEach(async () => {
    state = fs.mkdtempSync(path.join(os.tmpdir(), "fake-cluster-"));
    server = await startFlakyServer({ faultFile: path.join(state, "outage") });
  });
  afterEach(async () => {
    await server.close();
    fs.rmSync(state, { recursive: true, force: true });
  });

  function env(overrides: Record<string, string> = {}): Record<string, string> {
    return {
      PATH: `${fakeCluster}:${process.env.PATH}`,
      HOME: state,
      KUBE_CONTEXT: "istio-exit-study",
      NAMESPACE: "demo-site",
      DEPLOYMENT: "demo-site",
      SERVICE: "demo-site",
      POD_SELECTOR: "app=demo-site",
      PROFILE: "istio-exit-study",
      SIEGERC: path.join(projectDir, "siege/siegerc"),
      CONCURRENCY: "4",
      WARMUP_SECONDS: "1",
      SETTLE_SECONDS: "1",
      ROLLOUT_TIMEOUT_SECONDS: "10",
      FAKE_STATE: state,
      FAKE_FAULT_FILE: server.faultFile!,
      FAKE_URL: server.url,
      FAKE_OUTAGE_SECONDS: "0.5",
      ...overrides,
    };
  }

  test("a restart that drops connections shows as less than 100 % with the resets counted", async () => {
    const run = await runScript(env({ FAKE_SIDECAR: "classic" }));
    if (process.env.SHOW_SCRIPT_OUTPUT) console.log(run.stdout, run.stderr);
    expect(run.code).toBe(0);
    expect(studyLine(run.stdout, "status")).toBe("ok");
    expect(studyLine(run.stdout, "sidecar")).toBe("classic");
    expect(Number(studyLine(run.stdout, "rollout-seconds"))).toBeGreaterThanOrEqual(1.5);
    expect(availability(run.stdout)).toBeLessThan(100);
    expect(studyLine(run.stdout, "errors")).toMatch(/^\d+ \[error\] socket: .*Connection reset by peer/);
    expect(run.stdout).not.toMatch(/\x1b\[/);
    // Errors fall into the outage, which starts with the restart and lasts half a second.
    const bins = studyLine(run.stdout, "error-bins")!.trim().split(" ").map(Number);
    for (let i = 0; i < bins.length; i += 2) expect(bins[i]).toBeGreaterThanOrEqual(-0.5);
    expect(run.stdout).toMatch(/^study-pod: demo-site-old-a terminating=\d+\.\d gone=\d+\.\d$/m);
    expect(run.stderr).toMatch(/rollout restart issued/);
    expect(run.stderr).toMatch(/siege stopped/);

    // The program reads the same output: siege's own figures, the resets, and the timeline.
    const measurement = parseRolloutOutput(run.stdout);
    expect(measurement.status).toBe("ok");
    expect(measurement.report!.availability).toBe(availability(run.stdout));
    expect(measurement.report!.failedTransactions).toBe(measurement.errors.connectionReset);
    const window = errorWindow(measurement)!;
    expect(window.firstErrorSeconds).toBeLessThanOrEqual(window.lastErrorSeconds);
    expect(window.lastErrorSeconds).toBeLessThan(3);
  });

  test("a restart without an outage shows 100 % and no errors", async () => {
    const run = await runScript(env({ FAKE_OUTAGE_SECONDS: "0", FAKE_SIDECAR: "native" }));
    expect(run.code).toBe(0);
    expect(studyLine(run.stdout, "sidecar")).toBe("native");
    expect(availability(run.stdout)).toBe(100);
    expect(studyLine(run.stdout, "errors")).toBeUndefined();
  });

  test("HTTP 502 answers during the restart are counted as failed responses", async () => {
    server = await (async () => {
      await server.close();
      return startFlakyServer({ faultFile: path.join(state, "outage"), fileFault: "502" });
    })();
    const run = await runScript(env({ FAKE_FAULT_FILE: server.faultFile!, FAKE_URL: server.url }));
    expect(availability(run.stdout)).toBeLessThan(100);
    expect(studyLine(run.stdout, "errors")).toMatch(/^\d+ HTTP 502$/);
    const measurement = parseRolloutOutput(run.stdout);
    expect(measurement.errors.http5xx).toBe(measurement.report!.failedTransactions);
  });

  test("a rollout that does not finish is reported as failed, with the measurement stopped", async () => {
    const run = await runScript(env({ FAKE_ROLLOUT: "stuck", FAKE_OUTAGE_SECONDS: "0" }));
    expect(run.code).toBe(0);
    expect(studyLine(run.stdout, "status")).toBe("failed rollout did not finish within 10s");
    expect(studyLine(run.stdout, "rollout-seconds")).toBeUndefined();
  });

  test("a Deployment that is not ready is a failed measurement, so that later cases still run", async () => {
    const run = await runScript(env({ FAKE_ROLLOUT: "unready" }));
    expect(run.code).toBe(0);
    expect(studyLine(run.stdout, "status")).toBe("failed deployment/demo-site was not ready within 10s before the test");
    expect(parseRolloutOutput(run.stdout).status).toBe("failed");
  });

  test("a service minikube cannot reach is a failed measurement that quotes minikube", async () => {
    const run = await runScript(env({ FAKE_URL: "" }));
    expect(run.code).toBe(0);
    expect(studyLine(run.stdout, "status")).toMatch(/^failed minikube service gave no URL for service\/demo-site: .*SVC_NOT_FOUND/);
  });

  test("the load runs against the URL minikube gives for the study's service, namespace and profile", async () => {
    const run = await runScript(env({ FAKE_OUTAGE_SECONDS: "0" }));
    expect(run.stderr).toContain(`load target: ${server.url}`);
    const minikubeCalls = fs.readFileSync(path.join(state, "minikube.calls"), "utf8");
    expect(minikubeCalls).toBe("service demo-site --namespace demo-site --profile istio-exit-study --url\n");
    const kubectlCalls = fs.readFileSync(path.join(state, "kubectl.calls"), "utf8");
    expect(kubectlCalls).toMatch(/^--context istio-exit-study --namespace demo-site rollout restart deployment\/demo-site$/m);
  });

  test("fails at once, naming siege, when siege is missing", async () => {
    const run = await runScript(env({ PATH: fakeCluster }));
    expect(run.code).toBe(127);
    expect(run.stderr).toMatch(/siege is not on PATH: install it/);
    expect(run.stdout).toBe("");
  });
});
