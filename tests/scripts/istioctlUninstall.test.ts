// scripts/istioctl-uninstall.sh with a kubectl that answers as the API server does to a delete
// with a uid precondition: deleted, not found, or another object of that name (409 Conflict).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const script = path.resolve(__dirname, "../../scripts/istioctl-uninstall.sh");

function uninstall(record: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "istioctl-uninstall-"));
  try {
    const calls = path.join(dir, "calls");
    const body = `case "$*" in
  *"delete --raw /api/v1/namespaces/istio-system/configmaps/gone "*) echo 'Error from server (NotFound): configmaps "gone" not found' >&2; exit 1 ;;
  *"delete --raw /apis/apps/v1/namespaces/istio-system/deployments/istiod "*)
    echo 'Error from server (Conflict): Operation cannot be fulfilled on Deployment.apps "istiod": the UID in the precondition (1111) does not match the UID in record (2222). The object might have been deleted and then recreated' >&2; exit 1 ;;
  *"delete --raw"*) for a; do last=$a; done; cat "$last" >>'${calls}' ;;
esac`;
    for (const name of ["kubectl", "istioctl"]) {
      fs.writeFileSync(path.join(dir, name), `#!/bin/sh\necho "${name} $*" >>'${calls}'\n${name === "kubectl" ? body : ""}\n`, { mode: 0o755 });
    }
    const run = spawnSync("bash", [script], {
      encoding: "utf8",
      env: { PATH: `${dir}:${process.env.PATH}`, KUBE_CONTEXT: "lab", PULUMI_COMMAND_STDOUT: record },
    });
    const lines = fs.existsSync(calls) ? fs.readFileSync(calls, "utf8").trim().split("\n") : [];
    return { code: run.status, stderr: run.stderr, calls: lines };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("deletes each object of the record only while it is that object, and never purges", () => {
  const run = uninstall(
    [
      "installation=00aa11bb22cc33dd",
      "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/istio-sidecar-injector 1111-aaaa",
      "/api/v1/namespaces/istio-system/configmaps/gone 2222-bbbb",
      "/apis/apps/v1/namespaces/istio-system/deployments/istiod 1111",
      "/api/v1/namespaces/istio-system 3333-cccc",
    ].join("\n"),
  );
  expect(run.code).toBe(0);
  expect(run.calls.filter((c) => c.startsWith("istioctl"))).toEqual([]);
  expect(run.calls).toEqual([
    expect.stringMatching(/^kubectl --context lab delete --raw \/apis\/admissionregistration.k8s.io\/v1\/mutatingwebhookconfigurations\/istio-sidecar-injector -f /),
    '{"apiVersion":"v1","kind":"DeleteOptions","propagationPolicy":"Background","preconditions":{"uid":"1111-aaaa"}}',
    expect.stringMatching(/^kubectl --context lab delete --raw \/api\/v1\/namespaces\/istio-system\/configmaps\/gone -f /),
    expect.stringMatching(/^kubectl --context lab delete --raw \/apis\/apps\/v1\/namespaces\/istio-system\/deployments\/istiod -f /),
    expect.stringMatching(/^kubectl --context lab delete --raw \/api\/v1\/namespaces\/istio-system -f /),
    '{"apiVersion":"v1","kind":"DeleteOptions","propagationPolicy":"Background","preconditions":{"uid":"3333-cccc"}}',
    "kubectl --context lab wait --for=delete namespace/istio-system --timeout=180s",
  ]);
  expect(run.stderr).toContain(
    "Istio installation 00aa11bb22cc33dd on context lab: 2 objects deleted, 1 gone already, 1 left as other objects than it made (the context names another cluster now, or they were made again), such as /apis/apps/v1/namespaces/istio-system/deployments/istiod",
  );
});

test("without a record (an install of a lab from before records) it leaves Istio, and says how to remove it", () => {
  const run = uninstall("");
  expect(run.code).toBe(0);
  expect(run.calls).toEqual([]);
  expect(run.stderr).toContain("leaving Istio on context lab");
  expect(run.stderr).toContain("istioctl uninstall --context lab --purge");
});

test("a line of the record that is no API path and uid is never sent", () => {
  const run = uninstall("installation=00aa\n/api/v1/namespaces/x; rm -rf / 1\n/api/v1/namespaces/istio-system $(id)\n");
  expect(run.code).toBe(0);
  expect(run.calls).toEqual([]);
});
