import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { gateWarnings, judgedResults, verdictLines } from "../lib/judgement";
import { caseResourceName } from "../lib/naming";
import { caseResult, CaseResult, caseSetting } from "../lib/results";
import { RolloutMeasurement } from "../lib/rolloutOutput";
import { StudyCase, TestSettings } from "../lib/settings";
import { StudyCluster } from "./cluster";
import { LoadNamespace } from "./loadNamespace";
import { RolloutTarget, RolloutTest } from "./rolloutTest";
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

/** Environment of scripts/wait-for-rollouts.sh: each case's Deployment, a line each, and one bound for all. */
export function rolloutWaitEnvironment(
  kubeContext: string,
  targets: Pick<RolloutTarget, "namespace" | "deployment" | "podSelector">[],
  rolloutTimeoutSeconds: number,
): Record<string, string> {
  return {
    KUBE_CONTEXT: kubeContext,
    ROLLOUT_TIMEOUT_SECONDS: String(rolloutTimeoutSeconds),
    DEPLOYMENTS: targets.map((t) => `${t.namespace} ${t.deployment} ${t.podSelector}`).join("\n"),
  };
}

/**
 * The measured rolling restarts, and their verdict. They run one after another, in the order of the
 * cases, never two at once, and only once every workload is in place and rolled out, so that no
 * Deployment rolls, nor its pods start, during another's test: the provider does not await the
 * Deployments (components/workload.ts), so with several cases one command first waits for every
 * one's rollout (scripts/wait-for-rollouts.sh, the tests' own wait, within rolloutTimeoutSeconds in
 * all), and never fails the update: a case whose pods cannot start fails in its own test, saying
 * why. With one case, its test's own wait is that wait. Repeats go round the cases, every case once
 * and then every case again, so that a drift of the node over the run falls on every case alike. The
 * load runs on this machine or, in a namespace outside the mesh, as a Job in the cluster. A case that
 * failed to measure, or is above the gate, fails the update once every case has had its turn.
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
  const rolledOut = cases.length > 1 ? [waitForRollouts(args, allReady)] : [];
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
        after: [...allReady, ...rolledOut, ...previousTest],
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

/**
 * The wait for every case's rollout before the first test. It runs again whenever a workload or what
 * it runs on changes (a Deployment then rolls), and is bounded well within its own time limit.
 */
function waitForRollouts(args: MeasurementsArgs, after: pulumi.Resource[]): command.local.Command {
  const timeout = `${args.test.rolloutTimeoutSeconds + 300}s`;
  const targets = args.cases.map((studyCase, index) => ({
    namespace: studyCase.namespace,
    deployment: studyCase.manifest.deployment.metadata.name,
    podSelector: args.sites[index].podSelector,
  }));
  return new command.local.Command(
    "workloads-rolled-out",
    {
      create: "bash scripts/wait-for-rollouts.sh",
      environment: rolloutWaitEnvironment(args.cluster.kubeContext, targets, args.test.rolloutTimeoutSeconds),
      triggers: [JSON.stringify({ workloads: args.sites.map((site) => site.fingerprint), ...args.measuredOn })],
      addPreviousOutputInEnv: false,
    },
    { dependsOn: after, customTimeouts: { create: timeout, update: timeout } },
  );
}
