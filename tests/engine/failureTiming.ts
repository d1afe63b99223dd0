// Which of a real node's failed requests the rolling restart explains, by when each started.
import type { CaseResult, OldPod } from "../../lib/results";

/** A failed request as the lab outputs it (failureTimes): its start, in seconds from the restart. */
export type TimedFailure = NonNullable<CaseResult["failureTimes"]>[number];

/** An old pod as the lab outputs it (oldPods): deleted, and gone, in seconds from the restart. */
export type OldPodShutdown = Pick<OldPod, "deletedSeconds" | "goneSeconds">;

/** The kubelet may act on a deletion a little before the watch's event reaches this machine. */
const watchLagSeconds = 0.2;
/**
 * kube-proxy sends new connections to a pod just gone until its next sync, at most once a second
 * (the node's minSyncPeriod), where they hang until fortio's timeout.
 */
const ruleLagSeconds = 1.5;

/**
 * Sorts failures by when they started. A request can fail because of the rollout only once an old
 * pod's app has stopped listening, its preStop sleep after its deletion, until kube-proxy stops
 * sending to it, a moment after it is gone: those are the rollout's. Any other is background: this
 * machine shows a stray failure now and then at any moment, before the restart as well as long after
 * the last old pod is gone (a timeout, or an error fortio's log does not name).
 */
export function explainFailures(failures: TimedFailure[], pods: OldPodShutdown[], preStopSeconds: number) {
  const duringShutdown = (f: TimedFailure) =>
    pods.some((p) => p.deletedSeconds + preStopSeconds - watchLagSeconds <= f.atSeconds && f.atSeconds <= (p.goneSeconds ?? Infinity) + ruleLagSeconds);
  return { rollout: failures.filter(duringShutdown), background: failures.filter((f) => !duringShutdown(f)) };
}
