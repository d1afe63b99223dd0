// Reading one config key: the raw value (the stack's, a case's, or the default), checked, with an
// error that names the key, the value and what is allowed.
import * as fs from "fs";
import * as path from "path";
import { parseWorkloadManifest, WorkloadManifest } from "../lib/manifest";
import { ConfigKey, configKeys } from "./keys";

/** Reads one raw config value; `pulumi.Config.get` in the program, a map in tests. */
export type ConfigSource = (key: string) => string | undefined;

export class ConfigError extends Error {
  /** `key` may be a path into a structured key, e.g. `cases[drain].proxyDrainSeconds`. */
  constructor(key: string, value: string, allowed: string) {
    super(`config ${key}=${JSON.stringify(value)} is invalid: ${allowed}`);
    this.name = "ConfigError";
  }
}

export const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const emptyOrDnsLabel = /^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)?$/;
export const kubernetesVersion = /^v1\.([3-9]\d|\d{3,})\.\d+$/;
// A release, or a pre-release as Istio names them (1.31.0-rc.1) and the engine's build of Istio's module is.
export const istioVersion = /^1\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
// minikube names its drivers in lower case letters and digits; anything else is a typo or worse.
export const driverName = /^[a-z0-9]*$/;
// Context names come from kubeconfig files: EKS ARNs, GKE's underscores, user@cluster, kind-kind.
export const contextName = /^([A-Za-z0-9._:@/+-]{1,253})?$/;
// An image reference: registry/name:tag or @digest; no spaces, quotes or shell characters.
export const emptyOrImageName = /^([a-z0-9][A-Za-z0-9._/:@-]{0,254})?$/;
/** The load Job's image when loadImage is empty: Debian, where siege is installed at start; fortio's own. */
export const defaultLoadImage = { siege: "debian:bookworm-slim", fortio: "fortio/fortio:1.75.3" } as const;

export class Reader {
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

export const dnsLabelRule = "expected a DNS label: lower case letters, digits and '-', at most 63 characters";
