#!/bin/bash
# docker-setup.sh: make sure a Docker engine answers on this machine.
#
#   - installs Debian's docker.io when dockerd is missing (apt-get, waiting
#     for the dpkg lock when another apt-get runs at the same time);
#   - starts dockerd as root in the background when no engine answers
#     (log: /var/log/lockmatrix-dockerd.log) and waits for /_ping;
#   - idempotent: does nothing when an engine already answers.
#
# Exit codes: 0 an engine answers, 3 no engine can be started (message on
# stderr). Honours DOCKER_HOST=unix:///path (tcp:// hosts are only checked:
# a remote engine cannot be started from here).
set -u

LOG=/var/log/lockmatrix-dockerd.log
PING_TIMEOUT=${LOCKMATRIX_DOCKERD_TIMEOUT:-60}   # seconds to wait for /_ping
LOCK_TIMEOUT=${LOCKMATRIX_APT_LOCK_TIMEOUT:-300} # seconds to wait for the dpkg lock

say() { echo "docker-setup: $*" >&2; }
fail() { say "$*"; exit 3; }

host=${DOCKER_HOST:-unix:///var/run/docker.sock}
case "$host" in
unix://*) sock=${host#unix://}; url=http://localhost/_ping; curl_to=(--unix-socket "$sock") ;;
tcp://*) sock=""; url=http://${host#tcp://}/_ping; curl_to=() ;;
*) fail "unsupported DOCKER_HOST \"$host\" (expected unix:///path or tcp://host:port)" ;;
esac

ping_ok() {
    [ "$(curl -s -m 3 "${curl_to[@]}" "$url" 2>/dev/null)" = "OK" ]
}

if ping_ok; then
    say "engine at $host answers"
    exit 0
fi
[ -n "$sock" ] || fail "cannot reach the Docker engine at \"$host\" (a tcp:// engine cannot be started from here)"
[ "$(id -u)" = 0 ] || fail "no Docker engine answers at \"$sock\" and starting dockerd needs root"

# ---- install --------------------------------------------------------------
if ! command -v dockerd >/dev/null 2>&1; then
    say "installing docker.io (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt_get() {
        # DPkg::Lock::Timeout waits for a concurrent apt-get/dpkg; retry a
        # few times as well for the lists lock that it does not cover.
        local i
        for i in 1 2 3 4 5 6; do
            apt-get -o DPkg::Lock::Timeout="$LOCK_TIMEOUT" "$@" && return 0
            say "apt-get $* failed (attempt $i), retrying in 10 s"
            sleep 10
        done
        return 1
    }
    if ! apt-cache show docker.io >/dev/null 2>&1; then
        apt_get update -q || fail "apt-get update failed"
    fi
    apt_get install -y -q --no-install-recommends docker.io iptables >/dev/null ||
        { apt_get update -q && apt_get install -y -q --no-install-recommends docker.io iptables >/dev/null; } ||
        fail "could not install docker.io with apt-get"
    command -v dockerd >/dev/null 2>&1 || fail "docker.io is installed but dockerd is not on PATH"
fi

# ---- start ----------------------------------------------------------------
# The package's service may not run (no systemd in containers/VMs like this
# one): start dockerd ourselves, detached from this shell.
if [ -n "$(pgrep -x dockerd)" ]; then
    say "dockerd runs but does not answer yet; waiting"
else
    say "starting dockerd (log: $LOG)"
    mkdir -p "$(dirname "$LOG")"
    args=(--host "unix://$sock")
    setsid nohup dockerd "${args[@]}" >>"$LOG" 2>&1 </dev/null &
fi

deadline=$((SECONDS + PING_TIMEOUT))
while ! ping_ok; do
    if [ $SECONDS -ge $deadline ]; then
        say "dockerd did not answer on \"$sock\" within ${PING_TIMEOUT}s; last lines of $LOG:"
        tail -n 15 "$LOG" >&2 2>/dev/null
        exit 3
    fi
    if [ -z "$(pgrep -x dockerd)" ]; then
        say "dockerd exited; last lines of $LOG:"
        tail -n 15 "$LOG" >&2 2>/dev/null
        exit 3
    fi
    sleep 0.5
done
say "engine at $host answers"
exit 0
