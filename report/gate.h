/*
 * gate: the CI gates, what decides that a statement fails them and the lines
 * that say so. Three commands gate:
 *   analyze --ci   a prediction of the lock table above --max-risk;
 *   run --ci       a statement a server refused, a mismatch with the lock
 *                  table, or a prediction above --max-risk (not on relations
 *                  the migration created itself);
 *   run --against  an observation that changed since an earlier run
 *                  (report/diff.h decides what counts).
 * Every failing statement is one line, its versions as ranges when the
 * reason is the same on neighbouring ones:
 *   `path:line: "ALTER TABLE t ADD ..." on 10-17: reason`.
 * The commands print what the gates append and turn the counts into exit
 * codes.
 */
#ifndef LM_GATE_H
#define LM_GATE_H

#include "common/util.h"
#include "corpus/corpus.h"
#include "model/versions.h"
#include "predict/locktable.h"
#include "report/diff.h"
#include "report/runview.h"

/* sql on one line (comments left out, whitespace runs collapsed), at most max
 * characters, "..." when cut, appended to b. */
void gate_shorten(const char *sql, size_t max, Buf *b);
/* The line of one statement on some versions (without a newline). */
void gate_line(Buf *b, const char *path, int line, const char *sql, const char *versions,
               const char *reason);

/* What the lock table makes of a stored result (its locks, rewrites, scans
 * and capture), as locktable_observe sees it. */
void gate_observe(const RvResult *r, LtObs *out);

/* How many judged (statement, version) cells of a run agree with their
 * prediction relation by relation (predict/relations.h relpred_compare on the
 * stored Prediction.relations: the target's mode, every other relation that
 * existed before, the rewritten relations). A cell is judged when it has a
 * verdict other than error, and decidable; unpredicted and mismatch cells
 * never agree. */
typedef struct GateDisagreement {
    size_t stmt, version; /* indexes into rv->stmts and its results */
    char *why;            /* "users_pkey: predicted none, observed AccessExclusiveLock; ..."
                             or the verdict ("unpredicted"); owned */
} GateDisagreement;

typedef struct GateAgreement {
    size_t cells, agree;
    size_t undecidable;    /* judged cells left out of cells: statements no reading can
                              decide (DO blocks, procedures: RelPred.undecidable) */
    size_t modelled;       /* of the agreeing cells, those whose statement form the
                              predictor models (the others name the target alone) */
    GateDisagreement *off; /* every judged cell that does not agree, in statement order */
    size_t noff;
} GateAgreement;
void gate_agreement(const RunView *rv, GateAgreement *a);
/* Where a stored result and its prediction differ relation by relation
 * (relations_explain), "; "-separated into b; nothing when they agree. */
void gate_relations_why(const RvResult *r, Buf *b);
void gate_agreement_free(GateAgreement *a);

/* analyze --ci for one statement: p[i] (when have[i]) is its prediction on
 * vs->v[i]. Appends a line (with its newline) per run of versions above
 * max_risk with the same reason to msgs; returns the number of versions above. */
size_t gate_predictions(Buf *msgs, const Migration *m, const Statement *st, const VersionSet *vs,
                        const Prediction *p, const bool *have, int max_risk);

/* run --ci over a stored run: the line of every failing statement, then
 * what is said and not counted (risky locks on relations created earlier in
 * the same migration, failures below min_version), those starting with
 * "who: ". max_risk -1: no risk gate. Returns the number of failing results. */
size_t gate_run(const RunView *rv, int max_risk, int min_version, const char *who, Buf *msgs);

/* run --against: the line of every change of observed behaviour into
 * changes; then into notes, not counted: migrations added or removed,
 * statements new or gone, and the totals (against: the earlier run's id). */
void gate_against(const RunDiff *d, long long against, Buf *changes, Buf *notes);

#endif
