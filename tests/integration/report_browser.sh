#!/usr/bin/env bash
# The HTML report in headless Chromium: a synthetic run (tests/bench/mkrun.c,
# written through the store API, with a hostile migration) rendered with
# `report --format html`, loaded from file:// and driven over the DevTools
# protocol by tests/browser/check_html.js: matrix there, filters and sorting
# work, nothing of the migration executes. The screenshot is kept in
# build/test-artefacts/report-html.png.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

require_browser

check "mkrun builds" build_mkrun "$WORK/mkrun"

"$WORK/mkrun" "$WORK/lm.db" 60 --evil >"$WORK/expect.json"
check_eq "mkrun wrote a run" "$?" 0
"$LM" report -d "$WORK/lm.db" --format html -o "$WORK/report.html"
check_eq "report --format html" "$?" 0
check "the page is one file with no external asset" \
    bash -c "! grep -Eq '(src|href)=\"|https?://' '$WORK/report.html'"

browser_check check_html.js "$WORK/report.html" report-html.png "$WORK/expect.json"
finish
