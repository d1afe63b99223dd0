// A real node's changes to this machine (engine/node/node.sh) belong to the node that made them: a
// node killed before its stop (the engine suite killed with it, a session's end) leaves them, and the
// next node's start undoes them first instead of failing on them; what no node of the lab recorded is
// never taken over or removed.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { describeWithToolchain, kwokParts, Lab, newLab, ok, probeToolchain, projectDir, run } from "./engine";
import { hostRecord, hostState, loadPath } from "./hostState";

const toolchain = probeToolchain();
const [killed, next, loadProfile, mountsProfile] = ["engine-host-killed", "engine-host-next", "engine-host-load", "engine-host-mounts"];
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

describeWithToolchain(toolchain, [...kwokParts, "node", "node-images"])("a real node's mounts", () => {
  let lab: Lab | undefined;
  let shared = "";
  afterAll(async () => {
    if (!lab) return;
    await run(lab, "minikube", ["delete", "--profile", mountsProfile]);
    if (shared) execFileSync("umount", [shared]);
    fs.rmSync(lab.dir, { recursive: true, force: true });
  });

  test("a mount this machine shares is not shared with the node, whose own mounts stay in its namespace", async () => {
    lab = newLab("mounts");
    // A shared mount of the test's own, as systemd leaves / and `ip netns add` leaves /run/netns.
    shared = path.join(lab.dir, "shared");
    fs.mkdirSync(shared);
    execFileSync("mount", ["--bind", shared, shared]);
    execFileSync("mount", ["--make-shared", shared]);
    const before = hostState();
    await ok(lab, "minikube", ["start", "--profile", mountsProfile], { env: { ENGINE_NODE: "real" } });
    const nodePid = fs.readFileSync(path.join(lab.env.ENGINE_STATE!, "node", mountsProfile, "pid"), "utf8").trim();
    const peerGroups = (mountinfo: string) =>
      mountinfo
        .split("\n")
        .filter((line) => line.split(" ")[4] === shared)
        .map((line) => / shared:(\d+)/.exec(line)?.[1] ?? "private");
    const [here] = peerGroups(fs.readFileSync("/proc/self/mountinfo", "utf8"));
    expect(here).toMatch(/^\d+$/);
    expect(peerGroups(fs.readFileSync(`/proc/${nodePid}/mountinfo`, "utf8"))).not.toContain(here);
    // Here, only the one that holds the load's namespace (engine/node/host.sh, prepare_load_path).
    expect(hostState().mounts).toEqual([...before.mounts, `nsfs ${loadPath.netns} nsfs rw 0 0`]);
    await ok(lab, "minikube", ["delete", "--profile", mountsProfile]);
  });
});

describeWithToolchain(toolchain, [...kwokParts, "node", "node-images"])("this machine's load on a real node", () => {
  let lab: Lab | undefined;
  afterAll(async () => {
    if (!lab) return;
    await run(lab, "minikube", ["delete", "--profile", loadProfile]);
    fs.rmSync(lab.dir, { recursive: true, force: true });
  });

  test("fortio and siege aimed at the node's NodePort address run in the load's namespace, where timestamps carry no offset per connection; aimed elsewhere, as they are", async () => {
    const before = hostState();
    lab = newLab("load");
    await ok(lab, "minikube", ["start", "--profile", loadProfile], { env: { ENGINE_NODE: "real" } });
    // Programs of those names, after the engine's launchers on PATH, that say where they ran.
    const programs = path.join(lab.dir, "programs");
    fs.mkdirSync(programs);
    for (const name of ["fortio", "siege"]) {
      fs.writeFileSync(path.join(programs, name), `#!/bin/sh\necho "${name} $(readlink /proc/self/ns/net) $(cat /proc/sys/net/ipv4/tcp_timestamps) $*"\n`, { mode: 0o755 });
    }
    const launchers = path.join(projectDir, "engine/node/load");
    const env = { ...lab.env, PATH: `${launchers}:${programs}:${process.env.PATH}` };
    const ran = (name: string, ...args: string[]) => execFileSync(path.join(launchers, name), args, { env, encoding: "utf8" }).trim().split(" ");
    const hostNamespace = fs.readlinkSync("/proc/self/ns/net");
    const hostTimestamps = fs.readFileSync("/proc/sys/net/ipv4/tcp_timestamps", "utf8").trim();
    const nodePortUrl = `http://${loadPath.gateway}:30080/`;

    const [fortioName, fortioNamespace, fortioTimestamps] = ran("fortio", "load", "-qps", "100", nodePortUrl);
    const [siegeName, siegeNamespace, siegeTimestamps, ...siegeArgs] = ran("siege", "--concurrent=2", nodePortUrl);
    expect([fortioName, fortioNamespace === hostNamespace, fortioTimestamps]).toEqual(["fortio", false, "2"]);
    expect([siegeName, siegeNamespace, siegeTimestamps, siegeArgs]).toEqual(["siege", fortioNamespace, "2", ["--concurrent=2", nodePortUrl]]);
    expect(ran("fortio", "load", "http://127.0.0.1:30080/").slice(1, 3)).toEqual([hostNamespace, hostTimestamps]);

    await ok(lab, "minikube", ["delete", "--profile", loadProfile]);
    expect(fs.existsSync(loadPath.netns)).toBe(false);
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
