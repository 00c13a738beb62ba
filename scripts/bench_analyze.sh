#!/usr/bin/env bash
# bench_analyze.sh: throughput of `lockmatrix analyze` (parse, split,
# classify, predict on every major, JSON output) on the shared corpora, repeated to
# make the measured time long enough. Prints one line:
#   analyze: N statements x V versions in T s: R statements/s
#
#   scripts/bench_analyze.sh [ROUNDS]      (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/versions.sh
source scripts/versions.sh
LM=${LM:-./lockmatrix}
CORPORA=${CORPORA:-/work/shared/corpora}
rounds=${1:-20}
paths=()
for _ in $(seq 1 "$rounds"); do
    paths+=("$CORPORA/synapse/up" "$CORPORA/supabase_auth/up")
done
# the statement count, from analyze itself
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
"$LM" analyze --format json "${paths[@]}" >"$tmp"
n=$(sqlite3 :memory: "SELECT json_array_length(readfile('$tmp'), '\$.statements')")
best=""
for _ in 1 2 3; do
    start=$(date +%s%N)
    "$LM" analyze --format json "${paths[@]}" >/dev/null
    end=$(date +%s%N)
    ns=$((end - start))
    if [ -z "$best" ] || [ "$ns" -lt "$best" ]; then best=$ns; fi
done
awk -v n="$n" -v ns="$best" -v nv="${#PG_VERSIONS[@]}" 'BEGIN {
    printf "analyze: %d statements x %d versions in %.3f s: %.0f statements/s\n", n, nv, ns / 1e9, n / (ns / 1e9) }'
