// scripts/istioctl-install.sh with an istioctl that answers as the real one does: `istioctl version
// --remote=false --short` prints "client version: <version>" (the engine's istioctl, built from
// Istio's module, printed "client version: 1.31.0-dev.eed52ebb66ad"), and a kubectl that records
// and answers as a cluster without Istio does (FAKE_ISTIO_THERE=1: one with istio-system).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const script = path.resolve(__dirname, "../../scripts/istioctl-install.sh");
const stack = "organization/istio-exit-study/dev";

function install(istioctlVersion: string, configured: string, env: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "istioctl-install-"));
  try {
    const calls = path.join(dir, "calls");
    const fake = (name: string, body: string) => fs.writeFileSync(path.join(dir, name), `#!/bin/sh\necho "${name} $*" >>'${calls}'\n${body}\n`, { mode: 0o755 });
    fake(
      "istioctl",
      `case "$1" in
  version) printf 'client version: %s\\n' "$FAKE_ISTIOCTL_VERSION" ;;
  install) sed -n 's/^  name: /istioctl install names /p' "$5" >>'${calls}'; [ -z "$FAKE_INSTALL_FAILS" ] || exit 1 ;;
esac`,
    );
    fake(
      "kubectl",
      `case "$*" in
  *"get namespace istio-system --ignore-not-found -o name") [ -z "$FAKE_ISTIO_THERE" ] || echo namespace/istio-system ;;
  *"--dry-run=client"*) echo '{"kind":"Namespace"}' ;;
  *--local*) cat ;;
  *"create -f -") cat >/dev/null ;;
  *"jsonpath={.metadata.uid}") echo 0f0f ;;
  *"delete --raw"*) cat >>'${calls}' ;;
esac`,
    );
    const run = spawnSync("bash", [script, "create"], {
      encoding: "utf8",
      env: {
        PATH: `${dir}:${process.env.PATH}`,
        FAKE_ISTIOCTL_VERSION: istioctlVersion,
        KUBE_CONTEXT: "lab",
        ISTIO_VERSION: configured,
        ISTIO_PROFILE: "minimal",
        ISTIO_PLATFORM: "minikube",
        STACK: stack,
        ...env,
      },
    });
    const lines = fs.existsSync(calls) ? fs.readFileSync(calls, "utf8").trim().split("\n") : [];
    return { code: run.status, stdout: run.stdout, stderr: run.stderr, calls: lines };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("an istioctl of the configured version installs under an installation of its own, marked as this stack's, and prints its record", () => {
  const run = install("1.31.0-dev.eed52ebb66ad", "1.31.0-dev.eed52ebb66ad");
  expect(run).toMatchObject({ code: 0 });
  const installation = run.stdout.match(/^installation=([0-9a-f]{16})\n/)?.[1];
  expect(installation).toBeDefined();
  expect(run.stdout).toMatch(/\n\/api\/v1\/namespaces\/istio-system 0f0f\n$/);
  expect(run.calls[0]).toBe("istioctl version --remote=false --short");
  // istio-system is made by one create, with the lab's labels and the stack's and installation's
  // annotations, before istioctl runs.
  expect(run.calls).toEqual(
    expect.arrayContaining([
      "kubectl --context lab get namespace istio-system --ignore-not-found -o name",
      "kubectl create namespace istio-system --dry-run=client -o json",
      "kubectl label --local -f - -o json istio-exit-study/installed-by=istio-exit-study istio-exit-study/installer=istioctl",
      `kubectl annotate --local -f - -o json istio-exit-study/stack=${stack} istio-exit-study/installation=${installation}`,
      "kubectl --context lab create -f -",
      `istioctl install names istio-exit-study-${installation}`,
    ]),
  );
  const istioctl = run.calls.find((c) => c.startsWith("istioctl install --context"))!;
  expect(istioctl).toMatch(/^istioctl install --context lab -f \S+ --set profile=minimal --skip-confirmation --set values.global.platform=minikube$/);
  expect(run.calls.indexOf(istioctl)).toBeGreaterThan(run.calls.indexOf("kubectl --context lab create -f -"));
  expect(run.calls.some((c) => c.includes("--purge") || c.includes(" delete "))).toBe(false);
});

test("a cluster with Istio already is refused before anything is made", () => {
  const run = install("1.31.1", "1.31.1", { FAKE_ISTIO_THERE: "1" });
  expect(run.code).toBe(1);
  expect(run.stderr).toContain("refusing to install Istio on context lab: it has Istio already (namespace/istio-system)");
  expect(run.calls.filter((c) => c.startsWith("istioctl install") || c.includes(" create "))).toEqual([]);
});

test("an install that fails removes what it made, by its installation's name and istio-system's uid", () => {
  const run = install("1.31.1", "1.31.1", { FAKE_INSTALL_FAILS: "1" });
  expect(run.code).not.toBe(0);
  const installation = run.calls.find((c) => c.startsWith("istioctl install names "))!.replace("istioctl install names istio-exit-study-", "");
  expect(run.stderr).toContain(`the install failed: removing installation ${installation} from context lab`);
  expect(run.calls).toEqual(
    expect.arrayContaining([
      expect.stringMatching(new RegExp(`^kubectl --context lab delete \\S+ --all-namespaces --selector install.operator.istio.io/owning-resource=istio-exit-study-${installation} --wait=false$`)),
      "kubectl --context lab delete --raw /api/v1/namespaces/istio-system -f -",
      '{"apiVersion":"v1","kind":"DeleteOptions","preconditions":{"uid":"0f0f"}}',
    ]),
  );
});

test("an istioctl of another version installs nothing and names both versions", () => {
  const run = install("1.30.2", "1.31.1");
  expect(run.code).toBe(1);
  expect(run.stderr).toContain("istioctl on PATH is version 1.30.2, but config istioVersion is 1.31.1");
  expect(run.calls).toEqual(["istioctl version --remote=false --short"]);
});
