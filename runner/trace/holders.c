/*
 * holders: the statement's family, one relation at a time (the observer
 * path, see observer.c): holder connections keep each relation of the
 * target's family, or a catalog row of each of its indexes, so that the
 * statement's first request on each stops it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner/trace/internal.h"

/* The relations a statement on target can lock, as the catalog knows them
 * before it runs: the target, its partitions at every depth, its ancestors
 * (tables), and the indexes of all of them and of their TOAST tables
 * (indexes). */
static void family_of(const Snap *s, const Rel *target, OidSet *tables, OidSet *indexes)
{
    oidset_add(tables, target->oid);
    for (bool grew = true; grew;) {
        grew = false;
        for (size_t i = 0; i < s->nrels; i++) {
            const Rel *r = s->rels[i];
            if ((r->kind == 'r' || r->kind == 'p') && r->parent && oidset_has(tables, r->parent) &&
                !oidset_has(tables, r->oid)) {
                oidset_add(tables, r->oid);
                grew = true;
            }
        }
    }
    for (const Rel *p = snap_rel(s, target->parent); p && !oidset_has(tables, p->oid);
         p = snap_rel(s, p->parent))
        oidset_add(tables, p->oid);
    OidSet toasts = {0};
    for (size_t i = 0; i < tables->n; i++) {
        const Rel *r = snap_rel(s, tables->v[i]);
        if (r && r->toast) oidset_add(&toasts, r->toast);
    }
    for (size_t i = 0; i < s->nrels; i++) {
        const Rel *r = s->rels[i];
        if (is_index_kind(r->kind) &&
            (oidset_has(tables, r->indrel) || oidset_has(&toasts, r->indrel)))
            oidset_add(indexes, r->oid);
    }
    free(toasts.v);
}

/* Holder k, opened when it is not yet. */
static int holder_open(Tracer *t, size_t k, Err *err)
{
    while (t->nhold <= k) {
        Holder *h = ARRAY_PUSH(t->hold, t->nhold, t->chold);
        memset(h, 0, sizeof(*h));
    }
    Holder *h = &t->hold[k];
    if (h->c) return 0;
    h->c = pgconn_connect(t->conninfo, CONNECT_TIMEOUT_MS, err);
    if (!h->c) return -1;
    return tracer_vxid_prefix(t, h->c, h->bid, sizeof(h->bid), err);
}

/* Takes the holds of a statement on target before it runs. Relation holds
 * (rows false): every table of the family but the target (LOCK TABLE ONLY)
 * and every index of it but the TOAST tables' (ALTER INDEX ... SET
 * TABLESPACE to its own tablespace: ACCESS EXCLUSIVE on the index alone, a
 * no-op otherwise; LOCK TABLE refuses indexes). A TOAST table and its index
 * cannot be held: LOCK TABLE refuses them, ALTER refuses them as system
 * catalogs, and reading a toasted value does not keep a lock on them. Row
 * holds (rows true): every index of the family, TOAST's included. Returns
 * how many were taken into h (one per holder, h[k] on holder k); *all false
 * when one could not be taken. -1 only when a connection is lost. */
int holds_take(Tracer *t, const Rel *target, bool rows, Hold **h, size_t *n, bool *all, Err *err)
{
    OidSet tables = {0}, indexes = {0};
    family_of(&t->cache, target, &tables, &indexes);
    *h = NULL;
    *n = 0;
    *all = true;
    size_t cap = 0;
    int rc = 0;
    for (size_t i = 0; i < tables.n + indexes.n && rc == 0; i++) {
        bool is_index = i >= tables.n;
        unsigned oid = is_index ? indexes.v[i - tables.n] : tables.v[i];
        const Rel *r = snap_rel(&t->cache, oid);
        if (!r || oid == target->oid || (rows && !is_index) ||
            (!rows && is_index && is_toast_rel(&t->cache, r)))
            continue;
        if (holder_open(t, *n, err) < 0) {
            rc = -1;
            break;
        }
        char *sql;
        if (rows) {
            sql = xasprintf(
                "BEGIN;\nSELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = %u AND attnum = 1 "
                "FOR KEY SHARE;\nSELECT pg_catalog.txid_current() OPERATOR(pg_catalog.%%) "
                "4294967296",
                oid);
        } else if (is_index) {
            sql = xasprintf(
                "BEGIN;\nSET LOCAL lock_timeout = 0;\n"
                "DO $lm$BEGIN EXECUTE pg_catalog.format('ALTER INDEX %%s SET TABLESPACE %%I', "
                "%u::pg_catalog.regclass, (SELECT s.spcname FROM pg_catalog.pg_tablespace s, "
                "pg_catalog.pg_class c, pg_catalog.pg_database d WHERE c.oid = %u "
                "AND d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database() AND s.oid = "
                "CASE c.reltablespace WHEN 0 THEN d.dattablespace ELSE c.reltablespace END)); "
                "END$lm$",
                oid, oid);
        } else {
            PGconn *raw = pgconn_raw(t->hold[*n].c);
            char *nsp = PQescapeIdentifier(raw, r->nsp, strlen(r->nsp));
            char *rel = PQescapeIdentifier(raw, r->name, strlen(r->name));
            sql = xasprintf("BEGIN;\nSET LOCAL lock_timeout = 0;\nLOCK TABLE ONLY %s.%s IN ACCESS "
                            "EXCLUSIVE MODE",
                            nsp ? nsp : "", rel ? rel : "");
            PQfreemem(nsp);
            PQfreemem(rel);
        }
        PgReply r2;
        PgStatus s = pgconn_exec(t->hold[*n].c, sql, OBSERVER_LOCK_MS, &r2);
        free(sql);
        if (s == PG_LOST) {
            rc = tracer_lost(t, "observer", &r2, err);
        } else if (s != PG_OK) {
            *all = false;
            if (tracer_quiet(t, t->hold[*n].c, "ROLLBACK", err) < 0) rc = -1;
        } else {
            Hold *x = ARRAY_PUSH(*h, *n, cap);
            memset(x, 0, sizeof(*x));
            x->on = true;
            if (rows) {
                x->row_of = oid;
                const char *v = r2.nres ? pgreply_value(&r2, r2.nres - 1, 0, 0) : NULL;
                x->xid = val_ull(v);
            } else {
                x->rel = oid;
            }
        }
        pgreply_clear(&r2);
    }
    free(tables.v);
    free(indexes.v);
    return rc;
}

/* The hold the statement waits for (index in h), -1: none. */
long hold_waited(const Tracer *t, const Hold *h, size_t n, const Sample *smp)
{
    if (smp->wait < 0) return -1;
    const RawLock *w = &smp->locks.v[smp->wait];
    for (size_t k = 0; k < n; k++) {
        if (!h[k].on) continue;
        if (h[k].rel && strcmp(w->locktype, "relation") == 0 && w->relation == h[k].rel)
            return (long)k;
        if (h[k].xid && strcmp(w->locktype, "transactionid") == 0 && w->xid == h[k].xid)
            return (long)k;
        if (w->vxid && strcmp(w->locktype, "virtualxid") == 0 && t->hold[k].bid[0] &&
            strncmp(w->vxid, t->hold[k].bid, strlen(t->hold[k].bid)) == 0)
            return (long)k;
    }
    return -1;
}

/* Lets every hold go. */
int holds_release(Tracer *t, Hold *h, size_t n, Err *err)
{
    int rc = 0;
    for (size_t k = 0; k < n; k++) {
        if (!h[k].on) continue;
        h[k].on = false;
        if (rc == 0 && tracer_quiet(t, t->hold[k].c, "ROLLBACK", err) < 0) rc = -1;
    }
    return rc;
}
