#!/usr/bin/env bash
# Times fetching one more minor release into the cache (`lockmatrix pg fetch
# 17.9`: npm view, npm pack, unpack, into place), each repetition into a fresh
# private cache, and tracing fixtures/cases on two releases of 17 side by side
# (17.9 fetched, 17.10 the default build). Medians of BENCH_REPS (default 3).
#
#   scripts/bench_minors.sh [RELEASE]     (default 17.9)
set -uo pipefail
cd "$(dirname "$0")/.."
REPS=${BENCH_REPS:-3}
REL=${1:-17.9}
make -s lockmatrix >/dev/null
tmp=$(mktemp -d /tmp/lm_bench_minors.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=scripts/bench_lib.sh
source scripts/bench_lib.sh
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1 || { echo fail; return; }; t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'; }

bin17=$(./lockmatrix pg | awk '$1 == "17" { print $5 }')
echo "## Minor releases side by side"
for r in $(seq 1 "$REPS"); do
    LOCKMATRIX_CACHE="$tmp/c$r" secs ./lockmatrix pg fetch "$REL"
done | median | awk -v rel="$REL" '{ printf "  pg fetch %s (npm registry to the cache): %s s (median)\n", rel, $1 }'
if [ -n "$bin17" ]; then
    for r in $(seq 1 "$REPS"); do
        LOCKMATRIX_CACHE="$tmp/c1" secs ./lockmatrix run -q -V "$REL,17.10" --pg-bin "17=$bin17" \
            -d "$tmp/r$r.db" fixtures/cases
    done | median | awk -v rel="$REL" -v n="$(ls fixtures/cases/*.sql | wc -l)" \
        '{ printf "  run -V %s,17.10 fixtures/cases (%d cases): %s s (median)\n", rel, n, $1 }'
fi
