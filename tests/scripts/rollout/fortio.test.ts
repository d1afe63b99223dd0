// fortio on this machine (its Job in the cluster: fortioInCluster.test.ts).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseRolloutOutput } from "../../../lib/rolloutOutput";
import { fortioDir } from "../../support/fortio";
import { fakeCluster, fakeClusterPerTest, fortioEnv, haveSiege, runScript, studyLine } from "../../support/rolloutScript";

const fortio = fortioDir();

(haveSiege ? describe : describe.skip)("rollout-test.sh against a fake cluster: fortio", () => {
  const cluster = fakeClusterPerTest();
  const env = cluster.env;

  (fortio ? describe : describe.skip)("with fortio (LOAD=fortio)", () => {
    const scriptEnv = (overrides: Record<string, string> = {}) => fortioEnv(env, fortio!, overrides);

    test("on this machine: every failed request timed inside the outage, each a reset, at the rate asked", async () => {
      const run = await runScript(scriptEnv());
      expect(run.code).toBe(0);
      const measurement = parseRolloutOutput(run.stdout);
      expect(measurement).toMatchObject({ status: "ok", load: "fortio", sidecar: "none" });
      const { failures, fortio: figures } = measurement;
      // The outage starts with the restart and lasts half a second: about 50 requests at 100 a second.
      expect(failures!.length).toBeGreaterThan(10);
      expect(measurement.errors).toMatchObject({ connectionReset: failures!.length, other: 0 });
      for (const failure of failures!) {
        expect(failure.atSeconds).toBeGreaterThanOrEqual(-0.01);
        expect(failure.atSeconds).toBeLessThan(2);
      }
      // A loaded machine may start fortio late, never send more than asked.
      expect(figures!.sent).toBeLessThanOrEqual(figures!.asked * 1.05);
      expect(figures!.sent).toBeGreaterThan(figures!.asked * 0.5);
      expect(figures!.latencyBefore!.count).toBeGreaterThan(0);
      expect(run.stderr).toMatch(/fortio stopped/);
    });

    test("a warm-up slower than the lab's: the restart waits for fortio's measured run", async () => {
      // fortio's warm-up is a request on each of its 8 connections, which this server holds 4 s: a
      // restart 1 s after fortio's start (the code before) lands in it, and its outage goes unrecorded.
      cluster.server.holdNext(8, 4);
      const run = await runScript(scriptEnv({ REQUEST_TIMEOUT_SECONDS: "6" }));
      const measurement = parseRolloutOutput(run.stdout);
      expect([measurement.status, measurement.reason]).toEqual(["ok", undefined]);
      // The record begins a warm-up (1 s) before the restart, and holds the outage's resets.
      const from = Number(studyLine(run.stdout, "requests")?.match(/from=(-?[\d.]+)/)?.[1]);
      expect(from).toBeLessThan(-0.5);
      expect(measurement.failures!.length).toBeGreaterThan(10);
      expect(measurement.errors).toMatchObject({ connectionReset: measurement.failures!.length, other: 0 });
    });

    test("a fortio that exits before its measured run begins: a failed measurement with fortio's words", async () => {
      const shims = fs.mkdtempSync(path.join(os.tmpdir(), "fortio-exits-"));
      const script = '#!/bin/sh\nif [ "$1" = version ]; then echo 1.75.3; exit 0; fi\necho "Aborting because of lookup demo: no such host" >&2\nexit 1\n';
      fs.writeFileSync(path.join(shims, "fortio"), script, { mode: 0o755 });
      const run = await runScript(scriptEnv({ PATH: `${shims}:${fakeCluster}:${process.env.PATH}` }));
      expect(studyLine(run.stdout, "status")).toMatch(/^failed fortio exited before its measured run began: Aborting because of lookup demo/);
      expect(fs.readFileSync(path.join(cluster.state, "kubectl.calls"), "utf8")).not.toMatch(/rollout restart/);
    });

    test("a warm-up that outlasts the rollout timeout: a failed measurement, before any restart", async () => {
      cluster.server.holdNext(8, 14);
      const run = await runScript(scriptEnv({ REQUEST_TIMEOUT_SECONDS: "20" }));
      expect(studyLine(run.stdout, "status")).toMatch(/^failed fortio's warm-up \(a request on each of its 8 connections at once\) did not end within 10s: lower qps$/);
      expect(fs.readFileSync(path.join(cluster.state, "kubectl.calls"), "utf8")).not.toMatch(/rollout restart/);
    });

    test("a fortio of another version is a failed measurement that says which to install", async () => {
      const shims = fs.mkdtempSync(path.join(os.tmpdir(), "fortio-version-"));
      fs.writeFileSync(path.join(shims, "fortio"), "#!/bin/sh\necho 1.60.0\n", { mode: 0o755 });
      const run = await runScript(scriptEnv({ PATH: `${shims}:${fakeCluster}:${process.env.PATH}` }));
      expect(studyLine(run.stdout, "status")).toMatch(/^failed fortio on PATH is version 1.60.0; .*go install fortio.org\/fortio@v1.75.3/);
    });
  });

});
