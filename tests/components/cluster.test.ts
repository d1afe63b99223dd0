import { ClusterSettings } from "../../config/study";
import { fakeKubeconfig, runMocked } from "../harness";

const secretSignature = "4dabf18193072939515e22adb298388d";
const secretSignatureValue = "1b47061264138c4ac30d75fd1eb44270";

const settings: ClusterSettings = {
  kubeContext: "",
  profile: "istio-exit-study",
  kubernetesVersion: "v1.35.1",
  driver: "docker",
  cpus: 4,
  memoryMiB: 8192,
};

const minikubeOf = (run: { all(type: string): { name: string }[] }) => {
  const found = run.all("command:local:Command").filter((c) => c.name.startsWith("cluster-minikube-"));
  expect(found).toHaveLength(1);
  return found[0] as any;
};

function runCluster(overrides: Partial<ClusterSettings> = {}) {
  return runMocked({}, () => {
    const { MinikubeCluster } = require("../../components/cluster");
    const cluster = new MinikubeCluster("cluster", { settings: { ...settings, ...overrides } });
    return { kubeContext: cluster.kubeContext };
  });
}

describe("MinikubeCluster", () => {
  test("starts the study's own profile through the start script, every setting in the environment", async () => {
    const run = await runCluster();
    const start = minikubeOf(run);
    expect(start.inputs.create).toBe("bash scripts/minikube-cluster.sh start");
    expect(start.inputs.environment).toEqual({
      PROFILE: "istio-exit-study",
      KUBERNETES_VERSION: "v1.35.1",
      CPUS: "4",
      MEMORY_MIB: "8192",
      DRIVER: "docker",
      CLUSTER_IDENTITY: "minikube/istio-exit-study/v1.35.1/docker/4cpu/8192MiB",
    });
    expect(start.inputs.addPreviousOutputInEnv).toBe(false);
  });

  test("deletes that profile on destroy, through the script that knows which cluster it is", async () => {
    const start = minikubeOf(await runCluster());
    expect(start.inputs.delete).toBe("bash scripts/minikube-cluster.sh delete");
  });

  test("each cluster as built is a resource of its own, named after its identity", async () => {
    const name = async (overrides: Partial<ClusterSettings>) => minikubeOf(await runCluster(overrides)).name;
    const base = await name({});
    expect(base).toMatch(/^cluster-minikube-[0-9a-f]{8}$/);
    expect(await name({})).toBe(base);
    for (const change of [{ kubernetesVersion: "v1.34.0" }, { driver: "kvm2" }, { cpus: 6 }, { memoryMiB: 4096 }, { profile: "other" }]) {
      expect([change, await name(change)]).not.toEqual([change, base]);
    }
  });

  test("no setting is pasted into a command line", async () => {
    const run = await runCluster({ profile: "lab-x", driver: "kvm2" });
    for (const command of run.all("command:local:Command")) {
      expect(`${command.inputs.create} ${command.inputs.delete ?? ""}`).not.toMatch(/lab-x|kvm2|v1\.35/);
    }
  });

  test("reads the profile's kubeconfig after the cluster is up and keeps it secret", async () => {
    const run = await runCluster();
    const read = run.one("command:local:Command", "-kubeconfig");
    expect(read.inputs.create).toBe("bash scripts/kubeconfig.sh");
    expect(read.inputs.environment).toEqual({ KUBE_CONTEXT: "istio-exit-study" });
    expect(read.inputs.logging).toBe("stderr");
    expect(read.order).toBeGreaterThan(minikubeOf(run).order);
    const provider = run.one("pulumi:providers:kubernetes");
    // Pulumi's wire form of a secret: the kubeconfig never reaches state or logs in plain text.
    expect(provider.inputs.kubeconfig).toEqual({ [secretSignature]: secretSignatureValue, value: fakeKubeconfig });
    // A refresh while the cluster is stopped must keep what is in it, not forget it.
    expect(provider.inputs.deleteUnreachable).toBeUndefined();
    expect(run.outputs.kubeContext).toBe("istio-exit-study");
  });

  test("what is in the cluster goes with the minikube profile, never deleted through the provider after it", async () => {
    const run = await runMocked({}, () => {
      const { MinikubeCluster } = require("../../components/cluster");
      const cluster = new MinikubeCluster("cluster", { settings });
      return { deletedWith: cluster.lifetime.deletedWith.urn };
    });
    expect(run.outputs.deletedWith).toMatch(/command:local:Command::cluster-minikube-[0-9a-f]{8}$/);
  });

  test("the provider's identity, and the commands' triggers, change exactly when the cluster is rebuilt", async () => {
    const identity = async (overrides: Partial<ClusterSettings>) => {
      const run = await runCluster(overrides);
      return {
        provider: run.one("pulumi:providers:kubernetes").inputs.clusterIdentifier,
        triggers: run.all("command:local:Command").map((c) => c.inputs.triggers),
      };
    };
    const base = await identity({});
    for (const change of [{ kubernetesVersion: "v1.34.0" }, { driver: "kvm2" }, { cpus: 6 }, { memoryMiB: 4096 }, { profile: "other" }]) {
      const changed = await identity(change);
      expect(changed.provider).not.toBe(base.provider);
      expect(changed.triggers).not.toEqual(base.triggers);
    }
    expect(await identity({})).toEqual(base);
  });
});

describe("ExistingCluster", () => {
  test("creates nothing but a provider bound to the user's context, named by it", async () => {
    const run = await runMocked({}, () => {
      const { ExistingCluster } = require("../../components/cluster");
      const cluster = new ExistingCluster("cluster", { kubeContext: "kind-lab" });
      return { kubeContext: cluster.kubeContext, lifetime: cluster.lifetime };
    });
    expect(run.all("command:local:Command")).toEqual([]);
    expect(run.one("pulumi:providers:kubernetes").inputs).toMatchObject({ context: "kind-lab", clusterIdentifier: "context/kind-lab" });
    expect(run.one("pulumi:providers:kubernetes").inputs.kubeconfig).toBeUndefined();
    expect(run.outputs.kubeContext).toBe("kind-lab");
    expect(run.outputs.lifetime).toEqual({});
  });
});
