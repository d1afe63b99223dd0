#!/usr/bin/env bash
# Starts the study's own minikube profile, or resumes it if it exists. --keep-context leaves the
# user's current kubectl context as it was; the profile's context is still written to the kubeconfig.
# Env: PROFILE, KUBERNETES_VERSION, CPUS, MEMORY_MIB, DRIVER (empty: minikube chooses).
set -euo pipefail

: "${PROFILE:?}" "${KUBERNETES_VERSION:?}" "${CPUS:?}" "${MEMORY_MIB:?}"
command -v minikube >/dev/null || { echo "minikube is not on PATH: install it from https://minikube.sigs.k8s.io/docs/start/" >&2; exit 127; }

# The container runtime is pinned: newer minikube releases default to containerd, and Istio's
# minikube platform profile (ambient's CNI agent) expects docker's network namespace paths.
args=(start --profile "$PROFILE" --kubernetes-version "$KUBERNETES_VERSION" --container-runtime docker \
  --cpus "$CPUS" --memory "${MEMORY_MIB}mb" --keep-context)
if [ -n "${DRIVER:-}" ]; then
  args+=(--driver "$DRIVER")
fi
# minikube's progress goes to stderr, so that `pulumi up` shows it and the Command's stdout stays empty.
minikube "${args[@]}" >&2
