import * as fs from "fs";
import * as path from "path";
import {
  clusterGeneration,
  defaultProfile,
  leftoverProfileWarnings,
  minikubeClusterIdentifier,
  minikubeHome,
  parseProfileProbe,
  ProfileMark,
  ProfileRefused,
  stackProfiles,
} from "../../lib/minikubeProfile";

const stack = "organization/istio-exit-study/dev";
const identity = "minikube/lab/v1.35.1/auto/4cpu/8192MiB/istio-by-helm";
const mark = (overrides: Partial<ProfileMark> = {}) => ({ kind: "marked" as const, mark: { stack, generation: "g1", identity, state: "built" as const, ...overrides } });
const fresh = () => "new";

describe("parseProfileProbe", () => {
  test("reads each kind the probe prints", () => {
    expect(parseProfileProbe("profile=absent\n")).toEqual({ kind: "absent" });
    expect(parseProfileProbe("profile=unmarked\n")).toEqual({ kind: "unmarked" });
    expect(parseProfileProbe(`profile=marked\nstack=${stack}\ngeneration=g1\nidentity=${identity}\nstate=building\n`)).toEqual(
      mark({ state: "building" }),
    );
  });

  test.each(["", "profile=marked\nstack=x\n", `profile=marked\nstack=${stack}\ngeneration=g1\nidentity=x\nstate=odd\n`, "absent"])(
    "refuses what it cannot read: %j",
    (output) => expect(() => parseProfileProbe(output)).toThrow(/printed something unexpected/),
  );
});

describe("clusterGeneration", () => {
  test("a profile that is not there gets a new generation", () => {
    expect(clusterGeneration({ kind: "absent" }, "lab", stack, identity, fresh)).toBe("new");
  });

  test("this stack's profile, built as configured, keeps its generation: the resource in the state goes on", () => {
    expect(clusterGeneration(mark(), "lab", stack, identity, fresh)).toBe("g1");
  });

  test.each([
    ["built otherwise", { identity: "minikube/lab/v1.34.0/auto/4cpu/8192MiB/istio-by-helm" }],
    ["left building", { state: "building" as const }],
    ["left half deleted", { state: "deleting" as const }],
  ])("this stack's profile %s gets a new generation, which builds it again", (_what, overrides) => {
    expect(clusterGeneration(mark(overrides), "lab", stack, identity, fresh)).toBe("new");
  });

  test("a profile the lab did not make is refused, naming it and both ways out", () => {
    const refusal = () => clusterGeneration({ kind: "unmarked" }, "minikube", stack, identity, fresh);
    expect(refusal).toThrow(ProfileRefused);
    expect(refusal).toThrow(/minikube profile minikube exists and this lab did not make it/);
    expect(refusal).toThrow(/pulumi config set profile NAME/);
    expect(refusal).toThrow(/minikube delete --profile minikube/);
  });

  test("another stack's profile is refused, naming the stack that holds it", () => {
    const refusal = () => clusterGeneration(mark({ stack: "organization/istio-exit-study/standard" }), "lab", stack, identity, fresh);
    expect(refusal).toThrow(/minikube profile lab belongs to stack organization\/istio-exit-study\/standard, not to organization\/istio-exit-study\/dev/);
    expect(refusal).toThrow(/pulumi destroy in stack organization\/istio-exit-study\/standard/);
    expect(refusal).toThrow(/before a pulumi stack rename, rename it back/);
  });

  test("new generations differ", () => {
    const seen = new Set(Array.from({ length: 20 }, () => clusterGeneration({ kind: "absent" }, "lab", stack, identity)));
    expect(seen.size).toBe(20);
  });
});

describe("defaultProfile", () => {
  const home = "/home/someone/.minikube";
  test("is the stack's own: two stacks, two clusters", () => {
    expect(defaultProfile("dev", home)).toMatch(/^istio-exit-study-dev-[0-9a-f]{6}$/);
    expect(defaultProfile("standard", home)).toMatch(/^istio-exit-study-standard-[0-9a-f]{6}$/);
    expect(defaultProfile("dev", home)).toBe(defaultProfile("dev", home));
  });

  test("is this minikube home's: two homes on one docker daemon never name two clusters alike", () => {
    expect(defaultProfile("dev", home)).not.toBe(defaultProfile("dev", "/home/another/.minikube"));
    expect(defaultProfile("dev", home)).not.toBe(defaultProfile("dev", "/srv/ci/.minikube"));
  });

  test("a stack name that is no DNS label becomes one, with a digest that keeps such names apart", () => {
    const [a, b] = [defaultProfile("Team_A.x", home), defaultProfile("team-a-x", home)];
    expect(a).toMatch(/^istio-exit-study-team-a-x-[0-9a-f]{6}$/);
    expect(b).toMatch(/^istio-exit-study-team-a-x-[0-9a-f]{6}$/);
    expect(a).not.toBe(b);
    const long = defaultProfile("x".repeat(100), home);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(defaultProfile("___", home)).toMatch(/^istio-exit-study-[0-9a-f]{6}$/);
  });
});

describe("minikubeHome", () => {
  test("is where minikube keeps its profiles: MINIKUBE_HOME's .minikube, or ~/.minikube", () => {
    expect(minikubeHome({}, "/home/someone")).toBe("/home/someone/.minikube");
    expect(minikubeHome({ MINIKUBE_HOME: "/srv/mk" }, "/home/someone")).toBe("/srv/mk/.minikube");
    expect(minikubeHome({ MINIKUBE_HOME: "/srv/mk/.minikube" }, "/home/someone")).toBe("/srv/mk/.minikube");
  });
});

describe("minikubeClusterIdentifier", () => {
  const settings = { profile: "lab", kubernetesVersion: "v1.35.1", driver: "", cpus: 4, memoryMiB: 8192 };
  test("changes with every setting minikube cannot change in place, and with the Istio installer", () => {
    const base = minikubeClusterIdentifier(settings, "helm");
    expect(base).toBe(identity);
    for (const change of [{ kubernetesVersion: "v1.34.0" }, { driver: "kvm2" }, { cpus: 6 }, { memoryMiB: 4096 }, { profile: "other" }]) {
      expect([change, minikubeClusterIdentifier({ ...settings, ...change }, "helm")]).not.toEqual([change, base]);
    }
    expect(minikubeClusterIdentifier(settings, "istioctl")).not.toBe(base);
  });
});

describe("a stack's profiles left behind on a cluster of the user's", () => {
  test("are found by their mark, the stack's and no other's, whatever their state", () => {
    const profiles = path.join(process.env.MINIKUBE_HOME!, ".minikube/profiles");
    const made = ["left-built", "left-deleting", "someone-elses", "by-hand"];
    const marks = [`stack=${stack}\nstate=built\n`, `stack=${stack}\nstate=deleting\n`, "stack=organization/istio-exit-study/other\nstate=built\n", ""];
    made.forEach((name, i) => {
      fs.mkdirSync(path.join(profiles, name), { recursive: true });
      if (marks[i]) fs.writeFileSync(path.join(profiles, name, "istio-exit-study.owner"), marks[i]);
    });
    try {
      expect(stackProfiles(stack, path.resolve(__dirname, "../..")).sort()).toEqual(["left-built", "left-deleting"]);
    } finally {
      for (const name of made) fs.rmSync(path.join(profiles, name), { recursive: true, force: true });
    }
  });

  test("are each named with what happens to them and the command that removes them", () => {
    const [warning] = leftoverProfileWarnings(["istio-exit-study-dev"], "kind-lab");
    expect(warning).toMatch(/^minikube profile istio-exit-study-dev is this stack's own cluster from before kubeContext=kind-lab/);
    expect(warning).toContain("minikube delete --profile istio-exit-study-dev");
    expect(leftoverProfileWarnings([], "kind-lab")).toEqual([]);
  });
});
