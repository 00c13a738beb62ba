#!/usr/bin/env bash
# Installs Debian's chromium for the HTML report's browser test when it is
# missing. Needs root (apt-get); retries while another apt/dpkg holds the lock,
# since other jobs on the machine may install packages at the same time.
#
#   scripts/setup-browser.sh        exit 0 when chromium is there afterwards
set -uo pipefail

find_chromium() {
    for c in chromium chromium-browser google-chrome; do
        if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
    done
    return 1
}

if p=$(find_chromium); then
    echo "chromium: $p"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "setup-browser: chromium is missing and installing it needs root" >&2
    exit 3
fi

export DEBIAN_FRONTEND=noninteractive
apt_retry() { # apt-get args...: retried while the dpkg/apt lock is held
    local i
    for i in $(seq 1 60); do
        if apt-get -o DPkg::Lock::Timeout=30 "$@"; then return 0; fi
        if fuser /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock >/dev/null 2>&1 ||
            pgrep -x dpkg >/dev/null || pgrep -x apt-get >/dev/null; then
            echo "setup-browser: apt is busy, retrying ($i)" >&2
            sleep 10
            continue
        fi
        return 1
    done
    return 1
}

if ! apt-cache policy chromium 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    apt_retry update -q || { echo "setup-browser: apt-get update failed" >&2; exit 3; }
fi
apt_retry install -y -q --no-install-recommends chromium fonts-dejavu-core ||
    { echo "setup-browser: could not install chromium" >&2; exit 3; }
p=$(find_chromium) || { echo "setup-browser: chromium still missing" >&2; exit 3; }
echo "chromium: $p"
