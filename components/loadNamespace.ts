import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterLifetime } from "./cluster";

export interface LoadNamespaceArgs {
  name: string;
  provider: k8s.Provider;
  lifetime: ClusterLifetime;
}

/**
 * The namespace of the in-cluster load Jobs. It carries no mesh label, so that the load generator
 * stays outside the mesh whatever the cases under study do.
 */
export class LoadNamespace extends pulumi.ComponentResource {
  readonly ready: pulumi.Resource;

  constructor(name: string, args: LoadNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-exit-study:index:LoadNamespace", name, {}, opts);
    this.ready = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      { metadata: { name: args.name, labels: { "istio-injection": "disabled" } } },
      { parent: this, provider: args.provider, ...args.lifetime },
    );
    this.registerOutputs({});
  }
}
