#!/usr/bin/env bash
# A real Kubernetes node for a kwok control plane of the engine (engine/standins/minikube starts it
# with ENGINE_NODE=real): containerd, the kubelet and kube-proxy, in a mount namespace of their own,
# on this machine's loopback.
#   node.sh start PROFILE   starts the node and waits until it is Ready
#   node.sh stop PROFILE    stops it and undoes every change it made to this machine
#   node.sh run PROFILE     (internal) the node's processes, in their mount namespace
# What it changes on this machine, all undone by stop (or, for a node killed before its stop, by the
# next node's start): the sysctls it records first (ip_forward, route_localnet, and the kernel.panic,
# panic_on_oops and vm.overcommit_memory the kubelet sets), the cni0 bridge and the pods' veths,
# kube-proxy's iptables chains, a guard chain of its own that drops whatever a pod sends out of this
# machine, a route of the Service addresses into the bridge, a network namespace for this machine's
# load with a veth to it (engine/node/load-path.env), the cgroups under
# /sys/fs/cgroup/*/istio-exit-study, and the empty folders it makes to mount tmpfs on (/run/containerd,
# /run/netns, /var/lib/cni, /var/lib/kubelet, /var/log/pods, /var/log/containers).
# Env: ENGINE_BIN, ENGINE_STATE, KUBECONFIG (with the context PROFILE).
set -euo pipefail

: "${ENGINE_BIN:?}" "${ENGINE_STATE:?}" "${KUBECONFIG:?}"
verb=${1:?usage: node.sh start|stop PROFILE} profile=${2:?usage: node.sh start|stop PROFILE}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=engine/versions.env
. "$here/../versions.env"
# shellcheck source=engine/node/load-path.env
. "$here/load-path.env"
node="$ENGINE_STATE/node/$profile"
images="$(dirname "$ENGINE_BIN")/images"
log() { printf '[node %s] %s\n' "$profile" "$*" >&2; }

pod_cidr=10.88.0.0/16
# The node's address: the pods' gateway on the cni0 bridge, which has no port out of this machine.
# The kubelet refuses a loopback one, and the API server needs one to reach the kubelet (logs, exec).
node_ip=10.88.0.1
# kube-apiserver's default --service-cluster-ip-range, which kwokctl keeps.
service_cidr=10.0.0.0/24
cgroup_root=istio-exit-study
guard_chain=ISTIO-EXIT-STUDY-GUARD
sysctls=(net.ipv4.ip_forward net.ipv4.conf.all.route_localnet kernel.panic kernel.panic_on_oops vm.overcommit_memory)
# Where the kubelet, containerd and the CNI plugins write whatever their configuration says: inside
# the node's mount namespace each gets a tmpfs, so that nothing of the node lands on this machine.
private_dirs=(/run/containerd /run/netns /var/lib/cni /var/lib/kubelet /var/log/pods /var/log/containers)

free_port() { node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'; }

write_configs() {
  mkdir -p "$node"/{containerd,kubelet,cni/net.d,cni/ipam,logs}
  kubectl config view --flatten --minify --context "$profile" >"$node/kubeconfig"
  # The cluster's CA, by which the kubelet knows the API server's client certificate.
  kubectl config view --raw --flatten --minify --context "$profile" -o 'jsonpath={.clusters[0].cluster.certificate-authority-data}' |
    base64 -d >"$node/kubelet/ca.crt"
  printf 'nameserver 127.0.0.1\n' >"$node/resolv.conf"
  cat >"$node/containerd/config.toml" <<EOF
version = 3
root = "$node/containerd/root"
state = "$node/containerd/state"
[grpc]
  address = "$node/containerd/containerd.sock"
[plugins."io.containerd.cri.v1.images".pinned_images]
  sandbox = "$NODE_PAUSE_IMAGE"
# This machine's processes may not lower their OOM score (no CAP_SYS_RESOURCE): the kubelet's
# negative scores for sandboxes and guaranteed pods are raised to containerd's own, as rootless
# setups do.
[plugins."io.containerd.cri.v1.runtime"]
  restrict_oom_score_adj = true
[plugins."io.containerd.cri.v1.runtime".cni]
  bin_dirs = ["/usr/lib/cni"]
  conf_dir = "$node/cni/net.d"
[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
  BinaryName = "/usr/sbin/runc"
  SystemdCgroup = false
EOF
  # No masquerade: a pod's packets keep their address, and the guard chain keeps them here.
  cat >"$node/cni/net.d/10-istio-exit-study.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "istio-exit-study",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {"type": "host-local", "ranges": [[{"subnet": "$pod_cidr"}]], "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "$node/cni/ipam"}
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
  cat >"$node/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $node_ip
port: $(free_port)
healthzBindAddress: 127.0.0.1
healthzPort: $(free_port)
readOnlyPort: 0
authentication: {anonymous: {enabled: false}, webhook: {enabled: false}, x509: {clientCAFile: $node/kubelet/ca.crt}}
authorization: {mode: AlwaysAllow}
containerRuntimeEndpoint: unix://$node/containerd/containerd.sock
cgroupDriver: cgroupfs
cgroupRoot: /$cgroup_root
failCgroupV1: false
failSwapOn: false
resolvConf: $node/resolv.conf
clusterDNS: []
serializeImagePulls: false
evictionHard: {memory.available: "1Mi", nodefs.available: "1%", imagefs.available: "1%"}
EOF
  cat >"$node/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $node/kubeconfig}
mode: iptables
hostnameOverride: $profile
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:$(free_port)
metricsBindAddress: 127.0.0.1:$(free_port)
clusterCIDR: $pod_cidr
nodePortAddresses: ["127.0.0.1/32", "$load_gateway/32"]
iptables: {localhostNodePorts: true, masqueradeAll: false, minSyncPeriod: 1s, syncPeriod: 30s}
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
}

# shellcheck source=engine/node/host.sh
. "$here/host.sh"

# One real node at a time on this machine: two would share the cni0 bridge, its addresses and the
# host's iptables chains and sysctls. The node's own processes hold one lock for as long as they run
# (the run below inherits it; the programs it starts do not), so a second start waits for the first
# node to go; and a stop holds another from before it ends those processes until the host is as it
# was, which a start then waits for too.
lock_dir=/run/lock
node_lock=$lock_dir/istio-exit-study-real-node
stop_lock=$lock_dir/istio-exit-study-real-node-stop
hold_node_lock() {
  mkdir -p "$lock_dir"
  exec 8>"$node_lock"
  if ! flock -n 8; then
    log "another real node runs on this machine; waiting up to 30 min for it to stop"
    flock -w 1800 8 || { log "another real node still runs on this machine: stop it (minikube delete --profile P), then start again"; exit 1; }
  fi
  exec 7>"$stop_lock"
  flock -w 300 7 || { log "a real node's stop has not restored this machine within 5 min"; exit 1; }
  exec 7>&-
}

start() {
  if [ -e "$node/pid" ] && kill -0 "$(cat "$node/pid")" 2>/dev/null; then
    log "already running"
    return
  fi
  hold_node_lock
  # Holding the node lock, no node's processes run: a record left is that of a node killed before
  # its stop.
  if [ -d "$host_record" ]; then
    local abandoned
    abandoned=$(cat "$host_record/node" 2>/dev/null || true)
    log "a real node ended without its stop (${abandoned:-its folder unrecorded}): ending what is left of it and restoring this machine first"
    end_processes "$abandoned"
    restore_host
    [ -z "$abandoned" ] || rm -rf "$abandoned"
  fi
  rm -rf "$node"
  write_configs
  prepare_host
  # Its own mount namespace, so that its mounts and the containers' stay out of this machine's: each
  # mount made private there first, or whatever this machine shares (/ on systemd's machines,
  # /run/netns once `ip netns add` has run) would carry the node's tmpfs and containers back here;
  # then / shared within it, as the kubelet needs (run).
  setsid unshare --mount --propagation private -- bash "$0" run "$profile" </dev/null >>"$node/logs/node.log" 2>&1 &
  printf '%s\n' "$!" >"$node/pid"
  if ! kubectl --context "$profile" wait --for=create "node/$profile" --timeout=120s >&2 ||
    ! kubectl --context "$profile" wait --for=condition=Ready "node/$profile" --timeout=120s >&2; then
    log "the node did not become Ready; its logs are in $node/logs"
    tail -n 20 "$node/logs/"*.log >&2
    exit 1
  fi
  # The NodePorts serve once kube-proxy has programmed the Services.
  for _ in $(seq 1 90); do
    iptables -w -t nat -S KUBE-NODEPORTS >/dev/null 2>&1 && return
    sleep 1
  done
  log "kube-proxy programmed no Service within 90s; its log is $node/logs/kube-proxy.log"
  exit 1
}

run() {
  mount --make-rshared /
  local dir
  for dir in "${private_dirs[@]}"; do mount -t tmpfs "istio-exit-study-$profile" "$dir"; done
  local pids=()
  trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT
  trap 'exit 0' TERM INT
  "$ENGINE_BIN/containerd" --config "$node/containerd/config.toml" >>"$node/logs/containerd.log" 2>&1 8>&- &
  pids+=($!)
  for _ in $(seq 1 100); do
    [ -S "$node/containerd/containerd.sock" ] && break
    sleep 0.1
  done
  local image
  for image in "$images/pause.tar" "$images/nginx-debian.tar" "$images/siege-debian.tar" "$images/fortio.tar" "$images/istiod.tar"; do
    "$ENGINE_BIN/ctr" --address "$node/containerd/containerd.sock" -n k8s.io images import "$image" >>"$node/logs/containerd.log" 2>&1
  done
  "$ENGINE_BIN/kubelet" --config "$node/kubelet/config.yaml" --kubeconfig "$node/kubeconfig" --root-dir "$node/kubelet/root" \
    --cert-dir "$node/kubelet/pki" --hostname-override "$profile" --node-ip "$node_ip" >>"$node/logs/kubelet.log" 2>&1 8>&- &
  pids+=($!)
  "$ENGINE_BIN/kube-proxy" --config "$node/kube-proxy.yaml" >>"$node/logs/kube-proxy.log" 2>&1 8>&- &
  pids+=($!)
  wait -n
  log "a node process ended"
}

# Ends whatever still runs of the node whose folder is $1.
end_processes() {
  local folder=$1
  [ -n "$folder" ] || return 0
  local crictl=("$ENGINE_BIN/crictl" --runtime-endpoint "unix://$folder/containerd/containerd.sock")
  # The pods first, through containerd, so that no container outlives its node.
  if [ -S "$folder/containerd/containerd.sock" ]; then
    "${crictl[@]}" rmp --force --all >/dev/null 2>&1 || true
  fi
  if [ -e "$folder/pid" ]; then
    kill -TERM "$(cat "$folder/pid")" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$(cat "$folder/pid")" 2>/dev/null || break
      sleep 0.2
    done
    rm -f "$folder/pid"
  fi
  # Shims and containers name its folder.
  pkill -KILL -f "$folder/" 2>/dev/null || true
}

stop() {
  mkdir -p "$lock_dir"
  exec 7>"$stop_lock"
  flock -w 300 7 || log "another real node's stop still runs; going on"
  end_processes "$node"
  # This machine is restored by the node that changed it, and by no other.
  if [ "$(cat "$host_record/node" 2>/dev/null || true)" = "$node" ]; then restore_host; fi
  rm -rf "$node"
}

case "$verb" in
  start) start ;;
  stop) stop ;;
  run) run ;;
  *) log "usage: node.sh start|stop PROFILE"; exit 64 ;;
esac
