# Helpers for the fault tests (sourced after lib.sh): what a run left behind
# and whether its store is consistent.

# A corpus slow enough to be caught mid-job: chains of pg_sleep under $WORK/slow_<name>.
make_slow_chain() { # name steps [sleep]
    local c=$1 n=$2 sl=${3:-0.4}
    mkdir -p "$WORK/slow_$c"
    printf 'CREATE TABLE t_%s (id int);\n' "$c" >"$WORK/slow_$c/001_create.sql"
    for i in $(seq 1 "$n"); do
        printf 'SELECT pg_sleep(%s);\nALTER TABLE t_%s ADD COLUMN c%d int;\n' "$sl" "$c" "$i" \
            >"$WORK/slow_$c/$(printf '%03d' $((i + 1)))_step.sql"
    done
}

# A run's instances live in <base>/lockmatrix-<euid>/r<run>-<pid of lockmatrix>/:
# other runs on this machine (other stores) may share the run id, never the pid.
# Records, every 0.2 s, the pids of the postgres processes of run $1 of
# lockmatrix process $2 into $WORK/pids.$1 (their SysV segments are found by
# creator pid afterwards). Sets SAMPLER to its pid; stop it with stop_sampler.
start_sampler() { # run pid
    local run=$1 lm=$2
    ( while :; do
          pgrep -f "lockmatrix-[0-9]+/r$run-$lm/" >>"$WORK/pids.$run" 2>/dev/null
          sleep 0.2
      done ) &
    SAMPLER=$!
}
stop_sampler() { [ -n "${SAMPLER:-}" ] && kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null; SAMPLER=""; }

# SysV shared memory segments created by a postgres of run $1.
shm_left() { # run
    [ -s "$WORK/pids.$1" ] || { echo 0; return; }
    ipcs -m -p | awk -v f="$WORK/pids.$1" 'BEGIN { while ((getline p < f) > 0) pid[p] = 1 }
        $1 ~ /^[0-9]+$/ && ($3 in pid) { n++ } END { print n + 0 }'
}

# Postgres processes, runtime directories and SysV segments of run $1 made by
# the lockmatrix processes $2... (their pids).
left_procs() { local run=$1 p n=0; shift; for p in "$@"; do n=$((n + $(pgrep -f "lockmatrix-[0-9]+/r$run-$p/" | wc -l))); done; echo $n; }
left_dirs() { local run=$1 p n=0; shift; for p in "$@"; do n=$((n + $(find /tmp /dev/shm -maxdepth 2 -path "*/lockmatrix-*/r$run-$p" 2>/dev/null | wc -l))); done; echo $n; }
leftovers() { # run pid...
    echo "$(( $(left_procs "$@") + $(left_dirs "$@") + $(shm_left "$1") ))"
}
leftovers_detail() { # run pid...
    echo "procs=$(left_procs "$@") dirs=$(left_dirs "$@") shm=$(shm_left "$1")"
}

# The store is consistent: integrity_check ok, foreign keys hold, every job
# recorded ok has one trace per statement of its chain, no trace without a job.
store_consistent() { # db run
    local db=$1 run=$2
    [ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ] || { echo "integrity_check failed"; return 1; }
    [ -z "$(sqlite3 "$db" 'PRAGMA foreign_key_check')" ] || { echo "foreign_key_check failed"; return 1; }
    local half
    half=$(sqlite3 "$db" "SELECT count(*) FROM jobs j WHERE j.run_id=$run AND j.status='ok' AND
        (SELECT count(*) FROM traces t WHERE t.job_id=j.id) <>
        (SELECT count(*) FROM statements s JOIN migrations m ON m.id=s.migration_id
          WHERE m.run_id=$run AND m.chain=j.chain)")
    [ "$half" = 0 ] || { echo "$half half jobs"; return 1; }
    return 0
}
