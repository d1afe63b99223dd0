import { explainFailures, parseUnansweredConnects, sentToGonePods, TimedFailure } from "./engine/failureTiming";

// Two old pods as the real node ends them without a sleep, and with one of 5 s.
const nohookPods = [
  { deletedSeconds: 1.003, goneSeconds: 2.002 },
  { deletedSeconds: 2.022, goneSeconds: 2.991 },
];
const hookPods = [
  { deletedSeconds: 0.98, goneSeconds: 6.1 },
  { deletedSeconds: 2.9, goneSeconds: 8.05 },
];

test("without a sleep, failures from a deletion until a moment after the pod is gone are the rollout's", () => {
  const failures: TimedFailure[] = [
    { atSeconds: 0.85, kind: "connectionRefused" },
    { atSeconds: 1.5, kind: "timeout" },
    { atSeconds: 4.45, kind: "timeout" },
  ];
  expect(explainFailures(failures, nohookPods, 0)).toEqual({ rollout: failures, background: [] });
});

// Seen on the real node: timeouts of requests sent 1.09 s and 2.9 s before the restart, and 3.07 s
// after the last old pod was gone; an error fortio's log does not name, 0.58 s before the restart.
test("a failure before the restart or long after the last pod is gone is background, whatever its kind", () => {
  const failures: TimedFailure[] = [
    { atSeconds: -1.09, kind: "timeout" },
    { atSeconds: -0.582, kind: "other" },
    { atSeconds: 1.2, kind: "connectionRefused" },
    { atSeconds: 5.856, kind: "timeout" },
    { atSeconds: 6, kind: "connectionReset" },
  ];
  expect(explainFailures(failures, nohookPods, 0)).toEqual({ rollout: [failures[2]], background: [failures[0], failures[1], failures[3], failures[4]] });
});

test("with a sleep, the app listens until it ends: a failure during the sleep is background, one after it the rollout's", () => {
  const failures: TimedFailure[] = [
    { atSeconds: 3.0, kind: "timeout" },
    { atSeconds: 6.0, kind: "connectionRefused" },
    { atSeconds: 8.2, kind: "timeout" },
  ];
  expect(explainFailures(failures, hookPods, 5)).toEqual({ rollout: failures.slice(1), background: [failures[0]] });
});

test("a pod never seen gone may be sent requests until the end", () => {
  const failures: TimedFailure[] = [{ atSeconds: 30, kind: "connectionRefused" }];
  expect(explainFailures(failures, [{ deletedSeconds: 1, goneSeconds: null }], 0).rollout).toEqual(failures);
});

// conntrack's listing as it reads: the load's tuple, then the reply's, whose source is the pod.
const synSent = (remaining: number, pod: string, sport: number) =>
  `tcp      6 ${remaining} SYN_SENT src=10.89.0.2 dst=10.89.0.1 sport=${sport} dport=31377 [UNREPLIED] src=${pod} dst=10.88.0.1 sport=80 dport=${sport + 1} mark=0 use=1`;

test("an unanswered connect's entry is dated by its remaining timeout, and names the pod its NAT chose", () => {
  const text = [synSent(118, "10.88.0.3", 40000), "tcp      6 431999 ESTABLISHED src=10.89.0.2 dst=10.89.0.1 sport=1 dport=2 src=10.88.0.6 dst=10.88.0.1 sport=80 dport=3 [ASSURED] mark=0 use=1", ""].join("\n");
  expect(parseUnansweredConnects(text, 1000)).toEqual([{ podAddress: "10.88.0.3", lastSynAt: 997.5 }]);
});

// Seen on the real node (docs/contributing.md, "The fix: the load's own namespace"): the first old
// pod, gone at 2.16 s, left 8 connects unanswered at 1.79-2.04 s; new connects from the same source
// ports at 4.98-5.23 s went to it again and timed out, past every shutdown. conntrack was read 60 s
// after the restart: their entries' last SYNs came 1.02 s after each started.
test("timeouts past every shutdown are the rollout's when as many entries to a gone pod date their SYNs sent again", () => {
  const restartAt = 1000;
  const starts = [4.983, 5.012, 5.033, 5.063, 5.073, 5.113, 5.153, 5.233];
  const timeouts: TimedFailure[] = starts.map((atSeconds) => ({ atSeconds, kind: "timeout" }));
  const readAt = restartAt + 60;
  const listing = starts.map((at, i) => synSent(Math.floor(120 - (readAt - (restartAt + at + 1.02))), "10.88.0.3", 50000 + i)).join("\n");
  const connects = parseUnansweredConnects(listing, readAt);
  expect(sentToGonePods(timeouts, connects, restartAt, new Set(["10.88.0.6", "10.88.0.7"]))).toEqual({ explained: timeouts, unexplained: [] });
  // An entry to a pod still there explains nothing, and each entry explains one timeout.
  expect(sentToGonePods(timeouts, connects, restartAt, new Set(["10.88.0.3"]))).toEqual({ explained: [], unexplained: timeouts });
  expect(sentToGonePods(timeouts, connects.slice(0, 7), restartAt, new Set())).toEqual({ explained: timeouts.slice(0, 7), unexplained: [timeouts[7]] });
});

test("a timeout with no entry near its SYN sent again, or a failure of another kind, stays unexplained", () => {
  const restartAt = 1000;
  const connects = [{ podAddress: "10.88.0.3", lastSynAt: restartAt + 9 }];
  const failures: TimedFailure[] = [
    { atSeconds: 5, kind: "timeout" },
    { atSeconds: 8, kind: "connectionRefused" },
  ];
  expect(sentToGonePods(failures, connects, restartAt, new Set())).toEqual({ explained: [], unexplained: failures });
  expect(sentToGonePods([{ atSeconds: 7.5, kind: "timeout" }], connects, restartAt, new Set()).explained).toHaveLength(1);
});
