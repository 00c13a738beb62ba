/*
 * worker: one container, one version, jobs one after another.
 *
 * Protocol (runner/wire.h): HELLO once the container is ready (or
 * START_FAILED), then NEED_JOB / JOB or NO_JOB; for a job, one TRACE per
 * statement and a JOB_DONE. A job whose server went away ends the worker:
 * the scheduler retries the job on a fresh container.
 */
#include "runner/worker.h"
#include "model/versions.h"

#include <ctype.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "predict/locktable.h"
#include "predict/relations.h"
#include "runner/pgconn.h"
#include "runner/profile.h"
#include "runner/trace/tracer.h"
#include "runner/wire.h"

/* Built with AddressSanitizer: _exit() skips LeakSanitizer's check at exit,
 * so a worker runs it itself before it ends. */
#if defined(__SANITIZE_ADDRESS__)
#define LM_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LM_LSAN 1
#endif
#endif
#ifdef LM_LSAN
#include <sanitizer/lsan_interface.h>
#define WORKER_LEAK_EXIT 23 /* ASan's own exit code for leaks */
#endif

/* What the worker needs while it runs; one per process. */
typedef struct Worker {
    int fd;         /* its end of the socketpair */
    Corpus *corpus; /* the parent's, inherited by fork: the worker's own copy,
                       into which it loads the chain it runs (lean corpus) */
    const SchedOpts *opts;
    int major;
    int seq;      /* worker number in the run */
    Container ct; /* its container */
    bool started;
    int dbs_made; /* job databases the current server has (postgres, lm_1 ...) */
    int dbs_used; /* of which jobs have run in so many */
    bool dirty;   /* the last job may have changed more than its database */
    Tracer *kept; /* the last job's tracer, in its database, when the next job
                     may run there too (packed jobs); else NULL */
    int packed;   /* jobs run in kept's database so far */
    Buf out;      /* record being sent */

    /* for predictions: the built-in per-version facts, and the job's chain
     * replayed up to the statement being sent (the preamble, then what ran
     * ok; NULL between jobs) */
    Facts *facts;
    Schema *schema;
} Worker;

static void send_or_die(Worker *w)
{
    Err err = {0};
    if (wire_send(w->fd, &w->out, &err) != 0) {
        /* The scheduler is gone: nothing left to report to. */
        if (w->started) w->opts->backend->stop(w->opts->cfg, &w->ct);
        _exit(1);
    }
}

static void send_log(Worker *w, const char *msg)
{
    wire_begin(&w->out, WIRE_LOG);
    wire_put_str(&w->out, msg);
    send_or_die(w);
}

/* The lock table's prediction for a trace of st on the worker's major in the
 * job's schema (the servers run in UTC), and the verdict (none for a skipped
 * statement); nothing without a table. */
static void predict(const Worker *w, const Statement *st, const Trace *t, Prediction *p)
{
    prediction_clear(p);
    const LockTable *lt = w->opts->locktable;
    if (!lt) return;
    const PredictOpts po = {.tz_utc = true};
    relations_predict_in(lt, w->schema, w->facts, st->sql, &st->info, w->major, &po, p);
    if (t->status == TRACE_SKIPPED) return;
    LtObs o;
    locktable_observe(t, &o);
    bool failed = t->status == TRACE_ERROR || t->status == TRACE_TIMEOUT;
    p->verdict = relations_verdict(p, t, &o, failed);
}

/* Sends the trace of statement s of migration m, with its prediction. */
static void send_trace(Worker *w, const Chain *ch, size_t m, size_t s, Trace *t)
{
    Prediction sp;
    t->mig = (int)m;
    t->stmt = (int)s;
    prof_enter(PROF_PREDICT);
    predict(w, &ch->migs[m].stmts[s], t, &sp);
    if (t->status == TRACE_OK) schema_apply(w->schema, ch->migs[m].stmts[s].sql);
    prof_leave();
    prof_enter(PROF_SEND);
    wire_begin(&w->out, WIRE_TRACE);
    wire_put_trace(&w->out, t);
    wire_put_prediction(&w->out, &sp);
    prediction_free(&sp);
    send_or_die(w);
    prof_leave();
}

/* Sends a trace with status skipped for every statement from (mig, stmt) on. */
static void send_skipped(Worker *w, const Chain *ch, size_t mig, size_t stmt)
{
    for (size_t m = mig; m < ch->nmigs; m++)
        for (size_t s = (m == mig ? stmt : 0); s < ch->migs[m].nstmts; s++) {
            Trace t = {0};
            t.status = TRACE_SKIPPED;
            send_trace(w, ch, m, s, &t);
        }
}

/* Databases per server: a server serves at most this many jobs, each in a
 * database of its own. A backend whose containers hold them from the start
 * (embedded: its template's) makes each usable when a job first needs it;
 * otherwise they are created at once when the server starts. CREATE DATABASE
 * waits for checkpoints (before 12 in 100 ms naps): created together, the
 * databases share them; a fresh server costs less than dropping them. */
#define DBS_PER_SERVER BACKEND_JOB_DBS

/* CREATE DATABASE waits for a checkpoint: its budget on the server, and
 * here, where the answer is awaited a little longer. */
#define CREATE_DB_TIMEOUT_MS 60000
#define CONNECT_TIMEOUT_MS 10000 /* to a server that is up */

/* The preamble may change what every database shares: a cluster-wide
 * statement (CREATE ROLE ...), or a DO block / function call that could
 * hide one. */
static bool preamble_is_cluster_wide(const Corpus *c)
{
    for (size_t s = 0; s < c->npre_stmts; s++)
        if (c->pre_stmts[s].info.cluster_wide || c->pre_stmts[s].info.in_do_block) return true;
    return false;
}

bool worker_job_dirty(const Chain *ch, const Corpus *c)
{
    return chain_cluster_wide(ch) || preamble_is_cluster_wide(c);
}

/* ---- packed jobs ------------------------------------------------------
 *
 * Most of a small chain's time is its job's fixed costs: a database of the
 * server's, its backend's start, the tracer's prepared queries, the first
 * catalog snapshot. A chain whose statements only act on what they name (no
 * VACUUM of every table, no DO block, no function, no session setting) sees
 * a database where none of those names exists as it would see a fresh one:
 * such a chain runs in the database of the job before it, on the same
 * tracer, when that job's chain was of the same kind and left the session
 * idle (no transaction open). The locks, rewrites and scans of its
 * statements are those of the relations it names and makes, which exist
 * only as it makes them. At most PACK_MAX jobs share a database.
 * LOCKMATRIX_FAST=0 runs every job in a database of its own. */
#define PACK_MAX 8
#define NAME_BYTES 63 /* PostgreSQL's longest name (NAMEDATALEN - 1) */

/* Classes (prefixes) of the statements a packed job may hold. */
static const char *const packable_classes[] = {"CREATE TABLE",
                                               "CREATE UNLOGGED TABLE",
                                               "CREATE INDEX",
                                               "CREATE UNIQUE INDEX",
                                               "ALTER TABLE",
                                               "ALTER INDEX",
                                               "INSERT",
                                               "UPDATE",
                                               "DELETE",
                                               "DROP TABLE",
                                               "DROP INDEX",
                                               "DROP VIEW",
                                               "DROP MATERIALIZED VIEW",
                                               "DROP SEQUENCE",
                                               "DROP TYPE",
                                               "DROP DOMAIN",
                                               "CREATE VIEW",
                                               "CREATE OR REPLACE VIEW",
                                               "CREATE MATERIALIZED VIEW",
                                               "REFRESH MATERIALIZED VIEW",
                                               "ALTER MATERIALIZED VIEW",
                                               "ALTER VIEW",
                                               "CREATE SEQUENCE",
                                               "ALTER SEQUENCE",
                                               "CREATE TYPE",
                                               "ALTER TYPE",
                                               "CREATE DOMAIN",
                                               "ALTER DOMAIN",
                                               "COMMENT ON TABLE",
                                               "COMMENT ON COLUMN",
                                               "COMMENT ON VIEW",
                                               "COMMENT ON INDEX",
                                               "COMMENT ON TYPE",
                                               "COMMENT ON DOMAIN",
                                               "COMMENT ON SEQUENCE",
                                               "COMMENT ON MATERIALIZED VIEW",
                                               "TRUNCATE",
                                               "LOCK TABLE"};
/* ... and these, with the relation they name (without one: every table). */
static const char *const packable_with_target[] = {"VACUUM", "ANALYZE", "CLUSTER", "REINDEX TABLE",
                                                   "REINDEX INDEX"};
/* Words of a chain that runs alone: functions that change the session or
 * tell what an earlier chain did in it or in the database (the last
 * sequence value, transaction ids), and what reads the catalogs or the
 * system columns (every name starting "pg_" or "txid_" too): what such a
 * statement reads, and so what it does next, may depend on what is there
 * besides the chain's own objects. */
static const char *const alone_words[] = {
    "set_config", "lastval", "dblink", "dblink_exec", "information_schema", "xmin", "xmax",
    "cmin",       "cmax",    "ctid",   "tableoid"};

static bool has_prefix(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strncmp(s, list[i], strlen(list[i])) == 0) return true;
    return false;
}

/* Calls fn on every word of ch's statements (letters, digits, _ and $, not
 * starting with a digit), folded to lower case, until fn returns true. */
static bool any_word(const Chain *ch, bool (*fn)(const char *w, size_t len, void *ctx), void *ctx)
{
    char word[NAME_BYTES + 1];
    for (size_t m = 0; m < ch->nmigs; m++)
        for (size_t s = 0; s < ch->migs[m].nstmts; s++) {
            const char *p = ch->migs[m].stmts[s].sql;
            while (*p) {
                if (!(isalpha((unsigned char)*p) || *p == '_' || (unsigned char)*p >= 0x80)) {
                    p++;
                    continue;
                }
                size_t len = 0;
                while (isalnum((unsigned char)*p) || *p == '_' || *p == '$' ||
                       (unsigned char)*p >= 0x80) {
                    if (len < NAME_BYTES) word[len++] = (char)tolower((unsigned char)*p);
                    p++;
                }
                word[len] = '\0';
                if (fn(word, len, ctx)) return true;
            }
        }
    return false;
}

static bool is_alone_word(const char *w, size_t len, void *ctx)
{
    (void)len;
    (void)ctx;
    if (strncmp(w, "pg_", 3) == 0 || strncmp(w, "txid_", 5) == 0) return true;
    for (size_t i = 0; i < ARRAY_LEN(alone_words); i++)
        if (strcmp(w, alone_words[i]) == 0) return true;
    return false;
}

bool worker_job_packable(const Chain *ch, const Corpus *c)
{
    if (c->npre_stmts > 0 || worker_job_dirty(ch, c)) return false;
    for (size_t m = 0; m < ch->nmigs; m++) {
        const Migration *mig = &ch->migs[m];
        if (migration_in_tx(mig)) return false; /* its replay takes a sibling database */
        for (size_t s = 0; s < mig->nstmts; s++) {
            const StmtInfo *in = &mig->stmts[s].info;
            /* REFRESH ... CONCURRENTLY fills a temporary table: the session's
             * first makes its temporary schema (catalog rows and locks a
             * session that made it already does not take) */
            if (in->parsed != STMT_PARSED_TREE || in->generic || in->in_do_block ||
                in->cluster_wide || in->on_commit_drop || strstr(in->cls, " ALL IN ") ||
                strncmp(in->cls, "REFRESH MATERIALIZED VIEW CONCURRENTLY", 38) == 0)
                return false;
            if (has_prefix(in->cls, packable_classes, ARRAY_LEN(packable_classes))) continue;
            if (in->target &&
                has_prefix(in->cls, packable_with_target, ARRAY_LEN(packable_with_target)))
                continue;
            return false;
        }
    }
    return !any_word(ch, is_alone_word, NULL);
}

/* The words of a chain, for worker_names_free: a sorted array. */
typedef struct Words {
    char **v;
    size_t n, cap;
} Words;

static bool add_word(const char *w, size_t len, void *ctx)
{
    (void)len;
    Words *ws = ctx;
    if (ws->n == ws->cap) {
        ws->cap = ws->cap ? ws->cap * 2 : 64;
        ws->v = xrealloc(ws->v, ws->cap * sizeof(char *));
    }
    ws->v[ws->n++] = xstrdup(w);
    return false;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_word(const Words *ws, const char *w)
{
    return bsearch(&w, ws->v, ws->n, sizeof(char *), str_cmp) != NULL;
}

bool worker_names_free(const Chain *ch, char *const *names, size_t n)
{
    Words ws = {0};
    any_word(ch, add_word, &ws);
    if (ws.n > 1) qsort(ws.v, ws.n, sizeof(char *), str_cmp);
    bool free_ = true;
    char buf[NAME_BYTES + 1];
    for (size_t i = 0; i < n && free_; i++) {
        const char *name = names[i];
        size_t len = strlen(name);
        /* a name the server cut to fit (63 bytes): no telling what from */
        if (len >= NAME_BYTES || has_word(&ws, name) ||
            (name[0] == '_' && has_word(&ws, name + 1))) {
            free_ = false;
            break;
        }
        for (size_t k = 1; k < len; k++) {
            if (name[k] != '_') continue;
            memcpy(buf, name, k);
            buf[k] = '\0';
            if (has_word(&ws, buf)) {
                free_ = false;
                break;
            }
        }
    }
    for (size_t i = 0; i < ws.n; i++)
        free(ws.v[i]);
    free(ws.v);
    return free_;
}

/* Runs the corpus's preamble, untraced, in database dbname: each statement
 * on its own in autocommit on a connection of its own (closed before the
 * tracer connects, so the tracer's catalog snapshot includes what it made;
 * its session settings do not carry over). NULL, or why it failed (the
 * job fails with it). */
static char *run_preamble(Worker *w, const char *dbname)
{
    const Corpus *c = w->corpus;
    if (c->npre_stmts == 0) return NULL;
    prof_enter(PROF_PREAMBLE);
    char *ci =
        xasprintf("%s dbname=%s application_name=lockmatrix_preamble", w->ct.conninfo, dbname);
    Err err = {0};
    PgConn *pc = pgconn_connect(ci, CONNECT_TIMEOUT_MS, &err);
    free(ci);
    if (!pc) {
        prof_leave();
        return xasprintf("preamble: could not connect to the job database: %s", err.msg);
    }
    char *reason = NULL;
    for (size_t s = 0; s < c->npre_stmts && !reason; s++) {
        const Statement *st = &c->pre_stmts[s];
        PgReply r;
        PgStatus ps = pgconn_exec(pc, st->sql, w->opts->statement_timeout_ms, &r);
        if (ps != PG_OK)
            reason =
                xasprintf("preamble \"%s\" line %d: %s%s%s%s", c->preamble_path, st->line,
                          ps == PG_TIMEOUT ? "timed out"
                          : r.message      ? r.message
                                           : "failed",
                          r.sqlstate[0] ? " (SQLSTATE " : "", r.sqlstate, r.sqlstate[0] ? ")" : "");
        pgreply_clear(&r);
    }
    pgconn_close(pc);
    prof_leave();
    return reason;
}

/* Creates databases lm_1 .. lm_{n-1} (the postgres database is the first of
 * the n). NULL or why it failed. */
static char *create_databases(Worker *w, int n)
{
    Err err = {0};
    if (pgconn_create_databases(w->ct.conninfo, n - 1, CREATE_DB_TIMEOUT_MS, CONNECT_TIMEOUT_MS,
                                &err) != 0)
        return xasprintf("%s", err.msg);
    return NULL;
}

/* Replaces the container by a fresh one; NULL or the reason it failed. */
static char *recycle_server(Worker *w)
{
    Err err = {0};
    const BackendOps *ops = w->opts->backend;
    (ops->retire ? ops->retire : ops->stop)(w->opts->cfg, &w->ct);
    w->started = false;
    w->dbs_made = w->dbs_used = 0;
    if (w->opts->backend->start(w->opts->cfg, w->major, w->seq, &w->ct, &err) != 0)
        return xasprintf("could not start a fresh server: %s", err.msg);
    w->started = true;
    w->dbs_made = w->ct.dbs;
    return NULL;
}

/* ---- the replay -------------------------------------------------------- */

/* The last migration of ch that needs the replay, -1 when none does. */
static long last_replayed(const Chain *ch)
{
    long last = -1;
    for (size_t m = 0; m < ch->nmigs; m++)
        if (migration_in_tx(&ch->migs[m])) last = (long)m;
    return last;
}

int worker_job_dbs(const Chain *ch, const SchedOpts *opts)
{
    return !opts->no_replay && last_replayed(ch) >= 0 ? 2 : 1;
}

/* The replay of a chain: the same statements, in the same order, on a sibling
 * database of the same server, each in a transaction of its own, so that a
 * statement meets the objects it met in the traced run and every lock it
 * requests shows in pg_locks (inside a migration's transaction, a lock the
 * transaction already holds at that mode does not). The sibling follows the
 * traced database migration by migration: a migration that failed there (and
 * was rolled back) is left out here; where the two could part (a failure in a
 * file with its own transaction control, a statement that fails only here),
 * the replay stops and the statements after it stay unmeasured. */
typedef struct Replay {
    Tracer *tr; /* NULL: no replay, or it stopped */
    long last;  /* the last migration that needs it */
} Replay;

static void replay_stop(Replay *rp)
{
    tracer_free(rp->tr);
    rp->tr = NULL;
}

/* Whether the replay runs st: not transaction control, and not what changed
 * every database of the server already (CREATE ROLE ...); a DO block and an
 * unparsed statement are replayed (what they did to the database, the sibling
 * needs too). */
static bool replayed(const Statement *st)
{
    if (st->info.tx_control) return false;
    return !st->info.cluster_wide || st->info.in_do_block || strcmp(st->info.cls, "unparsed") == 0;
}

/* The text the replay runs: a temporary table that lives until its
 * transaction ends (ON COMMIT DROP) lives until the end of the migration
 * there (ON COMMIT PRESERVE ROWS, dropped after its last statement), as it
 * does in the traced run's one transaction. Owned. */
static char *replay_sql(const Statement *st)
{
    const char *sql = st->sql;
    if (!st->info.on_commit_drop) return xstrdup(sql);
    for (const char *p = sql; *p; p++) {
        if (strncasecmp(p, "on", 2) != 0 || (p > sql && !isspace((unsigned char)p[-1]))) continue;
        const char *q = p + 2;
        if (!isspace((unsigned char)*q)) continue;
        while (isspace((unsigned char)*q))
            q++;
        if (strncasecmp(q, "commit", 6) != 0 || !isspace((unsigned char)q[6])) continue;
        q += 6;
        while (isspace((unsigned char)*q))
            q++;
        if (strncasecmp(q, "drop", 4) != 0 || (q[4] && !isspace((unsigned char)q[4]))) continue;
        return xasprintf("%.*sON COMMIT PRESERVE ROWS%s", (int)(p - sql), sql, q + 4);
    }
    return xstrdup(sql);
}

/* Runs st in the sibling; into *out when wanted (else dropped). false when
 * the replay stopped (the connection went, or its outcome differs from the
 * traced run's, ok_there). Every statement is traced there, also those whose
 * requests are not wanted: running them untraced leaves the tracer's catalog
 * snapshot stale, and reading it afresh for the next statement cost more
 * than it saved (scripts/bench_replay.sh). */
static bool replay_one(Replay *rp, const Statement *st, bool ok_there, Trace *out)
{
    Trace r;
    Err err = {0};
    Statement alone = *st;
    alone.sql = replay_sql(st);
    prof_enter(PROF_REPLAY);
    int rc = tracer_run(rp->tr, &alone, &r, &err);
    prof_leave();
    free(alone.sql);
    if (rc != 0 || (r.status == TRACE_OK) != ok_there) {
        trace_free(&r);
        replay_stop(rp);
        return false;
    }
    if (out)
        *out = r;
    else
        trace_free(&r);
    return true;
}

/* The replay's locks of a statement become the trace's requests. */
static void take_requests(Trace *t, Trace *r)
{
    t->req = TRACE_REQ_REPLAY;
    t->requested = r->locks;
    t->nrequested = r->nlocks;
    r->locks = NULL;
    r->nlocks = 0;
    for (size_t k = 0; k < t->nrequested; k++)
        t->requested[k].held_before = false;
    t->req_rewrites = r->rewrites;
    t->nreq_rewrites = r->nrewrites;
    r->rewrites = NULL;
    r->nrewrites = 0;
    t->req_scanned = xcalloc(r->nscans + 1, sizeof(char *));
    for (size_t k = 0; k < r->nscans; k++)
        if (r->scans[k].seq_scan > 0) {
            t->req_scanned[t->nreq_scanned++] = r->scans[k].relation;
            r->scans[k].relation = NULL;
        }
}

/* Replays migration mig after the traced run of its statements (traces[],
 * all of them): the statements whose requests their transaction hid get
 * them. Transaction control and cluster-wide statements are not replayed
 * (the traced run already changed what every database shares). */
static void replay_migration(Replay *rp, const Migration *mig, Trace *traces)
{
    bool all_ok = true;
    for (size_t s = 0; s < mig->nstmts; s++)
        all_ok = all_ok && traces[s].status == TRACE_OK;
    if (!all_ok) {
        /* rolled back there when its tool wraps it: nothing of it here either */
        if (!mig->wrap_tx) replay_stop(rp);
        return;
    }
    char **temps = NULL; /* its temporary tables that live until their transaction ends */
    size_t ntemps = 0;
    for (size_t s = 0; s < mig->nstmts && rp->tr; s++) {
        const Statement *st = &mig->stmts[s];
        if (!replayed(st)) continue;
        Trace r;
        if (st->info.on_commit_drop && st->info.target) {
            temps = xrealloc(temps, (ntemps + 1) * sizeof(char *));
            temps[ntemps++] = st->info.target;
        }
        if (!replay_one(rp, st, true, &r)) break;
        if (traces[s].req == TRACE_REQ_UNMEASURED) take_requests(&traces[s], &r);
        trace_free(&r);
    }
    /* the traced run dropped them at its COMMIT */
    for (size_t k = 0; k < ntemps && rp->tr; k++) {
        Buf q;
        buf_init(&q);
        buf_puts(&q, "DROP TABLE IF EXISTS pg_temp.\"");
        for (const char *c = temps[k]; *c; c++) {
            if (*c == '"') buf_putc(&q, '"');
            buf_putc(&q, *c);
        }
        buf_putc(&q, '"');
        Statement drop = {.sql = buf_steal(&q)};
        classify_statement(drop.sql, &drop.info);
        replay_one(rp, &drop, true, NULL);
        classify_free(&drop.info);
        free(drop.sql);
    }
    free(temps);
}

/* Whether the job of ch may run on w->kept, in the database of the job
 * before it (packed jobs). Charged to the databases' phase: it stands for
 * making one ready. */
static bool pack_into_kept(Worker *w, const Chain *ch, bool packable)
{
    if (!w->kept || !packable || w->dirty || w->packed >= PACK_MAX) return false;
    prof_enter(PROF_DATABASES);
    char **names = NULL;
    Err err = {0};
    long n = tracer_user_names(w->kept, &names, &err);
    bool ok = n >= 0 && worker_names_free(ch, names, (size_t)n);
    for (long i = 0; i < n; i++)
        free(names[i]);
    free(names);
    prof_leave();
    return ok;
}

/* Runs one chain in a database nothing ran in before (packed: one where
 * nothing it can meet ran), on a server that no job changed beyond its own
 * database. Returns 0 when the job finished (its statements may have
 * failed), -1 with reason when the server went away. pending: jobs of this
 * version still waiting after this one. */
static int run_job(Worker *w, Chain *ch, long long pending, char **reason)
{
    Replay rp = {.tr = NULL, .last = w->opts->no_replay ? -1 : last_replayed(ch)};
    int need = worker_job_dbs(ch, w->opts);
    bool packable = backend_fast_path() && need == 1 && worker_job_packable(ch, w->corpus);
    Tracer *tr = pack_into_kept(w, ch, packable) ? w->kept : NULL;
    if (!tr && w->kept) tracer_free(w->kept);
    w->kept = NULL;
    if (tr) {
        w->packed++;
    } else if (w->dirty || w->dbs_used + need > w->dbs_made) {
        if (w->dbs_used > 0) {
            prof_enter(PROF_CONTAINER);
            *reason = recycle_server(w);
            prof_leave();
            if (*reason) return -1;
        }
        if (w->dbs_made < need) { /* the backend's containers hold none: create them */
            long long want = (pending + 1) * need;
            int n = want < DBS_PER_SERVER ? (int)want : DBS_PER_SERVER;
            prof_enter(PROF_DATABASES);
            *reason = create_databases(w, n);
            prof_leave();
            if (*reason) return -1;
            w->dbs_made = n;
        }
        w->dbs_used = 0;
        w->dirty = false;
    }
    char dbname[32], sibling[32];
    for (int k = 0; k < need && !tr; k++) {
        char *d = k == 0 ? dbname : sibling;
        if (w->dbs_used == 0)
            snprintf(d, sizeof(dbname), "postgres");
        else
            snprintf(d, sizeof(dbname), "lm_%d", w->dbs_used);
        if (w->dbs_used > 0 && w->ct.dbs > 0 && w->opts->backend->use_db) {
            Err derr = {0};
            prof_enter(PROF_DATABASES);
            int used = w->opts->backend->use_db(w->opts->cfg, &w->ct, w->dbs_used, &derr);
            prof_leave();
            if (used != 0) {
                *reason = xasprintf("could not make job database %s ready: %s", d, derr.msg);
                return -1;
            }
        }
        w->dbs_used++;
    }
    w->dirty = worker_job_dirty(ch, w->corpus);
    if (!tr && (*reason = run_preamble(w, dbname)) != NULL) return -1;

    Err err = {0};
    TracerOpts to = {.statement_timeout_ms = w->opts->statement_timeout_ms,
                     .server_major = version_major(w->major)};
    if (rp.last >= 0 && run_preamble(w, sibling) == NULL) {
        char *rci = xasprintf("%s dbname=%s", w->ct.conninfo, sibling);
        TracerOpts ro = to;
        ro.no_columns = true; /* its locks, rewrites and scans are taken, not its changes */
        prof_enter(PROF_REPLAY);
        rp.tr = tracer_new(rci, &ro, &err); /* NULL: the statements stay unmeasured */
        prof_leave();
        free(rci);
    }
    if (!tr) {
        char *ci = xasprintf("%s dbname=%s", w->ct.conninfo, dbname);
        prof_enter(PROF_CONNECT);
        tr = tracer_new(ci, &to, &err);
        prof_leave();
        free(ci);
        w->packed = 1;
    }
    if (!tr) {
        *reason = xasprintf("could not connect to the job database: %s", err.msg);
        replay_stop(&rp);
        return -1;
    }
    int rc = 0;
    bool stopped = false;
    w->schema = schema_new();
    for (size_t k = 0; k < w->corpus->npre_stmts; k++)
        schema_apply(w->schema, w->corpus->pre_stmts[k].sql);
    schema_end_session(w->schema); /* its connection is closed (run_preamble) */
    for (size_t m = 0; m < ch->nmigs && !stopped; m++) {
        const Migration *mig = &ch->migs[m];
        if (rp.tr && (long)m > rp.last) replay_stop(&rp);
        /* the traces of a migration in a transaction wait for its replay */
        bool in_tx = migration_in_tx(mig);
        Trace *held = in_tx ? xcalloc(mig->nstmts + 1, sizeof(Trace)) : NULL;
        size_t nheld = 0;
        /* a migration its tool runs in one transaction: BEGIN before its first
         * statement, COMMIT after its last (ROLLBACK when one failed) */
        if (mig->wrap_tx && mig->nstmts && tracer_tx_begin(tr, &err) != 0) {
            *reason = xasprintf("%s", err.msg);
            rc = -1;
            free(held);
            break;
        }
        size_t s;
        bool failed = false;
        for (s = 0; s < mig->nstmts; s++) {
            Trace t;
            bool hidden = tracer_tx_holds_locks(tr);
            if (tracer_run(tr, &mig->stmts[s], &t, &err) != 0) {
                *reason = xasprintf("%s", err.msg);
                rc = -1;
                stopped = true;
                break;
            }
            if (mig->wrap_tx && s + 1 == mig->nstmts && tracer_tx_end(tr, &t, &err) != 0) {
                *reason = xasprintf("%s", err.msg);
                trace_free(&t);
                rc = -1;
                stopped = true;
                break;
            }
            /* transaction control requests no lock of a relation */
            if (hidden && t.status == TRACE_OK && !mig->stmts[s].info.tx_control)
                t.req = TRACE_REQ_UNMEASURED;
            failed = t.status != TRACE_OK;
            if (held) {
                held[nheld++] = t;
            } else {
                if (rp.tr && replayed(&mig->stmts[s]))
                    replay_one(&rp, &mig->stmts[s], !failed, NULL);
                send_trace(w, ch, m, s, &t);
                trace_free(&t);
            }
            if (failed && w->opts->stop_on_error) break;
        }
        if (held) {
            if (rp.tr && nheld == mig->nstmts) replay_migration(&rp, mig, held);
            for (size_t k = 0; k < nheld; k++) {
                send_trace(w, ch, m, k, &held[k]);
                trace_free(&held[k]);
            }
            free(held);
        }
        if (!stopped && failed && w->opts->stop_on_error) {
            send_skipped(w, ch, m, s + 1);
            stopped = true;
        }
    }
    replay_stop(&rp);
    if (packable && rc == 0 && tracer_reusable(tr))
        w->kept = tr; /* the next job may run in its database too */
    else
        tracer_free(tr);
    schema_free(w->schema);
    w->schema = NULL;
    return rc;
}

/* The job databases w's server has left for its next job; 0: that job
 * starts a fresh server. */
static long long job_dbs_left(const Worker *w)
{
    return w->dirty ? 0 : (long long)(w->dbs_made - w->dbs_used);
}

void worker_main(int fd, Corpus *c, const SchedOpts *opts, int major, int seq)
{
    Worker w = {.fd = fd, .corpus = c, .opts = opts, .major = major, .seq = seq};
    Err err = {0};
    buf_init(&w.out);
    if (facts_load(NULL, &w.facts, &err) != 0) w.facts = NULL; /* predictions without them */

    signal(SIGPIPE, SIG_IGN);
    prof_start(PROF_CONTAINER);
    if (opts->backend->start(opts->cfg, major, seq, &w.ct, &err) != 0) {
        wire_begin(&w.out, WIRE_START_FAILED);
        wire_put_str(&w.out, err.msg);
        send_or_die(&w);
        _exit(1);
    }
    w.started = true;
    w.dbs_made = w.ct.dbs;
    /* Dropping privileges in start() cleared the parent-death signal. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    wire_begin(&w.out, WIRE_HELLO);
    wire_put_str(&w.out, w.ct.server_version);
    wire_put_f64(&w.out, w.ct.ready_ms);
    send_or_die(&w);
    prof_base(PROF_WAIT);

    WireReader rd;
    wire_reader_init(&rd);
    int code = 0;
    wire_begin(&w.out, WIRE_NEED_JOB); /* the first; JOB_DONE asks for the next ones */
    wire_put_i64(&w.out, job_dbs_left(&w));
    send_or_die(&w);
    for (;;) {
        const char *p;
        size_t n;
        if (wire_recv(&rd, fd, -1, &p, &n, &err) != 1) {
            code = 1; /* the scheduler is gone */
            break;
        }
        WireCursor cur;
        wire_cursor(&cur, p, n);
        if (wire_type(p, n) != WIRE_JOB) break;
        size_t chain = (size_t)wire_get_i64(&cur);
        long long pending = wire_get_i64(&cur);
        if (cur.bad || chain >= c->nchains) {
            send_log(&w, "worker: bad job record");
            code = 1;
            break;
        }
        double t0 = now_ms();
        prof_base(PROF_OTHER);
        char *reason = NULL;
        /* A lean corpus: the chain's statements come from its files now, and
         * go again after the job. */
        Chain *ch = &c->chains[chain];
        Err lerr = {0};
        int rc = -1;
        prof_enter(PROF_LOAD);
        int loaded = corpus_chain_load(ch, &lerr);
        prof_leave();
        if (loaded != 0)
            reason = xstrdup(lerr.msg);
        else
            rc = run_job(&w, ch, pending, &reason);
        corpus_chain_drop(ch);
        double prof[PROF_N];
        prof_take(prof);
        prof_base(PROF_WAIT);
        wire_begin(&w.out, WIRE_PROFILE);
        wire_put_u8(&w.out, PROF_N);
        for (int k = 0; k < PROF_N; k++)
            wire_put_f64(&w.out, prof[k]);
        send_or_die(&w);
        wire_begin(&w.out, WIRE_JOB_DONE);
        wire_put_i64(&w.out, (long long)chain);
        wire_put_u8(&w.out, rc == 0 ? 1u : 0u);
        wire_put_str(&w.out, reason);
        wire_put_f64(&w.out, now_ms() - t0);
        wire_put_i64(&w.out, job_dbs_left(&w));
        send_or_die(&w);
        free(reason);
        if (rc != 0) {
            code = 1; /* the container is not to be trusted any more */
            break;
        }
    }
    wire_reader_free(&rd);
    tracer_free(w.kept);
    if (w.started) opts->backend->stop(opts->cfg, &w.ct);
    buf_free(&w.out);
    facts_free(w.facts);
#ifdef LM_LSAN
    /* The parent's memory inherited by fork is still reachable from the stack
     * (scheduler_run's frames), so only the worker's own leaks are reported.
     * Dropping root made the process non-dumpable, which stops LeakSanitizer
     * from suspending its threads: make it dumpable again first. */
    prctl(PR_SET_DUMPABLE, 1);
    if (__lsan_do_recoverable_leak_check() != 0) code = WORKER_LEAK_EXIT;
#endif
    _exit(code);
}
