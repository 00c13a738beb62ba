/*
 * cmd/run: trace the corpus on every version.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
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

static const char usage_text[] =
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
    "options:\n"
    "  -V, --versions LIST       versions to run: " VERSIONS_DEFAULT " (default: every supported\n"
    "                            major), 12,14, 11- (11 and later), -12; minor releases\n"
    "                            each as a column: 17.9,17.10, 17.0-17.10 (those\n"
    "                            installed), 16,17.9\n"
    "  -b, --backend NAME        embedded (default) | docker\n"
    "  -j, --jobs N              containers at once (default: number of CPUs)\n"
    "  -d, --db FILE             the store (default ./lockmatrix.db)\n"
    "      --image TEMPLATE      docker image, default postgres:{major}-alpine\n"
    "      --pg-bin VERSION=DIR  use the PostgreSQL binaries in DIR for VERSION\n"
    "      --each                every file of a directory is its own chain\n"
    "      --wrap-tx             every migration runs in one transaction, as most migration\n"
    "                            tools run them (a file with its own BEGIN/COMMIT runs as\n"
    "                            written; a file only of statements that cannot run in one\n"
    "                            runs without)\n"
    "      --layout NAME         the layout of the directories: plain, each, golang-migrate,\n"
    "                            flyway, prisma, drizzle, diesel, sqitch, knex, typeorm,\n"
    "                            sequelize (default: detected from the files)\n"
    "      --down                also the down migrations (golang-migrate, diesel, Flyway\n"
    "                            undo, sqitch revert), after every up, newest first;\n"
    "                            empty or comment-only downs are skipped and counted\n"
    "      --preamble FILE       SQL run, not traced, in each chain's database before its\n"
    "                            first statement (roles, extensions, a tool's own table);\n"
    "                            an error in it fails the job\n"
    "      --no-replay           do not replay migrations that run in a transaction on a\n"
    "                            sibling database: faster, but the statements whose\n"
    "                            transaction already held a lock are \"unmeasured\" (their\n"
    "                            own requests unknown, never a mismatch for being weaker)\n"
    "      --stop-on-error       a failing statement ends its chain (default: go on); the\n"
    "                            statements not run are counted apart from those traced\n"
    "      --statement-timeout MS  cancel a statement after MS milliseconds (60000)\n"
    "      --job-timeout S       kill a worker whose job runs longer (default 900)\n"
    "      --resume              finish the newest unfinished run of the store (killed,\n"
    "                            interrupted or failed): its corpus, unchanged, and only\n"
    "                            the jobs not recorded ok; no PATH\n"
    "      --locktable FILE      the lock table for predictions (default: built-in)\n"
    "      --ci                  exit 1 on a statement a server refused (file:line,\n"
    "                            version, SQLSTATE, message), on any mismatch with the\n"
    "                            lock table, or on a statement above --max-risk (not on\n"
    "                            tables created earlier in the same migration)\n"
    "      --min-version N       the oldest major the corpus supports: errors on older\n"
    "                            versions are \"not supported on N\", not failures\n"
    "      --max-risk LEVEL      safe (or none) | low | medium | high | critical (implies --ci)\n"
    "      --shard K/N           run only shard K of N: a deterministic part of the jobs\n"
    "                            (chain x version), balanced by statements; combine the\n"
    "                            stores of all N with 'lockmatrix merge'\n"
    "      --against last|ID     after the run, compare with the previous run of the same\n"
    "                            corpus paths (and shard) in the store, or run ID: exit 1\n"
    "                            when an observation of a statement both have changed, each\n"
    "                            change on stderr; migrations added or removed and\n"
    "                            statements new or gone on stdout, not counted\n"
    "  -q, --quiet               no progress line; layout lines only for directories\n"
    "                            that left files out or carry a note\n"
    "  -h, --help                this help\n"
    "\n"
    "Exit codes: 0 ok, 1 --ci checks failed or --against found a change, 2 usage or input error (a file that could not be used:\n"
    "the rest still ran), 3 environment error (no server binaries, jobs that\n"
    "failed after a retry), 130 interrupted by SIGINT, 143 by SIGTERM.\n";

enum {
    OPT_IMAGE = 256,
    OPT_PG_BIN,
    OPT_EACH,
    OPT_WRAP_TX,
    OPT_STOP_ON_ERROR,
    OPT_NO_REPLAY,
    OPT_STATEMENT_TIMEOUT,
    OPT_JOB_TIMEOUT,
    OPT_SHARD,
    OPT_RESUME,
    OPT_CI,
    OPT_MAX_RISK,
    OPT_MIN_VERSION,
    OPT_LOCKTABLE,
    OPT_LAYOUT,
    OPT_PREAMBLE,
    OPT_DOWN,
    OPT_AGAINST,
};

static const struct option long_opts[] = {
    {"versions", required_argument, NULL, 'V'},
    {"backend", required_argument, NULL, 'b'},
    {"jobs", required_argument, NULL, 'j'},
    {"db", required_argument, NULL, 'd'},
    {"image", required_argument, NULL, OPT_IMAGE},
    {"pg-bin", required_argument, NULL, OPT_PG_BIN},
    {"each", no_argument, NULL, OPT_EACH},
    {"wrap-tx", no_argument, NULL, OPT_WRAP_TX},
    {"stop-on-error", no_argument, NULL, OPT_STOP_ON_ERROR},
    {"no-replay", no_argument, NULL, OPT_NO_REPLAY},
    {"statement-timeout", required_argument, NULL, OPT_STATEMENT_TIMEOUT},
    {"job-timeout", required_argument, NULL, OPT_JOB_TIMEOUT},
    {"shard", required_argument, NULL, OPT_SHARD},
    {"resume", no_argument, NULL, OPT_RESUME},
    {"ci", no_argument, NULL, OPT_CI},
    {"max-risk", required_argument, NULL, OPT_MAX_RISK},
    {"min-version", required_argument, NULL, OPT_MIN_VERSION},
    {"locktable", required_argument, NULL, OPT_LOCKTABLE},
    {"layout", required_argument, NULL, OPT_LAYOUT},
    {"preamble", required_argument, NULL, OPT_PREAMBLE},
    {"down", no_argument, NULL, OPT_DOWN},
    {"against", required_argument, NULL, OPT_AGAINST},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* A positive integer option, or -1. */
static long parse_positive(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    return (*s && *end == '\0' && v > 0) ? v : -1;
}

/* The arguments space-separated; one with a character a shell would split on
 * or interpret is single-quoted ('it'\''s'), so that split_args gives them back. */
static void join_args(Buf *b, int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (i)
            buf_putc(b, ' ');
        const char *a = argv[i];
        bool plain = *a != '\0';
        for (const char *p = a; *p && plain; p++)
            plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                           "_./,:=+-@%", *p) != NULL;
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

/* The words of a line written by join_args (single quotes, backslash escapes);
 * free each and the array. */
static char **split_args(const char *s, int *n)
{
    char **out = NULL;
    size_t cnt = 0, cap = 0;
    Buf w;
    buf_init(&w);
    while (*s) {
        while (*s == ' ' || *s == '\t' || *s == '\n')
            s++;
        if (!*s)
            break;
        buf_reset(&w);
        buf_puts(&w, "");
        while (*s && *s != ' ' && *s != '\t' && *s != '\n') {
            if (*s == '\'') {
                for (s++; *s && *s != '\''; s++)
                    buf_putc(&w, *s);
                if (*s)
                    s++;
            } else if (*s == '\\' && s[1]) {
                buf_putc(&w, s[1]);
                s += 2;
            } else {
                buf_putc(&w, *s++);
            }
        }
        *ARRAY_PUSH(out, cnt, cap) = xstrdup(w.data ? w.data : "");
    }
    buf_free(&w);
    *n = (int)cnt;
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

/* "last" (0) or a run id; -1 when neither. */
static long long parse_against(const char *s)
{
    if (strcmp(s, "last") == 0)
        return 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    return (*s && *end == '\0' && v > 0) ? v : -1;
}

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
 * versions, backend and store, which are the run's). */
static int resume(int argc, char **argv, const char *db_path)
{
    Err err = {0};
    for (int i = optind; i < argc; i++)
        return cmd_fail(EXIT_USAGE,
                        "--resume takes no PATH (\"%s\"): it finishes the stored run's corpus",
                        argv[i]);
    Store *store = store_open(db_path, false, &err);
    if (!store)
        return cmd_fail_err(&err, EXIT_ENV);
    StoreRun r;
    int rc = store_run_unfinished(store, &r, &err);
    store_close(store);
    if (rc != 0)
        return cmd_fail_err(&err, EXIT_ENV);
    if (r.id == 0)
        return cmd_fail(EXIT_USAGE, "no unfinished run in \"%s\": nothing to resume", db_path);
    int nstored = 0;
    char **stored = split_args(r.args ? r.args : "", &nstored);
    char **av = xcalloc((size_t)(nstored + argc + 8), sizeof(char *));
    int ac = 0;
    av[ac++] = "run";
    for (int i = 1; i < nstored; i++)
        if (strcmp(stored[i], "--resume") != 0)
            av[ac++] = stored[i];
    for (int i = 1; i < optind && i < argc; i++)
        if (strcmp(argv[i], "--resume") != 0)
            av[ac++] = argv[i];
    av[ac++] = "-V";
    av[ac++] = r.versions ? r.versions : "";
    av[ac++] = "-b";
    av[ac++] = r.backend ? r.backend : "embedded";
    av[ac++] = "-d";
    av[ac++] = (char *)db_path;
    av[ac] = NULL;
    fprintf(stderr, "%s: resuming run %lld (%s): %s\n", progname, r.id, r.status,
                r.args ? r.args : "");
    rc = run_main(ac, av, r.id);
    for (int i = 0; i < nstored; i++)
        free(stored[i]);
    free(stored);
    free(av);
    store_run_record_free(&r);
    return rc;
}

int cmd_run(int argc, char **argv) { return run_main(argc, argv, 0); }

/* One run; resume_id > 0: finish that stored run (its corpus must be the same). */
static int run_main(int argc, char **argv, long long resume_id)
{
    const char *versions_spec = VERSIONS_DEFAULT, *backend_name = "embedded";
    const char *db_path = STORE_DEFAULT_PATH, *image = "postgres:{major}-alpine";
    long jobs = sysconf(_SC_NPROCESSORS_ONLN);
    long statement_timeout = 60000, job_timeout = 900;
    bool quiet = false;
    CorpusOpts copts = {.lean = true}; /* the parent holds no statement (corpus/corpus.h) */
    char **pg_bins = NULL;
    size_t npg_bins = 0, pg_bins_cap = 0;
    bool stop_on_error = false;
    bool no_replay = false;
    bool ci = false;
    int max_risk = -1;
    long min_version = 0;
    const char *lt_path = NULL;
    bool resume_wanted = false;
    const char *preamble = NULL;
    Shard shard = {0};
    long long against = -1; /* -1: no --against, 0: last */

    optind = 0;
    int o;
    while ((o = getopt_long(argc, argv, "V:b:j:d:qh", long_opts, NULL)) != -1) {
        switch (o) {
        case 'V': versions_spec = optarg; break;
        case 'b': backend_name = optarg; break;
        case 'j':
            jobs = parse_positive(optarg);
            if (jobs < 0 || jobs > 256)
                return cmd_fail(EXIT_USAGE, "invalid --jobs \"%s\": a number from 1 to 256", optarg);
            break;
        case 'd': db_path = optarg; break;
        case OPT_IMAGE: image = optarg; break;
        case OPT_PG_BIN: *ARRAY_PUSH(pg_bins, npg_bins, pg_bins_cap) = optarg; break;
        case OPT_EACH: copts.each_file = true; break;
        case OPT_WRAP_TX: copts.wrap_tx = true; break;
        case OPT_STOP_ON_ERROR: stop_on_error = true; break;
        case OPT_NO_REPLAY: no_replay = true; break;
        case OPT_STATEMENT_TIMEOUT:
            statement_timeout = parse_positive(optarg);
            if (statement_timeout < 0)
                return cmd_fail(EXIT_USAGE, "invalid --statement-timeout \"%s\": milliseconds", optarg);
            break;
        case OPT_JOB_TIMEOUT:
            job_timeout = parse_positive(optarg);
            if (job_timeout < 0)
                return cmd_fail(EXIT_USAGE, "invalid --job-timeout \"%s\": seconds", optarg);
            break;
        case OPT_CI: ci = true; break;
        case OPT_MAX_RISK:
            if ((max_risk = risk_parse(optarg)) < 0) {
                free(pg_bins);
                return cmd_fail(EXIT_USAGE,
                                "unknown risk level \"%s\" (%s)", optarg,
                                risk_names());
            }
            ci = true;
            break;
        case OPT_MIN_VERSION:
            min_version = parse_positive(optarg);
            if (min_version < 0 || min_version > 99) {
                free(pg_bins);
                return cmd_fail(EXIT_USAGE, "invalid --min-version \"%s\": a major version such as 13",
                                optarg);
            }
            break;
        case OPT_LOCKTABLE: lt_path = optarg; break;
        case OPT_LAYOUT: copts.layout = optarg; break;
        case OPT_PREAMBLE: preamble = optarg; break;
        case OPT_DOWN: copts.downs = true; break;
        case OPT_SHARD: {
            Err e = {0};
            if (shard_parse(optarg, &shard, &e) != 0) {
                free(pg_bins);
                return cmd_fail_err(&e, EXIT_USAGE);
            }
            break;
        }
        case OPT_AGAINST:
            if ((against = parse_against(optarg)) < 0) {
                free(pg_bins);
                return cmd_fail(EXIT_USAGE, "invalid --against \"%s\": last or a run id", optarg);
            }
            break;
        case OPT_RESUME: resume_wanted = true; break;
        case 'q': quiet = true; break;
        case 'h':
            free(pg_bins);
            fputs(usage_text, stdout);
            return 0;
        default:
            free(pg_bins);
            fputs(usage_text, stderr);
            return EXIT_USAGE;
        }
    }
    if (resume_wanted && resume_id == 0) {
        free(pg_bins);
        return resume(argc, argv, db_path);
    }
    if (optind >= argc) {
        free(pg_bins);
        fprintf(stderr, "%s: run: no PATH given\n", progname);
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }

    Err err = {0};
    VersionSet versions;
    if (versions_parse(versions_spec, &versions, &err) != 0) {
        free(pg_bins);
        return cmd_fail_err(&err, EXIT_USAGE);
    }
    const BackendOps *backend = backend_get(backend_name);
    if (!backend) {
        free(pg_bins);
        return cmd_fail(EXIT_USAGE, "unknown backend \"%s\" (embedded, docker)", backend_name);
    }
    LockTable *locktable = NULL;
    if (locktable_load(lt_path, &locktable, &err) != 0) {
        free(pg_bins);
        return cmd_fail_err(&err, EXIT_USAGE);
    }

    /* The corpus: files that cannot be used are reported, the rest runs. */
    Corpus corpus;
    if (corpus_load(&corpus, argv + optind, argc - optind, &copts, &err) != 0) {
        locktable_free(locktable);
        free(pg_bins);
        return cmd_fail_err(&err, EXIT_USAGE);
    }
    if (preamble && corpus_set_preamble(&corpus, preamble, &err) != 0) {
        corpus_free(&corpus);
        locktable_free(locktable);
        free(pg_bins);
        return cmd_fail_err(&err, EXIT_USAGE);
    }
    size_t nstmts = 0;
    cmd_print_layouts(&corpus, quiet);
    for (size_t i = 0; i < corpus.nchains; i++) {
        nstmts += corpus.chains[i].nstmts;
        for (size_t m = 0; m < corpus.chains[i].nmigs; m++)
            if (corpus.chains[i].migs[m].error)
                fprintf(stderr, "%s: %s\n", progname, corpus.chains[i].migs[m].error);
    }
    if (corpus.nempty_downs && !quiet)
        fprintf(stderr, "%s: %zu empty down migrations skipped (no statements: nothing to undo)\n",
                progname, corpus.nempty_downs);
    int rc = 0;
    if (nstmts == 0) {
        corpus_free(&corpus);
        locktable_free(locktable);
        free(pg_bins);
        return cmd_fail(EXIT_USAGE, "no statements to trace in the paths given");
    }

    PgInstalls pgs = {0};
    BackendCfg cfg = {0};
    Store *store = NULL;
    ResumeSet resume_set = {0};
    if (strcmp(backend_name, "embedded") == 0) {
        if (pginstall_find(&pgs, pg_bins, npg_bins, &err) != 0) {
            rc = cmd_fail_err(&err, EXIT_ENV);
            goto out;
        }
        /* A range of minor releases ("17.0-17.10") runs the installed ones. */
        int *known;
        size_t nknown = pginstall_releases(&pgs, &known);
        VersionsKnown vk = {known, nknown};
        int prc = versions_parse_known(versions_spec, &vk, &versions, &err);
        free(known);
        if (prc != 0) {
            rc = cmd_fail_err(&err, EXIT_USAGE);
            fprintf(stderr, "hint: '%s pg' lists the installations; '%s pg fetch 17.9' fetches a "
                            "minor release\n",
                    progname, progname);
            goto out;
        }
    }
    store = store_open(db_path, true, &err);
    if (!store) {
        rc = cmd_fail_err(&err, EXIT_ENV);
        goto out;
    }
    char shard_spec[32] = "";
    if (shard.n)
        snprintf(shard_spec, sizeof(shard_spec), "%d/%d", shard.k, shard.n);
    long long run_id = resume_id;
    if (resume_id > 0) {
        /* The same corpus as then, nobody else writing the run, and only the
         * jobs not recorded ok run again. */
        if (store_run_compare(store, run_id, &corpus, &err) != 0) {
            rc = cmd_fail_err(&err, EXIT_USAGE);
            fprintf(stderr, "hint: start a new run (without --resume)\n");
            goto out;
        }
        if (store_run_claim(store, run_id, &err) != 0) {
            rc = cmd_fail_err(&err, EXIT_ENV);
            goto out;
        }
        if (store_run_jobs_ok(store, run_id, &resume_set.chains, &resume_set.majors,
                              &resume_set.n, &err) != 0) {
            rc = cmd_fail_err(&err, EXIT_ENV);
            goto out;
        }
        fprintf(stderr, "%s: run %lld: %zu jobs recorded ok are kept\n", progname, run_id,
                resume_set.n);
    } else {
        Buf args;
        buf_init(&args);
        join_args(&args, argc, argv);
        Buf corpus_desc;
        buf_init(&corpus_desc);
        join_args(&corpus_desc, argc - optind, argv + optind);
        char *corpus_id = shard_corpus_id(&corpus);
        RunInfo ri = {.corpus = corpus_desc.data,
                      .shard = shard.n ? shard_spec : NULL,
                      .corpus_id = corpus_id,
                      .versions = &versions,
                      .backend = backend_name,
                      .args = args.data,
                      .tool_version = LOCKMATRIX_VERSION,
                      .jobs = (int)jobs};
        int brc = store_run_begin(store, &ri, &corpus, &run_id, &err);
        buf_free(&args);
        buf_free(&corpus_desc);
        free(corpus_id);
        if (brc != 0) {
            rc = cmd_fail_err(&err, EXIT_ENV);
            goto out;
        }
    }

    cfg.name = backend_name;
    cfg.run_id = run_id;
    cfg.pgs = &pgs;
    cfg.image_tmpl = image;
    cfg.start_timeout_ms = 60000;
    if (backend->prepare(&cfg, versions.v, versions.n, &err) != 0) {
        Err e2 = {0};
        store_run_finish(store, run_id, "failed", &e2);
        rc = cmd_fail_err(&err, EXIT_ENV);
        goto out;
    }

    SchedOpts so = {.jobs = (int)jobs,
                    .versions = &versions,
                    .backend = backend,
                    .cfg = &cfg,
                    .statement_timeout_ms = (int)statement_timeout,
                    .job_timeout_ms = (int)(job_timeout * 1000),
                    .retries = 1,
                    .stop_on_error = stop_on_error,
                    .no_replay = no_replay,
                    .progress = !quiet && isatty(STDERR_FILENO),
                    .locktable = locktable,
                    .skip = resume_id > 0 ? resume_skip : NULL,
                    .skip_ctx = &resume_set,
                    .shard_k = shard.k,
                    .shard_n = shard.n};
    /* Workers may run as another user (embedded drops root): they read the
     * files through descriptors opened here, as the caller. */
    corpus_open_files(&corpus);
    SchedStats st;
    int src = scheduler_run(&corpus, store, run_id, &so, &st, &err);
    /* Whatever the run's containers left (normally nothing but its directory). */
    Err ec = {0};
    if (backend->clean(&cfg, run_id, &ec) < 0)
        fprintf(stderr, "%s: %s\n", progname, ec.msg);
    Err e2 = {0};
    const char *status = st.interrupted ? "interrupted"
                         : (src != 0 || st.jobs_failed) ? "failed" : "complete";
    if (store_run_finish(store, run_id, status, &e2) != 0 && src == 0) {
        err = e2;
        src = -1;
    }
    if (resume_id > 0)
        printf("run %lld resumed: %zu jobs kept from before\n", run_id, resume_set.n);
    char skipped_note[96] = "";
    if (st.skipped)
        snprintf(skipped_note, sizeof(skipped_note),
                 ", %zu not run after a failure (--stop-on-error)", st.skipped);
    printf("run %lld: %zu chains x %d versions = %zu jobs%s%s: %zu ok, %zu failed%s; "
           "%zu statements traced (%zu failed on the server)%s in %.1f s\n",
           run_id, corpus.nchains, versions.n, st.jobs_total, shard.n ? " of shard " : "",
           shard.n ? shard_spec : "", st.jobs_ok, st.jobs_failed,
           st.retried ? " (retries: see above)" : "", st.traces, st.trace_errors, skipped_note,
           st.wall_ms / 1000.0);
    print_verdicts(store, run_id);
    long ci_failed = ci && !st.interrupted ? run_ci(store, run_id, max_risk, (int)min_version) : 0;
    long changed = against >= 0 && !st.interrupted && src == 0 ? run_against(store, run_id, against) : 0;
    if (st.interrupted) {
        cmd_fail_err(&err, EXIT_ENV);
        rc = 128 + (st.signal ? st.signal : SIGINT); /* as a shell reports it: 130, 143 */
    } else if (src != 0) {
        rc = cmd_fail_err(&err, EXIT_ENV);
    } else if (st.jobs_failed) {
        rc = cmd_fail(EXIT_ENV, "%zu jobs failed", st.jobs_failed);
    } else if (corpus.nerrors) {
        rc = cmd_fail(EXIT_USAGE, "%zu files could not be used (see above)", corpus.nerrors);
    } else if (ci_failed) {
        rc = ci_failed < 0 ? EXIT_ENV
                           : cmd_fail(EXIT_CHECKS, "--ci: %ld statement versions failed the checks",
                                      ci_failed);
    } else if (changed) {
        rc = changed < 0 ? EXIT_ENV
                         : cmd_fail(EXIT_CHECKS, "%ld changes of observed behaviour since the earlier run",
                                    changed);
    }
    if (!st.interrupted)
        printf("see: lockmatrix report%s%s\n", strcmp(db_path, STORE_DEFAULT_PATH) ? " -d " : "",
               strcmp(db_path, STORE_DEFAULT_PATH) ? db_path : "");

out:
    free(resume_set.chains);
    free(resume_set.majors);
    if (store)
        store_close(store);
    backend_cfg_free(&cfg);
    pginstall_free(&pgs);
    corpus_free(&corpus);
    locktable_free(locktable);
    free(pg_bins);
    return rc;
}
