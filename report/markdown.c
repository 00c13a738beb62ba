/*
 * report/markdown: GitHub-flavoured Markdown for a pull request comment: the
 * matrix as one table per migration, the lock legend, the summary per class.
 * Every string from the store is a table cell escaped by render_md (pipes,
 * backticks, emphasis, < > & and newlines cannot break out of the cell).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus/corpus.h"
#include "model/versions.h"
#include "report/report.h"

#define SQL_MAX 240 /* characters of SQL shown in a cell */

/* s escaped, cut at max characters of its clean form (0: no limit). */
static void md_cut(Buf *out, const char *s, size_t max);

/* A statement on one line: its comments removed first (text after -- must not
 * look commented out). */
static void md_sql(Buf *out, const char *sql, size_t max)
{
    char *plain = corpus_sql_uncommented(sql);
    md_cut(out, plain, max);
    free(plain);
}

static void md_cut(Buf *out, const char *s, size_t max)
{
    Buf c;
    buf_init(&c);
    buf_puts(&c, "");
    render_clean(&c, s, true);
    if (max && render_width(c.data) > max) {
        size_t i = 0, cols = 0;
        while (c.data[i] && cols < max) {
            i++;
            while (((unsigned char)c.data[i] & 0xC0) == 0x80)
                i++;
            cols++;
        }
        c.data[i] = '\0';
        c.len = i;
        buf_puts(&c, "...");
    }
    render_md(out, c.data);
    buf_free(&c);
}

static void versions_row(Buf *out, const RunView *rv)
{
    for (size_t v = 0; v < rv->nversions; v++)
        buf_printf(out, " %s |", VERSION_NAME(rv->versions[v]));
}

static void versions_rule(Buf *out, size_t n)
{
    for (size_t v = 0; v < n; v++)
        buf_puts(out, " --- |");
}

static void header(Buf *out, const RunView *rv)
{
    Buf vs;
    buf_init(&vs);
    buf_puts(&vs, "");
    versions_ranges(rv->versions, rv->nversions, &vs);
    buf_printf(out, "## lockmatrix run %lld\n\n", rv->id);
    buf_puts(out, "Status ");
    render_md(out, rv->status);
    buf_puts(out, ", started ");
    render_md(out, rv->started_at);
    buf_printf(out, ", versions %s, backend ", vs.data);
    render_md(out, rv->backend);
    buf_puts(out, ", corpus ");
    render_md(out, rv->corpus);
    buf_puts(out, ".\n\n");
    if (rv->nservers) {
        buf_puts(out, "| version | server |\n| --- | --- |\n");
        for (size_t i = 0; i < rv->nservers; i++) {
            buf_printf(out, "| %s | ", VERSION_NAME(rv->servers[i].major));
            render_md(out, rv->servers[i].version);
            buf_puts(out, " |\n");
        }
        buf_putc(out, '\n');
    }
    buf_free(&vs);
}

/* The layout of each directory given, one item each (render_layout). */
static void layouts(Buf *out, const RunView *rv)
{
    if (!rv->nlayouts) return;
    buf_puts(out, "Layout:\n\n");
    for (size_t i = 0; i < rv->nlayouts; i++) {
        Buf line;
        buf_init(&line);
        render_layout(&rv->layouts[i], &line);
        buf_puts(out, "- ");
        render_md(out, line.data);
        buf_putc(out, '\n');
        buf_free(&line);
    }
    buf_putc(out, '\n');
}

/* The per-version summary, one item per version (render_version_summary). */
static void per_version(Buf *out, const RunView *rv)
{
    if (!rv->per_version) return;
    buf_puts(out, "Per version:\n\n");
    for (size_t v = 0; v < rv->nversions; v++) {
        Buf line;
        buf_init(&line);
        render_version_summary(&rv->per_version[v], &line);
        buf_puts(out, "- ");
        render_md(out, line.data);
        buf_putc(out, '\n');
        buf_free(&line);
    }
    buf_putc(out, '\n');
}

static void legend(Buf *out)
{
    buf_puts(out, "<details><summary>Legend</summary>\n\n"
                  "Each cell is the strongest lock the statement took on its target:\n\n"
                  "| cell | lock mode | what it blocks |\n| --- | --- | --- |\n");
    for (int k = 0; k < LOCK_MODES; k++) {
        const LockMode *m = lock_mode(k);
        buf_printf(out, "| %s | %s | %s |\n", m->abbr, m->name, m->blocks);
    }
    buf_puts(out, "\nthen R: rewrote a table, S: sequential scan; - no lock on the target, "
                  "E*sqlstate*: error, T*sqlstate*: timeout, . not traced. Verdicts: = confirmed, "
                  "! mismatch, + trace-only, ? unpredicted, x error.\n\n</details>\n\n");
}

static void cell(Buf *out, const RvResult *r)
{
    Buf c;
    buf_init(&c);
    render_cell(r, &c);
    bool strong = r->traced && strcmp(r->status, "ok") == 0 && r->target_rank >= 0 &&
                  lock_mode(r->target_rank)->level == LOCK_LEVEL_READS;
    buf_puts(out, strong ? " **" : " ");
    render_md(out, c.data);
    buf_puts(out, strong ? "** |" : " |");
    buf_free(&c);
}

static void notes(Buf *out, const RunView *rv, const RvStatement *x)
{
    bool any = false;
    if (x->version_specific) {
        Buf e;
        buf_init(&e);
        if (!render_explain(rv, x, &e)) buf_puts(&e, "the versions differ");
        buf_puts(out, "**version-specific**: ");
        render_md(out, e.data);
        buf_free(&e);
        any = true;
    }
    if (classify_parsed_note(x->parsed)) {
        buf_puts(out, any ? "<br>" : "");
        render_md(out, classify_parsed_note(x->parsed));
        any = true;
    }
    for (size_t v = 0; v < rv->nversions; v++) {
        const RvResult *r = &x->results[v];
        if (!r->traced || !strcmp(r->status, "ok") || !strcmp(r->status, "skipped")) continue;
        /* the first error only: the cells show the others' SQLSTATE */
        if (r->aborted_by) {
            Buf a;
            buf_init(&a);
            render_aborted(r, &a);
            buf_printf(out, "%son %s: ", any ? "<br>" : "", VERSION_NAME(r->major));
            render_md(out, a.data);
            buf_free(&a);
            break;
        }
        buf_printf(out, "%s%s ", any ? "<br>" : "", r->status);
        render_md(out, r->sqlstate);
        buf_printf(out, " on %s: ", VERSION_NAME(r->major));
        md_cut(out, r->message, 160);
        Buf c;
        buf_init(&c);
        buf_puts(&c, "");
        render_cascade(r, &c);
        render_md(out, c.data);
        buf_free(&c);
        break;
    }
}

static void matrix(Buf *out, const RunView *rv)
{
    const char *mig = NULL;
    for (size_t i = 0; i < rv->nstmts; i++) {
        const RvStatement *x = &rv->stmts[i];
        if (!mig || strcmp(mig, x->migration ? x->migration : "") != 0) {
            mig = x->migration ? x->migration : "";
            buf_puts(out, "\n### ");
            render_md(out, mig);
            buf_puts(out, "\n\n| # | line | statement |");
            versions_row(out, rv);
            buf_puts(out, " notes |\n| --: | --: | --- |");
            versions_rule(out, rv->nversions);
            buf_puts(out, " --- |\n");
        }
        buf_printf(out, "| %d | %d | ", x->index, x->line);
        render_md(out, x->cls ? x->cls : "(unclassified)");
        buf_puts(out, "<br>");
        md_sql(out, x->sql, SQL_MAX);
        buf_puts(out, " |");
        for (size_t v = 0; v < rv->nversions; v++)
            cell(out, &x->results[v]);
        buf_putc(out, ' ');
        notes(out, rv, x);
        buf_puts(out, " |\n");
    }
}

static void classes(Buf *out, const RunView *rv)
{
    ClassSummary *cs;
    size_t n;
    render_classes(rv, &cs, &n);
    if (n) {
        buf_puts(out, "\n### By class\n\nThe strongest lock per version over the statements of "
                      "each class, and how the versions differ.\n\n"
                      "| class | statements | version-specific |");
        versions_row(out, rv);
        buf_puts(out, " how the versions differ |\n| --- | --: | --: |");
        versions_rule(out, rv->nversions);
        buf_puts(out, " --- |\n");
    }
    for (size_t i = 0; i < n; i++) {
        const ClassSummary *c = &cs[i];
        buf_puts(out, "| ");
        render_md(out, c->cls);
        buf_printf(out, " | %zu | %zu |", c->nstmts, c->nspecific);
        for (size_t v = 0; v < rv->nversions; v++) {
            const LockMode *m = lock_mode(c->strongest[v]);
            buf_printf(out, " %s |", m ? m->abbr : "\\-");
        }
        buf_putc(out, ' ');
        if (c->explain)
            render_md(out, c->explain);
        else
            buf_puts(out, "same on every version");
        buf_puts(out, " |\n");
    }
    render_classes_free(cs, n);
}

void report_markdown(const RenderInput *in, const ReportOpts *o, Buf *out)
{
    const RunView *rv = in->run;
    header(out, rv);
    per_version(out, rv);
    layouts(out, rv);
    size_t spec = 0;
    for (size_t i = 0; i < rv->nstmts; i++)
        spec += rv->stmts[i].version_specific;
    buf_printf(out, "**%zu statements%s, %zu version-specific.**\n\n", rv->nstmts,
               o->only_version_specific ? " shown (version-specific only)" : "", spec);
    legend(out);
    matrix(out, rv);
    classes(out, rv);
}

void report_markdown_diff(const RenderInput *in, const ReportOpts *o, Buf *out)
{
    (void)o;
    const RunDiff *d = in->diff;
    buf_printf(out, "## lockmatrix run %lld against run %lld\n\n", d->b->id, d->a->id);
    buf_printf(out, "Run %lld started ", d->b->id);
    render_md(out, d->b->started_at);
    buf_printf(out, "; run %lld started ", d->a->id);
    render_md(out, d->a->started_at);
    buf_puts(out, ".\n\n| version | earlier run | this run |\n| --- | --- | --- |\n");
    for (size_t i = 0; i < d->nservers; i++) {
        const DiffServer *s = &d->servers[i];
        bool changed = diff_server_changed(s);
        buf_printf(out, "| %s | ", VERSION_NAME(s->major));
        render_md(out, s->a ? s->a : "none");
        buf_puts(out, changed ? " | **" : " | ");
        render_md(out, s->b ? s->b : "none");
        buf_puts(out, changed ? "** |\n" : " |\n");
    }
    buf_printf(out,
               "\n%zu statements matched, %zu new, %zu gone; migrations: %zu added, %zu "
               "removed. ",
               d->matched, d->nnew, d->ngone, d->nmig_added, d->nmig_removed);
    if (d->nregressions)
        buf_printf(out, "**Regression: %zu changes of observed behaviour.**\n\n", d->nregressions);
    else
        buf_puts(out, "No change of observed behaviour.\n\n");
    if (d->nsampled)
        buf_printf(out,
                   "%zu changes seen through sampled lock captures are listed, not counted.\n\n",
                   d->nsampled);
    if (d->nuncompared)
        buf_printf(out,
                   "%zu results not compared: their job was in one run only (another "
                   "shard).\n\n",
                   d->nuncompared);
    if (d->nmigs) {
        buf_puts(out, "| migration | statements | |\n| --- | --: | --- |\n");
        for (size_t i = 0; i < d->nmigs; i++) {
            buf_puts(out, "| ");
            render_md(out, d->migs[i].path);
            buf_printf(out, " | %zu | %s |\n", d->migs[i].nstmts,
                       d->migs[i].added ? "added" : "removed");
        }
        buf_putc(out, '\n');
    }
    if (!d->nchanges) return;
    buf_puts(out, "| migration | # | line | statement | version | change | before | after |\n"
                  "| --- | --: | --: | --- | --: | --- | --- | --- |\n");
    for (size_t i = 0; i < d->nchanges; i++) {
        const DiffChange *c = &d->changes[i];
        const RvStatement *x = diff_stmt(c);
        buf_puts(out, "| ");
        render_md(out, x->migration);
        buf_printf(out, " | %d | %d | ", x->index, x->line);
        md_sql(out, x->sql, 120);
        if (c->major)
            buf_printf(out, " | %s | ",
                       diff_version(c->major_a, c->major, (char[DIFF_VERSION_LEN]){0}));
        else
            buf_puts(out, " | | ");
        render_md(out, diff_kind_name(c->kind));
        buf_puts(out, c->sampled ? " (sampled, not counted) | " : " | ");
        render_md(out, c->before ? c->before : "");
        buf_puts(out, " | ");
        render_md(out, c->after ? c->after : "");
        if (diff_says_what(c)) {
            buf_puts(out, " (");
            render_md(out, c->what);
            buf_putc(out, ')');
        }
        buf_puts(out, " |\n");
    }
}
