#!/usr/bin/env bash
# make bench: the figures, measured on this machine in one run. Medians of
# BENCH_REPS repetitions (default 3); these machines are shared and noisy, so
# compare figures of one run with each other, not across runs.
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/versions.sh
source scripts/versions.sh
REPS=${BENCH_REPS:-3}
LM=./lockmatrix
make -s unit >/dev/null
tmp=$(mktemp -d /tmp/lmbench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# shellcheck source=scripts/bench_lib.sh
source scripts/bench_lib.sh

echo "# lockmatrix bench ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, reps=$REPS)"
echo
echo "## Time to a ready container (embedded backend)"
build/release/tests/test_embedded | grep '^#'
if [ -x build/release/tests/test_docker ] && scripts/docker-setup.sh >/dev/null 2>&1; then
    echo
    echo "## Time to a ready container (docker backend)"
    LOCKMATRIX_DOCKER_SAMPLES=5 build/release/tests/test_docker | grep '# docker ready'
fi

echo
echo "## Tracer overhead per statement (traced vs the same statements run plainly through libpq)"
build/release/tests/test_tracer | grep '^# overhead' | sed 's/^# //' 

echo
echo "## The fixture matrix: $(ls fixtures/cases/*.sql | wc -l) cases x versions $PG_ALL"
for j in 1 2 4 8; do
    for r in $(seq 1 "$REPS"); do
        secs $LM run -q -j $j -d "$tmp/m$j-$r.db" fixtures/cases
    done | median | awk -v j=$j '{ printf "  -j %d: %s s (median)\n", j, $1 }'
done
n=$(sqlite3 "$tmp/m2-1.db" "SELECT count(*) FROM traces")
w=$(sqlite3 "$tmp/m2-1.db" "SELECT (julianday(finished_at) - julianday(started_at)) * 86400 FROM runs")
awk -v n="$n" -v w="$w" 'BEGIN { printf "  statements traced: %d; -j 2: %.0f statements/s\n", n, n / w }'

for extra in scripts/bench_*.sh; do
    [ -x "$extra" ] || continue
    echo
    "$extra"
done
