// The Istio sidecar exit study: a minikube cluster, Istio, the demo site under each setting, and the
// measured rolling restarts, all from stack config. Read it top to bottom as the study itself.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { studyCluster } from "./components/cluster";
import { Istio } from "./components/istio";
import { measureRollouts } from "./components/measurements";
import { DemoSite } from "./components/workload";
import { readStudyConfig } from "./config/study";
import { planStudyMesh } from "./lib/meshPlan";
import { caseResourceName } from "./lib/naming";
import { writeReport } from "./lib/report";
import { CaseResult, errorWindowOutput, failureRateOutput } from "./lib/results";
import { summaryLine, summaryTable } from "./lib/summary";

// Config: every key read and checked before anything is created.
const stackConfig = new pulumi.Config();
const config = readStudyConfig((key) => stackConfig.get(key), __dirname, pulumi.getStack());
for (const warning of config.warnings) pulumi.log.warn(warning);

// Cluster and mesh, both looked at first: the program stops before anything exists on a minikube
// profile that is not this stack's, or on an Istio of another version than the configured one.
const stack = `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
const meshPlan = planStudyMesh(config.istio, config.cluster.kubeContext, __dirname, stack);
const cluster = studyCluster(config.cluster, config.istio.installer, stack, __dirname);

// Mesh: one Istio for every case, or none when no case uses it, or the one found installed.
const { kubeContext, provider, lifetime, ready: clusterReady, identity: clusterIdentity } = cluster;
const istio = meshPlan.install
  ? new Istio("istio", { settings: config.istio, stack, kubeContext, provider, lifetime, clusterReady, clusterIdentity })
  : undefined;
const meshReady = istio ? [istio.ready] : [];

// Workloads: each case in a namespace of its own.
const sites = config.cases.map(
  (studyCase) => new DemoSite(caseResourceName("demo-site", studyCase.name), { settings: studyCase, provider, lifetime, meshReady }),
);

// Measurements: each case's rolling restart under load, one after another, and their verdict.
const results = measureRollouts({
  cases: config.cases,
  sites,
  cluster,
  test: config.test,
  meshReady,
  measuredOn: { cluster: clusterIdentity, istio: meshPlan.measuredOn },
  istioInCluster: meshPlan.inCluster,
});

// Outputs.
export { kubeContext, results };
export const istioVersion = meshPlan.version;
export const summary = results.apply((rs) => (config.matrix ? summaryTable(rs) : summaryLine(rs[0])));
// Written where pulumi runs (the project folder), never during a preview, which measures nothing.
export const report = results.apply((rs) =>
  pulumi.runtime.isDryRun() ? undefined : writeReport(path.resolve("reports"), pulumi.getStack(), rs, config.test),
);

// The single case's figures at the top level, as the seed printed them.
const [only] = config.matrix ? [] : config.cases;
const single = <T>(pick: (r: CaseResult) => T) => (only ? results.apply((rs) => pick(rs[0])) : undefined);
export const namespace = only?.namespace;
export const injection = only?.injection;
export const variant = only?.variant;
export const sidecarMode = only?.sidecarMode;
export const mesh = only?.mesh;
export const availability = single((r) => r.availability);
export const requests = single((r) => r.requests);
export const failures = single((r) => r.failures);
export const failuresPer10k = single(failureRateOutput);
export const asExpected = single((r) => r.asExpected);
export const transactions = single((r) => r.transactions);
export const failedTransactions = single((r) => r.failedTransactions);
export const elapsedSeconds = single((r) => r.elapsedSeconds);
export const errors = single((r) => r.errors);
export const sidecar = single((r) => r.sidecar);
export const rolloutSeconds = single((r) => r.rolloutSeconds);
export const oldPodsGoneSeconds = single((r) => r.oldPodsGoneSeconds);
export const errorWindowSeconds = single(errorWindowOutput);
