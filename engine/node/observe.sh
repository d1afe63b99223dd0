#!/usr/bin/env bash
# Watches the real node's network while a measurement runs, for the investigation of stray failures
# (docs/contributing.md, "Stray failures of this machine's load"): until it is ended (SIGTERM or
# SIGINT), it writes into OUT
#   counters.tsv   every second, per network namespace (host, the load's, and each pod by its address): the TCP
#                  counters of /proc/net/netstat and /proc/net/snmp that tell how connects fail
#                  (PAWSTimewait, TCPACKSkippedTimeWait, ListenOverflows, ListenDrops, OutRsts,
#                  TCPSynRetrans, TCPTimeWaitOverflow, TCPAbortOnData), the pod's sockets in
#                  TIME-WAIT, and the host's conntrack statistics (conntrack -S, summed over CPUs)
#   conntrack.tsv  every 2 s, the conntrack table's TCP entries by state and by the address that
#                  answers them (a pod, or another)
#   monitor.log    every change of the host's neighbour entries and links (cni0, the veths), as it happens
#   neighbours.tsv every second, the bridge's MAC address and the neighbour entries (ARP) of the host
#                  on cni0 and of each pod, with their state
#   cni0.pcap, load.pcap  the headers of every TCP packet of the demo site's pods (port 80) and every
#                  ARP packet on the bridge, and of the NodePort on the load's veth (load-path.env),
#                  before the NAT, for matching by sequence number
# Nothing here changes the node: it reads counters, lists conntrack's table and captures on cni0 and
# the load's veth only.
# Env: NODE_PORT (the NodePort the host's load uses, for the capture on the load's veth), CAPTURE (default 1; 0:
# counters and neighbours only, as the engine suite's realNode scenario reads them), CGROUP_ROOT
# (default istio-exit-study).
set -euo pipefail

out=${1:?usage: observe.sh OUT}
capture=${CAPTURE:-1}
[ "$capture" = 0 ] || : "${NODE_PORT:?}"
cgroup_root=${CGROUP_ROOT:-istio-exit-study}
# shellcheck source=engine/node/load-path.env
. "$(dirname "$0")/load-path.env"
mkdir -p "$out"

pids=()
cleanup() {
  if [ "${#pids[@]}" -gt 0 ]; then kill "${pids[@]}" 2>/dev/null || true; fi
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 0' TERM INT

if [ "$capture" != 0 ]; then
  # 96 bytes hold the IP and TCP headers with their options (timestamps).
  tcpdump -i cni0 -nn -s 96 -B 16384 -U -w "$out/cni0.pcap" 'tcp port 80 or arp' 2>"$out/tcpdump-cni0.log" &
  pids+=($!)
  # Every change of the host's neighbour entries and of its links (the bridge's address, the pods' veths), as it happens.
  ip -ts monitor neigh link >"$out/monitor.log" 2>&1 &
  pids+=($!)
  tcpdump -i "$load_link" -nn -s 96 -B 8192 -U -w "$out/load.pcap" "tcp port $NODE_PORT" 2>"$out/tcpdump-load.log" &
  pids+=($!)
fi

counters='TcpExtPAWSTimewait|TcpExtTCPACKSkippedTimeWait|TcpExtListenOverflows|TcpExtListenDrops|TcpOutRsts|TcpExtTCPSynRetrans|TcpExtTCPTimeWaitOverflow|TcpExtTCPAbortOnData|TcpExtPAWSEstab|TcpExtTCPACKSkippedSynRecv|TcpAttemptFails|TcpEstabResets'
# One line per counter: <time> <namespace> <counter> <value>.
sample() { # TIME NAMESPACE [nsenter args...]
  local at=$1 name=$2
  shift 2
  "$@" nstat -asz 2>/dev/null | awk -v at="$at" -v ns="$name" -v re="^($counters)\$" '$1 ~ re { print at "\t" ns "\t" $1 "\t" $2 }'
}

# Each pod's network namespace once, by one of its processes (the node's cgroups hold them all).
pod_namespaces() {
  local seen=" " pid netns host
  host=$(readlink /proc/1/ns/net)
  find /sys/fs/cgroup/pids/"$cgroup_root" -name cgroup.procs -exec cat {} + 2>/dev/null | while read -r pid; do
    netns=$(readlink "/proc/$pid/ns/net" 2>/dev/null) || continue
    [ "$netns" != "$host" ] || continue
    case "$seen" in *" $netns "*) continue ;; esac
    seen="$seen$netns "
    printf '%s\n' "$pid"
  done
}

(
  # Best effort, second after second: a pod that goes between the listing of the namespaces and
  # nstat's reading of its counters fails that reading, and must not end the sampling.
  set +e
  tick=0
  while :; do
    at=$(date +%s.%N)
    {
      sample "$at" host env
      sample "$at" load nsenter --net="$load_netns"
      conntrack -S 2>/dev/null | tr -s ' \t' '\n' | awk -F= -v at="$at" 'NF == 2 { sum[$1] += $2 } END { for (k in sum) print at "\thost\tconntrack_" k "\t" sum[k] }'
      for pid in $(pod_namespaces); do
        address=$(nsenter -t "$pid" -n ip -4 -o addr show dev eth0 2>/dev/null | awk '{ sub("/.*", "", $4); print $4; exit }') || continue
        [ -n "$address" ] || continue
        sample "$at" "$address" nsenter -t "$pid" -n
        printf '%s\t%s\tTimeWait\t%s\n' "$at" "$address" "$(nsenter -t "$pid" -n ss -tanH state time-wait 2>/dev/null | wc -l)"
        nsenter -t "$pid" -n ip neigh show 2>/dev/null | awk -v at="$at" -v ns="$address" '{ print at "\t" ns "\t" $0 }' >>"$out/neighbours.tsv"
      done
    } >>"$out/counters.tsv"
    {
      printf '%s\tcni0\taddress %s\n' "$at" "$(cat /sys/class/net/cni0/address 2>/dev/null)"
      ip neigh show dev cni0 2>/dev/null | awk -v at="$at" '{ print at "\thost\t" $0 }'
    } >>"$out/neighbours.tsv"
    if [ $((tick % 2)) -eq 0 ]; then
      conntrack -L -p tcp 2>/dev/null | awk -v at="$at" '{
        state = $4; answer = "-"
        n = 0
        for (i = 5; i <= NF; i++) if ($i ~ /^src=/) { n++; if (n == 2) answer = substr($i, 5) }
        count[state "\t" answer]++
      } END { for (k in count) print at "\t" k "\t" count[k] }' >>"$out/conntrack.tsv"
    fi
    tick=$((tick + 1))
    sleep 1
  done
) &
pids+=($!)
wait
