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
cd "$(dirname "$0")/.."

SECONDS_PER_CASE=${SECONDS_PER_CASE:-8}
CONNECTIONS=${CONNECTIONS:-32}
TOP=${TOP:-30}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
SERVICE=127.0.0.1:18000
CASES=("$@"); [ ${#CASES[@]} -gt 0 ] || CASES=(a b d)

command -v perf >/dev/null || { echo "profile: perf is required (apt-get install linux-perf)" >&2; exit 1; }
# The binary on its own, without the examples' test-only dev-faults feature (see run.sh).
cargo build --release --quiet --bin signin
cargo build --release --quiet --example bench_client
BIN=$PWD/target/release/signin
CLIENT=$PWD/target/release/examples/bench_client

DB="signin_profile_$$"
WORK=$(mktemp -d)
SVC_PID=""
cleanup() {
  [ -n "$SVC_PID" ] && { kill "$SVC_PID" 2>/dev/null || true; wait "$SVC_PID" 2>/dev/null || true; }
  psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $DB" >/dev/null
export APP_ENV=development BIND_ADDR=$SERVICE APP_BASE_URL=http://$SERVICE RATE_LIMIT_PER_MINUTE=0
export DATABASE_URL
DATABASE_URL=$(python3 -c 'import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(p._replace(path="/"+sys.argv[2]).geturl())' "$PG_ADMIN_URL" "$DB")
export SECRET_KEY=bench-secret-key-0123456789-0123456789-0123456789-0123456789-abcdefghij
cd "$WORK"
"$BIN" serve --dev --dev-auto-approve >"$WORK/service.log" 2>&1 &
SVC_PID=$!
for _ in $(seq 200); do curl -fs -o /dev/null "http://$SERVICE/readyz" && break; sleep 0.05; done
creds=$("$CLIENT" credentials "http://$SERVICE")
COOKIE=$(sed -n 's/^COOKIE=//p' <<<"$creds")
TOKEN=$(sed -n 's/^TOKEN=//p' <<<"$creds")

for c in "${CASES[@]}"; do
  case $c in
    a) load=(wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_CASE}s" -H "Cookie: $COOKIE" "http://$SERVICE/"); what="(a) GET / signed in";;
    b) load=(wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_CASE}s" -H "Authorization: Bearer $TOKEN" "http://$SERVICE/api/me"); what="(b) GET /api/me Bearer";;
    c) load=(wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_CASE}s" "http://$SERVICE/login"); what="(c) GET /login";;
    d) load=("$CLIENT" signins "http://$SERVICE" 16 "$SECONDS_PER_CASE"); what="(d) sign-ins";;
    *) echo "unknown case $c" >&2; exit 1;;
  esac
  "${load[@]}" >"$WORK/load.out" 2>&1 &
  load_pid=$!
  sleep 1
  # CALLGRAPH=1: with DWARF call chains, for inclusive ("children") costs per function.
  cg=(); [ -n "${CALLGRAPH:-}" ] && cg=(--call-graph dwarf,32768 -F 499)
  # SYSTEM=1: the whole machine (load tool, PostgreSQL, kernel too), to see who spends the CPU.
  target=(-p "$SVC_PID"); [ -n "${SYSTEM:-}" ] && target=(-a)
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
