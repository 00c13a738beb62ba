#!/usr/bin/env bash
# lockmatrix bisect: 17.7, 17.8 and 17.9 fetched into a private cache beside
# the default build of 17 (17.10); a migration whose DO block adds a column
# with a volatile default (a rewrite) on servers before 17.9 and a plain
# column from 17.9 on. bisect -V 17.7-17.10 traces 17.10 and 17.7, then 17.8
# and 17.9, and names 17.9 as the first release that behaves like 17.10, with
# what changed between 17.8 and 17.9. A range where nothing changes says so;
# bad ranges are refused.
source "$(dirname "$0")/lib.sh"

bin17=$("$LM" pg | awk '$1 == "17" { print $5 }')
if [ -z "$bin17" ]; then
    notok "PostgreSQL 17 is installed (make setup)"
    finish
fi
check_eq "the default build of 17 is 17.10" "$("$bin17/postgres" --version | awk '{ print $3 }')" 17.10
export LOCKMATRIX_CACHE="$WORK/cache"
"$LM" pg fetch 17.7 17.8 17.9 >"$WORK/fetch.out" 2>&1
check_eq "pg fetch 17.7 17.8 17.9: exit 0" "$?" 0
sed 's/^/# /' "$WORK/fetch.out"

mkdir "$WORK/m"
cat >"$WORK/m/001_add.sql" <<'SQL'
CREATE TABLE b (id int);
INSERT INTO b SELECT generate_series(1, 100);
DO $$
BEGIN
    IF current_setting('server_version_num')::int < 170009 THEN
        ALTER TABLE b ADD COLUMN c float8 DEFAULT random();
    ELSE
        ALTER TABLE b ADD COLUMN c int;
    END IF;
END $$;
SQL

"$LM" bisect -V 17.7-17.10 --pg-bin "17=$bin17" -d "$WORK/b.db" "$WORK/m" >"$WORK/bisect.out" 2>"$WORK/bisect.err"
check_eq "bisect -V 17.7-17.10: exit 0" "$?" 0
sed 's/^/# /' "$WORK/bisect.out" "$WORK/bisect.err"
check_eq "bisect names 17.9" "$(head -1 "$WORK/bisect.out")" \
    "17.9 is the first release of 17.7-17.10 that behaves like 17.10; 17.8 before it does not"
check "bisect shows what changed between 17.8 and 17.9" \
    grep -qE '^ +17\.8->17\.9 rewrite: .*b.* -> ' "$WORK/bisect.out"
check_eq "bisect traced 17.10, 17.7, 17.8, 17.9, in that order" \
    "$(sqlite3 "$WORK/b.db" "SELECT versions FROM runs ORDER BY id" | tr '\n' ' ')" "17.10 17.7 17.8 17.9 "
check_eq "the progress says each probe" "$(grep -c '^lockmatrix: bisect: tracing' "$WORK/bisect.err")" 4

# Without -d, the probes' store is temporary.
mkdir "$WORK/tmp"
TMPDIR="$WORK/tmp" "$LM" bisect -V 17.9-17.10 --pg-bin "17=$bin17" "$WORK/m" >"$WORK/same.out" 2>"$WORK/same.err"
check_eq "bisect -V 17.9-17.10: exit 0" "$?" 0
check_eq "nothing changes between 17.9 and 17.10" "$(cat "$WORK/same.out")" \
    "every release of 17.9-17.10 behaves like 17.10: 17.9 does"
check_eq "the temporary store is gone" "$(ls -A "$WORK/tmp")" ""

bad() { # description, message (grep -F), args...
    local d=$1 msg=$2
    shift 2
    "$LM" bisect "$@" >"$WORK/bad.out" 2>"$WORK/bad.err"
    check_eq "$d: exit 2" "$?" 2
    if grep -qF -- "$msg" "$WORK/bad.err"; then ok "$d: says \"$msg\""; else
        notok "$d: \"$msg\" not in: $(cat "$WORK/bad.err")"; fi
}
bad "majors" 'must name minor releases of one major' -V 16-17 "$WORK/m"
bad "two majors" 'must name minor releases of one major' -V 16.14,17.9 --pg-bin "17=$bin17" "$WORK/m"
bad "one release" 'names 1 release; bisect needs two or more' -V 17.9 "$WORK/m"
bad "nothing installed" 'no release in 17.0-17.6 is installed' -V 17.0-17.6 "$WORK/m"
bad "no -V" 'no -V RANGE given' "$WORK/m"
bad "no PATH" 'no PATH given' -V 17.7-17.9
finish
