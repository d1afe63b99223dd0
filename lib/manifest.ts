import { parseAllDocuments } from "yaml";

/** A Kubernetes object as plain data, the shape the YAML file and @pulumi/kubernetes share. */
export type KubeObject = Record<string, any>;

export interface WorkloadManifest {
  deployment: KubeObject;
  service: KubeObject;
}

export interface PodShutdownSettings {
  variant: "hook" | "nohook";
  preStopSeconds: number;
  injection: boolean;
  sidecarMode: "classic" | "native";
  mesh: "sidecar" | "ambient" | "none";
  /** The sidecar's terminationDrainDuration; 0 leaves Istio's default. */
  proxyDrainSeconds: number;
  exitOnZeroActiveConnections: boolean;
  proxyPreStopSeconds: number;
}

/**
 * Parses the workload file: exactly one apps/v1 Deployment and one v1 Service whose selector
 * matches the Deployment's pods. Throws a message that says what is wrong with the file.
 */
export function parseWorkloadManifest(text: string): WorkloadManifest {
  const documents = parseAllDocuments(text);
  const objects: KubeObject[] = [];
  for (const document of Array.isArray(documents) ? documents : [documents]) {
    if (document.errors.length > 0) throw new Error(`it is not valid YAML: ${document.errors[0].message}`);
    const value = document.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== "object" || Array.isArray(value)) throw new Error("every YAML document must be a Kubernetes object");
    objects.push(value);
  }
  const deployments = objects.filter((o) => o.kind === "Deployment");
  const services = objects.filter((o) => o.kind === "Service");
  if (deployments.length !== 1 || services.length !== 1 || objects.length !== 2) {
    const kinds = objects.map((o) => o.kind ?? "(no kind)").join(", ") || "nothing";
    throw new Error(`it must hold exactly one Deployment and one Service, found ${kinds}`);
  }
  const [deployment] = deployments;
  const [service] = services;
  if (deployment.apiVersion !== "apps/v1" || service.apiVersion !== "v1") {
    throw new Error("the Deployment must be apps/v1 and the Service v1");
  }
  for (const object of [deployment, service]) {
    if (typeof object.metadata?.name !== "string") throw new Error(`the ${object.kind} has no metadata.name`);
  }
  const matchLabels = deployment.spec?.selector?.matchLabels;
  if (!matchLabels || typeof matchLabels !== "object" || Object.keys(matchLabels).length === 0) {
    throw new Error("the Deployment needs spec.selector.matchLabels, by which the test finds its pods");
  }
  const containers = deployment.spec?.template?.spec?.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    throw new Error("the Deployment has no containers in spec.template.spec.containers");
  }
  const podLabels: Record<string, string> = deployment.spec?.template?.metadata?.labels ?? {};
  const selector: Record<string, string> = service.spec?.selector ?? {};
  const selected = Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => podLabels[k] === v);
  if (!selected) throw new Error("the Service's spec.selector does not select the Deployment's pods");
  if (!Array.isArray(service.spec?.ports) || service.spec.ports.length === 0) {
    throw new Error("the Service has no ports");
  }
  return { deployment, service };
}

/** The Deployment's pods as a kubectl label selector, e.g. `app=demo-site`. */
export function podSelector(manifest: WorkloadManifest): string {
  return Object.entries(manifest.deployment.spec.selector.matchLabels as Record<string, string>)
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
}

/** Istio's own default terminationDrainDuration, which the grace period must leave room for. */
export const istioDefaultDrainSeconds = 5;
const shutdownMarginSeconds = 15;
const kubernetesDefaultGraceSeconds = 30;

/**
 * The grace period must outlast the preStop sleep and the sidecar's drain that follows it, or the
 * kubelet's SIGKILL would cut the very shutdown this study measures. (A native sidecar starts its
 * drain from its own preStop at the deletion, and exits as soon as it gets SIGTERM, after the app.)
 */
export function terminationGracePeriodSeconds(settings: PodShutdownSettings, declared?: number): number {
  const drain = Math.max(settings.proxyDrainSeconds || istioDefaultDrainSeconds, proxyMinimumDrainSeconds(settings));
  // A preStop sleep on the proxy delays its SIGTERM, and so its drain, as the app's sleep may.
  const needed = Math.max(preStopSeconds(settings), settings.proxyPreStopSeconds) + drain + shutdownMarginSeconds;
  return Math.max(declared ?? kubernetesDefaultGraceSeconds, needed);
}

function preStopSeconds(settings: PodShutdownSettings): number {
  return settings.variant === "hook" ? settings.preStopSeconds : 0;
}

/**
 * With exit-on-zero-connections, pilot-agent ignores terminationDrainDuration and waits at least
 * MINIMUM_DRAIN_DURATION: it must cover the app's preStop sleep, or the sidecar leaves first again.
 */
export function proxyMinimumDrainSeconds(settings: PodShutdownSettings): number {
  return settings.exitOnZeroActiveConnections ? Math.max(preStopSeconds(settings), istioDefaultDrainSeconds) : 0;
}

/**
 * The pod's `proxy.istio.io/config` (ProxyConfig, as JSON, which is YAML too), or undefined when no
 * switch asks for one, so that the default run is the seed's.
 */
export function proxyConfigAnnotation(settings: PodShutdownSettings): string | undefined {
  const config: Record<string, unknown> = {};
  if (settings.proxyDrainSeconds > 0) config.terminationDrainDuration = `${settings.proxyDrainSeconds}s`;
  if (settings.exitOnZeroActiveConnections) {
    config.proxyMetadata = {
      EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "true",
      MINIMUM_DRAIN_DURATION: `${proxyMinimumDrainSeconds(settings)}s`,
    };
  }
  return Object.keys(config).length > 0 ? JSON.stringify(config) : undefined;
}

/** Pod-template annotations that record how the pod joins the mesh, so that a flip rolls the pods. */
export const injectionAnnotation = "istio-exit-study/injection";
export const meshAnnotation = "istio-exit-study/mesh";

/**
 * The Deployment as it is deployed for one setting: namespace, replicas, the app containers' preStop
 * hook (set or removed), the grace period, and the Istio annotations that must never be left to defaults.
 */
export function renderDeployment(
  manifest: WorkloadManifest,
  namespace: string,
  replicas: number,
  settings: PodShutdownSettings,
): KubeObject {
  const deployment: KubeObject = structuredClone(manifest.deployment);
  deployment.metadata = { ...deployment.metadata, namespace };
  deployment.spec.replicas = replicas;
  const template = deployment.spec.template;
  template.metadata = {
    ...template.metadata,
    annotations: {
      ...template.metadata?.annotations,
      // Istio >= 1.27 turns native sidecars on by itself on Kubernetes >= 1.33, which hides the
      // failure under study: the mode is always explicit.
      "sidecar.istio.io/nativeSidecar": String(settings.sidecarMode === "native"),
      [injectionAnnotation]: String(settings.injection),
      [meshAnnotation]: settings.mesh,
    },
  };
  const proxyConfig = proxyConfigAnnotation(settings);
  if (proxyConfig) template.metadata.annotations["proxy.istio.io/config"] = proxyConfig;
  const podSpec = template.spec;
  podSpec.containers = podSpec.containers.map((container: KubeObject) => {
    const { preStop: _declaredPreStop, ...lifecycle } = container.lifecycle ?? {};
    if (settings.variant === "hook") {
      // The sleep action needs no shell in the image (Kubernetes >= 1.30), so any workload can be studied.
      return { ...container, lifecycle: { ...lifecycle, preStop: { sleep: { seconds: settings.preStopSeconds } } } };
    }
    const rest = { ...container };
    if (Object.keys(lifecycle).length > 0) rest.lifecycle = lifecycle;
    else delete rest.lifecycle;
    return rest;
  });
  if (settings.proxyPreStopSeconds > 0) {
    // Istio's injector merges a container named istio-proxy of the pod spec into the one it injects
    // ("image: auto" is its placeholder for its own image): the proxy gets a preStop sleep of its own.
    // Only a classic sidecar can take it: without injection nothing replaces "auto" and the pod never
    // starts, and on a native sidecar Istio's own preStop is laid over it, two handlers the API server
    // refuses. config/ leaves the switch out of such a case; this is the last guard.
    if (!(settings.mesh === "sidecar" && settings.injection && settings.sidecarMode === "classic")) {
      throw new Error(
        `proxyPreStopSeconds=${settings.proxyPreStopSeconds} needs a classic sidecar (mesh=sidecar, injection=true, ` +
          `sidecarMode=classic), and these pods have mesh=${settings.mesh}, injection=${settings.injection}, ` +
          `sidecarMode=${settings.sidecarMode}: leave it at 0`,
      );
    }
    podSpec.containers.push({
      name: "istio-proxy",
      image: "auto",
      lifecycle: { preStop: { sleep: { seconds: settings.proxyPreStopSeconds } } },
    });
  }
  podSpec.terminationGracePeriodSeconds = terminationGracePeriodSeconds(settings, podSpec.terminationGracePeriodSeconds);
  return deployment;
}

/** The Service, placed in the study's namespace. */
export function renderService(manifest: WorkloadManifest, namespace: string): KubeObject {
  const service: KubeObject = structuredClone(manifest.service);
  service.metadata = { ...service.metadata, namespace };
  return service;
}
