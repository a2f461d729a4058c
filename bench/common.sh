# Shared by the soak and fault scripts: a fresh PostgreSQL database, the release binary in
# dev mode (auto-approving provider) on a port in 18200-18299, and cleanup on exit.
# Source it after setting PORT; it defines start_app, psql_app, and the cleanup trap.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${BIN:-$ROOT/target/release/signin}"
CLIENT="${CLIENT:-$ROOT/target/release/examples/soak_client}"
PG_ADMIN_URL="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
DB="bench_$(basename "$0" .sh)_$$"
WORK="$(mktemp -d)"
BASE="http://127.0.0.1:$PORT"
APP_PID=""

for f in "$BIN" "$CLIENT"; do
  [[ -x "$f" ]] || { echo "missing $f: cargo build --release --bin signin --example soak_client" >&2; exit 2; }
done

OUT="${BENCH_OUT:-/tmp/signin-bench}/$(basename "$0" .sh)"
cleanup() {
  mkdir -p "$OUT" && cp "$WORK"/*.log "$OUT"/ 2>/dev/null || true
  if [[ -n "$APP_PID" ]] && kill -0 "$APP_PID" 2>/dev/null; then kill "$APP_PID"; wait "$APP_PID" 2>/dev/null || true; fi
  psql "$PG_ADMIN_URL" -qAtc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

psql "$PG_ADMIN_URL" -qAtc "CREATE DATABASE $DB" >/dev/null
DB_URL="${PG_ADMIN_URL%/*}/$DB"

psql_app() { psql "$DB_URL" -qAtc "$1"; }

# start_app: runs the service in the background (cwd = a temp dir for its dev keys), waits for
# /readyz. Rate limits are off: all load comes from one IP.
start_app() {
  (
    cd "$WORK"
    APP_ENV=development BIND_ADDR="127.0.0.1:$PORT" APP_BASE_URL="$BASE" DATABASE_URL="$DB_URL" \
    SECRET_KEY="$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
    ADMIN_EMAILS=admin@example.com RATE_LIMIT_PER_MINUTE=0 LOG_FORMAT=json RUST_LOG=warn \
    SHUTDOWN_TIMEOUT=30s exec "$BIN" serve --dev --dev-auto-approve >"$WORK/app.log" 2>&1
  ) &
  APP_PID=$!
  for _ in $(seq 1 100); do
    curl -fsS "$BASE/readyz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "the service did not become ready" >&2; cat "$WORK/app.log" >&2; exit 1
}

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$APP_PID/status"; }
