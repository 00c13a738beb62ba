#!/usr/bin/env bash
# bench_scale.sh: lockmatrix against the alternatives, on this machine, in one
# run (run by `make bench` through scripts/bench.sh; alone: scripts/bench_scale.sh).
#
#  1. the fixture matrix (fixtures/cases x every major of model/versions.tsv)
#     with -j 2: wall time
#     (median of BENCH_REPS) and statements traced per second;
#  2. the same work the way single-version tools do it: one version at a time,
#     one server per migration file, each a fresh initdb + start + psql the
#     file + stop (the embedded equivalent of a container per file), with the
#     binaries of /var/cache/lockmatrix/pg/<major>/native/bin as the
#     unprivileged user lockmatrix, fsync off like ours; files of one version
#     BENCH_1S_PAR at a time (default 2: the machine's cores, as -j 2 has);
#     the ratio of throughputs (same statements);
#  3. pgfence's static analyze (npm @flvmnt/pgfence, installed in a temporary
#     directory) against `lockmatrix analyze` on the same files: statements
#     per second (pgfence: its own statement count; node's start included);
#  4. memory: peak RSS (VmHWM, sampled every 0.1 s) of the parent and of the
#     largest worker, on the fixture matrix and on a synthetic corpus of
#     BENCH_BIG statements (default 20,000; the newest major only, every file
#     its own chain),
#     5x that loaded with 1/50 traced, and one chain (one file) of half;
#  5. the shared corpora end to end: synapse on every major, supabase_auth on
#     13 and later
#     (its PREAMBLE.sql first: copied into a chain before up/, as there is no
#     --preamble yet): statements, errors per version, wall time.
# Closes with the figures table and the issue's targets.
#
#   BENCH_REPS (3)  BENCH_1S_PAR (2)  BENCH_BIG (20000)  BENCH_SKIP="1s pgfence big shared"
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# shellcheck source=scripts/versions.sh
source scripts/versions.sh
# shellcheck source=scripts/bench_lib.sh
source scripts/bench_lib.sh
LM=${LM:-$ROOT/lockmatrix}
REPS=${BENCH_REPS:-3}
PAR=${BENCH_1S_PAR:-2}
BIG=${BENCH_BIG:-20000}
SKIP=" ${BENCH_SKIP:-} "
CACHE=/var/cache/lockmatrix/pg
CORPORA=${CORPORA:-/work/shared/corpora}
CASES=fixtures/cases
tmp=$(mktemp -d /tmp/lmscale.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
skip() { [[ $SKIP == *" $1 "* ]]; }

declare -A FIG
row() { FIG[$1]=$2; }

echo "# lockmatrix scale bench ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, reps=$REPS, load average $(cut -d' ' -f1-3 /proc/loadavg))"

# ---- 1. the fixture matrix ----------------------------------------------------------
nfiles=$(ls $CASES/*.sql | wc -l)
echo
echo "## 1. The fixture matrix: $nfiles cases x $PG_ALL, -j 2"
times=()
for r in $(seq 1 "$REPS"); do
    sampled "$LM" run -q -j 2 -d "$tmp/fx$r.db" $CASES
    times+=("$WALL")
    echo "  rep $r: $WALL s (exit $RC), parent peak $(mb $PEAK_PARENT) MB, worker peak $(mb $PEAK_WORKER) MB"
    [ "$r" = 1 ] && { FX_PARENT=$PEAK_PARENT; FX_WORKER=$PEAK_WORKER; }
    [ "$PEAK_PARENT" -gt "$FX_PARENT" ] && FX_PARENT=$PEAK_PARENT
    [ "$PEAK_WORKER" -gt "$FX_WORKER" ] && FX_WORKER=$PEAK_WORKER
done
fx_wall=$(printf '%s\n' "${times[@]}" | median)
fx_stmts=$(sqlite3 "$tmp/fx1.db" "SELECT count(*) FROM traces WHERE status <> 'skipped'")
fx_rate=$(div "$fx_stmts" "$fx_wall")
echo "  median $fx_wall s for $fx_stmts statements traced: $fx_rate statements/s"
row fx_wall "$fx_wall"; row fx_rate "$fx_rate"; row fx_stmts "$fx_stmts"

# ---- 2. one server per file ---------------------------------------------------------
if ! skip 1s; then
    echo
    echo "## 2. One server per migration file (initdb + start + psql + stop), one version at a time, $PAR files at once"
    psql=""
    for p in /usr/lib/postgresql/*/bin/psql "$(command -v psql 2>/dev/null)"; do [ -x "$p" ] && psql=$p && break; done
    if [ -z "$psql" ] || ! id lockmatrix >/dev/null 2>&1; then
        echo "  skipped: needs psql and the user lockmatrix (make setup)"
    else
        cat >"$tmp/one.sh" <<'SH'
#!/bin/bash
# as lockmatrix: BIN PSQL FILE: a fresh server for one file
bin=$1 psql=$2 f=$3
d=$(mktemp -d /tmp/lm1s.XXXXXX)
trap 'rm -rf "$d"' EXIT
"$bin/initdb" -D "$d/data" -U postgres -A trust -N >/dev/null 2>&1 || { echo "initdb failed: $f" >&2; exit 1; }
"$bin/pg_ctl" -D "$d/data" -o "-c listen_addresses= -k $d -c fsync=off" -l "$d/log" -w start >/dev/null ||
    { echo "start failed: $f" >&2; exit 1; }
"$psql" -X -q -h "$d" -U postgres -d postgres -f "$f" >/dev/null 2>&1
"$bin/pg_ctl" -D "$d/data" -m fast -w stop >/dev/null
SH
        chmod 755 "$tmp/one.sh"
        t0=$(now)
        fails=0
        for v in "${PG_VERSIONS[@]}"; do
            tv=$(now)
            ls "$ROOT"/$CASES/*.sql | xargs -P "$PAR" -I{} su lockmatrix -s /bin/bash -c "$tmp/one.sh $CACHE/$v/native/bin $psql {}" ||
                fails=$((fails + 1))
            echo "  $v: $(since "$tv") s"
        done
        one_wall=$(since "$t0")
        one_rate=$(div "$fx_stmts" "$one_wall")
        echo "  total $one_wall s for the same $fx_stmts statements: $one_rate statements/s (versions with a failure: $fails)"
        echo "  lockmatrix -j 2 ($LM) is $(div "$one_wall" "$fx_wall")x faster (target >= 50x: $(verdict "$(div "$one_wall" "$fx_wall")" '>=' 50))"
        row one_wall "$one_wall"; row one_rate "$one_rate"; row one_ratio "$(div "$one_wall" "$fx_wall")"
    fi
fi

# ---- 3. pgfence ----------------------------------------------------------------------
if ! skip pgfence; then
    echo
    echo "## 3. Static analysis: pgfence analyze vs lockmatrix analyze (the shared corpora, 10 rounds)"
    files=()
    for _ in $(seq 1 10); do files+=("$CORPORA"/synapse/up/*.sql "$CORPORA"/supabase_auth/up/*.sql); done
    pf=$tmp/pgfence
    mkdir -p "$pf"
    if (cd "$pf" && timeout 300 npm install --silent --no-audit --no-fund @flvmnt/pgfence >/dev/null 2>&1) &&
        [ -x "$pf/node_modules/.bin/pgfence" ]; then
        pgv=$(node -e "console.log(require('$pf/node_modules/@flvmnt/pgfence/package.json').version)")
        "$pf/node_modules/.bin/pgfence" analyze --output json "${files[@]}" >"$tmp/pgf.json" 2>/dev/null
        pgn=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$tmp/pgf.json')).coverage.totalStatements)")
        ts=()
        for _ in 1 2 3; do
            t0=$(now); "$pf/node_modules/.bin/pgfence" analyze --output json "${files[@]}" >/dev/null 2>&1; ts+=("$(since "$t0")")
        done
        pgt=$(printf '%s\n' "${ts[@]}" | median)
        pgrate=$(div "$pgn" "$pgt")
        echo "  pgfence $pgv: $pgn statements in $pgt s: $pgrate statements/s (one version: --min-pg-version 11)"
    else
        pgrate=-
        echo "  pgfence could not be installed or run (npm install @flvmnt/pgfence failed): no figure"
    fi
    "$LM" analyze --format json "${files[@]}" >"$tmp/lma.json"
    lmn=$(sqlite3 :memory: "SELECT json_array_length(readfile('$tmp/lma.json'), '\$.statements')")
    ts=()
    for _ in 1 2 3; do
        t0=$(now); "$LM" analyze --format json "${files[@]}" >/dev/null; ts+=("$(since "$t0")")
    done
    lmt=$(printf '%s\n' "${ts[@]}" | median)
    lmrate=$(div "$lmn" "$lmt")
    echo "  lockmatrix analyze: $lmn statements x 8 versions in $lmt s: $lmrate statements/s"
    [ "$pgrate" != - ] && echo "  lockmatrix analyze / pgfence: $(div "$lmrate" "$pgrate")x"
    row pgf_rate "$pgrate"; row lma_rate "$lmrate"
    [ "$pgrate" != - ] && row static_ratio "$(div "$lmrate" "$pgrate")"
fi

# ---- 4. memory on a big corpus --------------------------------------------------------
gen() { # dir, files, statements per file: every file its own chain
    mkdir -p "$1"
    echo each >"$1/.lockmatrix-layout"
    awk -v dir="$1" -v nf="$2" -v per="$3" 'BEGIN {
        for (c = 1; c <= nf; c++) {
            f = sprintf("%s/m%05d.sql", dir, c)
            printf "CREATE TABLE big_%d (id int PRIMARY KEY, v text);\n", c > f
            for (s = 2; s <= per; s++) {
                k = s % 5
                if (k == 0) printf "ALTER TABLE big_%d ADD COLUMN c%d int;\n", c, s > f
                else if (k == 1) printf "INSERT INTO big_%d (id, v) VALUES (%d, \047row %d\047);\n", c, s, s > f
                else if (k == 2) printf "COMMENT ON TABLE big_%d IS \047step %d\047;\n", c, s > f
                else if (k == 3) printf "UPDATE big_%d SET v = \047u%d\047 WHERE id = %d;\n", c, s, s - 2 > f
                else printf "ALTER TABLE big_%d ALTER COLUMN v SET DEFAULT \047d%d\047;\n", c, s > f
            }
            close(f)
        } }'
}
if ! skip big; then
    echo
    per=100
    nch=$(( (BIG + per - 1) / per ))
    echo "## 4. Memory: a synthetic corpus of $((nch * per)) statements ($nch files of $per, each its own chain), -V $PG_MAX -j 2"
    gen "$tmp/big" "$nch" "$per"
    sampled "$LM" run -q -V "$PG_MAX" -j 2 -d "$tmp/big.db" "$tmp/big"
    bigt=$(sqlite3 "$tmp/big.db" "SELECT count(*) FROM traces WHERE status <> 'skipped'")
    bige=$(sqlite3 "$tmp/big.db" "SELECT count(*) FROM traces WHERE status IN ('error', 'timeout')")
    echo "  exit $RC, $bigt statements traced ($bige failed on the server) in $WALL s ($(div "$bigt" "$WALL") statements/s)"
    echo "  peak RSS: parent $(mb $PEAK_PARENT) MB, largest worker $(mb $PEAK_WORKER) MB (fixture matrix: parent $(mb $FX_PARENT) MB, worker $(mb $FX_WORKER) MB)"
    row big_n "$bigt"; row big_wall "$WALL"; row big_parent "$(mb $PEAK_PARENT)"; row big_worker "$(mb $PEAK_WORKER)"
    # the parent holds no statement (a lean corpus): 5x the statements, 1/50 of the jobs traced
    gen "$tmp/huge" $((nch * 5)) "$per"
    sampled "$LM" run -q -V "$PG_MAX" -j 2 --shard 1/50 -d "$tmp/huge.db" "$tmp/huge"
    hugen=$(sqlite3 "$tmp/huge.db" "SELECT count(*) FROM statements")
    echo "  $hugen statements loaded, shard 1/50 traced (exit $RC, $WALL s): parent $(mb $PEAK_PARENT) MB, largest worker $(mb $PEAK_WORKER) MB"
    row huge_n "$hugen"; row huge_parent "$(mb $PEAK_PARENT)"
    # one long chain: its traces pass through the parent's spool file, not its memory
    mkdir -p "$tmp/long"
    gen "$tmp/long.src" $((nch / 2)) "$per"
    cat "$tmp"/long.src/m*.sql >"$tmp/long/all.sql"
    sampled "$LM" run -q -V "$PG_MAX" -j 2 -d "$tmp/long.db" "$tmp/long/all.sql"
    longn=$(sqlite3 "$tmp/long.db" "SELECT count(*) FROM traces WHERE status <> 'skipped'")
    echo "  one chain of $longn statements (exit $RC, $WALL s): parent $(mb $PEAK_PARENT) MB, worker $(mb $PEAK_WORKER) MB"
    row long_n "$longn"; row long_parent "$(mb $PEAK_PARENT)"; row long_worker "$(mb $PEAK_WORKER)"
fi
row fx_parent "$(mb $FX_PARENT)"; row fx_worker "$(mb $FX_WORKER)"

# ---- 5. the shared corpora --------------------------------------------------------------
if ! skip shared; then
    echo
    echo "## 5. The shared corpora end to end (-j 2)"
    sup=$tmp/supabase_auth
    mkdir -p "$sup"
    cp "$CORPORA"/supabase_auth/PREAMBLE.sql "$sup/0000__preamble.sql"
    cp "$CORPORA"/supabase_auth/up/*.sql "$sup/"
    for spec in "synapse $PG_ALL $CORPORA/synapse/up" "supabase_auth 13- $sup"; do
        read -r name vers path <<<"$spec"
        sampled "$LM" run -q -V "$vers" -j 2 -d "$tmp/$name.db" "$path"
        n=$(sqlite3 "$tmp/$name.db" "SELECT count(*) FROM statements")
        per_v=$(sqlite3 "$tmp/$name.db" "SELECT group_concat(major || ':' || e, ' ') FROM (SELECT major, sum(status IN ('error', 'timeout')) e FROM traces GROUP BY major ORDER BY major)")
        echo "  $name on $vers: $n statements, wall $WALL s (exit $RC); errors per version: $per_v; parent $(mb $PEAK_PARENT) MB"
        row "${name}_wall" "$WALL"; row "${name}_n" "$n"; row "${name}_err" "$per_v"
    done
fi

# ---- the table ------------------------------------------------------------------------
f() { echo "${FIG[$1]:--}"; }
echo
echo "## Figures (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg): the machine is shared, figures of one run compare with each other)"
echo
echo "| figure | value | target |"
echo "| --- | --: | --- |"
echo "| fixture matrix, $PG_ALL, -j 2 (median) | $(f fx_wall) s | < 30 s: $(verdict "$(f fx_wall)" '<' 30) |"
echo "| statements traced per second, -j 2 | $(f fx_rate) | |"
echo "| one server per file, same work | $(f one_wall) s ($(f one_rate) statements/s) | |"
echo "| lockmatrix vs one server per file | $(f one_ratio)x | >= 50x: $(verdict "$(f one_ratio)" '>=' 50) |"
echo "| pgfence analyze | $(f pgf_rate) statements/s | |"
echo "| lockmatrix analyze (8 versions) | $(f lma_rate) statements/s | |"
echo "| lockmatrix analyze / pgfence | $(f static_ratio)x | |"
echo "| peak RSS parent, fixture matrix | $(f fx_parent) MB | < 50 MB: $(verdict "$(f fx_parent)" '<' 50) |"
echo "| peak RSS worker, fixture matrix | $(f fx_worker) MB | |"
echo "| peak RSS parent, $(f big_n) statements | $(f big_parent) MB | < 50 MB: $(verdict "$(f big_parent)" '<' 50) |"
echo "| peak RSS worker, $(f big_n) statements | $(f big_worker) MB | |"
echo "| peak RSS parent, $(f huge_n) statements loaded (1/50 traced) | $(f huge_parent) MB | < 50 MB: $(verdict "$(f huge_parent)" '<' 50) |"
echo "| peak RSS parent / worker, one chain of $(f long_n) statements | $(f long_parent) / $(f long_worker) MB | < 50 MB: $(verdict "$(f long_parent)" '<' 50) |"
echo "| $(f big_n) synthetic statements on $PG_MAX | $(f big_wall) s | |"
echo "| synapse, $PG_ALL ($(f synapse_n) statements) | $(f synapse_wall) s; errors $(f synapse_err) | |"
echo "| supabase_auth, 13-$PG_MAX ($(f supabase_auth_n) statements) | $(f supabase_auth_wall) s; errors $(f supabase_auth_err) | |"
