#!/usr/bin/env bash
# SIGTERM under load: the service stops accepting, lets in-flight requests finish and exits 0.
# Passes with exit code 0, no 5xx, and none of the requests the service had begun dropped
# before its answer (its own count, logged as it stops). Refused connections after the signal
# are expected: the listener is closed.
# Usage: bench/sigterm.sh [SECONDS] [CONNECTIONS] [SIGNAL_AT]
PORT=18203
# The stop line ("stopped", with the count of abandoned requests) is logged at info.
export RUST_LOG="${RUST_LOG:-warn},signin::startup=info"
# The provider runs as its own process: in dev mode it shares the service's listener, and the
# service's in-flight token calls to itself would be cut by its own shutdown.
EXTERNAL_PROVIDER=1
EXAMPLES=(CLIENT:soak_client)
source "$(dirname "$0")/common.sh"
SECONDS_TOTAL="${1:-20}"
CONNS="${2:-64}"
SIGNAL_AT="${3:-10}"
start_app
echo "sigterm: ${SECONDS_TOTAL}s, ${CONNS} connections, SIGTERM at ${SIGNAL_AT}s"
"$CLIENT" "$BASE" "$CONNS" "$SECONDS_TOTAL" >"$WORK/client.log" &
CLIENT_PID=$!
sleep "$SIGNAL_AT"
sig_ms=$(date +%s%3N); echo "SIGTERM at ms=$sig_ms"
kill -TERM "$APP_PID"
set +e; wait "$APP_PID"; code=$?; set -e
exit_ms=$(date +%s%3N)
APP_PID=""
echo "exit code $code, $((exit_ms - sig_ms)) ms after SIGTERM"
wait "$CLIENT_PID"
grep '^total' "$WORK/client.log"
awk -v s="$sig_ms" '/^tick/ { split($3, m, "="); if (m[2] >= s - 1000 && m[2] <= s + 3000) print }' "$WORK/client.log"
grep '^broken' "$WORK/client.log" | head -20 || true
grep '^status' "$WORK/client.log" | head -20 || true
total=$(grep '^total' "$WORK/client.log")
h5=$(sed -E 's/.* http5xx=([0-9]+).*/\1/' <<<"$total")
# The client cannot tell a request the service read and then dropped from one lost to the
# keep-alive race as the service closed its idle connections (both end "connection closed" or
# "reset"; browsers resend those, and so does the client, once, on a new connection). The
# service can: it counts every request whose handling was dropped before its answer and says
# so as it stops. That count must be 0.
abandoned=$(grep -o '"abandoned":[0-9]*' "$WORK/app.log" | tail -1 | cut -d: -f2 || true)
echo "requests the service dropped before their answer: ${abandoned:-no count in the log}"
first_broken=$(awk -v s="$sig_ms" '/^broken/ { split($3, a, "="); if (a[2] < s) n++ } END { print n + 0 }' "$WORK/client.log")
echo "client: broken requests first sent before SIGTERM (read or not, the client cannot tell): $first_broken"
[[ "$code" == 0 && "$h5" == 0 && "${abandoned:-x}" == 0 ]] && echo "PASS" || { echo "FAIL"; exit 1; }
