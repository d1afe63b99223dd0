// scripts/minikube-cluster.sh: two starts of one profile at once, by two stacks of different
// states: the profile's folder is claimed by mkdir, which only one can win. A check for the folder
// followed by its making would let both pass the check and both take the profile, and with no more
// than one start at a time every other test passes all the same: so a stand-in mkdir holds each start
// at the claim until both have reached it.
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const projectDir = path.resolve(__dirname, "../..");
const script = path.join(projectDir, "scripts/minikube-cluster.sh");
const fakeCluster = path.join(projectDir, "tests/support/fake-cluster");

interface ScriptRun {
  code: number;
  stdout: string;
  stderr: string;
}

describe("minikube-cluster.sh: the profile's claim", () => {
  let state: string;
  beforeEach(() => {
    state = fs.mkdtempSync(path.join(os.tmpdir(), "profile-claim-"));
  });
  afterEach(() => fs.rmSync(state, { recursive: true, force: true }));

  test("two starts of one profile at once: exactly one builds it, the other is refused and touches nothing", async () => {
    const profiles = path.join(state, "home/.minikube/profiles");
    const claimed = path.join(profiles, "lab");
    const barrier = path.join(state, "barrier");
    const shims = path.join(state, "shims");
    fs.mkdirSync(barrier);
    fs.mkdirSync(shims);
    // The first two makings of the profile's folder wait for each other (20 s at most), then make it
    // for real; any later one (the fake minikube's) goes through at once.
    fs.writeFileSync(
      path.join(shims, "mkdir"),
      `#!/bin/bash
for arg in "$@"; do
  if [ "$arg" = "${claimed}" ]; then
    /bin/mktemp "${barrier}/arrived.XXXXXX" >/dev/null
    for _ in $(seq 1 200); do
      [ "$(ls "${barrier}" | wc -l)" -ge 2 ] && break
      sleep 0.1
    done
  fi
done
exec /bin/mkdir "$@"
`,
      { mode: 0o755 },
    );
    const start = (stack: string, token: string) =>
      new Promise<ScriptRun>((resolve) => {
        const env = {
          PATH: `${shims}:${fakeCluster}:${process.env.PATH}`,
          HOME: state,
          FAKE_STATE: state,
          MINIKUBE_HOME: path.join(state, "home"),
          PROFILE: "lab",
          KUBERNETES_VERSION: "v1.35.1",
          CPUS: "2",
          MEMORY_MIB: "4096",
          DRIVER: "",
          STACK: stack,
          STACK_TOKEN: token,
          CLUSTER_GENERATION: "g1",
          CLUSTER_IDENTITY: "minikube/lab/2cpu",
        };
        execFile("bash", [script, "start"], { env, timeout: 50_000 }, (error, stdout, stderr) =>
          resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
        );
      });
    const runs = await Promise.all([start("organization/istio-exit-study/dev", "a1a1"), start("organization/istio-exit-study/other", "b2b2")]);
    // Both reached the claim: the stand-in held each there until the other came.
    if (process.env.SHOW_SCRIPT_OUTPUT) console.log(runs);
    expect(fs.readdirSync(barrier).length).toBeGreaterThanOrEqual(2);
    expect(runs.map((r) => r.code).sort()).toEqual([0, 1]);
    const [won, lost] = runs[0].code === 0 ? runs : [runs[1], runs[0]];
    expect(lost.stderr).toContain("refusing minikube profile lab");
    const mark = fs.readFileSync(path.join(claimed, "istio-exit-study.owner"), "utf8");
    const winner = won === runs[0] ? "a1a1" : "b2b2";
    expect(mark).toContain(`token=${winner}\n`);
    expect(mark).toContain("state=built\n");
    expect(mark).toContain(`instance=${won.stdout.trim()}\n`);
    // One minikube start, the winner's.
    const calls = fs.readFileSync(path.join(state, "minikube.calls"), "utf8").split("\n").filter((l) => l.startsWith("start "));
    expect(calls).toHaveLength(1);
  }, 60_000);
});
