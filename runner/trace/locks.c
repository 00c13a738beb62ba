/*
 * locks: raw locks as pg_lock_status() shows them, and what the tracer
 * knows of a statement's relations (View): their names and roles.
 *
 * Roles of relation locks, first match wins: new, transient, catalog (oid
 * below 16384: pg_catalog relations locked by the statement itself, unless
 * the statement names the catalog as its target: table and index), table,
 * index, toast (toast tables and their indexes), sequence, referenced, other.
 * Non-relation locks have the locktype as role. The own virtualxid and
 * transactionid (ExclusiveLock held by the traced backend on its own
 * transaction's ids) are not reported: they are the transaction's identity,
 * not a lock the statement takes on anything. Waits on other transactions'
 * ids (ShareLock) are reported, except waits on the observer's own queries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner/trace/internal.h"

void rawlock_free(RawLock *l)
{
    free(l->locktype);
    free(l->mode);
    free(l->vxid);
    free(l->desc);
    free(l->catalog);
}

void rawlock_copy(RawLock *dst, const RawLock *src)
{
    *dst = *src;
    dst->locktype = xstrdup(src->locktype);
    dst->mode = xstrdup(src->mode);
    dst->vxid = src->vxid ? xstrdup(src->vxid) : NULL;
    dst->desc = src->desc ? xstrdup(src->desc) : NULL;
    dst->catalog = src->catalog ? xstrdup(src->catalog) : NULL;
}

void lockset_free(LockSet *s)
{
    for (size_t i = 0; i < s->n; i++)
        rawlock_free(&s->v[i]);
    free(s->v);
    free(s->slot);
    memset(s, 0, sizeof(*s));
}

bool rawlock_same(const RawLock *a, const RawLock *b)
{
    return strcmp(a->locktype, b->locktype) == 0 && strcmp(a->mode, b->mode) == 0 &&
           a->database == b->database && a->relation == b->relation && a->classid == b->classid &&
           a->objid == b->objid && a->objsubid == b->objsubid && a->xid == b->xid &&
           a->page == b->page && a->tuple == b->tuple && a->has_page == b->has_page &&
           a->has_tuple == b->has_tuple &&
           ((!a->vxid && !b->vxid) || (a->vxid && b->vxid && strcmp(a->vxid, b->vxid) == 0));
}

/* Reads row i of a result with SQL_LOCK_COLS starting at column c0. */
void rawlock_read(RawLock *l, PGresult *r, int i, int c0)
{
#define V(k) (PQgetisnull(r, i, c0 + (k)) ? NULL : PQgetvalue(r, i, c0 + (k)))
    memset(l, 0, sizeof(*l));
    l->locktype = xstrdup(V(0) ? V(0) : "");
    l->database = val_oid(V(1));
    l->relation = val_oid(V(2));
    l->has_page = V(3) != NULL;
    l->page = val_int(V(3));
    l->has_tuple = V(4) != NULL;
    l->tuple = val_int(V(4));
    l->vxid = xstrdup(V(5));
    l->xid = val_ull(V(6));
    l->classid = val_oid(V(7));
    l->objid = val_oid(V(8));
    l->objsubid = val_int(V(9));
    l->mode = xstrdup(V(10) ? V(10) : "");
    l->granted = val_bool(V(11));
#undef V
}

/* FNV-1a over what rawlock_same compares. */
static size_t rawlock_hash(const RawLock *l)
{
    unsigned long long h = 1469598103934665603ULL;
#define MIX(p, n)                                                                                  \
    for (size_t k_ = 0; k_ < (n); k_++)                                                            \
    h = (h ^ ((const unsigned char *)(p))[k_]) * 1099511628211ULL
    MIX(l->locktype, strlen(l->locktype));
    MIX(l->mode, strlen(l->mode));
    if (l->vxid) MIX(l->vxid, strlen(l->vxid));
    unsigned v[] = {l->database,           l->relation,       l->classid,        l->objid,
                    (unsigned)l->objsubid, (unsigned)l->page, (unsigned)l->tuple};
    MIX(v, sizeof(v));
    MIX(&l->xid, sizeof(l->xid));
#undef MIX
    return (size_t)h;
}

/* Brings the index up to the entries appended since. */
static void lockset_index(LockSet *s)
{
    if (s->nidx == s->n) return;
    if (s->n * 2 >= s->nslot) {
        size_t want = 16;
        while (want < s->n * 4)
            want *= 2;
        free(s->slot);
        s->slot = xcalloc(want, sizeof(*s->slot));
        s->nslot = want;
        s->nidx = 0;
    }
    for (; s->nidx < s->n; s->nidx++) {
        size_t i = rawlock_hash(&s->v[s->nidx]) & (s->nslot - 1);
        for (; s->slot[i]; i = (i + 1) & (s->nslot - 1))
            if (rawlock_same(&s->v[s->slot[i] - 1], &s->v[s->nidx])) break; /* the first stays */
        if (!s->slot[i]) s->slot[i] = s->nidx + 1;
    }
}

long lockset_find(LockSet *s, const RawLock *l)
{
    if (!s->n) return -1;
    lockset_index(s);
    for (size_t i = rawlock_hash(l) & (s->nslot - 1); s->slot[i]; i = (i + 1) & (s->nslot - 1))
        if (rawlock_same(&s->v[s->slot[i] - 1], l)) return (long)(s->slot[i] - 1);
    return -1;
}

/* Adds l to s, or merges it with an equal lock (granted when ever granted).
 * Takes l's fields. */
void lockset_add(LockSet *s, RawLock *l)
{
    long i = lockset_find(s, l);
    if (i >= 0) {
        s->v[i].granted = s->v[i].granted || l->granted;
        rawlock_free(l);
        return;
    }
    *ARRAY_PUSH(s->v, s->n, s->cap) = *l;
}

/* The own transaction's identity: its virtualxid and transactionid, held in
 * ExclusiveLock by the backend that owns them. */
bool rawlock_own_xact(const RawLock *l)
{
    return l->granted && strcmp(l->mode, "ExclusiveLock") == 0 &&
           (strcmp(l->locktype, "virtualxid") == 0 || strcmp(l->locktype, "transactionid") == 0);
}

/* A mode's place in sort order: its rank, unknown modes last. */
int mode_sort(const char *mode)
{
    int r = lock_mode_rank(mode);
    return r >= 0 ? r : LOCK_MODES;
}

bool oidset_has(const OidSet *s, unsigned oid)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i] == oid) return true;
    return false;
}

void oidset_add(OidSet *s, unsigned oid)
{
    if (oid && !oidset_has(s, oid)) *ARRAY_PUSH(s->v, s->n, s->cap) = oid;
}

bool rel_name_matches(const Rel *r, const char *name, const char *schema)
{
    if (strcmp(r->name, name) != 0) return false;
    return !schema || strcmp(r->nsp, schema) == 0;
}

/* "s.t" or "t" as written in info.referenced */
static bool ref_matches(const Rel *r, const char *ref)
{
    const char *dot = strchr(ref, '.');
    if (!dot) return strcmp(r->name, ref) == 0;
    size_t n = (size_t)(dot - ref);
    return strlen(r->nsp) == n && strncmp(r->nsp, ref, n) == 0 && strcmp(r->name, dot + 1) == 0;
}

static void collect_names(OidSet *set, const Snap *s, const char *name, const char *schema,
                          bool ref)
{
    if (!s || !name) return;
    for (size_t i = 0; i < s->nrels; i++) {
        const Rel *r = s->rels[i];
        if (ref ? ref_matches(r, name) : rel_name_matches(r, name, schema)) oidset_add(set, r->oid);
    }
}

static bool con_key_in(const Snap *s, const Con *c)
{
    return snap_con(s, c) != NULL;
}

static bool view_under_target(const View *v, unsigned oid);

void view_init(View *v, const Snap *before, const Snap *after, const Snap *inside,
               const Statement *st)
{
    memset(v, 0, sizeof(*v));
    v->before = before;
    v->after = after;
    v->inside = inside;
    const Snap *all[] = {before, after, inside};
    /* an unqualified target found in several schemas: the one in public */
    const char *schema = st->info.target_schema;
    if (!schema && st->info.target) {
        for (size_t k = 0; k < ARRAY_LEN(all); k++)
            collect_names(&v->target, all[k], st->info.target, "public", false);
        if (!v->target.n)
            schema = NULL;
        else
            schema = "public";
    }
    for (size_t k = 0; k < ARRAY_LEN(all); k++) {
        collect_names(&v->target, all[k], st->info.target, schema, false);
        for (size_t i = 0; i < st->info.nreferenced; i++)
            collect_names(&v->referenced, all[k], st->info.referenced[i], NULL, true);
    }
    for (size_t i = 0; i < after->ncons; i++) {
        const Con *c = after->cons[i];
        if (c->frel && !con_key_in(before, c)) oidset_add(&v->referenced, c->frel);
    }
    /* a foreign key the statement drops (DROP CONSTRAINT, DROP COLUMN, DROP
     * TABLE, the one a same-named ADD CONSTRAINT replaces) locks its other
     * end: the table it references, or the table that references the target */
    for (size_t i = 0; i < before->ncons; i++) {
        const Con *c = before->cons[i];
        if (!c->frel) continue;
        const Con *now = snap_con(after, c);
        if (now && now->oid == c->oid) continue;
        if (view_under_target(v, c->rel)) oidset_add(&v->referenced, c->frel);
        if (view_under_target(v, c->frel)) oidset_add(&v->referenced, c->rel);
    }
}

void view_free(View *v)
{
    free(v->target.v);
    free(v->referenced.v);
    free(v->transient.v);
}

/* The relation row for oid and the snapshot it is named in. */
static const Rel *view_rel(const View *v, unsigned oid, const Snap **from)
{
    /* the after-snapshot is complete (toast owners are found there); inside
     * has the catalogs and what the statement dropped at commit */
    const Snap *order[] = {v->after, v->inside, v->before};
    for (size_t k = 0; k < ARRAY_LEN(order); k++) {
        const Rel *r = snap_rel(order[k], oid);
        if (r) {
            *from = order[k];
            return r;
        }
    }
    return NULL;
}

bool view_is_transient(const View *v, unsigned oid)
{
    return oid >= FIRST_USER_OID && !snap_rel(v->before, oid) && !snap_rel(v->after, oid);
}

char *view_name(const View *v, unsigned oid)
{
    if (view_is_transient(v, oid)) {
        for (size_t i = 0; i < v->transient.n; i++)
            if (v->transient.v[i] == oid) return xasprintf("(transient %zu)", i + 1);
    }
    const Snap *from = NULL;
    const Rel *r = view_rel(v, oid, &from);
    if (r) return rel_display(from, r);
    return xasprintf("(relation %u)", oid);
}

/* Whether oid is the target or a partition of it, at any depth. */
static bool view_under_target(const View *v, unsigned oid)
{
    for (int depth = 0; oid && depth < 64; depth++) {
        if (oidset_has(&v->target, oid)) return true;
        const Snap *from = NULL;
        const Rel *r = view_rel(v, oid, &from);
        oid = r ? r->parent : 0;
    }
    return false;
}

const char *view_role(const View *v, unsigned oid)
{
    bool in_before = snap_rel(v->before, oid) != NULL;
    bool in_after = snap_rel(v->after, oid) != NULL;
    if (oid >= FIRST_USER_OID && !in_before && in_after) return "new";
    if (oid >= FIRST_USER_OID && !in_before && !in_after) return "transient";
    const Snap *from = NULL;
    const Rel *r = view_rel(v, oid, &from);
    /* a catalog the statement names (UPDATE pg_index ...) is its target,
     * its indexes the target's indexes */
    if (oid < FIRST_USER_OID && !oidset_has(&v->target, oid) &&
        !(r && is_index_kind(r->kind) && view_under_target(v, r->indrel)))
        return "catalog";
    if (oidset_has(&v->target, oid)) return "table";
    if (r && is_index_kind(r->kind) && view_under_target(v, r->indrel)) return "index";
    if (r && is_toast_rel(from, r)) return "toast";
    if (r && r->kind == 'S') return "sequence";
    if (oidset_has(&v->referenced, oid)) return "referenced";
    if (r && view_under_target(v, r->parent)) return "partition";
    return "other";
}

/* Object descriptions (rows of classid, objid, objsubid, description, catalog)
 * into the matching locks. */
void lockset_describe(LockSet *locks, PGresult *res)
{
    int rows = PQntuples(res);
    for (int i = 0; i < rows; i++) {
        unsigned classid = val_oid(PQgetvalue(res, i, 0)), objid = val_oid(PQgetvalue(res, i, 1));
        int sub = atoi(PQgetvalue(res, i, 2));
        for (size_t k = 0; k < locks->n; k++) {
            RawLock *l = &locks->v[k];
            if (strcmp(l->locktype, "object") != 0 || l->classid != classid || l->objid != objid ||
                l->objsubid != sub)
                continue;
            if (!l->desc && !PQgetisnull(res, i, 3)) l->desc = xstrdup(PQgetvalue(res, i, 3));
            if (!l->catalog && !PQgetisnull(res, i, 4)) l->catalog = xstrdup(PQgetvalue(res, i, 4));
        }
    }
}

/* Names of relations and objects the snapshots do not know (catalogs, objects),
 * resolved by the observer after the statement. */
int lockset_resolve(Tracer *t, LockSet *locks, Snap *resolved, Err *err)
{
    Buf rels;
    buf_init(&rels);
    for (size_t i = 0; i < locks->n; i++) {
        RawLock *l = &locks->v[i];
        if (l->relation && l->relation < FIRST_USER_OID)
            buf_printf(&rels, "%s%u", rels.len ? "," : "", l->relation);
    }
    Buf q;
    buf_init(&q);
    const char *in = rels.len ? rels.data : "0";
    char *objs = tracer_objs_sql(t, locks);
    buf_printf(&q,
               SQL_CLASS_COLS "WHERE c.oid IN (%s);\n" SQL_INDEX_COLS
                              "WHERE i.indexrelid IN (%s);\n" SQL_INH_COLS
                              "WHERE h.inhrelid IN (%s);\n" SQL_NSP ";\n%s",
               in, in, in, objs);
    free(objs);
    PgReply r;
    PgStatus s = pgconn_exec(t->obs[0], q.data, TRACER_QUERY_MS, &r);
    int rc = 0;
    if (s == PG_LOST) {
        rc = tracer_lost(t, "observer", &r, err);
    } else if (s == PG_OK && r.nres >= 4) {
        snap_add_rels(resolved, r.res);
        snap_sort(resolved);
        if (r.nres > 4) lockset_describe(locks, r.res[4]);
    }
    pgreply_clear(&r);
    buf_free(&q);
    buf_free(&rels);
    return rc;
}
