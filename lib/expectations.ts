// What a case is expected to show, from how Kubernetes stops a pod's containers, how Istio's agent ends
// Envoy and what the load does with a connection the pod closes (docs/istio-shutdown.md, "What happens
// when a pod with a sidecar goes", cites the source of each step), so that a measurement can be checked
// against it.
import { istioDefaultDrainSeconds, proxyMinimumDrainSeconds } from "./manifest";

export type Expectation = "lossless" | "lossy" | "unknown";

/** What of a case's setting decides its expectation (config's WorkloadSettings, and the stack's load). */
export interface ShutdownSetting {
  mesh: "sidecar" | "ambient" | "none";
  injection: boolean;
  variant: "hook" | "nohook";
  preStopSeconds: number;
  sidecarMode: "classic" | "native";
  /** 0: Istio's terminationDrainDuration of 5 s. */
  proxyDrainSeconds: number;
  exitOnZeroActiveConnections: boolean;
  proxyPreStopSeconds: number;
  connection: "close" | "keep-alive";
  load: "siege" | "fortio";
}

/**
 * How long after a pod's deletion new connections may still reach it: the EndpointSlice change has to
 * reach kube-proxy, which rewrites the node's rules at most once a second (minSyncPeriod). On the lab's
 * real node, the last failed request of a pod without a preStop sleep started 2.1 s after the first
 * deletion (docs/contributing.md); a second more, one sync that was just missed, makes 3 s. A part of
 * the pod that ends at or before this loses connections still arriving.
 */
export const newConnectionsUntilSeconds = 3;

/** When, in seconds after the pod's deletion, the app and the sidecar in front of it stop serving. */
interface ShutdownTimeline {
  /** nginx stops listening and closes its kept connections. */
  appExit: number;
  /**
   * Envoy starts draining (it still accepts and forwards, and closes each kept connection after its
   * next response), and is gone: with exit on zero connections, at the earliest, which is all the rule
   * needs, since Envoy then outlives the app.
   */
  proxy?: { drainStart: number; exit: number };
}

function shutdownTimeline(setting: ShutdownSetting): ShutdownTimeline {
  // The kubelet runs every container's preStop hook at the deletion, all at once, and stops each
  // container when its hook is done, at once without one (kuberuntime_container.go, killContainer).
  const appExit = setting.variant === "hook" ? setting.preStopSeconds : 0;
  if (setting.mesh !== "sidecar" || !setting.injection) return { appExit };
  if (setting.sidecarMode === "native") {
    // Istio's own preStop on a native istio-proxy starts the drain at the deletion; the kubelet stops
    // a sidecar only once the app has exited (terminationOrdering), and the agent, already drained,
    // then kills Envoy at once, whatever the drain settings ((*Agent).terminate, skipDrain).
    return { appExit, proxy: { drainStart: 0, exit: appExit } };
  }
  // A classic istio-proxy is stopped at the deletion, or after its own preStop sleep: the agent drains
  // and kills Envoy terminationDrainDuration later, or with exit on zero connections no earlier than
  // MINIMUM_DRAIN_DURATION, which the lab sets to at least the app's sleep.
  const drainStart = setting.proxyPreStopSeconds;
  const drain = setting.exitOnZeroActiveConnections
    ? proxyMinimumDrainSeconds(setting)
    : setting.proxyDrainSeconds || istioDefaultDrainSeconds;
  return { appExit, proxy: { drainStart, exit: drainStart + drain } };
}

/**
 * - Kept connections with siege: lossy, whatever the pod. siege never reads a response's
 *   `Connection: close` and never retries, so the request it next sends on a kept connection the pod
 *   has closed fails; every old pod closes its kept connections as it goes.
 * - Ambient: unknown. ztunnel carries the pod's traffic, and its source is not in Istio's module.
 * - Otherwise, whichever of the app and Envoy ends first: at or before newConnectionsUntilSeconds,
 *   new connections still arrive and are refused, or answered 503 by an Envoy whose app is gone (lossy).
 * - Kept connections with fortio: fortio retries, once and on a new connection, a request whose kept
 *   connection the pod closed, and by then new connections reach other pods. What it cannot retry is
 *   a 503 from an Envoy that still forwards a kept connection to the exited app: lossy when the app
 *   exits before Envoy's drain has closed them, i.e. no earlier than the drain starts. (A second
 *   between the two is enough: a connection of fortio's default load carries a request every 0.25 s.)
 */
export function expectedOutcome(setting: ShutdownSetting): Expectation {
  if (setting.connection === "keep-alive" && setting.load === "siege") return "lossy";
  if (setting.mesh === "ambient") return "unknown";
  const { appExit, proxy } = shutdownTimeline(setting);
  const firstEnd = Math.min(appExit, proxy?.exit ?? appExit);
  if (firstEnd <= newConnectionsUntilSeconds) return "lossy";
  if (setting.connection === "keep-alive" && proxy && proxy.drainStart >= appExit) return "lossy";
  return "lossless";
}

/** Whether a case's failures match what it was expected to show; undefined when nothing was. */
export function asExpected(expectation: Expectation, failures: number): boolean | undefined {
  if (expectation === "unknown") return undefined;
  return expectation === "lossless" ? failures === 0 : failures > 0;
}
