# siege as the rollout test's load (LOAD=siege), sourced by scripts/rollout-test.sh, whose helpers
# (log, kube_load, stamp, measurement_failed, find_host_url, start_load_job, stop_host_load,
# from_log_timestamps) and $work it uses.
#   load_start    starts siege on this machine (LOAD_FROM=host) or in the load Job (cluster)
#   load_stop     stops it and leaves its output, each line stamped with its time, in $work
#   load_failure  prints why the load failed, if it did
#   load_summary  prints the study-* lines of siege's errors and siege's report (summarize-siege.sh)
# siege is a closed loop: each user sends its next request when the last one ends.
# Env: CONCURRENCY, LOAD_TIME_LIMIT_SECONDS; host: SIEGERC_CONTENT (siege's settings); cluster:
# LOAD_JOB (the Job, JSON, siege's settings in it), LOAD_STOP_FILE.
# shellcheck shell=bash
# shellcheck disable=SC2154,SC2034 # work, url, load_pod, restart_at are scripts/rollout-test.sh's; it reads load_pid

load_pids=""

load_start() {
  if [ "$LOAD_FROM" = cluster ]; then
    start_load_job '^study-load-started'
    measure_clock_offset date +%s.%N
    return
  fi
  require siege "install it (apt-get install siege, brew install siege)"
  find_host_url
  log "load target: $url"
  mkfifo "$work/out.fifo" "$work/err.fifo"
  stamp <"$work/out.fifo" >"$work/siege.out" &
  load_pids="$!"
  stamp <"$work/err.fifo" >"$work/siege.err" &
  load_pids="$load_pids $!"
  # A time limit of its own keeps siege bounded even if this script is killed before it stops siege.
  printf '%s\n' "$SIEGERC_CONTENT" >"$work/siegerc"
  local siege_args=(--rc="$work/siegerc" --concurrent="$CONCURRENCY" --time="${LOAD_TIME_LIMIT_SECONDS}S" "$url")
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
  load_pid=$!
  log "siege started with $CONCURRENCY concurrent users"
}

load_stop() {
  if [ "$LOAD_FROM" = cluster ]; then
    # A pod that is already gone (evicted, out of memory) has still left its log.
    kube_load exec "$load_pod" -- touch "$LOAD_STOP_FILE" >&2 || log "could not reach the load pod to stop siege"
    kube_load wait --for=condition=complete "job/$LOAD_JOB_NAME" --timeout=120s >&2 || log "the load Job did not complete"
    kube_load logs "$load_pod" --timestamps | from_log_timestamps | grep -v ' study-load-started$' >"$work/siege.err" || true
    : >"$work/siege.out"
    return
  fi
  # Under keep-alive some siege versions print their report and then never exit: the report it
  # printed stands.
  stop_host_load
  # shellcheck disable=SC2086 # two pids
  wait $load_pids || true
}

load_failure() {
  # Under keep-alive siege leaks a descriptor per refused connection and, out of them, aborts with no
  # report: the measurement says why rather than only that the report is missing.
  if grep -q 'descriptor table full' "$work/siege.err"; then
    echo "siege ran out of file descriptors: under connection=keep-alive it leaks one per refused connection"
  elif [ -e "$work/load.killed" ] && ! grep -Eq '^[0-9.]+ Transactions:' "$work/siege.err" "$work/siege.out"; then
    echo "siege hung as it ended, before its report, and was killed (its threads can deadlock then: JoeDog/siege#66); measure again"
  fi
}

load_summary() {
  cat "$work/siege.err" "$work/siege.out" | RESTART_AT="$restart_at" bash "$(dirname "$0")/summarize-siege.sh"
}
