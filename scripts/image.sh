#!/bin/bash
# image.sh: build the lockmatrix image (the Dockerfile's layout) from local
# parts, for machines without access to a registry. Called by `make image`.
#
#   scripts/image.sh        image: $LOCKMATRIX_IMAGE (default lockmatrix:local)
#
# The root filesystem: lockmatrix installed with `make install` (binary,
# manual page, completions) under /usr/local, every PostgreSQL major of the
# cache ($LOCKMATRIX_CACHE/pg, default /var/cache/lockmatrix) under
# /var/cache/lockmatrix/pg without headers, static libraries or pkg-config
# files (identical files hard-linked once), this Debian machine's libraries
# they need (found with ldd, scripts/rootfs.sh), dash as /bin/sh, id, stat,
# setpriv, the users root, lockmatrix (the servers' user when lockmatrix runs
# as root) and nobody, and docker/lockmatrix-entrypoint.sh, which runs
# lockmatrix as the owner of the working directory /work. Imported with
# `lockmatrix docker-import` (ENTRYPOINT, WORKDIR, USER, ENV, LABEL).
#
# Idempotent: an image whose lockmatrix.build label matches the binary, the
# PostgreSQL versions and these scripts is kept. FORCE=1 rebuilds.
# Exit codes: 0 ok, 2 no PostgreSQL in the cache, 3 no engine / failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LM=${LM:-$ROOT/lockmatrix}
CACHE=${LOCKMATRIX_CACHE:-/var/cache/lockmatrix}
IMAGE=${LOCKMATRIX_IMAGE:-lockmatrix:local}
ENTRYPOINT=$ROOT/docker/lockmatrix-entrypoint.sh
HOST=${DOCKER_HOST:-unix:///var/run/docker.sock}

# shellcheck source=scripts/rootfs.sh
source "$ROOT/scripts/rootfs.sh"

SCRATCH=()
trap 'rm -rf "${SCRATCH[@]}"' EXIT

say() { echo "image: $*" >&2; }
die() { local c=$1; shift; say "$*"; exit "$c"; }

engine_connect

majors=()
for d in "$CACHE"/pg/*/native/bin/postgres; do
    [ -x "$d" ] || continue
    m=${d#"$CACHE"/pg/}; majors+=("${m%%/*}")
done
[ ${#majors[@]} -gt 0 ] ||
    die 2 "no PostgreSQL binaries under \"$CACHE/pg\" (make setup fills the cache)"

# What goes into the image: a change to any of it rebuilds.
make -s -C "$ROOT" lockmatrix >/dev/null || die 3 "could not build lockmatrix"
versions=""
for m in "${majors[@]}"; do
    versions+="$("$CACHE/pg/$m/native/bin/postgres" --version | awk '{print $NF}') "
done
want=$(cat "$ROOT/lockmatrix" "$ENTRYPOINT" "${BASH_SOURCE[0]}" "$ROOT/scripts/rootfs.sh" \
    "$ROOT/docs/lockmatrix.1" "$ROOT"/completions/* <(echo "$versions") | sha256sum | cut -c1-16)
inspect=$(curl -s -m 10 "${CURL_TO[@]}" "$BASE/images/$IMAGE/json")
have=$(sed -n 's/.*"lockmatrix.build":"\([^"]*\)".*/\1/p' <<<"$inspect")
old_id=$(sed -n 's/^{"Id":"\(sha256:[0-9a-f]*\)".*/\1/p' <<<"$inspect")
if [ "$have" = "$want" ] && [ "${FORCE:-0}" != 1 ]; then
    say "$IMAGE: up to date"
    exit 0
fi

t0=$SECONDS
root=$(mktemp -d /tmp/lockmatrix-image.XXXXXX)
SCRATCH+=("$root")
rootfs_init "$root"

# lockmatrix, its manual page and completions, as `make install` puts them
make -s -C "$ROOT" install DESTDIR="$root" PREFIX=/usr/local >/dev/null ||
    die 3 "make install DESTDIR=$root failed"
install -m 0755 "$ENTRYPOINT" "$root/usr/local/bin/lockmatrix-entrypoint"

# the PostgreSQL builds; templates are made at the first run, by whichever
# user runs lockmatrix
pg=$root/var/cache/lockmatrix/pg
rootfs_pg "$CACHE" "$root/var/cache/lockmatrix" "${majors[@]}"
chmod 1777 "$root/var/cache/lockmatrix"

# the shell, the entrypoint's tools, and every host library they,
# lockmatrix and PostgreSQL need
elves=("$root/usr/local/bin/lockmatrix")
mapfile -t -O 1 elves < <(rootfs_tools "$root" dash id stat setpriv)
elves+=("$pg"/*/native/bin/*)
mapfile -t -O ${#elves[@]} elves < <(find "$pg" -name '*.so*' -type f)
rootfs_libs "$root" "$pg" "${elves[@]}"

# users: root; lockmatrix, the servers' user when lockmatrix runs as root;
# nobody. The entrypoint adds the caller's uid when it has no entry (initdb
# needs one): /etc/passwd is writable, harmless in an image without setuid
# programs.
printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
    'lockmatrix:x:101:101:lockmatrix servers:/nonexistent:/usr/sbin/nologin' \
    'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin' >"$root/etc/passwd"
printf '%s\n' 'root:x:0:' 'lockmatrix:x:101:' 'nogroup:x:65534:' >"$root/etc/group"
chmod 0666 "$root/etc/passwd"
mkdir -p "$root/work" "$root/root"
chmod 0700 "$root/root"
chmod -R a+rX "$root/usr"

say "$IMAGE: building ($(du -sh "$root" | cut -f1) root filesystem, PostgreSQL ${majors[*]})"
rootfs_import "$root" "$IMAGE" \
    'ENTRYPOINT ["/usr/local/bin/lockmatrix-entrypoint"]' \
    'CMD ["--help"]' \
    'USER root' \
    'WORKDIR /work' \
    'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    'ENV LOCKMATRIX_CACHE=/var/cache/lockmatrix' \
    "LABEL lockmatrix.build=$want" ||
    die 3 "$IMAGE: import failed"
if [ -n "$old_id" ]; then
    curl -s -m 30 "${CURL_TO[@]}" -X DELETE "$BASE/images/$old_id" >/dev/null || true
fi
say "$IMAGE: imported in $((SECONDS - t0)) s"
