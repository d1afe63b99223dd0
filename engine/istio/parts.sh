# Istio's part of the engine toolchain, sourced by engine/install.sh, whose helpers (wrapper, build,
# module_field) and folders it uses: istioctl, istiod (pilot-discovery) and the charts, all from the
# module istio.io/istio at ISTIO_MODULE_VERSION.
# shellcheck shell=bash
# shellcheck disable=SC2154 # engine_dir, src, part_log and the pins: engine/install.sh's

# What a source tree of Istio leaves for its release build to fill in (chart versions of 1.0.0, the
# images of registry.istio.io/testing at tag latest) is filled in here as that build does, with
# the version ISTIO_BUILD_VERSION and the images' hub NODE_ISTIO_HUB: istioctl embeds the charts and
# profiles it installs (manifests/manifest.go), so it is built from this copy. The images are never
# pulled (imagePullPolicy Never): istiod's is the real node's own (engine/node/parts.sh), and the
# proxy's, Envoy, cannot be built here, so a pod injected with a sidecar cannot start on the node.
part_istio() {
  local copy="$engine_dir/src/istio-module" charts="$engine_dir/istio/charts" version=${ISTIO_BUILD_VERSION#v}
  rm -rf "$copy" "$engine_dir/istio"
  cp -R "$(module_field "istio.io/istio@$ISTIO_MODULE_VERSION" Dir)" "$copy"
  chmod -R u+w "$copy"
  local file
  while IFS= read -r -d '' file; do
    sed -i -e "s#^\([[:space:]]*\)hub: registry\.istio\.io/testing\$#\1hub: $NODE_ISTIO_HUB#" \
      -e "s#^\([[:space:]]*\)tag: latest\$#\1tag: $version#" \
      -e "s#^\([[:space:]]*\)imagePullPolicy: \"\"\$#\1imagePullPolicy: Never#" "$file"
  done < <(find "$copy/manifests/profiles" "$copy/manifests/charts" \( -name '*.yaml' ! -path '*/templates/*' ! -path '*/files/*' \) -print0)
  while IFS= read -r -d '' file; do
    sed -i -e "s#^version: 1\.0\.0\$#version: $version#" -e "s#^appVersion: 1\.0\.0\$#appVersion: $version#" "$file"
  done < <(find "$copy/manifests/charts" -name Chart.yaml -print0)
  # A later pin whose files read otherwise would leave Istio's testing images in place: stop here.
  if grep -rn --include=values.yaml --include=default.yaml -e '^[[:space:]]*hub: registry\.istio\.io/testing$' -e '^[[:space:]]*tag: latest$' \
    "$copy/manifests" >>"$part_log"; then
    printf 'Istio testing images left in the manifests above\n' >>"$part_log"
    return 1
  fi

  wrapper istio istio.io/istio/istioctl/cmd/istioctl istio.io/istio/pilot/cmd/pilot-discovery <<EOF
module istio-exit-study/engine/istio

go 1.26

require istio.io/istio $ISTIO_MODULE_VERSION

replace istio.io/istio => $copy
EOF
  local pkg=istio.io/istio/pkg/version
  build "$engine_dir/bin/" "-X $pkg.buildVersion=$version -X $pkg.buildGitRevision=${ISTIO_MODULE_VERSION##*-} -X $pkg.buildStatus=Clean -X $pkg.buildTag=$version -X $pkg.buildHub=$NODE_ISTIO_HUB" \
    istio.io/istio/istioctl/cmd/istioctl istio.io/istio/pilot/cmd/pilot-discovery
  [ "$("$engine_dir/bin/istioctl" version --remote=false --short)" = "client version: $version" ] || return 1

  # The charts under the names Istio's chart repository gives them, as `helm pull --untar` leaves them.
  mkdir -p "$charts"
  cp -R "$copy/manifests/charts/base" "$charts/base"
  cp -R "$copy/manifests/charts/istio-control/istio-discovery" "$charts/istiod"
  cp -R "$copy/manifests/charts/istio-cni" "$charts/cni"
  cp -R "$copy/manifests/charts/ztunnel" "$charts/ztunnel"
}
