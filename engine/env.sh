#!/usr/bin/env bash
# Prints the exports of a shell that runs the lab on the engine toolchain (engine/install.sh):
#   eval "$(npm run --silent engine:env)"           state in the clone's .engine-state/, which every
#                                                   shell of this clone shares: a second terminal
#                                                   sees the first one's stacks and clusters
#   eval "$(npm run --silent engine:env -- DIR)"    state in DIR
# It says on stderr which folder it uses. To clean up: `pulumi destroy` in each stack, or
# `minikube delete --profile P` for each of `kwokctl get clusters`, then remove the folder.
# The state folder holds the Pulumi file backend, the kubeconfig, the kwok clusters and the minikube
# stand-in's profiles (MINIKUBE_HOME), so that nothing outside it changes: not ~/.kube/config, not
# ~/.pulumi, not ~/.minikube. A shell that already has ENGINE_STATE keeps it.
set -euo pipefail

# shellcheck source=engine/common.sh
. "$(dirname "$0")/common.sh"

missing=()
for part in "${engine_parts[@]}"; do
  engine_part_built "$part" || missing+=("$part")
done
if [ "${#missing[@]}" -gt 0 ]; then
  printf '[engine:env] not built yet: %s; run npm run engine:install\n' "${missing[*]}" >&2
fi

state=${1:-${ENGINE_STATE:-$engine_src/../.engine-state}}
mkdir -p "$state/backend"
state=$(cd "$state" && pwd)
printf '[engine:env] state folder: %s\n' "$state" >&2

q() { printf '%q' "$1"; }
cat <<EXPORTS
export ENGINE_BIN=$(q "$engine_dir/bin")
export ENGINE_STATE=$(q "$state")
export ENGINE_ISTIO_CHARTS=$(q "$engine_dir/istio/charts")
export ENGINE_ISTIO_VERSION=$(q "${ISTIO_BUILD_VERSION#v}")
export ENGINE_DEMO_MANIFEST=$(q "$engine_src/node/demo-site.yaml")
export ENGINE_SIEGE_IMAGE=$(q "$NODE_SIEGE_IMAGE")
export ENGINE_FORTIO_IMAGE=$(q "$NODE_FORTIO_IMAGE")
export PATH=$(q "$engine_src/node/load:$engine_dir/bin:$engine_src/standins:$PATH")
export KUBECONFIG=$(q "$state/kubeconfig")
export MINIKUBE_HOME=$(q "$state/minikube")
export KWOK_WORKDIR=$(q "$state/kwok")
export PULUMI_HOME=$(q "$engine_dir/pulumi-home")
export PULUMI_BACKEND_URL=$(q "file://$state/backend")
export PULUMI_CONFIG_PASSPHRASE=$(q "${PULUMI_CONFIG_PASSPHRASE:-engine}")
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
EXPORTS
