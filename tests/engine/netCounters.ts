// The TCP counters of the real node's network while a measurement runs (engine/node/observe.sh
// without its captures: every second, the host's, the load's and each pod's, in its own network namespace, and
// conntrack's), summed up as how much each rose: what a stray failure is printed with. And what
// conntrack still holds of this machine's connects that a later load from here would meet.
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { counterDeltas } from "../../engine/node/strays";
import { projectDir } from "./engine";
import { loadPath } from "./hostState";

export interface Watch {
  /** Stops the watch and gives how much each counter rose while it ran (pods: summed over them). */
  stop(): Promise<Record<string, number>>;
}

/** Starts watching the node's counters into `dir`. */
export function watchCounters(dir: string): Watch {
  fs.mkdirSync(dir, { recursive: true });
  const started = Date.now() / 1000;
  const child: ChildProcess = spawn("bash", [path.join(projectDir, "engine/node/observe.sh"), dir], {
    env: { ...process.env, CAPTURE: "0" },
    stdio: "ignore",
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    async stop() {
      child.kill("SIGTERM");
      await exited;
      const tsv = path.join(dir, "counters.tsv");
      return fs.existsSync(tsv) ? counterDeltas(fs.readFileSync(tsv, "utf8"), started, Date.now() / 1000) : {};
    },
  };
}

/**
 * Waits, at most `seconds`, until conntrack holds no connect of this machine's to the NodePort
 * (its address on the load's path, load-path.env) that a pod never answered (SYN_SENT, NAT'd to a pod of the node's 10.88.0.0/16): a new
 * connect from the same source port would be taken for it sent again and go to that pod, gone or
 * not. Gives how many are left.
 */
export async function unansweredToPods(seconds: number): Promise<number> {
  const count = () => {
    const r = spawnSync("conntrack", ["-L", "-p", "tcp", "--state", "SYN_SENT", "--orig-dst", loadPath.gateway], { encoding: "utf8" });
    return (r.stdout ?? "").split("\n").filter((line) => / src=10\.88\./.test(line)).length;
  };
  const end = Date.now() + seconds * 1000;
  let left = count();
  while (left > 0 && Date.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    left = count();
  }
  return left;
}
