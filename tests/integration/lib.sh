# Sourced by every integration test: checks that print "ok - ..." or
# "not ok - ...", a private work directory, and the binary under test.
#
# LM is the lockmatrix under test: the ASan+UBSan build when it exists.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ -z "${LM:-}" ]; then
    if [ -x "$ROOT/build/asan/lockmatrix" ]; then LM="$ROOT/build/asan/lockmatrix"; else LM="$ROOT/lockmatrix"; fi
fi
# The version map (model/versions.tsv): PG_VERSIONS, PG_MIN, PG_MAX,
# PG_ALL ("10-18"), PG_LIST ("10,11,...,18"); see scripts/versions.sh.
# shellcheck source=scripts/versions.sh
source "$ROOT/scripts/versions.sh"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
T_FAILS=0
WORK=$(mktemp -d /tmp/lmtest.XXXXXX)
chmod 755 "$WORK"
trap 't_cleanup' EXIT
t_cleanup() { rm -rf "$WORK"; }

ok()   { echo "ok - $*"; }
notok(){ echo "not ok - $*"; T_FAILS=$((T_FAILS + 1)); }
check() { # description, command...
    local d=$1; shift
    if "$@"; then ok "$d"; else notok "$d"; fi
}
check_eq() { # description, got, want
    if [ "$2" == "$3" ]; then ok "$1"; else notok "$1: got '$2', want '$3'"; fi
}
# A sanitizer report in any output a test kept (the parent's, or a forked
# worker's: workers run LeakSanitizer before they _exit) fails the test.
sanitizer_reports() {
    grep -rlE 'ERROR: (LeakSanitizer|AddressSanitizer)|runtime error:' "$WORK" 2>/dev/null | head -5
}
finish() {
    local f
    for f in $(sanitizer_reports); do notok "sanitizer report in $(basename "$f")"; sed 's/^/# /' "$f" | head -30; done
    exit $(( T_FAILS > 0 ? 1 : 0 ))
}
# Headless Chromium and node for the browser checks (scripts/setup-browser.sh
# sets them up): the test fails and ends when they cannot be had.
require_browser() {
    if ! "$ROOT"/scripts/setup-browser.sh >"$WORK/setup.log" 2>&1; then
        notok "chromium is not available: $(tail -1 "$WORK/setup.log")"
        finish
    fi
    check "node is installed" command -v node
}
# browser_check SCRIPT PAGE PNG EXPECT: runs tests/browser/SCRIPT on PAGE in
# headless Chromium (a screenshot into build/test-artefacts/PNG), counts its
# "not ok" lines as failures, and checks it ran to its end: it exits non-zero
# exactly when it printed a failure.
browser_check() {
    local rc nfail
    mkdir -p "$ROOT"/build/test-artefacts
    node "$ROOT/tests/browser/$1" "$2" "$ROOT/build/test-artefacts/$3" "$4" >"$WORK/browser.log" 2>&1
    rc=$?
    cat "$WORK/browser.log"
    nfail=$(grep -c '^not ok' "$WORK/browser.log")
    T_FAILS=$((T_FAILS + nfail))
    check_eq "the browser check ran to its end" "$rc" "$([ "$nfail" -gt 0 ] && echo 1 || echo 0)"
}
# Builds tests/bench/mkrun.c (a synthetic run written through the store API)
# into $1, against the library of the release build (make lockmatrix).
build_mkrun() {
    local pkgs="libpq sqlite3 libcurl zlib libprotobuf-c"
    # shellcheck disable=SC2086,SC2046
    cc -std=c11 -D_GNU_SOURCE -O2 -I"$ROOT" -I"$ROOT"/build/release/gen $(pkg-config --cflags $pkgs) -o "$1" \
        "$ROOT"/tests/bench/mkrun.c "$ROOT"/build/release/liblockmatrix.a $(pkg-config --libs $pkgs) -lpg_query -lm
}
# The prediction against a run relation by relation (report's "agreement":
# the target's mode, every other relation that existed before, the rewrites
# of every judged (statement, version) cell): passes at min percent or more;
# prints the figure and, below it, the disagreements.
check_agreement() { # name, store, min percent
    local json="$WORK/agreement.$1.json" got
    "$LM" report -d "$2" --format json >"$json" 2>/dev/null
    got=$(jq -r '.agreement | if . == null then "none" else "\(.agree) \(.cells) \(.percent)" end' "$json")
    echo "# $1: agreement relation by relation: $got (agree, cells, percent)"
    if [ "$got" != none ] && awk -v p="${got##* }" -v m="$3" 'BEGIN { exit !(p >= m) }'; then
        ok "$1: the prediction agrees relation by relation on ${got##* }% of cells (>= $3%)"
    else
        notok "$1: agreement relation by relation ${got##* }% below $3%"
        jq -r '.agreement.disagreements[]? | "#   \(.migration):\(.line) on \(.version): \(.why)"' \
            "$json" | head -40
    fi
}
