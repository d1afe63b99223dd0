// What the engine suite looks at: the plan of a preview, the lab's resources by name, and what a
// lab may have left running.
import * as fs from "fs";
import { Lab, ok } from "./engine";

/** The step of the resource `name` (a trailing `*` matches the rest), "same" if the plan leaves it alone. */
export function opOf(steps: PlannedStep[], name: string): string {
  const matches = (s: PlannedStep) => (name.endsWith("*") ? s.name.startsWith(name.slice(0, -1)) : s.name === name);
  return steps.find(matches)?.op ?? "same";
}

export interface PlannedStep {
  op: string;
  /** The resource's name, the last part of its URN. */
  name: string;
  type: string;
}

/** `pulumi preview --json`: each resource's planned operation. */
export async function previewSteps(lab: Lab, ...args: string[]): Promise<PlannedStep[]> {
  const preview = JSON.parse(await ok(lab, "pulumi", ["preview", "--json", "--non-interactive", ...args]));
  // urn:pulumi:<stack>::<project>::<parent types$>type::name
  return (preview.steps ?? []).map((step: { op: string; urn: string }) => {
    const [, , qualifiedType, name] = step.urn.split("::");
    return { op: step.op, name, type: qualifiedType.split("$").pop()! };
  });
}

/** The names the single-case lab gives its resources (index.ts and components/). */
export class StudyResources {
  readonly cluster = ["cluster-minikube-*", "cluster-kubeconfig", "cluster-k8s"];
  readonly istio = ["istio-namespace", "istio-base", "istio-istiod"];
  readonly workload = ["demo-site-namespace", "demo-site-deployment", "demo-site-service"];
  readonly test = ["rollout-test", "verdict-check"];
  get clusterAndIstio(): string[] {
    return [...this.cluster, ...this.istio];
  }
  get planned(): string[] {
    return [...this.cluster, ...this.istio, ...this.workload, ...this.test];
  }
}

/**
 * What a lab left behind: the kwok clusters of its engine state, and the processes that work in its
 * folder or name it (control planes, Service stand-ins, the test script and its siege and loops).
 */
export async function leftovers(lab: Lab): Promise<{ clusters: string[]; processes: string[] }> {
  const clusters = (await ok(lab, "kwokctl", ["get", "clusters"])).split("\n").filter(Boolean);
  const processes = fs
    .readdirSync("/proc")
    .filter((pid) => /^\d+$/.test(pid))
    .flatMap((pid) => {
      try {
        const cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
        const args = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
        return cwd.startsWith(lab.dir) || args.includes(lab.dir) ? [`${pid} ${args}`] : [];
      } catch {
        return []; // gone meanwhile, or a kernel thread
      }
    });
  return { clusters, processes };
}

/** What is left after a lab's end, once what was stopping has had 15 s to go. */
export async function settledLeftovers(lab: Lab): Promise<{ clusters: string[]; processes: string[] }> {
  let found = await leftovers(lab);
  for (let i = 0; i < 15 && (found.clusters.length > 0 || found.processes.length > 0); i++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    found = await leftovers(lab);
  }
  return found;
}
