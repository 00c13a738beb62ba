#!/usr/bin/env bash
# The predictor in the schema a chain builds: `analyze` decides ALTER COLUMN
# TYPE from the column's type and the new one (per version, under the
# session's TimeZone), says "unknown" for a table the corpus never defines,
# reads --schema (a syntax error is a warning naming file:line); a run of the
# same chain on real servers rewrites exactly where analyze says, and every
# verdict is "confirmed". The same for what the statement and the schema
# decide elsewhere: ALTER SEQUENCE's options, SET LOGGED / UNLOGGED and SET
# ACCESS METHOD against what the table has, ALTER COLUMN TYPE of arrays,
# domains and enums, SET EXPRESSION on 17.
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

# --- decided by the statement and the schema, against real servers -------------------------
mkdir -p "$WORK/d1" "$WORK/d2"
cat >"$WORK/d1/001.sql" <<'SQL'
CREATE SEQUENCE s;
CREATE TABLE o (id int);
ALTER SEQUENCE s RESTART;
ALTER SEQUENCE s INCREMENT BY 2;
ALTER SEQUENCE s CACHE 10;
ALTER SEQUENCE s OWNED BY o.id;
CREATE TABLE lg (id int);
INSERT INTO lg VALUES (1);
ALTER TABLE lg SET LOGGED;
ALTER TABLE lg SET UNLOGGED;
ALTER TABLE lg SET UNLOGGED;
CREATE TYPE mood AS ENUM ('a', 'b');
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE DOMAIN short AS varchar(10);
CREATE TABLE ty (a int[], b varchar(5)[], c int[], m mood, t text, d posint, e int, f varchar(5), g text);
INSERT INTO ty VALUES ('{1}', '{x}', '{1}', 'a', 'a', 1, 1, 'x', 'x');
ALTER TABLE ty ALTER COLUMN a TYPE bigint[];
ALTER TABLE ty ALTER COLUMN b TYPE varchar(10)[];
ALTER TABLE ty ALTER COLUMN c TYPE int[];
ALTER TABLE ty ALTER COLUMN m TYPE mood;
ALTER TABLE ty ALTER COLUMN t TYPE mood USING t::mood;
ALTER TABLE ty ALTER COLUMN d TYPE int;
ALTER TABLE ty ALTER COLUMN e TYPE posint;
ALTER TABLE ty ALTER COLUMN f TYPE short;
ALTER TABLE ty ALTER COLUMN g TYPE short;
CREATE FUNCTION f_stable() RETURNS int LANGUAGE plpgsql STABLE AS 'BEGIN RETURN 1; END';
CREATE FUNCTION f_vol() RETURNS int LANGUAGE plpgsql AS 'BEGIN RETURN 1; END';
ALTER TABLE ty ADD COLUMN n1 timestamptz DEFAULT now();
ALTER TABLE ty ADD COLUMN n2 float8 DEFAULT random();
ALTER TABLE ty ADD COLUMN n3 int DEFAULT f_stable();
ALTER TABLE ty ADD COLUMN n4 int DEFAULT f_vol();
ALTER TABLE ty ADD COLUMN n5 timestamp DEFAULT timezone('UTC', now());
SQL
cat >"$WORK/d2/001.sql" <<'SQL'
CREATE TABLE am (id int);
INSERT INTO am VALUES (1);
ALTER TABLE am SET ACCESS METHOD heap;
CREATE ACCESS METHOD heap2 TYPE TABLE HANDLER heap_tableam_handler;
ALTER TABLE am SET ACCESS METHOD heap2;
ALTER TABLE am SET ACCESS METHOD heap2;
CREATE TABLE ge (a int, b int GENERATED ALWAYS AS (a * 2) STORED);
INSERT INTO ge (a) VALUES (1);
ALTER TABLE ge ALTER COLUMN b SET EXPRESSION AS (a * 3);
SQL
# per ALTER (line): its rewrite and scan, as analyze predicts them and as the
# server did them (the statement's target given new files, scanned)
decided() { # json file, "predicted" or "traced"
    local rw sc
    if [ "$2" = predicted ]; then
        rw="coalesce(json_extract(r.value, '\$.predicted.rewrite'), 'null')"
        sc="coalesce(json_extract(r.value, '\$.predicted.scan'), 'null')"
    else
        rw="EXISTS (SELECT 1 FROM json_each(r.value, '\$.rewrites') w WHERE w.value = json_extract(s.value, '\$.target'))"
        sc="EXISTS (SELECT 1 FROM json_each(r.value, '\$.scans') w WHERE w.value = json_extract(s.value, '\$.target'))"
    fi
    sqlite3 :memory: "SELECT json_extract(s.value, '\$.line') || ':' || group_concat(r.key || '=' || $rw || $sc, ' ')
        FROM json_each(readfile('$1'), '\$.statements') s, json_each(s.value, '\$.results') r
        WHERE json_extract(s.value, '\$.sql') LIKE 'ALTER%' GROUP BY s.key ORDER BY s.key" | tr '
' ';'
}
# RESTART, INCREMENT, CACHE write a new sequence file, OWNED BY not; SET
# LOGGED of a logged table and SET UNLOGGED of an unlogged one do nothing;
# arrays of another element type or length, a domain with a CHECK and text to
# a shorter domain rewrite; the same array, the same enum, a domain to its
# base and varchar(5) to a domain of varchar(10) do not; a default of a
# stable function (now(), the chain's STABLE one) is stored once from 11 on,
# a volatile one (random(), the chain's) rewrites; timezone's overloads are
# all non-volatile from 15 on (timezone(text, timetz) was volatile before)
want_d1="3:10=10 15=10 18=10;4:10=10 15=10 18=10;5:10=10 15=10 18=10;6:10=00 15=00 18=00;"
want_d1+="9:10=00 15=00 18=00;10:10=11 15=11 18=11;11:10=00 15=00 18=00;"
want_d1+="17:10=11 15=11 18=11;18:10=11 15=11 18=11;19:10=00 15=00 18=00;20:10=00 15=00 18=00;"
want_d1+="21:10=11 15=11 18=11;22:10=00 15=00 18=00;23:10=11 15=11 18=11;24:10=00 15=00 18=00;"
want_d1+="25:10=11 15=11 18=11;28:10=11 15=00 18=00;29:10=11 15=11 18=11;30:10=11 15=00 18=00;"
want_d1+="31:10=11 15=11 18=11;32:10=11 15=00 18=00;"
# SET ACCESS METHOD heap of a heap table: nothing; to heap2 a rewrite, then
# nothing; SET EXPRESSION of a stored column rewrites (17 has no other kind;
# on 18 the model's column is stored: a virtual one never enters the model)
want_d2="3:17=00 18=00;5:17=11 18=11;6:17=00 18=00;9:17=11 18=11;"
"$LM" analyze -V 10,15,18 --format json "$WORK/d1" >"$WORK/d1a.json"
check_eq "analyze: sequences, persistence, arrays, domains, enums decided"     "$(decided "$WORK/d1a.json" predicted)" "$want_d1"
"$LM" analyze -V 17,18 --format json "$WORK/d2" >"$WORK/d2a.json"
check_eq "analyze: access methods, SET EXPRESSION decided" "$(decided "$WORK/d2a.json" predicted)" "$want_d2"
"$LM" run -q -V 10,15,18 -j 2 -d "$WORK/d1.db" "$WORK/d1" >"$WORK/d1run.out" 2>&1
check_eq "run d1 exits 0" "$?" 0
"$LM" report -d "$WORK/d1.db" --format json >"$WORK/d1r.json"
check_eq "run: the servers rewrite and scan as analyze said" \
    "$(decided "$WORK/d1r.json" traced)" "$(decided "$WORK/d1a.json" predicted)"
"$LM" run -q -V 17,18 -j 2 -d "$WORK/d2.db" "$WORK/d2" >"$WORK/d2run.out" 2>&1
check_eq "run d2 exits 0" "$?" 0
"$LM" report -d "$WORK/d2.db" --format json >"$WORK/d2r.json"
check_eq "run: access methods and SET EXPRESSION as analyze said" \
    "$(decided "$WORK/d2r.json" traced)" "$want_d2"
for j in d1r d2r; do
    verdicts=$(sqlite3 :memory: "SELECT group_concat(DISTINCT json_extract(r.value, '\$.verdict'))
        FROM json_each(readfile('$WORK/$j.json'), '\$.statements') s, json_each(s.value, '\$.results') r
        WHERE json_extract(s.value, '\$.sql') LIKE 'ALTER%'")
    check_eq "run $j: every verdict of an ALTER confirmed" "$verdicts" "confirmed"
done

# a virtual column (18) is syntax the parser cannot read: its table is not in
# the model, so SET EXPRESSION of it is not guessed (traced: catalog only)
printf 'CREATE TABLE gv (a int, b int GENERATED ALWAYS AS (a * 2) VIRTUAL);\nALTER TABLE gv ALTER COLUMN b SET EXPRESSION AS (a * 3);\n' >"$WORK/gv.sql"
"$LM" analyze -V 18 --format json "$WORK/gv.sql" >"$WORK/gv.json"
got=$(sqlite3 :memory: "SELECT json_extract(r.value, '\$.predicted.unknown') || ' ' || coalesce(json_extract(r.value, '\$.predicted.rewrite'), 'null')
    FROM json_each(readfile('$WORK/gv.json'), '\$.statements') s, json_each(s.value, '\$.results') r
    WHERE json_extract(s.value, '\$.sql') LIKE 'ALTER%'")
check_eq "SET EXPRESSION of a virtual column on 18: not guessed" "$got" "table gv not defined in the corpus null"

# --- a table the corpus does not define -------------------------------------------------
printf 'ALTER TABLE users ALTER COLUMN id TYPE bigint;\n' >"$WORK/u.sql"
"$LM" analyze -V 17 --format json "$WORK/u.sql" >"$WORK/u.json"
got=$(sqlite3 :memory: "SELECT json_extract(r.value, '\$.predicted.unknown') || ' ' || coalesce(json_extract(r.value, '\$.predicted.rewrite'), 'null')
    FROM json_each(readfile('$WORK/u.json'), '\$.statements') s, json_each(s.value, '\$.results') r")
check_eq "unknown table: said, rewrite not guessed" "$got" "table users not defined in the corpus null"
"$LM" analyze -V 17 "$WORK/u.sql" >"$WORK/u.txt"
check "unknown table: said in the text output" grep -q "unknown: table users not defined in the corpus" "$WORK/u.txt"
printf 'ALTER TABLE users SET LOGGED;\nALTER TABLE users SET ACCESS METHOD heap;\n' >"$WORK/u2.sql"
"$LM" analyze -V 17 --format json "$WORK/u2.sql" >"$WORK/u2.json"
got=$(sqlite3 :memory: "SELECT group_concat(json_extract(r.value, '\$.predicted.unknown') || ' ' || coalesce(json_extract(r.value, '\$.predicted.rewrite'), 'null'), ';')
    FROM json_each(readfile('$WORK/u2.json'), '\$.statements') s, json_each(s.value, '\$.results') r")
check_eq "unknown table of SET LOGGED, SET ACCESS METHOD: said, not guessed" "$got" \
    "table users not defined in the corpus null;table users not defined in the corpus null"

printf 'CREATE TABLE x (id int);\nALTER TABLE x ADD COLUMN a int DEFAULT nosuch();\n' >"$WORK/f.sql"
"$LM" analyze -V 10,17 --format json "$WORK/f.sql" >"$WORK/f.json"
got=$(sqlite3 :memory: "SELECT group_concat(r.key || ' ' || json_extract(r.value, '\$.predicted.unknown') || ' ' || coalesce(json_extract(r.value, '\$.predicted.rewrite'), 'null'), ';')
    FROM json_each(readfile('$WORK/f.json'), '\$.statements') s, json_each(s.value, '\$.results') r
    WHERE json_extract(s.value, '\$.sql') LIKE 'ALTER%'")
check_eq "a default calling a function nobody defines: said; 10 rewrites any default, 17 not guessed" "$got" \
    "10 function nosuch not defined in the corpus 1;17 function nosuch not defined in the corpus null"

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
