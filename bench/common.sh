# shellcheck shell=bash
# The set-up every bench script shares: the release binary (and the examples the script runs),
# a fresh PostgreSQL database dropped at exit, the service in dev mode on 127.0.0.1:PORT with
# the auto-approving provider, and cleanup on exit.
#
# Set before sourcing:
#   PORT         the service's port (required)
#   EXAMPLES     the examples the script runs, as VAR:name (e.g. CLIENT:soak_client): VAR holds
#                target/release/examples/name unless the environment sets it; default none
#                (PROVIDER:standalone_provider is added with EXTERNAL_PROVIDER=1)
#   BUILD=1      build the binary and those examples first, unless BIN is given
#   SERVICE_ENV  extra environment of the service (default: ADMIN_EMAILS=admin@example.com,
#                JSON logs at RUST_LOG or warn, SHUTDOWN_TIMEOUT=30s)
#   KEEP_LOGS=0  do not copy $WORK's *.log and *.txt to $OUT at exit
# It defines ROOT, BIN, DB, DB_URL, WORK, BASE, OUT, the service's environment (exported, so
# that `$BIN migrate` or a client that starts the binary sees the same), and start_app,
# wait_for, stop_at_exit, psql_app, rss_kib, credentials, sign_in_admin, measured_on, write_section.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_ADMIN_URL="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
BASE="http://127.0.0.1:$PORT"
DB="bench_$(basename "$0" .sh)_$$"
OUT="${BENCH_OUT:-/tmp/signin-bench}/$(basename "$0" .sh)"
[[ -n "${EXAMPLES+x}" ]] || EXAMPLES=()
[[ "${EXTERNAL_PROVIDER:-0}" == 1 ]] && EXAMPLES+=(PROVIDER:standalone_provider)
[[ -n "${SERVICE_ENV+x}" ]] || SERVICE_ENV=(ADMIN_EMAILS=admin@example.com LOG_FORMAT=json
  "RUST_LOG=${RUST_LOG:-warn}" SHUTDOWN_TIMEOUT=30s)

# The binary is built on its own: built together with an example it would get the test-only
# dev-faults feature (the examples pull in the dev-dependencies, and Cargo unifies features per
# build).
names=()
paths=()
for e in "${EXAMPLES[@]}"; do
  var="${e%%:*}"
  names+=(--example "${e#*:}")
  [[ -n "${!var:-}" ]] || printf -v "$var" '%s' "$ROOT/target/release/examples/${e#*:}"
  paths+=("${!var}")
done
if [[ "${BUILD:-0}" == 1 && -z "${BIN:-}" ]]; then
  (cd "$ROOT" && cargo build --release --quiet --bin signin)
  if (( ${#names[@]} )); then (cd "$ROOT" && cargo build --release --quiet "${names[@]}"); fi
fi
BIN="${BIN:-$ROOT/target/release/signin}"
build="cargo build --release --bin signin"
(( ${#names[@]} )) && build+="; cargo build --release ${names[*]}"
for f in "$BIN" "${paths[@]}"; do
  [[ -x "$f" ]] || { echo "missing $f: $build" >&2; exit 2; }
done
unset names paths build

WORK="$(mktemp -d)"
APP_PID=""
PROVIDER_PID=""
OTHER_PIDS=()
# stop_at_exit PID: another background process to stop at exit.
stop_at_exit() { OTHER_PIDS+=("$1"); }
cleanup() {
  if [[ "${KEEP_LOGS:-1}" != 0 ]]; then
    mkdir -p "$OUT" || true
    cp "$WORK"/*.log "$WORK"/*.txt "$OUT"/ 2>/dev/null || true
  fi
  local pids=("${OTHER_PIDS[@]}" "$APP_PID" "$PROVIDER_PID") p
  for p in "${pids[@]}"; do if [[ -n "$p" ]]; then kill "$p" 2>/dev/null || true; fi; done
  for p in "${pids[@]}"; do if [[ -n "$p" ]]; then wait "$p" 2>/dev/null || true; fi; done
  psql "$PG_ADMIN_URL" -qAtc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

psql "$PG_ADMIN_URL" -qAtc "CREATE DATABASE $DB" >/dev/null
# PG_ADMIN_URL with the new database's name as its path (a query string is kept).
DB_URL="${PG_ADMIN_URL%%\?*}"
DB_URL="${DB_URL%/*}/$DB"
[[ "$PG_ADMIN_URL" == *\?* ]] && DB_URL+="?${PG_ADMIN_URL#*\?}"

psql_app() { psql "$DB_URL" -qAtc "$1"; }

# Rate limits are off: all load comes from one IP.
export APP_ENV=development BIND_ADDR="127.0.0.1:$PORT" APP_BASE_URL="$BASE" DATABASE_URL="$DB_URL" \
  RATE_LIMIT_PER_MINUTE=0
SECRET_KEY="$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export SECRET_KEY

# wait_for URL WHAT LOG [SECONDS]: until URL answers 2xx (default 10 s), else says WHAT did not
# start, shows LOG and exits.
wait_for() {
  local deadline=$((SECONDS + ${4:-10}))
  while (( SECONDS < deadline )); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$2 did not become ready" >&2; cat "$3" >&2; exit 1
}

# With EXTERNAL_PROVIDER=1, the provider runs as its own process on PORT+50 and the service
# uses it as it would use Google (no --dev); otherwise `serve --dev --dev-auto-approve`.
PROVIDER_PORT=$((PORT + 50))
start_provider() {
  "$PROVIDER" "$PROVIDER_PORT" "$BASE/auth/google/callback" >"$WORK/provider.log" 2>&1 &
  PROVIDER_PID=$!
  wait_for "http://127.0.0.1:$PROVIDER_PORT/jwks" "the provider" "$WORK/provider.log"
}

# start_app [WRAPPER…]: runs the service in the background (cwd = $WORK, for its dev keys),
# under WRAPPER if given (e.g. valgrind), and waits for /readyz (READY_SECONDS, default 10).
# shellcheck disable=SC2120 # the wrapper is optional
start_app() {
  local p="http://127.0.0.1:$PROVIDER_PORT"
  local serve_args=(--dev --dev-auto-approve)
  if [[ "${EXTERNAL_PROVIDER:-0}" == 1 ]]; then
    start_provider
    serve_args=()
    export GOOGLE_CLIENT_ID=bench-client GOOGLE_CLIENT_SECRET=bench-secret GOOGLE_ISSUER="$p" \
      GOOGLE_AUTH_URL="$p/authorize" GOOGLE_TOKEN_URL="$p/token" \
      GOOGLE_USERINFO_URL="$p/userinfo" GOOGLE_JWKS_URL="$p/jwks"
  fi
  (
    cd "$WORK"
    exec env "${SERVICE_ENV[@]}" "$@" "$BIN" serve "${serve_args[@]}" >"$WORK/app.log" 2>&1
  ) &
  APP_PID=$!
  wait_for "$BASE/readyz" "the service" "$WORK/app.log" "${READY_SECONDS:-10}"
}

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$APP_PID/status"; }

# credentials: COOKIE and TOKEN of one person signed in through the real flow (bench_client).
credentials() {
  local creds
  creds=$("$CLIENT" credentials "$BASE")
  COOKIE=$(sed -n 's/^COOKIE=//p' <<<"$creds")
  TOKEN=$(sed -n 's/^TOKEN=//p' <<<"$creds")
  [[ -n "$COOKIE" && -n "$TOKEN" ]] || { echo "bench: could not sign in for credentials" >&2; exit 1; }
}

# sign_in_admin: COOKIE of admin@example.com, signed in with curl (the dev provider approves a
# login_hint at once) and landed on /admin/users.
sign_in_admin() {
  echo "== signing admin@example.com in (dev provider, auto-approved login_hint)"
  local jar="$WORK/cookies.jar"  # not kept with the logs: it holds a session
  local to_provider to_callback landing
  hop() { curl -sS -o /dev/null -w '%{redirect_url}' -b "$jar" -c "$jar" "$1"; }
  to_provider=$(hop "$BASE/auth/google/login?login_hint=admin@example.com&next=/admin/users")
  to_callback=$(hop "$to_provider")
  landing=$(hop "$to_callback")
  [[ "$landing" == "$BASE/admin/users" ]] || { echo "sign-in did not complete (ended at '$landing')" >&2; exit 1; }
  COOKIE="session=$(awk '$6 == "session" {print $7}' "$jar")"
}

# measured_on TOOL: the first sentence of a BENCHMARKS.md section: this script, today, this machine.
measured_on() {
  local cpu pgv
  cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
  pgv=$(psql_app "SHOW server_version")
  # shellcheck disable=SC2016 # the backquotes are Markdown
  printf 'Measured by `bench/%s` on %s (%s cores, %s; PostgreSQL %s, on the\n' \
    "$(basename "$0")" "$(date -u +%Y-%m-%d)" "$(nproc)" "$cpu" "$pgv"
  printf 'same machine as the service and %s; other work was running on the machine at the same time).' "$1"
}

# write_section NAME TEXT: TEXT (which opens with <!-- NAME:start --> and ends with
# <!-- NAME:end -->) replaces that section of docs/BENCHMARKS.md, or is appended to it.
write_section() {
  local doc="$ROOT/docs/BENCHMARKS.md"
  # shellcheck disable=SC2016 # the backquotes are Markdown
  [[ -f "$doc" ]] || printf '# Benchmarks\n\nEvery figure here comes from a script under `bench/`, with the exact command.\n\n' >"$doc"
  if grep -q "<!-- $1:start -->" "$doc"; then
    python3 - "$doc" "$1" "$2" <<'PY'
import sys, re
path, name, section = sys.argv[1:4]
text = open(path).read()
text = re.sub(rf"<!-- {name}:start -->.*?<!-- {name}:end -->", lambda _: section, text, flags=re.S)
open(path, "w").write(text)
PY
  else
    printf '\n%s\n' "$2" >>"$doc"
  fi
  echo "== results written to $doc"
}
