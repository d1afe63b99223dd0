// The no-mesh half of the study, measured for real: a real node (containerd, kubelet, kube-proxy;
// engine/node/node.sh) runs the demo site's nginx, and siege loads it through the NodePort that
// kube-proxy serves on 127.0.0.1 while the lab's rolling restart replaces every pod.
import { execFileSync } from "child_process";
import * as fs from "fs";
import { describeWithToolchain, kwokParts, Lab, newStack, outputs, probeToolchain, pulumi, tearDown } from "./engine";
import { settledLeftovers } from "./observe";

const toolchain = probeToolchain();
const profile = "engine-real";

/** What a real node changes on this machine, to compare before and after. */
function hostState() {
  const sysctl = (key: string) => fs.readFileSync(`/proc/sys/${key.replace(/\./g, "/")}`, "utf8").trim();
  return {
    kubeRules: execFileSync("iptables-save", { encoding: "utf8" }).split("\n").filter((line) => /KUBE|ISTIO-EXIT-STUDY/.test(line)),
    links: execFileSync("ip", ["-br", "link"], { encoding: "utf8" }).split("\n").filter((line) => /^(cni0|veth)/.test(line)),
    sysctls: ["net.ipv4.ip_forward", "net.ipv4.conf.all.route_localnet", "kernel.panic", "kernel.panic_on_oops", "vm.overcommit_memory"].map(
      (key) => `${key}=${sysctl(key)}`,
    ),
    cgroups: fs.readdirSync("/sys/fs/cgroup").filter((subsystem) => fs.existsSync(`/sys/fs/cgroup/${subsystem}/istio-exit-study`)),
    mounts: fs.readFileSync("/proc/mounts", "utf8").split("\n").filter((line) => line.includes("istio-exit-study")),
  };
}

describeWithToolchain(toolchain, [...kwokParts, "node", "node-images"])("the no-mesh cases on a real node", () => {
  let lab: Lab | undefined;
  afterAll(() => tearDown(lab, profile));

  test("without a preStop sleep the rolling restart loses requests, with one it loses none", async () => {
    const before = hostState();
    lab = await newStack("real", {
      manifest: toolchain.env.ENGINE_DEMO_MANIFEST ?? "",
      cases: "nomesh-nohook,nomesh-hook",
      preStopSeconds: 5,
      warmupSeconds: 3,
      settleSeconds: 3,
      concurrency: 10,
    });
    lab.env.ENGINE_NODE = "real";
    await pulumi(lab, "up", "--yes", "--skip-preview");
    const [nohook, hook] = (await outputs(lab)).results;
    console.log(`real node, no mesh:\n${JSON.stringify([nohook, hook].map(({ oldPods: _pods, errorBins: _bins, ...r }) => r), null, 2)}`);

    for (const result of [nohook, hook]) {
      expect([result.case, result.status, result.sidecar]).toEqual([result.case, "ok", "none"]);
      expect(result.transactions).toBeGreaterThan(0);
      // The kubelet ended every old pod: each was seen deleted and then gone.
      expect(result.oldPods.length).toBe(2);
      expect(result.oldPods.every((p: { goneSeconds: number | null }) => p.goneSeconds !== null)).toBe(true);
      // The kinds of failure add up to siege's failed count.
      const { linesOverCount, ...kinds } = result.errors;
      expect(Object.values(kinds).reduce((a: number, b) => a + (b as number), 0)).toBe(result.failedTransactions + linesOverCount);
    }
    // nginx stops listening at once on its stop signal while kube-proxy still sends it connections.
    expect(nohook.failedTransactions).toBeGreaterThan(0);
    expect(nohook.availability).toBeLessThan(100);
    expect(nohook.errorBins.length).toBeGreaterThan(0);
    // The app's sleep outlasts kube-proxy's switch-over: nothing fails, and each old pod lives its sleep.
    expect(hook.failedTransactions).toBe(0);
    expect(hook.availability).toBe(100);
    expect(hook.oldPodsGoneSeconds).toBeGreaterThanOrEqual(5);

    await pulumi(lab, "destroy", "--yes", "--skip-preview");
    expect(await settledLeftovers(lab)).toEqual({ clusters: [], processes: [] });
    expect(hostState()).toEqual(before);
  });
});
