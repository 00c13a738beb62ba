#!/usr/bin/env bash
# Packed jobs (runner/worker.c): a chain that only acts on what it names runs
# in the database of the job before it, when nothing there bears a name it
# may meet. The same chains traced with LOCKMATRIX_FAST=0 (every job in a
# database of its own) give the same report but for durations. The chains come in pairs, in name
# order (one worker, one version: the jobs run in that order), where the
# second would go wrong in the first's database: a table named as the
# first's serial sequence, an index name the server would make that the
# first took, a table named as the first's type, a count of the catalog's
# relations; each must run in a database of its own and succeed (that the
# others share one, test_worker checks).
. "$(dirname "$0")/lib.sh"

cases=$WORK/cases
mkdir -p "$cases"
echo each >"$cases/.lockmatrix-layout"
for i in 1 2 3 4 5 6; do
    cat >"$cases/p$i.sql" <<SQL
CREATE TABLE pk$i (id serial PRIMARY KEY, v text);
CREATE INDEX pk${i}_v ON pk$i (v);
INSERT INTO pk$i (v) VALUES ('a'), ('b');
ALTER TABLE pk$i ADD COLUMN n int NOT NULL DEFAULT 0;
ALTER TABLE pk$i ALTER COLUMN v TYPE varchar(20);
SQL
done
put() { printf '%s\n' "$2" >"$cases/$1.sql"; } # name, text
put q1a 'CREATE TABLE qa (id serial);'
put q1b 'CREATE TABLE qa_id_seq (x int);'
put q2a 'CREATE TABLE qe_pkey (x int);'
put q2b 'CREATE TABLE qe (id int PRIMARY KEY);'
put q3a "CREATE TYPE qmood AS ENUM ('a', 'b');"
put q3b 'CREATE TABLE qmood (x int);'
put q4a 'CREATE TABLE qcount (x int);'
put q4b "CREATE TABLE qrels AS SELECT count(*) AS n FROM pg_class WHERE relname LIKE 'q%';
ALTER TABLE qrels ADD CONSTRAINT only_own CHECK (n = 0);"

observed() { # db
    "$LM" report -d "$1" --format json | jq -S '.statements | walk(if type == "object" then
        del(.duration_ms, .lock_held_ms, .held_ms, .waited_ms, .elapsed_ms) else . end)'
}

"$LM" run -q -j 1 -V "$PG_MAX" -d "$WORK/packed.db" "$cases" >"$WORK/packed.out" 2>"$WORK/packed.err"
check_eq "packed: run exits 0" "$?" 0
LOCKMATRIX_FAST=0 "$LM" run -q -j 1 -V "$PG_MAX" -d "$WORK/alone.db" "$cases" \
    >"$WORK/alone.out" 2>"$WORK/alone.err"
check_eq "every job alone (LOCKMATRIX_FAST=0): run exits 0" "$?" 0

observed "$WORK/packed.db" >"$WORK/packed.json"
observed "$WORK/alone.db" >"$WORK/alone.json"
check "the observations are there: $(jq length "$WORK/packed.json") statements" \
    test "$(jq length "$WORK/packed.json")" -eq 39
check "packed and alone observe the same (but durations)" cmp -s "$WORK/packed.json" "$WORK/alone.json"
diff "$WORK/packed.json" "$WORK/alone.json" | head -20

failed=$(sqlite3 "$WORK/packed.db" "SELECT count(*) FROM traces WHERE status <> 'ok'")
check_eq "every statement succeeds, the second of each pair too" "$failed" 0
idx=$(sqlite3 "$WORK/packed.db" "SELECT count(*) FROM traces t JOIN statements s ON s.id = t.statement_id
    JOIN locks l ON l.trace_id = t.id WHERE s.sql LIKE 'CREATE TABLE qe %' AND l.relation = 'qe_pkey'")
check "qe's primary key index is qe_pkey, as in a fresh database ($idx lock)" test "$idx" -ge 1

finish
