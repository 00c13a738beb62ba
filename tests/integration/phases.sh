#!/usr/bin/env bash
# Phase capture end to end: the statements that cannot run in a transaction
# block (fixtures/cases: CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY,
# DETACH PARTITION CONCURRENTLY, VACUUM, VACUUM FULL, ALTER TYPE ... ADD VALUE
# before 12) are traced twice on 10, 12, 14 and 17: every one that runs
# outside a transaction block (and succeeds) is captured by
# phases ("phase") wherever it runs, the phases are the same in both runs,
# and report --against finds no change (none of them counted as sampled).
source "$(dirname "$0")/lib.sh"

CASES=$ROOT/fixtures/cases
mkdir -p "$WORK/c"
for c in create_index_concurrently drop_index_concurrently reindex_concurrently \
         detach_partition_concurrently vacuum vacuum_full alter_type_add_value; do
    cp "$CASES/$c.sql" "$WORK/c/"
done
echo each >"$WORK/c/.lockmatrix-layout"
db="$WORK/p.db"
for r in 1 2; do
    "$LM" run -q -V 10,12,14,17 -j 2 -d "$db" "$WORK/c" >"$WORK/run$r.out" 2>"$WORK/run$r.err"
    check_eq "run $r exits 0" "$?" 0
    "$LM" report -d "$db" --run "$r" --format json >"$WORK/r$r.json"
done
# the statement under study of each case (the last), per version: capture and phases
summary() {
    jq -c '[.statements | group_by(.migration)[] | max_by(.index) as $s
            | $s.results | to_entries[] | select(.value.status == "ok" and .value.capture != "tx")
            | {case: ($s.migration | split("/") | last), v: .key, capture: .value.capture,
               phases: [.value.phases[]? | {w: "\(.waiting_for.relation) \(.waiting_for.mode)",
                                            l: [.locks[] | "\(.relation) \(.mode)"]}],
               locks: [.value.locks[] | "\(.relation) \(.mode)"]}]' "$1"
}
summary "$WORK/r1.json" >"$WORK/s1.json"
summary "$WORK/r2.json" >"$WORK/s2.json"
n=$(jq 'length' "$WORK/s1.json")
check "results to compare: $n" test "$n" -ge 20
check_eq "every one captured by phases" \
    "$(jq -r '[.[] | select(.capture != "phase") | "\(.case) \(.v) \(.capture)"] | join(", ")' "$WORK/s1.json")" ""
check_eq "every one stopped at least once" \
    "$(jq -r '[.[] | select((.phases | length) == 0) | "\(.case) \(.v)"] | join(", ")' "$WORK/s1.json")" ""
check "the same phases and locks in both runs" cmp -s "$WORK/s1.json" "$WORK/s2.json"
echo "# phases per case and version: $(jq -r '[.[] | "\(.case | rtrimstr(".sql")) \(.v):\(.phases | length)"] | join(" ")' "$WORK/s1.json")"
"$LM" report -d "$db" --run 2 --against 1 --format json >"$WORK/against.json" 2>"$WORK/against.err"
check_eq "report --against: no change" "$(jq -c '[.regressions, .sampled, (.changes | length)]' "$WORK/against.json")" "[0,0,0]"
finish
