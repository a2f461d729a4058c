#!/usr/bin/env bash
# cargo deny check (advisories, bans, licenses, sources) against deny.toml.
# The advisory database is fetched from GitHub when that is reachable; otherwise the snapshot in
# deny/advisory-db.tar.gz is used (deny.toml's maximum-db-staleness bounds its age).
set -euo pipefail
cd "$(dirname "$0")/.."
db_root=target/advisory-dbs
# cargo-deny's directory name for https://github.com/rustsec/advisory-db
db_dir="$db_root/advisory-db-3157b0e258782691"
mkdir -p "$db_root"

cargo metadata --format-version 1 --locked > target/deny-metadata.json

if ! timeout 60 cargo deny fetch db >/dev/null 2>&1; then
  echo "deny: the RustSec database cannot be fetched; using deny/advisory-db.tar.gz"
  snapshot_date=$(tr -d '\n' < deny/advisory-db.date)
  rm -rf "$db_dir"
  mkdir -p "$db_dir"
  tar -xzf deny/advisory-db.tar.gz -C "$db_dir"
  (
    cd "$db_dir"
    git init -q
    git add -A
    GIT_AUTHOR_DATE="$snapshot_date" GIT_COMMITTER_DATE="$snapshot_date" \
      git -c user.name=snapshot -c user.email=snapshot@localhost commit -qm "RustSec advisory-db snapshot"
  )
fi

cargo deny --offline --metadata-path target/deny-metadata.json check \
  advisories bans licenses sources
