#!/usr/bin/env bash
# The measurement: siege loads the demo site while `kubectl rollout restart` replaces every pod.
# Progress goes to stderr as it happens; stdout carries only the result, in the format that
# lib/rolloutOutput.ts reads:
#   study-status: ok | failed <reason>                (failed: exit 0 still, so that later cases run)
#   study-sidecar: none | classic | native | mixed     (what the pods run, before the restart)
#   study-restart-at: <s since the epoch>             (when the restart was issued, this machine's clock)
#   study-rollout-seconds: <s>                        (restart issued to rollout complete)
#   study-old-pods-gone-seconds: <s>                  (restart issued to the last old pod gone)
#   study-errors: <count> <siege line>                (one line per distinct line that ends a failed request, ANSI stripped; a failed response as "HTTP <code>")
#   study-error-bins: <bin start s> <count> ...       (those failed requests per 0.5 s, relative to the restart)
#   study-failures: closedWithoutResponse <count>     (siege's failed count less those lines: failed requests siege printed no line for; untimed)
#   study-failures: linesOverCount <count>            (those lines less siege's failed count: lines for requests siege counted as successful)
#   study-pod: <name> terminating=<s> gone=<s>        (old pods, relative to the restart)
#   siege's final report, text or JSON, as siege printed it
# siege runs on this machine (LOAD_FROM=host) or in a Job outside the mesh (LOAD_FROM=cluster).
# Written for bash 3.2 too (macOS): no associative arrays, no mapfile, no EPOCHREALTIME.
# Env: KUBE_CONTEXT, NAMESPACE, DEPLOYMENT, SERVICE, POD_SELECTOR, PROFILE (empty: not minikube),
#      CONCURRENCY, WARMUP_SECONDS, SETTLE_SECONDS, ROLLOUT_TIMEOUT_SECONDS, SIEGE_TIME_LIMIT_SECONDS, LOAD_FROM;
#      host: SIEGERC_CONTENT (siege's settings); cluster: LOAD_NAMESPACE, LOAD_JOB_NAME, LOAD_JOB (the
#      Job, JSON, siege's settings in it), LOAD_STOP_FILE.
set -euo pipefail

# Runs in a process group of its own, ended with everything in it when the provider gives up on
# the test (scripts/process-group.sh); cleanup (siege, the Service's tunnel, the load Job) then runs
# as on any other exit.
# shellcheck source=scripts/process-group.sh
. "$(dirname "$0")/process-group.sh"
run_in_own_process_group "$@"

: "${KUBE_CONTEXT:?}" "${NAMESPACE:?}" "${DEPLOYMENT:?}" "${SERVICE:?}" "${POD_SELECTOR:?}" "${PROFILE?}"
: "${CONCURRENCY:?}" "${WARMUP_SECONDS:?}" "${SETTLE_SECONDS:?}" "${ROLLOUT_TIMEOUT_SECONDS:?}" "${LOAD_FROM:?}"
: "${SIEGE_TIME_LIMIT_SECONDS:?}"

log() { printf '[rollout-test] %s\n' "$*" >&2; }
require() {
  command -v "$1" >/dev/null || { log "$1 is not on PATH: $2"; exit 127; }
}
require kubectl "install it from https://kubernetes.io/docs/tasks/tools/"
require perl "install perl: it timestamps siege's errors"
if [ "$LOAD_FROM" = host ]; then
  : "${SIEGERC_CONTENT:?}"
  require siege "install it (apt-get install siege, brew install siege)"
  if [ -n "$PROFILE" ]; then require minikube "install it from https://minikube.sigs.k8s.io/docs/start/"; fi
else
  : "${LOAD_NAMESPACE:?}" "${LOAD_JOB_NAME:?}" "${LOAD_JOB:?}" "${LOAD_STOP_FILE:?}"
fi

now() { perl -MTime::HiRes=time -e 'printf "%.3f\n", time'; }
# Prefixes each line with the time it arrived, so that errors can be placed around the restart.
stamp() { perl -MTime::HiRes=time -ne 'BEGIN { $| = 1 } printf "%.3f %s", time, $_'; }
# `kubectl logs --timestamps` gives each line its time in the pod; the same form as stamp's, moved
# onto this machine's clock by CLOCK_OFFSET (the node's clock minus this one's).
from_log_timestamps() {
  CLOCK_OFFSET="$clock_offset" perl -MTime::Local=timegm -ne 'if (/^(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)(\.\d+)?Z (.*)$/) {
    printf "%.3f %s\n", timegm($6, $5, $4, $3, $2 - 1, $1) + ($7 || 0) - $ENV{CLOCK_OFFSET}, $8 }'
}
kube() { kubectl --context "$KUBE_CONTEXT" --namespace "$NAMESPACE" "$@"; }
kube_load() { kubectl --context "$KUBE_CONTEXT" --namespace "$LOAD_NAMESPACE" "$@"; }
# A measurement that cannot be made is reported, not crashed on: with several cases in a row, the
# next case still gets its turn, and the program fails the update once all are done.
measurement_failed() {
  log "$1"
  printf 'study-status: failed %s\n' "$1"
  exit 0
}

work=$(mktemp -d)
siege_pid="" service_pid="" watch_pid="" watchdog_pid="" load_pod="" clock_offset=0
cleanup() {
  # minikube service only cleans up its tunnel on SIGINT.
  for pid in "$siege_pid" "$service_pid"; do
    if [ -n "$pid" ]; then kill -INT "$pid" 2>/dev/null || true; fi
  done
  for pid in "$watch_pid" "$watchdog_pid"; do
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  done
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

# Both modes leave siege's output, each line stamped with its time, in siege.err and siege.out.
start_load_on_host() {
  find_host_url
  log "load target: $url"
  mkfifo "$work/out.fifo" "$work/err.fifo"
  stamp <"$work/out.fifo" >"$work/siege.out" &
  stamp_out_pid=$!
  stamp <"$work/err.fifo" >"$work/siege.err" &
  stamp_err_pid=$!
  # A time limit of its own keeps siege bounded even if this script is killed before it stops siege.
  printf '%s\n' "$SIEGERC_CONTENT" >"$work/siegerc"
  local siege_args=(--rc="$work/siegerc" --concurrent="$CONCURRENCY" --time="${SIEGE_TIME_LIMIT_SECONDS}S" "$url")
  # siege prints each transaction to stdout; line buffering stamps a failed response when it
  # happens rather than when a block of output is flushed. macOS has stdbuf as Homebrew's gstdbuf.
  local line_buffer
  line_buffer=$(command -v stdbuf || command -v gstdbuf || true)
  if [ -n "$line_buffer" ]; then
    "$line_buffer" -oL siege "${siege_args[@]}" >"$work/out.fifo" 2>"$work/err.fifo" &
  else
    log "neither stdbuf nor gstdbuf found: failed responses are timed when siege flushes its output"
    siege "${siege_args[@]}" >"$work/out.fifo" 2>"$work/err.fifo" &
  fi
  siege_pid=$!
}
stop_load_on_host() {
  kill -INT "$siege_pid" 2>/dev/null || true
  # Under keep-alive some siege versions print their report and then never exit: once it has had
  # time to, siege is ended, and the report it printed stands.
  local waited=0
  while kill -0 "$siege_pid" 2>/dev/null && [ "$waited" -lt 20 ]; do
    sleep 0.5
    waited=$((waited + 1))
  done
  if kill -0 "$siege_pid" 2>/dev/null; then
    log "siege did not exit 10s after SIGINT: ended with SIGKILL"
    kill -KILL "$siege_pid" 2>/dev/null || true
  fi
  wait "$siege_pid" || true
  siege_pid=""
  wait "$stamp_out_pid" "$stamp_err_pid" || true
}

start_load_in_cluster() {
  kube_load delete job "$LOAD_JOB_NAME" --ignore-not-found >&2
  printf '%s' "$LOAD_JOB" | kube_load apply -f - >&2
  # The pod may pull its image and install siege first: as long as a rollout may take.
  local deadline=$((SECONDS + ROLLOUT_TIMEOUT_SECONDS)) failed
  while [ "$SECONDS" -lt "$deadline" ]; do
    load_pod=$(kube_load get pods --selector "job-name=$LOAD_JOB_NAME" -o 'jsonpath={.items[0].metadata.name}' 2>/dev/null || true)
    # Not grep -q: quitting early would break the pipe, and pipefail would call that a miss.
    if [ -n "$load_pod" ] && kube_load logs "$load_pod" 2>/dev/null | grep '^study-load-started' >/dev/null; then
      log "load Job $LOAD_JOB_NAME runs siege in pod $load_pod"
      measure_clock_offset
      return
    fi
    failed=$(kube_load get job "$LOAD_JOB_NAME" -o 'jsonpath={.status.failed}' 2>/dev/null || true)
    if [ -n "$failed" ] && [ "$failed" != 0 ]; then break; fi
    sleep 1
  done
  measurement_failed "the load Job did not start siege within ${ROLLOUT_TIMEOUT_SECONDS}s: $(kube_load logs "job/$LOAD_JOB_NAME" --tail=3 2>&1 | tr '\n' ' ')"
}
# Errors are timed by the node's clock, the restart by this machine's: the difference, seen through
# one exec (half its round trip is the uncertainty), puts both on one clock. 0 when it cannot be read.
measure_clock_offset() {
  local before pod_now after
  before=$(now)
  pod_now=$(kube_load exec "$load_pod" -- date +%s.%N 2>/dev/null || true)
  after=$(now)
  clock_offset=$(awk -v b="$before" -v a="$after" -v p="$pod_now" \
    'BEGIN { if (p ~ /^[0-9]+\.[0-9]+$/) printf "%.3f", p - (a + b) / 2; else print 0 }')
  log "the load pod's clock is ${clock_offset}s ahead of this machine's"
}
stop_load_in_cluster() {
  # A pod that is already gone (evicted, out of memory) has still left its log.
  kube_load exec "$load_pod" -- touch "$LOAD_STOP_FILE" >&2 || log "could not reach the load pod to stop siege"
  kube_load wait --for=condition=complete "job/$LOAD_JOB_NAME" --timeout=120s >&2 || log "the load Job did not complete"
  kube_load logs "$load_pod" --timestamps | from_log_timestamps | grep -v ' study-load-started$' >"$work/siege.err" || true
  : >"$work/siege.out"
}

log "waiting for deployment/$DEPLOYMENT in $NAMESPACE to be rolled out"
kube rollout status "deployment/$DEPLOYMENT" --timeout="${ROLLOUT_TIMEOUT_SECONDS}s" >&2 ||
  measurement_failed "deployment/$DEPLOYMENT was not ready within ${ROLLOUT_TIMEOUT_SECONDS}s before the test"

# A native sidecar is an init container that restarts always; a classic one is a plain container.
sidecar=$(kube get pods --selector "$POD_SELECTOR" -o \
  'jsonpath={range .items[*]}{.spec.containers[*].name}{" | "}{.spec.initContainers[?(@.restartPolicy=="Always")].name}{"\n"}{end}' |
  awk '{ mode = "none"; native = 0
         for (i = 1; i <= NF; i++) { if ($i == "|") native = 1; else if ($i == "istio-proxy") mode = native ? "native" : "classic" }
         modes[mode] = 1 }
       END { n = 0; for (m in modes) { n++; found = m }; print (n == 1 ? found : (n == 0 ? "none" : "mixed")) }') ||
  measurement_failed "could not list the pods of deployment/$DEPLOYMENT"
log "pods run sidecar: $sidecar"

if [ "$LOAD_FROM" = host ]; then start_load_on_host; else start_load_in_cluster; fi
log "siege started with $CONCURRENCY concurrent users; warming up for ${WARMUP_SECONDS}s"
sleep "$WARMUP_SECONDS"

# The Deployment's pods as `name=deletionTimestamp` words (the timestamp empty until deleted).
pods_now() {
  kube get pods --selector "$POD_SELECTOR" -o \
    'jsonpath={range .items[*]}{.metadata.name}{"="}{.metadata.deletionTimestamp}{" "}{end}'
}
# Old pods are watched by name: when each is first seen terminating, and when it is gone.
(
  while :; do
    printf '%s %s\n' "$(now)" "$(pods_now 2>/dev/null || true)"
    sleep 0.5
  done
) >"$work/pods.log" &
watch_pid=$!

# The pods the restart replaces. Each may take the whole grace period to go after its deletion.
old_pods=$(pods_now | tr ' ' '\n' | sed -n 's/=.*//p' | tr '\n' ' ') ||
  measurement_failed "could not list the pods of deployment/$DEPLOYMENT"
grace=$(kube get deployment "$DEPLOYMENT" -o 'jsonpath={.spec.template.spec.terminationGracePeriodSeconds}') ||
  measurement_failed "could not read the grace period of deployment/$DEPLOYMENT"
# Waits until none of the old pods is left, at most the grace period and a margin, and sets
# old_pods_gone_seconds (empty if one outlived that).
wait_for_old_pods() {
  local deadline=$((SECONDS + ${grace:-30} + 10)) current left="" pod
  old_pods_gone_seconds=""
  while [ "$SECONDS" -le "$deadline" ]; do
    # A listing that fails proves nothing: the next one decides.
    if current=" $(pods_now) "; then
      left=""
      for pod in $old_pods; do
        case "$current" in *" $pod="*) left=$pod ;; esac
      done
      if [ -z "$left" ]; then
        old_pods_gone_seconds=$(awk -v a="$restart_at" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
        return
      fi
    fi
    sleep 0.5
  done
  log "pod ${left:-of the old ones} was not gone ${grace:-30}s after the rollout"
}

restart_at=$(now)
kube rollout restart "deployment/$DEPLOYMENT" >&2 || measurement_failed "kubectl rollout restart deployment/$DEPLOYMENT failed"
log "rollout restart issued"
status="ok" old_pods_gone_seconds=""
if kube rollout status "deployment/$DEPLOYMENT" --timeout="${ROLLOUT_TIMEOUT_SECONDS}s" >&2; then
  rollout_seconds=$(awk -v a="$restart_at" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
  # A rollout is complete once the last old pod is deleted, while its app may still be in its
  # preStop sleep and its sidecar draining: the load goes on until every old pod is gone.
  log "rollout done in ${rollout_seconds}s; keeping the load until the old pods are gone"
  wait_for_old_pods
  [ -z "$old_pods_gone_seconds" ] || log "old pods gone ${old_pods_gone_seconds}s after the restart"
else
  rollout_seconds=""
  status="failed rollout did not finish within ${ROLLOUT_TIMEOUT_SECONDS}s"
  log "$status"
fi
log "keeping the load for ${SETTLE_SECONDS}s"
sleep "$SETTLE_SECONDS"

if [ "$LOAD_FROM" = host ]; then stop_load_on_host; else stop_load_in_cluster; fi
kill "$watch_pid" 2>/dev/null || true
watch_pid=""
log "siege stopped"
# Under keep-alive siege leaks a descriptor per refused connection and, out of them, aborts with no
# report: the measurement says why rather than only that the report is missing.
if grep -q 'descriptor table full' "$work/siege.err"; then
  status="failed siege ran out of file descriptors: under connection=keep-alive it leaks one per refused connection"
fi

printf 'study-status: %s\n' "$status"
printf 'study-sidecar: %s\n' "$sidecar"
printf 'study-restart-at: %s\n' "$restart_at"
[ -n "$rollout_seconds" ] && printf 'study-rollout-seconds: %s\n' "$rollout_seconds"
[ -n "$old_pods_gone_seconds" ] && printf 'study-old-pods-gone-seconds: %s\n' "$old_pods_gone_seconds"

cat "$work/siege.err" "$work/siege.out" | RESTART_AT="$restart_at" PODS_LOG="$work/pods.log" \
  bash "$(dirname "$0")/summarize-siege.sh"
