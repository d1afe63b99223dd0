#!/usr/bin/env bash
# A series of measurements of nomesh-hook on the engine's real node, watched by engine/node/observe.sh,
# for the investigation of stray failures (docs/contributing.md, "Stray failures of this machine's
# load"). nomesh-hook loses no request to its rollout, so every failure it shows is a stray.
#   series.sh OUT RUNS
# Env:
#   ARM      baseline (default); offsets: the load's namespace given this machine's default
#            net.ipv4.tcp_timestamps=1 (an offset per connection: the load's path before 7fc3ec9,
#            which made the stray failures); invalid: packets conntrack calls INVALID dropped on INPUT
#            from cni0; flush: the NodePort's conntrack entries deleted right before each load; wait:
#            65 s waited before each fortio load (the pods' TIME-WAIT, TCP_TIMEWAIT_LEN, is 60 s)
#   RECIPE   fortio (default): fortio alone at QPS (default 3000) requests a second, or at each rate
#            of a list (QPS="100 1000": RUNS runs at each); siege-fortio: siege from this machine,
#            then at once fortio at 100 a second, measured
#   LOAD_FROM  host (default) or cluster
#   SOURCE   the project to run (default: this clone's HEAD, exported)
# Writes OUT/run-N/ (the observer's files, results.json: the stack's outputs after the run) and
# OUT/series.tsv (a line per measured run: run, arm, recipe, requests, failures, failure times).
# Wrap it in flock /tmp/real-node.lock: one real node at a time on this machine. It leaves the host
# as it was: the stack destroyed, the flip undone, and it checks that no cni0 and no KUBE chain is left.
set -euo pipefail

out=${1:?usage: series.sh OUT RUNS} runs=${2:?usage: series.sh OUT RUNS}
arm=${ARM:-baseline} recipe=${RECIPE:-fortio} load_from=${LOAD_FROM:-host}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=engine/node/load-path.env
. "$here/load-path.env"
project=$(cd "$here/../.." && pwd)
rates=${QPS:-3000}
case "$arm" in baseline | offsets | invalid | flush | wait) ;; *) echo "ARM=$arm: baseline, offsets, invalid, flush or wait" >&2; exit 64 ;; esac
case "$recipe" in fortio | siege-fortio) ;; *) echo "RECIPE=$recipe: fortio or siege-fortio" >&2; exit 64 ;; esac
[ "$recipe" = fortio ] || rates=100
fortio_qps=${rates%% *}
log() { printf '[series %s] %s\n' "$(date +%T)" "$*" >&2; }

# Another real node (this machine has room for one: the bridge cni0 and the pods' range are fixed).
if ip link show cni0 >/dev/null 2>&1; then echo "a real node runs already (cni0 exists): wait for it" >&2; exit 75; fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
lab="$out/lab"
if [ ! -d "$lab" ]; then
  mkdir -p "$lab"
  if [ -n "${SOURCE:-}" ]; then
    cp -R "$SOURCE"/{Pulumi.yaml,package.json,tsconfig.json,index.ts,components,config,lib,manifests,scripts,siege,engine} "$lab/"
  else
    git -C "$project" archive HEAD Pulumi.yaml package.json tsconfig.json index.ts components config lib manifests scripts siege engine | tar -x -C "$lab"
  fi
  ln -s "$project/node_modules" "$lab/node_modules"
  # This copy only: the measurement keeps its folder (fortio's access log and log, siege's output) in
  # STUDY_KEEP_WORK, so that each failure's own words can be read.
  # shellcheck disable=SC2016 # the script's own variables, written into it
  sed -i 's|^  rm -rf "\$work"$|  if [ -n "${STUDY_KEEP_WORK:-}" ]; then cp -R "$work" "$STUDY_KEEP_WORK" 2>/dev/null \|\| true; fi\n  rm -rf "$work"|' "$lab/scripts/rollout-test.sh"
fi
eval "$(bash "$lab/engine/env.sh" "$out/state" 2>/dev/null)"
export ENGINE_NODE=real
cd "$lab"

observer="" invalid_rule=(INPUT -i cni0 -m conntrack --ctstate INVALID -j DROP) stack_made=""
cleanup() {
  local status=$?
  if [ -n "$observer" ]; then kill "$observer" 2>/dev/null || true; wait "$observer" 2>/dev/null || true; fi
  if [ -n "$stack_made" ]; then pulumi destroy --yes --skip-preview --non-interactive >"$out/destroy.log" 2>&1 || log "destroy failed: $out/destroy.log"; fi
  if [ "$arm" = invalid ]; then while iptables -w -D "${invalid_rule[@]}" 2>/dev/null; do :; done; fi
  if ip link show cni0 >/dev/null 2>&1 || iptables-save | grep KUBE >/dev/null; then log "the host is NOT as it was: cni0 or KUBE chains left"; status=1; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

pulumi stack select --create series --non-interactive >/dev/null
stack_made=1
set_config() { local key; for key in "$@"; do pulumi config set "istio-exit-study:${key%%=*}" "${key#*=}" --non-interactive; done; }
set_config "manifest=$ENGINE_DEMO_MANIFEST" cases=nomesh-hook preStopSeconds=5 warmupSeconds=3 settleSeconds=3 concurrency=10 \
  profile=engine-series "istioChartRepo=$ENGINE_ISTIO_CHARTS" "istioVersion=$ENGINE_ISTIO_VERSION" replicas=2 cpus=2 memoryMiB=4096 \
  rolloutTimeoutSeconds=120 "loadFrom=$load_from" load=fortio qps=100
if [ "$load_from" = cluster ]; then set_config "loadImage=$ENGINE_FORTIO_IMAGE"; fi
set_config "qps=$fortio_qps"
log "building the stack (cluster, real node, first measurement)"
pulumi up --yes --skip-preview --non-interactive >"$out/up-0.log" 2>&1

case "$arm" in
  # The namespace goes with the stack's node.
  offsets) nsenter --net="$load_netns" -- sysctl -q -w net.ipv4.tcp_timestamps=1 ;;
  invalid) iptables -w -I "${invalid_rule[@]}" ;;
esac

node_port=$(kubectl --context engine-series get services --all-namespaces -l app=demo-site -o 'jsonpath={.items[0].spec.ports[0].nodePort}')
log "arm $arm, recipe $recipe, load from $load_from, NodePort $node_port"

measure() { # RUN LOAD QPS DIR
  set_config "load=$2" "qps=$3" "run=$1"
  if [ "$2" = siege ] && [ "$load_from" = cluster ]; then set_config "loadImage=$ENGINE_SIEGE_IMAGE"; fi
  if [ "$2" = fortio ] && [ "$load_from" = cluster ]; then set_config "loadImage=$ENGINE_FORTIO_IMAGE"; fi
  if [ "$arm" = flush ]; then conntrack -D -p tcp --orig-port-dst "$node_port" >/dev/null 2>&1 || true; fi
  if [ "$arm" = wait ] && [ "$2" = fortio ]; then sleep 65; fi
  STUDY_KEEP_WORK="$4/work-$2" pulumi up --yes --skip-preview --non-interactive >"$4/up-$2.log" 2>&1
}

for fortio_qps in $rates; do
  for i in $(seq 1 "$runs"); do
    run=$i
    [ "$rates" = "$fortio_qps" ] || run="$fortio_qps-$i"
    dir="$out/run-$run"
    mkdir -p "$dir"
    NODE_PORT=$node_port bash "$here/observe.sh" "$dir" &
    observer=$!
    if [ "$recipe" = siege-fortio ]; then measure "$run-siege" siege 100 "$dir"; fi
    measure "$run" fortio "$fortio_qps" "$dir" || log "run $run: pulumi up failed ($dir/up-fortio.log)"
    kill "$observer" 2>/dev/null || true
    wait "$observer" 2>/dev/null || true
    observer=""
    pulumi stack output --json --show-secrets --non-interactive >"$dir/results.json"
    jq -r --arg run "$run" --arg arm "$arm" --arg recipe "$recipe-$fortio_qps" '.results[0] |
      [$run, $arm, $recipe, .status, .requests, .failures, (.measuredAt // ""),
       ([.failureTimes[]? | "\(.atSeconds):\(.kind)"] | join(" "))] | @tsv' "$dir/results.json" | tee -a "$out/series.tsv"
  done
done
