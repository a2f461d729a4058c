#!/usr/bin/env bash
# Builds the Debian package from the release binary already built (never rebuilds it), checks
# what it holds (binary, unit, env template as a conffile, modes, maintainer scripts), unpacks it
# and runs the unpacked binary's `check-config` on the packaged env template: as shipped it must
# name each value a deployer has to fill in, and once those are filled it must pass.
# Run by .ci/run after `cargo build --release`; cargo-deb is installed only when missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

fail() { printf 'deb check: %b\n' "$*" >&2; exit 1; }

[ -x target/release/signin ] || fail "no target/release/signin: run cargo build --release --locked first"
if ! command -v cargo-deb >/dev/null 2>&1; then cargo install --locked cargo-deb; fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --no-build: package target/release/signin as it is (cargo-deb would otherwise run cargo build).
cargo deb --no-build --quiet --output "$work/"
deb=$(ls "$work"/*.deb)
echo "deb check: built $(basename "$deb") ($(du -h "$deb" | cut -f1))"

# The control file: our package, glibc and adduser, never libpq or OpenSSL.
control=$(dpkg-deb --field "$deb")
depends=$(dpkg-deb --field "$deb" Depends)
[ "$(dpkg-deb --field "$deb" Package)" = signin ] || fail "package name: $control"
grep -q 'libc6' <<<"$depends" || fail "Depends lacks libc6: $depends"
grep -q 'adduser' <<<"$depends" || fail "Depends lacks adduser (postinst uses it): $depends"
if grep -Eq 'libpq|libssl' <<<"$depends"; then fail "Depends names a library the binary should contain: $depends"; fi

# The env template is a conffile: dpkg keeps an edited copy on upgrade.
dpkg-deb --ctrl-tarfile "$deb" | tar -xf - -C "$work" ./conffiles ./postinst ./prerm ./postrm \
  || fail "maintainer scripts or conffiles missing from the control archive"
grep -qx '/etc/signin/signin.env' "$work/conffiles" || fail "conffiles: $(cat "$work/conffiles")"
for s in postinst prerm postrm; do
  [ -x "$work/$s" ] || fail "$s is not executable"
  sh -n "$work/$s" || fail "$s: shell syntax"
done
grep -q 'adduser --quiet --system' "$work/postinst" || fail "postinst does not create the user"
grep -q 'chmod 0640' "$work/postinst" || fail "postinst does not set the env file's mode"

# Contents and modes, as dpkg will install them.
listing=$(dpkg-deb --contents "$deb")
expect() { # expect MODE PATH
  grep -Eq "^$1 (root/root|0/0) +[0-9]+ [0-9-]+ [0-9:]+ \./$2\$" <<<"$listing" \
    || fail "expected $1 root/root ./$2 in:\n$listing"
}
expect '-rwxr-xr-x' 'usr/bin/signin'
expect '-rw-r--r--' 'lib/systemd/system/signin.service'
expect '-rw-r-----' 'etc/signin/signin.env'

# The unpacked files.
root="$work/root"
dpkg-deb -x "$deb" "$root"
bin="$root/usr/bin/signin"
"$bin" --version >/dev/null || fail "the packaged binary does not run"
if ldd "$bin" | grep -Ei 'libpq|libssl|libcrypto'; then fail "the packaged binary links the libraries above"; fi
unit="$root/lib/systemd/system/signin.service"
for line in 'User=signin' 'StateDirectory=signin' 'WorkingDirectory=/var/lib/signin' \
  'EnvironmentFile=/etc/signin/signin.env' 'ExecStartPre=/usr/bin/signin migrate' \
  'ExecStart=/usr/bin/signin serve' 'ProtectSystem=strict' 'NoNewPrivileges=yes' \
  'CapabilityBoundingSet=' 'MemoryDenyWriteExecute=yes' 'SystemCallFilter=@system-service'; do
  grep -qx "$line" "$unit" || fail "the unit lacks $line"
done
if command -v systemd-analyze >/dev/null 2>&1; then
  # Offline (no running systemd needed): every directive parses, and the exposure score stays
  # "OK" (2.0 or less on systemd's 0-10 scale; --threshold counts tenths).
  if ! out=$(systemd-analyze security --offline=true --root="$root" --threshold=20 signin.service 2>&1); then
    fail "the unit's exposure is above 2.0 (or it does not load):\n$out"
  fi
  if grep -Ei 'unknown|failed to parse|ignoring' <<<"$out"; then fail "systemd did not take the unit as written"; fi
  echo "deb check: systemd-analyze security: ${out##*$'\n'}"
fi

# check-config against the packaged template, read as systemd's EnvironmentFile= reads simple
# lines (KEY=value; `#` and `;` lines are comments), with nothing else in the environment.
env_file="$root/etc/signin/signin.env"
template_env=()
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in '' | '#'* | ';'*) continue ;; esac
  [[ "$line" == *=* ]] || fail "signin.env: not KEY=value: $line"
  template_env+=("$line")
done <"$env_file"
run_check() { (cd "$work" && env -i "${template_env[@]}" "$@" "$bin" check-config 2>&1); }

if out=$(run_check); then fail "check-config passed on the unfilled template:\n$out"; fi
for key in APP_BASE_URL SECRET_KEY GOOGLE_CLIENT_ID GOOGLE_CLIENT_SECRET; do
  grep -q "$key" <<<"$out" || fail "check-config on the template does not name $key:\n$out"
done
echo "deb check: the unfilled template is refused, naming what to fill in"

key=$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')
if ! out=$(run_check APP_BASE_URL=https://signin.example.com SECRET_KEY="$key" \
  GOOGLE_CLIENT_ID=client.apps.googleusercontent.com GOOGLE_CLIENT_SECRET=not-a-real-secret); then
  fail "check-config refused the template with the required values filled in:\n$out"
fi
echo "deb check: the packaged binary accepts the template once filled in: ${out%%$'\n'*}"
