// engine/env.sh, the contributor's shell: every shell of a clone shares one state folder by default,
// so that a second terminal finds the first one's stacks and clusters, and says which folder it is.
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const projectDir = path.resolve(__dirname, "..");

test("two shells of one clone share its .engine-state folder, and each says so; an explicit folder wins", () => {
  const clone = fs.mkdtempSync(path.join(os.tmpdir(), "engine-env-"));
  fs.cpSync(path.join(projectDir, "engine"), path.join(clone, "engine"), { recursive: true });
  const shell = (...args: string[]) => {
    const run = spawnSync("bash", [path.join(clone, "engine/env.sh"), ...args], { encoding: "utf8", env: { PATH: process.env.PATH, HOME: clone } });
    return { state: run.stdout.match(/^export ENGINE_STATE=(.*)$/m)![1], stderr: run.stderr };
  };
  try {
    const [first, second] = [shell(), shell()];
    expect(first.state).toBe(path.join(clone, ".engine-state"));
    expect(second.state).toBe(first.state);
    expect(first.stderr).toContain(`[engine:env] state folder: ${first.state}`);
    const own = path.join(clone, "mine");
    expect(shell(own).state).toBe(own);
    expect(execFileSync("bash", ["-c", `eval "$(bash ${clone}/engine/env.sh 2>/dev/null)" && printf %s "$MINIKUBE_HOME"`], { encoding: "utf8", env: { PATH: process.env.PATH, HOME: clone } })).toBe(
      path.join(clone, ".engine-state/minikube"),
    );
  } finally {
    fs.rmSync(clone, { recursive: true, force: true });
  }
});
