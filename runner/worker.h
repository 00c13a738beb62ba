/*
 * worker: the forked process that owns one container of one version and
 * runs the jobs the scheduler hands it, each in a fresh database, sending a
 * record per traced statement.
 */
#ifndef LM_WORKER_H
#define LM_WORKER_H

#include "corpus/corpus.h"
#include "runner/scheduler.h"

/* Runs in the child after fork(), on its own copy of c (it loads the chain
 * of each job when c was loaded lean); never returns (ends the process with _exit:
 * 0 after a clean stop, 1 when the container failed). */
void worker_main(int fd, Corpus *c, const SchedOpts *opts, int major, int seq)
    __attribute__((noreturn));

/* The job databases a job of chain ch takes: its own, and the replay's
 * sibling when a migration of ch runs in a transaction of its own. */
int worker_job_dbs(const Chain *ch, const SchedOpts *opts);
/* Whether a job of ch in corpus c leaves its server to no other job (what it
 * ran may have changed what every database shares): the next job of the
 * worker starts a fresh one. */
bool worker_job_dirty(const Chain *ch, const Corpus *c);

/* Whether a job of ch may run in the database of the worker's job before, on
 * the same tracer (a packed job: see worker.c), as far as its statements
 * tell: only forms that act on what they name and leave the session as they
 * found it, in a corpus without a preamble. worker_names_free decides the
 * rest when the job comes. */
bool worker_job_packable(const Chain *ch, const Corpus *c);
/* Whether no name in names (the objects of a database, lower case:
 * tracer_user_names) is one ch may meet: a word of its statements, or one
 * the server would make from a word ("<word>_..." for indexes, sequences
 * and constraints, "_<word>" for array types), nor one cut to the longest
 * name. */
bool worker_names_free(const Chain *ch, char *const *names, size_t n);

#endif
