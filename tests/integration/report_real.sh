#!/usr/bin/env bash
# Reports of real runs: fixtures/cases traced on 10 and 17, every format
# rendered and checked for the known version differences; the same corpus
# traced again (no regression, exit 0); a changed fixture (exit 1, the change
# listed); a hostile migration (<script> in a comment and in quoted
# identifiers, pipes, backticks, an ANSI escape) that no format lets through.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

if [ ! -d fixtures/cases ]; then
    echo "# skip: no fixtures/cases in this tree"
    finish
fi
DB="$WORK/lm.db"
cp -r fixtures/cases "$WORK/cases"

"$LM" run -V 10,17 -d "$DB" "$WORK/cases" >"$WORK/run1.log" 2>&1
check_eq "run 1 of fixtures/cases on 10 and 17" "$?" 0

"$LM" report -d "$DB" --format text --only version-specific >"$WORK/vs.txt" 2>&1
check_eq "text report" "$?" 0
has() { grep -qF -- "$2" "$1"; }
check "ATTACH PARTITION: AccessExclusiveLock on 10, ShareUpdateExclusiveLock on 17" \
    has "$WORK/vs.txt" "* version-specific: AccessExclusiveLock on 10; ShareUpdateExclusiveLock on 17"
check "REINDEX CONCURRENTLY: failing on 10 only is not version-specific" \
    bash -c "! grep -qF 'error 42601 on 10; ok on 17' '$WORK/vs.txt'"
check "the per-version summary counts the failures on 10" \
    grep -qE '^  10: [0-9]+ run, [0-9]+ ok, [1-9][0-9]* failed' "$WORK/vs.txt"
tr '\n' ' ' <"$WORK/vs.txt" | tr -s ' ' >"$WORK/vs.flat"
check "ADD COLUMN DEFAULT constant: rewrites on 10, metadata-only on 17" \
    has "$WORK/vs.flat" "* version-specific: rewrites acd_orders, acd_orders_pkey, scans acd_orders on 10; metadata-only on 17"
check "the per-class summary" has "$WORK/vs.txt" "== By class"
check "--only version-specific leaves out the others" bash -c "! grep -q 'CREATE TABLE acd_orders' '$WORK/vs.txt'"
longest=$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$WORK/vs.txt")
check "text fits 100 columns ($longest)" test "$longest" -le 100

for f in markdown json html sarif; do
    "$LM" report -d "$DB" --format "$f" -o "$WORK/report.$f"
    check_eq "report --format $f" "$?" 0
done
check "markdown: the matrix" has "$WORK/report.markdown" "| # | line | statement | 10 | 17 | notes |"
check "markdown: an explanation" has "$WORK/report.markdown" \
    "**version-specific**: AccessExclusiveLock on 10; ShareUpdateExclusiveLock on 17"
check_eq "json: valid" "$(sqlite3 :memory: "SELECT json_valid(readfile('$WORK/report.json'))")" 1
check_eq "json: version-specific statements as in the text" \
    "$(sqlite3 :memory: "SELECT count(*) FROM json_each(readfile('$WORK/report.json'), '\$.statements') WHERE json_extract(value, '\$.version_specific')")" \
    "$(grep -c '^      \* version-specific' "$WORK/vs.txt")"
check_eq "html: one script element" "$(grep -o '<script' "$WORK/report.html" | wc -l)" 1
check "html: the matrix" has "$WORK/report.html" '<table id="matrix"'
check_eq "sarif: valid, 2.1.0" \
    "$(sqlite3 :memory: "SELECT json_extract(readfile('$WORK/report.sarif'), '\$.version')")" 2.1.0

# the same corpus again: nothing changed
"$LM" run -V 10,17 -d "$DB" "$WORK/cases" >"$WORK/run2.log" 2>&1
check_eq "run 2" "$?" 0
"$LM" report -d "$DB" --run 2 --against 1 --format text >"$WORK/same.txt" 2>&1
rc=$?
check_eq "identical runs: exit 0" "$rc" 0
[ "$rc" -eq 0 ] || sed 's/^/# /' "$WORK/same.txt" | head -30
check "identical runs: no change" has "$WORK/same.txt" "no change of observed behaviour"

# a changed fixture: an index before the ALTER under study, which then
# rewrites it too on 10
sed -i 's/^-- under study$/CREATE INDEX acd_orders_amount ON acd_orders (amount);\n-- under study/' \
    "$WORK/cases/add_column_default_constant.sql"
"$LM" run -V 10,17 -d "$DB" "$WORK/cases" >"$WORK/run3.log" 2>&1
check_eq "run 3 with a changed fixture" "$?" 0
"$LM" report -d "$DB" --run 3 --against 2 --format text >"$WORK/diff.txt" 2>"$WORK/diff.err"
check_eq "changed fixture: exit 1" "$?" 1
check "the rewrite change on 10" grep -qE '^      10 rewrite: acd_orders, acd_orders_pkey -> acd_orders, acd_orders_amount, acd_orders_pkey' "$WORK/diff.txt"
check "the new statement" has "$WORK/diff.txt" "new statement: CREATE INDEX"
check "stderr says why" has "$WORK/diff.err" "changes of observed behaviour since run 2"
for f in markdown json html sarif; do
    "$LM" report -d "$DB" --run 3 --against 2 --format "$f" -o "$WORK/diff.$f"
    check_eq "diff --format $f: exit 1" "$?" 1
done
check "json diff: the change" test "$(sqlite3 :memory: "SELECT count(*) FROM json_each(readfile('$WORK/diff.json'), '\$.changes') WHERE json_extract(value, '\$.kind') = 'rewrite' AND json_extract(value, '\$.version') = 10")" -ge 1
check "sarif diff: a regression result" test "$(sqlite3 :memory: "SELECT count(*) FROM json_each(readfile('$WORK/diff.sarif'), '\$.runs[0].results') WHERE json_extract(value, '\$.ruleId') = 'LM002'")" -ge 1

# a hostile migration, traced for real
mkdir -p "$WORK/evil"
printf '%s\n' \
    "-- <script>alert(1)</script> | \`tick\` $(printf '\033')[31mred$(printf '\033')[0m" \
    'CREATE TABLE "<script>alert(1)</script>" ("a|b`c" int);' \
    'ALTER TABLE "<script>alert(1)</script>" ADD COLUMN "<img src=x onerror=alert(2)>" int DEFAULT 0;' \
    'SELECT 1 FROM "<script>alert(3)</script>";' \
    'CREATE TABLE /* <script>alert(4)</script> | `x` */ "t|`y`" (a int);' \
    "SELECT '$(printf '\033')[31mred$(printf '\033')[0m $(printf '\a')' AS \"a|b\";" >"$WORK/evil/001_evil.sql"
"$LM" run -V 10,17 -d "$WORK/evil.db" "$WORK/evil" >"$WORK/evil.log" 2>&1
check_eq "run of the hostile migration" "$?" 0
for f in text markdown json html sarif; do
    "$LM" report -d "$WORK/evil.db" --format "$f" -o "$WORK/evil.$f"
    check_eq "hostile: --format $f" "$?" 0
    check "hostile: $f has no raw ESC" bash -c "! grep -q $'\x1b' '$WORK/evil.$f'"
    if [ "$f" != text ]; then
        check "hostile: $f has no raw <script>alert or <img" \
            bash -c "! grep -Eq '<script>alert|<img' '$WORK/evil.$f'"
    fi
done
check "hostile: text shows the ESC as \\x1b" has "$WORK/evil.text" '\x1b[31mred'
check_eq "hostile: html has only its own script" "$(grep -o '<script' "$WORK/evil.html" | wc -l)" 1
check "hostile: html shows the identifier as text" has "$WORK/evil.html" "&lt;script&gt;alert(1)&lt;/script&gt;"
check "hostile: html shows the comment in the SQL as text" has "$WORK/evil.html" "/* &lt;script&gt;alert(4)&lt;/script&gt;"
check "hostile: markdown escapes pipes and backticks" has "$WORK/evil.markdown" '\|b\`c'
finish
