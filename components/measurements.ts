import * as pulumi from "@pulumi/pulumi";
import { gateWarnings, judgedResults, verdictLines } from "../lib/judgement";
import { caseResourceName } from "../lib/naming";
import { caseResult, CaseResult, caseSetting } from "../lib/results";
import { RolloutMeasurement } from "../lib/rolloutOutput";
import { StudyCase, TestSettings } from "../lib/settings";
import { StudyCluster } from "./cluster";
import { LoadNamespace } from "./loadNamespace";
import { RolloutTest } from "./rolloutTest";
import { Verdict } from "./verdict";
import { DemoSite } from "./workload";

export interface MeasurementsArgs {
  cases: StudyCase[];
  /** Each case's workload, in the order of the cases. */
  sites: DemoSite[];
  cluster: StudyCluster;
  test: TestSettings;
  /** What the tests must wait for besides the workloads: the mesh. */
  meshReady: pulumi.Resource[];
  /** What the measurements ran on beside the case (a rebuilt cluster or another Istio measures anew), and the Istio results name. */
  measuredOn: { cluster: string; istio: string };
  istioInCluster: string;
}

/**
 * The measured rolling restarts, and their verdict. They run one after another, in the order of the
 * cases, never two at once, and only once every workload is in place, so that no Deployment rolls
 * during another's test; repeats go round the cases, every case once and then every case again, so
 * that a drift of the node over the run falls on every case alike. The load runs on this machine or,
 * in a namespace outside the mesh, as a Job in the cluster. A case that failed to measure, or is
 * above the gate, fails the update once every case has had its turn.
 *
 * A function, not a component: its resources keep the names, and so the state, they had at the
 * top of the program.
 */
export function measureRollouts(args: MeasurementsArgs): pulumi.Output<CaseResult[]> {
  const { cases, sites, cluster, test } = args;
  const loadReady =
    test.loadFrom === "cluster"
      ? [new LoadNamespace("load", { name: test.loadNamespace, provider: cluster.provider, lifetime: cluster.lifetime }).ready]
      : [];
  const allReady = [...args.meshReady, ...sites.flatMap((site) => site.ready), ...loadReady];
  // What the tests wait for is all the study puts in the cluster.
  cluster.holds(allReady);
  const measurements = cases.map((): pulumi.Output<RolloutMeasurement>[] => []);
  let previousTest: pulumi.Resource[] = [];
  for (let repeat = 1; repeat <= test.repeats; repeat++) {
    cases.forEach((studyCase, index) => {
      const site = sites[index];
      const rollout: RolloutTest = new RolloutTest(caseResourceName("rollout", studyCase.name, repeat), {
        target: {
          kubeContext: cluster.kubeContext,
          profile: cluster.minikubeProfile,
          namespace: studyCase.namespace,
          deployment: studyCase.manifest.deployment.metadata.name,
          service: studyCase.manifest.service.metadata.name,
          podSelector: site.podSelector,
          mesh: studyCase.mesh,
          clusterUrl: site.clusterUrl,
        },
        settings: test,
        measured: { ...caseSetting(studyCase), replicas: studyCase.replicas, workload: site.fingerprint, repeat, ...args.measuredOn },
        after: [...allReady, ...previousTest],
        loadJobName: caseResourceName("load", studyCase.name, repeat),
        connection: studyCase.connection,
      });
      previousTest = [rollout.done];
      measurements[index].push(rollout.measurement);
    });
  }
  const results = pulumi
    .all(cases.map((studyCase, index) => pulumi.all(measurements[index]).apply((ms) => ({ ...caseResult(studyCase, ms), istio: args.istioInCluster }))))
    .apply((rs) => judgedResults(rs, test.maxFailuresPer10k));
  new Verdict("verdict", {
    failures: results.apply((rs) => verdictLines(rs, test.maxFailuresPer10k)),
    warnings: results.apply((rs) => gateWarnings(rs, test.maxFailuresPer10k)),
    after: previousTest,
  });
  return results;
}
