/*
 * store: the SQLite store of runs and observations.
 *
 * One file, WAL, foreign keys on. The schema is an ordered list of steps
 * (schema_steps[]): a file at PRAGMA user_version k gets steps k+1..N applied
 * in one transaction on open. Our files carry PRAGMA application_id
 * STORE_APPLICATION_ID and a meta table; anything else is refused.
 *
 * Writes reuse prepared statements kept in the Store (q[]). The statement
 * ids of the run being written are kept in memory (the map) so that a job's
 * traces find their statement without a query each.
 */
#include "store/store.h"
#include "model/versions.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define STORE_APPLICATION_ID 0x4c4d5458 /* "LMTX" */
#define STORE_BUSY_TIMEOUT_MS 5000

/* ---- schema ------------------------------------------------------------
 * Never edit a step that has shipped: append a new one. Conventions:
 * migrations.chain is the 0-based index of the chain in the corpus,
 * migrations.position the 1-based position of the migration in its chain,
 * statements.idx the 1-based position of the statement in its migration.
 * Fingerprints are 16 hex digits (a 64-bit unsigned does not fit SQLite's
 * signed integer cleanly); NULL when the statement could not be parsed. */
static const char *const schema_steps[] = {
    /* 1: everything */
    "CREATE TABLE meta (\n"
    "  key   TEXT PRIMARY KEY,\n"
    "  value TEXT NOT NULL\n"
    ");\n"
    "INSERT INTO meta (key, value) VALUES ('application', 'lockmatrix');\n"
    "CREATE TABLE runs (\n"
    "  id           INTEGER PRIMARY KEY,\n"
    "  started_at   TEXT NOT NULL,\n"
    "  finished_at  TEXT,\n"
    "  status       TEXT NOT NULL DEFAULT 'running'\n"
    "               CHECK (status IN ('running', 'complete', 'failed', 'interrupted')),\n"
    "  corpus       TEXT NOT NULL,\n"
    "  versions     TEXT NOT NULL,\n" /* "10,11,12" */
    "  backend      TEXT NOT NULL,\n"
    "  args         TEXT,\n"
    "  tool_version TEXT,\n"
    "  jobs         INTEGER\n"
    ");\n"
    "CREATE TABLE servers (\n"
    "  run_id  INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,\n"
    "  major   INTEGER NOT NULL,\n"
    "  version TEXT NOT NULL,\n"
    "  PRIMARY KEY (run_id, major)\n"
    ");\n"
    "CREATE TABLE migrations (\n"
    "  id         INTEGER PRIMARY KEY,\n"
    "  run_id     INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,\n"
    "  chain      INTEGER NOT NULL,\n"
    "  chain_name TEXT NOT NULL,\n"
    "  position   INTEGER NOT NULL,\n"
    "  path       TEXT NOT NULL,\n"
    "  error      TEXT,\n"
    "  UNIQUE (run_id, chain, position)\n"
    ");\n"
    "CREATE INDEX migrations_path ON migrations (path);\n"
    "CREATE TABLE statements (\n"
    "  id            INTEGER PRIMARY KEY,\n"
    "  migration_id  INTEGER NOT NULL REFERENCES migrations (id) ON DELETE CASCADE,\n"
    "  idx           INTEGER NOT NULL,\n"
    "  line          INTEGER NOT NULL,\n"
    "  sql           TEXT NOT NULL,\n"
    "  fingerprint   TEXT,\n"
    "  class         TEXT,\n"
    "  subclasses    TEXT,\n" /* "; "-joined */
    "  target        TEXT,\n"
    "  target_schema TEXT,\n"
    "  referenced    TEXT,\n" /* ","-joined */
    "  no_tx         INTEGER NOT NULL DEFAULT 0,\n"
    "  no_tx_below   INTEGER NOT NULL DEFAULT 0,\n"
    "  tx_control    INTEGER NOT NULL DEFAULT 0,\n"
    "  in_do_block   INTEGER NOT NULL DEFAULT 0,\n"
    "  UNIQUE (migration_id, idx)\n"
    ");\n"
    "CREATE INDEX statements_fingerprint ON statements (fingerprint);\n"
    "CREATE TABLE jobs (\n"
    "  id          INTEGER PRIMARY KEY,\n"
    "  run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,\n"
    "  chain       INTEGER NOT NULL,\n"
    "  major       INTEGER NOT NULL,\n"
    "  status      TEXT NOT NULL CHECK (status IN ('ok', 'failed')),\n"
    "  reason      TEXT,\n"
    "  attempts    INTEGER NOT NULL DEFAULT 1,\n"
    "  duration_ms REAL,\n"
    "  finished_at TEXT,\n"
    "  UNIQUE (run_id, chain, major)\n"
    ");\n"
    "CREATE TABLE traces (\n"
    "  id           INTEGER PRIMARY KEY,\n"
    "  job_id       INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,\n"
    "  statement_id INTEGER NOT NULL REFERENCES statements (id) ON DELETE CASCADE,\n"
    "  major        INTEGER NOT NULL,\n"
    "  status       TEXT NOT NULL CHECK (status IN ('ok', 'error', 'skipped', 'timeout')),\n"
    "  sqlstate     TEXT,\n"
    "  message      TEXT,\n"
    "  capture      TEXT,\n"
    "  duration_ms  REAL,\n"
    "  UNIQUE (statement_id, major)\n"
    ");\n"
    "CREATE INDEX traces_job ON traces (job_id);\n"
    "CREATE TABLE locks (\n"
    "  id          INTEGER PRIMARY KEY,\n"
    "  trace_id    INTEGER NOT NULL REFERENCES traces (id) ON DELETE CASCADE,\n"
    "  relation    TEXT,\n"
    "  role        TEXT,\n"
    "  locktype    TEXT NOT NULL,\n"
    "  mode        TEXT NOT NULL,\n"
    "  granted     INTEGER NOT NULL,\n"
    "  held_before INTEGER NOT NULL DEFAULT 0\n"
    ");\n"
    "CREATE INDEX locks_trace ON locks (trace_id);\n"
    "CREATE TABLE rewrites (\n"
    "  id       INTEGER PRIMARY KEY,\n"
    "  trace_id INTEGER NOT NULL REFERENCES traces (id) ON DELETE CASCADE,\n"
    "  relation TEXT NOT NULL\n"
    ");\n"
    "CREATE INDEX rewrites_trace ON rewrites (trace_id);\n"
    "CREATE TABLE scans (\n"
    "  id       INTEGER PRIMARY KEY,\n"
    "  trace_id INTEGER NOT NULL REFERENCES traces (id) ON DELETE CASCADE,\n"
    "  relation TEXT NOT NULL,\n"
    "  seq_scan INTEGER NOT NULL,\n"
    "  tup_read INTEGER NOT NULL\n"
    ");\n"
    "CREATE INDEX scans_trace ON scans (trace_id);\n"
    "CREATE TABLE changes (\n"
    "  id       INTEGER PRIMARY KEY,\n"
    "  trace_id INTEGER NOT NULL REFERENCES traces (id) ON DELETE CASCADE,\n"
    "  kind     TEXT NOT NULL,\n"
    "  relation TEXT,\n"
    "  detail   TEXT\n"
    ");\n"
    "CREATE INDEX changes_trace ON changes (trace_id);\n"
    "CREATE TABLE predictions (\n"
    "  trace_id INTEGER PRIMARY KEY REFERENCES traces (id) ON DELETE CASCADE,\n"
    "  mode     TEXT,\n"
    "  rewrite  INTEGER,\n"
    "  scan     INTEGER,\n"
    "  risk     TEXT,\n"
    "  verdict  TEXT\n"
    ");\n"
    "CREATE TABLE evidence (\n"
    "  id       INTEGER PRIMARY KEY,\n"
    "  trace_id INTEGER NOT NULL REFERENCES traces (id) ON DELETE CASCADE,\n"
    "  kind     TEXT NOT NULL,\n"
    "  size     INTEGER NOT NULL,\n" /* bytes before compression */
    "  data     BLOB NOT NULL\n"     /* zlib (compress2) */
    ");\n"
    "CREATE INDEX evidence_trace ON evidence (trace_id, kind);\n",
    /* 2: how a migration tool runs each migration (corpus/layout.h): in one
     * transaction, and SQL extracted from a JS/TS migration ("knex" ...) */
    "ALTER TABLE migrations ADD COLUMN wrap_tx INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE migrations ADD COLUMN extracted_from TEXT;\n",
    /* 3: sharded runs (run --shard K/N, merge): the shard, NULL when the run
     * had every job, and the corpus identity (corpus/shard.h) */
    "ALTER TABLE runs ADD COLUMN shard TEXT;\n"
    "ALTER TABLE runs ADD COLUMN corpus_id TEXT;\n"
    "CREATE INDEX runs_corpus_id ON runs (corpus_id);\n",
    /* 4: phases of statements held by the observers at each stop (capture
     * "phase"), and how long a migration's own transaction held its strongest
     * lock (on the trace of its COMMIT, or of the last statement of a
     * migration its tool wraps in a transaction) */
    "ALTER TABLE traces ADD COLUMN lock_held_ms REAL;\n"
    "ALTER TABLE traces ADD COLUMN lock_held_relation TEXT;\n"
    "ALTER TABLE traces ADD COLUMN lock_held_mode TEXT;\n"
    "CREATE TABLE phase_locks (\n"
    "  id          INTEGER PRIMARY KEY,\n"
    "  trace_id    INTEGER NOT NULL REFERENCES traces (id) ON DELETE CASCADE,\n"
    "  phase       INTEGER NOT NULL,\n" /* 1-based, in order */
    "  waiting     INTEGER NOT NULL,\n" /* 1: the lock the statement waited for at this stop */
    "  relation    TEXT,\n"
    "  role        TEXT,\n"
    "  locktype    TEXT NOT NULL,\n"
    "  mode        TEXT NOT NULL,\n"
    "  granted     INTEGER NOT NULL\n"
    ");\n"
    "CREATE INDEX phase_locks_trace ON phase_locks (trace_id);\n",
    /* 5: what a statement itself requested (predict/locktable.h TraceReq): "own"
     * (its locks are its requests), "replay" (measured on a sibling database,
     * rows in requests), "unmeasured" (its transaction held locks before it
     * and nothing measured it: older stores' statements inside a migration's
     * transaction); the replay's rows: kind "lock" (relation, role, locktype,
     * mode), "rewrite" and "scan" (relation) */
    "ALTER TABLE traces ADD COLUMN requested TEXT;\n"
    "UPDATE traces SET requested = CASE WHEN id IN (SELECT trace_id FROM locks WHERE "
    "held_before) THEN 'unmeasured' ELSE 'own' END WHERE status = 'ok';\n"
    "CREATE TABLE requests (\n"
    "  id          INTEGER PRIMARY KEY,\n"
    "  trace_id    INTEGER NOT NULL REFERENCES traces (id) ON DELETE CASCADE,\n"
    "  kind        TEXT NOT NULL CHECK (kind IN ('lock', 'rewrite', 'scan')),\n"
    "  relation    TEXT,\n"
    "  role        TEXT,\n"
    "  locktype    TEXT,\n"
    "  mode        TEXT\n"
    ");\n"
    "CREATE INDEX requests_trace ON requests (trace_id);\n",
    /* 6: the layout each directory given was loaded with (corpus/layout.h
     * LayoutSummary): what it took and why; its chains are first_chain ..
     * first_chain + chains - 1. left_names: the first names, one a line */
    "CREATE TABLE layouts (\n"
    "  id          INTEGER PRIMARY KEY,\n"
    "  run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,\n"
    "  path        TEXT NOT NULL,\n"
    "  first_chain INTEGER NOT NULL,\n"
    "  chains      INTEGER NOT NULL,\n"
    "  layout      TEXT NOT NULL,\n"
    "  forced      INTEGER NOT NULL,\n"
    "  ups         INTEGER NOT NULL,\n"
    "  downs       INTEGER NOT NULL,\n"
    "  downs_run   INTEGER NOT NULL,\n"
    "  left_out    INTEGER NOT NULL,\n"
    "  left_names  TEXT,\n"
    "  note        TEXT\n"
    ");\n"
    "CREATE INDEX layouts_run ON layouts (run_id);\n",
};

int store_schema_version(void) { return (int)ARRAY_LEN(schema_steps); }

/* ---- prepared statements ------------------------------------------------ */
enum {
    Q_RUN_INSERT,
    Q_MIG_INSERT,
    Q_LAYOUT_INSERT,
    Q_STMT_INSERT,
    Q_STMT_IDS,
    Q_SERVER_PUT,
    Q_JOB_DELETE,
    Q_JOB_INSERT,
    Q_TRACE_INSERT,
    Q_LOCK_INSERT,
    Q_PHASE_LOCK_INSERT,
    Q_REQUEST_INSERT,
    Q_REWRITE_INSERT,
    Q_SCAN_INSERT,
    Q_CHANGE_INSERT,
    Q_RUN_FINISH,
    Q_LATEST_RUN,
    Q_TRACE_ID,
    Q_EVIDENCE_PUT,
    Q_EVIDENCE_GET,
    Q_PREDICTION_INSERT,
    Q_VERDICT_COUNTS,
    Q_PREVIOUS_RUN,
    Q_COUNT
};

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
    [Q_PREDICTION_INSERT] = "INSERT INTO predictions (trace_id, mode, rewrite, scan, risk, verdict) "
                            "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
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

struct Store {
    sqlite3 *db;              /* owned; sqlite3_close_v2 in store_close */
    char *path;               /* owned */
    int migrated;             /* schema steps applied by store_open */
    sqlite3_stmt *q[Q_COUNT]; /* prepared on first use, finalized in store_close */

    /* Statement ids of run map_run: ids[mig_off[chain_off[c] + m] + s]. Built by
     * store_run_begin, or loaded from the file on the first put_job of another run
     * (a resumed run). All owned. */
    long long map_run;
    size_t map_nchains, map_nmigs, map_nids;
    size_t *chain_off;
    size_t *mig_off;
    long long *ids;
};

/* ---- errors --------------------------------------------------------------- */

/* Code 3 with SQLite's message: the file cannot be read or written. */
static int db_err(Store *s, Err *err, const char *what)
{
    return err_set(err, EXIT_ENV, "could not %s store \"%s\": %s", what, s->path, sqlite3_errmsg(s->db));
}

static int not_ours(Store *s, Err *err)
{
    return err_set(err, EXIT_USAGE, "\"%s\" is not a lockmatrix store", s->path);
}

/* A prepared statement, reset and with no bindings; NULL with err on failure. */
static sqlite3_stmt *query(Store *s, int which, Err *err)
{
    sqlite3_stmt *st = s->q[which];
    if (!st) {
        if (sqlite3_prepare_v3(s->db, query_sql[which], -1, SQLITE_PREPARE_PERSISTENT, &s->q[which],
                               NULL) != SQLITE_OK) {
            db_err(s, err, "read");
            return NULL;
        }
        return s->q[which];
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* Steps a statement that returns no rows; leaves it reset (no locks held). */
static int step_done(Store *s, sqlite3_stmt *st, Err *err)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) {
        db_err(s, err, "write");
        sqlite3_reset(st);
        return -1;
    }
    sqlite3_reset(st);
    return 0;
}

static int exec(Store *s, const char *sql, Err *err, const char *what)
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

static int tx_begin(Store *s, Err *err) { return exec(s, "BEGIN IMMEDIATE", err, "write"); }
static int tx_commit(Store *s, Err *err) { return exec(s, "COMMIT", err, "write"); }
static void tx_rollback(Store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* The integer a one-row query (a PRAGMA) returns; SQLite's code on failure. */
static int query_int(Store *s, const char *sql, long long *out)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
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
    if (rc == SQLITE_OK)
        rc = query_int(s, "PRAGMA application_id", &app_id);
    if (rc == SQLITE_OK)
        rc = query_int(s, "PRAGMA user_version", version);
    if (rc == SQLITE_OK)
        rc = query_int(s, "SELECT count(*) FROM sqlite_master", &nobjects);
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, rc == SQLITE_OK ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
    if (rc == SQLITE_NOTADB)
        return not_ours(s, err);
    if (rc != SQLITE_OK)
        return db_err(s, err, "open");
    *fresh = app_id == 0 && nobjects == 0 && *version == 0;
    if (*fresh)
        return create ? 0 : not_ours(s, err);
    if (app_id != STORE_APPLICATION_ID)
        return not_ours(s, err);
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
    if (tx_begin(s, err) < 0)
        return -1;
    /* re-read under the write lock: another process may have migrated meanwhile */
    if (query_int(s, "PRAGMA user_version", &version) != SQLITE_OK) {
        db_err(s, err, "read");
        goto fail;
    }
    for (long long i = version; i < store_schema_version(); i++)
        if (exec(s, schema_steps[i], err, "migrate") < 0)
            goto fail;
    if (version < store_schema_version()) {
        char sql[128];
        snprintf(sql, sizeof(sql), "PRAGMA application_id = %d; PRAGMA user_version = %d",
                 STORE_APPLICATION_ID, store_schema_version());
        if (exec(s, sql, err, "migrate") < 0)
            goto fail;
    }
    if (tx_commit(s, err) < 0)
        goto fail;
    s->migrated = store_schema_version() - (int)version;
    return 0;
fail:
    tx_rollback(s);
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
    if (check_file(s, create, &fresh, &version, err) < 0)
        goto fail;
    /* only now that the file is known to be ours (or empty) may we change it */
    if (sqlite3_db_readonly(s->db, "main") != 1 &&
        exec(s, "PRAGMA journal_mode = WAL", err, "open") < 0)
        goto fail;
    if (exec(s, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL", err, "open") < 0)
        goto fail;
    if (version < store_schema_version() && migrate(s, err) < 0)
        goto fail;
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
        if (s || !busy || now_ms() > until)
            return s;
        usleep(20000);
    }
}

static void map_clear(Store *s)
{
    free(s->chain_off);
    free(s->mig_off);
    free(s->ids);
    s->chain_off = s->mig_off = NULL;
    s->ids = NULL;
    s->map_run = 0;
    s->map_nchains = s->map_nmigs = s->map_nids = 0;
}

void store_close(Store *s)
{
    if (!s)
        return;
    for (int i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(s->q[i]);
    if (s->db)
        sqlite3_close_v2(s->db);
    map_clear(s);
    free(s->path);
    free(s);
}

sqlite3 *store_db(Store *s) { return s->db; }
int store_migrated(const Store *s) { return s->migrated; }
const char *store_path(const Store *s) { return s->path; }

/* ---- the statement map ---------------------------------------------------- */

/* Sizes the map after the corpus; every id 0 (unknown). */
static void map_build(Store *s, long long run_id, const Corpus *c)
{
    map_clear(s);
    s->map_run = run_id;
    s->map_nchains = c->nchains;
    s->chain_off = xcalloc(c->nchains + 1, sizeof(size_t));
    for (size_t i = 0; i < c->nchains; i++)
        s->chain_off[i + 1] = s->chain_off[i] + c->chains[i].nmigs;
    s->map_nmigs = s->chain_off[c->nchains];
    s->mig_off = xcalloc(s->map_nmigs + 1, sizeof(size_t));
    size_t k = 0;
    for (size_t i = 0; i < c->nchains; i++)
        for (size_t m = 0; m < c->chains[i].nmigs; m++, k++)
            s->mig_off[k + 1] = s->mig_off[k] + c->chains[i].migs[m].nstmts;
    s->map_nids = s->mig_off[s->map_nmigs];
    s->ids = xcalloc(s->map_nids + 1, sizeof(long long));
}

/* Where the id of (chain, mig, stmt) lives in the map, or NULL when out of range. */
static long long *map_slot(Store *s, size_t chain, long long mig, long long stmt)
{
    if (chain >= s->map_nchains || mig < 0 || stmt < 0)
        return NULL;
    size_t nmigs = s->chain_off[chain + 1] - s->chain_off[chain];
    if ((size_t)mig >= nmigs)
        return NULL;
    size_t k = s->chain_off[chain] + (size_t)mig;
    if ((size_t)stmt >= s->mig_off[k + 1] - s->mig_off[k])
        return NULL;
    return &s->ids[s->mig_off[k] + (size_t)stmt];
}

/* The map of a run written by another process (a resumed run), from the file. */
static int map_load(Store *s, long long run_id, const Corpus *c, Err *err)
{
    map_build(s, run_id, c);
    sqlite3_stmt *st = query(s, Q_STMT_IDS, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, run_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        long long *slot = map_slot(s, (size_t)sqlite3_column_int64(st, 0),
                                   sqlite3_column_int64(st, 1) - 1, sqlite3_column_int64(st, 2) - 1);
        if (slot)
            *slot = sqlite3_column_int64(st, 3);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        map_clear(s);
        return db_err(s, err, "read");
    }
    return 0;
}

/* ---- runs ----------------------------------------------------------------- */

static int owner_put(Store *s, long long run_id, Err *err);
static void owner_drop(Store *s, long long run_id);

static void join(Buf *b, char *const *items, size_t n, const char *sep)
{
    buf_reset(b);
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_puts(b, sep);
        buf_puts(b, items[i] ? items[i] : "");
    }
}

static int insert_statement(Store *s, long long mig_id, size_t j, const Statement *st, Buf *tmp,
                            long long *id, Err *err)
{
    sqlite3_stmt *q = query(s, Q_STMT_INSERT, err);
    if (!q)
        return -1;
    char fp[17];
    snprintf(fp, sizeof(fp), "%016" PRIx64, st->fingerprint);
    const StmtInfo *in = &st->info;
    Buf sub;
    buf_init(&sub);
    join(&sub, in->subclasses, in->nsubclasses, "; ");
    join(tmp, in->referenced, in->nreferenced, ",");
    sqlite3_bind_int64(q, 1, mig_id);
    sqlite3_bind_int64(q, 2, (long long)j + 1);
    sqlite3_bind_int(q, 3, st->line);
    bind_text(q, 4, st->sql ? st->sql : "");
    bind_text(q, 5, st->fingerprint ? fp : NULL);
    bind_text(q, 6, in->cls);
    bind_text(q, 7, in->nsubclasses ? sub.data : NULL);
    bind_text(q, 8, in->target);
    bind_text(q, 9, in->target_schema);
    bind_text(q, 10, in->nreferenced ? tmp->data : NULL);
    sqlite3_bind_int(q, 11, in->no_tx);
    sqlite3_bind_int(q, 12, in->no_tx_below);
    sqlite3_bind_int(q, 13, in->tx_control);
    sqlite3_bind_int(q, 14, in->in_do_block);
    int rc = step_done(s, q, err);
    buf_free(&sub);
    if (rc < 0)
        return -1;
    *id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

/* corpus_migration_each: inserts each statement of one migration; the first
 * failure is kept in err and the rest are passed over. */
typedef struct StmtInserter {
    Store *s;
    long long mig_id;
    Buf *tmp;
    size_t chain, mig, next;
    bool failed;
    Err *err;
} StmtInserter;

static void insert_each(void *ctx, Statement *st)
{
    StmtInserter *in = ctx;
    size_t j = in->next++;
    if (!in->failed &&
        insert_statement(in->s, in->mig_id, j, st, in->tmp,
                         map_slot(in->s, in->chain, (long long)in->mig, (long long)j), in->err) < 0)
        in->failed = true;
}

int store_run_begin(Store *s, const RunInfo *ri, Corpus *c, long long *run_id, Err *err)
{
    Buf versions, tmp;
    buf_init(&versions);
    buf_init(&tmp);
    for (int i = 0; ri->versions && i < ri->versions->n; i++)
        buf_printf(&versions, "%s%s", i ? "," : "", VERSION_NAME(ri->versions->v[i]));
    char *now = now_iso8601();
    int ret = -1;

    if (tx_begin(s, err) < 0)
        goto out;
    sqlite3_stmt *q = query(s, Q_RUN_INSERT, err);
    if (!q)
        goto fail;
    bind_text(q, 1, now);
    bind_text(q, 2, ri->corpus ? ri->corpus : "");
    bind_text(q, 3, versions.data ? versions.data : "");
    bind_text(q, 4, ri->backend ? ri->backend : "embedded");
    bind_text(q, 5, ri->args);
    bind_text(q, 6, ri->tool_version);
    sqlite3_bind_int(q, 7, ri->jobs);
    bind_text(q, 8, ri->shard);
    bind_text(q, 9, ri->corpus_id);
    if (step_done(s, q, err) < 0)
        goto fail;
    long long id = sqlite3_last_insert_rowid(s->db);
    if (owner_put(s, id, err) < 0)
        goto fail;
    map_build(s, id, c);

    for (size_t li = 0; li < c->nlayouts; li++) {
        const CorpusLayout *l = &c->layouts[li];
        if (!(q = query(s, Q_LAYOUT_INSERT, err)))
            goto fail;
        sqlite3_bind_int64(q, 1, id);
        bind_text(q, 2, l->path);
        sqlite3_bind_int64(q, 3, (long long)l->first_chain);
        sqlite3_bind_int64(q, 4, (long long)l->nchains);
        bind_text(q, 5, l->sum.layout ? l->sum.layout : "");
        sqlite3_bind_int(q, 6, l->sum.forced);
        sqlite3_bind_int64(q, 7, (long long)l->sum.nup);
        sqlite3_bind_int64(q, 8, (long long)l->sum.ndown);
        sqlite3_bind_int(q, 9, l->sum.downs_run);
        sqlite3_bind_int64(q, 10, (long long)l->sum.nleft);
        bind_text(q, 11, l->sum.left);
        bind_text(q, 12, l->sum.note);
        if (step_done(s, q, err) < 0)
            goto fail;
    }
    for (size_t ci = 0; ci < c->nchains; ci++) {
        Chain *ch = &c->chains[ci];
        for (size_t mi = 0; mi < ch->nmigs; mi++) {
            Migration *m = &ch->migs[mi];
            if (!(q = query(s, Q_MIG_INSERT, err)))
                goto fail;
            sqlite3_bind_int64(q, 1, id);
            sqlite3_bind_int64(q, 2, (long long)ci);
            bind_text(q, 3, ch->name ? ch->name : "");
            sqlite3_bind_int64(q, 4, (long long)mi + 1);
            bind_text(q, 5, m->path ? m->path : "");
            bind_text(q, 6, m->error);
            sqlite3_bind_int(q, 7, m->wrap_tx);
            bind_text(q, 8, m->extracted_from);
            if (step_done(s, q, err) < 0)
                goto fail;
            /* one statement at a time: a lean migration is split again */
            StmtInserter in = {.s = s, .mig_id = sqlite3_last_insert_rowid(s->db), .tmp = &tmp,
                               .chain = ci, .mig = mi, .err = err};
            if (corpus_migration_each(m, insert_each, &in, err) != 0 || in.failed)
                goto fail;
        }
    }
    if (tx_commit(s, err) < 0)
        goto fail;
    *run_id = id;
    ret = 0;
    goto out;
fail:
    tx_rollback(s);
    map_clear(s);
out:
    free(now);
    buf_free(&versions);
    buf_free(&tmp);
    return ret;
}

int store_put_server(Store *s, long long run_id, int major, const char *version, Err *err)
{
    sqlite3_stmt *q = query(s, Q_SERVER_PUT, err);
    if (!q)
        return -1;
    sqlite3_bind_int64(q, 1, run_id);
    sqlite3_bind_int(q, 2, major);
    bind_text(q, 3, version ? version : "");
    return step_done(s, q, err);
}

int store_run_finish(Store *s, long long run_id, const char *status, Err *err)
{
    sqlite3_stmt *q = query(s, Q_RUN_FINISH, err);
    if (!q)
        return -1;
    char *now = now_iso8601();
    sqlite3_bind_int64(q, 1, run_id);
    bind_text(q, 2, status);
    bind_text(q, 3, now);
    int rc = step_done(s, q, err);
    free(now);
    if (rc < 0)
        return -1;
    if (sqlite3_changes(s->db) == 0)
        return err_set(err, EXIT_USAGE, "no run %lld in \"%s\"", run_id, s->path);
    owner_drop(s, run_id);
    return 0;
}

long long store_latest_run(Store *s, Err *err)
{
    sqlite3_stmt *q = query(s, Q_LATEST_RUN, err);
    if (!q)
        return -1;
    long long id = -1;
    if (sqlite3_step(q) == SQLITE_ROW)
        id = sqlite3_column_int64(q, 0);
    else
        db_err(s, err, "read");
    sqlite3_reset(q);
    return id;
}

long long store_previous_run(Store *s, long long run_id, Err *err)
{
    sqlite3_stmt *q = query(s, Q_PREVIOUS_RUN, err);
    if (!q)
        return -1;
    sqlite3_bind_int64(q, 1, run_id);
    long long id = 0;
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        id = sqlite3_column_int64(q, 0);
    else if (rc != SQLITE_DONE)
        id = db_err(s, err, "read");
    sqlite3_reset(q);
    return id;
}

/* ---- jobs ----------------------------------------------------------------- */

static void bind_tri(sqlite3_stmt *st, int i, bool predicted, int v)
{
    if (predicted && v >= 0)
        sqlite3_bind_int(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

static int put_prediction(Store *s, long long trace_id, const StorePrediction *p, Err *err)
{
    if (!p->predicted && !p->verdict)
        return 0;
    sqlite3_stmt *q = query(s, Q_PREDICTION_INSERT, err);
    if (!q)
        return -1;
    sqlite3_bind_int64(q, 1, trace_id);
    bind_text(q, 2, p->predicted ? p->mode : NULL);
    bind_tri(q, 3, p->predicted, p->rewrite);
    bind_tri(q, 4, p->predicted, p->scan);
    bind_text(q, 5, p->predicted ? p->risk : NULL);
    bind_text(q, 6, p->verdict);
    return step_done(s, q, err);
}

static int put_phase_lock(Store *s, long long trace_id, int phase, bool waiting, const TraceLock *l,
                          Err *err)
{
    sqlite3_stmt *q = query(s, Q_PHASE_LOCK_INSERT, err);
    if (!q)
        return -1;
    sqlite3_bind_int64(q, 1, trace_id);
    sqlite3_bind_int(q, 2, phase);
    sqlite3_bind_int(q, 3, waiting);
    bind_text(q, 4, l->relation);
    bind_text(q, 5, l->role);
    bind_text(q, 6, l->locktype ? l->locktype : "relation");
    bind_text(q, 7, l->mode ? l->mode : "");
    sqlite3_bind_int(q, 8, l->granted);
    return step_done(s, q, err);
}

static int put_trace(Store *s, long long job_id, long long stmt_id, int major, const Trace *t,
                     const StorePrediction *pred, Err *err)
{
    if ((unsigned)t->status >= TRACE_STATUSES)
        return err_set(err, EXIT_USAGE, "trace with an unknown status %d", (int)t->status);
    sqlite3_stmt *q = query(s, Q_TRACE_INSERT, err);
    if (!q)
        return -1;
    sqlite3_bind_int64(q, 1, job_id);
    sqlite3_bind_int64(q, 2, stmt_id);
    sqlite3_bind_int(q, 3, major);
    bind_text(q, 4, trace_status_name(t->status));
    bind_text(q, 5, t->sqlstate[0] ? t->sqlstate : NULL);
    bind_text(q, 6, t->message);
    bind_text(q, 7, t->capture[0] ? t->capture : NULL);
    sqlite3_bind_double(q, 8, t->duration_ms);
    if (t->lock_held_ms > 0) {
        sqlite3_bind_double(q, 9, t->lock_held_ms);
        bind_text(q, 10, t->lock_held_relation);
        bind_text(q, 11, t->lock_held_mode);
    }
    if (t->status == TRACE_OK)
        bind_text(q, 12, trace_req_name(t->req));
    if (step_done(s, q, err) < 0)
        return -1;
    long long id = sqlite3_last_insert_rowid(s->db);
    if (pred && put_prediction(s, id, pred, err) < 0)
        return -1;
    if (t->said && store_put_evidence(s, id, STORE_EVIDENCE_SERVER, t->said, strlen(t->said), err) < 0)
        return -1;

    for (size_t i = 0; i < t->nlocks; i++) {
        const TraceLock *l = &t->locks[i];
        if (!(q = query(s, Q_LOCK_INSERT, err)))
            return -1;
        sqlite3_bind_int64(q, 1, id);
        bind_text(q, 2, l->relation);
        bind_text(q, 3, l->role);
        bind_text(q, 4, l->locktype ? l->locktype : "relation");
        bind_text(q, 5, l->mode ? l->mode : "");
        sqlite3_bind_int(q, 6, l->granted);
        sqlite3_bind_int(q, 7, l->held_before);
        if (step_done(s, q, err) < 0)
            return -1;
    }
    size_t nreq = t->nrequested + t->nreq_rewrites + t->nreq_scanned;
    for (size_t i = 0; i < nreq; i++) {
        if (!(q = query(s, Q_REQUEST_INSERT, err)))
            return -1;
        sqlite3_bind_int64(q, 1, id);
        if (i < t->nrequested) {
            const TraceLock *l = &t->requested[i];
            bind_text(q, 2, "lock");
            bind_text(q, 3, l->relation);
            bind_text(q, 4, l->role);
            bind_text(q, 5, l->locktype ? l->locktype : "relation");
            bind_text(q, 6, l->mode ? l->mode : "");
        } else if (i < t->nrequested + t->nreq_rewrites) {
            bind_text(q, 2, "rewrite");
            bind_text(q, 3, t->req_rewrites[i - t->nrequested]);
        } else {
            bind_text(q, 2, "scan");
            bind_text(q, 3, t->req_scanned[i - t->nrequested - t->nreq_rewrites]);
        }
        if (step_done(s, q, err) < 0)
            return -1;
    }
    for (size_t p = 0; p < t->nphases; p++) {
        const TracePhase *ph = &t->phases[p];
        for (size_t i = 0; i <= ph->nlocks; i++) {
            const TraceLock *l = i < ph->nlocks ? &ph->locks[i] : &ph->waiting_for;
            if (i == ph->nlocks && !l->mode)
                break; /* it waited for nothing */
            if (put_phase_lock(s, id, (int)p + 1, i == ph->nlocks, l, err) < 0)
                return -1;
        }
    }
    for (size_t i = 0; i < t->nrewrites; i++) {
        if (!(q = query(s, Q_REWRITE_INSERT, err)))
            return -1;
        sqlite3_bind_int64(q, 1, id);
        bind_text(q, 2, t->rewrites[i] ? t->rewrites[i] : "");
        if (step_done(s, q, err) < 0)
            return -1;
    }
    for (size_t i = 0; i < t->nscans; i++) {
        const TraceScan *sc = &t->scans[i];
        if (!(q = query(s, Q_SCAN_INSERT, err)))
            return -1;
        sqlite3_bind_int64(q, 1, id);
        bind_text(q, 2, sc->relation ? sc->relation : "");
        sqlite3_bind_int64(q, 3, sc->seq_scan);
        sqlite3_bind_int64(q, 4, sc->tup_read);
        if (step_done(s, q, err) < 0)
            return -1;
    }
    for (size_t i = 0; i < t->nchanges; i++) {
        const TraceChange *ch = &t->changes[i];
        if (!(q = query(s, Q_CHANGE_INSERT, err)))
            return -1;
        sqlite3_bind_int64(q, 1, id);
        bind_text(q, 2, ch->kind ? ch->kind : "");
        bind_text(q, 3, ch->relation);
        bind_text(q, 4, ch->detail);
        if (step_done(s, q, err) < 0)
            return -1;
    }
    return 0;
}

int store_put_job(Store *s, long long run_id, const Corpus *c, const JobResult *jr, Err *err)
{
    if (jr->chain >= c->nchains)
        return err_set(err, EXIT_USAGE, "job of chain %zu, the corpus has %zu", jr->chain, c->nchains);
    if (s->map_run != run_id || s->map_nchains != c->nchains)
        if (map_load(s, run_id, c, err) < 0)
            return -1;
    const char *chain_name = c->chains[jr->chain].name;
    char *now = now_iso8601();

    if (tx_begin(s, err) < 0) {
        free(now);
        return -1;
    }
    /* a retry replaces the job and, by cascade, every trace of the first attempt */
    sqlite3_stmt *q = query(s, Q_JOB_DELETE, err);
    if (!q)
        goto fail;
    sqlite3_bind_int64(q, 1, run_id);
    sqlite3_bind_int64(q, 2, (long long)jr->chain);
    sqlite3_bind_int(q, 3, jr->major);
    if (step_done(s, q, err) < 0)
        goto fail;
    if (!(q = query(s, Q_JOB_INSERT, err)))
        goto fail;
    sqlite3_bind_int64(q, 1, run_id);
    sqlite3_bind_int64(q, 2, (long long)jr->chain);
    sqlite3_bind_int(q, 3, jr->major);
    bind_text(q, 4, jr->status ? jr->status : "ok");
    bind_text(q, 5, jr->reason);
    sqlite3_bind_int(q, 6, jr->attempts > 0 ? jr->attempts : 1);
    sqlite3_bind_double(q, 7, jr->duration_ms);
    bind_text(q, 8, now);
    if (step_done(s, q, err) < 0)
        goto fail;
    long long job_id = sqlite3_last_insert_rowid(s->db);

    for (size_t i = 0;; i++) {
        Trace got;
        const Trace *t = &got;
        const StorePrediction *pred = NULL;
        if (jr->next) {
            int r = jr->next(jr->next_ctx, &got, &pred, err);
            if (r < 0)
                goto fail;
            if (r == 0)
                break;
        } else {
            if (i >= jr->ntraces)
                break;
            t = &jr->traces[i];
            pred = jr->predictions ? &jr->predictions[i] : NULL;
        }
        long long *slot = map_slot(s, jr->chain, t->mig, t->stmt);
        int rc = -1;
        if (!slot || *slot == 0)
            err_set(err, EXIT_USAGE, "trace of statement %d of migration %d is not in chain \"%s\" of run %lld",
                    t->stmt + 1, t->mig + 1, chain_name ? chain_name : "", run_id);
        else
            rc = put_trace(s, job_id, *slot, jr->major, t, pred, err);
        if (jr->next)
            trace_free(&got);
        if (rc < 0)
            goto fail;
    }
    if (tx_commit(s, err) < 0)
        goto fail;
    free(now);
    return 0;
fail:
    tx_rollback(s);
    free(now);
    return -1;
}

int store_verdict_counts(Store *s, long long run_id, char ***names, long long **counts, size_t *n,
                         Err *err)
{
    *names = NULL;
    *counts = NULL;
    *n = 0;
    sqlite3_stmt *q = query(s, Q_VERDICT_COUNTS, err);
    if (!q)
        return -1;
    sqlite3_bind_int64(q, 1, run_id);
    size_t cap = 0, ccap = 0, nc = 0;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        *ARRAY_PUSH(*names, *n, cap) = xstrdup((const char *)sqlite3_column_text(q, 0));
        *ARRAY_PUSH(*counts, nc, ccap) = sqlite3_column_int64(q, 1);
    }
    sqlite3_reset(q);
    if (rc != SQLITE_DONE) {
        for (size_t i = 0; i < *n; i++)
            free((*names)[i]);
        free(*names);
        free(*counts);
        *names = NULL;
        *counts = NULL;
        *n = 0;
        return db_err(s, err, "read");
    }
    return 0;
}

/* ---- evidence ------------------------------------------------------------- */

int store_trace_id(Store *s, long long run_id, size_t chain, int mig, int stmt, int major,
                   long long *trace_id, Err *err)
{
    sqlite3_stmt *q = query(s, Q_TRACE_ID, err);
    if (!q)
        return -1;
    sqlite3_bind_int64(q, 1, run_id);
    sqlite3_bind_int64(q, 2, (long long)chain);
    sqlite3_bind_int(q, 3, mig + 1);
    sqlite3_bind_int(q, 4, stmt + 1);
    sqlite3_bind_int(q, 5, major);
    int rc = sqlite3_step(q);
    *trace_id = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
    sqlite3_reset(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_err(s, err, "read");
    return 0;
}

int store_put_evidence(Store *s, long long trace_id, const char *kind, const void *bytes, size_t n,
                       Err *err)
{
    uLongf zn = compressBound((uLong)n);
    Bytef *z = xmalloc(zn ? zn : 1);
    if (compress2(z, &zn, bytes, (uLong)n, Z_DEFAULT_COMPRESSION) != Z_OK) {
        free(z);
        return err_set(err, EXIT_ENV, "could not compress %zu bytes of evidence", n);
    }
    sqlite3_stmt *q = query(s, Q_EVIDENCE_PUT, err);
    int rc = -1;
    if (q) {
        sqlite3_bind_int64(q, 1, trace_id);
        bind_text(q, 2, kind);
        sqlite3_bind_int64(q, 3, (long long)n);
        sqlite3_bind_blob(q, 4, z, (int)zn, SQLITE_STATIC);
        rc = step_done(s, q, err);
    }
    free(z);
    return rc;
}

int store_get_evidence(Store *s, long long trace_id, const char *kind, char **out, size_t *n,
                       Err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *q = query(s, Q_EVIDENCE_GET, err);
    if (!q)
        return -1;
    sqlite3_bind_int64(q, 1, trace_id);
    bind_text(q, 2, kind);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(q);
        return 0;
    }
    if (rc != SQLITE_ROW) {
        sqlite3_reset(q);
        return db_err(s, err, "read");
    }
    size_t size = (size_t)sqlite3_column_int64(q, 0);
    char *buf = store_evidence_inflate(sqlite3_column_blob(q, 1),
                                       (size_t)sqlite3_column_bytes(q, 1), size);
    sqlite3_reset(q);
    if (!buf)
        return err_set(err, EXIT_ENV, "evidence \"%s\" of trace %lld in \"%s\" is corrupt", kind, trace_id,
                       s->path);
    *out = buf;
    *n = size;
    return 0;
}

char *store_evidence_inflate(const void *z, size_t zn, size_t size)
{
    if (size > ((size_t)1 << 30))
        return NULL;
    char *buf = xmalloc(size + 1);
    uLongf got = (uLongf)size;
    if (uncompress((Bytef *)buf, &got, z, (uLong)zn) != Z_OK || got != size) {
        free(buf);
        return NULL;
    }
    buf[size] = '\0';
    return buf;
}

/* ---- resuming a run --------------------------------------------------------
 * The process that writes a run is recorded in meta ("owner.run.<id>":
 * "<host> <pid> <start time>", start time from /proc/<pid>/stat) from
 * store_run_begin (or store_run_claim) until store_run_finish, so that a
 * resume never takes over a run whose writer is still alive. */

static char *owner_self(void)
{
    char host[256] = "";
    gethostname(host, sizeof(host) - 1);
    return xasprintf("%s %ld %llu", host[0] ? host : "-", (long)getpid(),
                     proc_starttime(getpid()));
}

/* True when owner (as written by owner_self) is a live process of this host
 * other than this one. */
static bool owner_alive(const char *owner)
{
    char host[256] = "", me[256] = "";
    long pid = 0;
    unsigned long long start = 0;
    if (!owner || sscanf(owner, "%255s %ld %llu", host, &pid, &start) != 3 || pid <= 0)
        return false;
    gethostname(me, sizeof(me) - 1);
    if (strcmp(host, me[0] ? me : "-") != 0)
        return true; /* another machine: we cannot tell, assume it is running */
    return pid != (long)getpid() && proc_starttime((pid_t)pid) == start;
}

static int owner_put(Store *s, long long run_id, Err *err)
{
    char *owner = owner_self();
    char *sql = sqlite3_mprintf("INSERT OR REPLACE INTO meta (key, value) "
                                "VALUES ('owner.run.%lld', %Q)",
                                run_id, owner);
    int rc = exec(s, sql, err, "write");
    sqlite3_free(sql);
    free(owner);
    return rc;
}

static void owner_drop(Store *s, long long run_id)
{
    char *sql = sqlite3_mprintf("DELETE FROM meta WHERE key = 'owner.run.%lld'", run_id);
    sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    sqlite3_free(sql);
}

void store_run_record_free(StoreRun *r)
{
    free(r->status);
    free(r->corpus);
    free(r->versions);
    free(r->backend);
    free(r->args);
    memset(r, 0, sizeof(*r));
}

static char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? xstrdup((const char *)t) : NULL;
}

int store_run_unfinished(Store *s, StoreRun *out, Err *err)
{
    memset(out, 0, sizeof(*out));
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT id, status, corpus, versions, backend, args, jobs FROM runs "
                           "WHERE status <> 'complete' ORDER BY id DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "read");
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->id = sqlite3_column_int64(st, 0);
        out->status = col_dup(st, 1);
        out->corpus = col_dup(st, 2);
        out->versions = col_dup(st, 3);
        out->backend = col_dup(st, 4);
        out->args = col_dup(st, 5);
        out->jobs = sqlite3_column_int(st, 6);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_err(s, err, "read");
    return 0;
}

/* corpus_migration_each: compares each statement with the next stored row
 * of its migration; the first difference goes to err. */
typedef struct StmtComparer {
    Store *s;
    sqlite3_stmt *rows;  /* idx, line, sql of the stored migration, in order */
    long long run_id;
    const char *path;
    bool failed;
    Err *err;
} StmtComparer;

static void compare_each(void *ctx, Statement *now)
{
    StmtComparer *cp = ctx;
    if (cp->failed)
        return;
    int rc = sqlite3_step(cp->rows);
    if (rc != SQLITE_ROW) {
        cp->failed = true;
        if (rc == SQLITE_DONE)
            err_set(cp->err, EXIT_USAGE, "the corpus changed since run %lld: \"%s\"", cp->run_id, cp->path);
        else
            db_err(cp->s, cp->err, "read");
        return;
    }
    const char *sql = (const char *)sqlite3_column_text(cp->rows, 2);
    if (sqlite3_column_int64(cp->rows, 0) != now->index || !sql ||
        strcmp(sql, now->sql ? now->sql : "") != 0 || sqlite3_column_int(cp->rows, 1) != now->line) {
        cp->failed = true;
        err_set(cp->err, EXIT_USAGE,
                "the corpus changed since run %lld: \"%s\" line %d: statement %d "
                "is not the one traced then",
                cp->run_id, cp->path, now->line, now->index);
    }
}

int store_run_compare(Store *s, long long run_id, Corpus *c, Err *err)
{
    sqlite3_stmt *st, *rows;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT m.chain, m.position, m.path, "
                           "(SELECT count(*) FROM statements x WHERE x.migration_id = m.id), m.id "
                           "FROM migrations m WHERE m.run_id = ?1 ORDER BY m.chain, m.position",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "read");
    if (sqlite3_prepare_v2(s->db,
                           "SELECT idx, line, sql FROM statements WHERE migration_id = ?1 ORDER BY idx",
                           -1, &rows, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return db_err(s, err, "read");
    }
    sqlite3_bind_int64(st, 1, run_id);
    size_t nmigs = 0, want_migs = 0;
    for (size_t i = 0; i < c->nchains; i++)
        want_migs += c->chains[i].nmigs;
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        long long chain = sqlite3_column_int64(st, 0), pos = sqlite3_column_int64(st, 1);
        const char *path = (const char *)sqlite3_column_text(st, 2);
        long long nst = sqlite3_column_int64(st, 3);
        nmigs++;
        if (chain < 0 || (size_t)chain >= c->nchains || pos < 1 ||
            (size_t)pos > c->chains[chain].nmigs) {
            ret = err_set(err, EXIT_USAGE, "the corpus changed since run %lld: \"%s\" is gone", run_id,
                          path ? path : "");
            break;
        }
        Migration *m = &c->chains[chain].migs[pos - 1];
        if (!path || strcmp(path, m->path) != 0) {
            ret = err_set(err, EXIT_USAGE, "the corpus changed since run %lld: \"%s\" where \"%s\" was",
                          run_id, m->path, path ? path : "");
            break;
        }
        if ((size_t)nst != m->nstmts) {
            ret = err_set(err, EXIT_USAGE,
                          "the corpus changed since run %lld: \"%s\" has %zu statements, "
                          "it had %lld",
                          run_id, m->path, m->nstmts, nst);
            break;
        }
        /* statement by statement, as the file is split again */
        sqlite3_reset(rows);
        sqlite3_bind_int64(rows, 1, sqlite3_column_int64(st, 4));
        StmtComparer cp = {.s = s, .rows = rows, .run_id = run_id, .path = m->path, .err = err};
        if (corpus_migration_each(m, compare_each, &cp, err) != 0 || cp.failed) {
            ret = -1;
            break;
        }
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = db_err(s, err, "read");
    sqlite3_finalize(rows);
    sqlite3_finalize(st);
    if (ret == 0 && nmigs != want_migs)
        ret = err_set(err, EXIT_USAGE, "the corpus changed since run %lld: %zu migrations, it had %zu",
                      run_id, want_migs, nmigs);
    return ret;
}

int store_run_jobs_ok(Store *s, long long run_id, size_t **chains, int **majors, size_t *n,
                      Err *err)
{
    *chains = NULL;
    *majors = NULL;
    *n = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT chain, major FROM jobs WHERE run_id = ?1 AND status = 'ok' "
                           "ORDER BY chain, major",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "read");
    sqlite3_bind_int64(st, 1, run_id);
    size_t cap = 0, mcap = 0, nm = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *ARRAY_PUSH(*chains, *n, cap) = (size_t)sqlite3_column_int64(st, 0);
        *ARRAY_PUSH(*majors, nm, mcap) = sqlite3_column_int(st, 1);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(*chains);
        free(*majors);
        *chains = NULL;
        *majors = NULL;
        *n = 0;
        return db_err(s, err, "read");
    }
    return 0;
}

int store_run_claim(Store *s, long long run_id, Err *err)
{
    if (tx_begin(s, err) < 0)
        return -1;
    sqlite3_stmt *st;
    char *owner = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'owner.run.' || ?1", -1, &st,
                           NULL) != SQLITE_OK) {
        db_err(s, err, "read");
        goto fail;
    }
    sqlite3_bind_int64(st, 1, run_id);
    if (sqlite3_step(st) == SQLITE_ROW)
        owner = col_dup(st, 0);
    sqlite3_finalize(st);
    if (owner_alive(owner)) {
        long pid = 0;
        sscanf(owner, "%*s %ld", &pid);
        err_set(err, EXIT_ENV, "run %lld is still being written by process %ld (%s)", run_id, pid,
                s->path);
        free(owner);
        goto fail;
    }
    free(owner);
    char *sql = sqlite3_mprintf(
        "UPDATE runs SET status = 'running', finished_at = NULL WHERE id = %lld", run_id);
    int rc = exec(s, sql, err, "write");
    sqlite3_free(sql);
    if (rc < 0 || owner_put(s, run_id, err) < 0)
        goto fail;
    if (tx_commit(s, err) < 0)
        goto fail;
    return 0;
fail:
    tx_rollback(s);
    return -1;
}
