#!/bin/sh
# Entrypoint of the postgres:<major>-alpine images that `make docker-images`
# builds from local PostgreSQL binaries (scripts/docker-images.sh). It
# behaves like the official image's for what lockmatrix uses:
#   - POSTGRES_PASSWORD (required) becomes the password of POSTGRES_USER
#     (default postgres); TCP connections need it (scram-sha-256 from 14,
#     md5 before, since 10-13 store md5 passwords by default);
#   - `docker run IMAGE -c fsync=off` and `docker run IMAGE postgres -c ...`
#     both start the server with those options; any other command runs as is;
#   - the server listens on 5432 on every address; it runs as the
#     unprivileged user postgres (the image's USER), never as root.
# Only shell builtins are used (the image has dash and few tools). The
# password is never echoed.
set -eu

case "${1:-postgres}" in
-*) set -- postgres "$@" ;;
esac
[ $# -gt 0 ] || set -- postgres
if [ "$1" != postgres ]; then
    exec "$@"
fi
shift

: "${PGDATA:=/var/lib/postgresql/data/pgdata}"
: "${POSTGRES_USER:=postgres}"
export PGDATA

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "${POSTGRES_PASSWORD:-}" ]; then
        echo "error: the database is uninitialized and POSTGRES_PASSWORD is not set" >&2
        echo "  give it with -e POSTGRES_PASSWORD=..." >&2
        exit 1
    fi
    auth=scram-sha-256
    if [ "${PG_MAJOR:-14}" -lt 14 ]; then
        auth=md5
    fi
    umask 077
    pwfile="${PGDATA%/*}/.pwfile.$$"
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
    if ! initdb -D "$PGDATA" -U "$POSTGRES_USER" -E UTF8 --locale=C \
        --auth-local=trust --auth-host="$auth" --pwfile="$pwfile" -N >/dev/null; then
        : >"$pwfile"
        echo "error: initdb failed" >&2
        exit 1
    fi
    : >"$pwfile"
    rm -f "$pwfile" 2>/dev/null || true
    printf 'host all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"
    echo "initdb done: $PGDATA (encoding UTF8, locale C, $auth over TCP)"
fi
unset POSTGRES_PASSWORD

exec postgres -c listen_addresses='*' -c unix_socket_directories=/var/run/postgresql "$@"
