#!/usr/bin/env bash
# --stop-on-error: statements not run after a failure are counted apart from
# the statements traced, in run's summary line and in the store.
. "$(dirname "$0")/lib.sh"

mig="$WORK/migrations"
mkdir -p "$mig"
cat >"$mig/001.sql" <<'SQL'
CREATE TABLE a (id int);
ALTER TABLE missing ADD COLUMN c int;
CREATE TABLE b (id int);
SQL
echo "CREATE INDEX ON a (id);" >"$mig/002.sql"
db="$WORK/lm.db"

"$LM" run -V 10,17 -d "$db" --stop-on-error "$mig" >"$WORK/run.out" 2>"$WORK/run.err"
check_eq "--stop-on-error run: exit 0" "$?" 0
sed 's/^/# /' "$WORK/run.out" | head -3
check "summary: 2 statements traced per version, 1 failed each" \
    grep -q "; 4 statements traced (2 failed on the server), 4 not run after a failure (--stop-on-error) in" "$WORK/run.out"
check_eq "store: 4 traces skipped" "$(sqlite3 "$db" "SELECT count(*) FROM traces WHERE status = 'skipped'")" 4

"$LM" run -V 17 -d "$db" "$mig" >"$WORK/go.out" 2>"$WORK/go.err"
check_eq "without --stop-on-error: exit 0" "$?" 0
check "without --stop-on-error: all 4 traced, nothing said about statements not run" \
    grep -qE "; 4 statements traced \(1 failed on the server\) in" "$WORK/go.out"
finish
