// scripts/old-pods.sh on watch logs written by hand, as rollout-test.sh stamps them.
import { execFileSync } from "child_process";
import * as path from "path";

const script = path.resolve(__dirname, "../../scripts/old-pods.sh");
const oldPods = (log: string[], old = "demo-a demo-b") =>
  execFileSync("bash", [script], { input: log.map((l) => `${l}\n`).join(""), env: { PATH: process.env.PATH, OLD_PODS: old, RESTART_AT: "1000" }, encoding: "utf8" });

test("each old pod deleted at its first event with a deletion time, gone at its DELETED event, in the order of deletion", () => {
  const out = oldPods([
    "999.100 ADDED demo-a ",
    "999.100 ADDED demo-b ",
    "1000.412 MODIFIED demo-b 2026-01-01T00:00:30Z",
    "1000.500 ADDED demo-c ",
    "1000.900 MODIFIED demo-a 2026-01-01T00:00:30Z",
    "1001.000 MODIFIED demo-a 2026-01-01T00:00:05Z",
    "1005.250 DELETED demo-b 2026-01-01T00:00:05Z",
    "1006.000 DELETED demo-a 2026-01-01T00:00:05Z",
    "1006.500 MODIFIED demo-c ",
  ]);
  expect(out).toBe("study-pod: demo-b deleted=0.412 gone=5.250\nstudy-pod: demo-a deleted=0.900 gone=6.000\n");
});

test("a pod still there at the end is never gone; a new pod is no old one", () => {
  expect(oldPods(["1000.5 MODIFIED demo-a 2026-01-01T00:00:00Z", "1000.7 MODIFIED demo-c 2026-01-01T00:00:00Z"])).toBe(
    "study-pod: demo-a deleted=0.500 gone=never\n",
  );
});

test("a pod whose DELETED event is the first seen of its deletion is deleted and gone at once", () => {
  expect(oldPods(["1002 DELETED demo-a 2026-01-01T00:00:00Z"])).toBe("study-pod: demo-a deleted=2.000 gone=2.000\n");
});
