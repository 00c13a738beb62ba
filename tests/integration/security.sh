#!/usr/bin/env bash
# Security checks against real servers:
#  - embedded servers listen on a Unix socket in a 0700 directory of the run
#    user, and on no TCP port;
#  - the SQL of a corpus runs in a sandbox: COPY ... TO PROGRAM and COPY ... TO
#    a file cannot write outside the server's own directory nor reach a network;
#  - report output escapes every string from a corpus (file names and SQL with
#    HTML, Markdown and terminal control characters); the unit tests of the
#    escaping are tests/unit/test_report_render.c (render_clean, render_html,
#    render_md) and tests/unit/test_json_escape.c, fuzzed by tests/fuzz/fuzz_escape.c;
#  - paths from a corpus never choose where files are written: only -o does;
#  - docker containers publish their port on 127.0.0.1 only, with a random
#    password that appears in no output, report or store (skipped without an engine).
source "$(dirname "$0")/lib.sh"

# --- embedded: socket only, private directory -------------------------------
mkdir -p "$WORK/slow"
printf 'CREATE TABLE t (id int);\n' >"$WORK/slow/001.sql"
for i in 2 3 4 5 6; do printf 'SELECT pg_sleep(0.5);\n' >"$WORK/slow/00$i.sql"; done
"$LM" run -q -V 16,17 -j 2 -d "$WORK/sec.db" "$WORK/slow" >"$WORK/sec.out" 2>"$WORK/sec.err" &
lm=$!
pms=""
for _ in $(seq 1 200); do
    pms=$(for w in $(pgrep -P "$lm"); do pgrep -P "$w" -f "bin/postgres -D"; done | tr '\n' ' ')
    [ "$(echo $pms | wc -w)" -ge 2 ] && break
    sleep 0.05
done
check "found the run's postmasters ($pms)" test -n "$pms"
sleep 0.5
tcp_listeners() { # pid: TCP sockets in LISTEN state the process holds
    local pid=$1 inodes n=0 ino
    inodes=$(ls -l "/proc/$pid/fd" 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\]/\1/p')
    for ino in $inodes; do
        # /proc/net/tcp{,6}: st 0A = LISTEN, inode in column 10
        awk -v i="$ino" 'NR > 1 && $4 == "0A" && $10 == i { f = 1 } END { exit !f }' /proc/net/tcp /proc/net/tcp6 && n=$((n + 1))
    done
    echo $n
}
for pm in $pms; do
    # the instance directory holds the socket (-k) and the data directory (-D, dir/data)
    dir=$(tr '\0' ' ' <"/proc/$pm/cmdline" | sed -n 's/.* -k \([^ ]*\).*/\1/p')
    check_eq "postmaster $pm: its data directory is in its instance directory" \
        "$(tr '\0' ' ' <"/proc/$pm/cmdline" | sed -n 's/.* -D \([^ ]*\).*/\1/p')" "$dir/data"
    check_eq "postmaster $pm: no TCP listener (/proc/net/tcp*)" "$(tcp_listeners "$pm")" 0
    check_eq "postmaster $pm: none in ss either" "$(ss -Hltnp 2>/dev/null | grep -c "pid=$pm,")" 0
    check "postmaster $pm: listen_addresses is empty" grep -qa -- "listen_addresses=" "/proc/$pm/cmdline"
    check "postmaster $pm: its socket is in its instance directory" test -S "$dir/.s.PGSQL.5432"
    check_eq "postmaster $pm: instance directory mode" "$(stat -c %a "$dir")" 700
    check_eq "postmaster $pm: run directory mode" "$(stat -c %a "$(dirname "$dir")")" 700
    check_eq "postmaster $pm: runs as the unprivileged user" "$(ps -o user= -p "$pm")" lockmatrix
    check_eq "postmaster $pm: the directory is that user's" "$(stat -c %U "$dir")" lockmatrix
done
wait "$lm"
check_eq "the run completes" "$?" 0

# --- the SQL of a corpus runs in a sandbox --------------------------------------
# A superuser can run programs and write files on the server's machine (COPY
# ... TO PROGRAM, COPY ... TO 'file'): the embedded server's sandbox gives them
# a read-only filesystem but for the instance directory, and no network.
mark="/tmp/lm-sandbox-$$-$RANDOM"
mkdir -p "$WORK/hostile"
cat >"$WORK/hostile/001.sql" <<SQL
CREATE TABLE netdev (line text);
COPY (SELECT 1) TO PROGRAM 'id > $mark';
COPY (SELECT 'poison') TO '$mark.copy';
COPY (SELECT 'poison') TO '/var/cache/lockmatrix/templates/poison';
COPY netdev FROM PROGRAM 'tail -n +3 /proc/net/dev | grep -v "^ *lo:" | wc -l | grep -qx 0';
COPY (SELECT 1) TO PROGRAM 'touch ./inside_is_writable';
SQL
"$LM" run -q -V 17 -d "$WORK/hostile.db" "$WORK/hostile" >"$WORK/hostile.out" 2>"$WORK/hostile.err"
check_eq "a hostile corpus runs" "$?" 0
hq() { sqlite3 "$WORK/hostile.db" "SELECT t.status FROM traces t JOIN statements s ON s.id=t.statement_id WHERE s.idx=$1"; }
check_eq "COPY TO PROGRAM writing to /tmp: refused" "$(hq 2)" error
check "COPY TO PROGRAM: no file on the host" test ! -e "$mark"
check_eq "COPY TO a file in /tmp: refused" "$(hq 3)" error
check "COPY TO a file: no file on the host" test ! -e "$mark.copy"
check_eq "COPY TO the template cache: refused" "$(hq 4)" error
check "the template cache is not poisoned" test ! -e /var/cache/lockmatrix/templates/poison
check_eq "the server sees no network interface but its loopback" "$(hq 5)" ok
check_eq "programs still run, inside the instance directory" "$(hq 6)" ok
sqlite3 "$WORK/hostile.db" "SELECT '# ' || s.idx || ': ' || t.status || ' ' || coalesce(t.message, '') FROM traces t JOIN statements s ON s.id=t.statement_id ORDER BY s.idx"
# the control: without the sandbox the same corpus does reach the host
LOCKMATRIX_SANDBOX=0 "$LM" run -q -V 17 -d "$WORK/nosandbox.db" "$WORK/hostile" >/dev/null 2>&1
check "control: without the sandbox (LOCKMATRIX_SANDBOX=0) the program writes to the host" test -e "$mark"
check_eq "control: without the sandbox the server sees the host's interfaces" \
    "$(sqlite3 "$WORK/nosandbox.db" "SELECT t.status FROM traces t JOIN statements s ON s.id=t.statement_id WHERE s.idx=5")" error
rm -f "$mark" "$mark.copy" /var/cache/lockmatrix/templates/poison

# --- reports escape what a corpus says -----------------------------------------
E=$'\e'
mkdir -p "$WORK/evil"
name='<img src=x onerror=alert(1)>|`md`*[x](javascript:alert(1))'
printf 'CREATE TABLE "<b>t</b>" (id int);\nCOMMENT ON TABLE "<b>t</b>" IS '"'"'</script><script>alert(1)</script>'"$E"'[2J'"$E"']0;title\a|break|'"'"';\n' \
    >"$WORK/evil/$name.sql"
# a migration named with ../ and an absolute-looking path
mkdir -p "$WORK/evil/sub"
printf 'CREATE TABLE up (id int);\n' >"$WORK/evil/sub/escape..%2f..%2f.sql"
cp "$WORK/evil/sub/escape..%2f..%2f.sql" "$WORK/evil/a....sql"
(cd "$WORK/evil/sub" && "$LM" run -q -V 17 --each -d "$WORK/evil.db" ../ ../sub >"$WORK/evil.out" 2>"$WORK/evil.err"); rc=$?
sed "s/^/# /" "$WORK/evil.err" | head -5
check_eq "a corpus with hostile names and text runs" "$rc" 0
mkdir -p "$WORK/rep" "$WORK/cwd"
before=$(find "$WORK" -path "$WORK/rep" -prune -o -print | sort)
for fmt in text markdown json html sarif; do
    (cd "$WORK/cwd" && "$LM" report -d "$WORK/evil.db" --format "$fmt" -o "$WORK/rep/r.$fmt")
    check_eq "report --format $fmt -o exits 0" "$?" 0
done
(cd "$WORK/cwd" && "$LM" report -d "$WORK/evil.db" >"$WORK/rep/stdout.text")
after=$(find "$WORK" -path "$WORK/rep" -prune -o -print | sort)
check_eq "reports wrote nothing but their -o files" "$(diff <(echo "$before") <(echo "$after") | grep -c '^[<>]')" 0
check_eq "nothing written outside the work directory" "$(find /tmp -maxdepth 1 -newer "$WORK/evil.db" -name 'escape*' | wc -l)" 0
for f in "$WORK"/rep/*; do
    check_eq "$(basename "$f"): no raw ESC or BEL" "$(tr -dc '\033\007' <"$f" | wc -c)" 0
done
check_eq "html: no raw tag from the corpus" "$(grep -c -e '<script>alert' -e '<img src=x' -e '<b>t</b>' "$WORK/rep/r.html")" 0
check "html: the name is there, escaped" grep -q '&lt;img src=x onerror=alert(1)&gt;' "$WORK/rep/r.html"
check_eq "markdown: no raw tag from the corpus" "$(grep -c -e '<script>' -e '<img src' "$WORK/rep/r.markdown")" 0
check "json: valid" jq -e . "$WORK/rep/r.json" >/dev/null
check "json: the SQL reads back as it was written, escape included" \
    test "$(jq -r '.statements[] | select(.sql | startswith("COMMENT")) | .sql' "$WORK/rep/r.json" | tr -dc '\033' | wc -c)" = 2
check "sarif: valid JSON" jq -e . "$WORK/rep/r.sarif" >/dev/null
"$LM" report -d "$WORK/evil.db" --format html -o "$WORK/nodir/r.html" 2>"$WORK/nodir.err"; rc=$?
check "report -o into a missing directory fails ($rc)" test "$rc" -ne 0
check "and creates no directory" test ! -e "$WORK/nodir"

# --- docker: 127.0.0.1 only, the password nowhere ------------------------------------
source "$ROOT/docker/testlib.sh"
docker_require 17
"$LM" run -q -b docker -V 17 -d "$WORK/dk.db" "$WORK/slow" >"$WORK/dk.out" 2>"$WORK/dk.err" &
lm=$!
cid=""
for _ in $(seq 1 400); do
    cid=$(dapi GET '/containers/json?filters=%7B%22label%22%3A%5B%22lockmatrix.run%22%5D%7D' | jq -r '.[0].Id // empty' 2>/dev/null)
    [ -n "$cid" ] && break
    sleep 0.05
done
check "found the run's container" test -n "$cid"
insp=$(dapi GET "/containers/$cid/json")
pw=$(echo "$insp" | jq -r '.Config.Env[] | select(startswith("POSTGRES_PASSWORD=")) | sub("POSTGRES_PASSWORD="; "")')
check "the container has a password of 16 characters or more" test "${#pw}" -ge 16
check_eq "ports published on 127.0.0.1 only" \
    "$(echo "$insp" | jq -r '[.HostConfig.PortBindings[][]?.HostIp] | unique | join(",")')" 127.0.0.1
check_eq "bound on 127.0.0.1 only" \
    "$(echo "$insp" | jq -r '[.NetworkSettings.Ports[]?[]?.HostIp] | unique | map(select(. != "127.0.0.1")) | length')" 0
wait "$lm"
check_eq "the docker run completes" "$?" 0
for fmt in text markdown json html sarif; do "$LM" report -d "$WORK/dk.db" --format "$fmt" >"$WORK/dk.$fmt" 2>&1; done
"$LM" runs -d "$WORK/dk.db" >"$WORK/dk.runs" 2>&1
if [ -n "$pw" ]; then
    found=$(grep -alF -- "$pw" "$WORK"/dk.* 2>/dev/null | tr '\n' ' ')
    check_eq "the password is in no output, report or store file" "$found" ""
fi
"$LM" run -q -b docker -V 17 -d "$WORK/dk2.db" "$WORK/slow" >/dev/null 2>&1 &
lm=$!
pw2=""
for _ in $(seq 1 400); do
    cid=$(dapi GET '/containers/json?filters=%7B%22label%22%3A%5B%22lockmatrix.run%22%5D%7D' | jq -r '.[0].Id // empty' 2>/dev/null)
    [ -n "$cid" ] && pw2=$(dapi GET "/containers/$cid/json" | jq -r '.Config.Env[] | select(startswith("POSTGRES_PASSWORD=")) | sub("POSTGRES_PASSWORD="; "")') && break
    sleep 0.05
done
wait "$lm"
check "the password is random (another run, another password)" test -n "$pw2" -a "$pw2" != "$pw"
finish
