/*
 * prediction: what the lock table says one statement does on one major, and
 * the verdict a trace gives it. One type from the lock table
 * (predict/locktable) through the worker, the wire (runner/wire), the store
 * and back to every report; the JSON report's "predicted" and "verdict".
 *
 * Adding a column to the lock table: a field here, its row reader and
 * predict_add_row (predict/locktable.c), its encoding in runner/wire.c, and
 * where it is stored and shown.
 */
#ifndef LM_PREDICTION_H
#define LM_PREDICTION_H

#include <stdbool.h>

#include "model/vocab.h"

/* Roles of the "others" column: relations that are neither the target nor
 * belong to it (its indexes, toast table, sequences) nor are created by the
 * statement. */
#define PREDICTION_NROLES 2 /* 0: referenced, 1: other */

#define PREDICTION_UNKNOWN_MAX 160 /* Prediction.unknown's size */

/* What a trace says of a prediction. */
typedef enum Verdict {
    VERDICT_NONE = -1,     /* none: a skipped statement, or no lock table */
    VERDICT_CONFIRMED = 0, /* target mode and rewrite as predicted */
    VERDICT_MISMATCH,      /* the target mode or the rewrite differs */
    VERDICT_TRACE_ONLY,    /* as predicted, but a scan the table says "no" to was seen,
                              or a lock on another relation (role referenced or other)
                              stronger than the table predicts for that role */
    VERDICT_UNPREDICTED,   /* no row for the class on this major */
    VERDICT_ERROR,         /* the statement failed (error, timeout) */
} Verdict;
#define VERDICTS 5

/* "confirmed", "mismatch", "trace-only", "unpredicted", "error"; NULL for
 * VERDICT_NONE or anything out of range. */
const char *verdict_name(Verdict v);
/* The verdict of a name; VERDICT_NONE for NULL or anything unknown. */
Verdict verdict_parse(const char *name);

typedef struct Prediction {
    bool predicted; /* a row of the lock table applied; false: mode .. cls say
                       nothing (prediction_clear's values) */
    int mode;       /* lock mode rank on the target 0..7 (model/vocab.h), -1: no
                       lock on an existing target */
    Tri rewrite, scan;
    int others[PREDICTION_NROLES]; /* strongest mode rank per role, -1: none; the store
                             keeps none (-1 when read back) */
    Risk risk;
    const char *note; /* of the row with the highest risk; points into the lock
                         table; NULL when none or not kept (the wire and the store
                         carry neither note nor cls) */
    const char *cls;  /* the class (or subclass) that decided the risk; into the
                         table; NULL as note */

    /* what the schema lacked to decide it ("table users not defined in the
     * corpus"); "" when nothing (neither the wire nor the store carries it) */
    char unknown[PREDICTION_UNKNOWN_MAX];
    /* every relation the statement locks and rewrites, as the relation
     * predictor's text (predict/relations.h relpred_format); owned; NULL when
     * none was made. The wire and the store carry it */
    char *relations;
    Verdict verdict;
} Prediction;

/* Nothing predicted and no verdict: mode and others -1, relations NULL (not
 * freed: for a new Prediction). */
void prediction_clear(Prediction *p);
/* Frees p's relations and clears it. */
void prediction_free(Prediction *p);

#endif
