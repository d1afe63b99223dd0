// What a real node (engine/node/node.sh) changes on this machine, read back: a scenario compares it
// before a node starts and after its stop, and it must be the same.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { projectDir } from "./engine";

const loadPathEnv = fs.readFileSync(path.join(projectDir, "engine/node/load-path.env"), "utf8");
function setting(name: string): string {
  const value = new RegExp(`^${name}=(.*)$`, "m").exec(loadPathEnv)?.[1];
  if (value === undefined) throw new Error(`engine/node/load-path.env sets no ${name}`);
  return value;
}

/** The record of a running node's changes to this machine (node.sh, host_record). */
export const hostRecord = setting("host_record");

/** This machine's load's path into a real node (load-path.env): its namespace, veth, and the NodePorts' address. */
export const loadPath = { netns: setting("load_netns").replace("$host_record", hostRecord), link: setting("load_link"), gateway: setting("load_gateway") };

export function hostState() {
  const sysctl = (key: string) => fs.readFileSync(`/proc/sys/${key.replace(/\./g, "/")}`, "utf8").trim();
  return {
    kubeRules: execFileSync("iptables-save", { encoding: "utf8" }).split("\n").filter((line) => /KUBE|ISTIO-EXIT-STUDY/.test(line)),
    links: execFileSync("ip", ["-br", "link"], { encoding: "utf8" }).split("\n").filter((line) => /^(cni0|veth)/.test(line) || line.startsWith(loadPath.link)),
    routes: execFileSync("ip", ["route"], { encoding: "utf8" }).split("\n").filter((line) => line.includes("cni0")),
    sysctls: ["net.ipv4.ip_forward", "net.ipv4.conf.all.route_localnet", "kernel.panic", "kernel.panic_on_oops", "vm.overcommit_memory"].map(
      (key) => `${key}=${sysctl(key)}`,
    ),
    cgroups: fs.readdirSync("/sys/fs/cgroup").filter((subsystem) => fs.existsSync(`/sys/fs/cgroup/${subsystem}/istio-exit-study`)),
    mounts: fs.readFileSync("/proc/mounts", "utf8").split("\n").filter((line) => line.includes("istio-exit-study")),
    record: fs.existsSync(hostRecord),
  };
}
