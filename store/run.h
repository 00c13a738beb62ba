/*
 * store/run: one stored run read back into memory (the run, its servers,
 * jobs, layouts, statements and what each did on each version), and the list
 * of the store's runs. report/runview analyses it; every renderer draws from
 * it.
 *
 * The fields marked "analysis" are left at their defaults by the store
 * (false, 0, NULL, target_rank -1) and filled by report/runview. Everything
 * in a RunView is owned by it and freed by store_run_free.
 */
#ifndef LM_STORE_RUN_H
#define LM_STORE_RUN_H

#include "common/util.h"
#include "corpus/corpus.h"
#include "predict/classify.h"
#include "model/prediction.h"
#include "model/trace.h"
#include "store/store.h"

/* Locks, scans and catalog changes are model/trace.h's types: a lock's role
 * is the static string trace_role_static gives, its other strings owned. */

/* One stop of a statement the observers held at each phase (capture "phase"). */
typedef struct RvPhase {
    TraceLock *locks;
    size_t nlocks;          /* granted to the statement at this stop */
    TraceLock *waiting_for; /* the lock it waited for; NULL when none */
} RvPhase;

/* What one statement did on one version. */
typedef struct RvResult {
    int major;
    const char *status; /* "ok", "error", "skipped", "timeout"; static string */
    bool traced;        /* a trace was stored (false: skipped for want of one) */
    char *skip_reason;  /* analysis: skipped without a trace: the failed job's reason, or
                           "not run"; NULL otherwise */
    char *sqlstate;     /* NULL when none */
    char *message;      /* NULL when none */
    char *said;         /* what the server said (evidence "server_messages": notices,
                           the error with DETAIL, HINT, CONTEXT); NULL when nothing */
    char *capture;      /* "tx", "phase", "poll", "none" ("observer" in older stores);
                           NULL when unknown */
    double duration_ms; /* 0 when not traced */
    TraceLock *locks;
    size_t nlocks;
    char **rewrites;
    size_t nrewrites;
    TraceScan *scans;
    size_t nscans;
    TraceChange *changes;
    size_t nchanges;
    RvPhase *phases;
    size_t nphases;           /* capture "phase": the stops in order */
    double lock_held_ms;      /* the end of a migration's own transaction: how long its
                                 strongest lock was held; 0 when not recorded */
    char *lock_held_relation; /* that lock's relation and mode; NULL when not recorded */
    char *lock_held_mode;
    int req; /* where its own requests come from: a TraceReq
                (model/trace.h), TRACE_REQ_OWN for a statement that did not run */
    TraceLock *requested;
    size_t nrequested; /* req TRACE_REQ_REPLAY: the locks the statement
    itself requested, measured on the replay */
    char **req_rewrites;
    size_t nreq_rewrites; /* and what it rewrote there */
    char **req_scanned;
    size_t nreq_scanned; /* and scanned there */
    Prediction pred;     /* what the lock table predicted (pred.predicted false:
                            nothing) and the verdict (VERDICT_NONE: none); no note,
                            cls or others (the store keeps none of them) */
    size_t naborted;     /* analysis: a failure of its own (an error or timeout, not 25P02): the
                            statements after it its transaction then refused with 25P02 */
    const struct RvStatement *aborted_by; /* analysis: a 25P02 after a failure of its transaction:
                                that failed statement (in the run view); NULL otherwise */
    int target_rank; /* analysis: strongest "table"-role lock mode the statement itself
                        requested (granted or waiting: the replay's when it has
                        one; else its own, and one held before only when it took
                        none), -1 when none: see lock_mode_name */
} RvResult;

typedef struct RvStatement {
    long long id; /* statements.id */
    size_t chain; /* index of its chain in the run's corpus */
    char *chain_name;
    int position;         /* 1-based position of its migration in the chain */
    char *migration;      /* the migration's path */
    char *extracted_from; /* "knex", "typeorm", "sequelize": SQL extracted from a JS/TS
                             migration; NULL for SQL files */
    int index;            /* 1-based position in the migration */
    int line;
    char *sql;
    char *cls;             /* class; may be NULL */
    char *target;          /* may be NULL */
    char *target_schema;   /* may be NULL */
    char *fingerprint;     /* 16 hex digits; NULL when libpg_query could not parse it */
    StmtParsed parsed;     /* how it was classified (classify_parsed_of: from the
                              fingerprint and the class, the store keeps no more) */
    bool do_block;         /* a DO block or a function body: its DDL is hidden inside */
    RvResult *results;     /* one per run version, parallel to RunView.versions */
    bool version_specific; /* analysis: it behaves differently on versions where it ran ok: on
                              at least two of them the strongest target lock or the set
                              of rewritten relations differ. Failing on some versions
                              only is not version-specific (see RvVersion) */
} RvStatement;

/* What one version did with the whole run (the per-version summary every
 * report starts with), computed once at load. A failure is an error or
 * timeout of the statement's own; a statement its transaction refused with
 * 25P02 after such a failure is "aborted" (render_failure's rule). */
typedef struct RvVersion {
    int major;
    size_t ran; /* statements sent to the server: ok + failed + aborted */
    size_t ok;
    size_t failed;
    size_t aborted;
    size_t not_run;                   /* skipped, or never traced (a failed job, a job not run) */
    const RvStatement *first_failure; /* the first failure in corpus order; NULL when none */
    size_t after_aborted;             /* statements after it in its chain: aborted (25P02) */
    size_t after_not_run;             /* ... and not run */
} RvVersion;

typedef struct RvServer {
    int major;
    char *version; /* "17.10" */
} RvServer;

typedef struct RvJob {
    size_t chain;
    int major;
    char *status; /* "ok", "failed" */
    char *reason; /* may be NULL */
    int attempts;
    double duration_ms;
} RvJob;

typedef struct RunView {
    long long id;
    char *started_at;  /* ISO 8601 UTC */
    char *finished_at; /* NULL while running */
    char *status;      /* running, complete, failed, interrupted */
    char *corpus;
    char *backend;
    char *args;         /* may be NULL */
    char *tool_version; /* may be NULL */
    int parallel;       /* -j of the run */
    int *versions;
    size_t nversions; /* ascending */
    RvServer *servers;
    size_t nservers; /* ascending major */
    RvJob *jobs;
    size_t njobs; /* by chain, major */
    CorpusLayout *layouts;
    size_t nlayouts; /* each directory given and the layout
    it was loaded with, in the order given; none in runs
    stored before layouts were (schema 6) */
    RvStatement *stmts;
    size_t nstmts;          /* corpus order */
    RvVersion *per_version; /* analysis: one per version, parallel to versions; of the whole run
                               (a filtered copy shares it) */
} RunView;

/* Reads run run_id of s: statements, traces with their predictions, then
 * the locks, requests, phases, rewrites, scans, changes and evidence of every
 * trace, each as one set query over the run, not one per statement. *out is
 * free with store_run_free. A run the store does not have is code 2. */
int store_run_load(Store *s, long long run_id, RunView **out, Err *err);
void store_run_free(RunView *rv);
/* The index of major in rv->versions, -1 when the run did not select it. */
int store_run_version(const RunView *rv, int major);

/* ---- the list of runs (lockmatrix runs) --------------------------------- */
typedef struct RunSummary {
    long long id;
    char *started_at;
    char *finished_at; /* NULL while running */
    char *status;
    char *versions; /* "10,11,12" */
    char *corpus;
    char *backend;
    long long nstatements;
    long long jobs_ok, jobs_failed;
    double duration_s; /* finished - started; -1 while running */
    char *layouts;     /* the layouts of the directories given, "golang-migrate,plain"
                          in the order given; NULL when none was stored */
} RunSummary;

/* Every run of s, oldest first, into *out (free with store_runs_free). */
int store_runs_list(Store *s, RunSummary **out, size_t *n, Err *err);
void store_runs_free(RunSummary *runs, size_t n);

/* Sets the connection up for reading whole runs (reports): temporary sorts
 * in memory, the file mapped, a larger page cache. */
void store_tune_for_reading(Store *s);

#endif
