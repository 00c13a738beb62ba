#!/usr/bin/env bash
# The release build under valgrind memcheck: a full run of fixtures/cases on
# two versions (the parent and every forked worker), then reports read back
# from its store: no memory error, no leak (definite or indirect).
#
# Forked workers are followed by valgrind without --trace-children; the
# programs they exec (postgres) are PostgreSQL's, not ours, and run natively
# (--trace-children=no). "possibly lost" blocks are not counted: a worker
# _exit()s with the image of its parent (the store's SQLite page cache,
# reached by interior pointers) still in memory: memory the parent frees, not
# the worker's. No suppression file is needed.
source "$(dirname "$0")/lib.sh"
if ! command -v valgrind >/dev/null; then
    echo "ok - skipped: no valgrind (apt-get install valgrind)"; finish
fi
REL="$ROOT/lockmatrix" # release build (make)
check "release build present" test -x "$REL"
VERSIONS=${VG_VERSIONS:-16,17}
LOGS="$WORK/vg"
mkdir -p "$LOGS"
chmod 1777 "$LOGS" # workers drop root and write their own logs
vg() { # name, command...
    local name=$1; shift
    valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
        --errors-for-leak-kinds=definite,indirect --trace-children=no \
        --error-exitcode=99 --log-file="$LOGS/$name.%p.log" "$@"
}
t0=$SECONDS
vg run "$REL" run -q -V "$VERSIONS" -j 2 -d "$WORK/vg.db" "$ROOT/fixtures/cases" >"$WORK/run.out" 2>"$WORK/run.err"
rc=$?
check_eq "run under valgrind exits 0 ($((SECONDS - t0)) s)" "$rc" 0
sed 's/^/# /' "$WORK/run.out" | head -2
njobs=$(( $(find "$ROOT/fixtures/cases" -name '*.sql' | wc -l) * 2 ))
check_eq "every job ok" "$(sqlite3 "$WORK/vg.db" "SELECT count(*) FROM jobs WHERE status='ok'")" "$njobs"
for fmt in text json markdown html sarif; do
    vg "report-$fmt" "$REL" report -d "$WORK/vg.db" --format "$fmt" >"$WORK/report.$fmt" 2>"$WORK/report.$fmt.err"
    check_eq "report --format $fmt under valgrind exits 0" "$?" 0
done
vg runs "$REL" runs -d "$WORK/vg.db" >/dev/null 2>&1
check_eq "runs under valgrind exits 0" "$?" 0

# With -q valgrind writes only what it found: every log of a process of ours
# must be empty (the logs of forked children that exec'd postgres are empty too).
nonempty=$(find "$LOGS" -name '*.log' -size +0 | wc -l)
check_eq "no valgrind report in any of $(find "$LOGS" -name '*.log' | wc -l) process logs" "$nonempty" 0
for f in $(find "$LOGS" -name '*.log' -size +0 | head -3); do sed 's/^/# /' "$f" | head -40; done
finish
