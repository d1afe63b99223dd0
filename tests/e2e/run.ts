// The study end to end, on a real minikube: `npm run test:e2e`. Never part of `npm test`.
// Runs `pulumi up` without and then with the sidecar (hook variant, classic sidecar), reads the
// outputs, checks what the study guarantees, reports the figures, and always destroys.
// Exit codes: 0 passed, 1 failed, 2 prerequisites missing (nothing was started).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, OutputMap, Stack } from "@pulumi/pulumi/automation";
import { chosenDriver, missingPrerequisites } from "./prerequisites";

const projectDir = path.resolve(__dirname, "../..");
const stackName = "e2e";
const project = "istio-exit-study";

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`e2e check failed: ${message}`);
}

/** What the study guarantees of one run: complete figures in range, and the sidecar it was asked for. */
function checkRun(outputs: OutputMap, expectedSidecar: string): { availability: number; failed: number; requests: number } {
  const value = (key: string) => outputs[key]?.value;
  const availability = value("availability");
  const transactions = value("transactions");
  const failed = value("failedTransactions");
  check(typeof availability === "number" && availability >= 0 && availability <= 100, `availability ${availability} is a percentage`);
  check(Number.isInteger(transactions) && transactions > 0, `transactions ${transactions} > 0`);
  check(Number.isInteger(failed) && failed >= 0, `failedTransactions ${failed} >= 0`);
  check(value("sidecar") === expectedSidecar, `the pods ran sidecar=${value("sidecar")}, expected ${expectedSidecar}`);
  check(typeof value("summary") === "string" && value("summary").includes("% available"), "summary names the availability");
  check(Number(value("rolloutSeconds")) > 0, `rolloutSeconds ${value("rolloutSeconds")} > 0`);
  return { availability, failed, requests: transactions + failed };
}

async function main(): Promise<number> {
  const missing = missingPrerequisites();
  if (missing.length > 0) {
    console.error(`e2e: not started, this machine lacks:\n${missing.map((m) => `  - ${m}`).join("\n")}`);
    return 2;
  }
  const backend = fs.mkdtempSync(path.join(os.tmpdir(), "istio-exit-study-e2e-"));
  const stack: Stack = await LocalWorkspace.createOrSelectStack(
    { stackName, workDir: projectDir },
    {
      envVars: {
        PULUMI_BACKEND_URL: `file://${backend}`,
        PULUMI_CONFIG_PASSPHRASE: "e2e",
      },
    },
  );
  const settingsFile = path.join(projectDir, `Pulumi.${stackName}.yaml`);
  const log = (line: string) => process.stdout.write(line);
  const figures: string[] = [];
  try {
    await stack.setAllConfig({
      [`${project}:profile`]: { value: "istio-exit-study-e2e" },
      [`${project}:driver`]: { value: chosenDriver() },
      [`${project}:variant`]: { value: "hook" },
      [`${project}:sidecarMode`]: { value: "classic" },
    });
    for (const [injection, sidecar] of [
      ["false", "none"],
      ["true", "classic"],
    ]) {
      await stack.setConfig(`${project}:injection`, { value: injection });
      await stack.up({ onOutput: log });
      const run = checkRun(await stack.outputs(), sidecar);
      figures.push(`injection=${injection}: ${run.availability} % available, ${run.failed} of ${run.requests} requests failed`);
    }
    console.log(`\ne2e passed. The seed found 100 % without the sidecar and less with it; this run:\n  ${figures.join("\n  ")}`);
    return 0;
  } catch (error) {
    console.error(`\ne2e failed: ${(error as Error).message}`);
    if (figures.length > 0) console.error(`figures so far:\n  ${figures.join("\n  ")}`);
    return 1;
  } finally {
    await stack.destroy({ onOutput: log }).catch((error) => console.error(`e2e: destroy failed: ${(error as Error).message}`));
    await stack.workspace.removeStack(stackName).catch(() => undefined);
    fs.rmSync(settingsFile, { force: true });
    fs.rmSync(backend, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code));
