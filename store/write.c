/*
 * store/write: recording a run: the run with its corpus, its servers, every
 * finished job with its traces and predictions, the end of the run.
 *
 * The statement ids of the run being written are kept in memory (the map) so
 * that a job's traces find their statement without a query each.
 */
#include "store/internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/versions.h"

/* ---- the statement map ---------------------------------------------------- */

void store_map_clear(Store *s)
{
    free(s->chain_off);
    free(s->mig_off);
    free(s->ids);
    s->chain_off = s->mig_off = NULL;
    s->ids = NULL;
    s->map_run = 0;
    s->map_nchains = s->map_nmigs = s->map_nids = 0;
}

/* Sizes the map after the corpus; every id 0 (unknown). */
static void map_build(Store *s, long long run_id, const Corpus *c)
{
    store_map_clear(s);
    s->map_run = run_id;
    s->map_nchains = c->nchains;
    s->chain_off = xcalloc(c->nchains + 1, sizeof(size_t));
    for (size_t i = 0; i < c->nchains; i++)
        s->chain_off[i + 1] = s->chain_off[i] + c->chains[i].nmigs;
    s->map_nmigs = s->chain_off[c->nchains];
    s->mig_off = xcalloc(s->map_nmigs + 1, sizeof(size_t));
    size_t k = 0;
    for (size_t i = 0; i < c->nchains; i++)
        for (size_t m = 0; m < c->chains[i].nmigs; m++, k++)
            s->mig_off[k + 1] = s->mig_off[k] + c->chains[i].migs[m].nstmts;
    s->map_nids = s->mig_off[s->map_nmigs];
    s->ids = xcalloc(s->map_nids + 1, sizeof(long long));
}

/* Where the id of (chain, mig, stmt) lives in the map, or NULL when out of range. */
static long long *map_slot(Store *s, size_t chain, long long mig, long long stmt)
{
    if (chain >= s->map_nchains || mig < 0 || stmt < 0) return NULL;
    size_t nmigs = s->chain_off[chain + 1] - s->chain_off[chain];
    if ((size_t)mig >= nmigs) return NULL;
    size_t k = s->chain_off[chain] + (size_t)mig;
    if ((size_t)stmt >= s->mig_off[k + 1] - s->mig_off[k]) return NULL;
    return &s->ids[s->mig_off[k] + (size_t)stmt];
}

/* The map of a run written by another process (a resumed run), from the file. */
static int map_load(Store *s, long long run_id, const Corpus *c, Err *err)
{
    map_build(s, run_id, c);
    sqlite3_stmt *st = store_query(s, Q_STMT_IDS, err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, run_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        long long *slot =
            map_slot(s, (size_t)sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1) - 1,
                     sqlite3_column_int64(st, 2) - 1);
        if (slot) *slot = sqlite3_column_int64(st, 3);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        store_map_clear(s);
        return store_db_err(s, err, "read");
    }
    return 0;
}

int store_owner_put(Store *s, long long run_id, Err *err);
void store_owner_drop(Store *s, long long run_id);

static void join(Buf *b, char *const *items, size_t n, const char *sep)
{
    buf_reset(b);
    for (size_t i = 0; i < n; i++) {
        if (i) buf_puts(b, sep);
        buf_puts(b, items[i] ? items[i] : "");
    }
}

static int insert_statement(Store *s, long long mig_id, size_t j, const Statement *st, Buf *tmp,
                            long long *id, Err *err)
{
    sqlite3_stmt *q = store_query(s, Q_STMT_INSERT, err);
    if (!q) return -1;
    char fp[17];
    snprintf(fp, sizeof(fp), "%016" PRIx64, st->fingerprint);
    const StmtInfo *in = &st->info;
    Buf sub;
    buf_init(&sub);
    join(&sub, in->subclasses, in->nsubclasses, "; ");
    join(tmp, in->referenced, in->nreferenced, ",");
    sqlite3_bind_int64(q, 1, mig_id);
    sqlite3_bind_int64(q, 2, (long long)j + 1);
    sqlite3_bind_int(q, 3, st->line);
    store_bind_text(q, 4, st->sql ? st->sql : "");
    store_bind_text(q, 5, st->fingerprint ? fp : NULL);
    store_bind_text(q, 6, in->cls);
    store_bind_text(q, 7, in->nsubclasses ? sub.data : NULL);
    store_bind_text(q, 8, in->target);
    store_bind_text(q, 9, in->target_schema);
    store_bind_text(q, 10, in->nreferenced ? tmp->data : NULL);
    sqlite3_bind_int(q, 11, in->no_tx);
    sqlite3_bind_int(q, 12, in->no_tx_below);
    sqlite3_bind_int(q, 13, in->tx_control);
    sqlite3_bind_int(q, 14, in->in_do_block);
    int rc = store_step_done(s, q, err);
    buf_free(&sub);
    if (rc < 0) return -1;
    *id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

/* corpus_migration_each: inserts each statement of one migration; the first
 * failure is kept in err and the rest are passed over. */
typedef struct StmtInserter {
    Store *s;
    long long mig_id;
    Buf *tmp;
    size_t chain, mig, next;
    bool failed;
    Err *err;
} StmtInserter;

static void insert_each(void *ctx, Statement *st)
{
    StmtInserter *in = ctx;
    size_t j = in->next++;
    if (!in->failed &&
        insert_statement(in->s, in->mig_id, j, st, in->tmp,
                         map_slot(in->s, in->chain, (long long)in->mig, (long long)j), in->err) < 0)
        in->failed = true;
}

int store_run_begin(Store *s, const RunInfo *ri, Corpus *c, long long *run_id, Err *err)
{
    Buf versions, tmp;
    buf_init(&versions);
    buf_init(&tmp);
    for (int i = 0; ri->versions && i < ri->versions->n; i++)
        buf_printf(&versions, "%s%s", i ? "," : "", VERSION_NAME(ri->versions->v[i]));
    char *now = now_iso8601();
    int ret = -1;

    if (store_tx_begin(s, err) < 0) goto out;
    sqlite3_stmt *q = store_query(s, Q_RUN_INSERT, err);
    if (!q) goto fail;
    store_bind_text(q, 1, now);
    store_bind_text(q, 2, ri->corpus ? ri->corpus : "");
    store_bind_text(q, 3, versions.data ? versions.data : "");
    store_bind_text(q, 4, ri->backend ? ri->backend : "embedded");
    store_bind_text(q, 5, ri->args);
    store_bind_text(q, 6, ri->tool_version);
    sqlite3_bind_int(q, 7, ri->jobs);
    store_bind_text(q, 8, ri->shard);
    store_bind_text(q, 9, ri->corpus_id);
    if (store_step_done(s, q, err) < 0) goto fail;
    long long id = sqlite3_last_insert_rowid(s->db);
    if (store_owner_put(s, id, err) < 0) goto fail;
    map_build(s, id, c);

    for (size_t li = 0; li < c->nlayouts; li++) {
        const CorpusLayout *l = &c->layouts[li];
        if (!(q = store_query(s, Q_LAYOUT_INSERT, err))) goto fail;
        sqlite3_bind_int64(q, 1, id);
        store_bind_text(q, 2, l->path);
        sqlite3_bind_int64(q, 3, (long long)l->first_chain);
        sqlite3_bind_int64(q, 4, (long long)l->nchains);
        store_bind_text(q, 5, l->sum.layout ? l->sum.layout : "");
        sqlite3_bind_int(q, 6, l->sum.forced);
        sqlite3_bind_int64(q, 7, (long long)l->sum.nup);
        sqlite3_bind_int64(q, 8, (long long)l->sum.ndown);
        sqlite3_bind_int(q, 9, l->sum.downs_run);
        sqlite3_bind_int64(q, 10, (long long)l->sum.nleft);
        store_bind_text(q, 11, l->sum.left);
        store_bind_text(q, 12, l->sum.note);
        if (store_step_done(s, q, err) < 0) goto fail;
    }
    for (size_t ci = 0; ci < c->nchains; ci++) {
        Chain *ch = &c->chains[ci];
        for (size_t mi = 0; mi < ch->nmigs; mi++) {
            Migration *m = &ch->migs[mi];
            if (!(q = store_query(s, Q_MIG_INSERT, err))) goto fail;
            sqlite3_bind_int64(q, 1, id);
            sqlite3_bind_int64(q, 2, (long long)ci);
            store_bind_text(q, 3, ch->name ? ch->name : "");
            sqlite3_bind_int64(q, 4, (long long)mi + 1);
            store_bind_text(q, 5, m->path ? m->path : "");
            store_bind_text(q, 6, m->error);
            sqlite3_bind_int(q, 7, m->wrap_tx);
            store_bind_text(q, 8, m->extracted_from);
            if (store_step_done(s, q, err) < 0) goto fail;
            /* one statement at a time: a lean migration is split again */
            StmtInserter in = {.s = s,
                               .mig_id = sqlite3_last_insert_rowid(s->db),
                               .tmp = &tmp,
                               .chain = ci,
                               .mig = mi,
                               .err = err};
            if (corpus_migration_each(m, insert_each, &in, err) != 0 || in.failed) goto fail;
        }
    }
    if (store_tx_commit(s, err) < 0) goto fail;
    *run_id = id;
    ret = 0;
    goto out;
fail:
    store_tx_rollback(s);
    store_map_clear(s);
out:
    free(now);
    buf_free(&versions);
    buf_free(&tmp);
    return ret;
}

int store_put_server(Store *s, long long run_id, int major, const char *version, Err *err)
{
    sqlite3_stmt *q = store_query(s, Q_SERVER_PUT, err);
    if (!q) return -1;
    sqlite3_bind_int64(q, 1, run_id);
    sqlite3_bind_int(q, 2, major);
    store_bind_text(q, 3, version ? version : "");
    return store_step_done(s, q, err);
}

int store_run_finish(Store *s, long long run_id, const char *status, Err *err)
{
    sqlite3_stmt *q = store_query(s, Q_RUN_FINISH, err);
    if (!q) return -1;
    char *now = now_iso8601();
    sqlite3_bind_int64(q, 1, run_id);
    store_bind_text(q, 2, status);
    store_bind_text(q, 3, now);
    int rc = store_step_done(s, q, err);
    free(now);
    if (rc < 0) return -1;
    if (sqlite3_changes(s->db) == 0)
        return err_set(err, EXIT_USAGE, "no run %lld in \"%s\"", run_id, s->path);
    store_owner_drop(s, run_id);
    return 0;
}

long long store_latest_run(Store *s, Err *err)
{
    sqlite3_stmt *q = store_query(s, Q_LATEST_RUN, err);
    if (!q) return -1;
    long long id = -1;
    if (sqlite3_step(q) == SQLITE_ROW)
        id = sqlite3_column_int64(q, 0);
    else
        store_db_err(s, err, "read");
    sqlite3_reset(q);
    return id;
}

long long store_previous_run(Store *s, long long run_id, Err *err)
{
    sqlite3_stmt *q = store_query(s, Q_PREVIOUS_RUN, err);
    if (!q) return -1;
    sqlite3_bind_int64(q, 1, run_id);
    long long id = 0;
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        id = sqlite3_column_int64(q, 0);
    else if (rc != SQLITE_DONE)
        id = store_db_err(s, err, "read");
    sqlite3_reset(q);
    return id;
}

/* ---- jobs ----------------------------------------------------------------- */

/* rewrite and scan: 1, 0, NULL for depends */
static void bind_tri(sqlite3_stmt *st, int i, Tri v)
{
    if (v == TRI_YES || v == TRI_NO)
        sqlite3_bind_int(st, i, v == TRI_YES);
    else
        sqlite3_bind_null(st, i);
}

/* One row of predictions: mode, rewrite, scan and risk when predicted (else
 * NULL), the verdict; none when p has neither. */
static int put_prediction(Store *s, long long trace_id, const Prediction *p, Err *err)
{
    if (!p->predicted && p->verdict == VERDICT_NONE) return 0;
    sqlite3_stmt *q = store_query(s, Q_PREDICTION_INSERT, err);
    if (!q) return -1;
    sqlite3_bind_int64(q, 1, trace_id);
    if (p->predicted) {
        store_bind_text(q, 2, lock_mode_name(p->mode));
        bind_tri(q, 3, p->rewrite);
        bind_tri(q, 4, p->scan);
        store_bind_text(q, 5, risk_name(p->risk));
    }
    store_bind_text(q, 6, verdict_name(p->verdict));
    store_bind_text(q, 7, p->relations);
    return store_step_done(s, q, err);
}

static int put_phase_lock(Store *s, long long trace_id, int phase, bool waiting, const TraceLock *l,
                          Err *err)
{
    sqlite3_stmt *q = store_query(s, Q_PHASE_LOCK_INSERT, err);
    if (!q) return -1;
    sqlite3_bind_int64(q, 1, trace_id);
    sqlite3_bind_int(q, 2, phase);
    sqlite3_bind_int(q, 3, waiting);
    store_bind_text(q, 4, l->relation);
    store_bind_text(q, 5, l->role);
    store_bind_text(q, 6, l->locktype ? l->locktype : "relation");
    store_bind_text(q, 7, l->mode ? l->mode : "");
    sqlite3_bind_int(q, 8, l->granted);
    return store_step_done(s, q, err);
}

static int put_trace(Store *s, long long job_id, long long stmt_id, int major, const Trace *t,
                     const Prediction *pred, Err *err)
{
    if ((unsigned)t->status >= TRACE_STATUSES)
        return err_set(err, EXIT_USAGE, "trace with an unknown status %d", (int)t->status);
    sqlite3_stmt *q = store_query(s, Q_TRACE_INSERT, err);
    if (!q) return -1;
    sqlite3_bind_int64(q, 1, job_id);
    sqlite3_bind_int64(q, 2, stmt_id);
    sqlite3_bind_int(q, 3, major);
    store_bind_text(q, 4, trace_status_name(t->status));
    store_bind_text(q, 5, t->sqlstate[0] ? t->sqlstate : NULL);
    store_bind_text(q, 6, t->message);
    store_bind_text(q, 7, t->capture[0] ? t->capture : NULL);
    sqlite3_bind_double(q, 8, t->duration_ms);
    if (t->lock_held_ms > 0) {
        sqlite3_bind_double(q, 9, t->lock_held_ms);
        store_bind_text(q, 10, t->lock_held_relation);
        store_bind_text(q, 11, t->lock_held_mode);
    }
    if (t->status == TRACE_OK) store_bind_text(q, 12, trace_req_name(t->req));
    if (store_step_done(s, q, err) < 0) return -1;
    long long id = sqlite3_last_insert_rowid(s->db);
    if (pred && put_prediction(s, id, pred, err) < 0) return -1;
    if (t->said &&
        store_put_evidence(s, id, STORE_EVIDENCE_SERVER, t->said, strlen(t->said), err) < 0)
        return -1;

    for (size_t i = 0; i < t->nlocks; i++) {
        const TraceLock *l = &t->locks[i];
        if (!(q = store_query(s, Q_LOCK_INSERT, err))) return -1;
        sqlite3_bind_int64(q, 1, id);
        store_bind_text(q, 2, l->relation);
        store_bind_text(q, 3, l->role);
        store_bind_text(q, 4, l->locktype ? l->locktype : "relation");
        store_bind_text(q, 5, l->mode ? l->mode : "");
        sqlite3_bind_int(q, 6, l->granted);
        sqlite3_bind_int(q, 7, l->held_before);
        if (store_step_done(s, q, err) < 0) return -1;
    }
    size_t nreq = t->nrequested + t->nreq_rewrites + t->nreq_scanned;
    for (size_t i = 0; i < nreq; i++) {
        if (!(q = store_query(s, Q_REQUEST_INSERT, err))) return -1;
        sqlite3_bind_int64(q, 1, id);
        if (i < t->nrequested) {
            const TraceLock *l = &t->requested[i];
            store_bind_text(q, 2, "lock");
            store_bind_text(q, 3, l->relation);
            store_bind_text(q, 4, l->role);
            store_bind_text(q, 5, l->locktype ? l->locktype : "relation");
            store_bind_text(q, 6, l->mode ? l->mode : "");
        } else if (i < t->nrequested + t->nreq_rewrites) {
            store_bind_text(q, 2, "rewrite");
            store_bind_text(q, 3, t->req_rewrites[i - t->nrequested]);
        } else {
            store_bind_text(q, 2, "scan");
            store_bind_text(q, 3, t->req_scanned[i - t->nrequested - t->nreq_rewrites]);
        }
        if (store_step_done(s, q, err) < 0) return -1;
    }
    for (size_t p = 0; p < t->nphases; p++) {
        const TracePhase *ph = &t->phases[p];
        for (size_t i = 0; i <= ph->nlocks; i++) {
            const TraceLock *l = i < ph->nlocks ? &ph->locks[i] : &ph->waiting_for;
            if (i == ph->nlocks && !l->mode) break; /* it waited for nothing */
            if (put_phase_lock(s, id, (int)p + 1, i == ph->nlocks, l, err) < 0) return -1;
        }
    }
    for (size_t i = 0; i < t->nrewrites; i++) {
        if (!(q = store_query(s, Q_REWRITE_INSERT, err))) return -1;
        sqlite3_bind_int64(q, 1, id);
        store_bind_text(q, 2, t->rewrites[i] ? t->rewrites[i] : "");
        if (store_step_done(s, q, err) < 0) return -1;
    }
    for (size_t i = 0; i < t->nscans; i++) {
        const TraceScan *sc = &t->scans[i];
        if (!(q = store_query(s, Q_SCAN_INSERT, err))) return -1;
        sqlite3_bind_int64(q, 1, id);
        store_bind_text(q, 2, sc->relation ? sc->relation : "");
        sqlite3_bind_int64(q, 3, sc->seq_scan);
        sqlite3_bind_int64(q, 4, sc->tup_read);
        if (store_step_done(s, q, err) < 0) return -1;
    }
    for (size_t i = 0; i < t->nchanges; i++) {
        const TraceChange *ch = &t->changes[i];
        if (!(q = store_query(s, Q_CHANGE_INSERT, err))) return -1;
        sqlite3_bind_int64(q, 1, id);
        store_bind_text(q, 2, ch->kind ? ch->kind : "");
        store_bind_text(q, 3, ch->relation);
        store_bind_text(q, 4, ch->detail);
        if (store_step_done(s, q, err) < 0) return -1;
    }
    return 0;
}

int store_put_job(Store *s, long long run_id, const Corpus *c, const JobResult *jr, Err *err)
{
    if (jr->chain >= c->nchains)
        return err_set(err, EXIT_USAGE, "job of chain %zu, the corpus has %zu", jr->chain,
                       c->nchains);
    if (s->map_run != run_id || s->map_nchains != c->nchains)
        if (map_load(s, run_id, c, err) < 0) return -1;
    const char *chain_name = c->chains[jr->chain].name;
    char *now = now_iso8601();

    if (store_tx_begin(s, err) < 0) {
        free(now);
        return -1;
    }
    /* a retry replaces the job and, by cascade, every trace of the first attempt */
    sqlite3_stmt *q = store_query(s, Q_JOB_DELETE, err);
    if (!q) goto fail;
    sqlite3_bind_int64(q, 1, run_id);
    sqlite3_bind_int64(q, 2, (long long)jr->chain);
    sqlite3_bind_int(q, 3, jr->major);
    if (store_step_done(s, q, err) < 0) goto fail;
    if (!(q = store_query(s, Q_JOB_INSERT, err))) goto fail;
    sqlite3_bind_int64(q, 1, run_id);
    sqlite3_bind_int64(q, 2, (long long)jr->chain);
    sqlite3_bind_int(q, 3, jr->major);
    store_bind_text(q, 4, jr->status ? jr->status : "ok");
    store_bind_text(q, 5, jr->reason);
    sqlite3_bind_int(q, 6, jr->attempts > 0 ? jr->attempts : 1);
    sqlite3_bind_double(q, 7, jr->duration_ms);
    store_bind_text(q, 8, now);
    if (store_step_done(s, q, err) < 0) goto fail;
    long long job_id = sqlite3_last_insert_rowid(s->db);

    for (size_t i = 0;; i++) {
        Trace got;
        const Trace *t = &got;
        const Prediction *pred = NULL;
        if (jr->next) {
            int r = jr->next(jr->next_ctx, &got, &pred, err);
            if (r < 0) goto fail;
            if (r == 0) break;
        } else {
            if (i >= jr->ntraces) break;
            t = &jr->traces[i];
            pred = jr->predictions ? &jr->predictions[i] : NULL;
        }
        long long *slot = map_slot(s, jr->chain, t->mig, t->stmt);
        int rc = -1;
        if (!slot || *slot == 0)
            err_set(err, EXIT_USAGE,
                    "trace of statement %d of migration %d is not in chain \"%s\" of run %lld",
                    t->stmt + 1, t->mig + 1, chain_name ? chain_name : "", run_id);
        else
            rc = put_trace(s, job_id, *slot, jr->major, t, pred, err);
        if (jr->next) trace_free(&got);
        if (rc < 0) goto fail;
    }
    if (store_tx_commit(s, err) < 0) goto fail;
    free(now);
    return 0;
fail:
    store_tx_rollback(s);
    free(now);
    return -1;
}

int store_verdict_counts(Store *s, long long run_id, char ***names, long long **counts, size_t *n,
                         Err *err)
{
    *names = NULL;
    *counts = NULL;
    *n = 0;
    sqlite3_stmt *q = store_query(s, Q_VERDICT_COUNTS, err);
    if (!q) return -1;
    sqlite3_bind_int64(q, 1, run_id);
    size_t cap = 0, ccap = 0, nc = 0;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        *ARRAY_PUSH(*names, *n, cap) = xstrdup((const char *)sqlite3_column_text(q, 0));
        *ARRAY_PUSH(*counts, nc, ccap) = sqlite3_column_int64(q, 1);
    }
    sqlite3_reset(q);
    if (rc != SQLITE_DONE) {
        for (size_t i = 0; i < *n; i++)
            free((*names)[i]);
        free(*names);
        free(*counts);
        *names = NULL;
        *counts = NULL;
        *n = 0;
        return store_db_err(s, err, "read");
    }
    return 0;
}
