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
