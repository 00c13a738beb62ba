#!/usr/bin/env bash
# Statements newer than the parser (libpg_query 15 knows PostgreSQL 15's
# grammar) are classified from their leading keywords: traced on real 17 and
# 18 servers, the cell shows the lock on the target, the verdict is judged
# against the coarse class's row (not "unpredicted" where it has one), and the
# JSON says "parsed": "keywords" (report and analyze). A file where such
# statements sit between others still splits into all its statements, and
# locktable --check leaves them out of the regeneration.
source "$(dirname "$0")/lib.sh"

db="$WORK/kw.db"
q() { sqlite3 "$db" "$@"; }
# js FILE SQL: a query over the JSON in FILE (bound as j)
js() { sqlite3 :memory: "WITH f(j) AS (SELECT readfile('$1')) $2"; }

cat >"$WORK/m18.sql" <<'SQL'
CREATE TABLE t (id int PRIMARY KEY, a int, x int, d int GENERATED ALWAYS AS (a * 2) STORED);
ALTER TABLE t ALTER COLUMN d SET EXPRESSION AS (a * 3);
ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS (a * 2) VIRTUAL;
-- a comment between them; ; ;
ALTER TABLE "public"."t" ADD CONSTRAINT ck CHECK (x > 0) NOT ENFORCED;
ALTER TABLE ONLY t ADD CONSTRAINT nn NOT NULL x NOT VALID;
SELECT count(*) FROM t;
SQL
cat >"$WORK/m17.sql" <<'SQL'
CREATE TABLE u (id int, a int);
ALTER TABLE u ALTER COLUMN a SET STATISTICS DEFAULT;
SQL

# The lock table of the run: the built-in one, where a class has no row for
# 18 its row ending at 17 extended to 18 (the statements here lock on 18 as
# on 17), so that the test holds with or without the table's own 18 rows.
awk -F'\t' -v OFS='\t' 'NR == FNR { if ($1 !~ /^#/ && $3 ~ /^[0-9]+$/ && $3 >= 18) has[$1] = 1; next }
    $1 !~ /^#/ && $3 == "17" && !($1 in has) { $3 = 18 } { print }' \
    "$ROOT/predict/locktable.tsv" "$ROOT/predict/locktable.tsv" >"$WORK/lt.tsv"

# --- analyze: no server ------------------------------------------------------
"$LM" analyze -V 17 --format json "$WORK/m18.sql" >"$WORK/an.json" 2>"$WORK/an.err"
check_eq "analyze exits 0" "$?" 0
check_eq "analyze: every statement of the file, split as written" \
    "$(js "$WORK/an.json" "SELECT group_concat(json_extract(s.value, '\$.line'), ',') FROM f, json_each(f.j, '\$.statements') s")" \
    "1,2,3,5,6,7"
check_eq "analyze: how each was classified" \
    "$(js "$WORK/an.json" "SELECT group_concat(json_extract(s.value, '\$.parsed'), ',') FROM f, json_each(f.j, '\$.statements') s")" \
    "tree,keywords,keywords,keywords,keywords,tree"
check_eq "analyze: ADD COLUMN ... VIRTUAL: class, target, parsed" \
    "$(js "$WORK/an.json" "SELECT json_extract(f.j, '\$.statements[2].class') || '|' || json_extract(f.j, '\$.statements[2].target') || '|' || json_extract(f.j, '\$.statements[2].parsed') FROM f")" \
    "ALTER TABLE ADD COLUMN|t|keywords"
check_eq "analyze: predicted from the coarse class's row on 17, rewrite and scan depend" \
    "$(js "$WORK/an.json" "SELECT json_extract(f.j, '\$.statements[2].results.\"17\".predicted.mode') || '|' || json_type(f.j, '\$.statements[2].results.\"17\".predicted.rewrite') || '|' || json_type(f.j, '\$.statements[2].results.\"17\".predicted.scan') FROM f")" \
    "AccessExclusiveLock|null|null"
printf 'FROBNICATE t;\nSELECT 1;\n' >"$WORK/none.sql"
"$LM" analyze --format json "$WORK/none.sql" >"$WORK/none.json" 2>/dev/null
check_eq "analyze: what nothing reads is unparsed, parsed none" \
    "$(js "$WORK/none.json" "SELECT json_extract(f.j, '\$.statements[0].class') || '|' || json_extract(f.j, '\$.statements[0].parsed') || '|' || json_extract(f.j, '\$.statements[1].parsed') FROM f")" \
    "unparsed|none|tree"
"$LM" analyze -V 17 "$WORK/m18.sql" >"$WORK/an.txt" 2>&1
check "analyze (text) says which classes come from the keywords" \
    test "$(grep -c 'class from its keywords only' "$WORK/an.txt")" -eq 4

# --- a run on 17 and 18 --------------------------------------------------------
"$LM" run -q -V 17-18 -j 2 -d "$db" --locktable "$WORK/lt.tsv" "$WORK/m18.sql" "$WORK/m17.sql" \
    >"$WORK/run.out" 2>"$WORK/run.err"
check_eq "run exits 0" "$?" 0
run=$(q "SELECT max(id) FROM runs")
check_eq "the store has every statement, split as written" \
    "$(q "SELECT group_concat(s.line, ',') FROM statements s JOIN migrations m ON m.id = s.migration_id WHERE m.run_id = $run AND m.path LIKE '%m18.sql' ORDER BY s.idx")" \
    "1,2,3,5,6,7"
"$LM" report -d "$db" --format json >"$WORK/report.json"
check_eq "report exits 0" "$?" 0
# stmt: the JSON object of statement LINE of m18.sql (or m17.sql)
res() { # file line version field (json path under the result)
    js "$WORK/report.json" "SELECT json_extract(r.value, '$4') FROM f, json_each(f.j, '\$.statements') s, json_each(s.value, '\$.results') r
        WHERE json_extract(s.value, '\$.migration') LIKE '%$1' AND json_extract(s.value, '\$.line') = $2 AND r.key = '$3'"
}
stmt() { # file line field
    js "$WORK/report.json" "SELECT json_extract(s.value, '$3') FROM f, json_each(f.j, '\$.statements') s
        WHERE json_extract(s.value, '\$.migration') LIKE '%$1' AND json_extract(s.value, '\$.line') = $2"
}
target_lock() { # file line version: the strongest mode on the target as the report lists it
    js "$WORK/report.json" "SELECT group_concat(DISTINCT json_extract(l.value, '\$.mode')) FROM f, json_each(f.j, '\$.statements') s, json_each(s.value, '\$.results') r, json_each(r.value, '\$.locks') l
        WHERE json_extract(s.value, '\$.migration') LIKE '%$1' AND json_extract(s.value, '\$.line') = $2 AND r.key = '$3'
        AND json_extract(l.value, '\$.role') = 'table' AND json_extract(l.value, '\$.relation') = 't' AND json_extract(l.value, '\$.mode') = 'AccessExclusiveLock'"
}
for line in 2 3 5 6; do
    check_eq "m18.sql:$line: \"parsed\": \"keywords\"" "$(stmt m18.sql $line '$.parsed')" keywords
    check_eq "m18.sql:$line: its target is t" "$(stmt m18.sql $line '$.target')" t
    check_eq "m18.sql:$line on 18: AccessExclusiveLock on the target" "$(target_lock m18.sql $line 18)" AccessExclusiveLock
done
check_eq "m18.sql:1 (CREATE TABLE) parsed by the tree" "$(stmt m18.sql 1 '$.parsed')" tree
# the classes with a row on 18 (ADD COLUMN, ADD CONSTRAINT CHECK): judged, and confirmed
check_eq "ADD COLUMN ... VIRTUAL on 18: class" "$(stmt m18.sql 3 '$.class')" "ALTER TABLE ADD COLUMN"
check_eq "ADD COLUMN ... VIRTUAL on 18: confirmed" "$(res m18.sql 3 18 '$.verdict')" confirmed
check_eq "ADD COLUMN ... VIRTUAL on 18: predicted mode" "$(res m18.sql 3 18 '$.predicted.mode')" AccessExclusiveLock
check_eq "CHECK ... NOT ENFORCED on 18: class" "$(stmt m18.sql 5 '$.class')" "ALTER TABLE ADD CONSTRAINT CHECK"
check_eq "CHECK ... NOT ENFORCED on 18: confirmed" "$(res m18.sql 5 18 '$.verdict')" confirmed
check_eq "CHECK ... NOT ENFORCED on 17: a syntax error there" "$(res m18.sql 5 17 '$.error.sqlstate')" 42601
# a class of 18's syntax with its own row (hand-written from the cases' traces)
check_eq "NOT NULL ... NOT VALID on 18: its own row, confirmed" "$(res m18.sql 6 18 '$.verdict')" confirmed
check_eq "NOT NULL ... NOT VALID on 18: predicted mode" "$(res m18.sql 6 18 '$.predicted.mode')" AccessExclusiveLock
check_eq "SET EXPRESSION on 17: its lock on the target" "$(target_lock m18.sql 2 17)" AccessExclusiveLock
check "SET EXPRESSION on 17: it rewrites the table" grep -q "\"t\"" <<<"$(res m18.sql 2 17 "\$.rewrites")"
# 17's syntax on 17, with the built-in rows
check_eq "SET STATISTICS DEFAULT (17+): parsed" "$(stmt m17.sql 2 '$.parsed')" keywords
check_eq "SET STATISTICS DEFAULT on 17: confirmed" "$(res m17.sql 2 17 '$.verdict')" confirmed
check_eq "SET STATISTICS DEFAULT on 17: its mode" "$(res m17.sql 2 17 '$.predicted.mode')" ShareUpdateExclusiveLock
verdicts18=$(q "SELECT group_concat(p.verdict, ',') FROM (SELECT p.verdict FROM predictions p JOIN traces t ON t.id = p.trace_id
    JOIN statements s ON s.id = t.statement_id JOIN jobs j ON j.id = t.job_id
    WHERE j.run_id = $run AND t.major = 18 AND s.class IN ('ALTER TABLE ADD COLUMN', 'ALTER TABLE ADD CONSTRAINT CHECK',
    'ALTER TABLE ALTER COLUMN SET STATISTICS') ORDER BY s.class) p")
check_eq "on 18, the classes with a row are judged, none unpredicted" "$verdicts18" "confirmed,confirmed,confirmed"

# --- text, markdown, HTML, SARIF ---------------------------------------------------------
"$LM" report -d "$db" --format text >"$WORK/report.txt"
check "text: the ADD COLUMN row shows AX confirmed on 18" \
    grep -qE '^ +3 +3  ALTER TABLE ADD COLUMN +E42601x +AX=' "$WORK/report.txt"
check_eq "text: a note under each statement classified from its keywords" \
    "$(grep -c 'class from its keywords only' "$WORK/report.txt")" 5
"$LM" report -d "$db" --format markdown >"$WORK/report.md"
check_eq "markdown: the note in the notes column" "$(grep -c 'class from its keywords only' "$WORK/report.md")" 5
"$LM" report -d "$db" --format html -o "$WORK/report.html"
check_eq "html: a (from keywords) tag after each such class" \
    "$(grep -o '</span> <small class="kw" title="class from its keywords only[^"]*">(from keywords)</small>' "$WORK/report.html" | wc -l)" 5
"$LM" report -d "$db" --format sarif >"$WORK/report.sarif" 2>/dev/null
parsed_props=$(js "$WORK/report.sarif" "SELECT count(*) FROM f, json_each(f.j, '\$.runs[0].results') r WHERE json_extract(r.value, '\$.properties.parsed') = 'keywords'")
check "sarif: results of such statements carry parsed keywords ($parsed_props)" test "$parsed_props" -gt 0

# --- the lock table's regeneration leaves them out -----------------------------------
"$LM" locktable --check -d "$db" --locktable "$WORK/lt.tsv" >"$WORK/check.out" 2>&1
check_eq "locktable --check passes" "$?" 0
check "locktable --check counts them apart" \
    grep -qE '^  7 classified from its keywords only \(syntax newer than the parser\)$' "$WORK/check.out"

# --- --version names the libpg_query it runs with ------------------------------------
"$LM" --version >"$WORK/version.out"
so=$(ldd "$LM" | awk '/libpg_query/ { print $3 }')
if [ -n "$so" ]; then
    # libpg_query.so.1504.0.0 is release 15-4.0.0
    want=$(readlink -f "$so" | sed -nE 's/.*libpg_query\.so\.([0-9]+)([0-9]{2})\.([0-9]+)\.([0-9]+)$/\1-\2.\3.\4/p' | sed -E 's/-0([0-9])/-\1/')
    check_eq "--version: the libpg_query release loaded" \
        "$(awk '$1 == "libpg_query" { print $2 }' "$WORK/version.out")" "$want"
else
    check "--version: libpg_query linked statically is still named" grep -qE '^libpg_query [0-9]' "$WORK/version.out"
fi
check "--version: and the PostgreSQL parser it carries" grep -qE '^libpg_query .*PostgreSQL 15\.[0-9]+ parser' "$WORK/version.out"

finish
