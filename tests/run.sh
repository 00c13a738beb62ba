#!/usr/bin/env bash
# Runs every unit test (plain and ASan+UBSan builds) and every integration
# test, and closes with one line: "N passed, N failed".
#
#   tests/run.sh                 everything (the registry check too)
#   tests/run.sh unit            unit tests only
#   tests/run.sh integration [NAME...]   integration tests (tests/integration/NAME.sh)
#   tests/run.sh check           the fast tier (make check): the registry check,
#                                the release unit tests and the integration tests
#                                that need no PostgreSQL server and no Docker engine
#   tests/run.sh list-check      the tests of that tier, one a line
#   tests/run.sh registry        the registry check (tests/unit/modules.tsv) and the
#                                floors check (no #include of a floor above)
set -uo pipefail
cd "$(dirname "$0")/.."

what=${1:-all}
shift || true
pass=0 fail=0
failed=()
log_dir=build/test-logs
mkdir -p "$log_dir"

count() { # file
    local p f
    p=$(grep -c '^ok - ' "$1" || true)
    f=$(grep -c '^not ok - ' "$1" || true)
    pass=$((pass + p)); fail=$((fail + f))
    echo "$p $f"
}

run_one() { # label, command...
    local label=$1; shift
    local log="$log_dir/${label//\//_}.log"
    local start=$SECONDS
    "$@" >"$log" 2>&1
    local rc=$?
    # Unit binaries print "not ok" per failed check and a total; turn the
    # total into ok lines so that every check counts once.
    if grep -qE '^[a-z_]+: [0-9]+ passed, [0-9]+ failed$' "$log"; then
        local p f
        read -r p f < <(sed -nE 's/^[a-z_]+: ([0-9]+) passed, ([0-9]+) failed$/\1 \2/p' "$log" | tail -1)
        pass=$((pass + p)); fail=$((fail + f))
    else
        count "$log" >/dev/null
    fi
    if [ $rc -ne 0 ]; then
        if ! grep -q '^not ok - ' "$log"; then fail=$((fail + 1)); fi
        failed+=("$label")
        echo "FAIL $label (exit $rc, $((SECONDS - start))s); last lines of $log:"
        tail -n 40 "$log" | sed 's/^/    /'
    else
        echo "pass $label ($((SECONDS - start))s)"
    fi
}

# ---- which tests need a server ----------------------------------------------
# A unit test needs a PostgreSQL server when it includes tests/unit/servers.h;
# these start servers or talk to a Docker engine without it.
UNIT_SERVER_TESTS=(test_embedded test_docker)
# The integration tests that need neither a server nor an engine (every other
# one traces migrations on real servers).
INTEGRATION_NO_SERVER=(static_analyze locktable_page install)

unit_needs_server() { # test name
    local t
    grep -q '^#include "tests/unit/servers.h"' "tests/unit/$1.c" 2>/dev/null && return 0
    for t in "${UNIT_SERVER_TESTS[@]}"; do [ "$t" = "$1" ] && return 0; done
    return 1
}

# The fast tier, one a line: unit/NAME (release build) and integration/NAME.
list_check() {
    local s t
    for s in tests/unit/test_*.c; do
        t=$(basename "$s" .c)
        unit_needs_server "$t" || echo "unit/$t"
    done
    for t in "${INTEGRATION_NO_SERVER[@]}"; do echo "integration/$t"; done
}

# ---- the registry of sources and their tests --------------------------------
# Every product .c (main.c aside, wherever it is, even in a directory the
# Makefile does not list yet) has a row of tests/unit/modules.tsv; every test
# a row names exists; every unit test is named by a row. Prints one line per
# problem and "ok - ..." or "not ok - ..." per rule.
registry_check() {
    local reg=tests/unit/modules.tsv bad=0 src tests note t
    local -A row=() named=()
    if [ ! -f "$reg" ]; then echo "not ok - registry: $reg is missing"; return 1; fi
    while IFS=$'\t' read -r src tests note; do
        case $src in ''|'#'*) continue ;; esac
        if [ -n "${row[$src]:-}" ]; then
            echo "not ok - registry: $src has two rows in $reg"; bad=1
        fi
        row[$src]=$tests
        [ -f "$src" ] || { echo "not ok - registry: $src is in $reg but does not exist"; bad=1; }
        [ -n "$tests" ] || { echo "not ok - registry: $src has no test in $reg"; bad=1; }
        for t in $tests; do
            case $t in
            integration/*) [ -f "tests/${t}.sh" ] ||
                { echo "not ok - registry: $src: the test tests/$t.sh does not exist"; bad=1; } ;;
            *) named[$t]=1
               [ -f "tests/unit/$t.c" ] ||
                { echo "not ok - registry: $src: the unit test tests/unit/$t.c does not exist"; bad=1; } ;;
            esac
        done
    done <"$reg"
    while read -r src; do
        src=${src#./}
        [ -n "${row[$src]+x}" ] ||
            { echo "not ok - registry: $src has no registered test (add a row to $reg)"; bad=1; }
    done < <(find . -name '*.c' -not -path './build/*' -not -path './tests/*' -not -path './.git/*' \
                  -not -path ./main.c | sort)
    for src in tests/unit/test_*.c; do
        t=$(basename "$src" .c)
        [ -n "${named[$t]:-}" ] ||
            { echo "not ok - registry: the unit test $t tests no source of $reg"; bad=1; }
    done
    local only=()
    for src in "${!row[@]}"; do
        [[ " ${row[$src]} " == *" test_"* ]] || only+=("$src")
    done
    [ ${#only[@]} -eq 0 ] ||
        echo "# no unit test of their own yet: $(printf '%s\n' "${only[@]}" | sort | tr '\n' ' ')"
    if [ $bad -eq 0 ]; then
        echo "ok - registry: ${#row[@]} sources, each with its tests ($reg)"
    fi
    return $bad
}

# ---- the floors: no file includes from a floor above its own -------------------
# main.c > cmd > runner, report (side by side: neither includes the other) >
# store > corpus > predict > model > common (docs/design.md, Layout).
layers_check() {
    local bad=0 f
    while IFS= read -r f; do
        awk -v f="$f" '
            function floor(p,   d) {
                if (p == "main.c") return 8
                d = p; sub(/\/.*/, "", d)
                if (d == "cmd") return 7
                if (d == "runner" || d == "report") return 6
                if (d == "store") return 5
                if (d == "corpus") return 4
                if (d == "predict") return 3
                if (d == "model") return 2
                if (d == "common") return 1
                return 0
            }
            function top(p) { sub(/\/.*/, "", p); return p }
            /^#include "/ {
                t = $2; gsub(/"/, "", t)
                ft = floor(t); ff = floor(f)
                if (ft == 0) next
                if (ft > ff || (ft == 6 && ff == 6 && top(t) != top(f))) {
                    printf "not ok - floors: %s:%d includes %s, a floor above or beside it\n", f, FNR, t
                    bad = 1
                }
            }
            END { exit bad }' "$f" || bad=1
    done < <(git ls-files 'main.c' 'common/*.[ch]' 'model/*.[ch]' 'predict/*.[ch]' 'corpus/*.[ch]' \
                 'store/*.[ch]' 'runner/*.[ch]' 'report/*.[ch]' 'cmd/*.[ch]')
    [ $bad -eq 0 ] && echo "ok - floors: no file includes from a floor above its own"
    return $bad
}

if [ "$what" = registry ]; then
    registry_check
    r=$?
    layers_check || r=1
    exit $r
fi
if [ "$what" = list-check ]; then
    list_check
    exit 0
fi
if [ "$what" = all ] || [ "$what" = check ]; then
    run_one registry registry_check
    run_one floors layers_check
fi

if [ "$what" = check ]; then
    # The binary just built, not an older sanitizer build.
    export LM=${LM:-$PWD/lockmatrix}
    mapfile -t tier < <(list_check)
    for t in "${tier[@]}"; do
        case $t in
        unit/*) run_one "unit-release/${t#unit/}" "build/release/tests/${t#unit/}" ;;
        integration/*) run_one "$t" bash "tests/$t.sh" ;;
        esac
    done
fi

if [ "$what" = all ] || [ "$what" = unit ]; then
    for flavour in release asan; do
        for t in build/$flavour/tests/test_*; do
            [ -x "$t" ] || continue
            run_one "unit-$flavour/$(basename "$t")" "$t"
        done
    done
fi

if [ "$what" = all ] || [ "$what" = integration ]; then
    if [ $# -gt 0 ]; then
        scripts=(); for n in "$@"; do scripts+=("tests/integration/$n.sh"); done
    else
        scripts=(tests/integration/*.sh)
    fi
    for s in "${scripts[@]}"; do
        case $(basename "$s") in lib.sh) continue ;; esac
        run_one "integration/$(basename "$s" .sh)" bash "$s"
    done
fi

echo
[ ${#failed[@]} -eq 0 ] || echo "failed: ${failed[*]}"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ] && [ ${#failed[@]} -eq 0 ]
