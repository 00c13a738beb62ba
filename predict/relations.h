/*
 * relations: the static prediction of every relation a statement locks and
 * rewrites, from the catalog the chain built (predict/schema) and the lock
 * table's row for its class (predict/locktable).
 *
 * The row gives the mode on the target; the statement's form and the model
 * give the rest: the target's indexes, TOAST table and owned sequences, its
 * partitions and parent, the tables on either side of its foreign keys, the
 * source of CREATE TABLE ... LIKE, each with the mode PostgreSQL takes on it
 * on that major, and the relations that get new storage (a rewrite). Only
 * relations that exist before the statement are named; what it creates is
 * no one else's to wait for.
 *
 * Names are the tracer's (model/trace.h): "users", "s.users" outside public,
 * "toast(users)" and "toast_index(users)", so that a prediction and a trace
 * compare relation by relation (relpred_compare).
 */
#ifndef LM_PREDICT_RELATIONS_H
#define LM_PREDICT_RELATIONS_H

#include "common/util.h"
#include "model/trace.h"
#include "predict/locktable.h"

/* Why a relation is locked. */
typedef enum RelRole {
    REL_TARGET = 0,  /* the relation the statement names (trace role "table") */
    REL_INDEX,       /* an index of the target or of its partitions */
    REL_TOAST,       /* a TOAST table or its index */
    REL_SEQUENCE,    /* a sequence the target owns, or one the statement names */
    REL_PARTITION,   /* a partition of the target, at any depth */
    REL_PARENT,      /* the partitioned table or inheritance parent of the target */
    REL_REFERENCED,  /* a table a foreign key of the target (or a new one) references */
    REL_REFERENCING, /* a table whose foreign key references the target */
    REL_SOURCE,      /* a relation the statement reads: LIKE, a view's query, AS SELECT */
    REL_VIEW,        /* a view or materialized view over the target */
    REL_OTHER,
} RelRole;
#define REL_ROLES 11

/* "target", "index", "toast", "sequence", "partition", "parent", "referenced",
 * "referencing", "source", "view", "other"; "?" out of range. */
const char *relrole_name(RelRole r);
/* The role of a name; -1 when unknown. */
int relrole_parse(const char *name);

typedef struct RelLock {
    char *relation; /* the tracer's name; owned */
    RelRole role;
    int mode; /* 0..7 (model/vocab.h) */
} RelLock;

typedef struct RelPred {
    bool modelled;    /* the statement's form is modelled: locks and rewrites name every
                         relation it locks and rewrites. false: locks hold the target's
                         row alone, and nothing is said of the others */
    bool undecidable; /* no reading of the statement can tell: a DO block or a procedure
                         (CALL) runs statements its control flow and data choose */
    RelLock *locks;   /* each relation once, at its strongest mode; the target first */
    size_t nlocks, caplocks;
    char **rewrites; /* relations that get new storage (relfilenode), each once: the
                        target, its indexes, its TOAST table and TOAST index ...; owned */
    size_t nrewrites, caprewrites;
    char unknown[PREDICTION_UNKNOWN_MAX]; /* what the model lacked ("table users not
                                             defined in the corpus"); "" when nothing */
} RelPred;

void relpred_init(RelPred *p);
void relpred_free(RelPred *p); /* and init again */

/* The lock predicted on relation name, NULL when none. */
const RelLock *relpred_lock_of(const RelPred *p, const char *name);
/* Whether name is among the predicted rewrites. */
bool relpred_rewrites(const RelPred *p, const char *name);

/* Every relation statement sql (classified as info) locks and rewrites on
 * major, meeting the catalog s (the chain replayed up to it; NULL: an empty
 * catalog), given row, the lock table's prediction for it
 * (locktable_predict_in with the same arguments). out is initialised here;
 * free with relpred_free. */
void relations_predict(const Schema *s, const Facts *f, const char *sql, const StmtInfo *info,
                       int major, const PredictOpts *o, const Prediction *row, RelPred *out);

/* locktable_predict_in (its arguments, its answer), then relations_predict
 * into out->relations (relpred_format's text), and into out->unknown what
 * the model lacked when the row says nothing of it. */
bool relations_predict_in(const LockTable *t, const Schema *s, const Facts *f, const char *sql,
                          const StmtInfo *info, int major, const PredictOpts *o, Prediction *out);

/* The verdict of a trace t (observed as o, locktable_observe) on p: the lock
 * table's (locktable_verdict), then relation by relation when p->relations
 * models the statement: a confirmed or trace-only statement whose trace
 * differs on any relation (relpred_compare) is a mismatch. A statement the
 * server skipped is judged by its target alone. */
Verdict relations_verdict(const Prediction *p, const Trace *t, const LtObs *o, bool failed);
/* Why p and trace t differ relation by relation, "; "-separated into why
 * (nothing when they agree or p->relations models nothing). */
void relations_explain(const Prediction *p, const Trace *t, Buf *why);

/* ---- text form (the wire and the store) ------------------------------------------ */

/* p as text: "m" when modelled, "u" when undecidable, then one line per lock "L<TAB>mode
 * rank<TAB>role<TAB>name" and per rewrite "R<TAB>name"; "" for a prediction with nothing in it. */
void relpred_format(const RelPred *p, Buf *out);
/* The text of relpred_format into p (initialised here); unknown lines are
 * skipped. */
void relpred_parse(const char *text, RelPred *p);

/* ---- comparison with a trace ------------------------------------------------------- */

/* What a trace says of a relation-by-relation prediction. */
typedef struct RelAgreement {
    size_t compared;     /* relations compared (locked or rewritten, either side) */
    size_t disagree;     /* of them, those that differ */
    bool target_differs; /* the target's mode differs */
} RelAgreement;

/* Compares p with what trace t requested (the replay's requests when it has
 * them, else what it added): every relation that existed before the
 * statement (trace roles other than new, transient and catalog) at its
 * strongest mode, and the relations it rewrote. A sampled or partly hidden
 * observation (locks held before, capture "observer"/"poll") is a lower
 * bound: a weaker or missing lock there is no disagreement. Each
 * disagreement is one line into why when why is not NULL ("users_pkey:
 * predicted AccessExclusiveLock, observed none"). */
void relpred_compare(const RelPred *p, const Trace *t, RelAgreement *a, Buf *why);

#endif
