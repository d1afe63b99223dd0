import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { Connection, Mesh, TestSettings } from "../lib/settings";
import { fortioConnections, fortioRequestTimeoutSeconds, loadJobManifest, loadStopFile, siegercFor } from "../lib/loadJob";
import { parseRolloutOutput, RolloutMeasurement } from "../lib/rolloutOutput";

/** Where the test finds the workload it measures. */
export interface RolloutTarget {
  kubeContext: string;
  profile: string;
  namespace: string;
  deployment: string;
  service: string;
  podSelector: string;
  /** The mesh the pods are meant to be in: an ambient case's test first checks they are enrolled. */
  mesh: Mesh;
  /** The Service's address inside the cluster, for the load Job. */
  clusterUrl: pulumi.Input<string>;
}

export interface RolloutTestArgs {
  target: RolloutTarget;
  settings: TestSettings;
  /**
   * What the test measures (the workload's settings, its manifest, the cluster and Istio it runs
   * on): a change replaces the test, which runs it again.
   */
  measured: Record<string, string | number | boolean>;
  /** The workload and mesh must be ready, and an earlier test done: tests never overlap. */
  after: pulumi.Resource[];
  /** Name of this test's load Job, with loadFrom=cluster. */
  loadJobName: string;
  /** How the load's users connect. */
  connection: Connection;
}

/** What the load Job carries along: siege's settings and the script its pod runs. */
export interface LoadFiles {
  siegerc: string;
  script: string;
}

const projectDir = path.resolve(__dirname, "..");

export function readLoadFiles(): LoadFiles {
  return {
    siegerc: fs.readFileSync(path.join(projectDir, "siege/siegerc"), "utf8"),
    script: fs.readFileSync(path.join(projectDir, "scripts/in-cluster-load.sh"), "utf8"),
  };
}

/** Environment of scripts/rollout-test.sh; with loadFrom=cluster, the load Job as JSON among it. */
export function rolloutTestEnvironment(
  target: RolloutTarget & { clusterUrl: string },
  settings: TestSettings,
  loadJobName: string,
  files: LoadFiles,
  connection: Connection,
): Record<string, string> {
  const common = {
    KUBE_CONTEXT: target.kubeContext,
    PROFILE: target.profile,
    NAMESPACE: target.namespace,
    DEPLOYMENT: target.deployment,
    SERVICE: target.service,
    POD_SELECTOR: target.podSelector,
    MESH: target.mesh,
    LOAD: settings.load,
    CONCURRENCY: String(settings.concurrency),
    WARMUP_SECONDS: String(settings.warmupSeconds),
    SETTLE_SECONDS: String(settings.settleSeconds),
    ROLLOUT_TIMEOUT_SECONDS: String(settings.rolloutTimeoutSeconds),
    LOAD_TIME_LIMIT_SECONDS: String(loadTimeLimitSeconds(settings)),
    LOAD_FROM: settings.loadFrom,
  };
  const siegerc = siegercFor(files.siegerc, connection);
  const fortio = {
    QPS: String(settings.qps),
    FORTIO_CONNECTIONS: String(fortioConnections(settings, connection)),
    KEEPALIVE: String(connection === "keep-alive"),
    REQUEST_TIMEOUT_SECONDS: String(fortioRequestTimeoutSeconds),
  };
  const own = settings.load === "siege" ? { SIEGERC_CONTENT: siegerc } : fortio;
  if (settings.loadFrom === "host") return { ...common, ...own };
  const job = loadJobManifest(
    { namespace: settings.loadNamespace, name: loadJobName, image: settings.loadImage, deadlineSeconds: rolloutTestTimeoutSeconds(settings) },
    settings.load === "siege"
      ? {
          load: "siege",
          targetUrl: target.clusterUrl,
          concurrency: settings.concurrency,
          timeLimitSeconds: loadTimeLimitSeconds(settings),
          siegerc,
          script: files.script,
        }
      : { load: "fortio", args: fortioArguments(settings, connection, target.clusterUrl) },
  );
  return {
    ...common,
    ...(settings.load === "siege" ? { LOAD_STOP_FILE: loadStopFile } : fortio),
    LOAD_NAMESPACE: settings.loadNamespace,
    LOAD_JOB_NAME: loadJobName,
    LOAD_JOB: JSON.stringify(job),
  };
}

/**
 * `fortio load` in the Job, as scripts/load-fortio.sh runs it on the host, with its access log on
 * the pod's output beside its log.
 */
export function fortioArguments(settings: TestSettings, connection: Connection, url: string): string[] {
  return [
    "load",
    ...["-qps", String(settings.qps), "-c", String(fortioConnections(settings, connection)), "-t", `${loadTimeLimitSeconds(settings)}s`],
    ...["-uniform", "-nocatchup", "-allow-initial-errors", `-keepalive=${connection === "keep-alive"}`],
    ...["-timeout", `${fortioRequestTimeoutSeconds}s`, "-access-log-file", "/dev/stdout", "-access-log-format", "json", url],
  ];
}

/** The load's own time limit: it stops by itself even if nobody stops it. */
export function loadTimeLimitSeconds(settings: TestSettings): number {
  return settings.warmupSeconds + 2 * settings.rolloutTimeoutSeconds + settings.settleSeconds + 60;
}

/**
 * The files that measure: a change to one changes how every test measures. Every file
 * rollout-test.sh runs or sources, and every project file those import (a test derives them), and
 * what the load Job carries.
 */
export const measuringFiles = [
  "scripts/rollout-test.sh",
  "scripts/process-group.sh",
  "scripts/rollout-wait.sh",
  "scripts/mesh-pods.sh",
  "scripts/old-pods.sh",
  "scripts/load-siege.sh",
  "scripts/load-fortio.sh",
  "scripts/load-clock.sh",
  "scripts/summarize-siege.sh",
  "scripts/summarize-fortio.ts",
  "lib/fortio.ts",
  "lib/errorKinds.ts",
  "scripts/watch-pod-start.ts",
  "lib/podStart.ts",
  "scripts/in-cluster-load.sh",
  "siege/siegerc",
];

/** Digest of the measuring files of the project in `dir` as they are now. */
export function measuringFilesDigest(dir = projectDir): string {
  const hash = crypto.createHash("sha256");
  for (const file of measuringFiles) hash.update(fs.readFileSync(path.join(dir, file)));
  return hash.digest("hex").slice(0, 16);
}

/**
 * The key that re-runs the test when it changes: what is measured, how (the test settings and the
 * measuring files), and the user's `run` label. The number of repeats is not in it: more repeats
 * add tests, they do not redo the first ones. (A change of the command's environment alone would
 * run it again too, but in it siege's settings are only a path, and the scripts not at all.)
 */
export function rolloutTestTrigger(measured: RolloutTestArgs["measured"], settings: TestSettings, tools: string): string {
  const { repeats: _repeats, ...how } = settings;
  const sorted = Object.fromEntries(Object.entries({ ...measured, ...how, tools }).sort(([a], [b]) => a.localeCompare(b)));
  return JSON.stringify(sorted);
}

/**
 * Upper bound of one test: the wait for the current rollout, for the load Job's pod to start siege
 * (in the cluster), and for the restart's rollout, each at most rolloutTimeoutSeconds, the load
 * around them, and slack for the URL, the Job's end and its log.
 */
export function rolloutTestTimeoutSeconds(settings: TestSettings): number {
  const waits = settings.loadFrom === "cluster" ? 3 : 2;
  const slack = 300;
  return waits * settings.rolloutTimeoutSeconds + settings.warmupSeconds + settings.settleSeconds + slack;
}

/** One measured rolling restart: the load through `kubectl rollout restart`. */
export class RolloutTest extends pulumi.ComponentResource {
  readonly measurement: pulumi.Output<RolloutMeasurement>;
  /** The command, for the next test to wait on. */
  readonly done: pulumi.Resource;

  constructor(name: string, args: RolloutTestArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-exit-study:index:RolloutTest", name, {}, opts);
    const timeout = `${rolloutTestTimeoutSeconds(args.settings)}s`;
    const test = new command.local.Command(
      `${name}-test`,
      {
        create: "bash scripts/rollout-test.sh",
        environment: pulumi
          .output(args.target.clusterUrl)
          .apply((clusterUrl) => rolloutTestEnvironment({ ...args.target, clusterUrl }, args.settings, args.loadJobName, readLoadFiles(), args.connection)),
        triggers: [rolloutTestTrigger(args.measured, args.settings, measuringFilesDigest())],
        // The report can be long; the previous one in the environment could exceed the OS's limit.
        addPreviousOutputInEnv: false,
      },
      { parent: this, dependsOn: args.after, customTimeouts: { create: timeout, update: timeout } },
    );
    this.done = test;
    this.measurement = test.stdout.apply(parseRolloutOutput);
    this.registerOutputs({ measurement: this.measurement });
  }
}
