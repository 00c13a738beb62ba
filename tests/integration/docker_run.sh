#!/usr/bin/env bash
# The docker backend end to end: the fixture cases on the oldest and the
# newest major (two layouts of the data directory: 18 moved it) in
# containers give the same observations as the embedded backend, nothing is
# left behind, `clean -b docker` finds nothing to remove.
source "$(dirname "$0")/lib.sh"
source "$ROOT/docker/testlib.sh"
docker_require "$PG_MIN" "$PG_MAX"
cd "$ROOT"

"$LM" run -q -b docker -V "$PG_MIN,$PG_MAX" -d "$WORK/d.db" fixtures/cases >"$WORK/d.out" 2>"$WORK/d.err"
check_eq "docker run exits 0" "$?" 0
"$LM" run -q -V "$PG_MIN,$PG_MAX" -d "$WORK/e.db" fixtures/cases >"$WORK/e.out" 2>"$WORK/e.err"
check_eq "embedded run exits 0" "$?" 0
drun=$(sqlite3 "$WORK/d.db" 'SELECT max(id) FROM runs')
check_eq "docker run stored as docker" "$(sqlite3 "$WORK/d.db" "SELECT backend FROM runs WHERE id=$drun")" docker

"$LM" report -d "$WORK/d.db" --format json >"$WORK/d.json"
"$LM" report -d "$WORK/e.db" --format json >"$WORK/e.json"
normalise_report "$WORK/d.json" >"$WORK/d.norm"
normalise_report "$WORK/e.json" >"$WORK/e.norm"
n=$(jq '[.[].results[]] | length' "$WORK/d.norm")
check "observations on both versions ($n)" test "$n" -gt 100
check_eq "versions in the docker report" "$(jq -c '[.statements[].results | keys] | add | unique' "$WORK/d.json")" "[\"$PG_MIN\",\"$PG_MAX\"]"
erun=$(sqlite3 "$WORK/e.db" 'SELECT max(id) FROM runs')
versions() { sqlite3 "$1" "SELECT group_concat(version, ',') FROM (SELECT version FROM servers WHERE run_id=$2 ORDER BY major)"; }
check_eq "same server versions as embedded" "$(versions "$WORK/d.db" "$drun")" "$(versions "$WORK/e.db" "$erun")"
if cmp -s "$WORK/d.norm" "$WORK/e.norm"; then
    ok "docker and embedded observations are the same"
else
    notok "docker and embedded observations differ:"
    diff "$WORK/e.norm" "$WORK/d.norm" | head -40 | sed 's/^/#   /'
fi
check_eq "no container of the run left" "$(run_containers "$drun")" 0

out=$("$LM" clean -b docker 2>&1)
check_eq "clean -b docker exits 0" "$?" 0
check "clean -b docker reports what it removed" grep -q '^docker: removed [0-9]* container' <<<"$out"

# The password never shows: not in the output, not in the store.
check "no password in the run's output" bash -c "! grep -qi 'password=' '$WORK/d.out' '$WORK/d.err'"
check "no password in the store" bash -c "! sqlite3 '$WORK/d.db' .dump | grep -q 'password='"
finish
