#!/usr/bin/env bash
# Turns siege's output, each line stamped with its time (stdin), into siege's study-* lines of
# scripts/rollout-test.sh, followed by siege's report as siege printed it:
#   study-errors: <count> <siege line>                (one line per distinct line that ends a failed request, ANSI stripped; a failed response as "HTTP <code>")
#   study-error-bins: <bin start s> <count> ...       (those failed requests per 0.5 s, relative to the restart)
#   study-failures: closedWithoutResponse <count>     (siege's failed count less those lines: failed requests siege printed no line for; untimed)
#   study-failures: linesOverCount <count>            (those lines less siege's failed count: lines for requests siege counted as successful)
# Env: RESTART_AT (when the rollout restart was issued, in seconds since the epoch).
#
# Failed requests are counted, not siege's lines: each way a request fails in siege 4.0.4-4.1.7
# prints a known set of lines (src/sock.c, src/http.c, src/browser.c), and a failure is counted
# once, by the line that ends its path:
# - a verbose transaction line with a code siege fails (browser.c __http: 408, 418, 500-509; 510
#   and above it counts as successful, and so do we). Shortened to "HTTP <code>".
# - an [error]/[alert]/[fatal] line, except the companion lines below.
# Companion lines never end a failed request by themselves, and are dropped:
# - "socket: select and discovered it's not ready" and "socket: polled(N) and discovered it's not
#   ready" (sock.c __socket_select/__socket_poll): always followed by "socket: read check timed
#   out(N)" (sock.c new_socket, socket_read), which ends the path. A connect that times out prints
#   both: one failure, not two.
# - "Address resolution failed at ... with the following error:" (sock.c new_socket): followed by
#   "<resolver's message>: <host>", which ends the path.
# - __socket_block's "EACCES", "bad file descriptor", "address is unavailable", "unknown network
#   error", "unable to set fcntl flags" (each with its file:line): followed by the caller's line,
#   or printed while closing; socket_close's "unable to set to non-blocking", "unable to shutdown
#   the socket", "unable to close the socket", "socket: SSL Socket closed by server": printed while
#   closing, after siege decided the request's outcome.
# siege prints nothing for a request whose connection closed (FIN) before a complete response
# header (http.c http_read_headers returns NULL, browser.c __http fails it with a debug-only
# echo), so the report's failed count can exceed the lines: the difference is printed as
#   study-failures: closedWithoutResponse <count>
# Those failures are not in study-error-bins: siege gives them no time (docs/configuration.md). A line
# can also stand for a request siege did not count as failed (a reset after the response header:
# socket_read prints "read error", the body is cut short, the request succeeds), so the lines can
# exceed the failed count; the difference is printed as
#   study-failures: linesOverCount <count>
# siege only gives its total, so a run with both shows only their difference.
set -euo pipefail

: "${RESTART_AT:?}"
lines=$(mktemp)
trap 'rm -f "$lines"' EXIT

# Each line of siege is one of: a transaction (verbose; only the failed ones are kept), an error
# (coloured, possibly glued to the end of a banner line), or the report and its banner.
# perl, not sed: BSD sed (macOS) knows no \x1b.
perl -pe 's/\e\[[0-9;]*m//g' |
  awk 'function failed_code(code) { return code == 408 || code == 418 || (code >= 500 && code <= 509) }
       function companion(line, message) {
         message = line
         sub(/^\[[a-z]+\] */, "", message)
         return message ~ /^socket: (select|polled\([0-9]+\)) and discovered it.s not ready/ ||
           message ~ /^Address resolution failed at / ||
           message ~ /^(EACCES|bad file descriptor|address is unavailable|unknown network error|unable to set fcntl flags) [^ ]+:[0-9]+/ ||
           message ~ /^(unable to set to non-blocking|unable to shutdown the socket|unable to close the socket) [^ ]+:[0-9]+/ ||
           message ~ /^socket: SSL Socket closed by server/ }
       { t = $1; line = substr($0, length($1) + 2)
         if (line ~ /^HTTP\/[0-9.]+ +[0-9]+ /) { split(line, f, / +/)
           if (failed_code(f[2] + 0)) print "error " t " HTTP " f[2]; next }
         at = match(line, /\[(error|alert|fatal)\]/)
         if (at == 0) { print "text " line; next }
         if (at > 1) print "text " substr(line, 1, at - 1)
         line = substr(line, at)
         if (!companion(line)) print "error " t " " line }' >"$lines"

grep '^error ' "$lines" | cut -d' ' -f3- | sort | uniq -c | sort -rn |
  awk '{ count = $1; sub(/^ *[0-9]+ /, ""); print "study-errors: " count " " $0 }' || true
grep '^error ' "$lines" |
  awk -v r="$RESTART_AT" '{ d = ($2 - r) * 2; b = int(d); if (b > d) b--; n[b / 2]++ }
       END { for (b in n) printf "%s %d\n", b, n[b] }' | sort -n |
  awk '{ line = line " " $1 " " $2 } END { if (line != "") print "study-error-bins:" line }' || true
# siege's failed count: the last one printed, text ("Failed transactions:") or JSON
# ("failed_transactions"), as lib/siege.ts reads the last report.
awk '/^error / { counted++ }
     /^text [ \t]*Failed transactions:[ \t]*[0-9]+[ \t]*$/ { failed = $NF }
     /^text .*"failed_transactions"[ \t]*:[ \t]*[0-9]+/ { v = $0; sub(/.*"failed_transactions"[ \t]*:[ \t]*/, "", v); sub(/[^0-9].*/, "", v); failed = v }
     END { if (failed == "") exit
           if (failed + 0 > counted + 0) print "study-failures: closedWithoutResponse " failed - counted
           if (counted + 0 > failed + 0) print "study-failures: linesOverCount " counted - failed }' "$lines"
grep '^text ' "$lines" | cut -c6- || true
