// A real node's changes to this machine (engine/node/node.sh) belong to the node that made them: a
// node killed before its stop (the engine suite killed with it, a session's end) leaves them, and the
// next node's start undoes them first instead of failing on them; what no node of the lab recorded is
// never taken over or removed.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { describeWithToolchain, kwokParts, Lab, newLab, ok, probeToolchain, run } from "./engine";
import { hostRecord, hostState } from "./hostState";

const toolchain = probeToolchain();
const [killed, next] = ["engine-host-killed", "engine-host-next"];
const guardChain = "ISTIO-EXIT-STUDY-GUARD";

describeWithToolchain(toolchain, [...kwokParts, "node", "node-images"])("a real node's changes to this machine", () => {
  let lab: Lab | undefined;
  afterAll(async () => {
    if (!lab) return;
    for (const profile of [next, killed]) await run(lab, "minikube", ["delete", "--profile", profile]);
    fs.rmSync(lab.dir, { recursive: true, force: true });
  });

  const start = (profile: string) => run(lab!, "minikube", ["start", "--profile", profile], { env: { ENGINE_NODE: "real" } });

  test("a node killed before its stop is undone by the next node's start, which then runs, and whose stop leaves this machine as it was", async () => {
    const before = hostState();
    lab = newLab("host");
    await ok(lab, "minikube", ["start", "--profile", killed], { env: { ENGINE_NODE: "real" } });
    expect(fs.readFileSync(path.join(hostRecord, "node"), "utf8").trim()).toBe(path.join(lab.env.ENGINE_STATE!, "node", killed));

    // Everything of the node dies at once, as when the session that ran it ends: its processes'
    // session (node.sh starts them with setsid), and then the containers' shims.
    const nodeDir = path.join(lab.env.ENGINE_STATE!, "node", killed);
    const session = fs.readFileSync(path.join(nodeDir, "pid"), "utf8").trim();
    execFileSync("pkill", ["-KILL", "-s", session]);
    killLeftovers(nodeDir);
    expect(hostState().links.some((line) => line.startsWith("cni0"))).toBe(true);

    const started = await start(next);
    expect([started.code, started.stderr]).toEqual([0, expect.stringContaining(`a real node ended without its stop (${nodeDir})`)]);
    expect(fs.existsSync(nodeDir)).toBe(false);
    expect(fs.readFileSync(path.join(hostRecord, "node"), "utf8").trim()).toBe(path.join(lab.env.ENGINE_STATE!, "node", next));
    await ok(lab, "kubectl", ["--context", next, "wait", "--for=condition=Ready", `node/${next}`, "--timeout=60s"]);

    // The killed profile's delete leaves the running node's changes alone; the running node's undoes them.
    await ok(lab, "minikube", ["delete", "--profile", killed]);
    expect(hostState().links.some((line) => line.startsWith("cni0"))).toBe(true);
    await ok(lab, "minikube", ["delete", "--profile", next]);
    expect(hostState()).toEqual(before);
  });

  test("a guard chain no node of the lab recorded stops a start before it changes anything, and is left as it was", async () => {
    const before = hostState();
    execFileSync("iptables", ["-w", "-N", guardChain]);
    try {
      const started = await start(next);
      expect([started.code, started.stderr]).toEqual([1, expect.stringContaining(`this machine has an iptables chain ${guardChain} that no real node of the lab recorded`)]);
      expect(execFileSync("iptables-save", { encoding: "utf8" })).toContain(`:${guardChain} `);
      await ok(lab!, "minikube", ["delete", "--profile", next]);
      expect(execFileSync("iptables-save", { encoding: "utf8" })).toContain(`:${guardChain} `);
    } finally {
      execFileSync("iptables", ["-w", "-X", guardChain]);
    }
    expect(hostState()).toEqual(before);
  });
});

/** Kills whatever process names the node's folder (containerd's shims run apart from its session). */
function killLeftovers(nodeDir: string): void {
  try {
    execFileSync("pkill", ["-KILL", "-f", `${nodeDir}/`]);
  } catch {
    // pkill exits 1 when nothing matched: the session's kill took everything.
  }
}
