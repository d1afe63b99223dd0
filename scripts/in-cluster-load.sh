#!/usr/bin/env bash
# Runs in the load Job's pod (components/rolloutTest.ts puts it there): siege against the Service's
# cluster address until the test script asks it to stop by creating STOP_FILE.
# Env: TARGET_URL, CONCURRENCY, TIME_LIMIT_SECONDS, SIEGERC_CONTENT, STOP_FILE.
set -euo pipefail

: "${TARGET_URL:?}" "${CONCURRENCY:?}" "${TIME_LIMIT_SECONDS:?}" "${SIEGERC_CONTENT:?}" "${STOP_FILE:?}"
# The default image is plain Debian: siege comes from Debian's own archive at start.
if ! command -v siege >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends siege >/dev/null
fi
rc=$(mktemp)
printf '%s\n' "$SIEGERC_CONTENT" >"$rc"
# Successful transactions are dropped here: thousands a second would make the kubelet rotate the
# log, and `kubectl logs` reads only the current file. Line buffering gives each failed response
# the time it happened in the pod's log.
fifo=$(mktemp -u)
mkfifo "$fifo"
grep --line-buffered -Ev '^HTTP/[0-9.]+ +[123][0-9][0-9] ' <"$fifo" &
echo "study-load-started"
stdbuf -oL siege --rc="$rc" --concurrent="$CONCURRENCY" --time="${TIME_LIMIT_SECONDS}S" "$TARGET_URL" >"$fifo" 2>&1 &
pid=$!
while [ ! -e "$STOP_FILE" ] && kill -0 "$pid" 2>/dev/null; do
  sleep 0.2
done
kill -INT "$pid" 2>/dev/null || true
# Under keep-alive some siege versions print their report and then never exit: end it after 10 s.
for _ in $(seq 1 20); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.5
done
kill -KILL "$pid" 2>/dev/null || true
wait || true
