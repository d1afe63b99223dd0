#!/usr/bin/env bash
# Which cluster a context of the user's reaches (kubeContext), so that the lab touches what it made
# only in the cluster it made it in (components/cluster.ts, ExistingCluster):
#   record  prints the cluster's identity: the uid of its kube-system namespace, which a cluster
#           keeps for its life and another cluster never has
#   update  run when the program finds the context reaching a cluster of another identity than the
#           state's (KUBE_SYSTEM_UID, read as the program ran): prints the recorded identity again,
#           or fails when the context reaches another cluster, before the run touches anything there
#   check   run first when what the lab made there is deleted (pulumi destroy, a switch away from
#           the cluster): fails, so that nothing is deleted and nothing forgotten, when the context
#           now reaches another cluster than the recorded one
# The provider, Helm and istioctl's removal delete by name through the context: on another cluster
# they would delete someone else's namespaces and Istio (istio-system and its Helm releases are
# named alike everywhere).
# Env: KUBE_CONTEXT; update: PULUMI_COMMAND_STDOUT (the provider's: what record printed); check:
# RECORDED_UID (what record printed).
set -euo pipefail

verb=${1:-}
case "$verb" in
  record | update | check) ;;
  *) echo "usage: existing-cluster.sh record|update|check" >&2; exit 64 ;;
esac
: "${KUBE_CONTEXT:?}"
command -v kubectl >/dev/null || { echo "kubectl is not on PATH: install it from https://kubernetes.io/docs/tasks/tools/" >&2; exit 127; }
log() { printf '[existing-cluster] %s\n' "$*" >&2; }
# A cluster that does not answer is told within seconds, not after TCP's own timeout.
identity() { kubectl --context "$KUBE_CONTEXT" --request-timeout=20s get namespace kube-system -o 'jsonpath={.metadata.uid}'; }

if [ "$verb" = record ]; then
  identity
  echo
  exit 0
fi

if [ "$verb" = update ]; then recorded=${PULUMI_COMMAND_STDOUT:-}; else recorded=${RECORDED_UID:-}; fi
recorded=${recorded//[^0-9a-f-]/}
if ! now=$(identity 2>&1); then
  # The provider's own deletes fail on a cluster they cannot reach (or, with
  # PULUMI_K8S_DELETE_UNREACHABLE, only forget): nothing can be deleted elsewhere through it.
  log "context $KUBE_CONTEXT does not answer ($now): the provider decides what it can delete"
  if [ "$verb" = update ]; then printf '%s\n' "$recorded"; fi
  exit 0
fi
if [ -n "$recorded" ] && [ "$now" != "$recorded" ]; then
  log "refusing to go on through context $KUBE_CONTEXT: it now reaches another cluster (kube-system $now) than the one this stack made its objects in (kube-system $recorded), where the same names (istio-system, Istio's Helm releases, the demo site's namespace) may be someone else's. Nothing was deleted there, and the state still holds every object made there. Point the context back to that cluster (kubectl config set-context $KUBE_CONTEXT --cluster=<it> --user=<its user>) and run this again. If that cluster is gone for good, forget it without deleting anything: pulumi stack rm --force --preserve-config, then pulumi stack init with the same name"
  exit 1
fi
if [ "$verb" = update ]; then
  printf '%s\n' "${recorded:-$now}"
fi
