# fortio as the rollout test's load (LOAD=fortio), sourced by scripts/rollout-test.sh, whose helpers
# (log, require, now, kube_load, find_host_url, start_load_job, stop_host_load) and $work it uses.
#   load_start    starts fortio on this machine (LOAD_FROM=host) or in the load Job (cluster)
#   load_stop     stops it, leaving its access log (a line per request) and its log in $work
#   load_failure  prints why the load failed, if it did
#   load_summary  prints fortio's study-* lines (scripts/summarize-fortio.ts)
# fortio sends QPS requests a second, whatever the answers, spread evenly over FORTIO_CONNECTIONS
# connections (components/rolloutTest.ts sizes them); a request that cannot start on time is
# skipped (-nocatchup), so a generator that falls behind shows as fewer requests sent than asked. In the cluster, the Job's pod writes both
# logs to its output, which is read when the load stops (its image may have no shell to stop it
# with); its times are the node's clock, put on this machine's by the offset measured at start.
# Env: QPS, FORTIO_CONNECTIONS, KEEPALIVE (true|false), REQUEST_TIMEOUT_SECONDS, LOAD_TIME_LIMIT_SECONDS;
# cluster: LOAD_JOB (the Job, JSON, fortio's arguments in it).
# shellcheck shell=bash
# shellcheck disable=SC2154,SC2034 # work, url, load_pod, restart_at, pod_lines, clock_offset are scripts/rollout-test.sh's; it reads load_pid and load_began

fortio_version=1.75.3
stop_at=""
# fortio first sends one request on each of its connections, all at once, and records none of them
# (its warm-up, logged after "Starting http test"); its measured run begins only after the last, with
# "Starting at <qps> qps" (v1.75.3: fhttp/httprunner.go RunHTTPTest, then periodic/periodic.go Run).
# A restart during the warm-up would go unmeasured, so the lab's warm-up starts from this line.
run_started='^Starting at [0-9.e+]+ qps'

load_start() {
  : "${QPS:?}" "${FORTIO_CONNECTIONS:?}" "${KEEPALIVE:?}" "${REQUEST_TIMEOUT_SECONDS:?}"
  if [ "$LOAD_FROM" = cluster ]; then
    # Or its first record, which only the measured run writes (a rotated log may have lost the line).
    start_load_job "$run_started"'|^\{"latency"'
    # The image has fortio alone, no date: fortio logs its start with the pod's time before it
    # looks at its command, so an unknown one reads the clock and does nothing else.
    measure_clock_offset /usr/bin/fortio clock
    return
  fi
  require fortio "install fortio $fortio_version: go install fortio.org/fortio@v$fortio_version"
  local found
  found=$(fortio version 2>/dev/null || true)
  if [ "$found" != "$fortio_version" ]; then
    measurement_failed "fortio on PATH is version ${found:-unknown}; the lab reads the logs of fortio $fortio_version: go install fortio.org/fortio@v$fortio_version"
  fi
  find_host_url
  log "load target: $url"
  # A time limit of its own keeps fortio bounded even if this script is killed before it stops it.
  fortio load -qps "$QPS" -c "$FORTIO_CONNECTIONS" -t "${LOAD_TIME_LIMIT_SECONDS}s" -uniform -nocatchup -allow-initial-errors \
    -keepalive="$KEEPALIVE" -timeout "${REQUEST_TIMEOUT_SECONDS}s" \
    -access-log-file "$work/access.log" -access-log-format json "$url" >"$work/fortio.out" 2>"$work/fortio.log" &
  load_pid=$!
  wait_for_run
  log "fortio started: $QPS requests a second over $FORTIO_CONNECTIONS connections"
}

# Waits for that line in fortio's log on this machine (in the cluster, start_load_job does).
wait_for_run() {
  local deadline=$((SECONDS + ROLLOUT_TIMEOUT_SECONDS))
  until grep -Eq "$run_started" "$work/fortio.log" 2>/dev/null; do
    kill -0 "$load_pid" 2>/dev/null ||
      measurement_failed "fortio exited before its measured run began: $(tail -n 3 "$work/fortio.log" 2>/dev/null | tr '\n' ' ')"
    [ "$SECONDS" -lt "$deadline" ] ||
      measurement_failed "fortio's warm-up (a request on each of its $FORTIO_CONNECTIONS connections at once) did not end within ${ROLLOUT_TIMEOUT_SECONDS}s: lower qps"
    sleep 0.1
  done
  load_began=$(now)
}

load_stop() {
  stop_at=$(now)
  if [ "$LOAD_FROM" = cluster ]; then
    # What the pod wrote until now; the Job itself goes with the test's cleanup.
    kube_load logs "$load_pod" >"$work/pod.log" 2>&1 || log "could not read the load pod's log"
    grep '^{"latency"' "$work/pod.log" >"$work/access.log" || true
    grep '^{"ts"' "$work/pod.log" >"$work/fortio.log" || true
    return
  fi
  stop_host_load
}

load_failure() {
  if [ ! -s "$work/access.log" ]; then
    echo "fortio recorded no request: $(tail -n 3 "$work/fortio.log" "$work/pod.log" 2>/dev/null | tr '\n' ' ')"
  elif [ "$LOAD_FROM" = cluster ] && ! grep -q '"msg":"Starting http test"' "$work/fortio.log"; then
    # kubectl logs gives the newest of a container's log files only: the first requests would be
    # missing from the record, and sent and asked counted from the first one left.
    echo "the load pod's log has lost its beginning (the kubelet rotates a container's log past its containerLogMaxSize, 10 MiB by default, about 60,000 requests): lower qps, or shorten the warm-up and settle"
  fi
}

load_summary() {
  ACCESS_LOG="$work/access.log" FORTIO_LOG="$work/fortio.log" RESTART_AT="$restart_at" STOP_AT="$stop_at" \
    CLOCK_OFFSET="$clock_offset" POD_LINES="$pod_lines" "$(dirname "$0")/../node_modules/.bin/ts-node" --transpile-only "$(dirname "$0")/summarize-fortio.ts"
}
