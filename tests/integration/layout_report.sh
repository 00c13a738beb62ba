#!/usr/bin/env bash
# The layout each directory was loaded with: what it took and why, files that
# fit no pattern named as left out. One line per directory on the run's
# stderr (one for a directory of single-file chains too), stored with the
# run, and in every report format; a store from before layouts were stored
# still reports (without them).
. "$(dirname "$0")/lib.sh"

cd "$WORK" || exit 1
mkdir -p mig each
echo "CREATE TABLE a (id int);" >mig/000001_a.up.sql
echo "DROP TABLE a;" >mig/000001_a.down.sql
echo "ALTER TABLE a ADD COLUMN b int;" >mig/000002_b.up.sql
echo "ALTER TABLE a DROP COLUMN b;" >mig/000002_b.down.sql
echo "CREATE INDEX a_b ON a (b);" >mig/000003_c.up.sql
echo "DROP INDEX a_b;" >mig/000003_c.down.sql
echo "CREATE ROLE setup_only;" >mig/PREAMBLE.sql
line="golang-migrate: 3 up, 3 down (not run; --down runs them); left out: PREAMBLE.sql"
db="$WORK/lm.db"

"$LM" run -V 17 -d "$db" mig >run.out 2>run.err
check_eq "a golang-migrate directory with a stray file: exit 0" "$?" 0
check "run: the layout, what it took, what it left out" grep -qxF "lockmatrix: mig: $line" run.err
check_eq "run: one layout line" "$(grep -c "golang-migrate" run.err)" 1
check_eq "the layout is stored with the run" \
    "$(sqlite3 "$db" "SELECT path, layout, ups, downs, downs_run, left_out, left_names FROM layouts")" \
    "mig|golang-migrate|3|3|0|1|PREAMBLE.sql"

for f in text markdown html sarif json; do
    "$LM" report -d "$db" --format "$f" >"report.$f" 2>"report.$f.err"
    check_eq "report --format $f: exit 0" "$?" 0
    want="mig: $line"
    [ "$f" = json ] && want="\"line\": \"$line\""
    check "report --format $f: the layout line" grep -qF "$want" "report.$f"
done
check_eq "json: layouts[0]" \
    "$(jq -c '.layouts[0] | [.path, .layout, .forced, .up, .down, .downs_run, .left_out, .left_out_names, .chains]' report.json)" \
    '["mig","golang-migrate",false,3,3,false,1,["PREAMBLE.sql"],1]'
check_eq "json: the line" "$(jq -r '.layouts[0].line' report.json)" "$line"
check_eq "sarif: a warning notification (a file left out)" \
    "$(jq -r '.runs[0].invocations[0].toolExecutionNotifications[] | select(.properties.layout) | .level + " " + .properties.layout + " " + (.properties.leftOut | tostring)' report.sarif)" \
    "warning golang-migrate 1"
check "markdown: under Layout" grep -qxF -- "- mig: $line" report.markdown
check "text: under layout:" grep -qxF -- "  mig: $line" report.text

check_eq "runs: the run's layout" "$("$LM" runs -d "$db" --format json | jq -c '.[0].layouts')" '["golang-migrate"]'
check "runs: in the text list" grep -qE '^1 .* golang-migrate +mig$' <("$LM" runs -d "$db")

# --down: the downs are run, and it says so
"$LM" run -q -V 17 -d "$db" --down mig >down.out 2>down.err
check_eq "--down: exit 0" "$?" 0
check "-q still names the file left out" grep -qxF \
    "lockmatrix: mig: golang-migrate: 3 up, 3 down; left out: PREAMBLE.sql" down.err

# a directory of single-file chains: one line, not one per file
echo each >each/.lockmatrix-layout
echo "CREATE TABLE x (id int);" >each/x.sql
echo "CREATE TABLE y (id int);" >each/y.sql
echo "CREATE TABLE z (id int);" >each/z.sql
"$LM" run -V 17 -d "$WORK/each.db" each >each.out 2>each.err
check_eq "each: exit 0" "$?" 0
check "each: one summary line" grep -qxF \
    "lockmatrix: each: each: 3 files, each its own chain; named, not detected" each.err
check_eq "each: no line per file" "$(grep -c "each" each.err)" 1
"$LM" report -d "$WORK/each.db" --format json >each.json
check_eq "each: one layout of 3 chains" "$(jq -c '[.layouts[] | .chains]' each.json)" "[3]"

# a store written before layouts were stored (schema 5): upgraded, reported
cp "$db" old.db
sqlite3 old.db "ALTER TABLE predictions DROP COLUMN relations; DROP TABLE layouts; PRAGMA user_version = 5"
for f in text markdown html sarif json; do
    "$LM" report -d old.db --run 1 --format "$f" >"old.$f" 2>"old.$f.err"
    check_eq "old store: report --format $f: exit 0" "$?" 0
    check "old store: report --format $f: no layout" bash -c "! grep -q 'golang-migrate' old.$f"
done
check_eq "old store: json layouts empty" "$(jq -c '.layouts' old.json)" "[]"
check "old store: statements still there" test "$(jq '.statements | length' old.json)" -eq 3
check_eq "old store: runs lists no layout" "$("$LM" runs -d old.db --format json | jq -c '.[0].layouts')" '[]'
check_eq "old store: upgraded" "$(sqlite3 old.db 'PRAGMA user_version')" \
    "$(sqlite3 "$db" 'PRAGMA user_version')"
finish
