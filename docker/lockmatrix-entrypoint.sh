#!/bin/sh
# Entrypoint of the lockmatrix image (Dockerfile, scripts/image.sh): runs
# lockmatrix as the owner of the working directory, so that the store and
# reports written to a mounted directory belong to the caller.
#
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD:/work" lockmatrix run migrations/
#       runs as that uid (a passwd entry is added when it has none: initdb
#       needs one);
#   docker run --rm -v "$PWD:/work" lockmatrix run migrations/
#       (root, the default) drops to the owner of /work, or stays root when
#       /work belongs to root (the servers then run as the user lockmatrix,
#       as on a host).
# Only dash builtins, id, stat and setpriv are used.
set -eu

# has_uid UID: /etc/passwd has an entry for UID
has_uid() {
    while IFS=: read -r _ _ u _; do
        [ "$u" = "$1" ] && return 0
    done </etc/passwd
    return 1
}

# add_user UID GID: a passwd entry named lockmatrix-<uid> (home /tmp)
add_user() {
    has_uid "$1" && return 0
    if [ -w /etc/passwd ]; then
        printf 'lockmatrix-%s:x:%s:%s:lockmatrix caller:/tmp:/bin/sh\n' "$1" "$1" "$2" >>/etc/passwd
    else
        echo "lockmatrix-entrypoint: uid $1 has no entry in /etc/passwd, which is not writable" >&2
    fi
}

uid=$(id -u)
if [ "$uid" != 0 ]; then
    add_user "$uid" "$(id -g)"
    exec lockmatrix "$@"
fi

# root: the owner of the working directory
owner=$(stat -c %u .)
group=$(stat -c %g .)
if [ "$owner" = 0 ]; then
    exec lockmatrix "$@"
fi
add_user "$owner" "$group"
exec setpriv --reuid="$owner" --regid="$group" --clear-groups lockmatrix "$@"
