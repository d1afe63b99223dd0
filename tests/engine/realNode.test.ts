// The no-mesh half of the study, measured for real: a real node (containerd, kubelet, kube-proxy;
// engine/node/node.sh) runs the demo site's nginx, and fortio, then siege, load it through the
// NodePort from this machine's load namespace (engine/node/load-path.env), and from a load Job on the
// node through the Service's cluster IP, while the lab's rolling restart replaces every pod.
import { execFileSync } from "child_process";
import * as path from "path";
import { configure, describeWithToolchain, kwokParts, Lab, newStack, ok, outputs, probeToolchain, pulumi, tearDown } from "./engine";
import { explainFailures, OldPodShutdown, parseUnansweredConnects, sentToGonePods, TimedFailure } from "./failureTiming";
import { hostState } from "./hostState";
import { unansweredToPods, watchCounters } from "./netCounters";
import { settledLeftovers } from "./observe";

const toolchain = probeToolchain();
const profile = "engine-real";
const preStopSeconds = 5;

describeWithToolchain(toolchain, [...kwokParts, "fortio", "node", "node-images"])("the no-mesh cases on a real node", () => {
  let lab: Lab | undefined;
  afterAll(() => tearDown(lab, profile));

  test("without a preStop sleep the rolling restart loses requests, with one it loses none: fortio and siege, from the host and from the cluster", async () => {
    const before = hostState();
    // A load from this machine reaches the pods through the NodePort, which kube-proxy masquerades to
    // a random port, and meets what an earlier load from here left (docs/contributing.md, "Stray
    // failures of this machine's load"): a connect nohook's rollout left unanswered (sent to a pod
    // just gone) keeps its conntrack entry in SYN_SENT, with its NAT to that pod, for 120 s, so that
    // siege, which runs through the source ports in a second, sends new SYNs there ("No route to
    // host" 3 s later, every user at once). So fortio from this machine first, on pods no load has
    // used; siege from this machine last, on pods only the cluster's loads used, once no such entry
    // is left. The cluster's loads are not masqueraded. (PAWS on the pods' TIME-WAITs, the other
    // mechanism of that path, the load's namespace does not meet: its timestamps carry no offset
    // per connection.)
    lab = await newStack("real", {
      manifest: toolchain.env.ENGINE_DEMO_MANIFEST ?? "",
      cases: "nomesh-nohook,nomesh-hook",
      preStopSeconds,
      warmupSeconds: 3,
      settleSeconds: 3,
      concurrency: 10,
      load: "fortio",
      qps: 100,
    });
    lab.env.ENGINE_NODE = "real";
    const loads = [
      ["fortio", "host", ""],
      ["fortio", "cluster", toolchain.env.ENGINE_FORTIO_IMAGE ?? ""],
      ["siege", "cluster", toolchain.env.ENGINE_SIEGE_IMAGE ?? ""],
      ["siege", "host", ""],
    ];
    for (const [i, [load, loadFrom, loadImage]] of loads.entries()) {
      if (i > 0) await configure(lab, { load, loadFrom, loadImage, qps: 100 });
      if (i > 0 && loadFrom === "host") {
        const left = await unansweredToPods(150);
        if (left > 0) console.log(`real node: ${left} connects to pods never answered still in conntrack after 150 s`);
      }
      const watch = watchCounters(path.join(lab.dir, `counters-${load}-${loadFrom}`));
      let counters: Record<string, number> = {};
      try {
        await pulumi(lab, "up", "--yes", "--skip-preview");
      } finally {
        counters = await watch.stop();
      }
      // What conntrack still holds of connects pods never answered, well within its 120 s, and the
      // pods there are: a timeout past every shutdown may be a connect it sent to a pod gone since.
      const readAt = Date.now() / 1000;
      const unanswered = parseUnansweredConnects(execFileSync("conntrack", ["-L", "-p", "tcp", "--state", "SYN_SENT"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }), readAt);
      const livePods = new Set<string>((await ok(lab, "kubectl", ["--context", profile, "get", "pods", "--all-namespaces", "-o", "jsonpath={.items[*].status.podIP}"])).split(/\s+/));
      const [lossy, lossless] = (await outputs(lab)).results;
      const figures = ({ oldPods, failureTimes, errorBins: _bins, ...r }: any) => ({ ...r, oldPods, failures: failureTimes?.length ?? r.failures });
      console.log(`real node, ${load} from ${loadFrom}:\n${JSON.stringify([lossy, lossless].map(figures), null, 2)}\ncounters: ${JSON.stringify(counters)}`);
      for (const result of [lossy, lossless]) {
        expect([load, loadFrom, result.case, result.status, result.load, result.sidecar]).toEqual([load, loadFrom, result.case, "ok", load, "none"]);
        // The kubelet ended every old pod: each was seen deleted and then gone.
        expect([load, loadFrom, result.case, result.oldPods.length]).toEqual([load, loadFrom, result.case, 2]);
        expect(result.oldPods.every((p: { goneSeconds: number | null }) => p.goneSeconds !== null)).toBe(true);
      }
      // A failure outside every old pod's shutdown is a stray, the load path's and not the rollout's,
      // unless conntrack shows it was a connect sent to a pod gone since (sentToGonePods). It fails
      // the scenario here, before any count below could fail on it, so that it is told with its time,
      // its kind and how much the node's counters rose while the load ran. fortio times each failure
      // (from the end of an old pod's sleep until a moment after it is gone: withinShutdown); siege
      // only the half seconds it printed one in.
      for (const result of [lossy, lossless]) {
        const shutdowns = result.oldPods.map((p: OldPodShutdown) => [p.deletedSeconds, p.goneSeconds]);
        const fortioStrays = () => {
          const { background } = explainFailures(result.failureTimes, result.oldPods, result.case === "nomesh-hook" ? preStopSeconds : 0, result.clockUncertaintySeconds);
          const byStart = [...(result.failureTimes as TimedFailure[])].sort((a, b) => a.atSeconds - b.atSeconds);
          const { explained } = sentToGonePods(byStart, unanswered, Date.parse(result.measuredAt) / 1000, livePods);
          const byConntrack = background.filter((f) => explained.includes(f));
          if (byConntrack.length > 0) console.log(`real node, ${load} from ${loadFrom}, ${result.case}: ${byConntrack.length} timeouts past every shutdown were connects conntrack sent to a pod gone since (${byConntrack.map((f) => f.atSeconds).join(", ")} s)`);
          return background.filter((f) => !explained.includes(f));
        };
        const strays: string[] =
          load === "fortio"
            ? fortioStrays().map((f) => `${f.atSeconds} s ${f.kind}${f.detail ? ` (${f.detail})` : ""}`)
            : result.failuresOutsideShutdown !== 0
              ? [`${result.failuresOutsideShutdown} outside`, ...result.errorBins.map((b: { atSeconds: number; count: number }) => `${b.count} from ${b.atSeconds} s`)]
              : [];
        expect([load, loadFrom, result.case, shutdowns, strays, strays.length > 0 ? counters : {}]).toEqual([load, loadFrom, result.case, shutdowns, [], {}]);
      }
      // nginx stops listening at once on its stop signal while kube-proxy still sends it connections;
      // the app's sleep outlasts kube-proxy's switch-over: nothing fails, and each old pod lives its sleep.
      // A failure of the sleep's case inside a shutdown is no stray but fails all the same, told likewise.
      expect([load, loadFrom, lossy.failures > 0, lossy.asExpected]).toEqual([load, loadFrom, true, true]);
      const told = lossless.failures > 0 ? { failures: lossless.failureTimes ?? lossless.errorBins, counters } : {};
      expect([load, loadFrom, lossless.failures, lossless.asExpected, told]).toEqual([load, loadFrom, 0, true, {}]);
      expect(lossless.oldPodsGoneSeconds).toBeGreaterThanOrEqual(preStopSeconds);
      if (load === "siege") {
        for (const result of [lossy, lossless]) {
          expect(result.transactions).toBeGreaterThan(0);
          // The kinds of failure add up to siege's failed count.
          const { linesOverCount, ...kinds } = result.errors;
          expect(Object.values(kinds).reduce((a: number, b) => a + (b as number), 0)).toBe(result.failedTransactions + linesOverCount);
        }
        expect(lossy.availability).toBeLessThan(100);
        expect(lossy.errorBins.length).toBeGreaterThan(0);
        continue;
      }
      for (const result of [lossy, lossless]) {
        // At the rate asked, within a few percent, outside the shutdown and in it.
        expect([result.case, result.requests / result.asked]).toEqual([result.case, expect.closeTo(1, 1)]);
        expect(result.requests).toBeGreaterThan(result.asked * 0.95);
        expect(result.requests).toBeLessThanOrEqual(result.asked * 1.02);
        expect(Math.abs(result.rateOutside - 100)).toBeLessThan(5);
        expect(Math.abs(result.rateShutdown - 100)).toBeLessThan(5);
      }
      expect([load, loadFrom, explainFailures(lossy.failureTimes, lossy.oldPods, 0, lossy.clockUncertaintySeconds).rollout.length > 0]).toEqual([load, loadFrom, true]);
      expect(lossy.oldPods.reduce((sum: number, p: { failures: number }) => sum + p.failures, 0)).toBeGreaterThan(0);
      expect(lossy.failureTimes).toHaveLength(lossy.failures);
    }

    await pulumi(lab, "destroy", "--yes", "--skip-preview");
    expect(await settledLeftovers(lab)).toEqual({ clusters: [], processes: [] });
    expect(hostState()).toEqual(before);
  });
});
