// Runs the Pulumi program (or a part of it) under Pulumi's mocks and records what it registers.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type * as pulumiType from "@pulumi/pulumi";
import { readStudyConfig } from "../config/study";
import { minikubeClusterIdentifier } from "../lib/minikubeProfile";

export const projectName = "istio-exit-study";

// Each run loads a fresh copy of Pulumi's runtime, and each copy adds its own exit listeners.
process.setMaxListeners(100);

export interface Registered {
  type: string;
  name: string;
  inputs: Record<string, any>;
  /** The provider reference the resource was registered with ("" for none). */
  provider: string;
  /** Position in the order of registration: a resource registers only after all it depends on. */
  order: number;
}

export interface MockRun {
  /** The folder the program ran in, where it writes its report. */
  folder: string;
  resources: Registered[];
  outputs: Record<string, unknown>;
  /** The one resource of a type whose name ends with `suffix`; fails the test otherwise. */
  one(type: string, suffix?: string): Registered;
  all(type: string): Registered[];
}

export interface MockOptions {
  /** Extra state a resource's mock returns, e.g. a command's stdout. */
  state?: (resource: { type: string; name: string; inputs: Record<string, any> }) => Record<string, any> | undefined;
  /** Types whose registration the mock delays, so that a missing dependency shows in the order. */
  slowTypes?: string[];
  /** A delay per resource, for finer orderings (e.g. earlier tests slower than later ones). */
  delayMs?: (resource: { type: string; name: string }) => number;
  /** Run as `pulumi preview` does (pulumi.runtime.isDryRun()). */
  preview?: boolean;
}

export const fakeKubeconfig = "apiVersion: v1\nkind: Config\ncurrent-context: istio-exit-study\n";

/** What scripts/rollout-test.sh prints for a classic-sidecar run, with siege 4.0.7's text report. */
export const classicRolloutOutput = fs.readFileSync(path.join(__dirname, "fixtures/rollout-classic.txt"), "utf8");

function commandStdout(create: string | undefined): string {
  if (create?.includes("kubeconfig")) return fakeKubeconfig;
  if (create?.includes("rollout-test")) return classicRolloutOutput;
  return "";
}

function defaultState(type: string, inputs: Record<string, any>): Record<string, any> {
  if (type === "command:local:Command") return { stdout: commandStdout(inputs.create), stderr: "" };
  // A Service gets its cluster IP from the API server.
  if (type === "kubernetes:core/v1:Service") return { metadata: { ...inputs.metadata }, spec: { ...inputs.spec, clusterIP: "10.0.0.10" } };
  if (type.startsWith("kubernetes:") && inputs.metadata) return { metadata: { ...inputs.metadata } };
  return {};
}

async function settle(outputs: Record<string, unknown>, pulumi: typeof pulumiType): Promise<Record<string, unknown>> {
  const resolved: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(outputs)) {
    resolved[key] = pulumi.Output.isInstance(value)
      ? await new Promise((resolve) => (value as pulumiType.Output<unknown>).apply(resolve))
      : value;
  }
  return resolved;
}

let sdks: Record<string, unknown> | undefined;
function sharedSdks(): Record<string, unknown> {
  if (!sdks) {
    const kubernetes = jest.requireActual("@pulumi/kubernetes");
    const command = jest.requireActual("@pulumi/command");
    // The SDKs load their modules when first used: loaded here once, not in each run.
    void [kubernetes.Provider, kubernetes.core.v1.Namespace, kubernetes.core.v1.Service, kubernetes.apps.v1.Deployment, kubernetes.helm.v3.Release];
    void command.local.Command;
    sdks = { "@pulumi/pulumi": jest.requireActual("@pulumi/pulumi"), "@pulumi/kubernetes": kubernetes, "@pulumi/command": command };
  }
  return sdks;
}

/**
 * Loads `program` (a function that requires the modules it needs) in a fresh module registry, with the
 * mocks set and `config` as the stack's config (keys without the project prefix).
 */
export async function runMocked(
  config: Record<string, string>,
  program: () => Record<string, unknown>,
  options: MockOptions = {},
): Promise<MockRun> {
  const resources: Registered[] = [];
  let inFlight = 0;
  let outputs: Record<string, unknown> = {};
  // The program writes its report under the working folder: a throwaway one keeps the project clean.
  const workingFolder = process.cwd();
  const runFolder = fs.mkdtempSync(path.join(os.tmpdir(), "study-run-"));
  process.chdir(runFolder);
  // Pulumi takes a stack trace of every resource it registers, and jest maps each through source
  // maps: most of a run's time. A run takes none; the tests read messages, not stacks.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let pulumi!: typeof pulumiType;
  let thrown: unknown;
  jest.isolateModules(() => {
    // The program's own modules load afresh for each run; Pulumi's SDKs, whose loading is most of a
    // run's time, are shared: setMocks resets the runtime's state (the stack, the options) for it.
    const sdk = sharedSdks();
    for (const [name, module] of Object.entries(sdk)) jest.doMock(name, () => module);
    pulumi = require("@pulumi/pulumi");
    pulumi.runtime.setMocks(
      {
        newResource: async (args) => {
          inFlight += 1;
          const delay = options.slowTypes?.includes(args.type) ? 30 : (options.delayMs?.({ type: args.type, name: args.name }) ?? 0);
          if (delay > 0) await new Promise((r) => setTimeout(r, delay));
          inFlight -= 1;
          resources.push({
            type: args.type,
            name: args.name,
            inputs: args.inputs,
            provider: args.provider ?? "",
            order: resources.length,
          });
          const state = options.state?.({ type: args.type, name: args.name, inputs: args.inputs }) ?? defaultState(args.type, args.inputs);
          return { id: `${args.name}-id`, state: { ...args.inputs, ...state } };
        },
        call: (args) => args.inputs,
      },
      projectName,
      "dev",
      options.preview ?? false,
      "organization",
    );
    pulumi.runtime.setAllConfig(
      Object.fromEntries(Object.entries(config).map(([key, value]) => [`${projectName}:${key}`, value])),
    );
    try {
      outputs = program();
    } catch (error) {
      thrown = error;
    }
  });
  let resolved: Record<string, unknown>;
  try {
    if (thrown) throw thrown;
    resolved = await settle(outputs, pulumi);
    // Resources that no output depends on may still be on their way: wait until registration is
    // quiet, none in flight and none new over a few event-loop turns.
    for (let quiet = 0, seen = resources.length; quiet < 3; ) {
      await new Promise((r) => setTimeout(r, 10));
      quiet = inFlight === 0 && seen === resources.length ? quiet + 1 : 0;
      seen = resources.length;
    }
  } finally {
    process.chdir(workingFolder);
    Error.stackTraceLimit = stackTraceLimit;
  }
  const all = (type: string) => resources.filter((r) => r.type === type);
  return {
    folder: runFolder,
    resources,
    outputs: resolved,
    all,
    one(type, suffix = "") {
      const found = all(type).filter((r) => r.name.endsWith(suffix));
      if (found.length !== 1) {
        throw new Error(`expected one ${type} named *${suffix}, found ${found.map((r) => r.name).join(", ") || "none"}`);
      }
      return found[0];
    },
  };
}

/** The generation of the lab's cluster in a profile that runStudy marks as built. */
export const builtGeneration = "5ab1e000";

/**
 * Leaves the minikube profile `config` names as the dev stack built it (MINIKUBE_HOME is a test
 * file's own, tests/setup.ts), or removes it: the program reads that mark before anything else.
 */
export function markProfile(config: Record<string, string>, how: "built" | "absent"): void {
  let settings: ReturnType<typeof readStudyConfig>;
  try {
    settings = readStudyConfig((key) => config[key], path.resolve(__dirname, ".."), "dev");
  } catch {
    return; // a config the program refuses: no profile is looked at
  }
  const folder = path.join(process.env.MINIKUBE_HOME!, ".minikube/profiles", settings.cluster.profile);
  fs.rmSync(folder, { recursive: true, force: true });
  if (how === "absent") return;
  fs.mkdirSync(folder, { recursive: true });
  const identity = minikubeClusterIdentifier(settings.cluster, settings.istio.installer);
  fs.writeFileSync(
    path.join(folder, "istio-exit-study.owner"),
    `stack=organization/${projectName}/dev\ntoken=feed\ninstance=beef\ngeneration=${builtGeneration}\nidentity=${identity}\nstate=built\n`,
  );
}

/**
 * Runs the whole program, index.ts, with `config`, on a profile the stack has built as configured
 * (`profile: "absent"`: on none).
 */
export function runStudy(config: Record<string, string> = {}, options: MockOptions & { profile?: "built" | "absent" } = {}): Promise<MockRun> {
  markProfile(config, options.profile ?? "built");
  return runMocked(config, () => require("../index"), options);
}

const onceRuns = new Map<string, Promise<MockRun>>();
/**
 * runStudy with `config`, run once per test file and shared by the tests that only read what it
 * registered: most of a program test's time is its runs.
 */
export function runStudyOnce(config: Record<string, string> = {}): Promise<MockRun> {
  const key = JSON.stringify(Object.entries(config).sort());
  if (!onceRuns.has(key)) onceRuns.set(key, runStudy(config));
  return onceRuns.get(key)!;
}
