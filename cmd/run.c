/*
 * cmd/run: trace the corpus on every version.
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/opts.h"
#include "common/jsonread.h"
#include "corpus/corpus.h"
#include "predict/locktable.h"
#include "corpus/shard.h"
#include "model/versions.h"
#include "report/diff.h"
#include "report/gate.h"
#include "report/render.h"
#include "report/runview.h"
#include "runner/backend.h"
#include "runner/pginstall.h"
#include "runner/scheduler.h"
#include "store/store.h"

static const char run_head[] =
    "usage: lockmatrix run [options] PATH...\n"
    "\n"
    "Trace the migrations of PATH (files: a chain of one each; directories: one\n"
    "chain in the order of their layout: .sql files in natural name order, or a\n"
    "migration tool's layout, see docs/layouts.md) on every PostgreSQL version,\n"
    "in parallel, and store every observation. A project root whose migrations/,\n"
    "db/migrate/ ... holds a tool's layout is refused, naming that directory.\n"
    "Each directory's layout is printed on stderr, what it took and what it left\n"
    "out (\"golang-migrate: 362 up, 362 down; left out: PREAMBLE.sql\"), and stored\n"
    "with the run for the reports.\n"
    "\n"
    "options:\n";

static const char run_tail[] =
    "\n"
    "Exit codes: 0 ok, 1 --ci checks failed or --against found a change, 2 usage or input error (a "
    "file that could not be used:\n"
    "the rest still ran), 3 environment error (no server binaries, jobs that\n"
    "failed after a retry), 130 interrupted by SIGINT, 143 by SIGTERM.\n";

/* What the command line asks of a run. */
typedef struct RunArgs {
    const char *versions_spec, *backend_name, *db_path, *image, *lt_path, *preamble;
    long jobs, statement_timeout, job_timeout, min_version;
    bool quiet, stop_on_error, no_replay, ci, resume, profile;
    int max_risk; /* -1: no --max-risk */
    CorpusOpts copts;
    OptList pg_bins; /* the array owned (run_free), the strings argv's */
    Shard shard;
    long long against; /* 0: no --against, OPT_LAST: last */
    char **paths;      /* PATH...: argv's */
    int npaths;
} RunArgs;

static int parse_shard(const char *v, void *to, Err *err)
{
    return shard_parse(v, to, err);
}

/* The arguments space-separated; one with a character a shell would split on
 * or interpret is single-quoted ('it'\''s'): the corpus as runs.corpus names
 * it (store_previous_run matches runs by it). */
static void join_args(Buf *b, int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (i) buf_putc(b, ' ');
        const char *a = argv[i];
        bool plain = *a != '\0';
        for (const char *p = a; *p && plain; p++)
            plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                           "_./,:=+-@%",
                           *p) != NULL;
        if (plain) {
            buf_puts(b, a);
            continue;
        }
        buf_putc(b, '\'');
        for (const char *p = a; *p; p++)
            if (*p == '\'')
                buf_puts(b, "'\\''");
            else
                buf_putc(b, *p);
        buf_putc(b, '\'');
    }
}

/* The words of a stored command line (runs.args, cmd_args_json's array) into
 * a new array (free each and the array), NULL when it is not one: a run begun
 * by a version that kept it as one quoted line. */
static char **stored_args(const char *json, int *n)
{
    Err err = {0};
    JsonNode *root = json ? jsonread_parse(json, strlen(json), &err) : NULL;
    if (!root || root->type != JSONR_ARRAY) {
        jsonread_free(root);
        return NULL;
    }
    char **out = xcalloc(root->len + 1, sizeof(*out));
    *n = 0;
    for (size_t i = 0; i < root->len; i++) {
        const char *s = jsonread_str(jsonread_at(root, i));
        if (!s) {
            for (int k = 0; k < *n; k++)
                free(out[k]);
            free(out);
            jsonread_free(root);
            return NULL;
        }
        out[(*n)++] = xstrdup(s);
    }
    jsonread_free(root);
    return out;
}

/* ---- predictions: verdict counts and the CI gate -------------------------- */

/* "verdicts: confirmed 10, mismatch 1, ..." on stdout. */
static void print_verdicts(Store *store, long long run_id)
{
    char **names;
    long long *counts;
    size_t n;
    Err err = {0};
    if (store_verdict_counts(store, run_id, &names, &counts, &n, &err) != 0) {
        cmd_fail_err(&err, EXIT_ENV);
        return;
    }
    printf("verdicts:");
    for (size_t i = 0; i < n; i++) {
        printf("%s %s %lld", i ? "," : "", names[i], counts[i]);
        free(names[i]);
    }
    printf("%s\n", n ? "" : " none");
    free(names);
    free(counts);
}

/* The --ci gate over a stored run (report/gate.h): its lines on stderr; the
 * number of failing results (-1 when the run cannot be read). */
static long run_ci(Store *store, long long run_id, int max_risk, int min_version)
{
    RunView *rv;
    Err err = {0};
    if (runview_load(store, run_id, &rv, &err) != 0) {
        cmd_fail_err(&err, EXIT_ENV);
        return -1;
    }
    Buf msgs;
    buf_init(&msgs);
    long nfail = (long)gate_run(rv, max_risk, min_version, progname, &msgs);
    fputs(msgs.data ? msgs.data : "", stderr);
    buf_free(&msgs);
    runview_free(rv);
    return nfail;
}

/* ---- --against: what changed since an earlier run ---------------------------- */

/* Compares run_id with run against (0: the previous run of the same corpus and
 * shard): every change of observed behaviour on stderr, one line each naming
 * the statement, the version and the change (report/diff.h decides what
 * counts). Returns the number of changes, -1 when the runs cannot be read. */
static long run_against(Store *store, long long run_id, long long against)
{
    Err err = {0};
    if (against == 0) {
        against = store_previous_run(store, run_id, &err);
        if (against < 0) {
            cmd_fail_err(&err, EXIT_ENV);
            return -1;
        }
        if (against == 0) {
            printf("against: no earlier run of this corpus in the store: nothing to compare\n");
            return 0;
        }
    }
    RunView *a = NULL, *b = NULL;
    if (runview_load(store, against, &a, &err) != 0 || runview_load(store, run_id, &b, &err) != 0) {
        runview_free(a);
        cmd_fail_err(&err, EXIT_ENV);
        return -1;
    }
    RunDiff *d = diff_runs(a, b, NULL);
    Buf changes, notes;
    buf_init(&changes);
    buf_init(&notes);
    gate_against(d, against, &changes, &notes);
    fputs(changes.data ? changes.data : "", stderr);
    fputs(notes.data ? notes.data : "", stdout);
    buf_free(&changes);
    buf_free(&notes);
    long n = (long)d->nregressions;
    diff_free(d);
    runview_free(a);
    runview_free(b);
    return n;
}

/* ---- resume ----------------------------------------------------------------- */

typedef struct ResumeSet {
    size_t *chains; /* owned */
    int *majors;    /* owned */
    size_t n;
} ResumeSet;

/* SchedOpts.skip: the job is recorded ok already (chains/majors sorted). */
static bool resume_skip(void *ctx, size_t chain, int major)
{
    const ResumeSet *r = ctx;
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (r->chains[mid] < chain || (r->chains[mid] == chain && r->majors[mid] < major))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->n && r->chains[lo] == chain && r->majors[lo] == major;
}

static int run_main(int argc, char **argv, long long resume_id);

/* `run --resume`: the newest unfinished run of the store is run again with its
 * own command line (options given now come after it, so they win, except the
 * versions, backend and store, which are the run's). a: the options given now. */
static int resume(int argc, char **argv, const RunArgs *a)
{
    Err err = {0};
    const char *db_path = a->db_path;
    int first = (int)(a->paths - argv); /* argv[1..first): the options, as getopt ordered them */
    Store *store = store_open(db_path, false, &err);
    if (!store) return cmd_fail_err(&err, EXIT_ENV);
    StoreRun r;
    int rc = store_run_unfinished(store, &r, &err);
    store_close(store);
    if (rc != 0) return cmd_fail_err(&err, EXIT_ENV);
    if (r.id == 0)
        return cmd_fail(EXIT_USAGE, "no unfinished run in \"%s\": nothing to resume", db_path);
    int nstored = 0;
    char **stored = stored_args(r.args, &nstored);
    if (!stored) {
        rc = cmd_fail(EXIT_USAGE,
                      "run %lld in \"%s\" was begun by an older lockmatrix whose command line "
                      "(%s) cannot be read back\nhint: run it again without --resume",
                      r.id, db_path, r.args ? r.args : "none");
        store_run_record_free(&r);
        return rc;
    }
    char **av = xcalloc((size_t)(nstored + argc + 8), sizeof(char *));
    int ac = 0;
    av[ac++] = "run";
    for (int i = 1; i < nstored; i++)
        if (strcmp(stored[i], "--resume") != 0) av[ac++] = stored[i];
    for (int i = 1; i < first && i < argc; i++)
        if (strcmp(argv[i], "--resume") != 0) av[ac++] = argv[i];
    av[ac++] = "-V";
    av[ac++] = r.versions ? r.versions : "";
    av[ac++] = "-b";
    av[ac++] = r.backend ? r.backend : "embedded";
    av[ac++] = "-d";
    av[ac++] = (char *)db_path;
    av[ac] = NULL;
    Buf shown;
    buf_init(&shown);
    join_args(&shown, nstored, stored);
    fprintf(stderr, "%s: resuming run %lld (%s): %s\n", progname, r.id, r.status,
            shown.data ? shown.data : "");
    buf_free(&shown);
    rc = run_main(ac, av, r.id);
    for (int i = 0; i < nstored; i++)
        free(stored[i]);
    free(stored);
    free(av);
    store_run_record_free(&r);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    return run_main(argc, argv, 0);
}

/* ---- the run, step by step ------------------------------------------------- */

/* One run from its command line to its summary; run_free frees it. */
typedef struct Run {
    RunArgs a;
    int argc; /* the command line, stored with a new run */
    char **argv;
    long long resume_id; /* > 0: finishing that stored run */
    long long run_id;
    VersionSet versions;
    const BackendOps *backend;
    LockTable *locktable; /* owned */
    Corpus corpus;        /* owned when corpus_loaded */
    bool corpus_loaded;
    PgInstalls pgs;       /* owned */
    BackendCfg cfg;       /* owned */
    Store *store;         /* owned */
    ResumeSet resume_set; /* owned */
    char shard_spec[32];  /* "2/4" with --shard */
} Run;

static void run_free(Run *r)
{
    free(r->resume_set.chains);
    free(r->resume_set.majors);
    if (r->store) store_close(r->store);
    backend_cfg_free(&r->cfg);
    pginstall_free(&r->pgs);
    if (r->corpus_loaded) corpus_free(&r->corpus);
    locktable_free(r->locktable);
    free(r->a.pg_bins.v);
}

/* The command line into a, by run's options in the order of its help; false:
 * return *rc (the help printed, or a usage error). */
static bool run_parse(int argc, char **argv, RunArgs *a, int *rc)
{
    *a = (RunArgs){.versions_spec = VERSIONS_DEFAULT,
                   .backend_name = "embedded",
                   .db_path = STORE_DEFAULT_PATH,
                   .image = "postgres:{major}-alpine",
                   .jobs = sysconf(_SC_NPROCESSORS_ONLN),
                   .statement_timeout = 60000,
                   .job_timeout = 900,
                   .max_risk = -1,
                   .copts = {.lean = true}}; /* the parent holds no statement (corpus/corpus.h) */
    const Opt options[] = {
        {"versions", 'V', OPTK_VERSIONS, &a->versions_spec, "LIST",
         .help = "versions to run: " VERSIONS_DEFAULT " (default: every supported\n"
                 "major), 12,14, 11- (11 and later), -12; minor releases\n"
                 "each as a column: 17.9,17.10, 17.0-17.10 (those\n"
                 "installed), 16,17.9"},
        {"backend", 'b', OPTK_CHOICE, &a->backend_name, "NAME",
         .help = "embedded (default) | docker", .choices = OPT_NAMES(cmd_backends),
         .noun = "backend"},
        {"jobs", 'j', OPTK_INT, &a->jobs, "N",
         .help = "containers at once (default: number of CPUs)", .min = 1, .max = 256,
         .want = "a number from 1 to 256"},
        {"db", 'd', OPTK_STR, &a->db_path, "FILE",
         .help = "the store (default ./" STORE_DEFAULT_PATH ")"},
        {"image", 0, OPTK_STR, &a->image, "TEMPLATE",
         .help = "docker image, default postgres:{major}-alpine"},
        {"pg-bin", 0, OPTK_LIST, &a->pg_bins, "VERSION=DIR",
         .help = "use the PostgreSQL binaries in DIR for VERSION"},
        {"each", 0, OPTK_FLAG, &a->copts.each_file, NULL,
         .help = "every file of a directory is its own chain"},
        {"wrap-tx", 0, OPTK_FLAG, &a->copts.wrap_tx, NULL,
         .help = "every migration runs in one transaction, as most migration\n"
                 "tools run them (a file with its own BEGIN/COMMIT runs as\n"
                 "written; a file only of statements that cannot run in one\n"
                 "runs without)"},
        {"layout", 0, OPTK_STR, &a->copts.layout, "NAME",
         .help = "the layout of the directories (default: detected from the\n"
                 "files): {}",
         .list = layout_names()},
        {"down", 0, OPTK_FLAG, &a->copts.downs, NULL,
         .help = "also the down migrations (golang-migrate, diesel, Flyway\n"
                 "undo, sqitch revert), after every up, newest first;\n"
                 "empty or comment-only downs are skipped and counted"},
        {"preamble", 0, OPTK_STR, &a->preamble, "FILE",
         .help = "SQL run, not traced, in each chain's database before its\n"
                 "first statement (roles, extensions, a tool's own table);\n"
                 "an error in it fails the job"},
        {"no-replay", 0, OPTK_FLAG, &a->no_replay, NULL,
         .help = "do not replay migrations that run in a transaction on a\n"
                 "sibling database: faster, but the statements whose\n"
                 "transaction already held a lock are \"unmeasured\" (their\n"
                 "own requests unknown, never a mismatch for being weaker)"},
        {"stop-on-error", 0, OPTK_FLAG, &a->stop_on_error, NULL,
         .help = "a failing statement ends its chain (default: go on); the\n"
                 "statements not run are counted apart from those traced"},
        {"statement-timeout", 0, OPTK_INT, &a->statement_timeout, "MS",
         .help = "cancel a statement after MS milliseconds (60000)", .min = 1, .max = INT_MAX,
         .want = "a number of milliseconds from 1 to 2147483647"},
        {"job-timeout", 0, OPTK_INT, &a->job_timeout, "S",
         .help = "kill a worker whose job runs longer (default 900)", .min = 1,
         .max = INT_MAX / 1000, .want = "a number of seconds from 1 to 2147483"},
        {"resume", 0, OPTK_FLAG, &a->resume, NULL,
         .help = "finish the newest unfinished run of the store (killed,\n"
                 "interrupted or failed): its corpus, unchanged, and only\n"
                 "the jobs not recorded ok; no PATH"},
        {"locktable", 0, OPTK_STR, &a->lt_path, "FILE",
         .help = "the lock table for predictions (default: built-in)"},
        {"ci", 0, OPTK_FLAG, &a->ci, NULL,
         .help = "exit 1 on a statement a server refused (file:line,\n"
                 "version, SQLSTATE, message), on any mismatch with the\n"
                 "lock table, or on a statement above --max-risk (not on\n"
                 "tables created earlier in the same migration)"},
        {"min-version", 0, OPTK_INT, &a->min_version, "N",
         .help = "the oldest major the corpus supports: errors on older\n"
                 "versions are \"not supported on N\", not failures",
         .min = 1, .max = 99, .want = "a major version such as 13"},
        {"max-risk", 0, OPTK_RISK, &a->max_risk, "LEVEL", .help = "{} (implies --ci)",
         .list = risk_names()},
        {"shard", 0, OPTK_CUSTOM, &a->shard, "K/N",
         .help = "run only shard K of N: a deterministic part of the jobs\n"
                 "(chain x version), balanced by statements; combine the\n"
                 "stores of all N with 'lockmatrix merge'",
         .parse = parse_shard},
        {"against", 0, OPTK_RUN_LAST, &a->against, "last|ID",
         .help = "after the run, compare with the previous run of the same\n"
                 "corpus paths (and shard) in the store, or run ID: exit 1\n"
                 "when an observation of a statement both have changed, each\n"
                 "change on stderr; migrations added or removed and\n"
                 "statements new or gone on stdout, not counted"},
        {"profile", 0, OPTK_FLAG, &a->profile, NULL,
         .help = "after the run, a table on stderr of where the jobs' time\n"
                 "went: server start, databases, connections, statements,\n"
                 "catalog reads, locks, replay, recording ... per version"},
        {"quiet", 'q', OPTK_FLAG, &a->quiet, NULL,
         .help = "no progress line; layout lines only for directories\n"
                 "that left files out or carry a note"},
        OPTS_END,
    };
    const OptCmd c = {"run", run_head, run_tail, 28, "PATH", 0, options};
    int first;
    if (!opts_parse(&c, argc, argv, &first, rc)) return false;
    if (a->max_risk >= 0) a->ci = true;
    a->paths = argv + first;
    a->npaths = argc - first;
    if (a->resume && a->npaths) {
        *rc = opts_fail(&c, "--resume takes no PATH (\"%s\"): it finishes the stored run's corpus",
                        a->paths[0]);
        return false;
    }
    if (!a->resume && a->npaths == 0) {
        *rc = opts_fail(&c, "no PATH given");
        return false;
    }
    return true;
}

/* The versions, the backend, the lock table and the corpus: files that
 * cannot be used are reported, the rest runs. */
static int run_prepare(Run *r)
{
    const RunArgs *a = &r->a;
    Err err = {0};
    if (versions_parse(a->versions_spec, &r->versions, &err) != 0)
        return cmd_fail_err(&err, EXIT_USAGE);
    r->backend = backend_get(a->backend_name);
    if (locktable_load(a->lt_path, &r->locktable, &err) != 0) return cmd_fail_err(&err, EXIT_USAGE);
    if (corpus_load(&r->corpus, a->paths, a->npaths, &a->copts, &err) != 0)
        return cmd_fail_err(&err, EXIT_USAGE);
    r->corpus_loaded = true;
    if (a->preamble && corpus_set_preamble(&r->corpus, a->preamble, &err) != 0)
        return cmd_fail_err(&err, EXIT_USAGE);
    size_t nstmts = 0;
    cmd_print_layouts(&r->corpus, a->quiet);
    for (size_t i = 0; i < r->corpus.nchains; i++) {
        nstmts += r->corpus.chains[i].nstmts;
        for (size_t m = 0; m < r->corpus.chains[i].nmigs; m++)
            if (r->corpus.chains[i].migs[m].error)
                fprintf(stderr, "%s: %s\n", progname, r->corpus.chains[i].migs[m].error);
    }
    if (r->corpus.nempty_downs && !a->quiet)
        fprintf(stderr, "%s: %zu empty down migrations skipped (no statements: nothing to undo)\n",
                progname, r->corpus.nempty_downs);
    if (nstmts == 0) return cmd_fail(EXIT_USAGE, "no statements to trace in the paths given");
    return 0;
}

/* The servers (embedded: the installations, a range of minor releases the
 * installed ones) and the store: a new run begun, or the resumed one claimed. */
static int run_open(Run *r)
{
    const RunArgs *a = &r->a;
    Err err = {0};
    if (strcmp(a->backend_name, "embedded") == 0) {
        if (pginstall_find(&r->pgs, a->pg_bins.v, a->pg_bins.n, &err) != 0)
            return cmd_fail_err(&err, EXIT_ENV);
        int *known;
        size_t nknown = pginstall_releases(&r->pgs, &known);
        VersionsKnown vk = {known, nknown};
        int prc = versions_parse_known(a->versions_spec, &vk, &r->versions, &err);
        free(known);
        if (prc != 0) {
            int rc = cmd_fail_err(&err, EXIT_USAGE);
            fprintf(stderr,
                    "hint: '%s pg' lists the installations; '%s pg fetch 17.9' fetches a "
                    "minor release\n",
                    progname, progname);
            return rc;
        }
    }
    r->store = store_open(a->db_path, true, &err);
    if (!r->store) return cmd_fail_err(&err, EXIT_ENV);
    if (a->shard.n) snprintf(r->shard_spec, sizeof(r->shard_spec), "%d/%d", a->shard.k, a->shard.n);
    r->run_id = r->resume_id;
    if (r->resume_id > 0) {
        /* The same corpus as then, nobody else writing the run, and only the
         * jobs not recorded ok run again. */
        ResumeSet *rs = &r->resume_set;
        if (store_run_compare(r->store, r->run_id, &r->corpus, &err) != 0) {
            int rc = cmd_fail_err(&err, EXIT_USAGE);
            fprintf(stderr, "hint: start a new run (without --resume)\n");
            return rc;
        }
        if (store_run_claim(r->store, r->run_id, &err) != 0 ||
            store_run_jobs_ok(r->store, r->run_id, &rs->chains, &rs->majors, &rs->n, &err) != 0)
            return cmd_fail_err(&err, EXIT_ENV);
        fprintf(stderr, "%s: run %lld: %zu jobs recorded ok are kept\n", progname, r->run_id,
                rs->n);
        return 0;
    }
    Buf args, corpus_desc;
    buf_init(&args);
    buf_init(&corpus_desc);
    cmd_args_json(&args, r->argc, r->argv);
    join_args(&corpus_desc, a->npaths, a->paths);
    char *corpus_id = shard_corpus_id(&r->corpus);
    RunInfo ri = {.corpus = corpus_desc.data,
                  .shard = a->shard.n ? r->shard_spec : NULL,
                  .corpus_id = corpus_id,
                  .versions = &r->versions,
                  .backend = a->backend_name,
                  .args = args.data,
                  .tool_version = LOCKMATRIX_VERSION,
                  .jobs = (int)a->jobs};
    int brc = store_run_begin(r->store, &ri, &r->corpus, &r->run_id, &err);
    buf_free(&args);
    buf_free(&corpus_desc);
    free(corpus_id);
    return brc != 0 ? cmd_fail_err(&err, EXIT_ENV) : 0;
}

/* The summary, the verdicts, the --ci gate and --against, and the exit code
 * of a run the scheduler ended with src (err its error) and st. */
static int run_finish(Run *r, const SchedStats *st, int src, Err *err)
{
    const RunArgs *a = &r->a;
    if (r->resume_id > 0)
        printf("run %lld resumed: %zu jobs kept from before\n", r->run_id, r->resume_set.n);
    char skipped_note[96] = "";
    if (st->skipped)
        snprintf(skipped_note, sizeof(skipped_note),
                 ", %zu not run after a failure (--stop-on-error)", st->skipped);
    printf("run %lld: %zu chains x %d versions = %zu jobs%s%s: %zu ok, %zu failed%s; "
           "%zu statements traced (%zu failed on the server)%s in %.1f s\n",
           r->run_id, r->corpus.nchains, r->versions.n, st->jobs_total,
           a->shard.n ? " of shard " : "", a->shard.n ? r->shard_spec : "", st->jobs_ok,
           st->jobs_failed, st->retried ? " (retries: see above)" : "", st->traces,
           st->trace_errors, skipped_note, st->wall_ms / 1000.0);
    print_verdicts(r->store, r->run_id);
    if (a->profile) prof_print(stderr, st->prof, st->nprof, st->wall_ms, (int)a->jobs);
    long ci_failed = a->ci && !st->interrupted
                         ? run_ci(r->store, r->run_id, a->max_risk, (int)a->min_version)
                         : 0;
    long changed = a->against && !st->interrupted && src == 0
                       ? run_against(r->store, r->run_id, a->against == OPT_LAST ? 0 : a->against)
                       : 0;
    int rc = 0;
    if (st->interrupted) {
        cmd_fail_err(err, EXIT_ENV);
        rc = 128 + (st->signal ? st->signal : SIGINT); /* as a shell reports it: 130, 143 */
    } else if (src != 0) {
        rc = cmd_fail_err(err, EXIT_ENV);
    } else if (st->jobs_failed) {
        rc = cmd_fail(EXIT_ENV, "%zu jobs failed", st->jobs_failed);
    } else if (r->corpus.nerrors) {
        rc = cmd_fail(EXIT_USAGE, "%zu files could not be used (see above)", r->corpus.nerrors);
    } else if (ci_failed) {
        rc = ci_failed < 0 ? EXIT_ENV
                           : cmd_fail(EXIT_CHECKS, "--ci: %ld statement versions failed the checks",
                                      ci_failed);
    } else if (changed) {
        rc = changed < 0
                 ? EXIT_ENV
                 : cmd_fail(EXIT_CHECKS, "%ld changes of observed behaviour since the earlier run",
                            changed);
    }
    bool other_db = strcmp(a->db_path, STORE_DEFAULT_PATH) != 0;
    if (!st->interrupted)
        printf("see: lockmatrix report%s%s\n", other_db ? " -d " : "", other_db ? a->db_path : "");
    return rc;
}

/* The backend prepared, the jobs run by the scheduler, what the containers
 * left removed and the run's status recorded; then run_finish. */
static int run_schedule(Run *r)
{
    const RunArgs *a = &r->a;
    Err err = {0};
    r->cfg.name = a->backend_name;
    r->cfg.run_id = r->run_id;
    r->cfg.pgs = &r->pgs;
    r->cfg.image_tmpl = a->image;
    r->cfg.start_timeout_ms = 60000;
    if (r->backend->prepare(&r->cfg, r->versions.v, r->versions.n, &err) != 0) {
        Err e2 = {0};
        store_run_finish(r->store, r->run_id, "failed", &e2);
        return cmd_fail_err(&err, EXIT_ENV);
    }
    SchedOpts so = {.jobs = (int)a->jobs,
                    .versions = &r->versions,
                    .backend = r->backend,
                    .cfg = &r->cfg,
                    .statement_timeout_ms = (int)a->statement_timeout,
                    .job_timeout_ms = (int)(a->job_timeout * 1000),
                    .retries = 1,
                    .stop_on_error = a->stop_on_error,
                    .no_replay = a->no_replay,
                    .progress = !a->quiet && isatty(STDERR_FILENO),
                    .locktable = r->locktable,
                    .skip = r->resume_id > 0 ? resume_skip : NULL,
                    .skip_ctx = &r->resume_set,
                    .shard_k = a->shard.k,
                    .shard_n = a->shard.n};
    /* Workers may run as another user (embedded drops root): they read the
     * files through descriptors opened here, as the caller. */
    corpus_open_files(&r->corpus);
    SchedStats st;
    int src = scheduler_run(&r->corpus, r->store, r->run_id, &so, &st, &err);
    /* Whatever the run's containers left (normally nothing but its directory). */
    Err ec = {0};
    if (r->backend->clean(&r->cfg, r->run_id, &ec) < 0)
        fprintf(stderr, "%s: %s\n", progname, ec.msg);
    Err e2 = {0};
    const char *status = st.interrupted                 ? "interrupted"
                         : (src != 0 || st.jobs_failed) ? "failed"
                                                        : "complete";
    if (store_run_finish(r->store, r->run_id, status, &e2) != 0 && src == 0) {
        err = e2;
        src = -1;
    }
    return run_finish(r, &st, src, &err);
}

/* One run; resume_id > 0: finish that stored run (its corpus must be the same). */
static int run_main(int argc, char **argv, long long resume_id)
{
    Run r = {.argc = argc, .argv = argv, .resume_id = resume_id};
    int rc;
    if (!run_parse(argc, argv, &r.a, &rc)) {
        free(r.a.pg_bins.v);
        return rc;
    }
    if (r.a.resume && resume_id == 0) {
        rc = resume(argc, argv, &r.a);
        free(r.a.pg_bins.v);
        return rc;
    }
    if ((rc = run_prepare(&r)) == 0 && (rc = run_open(&r)) == 0) rc = run_schedule(&r);
    run_free(&r);
    return rc;
}
