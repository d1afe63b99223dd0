#!/usr/bin/env bash
# Removes the Istio scripts/istioctl-install.sh installed, and nothing else: each object its record
# names (PULUMI_COMMAND_STDOUT) is deleted only while it is still that very object, its uid a
# precondition the API server checks. So nothing is deleted on a cluster other than the one it was
# installed on (a context now pointing elsewhere), nor an object made again under that name; never
# `istioctl uninstall --purge`, which removes every Istio of a cluster, someone else's too.
# Env: KUBE_CONTEXT, PULUMI_COMMAND_STDOUT (the provider's: what the install printed).
set -euo pipefail

: "${KUBE_CONTEXT:?}"
command -v kubectl >/dev/null || { echo "kubectl is not on PATH: install it from https://kubernetes.io/docs/tasks/tools/" >&2; exit 127; }
log() { printf '[istioctl-uninstall] %s\n' "$*" >&2; }
kube() { kubectl --context "$KUBE_CONTEXT" "$@"; }

record=${PULUMI_COMMAND_STDOUT:-}
installation=$(printf '%s\n' "$record" | sed -n 's/^installation=\([0-9a-f]*\)$/\1/p')
if [ -z "$installation" ]; then
  log "leaving Istio on context $KUBE_CONTEXT: a version of this lab from before it recorded its installs made it, and nothing tells which objects are its. If it is this stack's and no other Istio is in that cluster: istioctl uninstall --context $KUBE_CONTEXT --purge"
  exit 0
fi

options=$(mktemp)
trap 'rm -f "$options"' EXIT
deleted=0 gone=0 kept=() namespace_deleted=""
# Only what the record's own shape allows: an API path and a uid.
while read -r api uid; do
  printf '{"apiVersion":"v1","kind":"DeleteOptions","propagationPolicy":"Background","preconditions":{"uid":"%s"}}\n' "$uid" >"$options"
  if out=$(kube delete --raw "$api" -f "$options" 2>&1 >/dev/null </dev/null); then
    deleted=$((deleted + 1))
    if [ "$api" = /api/v1/namespaces/istio-system ]; then namespace_deleted=yes; fi
  elif [[ "$out" == *NotFound* ]]; then
    gone=$((gone + 1))
  elif [[ "$out" == *"(Conflict)"* && "$out" == *[Pp]recondition* ]]; then
    # Another object under that name: the API server refuses, as the uid asks it to.
    kept+=("$api")
  else
    log "could not delete $api on context $KUBE_CONTEXT: $out"
    exit 1
  fi
done < <(printf '%s\n' "$record" | grep -E '^/[a-z0-9./-]+ [0-9a-f-]+$')
log "Istio installation $installation on context $KUBE_CONTEXT: $deleted objects deleted, $gone gone already, ${#kept[@]} left as other objects than it made (the context names another cluster now, or they were made again)${kept[0]:+, such as ${kept[0]}}"
# The namespace goes with what it still holds (istiod's own secrets, config maps): waited for, so
# that a next install does not meet it terminating.
if [ -n "$namespace_deleted" ]; then
  kube wait --for=delete namespace/istio-system --timeout=180s >&2 ||
    log "istio-system on context $KUBE_CONTEXT is still terminating; it goes by itself"
fi
