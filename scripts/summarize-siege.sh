#!/usr/bin/env bash
# Turns siege's output, each line stamped with its time (stdin), and the old pods' watch log into
# the study-* lines of scripts/rollout-test.sh, followed by siege's report as siege printed it.
# Env: RESTART_AT (when the rollout restart was issued, in seconds since the epoch), PODS_LOG.
set -euo pipefail

: "${RESTART_AT:?}" "${PODS_LOG:?}"
lines=$(mktemp)
trap 'rm -f "$lines"' EXIT

# Each line of siege is one of: a transaction (verbose; only the failed ones, 408 and 5xx, are kept),
# an error (coloured, possibly glued to the end of a banner line), or the report and its banner.
# perl, not sed: BSD sed (macOS) knows no \x1b.
perl -pe 's/\e\[[0-9;]*m//g' |
  awk '{ t = $1; line = substr($0, length($1) + 2)
         if (line ~ /^HTTP\/[0-9.]+ +[0-9]+ /) { split(line, f, / +/)
           if (f[2] == 408 || f[2] ~ /^5/) print "error " t " HTTP " f[2]; next }
         at = match(line, /\[(error|alert|fatal)\]/)
         if (at == 0) { print "text " line; next }
         if (at > 1) print "text " substr(line, 1, at - 1)
         print "error " t " " substr(line, at) }' >"$lines"

grep '^error ' "$lines" | cut -d' ' -f3- | sort | uniq -c | sort -rn |
  awk '{ count = $1; sub(/^ *[0-9]+ /, ""); print "study-errors: " count " " $0 }' || true
grep '^error ' "$lines" |
  awk -v r="$RESTART_AT" '{ d = ($2 - r) * 2; b = int(d); if (b > d) b--; n[b / 2]++ }
       END { for (b in n) printf "%s %d\n", b, n[b] }' | sort -n |
  awk '{ line = line " " $1 " " $2 } END { if (line != "") print "study-error-bins:" line }' || true
awk -v r="$RESTART_AT" '
  { t = $1; delete present
    for (i = 2; i <= NF; i++) { split($i, kv, "="); present[kv[1]] = 1
      if (kv[2] != "" && !(kv[1] in terminating)) { terminating[kv[1]] = t; order[++n] = kv[1] } }
    for (p in terminating) if (!(p in present) && !(p in gone)) gone[p] = t }
  END { for (i = 1; i <= n; i++) { p = order[i]
          printf "study-pod: %s terminating=%.1f gone=%s\n", p, terminating[p] - r, (p in gone) ? sprintf("%.1f", gone[p] - r) : "never" } }' \
  "$PODS_LOG"

grep '^text ' "$lines" | cut -c6- || true
