// A job the scripts start and end at once, as their cleanup does when they exit right after starting
// it, is gone every time (scripts/rollout-wait.sh's end_jobs): a TERM sent then could be lost.
import { execFile } from "child_process";
import { fakeClusterPerTest, processesOf, projectDir, ScriptRun } from "../../support/rolloutScript";

describe("scripts/rollout-wait.sh's end_jobs, from an EXIT trap", () => {
  const cluster = fakeClusterPerTest();

  // As rollout-test.sh sets up its shell, starts the watch, and exits when a tool is missing.
  const script = [
      "set -euo pipefail",
      '. "$(dirname "$0")/rollout-wait.sh"',
      'job=""',
      "trap 'end_jobs \"$job\"' EXIT",
      "trap 'exit 143' TERM",
      "kubectl --context lab --namespace demo-site get pods --selector app=demo-site --watch --output-watch-events -o 'jsonpath={.type}' 2>/dev/null > >(cat >/dev/null) &",
      "job=$!",
    "command -v no-such-tool >/dev/null || exit 0",
  ].join("\n");

  /** Runs the script `times` times, each in a shell started by `prefix` (a shell's own setup). */
  async function runScripts(times: number, prefix = ""): Promise<ScriptRun> {
    return new Promise<ScriptRun>((resolve) =>
      // $0 in scripts/, beside rollout-wait.sh.
      execFile("/bin/bash", ["-c", `${prefix}for _ in $(seq 1 ${times}); do bash -c "$SCRIPT" scripts/ended-at-once; done`], {
        env: cluster.env({ SCRIPT: script }),
        cwd: projectDir,
        timeout: 60_000,
      }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr })),
    );
  }

  async function expectNoneLeft(): Promise<void> {
    let left = processesOf(cluster.state);
    for (let i = 0; i < 30 && left.length > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      left = processesOf(cluster.state);
    }
    // Ended here should any be left, so that a failure leaves nothing behind either.
    for (const line of left) process.kill(Number(line.split(" ")[0]), "SIGKILL");
    expect(left).toEqual([]);
  }

  test("100 scripts that start the pods' watch and exit at once leave none running", async () => {
    expect((await runScripts(100)).code).toBe(0);
    await expectNoneLeft();
  });

  test("started under nohup, where HUP is ignored and stays ignored in every job, 20 such scripts end, and leave none running", async () => {
    // As nohup leaves a shell: HUP ignored on entry, which the scripts' jobs inherit.
    const run = await runScripts(20, "trap '' HUP; ");
    expect([run.code, run.stderr]).toEqual([0, ""]);
    await expectNoneLeft();
  });
});
