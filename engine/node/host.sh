# shellcheck shell=bash
# A real node's changes to this machine (engine/node/node.sh sources it, with the node's settings):
# each made, recorded and undone here.
# shellcheck disable=SC2154 # guard_chain, pod_cidr, node_ip, service_cidr, private_dirs, sysctls, cgroup_root, node: node.sh's; host_record, load_*: load-path.env's

# What a node changes on this machine is recorded as it is changed, in one record outside every
# node's folder (/run, which a reboot empties along with the changes): a stop undoes only what its
# own node recorded, and the next start undoes what a node killed before its stop left behind (the
# engine suite killed with it, a session's end). A change made is one line: `chain`, `forward`,
# `link`, `route`, `dir PATH`, `sysctl KEY=VALUE` (the value before), `load` (the load's namespace
# and its veth).
recorded() { grep -qxF -- "$*" "$host_record/changes" 2>/dev/null; }
record() { printf '%s\n' "$*" >>"$host_record/changes"; }

# Before anything runs: what to restore, and the guards. What the lab did not make itself stops it,
# before it changes anything: it never takes over, nor later removes, a chain or a bridge of another's.
prepare_host() {
  if iptables -w -n -L "$guard_chain" >/dev/null 2>&1; then
    log "this machine has an iptables chain $guard_chain that no real node of the lab recorded: remove it (iptables -D FORWARD -j $guard_chain; iptables -F $guard_chain; iptables -X $guard_chain), then start again"
    exit 1
  fi
  if ip link show cni0 >/dev/null 2>&1; then
    log "this machine has a network link cni0 that no real node of the lab recorded (another cluster's CNI?): a real node needs that name; remove it or run the node elsewhere"
    exit 1
  fi
  # A route to the load's address that goes by no gateway: a network of this machine's has it.
  local load_route
  load_route=$(ip -4 -o route get "$load_address" 2>/dev/null || true)
  if ip link show "$load_link" >/dev/null 2>&1 || { [ -n "$load_route" ] && [[ $load_route != *" via "* ]]; }; then
    log "this machine has a network link $load_link, or a route to $load_address, that no real node of the lab recorded: a real node needs them for its load's path; remove them or run the node elsewhere"
    exit 1
  fi
  mkdir "$host_record"
  printf '%s\n' "$node" >"$host_record/node"
  local key
  for key in "${sysctls[@]}"; do record "sysctl $key=$(sysctl -n "$key")"; done
  iptables -w -N "$guard_chain"
  record chain
  # Between the pods and this machine's load: both on this machine.
  iptables -w -A "$guard_chain" -i "$load_link" -o cni0 -j RETURN
  iptables -w -A "$guard_chain" -i cni0 -o "$load_link" -j RETURN
  iptables -w -A "$guard_chain" -s "$pod_cidr" ! -o cni0 -j DROP
  iptables -w -A "$guard_chain" -d "$pod_cidr" ! -i cni0 -j DROP
  iptables -w -I FORWARD 1 -j "$guard_chain"
  record forward
  ip link add cni0 type bridge
  record link
  ip addr add "$node_ip/${pod_cidr#*/}" dev cni0
  ip link set cni0 up
  # The Service addresses lead into the pods' bridge, which has no port out of this machine: the API
  # server reaches a Service (istiod's webhook) at its cluster IP as on any node, kube-proxy's rules
  # turning it into a pod's address on the way out; an address they do not turn goes nowhere. (A
  # blackhole route would fail the connect before those rules are looked at.)
  ip route add "$service_cidr" dev cni0
  record route
  local dir
  for dir in "${private_dirs[@]}"; do
    if [ ! -e "$dir" ]; then
      mkdir -p "$dir"
      record "dir $dir"
    fi
  done
  local subsystem
  for subsystem in /sys/fs/cgroup/*/; do
    [ -e "$subsystem/cgroup.procs" ] && mkdir -p "$subsystem/$cgroup_root"
  done
  prepare_load_path
}

# The load's namespace (load-path.env), held by a bind mount on a file of the record rather than in
# /run/netns, which the node's mount namespace covers with a tmpfs of its own. It has no route but
# to this machine, through its veth.
prepare_load_path() {
  record load
  touch "$load_netns"
  unshare --net="$load_netns" true
  # An MTU of 65535, as the loopback's, so that the load's SYNs are known in a capture by their MSS
  # (engine/node/strays.ts, loadConnects).
  ip link add "$load_link" mtu 65535 type veth peer name "$load_peer" mtu 65535
  ip link set "$load_peer" netns "$load_netns"
  ip addr add "$load_gateway/30" dev "$load_link"
  ip link set "$load_link" up
  local inside=(nsenter --net="$load_netns" --)
  "${inside[@]}" ip link set lo up
  "${inside[@]}" ip addr add "$load_address/30" dev "$load_peer"
  "${inside[@]}" ip link set "$load_peer" up
  "${inside[@]}" sysctl -q -w net.ipv4.tcp_timestamps=2
}

# Undoes what the record says a node changed, and the record: called only by the node that recorded
# it, or by a start once that node is known gone.
restore_host() {
  # Whatever still runs of the node in its cgroups.
  local subsystem
  for subsystem in /sys/fs/cgroup/*/"$cgroup_root"; do
    [ -d "$subsystem" ] || continue
    xargs -r kill -KILL <"$subsystem/cgroup.procs" 2>/dev/null || true
    find "$subsystem" -depth -mindepth 1 -type d -exec rmdir {} + 2>/dev/null || true
    rmdir "$subsystem" 2>/dev/null || true
  done
  "$ENGINE_BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true
  # What kube-proxy's cleanup leaves: the kubelet's own chains (KUBE-FIREWALL, the canaries).
  local save
  for save in iptables-save ip6tables-save; do
    "$save" | grep -v -- '-j KUBE-\|^:KUBE-\|^-A KUBE-' | "${save%-save}-restore" -w || log "could not remove the KUBE chains with ${save%-save}"
  done
  # The route goes with the link.
  if recorded link; then ip link delete cni0 2>/dev/null || true; fi
  # The namespace goes with its last holder; its veth is deleted here, at once, with its peer.
  if recorded load; then
    umount "$load_netns" 2>/dev/null || true
    ip link delete "$load_link" 2>/dev/null || true
  fi
  if recorded forward; then iptables -w -D FORWARD -j "$guard_chain" 2>/dev/null || true; fi
  if recorded chain; then
    iptables -w -F "$guard_chain" 2>/dev/null || true
    iptables -w -X "$guard_chain" 2>/dev/null || true
  fi
  local kind value
  while read -r kind value; do
    case "$kind" in
      dir) rmdir "$value" 2>/dev/null || true ;;
      sysctl) sysctl -q -w "$value" >/dev/null ;;
    esac
  done < <(cat "$host_record/changes" 2>/dev/null || true)
  rm -rf "$host_record"
}
