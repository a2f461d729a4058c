#!/usr/bin/env bash
# Soak: 5 minutes at 64 connections of mixed traffic (home and /api/me signed in, complete
# sign-ins of new people through the dev provider, the admin list when present). Passes when
# every answer is 2xx/3xx and memory is flat after warm-up (RSS sampled every 10 s; the mean
# of the last minute within 10 % of the mean of the second).
# Usage: [EXTERNAL_PROVIDER=1] bench/soak.sh [SECONDS] [CONNECTIONS]
# With EXTERNAL_PROVIDER=1 the dev provider runs as its own process, so the RSS measured is the
# service's alone (in `serve --dev` the fake Google keeps every access token it issued for an
# hour, which is its memory, not the service's).
PORT=18201
EXAMPLES=(CLIENT:soak_client)
source "$(dirname "$0")/common.sh"
SECONDS_TOTAL="${1:-300}"
CONNS="${2:-64}"
start_app
echo "soak: ${SECONDS_TOTAL}s, ${CONNS} connections, pid $APP_PID, database $DB"
"$CLIENT" "$BASE" "$CONNS" "$SECONDS_TOTAL" admin@example.com >"$WORK/client.log" &
CLIENT_PID=$!
: >"$WORK/rss.log"
t=0
while kill -0 "$CLIENT_PID" 2>/dev/null; do
  threads=$(awk '/^Threads:/ {print $2}' "/proc/$APP_PID/status" 2>/dev/null || echo ?)
  echo "t=${t}s threads=$threads rss_kib=$(rss_kib)" | tee -a "$WORK/rss.log"
  sleep 10; t=$((t + 10))
done
wait "$CLIENT_PID"
grep -E '^(admin_list|total)' "$WORK/client.log"
echo "users=$(psql_app 'select count(*) from users') sessions=$(psql_app 'select count(*) from sessions')"
# Warm-up: the first minute. Flat = the mean RSS of the last minute within 10 % of the mean of
# the second minute (60-119 s). Means, not single samples: jemalloc returns freed pages about
# 10 s after the fact, so single samples swing by a megabyte or two either way. The last sample
# is taken 10 s before the end (t=170s in a 180 s run).
end_t=$(tail -1 "$WORK/rss.log" | sed -E 's/^t=([0-9]+)s.*/\1/')
mean_kib() { awk -F'[=s ]' -v lo="$1" -v hi="$2" '$2 >= lo && $2 <= hi && $NF != "" {sum += $NF; n++} END {if (n) printf "%d", sum / n}' "$WORK/rss.log"; }
warm=$(mean_kib 60 119)
last=$(mean_kib $((end_t - 59)) "$end_t")
max=$(awk -F'rss_kib=' '$1 !~ /^t=(0|10|20|30|40|50)s/ {print $2}' "$WORK/rss.log" | sort -n | tail -1)
echo "rss_kib mean 60-119s=$warm, mean of the last minute=$last, max after warm-up=$max"
total=$(grep '^total' "$WORK/client.log")
bad=0
for k in http4xx http5xx refused broken; do
  v=$(sed -E "s/.* $k=([0-9]+).*/\1/" <<<"$total")
  [[ "$v" == 0 ]] || { echo "FAIL: $k=$v"; bad=1; }
done
if [[ -z "$warm" || -z "$last" ]] || (( end_t < 170 )); then echo "FAIL: too short to judge memory (run at least 180 s)"; bad=1
elif (( last * 10 > warm * 11 )); then echo "FAIL: RSS grew more than 10 % after warm-up"; bad=1; fi
[[ $bad == 0 ]] && echo "PASS" || exit 1
