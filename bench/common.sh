# Shared by the soak and fault scripts: a fresh PostgreSQL database, the release binary in
# dev mode (auto-approving provider) on a port in 18200-18299, and cleanup on exit.
# Source it after setting PORT; it defines start_app, psql_app, and the cleanup trap.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${BIN:-$ROOT/target/release/signin}"
CLIENT="${CLIENT:-$ROOT/target/release/examples/soak_client}"
PROVIDER="${PROVIDER:-$ROOT/target/release/examples/standalone_provider}"
PG_ADMIN_URL="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
DB="bench_$(basename "$0" .sh)_$$"
WORK="$(mktemp -d)"
BASE="http://127.0.0.1:$PORT"
APP_PID=""
PROVIDER_PID=""

for f in "$BIN" "$CLIENT" "$PROVIDER"; do
  [[ -x "$f" ]] || { echo "missing $f: cargo build --release --bin signin; cargo build --release --example soak_client --example standalone_provider" >&2; exit 2; }
done

OUT="${BENCH_OUT:-/tmp/signin-bench}/$(basename "$0" .sh)"
cleanup() {
  mkdir -p "$OUT" && cp "$WORK"/*.log "$OUT"/ 2>/dev/null || true
  if [[ -n "$APP_PID" ]] && kill -0 "$APP_PID" 2>/dev/null; then kill "$APP_PID"; wait "$APP_PID" 2>/dev/null || true; fi
  if [[ -n "$PROVIDER_PID" ]]; then kill "$PROVIDER_PID" 2>/dev/null || true; wait "$PROVIDER_PID" 2>/dev/null || true; fi
  psql "$PG_ADMIN_URL" -qAtc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

psql "$PG_ADMIN_URL" -qAtc "CREATE DATABASE $DB" >/dev/null
DB_URL="${PG_ADMIN_URL%/*}/$DB"

psql_app() { psql "$DB_URL" -qAtc "$1"; }

# With EXTERNAL_PROVIDER=1, the provider runs as its own process on PORT+50 and the service
# uses it as it would use Google (no --dev); otherwise `serve --dev --dev-auto-approve`.
PROVIDER_PORT=$((PORT + 50))
start_provider() {
  "$PROVIDER" "$PROVIDER_PORT" "$BASE/auth/google/callback" >"$WORK/provider.log" 2>&1 &
  PROVIDER_PID=$!
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$PROVIDER_PORT/jwks" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "the provider did not start" >&2; cat "$WORK/provider.log" >&2; exit 1
}

# start_app: runs the service in the background (cwd = a temp dir for its dev keys), waits for
# /readyz. Rate limits are off: all load comes from one IP.
start_app() {
  local p="http://127.0.0.1:$PROVIDER_PORT"
  if [[ "${EXTERNAL_PROVIDER:-0}" == 1 ]]; then
    start_provider
    SERVE_ARGS=()
    export GOOGLE_CLIENT_ID=bench-client GOOGLE_CLIENT_SECRET=bench-secret GOOGLE_ISSUER="$p" \
      GOOGLE_AUTH_URL="$p/authorize" GOOGLE_TOKEN_URL="$p/token" \
      GOOGLE_USERINFO_URL="$p/userinfo" GOOGLE_JWKS_URL="$p/jwks"
  else
    SERVE_ARGS=(--dev --dev-auto-approve)
  fi
  (
    cd "$WORK"
    APP_ENV=development BIND_ADDR="127.0.0.1:$PORT" APP_BASE_URL="$BASE" DATABASE_URL="$DB_URL" \
    SECRET_KEY="$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
    ADMIN_EMAILS=admin@example.com RATE_LIMIT_PER_MINUTE=0 LOG_FORMAT=json RUST_LOG="${RUST_LOG:-warn}" \
    SHUTDOWN_TIMEOUT=30s exec "$BIN" serve "${SERVE_ARGS[@]}" >"$WORK/app.log" 2>&1
  ) &
  APP_PID=$!
  for _ in $(seq 1 100); do
    curl -fsS "$BASE/readyz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "the service did not become ready" >&2; cat "$WORK/app.log" >&2; exit 1
}

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$APP_PID/status"; }
