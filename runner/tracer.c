/*
 * tracer: runs one statement on one server and observes what it does.
 *
 * Transactional path, three round trips on the traced connection:
 *
 *   1. "BEGIN; <scan baseline>; <statement>"               -> duration_ms
 *      (the baseline reads pg_stat_get_xact_numscans for the known tables
 *      from a constant array: it takes no lock)
 *   2. the own backend's locks: pg_lock_status() called directly takes no
 *      relation lock, so the capture holds only the statement's locks
 *      (checked: SELECT 1 shows none on 10, 15, 17)
 *   3. still inside the transaction: the catalog rows of the relations the
 *      statement locked (with their indexes and toast tables) and of every
 *      relation newer than the snapshot; object descriptions; scan counters
 *      (minus the baseline: pg_stat_xact_* also counts earlier transactions
 *      whose counts are not flushed yet); COMMIT
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
 * back, so the snapshot stays valid; transaction control drops it. The
 * tracer's catalog queries are prepared statements (planning them cost more
 * than running them).
 *
 * Observer path (statements that cannot run in a transaction block: info.no_tx,
 * info.no_tx_below above the server's major, or refused with 25001 or 2D000
 * inside one): the observer connection locks the target (an index target:
 * its table) in ACCESS EXCLUSIVE mode, the traced connection sends the
 * statement in autocommit, the observer reads the traced backend's locks
 * while the statement waits for its first lock on the target (capture
 * "observer"; "poll" when that did not happen). Then the leapfrog: a second
 * observer connection (opened the first time it is needed) queues its own
 * ACCESS EXCLUSIVE request behind the statement's before the first lets go,
 * so that the statement's next fresh request on the target waits again and
 * is read exactly too (VACUUM: its lookup AccessShareLock, then its
 * ShareUpdateExclusiveLock). Between those waits the locks are sampled in a
 * loop that waits on every socket at once. The observations are united; a
 * statement that went on got every lock it was seen waiting for (only a
 * cancel, lock timeout or deadlock ends one while it waits). Short locks
 * between two samples can be missed; sequential scans are not available; the
 * after-snapshot is read in full; duration_ms excludes the time the
 * statement waited for the observers.
 *
 * Transaction control (info.tx_control: BEGIN, COMMIT ... in a migration)
 * runs plainly, capture "none", no locks, and drops the cached snapshot; a
 * later version traces a migration's own transaction as one (held_before).
 *
 * Roles of relation locks, first match wins: new, transient, catalog (oid
 * below 16384: pg_catalog relations locked by the statement itself), table,
 * index, toast (toast tables and their indexes), sequence, referenced, other.
 * Non-relation locks have the locktype as role. The own virtualxid and
 * transactionid (ExclusiveLock held by the traced backend on its own
 * transaction's ids) are not reported: they are the transaction's identity,
 * not a lock the statement takes on anything. Waits on other transactions'
 * ids (ShareLock) are reported, except waits on the observer's own queries.
 *
 * Names: schema-qualified outside public ("pg_temp" for any temporary
 * schema); a toast table is "toast(<table>)" and its index
 * "toast_index(<table>)", so that names do not depend on oids and compare
 * across versions; a relation that existed only inside the statement is
 * "(transient N)", numbered in oid order; an object lock whose object no
 * longer exists at capture time is "<catalog> (gone N)".
 */
#include "runner/tracer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner/pgconn.h"

#define FIRST_USER_OID 16384u
#define CONNECT_TIMEOUT_MS 10000
#define TRACER_QUERY_MS 60000   /* the tracer's own catalog queries */
#define OBSERVER_LOCK_MS 2000   /* the observer's LOCK TABLE */
#define OBSERVER_HOLD_MS 1000   /* longest the observer holds the target without seeing a wait */
#define LEAPFROG_WAIT_MS 200    /* lock_timeout of an observer queued behind the statement */
#define LEAPFROG_QUEUE_MS 50    /* longest wait to see it queued before letting go anyway */
#define LEAPFROG_MAX_PHASES 16
#define DEFAULT_TIMEOUT_MS 60000

/* ---- SQL ------------------------------------------------------------------ */

#define SQL_REL_COLS                                                                     \
    "SELECT c.oid, n.nspname, c.relname, c.relkind, c.relfilenode, c.reltoastrelid, "    \
    "i.indrelid, i.indisvalid, i.indisready "                                           \
    "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace " \
    "LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid "

#define SQL_RELS SQL_REL_COLS "WHERE c.oid >= 16384"

#define SQL_ATT_COLS                                                                     \
    "SELECT a.attrelid, a.attnum, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), " \
    "a.attnotnull, a.attisdropped, pg_catalog.pg_get_expr(d.adbin, d.adrelid), "        \
    "a.atttypid, a.atttypmod, pg_catalog.md5(d.adbin::pg_catalog.text) "                \
    "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "  \
    "LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
#define SQL_ATT_KINDS "a.attnum > 0 AND c.relkind IN ('r','p','v','m','f')"
#define SQL_ATTS SQL_ATT_COLS "WHERE a.attrelid >= 16384 AND " SQL_ATT_KINDS

#define SQL_CON_COLS                                                                     \
    "SELECT c.oid, c.conrelid, c.contypid, c.confrelid, c.conname, c.contype, c.convalidated, " \
    "CASE WHEN c.contypid <> 0 THEN pg_catalog.format_type(c.contypid, NULL) END "      \
    "FROM pg_catalog.pg_constraint c "
#define SQL_CONS SQL_CON_COLS "WHERE c.oid >= 16384"

/* the catalog snapshot: three results */
#define SQL_SNAP SQL_RELS ";\n" SQL_ATTS ";\n" SQL_CONS

#define SQL_LOCK_COLS                                                                    \
    "locktype, database, relation, page, tuple, virtualxid, transactionid, classid, objid, " \
    "objsubid, mode, granted"

#define SQL_OWN_LOCKS                                                                    \
    "SELECT " SQL_LOCK_COLS " FROM pg_catalog.pg_lock_status() "                        \
    "WHERE pid = pg_catalog.pg_backend_pid()"

/* Catalog rows of relations can only change under a lock on them: the
 * after-snapshot reads again, inside the statement's transaction, only the
 * relations it locked, their indexes and toast tables ($1, an oid[]) and
 * every relation newer than the before-snapshot ($2: its highest oid); the
 * rows of every other relation are kept from the before-snapshot.
 * Exception: a schema renamed renames relations it does not lock; when the
 * statement wrote pg_namespace the tracer reads everything. $1 also carries
 * the catalog relations locked, for their names (never merged). */
#define SQL_RELS_T SQL_REL_COLS "WHERE c.oid = ANY($1) OR c.oid > $2"
#define SQL_ATTS_T                                                                       \
    SQL_ATT_COLS "WHERE a.attrelid >= 16384 AND (a.attrelid = ANY($1) OR a.attrelid > $2) AND " \
    SQL_ATT_KINDS
/* constraints of those relations, and of every domain */
#define SQL_CONS_T                                                                       \
    SQL_CON_COLS "WHERE (c.conrelid >= 16384 AND (c.conrelid = ANY($1) OR c.conrelid > $2)) " \
    "OR (c.conrelid = 0 AND c.oid >= 16384)"

/* Sequential scans: pg_stat_xact_user_tables also counts earlier transactions
 * of the session whose counts are not flushed yet, so the statement's scans
 * are the difference with a baseline read just before it, inside the
 * transaction, through the same functions (which take no lock). */
#define SQL_SCAN_COLS                                                                    \
    "pg_catalog.pg_stat_get_xact_numscans(x), pg_catalog.pg_stat_get_xact_tuples_returned(x)"
#define SQL_SCANS                                                                        \
    "SELECT x, " SQL_SCAN_COLS " FROM (SELECT c.oid AS x FROM pg_catalog.pg_class c "    \
    "WHERE c.oid >= 16384 AND c.relkind IN ('r','m')) s "                                \
    "WHERE pg_catalog.pg_stat_get_xact_numscans(x) > 0"

/* Before 14, pg_describe_object raises an error for an object that does not
 * exist (the row type of a rewrite's transient heap): describe only objects
 * found in their catalog. From 14 on it returns NULL. */
#define SQL_DESCRIBE_14 "pg_catalog.pg_describe_object(o.classid, o.objid, o.objsubid)"
static const char *const describable[] = {
    "pg_type", "pg_constraint", "pg_class", "pg_proc", "pg_namespace", "pg_database",
    "pg_authid", "pg_extension", "pg_trigger", "pg_rewrite", "pg_attrdef", "pg_opclass",
    "pg_operator", "pg_opfamily", "pg_collation", "pg_conversion", "pg_language",
    "pg_foreign_server", "pg_foreign_data_wrapper", "pg_event_trigger", "pg_publication",
    "pg_subscription", "pg_policy", "pg_ts_config", "pg_ts_dict", "pg_ts_parser",
    "pg_ts_template", "pg_tablespace", "pg_am", "pg_cast", "pg_enum", "pg_statistic_ext",
};

/* ---- catalog snapshot ------------------------------------------------------ */

/* Rows are shared between snapshots (the after-snapshot of a statement keeps
 * the rows of every relation the statement did not touch): each row counts
 * its references and is freed with the last one. Two snapshots holding the
 * same row pointer hold the same, unchanged catalog row. */
typedef struct Rel {
    int refs;
    unsigned oid;
    char *nsp, *name;     /* owned */
    char kind;            /* relkind */
    unsigned filenode;
    unsigned toast;       /* reltoastrelid */
    unsigned indrel;      /* indexes: the table */
    bool valid, ready;    /* indexes: indisvalid, indisready */
} Rel;

typedef struct Att {
    int refs;
    unsigned rel;
    int num;
    char *name, *type;    /* type as format_type prints it; owned */
    char *def;            /* default as pg_get_expr prints it; owned; NULL when none */
    char *defhash;        /* md5 of adbin (compared: names in def may change); owned; NULL */
    unsigned typid;
    int typmod;
    bool notnull, dropped;
} Att;

typedef struct Con {
    int refs;
    unsigned oid, rel, typ, frel;
    char *name;     /* owned */
    char *typname;  /* domain constraints: the domain; owned */
    char type;      /* contype */
    bool validated;
} Con;

typedef struct Snap {
    Rel **rels; size_t nrels, crels; /* sorted by oid */
    Att **atts; size_t natts, catts; /* sorted by (rel, num) */
    Con **cons; size_t ncons, ccons; /* sorted by (rel, typ, name) */
} Snap;

static void rel_unref(Rel *r)
{
    if (--r->refs > 0)
        return;
    free(r->nsp);
    free(r->name);
    free(r);
}

static void att_unref(Att *a)
{
    if (--a->refs > 0)
        return;
    free(a->name);
    free(a->type);
    free(a->def);
    free(a->defhash);
    free(a);
}

static void con_unref(Con *c)
{
    if (--c->refs > 0)
        return;
    free(c->name);
    free(c->typname);
    free(c);
}

static void snap_free(Snap *s)
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

static unsigned val_oid(const char *v)
{
    return v ? (unsigned)strtoul(v, NULL, 10) : 0;
}

static int val_int(const char *v)
{
    return v ? atoi(v) : 0;
}

static unsigned long long val_ull(const char *v)
{
    return v ? strtoull(v, NULL, 10) : 0;
}

static bool val_bool(const char *v)
{
    return v && v[0] == 't';
}

static int rel_cmp(const void *a, const void *b)
{
    unsigned x = (*(Rel *const *)a)->oid, y = (*(Rel *const *)b)->oid;
    return x < y ? -1 : x > y;
}

static int att_key_cmp(const Att *x, const Att *y)
{
    if (x->rel != y->rel)
        return x->rel < y->rel ? -1 : 1;
    return x->num < y->num ? -1 : x->num > y->num;
}

static int att_cmp(const void *a, const void *b)
{
    return att_key_cmp(*(Att *const *)a, *(Att *const *)b);
}

static int con_key_cmp(const Con *x, const Con *y)
{
    if (x->rel != y->rel)
        return x->rel < y->rel ? -1 : 1;
    if (x->typ != y->typ)
        return x->typ < y->typ ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int con_cmp(const void *a, const void *b)
{
    return con_key_cmp(*(Con *const *)a, *(Con *const *)b);
}

static void snap_sort(Snap *s)
{
    if (s->nrels > 1)
        qsort(s->rels, s->nrels, sizeof(*s->rels), rel_cmp);
    if (s->natts > 1)
        qsort(s->atts, s->natts, sizeof(*s->atts), att_cmp);
    if (s->ncons > 1)
        qsort(s->cons, s->ncons, sizeof(*s->cons), con_cmp);
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

/* Rows of a result of the SQL_REL_COLS shape. */
static void snap_add_rels(Snap *s, PGresult *r)
{
    int n = PQntuples(r);
    for (int i = 0; i < n; i++) {
        Rel *x = xcalloc(1, sizeof(*x));
        x->oid = val_oid(PQgetvalue(r, i, 0));
        x->nsp = xstrdup(PQgetvalue(r, i, 1));
        x->name = xstrdup(PQgetvalue(r, i, 2));
        x->kind = PQgetvalue(r, i, 3)[0];
        x->filenode = val_oid(PQgetvalue(r, i, 4));
        x->toast = val_oid(PQgetvalue(r, i, 5));
        x->indrel = PQgetisnull(r, i, 6) ? 0 : val_oid(PQgetvalue(r, i, 6));
        x->valid = val_bool(PQgetvalue(r, i, 7));
        x->ready = val_bool(PQgetvalue(r, i, 8));
        snap_push_rel(s, x);
    }
}

static char *val_dup(PGresult *r, int i, int c)
{
    return PQgetisnull(r, i, c) ? NULL : xstrdup(PQgetvalue(r, i, c));
}

/* Rows of a result of the SQL_ATT_COLS shape. */
static void snap_add_atts(Snap *s, PGresult *r)
{
    int n = PQntuples(r);
    for (int i = 0; i < n; i++) {
        Att *x = xcalloc(1, sizeof(*x));
        x->rel = val_oid(PQgetvalue(r, i, 0));
        x->num = atoi(PQgetvalue(r, i, 1));
        x->name = xstrdup(PQgetvalue(r, i, 2));
        x->type = xstrdup(PQgetvalue(r, i, 3));
        x->notnull = val_bool(PQgetvalue(r, i, 4));
        x->dropped = val_bool(PQgetvalue(r, i, 5));
        x->def = val_dup(r, i, 6);
        x->typid = val_oid(PQgetvalue(r, i, 7));
        x->typmod = atoi(PQgetvalue(r, i, 8));
        x->defhash = val_dup(r, i, 9);
        snap_push_att(s, x);
    }
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

/* Fills s from results first..first+2 of a reply to SQL_SNAP (relations,
 * attributes, constraints). */
static int snap_load(Snap *s, const PgReply *r, size_t first)
{
    if (r->nres < first + 3)
        return -1;
    for (size_t i = first; i < first + 3; i++)
        if (PQresultStatus(r->res[i]) != PGRES_TUPLES_OK)
            return -1;
    snap_add_rels(s, r->res[first]);
    snap_add_atts(s, r->res[first + 1]);
    snap_add_cons(s, r->res[first + 2]);
    snap_sort(s);
    return 0;
}

static const Rel *snap_rel(const Snap *s, unsigned oid)
{
    if (!s || !s->nrels)
        return NULL;
    Rel key = {.oid = oid};
    const Rel *kp = &key;
    Rel *const *p = bsearch(&kp, s->rels, s->nrels, sizeof(*s->rels), rel_cmp);
    return p ? *p : NULL;
}

static const Con *snap_con(const Snap *s, const Con *like)
{
    if (!s->ncons)
        return NULL;
    Con *const *p = bsearch(&like, s->cons, s->ncons, sizeof(*s->cons), con_cmp);
    return p ? *p : NULL;
}

static int oid_cmp(const void *a, const void *b)
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
static void snap_merge(Snap *after, const Snap *before, const Snap *fresh, const unsigned *touched,
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
            if (b && b->oid == f->oid)
                i++;
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
            if (b && att_key_cmp(b, f) == 0)
                i++;
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
            if (b && con_key_cmp(b, f) == 0)
                i++;
        }
    }
}

static unsigned snap_max_oid(const Snap *s)
{
    return s->nrels ? s->rels[s->nrels - 1]->oid : FIRST_USER_OID - 1;
}

static bool is_index_kind(char k)
{
    return k == 'i' || k == 'I';
}

/* The toast table's owner: the relation of s whose reltoastrelid it is. */
static const Rel *toast_owner(const Snap *s, unsigned toast_oid)
{
    for (size_t i = 0; i < s->nrels; i++)
        if (s->rels[i]->toast == toast_oid)
            return s->rels[i];
    return NULL;
}

static char *qualified(const Rel *r)
{
    if (strcmp(r->nsp, "public") == 0)
        return xstrdup(r->name);
    if (strncmp(r->nsp, "pg_temp_", 8) == 0)
        return xasprintf("pg_temp.%s", r->name);
    return xasprintf("%s.%s", r->nsp, r->name);
}

/* The name reports use for r (found in s). Caller frees. */
static char *rel_display(const Snap *s, const Rel *r)
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

static bool is_toast_rel(const Snap *s, const Rel *r)
{
    if (r->kind == 't')
        return true;
    if (is_index_kind(r->kind) && r->indrel) {
        const Rel *tt = snap_rel(s, r->indrel);
        return tt && tt->kind == 't';
    }
    return false;
}

/* ---- raw locks -------------------------------------------------------------- */

typedef struct RawLock {
    char *locktype;    /* owned */
    char *mode;        /* owned */
    char *vxid;        /* virtualxid; owned; NULL */
    unsigned database, relation, classid, objid;
    unsigned long long xid;
    int page, tuple, objsubid;
    bool has_page, has_tuple;
    bool granted;
    char *desc;        /* object: pg_describe_object inside the transaction; owned; NULL */
    char *catalog;     /* object: the catalog's name; owned; NULL */
} RawLock;

typedef struct LockSet {
    RawLock *v;
    size_t n, cap;
} LockSet;

static void lockset_free(LockSet *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].locktype);
        free(s->v[i].mode);
        free(s->v[i].vxid);
        free(s->v[i].desc);
        free(s->v[i].catalog);
    }
    free(s->v);
    memset(s, 0, sizeof(*s));
}

static bool same_lock(const RawLock *a, const RawLock *b)
{
    return strcmp(a->locktype, b->locktype) == 0 && strcmp(a->mode, b->mode) == 0 &&
           a->database == b->database && a->relation == b->relation &&
           a->classid == b->classid && a->objid == b->objid && a->objsubid == b->objsubid &&
           a->xid == b->xid && a->page == b->page && a->tuple == b->tuple &&
           a->has_page == b->has_page && a->has_tuple == b->has_tuple &&
           ((!a->vxid && !b->vxid) || (a->vxid && b->vxid && strcmp(a->vxid, b->vxid) == 0));
}

/* Reads row i of a result with SQL_LOCK_COLS starting at column c0. */
static void rawlock_read(RawLock *l, PGresult *r, int i, int c0)
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

/* Adds l to s, or merges it with an equal lock (granted when ever granted).
 * Takes l's fields. */
static void lockset_add(LockSet *s, RawLock *l)
{
    for (size_t i = 0; i < s->n; i++) {
        if (same_lock(&s->v[i], l)) {
            s->v[i].granted = s->v[i].granted || l->granted;
            free(l->locktype);
            free(l->mode);
            free(l->vxid);
            free(l->desc);
            free(l->catalog);
            return;
        }
    }
    *ARRAY_PUSH(s->v, s->n, s->cap) = *l;
}

/* The own transaction's identity: its virtualxid and transactionid, held in
 * ExclusiveLock by the backend that owns them. */
static bool is_own_xact_lock(const RawLock *l)
{
    return l->granted && strcmp(l->mode, "ExclusiveLock") == 0 &&
           (strcmp(l->locktype, "virtualxid") == 0 || strcmp(l->locktype, "transactionid") == 0);
}

/* ---- the trace result ------------------------------------------------------ */

const char *trace_status_name(TraceStatus s)
{
    switch (s) {
    case TRACE_OK: return "ok";
    case TRACE_ERROR: return "error";
    case TRACE_SKIPPED: return "skipped";
    case TRACE_TIMEOUT: return "timeout";
    }
    return "unknown";
}

void trace_free(Trace *t)
{
    if (!t)
        return;
    free(t->message);
    for (size_t i = 0; i < t->nlocks; i++) {
        free(t->locks[i].relation);
        free(t->locks[i].locktype);
        free(t->locks[i].mode);
    }
    free(t->locks);
    for (size_t i = 0; i < t->nrewrites; i++)
        free(t->rewrites[i]);
    free(t->rewrites);
    for (size_t i = 0; i < t->nscans; i++)
        free(t->scans[i].relation);
    free(t->scans);
    for (size_t i = 0; i < t->nchanges; i++) {
        free(t->changes[i].kind);
        free(t->changes[i].relation);
        free(t->changes[i].detail);
    }
    free(t->changes);
    memset(t, 0, sizeof(*t));
}

static void add_change(Trace *out, size_t *cap, const char *kind, char *relation, char *detail)
{
    TraceChange *c = ARRAY_PUSH(out->changes, out->nchanges, *cap);
    c->kind = xstrdup(kind);
    c->relation = relation;
    c->detail = detail;
}

/* ---- roles ------------------------------------------------------------------- */

static const char *const role_order[] = {"table",    "index", "toast", "sequence", "referenced",
                                         "new",      "transient", "catalog", "other"};

static int role_rank(const char *role)
{
    for (size_t i = 0; i < ARRAY_LEN(role_order); i++)
        if (strcmp(role, role_order[i]) == 0)
            return (int)i;
    return (int)ARRAY_LEN(role_order);
}

static const char *const mode_order[] = {
    "AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock",
    "ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"};

static int mode_rank(const char *mode)
{
    for (size_t i = 0; i < ARRAY_LEN(mode_order); i++)
        if (strcmp(mode, mode_order[i]) == 0)
            return (int)i;
    return (int)ARRAY_LEN(mode_order);
}

/* pg_locks locktypes as static strings (TraceLock.role is static). */
static const char *const locktypes[] = {"relation", "extend",  "frozenid", "page",
                                        "tuple",    "transactionid", "virtualxid", "spectoken",
                                        "object",   "userlock", "advisory", "applytransaction"};

static const char *static_locktype(const char *t)
{
    for (size_t i = 0; i < ARRAY_LEN(locktypes); i++)
        if (strcmp(t, locktypes[i]) == 0)
            return locktypes[i];
    return "other";
}

typedef struct OidSet {
    unsigned *v;
    size_t n, cap;
} OidSet;

static bool oidset_has(const OidSet *s, unsigned oid)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i] == oid)
            return true;
    return false;
}

static void oidset_add(OidSet *s, unsigned oid)
{
    if (oid && !oidset_has(s, oid))
        *ARRAY_PUSH(s->v, s->n, s->cap) = oid;
}

/* What the tracer knows about one statement's relations. */
typedef struct View {
    const Snap *before, *after;
    const Snap *inside;      /* resolved inside the transaction (or by the observer); may be NULL */
    OidSet target;           /* oids of the statement's target */
    OidSet referenced;       /* oids named in info.referenced or FK targets of added constraints */
    OidSet transient;        /* sorted: relations in neither snapshot */
} View;

static bool name_matches(const Rel *r, const char *name, const char *schema)
{
    if (strcmp(r->name, name) != 0)
        return false;
    return !schema || strcmp(r->nsp, schema) == 0;
}

/* "s.t" or "t" as written in info.referenced */
static bool ref_matches(const Rel *r, const char *ref)
{
    const char *dot = strchr(ref, '.');
    if (!dot)
        return strcmp(r->name, ref) == 0;
    size_t n = (size_t)(dot - ref);
    return strlen(r->nsp) == n && strncmp(r->nsp, ref, n) == 0 && strcmp(r->name, dot + 1) == 0;
}

static void collect_names(OidSet *set, const Snap *s, const char *name, const char *schema,
                          bool ref)
{
    if (!s || !name)
        return;
    for (size_t i = 0; i < s->nrels; i++) {
        const Rel *r = s->rels[i];
        if (ref ? ref_matches(r, name) : name_matches(r, name, schema))
            oidset_add(set, r->oid);
    }
}

static bool con_key_in(const Snap *s, const Con *c)
{
    return snap_con(s, c) != NULL;
}

static void view_init(View *v, const Snap *before, const Snap *after, const Snap *inside,
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
        if (c->frel && !con_key_in(before, c))
            oidset_add(&v->referenced, c->frel);
    }
}

static void view_free(View *v)
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

static bool view_is_transient(const View *v, unsigned oid)
{
    return oid >= FIRST_USER_OID && !snap_rel(v->before, oid) && !snap_rel(v->after, oid);
}

static char *view_name(const View *v, unsigned oid)
{
    if (view_is_transient(v, oid)) {
        for (size_t i = 0; i < v->transient.n; i++)
            if (v->transient.v[i] == oid)
                return xasprintf("(transient %zu)", i + 1);
    }
    const Snap *from = NULL;
    const Rel *r = view_rel(v, oid, &from);
    if (r)
        return rel_display(from, r);
    return xasprintf("(relation %u)", oid);
}

static const char *view_role(const View *v, unsigned oid)
{
    bool in_before = snap_rel(v->before, oid) != NULL;
    bool in_after = snap_rel(v->after, oid) != NULL;
    if (oid >= FIRST_USER_OID && !in_before && in_after)
        return "new";
    if (oid >= FIRST_USER_OID && !in_before && !in_after)
        return "transient";
    if (oid < FIRST_USER_OID)
        return "catalog";
    if (oidset_has(&v->target, oid))
        return "table";
    const Snap *from = NULL;
    const Rel *r = view_rel(v, oid, &from);
    if (r && is_index_kind(r->kind) && oidset_has(&v->target, r->indrel))
        return "index";
    if (r && is_toast_rel(from, r))
        return "toast";
    if (r && r->kind == 'S')
        return "sequence";
    if (oidset_has(&v->referenced, oid))
        return "referenced";
    return "other";
}

/* ---- building the trace -------------------------------------------------------- */

typedef struct Scan {
    unsigned relid;
    long long seq_scan, tup_read;
} Scan;

static int tracelock_cmp(const void *a, const void *b)
{
    const TraceLock *x = a, *y = b;
    bool xr = strcmp(x->locktype, "relation") == 0, yr = strcmp(y->locktype, "relation") == 0;
    if (xr != yr)
        return xr ? -1 : 1;
    int c = role_rank(x->role) - role_rank(y->role);
    if (c)
        return c;
    c = strcmp(x->locktype, y->locktype);
    if (c)
        return c;
    c = strcmp(x->relation ? x->relation : "", y->relation ? y->relation : "");
    if (c)
        return c;
    return mode_rank(x->mode) - mode_rank(y->mode);
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *object_desc(const RawLock *l, const LockSet *all)
{
    if (l->desc)
        return xstrdup(l->desc);
    /* gone: number it among the gone objects of the same catalog */
    size_t k = 1;
    for (size_t i = 0; i < all->n; i++) {
        const RawLock *o = &all->v[i];
        if (o != l && strcmp(o->locktype, "object") == 0 && !o->desc &&
            o->classid == l->classid && o->objid < l->objid)
            k++;
    }
    if (l->catalog)
        return xasprintf("%s (gone %zu)", l->catalog, k);
    return xasprintf("object %u (gone %zu)", l->classid, k);
}

static void build_locks(Trace *out, const View *v, const LockSet *locks)
{
    size_t cap = 0;
    for (size_t i = 0; i < locks->n; i++) {
        const RawLock *l = &locks->v[i];
        TraceLock *t = ARRAY_PUSH(out->locks, out->nlocks, cap);
        t->locktype = xstrdup(l->locktype);
        t->mode = xstrdup(l->mode);
        t->granted = l->granted;
        const char *lt = static_locktype(l->locktype);
        if (lt == locktypes[0] /* relation */) {
            t->role = (char *)view_role(v, l->relation);
            t->relation = view_name(v, l->relation);
            continue;
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
            t->relation = xasprintf("virtualxid %s", l->vxid ? l->vxid : "?");
        } else if (strcmp(lt, "transactionid") == 0) {
            t->relation = xasprintf("transactionid %llu", l->xid);
        } else if (strcmp(lt, "object") == 0) {
            t->relation = object_desc(l, locks);
        } else if (strcmp(lt, "advisory") == 0) {
            t->relation = xasprintf("advisory %u/%u/%d", l->classid, l->objid, l->objsubid);
        } else {
            t->relation = xstrdup(l->locktype);
        }
    }
    if (out->nlocks > 1)
        qsort(out->locks, out->nlocks, sizeof(*out->locks), tracelock_cmp);
}

static const char *relkind_word(char k)
{
    switch (k) {
    case 'r': return "table";
    case 'p': return "partitioned table";
    case 'i': return "index";
    case 'I': return "partitioned index";
    case 'S': return "sequence";
    case 't': return "toast table";
    case 'v': return "view";
    case 'm': return "materialized view";
    case 'c': return "composite type";
    case 'f': return "foreign table";
    }
    return "relation";
}

static char *index_detail(const Snap *s, const Rel *r)
{
    const Rel *t = snap_rel(s, r->indrel);
    char *tn = t ? rel_display(s, t) : xstrdup("?");
    char *d = xasprintf("on %s%s%s", tn, r->valid ? "" : ", invalid", r->ready ? "" : ", not ready");
    free(tn);
    return d;
}

/* Before and after relations paired: by oid, then relations replaced by one
 * of the same name and kind (an index rebuilt, a toast table swapped). Rows
 * both snapshots share are unchanged and skipped at once. */
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
        if (ra->filenode != rb->filenode && ra->filenode && rb->filenode)
            *ARRAY_PUSH(out->rewrites, out->nrewrites, rcap) = xstrdup(na);
        if (strcmp(na, nb) != 0 && !is_toast_rel(a, ra))
            add_change(out, ccap, "relation_renamed", xstrdup(na), xasprintf("from %s", nb));
        if (is_index_kind(ra->kind)) {
            if (ra->valid != rb->valid)
                add_change(out, ccap, ra->valid ? "index_valid" : "index_invalid", xstrdup(na), NULL);
            if (ra->ready != rb->ready)
                add_change(out, ccap, ra->ready ? "index_ready" : "index_not_ready", xstrdup(na), NULL);
        }
        free(na);
        free(nb);
    }
    /* replaced: same name and kind, new oid */
    for (size_t x = 0; x < nborn; x++) {
        char *na = rel_display(a, born[x]);
        for (size_t y = 0; y < ngone; y++) {
            if (!gone[y] || gone[y]->kind != born[x]->kind)
                continue;
            char *nb = rel_display(b, gone[y]);
            bool same = strcmp(na, nb) == 0;
            free(nb);
            if (same) {
                *ARRAY_PUSH(out->rewrites, out->nrewrites, rcap) = xstrdup(na);
                born[x] = gone[y] = NULL;
                break;
            }
        }
        free(na);
    }
    for (size_t x = 0; x < nborn; x++) {
        const Rel *r = born[x];
        if (!r || (is_index_kind(r->kind) && is_toast_rel(a, r)))
            continue;
        if (is_index_kind(r->kind))
            add_change(out, ccap, "index_created", rel_display(a, r), index_detail(a, r));
        else
            add_change(out, ccap, "relation_created", rel_display(a, r), xstrdup(relkind_word(r->kind)));
    }
    for (size_t y = 0; y < ngone; y++) {
        const Rel *r = gone[y];
        if (!r || (is_index_kind(r->kind) && is_toast_rel(b, r)))
            continue;
        if (is_index_kind(r->kind))
            add_change(out, ccap, "index_dropped", rel_display(b, r), NULL);
        else
            add_change(out, ccap, "relation_dropped", rel_display(b, r), xstrdup(relkind_word(r->kind)));
    }
    free(gone);
    free(born);
    if (out->nrewrites > 1)
        qsort(out->rewrites, out->nrewrites, sizeof(char *), str_cmp);
}

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void column_added(Trace *out, size_t *ccap, const Snap *a, const Att *x)
{
    const Rel *ra = snap_rel(a, x->rel);
    if (!ra || x->dropped)
        return;
    Buf d;
    buf_init(&d);
    buf_printf(&d, "%s %s", x->name, x->type);
    if (x->notnull)
        buf_puts(&d, " not null");
    if (x->def)
        buf_printf(&d, " default %s", x->def);
    add_change(out, ccap, "column_added", rel_display(a, ra), buf_steal(&d));
}

static void column_changed(Trace *out, size_t *ccap, const Snap *a, const Att *y, const Att *x)
{
    const Rel *ra = snap_rel(a, x->rel);
    if (!ra)
        return;
    if (x->dropped && !y->dropped) {
        add_change(out, ccap, "column_dropped", rel_display(a, ra), xstrdup(y->name));
        return;
    }
    if (x->dropped || y->dropped)
        return;
    Buf d;
    buf_init(&d);
    buf_puts(&d, x->name);
    size_t base = d.len;
#define SEP (d.len > base ? "," : ":")
    if (strcmp(x->name, y->name) != 0)
        buf_printf(&d, "%s renamed from %s", SEP, y->name);
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
    if (d.len > base)
        add_change(out, ccap, "column_altered", rel_display(a, ra), buf_steal(&d));
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
            if (snap_rel(b, x->rel))
                column_added(out, ccap, a, x);
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
                add_change(out, ccap, "constraint_added", con_relation(a, x),
                           xasprintf("%s %c %s", x->name, x->type, x->validated ? "valid" : "not valid"));
            j++;
        } else {
            if (x->validated && !y->validated)
                add_change(out, ccap, "constraint_validated", con_relation(a, x), xstrdup(x->name));
            i++, j++;
        }
    }
}

static void build_scans(Trace *out, const View *v, const Scan *scans, size_t n)
{
    size_t cap = 0;
    for (size_t i = 0; i < n; i++) {
        TraceScan *s = ARRAY_PUSH(out->scans, out->nscans, cap);
        s->relation = view_name(v, scans[i].relid);
        s->seq_scan = scans[i].seq_scan;
        s->tup_read = scans[i].tup_read;
    }
}

/* Fills out's locks, rewrites, scans and changes. */
static void build_trace(Trace *out, const Statement *st, const Snap *before, const Snap *after,
                        const Snap *inside, const LockSet *locks, const Scan *scans, size_t nscans)
{
    View v;
    view_init(&v, before, after, inside, st);
    for (size_t i = 0; i < locks->n; i++) {
        unsigned oid = locks->v[i].relation;
        if (oid && view_is_transient(&v, oid))
            oidset_add(&v.transient, oid);
    }
    for (size_t i = 0; i < nscans; i++)
        if (view_is_transient(&v, scans[i].relid))
            oidset_add(&v.transient, scans[i].relid);
    if (v.transient.n > 1)
        qsort(v.transient.v, v.transient.n, sizeof(unsigned), oid_cmp);
    build_locks(out, &v, locks);
    build_scans(out, &v, scans, nscans);
    size_t ccap = 0;
    diff_relations(out, &ccap, before, after);
    diff_columns(out, &ccap, before, after);
    diff_constraints(out, &ccap, before, after);
    view_free(&v);
}

/* ---- the tracer ----------------------------------------------------------------- */

struct Tracer {
    PgConn *traced;    /* runs the statements; owned */
    PgConn *observer;  /* watches the traced backend; owned */
    int major;         /* server major version */
    int traced_pid, observer_pid, observer2_pid;
    PgConn *observer2; /* the second observer, for the leapfrog; opened when first needed; owned */
    char observer_bid[16], observer2_bid[16]; /* "5/": how their virtualxids begin */
    char *conninfo;    /* owned */
    int timeout_ms;    /* per statement */
    Snap cache;        /* the catalog as the last statement left it */
    bool cache_valid;
    char *sql_objs_tail; /* describe expression for object locks; owned */
    char *sql_objs;      /* descriptions of the own object locks; owned */
    /* The tracer's catalog queries are prepared on the traced connection
     * (planning them costs more than running them). A statement that
     * deallocates them (DEALLOCATE ALL, DISCARD) makes the tracer fall back
     * to the plain text, and prepare again before the next statement. */
    bool prepared;
    int generation;       /* suffix of the prepared statements' names */
    char *snap_prepared;  /* "EXECUTE lm_rels_1; ..."; owned */
    char *after_plain;    /* the query string run after the locks are read, plain text with
                             $1 (oid[]) and $2 (oid) to bind; owned */
};

#define SQL_BASELINE                                                                     \
    "SELECT x, " SQL_SCAN_COLS " FROM pg_catalog.unnest(%s) x "                          \
    "WHERE pg_catalog.pg_stat_get_xact_numscans(x) > 0"

/* Prepares the tracer's queries under a new generation of names; plain text
 * when that fails. -1 only when the connection is lost. */
static int tracer_prepare(Tracer *t, Err *err);

static char *describe_expr(int major)
{
    if (major >= 14)
        return xstrdup(SQL_DESCRIBE_14);
    Buf b;
    buf_init(&b);
    buf_puts(&b, "CASE WHEN (CASE o.classid");
    for (size_t i = 0; i < ARRAY_LEN(describable); i++)
        buf_printf(&b,
                   " WHEN 'pg_catalog.%s'::pg_catalog.regclass THEN EXISTS (SELECT 1 FROM "
                   "pg_catalog.%s x WHERE x.oid = o.objid)",
                   describable[i], describable[i]);
    buf_puts(&b, " ELSE false END) THEN " SQL_DESCRIBE_14 " END");
    return buf_steal(&b);
}

Tracer *tracer_new(const char *conninfo, const TracerOpts *opts, Err *err)
{
    Tracer *t = xcalloc(1, sizeof(*t));
    t->traced = pgconn_connect(conninfo, CONNECT_TIMEOUT_MS, err);
    if (!t->traced)
        goto fail;
    t->observer = pgconn_connect(conninfo, CONNECT_TIMEOUT_MS, err);
    if (!t->observer)
        goto fail;
    t->conninfo = xstrdup(conninfo);
    t->traced_pid = pgconn_pid(t->traced);
    t->observer_pid = pgconn_pid(t->observer);
    t->major = opts && opts->server_major ? opts->server_major
                                          : pgconn_server_version(t->traced) / 10000;
    if (t->major < 10) {
        err_set(err, 3, "server version %d is not supported (10 or later)",
                pgconn_server_version(t->traced));
        goto fail;
    }
    t->timeout_ms = opts && opts->statement_timeout_ms > 0 ? opts->statement_timeout_ms
                                                           : DEFAULT_TIMEOUT_MS;
    t->sql_objs_tail = describe_expr(t->major);
    t->sql_objs = xasprintf("SELECT o.classid, o.objid, o.objsubid, %s, o.classid::pg_catalog.regclass "
                            "FROM pg_catalog.pg_lock_status() o WHERE o.pid = pg_catalog.pg_backend_pid() "
                            "AND o.locktype = 'object'",
                            t->sql_objs_tail);
    t->after_plain = xasprintf("%s;\n%s;\n%s;\n%s;\n%s;\nCOMMIT", SQL_RELS_T, SQL_ATTS_T,
                               SQL_CONS_T, t->sql_objs, SQL_SCANS);
    if (tracer_prepare(t, err) < 0)
        goto fail;
    return t;
fail:
    tracer_free(t);
    return NULL;
}

void tracer_free(Tracer *t)
{
    if (!t)
        return;
    pgconn_close(t->traced);
    pgconn_close(t->observer);
    pgconn_close(t->observer2);
    free(t->conninfo);
    snap_free(&t->cache);
    free(t->sql_objs_tail);
    free(t->sql_objs);
    free(t->snap_prepared);
    free(t->after_plain);
    free(t);
}

static int lost(Tracer *t, const char *who, const PgReply *r, Err *err)
{
    t->cache_valid = false;
    return err_set(err, 3, "connection to the server lost (%s): %s", who,
                   r->message ? r->message : "unknown error");
}

static void set_error(Trace *out, const PgReply *r)
{
    out->status = TRACE_ERROR;
    snprintf(out->sqlstate, sizeof(out->sqlstate), "%s", r->sqlstate);
    out->message = xstrdup(r->message ? r->message : "unknown error");
}

static void set_timeout(Trace *out, int ms)
{
    out->status = TRACE_TIMEOUT;
    snprintf(out->sqlstate, sizeof(out->sqlstate), "57014");
    out->message = xasprintf("canceled after %d ms", ms);
}

/* Runs a short statement of the tracer's own; -1 only when the connection is lost. */
static int run_quiet(Tracer *t, PgConn *c, const char *sql, Err *err)
{
    PgReply r;
    int rc = 0;
    if (pgconn_exec(c, sql, TRACER_QUERY_MS, &r) == PG_LOST)
        rc = lost(t, c == t->traced ? "traced" : "observer", &r, err);
    pgreply_clear(&r);
    return rc;
}

static int tracer_prepare(Tracer *t, Err *err)
{
    int g = ++t->generation;
    free(t->snap_prepared);
    t->snap_prepared = xasprintf("EXECUTE lm_rels_%d;\nEXECUTE lm_atts_%d;\nEXECUTE lm_cons_%d", g, g, g);
    char *base = xasprintf(SQL_BASELINE, "$1");
    char *sql = xasprintf("PREPARE lm_rels_%d AS " SQL_RELS ";\n"
                          "PREPARE lm_atts_%d AS " SQL_ATTS ";\n"
                          "PREPARE lm_cons_%d AS " SQL_CONS ";\n"
                          "PREPARE lm_locks_%d AS " SQL_OWN_LOCKS ";\n"
                          "PREPARE lm_rels_t_%d(pg_catalog.oid[], pg_catalog.oid) AS " SQL_RELS_T ";\n"
                          "PREPARE lm_atts_t_%d(pg_catalog.oid[], pg_catalog.oid) AS " SQL_ATTS_T ";\n"
                          "PREPARE lm_cons_t_%d(pg_catalog.oid[], pg_catalog.oid) AS " SQL_CONS_T ";\n"
                          "PREPARE lm_objs_%d AS %s;\n"
                          "PREPARE lm_scans_%d AS " SQL_SCANS ";\n"
                          "PREPARE lm_base_%d(pg_catalog.oid[]) AS %s",
                          g, g, g, g, g, g, g, g, t->sql_objs, g, g, base);
    free(base);
    PgReply r;
    PgStatus s = pgconn_exec(t->traced, sql, TRACER_QUERY_MS, &r);
    free(sql);
    int rc = 0;
    if (s == PG_LOST)
        rc = lost(t, "traced", &r, err);
    t->prepared = s == PG_OK;
    pgreply_clear(&r);
    return rc;
}

static const char *snap_sql(const Tracer *t)
{
    return t->prepared ? t->snap_prepared : SQL_SNAP;
}

/* A reply that failed because the tracer's prepared statements are gone:
 * from now on plain text. */
static bool lost_prepared(Tracer *t, const PgReply *r)
{
    if (!t->prepared || r->status != PG_REFUSED || strcmp(r->sqlstate, "26000") != 0)
        return false;
    t->prepared = false;
    return true;
}

static int ensure_snapshot(Tracer *t, Err *err)
{
    if (t->cache_valid)
        return 0;
    snap_free(&t->cache);
    PgReply r;
    PgStatus s = pgconn_exec(t->traced, snap_sql(t), TRACER_QUERY_MS, &r);
    if (lost_prepared(t, &r)) {
        pgreply_clear(&r);
        s = pgconn_exec(t->traced, SQL_SNAP, TRACER_QUERY_MS, &r);
    }
    int rc = 0;
    if (s == PG_LOST)
        rc = lost(t, "traced", &r, err);
    else if (s != PG_OK || snap_load(&t->cache, &r, 0) < 0)
        rc = err_set(err, 3, "could not read the catalog snapshot: %s",
                     r.message ? r.message : "unexpected result");
    else
        t->cache_valid = true;
    pgreply_clear(&r);
    return rc;
}

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
        if (sc.seq_scan > 0)
            (*scans)[(*n)++] = sc;
    }
}

/* The baseline of sequential scans for the tables of s: a query that reads
 * no relation (unnest of a constant array), so it takes no lock. Caller frees. */
static char *scan_baseline_sql(const Tracer *t, const Snap *s)
{
    Buf b;
    buf_init(&b);
    for (size_t i = 0; i < s->nrels; i++) {
        const Rel *r = s->rels[i];
        if (r->kind == 'r' || r->kind == 'm')
            buf_printf(&b, "%s%u", b.len ? "," : "", r->oid);
    }
    if (!b.len)
        buf_puts(&b, "0");
    char *arr = xasprintf("'{%s}'::pg_catalog.oid[]", b.data);
    char *sql = t->prepared ? xasprintf("EXECUTE lm_base_%d(%s)", t->generation, arr)
                            : xasprintf(SQL_BASELINE, arr);
    free(arr);
    buf_free(&b);
    return sql;
}

/* Object descriptions (rows of classid, objid, objsubid, description, catalog)
 * into the matching locks. */
static void attach_descriptions(LockSet *locks, PGresult *res)
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
            if (!l->desc && !PQgetisnull(res, i, 3))
                l->desc = xstrdup(PQgetvalue(res, i, 3));
            if (!l->catalog && !PQgetisnull(res, i, 4))
                l->catalog = xstrdup(PQgetvalue(res, i, 4));
        }
    }
}

/* Index of the first failed result of a reply, or nres. */
static size_t failed_at(const PgReply *r)
{
    for (size_t i = 0; i < r->nres; i++) {
        ExecStatusType s = PQresultStatus(r->res[i]);
        if (s == PGRES_FATAL_ERROR || s == PGRES_BAD_RESPONSE)
            return i;
    }
    return r->nres;
}

/* Substitutes $1 and $2 in sql. Caller frees. */
static char *bind2(const char *sql, const char *p1, const char *p2)
{
    Buf b;
    buf_init(&b);
    for (const char *p = sql; *p;) {
        const char *q = strchr(p, '$');
        if (!q) {
            buf_puts(&b, p);
            break;
        }
        buf_append(&b, p, (size_t)(q - p));
        if (q[1] == '1')
            buf_puts(&b, p1);
        else if (q[1] == '2')
            buf_puts(&b, p2);
        else
            buf_append(&b, q, 2);
        p = q[1] ? q + 2 : q + 1;
    }
    return buf_steal(&b);
}

/* The relations whose catalog rows the statement may have changed, as far
 * as the before-snapshot tells: every relation it locked, and their indexes,
 * toast tables and toast indexes (relations newer than the snapshot are read
 * by oid > its highest). Catalog relations locked are added for their names
 * only. Sorted, unique. */
static void locked_family(const Snap *cache, const LockSet *locks, OidSet *out)
{
    for (size_t i = 0; i < locks->n; i++) {
        unsigned oid = locks->v[i].relation;
        if (!oid)
            continue;
        oidset_add(out, oid);
        const Rel *r = snap_rel(cache, oid);
        if (!r)
            continue;
        if (r->toast)
            oidset_add(out, r->toast);
        for (size_t k = 0; k < cache->nrels; k++) {
            const Rel *x = cache->rels[k];
            if (is_index_kind(x->kind) && x->indrel && (x->indrel == oid || (r->toast && x->indrel == r->toast)))
                oidset_add(out, x->oid);
        }
    }
    if (out->n > 1)
        qsort(out->v, out->n, sizeof(unsigned), oid_cmp);
}

/* A schema renamed renames relations it does not lock: when the statement
 * wrote pg_namespace (a RowExclusiveLock or stronger on it, or an object lock
 * on a schema stronger than AccessShareLock), read everything. */
static bool needs_full_snapshot(const LockSet *locks)
{
    for (size_t i = 0; i < locks->n; i++) {
        const RawLock *l = &locks->v[i];
        if (strcmp(l->locktype, "object") == 0 && l->classid == 2615 /* pg_namespace */ &&
            strcmp(l->mode, "AccessShareLock") != 0)
            return true;
        if (strcmp(l->locktype, "relation") == 0 && l->relation == 2615 &&
            mode_rank(l->mode) >= mode_rank("RowExclusiveLock"))
            return true;
    }
    return false;
}

static int run_tx(Tracer *t, const Statement *st, Trace *out, Err *err);

/* Refused by one of the tracer's own queries inside the traced transaction:
 * roll back; again with plain text when the prepared statements are gone
 * (the statement deallocated them), else an error of the tracer. */
static int tracer_query_failed(Tracer *t, const Statement *st, Trace *out, PgReply *r, Err *err)
{
    if (r->status == PG_LOST) {
        int rc = lost(t, "traced", r, err);
        pgreply_clear(r);
        return rc;
    }
    bool again = lost_prepared(t, r);
    int rc = again ? 0
                   : err_set(err, 3, "tracing failed: a query of the tracer was refused: %s",
                             r->message ? r->message : "timeout");
    pgreply_clear(r);
    if (run_quiet(t, t->traced, "ROLLBACK", err) < 0)
        return -1;
    if (!again) {
        t->cache_valid = false;
        return rc;
    }
    trace_free(out);
    out->status = TRACE_OK;
    snprintf(out->capture, sizeof(out->capture), "tx");
    return run_tx(t, st, out, err);
}

/* 1: the server refused to run it in a transaction block (retry outside). */
static int run_tx(Tracer *t, const Statement *st, Trace *out, Err *err)
{
    /* 1. the statement, after a baseline of the scan counters */
    char *base = scan_baseline_sql(t, &t->cache);
    char *sql = xasprintf("BEGIN;\n%s;\n%s", base, st->sql);
    PgReply r;
    PgStatus s = pgconn_exec(t->traced, sql, t->timeout_ms, &r);
    free(sql);
    free(base);
    out->duration_ms = r.ms;
    if (s == PG_LOST) {
        int rc = lost(t, "traced", &r, err);
        pgreply_clear(&r);
        return rc;
    }
    if (s != PG_OK && failed_at(&r) == 1 && t->prepared && strcmp(r.sqlstate, "26000") == 0)
        return tracer_query_failed(t, st, out, &r, err); /* the statement did not run */
    if (s != PG_OK) {
        /* 25001: cannot run inside a transaction block; 2D000: a procedure
         * that commits or rolls back (CALL) cannot inside one either */
        bool retry = s == PG_REFUSED &&
                     (strcmp(r.sqlstate, "25001") == 0 || strcmp(r.sqlstate, "2D000") == 0);
        if (s == PG_TIMEOUT)
            set_timeout(out, t->timeout_ms);
        else if (!retry)
            set_error(out, &r);
        pgreply_clear(&r);
        /* the catalog is as before: the snapshot stays valid */
        if (run_quiet(t, t->traced, "ROLLBACK", err) < 0)
            return -1;
        return retry ? 1 : 0;
    }
    /* keep the baseline of scans: BEGIN, baseline, the statement's results */
    PGresult *baseline = NULL;
    if (r.nres >= 2 && PQresultStatus(r.res[1]) == PGRES_TUPLES_OK) {
        baseline = r.res[1];
        r.res[1] = PQmakeEmptyPGresult(NULL, PGRES_EMPTY_QUERY);
    }
    pgreply_clear(&r);

    /* 2. at once, the own backend's locks (a query that takes none) */
    char *lsql = t->prepared ? xasprintf("EXECUTE lm_locks_%d", t->generation) : xstrdup(SQL_OWN_LOCKS);
    s = pgconn_exec(t->traced, lsql, TRACER_QUERY_MS, &r);
    free(lsql);
    if (s != PG_OK || r.nres != 1) {
        PQclear(baseline);
        return tracer_query_failed(t, st, out, &r, err);
    }
    LockSet locks = {0};
    PGresult *lr = r.res[0];
    for (int i = 0; i < PQntuples(lr); i++) {
        RawLock l;
        rawlock_read(&l, lr, i, 0);
        if (is_own_xact_lock(&l)) {
            free(l.locktype);
            free(l.mode);
            free(l.vxid);
            continue;
        }
        lockset_add(&locks, &l);
    }
    pgreply_clear(&r);

    /* 3. still inside: the touched relations' catalog rows, names of
     * objects, scans; COMMIT */
    OidSet family = {0};
    locked_family(&t->cache, &locks, &family);
    Buf arr;
    buf_init(&arr);
    buf_puts(&arr, "'{");
    for (size_t i = 0; i < family.n; i++)
        buf_printf(&arr, "%s%u", i ? "," : "", family.v[i]);
    buf_puts(&arr, "}'::pg_catalog.oid[]");
    unsigned maxoid = snap_max_oid(&t->cache);
    char num[16];
    snprintf(num, sizeof(num), "%u", maxoid);
    int g = t->generation;
    char *csql = t->prepared
                     ? xasprintf("EXECUTE lm_rels_t_%d(%s, %s);\nEXECUTE lm_atts_t_%d(%s, %s);\n"
                                 "EXECUTE lm_cons_t_%d(%s, %s);\nEXECUTE lm_objs_%d;\n"
                                 "EXECUTE lm_scans_%d;\nCOMMIT",
                                 g, arr.data, num, g, arr.data, num, g, arr.data, num, g, g)
                     : bind2(t->after_plain, arr.data, num);
    buf_free(&arr);
    s = pgconn_exec(t->traced, csql, TRACER_QUERY_MS, &r);
    free(csql);
    if (s != PG_OK && !(s == PG_REFUSED && failed_at(&r) == 5)) {
        PQclear(baseline);
        lockset_free(&locks);
        free(family.v);
        return tracer_query_failed(t, st, out, &r, err);
    }
    if (s != PG_OK) {
        /* COMMIT refused it (deferred constraint, serialization): the
         * statement failed, its transaction is rolled back */
        set_error(out, &r);
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
    snap_add_rels(&fresh, r.res[0]);
    snap_add_atts(&fresh, r.res[1]);
    snap_add_cons(&fresh, r.res[2]);
    snap_sort(&fresh);
    for (size_t i = 0; i < fresh.nrels; i++)
        if (fresh.rels[i]->oid > maxoid)
            *ARRAY_PUSH(touched.v, touched.n, touched.cap) = fresh.rels[i]->oid;
    if (touched.n > 1)
        qsort(touched.v, touched.n, sizeof(unsigned), oid_cmp);
    attach_descriptions(&locks, r.res[3]);
    Scan *scans;
    size_t nscans;
    load_scans(r.res[4], baseline, &scans, &nscans);
    PQclear(baseline);
    pgreply_clear(&r);

    /* 4. the after-snapshot: the before-snapshot with the touched rows read again */
    Snap after = {0};
    int rc = 0;
    if (needs_full_snapshot(&locks)) {
        PgStatus fs = pgconn_exec(t->traced, snap_sql(t), TRACER_QUERY_MS, &r);
        if (fs == PG_LOST)
            rc = lost(t, "traced", &r, err);
        else if (fs != PG_OK || snap_load(&after, &r, 0) < 0)
            rc = err_set(err, 3, "could not read the catalog snapshot: %s",
                         r.message ? r.message : "unexpected result");
        pgreply_clear(&r);
    } else {
        snap_merge(&after, &t->cache, &fresh, touched.v, touched.n);
    }
    if (rc == 0) {
        build_trace(out, st, &t->cache, &after, &fresh, &locks, scans, nscans);
        snap_free(&t->cache);
        t->cache = after;
        t->cache_valid = true;
    } else {
        snap_free(&after);
        t->cache_valid = false;
    }
    snap_free(&fresh);
    lockset_free(&locks);
    free(scans);
    free(touched.v);
    return rc;
}

/* One observation of the traced backend's locks (and the observers', to
 * recognise waits on the observers' own transactions): a reply to the sample
 * query. *waiting_on gets the relation oid the traced backend waits for (1
 * when it waits for something else, 0 when it does not wait); *queued tells
 * whether the backend queued_pid waits for a lock on relation target. */
static void observe(const Tracer *t, const PgReply *r, LockSet *seen, unsigned *waiting_on,
                    int queued_pid, unsigned target, bool *queued, int *waits_observer)
{
    *waiting_on = 0;
    *queued = false;
    *waits_observer = 0;
    if (r->status != PG_OK || r->nres < 1)
        return;
    PGresult *res = r->res[0];
    int rows = PQntuples(res);
    for (int i = 0; i < rows; i++) {
        int pid = atoi(PQgetvalue(res, i, 0));
        if (pid == queued_pid && queued_pid && PQgetvalue(res, i, 12)[0] == 'f' &&
            val_oid(PQgetvalue(res, i, 3)) == target)
            *queued = true;
        if (pid != t->traced_pid)
            continue;
        RawLock l;
        rawlock_read(&l, res, i, 1);
        bool drop = is_own_xact_lock(&l);
        if (!drop && l.vxid && strcmp(l.locktype, "virtualxid") == 0) {
            /* a wait on one of the observers' own transactions (their
             * virtualxids start with their backend id) is their doing: not
             * captured, but that observer must let go */
            int which = 0;
            if (t->observer_bid[0] && strncmp(l.vxid, t->observer_bid, strlen(t->observer_bid)) == 0)
                which = 1;
            else if (t->observer2_bid[0] &&
                     strncmp(l.vxid, t->observer2_bid, strlen(t->observer2_bid)) == 0)
                which = 2;
            if (which) {
                drop = true;
                if (!l.granted) {
                    *waits_observer = which;
                    if (!*waiting_on)
                        *waiting_on = 1;
                }
            }
        }
        if (drop) {
            free(l.locktype);
            free(l.mode);
            free(l.vxid);
            continue;
        }
        if (!l.granted)
            *waiting_on = strcmp(l.locktype, "relation") == 0 && l.relation ? l.relation : 1;
        lockset_add(seen, &l);
    }
}

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
    PgStatus s = pgconn_exec(t->observer, q.data, TRACER_QUERY_MS, &r);
    int rc = 0;
    if (s == PG_LOST) {
        rc = lost(t, "observer", &r, err);
    } else if (s == PG_OK) {
        snap_add_rels(resolved, r.res[0]);
        snap_sort(resolved);
        if (objs.len && r.nres > 1)
            attach_descriptions(locks, r.res[1]);
    }
    pgreply_clear(&r);
    buf_free(&q);
    buf_free(&rels);
    buf_free(&objs);
    return rc;
}

/* How the virtualxids of c's backend begin ("5/"), into bid. */
static int backend_vxid_prefix(Tracer *t, PgConn *c, char *bid, size_t n, Err *err)
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
    int rc = s == PG_LOST ? lost(t, "observer", &r, err) : 0;
    pgreply_clear(&r);
    return rc;
}

static const Rel *find_target(const Snap *s, const Statement *st)
{
    if (!st->info.target)
        return NULL;
    const Rel *found = NULL;
    for (size_t i = 0; i < s->nrels; i++) {
        const Rel *r = s->rels[i];
        if (!name_matches(r, st->info.target, st->info.target_schema))
            continue;
        if (!found || strcmp(r->nsp, "public") == 0)
            found = r;
    }
    return found;
}

static int run_observed(Tracer *t, const Statement *st, Trace *out, Err *err)
{
    snprintf(out->capture, sizeof(out->capture), "poll");
    char *sample_sql = xasprintf("SELECT pid, " SQL_LOCK_COLS " FROM pg_catalog.pg_lock_status() "
                                 "WHERE pid IN (%d, %d)",
                                 t->traced_pid, t->observer_pid);
    LockSet seen = {0};
    Snap resolved = {0};
    PgReply r = {0};
    int rc = -1;

    /* The leapfrog. An observer holds the target in ACCESS EXCLUSIVE mode:
     * the statement waits for its first lock on it, and its locks are read
     * while it waits. Then the other observer queues its own ACCESS
     * EXCLUSIVE request behind the statement's, and only then the first
     * releases: the statement gets its lock, and its next fresh request on
     * the target (after it let the first go, as VACUUM does with its lookup
     * lock) waits for the second observer, and is read in turn; and so on.
     * A request the statement makes while it still holds a lock on the
     * target goes ahead of the queued observer (PostgreSQL grants it, no
     * deadlock); a queued observer gives up after a short lock_timeout.
     * Between the phases the locks are sampled. */
    const Rel *target = find_target(&t->cache, st);
    if (target && is_index_kind(target->kind))
        target = snap_rel(&t->cache, target->indrel); /* an index: its table is locked first */
    unsigned target_oid = target ? target->oid : 0;
    char *lock_sql = NULL;
    if (target) {
        if (!t->observer2) {
            t->observer2 = pgconn_connect(t->conninfo, CONNECT_TIMEOUT_MS, err);
            if (!t->observer2)
                goto out;
            t->observer2_pid = pgconn_pid(t->observer2);
            if (backend_vxid_prefix(t, t->observer2, t->observer2_bid, sizeof(t->observer2_bid), err) < 0)
                goto out;
        }
        if (!t->observer_bid[0] &&
            backend_vxid_prefix(t, t->observer, t->observer_bid, sizeof(t->observer_bid), err) < 0)
            goto out;
        char *nsp = PQescapeIdentifier(pgconn_raw(t->observer), target->nsp, strlen(target->nsp));
        char *rel = PQescapeIdentifier(pgconn_raw(t->observer), target->name, strlen(target->name));
        lock_sql = xasprintf("BEGIN;\nSET LOCAL lock_timeout = %d;\nLOCK TABLE %s.%s IN ACCESS EXCLUSIVE MODE",
                             LEAPFROG_WAIT_MS, nsp ? nsp : "", rel ? rel : "");
        PQfreemem(nsp);
        PQfreemem(rel);
    }
    free(sample_sql);
    sample_sql = xasprintf("SELECT pid, " SQL_LOCK_COLS " FROM pg_catalog.pg_lock_status() "
                           "WHERE pid IN (%d, %d, %d)",
                           t->traced_pid, t->observer_pid, t->observer2_pid);
    PgConn *obs[2] = {t->observer, t->observer2};
    int holder = -1, pending = -1, sampler = -1; /* index in obs, -1: none */
    if (lock_sql) {
        PgStatus s = pgconn_exec(obs[0], lock_sql, OBSERVER_LOCK_MS, &r);
        if (s == PG_LOST) {
            lost(t, "observer", &r, err);
            goto out;
        }
        holder = s == PG_OK ? 0 : -1;
        pgreply_clear(&r);
        if (holder < 0 && run_quiet(t, obs[0], "ROLLBACK", err) < 0)
            goto out;
    }

    if (pgconn_send(t->traced, st->sql, err) < 0) {
        t->cache_valid = false;
        goto out;
    }
    double start = now_ms(), hold_since = start, queue_since = 0, blocked_ms = 0;
    double deadline = start + t->timeout_ms;
    int phases = 0;
    bool done = false, held_it = false; /* held_it: the statement waited for the current holder */
    PgConn *all[3] = {t->traced, obs[0], obs[1]};
    int nall = obs[1] ? 3 : 2;
    while (!done || sampler >= 0 || pending >= 0) {
        PgReply o;
        if (!done && now_ms() >= deadline) {
            /* past the timeout: finish the sample, let go, cancel */
            if (sampler >= 0) {
                PgStatus os = pgconn_wait(obs[sampler], now_ms() + TRACER_QUERY_MS, &o);
                pgreply_clear(&o);
                sampler = -1;
                if (os == PG_LOST) {
                    lost(t, "observer", &o, err);
                    goto out;
                }
            }
            if (holder >= 0 && run_quiet(t, obs[holder], "COMMIT", err) < 0)
                goto out;
            holder = -1;
            if (pending >= 0)
                pgconn_cancel(obs[pending]);
            pgconn_wait(t->traced, now_ms(), &r); /* cancels, reads on */
            done = true;
            continue;
        }
        if (done && holder >= 0 && sampler < 0) {
            if (run_quiet(t, obs[holder], "COMMIT", err) < 0)
                goto out;
            holder = -1;
        }
        if (!done && sampler < 0) {
            sampler = holder >= 0 ? holder : pending == 0 ? 1 : 0;
            if (pgconn_send(obs[sampler], sample_sql, err) < 0) {
                t->cache_valid = false;
                goto out;
            }
        }
        double left = done ? LEAPFROG_WAIT_MS * 4 : deadline - now_ms();
        if (pgconn_wait_any(all, nall, left < 1 ? 1 : (int)left) < 0) {
            err_set(err, 3, "could not wait for the server's sockets");
            t->cache_valid = false;
            goto out;
        }
        if (!done && pgconn_poll(t->traced, 0, &r))
            done = true;
        if (pending >= 0 && pgconn_poll(obs[pending], 0, &o)) {
            /* the queued observer got the target (or gave up) */
            PgStatus ls = o.status;
            pgreply_clear(&o);
            if (ls == PG_LOST) {
                lost(t, "observer", &o, err);
                goto out;
            }
            if (ls == PG_OK && !done) {
                holder = pending;
                hold_since = now_ms();
                held_it = false;
            } else if (run_quiet(t, obs[pending], ls == PG_OK ? "COMMIT" : "ROLLBACK", err) < 0) {
                goto out;
            }
            pending = -1;
        }
        if (sampler >= 0 && pgconn_poll(obs[sampler], 0, &o)) {
            sampler = -1;
            if (o.status == PG_LOST) {
                lost(t, "observer", &o, err);
                pgreply_clear(&o);
                goto out;
            }
            unsigned waiting_on;
            bool queued;
            int waits_observer;
            observe(t, &o, &seen, &waiting_on, pending >= 0 ? pgconn_pid(obs[pending]) : 0,
                    target_oid, &queued, &waits_observer);
            pgreply_clear(&o);
            if (pending >= 0 && waits_observer == pending + 1 && holder < 0) {
                /* the statement waits for the queued observer's transaction
                 * (CREATE INDEX CONCURRENTLY waits for older snapshots): give up */
                pgconn_cancel(obs[pending]);
            }
            if (holder < 0)
                continue;
            bool release = false;
            if (waiting_on && !held_it) {
                held_it = true;
                if (waiting_on == target_oid)
                    phases++;
            }
            if (pending >= 0) {
                /* let go once the next observer is queued behind the statement */
                release = queued || now_ms() - queue_since > LEAPFROG_QUEUE_MS;
            } else if (done) {
                release = true;
            } else if (waiting_on) {
                if (waiting_on == target_oid && phases < LEAPFROG_MAX_PHASES) {
                    pending = 1 - holder;
                    queue_since = now_ms();
                    if (pgconn_send(obs[pending], lock_sql, err) < 0) {
                        t->cache_valid = false;
                        goto out;
                    }
                } else {
                    release = true;
                }
            } else if (now_ms() - hold_since > OBSERVER_HOLD_MS) {
                release = true; /* the statement does not come to the target */
            }
            if (release) {
                /* the time the statement waited for the observer is not its own;
                 * the lock goes when the server reads the COMMIT */
                if (held_it)
                    blocked_ms += now_ms() - hold_since;
                if (run_quiet(t, obs[holder], "COMMIT", err) < 0)
                    goto out;
                holder = -1;
            }
        }
    }
    out->duration_ms = r.ms - blocked_ms;
    if (out->duration_ms < 0)
        out->duration_ms = 0;
    bool blocked = phases > 0;
    if (r.status == PG_LOST) {
        lost(t, "traced", &r, err);
        goto out;
    }
    if (r.status == PG_TIMEOUT)
        set_timeout(out, t->timeout_ms);
    else if (r.status == PG_REFUSED)
        set_error(out, &r);
    if (blocked)
        snprintf(out->capture, sizeof(out->capture), "observer");
    /* A statement that went on got every lock it was seen waiting for (the
     * observers' holds, or other transactions): only a cancel, a lock
     * timeout or a deadlock ends a statement while it waits for a lock. */
    bool ended_waiting = r.status == PG_TIMEOUT || r.status == PG_LOST ||
                         (r.status == PG_REFUSED && (strcmp(r.sqlstate, "55P03") == 0 ||
                                                     strcmp(r.sqlstate, "40P01") == 0 ||
                                                     strcmp(r.sqlstate, "57014") == 0));
    if (!ended_waiting)
        for (size_t i = 0; i < seen.n; i++)
            seen.v[i].granted = true;
    pgreply_clear(&r);

    if (resolve_outside(t, &seen, &resolved, err) < 0)
        goto out;
    /* the statement ran in autocommit: whatever it did (even when it failed
     * half-way, like an invalid index left by CREATE INDEX CONCURRENTLY) is
     * in the after-snapshot */
    Snap after = {0};
    PgStatus s = pgconn_exec(t->traced, snap_sql(t), TRACER_QUERY_MS, &r);
    if (lost_prepared(t, &r)) {
        pgreply_clear(&r);
        s = pgconn_exec(t->traced, SQL_SNAP, TRACER_QUERY_MS, &r);
    }
    if (s == PG_LOST) {
        lost(t, "traced", &r, err);
        goto out;
    }
    if (s != PG_OK || snap_load(&after, &r, 0) < 0) {
        err_set(err, 3, "could not read the catalog snapshot: %s",
                r.message ? r.message : "unexpected result");
        snap_free(&after);
        t->cache_valid = false;
        goto out;
    }
    build_trace(out, st, &t->cache, &after, &resolved, &seen, NULL, 0);
    snap_free(&t->cache);
    t->cache = after;
    t->cache_valid = true;
    rc = 0;
out:
    pgreply_clear(&r);
    lockset_free(&seen);
    snap_free(&resolved);
    free(sample_sql);
    free(lock_sql);
    return rc;
}

/* Transaction control: run plainly, no capture (a later version traces the
 * migration's own transaction as one; TraceLock.held_before is for that). */
static int run_plain(Tracer *t, const Statement *st, Trace *out, Err *err)
{
    snprintf(out->capture, sizeof(out->capture), "none");
    t->cache_valid = false;
    PgReply r;
    PgStatus s = pgconn_exec(t->traced, st->sql, t->timeout_ms, &r);
    out->duration_ms = r.ms;
    int rc = 0;
    if (s == PG_LOST)
        rc = lost(t, "traced", &r, err);
    else if (s == PG_TIMEOUT)
        set_timeout(out, t->timeout_ms);
    else if (s == PG_REFUSED)
        set_error(out, &r);
    pgreply_clear(&r);
    return rc;
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
    return con_key_cmp(a, b) == 0 && a->oid == b->oid && a->frel == b->frel &&
           a->type == b->type && a->validated == b->validated;
}

int tracer_verify_cache(Tracer *t, Err *err)
{
    if (!t->cache_valid)
        return 0;
    PgReply r;
    Snap full = {0};
    PgStatus s = pgconn_exec(t->traced, SQL_SNAP, TRACER_QUERY_MS, &r);
    if (s != PG_OK || snap_load(&full, &r, 0) < 0) {
        int rc = err_set(err, 3, "could not read the catalog snapshot: %s",
                         r.message ? r.message : "unexpected result");
        pgreply_clear(&r);
        snap_free(&full);
        return rc;
    }
    pgreply_clear(&r);
    const Snap *c = &t->cache;
    int bad = 0;
    if (c->nrels != full.nrels || c->natts != full.natts || c->ncons != full.ncons)
        bad++;
    for (size_t i = 0; !bad && i < full.nrels; i++)
        bad += !rel_same(c->rels[i], full.rels[i]);
    for (size_t i = 0; !bad && i < full.natts; i++)
        bad += !att_same(c->atts[i], full.atts[i]);
    for (size_t i = 0; !bad && i < full.ncons; i++)
        bad += !con_same(c->cons[i], full.cons[i]);
    if (bad)
        err_set(err, 0, "cached snapshot differs from the catalog (%zu/%zu relations, %zu/%zu columns, "
                "%zu/%zu constraints)", c->nrels, full.nrels, c->natts, full.natts, c->ncons, full.ncons);
    snap_free(&full);
    return bad;
}

int tracer_run(Tracer *t, const Statement *st, Trace *out, Err *err)
{
    memset(out, 0, sizeof(*out));
    out->stmt = st->index > 0 ? st->index - 1 : 0;
    out->status = TRACE_OK;
    snprintf(out->capture, sizeof(out->capture), "tx");
    if (!pgconn_ok(t->traced) || !pgconn_ok(t->observer))
        return err_set(err, 3, "connection to the server lost");
    if (!t->prepared && t->generation < 4 && tracer_prepare(t, err) < 0)
        return -1;
    if (st->info.tx_control)
        return run_plain(t, st, out, err);
    if (ensure_snapshot(t, err) < 0)
        return -1;
    bool no_tx = st->info.no_tx || (st->info.no_tx_below && t->major < st->info.no_tx_below);
    if (!no_tx) {
        int r = run_tx(t, st, out, err);
        if (r != 1)
            return r;
        trace_free(out);
        out->stmt = st->index > 0 ? st->index - 1 : 0;
        out->status = TRACE_OK;
    }
    return run_observed(t, st, out, err);
}
