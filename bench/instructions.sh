#!/usr/bin/env bash
# Instructions the service spends per request, counted by callgrind: a figure that a busy or noisy
# machine does not move, for comparing two builds where bench/run.sh's wall-clock ratios wander
# (docs/BENCHMARKS.md). Counts the service process only (PostgreSQL's work is not in it).
#
#   bench/instructions.sh [a|b|c]...     # default: a b c
#   BIN=… CLIENT=… bench/instructions.sh  # another build's signin and bench_client
#
# (a) GET / signed in, (b) GET /api/me with a Bearer token, (c) GET /login anonymous: each is sent
# WARMUP times, then the counters are zeroed and REQUESTS more are counted over one keep-alive
# connection; the line printed is the instructions per request. ANNOTATE=1 prints the inclusive
# top of the profile; KEEP=DIR keeps each case's dump as DIR/<case>.callgrind for callgrind_annotate. Same set-up as bench/run.sh
# (fresh PostgreSQL database dropped at the end, `serve --dev --dev-auto-approve`).
set -euo pipefail
REQUESTS=${REQUESTS:-400}
WARMUP=${WARMUP:-50}
PORT=${PORT:-18050}
CASES=("$@"); [ ${#CASES[@]} -gt 0 ] || CASES=(a b c)

command -v valgrind >/dev/null || { echo "instructions: valgrind is required" >&2; exit 1; }
BUILD=1 EXAMPLES=(CLIENT:bench_client) SERVICE_ENV=() KEEP_LOGS=0
source "$(dirname "$0")/common.sh"
# Under callgrind the service starts in tens of seconds, not milliseconds.
READY_SECONDS=120 start_app valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$WORK/cg.%p"
credentials

# N requests over one keep-alive connection; every answer must be 200.
send() { # send N PATH HEADER
  python3 - "127.0.0.1:$PORT" "$1" "$2" "$3" <<'EOF'
import http.client, sys
host, n, path, header = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
c = http.client.HTTPConnection(host, timeout=60)
headers = {}
if header:
    k, v = header.split(": ", 1)
    headers[k] = v
for _ in range(n):
    c.request("GET", path, headers=headers)
    r = c.getresponse()
    r.read()
    if r.status != 200:
        sys.exit(f"{path}: {r.status}")
EOF
}

for c in "${CASES[@]}"; do
  case $c in
    a) path=/; header="Cookie: $COOKIE"; what="(a) GET / signed in";;
    b) path=/api/me; header="Authorization: Bearer $TOKEN"; what="(b) GET /api/me Bearer";;
    c) path=/login; header=""; what="(c) GET /login";;
    *) echo "unknown case $c" >&2; exit 1;;
  esac
  send "$WARMUP" "$path" "$header"
  callgrind_control -z "$APP_PID" >/dev/null
  callgrind_control -i on "$APP_PID" >/dev/null
  send "$REQUESTS" "$path" "$header"
  callgrind_control -i off "$APP_PID" >/dev/null
  rm -f "$WORK"/cg.*
  callgrind_control -d "$APP_PID" >/dev/null
  sleep 1
  # The dump's own total (callgrind_annotate's "PROGRAM TOTALS"), summed over the dump files.
  total=$(callgrind_annotate "$WORK"/cg.* 2>/dev/null | awk '!seen && /PROGRAM TOTALS/ { gsub(",", "", $1); print $1; seen = 1 }')
  total=${total:-0}
  echo "$what: $((total / REQUESTS)) instructions per request ($REQUESTS requests)"
  if [ -n "${ANNOTATE:-}" ]; then
    callgrind_annotate --inclusive=yes "$WORK"/cg.* 2>/dev/null | sed -n '1,60p' | cut -c1-200
  fi
  if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp "$WORK"/cg.* "$KEEP/$c.callgrind"; fi
done
