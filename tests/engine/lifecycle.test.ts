// The lab's life under the real engine, on the local control plane: preview, up, a no-op, Istio's
// webhooks kept on this machine, a flip of the variant, a matrix, and a destroy that leaves nothing
// behind. One stack, in order: each step starts from what the last one left.
import * as fs from "fs";
import * as path from "path";
import { configure, describeWithToolchain, kubectlJson, Lab, newStack, ok, outputs, probeToolchain, pulumi, run, stateNames, tearDown } from "./engine";
import { leftovers, opOf, previewSteps, settledLeftovers, StudyResources } from "./observe";

const toolchain = probeToolchain();
const profile = "engine-lifecycle";

describeWithToolchain(toolchain)("the lab's lifecycle on the real engine", () => {
  let lab: Lab;
  const study = new StudyResources();

  beforeAll(async () => {
    lab = await newStack("lifecycle");
  });

  afterAll(() => tearDown(lab, profile));

  afterEach(() => {
    const state = expect.getState();
    if (state.assertionCalls !== state.numPassingAsserts) console.log(lab.log.slice(-4).join("\n"));
  });

  test("a preview of the new stack plans the cluster, Istio, the workload and the test", async () => {
    const steps = await previewSteps(lab);
    for (const name of study.planned) {
      expect([name, opOf(steps, name)]).toEqual([name, "create"]);
    }
    expect(await run(lab, "minikube", ["version"])).toMatchObject({ code: 0 });
    expect(await run(lab, "kubectl", ["config", "get-contexts", profile])).toMatchObject({ code: 1 });
  });

  test("pulumi up creates the lab in the API server and measures a real rolling restart", async () => {
    await pulumi(lab, "up", "--yes", "--skip-preview");
    const namespace = await kubectlJson(lab, profile, "get", "namespace", "demo-site");
    expect(namespace.metadata.labels["istio-injection"]).toBeUndefined();
    const deployment = await kubectlJson(lab, profile, "--namespace", "demo-site", "get", "deployment", "demo-site");
    const pod = deployment.spec.template.spec;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(1);
    expect(pod.containers[0].lifecycle.preStop.sleep.seconds).toBe(1);
    expect(deployment.spec.template.metadata.annotations["sidecar.istio.io/nativeSidecar"]).toBe("false");
    // The test's `kubectl rollout restart` stamped the template; the controller manager rolled it out.
    expect(deployment.spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]).toBeDefined();
    expect(deployment.status.updatedReplicas).toBe(2);
    const replicaSets = await kubectlJson(lab, profile, "--namespace", "demo-site", "get", "replicasets");
    expect(replicaSets.items).toHaveLength(2);
    const service = await kubectlJson(lab, profile, "--namespace", "demo-site", "get", "service", "demo-site");
    expect(service.spec.type).toBe("NodePort");
    const releases = await kubectlJson(lab, profile, "--namespace", "istio-system", "get", "secrets", "--selector", "owner=helm");
    expect(releases.items.map((s: any) => s.metadata.labels.name).sort()).toEqual(["istio-base", "istiod"]);

    // The kubeconfig, with its client key, is in the state only encrypted.
    const state = await pulumi(lab, "stack", "export");
    const kubeconfig = JSON.parse(state).deployment.resources.find((r: any) => r.urn.endsWith("::cluster-kubeconfig"));
    expect(Object.keys(kubeconfig.outputs.stdout)).toContain("ciphertext");
    expect(state).not.toContain("client-key-data");

    const out = await outputs(lab);
    expect(out).toMatchObject({ kubeContext: profile, mesh: "sidecar", injection: false, sidecar: "none" });
    expect(out.transactions).toBeGreaterThan(0);
    expect(out.availability).toBe(100);
    expect(out.rolloutSeconds).toBeGreaterThan(0);
    // kwok takes 3 s to remove a deleted pod: the load ran until the last one was gone.
    expect(out.oldPodsGoneSeconds).toBeGreaterThanOrEqual(3);
    expect(out.oldPodsGoneSeconds).toBeGreaterThan(out.rolloutSeconds);
    expect(out.summary).toContain("% available");
    expect(out.report).toBeDefined();
  });

  test("pulumi up with nothing changed changes nothing, outputs and report included", async () => {
    const reports = fs.readdirSync(path.join(lab.dir, "reports/lab"));
    const before = await outputs(lab);
    await pulumi(lab, "preview", "--expect-no-changes");
    await pulumi(lab, "up", "--yes", "--expect-no-changes");
    expect(await outputs(lab)).toEqual(before);
    expect(fs.readdirSync(path.join(lab.dir, "reports/lab"))).toEqual(reports);
  });

  test("Istio's real webhooks serve no kwok pod: the API server's call fails at its guard on this machine", async () => {
    // kwok's pods run nothing, istiod's neither: a pod the injector must see cannot be created, and
    // the API server's call to the webhook goes to the cluster's egress proxy, a unix socket that
    // never exists (engine/standins/minikube), never to an address off this machine.
    const webhooks = await kubectlJson(lab, profile, "get", "mutatingwebhookconfigurations", "istio-sidecar-injector");
    expect(webhooks.webhooks.map((w: any) => w.clientConfig.service?.name)).toContain("istiod");
    await ok(lab, "kubectl", ["--context", profile, "create", "namespace", "injected"]);
    await ok(lab, "kubectl", ["--context", profile, "label", "namespace", "injected", "istio-injection=enabled"]);
    const refused = await run(lab, "kubectl", ["--context", profile, "--namespace", "injected", "run", "pod", "--image", "none", "--restart", "Never"]);
    await ok(lab, "kubectl", ["--context", profile, "delete", "namespace", "injected", "--wait=false"]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/failed calling webhook "[^"]*sidecar-injector\.istio\.io".*no-egress\.sock/s);
  });

  test("flipping the variant leaves the cluster and Istio alone, rolls the pods and measures again", async () => {
    await configure(lab, { variant: "nohook" });
    const steps = await previewSteps(lab);
    // A preview lists the resources it would change; the unchanged ones it leaves out.
    for (const name of study.clusterAndIstio) expect([name, opOf(steps, name)]).toEqual([name, "same"]);
    const before = (await outputs(lab)).transactions;
    const replicaSetsBefore = (await kubectlJson(lab, profile, "--namespace", "demo-site", "get", "replicasets")).items.length;
    await pulumi(lab, "up", "--yes", "--skip-preview");
    const deployment = await kubectlJson(lab, profile, "--namespace", "demo-site", "get", "deployment", "demo-site");
    expect(deployment.spec.template.spec.containers[0].lifecycle?.preStop).toBeUndefined();
    const replicaSets = await kubectlJson(lab, profile, "--namespace", "demo-site", "get", "replicasets");
    // One from the flip, one from the measurement's restart.
    expect(replicaSets.items.length).toBe(replicaSetsBefore + 2);
    const out = await outputs(lab);
    expect(out.variant).toBe("nohook");
    expect(out.transactions).not.toBe(before);
  });

  test("a matrix measures each case in its own namespace, the tests one after another", async () => {
    // Cases kwok can run: Istio installed for a case without injection, and none for the other.
    await configure(lab, { cases: "[{name: mesh-hook, variant: hook}, nomesh-nohook]", repeats: 2 });
    await pulumi(lab, "up", "--yes", "--skip-preview");
    const namespaces = await kubectlJson(lab, profile, "get", "namespaces");
    const names = namespaces.items.map((n: any) => n.metadata.name);
    expect(names).toEqual(expect.arrayContaining(["demo-site-mesh-hook", "demo-site-nomesh-nohook"]));
    const out = await outputs(lab);
    expect(out.results.map((r: any) => [r.case, r.runs])).toEqual([
      ["mesh-hook", 2],
      ["nomesh-nohook", 2],
    ]);
    // Each test's restart is stamped on its Deployment: the repeats go round the cases.
    const restartedAt = async (ns: string) =>
      (await kubectlJson(lab, profile, "--namespace", ns, "get", "replicasets")).items
        .map((rs: any) => rs.spec.template.metadata.annotations?.["kubectl.kubernetes.io/restartedAt"])
        .filter(Boolean)
        .sort();
    const first = await restartedAt("demo-site-mesh-hook");
    const second = await restartedAt("demo-site-nomesh-nohook");
    expect(first.length).toBe(2);
    expect(second.length).toBe(2);
    expect([first[0] <= second[0], second[0] <= first[1], first[1] <= second[1]]).toEqual([true, true, true]);
  });

  test("after pulumi destroy nothing of the lab is left", async () => {
    // What the check below looks for is there before.
    const before = await leftovers(lab);
    expect(before.clusters).toEqual([profile]);
    expect(before.processes.some((p) => p.includes("kube-apiserver"))).toBe(true);
    await pulumi(lab, "destroy", "--yes", "--skip-preview");
    expect(await stateNames(lab)).toEqual([]);
    expect(await settledLeftovers(lab)).toEqual({ clusters: [], processes: [] });
    await ok(lab, "pulumi", ["stack", "rm", "--yes", "--non-interactive"]);
  });
});
