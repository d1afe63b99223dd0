#!/usr/bin/env bash
# Prints a self-contained kubeconfig for one context: --flatten embeds the certificates that
# minikube otherwise references as files under ~/.minikube.
# Env: KUBE_CONTEXT.
set -euo pipefail

: "${KUBE_CONTEXT:?}"
command -v kubectl >/dev/null || { echo "kubectl is not on PATH: install it from https://kubernetes.io/docs/tasks/tools/" >&2; exit 127; }
kubectl config view --flatten --minify --context "$KUBE_CONTEXT"
