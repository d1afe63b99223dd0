// The study's settings as config/ reads them from the stack's keys: the types the components and
// lib/ take, on the lowest floor that uses them.
import type { Expectation } from "./expectations";
import type { WorkloadManifest } from "./manifest";

export type IstioInstaller = "helm" | "istioctl";
export type Variant = "hook" | "nohook";
export type SidecarMode = "classic" | "native";
export type Mesh = "sidecar" | "ambient" | "none";
export type Connection = "close" | "keep-alive";

export interface ClusterSettings {
  /** A context of the user's kubeconfig to study instead of the study's own minikube; "" for minikube. */
  kubeContext: string;
  profile: string;
  kubernetesVersion: string;
  driver: string;
  cpus: number;
  memoryMiB: number;
}

export interface IstioSettings {
  version: string;
  chartRepo: string;
  installer: IstioInstaller;
  /** What Istio is installed for: nothing (none), sidecars, or ambient mode (which serves sidecars too). */
  mesh: Mesh;
  /** Istio's platform profile (`global.platform`): minikube for the study's own cluster, else none. */
  platform: "minikube" | "";
}

export interface WorkloadSettings {
  namespace: string;
  manifest: WorkloadManifest;
  replicas: number;
  injection: boolean;
  variant: Variant;
  preStopSeconds: number;
  sidecarMode: SidecarMode;
  mesh: Mesh;
  /** 0: Istio's default. */
  proxyDrainSeconds: number;
  exitOnZeroActiveConnections: boolean;
  /** A preStop sleep on istio-proxy itself; 0: none. */
  proxyPreStopSeconds: number;
  /** How the load connects: a case's setting, though not the workload's. */
  connection: Connection;
  /** What the case is expected to show: the case's own `expect`, or what its setting leads to expect. */
  expect: Expectation;
}

export type LoadFrom = "host" | "cluster";

export type Load = "siege" | "fortio";

export interface TestSettings {
  /** The load generator: siege's closed loop, or fortio's fixed rate. */
  load: Load;
  /** fortio's rate, requests per second. */
  qps: number;
  /** host: the load on this machine through the NodePort; cluster: in a Job outside the mesh. */
  loadFrom: LoadFrom;
  /** The load Job's image: the configured one, or the load's own default. */
  loadImage: string;
  /** Namespace of the load Jobs, outside the mesh. */
  loadNamespace: string;
  concurrency: number;
  warmupSeconds: number;
  settleSeconds: number;
  rolloutTimeoutSeconds: number;
  /** How many times each case's test runs. */
  repeats: number;
  run: string;
  /** A case above this many failures per 10,000 requests fails the update; undefined: no gate. */
  maxFailuresPer10k?: number;
}

/** One setting under study, with a namespace and workload of its own. */
export interface StudyCase extends WorkloadSettings {
  /** "" for the single case of the stack's own keys. */
  name: string;
}

export interface StudyConfig {
  cluster: ClusterSettings;
  istio: IstioSettings;
  /** The one case of the stack's keys, or the list of `cases`, in the order the tests run. */
  cases: StudyCase[];
  /** Whether `cases` was set: results are then a table of cases. */
  matrix: boolean;
  test: TestSettings;
  /** Settings that do less than they seem to, each with the reason: the program logs them. */
  warnings: string[];
}
