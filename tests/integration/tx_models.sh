#!/usr/bin/env bash
# Both transaction models as a test matrix: fixtures/cases traced plainly
# (each statement on its own) and with --wrap-tx (each file one transaction,
# as most migration tools run them) on two versions. Per statement and
# version, what the statement requested ("requested" in the JSON report) and
# its verdict are the same in both, but for the exceptions listed below, each
# with its reason; held_before marks locks only where a transaction held them.
# The lock table is regenerated from the wrapped run only with what the
# statements themselves requested: `locktable --check` proposes no change,
# leaves the unmeasured statements out (saying why), and still catches a
# wrong row, naming it with its evidence.
source "$(dirname "$0")/lib.sh"

CASES=$ROOT/fixtures/cases
TABLE=$ROOT/predict/locktable.tsv
VERSIONS=10,17

# A file the wrapped run cannot replay (VACUUM fails in a transaction block,
# the file is rolled back): its TRUNCATE runs after the transaction created
# the table, keeps its file there and is unmeasured. Taken as evidence it
# would make TRUNCATE's rewrite "depends"; it must leave the row alone.
mkdir -p "$WORK/guard"
cat >"$WORK/guard/001_truncate_then_vacuum.sql" <<'SQL'
CREATE TABLE gt (id int PRIMARY KEY, v text);
INSERT INTO gt SELECT g, 'v' || g FROM generate_series(1, 100) g;
TRUNCATE gt;
VACUUM gt;
SQL

# --- the fixtures in both models ----------------------------------------------
"$LM" run -q -V "$VERSIONS" -j 2 -d "$WORK/plain.db" "$CASES" >"$WORK/plain.out" 2>"$WORK/plain.err"
check_eq "plain run of the fixtures exits 0" "$?" 0
"$LM" run -q --wrap-tx -V "$VERSIONS" -j 2 -d "$WORK/wrap.db" "$CASES" "$WORK/guard" \
    >"$WORK/wrap.out" 2>"$WORK/wrap.err"
check_eq "run --wrap-tx of the fixtures exits 0" "$?" 0
"$LM" report -d "$WORK/plain.db" --format json >"$WORK/plain.json"
"$LM" report -d "$WORK/wrap.db" --format json >"$WORK/wrap.json"

# Expected differences, by file, statement index (1-based) and versions.
#   error:      runs in plain, refused in the wrapped file's transaction (25001)
#   unmeasured: the wrapped file fails at a statement above and is rolled back,
#               so the replay leaves it out; the statement asked for a lock its
#               transaction already held, so what it added is less than what it
#               requested (a lower bound: its verdict stays the same)
#   aborted:    runs in plain; in the wrapped file a statement above failed,
#               so its transaction refuses the rest (25P02)
cat >"$WORK/expected.tsv" <<'TSV'
create_index_concurrently.sql	3	10,17	error	CREATE INDEX CONCURRENTLY cannot run in a transaction block
set_lock_timeout_concurrently.sql	4	10,17	error	CREATE INDEX CONCURRENTLY cannot run in a transaction block
drop_index_concurrently.sql	4	10,17	error	DROP INDEX CONCURRENTLY cannot run in a transaction block
reindex_concurrently.sql	4	17	error	REINDEX CONCURRENTLY cannot run in a transaction block (on 10 no such syntax: an error in both)
detach_partition_concurrently.sql	5	17	error	DETACH PARTITION CONCURRENTLY cannot run in a transaction block (on 10 no such syntax: an error in both)
vacuum.sql	4	10,17	error	VACUUM cannot run in a transaction block
vacuum_full.sql	4	10,17	error	VACUUM cannot run in a transaction block
detach_partition_concurrently.sql	2	10,17	unmeasured	the parent's AccessExclusiveLock is held since its CREATE TABLE
detach_partition_concurrently.sql	3	10,17	unmeasured	the parent's AccessExclusiveLock is held since its CREATE TABLE
drop_index_concurrently.sql	3	10,17	unmeasured	CREATE INDEX's ShareLock is held since the primary key was built
reindex_concurrently.sql	3	10,17	unmeasured	CREATE INDEX's ShareLock is held since the primary key was built
vacuum.sql	3	10,17	unmeasured	DELETE's RowExclusiveLock is held since the INSERT
vacuum_full.sql	3	10,17	unmeasured	DELETE's RowExclusiveLock is held since the INSERT
create_index_concurrently_indexes.sql	2	10,17	unmeasured	CREATE INDEX's ShareLock is held since the primary key was built
create_index_concurrently_indexes.sql	4	10,17	error	CREATE INDEX CONCURRENTLY cannot run in a transaction block
detach_partition_concurrently_nested.sql	2	10,17	unmeasured	the parent's AccessExclusiveLock is held since its CREATE TABLE
detach_partition_concurrently_nested.sql	3	10,17	unmeasured	the parent's AccessExclusiveLock is held since its CREATE TABLE
detach_partition_concurrently_nested.sql	4	10,17	unmeasured	the parent's AccessExclusiveLock is held since its CREATE TABLE
detach_partition_concurrently_nested.sql	5	10,17	unmeasured	the parent's AccessExclusiveLock is held since its CREATE TABLE
detach_partition_concurrently_nested.sql	10	17	error	DETACH PARTITION CONCURRENTLY cannot run in a transaction block (on 10 no such syntax: an error in both)
drop_index_concurrently_last_lock.sql	2	10,17	unmeasured	CREATE INDEX's ShareLock is held since the primary key was built
drop_index_concurrently_last_lock.sql	4	10,17	error	DROP INDEX CONCURRENTLY cannot run in a transaction block
reindex_index_concurrently.sql	2	10,17	unmeasured	CREATE INDEX's ShareLock is held since the primary key was built
reindex_index_concurrently.sql	4	17	error	REINDEX CONCURRENTLY cannot run in a transaction block (on 10 no such syntax: an error in both)
reindex_table_concurrently_toast.sql	2	10,17	unmeasured	CREATE INDEX's ShareLock is held since the primary key was built
reindex_table_concurrently_toast.sql	4	17	error	REINDEX CONCURRENTLY cannot run in a transaction block (on 10 no such syntax: an error in both)
reindex_table_partitioned.sql	2	17	unmeasured	the parent's AccessExclusiveLock is held since its CREATE TABLE
reindex_table_partitioned.sql	3	17	unmeasured	the parent's AccessExclusiveLock is held since its CREATE TABLE
reindex_table_partitioned.sql	4	17	unmeasured	the parent's AccessExclusiveLock is held since its CREATE TABLE
reindex_table_partitioned.sql	5	17	unmeasured	the parent's AccessExclusiveLock is held since its CREATE TABLE
reindex_table_partitioned.sql	7	17	unmeasured	CREATE INDEX's ShareLock on the partition is held since its first index was built
reindex_table_partitioned.sql	11	17	error	REINDEX of a partitioned table cannot run in a transaction block (on 10 it runs in one and reindexes no partition)
vacuum_full_indexes.sql	2	10,17	unmeasured	CREATE INDEX's ShareLock is held since the primary key was built
vacuum_full_indexes.sql	4	10,17	unmeasured	DELETE's RowExclusiveLock is held since the INSERT
vacuum_full_indexes.sql	5	10,17	error	VACUUM cannot run in a transaction block
add_foreign_key_not_enforced.sql	3	10,17	unmeasured	the file fails at 18's NOT ENFORCED and is rolled back: the replay leaves the CREATE TABLE out
alter_constraint_enforced.sql	3	10,17	unmeasured	the file fails at 18's NOT ENFORCED and is rolled back: the replay leaves the CREATE TABLE out
alter_constraint_not_enforced.sql	3	10,17	unmeasured	the file fails at 18's NOT ENFORCED and is rolled back: the replay leaves the CREATE TABLE out
add_foreign_key_period.sql	4	10,17	aborted	18's WITHOUT OVERLAPS key above failed: the rest of the wrapped file's transaction is refused
add_foreign_key_period.sql	5	10,17	aborted	18's WITHOUT OVERLAPS key above failed: the rest of the wrapped file's transaction is refused
vacuum_indexes.sql	2	10,17	unmeasured	CREATE INDEX's ShareLock is held since the primary key was built
vacuum_indexes.sql	4	10,17	unmeasured	DELETE's RowExclusiveLock is held since the INSERT
vacuum_indexes.sql	5	10,17	error	VACUUM cannot run in a transaction block
TSV

python3 - "$WORK/plain.json" "$WORK/wrap.json" "$WORK/expected.tsv" "$CASES" >"$WORK/compare.out" 2>&1 <<'PY'
import collections, json, os, sys

plain, wrap = (json.load(open(f)) for f in sys.argv[1:3])
cases = os.path.realpath(sys.argv[4])
expected = {}
for line in open(sys.argv[3]):
    f, idx, versions, kind, why = line.rstrip("\n").split("\t")
    for v in versions.split(","):
        expected[(f, int(idx), v)] = (kind, why)

def stmts(report):
    return {(os.path.basename(s["migration"]), s["index"]): s for s in report["statements"]
            if os.path.dirname(os.path.realpath(s["migration"])) == cases}

def requested(r):
    q = r.get("requested")
    if q is None:
        return None
    return sorted((l["relation"], l["role"], l["locktype"], l["mode"], l["granted"]) for l in q["locks"])

def held(r):
    return sum(1 for l in r.get("locks") or [] if l.get("held_before"))

def has_tx_control(s):
    return s["class"] in ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT")

P, W = stmts(plain), stmts(wrap)
ok = True
def fail(msg):
    global ok
    ok = False
    print("not ok - " + msg)

if set(P) != set(W):
    fail("the two runs have the same statements: %d plain, %d wrapped" % (len(P), len(W)))
n = collections.Counter()
seen = set()
own_tx_files = {f for (f, _), s in P.items() if has_tx_control(s)}
for key in sorted(set(P) & set(W)):
    for v, rp in sorted(P[key]["results"].items()):
        rw = W[key]["results"][v]
        n["compared"] += 1
        frm = (rw.get("requested") or {}).get("from", "none")
        n["wrapped from " + frm] += 1
        hp, hw = held(rp), held(rw)
        n["plain results with held_before"] += hp > 0
        n["wrapped results with held_before"] += hw > 0
        if hp and key[0] not in own_tx_files:
            fail("%s:%d on %s: held_before in the plain run outside a transaction of the file's own" % (key + (v,)))
        diffs = []
        if rp["status"] != rw["status"]:
            diffs.append("status %s / %s" % (rp["status"], rw["status"]))
        if rp["verdict"] != rw["verdict"]:
            diffs.append("verdict %s / %s" % (rp["verdict"], rw["verdict"]))
        if requested(rp) != requested(rw):
            diffs.append("requested")
        exp = expected.get((key[0], key[1], v))
        where = "%s:%d on %s" % (key[0], key[1], v)
        if not diffs:
            n["same"] += 1
            if exp:
                fail("%s: listed as an exception (%s) but the same in both models" % (where, exp[0]))
            continue
        if not exp:
            fail("%s: %s (plain from %s, wrapped from %s): %s" % (
                where, "; ".join(diffs), (rp.get("requested") or {}).get("from"), frm, P[key]["sql"][:80]))
            continue
        seen.add((key[0], key[1], v))
        kind, why = exp
        n["expected " + kind] += 1
        if kind == "error":
            if not (rp["status"] == "ok" and rw["status"] == "error"
                    and (rw.get("error") or {}).get("sqlstate") == "25001"):
                fail("%s: ok plainly, 25001 when wrapped: %s / %s %s" % (where, rp["status"], rw["status"], rw.get("error")))
        elif kind == "aborted":
            if not (rp["status"] == "ok" and rw["status"] == "error"
                    and (rw.get("error") or {}).get("sqlstate") == "25P02"):
                fail("%s: ok plainly, 25P02 when wrapped: %s / %s %s" % (where, rp["status"], rw["status"], rw.get("error")))
        else:
            lower = set(requested(rw) or []) <= set(requested(rp) or [])
            if not (frm == "unmeasured" and rp["verdict"] == rw["verdict"] and lower):
                fail("%s: unmeasured, a subset of the plain requests, same verdict: from %s, verdicts %s / %s, subset %s" % (
                    where, frm, rp["verdict"], rw["verdict"], lower))
        print("# exception %s: %s (%s)" % (where, "; ".join(diffs), why))
if n["wrapped results with held_before"] <= n["plain results with held_before"]:
    fail("the wrapped run marks more locks held_before than the plain run")
if n["wrapped from replay"] == 0:
    fail("the wrapped run has replayed statements")
for k in sorted(n):
    print("# %s: %d" % (k, n[k]))
print("ok - plain and wrapped runs agree but for the listed exceptions" if ok else
      "not ok - plain and wrapped runs differ beyond the listed exceptions")
PY
cat "$WORK/compare.out"
check "the two models agree per statement and version, but for the listed exceptions" \
    bash -c "! grep -q '^not ok' '$WORK/compare.out'"

# --- the lock table from the wrapped run -----------------------------------------
unmeasured=$(jq '[.statements[].results[] | select(.requested.from == "unmeasured")] | length' "$WORK/wrap.json")
check "the wrapped run has unmeasured statements: $unmeasured" test "$unmeasured" -gt 0
trunc=$(jq -r '.statements[] | select(.migration | endswith("guard/001_truncate_then_vacuum.sql")) | select(.index == 3)
    | [.results[] | "\(.requested.from) \(.rewrites | length) \(.verdict)"] | join(",")' "$WORK/wrap.json")
check_eq "the guard's TRUNCATE: unmeasured, kept its file, no mismatch for it" "$trunc" \
    "unmeasured 0 confirmed,unmeasured 0 confirmed"

"$LM" locktable --check -d "$WORK/wrap.db" --locktable "$TABLE" >"$WORK/check.out" 2>"$WORK/check.err"
check_eq "locktable --check against the wrapped run proposes no change" "$?" 0
check "it says how many it used" grep -qE "^used [0-9]+ observations" "$WORK/check.out"
check "and how many it left out as unmeasured, and why" \
    grep -qxF "  $unmeasured requests not measured (the transaction held locks before)" "$WORK/check.out"
check "the failed statements are left out too" grep -qE "^  [0-9]+ did not run ok" "$WORK/check.out"
"$LM" locktable --check --verbose -d "$WORK/wrap.db" --locktable "$TABLE" >"$WORK/checkv.out" 2>&1
check_eq "--check --verbose exits 0" "$?" 0
check "--verbose names each left out statement with its reason" \
    grep -qE "^left out .*/guard/001_truncate_then_vacuum.sql:3 on 17 \[TRUNCATE\]: requests not measured \(the transaction held locks before\)$" "$WORK/checkv.out"
check "--verbose lists the unmeasured ones all" \
    test "$(grep -c ': requests not measured' "$WORK/checkv.out")" -eq "$unmeasured"
check "--verbose lists the used ones, with where their requests come from" \
    grep -qE "^used .*/fixtures/cases/create_index.sql:8 on 17 \[CREATE INDEX\]: requested ShareLock on the target, no rewrite, scan \(replay\)$" "$WORK/checkv.out"
"$LM" locktable --check -d "$WORK/plain.db" --locktable "$TABLE" >"$WORK/checkp.out" 2>&1
check_eq "locktable --check against the plain run proposes no change" "$?" 0
check "the plain run has no unmeasured statement" bash -c "! grep -q 'requests not measured' '$WORK/checkp.out'"

# a row changed by hand: CREATE INDEX takes ShareLock, say AccessExclusiveLock
cp "$TABLE" "$WORK/lt.tsv"
sed -i "s/^\(CREATE INDEX\t10\t$PG_MAX\t\)ShareLock\t/\1AccessExclusiveLock\t/" "$WORK/lt.tsv"
check "the row was changed" bash -c "! cmp -s '$TABLE' '$WORK/lt.tsv'"
"$LM" locktable --check -d "$WORK/wrap.db" --locktable "$WORK/lt.tsv" >"$WORK/check2.out" 2>"$WORK/check2.err"
check_eq "--check fails on the changed row" "$?" 1
check "it prints the row as it is" grep -qP "^- CREATE INDEX\t10\t$PG_MAX\tAccessExclusiveLock\t" "$WORK/check2.out"
check "and as observed on each version traced" \
    bash -c "grep -qP '^\+ CREATE INDEX\t10\t10\tShareLock\t' '$WORK/check2.out' && grep -qP '^\+ CREATE INDEX\t17\t17\tShareLock\t' '$WORK/check2.out'"
# (the first 3 statements that set the row: any case with a CREATE INDEX)
check "with its evidence: file:line, version, what was requested" \
    grep -qE "^    .*/fixtures/cases/[a-z0-9_]+\.sql:[0-9]+ on 10: requested ShareLock on the target, no rewrite, scan \((replay|own)\)$" "$WORK/check2.out"
check "the versions not traced keep the row, and say so" \
    bash -c "grep -P -A1 '^\+ CREATE INDEX\t11\t16\tAccessExclusiveLock\t' '$WORK/check2.out' | grep -qx '    no observation on these versions: kept from the table'"
check "and says it disagrees" grep -q "disagrees with run" "$WORK/check2.err"
"$LM" locktable --update -d "$WORK/wrap.db" --locktable "$WORK/lt.tsv" >"$WORK/update.out" 2>&1
check_eq "--update exits 0" "$?" 0
check "--update prints each change with its evidence" \
    grep -qE "^    .*/fixtures/cases/[a-z0-9_]+\.sql:[0-9]+ on 17: requested ShareLock on the target" "$WORK/update.out"
check "--update took ShareLock on the versions traced" \
    bash -c "grep -qP '^CREATE INDEX\t10\t10\tShareLock\t' '$WORK/lt.tsv' && grep -qP '^CREATE INDEX\t17\t17\tShareLock\t' '$WORK/lt.tsv'"
"$LM" locktable --check -d "$WORK/wrap.db" --locktable "$WORK/lt.tsv" >/dev/null 2>&1
check_eq "--check passes after --update" "$?" 0

finish
