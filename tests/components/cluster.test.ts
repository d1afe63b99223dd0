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
    const start = run.one("command:local:Command", "-minikube");
    expect(start.inputs.create).toBe("bash scripts/minikube-start.sh");
    expect(start.inputs.environment).toEqual({
      PROFILE: "istio-exit-study",
      KUBERNETES_VERSION: "v1.35.1",
      CPUS: "4",
      MEMORY_MIB: "8192",
      DRIVER: "docker",
    });
    expect(start.inputs.addPreviousOutputInEnv).toBe(false);
  });

  test("deletes exactly that profile on destroy, with the profile taken from the environment", async () => {
    const start = (await runCluster()).one("command:local:Command", "-minikube");
    expect(start.inputs.delete).toBe('minikube delete --profile "$PROFILE"');
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
    expect(read.order).toBeGreaterThan(run.one("command:local:Command", "-minikube").order);
    const provider = run.one("pulumi:providers:kubernetes");
    // Pulumi's wire form of a secret: the kubeconfig never reaches state or logs in plain text.
    expect(provider.inputs.kubeconfig).toEqual({ [secretSignature]: secretSignatureValue, value: fakeKubeconfig });
    expect(provider.inputs.deleteUnreachable).toBe("true");
    expect(run.outputs.kubeContext).toBe("istio-exit-study");
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
      return { kubeContext: cluster.kubeContext };
    });
    expect(run.all("command:local:Command")).toEqual([]);
    expect(run.one("pulumi:providers:kubernetes").inputs).toMatchObject({ context: "kind-lab", clusterIdentifier: "context/kind-lab" });
    expect(run.one("pulumi:providers:kubernetes").inputs.kubeconfig).toBeUndefined();
    expect(run.outputs.kubeContext).toBe("kind-lab");
  });
});
