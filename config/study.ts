import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { NodeLoad, nodeLoad, Requests } from "../lib/capacity";
import { istioChartNames } from "../lib/istioCharts";
import { parseWorkloadManifest, WorkloadManifest } from "../lib/manifest";
import { Expectation, expectedOutcome } from "../lib/expectations";
import { defaultProfile } from "../lib/minikubeProfile";
import { caseResourceName } from "../lib/naming";
import { ConfigKey, configKeys } from "./keys";

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

/** Reads one raw config value; `pulumi.Config.get` in the program, a map in tests. */
export type ConfigSource = (key: string) => string | undefined;

export class ConfigError extends Error {
  /** `key` may be a path into a structured key, e.g. `cases[drain].proxyDrainSeconds`. */
  constructor(key: string, value: string, allowed: string) {
    super(`config ${key}=${JSON.stringify(value)} is invalid: ${allowed}`);
    this.name = "ConfigError";
  }
}

const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const emptyOrDnsLabel = /^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)?$/;
const kubernetesVersion = /^v1\.([3-9]\d|\d{3,})\.\d+$/;
const istioVersion = /^1\.\d+\.\d+$/;
// minikube names its drivers in lower case letters and digits; anything else is a typo or worse.
const driverName = /^[a-z0-9]*$/;
// Context names come from kubeconfig files: EKS ARNs, GKE's underscores, user@cluster, kind-kind.
const contextName = /^([A-Za-z0-9._:@/+-]{1,253})?$/;
// An image reference: registry/name:tag or @digest; no spaces, quotes or shell characters.
const emptyOrImageName = /^([a-z0-9][A-Za-z0-9._/:@-]{0,254})?$/;
/** The load Job's image when loadImage is empty: Debian, where siege is installed at start; fortio's own. */
export const defaultLoadImage = { siege: "debian:bookworm-slim", fortio: "fortio/fortio:1.75.3" } as const;

class Reader {
  /**
   * `where` names the case whose values this reads, e.g. `cases[drain].`; `own` tells the keys the
   * case sets itself from those it takes from the stack's config (all of them for the stack's keys).
   */
  constructor(
    private readonly source: ConfigSource,
    readonly where = "",
    // The CLI hands the program Pulumi.yaml's default of every key it was not given: a stack's key is
    // set only when it differs from its default.
    private readonly own: (key: ConfigKey) => boolean = (key) => ![undefined, String(configKeys[key].default)].includes(source(key)),
  ) {}

  /** Whether the key is set where this reader reads: by the case itself, or in the stack's config. */
  setHere(key: ConfigKey): boolean {
    return this.own(key);
  }

  private raw(key: ConfigKey): string {
    const value = this.source(key);
    return value === undefined ? String(configKeys[key].default) : value;
  }

  fail(key: ConfigKey, value: string, allowed: string): never {
    throw new ConfigError(`${this.where}${key}`, value, allowed);
  }

  string(key: ConfigKey, pattern: RegExp, allowed: string): string {
    const value = this.raw(key);
    if (!pattern.test(value)) this.fail(key, value, allowed);
    return value;
  }

  oneOf<T extends string>(key: ConfigKey, choices: readonly T[]): T {
    const value = this.raw(key);
    if (!(choices as readonly string[]).includes(value)) this.fail(key, value, `expected one of ${choices.join(", ")}`);
    return value as T;
  }

  boolean(key: ConfigKey): boolean {
    const value = this.raw(key);
    if (value !== "true" && value !== "false") this.fail(key, value, "expected true or false");
    return value === "true";
  }

  integer(key: ConfigKey, min: number, max: number): number {
    const value = this.raw(key);
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      this.fail(key, value, `expected a whole number from ${min} to ${max}`);
    }
    return Number(value);
  }

  /**
   * Where Helm finds Istio's charts: a repository (https://, http:// or oci://), or a folder that
   * holds them as `helm pull --untar` leaves them, for clusters that cannot reach a repository. A
   * folder is returned as an absolute path; a relative one starts at `baseDir`.
   */
  chartRepo(key: ConfigKey, baseDir: string, charts: readonly string[]): string {
    const value = this.raw(key);
    const allowed = `expected an https://, http:// or oci:// URL, or a folder holding the charts ${charts.join(", ")}`;
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
      let parsed: URL | undefined;
      try {
        parsed = new URL(value);
      } catch {
        parsed = undefined;
      }
      if (!parsed || !["https:", "http:", "oci:"].includes(parsed.protocol)) this.fail(key, value, allowed);
      return value;
    }
    if (value === "") this.fail(key, value, allowed);
    const folder = path.resolve(baseDir, value);
    const missing = charts.filter((chart) => !fs.existsSync(path.join(folder, chart, "Chart.yaml")));
    if (missing.length > 0) {
      this.fail(key, value, `${allowed}; ${folder} has no ${missing.map((chart) => `${chart}/Chart.yaml`).join(", ")}`);
    }
    return folder;
  }

  manifest(key: ConfigKey, baseDir: string): WorkloadManifest {
    const value = this.raw(key);
    let text: string;
    try {
      text = fs.readFileSync(path.resolve(baseDir, value), "utf8");
    } catch (error) {
      this.fail(key, value, `expected a readable file (${(error as Error).message})`);
    }
    try {
      return parseWorkloadManifest(text);
    } catch (error) {
      this.fail(key, value, (error as Error).message);
    }
  }
}

const reservedNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease", "istio-system"];
const dnsLabelRule = "expected a DNS label: lower case letters, digits and '-', at most 63 characters";

// The load Job of a case is load-<case>-<repeat>, at most 63 characters.
const maxCaseNameLength = 50;

/** The keys a case of `cases` may set; every other key is the stack's, shared by all cases. */
export const caseKeys = [
  "injection",
  "variant",
  "preStopSeconds",
  "sidecarMode",
  "mesh",
  "proxyDrainSeconds",
  "exitOnZeroActiveConnections",
  "proxyPreStopSeconds",
  "connection",
  "expect",
] as const;
export type CaseKey = (typeof caseKeys)[number];
export type CaseValues = Partial<Record<CaseKey, string | number | boolean>>;

/**
 * The built-in list: the seed's four runs (no mesh, then the classic sidecar, each without and with
 * the hook) and each known fix on top of the hook: a longer drain, exit on zero connections, a
 * preStop sleep on the proxy itself (each outlasting the app's sleep), native sidecars, ambient.
 */
export function standardCases(preStopSeconds: number): { name: string; values: CaseValues }[] {
  const sidecar = { mesh: "sidecar", injection: true, sidecarMode: "classic" } as const;
  return [
    { name: "nomesh-nohook", values: { mesh: "none", injection: false, variant: "nohook" } },
    { name: "nomesh-hook", values: { mesh: "none", injection: false, variant: "hook" } },
    { name: "sidecar-nohook", values: { ...sidecar, variant: "nohook" } },
    { name: "sidecar-hook", values: { ...sidecar, variant: "hook" } },
    { name: "drain-hook", values: { ...sidecar, variant: "hook", proxyDrainSeconds: preStopSeconds + 5 } },
    { name: "exit-on-zero-hook", values: { ...sidecar, variant: "hook", exitOnZeroActiveConnections: true } },
    { name: "proxy-prestop-hook", values: { ...sidecar, variant: "hook", proxyPreStopSeconds: preStopSeconds + 5 } },
    { name: "native-hook", values: { ...sidecar, variant: "hook", sidecarMode: "native" } },
    { name: "ambient-hook", values: { mesh: "ambient", injection: false, variant: "hook" } },
  ];
}

/** Istio's drainDuration: Envoy closes its listeners this long after the drain starts, whatever comes later. */
const envoyDrainDurationSeconds = 45;

function readCaseSettings(read: Reader): Pick<WorkloadSettings, CaseKey> {
  const mesh = read.oneOf("mesh", ["sidecar", "ambient", "none"] as const);
  const injection = read.boolean("injection");
  if (injection && mesh !== "sidecar") {
    read.fail("injection", "true", `sidecar injection needs mesh=sidecar, and mesh is ${mesh}: set injection=false or mesh=sidecar`);
  }
  const settings = {
    injection,
    variant: read.oneOf("variant", ["hook", "nohook"] as const),
    preStopSeconds: read.integer("preStopSeconds", 1, 600),
    sidecarMode: read.oneOf("sidecarMode", ["classic", "native"] as const),
    mesh,
    proxyDrainSeconds: read.integer("proxyDrainSeconds", 0, 600),
    exitOnZeroActiveConnections: read.boolean("exitOnZeroActiveConnections"),
    proxyPreStopSeconds: read.integer("proxyPreStopSeconds", 0, 600),
    connection: read.oneOf("connection", ["close", "keep-alive"] as const),
  };
  const expect = read.oneOf("expect", ["", "lossless", "lossy", "unknown"] as const);
  return { ...settings, expect: expect || expectedOutcome(settings) };
}

/**
 * The sidecar's switches act on a classic sidecar only: without a sidecar nothing reads them, and a
 * native sidecar's agent drains from its own preStop and exits with the app, ignoring the drain
 * settings. A switch that would do nothing is refused where it is set, and a warning where a case
 * inherits it from the stack's keys.
 */
function checkSidecarSwitches(read: Reader, settings: Pick<WorkloadSettings, CaseKey>, warnings: string[]): void {
  const sidecar = settings.mesh === "sidecar" && settings.injection;
  const why = !sidecar
    ? `the pods run no sidecar (mesh=${settings.mesh}, injection=${settings.injection})`
    : settings.sidecarMode === "native"
      ? "with sidecarMode=native istio-proxy drains from its own preStop hook and exits right after the app, ignoring the drain settings"
      : undefined;
  const inEffect: [CaseKey, boolean][] = [
    ["proxyDrainSeconds", settings.proxyDrainSeconds > 0],
    ["exitOnZeroActiveConnections", settings.exitOnZeroActiveConnections],
    ["proxyPreStopSeconds", settings.proxyPreStopSeconds > 0],
  ];
  for (const [key, on] of inEffect) {
    if (!on || !why) continue;
    const value = String(settings[key]);
    if (read.setHere(key)) read.fail(key, value, `it would do nothing: ${why}; leave it at its default`);
    warnings.push(`${read.where}${key}=${value}, taken from the stack's config, does nothing here: ${why}`);
  }
  if (settings.exitOnZeroActiveConnections && settings.proxyDrainSeconds > 0) {
    read.fail(
      "proxyDrainSeconds",
      String(settings.proxyDrainSeconds),
      "with exitOnZeroActiveConnections=true Istio ignores terminationDrainDuration: set one of the two",
    );
  }
  if (settings.proxyDrainSeconds > envoyDrainDurationSeconds) {
    warnings.push(
      `${read.where}proxyDrainSeconds=${settings.proxyDrainSeconds} is above Istio's drainDuration of ${envoyDrainDurationSeconds} s: ` +
        `Envoy closes its listeners ${envoyDrainDurationSeconds} s into the drain, so new connections are refused from then on`,
    );
  }
  if (settings.variant === "nohook" && read.setHere("preStopSeconds")) {
    warnings.push(`${read.where}preStopSeconds=${settings.preStopSeconds} does nothing with variant=nohook, which has no preStop hook`);
  }
}

/** `cases`: `standard`, standard case names separated by commas, or a YAML/JSON list of them and of cases. */
function readCaseList(value: string, preStopSeconds: number): { name: string; values: CaseValues }[] {
  const standard = standardCases(preStopSeconds);
  const allowed =
    `expected standard, names of standard cases (${standard.map((c) => c.name).join(", ")}), ` +
    `or a list whose entries are such names or cases {name, ${caseKeys.join(", ")}}`;
  let parsed: unknown;
  try {
    parsed = parseYaml(value);
  } catch {
    throw new ConfigError("cases", value, allowed);
  }
  const entries = typeof parsed === "string" ? parsed.split(",").map((name) => name.trim()) : parsed;
  if (!Array.isArray(entries) || entries.length === 0) throw new ConfigError("cases", value, allowed);
  return entries.flatMap((entry) => {
    if (entry === "standard") return standard;
    if (typeof entry === "string") {
      const found = standard.find((c) => c.name === entry);
      if (!found) throw new ConfigError("cases", value, `unknown case name ${JSON.stringify(entry)}: ${allowed}`);
      return [found];
    }
    if (typeof entry !== "object" || entry === null || Array.isArray(entry) || typeof entry.name !== "string") {
      throw new ConfigError("cases", value, `every case needs a name: ${allowed}`);
    }
    const { name, ...values } = entry as Record<string, unknown>;
    for (const [key, keyValue] of Object.entries(values)) {
      if (!(caseKeys as readonly string[]).includes(key)) {
        throw new ConfigError(`cases[${name}].${key}`, String(keyValue), `a case may set only ${caseKeys.join(", ")}`);
      }
    }
    return [{ name: name as string, values: values as CaseValues }];
  });
}

/**
 * Reads and validates every config key, so that a bad value stops the program before any
 * resource is registered. `baseDir` is where a relative `manifest` path starts (the project).
 */
/** `stackName` names the stack's own minikube profile when `profile` is empty. */
export function readStudyConfig(source: ConfigSource, baseDir: string, stackName: string): StudyConfig {
  const read = new Reader(source);
  const namespace = read.string("namespace", dnsLabel, dnsLabelRule);
  if (namespace.length > 58) read.fail("namespace", namespace, "expected at most 58 characters, to leave room for its -load namespace");
  if (reservedNamespaces.includes(namespace)) {
    read.fail("namespace", namespace, `expected a namespace of the study's own, not one of ${reservedNamespaces.join(", ")}`);
  }
  const workload = {
    manifest: read.manifest("manifest", baseDir),
    replicas: read.integer("replicas", 1, 50),
  };
  const stackCase = readCaseSettings(read);
  const warnings: string[] = [];

  const casesValue = source("cases");
  const matrix = casesValue !== undefined && casesValue !== "";
  // With `cases`, the stack's keys are only what each case does not set itself: each case is checked.
  if (!matrix) checkSidecarSwitches(read, stackCase, warnings);
  const cases: StudyCase[] = matrix
    ? readCaseList(casesValue, stackCase.preStopSeconds).map(({ name, values }) => {
        const where = `cases[${name}].`;
        if (!dnsLabel.test(name)) throw new ConfigError(`${where}name`, name, dnsLabelRule);
        const caseNamespace = `${namespace}-${name}`;
        if (caseNamespace.length > 63) {
          throw new ConfigError(`${where}name`, name, `namespace ${caseNamespace} would be longer than 63 characters`);
        }
        if (name.length > maxCaseNameLength) {
          throw new ConfigError(`${where}name`, name, `expected at most ${maxCaseNameLength} characters, to name its load Jobs`);
        }
        const caseSource: ConfigSource = (key) => (key in values ? String(values[key as CaseKey]) : source(key));
        const caseReader = new Reader(caseSource, where, (key) => key in values);
        const settings = readCaseSettings(caseReader);
        checkSidecarSwitches(caseReader, settings, warnings);
        return { name, namespace: caseNamespace, ...workload, ...settings };
      })
    : [{ name: "", namespace, ...workload, ...stackCase }];
  const duplicate = cases.find((c, i) => cases.findIndex((d) => d.name === c.name) !== i);
  if (duplicate) throw new ConfigError("cases", casesValue ?? "", `case ${duplicate.name} is listed twice`);
  const repeats = read.integer("repeats", 1, 20);
  const clash = nameClash(cases, repeats);
  if (clash) throw new ConfigError("cases", casesValue ?? "", clash);

  const kubeContext = read.string("kubeContext", contextName, "expected the name of a context in your kubeconfig, or empty");
  const loadFrom = read.oneOf("loadFrom", ["auto", "host", "cluster"] as const);
  const load = read.oneOf("load", ["siege", "fortio"] as const);
  const qps = read.integer("qps", 1, 100000);
  if (load === "siege" && read.setHere("qps")) {
    read.fail("qps", String(qps), "it does nothing with load=siege, whose users send requests as fast as they are answered: set load=fortio, or leave qps unset");
  }

  const cluster: ClusterSettings = {
    kubeContext,
    profile: read.string("profile", emptyOrDnsLabel, `${dnsLabelRule}, or empty`) || defaultProfile(stackName),
    kubernetesVersion: read.string(
      "kubernetesVersion",
      kubernetesVersion,
      "expected v1.30.0 or newer, such as v1.35.1 (the preStop hook is Kubernetes' sleep action, on by default since 1.30)",
    ),
    driver: read.string("driver", driverName, "expected a minikube driver name such as docker, or empty"),
    cpus: read.integer("cpus", 2, 64),
    memoryMiB: read.integer("memoryMiB", 2048, 262144),
  };
  if (!kubeContext) checkNodeSize(read, cluster, nodeLoad(cases, meshToInstall(cases)));

  return {
    cluster,
    istio: {
      version: read.string("istioVersion", istioVersion, "expected a version such as 1.31.1"),
      chartRepo: read.chartRepo("istioChartRepo", baseDir, istioChartNames(meshToInstall(cases))),
      installer: read.oneOf("istioInstaller", ["helm", "istioctl"] as const),
      mesh: meshToInstall(cases),
      platform: kubeContext ? "" : "minikube",
    },
    cases,
    matrix,
    test: {
      // The host reaches minikube's NodePorts; other clusters' nodes it usually cannot.
      loadFrom: loadFrom === "auto" ? (kubeContext ? "cluster" : "host") : loadFrom,
      load,
      qps,
      loadImage: read.string("loadImage", emptyOrImageName, "expected an image reference such as debian:bookworm-slim, or empty") || defaultLoadImage[load],
      loadNamespace: `${namespace}-load`,
      concurrency: read.integer("concurrency", 1, 500),
      warmupSeconds: read.integer("warmupSeconds", 0, 300),
      settleSeconds: read.integer("settleSeconds", 0, 600),
      rolloutTimeoutSeconds: read.integer("rolloutTimeoutSeconds", 10, 3600),
      repeats,
      run: read.string("run", /^.{0,100}$/, "expected a label of at most 100 characters"),
      ...gate(read),
    },
    warnings,
  };
}

/** `maxFailuresPer10k`: a number of failures per 10,000 requests, fractions allowed; empty: no gate. */
function gate(read: Reader): { maxFailuresPer10k?: number } {
  const value = read.string("maxFailuresPer10k", /^(\d+(\.\d+)?)?$/, "expected a number of failures per 10,000 requests, such as 0 or 0.5, or empty");
  return value === "" ? {} : { maxFailuresPer10k: Number(value) };
}

/**
 * Two cases whose tests would get the same resource name, the later one's repeat number making
 * it another case's name (`x` at repeat 2 and `x-2`): which, or undefined.
 */
function nameClash(cases: StudyCase[], repeats: number): string | undefined {
  const owners = new Map<string, string>();
  for (const { name } of cases) {
    for (let repeat = 1; repeat <= repeats; repeat++) {
      const resource = caseResourceName("rollout", name, repeat);
      const owner = `case ${name} at repeat ${repeat}`;
      const other = owners.get(resource);
      if (other) return `${other} and ${owner} would both be named ${resource}: rename one of the cases`;
      owners.set(resource, owner);
    }
  }
  return undefined;
}

/**
 * The lab's own node must hold every pod the lab asks for, or some stay Pending: refused with the
 * figures, naming the key to raise.
 */
function checkNodeSize(read: Reader, cluster: ClusterSettings, load: NodeLoad): void {
  const cpus = (milli: number) => (milli / 1000).toFixed(2);
  const gib = (mib: number) => (mib / 1024).toFixed(1);
  const breakdown = (value: (r: Requests) => string) => load.parts.map(([name, r]) => `${name} ${value(r)}`).join(", ");
  if (load.total.cpuMilli > cluster.cpus * 1000) {
    read.fail(
      "cpus",
      String(cluster.cpus),
      `the lab's pods ask for ${cpus(load.total.cpuMilli)} CPUs at the busiest (${breakdown((r) => cpus(r.cpuMilli))}): ` +
        `set cpus to ${Math.ceil(load.total.cpuMilli / 1000)} or more, or run fewer cases or replicas`,
    );
  }
  if (load.total.memoryMiB > cluster.memoryMiB) {
    read.fail(
      "memoryMiB",
      String(cluster.memoryMiB),
      `the lab's pods ask for ${gib(load.total.memoryMiB)} GiB at the busiest (${breakdown((r) => `${gib(r.memoryMiB)} GiB`)}): ` +
        `set memoryMiB to ${Math.ceil(load.total.memoryMiB / 1024) * 1024} or more, or run fewer cases or replicas`,
    );
  }
}

/** One Istio serves every case: ambient's control plane also injects sidecars. */
function meshToInstall(cases: StudyCase[]): Mesh {
  if (cases.some((c) => c.mesh === "ambient")) return "ambient";
  return cases.some((c) => c.mesh === "sidecar") ? "sidecar" : "none";
}
