/*
 * shard: one deterministic part of a run's jobs (lockmatrix run --shard K/N),
 * and the identity of a corpus, so that the stores of the shards of one run,
 * made on different machines, can be merged and checked to belong together.
 *
 * Jobs are (chain, version); a job is never split, so all statements of one
 * chain on one version are traced by one shard. Shards are balanced by
 * statement count: jobs sorted by cost (the chain's statements) descending,
 * then by position (chain, version) ascending, each given to the shard with
 * the least cost so far (the lowest-numbered on a tie). The assignment depends
 * only on the corpus, the version set and N.
 */
#ifndef LM_SHARD_H
#define LM_SHARD_H

#include "common/util.h"
#include "corpus/corpus.h"
#include "model/versions.h"

#define SHARD_MAX 1000

typedef struct Shard {
    int k; /* 1-based */
    int n; /* number of shards; 0: not sharded (every job) */
} Shard;

/* Parses "K/N" (1 <= K <= N <= SHARD_MAX); code 2 on anything else. */
int shard_parse(const char *spec, Shard *out, Err *err);

/* Assigns njobs jobs of the given costs to n shards: out[i] gets the 0-based
 * shard of job i. Deterministic (see the top of this file). */
void shard_assign(const size_t *cost, size_t njobs, int n, int *out);

/* The shard (0-based) of every job of c on v, out[chain * v->n + i] for the
 * i-th version; -1 for chains without statements (no job). Free with free(). */
int *shard_of_jobs(const Corpus *c, const VersionSet *v, int n);

/* The corpus identity: a hash over the chains, the paths of their migrations
 * (as given), the errors of unusable files and the digests of their
 * statements' text (Migration.digest; a lean load has them too), as 32
 * hex digits. Two loads of the same files from the same paths get the same
 * identity on any machine. Free with free(). */
char *shard_corpus_id(const Corpus *c);

#endif
