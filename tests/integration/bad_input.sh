#!/usr/bin/env bash
# Bad input, for real: files that are not UTF-8, hold NUL bytes, are empty,
# huge (100 MB), deeply nested, end inside a string or a dollar quote, symlink
# loops, FIFOs, directories named *.sql, unreadable files, thousands of files;
# stores that are not ours or from a newer lockmatrix. Each gets a message
# naming the file (and line), exit code 2 for input (3 for the environment),
# and the rest of the corpus still runs.
source "$(dirname "$0")/lib.sh"
C="$WORK/corpus"
mkdir -p "$C"
echo each >"$C/.lockmatrix-layout"
printf 'CREATE TABLE good (id int);\nALTER TABLE good ADD COLUMN b int;\n' >"$C/good.sql"
printf 'CREATE TABLE l (id int);\n-- ok so far\nCOMMENT ON TABLE l IS \x27caf\xe9\x27;\n' >"$C/latin1.sql"
printf 'CREATE TABLE n (id int);\nSELECT 1;\x00\nSELECT 2;\n' >"$C/nul.sql"
: >"$C/empty.sql"
printf -- '-- nothing but a comment\n\n/* and another */\n' >"$C/comments.sql"
printf 'CREATE TABLE s (id int);\nINSERT INTO s VALUES (1);\nCOMMENT ON TABLE s IS \x27never closed;\nSELECT 1;\n' >"$C/unterminated.sql"
printf 'CREATE TABLE d (id int);\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$\n  SELECT 1;\n' >"$C/dollar.sql"
python3 -c "d=10000; print('CREATE TABLE deep (id int);'); print('SELECT ' + '('*d + '1' + ')'*d + ';'); print('ALTER TABLE deep ADD COLUMN after_deep int;')" >"$C/deep.sql"
ln -s loop.sql "$C/loop.sql"
ln -s a_loop.sql "$C/b_loop.sql"; ln -s b_loop.sql "$C/a_loop.sql"
mkfifo "$C/fifo.sql"
mkdir "$C/dir.sql"
ln -s /nonexistent/x.sql "$C/dangling.sql"
# 100 MB of SQL, made here (not kept in the repository)
yes 'ALTER TABLE big ADD COLUMN IF NOT EXISTS c int;' | head -c $((100 * 1024 * 1024)) >"$C/huge.sql"

t0=$SECONDS
/usr/bin/time -f '%M %e' -o "$WORK/time" "$LM" run -q -V 17 -j 2 -d "$WORK/bad.db" "$C" >"$WORK/run.out" 2>"$WORK/run.err"
rc=$?
read -r maxrss secs < <(tail -1 "$WORK/time") || true
check_eq "a corpus with bad files: exit 2 (input)" "$rc" 2
sed 's/^/# /' "$WORK/run.err"
msg() { grep -qF -- "$1" "$WORK/run.err"; }
check "not UTF-8: file and line" msg "\"$C/latin1.sql\": not valid UTF-8 at line 3"
check "NUL byte: file and line" msg "\"$C/nul.sql\": contains a NUL byte at line 2"
check "empty file" msg "\"$C/empty.sql\": empty file"
check "only comments" msg "\"$C/comments.sql\": no SQL statements"
check "unterminated string: file and line" msg "\"$C/unterminated.sql\": unterminated quoted string at line 3"
check "unterminated dollar quote: file and line" msg "\"$C/dollar.sql\": unterminated dollar-quoted string at line 2"
check "symlink to itself" msg "could not open \"$C/loop.sql\": Too many levels of symbolic links"
check "symlink cycle" msg "could not open \"$C/a_loop.sql\": Too many levels of symbolic links"
check "dangling symlink" msg "could not open \"$C/dangling.sql\": No such file or directory"
check "FIFO: not read (would block)" msg "could not read \"$C/fifo.sql\": not a regular file"
check "directory named .sql" msg "could not read \"$C/dir.sql\": Is a directory"
check "huge file: refused by its size" msg "\"$C/huge.sql\": too large (100.0 MB; a migration may have at most 16 MB)"
check "the summary counts them" msg "13 files could not be used (see above)"
check "huge file did not blow memory (max RSS ${maxrss:-?} KB)" test "${maxrss:-999999999}" -lt 400000
check "nor time (${secs:-?} s)" test $((SECONDS - t0)) -lt 120
q() { sqlite3 "$WORK/bad.db" "$1"; }
check_eq "the good files ran (jobs ok)" "$(q "SELECT group_concat(path, ' ') FROM (SELECT m.path FROM jobs j JOIN migrations m ON m.run_id=j.run_id AND m.chain=j.chain WHERE j.status='ok' ORDER BY m.path)")" "$C/deep.sql $C/good.sql"
check_eq "good.sql traced" "$(q "SELECT group_concat(t.status) FROM traces t JOIN statements s ON s.id=t.statement_id JOIN migrations m ON m.id=s.migration_id WHERE m.path LIKE '%/good.sql'")" "ok,ok"
deep=$(q "SELECT group_concat(st, ' ') FROM (SELECT t.status AS st FROM traces t JOIN statements s ON s.id=t.statement_id JOIN migrations m ON m.id=s.migration_id WHERE m.path LIKE '%/deep.sql' ORDER BY s.idx)")
check_eq "deep nesting: the server's refusal recorded, the chain goes on" "$deep" "ok error ok"
q "SELECT '# deep: ' || t.sqlstate || ' ' || t.message FROM traces t WHERE t.status='error'"
check "deep nesting: classified as unparsed, not crashed" test "$(q "SELECT count(*) FROM statements s JOIN migrations m ON m.id=s.migration_id WHERE m.path LIKE '%/deep.sql' AND s.idx=2 AND (s.fingerprint IS NULL OR s.class IS NULL OR s.class='unparsed')")" -ge 1
check_eq "bad files are kept in the store with their error" "$(q "SELECT count(*) FROM migrations WHERE error IS NOT NULL")" 13
check_eq "run complete" "$(q "SELECT status FROM runs")" complete
check_eq "store intact" "$(q 'PRAGMA integrity_check')" ok
check "report works on it" "$LM" report -d "$WORK/bad.db" --format json -o "$WORK/bad.json"

# --- just under the size limit: split and classified in bounded memory and time ---
REL="$ROOT/lockmatrix"
if [ -x "$REL" ]; then
    yes 'ALTER TABLE big ADD COLUMN IF NOT EXISTS c int;' | head -c $((15 * 1024 * 1024)) >"$WORK/h15.sql"
    /usr/bin/time -f '%M %e' -o "$WORK/time15" "$REL" analyze -V 17 "$WORK/h15.sql" >/dev/null 2>&1; rc=$?
    read -r maxrss secs < <(tail -1 "$WORK/time15") || true
    check_eq "15 MB file (330,000 statements) analysed: exit 0" "$rc" 0
    check "15 MB file: memory bounded (${maxrss} KB < 1 GB)" test "$maxrss" -lt 1000000
    check "15 MB file: time bounded (${secs} s < 60 s)" awk -v s="$secs" 'BEGIN { exit !(s < 60) }'
    rm -f "$WORK/h15.sql"
fi

# --- unreadable: permissions do not stop root, so as the unprivileged user ------
U=lockmatrix
if id "$U" >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    mkdir -p "$WORK/perm"
    printf 'SELECT 1;\n' >"$WORK/perm/secret.sql"; chmod 000 "$WORK/perm/secret.sql"
    printf 'SELECT 1;\n' >"$WORK/perm/open.sql"; chmod 644 "$WORK/perm/open.sql"
    chmod 755 "$WORK/perm"
    setpriv --reuid="$U" --regid="$U" --clear-groups "$LM" analyze -V 17 "$WORK/perm/secret.sql" "$WORK/perm/open.sql" \
        >"$WORK/perm.out" 2>"$WORK/perm.err"; rc=$?
    check_eq "unreadable file: exit 2" "$rc" 2
    check "unreadable file: named, with the reason" grep -qF "could not open \"$WORK/perm/secret.sql\": Permission denied" "$WORK/perm.err"
    check "unreadable file: the rest analysed" grep -q "open.sql:1" "$WORK/perm.out"
    mkdir -p "$WORK/closed"; chmod 700 "$WORK/closed"; printf 'SELECT 1;\n' >"$WORK/closed/x.sql"
    setpriv --reuid="$U" --regid="$U" --clear-groups "$LM" analyze "$WORK/closed" >/dev/null 2>"$WORK/closed.err"; rc=$?
    check_eq "unreadable directory: exit 2" "$rc" 2
    check "unreadable directory: named" grep -qF "\"$WORK/closed\"" "$WORK/closed.err"
else
    echo "ok - unreadable: skipped (needs root and the lockmatrix user)"
fi

# --- thousands of files, each its own chain ---------------------------------------
N=${BAD_INPUT_MANY:-3000}
mkdir -p "$WORK/many"
for i in $(seq 1 "$N"); do printf 'CREATE TABLE t%d (id int);\n' "$i" >"$WORK/many/m$i.sql"; done
t0=$SECONDS
"$LM" run -q -V 17 -j 2 --each -d "$WORK/many.db" "$WORK/many" >"$WORK/many.out" 2>"$WORK/many.err"; rc=$?
check_eq "$N files, each its own chain: exit 0 ($((SECONDS - t0)) s)" "$rc" 0
sed 's/^/# /' "$WORK/many.out" | head -1
check_eq "$N jobs ok" "$(sqlite3 "$WORK/many.db" "SELECT count(*) FROM jobs WHERE status='ok'")" "$N"
check_eq "$N traces ok" "$(sqlite3 "$WORK/many.db" "SELECT count(*) FROM traces WHERE status='ok'")" "$N"
check "in bounded time (< 600 s)" test $((SECONDS - t0)) -lt 600
t0=$SECONDS
"$LM" report -d "$WORK/many.db" --format json -o "$WORK/many.json"; rc=$?
check_eq "the report of $N chains: exit 0 ($((SECONDS - t0)) s)" "$rc" 0

# --- stores that are not ours --------------------------------------------------------
printf 'SELECT 1;\n' >"$WORK/one.sql"
echo "just some text, not SQLite" >"$WORK/text.db"
sqlite3 "$WORK/other.db" 'CREATE TABLE x (a int); INSERT INTO x VALUES (1);'
cp "$WORK/bad.db" "$WORK/newer.db"
sqlite3 "$WORK/newer.db" 'PRAGMA user_version = 999'
for f in text other newer; do
    before=$(md5sum <"$WORK/$f.db")
    "$LM" run -q -V 17 -d "$WORK/$f.db" "$WORK/one.sql" >/dev/null 2>"$WORK/$f.err"; rc=$?
    check_eq "run on $f.db: exit 2" "$rc" 2
    "$LM" report -d "$WORK/$f.db" >/dev/null 2>>"$WORK/$f.err"; rc=$?
    check_eq "report on $f.db: exit 2" "$rc" 2
    check_eq "$f.db left untouched" "$(md5sum <"$WORK/$f.db")" "$before"
    sed 's/^/# /' "$WORK/$f.err" | head -2
done
check "not SQLite: named" grep -qF "\"$WORK/text.db\" is not a lockmatrix store" "$WORK/text.err"
check "SQLite but not ours: named" grep -qF "\"$WORK/other.db\" is not a lockmatrix store" "$WORK/other.err"
check "newer schema: named, with versions" grep -qF "\"$WORK/newer.db\" was written by a newer lockmatrix (schema 999" "$WORK/newer.err"
mkdir -p "$WORK/ro"; cp "$WORK/bad.db" "$WORK/ro/ro.db"; chmod 555 "$WORK/ro"; chmod 444 "$WORK/ro/ro.db"
if [ "$(id -u)" = 0 ]; then
    setpriv --reuid=lockmatrix --regid=lockmatrix --clear-groups "$LM" run -q -V 17 -d "$WORK/ro/ro.db" "$WORK/one.sql" >/dev/null 2>"$WORK/ro.err"; rc=$?
    check_eq "a store that cannot be written: exit 3 (environment)" "$rc" 3
    sed 's/^/# /' "$WORK/ro.err" | head -2
fi
# --- a stray .sql file beside golang-migrate migrations ------------------------------
mkdir -p "$WORK/stray"
printf 'CREATE TABLE a (id int);\n' >"$WORK/stray/000001_a.up.sql"
printf 'DROP TABLE a;\n' >"$WORK/stray/000001_a.down.sql"
printf 'ALTER TABLE a ADD COLUMN b int;\n' >"$WORK/stray/000002_b.up.sql"
printf 'ALTER TABLE a DROP COLUMN b;\n' >"$WORK/stray/000002_b.down.sql"
printf 'CREATE ROLE setup_only;\n' >"$WORK/stray/PREAMBLE.sql"
"$LM" run -V 17 -d "$WORK/stray.db" "$WORK/stray" >"$WORK/stray.out" 2>&1
check_eq "a golang-migrate directory with a stray file runs" "$?" 0
check "it is still golang-migrate, and says so; the stray file is named as left out" grep -qF \
    "stray: golang-migrate: 2 up, 2 down (not run; --down runs them); left out: PREAMBLE.sql" "$WORK/stray.out"
check_eq "only the ups ran, in order, no error" \
    "$(sqlite3 "$WORK/stray.db" "SELECT group_concat(st, ',') FROM (SELECT t.status st FROM traces t JOIN statements s ON s.id = t.statement_id JOIN migrations m ON m.id = s.migration_id ORDER BY m.position)")" "ok,ok"

# --- a project root: its tool's layout lives in a subdirectory ----------------------
mkdir -p "$WORK/proj/migrations/2024-01-01-000000_init" "$WORK/gproj/db/migrations"
printf 'CREATE TABLE a (id int);\n' >"$WORK/proj/migrations/2024-01-01-000000_init/up.sql"
printf 'DROP TABLE a;\n' >"$WORK/proj/migrations/2024-01-01-000000_init/down.sql"
printf 'SELECT 1;\n' >"$WORK/proj/seed.sql"
"$LM" run -V 17 -d "$WORK/proj.db" "$WORK/proj" >"$WORK/proj.out" 2>&1
check_eq "a project root holding a diesel layout: exit 2" "$?" 2
check "it names the layout and where it is" grep -qF \
    "\"$WORK/proj\" holds a diesel layout in \"$WORK/proj/migrations\": run lockmatrix on that directory" "$WORK/proj.out"
check "nothing was traced" test ! -e "$WORK/proj.db"
printf 'CREATE TABLE a (id int);\n' >"$WORK/gproj/db/migrations/000001_a.up.sql"
printf 'DROP TABLE a;\n' >"$WORK/gproj/db/migrations/000001_a.down.sql"
"$LM" analyze "$WORK/gproj" >"$WORK/gproj.out" 2>&1
check_eq "a project root holding golang-migrate in db/migrations: exit 2" "$?" 2
check "it names it" grep -qF "holds a golang-migrate layout in \"$WORK/gproj/db/migrations\"" "$WORK/gproj.out"
mkdir -p "$WORK/uproj/migrations"
printf 'CREATE TABLE a (id int);\n' >"$WORK/uproj/migrations/0001_a.up.sql"
printf 'CREATE ROLE setup_only;\n' >"$WORK/uproj/PREAMBLE.sql"
"$LM" analyze "$WORK/uproj" >"$WORK/uproj.out" 2>&1
check_eq "a root whose migrations/ is plain SQL, a stray file at its top: exit 2" "$?" 2
check "it names it" grep -qF "holds a plain layout in \"$WORK/uproj/migrations\"" "$WORK/uproj.out"
"$LM" analyze --layout plain "$WORK/proj" >"$WORK/plainproj.out" 2>&1
check_eq "--layout plain traces the root itself" "$?" 0
"$LM" analyze "$WORK/proj/migrations" >"$WORK/sub.out" 2>&1
check_eq "the subdirectory itself is fine" "$?" 0

finish
