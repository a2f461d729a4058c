#!/usr/bin/env bash
# SIGTERM under load: the service stops accepting, lets in-flight requests finish and exits 0.
# Passes with no 5xx and no request broken mid-flight (refused connections after the signal
# are expected: the listener is closed).
# Usage: bench/sigterm.sh [SECONDS] [CONNECTIONS] [SIGNAL_AT]
PORT=18203
source "$(dirname "$0")/common.sh"
SECONDS_TOTAL="${1:-20}"
CONNS="${2:-64}"
SIGNAL_AT="${3:-10}"
start_app
echo "sigterm: ${SECONDS_TOTAL}s, ${CONNS} connections, SIGTERM at ${SIGNAL_AT}s"
"$CLIENT" "$BASE" "$CONNS" "$SECONDS_TOTAL" >"$WORK/client.log" &
CLIENT_PID=$!
sleep "$SIGNAL_AT"
sig_ms=$(date +%s%3N)
kill -TERM "$APP_PID"
set +e; wait "$APP_PID"; code=$?; set -e
exit_ms=$(date +%s%3N)
APP_PID=""
echo "exit code $code, $((exit_ms - sig_ms)) ms after SIGTERM"
wait "$CLIENT_PID"
grep '^total' "$WORK/client.log"
awk -v s="$sig_ms" '/^tick/ { split($3, m, "="); if (m[2] >= s - 1000 && m[2] <= s + 3000) print }' "$WORK/client.log"
total=$(grep '^total' "$WORK/client.log")
h5=$(sed -E 's/.* http5xx=([0-9]+).*/\1/' <<<"$total")
broken=$(sed -E 's/.* broken=([0-9]+).*/\1/' <<<"$total")
[[ "$code" == 0 && "$h5" == 0 && "$broken" == 0 ]] && echo "PASS" || { echo "FAIL"; exit 1; }
