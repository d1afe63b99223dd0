import { explainFailures, TimedFailure } from "./engine/failureTiming";

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
