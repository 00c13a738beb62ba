#!/usr/bin/env bash
# Faults inside a container and signals to the parent, for real:
#  - the container's postmaster killed with SIGKILL mid-statement: the worker
#    reports the lost server, the job is retried on a fresh container;
#  - a statement that never finishes (pg_sleep(3600)) and a lock wait behind a
#    session outside lockmatrix: --statement-timeout cancels them, the trace
#    says timeout, the chain goes on;
#  - SIGTERM to the parent: everything stops within seconds, the run can be
#    resumed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/helpers/faults.bash"
trap 'stop_sampler; t_cleanup' EXIT
PSQL=/usr/lib/postgresql/15/bin/psql

# --- the postmaster killed mid-statement ------------------------------------
make_slow_chain a 5
make_slow_chain b 5
db="$WORK/pmkill.db"
"$LM" run -q -V 17 -j 1 -d "$db" "$WORK/slow_a" "$WORK/slow_b" >"$WORK/pmkill.out" 2>"$WORK/pmkill.err" &
lm=$!
start_sampler 1 "$lm"
pm=""
for _ in $(seq 1 200); do
    # the postmaster: a postgres whose parent is a worker of $lm, with a backend in pg_sleep
    for w in $(pgrep -P "$lm"); do
        p=$(pgrep -P "$w" -f "bin/postgres -D" | head -1)
        [ -n "$p" ] && pgrep -P "$p" -f "SELECT" >/dev/null && pm=$p
    done
    [ -n "$pm" ] && break
    sleep 0.05
done
check "found a postmaster busy with a statement" test -n "$pm"
[ -n "$pm" ] && kill -9 "$pm"
wait "$lm"; rc=$?
stop_sampler
check_eq "run completes after its server is killed (exit code)" "$rc" 0
check "the lost server is reported and the job retried" grep -q "failed (.*); retrying on a fresh container" "$WORK/pmkill.err"
sed -n 's/^/# /p' "$WORK/pmkill.err" | head -3
check_eq "every job ok" "$(sqlite3 "$db" "SELECT count(*) FROM jobs WHERE status='ok'")" 2
check_eq "the retried job says 2 attempts" "$(sqlite3 "$db" "SELECT max(attempts) FROM jobs")" 2
check "store consistent" store_consistent "$db" 1
check_eq "nothing left behind ($(leftovers_detail 1 "$lm"))" "$(leftovers 1 "$lm")" 0

# --- statements that never finish ------------------------------------------
mkdir -p "$WORK/forever" "$WORK/lockwait"
printf 'CREATE TABLE f (id int);\n' >"$WORK/forever/001.sql"
printf 'SELECT pg_sleep(3600);\n' >"$WORK/forever/002.sql"
printf 'ALTER TABLE f ADD COLUMN after_sleep int;\n' >"$WORK/forever/003.sql"
printf 'CREATE TABLE w (id int);\n' >"$WORK/lockwait/001.sql"
printf 'SELECT pg_sleep(4);\n' >"$WORK/lockwait/002.sql"
printf 'ALTER TABLE w ADD COLUMN waits int;\n' >"$WORK/lockwait/003.sql"
printf 'CREATE TABLE after_wait (id int);\n' >"$WORK/lockwait/004.sql"
db="$WORK/timeout.db"
t0=$SECONDS
# lockwait first, alone on its server (database "postgres"): an outside
# session takes the table while the chain sleeps and keeps it for 60 s.
"$LM" run -q -V 17 -j 1 --statement-timeout 2000 -d "$db" "$WORK/lockwait" "$WORK/forever" \
    >"$WORK/timeout.out" 2>"$WORK/timeout.err" &
lm=$!
sock=""
for _ in $(seq 1 200); do
    sock=$(find /dev/shm/lockmatrix-*/r1-"$lm" /tmp/lockmatrix-*/r1-"$lm" -maxdepth 2 -name '.s.PGSQL.*' 2>/dev/null | head -1)
    [ -n "$sock" ] && break
    sleep 0.05
done
holder=""
if [ -n "$sock" ] && [ -x "$PSQL" ]; then
    sockdir=$(dirname "$sock")
    for _ in $(seq 1 100); do
        [ "$(setpriv --reuid=lockmatrix --regid=lockmatrix --clear-groups "$PSQL" -h "$sockdir" -p 5432 -U postgres -d postgres -Atc "SELECT count(*) FROM pg_class WHERE relname='w'" 2>/dev/null)" = 1 ] && break
        sleep 0.05
    done
    setpriv --reuid=lockmatrix --regid=lockmatrix --clear-groups "$PSQL" -h "$sockdir" -p 5432 -U postgres -d postgres \
        -c "BEGIN" -c "LOCK TABLE w IN ACCESS EXCLUSIVE MODE" -c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
    holder=$!
fi
check "an outside session holds the table" test -n "$holder"
wait "$lm"; rc=$?
[ -n "$holder" ] && kill "$holder" 2>/dev/null
check_eq "run with timeouts exits 0" "$rc" 0
check "and ends in well under an hour ($((SECONDS - t0)) s)" test $((SECONDS - t0)) -lt 60
q() { sqlite3 "$db" "SELECT t.status FROM traces t JOIN statements s ON s.id=t.statement_id WHERE s.sql LIKE '$1'"; }
check_eq "pg_sleep(3600) recorded as timeout" "$(q 'SELECT pg_sleep(3600)')" timeout
check_eq "the lock wait recorded as timeout" "$(q 'ALTER TABLE w ADD COLUMN waits%')" timeout
check_eq "the chain goes on after the endless statement" "$(q 'ALTER TABLE f ADD COLUMN after_sleep%')" ok
check_eq "the chain goes on after the lock wait" "$(q 'CREATE TABLE after_wait%')" ok
check "the timeout message says so" test -n "$(sqlite3 "$db" "SELECT message FROM traces WHERE status='timeout'" | head -1)"
sqlite3 "$db" "SELECT '# ' || s.sql || ': ' || t.status || ' ' || coalesce(sqlstate,'') || ' ' || coalesce(message,'') FROM traces t JOIN statements s ON s.id=t.statement_id WHERE t.status='timeout'"
check "store consistent" store_consistent "$db" 1
check_eq "nothing left behind" "$(leftovers 1 "$lm")" 0
check_eq "the outside session is gone with the server" "$(pgrep -f "lockmatrix-[0-9]+/r1-$lm/" | wc -l)" 0

# --- SIGTERM to the parent -------------------------------------------------
rm -rf "$WORK/slow_a" "$WORK/slow_b"
make_slow_chain a 6
make_slow_chain b 6
db="$WORK/term.db"
"$LM" run -q -V 16,17 -j 2 -d "$db" "$WORK/slow_a" "$WORK/slow_b" >"$WORK/term.out" 2>"$WORK/term.err" &
lm=$!
start_sampler 1 "$lm"
sleep 3
t0=$(date +%s.%N)
kill -TERM "$lm"
wait "$lm"; rc=$?
t1=$(date +%s.%N)
stop_sampler
check_eq "SIGTERM: exit code 128 + 15" "$rc" 143
check "SIGTERM: stopped within 5 s" awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 5) }'
check "SIGTERM: says terminated" grep -q "terminated: stopping every worker and container" "$WORK/term.err"
check_eq "SIGTERM: run marked interrupted" "$(sqlite3 "$db" "SELECT status FROM runs")" interrupted
check "SIGTERM: store consistent" store_consistent "$db" 1
check_eq "SIGTERM: nothing left behind ($(leftovers_detail 1 "$lm"))" "$(leftovers 1 "$lm")" 0
kept=$(sqlite3 "$db" "SELECT count(*) FROM jobs WHERE status='ok'")
"$LM" run --resume -q -d "$db" >"$WORK/term-resume.out" 2>&1 &
rp=$!; wait $rp; rc=$?
check_eq "the interrupted run resumes (exit 0)" "$rc" 0
check "keeping its $kept finished jobs" grep -q "run 1 resumed: $kept jobs kept" "$WORK/term-resume.out"
check_eq "resumed run complete" "$(sqlite3 "$db" "SELECT status FROM runs")" complete
check_eq "resumed run: every job ok" "$(sqlite3 "$db" "SELECT count(*) FROM jobs WHERE status='ok'")" 4
check_eq "nothing left behind after the resume" "$(leftovers 1 "$lm" "$rp")" 0
finish
