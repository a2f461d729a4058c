#!/usr/bin/env bash
# CSV export memory: seeds a fresh PostgreSQL database up to each size in SIZES, starts the
# release binary in dev mode on 127.0.0.1:18400, signs an admin in without a browser, then
# downloads GET /admin/users/export.csv twice per size (at full speed, and through a client
# limited to SLOW_RATE, which keeps the export open for seconds) while sampling the service's
# VmRSS from /proc every 20 ms. Prints the resident memory before, at the peak and after each
# download, the rows and the time, and writes them into docs/BENCHMARKS.md ("CSV export memory").
#
#   cargo build --release && bench/export.sh       # SIZES="10000 100000" SLOW_RATE=4M
set -euo pipefail
SIZES="${SIZES:-10000 100000}"
SLOW_RATE="${SLOW_RATE:-4M}"
PORT=18400
source "$(dirname "$0")/common.sh"

echo "== starting the service on $BASE"
start_app
sign_in_admin

mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

# download LABEL [CURL_ARGS…]: one export while sampling RSS; appends a table row.
rows=""
download() {
  local label="$1"; shift
  local before peak after t0 t1 secs lines bytes code sample
  before=$(rss_kib)
  peak=$before
  t0=$(date +%s.%N)
  curl -sS -o "$WORK/export.csv" -w '%{http_code}' -H "Cookie: $COOKIE" "$@" \
    "$BASE/admin/users/export.csv" >"$WORK/code.txt" &
  local curl_pid=$!
  while kill -0 "$curl_pid" 2>/dev/null; do
    sample=$(rss_kib)
    (( sample > peak )) && peak=$sample
    sleep 0.02
  done
  wait "$curl_pid"
  t1=$(date +%s.%N)
  code=$(cat "$WORK/code.txt")
  [[ "$code" == 200 ]] || { echo "$label: the export answered $code" >&2; exit 1; }
  secs=$(printf "%.2f" "$(echo "$t1 - $t0" | bc)")
  lines=$(($(wc -l <"$WORK/export.csv") - 1))
  bytes=$(stat -c %s "$WORK/export.csv")
  [[ "$lines" == "$total" ]] || { echo "$label: $lines rows, expected $total" >&2; exit 1; }
  sleep 1
  after=$(rss_kib)
  local growth=$((peak - before))
  echo "   $label: $lines rows, $(mib $((bytes / 1024))) MiB in ${secs} s; RSS before $(mib "$before") MiB, peak $(mib "$peak") MiB (+$(mib "$growth")), after $(mib "$after") MiB"
  rows+="| $total | $label | $(mib $((bytes / 1024))) | $secs | $(mib "$before") | $(mib "$peak") | **+$(mib "$growth")** | $(mib "$after") |"$'\n'
}

# Warm the path once (allocator arenas, the pool's connections, the templates) on a tiny list.
curl -sS -o /dev/null -H "Cookie: $COOKIE" "$BASE/admin/users/export.csv"

seeded=0
seed_log=""
for size in $SIZES; do
  more=$((size - seeded))
  echo "== seeding $more users (to $size)"
  start=$(date +%s.%N)
  ( cd "$WORK" && DATABASE_URL="$DB_URL" "$BIN" users seed --count "$more" ) 2>>"$WORK/seed.log"
  seed_log+="${seed_log:+; }$size: $(printf "%.1f" "$(echo "$(date +%s.%N) - $start" | bc)") s"
  seeded=$size
  total=$(psql_app "SELECT count(*) FROM users")
  echo "== exporting $total users"
  download "full speed"
  download "client at $SLOW_RATE/s" --limit-rate "$SLOW_RATE"
done

load=$(cut -d" " -f1-3 /proc/loadavg)
section=$(cat <<EOF
<!-- export-bench:start -->
## CSV export memory

$(measured_on curl)

\`\`\`
cargo build --release
SIZES="$SIZES" SLOW_RATE=$SLOW_RATE bench/export.sh
\`\`\`

What it does: creates a fresh PostgreSQL database; starts \`signin serve --dev --dev-auto-approve\`
on 127.0.0.1:$PORT with \`ADMIN_EMAILS=admin@example.com\` and signs the admin in with curl; warms
the export once on the empty list; then for each size seeds users up to it (\`signin users seed\`;
$seed_log) and downloads \`GET /admin/users/export.csv\` with curl twice: at full speed, and
with \`--limit-rate $SLOW_RATE\` (a slow client: the service may read a batch only when the previous
one has been sent). While curl runs, the script reads the service's \`VmRSS\` from
\`/proc/PID/status\` every 20 ms; *before* is just before the download, *after* one second after
it. Each row checks that the file has every user. Load average at the end: $load.

The export reads 1,000 users a query (keyset on the id) and hands each batch to the connection
as one chunk; the peak growth stays near a few batches whatever the number of rows, where a
buffered answer would grow with the file (the CSV of 100,000 users is about 14 MiB).

| users | client | CSV MiB | seconds | RSS before MiB | RSS peak MiB | peak growth MiB | RSS after MiB |
|---:|---|---:|---:|---:|---:|---:|---:|
${rows}
The service log: \`$OUT/\`.
<!-- export-bench:end -->
EOF
)
write_section export-bench "$section"
