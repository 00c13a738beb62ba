#!/usr/bin/env bash
# lockmatrix facts: read from an embedded server of every major, PostgreSQL's
# facts agree with the built-in copy (predict/facts.tsv as built); a copy
# with one row changed is refused, naming the line; -o writes the facts of
# the versions asked; options that do not go together are refused.
source "$(dirname "$0")/lib.sh"

# --- --check against every major -------------------------------------------
"$LM" facts --check >"$WORK/check.out" 2>"$WORK/check.err"
check_eq "facts --check exits 0 (predict/facts.tsv is current: lockmatrix facts --update)" "$?" 0
check "says the built-in facts agree with $PG_ALL" \
    grep -qE "^facts: the built-in facts agree with PostgreSQL $PG_ALL \([0-9]+ rows\)$" "$WORK/check.out"
for v in "${PG_VERSIONS[@]}"; do
    check "progress on stderr for $v" grep -qE "^lockmatrix: facts: PostgreSQL $v: [0-9]+ facts in " "$WORK/check.err"
done

# --- -o: the newest major's facts ------------------------------------------
"$LM" facts -V "$PG_MAX" -o "$WORK/newest.tsv" 2>"$WORK/o.err"
check_eq "facts -V $PG_MAX -o exits 0" "$?" 0
check "-o: the header says how the file is made" grep -q 'lockmatrix facts --update' "$WORK/newest.tsv"
check_eq "-o: every row is of $PG_MAX alone" \
    "$(awk -F'\t' '!/^#/ && ($2 != v || $3 != v)' v="$PG_MAX" "$WORK/newest.tsv" | head -3)" ""
check_eq "-o: timestamp -> timestamptz keeps the table under UTC, rewrites it under another zone" \
    "$(awk -F'\t' '$1 == "typechange" && $4 == "timestamp" && $5 == "timestamptz" && $6 == "plain" { print $8 ":" $9 }' "$WORK/newest.tsv" | sort | tr '\n' ' ')" \
    "non-utc:yes utc:no "
check_eq "-o: varchar(10) -> varchar(20) keeps the table, varchar(20) -> varchar(10) rewrites it" \
    "$(awk -F'\t' '$1 == "typechange" && $4 == "varchar" && $5 == "varchar" && $7 == "-" && ($6 == "wider" || $6 == "narrower") { print $6 ":" $9 }' "$WORK/newest.tsv" | sort | tr '\n' ' ')" \
    "narrower:yes wider:no "

# --- --check --facts: a file with one row changed --------------------------
awk -F'\t' -v OFS='\t' '!done && $1 == "typechange" && $4 == "int4" && $5 == "int8" && $7 == "-" { $9 = "no"; done = 1 } { print }' \
    "$WORK/newest.tsv" >"$WORK/changed.tsv"
line=$(grep -n $'^typechange\t[0-9]*\t[0-9]*\tint4\tint8\tplain\t-\t' "$WORK/changed.tsv" | head -1 | cut -d: -f1)
"$LM" facts -V "$PG_MAX" --check --facts "$WORK/changed.tsv" >"$WORK/bad.out" 2>"$WORK/bad.err"
check_eq "--check of a changed copy exits 1" "$?" 1
check "names the file and the line" \
    grep -qF "lockmatrix: facts: the facts of \"$WORK/changed.tsv\" differ from PostgreSQL $PG_MAX at line $line:" "$WORK/bad.err"
check "shows the file's row" grep -qP '^  file:    typechange\t.*\tint4\tint8\tplain\t-\tany\tno\t' "$WORK/bad.err"
check "shows the servers' row" grep -qP '^  servers: typechange\t.*\tint4\tint8\tplain\t-\tany\tyes\t' "$WORK/bad.err"
"$LM" facts -V "$PG_MAX" --check --facts "$WORK/newest.tsv" >/dev/null 2>&1
check_eq "--check of the file -o wrote exits 0" "$?" 0

# --- usage errors -----------------------------------------------------------
"$LM" facts --check --update >/dev/null 2>"$WORK/u1.err"
check_eq "--check --update: exit 2" "$?" 2
check "--check --update: exclude each other" grep -q 'exclude each other' "$WORK/u1.err"
"$LM" facts -V "$PG_MAX.1" >/dev/null 2>"$WORK/u2.err"
check_eq "a minor release: exit 2" "$?" 2
check "a minor release: facts are per major" grep -q 'facts are per major' "$WORK/u2.err"
"$LM" facts --facts "$WORK/newest.tsv" >/dev/null 2>"$WORK/u3.err"
check_eq "--facts without --check: exit 2" "$?" 2
check "--facts without --check: said" grep -q -- '--facts goes with --check' "$WORK/u3.err"

finish
