/*
 * diff: what changed between two runs (report --run B --against A).
 *
 * Statements are matched by migration path + libpg_query fingerprint (the SQL
 * text when a statement has no fingerprint; the k-th occurrence of a key in a
 * migration matches the k-th). For every matched statement and every version
 * both runs traced, each observation is compared: status (and SQLSTATE), the
 * strongest lock on the target, the set of locks, the rewritten relations, the
 * scanned relations. Every such change is a regression (for a nightly run any
 * change in behaviour is one), with two exceptions that are listed but not
 * counted: statements new in B or gone from A (changes of the corpus, not of
 * the servers), and changes where either side's locks were sampled rather than
 * captured exactly (capture other than "tx" or "phase": sampling misses short
 * locks, so two runs of the same server differ). Locks on system catalogs
 * (role "catalog") are left out of the lock set: they follow the catalog
 * lookups the server happens to make.
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

/* "status", "lock_mode", "lock_set", "rewrite", "scan", "new", "gone". */
const char *diff_kind_name(DiffKind k);

typedef struct DiffChange {
    DiffKind kind;
    const RvStatement *a;  /* in the earlier run (--against); NULL when new */
    const RvStatement *b;  /* in the later run (--run); NULL when gone */
    int major;             /* the version; 0 for new and gone */
    char *before, *after;  /* the observation in A and in B, clean text; NULL for
                              new and gone; owned */
    bool sampled;          /* either side was a sampled capture: not a regression */
    bool regression;
} DiffChange;

typedef struct DiffServer {
    int major;
    const char *a, *b;     /* full versions ("16.4", "16.14"); NULL when that run
                              had no server of the major; point into the views */
} DiffServer;

typedef struct RunDiff {
    const RunView *a;      /* the earlier run (--against); not owned */
    const RunView *b;      /* the run reported (--run); not owned */
    int *majors;           size_t nmajors;   /* versions both runs selected */
    DiffServer *servers;   size_t nservers;  /* every major of either run */
    DiffChange *changes;   size_t nchanges;  /* in B's order, gone ones after */
    size_t matched;        /* statements found in both runs */
    size_t nregressions;   /* changes that are regressions */
    size_t nnew, ngone;
    size_t nsampled;       /* changes not counted because of a sampled capture */
} RunDiff;

/* Compares b against a (both must outlive the diff). With
 * opts->only_version_specific only changes of statements that are
 * version-specific in either run are kept. Free with diff_free. */
RunDiff *diff_runs(const RunView *a, const RunView *b, const ReportOpts *opts);
void diff_free(RunDiff *d);

/* True when the two runs had different servers of that major (a missing one
 * counts, two missing ones do not). */
bool diff_server_changed(const DiffServer *s);

/* The statement a change is about (b, or a when gone). */
const RvStatement *diff_stmt(const DiffChange *c);

#endif
