// What the lab asks of its minikube node, against the CPUs and memory it is given: cases=standard
// easily asks for more than 4 CPUs, and a pod the scheduler cannot place stays Pending, which the
// test would only see as a rollout that never finishes.
import type { Mesh, StudyCase } from "./settings";
import type { KubeObject } from "./manifest";

export interface Requests {
  cpuMilli: number;
  memoryMiB: number;
}

/**
 * Requests of what is not the workload, as their charts and kubeadm set them: Istio's sidecar
 * (values.global.proxy.resources), istiod (pilot.resources), the CNI agent and ztunnel (their charts'
 * resources), and the control plane minikube runs on the node (etcd 100m/100Mi, kube-apiserver 250m,
 * kube-controller-manager 200m, kube-scheduler 100m, CoreDNS 100m/70Mi).
 */
export const sidecarRequests: Requests = { cpuMilli: 100, memoryMiB: 128 };
const istiodRequests: Requests = { cpuMilli: 500, memoryMiB: 2048 };
const ambientRequests: Requests = { cpuMilli: 100 + 200, memoryMiB: 100 + 512 };
const kubernetesRequests: Requests = { cpuMilli: 750, memoryMiB: 170 };

/** A Kubernetes CPU quantity in millicores: "50m", "0.5", "2". */
export function cpuMilli(quantity: string | number | undefined): number {
  if (quantity === undefined) return 0;
  const text = String(quantity);
  return text.endsWith("m") ? Number(text.slice(0, -1)) : Number(text) * 1000;
}

/** A Kubernetes memory quantity in MiB: "32Mi", "1Gi", "128M", bytes. */
export function memoryMiB(quantity: string | number | undefined): number {
  if (quantity === undefined) return 0;
  const match = String(quantity).match(/^([\d.]+)([KMGT]i?)?$/);
  if (!match) return 0;
  const factors: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return (Number(match[1]) * (match[2] ? factors[match[2]] : 1)) / 2 ** 20;
}

/** What one pod of the workload requests, its app containers summed. */
export function podRequests(deployment: KubeObject): Requests {
  const containers: KubeObject[] = deployment.spec.template.spec.containers;
  return {
    cpuMilli: containers.reduce((sum, c) => sum + cpuMilli(c.resources?.requests?.cpu), 0),
    memoryMiB: containers.reduce((sum, c) => sum + memoryMiB(c.resources?.requests?.memory), 0),
  };
}

export interface NodeLoad {
  total: Requests;
  /** The parts of the total, by name, in the order a person reads them. */
  parts: [string, Requests][];
}

/**
 * What the node must hold at the busiest moment of the run: every case's pods (with their sidecars)
 * at once, one more pod of the largest case during its rollout (the Deployment's surge), Istio's
 * control plane and Kubernetes' own.
 */
export function nodeLoad(cases: StudyCase[], mesh: Mesh): NodeLoad {
  const pod = (c: StudyCase): Requests => {
    const app = podRequests(c.manifest.deployment);
    const sidecar = c.mesh === "sidecar" && c.injection;
    return {
      cpuMilli: app.cpuMilli + (sidecar ? sidecarRequests.cpuMilli : 0),
      memoryMiB: app.memoryMiB + (sidecar ? sidecarRequests.memoryMiB : 0),
    };
  };
  const workload = cases.reduce(
    (sum, c) => ({ cpuMilli: sum.cpuMilli + c.replicas * pod(c).cpuMilli, memoryMiB: sum.memoryMiB + c.replicas * pod(c).memoryMiB }),
    { cpuMilli: 0, memoryMiB: 0 },
  );
  const surge = cases.map(pod).reduce((a, b) => (b.cpuMilli > a.cpuMilli ? b : a), { cpuMilli: 0, memoryMiB: 0 });
  const istio: Requests =
    mesh === "none"
      ? { cpuMilli: 0, memoryMiB: 0 }
      : mesh === "ambient"
        ? { cpuMilli: istiodRequests.cpuMilli + ambientRequests.cpuMilli, memoryMiB: istiodRequests.memoryMiB + ambientRequests.memoryMiB }
        : istiodRequests;
  const parts: [string, Requests][] = [
    ["the workloads and their sidecars", workload],
    ["a rollout's extra pod", surge],
    ["Istio", istio],
    ["Kubernetes", kubernetesRequests],
  ];
  const total = parts.reduce(
    (sum, [, r]) => ({ cpuMilli: sum.cpuMilli + r.cpuMilli, memoryMiB: sum.memoryMiB + r.memoryMiB }),
    { cpuMilli: 0, memoryMiB: 0 },
  );
  return { total, parts };
}
