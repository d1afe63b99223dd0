// The cases of a study: the keys a case may set, the standard list, reading a case's settings, and
// what of them reaches its pods: a switch that would do nothing there is refused, or left out.
import { parse as parseYaml } from "yaml";
import { Expectation, expectedOutcome } from "../lib/expectations";
import { caseResourceName } from "../lib/naming";
import type { Load, StudyCase, WorkloadSettings } from "../lib/settings";
import { ConfigError, Reader } from "./reader";

// The load Job of a case is load-<case>-<repeat>, at most 63 characters.
export const maxCaseNameLength = 50;

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
 * the hook) and each known fix on top of the hook: a longer drain (the app's sleep plus 5 s), exit on
 * zero connections, a preStop sleep on the proxy itself (the app's sleep plus 5 s), native sidecars,
 * ambient.
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

/** A case's keys as read: `expect` is "" where the case leaves it to what its setting leads to expect. */
export type CaseKeys = Omit<Pick<WorkloadSettings, CaseKey>, "expect"> & { expect: Expectation | "" };

export function readCaseSettings(read: Reader): CaseKeys {
  const mesh = read.oneOf("mesh", ["sidecar", "ambient", "none"] as const);
  const injection = read.boolean("injection");
  if (injection && mesh !== "sidecar") {
    read.fail("injection", "true", `sidecar injection needs mesh=sidecar, and mesh is ${mesh}: set injection=false or mesh=sidecar`);
  }
  return {
    injection,
    variant: read.oneOf("variant", ["hook", "nohook"] as const),
    preStopSeconds: read.integer("preStopSeconds", 1, 600),
    sidecarMode: read.oneOf("sidecarMode", ["classic", "native"] as const),
    mesh,
    proxyDrainSeconds: read.integer("proxyDrainSeconds", 0, 600),
    exitOnZeroActiveConnections: read.boolean("exitOnZeroActiveConnections"),
    proxyPreStopSeconds: read.integer("proxyPreStopSeconds", 0, 600),
    connection: read.oneOf("connection", ["close", "keep-alive"] as const),
    expect: read.oneOf("expect", ["", "lossless", "lossy", "unknown"] as const),
  };
}

/**
 * The case as its pods get it: the sidecar's switches that would do nothing there left out, and what
 * the case is expected to show (its own `expect`, or what this setting leads to expect under `load`).
 * The grace period, the pods' annotation and the results all read these settings, never the keys.
 */
export function caseInEffect(read: Reader, keys: CaseKeys, load: Load, warnings: string[]): Pick<WorkloadSettings, CaseKey> {
  const { expect, ...settings } = sidecarSwitchesInEffect(read, keys, warnings);
  checkSidecarSwitches(read, settings, warnings);
  return { ...settings, expect: expect || expectedOutcome({ ...settings, load }) };
}

/** The sidecar's switches, each with its value when off. */
const sidecarSwitchOff = { proxyDrainSeconds: 0, exitOnZeroActiveConnections: false, proxyPreStopSeconds: 0 } as const;
type SidecarSwitch = keyof typeof sidecarSwitchOff;
const sidecarSwitches = Object.keys(sidecarSwitchOff) as SidecarSwitch[];

/**
 * The sidecar's switches act on a classic sidecar only. Without a sidecar nothing reads them, and a
 * container istio-proxy with Istio's placeholder image would keep the pod from starting. On a native
 * sidecar the agent drains from Istio's own preStop hook and exits as soon as the app has, ignoring
 * the drain settings, and Istio's injector would lay its own preStop over ours: two handlers, which
 * the API server refuses. Such a switch is refused where the case sets it, and left out of the case,
 * with a warning that says so, where the case takes it from the stack's keys.
 */
function sidecarSwitchesInEffect(read: Reader, keys: CaseKeys, warnings: string[]): CaseKeys {
  const why = (key: SidecarSwitch): string | undefined => {
    if (keys.mesh !== "sidecar" || !keys.injection) return `the pods run no sidecar (mesh=${keys.mesh}, injection=${keys.injection})`;
    if (keys.sidecarMode === "classic") return undefined;
    return key === "proxyPreStopSeconds"
      ? "with sidecarMode=native Istio's injector lays its own preStop hook, which starts the drain, over this one: " +
          "a preStop with two handlers, which the API server refuses"
      : "with sidecarMode=native istio-proxy drains from Istio's own preStop hook and exits right after the app, " +
          "ignoring the drain settings";
  };
  const inEffect = { ...keys };
  for (const key of sidecarSwitches) {
    const reason = why(key);
    if (keys[key] === sidecarSwitchOff[key] || !reason) continue;
    const value = String(keys[key]);
    if (read.setHere(key)) read.fail(key, value, `it would do nothing: ${reason}; leave it at its default`);
    warnings.push(`${read.where}${key}=${value}, taken from the stack's config, is left out of this case: ${reason}`);
    Object.assign(inEffect, { [key]: sidecarSwitchOff[key] });
  }
  return inEffect;
}

/** The switches left in effect, checked against each other and Istio's limits, and a sleep that does nothing. */
function checkSidecarSwitches(read: Reader, settings: Omit<CaseKeys, "expect">, warnings: string[]): void {
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
export function readCaseList(value: string, preStopSeconds: number): { name: string; values: CaseValues }[] {
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

/**
 * Two cases whose tests would get the same resource name, the later one's repeat number making
 * it another case's name (`x` at repeat 2 and `x-2`): which, or undefined.
 */
export function nameClash(cases: StudyCase[], repeats: number): string | undefined {
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
