// What a real node (engine/node/node.sh) changes on this machine, read back: a scenario compares it
// before a node starts and after its stop, and it must be the same.
import { execFileSync } from "child_process";
import * as fs from "fs";

/** The record of a running node's changes to this machine (node.sh, host_record). */
export const hostRecord = "/run/istio-exit-study-real-node";

export function hostState() {
  const sysctl = (key: string) => fs.readFileSync(`/proc/sys/${key.replace(/\./g, "/")}`, "utf8").trim();
  return {
    kubeRules: execFileSync("iptables-save", { encoding: "utf8" }).split("\n").filter((line) => /KUBE|ISTIO-EXIT-STUDY/.test(line)),
    links: execFileSync("ip", ["-br", "link"], { encoding: "utf8" }).split("\n").filter((line) => /^(cni0|veth)/.test(line)),
    routes: execFileSync("ip", ["route"], { encoding: "utf8" }).split("\n").filter((line) => line.includes("cni0")),
    sysctls: ["net.ipv4.ip_forward", "net.ipv4.conf.all.route_localnet", "kernel.panic", "kernel.panic_on_oops", "vm.overcommit_memory"].map(
      (key) => `${key}=${sysctl(key)}`,
    ),
    cgroups: fs.readdirSync("/sys/fs/cgroup").filter((subsystem) => fs.existsSync(`/sys/fs/cgroup/${subsystem}/istio-exit-study`)),
    mounts: fs.readFileSync("/proc/mounts", "utf8").split("\n").filter((line) => line.includes("istio-exit-study")),
    record: fs.existsSync(hostRecord),
  };
}
