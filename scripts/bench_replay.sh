#!/usr/bin/env bash
# bench_replay.sh: the cost of measuring what statements inside a migration's
# transaction request (the replay on a sibling database), on the shared
# corpora laid out one transaction per file: the same run with and without
# `--no-replay`, alternated, medians of BENCH_REPS (default 3). Prints per
# corpus:
#   replay, harbor (every version, -j 2): 13.1 s with, 10.0 s without: 1.31x
set -uo pipefail
cd "$(dirname "$0")/.."
LM=${LM:-./lockmatrix}
CORPORA=${CORPORA:-../shared/corpora}
REPS=${BENCH_REPS:-3}
JOBS=${BENCH_JOBS:-2}
tmp=$(mktemp -d /tmp/lm_bench_replay.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# shellcheck source=scripts/bench_lib.sh
source scripts/bench_lib.sh

bench() { # name, run arguments...
    local name=$1; shift
    local r
    : >"$tmp/with"; : >"$tmp/without"
    for r in $(seq 1 "$REPS"); do
        secs "$LM" run -q -j "$JOBS" -d "$tmp/w$r.db" "$@" >>"$tmp/with"
        secs "$LM" run -q -j "$JOBS" -d "$tmp/n$r.db" --no-replay "$@" >>"$tmp/without"
    done
    local w n
    w=$(median <"$tmp/with"); n=$(median <"$tmp/without")
    awk -v c="$name" -v j="$JOBS" -v w="$w" -v n="$n" 'BEGIN {
        printf "replay, %s (every version, -j %d): %.1f s with, %.1f s without: %.2fx\n", c, j, w, n, w / n }'
}

echo "## The replay: measuring requests inside a migration's transaction (medians of $REPS)"
if [ -d "$CORPORA/harbor/migrations" ]; then
    bench harbor --preamble "$CORPORA/harbor/PREAMBLE.sql" "$CORPORA/harbor/migrations"
fi
if [ -d "$CORPORA/openmeter/migrations" ]; then
    bench openmeter "$CORPORA/openmeter/migrations"
fi
