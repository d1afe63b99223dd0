#!/usr/bin/env bash
# Tells what Istio an existing cluster already has, so that the study neither installs it twice nor
# takes over an install that is not its own. Prints one line:
#   none               no istio-system namespace
#   study <installer>  istio-system is labelled as installed by this study, with helm or istioctl
#                      ("unknown" if the label of the installer is missing)
#   other <version> <ambient|sidecar>
#                      istiod from someone else; <version> is its image tag ("unknown" if none),
#                      ambient when a ztunnel DaemonSet runs beside it
# Env: KUBE_CONTEXT.
set -euo pipefail

: "${KUBE_CONTEXT:?}"
command -v kubectl >/dev/null || { echo "kubectl is not on PATH: install it from https://kubernetes.io/docs/tasks/tools/" >&2; exit 127; }
kube() { kubectl --context "$KUBE_CONTEXT" "$@"; }

# Assignments, not tests of $(...): a kubectl that fails must stop the script, not read as "none".
namespace=$(kube get namespace istio-system --ignore-not-found -o name)
[ -n "$namespace" ] || { echo none; exit 0; }
# kubectl refuses a name together with a selector: the name goes in a field selector.
ours=$(kube get namespaces --selector istio-exit-study/installed-by --field-selector metadata.name=istio-system -o name)
if [ -n "$ours" ]; then
  # Which installer the lab used there (components/istio.ts, scripts/istioctl-install.sh).
  installer=$(kube get namespace istio-system -o 'go-template={{index .metadata.labels "istio-exit-study/installer"}}')
  case "$installer" in
    helm | istioctl) echo "study $installer" ;;
    *) echo "study unknown" ;;
  esac
else
  image=$(kube --namespace istio-system get deployment istiod --ignore-not-found \
    -o 'jsonpath={.spec.template.spec.containers[0].image}')
  tag=${image##*:}
  case "$tag" in
    "$image" | */*) tag=unknown ;; # no tag, or the colon was a registry's port
  esac
  ztunnel=$(kube --namespace istio-system get daemonset ztunnel --ignore-not-found -o name)
  echo "other ${tag%-distroless} $([ -n "$ztunnel" ] && echo ambient || echo sidecar)"
fi
