/*
 * ltpage: the lock table as a page and as Markdown (see ltpage.h).
 */
#include "report/ltpage.h"
#include "model/versions.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus/corpus.h"
#include "report/page.h"
#include "report/render.h"

/* ---- the table as classes x versions ------------------------------------ */

/* One class with its row on each version (NULL: the table has none). */
typedef struct PageClass {
    const char *cls;
    const LtRow **at; /* [nversions] */
    Risk risk;        /* the highest over its versions */
    bool differs;     /* some version differs from the one before it */
    bool rewrites;    /* rewrite "yes" on some version */
} PageClass;

static bool same_cell(const LtRow *a, const LtRow *b)
{
    if (!a || !b) return a == b;
    return a->mode == b->mode && a->rewrite == b->rewrite && a->scan == b->scan &&
           memcmp(a->others, b->others, sizeof(a->others)) == 0;
}

/* Whether the cell of version v differs from that of version v-1. */
static bool changed(const PageClass *c, size_t v)
{
    return v > 0 && !same_cell(c->at[v - 1], c->at[v]);
}

/* The classes in the table's order. */
static PageClass *page_classes(const LockTable *t, const LtPageOpts *o, size_t *n)
{
    PageClass *cs = NULL;
    size_t cap = 0;
    *n = 0;
    for (size_t i = 0; i < t->nrows; i++) {
        const char *cls = t->rows[i].cls;
        bool seen = false;
        for (size_t k = 0; k < *n && !seen; k++)
            seen = strcmp(cs[k].cls, cls) == 0;
        if (seen) continue;
        PageClass *c = ARRAY_PUSH(cs, *n, cap);
        memset(c, 0, sizeof(*c));
        c->cls = cls;
        c->at = xcalloc(o->nversions ? o->nversions : 1, sizeof(*c->at));
        for (size_t v = 0; v < o->nversions; v++) {
            const LtRow *r = locktable_lookup(t, cls, o->versions[v]);
            c->at[v] = r;
            if (!r) continue;
            if (r->risk > c->risk) c->risk = r->risk;
            if (r->rewrite == TRI_YES) c->rewrites = true;
        }
        for (size_t v = 1; v < o->nversions; v++)
            c->differs |= changed(c, v);
    }
    return cs;
}

static void page_classes_free(PageClass *cs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(cs[i].at);
    free(cs);
}

/* The lock level of a cell: LockLevel, -1 no lock on the target, -2 no row. */
static int cell_level(const LtRow *r)
{
    if (!r) return -2;
    const LockMode *m = lock_mode(r->mode);
    return m ? (int)m->level : -1;
}

/* "AX R S?" and " ref:SRX oth:AS": the compact cell. */
static void cell_marks(const LtRow *r, Buf *b)
{
    const LockMode *m = lock_mode(r->mode);
    buf_puts(b, m ? m->abbr : "-");
    static const char *const tri[] = {"", "", "?"};
    if (r->rewrite != TRI_NO) buf_printf(b, " R%s", tri[r->rewrite]);
    if (r->scan != TRI_NO) buf_printf(b, " S%s", tri[r->scan]);
}

static void cell_others(const LtRow *r, Buf *b)
{
    for (int k = 0; k < PREDICTION_NROLES; k++) {
        const LockMode *m = lock_mode(r->others[k]);
        if (m) buf_printf(b, "%s%s %s", b->len ? ", " : "", locktable_role_name(k), m->abbr);
    }
}

/* The sentence of a cell's tooltip. */
static void cell_title(const LtRow *r, Buf *b)
{
    const LockMode *m = lock_mode(r->mode);
    if (m)
        buf_printf(b, "%s: %s", m->name, m->blocks);
    else
        buf_puts(b, "no lock on an existing target");
    buf_printf(b, "; rewrite %s; scan %s", tri_name(r->rewrite), tri_name(r->scan));
    for (int k = 0; k < PREDICTION_NROLES; k++) {
        const LockMode *o = lock_mode(r->others[k]);
        if (o) buf_printf(b, "; %s relation: %s", locktable_role_name(k), o->name);
    }
    buf_printf(b, " (table line %d)", r->line);
}

/* Per-version values of a class shown once when they agree, else with their
 * version ranges: "10: x; 11-17: y". what picks the value of a row. */
static void by_versions(const PageClass *c, const LtPageOpts *o, const char *(*what)(const LtRow *),
                        Buf *b)
{
    const char *vals[VERSIONS_CAP];
    size_t nvals = 0;
    for (size_t v = 0; v < o->nversions; v++) {
        if (!c->at[v]) continue;
        const char *s = what(c->at[v]);
        bool seen = false;
        for (size_t k = 0; k < nvals && !seen; k++)
            seen = strcmp(vals[k], s) == 0;
        if (!seen && nvals < ARRAY_LEN(vals)) vals[nvals++] = s;
    }
    if (nvals == 1) {
        buf_puts(b, vals[0]);
        return;
    }
    for (size_t k = 0; k < nvals; k++) {
        int majors[VERSIONS_CAP];
        size_t nm = 0;
        for (size_t v = 0; v < o->nversions; v++)
            if (c->at[v] && strcmp(what(c->at[v]), vals[k]) == 0 && nm < ARRAY_LEN(majors))
                majors[nm++] = o->versions[v];
        if (k) buf_puts(b, "; ");
        versions_ranges(majors, nm, b);
        buf_printf(b, ": %s", vals[k]);
    }
}

static const char *row_note(const LtRow *r)
{
    return r->note;
}
static const char *row_risk(const LtRow *r)
{
    return risk_name(r->risk);
}

/* ---- evidence -------------------------------------------------------------- */

/* A path in a URL: everything but unreserved characters and '/' percent-encoded. */
static void url_path(Buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("/-._~", *p))
            buf_putc(b, (char)*p);
        else
            buf_printf(b, "%%%02X", *p);
    }
}

/* One statement of a class's evidence: its file and line, the majors it was
 * observed on (none for a case) with their servers. */
typedef struct EvItem {
    const char *path;
    int line;
    int majors[VERSIONS_CAP];
    size_t nmajors;
    Buf servers; /* "10: 10.23, 11: 11.22" (the page's header lists them too) */
} EvItem;

static int ev_cmp(const void *a, const void *b)
{
    const LtEvidence *x = a, *y = b;
    int c = strcmp(x->cls, y->cls);
    if (!c) c = strcmp(x->path, y->path);
    if (!c) c = x->line - y->line;
    if (!c) c = x->major - y->major;
    return c;
}

/* The evidence of cls from the sorted list: items grouped by file and line. */
static EvItem *ev_items(const LtEvidence *ev, size_t nev, const char *cls, size_t *n)
{
    EvItem *items = NULL;
    size_t cap = 0;
    *n = 0;
    for (size_t i = 0; i < nev; i++) {
        const LtEvidence *e = &ev[i];
        if (strcmp(e->cls, cls) != 0) continue;
        EvItem *it = *n ? &items[*n - 1] : NULL;
        if (!it || strcmp(it->path, e->path) != 0 || it->line != e->line) {
            it = ARRAY_PUSH(items, *n, cap);
            memset(it, 0, sizeof(*it));
            it->path = e->path;
            it->line = e->line;
            buf_init(&it->servers);
        }
        if (e->major && (!it->nmajors || it->majors[it->nmajors - 1] != e->major) &&
            it->nmajors < ARRAY_LEN(it->majors)) {
            it->majors[it->nmajors++] = e->major;
            buf_printf(&it->servers, "%s%s: %s", it->servers.len ? ", " : "",
                       VERSION_NAME(e->major), e->server ? e->server : "?");
        }
    }
    return items;
}

static void ev_items_free(EvItem *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf_free(&items[i].servers);
    free(items);
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static void ev_url(Buf *b, const LtPageOpts *o, const EvItem *it)
{
    buf_puts(b, o->link_base ? o->link_base : "");
    url_path(b, it->path);
    buf_printf(b, "#L%d", it->line);
}

static LtEvidence *sorted_evidence(const LtPageOpts *o)
{
    LtEvidence *ev = xcalloc(o->nev ? o->nev : 1, sizeof(*ev));
    if (o->nev) memcpy(ev, o->ev, o->nev * sizeof(*ev));
    qsort(ev, o->nev, sizeof(*ev), ev_cmp);
    return ev;
}

/* ---- HTML -------------------------------------------------------------------- */

static const char page_css[] =
    "#lt td.c{white-space:normal;min-width:5.5em;max-width:7.5em;text-align:left}"
    "#lt td.c b{font-size:13px}#lt .bl{display:block;font:11px/1.25 system-ui,sans-serif}"
    "#lt .oth{display:block;font-size:11px;color:#444}"
    "#lt td.chg{outline:3px solid #d4380d;outline-offset:-3px}"
    "#lt td.norow{color:#999;background:#f6f6f6}"
    "#lt td.note{max-width:20em;font-size:13px}#lt td.ev{font-size:12px;max-width:22em}"
    "#lt td.ev a{font-family:ui-monospace,monospace}"
    ".r0{color:#176f2c}.r1{color:#33691e}.r2{color:#8a6d00}.r3{color:#b00020;font-weight:600}"
    ".r4{color:#fff;background:#b00020;font-weight:600}"
    "#controls select{font-size:14px}";

/* Filtering of #lt: class text, blocks writes on A but not B, risk, rewrite. */
static const char page_js[] =
    "(function(){'use strict';\n"
    "var t=document.getElementById('lt');if(!t)return;\n"
    "var $=function(id){return document.getElementById(id);};\n"
    "var q=$('q'),wb=$('wb'),va=$('va'),vb=$('vb'),risk=$('risk'),rw=$('rw'),count=$('count');\n"
    "var vers=t.getAttribute('data-versions').split(',');\n"
    "var all=Array.prototype.slice.call(t.tBodies[0].rows);\n"
    "all.forEach(function(r){r._c=r.getAttribute('data-cls').toLowerCase();"
    "r._l=r.getAttribute('data-lv').split(',').map(Number);});\n"
    "function apply(){var s=q.value.trim().toLowerCase(),a=vers.indexOf(va.value),"
    "b=vers.indexOf(vb.value),mr=Number(risk.value),n=0;\n"
    " for(var i=0;i<all.length;i++){var r=all[i],show=!s||r._c.indexOf(s)>=0;\n"
    "  if(show&&wb.checked)show=r._l[a]>=2&&r._l[b]>=-1&&r._l[b]<2;\n"
    "  if(show&&mr>=0)show=Number(r.getAttribute('data-risk'))>=mr;\n"
    "  if(show&&rw.checked)show=r.getAttribute('data-rw')==='1';\n"
    "  r.hidden=!show;if(show)n++;}\n"
    " count.textContent=n+' of '+all.length+' classes shown';}\n"
    "[q,wb,va,vb,risk,rw].forEach(function(e){e.addEventListener('input',apply);"
    "e.addEventListener('change',apply);});apply();\n"
    "})();\n";

static void h(Buf *out, const char *s)
{
    render_html(out, s, true);
}

static void html_controls(Buf *out, const LtPageOpts *o)
{
    buf_puts(out, "<div id=\"controls\"><input type=\"search\" id=\"q\" placeholder=\"Find a "
                  "class: ADD COLUMN, CREATE INDEX\" aria-label=\"find a class\">\n"
                  "<label><input type=\"checkbox\" id=\"wb\"> blocks writes on</label>"
                  "<select id=\"va\" aria-label=\"version that blocks writes\">");
    for (size_t v = 0; v < o->nversions; v++)
        buf_printf(out, "<option%s>%s</option>", v == 0 ? " selected" : "",
                   VERSION_NAME(o->versions[v]));
    buf_puts(out, "</select><span>but not on</span><select id=\"vb\" aria-label=\"version that "
                  "does not block writes\">");
    for (size_t v = 0; v < o->nversions; v++)
        buf_printf(out, "<option%s>%s</option>", v + 1 == o->nversions ? " selected" : "",
                   VERSION_NAME(o->versions[v]));
    buf_puts(out, "</select>\n<label>risk <select id=\"risk\" aria-label=\"risk at least\">"
                  "<option value=\"-1\">any</option>");
    for (int r = RISK_LOW; r <= RISK_CRITICAL; r++)
        buf_printf(out, "<option value=\"%d\">%s or higher</option>", r, risk_name((Risk)r));
    buf_puts(out, "</select></label>\n<label><input type=\"checkbox\" id=\"rw\"> rewrites the "
                  "table on some version</label><span id=\"count\"></span></div>\n");
}

static void html_legend(Buf *out)
{
    buf_puts(out, "<details class=\"legend\"><summary>Lock modes: what each one blocks</summary>\n"
                  "<table class=\"legend\"><thead><tr><th>cell</th><th>lock mode</th>"
                  "<th>blocks</th><th>typically taken by</th></tr></thead><tbody>\n");
    for (int k = LOCK_MODES - 1; k >= 0; k--) {
        const LockMode *m = lock_mode(k);
        buf_printf(out, "<tr><td class=\"c %s\">%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
                   html_level_class[m->level], m->abbr, m->name, m->blocks, m->takers);
    }
    buf_puts(out, "</tbody></table>\n<p>R: rewrites the table &middot; S: scans it "
                  "sequentially &middot; ?: depends on the statement's details &middot; -: no "
                  "lock on an existing target &middot; n/a: no row for the version &middot; a "
                  "framed cell differs from the version before it.</p></details>\n");
}

/* The cell of version v, which has a row. */
static void html_cell(Buf *out, const PageClass *c, size_t v)
{
    const LtRow *r = c->at[v];
    const char *chg = changed(c, v) ? " chg" : "";
    int level = cell_level(r);
    Buf t, m, oth;
    buf_init(&t);
    buf_init(&m);
    buf_init(&oth);
    cell_title(r, &t);
    cell_marks(r, &m);
    cell_others(r, &oth);
    const LockMode *lm = lock_mode(r->mode);
    buf_printf(out, "<td class=\"c %s%s\" title=\"", level >= 0 ? html_level_class[level] : "none",
               chg);
    h(out, t.data);
    buf_printf(out, "\"><b>%s</b>", m.data);
    buf_printf(out, "<span class=\"bl\">%s</span>",
               lm ? lm->blocks : "no lock on an existing target");
    if (oth.len) buf_printf(out, "<span class=\"oth\">%s</span>", oth.data);
    buf_puts(out, "</td>");
    buf_free(&t);
    buf_free(&m);
    buf_free(&oth);
}

static void html_evidence(Buf *out, const LtPageOpts *o, const EvItem *items, size_t n)
{
    buf_puts(out, "<td class=\"ev\">");
    for (size_t i = 0; i < n; i++) {
        const EvItem *it = &items[i];
        Buf u;
        buf_init(&u);
        ev_url(&u, o, it);
        buf_puts(out, i ? "<br>" : "");
        buf_puts(out, "<a href=\"");
        h(out, u.data);
        buf_puts(out, "\" title=\"");
        h(out, it->path);
        if (it->nmajors) {
            buf_puts(out, " on ");
            h(out, it->servers.data);
        }
        buf_puts(out, "\">");
        h(out, base_name(it->path));
        buf_printf(out, ":%d</a>", it->line);
        if (it->nmajors) {
            Buf vs;
            buf_init(&vs);
            versions_ranges(it->majors, it->nmajors, &vs);
            buf_printf(out, " on %s", vs.data);
            buf_free(&vs);
        }
        buf_free(&u);
    }
    if (!n) buf_puts(out, "<span class=\"none\">none</span>");
    buf_puts(out, "</td>");
}

/* The sentence both pages open with: the versions, the lock table, the
 * evidence and the servers; esc escapes text for the page, code_open/close
 * mark the table's path as code, sep separates the parts. */
static void page_intro(Buf *out, const LockTable *t, const LtPageOpts *o, size_t nclasses,
                       void (*esc)(Buf *, const char *), const char *code_open,
                       const char *code_close, const char *sep)
{
    Buf vs;
    buf_init(&vs);
    versions_ranges(o->versions, o->nversions, &vs);
    buf_printf(out, "What each statement class locks on PostgreSQL %s, from the lock table %s",
               vs.data, code_open);
    esc(out, t->source);
    buf_printf(out, "%s (%zu classes, %zu rows)%sevidence: ", code_close, nclasses, t->nrows, sep);
    esc(out, o->source ? o->source : "none");
    if (o->servers) {
        buf_printf(out, "%sservers ", sep);
        esc(out, o->servers);
    }
    buf_free(&vs);
}

void ltpage_html(const LockTable *t, const LtPageOpts *o, Buf *out)
{
    size_t n;
    PageClass *cs = page_classes(t, o, &n);
    LtEvidence *ev = sorted_evidence(o);

    html_page_begin(out, "PostgreSQL lock table", page_css);
    buf_puts(out, "<p class=\"meta\">");
    page_intro(out, t, o, n, h, "<code>", "</code>", " &middot; ");
    buf_puts(out, "</p>\n");
    html_legend(out);
    html_controls(out, o);
    buf_puts(out, "<table id=\"lt\" data-versions=\"");
    for (size_t v = 0; v < o->nversions; v++)
        buf_printf(out, "%s%s", v ? "," : "", VERSION_NAME(o->versions[v]));
    buf_puts(out, "\"><thead><tr><th>class</th>");
    for (size_t v = 0; v < o->nversions; v++)
        buf_printf(out, "<th>%s</th>", VERSION_NAME(o->versions[v]));
    buf_puts(out, "<th>risk</th><th>note: why, and the safe alternative</th><th>evidence</th>"
                  "</tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < n; i++) {
        const PageClass *c = &cs[i];
        buf_puts(out, "<tr data-cls=\"");
        h(out, c->cls);
        buf_puts(out, "\" data-lv=\"");
        for (size_t v = 0; v < o->nversions; v++)
            buf_printf(out, "%s%d", v ? "," : "", cell_level(c->at[v]));
        buf_printf(out, "\" data-risk=\"%d\" data-rw=\"%d\"%s><td class=\"cls\">", (int)c->risk,
                   c->rewrites, c->differs ? " class=\"vs\"" : "");
        h(out, c->cls);
        buf_puts(out, "</td>");
        for (size_t v = 0; v < o->nversions; v++) {
            if (c->at[v]) {
                html_cell(out, c, v);
            } else {
                buf_printf(out, "<td class=\"c norow%s\" title=\"no row for %d\">n/a</td>",
                           changed(c, v) ? " chg" : "", o->versions[v]);
            }
        }
        Buf b;
        buf_init(&b);
        by_versions(c, o, row_risk, &b);
        buf_printf(out, "<td class=\"r%d\">", (int)c->risk);
        h(out, b.data);
        buf_reset(&b);
        by_versions(c, o, row_note, &b);
        buf_puts(out, "</td><td class=\"note\">");
        h(out, b.data);
        buf_puts(out, "</td>");
        buf_free(&b);
        size_t nit;
        EvItem *items = ev_items(ev, o->nev, c->cls, &nit);
        html_evidence(out, o, items, nit);
        ev_items_free(items, nit);
        buf_puts(out, "</tr>\n");
    }
    buf_puts(out, "</tbody></table>\n");
    html_page_end(out, page_js);
    free(ev);
    page_classes_free(cs, n);
}

/* ---- Markdown ------------------------------------------------------------------ */

void ltpage_markdown(const LockTable *t, const LtPageOpts *o, Buf *out)
{
    size_t n;
    PageClass *cs = page_classes(t, o, &n);
    LtEvidence *ev = sorted_evidence(o);

    buf_puts(out, "# PostgreSQL lock table\n\n");
    page_intro(out, t, o, n, render_md, "`", "`", "; ");
    buf_puts(out, ".\n\nEach cell: the mode on the statement's target (legend below), R: "
                  "rewrites the table, S: scans it sequentially, ?: depends on the statement's "
                  "details, then locks on other relations; -: no lock on an existing target, "
                  "n/a: no row for the version. **Bold**: differs from the version before.\n\n"
                  "| cell | lock mode | blocks |\n| --- | --- | --- |\n");
    for (int k = LOCK_MODES - 1; k >= 0; k--) {
        const LockMode *m = lock_mode(k);
        buf_printf(out, "| %s | %s | ", m->abbr, m->name);
        render_md(out, m->blocks);
        buf_puts(out, " |\n");
    }
    buf_puts(out, "\n| class |");
    for (size_t v = 0; v < o->nversions; v++)
        buf_printf(out, " %s |", VERSION_NAME(o->versions[v]));
    buf_puts(out, " risk | note | evidence |\n| --- |");
    for (size_t v = 0; v < o->nversions; v++)
        buf_puts(out, " --- |");
    buf_puts(out, " --- | --- | --- |\n");
    for (size_t i = 0; i < n; i++) {
        const PageClass *c = &cs[i];
        buf_puts(out, "| ");
        render_md(out, c->cls);
        buf_puts(out, " |");
        for (size_t v = 0; v < o->nversions; v++) {
            const LtRow *r = c->at[v];
            Buf m;
            buf_init(&m);
            if (r) {
                cell_marks(r, &m);
                Buf oth;
                buf_init(&oth);
                cell_others(r, &oth);
                if (oth.len) buf_printf(&m, "; %s", oth.data);
                buf_free(&oth);
            } else {
                buf_puts(&m, "n/a");
            }
            const char *bold = changed(c, v) ? "**" : "";
            buf_printf(out, " %s", bold);
            render_md(out, m.data);
            buf_printf(out, "%s |", bold);
            buf_free(&m);
        }
        Buf b;
        buf_init(&b);
        by_versions(c, o, row_risk, &b);
        buf_puts(out, " ");
        render_md(out, b.data);
        buf_puts(out, " | ");
        buf_reset(&b);
        by_versions(c, o, row_note, &b);
        render_md(out, b.data);
        buf_puts(out, " |");
        buf_free(&b);
        size_t nit;
        EvItem *items = ev_items(ev, o->nev, c->cls, &nit);
        for (size_t k = 0; k < nit; k++) {
            Buf u;
            buf_init(&u);
            ev_url(&u, o, &items[k]);
            buf_puts(out, k ? "<br>[" : " [");
            render_md(out, base_name(items[k].path));
            buf_printf(out, ":%d](%s)", items[k].line, u.data);
            if (items[k].nmajors) {
                Buf r;
                buf_init(&r);
                versions_ranges(items[k].majors, items[k].nmajors, &r);
                buf_printf(out, " on %s", r.data);
                buf_free(&r);
            }
            buf_free(&u);
        }
        buf_puts(out, " |\n");
        ev_items_free(items, nit);
    }
    free(ev);
    page_classes_free(cs, n);
}

/* ---- evidence from the fixture cases ------------------------------------------- */

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The line of "-- under study" in text, 0 when it has none. */
static int study_line(const char *text)
{
    int line = 1;
    for (const char *p = text; *p; p++) {
        if ((p == text || p[-1] == '\n') && strncmp(p, "-- under study", 14) == 0) return line;
        if (*p == '\n') line++;
    }
    return 0;
}

int ltpage_case_evidence(const char *dir, LtEvidence **ev, size_t *n, Err *err)
{
    *ev = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return err_set(err, EXIT_USAGE, "cannot read the fixture cases \"%s\"", dir);
    char **names = NULL;
    size_t nnames = 0, ncap = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".sql") == 0)
            *ARRAY_PUSH(names, nnames, ncap) = xstrdup(e->d_name);
    }
    closedir(d);
    qsort(names, nnames, sizeof(*names), name_cmp);
    for (size_t i = 0; i < nnames; i++) {
        Buf path;
        buf_init(&path);
        buf_printf(&path, "%s/%s", dir, names[i]);
        char *text = NULL;
        size_t len = 0;
        Statement *st = NULL;
        size_t nst = 0;
        Err e2 = {0};
        if (file_read_all(path.data, &text, &len, &e2) == 0 &&
            corpus_split(text, len, &st, &nst, &e2) == 0 && nst) {
            int from = study_line(text);
            for (size_t k = from ? 0 : nst - 1; k < nst; k++) {
                if (st[k].line <= from || st[k].info.tx_control) continue;
                LtEvidence *x = ARRAY_PUSH(*ev, *n, cap);
                memset(x, 0, sizeof(*x));
                x->cls = xstrdup(st[k].info.cls);
                x->path = xstrdup(path.data);
                x->line = st[k].line;
            }
        }
        statements_free(st, nst);
        free(text);
        buf_free(&path);
        free(names[i]);
    }
    free(names);
    return 0;
}

void ltpage_evidence_free(LtEvidence *ev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(ev[i].cls);
        free(ev[i].path);
        free(ev[i].server);
    }
    free(ev);
}
