// Plays the load Job's pod for the fake kubectl: runs the Job's own command with the Job's own
// environment on this machine, and keeps its log as kubelet does, each line with an RFC 3339 time.
// Usage: node fakePod.js STATE_DIR < job.json; the stop file is STATE_DIR/stop, the log STATE_DIR/job.log.
// The pod's clock runs FAKE_POD_CLOCK_OFFSET seconds ahead of this machine's, as a node's may.
const { spawn } = require("child_process");
const fs = require("fs");
const path = require("path");
const readline = require("readline");

const state = process.argv[2];
const job = JSON.parse(fs.readFileSync(0, "utf8"));
const container = job.spec.template.spec.containers[0];
const env = { ...process.env };
for (const { name, value } of container.env ?? []) env[name] = value;
env.STOP_FILE = path.join(state, "stop");
env.TARGET_URL = process.env.FAKE_URL;
const skewMs = Number(process.env.FAKE_POD_CLOCK_OFFSET ?? 0) * 1000;
const log = fs.openSync(path.join(state, "job.log"), "a");
// siege's Job runs a command of its own; fortio's runs the image's entrypoint, fortio, on its URL,
// its output through a pipe: a container's output is one (containerd's FIFO), which fortio opens as
// /dev/stdout for its access log, while node gives a child a socket, which cannot be opened.
const [command, ...args] = container.command ?? ["bash", "-c", '"$@" | cat', "fortio", "fortio", ...container.args.slice(0, -1), process.env.FAKE_URL];
// A process group of its own, as a container's processes are together: the fake kubectl ends it
// whole when the Job is deleted.
const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
fs.writeFileSync(path.join(state, "pod.pid"), String(child.pid));
// fortio's own times (its log's "ts", its access log's "timestamp" in ns) are the pod's clock too.
const onPodClock = (line) =>
  skewMs === 0
    ? line
    : line
        .replace(/^\{"ts":([\d.]+)/, (_, ts) => `{"ts":${(Number(ts) + skewMs / 1000).toFixed(6)}`)
        .replace(/"timestamp":(\d+)/, (_, ns) => `"timestamp":${BigInt(ns) + BigInt(skewMs) * 1000000n}`);
for (const stream of [child.stdout, child.stderr]) {
  readline.createInterface({ input: stream }).on("line", (line) => fs.writeSync(log, `${new Date(Date.now() + skewMs).toISOString()} ${onPodClock(line)}\n`));
}
child.on("close", () => fs.writeFileSync(path.join(state, "job.done"), ""));
