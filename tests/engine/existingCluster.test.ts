// The lab on a cluster it does not own (kubeContext), under the real engine: no minikube is called,
// Istio already there is found with real kubectl, and destroy removes only what the lab made.
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { configure, describeWithToolchain, kubectlJson, Lab, newStack, ok, outputs, probeToolchain, pulumi, removeLab, run, stateNames } from "./engine";

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
    await ok(lab, "istioctl", ["install", "--context", context, "--set", "profile=default"]);
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
