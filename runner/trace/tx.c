/*
 * tx: the transactional path and a migration's own transaction.
 *
 * Transactional path, two round trips on the traced connection (three
 * steps: 1 and 2 are one query string, a round trip less per statement):
 *
 *   1. "BEGIN; <scan baseline>; <statement>"               -> duration_ms
 *      (the baseline reads pg_stat_get_xact_numscans for the known tables
 *      from a constant array: it takes no lock; duration_ms includes step 2)
 *   2. the own backend's locks: pg_lock_status() called directly takes no
 *      relation lock, so the capture holds only the statement's locks
 *      (checked: SELECT 1 shows none on 10, 15, 17)
 *   3. still inside the transaction: the catalog rows of the relations the
 *      statement locked (with their indexes and toast tables) and of every
 *      relation newer than the snapshot; object descriptions; scan counters
 *      (minus the baseline: pg_stat_xact_* also counts earlier transactions
 *      whose counts are not flushed yet); COMMIT
 *
 * A migration's own transaction (BEGIN ... COMMIT in the file, COMMIT AND
 * CHAIN, savepoints, or a migration its tool wraps: tracer_tx_begin/_end):
 * transaction control runs plainly (capture "none"), and where the traced
 * connection stands is read from libpq (PQtransactionStatus), so every form
 * is followed. Inside the transaction a statement runs without BEGIN/COMMIT
 * of the tracer's: its locks are read as before and compared with what the
 * transaction held after the previous statement; a lock held before is
 * marked held_before and kept only on the relations the statement acts on
 * (table, index, toast, referenced); the catalog is read inside the
 * transaction as usual (the tracer's catalog locks are counted as held, not
 * charged to the next statement); queries are plain text (a migration that
 * deallocates prepared statements would otherwise abort its transaction),
 * except the catalog reads of step 3 once one ran there in plain text: step
 * 2 then also lists the session's prepared statements, and step 3 executes
 * the prepared ones when they are all still there (their executions lock a
 * subset of what planning the plain text locked, which the transaction
 * holds: the locks it holds after each statement stay the same). A
 * statement that fails aborts the transaction as in production: the
 * statements up to its end are run plainly and get the server's 25P02; one
 * that cannot run in a transaction block gets 25001. The COMMIT or ROLLBACK
 * (or the last statement of a wrapped migration) reports the locks released
 * and how long the strongest was held (lock_held_*). The catalog snapshot
 * survives BEGIN, SAVEPOINT, RELEASE and a COMMIT; a rollback drops it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner/profile.h"
#include "runner/trace/internal.h"

/* Scans of res (relid, numscans, tuples) minus those of base (may be NULL). */
static void load_scans(PGresult *res, PGresult *base, Scan **scans, size_t *n)
{
    int rows = PQntuples(res);
    *scans = xcalloc((size_t)rows + 1, sizeof(Scan));
    *n = 0;
    for (int i = 0; i < rows; i++) {
        Scan sc = {val_oid(PQgetvalue(res, i, 0)), atoll(PQgetvalue(res, i, 1)),
                   atoll(PQgetvalue(res, i, 2))};
        for (int k = 0; base && k < PQntuples(base); k++) {
            if (val_oid(PQgetvalue(base, k, 0)) == sc.relid) {
                sc.seq_scan -= atoll(PQgetvalue(base, k, 1));
                sc.tup_read -= atoll(PQgetvalue(base, k, 2));
            }
        }
        if (sc.seq_scan > 0) (*scans)[(*n)++] = sc;
    }
}

/* The baseline of sequential scans for the tables of s: a query that reads
 * no relation (unnest of a constant array), so it takes no lock. Caller frees. */
static char *scan_baseline_sql(const Tracer *t, const Snap *s, bool prepared)
{
    Buf b;
    buf_init(&b);
    for (size_t i = 0; i < s->nrels; i++) {
        const Rel *r = s->rels[i];
        if (r->kind == 'r' || r->kind == 'm') buf_printf(&b, "%s%u", b.len ? "," : "", r->oid);
    }
    if (!b.len) buf_puts(&b, "0");
    char *arr = xasprintf("'{%s}'::pg_catalog.oid[]", b.data);
    char *sql = prepared ? xasprintf("EXECUTE lm_base_%d(%s)", t->generation, arr)
                         : xasprintf(SQL_BASELINE, arr);
    free(arr);
    buf_free(&b);
    return sql;
}

/* Index of the first failed result of a reply, or nres. */
static size_t failed_at(const PgReply *r)
{
    for (size_t i = 0; i < r->nres; i++) {
        ExecStatusType s = PQresultStatus(r->res[i]);
        if (s == PGRES_FATAL_ERROR || s == PGRES_BAD_RESPONSE) return i;
    }
    return r->nres;
}

/* Substitutes $1 .. $n (n < 10) in sql with p[0] .. p[n-1]. Caller frees. */
static char *bind(const char *sql, const char *const *p, int n)
{
    Buf b;
    buf_init(&b);
    for (const char *c = sql; *c;) {
        const char *q = strchr(c, '$');
        if (!q) {
            buf_puts(&b, c);
            break;
        }
        buf_append(&b, c, (size_t)(q - c));
        int k = q[1] >= '1' && q[1] <= '9' ? q[1] - '1' : n;
        if (k < n)
            buf_puts(&b, p[k]);
        else
            buf_append(&b, q, q[1] ? 2 : 1);
        c = q[1] ? q + 2 : q + 1;
    }
    return buf_steal(&b);
}

/* How many of step 3's prepared queries of the tracer's generation are in
 * res (a reply to SQL_PREPARED_NAMES): SNAP_NRES + 1 when all are there
 * (lm_t0 .. lm_t6, lm_scans). */
#define AFTER_PREPARED (SNAP_NRES + 1)
static size_t prepared_left(const Tracer *t, PGresult *res)
{
    size_t n = 0;
    for (int i = 0; i < PQntuples(res); i++) {
        const char *name = PQgetvalue(res, i, 0);
        for (size_t k = 0; k < AFTER_PREPARED; k++) {
            char want[32];
            if (k < SNAP_NRES)
                snprintf(want, sizeof(want), "lm_t%zu_%d", k, t->generation);
            else
                snprintf(want, sizeof(want), "lm_scans_%d", t->generation);
            if (strcmp(name, want) == 0) n++;
        }
    }
    return n;
}

/* Where the traced connection stands now (PQtransactionStatus) into t->utx;
 * out of a transaction its locks are forgotten. */
void tracer_sync_tx(Tracer *t)
{
    PGTransactionStatusType s = PQtransactionStatus(pgconn_raw(t->traced));
    t->utx = s == PQTRANS_INTRANS ? UTX_OPEN : s == PQTRANS_INERROR ? UTX_ABORTED : UTX_NONE;
    if (t->utx != UTX_OPEN) t->tx_planned = false;
    if (t->utx == UTX_NONE) lockset_free(&t->tx_locks);
}

/* The locks the migration's transaction holds, read again (after BEGIN,
 * ROLLBACK TO SAVEPOINT, COMMIT AND CHAIN ...): those still held keep the time
 * they were taken. -1 only when the connection is lost. */
int tracer_refresh_tx_locks(Tracer *t, Err *err)
{
    PgReply r;
    PgStatus s = pgconn_exec(t->traced, SQL_OWN_LOCKS, TRACER_QUERY_MS, &r);
    if (s == PG_LOST) {
        int rc = tracer_lost(t, "traced", &r, err);
        pgreply_clear(&r);
        return rc;
    }
    LockSet fresh = {0};
    double now = now_ms();
    for (int i = 0; s == PG_OK && r.nres == 1 && i < PQntuples(r.res[0]); i++) {
        RawLock l;
        rawlock_read(&l, r.res[0], i, 0);
        if (rawlock_own_xact(&l)) {
            rawlock_free(&l);
            continue;
        }
        l.since = now;
        long k = lockset_find(&t->tx_locks, &l);
        if (k >= 0) l.since = t->tx_locks.v[k].since;
        lockset_add(&fresh, &l);
    }
    pgreply_clear(&r);
    lockset_free(&t->tx_locks);
    t->tx_locks = fresh;
    return 0;
}

/* Among locks of the same mode, the one on a table says more than the one on
 * its index or toast table taken by the same statement. */
static int hold_weight(const Snap *cache, unsigned oid)
{
    const Rel *r = snap_rel(cache, oid);
    if (!r) return 0;
    if (is_index_kind(r->kind) || r->kind == 't') return 1;
    return 2;
}

/* The end of the migration's transaction at time end: how long it held its
 * strongest lock on a user relation (the earliest taken among equals) into
 * out's lock_held_*, and, when with_locks, the locks it released as out's
 * locks (held_before: earlier statements took them). */
static void tx_ended(Tracer *t, const Statement *st, Trace *out, double end, bool with_locks)
{
    View v;
    view_init(&v, &t->cache, &t->cache, NULL, st);
    const RawLock *best = NULL;
    size_t cap = 0;
    for (size_t i = 0; i < t->tx_locks.n; i++) {
        RawLock *l = &t->tx_locks.v[i];
        if (strcmp(l->locktype, "relation") != 0 || l->relation < FIRST_USER_OID || !l->granted)
            continue;
        if (view_is_transient(&v, l->relation)) oidset_add(&v.transient, l->relation);
        int m = mode_sort(l->mode), bm = best ? mode_sort(best->mode) : -1;
        int w = hold_weight(&t->cache, l->relation),
            bw = best ? hold_weight(&t->cache, best->relation) : -1;
        if (!best || m > bm || (m == bm && (w > bw || (w == bw && l->since < best->since))))
            best = l;
    }
    if (v.transient.n > 1) qsort(v.transient.v, v.transient.n, sizeof(unsigned), oid_cmp);
    for (size_t i = 0; with_locks && i < t->tx_locks.n; i++) {
        RawLock *l = &t->tx_locks.v[i];
        if (strcmp(l->locktype, "relation") != 0 || l->relation < FIRST_USER_OID || !l->granted)
            continue;
        l->held_before = true;
        tracelock_from(ARRAY_PUSH(out->locks, out->nlocks, cap), &v, l, &t->tx_locks);
    }
    if (out->nlocks > 1) qsort(out->locks, out->nlocks, sizeof(*out->locks), tracelock_cmp);
    if (best) {
        out->lock_held_ms = end - best->since;
        if (out->lock_held_ms <= 0) out->lock_held_ms = 0.001;
        free(out->lock_held_relation);
        free(out->lock_held_mode);
        out->lock_held_relation = view_name(&v, best->relation);
        out->lock_held_mode = xstrdup(best->mode);
    }
    view_free(&v);
}

/* The kind of a transaction control statement: its class, or NULL when it
 * was not classified. */
static bool tx_is(const Statement *st, const char *cls)
{
    return st->info.cls && strcmp(st->info.cls, cls) == 0;
}

/* Refused by one of the tracer's own queries inside the traced transaction:
 * roll back; again with plain text when the prepared statements are gone
 * (the statement deallocated them), else an error of the tracer. */
static int tracer_query_failed(Tracer *t, const Statement *st, Trace *out, PgReply *r, Err *err)
{
    if (r->status == PG_LOST) {
        int rc = tracer_lost(t, "traced", r, err);
        pgreply_clear(r);
        return rc;
    }
    if (t->utx != UTX_NONE) {
        /* inside the migration's transaction: nothing to roll back of the tracer's */
        int rc = err_set(err, EXIT_ENV, "tracing failed: a query of the tracer was refused: %s",
                         r->message ? r->message : "timeout");
        pgreply_clear(r);
        t->cache_valid = false;
        tracer_sync_tx(t);
        return rc;
    }
    bool again = tracer_lost_prepared(t, r);
    int rc = again ? 0
                   : err_set(err, EXIT_ENV, "tracing failed: a query of the tracer was refused: %s",
                             r->message ? r->message : "timeout");
    pgreply_clear(r);
    if (tracer_quiet(t, t->traced, "ROLLBACK", err) < 0) return -1;
    if (!again) {
        t->cache_valid = false;
        return rc;
    }
    trace_free(out);
    out->status = TRACE_OK;
    snprintf(out->capture, sizeof(out->capture), "tx");
    return tracer_run_tx(t, st, out, err);
}

/* 1: the server refused to run it in a transaction block (retry outside). */
int tracer_run_tx(Tracer *t, const Statement *st, Trace *out, Err *err)
{
    /* 1. the statement, after a baseline of the scan counters; inside the
     * migration's own transaction when it opened one; and, in the same round
     * trip, the own backend's locks (a query that takes none), run by the
     * server right after the statement (nothing of the tracer's runs in
     * between, as nothing did when it was a round trip of its own). Inside
     * the migration's transaction, once the catalog reads were planned
     * there, the lock read also lists the session's prepared statements (the
     * statement may have deallocated the catalog reads'; a function call
     * takes no lock). The statement's text ends with a newline: a line
     * comment at its end comments out nothing of the tracer's. A statement
     * libpg_query did not parse stays last in its string, the lock read a
     * round trip of its own: the server parses the whole string first, and
     * a syntax error at the end of the statement would be reported at the
     * lock read's text. */
    bool utx = t->utx == UTX_OPEN;
    bool prep = tracer_use_prepared(t);
    bool tx_prep = utx && t->tx_planned && t->prepared;
    char *base = scan_baseline_sql(t, &t->cache, prep);
    char *lsql = prep      ? xasprintf("EXECUTE lm_locks_%d", t->generation)
                 : tx_prep ? xstrdup(SQL_OWN_LOCKS ";\n" SQL_PREPARED_NAMES)
                           : xstrdup(SQL_OWN_LOCKS);
    bool merged = st->info.parsed == STMT_PARSED_TREE;
    char *sql = xasprintf(utx ? "%s;\n%s%s%s" : "BEGIN;\n%s;\n%s%s%s", base, st->sql,
                          merged ? "\n;\n" : "", merged ? lsql : "");
    size_t nread = tx_prep ? 2 : 1; /* results of the lock read, last in the reply */
    double started = now_ms();
    PgReply r;
    prof_enter(PROF_EXECUTE);
    PgStatus s = pgconn_exec(t->traced, sql, t->timeout_ms, &r);
    prof_leave();
    free(sql);
    free(base);
    out->duration_ms = r.ms;
    tracer_keep_said(out, &r);
    if (s == PG_LOST) {
        free(lsql);
        int rc = tracer_lost(t, "traced", &r, err);
        pgreply_clear(&r);
        return rc;
    }
    size_t bi = utx ? 0 : 1; /* the baseline's result: after BEGIN */
    /* the prepared baseline was gone (the statement did not run), or the
     * prepared lock read (the statement deallocated it): again in plain text */
    if (s != PG_OK && prep && strcmp(r.sqlstate, "26000") == 0 &&
        (failed_at(&r) == 1 || (merged && failed_at(&r) > bi + 1))) {
        free(lsql);
        return tracer_query_failed(t, st, out, &r, err);
    }
    if (s != PG_OK) free(lsql);
    if (s != PG_OK && utx) {
        /* as in production: the migration's transaction is aborted, and the
         * statements up to its end are refused (25P02); nothing rolled back here */
        if (s == PG_TIMEOUT)
            tracer_set_timeout(out, t->timeout_ms);
        else
            tracer_set_error(out, &r);
        pgreply_clear(&r);
        t->cache_valid = false;
        tracer_sync_tx(t);
        return 0;
    }
    if (s != PG_OK) {
        /* 25001: cannot run inside a transaction block; 2D000: a procedure
         * that commits or rolls back (CALL) cannot inside one either */
        bool retry = s == PG_REFUSED &&
                     (strcmp(r.sqlstate, "25001") == 0 || strcmp(r.sqlstate, "2D000") == 0);
        if (s == PG_TIMEOUT)
            tracer_set_timeout(out, t->timeout_ms);
        else if (!retry)
            tracer_set_error(out, &r);
        if (retry) { /* what the refusal said is not the statement's */
            free(out->said);
            out->said = NULL;
        }
        pgreply_clear(&r);
        /* the catalog is as before: the snapshot stays valid */
        if (tracer_quiet(t, t->traced, "ROLLBACK", err) < 0) return -1;
        return retry ? 1 : 0;
    }
    /* keep the baseline of scans: (BEGIN,) baseline, the statement's result
     * (none for a statement that is only a comment), the lock read */
    PGresult *baseline = NULL;
    if (r.nres >= bi + 1 && PQresultStatus(r.res[bi]) == PGRES_TUPLES_OK) {
        baseline = r.res[bi];
        r.res[bi] = PQmakeEmptyPGresult(NULL, PGRES_EMPTY_QUERY);
    }
    if (!merged) {
        /* 2. its own round trip */
        pgreply_clear(&r);
        prof_enter(PROF_LOCKS);
        s = pgconn_exec(t->traced, lsql, TRACER_QUERY_MS, &r);
        prof_leave();
    }
    free(lsql);
    if (s != PG_OK || r.nres < (merged ? bi + 1 : 0) + nread ||
        PQresultStatus(r.res[r.nres - nread]) != PGRES_TUPLES_OK) {
        PQclear(baseline);
        if (s == PG_OK) {
            pgreply_clear(&r);
            r.status = PG_REFUSED;
            r.message = xstrdup("unexpected reply to the lock read");
        }
        return tracer_query_failed(t, st, out, &r, err);
    }

    prof_enter(PROF_LOCKS);
    LockSet locks = {0};
    PGresult *lr = r.res[r.nres - nread];
    for (int i = 0; i < PQntuples(lr); i++) {
        RawLock l;
        rawlock_read(&l, lr, i, 0);
        if (rawlock_own_xact(&l)) {
            rawlock_free(&l);
            continue;
        }
        l.since = started;
        if (utx) {
            /* held by an earlier statement of the transaction: since then */
            long k = lockset_find(&t->tx_locks, &l);
            if (k >= 0 && t->tx_locks.v[k].granted && l.granted) {
                l.held_before = true;
                l.since = t->tx_locks.v[k].since;
            }
        }
        lockset_add(&locks, &l);
    }
    if (tx_prep && prepared_left(t, r.res[r.nres - 1]) != AFTER_PREPARED) {
        tx_prep = false;
        t->prepared = false; /* prepared again out of the transaction */
    }
    pgreply_clear(&r);
    prof_leave();

    /* 3. still inside: the touched relations' catalog rows, names of
     * objects, scans; COMMIT */
    OidSet family = {0};
    locked_family(&t->cache, &locks, &family);
    Buf arr, cols;
    buf_init(&arr);
    buf_init(&cols);
    for (size_t i = 0; i < family.n; i++) {
        buf_printf(&arr, "%s%u", i ? "," : "", family.v[i]);
        const Rel *fr = snap_rel(&t->cache, family.v[i]);
        if (fr && snap_keeps_columns(fr->kind))
            buf_printf(&cols, "%s%u", cols.len ? "," : "", fr->oid);
    }
    char *a1 = xasprintf("'{%s}'::pg_catalog.oid[]", arr.len ? arr.data : "");
    char *a3 = xasprintf("'{%s}'::pg_catalog.oid[]", cols.len ? cols.data : "");
    buf_free(&arr);
    buf_free(&cols);
    unsigned maxoid = snap_max_oid(&t->cache);
    char num[16];
    snprintf(num, sizeof(num), "%u", maxoid);
    char *objs = tracer_objs_sql(t, &locks);
    const char *params[] = {a1, num, a3, objs};
    char *csql = bind(prep || tx_prep ? t->after_exec : t->after_plain, params, 4);
    free(a1);
    free(a3);
    free(objs);
    /* The statement's own transaction, which the tracer commits: its catalog
     * reads run with their generic plans (SQL_GENERIC_PLANS). */
    bool generic = prep && !utx && t->major >= 12;
    if (generic) {
        char *g = xasprintf("%s;\n%s", SQL_GENERIC_PLANS, csql);
        free(csql);
        csql = g;
    }
    if (utx) {
        /* inside the migration's transaction: no COMMIT of the tracer's; its
         * catalog reads took AccessShareLock on catalogs that the transaction
         * now holds: read the locks again, so that the next statement is not
         * charged with them */
        char *c = strrchr(csql, ';');
        if (c) *c = '\0';
        char *more = xasprintf("%s;\n%s", csql, SQL_OWN_LOCKS);
        free(csql);
        csql = more;
    }
    prof_enter(PROF_CATALOG);
    s = pgconn_exec(t->traced, csql, TRACER_QUERY_MS, &r);
    prof_leave();
    free(csql);
    if (generic && r.nres > 0) { /* set_config's row */
        PQclear(r.res[0]);
        memmove(r.res, r.res + 1, (r.nres - 1) * sizeof(*r.res));
        r.nres--;
    }
    if (s != PG_OK && !(s == PG_REFUSED && failed_at(&r) == SNAP_NRES + 2)) {
        PQclear(baseline);
        lockset_free(&locks);
        free(family.v);
        return tracer_query_failed(t, st, out, &r, err);
    }
    if (s != PG_OK) {
        /* COMMIT refused it (deferred constraint, serialization): the
         * statement failed, its transaction is rolled back */
        tracer_set_error(out, &r);
        pgreply_clear(&r);
        PQclear(baseline);
        lockset_free(&locks);
        free(family.v);
        return 0;
    }
    /* touched: the family (user relations) and every relation newer than the snapshot */
    OidSet touched = {0};
    for (size_t i = 0; i < family.n; i++)
        if (family.v[i] >= FIRST_USER_OID)
            *ARRAY_PUSH(touched.v, touched.n, touched.cap) = family.v[i];
    free(family.v);
    Snap fresh = {0};
    snap_load(&fresh, &r, 0);
    for (size_t i = 0; i < fresh.nrels; i++)
        if (fresh.rels[i]->oid > maxoid)
            *ARRAY_PUSH(touched.v, touched.n, touched.cap) = fresh.rels[i]->oid;
    if (touched.n > 1) qsort(touched.v, touched.n, sizeof(unsigned), oid_cmp);
    lockset_describe(&locks, r.res[SNAP_NRES]);
    Scan *scans;
    size_t nscans;
    load_scans(r.res[SNAP_NRES + 1], baseline, &scans, &nscans);
    LockSet held_now = {0};
    PGresult *held = utx && r.nres > SNAP_NRES + 2 ? r.res[SNAP_NRES + 2] : NULL;
    for (int i = 0; held && i < PQntuples(held); i++) {
        RawLock l;
        rawlock_read(&l, held, i, 0);
        if (rawlock_own_xact(&l)) {
            rawlock_free(&l);
            continue;
        }
        l.since = started;
        long k = lockset_find(&locks, &l);
        if (k >= 0) l.since = locks.v[k].since;
        lockset_add(&held_now, &l);
    }
    PQclear(baseline);
    pgreply_clear(&r);

    /* 4. the after-snapshot: the before-snapshot with the touched rows read again */
    Snap after = {0};
    int rc = 0;
    prof_enter(PROF_CATALOG);
    if (needs_full_snapshot(&locks)) {
        PgStatus fs = pgconn_exec(t->traced, tracer_snap_sql(t), TRACER_QUERY_MS, &r);
        if (fs == PG_LOST)
            rc = tracer_lost(t, "traced", &r, err);
        else if (fs != PG_OK || snap_load(&after, &r, 0) < 0)
            rc = err_set(err, EXIT_ENV, "could not read the catalog snapshot: %s",
                         r.message ? r.message : "unexpected result");
        pgreply_clear(&r);
    } else {
        snap_merge(&after, &t->cache, &fresh, touched.v, touched.n);
    }
    if (rc == 0 && utx) {
        /* what the transaction holds now, the tracer's catalog reads
         * included, for the next statement */
        lockset_free(&t->tx_locks);
        t->tx_locks = held_now;
        memset(&held_now, 0, sizeof(held_now));
        t->tx_planned = true;
    }
    prof_leave();
    if (rc == 0) {
        prof_enter(PROF_BUILD);
        build_trace(out, st, &t->cache, &after, &fresh, &locks, scans, nscans, NULL, 0);
        prof_leave();
        snap_free(&t->cache);
        t->cache = after;
        t->cache_valid = true;
    } else {
        snap_free(&after);
        t->cache_valid = false;
    }
    snap_free(&fresh);
    lockset_free(&locks);
    lockset_free(&held_now);
    free(scans);
    free(touched.v);
    return rc;
}

/* Transaction control, and every statement of an aborted transaction (the
 * server refuses it, 25P02, as the migration tool would see): run plainly,
 * capture "none". A COMMIT or ROLLBACK that ends the migration's transaction
 * reports the locks it released and how long the strongest was held. The
 * catalog snapshot stays valid across BEGIN, SAVEPOINT, RELEASE and a COMMIT
 * of an open transaction (the statements inside kept it up to date). */
int tracer_run_plain(Tracer *t, const Statement *st, Trace *out, Err *err)
{
    snprintf(out->capture, sizeof(out->capture), "none");
    UserTx before = t->utx;
    t->tx_planned = false; /* a rollback to a savepoint releases the catalog reads' locks */
    PgReply r;
    PgStatus s = pgconn_exec(t->traced, st->sql, t->timeout_ms, &r);
    double end = now_ms();
    out->duration_ms = r.ms;
    tracer_keep_said(out, &r);
    int rc = 0;
    if (s == PG_LOST)
        rc = tracer_lost(t, "traced", &r, err);
    else if (s == PG_TIMEOUT)
        tracer_set_timeout(out, t->timeout_ms);
    else if (s == PG_REFUSED)
        tracer_set_error(out, &r);
    pgreply_clear(&r);
    if (rc < 0) return rc;
    if (!st->info.tx_control) return 0; /* refused in an aborted transaction: nothing changed */
    PGTransactionStatusType ts = PQtransactionStatus(pgconn_raw(t->traced));
    bool now_none = ts != PQTRANS_INTRANS && ts != PQTRANS_INERROR;
    bool ends = before != UTX_NONE && (now_none || tx_is(st, "COMMIT") || tx_is(st, "ROLLBACK") ||
                                       tx_is(st, "PREPARE TRANSACTION"));
    bool keeps = s == PG_OK &&
                 (tx_is(st, "BEGIN") || tx_is(st, "SAVEPOINT") || tx_is(st, "RELEASE SAVEPOINT") ||
                  (tx_is(st, "COMMIT") && before == UTX_OPEN));
    if (before == UTX_NONE && now_none && s == PG_OK && !tx_is(st, "PREPARE TRANSACTION"))
        keeps = true; /* COMMIT or ROLLBACK with no transaction: a warning, nothing else */
    if (!keeps) t->cache_valid = false;
    if (ends) {
        /* the locks the transaction held, as read after its last statement */
        tx_ended(t, st, out, end, true);
        lockset_free(&t->tx_locks);
    }
    tracer_sync_tx(t);
    if (t->utx == UTX_OPEN && tracer_refresh_tx_locks(t, err) < 0) return -1;
    return 0;
}

bool tracer_tx_holds_locks(const Tracer *t)
{
    if (t->utx != UTX_OPEN) return false;
    /* the tracer's own catalog reads leave AccessShareLock on catalogs: those
     * do not hide a statement's requests on the user's relations */
    for (size_t i = 0; i < t->tx_locks.n; i++) {
        const RawLock *l = &t->tx_locks.v[i];
        if (strcmp(l->locktype, "relation") != 0 || l->relation >= FIRST_USER_OID) return true;
    }
    return false;
}

int tracer_tx_begin(Tracer *t, Err *err)
{
    if (t->utx != UTX_NONE) return 0;
    if (tracer_quiet(t, t->traced, "BEGIN", err) < 0) return -1;
    tracer_sync_tx(t);
    lockset_free(&t->tx_locks);
    return 0;
}

int tracer_tx_end(Tracer *t, Trace *last, Err *err)
{
    if (t->utx == UTX_NONE) return 0; /* the file ended it itself */
    bool open = t->utx == UTX_OPEN;
    PgReply r;
    PgStatus s = pgconn_exec(t->traced, open ? "COMMIT" : "ROLLBACK", TRACER_QUERY_MS, &r);
    double end = now_ms();
    if (s == PG_LOST) {
        int rc = tracer_lost(t, "traced", &r, err);
        pgreply_clear(&r);
        return rc;
    }
    if (open && s != PG_OK && last && last->status == TRACE_OK) {
        free(last->message);
        last->message = NULL;
        tracer_set_error(last, &r); /* refused at COMMIT: the migration failed */
    }
    pgreply_clear(&r);
    if (last) {
        Statement none = {0};
        tx_ended(t, &none, last, end, false);
    }
    if (!open || s != PG_OK) t->cache_valid = false;
    lockset_free(&t->tx_locks);
    tracer_sync_tx(t);
    return 0;
}
