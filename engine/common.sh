# Sourced by engine/install.sh and engine/env.sh: the pins, and the folder of the toolchain they build.
# shellcheck shell=bash

engine_src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=engine/versions.env
. "$engine_src/versions.env"

# The parts in the order they are built: the Pulumi engine and its plugins first, then the control
# plane that the cluster scenarios need, Istio's control plane that they install, fortio, then what
# a real node needs.
# shellcheck disable=SC2034 # used by the scripts that source this file
engine_parts=(pulumi language-nodejs command-provider kubernetes-provider plugins etcd kubernetes kwok istio fortio node node-images)

# One folder per set of pins: another set builds beside it, never over it. Within it, each part
# records what it was built from (engine/install.sh), and is built again when that changes.
engine_dir="${ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/istio-exit-study/engine}/$(sha256sum <"$engine_src/versions.env" | cut -c1-12)"

engine_part_built() { [ -s "$engine_dir/parts/$1" ]; }
