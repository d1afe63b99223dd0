#!/usr/bin/env bash
# The measurement: siege loads the demo site while `kubectl rollout restart` replaces every pod.
# Progress goes to stderr as it happens; stdout carries only the result, in the format that
# lib/rolloutOutput.ts reads:
#   study-status: ok | failed <reason>                (failed: exit 0 still, so that later cases run)
#   study-sidecar: none | classic | native | mixed     (what the pods run, before the restart)
#   study-rollout-seconds: <s>                        (restart issued to rollout complete)
#   study-errors: <count> <siege error line>          (one line per distinct error, ANSI stripped)
#   study-error-bins: <bin start s> <count> ...       (errors per 0.5 s, relative to the restart)
#   study-pod: <name> terminating=<s> gone=<s>        (old pods, relative to the restart)
#   siege's final report, text or JSON, as siege printed it
# Written for bash 3.2 too (macOS): no associative arrays, no mapfile, no EPOCHREALTIME.
# Env: KUBE_CONTEXT, NAMESPACE, DEPLOYMENT, SERVICE, POD_SELECTOR, PROFILE, SIEGERC, CONCURRENCY,
#      WARMUP_SECONDS, SETTLE_SECONDS, ROLLOUT_TIMEOUT_SECONDS.
set -euo pipefail

: "${KUBE_CONTEXT:?}" "${NAMESPACE:?}" "${DEPLOYMENT:?}" "${SERVICE:?}" "${POD_SELECTOR:?}" "${PROFILE:?}"
: "${SIEGERC:?}" "${CONCURRENCY:?}" "${WARMUP_SECONDS:?}" "${SETTLE_SECONDS:?}" "${ROLLOUT_TIMEOUT_SECONDS:?}"

log() { printf '[rollout-test] %s\n' "$*" >&2; }
require() {
  command -v "$1" >/dev/null || { log "$1 is not on PATH: $2"; exit 127; }
}
require siege "install it (apt-get install siege, brew install siege)"
require kubectl "install it from https://kubernetes.io/docs/tasks/tools/"
require minikube "install it from https://minikube.sigs.k8s.io/docs/start/"
require perl "install perl: it timestamps siege's errors"

now() { perl -MTime::HiRes=time -e 'printf "%.3f\n", time'; }
# Prefixes each line with the time it arrived, so that errors can be placed around the restart.
stamp() { perl -MTime::HiRes=time -ne 'BEGIN { $| = 1 } printf "%.3f %s", time, $_'; }
kube() { kubectl --context "$KUBE_CONTEXT" --namespace "$NAMESPACE" "$@"; }
# A measurement that cannot be made is reported, not crashed on: with several cases in a row, the
# next case still gets its turn, and the program fails the update once all are done.
measurement_failed() {
  log "$1"
  printf 'study-status: failed %s\n' "$1"
  exit 0
}

work=$(mktemp -d)
siege_pid="" service_pid="" watch_pid=""
cleanup() {
  # minikube service only cleans up its tunnel on SIGINT.
  for pid in "$siege_pid" "$service_pid"; do
    if [ -n "$pid" ]; then kill -INT "$pid" 2>/dev/null || true; fi
  done
  if [ -n "$watch_pid" ]; then kill "$watch_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

log "waiting for deployment/$DEPLOYMENT in $NAMESPACE to be rolled out"
kube rollout status "deployment/$DEPLOYMENT" --timeout="${ROLLOUT_TIMEOUT_SECONDS}s" >&2 ||
  measurement_failed "deployment/$DEPLOYMENT was not ready within ${ROLLOUT_TIMEOUT_SECONDS}s before the test"

# A native sidecar is an init container that restarts always; a classic one is a plain container.
sidecar=$(kube get pods --selector "$POD_SELECTOR" -o \
  'jsonpath={range .items[*]}{.spec.containers[*].name}{" | "}{.spec.initContainers[?(@.restartPolicy=="Always")].name}{"\n"}{end}' |
  awk '{ mode = "none"; native = 0
         for (i = 1; i <= NF; i++) { if ($i == "|") native = 1; else if ($i == "istio-proxy") mode = native ? "native" : "classic" }
         modes[mode] = 1 }
       END { n = 0; for (m in modes) { n++; found = m }; print (n == 1 ? found : (n == 0 ? "none" : "mixed")) }')
log "pods run sidecar: $sidecar"

# On drivers that tunnel (docker on macOS), `minikube service --url` keeps running to hold the tunnel.
minikube service "$SERVICE" --namespace "$NAMESPACE" --profile "$PROFILE" --url >"$work/url" 2>"$work/service.err" &
service_pid=$!
url=""
for _ in $(seq 1 60); do
  url=$(grep -m1 '^http' "$work/url" || true)
  [ -n "$url" ] && break
  kill -0 "$service_pid" 2>/dev/null || { url=$(grep -m1 '^http' "$work/url" || true); break; }
  sleep 1
done
if [ -z "$url" ]; then
  measurement_failed "minikube service gave no URL for service/$SERVICE: $(tr '\n' ' ' <"$work/service.err")"
fi
log "load target: $url"

mkfifo "$work/out.fifo" "$work/err.fifo"
stamp <"$work/out.fifo" >"$work/siege.out" &
stamp_out_pid=$!
stamp <"$work/err.fifo" >"$work/siege.err" &
stamp_err_pid=$!
# A time limit of its own keeps siege bounded even if this script is killed before it stops siege.
siege_limit=$((WARMUP_SECONDS + ROLLOUT_TIMEOUT_SECONDS + SETTLE_SECONDS + 60))
siege_args=(--rc="$SIEGERC" --concurrent="$CONCURRENCY" --time="${siege_limit}S" "$url")
# siege prints each transaction to stdout; line buffering (where stdbuf exists) stamps a failed
# response when it happens rather than when a block of output is flushed.
if command -v stdbuf >/dev/null; then
  stdbuf -oL siege "${siege_args[@]}" >"$work/out.fifo" 2>"$work/err.fifo" &
else
  siege "${siege_args[@]}" >"$work/out.fifo" 2>"$work/err.fifo" &
fi
siege_pid=$!
log "siege started with $CONCURRENCY concurrent users; warming up for ${WARMUP_SECONDS}s"
sleep "$WARMUP_SECONDS"

# Old pods are watched by name: when each is first seen terminating, and when it is gone.
(
  while :; do
    pods=$(kube get pods --selector "$POD_SELECTOR" -o \
      'jsonpath={range .items[*]}{.metadata.name}{"="}{.metadata.deletionTimestamp}{" "}{end}' 2>/dev/null || true)
    printf '%s %s\n' "$(now)" "$pods"
    sleep 0.5
  done
) >"$work/pods.log" &
watch_pid=$!

restart_at=$(now)
kube rollout restart "deployment/$DEPLOYMENT" >&2
log "rollout restart issued"
status="ok"
if kube rollout status "deployment/$DEPLOYMENT" --timeout="${ROLLOUT_TIMEOUT_SECONDS}s" >&2; then
  rollout_seconds=$(awk -v a="$restart_at" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
  log "rollout done in ${rollout_seconds}s; keeping the load for ${SETTLE_SECONDS}s"
else
  rollout_seconds=""
  status="failed rollout did not finish within ${ROLLOUT_TIMEOUT_SECONDS}s"
  log "$status"
fi
sleep "$SETTLE_SECONDS"

kill -INT "$siege_pid" 2>/dev/null || true
wait "$siege_pid" || true
siege_pid=""
wait "$stamp_out_pid" "$stamp_err_pid" || true
kill "$watch_pid" 2>/dev/null || true
watch_pid=""
log "siege stopped"

printf 'study-status: %s\n' "$status"
printf 'study-sidecar: %s\n' "$sidecar"
[ -n "$rollout_seconds" ] && printf 'study-rollout-seconds: %s\n' "$rollout_seconds"

# Each line of siege is one of: a transaction (verbose; only the failed ones, 408 and 5xx, are kept),
# an error (coloured, possibly glued to the end of a banner line), or the report and its banner.
cat "$work/siege.err" "$work/siege.out" | sed -e 's/\x1b\[[0-9;]*m//g' |
  awk '{ t = $1; line = substr($0, length($1) + 2)
         if (line ~ /^HTTP\/[0-9.]+ +[0-9]+ /) { split(line, f, / +/)
           if (f[2] == 408 || f[2] ~ /^5/) print "error " t " HTTP " f[2]; next }
         at = match(line, /\[(error|alert|fatal)\]/)
         if (at == 0) { print "text " line; next }
         if (at > 1) print "text " substr(line, 1, at - 1)
         print "error " t " " substr(line, at) }' >"$work/siege.lines"

grep '^error ' "$work/siege.lines" | cut -d' ' -f3- | sort | uniq -c | sort -rn |
  awk '{ count = $1; sub(/^ *[0-9]+ /, ""); print "study-errors: " count " " $0 }' || true
grep '^error ' "$work/siege.lines" |
  awk -v r="$restart_at" '{ d = ($2 - r) * 2; b = int(d); if (b > d) b--; n[b / 2]++ }
       END { for (b in n) printf "%s %d\n", b, n[b] }' | sort -n |
  awk '{ line = line " " $1 " " $2 } END { if (line != "") print "study-error-bins:" line }' || true
awk -v r="$restart_at" '
  { t = $1; delete present
    for (i = 2; i <= NF; i++) { split($i, kv, "="); present[kv[1]] = 1
      if (kv[2] != "" && !(kv[1] in terminating)) { terminating[kv[1]] = t; order[++n] = kv[1] } }
    for (p in terminating) if (!(p in present) && !(p in gone)) gone[p] = t }
  END { for (i = 1; i <= n; i++) { p = order[i]
          printf "study-pod: %s terminating=%.1f gone=%s\n", p, terminating[p] - r, (p in gone) ? sprintf("%.1f", gone[p] - r) : "never" } }' \
  "$work/pods.log"

grep '^text ' "$work/siege.lines" | cut -c6- || true
