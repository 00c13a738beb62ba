#!/usr/bin/env bash
# The relation predictor against real servers: the probe migrations of
# tests/relations (every statement form the predictor models: ALTER TABLE in
# alter/, the other statements in ddl/) run on every major; the prediction
# of every relation each statement locks, at which mode, and of every
# relation it rewrites agrees with the trace on at least 98% of (statement,
# version) cells (report "agreement"); analyze prints the same prediction
# (JSON "predicted": "locks", "rewrites"; text "also:" and "rewrites:").
source "$(dirname "$0")/lib.sh"

PROBES=$ROOT/tests/relations
dirs=()
for d in "$PROBES"/*/; do [ -d "$d" ] && dirs+=("$d"); done
if [ ${#dirs[@]} -eq 0 ]; then
    notok "no probe migrations in $PROBES"
    finish
fi
db="$WORK/r.db"
"$LM" run -q -V "$PG_ALL" -j 2 --each -d "$db" "${dirs[@]}" >"$WORK/run.out" 2>"$WORK/run.err"
check "run exits 0 or 1 (verdicts)" test "$?" -le 1
check_agreement probes "$db" 98

# --- analyze says the same ------------------------------------------------------------
mkdir -p "$WORK/m"
cat >"$WORK/m/001.sql" <<'SQL'
CREATE TABLE rel_p (id int PRIMARY KEY, note text);
CREATE TABLE rel_c (id int PRIMARY KEY, p int REFERENCES rel_p);
ALTER TABLE rel_p ALTER COLUMN id TYPE bigint;
SQL
"$LM" analyze -V 17 --format json "$WORK/m" >"$WORK/a.json" 2>"$WORK/a.err"
check_eq "analyze exits 0" "$?" 0
alter='.statements[2].results["17"].predicted'
check_eq "analyze: the target first, at AccessExclusiveLock" \
    "$(jq -r "$alter.locks[0] | \"\(.relation) \(.role) \(.mode)\"" "$WORK/a.json")" \
    "rel_p target AccessExclusiveLock"
check_eq "analyze: the index of the rewritten table is locked" \
    "$(jq -r "$alter.locks[] | select(.relation == \"rel_p_pkey\") | .role" "$WORK/a.json")" index
check_eq "analyze: the table and its index are rewritten" \
    "$(jq -r "$alter.rewrites | index(\"rel_p\") != null and index(\"rel_p_pkey\") != null" "$WORK/a.json")" true
"$LM" analyze -V 17 "$WORK/m" >"$WORK/a.txt" 2>&1
check "analyze text: the other relations on an \"also:\" line" grep -q "also: .*rel_p_pkey" "$WORK/a.txt"
check "analyze text: the rewrites" grep -q "rewrites: rel_p" "$WORK/a.txt"
finish
