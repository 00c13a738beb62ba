/*
 * cmd/bisect: `lockmatrix bisect -V 17.0-17.10 PATH...` names the first
 * release of a range that behaves like its last one. It traces the first and
 * the last release, then halves the range between the last release that
 * behaves differently and the first known to behave like the last, as git
 * bisect does (it assumes one change of behaviour in the range). Each probe
 * is a run of this binary ("run -q -V 17.5 -d STORE PATH...") into one store;
 * two probes behave alike when report --against finds no change of observed
 * behaviour between them (report/diff.c, which pairs two releases of a major).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "model/versions.h"
#include "report/diff.h"
#include "report/render.h"
#include "report/report.h"
#include "report/runview.h"
#include "runner/pginstall.h"
#include "store/store.h"

extern char **environ;

static const char usage_text[] =
    "usage: %s bisect -V RANGE [options] PATH...\n\n"
    "Name the first minor release of RANGE (17.0-17.10: the releases installed in\n"
    "it; or a list, 17.7,17.9,17.10) that behaves like the last: trace PATH on the\n"
    "first and the last release, then halve the range until the change is between\n"
    "two neighbours, and show what changed there (as report --against does).\n\n"
    "  -V, --versions RANGE      releases of one major, oldest first (required)\n"
    "  -d, --db FILE             keep the probes' runs in this store (default: a\n"
    "                            temporary one, removed at the end)\n"
    "      --pg-bin VERSION=DIR  a bin directory for a version (as run takes it)\n"
    "  -h, --help                this help\n\n"
    "exit codes: 0 named (or every release behaves like the last), 2 usage,\n"
    "3 environment (a probe could not run)\n";

typedef struct Bisect {
    const char *db; /* the store of the probes; not owned */
    char **pg_bins; /* --pg-bin values; the array owned, the strings argv's */
    size_t npg_bins;
    char **paths; /* PATH...; argv's */
    int npaths;
    long long *run_of; /* run id of each release probed, 0 before; owned */
} Bisect;

/* Runs this binary's "run" on one release into the store; the new run's id,
 * or -1 (err said). */
static long long probe(Bisect *b, int id, Err *err)
{
    const char *name = VERSION_NAME(id);
    char **av = xcalloc(12 + 2 * b->npg_bins + (size_t)b->npaths, sizeof(*av));
    size_t n = 0;
    av[n++] = (char *)progname;
    av[n++] = "run";
    av[n++] = "-q";
    av[n++] = "-V";
    av[n++] = (char *)name;
    av[n++] = "-d";
    av[n++] = (char *)b->db;
    for (size_t i = 0; i < b->npg_bins; i++) {
        av[n++] = "--pg-bin";
        av[n++] = b->pg_bins[i];
    }
    av[n++] = "--";
    for (int i = 0; i < b->npaths; i++)
        av[n++] = b->paths[i];
    av[n] = NULL;

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0); /* its summary */
    fflush(NULL);
    pid_t pid;
    int rc = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, av, environ);
    posix_spawn_file_actions_destroy(&fa);
    free(av);
    if (rc != 0) return err_set(err, EXIT_ENV, "could not run \"%s run\": %s", progname, strerror(rc));
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(st) || (WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != EXIT_CHECKS))
        return err_set(err, WIFEXITED(st) && WEXITSTATUS(st) == EXIT_USAGE ? 2 : 3,
                       "the trace on %s failed (%s %d)", name, WIFEXITED(st) ? "exit" : "signal",
                       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    Store *s = store_open(b->db, false, err);
    if (!s) return -1;
    long long run = store_latest_run(s, err);
    store_close(s);
    return run;
}

/* Compares the runs of two releases; *alike when no change of observed
 * behaviour; with out, the report of what changed. */
static int compare(const Bisect *b, long long ra, long long rb, bool *alike, Buf *out, Err *err)
{
    Store *s = store_open(b->db, false, err);
    if (!s) return -1;
    RunView *va = NULL, *vb = NULL;
    int rc = 0;
    if (runview_load(s, ra, &va, err) < 0 || runview_load(s, rb, &vb, err) < 0) {
        rc = -1;
    } else {
        ReportOpts opts;
        render_opts_init(&opts);
        RunDiff *d = diff_runs(va, vb, &opts);
        *alike = d->nregressions == 0 && d->nnew == 0 && d->ngone == 0;
        if (out) report_text_diff(&(RenderInput){.diff = d}, &opts, out);
        diff_free(d);
    }
    runview_free(va);
    runview_free(vb);
    store_close(s);
    return rc;
}

int cmd_bisect(int argc, char **argv)
{
    enum { OPT_PG_BIN = 256 };
    static const struct option long_opts[] = {{"versions", required_argument, NULL, 'V'},
                                              {"db", required_argument, NULL, 'd'},
                                              {"pg-bin", required_argument, NULL, OPT_PG_BIN},
                                              {"help", no_argument, NULL, 'h'},
                                              {NULL, 0, NULL, 0}};
    const char *spec = NULL, *db = NULL;
    Bisect b = {0};
    size_t pg_cap = 0;
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "V:d:h", long_opts, NULL)) != -1) {
        switch (o) {
        case 'V':
            spec = optarg;
            break;
        case 'd':
            db = optarg;
            break;
        case OPT_PG_BIN:
            *ARRAY_PUSH(b.pg_bins, b.npg_bins, pg_cap) = optarg;
            break;
        case 'h':
            printf(usage_text, progname);
            free(b.pg_bins);
            return 0;
        default:
            free(b.pg_bins);
            cmd_fail(EXIT_USAGE, "bisect: unknown or incomplete option \"%s\"", argv[optind - 1]);
            fprintf(stderr, "hint: '%s bisect --help' tells the options\n", progname);
            return EXIT_USAGE;
        }
    }
    if (!spec || optind >= argc) {
        free(b.pg_bins);
        cmd_fail(EXIT_USAGE, "bisect: %s", !spec ? "no -V RANGE given" : "no PATH given");
        fprintf(stderr, usage_text, progname);
        return EXIT_USAGE;
    }
    b.paths = argv + optind;
    b.npaths = argc - optind;

    /* The releases: those installed in the range, of one major. */
    PgInstalls pgs;
    Err err;
    err_clear(&err);
    if (pginstall_find(&pgs, b.pg_bins, b.npg_bins, &err) != 0) {
        free(b.pg_bins);
        return cmd_fail_err(&err, EXIT_USAGE);
    }
    int *known;
    size_t nknown = pginstall_releases(&pgs, &known);
    VersionsKnown vk = {known, nknown};
    VersionSet vs;
    int prc = versions_parse_known(spec, &vk, &vs, &err);
    free(known);
    pginstall_free(&pgs);
    if (prc != 0) {
        free(b.pg_bins);
        cmd_fail_err(&err, EXIT_USAGE);
        fprintf(stderr, "hint: '%s pg' lists the installations; '%s pg fetch 17.9' fetches one\n",
                progname, progname);
        return EXIT_USAGE;
    }
    for (int i = 0; i < vs.n; i++)
        if (version_minor(vs.v[i]) < 0 || version_major(vs.v[i]) != version_major(vs.v[0])) {
            free(b.pg_bins);
            return cmd_fail(EXIT_USAGE,
                            "bisect: -V \"%s\" must name minor releases of one major (17.0-17.10)",
                            spec);
        }
    if (vs.n < 2) {
        free(b.pg_bins);
        return cmd_fail(EXIT_USAGE, "bisect: -V \"%s\" names %d release; bisect needs two or more",
                        spec, vs.n);
    }

    char tmpdir[] = "/tmp/lockmatrix-bisect-XXXXXX";
    char *tmpdb = NULL;
    if (!db) {
        const char *t = getenv("TMPDIR");
        char *tmpl = xasprintf("%s/lockmatrix-bisect-XXXXXX", t && *t == '/' ? t : "/tmp");
        if (strlen(tmpl) < sizeof(tmpdir)) strcpy(tmpdir, tmpl);
        free(tmpl);
        if (!mkdtemp(tmpdir)) {
            free(b.pg_bins);
            return cmd_fail(EXIT_ENV, "could not create a directory \"%s\": %s", tmpdir,
                            strerror(errno));
        }
        tmpdb = xasprintf("%s/bisect.db", tmpdir);
        db = tmpdb;
    }
    b.db = db;
    b.run_of = xcalloc((size_t)vs.n, sizeof(*b.run_of));

    int rc = 0, lo = 0, hi = vs.n - 1;
    const char *last = VERSION_NAME(vs.v[hi]);
    Buf out;
    buf_init(&out);
    bool alike = false;
    for (int k = 0; k < 2; k++) {
        int i = k == 0 ? hi : lo;
        fprintf(stderr, "%s: bisect: tracing %s\n", progname, VERSION_NAME(vs.v[i]));
        b.run_of[i] = probe(&b, vs.v[i], &err);
        if (b.run_of[i] < 0) {
            rc = cmd_fail_err(&err, EXIT_ENV);
            goto out;
        }
    }
    if (compare(&b, b.run_of[lo], b.run_of[hi], &alike, NULL, &err) != 0) {
        rc = cmd_fail_err(&err, EXIT_ENV);
        goto out;
    }
    if (alike) {
        printf("every release of %s behaves like %s: %s does\n", spec, last,
               VERSION_NAME(vs.v[lo]));
        goto out;
    }
    fprintf(stderr, "%s: bisect: %s behaves differently from %s\n", progname,
            VERSION_NAME(vs.v[lo]), last);
    while (hi - lo > 1) {
        int mid = lo + (hi - lo) / 2;
        fprintf(stderr, "%s: bisect: tracing %s (%d release%s left)\n", progname,
                VERSION_NAME(vs.v[mid]), hi - lo - 1, hi - lo - 1 == 1 ? "" : "s");
        b.run_of[mid] = probe(&b, vs.v[mid], &err);
        if (b.run_of[mid] < 0 ||
            compare(&b, b.run_of[mid], b.run_of[vs.n - 1], &alike, NULL, &err) != 0) {
            rc = cmd_fail_err(&err, EXIT_ENV);
            goto out;
        }
        fprintf(stderr, "%s: bisect: %s %s %s\n", progname, VERSION_NAME(vs.v[mid]),
                alike ? "behaves like" : "behaves differently from", last);
        if (alike)
            hi = mid;
        else
            lo = mid;
    }
    if (compare(&b, b.run_of[lo], b.run_of[hi], &alike, &out, &err) != 0) {
        rc = cmd_fail_err(&err, EXIT_ENV);
        goto out;
    }
    printf("%s is the first release of %s that behaves like %s; %s before it does not\n\n",
           VERSION_NAME(vs.v[hi]), spec, last, VERSION_NAME(vs.v[lo]));
    fwrite(out.data ? out.data : "", 1, out.len, stdout);
out:
    buf_free(&out);
    free(b.run_of);
    free(b.pg_bins);
    if (tmpdb) {
        remove_tree(tmpdir);
        free(tmpdb);
    }
    return rc;
}
