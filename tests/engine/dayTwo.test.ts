// Day two of the lab under the real engine: what a user meets after the first `pulumi up`. A cluster
// of another size, a cluster stopped or deleted by hand, Ctrl-C in the middle of a measurement.
// Each scenario has a stack and a cluster of its own.
import { spawn } from "child_process";
import { configure, describeWithToolchain, kubectlJson, Lab, newStack, outputs, probeToolchain, pulumi, run, stateNames, tearDown } from "./engine";
import { leftovers, settledLeftovers } from "./observe";

const toolchain = probeToolchain();

/** The objects the lab keeps in its cluster, as the API server has them: namespaces, workload, Istio. */
async function labObjects(lab: Lab, context: string) {
  const namespaces = (await kubectlJson(lab, context, "get", "namespaces")).items.map((n: any) => n.metadata.name);
  const deployments = (await kubectlJson(lab, context, "get", "deployments", "--all-namespaces")).items.map(
    (d: any) => `${d.metadata.namespace}/${d.metadata.name}`,
  );
  return { namespaces, deployments };
}

describeWithToolchain(toolchain)("day two under the real engine", () => {
  let lab: Lab | undefined;
  let profile = "";
  afterEach(async () => {
    await tearDown(lab, profile);
    lab = undefined;
  });

  test.each([
    ["helm", "sidecar"],
    ["istioctl", "sidecar"],
  ])("a cluster of another size rebuilds the whole lab on it (Istio by %s)", async (installer) => {
    profile = `engine-rebuild-${installer}`;
    lab = await newStack(`rebuild-${installer}`, { istioInstaller: installer });
    await pulumi(lab, "up", "--yes", "--skip-preview");
    const first = await outputs(lab);

    await configure(lab, { cpus: 3 });
    await pulumi(lab, "up", "--yes", "--skip-preview");
    const node = await kubectlJson(lab, profile, "get", "node", profile);
    expect(node.status.capacity.cpu).toBe("3");
    const objects = await labObjects(lab, profile);
    expect(objects.namespaces).toEqual(expect.arrayContaining(["demo-site", "istio-system"]));
    expect(objects.deployments).toEqual(expect.arrayContaining(["demo-site/demo-site", "istio-system/istiod"]));
    // The measurement ran on the new cluster: its Deployment carries the restart.
    const deployment = await kubectlJson(lab, profile, "--namespace", "demo-site", "get", "deployment", "demo-site");
    expect(deployment.spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]).toBeDefined();
    expect((await outputs(lab)).transactions).not.toBe(first.transactions);
    // And the next run has nothing left to do.
    await pulumi(lab, "preview", "--expect-no-changes");
  });

  test("a refresh while the cluster is stopped keeps the state, and the lab comes back after a start", async () => {
    profile = "engine-refresh";
    lab = await newStack("refresh");
    await pulumi(lab, "up", "--yes", "--skip-preview");
    const names = await stateNames(lab);
    await run(lab, "minikube", ["stop", "--profile", profile]);

    await run(lab, "pulumi", ["refresh", "--yes", "--non-interactive", "--skip-preview"]);
    expect((await stateNames(lab)).sort()).toEqual(names.sort());

    await run(lab, "minikube", ["start", "--profile", profile, "--kubernetes-version", "v1.35.1", "--cpus", "2", "--memory", "4096mb"]);
    await pulumi(lab, "up", "--yes", "--skip-preview");
    expect((await stateNames(lab)).sort()).toEqual(names.sort());
  });

  test.each([
    ["stopped", "stop"],
    ["deleted by hand", "delete"],
  ])("pulumi destroy works when the cluster is %s, and leaves nothing", async (_how, verb) => {
    profile = `engine-destroy-${verb}`;
    lab = await newStack(`destroy-${verb}`);
    await pulumi(lab, "up", "--yes", "--skip-preview");
    await run(lab, "minikube", [verb, "--profile", profile]);

    await pulumi(lab, "destroy", "--yes", "--skip-preview");
    expect(await stateNames(lab)).toEqual([]);
    expect(await settledLeftovers(lab)).toEqual({ clusters: [], processes: [] });
  });

  test("Ctrl-C during a measurement stops pulumi up and leaves no process of the test behind", async () => {
    profile = "engine-interrupt";
    // A long warm-up: the test is surely under way when the interrupt comes.
    lab = await newStack("interrupt", { warmupSeconds: 120 });
    // A process group of its own, so that a pulumi that hangs is ended with all its plugins.
    const up = spawn("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive"], { cwd: lab.dir, env: lab.env, detached: true });
    let output = "";
    up.stdout.on("data", (chunk) => (output += chunk));
    up.stderr.on("data", (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => up.on("exit", (code) => resolve(code)));
    // Wait for siege to be running for this lab.
    const deadline = Date.now() + 180_000;
    while (!(await leftovers(lab)).processes.some((p) => / siege /.test(` ${p} `))) {
      if (Date.now() > deadline) throw new Error(`siege never started:\n${output}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    up.kill("SIGINT");
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"hung">((resolve) => (timer = setTimeout(() => resolve("hung"), 60_000)));
    const code = await Promise.race([exited, timeout]);
    clearTimeout(timer);
    if (code === "hung") process.kill(-up.pid!, "SIGKILL");
    expect([code === "hung" ? "pulumi up hung after Ctrl-C" : "pulumi up returned", output.slice(-2000)]).toEqual([
      "pulumi up returned",
      expect.any(String),
    ]);
    // The test's script and everything it started are gone soon after.
    let processes: string[] = [];
    for (let i = 0; i < 15; i++) {
      processes = (await leftovers(lab)).processes.filter((p) => /siege|rollout-test|sleep/.test(p));
      if (processes.length === 0) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(processes).toEqual([]);
    // The state still knows every resource it created, and the next up finishes the job.
    await run(lab, "pulumi", ["cancel", "--yes", "--non-interactive"]);
    await configure(lab, { warmupSeconds: 1 });
    await pulumi(lab, "up", "--yes", "--skip-preview");
    expect((await outputs(lab)).transactions).toBeGreaterThan(0);
  });
});
