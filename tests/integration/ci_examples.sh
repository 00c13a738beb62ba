#!/usr/bin/env bash
# The CI examples (examples/github/lockmatrix-nightly.yml,
# examples/gitlab/.gitlab-ci.yml): the YAML parses, has the shape asked for
# (nightly, artifacts, HTML report published, comparison with the previous
# night; GitHub: the lockmatrix Action; GitLab: shards as parallel: jobs and a
# merge), and every command in them, and the Action's steps, run here as the CI
# engine would run them (tests/integration/ci_examples.py says how, and what is
# left out: the install/build steps; the version list is reduced to
# TEST_VERSIONS). Three nights each: the first has nothing to
# compare, the second compares and passes, the third finds a change (the
# previous night's store edited) and fails; GitLab's accept switch passes it.
source "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
if ! $PY -c 'import yaml' 2>/dev/null; then
    notok "python3-yaml is missing (apt-get install python3-yaml; make setup installs it)"
    finish
fi
export TEST_VERSIONS=${TEST_VERSIONS:-10,17}

# --- the "checkout": the binary and a small corpus at the path the files name ----
co=$WORK/checkout
mkdir -p "$co/fixtures/cases"
ln -s "$LM" "$co/lockmatrix"
echo each >"$co/fixtures/cases/.lockmatrix-layout"
for c in add_column_nullable alter_column_type_int_to_bigint create_index create_index_concurrently drop_column; do
    cp "$ROOT/fixtures/cases/$c.sql" "$co/fixtures/cases/"
done

# --- stand-ins for the CI's API (the previous night's store) ---------------------
export LM_TEST_TOOLS=$WORK/tools
mkdir -p "$LM_TEST_TOOLS"
ln -s "$LM" "$LM_TEST_TOOLS/lockmatrix" # what the Action installs on PATH
cat >"$LM_TEST_TOOLS/gh" <<'SH'
#!/usr/bin/env bash
# gh run list ... --jq ...: the previous run's id when it left a store;
# gh run download ID --name nightly-store --dir DIR: that store.
store="$LM_TEST_PREV/nightly-store/nightly.db"
case "$1 $2" in
"run list") [ -f "$store" ] && echo 4242; exit 0 ;;
"run download")
    dir=.; while [ $# -gt 0 ]; do [ "$1" = --dir ] && dir=$2; shift; done
    [ -f "$store" ] || { echo "no artifact" >&2; exit 1; }
    cp "$store" "$dir/" ;;
*) echo "gh stand-in: $*: not emulated" >&2; exit 2 ;;
esac
SH
cat >"$LM_TEST_TOOLS/curl" <<'SH'
#!/usr/bin/env bash
# GitLab's "artifact of the newest successful job" endpoint, for nightly.db only.
out=; url=
while [ $# -gt 0 ]; do
    case $1 in --output) out=$2; shift ;; --header) shift ;; -*) ;; *) url=$1 ;; esac; shift
done
case $url in */projects/1/jobs/artifacts/main/raw/nightly.db\?job=merge) ;; *) echo "curl stand-in: $url" >&2; exit 2 ;; esac
[ -f "$LM_TEST_PREV/merge/nightly.db" ] || exit 22
cp "$LM_TEST_PREV/merge/nightly.db" "$out"
SH
chmod +x "$LM_TEST_TOOLS/gh" "$LM_TEST_TOOLS/curl"

# An edit of the newest run of a store: ADD COLUMN took a weaker lock on 17.
tamper() { # store
    local t
    t=$(sqlite3 "$1" "SELECT t.id FROM traces t JOIN statements s ON s.id = t.statement_id JOIN migrations m ON m.id = s.migration_id
        WHERE m.run_id = (SELECT max(id) FROM runs) AND m.path LIKE '%add_column_nullable.sql' AND s.sql LIKE 'ALTER TABLE%' AND t.major = 17")
    sqlite3 "$1" "UPDATE locks SET mode = 'ShareUpdateExclusiveLock' WHERE trace_id = $t AND role = 'table' AND mode = 'AccessExclusiveLock'"
}

night() { # kind, name, previous artifacts dir or -, extra env...
    local kind=$1 name=$2 prev=$3; shift 3
    mkdir -p "$WORK/$kind/$name"
    env "$@" $PY "$ROOT/tests/integration/ci_examples.py" "$kind" "$WORK/$kind/$name" "$prev" "$co" \
        >"$WORK/$kind/$name.log" 2>&1
    local rc=$?
    grep -E '^(ok|not ok) - ' "$WORK/$kind/$name.log" | sed "s/^\(ok\|not ok\) - /&$name: /"
    grep -q '^not ok - ' "$WORK/$kind/$name.log" && T_FAILS=$((T_FAILS + 1))
    return $rc
}

# --- GitHub Actions --------------------------------------------------------------
night github night1 -
check_eq "github night 1 (nothing to compare) passes" "$?" 0
night github night2 "$WORK/github/night1/artifacts"
check_eq "github night 2 (same behaviour) passes" "$?" 0
store2=$WORK/github/night2/artifacts/nightly-store/nightly.db
check_eq "github: the store keeps every night" "$(sqlite3 "$store2" 'SELECT count(*) FROM runs')" 2
cp -r "$WORK/github/night2/artifacts" "$WORK/github/prev3"
tamper "$WORK/github/prev3/nightly-store/nightly.db"
night github night3 "$WORK/github/prev3"
check_eq "github night 3 (behaviour changed) fails" "$?" 1
check "github: it is the Action that fails" grep -q '^# nightly: step lockmatrix: exit 1$' "$WORK/github/night3.log"
check "github: the step summary names the change" grep -qE 'add.?_column.?_nullable.sql.*lock.?_mode' "$WORK/github/night3/step_summary.md"
check "github: the report is still published" test -s "$WORK/github/night3/artifacts/github-pages/index.html"

# --- GitLab CI ---------------------------------------------------------------------
night gitlab night1 -
check_eq "gitlab night 1 passes" "$?" 0
night gitlab night2 "$WORK/gitlab/night1/artifacts"
check_eq "gitlab night 2 passes" "$?" 0
check_eq "gitlab: the store keeps every night" \
    "$(sqlite3 "$WORK/gitlab/night2/artifacts/merge/nightly.db" 'SELECT count(*) FROM runs')" 2
cp -r "$WORK/gitlab/night2/artifacts" "$WORK/gitlab/prev3"
tamper "$WORK/gitlab/prev3/merge/nightly.db"
night gitlab night3 "$WORK/gitlab/prev3"
check_eq "gitlab night 3 (behaviour changed) fails" "$?" 1
check "gitlab: the changes are in public/changes.md" grep -qE 'add.?_column.?_nullable.sql.*lock.?_mode' "$WORK/gitlab/night3/artifacts/merge/public/changes.md"
night gitlab night3-accepted "$WORK/gitlab/prev3" LOCKMATRIX_ACCEPT=1
check_eq "gitlab night 3 with LOCKMATRIX_ACCEPT=1 passes" "$?" 0
finish
