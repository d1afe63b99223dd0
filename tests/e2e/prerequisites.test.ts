// The end-to-end test's own checks run here; the test itself needs a real cluster (npm run test:e2e).
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { chosenDriver, missingPrerequisites } from "./prerequisites";

const projectDir = path.resolve(__dirname, "../..");

function folderWith(...tools: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-path-"));
  for (const tool of tools) fs.writeFileSync(path.join(dir, tool), "#!/bin/sh\n", { mode: 0o755 });
  return dir;
}

describe("missingPrerequisites", () => {
  test("names every missing tool and how to get it, and the driver", () => {
    const missing = missingPrerequisites({ PATH: folderWith() });
    expect(missing).toHaveLength(5);
    expect(missing.join("\n")).toMatch(/the Pulumi CLI: https:\/\/www.pulumi.com/);
    expect(missing.join("\n")).toMatch(/^minikube: /m);
    expect(missing.join("\n")).toMatch(/^kubectl: /m);
    expect(missing.join("\n")).toMatch(/^siege: apt-get install siege/m);
    expect(missing.join("\n")).toMatch(/^a minikube driver: docker or podman on PATH, or another one named in E2E_DRIVER$/m);
  });

  test("nothing when all is there", () => {
    expect(missingPrerequisites({ PATH: folderWith("pulumi", "minikube", "kubectl", "siege", "podman") })).toEqual([]);
  });

  test("a driver named in E2E_DRIVER is taken as given, and chosen", () => {
    const env = { PATH: folderWith("pulumi", "minikube", "kubectl", "siege"), E2E_DRIVER: "kvm2" };
    expect(missingPrerequisites(env)).toEqual([]);
    expect(chosenDriver(env)).toBe("kvm2");
    expect(chosenDriver({ PATH: folderWith("podman") })).toBe("podman");
  });

  test("a file that is not executable does not count", () => {
    const dir = folderWith("minikube", "kubectl", "siege", "docker");
    fs.writeFileSync(path.join(dir, "pulumi"), "", { mode: 0o644 });
    expect(missingPrerequisites({ PATH: dir })).toEqual([expect.stringMatching(/^the Pulumi CLI/)]);
  });
});

test("tests/e2e/run.ts (npm run test:e2e) without the Pulumi CLI stops at once with exit code 2, naming it, having started nothing", async () => {
  const dir = folderWith("minikube", "kubectl", "siege", "docker");
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ["-r", "ts-node/register/transpile-only", "tests/e2e/run.ts"],
      { cwd: projectDir, env: { PATH: dir, HOME: dir }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stdout, stderr }),
    );
  });
  expect(result.code).toBe(2);
  expect(result.stderr).toBe("e2e: not started, this machine lacks:\n  - the Pulumi CLI: https://www.pulumi.com/docs/iac/download-install/\n");
  expect(fs.existsSync(path.join(projectDir, "Pulumi.e2e.yaml"))).toBe(false);
});
