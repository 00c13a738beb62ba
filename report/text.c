/*
 * report/text: the report for a terminal. The matrix (one row per statement,
 * grouped by migration, one column per version), the SQL wrapped under it, a
 * one-line explanation under every version-specific row, then the summary per
 * class. Fits opts->width columns; colour only when opts->color. Every string
 * from the store goes through render_clean: no escape sequence from a
 * migration reaches the terminal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus/corpus.h"
#include "model/versions.h"
#include "report/gate.h"
#include "report/report.h"

#define CELL_W 7 /* a cell, then one space */
#define PREFIX_W 12

/* ---- colours ------------------------------------------------------------------- */

static const char *const level_colour[] = {
    [LOCK_LEVEL_NONE] = "32",
    [LOCK_LEVEL_DDL] = "36",
    [LOCK_LEVEL_WRITES] = "33",
    [LOCK_LEVEL_READS] = "31",
};

typedef struct Out {
    Buf *b;
    const ReportOpts *o;
} Out;

static void sgr_on(Out *t, const char *code)
{
    if (t->o->color && code) buf_printf(t->b, "\x1b[%sm", code);
}

static void sgr_off(Out *t, const char *code)
{
    if (t->o->color && code) buf_puts(t->b, "\x1b[0m");
}

static const char *result_colour(const RvResult *r)
{
    if (!r->traced || strcmp(r->status, "skipped") == 0) return "2";
    if (strcmp(r->status, "ok") != 0) return "35";
    const LockMode *m = lock_mode(r->target_rank);
    return m ? level_colour[m->level] : NULL;
}

/* s (clean) padded with spaces to w columns, cut with "..." when longer. */
static void put_padded(Buf *b, const char *s, size_t w);

/* s in colour (cut to w columns), then the padding to w outside the colour, so
 * that trailing blanks can be trimmed. */
static void put_coloured(Out *t, const char *code, const char *s, size_t w)
{
    size_t n = render_width(s);
    sgr_on(t, code);
    put_padded(t->b, s, n > w ? w : n);
    sgr_off(t, code);
    for (size_t n = render_width(s); n < w; n++)
        buf_putc(t->b, ' ');
}

static void put_padded(Buf *b, const char *s, size_t w)
{
    size_t n = render_width(s);
    if (n > w) {
        size_t cols = 0, i = 0;
        while (s[i] && cols < w - 3) {
            i++;
            while (((unsigned char)s[i] & 0xC0) == 0x80)
                i++;
            cols++;
        }
        buf_append(b, s, i);
        buf_puts(b, "...");
        return;
    }
    buf_puts(b, s);
    for (; n < w; n++)
        buf_putc(b, ' ');
}

static void trim_line_end(Buf *b)
{
    while (b->len && b->data[b->len - 1] == ' ')
        b->data[--b->len] = '\0';
}

static size_t class_width(const RunView *rv, const ReportOpts *o)
{
    long w = (long)o->width - PREFIX_W - (long)rv->nversions * (CELL_W + 1);
    return w < 12 ? 12 : w > 40 ? 40 : (size_t)w;
}

/* ---- header and legend ------------------------------------------------------------ */

/* The layout of each directory given (render_layout). */
static void layouts(Out *t, const RunView *rv)
{
    if (!rv->nlayouts) return;
    buf_puts(t->b, "layout:\n");
    for (size_t i = 0; i < rv->nlayouts; i++) {
        Buf line, clean;
        buf_init(&line);
        buf_init(&clean);
        render_layout(&rv->layouts[i], &line);
        render_clean(&clean, line.data, true);
        render_wrap(t->b, clean.data, "  ", t->o->width, 0);
        buf_free(&line);
        buf_free(&clean);
    }
}

/* Every version's line of the summary (render_version_summary). */
static void per_version(Out *t, const RunView *rv)
{
    if (!rv->per_version) return;
    buf_puts(t->b, "per version:\n");
    for (size_t v = 0; v < rv->nversions; v++) {
        const RvVersion *s = &rv->per_version[v];
        bool bad = s->failed || s->aborted || s->not_run;
        sgr_on(t, bad ? "35" : NULL);
        for (int half = 0; half < 2; half++) {
            Buf line, clean;
            buf_init(&line);
            buf_init(&clean);
            buf_puts(&line, "");
            buf_puts(&clean, "");
            if (half == 0)
                render_version_counts(s, &line);
            else
                render_version_first(s, &line);
            render_clean(&clean, line.data, true);
            if (clean.len) render_wrap(t->b, clean.data, half ? "      " : "  ", t->o->width, 4);
            buf_free(&line);
            buf_free(&clean);
        }
        sgr_off(t, bad ? "35" : NULL);
    }
}

static void header(Out *t, const RunView *rv)
{
    Buf vs;
    buf_init(&vs);
    versions_ranges(rv->versions, rv->nversions, &vs);
    sgr_on(t, "1");
    buf_printf(t->b, "lockmatrix run %lld", rv->id);
    sgr_off(t, "1");
    buf_puts(t->b, ": ");
    render_clean(t->b, rv->status, true);
    buf_puts(t->b, ", started ");
    render_clean(t->b, rv->started_at, true);
    buf_printf(t->b, ", versions %s, backend ", vs.data ? vs.data : "");
    render_clean(t->b, rv->backend, true);
    buf_puts(t->b, "\ncorpus: ");
    render_clean(t->b, rv->corpus, true);
    buf_puts(t->b, "\nservers:");
    for (size_t i = 0; i < rv->nservers; i++) {
        buf_putc(t->b, ' ');
        render_clean(t->b, rv->servers[i].version, true);
    }
    buf_puts(t->b, "\n");
    buf_free(&vs);
    per_version(t, rv);
    layouts(t, rv);
    buf_putc(t->b, '\n');
}

static bool has_verdicts(const RunView *rv)
{
    for (size_t i = 0; i < rv->nstmts; i++)
        for (size_t v = 0; v < rv->nversions; v++)
            if (rv->stmts[i].results[v].pred.verdict != VERDICT_NONE) return true;
    return false;
}

static void legend(Out *t, const RunView *rv)
{
    buf_puts(t->b, "Cells: the strongest lock on the statement's target, and what it blocks:\n");
    for (int k = 0; k < LOCK_MODES; k++) {
        const LockMode *m = lock_mode(k);
        buf_puts(t->b, "  ");
        put_coloured(t, level_colour[m->level], m->abbr, 4);
        put_padded(t->b, m->name, 26);
        buf_puts(t->b, m->blocks);
        buf_putc(t->b, '\n');
    }
    buf_puts(t->b, "  then R rewrote, S scanned; - no lock on the target, E<sqlstate> error,\n"
                   "  T<sqlstate> timeout, . not traced\n");
    if (has_verdicts(rv))
        buf_puts(t->b,
                 "  verdicts: = confirmed, ! mismatch, + trace-only, ? unpredicted, x error\n");
    buf_putc(t->b, '\n');
}

/* The header of a matrix: two number columns (c1, c2), the name, the versions. */
static void version_header(Out *t, const RunView *rv, const char *c1, const char *c2,
                           const char *first, size_t cw)
{
    sgr_on(t, "1");
    buf_printf(t->b, "%4s %5s  ", c1, c2);
    put_padded(t->b, first, cw);
    for (size_t v = 0; v < rv->nversions; v++) {
        char h[16];
        snprintf(h, sizeof(h), "%s", VERSION_NAME(rv->versions[v]));
        buf_putc(t->b, ' ');
        put_padded(t->b, h, CELL_W);
    }
    trim_line_end(t->b);
    sgr_off(t, "1");
    buf_putc(t->b, '\n');
}

/* ---- the matrix -------------------------------------------------------------------- */

static void cells(Out *t, const RunView *rv, const RvResult *results)
{
    for (size_t v = 0; v < rv->nversions; v++) {
        Buf c;
        buf_init(&c);
        render_cell(&results[v], &c);
        buf_putc(t->b, ' ');
        put_coloured(t, result_colour(&results[v]), c.data, CELL_W);
        buf_free(&c);
    }
}

/* Distinct errors of a statement, one line each: "E 42601 on 10-13: message". */
static void errors(Out *t, const RunView *rv, const RvStatement *x)
{
    bool *done = xcalloc(rv->nversions ? rv->nversions : 1, sizeof(bool));
    int *majors = xmalloc((rv->nversions ? rv->nversions : 1) * sizeof(int));
    for (size_t v = 0; v < rv->nversions; v++) {
        const RvResult *r = &x->results[v];
        if (done[v] || !r->traced || strcmp(r->status, "ok") == 0 ||
            strcmp(r->status, "skipped") == 0)
            continue;
        size_t n = 0;
        for (size_t k = v; k < rv->nversions; k++) {
            const RvResult *q = &x->results[k];
            if (!done[k] && q->traced && strcmp(q->status, r->status) == 0 &&
                strcmp(q->sqlstate ? q->sqlstate : "", r->sqlstate ? r->sqlstate : "") == 0 &&
                strcmp(q->message ? q->message : "", r->message ? r->message : "") == 0 &&
                q->naborted == r->naborted && q->aborted_by == r->aborted_by) {
                done[k] = true;
                majors[n++] = q->major;
            }
        }
        Buf line;
        buf_init(&line);
        if (r->aborted_by) {
            /* a consequence of the failure above it, not one more failure */
            Buf a;
            buf_init(&a);
            render_aborted(r, &a);
            buf_puts(&line, "on ");
            versions_ranges(majors, n, &line);
            buf_puts(&line, ": ");
            render_clean(&line, a.data, true);
            buf_free(&a);
            sgr_on(t, "2");
            render_wrap(t->b, line.data, "      ", t->o->width, 2);
            sgr_off(t, "2");
            buf_free(&line);
            continue;
        }
        buf_printf(&line, "%s ", strcmp(r->status, "timeout") == 0 ? "timeout" : "error");
        render_clean(&line, r->sqlstate, true);
        buf_puts(&line, " on ");
        versions_ranges(majors, n, &line);
        buf_puts(&line, ": ");
        render_clean(&line, r->message, true);
        render_cascade(r, &line);
        /* the DETAIL and HINT lines of what the server said */
        for (const char *p = r->said; p && *p;) {
            const char *nl = strchr(p, '\n');
            size_t len = nl ? (size_t)(nl - p) : strlen(p);
            if ((len > 8 && strncmp(p, "DETAIL:", 7) == 0) ||
                (len > 6 && strncmp(p, "HINT:", 5) == 0)) {
                char *one = xstrndup(p, len);
                buf_puts(&line, "; ");
                render_clean(&line, one, true);
                free(one);
            }
            p = nl ? nl + 1 : p + len;
        }
        sgr_on(t, "35");
        render_wrap(t->b, line.data, "      ", t->o->width, 2);
        sgr_off(t, "35");
        buf_free(&line);
    }
    free(done);
    free(majors);
}

/* A statement's SQL dimmed under its line, after lead, wrapped to at most
 * lines lines. */
static void sql_under(Out *t, const char *lead, const char *sql_text, int lines)
{
    Buf sql;
    buf_init(&sql);
    buf_puts(&sql, lead);
    char *plain = corpus_sql_uncommented(sql_text); /* text after -- must not look commented out */
    render_clean(&sql, plain, true);
    free(plain);
    sgr_on(t, "2");
    render_wrap(t->b, sql.data, "      ", t->o->width, lines);
    sgr_off(t, "2");
    buf_free(&sql);
}

static void statement_row(Out *t, const RunView *rv, const RvStatement *x, size_t cw)
{
    Buf cls;
    buf_init(&cls);
    buf_puts(&cls, "");
    render_clean(&cls, x->cls ? x->cls : "(unclassified)", true);
    buf_printf(t->b, "%4d %5d  ", x->index, x->line);
    put_padded(t->b, cls.data, cw);
    cells(t, rv, x->results);
    trim_line_end(t->b);
    buf_putc(t->b, '\n');

    /* the SQL under the row, after the class when the column cut it */
    if (render_width(cls.data) > cw) {
        Buf lead;
        buf_init(&lead);
        buf_printf(&lead, "[%s] ", cls.data);
        sql_under(t, lead.data, x->sql, 4);
        buf_free(&lead);
    } else {
        sql_under(t, "", x->sql, 4);
    }
    buf_free(&cls);
    if (x->do_block) buf_puts(t->b, "      * DO block: the locks come from the DDL inside it\n");
    if (classify_parsed_note(x->parsed))
        buf_printf(t->b, "      * %s\n", classify_parsed_note(x->parsed));

    if (x->version_specific) {
        Buf e;
        buf_init(&e);
        buf_puts(&e, "* version-specific: ");
        if (!render_explain(rv, x, &e)) buf_puts(&e, "the versions differ");
        Buf clean;
        buf_init(&clean);
        render_clean(&clean, e.data, true);
        sgr_on(t, "1;33");
        render_wrap(t->b, clean.data, "      ", t->o->width, 3);
        sgr_off(t, "1;33");
        buf_free(&clean);
        buf_free(&e);
    }
    errors(t, rv, x);
}

static void matrix(Out *t, const RunView *rv)
{
    size_t cw = class_width(rv, t->o);
    const char *mig = NULL;
    for (size_t i = 0; i < rv->nstmts; i++) {
        const RvStatement *x = &rv->stmts[i];
        if (!mig || strcmp(mig, x->migration ? x->migration : "") != 0) {
            mig = x->migration ? x->migration : "";
            buf_putc(t->b, '\n');
            sgr_on(t, "1");
            buf_puts(t->b, "== ");
            render_clean(t->b, mig, true);
            sgr_off(t, "1");
            buf_putc(t->b, '\n');
            version_header(t, rv, "#", "line", "class", cw);
        }
        statement_row(t, rv, x, cw);
    }
}

/* ---- per class ---------------------------------------------------------------------- */

static void classes(Out *t, const RunView *rv)
{
    ClassSummary *cs;
    size_t n;
    render_classes(rv, &cs, &n);
    if (n == 0) {
        render_classes_free(cs, n);
        return;
    }
    size_t cw = class_width(rv, t->o);
    buf_puts(t->b, "\n");
    sgr_on(t, "1");
    buf_puts(t->b, "== By class: strongest lock per version, and how the versions differ");
    sgr_off(t, "1");
    buf_putc(t->b, '\n');
    version_header(t, rv, "n", "", "class (n: its statements)", cw);
    for (size_t i = 0; i < n; i++) {
        const ClassSummary *c = &cs[i];
        Buf name;
        buf_init(&name);
        buf_puts(&name, "");
        render_clean(&name, c->cls, true);
        buf_printf(t->b, "%4zu %5s  ", c->nstmts, "");
        put_padded(t->b, name.data, cw);
        for (size_t v = 0; v < rv->nversions; v++) {
            const LockMode *m = lock_mode(c->strongest[v]);
            buf_putc(t->b, ' ');
            put_coloured(t, m ? level_colour[m->level] : NULL, m ? m->abbr : "-", CELL_W);
        }
        trim_line_end(t->b);
        buf_putc(t->b, '\n');
        if (render_width(name.data) > cw) {
            sgr_on(t, "2");
            render_wrap(t->b, name.data, "      ", t->o->width, 2);
            sgr_off(t, "2");
        }
        Buf line;
        buf_init(&line);
        if (c->nspecific || c->explain) {
            buf_printf(&line, "* %zu of %zu version-specific", c->nspecific, c->nstmts);
            if (c->explain) {
                buf_puts(&line, ": ");
                render_clean(&line, c->explain, true);
            }
        }
        if (c->nerrors || c->nmismatch)
            buf_printf(&line, "%serrors %zu, mismatches %zu", line.len ? "; " : "* ", c->nerrors,
                       c->nmismatch);
        if (line.len) {
            sgr_on(t, c->nspecific ? "1;33" : NULL);
            render_wrap(t->b, line.data, "      ", t->o->width, 3);
            sgr_off(t, c->nspecific ? "1;33" : NULL);
        }
        buf_free(&line);
        buf_free(&name);
    }
    render_classes_free(cs, n);
}

/* The disagreements the text lists; JSON has them all. */
#define DISAGREEMENTS_SHOWN 20

static void footer(Out *t, const RunView *rv, const ReportOpts *o)
{
    size_t spec = 0, errs = 0, mism = 0, migs = 0;
    const char *mig = NULL;
    for (size_t i = 0; i < rv->nstmts; i++) {
        const RvStatement *x = &rv->stmts[i];
        spec += x->version_specific;
        if (!mig || strcmp(mig, x->migration ? x->migration : "") != 0) {
            mig = x->migration ? x->migration : "";
            migs++;
        }
        for (size_t v = 0; v < rv->nversions; v++) {
            const RvResult *r = &x->results[v];
            if (render_failure(r, 0) == RENDER_FAILED)
                errs++; /* the 25P02s after a failure are its consequences */
            if (r->pred.verdict == VERDICT_MISMATCH) mism++;
        }
    }
    buf_printf(t->b,
               "\n%zu statements in %zu migrations%s: %zu version-specific, %zu errors, "
               "%zu mismatches\n",
               rv->nstmts, migs, o->only_version_specific ? " (version-specific only)" : "", spec,
               errs, mism);
    GateAgreement ag;
    gate_agreement(rv, &ag);
    if (ag.cells)
        buf_printf(t->b,
                   "relations: %zu of %zu cells agree with the prediction, relation by relation "
                   "(%.1f%%)\n",
                   ag.agree, ag.cells, 100.0 * (double)ag.agree / (double)ag.cells);
    if (ag.undecidable)
        buf_printf(t->b,
                   "  not counted: %zu cells of DO blocks and procedures (their data decides)\n",
                   ag.undecidable);
    for (size_t k = 0; k < ag.noff && k < DISAGREEMENTS_SHOWN; k++) {
        const GateDisagreement *d = &ag.off[k];
        const RvStatement *x = &rv->stmts[d->stmt];
        Buf line;
        buf_init(&line);
        render_clean(&line, x->migration ? x->migration : "?", true);
        buf_printf(&line, ":%d on %s: ", x->line, VERSION_NAME(x->results[d->version].major));
        render_clean(&line, d->why, true);
        render_wrap(t->b, line.data, "  ", t->o->width, 3);
        buf_free(&line);
    }
    if (ag.noff > DISAGREEMENTS_SHOWN)
        buf_printf(t->b, "  and %zu more (--format json: \"agreement\")\n",
                   ag.noff - DISAGREEMENTS_SHOWN);
    gate_agreement_free(&ag);
}

void report_text(const RenderInput *in, const ReportOpts *o, Buf *out)
{
    const RunView *rv = in->run;
    Out t = {out, o};
    header(&t, rv);
    legend(&t, rv);
    if (rv->nstmts == 0)
        buf_puts(out,
                 o->only_version_specific ? "no version-specific statement\n" : "no statements\n");
    matrix(&t, rv);
    classes(&t, rv);
    footer(&t, rv, o);
}

/* ---- the diff ------------------------------------------------------------------------ */

static void diff_header(Out *t, const RunDiff *d)
{
    sgr_on(t, "1");
    buf_printf(t->b, "lockmatrix run %lld against run %lld", d->b->id, d->a->id);
    sgr_off(t, "1");
    buf_puts(t->b, "\n  run ");
    buf_printf(t->b, "%lld: started ", d->b->id);
    render_clean(t->b, d->b->started_at, true);
    buf_puts(t->b, ", corpus ");
    render_clean(t->b, d->b->corpus, true);
    buf_printf(t->b, "\n  run %lld: started ", d->a->id);
    render_clean(t->b, d->a->started_at, true);
    buf_puts(t->b, ", corpus ");
    render_clean(t->b, d->a->corpus, true);
    buf_puts(t->b, "\nservers (earlier -> this run):\n");
    for (size_t i = 0; i < d->nservers; i++) {
        const DiffServer *s = &d->servers[i];
        buf_printf(t->b, "  %2s: ", VERSION_NAME(s->major));
        render_clean(t->b, s->a ? s->a : "-", true);
        buf_puts(t->b, " -> ");
        render_clean(t->b, s->b ? s->b : "-", true);
        if (diff_server_changed(s)) buf_puts(t->b, "   (changed)");
        buf_putc(t->b, '\n');
    }
    Buf vs;
    buf_init(&vs);
    buf_puts(&vs, "");
    diff_compared(d, &vs);
    buf_printf(t->b,
               "compared on %s: %zu statements matched, %zu new, %zu gone; "
               "migrations: %zu added, %zu removed\n",
               vs.data, d->matched, d->nnew, d->ngone, d->nmig_added, d->nmig_removed);
    buf_free(&vs);
    if (d->nuncompared)
        buf_printf(t->b,
                   "%zu results not compared: their job was in one run only (another shard)\n",
                   d->nuncompared);
    if (d->nregressions) {
        sgr_on(t, "1;31");
        buf_printf(t->b, "REGRESSION: %zu changes of observed behaviour\n", d->nregressions);
        sgr_off(t, "1;31");
    } else {
        buf_puts(t->b, "no change of observed behaviour\n");
    }
    if (d->nsampled)
        buf_printf(t->b, "%zu changes seen through sampled lock captures are listed, not counted\n",
                   d->nsampled);
}

static void stmt_title(Out *t, const RvStatement *x, const char *what)
{
    buf_printf(t->b, "%4d %5d  ", x->index, x->line);
    Buf c;
    buf_init(&c);
    buf_puts(&c, what);
    render_clean(&c, x->cls ? x->cls : "(unclassified)", true);
    buf_puts(t->b, c.data);
    buf_putc(t->b, '\n');
    buf_free(&c);
    sql_under(t, "", x->sql, 2);
}

void report_text_diff(const RenderInput *in, const ReportOpts *o, Buf *out)
{
    const RunDiff *d = in->diff;
    Out t = {out, o};
    diff_header(&t, d);
    for (int added = 1; added >= 0; added--) {
        bool any = false;
        for (size_t i = 0; i < d->nmigs; i++) {
            if (d->migs[i].added != (added == 1)) continue;
            if (!any) {
                buf_putc(out, '\n');
                sgr_on(&t, "1");
                buf_puts(out, added ? "== Migrations added" : "== Migrations removed");
                sgr_off(&t, "1");
                buf_putc(out, '\n');
                any = true;
            }
            buf_puts(out, "  ");
            render_clean(out, d->migs[i].path, true);
            buf_printf(out, " (%zu statements)\n", d->migs[i].nstmts);
        }
    }
    const char *mig = NULL;
    const RvStatement *cur = NULL;
    for (size_t i = 0; i < d->nchanges; i++) {
        const DiffChange *c = &d->changes[i];
        const RvStatement *x = diff_stmt(c);
        if (!mig || strcmp(mig, x->migration ? x->migration : "") != 0) {
            mig = x->migration ? x->migration : "";
            buf_putc(out, '\n');
            sgr_on(&t, "1");
            buf_puts(out, "== ");
            render_clean(out, mig, true);
            sgr_off(&t, "1");
            buf_putc(out, '\n');
            cur = NULL;
        }
        if (c->kind == DIFF_NEW || c->kind == DIFF_GONE) {
            stmt_title(&t, x, c->kind == DIFF_NEW ? "new statement: " : "gone statement: ");
            cur = NULL;
            continue;
        }
        if (x != cur) {
            stmt_title(&t, x, "");
            cur = x;
        }
        Buf line;
        buf_init(&line);
        char ver[DIFF_VERSION_LEN];
        buf_printf(&line, "%s %s: %s -> %s", diff_version(c->major_a, c->major, ver),
                   diff_kind_name(c->kind), c->before, c->after);
        if (diff_says_what(c)) buf_printf(&line, " (%s)", c->what);
        if (c->sampled) buf_puts(&line, " (sampled capture: not counted)");
        sgr_on(&t, c->regression ? "31" : "2");
        render_wrap(out, line.data, "      ", o->width, 4);
        sgr_off(&t, c->regression ? "31" : "2");
        buf_free(&line);
    }
}
