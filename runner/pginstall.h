/*
 * pginstall: the PostgreSQL installations found on this machine.
 *
 * Searched in order (the first installation of a major wins, and is the
 * default build of that major):
 *   1. --pg-bin VERSION=DIR overrides
 *   2. $LOCKMATRIX_PG_PATH, a ':'-separated list of bin directories
 *   3. the cache of downloaded builds: <cache>/pg/<major>/native/bin
 *   4. /usr/lib/postgresql/<major>/bin
 *   5. `pg_config --bindir`
 * Besides, the cache holds named minor releases side by side:
 * <cache>/pg/<major>.<minor>/native/bin ("lockmatrix pg fetch 17.9"), each
 * the installation of its column id (model/versions.h).
 * A directory counts when it holds executable postgres and initdb; its
 * version comes from `postgres --version`.
 */
#ifndef LM_PGINSTALL_H
#define LM_PGINSTALL_H

#include "common/util.h"

typedef struct PgInstall {
    int id;        /* the column id it serves (model/versions.h): the major for
                    * a default build, major*100+minor for a named minor,
                    * 0 for one shadowed by an earlier default */
    int major;     /* 10, 11, ... */
    int minor;     /* of version: 10 for "17.10", -1 when it has none */
    char *version; /* full version, "17.10"; owned */
    char *bindir;  /* absolute path of the bin directory; owned */
    char *source;  /* "--pg-bin", "LOCKMATRIX_PG_PATH", "cache", "system", "pg_config"; static */
} PgInstall;

typedef struct PgInstalls {
    PgInstall *items; /* the default build of each major, by major; owned */
    size_t n;
    PgInstall *minors; /* named minor releases (<cache>/pg/17.9), by id; owned */
    size_t nminors;
    PgInstall *shadowed; /* with PGINSTALL_ALL: later installations of a major
                          * already found, in search order; owned */
    size_t nshadowed;
} PgInstalls;

enum { PGINSTALL_ALL = 1 }; /* flags: also ask and list the shadowed ones */

/* overrides: "VERSION=DIR" strings (may be NULL when noverrides is 0); the
 * build an override names is the default of its major.
 * A malformed override or one that names no installation is an error (code 2).
 * Free with pginstall_free. */
int pginstall_find(PgInstalls *out, char *const *overrides, size_t noverrides, Err *err);
int pginstall_find_flags(PgInstalls *out, char *const *overrides, size_t noverrides, int flags,
                         Err *err);
/* The installation of a column id: the default build of a major, or the named
 * minor release (else the default build of its major when that is the very
 * release); NULL when there is none. */
const PgInstall *pginstall_get(const PgInstalls *list, int id);
/* "17.10 (default), 17.9" into b: the releases installed for major, for
 * messages. */
void pginstall_describe_major(const PgInstalls *list, int major, Buf *b);
/* The column ids of the releases installed: each default build as its
 * release (17.10 is 1710) and each named minor, for versions_parse_known.
 * Returns how many; *ids is malloc'd (free()). */
size_t pginstall_releases(const PgInstalls *list, int **ids);
void pginstall_free(PgInstalls *list);

/* The cache directory: $LOCKMATRIX_CACHE, else /var/cache/lockmatrix when
 * running as root, else $XDG_CACHE_HOME/lockmatrix or ~/.cache/lockmatrix.
 * Returns a malloc'd string. */
char *pginstall_cache_dir(void);

#endif
