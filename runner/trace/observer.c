/*
 * observer: the observer path.
 *
 * Observer path (statements that cannot run in a transaction block: info.no_tx,
 * info.no_tx_below above the server's major, or refused with 25001 or 2D000
 * inside one): phase capture, see run_observed. The statement runs in
 * autocommit; two observer connections take turns holding its target so
 * that it stops at each of its phases (its first lock request, each later
 * request that conflicts with the holder, each wait for older transactions),
 * and its locks, granted and awaited, are read while it waits. The stops are
 * the trace's phases, their union its locks: exact at every stop and the
 * same from run to run (capture "phase"; catalog locks granted at a stop are
 * left out: a catalog lookup in flight there depends on the caches). The
 * rest of the target's family (partitions, ancestors, indexes: known from
 * the catalog before it runs) is held by holders, one relation each, so
 * that the statement's first request on each stops it too; CONCURRENTLY
 * forms are stopped instead when they delete the catalog rows of an index
 * they drop, after its last lock (no SQL holder can lock a dead index). Only
 * TOAST tables and their indexes cannot be held: their locks are seen when
 * held at a stop (see run_observed).
 * Without a target, or when the observers cannot hold it, the locks are
 * sampled while the statement runs (capture "poll", a lower bound). A
 * statement that went on got every lock it was seen waiting for (only a
 * cancel, lock timeout or deadlock ends one while it waits). Sequential scans
 * are not available; the after-snapshot is read in full; duration_ms
 * excludes the time the statement was held.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner/trace/internal.h"

/* Names of relations and objects the snapshots do not know (catalogs, objects),
 * resolved by the observer after the statement. */
static int resolve_outside(Tracer *t, LockSet *locks, Snap *resolved, Err *err)
{
    Buf rels, objs;
    buf_init(&rels);
    buf_init(&objs);
    for (size_t i = 0; i < locks->n; i++) {
        RawLock *l = &locks->v[i];
        if (l->relation && l->relation < FIRST_USER_OID)
            buf_printf(&rels, "%s%u", rels.len ? "," : "", l->relation);
        if (strcmp(l->locktype, "object") == 0)
            buf_printf(&objs, "%s(%u::pg_catalog.oid,%u::pg_catalog.oid,%d)", objs.len ? "," : "",
                       l->classid, l->objid, l->objsubid);
    }
    Buf q;
    buf_init(&q);
    buf_printf(&q, SQL_REL_COLS "WHERE c.oid IN (%s)", rels.len ? rels.data : "0");
    if (objs.len)
        buf_printf(&q,
                   ";\nSELECT o.classid, o.objid, o.objsubid, %s, o.classid::pg_catalog.regclass "
                   "FROM (VALUES %s) o(classid, objid, objsubid)",
                   t->sql_objs_tail, objs.data);
    PgReply r;
    PgStatus s = pgconn_exec(t->obs[0], q.data, TRACER_QUERY_MS, &r);
    int rc = 0;
    if (s == PG_LOST) {
        rc = tracer_lost(t, "observer", &r, err);
    } else if (s == PG_OK) {
        snap_add_rels(resolved, r.res[0]);
        snap_sort(resolved);
        if (objs.len && r.nres > 1)
            lockset_describe(locks, r.res[1]);
    }
    pgreply_clear(&r);
    buf_free(&q);
    buf_free(&rels);
    buf_free(&objs);
    return rc;
}

#define ARM_WAIT_MS 2000   /* longest wait for the next observer to hold or queue for the target */
#define MAX_PHASES 64

static void sample_free(Sample *s)
{
    lockset_free(&s->locks);
    for (int k = 0; k < 2; k++) {
        free(s->held[k].v);
        free(s->held_obj[k].v);
    }
}

/* Reads a reply to the sample query (pid, SQL_LOCK_COLS). */
static void sample_read(const Tracer *t, const PgReply *r, Sample *smp)
{
    memset(smp, 0, sizeof(*smp));
    smp->wait = -1;
    smp->wait_obs = -1;
    if (r->status != PG_OK || r->nres < 1)
        return;
    PGresult *res = r->res[0];
    for (int i = 0; i < PQntuples(res); i++) {
        int pid = atoi(PQgetvalue(res, i, 0));
        bool granted = PQgetvalue(res, i, 12)[0] == 't';
        for (int k = 0; k < 2; k++) {
            if (pid != t->obs_pid[k] || !t->obs[k])
                continue;
            if (!granted)
                smp->queued[k] = true;
            else if (strcmp(PQgetvalue(res, i, 1), "relation") == 0)
                oidset_add(&smp->held[k], val_oid(PQgetvalue(res, i, 3)));
            else if (strcmp(PQgetvalue(res, i, 1), "object") == 0)
                oidset_add(&smp->held_obj[k], val_oid(PQgetvalue(res, i, 9)));
        }
        if (pid != t->traced_pid)
            continue;
        RawLock l;
        rawlock_read(&l, res, i, 1);
        if (rawlock_own_xact(&l)) {
            rawlock_free(&l);
            continue;
        }
        if (!l.granted && l.vxid && strcmp(l.locktype, "virtualxid") == 0)
            for (int k = 0; k < 2; k++)
                if (t->obs_bid[k][0] && strncmp(l.vxid, t->obs_bid[k], strlen(t->obs_bid[k])) == 0) {
                    l.on_observer = true;
                    smp->wait_obs = k;
                }
        if (!l.granted)
            smp->wait = (long)smp->locks.n;
        *ARRAY_PUSH(smp->locks.v, smp->locks.n, smp->locks.cap) = l;
    }
}

/* How the virtualxids of c's backend begin ("5/"), into bid. */
int tracer_vxid_prefix(Tracer *t, PgConn *c, char *bid, size_t n, Err *err)
{
    PgReply r;
    PgStatus s = pgconn_exec(c,
                             "SELECT virtualxid FROM pg_catalog.pg_lock_status() WHERE pid = "
                             "pg_catalog.pg_backend_pid() AND locktype = 'virtualxid'",
                             TRACER_QUERY_MS, &r);
    bid[0] = '\0';
    const char *v = pgreply_value(&r, 0, 0, 0);
    if (s == PG_OK && v && strchr(v, '/'))
        snprintf(bid, n, "%.*s", (int)(strchr(v, '/') - v + 1), v);
    int rc = s == PG_LOST ? tracer_lost(t, "observer", &r, err) : 0;
    pgreply_clear(&r);
    return rc;
}

/* Opens observer k when it is not yet, and learns its virtualxid prefix. */
static int observer_open(Tracer *t, int k, Err *err)
{
    if (!t->obs[k]) {
        t->obs[k] = pgconn_connect(t->conninfo, CONNECT_TIMEOUT_MS, err);
        if (!t->obs[k])
            return -1;
        t->obs_pid[k] = pgconn_pid(t->obs[k]);
    }
    if (!t->obs_bid[k][0])
        return tracer_vxid_prefix(t, t->obs[k], t->obs_bid[k], sizeof(t->obs_bid[k]), err);
    return 0;
}

static const Rel *find_target(const Snap *s, const Statement *st)
{
    if (!st->info.target)
        return NULL;
    const Rel *found = NULL;
    for (size_t i = 0; i < s->nrels; i++) {
        const Rel *r = s->rels[i];
        if (!rel_name_matches(r, st->info.target, st->info.target_schema))
            continue;
        if (!found || strcmp(r->nsp, "public") == 0)
            found = r;
    }
    return found;
}

/* The statement waits for something an observer holds: a lock on a relation
 * the holder locked, or the holder's transaction. */
static bool wait_is_holders(const Sample *smp, int holder)
{
    if (smp->wait < 0 || holder < 0)
        return false;
    const RawLock *w = &smp->locks.v[smp->wait];
    if (smp->wait_obs >= 0)
        return smp->wait_obs == holder;
    if (strcmp(w->locktype, "object") == 0)
        return oidset_has(&smp->held_obj[holder], w->objid);
    return strcmp(w->locktype, "relation") == 0 && oidset_has(&smp->held[holder], w->relation);
}

/* ALTER TYPE (ADD VALUE before 12 cannot run in a transaction block): its
 * type, schema-qualified and quoted as the traced session resolves the name;
 * NULL when there is none. Caller frees. */
static char *observed_type(Tracer *t, const Statement *st, Err *err, int *rc)
{
    *rc = 0;
    if (!st->info.cls || strncmp(st->info.cls, "ALTER TYPE", 10) != 0 || !st->info.target)
        return NULL;
    char *name = st->info.target_schema ? xasprintf("%s.%s", st->info.target_schema, st->info.target)
                                        : xstrdup(st->info.target);
    char *lit = PQescapeLiteral(pgconn_raw(t->traced), name, strlen(name));
    free(name);
    char *sql = xasprintf("SELECT pg_catalog.quote_ident(n.nspname) OPERATOR(pg_catalog.||) '.' "
                          "OPERATOR(pg_catalog.||) pg_catalog.quote_ident(y.typname) "
                          "FROM pg_catalog.pg_type y JOIN pg_catalog.pg_namespace n ON n.oid = y.typnamespace "
                          "WHERE y.oid = pg_catalog.to_regtype(%s)",
                          lit ? lit : "''");
    PQfreemem(lit);
    PgReply r;
    PgStatus s = pgconn_exec(t->traced, sql, TRACER_QUERY_MS, &r);
    free(sql);
    char *out = NULL;
    if (s == PG_LOST)
        *rc = tracer_lost(t, "traced", &r, err);
    else if (pgreply_value(&r, 0, 0, 0))
        out = xstrdup(pgreply_value(&r, 0, 0, 0));
    pgreply_clear(&r);
    return out;
}

enum { OQ_NONE, OQ_SAMPLE, OQ_ARM }; /* what an observer is running */

/* Phase capture. The statement runs in autocommit on the traced connection;
 * the observers take turns holding its target (an index: its table) so that
 * it stops at each of its phases, holders hold the rest of its family (see
 * holds_take), and its locks are read while it waits:
 *
 * - first, observer 0 holds the target in ACCESS EXCLUSIVE mode: the
 *   statement stops at its first lock request on it;
 * - at each stop, the other observer arms (see below) and, once it holds or
 *   is queued for the target, the holder lets go: the statement goes on to
 *   its next stop, which the new holder causes.
 *
 * Arming depends on the statement. CONCURRENTLY forms hold a session lock on
 * the table from start to end and wait for older transactions between their
 * phases (WaitForLockers, WaitForOlderSnapshots): an observer in a REPEATABLE
 * READ transaction holding ROW EXCLUSIVE on the target and ACCESS SHARE on
 * its indexes (the planner locks them) is such an older transaction, and a
 * lock request of the statement that conflicts with those stops it too (DROP
 * INDEX CONCURRENTLY's ACCESS EXCLUSIVE on the index). Other statements
 * (VACUUM, procedures) request the target afresh between phases: the next
 * observer queues its own ACCESS EXCLUSIVE request behind the statement's, so
 * the statement's next fresh request waits for it (a request the statement
 * makes while it still holds a lock on the target goes ahead of the queued
 * observer: no deadlock).
 *
 * Holders (holds_take): the statement's first request on each relation of
 * the family that a holder holds (every table, and every index outside
 * CONCURRENTLY) waits for it: that is a stop, after which the holder lets go
 * (so one stop per relation; a later, stronger request on it is seen only
 * when it waits for an observer, or as granted at a later stop). Tables are
 * held with LOCK TABLE ONLY (the target too: its partitions have holders of
 * their own), indexes with ALTER INDEX ... SET TABLESPACE to their own
 * tablespace: ACCESS EXCLUSIVE on the index alone. CONCURRENTLY forms wait
 * for every transaction that holds a lock on the table, the arming observer
 * included, whose planner locks every index: relation holders there would
 * block it. They get row holders instead, one per index of the family (TOAST's
 * included), each keeping that index's pg_attribute row (attnum 1) FOR KEY
 * SHARE: the statement waits for the holder's transaction when it deletes
 * the row, that is when it drops the index, after it took its last lock on
 * it (DROP INDEX CONCURRENTLY's and REINDEX CONCURRENTLY's AccessExclusiveLock
 * on the index they drop, which no SQL-level holder can make wait: the index
 * is dead by then, the planner no longer opens it, and every ALTER INDEX
 * conflicts with the statement's own ShareUpdateExclusiveLock on it). The row
 * holders take no lock on the table, and hold no snapshot between their
 * statements: neither WaitForLockers nor WaitForOlderSnapshots waits for
 * them. The wait on a holder's transaction is marked like a wait on an
 * observer; the tuple lock the statement takes on the catalog to wait is
 * left out with the catalogs' relation locks.
 *
 * What no holder can hold: TOAST tables and their indexes (LOCK TABLE
 * refuses them, ALTER refuses them as system catalogs, reading a toasted
 * value keeps no lock on them; a row hold on their pg_class row would stop
 * VACUUM's in-place update on 17 but not on 10). Their locks are seen only
 * when granted at a stop: VACUUM's on the TOAST table (in a transaction of
 * its own, after the table's) are not.
 *
 * The observers' samples do not stop the statement: a wait on the
 * transaction of an observer that does not hold the target (a sample in
 * flight) is no phase. The union of the phases is the statement's locks:
 * exact, the same from run to run (capture "phase"). When the statement
 * could not be held (no target, the target could not be locked, an observer
 * could not arm in time) the samples taken while it ran are the capture
 * ("poll", a lower bound). The statement runs with lock_timeout 0: waits on
 * the observers are the tracer's doing. */
int tracer_run_observed(Tracer *t, const Statement *st, Trace *out, Err *err)
{
    snprintf(out->capture, sizeof(out->capture), "poll");
    LockSet seen = {0}, uni = {0};
    RawPhase *phases = NULL;
    size_t nphases = 0, cphases = 0;
    RawLock last_wait = {0};
    bool have_last = false;
    RawLock confirm_wait = {0}; /* a new wait seen once, to be read again */
    bool have_confirm = false;
    Snap resolved = {0};
    PgReply r = {0}, o = {0};
    int rc = -1;
    char *first_sql = NULL, *arm_sql = NULL, *sample_sql = NULL, *restore_sql = NULL;
    int qk[2] = {OQ_NONE, OQ_NONE};
    int holder = -1, armer = -1, sampler = -1;
    bool armer_ok = false, armer_queued = false, exact = false, timed_out = false;
    Hold *holds = NULL; /* the family's holds (holder k: holds[k]) */
    size_t nholds = 0;
    bool wait_mode = st->info.cls && strstr(st->info.cls, "CONCURRENTLY") != NULL;

    const Rel *target = find_target(&t->cache, st);
    if (target && is_index_kind(target->kind))
        target = snap_rel(&t->cache, target->indrel); /* an index: its table is locked first */
    int trc = 0;
    char *type = target ? NULL : observed_type(t, st, err, &trc);
    if (trc < 0)
        goto out;
    if (observer_open(t, 0, err) < 0 || ((target || type) && observer_open(t, 1, err) < 0)) {
        free(type);
        goto out;
    }
    if (type) {
        /* a type: COMMENT ON takes ShareUpdateExclusiveLock on it, which ADD
         * VALUE's ExclusiveLock waits for (the comment is rolled back) */
        first_sql = xasprintf("BEGIN;\nSET LOCAL lock_timeout = 0;\nCOMMENT ON TYPE %s IS NULL", type);
        arm_sql = xstrdup(first_sql);
        free(type);
    }
    if (target) {
        char *nsp = PQescapeIdentifier(pgconn_raw(t->obs[0]), target->nsp, strlen(target->nsp));
        char *rel = PQescapeIdentifier(pgconn_raw(t->obs[0]), target->name, strlen(target->name));
        /* ONLY: the partitions have holders of their own (wait_mode: none,
         * the target's partitions are held with it) */
        first_sql = xasprintf("BEGIN;\nSET LOCAL lock_timeout = 0;\nLOCK TABLE %s%s.%s IN ACCESS EXCLUSIVE MODE",
                              wait_mode || t->target_only ? "" : "ONLY ", nsp ? nsp : "", rel ? rel : "");
        arm_sql = wait_mode ? xasprintf("BEGIN ISOLATION LEVEL REPEATABLE READ;\nSET LOCAL lock_timeout = 0;\n"
                                        "LOCK TABLE %s.%s IN ROW EXCLUSIVE MODE;\n"
                                        "SELECT 1 FROM %s.%s LIMIT 0",
                                        nsp ? nsp : "", rel ? rel : "", nsp ? nsp : "", rel ? rel : "")
                            : xstrdup(first_sql);
        PQfreemem(nsp);
        PQfreemem(rel);
    }
    sample_sql = xasprintf("SELECT pid, " SQL_LOCK_COLS " FROM pg_catalog.pg_lock_status() "
                           "WHERE pid IN (%d, %d, %d)",
                           t->traced_pid, t->obs_pid[0], t->obs_pid[1]);

    /* waits on the observers are the tracer's: no lock_timeout of the migration's for them */
    if (pgconn_exec(t->traced, "SELECT pg_catalog.current_setting('lock_timeout')", TRACER_QUERY_MS, &r) ==
        PG_LOST) {
        tracer_lost(t, "traced", &r, err);
        goto out;
    }
    const char *lt = pgreply_value(&r, 0, 0, 0);
    if (r.status == PG_OK && lt && strcmp(lt, "0") != 0) {
        char *lit = PQescapeLiteral(pgconn_raw(t->traced), lt, strlen(lt));
        restore_sql = xasprintf("SELECT pg_catalog.set_config('lock_timeout', %s, false)", lit ? lit : "'0'");
        PQfreemem(lit);
        pgreply_clear(&r);
        if (tracer_quiet(t, t->traced, "SET lock_timeout = 0", err) < 0)
            goto out;
    }
    pgreply_clear(&r);

    if (first_sql) {
        PgStatus s = pgconn_exec(t->obs[0], first_sql, OBSERVER_LOCK_MS, &r);
        if (s == PG_LOST) {
            tracer_lost(t, "observer", &r, err);
            goto out;
        }
        pgreply_clear(&r);
        if (s == PG_OK) {
            holder = 0;
            exact = true;
        } else if (tracer_quiet(t, t->obs[0], "ROLLBACK", err) < 0) {
            goto out;
        }
    }
    if (exact && target && !t->target_only) {
        bool all;
        if (holds_take(t, target, wait_mode, &holds, &nholds, &all, err) < 0)
            goto out;
        if (!all)
            exact = false;
    }

    if (pgconn_send(t->traced, st->sql, err) < 0) {
        t->cache_valid = false;
        goto out;
    }
    double start = now_ms(), deadline = start + t->timeout_ms;
    double hold_since = start, stop_at = start, arm_since = 0, released_at = 0, sample_sent = 0;
    double blocked_ms = 0, confirm_since = 0;
    bool stopped = false; /* the statement waits for the holder at a recorded stop */
    for (;;) {
        double now = now_ms();
        if (now >= deadline) {
            timed_out = true;
            break;
        }
        if (sampler < 0) {
            /* sample on the holder (its transaction is the one waited for), else an idle one */
            int k = holder >= 0 && qk[holder] == OQ_NONE ? holder : -1;
            for (int j = 0; j < 2 && k < 0; j++)
                if (t->obs[j] && qk[j] == OQ_NONE && j != armer && j != holder)
                    k = j;
            if (k >= 0) {
                if (pgconn_send(t->obs[k], sample_sql, err) < 0) {
                    t->cache_valid = false;
                    goto out;
                }
                qk[k] = OQ_SAMPLE;
                sampler = k;
                sample_sent = now_ms();
            }
        }
        PgConn *all[3] = {t->traced, t->obs[0], t->obs[1]};
        double left = deadline - now;
        if (pgconn_wait_any(all, t->obs[1] ? 3 : 2, left < 1 ? 1 : left > 100 ? 100 : (int)left) < 0) {
            err_set(err, EXIT_ENV, "could not wait for the server's sockets");
            t->cache_valid = false;
            goto out;
        }
        if (pgconn_poll(t->traced, 0, &r))
            break;
        for (int k = 0; k < 2; k++) {
            if (qk[k] != OQ_ARM || !pgconn_poll(t->obs[k], 0, &o))
                continue;
            qk[k] = OQ_NONE;
            if (o.status == PG_LOST) {
                tracer_lost(t, "observer", &o, err);
                goto out;
            }
            bool ok = o.status == PG_OK;
            pgreply_clear(&o);
            if (ok) {
                if (k == armer)
                    armer_ok = true;
                continue;
            }
            /* it could not arm (or the relation went away): it holds nothing */
            if (tracer_quiet(t, t->obs[k], "ROLLBACK", err) < 0)
                goto out;
            if (k == holder)
                holder = -1;
            if (k == armer)
                armer = -1;
            exact = false;
        }
        if (sampler >= 0 && pgconn_poll(t->obs[sampler], 0, &o)) {
            qk[sampler] = OQ_NONE;
            sampler = -1;
            if (o.status == PG_LOST) {
                tracer_lost(t, "observer", &o, err);
                goto out;
            }
            Sample smp;
            sample_read(t, &o, &smp);
            pgreply_clear(&o);
            long held = hold_waited(t, holds, nholds, &smp);
            if (held >= 0 && strcmp(smp.locks.v[smp.wait].locktype, "relation") != 0)
                smp.locks.v[smp.wait].on_observer = true; /* a holder's transaction */
            /* every lock seen, for a sampled capture */
            for (size_t i = 0; i < smp.locks.n; i++) {
                if (smp.locks.v[i].on_observer)
                    continue;
                RawLock c;
                rawlock_copy(&c, &smp.locks.v[i]);
                lockset_add(&seen, &c);
            }
            bool fresh = sample_sent > released_at; /* taken after the last release */
            if (fresh && armer >= 0 && smp.queued[armer])
                armer_queued = true;
            if (fresh && smp.wait >= 0) {
                RawLock *w = &smp.locks.v[smp.wait];
                bool ours = wait_is_holders(&smp, holder);
                if (smp.wait_obs >= 0 && qk[smp.wait_obs] == OQ_ARM && smp.queued[smp.wait_obs]) {
                    /* a wait on the transaction of an observer still waiting for
                     * its own locks (queued behind the statement) would never
                     * end: that observer gives up */
                    pgconn_cancel(t->obs[smp.wait_obs]);
                } else if (smp.wait_obs >= 0 && !ours && held < 0) {
                    /* a wait on a sample's transaction passes */
                } else if ((!have_last || !rawlock_same(&last_wait, w)) &&
                           (!have_confirm || !rawlock_same(&confirm_wait, w))) {
                    /* pg_lock_status() reads the fast-path locks before the
                     * shared lock table: the read that first shows a wait may
                     * still show a fast-path lock released just before the
                     * statement began to wait. The stop is recorded from the
                     * next read, taken while the statement is surely blocked. */
                    if (have_confirm)
                        rawlock_free(&confirm_wait);
                    rawlock_copy(&confirm_wait, w);
                    have_confirm = true;
                    confirm_since = sample_sent;
                } else if (!have_last || !rawlock_same(&last_wait, w)) {
                    have_confirm = false;
                    rawlock_free(&confirm_wait);
                    memset(&confirm_wait, 0, sizeof(confirm_wait));
                    /* the catalogs' locks granted at a stop are left out: whether
                     * a catalog lookup is in flight there depends on the
                     * backend's caches, not on the statement */
                    RawPhase *p = ARRAY_PUSH(phases, nphases, cphases);
                    memset(p, 0, sizeof(*p));
                    for (size_t i = 0; i < smp.locks.n; i++) {
                        RawLock *l = &smp.locks.v[i];
                        /* (a tuple lock on a catalog: taken to wait for a row holder) */
                        if ((long)i != smp.wait && l->granted && l->relation &&
                            l->relation < FIRST_USER_OID &&
                            (strcmp(l->locktype, "relation") == 0 || strcmp(l->locktype, "tuple") == 0)) {
                            rawlock_free(l);
                            continue;
                        }
                        if ((long)i == smp.wait)
                            p->wait = p->locks.n;
                        *ARRAY_PUSH(p->locks.v, p->locks.n, p->locks.cap) = *l;
                    }
                    free(smp.locks.v);
                    memset(&smp.locks, 0, sizeof(smp.locks));
                    w = &p->locks.v[p->wait];
                    if (have_last)
                        rawlock_free(&last_wait);
                    rawlock_copy(&last_wait, w);
                    have_last = true;
                    if (held >= 0) {
                        /* a stop on a holder of the family: it lets go, the
                         * statement goes on (the same stop is not seen twice) */
                        holds[held].on = false;
                        if (tracer_quiet(t, t->hold[held].c, "ROLLBACK", err) < 0) {
                            sample_free(&smp);
                            goto out;
                        }
                        released_at = now_ms();
                        blocked_ms += released_at - confirm_since;
                        have_last = false;
                        rawlock_free(&last_wait);
                        memset(&last_wait, 0, sizeof(last_wait));
                    } else if (ours && holder >= 0 && armer < 0) {
                        stopped = true;
                        stop_at = now_ms();
                        int k = 1 - holder;
                        if (nphases < MAX_PHASES && t->obs[k] && qk[k] == OQ_NONE) {
                            if (pgconn_send(t->obs[k], arm_sql, err) < 0) {
                                t->cache_valid = false;
                                sample_free(&smp);
                                goto out;
                            }
                            qk[k] = OQ_ARM;
                            armer = k;
                            armer_ok = armer_queued = false;
                            arm_since = now_ms();
                        } else {
                            exact = false; /* too many phases: let it run */
                            armer = -2;
                        }
                    }
                }
            }
            sample_free(&smp);
        }
        /* the next observer holds or is queued: the holder lets go */
        bool give_up = armer >= 0 && now_ms() - arm_since > ARM_WAIT_MS;
        bool let_go = armer == -2 || (armer >= 0 && (armer_ok || armer_queued)) || give_up;
        if (!let_go && holder >= 0 && nphases == 0 && now_ms() - hold_since > OBSERVER_HOLD_MS) {
            let_go = true; /* the statement does not come to the target */
            exact = false;
        }
        if (let_go && holder >= 0 && qk[holder] == OQ_NONE) {
            if (give_up) {
                pgconn_cancel(t->obs[armer]);
                exact = false;
            }
            if (tracer_quiet(t, t->obs[holder], "ROLLBACK", err) < 0)
                goto out;
            released_at = now_ms();
            if (stopped)
                blocked_ms += released_at - stop_at;
            stopped = false;
            have_last = false;
            rawlock_free(&last_wait);
            memset(&last_wait, 0, sizeof(last_wait));
            have_confirm = false;
            rawlock_free(&confirm_wait);
            memset(&confirm_wait, 0, sizeof(confirm_wait));
            holder = armer >= 0 && !give_up ? armer : -1;
            armer = -1;
            hold_since = released_at;
        }
    }
    /* the statement is over (or past its timeout): every observer and holder lets go */
    if (holds_release(t, holds, nholds, err) < 0)
        goto out;
    for (int k = 0; k < 2; k++) {
        if (qk[k] == OQ_SAMPLE)
            pgconn_wait(t->obs[k], now_ms() + TRACER_QUERY_MS, &o);
        else if (qk[k] == OQ_ARM)
            pgconn_wait(t->obs[k], now_ms() + (timed_out ? 0 : OBSERVER_LOCK_MS), &o);
        if (qk[k] != OQ_NONE && o.status == PG_LOST) {
            tracer_lost(t, "observer", &o, err);
            goto out;
        }
        pgreply_clear(&o);
        qk[k] = OQ_NONE;
        if (t->obs[k] && tracer_quiet(t, t->obs[k], "ROLLBACK", err) < 0)
            goto out;
    }
    if (timed_out) {
        exact = false;
        pgconn_wait(t->traced, now_ms(), &r); /* cancels, reads on */
    }
    if (restore_sql && tracer_quiet(t, t->traced, restore_sql, err) < 0)
        goto out;
    out->duration_ms = r.ms - blocked_ms;
    if (out->duration_ms < 0)
        out->duration_ms = 0;
    tracer_keep_said(out, &r);
    if (r.status == PG_LOST) {
        tracer_lost(t, "traced", &r, err);
        goto out;
    }
    if (r.status == PG_TIMEOUT)
        tracer_set_timeout(out, t->timeout_ms);
    else if (r.status == PG_REFUSED)
        tracer_set_error(out, &r);
    bool phased = exact && nphases > 0;
    if (phased) {
        snprintf(out->capture, sizeof(out->capture), "phase");
        for (size_t p = 0; p < nphases; p++)
            for (size_t i = 0; i < phases[p].locks.n; i++) {
                if (phases[p].locks.v[i].on_observer)
                    continue;
                RawLock c;
                rawlock_copy(&c, &phases[p].locks.v[i]);
                lockset_add(&uni, &c);
            }
    } else {
        uni = seen;
        memset(&seen, 0, sizeof(seen));
        for (size_t p = 0; p < nphases; p++)
            lockset_free(&phases[p].locks);
        nphases = 0;
    }
    /* A statement that went on got every lock it was seen waiting for (the
     * observers' holds, or other transactions): only a cancel, a lock
     * timeout or a deadlock ends a statement while it waits for a lock. */
    bool ended_waiting = r.status == PG_TIMEOUT || r.status == PG_LOST ||
                         (r.status == PG_REFUSED && (strcmp(r.sqlstate, "55P03") == 0 ||
                                                     strcmp(r.sqlstate, "40P01") == 0 ||
                                                     strcmp(r.sqlstate, "57014") == 0));
    if (!ended_waiting)
        for (size_t i = 0; i < uni.n; i++)
            uni.v[i].granted = true;
    pgreply_clear(&r);

    if (resolve_outside(t, &uni, &resolved, err) < 0)
        goto out;
    for (size_t p = 0; p < nphases; p++)
        if (resolve_outside(t, &phases[p].locks, &resolved, err) < 0)
            goto out;
    /* the statement ran in autocommit: whatever it did (even when it failed
     * half-way, like an invalid index left by CREATE INDEX CONCURRENTLY) is
     * in the after-snapshot */
    Snap after = {0};
    PgStatus s = pgconn_exec(t->traced, tracer_snap_sql(t), TRACER_QUERY_MS, &r);
    if (tracer_lost_prepared(t, &r)) {
        pgreply_clear(&r);
        s = pgconn_exec(t->traced, SQL_SNAP, TRACER_QUERY_MS, &r);
    }
    if (s == PG_LOST) {
        tracer_lost(t, "traced", &r, err);
        goto out;
    }
    if (s != PG_OK || snap_load(&after, &r, 0) < 0) {
        err_set(err, EXIT_ENV, "could not read the catalog snapshot: %s",
                r.message ? r.message : "unexpected result");
        snap_free(&after);
        t->cache_valid = false;
        goto out;
    }
    build_trace(out, st, &t->cache, &after, &resolved, &uni, NULL, 0, phases, nphases);
    snap_free(&t->cache);
    t->cache = after;
    t->cache_valid = true;
    rc = 0;
out:
    if (nholds) {
        Err ignored = {0};
        holds_release(t, holds, nholds, &ignored); /* a lost connection: reported above */
        free(holds);
    }
    pgreply_clear(&r);
    pgreply_clear(&o);
    lockset_free(&seen);
    lockset_free(&uni);
    for (size_t p = 0; p < nphases; p++)
        lockset_free(&phases[p].locks);
    free(phases);
    rawlock_free(&last_wait);
    rawlock_free(&confirm_wait);
    snap_free(&resolved);
    free(first_sql);
    free(arm_sql);
    free(sample_sql);
    free(restore_sql);
    return rc;
}
