#!/usr/bin/env bash
# One option parser: every command words the same fault the same way, naming
# the option and the value (cmd/opts.c), exits 2, and points at its --help;
# a value that is good is taken by every command that has the option.
. "$(dirname "$0")/lib.sh"

mig="$WORK/migrations"
mkdir -p "$mig"
echo "CREATE TABLE a (id int);" >"$mig/001.sql"

# command line | the first line of stderr
cases=(
    "run --bogus $mig|unknown option \"--bogus\""
    "report --bogus|unknown option \"--bogus\""
    "runs --bogus|unknown option \"--bogus\""
    "analyze --bogus $mig|unknown option \"--bogus\""
    "locktable --bogus|unknown option \"--bogus\""
    "bisect --bogus|unknown option \"--bogus\""
    "clean --bogus|unknown option \"--bogus\""
    "pg --bogus|unknown option \"--bogus\""
    "merge --bogus|unknown option \"--bogus\""
    "run -x $mig|unknown option \"-x\""
    "run $mig -d|option \"--db\" needs a value (FILE)"
    "report -d|option \"--db\" needs a value (FILE)"
    "runs --format|option \"--format\" needs a value (FORMAT)"
    "locktable --run|option \"--run\" needs a value (ID)"
    "bisect $mig --pg-bin|option \"--pg-bin\" needs a value (VERSION=DIR)"
    "clean -b|option \"--backend\" needs a value (NAME)"
    "run -j 0 $mig|invalid --jobs \"0\": a number from 1 to 256"
    "run -j x $mig|invalid --jobs \"x\": a number from 1 to 256"
    "run --min-version 100 $mig|invalid --min-version \"100\": a major version such as 13"
    "report --min-version 0|invalid --min-version \"0\": a major version such as 13"
    "run --statement-timeout 0 $mig|invalid --statement-timeout \"0\": a number of milliseconds from 1 to 2147483647"
    "report --run x|invalid --run \"x\": a run id"
    "locktable --run 0|invalid --run \"0\": a run id"
    "clean --run -3|invalid --run \"-3\": a run id"
    "report --against x|invalid --against \"x\": last or a run id"
    "run --against yesterday $mig|invalid --against \"yesterday\": last or a run id"
    "run --max-risk x $mig|unknown risk level \"x\" (safe, low, medium, high, critical)"
    "analyze --max-risk x $mig|unknown risk level \"x\" (safe, low, medium, high, critical)"
    "report --max-risk x|unknown risk level \"x\" (safe, low, medium, high, critical)"
    "report --format x|unknown format \"x\" (text, markdown, json, html, sarif)"
    "runs --format x|unknown format \"x\" (text, json)"
    "analyze --format x $mig|unknown format \"x\" (text, json)"
    "locktable --format x|unknown format \"x\" (tsv, json, html, markdown)"
    "report --only x|unknown --only \"x\" (version-specific)"
    "run -b x $mig|unknown backend \"x\" (embedded, docker)"
    "clean -b x|unknown backend \"x\" (embedded, docker)"
    "locktable --check --update|--check and --update exclude each other"
    "run|no PATH given"
    "analyze|no FILE given"
    "bisect $mig|no -V RANGE given"
    "bisect -V 17.7-17.9|no PATH given"
    "report extra|unexpected argument \"extra\""
    "runs extra|unexpected argument \"extra\""
    "locktable extra|unexpected argument \"extra\""
    "clean extra|unexpected argument \"extra\""
    "pg extra|unexpected argument \"extra\""
    "run --resume $mig|--resume takes no PATH (\"$mig\"): it finishes the stored run's corpus"
)
for c in "${cases[@]}"; do
    args=${c%%|*} want=${c#*|}
    cmd=${args%% *}
    # shellcheck disable=SC2086
    (cd "$WORK" && "$LM" $args >"$WORK/out" 2>"$WORK/err") </dev/null
    rc=$?
    check_eq "$args: exit 2" "$rc" 2
    check_eq "$args: says so" "$(sed -n 1p "$WORK/err")" "lockmatrix: $want"
    check_eq "$args: points at the help" "$(sed -n 2p "$WORK/err")" \
        "hint: 'lockmatrix $cmd --help' tells the options"
    check_eq "$args: nothing on stdout" "$(cat "$WORK/out")" ""
done

# --opt=value, --opt value, -o value and -ovalue alike
for form in "--jobs=0" "--jobs 0" "-j 0" "-j0"; do
    # shellcheck disable=SC2086
    (cd "$WORK" && "$LM" run $form "$mig" 2>"$WORK/err" >/dev/null)
    check_eq "run $form: the same message" "$(sed -n 1p "$WORK/err")" \
        "lockmatrix: invalid --jobs \"0\": a number from 1 to 256"
done

# Every command's --help: exit 0, on stdout, nothing on stderr.
for cmd in run report runs analyze locktable merge pg bisect clean docker-import; do
    "$LM" "$cmd" --help >"$WORK/help" 2>"$WORK/err"
    check_eq "$cmd --help: exit 0" "$?" 0
    check "$cmd --help: on stdout" grep -q "^usage: lockmatrix $cmd" "$WORK/help"
    check_eq "$cmd --help: nothing on stderr" "$(cat "$WORK/err")" ""
    check "$cmd --help lists -h" grep -q '^  -h, --help  *this help$' "$WORK/help"
done
finish
