/*
 * runview: the analysis every renderer (json, text, markdown, html) shares
 * over a stored run (store/run.h, the model they draw from): the strongest
 * lock on the target of each result, whether a statement behaves
 * differently across versions, the failures and what they aborted, the
 * per-version summary.
 */
#ifndef LM_RUNVIEW_H
#define LM_RUNVIEW_H

#include "common/util.h"
#include "model/vocab.h"
#include "store/run.h"

/* Reads run run_id of s (store_run_load) and analyses it into *out (free
 * with runview_free). A run the store does not have is code 2. */
int runview_load(Store *s, long long run_id, RunView **out, Err *err);
void runview_free(RunView *rv); /* store_run_free */
/* The job of chain (an index into rv's corpus) on major, NULL when the run
 * had none (a job of another shard, or one never started). */
const RvJob *runview_job(const RunView *rv, size_t chain, int major);
/* The result of st on major, NULL when major is not one of the run's versions. */
const RvResult *runview_result(const RunView *rv, const RvStatement *st, int major);

#endif
