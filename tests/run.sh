#!/usr/bin/env bash
# Runs every unit test (plain and ASan+UBSan builds) and every integration
# test, and closes with one line: "N passed, N failed".
#
#   tests/run.sh                 everything
#   tests/run.sh unit            unit tests only
#   tests/run.sh integration [NAME...]   integration tests (tests/integration/NAME.sh)
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
