// scripts/rollout-test.sh run for real: real siege against a local server, with fake kubectl and
// minikube on PATH playing the cluster and its rolling restart.
import { execFile, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { fortioArguments } from "../../components/rolloutTest";
import { TestSettings } from "../../lib/settings";
import { loadJobManifest } from "../../lib/loadJob";
import { fortioDir } from "../support/fortio";
import { errorWindow, parseRolloutOutput } from "../../lib/rolloutOutput";
import { FlakyServer, startFlakyServer } from "../support/flakyServer";

const projectDir = path.resolve(__dirname, "../..");
const fortio = fortioDir();
const testSettings: TestSettings = {
  load: "fortio",
  qps: 100,
  loadFrom: "cluster",
  loadImage: "fortio/fortio:1.75.3",
  loadNamespace: "demo-site-load",
  concurrency: 4,
  warmupSeconds: 1,
  settleSeconds: 1,
  rolloutTimeoutSeconds: 10,
  repeats: 1,
  run: "",
};
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

/** A PATH of links to what the scripts use, but for the tools left `out`. */
function toolsWithout(...out: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tools-"));
  const tools = ["bash", "perl", "awk", "sed", "grep", "sort", "uniq", "cut", "cat", "rm", "mkdir", "mktemp", "mkfifo", "seq", "sleep", "tr", "date", "tail", "touch", "stdbuf", "siege", "node", "dirname", "env"];
  for (const tool of tools.filter((t) => !out.includes(t))) {
    const found = ["/usr/local/bin", "/usr/bin", "/bin"].map((d) => path.join(d, tool)).find((p) => fs.existsSync(p));
    if (found) fs.symlinkSync(found, path.join(dir, tool));
  }
  return dir;
}

/** siege processes loading `url`, by pid. */
function siegeProcesses(url: string): string[] {
  return execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" })
    .split("\n")
    .filter((line) => /\bsiege\b/.test(line) && line.includes(url))
    .map((line) => line.trim());
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
      SIEGERC_CONTENT: fs.readFileSync(path.join(projectDir, "siege/siegerc"), "utf8"),
      CONCURRENCY: "4",
      WARMUP_SECONDS: "1",
      SETTLE_SECONDS: "1",
      ROLLOUT_TIMEOUT_SECONDS: "10",
      LOAD: "siege",
      LOAD_TIME_LIMIT_SECONDS: "60",
      LOAD_FROM: "host",
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
    // Deleted at the restart, as the watch saw it: never before the restart was sent.
    expect(run.stdout).toMatch(/^study-pod: demo-site-old-a deleted=\d+\.\d{3} gone=\d+\.\d{3}$/m);
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

  test("killed as the command provider kills it (SIGKILL to its /bin/sh), it stops, cleans up and frees the output pipes", async () => {
    // A stuck rollout: the test would wait for it for ROLLOUT_TIMEOUT_SECONDS.
    const shell = spawn("/bin/sh", ["-c", "bash scripts/rollout-test.sh"], {
      cwd: projectDir,
      // A rollout status that hangs as long as the test would wait: only an end of the whole
      // process group frees the pipes soon.
      env: env({ FAKE_ROLLOUT: "stuck", FAKE_STUCK_SECONDS: "120", FAKE_OUTAGE_SECONDS: "0", ROLLOUT_TIMEOUT_SECONDS: "120" }),
    });
    let stderr = "";
    shell.stderr.on("data", (chunk) => (stderr += chunk));
    const pipesClosed = new Promise<void>((resolve) => shell.on("close", () => resolve()));
    for (let i = 0; i < 100 && !stderr.includes("rollout restart issued"); i++) await new Promise((r) => setTimeout(r, 100));
    expect(stderr).toContain("rollout restart issued");
    const siegeBefore = siegeProcesses(server.url);
    expect(siegeBefore).toHaveLength(1);

    const killedAt = Date.now();
    shell.kill("SIGKILL");
    await pipesClosed;
    // The watchdog polls once a second; the cleanup is quick. Far below the 120 s it would wait.
    expect(Date.now() - killedAt).toBeLessThan(15_000);
    expect(siegeProcesses(server.url)).toEqual([]);
    // The EXIT trap ran: the load stopped and the test's temporary folder is gone.
    expect(stderr).not.toContain("siege stopped");
  });

  test("keeps the load until the last old pod is gone, then settles", async () => {
    const run = await runScript(env({ FAKE_OUTAGE_SECONDS: "0", FAKE_TERMINATION_SECONDS: "5" }));
    const measurement = parseRolloutOutput(run.stdout);
    expect(measurement.rolloutSeconds).toBeLessThan(5);
    expect(measurement.oldPodsGoneSeconds).toBeGreaterThanOrEqual(5);
    expect(measurement.pods.map((p) => p.goneSeconds === null)).toEqual([false, false]);
    // 1 s warm-up, 5 s until the old pods are gone, 1 s settle.
    expect(measurement.report!.elapsedSeconds).toBeGreaterThanOrEqual(6.5);
  });

  test("waits for old pods as long as their grace period allows, well past 10 s", async () => {
    // The rollout itself takes 1.5 s, and the wait counts whole seconds: 14 s is past any cap of 10 s.
    const run = await runScript(env({ FAKE_OUTAGE_SECONDS: "0", FAKE_TERMINATION_SECONDS: "14", FAKE_GRACE_SECONDS: "20" }));
    const measurement = parseRolloutOutput(run.stdout);
    expect(measurement.pods.map((p) => p.goneSeconds !== null && p.goneSeconds >= 14)).toEqual([true, true]);
    expect(measurement.oldPodsGoneSeconds).toBeGreaterThanOrEqual(14);
  });

  test("waits for an old pod no longer than its grace period and a margin", async () => {
    const run = await runScript(env({ FAKE_OUTAGE_SECONDS: "0", FAKE_TERMINATION_SECONDS: "1000", FAKE_GRACE_SECONDS: "1" }));
    const measurement = parseRolloutOutput(run.stdout);
    expect(measurement.status).toBe("ok");
    expect(measurement.oldPodsGoneSeconds).toBeUndefined();
    expect(run.stderr).toMatch(/pod demo-site-old-[ab] was not gone 1s after the rollout/);
  });

  test("keeps the load through the warm-up before the restart and the settle after it", async () => {
    const run = await runScript(env({ FAKE_OUTAGE_SECONDS: "0", WARMUP_SECONDS: "3", SETTLE_SECONDS: "3" }));
    // Loaded machines only make it longer; without either wait it would be about 3 s shorter.
    expect(parseRolloutOutput(run.stdout).report!.elapsedSeconds).toBeGreaterThanOrEqual(5.5);
  });

  describe("with keep-alive", () => {
    const keepAlive = () => fs.readFileSync(path.join(projectDir, "siege/siegerc"), "utf8").replace(/^connection = close$/m, "connection = keep-alive");

    test("siege keeps its connections to a server that keeps them, and measures as with close", async () => {
      const keeping = await startFlakyServer({ keepAlive: true });
      try {
        const run = await runScript(env({ FAKE_OUTAGE_SECONDS: "0", SIEGERC_CONTENT: keepAlive(), FAKE_URL: keeping.url }));
        if (process.env.SHOW_SCRIPT_OUTPUT) console.log(run.stdout, run.stderr);
        const measurement = parseRolloutOutput(run.stdout);
        expect(measurement.status).toBe("ok");
        expect(measurement.report!.availability).toBe(100);
      } finally {
        await keeping.close();
      }
    });

    test("a siege that prints its report and never exits is ended, and its report stands", async () => {
      // Some siege versions do this under keep-alive; a stand-in does it here on purpose.
      const shims = fs.mkdtempSync(path.join(os.tmpdir(), "hanging-siege-"));
      const report = fs.readFileSync(path.join(projectDir, "tests/fixtures/rollout-classic.txt"), "utf8").split("\n").filter((l) => !l.startsWith("study-")).join("\n");
      fs.writeFileSync(path.join(shims, "report.txt"), report);
      // perl, not bash: a background job of a script starts with SIGINT ignored, which bash cannot trap.
      fs.writeFileSync(
        path.join(shims, "siege"),
        `#!/usr/bin/perl\n$SIG{INT} = sub { open(my $f, "<", "${shims}/report.txt"); print STDERR <$f>; $SIG{INT} = "IGNORE" };\nsleep 1 while 1;\n`,
        { mode: 0o755 },
      );
      const run = await runScript(env({ FAKE_OUTAGE_SECONDS: "0", PATH: `${shims}:${fakeCluster}:${process.env.PATH}` }));
      if (process.env.SHOW_SCRIPT_OUTPUT) console.log(run.stdout, run.stderr);
      expect(run.stderr).toContain("siege did not exit 10s after SIGINT: ended with SIGKILL");
      const measurement = parseRolloutOutput(run.stdout);
      expect(measurement.status).toBe("ok");
      expect(measurement.report!.transactions).toBeGreaterThan(0);
      expect(siegeProcesses(shims)).toEqual([]);
    });

    test("out of file descriptors, siege aborts with no report: a failed measurement that says why", async () => {
      const run = await new Promise<ScriptRun>((resolve) => {
        execFile(
          "/bin/bash",
          ["-c", 'ulimit -n 64 && exec /bin/bash scripts/rollout-test.sh'],
          { env: env({ FAKE_OUTAGE_SECONDS: "0", CONCURRENCY: "2", FAKE_URL: "http://127.0.0.1:1/", SIEGERC_CONTENT: keepAlive() }), cwd: projectDir, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
          (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
        );
      });
      const measurement = parseRolloutOutput(run.stdout);
      expect(measurement.status).toBe("failed");
      expect(measurement.reason).toMatch(/^siege ran out of file descriptors: under connection=keep-alive it leaks one per refused connection/);
    });
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

  test("on a cluster other than minikube, the host loads a node's address and the NodePort", async () => {
    const port = new URL(server.url).port;
    const run = await runScript(env({ PROFILE: "", FAKE_NODE_PORT: port, FAKE_OUTAGE_SECONDS: "0", PATH: `${fakeCluster}:${toolsWithout("minikube")}` }));
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`load target: http://127.0.0.1:${port}/`);
    expect(availability(run.stdout)).toBe(100);
  });

  describe("with siege in a Job in the cluster (LOAD_FROM=cluster)", () => {
    const job = (script: string) =>
      JSON.stringify(
        loadJobManifest(
          { namespace: "demo-site-load", name: "siege", image: "debian:bookworm-slim", deadlineSeconds: 120 },
          {
            load: "siege",
            targetUrl: "http://demo-site.demo-site.svc.cluster.local:80/",
            concurrency: 4,
            timeLimitSeconds: 60,
            siegerc: fs.readFileSync(path.join(projectDir, "siege/siegerc"), "utf8"),
            script,
          },
        ),
      );
    const clusterEnv = (overrides: Record<string, string> = {}) =>
      env({
        LOAD_FROM: "cluster",
        LOAD_NAMESPACE: "demo-site-load",
        LOAD_JOB_NAME: "siege",
        LOAD_JOB: job(fs.readFileSync(path.join(projectDir, "scripts/in-cluster-load.sh"), "utf8")),
        LOAD_STOP_FILE: "/tmp/study-stop",
        ...overrides,
      });

    test("the Job's log, with the pod's timestamps, gives the same report, errors and timeline", async () => {
      const run = await runScript(clusterEnv({ FAKE_SIDECAR: "classic" }));
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/load Job siege runs siege in pod fake-load-pod/);
      const measurement = parseRolloutOutput(run.stdout);
      expect(measurement.status).toBe("ok");
      expect(measurement.report!.availability).toBeLessThan(100);
      expect(measurement.report!.failedTransactions).toBe(measurement.errors.connectionReset);
      const window = errorWindow(measurement)!;
      expect(window.lastErrorSeconds).toBeLessThan(3);
      expect(run.stdout).not.toContain("study-load-started");
      // The Job is applied, stopped through its pod, and removed.
      const calls = fs.readFileSync(path.join(state, "kubectl.calls"), "utf8");
      expect(calls).toMatch(/^--context istio-exit-study --namespace demo-site-load apply -f -$/m);
      expect(calls).toMatch(/^--context istio-exit-study --namespace demo-site-load exec fake-load-pod -- touch \/tmp\/study-stop$/m);
      expect(calls).toMatch(/^--context istio-exit-study --namespace demo-site-load delete job siege --ignore-not-found --wait=false$/m);
    });

    test("puts the node's clock on this machine's, so that errors still fall at the restart", async () => {
      const run = await runScript(clusterEnv({ FAKE_POD_CLOCK_OFFSET: "30" }));
      // Half a command round trip is the uncertainty: on a loaded machine that is well over 0.1 s.
      const offset = Number(run.stderr.match(/the load pod's clock is (-?[\d.]+)s ahead of this machine's/)?.[1]);
      expect(offset).toBeGreaterThan(27);
      expect(offset).toBeLessThan(33);
      const window = errorWindow(parseRolloutOutput(run.stdout))!;
      expect(Math.abs(window.firstErrorSeconds)).toBeLessThan(2);
    });

    test("keeps only failed responses in the pod's log", async () => {
      await runScript(clusterEnv({}));
      const log = fs.readFileSync(path.join(state, "job.log"), "utf8");
      expect(log).not.toMatch(/ HTTP\/1\.1 200 /);
      expect(log).toMatch(/Connection reset by peer/);
    });

    test("keeps 408 answers, which siege counts as failed, in the pod's log", async () => {
      server.fail("408", 5);
      const run = await runScript(clusterEnv({ FAKE_OUTAGE_SECONDS: "0" }));
      const log = fs.readFileSync(path.join(state, "job.log"), "utf8");
      expect(log).toMatch(/ HTTP\/1\.1 408 /);
      expect(parseRolloutOutput(run.stdout).errors.timeout).toBeGreaterThan(0);
    });

    test("needs neither siege nor minikube on this machine", async () => {
      const run = await runScript(clusterEnv({ FAKE_OUTAGE_SECONDS: "0", PATH: `${fakeCluster}:${toolsWithout("minikube")}` }));
      expect(run.code).toBe(0);
      expect(parseRolloutOutput(run.stdout).report!.availability).toBe(100);
    });

    test("a Job that never starts siege is a failed measurement quoting its log", async () => {
      const run = await runScript(clusterEnv({ LOAD_JOB: job("echo 'E: Unable to locate package siege' >&2; exit 100"), ROLLOUT_TIMEOUT_SECONDS: "3" }));
      expect(run.code).toBe(0);
      expect(studyLine(run.stdout, "status")).toMatch(/^failed the load Job did not start siege within 3s: .*Unable to locate package siege/);
    });
  });

  (fortio ? describe : describe.skip)("with fortio (LOAD=fortio)", () => {
    const fortioEnv = (overrides: Record<string, string> = {}) =>
      env({
        PATH: `${fortio}:${fakeCluster}:${process.env.PATH}`,
        LOAD: "fortio",
        QPS: "100",
        CONCURRENCY: "4",
        FORTIO_CONNECTIONS: "8",
        KEEPALIVE: "false",
        REQUEST_TIMEOUT_SECONDS: "2",
        ...overrides,
      });

    test("on this machine: every failed request timed inside the outage, each a reset, at the rate asked", async () => {
      const run = await runScript(fortioEnv());
      expect(run.code).toBe(0);
      const measurement = parseRolloutOutput(run.stdout);
      expect(measurement).toMatchObject({ status: "ok", load: "fortio", sidecar: "none" });
      const { failures, fortio: figures } = measurement;
      // The outage starts with the restart and lasts half a second: about 50 requests at 100 a second.
      expect(failures!.length).toBeGreaterThan(10);
      expect(measurement.errors).toMatchObject({ connectionReset: failures!.length, other: 0 });
      for (const failure of failures!) {
        expect(failure.atSeconds).toBeGreaterThanOrEqual(-0.01);
        expect(failure.atSeconds).toBeLessThan(2);
      }
      // A loaded machine may start fortio late, never send more than asked.
      expect(figures!.sent).toBeLessThanOrEqual(figures!.asked * 1.05);
      expect(figures!.sent).toBeGreaterThan(figures!.asked * 0.5);
      expect(figures!.latencyBefore!.count).toBeGreaterThan(0);
      expect(run.stderr).toMatch(/fortio stopped/);
    });

    test("in a Job in the cluster: the pod's output holds the same record", async () => {
      const job = JSON.stringify(
        loadJobManifest(
          { namespace: "demo-site-load", name: "fortio", image: "fortio/fortio:1.75.3", deadlineSeconds: 120 },
          { load: "fortio", args: fortioArguments({ ...testSettings, qps: 100, concurrency: 4 }, "close", "http://demo-site.demo-site.svc.cluster.local:80/") },
        ),
      );
      const run = await runScript(
        fortioEnv({ LOAD_FROM: "cluster", LOAD_NAMESPACE: "demo-site-load", LOAD_JOB_NAME: "fortio", LOAD_JOB: job, PATH: `${fortio}:${fakeCluster}:${toolsWithout("minikube")}` }),
      );
      const measurement = parseRolloutOutput(run.stdout);
      expect([measurement.status, measurement.reason, run.stderr.slice(-600)]).toEqual(["ok", undefined, expect.any(String)]);
      expect(measurement.failures!.length).toBeGreaterThan(10);
      expect(measurement.errors.connectionReset).toBe(measurement.failures!.length);
      // The fake pod ended with its Job.
      expect(fs.readFileSync(path.join(state, "kubectl.calls"), "utf8")).toMatch(/delete job fortio/);
    });

    test("a fortio of another version is a failed measurement that says which to install", async () => {
      const shims = fs.mkdtempSync(path.join(os.tmpdir(), "fortio-version-"));
      fs.writeFileSync(path.join(shims, "fortio"), "#!/bin/sh\necho 1.60.0\n", { mode: 0o755 });
      const run = await runScript(fortioEnv({ PATH: `${shims}:${fakeCluster}:${process.env.PATH}` }));
      expect(studyLine(run.stdout, "status")).toMatch(/^failed fortio on PATH is version 1.60.0; .*go install fortio.org\/fortio@v1.75.3/);
    });
  });

  test("fails at once, naming siege, when siege is missing", async () => {
    const run = await runScript(env({ PATH: `${fakeCluster}:${toolsWithout("siege")}` }));
    expect(run.code).toBe(127);
    expect(run.stderr).toMatch(/siege is not on PATH: install it/);
    expect(run.stdout).toBe("");
  });
});
