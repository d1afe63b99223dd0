// Istio's own control plane on a real node (engine/node/node.sh): istiod, built from Istio's module,
// runs as a pod, installed by the lab's Helm releases of Istio's real charts and then by the real
// istioctl; it patches its own webhooks, and every demo-site pod of the standard cases is created
// through its injection webhook. The proxy's image, Envoy, cannot be had here, so an injected pod
// cannot start: each such case fails its measurement within a bound, naming pod, container and image,
// and the scenario reads the pods the webhook produced, each against what the lab says its setting
// does (docs/istio-shutdown.md). Ambient mode needs ztunnel (Rust), whose DaemonSet Helm waits for:
// it cannot be installed here.
import * as fs from "fs";
import * as path from "path";
import { standardCases } from "../../config/cases";
import { readStudyConfig } from "../../config/study";
import { terminationGracePeriodSeconds } from "../../lib/manifest";
import type { StudyCase } from "../../lib/settings";
import { configure, describeWithToolchain, fastConfig, kubectlJson, kwokParts, Lab, newStack, ok, outputs, probeToolchain, run, tearDown } from "./engine";
import { injectedPod, InjectedPod } from "./injectedPods";

const toolchain = probeToolchain();
const profile = "engine-istio";
const preStopSeconds = 5;
// Long enough that a case sitting out the rollout's wait would show in the whole run's time.
const rolloutTimeoutSeconds = 600;
const hub = "localhost/istio-exit-study/istio";
const caseNames = standardCases(preStopSeconds)
  .map((c) => c.name)
  .filter((name) => name !== "ambient-hook");

describeWithToolchain(toolchain, [...kwokParts, "node", "node-images"])("Istio's control plane on a real node", () => {
  let lab: Lab | undefined;
  const version = toolchain.env.ENGINE_ISTIO_VERSION ?? "";
  const proxyImage = `${hub}/proxyv2:${version}`;
  afterAll(() => tearDown(lab, profile));

  /** The lab's own reading of the stack's config: each case's settings as they reach its pod. */
  function studyCases(config: Record<string, string | number | boolean>): Map<string, StudyCase> {
    const study = readStudyConfig((key) => (key in config ? String(config[key]) : undefined), lab!.dir, "lab");
    return new Map(study.cases.map((c) => [c.name, c]));
  }

  async function podsOf(namespace: string): Promise<InjectedPod[]> {
    const pods = await kubectlJson(lab!, profile, "--namespace", namespace, "get", "pods", "--selector", "app=demo-site");
    return pods.items.filter((p: any) => !p.metadata.deletionTimestamp).map(injectedPod);
  }

  /** The failure each case's test reported (lib/judgement.ts's verdict lines), by case. */
  function failures(output: string): Map<string, string> {
    return new Map([...output.matchAll(/measurement failed: ([\w-]+): (.*)$/gm)].map((m) => [m[1], m[2]]));
  }

  test("by Helm: istiod runs, patches its webhooks and injects each case's pods as the lab says each setting does", async () => {
    const config = {
      ...fastConfig({ env: toolchain.env } as Lab, profile),
      manifest: toolchain.env.ENGINE_DEMO_MANIFEST ?? "",
      cases: caseNames.join(","),
      replicas: 1,
      preStopSeconds,
      rolloutTimeoutSeconds,
      cpus: 8,
      memoryMiB: 16384,
    };
    lab = await newStack("istio", config);
    lab.env.ENGINE_NODE = "real";
    const started = Date.now();
    const up = await run(lab, "pulumi", ["up", "--yes", "--skip-preview", "--non-interactive"], { timeoutMs: 25 * 60 * 1000 });
    const upSeconds = (Date.now() - started) / 1000;
    const output = up.stdout + up.stderr;
    console.log(`real node, Istio by Helm: pulumi up exited ${up.code} in ${upSeconds.toFixed(0)} s; its end:\n${output.slice(-3000)}`);

    // istiod from our image runs, ready, and has put its CA into the webhooks Helm left without one.
    const istiod = (await kubectlJson(lab, profile, "--namespace", "istio-system", "get", "pods", "--selector", "app=istiod")).items;
    expect(istiod.map((p: any) => [p.spec.containers[0].image, p.status.phase, p.status.containerStatuses[0].ready])).toEqual([
      [`${hub}/pilot:${version}`, "Running", true],
    ]);
    const injector = await kubectlJson(lab, profile, "get", "mutatingwebhookconfiguration", "istio-sidecar-injector");
    expect(injector.webhooks.every((w: any) => (w.clientConfig.caBundle ?? "").length > 0)).toBe(true);

    // The no-mesh cases are measured; every sidecar case fails, its proxy's image missing, long before
    // the rollout's own wait would have ended.
    const failed = failures(output);
    expect(up.code).not.toBe(0);
    expect([...failed.keys()].sort()).toEqual(caseNames.filter((name) => !name.startsWith("nomesh")).sort());
    expect(upSeconds).toBeLessThan(rolloutTimeoutSeconds);
    const settings = studyCases(config);
    for (const name of caseNames) {
      const studyCase = settings.get(name)!;
      const pods = await podsOf(studyCase.namespace);
      expect([name, pods.length]).toEqual([name, 1]);
      const [pod] = pods;
      // The grace period the lab computed reached the pod, and the app's preStop sleep with it.
      expect([name, pod.gracePeriodSeconds]).toEqual([name, terminationGracePeriodSeconds(studyCase)]);
      expect([name, pod.app.lifecycle?.preStop?.sleep?.seconds]).toEqual([name, studyCase.variant === "hook" ? preStopSeconds : undefined]);
      if (!studyCase.injection) {
        expect([name, pod.sidecar, pod.status, pod.init]).toEqual([name, "none", undefined, undefined]);
        continue;
      }
      // Injected, in the mode the lab pinned, by the webhook (its status), with Istio's image.
      expect([name, pod.sidecar, pod.proxy?.image, pod.init?.image]).toEqual([name, studyCase.sidecarMode, proxyImage, proxyImage]);
      const recorded = studyCase.sidecarMode === "native" ? pod.status?.initContainers : pod.status?.containers;
      expect([name, recorded]).toEqual([name, expect.arrayContaining(["istio-proxy"])]);
      // The first container Istio's injector put there (istio-init) cannot start, said with its pod and image.
      const reason = failed.get(name) ?? "";
      expect([name, ["init container istio-init", "of pod demo-site-", `image ${proxyImage}`, "ErrImageNeverPull"].filter((words) => !reason.includes(words))]).toEqual([name, []]);
      // Not the node's own quirk (it has no cluster DNS) for the story of a missing image.
      expect([name, reason]).toEqual([name, expect.not.stringContaining("MissingClusterDNS")]);
    }

    const pod = async (name: string) => (await podsOf(settings.get(name)!.namespace))[0];
    // A longer drain: the agent's ProxyConfig, from the pod's proxy.istio.io/config.
    expect((await pod("drain-hook")).proxyConfig?.terminationDrainDuration).toBe(`${settings.get("drain-hook")!.proxyDrainSeconds}s`);
    expect((await pod("sidecar-hook")).proxyConfig?.terminationDrainDuration).toBeUndefined();
    // Exit on zero connections: proxyMetadata as the agent's environment.
    expect((await pod("exit-on-zero-hook")).proxyEnv).toMatchObject({ EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "true", MINIMUM_DRAIN_DURATION: "5s" });
    expect((await pod("sidecar-hook")).proxyEnv.EXIT_ON_ZERO_ACTIVE_CONNECTIONS).toBeUndefined();
    // A preStop on the proxy: the lab's istio-proxy merged into the injected one, with Istio's image.
    const merged = await pod("proxy-prestop-hook");
    expect([merged.sidecar, merged.proxy?.image, merged.proxy?.lifecycle?.preStop]).toEqual([
      "classic",
      proxyImage,
      { sleep: { seconds: settings.get("proxy-prestop-hook")!.proxyPreStopSeconds } },
    ]);
    expect((await pod("sidecar-hook")).proxy?.lifecycle?.preStop).toBeUndefined();
    // A native sidecar: an init container that always restarts, with Istio's own drain as its preStop.
    const native = await pod("native-hook");
    expect([native.proxy?.restartPolicy, native.proxy?.lifecycle?.preStop?.exec?.command]).toEqual([
      "Always",
      expect.arrayContaining(["pilot-agent", "request", "POST", "drain"]),
    ]);
    // Classic stays classic on this Kubernetes 1.35 node only because the lab says so: the same pod
    // without the lab's nativeSidecar annotation is made native by Istio's default (auto).
    const namespace = settings.get("sidecar-hook")!.namespace;
    const [template] = (await kubectlJson(lab, profile, "--namespace", namespace, "get", "pods", "--selector", "app=demo-site")).items;
    delete template.metadata.annotations["sidecar.istio.io/nativeSidecar"];
    const unpinned = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "unpinned", namespace, annotations: { "sidecar.istio.io/inject": "true" } },
      spec: { containers: template.spec.containers.filter((c: any) => !c.name.startsWith("istio-")).map(({ name, image }: any) => ({ name, image })) },
    };
    const unpinnedFile = path.join(lab.dir, "unpinned.json");
    fs.writeFileSync(unpinnedFile, JSON.stringify(unpinned));
    const created = JSON.parse(await ok(lab, "kubectl", ["--context", profile, "create", "--dry-run=server", "-o", "json", "-f", unpinnedFile]));
    expect(injectedPod(created).sidecar).toBe("native");

    // The lab's own reading of each pod's sidecar (sidecar.istio.io/status), in its results.
    const results = (await outputs(lab)).results ?? [];
    console.log(`real node, Istio by Helm, in ${upSeconds.toFixed(0)} s:\n${JSON.stringify(results.map((r: any) => [r.case, r.status, r.sidecar, r.reason]), null, 2)}`);
    expect(results.map((r: any) => [r.case, r.sidecar])).toEqual(caseNames.map((name) => [name, settings.get(name)!.injection ? settings.get(name)!.sidecarMode : "none"]));
  });

  test("by istioctl: the lab switches installer, and the real istioctl's istiod injects the cases again", async () => {
    await configure(lab!, { istioInstaller: "istioctl", cases: "sidecar-hook,native-hook" });
    const up = await run(lab!, "pulumi", ["up", "--yes", "--skip-preview", "--non-interactive"], { timeoutMs: 20 * 60 * 1000 });
    const output = up.stdout + up.stderr;
    console.log(`real node, Istio by istioctl: pulumi up exited ${up.code}; its end:\n${output.slice(-3000)}`);
    expect([...failures(output).keys()].sort()).toEqual(["native-hook", "sidecar-hook"]);
    // No Helm release is left; istiod is istioctl's, ready.
    expect((await kubectlJson(lab!, profile, "--namespace", "istio-system", "get", "secrets", "--selector", "owner=helm")).items).toEqual([]);
    const istiod = (await kubectlJson(lab!, profile, "--namespace", "istio-system", "get", "pods", "--selector", "app=istiod")).items;
    expect(istiod.map((p: any) => [p.metadata.labels["install.operator.istio.io/owning-resource"] ?? "", p.status.containerStatuses[0].ready])).toEqual([
      [expect.any(String), true],
    ]);
    const sites = studyCases({ ...fastConfig({ env: toolchain.env } as Lab, profile), manifest: toolchain.env.ENGINE_DEMO_MANIFEST ?? "", cases: "sidecar-hook,native-hook", preStopSeconds });
    expect((await podsOf(sites.get("sidecar-hook")!.namespace)).map((p) => p.sidecar)).toEqual(["classic"]);
    expect((await podsOf(sites.get("native-hook")!.namespace)).map((p) => p.sidecar)).toEqual(["native"]);
  });
});
