#!/usr/bin/env bash
# Renews deny/advisory-db.tar.gz from a clone of https://github.com/rustsec/advisory-db
# (run where GitHub is reachable): deny/refresh-advisories.sh [PATH-TO-CLONE]
set -euo pipefail
cd "$(dirname "$0")/.."
src=${1:-}
if [ -z "$src" ]; then
  src=$(mktemp -d)
  git clone --depth 1 https://github.com/rustsec/advisory-db "$src"
fi
git -C "$src" archive --format=tar HEAD crates rust LICENSE.txt README.md | gzip -9 > deny/advisory-db.tar.gz
git -C "$src" log -1 --format=%cI > deny/advisory-db.date
echo "deny/advisory-db.tar.gz: $(git -C "$src" rev-parse HEAD), $(cat deny/advisory-db.date)"
