/*
 * report: reading a stored run back and rendering it.
 */
#ifndef LM_REPORT_H
#define LM_REPORT_H

#include "common/json.h"
#include "common/util.h"
#include "report/diff.h"
#include "report/render.h"
#include "report/runview.h"
#include "store/store.h"

/* What a renderer shows: a run, or what changed since an earlier one. */
typedef struct RenderInput {
    const RunView *run;  /* the run reported, as shown (render_filtered for --only) */
    const RunDiff *diff; /* report --against: the diff with the earlier run; NULL
                            otherwise (a diff renderer uses it, and run only when
                            the format shows the run too, as sarif does) */
} RenderInput;

/* Every renderer appends its format of in to out. */
typedef void RenderFn(const RenderInput *in, const ReportOpts *o, Buf *out);

/* ---- the formats: one table (report/formats.c) ------------------------------ */
typedef struct ReportFormat {
    const char *name; /* what --format takes */
    RenderFn *run;    /* a run: in->run */
    RenderFn *diff;   /* a diff (--against): in->diff, in->run as shown */
} ReportFormat;

extern const ReportFormat report_formats[];
extern const size_t report_nformats;
/* The format called name; NULL when there is none. */
const ReportFormat *report_format(const char *name);
/* The names in the table's order, ", " between them: "text, markdown, ...". */
void report_format_names(Buf *b);

/* ---- the renderers ------------------------------------------------------------ */

/* The JSON report of run_id (the contract of DESIGN.md) into out. */
int report_json(Store *s, long long run_id, Buf *out, Err *err);
/* The same from a run already loaded (in->run). */
void report_json_view(const RenderInput *in, const ReportOpts *o, Buf *out);

/* What every JSON answer (the report, analyze) says of a statement before its
 * results: migration, index, line, sql, extracted_from (when not NULL),
 * class, parsed, target. */
void report_json_statement_fields(JsonW *w, const char *migration, int index, int line,
                                  const char *sql, const char *extracted_from, const char *cls,
                                  StmtParsed parsed, const char *target);
/* A prediction's relations (Prediction.relations) as the keys "locks":
 * [{"relation", "role", "mode"}] and "rewrites": [...] of its "predicted"
 * object, and "relations_modelled": false when the predictor names the
 * target alone; nothing when relations is NULL. */
void report_json_relations(JsonW *w, const char *relations);
/* The key of a version's entry: "17", "17.9". */
void report_json_version_key(JsonW *w, int id);

/* The diff as JSON: {"run": ..., "against": ..., "servers": ..., "changes": [...]}. */
void report_json_diff(const RenderInput *in, const ReportOpts *o, Buf *out);

/* text: aligned matrix, explanations, per-class summary; fits o->width columns;
 * ANSI colour when o->color; every string from a migration made terminal-safe. */
void report_text(const RenderInput *in, const ReportOpts *o, Buf *out);
void report_text_diff(const RenderInput *in, const ReportOpts *o, Buf *out);

/* markdown: GitHub-flavoured tables, cells escaped (render_md). */
void report_markdown(const RenderInput *in, const ReportOpts *o, Buf *out);
void report_markdown_diff(const RenderInput *in, const ReportOpts *o, Buf *out);

/* html: one self-contained page (inline CSS and JS, no external asset),
 * sortable and filterable matrix, SQL on demand, every string escaped. */
void report_html(const RenderInput *in, const ReportOpts *o, Buf *out);
void report_html_diff(const RenderInput *in, const ReportOpts *o, Buf *out);

/* sarif: SARIF 2.1.0, one result per statement of in->run with a prediction
 * mismatch, a prediction whose risk is above o->max_risk, or (in->diff not
 * NULL) a regression against the earlier run; located at the migration's file
 * and line. The same renderer for a run and a diff. */
void report_sarif(const RenderInput *in, const ReportOpts *o, Buf *out);

#endif
