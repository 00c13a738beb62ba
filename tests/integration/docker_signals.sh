#!/usr/bin/env bash
# Signals during a docker run, for real:
#   - the parent and its workers killed with SIGKILL mid-run: their
#     containers stay; `lockmatrix clean -b docker` removes exactly those
#     (not a container without our label, not one of a run whose lockmatrix
#     still runs);
#   - SIGINT, SIGTERM to the parent: every container is gone when it exits.
source "$(dirname "$0")/lib.sh"
source "$ROOT/docker/testlib.sh"
docker_require 10 17

# A corpus slow enough to be caught mid-job: two chains of sleeps.
for c in a b; do
    mkdir -p "$WORK/slow_$c"
    printf 'CREATE TABLE t_%s (id int);\n' "$c" >"$WORK/slow_$c/001_create.sql"
    for i in 1 2 3 4 5 6 7 8; do
        printf 'SELECT pg_sleep(0.5);\nALTER TABLE t_%s ADD COLUMN c%d int;\n' "$c" "$i" >"$WORK/slow_$c/00$((i + 1))_step.sql"
    done
done

# Starts a run in the background; sets lm (pid) and run (id) once at least
# two of its containers exist.
start_run() { # db
    "$LM" run -q -b docker -V 10,17 -j 2 -d "$1" "$WORK/slow_a" "$WORK/slow_b" >"$1.out" 2>"$1.err" &
    lm=$!
    run=""
    local i
    for i in $(seq 1 300); do
        [ -z "$run" ] && run=$(sqlite3 "$1" 'SELECT max(id) FROM runs' 2>/dev/null)
        if [ -n "$run" ] && [ "$(run_containers "$run")" -ge 2 ]; then
            sleep 1
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# --- SIGKILL to the parent and its workers ----------------------------------
db="$WORK/kill.db"
check "a run with containers started" start_run "$db"
kill -9 $(pgrep -P "$lm") "$lm" 2>/dev/null
wait "$lm" 2>/dev/null
left=$(run_containers "$run")
check "its containers outlive it ($left)" test "$left" -ge 1

# A container without our label, and one of a run whose owner (this shell) runs.
owner="$$ $(awk '{ sub(/.*\) /, ""); print $20 }' /proc/$$/stat)"
foreign=$(dapi POST /containers/create '{"Image": "postgres:17-alpine", "Labels": {"lockmatrix.test": "foreign"}}' | jq -r .Id)
alive=$(dapi POST /containers/create "$(jq -nc --arg o "$owner" --arg h "$(hostname)" \
    '{Image: "postgres:17-alpine", Labels: {"lockmatrix.run": "999999", "lockmatrix.owner": $o, "lockmatrix.host": $h}}')" | jq -r .Id)
exists() { dapi GET "/containers/$1/json" | jq -e .Id >/dev/null 2>&1; }

out=$("$LM" clean -b docker 2>&1)
check_eq "clean exits 0" "$?" 0
check_eq "clean reports what it removed" "$(grep -o 'docker: removed [0-9]*' <<<"$out")" "docker: removed $left"
check_eq "no container of the killed run left" "$(run_containers "$run")" 0
check "a container without our label survives" exists "$foreign"
check "a container of a run whose lockmatrix runs survives" exists "$alive"
out=$("$LM" clean -b docker --run 999999 2>&1)
check_eq "clean --run removes that run's" "$(grep -o 'docker: removed [0-9]*' <<<"$out")" "docker: removed 1"
dapi DELETE "/containers/$foreign?force=1" >/dev/null

# --- SIGINT, SIGTERM to the parent -----------------------------------------
for sig in INT TERM; do
    db="$WORK/$sig.db"
    check "SIG$sig: a run with containers started" start_run "$db"
    t0=$(date +%s.%N)
    kill -"$sig" "$lm"
    wait "$lm"
    rc=$?
    t1=$(date +%s.%N)
    check "SIG$sig: the run exits non-zero ($rc)" test "$rc" -ne 0
    check "SIG$sig: stopped within 10 s" awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 10) }'
    check_eq "SIG$sig: no container of the run left" "$(run_containers "$run")" 0
    check_eq "SIG$sig: run marked interrupted" "$(sqlite3 "$db" "SELECT status FROM runs WHERE id=$run")" interrupted
done
finish
