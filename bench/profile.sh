#!/usr/bin/env bash
# Where the service spends its CPU under each benchmark load (docs/BENCHMARKS.md, "Profile").
#
#   bench/profile.sh [a|b|c|d]...     # default: a b d
#
# Same set-up as bench/run.sh (release build, fresh PostgreSQL database dropped at the end,
# `serve --dev --dev-auto-approve` on 127.0.0.1:18000), then for each case samples the service
# with `perf record -e cpu-clock` (hardware counters are not available in this VM) while the load
# runs, and prints the hottest symbols (self time) and the hottest shared objects.
set -euo pipefail
SECONDS_PER_CASE=${SECONDS_PER_CASE:-8}
CONNECTIONS=${CONNECTIONS:-32}
TOP=${TOP:-30}
PORT=18000
CASES=("$@"); [ ${#CASES[@]} -gt 0 ] || CASES=(a b d)

command -v perf >/dev/null || { echo "profile: perf is required (apt-get install linux-perf)" >&2; exit 1; }
BUILD=1 EXAMPLES=(CLIENT:bench_client) SERVICE_ENV=() KEEP_LOGS=0
source "$(dirname "$0")/common.sh"
start_app
credentials

for c in "${CASES[@]}"; do
  case $c in
    a) load=(wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_CASE}s" -H "Cookie: $COOKIE" "$BASE/"); what="(a) GET / signed in";;
    b) load=(wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_CASE}s" -H "Authorization: Bearer $TOKEN" "$BASE/api/me"); what="(b) GET /api/me Bearer";;
    c) load=(wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_CASE}s" "$BASE/login"); what="(c) GET /login";;
    d) load=("$CLIENT" signins "$BASE" 16 "$SECONDS_PER_CASE"); what="(d) sign-ins";;
    *) echo "unknown case $c" >&2; exit 1;;
  esac
  "${load[@]}" >"$WORK/load.out" 2>&1 &
  load_pid=$!
  sleep 1
  # CALLGRAPH=1: with DWARF call chains, for inclusive ("children") costs per function.
  cg=(); [ -n "${CALLGRAPH:-}" ] && cg=(--call-graph "dwarf,32768" -F 499)
  # SYSTEM=1: the whole machine (load tool, PostgreSQL, kernel too), to see who spends the CPU.
  target=(-p "$APP_PID"); [ -n "${SYSTEM:-}" ] && target=(-a)
  perf record -q -e cpu-clock -F 1999 "${cg[@]}" "${target[@]}" -o "$WORK/perf.data" -- sleep $((SECONDS_PER_CASE - 2)) 2>/dev/null
  wait "$load_pid" || true
  [ -n "${KEEP_PERF:-}" ] && cp "$WORK/perf.data" "$KEEP_PERF.$c"
  echo "=== $what: $(grep -E 'Requests/sec|per_sec' "$WORK/load.out" | xargs)"
  if [ -n "${SYSTEM:-}" ]; then
    echo "--- processes (whole machine)"
    perf report -i "$WORK/perf.data" --no-children --sort comm --stdio 2>/dev/null | grep -E '^ +[0-9]' | sed -E 's/[[:space:]]+$//' | head -12
  fi
  echo "--- shared objects"
  perf report -i "$WORK/perf.data" --no-children --sort dso --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -8
  if [ -n "${CALLGRAPH:-}" ]; then
    echo "--- our functions and middleware (inclusive)"
    perf report -i "$WORK/perf.data" --children --sort symbol --stdio 2>/dev/null | grep -E '^ +[0-9]' \
      | grep -E 'signin::|actix_session|tracing_actix_web|askama|jsonwebtoken|actix_web::middleware|actix_http::h1' \
      | sed -E 's/[[:space:]-]+$//' | cut -c1-190 | head -"$TOP"
  fi
  echo "--- symbols (self)"
  perf report -i "$WORK/perf.data" --no-children --sort symbol --stdio 2>/dev/null | grep -E '^ +[0-9]' | sed -E 's/[[:space:]-]+$//' | cut -c1-170 | head -"$TOP"
done
