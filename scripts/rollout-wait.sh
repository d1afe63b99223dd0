# The bounded wait for a Deployment's rollout, and the watch of pods for a container that cannot
# start, sourced by scripts/rollout-test.sh (its own waits, and the load Job's start) and by
# scripts/wait-for-rollouts.sh (every case's Deployment before the first test): one wait, the same
# in both. The sourcing script gives `log`, its own folder $work, and a cleanup that ends (end_jobs)
# the processes left in rollout_pid and pod_start_pid when it exits early.
#   end_jobs PID...              ends background jobs
#   watch_pod_start NS SELECTOR  starts the watch of those pods in the background
#   pod_start_failed             whether the watch found a container that cannot start (cannot_start: why)
#   stop_pod_watch               ends the watch
#   wait_for_rollout             waits for deployment/$DEPLOYMENT, watching its pods
# Env: KUBE_CONTEXT; wait_for_rollout: NAMESPACE, DEPLOYMENT, POD_SELECTOR, ROLLOUT_TIMEOUT_SECONDS;
# tests: POD_START_BOUND_SECONDS (watch-pod-start.ts).
# shellcheck shell=bash
# shellcheck disable=SC2154 # work is the sourcing script's

rollout_pid="" pod_start_pid="" cannot_start=""

# Ends the background jobs of these pids (an empty one skipped) with SIGHUP, which the scripts do not
# trap, not SIGTERM, which they do: a TERM sent from a script's EXIT trap to a job it has just started
# can be lost while the job is still between its fork and its exec, with the script's own TERM trap
# in place (the pods' watch was left running so after rollout-test.sh's cleanup; a copy reduced to
# that lost it 25 times in 200, and never without the TERM trap, nor with HUP). Each is waited for,
# quietly: bash would otherwise report on stderr a job that a HUP ended. Started under nohup, the
# script and so its jobs ignore HUP, which no trap can undo (bash: a signal ignored on entry stays
# ignored): the jobs get TERM then, and KILL if one lost it so, 5 s later, rather than a wait forever.
if [ "$(trap -p HUP)" = "trap -- '' SIGHUP" ]; then end_signal=TERM; else end_signal=HUP; fi
end_jobs() {
  local pid
  for pid in "$@"; do
    if [ -n "$pid" ]; then
      kill "-$end_signal" "$pid" 2>/dev/null || true
      if [ "$end_signal" = TERM ]; then kill_unless_ended "$pid"; fi
      wait "$pid" 2>/dev/null || true
    fi
  done
}
# A job that has ended but is not waited for yet is a zombie, which kill -0 still finds.
kill_unless_ended() {
  for _ in $(seq 1 50); do
    case "$(ps -o stat= -p "$1" 2>/dev/null)" in "" | Z*) return ;; esac
    sleep 0.1
  done
  kill -KILL "$1" 2>/dev/null || true
}

# scripts/watch-pod-start.ts, one ts-node process polling kubectl: it ends as soon as a container of
# the pods of namespace $1 that selector $2 matches cannot start (an image that cannot be pulled, a
# crash loop: lib/podStart.ts, its bound independent of any wait's timeout), printing why.
watch_pod_start() {
  : >"$work/cannot-start"
  NAMESPACE="$1" POD_SELECTOR="$2" "$(dirname "$0")/../node_modules/.bin/ts-node" --transpile-only "$(dirname "$0")/watch-pod-start.ts" \
    >"$work/cannot-start" 2>>"$work/pod-start.err" &
  pod_start_pid=$!
}

# True once the watch has ended on a container that cannot start, with cannot_start set to why. A
# watch that ended otherwise (ts-node missing, say) is logged and forgotten: the caller's own wait
# decides then.
pod_start_failed() {
  if [ -z "$pod_start_pid" ] || kill -0 "$pod_start_pid" 2>/dev/null; then return 1; fi
  pod_start_pid=""
  cannot_start=$(cat "$work/cannot-start")
  [ -z "$cannot_start" ] || return 0
  log "the watch of the pods' containers ended, the wait goes on: $(tr '\n' ' ' <"$work/pod-start.err")"
  return 1
}

stop_pod_watch() {
  end_jobs "$pod_start_pid"
  pod_start_pid=""
}

# Waits for the Deployment's rollout, at most ROLLOUT_TIMEOUT_SECONDS, while the watch looks at its
# pods: the wait ends as soon as a container of theirs cannot start, which the rollout's own wait
# would sit out. Fails if the rollout did not finish, setting cannot_start to why when a container
# could not. kubectl itself in the background: cleanup ends it.
wait_for_rollout() {
  local status=0
  cannot_start=""
  kubectl --context "$KUBE_CONTEXT" --namespace "$NAMESPACE" rollout status "deployment/$DEPLOYMENT" --timeout="${ROLLOUT_TIMEOUT_SECONDS}s" >&2 &
  rollout_pid=$!
  watch_pod_start "$NAMESPACE" "$POD_SELECTOR"
  while kill -0 "$rollout_pid" 2>/dev/null; do
    if pod_start_failed; then
      end_jobs "$rollout_pid"
      rollout_pid=""
      return 1
    fi
    sleep 0.5
  done
  wait "$rollout_pid" || status=$?
  rollout_pid=""
  # The watch may have found a container that cannot start just as the rollout's wait gave up.
  if [ "$status" != 0 ]; then cannot_start=$(cat "$work/cannot-start"); fi
  stop_pod_watch
  return "$status"
}
