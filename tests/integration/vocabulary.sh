#!/usr/bin/env bash
# One vocabulary: risk level names read and listed the same by run, analyze
# and report; version lists shown the same by runs and report; a spool file
# that cannot be made is the environment's failure (exit 3).
. "$(dirname "$0")/lib.sh"

mig="$WORK/migrations"
mkdir -p "$mig"
echo "CREATE TABLE a (id int);" >"$mig/001.sql"
echo "CREATE INDEX ON a (id);" >"$mig/002.sql"
db="$WORK/lm.db"

"$LM" run -q -V 10,11 -d "$db" "$mig" >"$WORK/run.out" 2>"$WORK/run.err"
check_eq "run on 10,11: exit 0" "$?" 0
"$LM" runs -d "$db" >"$WORK/runs.out" 2>&1
runs_v=$(awk 'NR == 2 { print $4 }' "$WORK/runs.out")
"$LM" report -d "$db" --format text >"$WORK/report.out" 2>&1
check "report names its versions 10-11" grep -q "10-11" "$WORK/report.out"
check_eq "runs shows versions 10,11 as report does" "$runs_v" "10-11"

for level in none safe low medium high critical; do
    for cmd in run report analyze; do
        case $cmd in
        run) "$LM" run -q -V 17 -d "$WORK/r-$level.db" --max-risk "$level" "$mig" >/dev/null 2>"$WORK/e" ;;
        report) "$LM" report -d "$db" --format sarif --max-risk "$level" >"$WORK/o" 2>"$WORK/e" ;;
        analyze) "$LM" analyze --max-risk "$level" "$mig" >"$WORK/o" 2>"$WORK/e" ;;
        esac
        rc=$?
        check "$cmd --max-risk $level accepted (exit $rc)" test "$rc" -ne 2
    done
done
want='unknown risk level "bogus" (safe, low, medium, high, critical)'
"$LM" run -V 17 -d "$db" --max-risk bogus "$mig" >/dev/null 2>"$WORK/e1"
check_eq "run --max-risk bogus: exit 2" "$?" 2
"$LM" report -d "$db" --max-risk bogus >/dev/null 2>"$WORK/e2"
check_eq "report --max-risk bogus: exit 2" "$?" 2
"$LM" analyze --max-risk bogus "$mig" >/dev/null 2>"$WORK/e3"
check_eq "analyze --max-risk bogus: exit 2" "$?" 2
for i in 1 2 3; do
    check_eq "message $i lists the one set of names" "$(sed -n 1p "$WORK/e$i")" "lockmatrix: $want"
done

TMPDIR="$WORK/no-such-dir" "$LM" run -q -V 17 -d "$WORK/spool.db" "$mig" >/dev/null 2>"$WORK/spool.err"
check_eq "a spool file that cannot be made: exit 3" "$?" 3
check "a spool file that cannot be made: says so" grep -q "could not make a spool file" "$WORK/spool.err"
finish
