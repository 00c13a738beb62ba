#!/usr/bin/env bash
# lockmatrix analyze: static predictions for every statement of the two
# shared corpora (no servers), the JSON shape, the --ci gate, lock table
# errors that name the file and line.
source "$(dirname "$0")/lib.sh"

CORPORA=${CORPORA:-/work/shared/corpora}
syn=$CORPORA/synapse/up
sup=$CORPORA/supabase_auth/up

# --- the shared corpora ---------------------------------------------------
if [ -d "$syn" ] && [ -d "$sup" ]; then
    "$LM" analyze --format json "$syn" "$sup" >"$WORK/an.json" 2>"$WORK/an.err"
    check_eq "analyze --format json exits 0" "$?" 0
    n=$(sqlite3 :memory: "SELECT json_array_length(readfile('$WORK/an.json'), '\$.statements')")
    check "statements printed: $n" test "$n" -gt 500
    # every statement is predicted on at least one version ...
    none=$(sqlite3 :memory: "SELECT count(*) FROM json_each(readfile('$WORK/an.json'), '\$.statements') s
        WHERE NOT EXISTS (SELECT 1 FROM json_each(s.value, '\$.results') r
                          WHERE json_type(r.value, '\$.predicted') = 'object')")
    check_eq "every statement has a prediction" "$none" 0
    # ... and on every version, except syntax the older servers do not have
    missing=$(sqlite3 :memory: "SELECT DISTINCT json_extract(s.value, '\$.class') || ' on ' || r.key
        FROM json_each(readfile('$WORK/an.json'), '\$.statements') s, json_each(s.value, '\$.results') r
        WHERE json_type(r.value, '\$.predicted') = 'null' ORDER BY 1" | tr '\n' ';')
    check_eq "unpredicted only where the server lacks the feature" "$missing" \
        "ALTER TABLE ADD COLUMN GENERATED STORED on 10;ALTER TABLE ADD COLUMN GENERATED STORED on 11;"
    mode=$(sqlite3 :memory: "SELECT json_extract(r.value, '\$.predicted.mode')
        FROM json_each(readfile('$WORK/an.json'), '\$.statements') s, json_each(s.value, '\$.results') r
        WHERE json_extract(s.value, '\$.class') = 'CREATE INDEX' AND r.key = '12' LIMIT 1")
    check_eq "CREATE INDEX predicted ShareLock" "$mode" "ShareLock"
    "$LM" analyze "$syn" "$sup" >"$WORK/an.txt"
    check_eq "analyze (text) exits 0" "$?" 0
    check "text summary counts the statements" grep -q "^$n statements on ${#PG_VERSIONS[@]} versions" "$WORK/an.txt"
else
    notok "shared corpora not found under $CORPORA"
fi

# --- the CI gate ------------------------------------------------------------
mkdir -p "$WORK/m"
cat >"$WORK/m/001.sql" <<'SQL'
CREATE TABLE accounts (id bigint PRIMARY KEY, email text);
ALTER TABLE accounts ADD COLUMN seen timestamptz DEFAULT clock_timestamp();
ALTER TABLE accounts ADD COLUMN note text DEFAULT 'x';
SQL
"$LM" analyze --ci --max-risk critical "$WORK/m" >/dev/null 2>"$WORK/ci0.err"
check_eq "--max-risk critical passes" "$?" 0
"$LM" analyze --ci --max-risk high "$WORK/m" >/dev/null 2>"$WORK/ci1.err"
check_eq "--max-risk high fails" "$?" 1
check "names file, line, statement, versions and reason" \
    grep -qF "$WORK/m/001.sql:2: \"ALTER TABLE accounts ADD COLUMN seen timestamptz DEFAULT clo...\" on $PG_ALL: risk critical above high" "$WORK/ci1.err"
check "the constant default is critical on 10 only" \
    grep -qF "$WORK/m/001.sql:3: \"ALTER TABLE accounts ADD COLUMN note text DEFAULT 'x'\" on 10: risk critical above high" "$WORK/ci1.err"
"$LM" analyze -V 11- --max-risk high "$WORK/m" >/dev/null 2>"$WORK/ci2.err"
check_eq "the same on 11 and later only: one statement above high" "$(grep -c 'above high' "$WORK/ci2.err")" 1
"$LM" analyze --max-risk nonsense "$WORK/m" >/dev/null 2>&1
check_eq "unknown risk level is a usage error" "$?" 2

# --- lock table errors --------------------------------------------------------
printf 'class\tfirst\tlast\tmode\trewrite\tscan\tothers\trisk\tnote\nX\t10\t17\tStrongLock\tno\tno\t-\tsafe\t\n' >"$WORK/bad.tsv"
"$LM" analyze --locktable "$WORK/bad.tsv" "$WORK/m" >/dev/null 2>"$WORK/bad.err"
check_eq "a broken lock table is an input error" "$?" 2
check "the message names the file and line" grep -qF "\"$WORK/bad.tsv\" line 2: unknown lock mode \"StrongLock\"" "$WORK/bad.err"
"$LM" analyze --locktable "$WORK/nope.tsv" "$WORK/m" >/dev/null 2>"$WORK/nope.err"
check_eq "a missing lock table is an error" "$?" 2
check "the message names it" grep -qF "$WORK/nope.tsv" "$WORK/nope.err"

finish
