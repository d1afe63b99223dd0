// Which of a real node's failed requests the rolling restart explains, by when each started.

/** A failed request as the lab outputs it (failureTimes): its start, in seconds from the restart. */
export interface TimedFailure {
  atSeconds: number;
  kind: string;
}

/** An old pod as the lab outputs it (oldPods): deleted, and gone, in seconds from the restart. */
export interface OldPodShutdown {
  deletedSeconds: number;
  goneSeconds: number | null;
}

/** The kubelet may act on a deletion a little before the watch's event reaches this machine. */
const watchLagSeconds = 0.2;
/**
 * kube-proxy sends new connections to a pod just gone until its next sync, at most once a second
 * (the node's minSyncPeriod), where they hang until fortio's timeout.
 */
const ruleLagSeconds = 1.5;

/**
 * Sorts failures by what explains them. A request can fail because of the rollout only once an old
 * pod's app has stopped listening, its preStop sleep after its deletion, until kube-proxy stops
 * sending to it, a moment after it is gone: those are the rollout's. A timeout at any other moment
 * is background: on this machine fortio's connects of about a second (a SYN sent again) show in
 * every period, before the restart as well as after, and now and then one outlasts the timeout.
 * Any other kind at another moment has no explanation.
 */
export function explainFailures(failures: TimedFailure[], pods: OldPodShutdown[], preStopSeconds: number) {
  const duringShutdown = (f: TimedFailure) =>
    pods.some((p) => p.deletedSeconds + preStopSeconds - watchLagSeconds <= f.atSeconds && f.atSeconds <= (p.goneSeconds ?? Infinity) + ruleLagSeconds);
  const rollout = failures.filter(duringShutdown);
  const outside = failures.filter((f) => !duringShutdown(f));
  return { rollout, background: outside.filter((f) => f.kind === "timeout"), unexplained: outside.filter((f) => f.kind !== "timeout") };
}
