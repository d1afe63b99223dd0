// Every shell script of the project, the fake cluster's and the engine's included, is shellcheck-clean.
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const projectDir = path.resolve(__dirname, "../..");
const sourcedScripts = ["process-group.sh", "load-siege.sh", "load-fortio.sh", "load-clock.sh", "rollout-wait.sh", "mesh-pods.sh"];
const scripts = [
  ...fs
    .readdirSync(path.join(projectDir, "scripts"))
    .filter((f) => f.endsWith(".sh") && !sourcedScripts.includes(f))
    .map((f) => `scripts/${f}`),
  ...fs.readdirSync(path.join(projectDir, "tests/support/fake-cluster")).map((f) => `tests/support/fake-cluster/${f}`),
  ".ci/run",
  "tests/run.sh",
  "engine/install.sh",
  "engine/env.sh",
  "engine/standins/minikube",
  "engine/standins/docker",
  "engine/node/node.sh",
  "engine/node/observe.sh",
  "engine/node/series.sh",
];
// Sourced by the scripts above, which set the shell's options for it.
const sourced = ["engine/common.sh", "engine/istio/parts.sh", "engine/node/parts.sh", "engine/node/host.sh", ...sourcedScripts.map((f) => `scripts/${f}`)];
const haveShellcheck = spawnSync("shellcheck", ["--version"]).status === 0;
if (!haveShellcheck) console.warn("shellcheck is not on PATH: the script lint is skipped (apt-get install shellcheck)");

(haveShellcheck ? test.each([...scripts, ...sourced]) : test.skip.each([...scripts, ...sourced]))("%s passes shellcheck", (script) => {
  expect(() => execFileSync("shellcheck", ["--shell=bash", "--external-sources", script], { cwd: projectDir, encoding: "utf8" })).not.toThrow();
});

test.each(scripts)("%s stops on the first error (set -euo pipefail)", (script) => {
  expect(fs.readFileSync(path.join(projectDir, script), "utf8")).toMatch(/^set -euo pipefail$/m);
});
