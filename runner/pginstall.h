/*
 * pginstall: the PostgreSQL installations found on this machine.
 *
 * Searched in order (the first installation of a major wins):
 *   1. --pg-bin VERSION=DIR overrides
 *   2. $LOCKMATRIX_PG_PATH, a ':'-separated list of bin directories
 *   3. the cache of downloaded builds: <cache>/pg/<major>/native/bin
 *   4. /usr/lib/postgresql/<major>/bin
 *   5. `pg_config --bindir`
 * A directory counts when it holds executable postgres and initdb; its
 * version comes from `postgres --version`.
 */
#ifndef LM_PGINSTALL_H
#define LM_PGINSTALL_H

#include "common/util.h"

typedef struct PgInstall {
    int major;        /* 10, 11, ... */
    char *version;    /* full version, "17.10"; owned */
    char *bindir;     /* absolute path of the bin directory; owned */
    char *source;     /* "--pg-bin", "LOCKMATRIX_PG_PATH", "cache", "system", "pg_config"; static */
} PgInstall;

typedef struct PgInstalls {
    PgInstall *items;
    size_t n;
} PgInstalls;

/* overrides: "VERSION=DIR" strings (may be NULL when noverrides is 0).
 * A malformed override or one that names no installation is an error (code 2). */
int pginstall_find(PgInstalls *out, char *const *overrides, size_t noverrides, Err *err);
const PgInstall *pginstall_get(const PgInstalls *list, int major);
void pginstall_free(PgInstalls *list);

/* The cache directory: $LOCKMATRIX_CACHE, else /var/cache/lockmatrix when
 * running as root, else $XDG_CACHE_HOME/lockmatrix or ~/.cache/lockmatrix.
 * Returns a malloc'd string. */
char *pginstall_cache_dir(void);

#endif
