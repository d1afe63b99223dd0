// The stack's config, read and checked in one place before anything is created: every key, the
// cases, and the node that must hold them.
import { NodeLoad, nodeLoad, Requests } from "../lib/capacity";
import { istioChartNames } from "../lib/istioCharts";
import { defaultProfile } from "../lib/minikubeProfile";
import type { ClusterSettings, Mesh, StudyCase, StudyConfig } from "../lib/settings";
import { CaseKey, caseInEffect, maxCaseNameLength, nameClash, readCaseList, readCaseSettings } from "./cases";
import {
  ConfigError,
  ConfigSource,
  contextName,
  defaultLoadImage,
  dnsLabel,
  dnsLabelRule,
  driverName,
  emptyOrDnsLabel,
  emptyOrImageName,
  istioVersion,
  kubernetesVersion,
  Reader,
} from "./reader";

const reservedNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease", "istio-system"];

/** `stackName` names the stack's own minikube profile when `profile` is empty. */
export function readStudyConfig(source: ConfigSource, baseDir: string, stackName: string): StudyConfig {
  const read = new Reader(source);
  const namespace = read.string("namespace", dnsLabel, dnsLabelRule);
  if (namespace.length > 58) read.fail("namespace", namespace, "expected at most 58 characters, to leave room for its -load namespace");
  if (reservedNamespaces.includes(namespace)) {
    read.fail("namespace", namespace, `expected a namespace of the study's own, not one of ${reservedNamespaces.join(", ")}`);
  }
  const workload = {
    manifest: read.manifest("manifest", baseDir),
    replicas: read.integer("replicas", 1, 50),
  };
  const stackCase = readCaseSettings(read);
  // What each case is expected to show depends on what the load does with a connection the pod closes.
  const load = read.oneOf("load", ["siege", "fortio"] as const);
  const warnings: string[] = [];

  const casesValue = source("cases");
  const matrix = casesValue !== undefined && casesValue !== "";
  // With `cases`, the stack's keys are only what each case does not set itself: each case is checked.
  const cases: StudyCase[] = matrix
    ? readCaseList(casesValue, stackCase.preStopSeconds).map(({ name, values }) => {
        const where = `cases[${name}].`;
        if (!dnsLabel.test(name)) throw new ConfigError(`${where}name`, name, dnsLabelRule);
        const caseNamespace = `${namespace}-${name}`;
        if (caseNamespace.length > 63) {
          throw new ConfigError(`${where}name`, name, `namespace ${caseNamespace} would be longer than 63 characters`);
        }
        if (name.length > maxCaseNameLength) {
          throw new ConfigError(`${where}name`, name, `expected at most ${maxCaseNameLength} characters, to name its load Jobs`);
        }
        const caseSource: ConfigSource = (key) => (key in values ? String(values[key as CaseKey]) : source(key));
        const caseReader = new Reader(caseSource, where, (key) => key in values);
        const settings = caseInEffect(caseReader, readCaseSettings(caseReader), load, warnings);
        return { name, namespace: caseNamespace, ...workload, ...settings };
      })
    : [{ name: "", namespace, ...workload, ...caseInEffect(read, stackCase, load, warnings) }];
  const duplicate = cases.find((c, i) => cases.findIndex((d) => d.name === c.name) !== i);
  if (duplicate) throw new ConfigError("cases", casesValue ?? "", `case ${duplicate.name} is listed twice`);
  const repeats = read.integer("repeats", 1, 20);
  const clash = nameClash(cases, repeats);
  if (clash) throw new ConfigError("cases", casesValue ?? "", clash);

  const kubeContext = read.string("kubeContext", contextName, "expected the name of a context in your kubeconfig, or empty");
  const loadFrom = read.oneOf("loadFrom", ["auto", "host", "cluster"] as const);
  const qps = read.integer("qps", 1, 100000);
  if (load === "siege" && read.setHere("qps")) {
    read.fail("qps", String(qps), "it does nothing with load=siege, whose users send requests as fast as they are answered: set load=fortio, or leave qps unset");
  }

  const cluster: ClusterSettings = {
    kubeContext,
    profile: read.string("profile", emptyOrDnsLabel, `${dnsLabelRule}, or empty`) || defaultProfile(stackName),
    kubernetesVersion: read.string(
      "kubernetesVersion",
      kubernetesVersion,
      "expected v1.30.0 or newer, such as v1.35.1 (the preStop hook is Kubernetes' sleep action, on by default since 1.30)",
    ),
    driver: read.string("driver", driverName, "expected a minikube driver name such as docker, or empty"),
    cpus: read.integer("cpus", 2, 64),
    memoryMiB: read.integer("memoryMiB", 2048, 262144),
  };
  const mesh = meshToInstall(cases);
  if (!kubeContext) checkNodeSize(read, cluster, nodeLoad(cases, mesh));

  return {
    cluster,
    istio: {
      version: read.string("istioVersion", istioVersion, "expected a version such as 1.31.1"),
      chartRepo: read.chartRepo("istioChartRepo", baseDir, istioChartNames(mesh)),
      installer: read.oneOf("istioInstaller", ["helm", "istioctl"] as const),
      mesh,
      platform: kubeContext ? "" : "minikube",
    },
    cases,
    matrix,
    test: {
      // The host reaches minikube's NodePorts; other clusters' nodes it usually cannot.
      loadFrom: loadFrom === "auto" ? (kubeContext ? "cluster" : "host") : loadFrom,
      load,
      qps,
      loadImage: read.string("loadImage", emptyOrImageName, "expected an image reference such as debian:bookworm-slim, or empty") || defaultLoadImage[load],
      loadNamespace: `${namespace}-load`,
      concurrency: read.integer("concurrency", 1, 500),
      warmupSeconds: read.integer("warmupSeconds", 0, 300),
      settleSeconds: read.integer("settleSeconds", 0, 600),
      rolloutTimeoutSeconds: read.integer("rolloutTimeoutSeconds", 10, 3600),
      repeats,
      run: read.string("run", /^.{0,100}$/, "expected a label of at most 100 characters"),
      ...gate(read),
    },
    warnings,
  };
}

/** `maxFailuresPer10k`: a number of failures per 10,000 requests, fractions allowed; empty: no gate. */
function gate(read: Reader): { maxFailuresPer10k?: number } {
  const value = read.string("maxFailuresPer10k", /^(\d+(\.\d+)?)?$/, "expected a number of failures per 10,000 requests, such as 0 or 0.5, or empty");
  return value === "" ? {} : { maxFailuresPer10k: Number(value) };
}

/**
 * The lab's own node must hold every pod the lab asks for, or some stay Pending: refused with the
 * figures, naming the key to raise.
 */
function checkNodeSize(read: Reader, cluster: ClusterSettings, load: NodeLoad): void {
  const cpus = (milli: number) => (milli / 1000).toFixed(2);
  const gib = (mib: number) => (mib / 1024).toFixed(1);
  const breakdown = (value: (r: Requests) => string) => load.parts.map(([name, r]) => `${name} ${value(r)}`).join(", ");
  if (load.total.cpuMilli > cluster.cpus * 1000) {
    read.fail(
      "cpus",
      String(cluster.cpus),
      `the lab's pods ask for ${cpus(load.total.cpuMilli)} CPUs at the busiest (${breakdown((r) => cpus(r.cpuMilli))}): ` +
        `set cpus to ${Math.ceil(load.total.cpuMilli / 1000)} or more, or run fewer cases or replicas`,
    );
  }
  if (load.total.memoryMiB > cluster.memoryMiB) {
    read.fail(
      "memoryMiB",
      String(cluster.memoryMiB),
      `the lab's pods ask for ${gib(load.total.memoryMiB)} GiB at the busiest (${breakdown((r) => `${gib(r.memoryMiB)} GiB`)}): ` +
        `set memoryMiB to ${Math.ceil(load.total.memoryMiB / 1024) * 1024} or more, or run fewer cases or replicas`,
    );
  }
}

/** One Istio serves every case: ambient's control plane also injects sidecars. */
function meshToInstall(cases: StudyCase[]): Mesh {
  if (cases.some((c) => c.mesh === "ambient")) return "ambient";
  return cases.some((c) => c.mesh === "sidecar") ? "sidecar" : "none";
}
