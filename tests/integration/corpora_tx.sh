#!/usr/bin/env bash
# The shared corpora laid out one transaction per file (golang-migrate:
# harbor with its PREAMBLE.sql, openmeter), traced on every major of the
# version map in their native layout: each statement judged by what it requested itself (the
# replay), not by what its transaction held. The errors per version (the
# corpus's own) are asserted exactly; the prediction agrees with the traces
# relation by relation on at least 98% of (statement, version) cells; and
# `locktable --check` on each run proposes no change.
# The corpora are other projects' files: read from $LM_SHARED_DIR/corpora or
# ../shared/corpora next to the repository, never copied.
source "$(dirname "$0")/lib.sh"

SHARED=${LM_SHARED_DIR:-$ROOT/../shared}
CORP=$SHARED/corpora
if [ ! -d "$CORP/harbor/migrations" ] || [ ! -d "$CORP/openmeter/migrations" ]; then
    notok "no shared tx-per-file corpora in $CORP (set LM_SHARED_DIR)"
    finish
fi

# "major error=count" per version with errors (the corpus's own failures)
errors() { # db
    "$LM" report -d "$1" --format json | jq -r '
        [.statements[] | .results | to_entries[] | select(.value.verdict == "error") | .key]
        | group_by(.) | .[] | "\(.[0]) error=\(length)"'
}

corpus() { # name, expected errors (one line per version, ';'-joined), run arguments...
    local name=$1 want=$2
    shift 2
    local db="$WORK/$name.db"
    "$LM" run -q -j 2 -d "$db" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
    check_eq "$name: run exits 0" "$?" 0
    check_eq "$name: errors per version" "$(errors "$db" | tr '\n' ';')" "$want"
    check_agreement "$name" "$db" 98
    "$LM" locktable --check -d "$db" >"$WORK/$name.check" 2>&1
    check_eq "$name: locktable --check proposes no change" "$?" 0
    check "$name: --check says it agrees" grep -q "agrees with run" "$WORK/$name.check"
}

corpus harbor "10 error=2;11 error=2;" \
    --preamble "$CORP/harbor/PREAMBLE.sql" "$CORP/harbor/migrations"
corpus openmeter "10 error=1;" \
    "$CORP/openmeter/migrations"
# the errors are the corpus's own: functions and syntax older servers lack
check_eq "harbor: the 2 errors on 10 are jsonb_path_exists (12+)" \
    "$("$LM" report -d "$WORK/harbor.db" --format json | jq -r '[.statements[] | select(.results["10"].verdict == "error") | .results["10"].error.message | test("jsonb_path_exists")] | length == 2 and all')" true
finish
