#!/usr/bin/env bash
# The pictures of the HTML report (report/svg.c) on a real traced run, in
# headless Chromium: a golang-migrate directory whose first migration is one
# transaction (CREATE TABLE, then INSERTs, and two tables with hostile names),
# whose second is CREATE INDEX CONCURRENTLY (captured in phases) and whose
# third fails, traced on 17. tests/browser/check_pictures.js checks the
# per-version bar against the JSON report, the timeline (the table's
# AccessExclusiveLock held through every INSERT to COMMIT), the phases, and
# that no name executes. The screenshot is kept in
# build/test-artefacts/report-pictures.png.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

require_browser

m=$WORK/migrations
mkdir -p "$m"
cat >"$m/1_accounts.up.sql" <<'SQL'
CREATE TABLE accounts (id int PRIMARY KEY, name text);
CREATE TABLE "<script>alert(1)</script>" (id int);
CREATE TABLE "x""><svg onload=alert(2)>" (id int);
INSERT INTO accounts VALUES (1, 'a');
INSERT INTO accounts VALUES (2, 'b');
INSERT INTO accounts VALUES (3, 'c');
SQL
echo 'DROP TABLE accounts;' >"$m/1_accounts.down.sql"
echo 'CREATE INDEX CONCURRENTLY accounts_name ON accounts (name);' >"$m/2_index.up.sql"
echo 'DROP INDEX accounts_name;' >"$m/2_index.down.sql"
echo 'INSERT INTO no_such_table VALUES (1);' >"$m/3_fails.up.sql"
echo 'SELECT 1;' >"$m/3_fails.down.sql"

"$LM" run -q -V 17 -d "$WORK/lm.db" "$m" >"$WORK/run.out" 2>"$WORK/run.err"
check_eq "the run exits 0 (a statement failing on the server is a result)" "$?" 0
"$LM" report -d "$WORK/lm.db" --format json -o "$WORK/report.json"
check_eq "report --format json" "$?" 0
"$LM" report -d "$WORK/lm.db" --format html -o "$WORK/report.html"
check_eq "report --format html" "$?" 0
check "the page is one file with no external asset" \
    bash -c "! grep -Eq '(src|href)=\"|https?://' '$WORK/report.html'"

browser_check check_pictures.js "$WORK/report.html" report-pictures.png "$WORK/report.json"
finish
