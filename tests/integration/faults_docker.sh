#!/usr/bin/env bash
# The docker backend under faults: the PostgreSQL server of a container
# killed with SIGKILL mid-statement (the job is retried on a new container),
# and the parent killed with SIGKILL (`clean -b docker` removes its
# containers, `run --resume` finishes the run). Skipped without an engine.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/helpers/faults.bash"
source "$ROOT/docker/testlib.sh"
docker_require 17
make_slow_chain a 5
make_slow_chain b 5
label_filter() { printf '%%7B%%22label%%22%%3A%%5B%%22lockmatrix.run%%3D%s%%22%%5D%%7D' "$1"; }
containers_of() { dapi GET "/containers/json?all=1&filters=$(label_filter "$1")" | jq 'length'; }

# --- the container's server killed mid-statement ------------------------------
db="$WORK/dk.db"
"$LM" run -q -b docker -V 17 -j 1 -d "$db" "$WORK/slow_a" "$WORK/slow_b" >"$WORK/dk.out" 2>"$WORK/dk.err" &
lm=$!
pid=""
for _ in $(seq 1 600); do
    cid=$(dapi GET "/containers/json?filters=$(label_filter 1)" | jq -r '.[0].Id // empty' 2>/dev/null)
    if [ -n "$cid" ]; then
        hp=$(dapi GET "/containers/$cid/json" | jq -r '.State.Pid')
        # the postmaster: the container's postgres whose child runs a statement
        for p in $(pgrep -f "postgres" | sort -n); do
            [ "$(awk '{print $4}' /proc/$p/stat 2>/dev/null)" = "$hp" ] || [ "$p" = "$hp" ] || continue
            pgrep -P "$p" -f "SELECT|ALTER|CREATE" >/dev/null && pid=$p && break
        done
    fi
    [ -n "$pid" ] && break
    sleep 0.05
done
check "found the container's busy postmaster" test -n "$pid"
[ -n "$pid" ] && kill -9 "$pid"
wait "$lm"; rc=$?
check_eq "run completes after the container's server is killed" "$rc" 0
check "the lost server is reported, the job retried" grep -q "retrying on a fresh container" "$WORK/dk.err"
sed 's/^/# /' "$WORK/dk.err" | head -3
check_eq "every job ok" "$(sqlite3 "$db" "SELECT count(*) FROM jobs WHERE status='ok'")" 2
check_eq "retried once" "$(sqlite3 "$db" "SELECT max(attempts) FROM jobs")" 2
check "store consistent" store_consistent "$db" 1
check_eq "no container of the run left" "$(containers_of 1)" 0

# --- the parent killed with SIGKILL ---------------------------------------------
db="$WORK/dk9.db"
"$LM" run -q -b docker -V 17 -j 1 -d "$db" "$WORK/slow_a" "$WORK/slow_b" >/dev/null 2>&1 &
lm=$!
for _ in $(seq 1 600); do
    [ "$(sqlite3 "$db" "SELECT count(*) FROM jobs WHERE status='ok'" 2>/dev/null)" = 1 ] && break
    sleep 0.1
done
sleep 0.5
kill -9 "$lm"; wait "$lm" 2>/dev/null
sleep 1
left=$(containers_of 1)
echo "# containers left by SIGKILL of the parent: $left"
"$LM" clean -b docker >"$WORK/clean.out" 2>&1
check_eq "clean -b docker exits 0" "$?" 0
sed 's/^/# /' "$WORK/clean.out"
check_eq "no container left after clean" "$(containers_of 1)" 0
"$LM" run --resume -q -d "$db" >"$WORK/resume.out" 2>&1
check_eq "resume of the docker run exits 0" "$?" 0
check "resume keeps the job done before the kill" grep -q "resumed: 1 jobs kept" "$WORK/resume.out"
check_eq "every job ok" "$(sqlite3 "$db" "SELECT count(*) FROM jobs WHERE status='ok'")" 2
check_eq "run complete" "$(sqlite3 "$db" "SELECT status FROM runs")" complete
check "store consistent" store_consistent "$db" 1
check_eq "no container left" "$(containers_of 1)" 0
finish
