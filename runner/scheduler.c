/*
 * scheduler: the forking parent of a run.
 *
 * Jobs are (chain, major). A worker is forked for one major and asks for
 * jobs of that major until none are left. The parent polls every worker's
 * socket and a self-pipe that signals (SIGINT, SIGTERM, SIGCHLD) write to; it
 * is the only process that writes the store.
 */
#include "runner/scheduler.h"
#include "model/versions.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corpus/shard.h"
#include "runner/wire.h"
#include "runner/worker.h"

typedef enum JobState { JOB_PENDING, JOB_RUNNING, JOB_DONE } JobState;

typedef struct Job {
    size_t chain;
    int major;
    JobState state;
    int attempts; /* attempts started */
    int dbs;      /* job databases it takes (worker_job_dbs) */
    bool dirty;   /* its server serves no later job (worker_job_dirty) */
} Job;

typedef enum WorkerState { W_STARTING, W_IDLE, W_BUSY, W_LEAVING } WorkerState;

typedef struct WorkerSlot {
    pid_t pid; /* 0: the slot is free */
    int fd;    /* parent's end of the socketpair */
    int major;
    int seq; /* worker number in the run, names its container */
    WorkerState state;
    Job *job; /* the job it runs, or NULL */
    double job_started;
    double deadline; /* now_ms() after which it is killed; 0: none */
    WireReader rd;
    FILE *spool;                       /* the TRACE records of the running job, as received: the
                                          parent's memory does not grow with a chain's length;
                                          written to the store in the job's transaction; owned */
    size_t ntraces, nfailed, nskipped; /* records spooled: statements traced, of them
                              failed, and statements not run (skipped) */
    char *rec;                         /* a record read back from the spool; owned */
    size_t reccap;
    char *server_version; /* from HELLO; owned */
} WorkerSlot;

typedef struct Sched {
    Corpus *corpus; /* workers load their chains into their copies */
    Store *store;
    long long run_id;
    const SchedOpts *opts;
    SchedStats *stats;
    Job *jobs;
    size_t njobs;
    WorkerSlot *w; /* opts->jobs slots */
    int nslots;
    int next_seq;
    int start_failures[VERSIONS_ID_MAX + 1];
    bool server_recorded[VERSIONS_ID_MAX + 1];
    size_t done_per_major[VERSIONS_ID_MAX + 1], total_per_major[VERSIONS_ID_MAX + 1];
    bool progress_shown;
    Buf out; /* record being sent */
    Err *err;
    bool store_failed;
    struct pollfd *pfds; /* poll set, nslots + 1; owned (kept here, not in a local, so
                            that a forked worker still reaches it: LeakSanitizer) */
} Sched;

/* ---- signals ---------------------------------------------------------- */

static int sig_pipe[2] = {-1, -1};
static volatile sig_atomic_t sig_stop;

static void on_signal(int sig)
{
    int e = errno;
    if (sig == SIGINT || sig == SIGTERM) sig_stop = sig;
    if (sig_pipe[1] >= 0) {
        char c = (char)sig;
        ssize_t r = write(sig_pipe[1], &c, 1);
        (void)r;
    }
    errno = e;
}

static void signals_install(struct sigaction old[3])
{
    static const int sigs[3] = {SIGINT, SIGTERM, SIGCHLD};
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (int i = 0; i < 3; i++)
        sigaction(sigs[i], &sa, &old[i]);
}

static void signals_restore(struct sigaction old[3])
{
    static const int sigs[3] = {SIGINT, SIGTERM, SIGCHLD};
    for (int i = 0; i < 3; i++)
        sigaction(sigs[i], &old[i], NULL);
}

/* ---- progress ----------------------------------------------------------- */

static void progress(Sched *s, bool final)
{
    if (!s->opts->progress) return;
    size_t done = s->stats->jobs_ok + s->stats->jobs_failed;
    Buf b;
    buf_init(&b);
    buf_printf(&b, "\r\033[Krun %lld: %zu/%zu jobs", s->run_id, done, s->stats->jobs_total);
    for (int i = 0; i < s->opts->versions->n; i++) {
        int v = s->opts->versions->v[i];
        buf_printf(&b, "  %s:%zu/%zu", VERSION_NAME(v), s->done_per_major[v],
                   s->total_per_major[v]);
    }
    if (s->stats->jobs_failed) buf_printf(&b, "  failed:%zu", s->stats->jobs_failed);
    if (final) buf_putc(&b, '\n');
    fputs(b.data, stderr);
    fflush(stderr);
    buf_free(&b);
    s->progress_shown = !final;
}

/* Diagnostics go to stderr; the progress line is cleared first. */
static void say(Sched *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(Sched *s, const char *fmt, ...)
{
    if (s->progress_shown) fputs("\r\033[K", stderr);
    va_list ap;
    fprintf(stderr, "lockmatrix: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    progress(s, false);
}

/* ---- jobs --------------------------------------------------------------- */

static size_t pending_of(const Sched *s, int major)
{
    size_t n = 0;
    for (size_t i = 0; i < s->njobs; i++)
        if (s->jobs[i].major == major && s->jobs[i].state == JOB_PENDING) n++;
    return n;
}

/* The next job of version major for a worker whose server has room job
 * databases left (0: its next job starts a fresh server). A job after which
 * the server serves no other (Job.dirty) goes where the server is about to
 * be replaced anyway, in its last databases (room at most 2, the most a job
 * takes: worker_job_dbs); otherwise the others go first. */
static Job *next_job(Sched *s, int major, long long room)
{
    Job *first = NULL, *clean = NULL;
    for (size_t i = 0; i < s->njobs; i++) {
        Job *j = &s->jobs[i];
        if (j->major != major || j->state != JOB_PENDING) continue;
        if (j->dirty && room > 0 && room <= 2 && j->dbs <= room) return j;
        if (!first) first = j;
        if (!clean && !j->dirty) clean = j;
    }
    return clean ? clean : first;
}

static void free_traces(WorkerSlot *w)
{
    if (w->spool) fclose(w->spool);
    w->spool = NULL;
    w->ntraces = w->nfailed = w->nskipped = 0;
    free(w->rec);
    w->rec = NULL;
    w->reccap = 0;
}

/* Results can no longer be recorded (the store or the spool failed): the
 * first reason is the run's error, and the scheduler stops. */
static void stop_recording(Sched *s, const Err *err)
{
    say(s, "%s", err->msg);
    if (!s->store_failed) *s->err = *err;
    s->store_failed = true;
}

/* A new spool: an unlinked file in $TMPDIR (else /tmp), NULL with errno. */
static FILE *spool_new(const char *dir)
{
    Buf path;
    buf_init(&path);
    buf_printf(&path, "%s/lockmatrix-spool.XXXXXX", dir);
    int fd = mkostemp(path.data, O_CLOEXEC);
    if (fd < 0) {
        buf_free(&path);
        return NULL;
    }
    unlink(path.data);
    buf_free(&path);
    FILE *f = fdopen(fd, "w+b");
    if (!f) {
        int e = errno;
        close(fd);
        errno = e;
    }
    return f;
}

/* Appends a TRACE record (p, n bytes, type included) to the job's spool. A
 * spool that cannot be made, written or read back is the environment's
 * failure (exit 3), as a store that cannot be written. */
static int spool_put(WorkerSlot *w, const char *p, size_t n, Err *err)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    if (!w->spool && !(w->spool = spool_new(dir)))
        return err_set(err, EXIT_ENV, "could not make a spool file for traces in \"%s\": %s", dir,
                       strerror(errno));
    uint32_t len = (uint32_t)n;
    if (fwrite(&len, sizeof(len), 1, w->spool) != 1 || fwrite(p, 1, n, w->spool) != n)
        return err_set(err, EXIT_ENV, "could not write the spool file of traces: %s",
                       strerror(errno));
    return 0;
}

/* JobResult.next: the spooled traces one by one, with their predictions
 * when the run has a lock table. */
typedef struct SpoolReader {
    WorkerSlot *w;
    bool with_predictions;
    Prediction pred;
} SpoolReader;

static int spool_next(void *ctx, Trace *t, const Prediction **pred, Err *err)
{
    SpoolReader *r = ctx;
    WorkerSlot *w = r->w;
    uint32_t len;
    if (!w->spool || fread(&len, sizeof(len), 1, w->spool) != 1) {
        if (w->spool && ferror(w->spool))
            return err_set(err, EXIT_ENV, "could not read the spool file of traces: %s",
                           strerror(errno));
        return 0;
    }
    if (len > WIRE_MAX_RECORD) return err_set(err, EXIT_ENV, "the spool file of traces is corrupt");
    grow_array((void **)&w->rec, 1, &w->reccap, len);
    if (fread(w->rec, 1, len, w->spool) != len)
        return err_set(err, EXIT_ENV, "the spool file of traces is truncated");
    WireCursor c;
    wire_cursor(&c, w->rec, len);
    wire_get_trace(&c, t);
    prediction_free(&r->pred);
    wire_get_prediction(&c, &r->pred);
    if (c.bad) {
        trace_free(t);
        return err_set(err, EXIT_ENV, "a spooled trace record is corrupt");
    }
    *pred = r->with_predictions ? &r->pred : NULL;
    return 1;
}

/* --shard K/N: keeps only the jobs of shard K (corpus/shard.h), in order. */
static void keep_shard(Sched *s)
{
    const SchedOpts *o = s->opts;
    if (o->shard_n <= 0) return;
    int *of = shard_of_jobs(s->corpus, o->versions, o->shard_n);
    size_t k = 0;
    for (size_t i = 0; i < s->njobs; i++) {
        Job *j = &s->jobs[i];
        int vi = 0;
        while (vi < o->versions->n && o->versions->v[vi] != j->major)
            vi++;
        if (of[j->chain * (size_t)o->versions->n + (size_t)vi] == o->shard_k - 1)
            s->jobs[k++] = *j;
        else
            s->total_per_major[j->major]--;
    }
    s->njobs = k;
    free(of);
}

/* Adds ms to phase p of version column major. */
static void prof_charge(Sched *s, int major, ProfPhase p, double ms)
{
    ProfSums *ps = prof_sums_of(s->stats->prof, &s->stats->nprof, VERSIONS_CAP, major);
    if (ps) ps->ms[p] += ms;
}

/* Writes the job's result (one transaction) and updates the counts. */
static void finish_job(Sched *s, WorkerSlot *w, Job *j, bool ok, const char *reason,
                       double duration_ms)
{
    JobResult jr = {.chain = j->chain,
                    .major = j->major,
                    .status = ok ? "ok" : "failed",
                    .reason = reason,
                    .attempts = j->attempts,
                    .duration_ms = duration_ms};
    SpoolReader sr = {.w = w, .with_predictions = s->opts->locktable != NULL};
    prediction_clear(&sr.pred);
    Err err = {0};
    if (w && w->spool && fseek(w->spool, 0, SEEK_SET) != 0)
        err_set(&err, EXIT_ENV, "could not read the spool file of traces: %s", strerror(errno));
    if (w) {
        jr.next = spool_next;
        jr.next_ctx = &sr;
    }
    double t0 = now_ms();
    int put = err.msg[0] ? -1 : store_put_job(s->store, s->run_id, s->corpus, &jr, &err);
    prof_charge(s, j->major, PROF_STORE, now_ms() - t0);
    prediction_free(&sr.pred);
    ProfSums *ps = prof_sums_of(s->stats->prof, &s->stats->nprof, VERSIONS_CAP, j->major);
    if (ps && w) ps->jobs++;
    if (put != 0) stop_recording(s, &err);
    if (w) {
        s->stats->trace_errors += w->nfailed;
        s->stats->traces += w->ntraces;
        s->stats->skipped += w->nskipped;
        free_traces(w);
    }
    bool retry = !ok && j->attempts <= s->opts->retries && !sig_stop;
    if (retry) {
        j->state = JOB_PENDING;
        s->stats->retried++;
        say(s, "job %s on %s failed (%s); retrying on a fresh container",
            s->corpus->chains[j->chain].name, VERSION_NAME(j->major), reason ? reason : "unknown");
    } else {
        j->state = JOB_DONE;
        if (ok)
            s->stats->jobs_ok++;
        else {
            s->stats->jobs_failed++;
            say(s, "job %s on %s failed: %s", s->corpus->chains[j->chain].name,
                VERSION_NAME(j->major), reason ? reason : "unknown");
        }
        s->done_per_major[j->major]++;
    }
    progress(s, false);
}

/* ---- workers ------------------------------------------------------------ */

static int spawn(Sched *s, int slot, int major)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return err_set(s->err, EXIT_ENV, "socketpair: %s", strerror(errno));
    int seq = ++s->next_seq;
    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(sv[0]);
        close(sv[1]);
        return err_set(s->err, EXIT_ENV, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        /* The worker: its own process group (the parent signals it and its
         * server together), default signals, nothing of the parent's but
         * the corpus and its own socket. */
        setpgid(0, 0);
        /* A worker does not outlive its scheduler (its server follows it). */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(1);
        signal(SIGINT, SIG_IGN); /* the parent decides when workers stop */
        signal(SIGTERM, SIG_DFL);
        signal(SIGCHLD, SIG_DFL);
        close(sig_pipe[0]);
        close(sig_pipe[1]);
        close(sv[0]);
        for (int i = 0; i < s->nslots; i++)
            if (s->w[i].pid > 0) close(s->w[i].fd);
        worker_main(sv[1], s->corpus, s->opts, major, seq);
    }
    setpgid(pid, pid);
    close(sv[1]);
    fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
    WorkerSlot *w = &s->w[slot];
    memset(w, 0, sizeof(*w));
    w->pid = pid;
    w->fd = sv[0];
    w->major = major;
    w->seq = seq;
    w->state = W_STARTING;
    w->deadline = now_ms() + s->opts->cfg->start_timeout_ms + 30000.0;
    wire_reader_init(&w->rd);
    return 0;
}

/* Waits for a worker that is exiting (or kills it), then removes what its
 * container left. */
static void reap(Sched *s, WorkerSlot *w, bool kill_first)
{
    if (kill_first) kill(-w->pid, SIGKILL);
    int status = 0;
    double until = now_ms() + 10000;
    for (;;) {
        pid_t r = waitpid(w->pid, &status, WNOHANG);
        if (r == w->pid || (r < 0 && errno == ECHILD)) break;
        if (now_ms() > until) {
            kill(-w->pid, SIGKILL);
            until = now_ms() + 10000;
        }
        usleep(2000);
    }
    /* Whatever else is left in its process group (its server). */
    kill(-w->pid, SIGKILL);
    s->opts->backend->reap(s->opts->cfg, w->seq);
    close(w->fd);
    wire_reader_free(&w->rd);
    free_traces(w);
    free(w->server_version);
    memset(w, 0, sizeof(*w));
}

static char *describe_exit(pid_t pid, int status)
{
    (void)pid;
    if (WIFSIGNALED(status))
        return xasprintf("worker killed by signal %d (%s)", WTERMSIG(status),
                         strsignal(WTERMSIG(status)));
    if (WIFEXITED(status)) return xasprintf("worker exited with code %d", WEXITSTATUS(status));
    return xstrdup("worker ended");
}

/* A worker's socket closed or it overran: whatever it was doing failed. */
static void worker_lost(Sched *s, WorkerSlot *w, const char *why)
{
    int status = 0;
    bool overrun = why != NULL;
    if (overrun) kill(-w->pid, SIGKILL);
    /* Collect the exit status for the message (reap waits again, harmlessly). */
    double until = now_ms() + 5000;
    while (waitpid(w->pid, &status, WNOHANG) == 0 && now_ms() < until)
        usleep(2000);
    char *reason = why ? xstrdup(why) : describe_exit(w->pid, status);
    if (w->job) {
        Job *j = w->job;
        w->job = NULL;
        finish_job(s, w, j, false, reason, now_ms() - w->job_started);
    } else if (w->state == W_STARTING) {
        s->start_failures[w->major]++;
        say(s, "container for %s did not start: %s", VERSION_NAME(w->major), reason);
    }
    free(reason);
    reap(s, w, true);
}

static void fail_major(Sched *s, int major, const char *reason)
{
    for (size_t i = 0; i < s->njobs; i++) {
        Job *j = &s->jobs[i];
        if (j->major == major && j->state == JOB_PENDING) {
            j->attempts = s->opts->retries + 1;
            j->state = JOB_RUNNING;
            finish_job(s, NULL, j, false, reason, 0);
        }
    }
}

static void send_job(Sched *s, WorkerSlot *w, long long room)
{
    Job *j = next_job(s, w->major, room);
    Err err = {0};
    if (!j) {
        wire_begin(&s->out, WIRE_NO_JOB);
        w->state = W_LEAVING;
        w->deadline = now_ms() + 30000;
        wire_send(w->fd, &s->out, &err);
        return;
    }
    j->state = JOB_RUNNING;
    j->attempts++;
    w->job = j;
    w->state = W_BUSY;
    w->job_started = now_ms();
    w->deadline = w->job_started + s->opts->job_timeout_ms;
    wire_begin(&s->out, WIRE_JOB);
    wire_put_i64(&s->out, (long long)j->chain);
    wire_put_i64(&s->out, (long long)pending_of(s, w->major));
    if (wire_send(w->fd, &s->out, &err) != 0) worker_lost(s, w, NULL);
}

/* Handles one record; returns -1 when the worker must be dropped. */
static int handle(Sched *s, WorkerSlot *w, const char *p, size_t n)
{
    WireCursor c;
    wire_cursor(&c, p, n);
    switch (wire_type(p, n)) {
    case WIRE_HELLO: {
        w->server_version = wire_get_str(&c);
        w->state = W_IDLE;
        if (!s->server_recorded[w->major] && w->server_version) {
            Err err = {0};
            if (store_put_server(s->store, s->run_id, w->major, w->server_version, &err) != 0)
                say(s, "%s", err.msg);
            s->server_recorded[w->major] = true;
        }
        s->start_failures[w->major] = 0;
        break;
    }
    case WIRE_START_FAILED: {
        char *reason = wire_get_str(&c);
        s->start_failures[w->major]++;
        say(s, "container for %s did not start: %s", VERSION_NAME(w->major), reason ? reason : "?");
        if (s->start_failures[w->major] > s->opts->retries) {
            char *r =
                xasprintf("no container for %s: %s", VERSION_NAME(w->major), reason ? reason : "?");
            fail_major(s, w->major, r);
            free(r);
        }
        free(reason);
        w->state = W_LEAVING;
        break;
    }
    case WIRE_NEED_JOB: {
        long long room = wire_get_i64(&c);
        if (c.bad) return -1;
        send_job(s, w, room);
        break;
    }
    case WIRE_TRACE: {
        Trace t;
        Prediction pred;
        wire_get_trace(&c, &t);
        wire_get_prediction(&c, &pred);
        bool failed = t.status == TRACE_ERROR || t.status == TRACE_TIMEOUT;
        bool skipped = t.status == TRACE_SKIPPED;
        trace_free(&t);
        prediction_free(&pred);
        if (c.bad) return -1;
        Err err = {0};
        double t0 = now_ms();
        int put = spool_put(w, p, n, &err);
        prof_charge(s, w->major, PROF_SPOOL, now_ms() - t0);
        if (put != 0) {
            stop_recording(s, &err);
            return 0;
        }
        if (skipped)
            w->nskipped++;
        else
            w->ntraces++;
        w->nfailed += failed;
        break;
    }
    case WIRE_JOB_DONE: {
        long long chain = wire_get_i64(&c);
        bool ok = wire_get_u8(&c) != 0;
        char *reason = wire_get_str(&c);
        double dur = wire_get_f64(&c);
        long long room = wire_get_i64(&c);
        if (c.bad || !w->job || (size_t)chain != w->job->chain) {
            free(reason);
            return -1;
        }
        Job *j = w->job;
        w->job = NULL;
        w->state = ok ? W_IDLE : W_LEAVING;
        w->deadline = ok ? 0 : now_ms() + 30000;
        /* the worker waits for its next job: it goes before this one is stored
         * (no record of the next job is read before finish_job is done) */
        if (ok) send_job(s, w, room);
        finish_job(s, w, j, ok, reason, dur);
        free(reason);
        break;
    }
    case WIRE_PROFILE: {
        unsigned k = wire_get_u8(&c);
        for (unsigned i = 0; i < k && !c.bad; i++) {
            double ms = wire_get_f64(&c);
            if (i < PROF_N) prof_charge(s, w->major, (ProfPhase)i, ms);
        }
        break;
    }
    case WIRE_LOG: {
        char *msg = wire_get_str(&c);
        say(s, "worker %d (%s): %s", w->seq, VERSION_NAME(w->major), msg ? msg : "");
        free(msg);
        break;
    }
    default:
        return -1;
    }
    return c.bad ? -1 : 0;
}

/* Starts workers while there are free slots and versions with work nobody
 * will take. */
static int fill_slots(Sched *s)
{
    for (;;) {
        int free_slot = -1;
        for (int i = 0; i < s->nslots; i++)
            if (s->w[i].pid == 0) {
                free_slot = i;
                break;
            }
        if (free_slot < 0) return 0;
        int best = 0;
        double best_score = 0;
        for (int i = 0; i < s->opts->versions->n; i++) {
            int v = s->opts->versions->v[i];
            size_t pending = pending_of(s, v);
            size_t takers = 0, workers = 0;
            for (int k = 0; k < s->nslots; k++)
                if (s->w[k].pid > 0 && s->w[k].major == v) {
                    workers++;
                    if (s->w[k].state == W_STARTING || s->w[k].state == W_IDLE) takers++;
                }
            if (pending <= takers) continue;
            double score = (double)(pending - takers) / (double)(workers + 1);
            if (score > best_score) {
                best_score = score;
                best = v;
            }
        }
        if (!best) return 0;
        if (spawn(s, free_slot, best) != 0) return -1;
    }
}

static bool all_done(const Sched *s)
{
    for (size_t i = 0; i < s->njobs; i++)
        if (s->jobs[i].state != JOB_DONE) return false;
    return true;
}

static void stop_all(Sched *s)
{
    for (int i = 0; i < s->nslots; i++)
        if (s->w[i].pid > 0) kill(-s->w[i].pid, SIGKILL);
    for (int i = 0; i < s->nslots; i++)
        if (s->w[i].pid > 0) reap(s, &s->w[i], false);
}

int scheduler_run(Corpus *c, Store *store, long long run_id, const SchedOpts *opts,
                  SchedStats *stats, Err *err)
{
    Sched s;
    memset(&s, 0, sizeof(s));
    memset(stats, 0, sizeof(*stats));
    for (int i = 0; i < opts->versions->n; i++) /* the table's columns in version order */
        prof_sums_of(stats->prof, &stats->nprof, VERSIONS_CAP, opts->versions->v[i]);
    s.corpus = c;
    s.store = store;
    s.run_id = run_id;
    s.opts = opts;
    s.stats = stats;
    s.err = err;
    buf_init(&s.out);
    double t0 = now_ms();

    /* Jobs: every chain with statements, on every version; biggest chains
     * first so that the long ones do not end up last. */
    s.jobs = xcalloc(c->nchains * (size_t)opts->versions->n + 1, sizeof(Job));
    for (size_t ch = 0; ch < c->nchains; ch++) {
        if (c->chains[ch].nstmts == 0) continue;
        for (int i = 0; i < opts->versions->n; i++) {
            if (opts->skip && opts->skip(opts->skip_ctx, ch, opts->versions->v[i])) continue;
            Job *j = &s.jobs[s.njobs++];
            j->chain = ch;
            j->major = opts->versions->v[i];
            j->dbs = worker_job_dbs(&c->chains[ch], opts);
            j->dirty = worker_job_dirty(&c->chains[ch], c);
            s.total_per_major[j->major]++;
        }
    }
    keep_shard(&s);
    stats->jobs_total = s.njobs;
    s.nslots = opts->jobs > 0 ? opts->jobs : 1;
    s.w = xcalloc((size_t)s.nslots, sizeof(WorkerSlot));

    sig_stop = 0;
    if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        free(s.jobs);
        free(s.w);
        return err_set(err, EXIT_ENV, "pipe: %s", strerror(errno));
    }
    struct sigaction old[3];
    signals_install(old);
    progress(&s, false);

    int rc = 0;
    s.pfds = xcalloc((size_t)s.nslots + 1, sizeof(struct pollfd));
    struct pollfd *pfds = s.pfds;
    while (!all_done(&s) && !sig_stop && !s.store_failed) {
        if (fill_slots(&s) != 0) {
            rc = -1;
            break;
        }
        int np = 0;
        pfds[np++] = (struct pollfd){.fd = sig_pipe[0], .events = POLLIN};
        double next_deadline = 0;
        for (int i = 0; i < s.nslots; i++) {
            if (s.w[i].pid == 0) continue;
            pfds[np++] = (struct pollfd){.fd = s.w[i].fd, .events = POLLIN};
            if (s.w[i].deadline > 0 && (next_deadline == 0 || s.w[i].deadline < next_deadline))
                next_deadline = s.w[i].deadline;
        }
        if (np == 1 && !all_done(&s)) {
            /* No worker and nothing can be started: jobs of majors whose
             * containers never start. */
            for (int i = 0; i < opts->versions->n; i++)
                fail_major(&s, opts->versions->v[i], "no container could be started");
            break;
        }
        int timeout = 1000;
        if (next_deadline > 0) {
            double left = next_deadline - now_ms();
            timeout = left < 0 ? 0 : (left < 1000 ? (int)left + 1 : 1000);
        }
        int pr = poll(pfds, (nfds_t)np, timeout);
        if (pr < 0 && errno != EINTR) {
            rc = err_set(err, EXIT_ENV, "poll: %s", strerror(errno));
            break;
        }
        if (pfds[0].revents & POLLIN) {
            char drain[64];
            while (read(sig_pipe[0], drain, sizeof(drain)) > 0) {
            }
        }
        for (int i = 0; i < s.nslots; i++) {
            WorkerSlot *w = &s.w[i];
            if (w->pid == 0) continue;
            struct pollfd *pf = NULL;
            for (int k = 1; k < np; k++)
                if (pfds[k].fd == w->fd) pf = &pfds[k];
            if (pf && (pf->revents & (POLLIN | POLLHUP | POLLERR))) {
                long got = wire_fill(&w->rd, w->fd);
                const char *p;
                size_t n;
                int nr;
                bool drop = false;
                while ((nr = wire_next(&w->rd, &p, &n)) == 1)
                    if (handle(&s, w, p, n) != 0) {
                        drop = true;
                        break;
                    }
                if (w->pid == 0) continue; /* handled as lost already */
                if (nr < 0 || drop) {
                    worker_lost(&s, w, "worker sent a corrupt record");
                    continue;
                }
                if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
                    if (w->state == W_LEAVING && !w->job)
                        reap(&s, w, false);
                    else
                        worker_lost(&s, w, NULL);
                    continue;
                }
            }
            if (w->pid > 0 && w->deadline > 0 && now_ms() > w->deadline) {
                char *why;
                if (w->state == W_BUSY)
                    why = xasprintf("job exceeded its time budget of %d s",
                                    opts->job_timeout_ms / 1000);
                else if (w->state == W_STARTING)
                    why = xasprintf("container not ready within %d s",
                                    opts->cfg->start_timeout_ms / 1000 + 30);
                else
                    why = xstrdup("worker did not stop in time");
                worker_lost(&s, w, why);
                free(why);
            }
        }
        /* Majors whose containers keep failing to start. */
        for (int i = 0; i < opts->versions->n; i++) {
            int v = opts->versions->v[i];
            if (s.start_failures[v] > opts->retries && pending_of(&s, v) > 0)
                fail_major(&s, v, "no container could be started");
        }
    }
    free(s.pfds);
    s.pfds = pfds = NULL;

    if (sig_stop) {
        stats->interrupted = true;
        stats->signal = sig_stop;
        if (s.progress_shown) fputs("\r\033[K", stderr);
        fprintf(stderr, "lockmatrix: %s: stopping every worker and container\n",
                sig_stop == SIGINT ? "interrupted" : "terminated");
        stop_all(&s);
        rc = err_set(err, EXIT_ENV, "run %lld %s", run_id,
                     sig_stop == SIGINT ? "interrupted" : "terminated");
    } else {
        /* Workers told NO_JOB exit by themselves; wait for them. */
        double until = now_ms() + 30000;
        for (int i = 0; i < s.nslots; i++) {
            WorkerSlot *w = &s.w[i];
            if (w->pid == 0) continue;
            if (w->state != W_LEAVING) {
                wire_begin(&s.out, WIRE_NO_JOB);
                Err e2 = {0};
                wire_send(w->fd, &s.out, &e2);
            }
            int status;
            while (waitpid(w->pid, &status, WNOHANG) == 0 && now_ms() < until)
                usleep(2000);
            reap(&s, w, true);
        }
        if (s.store_failed) rc = -1;
        progress(&s, true);
    }
    signals_restore(old);
    close(sig_pipe[0]);
    close(sig_pipe[1]);
    sig_pipe[0] = sig_pipe[1] = -1;
    stats->wall_ms = now_ms() - t0;
    free(s.jobs);
    free(s.w);
    buf_free(&s.out);
    return rc;
}
