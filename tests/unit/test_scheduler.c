/*
 * test_scheduler: the real scheduler (forked workers, the wire, the store)
 * driven by a backend that misbehaves on demand, the one test double of the
 * runner's tests: a worker's death, a job that hangs, a container that never
 * starts and a signal in the middle of a run cannot be produced otherwise.
 * Next to them the same scheduler with the real embedded backend, which
 * must finish every job.
 *
 * Every case asserts what the scheduler returns (its code and error, the
 * stats) and what it recorded: one row per job in the store, no job lost,
 * the attempts and reasons, and every worker's container reaped.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "corpus/corpus.h"
#include "runner/backend.h"
#include "store/internal.h" /* the raw job rows */
#include "runner/embedded.h"
#include "runner/pginstall.h"
#include "runner/scheduler.h"
#include "store/store.h"
#include "tests/unit/servers.h"

static char dir[] = "/tmp/lm-test-scheduler.XXXXXX";

/* ---- the misbehaving backend ---------------------------------------------- */

typedef enum Fault {
    F_REAL,      /* the embedded backend, untouched */
    F_NO_START,  /* start() fails with a message */
    F_DIE_START, /* the worker is killed while its container starts */
    F_HANG_JOB,  /* a server that accepts connections and never answers */
    F_DIE_JOB,   /* the worker is killed while it runs a job */
    F_SIGTERM,   /* the scheduler gets SIGTERM while a container starts */
} Fault;

static Fault fault;      /* read by the forked workers */
static int reaped;       /* reap() calls, in the parent */
static char *silent_dir; /* the directory of the silent server's socket */

static char *start_log; /* F_REAL: a line per server start, appended by the workers */

static int fake_start(const BackendCfg *cfg, int major, int seq, Container *out, Err *err)
{
    switch (fault) {
    case F_REAL:
        if (start_log) {
            FILE *f = fopen(start_log, "a");
            if (f) {
                fputs("start\n", f);
                fclose(f);
            }
        }
        return embedded_backend.start(cfg, major, seq, out, err);
    case F_NO_START:
        return err_set(err, EXIT_ENV, "fake: no server today");
    case F_DIE_START:
        raise(SIGKILL);
        break;
    case F_SIGTERM:
        kill(getppid(), SIGTERM);
        for (;;)
            pause();
    case F_HANG_JOB:
    case F_DIE_JOB:
        memset(out, 0, sizeof(*out));
        out->major = major;
        out->pid = -1;
        out->server_version = xstrdup("17.0");
        out->conninfo = xasprintf("host=%s port=5432 user=postgres", silent_dir);
        out->name = xasprintf("fake.w%d", seq);
        if (fault == F_DIE_JOB) alarm(1); /* SIGALRM's default action ends the worker mid-job */
        return 0;
    }
    return err_set(err, EXIT_ENV, "fake: unknown fault");
}

static void fake_stop(const BackendCfg *cfg, Container *c)
{
    if (fault == F_REAL) {
        embedded_backend.stop(cfg, c);
        return;
    }
    free(c->server_version);
    free(c->conninfo);
    free(c->name);
    memset(c, 0, sizeof(*c));
}

static void fake_reap(const BackendCfg *cfg, int seq)
{
    reaped++;
    if (fault == F_REAL) embedded_backend.reap(cfg, seq);
}

static const BackendOps fake_backend = {
    .name = "fake",
    .start = fake_start,
    .stop = fake_stop,
    .reap = fake_reap,
};

/* ---- helpers ---------------------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* A Unix socket that listens and never accepts: connections wait forever. */
static int silent_server(const char *d)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/.s.PGSQL.5432", d);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 64) != 0)
        return -1;
    return fd;
}

/* The jobs the store holds for run: count, and the rows as
 * "chain major status attempts reason" lines. */
static int jobs_rows(Store *s, long long run, Buf *out)
{
    sqlite3_stmt *st;
    int n = 0;
    if (sqlite3_prepare_v2(store_db(s),
                           "SELECT chain, major, status, attempts, coalesce(reason, '') FROM jobs "
                           "WHERE run_id = ? ORDER BY chain, major",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, run);
    while (sqlite3_step(st) == SQLITE_ROW) {
        buf_printf(out, "%d %d %s %d %s\n", sqlite3_column_int(st, 0), sqlite3_column_int(st, 1),
                   (const char *)sqlite3_column_text(st, 2), sqlite3_column_int(st, 3),
                   (const char *)sqlite3_column_text(st, 4));
        n++;
    }
    sqlite3_finalize(st);
    return n;
}

/* ---- the cases -------------------------------------------------------------- */

typedef struct Case {
    const char *name;
    Fault fault;
    int job_timeout_ms;
    int rc;              /* scheduler_run's return */
    int err_code;        /* and its error's kind */
    const char *err_has; /* in its message, NULL: none */
    size_t ok, failed, retried;
    int rows;               /* jobs in the store */
    int attempts;           /* of every failed job */
    const char *reason_has; /* in every failed job's reason */
    int min_reaped;         /* workers reaped at least */
    bool interrupted;
} Case;

static const Case cases[] = {
    {"real embedded backend", F_REAL, 60000, 0, 0, NULL, 2, 0, 0, 2, 0, NULL, 1, false},
    {"start fails", F_NO_START, 60000, 0, 0, NULL, 0, 2, 0, 2, 2,
     "no container for %d: fake: no server today", 2, false},
    {"worker dies while starting", F_DIE_START, 60000, 0, 0, NULL, 0, 2, 0, 2, 2,
     "no container could be started", 2, false},
    {"job hangs past its budget", F_HANG_JOB, 1000, 0, 0, NULL, 0, 2, 2, 2, 2,
     "job exceeded its time budget of 1 s", 4, false},
    {"worker dies during a job", F_DIE_JOB, 60000, 0, 0, NULL, 0, 2, 2, 2, 2,
     "worker killed by signal 14", 4, false},
    {"SIGTERM during the run", F_SIGTERM, 60000, -1, EXIT_ENV, "terminated", 0, 0, 0, 0, 0, NULL, 1,
     true},
};

static void run_case(const Case *k, Corpus *c, Store *s, const VersionSet *vs, BackendCfg *cfg)
{
    Err err = {0};
    VersionSet one = *vs;
    RunInfo ri = {.corpus = "two chains",
                  .versions = &one,
                  .backend = "fake",
                  .args = k->name,
                  .tool_version = "test",
                  .jobs = 1};
    long long run = 0;
    if (store_run_begin(s, &ri, c, &run, &err) != 0) {
        CHECK(0, "%s: run_begin: %s", k->name, err.msg);
        return;
    }
    SchedOpts so = {.jobs = 1,
                    .versions = &one,
                    .backend = &fake_backend,
                    .cfg = cfg,
                    .statement_timeout_ms = 10000,
                    .job_timeout_ms = k->job_timeout_ms,
                    .retries = 1,
                    .no_replay = true};
    SchedStats st;
    fault = k->fault;
    reaped = 0;
    double t0 = now_ms();
    int rc = scheduler_run(c, s, run, &so, &st, &err);
    printf("# %s: %.1f s\n", k->name, (now_ms() - t0) / 1000);
    CHECK(rc == k->rc, "%s: returns %d (%s)", k->name, rc, err.msg);
    CHECK(err.code == k->err_code, "%s: error kind %d: %s", k->name, err.code, err.msg);
    if (k->err_has)
        CHECK(strstr(err.msg, k->err_has) != NULL, "%s: error says \"%s\": %s", k->name, k->err_has,
              err.msg);
    CHECK(st.jobs_total == 2, "%s: 2 jobs, got %zu", k->name, st.jobs_total);
    CHECK(st.jobs_ok == k->ok && st.jobs_failed == k->failed && st.retried == k->retried,
          "%s: ok %zu failed %zu retried %zu", k->name, st.jobs_ok, st.jobs_failed, st.retried);
    CHECK(st.interrupted == k->interrupted && (!k->interrupted || st.signal == SIGTERM),
          "%s: interrupted %d signal %d", k->name, st.interrupted, st.signal);
    if (!k->interrupted)
        CHECK(st.jobs_ok + st.jobs_failed == st.jobs_total, "%s: no job lost", k->name);
    CHECK(reaped >= k->min_reaped, "%s: %d workers reaped, want >= %d", k->name, reaped,
          k->min_reaped);
    if (k->fault == F_REAL)
        CHECK(st.traces == 3 && st.trace_errors == 1, "%s: 3 statements traced, 1 failed: %zu %zu",
              k->name, st.traces, st.trace_errors);

    Buf rows;
    buf_init(&rows);
    int n = jobs_rows(s, run, &rows);
    CHECK(n == k->rows, "%s: %d jobs recorded, want %d:\n%s", k->name, n, k->rows,
          rows.data ? rows.data : "");
    char *reason = k->reason_has ? xasprintf(k->reason_has, vs->v[0]) : NULL;
    for (const char *line = rows.data; line && *line;) {
        int chain, major, attempts;
        char status[16];
        int used = 0;
        if (sscanf(line, "%d %d %15s %d %n", &chain, &major, status, &attempts, &used) != 4) break;
        const char *why = line + used;
        const char *nl = strchr(line, '\n');
        bool failed = strcmp(status, "failed") == 0;
        CHECK(failed == (k->failed > 0), "%s: job %d status %s", k->name, chain, status);
        if (failed) {
            CHECK(attempts == k->attempts, "%s: job %d attempts %d", k->name, chain, attempts);
            CHECK(reason && strstr(why, reason) != NULL && strstr(why, reason) < nl,
                  "%s: job %d reason has \"%s\": %.*s", k->name, chain, reason ? reason : "",
                  (int)(nl - why), why);
        } else {
            CHECK(attempts == 1, "%s: job %d attempts %d", k->name, chain, attempts);
        }
        line = nl ? nl + 1 : NULL;
    }
    free(reason);
    buf_free(&rows);
    store_run_finish(s, run, k->interrupted ? "interrupted" : "complete", &err);
}

/* Chains that leave their server to no later job (a DO block may change what
 * every database shares) go where a server is about to be replaced anyway:
 * 40 clean chains and 3 DO blocks among the first 25 take 3 servers of 32
 * databases (the first DO block in the last databases of the first server,
 * the other two last), where running them in order took 4. */
static void test_dirty_last_on_a_server(Store *s, const VersionSet *vs, BackendCfg *cfg)
{
    char *many = xasprintf("%s/many", dir);
    mkdir(many, 0755);
    for (int i = 1; i <= 43; i++) {
        char *f = xasprintf("%s/m%02d.sql", many, i);
        write_file(f, i == 5 || i == 15 || i == 25 ? "DO $$ BEGIN PERFORM 1; END $$;\n"
                                                   : "CREATE TABLE t (id int);\n");
        free(f);
    }
    Corpus c = {0};
    CorpusOpts co = {.lean = true, .each_file = true};
    Err err = {0};
    char *paths[] = {many};
    CHECK(corpus_load(&c, paths, 1, &co, &err) == 0 && c.nchains == 43,
          "dirty last: corpus: %s (%zu chains)", err.msg, c.nchains);
    corpus_open_files(&c);
    VersionSet one = {.n = 1};
    one.v[0] = vs->v[0];
    RunInfo ri = {.corpus = "many",
                  .versions = &one,
                  .backend = "fake",
                  .args = "dirty",
                  .tool_version = "test",
                  .jobs = 1};
    long long run = 0;
    CHECK(store_run_begin(s, &ri, &c, &run, &err) == 0, "dirty last: run_begin: %s", err.msg);
    SchedOpts so = {.jobs = 1,
                    .versions = &one,
                    .backend = &fake_backend,
                    .cfg = cfg,
                    .statement_timeout_ms = 10000,
                    .job_timeout_ms = 60000,
                    .retries = 1,
                    .no_replay = true};
    start_log = xasprintf("%s/starts", dir);
    write_file(start_log, "");
    chmod(start_log, 0666);
    fault = F_REAL;
    SchedStats st;
    int rc = scheduler_run(&c, s, run, &so, &st, &err);
    CHECK(rc == 0 && st.jobs_ok == 43, "dirty last: 43 jobs ok: rc %d, %zu ok: %s", rc, st.jobs_ok,
          err.msg);
    char *text = NULL;
    int starts = 0;
    if (file_read_all(start_log, &text, NULL, NULL) == 0)
        for (const char *p = text; (p = strstr(p, "start")) != NULL; p++)
            starts++;
    CHECK(starts == 3, "dirty last: 43 jobs on 3 servers, got %d", starts);
    store_run_finish(s, run, "complete", &err);
    free(text);
    free(start_log);
    start_log = NULL;
    corpus_free(&c);
    free(many);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    /* the run user (when root) reaches the files and the silent socket */
    chmod(dir, 0755);
    char *a = xasprintf("%s/a.sql", dir), *b = xasprintf("%s/b.sql", dir);
    write_file(a, "CREATE TABLE a (id int);\nALTER TABLE a ADD COLUMN n int;\n");
    write_file(b, "SELECT * FROM no_such_table;\n");
    char *paths[] = {a, b};
    Corpus c = {0};
    CorpusOpts co = {.lean = true};
    Err err = {0};
    CHECK(corpus_load(&c, paths, 2, &co, &err) == 0 && c.nchains == 2, "corpus: %s (%zu chains)",
          err.msg, c.nchains);
    corpus_open_files(&c);

    silent_dir = xasprintf("%s/silent", dir);
    mkdir(silent_dir, 0755);
    int silent = silent_server(silent_dir);
    CHECK(silent >= 0, "silent server in %s", silent_dir);
    chmod(silent_dir, 0777);
    char *sock = xasprintf("%s/.s.PGSQL.5432", silent_dir);
    chmod(sock, 0777);
    free(sock);

    char *dbpath = xasprintf("%s/lockmatrix.db", dir);
    Store *s = store_open(dbpath, true, &err);
    CHECK(s != NULL, "store: %s", err.msg);

    /* the newest installed major of the default versions */
    PgInstalls pgs = {0};
    VersionSet vs;
    BackendCfg cfg;
    bool prepared = t_embedded_newest(&pgs, &cfg, &vs, 900000 + getpid() % 90000);

    if (s && prepared)
        for (size_t i = 0; i < ARRAY_LEN(cases); i++)
            run_case(&cases[i], &c, s, &vs, &cfg);
    if (s && prepared) test_dirty_last_on_a_server(s, &vs, &cfg);

    if (prepared) embedded_backend.clean(&cfg, cfg.run_id, &err);
    backend_cfg_free(&cfg);
    pginstall_free(&pgs);
    store_close(s);
    corpus_free(&c);
    if (silent >= 0) close(silent);
    free(silent_dir);
    free(dbpath);
    free(a);
    free(b);
    remove_tree(dir);
    return t_done("test_scheduler");
}
