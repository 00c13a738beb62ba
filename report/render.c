/*
 * render: the pieces every renderer shares (see render.h).
 */
#include "report/render.h"
#include "model/versions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void render_opts_init(ReportOpts *o)
{
    memset(o, 0, sizeof(*o));
    o->width = 100;
    o->max_risk = 2; /* medium: high and critical are reported */
}

RenderFailure render_failure(const RvResult *r, int min_version)
{
    if (!r->traced || !r->status) return RENDER_OK;
    if (strcmp(r->status, "error") != 0 && strcmp(r->status, "timeout") != 0) return RENDER_OK;
    if (r->sqlstate && strcmp(r->sqlstate, "25P02") == 0) return RENDER_CONSEQUENCE;
    if (min_version > 0 && version_major(r->major) < min_version) return RENDER_UNSUPPORTED;
    return RENDER_FAILED;
}

void render_cascade(const RvResult *r, Buf *out)
{
    if (r->naborted)
        buf_printf(out, "; %zu statement%s after it aborted", r->naborted,
                   r->naborted == 1 ? "" : "s");
}

void render_aborted(const RvResult *r, Buf *out)
{
    const RvStatement *c = r->aborted_by;
    if (!c) return;
    const RvResult *cr = NULL;
    for (const RvResult *q = c->results; !cr; q++)
        if (q->major == r->major) cr = q;
    buf_printf(out, "aborted by the failure of statement %d (line %d): %s", c->index, c->line,
               cr->sqlstate ? cr->sqlstate : cr->status);
}

void render_version_summary(const RvVersion *s, Buf *out)
{
    render_version_counts(s, out);
    if (s->first_failure) buf_puts(out, "; ");
    render_version_first(s, out);
}

void render_layout(const CorpusLayout *l, Buf *out)
{
    buf_printf(out, "%s: ", l->path ? l->path : "?");
    layout_summary_line(&l->sum, out);
}

void render_version_counts(const RvVersion *s, Buf *out)
{
    buf_printf(out, "%s: %zu run, %zu ok, %zu failed, %zu aborted, %zu not run",
               VERSION_NAME(s->major), s->ran, s->ok, s->failed, s->aborted, s->not_run);
}

void render_version_first(const RvVersion *s, Buf *out)
{
    const RvStatement *x = s->first_failure;
    if (!x) return;
    const RvResult *r = NULL;
    for (const RvResult *q = x->results; !r; q++)
        if (q->major == s->major) r = q;
    buf_printf(out, "first failure %s:%d: %s %s; after it %zu aborted, %zu not run",
               x->migration ? x->migration : "?", x->line, r->sqlstate ? r->sqlstate : r->status,
               r->message ? r->message : "no message", s->after_aborted, s->after_not_run);
}

/* ---- cells ------------------------------------------------------------------ */

/* By Verdict: confirmed, mismatch, trace-only, unpredicted, error. */
static const char *const verdict_marks[VERDICTS] = {"=", "!", "+", "?", "x"};

const char *render_verdict_mark(Verdict v)
{
    return v >= 0 && v < VERDICTS ? verdict_marks[v] : "";
}

static bool is_skipped(const RvResult *r)
{
    return !r->traced || strcmp(r->status, "skipped") == 0;
}
static bool is_ok(const RvResult *r)
{
    return strcmp(r->status, "ok") == 0;
}

bool render_rewrote(const RvResult *r)
{
    return r->nrewrites > 0;
}

bool render_scanned(const RvResult *r)
{
    for (size_t i = 0; i < r->nscans; i++)
        if (r->scans[i].seq_scan > 0) return true;
    return false;
}

/* The first 5 characters of a SQLSTATE made safe (it comes from the store). */
static void put_sqlstate(Buf *out, const char *s)
{
    for (int i = 0; s && s[i] && i < 5; i++)
        buf_putc(out, (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z') ? s[i] : '?');
}

void render_cell(const RvResult *r, Buf *out)
{
    if (is_skipped(r)) {
        buf_putc(out, '.');
        return;
    }
    if (!is_ok(r)) {
        buf_putc(out, strcmp(r->status, "timeout") == 0 ? 'T' : 'E');
        put_sqlstate(out, r->sqlstate);
    } else {
        const LockMode *m = lock_mode(r->target_rank);
        buf_puts(out, m ? m->abbr : "-");
        bool rw = render_rewrote(r), sc = render_scanned(r);
        if (rw || sc) buf_printf(out, " %s%s", rw ? "R" : "", sc ? "S" : "");
    }
    buf_puts(out, render_verdict_mark(r->pred.verdict));
}

/* names as "a, b, c" (at most max, then "+N"), leaving out TOAST tables. */
static void put_names(Buf *out, char *const *names, size_t n, size_t max)
{
    size_t shown = 0, total = 0;
    for (size_t i = 0; i < n; i++) {
        if (!names[i] || strncmp(names[i], "pg_toast", 8) == 0) continue;
        total++;
        if (shown < max) {
            if (shown) buf_puts(out, ", ");
            buf_puts(out, names[i]);
            shown++;
        }
    }
    if (total > shown) buf_printf(out, " +%zu", total - shown);
}

void render_result_title(const RvResult *r, const char *target, Buf *out)
{
    if (is_skipped(r)) {
        buf_printf(out, "not traced: %s", r->skip_reason ? r->skip_reason : "skipped");
        return;
    }
    if (!is_ok(r)) {
        buf_printf(out, "%s ", strcmp(r->status, "timeout") == 0 ? "timeout" : "error");
        put_sqlstate(out, r->sqlstate);
        buf_printf(out, ": %s", r->message ? r->message : "");
    } else {
        const LockMode *m = lock_mode(r->target_rank);
        if (m)
            buf_printf(out, "%s on %s (%s)", m->name, target ? target : "the target", m->blocks);
        else
            buf_printf(out, "no table lock on %s", target ? target : "the target");
    }
    if (r->nrewrites) {
        buf_puts(out, "; rewrote ");
        put_names(out, r->rewrites, r->nrewrites, 4);
    }
    bool first = true;
    for (size_t i = 0; i < r->nscans; i++) {
        if (r->scans[i].seq_scan <= 0) continue;
        buf_printf(out, "%s%s", first ? "; scanned " : ", ", r->scans[i].relation);
        first = false;
    }
    if (r->pred.verdict != VERDICT_NONE) {
        buf_printf(out, "; verdict %s", verdict_name(r->pred.verdict));
        if (r->pred.predicted && r->pred.mode >= 0)
            buf_printf(out, " (predicted %s%s)", lock_mode_name(r->pred.mode),
                       r->pred.rewrite == TRI_YES ? ", rewrite" : "");
    }
}

/* ---- versions and explanations --------------------------------------------- */

/* What one version did, for the explanation: of one statement, or of a class. */
typedef struct Obs {
    int major;
    bool have;            /* a result (not skipped) */
    const char *status;   /* ok, error, timeout */
    const char *sqlstate; /* may be NULL */
    int rank;             /* strongest target lock, -1 none */
    bool rewrite, scan;
    char *rw_names; /* "users, users_pkey" or ""; owned; NULL for a class */
    char *scan_names;
} Obs;

static char *rewrite_names(const RvResult *r)
{
    /* sorted, distinct, so that the order the server reported does not matter */
    char **v = xmalloc((r->nrewrites + 1) * sizeof(char *));
    size_t n = 0;
    for (size_t i = 0; i < r->nrewrites; i++) {
        bool dup = false;
        for (size_t k = 0; k < n && !dup; k++)
            dup = strcmp(v[k], r->rewrites[i] ? r->rewrites[i] : "") == 0;
        if (!dup) v[n++] = r->rewrites[i] ? r->rewrites[i] : "";
    }
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && strcmp(v[k - 1], v[k]) > 0; k--) {
            char *t = v[k];
            v[k] = v[k - 1];
            v[k - 1] = t;
        }
    Buf b;
    buf_init(&b);
    buf_puts(&b, "");
    put_names(&b, v, n, 3);
    free(v);
    return buf_steal(&b);
}

static char *scan_names(const RvResult *r)
{
    Buf b;
    buf_init(&b);
    buf_puts(&b, "");
    size_t shown = 0;
    for (size_t i = 0; i < r->nscans; i++)
        if (r->scans[i].seq_scan > 0 && r->scans[i].relation && shown++ < 3)
            buf_printf(&b, "%s%s", shown > 1 ? ", " : "", r->scans[i].relation);
    return buf_steal(&b);
}

static void obs_of_result(Obs *o, const RvResult *r)
{
    memset(o, 0, sizeof(*o));
    o->major = r->major;
    o->rank = -1;
    if (is_skipped(r)) return;
    o->have = true;
    o->status = r->status;
    o->sqlstate = r->sqlstate;
    o->rank = r->target_rank;
    o->rewrite = render_rewrote(r);
    o->scan = render_scanned(r);
    o->rw_names = rewrite_names(r);
    o->scan_names = scan_names(r);
}

static bool streq(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static bool status_eq(const Obs *a, const Obs *b)
{
    return streq(a->status, b->status) &&
           (streq(a->status, "ok") || streq(a->sqlstate, b->sqlstate));
}

typedef enum { DIM_LOCK, DIM_REWRITE, DIM_SCAN } Dim;

static bool dim_eq(const Obs *a, const Obs *b, Dim d)
{
    switch (d) {
    case DIM_LOCK:
        return a->rank == b->rank;
    case DIM_REWRITE:
        return a->rewrite == b->rewrite && streq(a->rw_names, b->rw_names);
    case DIM_SCAN:
        return a->scan == b->scan && streq(a->scan_names, b->scan_names);
    }
    return true;
}

/* Does dimension d differ between the versions (ok ones only unless all_status)? */
static bool differs(const Obs *o, size_t n, Dim d)
{
    const Obs *first = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!o[i].have || !streq(o[i].status, "ok")) continue;
        if (!first)
            first = &o[i];
        else if (!dim_eq(first, &o[i], d))
            return true;
    }
    return false;
}

static void obs_label(const Obs *o, bool d_lock, bool d_rw, bool d_scan, Buf *b)
{
    if (!streq(o->status, "ok")) {
        buf_puts(b, streq(o->status, "timeout") ? "timeout" : "error");
        if (o->sqlstate && *o->sqlstate) {
            buf_putc(b, ' ');
            put_sqlstate(b, o->sqlstate);
        }
        return;
    }
    size_t start = b->len;
    if (d_lock) {
        const LockMode *m = lock_mode(o->rank);
        buf_puts(b, m ? m->name : "no table lock");
    }
    bool metadata_only = d_rw && !o->rewrite && !o->scan;
    if (d_rw) {
        if (b->len > start) buf_puts(b, ", ");
        if (o->rewrite)
            buf_printf(b, "rewrites%s%s", o->rw_names && *o->rw_names ? " " : "",
                       o->rw_names ? o->rw_names : "");
        else
            buf_puts(b, metadata_only ? "metadata-only" : "no rewrite");
    }
    if (d_scan && !metadata_only) {
        if (b->len > start) buf_puts(b, ", ");
        if (o->scan)
            buf_printf(b, "scans%s%s", o->scan_names && *o->scan_names ? " " : "",
                       o->scan_names ? o->scan_names : "");
        else
            buf_puts(b, "no scan");
    }
    if (b->len == start) buf_puts(b, "ok");
}

/* The explanation over per-version observations (n of them, ascending major). */
static bool explain_obs(const Obs *o, size_t n, Buf *out)
{
    bool d_status = false;
    const Obs *first = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!o[i].have) continue;
        if (!first)
            first = &o[i];
        else if (!status_eq(first, &o[i]))
            d_status = true;
    }
    bool d_lock = differs(o, n, DIM_LOCK), d_rw = differs(o, n, DIM_REWRITE),
         d_scan = differs(o, n, DIM_SCAN);
    if (!d_status && !d_lock && !d_rw && !d_scan) return false;

    /* label per version, then the versions of each label in order of first
     * appearance */
    char **labels = xcalloc(n ? n : 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        if (!o[i].have) continue;
        Buf b;
        buf_init(&b);
        obs_label(&o[i], d_lock, d_rw, d_scan, &b);
        labels[i] = buf_steal(&b);
    }
    int *majors = xmalloc((n ? n : 1) * sizeof(int));
    bool *done = xcalloc(n ? n : 1, sizeof(bool));
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        if (!labels[i] || done[i]) continue;
        size_t m = 0;
        for (size_t k = i; k < n; k++)
            if (labels[k] && !done[k] && strcmp(labels[k], labels[i]) == 0) {
                majors[m++] = o[k].major;
                done[k] = true;
            }
        buf_printf(out, "%s%s on ", any ? "; " : "", labels[i]);
        versions_ranges(majors, m, out);
        any = true;
    }
    for (size_t i = 0; i < n; i++)
        free(labels[i]);
    free(labels);
    free(majors);
    free(done);
    return true;
}

static void obs_free(Obs *o, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(o[i].rw_names);
        free(o[i].scan_names);
    }
    free(o);
}

bool render_explain(const RunView *rv, const RvStatement *st, Buf *out)
{
    Obs *o = xcalloc(rv->nversions ? rv->nversions : 1, sizeof(Obs));
    for (size_t v = 0; v < rv->nversions; v++)
        obs_of_result(&o[v], &st->results[v]);
    bool r = explain_obs(o, rv->nversions, out);
    obs_free(o, rv->nversions);
    return r;
}

/* ---- classes ------------------------------------------------------------------ */

static const char *cls_name(const RvStatement *x)
{
    return x->cls ? x->cls : "(none)";
}

static int cmp_cls_idx(const void *a, const void *b, void *arg)
{
    const RunView *rv = arg;
    size_t i = *(const size_t *)a, k = *(const size_t *)b;
    int c = strcmp(cls_name(&rv->stmts[i]), cls_name(&rv->stmts[k]));
    return c ? c : (i > k) - (i < k);
}

static int cmp_summary(const void *a, const void *b)
{
    const ClassSummary *x = a, *y = b;
    if (x->nspecific != y->nspecific) return x->nspecific < y->nspecific ? 1 : -1;
    return strcmp(x->cls, y->cls);
}

static void class_one(const RunView *rv, const size_t *idx, size_t n, ClassSummary *c)
{
    size_t nv = rv->nversions;
    c->cls = cls_name(&rv->stmts[idx[0]]);
    c->nstmts = n;
    c->strongest = xmalloc((nv ? nv : 1) * sizeof(int));
    Obs *o = xcalloc(nv ? nv : 1, sizeof(Obs));
    for (size_t v = 0; v < nv; v++) {
        o[v].major = rv->versions[v];
        o[v].rank = -1;
    }
    for (size_t k = 0; k < n; k++) {
        const RvStatement *x = &rv->stmts[idx[k]];
        if (x->version_specific) c->nspecific++;
        for (size_t v = 0; v < nv; v++) {
            const RvResult *r = &x->results[v];
            if (r->pred.verdict == VERDICT_MISMATCH) c->nmismatch++;
            if (is_skipped(r)) continue;
            /* a failure is counted, not compared: the class differs between
             * versions only where its statements ran ok (as version_specific) */
            if (!is_ok(r)) {
                if (render_failure(r, 0) == RENDER_FAILED)
                    c->nerrors++; /* a 25P02 after it is its consequence, not another */
                continue;
            }
            Obs *ov = &o[v];
            if (!ov->have) {
                ov->have = true;
                ov->status = "ok";
            }
            if (r->target_rank > ov->rank) ov->rank = r->target_rank;
            ov->rewrite |= render_rewrote(r);
            ov->scan |= render_scanned(r);
        }
    }
    for (size_t v = 0; v < nv; v++)
        c->strongest[v] = o[v].rank;
    Buf b;
    buf_init(&b);
    if (explain_obs(o, nv, &b)) c->explain = buf_steal(&b);
    buf_free(&b);
    obs_free(o, nv);
}

void render_classes(const RunView *rv, ClassSummary **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (rv->nstmts == 0) return;
    size_t *idx = xmalloc(rv->nstmts * sizeof(size_t));
    for (size_t i = 0; i < rv->nstmts; i++)
        idx[i] = i;
    qsort_r(idx, rv->nstmts, sizeof(size_t), cmp_cls_idx, (void *)rv);
    size_t cap = 0;
    for (size_t i = 0; i < rv->nstmts;) {
        size_t j = i;
        while (j < rv->nstmts &&
               strcmp(cls_name(&rv->stmts[idx[j]]), cls_name(&rv->stmts[idx[i]])) == 0)
            j++;
        ClassSummary *c = ARRAY_PUSH(*out, *n, cap);
        memset(c, 0, sizeof(*c));
        class_one(rv, idx + i, j - i, c);
        i = j;
    }
    free(idx);
    qsort(*out, *n, sizeof(ClassSummary), cmp_summary);
}

void render_classes_free(ClassSummary *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(c[i].explain);
        free(c[i].strongest);
    }
    free(c);
}

/* ---- filtering ------------------------------------------------------------------ */

RunView *render_filtered(const RunView *rv, const ReportOpts *opts)
{
    RunView *c = xmalloc(sizeof(*c));
    *c = *rv;
    c->stmts = xmalloc((rv->nstmts ? rv->nstmts : 1) * sizeof(RvStatement));
    c->nstmts = 0;
    for (size_t i = 0; i < rv->nstmts; i++)
        if (!opts->only_version_specific || rv->stmts[i].version_specific)
            c->stmts[c->nstmts++] = rv->stmts[i];
    return c;
}

void render_filtered_free(RunView *copy)
{
    if (!copy) return;
    free(copy->stmts);
    free(copy);
}

/* ---- untrusted text ---------------------------------------------------------------- */

/* The code point of the UTF-8 sequence at s (valid, shortest form, not a
 * surrogate); its length in *len, 0 when the bytes are not valid UTF-8. */
static unsigned utf8_decode(const unsigned char *s, int *len)
{
    unsigned c = s[0], cp;
    int n;
    if (c < 0x80) {
        *len = 1;
        return c;
    } else if ((c & 0xE0) == 0xC0) {
        n = 2;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3;
        cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4;
        cp = c & 0x07;
    } else {
        *len = 0;
        return 0;
    }
    for (int k = 1; k < n; k++) {
        if ((s[k] & 0xC0) != 0x80) { /* also stops at the NUL */
            *len = 0;
            return 0;
        }
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        *len = 0;
        return 0;
    }
    *len = n;
    return cp;
}

/* Code points shown as \uXXXX: C1 controls, bidirectional controls (the
 * "Trojan Source" ones), line and paragraph separators, BOM. */
static bool cp_hidden(unsigned cp)
{
    return (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
           (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

void render_clean(Buf *out, const char *str, bool collapse)
{
    if (!str) return;
    const unsigned char *s = (const unsigned char *)str;
    bool pending_space = false, any = false;
    while (*s) {
        unsigned c = *s;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
            if (collapse) {
                pending_space = any;
                s++;
                continue;
            }
            if (c == ' ' || c == '\t' || c == '\n') {
                buf_putc(out, (char)c);
                s++;
                continue;
            }
            if (c == '\r' && s[1] == '\n') {
                s++;
                continue;
            }
        }
        if (pending_space) {
            buf_putc(out, ' ');
            pending_space = false;
        }
        any = true;
        if (c < 0x20 || c == 0x7F) {
            buf_printf(out, "\\x%02x", c);
            s++;
            continue;
        }
        int len;
        unsigned cp = utf8_decode(s, &len);
        if (len == 0) {
            buf_printf(out, "\\x%02x", c);
            s++;
        } else if (cp_hidden(cp)) {
            buf_printf(out, "\\u%04x", cp);
            s += len;
        } else {
            buf_append(out, s, (size_t)len);
            s += len;
        }
    }
}

size_t render_width(const char *s)
{
    size_t n = 0;
    for (; s && *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) n++;
    return n;
}

static void html_escape(Buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '&':
            buf_puts(out, "&amp;");
            break;
        case '<':
            buf_puts(out, "&lt;");
            break;
        case '>':
            buf_puts(out, "&gt;");
            break;
        case '"':
            buf_puts(out, "&quot;");
            break;
        case '\'':
            buf_puts(out, "&#39;");
            break;
        default:
            buf_putc(out, s[i]);
        }
    }
}

void render_html(Buf *out, const char *s, bool collapse)
{
    Buf c;
    buf_init(&c);
    render_clean(&c, s, collapse);
    html_escape(out, c.data ? c.data : "", c.len);
    buf_free(&c);
}

void render_md(Buf *out, const char *s)
{
    Buf c;
    buf_init(&c);
    render_clean(&c, s, true);
    for (size_t i = 0; i < c.len; i++) {
        char ch = c.data[i];
        switch (ch) {
        case '&':
        case '<':
        case '>':
            html_escape(out, &ch, 1); /* Markdown passes HTML through */
            break;
        case '\\':
        case '`':
        case '*':
        case '_':
        case '[':
        case ']':
        case '|':
        case '~':
        case '#':
            buf_putc(out, '\\');
            buf_putc(out, ch);
            break;
        default:
            buf_putc(out, ch);
        }
    }
    buf_free(&c);
}

/* Byte offset after the first cols code points of s (or its end). */
static size_t cols_to_bytes(const char *s, size_t cols)
{
    size_t i = 0, n = 0;
    while (s[i]) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (n == cols) break;
            n++;
        }
        i++;
    }
    return i;
}

void render_wrap(Buf *out, const char *text, const char *indent, int width, int maxlines)
{
    int avail = width - (int)render_width(indent);
    if (avail < 20) avail = 20;
    const char *p = text ? text : "";
    int lines = 0;
    while (*p == ' ')
        p++;
    do {
        size_t rest = render_width(p);
        size_t take; /* bytes of this line */
        const char *next;
        if (rest <= (size_t)avail) {
            take = strlen(p);
            next = p + take;
        } else {
            size_t lim = cols_to_bytes(p, (size_t)avail);
            size_t brk = lim;
            while (brk > 0 && p[brk] != ' ')
                brk--;
            if (brk == 0) brk = lim; /* one long word: cut it */
            take = brk;
            next = p + brk;
            while (*next == ' ')
                next++;
        }
        lines++;
        buf_puts(out, indent);
        if (maxlines > 0 && lines == maxlines && *next) {
            size_t cut = cols_to_bytes(p, (size_t)avail - 3);
            if (cut > take) cut = take;
            buf_append(out, p, cut);
            buf_puts(out, "...\n");
            return;
        }
        buf_append(out, p, take);
        buf_putc(out, '\n');
        p = next;
    } while (*p);
}
