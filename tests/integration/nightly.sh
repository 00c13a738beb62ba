#!/usr/bin/env bash
# Nightly regression: `run --against last` compares with the previous run of
# the same corpus root (and shard) in the store and exits 1 on any change of
# observed behaviour, one line per change naming the statement, the version
# and the change; `report --against last` the same for a stored run. The
# "change" is made by editing the earlier run in the store (no server behaves
# differently from one night to the next here), and for real by a corpus that
# grew: a migration added before an existing one changes what it does.
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

# --- a corpus that grew: found by its root, matched by path and text ------------------
# Night 1: a table and a later migration that changes a column's type. Night 2:
# a migration added before that one creates an index on the column (so the
# ALTER now rewrites the index too), a statement is added before the ALTER in
# its file (the ALTER moves, its whitespace changes: still the same statement)
# and a migration is removed.
mkdir grow
printf 'CREATE TABLE g_items (id int, v int);\n' >grow/001_create.sql
printf 'ALTER TABLE g_items ALTER COLUMN v TYPE bigint;\n' >grow/003_widen.sql
printf 'SELECT 1;\n' >grow/004_note.sql
"$LM" run -q -V $V -d g.db --against last grow >g1.out 2>g1.err
check_eq "grown corpus, night 1: exit 0" "$?" 0
printf 'CREATE INDEX g_items_v_idx ON g_items (v);\n' >grow/002_index.sql
printf "COMMENT ON TABLE g_items IS 'wide';\nALTER TABLE g_items\n    ALTER COLUMN v TYPE bigint;\n" >grow/003_widen.sql
rm grow/004_note.sql
"$LM" run -q -V $V -d g.db --against last grow >g2.out 2>g2.err
check_eq "grown corpus, night 2: exit 1 (the ALTER's behaviour changed)" "$?" 1
sed 's/^/# /' g2.err g2.out
for v in 10 17; do
    check "names the moved ALTER at its new line, on $v, and the index it now rewrites" \
        grep -qE "^grow/003_widen.sql:2: \"ALTER TABLE g_items ALTER COLUMN v TYPE bigint\" on $v: rewrite changed: g_items -> g_items, g_items_v_idx \(now rewrites index g_items_v_idx\)\$" g2.err
done
check "compared with night 1" grep -qE '^against run 1: 2 statements compared, [1-9][0-9]* changes of observed behaviour \(migrations: 1 added, 1 removed; statements: 1 new, 0 gone;' g2.out
check "the added migration, apart" grep -qx 'against: migration added: grow/002_index.sql (1 statements)' g2.out
check "the removed migration, apart" grep -qx 'against: migration removed: grow/004_note.sql (1 statements)' g2.out
check "the new statement, apart" grep -qx "against: new statement: grow/003_widen.sql:1: \"COMMENT ON TABLE g_items IS 'wide'\"" g2.out
check "no change counted for the added or removed migrations' statements" \
    bash -c "! grep -qE '^grow/00[24]_' g2.err"

"$LM" report -d g.db --against last --format json >g.json 2>g.jerr
check_eq "report --against last of the grown corpus: exit 1" "$?" 1
check_eq "json: against run 1" "$(jq '.against.id' g.json)" 1
check_eq "json: migrations added" "$(jq -c '.migrations_added' g.json)" '[{"migration":"grow/002_index.sql","statements":1}]'
check_eq "json: migrations removed" "$(jq -c '.migrations_removed' g.json)" '[{"migration":"grow/004_note.sql","statements":1}]'
check_eq "json: the new statement, not a regression" \
    "$(jq -c '[.changes[] | select(.kind == "new") | [.migration, .line, .regression]]' g.json)" '[["grow/003_widen.sql",1,false]]'
check_eq "json: the rewrite change on 10 and 17, in words" \
    "$(jq -c '[.changes[] | select(.kind == "rewrite") | [.migration, .line, .version, .regression, .what]]' g.json)" \
    '[["grow/003_widen.sql",2,10,true,"now rewrites index g_items_v_idx"],["grow/003_widen.sql",2,17,true,"now rewrites index g_items_v_idx"]]'
check_eq "json: nothing counted but the ALTER's changes" \
    "$(jq '[.changes[] | select(.regression and (.migration != "grow/003_widen.sql" or .line != 2))] | length' g.json)" 0
"$LM" report -d g.db --against last --format text >g.txt 2>&1
check "text: the added migration listed apart" grep -qx '  grow/002_index.sql (1 statements)' g.txt
check "text: the rewrite in words" grep -qF '10 rewrite: g_items -> g_items, g_items_v_idx (now rewrites index g_items_v_idx)' g.txt

# the same growth, sharded: a shard compares with the same shard of the night before
rm grow/002_index.sql
printf 'ALTER TABLE g_items ALTER COLUMN v TYPE bigint;\n' >grow/003_widen.sql
"$LM" run -q -V $V -d gs.db --shard 1/2 grow >gs1.out 2>&1
"$LM" run -q -V $V -d gs.db --shard 2/2 grow >gs2.out 2>&1
printf 'CREATE INDEX g_items_v_idx ON g_items (v);\n' >grow/002_index.sql
"$LM" run -q -V $V -d gs.db --shard 1/2 --against last grow >gs3.out 2>gs3.err
check_eq "grown corpus, shard 1/2 against last: exit 1" "$?" 1
check "compared with shard 1/2 of the night before (run 1)" grep -q '^against run 1: ' gs3.out
check_eq "one version's change: that shard's job" \
    "$(grep -cE '^grow/003_widen.sql:1: .* rewrite changed: .*\(now rewrites index g_items_v_idx\)$' gs3.err)" 1

"$LM" run -q -V $V -d $db --against yesterday cases >/dev/null 2>bad.err
check_eq "--against yesterday: exit 2" "$?" 2
check "says what it takes" grep -q 'invalid --against "yesterday": last or a run id' bad.err
finish
