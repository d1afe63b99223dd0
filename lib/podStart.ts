/**
 * Which containers of a Deployment's pods cannot start, read from `kubectl get pods -o json` as the
 * kubelet reports them, and the sentence that names them. scripts/watch-pod-start.ts polls the pods
 * with it while scripts/rollout-test.sh waits for a rollout, so that a case whose pods cannot start
 * fails within a bounded time, saying why, instead of when the rollout's own wait runs out.
 */

/**
 * Waiting reasons no retry can cure: the kubelet never pulls the image (imagePullPolicy: Never and
 * the image is not on the node), or cannot parse its name. A container held by one cannot start.
 */
export const HOPELESS_REASONS = ["ErrImageNeverPull", "InvalidImageName"] as const;

/**
 * Waiting reasons the kubelet retries, which a retry may cure (a registry's blip, a ConfigMap or
 * Secret created a moment late, a crash on a dependency not up yet): a container cannot start once
 * it has been held by them for CANNOT_START_AFTER_SECONDS. A failed pull shows ErrImagePull and
 * ImagePullBackOff in turn, so any of them keeps the same clock running.
 */
export const RETRIED_REASONS = [
  "ErrImagePull",
  "ImagePullBackOff",
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
  "CrashLoopBackOff",
] as const;

/**
 * 60 s. The kubelet retries a failed pull, and restarts a crashed container, after a back-off of 10 s
 * that doubles each time (10, 20, 40 s, up to 300 s): within 60 s of the first failure it has tried
 * twice more (about 10 s and 30 s after it), and the next try would come only after 70 s. A pull that
 * has failed three times in a row is no blip, and the case fails well before the rollout's own wait
 * (rolloutTimeoutSeconds, 300 s by default) or the provider's (10 minutes) would have run out.
 */
export const CANNOT_START_AFTER_SECONDS = 60;

interface ContainerStatus {
  name: string;
  image?: string;
  ready?: boolean;
  state?: {
    waiting?: { reason?: string; message?: string };
    running?: object;
    terminated?: { exitCode?: number };
  };
}

interface ContainerSpec {
  name: string;
  image?: string;
  restartPolicy?: string;
}

interface Pod {
  metadata: { name: string; deletionTimestamp?: string };
  spec?: { containers?: ContainerSpec[]; initContainers?: ContainerSpec[] };
  status?: { containerStatuses?: ContainerStatus[]; initContainerStatuses?: ContainerStatus[] };
}

/** `kubectl get pods -o json`: the parts read here. */
export interface PodList {
  items: Pod[];
}

/** A container held by a reason it cannot start for. */
export interface HeldContainer {
  /** The same container from one poll to the next: its pod and name. */
  key: string;
  pod: string;
  container: string;
  /** An init container with restartPolicy: Always is a sidecar container (Istio's native sidecar). */
  kind: "container" | "init container" | "sidecar container";
  image: string;
  reason: string;
  message: string;
  /** A reason no retry can cure. */
  hopeless: boolean;
  /** How long it has been held so, as the polls saw it. */
  heldSeconds: number;
}

export interface PodStartPoll {
  /** When each container now held by a reason was first seen so, in seconds: for the next poll. */
  since: Record<string, number>;
  /** The containers that cannot start: hopeless ones first, then the longest held. */
  cannotStart: HeldContainer[];
}

type Seen = { held: Omit<HeldContainer, "heldSeconds"> } | { key: string; started: boolean };

function containersOf(pod: Pod): Seen[] {
  const specs = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const statuses = [
    ...(pod.status?.initContainerStatuses ?? []).map((status) => ({ status, init: true })),
    ...(pod.status?.containerStatuses ?? []).map((status) => ({ status, init: false })),
  ];
  return statuses.map(({ status, init }): Seen => {
    const key = `${pod.metadata.name}/${status.name}`;
    const spec = specs.find((s) => s.name === status.name);
    const reason = status.state?.waiting?.reason ?? "";
    const hopeless = (HOPELESS_REASONS as readonly string[]).includes(reason);
    if (hopeless || (RETRIED_REASONS as readonly string[]).includes(reason)) {
      const kind = !init ? "container" : spec?.restartPolicy === "Always" ? "sidecar container" : "init container";
      const image = status.image || spec?.image || "unknown";
      return { held: { key, pod: pod.metadata.name, container: status.name, kind, image, reason, message: oneLine(status.state?.waiting?.message), hopeless } };
    }
    // Ready, or an init container that completed: whatever held it is over. A container that runs
    // but is not ready may be between two crashes of a crash loop, which keeps its clock.
    return { key, started: status.ready === true || status.state?.terminated?.exitCode === 0 };
  });
}

/**
 * One poll of the pods: `since` is the previous poll's, `now` in seconds. A pod being deleted is left
 * out: no rollout waits for it. A container's clock starts at the first poll that sees it held, and
 * stops once it is seen ready (or completed), or gone.
 */
export function pollPodStart(list: PodList, since: Record<string, number>, now: number, boundSeconds = CANNOT_START_AFTER_SECONDS): PodStartPoll {
  const next: Record<string, number> = {};
  const cannotStart: HeldContainer[] = [];
  for (const seen of list.items.filter((pod) => !pod.metadata.deletionTimestamp).flatMap(containersOf)) {
    if ("held" in seen) {
      const first = since[seen.held.key] ?? now;
      next[seen.held.key] = first;
      const heldSeconds = now - first;
      if (seen.held.hopeless || heldSeconds >= boundSeconds) cannotStart.push({ ...seen.held, heldSeconds });
    } else if (!seen.started && since[seen.key] !== undefined) {
      next[seen.key] = since[seen.key];
    }
  }
  cannotStart.sort((a, b) => Number(b.hopeless) - Number(a.hopeless) || b.heldSeconds - a.heldSeconds || a.key.localeCompare(b.key));
  return { since: next, cannotStart };
}

interface KubeEvent {
  type?: string;
  reason?: string;
  message?: string;
  involvedObject?: { kind?: string; name?: string; fieldPath?: string };
  lastTimestamp?: string | null;
  eventTime?: string | null;
  firstTimestamp?: string | null;
  series?: { lastObservedTime?: string } | null;
  metadata?: { creationTimestamp?: string };
}

/** `kubectl get events -o json`: the parts read here. */
export interface EventList {
  items: KubeEvent[];
}

export interface Warning {
  reason: string;
  message: string;
}

/** When an event was last seen, in ms: the legacy API's lastTimestamp, or events.k8s.io's series and eventTime. */
function lastSeen(event: KubeEvent): number {
  const times = [event.series?.lastObservedTime, event.lastTimestamp, event.eventTime, event.firstTimestamp, event.metadata?.creationTimestamp];
  return Math.max(0, ...times.map((t) => (t ? Date.parse(t) : NaN)).filter((t) => !Number.isNaN(t)));
}

/**
 * Whether an event's message tells more than the waiting message: not the kubelet's echo of a
 * waiting reason after each try ("Error: ImagePullBackOff"), nor the waiting message itself, nor a
 * detail it already holds (since Kubernetes 1.32 the back-off's message carries the last pull's
 * error, which the "Failed to pull image <image>: <error>" event gives too).
 */
function tellsMore(message: string, waitingMessage: string): boolean {
  const detail = message.slice(message.indexOf(": ") + 2);
  return !/^Error: \w+$/.test(message) && message !== waitingMessage && !(message.includes(": ") && waitingMessage.includes(detail));
}

/**
 * The latest Warning event that tells more than the sentence already does: of the container itself
 * when the kubelet warned about it at all, else of its pod. A container with warnings of its own has
 * its story in them; a warning of the pod beside them is about something else (on the engine's real
 * node, one with no cluster DNS, every pod's MissingClusterDNS came after an ErrImageNeverPull).
 */
export function latestWarning(events: EventList, held: Pick<HeldContainer, "pod" | "container" | "message">): Warning | undefined {
  const ofPod = events.items.filter((e) => e.type === "Warning" && e.involvedObject?.kind === "Pod" && e.involvedObject.name === held.pod);
  const paths = [`spec.containers{${held.container}}`, `spec.initContainers{${held.container}}`];
  const ofContainer = ofPod.filter((e) => paths.includes(e.involvedObject?.fieldPath ?? ""));
  const candidates = (ofContainer.length > 0 ? ofContainer : ofPod).filter((e) => tellsMore(oneLine(e.message), held.message));
  // The last of the latest: a list that holds two of one time gives the later one last.
  const latest = candidates.reduce<KubeEvent | undefined>((best, e) => (best === undefined || lastSeen(e) >= lastSeen(best) ? e : best), undefined);
  return latest && { reason: latest.reason ?? "", message: oneLine(latest.message) };
}

/**
 * What a failed measurement says: the first container that cannot start (its kind, name, pod,
 * image, waiting reason, for how long if a retry might have cured it, and message), the pod's latest
 * telling warning, and the others that cannot start, by name.
 */
export function cannotStartSentence(cannotStart: HeldContainer[], warning?: Warning): string {
  const [first, ...others] = cannotStart;
  const held = first.hopeless ? first.reason : `${first.reason} for ${Math.round(first.heldSeconds)}s`;
  let sentence = `${first.kind} ${first.container} of pod ${first.pod} cannot start: image ${first.image}, ${held}`;
  if (first.message) sentence += `: ${first.message}`;
  if (warning) sentence += `; the pod's latest warning: ${warning.reason}: ${warning.message}`;
  if (others.length > 0) sentence += `; ${others.length} more cannot start: ${others.map((o) => `${o.container} of pod ${o.pod} (${o.reason})`).join(", ")}`;
  return sentence;
}

const longest = 500;

/** A message on one line (it ends up on the test's single status line), cut if very long. */
function oneLine(text: string | undefined): string {
  const line = (text ?? "").replace(/\s+/g, " ").trim();
  return line.length > longest ? `${line.slice(0, longest - 1)}…` : line;
}
