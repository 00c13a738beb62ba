/*
 * gate: the CI gates of analyze and run (see gate.h).
 */
#include "report/gate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "predict/relations.h"
#include "report/render.h"

/* ---- the line of a failing statement ------------------------------------- */

void gate_shorten(const char *sql, size_t max, Buf *b)
{
    size_t n = 0;
    bool space = false;
    char *plain = corpus_sql_uncommented(sql);
    for (const char *p = plain; *p; p++) {
        bool ws = *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r';
        if (ws) {
            space = n > 0;
            continue;
        }
        bool lead = ((unsigned char)*p & 0xC0) != 0x80; /* never cut a UTF-8 sequence */
        if (lead && n + (space ? 1 : 0) >= max) {
            buf_puts(b, "...");
            free(plain);
            return;
        }
        if (space) {
            buf_putc(b, ' ');
            n++;
            space = false;
        }
        buf_putc(b, *p);
        if (lead) n++;
    }
    free(plain);
}

void gate_line(Buf *b, const char *path, int line, const char *sql, const char *versions,
               const char *reason)
{
    buf_printf(b, "%s:%d: \"", path ? path : "?", line);
    gate_shorten(sql, 60, b);
    buf_printf(b, "\" on %s: %s", versions, reason);
}

/* Why a statement fails on its i-th version (into b), or false. */
typedef bool GateReason(const void *ctx, size_t i, Buf *b);

/* One line per run of neighbouring versions (versions[0..n)) failing for the
 * same reason, each with its newline, into msgs; the number of failing
 * versions. */
static size_t gate_statement(Buf *msgs, const char *path, int line, const char *sql,
                             const int *versions, size_t n, GateReason *reason, const void *ctx)
{
    size_t nfail = 0;
    Buf cur, next, range;
    buf_init(&cur);
    buf_init(&next);
    buf_init(&range);
    for (size_t v = 0; v < n;) {
        buf_reset(&cur);
        if (!reason(ctx, v, &cur)) {
            v++;
            continue;
        }
        size_t w = v;
        while (w + 1 < n) {
            buf_reset(&next);
            if (!reason(ctx, w + 1, &next) || strcmp(next.data, cur.data) != 0) break;
            w++;
        }
        buf_reset(&range);
        versions_ranges(&versions[v], w - v + 1, &range);
        gate_line(msgs, path, line, sql, range.data, cur.data);
        buf_putc(msgs, '\n');
        nfail += w - v + 1;
        v = w + 1;
    }
    buf_free(&cur);
    buf_free(&next);
    buf_free(&range);
    return nfail;
}

/* ---- analyze --ci: predictions above --max-risk ---------------------------- */

typedef struct PredictionGate {
    const Prediction *p;
    const bool *have;
    int max_risk;
} PredictionGate;

static bool prediction_reason(const void *ctx, size_t i, Buf *b)
{
    const PredictionGate *g = ctx;
    const Prediction *p = &g->p[i];
    if (!g->have[i] || (int)p->risk <= g->max_risk) return false;
    buf_printf(b, "risk %s above %s: %s takes %s", risk_name(p->risk), risk_name((Risk)g->max_risk),
               p->cls, lock_mode_label(p->mode));
    if (p->rewrite != TRI_NO)
        buf_puts(b, p->rewrite == TRI_YES ? ", rewrites the table" : ", may rewrite the table");
    if (p->scan != TRI_NO) buf_puts(b, p->scan == TRI_YES ? ", scans it" : ", may scan it");
    if (p->note && *p->note) buf_printf(b, " (%s)", p->note);
    return true;
}

size_t gate_predictions(Buf *msgs, const Migration *m, const Statement *st, const VersionSet *vs,
                        const Prediction *p, const bool *have, int max_risk)
{
    PredictionGate g = {.p = p, .have = have, .max_risk = max_risk};
    return gate_statement(msgs, m->path, st->line, st->sql, vs->v, (size_t)vs->n, prediction_reason,
                          &g);
}

/* ---- run --ci: failures, mismatches, risks of a stored run ------------------ */

/* What the lock table makes of a stored result: locktable_observe of the
 * result viewed as a Trace (a view: the strings stay the result's). */
static void trace_view(const RvResult *r, Trace *out)
{
    *out = (Trace){.locks = r->locks,
                   .nlocks = r->nlocks,
                   .rewrites = r->rewrites,
                   .nrewrites = r->nrewrites,
                   .scans = r->scans,
                   .nscans = r->nscans,
                   .said = r->said,
                   .req = (TraceReq)r->req,
                   .requested = r->requested,
                   .nrequested = r->nrequested,
                   .req_rewrites = r->req_rewrites,
                   .nreq_rewrites = r->nreq_rewrites,
                   .req_scanned = r->req_scanned,
                   .nreq_scanned = r->nreq_scanned};
    if (r->capture) snprintf(out->capture, sizeof(out->capture), "%s", r->capture);
}

void gate_observe(const RvResult *r, LtObs *out)
{
    Trace t;
    trace_view(r, &t);
    locktable_observe(&t, out);
}

void gate_agreement(const RunView *rv, GateAgreement *a)
{
    memset(a, 0, sizeof(*a));
    size_t cap = 0;
    for (size_t i = 0; i < rv->nstmts; i++)
        for (size_t v = 0; v < rv->nversions; v++) {
            const RvResult *r = &rv->stmts[i].results[v];
            Verdict vd = r->pred.verdict;
            if (vd == VERDICT_NONE || vd == VERDICT_ERROR) continue;
            RelPred rp;
            relpred_parse(r->pred.relations, &rp);
            if (rp.undecidable) {
                a->undecidable++;
                relpred_free(&rp);
                continue;
            }
            a->cells++;
            Buf why;
            buf_init(&why);
            if (vd == VERDICT_UNPREDICTED) buf_puts(&why, "no row in the lock table");
            LtObs o;
            gate_observe(r, &o);
            if (vd == VERDICT_MISMATCH) locktable_explain(&r->pred, &o, &why);
            Trace t;
            trace_view(r, &t);
            RelAgreement ag;
            Buf rel;
            buf_init(&rel);
            relpred_compare(&rp, &t, &ag, &rel);
            if (vd != VERDICT_UNPREDICTED && rel.len)
                buf_printf(&why, "%s%s", why.len ? "; " : "", rel.data);
            buf_free(&rel);
            /* a statement the server skipped is judged by its target alone */
            bool agrees = vd != VERDICT_UNPREDICTED && vd != VERDICT_MISMATCH &&
                          (ag.disagree == 0 || (o.skipped && !ag.target_differs));
            if (agrees) {
                a->agree++;
                a->modelled += rp.modelled;
                buf_free(&why);
            } else {
                *ARRAY_PUSH(a->off, a->noff, cap) =
                    (GateDisagreement){i, v, why.data ? buf_steal(&why) : xstrdup("")};
            }
            relpred_free(&rp);
        }
}

void gate_relations_why(const RvResult *r, Buf *b)
{
    Trace t;
    trace_view(r, &t);
    relations_explain(&r->pred, &t, b);
}

void gate_agreement_free(GateAgreement *a)
{
    for (size_t i = 0; i < a->noff; i++)
        free(a->off[i].why);
    free(a->off);
    memset(a, 0, sizeof(*a));
}

/* Whether every relation statement i locks as its target or as a referenced
 * table on version v was created by an earlier statement of the same
 * migration: no other session can be using it yet, so its locks are no risk. */
static bool locks_only_new(const RunView *rv, size_t i, size_t v)
{
    const RvStatement *st = &rv->stmts[i];
    const RvResult *r = &st->results[v];
    size_t ntargets = 0;
    for (size_t k = 0; k < r->nlocks; k++) {
        const TraceLock *l = &r->locks[k];
        if (!l->relation || !l->role ||
            (strcmp(l->role, "table") != 0 && strcmp(l->role, "referenced") != 0))
            continue;
        ntargets++;
        bool created = false;
        for (size_t j = i; j-- > 0 && !created;) {
            const RvStatement *e = &rv->stmts[j];
            if (e->chain != st->chain || e->position != st->position) break;
            const RvResult *er = &e->results[v];
            for (size_t q = 0; q < er->nlocks && !created; q++)
                created = er->locks[q].role && strcmp(er->locks[q].role, "new") == 0 &&
                          er->locks[q].relation && strcmp(er->locks[q].relation, l->relation) == 0;
        }
        if (!created) return false;
    }
    return ntargets > 0;
}

typedef struct RunGate {
    const RunView *rv;
    size_t stmt;
    int max_risk, min_version;
} RunGate;

/* Why result v of the statement fails the gate (into b), or false. A result
 * that locks only relations its migration created (locks_only_new) has no risk. */
static bool run_reason(const void *ctx, size_t v, Buf *b)
{
    const RunGate *g = ctx;
    const RvResult *r = &g->rv->stmts[g->stmt].results[v];
    RenderFailure f = render_failure(r, g->min_version);
    if (f == RENDER_FAILED) {
        buf_printf(b, "failed on the server: %s: %s", r->sqlstate ? r->sqlstate : r->status,
                   r->message ? r->message : "no message");
        return true;
    }
    if (f != RENDER_OK) return false; /* not supported there, or the consequence of a failure */
    if (r->pred.verdict == VERDICT_NONE) return false;
    if (r->pred.verdict == VERDICT_MISMATCH && r->pred.predicted) {
        const Prediction *p = &r->pred;
        LtObs o;
        gate_observe(r, &o);
        o.scan = false; /* the gate is about mode and rewrite */
        memcpy(o.others, p->others, sizeof(o.others));
        buf_puts(b, "mismatch with the lock table: ");
        locktable_explain(p, &o, b);
        Buf why;
        buf_init(&why);
        gate_relations_why(r, &why);
        if (why.len) buf_printf(b, "; relations: %s", why.data);
        buf_free(&why);
        return true;
    }
    if (g->max_risk >= 0 && r->pred.predicted && (int)r->pred.risk > g->max_risk &&
        !locks_only_new(g->rv, g->stmt, v)) {
        const char *mode = lock_mode_name(r->pred.mode);
        buf_printf(b, "risk %s above %s: %s%s", risk_name(r->pred.risk),
                   risk_name((Risk)g->max_risk), mode ? mode : "no lock on the target",
                   r->pred.rewrite == TRI_YES       ? ", rewrites the table"
                   : r->pred.rewrite == TRI_DEPENDS ? ", may rewrite the table"
                                                    : "");
        return true;
    }
    return false;
}

size_t gate_run(const RunView *rv, int max_risk, int min_version, const char *who, Buf *msgs)
{
    size_t nfail = 0;
    for (size_t i = 0; i < rv->nstmts; i++) {
        const RvStatement *st = &rv->stmts[i];
        RunGate g = {.rv = rv, .stmt = i, .max_risk = max_risk, .min_version = min_version};
        nfail += gate_statement(msgs, st->migration, st->line, st->sql, rv->versions, rv->nversions,
                                run_reason, &g);
    }
    /* risky locks on relations no other session can see yet: said, not failed */
    size_t nfresh = 0;
    for (size_t i = 0; max_risk >= 0 && i < rv->nstmts; i++)
        for (size_t v = 0; v < rv->nversions; v++) {
            const RvResult *r = &rv->stmts[i].results[v];
            nfresh += r->pred.predicted && (int)r->pred.risk > max_risk &&
                      render_failure(r, min_version) == RENDER_OK && locks_only_new(rv, i, v);
        }
    if (nfresh)
        buf_printf(msgs,
                   "%s: %zu statement versions above --max-risk %s lock only tables created "
                   "earlier in the same migration (no other session uses them yet): not "
                   "counted\n",
                   who, nfresh, risk_name((Risk)max_risk));
    /* what the corpus does not claim to support: said, not failed */
    for (size_t v = 0; v < rv->nversions; v++) {
        size_t n = 0;
        for (size_t i = 0; i < rv->nstmts; i++)
            n += render_failure(&rv->stmts[i].results[v], min_version) == RENDER_UNSUPPORTED;
        if (n)
            buf_printf(msgs,
                       "%s: not supported on %s (below --min-version %d): %zu statements "
                       "failed there, not counted\n",
                       who, VERSION_NAME(rv->versions[v]), min_version, n);
    }
    return nfail;
}

/* ---- run --against: changes since an earlier run ----------------------------- */

void gate_against(const RunDiff *d, long long against, Buf *changes, Buf *notes)
{
    Buf why;
    buf_init(&why);
    for (size_t i = 0; i < d->nchanges; i++) {
        const DiffChange *c = &d->changes[i];
        if (!c->regression) continue;
        const RvStatement *st = diff_stmt(c);
        buf_reset(&why);
        buf_printf(&why, "%s changed: ", diff_kind_name(c->kind));
        render_clean(&why, c->before ? c->before : "", true);
        buf_puts(&why, " -> ");
        render_clean(&why, c->after ? c->after : "", true);
        if (diff_says_what(c)) {
            buf_puts(&why, " (");
            render_clean(&why, c->what, true);
            buf_putc(&why, ')');
        }
        gate_line(changes, st->migration, st->line, st->sql, VERSION_NAME(c->major), why.data);
        buf_putc(changes, '\n');
    }
    buf_free(&why);
    /* changes of the corpus, apart: they do not count */
    for (size_t i = 0; i < d->nmigs; i++) {
        buf_printf(notes, "against: migration %s: ", d->migs[i].added ? "added" : "removed");
        render_clean(notes, d->migs[i].path, true);
        buf_printf(notes, " (%zu statements)\n", d->migs[i].nstmts);
    }
    for (size_t i = 0; i < d->nchanges; i++) {
        const DiffChange *c = &d->changes[i];
        if (c->kind != DIFF_NEW && c->kind != DIFF_GONE) continue;
        const RvStatement *st = diff_stmt(c);
        buf_printf(notes, "against: %s statement: ", c->kind == DIFF_NEW ? "new" : "gone");
        render_clean(notes, st->migration ? st->migration : "?", true);
        buf_printf(notes, ":%d: \"", st->line);
        gate_shorten(st->sql, 60, notes);
        buf_puts(notes, "\"\n");
    }
    buf_printf(notes,
               "against run %lld: %zu statements compared, %zu changes of observed behaviour "
               "(migrations: %zu added, %zu removed; statements: %zu new, %zu gone; %zu seen only "
               "through sampled captures: not counted",
               against, d->matched, d->nregressions, d->nmig_added, d->nmig_removed, d->nnew,
               d->ngone, d->nsampled);
    if (d->nuncompared)
        buf_printf(notes, "; %zu results not compared: their job was in one run only",
                   d->nuncompared);
    buf_puts(notes, ")\n");
}
