#!/usr/bin/env bash
# The old pods of a rollout as a watch of the pods saw them (stdin: `<time> <event> <pod>
# <deletionTimestamp>`, each line stamped as it arrived), as scripts/rollout-test.sh prints them:
#   study-pod: <name> deleted=<s> gone=<s|never>   (from the restart; in the order they were deleted)
# A pod is deleted at the first event that carries its deletion time, gone at its DELETED event.
# Env: OLD_PODS (their names), RESTART_AT (seconds since the epoch).
set -euo pipefail

: "${OLD_PODS?}" "${RESTART_AT:?}"
perl -ane '
  BEGIN { %old = map { $_ => 1 } split " ", $ENV{OLD_PODS} }
  ($t, $event, $pod, $deletion) = @F;
  next unless $old{$pod};
  $deleted{$pod} //= $t if $deletion ne "" || $event eq "DELETED";
  $gone{$pod} = $t if $event eq "DELETED";
  END {
    for $p (sort { $deleted{$a} <=> $deleted{$b} } keys %deleted) {
      printf "study-pod: %s deleted=%.3f gone=%s\n", $p, $deleted{$p} - $ENV{RESTART_AT},
        exists $gone{$p} ? sprintf("%.3f", $gone{$p} - $ENV{RESTART_AT}) : "never";
    }
  }'
