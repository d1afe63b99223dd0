// scripts/existing-cluster.sh with a kubectl whose context reaches the cluster KUBE_SYSTEM_UID names
// (empty: a context that does not answer).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const script = path.resolve(__dirname, "../../scripts/existing-cluster.sh");

/** KUBE_SYSTEM_UID: the cluster the context reaches; RECORD: the one recorded, as update and check each get it. */
function existingCluster(verb: string, { KUBE_SYSTEM_UID, RECORD }: { KUBE_SYSTEM_UID: string; RECORD?: string }) {
  const recorded = RECORD === undefined ? {} : verb === "update" ? { PULUMI_COMMAND_STDOUT: RECORD } : { RECORDED_UID: RECORD };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "existing-cluster-"));
  try {
    const calls = path.join(dir, "calls");
    fs.writeFileSync(
      path.join(dir, "kubectl"),
      `#!/bin/sh
echo "kubectl $*" >>'${calls}'
[ -n "$KUBE_SYSTEM_UID" ] || { echo 'Unable to connect to the server: dial tcp 127.0.0.1:6443: connect: connection refused' >&2; exit 1; }
[ "$*" = "--context lab --request-timeout=20s get namespace kube-system -o jsonpath={.metadata.uid}" ] || { echo "unexpected: $*" >&2; exit 2; }
printf '%s' "$KUBE_SYSTEM_UID"
`,
      { mode: 0o755 },
    );
    const run = spawnSync("bash", [script, verb], { encoding: "utf8", env: { PATH: `${dir}:${process.env.PATH}`, KUBE_CONTEXT: "lab", KUBE_SYSTEM_UID, ...recorded } });
    const lines = fs.existsSync(calls) ? fs.readFileSync(calls, "utf8").trim().split("\n") : [];
    return { code: run.status, stdout: run.stdout, stderr: run.stderr, calls: lines };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const first = "0b9e3c1a-5d2f-4e6b-8a7c-1f2e3d4c5b6a";
const other = "7f6e5d4c-3b2a-4190-8f7e-6d5c4b3a2918";

test("record prints the uid of the cluster's kube-system namespace", () => {
  expect(existingCluster("record", { KUBE_SYSTEM_UID: first })).toMatchObject({ code: 0, stdout: `${first}\n` });
});

test("check passes on the cluster recorded", () => {
  expect(existingCluster("check", { KUBE_SYSTEM_UID: first, RECORD: `${first}\n` })).toMatchObject({ code: 0, stderr: "" });
});

test.each(["check", "update"])("%s fails, naming both clusters and the way out, when the context now reaches another cluster", (verb) => {
  const run = existingCluster(verb, { KUBE_SYSTEM_UID: other, RECORD: `${first}\n` });
  expect(run.code).toBe(1);
  expect(run.stderr).toContain(
    `refusing to go on through context lab: it now reaches another cluster (kube-system ${other}) than the one this stack made its objects in (kube-system ${first})`,
  );
  expect(run.stderr).toContain("Nothing was deleted there, and the state still holds every object made there. Point the context back to that cluster");
  expect(run.stdout).toBe("");
});

test("update on the cluster recorded keeps the record", () => {
  expect(existingCluster("update", { KUBE_SYSTEM_UID: first, RECORD: `${first}\n` })).toMatchObject({ code: 0, stdout: `${first}\n` });
});

test.each(["check", "update"])("%s leaves a cluster that does not answer to the provider, which cannot delete anything there either, and keeps the record", (verb) => {
  const run = existingCluster(verb, { KUBE_SYSTEM_UID: "", RECORD: `${first}\n` });
  expect(run.code).toBe(0);
  expect(run.stderr).toContain("context lab does not answer (Unable to connect to the server");
  expect(run.stdout).toBe(verb === "update" ? `${first}\n` : "");
});

test("check of a record that holds nothing passes", () => {
  expect(existingCluster("check", { KUBE_SYSTEM_UID: other, RECORD: "" }).code).toBe(0);
});
