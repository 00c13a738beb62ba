#!/usr/bin/env bash
# The parent killed with SIGKILL mid-run: the store keeps every finished job
# and no half job; `run --resume` finishes the run re-running only the jobs
# not recorded ok; `clean` removes what the killed run left. Resume refuses a
# changed corpus and a run whose writer is alive.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/helpers/faults.bash"
trap 'stop_sampler; t_cleanup' EXIT

# chain "quick": done at once; "slow_a", "slow_b": ~3 s each per version.
mkdir -p "$WORK/quick"
printf 'CREATE TABLE q (id int);\nALTER TABLE q ADD COLUMN b int;\n' >"$WORK/quick/001.sql"
make_slow_chain a 7
make_slow_chain b 7
corpus=("$WORK/quick" "$WORK/slow_a" "$WORK/slow_b")

db="$WORK/kill9.db"
"$LM" run -q -V 16,17 -j 2 -d "$db" "${corpus[@]}" >"$WORK/kill9.out" 2>"$WORK/kill9.err" &
lm=$!
start_sampler 1 "$lm"
# Wait until some jobs are recorded ok and a slow one is under way.
for _ in $(seq 1 300); do
    n=$(sqlite3 "$db" "SELECT count(*) FROM jobs WHERE status='ok'" 2>/dev/null || echo 0)
    [ "${n:-0}" -ge 2 ] && break
    sleep 0.1
done
sleep 0.7
kill -9 "$lm"
wait "$lm" 2>/dev/null
sleep 1.5
stop_sampler
run=$(sqlite3 "$db" 'SELECT max(id) FROM runs')
before_ok=$(sqlite3 "$db" "SELECT count(*) FROM jobs WHERE run_id=$run AND status='ok'")
check "some jobs were finished before the kill ($before_ok)" test "$before_ok" -ge 2
check "some jobs were not ($before_ok of 6)" test "$before_ok" -lt 6
check_eq "the killed run is still 'running'" "$(sqlite3 "$db" "SELECT status FROM runs WHERE id=$run")" running
check "store consistent after SIGKILL of the parent" store_consistent "$db" "$run"
check_eq "no server of the run survives its parent" "$(left_procs "$run" "$lm")" 0
echo "# left behind by SIGKILL: $(leftovers_detail "$run" "$lm")"
killed=$lm
sqlite3 "$db" "SELECT id || ' ' || chain || ' ' || major || ' ' || finished_at FROM jobs WHERE run_id=$run AND status='ok' ORDER BY id" >"$WORK/kept.before"

# --- resume ---------------------------------------------------------------
"$LM" run --resume -q -d "$db" >"$WORK/resume.out" 2>"$WORK/resume.err" &
resumed=$!; wait $resumed; rc=$?
check_eq "run --resume exits 0" "$rc" 0
cat "$WORK/resume.err" | sed 's/^/# /'
check "resume says which run" grep -q "resuming run $run" "$WORK/resume.err"
check "resume keeps the jobs recorded ok" grep -q "run $run resumed: $before_ok jobs kept" "$WORK/resume.out"
check_eq "resume ran only the others" "$(grep -o '= [0-9]* jobs' "$WORK/resume.out" | tr -dc 0-9)" "$((6 - before_ok))"
check_eq "run complete" "$(sqlite3 "$db" "SELECT status FROM runs WHERE id=$run")" complete
check_eq "no second run was made" "$(sqlite3 "$db" 'SELECT count(*) FROM runs')" 1
check_eq "every job ok" "$(sqlite3 "$db" "SELECT count(*) FROM jobs WHERE run_id=$run AND status='ok'")" 6
sqlite3 "$db" "SELECT id || ' ' || chain || ' ' || major || ' ' || finished_at FROM jobs WHERE run_id=$run AND status='ok' ORDER BY id" | head -n "$before_ok" >"$WORK/kept.after"
check "jobs finished before the kill untouched (same row, same time)" cmp -s "$WORK/kept.before" "$WORK/kept.after"
check "store consistent after resume" store_consistent "$db" "$run"
check_eq "every statement traced on both versions" \
    "$(sqlite3 "$db" "SELECT count(*) FROM traces t JOIN jobs j ON j.id=t.job_id WHERE j.run_id=$run AND t.status='ok'")" \
    "$(( $(sqlite3 "$db" "SELECT count(*) FROM statements s JOIN migrations m ON m.id=s.migration_id WHERE m.run_id=$run") * 2 ))"
check_eq "the report reads the resumed run" "$("$LM" report -d "$db" --format json | jq '.statements | length')" \
    "$(sqlite3 "$db" "SELECT count(*) FROM statements")"

# --- clean removes the leftovers of the killed process ---------------------
"$LM" clean -b embedded >"$WORK/clean.out" 2>&1; rc=$?
check_eq "clean exits 0" "$rc" 0
check_eq "nothing left behind after resume + clean ($(leftovers_detail "$run" "$killed" "$resumed"))" "$(leftovers "$run" "$killed" "$resumed")" 0

# --- nothing to resume -------------------------------------------------------
"$LM" run --resume -q -d "$db" >/dev/null 2>"$WORK/none.err"; rc=$?
check_eq "resume with nothing unfinished exits 2" "$rc" 2
check "and says so" grep -q 'no unfinished run in ".*kill9.db": nothing to resume' "$WORK/none.err"
"$LM" run --resume -q -d "$db" "$WORK/quick" >/dev/null 2>"$WORK/path.err"; rc=$?
check_eq "resume with a PATH exits 2" "$rc" 2

# --- the corpus changed since ------------------------------------------------
db2="$WORK/changed.db"
"$LM" run -q -V 17 -j 1 -d "$db2" "$WORK/slow_a" >/dev/null 2>&1 &
lm=$!
start_sampler 1 "$lm"
for _ in $(seq 1 200); do
    [ "$(sqlite3 "$db2" "SELECT count(*) FROM runs" 2>/dev/null)" = 1 ] && break; sleep 0.1
done
# --- ... and while the run is alive, resume is refused
sleep 0.5
"$LM" run --resume -q -d "$db2" >/dev/null 2>"$WORK/alive.err"; rc=$?
check_eq "resume of a run whose writer is alive exits 3" "$rc" 3
check "and names the process" grep -q "run 1 is still being written by process $lm" "$WORK/alive.err"
# killed once its runtime directory exists (a loaded machine may take a while)
for _ in $(seq 1 100); do [ "$(left_dirs 1 "$lm")" -ge 1 ] && break; sleep 0.1; done
kill -9 "$lm"; wait "$lm" 2>/dev/null
sleep 0.5
stop_sampler
echo "# left behind by SIGKILL: $(leftovers_detail 1 "$lm")"
check "the SIGKILLed run left its directory (clean has work to do)" test "$(left_dirs 1 "$lm")" -ge 1
printf 'SELECT pg_sleep(0.4);\nALTER TABLE t_a ADD COLUMN changed int;\n' >"$WORK/slow_a/003_step.sql"
"$LM" run --resume -q -d "$db2" >/dev/null 2>"$WORK/changed.err"; rc=$?
check_eq "resume of a changed corpus exits 2" "$rc" 2
check "and names the file and line" grep -q 'the corpus changed since run 1: ".*slow_a/003_step.sql" line 2' "$WORK/changed.err"
check_eq "the refused run is left as it was" "$(sqlite3 "$db2" "SELECT status FROM runs")" running
printf 'SELECT pg_sleep(0.4);\nALTER TABLE t_a ADD COLUMN c2 int;\n' >"$WORK/slow_a/003_step.sql"
rm "$WORK/slow_a/008_step.sql"
"$LM" run --resume -q -d "$db2" >/dev/null 2>"$WORK/gone.err"; rc=$?
check_eq "resume with a migration removed exits 2" "$rc" 2
check "and names the file gone" grep -q 'the corpus changed since run 1: ".*slow_a/008_step.sql" is gone' "$WORK/gone.err"
sed 's/^/# /' "$WORK/changed.err" "$WORK/gone.err"
# --- the command line is kept as a JSON array of its words
check_eq "runs.args is a JSON array of the words" \
    "$(sqlite3 "$db2" "SELECT json_type(args) || ' ' || json_extract(args, '\$[0]') FROM runs")" "array run"
# ... and a run kept by an older version as one quoted line is refused, saying so
sqlite3 "$db2" "UPDATE runs SET args = 'run -q -d ''$db2'' x'"
"$LM" run --resume -q -d "$db2" >/dev/null 2>"$WORK/oldargs.err"; rc=$?
check_eq "resume of a run whose command line is an old quoted line exits 2" "$rc" 2
check "and says it cannot read it back" grep -q 'was begun by an older lockmatrix whose command line' "$WORK/oldargs.err"
sed 's/^/# /' "$WORK/oldargs.err"
"$LM" clean -b embedded >/dev/null 2>&1
check_eq "clean alone removes what SIGKILL left (processes, directory, SysV segments)" "$(leftovers 1 "$lm")" 0
finish
