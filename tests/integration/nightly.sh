#!/usr/bin/env bash
# Nightly regression: `run --against last` compares with the previous run of
# the same corpus (and shard) in the store and exits 1 on any change of
# observed behaviour, one line per change naming the statement, the version
# and the change; `report --against last` the same for a stored run. The
# "change" is made by editing the earlier run in the store (no server behaves
# differently from one night to the next here).
source "$(dirname "$0")/lib.sh"

cd "$WORK"
mkdir cases
echo each >cases/.lockmatrix-layout
for c in add_column_nullable alter_column_type_int_to_bigint create_index; do
    cp "$ROOT/fixtures/cases/$c.sql" cases/
done
V=10,17
db=n.db
q() { sqlite3 "$db" "$@"; }

"$LM" run -q -V $V -d $db --against last cases >r1.out 2>r1.err
check_eq "first night: exit 0" "$?" 0
check "first night: nothing to compare" grep -q '^against: no earlier run of this corpus in the store: nothing to compare$' r1.out

"$LM" run -q -V $V -d $db --against last cases >r2.out 2>r2.err
check_eq "second night, same servers: exit 0" "$?" 0
check "second night: compared with run 1, no change" grep -qE '^against run 1: [0-9]+ statements compared, 0 changes of observed behaviour' r2.out

# a corpus run in between (another corpus) is not "last"
mkdir other; cp cases/create_index.sql other/
"$LM" run -q -V $V -d $db other >/dev/null 2>&1

# the night before took a weaker lock for ADD COLUMN on 17, and did not rewrite for the type change on 10
t=$(q "SELECT t.id FROM traces t JOIN statements s ON s.id = t.statement_id JOIN migrations m ON m.id = s.migration_id
       WHERE m.run_id = 2 AND m.path LIKE '%add_column_nullable.sql' AND s.sql LIKE 'ALTER TABLE%' AND t.major = 17")
q "UPDATE locks SET mode = 'ShareUpdateExclusiveLock' WHERE trace_id = $t AND role = 'table' AND mode = 'AccessExclusiveLock'"
t2=$(q "SELECT t.id FROM traces t JOIN statements s ON s.id = t.statement_id JOIN migrations m ON m.id = s.migration_id
       WHERE m.run_id = 2 AND m.path LIKE '%int_to_bigint.sql' AND s.sql LIKE 'ALTER TABLE%' AND t.major = 10")
check "the earlier run had a rewrite to remove" test "$(q "SELECT count(*) FROM rewrites WHERE trace_id = $t2")" -gt 0
q "DELETE FROM rewrites WHERE trace_id = $t2"

"$LM" run -q -V $V -d $db --against last cases >r4.out 2>r4.err
check_eq "third night, behaviour changed: exit 1" "$?" 1
cat r4.err | sed 's/^/# /'
check "names statement, version and lock change" grep -qE '^cases/add_column_nullable.sql:[0-9]+: "ALTER TABLE acn_orders ADD COLUMN note text" on 17: lock_mode changed: ShareUpdateExclusiveLock -> AccessExclusiveLock$' r4.err
check "names statement, version and rewrite change" grep -qE '^cases/alter_column_type_int_to_bigint.sql:[0-9]+: "ALTER TABLE.*" on 10: rewrite changed: none -> ' r4.err
check "says how many, against which run" grep -qE '^against run 2: [0-9]+ statements compared, 2 changes of observed behaviour' r4.out
check "and the summary line" grep -q '2 changes of observed behaviour since the earlier run' r4.err
check "run 4 was stored anyway" test "$(q 'SELECT status FROM runs WHERE id = 4')" = complete

"$LM" report -d $db --run 4 --against last --format json >rep.json 2>rep.err
check_eq "report --against last: exit 1" "$?" 1
check_eq "report --against last picked run 2 (not the other corpus' run 3)" "$(jq '.against.id' rep.json)" 2
"$LM" report -d $db --run 4 --against 1 --format json >/dev/null 2>&1
check_eq "report --against 1 (before the edit): exit 0" "$?" 0
"$LM" report -d $db --run 1 --against last >rep1.out 2>rep1.err
check_eq "report --against last of the first run: the run alone, exit 0" "$?" 0
check "and says there was nothing to compare" grep -q 'nothing to compare' rep1.err

# shards compare with the same shard of the night before
"$LM" run -q -V $V -d s.db --shard 1/2 cases >/dev/null 2>&1
"$LM" run -q -V $V -d s.db --shard 2/2 cases >/dev/null 2>&1
"$LM" run -q -V $V -d s.db --shard 1/2 --against last cases >s3.out 2>s3.err
check_eq "a shard against last: exit 0" "$?" 0
check "compared with the same shard (run 1)" grep -q '^against run 1:' s3.out

"$LM" run -q -V $V -d $db --against yesterday cases >/dev/null 2>bad.err
check_eq "--against yesterday: exit 2" "$?" 2
check "says what it takes" grep -q 'invalid --against "yesterday": last or a run id' bad.err
finish
