#!/usr/bin/env bash
# bench_speed.sh: the speed work (job databases in the template, servers on an
# overlay of it) against the binary before it, on this machine, in one run
# (run by `make bench` through scripts/bench.sh; alone: scripts/bench_speed.sh).
# Old and new runs alternate (old, new, old, new ...); medians of BENCH_REPS.
#
#  1. the fixture matrix (fixtures/cases x every major, -j 2): the binary of
#     BENCH_BASE_REF (built in a temporary git worktree) vs this one;
#  2. `run --profile` tables of this binary: the fixture matrix and the shared
#     corpora, with a summary line per corpus;
#  3. per version: a ready server (test_embedded's warm start median, both
#     trees) and a usable job database (the profile's "databases" ms/job;
#     the slow path's figure is LOCKMATRIX_FAST=0 of this binary);
#  4. the tx-per-file corpora (openmeter up and --down, harbor) old vs new;
#  5. scale: 1x, 10x, 100x the fixture corpus on one version: time, peak RSS,
#     jobs/s; shard imbalance (--shard k/N, N = 2, 4) and a projection table;
#  6. one server per file is scripts/bench_scale.sh's figure 2.
#
#   BENCH_REPS (3)  BENCH_BASE_REF (1eb930d)  BENCH_SCALE ("1 10 100")
#   BENCH_SCALE_VERSIONS (the newest major)  BENCH_SKIP="base matrix ready corpora scale"
#   CORPORA (/work/shared/corpora)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
# shellcheck source=scripts/versions.sh
source scripts/versions.sh
# shellcheck source=scripts/bench_lib.sh
source scripts/bench_lib.sh
LM=${LM:-$ROOT/lockmatrix}
REPS=${BENCH_REPS:-3}
BASE_REF=${BENCH_BASE_REF:-1eb930d}
SCALE=${BENCH_SCALE:-1 10 100}
SCALE_V=${BENCH_SCALE_VERSIONS:-$PG_MAX}
SKIP=" ${BENCH_SKIP:-} "
CORPORA=${CORPORA:-/work/shared/corpora}
CASES=fixtures/cases
tmp=$(mktemp -d /tmp/lmspeed.XXXXXX)
chmod 755 "$tmp"
base_wt=""
cleanup() {
    [ -n "$base_wt" ] && git worktree remove --force "$base_wt" >/dev/null 2>&1
    rm -rf "$tmp"
    git worktree prune >/dev/null 2>&1
}
trap cleanup EXIT
skip() { [[ $SKIP == *" $1 "* ]]; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f\n", a / b }'; }
q() { sqlite3 "$1" "$2" 2>/dev/null; }
# ms/job of one phase per version from a profile table: "10:0.03 11:0.02 ..."
phase_row() {
    # the header: phase, "total s", share, ms/job, the versions; a row: phase, total, share, ms/job, ...
    awk -v p="$2" '$1 == "phase" { for (i = 6; i <= NF && $i ~ /^[0-9]+$/; i++) v[i - 1] = $i; n = i - 1 }
        $1 == p && n { for (i = 5; i < n; i++) printf "%s%s:%s", (i > 5 ? " " : ""), v[i], $i; print "" }' "$1"
}
profile_of() { sed -n '/^profile: /,/^total /p' "$1"; }

nfiles=$(ls $CASES/*.sql | wc -l)
nv=${#PG_VERSIONS[@]}
echo "# lockmatrix speed bench ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, reps=$REPS, load average $(cut -d' ' -f1-3 /proc/loadavg))"
# The estimate: ~0.15 s per job at -j 2 on a busy 2-core machine, the old binary ~2x.
awk -v r="$REPS" -v j="$((nfiles * nv))" -v s="$SCALE" -v skips="$SKIP" 'BEGIN {
    c = 0.15; m = r * j * c * 3 + 2 * 9 * 2 * c; k = split(s, a, " "); sc = 0
    for (i = 1; i <= k; i++) sc += a[i] * 132 * c
    if (skips ~ / scale /) sc = 0
    if (skips ~ / matrix /) m = 0
    cp = (skips ~ / corpora /) ? 0 : r * 600
    printf "estimate: ~%.0f min (matrix %.0f, corpora ~%.0f, ready ~3, scale %.0f; BENCH_SKIP=\"scale\" drops the last)\n",
        (m + cp + 180 + sc + 2 * 132 * c) / 60, m / 60, cp / 60, sc / 60 }'

# ---- the baseline binary --------------------------------------------------------------
BASE=""
if skip base; then
    echo "baseline: skipped (BENCH_SKIP)"
elif ! git rev-parse -q --verify "$BASE_REF^{commit}" >/dev/null 2>&1; then
    echo "baseline: $BASE_REF is not in this repository's history: old-vs-new figures skipped"
else
    base_wt=$tmp/base
    if git worktree add -q --detach "$base_wt" "$BASE_REF" >/dev/null 2>&1 &&
        make -C "$base_wt" -s lockmatrix >"$tmp/base-build.log" 2>&1; then
        BASE=$base_wt/lockmatrix
        echo "baseline: $BASE_REF ($(git log -1 --format='%h %s' "$BASE_REF")), built in a temporary worktree (make -s lockmatrix)"
    else
        echo "baseline: building $BASE_REF failed (last lines below): old-vs-new figures skipped"
        tail -5 "$tmp/base-build.log" | sed 's/^/  /'
    fi
fi
echo "new: $LM ($(git log -1 --format='%h %s'))"

# Warm-up (unmeasured): templates of each binary, one small case per version.
small=$(ls -S $CASES/*.sql | tail -1)
for b in $BASE "$LM"; do "$b" run -q -j 2 -d "$tmp/warm.db" "$small" >/dev/null 2>&1; rm -f "$tmp/warm.db"; done

# pair NAME RUN-ARGS...: old and new alternated, REPS times, the new one with
# --profile; sets OLD_S, NEW_S (medians) and leaves $tmp/NAME.db (new, rep 1)
# and $tmp/NAME.prof (the last new rep's output).
pair() {
    local name=$1 r o n t0
    shift
    : >"$tmp/$name.old"
    : >"$tmp/$name.new"
    for r in $(seq 1 "$REPS"); do
        o=-
        if [ -n "$BASE" ]; then
            t0=$(now)
            "$BASE" run -q -j 2 -d "$tmp/$name-old.db" "$@" >/dev/null 2>&1
            o=$(since "$t0")
            echo "$o" >>"$tmp/$name.old"
            rm -f "$tmp/$name-old.db"
        fi
        t0=$(now)
        "$LM" run -q -j 2 --profile -d "$tmp/$name-new.db" "$@" >"$tmp/$name.prof" 2>&1
        n=$(since "$t0")
        echo "$n" >>"$tmp/$name.new"
        if [ "$r" = 1 ]; then mv "$tmp/$name-new.db" "$tmp/$name.db"; else rm -f "$tmp/$name-new.db"; fi
        echo "  rep $r: old $o s, new $n s"
    done
    OLD_S=$(median <"$tmp/$name.old")
    NEW_S=$(median <"$tmp/$name.new")
}
# summary NAME: migrations, statements, versions, wall of the new binary
summary() {
    local db=$tmp/$1.db
    echo "  $1: $(q "$db" 'SELECT count(*) FROM migrations') migrations, $(q "$db" 'SELECT count(*) FROM statements') statements, $(q "$db" 'SELECT count(DISTINCT major) FROM jobs') versions, wall $NEW_S s (median); statements failing on the server: $(q "$db" "SELECT count(*) FROM traces WHERE status IN ('error', 'timeout')")"
}
declare -A FIG
old_new() { # label: prints the medians, the ratio and the target
    local rt
    rt=$(ratio "$NEW_S" "$OLD_S")
    echo "  $1: old $OLD_S s, new $NEW_S s (medians of $REPS): new/old $rt (target <= 0.5: $(verdict "$rt" '<=' 0.5))"
}

# ---- 1. + 2. the fixture matrix, old vs new, and its profile ---------------------------------
if ! skip matrix; then
    echo
    echo "## 1. The fixture matrix: $nfiles cases x $PG_ALL, -j 2, old vs new alternated"
    echo "  command: lockmatrix run -q -j 2 [--profile] -d DB $CASES"
    pair matrix "$CASES"
    old_new "fixture matrix"
    FIG[matrix_new]=$NEW_S
    echo
    echo "## 2. Where the time goes: lockmatrix run -q -j 2 --profile -d DB $CASES (the new binary)"
    profile_of "$tmp/matrix.prof"
    summary matrix
fi

# ---- 3. ready server and ready database per version ----------------------------------------
if ! skip ready; then
    echo
    echo "## 3. Time to a ready server and to a usable job database, per version"
    echo "  ready server: test_embedded's warm start median (a worker starting a server of the shared template until it answers: $((3)) starts per version)"
    build/release/tests/test_embedded 2>/dev/null | awk '$1 == "#" && $2 ~ /^[0-9]+$/ { print $2, $5 }' >"$tmp/ready.new"
    if [ -n "$BASE" ] && make -C "$base_wt" -s build/release/tests/test_embedded >>"$tmp/base-build.log" 2>&1; then
        "$base_wt"/build/release/tests/test_embedded 2>/dev/null | awk '$1 == "#" && $2 ~ /^[0-9]+$/ { print $2, $5 }' >"$tmp/ready.old"
    else
        : >"$tmp/ready.old"
    fi
    echo "  job database: the profile's \"databases\" ms/job; new: the fixture matrix of figure 1 (without it: the 32 cases below)"
    echo "  slow path: LOCKMATRIX_FAST=0 of the new binary (the baseline has no such phase) on the first 32 cases, same versions:"
    sub=$tmp/sub
    mkdir -p "$sub"
    cp $CASES/.lockmatrix-layout "$sub/"
    ls $CASES/*.sql | head -32 | xargs -I{} cp {} "$sub/"
    echo "    command: LOCKMATRIX_FAST=0 lockmatrix run -q -j 2 --profile -d DB <32 cases>"
    LOCKMATRIX_FAST=0 "$LM" run -q -j 2 --profile -d "$tmp/slow.db" "$sub" >"$tmp/slow.prof" 2>&1
    [ -f "$tmp/matrix.prof" ] || "$LM" run -q -j 2 --profile -d "$tmp/fast.db" "$sub" >"$tmp/matrix.prof" 2>&1
    phase_row "$tmp/matrix.prof" databases | tr ' ' '\n' | tr ':' ' ' >"$tmp/db.new"
    phase_row "$tmp/slow.prof" databases | tr ' ' '\n' | tr ':' ' ' >"$tmp/db.slow"
    phase_row "$tmp/matrix.prof" container | tr ' ' '\n' | tr ':' ' ' >"$tmp/ct.new"
    phase_row "$tmp/slow.prof" container | tr ' ' '\n' | tr ':' ' ' >"$tmp/ct.slow"
    echo
    printf '  %-7s %16s %16s %18s %18s %20s %20s\n' major "server old ms" "server new ms" "db ms/job new" "db ms/job slow" "container ms/job new" "container ms/job slow"
    for v in "${PG_VERSIONS[@]}"; do
        g() { awk -v v="$v" '$1 == v { print $2; f = 1 } END { if (!f) print "-" }' "$1"; }
        printf '  %-7s %16s %16s %18s %18s %20s %20s\n' "$v" "$(g "$tmp/ready.old")" "$(g "$tmp/ready.new")" \
            "$(g "$tmp/db.new")" "$(g "$tmp/db.slow")" "$(g "$tmp/ct.new")" "$(g "$tmp/ct.slow")"
    done
    sr=$(awk '{ print $2 }' "$tmp/ready.new" | median)
    so=$(awk '{ print $2 }' "$tmp/ready.old" | median)
    dn=$(awk '{ print $2 }' "$tmp/db.new" | median)
    ds=$(awk '{ print $2 }' "$tmp/db.slow" | median)
    echo "  median over versions: server ready old $so ms, new $sr ms (target < 30 ms: $(verdict "$sr" '<' 30));"
    echo "    job database new $dn ms/job (target < 5 ms: $(verdict "$dn" '<' 5)), slow path $ds ms/job"
    echo "  (\"container\" ms/job: the profile's server starts and replacements spread over the jobs a server serves)"
fi

# ---- 2. + 4. the shared corpora, tx per file, old vs new ----------------------------------
if ! skip corpora; then
    echo
    echo "## 4. Real corpora, one transaction per file, -j 2, old vs new alternated (profiles of the new binary below each)"
    om=$CORPORA/openmeter/migrations
    hb=$CORPORA/harbor
    specs=()
    [ -d "$om" ] && specs+=("openmeter|11-$PG_MAX|$om" "openmeter_down|11-$PG_MAX|--down $om")
    [ -d "$hb/migrations" ] && specs+=("harbor|12-$PG_MAX|--preamble $hb/PREAMBLE.sql $hb/migrations")
    for spec in "${specs[@]}"; do
        IFS='|' read -r name vers args <<<"$spec"
        echo
        # shellcheck disable=SC2086
        echo "### $name: lockmatrix run -q -j 2 [--profile] -d DB -V $vers ${args//$CORPORA/\$CORPORA}"
        # shellcheck disable=SC2086
        pair "$name" -V "$vers" $args
        old_new "$name on $vers"
        FIG[${name}_new]=$NEW_S
        FIG[${name}_n]=$(q "$tmp/$name.db" 'SELECT count(*) FROM migrations')
        FIG[${name}_v]=$(q "$tmp/$name.db" 'SELECT count(DISTINCT major) FROM jobs')
        profile_of "$tmp/$name.prof"
        summary "$name"
    done
    if [ -n "${FIG[openmeter_new]:-}" ]; then
        p=$(awk -v w="${FIG[openmeter_new]}" -v n="${FIG[openmeter_n]}" 'BEGIN { printf "%.1f", w * 340 / n }')
        echo
        echo "  a 340-migration tx-per-file corpus on ${FIG[openmeter_v]} versions, projected from openmeter up"
        echo "  (${FIG[openmeter_n]} files in ${FIG[openmeter_new]} s, linear in files): $p s (target < 40 s: $(verdict "$p" '<' 40))"
    fi
fi

# ---- 5. scale --------------------------------------------------------------------------------
if ! skip scale; then
    echo
    echo "## 5. Scale: copies of $CASES (each file its own chain), -j 2, -V $SCALE_V"
    echo "  command: lockmatrix run -q -j 2 -V $SCALE_V -d DB <k copies of $CASES> (peak RSS: VmHWM sampled every 0.1 s)"
    printf '  %-6s %7s %10s %8s %8s %15s %15s\n' copies jobs statements "wall s" "jobs/s" "parent peak MB" "worker peak MB"
    cost=-
    for k in $SCALE; do
        d=$tmp/scale$k
        mkdir -p "$d"
        cp $CASES/.lockmatrix-layout "$d/"
        for i in $(seq 1 "$k"); do
            for f in $CASES/*.sql; do cp "$f" "$d/c$(printf %03d "$i")_$(basename "$f")"; done
        done
        sampled "$LM" run -q -j 2 -V "$SCALE_V" -d "$tmp/scale$k.db" "$d"
        jobs=$(q "$tmp/scale$k.db" 'SELECT count(*) FROM jobs')
        printf '  %-6s %7s %10s %8s %8s %15s %15s%s\n' "${k}x" "$jobs" "$(q "$tmp/scale$k.db" 'SELECT count(*) FROM traces')" "$WALL" \
            "$(div "$jobs" "$WALL")" "$(mb "$PEAK_PARENT")" "$(mb "$PEAK_WORKER")" "$([ "$RC" = 0 ] || echo " (exit $RC)")"
        cost=$(awk -v w="$WALL" -v j="$jobs" 'BEGIN { if (j > 0) printf "%.4f", w / j; else print "-" }')
        rm -rf "$d" "$tmp/scale$k.db"
    done
    echo
    echo "  shard imbalance: the fixture corpus on $SCALE_V split with --shard k/N, every shard run (largest shard over the mean)"
    echo "    command: lockmatrix run -q -j 2 -V $SCALE_V --shard K/N -d DB $CASES"
    declare -A IMB
    IMB[1]=1
    for n in 2 4; do
        : >"$tmp/shards$n"
        for k in $(seq 1 $n); do
            t0=$(now)
            "$LM" run -q -j 2 -V "$SCALE_V" --shard "$k/$n" -d "$tmp/sh.db" "$CASES" >/dev/null 2>&1
            echo "$(q "$tmp/sh.db" 'SELECT count(*) FROM jobs') $(q "$tmp/sh.db" 'SELECT count(*) FROM traces') $(since "$t0")" >>"$tmp/shards$n"
            rm -f "$tmp/sh.db"
        done
        read -r ij is iw <<<"$(awk '{ j += $1; s += $2; w += $3; if ($1 > mj) mj = $1; if ($2 > ms) ms = $2; if ($3 > mw) mw = $3 }
            END { printf "%.2f %.2f %.2f", mj / (j / NR), ms / (s / NR), mw / (w / NR) }' "$tmp/shards$n")"
        echo "    N=$n: jobs per shard $(awk '{ printf "%s ", $1 }' "$tmp/shards$n")-> $ij; statements $(awk '{ printf "%s ", $2 }' "$tmp/shards$n")-> $is; wall s $(awk '{ printf "%s ", $3 }' "$tmp/shards$n")-> $iw"
        IMB[$n]=$is
    done
    IMB[8]=${IMB[4]}
    IMB[16]=${IMB[4]}
    echo
    echo "  projection: wall = J x (s/job at -j 2 here: $cost, from the largest scale above) / N x imbalance(N)"
    echo "  assumptions: every shard a machine like this one at -j 2, jobs cost alike (fixture-like chains), no start-up"
    echo "  cost beyond the measured; imbalance by statements, measured for N = 2, 4, that of 4 taken for 8 and 16."
    printf '    %-22s' "J jobs \\ N shards"
    for n in 1 2 4 8 16; do printf ' %10s' "N=$n"; done
    echo
    for J in $((nfiles * nv)) $((nfiles * nv * 10)) $((nfiles * nv * 100)); do
        printf '    %-22s' "$J"
        for n in 1 2 4 8 16; do
            awk -v j="$J" -v c="$cost" -v n="$n" -v i="${IMB[$n]}" 'BEGIN { if (c == "-") { printf " %10s", "-"; exit }
                t = j * c / n * i; if (t < 120) printf " %9.0fs", t; else if (t < 7200) printf " %8.1fmin", t / 60; else printf " %9.1fh", t / 3600 }'
        done
        echo
    done
    echo "    (J: the fixture matrix on $nv versions, x10, x100)"
fi

echo
echo "## 6. One server per file: scripts/bench_scale.sh, figure 2 (this binary, target >= 50x)"
echo
echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared: compare figures of one run with each other)"
