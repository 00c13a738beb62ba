#!/usr/bin/env bash
# -o writes into what the user named and replaces nothing that is not a
# regular file: a character device (made here with mknod), a FIFO (its
# reader gets the report), /dev/stdout, and a symlink's target (the symlink
# stays). A regular file is replaced whole and keeps its mode.
. "$(dirname "$0")/lib.sh"

db="$WORK/lm.db"
"$LM" run -V 17 -d "$db" "$ROOT/fixtures/cases/add_check_constraint.sql" >"$WORK/run.out" 2>&1
check "a run to report on" test -s "$db"

"$LM" report -d "$db" --format sarif >"$WORK/want.sarif" 2>"$WORK/want.err"
check "report to stdout" test -s "$WORK/want.sarif"

# A character device: /dev/null's numbers, in the test's own directory.
if mknod "$WORK/null" c 1 3 2>/dev/null || false; then
    "$LM" report -d "$db" --format sarif -o "$WORK/null" >"$WORK/dev.out" 2>&1
    check_eq "report -o a character device exits 0" "$?" 0
    check "the device is still a character device" test -c "$WORK/null"
    "$LM" locktable -o "$WORK/null" >"$WORK/ltdev.out" 2>&1
    check_eq "locktable -o a character device exits 0" "$?" 0
    check "the device is still a character device after locktable" test -c "$WORK/null"
    check "no temporary file left beside the device" \
        bash -c "! ls '$WORK' | grep -q '^null\.tmp'"
else
    notok "mknod in the test directory failed (the test runs as root)"
fi

# A FIFO: a reader gets the whole report, the FIFO stays a FIFO.
mkfifo "$WORK/fifo"
cat "$WORK/fifo" >"$WORK/fifo.got" &
reader=$!
"$LM" report -d "$db" --format sarif -o "$WORK/fifo" >"$WORK/fifo.out" 2>&1
check_eq "report -o a FIFO exits 0" "$?" 0
wait "$reader"
check "the FIFO is still a FIFO" test -p "$WORK/fifo"
check "the FIFO's reader got the report" cmp -s "$WORK/fifo.got" "$WORK/want.sarif"

# /dev/stdout, into a pipe and into a file a shell opened with >>.
got=$("$LM" report -d "$db" --format sarif -o /dev/stdout | cat)
check_eq "report -o /dev/stdout into a pipe" "$got" "$(cat "$WORK/want.sarif")"
echo "kept line" >"$WORK/append.txt"
"$LM" report -d "$db" --format sarif -o /dev/stdout >>"$WORK/append.txt"
check_eq "report -o /dev/stdout appends to a >> file" "$(head -n 1 "$WORK/append.txt")" "kept line"
check_eq "the report follows the kept line" "$(tail -n +2 "$WORK/append.txt")" "$(cat "$WORK/want.sarif")"

# A symlink: the target gets the report, the link stays a link.
mkdir "$WORK/real"
echo old >"$WORK/real/report.sarif"
ln -s real/report.sarif "$WORK/link.sarif"
"$LM" report -d "$db" --format sarif -o "$WORK/link.sarif" >"$WORK/link.out" 2>&1
check_eq "report -o a symlink exits 0" "$?" 0
check "the symlink is still a symlink" test -L "$WORK/link.sarif"
check "the symlink's target holds the report" cmp -s "$WORK/real/report.sarif" "$WORK/want.sarif"

# A regular file is replaced whole and keeps its mode; a new one is created.
echo "a much longer old content that must not survive the replacement" >"$WORK/plain.sarif"
chmod 600 "$WORK/plain.sarif"
"$LM" report -d "$db" --format sarif -o "$WORK/plain.sarif" >"$WORK/plain.out" 2>&1
check "a regular file gets exactly the report" cmp -s "$WORK/plain.sarif" "$WORK/want.sarif"
check_eq "the regular file keeps its mode" "$(stat -c %a "$WORK/plain.sarif")" 600
"$LM" report -d "$db" --format sarif -o "$WORK/new.sarif" >"$WORK/new.out" 2>&1
check "a new file is created" cmp -s "$WORK/new.sarif" "$WORK/want.sarif"

# A directory is refused with its name and exit 3.
"$LM" report -d "$db" --format sarif -o "$WORK/real" >"$WORK/dir.out" 2>&1
check_eq "report -o a directory exits 3" "$?" 3
check "the message names the directory" grep -q "real\": Is a directory" "$WORK/dir.out"

finish
