/*
 * scheduler: the parent process of a run. Expands the corpus into jobs
 * (chain x version), keeps at most opts->jobs workers alive (one forked
 * process per container), hands each worker jobs of its version over a
 * socketpair, and writes every finished job to the store in one transaction.
 *
 * A worker that dies or overruns its budget is killed, its container
 * removed, the job recorded as failed with the reason and retried once on a
 * fresh container. SIGINT/SIGTERM stop every worker and remove every
 * container before scheduler_run returns.
 */
#ifndef LM_SCHEDULER_H
#define LM_SCHEDULER_H

#include "common/util.h"
#include "corpus/corpus.h"
#include "model/versions.h"
#include "runner/backend.h"
#include "runner/profile.h"
#include "store/store.h"

typedef struct SchedOpts {
    int jobs; /* containers at once */
    const VersionSet *versions;
    const BackendOps *backend;
    BackendCfg *cfg;                   /* prepared by backend->prepare */
    int statement_timeout_ms;          /* per statement, then cancel */
    int job_timeout_ms;                /* per job, then the worker is killed */
    int retries;                       /* retries of a failed job (1) */
    bool stop_on_error;                /* a failing statement ends its chain */
    bool no_replay;                    /* no replay on a sibling database: requests hidden by
                                          a migration's transaction stay unmeasured */
    bool progress;                     /* a progress line on stderr */
    const struct LockTable *locktable; /* predictions and verdicts for every trace
                                   (predict/locktable.h); NULL: none stored */
    /* Jobs left out (a resumed run's jobs recorded ok): skip(skip_ctx, chain,
     * major) true. NULL: every job runs. */
    bool (*skip)(void *ctx, size_t chain, int major);
    void *skip_ctx;
    int shard_k, shard_n; /* only the jobs of shard k (1-based) of n
                             (corpus/shard.h); n 0: every job */
} SchedOpts;

typedef struct SchedStats {
    size_t jobs_total, jobs_ok, jobs_failed, retried;
    size_t traces, trace_errors; /* statements traced (ran), of which failed on the server */
    size_t skipped;              /* statements not run: after a failure with --stop-on-error */
    double wall_ms;
    bool interrupted;            /* SIGINT/SIGTERM arrived */
    int signal;                  /* which one */
    ProfSums prof[VERSIONS_CAP]; /* where the jobs' time went, per version column */
    size_t nprof;
} SchedStats;

/* Runs every job of c on every version of opts. Returns 0 when the run
 * completed (jobs may have failed: see stats), -1 with err when it could not
 * go on (the store failed) or was interrupted (stats->interrupted). */
int scheduler_run(Corpus *c, Store *s, long long run_id, const SchedOpts *opts, SchedStats *stats,
                  Err *err);

#endif
