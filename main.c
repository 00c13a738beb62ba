/*
 * lockmatrix: what does this migration really do to my tables, on every
 * PostgreSQL version I run?
 *
 * main is a table of subcommands; each lives in cmd/<name>.c.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <libpq-fe.h>
#include <pg_query.h>
#include <protobuf-c/protobuf-c.h>
#include <sqlite3.h>
#include <zlib.h>

#include "cmd/cmd.h"
#include "report/report.h"

const char *progname = "lockmatrix";

static const struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
    void (*list)(Buf *b); /* what the summary lists in parentheses, if any */
} commands[] = {
    {"run", cmd_run, "trace the corpus on every version", NULL},
    {"report", cmd_report, "report a stored run", report_format_names},
    {"runs", cmd_runs, "list stored runs", NULL},
    {"analyze", cmd_analyze, "static prediction only, no servers", NULL},
    {"locktable", cmd_locktable, "check or regenerate the lock table", NULL},
    {"facts", cmd_facts, "read PostgreSQL's per-version facts from its servers", NULL},
    {"merge", cmd_merge, "combine stores of sharded runs", NULL},
    {"pg", cmd_pg, "list the PostgreSQL installations found; fetch minor releases", NULL},
    {"bisect", cmd_bisect, "name the first minor release that behaves like the last", NULL},
    {"clean", cmd_clean, "remove leftover containers", NULL},
    /* hidden: used by make docker-images */
    {"docker-import", cmd_docker_import, NULL, NULL},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: %s COMMAND [options] [args]\n\n", progname);
    fprintf(
        f,
        "What does this migration really do to my tables, on every PostgreSQL version I run?\n\n");
    fprintf(f, "commands:\n");
    for (size_t i = 0; i < ARRAY_LEN(commands); i++)
        if (commands[i].summary) {
            Buf list;
            buf_init(&list);
            if (commands[i].list) commands[i].list(&list);
            fprintf(f, "  %-10s  %s%s%s%s\n", commands[i].name, commands[i].summary,
                    list.len ? " (" : "", list.len ? list.data : "", list.len ? ")" : "");
            buf_free(&list);
        }
    fprintf(f,
            "\n'%s COMMAND --help' tells more about one command; '%s --version' prints\n"
            "its version and those of the libraries it runs with; the manual page\n"
            "lockmatrix(1) (installed by 'make install') tells all.\n",
            progname, progname);
    fprintf(f, "exit codes: 0 ok, 1 checks failed, 2 usage or input error, 3 environment error\n");
}

/* The libpg_query release the dynamic linker loaded ("15-4.0.0"), into out:
 * the library has no call that tells, but its file does (libpg_query.so.1504.0.0
 * is 15-4.0.0). Empty when it was linked statically or the name says nothing. */
static void pg_query_loaded(char *out, size_t n)
{
    out[0] = '\0';
    Dl_info dl;
    char real[PATH_MAX];
    if (!dladdr((void *)pg_query_parse, &dl) || !dl.dli_fname || !realpath(dl.dli_fname, real))
        return;
    const char *so = strstr(real, "libpg_query.so.");
    unsigned pgmaj, rel, minor = 0, patch = 0;
    if (!so || sscanf(so + strlen("libpg_query.so."), "%u.%u.%u", &pgmaj, &minor, &patch) < 1 ||
        pgmaj < 1000)
        return;
    rel = pgmaj % 100;
    pgmaj /= 100;
    snprintf(out, n, "%u-%u.%u.%u", pgmaj, rel, minor, patch);
}

/* The version, then the libraries it runs with: what the dynamic linker
 * loaded, asked at run time; for libpg_query (no such call) the release its
 * loaded file names, and the PostgreSQL parser of the pg_query.h it was built
 * against. */
static void version(void)
{
    printf("%s %s\n", progname, LOCKMATRIX_VERSION);
    int pq = PQlibVersion(); /* 150018 (10 and later), 90624 before */
    if (pq >= 100000)
        printf("libpq %d.%d\n", pq / 10000, pq % 10000);
    else
        printf("libpq %d.%d.%d\n", pq / 10000, pq / 100 % 100, pq % 100);
    char pgq[64];
    pg_query_loaded(pgq, sizeof(pgq));
    if (*pgq)
        printf("libpg_query %s (PostgreSQL %s parser)\n", pgq, PG_VERSION);
    else
        printf("libpg_query %s (PostgreSQL parser, built with)\n", PG_VERSION);
    printf("SQLite %s\n", sqlite3_libversion());
    const curl_version_info_data *curl = curl_version_info(CURLVERSION_NOW);
    printf("libcurl %s%s%s%s\n", curl->version, curl->ssl_version ? " (" : "",
           curl->ssl_version ? curl->ssl_version : "", curl->ssl_version ? ")" : "");
    printf("zlib %s\n", zlibVersion());
    printf("protobuf-c %s\n", protobuf_c_version());
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (cmd_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        version();
        return 0;
    }
    for (size_t i = 0; i < ARRAY_LEN(commands); i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "%s: unknown command \"%s\"\n", progname, argv[1]);
    fprintf(stderr, "hint: '%s --help' lists the commands\n", progname);
    return EXIT_USAGE;
}
