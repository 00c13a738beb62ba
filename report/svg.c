/*
 * svg: the pictures of the HTML report (see svg.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/page.h"
#include "model/versions.h"
#include "report/svg.h"

/* A report with thousands of transactions stays readable: at most this many
 * pictures of each kind, and this many columns in one picture. */
#define SVG_MAX_PICTURES 100
#define SVG_MAX_COLUMNS 60

#define BAR_W 240
#define BAR_H 18

static void h(Buf *out, const char *s)
{
    render_html(out, s, true);
}

void svg_version_bar(Buf *out, const RvVersion *s)
{
    struct {
        const char *kind, *cls;
        size_t n;
    } seg[] = {{"ok", "ok", s->ok},
               {"failed", "failed", s->failed},
               {"aborted", "aborted", s->aborted},
               {"not run", "notrun", s->not_run}};
    size_t total = 0;
    for (size_t i = 0; i < sizeof(seg) / sizeof(seg[0]); i++)
        total += seg[i].n;
    buf_printf(out,
               "<svg class=\"bar\" data-version=\"%s\" data-total=\"%zu\" width=\"%d\" "
               "height=\"%d\" role=\"img\" aria-label=\"version %s: %zu statements\">",
               VERSION_NAME(s->major), total, BAR_W + 250, BAR_H, VERSION_NAME(s->major), total);
    double x = 0;
    Buf label;
    buf_init(&label);
    buf_puts(&label, "");
    for (size_t i = 0; i < sizeof(seg) / sizeof(seg[0]); i++) {
        if (!seg[i].n) continue;
        double w = (double)BAR_W * (double)seg[i].n / (double)total;
        buf_printf(out,
                   "<rect class=\"seg %s\" data-kind=\"%s\" data-n=\"%zu\" x=\"%.2f\" y=\"0\" "
                   "width=\"%.2f\" height=\"%d\"><title>%d: %zu %s</title></rect>",
                   seg[i].cls, seg[i].kind, seg[i].n, x, w, BAR_H, s->major, seg[i].n, seg[i].kind);
        x += w;
        buf_printf(&label, "%s%zu %s", label.len ? " \xc2\xb7 " : "", seg[i].n, seg[i].kind);
    }
    if (!total) buf_puts(&label, "no statement");
    buf_printf(out, "<text x=\"%d\" y=\"%d\">%s</text></svg>", BAR_W + 8, BAR_H - 5, label.data);
    buf_free(&label);
}

/* ---- the grid both timelines and phases are drawn as ------------------- */

typedef struct Col {
    char head[32];  /* "#3", "phase 2" */
    Buf tip;        /* the column's tooltip (its header's), plain text */
    char where[96]; /* what each cell's tooltip says of the column */
    const TraceLock *locks;
    size_t nlocks;
    const TraceLock *waiting; /* NULL when none */
    bool ran;                 /* false: failed or not run (drawn grey) */
} Col;

/* A table-mode lock on a relation: what a row is made of. */
static bool rel_lock(const TraceLock *l)
{
    return l->relation && l->locktype && !strcmp(l->locktype, "relation") &&
           lock_mode_rank(l->mode) >= 0;
}

static void add_rel(const char ***rels, size_t *n, size_t *cap, const char *rel)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*rels)[i], rel)) return;
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        *rels = xrealloc(*rels, *cap * sizeof(**rels));
    }
    (*rels)[(*n)++] = rel;
}

#define LABEL_CHARS 40
#define CH_W 7
#define COL_W 64
#define ROW_H 22
#define HEAD_H 22

/* One grid: a row per relation (in order of first appearance), a column per
 * cols[i]; end, when not NULL, labels a closing line after the last column
 * ("COMMIT"). carry: the columns are statements of one transaction, which
 * holds every lock it took until COMMIT, so a cell is the strongest mode
 * taken there or at any earlier column (the trace keeps a lock held before
 * only on the relations the statement acts on). */
static void grid(Buf *out, const char *kind, Col *cols, size_t ncols, bool carry, const char *end,
                 const char *end_tip)
{
    const char **rels = NULL;
    size_t nrels = 0, cap = 0, maxlen = 8;
    for (size_t c = 0; c < ncols; c++) {
        for (size_t i = 0; i < cols[c].nlocks; i++)
            if (rel_lock(&cols[c].locks[i]))
                add_rel(&rels, &nrels, &cap, cols[c].locks[i].relation);
        if (cols[c].waiting && rel_lock(cols[c].waiting))
            add_rel(&rels, &nrels, &cap, cols[c].waiting->relation);
    }
    for (size_t r = 0; r < nrels; r++)
        if (strlen(rels[r]) > maxlen) maxlen = strlen(rels[r]);
    if (maxlen > LABEL_CHARS) maxlen = LABEL_CHARS;
    int lw = (int)maxlen * CH_W + 10;
    int endw = end ? 70 : 0;
    int width = lw + (int)ncols * COL_W + endw + 4;
    int height = HEAD_H + (int)(nrels ? nrels : 1) * ROW_H + 4;
    buf_printf(out,
               "<svg class=\"grid %s\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
               "role=\"img\">",
               kind, width, height, width, height);
    for (size_t c = 0; c < ncols; c++) {
        buf_printf(out, "<text class=\"head\" x=\"%d\" y=\"%d\">%s<title>", lw + (int)c * COL_W + 4,
                   HEAD_H - 7, cols[c].head);
        h(out, cols[c].tip.data ? cols[c].tip.data : "");
        buf_puts(out, "</title></text>");
    }
    if (!nrels) buf_printf(out, "<text x=\"4\" y=\"%d\">no lock on a relation</text>", HEAD_H + 15);
    for (size_t r = 0; r < nrels; r++) {
        int y = HEAD_H + (int)r * ROW_H;
        buf_puts(out, "<g class=\"row\" data-rel=\"");
        h(out, rels[r]);
        buf_printf(out,
                   "\"><text class=\"rel\" x=\"4\" y=\"%d\" textLength=\"%d\" "
                   "lengthAdjust=\"spacingAndGlyphs\">",
                   y + 15, strlen(rels[r]) > LABEL_CHARS ? lw - 10 : (int)strlen(rels[r]) * CH_W);
        h(out, rels[r]);
        buf_puts(out, "</text>");
        int held = -1;          /* carry: the strongest mode taken so far */
        const char *since = ""; /* and the column that took it */
        for (size_t c = 0; c < ncols; c++) {
            const Col *col = &cols[c];
            int best = -1;
            bool taken = false;
            for (size_t i = 0; i < col->nlocks; i++) {
                const TraceLock *l = &col->locks[i];
                if (!rel_lock(l) || !l->granted || strcmp(l->relation, rels[r]) != 0) continue;
                int k = lock_mode_rank(l->mode);
                if (k > best) {
                    best = k;
                    taken = !l->held_before;
                } else if (k == best && !l->held_before) {
                    taken = true;
                }
            }
            if (carry) {
                if (best > held) {
                    held = best;
                    since = col->head;
                    taken = true; /* stronger than anything held: this statement took it */
                } else {
                    best = held;
                    taken = false;
                }
            }
            const TraceLock *w =
                col->waiting && rel_lock(col->waiting) && !strcmp(col->waiting->relation, rels[r])
                    ? col->waiting
                    : NULL;
            const LockMode *m = lock_mode(best);
            int x = lw + (int)c * COL_W;
            buf_printf(out,
                       "<rect class=\"cell %s%s\" data-mode=\"%s\"%s x=\"%d\" y=\"%d\" "
                       "width=\"%d\" height=\"%d\"><title>",
                       !col->ran ? "skip"
                       : m       ? html_level_class[m->level]
                                 : "none",
                       w ? " waits" : "", m ? m->name : "", taken ? " data-taken=\"1\"" : "", x + 1,
                       y + 1, COL_W - 2, ROW_H - 2);
            Buf t;
            buf_init(&t);
            buf_printf(&t, "%s: %s", rels[r], m ? m->name : "no lock");
            if (m && taken)
                buf_puts(&t, " (taken here)");
            else if (m && carry)
                buf_printf(&t, " (held since %s)", since);
            else if (m)
                buf_puts(&t, " (held from before)");
            if (w) buf_printf(&t, ", waits for %s", w->mode);
            buf_printf(&t, " at %s", col->head);
            if (col->where[0]) buf_printf(&t, ", %s", col->where);
            h(out, t.data);
            buf_free(&t);
            buf_puts(out, "</title></rect>");
            const LockMode *wm = w ? lock_mode(lock_mode_rank(w->mode)) : NULL;
            if (m || w)
                buf_printf(out, "<text class=\"abbr\" x=\"%d\" y=\"%d\">%s%s%s%s</text>", x + 6,
                           y + 15, taken && carry ? "\xe2\x97\x8f " : "", m ? m->abbr : "",
                           w ? (m ? " w:" : "wait ") : "", wm ? wm->abbr : "");
        }
        buf_puts(out, "</g>");
    }
    if (end) {
        int x = lw + (int)ncols * COL_W + 3;
        buf_printf(out,
                   "<line class=\"end\" x1=\"%d\" y1=\"4\" x2=\"%d\" y2=\"%d\"/>"
                   "<text class=\"head\" x=\"%d\" y=\"%d\">%s<title>",
                   x, x, height - 2, x + 4, HEAD_H - 7, end);
        h(out, end_tip ? end_tip : end);
        buf_puts(out, "</title></text>");
    }
    buf_puts(out, "</svg>\n");
    free(rels);
}

static void col_tip(Col *col, const RvStatement *st, const RvResult *r)
{
    Buf *tip = &col->tip;
    snprintf(col->where, sizeof(col->where), "line %d, %s", st->line,
             st->cls ? st->cls : "(unclassified)");
    buf_init(tip);
    buf_printf(tip, "line %d, %s", st->line, st->cls ? st->cls : "(unclassified)");
    if (st->target) buf_printf(tip, " on %s", st->target);
    if (strcmp(r->status, "ok") != 0 || !r->traced)
        buf_printf(tip, " (%s)", r->traced ? r->status : "not run");
    buf_printf(tip, ": %.120s", st->sql ? st->sql : "");
}

static bool ran_ok(const RvResult *r)
{
    return r->traced && !strcmp(r->status, "ok");
}

static bool in_tx(const RvResult *r)
{
    for (size_t i = 0; i < r->nlocks; i++)
        if (r->locks[i].held_before) return true;
    return false;
}

static void caption(Buf *out, const RvStatement *st, const char *what, int major, bool newest)
{
    buf_puts(out, "<figcaption><code>");
    h(out, st->migration);
    buf_puts(out, "</code> ");
    h(out, what);
    buf_printf(out, " on %s%s</figcaption>\n", VERSION_NAME(major),
               newest ? " (the newest version)" : " (the newest version where it did)");
}

/* The migration of stmts[from..to): the newest version whose result holds
 * a lock from before at any statement; its timeline. */
static bool timeline(Buf *out, const RunView *rv, size_t from, size_t to)
{
    size_t v = rv->nversions;
    while (v-- > 0) {
        bool tx = false;
        for (size_t i = from; i < to && !tx; i++)
            tx = in_tx(&rv->stmts[i].results[v]);
        if (tx) break;
    }
    if (v >= rv->nversions) return false;
    size_t end = to;
    for (size_t i = from; i < to; i++)
        if (rv->stmts[i].results[v].lock_held_ms > 0) {
            end = i + 1;
            break;
        }
    size_t n = end - from, shown = n > SVG_MAX_COLUMNS ? SVG_MAX_COLUMNS : n;
    Col *cols = xcalloc(shown, sizeof(*cols));
    const RvResult *last = &rv->stmts[end - 1].results[v];
    for (size_t c = 0; c < shown; c++) {
        const RvStatement *st = &rv->stmts[from + c];
        const RvResult *r = &st->results[v];
        snprintf(cols[c].head, sizeof(cols[c].head), "#%d", st->index);
        col_tip(&cols[c], st, r);
        cols[c].locks = r->locks;
        cols[c].nlocks = r->nlocks;
        cols[c].ran = ran_ok(r);
    }
    buf_printf(out, "<figure class=\"timeline\" data-version=\"%s\">",
               VERSION_NAME(rv->versions[v]));
    caption(out, &rv->stmts[from], "in one transaction: what each statement holds until COMMIT",
            rv->versions[v], v == rv->nversions - 1);
    Buf tip;
    buf_init(&tip);
    if (shown < n) buf_printf(&tip, "the first %zu of %zu statements shown; ", shown, n);
    if (last->lock_held_ms > 0 && last->lock_held_relation)
        buf_printf(&tip, "COMMIT: %s on %s held %.1f ms",
                   last->lock_held_mode ? last->lock_held_mode : "", last->lock_held_relation,
                   last->lock_held_ms);
    else
        buf_puts(&tip, "COMMIT: every lock is released");
    grid(out, "tx", cols, shown, true, "COMMIT", tip.data);
    buf_free(&tip);
    buf_puts(out, "</figure>\n");
    for (size_t c = 0; c < shown; c++)
        buf_free(&cols[c].tip);
    free(cols);
    return true;
}

/* The phases of st on the newest version that has them. */
static bool phases(Buf *out, const RunView *rv, const RvStatement *st)
{
    size_t v = rv->nversions;
    while (v-- > 0)
        if (st->results[v].nphases) break;
    if (v >= rv->nversions) return false;
    const RvResult *r = &st->results[v];
    size_t shown = r->nphases > SVG_MAX_COLUMNS ? SVG_MAX_COLUMNS : r->nphases;
    Col *cols = xcalloc(shown, sizeof(*cols));
    for (size_t c = 0; c < shown; c++) {
        const RvPhase *p = &r->phases[c];
        snprintf(cols[c].head, sizeof(cols[c].head), "phase %zu", c + 1);
        buf_init(&cols[c].tip);
        buf_printf(&cols[c].tip, "stop %zu of %zu", c + 1, r->nphases);
        if (p->waiting_for && p->waiting_for->mode)
            buf_printf(&cols[c].tip, ", waiting for %s on %s", p->waiting_for->mode,
                       p->waiting_for->relation ? p->waiting_for->relation : "no relation");
        cols[c].locks = p->locks;
        cols[c].nlocks = p->nlocks;
        cols[c].waiting = p->waiting_for;
        cols[c].ran = true;
    }
    Buf what;
    buf_init(&what);
    buf_printf(&what, "#%d (line %d) %s: its phases", st->index, st->line,
               st->cls ? st->cls : "(unclassified)");
    buf_printf(out, "<figure class=\"phases\" data-version=\"%s\">", VERSION_NAME(rv->versions[v]));
    caption(out, st, what.data, rv->versions[v], v == rv->nversions - 1);
    grid(out, "phase", cols, shown, false, NULL, NULL);
    buf_puts(out, "</figure>\n");
    buf_free(&what);
    for (size_t c = 0; c < shown; c++)
        buf_free(&cols[c].tip);
    free(cols);
    return true;
}

void svg_pictures(Buf *out, const RunView *rv)
{
    Buf body;
    buf_init(&body);
    buf_puts(&body, "");
    size_t ntx = 0, nph = 0, moretx = 0, moreph = 0;
    for (size_t i = 0; i < rv->nstmts;) {
        size_t j = i + 1;
        while (j < rv->nstmts && rv->stmts[j].chain == rv->stmts[i].chain &&
               !strcmp(rv->stmts[j].migration, rv->stmts[i].migration))
            j++;
        if (ntx < SVG_MAX_PICTURES)
            ntx += timeline(&body, rv, i, j);
        else
            moretx++;
        for (size_t k = i; k < j; k++) {
            if (nph < SVG_MAX_PICTURES)
                nph += phases(&body, rv, &rv->stmts[k]);
            else
                for (size_t v = 0; v < rv->nversions; v++)
                    if (rv->stmts[k].results[v].nphases) {
                        moreph++;
                        break;
                    }
        }
        i = j;
    }
    if (ntx || nph) {
        buf_puts(out, "<h2>Locks over time</h2>\n<p class=\"pictures\">Rows: relations; "
                      "columns: statements of a transaction up to COMMIT, or the phases of a "
                      "statement run outside one. A cell is the strongest mode held there "
                      "(colours as in the legend), &#9679; where the statement took it.</p>\n");
        buf_puts(out, body.data);
        if (moretx || moreph)
            buf_printf(out, "<p>%d more pictures not drawn.</p>\n", (int)(moretx + moreph));
    }
    buf_free(&body);
}
