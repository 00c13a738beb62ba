# The lockmatrix image: lockmatrix with PostgreSQL builds of every major it
# traces, run with the embedded backend inside the container.
#
#   docker build -t lockmatrix .
#   docker run --rm -v "$PWD:/work" lockmatrix run migrations/
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD:/work" lockmatrix run migrations/
#
# The entrypoint runs lockmatrix as the owner of /work (or as --user), so
# the store and reports belong to the caller. Without a registry,
# `make image` builds the same layout from this machine's files
# (scripts/image.sh).

# ---- build: packages, PostgreSQL builds and lockmatrix, as `make setup` does
FROM debian:bookworm-slim AS build
# the majors to bake in (default, empty: every major of the version map,
# model/versions.tsv)
ARG LOCKMATRIX_SETUP_VERSIONS=""
ENV LOCKMATRIX_SETUP_VERSIONS=${LOCKMATRIX_SETUP_VERSIONS} LOCKMATRIX_CACHE=/var/cache/lockmatrix
WORKDIR /src
COPY scripts/setup.sh scripts/versions.sh scripts/
COPY model/versions.tsv model/
RUN scripts/setup.sh
COPY . .
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# lockmatrix (make install: binary, manual page, completions) and the
# PostgreSQL builds into /out; the Debian packages of the libraries they
# need into /runtime-packages
RUN make lockmatrix \
    && make install DESTDIR=/out PREFIX=/usr/local \
    && install -m 0755 docker/lockmatrix-entrypoint.sh /out/usr/local/bin/lockmatrix-entrypoint \
    && source scripts/rootfs.sh \
    && rootfs_pg "$LOCKMATRIX_CACHE" /out/var/cache/lockmatrix \
        ${LOCKMATRIX_SETUP_VERSIONS:-$(awk '$1 ~ /^[0-9]+$/ { print $1 }' model/versions.tsv)} \
    && chmod 1777 /out/var/cache/lockmatrix \
    && host_packages $(host_libs /out/var/cache/lockmatrix/pg /out/usr/local/bin/lockmatrix \
        /out/var/cache/lockmatrix/pg/*/native/bin/* \
        $(find /out/var/cache/lockmatrix/pg -name '*.so*' -type f)) >/runtime-packages

# ---- runtime
FROM debian:bookworm-slim
COPY --from=build /runtime-packages /tmp/runtime-packages
# The entrypoint adds a passwd entry for a --user uid that has none (initdb
# needs one): /etc/passwd is writable, so no setuid program stays.
RUN apt-get update \
    && xargs -a /tmp/runtime-packages apt-get install -y --no-install-recommends \
    && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages \
    && useradd --system --no-create-home --shell /usr/sbin/nologin lockmatrix \
    && find / -xdev -type f -perm /6000 -exec chmod a-s {} + \
    && chmod 0666 /etc/passwd \
    && mkdir -p /work
COPY --from=build /out/ /
ENV LOCKMATRIX_CACHE=/var/cache/lockmatrix
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/lockmatrix-entrypoint"]
CMD ["--help"]
