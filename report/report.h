/*
 * report: reading a stored run back and rendering it.
 */
#ifndef LM_REPORT_H
#define LM_REPORT_H

#include "common/util.h"
#include "report/diff.h"
#include "report/render.h"
#include "report/runview.h"
#include "store/store.h"

/* The JSON report of run_id (the contract of DESIGN.md) into out. */
int report_json(Store *s, long long run_id, Buf *out, Err *err);
/* The same from a run already loaded. */
void report_json_view(const RunView *rv, Buf *out);

/* Every renderer appends to out. The view is rendered as given: filter it first
 * (render_filtered) for --only. A diff (report --against) is rendered by the
 * *_diff function of the format. */

/* The diff as JSON: {"run": ..., "against": ..., "servers": ..., "changes": [...]}. */
void report_json_diff(const RunDiff *d, const ReportOpts *o, Buf *out);

/* text: aligned matrix, explanations, per-class summary; fits o->width columns;
 * ANSI colour when o->color; every string from a migration made terminal-safe. */
void report_text(const RunView *rv, const ReportOpts *o, Buf *out);
void report_text_diff(const RunDiff *d, const ReportOpts *o, Buf *out);

/* markdown: GitHub-flavoured tables, cells escaped (render_md). */
void report_markdown(const RunView *rv, const ReportOpts *o, Buf *out);
void report_markdown_diff(const RunDiff *d, const ReportOpts *o, Buf *out);

/* html: one self-contained page (inline CSS and JS, no external asset),
 * sortable and filterable matrix, SQL on demand, every string escaped. */
void report_html(const RunView *rv, const ReportOpts *o, Buf *out);
void report_html_diff(const RunDiff *d, const ReportOpts *o, Buf *out);

/* sarif: SARIF 2.1.0, one result per statement with a prediction mismatch, a
 * prediction whose risk is above o->max_risk, or (d not NULL) a regression
 * against the earlier run; located at the migration's file and line. */
void report_sarif(const RunView *rv, const RunDiff *d, const ReportOpts *o, Buf *out);

#endif
