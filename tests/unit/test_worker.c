/*
 * test_worker: a worker (worker_main in a forked child) talked to over its
 * socketpair the way the scheduler talks to it, record by record: the
 * container it starts (the real embedded backend), the traces and the end
 * of every job, the way it ends (NO_JOB, a bad record, the scheduler gone),
 * and a start or a server that fails (a backend whose start fails, or whose
 * server is not there: the only double here, as in test_scheduler).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corpus/corpus.h"
#include "runner/backend.h"
#include "runner/profile.h"
#include "runner/embedded.h"
#include "runner/pginstall.h"
#include "runner/scheduler.h"
#include "runner/wire.h"
#include "runner/worker.h"
#include "tests/unit/servers.h"

#define RECV_MS 60000

static char dir[] = "/tmp/lm-test-worker.XXXXXX";

/* ---- a backend without a server ------------------------------------------ */

static bool start_refused; /* start() fails; else its server's socket is missing */

static int nowhere_start(const BackendCfg *cfg, int major, int seq, Container *out, Err *err)
{
    (void)cfg;
    if (start_refused)
        return err_set(err, EXIT_ENV, "fake: no server for %d (worker %d)", major, seq);
    memset(out, 0, sizeof(*out));
    out->major = major;
    out->server_version = xstrdup("0.0");
    out->conninfo = xasprintf("host=%s/nowhere port=5432 user=postgres", dir);
    out->name = xstrdup("nowhere");
    return 0;
}

static void nowhere_stop(const BackendCfg *cfg, Container *c)
{
    (void)cfg;
    free(c->server_version);
    free(c->conninfo);
    free(c->name);
    memset(c, 0, sizeof(*c));
}

static const BackendOps nowhere_backend = {
    .name = "nowhere", .start = nowhere_start, .stop = nowhere_stop};

/* ---- the scheduler's side -------------------------------------------------- */

typedef struct Peer {
    pid_t pid;
    int fd;
    WireReader rd;
    Buf out;
    const char *p; /* the last record */
    size_t n;
    WireCursor cur;
} Peer;

static void peer_start(Peer *pr, Corpus *c, const SchedOpts *o, int major)
{
    int sv[2];
    memset(pr, 0, sizeof(*pr));
    wire_reader_init(&pr->rd);
    buf_init(&pr->out);
    pr->fd = -1;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return;
    fflush(stdout);
    fflush(stderr);
    pr->pid = fork();
    if (pr->pid == 0) {
        close(sv[0]);
        worker_main(sv[1], c, o, major, 1);
    }
    close(sv[1]);
    pr->fd = sv[0];
}

/* The next record's type (its fields through pr->cur), 0 at the end. */
static WireType peer_recv(Peer *pr)
{
    Err err = {0};
    if (pr->fd < 0 || wire_recv(&pr->rd, pr->fd, RECV_MS, &pr->p, &pr->n, &err) != 1) return 0;
    wire_cursor(&pr->cur, pr->p, pr->n);
    return wire_type(pr->p, pr->n);
}

static void peer_send_job(Peer *pr, long long chain, long long pending)
{
    Err err = {0};
    wire_begin(&pr->out, WIRE_JOB);
    wire_put_i64(&pr->out, chain);
    wire_put_i64(&pr->out, pending);
    wire_send(pr->fd, &pr->out, &err);
}

static void peer_send_no_job(Peer *pr)
{
    Err err = {0};
    wire_begin(&pr->out, WIRE_NO_JOB);
    wire_send(pr->fd, &pr->out, &err);
}

/* Closes the scheduler's end and returns the worker's exit code (-1: not an exit). */
static int peer_end(Peer *pr)
{
    if (pr->fd >= 0) close(pr->fd);
    int st = 0;
    if (pr->pid > 0) waitpid(pr->pid, &st, 0);
    wire_reader_free(&pr->rd);
    buf_free(&pr->out);
    return pr->pid > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* One job: the statuses of its TRACE records ("ok error skipped"), then
 * JOB_DONE's ok and reason. */
typedef struct JobSeen {
    char statuses[256];
    int ntraces;
    bool done, ok, in_order;
    bool profiled;     /* a PROFILE record of every phase, some time in them, came first */
    double connect_ms; /* its PROF_CONNECT */
    char reason[512];
    long long left; /* JOB_DONE's job databases left; -1: the record ended before it */
} JobSeen;

static void peer_job(Peer *pr, long long chain, long long pending, JobSeen *js)
{
    memset(js, 0, sizeof(*js));
    js->in_order = true;
    int last_mig = 0, last_stmt = -1;
    peer_send_job(pr, chain, pending);
    WireType t;
    while ((t = peer_recv(pr)) == WIRE_TRACE) {
        Trace tr;
        wire_get_trace(&pr->cur, &tr);
        size_t len = strlen(js->statuses);
        snprintf(js->statuses + len, sizeof(js->statuses) - len, "%s%s", len ? " " : "",
                 trace_status_name(tr.status));
        if (tr.mig < last_mig || (tr.mig == last_mig && tr.stmt != last_stmt + 1))
            js->in_order = false;
        last_mig = tr.mig;
        last_stmt = tr.stmt;
        js->ntraces++;
        trace_free(&tr);
    }
    /* where the job's time went, before its end */
    if (t == WIRE_PROFILE) {
        unsigned n = wire_get_u8(&pr->cur);
        double sum = 0;
        for (unsigned k = 0; k < n; k++) {
            double ms = wire_get_f64(&pr->cur);
            if (k == PROF_CONNECT) js->connect_ms = ms;
            sum += ms;
        }
        js->profiled = n == PROF_N && sum > 0 && !pr->cur.bad;
        t = peer_recv(pr);
    }
    if (t != WIRE_JOB_DONE) return;
    js->done = wire_get_i64(&pr->cur) == chain;
    js->ok = wire_get_u8(&pr->cur) != 0;
    char *r = wire_get_str(&pr->cur);
    snprintf(js->reason, sizeof(js->reason), "%s", r ? r : "");
    free(r);
    wire_get_f64(&pr->cur);
    js->left = wire_get_i64(&pr->cur);
    if (pr->cur.bad) js->left = -1;
}

/* ---- the cases ---------------------------------------------------------------- */

/* A real server: HELLO, then every job's traces in order, then NO_JOB ends it. */
static void test_jobs(Corpus *c, SchedOpts *o, int major)
{
    static const struct {
        long long chain, pending;
        bool stop_on_error;
        const char *statuses;
    } jobs[] = {
        {0, 2, false, "ok ok"},
        {1, 1, false, "error ok"},
        {1, 0, true, "error skipped"},
    };
    Peer pr;
    peer_start(&pr, c, o, major);
    CHECK(peer_recv(&pr) == WIRE_HELLO, "HELLO first");
    char *version = wire_get_str(&pr.cur);
    double ready = wire_get_f64(&pr.cur);
    CHECK(version && atoi(version) == version_major(major) && ready > 0,
          "HELLO: server %s ready in %.0f ms", version ? version : "(null)", ready);
    free(version);
    /* NEED_JOB asks for the first job, JOB_DONE for each next one */
    CHECK(peer_recv(&pr) == WIRE_NEED_JOB, "NEED_JOB for the first job");
    long long left = wire_get_i64(&pr.cur);
    CHECK(!pr.cur.bad && left == BACKEND_JOB_DBS,
          "NEED_JOB: the fresh server's %d job databases left (%lld)", BACKEND_JOB_DBS, left);
    for (size_t i = 0; i < ARRAY_LEN(jobs); i++) {
        /* a worker of its own when the options differ: the options are the fork's */
        if (o->stop_on_error != jobs[i].stop_on_error) {
            peer_send_no_job(&pr);
            CHECK(peer_end(&pr) == 0, "worker ends cleanly after NO_JOB");
            o->stop_on_error = jobs[i].stop_on_error;
            peer_start(&pr, c, o, major);
            CHECK(peer_recv(&pr) == WIRE_HELLO, "HELLO of the next worker");
            CHECK(peer_recv(&pr) == WIRE_NEED_JOB, "job %zu: NEED_JOB of the next worker", i);
        }
        JobSeen js;
        peer_job(&pr, jobs[i].chain, jobs[i].pending, &js);
        CHECK(js.done && js.ok, "job %zu: JOB_DONE ok: %s", i, js.reason);
        CHECK_STR(js.statuses, jobs[i].statuses, "job %zu: the traces' statuses", i);
        CHECK(js.in_order, "job %zu: traces in statement order", i);
        CHECK(js.profiled, "job %zu: a PROFILE record of every phase before JOB_DONE", i);
        /* one database each (no replay): a second worker's first job had the 32 */
        long long want = BACKEND_JOB_DBS - (i == 2 ? 1 : (long long)i + 1);
        CHECK(js.left == want, "job %zu: JOB_DONE: %lld job databases left (%lld)", i, want,
              js.left);
    }
    o->stop_on_error = false;
    peer_send_no_job(&pr);
    CHECK(peer_recv(&pr) == 0, "the worker closes its end after NO_JOB");
    CHECK(peer_end(&pr) == 0, "worker exits 0 after NO_JOB");
}

/* Packed jobs: the second chain runs in the first's database on its tracer
 * (no connection, no database taken); the third names what the first made
 * (pk1) and takes a database of its own. LOCKMATRIX_FAST=0: each its own. */
static void test_packed(const SchedOpts *o, int major, bool fast)
{
    const char *texts[] = {
        "CREATE TABLE pk1 (id serial PRIMARY KEY);\nINSERT INTO pk1 DEFAULT VALUES;\n",
        "CREATE TABLE pk2 (id serial PRIMARY KEY);\nCREATE INDEX pk2_i ON pk2 (id);\n",
        "CREATE TABLE pk3 (id int REFERENCES pk1);\n"};
    char *paths[3];
    for (int i = 0; i < 3; i++) {
        paths[i] = xasprintf("%s/packed%d.sql", dir, i + 1);
        FILE *f = fopen(paths[i], "w");
        if (f) {
            fputs(texts[i], f);
            fclose(f);
        }
    }
    Corpus c = {0};
    CorpusOpts co = {0};
    Err err = {0};
    CHECK(corpus_load(&c, paths, 3, &co, &err) == 0 && c.nchains == 3, "packed corpus: %s",
          err.msg);
    if (!fast) setenv("LOCKMATRIX_FAST", "0", 1);
    Peer pr;
    peer_start(&pr, &c, o, major);
    unsetenv("LOCKMATRIX_FAST");
    CHECK(peer_recv(&pr) == WIRE_HELLO && peer_recv(&pr) == WIRE_NEED_JOB,
          "packed: HELLO, NEED_JOB");
    long long dbs = wire_get_i64(&pr.cur);
    const char *statuses[] = {"ok ok", "ok ok", "error"};
    bool packed[] = {false, fast, false};
    for (int i = 0; i < 3 && c.nchains == 3; i++) {
        JobSeen js;
        peer_job(&pr, i, 2 - i, &js);
        CHECK(js.done && js.ok, "%s job %d: JOB_DONE ok: %s", fast ? "fast" : "slow", i, js.reason);
        /* pk3's foreign key names pk1: in a database of its own, pk1 is not there */
        CHECK_STR(js.statuses, statuses[i], "%s job %d: statuses", fast ? "fast" : "slow", i);
        if (packed[i])
            CHECK(js.connect_ms == 0 && js.left == dbs,
                  "job %d: packed, no connection (%.2f ms), no database taken (%lld left)", i,
                  js.connect_ms, js.left);
        else /* the slow path makes its databases as it needs them */
            CHECK(js.connect_ms > 0 && (!fast || js.left == dbs - 1),
                  "%s job %d: a database of its own (%.2f ms connecting, %lld left)",
                  fast ? "fast" : "slow", i, js.connect_ms, js.left);
        dbs = js.left;
    }
    peer_send_no_job(&pr);
    CHECK(peer_end(&pr) == 0, "packed: the worker exits 0 after NO_JOB (its kept tracer freed)");
    corpus_free(&c);
    for (int i = 0; i < 3; i++)
        free(paths[i]);
}

/* A job record naming no chain of the corpus: a LOG, and the worker ends. */
static void test_bad_job(Corpus *c, SchedOpts *o, int major)
{
    Peer pr;
    peer_start(&pr, c, o, major);
    CHECK(peer_recv(&pr) == WIRE_HELLO, "bad job: HELLO");
    CHECK(peer_recv(&pr) == WIRE_NEED_JOB, "bad job: NEED_JOB");
    peer_send_job(&pr, (long long)c->nchains + 5, 0);
    CHECK(peer_recv(&pr) == WIRE_LOG, "bad job: a LOG record");
    char *msg = wire_get_str(&pr.cur);
    CHECK_STR(msg, "worker: bad job record", "bad job: the log line");
    free(msg);
    CHECK(peer_end(&pr) == 1, "bad job: worker exits 1");
}

/* The scheduler gone (its end closed): the worker stops its server and exits 1. */
static void test_scheduler_gone(Corpus *c, SchedOpts *o, int major)
{
    Peer pr;
    peer_start(&pr, c, o, major);
    CHECK(peer_recv(&pr) == WIRE_HELLO, "gone: HELLO");
    CHECK(peer_recv(&pr) == WIRE_NEED_JOB, "gone: NEED_JOB");
    shutdown(pr.fd, SHUT_RDWR);
    CHECK(peer_end(&pr) == 1, "gone: worker exits 1");
    char *w1 = xasprintf("%s/w1", o->cfg->runtime_root);
    struct stat sb;
    CHECK(stat(w1, &sb) != 0, "gone: its container \"%s\" was stopped and removed", w1);
    free(w1);
}

/* A start that fails, and a server that is not there. */
static void test_no_server(Corpus *c, const SchedOpts *real, int major)
{
    SchedOpts o = *real;
    o.backend = &nowhere_backend;
    static const struct {
        bool refused;
        long long pending;
        const char *reason;
    } cases[] = {
        {true, 0, NULL},
        {false, 0, "could not connect to the job database: could not connect to the server: "},
        {false, 3, "could not connect to create a job database: could not connect to the server: "},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        start_refused = cases[i].refused;
        Peer pr;
        peer_start(&pr, c, &o, major);
        if (cases[i].refused) {
            CHECK(peer_recv(&pr) == WIRE_START_FAILED, "refused: START_FAILED");
            char *why = wire_get_str(&pr.cur);
            char *want = xasprintf("fake: no server for %d (worker 1)", major);
            CHECK_STR(why, want, "refused: the start's message");
            free(want);
            free(why);
        } else {
            CHECK(peer_recv(&pr) == WIRE_HELLO, "case %zu: HELLO", i);
            CHECK(peer_recv(&pr) == WIRE_NEED_JOB, "case %zu: NEED_JOB", i);
            JobSeen js;
            double t0 = now_ms();
            peer_job(&pr, 0, cases[i].pending, &js);
            CHECK(js.done && !js.ok && js.ntraces == 0, "case %zu: JOB_DONE failed, no trace", i);
            CHECK(strncmp(js.reason, cases[i].reason, strlen(cases[i].reason)) == 0,
                  "case %zu: reason: %s", i, js.reason);
            CHECK(now_ms() - t0 < 5000, "case %zu: failed at once (%.0f ms)", i, now_ms() - t0);
        }
        CHECK(peer_end(&pr) == 1, "case %zu: worker exits 1", i);
    }
}

/* ---- packed jobs: which chains, which databases -------------------------- */

/* A corpus of one chain, the file text. */
static void one_chain(Corpus *c, const char *name, const char *text)
{
    char *path = xasprintf("%s/%s.sql", dir, name);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    char *paths[] = {path};
    CorpusOpts co = {0};
    Err err = {0};
    memset(c, 0, sizeof(*c));
    CHECK(corpus_load(c, paths, 1, &co, &err) == 0 && c->nchains == 1, "corpus %s: %s", name,
          err.msg);
    free(path);
}

static void check_packable(const char *text, bool want)
{
    Corpus c;
    one_chain(&c, "pack", text);
    if (c.nchains == 1)
        CHECK(worker_job_packable(&c.chains[0], &c) == want, "%s: %s", want ? "packable" : "alone",
              text);
    corpus_free(&c);
}

static void check_names(const char *text, const char *const *names, size_t n, bool want)
{
    Corpus c;
    one_chain(&c, "names", text);
    if (c.nchains == 1)
        CHECK(worker_names_free(&c.chains[0], (char *const *)names, n) == want,
              "%s among %zu name(s) (%s ...): %s", text, n, n ? names[0] : "-",
              want ? "free" : "taken");
    corpus_free(&c);
}

static void test_packable(void)
{
    check_packable("CREATE TABLE p1 (id serial PRIMARY KEY, v text);\n"
                   "CREATE INDEX p1_v ON p1 (v);\nINSERT INTO p1 (v) VALUES ('x');\n"
                   "ALTER TABLE p1 ADD COLUMN n int;\nVACUUM p1;\n",
                   true);
    check_packable("CREATE TYPE mood AS ENUM ('a');\nCOMMENT ON TYPE mood IS 'm';\n", true);
    check_packable("CREATE INDEX CONCURRENTLY p2_i ON p2 (id);\n", true);
    /* what acts on more than it names, or changes the session, runs alone */
    check_packable("VACUUM;\n", false);
    check_packable("ANALYZE;\n", false);
    check_packable("REINDEX SCHEMA public;\n", false);
    check_packable("DROP SCHEMA public CASCADE;\n", false);
    check_packable("ALTER TABLE ALL IN TABLESPACE pg_default SET TABLESPACE pg_default;\n", false);
    check_packable("SET search_path = x;\n", false);
    check_packable("CREATE TEMP TABLE tt (id int);\n", false);
    check_packable("DO $$ BEGIN NULL; END $$;\n", false);
    check_packable("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';\n", false);
    check_packable("SELECT 1;\n", false);
    check_packable("REFRESH MATERIALIZED VIEW mv;\n", true);
    check_packable("REFRESH MATERIALIZED VIEW CONCURRENTLY mv;\n", false);
    check_packable("INSERT INTO p3 SELECT pg_advisory_lock(1);\n", false);
    check_packable("INSERT INTO p3 VALUES (lastval());\n", false);
    /* what reads the catalogs sees more than the chain's own objects */
    check_packable("CREATE TABLE p5 AS SELECT count(*) FROM pg_class;\n", false);
    check_packable("INSERT INTO p5 SELECT count(*) FROM information_schema.tables;\n", false);
    check_packable("INSERT INTO p5 VALUES (txid_current());\n", false);
    check_packable("UPDATE p5 SET n = xmin::text::int;\n", false);
    check_packable("BEGIN;\nCREATE TABLE p4 (id int);\nCOMMIT;\n", false);
    check_packable("CREATE ROLE r;\n", false);
    check_packable("GRANT SELECT ON ALL TABLES IN SCHEMA public TO public;\n", false);

    const char *chain = "CREATE TABLE p1 (id serial PRIMARY KEY);\n";
    const char *none[] = {"unused"};
    check_names(chain, none, 0, true);
    const char *other[] = {"q1", "q1_pkey", "_q1", "q1_id_seq", "public2"};
    check_names(chain, other, ARRAY_LEN(other), true);
    const char *same[] = {"p1"};
    check_names(chain, same, 1, false);
    /* names the server would make from the chain's words */
    const char *made[] = {"p1_pkey"};
    check_names(chain, made, 1, false);
    const char *seq[] = {"p1_id_seq"};
    check_names(chain, seq, 1, false);
    const char *array[] = {"_p1"};
    check_names(chain, array, 1, false);
    const char *col[] = {"id_x"};
    check_names(chain, col, 1, false);
    const char *upper[] = {"p1"};
    check_names("CREATE TABLE \"P1\" (id int);\n", upper, 1, false);
    /* a name cut to 63 bytes: no telling what it was made from */
    const char *cut[] = {"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"};
    check_names(chain, cut, 1, false);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    chmod(dir, 0755); /* the run user (when root) reads the corpus */
    char *a = xasprintf("%s/a.sql", dir), *b = xasprintf("%s/b.sql", dir);
    FILE *f = fopen(a, "w");
    if (f) {
        fputs("CREATE TABLE a (id int);\nALTER TABLE a ADD COLUMN n int;\n", f);
        fclose(f);
    }
    f = fopen(b, "w");
    if (f) {
        fputs("SELECT * FROM no_such_table;\nCREATE TABLE b (id int);\n", f);
        fclose(f);
    }
    char *paths[] = {a, b};
    Corpus c = {0};
    CorpusOpts co = {.lean = true};
    Err err = {0};
    CHECK(corpus_load(&c, paths, 2, &co, &err) == 0 && c.nchains == 2, "corpus: %s", err.msg);
    corpus_open_files(&c);

    PgInstalls pgs = {0};
    VersionSet vs;
    BackendCfg cfg;
    bool prepared = t_embedded_newest(&pgs, &cfg, &vs, 700000 + getpid() % 90000);
    SchedOpts o = {.jobs = 1,
                   .versions = &vs,
                   .backend = &embedded_backend,
                   .cfg = &cfg,
                   .statement_timeout_ms = 10000,
                   .job_timeout_ms = 60000,
                   .retries = 1,
                   .no_replay = true};
    signal(SIGPIPE, SIG_IGN);
    test_packable();
    if (prepared) {
        test_jobs(&c, &o, vs.v[0]);
        test_packed(&o, vs.v[0], true);
        test_packed(&o, vs.v[0], false);
        test_bad_job(&c, &o, vs.v[0]);
        test_scheduler_gone(&c, &o, vs.v[0]);
    }
    test_no_server(&c, &o, vs.n ? vs.v[0] : 17);
    if (prepared) embedded_backend.clean(&cfg, cfg.run_id, &err);
    backend_cfg_free(&cfg);
    pginstall_free(&pgs);
    corpus_free(&c);
    free(a);
    free(b);
    remove_tree(dir);
    return t_done("test_worker");
}
