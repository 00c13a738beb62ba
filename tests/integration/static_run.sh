#!/usr/bin/env bash
# Predictions and verdicts of a real run of fixtures/cases on every major of
# the version map: every traced statement has a verdict, the counts are the
# ones the checked-in lock table promises (no trace-only, unpredicted only
# for the statements libpg_query cannot parse, mismatches only relation by
# relation and at most 2%: the table is regenerated from these cases), `locktable --check` passes, fails when a row
# is changed by hand and passes again after `--update`; `run --ci`.
source "$(dirname "$0")/lib.sh"

CASES=${CASES:-$ROOT/fixtures/cases}
TABLE=$ROOT/predict/locktable.tsv
q() { sqlite3 "$db" "$@"; }

if ! ls "$CASES"/*.sql >/dev/null 2>&1; then
    notok "no fixture cases in $CASES"
    finish
fi

# --- the fixtures on every major ------------------------------------------------
db="$WORK/fx.db"
"$LM" run -q -V "$PG_ALL" -j 2 -d "$db" "$CASES" >"$WORK/run.out" 2>"$WORK/run.err"
check_eq "run of the fixtures exits 0" "$?" 0
run=$(q "SELECT max(id) FROM runs")
traced=$(q "SELECT count(*) FROM traces t JOIN jobs j ON j.id = t.job_id WHERE j.run_id = $run AND t.status <> 'skipped'")
verdicts=$(q "SELECT count(*) FROM traces t JOIN jobs j ON j.id = t.job_id JOIN predictions p ON p.trace_id = t.id WHERE j.run_id = $run AND p.verdict IS NOT NULL")
check "statements traced: $traced" test "$traced" -gt 1000
check_eq "every traced statement has a verdict" "$verdicts" "$traced"
count() { q "SELECT count(*) FROM predictions p JOIN traces t ON t.id = p.trace_id JOIN jobs j ON j.id = t.job_id WHERE j.run_id = $run AND p.verdict = '$1'"; }
failed=$(q "SELECT count(*) FROM traces t JOIN jobs j ON j.id = t.job_id WHERE j.run_id = $run AND t.status IN ('error', 'timeout')")
# a mismatch here is relation by relation only (the table is regenerated from
# these cases: locktable --check below): at most 2% of the judged cells
mismatch=$(count mismatch)
judged=$((traced - $(count error)))
check "verdict mismatch: $mismatch of $judged, relation by relation (at most 2%)" \
    test $((mismatch * 50)) -le "$judged"
check_eq "verdict trace-only" "$(count trace-only)" 0
# statements of newer syntax than libpg_query's (PostgreSQL 18 features) have
# no class: unpredicted where they run, an error on older majors
unparsed=$(q "SELECT count(*) FROM traces t JOIN jobs j ON j.id = t.job_id JOIN statements s ON s.id = t.statement_id
    WHERE j.run_id = $run AND s.class = 'unparsed' AND t.status NOT IN ('error', 'timeout', 'skipped')")
check_eq "verdict unpredicted: the unparsed statements that ran" "$(count unpredicted)" "$unparsed"
check_eq "verdict error: the statements that failed" "$(count error)" "$failed"
check_eq "verdict confirmed: the rest" "$(count confirmed)" "$((traced - failed - unparsed - mismatch))"
want_summary="^verdicts: confirmed $((traced - failed - unparsed - mismatch)), error $failed"
[ "$mismatch" -gt 0 ] && want_summary+=", mismatch $mismatch"
[ "$unparsed" -gt 0 ] && want_summary+=", unpredicted $unparsed"
check "the run summary prints the counts" grep -qE "$want_summary\$" "$WORK/run.out"
echo "# verdicts: $(grep '^verdicts' "$WORK/run.out")"

"$LM" report -d "$db" --format json >"$WORK/report.json"
withv=$(sqlite3 :memory: "SELECT count(*) FROM json_each(readfile('$WORK/report.json'), '\$.statements') s, json_each(s.value, '\$.results') r
    WHERE json_extract(r.value, '\$.verdict') IS NOT NULL")
check_eq "the JSON report carries every verdict" "$withv" "$traced"
pred=$(sqlite3 :memory: "SELECT json_extract(r.value, '\$.predicted.mode') || ' ' || json_extract(r.value, '\$.predicted.rewrite') || ' ' || json_extract(r.value, '\$.verdict')
    FROM json_each(readfile('$WORK/report.json'), '\$.statements') s, json_each(s.value, '\$.results') r
    WHERE json_extract(s.value, '\$.class') = 'ALTER TABLE ADD COLUMN DEFAULT constant' AND r.key IN ('10', '11') ORDER BY r.key" | tr '\n' ';')
check_eq "fast default: predicted and confirmed" "$pred" "AccessExclusiveLock 1 confirmed;AccessExclusiveLock 0 confirmed;"

# --- locktable --check / --update -------------------------------------------------
"$LM" locktable --check -d "$db" --locktable "$TABLE" >"$WORK/check.out" 2>&1
check_eq "locktable --check passes on the checked-in table" "$?" 0
cp "$TABLE" "$WORK/lt.tsv"
# change one row by hand: CREATE INDEX takes ShareLock, say AccessExclusiveLock
sed -i "s/^\(CREATE INDEX\t10\t$PG_MAX\t\)ShareLock\t/\1AccessExclusiveLock\t/" "$WORK/lt.tsv"
check "the row was changed" bash -c "! cmp -s '$TABLE' '$WORK/lt.tsv'"
"$LM" locktable --check -d "$db" --locktable "$WORK/lt.tsv" >"$WORK/check2.out" 2>"$WORK/check2.err"
check_eq "--check fails on a changed row" "$?" 1
check "and prints the row as it is" grep -qP "^- CREATE INDEX\t10\t$PG_MAX\tAccessExclusiveLock\t" "$WORK/check2.out"
check "and as observed" grep -qP "^\+ CREATE INDEX\t10\t$PG_MAX\tShareLock\t" "$WORK/check2.out"
check "and says so" grep -q "disagrees with run $run" "$WORK/check2.err"
"$LM" locktable --update -d "$db" --locktable "$WORK/lt.tsv" >"$WORK/update.out" 2>&1
check_eq "--update exits 0" "$?" 0
check "--update prints what changed" grep -qP "^\\+ CREATE INDEX\\t10\\t$PG_MAX\\tShareLock\\t" "$WORK/update.out"
"$LM" locktable --check -d "$db" --locktable "$WORK/lt.tsv" >/dev/null 2>&1
check_eq "--check passes after --update" "$?" 0
check "the table is the checked-in one again" cmp -s "$TABLE" "$WORK/lt.tsv"
"$LM" locktable --format json -o "$WORK/lt.json" --locktable "$WORK/lt.tsv"
check_eq "JSON export: one object per row" \
    "$(sqlite3 :memory: "SELECT json_array_length(readfile('$WORK/lt.json'), '\$.rows')")" \
    "$(grep -cvP '^(#|class\t|$)' "$TABLE")"

# --- run --ci --------------------------------------------------------------------------
# on the two newest majors
NEW2="$((PG_MAX - 1)),$PG_MAX" NEW2R="$((PG_MAX - 1))-$PG_MAX"
mkdir -p "$WORK/m"
# the index in a later migration than its table: a table others may use by then
cat >"$WORK/m/001.sql" <<'SQL'
CREATE TABLE accounts (id bigint PRIMARY KEY, email text);
INSERT INTO accounts SELECT g, 'a' || g FROM generate_series(1, 100) g;
SQL
cat >"$WORK/m/002.sql" <<'SQL'
CREATE INDEX accounts_email ON accounts (email);
SQL
db2="$WORK/ci.db"
"$LM" run -q -V "$NEW2" -j 2 -d "$db2" --ci --max-risk high "$WORK/m" >/dev/null 2>"$WORK/ci0.err"
check_eq "run --ci --max-risk high passes" "$?" 0
"$LM" run -q -V "$NEW2" -j 2 -d "$db2" --ci --max-risk medium "$WORK/m" >/dev/null 2>"$WORK/ci1.err"
check_eq "run --ci --max-risk medium fails" "$?" 1
check "names file, line, statement, versions, reason" \
    grep -qF "$WORK/m/002.sql:1: \"CREATE INDEX accounts_email ON accounts (email)\" on $NEW2R: risk high above medium" "$WORK/ci1.err"
# one vocabulary of risk levels: "safe" and its old alias "none" work in run and report
"$LM" run -q -V "$NEW2" -j 2 -d "$db2" --ci --max-risk none "$WORK/m" >/dev/null 2>"$WORK/ci3.err"
check_eq "run --max-risk none is accepted (fails on risk only)" "$?" 1
check "the level is printed by its one name" grep -qF "risk high above safe" "$WORK/ci3.err"
"$LM" report -d "$db2" -f sarif --max-risk safe -o "$WORK/safe.sarif" 2>"$WORK/rep.err"
check_eq "report --max-risk safe exits 0" "$?" 0
"$LM" report -d "$db2" -f sarif --max-risk none -o "$WORK/none.sarif" 2>>"$WORK/rep.err"
check_eq "report --max-risk none exits 0" "$?" 0
check "none and safe mean the same level" cmp -s "$WORK/safe.sarif" "$WORK/none.sarif"
# a table that predicts wrong: a mismatch fails --ci whatever the risk
sed "s/^\(CREATE INDEX\t10\t$PG_MAX\t\)ShareLock\t/\1ShareUpdateExclusiveLock\t/" "$TABLE" >"$WORK/wrong.tsv"
"$LM" run -q -V "$NEW2" -j 2 -d "$db2" --ci --locktable "$WORK/wrong.tsv" "$WORK/m" >"$WORK/ci2.out" 2>"$WORK/ci2.err"
check_eq "run --ci fails on a mismatch" "$?" 1
check "the mismatch names both sides" \
    grep -qF "$WORK/m/002.sql:1: \"CREATE INDEX accounts_email ON accounts (email)\" on $NEW2R: mismatch with the lock table: predicted ShareUpdateExclusiveLock, no rewrite; observed ShareLock, no rewrite" "$WORK/ci2.err"
check "the summary counts it" grep -q "mismatch 2" "$WORK/ci2.out"

# --- run --ci: a statement a server refuses fails the gate ----------------------------
mkdir -p "$WORK/uuid"
printf 'CREATE TABLE u (id int);\nSELECT gen_random_uuid();\n' >"$WORK/uuid/001.sql"
"$LM" run -q -V 12,13 -j 2 -d "$WORK/uuid.db" --ci "$WORK/uuid" >"$WORK/u1.out" 2>"$WORK/u1.err"
check_eq "run --ci fails on a statement the server refused" "$?" 1
check "the failure names file:line, version, SQLSTATE and message" \
    grep -qF "$WORK/uuid/001.sql:2: \"SELECT gen_random_uuid()\" on 12: failed on the server: 42883: function gen_random_uuid() does not exist" "$WORK/u1.err"
"$LM" run -q -V 12,13 -j 2 -d "$WORK/uuid.db" --ci --max-risk critical "$WORK/uuid" >/dev/null 2>"$WORK/u2.err"
check_eq "run --ci --max-risk fails on it too" "$?" 1
check "and says it failed" grep -q "on 12: failed on the server: 42883" "$WORK/u2.err"
"$LM" run -q -V 12,13 -j 2 -d "$WORK/uuid.db" --ci --min-version 13 "$WORK/uuid" >/dev/null 2>"$WORK/u3.err"
check_eq "below --min-version an error is not a failure" "$?" 0
check "it is said to be not supported there" grep -q "not supported on 12 (below --min-version 13): 1 statements" "$WORK/u3.err"
"$LM" report -d "$WORK/uuid.db" --format sarif >"$WORK/u.sarif"
check_eq "SARIF reports the error under its own rule" \
    "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(",".join(r["ruleId"]+":"+r["message"]["text"] for r in d["runs"][0]["results"]))' "$WORK/u.sarif")" \
    "LM004:SELECT: failed with 42883: function gen_random_uuid() does not exist on 12"
"$LM" report -d "$WORK/uuid.db" --format sarif --min-version 13 >"$WORK/u13.sarif"
check_eq "SARIF leaves out versions below --min-version" \
    "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["runs"][0]["results"]))' "$WORK/u13.sarif")" 0

# --- run --max-risk: locks on tables the same migration created are no risk --------------
mkdir -p "$WORK/fresh"
printf 'CREATE TABLE a (id int PRIMARY KEY, v text);\nCREATE INDEX a_v ON a (v);\nALTER TABLE a ADD CONSTRAINT a_u UNIQUE (v);\n' >"$WORK/fresh/001.sql"
printf 'CREATE INDEX a_v2 ON a (v);\n' >"$WORK/fresh/002.sql"
"$LM" run -q -V "$PG_MAX" -d "$WORK/fresh.db" --max-risk low "$WORK/fresh" >/dev/null 2>"$WORK/f1.err"
check_eq "run --max-risk low fails on the index of an existing table" "$?" 1
check "that index is named" grep -qF "$WORK/fresh/002.sql:1: \"CREATE INDEX a_v2 ON a (v)\" on $PG_MAX: risk high above low" "$WORK/f1.err"
check "the index and constraint on the new table are not failures" \
    bash -c "! grep -q 'fresh/001.sql' '$WORK/f1.err'"
check "and the explanation says why" \
    grep -q "2 statement versions above --max-risk low lock only tables created earlier in the same migration" "$WORK/f1.err"
check "one failure counted" grep -q -- "--ci: 1 statement versions failed" "$WORK/f1.err"

finish
