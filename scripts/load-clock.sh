# The clock of a load in the cluster, sourced by scripts/rollout-test.sh, whose helpers (log, now,
# kube_load) and load_pod it uses: the load times its requests by its node's clock, the lab its
# restart and the pods' events by this machine's.
#   measure_clock_offset CMD...  sets clock_offset (the node's clock minus this one's) and
#                                clock_uncertainty, from CMD run in the load pod
#   from_log_timestamps          puts `kubectl logs --timestamps` lines on this machine's clock
# shellcheck shell=bash
# shellcheck disable=SC2154,SC2034 # load_pod is scripts/rollout-test.sh's; it reads clock_offset and clock_uncertainty

# `kubectl logs --timestamps` gives each line its time in the pod; the same form as stamp's, moved
# onto this machine's clock by CLOCK_OFFSET (the node's clock minus this one's).
from_log_timestamps() {
  CLOCK_OFFSET="$clock_offset" perl -MTime::Local=timegm -ne 'if (/^(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)(\.\d+)?Z (.*)$/) {
    printf "%.3f %s\n", timegm($6, $5, $4, $3, $2 - 1, $1) + ($7 || 0) - $ENV{CLOCK_OFFSET}, $8 }'
}
# Errors are timed by the node's clock, the restart by this machine's. An exec reads the pod's clock
# somewhere within its round trip, and not in its middle: most of the trip comes before the command
# runs (the API server, the kubelet, the runtime starting it), so a midpoint puts the reading too
# early and the offset too high (on the engine's real node, whose clock is this machine's, one exec's
# midpoint read 0.055-0.300 s, always ahead). So each exec only bounds the offset, between the pod's
# reading minus the time after and minus the time before; three bound it tighter, together. The
# offset is the middle of the bounds, and half their width how far each of the pod's times may be
# off (study-clock-uncertainty-seconds), by which the lab widens every old pod's shutdown when it
# sorts the load's failures (lib/results.ts, withinShutdown). Bounds that do not meet (a clock
# stepped between two execs) give way to the tightest exec's. The arguments: a command of the load's
# image whose output starts with the pod's time, as seconds since the epoch, to the microsecond at
# least. 0, said so, when it cannot be read.
measure_clock_offset() {
  local samples="" before pod_now after
  for _ in 1 2 3; do
    before=$(now)
    pod_now=$({ kube_load exec "$load_pod" -- "$@" 2>&1 || true; } | grep -oE '[0-9]{9,}\.[0-9]{6,}' | awk 'NR == 1' || true)
    after=$(now)
    if [ -n "$pod_now" ]; then samples="$samples $before $pod_now $after"; fi
  done
  if [ -z "$samples" ]; then
    clock_offset=0
    log "could not read the load pod's clock ($*): its times are taken to be this machine's"
    return
  fi
  read -r clock_offset clock_uncertainty < <(printf '%s\n' "$samples" | clock_bounds)
  log "the load pod's clock is ${clock_offset}s ahead of this machine's, to within ${clock_uncertainty}s"
}
# Reads "before pod after" triples on one line; prints the offset and its uncertainty.
clock_bounds() {
  awk '{
    for (i = 1; i + 2 <= NF; i += 3) {
      low = $(i + 1) - $(i + 2); high = $(i + 1) - $i
      if (i == 1 || low > lowest) lowest = low
      if (i == 1 || high < highest) highest = high
      if (i == 1 || $(i + 2) - $i < trip) { trip = $(i + 2) - $i; tight_low = low; tight_high = high }
    }
    if (lowest > highest) { lowest = tight_low; highest = tight_high }
    printf "%.3f %.3f\n", (lowest + highest) / 2, (highest - lowest) / 2
  }'
}
