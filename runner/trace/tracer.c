/*
 * tracer: runs one statement on one server and observes what it does
 * (runner/trace/tracer.h). This file holds the Tracer's lifecycle (its
 * connections, its prepared catalog queries) and tracer_run, which sends
 * each statement down one of three paths: the transactional path and a
 * migration's own transaction (tx.c), or the observer path for statements
 * that cannot run in a transaction block (observer.c, with its observers in
 * sample.c and its holders in holders.c). The catalog snapshot is
 * snapshot.c's, raw locks and roles locks.c's, the Trace built from them
 * build.c's.
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
 */
#include "runner/trace/tracer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner/profile.h"
#include "runner/trace/internal.h"

/* Before 14, pg_describe_object raises an error for an object that does not
 * exist (the row type of a rewrite's transient heap): describe only objects
 * found in their catalog. From 14 on it returns NULL. */
#define SQL_DESCRIBE_14 "pg_catalog.pg_describe_object(o.classid, o.objid, o.objsubid)"
const DescribableCatalog describable[] = {
    {"pg_type", 1247},
    {"pg_constraint", 2606},
    {"pg_class", 1259},
    {"pg_proc", 1255},
    {"pg_namespace", 2615},
    {"pg_database", 1262},
    {"pg_authid", 1260},
    {"pg_extension", 3079},
    {"pg_trigger", 2620},
    {"pg_rewrite", 2618},
    {"pg_attrdef", 2604},
    {"pg_opclass", 2616},
    {"pg_operator", 2617},
    {"pg_opfamily", 2753},
    {"pg_collation", 3456},
    {"pg_conversion", 2607},
    {"pg_language", 2612},
    {"pg_foreign_server", 1417},
    {"pg_foreign_data_wrapper", 2328},
    {"pg_event_trigger", 3466},
    {"pg_publication", 6104},
    /* not pg_subscription: not readable by every role before 14 (SET ROLE) */
    {"pg_policy", 3256},
    {"pg_ts_config", 3602},
    {"pg_ts_dict", 3600},
    {"pg_ts_parser", 3601},
    {"pg_ts_template", 3764},
    {"pg_tablespace", 1213},
    {"pg_am", 2601},
    {"pg_cast", 2605},
    {"pg_enum", 3501},
    {"pg_statistic_ext", 3381},
};
const size_t ndescribable = ARRAY_LEN(describable);

/* Prepares the tracer's queries under a new generation of names; plain text
 * when that fails. -1 only when the connection is lost. */
static int tracer_prepare(Tracer *t, Err *err);

/* The queries of sql (SQL_SNAP's shape, one a line) as t reads them: the
 * columns and defaults read nothing when t keeps no columns. *n: how many. */
static char **snap_lines(const Tracer *t, const char *sql, size_t *n)
{
    char **q;
    *n = sql_lines(sql, &q);
    for (size_t k = SNAP_ATT; t->no_columns && k < SNAP_ATT + 2 && k < *n; k++) {
        free(q[k]);
        q[k] = xstrdup(k == SNAP_ATT ? SQL_ATT_COLS "WHERE false" : SQL_DEF_COLS "WHERE false");
    }
    return q;
}

/* Lines joined into one query string, each freed. */
static char *join_lines(char **q, size_t n)
{
    Buf b;
    buf_init(&b);
    for (size_t k = 0; k < n; k++) {
        buf_printf(&b, "%s%s", k ? ";\n" : "", q[k]);
        free(q[k]);
    }
    free(q);
    return buf_steal(&b);
}

/* The description of o (classid, objid, objsubid): before 14 only of
 * objects found in their catalog, of the classes in classids (all when
 * NULL): a class left out is a subquery less to start at every execution. */
static char *describe_expr(int major, const unsigned *classids, size_t nclassids)
{
    if (major >= 14) return xstrdup(SQL_DESCRIBE_14);
    Buf b;
    buf_init(&b);
    buf_puts(&b, "CASE WHEN (CASE o.classid");
    /* pg_authid is not readable by every role (SET ROLE in a migration):
     * its rows through pg_roles */
    for (size_t i = 0; i < ndescribable; i++) {
        bool wanted = !classids;
        for (size_t k = 0; !wanted && k < nclassids; k++)
            wanted = classids[k] == describable[i].oid;
        if (!wanted) continue;
        const char *name = describable[i].name;
        buf_printf(&b,
                   " WHEN %u::pg_catalog.oid THEN EXISTS (SELECT 1 FROM pg_catalog.%s x WHERE "
                   "x.oid = o.objid)",
                   describable[i].oid, strcmp(name, "pg_authid") == 0 ? "pg_roles" : name);
    }
    buf_puts(&b, " ELSE false END) THEN " SQL_DESCRIBE_14 " END");
    return buf_steal(&b);
}

char *tracer_objs_sql(const Tracer *t, const LockSet *locks)
{
    Buf vals;
    buf_init(&vals);
    unsigned *classids = xcalloc(locks->n + 1, sizeof(unsigned));
    size_t nclassids = 0;
    for (size_t i = 0; i < locks->n; i++) {
        const RawLock *l = &locks->v[i];
        if (strcmp(l->locktype, "object") != 0) continue;
        buf_printf(&vals, "%s(%u::pg_catalog.oid,%u::pg_catalog.oid,%d)", vals.len ? "," : "",
                   l->classid, l->objid, l->objsubid);
        classids[nclassids++] = l->classid;
    }
    char *sql;
    if (!vals.len) {
        sql = xstrdup("SELECT NULL::pg_catalog.oid, NULL::pg_catalog.oid, NULL::pg_catalog.int4, "
                      "NULL::pg_catalog.text, NULL::pg_catalog.regclass WHERE false");
    } else {
        char *expr = describe_expr(t->major, classids, nclassids);
        sql = xasprintf("SELECT o.classid, o.objid, o.objsubid, %s, o.classid::pg_catalog.regclass "
                        "FROM (VALUES %s) o(classid, objid, objsubid)",
                        expr, vals.data);
        free(expr);
    }
    free(classids);
    buf_free(&vals);
    return sql;
}

Tracer *tracer_new(const char *conninfo, const TracerOpts *opts, Err *err)
{
    Tracer *t = xcalloc(1, sizeof(*t));
    t->traced = pgconn_connect(conninfo, CONNECT_TIMEOUT_MS, err);
    if (!t->traced) goto fail;
    /* the observers connect when the observer path first needs them: most
     * chains never take it, and a connection costs a backend's start */
    t->conninfo = xstrdup(conninfo);
    t->traced_pid = pgconn_pid(t->traced);
    t->major =
        opts && opts->server_major ? opts->server_major : pgconn_server_version(t->traced) / 10000;
    if (t->major < 10) {
        err_set(err, EXIT_ENV, "server version %d is not supported (10 or later)",
                pgconn_server_version(t->traced));
        goto fail;
    }
    t->timeout_ms =
        opts && opts->statement_timeout_ms > 0 ? opts->statement_timeout_ms : DEFAULT_TIMEOUT_MS;
    t->target_only = opts && opts->target_only;
    char *all = describe_expr(t->major, NULL, 0);
    t->sql_objs =
        xasprintf("SELECT o.classid, o.objid, o.objsubid, %s, o.classid::pg_catalog.regclass "
                  "FROM pg_catalog.pg_lock_status() o WHERE o.pid = pg_catalog.pg_backend_pid() "
                  "AND o.locktype = 'object'",
                  all);
    free(all);
    t->no_columns = opts && opts->no_columns;
    size_t n;
    char **q = snap_lines(t, SQL_SNAP, &n);
    t->snap_plain = join_lines(q, n);
    q = snap_lines(t, tracer_snap_t_sql(t->major), &n);
    char *touched = join_lines(q, n);
    t->after_plain = xasprintf("%s;\n%s;\n" SQL_SCANS ";\nCOMMIT", touched, t->sql_objs);
    free(touched);
    if (tracer_prepare(t, err) < 0) goto fail;
    return t;
fail:
    tracer_free(t);
    return NULL;
}

void tracer_free(Tracer *t)
{
    if (!t) return;
    pgconn_close(t->traced);
    pgconn_close(t->obs[0]);
    pgconn_close(t->obs[1]);
    for (size_t k = 0; k < t->nhold; k++)
        pgconn_close(t->hold[k].c);
    free(t->hold);
    free(t->conninfo);
    lockset_free(&t->tx_locks);
    snap_free(&t->cache);
    free(t->sql_objs);
    free(t->snap_plain);
    free(t->snap_prepared);
    free(t->after_exec);
    free(t->after_plain);
    free(t);
}

int tracer_lost(Tracer *t, const char *who, const PgReply *r, Err *err)
{
    t->cache_valid = false;
    return err_set(err, EXIT_ENV, "connection to the server lost (%s): %s", who,
                   r->message ? r->message : "unknown error");
}

/* What the server said for the statement's reply r (it replaces what an
 * earlier attempt said). */
void tracer_keep_said(Trace *out, const PgReply *r)
{
    if (!r->said) return;
    free(out->said);
    out->said = xstrdup(r->said);
}

void tracer_set_error(Trace *out, const PgReply *r)
{
    tracer_keep_said(out, r);
    out->status = TRACE_ERROR;
    snprintf(out->sqlstate, sizeof(out->sqlstate), "%s", r->sqlstate);
    out->message = xstrdup(r->message ? r->message : "unknown error");
}

void tracer_set_timeout(Trace *out, int ms)
{
    out->status = TRACE_TIMEOUT;
    snprintf(out->sqlstate, sizeof(out->sqlstate), "57014");
    out->message = xasprintf("canceled after %d ms", ms);
}

/* Runs a short statement of the tracer's own; -1 only when the connection is lost. */
int tracer_quiet(Tracer *t, PgConn *c, const char *sql, Err *err)
{
    PgReply r;
    int rc = 0;
    if (pgconn_exec(c, sql, TRACER_QUERY_MS, &r) == PG_LOST)
        rc = tracer_lost(t, c == t->traced ? "traced" : "observer", &r, err);
    pgreply_clear(&r);
    return rc;
}

const char *tracer_snap_t_sql(int major)
{
    return major >= 12 ? SQL_SNAP_T : SQL_SNAP_T_OR;
}

static int tracer_prepare(Tracer *t, Err *err)
{
    int g = ++t->generation;
    size_t ntouched;
    char **touched = snap_lines(t, tracer_snap_t_sql(t->major), &ntouched);
    Buf prep, snap, after;
    buf_init(&prep);
    buf_init(&snap);
    buf_init(&after);
    /* The whole snapshot is the after-snapshot's queries with no relation
     * locked and none older than the first user oid (the rows of every
     * relation with oid >= 16384: SQL_SNAP's), so that a job's backend
     * prepares seven queries fewer. */
    for (size_t k = 0; k < ntouched; k++) {
        buf_printf(
            &prep,
            "PREPARE lm_t%zu_%d(pg_catalog.oid[], pg_catalog.oid, pg_catalog.oid[]) AS %s;\n", k, g,
            touched[k]);
        buf_printf(&snap, "%sEXECUTE lm_t%zu_%d('{}', %u, '{}')", k ? ";\n" : "", k, g,
                   FIRST_USER_OID - 1);
        buf_printf(&after, "EXECUTE lm_t%zu_%d($1, $2, $3);\n", k, g);
        free(touched[k]);
    }
    free(touched);
    /* $4: the descriptions of the statement's object locks (tracer_objs_sql) */
    buf_printf(&after, "$4;\nEXECUTE lm_scans_%d;\nCOMMIT", g);
    free(t->snap_prepared);
    t->snap_prepared = buf_steal(&snap);
    free(t->after_exec);
    t->after_exec = buf_steal(&after);
    char *base = xasprintf(SQL_BASELINE, "$1");
    buf_printf(&prep,
               "PREPARE lm_locks_%d AS " SQL_OWN_LOCKS ";\n"
               "PREPARE lm_scans_%d AS " SQL_SCANS ";\n"
               "PREPARE lm_base_%d(pg_catalog.oid[]) AS %s;\n" SQL_PREPARED_NAMES,
               g, g, g, base);
    char *sql = buf_steal(&prep);
    free(base);
    PgReply r;
    PgStatus s = pgconn_exec(t->traced, sql, TRACER_QUERY_MS, &r);
    free(sql);
    int rc = 0;
    if (s == PG_LOST) rc = tracer_lost(t, "traced", &r, err);
    t->prepared = s == PG_OK;
    pgreply_clear(&r);
    return rc;
}

/* A connection of the tracer's that holds nothing: closed, or connected
 * outside any transaction. */
static bool conn_idle(PgConn *c)
{
    return !c || (pgconn_ok(c) && PQtransactionStatus(pgconn_raw(c)) == PQTRANS_IDLE);
}

bool tracer_reusable(const Tracer *t)
{
    if (!t->traced || !conn_idle(t->traced) || t->utx != UTX_NONE || !t->cache_valid) return false;
    for (size_t k = 0; k < t->nhold; k++)
        if (!conn_idle(t->hold[k].c)) return false;
    return conn_idle(t->obs[0]) && conn_idle(t->obs[1]);
}

/* Every object a migration can name or make under a name of its own, made
 * after initdb. */
#define SQL_USER_NAMES                                                                             \
    "SELECT pg_catalog.lower(n::pg_catalog.text) FROM ("                                           \
    "SELECT relname FROM pg_catalog.pg_class WHERE oid >= 16384 UNION ALL "                        \
    "SELECT typname FROM pg_catalog.pg_type WHERE oid >= 16384 UNION ALL "                         \
    "SELECT nspname FROM pg_catalog.pg_namespace WHERE oid >= 16384 UNION ALL "                    \
    "SELECT proname FROM pg_catalog.pg_proc WHERE oid >= 16384 UNION ALL "                         \
    "SELECT conname FROM pg_catalog.pg_constraint WHERE oid >= 16384 UNION ALL "                   \
    "SELECT tgname FROM pg_catalog.pg_trigger WHERE oid >= 16384 UNION ALL "                       \
    "SELECT rulename FROM pg_catalog.pg_rewrite WHERE oid >= 16384 UNION ALL "                     \
    "SELECT polname FROM pg_catalog.pg_policy WHERE oid >= 16384 UNION ALL "                       \
    "SELECT oprname FROM pg_catalog.pg_operator WHERE oid >= 16384 UNION ALL "                     \
    "SELECT collname FROM pg_catalog.pg_collation WHERE oid >= 16384 UNION ALL "                   \
    "SELECT stxname FROM pg_catalog.pg_statistic_ext WHERE oid >= 16384 UNION ALL "                \
    "SELECT conname FROM pg_catalog.pg_conversion WHERE oid >= 16384 UNION ALL "                   \
    "SELECT cfgname FROM pg_catalog.pg_ts_config WHERE oid >= 16384 UNION ALL "                    \
    "SELECT dictname FROM pg_catalog.pg_ts_dict WHERE oid >= 16384) x(n)"

long tracer_user_names(Tracer *t, char ***names, Err *err)
{
    *names = NULL;
    PgReply r;
    PgStatus st = pgconn_exec(t->traced, SQL_USER_NAMES, TRACER_QUERY_MS, &r);
    long n = -1;
    if (st == PG_LOST) {
        tracer_lost(t, "traced", &r, err);
    } else if (st != PG_OK || r.nres != 1) {
        err_set(err, EXIT_ENV, "could not read the database's object names: %s",
                r.message ? r.message : "unexpected result");
    } else {
        n = PQntuples(r.res[0]);
        *names = xcalloc((size_t)n + 1, sizeof(char *));
        for (long i = 0; i < n; i++) {
            const char *v = pgreply_value(&r, 0, (int)i, 0);
            (*names)[i] = xstrdup(v ? v : "");
        }
    }
    pgreply_clear(&r);
    return n;
}

/* Inside a migration's own transaction the tracer's queries are plain text:
 * a prepared statement the migration deallocated would abort its
 * transaction (tx.c runs the catalog reads after a statement prepared there
 * once it has seen that they are still there: Tracer.tx_planned). */
bool tracer_use_prepared(const Tracer *t)
{
    return t->prepared && t->utx == UTX_NONE;
}

/* A reply that failed because the tracer's prepared statements are gone:
 * from now on plain text. */
bool tracer_lost_prepared(Tracer *t, const PgReply *r)
{
    if (!t->prepared || r->status != PG_REFUSED || strcmp(r->sqlstate, "26000") != 0) return false;
    t->prepared = false;
    return true;
}

int tracer_run(Tracer *t, const Statement *st, Trace *out, Err *err)
{
    memset(out, 0, sizeof(*out));
    out->stmt = st->index > 0 ? st->index - 1 : 0;
    out->status = TRACE_OK;
    snprintf(out->capture, sizeof(out->capture), "tx");
    if (!pgconn_ok(t->traced) || (t->obs[0] && !pgconn_ok(t->obs[0])))
        return err_set(err, EXIT_ENV, "connection to the server lost");
    if (t->utx == UTX_NONE && !t->prepared && t->generation < 4 && tracer_prepare(t, err) < 0)
        return -1;
    if (st->info.tx_control || t->utx == UTX_ABORTED) {
        prof_enter(PROF_EXECUTE);
        int r = tracer_run_plain(t, st, out, err);
        prof_leave();
        return r;
    }
    bool had_snapshot = t->cache_valid;
    prof_enter(PROF_SNAPSHOT);
    int snapped = tracer_snapshot(t, err);
    prof_leave();
    if (snapped < 0) return -1;
    /* a snapshot read inside the migration's transaction leaves the tracer's
     * AccessShareLocks on the catalogs: held before the statement, not its own */
    if (!had_snapshot && t->utx == UTX_OPEN && tracer_refresh_tx_locks(t, err) < 0) return -1;
    if (t->utx == UTX_OPEN) {
        /* inside the migration's own transaction, whatever the statement: a
         * statement that cannot run in a transaction block is refused, as in
         * production */
        int r = tracer_run_tx(t, st, out, err);
        tracer_sync_tx(t);
        return r;
    }
    bool no_tx = st->info.no_tx || (st->info.no_tx_below && t->major < st->info.no_tx_below);
    if (!no_tx) {
        int r = tracer_run_tx(t, st, out, err);
        if (r != 1) return r;
        trace_free(out);
        out->stmt = st->index > 0 ? st->index - 1 : 0;
        out->status = TRACE_OK;
    }
    prof_enter(PROF_OBSERVED);
    int r = tracer_run_observed(t, st, out, err);
    prof_leave();
    return r;
}
