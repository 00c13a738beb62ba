/*
 * snapshot: the catalog snapshot (relations, columns, constraints).
 *
 * The catalog snapshot (relations, columns, constraints of every relation
 * with oid >= 16384) is read in full once, then kept up to date: catalog rows
 * of a relation only change under a lock on it, so the after-snapshot is the
 * before-snapshot with the rows of step 3 in place of the touched relations'
 * (rows are shared between the two; diffs skip shared rows at once). A
 * schema rename (which renames relations without locking them) makes the
 * tracer read everything again. The after-snapshot is the next statement's
 * before-snapshot, on the assumption that nothing but this tracer changes
 * the database's catalog; tracer_verify_cache checks that against a full
 * read (the tests do after every case). A statement that fails is rolled
 * back, so the snapshot stays valid. The
 * tracer's catalog queries are prepared statements (planning them cost more
 * than running them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner/trace/internal.h"

static void rel_unref(Rel *r)
{
    if (--r->refs > 0) return;
    free(r->nsp);
    free(r->name);
    free(r);
}

static void att_unref(Att *a)
{
    if (--a->refs > 0) return;
    free(a->name);
    free(a->type);
    free(a->def);
    free(a->defhash);
    free(a);
}

static void con_unref(Con *c)
{
    if (--c->refs > 0) return;
    free(c->name);
    free(c->typname);
    free(c);
}

void snap_free(Snap *s)
{
    for (size_t i = 0; i < s->nrels; i++)
        rel_unref(s->rels[i]);
    for (size_t i = 0; i < s->natts; i++)
        att_unref(s->atts[i]);
    for (size_t i = 0; i < s->ncons; i++)
        con_unref(s->cons[i]);
    free(s->rels);
    free(s->atts);
    free(s->cons);
    memset(s, 0, sizeof(*s));
}

unsigned val_oid(const char *v)
{
    return v ? (unsigned)strtoul(v, NULL, 10) : 0;
}

int val_int(const char *v)
{
    return v ? atoi(v) : 0;
}

unsigned long long val_ull(const char *v)
{
    return v ? strtoull(v, NULL, 10) : 0;
}

bool val_bool(const char *v)
{
    return v && v[0] == 't';
}

static int rel_cmp(const void *a, const void *b)
{
    unsigned x = (*(Rel *const *)a)->oid, y = (*(Rel *const *)b)->oid;
    return x < y ? -1 : x > y;
}

int att_key_cmp(const Att *x, const Att *y)
{
    if (x->rel != y->rel) return x->rel < y->rel ? -1 : 1;
    return x->num < y->num ? -1 : x->num > y->num;
}

static int att_cmp(const void *a, const void *b)
{
    return att_key_cmp(*(Att *const *)a, *(Att *const *)b);
}

int con_key_cmp(const Con *x, const Con *y)
{
    if (x->rel != y->rel) return x->rel < y->rel ? -1 : 1;
    if (x->typ != y->typ) return x->typ < y->typ ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int con_cmp(const void *a, const void *b)
{
    return con_key_cmp(*(Con *const *)a, *(Con *const *)b);
}

void snap_sort(Snap *s)
{
    if (s->nrels > 1) qsort(s->rels, s->nrels, sizeof(*s->rels), rel_cmp);
    if (s->natts > 1) qsort(s->atts, s->natts, sizeof(*s->atts), att_cmp);
    if (s->ncons > 1) qsort(s->cons, s->ncons, sizeof(*s->cons), con_cmp);
}

static void snap_push_rel(Snap *s, Rel *r)
{
    r->refs++;
    *ARRAY_PUSH(s->rels, s->nrels, s->crels) = r;
}

static void snap_push_att(Snap *s, Att *a)
{
    a->refs++;
    *ARRAY_PUSH(s->atts, s->natts, s->catts) = a;
}

static void snap_push_con(Snap *s, Con *c)
{
    c->refs++;
    *ARRAY_PUSH(s->cons, s->ncons, s->ccons) = c;
}

typedef struct IdxRow {
    unsigned oid, rel;
    bool valid, ready;
} IdxRow;

typedef struct InhRow {
    unsigned rel, parent;
    int seq;
} InhRow;

static int idx_cmp(const void *a, const void *b)
{
    unsigned x = ((const IdxRow *)a)->oid, y = ((const IdxRow *)b)->oid;
    return x < y ? -1 : x > y;
}

static int inh_cmp(const void *a, const void *b)
{
    const InhRow *x = a, *y = b;
    if (x->rel != y->rel) return x->rel < y->rel ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Any row of the key's relation (bsearch; the caller walks back to the first). */
static int inh_first_cmp(const void *a, const void *b)
{
    unsigned x = ((const InhRow *)a)->rel, y = ((const InhRow *)b)->rel;
    return x < y ? -1 : x > y;
}

/* The name of schema oid in a result of SQL_NSP's shape ("" when unknown). */
static const char *nsp_name(PGresult *nsp, unsigned oid)
{
    for (int i = 0; i < PQntuples(nsp); i++)
        if (val_oid(PQgetvalue(nsp, i, 0)) == oid) return PQgetvalue(nsp, i, 1);
    return "";
}

/* Relations from res[0..3]: pg_class rows, with their pg_index row, their
 * first parent (lowest inhseqno) and their schema's name. */
void snap_add_rels(Snap *s, PGresult *const *res)
{
    int ni = PQntuples(res[1]), nh = PQntuples(res[2]);
    IdxRow *idx = xcalloc((size_t)ni + 1, sizeof(*idx));
    InhRow *inh = xcalloc((size_t)nh + 1, sizeof(*inh));
    for (int i = 0; i < ni; i++)
        idx[i] = (IdxRow){val_oid(PQgetvalue(res[1], i, 0)), val_oid(PQgetvalue(res[1], i, 1)),
                          val_bool(PQgetvalue(res[1], i, 2)), val_bool(PQgetvalue(res[1], i, 3))};
    for (int i = 0; i < nh; i++)
        inh[i] = (InhRow){val_oid(PQgetvalue(res[2], i, 0)), val_oid(PQgetvalue(res[2], i, 1)),
                          atoi(PQgetvalue(res[2], i, 2))};
    if (ni > 1) qsort(idx, (size_t)ni, sizeof(*idx), idx_cmp);
    if (nh > 1) qsort(inh, (size_t)nh, sizeof(*inh), inh_cmp);
    PGresult *r = res[0];
    int n = PQntuples(r);
    for (int i = 0; i < n; i++) {
        Rel *x = xcalloc(1, sizeof(*x));
        x->oid = val_oid(PQgetvalue(r, i, 0));
        x->nsp = xstrdup(nsp_name(res[3], val_oid(PQgetvalue(r, i, 1))));
        x->name = xstrdup(PQgetvalue(r, i, 2));
        x->kind = PQgetvalue(r, i, 3)[0];
        x->filenode = val_oid(PQgetvalue(r, i, 4));
        x->toast = val_oid(PQgetvalue(r, i, 5));
        IdxRow ik = {.oid = x->oid};
        const IdxRow *ir = ni ? bsearch(&ik, idx, (size_t)ni, sizeof(*idx), idx_cmp) : NULL;
        if (ir) {
            x->indrel = ir->rel;
            x->valid = ir->valid;
            x->ready = ir->ready;
        }
        /* sorted by (rel, seq): x's first row is its first parent */
        InhRow hk = {.rel = x->oid, .seq = -1};
        InhRow *hr = nh ? bsearch(&hk, inh, (size_t)nh, sizeof(*inh), inh_first_cmp) : NULL;
        while (hr && hr > inh && hr[-1].rel == x->oid)
            hr--;
        if (hr) x->parent = hr->parent;
        snap_push_rel(s, x);
    }
    free(idx);
    free(inh);
}

static char *val_dup(PGresult *r, int i, int c)
{
    return PQgetisnull(r, i, c) ? NULL : xstrdup(PQgetvalue(r, i, c));
}

typedef struct DefRow {
    unsigned rel;
    int num, row;
} DefRow;

static int def_cmp(const void *a, const void *b)
{
    const DefRow *x = a, *y = b;
    if (x->rel != y->rel) return x->rel < y->rel ? -1 : 1;
    return x->num < y->num ? -1 : x->num > y->num;
}

bool snap_keeps_columns(char kind)
{
    return kind && strchr("rpvmf", kind) != NULL;
}

/* Columns from res[0] (pg_attribute rows) with their defaults (res[1],
 * pg_attrdef rows), of the relations of s (sorted) that keep columns. */
static void snap_add_atts(Snap *s, PGresult *const *res)
{
    PGresult *r = res[0], *d = res[1];
    int n = PQntuples(r), nd = PQntuples(d);
    DefRow *defs = xcalloc((size_t)nd + 1, sizeof(*defs));
    for (int i = 0; i < nd; i++)
        defs[i] = (DefRow){val_oid(PQgetvalue(d, i, 0)), atoi(PQgetvalue(d, i, 1)), i};
    if (nd > 1) qsort(defs, (size_t)nd, sizeof(*defs), def_cmp);
    for (int i = 0; i < n; i++) {
        unsigned rel = val_oid(PQgetvalue(r, i, 0));
        const Rel *owner = snap_rel(s, rel);
        if (!owner || !snap_keeps_columns(owner->kind)) continue;
        Att *x = xcalloc(1, sizeof(*x));
        x->rel = rel;
        x->num = atoi(PQgetvalue(r, i, 1));
        x->name = xstrdup(PQgetvalue(r, i, 2));
        x->type = xstrdup(PQgetvalue(r, i, 3));
        x->notnull = val_bool(PQgetvalue(r, i, 4));
        x->dropped = val_bool(PQgetvalue(r, i, 5));
        x->typid = val_oid(PQgetvalue(r, i, 6));
        x->typmod = atoi(PQgetvalue(r, i, 7));
        DefRow key = {.rel = rel, .num = x->num};
        const DefRow *dr = nd ? bsearch(&key, defs, (size_t)nd, sizeof(*defs), def_cmp) : NULL;
        if (dr) {
            x->def = val_dup(d, dr->row, 2);
            x->defhash = val_dup(d, dr->row, 3);
        }
        snap_push_att(s, x);
    }
    free(defs);
}

/* Rows of a result of the SQL_CON_COLS shape. */
static void snap_add_cons(Snap *s, PGresult *r)
{
    int n = PQntuples(r);
    for (int i = 0; i < n; i++) {
        Con *x = xcalloc(1, sizeof(*x));
        x->oid = val_oid(PQgetvalue(r, i, 0));
        x->rel = val_oid(PQgetvalue(r, i, 1));
        x->typ = val_oid(PQgetvalue(r, i, 2));
        x->frel = val_oid(PQgetvalue(r, i, 3));
        x->name = xstrdup(PQgetvalue(r, i, 4));
        x->type = PQgetvalue(r, i, 5)[0];
        x->validated = val_bool(PQgetvalue(r, i, 6));
        x->typname = val_dup(r, i, 7);
        snap_push_con(s, x);
    }
}

/* Fills s from results first..first+SNAP_NRES-1 of a reply to SQL_SNAP or
 * SQL_SNAP_T. */
int snap_load(Snap *s, const PgReply *r, size_t first)
{
    if (r->nres < first + SNAP_NRES) return -1;
    for (size_t i = first; i < first + SNAP_NRES; i++)
        if (PQresultStatus(r->res[i]) != PGRES_TUPLES_OK) return -1;
    snap_add_rels(s, r->res + first);
    snap_sort(s); /* the columns look their relations up */
    snap_add_atts(s, r->res + first + SNAP_ATT);
    snap_add_cons(s, r->res[first + SNAP_NRES - 1]);
    snap_sort(s);
    return 0;
}

size_t sql_lines(const char *sql, char ***out)
{
    size_t n = 0, cap = 0;
    *out = NULL;
    for (const char *p = sql; *p;) {
        const char *e = strstr(p, ";\n");
        size_t len = e ? (size_t)(e - p) : strlen(p);
        *ARRAY_PUSH(*out, n, cap) = xstrndup(p, len);
        p += len + (e ? 2 : 0);
    }
    return n;
}

const Rel *snap_rel(const Snap *s, unsigned oid)
{
    if (!s || !s->nrels) return NULL;
    Rel key = {.oid = oid};
    const Rel *kp = &key;
    Rel *const *p = bsearch(&kp, s->rels, s->nrels, sizeof(*s->rels), rel_cmp);
    return p ? *p : NULL;
}

const Con *snap_con(const Snap *s, const Con *like)
{
    if (!s->ncons) return NULL;
    Con *const *p = bsearch(&like, s->cons, s->ncons, sizeof(*s->cons), con_cmp);
    return p ? *p : NULL;
}

int oid_cmp(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return x < y ? -1 : x > y;
}

/* touched: sorted oids */
static bool oids_has(const unsigned *v, size_t n, unsigned oid)
{
    return n && bsearch(&oid, v, n, sizeof(unsigned), oid_cmp) != NULL;
}

/* The after-snapshot of a statement that touched (locked) the relations in
 * touched (sorted): before's rows of every other relation, shared, and
 * fresh's rows of the touched ones (fresh holds only touched relations,
 * except relations it names for locks, which are skipped here; its
 * constraints are those of touched relations and every domain constraint). */
void snap_merge(Snap *after, const Snap *before, const Snap *fresh, const unsigned *touched,
                size_t ntouched)
{
    /* both sides are sorted: merge them in one pass, no sort */
    memset(after, 0, sizeof(*after));
    size_t i = 0, j = 0;
    while (i < before->nrels || j < fresh->nrels) {
        Rel *b = i < before->nrels ? before->rels[i] : NULL;
        Rel *f = j < fresh->nrels ? fresh->rels[j] : NULL;
        if (b && oids_has(touched, ntouched, b->oid)) {
            i++;
            continue;
        }
        if (f && !oids_has(touched, ntouched, f->oid)) {
            j++;
            continue;
        }
        if (b && (!f || b->oid < f->oid)) {
            snap_push_rel(after, b);
            i++;
        } else {
            snap_push_rel(after, f);
            j++;
            if (b && b->oid == f->oid) i++;
        }
    }
    i = j = 0;
    while (i < before->natts || j < fresh->natts) {
        Att *b = i < before->natts ? before->atts[i] : NULL;
        Att *f = j < fresh->natts ? fresh->atts[j] : NULL;
        if (b && oids_has(touched, ntouched, b->rel)) {
            i++;
            continue;
        }
        if (b && (!f || att_key_cmp(b, f) < 0)) {
            snap_push_att(after, b);
            i++;
        } else {
            snap_push_att(after, f);
            j++;
            if (b && att_key_cmp(b, f) == 0) i++;
        }
    }
    i = j = 0;
    while (i < before->ncons || j < fresh->ncons) {
        Con *b = i < before->ncons ? before->cons[i] : NULL;
        Con *f = j < fresh->ncons ? fresh->cons[j] : NULL;
        if (b && (!b->rel || oids_has(touched, ntouched, b->rel))) {
            i++;
            continue;
        }
        if (b && (!f || con_key_cmp(b, f) < 0)) {
            snap_push_con(after, b);
            i++;
        } else {
            snap_push_con(after, f);
            j++;
            if (b && con_key_cmp(b, f) == 0) i++;
        }
    }
}

unsigned snap_max_oid(const Snap *s)
{
    return s->nrels ? s->rels[s->nrels - 1]->oid : FIRST_USER_OID - 1;
}

bool is_index_kind(char k)
{
    return k == 'i' || k == 'I';
}

/* The toast table's owner: the relation of s whose reltoastrelid it is. */
static const Rel *toast_owner(const Snap *s, unsigned toast_oid)
{
    for (size_t i = 0; i < s->nrels; i++)
        if (s->rels[i]->toast == toast_oid) return s->rels[i];
    return NULL;
}

static char *qualified(const Rel *r)
{
    if (strcmp(r->nsp, "public") == 0) return xstrdup(r->name);
    if (strncmp(r->nsp, "pg_temp_", 8) == 0) return xasprintf("pg_temp.%s", r->name);
    return xasprintf("%s.%s", r->nsp, r->name);
}

/* The name reports use for r (found in s). Caller frees. */
char *rel_display(const Snap *s, const Rel *r)
{
    if (r->kind == 't') {
        const Rel *o = toast_owner(s, r->oid);
        if (o) {
            char *on = qualified(o);
            char *res = xasprintf("toast(%s)", on);
            free(on);
            return res;
        }
    } else if (is_index_kind(r->kind) && r->indrel) {
        const Rel *tt = snap_rel(s, r->indrel);
        const Rel *o = tt && tt->kind == 't' ? toast_owner(s, tt->oid) : NULL;
        if (o) {
            char *on = qualified(o);
            char *res = xasprintf("toast_index(%s)", on);
            free(on);
            return res;
        }
    }
    return qualified(r);
}

bool is_toast_rel(const Snap *s, const Rel *r)
{
    if (r->kind == 't') return true;
    if (is_index_kind(r->kind) && r->indrel) {
        const Rel *tt = snap_rel(s, r->indrel);
        return tt && tt->kind == 't';
    }
    return false;
}

const char *tracer_snap_sql(const Tracer *t)
{
    return tracer_use_prepared(t) ? t->snap_prepared : t->snap_plain;
}

/* Reads the whole catalog snapshot into s (empty): through the prepared
 * queries when the tracer may, in plain text again when they are gone. -1
 * with err when it cannot (s freed, the tracer's snapshot no longer
 * trusted). */
int snap_read(Tracer *t, Snap *s, Err *err)
{
    PgReply r;
    PgStatus st = pgconn_exec(t->traced, tracer_snap_sql(t), TRACER_QUERY_MS, &r);
    if (tracer_lost_prepared(t, &r)) {
        pgreply_clear(&r);
        st = pgconn_exec(t->traced, t->snap_plain, TRACER_QUERY_MS, &r);
    }
    int rc = 0;
    if (st == PG_LOST)
        rc = tracer_lost(t, "traced", &r, err);
    else if (st != PG_OK || snap_load(s, &r, 0) < 0)
        rc = err_set(err, EXIT_ENV, "could not read the catalog snapshot: %s",
                     r.message ? r.message : "unexpected result");
    pgreply_clear(&r);
    if (rc < 0) {
        snap_free(s);
        t->cache_valid = false;
    }
    return rc;
}

int tracer_snapshot(Tracer *t, Err *err)
{
    if (t->cache_valid) return 0;
    snap_free(&t->cache);
    if (snap_read(t, &t->cache, err) < 0) return -1;
    t->cache_valid = true;
    return 0;
}

/* The relations whose catalog rows the statement may have changed, as far
 * as the before-snapshot tells: every relation it locked, and their indexes,
 * toast tables and toast indexes (relations newer than the snapshot are read
 * by oid > its highest). Catalog relations locked are added for their names
 * only. Sorted, unique. */
void locked_family(const Snap *cache, const LockSet *locks, OidSet *out)
{
    for (size_t i = 0; i < locks->n; i++) {
        unsigned oid = locks->v[i].relation;
        if (!oid) continue;
        oidset_add(out, oid);
        const Rel *r = snap_rel(cache, oid);
        if (!r) continue;
        if (r->toast) oidset_add(out, r->toast);
        for (size_t k = 0; k < cache->nrels; k++) {
            const Rel *x = cache->rels[k];
            if (is_index_kind(x->kind) && x->indrel &&
                (x->indrel == oid || (r->toast && x->indrel == r->toast)))
                oidset_add(out, x->oid);
        }
    }
    if (out->n > 1) qsort(out->v, out->n, sizeof(unsigned), oid_cmp);
}

/* A schema renamed renames relations it does not lock: when the statement
 * wrote pg_namespace (a RowExclusiveLock or stronger on it, or an object lock
 * on a schema stronger than AccessShareLock), read everything. */
bool needs_full_snapshot(const LockSet *locks)
{
    for (size_t i = 0; i < locks->n; i++) {
        const RawLock *l = &locks->v[i];
        if (strcmp(l->locktype, "object") == 0 && l->classid == 2615 /* pg_namespace */ &&
            strcmp(l->mode, "AccessShareLock") != 0)
            return true;
        if (strcmp(l->locktype, "relation") == 0 && l->relation == 2615 &&
            lock_mode_rank(l->mode) >= lock_mode_rank("RowExclusiveLock"))
            return true;
    }
    return false;
}

static bool rel_same(const Rel *a, const Rel *b)
{
    return a->oid == b->oid && strcmp(a->nsp, b->nsp) == 0 && strcmp(a->name, b->name) == 0 &&
           a->kind == b->kind && a->filenode == b->filenode && a->toast == b->toast &&
           a->indrel == b->indrel && a->valid == b->valid && a->ready == b->ready;
}

static bool att_same(const Att *a, const Att *b)
{
    return att_key_cmp(a, b) == 0 && strcmp(a->name, b->name) == 0 && a->typid == b->typid &&
           a->typmod == b->typmod && a->notnull == b->notnull && a->dropped == b->dropped &&
           str_eq(a->defhash, b->defhash);
}

static bool con_same(const Con *a, const Con *b)
{
    return con_key_cmp(a, b) == 0 && a->oid == b->oid && a->frel == b->frel && a->type == b->type &&
           a->validated == b->validated;
}

int tracer_verify_cache(Tracer *t, Err *err)
{
    if (!t->cache_valid) return 0;
    PgReply r;
    Snap full = {0};
    PgStatus s = pgconn_exec(t->traced, t->snap_plain, TRACER_QUERY_MS, &r);
    if (s != PG_OK || snap_load(&full, &r, 0) < 0) {
        int rc = err_set(err, EXIT_ENV, "could not read the catalog snapshot: %s",
                         r.message ? r.message : "unexpected result");
        pgreply_clear(&r);
        snap_free(&full);
        return rc;
    }
    pgreply_clear(&r);
    const Snap *c = &t->cache;
    int bad = 0;
    if (c->nrels != full.nrels || c->natts != full.natts || c->ncons != full.ncons) bad++;
    for (size_t i = 0; !bad && i < full.nrels; i++)
        bad += !rel_same(c->rels[i], full.rels[i]);
    for (size_t i = 0; !bad && i < full.natts; i++)
        bad += !att_same(c->atts[i], full.atts[i]);
    for (size_t i = 0; !bad && i < full.ncons; i++)
        bad += !con_same(c->cons[i], full.cons[i]);
    if (bad)
        err_set(err, 0,
                "cached snapshot differs from the catalog (%zu/%zu relations, %zu/%zu columns, "
                "%zu/%zu constraints)",
                c->nrels, full.nrels, c->natts, full.natts, c->ncons, full.ncons);
    snap_free(&full);
    return bad;
}
