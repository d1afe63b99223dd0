// scripts/rollout-test.sh run for real: real siege (or fortio) against a local server, with fake
// kubectl and minikube on PATH playing the cluster and its rolling restart. The helpers of the
// tests in tests/scripts/rollout/, one file per concern, so that they run side by side.
import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadJobManifest } from "../../lib/loadJob";
import { FlakyServer, startFlakyServer } from "./flakyServer";

export const projectDir = path.resolve(__dirname, "../..");
export const fakeCluster = path.join(projectDir, "tests/support/fake-cluster");
export const haveSiege = fs.existsSync("/usr/bin/siege") || process.env.PATH!.split(":").some((d) => fs.existsSync(path.join(d, "siege")));
if (!haveSiege) console.warn("siege is not on PATH: the rollout script tests are skipped (apt-get install siege)");

export interface ScriptRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runScript(env: Record<string, string>, script = "scripts/rollout-test.sh"): Promise<ScriptRun> {
  return new Promise((resolve) => {
    execFile(
      "/bin/bash",
      [path.join(projectDir, script)],
      { env, cwd: projectDir, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A PATH of links to what the scripts use, but for the tools left `out`. */
export function toolsWithout(...out: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tools-"));
  const tools = ["bash", "perl", "awk", "sed", "grep", "sort", "uniq", "cut", "cat", "rm", "mv", "mkdir", "mktemp", "mkfifo", "seq", "sleep", "tr", "date", "tail", "touch", "stdbuf", "siege", "node", "dirname", "env"];
  for (const tool of tools.filter((t) => !out.includes(t))) {
    const found = ["/usr/local/bin", "/usr/bin", "/bin"].map((d) => path.join(d, tool)).find((p) => fs.existsSync(p));
    if (found) fs.symlinkSync(found, path.join(dir, tool));
  }
  return dir;
}

/** siege processes loading `url`, by pid. */
export function siegeProcesses(url: string): string[] {
  return execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" })
    .split("\n")
    .filter((line) => /\bsiege\b/.test(line) && line.includes(url))
    .map((line) => line.trim());
}

export const studyLine = (stdout: string, key: string) => stdout.match(new RegExp(`^study-${key}: (.*)$`, "m"))?.[1];
export const availability = (stdout: string) => Number(stdout.match(/^Availability:\s+([\d.]+) %/m)?.[1]);

/**
 * The project's siege settings, but each user pausing up to 10 ms between requests: siege at full
 * speed against a server in the test's own process would take both cores from the other tests,
 * and a few hundred requests a second show every failure the fake restart makes.
 */
export function throttledSiegerc(): string {
  return fs
    .readFileSync(path.join(projectDir, "siege/siegerc"), "utf8")
    .replace(/^benchmark = true$/m, "benchmark = false")
    .replace(/^delay = 0$/m, "delay = 0.01");
}

/** Processes started with the fake cluster of `state` (FAKE_STATE in their environment), but this one. */
export function processesOf(state: string): string[] {
  return fs.readdirSync("/proc").flatMap((pid) => {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) return [];
    try {
      const environ = fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
      if (!environ.includes(`FAKE_STATE=${state}`)) return [];
      return [`${pid} ${fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim()}`];
    } catch {
      return []; // gone meanwhile
    }
  });
}

/** The script's environment for fortio (LOAD=fortio) from the folder `fortio` holds it in. */
export function fortioEnv(env: FakeCluster["env"], fortio: string, overrides: Record<string, string> = {}): Record<string, string> {
  return env({
    PATH: `${fortio}:${fakeCluster}:${process.env.PATH}`,
    LOAD: "fortio",
    QPS: "100",
    CONCURRENCY: "4",
    FORTIO_CONNECTIONS: "8",
    KEEPALIVE: "false",
    REQUEST_TIMEOUT_SECONDS: "2",
    ...overrides,
  });
}

/** The script's environment for siege in a load Job (LOAD_FROM=cluster), its pod running `script`. */
export function siegeJobEnv(env: FakeCluster["env"], script: string, overrides: Record<string, string> = {}): Record<string, string> {
  const job = loadJobManifest(
    { namespace: "demo-site-load", name: "siege", image: "debian:bookworm-slim", deadlineSeconds: 120 },
    { load: "siege", targetUrl: "http://demo-site.demo-site.svc.cluster.local:80/", concurrency: 4, timeLimitSeconds: 60, siegerc: throttledSiegerc(), script },
  );
  return env({
    LOAD_FROM: "cluster",
    LOAD_NAMESPACE: "demo-site-load",
    LOAD_JOB_NAME: "siege",
    LOAD_JOB: JSON.stringify(job),
    LOAD_STOP_FILE: "/tmp/study-stop",
    ...overrides,
  });
}

/** scripts/in-cluster-load.sh, which the siege Job's pod runs. */
export const inClusterLoad = () => fs.readFileSync(path.join(projectDir, "scripts/in-cluster-load.sh"), "utf8");

export interface FakeCluster {
  /** The fake cluster's state folder, new for each test. */
  readonly state: string;
  /** The local server the load reaches, failing while the fake restart's outage lasts. */
  server: FlakyServer;
  /** The script's environment for a host load of siege, with `overrides`. */
  env(overrides?: Record<string, string>): Record<string, string>;
}

/** A fake cluster and its server for each test of the calling describe block. */
export function fakeClusterPerTest(): FakeCluster {
  const cluster = {
    state: "",
    server: undefined as unknown as FlakyServer,
    env(overrides: Record<string, string> = {}): Record<string, string> {
      return {
        PATH: `${fakeCluster}:${process.env.PATH}`,
        HOME: cluster.state,
        KUBE_CONTEXT: "istio-exit-study",
        NAMESPACE: "demo-site",
        DEPLOYMENT: "demo-site",
        SERVICE: "demo-site",
        POD_SELECTOR: "app=demo-site",
        MESH: "sidecar",
        PROFILE: "istio-exit-study",
        SIEGERC_CONTENT: throttledSiegerc(),
        CONCURRENCY: "4",
        WARMUP_SECONDS: "1",
        SETTLE_SECONDS: "1",
        ROLLOUT_TIMEOUT_SECONDS: "10",
        LOAD: "siege",
        LOAD_TIME_LIMIT_SECONDS: "60",
        LOAD_FROM: "host",
        FAKE_STATE: cluster.state,
        FAKE_FAULT_FILE: cluster.server.faultFile!,
        FAKE_URL: cluster.server.url,
        FAKE_OUTAGE_SECONDS: "0.5",
        ...overrides,
      };
    },
  };
  beforeEach(async () => {
    cluster.state = fs.mkdtempSync(path.join(os.tmpdir(), "fake-cluster-"));
    cluster.server = await startFlakyServer({ faultFile: path.join(cluster.state, "outage") });
  });
  afterEach(async () => {
    // Whatever the script started is gone with it: the load, the watch of the pods, the fake pod.
    let left = processesOf(cluster.state);
    for (let i = 0; i < 50 && left.length > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      left = processesOf(cluster.state);
    }
    await cluster.server.close();
    fs.rmSync(cluster.state, { recursive: true, force: true });
    expect(left).toEqual([]);
  });
  return cluster;
}
