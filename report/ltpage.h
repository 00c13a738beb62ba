/*
 * ltpage: the lock table as a page (`lockmatrix locktable --format html`)
 * and as Markdown for documentation (`--format markdown`).
 *
 * One row per statement class, one column per major: the mode on the target
 * (short, and what it blocks in people's words: render_lock), rewrite and
 * scan marks, locks on other relations; per row the risk and the note with
 * the safe alternative. A cell that differs from the major before it is
 * highlighted. Each row links to its evidence: the fixture cases whose
 * statement under study has the class, or the observations of a traced run
 * the table is regenerated from (file:line, majors, server versions).
 *
 * The HTML page is self-contained under the report's Content-Security-Policy
 * (report/page.h) and filters by class text, by "blocks writes on version A
 * but not on version B", by risk and by rewrite.
 */
#ifndef LM_LTPAGE_H
#define LM_LTPAGE_H

#include "common/util.h"
#include "predict/locktable.h"

/* A statement that shows what a class does: a fixture case (major 0: its
 * statement under study, traced on every version) or a used observation of a
 * traced run (major and the server's version). */
typedef struct LtEvidence {
    char *cls;  /* owned */
    char *path; /* owned: the migration as the corpus named it */
    int line;
    int major;    /* 0: a fixture case */
    char *server; /* owned: "10.23" (the server's version string); NULL for a case */
} LtEvidence;

typedef struct LtPageOpts {
    const int *versions; /* the columns, ascending (a VersionSet's) */
    size_t nversions;
    const char *link_base; /* prefixed to every evidence path in links ("" none) */
    const LtEvidence *ev;  /* any order */
    size_t nev;
    const char *source;  /* where the evidence comes from, one line of plain text
                            ("fixture cases in fixtures/cases", "run 3 in lm.db") */
    const char *servers; /* for evidence from a run: "10: 10.23, 11: 11.22"; NULL */
} LtPageOpts;

/* The page (one HTML document) into out. */
void ltpage_html(const LockTable *t, const LtPageOpts *o, Buf *out);
/* The same table in GitHub-flavoured Markdown, with a legend of the modes. */
void ltpage_markdown(const LockTable *t, const LtPageOpts *o, Buf *out);

/* The evidence of the fixture cases in dir (*.sql): for each, every statement
 * after its "-- under study" line (the last statement when it has none) that
 * is not transaction control, with its class (classify_statement) and line.
 * Paths are dir "/" name. -1 with err (code 2) when dir cannot be read. Free
 * with ltpage_evidence_free. */
int ltpage_case_evidence(const char *dir, LtEvidence **ev, size_t *n, Err *err);
void ltpage_evidence_free(LtEvidence *ev, size_t n);

#endif
