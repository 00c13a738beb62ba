#!/usr/bin/env bash
# The docker backend's error paths through the command line, for real: no
# engine, an image that does not exist, a container that exits at once, a
# server that never answers. Each gives a clear message, exit code 3, and
# leaves no container behind.
source "$(dirname "$0")/lib.sh"
source "$ROOT/docker/testlib.sh"
docker_require 17

mkdir -p "$WORK/c"
printf 'CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN c int;\n' >"$WORK/c/001.sql"
exits="lockmatrix-test:exits-$$"
sleeps="lockmatrix-test:sleeps-$$"
image_by_commit "$exits" '["/bin/sh", "-c", "echo fatal: this image exits at once >&2; exit 7"]'
image_by_commit "$sleeps" '["/bin/sh", "-c", "exec sleep 3600"]'
t_cleanup() {
    dapi DELETE "/images/$exits?force=1" >/dev/null
    dapi DELETE "/images/$sleeps?force=1" >/dev/null
    rm -rf "$WORK"
}

last_run() { sqlite3 "$1" 'SELECT max(id) FROM runs' 2>/dev/null; }

# case: name | environment | extra options | text expected on stderr
cases=(
    "no engine|DOCKER_HOST=unix://$WORK/nothing.sock||cannot reach the Docker engine at \"unix://$WORK/nothing.sock\""
    "no such image||--image lockmatrix-test/no-such:{major}|docker image \"lockmatrix-test/no-such:17\" is not available locally and could not be pulled"
    "exits at once||--image $exits|exited with code 7 before it was ready"
    "never answers|LOCKMATRIX_DOCKER_START_TIMEOUT_MS=2000|--image $sleeps|did not accept connections on 127.0.0.1:"
)
for c in "${cases[@]}"; do
    IFS='|' read -r name env opts want <<<"$c"
    db="$WORK/${name// /_}.db"
    t0=$SECONDS
    # shellcheck disable=SC2086
    env $env "$LM" run -q -b docker -V 17 -d "$db" $opts "$WORK/c" >"$db.out" 2>"$db.err"
    rc=$?
    check_eq "$name: exit code" "$rc" 3
    if grep -qF -- "$want" "$db.err"; then ok "$name: message"; else
        notok "$name: message: want '$want'"; sed 's/^/#   /' "$db.err" | head -20
    fi
    check "$name: within 60 s" test $((SECONDS - t0)) -lt 60
    run=$(last_run "$db")
    if [ -n "$run" ]; then
        check_eq "$name: no container of run $run left" "$(run_containers "$run")" 0
    fi
done
check "the log of the container that exits is shown" grep -q "fatal: this image exits at once" "$WORK/exits_at_once.db.err"
check_eq "no helper container left" "$(dapi GET '/containers/json?all=1&filters=%7B%22label%22%3A%5B%22lockmatrix.test%22%5D%7D' | jq length)" 0
finish
