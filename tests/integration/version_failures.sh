#!/usr/bin/env bash
# Failures are not differences: a golang-migrate chain whose first migration
# calls gen_random_uuid() (42883 before 13) in its transaction, so that the
# statements after it are refused with 25P02 on 10, and whose second
# migration adds a column with a default (a rewrite on 10, none on 13). Traced
# on 10 and 13: every format starts with the per-version summary (10: one
# failure, three statements aborted after it; 13: all ok), the failing
# statement is not version-specific (the rewrite is), and the 25P02s are shown
# as consequences of the one failure.
source "$(dirname "$0")/lib.sh"

C="$WORK/m"
DB="$WORK/lm.db"
mkdir "$C"
cat >"$C/000001_uuid.up.sql" <<'SQL'
CREATE TABLE t (id int);
SELECT gen_random_uuid();
CREATE TABLE u (id int);
ALTER TABLE t ADD COLUMN c int DEFAULT 1;
CREATE INDEX t_id ON t (id);
SQL
echo 'DROP TABLE t;' >"$C/000001_uuid.down.sql"
cat >"$C/000002_col.up.sql" <<'SQL'
CREATE TABLE v (id int);
ALTER TABLE v ADD COLUMN c int DEFAULT 1;
SQL
echo 'DROP TABLE v;' >"$C/000002_col.down.sql"

"$LM" run -V 10,13 -d "$DB" "$C" >"$WORK/run.log" 2>&1
check_eq "run on 10 and 13" "$?" 0
has() { grep -qF -- "$2" "$1"; }
flat() { tr '\n' ' ' <"$1" | tr -s ' ' >"$1.flat"; }

# --- text ----------------------------------------------------------------------
"$LM" report -d "$DB" --format text >"$WORK/r.txt" 2>&1
check_eq "text report" "$?" 0
flat "$WORK/r.txt"
check_eq "text: the per-version summary comes first" \
    "$(sed -n 4p "$WORK/r.txt")" "per version:"
check_eq "text: 10 ran 7, 3 ok, 1 failed, 3 aborted" \
    "$(sed -n 5p "$WORK/r.txt")" "  10: 7 run, 3 ok, 1 failed, 3 aborted, 0 not run"
check "text: 10's first failure, file:line, SQLSTATE, message, what it aborted" \
    has "$WORK/r.txt.flat" "first failure $C/000001_uuid.up.sql:2: 42883 function gen_random_uuid() does not exist; after it 3 aborted, 0 not run"
check "text: 13 all ok" has "$WORK/r.txt" "  13: 7 run, 7 ok, 0 failed, 0 aborted, 0 not run"
check "text: the failure and its consequences" \
    has "$WORK/r.txt.flat" "error 42883 on 10: function gen_random_uuid() does not exist; 3 statements after it aborted"
check_eq "text: each 25P02 shown as aborted by it" \
    "$(grep -c 'on 10: aborted by the failure of statement 2 (line 2): 42883' "$WORK/r.txt")" 3
check "text: no 25P02 shown as an error of its own" bash -c "! grep -q 'error 25P02' '$WORK/r.txt'"
check "text: the rewrite is version-specific" \
    has "$WORK/r.txt" "* version-specific: rewrites v, scans v on 10; metadata-only on 13"
check "text: footer counts one version-specific, one error" \
    has "$WORK/r.txt" "7 statements in 2 migrations: 1 version-specific, 1 errors, 0 mismatches"

"$LM" report -d "$DB" --format text --only version-specific >"$WORK/vs.txt" 2>&1
check "--only version-specific: not the statement that only fails on 10" \
    bash -c "! grep -q 'gen_random_uuid()$' '$WORK/vs.txt' && ! grep -q 'SELECT gen_random' '$WORK/vs.txt'"
check "--only version-specific: the rewrite" has "$WORK/vs.txt" "ALTER TABLE v ADD COLUMN c int DEFAULT 1"
check "--only version-specific: the summary still of the whole run" \
    has "$WORK/vs.txt" "  10: 7 run, 3 ok, 1 failed, 3 aborted, 0 not run"

# --- json ----------------------------------------------------------------------
"$LM" report -d "$DB" --format json -o "$WORK/r.json"
check_eq "json report" "$?" 0
j() { sqlite3 :memory: "SELECT $1 FROM (SELECT readfile('$WORK/r.json') AS d)"; }
check_eq "json: per_version of 10" \
    "$(j "json_extract(d, '\$.per_version[0].version') || ' ' || json_extract(d, '\$.per_version[0].run') || ' ' || json_extract(d, '\$.per_version[0].ok') || ' ' || json_extract(d, '\$.per_version[0].failed') || ' ' || json_extract(d, '\$.per_version[0].aborted') || ' ' || json_extract(d, '\$.per_version[0].not_run')")" \
    "10 7 3 1 3 0"
check_eq "json: 10's first failure" \
    "$(j "json_extract(d, '\$.per_version[0].first_failure.migration') || ':' || json_extract(d, '\$.per_version[0].first_failure.line') || ' ' || json_extract(d, '\$.per_version[0].first_failure.sqlstate') || ' ' || json_extract(d, '\$.per_version[0].first_failure.aborted_after')")" \
    "$C/000001_uuid.up.sql:2 42883 3"
check_eq "json: 13 has no failure" \
    "$(j "json_extract(d, '\$.per_version[1].ok') || ' ' || json_type(d, '\$.per_version[1].first_failure')")" "7 null"
check_eq "json: gen_random_uuid() is not version-specific" \
    "$(j "json_extract(d, '\$.statements[1].sql') || ' ' || json_extract(d, '\$.statements[1].version_specific')")" \
    "SELECT gen_random_uuid() 0"
check_eq "json: the rewrite is" \
    "$(j "json_extract(d, '\$.statements[6].sql') || ' ' || json_extract(d, '\$.statements[6].version_specific')")" \
    "ALTER TABLE v ADD COLUMN c int DEFAULT 1 1"
check_eq "json: one version-specific statement" \
    "$(j "(SELECT count(*) FROM json_each(d, '\$.statements') WHERE json_extract(value, '\$.version_specific'))")" 1
check_eq "json: the failure counts what it aborted" \
    "$(j "json_extract(d, '\$.statements[1].results.\"10\".error.aborted_after')")" 3
check_eq "json: a 25P02 names its cause" \
    "$(j "json_extract(d, '\$.statements[3].results.\"10\".error.sqlstate') || ' ' || json_extract(d, '\$.statements[3].results.\"10\".error.aborted_by.line')")" \
    "25P02 2"

# --- markdown, html, sarif -----------------------------------------------------
"$LM" report -d "$DB" --format markdown -o "$WORK/r.md"
check "markdown: per version" has "$WORK/r.md" "- 10: 7 run, 3 ok, 1 failed, 3 aborted, 0 not run; first failure"
check "markdown: the failure and its consequences" has "$WORK/r.md" "does not exist; 3 statements after it aborted"
"$LM" report -d "$DB" --format html -o "$WORK/r.html"
check "html: per version" has "$WORK/r.html" '<li class="bad">10: 7 run, 3 ok, 1 failed, 3 aborted, 0 not run; first failure'
"$LM" report -d "$DB" --format sarif -o "$WORK/r.sarif"
check_eq "sarif: per version as the invocation's notifications" \
    "$(sqlite3 :memory: "SELECT group_concat(json_extract(value, '\$.level') || ':' || json_extract(value, '\$.properties.version') || ':' || json_extract(value, '\$.properties.aborted') || ':' || ifnull(json_extract(value, '\$.locations[0].physicalLocation.region.startLine'), '-'), ' ') FROM json_each(readfile('$WORK/r.sarif'), '\$.runs[0].invocations[0].toolExecutionNotifications')")" \
    "warning:10:3:2 note:13:0:-"
check_eq "sarif: one server-error result, not four" \
    "$(sqlite3 :memory: "SELECT count(*) FROM json_each(readfile('$WORK/r.sarif'), '\$.runs[0].results') WHERE json_extract(value, '\$.ruleId') = 'LM004'")" 1

finish
