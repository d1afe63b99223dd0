// Whose cluster the lab may touch, under the real engine: every way a user can reach a cluster that is
// not the stack's, or one the stack lost track of, with pulumi up, destroy, --replace and config
// changes. The lab builds, resumes and deletes only a minikube profile whose mark says it is this
// stack's, and after each of these it holds one cluster of the configured identity, all in it.
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { configure, describeWithToolchain, fastConfig, kubectlJson, Lab, newLab, newStack, ok, outputs, probeToolchain, pulumi, run, tearDown } from "./engine";
import { settledLeftovers } from "./observe";

const toolchain = probeToolchain();

/** The kwok clusters of the lab's engine state: the minikube profiles that exist. */
async function clusters(lab: Lab): Promise<string[]> {
  return (await ok(lab, "kwokctl", ["get", "clusters"])).split("\n").filter(Boolean).sort();
}

/** The resources in the stack's state, but the stack itself. */
async function resources(lab: Lab): Promise<string[]> {
  const state = JSON.parse(await pulumi(lab, "stack", "export"));
  return (state.deployment.resources ?? []).filter((r: { type: string }) => r.type !== "pulumi:pulumi:Stack").map((r: { urn: string }) => r.urn.split("::").pop()!);
}

/** The lab whole in `context`: its namespaces, Istio, and a Deployment the test restarted. */
async function expectWholeLab(lab: Lab, context: string, istioBy = "helm"): Promise<void> {
  const namespaces = (await kubectlJson(lab, context, "get", "namespaces")).items.map((n: any) => n.metadata.name);
  expect(namespaces).toEqual(expect.arrayContaining(["demo-site", "istio-system"]));
  const istiod = await kubectlJson(lab, context, "--namespace", "istio-system", "get", "deployment", "istiod");
  expect(istiod.status.readyReplicas).toBeGreaterThan(0);
  const releases = (await kubectlJson(lab, context, "--namespace", "istio-system", "get", "secrets", "--selector", "owner=helm")).items;
  expect(releases.length > 0 ? "helm" : "istioctl").toBe(istioBy);
  const deployment = await kubectlJson(lab, context, "--namespace", "demo-site", "get", "deployment", "demo-site");
  expect(deployment.spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]).toBeDefined();
}

const start = (lab: Lab, profile: string) =>
  ok(lab, "minikube", ["start", "--profile", profile, "--kubernetes-version", "v1.35.1", "--cpus", "2", "--memory", "4096mb"]);
/** Makes the minikube stand-in's next `verb` fail (engine/standins/minikube). */
const failNext = (lab: Lab, verb: string) => fs.writeFileSync(path.join(lab.state, `minikube-fails-next-${verb}`), "");
/** Makes the stand-in's next start fail once the cluster is up, as minikube's often does. */
const failAfterNextStart = (lab: Lab) => fs.writeFileSync(path.join(lab.state, "minikube-fails-after-next-start"), "");
const up = (lab: Lab) => run(lab, "pulumi", ["up", "--yes", "--skip-preview", "--non-interactive"]);

describeWithToolchain(toolchain)("the lab touches only its own cluster, under the real engine", () => {
  let lab: Lab | undefined;
  let profiles: string[] = [];
  afterEach(async () => {
    const state = expect.getState();
    if (lab && state.assertionCalls !== state.numPassingAsserts) console.log(lab.log.slice(-4).join("\n"));
    await tearDown(lab, ...profiles);
    lab = undefined;
    profiles = [];
  });

  test("two stacks with the default profile and different sizes get a cluster each; one's destroy leaves the other", async () => {
    lab = newLab("two-stacks");
    for (const [stack, cpus] of [["first", 2], ["second", 3]] as const) {
      await pulumi(lab, "stack", "init", stack);
      await configure(lab, { ...fastConfigWithoutProfile(lab), cpus });
      await pulumi(lab, "up", "--yes", "--skip-preview");
      profiles.push((await outputs(lab)).kubeContext);
    }
    expect(profiles[0]).toMatch(/^istio-exit-study-first-[0-9a-f]{6}$/);
    expect(profiles[1]).toMatch(/^istio-exit-study-second-[0-9a-f]{6}$/);
    expect(await clusters(lab)).toEqual([...profiles].sort());
    expect((await kubectlJson(lab, profiles[0], "get", "node", profiles[0])).status.capacity.cpu).toBe("2");
    expect((await kubectlJson(lab, profiles[1], "get", "node", profiles[1])).status.capacity.cpu).toBe("3");

    await pulumi(lab, "destroy", "--yes", "--skip-preview");
    expect(await clusters(lab)).toEqual([profiles[0]]);
    await pulumi(lab, "stack", "select", "first");
    await expectWholeLab(lab, profiles[0]);
    await pulumi(lab, "preview", "--expect-no-changes");
    await run(lab, "pulumi", ["stack", "select", "second"]);
  });

  test("a stack set to another stack's profile is refused before anything is created", async () => {
    lab = newLab("shared-profile");
    profiles = ["engine-shared"];
    await pulumi(lab, "stack", "init", "owner");
    await configure(lab, { ...fastConfigWithoutProfile(lab), profile: "engine-shared" });
    await pulumi(lab, "up", "--yes", "--skip-preview");

    await pulumi(lab, "stack", "init", "intruder");
    await configure(lab, { ...fastConfigWithoutProfile(lab), profile: "engine-shared", cpus: 3 });
    const preview = await run(lab, "pulumi", ["preview", "--non-interactive"]);
    expect(preview.code).not.toBe(0);
    expect(preview.stdout + preview.stderr).toContain(
      "minikube profile engine-shared belongs to stack organization/istio-exit-study/owner, not to organization/istio-exit-study/intruder",
    );
    expect((await up(lab)).code).not.toBe(0);
    expect(await resources(lab)).toEqual([]);
    expect((await kubectlJson(lab, "engine-shared", "get", "node", "engine-shared")).status.capacity.cpu).toBe("2");
    await pulumi(lab, "destroy", "--yes", "--skip-preview");
    await pulumi(lab, "stack", "select", "owner");
    await expectWholeLab(lab, "engine-shared");
  });

  test("a profile made by hand is refused before anything is created, and left as it was", async () => {
    lab = await newStack("by-hand", { profile: "engine-by-hand" });
    profiles = ["engine-by-hand"];
    await start(lab, "engine-by-hand");
    await ok(lab, "kubectl", ["--context", "engine-by-hand", "create", "namespace", "someones-work"]);

    const result = await up(lab);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toContain("minikube profile engine-by-hand exists and this lab did not make it");
    expect(result.stdout + result.stderr).toContain("minikube delete --profile engine-by-hand");
    expect(await resources(lab)).toEqual([]);
    await pulumi(lab, "destroy", "--yes", "--skip-preview");
    expect(await clusters(lab)).toEqual(["engine-by-hand"]);
    await kubectlJson(lab, "engine-by-hand", "get", "namespace", "someones-work");
  });

  test("pulumi up --replace of the cluster keeps the cluster and everything in it", async () => {
    lab = await newStack("replace", { profile: "engine-replace" });
    profiles = ["engine-replace"];
    await pulumi(lab, "up", "--yes", "--skip-preview");
    const urn = (await pulumi(lab, "stack", "--show-urns")).match(/urn:pulumi:\S*::cluster-minikube-[0-9a-f]+/)![0];

    await pulumi(lab, "up", "--yes", "--skip-preview", "--replace", urn);
    expect(await clusters(lab)).toEqual(["engine-replace"]);
    await expectWholeLab(lab, "engine-replace");
    expect((await resources(lab)).filter((name) => name.startsWith("cluster-minikube-"))).toHaveLength(1);
    await pulumi(lab, "preview", "--expect-no-changes");
  });

  test("a --replace of the cluster whose start fails leaves the cluster to the stack: destroy still deletes it", async () => {
    lab = await newStack("replace-fails", { profile: "engine-replace-fails" });
    profiles = ["engine-replace-fails"];
    await pulumi(lab, "up", "--yes", "--skip-preview");
    const urn = (await pulumi(lab, "stack", "--show-urns")).match(/urn:pulumi:\S*::cluster-minikube-[0-9a-f]+/)![0];

    failNext(lab, "start");
    expect((await run(lab, "pulumi", ["up", "--yes", "--skip-preview", "--non-interactive", "--replace", urn])).code).not.toBe(0);
    await pulumi(lab, "destroy", "--yes", "--skip-preview");
    expect(await clusters(lab)).toEqual([]);
    expect(await resources(lab)).toEqual([]);
  });

  test("pulumi up --replace of the stack's token keeps its cluster, which destroy then deletes", async () => {
    lab = await newStack("replace-owner", { profile: "engine-replace-owner" });
    profiles = ["engine-replace-owner"];
    await pulumi(lab, "up", "--yes", "--skip-preview");
    const urn = (await pulumi(lab, "stack", "--show-urns")).match(/urn:pulumi:\S*::cluster-owner/)![0];

    await pulumi(lab, "up", "--yes", "--skip-preview", "--replace", urn);
    expect(await clusters(lab)).toEqual(["engine-replace-owner"]);
    await expectWholeLab(lab, "engine-replace-owner");
    await pulumi(lab, "preview", "--expect-no-changes");
    await pulumi(lab, "destroy", "--yes", "--skip-preview");
    expect(await clusters(lab)).toEqual([]);
  });

  test.each([
    ["reverted", 2],
    ["retried", 3],
  ])("a rebuild that fails, then %s, ends with one cluster of the configured size, all in it, measured", async (_how, cpus) => {
    lab = await newStack(`rebuild-fails-${cpus}`, { profile: `engine-rebuild-fails-${cpus}` });
    const profile = `engine-rebuild-fails-${cpus}`;
    profiles = [profile];
    await pulumi(lab, "up", "--yes", "--skip-preview");
    const first = await outputs(lab);

    failNext(lab, "start");
    await configure(lab, { cpus: 3 });
    expect((await up(lab)).code).not.toBe(0);

    await configure(lab, { cpus });
    await pulumi(lab, "up", "--yes", "--skip-preview");
    expect(await clusters(lab)).toEqual([profile]);
    expect((await kubectlJson(lab, profile, "get", "node", profile)).status.capacity.cpu).toBe(String(cpus));
    await expectWholeLab(lab, profile);
    expect((await outputs(lab)).transactions).not.toBe(first.transactions);
    await pulumi(lab, "preview", "--expect-no-changes");
  });

  test("a profile change whose measurement fails leaves no unused cluster behind", async () => {
    lab = await newStack("moved", { profile: "engine-moved-from" });
    profiles = ["engine-moved-from", "engine-moved-to"];
    await pulumi(lab, "up", "--yes", "--skip-preview");

    // kwok's pods run nothing: a load Job in the cluster never starts, and the measurement fails.
    await configure(lab, { profile: "engine-moved-to", loadFrom: "cluster", rolloutTimeoutSeconds: 10 });
    const result = await up(lab);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/measurement failed: .*the load Job did not start siege/);
    expect(await clusters(lab)).toEqual(["engine-moved-to"]);
  });

  /**
   * A destroy that fails at the cluster's delete (the stand-in's delete fails once), is interrupted
   * while it runs, or fails before it (no minikube on PATH).
   */
  const failingDestroys: Record<string, (lab: Lab) => Promise<string>> = {
    "at the cluster's delete": async (lab) => {
      failNext(lab, "delete");
      const destroy = await run(lab, "pulumi", ["destroy", "--yes", "--skip-preview", "--non-interactive"]);
      return destroy.code === 0 ? "succeeded" : "failed";
    },
    "by a Ctrl-C during the cluster's delete": async (lab) => {
      const hang = path.join(lab.state, "minikube-hangs-next-delete");
      fs.writeFileSync(hang, "");
      // A process group of its own, so that a pulumi that hangs is ended with all its plugins.
      const destroy = spawn("pulumi", ["destroy", "--yes", "--skip-preview", "--non-interactive"], { cwd: lab.dir, env: lab.env, detached: true, stdio: "ignore" });
      const exited = new Promise<number | null>((resolve) => destroy.on("exit", (code) => resolve(code)));
      const deadline = Date.now() + 180_000;
      while (fs.existsSync(hang) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
      destroy.kill("SIGINT");
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([exited, new Promise<"hung">((resolve) => (timer = setTimeout(() => resolve("hung"), 60_000)))]);
      clearTimeout(timer);
      if (code === "hung") process.kill(-destroy.pid!, "SIGKILL");
      return code === "hung" ? "hung after Ctrl-C" : code === 0 ? "succeeded" : "failed";
    },
    "before the cluster's delete (minikube gone from PATH)": async (lab) => {
      const withoutMinikube = lab.env.PATH!.split(":").filter((dir) => !fs.existsSync(path.join(dir, "minikube"))).join(":");
      const destroy = await run(lab, "pulumi", ["destroy", "--yes", "--skip-preview", "--non-interactive"], { env: { PATH: withoutMinikube } });
      return destroy.code === 0 ? "succeeded" : /minikube is not on PATH/.test(destroy.stdout + destroy.stderr) ? "failed" : "failed otherwise";
    },
  };

  test.each([
    ["at the cluster's delete", "destroy", "fails"],
    ["at the cluster's delete", "up", "fails"],
    ["by a Ctrl-C during the cluster's delete", "destroy", "interrupted"],
    ["by a Ctrl-C during the cluster's delete", "up", "interrupted"],
    ["before the cluster's delete (minikube gone from PATH)", "destroy", "early"],
    ["before the cluster's delete (minikube gone from PATH)", "up", "early"],
  ])("a destroy that fails %s, then %s again, finishes the job", async (how, next, label) => {
    const profile = `engine-destroy-${label}-${next}`;
    lab = await newStack(`destroy-${label}-${next}`, { profile });
    profiles = [profile];
    await pulumi(lab, "up", "--yes", "--skip-preview");

    expect(await failingDestroys[how](lab)).toBe("failed");
    expect(await clusters(lab)).toEqual([profile]);

    await pulumi(lab, next, "--yes", "--skip-preview");
    if (next === "destroy") {
      expect(await resources(lab)).toEqual([]);
      expect(await settledLeftovers(lab)).toEqual({ clusters: [], processes: [] });
    } else {
      expect(await clusters(lab)).toEqual([profile]);
      await expectWholeLab(lab, profile);
      await pulumi(lab, "preview", "--expect-no-changes");
    }
  });

  // "then destroy" alone would repeat the first half of "then destroy, then up", checks and all.
  test.each([
    ["destroy, then up", ["destroy", "up"]],
    ["up", ["up"]],
  ])("a first up whose minikube start fails once the cluster is up, then %s: no cluster is left unheld", async (_then, steps) => {
    const profile = `engine-first-fails-${steps.join("-")}`;
    lab = await newStack(`first-fails-${steps.join("-")}`, { profile });
    profiles = [profile];
    failAfterNextStart(lab);
    expect((await up(lab)).code).not.toBe(0);
    expect(await clusters(lab)).toEqual([profile]);

    for (const step of steps) {
      await pulumi(lab, step, "--yes", "--skip-preview");
      if (step === "destroy") {
        expect(await resources(lab)).toEqual([]);
        expect(await settledLeftovers(lab)).toEqual({ clusters: [], processes: [] });
      } else {
        expect(await clusters(lab)).toEqual([profile]);
        await expectWholeLab(lab, profile);
        await pulumi(lab, "preview", "--expect-no-changes");
      }
    }
  });

  test("a profile change whose new start fails once the cluster is up, then destroy, leaves no cluster", async () => {
    lab = await newStack("moved-fails", { profile: "engine-moved-fails-from" });
    profiles = ["engine-moved-fails-from", "engine-moved-fails-to"];
    await pulumi(lab, "up", "--yes", "--skip-preview");
    await configure(lab, { profile: "engine-moved-fails-to" });
    failAfterNextStart(lab);
    expect((await up(lab)).code).not.toBe(0);
    expect(await clusters(lab)).toEqual(["engine-moved-fails-to"]);

    await pulumi(lab, "destroy", "--yes", "--skip-preview");
    expect(await resources(lab)).toEqual([]);
    expect(await clusters(lab)).toEqual([]);
  });

  test("a rebuild whose new cluster the engine never recorded (pulumi killed once the mark named it): destroy still deletes it", async () => {
    lab = await newStack("crash-after-mark", { profile: "engine-crash-after-mark" });
    profiles = ["engine-crash-after-mark"];
    await pulumi(lab, "up", "--yes", "--skip-preview");
    const before = path.join(lab.dir, "before-rebuild.json");
    fs.writeFileSync(before, await pulumi(lab, "stack", "export"));
    await configure(lab, { cpus: 3 });
    await pulumi(lab, "up", "--yes", "--skip-preview");
    // The state as a pulumi killed after the new generation's start marked the profile, and before
    // the engine saved its create, leaves it: the old generation's resource, and the new one not at
    // all (its pending create, which the next operation drops).
    await pulumi(lab, "stack", "import", "--file", before);

    await pulumi(lab, "destroy", "--yes", "--skip-preview");
    expect(await resources(lab)).toEqual([]);
    expect(await clusters(lab)).toEqual([]);
  });

  test("a copy of the stack's state in another stack is refused before it touches the original's cluster", async () => {
    lab = newLab("copied-state");
    await pulumi(lab, "stack", "init", "original");
    await configure(lab, fastConfigWithoutProfile(lab));
    await pulumi(lab, "up", "--yes", "--skip-preview");
    const original = (await outputs(lab)).kubeContext;
    profiles = [original];
    // pulumi stack export, then import into another stack: the URNs name the stack they are in.
    const exported = (await pulumi(lab, "stack", "export")).split("urn:pulumi:original::").join("urn:pulumi:copy::");
    fs.writeFileSync(path.join(lab.dir, "copy.json"), exported);
    await pulumi(lab, "stack", "init", "copy");
    await configure(lab, fastConfigWithoutProfile(lab));
    await pulumi(lab, "stack", "import", "--file", path.join(lab.dir, "copy.json"));

    const result = await up(lab);
    expect(await clusters(lab)).toEqual([original]);
    await expectWholeLab(lab, original);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toContain(`this stack's state holds the token of minikube profile ${original}, the cluster of stack organization/istio-exit-study/original`);
    // The way out the refusal gives: the copy forgotten, its resources left to the original.
    await pulumi(lab, "stack", "rm", "--force", "--yes");
    await pulumi(lab, "stack", "select", "original");
    await expectWholeLab(lab, original);
    await pulumi(lab, "preview", "--expect-no-changes");
  });

  test("two minikube homes on one docker daemon, each with a stack dev: a cluster each, and a destroy from the wrong home refuses", async () => {
    lab = newLab("home-one");
    const other = newLab("home-two", { daemonOf: lab });
    try {
      for (const one of [lab, other]) {
        await pulumi(one, "stack", "init", "dev");
        await configure(one, fastConfigWithoutProfile(one));
      }
      await pulumi(lab, "up", "--yes", "--skip-preview");
      const first = (await outputs(lab)).kubeContext;
      profiles = [first];
      // What the first user does in the first cluster, which a cluster made anew would not have.
      await ok(lab, "kubectl", ["--context", first, "create", "namespace", "first-users-work"]);
      const second = await up(other);
      await kubectlJson(lab, first, "get", "namespace", "first-users-work");
      await expectWholeLab(lab, first);
      expect(second.code).toBe(0);
      const secondProfile = (await outputs(other)).kubeContext;
      profiles.push(secondProfile);
      expect(await clusters(lab)).toEqual([first, secondProfile].sort());

      // The first stack's destroy from a shell whose MINIKUBE_HOME is the other one.
      const destroy = await run(lab, "pulumi", ["destroy", "--yes", "--skip-preview", "--non-interactive"], { env: { MINIKUBE_HOME: other.env.MINIKUBE_HOME } });
      expect(destroy.code).not.toBe(0);
      expect(destroy.stdout + destroy.stderr).toContain(`minikube profile ${first} is not in minikube home ${other.env.MINIKUBE_HOME}/.minikube, but its cluster's container runs in docker`);
      await expectWholeLab(lab, first);

      // A profile the other home made is refused, and left running.
      await configure(other, { profile: first });
      const taken = await up(other);
      expect(taken.code).not.toBe(0);
      expect(taken.stdout + taken.stderr).toContain(`refusing minikube profile ${first}: a cluster container of that name runs in docker`);
      await expectWholeLab(lab, first);

      await pulumi(lab, "destroy", "--yes", "--skip-preview");
      expect(await clusters(lab)).toEqual([secondProfile]);
    } finally {
      await tearDown(other);
    }
  });

  test("Istio by istioctl is installed again in a cluster made again after it was deleted by hand", async () => {
    lab = await newStack("istioctl-lost", { profile: "engine-istioctl-lost", istioInstaller: "istioctl" });
    profiles = ["engine-istioctl-lost"];
    await pulumi(lab, "up", "--yes", "--skip-preview");
    await ok(lab, "minikube", ["delete", "--profile", "engine-istioctl-lost"]);
    // Refused (the cluster does not answer), and changes nothing; the next up rebuilds all.
    await run(lab, "pulumi", ["refresh", "--yes", "--skip-preview", "--non-interactive"]);

    await pulumi(lab, "up", "--yes", "--skip-preview");
    await expectWholeLab(lab, "engine-istioctl-lost", "istioctl");
    await pulumi(lab, "preview", "--expect-no-changes");
  });

  test("a switch of Istio installer, both ways, leaves the configured Istio installed", async () => {
    lab = await newStack("installer-switch", { profile: "engine-installer-switch" });
    profiles = ["engine-installer-switch"];
    await pulumi(lab, "up", "--yes", "--skip-preview");
    for (const installer of ["istioctl", "helm"]) {
      await configure(lab, { istioInstaller: installer });
      await pulumi(lab, "up", "--yes", "--skip-preview");
      await expectWholeLab(lab, "engine-installer-switch", installer);
      await pulumi(lab, "preview", "--expect-no-changes");
    }
    expect(await clusters(lab)).toEqual(["engine-installer-switch"]);
  });
});

/** The engine suite's fast config, for a stack that chooses its profile itself. */
function fastConfigWithoutProfile(lab: Lab): Record<string, string | number | boolean> {
  const { profile: _profile, ...config } = fastConfig(lab, "");
  return config;
}
