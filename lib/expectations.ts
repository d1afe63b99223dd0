// What a case is expected to show, read from how Istio and Kubernetes shut a pod down (docs/istio-shutdown.md,
// "What happens when a pod with a sidecar goes"), so that a measurement can be checked against it.

export type Expectation = "lossless" | "lossy" | "unknown";

/** What of a case's setting decides its expectation (config's WorkloadSettings). */
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
}

const istioDrainSeconds = 5;

/**
 * - No sidecar: the app's preStop sleep outlasts kube-proxy's switch-over (lossless); without it,
 *   nginx stops listening while connections still arrive (lossy).
 * - Native sidecar: debated (istio/istio#60649); ambient: the reports come through a gateway, and
 *   the lab's client comes through a NodePort (istio/istio#58514): unknown.
 * - Classic sidecar without the hook: Envoy answers 503 for the app that is gone (lossy).
 * - Classic sidecar with the hook: Envoy is killed when its drain ends (after its own preStop
 *   sleep, if any), lossless when that is no earlier than the app's exit; exit on zero
 *   connections waits at least the app's sleep. With a preStop on the proxy and kept connections,
 *   requests reach the app once it has exited, before Envoy drains: 503s (lossy).
 */
export function expectedOutcome(setting: ShutdownSetting): Expectation {
  const sidecar = setting.mesh === "sidecar" && setting.injection;
  if (setting.mesh === "ambient") return "unknown";
  if (!sidecar) return setting.variant === "hook" ? "lossless" : "lossy";
  if (setting.sidecarMode === "native") return "unknown";
  if (setting.variant === "nohook") return "lossy";
  if (setting.exitOnZeroActiveConnections) return "lossless";
  if (setting.proxyPreStopSeconds > 0 && setting.connection === "keep-alive") return "lossy";
  const envoyKilledAt = setting.proxyPreStopSeconds + (setting.proxyDrainSeconds || istioDrainSeconds);
  return envoyKilledAt >= setting.preStopSeconds ? "lossless" : "lossy";
}

/** Whether a case's failures match what it was expected to show; undefined when nothing was. */
export function asExpected(expectation: Expectation, failures: number): boolean | undefined {
  if (expectation === "unknown") return undefined;
  return expectation === "lossless" ? failures === 0 : failures > 0;
}
