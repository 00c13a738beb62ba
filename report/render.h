/*
 * render: what every renderer (text, markdown, html, sarif) shares: the
 * meaning of each lock mode in people's words, the compact matrix cell, the
 * one-line explanation of how versions differ, the per-class summary, version
 * ranges, and making untrusted text (SQL, identifiers, messages) safe for a
 * terminal, Markdown or HTML.
 */
#ifndef LM_RENDER_H
#define LM_RENDER_H

#include "common/util.h"
#include "model/versions.h"
#include "model/vocab.h"
#include "report/runview.h"

/* ---- options every renderer takes -------------------------------------- */
typedef struct ReportOpts {
    bool only_version_specific; /* --only version-specific */
    bool color;                 /* text: ANSI colours (a terminal, NO_COLOR unset) */
    int width;                  /* text: columns to fit (100) */
    int max_risk;               /* sarif: report predictions whose risk rank is above
                                   this (risk_parse), -1 reports every known risk */
    int min_version;            /* the oldest major the corpus supports (--min-version):
                                   errors below it are "not supported", not failures;
                                   0: every version counts */
} ReportOpts;

/* ---- failures: what a server refused ------------------------------------ */
typedef enum RenderFailure {
    RENDER_OK = 0,      /* ran (or was skipped) without an error of its own */
    RENDER_FAILED,      /* the server refused it (error or timeout): a failure */
    RENDER_UNSUPPORTED, /* refused on a version below --min-version */
    RENDER_CONSEQUENCE, /* 25P02: an earlier failure aborted its transaction */
} RenderFailure;

/* What r's status means for the gates (run --ci, SARIF's server-error rule). */
RenderFailure render_failure(const RvResult *r, int min_version);

/* After a failure's error: "; 7 statements after it aborted" (the 25P02s its
 * transaction then gave, RvResult.naborted); nothing when there were none. */
void render_cascade(const RvResult *r, Buf *out);
/* A 25P02 that follows a failure (RvResult.aborted_by): "aborted by the failure of
 * statement 1 (line 3): 42883"; nothing for any other result. */
void render_aborted(const RvResult *r, Buf *out);
/* One line of the per-version summary every report starts with (RunView.per_version),
 * plain text, to be made safe by the format: "10: 9 run, 1 ok, 1 failed, 7 aborted,
 * 0 not run; first failure db/1.up.sql:1: 42883 function gen_random_uuid() does not
 * exist; after it 7 aborted, 0 not run". */
void render_version_summary(const RvVersion *s, Buf *out);
/* Its two halves: the counts ("10: 9 run, 1 ok, 1 failed, 7 aborted, 0 not run"),
 * and the first failure ("first failure db/1.up.sql:1: ...", nothing when none). */
void render_version_counts(const RvVersion *s, Buf *out);
void render_version_first(const RvVersion *s, Buf *out);

/* The line of a directory given and its layout, plain text, to be made safe
 * by the format: "db/migrations: golang-migrate: 362 up, 362 down; left out:
 * PREAMBLE.sql" (layout_summary_line after the path). Every report prints one
 * per RunView.layouts next to the per-version summary. */
void render_layout(const CorpusLayout *l, Buf *out);

/* The defaults: everything shown, no colour, 100 columns, risk above "medium". */
void render_opts_init(ReportOpts *o);

/* ---- one result as a matrix cell ---------------------------------------- */
/* Compact, at most 7 columns, ASCII: "AX R S", "SUX", "-" (no lock on the
 * target), "E42601" (error), "T57014" (timeout), "." (skipped / not run), then
 * the verdict's mark. */
void render_cell(const RvResult *r, Buf *out);
/* The verdict's one-character mark: "=" confirmed, "!" mismatch, "+" trace-only,
 * "?" unpredicted, "x" error; "" for none or unknown. Static string. */
const char *render_verdict_mark(Verdict v);
/* True when the result rewrote / sequentially scanned some relation. */
bool render_rewrote(const RvResult *r);
bool render_scanned(const RvResult *r);
/* A sentence on one result for tooltips: "AccessExclusiveLock on users (blocks
 * reads and writes); rewrote users; verdict confirmed". */
void render_result_title(const RvResult *r, const char *target, Buf *out);

/* ---- version lists and explanations -------------------------------------- */
/* The one-line explanation of how the versions of st differ, computed from the
 * observations: "rewrites users on 10; metadata-only on 11-17", "ShareLock on
 * 10-11; ShareUpdateExclusiveLock on 12-17", "error 42601 on 10-13; ok on
 * 14-17". Equal versions are grouped into ranges. Appends nothing and returns
 * false when the versions with a result do not differ. */
bool render_explain(const RunView *rv, const RvStatement *st, Buf *out);

/* ---- the per-class summary ----------------------------------------------- */
typedef struct ClassSummary {
    const char *cls; /* points into the run view ("(none)" when NULL) */
    size_t nstmts;
    size_t nspecific; /* of them version-specific */
    size_t nerrors;   /* results with an error or timeout */
    size_t nmismatch; /* results with verdict mismatch */
    char *explain;    /* how the versions differ for the class as a whole, with
                         relation names left out ("rewrites on 10; metadata-only
                         on 11-17"); NULL when they do not; owned */
    int *strongest;   /* per run version: strongest target lock rank over the
                         class's statements, -1 none; owned */
} ClassSummary;

/* One entry per class of rv's statements: the classes with version-specific
 * statements first (most first), then by name. Free with render_classes_free. */
void render_classes(const RunView *rv, ClassSummary **out, size_t *n);
void render_classes_free(ClassSummary *c, size_t n);

/* ---- filtering ------------------------------------------------------------ */
/* A shallow copy of rv holding only the statements opts lets through; its
 * statements point into rv, which must outlive it. Free with
 * render_filtered_free (never runview_free). */
RunView *render_filtered(const RunView *rv, const ReportOpts *opts);
void render_filtered_free(RunView *copy);

/* ---- untrusted text -------------------------------------------------------- */
/* Appends s with everything a terminal or a page could act on made visible:
 * C0/C1 control characters and DEL as "\x1b" / "\u0085", invalid UTF-8 bytes
 * as "\xff", bidirectional overrides as "\u202e". With collapse, every run of
 * whitespace (newlines, tabs) becomes one space and the ends are trimmed;
 * without it newlines and tabs are kept. NULL appends nothing. */
void render_clean(Buf *out, const char *s, bool collapse);
/* Columns s takes on a terminal (UTF-8 code points; s is clean text). */
size_t render_width(const char *s);
/* HTML text and attribute values: render_clean, then & < > " ' as entities. */
void render_html(Buf *out, const char *s, bool collapse);
/* A Markdown table cell: render_clean with collapse, then \ ` * _ [ ] | ~ #
 * escaped with a backslash and & < > as entities. */
void render_md(Buf *out, const char *s);

/* Appends text wrapped at width columns, every line starting with indent (which
 * counts in the width), at most maxlines lines (0: no limit; the last shown line
 * ends with "..." when text was cut). text is clean, single-line text. */
void render_wrap(Buf *out, const char *text, const char *indent, int width, int maxlines);

#endif
