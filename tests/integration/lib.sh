# Sourced by every integration test: checks that print "ok - ..." or
# "not ok - ...", a private work directory, and the binary under test.
#
# LM is the lockmatrix under test: the ASan+UBSan build when it exists.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ -z "${LM:-}" ]; then
    if [ -x "$ROOT/build/asan/lockmatrix" ]; then LM="$ROOT/build/asan/lockmatrix"; else LM="$ROOT/lockmatrix"; fi
fi
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
