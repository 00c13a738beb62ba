/*
 * profile: where the time of a run's jobs goes (run --profile, make bench).
 *
 * A worker's clock is always charged to exactly one phase: the phase on top
 * of a small stack (prof_enter / prof_leave), else its base phase (waiting
 * for a job, or the job's own bookkeeping). Time is exclusive: a snapshot
 * read inside a statement's trace is the snapshot's, not the statement's. Two
 * phases are taken whole (PROF_OBSERVED, PROF_REPLAY): what runs inside them
 * stays theirs. The worker sends its sums with every job (WIRE_PROFILE) and
 * starts again from zero; the parent adds its own phases (spool, store) and
 * sums per version.
 */
#ifndef LM_PROFILE_H
#define LM_PROFILE_H

#include <stdio.h>

#include "common/util.h"

typedef enum ProfPhase {
    PROF_WAIT = 0,  /* the worker waits for its next job (the parent's turn) */
    PROF_CONTAINER, /* starting or replacing the server */
    PROF_DATABASES, /* creating the job databases */
    PROF_PREAMBLE,  /* the corpus's preamble */
    PROF_CONNECT,   /* the tracer's connections and prepared queries */
    PROF_LOAD,      /* the chain from its files */
    PROF_SNAPSHOT,  /* full catalog snapshots */
    PROF_EXECUTE,   /* the statements on the server (with the scan baseline, and
                       on the transactional path the lock read after them) */
    PROF_LOCKS,     /* the traced backend's locks: their rows read into a set */
    PROF_CATALOG,   /* after a statement: the touched catalog rows, object names,
                       scans, commit, the after-snapshot */
    PROF_BUILD,     /* diffs of snapshots and locks into a trace */
    PROF_OBSERVED,  /* statements on the observer path (phase capture), whole */
    PROF_REPLAY,    /* the replay on the sibling database, whole */
    PROF_PREDICT,   /* predictions and verdicts */
    PROF_SEND,      /* records to the parent */
    PROF_OTHER,     /* the rest of a job's time in the worker */
    PROF_SPOOL,     /* parent: spooling trace records */
    PROF_STORE,     /* parent: writing finished jobs to the store */
    PROF_N
} ProfPhase;

/* Sums of one version column. */
typedef struct ProfSums {
    int id; /* version column id */
    long jobs;
    double ms[PROF_N];
} ProfSums;

/* The phase's name in the table ("execute"), and what it holds. Static. */
const char *prof_phase_name(ProfPhase p);
const char *prof_phase_help(ProfPhase p);

/* ---- the worker's clock -------------------------------------------------- */
/* Starts the clock from zero, charging base. */
void prof_start(ProfPhase base);
/* The phase charged when nothing is entered. */
void prof_base(ProfPhase base);
void prof_enter(ProfPhase p);
void prof_leave(void);
/* Copies the sums so far into out and starts them again from zero. */
void prof_take(double out[PROF_N]);

/* ---- the parent's sums ---------------------------------------------------- */
/* The sums of column id in sums (n of them, at most cap), added when missing. */
ProfSums *prof_sums_of(ProfSums *sums, size_t *n, size_t cap, int id);
/* The table: one row a phase (total seconds, share of all worker time, ms per
 * job) and a column of ms per job per version; wall_ms the run's wall time,
 * jobs its worker slots. */
void prof_print(FILE *f, const ProfSums *sums, size_t n, double wall_ms, int slots);

#endif
