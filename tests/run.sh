#!/usr/bin/env bash
# npm test: the type check (tsc --noEmit, strict) and jest, side by side: jest's tests mostly wait on
# processes and timers, which leaves the CPU to tsc. Both must pass; each prints its own report.
set -euo pipefail
cd "$(dirname "$0")/.."

npx tsc --noEmit -p . &
tsc_pid=$!
trap 'kill "$tsc_pid" 2>/dev/null || true' EXIT
jest_status=0
npx jest "$@" || jest_status=$?
tsc_status=0
wait "$tsc_pid" || tsc_status=$?
trap - EXIT
if [ "$tsc_status" -ne 0 ]; then echo "npm test: tsc --noEmit found type errors (above)" >&2; fi
exit $((jest_status != 0 || tsc_status != 0))
