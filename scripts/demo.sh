#!/usr/bin/env bash
# make demo: trace the bundled fixture corpus on every PostgreSQL major of the
# version map (model/versions.tsv; lockmatrix run's default) and print
# the report. The store is ./lockmatrix.db, so `./lockmatrix report` works after.
set -euo pipefail
cd "$(dirname "$0")/.."
./lockmatrix pg
./lockmatrix run fixtures/cases || rc=$?
rc=${rc:-0}
if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then exit "$rc"; fi
if ./lockmatrix report --format text >/dev/null 2>&1; then
    ./lockmatrix report --format text
else
    ./lockmatrix report --format json
fi
