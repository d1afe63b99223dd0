// scripts/istioctl-install.sh with an istioctl that answers as the real one does: `istioctl version
// --remote=false --short` prints "client version: <version>" (the engine's istioctl, built from
// Istio's module, printed "client version: 1.31.0-dev.eed52ebb66ad"), and a kubectl that records.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const script = path.resolve(__dirname, "../../scripts/istioctl-install.sh");

function install(istioctlVersion: string, configured: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "istioctl-install-"));
  try {
    const calls = path.join(dir, "calls");
    const fake = (name: string, body: string) => fs.writeFileSync(path.join(dir, name), `#!/bin/sh\necho "${name} $*" >>'${calls}'\n${body}\n`, { mode: 0o755 });
    fake("istioctl", `case "$1" in version) printf 'client version: %s\\n' "$FAKE_ISTIOCTL_VERSION" ;; esac`);
    fake("kubectl", "");
    const run = spawnSync("bash", [script], {
      encoding: "utf8",
      env: {
        PATH: `${dir}:${process.env.PATH}`,
        FAKE_ISTIOCTL_VERSION: istioctlVersion,
        KUBE_CONTEXT: "lab",
        ISTIO_VERSION: configured,
        ISTIO_PROFILE: "minimal",
        ISTIO_PLATFORM: "minikube",
      },
    });
    return { code: run.status, stderr: run.stderr, calls: fs.existsSync(calls) ? fs.readFileSync(calls, "utf8").trim().split("\n") : [] };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("an istioctl of the configured version installs, and the install is marked as the lab's", () => {
  const run = install("1.31.0-dev.eed52ebb66ad", "1.31.0-dev.eed52ebb66ad");
  expect(run).toMatchObject({ code: 0 });
  expect(run.calls).toEqual([
    "istioctl version --remote=false --short",
    "istioctl install --context lab --set profile=minimal --skip-confirmation --set values.global.platform=minikube",
    "kubectl --context lab label namespace istio-system istio-exit-study/installed-by=istio-exit-study istio-exit-study/installer=istioctl --overwrite",
  ]);
});

test("an istioctl of another version installs nothing and names both versions", () => {
  const run = install("1.30.2", "1.31.1");
  expect(run.code).toBe(1);
  expect(run.stderr).toContain("istioctl on PATH is version 1.30.2, but config istioVersion is 1.31.1");
  expect(run.calls).toEqual(["istioctl version --remote=false --short"]);
});
