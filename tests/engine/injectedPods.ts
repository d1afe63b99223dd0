// What Istio's injector made of a pod, read from the pod as the API server holds it: the parts the
// lab's settings are meant to reach (docs/istio-shutdown.md, "The known fixes, as switches").

export interface InjectedPod {
  /** Where istio-proxy is: a container (classic), an init container (native), or nowhere. */
  sidecar: "classic" | "native" | "none";
  /** What the injector recorded having injected (sidecar.istio.io/status), if anything. */
  status?: { initContainers?: string[] | null; containers?: string[] | null };
  /** istio-proxy's spec, wherever it is. */
  proxy?: Record<string, any>;
  /** The init container that sets up the pod's traffic redirection (istio-init), if any. */
  init?: Record<string, any>;
  /** istio-proxy's environment, by name. */
  proxyEnv: Record<string, string>;
  /** The ProxyConfig the agent reads (istio-proxy's PROXY_CONFIG, JSON), if any. */
  proxyConfig?: Record<string, any>;
  /** The app's own container, the first that is not Istio's. */
  app: Record<string, any>;
  gracePeriodSeconds: number;
}

export function injectedPod(pod: any): InjectedPod {
  const containers: any[] = pod.spec.containers ?? [];
  const initContainers: any[] = pod.spec.initContainers ?? [];
  const classic = containers.find((c) => c.name === "istio-proxy");
  const native = initContainers.find((c) => c.name === "istio-proxy");
  const proxy = classic ?? native;
  const proxyEnv: Record<string, string> = Object.fromEntries((proxy?.env ?? []).filter((e: any) => "value" in e).map((e: any) => [e.name, e.value]));
  const status = pod.metadata.annotations?.["sidecar.istio.io/status"];
  return {
    sidecar: classic ? "classic" : native ? "native" : "none",
    status: status ? JSON.parse(status) : undefined,
    proxy,
    init: initContainers.find((c) => c.name === "istio-init"),
    proxyEnv,
    proxyConfig: proxyEnv.PROXY_CONFIG ? JSON.parse(proxyEnv.PROXY_CONFIG) : undefined,
    app: containers.find((c) => !c.name.startsWith("istio-")),
    gracePeriodSeconds: pod.spec.terminationGracePeriodSeconds,
  };
}
