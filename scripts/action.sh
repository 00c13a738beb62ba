#!/usr/bin/env bash
# action.sh: what the GitHub Action (action.yml) runs once lockmatrix is
# installed: the run, the reports, the pull-request comment. One script, so
# that tests/integration/action.sh runs exactly what the Action runs.
#
# Inputs, from the environment (the Action sets them from its inputs):
#   INPUT_PATHS      migrations to trace: paths separated by spaces or newlines (required)
#   INPUT_VERSIONS   run -V (empty: lockmatrix's default)
#   INPUT_MAX_RISK   run --max-risk (implies --ci), and the SARIF threshold
#   INPUT_LAYOUT     run --layout
#   INPUT_PREAMBLE   run --preamble
#   INPUT_ARGS       more options of 'lockmatrix run', separated by spaces
#   INPUT_STORE      the store (default lockmatrix.db)
#   INPUT_AGAINST    a previous store: copied to the store, and the run compared
#                    with its previous run of the same paths (run --against last);
#                    a path that does not exist (the first run) compares nothing
#   INPUT_COMMENT    true: comment the version-specific findings on the pull request
#                    (when there are any)
#   PR_NUMBER        the pull request (github.event.pull_request.number)
#   GH_TOKEN         the token gh posts the comment with
#   LM               the lockmatrix binary (default: lockmatrix on PATH)
# and the runner's GITHUB_STEP_SUMMARY, GITHUB_OUTPUT, RUNNER_TEMP,
# GITHUB_EVENT_NAME, GITHUB_REPOSITORY.
#
# Writes into $RUNNER_TEMP/lockmatrix: report.md (the markdown report, also
# appended to the step summary), changes.md (with INPUT_AGAINST),
# lockmatrix.sarif, comment.md, run.log. Outputs (GITHUB_OUTPUT): store,
# markdown, sarif, comment, exit-code.
#
# Exit status: that of 'lockmatrix run --ci' (0 ok, 1 --ci checks failed or
# --against found a change, 2 input error, 3 environment error), else that of
# a report that could not be written.
set -uo pipefail

me=lockmatrix-action
say() { printf '%s: %s\n' "$me" "$*"; }
LM=${LM:-lockmatrix}
out=${RUNNER_TEMP:-.}/lockmatrix
store=${INPUT_STORE:-lockmatrix.db}
summary=${GITHUB_STEP_SUMMARY:-$out/summary.md}
rc=

output() { # name value
    if [ -n "${GITHUB_OUTPUT:-}" ]; then printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"; fi
}
# The exit code is an output whatever happens, for the Action's last step.
trap 'output exit-code "${rc:-3}"' EXIT

mkdir -p "$out" || { say "cannot create $out"; rc=3; exit 3; }
output store "$store"

# ---- the run ---------------------------------------------------------------------
set -f # paths and options are words, not patterns
# shellcheck disable=SC2206 # splitting on spaces and newlines is the point
paths=(${INPUT_PATHS:-})
# shellcheck disable=SC2206
extra=(${INPUT_ARGS:-})
set +f
if [ ${#paths[@]} -eq 0 ]; then
    say "the input 'paths' is empty: nothing to trace"
    rc=2
    exit 2
fi
args=(run -q --ci -d "$store")
[ -n "${INPUT_VERSIONS:-}" ] && args+=(-V "$INPUT_VERSIONS")
[ -n "${INPUT_MAX_RISK:-}" ] && args+=(--max-risk "$INPUT_MAX_RISK")
[ -n "${INPUT_LAYOUT:-}" ] && args+=(--layout "$INPUT_LAYOUT")
[ -n "${INPUT_PREAMBLE:-}" ] && args+=(--preamble "$INPUT_PREAMBLE")
compared=0
if [ -n "${INPUT_AGAINST:-}" ]; then
    # --against compares runs of one store: the previous store becomes this one.
    if [ -f "$INPUT_AGAINST" ]; then
        if ! [ "$INPUT_AGAINST" -ef "$store" ]; then
            cp -f "$INPUT_AGAINST" "$store" || { say "cannot copy $INPUT_AGAINST to $store"; rc=3; exit 3; }
        fi
        args+=(--against last)
        compared=1
    else
        say "no previous store at $INPUT_AGAINST: nothing to compare with"
    fi
fi
args+=("${extra[@]}" "${paths[@]}")

say "$LM ${args[*]}"
run_rc=0
"$LM" "${args[@]}" 2>"$out/run.log" || run_rc=$?
cat "$out/run.log" >&2
rc=$run_rc

# ---- the reports -----------------------------------------------------------------
report() { # what, options...: a report that fails sets the exit code if none yet
    local what=$1 r=0
    shift
    "$LM" report -d "$store" "$@" || r=$?
    if [ $r -ne 0 ]; then
        say "the $what could not be written (exit $r)"
        [ "$rc" -eq 0 ] && rc=$r
        return 1
    fi
}

{
    echo "## lockmatrix"
    echo
    if [ $run_rc -eq 0 ]; then
        echo "\`lockmatrix run --ci\` passed."
    else
        echo "\`lockmatrix run --ci\` failed (exit $run_rc):"
        echo
        echo '```'
        head -n 50 "$out/run.log"
        echo '```'
    fi
    echo
} >>"$summary"

if [ $compared -eq 1 ]; then
    # Exit 1 here is a change, already counted by the run's --against.
    "$LM" report -d "$store" --against last --format markdown -o "$out/changes.md" ||
        [ $? -eq 1 ] || say "the comparison could not be written"
    [ -f "$out/changes.md" ] && { cat "$out/changes.md"; echo; } >>"$summary"
fi

if report "markdown report" --format markdown -o "$out/report.md"; then
    # The step summary holds 1 MiB at most.
    if [ "$(wc -c <"$out/report.md")" -gt 900000 ]; then
        { head -c 900000 "$out/report.md"; printf '\n\n(cut: the whole report is %s)\n' "$out/report.md"; } >>"$summary"
    else
        cat "$out/report.md" >>"$summary"
    fi
    output markdown "$out/report.md"
fi

sarif_opts=()
[ -n "${INPUT_MAX_RISK:-}" ] && sarif_opts=(--max-risk "$INPUT_MAX_RISK")
if report "SARIF report" --format sarif "${sarif_opts[@]}" -o "$out/lockmatrix.sarif"; then
    output sarif "$out/lockmatrix.sarif"
fi

# ---- the pull-request comment ----------------------------------------------------
if report "version-specific report" --only version-specific --format markdown -o "$out/comment.body"; then
    {
        echo "<!-- lockmatrix -->"
        # A comment holds 65536 characters at most.
        head -c 60000 "$out/comment.body"
        [ "$(wc -c <"$out/comment.body")" -le 60000 ] || printf '\n\n(cut: the whole report is in the job summary)\n'
    } >"$out/comment.md"
    rm -f "$out/comment.body"
    output comment "$out/comment.md"
    findings=$("$LM" report -d "$store" --only version-specific --format json | jq '.statements | length') ||
        findings=unknown
    if [ "${INPUT_COMMENT:-true}" != true ]; then
        :
    elif [ "${GITHUB_EVENT_NAME:-}" != pull_request ] || [ -z "${PR_NUMBER:-}" ]; then
        say "not a pull request: the comment is not posted ($out/comment.md)"
    elif [ "$findings" = 0 ]; then
        say "no version-specific findings: nothing to comment"
    elif ! command -v gh >/dev/null 2>&1 || [ -z "${GH_TOKEN:-}" ]; then
        say "no gh or no token: the comment is not posted; its text is in $out/comment.md"
    elif gh pr comment "$PR_NUMBER" --repo "${GITHUB_REPOSITORY:-}" --body-file "$out/comment.md"; then
        say "commented on pull request #$PR_NUMBER"
    else
        say "could not comment on pull request #$PR_NUMBER; its text is in $out/comment.md"
    fi
fi

say "exit $rc"
exit "$rc"
