import * as fs from "fs";
import * as path from "path";

/** Is `tool` an executable file in one of PATH's folders? */
export function onPath(tool: string, pathVariable = process.env.PATH ?? ""): boolean {
  return pathVariable
    .split(path.delimiter)
    .filter(Boolean)
    .some((dir) => {
      try {
        fs.accessSync(path.join(dir, tool), fs.constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

/** minikube drivers the end-to-end test can find on PATH by their own command. */
export const drivers = ["docker", "podman"];

/**
 * What the end-to-end test needs and this machine lacks, one line each, saying how to get it;
 * empty when everything is there. A driver named in E2E_DRIVER is taken as given.
 */
export function missingPrerequisites(env: NodeJS.ProcessEnv = process.env): string[] {
  const pathVariable = env.PATH ?? "";
  const tools: [string, string][] = [
    ["pulumi", "the Pulumi CLI: https://www.pulumi.com/docs/iac/download-install/"],
    ["minikube", "minikube: https://minikube.sigs.k8s.io/docs/start/"],
    ["kubectl", "kubectl: https://kubernetes.io/docs/tasks/tools/"],
    ["siege", "siege: apt-get install siege, or brew install siege"],
  ];
  const missing = tools.filter(([tool]) => !onPath(tool, pathVariable)).map(([, how]) => how);
  if (!env.E2E_DRIVER && !drivers.some((driver) => onPath(driver, pathVariable))) {
    missing.push(`a minikube driver: ${drivers.join(" or ")} on PATH, or another one named in E2E_DRIVER`);
  }
  return missing;
}

/** The driver the test starts minikube with: E2E_DRIVER, else the first one on PATH. */
export function chosenDriver(env: NodeJS.ProcessEnv = process.env): string {
  return env.E2E_DRIVER || drivers.find((driver) => onPath(driver, env.PATH ?? "")) || "";
}
