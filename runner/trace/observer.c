/*
 * observer: the observer path.
 *
 * Observer path (statements that cannot run in a transaction block: info.no_tx,
 * info.no_tx_below above the server's major, or refused with 25001 or 2D000
 * inside one): phase capture, see tracer_run_observed. The statement runs in
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
 * held at a stop (see tracer_run_observed).
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

#define ARM_WAIT_MS 2000 /* longest wait for the next observer to hold or queue for the target */
#define MAX_PHASES 64

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

/*
 * The observed statement as a state machine: each state does one thing and
 * names the next; tracer_run_observed loops over them until OBS_DONE or
 * OBS_FAILED. One pass of the watch (OBS_SAMPLE to OBS_LET_GO, back to
 * OBS_SAMPLE) lasts at most 100 ms.
 *
 * OBS_START: finds what the observers hold (the target, an index's table;
 * or the type of ALTER TYPE), opens them and writes their queries. Goes to
 * OBS_UNTIMED.
 *
 * OBS_UNTIMED: the migration's lock_timeout is set aside for the statement
 * (waits on the observers are the tracer's doing). Goes to OBS_HOLD.
 *
 * OBS_HOLD: observer 0 holds the target and the holders its family; when
 * something cannot be held the capture will be "poll". Goes to OBS_SEND.
 *
 * OBS_SEND: the statement is sent, its deadline starts. Goes to OBS_SAMPLE.
 *
 * OBS_SAMPLE: past the deadline goes to OBS_RELEASE (timed out); else, when
 * no sample is in flight, one is sent on the holder (its transaction is the
 * one waited for) or an idle observer. Goes to OBS_WAIT.
 *
 * OBS_WAIT: waits (at most 100 ms) for a reply on any connection. The
 * statement's reply goes to OBS_RELEASE; anything else to OBS_ARMED.
 *
 * OBS_ARMED: reads the replies of arming observers: one that holds the
 * target is ready to take over; one that could not arm holds nothing (the
 * capture will be "poll"). Goes to OBS_SAMPLED.
 *
 * OBS_SAMPLED: reads the sample's reply when it is in: every lock of the
 * statement joins those seen. A wait seen in a sample sent after the last
 * release goes to OBS_WAITING; no reply, or no such wait, to OBS_LET_GO.
 *
 * OBS_WAITING: what the statement waits for. A wait on an observer still
 * queued behind it cancels that observer; a wait on a sample's transaction
 * passes; a new wait is read again before it counts (pg_lock_status() reads
 * the fast-path locks before the shared lock table); the wait of the last
 * stop is that stop again. Those go to OBS_LET_GO; a wait read twice is a
 * stop: OBS_STOP.
 *
 * OBS_STOP: records the phase (the statement's locks at the stop, its wait,
 * not the catalogs' granted locks). A stop on a holder of the family goes
 * to OBS_UNHOLD, one on the observer holding the target (none arming yet)
 * to OBS_ARM, any other to OBS_LET_GO.
 *
 * OBS_UNHOLD: that holder lets go, the statement goes on. Goes to
 * OBS_LET_GO.
 *
 * OBS_ARM: the other observer arms (holds, or queues for, the target);
 * past MAX_PHASES the statement is let run. Goes to OBS_LET_GO.
 *
 * OBS_LET_GO: whether the observer holding the target lets go: the armer
 * holds or is queued, or gave up after ARM_WAIT_MS, or no stop came within
 * OBSERVER_HOLD_MS. Yes goes to OBS_HANDOVER, no to OBS_SAMPLE.
 *
 * OBS_HANDOVER: the holder lets go, the armer (if it armed in time) is the
 * new holder. Goes to OBS_SAMPLE.
 *
 * OBS_RELEASE: the statement is over (or past its timeout: cancelled):
 * every observer and holder lets go, the migration's lock_timeout is back.
 * Goes to OBS_RESULT.
 *
 * OBS_RESULT: the statement's outcome: status, what the server said, its
 * duration without the time it was held. Goes to OBS_LOCKS.
 *
 * OBS_LOCKS: its locks: the union of its phases when every stop was held
 * (capture "phase"), else those sampled ("poll"). Goes to OBS_NAMES.
 *
 * OBS_NAMES: names the snapshots do not know (catalogs, objects), read by
 * observer 0. Goes to OBS_AFTER.
 *
 * OBS_AFTER: the after-snapshot, read in full (the statement ran in
 * autocommit), and the trace built from it. Goes to OBS_DONE.
 *
 * Any state that cannot go on (a connection lost, the catalog unreadable)
 * goes to OBS_FAILED, err saying why. After OBS_DONE and OBS_FAILED alike
 * the holders let go and what the states kept is freed (observed_free).
 */
typedef enum ObsState {
    OBS_START,
    OBS_UNTIMED,
    OBS_HOLD,
    OBS_SEND,
    OBS_SAMPLE,
    OBS_WAIT,
    OBS_ARMED,
    OBS_SAMPLED,
    OBS_WAITING,
    OBS_STOP,
    OBS_UNHOLD,
    OBS_ARM,
    OBS_LET_GO,
    OBS_HANDOVER,
    OBS_RELEASE,
    OBS_RESULT,
    OBS_LOCKS,
    OBS_NAMES,
    OBS_AFTER,
    OBS_DONE,
    OBS_FAILED,
} ObsState;

enum { OQ_NONE, OQ_SAMPLE, OQ_ARM }; /* what an observer is running */

/* The observed statement: what its states share. */
typedef struct Observed {
    Tracer *t;
    const Statement *st;
    Trace *out;
    Err *err;
    const Rel *target; /* what the observers hold (an index: its table); NULL: none */
    bool wait_mode;    /* CONCURRENTLY: stopped at its waits for older transactions */
    char *first_sql;   /* observer 0's hold before the statement; NULL: none; owned */
    char *arm_sql;     /* the next observer's hold at a stop; owned */
    char *sample_sql;  /* the reading of pg_locks; owned */
    char *restore_sql; /* the migration's lock_timeout back; NULL: it was 0; owned */
    Hold *holds;       /* the family's holds (holder k: holds[k]); owned */
    size_t nholds;
    int qk[2];         /* what observer k is running: OQ_* */
    int holder;        /* the observer holding the target; -1: none */
    int armer;         /* the observer arming at a stop; -1: none; -2: too many phases */
    int sampler;       /* the observer running a sample; -1: none */
    bool armer_ok;     /* the armer holds the target */
    bool armer_queued; /* the armer was seen queued for it */
    bool give_up;      /* the armer did not arm within ARM_WAIT_MS */
    bool exact;        /* every stop held so far: capture "phase" */
    bool timed_out;    /* the statement passed its deadline */
    bool stopped;      /* it waits for the holder at a recorded stop */
    Sample smp;        /* the sample being read; owned */
    long held;         /* the hold smp's wait is on (index in holds); -1: none */
    bool ours;         /* smp's wait is on the observer holding the target */
    LockSet seen;      /* every lock sampled, for a "poll" capture; owned */
    RawPhase *phases;  /* the stops recorded; owned */
    size_t nphases, cphases;
    RawLock last_wait; /* the wait of the last stop; owned */
    bool have_last;
    RawLock confirm_wait; /* a new wait seen once, to be read again; owned */
    bool have_confirm;
    double now; /* when this pass of the watch began */
    double deadline, hold_since, stop_at, arm_since, released_at, sample_sent, confirm_since;
    double blocked_ms; /* time the statement was held */
    PgReply r;         /* the statement's reply */
    PgReply o;         /* an observer's reply */
    LockSet uni;       /* the statement's locks; owned */
    Snap resolved;     /* names the snapshots do not know; owned */
} Observed;

static void forget_wait(RawLock *l, bool *have)
{
    *have = false;
    rawlock_free(l);
    memset(l, 0, sizeof(*l));
}

static ObsState obs_start(Observed *ob)
{
    Tracer *t = ob->t;
    const Rel *target = find_target(&t->cache, ob->st);
    if (target && is_index_kind(target->kind))
        target = snap_rel(&t->cache, target->indrel); /* an index: its table is locked first */
    ob->target = target;
    int trc = 0;
    char *type = target ? NULL : observed_type(t, ob->st, ob->err, &trc);
    if (trc < 0) return OBS_FAILED;
    if (observer_open(t, 0, ob->err) < 0 ||
        ((target || type) && observer_open(t, 1, ob->err) < 0)) {
        free(type);
        return OBS_FAILED;
    }
    if (type) {
        /* a type: COMMENT ON takes ShareUpdateExclusiveLock on it, which ADD
         * VALUE's ExclusiveLock waits for (the comment is rolled back) */
        ob->first_sql =
            xasprintf("BEGIN;\nSET LOCAL lock_timeout = 0;\nCOMMENT ON TYPE %s IS NULL", type);
        ob->arm_sql = xstrdup(ob->first_sql);
        free(type);
    }
    if (target) {
        char *nsp = PQescapeIdentifier(pgconn_raw(t->obs[0]), target->nsp, strlen(target->nsp));
        char *rel = PQescapeIdentifier(pgconn_raw(t->obs[0]), target->name, strlen(target->name));
        /* ONLY: the partitions have holders of their own (wait_mode: none,
         * the target's partitions are held with it) */
        ob->first_sql = xasprintf(
            "BEGIN;\nSET LOCAL lock_timeout = 0;\nLOCK TABLE %s%s.%s IN ACCESS EXCLUSIVE MODE",
            ob->wait_mode || t->target_only ? "" : "ONLY ", nsp ? nsp : "", rel ? rel : "");
        ob->arm_sql =
            ob->wait_mode
                ? xasprintf("BEGIN ISOLATION LEVEL REPEATABLE READ;\nSET LOCAL lock_timeout = 0;\n"
                            "LOCK TABLE %s.%s IN ROW EXCLUSIVE MODE;\n"
                            "SELECT 1 FROM %s.%s LIMIT 0",
                            nsp ? nsp : "", rel ? rel : "", nsp ? nsp : "", rel ? rel : "")
                : xstrdup(ob->first_sql);
        PQfreemem(nsp);
        PQfreemem(rel);
    }
    ob->sample_sql = xasprintf("SELECT pid, " SQL_LOCK_COLS " FROM pg_catalog.pg_lock_status() "
                               "WHERE pid IN (%d, %d, %d)",
                               t->traced_pid, t->obs_pid[0], t->obs_pid[1]);
    return OBS_UNTIMED;
}

static ObsState obs_untimed(Observed *ob)
{
    Tracer *t = ob->t;
    if (pgconn_exec(t->traced, "SELECT pg_catalog.current_setting('lock_timeout')", TRACER_QUERY_MS,
                    &ob->r) == PG_LOST) {
        tracer_lost(t, "traced", &ob->r, ob->err);
        return OBS_FAILED;
    }
    const char *lt = pgreply_value(&ob->r, 0, 0, 0);
    if (ob->r.status == PG_OK && lt && strcmp(lt, "0") != 0) {
        char *lit = PQescapeLiteral(pgconn_raw(t->traced), lt, strlen(lt));
        ob->restore_sql =
            xasprintf("SELECT pg_catalog.set_config('lock_timeout', %s, false)", lit ? lit : "'0'");
        PQfreemem(lit);
        pgreply_clear(&ob->r);
        if (tracer_quiet(t, t->traced, "SET lock_timeout = 0", ob->err) < 0) return OBS_FAILED;
    }
    pgreply_clear(&ob->r);
    return OBS_HOLD;
}

static ObsState obs_hold(Observed *ob)
{
    Tracer *t = ob->t;
    if (ob->first_sql) {
        PgStatus s = pgconn_exec(t->obs[0], ob->first_sql, OBSERVER_LOCK_MS, &ob->r);
        if (s == PG_LOST) {
            tracer_lost(t, "observer", &ob->r, ob->err);
            return OBS_FAILED;
        }
        pgreply_clear(&ob->r);
        if (s == PG_OK) {
            ob->holder = 0;
            ob->exact = true;
        } else if (tracer_quiet(t, t->obs[0], "ROLLBACK", ob->err) < 0) {
            return OBS_FAILED;
        }
    }
    if (ob->exact && ob->target && !t->target_only) {
        bool all;
        if (holds_take(t, ob->target, ob->wait_mode, &ob->holds, &ob->nholds, &all, ob->err) < 0)
            return OBS_FAILED;
        if (!all) ob->exact = false;
    }
    return OBS_SEND;
}

static ObsState obs_send(Observed *ob)
{
    if (pgconn_send(ob->t->traced, ob->st->sql, ob->err) < 0) {
        ob->t->cache_valid = false;
        return OBS_FAILED;
    }
    double start = now_ms();
    ob->deadline = start + ob->t->timeout_ms;
    ob->hold_since = ob->stop_at = start;
    return OBS_SAMPLE;
}

static ObsState obs_sample(Observed *ob)
{
    Tracer *t = ob->t;
    ob->now = now_ms();
    if (ob->now >= ob->deadline) {
        ob->timed_out = true;
        return OBS_RELEASE;
    }
    if (ob->sampler >= 0) return OBS_WAIT;
    /* sample on the holder (its transaction is the one waited for), else an idle one */
    int k = ob->holder >= 0 && ob->qk[ob->holder] == OQ_NONE ? ob->holder : -1;
    for (int j = 0; j < 2 && k < 0; j++)
        if (t->obs[j] && ob->qk[j] == OQ_NONE && j != ob->armer && j != ob->holder) k = j;
    if (k >= 0) {
        if (pgconn_send(t->obs[k], ob->sample_sql, ob->err) < 0) {
            t->cache_valid = false;
            return OBS_FAILED;
        }
        ob->qk[k] = OQ_SAMPLE;
        ob->sampler = k;
        ob->sample_sent = now_ms();
    }
    return OBS_WAIT;
}

static ObsState obs_wait(Observed *ob)
{
    Tracer *t = ob->t;
    PgConn *all[3] = {t->traced, t->obs[0], t->obs[1]};
    double left = ob->deadline - ob->now;
    if (pgconn_wait_any(all, t->obs[1] ? 3 : 2, left < 1 ? 1 : left > 100 ? 100 : (int)left) < 0) {
        err_set(ob->err, EXIT_ENV, "could not wait for the server's sockets");
        t->cache_valid = false;
        return OBS_FAILED;
    }
    return pgconn_poll(t->traced, 0, &ob->r) ? OBS_RELEASE : OBS_ARMED;
}

static ObsState obs_armed(Observed *ob)
{
    Tracer *t = ob->t;
    for (int k = 0; k < 2; k++) {
        if (ob->qk[k] != OQ_ARM || !pgconn_poll(t->obs[k], 0, &ob->o)) continue;
        ob->qk[k] = OQ_NONE;
        if (ob->o.status == PG_LOST) {
            tracer_lost(t, "observer", &ob->o, ob->err);
            return OBS_FAILED;
        }
        bool ok = ob->o.status == PG_OK;
        pgreply_clear(&ob->o);
        if (ok) {
            if (k == ob->armer) ob->armer_ok = true;
            continue;
        }
        /* it could not arm (or the relation went away): it holds nothing */
        if (tracer_quiet(t, t->obs[k], "ROLLBACK", ob->err) < 0) return OBS_FAILED;
        if (k == ob->holder) ob->holder = -1;
        if (k == ob->armer) ob->armer = -1;
        ob->exact = false;
    }
    return OBS_SAMPLED;
}

/* The sample is read: on to OBS_LET_GO. */
static ObsState sample_done(Observed *ob)
{
    sample_free(&ob->smp);
    return OBS_LET_GO;
}

static ObsState obs_sampled(Observed *ob)
{
    Tracer *t = ob->t;
    if (ob->sampler < 0 || !pgconn_poll(t->obs[ob->sampler], 0, &ob->o)) return OBS_LET_GO;
    ob->qk[ob->sampler] = OQ_NONE;
    ob->sampler = -1;
    if (ob->o.status == PG_LOST) {
        tracer_lost(t, "observer", &ob->o, ob->err);
        return OBS_FAILED;
    }
    Sample *smp = &ob->smp;
    sample_read(t, &ob->o, smp);
    pgreply_clear(&ob->o);
    ob->held = hold_waited(t, ob->holds, ob->nholds, smp);
    if (ob->held >= 0 && strcmp(smp->locks.v[smp->wait].locktype, "relation") != 0)
        smp->locks.v[smp->wait].on_observer = true; /* a holder's transaction */
    /* every lock seen, for a sampled capture */
    for (size_t i = 0; i < smp->locks.n; i++) {
        if (smp->locks.v[i].on_observer) continue;
        RawLock c;
        rawlock_copy(&c, &smp->locks.v[i]);
        lockset_add(&ob->seen, &c);
    }
    bool fresh = ob->sample_sent > ob->released_at; /* taken after the last release */
    if (fresh && ob->armer >= 0 && smp->queued[ob->armer]) ob->armer_queued = true;
    return fresh && smp->wait >= 0 ? OBS_WAITING : sample_done(ob);
}

static ObsState obs_waiting(Observed *ob)
{
    const Sample *smp = &ob->smp;
    const RawLock *w = &smp->locks.v[smp->wait];
    ob->ours = wait_is_holders(smp, ob->holder);
    if (smp->wait_obs >= 0 && ob->qk[smp->wait_obs] == OQ_ARM && smp->queued[smp->wait_obs]) {
        /* a wait on the transaction of an observer still waiting for its own
         * locks (queued behind the statement) would never end: that observer
         * gives up */
        pgconn_cancel(ob->t->obs[smp->wait_obs]);
        return sample_done(ob);
    }
    if (smp->wait_obs >= 0 && !ob->ours && ob->held < 0)
        return sample_done(ob); /* a wait on a sample's transaction passes */
    bool last = ob->have_last && rawlock_same(&ob->last_wait, w);
    bool confirm = ob->have_confirm && rawlock_same(&ob->confirm_wait, w);
    if (!last && !confirm) {
        /* pg_lock_status() reads the fast-path locks before the shared lock
         * table: the read that first shows a wait may still show a fast-path
         * lock released just before the statement began to wait. The stop is
         * recorded from the next read, taken while the statement is surely
         * blocked. */
        if (ob->have_confirm) rawlock_free(&ob->confirm_wait);
        rawlock_copy(&ob->confirm_wait, w);
        ob->have_confirm = true;
        ob->confirm_since = ob->sample_sent;
        return sample_done(ob);
    }
    return last ? sample_done(ob) : OBS_STOP;
}

static ObsState obs_stop(Observed *ob)
{
    Sample *smp = &ob->smp;
    forget_wait(&ob->confirm_wait, &ob->have_confirm);
    /* the catalogs' locks granted at a stop are left out: whether a catalog
     * lookup is in flight there depends on the backend's caches, not on the
     * statement */
    RawPhase *p = ARRAY_PUSH(ob->phases, ob->nphases, ob->cphases);
    memset(p, 0, sizeof(*p));
    for (size_t i = 0; i < smp->locks.n; i++) {
        RawLock *l = &smp->locks.v[i];
        /* (a tuple lock on a catalog: taken to wait for a row holder) */
        if ((long)i != smp->wait && l->granted && l->relation && l->relation < FIRST_USER_OID &&
            (strcmp(l->locktype, "relation") == 0 || strcmp(l->locktype, "tuple") == 0)) {
            rawlock_free(l);
            continue;
        }
        if ((long)i == smp->wait) p->wait = p->locks.n;
        *ARRAY_PUSH(p->locks.v, p->locks.n, p->locks.cap) = *l;
    }
    free(smp->locks.v);
    memset(&smp->locks, 0, sizeof(smp->locks));
    if (ob->have_last) rawlock_free(&ob->last_wait);
    rawlock_copy(&ob->last_wait, &p->locks.v[p->wait]);
    ob->have_last = true;
    if (ob->held >= 0) return OBS_UNHOLD;
    if (ob->ours && ob->holder >= 0 && ob->armer < 0) return OBS_ARM;
    return sample_done(ob);
}

static ObsState obs_unhold(Observed *ob)
{
    /* a stop on a holder of the family: it lets go, the statement goes on
     * (the same stop is not seen twice) */
    ob->holds[ob->held].on = false;
    if (tracer_quiet(ob->t, ob->t->hold[ob->held].c, "ROLLBACK", ob->err) < 0) return OBS_FAILED;
    ob->released_at = now_ms();
    ob->blocked_ms += ob->released_at - ob->confirm_since;
    forget_wait(&ob->last_wait, &ob->have_last);
    return sample_done(ob);
}

static ObsState obs_arm(Observed *ob)
{
    Tracer *t = ob->t;
    ob->stopped = true;
    ob->stop_at = now_ms();
    int k = 1 - ob->holder;
    if (ob->nphases < MAX_PHASES && t->obs[k] && ob->qk[k] == OQ_NONE) {
        if (pgconn_send(t->obs[k], ob->arm_sql, ob->err) < 0) {
            t->cache_valid = false;
            return OBS_FAILED;
        }
        ob->qk[k] = OQ_ARM;
        ob->armer = k;
        ob->armer_ok = ob->armer_queued = false;
        ob->arm_since = now_ms();
    } else {
        ob->exact = false; /* too many phases: let it run */
        ob->armer = -2;
    }
    return sample_done(ob);
}

static ObsState obs_let_go(Observed *ob)
{
    /* the next observer holds or is queued: the holder lets go */
    ob->give_up = ob->armer >= 0 && now_ms() - ob->arm_since > ARM_WAIT_MS;
    bool let_go =
        ob->armer == -2 || (ob->armer >= 0 && (ob->armer_ok || ob->armer_queued)) || ob->give_up;
    if (!let_go && ob->holder >= 0 && ob->nphases == 0 &&
        now_ms() - ob->hold_since > OBSERVER_HOLD_MS) {
        let_go = true; /* the statement does not come to the target */
        ob->exact = false;
    }
    return let_go && ob->holder >= 0 && ob->qk[ob->holder] == OQ_NONE ? OBS_HANDOVER : OBS_SAMPLE;
}

static ObsState obs_handover(Observed *ob)
{
    Tracer *t = ob->t;
    if (ob->give_up) {
        pgconn_cancel(t->obs[ob->armer]);
        ob->exact = false;
    }
    if (tracer_quiet(t, t->obs[ob->holder], "ROLLBACK", ob->err) < 0) return OBS_FAILED;
    ob->released_at = now_ms();
    if (ob->stopped) ob->blocked_ms += ob->released_at - ob->stop_at;
    ob->stopped = false;
    forget_wait(&ob->last_wait, &ob->have_last);
    forget_wait(&ob->confirm_wait, &ob->have_confirm);
    ob->holder = ob->armer >= 0 && !ob->give_up ? ob->armer : -1;
    ob->armer = -1;
    ob->hold_since = ob->released_at;
    return OBS_SAMPLE;
}

static ObsState obs_release(Observed *ob)
{
    Tracer *t = ob->t;
    if (holds_release(t, ob->holds, ob->nholds, ob->err) < 0) return OBS_FAILED;
    for (int k = 0; k < 2; k++) {
        if (ob->qk[k] == OQ_SAMPLE)
            pgconn_wait(t->obs[k], now_ms() + TRACER_QUERY_MS, &ob->o);
        else if (ob->qk[k] == OQ_ARM)
            pgconn_wait(t->obs[k], now_ms() + (ob->timed_out ? 0 : OBSERVER_LOCK_MS), &ob->o);
        if (ob->qk[k] != OQ_NONE && ob->o.status == PG_LOST) {
            tracer_lost(t, "observer", &ob->o, ob->err);
            return OBS_FAILED;
        }
        pgreply_clear(&ob->o);
        ob->qk[k] = OQ_NONE;
        if (t->obs[k] && tracer_quiet(t, t->obs[k], "ROLLBACK", ob->err) < 0) return OBS_FAILED;
    }
    if (ob->timed_out) {
        ob->exact = false;
        pgconn_wait(t->traced, now_ms(), &ob->r); /* cancels, reads on */
    }
    if (ob->restore_sql && tracer_quiet(t, t->traced, ob->restore_sql, ob->err) < 0)
        return OBS_FAILED;
    return OBS_RESULT;
}

static ObsState obs_result(Observed *ob)
{
    Trace *out = ob->out;
    out->duration_ms = ob->r.ms - ob->blocked_ms;
    if (out->duration_ms < 0) out->duration_ms = 0;
    tracer_keep_said(out, &ob->r);
    if (ob->r.status == PG_LOST) {
        tracer_lost(ob->t, "traced", &ob->r, ob->err);
        return OBS_FAILED;
    }
    if (ob->r.status == PG_TIMEOUT)
        tracer_set_timeout(out, ob->t->timeout_ms);
    else if (ob->r.status == PG_REFUSED)
        tracer_set_error(out, &ob->r);
    return OBS_LOCKS;
}

static ObsState obs_locks(Observed *ob)
{
    if (ob->exact && ob->nphases > 0) {
        snprintf(ob->out->capture, sizeof(ob->out->capture), "phase");
        for (size_t p = 0; p < ob->nphases; p++)
            for (size_t i = 0; i < ob->phases[p].locks.n; i++) {
                if (ob->phases[p].locks.v[i].on_observer) continue;
                RawLock c;
                rawlock_copy(&c, &ob->phases[p].locks.v[i]);
                lockset_add(&ob->uni, &c);
            }
    } else {
        ob->uni = ob->seen;
        memset(&ob->seen, 0, sizeof(ob->seen));
        for (size_t p = 0; p < ob->nphases; p++)
            lockset_free(&ob->phases[p].locks);
        ob->nphases = 0;
    }
    /* A statement that went on got every lock it was seen waiting for (the
     * observers' holds, or other transactions): only a cancel, a lock
     * timeout or a deadlock ends a statement while it waits for a lock. */
    const PgReply *r = &ob->r;
    bool ended_waiting = r->status == PG_TIMEOUT || r->status == PG_LOST ||
                         (r->status == PG_REFUSED &&
                          (strcmp(r->sqlstate, "55P03") == 0 || strcmp(r->sqlstate, "40P01") == 0 ||
                           strcmp(r->sqlstate, "57014") == 0));
    if (!ended_waiting)
        for (size_t i = 0; i < ob->uni.n; i++)
            ob->uni.v[i].granted = true;
    pgreply_clear(&ob->r);
    return OBS_NAMES;
}

static ObsState obs_names(Observed *ob)
{
    if (lockset_resolve(ob->t, &ob->uni, &ob->resolved, ob->err) < 0) return OBS_FAILED;
    for (size_t p = 0; p < ob->nphases; p++)
        if (lockset_resolve(ob->t, &ob->phases[p].locks, &ob->resolved, ob->err) < 0)
            return OBS_FAILED;
    return OBS_AFTER;
}

static ObsState obs_after(Observed *ob)
{
    Tracer *t = ob->t;
    /* the statement ran in autocommit: whatever it did (even when it failed
     * half-way, like an invalid index left by CREATE INDEX CONCURRENTLY) is
     * in the after-snapshot */
    Snap after = {0};
    if (snap_read(t, &after, ob->err) < 0) return OBS_FAILED;
    build_trace(ob->out, ob->st, &t->cache, &after, &ob->resolved, &ob->uni, NULL, 0, ob->phases,
                ob->nphases);
    snap_free(&t->cache);
    t->cache = after;
    t->cache_valid = true;
    return OBS_DONE;
}

static void observed_free(Observed *ob)
{
    if (ob->nholds) {
        Err ignored = {0};
        holds_release(ob->t, ob->holds, ob->nholds,
                      &ignored); /* a lost connection: reported above */
    }
    free(ob->holds);
    pgreply_clear(&ob->r);
    pgreply_clear(&ob->o);
    sample_free(&ob->smp);
    lockset_free(&ob->seen);
    lockset_free(&ob->uni);
    for (size_t p = 0; p < ob->nphases; p++)
        lockset_free(&ob->phases[p].locks);
    free(ob->phases);
    rawlock_free(&ob->last_wait);
    rawlock_free(&ob->confirm_wait);
    snap_free(&ob->resolved);
    free(ob->first_sql);
    free(ob->arm_sql);
    free(ob->sample_sql);
    free(ob->restore_sql);
}

int tracer_run_observed(Tracer *t, const Statement *st, Trace *out, Err *err)
{
    Observed ob = {.t = t, .st = st, .out = out, .err = err};
    ob.qk[0] = ob.qk[1] = OQ_NONE;
    ob.holder = ob.armer = ob.sampler = -1;
    ob.held = -1;
    ob.wait_mode = st->info.cls && strstr(st->info.cls, "CONCURRENTLY") != NULL;
    snprintf(out->capture, sizeof(out->capture), "poll");
    ObsState state = OBS_START;
    while (state != OBS_DONE && state != OBS_FAILED) {
        switch (state) {
        case OBS_START:
            state = obs_start(&ob);
            break;
        case OBS_UNTIMED:
            state = obs_untimed(&ob);
            break;
        case OBS_HOLD:
            state = obs_hold(&ob);
            break;
        case OBS_SEND:
            state = obs_send(&ob);
            break;
        case OBS_SAMPLE:
            state = obs_sample(&ob);
            break;
        case OBS_WAIT:
            state = obs_wait(&ob);
            break;
        case OBS_ARMED:
            state = obs_armed(&ob);
            break;
        case OBS_SAMPLED:
            state = obs_sampled(&ob);
            break;
        case OBS_WAITING:
            state = obs_waiting(&ob);
            break;
        case OBS_STOP:
            state = obs_stop(&ob);
            break;
        case OBS_UNHOLD:
            state = obs_unhold(&ob);
            break;
        case OBS_ARM:
            state = obs_arm(&ob);
            break;
        case OBS_LET_GO:
            state = obs_let_go(&ob);
            break;
        case OBS_HANDOVER:
            state = obs_handover(&ob);
            break;
        case OBS_RELEASE:
            state = obs_release(&ob);
            break;
        case OBS_RESULT:
            state = obs_result(&ob);
            break;
        case OBS_LOCKS:
            state = obs_locks(&ob);
            break;
        case OBS_NAMES:
            state = obs_names(&ob);
            break;
        case OBS_AFTER:
            state = obs_after(&ob);
            break;
        case OBS_DONE:
        case OBS_FAILED:
            break;
        }
    }
    observed_free(&ob);
    return state == OBS_DONE ? 0 : -1;
}
