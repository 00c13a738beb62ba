#!/usr/bin/env bash
# bench_phases.sh: the cost of holding a statement's whole family on the
# observer path (runner/trace/observer.c, tracer_run_observed) against holding its target
# alone, as before the holders (TracerOpts.target_only).
#   - per class of statement that cannot run in a transaction block, on fresh
#     tables with two indexes and a TOAST table (partitioned: two levels):
#     the median wall time of tracing it, both ways alternated
#     (tests/unit/test_tracer.c, LM_BENCH_OBSERVED), on BENCH_PHASE_VERSIONS
#     (default: the newest installed version);
#   - with BENCH_BASE_LM=<an older lockmatrix binary>: the fixture matrix at
#     -j 2 with both binaries, alternated, medians of BENCH_REPS (default 3)
#     (without it, scripts/bench.sh's figure for this binary is the one).
# Prints e.g.
#   observed on 17: VACUUM     median 49.6 ms with the holders, 45.3 ms the target alone: 1.10x
#   fixture matrix -j 2: 432.8 s this binary, 420.1 s base: 1.03x
set -uo pipefail
cd "$(dirname "$0")/.."
LM=${LM:-./lockmatrix}
REPS=${BENCH_REPS:-3}
VERSIONS=${BENCH_PHASE_VERSIONS:-$("$LM" pg 2>/dev/null | awk 'NR > 1 && $1 ~ /^[0-9]+$/ { v = $1 } END { print v }')}
tmp=$(mktemp -d /tmp/lm_bench_phases.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# shellcheck source=scripts/bench_lib.sh
source scripts/bench_lib.sh

echo "## The observer path: the family's holders against the target alone (medians)"
LM_BENCH_OBSERVED=1 LM_TEST_VERSIONS="$VERSIONS" build/release/tests/test_tracer | grep '^# observed' | sed 's/^# //'
if [ -n "${BENCH_BASE_LM:-}" ]; then
    : >"$tmp/this"; : >"$tmp/base"
    for r in $(seq 1 "$REPS"); do
        secs "$LM" run -q -j 2 -d "$tmp/t$r.db" fixtures/cases >>"$tmp/this"
        secs "$BENCH_BASE_LM" run -q -j 2 -d "$tmp/b$r.db" fixtures/cases >>"$tmp/base"
    done
    awk -v t="$(median <"$tmp/this")" -v b="$(median <"$tmp/base")" 'BEGIN {
        printf "fixture matrix -j 2: %.1f s this binary, %.1f s base: %.2fx\n", t, b, t / b }'
fi
