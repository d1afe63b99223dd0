// The Istio sidecar exit study: a minikube cluster, Istio, the demo site under each setting, and the
// measured rolling restarts, all from stack config. Read it top to bottom as the study itself.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ExistingCluster, MinikubeCluster, StudyCluster } from "./components/cluster";
import { Istio } from "./components/istio";
import { LoadNamespace } from "./components/loadNamespace";
import { RolloutTest } from "./components/rolloutTest";
import { Verdict } from "./components/verdict";
import { DemoSite } from "./components/workload";
import { readStudyConfig } from "./config/study";
import { istioPlan, probeInstalledIstio } from "./lib/installedIstio";
import { planMinikubeCluster } from "./lib/minikubeProfile";
import { RolloutMeasurement } from "./lib/rolloutOutput";
import { caseResourceName } from "./lib/naming";
import { writeReport } from "./lib/report";
import { caseResult, caseSetting, judgedResults, summaryLine, summaryTable, verdictLines } from "./lib/results";

// Config: every key read and checked before anything is created.
const stackConfig = new pulumi.Config();
const config = readStudyConfig((key) => stackConfig.get(key), __dirname, pulumi.getStack());
for (const warning of config.warnings) pulumi.log.warn(warning);

// Cluster: the study's own minikube, or an existing cluster of the user's kubeconfig. Both are looked
// at first, and the program stops before anything exists on a minikube profile that is not this
// stack's, or on an Istio of another version than the configured one.
const { kubeContext: existingContext } = config.cluster;
const needsIstio = config.istio.mesh !== "none";
const istioFound = needsIstio && existingContext ? probeInstalledIstio(existingContext, __dirname) : { owner: "none" as const };
const reuseIstio =
  needsIstio && istioPlan(istioFound, config.istio.version, existingContext, config.istio.mesh === "ambient", config.istio.installer) === "reuse";
const stack = `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
const cluster: StudyCluster = existingContext
  ? new ExistingCluster("cluster", { kubeContext: existingContext })
  : new MinikubeCluster("cluster", {
      settings: config.cluster,
      plan: planMinikubeCluster(config.cluster, config.istio.installer, stack, __dirname),
    });

// Mesh: one Istio for every case, or none when no case uses it; on an existing cluster, the Istio
// already there when it is of the configured version.
const istio =
  !needsIstio || reuseIstio
    ? undefined
    : new Istio("istio", {
        settings: config.istio,
        kubeContext: cluster.kubeContext,
        provider: cluster.provider,
        lifetime: cluster.lifetime,
        clusterReady: cluster.ready,
        clusterIdentity: cluster.identity,
      });
const meshReady = istio ? [istio.ready] : [];
// What the measurements ran on, beside the case itself: a rebuilt cluster or another Istio measures anew.
const { installer, version, chartRepo, mesh: meshInstalled } = config.istio;
const measuredOn = {
  cluster: cluster.identity,
  istio: istio ? `${installer} ${version} ${chartRepo} ${meshInstalled}` : reuseIstio ? `found ${version}` : "none",
};

// Workload: each case in a namespace of its own.
const sites = config.cases.map(
  (studyCase) =>
    new DemoSite(caseResourceName("demo-site", studyCase.name), {
      settings: studyCase,
      provider: cluster.provider,
      lifetime: cluster.lifetime,
      meshReady,
    }),
);

// Test: the rolling restarts run one after another, in the order of the cases, never two at once,
// and only once every workload is in place, so that no Deployment rolls during another's test;
// siege runs on this machine or, in a namespace outside the mesh, as a Job in the cluster.
const allSitesReady = sites.flatMap((site) => site.ready);
const loadReady =
  config.test.loadFrom === "cluster"
    ? [new LoadNamespace("load", { name: config.test.loadNamespace, provider: cluster.provider, lifetime: cluster.lifetime }).ready]
    : [];
// Repeats go round the cases, every case once and then every case again, so that a drift of the
// node over the run falls on every case alike.
const measurements = config.cases.map((): pulumi.Output<RolloutMeasurement>[] => []);
let previousTest: pulumi.Resource[] = [];
for (let repeat = 1; repeat <= config.test.repeats; repeat++) {
  config.cases.forEach((studyCase, index) => {
    const site = sites[index];
    const test: RolloutTest = new RolloutTest(caseResourceName("rollout", studyCase.name, repeat), {
      target: {
        kubeContext: cluster.kubeContext,
        // minikube finds the Service's URL; on another cluster the script asks for a node's address.
        profile: existingContext ? "" : config.cluster.profile,
        namespace: studyCase.namespace,
        deployment: studyCase.manifest.deployment.metadata.name,
        service: studyCase.manifest.service.metadata.name,
        podSelector: site.podSelector,
        clusterUrl: site.clusterUrl,
      },
      settings: config.test,
      measured: { ...caseSetting(studyCase), replicas: studyCase.replicas, workload: site.fingerprint, repeat, ...measuredOn },
      after: [...meshReady, ...allSitesReady, ...loadReady, ...previousTest],
      loadJobName: caseResourceName("load", studyCase.name, repeat),
      connection: studyCase.connection,
    });
    previousTest = [test.done];
    measurements[index].push(test.measurement);
  });
}
const istioInCluster = istio
  ? `${version} ${meshInstalled === "ambient" ? "ambient" : "default"} profile, installed by ${installer}`
  : reuseIstio
    ? `${version}, found installed`
    : "none";
const { maxFailuresPer10k } = config.test;
const results = pulumi
  .all(
    config.cases.map((studyCase, index) =>
      pulumi.all(measurements[index]).apply((ms) => ({ ...caseResult(studyCase, ms), istio: istioInCluster })),
    ),
  )
  .apply((rs) => judgedResults(rs, maxFailuresPer10k));

// A case that failed to measure, or above the gate, fails the update, after every case has had its turn.
new Verdict("verdict", { failures: results.apply((rs) => verdictLines(rs, maxFailuresPer10k)), after: previousTest });

// Outputs.
export const kubeContext = cluster.kubeContext;
export const istioVersion = reuseIstio ? `${config.istio.version} (found installed)` : (istio?.version ?? "none");
export { results };
export const summary = results.apply((rs) => (config.matrix ? summaryTable(rs) : summaryLine(rs[0])));
// Written where pulumi runs (the project folder), never during a preview, which measures nothing.
export const report = results.apply((rs) =>
  pulumi.runtime.isDryRun() ? undefined : writeReport(path.resolve("reports"), pulumi.getStack(), rs, config.test),
);

// The single case's figures at the top level, as the seed printed them.
const single = config.matrix ? undefined : results.apply((rs) => rs[0]);
export const namespace = config.matrix ? undefined : config.cases[0].namespace;
export const injection = config.matrix ? undefined : config.cases[0].injection;
export const variant = config.matrix ? undefined : config.cases[0].variant;
export const sidecarMode = config.matrix ? undefined : config.cases[0].sidecarMode;
export const mesh = config.matrix ? undefined : config.cases[0].mesh;
export const availability = single?.apply((r) => r.availability);
export const requests = single?.apply((r) => r.requests);
export const failures = single?.apply((r) => r.failures);
export const failuresPer10k = single?.apply((r) =>
  r.failuresPer10k === undefined ? undefined : { rate: r.failuresPer10k, lower: r.failuresPer10kLower, upper: r.failuresPer10kUpper },
);
export const asExpected = single?.apply((r) => r.asExpected);
export const transactions = single?.apply((r) => r.transactions);
export const failedTransactions = single?.apply((r) => r.failedTransactions);
export const elapsedSeconds = single?.apply((r) => r.elapsedSeconds);
export const errors = single?.apply((r) => r.errors);
export const sidecar = single?.apply((r) => r.sidecar);
export const rolloutSeconds = single?.apply((r) => r.rolloutSeconds);
export const oldPodsGoneSeconds = single?.apply((r) => r.oldPodsGoneSeconds);
export const errorWindowSeconds = single?.apply((r) =>
  r.firstErrorSeconds === undefined ? undefined : { firstErrorSeconds: r.firstErrorSeconds, lastErrorSeconds: r.lastErrorSeconds },
);
