#!/usr/bin/env bash
# The GitHub Action (action.yml, scripts/action.sh): the YAML parses, the
# inputs the nightly example passes exist, and the Action's steps run here as
# a runner runs them (tests/integration/action_run.py; in cases 1-5 the install
# steps are skipped with `install: false`, lockmatrix on PATH is the binary
# under test; no network: actions/cache and the SARIF upload are only recorded) on a real corpus, harbor's
# migrations, on PostgreSQL 17:
#   1. a pull request, no token: the summary holds the report, the SARIF is
#      valid, the comment is written (nothing version-specific: not posted), exit 0;
#   2. against the store of 1, unchanged corpus: no change, exit 0; nothing
#      version-specific on one version: no comment;
#   3. --max-risk high on a push: the two critical rewrites of 0080 fail the
#      Action with exit 1, the SARIF reports them, nothing is commented;
#   4. a fixture case that differs between 10 and 11 (ADD COLUMN ... DEFAULT)
#      on a pull request: without a token the comment is written and said not
#      posted; with one, posted through gh (a stand-in recording its arguments);
#   5. empty paths: exit 2;
#   6. the install steps themselves, offline (sudo a stand-in, the tool cache
#      filled from this machine's cache): make setup and make install from the
#      Action's checkout, the run with the installed binary.
source "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
if ! $PY -c 'import yaml' 2>/dev/null; then
    notok "python3-yaml is missing (apt-get install python3-yaml; make setup installs it)"
    finish
fi
CORPUS=${LOCKMATRIX_CORPORA:-/work/shared/corpora}/harbor
if [ ! -d "$CORPUS/migrations" ]; then
    ok "# SKIP harbor corpus not found at $CORPUS"
    finish
fi

# --- the YAML ---------------------------------------------------------------------
check "action.yml and the nightly example parse; the inputs the example passes exist" \
    $PY - "$ROOT" <<'PY'
import sys, yaml
root = sys.argv[1]
action = yaml.safe_load(open(root + "/action.yml"))
assert action["runs"]["using"] == "composite", "not a composite action"
inputs = set(action["inputs"])
for need in ("paths", "versions", "max-risk", "layout", "against", "preamble", "store", "comment"):
    assert need in inputs, "input %s missing" % need
assert set(action["outputs"]) >= {"store", "sarif", "markdown", "comment", "exit-code"}
wf = yaml.safe_load(open(root + "/examples/github/lockmatrix-nightly.yml"))
used = [st for job in wf["jobs"].values() for st in job.get("steps", [])
        if st.get("uses") == "./"]
assert used, "the example does not use the Action"
for st in used:
    extra = set(st.get("with", {})) - inputs
    assert not extra, "the example passes inputs action.yml lacks: %s" % extra
    assert "paths" in st["with"]
PY

# --- the runner ---------------------------------------------------------------------
tools=$WORK/tools
mkdir -p "$tools"
ln -s "$LM" "$tools/lockmatrix"
base_path=$PATH

# action CASE WITH_JSON GITHUB_JSON [PATH]: runs the Action in $WORK/CASE
action() {
    local d=$WORK/$1
    mkdir -p "$d/tmp"
    (cd "$d" && PATH=${4:-$tools:$base_path} RUNNER_TEMP="$d/tmp" GITHUB_STEP_SUMMARY="$d/summary.md" \
        GITHUB_EVENT_NAME=$(jq -r '.event_name // "push"' <<<"$3") GITHUB_REPOSITORY=example/repo \
        $PY "$ROOT/tests/integration/action_run.py" "$2" "$3" >"$d/log" 2>&1)
}
output() { sed -n 's/^outputs: //p' "$WORK/$1/log" | jq -r --arg k "$2" '.[$k]'; }

# 1. a pull request -----------------------------------------------------
with=$(jq -nc --arg c "$CORPUS" '{paths: "\($c)/migrations", preamble: "\($c)/PREAMBLE.sql",
    versions: "17", install: "false", token: "", against: "previous/none.db"}')
action pr "$with" '{"event_name": "pull_request", "event.pull_request.number": 7}'
check_eq "1: a clean corpus: the Action passes" "$?" 0
check_eq "1: output exit-code" "$(output pr exit-code)" 0
check_eq "1: output store" "$(output pr store)" lockmatrix.db
check "1: the store holds the run" test -s "$WORK/pr/lockmatrix.db"
check "1: the run was lockmatrix run --ci on 17 with the preamble" \
    grep -qE "lockmatrix-action: .*lockmatrix run -q --ci -d lockmatrix.db -V 17 --preamble $CORPUS/PREAMBLE.sql $CORPUS/migrations\$" "$WORK/pr/log"
check "1: a missing previous store compares nothing" grep -q 'no previous store at previous/none.db' "$WORK/pr/log"
# shellcheck disable=SC2016 # backquotes of markdown
check "1: the summary says the run passed" grep -qx '`lockmatrix run --ci` passed.' "$WORK/pr/summary.md"
check "1: the summary holds the markdown report" grep -q '^## lockmatrix run 1$' "$WORK/pr/summary.md"
check "1: ... with its statements (407)" grep -q '^\*\*407 statements' "$WORK/pr/summary.md"
md=$(output pr markdown)
check_eq "1: output markdown: the report in RUNNER_TEMP" "$md" "$WORK/pr/tmp/lockmatrix/report.md"
check "1: ... which is the summary's report" grep -qFf <(head -n 1 "$md") "$WORK/pr/summary.md"
sarif=$(output pr sarif)
check_eq "1: output sarif" "$sarif" "$WORK/pr/tmp/lockmatrix/lockmatrix.sarif"
check_eq "1: the SARIF is JSON of version 2.1.0" "$(jq -r .version "$sarif" 2>&1)" 2.1.0
check "1: the SARIF is uploaded (upload-sarif, category lockmatrix)" \
    grep -qF "uses: github/codeql-action/upload-sarif@v3 {\"category\": \"lockmatrix\", \"sarif_file\": \"$sarif\", \"token\": \"\"}" "$WORK/pr/log"
comment=$(output pr comment)
check_eq "1: output comment" "$comment" "$WORK/pr/tmp/lockmatrix/comment.md"
check "1: the comment holds the version-specific report" grep -q 'version-specific only' "$comment"
check "1: nothing version-specific on one version: nothing to comment" \
    grep -q "no version-specific findings: nothing to comment" "$WORK/pr/log"
check "1: the last step passes" grep -qx '# step result: exit 0' "$WORK/pr/log"

# 2. against the previous store, posting through gh -----------------------------------------
mkdir -p "$WORK/against/previous"
cp "$WORK/pr/lockmatrix.db" "$WORK/against/previous/night.db"
cat >"$tools/gh" <<SH
#!/usr/bin/env bash
printf '%s\n' "\$*" >"$WORK/gh.args"
printf 'token=%s\n' "\$GH_TOKEN" >>"$WORK/gh.args"
SH
chmod +x "$tools/gh"
with=$(jq -nc --arg c "$CORPUS" '{paths: "\($c)/migrations", preamble: "\($c)/PREAMBLE.sql",
    versions: "17", install: "false", against: "previous/night.db", store: "night.db"}')
action against "$with" '{"event_name": "pull_request", "event.pull_request.number": 7, "token": "gh-token"}'
check_eq "2: unchanged corpus against the previous store: the Action passes" "$?" 0
check_eq "2: the store holds both runs" "$(sqlite3 "$WORK/against/night.db" 'SELECT count(*) FROM runs')" 2
check "2: the run compared with the previous one" grep -q -- '--against last' "$WORK/against/log"
check "2: the summary says nothing changed" grep -q 'No change of observed behaviour' "$WORK/against/summary.md"
check "2: the comparison heads the summary" grep -q '^## lockmatrix run 2 against run 1$' "$WORK/against/summary.md"
check "2: no version-specific findings on one version: no comment" \
    grep -q 'no version-specific findings: nothing to comment' "$WORK/against/log"
check "2: ... gh was not called" test ! -e "$WORK/gh.args"

# 3. --max-risk high on a push ---------------------------------------------------------
with=$(jq -nc --arg c "$CORPUS" '{paths: "\($c)/migrations", preamble: "\($c)/PREAMBLE.sql",
    versions: "17", install: "false", "max-risk": "high", layout: "plain", sarif: "false"}')
action risk "$with" '{"event_name": "push"}'
check_eq "3: a statement above --max-risk fails the Action" "$?" 1
check_eq "3: output exit-code" "$(output risk exit-code)" 1
check "3: the last step fails with it" grep -qx '# step result: exit 1' "$WORK/risk/log"
check "3: the run had --max-risk high --layout plain" grep -q -- '-V 17 --max-risk high --layout plain ' "$WORK/risk/log"
# shellcheck disable=SC2016
check "3: the summary says the run failed" grep -qx '`lockmatrix run --ci` failed (exit 1):' "$WORK/risk/summary.md"
check "3: ... naming the statements" grep -q '0080_2.5.0_schema.up.sql:2: .*risk critical above high' "$WORK/risk/summary.md"
check "3: the summary still holds the report" grep -q '^## lockmatrix run 1$' "$WORK/risk/summary.md"
check_eq "3: the SARIF reports the two rewrites above high" \
    "$(jq '[.runs[0].results[] | select(.locations[0].physicalLocation.artifactLocation.uri | endswith("0080_2.5.0_schema.up.sql"))] | length' "$(output risk sarif)")" 2
check "3: sarif: false: no upload" grep -q "^# step upload-sarif: skipped (if: inputs.sarif == 'true'" "$WORK/risk/log"
check "3: not a pull request: not commented, and said so" grep -q 'not a pull request: the comment is not posted' "$WORK/risk/log"

# 4. a finding that differs between versions, on a pull request: commented ----------------
mkdir -p "$WORK/vs/db" "$WORK/vs-notoken/db"
cp "$ROOT/fixtures/cases/add_column_default_constant.sql" "$WORK/vs/db/"
cp "$ROOT/fixtures/cases/add_column_default_constant.sql" "$WORK/vs-notoken/db/"
action vs-notoken '{"paths": "db", "versions": "10,11", "install": "false", "token": ""}' \
    '{"event_name": "pull_request", "event.pull_request.number": 7}'
check_eq "4: no token: the Action passes" "$?" 0
check "4: no token: the comment is written, not posted, and it says so" \
    grep -q "no gh or no token: the comment is not posted; its text is in $WORK/vs-notoken/tmp/lockmatrix/comment.md" "$WORK/vs-notoken/log"
check "4: ... gh was not called" test ! -e "$WORK/gh.args"
action vs '{"paths": "db", "versions": "10,11", "install": "false"}' \
    '{"event_name": "pull_request", "event.pull_request.number": 7, "token": "gh-token"}'
check_eq "4: a version-specific statement is not a --ci failure" "$?" 0
check_eq "4: gh commented on the pull request" "$(head -n 1 "$WORK/gh.args" 2>&1)" \
    "pr comment 7 --repo example/repo --body-file $WORK/vs/tmp/lockmatrix/comment.md"
check_eq "4: with the token input" "$(sed -n 2p "$WORK/gh.args" 2>&1)" "token=gh-token"
check "4: and said so" grep -q 'commented on pull request #7' "$WORK/vs/log"
check "4: the comment names the statement" grep -q 'ADD COLUMN status text DEFAULT' "$WORK/vs/tmp/lockmatrix/comment.md"
check "4: ... as the one version-specific statement" grep -q '^\*\*1 statements shown (version-specific only), 1 version-specific' "$WORK/vs/tmp/lockmatrix/comment.md"
rm -f "$tools/gh" "$WORK/gh.args"

# 5. no paths: an input error, before anything runs -------------------------------------------
action nopaths '{"paths": " ", "install": "false"}' '{}'
check_eq "5: empty paths fail the Action" "$?" 1
check_eq "5: with exit code 2" "$(output nopaths exit-code)" 2
# 6. the install steps, offline ----------------------------------------------------------
# sudo is a stand-in that runs its command; the runner's tool cache holds the
# PostgreSQL builds already (links into this machine's cache), and every
# Debian package is installed: setup.sh fetches nothing. make install builds
# nothing either: the case needs ./lockmatrix up to date.
if ! make -s -q -C "$ROOT" lockmatrix 2>/dev/null; then
    ok "# SKIP 6: ./lockmatrix is not up to date (make lockmatrix): the install is not run"
else
    if [ -n "${LOCKMATRIX_CACHE:-}" ]; then cache=$LOCKMATRIX_CACHE
    elif [ "$(id -u)" -eq 0 ]; then cache=/var/cache/lockmatrix
    else cache=${XDG_CACHE_HOME:-$HOME/.cache}/lockmatrix; fi
    mkdir -p "$WORK/toolcache/lockmatrix/pg" "$WORK/sudo" "$WORK/install/db"
    for v in "$cache"/pg/*/; do
        ln -s "${v%/}" "$WORK/toolcache/lockmatrix/pg/$(basename "$v")"
    done
    printf '#!/bin/sh\nexec "$@"\n' >"$WORK/sudo/sudo"
    chmod +x "$WORK/sudo/sudo"
    cp "$ROOT/fixtures/cases/add_column_default_constant.sql" "$WORK/install/db/"
    (unset LOCKMATRIX_CACHE; RUNNER_TOOL_CACHE=$WORK/toolcache RUNNER_OS=Linux RUNNER_ARCH=X64 \
        action install '{"paths": "db", "versions": "17"}' '{"event_name": "push"}' "$WORK/sudo:$base_path")
    check_eq "6: installed from the checkout, the Action passes" "$?" 0
    key=$(sed -n 's/^uses: actions\/cache@v4 //p' "$WORK/install/log")
    check_eq "6: the PostgreSQL builds are cached on setup.sh's hash" "$key" \
        "{\"key\": \"lockmatrix-pg-Linux-X64-$(sha256sum "$ROOT/scripts/setup.sh" | cut -c1-16)\", \"path\": \"$WORK/toolcache/lockmatrix/pg\"}"
    inst=$WORK/install/tmp/lockmatrix-install
    check "6: make install put the binary, the manual page and the completions in RUNNER_TEMP" \
        test -x "$inst/bin/lockmatrix" -a -f "$inst/share/man/man1/lockmatrix.1" -a -f "$inst/share/bash-completion/completions/lockmatrix"
    check "6: the run is the installed lockmatrix, on PATH" grep -q 'lockmatrix-action: lockmatrix run -q --ci -d lockmatrix.db -V 17 db$' "$WORK/install/log"
    check "6: ... and it traced on 17" grep -q '^#   run 1: 1 chains x 1 versions = 1 jobs: 1 ok' "$WORK/install/log"
fi
finish
