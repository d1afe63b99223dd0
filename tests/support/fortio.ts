// Where the tests find fortio 1.75.3: on PATH, or in the engine toolchain (npm run engine:install
// builds it from its module). Undefined, with a notice, when neither has it.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const projectDir = path.resolve(__dirname, "../..");

function versionOf(binary: string): string | undefined {
  try {
    return execFileSync(binary, ["version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
}

/** The folder holding a fortio 1.75.3, to put first on PATH. */
export function fortioDir(): string | undefined {
  const onPath = (process.env.PATH ?? "").split(path.delimiter).find((dir) => dir && fs.existsSync(path.join(dir, "fortio")));
  if (onPath && versionOf(path.join(onPath, "fortio")) === "1.75.3") return onPath;
  const engineDir = execFileSync("bash", ["-c", '. engine/common.sh && printf %s "$engine_dir"'], { cwd: projectDir, encoding: "utf8" });
  const built = path.join(engineDir, "bin");
  if (fs.existsSync(path.join(built, "fortio")) && versionOf(path.join(built, "fortio")) === "1.75.3") return built;
  console.warn("fortio 1.75.3 is neither on PATH nor built (npm run engine:install): the tests that run the real fortio are skipped");
  return undefined;
}
