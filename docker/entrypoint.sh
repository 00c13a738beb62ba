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
#     unprivileged user postgres (the image's USER), never as root;
#   - POSTGRES_USER and POSTGRES_INITDB_ARGS are honoured (initdb at start);
#     with neither, the cluster is a copy of the template that initdb made
#     when the image was built, with the password set at start.
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

auth=scram-sha-256
if [ "${PG_MAJOR:-14}" -lt 14 ]; then
    auth=md5
fi
# outside /var/lib/postgresql: the volume of the 18 and later layout
TEMPLATE=/usr/local/pgsql/template

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "${POSTGRES_PASSWORD:-}" ]; then
        echo "error: the database is uninitialized and POSTGRES_PASSWORD is not set" >&2
        echo "  give it with -e POSTGRES_PASSWORD=..." >&2
        exit 1
    fi
    umask 077
    if [ -s "$TEMPLATE/PG_VERSION" ] && [ "$POSTGRES_USER" = postgres ] &&
        [ -z "${POSTGRES_INITDB_ARGS:-}" ]; then
        # Fast path: a copy of the cluster initdb made when the image was
        # built (same options as below), then the password set in
        # single-user mode: ~0.1 s instead of ~0.5 s for initdb.
        mkdir -p "$PGDATA"
        chmod 700 "$PGDATA"
        cp -a "$TEMPLATE/." "$PGDATA/"
        # the password as a SQL literal: every ' doubled
        q='' rest=$POSTGRES_PASSWORD
        while :; do
            case $rest in
            *\'*) q="$q${rest%%\'*}''"; rest=${rest#*\'} ;;
            *) q="$q$rest"; break ;;
            esac
        done
        if ! printf "ALTER ROLE postgres PASSWORD '%s'\n" "$q" |
            postgres --single -D "$PGDATA" -c fsync=off -c log_min_error_statement=panic \
                -c log_min_messages=warning postgres >/dev/null; then
            echo "error: could not set the password" >&2
            exit 1
        fi
        unset q rest
        echo "cluster ready: $PGDATA (from the image's template; encoding UTF8, locale C, $auth over TCP)"
    else
        # PGDATA's directory may not exist yet (18 and later:
        # /var/lib/postgresql/<major>/docker on an empty volume)
        mkdir -p "${PGDATA%/*}"
        pwfile="${PGDATA%/*}/.pwfile.$$"
        printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
        # shellcheck disable=SC2086
        if ! initdb -D "$PGDATA" -U "$POSTGRES_USER" -E UTF8 --locale=C \
            --auth-local=trust --auth-host="$auth" --pwfile="$pwfile" -N \
            ${POSTGRES_INITDB_ARGS:-} >/dev/null; then
            : >"$pwfile"
            echo "error: initdb failed" >&2
            exit 1
        fi
        : >"$pwfile"
        rm -f "$pwfile" 2>/dev/null || true
        printf 'host all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"
        echo "initdb done: $PGDATA (encoding UTF8, locale C, $auth over TCP)"
    fi
fi
unset POSTGRES_PASSWORD

exec postgres -c listen_addresses='*' -c unix_socket_directories=/var/run/postgresql "$@"
