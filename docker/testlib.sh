# Sourced by tests/integration/docker_*.sh after lib.sh: a Docker engine
# (started when possible), the local images, and Engine API calls with curl.
#
#   docker_require MAJOR...   engine + postgres:MAJOR-alpine images, or skip
#   dapi METHOD PATH [JSON]   an Engine API call; the answer on stdout
#   run_containers RUN        the number of containers labelled lockmatrix.run=RUN
#   image_by_commit REF ENTRYPOINT_JSON   an image from postgres:17-alpine with another entrypoint

DOCKER_HOST_URL=${DOCKER_HOST:-unix:///var/run/docker.sock}
case "$DOCKER_HOST_URL" in
unix://*) DAPI_TO=(--unix-socket "${DOCKER_HOST_URL#unix://}"); DAPI_BASE=http://localhost ;;
tcp://*) DAPI_TO=(); DAPI_BASE=http://${DOCKER_HOST_URL#tcp://} ;;
esac

dapi() { # method path [json]
    if [ $# -ge 3 ]; then
        curl -s -m 60 "${DAPI_TO[@]}" -X "$1" -H 'Content-Type: application/json' -d "$3" "$DAPI_BASE$2"
    else
        curl -s -m 60 "${DAPI_TO[@]}" -X "$1" "$DAPI_BASE$2"
    fi
}

docker_skip() {
    echo "ok - # SKIP $*"
    exit 0
}

docker_require() { # majors...
    if [ "$(dapi GET /_ping 2>/dev/null)" != OK ]; then
        local out
        if ! out=$("$ROOT/scripts/docker-setup.sh" 2>&1); then
            docker_skip "no Docker engine can be started here: $(echo "$out" | tail -n 3 | tr '\n' ' ')"
        fi
    fi
    local m missing=()
    for m in "$@"; do
        dapi GET "/images/postgres:$m-alpine/json" | grep -q '"Id"' || missing+=("$m")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        LM="$LM" "$ROOT/scripts/docker-images.sh" "${missing[@]}" >&2 || {
            notok "could not build the images postgres:{${missing[*]}}-alpine (make docker-images)"
            finish
        }
    fi
}

run_containers() { # run id
    local f
    f=$(jq -rn --arg l "lockmatrix.run=$1" '{label: [$l]} | @uri')
    dapi GET "/containers/json?all=1&filters=$f" | jq length
}

image_by_commit() { # ref entrypoint-json
    local id
    id=$(dapi POST /containers/create \
        "{\"Image\": \"postgres:17-alpine\", \"Entrypoint\": $2, \"Cmd\": [], \"Labels\": {\"lockmatrix.test\": \"helper\"}}" | jq -r .Id)
    dapi POST "/commit?container=$id&repo=${1%:*}&tag=${1##*:}" '{}' >/dev/null
    dapi DELETE "/containers/$id?force=1" >/dev/null
}

# The observations of a report (lockmatrix report --format json), normalised
# for comparing two runs: per statement and version the status, SQLSTATE,
# rewrites and catalog changes; the locks and scans too where they were
# captured inside the transaction (capture "tx": exact and repeatable; the
# observer's captures of CONCURRENTLY/VACUUM vary from run to run even on one
# backend). Temporary schemas are named for a backend slot: pg_temp_N.
normalise_report() { # json file
    jq -S '[.statements[] | {migration, index, sql, results: (.results | with_entries(.value |=
        (if .capture == "tx"
         then {status, error: (.error.sqlstate? // .error), rewrites, changes, capture,
               scans, locks: (.locks | map(.relation |= gsub("pg_temp_[0-9]+"; "pg_temp_N"))
                                     | sort_by(.relation, .locktype, .mode))}
         else {status, error: (.error.sqlstate? // .error), rewrites, changes, capture} end)))}]' "$1"
}
