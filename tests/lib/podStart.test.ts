import {
  CANNOT_START_AFTER_SECONDS,
  cannotStartSentence,
  EventList,
  latestWarning,
  PodList,
  pollPodStart,
  RETRIED_REASONS,
} from "../../lib/podStart";

// Pods as `kubectl get pods -o json` gives them (the kubelet's status, trimmed of fields not read):
// Istio's injection with a classic sidecar (istio-proxy among the containers) or a native one (an
// init container with restartPolicy: Always).
const proxyImage = "docker.io/istio/proxyv2:1.31.0";
const running = { state: { running: { startedAt: "2026-05-04T10:00:05Z" } }, ready: true, started: true };
const initialized = { state: { terminated: { exitCode: 0, reason: "Completed", startedAt: "2026-05-04T10:00:01Z", finishedAt: "2026-05-04T10:00:02Z" } }, ready: true, started: false };
const podInitializing = { state: { waiting: { reason: "PodInitializing" } }, ready: false, started: false };
const waiting = (reason: string, message?: string) => ({ state: { waiting: { reason, ...(message && { message }) } }, ready: false, started: false });

function status(name: string, image: string, state: object) {
  return { name, image, imageID: "", containerID: "", lastState: {}, restartCount: 0, ...state };
}

function nativePod(name: string, proxy: object, extra: { deletionTimestamp?: string } = {}) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "demo-site", uid: `uid-${name}`, labels: { app: "demo-site" }, ...extra },
    spec: {
      initContainers: [
        { name: "istio-init", image: proxyImage, args: ["istio-iptables"] },
        { name: "istio-proxy", image: proxyImage, restartPolicy: "Always", args: ["proxy", "sidecar"] },
      ],
      containers: [{ name: "nginx", image: "nginx:1.29" }],
    },
    status: {
      phase: "Pending",
      qosClass: "Burstable",
      initContainerStatuses: [status("istio-init", proxyImage, initialized), status("istio-proxy", proxyImage, proxy)],
      containerStatuses: [status("nginx", "nginx:1.29", podInitializing)],
    },
  };
}

function classicPod(name: string, proxy: object, nginx: object = running) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "demo-site", labels: { app: "demo-site" } },
    spec: {
      initContainers: [{ name: "istio-init", image: proxyImage }],
      containers: [
        { name: "nginx", image: "nginx:1.29" },
        { name: "istio-proxy", image: proxyImage },
      ],
    },
    status: {
      phase: "Pending",
      initContainerStatuses: [status("istio-init", proxyImage, initialized)],
      containerStatuses: [status("istio-proxy", proxyImage, proxy), status("nginx", "nginx:1.29", nginx)],
    },
  };
}

const list = (...items: object[]): PodList => ({ apiVersion: "v1", kind: "List", items, metadata: { resourceVersion: "" } }) as unknown as PodList;

const pullError = `rpc error: code = NotFound desc = failed to pull and unpack image "${proxyImage}": failed to resolve reference "${proxyImage}": ${proxyImage}: not found`;
const neverPull = `Container image "${proxyImage}" is not present with pull policy of Never`;
const backOff = (image: string) => `Back-off pulling image "${image}"`;

describe("pollPodStart", () => {
  test.each([
    ["ErrImageNeverPull", neverPull],
    ["InvalidImageName", `Failed to apply default image tag "docker.io/istio/proxyv2:": couldn't parse image name: invalid reference format`],
  ])("%s: a native sidecar that cannot start at the first poll, no retry can help", (reason, message) => {
    const poll = pollPodStart(list(nativePod("demo-site-a", waiting(reason, message))), {}, 1000);
    expect(poll.cannotStart).toEqual([
      { key: "demo-site-a/istio-proxy", pod: "demo-site-a", container: "istio-proxy", kind: "sidecar container", image: proxyImage, reason, message, hopeless: true, heldSeconds: 0 },
    ]);
  });

  test.each(RETRIED_REASONS.map((reason) => [reason]))("%s: cannot start only once held for the bound", (reason) => {
    const pods = list(classicPod("demo-site-a", waiting(reason, "why")));
    const first = pollPodStart(pods, {}, 1000);
    expect(first).toEqual({ since: { "demo-site-a/istio-proxy": 1000 }, cannotStart: [] });
    const before = pollPodStart(pods, first.since, 1000 + CANNOT_START_AFTER_SECONDS - 1);
    expect(before.cannotStart).toEqual([]);
    const after = pollPodStart(pods, before.since, 1000 + CANNOT_START_AFTER_SECONDS);
    expect(after.cannotStart).toMatchObject([{ container: "istio-proxy", kind: "container", reason, message: "why", hopeless: false, heldSeconds: CANNOT_START_AFTER_SECONDS }]);
  });

  test("a failed pull shows ErrImagePull and ImagePullBackOff in turn: one clock, from the first", () => {
    let since = pollPodStart(list(nativePod("demo-site-a", waiting("ErrImagePull", pullError))), {}, 0, 30).since;
    since = pollPodStart(list(nativePod("demo-site-a", waiting("ImagePullBackOff", backOff(proxyImage)))), since, 12, 30).since;
    since = pollPodStart(list(nativePod("demo-site-a", waiting("ErrImagePull", pullError))), since, 24, 30).since;
    const poll = pollPodStart(list(nativePod("demo-site-a", waiting("ImagePullBackOff", backOff(proxyImage)))), since, 31, 30);
    expect(poll.cannotStart).toMatchObject([{ pod: "demo-site-a", container: "istio-proxy", reason: "ImagePullBackOff", heldSeconds: 31 }]);
  });

  test("a pull that succeeds after a back-off: the container runs, its clock stops, and a later failure starts a new one", () => {
    const held = pollPodStart(list(nativePod("demo-site-a", waiting("ImagePullBackOff", backOff(proxyImage)))), {}, 0);
    const recovered = pollPodStart(list(nativePod("demo-site-a", running)), held.since, 20);
    expect(recovered).toEqual({ since: {}, cannotStart: [] });
    const again = pollPodStart(list(nativePod("demo-site-a", waiting("CrashLoopBackOff", "back-off 10s restarting failed container"))), recovered.since, 70);
    expect(again).toEqual({ since: { "demo-site-a/istio-proxy": 70 }, cannotStart: [] });
  });

  test("a crash loop's runs between its back-offs (running, not ready) do not stop the clock", () => {
    const crashing = waiting("CrashLoopBackOff", "back-off 20s restarting failed container=istio-proxy pod=demo-site-a_demo-site(uid)");
    const notReady = { state: { running: { startedAt: "2026-05-04T10:00:30Z" } }, ready: false, started: false };
    const crashed = { state: { terminated: { exitCode: 1, reason: "Error" } }, ready: false, started: false };
    let since = pollPodStart(list(classicPod("demo-site-a", crashing)), {}, 0).since;
    since = pollPodStart(list(classicPod("demo-site-a", notReady)), since, 30).since;
    since = pollPodStart(list(classicPod("demo-site-a", crashed)), since, 40).since;
    expect(since).toEqual({ "demo-site-a/istio-proxy": 0 });
    expect(pollPodStart(list(classicPod("demo-site-a", crashing)), since, 60).cannotStart).toMatchObject([{ reason: "CrashLoopBackOff", heldSeconds: 60 }]);
  });

  test("an init container that fails is named as one; containers waiting for it to finish are not held", () => {
    const pod = nativePod("demo-site-a", podInitializing);
    pod.status.initContainerStatuses[0] = status("istio-init", proxyImage, waiting("CrashLoopBackOff", "back-off 40s restarting failed container=istio-init"));
    const poll = pollPodStart(list(pod), { "demo-site-a/istio-init": 0 }, 60);
    expect(poll.cannotStart.map((c) => [c.container, c.kind])).toEqual([["istio-init", "init container"]]);
  });

  test("pods starting as they should: nothing held", () => {
    const creating = { state: { waiting: { reason: "ContainerCreating" } }, ready: false, started: false };
    const pods = list(nativePod("demo-site-a", running), nativePod("demo-site-b", creating), classicPod("demo-site-c", podInitializing, podInitializing));
    expect(pollPodStart(pods, {}, 0)).toEqual({ since: {}, cannotStart: [] });
    expect(pollPodStart(list({ metadata: { name: "demo-site-d" }, status: { phase: "Pending" } }), {}, 0)).toEqual({ since: {}, cannotStart: [] });
  });

  test("a pod being deleted is left out, and a container gone from the list is forgotten", () => {
    const deleting = nativePod("demo-site-old", waiting("ErrImageNeverPull", neverPull), { deletionTimestamp: "2026-05-04T10:01:00Z" });
    expect(pollPodStart(list(deleting), { "demo-site-old/istio-proxy": 0, "demo-site-gone/istio-proxy": 0 }, 100)).toEqual({ since: {}, cannotStart: [] });
  });

  test("hopeless ones first, then the longest held; the image from the spec when the status has none", () => {
    const noImage = classicPod("demo-site-c", waiting("ImagePullBackOff", backOff(proxyImage)));
    delete (noImage.status.containerStatuses[0] as { image?: string }).image;
    const pods = list(nativePod("demo-site-a", waiting("ImagePullBackOff")), nativePod("demo-site-b", waiting("ErrImageNeverPull", neverPull)), noImage);
    const poll = pollPodStart(pods, { "demo-site-a/istio-proxy": 50, "demo-site-c/istio-proxy": 10 }, 110);
    expect(poll.cannotStart.map((c) => [c.pod, c.reason, c.heldSeconds, c.image])).toEqual([
      ["demo-site-b", "ErrImageNeverPull", 0, proxyImage],
      ["demo-site-c", "ImagePullBackOff", 100, proxyImage],
      ["demo-site-a", "ImagePullBackOff", 60, proxyImage],
    ]);
  });
});

// Events as `kubectl get events -o json` lists them: the kubelet's (the legacy API: lastTimestamp and
// count) and a component's of events.k8s.io (eventTime and series, no lastTimestamp).
function event(type: string, reason: string, message: string, at: string, fieldPath?: string, pod = "demo-site-a") {
  return {
    apiVersion: "v1",
    kind: "Event",
    type,
    reason,
    message,
    count: 3,
    involvedObject: { apiVersion: "v1", kind: "Pod", name: pod, namespace: "demo-site", ...(fieldPath && { fieldPath }) },
    source: { component: "kubelet", host: "node" },
    firstTimestamp: "2026-05-04T10:00:01Z",
    lastTimestamp: at,
    metadata: { name: `${pod}.18a`, namespace: "demo-site", creationTimestamp: "2026-05-04T10:00:01Z" },
  };
}
const proxyPath = "spec.initContainers{istio-proxy}";
const events = (...items: object[]): EventList => ({ apiVersion: "v1", kind: "List", items }) as unknown as EventList;
const held = { pod: "demo-site-a", container: "istio-proxy", message: backOff(proxyImage) };

describe("latestWarning", () => {
  test("a pull that keeps failing: the pull's error, not the kubelet's echo of the reason nor a Normal event", () => {
    const list = events(
      event("Normal", "Pulling", `Pulling image "${proxyImage}"`, "2026-05-04T10:00:40Z", proxyPath),
      event("Warning", "Failed", `Failed to pull image "${proxyImage}": ${pullError}`, "2026-05-04T10:00:41Z", proxyPath),
      event("Warning", "Failed", "Error: ErrImagePull", "2026-05-04T10:00:41Z", proxyPath),
      event("Normal", "BackOff", backOff(proxyImage), "2026-05-04T10:00:55Z", proxyPath),
      event("Warning", "Failed", "Error: ImagePullBackOff", "2026-05-04T10:00:55Z", proxyPath),
    );
    expect(latestWarning(list, held)).toEqual({ reason: "Failed", message: `Failed to pull image "${proxyImage}": ${pullError}` });
  });

  test("left out when the waiting message says it already (a kubelet of 1.32 or later gives the pull's error in it)", () => {
    const list = events(event("Warning", "Failed", `Failed to pull image "${proxyImage}": ${pullError}`, "2026-05-04T10:00:41Z", proxyPath));
    expect(latestWarning(list, { ...held, message: `${backOff(proxyImage)}: ErrImagePull: ${pullError}` })).toBeUndefined();
    const never = events(event("Warning", "ErrImageNeverPull", neverPull, "2026-05-04T10:00:41Z", proxyPath), event("Warning", "Failed", "Error: ErrImageNeverPull", "2026-05-04T10:00:42Z", proxyPath));
    expect(latestWarning(never, { ...held, message: neverPull })).toBeUndefined();
  });

  test("a warning of the pod is not taken for the story of a container the kubelet warned about itself", () => {
    // As on the engine's real node, which has no cluster DNS: the pod's warning came after the container's.
    const dns = event("Warning", "MissingClusterDNS", "pod: \"demo-site-a\". kubelet does not have ClusterDNS IP configured", "2026-05-04T10:00:50Z");
    const never = event("Warning", "ErrImageNeverPull", neverPull, "2026-05-04T10:00:41Z", proxyPath);
    expect(latestWarning(events(never, dns), { ...held, message: neverPull })).toBeUndefined();
    expect(latestWarning(events(dns), { ...held, message: neverPull })).toEqual({ reason: "MissingClusterDNS", message: expect.stringContaining("ClusterDNS") });
  });

  test("the container's own warning before the pod's, the latest by events.k8s.io's series too; other pods' never", () => {
    const sandbox = event("Warning", "FailedCreatePodSandBox", "failed to setup network for sandbox", "2026-05-04T10:02:00Z");
    const other = event("Warning", "Failed", "Error: configmap \"other\" not found", "2026-05-04T10:03:00Z", proxyPath, "demo-site-b");
    const older = event("Warning", "Failed", "Error: secret \"istio-ca-root-cert\" not found", "2026-05-04T10:00:30Z", proxyPath);
    const newer = { ...event("Warning", "Failed", "Error: configmap \"istio-ca-root-cert\" not found", "", proxyPath), lastTimestamp: null, eventTime: "2026-05-04T10:00:20.000000Z", series: { count: 4, lastObservedTime: "2026-05-04T10:01:10.000000Z" } };
    expect(latestWarning(events(older, newer, sandbox, other), held)).toEqual({ reason: "Failed", message: "Error: configmap \"istio-ca-root-cert\" not found" });
    expect(latestWarning(events(sandbox, other), held)).toEqual({ reason: "FailedCreatePodSandBox", message: "failed to setup network for sandbox" });
    expect(latestWarning(events(other), held)).toBeUndefined();
  });
});

describe("cannotStartSentence", () => {
  const base = { key: "demo-site-a/istio-proxy", pod: "demo-site-a", container: "istio-proxy", kind: "sidecar container" as const, image: proxyImage };

  test("names the container, its pod, its image, the reason and its message, and the warning", () => {
    const neverPulled = { ...base, reason: "ErrImageNeverPull", message: neverPull, hopeless: true, heldSeconds: 0 };
    expect(cannotStartSentence([neverPulled])).toBe(
      `sidecar container istio-proxy of pod demo-site-a cannot start: image ${proxyImage}, ErrImageNeverPull: ${neverPull}`,
    );
    const backingOff = { ...base, reason: "ImagePullBackOff", message: backOff(proxyImage), hopeless: false, heldSeconds: 61.4 };
    expect(cannotStartSentence([backingOff], { reason: "Failed", message: "Failed to pull image: not found" })).toBe(
      `sidecar container istio-proxy of pod demo-site-a cannot start: image ${proxyImage}, ImagePullBackOff for 61s: ${backOff(proxyImage)}; ` +
        "the pod's latest warning: Failed: Failed to pull image: not found",
    );
  });

  test("the others by name, and a message on one line, cut if very long", () => {
    const first = { ...base, kind: "container" as const, reason: "CreateContainerError", message: "", hopeless: false, heldSeconds: 60 };
    const others = [
      { ...base, pod: "demo-site-b", reason: "ImagePullBackOff", message: "", hopeless: false, heldSeconds: 60 },
      { ...base, pod: "demo-site-c", container: "nginx", reason: "CrashLoopBackOff", message: "", hopeless: false, heldSeconds: 60 },
    ];
    expect(cannotStartSentence([first, ...others])).toBe(
      `container istio-proxy of pod demo-site-a cannot start: image ${proxyImage}, CreateContainerError for 60s; ` +
        "2 more cannot start: istio-proxy of pod demo-site-b (ImagePullBackOff), nginx of pod demo-site-c (CrashLoopBackOff)",
    );
    const pod = classicPod("demo-site-a", waiting("CreateContainerError", `failed to create\n  containerd task:\n${"x".repeat(1000)}`));
    const [long] = pollPodStart(list(pod), { "demo-site-a/istio-proxy": 0 }, 60).cannotStart;
    expect(long.message).toMatch(/^failed to create containerd task: x+…$/);
    expect(long.message).toHaveLength(500);
  });
});
