/*
 * locktable: the static lock table, predictions and verdicts.
 *
 * The table is a data file (predict/locktable.tsv, embedded into the binary
 * at build time; --locktable FILE overrides it): one row per class and
 * version range with the lock mode on the target, rewrite, scan, locks on
 * other relations, a risk level and a note. See the file's header comment for
 * the format.
 *
 * A prediction is what the table says for a statement on one major; an
 * observation is what the tracer saw, reduced to the same terms
 * (locktable_observe); the verdict compares them. Regeneration builds a table
 * from observations, keeping the hand-written risks and notes.
 */
#ifndef LM_LOCKTABLE_H
#define LM_LOCKTABLE_H

#include "common/util.h"
#include "predict/classify.h"
#include "predict/facts.h"
#include "predict/schema.h"
#include "model/prediction.h"
#include "model/trace.h"

typedef struct LtRow {
    char *cls;       /* owned */
    int first, last; /* majors, inclusive */
    int mode;        /* lock mode rank on the target 0..7 (lock_mode_label),
                        -1: no lock on an existing target */
    Tri rewrite, scan;
    int others[PREDICTION_NROLES]; /* strongest mode rank per role, -1: none */
    Risk risk;
    char *note; /* owned; "" when none */
    int line;   /* line in the source file, 0 when generated */
} LtRow;

typedef struct LockTable {
    LtRow *rows; /* file order */
    size_t nrows;
    char *header;  /* the comment lines before the column header, kept
                      when the table is written again; owned */
    char *source;  /* file name (or "built-in"); owned */
    size_t *index; /* rows sorted by (cls, first), for lookups; owned */
} LockTable;

/* ---- loading ----------------------------------------------------------- */

/* Parses text (len bytes) named name into a new table (free with
 * locktable_free). Errors name the file and line (code 2). */
int locktable_parse(const char *text, size_t len, const char *name, LockTable **out, Err *err);
/* Loads path, or the built-in table when path is NULL. */
int locktable_load(const char *path, LockTable **out, Err *err);
/* The built-in table's text (predict/locktable.tsv at build time); static. */
const char *locktable_builtin(size_t *len);
void locktable_free(LockTable *t);

/* Number of distinct classes in the table. */
size_t locktable_nclasses(const LockTable *t);
/* The row for (cls, major), NULL when the table has none. */
const LtRow *locktable_lookup(const LockTable *t, const char *cls, int major);

/* ---- names ------------------------------------------------------------- */
int locktable_mode_rank(const char *name); /* 0..7; -1 for "-"; -2 when unknown */
const char *locktable_role_name(int role); /* "referenced", "other" */

/* ---- predictions ------------------------------------------------------- */

/* The prediction for a classified statement on major. An ALTER TABLE with
 * several subcommands gets the strongest mode over its subclasses, rewrite
 * and scan when any subclass has them (depends when any depends), the
 * strongest other locks and the highest risk. A class read from the keywords
 * alone (StmtInfo.parsed STMT_PARSED_KEYWORDS) is coarse: its row gives the
 * mode, other locks and risk, rewrite and scan are "depends" (the details that
 * decide them were not read). False when the table has no row for the class
 * (or for one of the subclasses) on major; out->predicted says the same,
 * out->verdict is VERDICT_NONE. */
bool locktable_predict(const LockTable *t, const StmtInfo *info, int major, Prediction *out);

/* What the session a statement runs in decides (locktable_predict_in). */
typedef struct PredictOpts {
    bool tz_utc; /* the session's TimeZone is UTC (analyze --timezone; the servers the
                    runner starts run in UTC) */
} PredictOpts;

/* Whether a TimeZone name is UTC at every instant (UTC, Etc/UTC, GMT, Zulu ...),
 * as PostgreSQL 12+ asks before it skips the rewrite of timestamp to
 * timestamptz; any case. */
bool locktable_tz_is_utc(const char *name);

/* The prediction of locktable_predict for a statement that meets the catalog
 * s (the chain replayed up to it, schema_apply), then what the schema and the
 * per-version facts decide: ALTER COLUMN TYPE without USING (or USING the
 * column itself) rewrites and scans its table or does neither as
 * facts_type_change says for the column's type and typmod and the new ones on
 * major, under the session's TimeZone (the one the chain set, schema_timezone,
 * else o's; the note then says which zone it held for when the zone decided). A statement that
 * needs the schema to be decided and whose table or column s lacks keeps its row and says so in
 * out->unknown ("table users not defined in the corpus"). sql is the
 * statement info classifies; s, f or o NULL: locktable_predict alone. */
/* Whether the schema can decide more of info's prediction than its row
 * (locktable_predict_in reads it): a caller may replay a chain only up to
 * such statements. */
bool locktable_needs_schema(const StmtInfo *info);

bool locktable_predict_in(const LockTable *t, const Schema *s, const Facts *f, const char *sql,
                          const StmtInfo *info, int major, const PredictOpts *o, Prediction *out);

/* ---- observations ------------------------------------------------------ */

typedef struct LtObs {
    int mode;                      /* strongest mode on the target ("table" role), -1: none */
    bool rewrite;                  /* a relation other than an index, toast table, sequence or
                                      a new one got a new relfilenode */
    bool scan;                     /* a sequential scan of a relation that existed before */
    int others[PREDICTION_NROLES]; /* strongest mode per role, -1: none */
    bool exact;                    /* every lock was seen (capture "tx", "phase"); false: the
                                      locks were sampled while the statement ran outside a
                                      transaction ("observer", "poll"): a lower bound, and no
                                      scan counts */
    bool no_scans;                 /* exact locks, but scans not counted (capture "phase": the
                                      statement ran in autocommit, outside the tracer's
                                      transaction): scan is false and says nothing */
    bool skipped;                  /* the server skipped the statement (IF [NOT] EXISTS with
                                      nothing to do): a notice that says "skipping"
                                      (locktable_said_skipping of Trace.said). It may hold the lock on
                                      its target (ADD COLUMN IF NOT EXISTS locks the table, then
                                      finds the column) */
    bool created;                  /* no lock on a target and one on a relation the statement
                                      created: its target did not exist before (CREATE OR
                                      REPLACE VIEW of a new view), no one else's to wait for */
    TraceReq req;                  /* where the requests come from (Trace.req); a table is
                                      regenerated only from TRACE_REQ_OWN and TRACE_REQ_REPLAY */
} LtObs;

/* Whether what the server said (Trace.said) has a notice that it skipped the
 * statement ("relation \"x\" already exists, skipping"). */
bool locktable_said_skipping(const char *said);

/* Whether a trace's capture ("tx", "phase", "observer", "poll", "none", NULL)
 * sees every lock, and whether it counts scans ("phase" does not). */
bool locktable_capture_exact(const char *capture);
bool locktable_capture_scans(const char *capture);

/* Reduces a trace (from the worker, or a stored result viewed as one: see
 * cmd_observe_result) to an observation of what the statement itself
 * requested and did: the locks it saw (held_before: held by an earlier
 * statement of the same transaction), its rewrites, the relations it scanned
 * (seq_scan > 0), its capture and what the server said; the replay's when it
 * has one (a statement is judged as it behaves
 * alone: TRUNCATE of a table created earlier in the same transaction keeps its
 * file), else the locks it added (locks held before it never stand for its
 * own: with TRACE_REQ_UNMEASURED the observation is a lower bound). A relation
 * the statement created does not count as scanned (it was empty). */
void locktable_observe(const Trace *t, LtObs *out);

/* ---- verdicts ---------------------------------------------------------- */

/* With a sampled capture (LtObs.exact false) the locks seen are a lower
 * bound: a weaker target mode than predicted is not a mismatch, a stronger one
 * is; scans are not judged. Rewrites are exact (relfilenodes), except for an
 * unmeasured statement (TRACE_REQ_UNMEASURED): there a rewrite seen counts, one
 * missing does not (its transaction may have spared it one). */
/* p NULL or not p->predicted: unpredicted. failed: the statement failed on the server. A
 * statement the server skipped (o->skipped) is judged by its lock on the
 * target alone (none: confirmed): it rewrote and scanned nothing. */
Verdict locktable_verdict(const Prediction *p, const LtObs *o, bool failed);
/* Why a verdict is mismatch or trace-only, one line into b ("predicted
 * AccessExclusiveLock, rewrite; observed ShareLock, no rewrite"). */
void locktable_explain(const Prediction *p, const LtObs *o, Buf *b);

/* ---- regeneration ------------------------------------------------------ */

/* Whether an observation is used to regenerate the table, and why not. The
 * first reasons are the lock table's own (locktable_cell_use); the others are
 * set by the caller, who knows how the statement ran (LtCellObs.left_out). */
typedef enum LtUse {
    LT_USE_USED = 0,
    LT_USE_UNMEASURED,   /* its transaction held locks before it and the replay could
                            not measure it: what it added is a lower bound that could
                            only lower a row wrongly (TRACE_REQ_UNMEASURED) */
    LT_USE_SKIPPED,      /* the server skipped it (IF [NOT] EXISTS, nothing to do) */
    LT_USE_FAILED,       /* it did not run ok (error, timeout, not run) */
    LT_USE_SEVERAL,      /* an ALTER TABLE with several subcommands: no one class */
    LT_USE_UNCLASSIFIED, /* unparsed or empty: no class */
    LT_USE_KEYWORDS,     /* classified from its keywords (StmtInfo.parsed): a coarse class
                            whose row the finer forms it lumps together must not drive */
    LT_NUSES
} LtUse;

/* Why an observation is left out, one phrase ("requests not measured (the
 * transaction held locks before)"); "used" for LT_USE_USED. Static. */
const char *locktable_use_reason(LtUse u);

/* One observation of one statement of a class on a major, with its evidence. */
typedef struct LtCellObs {
    const char *cls; /* may be NULL when left_out says why */
    int major;
    LtObs obs;
    LtUse left_out;   /* set by the caller for a reason only it knows; else 0 */
    const char *path; /* the migration and line of the statement (evidence); */
    int line;         /* path may be NULL */
} LtCellObs;

/* Whether o is used, or why it is left out: left_out when the caller set it,
 * then a skipped statement, then requests that were not measured. */
LtUse locktable_cell_use(const LtCellObs *o);

/* What o requested, on one line: "AccessExclusiveLock on the target, rewrite,
 * scan, others referenced:ShareRowExclusiveLock (replay)". */
void locktable_obs_describe(const LtObs *o, Buf *b);

/* A new table: old's rows, with every (class, major) that has used observations
 * (locktable_cell_use) replaced by what was observed (the strongest mode;
 * rewrite and scan yes when every statement had them, no when none did, else
 * depends, and depends where old says so: statements of one kind cannot refute
 * it; the strongest other locks), equal neighbouring majors merged into
 * ranges. Only observations of what the statement itself requested (own or
 * replayed) are used: one whose transaction held locks before it and that the
 * replay could not measure never changes a row, and a class seen only so gets
 * none. A cell seen only through sampled captures can only be raised (its
 * modes are lower bounds) and keeps its scan. Each row keeps
 * the risk and note of the old row of its class that overlaps it most; a class
 * the old table lacks gets a risk from its locks and an empty note. Classes
 * keep old's order, new ones follow sorted. Free with locktable_free. */
LockTable *locktable_regenerate(const LockTable *old, const LtCellObs *obs, size_t nobs);

/* ---- output ------------------------------------------------------------ */

/* The table as TSV (header comment, column names, rows). */
void locktable_format_tsv(const LockTable *t, Buf *out);
/* {"columns": [...], "rows": [{...}]} */
void locktable_format_json(const LockTable *t, Buf *out);
/* One row as its TSV line (no newline). */
void locktable_format_row(const LtRow *r, Buf *out);
/* Rows of a not in b ("- ") and of b not in a ("+ "), grouped by class; the
 * number of such rows. */
size_t locktable_diff(const LockTable *a, const LockTable *b, Buf *out);
/* As locktable_diff, and under each row of b not in a its evidence: the used
 * observations (locktable_cell_use) of its class and versions, one line per
 * statement and what it requested ("    fixtures/cases/x.sql:3 on 10,17:
 * requested ShareLock on the target, no rewrite (own)"), those that set the
 * row's mode first; at most max_evidence lines per row (0: all), then how many
 * more there are. */
size_t locktable_diff_evidence(const LockTable *a, const LockTable *b, const LtCellObs *obs,
                               size_t nobs, size_t max_evidence, Buf *out);

#endif
