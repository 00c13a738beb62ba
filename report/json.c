/*
 * report/json: the JSON report of a run, the contract of DESIGN.md
 * ("JSON report"). Keys in the contract's order; fields added since come after
 * the ones they belong with. Pretty-printed, two spaces.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "model/versions.h"
#include "report/gate.h"
#include "report/report.h"
#include "predict/locktable.h"
#include "predict/relations.h"
#include "report/runview.h"

void report_json_version_key(JsonW *w, int id)
{
    char k[16];
    snprintf(k, sizeof(k), "%s", VERSION_NAME(id));
    json_key(w, k);
}

void report_json_relations(JsonW *w, const char *relations)
{
    if (!relations) return;
    RelPred rp;
    relpred_parse(relations, &rp);
    json_key(w, "locks");
    json_arr_begin(w);
    for (size_t i = 0; i < rp.nlocks; i++) {
        json_obj_begin(w);
        json_kv_str(w, "relation", rp.locks[i].relation);
        json_kv_str(w, "role", relrole_name(rp.locks[i].role));
        json_kv_str(w, "mode", lock_mode_name(rp.locks[i].mode));
        json_obj_end(w);
    }
    json_arr_end(w);
    json_key(w, "rewrites");
    json_arr_begin(w);
    for (size_t i = 0; i < rp.nrewrites; i++)
        json_str(w, rp.rewrites[i]);
    json_arr_end(w);
    if (!rp.modelled) json_kv_bool(w, "relations_modelled", false);
    relpred_free(&rp);
}

void report_json_statement_fields(JsonW *w, const char *migration, int index, int line,
                                  const char *sql, const char *extracted_from, const char *cls,
                                  StmtParsed parsed, const char *target)
{
    json_kv_str(w, "migration", migration);
    json_kv_int(w, "index", index);
    json_kv_int(w, "line", line);
    json_kv_str(w, "sql", sql);
    if (extracted_from) json_kv_str(w, "extracted_from", extracted_from);
    json_kv_str(w, "class", cls);
    json_kv_str(w, "parsed", classify_parsed_name(parsed));
    json_kv_str(w, "target", target);
}

static void run_obj(JsonW *w, const char *key, const RunView *rv)
{
    json_key(w, key);
    json_obj_begin(w);
    json_kv_int(w, "id", rv->id);
    json_key(w, "versions");
    json_arr_begin(w);
    for (size_t i = 0; i < rv->nversions; i++)
        version_json(w, rv->versions[i]);
    json_arr_end(w);
    json_kv_str(w, "started_at", rv->started_at);
    json_kv_str(w, "finished_at", rv->finished_at);
    json_kv_str(w, "status", rv->status);
    json_kv_str(w, "corpus", rv->corpus);
    json_kv_str(w, "backend", rv->backend);
    json_key(w, "servers");
    json_obj_begin(w);
    for (size_t i = 0; i < rv->nservers; i++) {
        report_json_version_key(w, rv->servers[i].major);
        json_str(w, rv->servers[i].version);
    }
    json_obj_end(w);
    json_obj_end(w);
}

static void lock_obj(JsonW *w, const TraceLock *l)
{
    json_obj_begin(w);
    json_kv_str(w, "relation", l->relation);
    json_kv_str(w, "role", l->role);
    json_kv_str(w, "locktype", l->locktype);
    json_kv_str(w, "mode", l->mode);
    json_kv_bool(w, "granted", l->granted);
    if (l->held_before) {
        json_kv_bool(w, "held_before", true);
    }
    json_obj_end(w);
}

static void lock_arr(JsonW *w, const TraceLock *locks, size_t n)
{
    json_arr_begin(w);
    for (size_t i = 0; i < n; i++)
        lock_obj(w, &locks[i]);
    json_arr_end(w);
}

static void result_obj(JsonW *w, const RvResult *r)
{
    bool errorish = strcmp(r->status, "error") == 0 || strcmp(r->status, "timeout") == 0;
    json_obj_begin(w);
    json_kv_str(w, "status", r->status);
    json_key(w, "error");
    if (errorish) {
        json_obj_begin(w);
        json_kv_str(w, "sqlstate", r->sqlstate);
        json_kv_str(w, "message", r->message);
        if (r->naborted) /* the 25P02s its transaction gave after it */
            json_kv_int(w, "aborted_after", (long long)r->naborted);
        if (r->aborted_by) { /* a 25P02: the consequence of that failure */
            json_key(w, "aborted_by");
            json_obj_begin(w);
            json_kv_str(w, "migration", r->aborted_by->migration);
            json_kv_int(w, "index", r->aborted_by->index);
            json_kv_int(w, "line", r->aborted_by->line);
            json_obj_end(w);
        }
        json_obj_end(w);
    } else {
        json_null(w);
    }
    if (r->said) json_kv_str(w, "server_messages", r->said);

    json_key(w, "locks");
    lock_arr(w, r->locks, r->nlocks);

    /* what the statement itself requested: the replay's locks, or the locks
     * it added (held_before left out; "unmeasured": a lower bound) */
    json_key(w, "requested");
    if (r->traced && strcmp(r->status, "ok") == 0) {
        json_obj_begin(w);
        json_kv_str(w, "from", trace_req_name((TraceReq)r->req));
        json_key(w, "locks");
        if (r->req == TRACE_REQ_REPLAY) {
            lock_arr(w, r->requested, r->nrequested);
            /* what it rewrote and scanned alone (a table created earlier in
             * the same transaction is truncated in place there, not here) */
            json_key(w, "rewrites");
            json_arr_begin(w);
            for (size_t i = 0; i < r->nreq_rewrites; i++)
                json_str(w, r->req_rewrites[i]);
            json_arr_end(w);
            json_key(w, "scans");
            json_arr_begin(w);
            for (size_t i = 0; i < r->nreq_scanned; i++)
                json_str(w, r->req_scanned[i]);
            json_arr_end(w);
        } else {
            json_arr_begin(w);
            for (size_t i = 0; i < r->nlocks; i++)
                if (!r->locks[i].held_before) lock_obj(w, &r->locks[i]);
            json_arr_end(w);
        }
        json_obj_end(w);
    } else {
        json_null(w);
    }

    json_key(w, "rewrites");
    json_arr_begin(w);
    for (size_t i = 0; i < r->nrewrites; i++)
        json_str(w, r->rewrites[i]);
    json_arr_end(w);

    /* "scans": the relations read by a sequential scan, the same shape as
     * "rewrites"; the counts in "scan_counts" */
    json_key(w, "scans");
    json_arr_begin(w);
    for (size_t i = 0; i < r->nscans; i++)
        if (r->scans[i].seq_scan > 0) json_str(w, r->scans[i].relation);
    json_arr_end(w);
    json_key(w, "scan_counts");
    json_obj_begin(w);
    for (size_t i = 0; i < r->nscans; i++) {
        json_key(w, r->scans[i].relation ? r->scans[i].relation : "");
        json_obj_begin(w);
        json_kv_int(w, "seq_scan", r->scans[i].seq_scan);
        json_kv_int(w, "tup_read", r->scans[i].tup_read);
        json_obj_end(w);
    }
    json_obj_end(w);

    json_key(w, "changes");
    json_arr_begin(w);
    for (size_t i = 0; i < r->nchanges; i++) {
        const TraceChange *c = &r->changes[i];
        json_obj_begin(w);
        json_kv_str(w, "kind", c->kind);
        json_kv_str(w, "relation", c->relation);
        json_kv_str(w, "detail", c->detail);
        json_obj_end(w);
    }
    json_arr_end(w);

    json_kv_str(w, "capture", r->capture);
    /* the stops of a statement held at each phase, in order */
    if (r->nphases) {
        json_key(w, "phases");
        json_arr_begin(w);
        for (size_t i = 0; i < r->nphases; i++) {
            json_obj_begin(w);
            json_key(w, "locks");
            lock_arr(w, r->phases[i].locks, r->phases[i].nlocks);
            json_key(w, "waiting_for");
            if (r->phases[i].waiting_for)
                lock_obj(w, r->phases[i].waiting_for);
            else
                json_null(w);
            json_obj_end(w);
        }
        json_arr_end(w);
    }
    /* the end of a migration's own transaction: its strongest lock, held since
     * the statement that took it */
    if (r->lock_held_ms > 0) {
        json_kv_num(w, "lock_held_ms", r->lock_held_ms);
        json_key(w, "lock_held");
        json_obj_begin(w);
        json_kv_str(w, "relation", r->lock_held_relation);
        json_kv_str(w, "mode", r->lock_held_mode);
        json_obj_end(w);
    }
    json_key(w, "predicted");
    if (r->pred.predicted) {
        json_obj_begin(w);
        json_kv_str(w, "mode", lock_mode_name(r->pred.mode));
        json_key(w, "rewrite");
        if (r->pred.rewrite == TRI_DEPENDS)
            json_null(w); /* "depends" on the statement's details */
        else
            json_bool(w, r->pred.rewrite == TRI_YES);
        report_json_relations(w, r->pred.relations);
        json_obj_end(w);
    } else {
        json_null(w);
    }
    json_kv_str(w, "verdict", verdict_name(r->pred.verdict));
    json_key(w, "duration_ms");
    if (r->traced)
        json_num(w, r->duration_ms);
    else
        json_null(w);
    json_obj_end(w);
}

static void statement_obj(JsonW *w, const RunView *rv, const RvStatement *x)
{
    json_obj_begin(w);
    report_json_statement_fields(w, x->migration, x->index, x->line, x->sql, x->extracted_from,
                                 x->cls, x->parsed, x->target);
    json_kv_bool(w, "version_specific", x->version_specific);
    if (x->do_block) {
        json_key(w, "do_block"); /* its DDL is hidden in a DO block or a function body */
        json_bool(w, true);
    }
    json_key(w, "results");
    json_obj_begin(w);
    for (size_t v = 0; v < rv->nversions; v++) {
        report_json_version_key(w, rv->versions[v]);
        result_obj(w, &x->results[v]);
    }
    json_obj_end(w);
    json_obj_end(w);
}

/* How many judged cells agree relation by relation (gate_agreement):
 * "agreement": {"cells", "agree", "percent"}; null without verdicts. */
static void agreement(JsonW *w, const RunView *rv)
{
    GateAgreement ag;
    gate_agreement(rv, &ag);
    json_key(w, "agreement");
    if (!ag.cells && !ag.undecidable) {
        json_null(w);
        gate_agreement_free(&ag);
        return;
    }
    json_obj_begin(w);
    json_kv_int(w, "cells", (long long)ag.cells);
    json_kv_int(w, "agree", (long long)ag.agree);
    json_key(w, "percent");
    if (ag.cells)
        json_num(w, 100.0 * (double)ag.agree / (double)ag.cells);
    else
        json_null(w);
    json_kv_int(w, "undecidable", (long long)ag.undecidable);
    json_key(w, "disagreements");
    json_arr_begin(w);
    for (size_t k = 0; k < ag.noff; k++) {
        const RvStatement *x = &rv->stmts[ag.off[k].stmt];
        json_obj_begin(w);
        json_kv_str(w, "migration", x->migration);
        json_kv_int(w, "index", x->index);
        json_kv_int(w, "line", x->line);
        json_key(w, "version");
        version_json(w, x->results[ag.off[k].version].major);
        json_kv_str(w, "class", x->cls);
        json_kv_str(w, "why", ag.off[k].why);
        json_obj_end(w);
    }
    json_arr_end(w);
    json_obj_end(w);
    gate_agreement_free(&ag);
}

/* The per-version summary (RunView.per_version). */
static void per_version(JsonW *w, const RunView *rv)
{
    json_key(w, "per_version");
    json_arr_begin(w);
    for (size_t v = 0; rv->per_version && v < rv->nversions; v++) {
        const RvVersion *s = &rv->per_version[v];
        json_obj_begin(w);
        json_key(w, "version");
        version_json(w, s->major);
        json_kv_int(w, "run", (long long)s->ran);
        json_kv_int(w, "ok", (long long)s->ok);
        json_kv_int(w, "failed", (long long)s->failed);
        json_kv_int(w, "aborted", (long long)s->aborted);
        json_kv_int(w, "not_run", (long long)s->not_run);
        json_key(w, "first_failure");
        const RvStatement *x = s->first_failure;
        if (x) {
            const RvResult *r = &x->results[v];
            json_obj_begin(w);
            json_kv_str(w, "migration", x->migration);
            json_kv_int(w, "index", x->index);
            json_kv_int(w, "line", x->line);
            json_kv_str(w, "sqlstate", r->sqlstate);
            json_kv_str(w, "message", r->message);
            json_kv_int(w, "aborted_after", (long long)s->after_aborted);
            json_kv_int(w, "not_run_after", (long long)s->after_not_run);
            json_obj_end(w);
        } else {
            json_null(w);
        }
        json_obj_end(w);
    }
    json_arr_end(w);
}

/* The layout of each directory given (RunView.layouts): the line and its parts. */
static void layouts(JsonW *w, const RunView *rv)
{
    json_key(w, "layouts");
    json_arr_begin(w);
    for (size_t i = 0; i < rv->nlayouts; i++) {
        const CorpusLayout *l = &rv->layouts[i];
        Buf line;
        buf_init(&line);
        layout_summary_line(&l->sum, &line);
        json_obj_begin(w);
        json_kv_str(w, "path", l->path);
        json_kv_str(w, "layout", l->sum.layout);
        json_kv_bool(w, "forced", l->sum.forced);
        json_kv_int(w, "up", (long long)l->sum.nup);
        json_kv_int(w, "down", (long long)l->sum.ndown);
        json_kv_bool(w, "downs_run", l->sum.downs_run);
        json_kv_int(w, "left_out", (long long)l->sum.nleft);
        json_key(w, "left_out_names");
        json_arr_begin(w);
        for (const char *q = l->sum.left; q && *q;) {
            size_t n = strcspn(q, "\n");
            char *name = xstrndup(q, n);
            json_str(w, name);
            free(name);
            q += n + (q[n] == '\n');
        }
        json_arr_end(w);
        json_kv_str(w, "note", l->sum.note);
        json_kv_int(w, "chains", (long long)l->nchains);
        json_kv_str(w, "line", line.data);
        json_obj_end(w);
        buf_free(&line);
    }
    json_arr_end(w);
}

void report_json_view(const RenderInput *in, const ReportOpts *o, Buf *out)
{
    (void)o;
    const RunView *rv = in->run;
    JsonW w;
    json_init(&w, out, true);
    json_obj_begin(&w);
    run_obj(&w, "run", rv);
    per_version(&w, rv);
    agreement(&w, rv);
    layouts(&w, rv);
    json_key(&w, "statements");
    json_arr_begin(&w);
    for (size_t i = 0; i < rv->nstmts; i++)
        statement_obj(&w, rv, &rv->stmts[i]);
    json_arr_end(&w);
    json_obj_end(&w);
    buf_putc(out, '\n');
}

int report_json(Store *s, long long run_id, Buf *out, Err *err)
{
    RunView *rv;
    if (runview_load(s, run_id, &rv, err) < 0) return -1;
    report_json_view(&(RenderInput){.run = rv}, NULL, out);
    runview_free(rv);
    return 0;
}

/* ---- the diff of two runs (report --against) ------------------------------- */

void report_json_diff(const RenderInput *in, const ReportOpts *o, Buf *out)
{
    (void)o;
    const RunDiff *d = in->diff;
    JsonW w;
    json_init(&w, out, true);
    json_obj_begin(&w);
    run_obj(&w, "run", d->b);
    run_obj(&w, "against", d->a);
    json_key(&w, "servers");
    json_obj_begin(&w);
    for (size_t i = 0; i < d->nservers; i++) {
        const DiffServer *s = &d->servers[i];
        report_json_version_key(&w, s->major);
        json_obj_begin(&w);
        json_key(&w, "against");
        json_str(&w, s->a);
        json_key(&w, "run");
        json_str(&w, s->b);
        json_key(&w, "changed");
        json_bool(&w, diff_server_changed(s));
        json_obj_end(&w);
    }
    json_obj_end(&w);
    json_key(&w, "compared_versions");
    json_arr_begin(&w);
    for (size_t i = 0; i < d->nmajors; i++)
        version_json(&w, d->majors[i]);
    json_arr_end(&w);
    json_key(&w, "matched");
    json_int(&w, (long long)d->matched);
    json_key(&w, "regressions");
    json_int(&w, (long long)d->nregressions);
    json_key(&w, "new");
    json_int(&w, (long long)d->nnew);
    json_key(&w, "gone");
    json_int(&w, (long long)d->ngone);
    json_key(&w, "sampled");
    json_int(&w, (long long)d->nsampled);
    json_key(&w, "uncompared");
    json_int(&w, (long long)d->nuncompared);
    for (int added = 1; added >= 0; added--) {
        json_key(&w, added ? "migrations_added" : "migrations_removed");
        json_arr_begin(&w);
        for (size_t i = 0; i < d->nmigs; i++) {
            if (d->migs[i].added != (added == 1)) continue;
            json_obj_begin(&w);
            json_key(&w, "migration");
            json_str(&w, d->migs[i].path);
            json_key(&w, "statements");
            json_int(&w, (long long)d->migs[i].nstmts);
            json_obj_end(&w);
        }
        json_arr_end(&w);
    }
    json_key(&w, "changes");
    json_arr_begin(&w);
    for (size_t i = 0; i < d->nchanges; i++) {
        const DiffChange *c = &d->changes[i];
        const RvStatement *x = diff_stmt(c);
        json_obj_begin(&w);
        json_key(&w, "kind");
        json_str(&w, diff_kind_name(c->kind));
        json_key(&w, "regression");
        json_bool(&w, c->regression);
        json_key(&w, "sampled");
        json_bool(&w, c->sampled);
        json_key(&w, "migration");
        json_str(&w, x->migration);
        json_key(&w, "index");
        json_int(&w, x->index);
        json_key(&w, "line");
        json_int(&w, x->line);
        json_key(&w, "fingerprint");
        json_str(&w, x->fingerprint);
        json_key(&w, "class");
        json_str(&w, x->cls);
        json_key(&w, "sql");
        json_str(&w, x->sql);
        json_key(&w, "version");
        if (c->major)
            version_json(&w, c->major);
        else
            json_null(&w);
        if (c->major && c->major_a != c->major) {
            json_key(&w, "against_version"); /* another release of the major in A */
            version_json(&w, c->major_a);
        }
        json_key(&w, "before");
        json_str(&w, c->before);
        json_key(&w, "after");
        json_str(&w, c->after);
        json_key(&w, "what");
        json_str(&w, c->what);
        json_obj_end(&w);
    }
    json_arr_end(&w);
    json_obj_end(&w);
    buf_putc(out, '\n');
}
