/*
 * build: the Trace of a statement from its snapshots and its locks: locks
 * and phases as reported, rewrites, scans and catalog changes.
 *
 * Names: schema-qualified outside public ("pg_temp" for any temporary
 * schema); a toast table is "toast(<table>)" and its index
 * "toast_index(<table>)", so that names do not depend on oids and compare
 * across versions; a relation that existed only inside the statement is
 * "(transient N)", numbered in oid order; an object lock whose object no
 * longer exists at capture time is "<catalog> (gone N)".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner/trace/internal.h"

static void add_change(Trace *out, size_t *cap, const char *kind, char *relation, char *detail)
{
    TraceChange *c = ARRAY_PUSH(out->changes, out->nchanges, *cap);
    c->kind = xstrdup(kind);
    c->relation = relation;
    c->detail = detail;
}

int tracelock_cmp(const void *a, const void *b)
{
    const TraceLock *x = a, *y = b;
    bool xr = strcmp(x->locktype, "relation") == 0, yr = strcmp(y->locktype, "relation") == 0;
    if (xr != yr) return xr ? -1 : 1;
    int c = trace_role_rank(x->role) - trace_role_rank(y->role);
    if (c) return c;
    c = strcmp(x->locktype, y->locktype);
    if (c) return c;
    c = strcmp(x->relation ? x->relation : "", y->relation ? y->relation : "");
    if (c) return c;
    return mode_sort(x->mode) - mode_sort(y->mode);
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *object_desc(const RawLock *l, const LockSet *all)
{
    /* the temporary schema's number is the backend's slot: "pg_temp" as for
     * relations, else two runs differ where the statement does not */
    if (l->desc && strncmp(l->desc, "schema pg_temp_", 15) == 0) return xstrdup("schema pg_temp");
    if (l->desc && strncmp(l->desc, "schema pg_toast_temp_", 21) == 0)
        return xstrdup("schema pg_toast_temp");
    if (l->desc) return xstrdup(l->desc);
    /* gone: number it among the gone objects of the same catalog */
    size_t k = 1;
    for (size_t i = 0; i < all->n; i++) {
        const RawLock *o = &all->v[i];
        if (o != l && strcmp(o->locktype, "object") == 0 && !o->desc && o->classid == l->classid &&
            o->objid < l->objid)
            k++;
    }
    if (l->catalog) return xasprintf("%s (gone %zu)", l->catalog, k);
    return xasprintf("object %u (gone %zu)", l->classid, k);
}

/* One lock as the trace reports it (names from v; all: the locks it is
 * numbered among when its object is gone). */
void tracelock_from(TraceLock *t, const View *v, const RawLock *l, const LockSet *all)
{
    t->locktype = xstrdup(l->locktype);
    t->mode = xstrdup(l->mode);
    t->granted = l->granted;
    t->held_before = l->held_before;
    const char *lt = trace_locktype_static(l->locktype);
    if (strcmp(lt, "relation") == 0) {
        t->role = (char *)view_role(v, l->relation);
        t->relation = view_name(v, l->relation);
        return;
    }
    t->role = (char *)lt;
    if (strcmp(lt, "extend") == 0) {
        t->relation = view_name(v, l->relation);
    } else if (strcmp(lt, "page") == 0 || strcmp(lt, "tuple") == 0) {
        char *n = view_name(v, l->relation);
        t->relation = l->has_tuple ? xasprintf("%s (%d,%d)", n, l->page, l->tuple)
                                   : xasprintf("%s page %d", n, l->page);
        free(n);
    } else if (strcmp(lt, "virtualxid") == 0) {
        /* an observer stands for an older transaction: its ids vary from run to run */
        t->relation = l->on_observer ? xstrdup("virtualxid (older transaction)")
                                     : xasprintf("virtualxid %s", l->vxid ? l->vxid : "?");
    } else if (strcmp(lt, "transactionid") == 0) {
        t->relation = l->on_observer ? xstrdup("transactionid (older transaction)")
                                     : xasprintf("transactionid %llu", l->xid);
    } else if (strcmp(lt, "object") == 0) {
        t->relation = object_desc(l, all);
    } else if (strcmp(lt, "advisory") == 0) {
        t->relation = xasprintf("advisory %u/%u/%d", l->classid, l->objid, l->objsubid);
    } else {
        t->relation = xstrdup(l->locktype);
    }
}

/* Locks held before the statement (a migration's own transaction) are kept
 * only on the relations the statement acts on: the rest is the transaction's,
 * not the statement's, business. */
static bool keep_held_before(const TraceLock *l)
{
    if (!l->held_before) return true;
    return strcmp(l->locktype, "relation") == 0 &&
           (strcmp(l->role, "table") == 0 || strcmp(l->role, "index") == 0 ||
            strcmp(l->role, "toast") == 0 || strcmp(l->role, "referenced") == 0);
}

/* The backend's own temporary schema: the first temporary object of a
 * session empties the schema an earlier session of the same backend slot
 * left behind, locking it (RemoveTempRelations). Whether that happens
 * depends on which slot the server gave the connection, not on the
 * statement, and no other session can ever wait for it. */
static bool temp_schema_housekeeping(const TraceLock *l)
{
    return strcmp(l->locktype, "object") == 0 && l->relation &&
           (strcmp(l->relation, "schema pg_temp") == 0 ||
            strcmp(l->relation, "schema pg_toast_temp") == 0);
}

static void build_locks(Trace *out, const View *v, const LockSet *locks)
{
    size_t cap = 0;
    for (size_t i = 0; i < locks->n; i++) {
        TraceLock t = {0};
        tracelock_from(&t, v, &locks->v[i], locks);
        if (!keep_held_before(&t) || temp_schema_housekeeping(&t)) {
            tracelock_free(&t);
            continue;
        }
        *ARRAY_PUSH(out->locks, out->nlocks, cap) = t;
    }
    if (out->nlocks > 1) qsort(out->locks, out->nlocks, sizeof(*out->locks), tracelock_cmp);
}

static void build_phases(Trace *out, const View *v, const RawPhase *ph, size_t n)
{
    if (!n) return;
    out->phases = xcalloc(n, sizeof(TracePhase));
    out->nphases = n;
    for (size_t i = 0; i < n; i++) {
        TracePhase *p = &out->phases[i];
        size_t cap = 0;
        for (size_t k = 0; k < ph[i].locks.n; k++) {
            const RawLock *l = &ph[i].locks.v[k];
            if (k == ph[i].wait) {
                tracelock_from(&p->waiting_for, v, l, &ph[i].locks);
                p->waiting_for.granted = false;
                continue;
            }
            TraceLock t = {0};
            tracelock_from(&t, v, l, &ph[i].locks);
            if (temp_schema_housekeeping(&t)) {
                tracelock_free(&t);
                continue;
            }
            *ARRAY_PUSH(p->locks, p->nlocks, cap) = t;
        }
        if (p->nlocks > 1) qsort(p->locks, p->nlocks, sizeof(*p->locks), tracelock_cmp);
    }
}

static const char *relkind_word(char k)
{
    switch (k) {
    case 'r':
        return "table";
    case 'p':
        return "partitioned table";
    case 'i':
        return "index";
    case 'I':
        return "partitioned index";
    case 'S':
        return "sequence";
    case 't':
        return "toast table";
    case 'v':
        return "view";
    case 'm':
        return "materialized view";
    case 'c':
        return "composite type";
    case 'f':
        return "foreign table";
    }
    return "relation";
}

static char *index_detail(const Snap *s, const Rel *r)
{
    const Rel *t = snap_rel(s, r->indrel);
    char *tn = t ? rel_display(s, t) : xstrdup("?");
    char *d =
        xasprintf("on %s%s%s", tn, r->valid ? "" : ", invalid", r->ready ? "" : ", not ready");
    free(tn);
    return d;
}

/* Whether r has storage of its own: partitioned tables and indexes have a
 * relfilenode before 12 but no file (0 from 12 on). */
static bool has_storage(const Rel *r)
{
    return r->filenode && r->kind != 'p' && r->kind != 'I';
}

/* A relation created again under a new oid (b: the old one, a: the new; na,
 * nb: their names): a rewrite when it has new storage; when it kept the old
 * relfilenode (an index reused by ALTER COLUMN TYPE) or has no storage (a
 * partitioned table or index), a change "index_recreated" or
 * "relation_recreated" and no rewrite. */
static void replaced(Trace *out, size_t *ccap, size_t *rcap, const Snap *a, const Rel *ra,
                     const char *na, const Rel *rb, const char *nb)
{
    if (has_storage(ra) && has_storage(rb) && ra->filenode != rb->filenode) {
        *ARRAY_PUSH(out->rewrites, out->nrewrites, *rcap) = xstrdup(na);
        return;
    }
    bool index = is_index_kind(ra->kind);
    char *d = index ? index_detail(a, ra) : xstrdup(relkind_word(ra->kind));
    char *detail = xasprintf("%s, %s%s%s", d, has_storage(ra) ? "storage kept" : "no storage",
                             strcmp(na, nb) ? ", was " : "", strcmp(na, nb) ? nb : "");
    free(d);
    add_change(out, ccap, index ? "index_recreated" : "relation_recreated", xstrdup(na), detail);
}

/* Before and after relations paired: by oid, then relations created again
 * under a new oid (replaced: same storage, else same name and kind: an index
 * rebuilt or reused, a toast table swapped). Rows both snapshots share are
 * unchanged and skipped at once. */
static void diff_relations(Trace *out, size_t *ccap, const Snap *b, const Snap *a)
{
    size_t rcap = 0;
    const Rel **gone = NULL, **born = NULL;
    size_t ngone = 0, cgone = 0, nborn = 0, cborn = 0;
    size_t i = 0, j = 0;
    while (i < b->nrels || j < a->nrels) {
        const Rel *rb = i < b->nrels ? b->rels[i] : NULL;
        const Rel *ra = j < a->nrels ? a->rels[j] : NULL;
        if (rb && ra && rb == ra) {
            i++, j++;
            continue;
        }
        if (rb && (!ra || rb->oid < ra->oid)) {
            *ARRAY_PUSH(gone, ngone, cgone) = rb;
            i++;
            continue;
        }
        if (ra && (!rb || ra->oid < rb->oid)) {
            *ARRAY_PUSH(born, nborn, cborn) = ra;
            j++;
            continue;
        }
        i++, j++; /* same oid, row changed */
        char *na = rel_display(a, ra), *nb = rel_display(b, rb);
        if (ra->filenode != rb->filenode && has_storage(ra) && has_storage(rb))
            *ARRAY_PUSH(out->rewrites, out->nrewrites, rcap) = xstrdup(na);
        if (strcmp(na, nb) != 0 && !is_toast_rel(a, ra))
            add_change(out, ccap, "relation_renamed", xstrdup(na), xasprintf("from %s", nb));
        if (is_index_kind(ra->kind)) {
            if (ra->valid != rb->valid)
                add_change(out, ccap, ra->valid ? "index_valid" : "index_invalid", xstrdup(na),
                           NULL);
            if (ra->ready != rb->ready)
                add_change(out, ccap, ra->ready ? "index_ready" : "index_not_ready", xstrdup(na),
                           NULL);
        }
        free(na);
        free(nb);
    }
    /* replaced: a new oid of the same kind with the old one's storage
     * (ALTER COLUMN TYPE creates an index again on its old relfilenode when
     * the type change is binary compatible), else with the same name */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t x = 0; x < nborn; x++) {
            if (!born[x]) continue;
            char *na = rel_display(a, born[x]);
            for (size_t y = 0; y < ngone; y++) {
                if (!gone[y] || gone[y]->kind != born[x]->kind) continue;
                char *nb = rel_display(b, gone[y]);
                bool same = pass == 0
                                ? has_storage(born[x]) && born[x]->filenode == gone[y]->filenode
                                : strcmp(na, nb) == 0;
                if (same) {
                    replaced(out, ccap, &rcap, a, born[x], na, gone[y], nb);
                    born[x] = gone[y] = NULL;
                }
                free(nb);
                if (same) break;
            }
            free(na);
        }
    }
    for (size_t x = 0; x < nborn; x++) {
        const Rel *r = born[x];
        if (!r || (is_index_kind(r->kind) && is_toast_rel(a, r))) continue;
        if (is_index_kind(r->kind))
            add_change(out, ccap, "index_created", rel_display(a, r), index_detail(a, r));
        else
            add_change(out, ccap, "relation_created", rel_display(a, r),
                       xstrdup(relkind_word(r->kind)));
    }
    for (size_t y = 0; y < ngone; y++) {
        const Rel *r = gone[y];
        if (!r || (is_index_kind(r->kind) && is_toast_rel(b, r))) continue;
        if (is_index_kind(r->kind))
            add_change(out, ccap, "index_dropped", rel_display(b, r), NULL);
        else
            add_change(out, ccap, "relation_dropped", rel_display(b, r),
                       xstrdup(relkind_word(r->kind)));
    }
    free(gone);
    free(born);
    if (out->nrewrites > 1) qsort(out->rewrites, out->nrewrites, sizeof(char *), str_cmp);
}

bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void column_added(Trace *out, size_t *ccap, const Snap *a, const Att *x)
{
    const Rel *ra = snap_rel(a, x->rel);
    if (!ra || x->dropped) return;
    Buf d;
    buf_init(&d);
    buf_printf(&d, "%s %s", x->name, x->type);
    if (x->notnull) buf_puts(&d, " not null");
    if (x->def) buf_printf(&d, " default %s", x->def);
    add_change(out, ccap, "column_added", rel_display(a, ra), buf_steal(&d));
}

static void column_changed(Trace *out, size_t *ccap, const Snap *a, const Att *y, const Att *x)
{
    const Rel *ra = snap_rel(a, x->rel);
    if (!ra) return;
    if (x->dropped && !y->dropped) {
        add_change(out, ccap, "column_dropped", rel_display(a, ra), xstrdup(y->name));
        return;
    }
    if (x->dropped || y->dropped) return;
    Buf d;
    buf_init(&d);
    buf_puts(&d, x->name);
    size_t base = d.len;
#define SEP (d.len > base ? "," : ":")
    if (strcmp(x->name, y->name) != 0) buf_printf(&d, "%s renamed from %s", SEP, y->name);
    if (x->typid != y->typid || x->typmod != y->typmod)
        buf_printf(&d, "%s type %s -> %s", SEP, y->type, x->type);
    if (x->notnull != y->notnull)
        buf_printf(&d, "%s %s not null", SEP, x->notnull ? "set" : "drop");
    if (!str_eq(x->defhash, y->defhash)) {
        if (!x->def)
            buf_printf(&d, "%s drop default", SEP);
        else if (!y->def)
            buf_printf(&d, "%s set default %s", SEP, x->def);
        else
            buf_printf(&d, "%s default %s -> %s", SEP, y->def, x->def);
    }
#undef SEP
    if (d.len > base) add_change(out, ccap, "column_altered", rel_display(a, ra), buf_steal(&d));
    buf_free(&d);
}

/* Columns of relations in both snapshots (a new relation's columns come with
 * it, a dropped relation's go with it). */
static void diff_columns(Trace *out, size_t *ccap, const Snap *b, const Snap *a)
{
    size_t i = 0, j = 0;
    while (i < b->natts || j < a->natts) {
        const Att *y = i < b->natts ? b->atts[i] : NULL;
        const Att *x = j < a->natts ? a->atts[j] : NULL;
        if (x && y && x == y) {
            i++, j++;
            continue;
        }
        int c = !y ? 1 : !x ? -1 : att_key_cmp(y, x);
        if (c < 0) {
            i++; /* only before: its relation is gone */
        } else if (c > 0) {
            if (snap_rel(b, x->rel)) column_added(out, ccap, a, x);
            j++;
        } else {
            column_changed(out, ccap, a, y, x);
            i++, j++;
        }
    }
}

static char *con_relation(const Snap *s, const Con *c)
{
    if (c->rel) {
        const Rel *r = snap_rel(s, c->rel);
        return r ? rel_display(s, r) : xasprintf("(relation %u)", c->rel);
    }
    return xstrdup(c->typname ? c->typname : "?");
}

static void diff_constraints(Trace *out, size_t *ccap, const Snap *b, const Snap *a)
{
    size_t i = 0, j = 0;
    while (i < b->ncons || j < a->ncons) {
        const Con *y = i < b->ncons ? b->cons[i] : NULL;
        const Con *x = j < a->ncons ? a->cons[j] : NULL;
        if (x && y && x == y) {
            i++, j++;
            continue;
        }
        int c = !y ? 1 : !x ? -1 : con_key_cmp(y, x);
        if (c < 0) {
            if (!y->rel || snap_rel(a, y->rel)) /* else it went with its relation */
                add_change(out, ccap, "constraint_dropped", con_relation(b, y),
                           xasprintf("%s %c", y->name, y->type));
            i++;
        } else if (c > 0) {
            if (!x->rel || snap_rel(b, x->rel)) /* else it came with its relation */
                add_change(
                    out, ccap, "constraint_added", con_relation(a, x),
                    xasprintf("%s %c %s", x->name, x->type, x->validated ? "valid" : "not valid"));
            j++;
        } else {
            if (x->validated && !y->validated)
                add_change(out, ccap, "constraint_validated", con_relation(a, x), xstrdup(x->name));
            i++, j++;
        }
    }
}

/* Scans of relations that existed before the statement: one it created
 * (new, or transient) was empty to everyone else (CREATE TABLE ... PRIMARY
 * KEY builds its index by reading the new table). */
static void build_scans(Trace *out, const View *v, const Scan *scans, size_t n)
{
    size_t cap = 0;
    for (size_t i = 0; i < n; i++) {
        if (scans[i].relid >= FIRST_USER_OID && !snap_rel(v->before, scans[i].relid)) continue;
        TraceScan *s = ARRAY_PUSH(out->scans, out->nscans, cap);
        s->relation = view_name(v, scans[i].relid);
        s->seq_scan = scans[i].seq_scan;
        s->tup_read = scans[i].tup_read;
    }
}

/* Fills out's locks, rewrites, scans and changes. */
void build_trace(Trace *out, const Statement *st, const Snap *before, const Snap *after,
                 const Snap *inside, const LockSet *locks, const Scan *scans, size_t nscans,
                 const RawPhase *phases, size_t nphases)
{
    View v;
    view_init(&v, before, after, inside, st);
    for (size_t i = 0; i < locks->n; i++) {
        unsigned oid = locks->v[i].relation;
        if (oid && view_is_transient(&v, oid)) oidset_add(&v.transient, oid);
    }
    for (size_t p = 0; p < nphases; p++)
        for (size_t i = 0; i < phases[p].locks.n; i++) {
            unsigned oid = phases[p].locks.v[i].relation;
            if (oid && view_is_transient(&v, oid)) oidset_add(&v.transient, oid);
        }
    for (size_t i = 0; i < nscans; i++)
        if (view_is_transient(&v, scans[i].relid)) oidset_add(&v.transient, scans[i].relid);
    if (v.transient.n > 1) qsort(v.transient.v, v.transient.n, sizeof(unsigned), oid_cmp);
    build_locks(out, &v, locks);
    build_phases(out, &v, phases, nphases);
    build_scans(out, &v, scans, nscans);
    size_t ccap = 0;
    diff_relations(out, &ccap, before, after);
    diff_columns(out, &ccap, before, after);
    diff_constraints(out, &ccap, before, after);
    view_free(&v);
}
