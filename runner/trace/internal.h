/*
 * runner/trace internal: what the tracer's files share and nothing outside
 * runner/trace may include: the tracer's limits, the SQL of its catalog and
 * lock queries, the catalog snapshot (Rel, Att, Con, Snap), raw locks
 * (RawLock, LockSet), what the tracer knows of one statement's relations
 * (View), the Tracer itself, and the functions one file offers the others.
 *
 * The files, one concept each:
 *   tracer.c    the Tracer's lifecycle, its prepared queries, tracer_run
 *   snapshot.c  the catalog snapshot: read, merged, compared
 *   locks.c     raw locks as pg_locks shows them, roles of relation locks
 *   build.c     the Trace from the snapshots and the locks: names, phases,
 *               rewrites, scans, catalog changes
 *   tx.c        the transactional path and a migration's own transaction
 *   observer.c  the observer path (phase capture, a state machine)
 *   holders.c   the observer path's holders of the target's family
 *   sample.c    the observers: connections, what they hold, their samples
 */
#ifndef LM_TRACE_INTERNAL_H
#define LM_TRACE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "runner/pgconn.h"
#include "runner/trace/tracer.h"

#define FIRST_USER_OID 16384u
#define CONNECT_TIMEOUT_MS 10000
#define TRACER_QUERY_MS 60000 /* the tracer's own catalog queries */
#define OBSERVER_LOCK_MS 2000 /* the observer's LOCK TABLE */
#define OBSERVER_HOLD_MS                                                                           \
    3000 /* longest the observer holds the target without seeing a wait                            \
            (a statement on a loaded machine may take a while to get there) */
#define DEFAULT_TIMEOUT_MS 60000

/* ---- SQL ------------------------------------------------------------------ */

/* The catalog snapshot: seven queries of one catalog each, joined by the
 * tracer (snap_load). Planning one query that joins them cost more than
 * running all seven: relations, their indexes' pg_index rows, their first
 * parents, every schema's name, columns, column defaults, constraints. */
#define SNAP_NRES 7
#define SNAP_ATT 4 /* the columns' result, then the defaults' */
#define SQL_CLASS_COLS                                                                             \
    "SELECT c.oid, c.relnamespace, c.relname, c.relkind, c.relfilenode, c.reltoastrelid "          \
    "FROM pg_catalog.pg_class c "
#define SQL_INDEX_COLS                                                                             \
    "SELECT i.indexrelid, i.indrelid, i.indisvalid, i.indisready FROM pg_catalog.pg_index i "
#define SQL_INH_COLS "SELECT h.inhrelid, h.inhparent, h.inhseqno FROM pg_catalog.pg_inherits h "
#define SQL_NSP "SELECT n.oid, n.nspname FROM pg_catalog.pg_namespace n"
#define SQL_ATT_COLS                                                                               \
    "SELECT a.attrelid, a.attnum, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), "    \
    "a.attnotnull, a.attisdropped, a.atttypid, a.atttypmod FROM pg_catalog.pg_attribute a "
#define SQL_DEF_COLS                                                                               \
    "SELECT d.adrelid, d.adnum, pg_catalog.pg_get_expr(d.adbin, d.adrelid), "                      \
    "pg_catalog.md5(d.adbin::pg_catalog.text) FROM pg_catalog.pg_attrdef d "
#define SQL_CON_COLS                                                                               \
    "SELECT c.oid, c.conrelid, c.contypid, c.confrelid, c.conname, c.contype, c.convalidated, "    \
    "CASE WHEN c.contypid <> 0 THEN pg_catalog.format_type(c.contypid, NULL) END "                 \
    "FROM pg_catalog.pg_constraint c "

/* the whole snapshot: every relation with oid >= 16384 (columns are kept of
 * tables, views, materialized views and foreign tables only: snap_load) */
#define SQL_SNAP                                                                                   \
    SQL_CLASS_COLS "WHERE c.oid >= 16384;\n" SQL_INDEX_COLS                                        \
                   "WHERE i.indexrelid >= 16384;\n" SQL_INH_COLS                                   \
                   "WHERE h.inhrelid >= 16384;\n" SQL_NSP ";\n" SQL_ATT_COLS                       \
                   "WHERE a.attrelid >= 16384 AND a.attnum > 0;\n" SQL_DEF_COLS                    \
                   "WHERE d.adrelid >= 16384;\n" SQL_CON_COLS "WHERE c.oid >= 16384"

#define SQL_LOCK_COLS                                                                              \
    "locktype, database, relation, page, tuple, virtualxid, transactionid, classid, objid, "       \
    "objsubid, mode, granted"

#define SQL_OWN_LOCKS                                                                              \
    "SELECT " SQL_LOCK_COLS " FROM pg_catalog.pg_lock_status() "                                   \
    "WHERE pid = pg_catalog.pg_backend_pid()"

/* The names of the session's prepared statements, from the function (the
 * view would take a lock on it). Its first run plans it with catalog
 * lookups: the tracer runs it once with its PREPAREs, so that inside a
 * migration's transaction its lookups are cached and take no lock. */
#define SQL_PREPARED_NAMES "SELECT p.name FROM pg_catalog.pg_prepared_statement() p"

/* Catalog rows of relations can only change under a lock on them: the
 * after-snapshot reads again, inside the statement's transaction, only the
 * relations it locked, their indexes and toast tables ($1, an oid[]) and
 * every relation newer than the before-snapshot ($2: its highest oid); the
 * rows of every other relation are kept from the before-snapshot. Columns
 * and defaults are read of $3, those of $1 whose columns the snapshot keeps.
 * Exception: a schema renamed renames relations it does not lock; when the
 * statement wrote pg_namespace the tracer reads everything. $1 also carries
 * the catalog relations locked, for their names (never merged). The seven
 * queries of SQL_SNAP's shape, one a line; constraints of those relations,
 * and of every domain. From PostgreSQL 12 on, pg_class, pg_index,
 * pg_inherits and pg_attrdef are read as two disjoint scans, the locked
 * relations up to $2 and the newer ones, joined by UNION ALL: with an OR of
 * the two the server often planned one scan of the whole catalog that
 * tested every row against the oid array (pg_index on 13; server time of
 * the catalog reads on openmeter 5-8% lower on 13 and 17). Before 12 every
 * one of a prepared query's first five executions is planned (no
 * plan_cache_mode, SQL_GENERIC_PLANS), and the two scans cost more to plan
 * than they save on a job's few statements: there the OR (SQL_SNAP_T_OR). */
/* clang-format off */
#define SQL_SNAP_T_OF(READ)                                                                        \
    SQL_CLASS_COLS "WHERE " READ(SQL_CLASS_COLS, "c.oid", "$1") ";\n"                              \
    SQL_INDEX_COLS "WHERE " READ(SQL_INDEX_COLS, "i.indexrelid", "$1") ";\n"                       \
    SQL_INH_COLS "WHERE " READ(SQL_INH_COLS, "h.inhrelid", "$1") ";\n"                             \
    SQL_NSP ";\n"                                                                                  \
    SQL_ATT_COLS "WHERE (a.attrelid = ANY($3) OR " SQL_NEWER("a.attrelid") ") AND a.attnum > 0;\n" \
    SQL_DEF_COLS "WHERE " READ(SQL_DEF_COLS, "d.adrelid", "$3") ";\n"                              \
    SQL_CON_COLS "WHERE (c.conrelid = ANY($1) AND c.conrelid >= 16384) OR "                        \
                 SQL_NEWER("c.conrelid") " OR " SQL_USER_DOMAIN_CONS
/* the relations of the array up to $2, then the newer ones: two scans */
#define SQL_TWO_SCANS(cols, col, arr)                                                              \
    col " = ANY(" arr ") AND " col " <= $2 UNION ALL " cols "WHERE " SQL_NEWER(col)
#define SQL_ONE_SCAN(cols, col, arr) col " = ANY(" arr ") OR " SQL_NEWER(col)
#define SQL_SNAP_T SQL_SNAP_T_OF(SQL_TWO_SCANS)
#define SQL_SNAP_T_OR SQL_SNAP_T_OF(SQL_ONE_SCAN)
/* clang-format on */
/* Constraints of domains made after initdb. contypid > 0 lets the server
 * find them through pg_constraint's contypid index: through its oid index
 * it fetched every constraint made after initdb and tested each against
 * the oid array, as often as the array is long (the relations a
 * migration's transaction holds: hundreds in a schema's first file). */
#define SQL_USER_DOMAIN_CONS "(c.contypid > 0 AND c.conrelid = 0 AND c.oid >= 16384)"
/* Newer than the snapshot: the upper bound makes it a range, which the
 * planner takes as narrow when it plans the prepared query once for every
 * array (a generic plan, from the sixth execution): an index scan, where a
 * lower bound alone made it scan whole catalogs and test each row against
 * the oid array. */
#define SQL_NEWER(col) "(" col " > $2 AND " col " <= 4294967295::pg_catalog.oid)"

/* The catalog reads after a statement out of a migration's transaction run
 * in the statement's transaction, before the tracer's COMMIT: there they
 * use the generic plans of their prepared queries, for that transaction
 * only (PostgreSQL 12 and later). A job runs them a few times, and the
 * server planned a custom plan for each of its first five executions
 * (on the fixture matrix on 12-18, the catalog phase went from 0.11 to 0.09
 * of a job's time, side by side). Nothing of the statement runs after them
 * but its deferred triggers at COMMIT, whose locks and scans no read sees. */
#define SQL_GENERIC_PLANS                                                                          \
    "SELECT pg_catalog.set_config('plan_cache_mode', 'force_generic_plan', true)"

/* Sequential scans: pg_stat_xact_user_tables also counts earlier transactions
 * of the session whose counts are not flushed yet, so the statement's scans
 * are the difference with a baseline read just before it, inside the
 * transaction, through the same functions (which take no lock). */
#define SQL_SCAN_COLS                                                                              \
    "pg_catalog.pg_stat_get_xact_numscans(x), pg_catalog.pg_stat_get_xact_tuples_returned(x)"
#define SQL_SCANS                                                                                  \
    "SELECT x, " SQL_SCAN_COLS " FROM (SELECT c.oid AS x FROM pg_catalog.pg_class c "              \
    "WHERE c.oid >= 16384 AND c.relkind IN ('r','m')) s "                                          \
    "WHERE pg_catalog.pg_stat_get_xact_numscans(x) > 0"

#define SQL_BASELINE                                                                               \
    "SELECT x, " SQL_SCAN_COLS " FROM pg_catalog.unnest(%s) x "                                    \
    "WHERE pg_catalog.pg_stat_get_xact_numscans(x) > 0"

/* ---- catalog snapshot ------------------------------------------------------ */

/* Rows are shared between snapshots (the after-snapshot of a statement keeps
 * the rows of every relation the statement did not touch): each row counts
 * its references and is freed with the last one. Two snapshots holding the
 * same row pointer hold the same, unchanged catalog row. */
typedef struct Rel {
    int refs;
    unsigned oid;
    char *nsp, *name; /* owned */
    char kind;        /* relkind */
    unsigned filenode;
    unsigned toast;    /* reltoastrelid */
    unsigned indrel;   /* indexes: the table */
    bool valid, ready; /* indexes: indisvalid, indisready */
    unsigned parent;   /* pg_inherits parent (a partition's table), 0: none */
} Rel;

typedef struct Att {
    int refs;
    unsigned rel;
    int num;
    char *name, *type; /* type as format_type prints it; owned */
    char *def;         /* default as pg_get_expr prints it; owned; NULL when none */
    char *defhash;     /* md5 of adbin (compared: names in def may change); owned; NULL */
    unsigned typid;
    int typmod;
    bool notnull, dropped;
} Att;

typedef struct Con {
    int refs;
    unsigned oid, rel, typ, frel;
    char *name;    /* owned */
    char *typname; /* domain constraints: the domain; owned */
    char type;     /* contype */
    bool validated;
} Con;

typedef struct Snap {
    Rel **rels;
    size_t nrels, crels; /* sorted by oid */
    Att **atts;
    size_t natts, catts; /* sorted by (rel, num) */
    Con **cons;
    size_t ncons, ccons; /* sorted by (rel, typ, name) */
} Snap;

/* ---- raw locks -------------------------------------------------------------- */

typedef struct RawLock {
    char *locktype; /* owned */
    char *mode;     /* owned */
    char *vxid;     /* virtualxid; owned; NULL */
    unsigned database, relation, classid, objid;
    unsigned long long xid;
    int page, tuple, objsubid;
    bool has_page, has_tuple;
    bool granted;
    char *desc;       /* object: pg_describe_object inside the transaction; owned; NULL */
    char *catalog;    /* object: the catalog's name; owned; NULL */
    bool held_before; /* held by an earlier statement of the migration's transaction */
    bool on_observer; /* a wait on an observer's transaction (an older transaction) */
    double since;     /* inside a migration's transaction: when the statement that took it began */
} RawLock;

/* Locks, each once (lockset_add); entries are only ever appended. A hash
 * index of the first nidx entries finds a lock (lockset_find) without a
 * scan: inside a long migration transaction every lock read is matched
 * against every lock the transaction holds. */
typedef struct LockSet {
    RawLock *v;
    size_t n, cap;
    size_t *slot; /* entry index + 1; 0: empty; nslot a power of two */
    size_t nslot, nidx;
} LockSet;

/* ---- roles --------------------------------------------------------------- */

typedef struct OidSet {
    unsigned *v;
    size_t n, cap;
} OidSet;

/* What the tracer knows about one statement's relations. */
typedef struct View {
    const Snap *before, *after;
    const Snap *inside; /* resolved inside the transaction (or by the observer); may be NULL */
    OidSet target;      /* oids of the statement's target */
    OidSet referenced;  /* oids named in info.referenced or FK targets of added constraints */
    OidSet transient;   /* sorted: relations in neither snapshot */
} View;

/* ---- building the trace -------------------------------------------------- */

typedef struct Scan {
    unsigned relid;
    long long seq_scan, tup_read;
} Scan;

/* A stop of a statement traced outside a transaction block, as read. */
typedef struct RawPhase {
    LockSet locks; /* the statement's locks at the stop, the one it waits for included */
    size_t wait;   /* index in locks of the lock it waits for */
} RawPhase;

/* ---- the tracer ---------------------------------------------------------- */

/* Where the traced connection stands with respect to a transaction the
 * migration opened itself (BEGIN in the file, or Migration.wrap_tx). */
typedef enum UserTx {
    UTX_NONE = 0, /* none: every statement is traced in a transaction of the tracer's */
    UTX_OPEN,     /* open: statements run inside it, locks accumulate */
    UTX_ABORTED,  /* a statement failed in it: the server refuses everything until it ends */
} UserTx;

/* A connection of the observer path that holds one relation of the
 * statement's family, or one catalog row, until the statement waits for it
 * (see tracer_run_observed). */
typedef struct Holder {
    PgConn *c;    /* owned */
    char bid[16]; /* how its virtualxids begin ("7/") */
} Holder;

struct Tracer {
    PgConn *traced; /* runs the statements; owned */
    PgConn *obs[2]; /* the observers: watch the traced backend, hold the target to stop it;
                       each opened when the observer path first needs it; owned */
    int major;      /* server major version */
    int traced_pid, obs_pid[2];
    char obs_bid[2][16]; /* "5/": how the observers' virtualxids begin */
    char *conninfo;      /* owned */
    UserTx utx;          /* the migration's own transaction */
    LockSet tx_locks;    /* inside it: the locks it holds, as read after its last statement */
    int timeout_ms;      /* per statement */
    Snap cache;          /* the catalog as the last statement left it */
    bool cache_valid;
    char *sql_objs; /* descriptions of the own object locks, from pg_lock_status,
                       of every describable class (the plain text read); owned */
    /* The tracer's catalog queries are prepared on the traced connection
     * (planning them costs more than running them). A statement that
     * deallocates them (DEALLOCATE ALL, DISCARD) makes the tracer fall back
     * to the plain text, and prepare again before the next statement. */
    bool prepared;
    int generation;      /* suffix of the prepared statements' names */
    bool no_columns;     /* TracerOpts.no_columns */
    char *snap_plain;    /* SQL_SNAP, without columns when no_columns; owned */
    char *snap_prepared; /* SQL_SNAP through the after-snapshot's prepared queries:
                            "EXECUTE lm_t0_1('{}', 16383, '{}'); ..."; owned */
    char *after_exec;    /* as after_plain, through the prepared queries, with $4 for
                            the descriptions (tracer_objs_sql); owned */
    char *after_plain;   /* the query string run after the locks are read, plain text with
                            $1 (oid[]), $2 (oid) and $3 (oid[]) to bind; owned */
    /* Inside the migration's transaction the catalog reads after a statement
     * are plain text until one of them ran there: planning it locks every
     * catalog and catalog index the queries name, and those locks stay until
     * the transaction ends. From then on the prepared queries (whose
     * executions lock a subset of them) leave the transaction holding the
     * same locks, so each statement is charged as before. Cleared by
     * transaction control (a rollback to a savepoint releases locks). */
    bool tx_planned;
    struct Holder *hold; /* the holders of the observer path (see tracer_run_observed), opened
                            when first needed and kept; owned */
    size_t nhold, chold;
    bool target_only; /* TracerOpts.target_only */
};

/* ---- the observer path --------------------------------------------------- */

/* One hold of a statement traced on the observer path: a relation of the
 * target's family held in ACCESS EXCLUSIVE mode, or a catalog row of one of
 * its indexes (pg_attribute, attnum 1) held FOR KEY SHARE. */
typedef struct Hold {
    unsigned rel;           /* the relation held; 0: a row hold */
    unsigned row_of;        /* a row hold: the index whose attribute row it holds */
    unsigned long long xid; /* a row hold: its transaction (the statement waits on it) */
    bool on;                /* still held */
} Hold;

/* One reading of pg_locks: the traced backend's locks and what the
 * observers hold or wait for. */
typedef struct Sample {
    LockSet locks;      /* the traced backend's, the one it waits for included */
    long wait;          /* index in locks of the lock it waits for, -1: none */
    int wait_obs;       /* the observer whose transaction it waits for (virtualxid), -1 */
    bool queued[2];     /* observer k waits for a lock */
    OidSet held[2];     /* relations observer k holds a lock on */
    OidSet held_obj[2]; /* objects (objid) observer k holds a lock on */
} Sample;

/* ==== what each file offers the others ==================================== */

/* ---- building the trace (build.c) ---------------------------------------- */
int tracelock_cmp(const void *a, const void *b);
/* One lock as the trace reports it; its strings are freed by tracelock_free. */
void tracelock_from(TraceLock *t, const View *v, const RawLock *l, const LockSet *all);
bool str_eq(const char *a, const char *b);
/* Fills out's locks, phases, rewrites, scans and changes (freed with out). */
void build_trace(Trace *out, const Statement *st, const Snap *before, const Snap *after,
                 const Snap *inside, const LockSet *locks, const Scan *scans, size_t nscans,
                 const RawPhase *phases, size_t nphases);

/* ---- holders (holders.c) ------------------------------------------------- */
/* The holds of a statement on target (free(*h) after holds_release). */
int holds_take(Tracer *t, const Rel *target, bool rows, Hold **h, size_t *n, bool *all, Err *err);
long hold_waited(const Tracer *t, const Hold *h, size_t n, const Sample *smp);
int holds_release(Tracer *t, Hold *h, size_t n, Err *err);

/* ---- raw locks, roles (locks.c) ------------------------------------------ */
void rawlock_free(RawLock *l);
void rawlock_copy(RawLock *dst, const RawLock *src);
void lockset_free(LockSet *s);
bool rawlock_same(const RawLock *a, const RawLock *b);
/* Row i of r from column c0 (SQL_LOCK_COLS); freed by rawlock_free. */
void rawlock_read(RawLock *l, PGresult *r, int i, int c0);
void lockset_add(LockSet *s, RawLock *l); /* takes l's strings; lockset_free frees s */
/* The index in s of the lock rawlock_same as l, or -1. */
long lockset_find(LockSet *s, const RawLock *l);
bool rawlock_own_xact(const RawLock *l);
int mode_sort(const char *mode);
bool oidset_has(const OidSet *s, unsigned oid);
void oidset_add(OidSet *s, unsigned oid);
bool rel_name_matches(const Rel *r, const char *name, const char *schema);
void view_init(View *v, const Snap *before, const Snap *after, const Snap *inside,
               const Statement *st);
void view_free(View *v);
bool view_is_transient(const View *v, unsigned oid);
char *view_name(const View *v, unsigned oid); /* caller frees */
const char *view_role(const View *v, unsigned oid);
void lockset_describe(LockSet *locks, PGresult *res);
int lockset_resolve(Tracer *t, LockSet *locks, Snap *resolved, Err *err);
/* A query describing the object locks of locks (classid, objid, objsubid,
 * description, catalog), of their classes only; with none, an empty result
 * of that shape. Caller frees. */
char *tracer_objs_sql(const Tracer *t, const LockSet *locks);

/* ---- the observers' samples (sample.c) ----------------------------------- */
void sample_free(Sample *s);
void sample_read(const Tracer *t, const PgReply *r, Sample *smp); /* sample_free frees smp */
int tracer_vxid_prefix(Tracer *t, PgConn *c, char *bid, size_t n, Err *err);
int observer_open(Tracer *t, int k, Err *err);
bool wait_is_holders(const Sample *smp, int holder);
const Rel *find_target(const Snap *s, const Statement *st);
/* ALTER TYPE's type, quoted; NULL when none (*rc -1: connection lost); caller frees */
char *observed_type(Tracer *t, const Statement *st, Err *err, int *rc);

/* ---- the observer path (observer.c) -------------------------------------- */
int tracer_run_observed(Tracer *t, const Statement *st, Trace *out, Err *err);

/* ---- catalog snapshot (snapshot.c) --------------------------------------- */
void snap_free(Snap *s);
unsigned val_oid(const char *v);
int val_int(const char *v);
unsigned long long val_ull(const char *v);
bool val_bool(const char *v);
int att_key_cmp(const Att *x, const Att *y);
int con_key_cmp(const Con *x, const Con *y);
void snap_sort(Snap *s);
/* Relations from four results of SQL_SNAP's shape (pg_class, pg_index,
 * pg_inherits, pg_namespace). */
void snap_add_rels(Snap *s, PGresult *const *res);
int snap_load(Snap *s, const PgReply *r, size_t first); /* snap_free frees s */
/* Is a relation of this kind (relkind) one whose columns the snapshot keeps
 * (tables, partitioned tables, views, materialized views, foreign tables)? */
bool snap_keeps_columns(char kind);
/* Splits a string of queries, one a line, into its statements. */
size_t sql_lines(const char *sql, char ***out);
const Rel *snap_rel(const Snap *s, unsigned oid);
const Con *snap_con(const Snap *s, const Con *like);
int oid_cmp(const void *a, const void *b);
void snap_merge(Snap *after, const Snap *before, const Snap *fresh, const unsigned *touched,
                size_t ntouched);
unsigned snap_max_oid(const Snap *s);
bool is_index_kind(char k);
char *rel_display(const Snap *s, const Rel *r); /* caller frees */
bool is_toast_rel(const Snap *s, const Rel *r);
const char *tracer_snap_sql(const Tracer *t);
int snap_read(Tracer *t, Snap *s, Err *err);
/* The catalog snapshot the next statement starts from (t->cache), read in
 * full unless it is kept. -1 with err when it cannot be read. */
int tracer_snapshot(Tracer *t, Err *err);
void locked_family(const Snap *cache, const LockSet *locks, OidSet *out);
bool needs_full_snapshot(const LockSet *locks);

/* ---- the tracer (tracer.c) ----------------------------------------------- */
int tracer_lost(Tracer *t, const char *who, const PgReply *r, Err *err);
/* SQL_SNAP_T for the server's major (SQL_SNAP_T_OR before 12). */
const char *tracer_snap_t_sql(int major);
void tracer_keep_said(Trace *out, const PgReply *r);
void tracer_set_error(Trace *out, const PgReply *r);
void tracer_set_timeout(Trace *out, int ms);
int tracer_quiet(Tracer *t, PgConn *c, const char *sql, Err *err);
bool tracer_use_prepared(const Tracer *t);
bool tracer_lost_prepared(Tracer *t, const PgReply *r);

/* ---- the transactional path (tx.c) --------------------------------------- */
void tracer_sync_tx(Tracer *t);
int tracer_refresh_tx_locks(Tracer *t, Err *err);
int tracer_run_tx(Tracer *t, const Statement *st, Trace *out, Err *err);
int tracer_run_plain(Tracer *t, const Statement *st, Trace *out, Err *err);

#endif
