import * as fs from "fs";
import * as path from "path";
import { json407, seedNoHook, text41x } from "./fixtures/siegeReports";
import { builtGeneration, markProfile, MockRun, runMocked, runStudy } from "./harness";
import { withFakeIstio } from "./support/fakeIstio";

/** Inputs of every resource in the cluster and mesh layers, by name: what a flip must leave alone. */
function clusterAndMesh(run: MockRun): Record<string, unknown> {
  return Object.fromEntries(
    run.resources.filter((r) => r.name.startsWith("cluster") || r.name.startsWith("istio")).map((r) => [r.name, r.inputs]),
  );
}

describe("the study program", () => {
  test("registers cluster, provider, Istio, namespace, Deployment and Service, and exports the setting", async () => {
    const run = await runStudy({ injection: "true" });
    const named = run.resources.filter((r) => !r.type.startsWith("istio-exit-study:")).map((r) => `${r.type} ${r.name}`);
    expect(named.sort()).toEqual(
      [
        "command:local:Command cluster-kubeconfig",
        `command:local:Command cluster-minikube-${builtGeneration}`,
        "command:local:Command cluster-owner",
        "command:local:Command rollout-test",
        "command:local:Command verdict-check",
        "kubernetes:apps/v1:Deployment demo-site-deployment",
        "kubernetes:core/v1:Namespace demo-site-namespace",
        "kubernetes:core/v1:Namespace istio-namespace",
        "kubernetes:core/v1:Service demo-site-service",
        "kubernetes:helm.sh/v3:Release istio-base",
        "kubernetes:helm.sh/v3:Release istio-istiod",
        "pulumi:providers:kubernetes cluster-k8s",
      ].sort(),
    );
    expect(run.outputs).toMatchObject({
      kubeContext: "istio-exit-study-dev",
      namespace: "demo-site",
      injection: true,
      variant: "hook",
      sidecarMode: "classic",
      istioVersion: "1.31.1",
    });
  });

  test("every Kubernetes resource uses the cluster's explicit provider", async () => {
    const run = await runStudy();
    const kube = run.resources.filter((r) => r.type.startsWith("kubernetes:"));
    expect(kube.length).toBeGreaterThan(0);
    for (const resource of kube) expect(resource.provider).toMatch(/::cluster-k8s::/);
  });

  test("the workload is deployed only after istiod is ready", async () => {
    const run = await runStudy({ injection: "true" }, { slowTypes: ["kubernetes:helm.sh/v3:Release"] });
    const istiod = run.one("kubernetes:helm.sh/v3:Release", "istiod");
    expect(run.one("kubernetes:core/v1:Namespace", "demo-site-namespace").order).toBeGreaterThan(istiod.order);
    expect(run.one("kubernetes:apps/v1:Deployment").order).toBeGreaterThan(istiod.order);
  });

  test("istioInstaller=istioctl replaces the Helm releases by the istioctl command", async () => {
    const run = await runStudy({ istioInstaller: "istioctl" });
    expect(run.all("kubernetes:helm.sh/v3:Release")).toEqual([]);
    expect(run.one("command:local:Command", "istio-istioctl").inputs.environment.KUBE_CONTEXT).toBe("istio-exit-study-dev");
  });

  test.each([
    ["injection", "false", "true"],
    ["variant", "hook", "nohook"],
    ["sidecarMode", "classic", "native"],
    ["proxyDrainSeconds", "0", "30"],
    ["exitOnZeroActiveConnections", "false", "true"],
    ["proxyPreStopSeconds", "0", "15"],
  ])("flipping %s changes the workload but not one input of the cluster or of Istio", async (key, from, to) => {
    // The sidecar's switches act on an injected classic sidecar only.
    const base: Record<string, string> = key === "injection" || key === "sidecarMode" ? {} : { injection: "true" };
    const before = await runStudy({ ...base, [key]: from });
    const after = await runStudy({ ...base, [key]: to });
    expect(clusterAndMesh(after)).toEqual(clusterAndMesh(before));
    expect(Object.keys(clusterAndMesh(before)).length).toBeGreaterThanOrEqual(6);
    const workload = (run: MockRun) => run.resources.filter((r) => r.name.startsWith("demo-site-")).map((r) => r.inputs);
    expect(workload(after)).not.toEqual(workload(before));
  });

  test.each([
    ["kubernetesVersion", "v1.34.2"],
    ["cpus", "6"],
    ["istioVersion", "1.30.2"],
    ["istioInstaller", "istioctl"],
    ["mesh", "ambient"],
  ])("a rebuilt cluster or another Istio (%s) measures again", async (key, value) => {
    const trigger = async (config: Record<string, string>) =>
      (await runStudy(config)).one("command:local:Command", "rollout-test").inputs.triggers[0];
    expect(await trigger({ [key]: value })).not.toEqual(await trigger({}));
  });

  test("flipping injection rolls the pods: the Deployment's pod template changes", async () => {
    const template = async (injection: string) =>
      (await runStudy({ injection })).one("kubernetes:apps/v1:Deployment").inputs.spec.template;
    expect(await template("true")).not.toEqual(await template("false"));
  });

  test.each([
    ["injection", "maybe"],
    ["variant", "sometimes"],
    ["replicas", "0"],
    ["preStopSeconds", "-1"],
    ["profile", "a b"],
    ["namespace", "x;$(rm -rf /)"],
    ["manifest", "/nonexistent.yaml"],
  ])("a bad %s (%j) stops the program before any resource is registered", async (key, value) => {
    const registered: string[] = [];
    const recordEach = { state: (r: { name: string }) => (registered.push(r.name), undefined) };
    await expect(runStudy({ [key]: value }, recordEach)).rejects.toThrow(`config ${key}=${JSON.stringify(value)} is invalid`);
    expect(registered).toEqual([]);
  });
});

describe("the study's own minikube profile", () => {
  const profileFolder = (name: string) => path.join(process.env.MINIKUBE_HOME!, ".minikube/profiles", name);
  const minikubeName = (run: MockRun) => run.all("command:local:Command").find((c) => c.name.startsWith("cluster-minikube-"))!.name;

  test.each([
    ["made by hand", "", "minikube profile mine exists and this lab did not make it"],
    ["of another stack", "stack=organization/istio-exit-study/other\ngeneration=1\nidentity=x\nstate=built\n", "minikube profile mine belongs to stack organization/istio-exit-study/other, not to organization/istio-exit-study/dev"],
  ])("a profile %s stops the program before any resource is registered", async (_what, mark, refusal) => {
    fs.mkdirSync(profileFolder("mine"), { recursive: true });
    if (mark) fs.writeFileSync(path.join(profileFolder("mine"), "istio-exit-study.owner"), mark);
    const registered: string[] = [];
    const recordEach = { state: (r: { name: string }) => (registered.push(r.name), undefined) };
    try {
      await expect(runMockedOn("mine", recordEach)).rejects.toThrow(refusal);
    } finally {
      fs.rmSync(profileFolder("mine"), { recursive: true, force: true });
    }
    expect(registered).toEqual([]);
  });

  test("the stack's profile, built as configured, keeps its cluster resource; any other size plans a new one", async () => {
    expect(minikubeName(await runStudy())).toBe(`cluster-minikube-${builtGeneration}`);
    // Marked as built with 4 CPUs, configured with 6: a new generation, built anew.
    markProfile({}, "built");
    const resized = await runMockedOn("", {}, { cpus: "6" });
    expect(minikubeName(resized)).toMatch(/^cluster-minikube-[0-9a-f]{8}$/);
    expect(minikubeName(resized)).not.toBe(`cluster-minikube-${builtGeneration}`);
  });

  test("a profile that is not there gets a new generation at each run until it is built", async () => {
    const first = minikubeName(await runStudy({}, { profile: "absent" }));
    const second = minikubeName(await runStudy({}, { profile: "absent" }));
    expect(first).not.toBe(second);
  });

  /** The program on `profile` ("" for the default) as the marks on disk leave it, not as runStudy marks it. */
  function runMockedOn(profile: string, options: Parameters<typeof runMocked>[2], config: Record<string, string> = {}) {
    return runMocked(profile ? { ...config, profile } : config, () => require("../index"), options);
  }
});

describe("the mesh switch", () => {
  test("mesh=none installs no Istio at all and measures the app alone", async () => {
    const run = await runStudy({ mesh: "none" });
    expect(run.resources.filter((r) => r.name.startsWith("istio"))).toEqual([]);
    expect(run.outputs.istioVersion).toBe("none");
    expect(run.one("command:local:Command", "rollout-test").inputs.triggers[0]).toContain('"mesh":"none"');
  });

  test("mesh=ambient adds cni and ztunnel and enrolls the namespace; the cluster stays as it was", async () => {
    const sidecar = await runStudy();
    const ambient = await runStudy({ mesh: "ambient" });
    expect(ambient.all("kubernetes:helm.sh/v3:Release").map((r) => r.inputs.name).sort()).toEqual(
      ["istio-base", "istio-cni", "istiod", "ztunnel"],
    );
    expect(ambient.one("kubernetes:core/v1:Namespace", "demo-site-namespace").inputs.metadata.labels).toEqual({
      "istio.io/dataplane-mode": "ambient",
    });
    const clusterOf = (run: MockRun) => run.resources.filter((r) => r.name.startsWith("cluster")).map((r) => r.inputs);
    expect(clusterOf(ambient)).toEqual(clusterOf(sidecar));
    expect(ambient.one("kubernetes:helm.sh/v3:Release", "istio-base").inputs).toEqual(
      sidecar.one("kubernetes:helm.sh/v3:Release", "istio-base").inputs,
    );
  });
});

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

describe("the whole study in one run (cases)", () => {
  const standardNames = [
    "nomesh-nohook",
    "nomesh-hook",
    "sidecar-nohook",
    "sidecar-hook",
    "drain-hook",
    "exit-on-zero-hook",
    "proxy-prestop-hook",
    "native-hook",
    "ambient-hook",
  ];
  // Earlier tests register more slowly: only the chain keeps them in the order of the cases.
  const earlierIsSlower = {
    delayMs: (r: { name: string }) => {
      const index = standardNames.findIndex((name) => r.name.startsWith(`rollout-${name}`));
      return index < 0 ? 0 : (standardNames.length - index) * 15;
    },
  };
  const testOf = (run: MockRun, name: string) => run.one("command:local:Command", `rollout-${name}-test`);

  test("cases=standard registers one namespace, workload and test per case, one Istio for all", async () => {
    const run = await runStudy({ cases: "standard", cpus: "6" });
    expect(run.all("kubernetes:core/v1:Namespace").map((r) => r.inputs.metadata.name).sort()).toEqual(
      ["istio-system", ...standardNames.map((n) => `demo-site-${n}`)].sort(),
    );
    expect(run.all("kubernetes:apps/v1:Deployment")).toHaveLength(standardNames.length);
    expect(run.all("kubernetes:core/v1:Service")).toHaveLength(standardNames.length);
    expect(run.all("command:local:Command").filter((c) => c.name.startsWith("rollout-")).map((c) => c.name)).toHaveLength(standardNames.length);
    expect(run.all("kubernetes:helm.sh/v3:Release").map((r) => r.inputs.name).sort()).toEqual(["istio-base", "istio-cni", "istiod", "ztunnel"]);
    const labels = (name: string) => run.one("kubernetes:core/v1:Namespace", `demo-site-${name}-namespace`).inputs.metadata.labels;
    expect(labels("nomesh-hook")).toEqual({});
    expect(labels("sidecar-hook")).toEqual({ "istio-injection": "enabled" });
    expect(labels("ambient-hook")).toEqual({ "istio.io/dataplane-mode": "ambient" });
    const pods = (name: string) => run.one("kubernetes:apps/v1:Deployment", `demo-site-${name}-deployment`).inputs.spec.template;
    expect(pods("drain-hook").metadata.annotations["proxy.istio.io/config"]).toBe('{"terminationDrainDuration":"15s"}');
    expect(pods("native-hook").metadata.annotations["sidecar.istio.io/nativeSidecar"]).toBe("true");
    expect(testOf(run, "native-hook").inputs.environment).toMatchObject({ NAMESPACE: "demo-site-native-hook" });
  });

  test("the tests are chained: each waits for the one before, in the order of the cases", async () => {
    const run = await runStudy({ cases: "standard", cpus: "6" }, earlierIsSlower);
    const order = standardNames.map((name) => testOf(run, name).order);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(run.one("command:local:Command", "verdict-check").order).toBeGreaterThan(Math.max(...order));
  });

  test("no test starts before every workload is in place, so no Deployment rolls during a test", async () => {
    const lastSiteSlow = { delayMs: (r: { name: string }) => (r.name === "demo-site-native-hook-deployment" ? 200 : 0) };
    const run = await runStudy({ cases: "sidecar-hook,native-hook" }, lastSiteSlow);
    expect(testOf(run, "sidecar-hook").order).toBeGreaterThan(run.one("kubernetes:apps/v1:Deployment", "native-hook-deployment").order);
  });

  test("repeats go round the cases, chained too, the repeat in its trigger", async () => {
    const run = await runStudy({ cases: "sidecar-hook,native-hook", repeats: "2" }, { delayMs: earlierIsSlower.delayMs });
    const tests = run.all("command:local:Command").filter((c) => c.name.startsWith("rollout-"));
    expect(tests.sort((a, b) => a.order - b.order).map((c) => c.name)).toEqual([
      "rollout-sidecar-hook-test",
      "rollout-native-hook-test",
      "rollout-sidecar-hook-2-test",
      "rollout-native-hook-2-test",
    ]);
    expect(JSON.parse(tests[2].inputs.triggers[0]).repeat).toBe(2);
    expect((run.outputs.results as any[]).map((r) => [r.case, r.runs])).toEqual([
      ["sidecar-hook", 2],
      ["native-hook", 2],
    ]);
  });

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
    expect(rows[0]).toMatch(/^\| sidecar-hook \| classic sidecar, preStop 10s \| classic \| 26 \/ 127705 \| 2.04 \(1.33–2.98\) \| as expected \(lossy\) \|/);
    // ambient against the classic sidecar with the same hook: 132 of 5252 against 26 of 127705.
    expect(rows[2]).toMatch(/^\| ambient-hook \| ambient, preStop 10s \| classic \| 132 \/ 5252 \| 251.33 .* \| no expectation \| differs from sidecar-hook \(p = /);
    expect(run.outputs.availability).toBeUndefined();
    expect(run.outputs.namespace).toBeUndefined();
  });

  test("a case above maxFailuresPer10k fails the update with its figures; one below it passes", async () => {
    const gated = await runStudy({ injection: "true", maxFailuresPer10k: "1.5" }, withReport(seedNoHook));
    expect(gated.outputs.summary).toMatch(/, ABOVE THE GATE$/);
    expect(gated.one("command:local:Command", "verdict-check").inputs.environment.STUDY_FAILURES).toBe(
      "study: 2.04 failures per 10,000 requests (26 of 127705; 95 % interval 1.33–2.98), above maxFailuresPer10k=1.5",
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
      /^native-hook: run 1: rollout did not finish within 300s/,
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

describe("an existing cluster (kubeContext)", () => {
  test("creates no minikube: the provider uses the context, and the test runs in the cluster by default", async () => {
    const run = await withFakeIstio("none", () => runStudy({ kubeContext: "kind-lab" }));
    expect(run.all("command:local:Command").map((c) => c.name).sort()).toEqual(["rollout-test", "verdict-check"]);
    expect(run.one("pulumi:providers:kubernetes").inputs).toMatchObject({ context: "kind-lab", clusterIdentifier: "context/kind-lab" });
    for (const r of run.resources.filter((r) => r.type.startsWith("kubernetes:"))) expect(r.provider).toMatch(/::cluster-k8s::/);
    const test = run.one("command:local:Command", "rollout-test");
    expect(test.inputs.environment).toMatchObject({ KUBE_CONTEXT: "kind-lab", PROFILE: "", LOAD_FROM: "cluster", LOAD_NAMESPACE: "demo-site-load" });
    expect(run.outputs.kubeContext).toBe("kind-lab");
  });

  test("the load namespace is the study's own and exists before the first test", async () => {
    const run = await withFakeIstio("none", () =>
      runStudy({ kubeContext: "kind-lab" }, { slowTypes: ["kubernetes:core/v1:Namespace"] }),
    );
    const load = run.one("kubernetes:core/v1:Namespace", "load-namespace");
    expect(load.inputs.metadata).toEqual({ name: "demo-site-load", labels: { "istio-injection": "disabled" } });
    expect(run.one("command:local:Command", "rollout-test").order).toBeGreaterThan(load.order);
  });

  test("the load Job reaches the Service by its cluster IP, with no DNS needed", async () => {
    const run = await withFakeIstio("none", () => runStudy({ kubeContext: "kind-lab" }));
    const job = JSON.parse(run.one("command:local:Command", "rollout-test").inputs.environment.LOAD_JOB);
    const env = Object.fromEntries(job.spec.template.spec.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env.TARGET_URL).toBe("http://10.0.0.10:80/");
  });

  test("loadFrom=host on an existing cluster keeps siege on this machine, through a node's address", async () => {
    const run = await withFakeIstio("none", () => runStudy({ kubeContext: "kind-lab", loadFrom: "host" }));
    expect(run.one("command:local:Command", "rollout-test").inputs.environment).toMatchObject({ LOAD_FROM: "host", PROFILE: "" });
    expect(run.all("kubernetes:core/v1:Namespace").map((n) => n.inputs.metadata.name)).not.toContain("demo-site-load");
  });

  test("installs Istio, labelled as the study's, where there is none or the study's own", async () => {
    for (const found of ["none", "study helm"]) {
      const run = await withFakeIstio(found, () => runStudy({ kubeContext: "kind-lab" }));
      expect(run.all("kubernetes:helm.sh/v3:Release").map((r) => r.inputs.name).sort()).toEqual(["istio-base", "istiod"]);
      expect(run.one("kubernetes:core/v1:Namespace", "istio-namespace").inputs.metadata.labels).toEqual({
        "istio-exit-study/installed-by": "istio-exit-study",
        "istio-exit-study/installer": "helm",
      });
    }
  });

  test("uses someone else's Istio of the configured version as it is, and never manages it", async () => {
    const run = await withFakeIstio("other docker.io/istio/pilot:1.31.1", () => runStudy({ kubeContext: "kind-lab", injection: "true" }));
    expect(run.resources.filter((r) => r.name.startsWith("istio"))).toEqual([]);
    expect(run.outputs.istioVersion).toBe("1.31.1 (found installed)");
    expect(run.one("kubernetes:core/v1:Namespace", "demo-site-namespace").inputs.metadata.labels).toEqual({ "istio-injection": "enabled" });
  });

  test("stops before creating anything when someone else's Istio is of another version", async () => {
    const registered: string[] = [];
    await expect(
      withFakeIstio("other docker.io/istio/pilot:1.30.2", () =>
        runStudy({ kubeContext: "kind-lab" }, { state: (r) => (registered.push(r.name), undefined) }),
      ),
    ).rejects.toThrow("context kind-lab already runs Istio 1.30.2, not installed by this study, and config istioVersion is 1.31.1");
    expect(registered).toEqual([]);
  });

  test("reuses someone else's ambient Istio for ambient cases, and refuses one without ztunnel", async () => {
    const ambient = await withFakeIstio("other docker.io/istio/pilot:1.31.1 ambient", () =>
      runStudy({ kubeContext: "kind-lab", cases: "ambient-hook" }),
    );
    expect(ambient.all("kubernetes:helm.sh/v3:Release")).toEqual([]);
    await expect(
      withFakeIstio("other docker.io/istio/pilot:1.31.1", () => runStudy({ kubeContext: "kind-lab", cases: "ambient-hook" })),
    ).rejects.toThrow("without ztunnel");
  });

  test("does not look for Istio when no case needs it", async () => {
    const run = await withFakeIstio("other docker.io/istio/pilot:1.2.3", () => runStudy({ kubeContext: "kind-lab", mesh: "none" }));
    expect(run.outputs.istioVersion).toBe("none");
  });

  test("minikube is the default, and loads from the host", async () => {
    const run = await runStudy();
    expect(run.one("command:local:Command", "rollout-test").inputs.environment).toMatchObject({ LOAD_FROM: "host", PROFILE: "istio-exit-study-dev" });
    expect(run.one("pulumi:providers:kubernetes").inputs.context).toBeUndefined();
  });
});
