#!/usr/bin/env bash
# The fast path observes what the slow path does: the fixtures on the oldest
# and the newest major, traced three ways (servers on an overlay of a template
# that holds the job databases; without the sandbox, on a copy of it with each
# job database copied when first used; LOCKMATRIX_FAST=0, the path of earlier
# releases: a copied template without job databases, the databases made by
# CREATE DATABASE), give the same report but for durations.
. "$(dirname "$0")/lib.sh"

versions="$PG_MIN,$PG_MAX"
cases="$ROOT/fixtures/cases"

# The report's statements without what measures time.
observed() { # db
    "$LM" report -d "$1" --format json | jq -S '.statements | walk(if type == "object" then
        del(.duration_ms, .lock_held_ms, .held_ms, .waited_ms, .elapsed_ms) else . end)'
}

"$LM" run -q -j 2 -V "$versions" --profile -d "$WORK/fast.db" "$cases" >"$WORK/fast.out" 2>"$WORK/fast.err"
check_eq "fast path: run exits 0" "$?" 0
LOCKMATRIX_SANDBOX=0 "$LM" run -q -j 2 -V "$versions" --profile -d "$WORK/copy.db" "$cases" \
    >"$WORK/copy.out" 2>"$WORK/copy.err"
check_eq "copy path (no sandbox, so no overlay): run exits 0" "$?" 0
LOCKMATRIX_FAST=0 "$LM" run -q -j 2 -V "$versions" --profile -d "$WORK/slow.db" "$cases" \
    >"$WORK/slow.out" 2>"$WORK/slow.err"
check_eq "slow path: run exits 0" "$?" 0

observed "$WORK/fast.db" >"$WORK/fast.json"
observed "$WORK/copy.db" >"$WORK/copy.json"
observed "$WORK/slow.db" >"$WORK/slow.json"
check "the observations are there: $(jq length "$WORK/fast.json") statements" \
    test "$(jq length "$WORK/fast.json")" -gt 400
check "fast path and slow path observe the same (but durations)" \
    cmp -s "$WORK/fast.json" "$WORK/slow.json"
check "copy path and slow path observe the same (but durations)" \
    cmp -s "$WORK/copy.json" "$WORK/slow.json"
diff "$WORK/fast.json" "$WORK/slow.json" | head -20

# Where the time went: the slow path creates its databases, the others do not.
dbs_ms() { awk '$1 == "databases" { print $4 }' "$1"; }
check "the profile names every phase" grep -q '^execute ' "$WORK/fast.err"
check "fast path: no database made, $(dbs_ms "$WORK/fast.err") ms a job" \
    awk -v v="$(dbs_ms "$WORK/fast.err")" 'BEGIN { exit !(v < 5) }'
check "slow path: the databases take time, $(dbs_ms "$WORK/slow.err") ms a job" \
    awk -v v="$(dbs_ms "$WORK/slow.err")" 'BEGIN { exit !(v > 5) }'
finish
