// The one list of the stack's config keys: their types, defaults and meaning.
// Pulumi.yaml declares the same keys for the CLI; tests/pulumiYaml.test.ts keeps the two in step,
// because the CLI applies Pulumi.yaml's defaults and the program under mocks sees only these.

export type KeyType = "string" | "integer" | "boolean";

export interface KeySpec {
  type: KeyType;
  default: string | number | boolean;
  description: string;
}

export const configKeys = {
  kubeContext: {
    type: "string",
    default: "",
    description: "Study an existing cluster: this context of your kubeconfig. Empty: the study's own minikube cluster.",
  },
  profile: {
    type: "string",
    default: "",
    description:
      "minikube profile of the lab's own cluster; empty: istio-exit-study-<stack>-<digest of the stack's name and the minikube home>. A profile the lab did not make, or another stack's, is refused.",
  },
  kubernetesVersion: {
    type: "string",
    default: "v1.35.1",
    description: "Kubernetes version of the minikube cluster (minikube --kubernetes-version).",
  },
  driver: {
    type: "string",
    default: "",
    description: "minikube driver (docker, podman, kvm2, hyperkit, qemu2, ...); empty lets minikube choose.",
  },
  cpus: {
    type: "integer",
    default: 4,
    description: "CPUs of the minikube cluster.",
  },
  memoryMiB: {
    type: "integer",
    default: 8192,
    description: "Memory of the minikube cluster, in MiB.",
  },
  istioVersion: {
    type: "string",
    default: "1.31.1",
    description: "Istio version: Helm chart version, or the version istioctl must report.",
  },
  istioChartRepo: {
    type: "string",
    default: "https://blob.istio.io/istio-release/charts",
    description: "Where Helm finds Istio's charts: a repository (https://, http://, oci://; for 1.31+ the Google-hosted one has none), or a folder holding them as `helm pull --untar` leaves them.",
  },
  istioInstaller: {
    type: "string",
    default: "helm",
    description: "How Istio is installed: helm (Helm releases) or istioctl (the user's istioctl, as the seed did).",
  },
  namespace: {
    type: "string",
    default: "demo-site",
    description: "Namespace the study creates for the workload.",
  },
  manifest: {
    type: "string",
    default: "manifests/demo-site.yaml",
    description: "YAML file with exactly one Deployment and one Service: the workload under study.",
  },
  replicas: {
    type: "integer",
    default: 3,
    description: "Replicas of the Deployment.",
  },
  injection: {
    type: "boolean",
    default: false,
    description: "Label the namespace istio-injection=enabled, so that pods get the istio-proxy sidecar.",
  },
  variant: {
    type: "string",
    default: "hook",
    description: "hook: the app container sleeps preStopSeconds in a preStop hook; nohook: no preStop hook.",
  },
  preStopSeconds: {
    type: "integer",
    default: 10,
    description: "Length of the app container's preStop sleep in the hook variant.",
  },
  sidecarMode: {
    type: "string",
    default: "classic",
    description: "classic: istio-proxy as a plain container; native: as a Kubernetes native sidecar. Always set per pod.",
  },
  mesh: {
    type: "string",
    default: "sidecar",
    description: "sidecar: Istio with sidecars (injection decides); ambient: Istio's ambient mode (ztunnel, no sidecar); none: no Istio at all.",
  },
  proxyDrainSeconds: {
    type: "integer",
    default: 0,
    description: "The sidecar's terminationDrainDuration (annotation proxy.istio.io/config); 0 keeps Istio's default of 5 s.",
  },
  exitOnZeroActiveConnections: {
    type: "boolean",
    default: false,
    description: "The sidecar exits once its active connections reach zero, after MINIMUM_DRAIN_DURATION (at least the preStop sleep).",
  },
  proxyPreStopSeconds: {
    type: "integer",
    default: 0,
    description: "A preStop sleep on the istio-proxy container itself (a container named istio-proxy in the pod spec, which Istio's injector merges): its SIGTERM, and so its drain, come this many seconds after the pod's deletion; 0: none. Classic sidecars only.",
  },
  connection: {
    type: "string",
    default: "close",
    description: "How the load connects: close (a connection per request, as the seed did) or keep-alive (each of its connections is kept, and conntrack pins it to the pod it first reached).",
  },
  expect: {
    type: "string",
    default: "",
    description: "What a case is expected to show: lossless, lossy or unknown; empty: what docs/istio-shutdown.md expects of its setting.",
  },
  load: {
    type: "string",
    default: "siege",
    description: "The load generator: siege (the seed's: a closed loop of concurrency users) or fortio (qps requests a second, a record of every request).",
  },
  qps: {
    type: "integer",
    default: 100,
    description: "With load=fortio: requests a second, spread evenly over concurrency connections.",
  },
  maxFailuresPer10k: {
    type: "string",
    default: "",
    description: "A gate: a case whose failures per 10,000 requests are above this number fails pulumi up, with its figures. Empty: no gate.",
  },
  loadFrom: {
    type: "string",
    default: "auto",
    description: "Where the load runs: host (this machine, through the NodePort), cluster (a Job outside the mesh), auto (host on minikube, cluster elsewhere).",
  },
  loadImage: {
    type: "string",
    default: "",
    description: "Image of the in-cluster load Job. Empty: debian:bookworm-slim for siege (installed at start; or any image with bash, siege and stdbuf), fortio/fortio:1.75.3 for fortio.",
  },
  concurrency: {
    type: "integer",
    default: 25,
    description: "siege's concurrent users (the seed used 25), or fortio's connections.",
  },
  warmupSeconds: {
    type: "integer",
    default: 5,
    description: "Seconds of load before the rollout restart.",
  },
  settleSeconds: {
    type: "integer",
    default: 10,
    description: "Seconds of load after the rollout has completed, while the old pods finish terminating.",
  },
  rolloutTimeoutSeconds: {
    type: "integer",
    default: 300,
    description: "How long the test waits for the rollout (kubectl rollout status --timeout) before it fails.",
  },
  cases: {
    type: "string",
    default: "",
    description: "Measure several settings in one run: standard, standard case names separated by commas, or a YAML list of cases (docs/configuration.md). Empty: the single case of the keys above.",
  },
  repeats: {
    type: "integer",
    default: 1,
    description: "How many times each case's test runs; results give the mean, min and max availability.",
  },
  run: {
    type: "string",
    default: "",
    description: "Any new value re-runs the measurement alone, e.g. pulumi up -c run=2.",
  },
} satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof configKeys;
