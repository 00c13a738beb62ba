/*
 * analyze: the answer of `lockmatrix analyze`, the predictions of the lock
 * table for every statement of a corpus on every selected version, without
 * any server. Text: per statement its location, class and SQL, then one line
 * per run of neighbouring versions predicted alike (mode, risk, rewrite,
 * scan, locks on other relations, note), and a closing count of statements
 * per highest risk. JSON: {"versions": [...], "statements": [...]} with the
 * report's statement shape, "predicted" per version (DESIGN.md).
 */
#ifndef LM_ANALYZE_H
#define LM_ANALYZE_H

#include "common/json.h"
#include "common/util.h"
#include "corpus/corpus.h"
#include "model/versions.h"
#include "predict/locktable.h"

typedef struct AnalyzeOut {
    Buf *out;             /* appended to; the caller may flush and reset it
                             between statements */
    const VersionSet *vs; /* the versions, in columns order */
    bool json;
    JsonW w;                              /* json */
    size_t nstmts, nunpredicted;          /* text: the closing count */
    size_t risk_count[RISK_CRITICAL + 1]; /* statements by highest risk */
} AnalyzeOut;

/* Starts the answer in out (vs must outlive a). */
void analyze_begin(AnalyzeOut *a, Buf *out, const VersionSet *vs, bool json);
/* One statement of migration m: p[i] its prediction on vs->v[i] when have[i]. */
void analyze_statement(AnalyzeOut *a, const Migration *m, const Statement *st, const Prediction *p,
                       const bool *have);
/* Ends the answer (text: the count of statements per highest risk). */
void analyze_end(AnalyzeOut *a);

#endif
