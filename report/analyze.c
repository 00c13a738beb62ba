/*
 * analyze: the answer of `lockmatrix analyze` (see analyze.h).
 */
#include "report/analyze.h"

#include <stdio.h>
#include <string.h>

#include "predict/relations.h"
#include "report/gate.h"
#include "report/report.h"

/* ---- text -------------------------------------------------------------- */

static bool pred_eq(bool ha, const Prediction *a, bool hb, const Prediction *b)
{
    if (ha != hb) return false;
    if (!ha) return true;
    return a->mode == b->mode && a->rewrite == b->rewrite && a->scan == b->scan &&
           memcmp(a->others, b->others, sizeof(a->others)) == 0 && a->risk == b->risk &&
           a->note == b->note && strcmp(a->unknown, b->unknown) == 0 &&
           strcmp(a->relations ? a->relations : "", b->relations ? b->relations : "") == 0;
}

/* The relations a prediction names besides its target, and its rewrites, on
 * one line each ("also: users_pkey AccessExclusiveLock (index), ..."); at
 * most REL_SHOWN of each, then how many more. */
#define REL_SHOWN 6
static void relations_text(Buf *out, const char *relations)
{
    if (!relations) return;
    RelPred rp;
    relpred_parse(relations, &rp);
    size_t shown = 0, others = 0;
    for (size_t k = 0; k < rp.nlocks; k++) {
        if (rp.locks[k].role == REL_TARGET) continue;
        if (others++ < REL_SHOWN)
            buf_printf(out, "%s%s %s (%s)",
                       shown++ ? ", " : "           also: ", rp.locks[k].relation,
                       lock_mode_name(rp.locks[k].mode), relrole_name(rp.locks[k].role));
    }
    if (others > REL_SHOWN) buf_printf(out, ", and %zu more", others - REL_SHOWN);
    if (others) buf_putc(out, '\n');
    for (size_t k = 0; k < rp.nrewrites && k < REL_SHOWN; k++)
        buf_printf(out, "%s%s", k ? ", " : "           rewrites: ", rp.rewrites[k]);
    if (rp.nrewrites > REL_SHOWN) buf_printf(out, ", and %zu more", rp.nrewrites - REL_SHOWN);
    if (rp.nrewrites) buf_putc(out, '\n');
    relpred_free(&rp);
}

static void others_text(const int *others, Buf *b)
{
    bool any = false;
    for (int i = 0; i < PREDICTION_NROLES; i++) {
        if (others[i] < 0) continue;
        buf_printf(b, "%s%s:%s", any ? "," : "", locktable_role_name(i),
                   lock_mode_label(others[i]));
        any = true;
    }
    if (!any) buf_putc(b, '-');
}

static void text_statement(Buf *out, const Migration *m, const Statement *st, const VersionSet *vs,
                           const Prediction *p, const bool *have)
{
    buf_printf(out, "%s:%d  %s%s%s%s\n    ", m->path, st->line, st->info.cls,
               m->extracted_from ? " (SQL extracted from " : "",
               m->extracted_from ? m->extracted_from : "", m->extracted_from ? ")" : "");
    gate_shorten(st->sql, 100, out);
    buf_putc(out, '\n');
    const char *note = classify_parsed_note(st->info.parsed);
    if (note) buf_printf(out, "    * %s\n", note);
    for (int i = 0; i < vs->n;) {
        int j = i;
        while (j + 1 < vs->n && vs->v[j + 1] == vs->v[j] + 1 &&
               pred_eq(have[i], &p[i], have[j + 1], &p[j + 1]))
            j++;
        Buf range;
        buf_init(&range);
        versions_ranges(&vs->v[i], (size_t)(j - i + 1), &range);
        if (!have[i]) {
            buf_printf(out, "    %-6s %s\n", range.data, "unpredicted: no row in the lock table");
        } else {
            Buf o;
            buf_init(&o);
            if (p[i].rewrite != TRI_NO)
                buf_puts(&o, p[i].rewrite == TRI_YES ? "rewrite " : "rewrite? ");
            if (p[i].scan != TRI_NO) buf_puts(&o, p[i].scan == TRI_YES ? "scan " : "scan? ");
            if (p[i].others[0] >= 0 || p[i].others[1] >= 0) others_text(p[i].others, &o);
            while (o.len && o.data[o.len - 1] == ' ')
                o.data[--o.len] = '\0';
            buf_printf(out, "    %-6s %-24s %-8s %-s%s%s\n", range.data, lock_mode_label(p[i].mode),
                       risk_name(p[i].risk), o.data ? o.data : "",
                       o.len && p[i].note && *p[i].note ? "; " : "", p[i].note ? p[i].note : "");
            if (*p[i].unknown) buf_printf(out, "           unknown: %s\n", p[i].unknown);
            relations_text(out, p[i].relations);
            buf_free(&o);
        }
        buf_free(&range);
        i = j + 1;
    }
}

/* ---- json -------------------------------------------------------------- */

static void json_tri(JsonW *w, Tri t)
{
    if (t == TRI_DEPENDS)
        json_null(w);
    else
        json_bool(w, t == TRI_YES);
}

static void json_statement(JsonW *w, const Migration *m, const Statement *st, const VersionSet *vs,
                           const Prediction *p, const bool *have)
{
    json_obj_begin(w);
    report_json_statement_fields(w, m->path, st->index, st->line, st->sql, m->extracted_from,
                                 st->info.cls, st->info.parsed, st->info.target);
    json_key(w, "results");
    json_obj_begin(w);
    for (int i = 0; i < vs->n; i++) {
        report_json_version_key(w, vs->v[i]);
        json_obj_begin(w);
        json_key(w, "predicted");
        if (!have[i]) {
            json_null(w);
        } else {
            json_obj_begin(w);
            json_kv_str(w, "mode", p[i].mode >= 0 ? lock_mode_label(p[i].mode) : NULL);
            json_key(w, "rewrite");
            json_tri(w, p[i].rewrite);
            json_key(w, "scan");
            json_tri(w, p[i].scan);
            json_key(w, "others");
            json_obj_begin(w);
            for (int r = 0; r < PREDICTION_NROLES; r++) {
                if (p[i].others[r] < 0) continue;
                json_key(w, locktable_role_name(r));
                json_str(w, lock_mode_label(p[i].others[r]));
            }
            json_obj_end(w);
            json_kv_str(w, "risk", risk_name(p[i].risk));
            json_kv_str(w, "note", p[i].note);
            if (*p[i].unknown) json_kv_str(w, "unknown", p[i].unknown);
            report_json_relations(w, p[i].relations);
            json_obj_end(w);
        }
        json_obj_end(w);
    }
    json_obj_end(w);
    json_obj_end(w);
}

/* ---- the answer ------------------------------------------------------------ */

void analyze_begin(AnalyzeOut *a, Buf *out, const VersionSet *vs, bool json)
{
    *a = (AnalyzeOut){.out = out, .vs = vs, .json = json};
    if (!json) return;
    json_init(&a->w, out, true);
    json_obj_begin(&a->w);
    json_key(&a->w, "versions");
    json_arr_begin(&a->w);
    for (int i = 0; i < vs->n; i++)
        version_json(&a->w, vs->v[i]);
    json_arr_end(&a->w);
    json_key(&a->w, "statements");
    json_arr_begin(&a->w);
}

void analyze_statement(AnalyzeOut *a, const Migration *m, const Statement *st, const Prediction *p,
                       const bool *have)
{
    int worst = -1;
    bool any_missing = false;
    for (int v = 0; v < a->vs->n; v++) {
        if (!have[v])
            any_missing = true;
        else if ((int)p[v].risk > worst)
            worst = (int)p[v].risk;
    }
    a->nstmts++;
    if (any_missing) a->nunpredicted++;
    if (worst >= 0) a->risk_count[worst]++;
    if (a->json)
        json_statement(&a->w, m, st, a->vs, p, have);
    else
        text_statement(a->out, m, st, a->vs, p, have);
}

void analyze_end(AnalyzeOut *a)
{
    if (a->json) {
        json_arr_end(&a->w);
        json_obj_end(&a->w);
        buf_putc(a->out, '\n');
        return;
    }
    buf_printf(a->out, "\n%zu statements on %d versions; highest risk per statement:", a->nstmts,
               a->vs->n);
    for (int r = 0; r <= RISK_CRITICAL; r++)
        buf_printf(a->out, " %s %zu,", risk_name((Risk)r), a->risk_count[r]);
    buf_printf(a->out, " unpredicted on some version %zu\n", a->nunpredicted);
}
