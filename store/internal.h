/*
 * store/internal: what the files of store/ share and no one else sees: the
 * Store itself, its prepared statements and the helpers over SQLite.
 *
 * store.c opens, migrates and closes the file and keeps these helpers;
 * schema.c holds the schema steps; write.c records runs, jobs and traces;
 * evidence.c the compressed dumps; resume.c claims and resumes runs; run.c
 * reads a run back (store/run.h); merge.c combines shard stores.
 */
#ifndef LM_STORE_INTERNAL_H
#define LM_STORE_INTERNAL_H

#include <sqlite3.h>

#include "store/store.h"

/* The schema steps (schema.c): step i brings a file from user_version i to i + 1. */
extern const char *const store_schema_steps[];

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

/* Code 3 with SQLite's message: the file cannot be read or written (what:
 * "read", "write", "open", "migrate"). Returns -1. */
int store_db_err(Store *s, Err *err, const char *what);
/* Code 2: the file is not a lockmatrix store. Returns -1. */
int store_not_ours(Store *s, Err *err);
/* Prepared statement which (Q_*), reset and with no bindings; owned by the
 * store. NULL with err on failure. */
sqlite3_stmt *store_query(Store *s, int which, Err *err);
/* Binds v (NULL: SQL NULL); v must outlive the step. */
void store_bind_text(sqlite3_stmt *st, int i, const char *v);
/* Steps a statement that returns no rows; leaves it reset (no locks held). */
int store_step_done(Store *s, sqlite3_stmt *st, Err *err);
/* Runs sql (one or more statements); what names the failure as store_db_err. */
int store_exec(Store *s, const char *sql, Err *err, const char *what);
int store_tx_begin(Store *s, Err *err); /* BEGIN IMMEDIATE */
int store_tx_commit(Store *s, Err *err);
void store_tx_rollback(Store *s); /* when a transaction is open */
/* Column i as a new string (free()), NULL for SQL NULL. */
char *store_col_str(sqlite3_stmt *st, int i);
/* The statement map of write.c dropped (store_close, a failed run_begin). */
void store_map_clear(Store *s);
/* The process writing run_id, recorded in meta until store_run_finish (resume.c). */
int store_owner_put(Store *s, long long run_id, Err *err);
void store_owner_drop(Store *s, long long run_id);
/* The file's handle, for merge.c's attached copies; owned by the store. */
sqlite3 *store_db(Store *s);

#endif
