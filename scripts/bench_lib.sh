# shellcheck shell=bash disable=SC2034,SC2154
# bench_lib.sh: the helpers of the bench scripts (sourced; bash).
#   median          the median of the numbers on stdin ("-" when none)
#   secs CMD...     runs CMD (output dropped), prints its wall seconds
#   now, since T0   a clock, and the seconds since a reading of it
#   div A B         A / B to one decimal ("-" when B is 0)
#   hwm PID, mb KB  a process's peak RSS (VmHWM, kB), kB as MB
#   verdict A OP B  "met" when A OP B (OP: <, <=, >=), "NOT met", or "not measured" (A is -)
#   sampled CMD...  runs CMD (output into $tmp/sampled.out: the caller sets
#                   tmp), sampling VmHWM of it and of its children every
#                   0.1 s; sets PEAK_PARENT, PEAK_WORKER (kB), WALL (s), RC
median() { sort -n | awk '{a[NR]=$1} END { if (NR == 0) { print "-"; exit } m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.2f\n", m }'; }
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f\n", b - a }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.1f\n", a / b }'; }
hwm() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
verdict() { awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN { if (a == "-") { print "not measured"; exit }
    ok = (op == "<") ? (a + 0 < b + 0) : (op == "<=") ? (a + 0 <= b + 0) : (a + 0 >= b + 0); print ok ? "met" : "NOT met" }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

sampled() {
    local t0 pid v w c
    t0=$(now)
    "$@" >"$tmp/sampled.out" 2>&1 &
    pid=$!
    PEAK_PARENT=0 PEAK_WORKER=0
    while kill -0 "$pid" 2>/dev/null; do
        v=$(hwm "$pid"); [ -n "$v" ] && [ "$v" -gt "$PEAK_PARENT" ] && PEAK_PARENT=$v
        for c in $(pgrep -P "$pid" 2>/dev/null); do
            w=$(hwm "$c"); [ -n "$w" ] && [ "$w" -gt "$PEAK_WORKER" ] && PEAK_WORKER=$w
        done
        sleep 0.1
    done
    wait "$pid"
    RC=$?
    WALL=$(since "$t0")
}
