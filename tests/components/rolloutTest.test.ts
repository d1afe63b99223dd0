import { TestSettings } from "../../lib/settings";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { measuringFiles, measuringFilesDigest, RolloutTarget, rolloutTestTimeoutSeconds, rolloutTestTrigger } from "../../components/rolloutTest";
import { runMocked } from "../harness";

const target: RolloutTarget = {
  kubeContext: "istio-exit-study",
  profile: "istio-exit-study",
  namespace: "demo-site",
  deployment: "demo-site",
  service: "demo-site",
  podSelector: "app=demo-site",
  mesh: "sidecar",
  clusterUrl: "http://demo-site.demo-site.svc.cluster.local:80/",
};
const settings: TestSettings = {
  load: "siege",
  qps: 100,
  loadFrom: "host",
  loadImage: "debian:bookworm-slim",
  loadNamespace: "demo-site-load",
  concurrency: 25,
  warmupSeconds: 5,
  settleSeconds: 10,
  rolloutTimeoutSeconds: 300,
  repeats: 1,
  run: "",
};
const measured = { injection: true, variant: "hook", sidecarMode: "classic", replicas: 3, workload: "abc" };

function runTest(
  overrides: { settings?: Partial<TestSettings>; measured?: Record<string, string | number | boolean>; connection?: "close" | "keep-alive" } = {},
) {
  return runMocked({}, () => {
    const command = require("@pulumi/command");
    const { RolloutTest } = require("../../components/rolloutTest");
    const workload = new command.local.Command("workload", { create: "true" });
    const test = new RolloutTest("rollout", {
      target,
      settings: { ...settings, ...overrides.settings },
      measured: overrides.measured ?? measured,
      after: [workload],
      loadJobName: "siege",
      connection: overrides.connection ?? "close",
    });
    return { measurement: test.measurement };
  });
}

describe("RolloutTest", () => {
  test("runs the test script after the workload, all settings in the environment", async () => {
    const run = await runTest();
    const siege = run.one("command:local:Command", "rollout-test");
    expect(siege.inputs.create).toBe("bash scripts/rollout-test.sh");
    expect(siege.inputs.environment).toEqual({
      KUBE_CONTEXT: "istio-exit-study",
      PROFILE: "istio-exit-study",
      NAMESPACE: "demo-site",
      DEPLOYMENT: "demo-site",
      SERVICE: "demo-site",
      POD_SELECTOR: "app=demo-site",
      MESH: "sidecar",
      SIEGERC_CONTENT: fs.readFileSync(path.join(__dirname, "../../siege/siegerc"), "utf8"),
      LOAD: "siege",
      CONCURRENCY: "25",
      WARMUP_SECONDS: "5",
      SETTLE_SECONDS: "10",
      ROLLOUT_TIMEOUT_SECONDS: "300",
      LOAD_TIME_LIMIT_SECONDS: String(5 + 600 + 10 + 60),
      LOAD_FROM: "host",
    });
    expect(siege.inputs.addPreviousOutputInEnv).toBe(false);
    expect(siege.order).toBeGreaterThan(run.one("command:local:Command", "workload").order);
  });

  test("its time limit covers every wait of the script, the load Job's start included", () => {
    expect(rolloutTestTimeoutSeconds(settings)).toBe(2 * 300 + 5 + 10 + 300);
    expect(rolloutTestTimeoutSeconds({ ...settings, loadFrom: "cluster" })).toBe(3 * 300 + 5 + 10 + 300);
  });

  test("its measurement is the script's stdout, parsed", async () => {
    const run = await runTest();
    expect(run.outputs.measurement).toMatchObject({ status: "ok", sidecar: "classic", report: { availability: 99.98 } });
  });

  test("the trigger changes exactly when what is measured, how, or the run label changes", async () => {
    const trigger = async (overrides: Parameters<typeof runTest>[0]) =>
      (await runTest(overrides)).one("command:local:Command", "rollout-test").inputs.triggers;
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
      { settings: { load: "fortio" as const } },
      { settings: { qps: 50 } },
    ]) {
      expect([change, await trigger(change)]).not.toEqual([change, base]);
    }
  });

  test("the trigger changes with the measuring files, siege's settings among them", () => {
    expect(measuringFiles).toEqual(expect.arrayContaining(["scripts/rollout-test.sh", "siege/siegerc", "scripts/in-cluster-load.sh"]));
    expect(rolloutTestTrigger(measured, settings, "digest-1")).not.toBe(rolloutTestTrigger(measured, settings, "digest-2"));
  });

  test("the measuring files are every file rollout-test.sh runs or sources, and every project file those import", () => {
    const projectDir = path.resolve(__dirname, "../..");
    // What a script names beside itself: `"$(dirname "$0")/<file>"`, a variable in the name (load-$LOAD.sh)
    // standing for any file of scripts/ it matches; node_modules' own tools aside.
    const scriptsOf = (file: string): string[] =>
      [...fs.readFileSync(path.join(projectDir, file), "utf8").matchAll(/"\$\(dirname "\$0"\)\/([^"]+)"/g)]
        .map((m) => m[1])
        .filter((name) => !name.startsWith("../node_modules/"))
        .flatMap((name) => {
          const pattern = new RegExp(`^${name.replace(/\./g, "\\.").replace(/\$\w+/g, ".+")}$`);
          return fs.readdirSync(path.join(projectDir, "scripts")).filter((f) => pattern.test(f)).map((f) => `scripts/${f}`);
        });
    // A TypeScript file's relative imports, as tests/imports.test.ts reads them.
    const importsOf = (file: string): string[] =>
      [...fs.readFileSync(path.join(projectDir, file), "utf8").matchAll(/(?:from|import|require\()\s*"(\.[^"]+)"/g)].map(
        (m) => `${path.normalize(path.join(path.dirname(file), m[1]))}.ts`,
      );
    const found = new Set<string>();
    const visit = (file: string) => {
      if (found.has(file)) return;
      found.add(file);
      for (const next of file.endsWith(".ts") ? importsOf(file) : scriptsOf(file)) visit(next);
    };
    visit("scripts/rollout-test.sh");
    // The walk reaches what the loads run, and the lib files behind the TypeScript it runs.
    expect([...found]).toEqual(expect.arrayContaining(["scripts/load-siege.sh", "scripts/summarize-fortio.ts", "lib/fortio.ts"]));
    expect([...found].filter((file) => !measuringFiles.includes(file))).toEqual([]);
  });

  test("the digest of the measuring files follows their content", () => {
    const projectDir = path.resolve(__dirname, "../..");
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), "measuring-"));
    for (const file of measuringFiles) fs.cpSync(path.join(projectDir, file), path.join(copy, file));
    const before = measuringFilesDigest(copy);
    expect(measuringFilesDigest(copy)).toBe(before);
    fs.appendFileSync(path.join(copy, "siege/siegerc"), "delay = 1\n");
    expect(measuringFilesDigest(copy)).not.toBe(before);
  });
});

describe("RolloutTest with loadFrom=cluster", () => {
  const jobOf = async () => {
    const run = await runTest({ settings: { loadFrom: "cluster" } });
    const environment = run.one("command:local:Command", "rollout-test").inputs.environment;
    return { environment, job: JSON.parse(environment.LOAD_JOB) };
  };

  test("hands the script a Job in the load namespace, by name, and where its pod waits for the stop", async () => {
    const { environment, job } = await jobOf();
    expect(environment).toMatchObject({ LOAD_FROM: "cluster", LOAD_NAMESPACE: "demo-site-load", LOAD_JOB_NAME: "siege", LOAD_STOP_FILE: "/tmp/study-stop" });
    expect(environment.SIEGERC_CONTENT).toBeUndefined();
    expect(job.metadata).toMatchObject({ name: "siege", namespace: "demo-site-load" });
  });

  test("the Job's pod stays outside the mesh: no sidecar, no ambient enrollment", async () => {
    const { job } = await jobOf();
    expect(job.spec.template.metadata.labels).toMatchObject({ "sidecar.istio.io/inject": "false", "istio.io/dataplane-mode": "none" });
  });

  test("the Job targets the Service's cluster address with the test's concurrency and siege's settings", async () => {
    const { job } = await jobOf();
    const container = job.spec.template.spec.containers[0];
    const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(container.image).toBe("debian:bookworm-slim");
    expect(container.command.slice(0, 2)).toEqual(["bash", "-c"]);
    expect(container.command[2]).toContain("siege --rc=");
    expect(env).toMatchObject({ TARGET_URL: "http://demo-site.demo-site.svc.cluster.local:80/", CONCURRENCY: "25", STOP_FILE: "/tmp/study-stop" });
    expect(env.SIEGERC_CONTENT).toMatch(/^connection = close$/m);
    expect(Number(env.TIME_LIMIT_SECONDS)).toBeGreaterThan(5 + 300 + 10);
  });

  test("a keep-alive case gives siege keep-alive, on this machine and in the Job", async () => {
    const host = (await runTest({ connection: "keep-alive" })).one("command:local:Command", "rollout-test").inputs.environment;
    expect(host.SIEGERC_CONTENT).toMatch(/^connection = keep-alive$/m);
    expect(host.SIEGERC_CONTENT).not.toMatch(/^connection = close$/m);
    const cluster = JSON.parse(
      (await runTest({ connection: "keep-alive", settings: { loadFrom: "cluster" } })).one("command:local:Command", "rollout-test").inputs
        .environment.LOAD_JOB,
    );
    const env = Object.fromEntries(cluster.spec.template.spec.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env.SIEGERC_CONTENT).toMatch(/^connection = keep-alive$/m);
  });

  test("the Job has limits, runs once and ends by a deadline", async () => {
    const { job } = await jobOf();
    expect(job.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 3 * 300 + 5 + 10 + 300 });
    expect(job.spec.template.spec.restartPolicy).toBe("Never");
    expect(job.spec.template.spec.containers[0].resources.limits).toEqual({ cpu: "2", memory: "512Mi" });
  });
});

describe("RolloutTest with load=fortio", () => {
  const fortio = { load: "fortio" as const, qps: 200, loadImage: "fortio/fortio:1.75.3" };

  test("on this machine: the rate, connections, keep-alive and timeout in the environment, no siege settings", async () => {
    const environment = (await runTest({ settings: fortio, connection: "keep-alive" })).one("command:local:Command", "rollout-test").inputs
      .environment;
    expect(environment).toMatchObject({ LOAD: "fortio", QPS: "200", CONCURRENCY: "25", FORTIO_CONNECTIONS: "25", KEEPALIVE: "true", REQUEST_TIMEOUT_SECONDS: "2" });
    expect(environment.SIEGERC_CONTENT).toBeUndefined();
  });

  test("in the cluster: fortio load at the rate, spread evenly, late requests skipped, its record on the pod's output", async () => {
    const environment = (await runTest({ settings: { ...fortio, loadFrom: "cluster" } })).one("command:local:Command", "rollout-test").inputs
      .environment;
    const job = JSON.parse(environment.LOAD_JOB);
    const container = job.spec.template.spec.containers[0];
    expect(container.image).toBe("fortio/fortio:1.75.3");
    expect(container.command).toBeUndefined();
    expect(container.args).toEqual([
      "load",
      ...["-qps", "200", "-c", "800", "-t", `${5 + 600 + 10 + 60}s`],
      ...["-uniform", "-nocatchup", "-allow-initial-errors", "-keepalive=false"],
      ...["-timeout", "2s", "-access-log-file", "/dev/stdout", "-access-log-format", "json", "http://demo-site.demo-site.svc.cluster.local:80/"],
    ]);
    expect(job.spec.template.metadata.labels).toMatchObject({ "sidecar.istio.io/inject": "false", "istio.io/dataplane-mode": "none" });
    expect(job.spec.template.spec.containers[0].resources.limits).toEqual({ cpu: "2", memory: "512Mi" });
    expect(environment).toMatchObject({ LOAD: "fortio", QPS: "200", LOAD_NAMESPACE: "demo-site-load", LOAD_JOB_NAME: "siege" });
    expect(environment.LOAD_STOP_FILE).toBeUndefined();
  });
});
