/*
 * sample: the observers of the observer path: their connections, what they
 * hold (the statement's target, or the type of ALTER TYPE), and their
 * readings of pg_locks while the statement runs (Sample): the traced
 * backend's locks, the one it waits for, and what each observer holds or
 * waits for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner/trace/internal.h"

void sample_free(Sample *s)
{
    lockset_free(&s->locks);
    for (int k = 0; k < 2; k++) {
        free(s->held[k].v);
        free(s->held_obj[k].v);
    }
    memset(s, 0, sizeof(*s));
}

/* Reads a reply to the sample query (pid, SQL_LOCK_COLS). */
void sample_read(const Tracer *t, const PgReply *r, Sample *smp)
{
    memset(smp, 0, sizeof(*smp));
    smp->wait = -1;
    smp->wait_obs = -1;
    if (r->status != PG_OK || r->nres < 1) return;
    PGresult *res = r->res[0];
    for (int i = 0; i < PQntuples(res); i++) {
        int pid = atoi(PQgetvalue(res, i, 0));
        bool granted = PQgetvalue(res, i, 12)[0] == 't';
        for (int k = 0; k < 2; k++) {
            if (pid != t->obs_pid[k] || !t->obs[k]) continue;
            if (!granted)
                smp->queued[k] = true;
            else if (strcmp(PQgetvalue(res, i, 1), "relation") == 0)
                oidset_add(&smp->held[k], val_oid(PQgetvalue(res, i, 3)));
            else if (strcmp(PQgetvalue(res, i, 1), "object") == 0)
                oidset_add(&smp->held_obj[k], val_oid(PQgetvalue(res, i, 9)));
        }
        if (pid != t->traced_pid) continue;
        RawLock l;
        rawlock_read(&l, res, i, 1);
        if (rawlock_own_xact(&l)) {
            rawlock_free(&l);
            continue;
        }
        if (!l.granted && l.vxid && strcmp(l.locktype, "virtualxid") == 0)
            for (int k = 0; k < 2; k++)
                if (t->obs_bid[k][0] &&
                    strncmp(l.vxid, t->obs_bid[k], strlen(t->obs_bid[k])) == 0) {
                    l.on_observer = true;
                    smp->wait_obs = k;
                }
        if (!l.granted) smp->wait = (long)smp->locks.n;
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
int observer_open(Tracer *t, int k, Err *err)
{
    if (!t->obs[k]) {
        t->obs[k] = pgconn_connect(t->conninfo, CONNECT_TIMEOUT_MS, err);
        if (!t->obs[k]) return -1;
        t->obs_pid[k] = pgconn_pid(t->obs[k]);
    }
    if (!t->obs_bid[k][0])
        return tracer_vxid_prefix(t, t->obs[k], t->obs_bid[k], sizeof(t->obs_bid[k]), err);
    return 0;
}

/* The statement waits for something an observer holds: a lock on a relation
 * the holder locked, or the holder's transaction. */
bool wait_is_holders(const Sample *smp, int holder)
{
    if (smp->wait < 0 || holder < 0) return false;
    const RawLock *w = &smp->locks.v[smp->wait];
    if (smp->wait_obs >= 0) return smp->wait_obs == holder;
    if (strcmp(w->locktype, "object") == 0) return oidset_has(&smp->held_obj[holder], w->objid);
    return strcmp(w->locktype, "relation") == 0 && oidset_has(&smp->held[holder], w->relation);
}

/* The relation a statement names as its target, in public when the name is
 * found in several schemas; NULL when none. */
const Rel *find_target(const Snap *s, const Statement *st)
{
    if (!st->info.target) return NULL;
    const Rel *found = NULL;
    for (size_t i = 0; i < s->nrels; i++) {
        const Rel *r = s->rels[i];
        if (!rel_name_matches(r, st->info.target, st->info.target_schema)) continue;
        if (!found || strcmp(r->nsp, "public") == 0) found = r;
    }
    return found;
}

/* ALTER TYPE (ADD VALUE before 12 cannot run in a transaction block): its
 * type, schema-qualified and quoted as the traced session resolves the name;
 * NULL when there is none. Caller frees. */
char *observed_type(Tracer *t, const Statement *st, Err *err, int *rc)
{
    *rc = 0;
    if (!st->info.cls || strncmp(st->info.cls, "ALTER TYPE", 10) != 0 || !st->info.target)
        return NULL;
    char *name = st->info.target_schema
                     ? xasprintf("%s.%s", st->info.target_schema, st->info.target)
                     : xstrdup(st->info.target);
    char *lit = PQescapeLiteral(pgconn_raw(t->traced), name, strlen(name));
    free(name);
    char *sql = xasprintf(
        "SELECT pg_catalog.quote_ident(n.nspname) OPERATOR(pg_catalog.||) '.' "
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
