/*
 * report/html: one self-contained page. Inline CSS and JS, no external asset
 * (a Content-Security-Policy forbids loading any), the data as escaped HTML:
 * every string from the store goes through render_html, so a migration's
 * "<script>" is text, never markup. The matrix sorts by any column (click its
 * header) and filters by text and by "version-specific only"; cells are
 * coloured by what the lock blocks; the SQL of each statement opens on demand
 * (details/summary).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/page.h"
#include "model/versions.h"
#include "report/report.h"
#include "report/svg.h"

/* Sorting of every table.sortable, filtering of #matrix. No dependencies. */
static const char js[] =
    "(function(){'use strict';\n"
    "function key(r,c,num){var x=r.cells[c];if(!x)return num?-1e9:'';"
    "var k=x.hasAttribute('data-k')?x.getAttribute('data-k'):x.textContent;"
    "return num?(parseFloat(k)||0):k.toLowerCase();}\n"
    "var state={};\n"
    "Array.prototype.forEach.call(document.querySelectorAll('table.sortable'),function(t){\n"
    " var tb=t.tBodies[0];var ths=t.tHead.rows[0].cells;\n"
    " Array.prototype.forEach.call(ths,function(th,col){th.addEventListener('click',function(){\n"
    "  var dir=th.getAttribute('aria-sort')==='ascending'?-1:1;\n"
    "  Array.prototype.forEach.call(ths,function(h){h.removeAttribute('aria-sort');});\n"
    "  th.setAttribute('aria-sort',dir>0?'ascending':'descending');\n"
    "  var num=th.getAttribute('data-type')==='num';\n"
    "  var rows=Array.prototype.slice.call(tb.rows);\n"
    "  var ks=rows.map(function(r,i){return {r:r,k:key(r,col,num),i:i};});\n"
    "  ks.sort(function(a,b){return a.k<b.k?-dir:a.k>b.k?dir:a.i-b.i;});\n"
    "  var f=document.createDocumentFragment();ks.forEach(function(x){f.appendChild(x.r);});\n"
    "  tb.appendChild(f);});});});\n"
    "var m=document.getElementById('matrix');if(!m)return;\n"
    "var q=document.getElementById('q'),vs=document.getElementById('vs'),"
    "count=document.getElementById('count');\n"
    "var all=Array.prototype.slice.call(m.tBodies[0].rows);\n"
    "all.forEach(function(r){r._t=r.textContent.toLowerCase();});\n"
    "function apply(){var s=q.value.trim().toLowerCase(),only=vs&&vs.checked,n=0;\n"
    " for(var i=0;i<all.length;i++){var r=all[i];"
    "var show=(!only||r.getAttribute('data-vs')==='1')&&(!s||r._t.indexOf(s)>=0);\n"
    "  r.hidden=!show;if(show)n++;}\n"
    " count.textContent=n+' of '+all.length+' shown';}\n"
    "q.addEventListener('input',apply);if(vs)vs.addEventListener('change',apply);apply();\n"
    "})();\n";

static void h(Buf *out, const char *s)
{
    render_html(out, s, true);
}

static void page_begin(Buf *out, const char *title)
{
    html_page_begin(out, title, "");
}

static void page_end(Buf *out)
{
    html_page_end(out, js);
}

static void controls(Buf *out, const char *what)
{
    buf_printf(out,
               "<div id=\"controls\"><input type=\"search\" id=\"q\" placeholder=\"Filter %s: "
               "migration, class, SQL, lock, explanation\" aria-label=\"filter\">"
               "<label><input type=\"checkbox\" id=\"vs\"> version-specific only</label>"
               "<span id=\"count\"></span></div>\n",
               what);
}

#define level_class html_level_class

static void meta(Buf *out, const RunView *rv)
{
    Buf vs;
    buf_init(&vs);
    buf_puts(&vs, "");
    versions_ranges(rv->versions, rv->nversions, &vs);
    buf_puts(out, "<p class=\"meta\">");
    h(out, rv->status);
    buf_puts(out, " &middot; started ");
    h(out, rv->started_at);
    if (rv->finished_at) {
        buf_puts(out, " &middot; finished ");
        h(out, rv->finished_at);
    }
    buf_printf(out, " &middot; versions %s &middot; backend ", vs.data);
    h(out, rv->backend);
    buf_puts(out, " &middot; corpus <code>");
    h(out, rv->corpus);
    buf_puts(out, "</code></p>\n");
    buf_free(&vs);
    if (rv->nservers) {
        buf_puts(out, "<table class=\"servers\"><tr><th>version</th>");
        for (size_t i = 0; i < rv->nservers; i++)
            buf_printf(out, "<td>%s</td>", VERSION_NAME(rv->servers[i].major));
        buf_puts(out, "</tr><tr><th>server</th>");
        for (size_t i = 0; i < rv->nservers; i++) {
            buf_puts(out, "<td>");
            h(out, rv->servers[i].version);
            buf_puts(out, "</td>");
        }
        buf_puts(out, "</tr></table>\n");
    }
}

/* The layout of each directory given, one item each (render_layout); a
 * directory that left files out is marked. */
static void layouts(Buf *out, const RunView *rv)
{
    if (!rv->nlayouts) return;
    buf_puts(out, "<h2>Layout</h2>\n<ul class=\"layouts\">\n");
    for (size_t i = 0; i < rv->nlayouts; i++) {
        Buf line;
        buf_init(&line);
        render_layout(&rv->layouts[i], &line);
        buf_printf(out, "<li%s>", rv->layouts[i].sum.nleft ? " class=\"bad\"" : "");
        h(out, line.data);
        buf_puts(out, "</li>\n");
        buf_free(&line);
    }
    buf_puts(out, "</ul>\n");
}

/* The per-version summary, one item per version (render_version_summary). */
static void per_version(Buf *out, const RunView *rv)
{
    if (!rv->per_version) return;
    buf_puts(out, "<h2>Per version</h2>\n<ul class=\"per-version\">\n");
    for (size_t v = 0; v < rv->nversions; v++) {
        const RvVersion *s = &rv->per_version[v];
        Buf line;
        buf_init(&line);
        render_version_summary(s, &line);
        buf_printf(out, "<li%s>", s->failed || s->aborted || s->not_run ? " class=\"bad\"" : "");
        h(out, line.data);
        svg_version_bar(out, s);
        buf_puts(out, "</li>\n");
        buf_free(&line);
    }
    buf_puts(out, "</ul>\n");
}

static void legend(Buf *out)
{
    buf_puts(out, "<details class=\"legend\" open><summary>Lock modes: what each one blocks"
                  "</summary>\n<table class=\"legend\"><thead><tr><th>cell</th><th>lock mode</th>"
                  "<th>blocks</th><th>typically taken by</th></tr></thead><tbody>\n");
    for (int k = LOCK_MODES - 1; k >= 0; k--) {
        const LockMode *m = lock_mode(k);
        buf_printf(out, "<tr><td class=\"c %s\">%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
                   level_class[m->level], m->abbr, m->name, m->blocks, m->takers);
    }
    buf_puts(out,
             "</tbody></table>\n<p>R: rewrote a table &middot; S: sequential scan &middot; "
             "-: no lock on the target &middot; E<i>sqlstate</i>: error &middot; "
             "T<i>sqlstate</i>: timeout &middot; .: not traced &middot; verdicts: = confirmed, "
             "! mismatch, + trace-only, ? unpredicted, x error.</p></details>\n");
}

static void cell(Buf *out, const RvResult *r, const char *target)
{
    const char *cls = "none";
    int k = r->target_rank;
    if (!r->traced || strcmp(r->status, "skipped") == 0) {
        cls = "skip";
        k = -3;
    } else if (strcmp(r->status, "ok") != 0) {
        cls = "err";
        k = -2;
    } else if (r->target_rank >= 0) {
        cls = level_class[lock_mode(r->target_rank)->level];
    }
    Buf t, c;
    buf_init(&t);
    buf_init(&c);
    render_result_title(r, target, &t);
    render_cell(r, &c);
    buf_printf(out, "<td class=\"c %s\" data-k=\"%d\" title=\"", cls,
               k * 4 + render_rewrote(r) * 2 + render_scanned(r));
    h(out, t.data);
    buf_puts(out, "\">");
    h(out, c.data);
    buf_puts(out, "</td>");
    buf_free(&t);
    buf_free(&c);
}

/* The statement's cell: class, target, and the SQL on demand. */
static void statement_cell(Buf *out, const RvStatement *x)
{
    buf_puts(out, "<td><span class=\"cls\">");
    h(out, x->cls ? x->cls : "(unclassified)");
    buf_puts(out, "</span>");
    if (classify_parsed_note(x->parsed)) {
        buf_puts(out, " <small class=\"kw\" title=\"");
        h(out, classify_parsed_note(x->parsed));
        buf_puts(out, "\">(from keywords)</small>");
    }
    if (x->target) {
        buf_puts(out, " on <code>");
        h(out, x->target);
        buf_puts(out, "</code>");
    }
    buf_puts(out, "<details><summary>SQL</summary><pre>");
    render_html(out, x->sql, false);
    buf_puts(out, "</pre></details></td>");
}

static void matrix(Buf *out, const RunView *rv)
{
    controls(out, "statements");
    buf_puts(out, "<table id=\"matrix\" class=\"sortable matrix\"><thead><tr>"
                  "<th data-type=\"text\">migration</th><th data-type=\"num\">#</th>"
                  "<th data-type=\"num\">line</th><th data-type=\"text\">statement</th>");
    for (size_t v = 0; v < rv->nversions; v++)
        buf_printf(out, "<th data-type=\"num\">%s</th>", VERSION_NAME(rv->versions[v]));
    buf_puts(out, "<th data-type=\"text\">how the versions differ</th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < rv->nstmts; i++) {
        const RvStatement *x = &rv->stmts[i];
        buf_printf(out, "<tr data-vs=\"%d\"%s><td class=\"path\">", x->version_specific,
                   x->version_specific ? " class=\"vs\"" : "");
        h(out, x->migration);
        buf_printf(out, "</td><td data-k=\"%d\">%d</td><td>%d</td>", x->index, x->index, x->line);
        statement_cell(out, x);
        for (size_t v = 0; v < rv->nversions; v++)
            cell(out, &x->results[v], x->target);
        buf_puts(out, "<td class=\"ex\">");
        if (x->version_specific) {
            Buf e;
            buf_init(&e);
            if (!render_explain(rv, x, &e)) buf_puts(&e, "the versions differ");
            h(out, e.data);
            buf_free(&e);
        }
        for (size_t v = 0; v < rv->nversions; v++) {
            const RvResult *r = &x->results[v];
            if (!r->traced || !strcmp(r->status, "ok") || !strcmp(r->status, "skipped")) continue;
            Buf e;
            buf_init(&e);
            if (r->aborted_by) {
                buf_printf(&e, "on %s: ", VERSION_NAME(r->major));
                render_aborted(r, &e);
            } else {
                buf_printf(&e, "%s %s on %d: %s", r->status, r->sqlstate ? r->sqlstate : "",
                           r->major, r->message ? r->message : "");
                render_cascade(r, &e);
            }
            buf_printf(out, "<div class=\"%s\">", r->aborted_by ? "aborted" : "bad");
            h(out, e.data);
            buf_puts(out, "</div>");
            buf_free(&e);
            break;
        }
        buf_puts(out, "</td></tr>\n");
    }
    buf_puts(out, "</tbody></table>\n");
}

static void classes(Buf *out, const RunView *rv)
{
    ClassSummary *cs;
    size_t n;
    render_classes(rv, &cs, &n);
    if (!n) {
        render_classes_free(cs, n);
        return;
    }
    buf_puts(out, "<h2>By class: which versions differ and how</h2>\n"
                  "<table id=\"classes\" class=\"sortable\"><thead><tr>"
                  "<th data-type=\"text\">class</th><th data-type=\"num\">statements</th>"
                  "<th data-type=\"num\">version-specific</th>");
    for (size_t v = 0; v < rv->nversions; v++)
        buf_printf(out, "<th data-type=\"num\">%s</th>", VERSION_NAME(rv->versions[v]));
    buf_puts(out, "<th data-type=\"text\">how the versions differ</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < n; i++) {
        const ClassSummary *c = &cs[i];
        buf_printf(out, "<tr%s><td class=\"cls\">", c->nspecific ? " class=\"vs\"" : "");
        h(out, c->cls);
        buf_printf(out, "</td><td>%zu</td><td>%zu</td>", c->nstmts, c->nspecific);
        for (size_t v = 0; v < rv->nversions; v++) {
            const LockMode *m = lock_mode(c->strongest[v]);
            buf_printf(out, "<td class=\"c %s\" data-k=\"%d\" title=\"%s\">%s</td>",
                       m ? level_class[m->level] : "none", c->strongest[v],
                       m ? m->blocks : "no lock on the target", m ? m->abbr : "-");
        }
        buf_puts(out, "<td class=\"ex\">");
        h(out, c->explain ? c->explain : "same on every version");
        buf_puts(out, "</td></tr>\n");
    }
    buf_puts(out, "</tbody></table>\n");
    render_classes_free(cs, n);
}

void report_html(const RenderInput *in, const ReportOpts *o, Buf *out)
{
    const RunView *rv = in->run;
    char title[64];
    snprintf(title, sizeof(title), "lockmatrix run %lld", rv->id);
    page_begin(out, title);
    meta(out, rv);
    per_version(out, rv);
    layouts(out, rv);
    size_t spec = 0;
    for (size_t i = 0; i < rv->nstmts; i++)
        spec += rv->stmts[i].version_specific;
    buf_printf(out, "<p><b>%zu statements%s, %zu version-specific.</b></p>\n", rv->nstmts,
               o->only_version_specific ? " (version-specific only)" : "", spec);
    legend(out);
    svg_pictures(out, rv);
    buf_puts(out, "<h2>Matrix</h2>\n");
    matrix(out, rv);
    classes(out, rv);
    page_end(out);
}

void report_html_diff(const RenderInput *in, const ReportOpts *o, Buf *out)
{
    (void)o;
    const RunDiff *d = in->diff;
    char title[96];
    snprintf(title, sizeof(title), "lockmatrix run %lld against run %lld", d->b->id, d->a->id);
    page_begin(out, title);
    meta(out, d->b);
    buf_puts(out, "<h2>Servers</h2>\n<table class=\"servers\"><thead><tr><th>version</th>"
                  "<th>earlier run</th><th>this run</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < d->nservers; i++) {
        const DiffServer *s = &d->servers[i];
        bool changed = diff_server_changed(s);
        buf_printf(out, "<tr><td>%s</td><td>", VERSION_NAME(s->major));
        h(out, s->a ? s->a : "none");
        buf_printf(out, "</td><td%s>", changed ? " class=\"bad\"" : "");
        h(out, s->b ? s->b : "none");
        buf_puts(out, "</td></tr>\n");
    }
    buf_printf(out,
               "</tbody></table>\n<p>%zu statements matched, %zu new, %zu gone; "
               "migrations: %zu added, %zu removed. ",
               d->matched, d->nnew, d->ngone, d->nmig_added, d->nmig_removed);
    if (d->nregressions)
        buf_printf(out,
                   "<span class=\"bad\">Regression: %zu changes of observed behaviour."
                   "</span></p>\n",
                   d->nregressions);
    else
        buf_puts(out, "<span class=\"good\">No change of observed behaviour.</span></p>\n");
    if (d->nsampled)
        buf_printf(out,
                   "<p>%zu changes seen through sampled lock captures are listed, not "
                   "counted.</p>\n",
                   d->nsampled);
    if (d->nuncompared)
        buf_printf(out,
                   "<p>%zu results not compared: their job was in one run only (another "
                   "shard).</p>\n",
                   d->nuncompared);
    if (d->nmigs) {
        buf_puts(out, "<h2>Migrations added and removed</h2>\n<table class=\"servers\"><thead><tr>"
                      "<th>migration</th><th>statements</th><th></th></tr></thead><tbody>\n");
        for (size_t i = 0; i < d->nmigs; i++) {
            buf_puts(out, "<tr><td class=\"path\">");
            h(out, d->migs[i].path);
            buf_printf(out, "</td><td>%zu</td><td>%s</td></tr>\n", d->migs[i].nstmts,
                       d->migs[i].added ? "added" : "removed");
        }
        buf_puts(out, "</tbody></table>\n");
    }
    buf_puts(out, "<h2>Changes</h2>\n");
    controls(out, "changes");
    buf_puts(out, "<table id=\"matrix\" class=\"sortable\"><thead><tr>"
                  "<th data-type=\"text\">migration</th><th data-type=\"num\">#</th>"
                  "<th data-type=\"num\">line</th><th data-type=\"text\">statement</th>"
                  "<th data-type=\"num\">version</th><th data-type=\"text\">change</th>"
                  "<th data-type=\"text\">before</th><th data-type=\"text\">after</th>"
                  "</tr></thead><tbody>\n");
    for (size_t i = 0; i < d->nchanges; i++) {
        const DiffChange *c = &d->changes[i];
        const RvStatement *x = diff_stmt(c);
        buf_printf(out, "<tr data-vs=\"%d\"%s><td class=\"path\">", x->version_specific,
                   c->regression ? " class=\"vs\"" : "");
        h(out, x->migration);
        buf_printf(out, "</td><td>%d</td><td>%d</td>", x->index, x->line);
        statement_cell(out, x);
        if (c->major)
            buf_printf(out, "<td>%s</td>",
                       diff_version(c->major_a, c->major, (char[DIFF_VERSION_LEN]){0}));
        else
            buf_puts(out, "<td></td>");
        buf_printf(out, "<td%s>%s%s</td><td>", c->regression ? " class=\"bad\"" : "",
                   diff_kind_name(c->kind), c->sampled ? " (sampled, not counted)" : "");
        h(out, c->before ? c->before : "");
        buf_puts(out, "</td><td>");
        h(out, c->after ? c->after : "");
        if (diff_says_what(c)) {
            buf_puts(out, " (");
            h(out, c->what);
            buf_putc(out, ')');
        }
        buf_puts(out, "</td></tr>\n");
    }
    buf_puts(out, "</tbody></table>\n");
    page_end(out);
}
