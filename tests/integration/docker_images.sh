#!/usr/bin/env bash
# The local images of `make docker-images`: idempotent, configured like the
# official ones (user postgres, port 5432, entrypoint), the entrypoint
# honours POSTGRES_PASSWORD / POSTGRES_USER / POSTGRES_INITDB_ARGS and
# refuses to start without a password; PGDATA and the volume where the
# official image of the major has them.
source "$(dirname "$0")/lib.sh"
source "$ROOT/docker/testlib.sh"
# the oldest and the newest major: the data directory of the official
# images moved in 18 (the version map's third column), both layouts are seen
docker_require "$PG_MIN" "$PG_MAX"

for M in "$PG_MIN" "$PG_MAX"; do
echo "# postgres:$M-alpine"
t0=$SECONDS
out=$(LM="$LM" "$ROOT/scripts/docker-images.sh" "$M" 2>&1)
check_eq "docker-images.sh is idempotent (exit code)" "$?" 0
check "a second build keeps the image" grep -q "postgres:$M-alpine: up to date" <<<"$out"
check "and is quick" test $((SECONDS - t0)) -le 5

cfg=$(dapi GET /images/postgres:$M-alpine/json | jq -c .Config)
check_eq "runs as postgres" "$(jq -r .User <<<"$cfg")" postgres
check_eq "exposes 5432" "$(jq -c '.ExposedPorts | keys' <<<"$cfg")" '["5432/tcp"]'
check_eq "entrypoint" "$(jq -c .Entrypoint <<<"$cfg")" '["/docker-entrypoint.sh"]'
pgdata=$(pg_image_pgdata "$M")
if [ "$pgdata" = /var/lib/postgresql/data ]; then
    # up to 17: PGDATA in a directory of its own in data, no volume
    check_eq "$M: PGDATA is data/pgdata" "$(jq -r '.Env[] | select(startswith("PGDATA="))' <<<"$cfg")" PGDATA=/var/lib/postgresql/data/pgdata
    check_eq "$M: no volume" "$(jq -c '.Volumes // {} | keys' <<<"$cfg")" '[]'
    data=/var/lib/postgresql/data
else
    check_eq "$M: PGDATA where the official image has it" "$(jq -r '.Env[] | select(startswith("PGDATA="))' <<<"$cfg")" "PGDATA=$pgdata"
    check_eq "$M: the volume /var/lib/postgresql" "$(jq -c '.Volumes // {} | keys' <<<"$cfg")" '["/var/lib/postgresql"]'
    data=/var/lib/postgresql
fi
check "labelled with the PostgreSQL version it holds" grep -q "^$M\\.[0-9]*/" <<<"$(jq -r '.Labels["lockmatrix.build"]' <<<"$cfg")"

PSQL=""
for p in /usr/lib/postgresql/*/bin/psql "$(command -v psql 2>/dev/null)"; do [ -x "$p" ] && PSQL=$p; done

# start IMAGE ENV_JSON: a container with its port published; sets cid, port
start() {
    cid=$(dapi POST /containers/create "$(jq -nc --argjson env "$2" --arg image "$1" --arg data "$data" \
        '{Image: $image, Env: $env, Labels: {"lockmatrix.test": "images"}, ExposedPorts: {"5432/tcp": {}},
          HostConfig: {PortBindings: {"5432/tcp": [{HostIp: "127.0.0.1", HostPort: ""}]},
                       Tmpfs: {($data): "rw"}}}')" | jq -r .Id)
    dapi POST "/containers/$cid/start" >/dev/null
    port=$(dapi GET "/containers/$cid/json" | jq -r '.NetworkSettings.Ports["5432/tcp"][0].HostPort')
}
# query USER PASSWORD SQL: retries for 10 s
query() {
    local i
    for i in $(seq 1 50); do
        PGPASSWORD=$2 "$PSQL" -X -At "host=127.0.0.1 port=$port user=$1 dbname=postgres connect_timeout=2" -c "$3" 2>/dev/null && return 0
        sleep 0.2
    done
    return 1
}
logs() { dapi GET "/containers/$1/logs?stdout=1&stderr=1" | tr -d '\000-\010'; }

if [ -n "$PSQL" ]; then
    start postgres:$M-alpine '["POSTGRES_PASSWORD=it'\''s a \"secret\" %s"]'
    check_eq "template path: the password works" "$(query postgres "it's a \"secret\" %s" 'SELECT current_user')" postgres
    check "template path: a wrong password is refused" bash -c "! PGPASSWORD=nope '$PSQL' -X -At 'host=127.0.0.1 port=$port user=postgres dbname=postgres' -c 'SELECT 1' 2>/dev/null"
    check_eq "server runs as postgres, not root" "$(query postgres "it's a \"secret\" %s" "CREATE TEMP TABLE uid (u text); COPY uid FROM PROGRAM 'id -u'; SELECT u FROM uid" | tail -n 1)" 70
    log=$(logs "$cid")
    check "the container logged its start" grep -q "ready to accept connections" <<<"$log"
    check "the password is not in the log" bash -c '! grep -q secret <<<"$1"' _ "$log"
    dapi DELETE "/containers/$cid?force=1&v=1" >/dev/null

    start postgres:$M-alpine '["POSTGRES_PASSWORD=pw2", "POSTGRES_USER=alice", "POSTGRES_INITDB_ARGS=--data-checksums"]'
    check_eq "initdb path: POSTGRES_USER and POSTGRES_INITDB_ARGS" "$(query alice pw2 'SHOW data_checksums')" on
    dapi DELETE "/containers/$cid?force=1&v=1" >/dev/null
else
    echo "ok - # SKIP no psql on this machine for the connection checks"
fi

start postgres:$M-alpine '[]'
for _ in $(seq 1 50); do
    [ "$(dapi GET "/containers/$cid/json" | jq -r .State.Running)" = false ] && break
    sleep 0.1
done
check_eq "without POSTGRES_PASSWORD it exits 1" "$(dapi GET "/containers/$cid/json" | jq -r .State.ExitCode)" 1
check "and says why" grep -q "POSTGRES_PASSWORD is not set" <<<"$(logs "$cid")"
dapi DELETE "/containers/$cid?force=1&v=1" >/dev/null
check_eq "no test container left" "$(dapi GET '/containers/json?all=1&filters=%7B%22label%22%3A%5B%22lockmatrix.test%22%5D%7D' | jq length)" 0
done
finish
