// The Istio sidecar exit study: a minikube cluster, Istio, the demo site under one setting, and the
// measured rolling restart, all from stack config. Read it top to bottom as the study itself.
import * as pulumi from "@pulumi/pulumi";
import { MinikubeCluster } from "./components/cluster";
import { Istio } from "./components/istio";
import { RolloutTest } from "./components/rolloutTest";
import { Verdict } from "./components/verdict";
import { DemoSite } from "./components/workload";
import { readStudyConfig } from "./config/study";
import { errorWindow } from "./lib/rolloutOutput";
import { summaryLine } from "./lib/summary";

const stackConfig = new pulumi.Config();
const config = readStudyConfig((key) => stackConfig.get(key), __dirname);

const cluster = new MinikubeCluster("cluster", { settings: config.cluster });

const istio =
  config.istio.mesh === "none"
    ? undefined
    : new Istio("istio", {
        settings: config.istio,
        kubeContext: cluster.kubeContext,
        provider: cluster.provider,
        clusterReady: cluster.ready,
      });
const meshReady = istio ? [istio.ready] : [];

const demoSite = new DemoSite("demo-site", {
  settings: config.workload,
  provider: cluster.provider,
  meshReady,
});

const { injection, variant, preStopSeconds, sidecarMode, replicas, mesh, proxyDrainSeconds, exitOnZeroActiveConnections } =
  config.workload;
const test = new RolloutTest("rollout", {
  target: {
    kubeContext: cluster.kubeContext,
    profile: config.cluster.profile,
    namespace: config.workload.namespace,
    deployment: config.workload.manifest.deployment.metadata.name,
    service: config.workload.manifest.service.metadata.name,
    podSelector: demoSite.podSelector,
  },
  settings: config.test,
  measured: {
    injection,
    variant,
    preStopSeconds,
    sidecarMode,
    replicas,
    mesh,
    proxyDrainSeconds,
    exitOnZeroActiveConnections,
    workload: demoSite.fingerprint,
  },
  after: [...meshReady, ...demoSite.ready],
});

const measurement = test.measurement;
new Verdict("verdict", {
  failures: measurement.apply((m) => (m.status === "failed" ? [`${m.reason}`] : [])),
  after: [test.done],
});

export const kubeContext = cluster.kubeContext;
export const namespace = demoSite.namespace;
export { injection, variant, sidecarMode, mesh };
export const istioVersion = istio?.version ?? "none";

// siege's own figures, present only when siege printed a complete report.
export const availability = measurement.apply((m) => m.report?.availability);
export const transactions = measurement.apply((m) => m.report?.transactions);
export const failedTransactions = measurement.apply((m) => m.report?.failedTransactions);
export const elapsedSeconds = measurement.apply((m) => m.report?.elapsedSeconds);
export const errors = measurement.apply((m) => m.errors);
export const sidecar = measurement.apply((m) => m.sidecar);
export const rolloutSeconds = measurement.apply((m) => m.rolloutSeconds);
export const errorWindowSeconds = measurement.apply(errorWindow);
export const summary = measurement.apply((m) => summaryLine(config.workload, m));
