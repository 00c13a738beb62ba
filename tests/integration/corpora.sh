#!/usr/bin/env bash
# The shared real-world corpora and the layouts of migration tools on real
# servers:
# - every fixture directory of tests/data/layouts runs on 10 and 17 without
#   an error;
# - Synapse on every major and Supabase Auth on 13 and later (with its PREAMBLE.sql):
#   every statement gets a result on every version, the counts of statements
#   and errors per version are printed and asserted, and the prediction agrees
#   with the traces relation by relation on at least 98% of cells; statements in DO blocks
#   are traced (their DDL's locks are in the JSON report);
# - Supabase Auth on 10-12: the failures expected from features those
#   versions lack (generated columns, gen_random_uuid, ALTER TYPE ADD VALUE
#   in a transaction block), and what follows from them;
# - the preamble: not traced, needed (without it Supabase fails), an error in
#   it fails the job with the reason, a role it creates does not leak into the
#   next job's server (the worker recycles its server).
# The corpora are other projects' files: read from $LM_SHARED_DIR/corpora or
# ../shared/corpora next to the repository, never copied.
source "$(dirname "$0")/lib.sh"

SHARED=${LM_SHARED_DIR:-$ROOT/../shared}
CORP=$SHARED/corpora
LAYOUTS=$ROOT/tests/data/layouts
if [ ! -d "$CORP/synapse" ] || [ ! -d "$CORP/supabase_auth" ]; then
    notok "no shared corpora in $CORP (set LM_SHARED_DIR)"
    finish
fi
db="$WORK/c.db"
q() { sqlite3 "$db" "$@"; }
newest() { q "SELECT max(id) FROM runs"; }
# "major statements errors" per version of a run, one line each
per_version() {
    q "SELECT j.major || ' ' || count(*) || ' ' || sum(t.status IN ('error', 'timeout'))
       FROM traces t JOIN jobs j ON j.id = t.job_id WHERE j.run_id = $1 GROUP BY j.major ORDER BY j.major"
}
# results that are missing or skipped: the statements of every job's chain
# (all jobs ok) minus the traces that ran
missing() {
    local want ran
    want=$(q "SELECT count(*) FROM jobs j JOIN migrations m ON m.run_id = j.run_id AND m.chain = j.chain
              JOIN statements s ON s.migration_id = m.id WHERE j.run_id = $1 AND j.status = 'ok'")
    ran=$(q "SELECT count(*) FROM traces t JOIN jobs j ON j.id = t.job_id WHERE j.run_id = $1 AND t.status <> 'skipped'")
    [ "$(q "SELECT count(*) FROM jobs WHERE run_id = $1 AND status <> 'ok'")" = 0 ] || want=-1
    echo $((want - ran))
}
json() { sqlite3 :memory: "$@"; }

# --- the layouts' fixtures ---------------------------------------------------
dirs=()
for d in plain plain_order golang_migrate flyway prisma drizzle diesel sqitch knex typeorm sequelize; do
    dirs+=("$LAYOUTS/$d")
done
"$LM" run -q -V 10,17 -j 2 -d "$db" "${dirs[@]}" >"$WORK/fx.out" 2>"$WORK/fx.err"
check_eq "the layouts' fixtures run (exit code)" "$?" 0
run=$(newest)
check_eq "fixtures: one chain per layout directory" "$(q "SELECT count(DISTINCT chain) FROM migrations WHERE run_id = $run")" "${#dirs[@]}"
check_eq "fixtures: 60 statements, no error, on 10 and 17" "$(per_version "$run" | tr '\n' ';')" "10 60 0;17 60 0;"
check_eq "fixtures: every statement has a result" "$(missing "$run")" 0
"$LM" report -d "$db" --run "$run" --format json >"$WORK/fx.json"
extracted=$(json "SELECT group_concat(DISTINCT json_extract(s.value, '\$.migration')) FROM json_each(readfile('$WORK/fx.json'), '\$.statements') s
    WHERE json_extract(s.value, '\$.migration') LIKE '%.js' OR json_extract(s.value, '\$.migration') LIKE '%.ts'")
check "fixtures: the statements of JS/TS migrations are in the report" test -n "$extracted"
check_eq "fixtures: the report marks the 11 statements extracted from JS/TS (knex 5, typeorm 3, sequelize 3)" \
    "$(json "SELECT group_concat(k || ' ' || n, ', ') FROM (SELECT json_extract(s.value, '\$.extracted_from') AS k, count(*) AS n
             FROM json_each(readfile('$WORK/fx.json'), '\$.statements') s WHERE k IS NOT NULL GROUP BY k ORDER BY k)")" \
    "knex 5, sequelize 3, typeorm 3"
check_eq "fixtures: 14 migrations stored as run in one transaction (wrap_tx)" \
    "$(q "SELECT count(*) FROM migrations WHERE run_id = $run AND wrap_tx = 1")" 14

"$LM" run -q -V 17 -d "$db" --down "$LAYOUTS/golang_migrate" "$LAYOUTS/diesel" "$LAYOUTS/sqitch" >/dev/null 2>"$WORK/down.err"
check_eq "--down: ups then downs run (exit code)" "$?" 0
run=$(newest)
check_eq "--down: 10 + 7 + 24 statements, no error" "$(per_version "$run")" "17 41 0"
check_eq "--down: the last migration of golang-migrate is the first one's down" \
    "$(q "SELECT path FROM migrations WHERE run_id = $run AND chain = 0 ORDER BY position DESC LIMIT 1" | sed 's|.*/||')" \
    1_create_users.down.sql

# "M N E;" for every major of the map from $1 up: N statements, E errors each
each_major() { local v; for v in "${PG_VERSIONS[@]}"; do [ "$v" -ge "$1" ] && printf '%s %s %s;' "$v" "$2" "$3"; done; }

# --- Synapse on every major ----------------------------------------------------
"$LM" run -q -V "$PG_ALL" -j 2 -d "$db" "$CORP/synapse/up" >"$WORK/syn.out" 2>"$WORK/syn.err"
check_eq "synapse: run exits 0" "$?" 0
run=$(newest)
got=$(per_version "$run")
while read -r major n e; do echo "# synapse $major: $n statements, $e errors"; done <<<"$got"
check_eq "synapse: 566 statements on every version, no error" "$(echo "$got" | tr '\n' ';')" \
    "$(each_major "$PG_MIN" 566 0)"
check_eq "synapse: every statement has a result on every version" "$(missing "$run")" 0
check_agreement synapse "$db" 98
names=$(q "SELECT path FROM migrations WHERE run_id = $run ORDER BY position" | sed 's|.*/up/|up/|')
check_eq "synapse: migrations in the order of ORDER" "$names" "$(cat "$CORP/synapse/ORDER")"

# --- Supabase Auth on 13 and later, with its preamble ---------------------------
"$LM" run -q -V 13- -j 2 -d "$db" --preamble "$CORP/supabase_auth/PREAMBLE.sql" "$CORP/supabase_auth" \
    >"$WORK/sup.out" 2>"$WORK/sup.err"
check_eq "supabase 13-: run exits 0" "$?" 0
run=$(newest)
got=$(per_version "$run")
while read -r major n e; do echo "# supabase_auth $major: $n statements, $e errors"; done <<<"$got"
check_eq "supabase 13-: 205 statements on every version, no error" "$(echo "$got" | tr '\n' ';')" \
    "$(each_major 13 205 0)"
check_eq "supabase 13-: every statement has a result" "$(missing "$run")" 0
check_agreement supabase_auth "$db" 98
check_eq "supabase: the directory with ORDER is loaded in its order" \
    "$(q "SELECT path FROM migrations WHERE run_id = $run ORDER BY position" | sed 's|.*/up/|up/|')" \
    "$(cat "$CORP/supabase_auth/ORDER")"
check_eq "supabase: the preamble is not traced (205 statements stored)" \
    "$(q "SELECT count(*) FROM statements s JOIN migrations m ON m.id = s.migration_id WHERE m.run_id = $run")" 205

# statements in DO blocks are traced: the DDL inside shows in the JSON
"$LM" report -d "$db" --run "$run" --format json >"$WORK/sup.json"
J="json_each(readfile('$WORK/sup.json'), '\$.statements') s"
ndo=$(json "SELECT count(*) FROM $J WHERE json_extract(s.value, '\$.class') = 'DO'")
check_eq "supabase: 31 DO blocks" "$ndo" 31
do_ok=$(json "SELECT count(*) FROM $J, json_each(s.value, '\$.results') r
    WHERE json_extract(s.value, '\$.class') = 'DO' AND json_extract(r.value, '\$.status') = 'ok'")
nsup=$((PG_MAX - 13 + 1)) # supabase runs on 13 and later
check_eq "supabase: every DO block ran on every version (31 x $nsup)" "$do_ok" $((31 * nsup))
do_locks=$(json "SELECT count(*) FROM $J, json_each(s.value, '\$.results') r
    WHERE json_extract(s.value, '\$.class') = 'DO' AND json_array_length(json_extract(r.value, '\$.locks')) > 0")
echo "# supabase_auth: DO blocks with locks: $do_locks of $((31 * nsup)) results (the others found nothing to do)"
check_eq "supabase: 22 DO blocks per version take locks (22 x $nsup)" "$do_locks" $((22 * nsup))
# 0002 #2: DO ... ALTER TABLE auth.users RENAME COLUMN ... inside an IF
rename=$(json "SELECT count(*) FROM $J, json_each(s.value, '\$.results') r, json_each(r.value, '\$.locks') l
    WHERE json_extract(s.value, '\$.migration') LIKE '%/0002__%' AND json_extract(s.value, '\$.index') = 2
      AND json_extract(l.value, '\$.relation') = 'auth.users' AND json_extract(l.value, '\$.mode') = 'AccessExclusiveLock'")
check_eq "supabase: the ALTER TABLE inside a DO block takes AccessExclusiveLock on auth.users (13-$PG_MAX)" "$rename" "$nsup"

# --- Supabase Auth on 10-12: features those versions lack ------------------------
"$LM" run -q -V 10-12 -j 2 -d "$db" --preamble "$CORP/supabase_auth/PREAMBLE.sql" "$CORP/supabase_auth/up" \
    >"$WORK/old.out" 2>"$WORK/old.err"
check_eq "supabase 10-12: run exits 0 (statement errors are results)" "$?" 0
run=$(newest)
got=$(per_version "$run")
while read -r major n e; do echo "# supabase_auth $major: $n statements, $e errors"; done <<<"$got"
check_eq "supabase 10-12: errors per version" "$(echo "$got" | tr '\n' ';')" "10 205 19;11 205 19;12 205 13;"
check_eq "supabase 10-12: every statement has a result" "$(missing "$run")" 0
# root causes, by (major, migration position, statement, sqlstate)
root() {
    q "SELECT j.major || ':' || m.position || '.' || s.idx || ':' || t.sqlstate FROM traces t
       JOIN jobs j ON j.id = t.job_id JOIN statements s ON s.id = t.statement_id
       JOIN migrations m ON m.id = s.migration_id
       WHERE j.run_id = $run AND t.status = 'error' AND t.sqlstate IN ('42601', '25001', '42883')
       ORDER BY j.major, m.position, s.idx" | tr '\n' ' '
}
# migration.statement, 1-based: 3.1 and 30.2 add GENERATED ALWAYS AS (...)
# STORED columns (12+: a syntax error before); 44.2, 68.1, 69.1, 69.4 use
# gen_random_uuid() (core from 13; pgcrypto before); 51.1 is ALTER TYPE ...
# ADD VALUE in a DO block (not allowed in a transaction block or function
# before 12). The other errors follow from these (42703, 42P01: the column or
# table was never made).
check_eq "supabase 10-12: the root causes" "$(root)" \
    "10:3.1:42601 10:30.2:42601 10:44.2:42883 10:51.1:25001 10:68.1:42883 10:69.1:42883 10:69.4:42883 11:3.1:42601 11:30.2:42601 11:44.2:42883 11:51.1:25001 11:68.1:42883 11:69.1:42883 11:69.4:42883 12:44.2:42883 12:68.1:42883 12:69.1:42883 12:69.4:42883 "

# --- the preamble ------------------------------------------------------------------
"$LM" run -q -V 17 -j 1 -d "$db" "$CORP/supabase_auth" >"$WORK/nopre.out" 2>&1
run=$(newest)
check_eq "supabase without its preamble: the first statement fails (no schema auth)" \
    "$(q "SELECT t.sqlstate FROM traces t JOIN jobs j ON j.id = t.job_id JOIN statements s ON s.id = t.statement_id
          JOIN migrations m ON m.id = s.migration_id WHERE j.run_id = $run AND m.position = 1 AND s.idx = 1")" 3F000

printf 'SELECT 1;\nCREATE TABLE pre (id int);\nSELEC 2;\n' >"$WORK/bad_pre.sql"
"$LM" run -q -V 17 -j 1 -d "$db" --preamble "$WORK/bad_pre.sql" "$LAYOUTS/plain" >"$WORK/badpre.out" 2>"$WORK/badpre.err"
check_eq "a failing preamble fails the job (exit 3)" "$?" 3
check "the reason names the preamble's line and the server's error" \
    grep -q "preamble \"$WORK/bad_pre.sql\" line 3: syntax error at or near \"SELEC\" (SQLSTATE 42601)" "$WORK/badpre.err"
check_eq "no statement of the chain ran" \
    "$(q "SELECT count(*) FROM traces t JOIN jobs j ON j.id = t.job_id WHERE j.run_id = $(newest) AND t.status <> 'skipped'")" 0

"$LM" run -q -V 17 -d "$db" --preamble /nonexistent.sql "$LAYOUTS/plain" >/dev/null 2>"$WORK/nopre.err"
check_eq "a preamble that cannot be read: usage error" "$?" 2
check "... with its reason" grep -q 'preamble: could not open "/nonexistent.sql": No such file or directory' "$WORK/nopre.err"

# a role made by the preamble is cluster-wide: every job gets a server without it
printf 'CREATE ROLE lm_preamble_role;\nCREATE TABLE made_by_preamble (id int);\n' >"$WORK/role.sql"
"$LM" run -q -V 17 -j 1 -d "$db" --each --preamble "$WORK/role.sql" "$LAYOUTS/plain" >"$WORK/role.out" 2>"$WORK/role.err"
check_eq "a preamble with CREATE ROLE runs before each of 3 chains on one worker" "$?" 0
check_eq "... 3 jobs ok" "$(q "SELECT count(*) FROM jobs WHERE run_id = $(newest) AND status = 'ok'")" 3

# --- --layout on the command line ---------------------------------------------------
"$LM" run -q -V 17 -d "$db" --layout nosuch "$LAYOUTS/plain" >/dev/null 2>"$WORK/lay.err"
check_eq "--layout with an unknown name: usage error" "$?" 2
check "... naming the layouts" grep -q 'unknown layout "nosuch" (plain, each, golang-migrate' "$WORK/lay.err"
"$LM" analyze --layout golang-migrate --format json "$LAYOUTS/golang_ups_only" >"$WORK/an.json" 2>"$WORK/an.err"
check_eq "analyze --layout golang-migrate" "$?" 0
check_eq "analyze: 3 statements" "$(json "SELECT json_array_length(readfile('$WORK/an.json'), '\$.statements')")" 3
"$LM" analyze --format json "$LAYOUTS/typeorm" >"$WORK/an2.json" 2>&1
check_eq "analyze marks SQL extracted from TypeORM" \
    "$(json "SELECT count(*) FROM json_each(readfile('$WORK/an2.json'), '\$.statements') s WHERE json_extract(s.value, '\$.extracted_from') = 'typeorm'")" 3
"$LM" analyze "$LAYOUTS/golang_ups_only" >/dev/null 2>"$WORK/an3.err"
check "analyze prints the note of a directory loaded as plain" grep -q "without downs" "$WORK/an3.err"

finish
