import * as fs from "fs";
import * as path from "path";
import { parseWorkloadManifest, WorkloadManifest } from "../lib/manifest";
import { ConfigKey, configKeys } from "./keys";

export type IstioInstaller = "helm" | "istioctl";
export type Variant = "hook" | "nohook";
export type SidecarMode = "classic" | "native";
export type Mesh = "sidecar" | "ambient" | "none";

export interface ClusterSettings {
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
}

export interface TestSettings {
  concurrency: number;
  warmupSeconds: number;
  settleSeconds: number;
  rolloutTimeoutSeconds: number;
  run: string;
}

export interface StudyConfig {
  cluster: ClusterSettings;
  istio: IstioSettings;
  workload: WorkloadSettings;
  test: TestSettings;
}

/** Reads one raw config value; `pulumi.Config.get` in the program, a map in tests. */
export type ConfigSource = (key: string) => string | undefined;

export class ConfigError extends Error {
  constructor(key: string, value: string, allowed: string) {
    super(`config ${key}=${JSON.stringify(value)} is invalid: ${allowed}`);
    this.name = "ConfigError";
  }
}

const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const kubernetesVersion = /^v1\.\d+\.\d+$/;
const istioVersion = /^1\.\d+\.\d+$/;
// minikube names its drivers in lower case letters and digits; anything else is a typo or worse.
const driverName = /^[a-z0-9]*$/;

class Reader {
  constructor(private readonly source: ConfigSource) {}

  private raw(key: ConfigKey): string {
    const value = this.source(key);
    return value === undefined ? String(configKeys[key].default) : value;
  }

  string(key: ConfigKey, pattern: RegExp, allowed: string): string {
    const value = this.raw(key);
    if (!pattern.test(value)) throw new ConfigError(key, value, allowed);
    return value;
  }

  oneOf<T extends string>(key: ConfigKey, choices: readonly T[]): T {
    const value = this.raw(key);
    if (!(choices as readonly string[]).includes(value)) {
      throw new ConfigError(key, value, `expected one of ${choices.join(", ")}`);
    }
    return value as T;
  }

  boolean(key: ConfigKey): boolean {
    const value = this.raw(key);
    if (value !== "true" && value !== "false") throw new ConfigError(key, value, "expected true or false");
    return value === "true";
  }

  integer(key: ConfigKey, min: number, max: number): number {
    const value = this.raw(key);
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new ConfigError(key, value, `expected a whole number from ${min} to ${max}`);
    }
    return Number(value);
  }

  url(key: ConfigKey): string {
    const value = this.raw(key);
    let parsed: URL | undefined;
    try {
      parsed = new URL(value);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !["https:", "http:", "oci:"].includes(parsed.protocol)) {
      throw new ConfigError(key, value, "expected an https://, http:// or oci:// URL");
    }
    return value;
  }

  manifest(key: ConfigKey, baseDir: string): WorkloadManifest {
    const value = this.raw(key);
    let text: string;
    try {
      text = fs.readFileSync(path.resolve(baseDir, value), "utf8");
    } catch (error) {
      throw new ConfigError(key, value, `expected a readable file (${(error as Error).message})`);
    }
    try {
      return parseWorkloadManifest(text);
    } catch (error) {
      throw new ConfigError(key, value, (error as Error).message);
    }
  }
}

const reservedNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease", "istio-system"];

/**
 * Reads and validates every config key, so that a bad value stops the program before any
 * resource is registered. `baseDir` is where a relative `manifest` path starts (the project).
 */
export function readStudyConfig(source: ConfigSource, baseDir: string): StudyConfig {
  const read = new Reader(source);
  const mesh = read.oneOf("mesh", ["sidecar", "ambient", "none"] as const);
  const injection = read.boolean("injection");
  if (injection && mesh !== "sidecar") {
    throw new ConfigError("injection", "true", `sidecar injection needs mesh=sidecar, and mesh is ${mesh}: set injection=false or mesh=sidecar`);
  }
  const dnsLabelRule = "expected a DNS label: lower case letters, digits and '-', at most 63 characters";

  const namespace = read.string("namespace", dnsLabel, dnsLabelRule);
  if (reservedNamespaces.includes(namespace)) {
    throw new ConfigError(
      "namespace",
      namespace,
      `expected a namespace of the study's own, not one of ${reservedNamespaces.join(", ")}`,
    );
  }

  return {
    cluster: {
      profile: read.string("profile", dnsLabel, dnsLabelRule),
      kubernetesVersion: read.string("kubernetesVersion", kubernetesVersion, "expected a version such as v1.35.1"),
      driver: read.string("driver", driverName, "expected a minikube driver name such as docker, or empty"),
      cpus: read.integer("cpus", 2, 64),
      memoryMiB: read.integer("memoryMiB", 2048, 262144),
    },
    istio: {
      version: read.string("istioVersion", istioVersion, "expected a version such as 1.31.1"),
      chartRepo: read.url("istioChartRepo"),
      installer: read.oneOf("istioInstaller", ["helm", "istioctl"] as const),
      mesh,
    },
    workload: {
      namespace,
      manifest: read.manifest("manifest", baseDir),
      replicas: read.integer("replicas", 1, 50),
      injection,
      variant: read.oneOf("variant", ["hook", "nohook"] as const),
      preStopSeconds: read.integer("preStopSeconds", 1, 600),
      sidecarMode: read.oneOf("sidecarMode", ["classic", "native"] as const),
      mesh,
      proxyDrainSeconds: read.integer("proxyDrainSeconds", 0, 600),
      exitOnZeroActiveConnections: read.boolean("exitOnZeroActiveConnections"),
    },
    test: {
      concurrency: read.integer("concurrency", 1, 500),
      warmupSeconds: read.integer("warmupSeconds", 0, 300),
      settleSeconds: read.integer("settleSeconds", 0, 600),
      rolloutTimeoutSeconds: read.integer("rolloutTimeoutSeconds", 10, 3600),
      run: read.string("run", /^.{0,100}$/, "expected a label of at most 100 characters"),
    },
  };
}
