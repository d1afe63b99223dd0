#!/usr/bin/env bash
# Tells what Istio an existing cluster already has, anywhere in it, so that the study neither
# installs a second one nor takes over or removes an install that is not its own (lib/installedIstio.ts).
# Prints one line:
#   none       no Istio: no istio-system namespace, and no object of an Istio install in any
#              namespace (Istio's charts and istioctl label each operator.istio.io/component).
#              Istio's CRDs alone are no Istio: Helm, and istioctl's own uninstall, leave them
#   study <installer> <stack> <version> <ambient|sidecar>
#              istio-system is labelled as installed by this lab, with helm or istioctl ("unknown"
#              if that label is missing), by stack <stack> ("-": a version of the lab from before it
#              named the stack)
#   other <version> <ambient|sidecar>
#              an Istio someone else installed, in istio-system or elsewhere
# <version> is istiod's image tag ("unknown" if there is no istiod, or its image has no tag);
# ambient when a ztunnel DaemonSet runs in the cluster.
# Env: KUBE_CONTEXT.
set -euo pipefail

: "${KUBE_CONTEXT:?}"
command -v kubectl >/dev/null || { echo "kubectl is not on PATH: install it from https://kubernetes.io/docs/tasks/tools/" >&2; exit 127; }
kube() { kubectl --context "$KUBE_CONTEXT" "$@"; }
# What every Istio install has, of the objects istioctl prunes and uninstalls (operator/pkg/uninstall):
# istiod's Deployment, or the CNI agent's and ztunnel's DaemonSets, and the webhooks, which outlive a
# partial removal. Kinds a user who may not install Istio can still list (no secrets).
istio_kinds=deployments,daemonsets,mutatingwebhookconfigurations,validatingwebhookconfigurations

# Assignments, not tests of $(...): a kubectl that fails must stop the script, not read as "none".
namespace=$(kube get namespace istio-system --ignore-not-found -o name)
if [ -z "$namespace" ]; then
  elsewhere=$(kube get "$istio_kinds" --all-namespaces --selector operator.istio.io/component -o name)
  [ -n "$elsewhere" ] || { echo none; exit 0; }
fi
image=$(kube --namespace istio-system get deployment istiod --ignore-not-found -o 'jsonpath={.spec.template.spec.containers[0].image}')
if [ -z "$image" ]; then
  image=$(kube get deployments --all-namespaces --selector app=istiod -o 'jsonpath={.items[*].spec.template.spec.containers[0].image}')
  image=${image%% *}
fi
tag=${image##*:}
case "$tag" in
  "$image" | */*) tag=unknown ;; # no image, no tag, or the colon was a registry's port
esac
ztunnel=$(kube get daemonsets --all-namespaces --field-selector metadata.name=ztunnel -o name)
mode=$([ -n "$ztunnel" ] && echo ambient || echo sidecar)

# kubectl refuses a name together with a selector: the name goes in a field selector.
ours=""
if [ -n "$namespace" ]; then
  ours=$(kube get namespaces --selector istio-exit-study/installed-by --field-selector metadata.name=istio-system -o name)
fi
if [ -n "$ours" ]; then
  # Which installer the lab used there, and for which stack (components/istio.ts, scripts/istioctl-install.sh).
  installer=$(kube get namespace istio-system -o 'go-template={{index .metadata.labels "istio-exit-study/installer"}}')
  case "$installer" in
    helm | istioctl) ;;
    *) installer=unknown ;;
  esac
  stack=$(kube get namespace istio-system -o 'go-template={{with .metadata.annotations}}{{index . "istio-exit-study/stack"}}{{end}}')
  case "$stack" in
    "" | "<no value>" | *[[:space:]]*) stack=- ;;
  esac
  echo "study $installer $stack ${tag%-distroless} $mode"
else
  echo "other ${tag%-distroless} $mode"
fi
