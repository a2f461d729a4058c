#!/usr/bin/env bash
# The service vs a bare actix-web handler of ours, on this machine, in one run (docs/BENCHMARKS.md).
#
#   bench/run.sh            # defaults below; override with the environment, e.g. DURATION=20
#
# Builds in release; starts the service on a fresh PostgreSQL database (dropped at the end) with
# `serve --dev --dev-auto-approve` on 127.0.0.1:18000 and the baseline (examples/baseline.rs) on
# 127.0.0.1:18001; then, alternating baseline and service runs with wrk:
#   (a) GET / with a valid session cookie   (b) GET /api/me with a Bearer token
#   (c) anonymous GET /login                (d) complete sign-ins per second (bench_client)
#   (e) RSS idle and under load             (f) start → /readyz 200, migrations already applied
set -euo pipefail
DURATION=${DURATION:-10}            # seconds per wrk run
CONNECTIONS=${CONNECTIONS:-32}      # wrk connections
THREADS=${THREADS:-1}               # wrk threads (the load tool shares the 2 cores)
ROUNDS=${ROUNDS:-2}                 # alternations of baseline/service per case
SIGNIN_CONCURRENCY=${SIGNIN_CONCURRENCY:-16}
READY_RUNS=${READY_RUNS:-5}
PORT=18000
BASELINE=127.0.0.1:18001

for tool in wrk psql curl; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required (apt-get install wrk postgresql-client curl)" >&2; exit 1; }
done

BUILD=1 EXAMPLES=(BASE_BIN:baseline CLIENT:bench_client) SERVICE_ENV=() KEEP_LOGS=0
source "$(dirname "$0")/common.sh"
# Exported, so that the runs of (f) below, which start the binary themselves, log alike.
export RUST_LOG=${RUST_LOG:-info}
cd "$WORK"   # dev mode keeps its provider key in ./data

echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# wrk: $THREADS thread(s), $CONNECTIONS connections, ${DURATION}s per run, $ROUNDS rounds"

"$BIN" migrate >/dev/null

# (f) start → ready, migrations applied; the binary is started by bench_client, which polls.
ready_ms=()
for _ in $(seq "$READY_RUNS"); do
  out=$("$CLIENT" ready "$BASE/readyz" -- "$BIN" serve --dev --dev-auto-approve)
  ready_ms+=("$(sed -n 's/^ready_ms=//p' <<<"$out")")
  pid=$(sed -n 's/^pid=//p' <<<"$out")
  kill "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
done
ready_median=$(printf '%s\n' "${ready_ms[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')

start_app
"$BASE_BIN" "$BASELINE" >/dev/null 2>&1 &
stop_at_exit $!
wait_for "http://$BASELINE/" "the baseline" /dev/null
credentials
# Sanity: the credentials work, so that the runs measure the signed-in path.
curl -fs -H "Cookie: $COOKIE" "$BASE/" | grep -q 'class="card profile"' || { echo "bench: cookie not accepted" >&2; exit 1; }
curl -fs -H "Authorization: Bearer $TOKEN" "$BASE/api/me" | grep -q '"via":"bearer"' || { echo "bench: token not accepted" >&2; exit 1; }

sleep 1
rss_idle=$(rss_kib)

# Peak RSS while loaded (VmHWM also covers start-up; the sampler shows the loaded level).
( peak=0; while kill -0 "$APP_PID" 2>/dev/null; do
    r=$(awk '/VmRSS/ {print $2}' "/proc/$APP_PID/status" 2>/dev/null || echo 0)
    [ "${r:-0}" -gt "$peak" ] && peak=$r && echo "$peak" >"$WORK/rss_peak"
    sleep 0.2
  done ) &
stop_at_exit $!

# wrk URL [HEADER] → "req_per_s p50_ms p99_ms non2xx"
run_wrk() {
  local url=$1; shift
  local out
  if [ $# -gt 0 ]; then
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "$1" "$url")
  else
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$url")
  fi
  awk '
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    /^ +50%/ {p50=ms($2)} /^ +99%/ {p99=ms($2)}
    /^Requests\/sec/ {rps=$2} /Non-2xx/ {bad=$NF}
    END {printf "%.0f %.3f %.3f %d\n", rps, p50, p99, bad+0}' <<<"$out"
}

declare -A SUM_RPS SUM_P50 SUM_P99 SUM_BASE SUM_RATIO
cases=(a b c)
declare -A URL=([a]="$BASE/" [b]="$BASE/api/me" [c]="$BASE/login")
declare -A HDR=([a]="Cookie: $COOKIE" [b]="Authorization: Bearer $TOKEN" [c]="")
declare -A NAME=([a]="(a) GET / signed in (cookie)" [b]="(b) GET /api/me (Bearer)" [c]="(c) GET /login anonymous")

for round in $(seq "$ROUNDS"); do
  for c in "${cases[@]}"; do
    read -r brps bp50 bp99 _ < <(run_wrk "http://$BASELINE/")
    if [ -n "${HDR[$c]}" ]; then
      read -r rps p50 p99 bad < <(run_wrk "${URL[$c]}" "${HDR[$c]}")
    else
      read -r rps p50 p99 bad < <(run_wrk "${URL[$c]}")
    fi
    [ "$bad" = 0 ] || { echo "bench: $bad non-2xx answers in case $c" >&2; exit 1; }
    ratio=$(awk -v a="$rps" -v b="$brps" 'BEGIN {printf "%.3f", a/b}')
    echo "# round $round ${NAME[$c]}: $rps req/s p50 ${p50}ms p99 ${p99}ms | baseline $brps req/s p50 ${bp50}ms p99 ${bp99}ms | ratio $ratio"
    SUM_RPS[$c]=$(awk -v s="${SUM_RPS[$c]:-0}" -v x="$rps" 'BEGIN {print s+x}')
    SUM_P50[$c]=$(awk -v s="${SUM_P50[$c]:-0}" -v x="$p50" 'BEGIN {print s+x}')
    SUM_P99[$c]=$(awk -v s="${SUM_P99[$c]:-0}" -v x="$p99" 'BEGIN {print s+x}')
    SUM_BASE[$c]=$(awk -v s="${SUM_BASE[$c]:-0}" -v x="$brps" 'BEGIN {print s+x}')
    SUM_RATIO[$c]=$(awk -v s="${SUM_RATIO[$c]:-0}" -v x="$ratio" 'BEGIN {print s+x}')
  done
done

# (d) complete sign-ins, each a new user (auto-approve on login_hint).
signins=$("$CLIENT" signins "$BASE" "$SIGNIN_CONCURRENCY" "$DURATION")
echo "# sign-ins: $signins"
rss_hwm=$(awk '/VmHWM/ {print $2}' "/proc/$APP_PID/status")
rss_peak=$(cat "$WORK/rss_peak" 2>/dev/null || echo 0)

echo
echo "| measure | service req/s | p50 ms | p99 ms | baseline req/s | ratio | target |"
echo "|---|---:|---:|---:|---:|---:|---|"
for c in "${cases[@]}"; do
  awk -v n="${NAME[$c]}" -v r="${SUM_RPS[$c]}" -v p5="${SUM_P50[$c]}" -v p9="${SUM_P99[$c]}" \
      -v b="${SUM_BASE[$c]}" -v q="${SUM_RATIO[$c]}" -v k="$ROUNDS" -v c="$c" 'BEGIN {
    t = (c == "c") ? "—" : ((q/k >= 0.5) ? "≥ 0.5× met" : "≥ 0.5× MISSED");
    printf "| %s | %.0f | %.2f | %.2f | %.0f | %.2f× | %s |\n", n, r/k, p5/k, p9/k, b/k, q/k, t }'
done
awk -v s="$signins" 'BEGIN {
  split(s, f, " "); for (i in f) { split(f[i], kv, "="); v[kv[1]] = kv[2] }
  printf "| (d) complete sign-ins (new user each) | %.0f | %.2f | %.2f | — | — | %s |\n", v["per_sec"], v["p50_ms"], v["p99_ms"], (v["per_sec"] >= 1500) ? "≥ 1,500/s met" : "≥ 1,500/s MISSED" }'
awk -v i="$rss_idle" -v p="$rss_peak" -v h="$rss_hwm" 'BEGIN {
  printf "| (e) RSS idle / under load (peak sampled) / VmHWM | %.1f MB / %.1f MB / %.1f MB | | | | | %s |\n", i/1024, p/1024, h/1024, (h/1024 <= 64) ? "≤ 64 MB met" : "≤ 64 MB MISSED" }'
awk -v r="$ready_median" -v all="${ready_ms[*]}" 'BEGIN {
  printf "| (f) start → /readyz 200 (median of runs: %s ms) | %.1f ms | | | | | %s |\n", all, r, (r <= 200) ? "≤ 200 ms met" : "≤ 200 ms MISSED" }'
echo
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
