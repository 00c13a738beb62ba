#!/usr/bin/env bash
# Faults during a run, for real: a worker killed with SIGKILL mid-job (the run
# completes, the job is retried, nothing is left behind) and SIGINT to the
# parent (everything it started is gone within seconds, the store is
# consistent).
source "$(dirname "$0")/lib.sh"
# leftovers RUN PID...: postgres processes, directories, SysV segments of that run
source "$(dirname "$0")/helpers/faults.bash"

# A corpus slow enough to be caught mid-job: two chains of sleeps.
mkdir -p "$WORK/slow_a" "$WORK/slow_b"
for c in a b; do
    printf 'CREATE TABLE t_%s (id int);\n' "$c" >"$WORK/slow_$c/001_create.sql"
    for i in 1 2 3 4 5 6; do
        printf 'SELECT pg_sleep(0.4);\nALTER TABLE t_%s ADD COLUMN c%d int;\n' "$c" "$i" >"$WORK/slow_$c/00$((i + 1))_step.sql"
    done
done


# --- a worker killed with SIGKILL mid-job -------------------------------
db="$WORK/kill.db"
"$LM" run -q -V 16,17 -j 2 -d "$db" "$WORK/slow_a" "$WORK/slow_b" >"$WORK/kill.out" 2>"$WORK/kill.err" &
lm=$!
victim=""
for _ in $(seq 1 200); do
    # A worker is a direct child of lockmatrix with its own postgres child.
    for w in $(pgrep -P "$lm"); do
        if pgrep -P "$w" -f postgres >/dev/null; then victim=$w; break; fi
    done
    [ -n "$victim" ] && break
    sleep 0.05
done
sleep 1
check "found a worker to kill" test -n "$victim"
[ -n "$victim" ] && kill -9 "$victim"
wait "$lm"; rc=$?
check_eq "run completes after a worker is killed (exit code)" "$rc" 0
run=$(sqlite3 "$db" 'SELECT max(id) FROM runs')
check_eq "every job ok" "$(sqlite3 "$db" "SELECT count(*) FROM jobs WHERE run_id=$run AND status='ok'")" 4
check "the killed job was retried (attempts 2)" test "$(sqlite3 "$db" "SELECT max(attempts) FROM jobs WHERE run_id=$run")" -ge 2
check "the retry is reported" grep -q "retrying" "$WORK/kill.err"
check_eq "every statement traced on both versions" \
    "$(sqlite3 "$db" "SELECT count(*) FROM traces t JOIN statements s ON s.id=t.statement_id JOIN migrations m ON m.id=s.migration_id WHERE m.run_id=$run AND t.status='ok'")" \
    "$(( $(sqlite3 "$db" "SELECT count(*) FROM statements s JOIN migrations m ON m.id=s.migration_id WHERE m.run_id=$run") * 2 ))"
check_eq "nothing left behind after the kill" "$(leftovers "$run" "$lm")" 0

# --- SIGINT to the parent ---------------------------------------------------
db="$WORK/int.db"
"$LM" run -q -V 14-17 -j 2 -d "$db" "$WORK/slow_a" "$WORK/slow_b" >"$WORK/int.out" 2>"$WORK/int.err" &
lm=$!
sleep 2.5
t0=$(date +%s.%N)
kill -INT "$lm"
wait "$lm"; rc=$?
t1=$(date +%s.%N)
check_eq "interrupted run exits 130" "$rc" 130
check "stopped within 5 s" awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 5) }'
run=$(sqlite3 "$db" 'SELECT max(id) FROM runs')
check_eq "run marked interrupted" "$(sqlite3 "$db" "SELECT status FROM runs WHERE id=$run")" interrupted
check_eq "store is consistent" "$(sqlite3 "$db" 'PRAGMA integrity_check')" ok
check_eq "no trace without its job" \
    "$(sqlite3 "$db" "SELECT count(*) FROM traces t JOIN statements s ON s.id=t.statement_id JOIN migrations m ON m.id=s.migration_id WHERE m.run_id=$run AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.run_id=$run AND j.chain=m.chain AND j.major=t.major)")" 0
sleep 0.5
check_eq "nothing left behind after SIGINT" "$(leftovers "$run" "$lm")" 0

# --- a migration edited while the run goes on ------------------------------
# The parent holds no statement (a lean corpus): each worker splits its chain
# again from the files. A file whose statements changed since the run started
# fails its job by name instead of tracing something the store does not hold.
mkdir -p "$WORK/edited"
printf 'CREATE TABLE e (id int);\n' >"$WORK/edited/001.sql"
db="$WORK/edited.db"
# -j 1 on one version: the longer chain (slow_a, ~3 s) runs first
"$LM" run -q -V 17 -j 1 -d "$db" "$WORK/slow_a" "$WORK/edited/001.sql" >"$WORK/edited.out" 2>"$WORK/edited.err" &
lm=$!
# edited once the run is recorded (its corpus loaded), while slow_a runs
for _ in $(seq 1 200); do
    [ "$(sqlite3 "$db" "SELECT count(*) FROM runs" 2>/dev/null)" = 1 ] && break; sleep 0.05
done
printf 'CREATE TABLE e (id bigint);\n' >"$WORK/edited/001.sql"
wait "$lm"; rc=$?
check_eq "a run with an edited file exits 3 (a job failed)" "$rc" 3
run=$(sqlite3 "$db" 'SELECT max(id) FROM runs')
check_eq "the other chain is traced" "$(sqlite3 "$db" "SELECT status FROM jobs WHERE run_id=$run AND chain=0")" ok
check_eq "the edited chain's job failed" "$(sqlite3 "$db" "SELECT status FROM jobs WHERE run_id=$run AND chain=1")" failed
check_eq "its reason names the file" \
    "$(sqlite3 "$db" "SELECT count(*) FROM jobs WHERE run_id=$run AND chain=1 AND reason LIKE '%edited/001.sql%changed since the run started%'")" 1
check "the stored statement is the one of the start" \
    test "$(sqlite3 "$db" "SELECT sql FROM statements s JOIN migrations m ON m.id=s.migration_id WHERE m.run_id=$run AND m.chain=1")" = "CREATE TABLE e (id int)"
check "stderr names the file" grep -q "edited/001.sql" "$WORK/edited.err"
finish
