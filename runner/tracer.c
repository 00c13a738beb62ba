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
 * back, so the snapshot stays valid. The
 * tracer's catalog queries are prepared statements (planning them cost more
 * than running them).
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
 * deallocates prepared statements would otherwise abort its transaction). A
 * statement that fails aborts the transaction as in production: the
 * statements up to its end are run plainly and get the server's 25P02; one
 * that cannot run in a transaction block gets 25001. The COMMIT or ROLLBACK
 * (or the last statement of a wrapped migration) reports the locks released
 * and how long the strongest was held (lock_held_*). The catalog snapshot
 * survives BEGIN, SAVEPOINT, RELEASE and a COMMIT; a rollback drops it.
 *
 * Session settings of a migration (SET search_path, lock_timeout,
 * statement_timeout, ROLE ...) stay on the traced connection and apply to
 * the statements after them, as in production. The tracer's own queries on
 * that connection are built not to depend on them: every name is
 * schema-qualified, they read only catalogs every role may read (pg_roles,
 * not pg_authid) and take no lock anyone else holds, and they run in
 * milliseconds. The observers are connections of their own, untouched by
 * the migration's settings. Statements held by the observers run with
 * lock_timeout 0 (restored after): waits on the observers are the tracer's
 * doing, not the migration's; a lock_timeout fires on any real conflict.
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
#define OBSERVER_HOLD_MS 3000   /* longest the observer holds the target without seeing a wait
                                   (a statement on a loaded machine may take a while to get there) */
#define DEFAULT_TIMEOUT_MS 60000

/* ---- SQL ------------------------------------------------------------------ */

#define SQL_REL_COLS                                                                     \
    "SELECT c.oid, n.nspname, c.relname, c.relkind, c.relfilenode, c.reltoastrelid, "    \
    "i.indrelid, i.indisvalid, i.indisready, "                                          \
    "(SELECT h.inhparent FROM pg_catalog.pg_inherits h WHERE h.inhrelid = c.oid "       \
    "ORDER BY h.inhseqno LIMIT 1) "                                                     \
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
    /* not pg_subscription: not readable by every role before 14 (SET ROLE) */
    "pg_policy", "pg_ts_config", "pg_ts_dict", "pg_ts_parser",
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
    unsigned parent;      /* pg_inherits parent (a partition's table), 0: none */
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
        x->parent = PQgetisnull(r, i, 9) ? 0 : val_oid(PQgetvalue(r, i, 9));
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
    bool held_before;  /* held by an earlier statement of the migration's transaction */
    bool on_observer;  /* a wait on an observer's transaction (an older transaction) */
    double since;      /* inside a migration's transaction: when the statement that took it began */
} RawLock;

typedef struct LockSet {
    RawLock *v;
    size_t n, cap;
} LockSet;

static void rawlock_free(RawLock *l)
{
    free(l->locktype);
    free(l->mode);
    free(l->vxid);
    free(l->desc);
    free(l->catalog);
}

static void rawlock_copy(RawLock *dst, const RawLock *src)
{
    *dst = *src;
    dst->locktype = xstrdup(src->locktype);
    dst->mode = xstrdup(src->mode);
    dst->vxid = src->vxid ? xstrdup(src->vxid) : NULL;
    dst->desc = src->desc ? xstrdup(src->desc) : NULL;
    dst->catalog = src->catalog ? xstrdup(src->catalog) : NULL;
}

static void lockset_free(LockSet *s)
{
    for (size_t i = 0; i < s->n; i++)
        rawlock_free(&s->v[i]);
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
            rawlock_free(l);
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




static void add_change(Trace *out, size_t *cap, const char *kind, char *relation, char *detail)
{
    TraceChange *c = ARRAY_PUSH(out->changes, out->nchanges, *cap);
    c->kind = xstrdup(kind);
    c->relation = relation;
    c->detail = detail;
}

/* ---- roles ------------------------------------------------------------------- */




/* A mode's place in sort order: its rank, unknown modes last. */
static int mode_sort(const char *mode)
{
    int r = lock_mode_rank(mode);
    return r >= 0 ? r : LOCK_MODES;
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

static bool view_under_target(const View *v, unsigned oid);

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
    /* a foreign key the statement drops (DROP CONSTRAINT, DROP COLUMN, DROP
     * TABLE, the one a same-named ADD CONSTRAINT replaces) locks its other
     * end: the table it references, or the table that references the target */
    for (size_t i = 0; i < before->ncons; i++) {
        const Con *c = before->cons[i];
        if (!c->frel)
            continue;
        const Con *now = snap_con(after, c);
        if (now && now->oid == c->oid)
            continue;
        if (view_under_target(v, c->rel))
            oidset_add(&v->referenced, c->frel);
        if (view_under_target(v, c->frel))
            oidset_add(&v->referenced, c->rel);
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

/* Whether oid is the target or a partition of it, at any depth. */
static bool view_under_target(const View *v, unsigned oid)
{
    for (int depth = 0; oid && depth < 64; depth++) {
        if (oidset_has(&v->target, oid))
            return true;
        const Snap *from = NULL;
        const Rel *r = view_rel(v, oid, &from);
        oid = r ? r->parent : 0;
    }
    return false;
}

static const char *view_role(const View *v, unsigned oid)
{
    bool in_before = snap_rel(v->before, oid) != NULL;
    bool in_after = snap_rel(v->after, oid) != NULL;
    if (oid >= FIRST_USER_OID && !in_before && in_after)
        return "new";
    if (oid >= FIRST_USER_OID && !in_before && !in_after)
        return "transient";
    const Snap *from = NULL;
    const Rel *r = view_rel(v, oid, &from);
    /* a catalog the statement names (UPDATE pg_index ...) is its target,
     * its indexes the target's indexes */
    if (oid < FIRST_USER_OID && !oidset_has(&v->target, oid) &&
        !(r && is_index_kind(r->kind) && view_under_target(v, r->indrel)))
        return "catalog";
    if (oidset_has(&v->target, oid))
        return "table";
    if (r && is_index_kind(r->kind) && view_under_target(v, r->indrel))
        return "index";
    if (r && is_toast_rel(from, r))
        return "toast";
    if (r && r->kind == 'S')
        return "sequence";
    if (oidset_has(&v->referenced, oid))
        return "referenced";
    if (r && view_under_target(v, r->parent))
        return "partition";
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
    int c = trace_role_rank(x->role) - trace_role_rank(y->role);
    if (c)
        return c;
    c = strcmp(x->locktype, y->locktype);
    if (c)
        return c;
    c = strcmp(x->relation ? x->relation : "", y->relation ? y->relation : "");
    if (c)
        return c;
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
    if (l->desc && strncmp(l->desc, "schema pg_temp_", 15) == 0)
        return xstrdup("schema pg_temp");
    if (l->desc && strncmp(l->desc, "schema pg_toast_temp_", 21) == 0)
        return xstrdup("schema pg_toast_temp");
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

/* One lock as the trace reports it (names from v; all: the locks it is
 * numbered among when its object is gone). */
static void tracelock_from(TraceLock *t, const View *v, const RawLock *l, const LockSet *all)
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
    if (!l->held_before)
        return true;
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
    if (out->nlocks > 1)
        qsort(out->locks, out->nlocks, sizeof(*out->locks), tracelock_cmp);
}

/* A stop of a statement traced outside a transaction block, as read. */
typedef struct RawPhase {
    LockSet locks;   /* the statement's locks at the stop, the one it waits for included */
    size_t wait;     /* index in locks of the lock it waits for */
} RawPhase;

static void build_phases(Trace *out, const View *v, const RawPhase *ph, size_t n)
{
    if (!n)
        return;
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
        if (p->nlocks > 1)
            qsort(p->locks, p->nlocks, sizeof(*p->locks), tracelock_cmp);
    }
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
                add_change(out, ccap, ra->valid ? "index_valid" : "index_invalid", xstrdup(na), NULL);
            if (ra->ready != rb->ready)
                add_change(out, ccap, ra->ready ? "index_ready" : "index_not_ready", xstrdup(na), NULL);
        }
        free(na);
        free(nb);
    }
    /* replaced: a new oid of the same kind with the old one's storage
     * (ALTER COLUMN TYPE creates an index again on its old relfilenode when
     * the type change is binary compatible), else with the same name */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t x = 0; x < nborn; x++) {
            if (!born[x])
                continue;
            char *na = rel_display(a, born[x]);
            for (size_t y = 0; y < ngone; y++) {
                if (!gone[y] || gone[y]->kind != born[x]->kind)
                    continue;
                char *nb = rel_display(b, gone[y]);
                bool same = pass == 0 ? has_storage(born[x]) && born[x]->filenode == gone[y]->filenode
                                      : strcmp(na, nb) == 0;
                if (same) {
                    replaced(out, ccap, &rcap, a, born[x], na, gone[y], nb);
                    born[x] = gone[y] = NULL;
                }
                free(nb);
                if (same)
                    break;
            }
            free(na);
        }
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

/* Scans of relations that existed before the statement: one it created
 * (new, or transient) was empty to everyone else (CREATE TABLE ... PRIMARY
 * KEY builds its index by reading the new table). */
static void build_scans(Trace *out, const View *v, const Scan *scans, size_t n)
{
    size_t cap = 0;
    for (size_t i = 0; i < n; i++) {
        if (scans[i].relid >= FIRST_USER_OID && !snap_rel(v->before, scans[i].relid))
            continue;
        TraceScan *s = ARRAY_PUSH(out->scans, out->nscans, cap);
        s->relation = view_name(v, scans[i].relid);
        s->seq_scan = scans[i].seq_scan;
        s->tup_read = scans[i].tup_read;
    }
}

/* Fills out's locks, rewrites, scans and changes. */
static void build_trace(Trace *out, const Statement *st, const Snap *before, const Snap *after,
                        const Snap *inside, const LockSet *locks, const Scan *scans, size_t nscans,
                        const RawPhase *phases, size_t nphases)
{
    View v;
    view_init(&v, before, after, inside, st);
    for (size_t i = 0; i < locks->n; i++) {
        unsigned oid = locks->v[i].relation;
        if (oid && view_is_transient(&v, oid))
            oidset_add(&v.transient, oid);
    }
    for (size_t p = 0; p < nphases; p++)
        for (size_t i = 0; i < phases[p].locks.n; i++) {
            unsigned oid = phases[p].locks.v[i].relation;
            if (oid && view_is_transient(&v, oid))
                oidset_add(&v.transient, oid);
        }
    for (size_t i = 0; i < nscans; i++)
        if (view_is_transient(&v, scans[i].relid))
            oidset_add(&v.transient, scans[i].relid);
    if (v.transient.n > 1)
        qsort(v.transient.v, v.transient.n, sizeof(unsigned), oid_cmp);
    build_locks(out, &v, locks);
    build_phases(out, &v, phases, nphases);
    build_scans(out, &v, scans, nscans);
    size_t ccap = 0;
    diff_relations(out, &ccap, before, after);
    diff_columns(out, &ccap, before, after);
    diff_constraints(out, &ccap, before, after);
    view_free(&v);
}

/* ---- the tracer ----------------------------------------------------------------- */

/* Where the traced connection stands with respect to a transaction the
 * migration opened itself (BEGIN in the file, or Migration.wrap_tx). */
typedef enum UserTx {
    UTX_NONE = 0,  /* none: every statement is traced in a transaction of the tracer's */
    UTX_OPEN,      /* open: statements run inside it, locks accumulate */
    UTX_ABORTED,   /* a statement failed in it: the server refuses everything until it ends */
} UserTx;

/* A connection of the observer path that holds one relation of the
 * statement's family, or one catalog row, until the statement waits for it
 * (see run_observed). */
typedef struct Holder {
    PgConn *c;         /* owned */
    char bid[16];      /* how its virtualxids begin ("7/") */
} Holder;

struct Tracer {
    PgConn *traced;    /* runs the statements; owned */
    PgConn *obs[2];    /* the observers: watch the traced backend, hold the target to stop it;
                          obs[0] opened with the tracer, obs[1] when first needed; owned */
    int major;         /* server major version */
    int traced_pid, obs_pid[2];
    char obs_bid[2][16]; /* "5/": how the observers' virtualxids begin */
    char *conninfo;    /* owned */
    UserTx utx;        /* the migration's own transaction */
    LockSet tx_locks;  /* inside it: the locks it holds, as read after its last statement */
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
    struct Holder *hold;  /* the holders of the observer path (see run_observed), opened
                             when first needed and kept; owned */
    size_t nhold, chold;
    bool target_only;     /* TracerOpts.target_only */
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
    /* pg_authid is not readable by every role (SET ROLE in a migration):
     * its rows through pg_roles */
    for (size_t i = 0; i < ARRAY_LEN(describable); i++)
        buf_printf(&b,
                   " WHEN 'pg_catalog.%s'::pg_catalog.regclass THEN EXISTS (SELECT 1 FROM "
                   "pg_catalog.%s x WHERE x.oid = o.objid)",
                   describable[i],
                   strcmp(describable[i], "pg_authid") == 0 ? "pg_roles" : describable[i]);
    buf_puts(&b, " ELSE false END) THEN " SQL_DESCRIBE_14 " END");
    return buf_steal(&b);
}

Tracer *tracer_new(const char *conninfo, const TracerOpts *opts, Err *err)
{
    Tracer *t = xcalloc(1, sizeof(*t));
    t->traced = pgconn_connect(conninfo, CONNECT_TIMEOUT_MS, err);
    if (!t->traced)
        goto fail;
    t->obs[0] = pgconn_connect(conninfo, CONNECT_TIMEOUT_MS, err);
    if (!t->obs[0])
        goto fail;
    t->conninfo = xstrdup(conninfo);
    t->traced_pid = pgconn_pid(t->traced);
    t->obs_pid[0] = pgconn_pid(t->obs[0]);
    t->major = opts && opts->server_major ? opts->server_major
                                          : pgconn_server_version(t->traced) / 10000;
    if (t->major < 10) {
        err_set(err, EXIT_ENV, "server version %d is not supported (10 or later)",
                pgconn_server_version(t->traced));
        goto fail;
    }
    t->timeout_ms = opts && opts->statement_timeout_ms > 0 ? opts->statement_timeout_ms
                                                           : DEFAULT_TIMEOUT_MS;
    t->target_only = opts && opts->target_only;
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
    pgconn_close(t->obs[0]);
    pgconn_close(t->obs[1]);
    for (size_t k = 0; k < t->nhold; k++)
        pgconn_close(t->hold[k].c);
    free(t->hold);
    free(t->conninfo);
    lockset_free(&t->tx_locks);
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
    return err_set(err, EXIT_ENV, "connection to the server lost (%s): %s", who,
                   r->message ? r->message : "unknown error");
}

/* What the server said for the statement's reply r (it replaces what an
 * earlier attempt said). */
static void keep_said(Trace *out, const PgReply *r)
{
    if (!r->said)
        return;
    free(out->said);
    out->said = xstrdup(r->said);
}

static void set_error(Trace *out, const PgReply *r)
{
    keep_said(out, r);
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

/* Inside a migration's own transaction the tracer's queries are plain text:
 * a prepared statement the migration deallocated would abort its
 * transaction. */
static bool use_prepared(const Tracer *t)
{
    return t->prepared && t->utx == UTX_NONE;
}

static const char *snap_sql(const Tracer *t)
{
    return use_prepared(t) ? t->snap_prepared : SQL_SNAP;
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
        rc = err_set(err, EXIT_ENV, "could not read the catalog snapshot: %s",
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
static char *scan_baseline_sql(const Tracer *t, const Snap *s, bool prepared)
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
    char *sql = prepared ? xasprintf("EXECUTE lm_base_%d(%s)", t->generation, arr)
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
            lock_mode_rank(l->mode) >= lock_mode_rank("RowExclusiveLock"))
            return true;
    }
    return false;
}

/* ---- the migration's own transaction ------------------------------------------ */

/* Where the traced connection stands now (PQtransactionStatus) into t->utx;
 * out of a transaction its locks are forgotten. */
static void sync_tx(Tracer *t)
{
    PGTransactionStatusType s = PQtransactionStatus(pgconn_raw(t->traced));
    t->utx = s == PQTRANS_INTRANS ? UTX_OPEN : s == PQTRANS_INERROR ? UTX_ABORTED : UTX_NONE;
    if (t->utx == UTX_NONE)
        lockset_free(&t->tx_locks);
}

/* The locks the migration's transaction holds, read again (after BEGIN,
 * ROLLBACK TO SAVEPOINT, COMMIT AND CHAIN ...): those still held keep the time
 * they were taken. -1 only when the connection is lost. */
static int refresh_tx_locks(Tracer *t, Err *err)
{
    PgReply r;
    PgStatus s = pgconn_exec(t->traced, SQL_OWN_LOCKS, TRACER_QUERY_MS, &r);
    if (s == PG_LOST) {
        int rc = lost(t, "traced", &r, err);
        pgreply_clear(&r);
        return rc;
    }
    LockSet fresh = {0};
    double now = now_ms();
    for (int i = 0; s == PG_OK && r.nres == 1 && i < PQntuples(r.res[0]); i++) {
        RawLock l;
        rawlock_read(&l, r.res[0], i, 0);
        if (is_own_xact_lock(&l)) {
            rawlock_free(&l);
            continue;
        }
        l.since = now;
        for (size_t k = 0; k < t->tx_locks.n; k++)
            if (same_lock(&t->tx_locks.v[k], &l))
                l.since = t->tx_locks.v[k].since;
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
    if (!r)
        return 0;
    if (is_index_kind(r->kind) || r->kind == 't')
        return 1;
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
        if (view_is_transient(&v, l->relation))
            oidset_add(&v.transient, l->relation);
        int m = mode_sort(l->mode), bm = best ? mode_sort(best->mode) : -1;
        int w = hold_weight(&t->cache, l->relation), bw = best ? hold_weight(&t->cache, best->relation) : -1;
        if (!best || m > bm || (m == bm && (w > bw || (w == bw && l->since < best->since))))
            best = l;
    }
    if (v.transient.n > 1)
        qsort(v.transient.v, v.transient.n, sizeof(unsigned), oid_cmp);
    for (size_t i = 0; with_locks && i < t->tx_locks.n; i++) {
        RawLock *l = &t->tx_locks.v[i];
        if (strcmp(l->locktype, "relation") != 0 || l->relation < FIRST_USER_OID || !l->granted)
            continue;
        l->held_before = true;
        tracelock_from(ARRAY_PUSH(out->locks, out->nlocks, cap), &v, l, &t->tx_locks);
    }
    if (out->nlocks > 1)
        qsort(out->locks, out->nlocks, sizeof(*out->locks), tracelock_cmp);
    if (best) {
        out->lock_held_ms = end - best->since;
        if (out->lock_held_ms <= 0)
            out->lock_held_ms = 0.001;
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
    if (t->utx != UTX_NONE) {
        /* inside the migration's transaction: nothing to roll back of the tracer's */
        int rc = err_set(err, EXIT_ENV, "tracing failed: a query of the tracer was refused: %s",
                         r->message ? r->message : "timeout");
        pgreply_clear(r);
        t->cache_valid = false;
        sync_tx(t);
        return rc;
    }
    bool again = lost_prepared(t, r);
    int rc = again ? 0
                   : err_set(err, EXIT_ENV, "tracing failed: a query of the tracer was refused: %s",
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
    /* 1. the statement, after a baseline of the scan counters; inside the
     * migration's own transaction when it opened one */
    bool utx = t->utx == UTX_OPEN;
    bool prep = use_prepared(t);
    char *base = scan_baseline_sql(t, &t->cache, prep);
    char *sql = xasprintf(utx ? "%s;\n%s" : "BEGIN;\n%s;\n%s", base, st->sql);
    double started = now_ms();
    PgReply r;
    PgStatus s = pgconn_exec(t->traced, sql, t->timeout_ms, &r);
    free(sql);
    free(base);
    out->duration_ms = r.ms;
    keep_said(out, &r);
    if (s == PG_LOST) {
        int rc = lost(t, "traced", &r, err);
        pgreply_clear(&r);
        return rc;
    }
    if (s != PG_OK && failed_at(&r) == 1 && prep && strcmp(r.sqlstate, "26000") == 0)
        return tracer_query_failed(t, st, out, &r, err); /* the statement did not run */
    if (s != PG_OK && utx) {
        /* as in production: the migration's transaction is aborted, and the
         * statements up to its end are refused (25P02); nothing rolled back here */
        if (s == PG_TIMEOUT)
            set_timeout(out, t->timeout_ms);
        else
            set_error(out, &r);
        pgreply_clear(&r);
        t->cache_valid = false;
        sync_tx(t);
        return 0;
    }
    if (s != PG_OK) {
        /* 25001: cannot run inside a transaction block; 2D000: a procedure
         * that commits or rolls back (CALL) cannot inside one either */
        bool retry = s == PG_REFUSED &&
                     (strcmp(r.sqlstate, "25001") == 0 || strcmp(r.sqlstate, "2D000") == 0);
        if (s == PG_TIMEOUT)
            set_timeout(out, t->timeout_ms);
        else if (!retry)
            set_error(out, &r);
        if (retry) { /* what the refusal said is not the statement's */
            free(out->said);
            out->said = NULL;
        }
        pgreply_clear(&r);
        /* the catalog is as before: the snapshot stays valid */
        if (run_quiet(t, t->traced, "ROLLBACK", err) < 0)
            return -1;
        return retry ? 1 : 0;
    }
    /* keep the baseline of scans: (BEGIN,) baseline, the statement's results */
    PGresult *baseline = NULL;
    size_t bi = utx ? 0 : 1;
    if (r.nres >= bi + 1 && PQresultStatus(r.res[bi]) == PGRES_TUPLES_OK) {
        baseline = r.res[bi];
        r.res[bi] = PQmakeEmptyPGresult(NULL, PGRES_EMPTY_QUERY);
    }
    pgreply_clear(&r);

    /* 2. at once, the own backend's locks (a query that takes none) */
    char *lsql = prep ? xasprintf("EXECUTE lm_locks_%d", t->generation) : xstrdup(SQL_OWN_LOCKS);
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
            rawlock_free(&l);
            continue;
        }
        l.since = started;
        if (utx) {
            /* held by an earlier statement of the transaction: since then */
            for (size_t k = 0; k < t->tx_locks.n; k++)
                if (same_lock(&t->tx_locks.v[k], &l) && t->tx_locks.v[k].granted && l.granted) {
                    l.held_before = true;
                    l.since = t->tx_locks.v[k].since;
                }
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
    char *csql = prep
                     ? xasprintf("EXECUTE lm_rels_t_%d(%s, %s);\nEXECUTE lm_atts_t_%d(%s, %s);\n"
                                 "EXECUTE lm_cons_t_%d(%s, %s);\nEXECUTE lm_objs_%d;\n"
                                 "EXECUTE lm_scans_%d%s",
                                 g, arr.data, num, g, arr.data, num, g, arr.data, num, g, g,
                                 utx ? "" : ";\nCOMMIT")
                     : bind2(t->after_plain, arr.data, num);
    buf_free(&arr);
    if (utx) {
        /* inside the migration's transaction: no COMMIT of the tracer's; its
         * catalog reads took AccessShareLock on catalogs that the transaction
         * now holds: read the locks again, so that the next statement is not
         * charged with them */
        char *c = strrchr(csql, ';');
        if (c)
            *c = '\0';
        char *more = xasprintf("%s;\n%s", csql, SQL_OWN_LOCKS);
        free(csql);
        csql = more;
    }
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
    LockSet held_now = {0};
    for (int i = 0; utx && r.nres > 5 && i < PQntuples(r.res[5]); i++) {
        RawLock l;
        rawlock_read(&l, r.res[5], i, 0);
        if (is_own_xact_lock(&l)) {
            rawlock_free(&l);
            continue;
        }
        l.since = started;
        for (size_t k = 0; k < locks.n; k++)
            if (same_lock(&locks.v[k], &l))
                l.since = locks.v[k].since;
        lockset_add(&held_now, &l);
    }
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
    }
    if (rc == 0) {
        build_trace(out, st, &t->cache, &after, &fresh, &locks, scans, nscans, NULL, 0);
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

/* ---- the observer path ----------------------------------------------------------- */

#define ARM_WAIT_MS 2000   /* longest wait for the next observer to hold or queue for the target */
#define MAX_PHASES 64

/* One reading of pg_locks: the traced backend's locks and what the
 * observers hold or wait for. */
typedef struct Sample {
    LockSet locks;        /* the traced backend's, the one it waits for included */
    long wait;            /* index in locks of the lock it waits for, -1: none */
    int wait_obs;         /* the observer whose transaction it waits for (virtualxid), -1 */
    bool queued[2];       /* observer k waits for a lock */
    OidSet held[2];       /* relations observer k holds a lock on */
    OidSet held_obj[2];   /* objects (objid) observer k holds a lock on */
} Sample;

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
        if (is_own_xact_lock(&l)) {
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
        return backend_vxid_prefix(t, t->obs[k], t->obs_bid[k], sizeof(t->obs_bid[k]), err);
    return 0;
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
        *rc = lost(t, "traced", &r, err);
    else if (pgreply_value(&r, 0, 0, 0))
        out = xstrdup(pgreply_value(&r, 0, 0, 0));
    pgreply_clear(&r);
    return out;
}

/* ---- holders: the statement's family, one relation at a time --------------- */

/* One hold of a statement traced on the observer path: a relation of the
 * target's family held in ACCESS EXCLUSIVE mode, or a catalog row of one of
 * its indexes (pg_attribute, attnum 1) held FOR KEY SHARE. */
typedef struct Hold {
    unsigned rel;            /* the relation held; 0: a row hold */
    unsigned row_of;         /* a row hold: the index whose attribute row it holds */
    unsigned long long xid;  /* a row hold: its transaction (the statement waits on it) */
    bool on;                 /* still held */
} Hold;

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
        if (r && r->toast)
            oidset_add(&toasts, r->toast);
    }
    for (size_t i = 0; i < s->nrels; i++) {
        const Rel *r = s->rels[i];
        if (is_index_kind(r->kind) && (oidset_has(tables, r->indrel) || oidset_has(&toasts, r->indrel)))
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
    if (h->c)
        return 0;
    h->c = pgconn_connect(t->conninfo, CONNECT_TIMEOUT_MS, err);
    if (!h->c)
        return -1;
    return backend_vxid_prefix(t, h->c, h->bid, sizeof(h->bid), err);
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
static int holds_take(Tracer *t, const Rel *target, bool rows, Hold **h, size_t *n, bool *all, Err *err)
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
        if (!r || oid == target->oid || (rows && !is_index) || (!rows && is_index && is_toast_rel(&t->cache, r)))
            continue;
        if (holder_open(t, *n, err) < 0) {
            rc = -1;
            break;
        }
        char *sql;
        if (rows) {
            sql = xasprintf("BEGIN;\nSELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = %u AND attnum = 1 "
                            "FOR KEY SHARE;\nSELECT pg_catalog.txid_current() OPERATOR(pg_catalog.%%) 4294967296",
                            oid);
        } else if (is_index) {
            sql = xasprintf("BEGIN;\nSET LOCAL lock_timeout = 0;\n"
                            "DO $lm$BEGIN EXECUTE pg_catalog.format('ALTER INDEX %%s SET TABLESPACE %%I', "
                            "%u::pg_catalog.regclass, (SELECT s.spcname FROM pg_catalog.pg_tablespace s, "
                            "pg_catalog.pg_class c, pg_catalog.pg_database d WHERE c.oid = %u "
                            "AND d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database() AND s.oid = "
                            "CASE c.reltablespace WHEN 0 THEN d.dattablespace ELSE c.reltablespace END)); END$lm$",
                            oid, oid);
        } else {
            PGconn *raw = pgconn_raw(t->hold[*n].c);
            char *nsp = PQescapeIdentifier(raw, r->nsp, strlen(r->nsp));
            char *rel = PQescapeIdentifier(raw, r->name, strlen(r->name));
            sql = xasprintf("BEGIN;\nSET LOCAL lock_timeout = 0;\nLOCK TABLE ONLY %s.%s IN ACCESS EXCLUSIVE MODE",
                            nsp ? nsp : "", rel ? rel : "");
            PQfreemem(nsp);
            PQfreemem(rel);
        }
        PgReply r2;
        PgStatus s = pgconn_exec(t->hold[*n].c, sql, OBSERVER_LOCK_MS, &r2);
        free(sql);
        if (s == PG_LOST) {
            rc = lost(t, "observer", &r2, err);
        } else if (s != PG_OK) {
            *all = false;
            if (run_quiet(t, t->hold[*n].c, "ROLLBACK", err) < 0)
                rc = -1;
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
static long hold_waited(const Tracer *t, const Hold *h, size_t n, const Sample *smp)
{
    if (smp->wait < 0)
        return -1;
    const RawLock *w = &smp->locks.v[smp->wait];
    for (size_t k = 0; k < n; k++) {
        if (!h[k].on)
            continue;
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
static int holds_release(Tracer *t, Hold *h, size_t n, Err *err)
{
    int rc = 0;
    for (size_t k = 0; k < n; k++) {
        if (!h[k].on)
            continue;
        h[k].on = false;
        if (rc == 0 && run_quiet(t, t->hold[k].c, "ROLLBACK", err) < 0)
            rc = -1;
    }
    return rc;
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
static int run_observed(Tracer *t, const Statement *st, Trace *out, Err *err)
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
        lost(t, "traced", &r, err);
        goto out;
    }
    const char *lt = pgreply_value(&r, 0, 0, 0);
    if (r.status == PG_OK && lt && strcmp(lt, "0") != 0) {
        char *lit = PQescapeLiteral(pgconn_raw(t->traced), lt, strlen(lt));
        restore_sql = xasprintf("SELECT pg_catalog.set_config('lock_timeout', %s, false)", lit ? lit : "'0'");
        PQfreemem(lit);
        pgreply_clear(&r);
        if (run_quiet(t, t->traced, "SET lock_timeout = 0", err) < 0)
            goto out;
    }
    pgreply_clear(&r);

    if (first_sql) {
        PgStatus s = pgconn_exec(t->obs[0], first_sql, OBSERVER_LOCK_MS, &r);
        if (s == PG_LOST) {
            lost(t, "observer", &r, err);
            goto out;
        }
        pgreply_clear(&r);
        if (s == PG_OK) {
            holder = 0;
            exact = true;
        } else if (run_quiet(t, t->obs[0], "ROLLBACK", err) < 0) {
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
                lost(t, "observer", &o, err);
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
            if (run_quiet(t, t->obs[k], "ROLLBACK", err) < 0)
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
                lost(t, "observer", &o, err);
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
                } else if ((!have_last || !same_lock(&last_wait, w)) &&
                           (!have_confirm || !same_lock(&confirm_wait, w))) {
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
                } else if (!have_last || !same_lock(&last_wait, w)) {
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
                        if (run_quiet(t, t->hold[held].c, "ROLLBACK", err) < 0) {
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
            if (run_quiet(t, t->obs[holder], "ROLLBACK", err) < 0)
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
            lost(t, "observer", &o, err);
            goto out;
        }
        pgreply_clear(&o);
        qk[k] = OQ_NONE;
        if (t->obs[k] && run_quiet(t, t->obs[k], "ROLLBACK", err) < 0)
            goto out;
    }
    if (timed_out) {
        exact = false;
        pgconn_wait(t->traced, now_ms(), &r); /* cancels, reads on */
    }
    if (restore_sql && run_quiet(t, t->traced, restore_sql, err) < 0)
        goto out;
    out->duration_ms = r.ms - blocked_ms;
    if (out->duration_ms < 0)
        out->duration_ms = 0;
    keep_said(out, &r);
    if (r.status == PG_LOST) {
        lost(t, "traced", &r, err);
        goto out;
    }
    if (r.status == PG_TIMEOUT)
        set_timeout(out, t->timeout_ms);
    else if (r.status == PG_REFUSED)
        set_error(out, &r);
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

/* Transaction control, and every statement of an aborted transaction (the
 * server refuses it, 25P02, as the migration tool would see): run plainly,
 * capture "none". A COMMIT or ROLLBACK that ends the migration's transaction
 * reports the locks it released and how long the strongest was held. The
 * catalog snapshot stays valid across BEGIN, SAVEPOINT, RELEASE and a COMMIT
 * of an open transaction (the statements inside kept it up to date). */
static int run_plain(Tracer *t, const Statement *st, Trace *out, Err *err)
{
    snprintf(out->capture, sizeof(out->capture), "none");
    UserTx before = t->utx;
    PgReply r;
    PgStatus s = pgconn_exec(t->traced, st->sql, t->timeout_ms, &r);
    double end = now_ms();
    out->duration_ms = r.ms;
    keep_said(out, &r);
    int rc = 0;
    if (s == PG_LOST)
        rc = lost(t, "traced", &r, err);
    else if (s == PG_TIMEOUT)
        set_timeout(out, t->timeout_ms);
    else if (s == PG_REFUSED)
        set_error(out, &r);
    pgreply_clear(&r);
    if (rc < 0)
        return rc;
    if (!st->info.tx_control)
        return 0; /* refused in an aborted transaction: nothing changed */
    PGTransactionStatusType ts = PQtransactionStatus(pgconn_raw(t->traced));
    bool now_none = ts != PQTRANS_INTRANS && ts != PQTRANS_INERROR;
    bool ends = before != UTX_NONE &&
                (now_none || tx_is(st, "COMMIT") || tx_is(st, "ROLLBACK") ||
                 tx_is(st, "PREPARE TRANSACTION"));
    bool keeps = s == PG_OK && (tx_is(st, "BEGIN") || tx_is(st, "SAVEPOINT") ||
                                tx_is(st, "RELEASE SAVEPOINT") || (tx_is(st, "COMMIT") && before == UTX_OPEN));
    if (before == UTX_NONE && now_none && s == PG_OK && !tx_is(st, "PREPARE TRANSACTION"))
        keeps = true; /* COMMIT or ROLLBACK with no transaction: a warning, nothing else */
    if (!keeps)
        t->cache_valid = false;
    if (ends) {
        /* the locks the transaction held, as read after its last statement */
        tx_ended(t, st, out, end, true);
        lockset_free(&t->tx_locks);
    }
    sync_tx(t);
    if (t->utx == UTX_OPEN && refresh_tx_locks(t, err) < 0)
        return -1;
    return 0;
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

bool tracer_tx_holds_locks(const Tracer *t)
{
    if (t->utx != UTX_OPEN)
        return false;
    /* the tracer's own catalog reads leave AccessShareLock on catalogs: those
     * do not hide a statement's requests on the user's relations */
    for (size_t i = 0; i < t->tx_locks.n; i++) {
        const RawLock *l = &t->tx_locks.v[i];
        if (strcmp(l->locktype, "relation") != 0 || l->relation >= FIRST_USER_OID)
            return true;
    }
    return false;
}

int tracer_verify_cache(Tracer *t, Err *err)
{
    if (!t->cache_valid)
        return 0;
    PgReply r;
    Snap full = {0};
    PgStatus s = pgconn_exec(t->traced, SQL_SNAP, TRACER_QUERY_MS, &r);
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
    if (!pgconn_ok(t->traced) || !pgconn_ok(t->obs[0]))
        return err_set(err, EXIT_ENV, "connection to the server lost");
    if (t->utx == UTX_NONE && !t->prepared && t->generation < 4 && tracer_prepare(t, err) < 0)
        return -1;
    if (st->info.tx_control || t->utx == UTX_ABORTED)
        return run_plain(t, st, out, err);
    bool had_snapshot = t->cache_valid;
    if (ensure_snapshot(t, err) < 0)
        return -1;
    /* a snapshot read inside the migration's transaction leaves the tracer's
     * AccessShareLocks on the catalogs: held before the statement, not its own */
    if (!had_snapshot && t->utx == UTX_OPEN && refresh_tx_locks(t, err) < 0)
        return -1;
    if (t->utx == UTX_OPEN) {
        /* inside the migration's own transaction, whatever the statement: a
         * statement that cannot run in a transaction block is refused, as in
         * production */
        int r = run_tx(t, st, out, err);
        sync_tx(t);
        return r;
    }
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

int tracer_tx_begin(Tracer *t, Err *err)
{
    if (t->utx != UTX_NONE)
        return 0;
    if (run_quiet(t, t->traced, "BEGIN", err) < 0)
        return -1;
    sync_tx(t);
    lockset_free(&t->tx_locks);
    return 0;
}

int tracer_tx_end(Tracer *t, Trace *last, Err *err)
{
    if (t->utx == UTX_NONE)
        return 0; /* the file ended it itself */
    bool open = t->utx == UTX_OPEN;
    PgReply r;
    PgStatus s = pgconn_exec(t->traced, open ? "COMMIT" : "ROLLBACK", TRACER_QUERY_MS, &r);
    double end = now_ms();
    if (s == PG_LOST) {
        int rc = lost(t, "traced", &r, err);
        pgreply_clear(&r);
        return rc;
    }
    if (open && s != PG_OK && last && last->status == TRACE_OK) {
        free(last->message);
        last->message = NULL;
        set_error(last, &r); /* refused at COMMIT: the migration failed */
    }
    pgreply_clear(&r);
    if (last) {
        Statement none = {0};
        tx_ended(t, &none, last, end, false);
    }
    if (!open || s != PG_OK)
        t->cache_valid = false;
    lockset_free(&t->tx_locks);
    sync_tx(t);
    return 0;
}
