// The Istio sidecar exit study: a minikube cluster, Istio, the demo site under one setting, and the
// measured rolling restart, all from stack config. Read it top to bottom as the study itself.
import * as pulumi from "@pulumi/pulumi";
import { MinikubeCluster } from "./components/cluster";
import { Istio } from "./components/istio";
import { DemoSite } from "./components/workload";
import { readStudyConfig } from "./config/study";

const stackConfig = new pulumi.Config();
const config = readStudyConfig((key) => stackConfig.get(key), __dirname);

const cluster = new MinikubeCluster("cluster", { settings: config.cluster });

const istio = new Istio("istio", {
  settings: config.istio,
  kubeContext: cluster.kubeContext,
  provider: cluster.provider,
  clusterReady: cluster.ready,
});

const demoSite = new DemoSite("demo-site", {
  settings: config.workload,
  provider: cluster.provider,
  meshReady: [istio.ready],
});

export const kubeContext = cluster.kubeContext;
export const namespace = demoSite.namespace;
export const injection = config.workload.injection;
export const variant = config.workload.variant;
export const sidecarMode = config.workload.sidecarMode;
export const istioVersion = istio.version;
