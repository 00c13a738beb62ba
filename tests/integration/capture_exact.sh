#!/usr/bin/env bash
# Exact capture on the observer path (runner/trace/observer.c, tracer_run_observed): the
# statements that cannot run in a transaction block, on a table with two
# indexes and a TOAST table, and on two levels of partitions with indexes
# (fixtures/cases), traced twice on every installed version (lockmatrix pg).
# Per case and version: every relation locked with its strongest mode, the
# relations rewritten (no false rewrite), or the error; and the same locks,
# phases and rewrites in both runs; the lock table (predict/locktable.tsv)
# confirms every statement that ran.
source "$(dirname "$0")/lib.sh"

CASES=$ROOT/fixtures/cases
mkdir -p "$WORK/c"
for c in vacuum_indexes vacuum_full_indexes drop_index_concurrently_last_lock \
         reindex_index_concurrently reindex_table_concurrently_toast reindex_table_partitioned \
         create_index_concurrently_indexes detach_partition_concurrently_nested; do
    cp "$CASES/$c.sql" "$WORK/c/"
done
echo each >"$WORK/c/.lockmatrix-layout"
VERSIONS=$("$LM" pg 2>/dev/null | awk 'NR > 1 && $1 ~ /^[0-9]+$/ { print $1 }' | paste -sd, -)
check "PostgreSQL installed: $VERSIONS" test -n "$VERSIONS"

# What servers do, per case, relation and versions ("12-": 12 and later):
# the strongest mode on each relation the statement locks; #rewrites: the
# relations rewritten ("-": none); #error: the SQLSTATE.
# Not seen, and not listed: the TOAST table's ShareUpdateExclusiveLock of
# VACUUM, and on 14-16 the TOAST tables' ShareLock and their indexes'
# AccessExclusiveLock of REINDEX TABLE of a partitioned table (taken after
# every relation a holder can hold; see runner/trace/observer.c).
EXPECT='
vacuum_indexes | vai_events | 10- | ShareUpdateExclusiveLock
vacuum_indexes | vai_events_kind_idx | 10- | RowExclusiveLock
vacuum_indexes | vai_events_pkey | 10- | RowExclusiveLock
vacuum_indexes | #rewrites | 10- | -
vacuum_full_indexes | vfi_events | 10- | AccessExclusiveLock
vacuum_full_indexes | vfi_events_kind_idx | 10- | AccessExclusiveLock
vacuum_full_indexes | vfi_events_pkey | 10- | AccessExclusiveLock
vacuum_full_indexes | toast(vfi_events) | 10- | AccessExclusiveLock
vacuum_full_indexes | toast_index(vfi_events) | 10- | AccessExclusiveLock
vacuum_full_indexes | (transient 1) | 10- | AccessExclusiveLock
vacuum_full_indexes | (transient 2) | 10- | AccessExclusiveLock
vacuum_full_indexes | (transient 3) | 10- | AccessExclusiveLock
vacuum_full_indexes | #rewrites | 10- | toast(vfi_events),toast_index(vfi_events),vfi_events,vfi_events_kind_idx,vfi_events_pkey
drop_index_concurrently_last_lock | dil_orders | 10- | ShareUpdateExclusiveLock
drop_index_concurrently_last_lock | dil_orders_customer_idx | 10- | AccessExclusiveLock
drop_index_concurrently_last_lock | #rewrites | 10- | -
reindex_index_concurrently | #error | 10-11 | 42601
reindex_index_concurrently | rixc_orders | 12- | ShareUpdateExclusiveLock
reindex_index_concurrently | rixc_orders_customer_idx | 12- | AccessExclusiveLock
reindex_index_concurrently | #rewrites | 12- | rixc_orders_customer_idx
reindex_table_concurrently_toast | #error | 10-11 | 42601
reindex_table_concurrently_toast | rtct_orders | 12- | ShareUpdateExclusiveLock
reindex_table_concurrently_toast | rtct_orders_customer_idx | 12- | AccessExclusiveLock
reindex_table_concurrently_toast | rtct_orders_pkey | 12- | AccessExclusiveLock
reindex_table_concurrently_toast | toast(rtct_orders) | 12- | ShareUpdateExclusiveLock
reindex_table_concurrently_toast | toast_index(rtct_orders) | 12- | AccessExclusiveLock
reindex_table_concurrently_toast | #rewrites | 12- | rtct_orders_customer_idx,rtct_orders_pkey,toast_index(rtct_orders)
reindex_table_partitioned | rtp_events | 10- | ShareLock
reindex_table_partitioned | toast(rtp_events) | 10 | ShareLock
reindex_table_partitioned | toast_index(rtp_events) | 10 | AccessExclusiveLock
reindex_table_partitioned | #rewrites | 10 | toast_index(rtp_events)
reindex_table_partitioned | #rewrites | 11-13 | -
reindex_table_partitioned | rtp_events_1 | 14- | ShareLock
reindex_table_partitioned | rtp_events_1a | 14- | ShareLock
reindex_table_partitioned | rtp_events_1b | 14- | ShareLock
reindex_table_partitioned | rtp_events_2 | 14- | ShareLock
reindex_table_partitioned | rtp_events_1a_id_idx | 14- | AccessExclusiveLock
reindex_table_partitioned | rtp_events_1a_kind_idx | 14- | AccessExclusiveLock
reindex_table_partitioned | rtp_events_1b_id_idx | 14- | AccessExclusiveLock
reindex_table_partitioned | rtp_events_2_id_idx | 14- | AccessExclusiveLock
reindex_table_partitioned | toast(rtp_events_1a) | 17- | ShareLock
reindex_table_partitioned | toast(rtp_events_1b) | 17- | ShareLock
reindex_table_partitioned | toast(rtp_events_2) | 17- | ShareLock
reindex_table_partitioned | toast_index(rtp_events_1a) | 17- | AccessExclusiveLock
reindex_table_partitioned | toast_index(rtp_events_1b) | 17- | AccessExclusiveLock
reindex_table_partitioned | toast_index(rtp_events_2) | 17- | AccessExclusiveLock
reindex_table_partitioned | #rewrites | 14- | rtp_events_1a_id_idx,rtp_events_1a_kind_idx,rtp_events_1b_id_idx,rtp_events_2_id_idx,toast_index(rtp_events_1a),toast_index(rtp_events_1b),toast_index(rtp_events_2)
create_index_concurrently_indexes | cici_orders | 10- | ShareUpdateExclusiveLock
create_index_concurrently_indexes | #rewrites | 10- | -
detach_partition_concurrently_nested | #error | 10-13 | 42601
detach_partition_concurrently_nested | dpn_events | 14- | ShareUpdateExclusiveLock
detach_partition_concurrently_nested | dpn_events_1 | 14- | AccessExclusiveLock
detach_partition_concurrently_nested | #rewrites | 14- | -
'
# case version relation mode, one line each, for the versions run
echo "$EXPECT" | awk -F' *[|] *' -v vs="$VERSIONS" '
    NF == 4 {
        lo = $3; hi = $3
        if (index($3, "-")) { lo = substr($3, 1, index($3, "-") - 1); hi = substr($3, index($3, "-") + 1) }
        if (lo == "") lo = 0
        if (hi == "") hi = 1000
        n = split(vs, v, ",")
        for (i = 1; i <= n; i++) if (v[i] + 0 >= lo + 0 && v[i] + 0 <= hi + 0) print $1 "\t" v[i] "\t" $2 "\t" $4
    }' | sort >"$WORK/want.tsv"

STRONGEST='
def rank: {"AccessShareLock":1,"RowShareLock":2,"RowExclusiveLock":3,"ShareUpdateExclusiveLock":4,
           "ShareLock":5,"ShareRowExclusiveLock":6,"ExclusiveLock":7,"AccessExclusiveLock":8}[.] // 0;
.statements | group_by(.migration)[] | max_by(.index) as $s
| ($s.migration | split("/") | last | rtrimstr(".sql")) as $c
| $s.results | to_entries[] | .key as $v | .value as $x
| if $x.status != "ok" then "\($c)\t\($v)\t#error\t\($x.error.sqlstate // "-")"
  else ([$x.locks[] | select(.locktype == "relation")] | group_by(.relation)[]
        | "\($c)\t\($v)\t\(.[0].relation)\t\(map(.mode) | max_by(rank))"),
       "\($c)\t\($v)\t#rewrites\t\([$x.rewrites[]? | if type == "object" then .relation else . end]
                                   | sort | join(",") | if . == "" then "-" else . end)"
  end'
# everything a run reports of the statements under study: status, capture,
# phases (what each waited for, what it held), locks, rewrites
ALL='[.statements | group_by(.migration)[] | max_by(.index) as $s | $s.results | to_entries[]
      | {case: ($s.migration | split("/") | last), v: .key, status: .value.status, capture: .value.capture,
         phases: [.value.phases[]? | {w: "\(.waiting_for.relation) \(.waiting_for.mode)",
                                      l: [.locks[] | "\(.relation) \(.mode)"]}],
         locks: [.value.locks[] | "\(.relation) \(.mode)"], rewrites: .value.rewrites}]'
# the newest version the lock table has rows for (a newer one is "unpredicted")
TABLE_LAST=$(awk -F'\t' '!/^#/ && $2 ~ /^[0-9]+$/ && $3 + 0 > m { m = $3 + 0 } END { print m + 0 }' "$ROOT/predict/locktable.tsv")
db="$WORK/x.db"
for r in 1 2; do
    "$LM" run -q -V "$VERSIONS" -j 2 -d "$db" "$WORK/c" >"$WORK/run$r.out" 2>"$WORK/run$r.err"
    check_eq "run $r exits 0" "$?" 0
    "$LM" report -d "$db" --run "$r" --format json >"$WORK/r$r.json"
    jq -r "$STRONGEST" "$WORK/r$r.json" | sort >"$WORK/got$r.tsv"
    if diff "$WORK/want.tsv" "$WORK/got$r.tsv" >"$WORK/diff$r"; then
        ok "run $r: every relation's strongest mode, the rewrites and errors as servers do, on $VERSIONS"
    else
        notok "run $r: strongest modes, rewrites, errors differ (< want, > got)"
        sed 's/^/#   /' "$WORK/diff$r" | head -40
    fi
    check_eq "run $r: every statement that ran captured by phases" \
        "$(jq -r '[.statements | group_by(.migration)[] | max_by(.index) as $s | $s.results | to_entries[]
                   | select(.value.status == "ok" and .value.capture != "phase" and .value.capture != "tx")
                   | "\($s.migration | split("/") | last) \(.key) \(.value.capture)"] | join(", ")' "$WORK/r$r.json")" ""
    check_eq "run $r: the lock table confirms every statement that ran (on the versions it has rows for: up to $TABLE_LAST)" \
        "$(jq -r --argjson last "$TABLE_LAST" '[.statements | group_by(.migration)[] | max_by(.index) as $s | $s.results | to_entries[]
                   | select(.value.status == "ok" and .value.verdict != "confirmed" and (.key | tonumber) <= $last)
                   | "\($s.migration | split("/") | last) \(.key) \(.value.verdict)"] | join(", ")' "$WORK/r$r.json")" ""
    jq -c "$ALL" "$WORK/r$r.json" >"$WORK/all$r.json"
done
check "the same locks, phases and rewrites in both runs" cmp -s "$WORK/all1.json" "$WORK/all2.json"
finish
