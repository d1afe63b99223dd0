// A job the scripts start and end at once, as their cleanup does when they exit right after starting
// it, is gone every time (scripts/rollout-wait.sh's end_jobs): a TERM sent then could be lost.
import { execFile } from "child_process";
import { fakeClusterPerTest, processesOf, projectDir, ScriptRun } from "../../support/rolloutScript";

describe("scripts/rollout-wait.sh's end_jobs, from an EXIT trap", () => {
  const cluster = fakeClusterPerTest();

  test("100 scripts that start the pods' watch and exit at once leave none running", async () => {
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
    const run = await new Promise<ScriptRun>((resolve) =>
      // $0 in scripts/, beside rollout-wait.sh.
      execFile("/bin/bash", ["-c", 'for _ in $(seq 1 100); do bash -c "$SCRIPT" scripts/ended-at-once; done'], {
        env: cluster.env({ SCRIPT: script }),
        cwd: projectDir,
        timeout: 60_000,
      }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr })),
    );
    expect(run.code).toBe(0);
    let left = processesOf(cluster.state);
    for (let i = 0; i < 30 && left.length > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      left = processesOf(cluster.state);
    }
    // Ended here should any be left, so that a failure leaves nothing behind either.
    for (const line of left) process.kill(Number(line.split(" ")[0]), "SIGKILL");
    expect(left).toEqual([]);
  });
});
