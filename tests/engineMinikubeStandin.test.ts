// The engine's minikube stand-in (engine/standins/minikube) run for real, with a fake kwokctl: which
// kwok cluster it takes a profile's to be.
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const standin = path.resolve(__dirname, "../engine/standins/minikube");

test("a profile listed before another cluster is found: kwokctl's list read to its end, never cut short under pipefail", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "minikube-standin-"));
  try {
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    // kwokctl writes a line at a time; the second comes after grep -q would have quit on the first.
    fs.writeFileSync(
      path.join(bin, "kwokctl"),
      [
        "#!/usr/bin/env bash",
        'case "$*" in',
        "  *'get clusters'*) printf 'engine-first\\n'; sleep 0.3; printf 'engine-second\\n' ;;",
        `  *'delete cluster --name '*) printf '%s\\n' "$*" >>"${dir}/deleted" ;;`,
        "esac",
      ].join("\n"),
      { mode: 0o755 },
    );
    const env = { ...process.env, ENGINE_BIN: bin, ENGINE_STATE: path.join(dir, "state"), KUBECONFIG: path.join(dir, "kubeconfig"), MINIKUBE_HOME: path.join(dir, "home") };
    const stderr = await new Promise<string>((resolve, reject) =>
      execFile("bash", [standin, "delete", "--profile", "engine-first"], { env }, (error, _stdout, err) => (error ? reject(error) : resolve(err))),
    );
    expect(stderr).not.toContain("not found");
    expect(fs.readFileSync(path.join(dir, "deleted"), "utf8")).toMatch(/delete cluster --name engine-first$/m);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
