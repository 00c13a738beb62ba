#!/usr/bin/env bash
# Sharded runs merged: fixtures/cases on 10 and 17 run once on one "machine"
# and as 3 shards (and as shards x versions: 2 shards of -V 10, 2 of -V 17),
# the shards merged; the merged report equals the unsharded one.
#
# What the comparison leaves out, and why (everything else of
# `report --format json` is compared, per statement and version):
#   - run.id, run.started_at, run.finished_at, every duration_ms and lock_held_ms (timings): they belong
#     to one run, not to the observations;
#   - for a result whose capture is not exact ("tx" or "phase"), i.e. locks
#     read by an observer connection or by polling while the statement runs
#     (CREATE INDEX CONCURRENTLY, VACUUM, ...): its locks, phases and verdict,
#     and the statement's version_specific flag. These locks are sampled: two
#     runs of the same server on one machine differ (report/diff.h does not
#     count them as changes either); the verdict and the flag are derived
#     from them. Their status, error, rewrites, scans and predictions are
#     compared;
#   - the number in pg_temp_<n> (a temporary schema named after the backend
#     id the server happened to give the connection), and locks on the
#     temporary schema itself, in every list of locks (a result's, its
#     phases', what it requested: whether the backend's pg_temp_<n> had to be
#     created or emptied first is the session's state, not the statement's:
#     a loaded CI machine once showed an AccessExclusiveLock on it in one run).
# The test prints how many results were left out that way.
source "$(dirname "$0")/lib.sh"

CASES=${CASES:-$ROOT/fixtures/cases}
V=10,17
cd "$WORK"
cp -r "$CASES" cases   # relative paths: the same on every "machine"

norm() { # report.json -> normalised json on stdout
    jq -S '
      def exact: ((.capture // "tx") as $c | $c == "tx" or $c == "phase");
      del(.run.id, .run.started_at, .run.finished_at)
      | .statements |= map(
          (if ([.results[] | exact] | all) then . else del(.version_specific) end)
          | .results |= with_entries(.value |= (del(.duration_ms, .lock_held_ms)
              | if exact then . else del(.locks, .phases, .verdict) end)))
      | walk(if type == "object" and (.locks | type) == "array"
             then .locks |= map(select(.relation | tostring | test("^schema pg_(toast_)?temp") | not))
             else . end)
      | walk(if type == "string" then gsub("pg_temp_[0-9]+"; "pg_temp_N") else . end)' "$1"
}
sampled() { jq '[.statements[].results[] | select((.capture // "tx") as $c | $c != "tx" and $c != "phase")] | length' "$1"; }

# --- one machine -------------------------------------------------------------
"$LM" run -q -V $V -j 2 -d one.db cases >one.out 2>&1
check_eq "unsharded run exits 0" "$?" 0

# --- three shards -------------------------------------------------------------
for k in 1 2 3; do
    "$LM" run -q -V $V -j 2 --shard $k/3 -d s$k.db cases >s$k.out 2>&1
    check_eq "shard $k/3 exits 0" "$?" 0
done
q() { sqlite3 "$@"; }
check_eq "the shard is recorded" "$(q s2.db 'SELECT shard FROM runs')" "2/3"
check_eq "the corpus identity is recorded, the same in every shard" \
    "$(for k in 1 2 3; do q s$k.db 'SELECT corpus_id FROM runs'; done | sort -u | wc -l)" 1
check "the corpus identity is 32 hex digits" \
    grep -qE '^[0-9a-f]{32}$' <(q s1.db 'SELECT corpus_id FROM runs')
check_eq "the tool version is recorded" "$(q s1.db 'SELECT tool_version FROM runs')" \
    "$("$LM" --version | awk 'NR == 1 {print $NF}')"
jobs_all=$(q one.db 'SELECT count(*) FROM jobs')
jobs_sum=0; stmts=()
for k in 1 2 3; do
    jobs_sum=$((jobs_sum + $(q s$k.db 'SELECT count(*) FROM jobs')))
    stmts+=("$(q s$k.db 'SELECT count(*) FROM traces')")
done
check_eq "the shards' jobs add up to the run's" "$jobs_sum" "$jobs_all"
dup=$(for k in 1 2 3; do q s$k.db 'SELECT chain || "/" || major FROM jobs'; done | sort | uniq -d | wc -l)
check_eq "no job in two shards" "$dup" 0
maxchain=$(q one.db 'SELECT max(n) FROM (SELECT count(*) n FROM statements s JOIN migrations m ON m.id = s.migration_id GROUP BY m.chain)')
spread=$(printf '%s\n' "${stmts[@]}" | sort -n | sed -n '1p;$p' | paste -sd' ' | awk '{print $2 - $1}')
check "balanced by statements: ${stmts[*]} (spread $spread <= largest chain $maxchain)" test "$spread" -le "$maxchain"
# determinism: the same shard again takes the same jobs
"$LM" run -q -V $V -j 2 --shard 2/3 -d s2again.db cases >/dev/null 2>&1
check_eq "a shard takes the same jobs every time" \
    "$(q s2again.db 'SELECT chain || "/" || major FROM jobs ORDER BY 1' | md5sum)" \
    "$(q s2.db 'SELECT chain || "/" || major FROM jobs ORDER BY 1' | md5sum)"

"$LM" merge merged.db s1.db s2.db s3.db >merge.out 2>&1
check_eq "merge exits 0" "$?" 0
check "merge says what it made" grep -qE '^run 1 in merged.db: 3 stores merged, versions 10,17, [0-9]+ jobs' merge.out
check_eq "the merged run has no shard and the corpus identity" \
    "$(q merged.db 'SELECT coalesce(shard, "-") || " " || corpus_id FROM runs')" \
    "- $(q s1.db 'SELECT corpus_id FROM runs')"
check_eq "merged jobs = unsharded jobs" "$(q merged.db 'SELECT count(*) FROM jobs')" "$jobs_all"
check_eq "the merged run keeps the layout of the directory" \
    "$(q merged.db 'SELECT path, layout, chains, ups, forced FROM layouts')" \
    "$(q one.db 'SELECT path, layout, chains, ups, forced FROM layouts')"
check_eq "... one line for the directory of single-file chains" \
    "$(q merged.db 'SELECT count(*) || " " || layout FROM layouts')" "1 each"
check_eq "merged traces = unsharded traces" "$(q merged.db 'SELECT count(*) FROM traces')" \
    "$(q one.db 'SELECT count(*) FROM traces')"

"$LM" report -d one.db --format json >one.json
"$LM" report -d merged.db --format json >merged.json
norm one.json >one.norm
norm merged.json >merged.norm
echo "# results compared: $(jq '[.statements[].results[]] | length' one.json); left out as sampled captures: unsharded $(sampled one.json), merged $(sampled merged.json)"
if cmp -s one.norm merged.norm; then ok "merged report = unsharded report (minus the run's own fields and sampled locks)"; else
    notok "merged report differs from the unsharded one"; diff one.norm merged.norm | head -40; fi

# --- shards x versions: one column of the CI matrix per version ----------------
for v in 10 17; do for k in 1 2; do
    "$LM" run -q -V $v -j 2 --shard $k/2 -d x$v-$k.db cases >/dev/null 2>&1
    check_eq "-V $v --shard $k/2 exits 0" "$?" 0
done; done
"$LM" merge matrix.db x10-1.db x10-2.db x17-1.db x17-2.db >/dev/null 2>&1
check_eq "merge of shards x versions exits 0" "$?" 0
"$LM" report -d matrix.db --format json >matrix.json
norm matrix.json >matrix.norm
if cmp -s one.norm matrix.norm; then ok "shards x versions merged = unsharded report"; else
    notok "shards x versions merged differs"; diff one.norm matrix.norm | head -20; fi

# --- refusals: exit 2 and a message that says what is wrong ----------------------
refuse() { # description, expected message (grep -E), merge args...
    local d=$1 want=$2; shift 2
    rm -f bad.db
    "$LM" merge bad.db "$@" >refuse.out 2>&1
    local rc=$?
    if [ $rc -eq 2 ] && grep -qE "$want" refuse.out && [ ! -e bad.db ]; then
        ok "$d: $(head -1 refuse.out)"
    else
        notok "$d: exit $rc, $(cat refuse.out)"
    fi
}
cp s1.db s1copy.db
refuse "overlapping shards" 'shards overlap: "s1.db" and "s1copy.db" both hold shard 1/3 of versions 10,17' \
    s1.db s2.db s3.db s1copy.db
refuse "a missing shard" 'missing shards: 3/3 \(versions 10,17\)' s1.db s2.db
refuse "missing shards of a version" 'missing shards: 2/2 \(versions 17\)' x10-1.db x10-2.db x17-1.db
refuse "a version in two version sets" 'shards overlap: .*both ran version 17' s1.db s2.db s3.db x17-1.db x17-2.db
"$LM" run -q -V $V -j 2 --shard 1/2 -d n2.db cases >/dev/null 2>&1
refuse "shards of different N" '"s1.db" is shard 1/3 and "n2.db" shard 1/2 of the same versions \(10,17\)' s1.db n2.db s2.db s3.db
mkdir other; cp cases/add_column_nullable.sql other/
"$LM" run -q -V $V -j 2 -d other.db other >/dev/null 2>&1
refuse "another corpus" 'are runs of different corpora \("cases" and "other"' one.db other.db
cp s3.db s3old.db; sqlite3 s3old.db "UPDATE runs SET tool_version = '0.0.9'"
refuse "another tool version" 'was made by lockmatrix 0.1.0 and "s3old.db" by lockmatrix 0.0.9' s1.db s2.db s3old.db
cp s3.db s3int.db; sqlite3 s3int.db "UPDATE runs SET status = 'interrupted'"
refuse "an interrupted shard" 'run 1 in "s3int.db" is interrupted' s1.db s2.db s3int.db
cp s3.db s3lack.db; sqlite3 s3lack.db "PRAGMA foreign_keys = ON; DELETE FROM jobs WHERE id = (SELECT max(id) FROM jobs)"
refuse "a shard without all its jobs" '"s3lack.db" \(shard 3/3 of versions 10,17\) lacks 1 jobs of its shard' s1.db s2.db s3lack.db
cp s3.db s3srv.db; sqlite3 s3srv.db "UPDATE servers SET version = '17.9' WHERE major = 17"
refuse "another server release" 'different servers of version 17: 17.10 in "s1.db", 17.9 in "s3srv.db"' s1.db s2.db s3srv.db
"$LM" merge s1.db s1.db s2.db s3.db >refuse.out 2>&1
check_eq "merge into one of its inputs exits 2" "$?" 2
check "and says so" grep -q '"s1.db" is both the output and an input' refuse.out
"$LM" merge only.db >refuse.out 2>&1
check_eq "merge without IN exits 2" "$?" 2

# --- --shard refusals --------------------------------------------------------------
for bad in 0/3 4/3 x 1/0; do
    "$LM" run -q -V $V --shard $bad -d bad.db cases >bad.out 2>&1
    rc=$?
    check "--shard $bad refused (exit 2, says why)" test $rc -eq 2 -a -n "$(grep 'invalid --shard' bad.out)"
done

# --- a merged run is the previous run of the next night ------------------------------
cp one.db nightly.db
"$LM" merge nightly.db s1.db s2.db s3.db >/dev/null 2>&1
"$LM" report -d nightly.db --against last --format json >against.json 2>against.err
check_eq "report --against last: merged vs unsharded, no change (exit 0)" "$?" 0
check_eq "--against last picked the unsharded run" "$(jq '.against.id' against.json)" 1
finish
