#!/usr/bin/env bash
# coverage.sh: line coverage per source file of the unit tests (make coverage).
#
#   scripts/coverage.sh BUILD_DIR SOURCE...
#
# BUILD_DIR holds a --coverage build of the unit tests (make coverage builds
# build/coverage). Runs the unit tests that need no server (those of
# "tests/run.sh list-check"); COVERAGE_SERVERS=1 runs every unit test, those
# that start PostgreSQL servers or use a Docker engine too. Then prints, for
# each SOURCE, the lines gcov counts and the share the tests ran, and the
# total. A test that fails is named; the table is printed all the same.
# Exit codes: 0 ok, 1 a unit test failed, 2 usage.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 2 ] || [ ! -d "$1" ]; then
    echo "usage: scripts/coverage.sh BUILD_DIR SOURCE..." >&2
    exit 2
fi
B=$1
shift

# Counts from an earlier run would add up: start from none.
find "$B" -name '*.gcda' -delete
mkdir -p "$B/test-logs"

if [ "${COVERAGE_SERVERS:-0}" = 1 ]; then
    tests=$(for s in tests/unit/test_*.c; do basename "$s" .c; done)
    echo "coverage: every unit test (COVERAGE_SERVERS=1)"
else
    tests=$(tests/run.sh list-check | sed -n 's|^unit/||p')
    echo "coverage: the unit tests that need no server (COVERAGE_SERVERS=1: every one)"
fi
failed=()
for t in $tests; do
    if ! "$B/tests/$t" >"$B/test-logs/$t.log" 2>&1; then failed+=("$t"); fi
done

# gcov -n: the summary only, no .gcov file. Its lines for a source:
#   File 'common/util.c'
#   Lines executed:86.05% of 301
printf '%-28s %7s %9s\n' file lines covered
for src in "$@"; do
    obj_dir="$B/$(dirname "$src")"
    gcov -n -o "$obj_dir" "$src" 2>/dev/null |
        awk -v src="$src" '
            $0 == "File '\''" src "'\''" { mine = 1; next }
            mine && /^Lines executed:/ {
                sub(/^Lines executed:/, ""); split($0, a, "% of ")
                printf "%s\t%d\t%.1f\n", src, a[2], a[1]; found = 1; exit
            }
            END { if (!found) printf "%s\t0\t0.0\n", src }'
done | awk -F'\t' '
    { printf "%-28s %7d %8.1f%%\n", $1, $2, $3; lines += $2; run += $2 * $3 / 100 }
    END { printf "%-28s %7d %8.1f%%\n", "total", lines, lines ? 100 * run / lines : 0 }'

if [ ${#failed[@]} -gt 0 ]; then
    echo "coverage: failed: ${failed[*]} (logs in $B/test-logs)"
    exit 1
fi
