#!/usr/bin/env bash
# The predictor in the schema a chain builds: `analyze` decides ALTER COLUMN
# TYPE from the column's type and the new one (per version, under the
# session's TimeZone), says "unknown" for a table the corpus never defines,
# reads --schema (a syntax error is a warning naming file:line); a run of the
# same chain on real servers rewrites exactly where analyze says, and every
# verdict is "confirmed".
source "$(dirname "$0")/lib.sh"

VERS=10,11,12,17
mkdir -p "$WORK/m"
cat >"$WORK/m/001_types.sql" <<'SQL'
CREATE TABLE t (a int, b varchar(10), c varchar(10), d numeric(10,2), e numeric(10,2), f timestamp);
ALTER TABLE t ALTER COLUMN a TYPE bigint;
ALTER TABLE t ALTER COLUMN b TYPE varchar(20);
ALTER TABLE t ALTER COLUMN c TYPE text;
ALTER TABLE t ALTER COLUMN d TYPE numeric(12,2);
ALTER TABLE t ALTER COLUMN e TYPE numeric(10,4);
ALTER TABLE t ALTER COLUMN f TYPE timestamptz;
SQL
# the rewrite of each ALTER per version (10 11 12 17): int -> bigint always;
# wider varchar, varchar -> text, wider numeric never; another scale always;
# timestamp -> timestamptz under UTC from 12 on not
want_rw="a:1 1 1 1;b:0 0 0 0;c:0 0 0 0;d:0 0 0 0;e:1 1 1 1;f:1 1 0 0;"
rewrites() { # json file, key of the results (predicted rewrite or the trace's)
    sqlite3 :memory: "SELECT substr(json_extract(s.value, '\$.sql'), 28, 1) || ':' ||
        group_concat(coalesce($2, 'null'), ' ') FROM json_each(readfile('$1'), '\$.statements') s,
        json_each(s.value, '\$.results') r WHERE json_extract(s.value, '\$.sql') LIKE 'ALTER%'
        GROUP BY s.key ORDER BY s.key" | tr '\n' ';'
}

# --- analyze -------------------------------------------------------------------------
"$LM" analyze -V "$VERS" --format json "$WORK/m" >"$WORK/a.json" 2>"$WORK/a.err"
check_eq "analyze exits 0" "$?" 0
check_eq "analyze: the rewrite of each type change per version" \
    "$(rewrites "$WORK/a.json" "json_extract(r.value, '\$.predicted.rewrite')")" "$want_rw"
check_eq "analyze: scan where it rewrites" \
    "$(rewrites "$WORK/a.json" "json_extract(r.value, '\$.predicted.scan')")" "$want_rw"
note=$(sqlite3 :memory: "SELECT json_extract(r.value, '\$.predicted.note') FROM json_each(readfile('$WORK/a.json'), '\$.statements') s,
    json_each(s.value, '\$.results') r WHERE json_extract(s.value, '\$.sql') LIKE '%f TYPE%' AND r.key = '17'")
check "the note says the TimeZone decided: $note" grep -q "TimeZone of UTC" <<<"$note"
"$LM" analyze -V "$VERS" --format json --timezone Europe/Paris "$WORK/m" >"$WORK/paris.json"
check_eq "--timezone Europe/Paris: timestamp -> timestamptz rewrites everywhere" \
    "$(rewrites "$WORK/paris.json" "json_extract(r.value, '\$.predicted.rewrite')" | grep -o 'f:[^;]*')" "f:1 1 1 1"

# --- the same chain on real servers --------------------------------------------------------
db="$WORK/r.db"
"$LM" run -q -V "$VERS" -j 2 -d "$db" "$WORK/m" >"$WORK/run.out" 2>"$WORK/run.err"
check_eq "run exits 0" "$?" 0
"$LM" report -d "$db" --format json >"$WORK/r.json"
check_eq "run: the traced rewrites are the predicted ones" \
    "$(rewrites "$WORK/r.json" "json_array_length(r.value, '\$.rewrites') > 0")" "$want_rw"
check_eq "run: the stored predictions are analyze's" \
    "$(rewrites "$WORK/r.json" "json_extract(r.value, '\$.predicted.rewrite')")" "$want_rw"
verdicts=$(sqlite3 :memory: "SELECT group_concat(DISTINCT json_extract(r.value, '\$.verdict'))
    FROM json_each(readfile('$WORK/r.json'), '\$.statements') s, json_each(s.value, '\$.results') r")
check_eq "run: every verdict confirmed" "$verdicts" "confirmed"

# --- a table the corpus does not define -------------------------------------------------
printf 'ALTER TABLE users ALTER COLUMN id TYPE bigint;\n' >"$WORK/u.sql"
"$LM" analyze -V 17 --format json "$WORK/u.sql" >"$WORK/u.json"
got=$(sqlite3 :memory: "SELECT json_extract(r.value, '\$.predicted.unknown') || ' ' || coalesce(json_extract(r.value, '\$.predicted.rewrite'), 'null')
    FROM json_each(readfile('$WORK/u.json'), '\$.statements') s, json_each(s.value, '\$.results') r")
check_eq "unknown table: said, rewrite not guessed" "$got" "table users not defined in the corpus null"
"$LM" analyze -V 17 "$WORK/u.sql" >"$WORK/u.txt"
check "unknown table: said in the text output" grep -q "unknown: table users not defined in the corpus" "$WORK/u.txt"

# --- --schema ------------------------------------------------------------------------------
printf -- '-- a dump\nCREATE TABLE users (id int, name varchar(10));\nCREATE TABLE broken (a int,, b int);\n' >"$WORK/dump.sql"
"$LM" analyze -V 17 --format json --schema "$WORK/dump.sql" "$WORK/u.sql" >"$WORK/s.json" 2>"$WORK/s.err"
check_eq "--schema: analyze goes on past a syntax error" "$?" 0
check "--schema: the warning names file:line" grep -q "dump.sql:3: syntax error" "$WORK/s.err"
got=$(sqlite3 :memory: "SELECT coalesce(json_extract(r.value, '\$.predicted.unknown'), '-') || ' ' || json_extract(r.value, '\$.predicted.rewrite')
    FROM json_each(readfile('$WORK/s.json'), '\$.statements') s, json_each(s.value, '\$.results') r")
check_eq "--schema: the table is known, int -> bigint rewrites" "$got" "- 1"
"$LM" analyze -V 17 --schema "$WORK/none.sql" "$WORK/u.sql" >/dev/null 2>"$WORK/n.err"
check_eq "--schema of a missing file: usage error" "$?" 2

finish
