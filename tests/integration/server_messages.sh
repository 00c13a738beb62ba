#!/usr/bin/env bash
# What the server said, kept as evidence: notices of a statement that ran
# (IF NOT EXISTS / IF EXISTS skipping) and the whole error of one that failed
# (its DETAIL line) reach the store (evidence "server_messages", compressed)
# and the JSON report ("server_messages"; the text report adds an error's
# DETAIL and HINT to its line), on the oldest and newest version;
# a statement the server said nothing about carries nothing, and a statement
# retried outside a transaction block does not keep the refusal of its first
# attempt. A statement the server skipped is confirmed, not a mismatch.
source "$(dirname "$0")/lib.sh"

cat >"$WORK/said.sql" <<'SQL'
CREATE TABLE IF NOT EXISTS t (id int);
CREATE TABLE IF NOT EXISTS t (id int);
INSERT INTO t VALUES (1), (1);
CREATE UNIQUE INDEX t_id ON t (id);
DROP TABLE IF EXISTS nope;
CREATE INDEX CONCURRENTLY t_id2 ON t (id);
SQL
db="$WORK/said.db"
"$LM" run -q -V 10,17 -j 2 -d "$db" "$WORK/said.sql" >"$WORK/run.out" 2>"$WORK/run.err"
check_eq "run exits 0" "$?" 0
"$LM" report -d "$db" --format json >"$WORK/r.json"
said() { jq -r --arg i "$1" --arg v "$2" '.statements[] | select(.index == ($i | tonumber)) | .results[$v].server_messages // "none"' "$WORK/r.json"; }
for v in 10 17; do
    check_eq "$v: a first CREATE TABLE IF NOT EXISTS: nothing said" "$(said 1 $v)" none
    check_eq "$v: a second one: the notice" "$(said 2 $v)" 'NOTICE:  relation "t" already exists, skipping'
    check_eq "$v: a failed unique index: the error with its detail" "$(said 4 $v)" \
        "$(printf 'ERROR:  could not create unique index "t_id"\nDETAIL:  Key (id)=(1) is duplicated.')"
    check_eq "$v: DROP TABLE IF EXISTS of nothing: the notice" "$(said 5 $v)" 'NOTICE:  table "nope" does not exist, skipping'
    check_eq "$v: CREATE INDEX CONCURRENTLY: nothing said (not the refusal in a transaction block)" "$(said 6 $v)" none
done
"$LM" report -d "$db" --format text >"$WORK/r.txt"
check "the text report carries the error's DETAIL" grep -q 'could not create unique index "t_id"; DETAIL: Key (id)=(1) is' "$WORK/r.txt"
verdict() { jq -r --arg i "$1" --arg v "$2" '.statements[] | select(.index == ($i | tonumber)) | .results[$v].verdict' "$WORK/r.json"; }
for v in 10 17; do
    check_eq "$v: a CREATE TABLE IF NOT EXISTS the server skipped is confirmed (it locked nothing)" "$(verdict 2 $v)" confirmed
    check_eq "$v: a DROP TABLE IF EXISTS the server skipped is confirmed" "$(verdict 5 $v)" confirmed
done
check_eq "stored compressed: one evidence row per statement that said something" \
    "$(sqlite3 "$db" "SELECT count(*) FROM evidence WHERE kind = 'server_messages'")" 6
finish
