#!/usr/bin/env bash
# Migrations in a directory only their owner can read (mktemp -d, a home, a CI
# checkout: mode 0700) are traced: the servers' unprivileged user never needs
# to read the caller's files, the workers read them through descriptors the
# parent opened.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || { ok "skip: not root, the workers keep the caller's uid"; finish; }

priv="$WORK/private"
mkdir -m 700 "$priv" "$priv/m"
printf 'CREATE TABLE a (id int PRIMARY KEY, v text);\nALTER TABLE a ADD COLUMN w int;\n' >"$priv/m/001.sql"
printf 'CREATE INDEX a_v ON a (v);\n' >"$priv/m/002.sql"
printf 'CREATE TABLE pre (id int);\n' >"$priv/PREAMBLE.sql"
chmod 600 "$priv"/m/*.sql "$priv/PREAMBLE.sql"
check "the run user cannot read the files itself" \
    bash -c "! runuser -u lockmatrix -- cat '$priv/m/001.sql' 2>/dev/null"

"$LM" run -V 12,17 -d "$priv/lm.db" --preamble "$priv/PREAMBLE.sql" "$priv/m" >"$WORK/run.out" 2>&1
rc=$?
check_eq "a run of a private directory exits 0" "$rc" 0
check "every job ok" grep -q "2 jobs: 2 ok, 0 failed" "$WORK/run.out"
check "no permission error" bash -c "! grep -q 'Permission denied' '$WORK/run.out'"
check "nothing said to have changed" bash -c "! grep -q 'changed since the run started' '$WORK/run.out'"
check_eq "every statement traced ok on both versions" \
    "$(sqlite3 "$priv/lm.db" "SELECT count(*) FROM traces WHERE status='ok'")" 6
check_eq "the store stays the caller's" "$(stat -c %U "$priv/lm.db")" "$(id -un)"

finish
