# The real node's parts of the engine toolchain, sourced by engine/install.sh, whose helpers
# (wrapper, build, build_kubernetes) and folders they use.
# shellcheck shell=bash
# shellcheck disable=SC2154 # engine_dir, engine_src, src, part_log and the pins: engine/install.sh's

# A real node (ENGINE_NODE=real in engine/standins/minikube): the kubelet and kube-proxy of the
# control plane's release, containerd with its runc shim and ctr, and crictl. runc and the CNI
# plugins come from Debian (.ci/run installs them).
part_node() {
  build_kubernetes node k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy
  wrapper containerd github.com/containerd/containerd/v2/cmd/containerd github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2 \
    github.com/containerd/containerd/v2/cmd/ctr <<EOF
module istio-exit-study/engine/containerd

go 1.26

require github.com/containerd/containerd/v2 $CONTAINERD_VERSION
EOF
  # No cgo: the snapshotters that need it (btrfs, devmapper, zfs) are left out; overlayfs stays.
  (cd "$src" && go mod tidy && go build -trimpath -tags no_btrfs,no_devmapper,no_zfs -ldflags "-s -w -X github.com/containerd/containerd/v2/version.Version=$CONTAINERD_VERSION" \
    -o "$engine_dir/bin/" github.com/containerd/containerd/v2/cmd/containerd github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2 \
    github.com/containerd/containerd/v2/cmd/ctr) >>"$part_log" 2>&1
  wrapper crictl sigs.k8s.io/cri-tools/cmd/crictl <<EOF
module istio-exit-study/engine/crictl

go 1.26

require sigs.k8s.io/cri-tools $CRI_TOOLS_VERSION
EOF
  build "$engine_dir/bin/" "-X sigs.k8s.io/cri-tools/pkg/version.Version=$CRI_TOOLS_VERSION" sigs.k8s.io/cri-tools/cmd/crictl
}

# An OCI image archive OUT (for `ctr images import`) named REF, of one layer, the root filesystem tar
# ROOTFS, and the image config CONFIG (its rootfs is filled in here).
oci_image() {
  local out=$1 ref=$2 rootfs=$3 config=$4 dir
  dir=$(mktemp -d)
  mkdir -p "$dir/blobs/sha256"
  local diff_id layer config_digest manifest
  diff_id=$(sha256sum <"$rootfs" | cut -d' ' -f1)
  gzip -n -c "$rootfs" >"$dir/layer.tar.gz"
  layer=$(sha256sum <"$dir/layer.tar.gz" | cut -d' ' -f1)
  mv "$dir/layer.tar.gz" "$dir/blobs/sha256/$layer"
  printf '%s' "${config%\}}, \"rootfs\": {\"type\": \"layers\", \"diff_ids\": [\"sha256:$diff_id\"]}}" >"$dir/config.json"
  config_digest=$(sha256sum <"$dir/config.json" | cut -d' ' -f1)
  mv "$dir/config.json" "$dir/blobs/sha256/$config_digest"
  printf '{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:%s", "size": %s}, "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:%s", "size": %s}]}' \
    "$config_digest" "$(stat -c %s "$dir/blobs/sha256/$config_digest")" "$layer" "$(stat -c %s "$dir/blobs/sha256/$layer")" >"$dir/manifest.json"
  manifest=$(sha256sum <"$dir/manifest.json" | cut -d' ' -f1)
  printf '{"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:%s", "size": %s, "annotations": {"io.containerd.image.name": "%s", "org.opencontainers.image.ref.name": "%s"}}]}' \
    "$manifest" "$(stat -c %s "$dir/manifest.json")" "$ref" "${ref##*:}" >"$dir/index.json"
  mv "$dir/manifest.json" "$dir/blobs/sha256/$manifest"
  printf '{"imageLayoutVersion": "1.0.0"}' >"$dir/oci-layout"
  tar -C "$dir" -cf "$out" oci-layout index.json blobs
  rm -rf "$dir"
}

# The real node's images, with no registry: the demo site of Debian's nginx (nginx's own image has
# STOPSIGNAL SIGQUIT, its graceful stop; so does this one), the sandbox image of our pause, the load
# Job's, and istiod's.
part_node_images() {
  local work="$engine_dir/src/images" images="$engine_dir/images"
  rm -rf "$work"
  mkdir -p "$work/pause/rootfs" "$images"
  mmdebstrap --quiet --variant=minbase --include=nginx-light --mode=root bookworm "$work/nginx.tar" >>"$part_log" 2>&1
  oci_image "$images/nginx-debian.tar" "$NODE_DEMO_IMAGE" "$work/nginx.tar" \
    '{"architecture": "amd64", "os": "linux", "config": {"Entrypoint": ["nginx", "-g", "daemon off;"], "ExposedPorts": {"80/tcp": {}}, "StopSignal": "SIGQUIT", "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}}'
  (cd "$engine_src/node/pause" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$work/pause/rootfs/pause" .) >>"$part_log" 2>&1
  tar -C "$work/pause/rootfs" -cf "$work/pause.tar" pause
  oci_image "$images/pause.tar" "$NODE_PAUSE_IMAGE" "$work/pause.tar" \
    '{"architecture": "amd64", "os": "linux", "config": {"Entrypoint": ["/pause"]}}'
  # The load Job's: Debian's siege (with bash and stdbuf, as scripts/in-cluster-load.sh needs), and
  # fortio alone, as in fortio's own image.
  mmdebstrap --quiet --variant=minbase --include=siege --mode=root bookworm "$work/siege.tar" >>"$part_log" 2>&1
  oci_image "$images/siege-debian.tar" "$NODE_SIEGE_IMAGE" "$work/siege.tar" \
    '{"architecture": "amd64", "os": "linux", "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}}'
  mkdir -p "$work/fortio/rootfs/usr/bin" "$work/fortio/rootfs/tmp"
  cp "$engine_dir/bin/fortio" "$work/fortio/rootfs/usr/bin/fortio"
  tar -C "$work/fortio/rootfs" -cf "$work/fortio.tar" usr tmp
  oci_image "$images/fortio.tar" "$NODE_FORTIO_IMAGE" "$work/fortio.tar" \
    '{"architecture": "amd64", "os": "linux", "config": {"Entrypoint": ["/usr/bin/fortio"]}}'
  # istiod, as Istio's own image holds it (pilot/docker/Dockerfile.pilot: the binary, user 1337), under
  # the name Istio's charts give it with the hub and tag of our build (engine/istio/parts.sh).
  mkdir -p "$work/istiod/rootfs/usr/local/bin" "$work/istiod/rootfs/tmp"
  cp "$engine_dir/bin/pilot-discovery" "$work/istiod/rootfs/usr/local/bin/pilot-discovery"
  tar -C "$work/istiod/rootfs" -cf "$work/istiod.tar" usr tmp
  oci_image "$images/istiod.tar" "$NODE_ISTIO_HUB/pilot:${ISTIO_BUILD_VERSION#v}" "$work/istiod.tar" \
    '{"architecture": "amd64", "os": "linux", "config": {"User": "1337:1337", "Entrypoint": ["/usr/local/bin/pilot-discovery"]}}'
}
