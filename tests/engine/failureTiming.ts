// Which of a real node's failed requests the rolling restart explains, by when each started.
import { CaseResult, OldPod, withinShutdown } from "../../lib/results";

/** A failed request as the lab outputs it (failureTimes): its start, in seconds from the restart. */
export type TimedFailure = NonNullable<CaseResult["failureTimes"]>[number];

/** An old pod as the lab outputs it (oldPods): deleted, and gone, in seconds from the restart. */
export type OldPodShutdown = Pick<OldPod, "deletedSeconds" | "goneSeconds">;

/**
 * Sorts failures by when they started. A request can fail because of the rollout only once an old
 * pod's app has stopped listening, its preStop sleep after its deletion, until kube-proxy stops
 * sending to it, a moment after it is gone (lib/results.ts, withinShutdown): those are the rollout's.
 * Any other is a stray, which the real node's scenario allows none of.
 */
export function explainFailures(failures: TimedFailure[], pods: OldPodShutdown[], preStopSeconds: number, clockUncertaintySeconds = 0) {
  const duringShutdown = (f: TimedFailure) => withinShutdown(f.atSeconds, pods, preStopSeconds, clockUncertaintySeconds);
  return { rollout: failures.filter(duringShutdown), background: failures.filter((f) => !duringShutdown(f)) };
}

/** A connect conntrack still holds unanswered (SYN_SENT), with its NAT to a pod. */
export interface UnansweredConnect {
  podAddress: string;
  /** When its last SYN passed, in seconds since the epoch. */
  lastSynAt: number;
}

/**
 * Reads `conntrack -L -p tcp --state SYN_SENT`, listed at `readAt` (seconds since the epoch): each
 * entry's remaining timeout counts down from net.netfilter.nf_conntrack_tcp_timeout_syn_sent (120 s)
 * since its last SYN, in whole seconds, which dates that SYN to within a second; the reply's source
 * is the pod the NAT chose.
 */
export function parseUnansweredConnects(text: string, readAt: number, synSentTimeoutSeconds = 120): UnansweredConnect[] {
  const connects: UnansweredConnect[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields[3] !== "SYN_SENT") continue;
    const remaining = Number(fields[2]);
    const podAddress = fields.filter((f) => f.startsWith("src="))[1]?.slice(4);
    if (!Number.isFinite(remaining) || !podAddress) continue;
    connects.push({ podAddress, lastSynAt: readAt - (synSentTimeoutSeconds - remaining) - 0.5 });
  }
  return connects;
}

/**
 * Which timeouts were connects that conntrack sent to a pod already gone, by an entry of an earlier
 * connect that pod left unanswered: a new connect from the same source port is taken for that one's
 * SYN sent again and keeps its NAT (net/netfilter/nf_conntrack_proto_tcp.c, tcp_conntracks: a SYN
 * in SYN_SENT stays SYN_SENT), however long the pod has been gone (docs/contributing.md, "The fix:
 * the load's own namespace", the 7th run). fortio sends the SYN again 1 s after the first and gives
 * up at 2 s, so such a timeout leaves an entry to a gone pod whose last SYN came about 1 s after it
 * started. Each entry explains one timeout, the nearest in time, taken in the order given (by start:
 * a timeout in a shutdown takes its own entry before a later one could); a failure of another kind
 * stays unexplained. `restartAt` and the failures' start share one clock: the real node's pods,
 * the cluster's load among them, run on this machine.
 */
export function sentToGonePods(failures: TimedFailure[], connects: UnansweredConnect[], restartAt: number, livePods: Set<string>) {
  const toleranceSeconds = 1;
  const left = connects.filter((c) => !livePods.has(c.podAddress));
  const explained: TimedFailure[] = [];
  const unexplained: TimedFailure[] = [];
  for (const failure of failures) {
    const expectedLastSyn = restartAt + failure.atSeconds + 1;
    const off = (c: UnansweredConnect) => Math.abs(c.lastSynAt - expectedLastSyn);
    let best = -1;
    if (failure.kind === "timeout") {
      for (const [i, c] of left.entries()) if (off(c) <= toleranceSeconds && (best < 0 || off(c) < off(left[best]))) best = i;
    }
    if (best < 0) unexplained.push(failure);
    else {
      explained.push(failure);
      left.splice(best, 1);
    }
  }
  return { explained, unexplained };
}
