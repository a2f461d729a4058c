#!/usr/bin/env bash
# PostgreSQL restarted in the middle of a load run (the machine's cluster: every database on it
# blips for a few seconds). Passes when errors happen only while it is down, the service is
# whole again within 5 s of its return without a restart, and no user or session is lost.
# Usage: bench/pg_restart.sh [SECONDS] [CONNECTIONS] [RESTART_AT]
PORT=18202
EXAMPLES=(CLIENT:soak_client)
source "$(dirname "$0")/common.sh"
SECONDS_TOTAL="${1:-60}"
CONNS="${2:-64}"
RESTART_AT="${3:-20}"
start_app
echo "pg_restart: ${SECONDS_TOTAL}s, ${CONNS} connections, restart at ${RESTART_AT}s"
"$CLIENT" "$BASE" "$CONNS" "$SECONDS_TOTAL" >"$WORK/client.log" &
CLIENT_PID=$!
sleep "$RESTART_AT"
read -r users_before max_user <<<"$(psql_app "select count(*), coalesce(max(id),0) from users" | tr '|' ' ')"
sessions_before=$(psql_app "select count(*) from sessions")
max_created="$(psql_app "select max(created_at) from sessions")"
down_ms=$(date +%s%3N)
pg_ctlcluster --skip-systemctl-redirect 15 main restart
up_ms=$(date +%s%3N)
echo "postgres down at ${down_ms}, back at ${up_ms} ($((up_ms - down_ms)) ms)"
wait "$CLIENT_PID"
users_kept=$(psql_app "select count(*) from users where id <= $max_user")
sessions_kept=$(psql_app "select count(*) from sessions where created_at <= '$max_created'")
echo "users before=$users_before kept=$users_kept; sessions before=$sessions_before kept=$sessions_kept"
grep '^total' "$WORK/client.log"
# Errors per tick, against the outage window.
awk -v down="$down_ms" -v up="$up_ms" '
  /^tick/ {
    for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    err = v["http4xx"] + v["http5xx"] + v["refused"] + v["broken"]
    start = v["ms"] - 1000
    if (err > 0) {
      if (v["ms"] < down) { early++ }
      else if (start > up + 5000) { late++ }
      last_err = v["ms"]
    }
    if (err > 0 || (v["ms"] >= down && v["ms"] <= up + 6000)) print
  }
  END {
    printf "errors before the restart: %d ticks; more than 5 s after its return: %d ticks\n", early, late
    if (last_err > 0) printf "last error tick ended %d ms after postgres returned\n", last_err - up
    exit (early + late > 0)
  }' "$WORK/client.log" || { echo "FAIL: errors outside the outage window"; exit 1; }
# Rows that existed before the restart must all still be there. (Sessions are filtered by
# created_at, which is taken when a sign-in starts: sign-ins in flight at the snapshot commit
# later with an earlier created_at, so "kept" may exceed "before"; it may never be lower.)
(( users_kept >= users_before && sessions_kept >= sessions_before )) || { echo "FAIL: rows lost"; exit 1; }
echo "PASS"
