// fortio in a Job in the cluster, its pod played on this machine (on this machine itself: fortio.test.ts).
import * as fs from "fs";
import * as path from "path";
import { fortioArguments } from "../../../components/rolloutTest";
import { loadJobManifest } from "../../../lib/loadJob";
import { parseRolloutOutput } from "../../../lib/rolloutOutput";
import { TestSettings } from "../../../lib/settings";
import { fortioDir } from "../../support/fortio";
import { fakeCluster, fakeClusterPerTest, fortioEnv, haveSiege, runScript, studyLine, toolsWithout } from "../../support/rolloutScript";

const fortio = fortioDir();
// 50 a second: fortio's warm-up opens its 2 × qps × 2 s connections at once (lib/loadJob.ts), and the
// server in this process must answer each within fortio's 2 s, at about 0.4 ms of CPU each. At 100 a
// second, 400 of them: more than a worker held to its share of a loaded 2-core machine (load 20 and
// more) answers in time, and fortio records the requests it fell behind on as timeouts, before the
// restart and after it.
const testSettings: TestSettings = {
  load: "fortio",
  qps: 50,
  loadFrom: "cluster",
  loadImage: "fortio/fortio:1.75.3",
  loadNamespace: "demo-site-load",
  concurrency: 4,
  warmupSeconds: 1,
  settleSeconds: 1,
  rolloutTimeoutSeconds: 10,
  repeats: 1,
  run: "",
};

(haveSiege ? describe : describe.skip)("rollout-test.sh against a fake cluster: fortio in a Job", () => {
  const cluster = fakeClusterPerTest();
  const env = cluster.env;

  (fortio ? describe : describe.skip)("with fortio (LOAD=fortio)", () => {
    const scriptEnv = (overrides: Record<string, string> = {}) => fortioEnv(env, fortio!, overrides);

    // The fake restart's outage, by count: the requests sent after the restart that meet it
    // (tests/support/fake-cluster/kubectl's outage_marker), a second's worth. Not a timed outage:
    // on a loaded machine the server was still answering fortio's warm-up, which opens all its
    // connections at once, when half a second was over, and no request fortio records met it.
    const outageRequests = 50;
    const inClusterRun = (overrides: Record<string, string> = {}, args = fortioArguments(testSettings, "close", "http://demo-site.demo-site.svc.cluster.local:80/")) => {
      const job = JSON.stringify(
        loadJobManifest({ namespace: "demo-site-load", name: "fortio", image: "fortio/fortio:1.75.3", deadlineSeconds: 120 }, { load: "fortio", args }),
      );
      return runScript(
        scriptEnv({
          LOAD_FROM: "cluster",
          LOAD_NAMESPACE: "demo-site-load",
          LOAD_JOB_NAME: "fortio",
          LOAD_JOB: job,
          QPS: String(testSettings.qps),
          PATH: `${fortio}:${fakeCluster}:${toolsWithout("minikube")}`,
          FAKE_OUTAGE_REQUESTS: String(outageRequests),
          ...overrides,
        }),
      );
    };

    test("in a Job in the cluster: the pod's output holds the same record", async () => {
      const run = await inClusterRun();
      const measurement = parseRolloutOutput(run.stdout);
      expect([measurement.status, measurement.reason, run.stderr.slice(-600)]).toEqual(["ok", undefined, expect.any(String)]);
      // Every request the outage reset is in the record once, a reset, and no other request failed.
      expect(cluster.server.outageLeft).toBe(0);
      expect(measurement.failures!.length).toBe(outageRequests);
      expect(measurement.errors.connectionReset).toBe(outageRequests);
      // The fake pod ended with its Job.
      expect(fs.readFileSync(path.join(cluster.state, "kubectl.calls"), "utf8")).toMatch(/delete job fortio/);
    });

    test("in a Job on a node whose clock runs 30 s ahead: the records are put on this machine's clock", async () => {
      const run = await inClusterRun({ FAKE_POD_CLOCK_OFFSET: "30" });
      // Half a command round trip is the uncertainty: on a loaded machine that is well over 0.1 s.
      const offset = Number(run.stderr.match(/the load pod.s clock is (-?[\d.]+)s ahead of this machine.s/)?.[1]);
      expect(offset).toBeGreaterThan(27);
      expect(offset).toBeLessThan(33);
      const measurement = parseRolloutOutput(run.stdout);
      expect(measurement.status).toBe("ok");
      // The outage starts with the restart: every failure falls within seconds of it, not 30 s off.
      expect(measurement.failures!.length).toBeGreaterThan(10);
      for (const failure of measurement.failures!) expect(Math.abs(failure.atSeconds)).toBeLessThan(5);
      expect(measurement.fortio!.latencyBefore!.count).toBeGreaterThan(0);
    });

    test("in a Job whose warm-up is slower than the lab's: the restart waits for fortio's measured run", async () => {
      // fortio's warm-up is a request on each of its 200 connections (lib/loadJob.ts), which this server
      // holds 4 s, under a fortio timeout of 6 s (its 2 s would cut the hold short): a restart 1 s after
      // fortio's start (the code before) lands in the warm-up.
      cluster.server.holdNext(200, 4);
      const args = fortioArguments(testSettings, "close", "http://demo-site.demo-site.svc.cluster.local:80/");
      const run = await inClusterRun({}, args.map((arg, i) => (args[i - 1] === "-timeout" ? "6s" : arg)));
      const measurement = parseRolloutOutput(run.stdout);
      expect([measurement.status, measurement.reason]).toEqual(["ok", undefined]);
      const from = Number(studyLine(run.stdout, "requests")?.match(/from=(-?[\d.]+)/)?.[1]);
      expect(from).toBeLessThan(-0.5);
      expect(measurement.failures!.length).toBe(outageRequests);
    });

    test("in a Job whose clock takes seconds to read: the warm-up counts them, and the record before the restart is no longer", async () => {
      // Each of the three execs that read the pod's clock takes 2 s: the code before waited out a
      // whole warm-up (8 s) after them, 14 s and more of record before the restart instead of 8 s.
      const run = await inClusterRun({ FAKE_EXEC_START_SECONDS: "2", WARMUP_SECONDS: "8" });
      const measurement = parseRolloutOutput(run.stdout);
      expect([measurement.status, measurement.reason]).toEqual(["ok", undefined]);
      const from = Number(studyLine(run.stdout, "requests")?.match(/from=(-?[\d.]+)/)?.[1]);
      // From the first record to the restart: the warm-up, and the time the lab takes to see the
      // record begin (it looks every second) and to list the old pods: 1.8 s here beside a CI run,
      // 4.5 s allowed. The code before stays below -14 however quick the lab is.
      expect(from).toBeLessThan(-7.9);
      expect(from).toBeGreaterThan(-12.5);
    });

    test("in a Job whose log the kubelet rotated: a failed measurement that says why, not a record short of its start", async () => {
      const run = await inClusterRun({ FAKE_LOG_ROTATED: "1" });
      expect(studyLine(run.stdout, "status")).toMatch(/^failed the load pod's log has lost its beginning .*containerLogMaxSize.*lower qps/);
    });

  });

});
