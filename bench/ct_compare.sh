#!/usr/bin/env bash
# The callback's `state` comparison takes the same work wherever a wrong state differs.
# Counts instructions with callgrind (repeatable, unlike a timer) for a wrong state that
# differs in its first byte and one that differs in its last byte: the service's comparison
# must spend the same count for both; a plain `==` (run as a self-check) must not.
#
#   cargo build --release --example ct_compare && bench/ct_compare.sh [ROUNDS]
#   (CI runs the debug build: EX=target/debug/examples/ct_compare bench/ct_compare.sh 20000)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EX="${EX:-$ROOT/target/release/examples/ct_compare}"
[[ -x "$EX" ]] || { echo "missing $EX: cargo build --release --example ct_compare" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 2; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

count() { # where [--naive]
  valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.out" "$EX" "$@" "$rounds" 2>"$WORK/vg.log" >/dev/null
  sed -nE 's/.*Collected : ([0-9]+).*/\1/p' "$WORK/vg.log"
}

rounds="${1:-200000}"
ct_first=$(count first); ct_last=$(count last)
naive_first=$(count first --naive); naive_last=$(count last --naive)
ct_diff=$(( ct_last > ct_first ? ct_last - ct_first : ct_first - ct_last ))
naive_diff=$(( naive_last > naive_first ? naive_last - naive_first : naive_first - naive_last ))
printf '%-28s %14s %14s %10s\n' "comparison ($rounds rounds)" "first byte" "last byte" "diff"
printf '%-28s %14s %14s %10s\n' "state_matches (subtle)" "$ct_first" "$ct_last" "$ct_diff"
printf '%-28s %14s %14s %10s\n' "== (self-check)" "$naive_first" "$naive_last" "$naive_diff"
# Less than one instruction per 100 comparisons apart: program start-up noise, not the compare.
ok=1
(( ct_diff * 100 < rounds )) || { echo "FAIL: state_matches depends on where the states differ"; ok=0; }
(( naive_diff * 100 >= rounds )) || { echo "FAIL: the self-check could not see a plain == (the method is blind)"; ok=0; }
(( ok )) && echo PASS || exit 1
