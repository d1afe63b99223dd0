import { ClusterSettings } from "../../lib/settings";
import { MinikubeClusterPlan } from "../../lib/minikubeProfile";
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

const plan: MinikubeClusterPlan = {
  identity: "minikube/istio-exit-study/v1.35.1/docker/4cpu/8192MiB/istio-by-helm",
  generation: "0a1b2c3d",
  stack: "organization/istio-exit-study/dev",
};

const minikubeOf = (run: { all(type: string): { name: string }[] }) => {
  const found = run.all("command:local:Command").filter((c) => c.name.startsWith("cluster-minikube-"));
  expect(found).toHaveLength(1);
  return found[0] as any;
};

function runCluster(overrides: Partial<MinikubeClusterPlan> = {}) {
  return runMocked({}, () => {
    const { MinikubeCluster } = require("../../components/cluster");
    const cluster = new MinikubeCluster("cluster", { settings, plan: { ...plan, ...overrides } });
    return { kubeContext: cluster.kubeContext, identity: cluster.identity };
  });
}

describe("MinikubeCluster", () => {
  test("starts the profile through the start script, every setting, the stack and its token in the environment", async () => {
    const run = await runCluster();
    const start = minikubeOf(run);
    expect(start.inputs.create).toBe("bash scripts/minikube-cluster.sh start");
    const token = run.one("command:local:Command", "-owner");
    expect(token.inputs.create).toBe("bash scripts/minikube-cluster.sh token");
    expect(start.inputs.environment).toEqual({
      PROFILE: "istio-exit-study",
      KUBERNETES_VERSION: "v1.35.1",
      CPUS: "4",
      MEMORY_MIB: "8192",
      DRIVER: "docker",
      STACK: "organization/istio-exit-study/dev",
      // The mocked token command prints nothing.
      STACK_TOKEN: "",
      CLUSTER_GENERATION: "0a1b2c3d",
      CLUSTER_IDENTITY: plan.identity,
    });
    expect(start.order).toBeGreaterThan(token.order);
  });

  test("the token is kept on an update, and its delete, last in a destroy, sweeps what the token still marks", async () => {
    const token = (await runCluster()).one("command:local:Command", "-owner");
    expect(token.inputs).toMatchObject({
      create: "bash scripts/minikube-cluster.sh token",
      delete: "bash scripts/minikube-cluster.sh sweep",
      environment: { STACK: "organization/istio-exit-study/dev" },
      addPreviousOutputInEnv: true,
    });
  });

  test("deletes the profile through the script, which reads back the instance its create printed", async () => {
    const start = minikubeOf(await runCluster());
    expect(start.inputs.delete).toBe("bash scripts/minikube-cluster.sh delete");
    expect(start.inputs.addPreviousOutputInEnv).toBe(true);
  });

  test("each generation of the cluster is a resource of its own, named after it", async () => {
    expect(minikubeOf(await runCluster()).name).toBe("cluster-minikube-0a1b2c3d");
    expect(minikubeOf(await runCluster({ generation: "ffff0000" })).name).toBe("cluster-minikube-ffff0000");
  });

  test("no setting is pasted into a command line", async () => {
    const run = await runMocked({}, () => {
      const { MinikubeCluster } = require("../../components/cluster");
      return new MinikubeCluster("cluster", { settings: { ...settings, profile: "lab-x", driver: "kvm2" }, plan }) && {};
    });
    for (const command of run.all("command:local:Command")) {
      expect(`${command.inputs.create} ${command.inputs.delete ?? ""}`).not.toMatch(/lab-x|kvm2|v1\.35|organization/);
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
      const cluster = new MinikubeCluster("cluster", { settings, plan });
      return { deletedWith: cluster.lifetime.deletedWith.urn };
    });
    expect(run.outputs.deletedWith).toMatch(/command:local:Command::cluster-minikube-0a1b2c3d$/);
  });

  test("the provider's identity, and the kubeconfig's trigger, change exactly with the cluster's identity or generation", async () => {
    const identity = async (overrides: Partial<MinikubeClusterPlan>) => {
      const run = await runCluster(overrides);
      return {
        provider: run.one("pulumi:providers:kubernetes").inputs.clusterIdentifier,
        triggers: run.one("command:local:Command", "-kubeconfig").inputs.triggers,
        identity: run.outputs.identity,
      };
    };
    const base = await identity({});
    expect(base.provider).toBe(`${plan.identity}#${plan.generation}`);
    expect(base.triggers).toEqual([base.provider]);
    expect(base.identity).toBe(base.provider);
    for (const change of [{ identity: "minikube/other" }, { generation: "ffff0000" }]) {
      const changed = await identity(change);
      expect(changed.provider).not.toBe(base.provider);
      expect(changed.triggers).not.toEqual(base.triggers);
    }
    expect(await identity({})).toEqual(base);
  });
});

describe("ExistingCluster", () => {
  test("creates nothing but a record of the cluster and a provider bound to the user's context, named by it", async () => {
    const run = await runMocked({}, () => {
      const { ExistingCluster } = require("../../components/cluster");
      const cluster = new ExistingCluster("cluster", { kubeContext: "kind-lab", clusterUid: "0b9e3c1a" });
      return { kubeContext: cluster.kubeContext, lifetime: cluster.lifetime };
    });
    expect(run.all("command:local:Command").map((c) => [c.name, c.inputs.environment])).toEqual([
      ["cluster-identity", { KUBE_CONTEXT: "kind-lab", KUBE_SYSTEM_UID: "0b9e3c1a" }],
    ]);
    expect(run.one("pulumi:providers:kubernetes").inputs).toMatchObject({ context: "kind-lab", clusterIdentifier: "context/kind-lab" });
    expect(run.one("pulumi:providers:kubernetes").inputs.kubeconfig).toBeUndefined();
    expect(run.outputs.kubeContext).toBe("kind-lab");
    expect(run.outputs.lifetime).toEqual({});
  });
});
