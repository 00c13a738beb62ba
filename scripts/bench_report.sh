#!/usr/bin/env bash
# Times `lockmatrix report` in every format on a synthetic run of N statements
# (default 10,000) traced on 8 versions, written through the store API by
# tests/bench/mkrun.c; and the run-to-run diff of two such runs. Each figure is
# the best of 3 runs of the whole command (store read, analysis, rendering,
# writing the file). Exits 1 when a format takes a second or more.
#
#   scripts/bench_report.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
LIMIT_MS=${LIMIT_MS:-1000}
PKGS="libpq sqlite3 libcurl zlib libprotobuf-c"

make -s lockmatrix >/dev/null
tmp=$(mktemp -d /tmp/lm_bench_report.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# shellcheck disable=SC2086
cc -std=c11 -D_GNU_SOURCE -O2 -I. -Ibuild/release/gen $(pkg-config --cflags $PKGS) -o "$tmp/mkrun" tests/bench/mkrun.c \
    build/release/liblockmatrix.a $(pkg-config --libs $PKGS) -lpg_query -lm

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

t0=$(date +%s%N)
"$tmp/mkrun" "$tmp/bench.db" "$N" >/dev/null
"$tmp/mkrun" "$tmp/bench.db" "$N" >/dev/null   # run 2, for the diff
echo "store: 2 runs of $N statements x 8 versions written in $(ms "$t0") ms" \
     "($(du -h "$tmp/bench.db" | cut -f1))"

fail=0
time_cmd() { # label, args...
    local label=$1; shift
    local best=999999 t
    for _ in 1 2 3; do
        t=$(date +%s%N)
        ./lockmatrix report -d "$tmp/bench.db" "$@" -o "$tmp/out" >/dev/null 2>&1 || [ $? -eq 1 ]
        t=$(ms "$t")
        [ "$t" -lt "$best" ] && best=$t
    done
    local size; size=$(stat -c %s "$tmp/out")
    local verdict=ok
    if [ "$best" -ge "$LIMIT_MS" ]; then verdict="TOO SLOW (limit ${LIMIT_MS} ms)"; fail=1; fi
    printf "report %-30s %5d ms %10d bytes  %s\n" "$label" "$best" "$size" "$verdict"
}
for f in text markdown json html sarif; do
    time_cmd "--format $f" --run 1 --format "$f"
done
time_cmd "--only version-specific (text)" --run 1 --format text --only version-specific
for f in text json; do
    time_cmd "--against 1 --format $f" --run 2 --against 1 --format "$f"
done
exit $fail
