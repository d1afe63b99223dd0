#!/usr/bin/env bash
# The measurement: a load generator (LOAD: siege or fortio, scripts/load-<LOAD>.sh) loads the demo
# site while `kubectl rollout restart` replaces every pod. Progress goes to stderr as it happens;
# stdout carries only the result, in the format that lib/rolloutOutput.ts reads:
#   study-status: ok | failed <reason>                (failed: exit 0 still, so that later cases run)
#   study-load: siege | fortio
#   study-sidecar: none | classic | native | ambient | mixed  (what Istio left on the pods before the restart:
#                                    the injector's sidecar, or the CNI agent's ambient enrollment;
#                                    with a failed status too, once pods exist)
#   study-restart-at: <s since the epoch>             (taken just before the restart was sent, this machine's clock)
#   study-clock-uncertainty-seconds: <s>              (a load in the cluster: how far its times, put on this machine's clock, may be off)
#   study-rollout-seconds: <s>                        (restart issued to rollout complete)
#   study-old-pods-gone-seconds: <s>                  (restart issued to the last old pod gone)
#   study-pod: <name> deleted=<s> gone=<s|never>      (old pods, relative to the restart, as a watch saw the events arrive)
#   the load's own lines (scripts/summarize-siege.sh, scripts/summarize-fortio.ts)
# The load runs on this machine (LOAD_FROM=host) or in a Job outside the mesh (LOAD_FROM=cluster).
# Written for bash 3.2 too (macOS): no associative arrays, no mapfile, no EPOCHREALTIME.
# A case with MESH=ambient fails before the restart unless Istio's CNI agent has enrolled every pod.
# Env: KUBE_CONTEXT, NAMESPACE, DEPLOYMENT, SERVICE, POD_SELECTOR, MESH, PROFILE (empty: not minikube),
#      LOAD, CONCURRENCY, WARMUP_SECONDS, SETTLE_SECONDS, ROLLOUT_TIMEOUT_SECONDS,
#      LOAD_TIME_LIMIT_SECONDS, LOAD_FROM, and the load's own (scripts/load-<LOAD>.sh); cluster:
#      LOAD_NAMESPACE, LOAD_JOB_NAME, LOAD_JOB (the Job, JSON); tests: POD_START_BOUND_SECONDS (watch-pod-start.ts).
set -euo pipefail

# Runs in a process group of its own, ended with everything in it when the provider gives up on
# the test (scripts/process-group.sh); cleanup (the load, the Service's tunnel, the load Job, the
# watch) then runs as on any other exit.
# shellcheck source=scripts/process-group.sh
. "$(dirname "$0")/process-group.sh"
run_in_own_process_group "$@"

: "${KUBE_CONTEXT:?}" "${NAMESPACE:?}" "${DEPLOYMENT:?}" "${SERVICE:?}" "${POD_SELECTOR:?}" "${MESH:?}" "${PROFILE?}" "${LOAD:?}"
: "${CONCURRENCY:?}" "${WARMUP_SECONDS:?}" "${SETTLE_SECONDS:?}" "${ROLLOUT_TIMEOUT_SECONDS:?}" "${LOAD_FROM:?}"
: "${LOAD_TIME_LIMIT_SECONDS:?}"

log() { printf '[rollout-test] %s\n' "$*" >&2; }
require() {
  command -v "$1" >/dev/null || { log "$1 is not on PATH: $2"; exit 127; }
}
require kubectl "install it from https://kubernetes.io/docs/tasks/tools/"
require perl "install perl: it timestamps the load's output and the pods' events"
if [ "$LOAD_FROM" = host ] && [ -n "$PROFILE" ]; then require minikube "install it from https://minikube.sigs.k8s.io/docs/start/"; fi
if [ "$LOAD_FROM" = cluster ]; then : "${LOAD_NAMESPACE:?}" "${LOAD_JOB_NAME:?}" "${LOAD_JOB:?}"; fi

now() { perl -MTime::HiRes=time -e 'printf "%.3f\n", time'; }
# Prefixes each line with the time it arrived, so that errors and events can be placed around the restart.
stamp() { perl -MTime::HiRes=time -ne 'BEGIN { $| = 1 } printf "%.3f %s", time, $_'; }
kube() { kubectl --context "$KUBE_CONTEXT" --namespace "$NAMESPACE" "$@"; }
kube_load() { kubectl --context "$KUBE_CONTEXT" --namespace "$LOAD_NAMESPACE" "$@"; }
# A measurement that cannot be made is reported, not crashed on: with several cases in a row, the
# next case still gets its turn, and the program fails the update once all are done.
# With the sidecar on the pods, once read: a case whose pods cannot start shows what they carry.
measurement_failed() {
  log "$1"
  printf 'study-status: failed %s\nstudy-load: %s\n' "$1" "$LOAD"
  sidecar_line
  exit 0
}
sidecar_line() { if [ -n "$sidecar" ]; then printf 'study-sidecar: %s\n' "$sidecar"; fi; }

# wait_for_rollout, and the watch of pods for a container that cannot start; what Istio did to the pods.
# shellcheck source=scripts/rollout-wait.sh
. "$(dirname "$0")/rollout-wait.sh"
# shellcheck source=scripts/mesh-pods.sh
. "$(dirname "$0")/mesh-pods.sh"
# The load pod's clock, against which its times are put on this machine's.
# shellcheck source=scripts/load-clock.sh
. "$(dirname "$0")/load-clock.sh"

work=$(mktemp -d)
load_pid="" service_pid="" watch_pid="" watchdog_pid="" load_pod="" load_began="" clock_offset=0 clock_uncertainty="" sidecar=""
cleanup() {
  # minikube service only cleans up its tunnel on SIGINT.
  for pid in "$load_pid" "$service_pid"; do
    if [ -n "$pid" ]; then kill -INT "$pid" 2>/dev/null || true; fi
  done
  end_jobs "$watch_pid" "$watchdog_pid" "$rollout_pid" "$pod_start_pid"
  if [ "$LOAD_FROM" = cluster ]; then kube_load delete job "$LOAD_JOB_NAME" --ignore-not-found --wait=false >&2 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM
watch_launcher

# Sets `url` to where the host reaches the Service: minikube's URL (which tunnels where it must), or
# a node's address and the NodePort on other clusters. Not in a subshell: it keeps service_pid.
find_host_url() {
  url=""
  if [ -z "$PROFILE" ]; then
    local port address
    port=$(kube get service "$SERVICE" -o 'jsonpath={.spec.ports[0].nodePort}')
    address=$(kubectl --context "$KUBE_CONTEXT" get nodes \
      -o 'jsonpath={.items[0].status.addresses[?(@.type=="InternalIP")].address}')
    if [ -z "$port" ] || [ -z "$address" ]; then
      measurement_failed "service/$SERVICE has no NodePort on a node address"
    fi
    url="http://$address:$port/"
    return
  fi
  # On drivers that tunnel (docker on macOS), `minikube service --url` keeps running to hold the tunnel.
  # The file exists before it is read: the background job may open it later.
  : >"$work/url"
  minikube service "$SERVICE" --namespace "$NAMESPACE" --profile "$PROFILE" --url >"$work/url" 2>"$work/service.err" &
  service_pid=$!
  for _ in $(seq 1 60); do
    url=$(grep -m1 '^http' "$work/url" || true)
    [ -n "$url" ] && break
    kill -0 "$service_pid" 2>/dev/null || { url=$(grep -m1 '^http' "$work/url" || true); break; }
    sleep 1
  done
  if [ -z "$url" ]; then
    measurement_failed "minikube service gave no URL for service/$SERVICE: $(tr '\n' ' ' <"$work/service.err")"
  fi
}

# Stops the load on this machine with SIGINT (both loads print their figures then), and ends it if
# it has not exited 10 s later, leaving $work/load.killed: some siege versions print their report
# and then never exit, and siege's threads can deadlock as it ends, before its report.
stop_host_load() {
  kill -INT "$load_pid" 2>/dev/null || true
  local waited=0
  while kill -0 "$load_pid" 2>/dev/null && [ "$waited" -lt 20 ]; do
    sleep 0.5
    waited=$((waited + 1))
  done
  if kill -0 "$load_pid" 2>/dev/null; then
    log "$LOAD did not exit 10s after SIGINT: ended with SIGKILL"
    : >"$work/load.killed"
    kill -KILL "$load_pid" 2>/dev/null || true
  fi
  wait "$load_pid" || true
  load_pid=""
}

# Starts the load Job and waits until its pod's log shows a line matching STARTED (the pod may pull
# its image first: as long as a rollout may take), watching the pod as a rollout's are watched: the
# wait ends as soon as its container cannot start. Sets load_pod.
start_load_job() {
  kube_load delete job "$LOAD_JOB_NAME" --ignore-not-found >&2
  printf '%s' "$LOAD_JOB" | kube_load apply -f - >&2
  local deadline=$((SECONDS + ROLLOUT_TIMEOUT_SECONDS)) failed
  watch_pod_start "$LOAD_NAMESPACE" "job-name=$LOAD_JOB_NAME"
  while [ "$SECONDS" -lt "$deadline" ]; do
    load_pod=$(kube_load get pods --selector "job-name=$LOAD_JOB_NAME" -o 'jsonpath={.items[0].metadata.name}' 2>/dev/null || true)
    # Not grep -q: quitting early would break the pipe, and pipefail would call that a miss.
    if [ -n "$load_pod" ] && kube_load logs "$load_pod" 2>/dev/null | grep -E "$1" >/dev/null; then
      load_began=$(now)
      stop_pod_watch
      log "load Job $LOAD_JOB_NAME runs $LOAD in pod $load_pod"
      return
    fi
    if pod_start_failed; then measurement_failed "the load Job could not start $LOAD: $cannot_start"; fi
    failed=$(kube_load get job "$LOAD_JOB_NAME" -o 'jsonpath={.status.failed}' 2>/dev/null || true)
    if [ -n "$failed" ] && [ "$failed" != 0 ]; then break; fi
    sleep 1
  done
  measurement_failed "the load Job did not start $LOAD within ${ROLLOUT_TIMEOUT_SECONDS}s: $(kube_load logs "job/$LOAD_JOB_NAME" --tail=3 2>&1 | tr '\n' ' ')"
}
case "$LOAD" in
  siege | fortio) ;;
  *) measurement_failed "LOAD=$LOAD: expected siege or fortio" ;;
esac
# shellcheck source=scripts/load-siege.sh
. "$(dirname "$0")/load-$LOAD.sh"

log "waiting for deployment/$DEPLOYMENT in $NAMESPACE to be rolled out"
if ! wait_for_rollout; then
  read_pod_mesh || true
  [ -z "$cannot_start" ] || measurement_failed "deployment/$DEPLOYMENT could not roll out before the test: $cannot_start"
  measurement_failed "deployment/$DEPLOYMENT was not ready within ${ROLLOUT_TIMEOUT_SECONDS}s before the test"
fi
read_pod_mesh || measurement_failed "could not list the pods of deployment/$DEPLOYMENT"
log "pods run sidecar: $sidecar"
# A case of the ambient mesh whose pods are not in it would be measured without ztunnel: a false figure.
if [ "$MESH" = ambient ]; then
  unenrolled=$(ambient_unenrolled)
  [ -z "$unenrolled" ] || measurement_failed "not every pod of deployment/$DEPLOYMENT is in the ambient mesh \
(Istio's CNI node agent marks a pod ambient.istio.io/redirection=enabled once ztunnel has it, pending when ztunnel could not be reached): \
$unenrolled; check that the DaemonSets istio-cni-node and ztunnel are ready on every node (kubectl --context $KUBE_CONTEXT get daemonsets --all-namespaces)"
fi

# Every change to the Deployment's pods, stamped as it arrives: `<time> <event> <pod> <deletionTimestamp>`.
# kubectl itself in the background, not the kube function: $! must be the watch, which cleanup ends.
kubectl --context "$KUBE_CONTEXT" --namespace "$NAMESPACE" get pods --selector "$POD_SELECTOR" --watch --output-watch-events \
  -o 'jsonpath={.type} {.object.metadata.name} {.object.metadata.deletionTimestamp}{"\n"}' \
  2>"$work/watch.err" > >(stamp >"$work/pods.log") &
watch_pid=$!

load_start
# The warm-up counts from when the load was seen to begin (load_began, set by the load's start where
# it waits for that): in the cluster, reading the pod's clock takes seconds of it on a loaded
# machine, which would otherwise lengthen the record before the restart and lower the failure rate.
warmup_left=$(awk -v warmup="$WARMUP_SECONDS" -v began="${load_began:-$(now)}" -v now="$(now)" \
  'BEGIN { left = warmup - (now - began); printf "%.3f", (left > 0 ? left : 0) }')
log "warming up for ${WARMUP_SECONDS}s (${warmup_left}s left)"
sleep "$warmup_left"

# The pods the restart replaces. Each may take the whole grace period to go after its deletion.
old_pods=$(kube get pods --selector "$POD_SELECTOR" -o 'jsonpath={.items[*].metadata.name}') ||
  measurement_failed "could not list the pods of deployment/$DEPLOYMENT"
grace=$(kube get deployment "$DEPLOYMENT" -o 'jsonpath={.spec.template.spec.terminationGracePeriodSeconds}') ||
  measurement_failed "could not read the grace period of deployment/$DEPLOYMENT"
# Waits until the watch has seen every old pod deleted for good, at most the grace period and a
# margin after the rollout, and sets old_pods_gone_seconds (empty if one outlived that).
wait_for_old_pods() {
  local deadline=$((SECONDS + ${grace:-30} + 10)) left="" pod
  old_pods_gone_seconds=""
  while [ "$SECONDS" -le "$deadline" ]; do
    left=""
    for pod in $old_pods; do
      grep -q " DELETED $pod " "$work/pods.log" || left=$pod
    done
    if [ -z "$left" ]; then
      old_pods_gone_seconds=$(awk -v a="$restart_at" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
      return
    fi
    sleep 0.2
  done
  log "pod ${left:-of the old ones} was not gone ${grace:-30}s after the rollout"
}

restart_at=$(now)
kube rollout restart "deployment/$DEPLOYMENT" >&2 || measurement_failed "kubectl rollout restart deployment/$DEPLOYMENT failed"
log "rollout restart issued"
status="ok" old_pods_gone_seconds=""
if wait_for_rollout; then
  rollout_seconds=$(awk -v a="$restart_at" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
  # A rollout is complete once the last old pod is deleted, while its app may still be in its
  # preStop sleep and its sidecar draining: the load goes on until every old pod is gone.
  log "rollout done in ${rollout_seconds}s; keeping the load until the old pods are gone"
  wait_for_old_pods
  [ -z "$old_pods_gone_seconds" ] || log "old pods gone ${old_pods_gone_seconds}s after the restart"
else
  rollout_seconds=""
  status="failed rollout did not finish within ${ROLLOUT_TIMEOUT_SECONDS}s"
  [ -z "$cannot_start" ] || status="failed rollout could not finish: $cannot_start"
  log "$status"
fi
log "keeping the load for ${SETTLE_SECONDS}s"
sleep "$SETTLE_SECONDS"

load_stop
end_jobs "$watch_pid"
watch_pid=""
log "$LOAD stopped"
load_failed=$(load_failure)
if [ -n "$load_failed" ] && [ "$status" = ok ]; then status="failed $load_failed"; fi

pod_lines=$(OLD_PODS="$old_pods" RESTART_AT="$restart_at" bash "$(dirname "$0")/old-pods.sh" <"$work/pods.log")

printf 'study-status: %s\n' "$status"
printf 'study-load: %s\n' "$LOAD"
sidecar_line
printf 'study-restart-at: %s\n' "$restart_at"
[ -n "$clock_uncertainty" ] && printf 'study-clock-uncertainty-seconds: %s\n' "$clock_uncertainty"
[ -n "$rollout_seconds" ] && printf 'study-rollout-seconds: %s\n' "$rollout_seconds"
[ -n "$old_pods_gone_seconds" ] && printf 'study-old-pods-gone-seconds: %s\n' "$old_pods_gone_seconds"
[ -n "$pod_lines" ] && printf '%s\n' "$pod_lines"
load_summary
