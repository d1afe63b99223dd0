// The lab on a cluster it does not own (kubeContext), under the real engine: no minikube is called,
// Istio already there is found with real kubectl, and destroy removes only what the lab made.
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { configure, describeWithToolchain, fastConfig, kubectlJson, Lab, newLab, newStack, ok, outputs, probeToolchain, pulumi, removeLab, run, stateNames } from "./engine";

const toolchain = probeToolchain();
const context = "engine-existing";
// The demo site's NodePort, fixed by the lab's own manifest key, where this test serves the page:
// kwok runs no pod and no kube-proxy, so the host load reaches this server on the node's 127.0.0.1.
const nodePort = 31080;

describeWithToolchain(toolchain)("an existing cluster (kubeContext) under the real engine", () => {
  let lab: Lab;
  let server: http.Server;
  let minikubeCalls: string;

  beforeAll(async () => {
    lab = await newStack("existing");
    // Someone else's cluster: made here by the minikube stand-in, before the lab knows of it.
    await ok(lab, "minikube", ["start", "--profile", context, "--kubernetes-version", "v1.35.1", "--cpus", "4", "--memory", "8192mb"]);
    // From here on, any minikube call is recorded and fails.
    const shims = path.join(lab.dir, "shims");
    minikubeCalls = path.join(lab.dir, "minikube.calls");
    fs.mkdirSync(shims);
    fs.writeFileSync(path.join(shims, "minikube"), `#!/bin/sh\necho "$*" >>'${minikubeCalls}'\nexit 1\n`, { mode: 0o755 });
    lab.env.PATH = `${shims}:${lab.env.PATH}`;

    const manifest = fs.readFileSync(path.join(lab.dir, "manifests/demo-site.yaml"), "utf8").replace(
      "      targetPort: http",
      `      targetPort: http\n      nodePort: ${nodePort}`,
    );
    fs.writeFileSync(path.join(lab.dir, "manifests/fixed-port.yaml"), manifest);
    await configure(lab, { kubeContext: context, loadFrom: "host", manifest: "manifests/fixed-port.yaml" });
    server = http.createServer((_request, response) => response.end("<html>nginx</html>\n"));
    await new Promise<void>((resolve) => server.listen(nodePort, "127.0.0.1", resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    if (!lab) return;
    const destroyed = await run(lab, "pulumi", ["destroy", "--yes", "--non-interactive", "--skip-preview"]);
    lab.env.PATH = lab.env.PATH!.split(":").filter((dir) => !dir.startsWith(lab.dir)).join(":");
    const deleted = await run(lab, "minikube", ["delete", "--profile", context]);
    removeLab(lab, destroyed.code === 0 && deleted.code === 0);
  });

  test("Istio of the same version, not the lab's, is found with kubectl and used as it is", async () => {
    // The real istioctl asks before it installs, on a terminal or not.
    await ok(lab, "istioctl", ["install", "--context", context, "--set", "profile=default", "--skip-confirmation"]);
    await pulumi(lab, "up", "--yes", "--skip-preview");
    const out = await outputs(lab);
    expect(out.istioVersion).toBe(`${toolchain.env.ENGINE_ISTIO_VERSION} (found installed)`);
    expect(out.kubeContext).toBe(context);
    expect(out.transactions).toBeGreaterThan(0);
    expect((await stateNames(lab)).filter((n) => n.startsWith("istio-") && n !== "istio-exit-study-lab")).toEqual([]);
    expect(fs.existsSync(minikubeCalls)).toBe(false);
  });

  test("pulumi destroy removes what the lab made and leaves the cluster and its Istio", async () => {
    await pulumi(lab, "destroy", "--yes", "--skip-preview");
    const namespaces = (await kubectlJson(lab, context, "get", "namespaces")).items.map((n: any) => n.metadata.name);
    expect(namespaces).toContain("istio-system");
    expect(namespaces).not.toContain("demo-site");
    expect((await kubectlJson(lab, context, "--namespace", "istio-system", "get", "deployment", "istiod")).metadata.name).toBe("istiod");
    expect(fs.existsSync(minikubeCalls)).toBe(false);
  });

  test("Istio of another version stops the lab before it creates anything", async () => {
    await configure(lab, { istioVersion: "1.30.2" });
    const up = await run(lab, "pulumi", ["up", "--yes", "--skip-preview", "--non-interactive"]);
    expect(up.code).not.toBe(0);
    expect(up.stdout + up.stderr).toContain(
      `context ${context} already runs Istio ${toolchain.env.ENGINE_ISTIO_VERSION}, not installed by this study, and config istioVersion is 1.30.2`,
    );
    // Nothing but the stack itself, which the program registers before it reads its config.
    expect((await stateNames(lab)).filter((name) => name !== "istio-exit-study-lab")).toEqual([]);
  });
});

/**
 * Two stacks of the lab on one cluster of the user's, each with istioInstaller=istioctl: the lab
 * installs Istio only where none is, removes only the objects its own installation made, and never
 * runs a cluster-wide purge. A context made anew for another cluster: a destroy deletes nothing
 * there, with istioctl or Helm, and forgets nothing.
 */
describeWithToolchain(toolchain)("two stacks on one existing cluster, Istio by istioctl, under the real engine", () => {
  const shared = "engine-shared-existing";
  const elsewhere = "engine-elsewhere";
  const version = toolchain.env.ENGINE_ISTIO_VERSION ?? "";
  let lab: Lab;
  const servers: http.Server[] = [];
  const select = (stack: string) => pulumi(lab, "stack", "select", stack);
  const istiod = (context: string, namespace = "istio-system") => kubectlJson(lab, context, "--namespace", namespace, "get", "deployment", "istiod");
  /** istiod's uid in `context`, or "gone". */
  const istiodUid = async (context: string) => {
    const found = await run(lab, "kubectl", ["--context", context, "--namespace", "istio-system", "get", "deployment", "istiod", "-o", "jsonpath={.metadata.uid}"]);
    return found.code === 0 && found.stdout ? found.stdout : "gone";
  };
  const refused = (result: { code: number; stdout: string; stderr: string }, context: string) =>
    result.code !== 0 && (result.stdout + result.stderr).includes(`refusing to go on through context ${context}: it now reaches another cluster`);
  const istioNamespaces = async (context: string) =>
    (await kubectlJson(lab, context, "get", "namespaces")).items.map((n: any) => n.metadata.name).filter((n: string) => n === "istio-system");
  /** The selected stack's `verb`, with `context` made anew to point at `other` (kwokctl names its entries kwok-<name>). */
  const throughRepointedContext = async (verb: "up" | "destroy", context: string, other: string) => {
    await ok(lab, "kubectl", ["config", "set-context", context, `--cluster=kwok-${other}`, `--user=kwok-${other}`]);
    try {
      return await run(lab, "pulumi", [verb, "--yes", "--skip-preview", "--non-interactive"]);
    } finally {
      await ok(lab, "kubectl", ["config", "set-context", context, `--cluster=kwok-${context}`, `--user=kwok-${context}`]);
    }
  };

  beforeAll(async () => {
    lab = newLab("existing-istioctl");
    // Someone else's clusters, made by the minikube stand-in before the lab knows of them.
    for (const cluster of [shared, elsewhere]) {
      await ok(lab, "minikube", ["start", "--profile", cluster, "--kubernetes-version", "v1.35.1", "--cpus", "4", "--memory", "8192mb"]);
    }
    const demo = fs.readFileSync(path.join(lab.dir, "manifests/demo-site.yaml"), "utf8");
    for (const [stack, port] of [["first", 31081], ["second", 31082], ["helm", 31083]] as const) {
      fs.writeFileSync(path.join(lab.dir, `manifests/${stack}.yaml`), demo.replace("      targetPort: http", `      targetPort: http\n      nodePort: ${port}`));
      await pulumi(lab, "stack", "init", stack);
      await configure(lab, {
        ...fastConfig(lab, "unused"),
        kubeContext: stack === "helm" ? "engine-helm-existing" : shared,
        istioInstaller: stack === "helm" ? "helm" : "istioctl",
        loadFrom: "host",
        manifest: `manifests/${stack}.yaml`,
        namespace: `${stack}-site`,
      });
      const server = http.createServer((_request, response) => response.end("<html>nginx</html>\n"));
      await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
      servers.push(server);
    }
  });

  afterAll(async () => {
    for (const server of servers) await new Promise((resolve) => server.close(resolve));
    if (!lab) return;
    const runs = [];
    for (const stack of ["helm", "second", "first"]) {
      await run(lab, "pulumi", ["stack", "select", stack, "--non-interactive"]);
      runs.push(await run(lab, "pulumi", ["destroy", "--yes", "--non-interactive", "--skip-preview"]));
    }
    for (const cluster of [shared, elsewhere, "engine-helm-existing"]) runs.push(await run(lab, "minikube", ["delete", "--profile", cluster]));
    removeLab(lab, runs.every((r) => r.code === 0));
  });

  test("the second stack uses the first's Istio as it is, and its destroy leaves it", async () => {
    await select("first");
    await pulumi(lab, "up", "--yes", "--skip-preview");
    expect((await outputs(lab)).istioVersion).toBe(version);
    const installed = (await istiod(shared)).metadata.uid;

    await select("second");
    await pulumi(lab, "up", "--yes", "--skip-preview");
    const second = await outputs(lab);
    await pulumi(lab, "destroy", "--yes", "--skip-preview");
    expect((await istiod(shared)).metadata.uid).toBe(installed);
    await kubectlJson(lab, shared, "get", "mutatingwebhookconfiguration", "istio-sidecar-injector");
    expect(second.istioVersion).toBe(`${version} (found installed)`);
    expect((await stateNames(lab)).filter((name) => name.startsWith("istio-") && !name.startsWith("istio-exit-study-"))).toEqual([]);

    await select("first");
    await pulumi(lab, "preview", "--expect-no-changes");
  });

  test("a second stack of another istioVersion is refused before it creates anything, naming the first", async () => {
    await select("second");
    await configure(lab, { istioVersion: "1.30.2" });
    const up = await run(lab, "pulumi", ["up", "--yes", "--skip-preview", "--non-interactive"]);
    await configure(lab, { istioVersion: version });
    expect(up.code).not.toBe(0);
    expect(up.stdout + up.stderr).toContain(
      `context ${shared} already runs Istio ${version}, installed by this lab's stack organization/istio-exit-study/first (which alone removes it, with its pulumi destroy), and config istioVersion is 1.30.2`,
    );
    expect((await stateNames(lab)).filter((name) => name !== "istio-exit-study-second")).toEqual([]);
  });

  test("with its context pointed at another cluster, the first's destroy is refused and leaves that cluster's Istio; pointed back, it removes its own", async () => {
    // The other cluster's own Istio, which its user installed with istioctl.
    await ok(lab, "istioctl", ["install", "--context", elsewhere, "--set", "profile=minimal", "--skip-confirmation"]);
    const theirs = await istiodUid(elsewhere);
    await select("first");
    const destroy = await throughRepointedContext("destroy", shared, elsewhere);
    const outcome = { theirs: await istiodUid(elsewhere), refused: refused(destroy, shared) };
    // Nothing forgotten: from the cluster it was made in, the same destroy removes the lab's Istio.
    await pulumi(lab, "destroy", "--yes", "--skip-preview");
    expect({ ...outcome, ownLeft: await istioNamespaces(shared) }).toEqual({ theirs, refused: true, ownLeft: [] });
  });

  test("Istio by Helm: with its context pointed at another cluster, an up and a destroy are refused and delete nothing there, the same names included", async () => {
    const own = "engine-helm-existing";
    await ok(lab, "minikube", ["start", "--profile", own, "--kubernetes-version", "v1.35.1", "--cpus", "4", "--memory", "8192mb"]);
    if ((await istioNamespaces(elsewhere)).length === 0) {
      await ok(lab, "istioctl", ["install", "--context", elsewhere, "--set", "profile=minimal", "--skip-confirmation"]);
    }
    const theirs = await istiodUid(elsewhere);
    await select("helm");
    await pulumi(lab, "up", "--yes", "--skip-preview");
    expect((await kubectlJson(lab, own, "--namespace", "istio-system", "get", "secrets", "--selector", "owner=helm")).items.length).toBeGreaterThan(0);

    // Through the re-pointed context the lab's releases and istio-system name what an Istio installed
    // there by Helm's own names would hold. Theirs here is istioctl's: before the record, the destroy
    // failed only on Helm's "release: not found", and the up measured the other cluster.
    const outcomes = [];
    for (const verb of ["up", "destroy"] as const) {
      const result = await throughRepointedContext(verb, own, elsewhere);
      outcomes.push({ verb, theirs: await istiodUid(elsewhere), refused: refused(result, own) });
    }
    expect(outcomes).toEqual([
      { verb: "up", theirs, refused: true },
      { verb: "destroy", theirs, refused: true },
    ]);
    // Forgotten, none of it: the refused destroy may have dropped only the measurement's records,
    // which reach no cluster.
    expect(await stateNames(lab)).toEqual(
      expect.arrayContaining(["istio-namespace", "istio-base", "istio-istiod", "demo-site-namespace", "demo-site-deployment", "demo-site-service", "cluster-identity-check"]),
    );
    await pulumi(lab, "destroy", "--yes", "--skip-preview");
    expect(await istioNamespaces(own)).toEqual([]);
    expect(await istiodUid(elsewhere)).toBe(theirs);
  });

  test("an Istio outside istio-system is found and used as it is; destroy leaves it", async () => {
    // A cluster without the lab's Istio, whatever the tests before left in it.
    await ok(lab, "minikube", ["delete", "--profile", shared]);
    await ok(lab, "minikube", ["start", "--profile", shared, "--kubernetes-version", "v1.35.1", "--cpus", "4", "--memory", "8192mb"]);
    const iop = path.join(lab.dir, "user-mesh.yaml");
    fs.writeFileSync(iop, "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nmetadata:\n  namespace: user-mesh\n");
    await ok(lab, "istioctl", ["install", "--context", shared, "-f", iop, "--set", "profile=minimal", "--set", "values.global.istioNamespace=user-mesh", "--skip-confirmation"]);
    const theirs = (await istiod(shared, "user-mesh")).metadata.uid;

    await select("first");
    await pulumi(lab, "up", "--yes", "--skip-preview");
    const first = await outputs(lab);
    await pulumi(lab, "destroy", "--yes", "--skip-preview");
    expect((await istiod(shared, "user-mesh")).metadata.uid).toBe(theirs);
    // Named after its namespace, as Istio's charts name a webhook outside istio-system.
    await kubectlJson(lab, shared, "get", "mutatingwebhookconfiguration", "istio-sidecar-injector-user-mesh");
    expect(first.istioVersion).toBe(`${version} (found installed)`);
    const namespaces = (await kubectlJson(lab, shared, "get", "namespaces")).items.map((n: any) => n.metadata.name);
    expect(namespaces).not.toContain("istio-system");
  });
});
