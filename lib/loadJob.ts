import type { Connection, TestSettings } from "./settings";
import { KubeObject } from "./manifest";

/** The load Job of a test, whichever the load. */
export interface LoadJobSettings {
  namespace: string;
  name: string;
  image: string;
  /** The Job fails after this long, whatever happens inside it. */
  deadlineSeconds: number;
}

/** siege in the Job: scripts/in-cluster-load.sh, with siege's settings. */
export interface SiegeJob {
  load: "siege";
  targetUrl: string;
  concurrency: number;
  /** siege's own time limit, a bound should nobody ever stop it. */
  timeLimitSeconds: number;
  siegerc: string;
  /** scripts/in-cluster-load.sh, which the pod runs. */
  script: string;
}

/** fortio in the Job: `fortio load`, its access log and its log both on the pod's output. */
export interface FortioJob {
  load: "fortio";
  args: string[];
}

/**
 * siege's settings for a case: the project's siege/siegerc, with the case's `connection`. The file
 * must name it once, or the case's setting would be lost.
 */
export function siegercFor(siegerc: string, connection: Connection): string {
  const line = /^connection = .*$/m;
  if ((siegerc.match(/^connection = .*$/gm) ?? []).length !== 1) throw new Error("siege/siegerc must set `connection = ...` once");
  return siegerc.replace(line, `connection = ${connection}`);
}

/** Where the pod's script waits for the test script's word to stop. */
export const loadStopFile = "/tmp/study-stop";

/**
 * The Job that loads the Service from inside the cluster. Its pod stays outside the mesh (no sidecar,
 * no ambient enrollment), so that no client-side proxy retries a failed request and hides it.
 */
export function loadJobManifest(settings: LoadJobSettings, load: SiegeJob | FortioJob): KubeObject {
  const outsideTheMesh = { "sidecar.istio.io/inject": "false", "istio.io/dataplane-mode": "none" };
  const container =
    load.load === "siege"
      ? {
          name: "siege",
          image: settings.image,
          command: ["bash", "-c", load.script],
          env: [
            { name: "TARGET_URL", value: load.targetUrl },
            { name: "CONCURRENCY", value: String(load.concurrency) },
            { name: "TIME_LIMIT_SECONDS", value: String(load.timeLimitSeconds) },
            { name: "SIEGERC_CONTENT", value: load.siegerc },
            { name: "STOP_FILE", value: loadStopFile },
          ],
        }
      : // The image's entrypoint is fortio (the official image has nothing else: no shell).
        { name: "fortio", image: settings.image, args: load.args };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: settings.name, namespace: settings.namespace, labels: { "app.kubernetes.io/name": "istio-exit-study-load" } },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: settings.deadlineSeconds,
      ttlSecondsAfterFinished: 600,
      template: {
        metadata: { labels: { "app.kubernetes.io/name": "istio-exit-study-load", ...outsideTheMesh } },
        spec: {
          restartPolicy: "Never",
          containers: [
            {
              ...container,
              resources: {
                requests: { cpu: "500m", memory: "128Mi" },
                limits: { cpu: "2", memory: "512Mi" },
              },
            },
          ],
        },
      },
    },
  };
}

/**
 * fortio gives up on a request after this long. Short, because a connection fortio waits on skips its
 * next requests: a connect to a pod that is gone, which hangs (no RST comes back), holds its
 * connection this long. siege keeps the seed's 10 s (siege/siegerc).
 */
export const fortioRequestTimeoutSeconds = 2;

/**
 * fortio's connections: each sends its share of the rate one request after another, and skips a turn
 * its last request still holds. With a connection per request, there are enough for every request
 * to start on time even if each took the whole timeout, twice over, so that a rate asked is a rate
 * sent; kept connections are as many as `concurrency` says, and a stalled one shows as requests
 * sent short of those asked.
 */
export function fortioConnections(settings: TestSettings, connection: Connection): number {
  if (connection === "keep-alive") return settings.concurrency;
  return Math.max(settings.concurrency, 2 * settings.qps * fortioRequestTimeoutSeconds);
}
