# rootfs.sh: sourced by the scripts that build images from local parts
# (scripts/docker-images.sh, scripts/image.sh): a root filesystem made from
# this Debian machine's own files, with the shared libraries that ELF files
# need found by ldd, and its import through the Engine API.

# engine_connect: checks that $LM is built and that the Engine API at $HOST
# answers; sets CURL_TO (curl's options to reach it) and BASE (its URL).
# Uses the caller's die.
engine_connect() {
    [ -x "$LM" ] || die 3 "\"$LM\" is not built (run make first)"
    case "$HOST" in
    unix://*) CURL_TO=(--unix-socket "${HOST#unix://}"); BASE=http://localhost ;;
    tcp://*) CURL_TO=(); BASE=http://${HOST#tcp://} ;;
    *) die 3 "unsupported DOCKER_HOST \"$HOST\"" ;;
    esac
    [ "$(curl -s -m 5 "${CURL_TO[@]}" "$BASE/_ping" 2>/dev/null)" = OK ] ||
        die 3 "cannot reach the Docker engine at \"$HOST\" (scripts/docker-setup.sh starts one)"
}

# Copies host file $1 (following symlinks) to the same path under $2.
copy_host() {
    local f=$1 root=$2
    mkdir -p "$root$(dirname "$f")"
    cp -L --preserve=mode "$f" "$root$f"
}

# Shared libraries that ELF files $2... need and that live outside $1 (a
# tree that goes into the image as it is): printed one per line, resolved by
# this machine's ldd.
host_libs() {
    local tree=$1; shift
    ldd "$@" 2>/dev/null | awk -v tree="$tree" '
        $2 == "=>" && $3 ~ /^\// && index($3, tree) != 1 { print $3 }
        $1 ~ /^\// && $1 !~ /:$/ { print $1 }' | sort -u
}

# host_packages FILE...: the Debian packages that hold these files, one per
# line (with merged /usr, dpkg may know a library as /lib/... or /usr/lib/...).
host_packages() {
    local f alt
    for f in "$@"; do
        case $f in
        /usr/*) alt=${f#/usr} ;;
        *) alt=/usr$f ;;
        esac
        dpkg -S "$f" 2>/dev/null || dpkg -S "$alt" 2>/dev/null ||
            dpkg -S "$(readlink -f "$f")" 2>/dev/null || echo "rootfs: no package holds $f" >&2
    done | cut -d: -f1 | sort -u
}

# rootfs_pg CACHE DEST MAJOR...: the PostgreSQL builds of CACHE/pg/<major>/native
# copied to DEST/pg/<major>/native, with bin, lib and share only, no headers,
# static libraries or pkg-config files; identical files (the ICU data of
# several majors) hard-linked once.
rootfs_pg() {
    local cache=$1 dest=$2 m; shift 2
    for m in "$@"; do
        mkdir -p "$dest/pg/$m"
        tar -C "$cache/pg/$m" --exclude='*.a' --exclude=pkgconfig --exclude=include \
            -cf - native/bin native/lib native/share | tar -C "$dest/pg/$m" -xf -
    done
    if command -v hardlink >/dev/null 2>&1; then hardlink -q "$dest/pg" >/dev/null 2>&1 || true; fi
    chmod -R a+rX "$dest"
}

# rootfs_init ROOT: a merged-/usr layout like Debian's (/bin, /lib, /lib64
# point into /usr), /etc with name service files, /tmp, mount points.
rootfs_init() {
    local root=$1
    mkdir -p "$root/usr/bin" "$root/usr/lib" "$root/usr/lib64" "$root/etc" "$root/tmp" \
        "$root/dev" "$root/proc" "$root/sys"
    ln -s usr/bin "$root/bin"
    ln -s usr/lib "$root/lib"
    ln -s usr/lib64 "$root/lib64"
    chmod 1777 "$root/tmp"
    printf 'passwd: files\ngroup: files\nhosts: files\n' >"$root/etc/nsswitch.conf"
    printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"
}

# rootfs_tools ROOT TOOL...: host commands copied to ROOT/usr/bin (dash is
# also /bin/sh); prints their host paths, for rootfs_libs.
rootfs_tools() {
    local root=$1 t; shift
    for t in "$@"; do
        cp -L "$(command -v "$t")" "$root/usr/bin/$t"
        readlink -f "$(command -v "$t")"
    done
    if [ -e "$root/usr/bin/dash" ] && [ ! -e "$root/usr/bin/sh" ]; then ln -s dash "$root/usr/bin/sh"; fi
}

# rootfs_libs ROOT TREE ELF...: the host libraries the ELF files need (but
# not those under TREE, which the image already holds) copied into ROOT.
rootfs_libs() {
    local root=$1 tree=$2 lib; shift 2
    for lib in $(host_libs "$tree" "$@"); do copy_host "$lib" "$root"; done
}

# rootfs_import ROOT REPO:TAG CHANGE...: ROOT as an image through the Engine
# API (`lockmatrix docker-import`, gzip-compressed), each CHANGE a Dockerfile
# instruction (ENTRYPOINT, CMD, USER, ENV, WORKDIR, LABEL, ...). Needs $LM.
rootfs_import() {
    local root=$1 image=$2 c changes=(); shift 2
    for c in "$@"; do changes+=(-c "$c"); done
    tar -C "$root" --numeric-owner -cf - . | "$LM" docker-import "${changes[@]}" "$image" >/dev/null
}
