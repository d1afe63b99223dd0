// Killed as the command provider kills it, the test stops, cleans up and frees the output pipes.
import { spawn } from "child_process";
import { fakeClusterPerTest, haveSiege, projectDir, siegeProcesses } from "../../support/rolloutScript";

(haveSiege ? describe : describe.skip)("rollout-test.sh against a fake cluster: killed", () => {
  const cluster = fakeClusterPerTest();
  const env = cluster.env;

  test("killed as the command provider kills it (SIGKILL to its /bin/sh), it stops, cleans up and frees the output pipes", async () => {
    // A stuck rollout: the test would wait for it for ROLLOUT_TIMEOUT_SECONDS.
    const shell = spawn("/bin/sh", ["-c", "bash scripts/rollout-test.sh"], {
      cwd: projectDir,
      // A rollout status that hangs as long as the test would wait: only an end of the whole
      // process group frees the pipes soon.
      env: env({ FAKE_ROLLOUT: "stuck", FAKE_STUCK_SECONDS: "120", FAKE_OUTAGE_SECONDS: "0", ROLLOUT_TIMEOUT_SECONDS: "120" }),
    });
    let stderr = "";
    shell.stderr.on("data", (chunk) => (stderr += chunk));
    const pipesClosed = new Promise<void>((resolve) => shell.on("close", () => resolve()));
    for (let i = 0; i < 100 && !stderr.includes("rollout restart issued"); i++) await new Promise((r) => setTimeout(r, 100));
    expect(stderr).toContain("rollout restart issued");
    const siegeBefore = siegeProcesses(cluster.server.url);
    expect(siegeBefore).toHaveLength(1);

    const killedAt = Date.now();
    shell.kill("SIGKILL");
    await pipesClosed;
    // The watchdog polls once a second; the cleanup is quick. Far below the 120 s it would wait.
    expect(Date.now() - killedAt).toBeLessThan(15_000);
    expect(siegeProcesses(cluster.server.url)).toEqual([]);
    // The EXIT trap ran: the load stopped and the test's temporary folder is gone.
    expect(stderr).not.toContain("siege stopped");
  });

});
