/*
 * cmd/pg: `lockmatrix pg` lists the PostgreSQL installations found, in the
 * order of the search (see runner/pginstall.h), one per major.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "runner/pginstall.h"

static void pg_usage(FILE *f)
{
    fprintf(f,
            "usage: %s pg [--pg-bin VERSION=DIR]...\n\n"
            "List the PostgreSQL installations found, one per major version.\n\n"
            "Searched in order, the first of each major wins:\n"
            "  --pg-bin VERSION=DIR     a bin directory (or installation prefix) for a version\n"
            "  $LOCKMATRIX_PG_PATH      ':'-separated bin directories\n"
            "  the cache                <cache>/pg/<major>/native/bin, filled by \"make setup\"\n"
            "  system                   /usr/lib/postgresql/<major>/bin\n"
            "  pg_config                `pg_config --bindir`\n\n"
            "The cache is $LOCKMATRIX_CACHE, else /var/cache/lockmatrix as root,\n"
            "else ${XDG_CACHE_HOME:-~/.cache}/lockmatrix.\n",
            progname);
}

int cmd_pg(int argc, char **argv)
{
    char **overrides = NULL;
    size_t n = 0, cap = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cmd_is_help(a)) {
            pg_usage(stdout);
            free(overrides);
            return 0;
        }
        if (strcmp(a, "--pg-bin") == 0) {
            if (i + 1 >= argc) {
                free(overrides);
                return cmd_fail(EXIT_USAGE, "--pg-bin needs VERSION=DIR");
            }
            *ARRAY_PUSH(overrides, n, cap) = argv[++i];
        } else if (strncmp(a, "--pg-bin=", 9) == 0) {
            *ARRAY_PUSH(overrides, n, cap) = (char *)a + 9;
        } else {
            free(overrides);
            cmd_fail(EXIT_USAGE, "unknown argument \"%s\"", a);
            fprintf(stderr, "hint: '%s pg --help' tells the options\n", progname);
            return EXIT_USAGE;
        }
    }

    PgInstalls pgs;
    Err err;
    err_clear(&err);
    int rc = pginstall_find(&pgs, overrides, n, &err);
    free(overrides);
    if (rc != 0) return cmd_fail_err(&err, EXIT_USAGE);
    if (pgs.n == 0) {
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

    int wv = (int)strlen("version"), wb = (int)strlen("bin directory");
    for (size_t i = 0; i < pgs.n; i++) {
        int l = (int)strlen(pgs.items[i].version);
        if (l > wv) wv = l;
        l = (int)strlen(pgs.items[i].bindir);
        if (l > wb) wb = l;
    }
    printf("%-5s  %-*s  %-*s  %s\n", "major", wv, "version", wb, "bin directory", "source");
    for (size_t i = 0; i < pgs.n; i++) {
        const PgInstall *p = &pgs.items[i];
        printf("%-5d  %-*s  %-*s  %s\n", p->major, wv, p->version, wb, p->bindir, p->source);
    }
    pginstall_free(&pgs);
    return 0;
}
