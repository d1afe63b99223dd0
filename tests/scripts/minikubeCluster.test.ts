// scripts/minikube-cluster.sh run for real, with a fake minikube that keeps its profiles' folders
// where minikube does: which profile the lab builds, resumes, deletes or leaves alone, by its mark.
import { execFile, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseProfileProbe } from "../../lib/minikubeProfile";

const projectDir = path.resolve(__dirname, "../..");
const script = path.join(projectDir, "scripts/minikube-cluster.sh");
const fakeCluster = path.join(projectDir, "tests/support/fake-cluster");

interface ScriptRun {
  code: number;
  stdout: string;
  stderr: string;
}

describe("minikube-cluster.sh", () => {
  let state: string;
  let profiles: string;

  beforeEach(() => {
    state = fs.mkdtempSync(path.join(os.tmpdir(), "minikube-cluster-"));
    profiles = path.join(state, "home/.minikube/profiles");
  });
  afterEach(() => fs.rmSync(state, { recursive: true, force: true }));

  const stack = "organization/istio-exit-study/dev";
  function env(overrides: Record<string, string> = {}): Record<string, string> {
    return {
      PATH: `${fakeCluster}:${process.env.PATH}`,
      HOME: state,
      FAKE_STATE: state,
      MINIKUBE_HOME: path.join(state, "home"),
      PROFILE: "lab",
      KUBERNETES_VERSION: "v1.35.1",
      CPUS: "2",
      MEMORY_MIB: "4096",
      DRIVER: "",
      STACK: stack,
      STACK_TOKEN: "a1a1",
      CLUSTER_GENERATION: "g1",
      CLUSTER_IDENTITY: "minikube/lab/2cpu",
      ...overrides,
    };
  }
  function run(verb: string, overrides: Record<string, string> = {}): Promise<ScriptRun> {
    return new Promise((resolve) => {
      execFile("bash", [script, verb], { env: env(overrides), timeout: 30_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
  }
  const markOf = (profile: string) =>
    Object.fromEntries(
      fs
        .readFileSync(path.join(profiles, profile, "istio-exit-study.owner"), "utf8")
        .trim()
        .split("\n")
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
  /** A profile as the lab (or a person, with no mark) left it. */
  function profile(name: string, mark?: Record<string, string>): void {
    fs.mkdirSync(path.join(profiles, name), { recursive: true });
    fs.writeFileSync(path.join(profiles, name, "config.json"), "{}");
    if (mark) {
      const full = { stack, token: "a1a1", instance: "i0", generation: "g1", identity: "minikube/lab/2cpu", state: "built", ...mark };
      fs.writeFileSync(path.join(profiles, name, "istio-exit-study.owner"), Object.entries(full).map(([k, v]) => `${k}=${v}\n`).join(""));
    }
  }
  const calls = () => (fs.existsSync(path.join(state, "minikube.calls")) ? fs.readFileSync(path.join(state, "minikube.calls"), "utf8") : "");
  const exists = (name: string) => fs.existsSync(path.join(profiles, name));

  test("probe tells an absent profile, one the lab did not make, and the lab's mark, with the cluster stopped", async () => {
    expect(parseProfileProbe((await run("probe")).stdout)).toEqual({ kind: "absent" });
    profile("lab");
    expect(parseProfileProbe((await run("probe")).stdout)).toEqual({ kind: "unmarked" });
    profile("lab", { state: "building" });
    expect(parseProfileProbe((await run("probe")).stdout)).toEqual({
      kind: "marked",
      mark: { stack, generation: "g1", identity: "minikube/lab/2cpu", state: "building" },
    });
    expect(calls()).toBe("");
  });

  test("start builds an absent profile, marks it as this stack's and prints the instance it minted", async () => {
    const result = await run("start");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^[0-9a-f]{32}\n$/);
    expect(markOf("lab")).toEqual({
      stack,
      token: "a1a1",
      instance: result.stdout.trim(),
      generation: "g1",
      identity: "minikube/lab/2cpu",
      state: "built",
    });
    expect(calls()).toBe("start --profile lab --kubernetes-version v1.35.1 --container-runtime docker --cpus 2 --memory 4096mb --keep-context\n");
  });

  test.each([
    ["made by hand", undefined, "it has no mark of this lab"],
    ["of another state's stack of the same name", { token: "b2b2" }, `it belongs to stack ${stack} of another Pulumi state`],
  ])("start refuses a profile %s and leaves it as it was", async (_what, mark, why) => {
    profile("lab", mark);
    const before = fs.readdirSync(path.join(profiles, "lab"));
    const result = await run("start");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`refusing minikube profile lab: ${why}`);
    expect(result.stderr).toContain("minikube delete --profile lab");
    expect(calls()).toBe("");
    expect(fs.readdirSync(path.join(profiles, "lab"))).toEqual(before);
  });

  test("start resumes this stack's cluster of its generation, and the new instance takes it over", async () => {
    profile("lab", { instance: "0000" });
    const result = await run("start");
    expect(result.code).toBe(0);
    expect(calls()).toMatch(/^start --profile lab /);
    expect(calls()).not.toMatch(/delete/);
    expect(markOf("lab")).toMatchObject({ instance: result.stdout.trim(), state: "built" });
    expect(result.stdout.trim()).not.toBe("0000");
  });

  test("an update of the same instance keeps its id", async () => {
    profile("lab", { instance: "0abc" });
    const result = await run("start", { PULUMI_COMMAND_STDOUT: "0abc\n" });
    expect(result.stdout).toBe("0abc\n");
    expect(markOf("lab").instance).toBe("0abc");
  });

  test.each([
    ["of another generation", { generation: "g0" }],
    ["left building", { state: "building" }],
    ["left half deleted", { state: "deleting" }],
  ])("start deletes this stack's profile %s before building it again", async (_what, mark) => {
    profile("lab", mark);
    const result = await run("start");
    expect(result.code).toBe(0);
    expect(calls().split("\n").filter(Boolean).map((c) => c.split(" ")[0])).toEqual(["delete", "start"]);
    expect(markOf("lab")).toMatchObject({ generation: "g1", state: "built" });
  });

  test("start deletes this stack's cluster under another profile, and no one else's", async () => {
    profile("old", { instance: "0001" });
    profile("someone-elses", { token: "b2b2" });
    profile("by-hand");
    expect((await run("start")).code).toBe(0);
    expect([exists("old"), exists("someone-elses"), exists("by-hand"), exists("lab")]).toEqual([false, true, true, true]);
  });

  test("a start that fails leaves the profile marked as building, for the next run to build again", async () => {
    const result = await run("start", { FAKE_MINIKUBE_FAIL: "start" });
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe("");
    expect(markOf("lab")).toMatchObject({ stack, token: "a1a1", generation: "g1", state: "building" });
  });

  test.each([
    ["its own instance's", true, { instance: "0abc" }],
    ["this stack's, left building by an instance the state does not hold", true, { instance: "0def", state: "building" }],
    ["this stack's, left half deleted", true, { instance: "0def", state: "deleting" }],
    ["held by another instance of this stack (a --replace or a rebuild)", false, { instance: "0def" }],
    ["another state's", false, { instance: "0fed", token: "b2b2" }],
    ["made by hand", false, undefined],
  ])("delete of a profile %s: deleted %s", async (_what, deleted, mark) => {
    profile("lab", mark);
    const result = await run("delete", { PULUMI_COMMAND_STDOUT: "0abc\n" });
    expect(result.code).toBe(0);
    expect(exists("lab")).toBe(!deleted);
    if (!deleted) expect(result.stderr).toMatch(/leaving minikube profile lab: /);
  });

  test("a --replace whose start fails leaves the cluster to the instance the state holds, whose delete still deletes it", async () => {
    profile("lab", { instance: "0abc" });
    expect((await run("start", { FAKE_MINIKUBE_FAIL: "start" })).code).not.toBe(0);
    expect(markOf("lab")).toMatchObject({ instance: "0abc", state: "built" });
    expect((await run("delete", { PULUMI_COMMAND_STDOUT: "0abc\n" })).code).toBe(0);
    expect(exists("lab")).toBe(false);
  });

  test("a stack whose token was made anew keeps its cluster by the instance its state holds; a new instance has no such proof", async () => {
    profile("lab", { instance: "0abc", token: "0dd1" });
    expect((await run("start")).code).toBe(1);
    const result = await run("start", { PULUMI_COMMAND_STDOUT: "0abc\n" });
    expect([result.code, result.stdout]).toEqual([0, "0abc\n"]);
    expect(markOf("lab")).toMatchObject({ token: "a1a1", instance: "0abc", state: "built" });
    expect(calls()).not.toMatch(/delete/);
  });

  test.each([
    ["this stack's cluster of its generation", "deleting", {}],
    ["this stack's cluster of another generation (a rebuild's old resource)", "built", { generation: "g0" }],
    ["another state's", "built", { token: "b2b2" }],
  ])("vacate on %s: the mark says %s", async (_what, state, mark) => {
    profile("lab", mark);
    const result = await run("vacate", { KUBERNETES_VERSION: "", CPUS: "" });
    expect(result.code).toBe(0);
    expect(markOf("lab").state).toBe(state);
    expect(calls()).toBe("");
  });

  test("a delete with minikube gone from PATH marks the profile as being deleted first, so that a retry finishes it", async () => {
    profile("lab", { instance: "0abc" });
    const result = await run("delete", { PULUMI_COMMAND_STDOUT: "0abc\n", PATH: "/usr/bin:/bin" });
    expect(result.code).toBe(127);
    expect(result.stderr).toContain("minikube is not on PATH");
    expect(markOf("lab").state).toBe("deleting");
  });

  test("owned lists the profiles whose mark names the stack, whatever their state", async () => {
    profile("lab");
    profile("first", { state: "building" });
    profile("second", { token: "b2b2" });
    profile("elsewhere", { stack: "organization/istio-exit-study/other" });
    const result = await run("owned", { PROFILE: "" });
    expect(result.stdout.split("\n").filter(Boolean).sort()).toEqual(["first", "second"]);
  });

  test("delete leaves a profile the lab's earlier versions made without a mark, and says how to remove it", async () => {
    profile("lab");
    const result = await run("delete", { STACK_TOKEN: "", PULUMI_COMMAND_STDOUT: "" });
    expect(result.code).toBe(0);
    expect(exists("lab")).toBe(true);
    expect(result.stderr).toContain("minikube delete --profile lab");
  });

  test("delete of a profile already gone succeeds", async () => {
    const result = await run("delete", { PULUMI_COMMAND_STDOUT: "0abc\n" });
    expect([result.code, calls()]).toEqual([0, ""]);
  });

  test("a delete that fails leaves the profile marked as being deleted: the next up rebuilds it, the next destroy deletes it", async () => {
    profile("lab", { instance: "0abc" });
    expect((await run("delete", { PULUMI_COMMAND_STDOUT: "0abc\n", FAKE_MINIKUBE_FAIL: "delete" })).code).not.toBe(0);
    expect(markOf("lab").state).toBe("deleting");
    expect((await run("delete", { PULUMI_COMMAND_STDOUT: "0abc\n" })).code).toBe(0);
    expect(exists("lab")).toBe(false);
  });

  test("token mints a token on a create and prints the one it holds on an update", async () => {
    const created = await run("token", { PROFILE: "" });
    expect(created.stdout).toMatch(/^[0-9a-f]{32}\n$/);
    expect((await run("token", { PROFILE: "" })).stdout).not.toBe(created.stdout);
    expect((await run("token", { PROFILE: "", PULUMI_COMMAND_STDOUT: created.stdout })).stdout).toBe(created.stdout);
  });

  test("sweep deletes every profile the stack's token marks, whatever its state, and nothing else", async () => {
    profile("left-building", { state: "building", instance: "" });
    profile("held-by-none", { instance: "0def" });
    profile("same-token-other-stack", { stack: "organization/istio-exit-study/original" });
    profile("another-state", { token: "b2b2" });
    profile("by-hand");
    const result = await run("sweep", { PROFILE: "", PULUMI_COMMAND_STDOUT: "a1a1\n", KUBERNETES_VERSION: "", CPUS: "" });
    expect(result.code).toBe(0);
    expect(["left-building", "held-by-none", "same-token-other-stack", "another-state", "by-hand"].map(exists)).toEqual([false, false, true, true, true]);
    expect(result.stderr).toContain("deleting minikube profile left-building: this stack's cluster, held by no cluster resource of its state");
  });

  test("sweep of a token resource from before it printed its token deletes nothing", async () => {
    profile("lab", { state: "building" });
    expect((await run("sweep", { PROFILE: "", PULUMI_COMMAND_STDOUT: "" })).code).toBe(0);
    expect([exists("lab"), calls()]).toEqual([true, ""]);
  });

  test("a rebuild claims the profile again once it has deleted it: one made by hand in that gap is refused, not taken over", async () => {
    profile("lab", { state: "building" });
    const result = await run("start", { FAKE_MADE_BY_HAND_AFTER_DELETE: "1" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("refusing minikube profile lab: it was made again, by hand or by another tool, while this lab deleted its own");
    expect(fs.readdirSync(path.join(profiles, "lab"))).toEqual(["config.json"]);
    expect(calls().split("\n").filter(Boolean).map((c) => c.split(" ")[0])).toEqual(["delete"]);
  });

  test("start leaves a cluster of this token marked by another stack: a copy of a state never deletes the original's", async () => {
    profile("original", { stack: "organization/istio-exit-study/original", instance: "0001" });
    const result = await run("start");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "refusing minikube profile lab: this stack's state holds the token of minikube profile original, the cluster of stack organization/istio-exit-study/original",
    );
    expect(result.stderr).toContain("pulumi stack rm --force");
    expect([exists("original"), exists("lab")]).toEqual([true, false]);
    expect(calls()).toBe("");
  });

  describe("one docker daemon, two minikube homes", () => {
    const otherHome = () => path.join(state, "other-home");
    const container = (name: string) => path.join(state, "docker", name);
    const madeFrom = (name: string) => fs.readFileSync(path.join(container(name), "made-from"), "utf8").trim();

    test("start refuses a profile whose cluster container another home made, and leaves that cluster running", async () => {
      expect((await run("start")).code).toBe(0);
      const result = await run("start", { MINIKUBE_HOME: otherHome(), STACK_TOKEN: "b2b2" });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("refusing minikube profile lab: a cluster container of that name runs in docker (lab)");
      expect(result.stderr).toContain(`minikube home ${otherHome()}/.minikube has no profile lab`);
      expect(madeFrom("lab")).toBe(path.join(state, "home"));
      expect(fs.existsSync(path.join(otherHome(), ".minikube/profiles/lab"))).toBe(false);
      expect(calls().split("\n").filter(Boolean)).toHaveLength(1);
    });

    test.each(["delete", "vacate"])("%s from a shell with another MINIKUBE_HOME fails rather than forget a cluster that runs", async (verb) => {
      const built = await run("start");
      const result = await run(verb, { MINIKUBE_HOME: otherHome(), PULUMI_COMMAND_STDOUT: built.stdout });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`minikube profile lab is not in minikube home ${otherHome()}/.minikube, but its cluster's container runs in docker (lab)`);
      expect(result.stderr).toContain("MINIKUBE_HOME");
      expect(madeFrom("lab")).toBe(path.join(state, "home"));
    });

    test("with the daemon down, which minikube cannot reach either, a profile gone from this home is gone", async () => {
      const result = await run("delete", { PULUMI_COMMAND_STDOUT: "0abc\n", FAKE_DOCKER: "down" });
      expect([result.code, calls()]).toEqual([0, ""]);
    });
  });

  test("killed as the command provider kills it, it leaves no minikube running", async () => {
    const started = spawn("/bin/sh", ["-c", `bash ${script} start`], { env: env({ FAKE_MINIKUBE_START_SECONDS: "60" }), stdio: "ignore" });
    const minikubes = () =>
      execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" })
        .split("\n")
        .filter((line) => line.includes(`${fakeCluster}/minikube start --profile lab`));
    const fakeStarts = () => (fs.existsSync(path.join(state, "minikube.calls")) ? calls() : "");
    for (let i = 0; i < 100 && !fakeStarts().includes("start"); i++) await new Promise((r) => setTimeout(r, 100));
    expect(fakeStarts()).toContain("start");
    started.kill("SIGKILL");
    let left = minikubes();
    for (let i = 0; i < 100 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = minikubes();
    }
    expect(left).toEqual([]);
    expect(markOf("lab").state).toBe("building");
  });
});
