// The engine suite's one helper: a shell of engine/env.sh (the real Pulumi engine and providers, and a
// local control plane played by kwok), a copy of the project to run `pulumi` in, and the commands.
import { execFile, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const projectDir = path.resolve(__dirname, "../..");
export const projectName = "istio-exit-study";

/** What a run of the program needs of the project: the program, its scripts and the packages. */
const projectFiles = ["Pulumi.yaml", "package.json", "tsconfig.json", "index.ts", "components", "config", "lib", "manifests", "scripts", "siege", "engine"];

export interface Toolchain {
  /** The exports of engine/env.sh over this process's environment. */
  env: NodeJS.ProcessEnv;
  /** Parts of the toolchain not built yet (engine/install.sh); a suite that needs one skips. */
  missing: string[];
}

/** A shell of `eval "$(npm run --silent engine:env -- STATE)"`, read back exactly. */
export function engineShell(state: string): Toolchain {
  const shell = spawnSync("bash", ["-c", 'eval "$(bash engine/env.sh "$1")" && env -0', "engine-env", state], {
    cwd: projectDir,
    encoding: "utf8",
  });
  if (shell.status !== 0) throw new Error(`engine/env.sh failed: ${shell.stderr}`);
  const env = Object.fromEntries(
    shell.stdout
      .split("\0")
      .filter(Boolean)
      .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]),
  );
  const missing = shell.stderr.match(/not built yet: ([^;]+);/)?.[1].split(" ") ?? [];
  return { env, missing };
}

/** The toolchain as a shell of this machine would find it, from a state folder thrown away after. */
export function probeToolchain(): Toolchain {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), "engine-probe-"));
  try {
    return engineShell(state);
  } finally {
    fs.rmSync(state, { recursive: true, force: true });
  }
}

/** The parts of the toolchain (engine/common.sh) the scenarios on kwok need: all but a real node's. */
export const kwokParts = ["pulumi", "language-nodejs", "command-provider", "kubernetes-provider", "plugins", "etcd", "kubernetes", "kwok", "istio"];

/**
 * `describe` when the toolchain has the parts a suite needs, else `describe.skip` with a warning that
 * says so loudly: a cold machine builds in order of value and may not have reached them yet.
 */
export function describeWithToolchain(toolchain: Toolchain, needs: string[] = kwokParts): jest.Describe {
  const lacking = needs.filter((part) => toolchain.missing.includes(part));
  if (lacking.length === 0) return describe;
  const file = path.relative(projectDir, expect.getState().testPath ?? "tests/engine");
  console.warn(`\n!!! ENGINE SUITE SKIPPED: the toolchain lacks ${lacking.join(", ")}; run npm run engine:install !!!\n`);
  // jest prints no warning of a file whose tests are all skipped: .ci/run names them after the totals.
  if (process.env.ENGINE_SKIPPED) fs.appendFileSync(process.env.ENGINE_SKIPPED, `${file}: lacks ${lacking.join(", ")}\n`);
  return describe.skip;
}

export interface Lab {
  /** A copy of the project: stack files and reports stay out of the clone. */
  dir: string;
  /** The engine shell's state: backend, kubeconfig, kwok clusters. */
  state: string;
  env: NodeJS.ProcessEnv;
  missing: string[];
  /** Every command's output, in order, for a failed test to show. */
  log: string[];
}

/**
 * A copy of the project with a shell of its own. `daemonOf`: another user of the same machine's
 * docker daemon, as two users, a CI job given the host's docker socket, or a shell with another
 * MINIKUBE_HOME are: its own checkout, Pulumi state, kubeconfig and minikube home, but the clusters
 * (the containers of minikube's docker driver, engine/standins/minikube) of `daemonOf`'s engine state.
 */
export function newLab(label: string, options: { daemonOf?: Lab } = {}): Lab {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `engine-${label}-`));
  for (const file of projectFiles) fs.cpSync(path.join(projectDir, file), path.join(dir, file), { recursive: true });
  fs.symlinkSync(path.join(projectDir, "node_modules"), path.join(dir, "node_modules"));
  const state = path.join(dir, ".engine");
  const { env, missing } = engineShell(state);
  // Each pulumi up or preview runs the program through ts-node, whose type check of the whole
  // program took 13 to 25 s of every run here; npm test's tsc --noEmit (strict) checks the same
  // files, and nothing in them is emitted by type (no const enum, no decorator metadata).
  env.PULUMI_NODEJS_TRANSPILE_ONLY = "true";
  if (options.daemonOf) {
    env.ENGINE_STATE = options.daemonOf.env.ENGINE_STATE;
    env.KWOK_WORKDIR = options.daemonOf.env.KWOK_WORKDIR;
  }
  return { dir, state: options.daemonOf?.state ?? state, env, missing, log: [] };
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command of the engine shell in the lab's folder; resolves with its exit code, never rejects. */
export function run(lab: Lab, command: string, args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: lab.dir, env: { ...lab.env, ...options.env }, timeout: options.timeoutMs ?? 15 * 60 * 1000, maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        lab.log.push(`$ ${command} ${args.join(" ")}  (exit ${code})\n${stdout}${stderr}`);
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs a command that must succeed; fails with its output otherwise. */
export async function ok(lab: Lab, command: string, args: string[], options?: { timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<string> {
  const result = await run(lab, command, args, options);
  if (result.code !== 0) throw new Error(`${command} ${args.join(" ")} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

export const pulumi = (lab: Lab, ...args: string[]) => ok(lab, "pulumi", [...args, "--non-interactive"]);

/** kubectl against a context of the lab's kubeconfig, parsed when asked for JSON. */
export async function kubectlJson(lab: Lab, context: string, ...args: string[]): Promise<any> {
  return JSON.parse(await ok(lab, "kubectl", ["--context", context, ...args, "-o", "json"]));
}

/** Sets the lab's stack config, each key under the project's name. */
export async function configure(lab: Lab, values: Record<string, string | number | boolean>): Promise<void> {
  for (const [key, value] of Object.entries(values)) await pulumi(lab, "config", "set", `${projectName}:${key}`, String(value));
}

/** The stack's outputs, secrets shown. */
export async function outputs(lab: Lab): Promise<Record<string, any>> {
  return JSON.parse(await pulumi(lab, "stack", "output", "--json", "--show-secrets"));
}

/**
 * Stack config of a lab that runs fast on kwok: small Deployments, short waits, a little load, and
 * Istio's charts and version as the toolchain built them. `profile` names its cluster.
 */
export function fastConfig(lab: Lab, profile: string): Record<string, string | number | boolean> {
  return {
    profile,
    istioChartRepo: lab.env.ENGINE_ISTIO_CHARTS ?? "",
    istioVersion: lab.env.ENGINE_ISTIO_VERSION ?? "",
    replicas: 2,
    preStopSeconds: 1,
    warmupSeconds: 1,
    settleSeconds: 1,
    rolloutTimeoutSeconds: 60,
    concurrency: 2,
    cpus: 2,
    memoryMiB: 4096,
  };
}

/** A new lab with a stack `lab` configured to run fast, plus `config`. */
export async function newStack(label: string, config: Record<string, string | number | boolean> = {}): Promise<Lab> {
  const lab = newLab(label);
  await pulumi(lab, "stack", "init", "lab");
  await configure(lab, { ...fastConfig(lab, `engine-${label}`), ...config });
  return lab;
}

/**
 * Removes what a lab's stack and clusters left, after a test, whatever state it is in, and then
 * the lab's folder (removeLab).
 */
export async function tearDown(lab: Lab | undefined, ...profiles: string[]): Promise<void> {
  if (!lab) return;
  // A scenario may have removed its stack already: then there is nothing to destroy.
  const hasStack = (await run(lab, "pulumi", ["stack", "--show-name", "--non-interactive"])).code === 0;
  const runs = hasStack ? [await run(lab, "pulumi", ["destroy", "--yes", "--non-interactive", "--skip-preview"])] : [];
  for (const profile of profiles) runs.push(await run(lab, "minikube", ["delete", "--profile", profile]));
  removeLab(lab, runs.every((r) => r.code === 0));
}

/**
 * Removes the lab's copy of the project and its state, once nothing of it runs (`cleanedUp`):
 * else, or with ENGINE_KEEP_LABS set, keeps it for a person to look into, and says where.
 */
export function removeLab(lab: Lab, cleanedUp: boolean): void {
  if (cleanedUp && !process.env.ENGINE_KEEP_LABS) {
    fs.rmSync(lab.dir, { recursive: true, force: true });
    return;
  }
  console.log(`engine: lab kept in ${lab.dir}${cleanedUp ? " (ENGINE_KEEP_LABS)" : ": its destroy or a cluster's delete failed"}`);
}

/** The names of the resources in the stack's state. */
export async function stateNames(lab: Lab): Promise<string[]> {
  const state = JSON.parse(await pulumi(lab, "stack", "export"));
  return (state.deployment.resources ?? []).map((r: { urn: string }) => r.urn.split("::").pop()!);
}
