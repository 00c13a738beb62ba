#!/usr/bin/env bash
# The replay of a migration that runs in one transaction: each statement is
# judged by the locks it requested (measured on a sibling database), not by
# what its transaction already held; `run --no-replay` leaves those requests
# unmeasured. On a real server (17).
. "$(dirname "$0")/lib.sh"

mig="$WORK/m"
mkdir -p "$mig"
cat >"$mig/000001_x.up.sql" <<'SQL'
CREATE TABLE a (id int PRIMARY KEY, v text);
ALTER TABLE a ADD COLUMN w int;
CREATE INDEX a_v ON a (v);
INSERT INTO a VALUES (1, 'x', 1);
INSERT INTO a VALUES (2, 'y', 2);
SQL
echo "DROP TABLE a;" >"$mig/000001_x.down.sql"

# from, verdict, the requested locks on a, and whether the transaction held
# AccessExclusiveLock on a before it, per statement on 17
summary() { # db
    "$LM" report -d "$1" --format json | jq -r '.statements[] | .results["17"] |
        [.requested.from, .verdict,
         ([.requested.locks[]? | select(.relation == "a") | .mode] | join("+")),
         ([.locks[] | select(.relation == "a" and .mode == "AccessExclusiveLock") | .held_before == true] | any)]
        | @tsv'
}

"$LM" run -q -V 17 -d "$WORK/r.db" "$mig" >"$WORK/r.out" 2>"$WORK/r.err"
check_eq "run exits 0" "$?" 0
check "verdicts: confirmed 5, nothing else" grep -qx "verdicts: confirmed 5" "$WORK/r.out"
summary "$WORK/r.db" >"$WORK/r.tab"
check_eq "each statement: its own requests (the first measured where it ran, the others by the replay)" \
    "$(cut -f1,2 "$WORK/r.tab" | tr '\t\n' ' ')" \
    "own confirmed replay confirmed replay confirmed replay confirmed replay confirmed "
check_eq "the INSERTs requested RowExclusiveLock on a, under the transaction's AccessExclusiveLock" \
    "$(sed -n '4,5p' "$WORK/r.tab" | cut -f3,4 | tr '\t\n' ' ')" \
    "RowExclusiveLock true RowExclusiveLock true "
check_eq "the ADD COLUMN requested AccessExclusiveLock on a" "$(sed -n 2p "$WORK/r.tab" | cut -f3)" \
    "AccessExclusiveLock"

"$LM" run -q -V 17 -d "$WORK/n.db" --no-replay "$mig" >"$WORK/n.out" 2>"$WORK/n.err"
check_eq "run --no-replay exits 0" "$?" 0
summary "$WORK/n.db" >"$WORK/n.tab"
check_eq "--no-replay: the statements after the first are unmeasured" \
    "$(cut -f1 "$WORK/n.tab" | tr '\n' ' ')" "own unmeasured unmeasured unmeasured unmeasured "
check "--no-replay: an unmeasured statement is never a mismatch for a weaker lock" \
    bash -c "! cut -f2 '$WORK/n.tab' | grep -q mismatch"
check_eq "--no-replay: the locks the transaction held are the same" \
    "$(cut -f4 "$WORK/n.tab" | tr '\n' ' ')" "$(cut -f4 "$WORK/r.tab" | tr '\n' ' ')"
"$LM" run --help >"$WORK/help.out"
check "--help names --no-replay" grep -q -- "--no-replay" "$WORK/help.out"
finish
