#!/usr/bin/env bash
# The study's own minikube profile, as one cluster of one identity (components/cluster.ts):
#   start   starts it, or resumes it if it exists; --keep-context leaves the user's current kubectl
#           context as it was (the profile's context is still written to the kubeconfig)
#   delete  deletes it, unless the profile has since been built again as another cluster
# minikube cannot change a profile's version, driver, CPUs or memory: another identity is another
# cluster. Its resource is created while the old one's is still in the stack, so `start` deletes a
# profile built as another cluster first, and the old resource's `delete`, at the end of that run,
# finds the profile rebuilt and leaves it alone. Which identity the profile was built as is kept in
# a file of the study's own, beside minikube's.
# Env: PROFILE, KUBERNETES_VERSION, CPUS, MEMORY_MIB, DRIVER (empty: minikube chooses), CLUSTER_IDENTITY.
set -euo pipefail

: "${PROFILE:?}" "${KUBERNETES_VERSION:?}" "${CPUS:?}" "${MEMORY_MIB:?}" "${CLUSTER_IDENTITY:?}"
command -v minikube >/dev/null || { echo "minikube is not on PATH: install it from https://minikube.sigs.k8s.io/docs/start/" >&2; exit 127; }
built_as="${XDG_STATE_HOME:-$HOME/.local/state}/istio-exit-study/minikube/$PROFILE"

case "${1:-}" in
  start)
    if [ -f "$built_as" ] && [ "$(cat "$built_as")" != "$CLUSTER_IDENTITY" ]; then
      echo "profile $PROFILE was built as $(cat "$built_as"): deleting it to build $CLUSTER_IDENTITY" >&2
      minikube delete --profile "$PROFILE" >&2
    fi
    # The container runtime is pinned: newer minikube releases default to containerd, and Istio's
    # minikube platform profile (ambient's CNI agent) expects docker's network namespace paths.
    args=(start --profile "$PROFILE" --kubernetes-version "$KUBERNETES_VERSION" --container-runtime docker \
      --cpus "$CPUS" --memory "${MEMORY_MIB}mb" --keep-context)
    if [ -n "${DRIVER:-}" ]; then
      args+=(--driver "$DRIVER")
    fi
    # minikube's progress goes to stderr, so that `pulumi up` shows it and the Command's stdout stays empty.
    minikube "${args[@]}" >&2
    mkdir -p "$(dirname "$built_as")"
    printf '%s\n' "$CLUSTER_IDENTITY" >"$built_as"
    ;;
  delete)
    if [ -f "$built_as" ] && [ "$(cat "$built_as")" != "$CLUSTER_IDENTITY" ]; then
      echo "profile $PROFILE is now $(cat "$built_as"), not $CLUSTER_IDENTITY: leaving it" >&2
      exit 0
    fi
    minikube delete --profile "$PROFILE" >&2
    rm -f "$built_as"
    ;;
  *) echo "usage: minikube-cluster.sh start|delete" >&2; exit 64 ;;
esac
