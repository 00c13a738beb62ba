#!/usr/bin/env bash
# The store under stress, for real: locked by another process (before and
# during a run), on a full filesystem (a small tmpfs mounted for the test),
# and two runs at once on the same store. Each: a clear error and exit code 3
# (or both runs complete), the file intact, no finished job lost, nothing
# left behind, and the run can be finished with --resume.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/helpers/faults.bash"
MNT=""
cleanup() { stop_sampler; [ -n "$MNT" ] && umount "$MNT" 2>/dev/null; t_cleanup; }
trap cleanup EXIT
make_slow_chain a 6 0.3
make_slow_chain b 6 0.3
mkdir -p "$WORK/quick"
printf 'CREATE TABLE q (id int);\n' >"$WORK/quick/001.sql"

# Holds a write transaction on $1 for $2 seconds (a real SQLite lock).
hold_lock() { # db seconds
    { echo "BEGIN IMMEDIATE;"; echo "INSERT INTO meta (key, value) VALUES ('test.lock', 'x');"
      sleep "$2"; echo "ROLLBACK;"; } | sqlite3 "$1" &
    HOLDER=$!
    sleep 0.3
}

# --- locked before the run starts -------------------------------------------
db="$WORK/locked.db"
"$LM" run -q -V 17 -d "$db" "$WORK/quick" >/dev/null 2>&1
check_eq "a first run fills the store" "$?" 0
hold_lock "$db" 12
t0=$SECONDS
"$LM" run -q -V 17 -d "$db" "$WORK/quick" >"$WORK/locked.out" 2>"$WORK/locked.err"; rc=$?
check_eq "store locked by another process: exit 3" "$rc" 3
check "the message names the store and the lock" grep -q "could not write store \".*locked.db\": database is locked" "$WORK/locked.err"
sed 's/^/# /' "$WORK/locked.err"
check "gave up after the busy timeout, not at once nor never ($((SECONDS - t0)) s)" test $((SECONDS - t0)) -ge 4 -a $((SECONDS - t0)) -le 11
wait "$HOLDER"
check_eq "no run was half-recorded" "$(sqlite3 "$db" 'SELECT count(*) FROM runs')" 1
check_eq "store intact" "$(sqlite3 "$db" 'PRAGMA integrity_check')" ok

# --- locked during the run --------------------------------------------------
db="$WORK/locked2.db"
"$LM" run -q -V 16,17 -j 2 -d "$db" "$WORK/quick" "$WORK/slow_a" >"$WORK/locked2.out" 2>"$WORK/locked2.err" &
lm=$!
start_sampler 1 "$lm"
for _ in $(seq 1 200); do
    [ "$(sqlite3 "$db" "SELECT count(*) FROM jobs" 2>/dev/null)" -ge 1 ] 2>/dev/null && break; sleep 0.05
done
hold_lock "$db" 15
wait "$lm"; rc=$?
wait "$HOLDER"
stop_sampler
check_eq "store locked mid-run: exit 3" "$rc" 3
check "the message names the store" grep -q "store \".*locked2.db\": database is locked" "$WORK/locked2.err"
sed 's/^/# /' "$WORK/locked2.err" | head -4
check "store consistent" store_consistent "$db" 1
check_eq "nothing left behind" "$(leftovers 1 "$lm")" 0
ok_before=$(sqlite3 "$db" "SELECT count(*) FROM jobs WHERE status='ok'")
"$LM" run --resume -q -d "$db" >"$WORK/locked2-resume.out" 2>&1 &
rp=$!; wait $rp; rc=$?
check_eq "the run resumes once the lock is gone (exit 0)" "$rc" 0
check "keeping the $ok_before jobs written before the lock" grep -q "resumed: $ok_before jobs kept" "$WORK/locked2-resume.out"
check_eq "every job ok" "$(sqlite3 "$db" "SELECT count(*) FROM jobs WHERE status='ok'")" 4
check_eq "nothing left behind after the resume" "$(leftovers 1 "$lm" "$rp")" 0

# --- a full filesystem ------------------------------------------------------
if [ "$(id -u)" = 0 ]; then
    MNT="$WORK/small"
    mkdir -p "$MNT"
    if mount -t tmpfs -o size=3m tmpfs "$MNT"; then
        db="$MNT/full.db"
        "$LM" run -q -V 16,17 -j 2 -d "$db" "$WORK/quick" "$WORK/slow_a" "$WORK/slow_b" >"$WORK/full.out" 2>"$WORK/full.err" &
        lm=$!
        start_sampler 1 "$lm"
        for _ in $(seq 1 200); do
            [ "$(sqlite3 "$db" "SELECT count(*) FROM jobs" 2>/dev/null)" -ge 1 ] 2>/dev/null && break; sleep 0.05
        done
        dd if=/dev/zero of="$MNT/filler" bs=16k 2>/dev/null # until the disk is full
        wait "$lm"; rc=$?
        stop_sampler
        check_eq "full disk: exit 3" "$rc" 3
        check "full disk: the message names the store and the reason" grep -q "store \".*full.db\": database or disk is full" "$WORK/full.err"
        sed 's/^/# /' "$WORK/full.err" | head -4
        check_eq "full disk: nothing left behind" "$(leftovers 1 "$lm")" 0
        rm -f "$MNT/filler"
        check "full disk: store consistent once space is back" store_consistent "$db" 1
        ok_before=$(sqlite3 "$db" "SELECT count(*) FROM jobs WHERE status='ok'")
        check "full disk: the jobs written before are kept ($ok_before)" test "$ok_before" -ge 1
        "$LM" run --resume -q -d "$db" >"$WORK/full-resume.out" 2>&1 &
        rp=$!; wait $rp; rc=$?
        check_eq "full disk: the run resumes once space is back (exit 0)" "$rc" 0
        check_eq "full disk: every job ok" "$(sqlite3 "$db" "SELECT count(*) FROM jobs WHERE status='ok'")" 6
        check_eq "full disk: nothing left behind after the resume" "$(leftovers 1 "$lm" "$rp")" 0
        umount "$MNT" && MNT=""
    else
        notok "could not mount a tmpfs for the full-disk case"
    fi
else
    echo "ok - full disk: skipped (needs root to mount a small filesystem)"
fi

# --- two runs at once on the same store --------------------------------------
db="$WORK/two.db"
"$LM" run -q -V 16,17 -j 1 -d "$db" "$WORK/slow_a" "$WORK/quick" >"$WORK/two1.out" 2>"$WORK/two1.err" &
p1=$!
"$LM" run -q -V 16,17 -j 1 -d "$db" "$WORK/slow_b" "$WORK/quick" >"$WORK/two2.out" 2>"$WORK/two2.err" &
p2=$!
wait "$p1"; rc1=$?
wait "$p2"; rc2=$?
check_eq "two runs at once: both complete (exit codes)" "$rc1 $rc2" "0 0"
cat "$WORK/two1.err" "$WORK/two2.err" | sed 's/^/# /' | head -5
check_eq "two runs at once: two complete runs" "$(sqlite3 "$db" "SELECT group_concat(status) FROM runs")" "complete,complete"
check_eq "two runs at once: every job of both ok" "$(sqlite3 "$db" "SELECT count(*) FROM jobs WHERE status='ok'")" 8
check "two runs at once: run 1 consistent" store_consistent "$db" 1
check "two runs at once: run 2 consistent" store_consistent "$db" 2
check_eq "two runs at once: each run's traces are its own" \
    "$(sqlite3 "$db" "SELECT count(*) FROM traces t JOIN jobs j ON j.id=t.job_id JOIN statements s ON s.id=t.statement_id JOIN migrations m ON m.id=s.migration_id WHERE m.run_id<>j.run_id")" 0
check_eq "two runs at once: nothing left behind" "$(( $(leftovers 1 "$p1" "$p2") + $(leftovers 2 "$p1" "$p2") ))" 0
finish
