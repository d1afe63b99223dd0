#!/usr/bin/env bash
# Installs Istio with the user's istioctl, as the seed study did, after checking that this istioctl
# is the version the stack asks for (istioctl installs its own version, whatever the config says),
# only where no Istio is, and prints a record of what it made, for scripts/istioctl-uninstall.sh to
# remove exactly that:
#   create  refuses a cluster that has any Istio (istio-system, or an object of an Istio install in
#           any namespace): istioctl would install over it, and its prune would delete what it does
#           not render. Claims istio-system (`kubectl create`, which only one can win), marked with the
#           stack and a new installation id, then installs under an IstioOperator named after that
#           installation, a name istioctl writes on every object it applies
#           (install.operator.istio.io/owning-resource), which limits its own prune to them
#   update  installs again over this installation (a new version, say): refused unless istio-system
#           is the one its record names, or, for a record-less resource of a version of the lab from
#           before records, is labelled as installed by the lab with istioctl (its state holds it)
# The record, on stdout: `installation=<id>`, then `<API path> <uid>` of each object of the
# installation, istio-system last. Istio's CRDs are not in it: they are left on removal, as Helm and
# istioctl's own uninstall leave them (deleting one deletes every object of its kind in the cluster).
# A create that fails or is ended (Ctrl-C, the provider giving up) removes what it made, by its
# installation's name, which nothing else carries: no record of it would reach the state, and the
# next create would meet it as an Istio already there.
# Env: KUBE_CONTEXT, ISTIO_VERSION, ISTIO_PROFILE, ISTIO_PLATFORM (empty: no platform profile), STACK;
# update: PULUMI_COMMAND_STDOUT (the provider's: the record).
set -euo pipefail

mode=${1:-}
case "$mode" in
  create | update) ;;
  *) echo "usage: istioctl-install.sh create|update" >&2; exit 64 ;;
esac
: "${KUBE_CONTEXT:?}" "${ISTIO_VERSION:?}" "${ISTIO_PROFILE:?}" "${ISTIO_PLATFORM?}" "${STACK:?}"
command -v istioctl >/dev/null || { echo "istioctl is not on PATH: install it from https://istio.io/latest/docs/setup/additional-setup/download-istio-release/" >&2; exit 127; }
command -v kubectl >/dev/null || { echo "kubectl is not on PATH: install it from https://kubernetes.io/docs/tasks/tools/" >&2; exit 127; }
log() { printf '[istioctl-install] %s\n' "$*" >&2; }
kube() { kubectl --context "$KUBE_CONTEXT" "$@"; }
# The kinds istioctl itself prunes and uninstalls (operator/pkg/uninstall), but pods, which their
# owners take with them; with NetworkPolicy, which Istio's charts may render: every kind of an
# install but the CRDs. The webhooks first, so that the record removes them before istiod, which
# serves them.
istio_kinds=mutatingwebhookconfigurations,validatingwebhookconfigurations,deployments,daemonsets,services,configmaps,secrets,serviceaccounts,roles,rolebindings,poddisruptionbudgets,horizontalpodautoscalers,networkpolicies,clusterroles,clusterrolebindings

# istioctl runs in a process group of its own, ended with this script if the provider's shell goes.
# shellcheck source=scripts/process-group.sh
. "$(dirname "$0")/process-group.sh"
run_in_own_process_group "$@"
iop="" made="" made_namespace="" watchdog_pid=""
cleanup() {
  local status=$?
  if [ "$status" -ne 0 ] && [ -n "$made" ]; then
    log "the install failed: removing installation $made from context $KUBE_CONTEXT"
    kube delete "$istio_kinds" --all-namespaces --selector "install.operator.istio.io/owning-resource=istio-exit-study-$made" --wait=false >&2 || true
    if [ -n "$made_namespace" ]; then
      printf '{"apiVersion":"v1","kind":"DeleteOptions","preconditions":{"uid":"%s"}}\n' "$made_namespace" |
        kube delete --raw /api/v1/namespaces/istio-system -f - >/dev/null || true
    fi
  fi
  rm -f "$iop"
  if [ -n "$watchdog_pid" ]; then kill "$watchdog_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT
watch_launcher

# istioctl prints "client version: 1.31.1" (pkg/version/cobra.go, CobraCommandWithOptions).
found=$(istioctl version --remote=false --short | sed -n 's/^client version: //p')
if [ "$found" != "$ISTIO_VERSION" ]; then
  echo "istioctl on PATH is version $found, but config istioVersion is $ISTIO_VERSION: install istioctl $ISTIO_VERSION or set istioVersion=$found" >&2
  exit 1
fi

annotation() { # KEY: istio-system's annotation KEY, empty if none
  local value
  value=$(kube get namespace istio-system -o "go-template={{with .metadata.annotations}}{{index . \"$1\"}}{{end}}")
  [ "$value" = "<no value>" ] || printf '%s' "$value"
}

namespace=$(kube get namespace istio-system --ignore-not-found -o name)
if [ "$mode" = create ]; then
  others=$(kube get "$istio_kinds" --all-namespaces --selector operator.istio.io/component -o name | head -n 5)
  if [ -n "$namespace" ] || [ -n "$others" ]; then
    log "refusing to install Istio on context $KUBE_CONTEXT: it has Istio already ($(printf '%s' "$namespace $others" | tr '\n' ' ' | sed 's/^ *//; s/ *$//')). The lab installs only where no Istio is: over another, istioctl would change it, and its removal would remove it. Use that Istio as it is (set istioVersion to its version), remove it, or use another cluster"
    exit 1
  fi
  installation=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
  made=$installation
  # Made whole, labels and annotations with it, by one create that fails if it exists.
  kubectl create namespace istio-system --dry-run=client -o json |
    kubectl label --local -f - -o json istio-exit-study/installed-by=istio-exit-study istio-exit-study/installer=istioctl |
    kubectl annotate --local -f - -o json "istio-exit-study/stack=$STACK" "istio-exit-study/installation=$installation" |
    kube create -f - >&2
  made_namespace=$(kube get namespace istio-system -o 'jsonpath={.metadata.uid}')
else
  installation=$(printf '%s\n' "${PULUMI_COMMAND_STDOUT:-}" | sed -n 's/^installation=\([0-9a-f]*\)$/\1/p')
  current=""
  [ -z "$namespace" ] || current=$(annotation istio-exit-study/installation)
  if [ -n "$installation" ] && [ "$current" = "$installation" ]; then
    :
  elif [ -z "$installation" ] && [ -n "$namespace" ] && [ -z "$current" ] &&
    [ -n "$(kube get namespaces --selector istio-exit-study/installer=istioctl --field-selector metadata.name=istio-system -o name)" ]; then
    installation=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
    log "istio-system on context $KUBE_CONTEXT is the lab's, installed with istioctl before the lab recorded its installs: it becomes installation $installation of stack $STACK"
    kube annotate namespace istio-system "istio-exit-study/stack=$STACK" "istio-exit-study/installation=$installation" >&2
  else
    log "refusing to install Istio again on context $KUBE_CONTEXT: istio-system there is not the installation this stack made (${installation:-none recorded}; found: ${current:-${namespace:-no istio-system}}), so the context names another cluster now, or someone replaced that Istio. Point the context back at the cluster the lab installed on, or remove this stack's Istio from the state (pulumi state delete) and run pulumi up again"
    exit 1
  fi
fi

iop=$(mktemp)
printf 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nmetadata:\n  name: istio-exit-study-%s\n' "$installation" >"$iop"
args=(install --context "$KUBE_CONTEXT" -f "$iop" --set profile="$ISTIO_PROFILE" --skip-confirmation)
if [ -n "$ISTIO_PLATFORM" ]; then
  args+=(--set values.global.platform="$ISTIO_PLATFORM")
fi
istioctl "${args[@]}" >&2

# The record: each object by the path the API server deletes it at, and its uid, which proves it is
# still the one made here when it is removed.
echo "installation=$installation"
kube get "$istio_kinds" --all-namespaces --selector "install.operator.istio.io/owning-resource=istio-exit-study-$installation" \
  -o 'jsonpath={range .items[*]}{.apiVersion}{" "}{.kind}{" "}{.metadata.namespace}{" "}{.metadata.name}{" "}{.metadata.uid}{"\n"}{end}' |
  awk 'NF >= 4 {
    path = ($1 ~ /\//) ? "/apis/" $1 : "/api/" $1
    if (NF == 5) path = path "/namespaces/" $3
    plural = tolower($2); plural = (plural ~ /y$/) ? substr(plural, 1, length(plural) - 1) "ies" : plural "s"
    print path "/" plural "/" $(NF - 1), $NF
  }'
printf '/api/v1/namespaces/istio-system %s\n' "$(kube get namespace istio-system -o 'jsonpath={.metadata.uid}')"
