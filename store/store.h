/*
 * store: the SQLite store of runs and observations.
 *
 * WAL, foreign keys on, schema versioned with PRAGMA user_version and migrated
 * forward on open. The parent process is the only writer; every finished job
 * is written in one transaction, so a crash never leaves half a job.
 * Statements are identified across runs by migration path + fingerprint.
 */
#ifndef LM_STORE_H
#define LM_STORE_H

#include "common/util.h"
#include "corpus/corpus.h"
#include "model/prediction.h"
#include "model/versions.h"
#include "model/trace.h"

#define STORE_DEFAULT_PATH "lockmatrix.db"

typedef struct Store Store;

/* Opens (creating when create is true) and migrates the store at path.
 * A file that is not a lockmatrix store, or one from a newer version, is an
 * error (code 2); a store that cannot be opened or written is code 3. */
Store *store_open(const char *path, bool create, Err *err);
void store_close(Store *s);

typedef struct RunInfo {
    const char *corpus; /* the paths given, space-separated */
    const VersionSet *versions;
    const char *backend; /* "embedded", "docker" */
    const char *args;    /* the command line */
    const char *tool_version;
    int jobs;              /* -j */
    const char *shard;     /* "K/N" (run --shard), NULL: every job */
    const char *corpus_id; /* corpus/shard.h shard_corpus_id, or NULL */
} RunInfo;

/* Records a new run with its migrations and statements; *run_id gets its id.
 * The statements of lean migrations (corpus/corpus.h) are loaded one
 * migration at a time and dropped again. */
int store_run_begin(Store *s, const RunInfo *ri, Corpus *c, long long *run_id, Err *err);
/* The server a major ran on ("17.10"), recorded once per run and major. */
int store_put_server(Store *s, long long run_id, int major, const char *version, Err *err);

typedef struct JobResult {
    size_t chain; /* index into the corpus */
    int major;
    const char *status; /* "ok", "failed" */
    const char *reason; /* why it failed, or NULL */
    int attempts;
    double duration_ms;
    const Trace *traces; /* one per statement traced (chain order) */
    size_t ntraces;
    const Prediction *predictions; /* parallel to traces, or NULL; a row is written
                                    when predicted or with a verdict */
    /* Instead of traces and predictions: the traces one at a time, as the
     * scheduler reads them back from its spool file. 1 with *t (the store
     * frees it) and *pred (NULL: none), 0 after the last, -1 with err. */
    int (*next)(void *ctx, Trace *t, const Prediction **pred, Err *err);
    void *next_ctx;
} JobResult;

/* One transaction: the job row and all its traces. */
int store_put_job(Store *s, long long run_id, const Corpus *c, const JobResult *jr, Err *err);
/* How many traces of run_id have each verdict: names[i] (owned, free each and
 * the array) has counts[i] (free); ordered by name. */
int store_verdict_counts(Store *s, long long run_id, char ***names, long long **counts, size_t *n,
                         Err *err);
/* status: "complete", "failed", "interrupted" */
int store_run_finish(Store *s, long long run_id, const char *status, Err *err);
/* The newest run's id (0 when the store has none). */
long long store_latest_run(Store *s, Err *err);
/* The newest run before run_id of the same corpus root (runs.corpus: the
 * paths given, as recorded; the migrations under them may have been added,
 * removed or edited since) and the same shard (both NULL: whole runs) that
 * finished (complete or failed); 0 when there is none, -1 on error. */
long long store_previous_run(Store *s, long long run_id, Err *err);

/* ---- schema ----------------------------------------------------------- */
/* The schema version this build writes (PRAGMA user_version). */
int store_schema_version(void);
/* How many schema steps store_open applied to this file (0: it was current). */
int store_migrated(const Store *s);
const char *store_path(const Store *s); /* as given to store_open; owned by the store */

/* ---- evidence: raw dumps kept zlib-compressed ------------------------- */
/* Kinds written by runs: what the server said while the statement ran
 * (Trace.said: notices, the error with DETAIL, HINT, CONTEXT). */
#define STORE_EVIDENCE_SERVER "server_messages"
/* The id of the trace of one statement (chain, migration index in the chain,
 * statement index in the migration, both 0-based, as in Trace) on major;
 * *trace_id = 0 when there is none. */
int store_trace_id(Store *s, long long run_id, size_t chain, int mig, int stmt, int major,
                   long long *trace_id, Err *err);
/* Keeps n bytes of kind ("server_log", "pg_locks") for a trace, compressed. */
int store_put_evidence(Store *s, long long trace_id, const char *kind, const void *bytes, size_t n,
                       Err *err);
/* The first evidence of kind for a trace, decompressed into *out (NUL-terminated,
 * free()); *out = NULL when there is none. */
int store_get_evidence(Store *s, long long trace_id, const char *kind, char **out, size_t *n,
                       Err *err);
/* An evidence blob (zn bytes, as stored in evidence.data) inflated to its
 * size bytes, NUL-terminated (free()); NULL when it is corrupt. */
char *store_evidence_inflate(const void *z, size_t zn, size_t size);

/* ---- resuming a run ------------------------------------------------------ */
/* A stored run as recorded by store_run_begin (all strings owned; free with
 * store_run_record_free). */
typedef struct StoreRun {
    long long id; /* 0: none */
    char *status; /* running, complete, failed, interrupted */
    char *corpus, *versions, *backend, *args;
    int jobs;
} StoreRun;
void store_run_record_free(StoreRun *r);
/* The newest run whose status is not "complete" into *out (out->id = 0 when
 * there is none). */
int store_run_unfinished(Store *s, StoreRun *out, Err *err);
/* 0 when run_id's migrations and statements are exactly c's (paths, order,
 * statement text); -1 with a code 2 err naming the first difference. Lean
 * migrations are split again one at a time and compared statement by
 * statement, as store_run_begin inserts them. */
int store_run_compare(Store *s, long long run_id, Corpus *c, Err *err);
/* The jobs of run_id recorded ok: chains[i] on majors[i] (free both). */
int store_run_jobs_ok(Store *s, long long run_id, size_t **chains, int **majors, size_t *n,
                      Err *err);
/* Marks run_id running again, owned by this process. Code 3 when the process
 * that owns it (recorded by store_run_begin or an earlier claim) is alive. */
int store_run_claim(Store *s, long long run_id, Err *err);

#endif
