#!/usr/bin/env bash
# Builds the engine toolchain of engine/versions.env from Go modules, once, into a cache outside the
# clone (engine/common.sh names the folder): the Pulumi CLI, the Node.js language host, the command
# and kubernetes providers installed as plugins, etcd, the Kubernetes control plane, kwok, Istio's
# control plane (istioctl, istiod, the charts), fortio, and a real node's parts and images.
# A part is built again only when what it is built from changes: its recipe below, the pins it
# reads, its sources in engine/; a part that fails is not marked built.
# ENGINE_BUILD_BUDGET_SECONDS (0: none) stops before the next part once that much time has passed:
# the parts left out are named, and the next run builds them.
# Progress and each part's time go to stderr; stdout gets the toolchain's folder.
set -euo pipefail

# shellcheck source=engine/common.sh
. "$(dirname "$0")/common.sh"
# shellcheck source=engine/istio/parts.sh
. "$(dirname "$0")/istio/parts.sh"
# shellcheck source=engine/node/parts.sh
. "$(dirname "$0")/node/parts.sh"

log() { printf '[engine:install] %s\n' "$*" >&2; }
command -v go >/dev/null || { log "go is not on PATH: install Go 1.26 or newer"; exit 127; }
budget=${ENGINE_BUILD_BUDGET_SECONDS:-0}
[[ "$budget" =~ ^[0-9]+$ ]] || { log "ENGINE_BUILD_BUDGET_SECONDS=$budget is not a whole number of seconds"; exit 2; }

# bin/ goes on PATH; providers/ must not, or the engine would take them from PATH rather than as the
# plugins installed under the versions the SDKs ask for.
mkdir -p "$engine_dir/bin" "$engine_dir/providers" "$engine_dir/parts" "$engine_dir/src" "$engine_dir/logs"
# Two installs at once (two test runs) would build the same part twice into the same files.
exec 9>"$engine_dir/.lock"
flock 9

# Nothing here may reach past the module proxy: no toolchain download, no VCS, no workspace.
export GOFLAGS=-mod=mod GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 GOPRIVATE='' GONOSUMDB=''
export PULUMI_HOME="$engine_dir/pulumi-home" PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true

src="" part_log=""
# A wrapper module of ours in src/<part>, its go.mod from stdin, requiring the packages it builds.
wrapper() {
  local name=$1
  shift
  src="$engine_dir/src/$name"
  rm -rf "$src"
  mkdir -p "$src"
  cat >"$src/go.mod"
  { printf '//go:build tools\n\npackage tools\n\nimport (\n'; printf '\t_ "%s"\n' "$@"; printf ')\n'; } >"$src/tools.go"
}
# A field of `go mod download -json MODULE@VERSION`: Dir (its source) or GoMod (its go.mod).
module_field() { go mod download -json "$1" | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8"))[process.argv[1]])' "$2"; }
# The replace directives of a module's own go.mod that point at other modules: a dependent build
# must repeat them, while those into the module's own repository (../sdk) come from the proxy.
module_replaces() {
  # shellcheck disable=SC2016 # JavaScript's template literal, not the shell's
  go mod edit -json "$(module_field "$1" GoMod)" | node -e '
    for (const { Old, New } of JSON.parse(require("fs").readFileSync(0, "utf8")).Replace ?? [])
      if (New.Version) console.log(`replace ${Old.Path}${Old.Version ? " " + Old.Version : ""} => ${New.Path} ${New.Version}`);'
}
# go build in the wrapper module into OUT: bin/ for binaries named after their packages, or a file.
build() {
  local out=$1 ldflags=$2
  shift 2
  (cd "$src" && go mod tidy && go build -trimpath -tags osusergo,grpcnotrace -ldflags "-s -w $ldflags" -o "$out" "$@") >>"$part_log" 2>&1
}

part_pulumi() {
  wrapper pulumi github.com/pulumi/pulumi/pkg/v3/cmd/pulumi <<EOF
module istio-exit-study/engine/pulumi

go 1.25

require (
	github.com/pulumi/pulumi/pkg/v3 $PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 $PULUMI_VERSION
)

$(module_replaces "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION")
EOF
  build "$engine_dir/bin/" "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
}

part_language_nodejs() {
  wrapper language-nodejs github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs <<EOF
module istio-exit-study/engine/language-nodejs

go 1.25

require github.com/pulumi/pulumi/sdk/v3 $PULUMI_LANGUAGE_NODEJS_SDK_VERSION

$(module_replaces "github.com/pulumi/pulumi/sdk/v3@$PULUMI_LANGUAGE_NODEJS_SDK_VERSION")
EOF
  build "$engine_dir/bin/" "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_LANGUAGE_NODEJS_SDK_VERSION" \
    github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
}

part_command_provider() {
  src="$engine_dir/src/command-provider"
  rm -rf "$src"
  cp -R "$engine_src/command-provider" "$src"
  (cd "$src" && go build -trimpath -ldflags "-s -w" -o "$engine_dir/providers/pulumi-resource-command" .) >>"$part_log" 2>&1
}

part_kubernetes_provider() {
  local module=github.com/pulumi/pulumi-kubernetes/provider/v4
  wrapper kubernetes-provider <<EOF
module istio-exit-study/engine/kubernetes-provider

go 1.25

require $module $PULUMI_KUBERNETES_PROVIDER_MODULE_VERSION

$(module_replaces "$module@$PULUMI_KUBERNETES_PROVIDER_MODULE_VERSION")
EOF
  rm "$src/tools.go"
  cp "$engine_src/kubernetes-provider/main.go" "$src/"
  # The provider's own main embeds files that its build generates; ours embeds the committed ones.
  local dir
  dir=$(module_field "$module@$PULUMI_KUBERNETES_PROVIDER_MODULE_VERSION" Dir)
  cp "$dir/cmd/pulumi-resource-kubernetes/schema.json" "$dir/cmd/pulumi-resource-kubernetes/terraform-mapping.json" "$src/"
  chmod u+w "$src"/*.json
  (cd "$src" && go mod tidy &&
    go build -trimpath -ldflags "-s -w -X $module/pkg/version.Version=${PULUMI_KUBERNETES_PLUGIN_VERSION#v}" \
      -o "$engine_dir/providers/pulumi-resource-kubernetes" .) >>"$part_log" 2>&1
}

# Into the cache's PULUMI_HOME, under the versions the npm packages ask for, so that the engine finds
# them without reaching for the network (automatic plugin download is off in engine/env.sh).
part_plugins() {
  local pulumi="$engine_dir/bin/pulumi"
  "$pulumi" plugin install resource command "${PULUMI_COMMAND_PLUGIN_VERSION#v}" \
    --file "$engine_dir/providers/pulumi-resource-command" >>"$part_log" 2>&1
  "$pulumi" plugin install resource kubernetes "${PULUMI_KUBERNETES_PLUGIN_VERSION#v}" \
    --file "$engine_dir/providers/pulumi-resource-kubernetes" >>"$part_log" 2>&1
}

part_etcd() {
  # The server module's go.mod replaces its sibling modules by path: require them at its version.
  wrapper etcd go.etcd.io/etcd/server/v3 <<EOF
module istio-exit-study/engine/etcd

go 1.26

require (
	go.etcd.io/etcd/server/v3 $ETCD_VERSION
	go.etcd.io/etcd/api/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/pkg/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/v3 $ETCD_VERSION
	go.etcd.io/etcd/pkg/v3 $ETCD_VERSION
)
EOF
  build "$engine_dir/bin/etcd" "" go.etcd.io/etcd/server/v3
}

# Kubernetes' commands PKGS, built in the wrapper module NAME: k8s.io/kubernetes replaces each
# staging module by its path in the repository, so a dependent module takes each from the proxy at
# the published version of the same release.
build_kubernetes() {
  local name=$1 gomod staging minor=${KUBERNETES_VERSION#v1.}
  shift
  gomod=$(module_field "k8s.io/kubernetes@$KUBERNETES_VERSION" GoMod)
  staging="v0.$minor"
  wrapper "$name" "$@" <<EOF
module istio-exit-study/engine/$name

go 1.25

godebug default=go1.25

require k8s.io/kubernetes $KUBERNETES_VERSION

replace (
$(sed -n "s#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\t\1 => \1 $staging#p" "$gomod")
)
EOF
  build "$engine_dir/bin/" "-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${minor%%.*} -X k8s.io/component-base/version.gitTreeState=clean" \
    "$@"
}

part_kubernetes() {
  build_kubernetes kubernetes k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler
}

part_kwok() {
  wrapper kwok sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl <<EOF
module istio-exit-study/engine/kwok

go 1.26

require sigs.k8s.io/kwok $KWOK_VERSION
EOF
  build "$engine_dir/bin/" "" sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl
}

# fortio's own command, from its module, with our stub for the scripting language it links in.
part_fortio() {
  wrapper fortio fortio.org/fortio <<EOF
module istio-exit-study/engine/fortio

go 1.25

require fortio.org/fortio $FORTIO_VERSION

replace grol.io/grol => $engine_src/fortio/grol-stub
EOF
  build "$engine_dir/bin/fortio" "" fortio.org/fortio
  [ "$("$engine_dir/bin/fortio" version)" = "${FORTIO_VERSION#v}" ]
}

# The files of our own sources under a folder, tests left out, in a stable order.
sources() { find "$1" -type f ! -name '*_test.go' -print0 | LC_ALL=C sort -z | xargs -0 cat; }
# What a part is built from: its recipe (the functions that build it), the pins, and for our own
# Go code its sources; for the plugins, the providers they install.
part_digest() {
  local part=$1
  {
    declare -f "part_${part//-/_}" wrapper module_field module_replaces build build_kubernetes oci_image
    cat "$engine_src/versions.env"
    case "$part" in
      command-provider | kubernetes-provider) sources "$engine_src/$part" ;;
      fortio) sources "$engine_src/fortio" ;;
      node-images) sources "$engine_src/node/pause" && cat "$engine_dir/bin/fortio" "$engine_dir/bin/pilot-discovery" 2>/dev/null ;;
      plugins) cat "$engine_dir/providers/pulumi-resource-command" "$engine_dir/providers/pulumi-resource-kubernetes" 2>/dev/null || true ;;
    esac
  } | sha256sum | cut -c1-16
}

log "toolchain folder: $engine_dir"
left_out=()
for part in "${engine_parts[@]}"; do
  digest=$(part_digest "$part")
  if [ "$(cat "$engine_dir/parts/$part" 2>/dev/null)" = "$digest" ]; then
    log "$part: built before"
    continue
  fi
  if [ "$budget" -gt 0 ] && [ "$SECONDS" -ge "$budget" ]; then
    left_out+=("$part")
    continue
  fi
  part_log="$engine_dir/logs/$part.log"
  : >"$part_log"
  started=$SECONDS
  log "$part: building (log: $part_log)"
  rm -f "$engine_dir/parts/$part"
  if ! "part_${part//-/_}"; then
    log "$part: FAILED after $((SECONDS - started))s; the end of its log:"
    tail -n 20 "$part_log" >&2
    exit 1
  fi
  printf '%s\n' "$digest" >"$engine_dir/parts/$part"
  log "$part: built in $((SECONDS - started))s"
done
if [ "${#left_out[@]}" -gt 0 ]; then
  log "LEFT OUT after the budget of ${budget}s: ${left_out[*]}; run engine/install.sh again to build them"
else
  log "all parts built; this run took ${SECONDS}s"
fi
printf '%s\n' "$engine_dir"
