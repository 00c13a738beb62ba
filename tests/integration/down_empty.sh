#!/usr/bin/env bash
# --down with empty or comment-only down migrations: a no-op each, skipped and
# counted, not an error; an empty up migration stays an error (exit 2).
. "$(dirname "$0")/lib.sh"

mig="$WORK/migrations"
mkdir -p "$mig"
echo "CREATE TABLE a (id int);" >"$mig/1_a.up.sql"
: >"$mig/1_a.down.sql"
echo "CREATE TABLE b (id int);" >"$mig/2_b.up.sql"
printf -- '-- nothing to undo\n\n/* really */\n' >"$mig/2_b.down.sql"
echo "ALTER TABLE a ADD COLUMN c int;" >"$mig/3_c.up.sql"
echo "ALTER TABLE a DROP COLUMN c;" >"$mig/3_c.down.sql"
db="$WORK/lm.db"
no_line() { ! grep -q "$@"; }

"$LM" run -V 17 -d "$db" --down "$mig" >"$WORK/run.out" 2>"$WORK/run.err"
check_eq "--down with empty downs: exit 0" "$?" 0
check "--down: says 2 empty down migrations skipped" grep -q "2 empty down migrations skipped" "$WORK/run.err"
check "--down: no error for an empty down" no_line -e "empty file" -e "no SQL statements" "$WORK/run.err"
got=$(sqlite3 "$db" "SELECT group_concat(p, ' ') FROM (SELECT replace(path, '$mig/', '') p FROM migrations ORDER BY position)")
check_eq "--down: the 3 ups and the one down with a statement are recorded" "$got" \
    "1_a.up.sql 2_b.up.sql 3_c.up.sql 3_c.down.sql"

"$LM" analyze --down "$mig" >"$WORK/an.out" 2>"$WORK/an.err"
check_eq "analyze --down with empty downs: exit 0" "$?" 0
check "analyze --down: says 2 empty down migrations skipped" grep -q "2 empty down migrations skipped" "$WORK/an.err"

: >"$mig/2_b.up.sql"
"$LM" run -V 17 -d "$db" --down "$mig" >"$WORK/up.out" 2>"$WORK/up.err"
check_eq "an empty up migration: exit 2" "$?" 2
check "an empty up migration: named as empty" grep -q '2_b.up.sql": empty file' "$WORK/up.err"
finish
