#!/usr/bin/env bash
# The lock table as a page and as Markdown: `locktable --format markdown`
# has every class of predict/locktable.tsv and every version;
# `--format html -o DIR` writes DIR/index.html, self-contained under the
# report's CSP; headless Chromium (tests/browser/check_locktable.js) types in
# its search box and uses its filters, each checked against the classes
# computed here from the TSV. The screenshot is kept in
# build/test-artefacts/locktable-page.png.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
TSV=predict/locktable.tsv

# the rows of the table: class first last mode rewrite scan others risk note
rows() { grep -v '^#' "$TSV" | tail -n +2; }
rows | cut -f1 | awk '!seen[$0]++' >"$WORK/classes"
first=$(rows | cut -f2 | sort -n | head -1)
last=$(rows | cut -f3 | sort -n | tail -1)

# ---- markdown ---------------------------------------------------------------
"$LM" locktable --format markdown >"$WORK/lt.md"
check_eq "locktable --format markdown" "$?" 0
missing=0
while IFS= read -r c; do
    # the class as render_md writes it: \ ` * _ [ ] | ~ # escaped
    esc=$(printf '%s' "$c" | sed 's/[][\\`*_|~#]/\\&/g')
    grep -qF "| $esc |" "$WORK/lt.md" || { missing=$((missing + 1)); echo "# missing: $c"; }
done <"$WORK/classes"
check_eq "every class of the TSV has its row ($(wc -l <"$WORK/classes"))" "$missing" 0
head=$(grep -m1 '^| class |' "$WORK/lt.md")
want="| class |$(seq -s ' |' "$first" "$last" | sed 's/^/ /;s/ |/ | /g') |"
check "a column per version $first-$last: $head" bash -c "[[ '$head' == '$want'* ]]"
check "the fixture cases are linked" grep -qF '(fixtures/cases/add_column_default_constant.sql#L9)' "$WORK/lt.md"
"$LM" locktable --format markdown --link-base https://example.org/src/ >"$WORK/lt2.md"
check "--link-base prefixes the links" \
    grep -qF '(https://example.org/src/fixtures/cases/add_column_default_constant.sql#L9)' "$WORK/lt2.md"
"$LM" locktable --format markdown --cases "$WORK/nowhere" >/dev/null 2>"$WORK/err"
check_eq "--cases that does not exist: usage error" "$?" 2

# ---- evidence from a traced run (-d): a synthetic run written through the
# store API (tests/bench/mkrun.c)
check "mkrun builds" build_mkrun "$WORK/mkrun"
"$WORK/mkrun" "$WORK/lm.db" 20 >"$WORK/mkrun.json"
check_eq "mkrun wrote a run" "$?" 0
"$LM" locktable --format markdown -d "$WORK/lm.db" >"$WORK/run.md"
check_eq "locktable --format markdown -d DB" "$?" 0
check "the run and its servers are named" grep -qF "evidence: run 1 in $WORK/lm.db; servers 10: 10.23, 11: 11.22" "$WORK/run.md"
check "a class links its observations: file:line on versions" grep -qF \
    '| [00001\_step.sql:1](db/migrations/00001_step.sql#L1) on 10-17<br>[00002\_step.sql:1](db/migrations/00002_step.sql#L1) on 10-17 |' \
    "$WORK/run.md"
"$LM" locktable --format html -d "$WORK/lm.db" >"$WORK/run.html"
check "html: the link's title names each version's server" \
    grep -qF 'title="db/migrations/00001_step.sql on 10: 10.23, 11: 11.22, 12: 12.22' "$WORK/run.html"
"$LM" locktable --format html -d "$WORK/nothing.db" >/dev/null 2>&1
check_eq "-d with a store that does not exist: usage error" "$?" 2

# ---- html -------------------------------------------------------------------
"$LM" locktable --format html -o "$WORK/lt"
check_eq "locktable --format html -o DIR" "$?" 0
page=$WORK/lt/index.html
check "DIR/index.html written" test -s "$page"
check "no external asset (no src=, no http(s) link)" \
    bash -c "! grep -Eq 'src=|(src|href)=\"https?:|https?://' '$page'"
check "the CSP of the report" grep -qF "content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\"" "$page"
"$LM" locktable --format html -o "$WORK/one.html"
check "-o FILE.html writes the file" cmp -s "$page" "$WORK/one.html"
"$LM" locktable --format html | cmp -s - "$page"
check_eq "no -o: the page on stdout" "$?" 0
"$LM" locktable --format html --check >/dev/null 2>&1
check_eq "--format html with --check: usage error" "$?" 2

# ---- what the page's filters must show, from the TSV --------------------------
json_list() { # lines on stdin -> a JSON array of strings
    awk 'BEGIN{printf "["} {gsub(/\\/,"\\\\");gsub(/"/,"\\\"");printf "%s\"%s\"", (NR > 1 ? "," : ""), $0} END{printf "]"}'
}
# classes that block writes (ShareLock or stronger on the target) on $1 and
# have a row on $2 that does not
blocks_writes_not() {
    rows | awk -F'\t' -v a="$1" -v b="$2" '
        function w(m) { return m ~ /^(ShareLock|ShareRowExclusiveLock|ExclusiveLock|AccessExclusiveLock)$/ }
        $2 <= a && a <= $3 && w($4) { A[$1] = 1 }
        $2 <= b && b <= $3 && !w($4) { B[$1] = 1 }
        END { for (c in A) if (c in B) print c }'
}
blocks_writes_not 10 12 >"$WORK/writes"
check "some class blocks writes on 10 but not on 12 ($(wc -l <"$WORK/writes"))" test -s "$WORK/writes"
grep -i 'concurrently' "$WORK/classes" >"$WORK/search"
rows | awk -F'\t' '$8 == "critical" && !s[$1]++ { print $1 }' >"$WORK/critical"
rows | awk -F'\t' '$5 == "yes" && !s[$1]++ { print $1 }' >"$WORK/rewrite"
cat >"$WORK/expect.json" <<JSON
{"classes": $(json_list <"$WORK/classes"),
 "versions": [$(seq -s, "$first" "$last")],
 "search": {"text": "concurrently", "classes": $(json_list <"$WORK/search")},
 "writes": {"a": 10, "b": 12, "classes": $(json_list <"$WORK/writes")},
 "critical": $(json_list <"$WORK/critical"),
 "rewrite": $(json_list <"$WORK/rewrite")}
JSON

# ---- in the browser --------------------------------------------------------------
require_browser
browser_check check_locktable.js "$page" locktable-page.png "$WORK/expect.json"
finish
