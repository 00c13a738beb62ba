#!/usr/bin/env bash
# The lockmatrix image (make image → scripts/image.sh): built through the
# real engine, it traces a few fixture cases with the embedded backend
# inside the container, and the store in the mounted directory belongs to
# the directory's owner whether the container runs as root (the default)
# or with --user.
source "$(dirname "$0")/lib.sh"
source "$ROOT/docker/testlib.sh"

# The Dockerfile (built by users; no registry here): its instructions, with
# continuation lines joined, are known ones; the JSON forms parse; the
# files it copies exist; both stages are Debian bookworm; the runtime stage
# has the entrypoint, working directory and cache of the local image.
awk '/^[[:space:]]*#/ {next} { if (sub(/\\$/, "")) { buf = buf $0; next } print buf $0; buf = "" }' \
    "$ROOT/Dockerfile" | grep -v '^[[:space:]]*$' >"$WORK/instructions"
bad=$(grep -Ev '^(FROM|ARG|ENV|WORKDIR|COPY|RUN|SHELL|ENTRYPOINT|CMD|USER|LABEL|EXPOSE) ' "$WORK/instructions")
check_eq "Dockerfile: only known instructions" "$bad" ""
check_eq "Dockerfile: two stages from debian:bookworm-slim" \
    "$(grep '^FROM ' "$WORK/instructions" | awk '{print $2}' | tr '\n' ' ')" "debian:bookworm-slim debian:bookworm-slim "
json_ok=1
while read -r _ j; do jq -e 'type == "array"' <<<"$j" >/dev/null 2>&1 || json_ok=0; done \
    < <(grep -E '^(ENTRYPOINT|CMD|SHELL) ' "$WORK/instructions")
check_eq "Dockerfile: ENTRYPOINT, CMD and SHELL are JSON arrays" "$json_ok" 1
missing=""
while read -r _ src _; do
    [ "$src" = . ] || [ -e "$ROOT/$src" ] || missing+="$src "
done < <(grep '^COPY ' "$WORK/instructions" | grep -v -- '--from=')
check_eq "Dockerfile: the files it copies exist" "$missing" ""
final=$(awk '/^FROM / {n++} n == 2' "$WORK/instructions")
check_eq "Dockerfile: entrypoint" "$(sed -n 's/^ENTRYPOINT //p' <<<"$final")" '["/usr/local/bin/lockmatrix-entrypoint"]'
check_eq "Dockerfile: working directory" "$(sed -n 's/^WORKDIR //p' <<<"$final")" /work
check "Dockerfile: the cache" grep -qx 'ENV LOCKMATRIX_CACHE=/var/cache/lockmatrix' <<<"$final"
check "Dockerfile: the PostgreSQL builds of make setup" grep -q '^RUN scripts/setup.sh$' "$WORK/instructions"

if [ "$(dapi GET /_ping 2>/dev/null)" != OK ]; then
    out=$("$ROOT/scripts/docker-setup.sh" 2>&1) ||
        docker_skip "no Docker engine can be started here: $(echo "$out" | tail -n 3 | tr '\n' ' ')"
fi
IMAGE=lockmatrix:local
LM="$LM" LOCKMATRIX_IMAGE=$IMAGE "$ROOT/scripts/image.sh" >"$WORK/build.log" 2>&1
check_eq "scripts/image.sh exits 0" "$?" 0 || sed 's/^/# /' "$WORK/build.log"

cfg=$(dapi GET "/images/$IMAGE/json" | jq -c .Config)
check_eq "entrypoint" "$(jq -c .Entrypoint <<<"$cfg")" '["/usr/local/bin/lockmatrix-entrypoint"]'
check_eq "working directory" "$(jq -r .WorkingDir <<<"$cfg")" /work
check "labelled with what it was built from" test -n "$(jq -r '.Labels["lockmatrix.build"] // empty' <<<"$cfg")"

# docker run ARGS...: a container labelled for this test, removed at the end
# (with the docker CLI when there is one, else through the Engine API)
drun() {
    if command -v docker >/dev/null 2>&1; then
        docker run --rm --label lockmatrix.test=image "$@"
        return
    fi
    local user="" vol="" a
    while [ $# -gt 0 ]; do
        case $1 in
        --user) user=$2; shift 2 ;;
        -v) vol=$2; shift 2 ;;
        *) break ;;
        esac
    done
    local cid rc
    cid=$(dapi POST /containers/create "$(jq -nc --arg u "$user" --arg v "$vol" --arg i "$1" \
        --args '{Image: $i, Cmd: $ARGS.positional, User: $u, Labels: {"lockmatrix.test": "image"},
                 HostConfig: {Binds: (if $v == "" then [] else [$v] end)}}' "${@:2}")" | jq -r .Id)
    dapi POST "/containers/$cid/start" >/dev/null
    rc=$(dapi POST "/containers/$cid/wait" | jq -r .StatusCode)
    a=$(dapi GET "/containers/$cid/logs?stdout=1&stderr=1" | tr -d '\000-\010')
    printf '%s\n' "$a"
    dapi DELETE "/containers/$cid?force=1" >/dev/null
    return "$rc"
}

out=$(drun "$IMAGE" --version 2>&1)
check_eq "lockmatrix --version in the image exits 0" "$?" 0
check "and names itself" grep -q '^lockmatrix [0-9]' <<<"$out"
# lockmatrix finds every major of the cache the image was built from
want=$(cd "${LOCKMATRIX_CACHE:-/var/cache/lockmatrix}/pg" && for d in */native/bin/postgres; do echo "${d%%/*}"; done | sort -n | tr '\n' ' ')
check_eq "PostgreSQL builds in the image" "$(drun "$IMAGE" pg 2>&1 | awk 'NR > 1 && $NF == "cache" {print $1}' | sort -n | tr '\n' ' ')" "$want"

cases=(add_check_constraint add_column_default_constant add_column_identity)
# A mounted directory owned by uid 1234 (not root, no user on the host or
# in the image), with three fixture cases.
for who in root user; do
    w=$WORK/$who
    mkdir -p "$w/m"
    for c in "${cases[@]}"; do cp "$ROOT/fixtures/cases/$c.sql" "$w/m/"; done
    chown -R 1234:1234 "$w"
    as=()
    [ $who = user ] && as=(--user 1234:1234)
    t0=$SECONDS
    out=$(drun "${as[@]}" -v "$w:/work" "$IMAGE" run -V 17 m/ 2>&1)
    check_eq "run as $who exits 0" "$?" 0 || sed 's/^/# /' <<<"$out"
    check "as $who: statements traced" grep -q ' [1-9][0-9]* statements traced' <<<"$out"
    check_eq "as $who: the store belongs to the directory's owner" "$(stat -c %u:%g "$w/lockmatrix.db")" 1234:1234
    n=$(sqlite3 "$w/lockmatrix.db" 'SELECT count(*) FROM traces' 2>/dev/null || echo 0)
    check "as $who: the store holds traces ($n)" test "$n" -gt 0
    drun "${as[@]}" -v "$w:/work" "$IMAGE" report --format json -o report.json >"$WORK/$who.report" 2>&1
    check_eq "as $who: report --format json exits 0" "$?" 0
    check_eq "as $who: the report has version 17" \
        "$(jq -c '[.statements[].results | keys] | add | unique' "$w/report.json" 2>/dev/null)" '["17"]'
    check_eq "as $who: the report belongs to the directory's owner" "$(stat -c %u "$w/report.json" 2>/dev/null)" 1234
    echo "# $who: run and report in $((SECONDS - t0)) s"
done

f=$(jq -rn '{label: ["lockmatrix.test=image"]} | @uri')
check_eq "no test container left" "$(dapi GET "/containers/json?all=1&filters=$f" | jq length)" 0
finish
