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
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/opts.h"
#include "model/versions.h"
#include "report/diff.h"
#include "report/render.h"
#include "report/report.h"
#include "report/runview.h"
#include "runner/pginstall.h"
#include "store/store.h"

extern char **environ;

static const char bisect_head[] =
    "usage: lockmatrix bisect -V RANGE [options] PATH...\n\n"
    "Name the first minor release of RANGE (17.0-17.10: the releases installed in\n"
    "it; or a list, 17.7,17.9,17.10) that behaves like the last: trace PATH on the\n"
    "first and the last release, then halve the range until the change is between\n"
    "two neighbours, and show what changed there (as report --against does).\n\n";

static const char bisect_tail[] =
    "\nexit codes: 0 named (or every release behaves like the last), 2 usage,\n"
    "3 environment (a probe could not run)\n";

typedef struct Bisect {
    const char *db;  /* the store of the probes; not owned */
    OptList pg_bins; /* --pg-bin values; the array owned, the strings argv's */
    char **paths;    /* PATH...; argv's */
    int npaths;
    long long *run_of; /* run id of each release probed, 0 before; owned */
} Bisect;

/* Runs this binary's "run" on one release into the store; the new run's id,
 * or -1 (err said). */
static long long probe(Bisect *b, int id, Err *err)
{
    const char *name = VERSION_NAME(id);
    char **av = xcalloc(12 + 2 * b->pg_bins.n + (size_t)b->npaths, sizeof(*av));
    size_t n = 0;
    av[n++] = (char *)progname;
    av[n++] = "run";
    av[n++] = "-q";
    av[n++] = "-V";
    av[n++] = (char *)name;
    av[n++] = "-d";
    av[n++] = (char *)b->db;
    for (size_t i = 0; i < b->pg_bins.n; i++) {
        av[n++] = "--pg-bin";
        av[n++] = b->pg_bins.v[i];
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
    if (rc != 0)
        return err_set(err, EXIT_ENV, "could not run \"%s run\": %s", progname, strerror(rc));
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

/* The releases of spec: those installed in the range, of one major, two or
 * more; 0 or the exit code after the message. */
static int bisect_releases(const Bisect *b, const char *spec, VersionSet *vs)
{
    PgInstalls pgs;
    Err err;
    err_clear(&err);
    if (pginstall_find(&pgs, b->pg_bins.v, b->pg_bins.n, &err) != 0)
        return cmd_fail_err(&err, EXIT_USAGE);
    int *known;
    size_t nknown = pginstall_releases(&pgs, &known);
    VersionsKnown vk = {known, nknown};
    int prc = versions_parse_known(spec, &vk, vs, &err);
    free(known);
    pginstall_free(&pgs);
    if (prc != 0) {
        cmd_fail_err(&err, EXIT_USAGE);
        fprintf(stderr, "hint: '%s pg' lists the installations; '%s pg fetch 17.9' fetches one\n",
                progname, progname);
        return EXIT_USAGE;
    }
    for (int i = 0; i < vs->n; i++)
        if (version_minor(vs->v[i]) < 0 || version_major(vs->v[i]) != version_major(vs->v[0]))
            return cmd_fail(EXIT_USAGE,
                            "bisect: -V \"%s\" must name minor releases of one major (17.0-17.10)",
                            spec);
    if (vs->n < 2)
        return cmd_fail(EXIT_USAGE, "bisect: -V \"%s\" names %d release; bisect needs two or more",
                        spec, vs->n);
    return 0;
}

/* A new temporary directory in tmpdir (n bytes, "/tmp/lockmatrix-bisect-XXXXXX"
 * unless $TMPDIR fits); the path of the probes' store in it (free it), or NULL
 * after the message. */
static char *bisect_tmp_store(char *tmpdir, size_t n)
{
    const char *t = getenv("TMPDIR");
    char *tmpl = xasprintf("%s/lockmatrix-bisect-XXXXXX", t && *t == '/' ? t : "/tmp");
    if (strlen(tmpl) < n) strcpy(tmpdir, tmpl);
    free(tmpl);
    if (!mkdtemp(tmpdir)) {
        cmd_fail(EXIT_ENV, "could not create a directory \"%s\": %s", tmpdir, strerror(errno));
        return NULL;
    }
    return xasprintf("%s/bisect.db", tmpdir);
}

int cmd_bisect(int argc, char **argv)
{
    const char *spec = NULL, *db = NULL;
    Bisect b = {0};
    int first, rc;
    const Opt options[] = {
        {"versions", 'V', OPTK_VERSIONS, &spec, "RANGE",
         .help = "releases of one major, oldest first (required)", .required = true},
        {"db", 'd', OPTK_STR, &db, "FILE",
         .help = "keep the probes' runs in this store (default: a\n"
                 "temporary one, removed at the end)"},
        {"pg-bin", 0, OPTK_LIST, &b.pg_bins, "VERSION=DIR",
         .help = "a bin directory for a version (as run takes it)"},
        OPTS_END,
    };
    const OptCmd cmd = {"bisect", bisect_head, bisect_tail, 28, "PATH", 1, options};
    if (!opts_parse(&cmd, argc, argv, &first, &rc)) {
        free(b.pg_bins.v);
        return rc;
    }
    b.paths = argv + first;
    b.npaths = argc - first;

    VersionSet vs;
    if ((rc = bisect_releases(&b, spec, &vs)) != 0) {
        free(b.pg_bins.v);
        return rc;
    }

    char tmpdir[] = "/tmp/lockmatrix-bisect-XXXXXX";
    char *tmpdb = NULL;
    if (!db && !(db = tmpdb = bisect_tmp_store(tmpdir, sizeof(tmpdir)))) {
        free(b.pg_bins.v);
        return EXIT_ENV;
    }
    b.db = db;
    Err err = {0};
    b.run_of = xcalloc((size_t)vs.n, sizeof(*b.run_of));

    int lo = 0, hi = vs.n - 1;
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
    free(b.pg_bins.v);
    if (tmpdb) {
        remove_tree(tmpdir);
        free(tmpdb);
    }
    return rc;
}
