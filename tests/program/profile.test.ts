// The whole program under Pulumi's mocks: the minikube profile it may use, and when it plans a new cluster.
import * as fs from "fs";
import * as path from "path";
import { builtGeneration, markProfile, MockRun, runMocked, runStudy } from "../harness";

describe("the study's own minikube profile", () => {
  const profileFolder = (name: string) => path.join(process.env.MINIKUBE_HOME!, ".minikube/profiles", name);
  const minikubeName = (run: MockRun) => run.all("command:local:Command").find((c) => c.name.startsWith("cluster-minikube-"))!.name;

  test.each([
    ["made by hand", "", "minikube profile mine exists and this lab did not make it"],
    ["of another stack", "stack=organization/istio-exit-study/other\ngeneration=1\nidentity=x\nstate=built\n", "minikube profile mine belongs to stack organization/istio-exit-study/other, not to organization/istio-exit-study/dev"],
  ])("a profile %s stops the program before any resource is registered", async (_what, mark, refusal) => {
    fs.mkdirSync(profileFolder("mine"), { recursive: true });
    if (mark) fs.writeFileSync(path.join(profileFolder("mine"), "istio-exit-study.owner"), mark);
    const registered: string[] = [];
    const recordEach = { state: (r: { name: string }) => (registered.push(r.name), undefined) };
    try {
      await expect(runMockedOn("mine", recordEach)).rejects.toThrow(refusal);
    } finally {
      fs.rmSync(profileFolder("mine"), { recursive: true, force: true });
    }
    expect(registered).toEqual([]);
  });

  test("the stack's profile, built as configured, keeps its cluster resource; any other size plans a new one", async () => {
    expect(minikubeName(await runStudy())).toBe(`cluster-minikube-${builtGeneration}`);
    // Marked as built with 4 CPUs, configured with 6: a new generation, built anew.
    markProfile({}, "built");
    const resized = await runMockedOn("", {}, { cpus: "6" });
    expect(minikubeName(resized)).toMatch(/^cluster-minikube-[0-9a-f]{8}$/);
    expect(minikubeName(resized)).not.toBe(`cluster-minikube-${builtGeneration}`);
  });

  test("a profile that is not there gets a new generation at each run until it is built", async () => {
    const first = minikubeName(await runStudy({}, { profile: "absent" }));
    const second = minikubeName(await runStudy({}, { profile: "absent" }));
    expect(first).not.toBe(second);
  });

  /** The program on `profile` ("" for the default) as the marks on disk leave it, not as runStudy marks it. */
  function runMockedOn(profile: string, options: Parameters<typeof runMocked>[2], config: Record<string, string> = {}) {
    return runMocked(profile ? { ...config, profile } : config, () => require("../../index"), options);
  }
});
