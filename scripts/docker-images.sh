#!/bin/bash
# docker-images.sh: build local postgres:<major>-alpine images from the
# PostgreSQL binaries of the embedded cache, for machines without access to
# a registry (these ones, air-gapped CI). Called by `make docker-images`.
#
#   scripts/docker-images.sh [MAJOR...]     default: every major in the cache
#
# Binaries: $LOCKMATRIX_CACHE/pg/<major>/native/{bin,lib,share} (default
# cache /var/cache/lockmatrix). The image's root filesystem is made from
# this Debian machine's own libraries (those the binaries need, found with
# ldd), dash as /bin/sh, a few coreutils, a passwd file with the postgres
# user (uid 70, like the official alpine images) and docker/entrypoint.sh;
# `lockmatrix docker-import` streams it gzip-compressed (zlib) to the Engine
# API's import endpoint. Tags: postgres:<major>-alpine (override the repo
# and tag with LOCKMATRIX_IMAGE_TMPL, default "postgres:{major}-alpine").
#
# Idempotent: an image whose lockmatrix.build label matches the binaries'
# version and this script's revision is kept. FORCE=1 rebuilds.
# Exit codes: 0 ok, 2 usage (no binaries for a major), 3 no engine / failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LM=${LM:-$ROOT/lockmatrix}
CACHE=${LOCKMATRIX_CACHE:-/var/cache/lockmatrix}
TMPL=${LOCKMATRIX_IMAGE_TMPL:-'postgres:{major}-alpine'}
ENTRYPOINT=$ROOT/docker/entrypoint.sh
HOST=${DOCKER_HOST:-unix:///var/run/docker.sock}

# shellcheck source=scripts/rootfs.sh
source "$ROOT/scripts/rootfs.sh"
# shellcheck source=scripts/versions.sh
source "$ROOT/scripts/versions.sh"

# temporary directories, removed however the script ends
SCRATCH=()
trap 'rm -rf "${SCRATCH[@]}"' EXIT

say() { echo "docker-images: $*" >&2; }
die() { local c=$1; shift; say "$*"; exit "$c"; }

engine_connect

# The revision of what goes into an image: a change to the entrypoint or to
# this script rebuilds the images.
REV=$(cat "$ENTRYPOINT" "${BASH_SOURCE[0]}" "$ROOT/scripts/rootfs.sh" "$PG_VERSION_MAP" | sha256sum | cut -c1-12)

majors=("$@")
if [ ${#majors[@]} -eq 0 ]; then
    for d in "$CACHE"/pg/*/native/bin/postgres; do
        [ -x "$d" ] || continue
        m=${d#"$CACHE"/pg/}; majors+=("${m%%/*}")
    done
    [ ${#majors[@]} -gt 0 ] ||
        die 2 "no PostgreSQL binaries under \"$CACHE/pg\" (make setup fills the cache; LOCKMATRIX_CACHE points elsewhere)"
fi

build_one() {
    local major=$1
    local native=$CACHE/pg/$major/native
    [ -x "$native/bin/postgres" ] || die 2 "no PostgreSQL $major binaries at \"$native/bin\""
    local version
    version=$("$native/bin/postgres" --version | awk '{print $NF}')
    local image=${TMPL//\{major\}/$major}
    local repo=${image%:*} tag=${image##*:}
    local want="$version/$REV"
    local have old_id inspect
    inspect=$(curl -s -m 10 "${CURL_TO[@]}" "$BASE/images/$image/json")
    have=$(sed -n 's/.*"lockmatrix.build":"\([^"]*\)".*/\1/p' <<<"$inspect")
    old_id=$(sed -n 's/^{"Id":"\(sha256:[0-9a-f]*\)".*/\1/p' <<<"$inspect")
    if [ "$have" = "$want" ] && [ "${FORCE:-0}" != 1 ]; then
        say "$image: up to date (PostgreSQL $version)"
        return 0
    fi

    local t0=$SECONDS
    local root
    root=$(mktemp -d /tmp/lockmatrix-rootfs.XXXXXX)
    SCRATCH+=("$root")

    rootfs_init "$root"

    # PostgreSQL itself (no static libraries, headers or pkg-config files)
    mkdir -p "$root/usr/local/pgsql/lib"
    cp -a "$native/bin" "$native/share" "$root/usr/local/pgsql/"
    tar -C "$native/lib" --exclude='*.a' --exclude=pkgconfig -cf - . | tar -C "$root/usr/local/pgsql/lib" -xf -

    # the shell, a few tools, and every host library they and PostgreSQL need
    local elves=()
    mapfile -t elves < <(rootfs_tools "$root" dash sleep cat rm mkdir ls id env cp chmod)
    elves+=("$native"/bin/*)
    mapfile -t -O ${#elves[@]} elves < <(find "$native/lib" -name '*.so*' -type f)
    rootfs_libs "$root" "$native" "${elves[@]}"

    # users, directories, entrypoint
    mkdir -p "$root/var/lib/postgresql/data" "$root/var/run/postgresql"
    printf 'root:x:0:0:root:/root:/bin/sh\npostgres:x:70:70:PostgreSQL:/var/lib/postgresql:/bin/sh\n' >"$root/etc/passwd"
    printf 'root:x:0:\npostgres:x:70:\n' >"$root/etc/group"
    chown -R 70:70 "$root/var/lib/postgresql" "$root/var/run/postgresql"
    # The data directory where the official image of the major has it (the
    # version map's third column): up to 17 PGDATA is /var/lib/postgresql/data
    # (here data/pgdata, data itself root-owned 1777 so that the server user
    # can create pgdata in it, and in a tmpfs mounted on it: Docker gives a
    # tmpfs the mode, not the owner, of the directory); from 18 it is
    # /var/lib/postgresql/<major>/docker under the volume /var/lib/postgresql,
    # root-owned 1777 for the same reason. The docker backend mounts its
    # tmpfs on the volume that holds PGDATA, else on PGDATA's directory.
    local pgdata layout=()
    pgdata=$(pg_image_pgdata "$major") || die 2 "major $major is not in the version map ($PG_VERSION_MAP)"
    if [ "$pgdata" = /var/lib/postgresql/data ]; then
        chown 0:0 "$root/var/lib/postgresql/data"
        chmod 1777 "$root/var/lib/postgresql/data"
        layout=('ENV PGDATA=/var/lib/postgresql/data/pgdata')
    else
        rmdir "$root/var/lib/postgresql/data"
        chown 0:0 "$root/var/lib/postgresql"
        chmod 1777 "$root/var/lib/postgresql"
        layout=("ENV PGDATA=$pgdata" 'VOLUME /var/lib/postgresql')
    fi
    chmod 2777 "$root/var/run/postgresql"
    install -m 0755 "$ENTRYPOINT" "$root/docker-entrypoint.sh"

    # A template cluster made now, with the options the entrypoint uses, so
    # that a container copies it instead of running initdb (the entrypoint
    # sets the real password). initdb runs as an unprivileged user with no
    # `locale` on its PATH, as in the image, so that its catalog is the one
    # initdb would make in a container.
    if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1; then
        local auth=scram-sha-256 work
        [ "$major" -lt 14 ] && auth=md5
        work=$(mktemp -d /tmp/lockmatrix-initdb.XXXXXX)
        SCRATCH+=("$work")
        chown postgres "$work"
        head -c 18 /dev/urandom | base64 >"$work/pw"
        chown postgres "$work/pw"
        if runuser -u postgres -- env -i PATH=/nonexistent-lockmatrix TZ=UTC LANG=C \
            "$native/bin/initdb" -D "$work/data" -U postgres -E UTF8 --locale=C \
            --auth-local=trust --auth-host="$auth" --pwfile="$work/pw" -N >"$work/log" 2>&1; then
            printf 'host all all all %s\n' "$auth" >>"$work/data/pg_hba.conf"
            mv "$work/data" "$root/usr/local/pgsql/template"
            chown -R 70:70 "$root/usr/local/pgsql/template"
            chmod 700 "$root/usr/local/pgsql/template"
        else
            say "$image: no template cluster (initdb failed: $(tail -n 2 "$work/log" | tr '\n' ' ')); containers will run initdb"
        fi
        rm -rf "$work"
    fi
    chmod -R a+rX "$root/usr"
    # the template is a data directory: the server's user only (cp -a gives
    # the copy its modes; postgres refuses a group- or world-readable one)
    if [ -d "$root/usr/local/pgsql/template" ]; then chmod -R go-rwx "$root/usr/local/pgsql/template"; fi

    say "$image: building from PostgreSQL $version ($(du -sh "$root" | cut -f1) root filesystem)"
    rootfs_import "$root" "$repo:$tag" \
        'ENTRYPOINT ["/docker-entrypoint.sh"]' \
        'CMD ["postgres"]' \
        'USER postgres' \
        'ENV PATH=/usr/local/pgsql/bin:/usr/local/bin:/usr/bin:/bin' \
        "${layout[@]}" \
        "ENV PG_MAJOR=$major" \
        "ENV PG_VERSION=$version" \
        'EXPOSE 5432' \
        "LABEL lockmatrix.build=$want" ||
        die 3 "$image: import failed"
    # the image it replaces, now untagged (kept when a container still uses it)
    if [ -n "$old_id" ]; then
        curl -s -m 30 "${CURL_TO[@]}" -X DELETE "$BASE/images/$old_id" >/dev/null || true
    fi
    rm -rf "$root"
    say "$image: imported in $((SECONDS - t0)) s"
}

for m in "${majors[@]}"; do
    case $m in *[!0-9]*) die 2 "\"$m\" is not a major version" ;; esac
    build_one "$m"
done
