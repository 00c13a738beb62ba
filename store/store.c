/*
 * store: the SQLite store of runs and observations.
 *
 * One file, WAL, foreign keys on. The schema is an ordered list of steps
 * (store_schema_steps[], schema.c): a file at PRAGMA user_version k gets
 * steps k+1..N applied in one transaction on open. Our files carry PRAGMA
 * application_id STORE_APPLICATION_ID and a meta table; anything else is
 * refused.
 *
 * This file opens, migrates and closes the store and holds the helpers the
 * other files of store/ share (store/internal.h). Writes reuse prepared
 * statements kept in the Store (q[]).
 */
#include "store/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STORE_APPLICATION_ID 0x4c4d5458 /* "LMTX" */
#define STORE_BUSY_TIMEOUT_MS 5000

/* ---- prepared statements ------------------------------------------------ */
static const char *const query_sql[Q_COUNT] = {
    [Q_RUN_INSERT] = "INSERT INTO runs (started_at, status, corpus, versions, backend, args, "
                     "tool_version, jobs, shard, corpus_id) "
                     "VALUES (?1, 'running', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [Q_MIG_INSERT] = "INSERT INTO migrations (run_id, chain, chain_name, position, path, error, "
                     "wrap_tx, extracted_from) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [Q_LAYOUT_INSERT] = "INSERT INTO layouts (run_id, path, first_chain, chains, layout, forced, "
                        "ups, downs, downs_run, left_out, left_names, note) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    [Q_STMT_INSERT] = "INSERT INTO statements (migration_id, idx, line, sql, fingerprint, class, "
                      "subclasses, target, target_schema, referenced, no_tx, no_tx_below, "
                      "tx_control, in_do_block) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    [Q_STMT_IDS] = "SELECT m.chain, m.position, s.idx, s.id FROM statements s "
                   "JOIN migrations m ON m.id = s.migration_id WHERE m.run_id = ?1",
    [Q_SERVER_PUT] = "INSERT OR REPLACE INTO servers (run_id, major, version) VALUES (?1, ?2, ?3)",
    [Q_JOB_DELETE] = "DELETE FROM jobs WHERE run_id = ?1 AND chain = ?2 AND major = ?3",
    [Q_JOB_INSERT] = "INSERT INTO jobs (run_id, chain, major, status, reason, attempts, "
                     "duration_ms, finished_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [Q_TRACE_INSERT] = "INSERT INTO traces (job_id, statement_id, major, status, sqlstate, "
                       "message, capture, duration_ms, lock_held_ms, lock_held_relation, "
                       "lock_held_mode, requested) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    [Q_PHASE_LOCK_INSERT] = "INSERT INTO phase_locks (trace_id, phase, waiting, relation, role, "
                            "locktype, mode, granted) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [Q_LOCK_INSERT] = "INSERT INTO locks (trace_id, relation, role, locktype, mode, granted, "
                      "held_before) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_REQUEST_INSERT] = "INSERT INTO requests (trace_id, kind, relation, role, locktype, mode) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_REWRITE_INSERT] = "INSERT INTO rewrites (trace_id, relation) VALUES (?1, ?2)",
    [Q_SCAN_INSERT] = "INSERT INTO scans (trace_id, relation, seq_scan, tup_read) "
                      "VALUES (?1, ?2, ?3, ?4)",
    [Q_CHANGE_INSERT] = "INSERT INTO changes (trace_id, kind, relation, detail) "
                        "VALUES (?1, ?2, ?3, ?4)",
    [Q_RUN_FINISH] = "UPDATE runs SET status = ?2, finished_at = ?3 WHERE id = ?1",
    [Q_LATEST_RUN] = "SELECT coalesce(max(id), 0) FROM runs",
    [Q_TRACE_ID] = "SELECT t.id FROM traces t JOIN statements s ON s.id = t.statement_id "
                   "JOIN migrations m ON m.id = s.migration_id "
                   "WHERE m.run_id = ?1 AND m.chain = ?2 AND m.position = ?3 AND s.idx = ?4 "
                   "AND t.major = ?5",
    [Q_EVIDENCE_PUT] = "INSERT INTO evidence (trace_id, kind, size, data) VALUES (?1, ?2, ?3, ?4)",
    [Q_PREDICTION_INSERT] =
        "INSERT INTO predictions (trace_id, mode, rewrite, scan, risk, verdict, relations) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_VERDICT_COUNTS] = "SELECT p.verdict, count(*) FROM predictions p "
                         "JOIN traces t ON t.id = p.trace_id JOIN jobs j ON j.id = t.job_id "
                         "WHERE j.run_id = ?1 AND p.verdict IS NOT NULL "
                         "GROUP BY p.verdict ORDER BY p.verdict",
    /* the newest earlier run of the same corpus root (the paths given) and
     * shard that finished: a corpus that grew since keeps its root */
    [Q_PREVIOUS_RUN] = "SELECT p.id FROM runs r JOIN runs p ON p.id < r.id "
                       "AND p.status IN ('complete', 'failed') "
                       "AND p.corpus = r.corpus AND p.shard IS r.shard "
                       "WHERE r.id = ?1 ORDER BY p.id DESC LIMIT 1",
    [Q_EVIDENCE_GET] = "SELECT size, data FROM evidence WHERE trace_id = ?1 AND kind = ?2 "
                       "ORDER BY id LIMIT 1",
};

/* ---- errors --------------------------------------------------------------- */

/* Code 3 with SQLite's message: the file cannot be read or written. */
int store_db_err(Store *s, Err *err, const char *what)
{
    return err_set(err, EXIT_ENV, "could not %s store \"%s\": %s", what, s->path,
                   sqlite3_errmsg(s->db));
}

int store_not_ours(Store *s, Err *err)
{
    return err_set(err, EXIT_USAGE, "\"%s\" is not a lockmatrix store", s->path);
}

/* A prepared statement, reset and with no bindings; NULL with err on failure. */
sqlite3_stmt *store_query(Store *s, int which, Err *err)
{
    sqlite3_stmt *st = s->q[which];
    if (!st) {
        if (sqlite3_prepare_v3(s->db, query_sql[which], -1, SQLITE_PREPARE_PERSISTENT, &s->q[which],
                               NULL) != SQLITE_OK) {
            store_db_err(s, err, "read");
            return NULL;
        }
        return s->q[which];
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

void store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* Steps a statement that returns no rows; leaves it reset (no locks held). */
int store_step_done(Store *s, sqlite3_stmt *st, Err *err)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) {
        store_db_err(s, err, "write");
        sqlite3_reset(st);
        return -1;
    }
    sqlite3_reset(st);
    return 0;
}

int store_exec(Store *s, const char *sql, Err *err, const char *what)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        err_set(err, EXIT_ENV, "could not %s store \"%s\": %s", what, s->path,
                msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

int store_tx_begin(Store *s, Err *err)
{
    return store_exec(s, "BEGIN IMMEDIATE", err, "write");
}
int store_tx_commit(Store *s, Err *err)
{
    return store_exec(s, "COMMIT", err, "write");
}
void store_tx_rollback(Store *s)
{
    if (!sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* The integer a one-row query (a PRAGMA) returns; SQLite's code on failure. */
static int query_int(Store *s, const char *sql, long long *out)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        *out = 0;
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

/* ---- open, check, migrate ------------------------------------------------- */

/* Reads application_id, user_version and whether the file has any schema. A
 * file that is not SQLite, or is SQLite but not ours, is code 2. *fresh is true
 * for an empty database (to be created). */
static int check_file(Store *s, bool create, bool *fresh, long long *version, Err *err)
{
    long long app_id = 0, nobjects = 0;
    /* one read transaction: another process creating the store commits its
     * schema, application_id and user_version at once, and three separate
     * reads could see the file before and after it ("not a lockmatrix store") */
    int rc = sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL);
    if (rc == SQLITE_OK) rc = query_int(s, "PRAGMA application_id", &app_id);
    if (rc == SQLITE_OK) rc = query_int(s, "PRAGMA user_version", version);
    if (rc == SQLITE_OK) rc = query_int(s, "SELECT count(*) FROM sqlite_master", &nobjects);
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, rc == SQLITE_OK ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
    if (rc == SQLITE_NOTADB) return store_not_ours(s, err);
    if (rc != SQLITE_OK) return store_db_err(s, err, "open");
    *fresh = app_id == 0 && nobjects == 0 && *version == 0;
    if (*fresh) return create ? 0 : store_not_ours(s, err);
    if (app_id != STORE_APPLICATION_ID) return store_not_ours(s, err);
    if (*version > store_schema_version())
        return err_set(err, EXIT_USAGE,
                       "\"%s\" was written by a newer lockmatrix (schema %lld, this one knows %d)",
                       s->path, *version, store_schema_version());
    return 0;
}

/* Applies the schema steps the file lacks, in one transaction. */
static int migrate(Store *s, Err *err)
{
    long long version = 0;
    if (store_tx_begin(s, err) < 0) return -1;
    /* re-read under the write lock: another process may have migrated meanwhile */
    if (query_int(s, "PRAGMA user_version", &version) != SQLITE_OK) {
        store_db_err(s, err, "read");
        goto fail;
    }
    for (long long i = version; i < store_schema_version(); i++)
        if (store_exec(s, store_schema_steps[i], err, "migrate") < 0) goto fail;
    if (version < store_schema_version()) {
        char sql[128];
        snprintf(sql, sizeof(sql), "PRAGMA application_id = %d; PRAGMA user_version = %d",
                 STORE_APPLICATION_ID, store_schema_version());
        if (store_exec(s, sql, err, "migrate") < 0) goto fail;
    }
    if (store_tx_commit(s, err) < 0) goto fail;
    s->migrated = store_schema_version() - (int)version;
    return 0;
fail:
    store_tx_rollback(s);
    return -1;
}

static Store *open_once(const char *path, bool create, bool *busy, Err *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        if (errno != ENOENT) {
            err_set(err, EXIT_ENV, "could not open store \"%s\": %s", path, strerror(errno));
            return NULL;
        }
        if (!create) {
            err_set(err, EXIT_USAGE, "no store at \"%s\"", path);
            return NULL;
        }
    } else if (S_ISDIR(sb.st_mode)) {
        err_set(err, EXIT_USAGE, "\"%s\" is a directory, not a lockmatrix store", path);
        return NULL;
    }

    Store *s = xcalloc(1, sizeof(*s));
    s->path = xstrdup(path);
    int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(path, &s->db, flags, NULL);
    if (rc != SQLITE_OK) {
        err_set(err, EXIT_ENV, "could not open store \"%s\": %s", path,
                s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        store_close(s);
        return NULL;
    }
    sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);

    bool fresh = false;
    long long version = 0;
    if (check_file(s, create, &fresh, &version, err) < 0) goto fail;
    /* only now that the file is known to be ours (or empty) may we change it */
    if (sqlite3_db_readonly(s->db, "main") != 1 &&
        store_exec(s, "PRAGMA journal_mode = WAL", err, "open") < 0)
        goto fail;
    if (store_exec(s, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL", err, "open") < 0)
        goto fail;
    if (version < store_schema_version() && migrate(s, err) < 0) goto fail;
    return s;
fail:
    *busy = (sqlite3_errcode(s->db) & 0xff) == SQLITE_BUSY ||
            (sqlite3_errcode(s->db) & 0xff) == SQLITE_LOCKED;
    store_close(s);
    return NULL;
}

Store *store_open(const char *path, bool create, Err *err)
{
    /* Two processes opening a new store at once: the one that is not first
     * can find it locked while the other sets WAL mode and creates the schema,
     * where SQLite answers busy without waiting. Try again for the busy time. */
    double until = now_ms() + STORE_BUSY_TIMEOUT_MS;
    for (;;) {
        bool busy = false;
        Store *s = open_once(path, create, &busy, err);
        if (s || !busy || now_ms() > until) return s;
        usleep(20000);
    }
}

void store_close(Store *s)
{
    if (!s) return;
    for (int i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(s->q[i]);
    if (s->db) sqlite3_close_v2(s->db);
    store_map_clear(s);
    free(s->path);
    free(s);
}

sqlite3 *store_db(Store *s)
{
    return s->db;
}
int store_migrated(const Store *s)
{
    return s->migrated;
}
const char *store_path(const Store *s)
{
    return s->path;
}

char *store_col_str(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? xstrdup((const char *)t) : NULL;
}
