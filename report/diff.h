/*
 * diff: what changed between two runs (report --run B --against A).
 *
 * Migrations are matched by path (as recorded: relative to where the run was
 * started, the corpus root's paths given); a migration only one run has is
 * listed as added or removed, its statements not one by one. Within a
 * migration both have, statements are matched by their text (comments left
 * out, whitespace runs as one space) and position: the k-th occurrence of a
 * text in the file matches the k-th, so a statement that moved within its
 * file (a statement inserted before it) still matches. For every matched
 * statement and every version both runs traced, each observation is
 * compared: status (and SQLSTATE), the strongest lock on the target, the set
 * of locks, the rewritten relations, the scanned relations. Every such change
 * is a regression (for a nightly run any change in behaviour is one), with
 * exceptions that are listed but not counted: statements new in B or gone
 * from A (changes of the corpus, not of the servers), and changes where
 * either side's locks were sampled rather than captured exactly (capture
 * other than "tx" or "phase": sampling misses short locks, so two runs of the
 * same server differ). A result whose job only one run had (sharded runs of a
 * corpus that grew: a job moved to another shard) is not compared, only
 * counted. Locks on system catalogs (role "catalog") are left out of the lock
 * set: they follow the catalog lookups the server happens to make.
 */
#ifndef LM_DIFF_H
#define LM_DIFF_H

#include "common/util.h"
#include "report/render.h"
#include "report/runview.h"

typedef enum DiffKind {
    DIFF_STATUS,    /* ok / error 42601 / timeout / skipped */
    DIFF_LOCK_MODE, /* strongest lock on the target */
    DIFF_LOCK_SET,  /* the locks taken (relation, role, mode), strongest unchanged */
    DIFF_REWRITE,   /* rewritten relations */
    DIFF_SCAN,      /* sequentially scanned relations */
    DIFF_NEW,       /* a statement B has and A had not */
    DIFF_GONE,      /* a statement A had and B has not */
} DiffKind;

/* A migration only one of the runs has. */
typedef struct DiffMigration {
    const char *path; /* points into its view */
    bool added;       /* in B only; false: removed (in A only) */
    size_t nstmts;    /* its statements */
} DiffMigration;

/* "status", "lock_mode", "lock_set", "rewrite", "scan", "new", "gone". */
const char *diff_kind_name(DiffKind k);

typedef struct DiffChange {
    DiffKind kind;
    const RvStatement *a; /* in the earlier run (--against); NULL when new */
    const RvStatement *b; /* in the later run (--run); NULL when gone */
    int major;            /* the version (column id); 0 for new and gone */
    int major_a;          /* the version in A: major, unless the runs ran
                             different releases of that major (A 17.9, B 17.10) */
    char *before, *after; /* the observation in A and in B, clean text; NULL for
                             new and gone; owned */
    char *what;           /* what changed, in words ("now rewrites index t_v_idx;
                             no longer rewrites table t"); NULL for new and gone;
                             owned */
    bool sampled;         /* either side was a sampled capture: not a regression */
    bool regression;
} DiffChange;

typedef struct DiffServer {
    int major;
    const char *a, *b; /* full versions ("16.4", "16.14"); NULL when that run
                          had no server of the major; point into the views */
} DiffServer;

typedef struct RunDiff {
    const RunView *a; /* the earlier run (--against); not owned */
    const RunView *b; /* the run reported (--run); not owned */
    int *majors;
    size_t nmajors; /* versions both runs selected (B's
                       column ids); a major with one
                       column in each run that differ
                       (17.9 and 17.10) is compared too */
    int *majors_a;  /* the column of A compared with majors[i] */
    DiffServer *servers;
    size_t nservers; /* every major of either run */
    DiffMigration *migs;
    size_t nmigs; /* added (B's order), then removed (A's) */
    DiffChange *changes;
    size_t nchanges;     /* in B's order, gone ones after */
    size_t matched;      /* statements found in both runs */
    size_t nregressions; /* changes that are regressions */
    size_t nnew, ngone;  /* statements new or gone in migrations both runs have */
    size_t nmig_added, nmig_removed;
    size_t nsampled;    /* changes not counted because of a sampled capture */
    size_t nuncompared; /* results of matched statements not compared: the job
                           was in one run only (another shard) */
} RunDiff;

/* Compares b against a (both must outlive the diff). With
 * opts->only_version_specific only changes of statements that are
 * version-specific in either run are kept. Free with diff_free. */
RunDiff *diff_runs(const RunView *a, const RunView *b, const ReportOpts *opts);
void diff_free(RunDiff *d);

/* True when the two runs had different servers of that major (a missing one
 * counts, two missing ones do not). */
bool diff_server_changed(const DiffServer *s);

/* The version a change is on: "17", or "17.9->17.10" when the runs ran
 * different releases of the major; returns out. */
#define DIFF_VERSION_LEN 40
const char *diff_version(int major_a, int major, char out[DIFF_VERSION_LEN]);

/* The versions compared into b: "10-17, 17.9->17.10"; "no common version"
 * when there is none. */
void diff_compared(const RunDiff *d, Buf *b);

/* True when a change's words add to its before -> after (a set changed:
 * locks, rewrites, scans): "now rewrites index t_v_idx". */
bool diff_says_what(const DiffChange *c);

/* The statement a change is about (b, or a when gone). */
const RvStatement *diff_stmt(const DiffChange *c);

#endif
