#!/usr/bin/env bash
# Installs Istio with the user's istioctl, as the seed study did, after checking that this istioctl
# is the version the stack asks for (istioctl installs its own version, whatever the config says).
# Env: KUBE_CONTEXT, ISTIO_VERSION, ISTIO_PROFILE, ISTIO_PLATFORM (empty: no platform profile).
set -euo pipefail

: "${KUBE_CONTEXT:?}" "${ISTIO_VERSION:?}" "${ISTIO_PROFILE:?}" "${ISTIO_PLATFORM?}"
command -v istioctl >/dev/null || { echo "istioctl is not on PATH: install it from https://istio.io/latest/docs/setup/additional-setup/download-istio-release/" >&2; exit 127; }

# istioctl prints "client version: 1.31.1" (pkg/version/cobra.go, CobraCommandWithOptions).
found=$(istioctl version --remote=false --short | sed -n 's/^client version: //p')
if [ "$found" != "$ISTIO_VERSION" ]; then
  echo "istioctl on PATH is version $found, but config istioVersion is $ISTIO_VERSION: install istioctl $ISTIO_VERSION or set istioVersion=$found" >&2
  exit 1
fi
args=(install --context "$KUBE_CONTEXT" --set profile="$ISTIO_PROFILE" --skip-confirmation)
if [ -n "$ISTIO_PLATFORM" ]; then
  args+=(--set values.global.platform="$ISTIO_PLATFORM")
fi
istioctl "${args[@]}" >&2
# Marks the install as the study's own, as the Helm install's namespace is (components/istio.ts).
kubectl --context "$KUBE_CONTEXT" label namespace istio-system istio-exit-study/installed-by=istio-exit-study \
  istio-exit-study/installer=istioctl --overwrite >&2
