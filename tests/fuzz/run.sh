#!/usr/bin/env bash
# Runs every libFuzzer target built in build/fuzz for FUZZ_SECONDS each (60),
# after replaying the regression inputs of tests/fuzz/regressions/<target>/.
# Seeds: fixtures/cases (SQL targets) and tests/fuzz/seeds/<target>/; the
# growing corpus is kept in build/fuzz/corpus/<target>. Prints one line per
# target (executions, seconds, corpus size) and writes build/fuzz/summary.txt;
# exits 1 when a target crashed (the input is in build/fuzz/crashes/).
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-${FUZZ_SECONDS:-60}}
B=build/fuzz
mkdir -p "$B/crashes"
: >"$B/summary.txt"
fail=0
for bin in "$B"/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    t=$(basename "$bin"); short=${t#fuzz_}
    seeds=()
    case $short in split|classify) seeds+=(fixtures/cases) ;; esac
    [ -d "tests/fuzz/seeds/$short" ] && seeds+=("tests/fuzz/seeds/$short")
    if [ -d "tests/fuzz/regressions/$short" ] && [ -n "$(ls -A "tests/fuzz/regressions/$short")" ]; then
        if ! "$bin" tests/fuzz/regressions/"$short"/* >"$B/$t.regressions.log" 2>&1; then
            echo "$t: a regression input fails again (see $B/$t.regressions.log)"; fail=1
        fi
    fi
    mkdir -p "$B/corpus/$short"
    # -rss_limit_mb: the splitter of a large input legitimately takes memory;
    # -max_len 64 KB keeps inputs the size of real migrations.
    "$bin" -max_total_time="$secs" -print_final_stats=1 -max_len=65536 -rss_limit_mb=4096 \
        -artifact_prefix="$B/crashes/$t-" -close_fd_mask=1 \
        "$B/corpus/$short" "${seeds[@]}" >"$B/$t.log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$B/$t.log" | tail -1)
    took=$(sed -n 's/.*Done \([0-9]*\) runs in \([0-9]*\) second.*/\2/p' "$B/$t.log" | tail -1)
    size=$(ls "$B/corpus/$short" | wc -l)
    line="$t: ${execs:-?} executions in ${took:-$secs} s, corpus $size inputs, exit $rc"
    echo "$line" | tee -a "$B/summary.txt"
    if [ $rc -ne 0 ]; then
        fail=1
        grep -m3 -E 'ERROR|SUMMARY|Test unit written' "$B/$t.log" | sed 's/^/    /'
    fi
done
exit $fail
