import * as crypto from "crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { WorkloadSettings } from "../lib/settings";
import { ClusterLifetime } from "./cluster";
import { podSelector, renderDeployment, renderService } from "../lib/manifest";

export interface DemoSiteArgs {
  settings: WorkloadSettings;
  provider: k8s.Provider;
  lifetime: ClusterLifetime;
  /** Istio's install: its injection webhook must serve before the first pod is created. */
  meshReady: pulumi.Resource[];
}

/** Labels that put a namespace in the mesh for one setting. */
export function namespaceLabels(settings: Pick<WorkloadSettings, "injection" | "mesh">): Record<string, string> {
  if (settings.mesh === "ambient") return { "istio.io/dataplane-mode": "ambient" };
  return settings.injection ? { "istio-injection": "enabled" } : {};
}

/**
 * The Deployment and its Service as the provider applies them without awaiting them (pulumi.com/skipAwait,
 * read by @pulumi/kubernetes 4.34's provider: its create and update return once the API server has the
 * object, and its delete does not wait for it to be gone). The provider's await, of the Deployment's
 * rollout and of the Service's ready endpoints alike, would hold `pulumi up` for 10 minutes on pods that
 * cannot start and then fail it with no word of why (seen on the engine's real node: every Service of a
 * case whose proxy's image was missing, "timed out waiting to be Ready"); the case's test
 * (scripts/rollout-test.sh) waits for the rollout itself, and fails that case alone, naming the
 * container that cannot start, while later cases still get their turn. With several cases, every
 * rollout is also waited for before the first test (components/measurements.ts), a wait that never
 * fails the update.
 */
export function withoutAwait<T extends { metadata?: { annotations?: Record<string, string> } }>(object: T): T {
  const metadata = object.metadata ?? {};
  return { ...object, metadata: { ...metadata, annotations: { ...metadata.annotations, "pulumi.com/skipAwait": "true" } } };
}

/** The workload under study: its namespace (labelled for the mesh), Deployment and Service. */
export class DemoSite extends pulumi.ComponentResource {
  readonly namespace: pulumi.Output<string>;
  readonly deploymentName: pulumi.Output<string>;
  readonly serviceName: pulumi.Output<string>;
  /** Everything a test of this workload must wait for: applied, not rolled out (the test waits for that). */
  readonly ready: pulumi.Resource[];
  /** kubectl label selector of the Deployment's pods. */
  readonly podSelector: string;
  /** Digest of everything deployed: it changes whenever the workload under test does. */
  readonly fingerprint: string;
  /**
   * The Service's address inside the cluster, on its first port: its cluster IP, which the load Job
   * reaches through kube-proxy with no DNS (a cluster may have none, as the engine's real node).
   */
  readonly clusterUrl: pulumi.Output<string>;

  constructor(name: string, args: DemoSiteArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-exit-study:index:DemoSite", name, {}, opts);
    const { settings, provider, lifetime } = args;

    const namespaceArgs = { metadata: { name: settings.namespace, labels: namespaceLabels(settings) } };
    const deploymentArgs = renderDeployment(settings.manifest, settings.namespace, settings.replicas, settings);
    const serviceArgs = renderService(settings.manifest, settings.namespace);
    this.fingerprint = crypto
      .createHash("sha256")
      .update(JSON.stringify([namespaceArgs, deploymentArgs, serviceArgs]))
      .digest("hex");
    this.podSelector = podSelector(settings.manifest);

    const namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      namespaceArgs,
      { parent: this, provider, ...lifetime, dependsOn: args.meshReady },
    );
    const namespaceName = namespace.metadata.name;

    // The namespace's label decides injection when a pod is created, so the Deployment (whose pod
    // template records the setting, and rolls on a flip) is applied after the label.
    const deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      withoutAwait(deploymentArgs) as k8s.apps.v1.DeploymentArgs,
      { parent: this, provider, ...lifetime, dependsOn: [namespace] },
    );
    const service = new k8s.core.v1.Service(
      `${name}-service`,
      withoutAwait(serviceArgs),
      { parent: this, provider, ...lifetime, dependsOn: [namespace] },
    );

    this.namespace = namespaceName;
    this.deploymentName = deployment.metadata.name;
    this.serviceName = service.metadata.name;
    this.clusterUrl = service.spec.apply((spec) => `http://${spec.clusterIP}:${spec.ports[0].port}/`);
    this.ready = [deployment, service];
    this.registerOutputs({
      namespace: this.namespace,
      deploymentName: this.deploymentName,
      serviceName: this.serviceName,
    });
  }
}
