/*
 * merge: the stores of the shards of one run (lockmatrix run --shard K/N on
 * several machines) combined into one run of another store, as if the corpus
 * had been run on one machine.
 *
 * Each input store gives its newest run. The inputs must be runs of the same
 * corpus (corpus identity, corpus/shard.h), by the same tool version and
 * backend, that finished; together their shards must cover every job exactly
 * once: per version set, shards 1..N of one N, each once, and no version run
 * by two version sets. Every job a shard should have run must be in its store,
 * and the servers of one major must be the same release in every input. Any
 * violation is refused (code 2) with a message naming the stores.
 *
 * The merged run is appended to the output store (created when missing): the
 * corpus from the first input, every job, trace, lock, rewrite, scan, catalog
 * change, prediction and evidence of every input; started at the earliest
 * start, finished at the latest finish, status failed when any input failed;
 * versions the union; no shard. It is written input by input; when a step
 * fails the partly written run is deleted.
 */
#ifndef LM_MERGE_H
#define LM_MERGE_H

#include "common/util.h"

typedef struct MergeResult {
    long long run_id; /* the merged run in the output store */
    size_t ninputs;
    size_t njobs, ntraces; /* copied */
    char versions[64];     /* "10,17" */
    char status[16];       /* complete, failed */
} MergeResult;

/* Merges the newest run of each of in[0..n-1] into out_path (see above).
 * args: the command line, recorded as the merged run's. */
int merge_stores(const char *out_path, char *const *in, size_t n, const char *args,
                 MergeResult *res, Err *err);

#endif
