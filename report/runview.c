/*
 * runview: the analysis every renderer shares over a stored run (store/run.h
 * reads it back).
 */
#include "report/runview.h"

#include <stdlib.h>
#include <string.h>

#include "predict/locktable.h"
#include "model/versions.h"
#include "report/render.h"
#include "model/vocab.h"

/* ---- analysis ------------------------------------------------------------ */

static int job_cmp(const void *a, const void *b)
{
    const RvJob *x = a, *y = b;
    if (x->chain != y->chain) return x->chain < y->chain ? -1 : 1;
    return (x->major > y->major) - (x->major < y->major);
}

/* rv->jobs is sorted by (chain, major): the query orders it so. */
const RvJob *runview_job(const RunView *rv, size_t chain, int major)
{
    RvJob key = {.chain = chain, .major = major};
    return rv->njobs ? bsearch(&key, rv->jobs, rv->njobs, sizeof(RvJob), job_cmp) : NULL;
}

static int strcmp_p(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    return strcmp(x ? x : "", y ? y : "");
}

/* The set of rewritten relations as one comparable string: sorted, distinct. */
static char *rewrite_set(const RvResult *r)
{
    char **v = xmalloc((r->nrewrites + 1) * sizeof(char *));
    if (r->nrewrites) memcpy(v, r->rewrites, r->nrewrites * sizeof(char *));
    qsort(v, r->nrewrites, sizeof(char *), strcmp_p);
    Buf b;
    buf_init(&b);
    buf_puts(&b, "");
    for (size_t i = 0; i < r->nrewrites; i++) {
        if (i && strcmp_p(&v[i], &v[i - 1]) == 0) continue;
        buf_puts(&b, v[i] ? v[i] : "");
        buf_putc(&b, '\x1f');
    }
    free(v);
    return buf_steal(&b);
}

/* Ties every 25P02 to the failure that aborted its transaction: walking each
 * chain in order on each version, the statements after a failure that the
 * server refused with 25P02 (render_failure: a consequence) are its. */
static void cascades(RunView *rv)
{
    for (size_t v = 0; v < rv->nversions; v++) {
        RvStatement *cause = NULL;
        for (size_t i = 0; i < rv->nstmts; i++) {
            RvStatement *x = &rv->stmts[i];
            RvResult *r = &x->results[v];
            if (cause && cause->chain != x->chain) cause = NULL;
            RenderFailure f = render_failure(r, 0);
            if (f == RENDER_FAILED) {
                cause = x;
            } else if (f == RENDER_CONSEQUENCE && cause) {
                r->aborted_by = cause;
                cause->results[v].naborted++;
            } else if (f != RENDER_CONSEQUENCE) {
                cause = NULL; /* its transaction ended */
            }
        }
    }
}

static bool not_run(const RvResult *r)
{
    return !r->traced || strcmp(r->status, "skipped") == 0;
}

/* The per-version summary (RvVersion). */
static void per_version(RunView *rv)
{
    rv->per_version = xcalloc(rv->nversions ? rv->nversions : 1, sizeof(RvVersion));
    for (size_t v = 0; v < rv->nversions; v++) {
        RvVersion *s = &rv->per_version[v];
        s->major = rv->versions[v];
        size_t first = 0;
        for (size_t i = 0; i < rv->nstmts; i++) {
            const RvStatement *x = &rv->stmts[i];
            const RvResult *r = &x->results[v];
            if (not_run(r)) {
                s->not_run++;
            } else {
                s->ran++;
                RenderFailure f = render_failure(r, 0);
                if (f == RENDER_FAILED) {
                    s->failed++;
                    if (!s->first_failure) {
                        s->first_failure = x;
                        first = i;
                    }
                } else if (f == RENDER_CONSEQUENCE) {
                    s->aborted++;
                } else {
                    s->ok++;
                }
            }
            if (s->first_failure && i > first && x->chain == s->first_failure->chain) {
                if (not_run(r))
                    s->after_not_run++;
                else if (render_failure(r, 0) == RENDER_CONSEQUENCE)
                    s->after_aborted++;
            }
        }
    }
}

static void analyse(RunView *rv)
{
    for (size_t i = 0; i < rv->nstmts; i++) {
        RvStatement *x = &rv->stmts[i];
        const RvResult *first = NULL;
        char *first_set = NULL;
        for (size_t v = 0; v < rv->nversions; v++) {
            RvResult *r = &x->results[v];
            if (!r->traced) {
                const RvJob *j = runview_job(rv, x->chain, r->major);
                r->skip_reason = xstrdup(!j                             ? "not run"
                                         : strcmp(j->status, "ok") == 0 ? "not traced"
                                         : j->reason                    ? j->reason
                                                                        : "the job failed");
            }
            /* what the replay measured, when it did; else a lock an earlier
             * statement of the transaction took counts only when the
             * statement took none of its own on the target */
            int held = -1;
            bool replay = r->req == TRACE_REQ_REPLAY;
            const TraceLock *own = replay ? r->requested : r->locks;
            size_t nown = replay ? r->nrequested : r->nlocks;
            for (size_t k = 0; k < nown; k++) {
                const TraceLock *l = &own[k];
                int rank = lock_mode_rank(l->mode);
                /* Table locks only: an extension lock (locktype extend) on the
                 * target is no lock on the table itself. */
                if (!l->role || strcmp(l->role, "table") != 0 || !l->locktype ||
                    strcmp(l->locktype, "relation") != 0)
                    continue;
                if (l->held_before) {
                    if (rank > held) held = rank;
                } else if (rank > r->target_rank) {
                    r->target_rank = rank;
                }
            }
            if (r->target_rank < 0) r->target_rank = held;
            /* only versions where it ran ok are compared: failing on some
             * versions is told by the per-version summary, not here */
            if (strcmp(r->status, "ok") != 0) continue;
            char *set = rewrite_set(r);
            if (!first) {
                first = r;
                first_set = set;
                continue;
            }
            if (r->target_rank != first->target_rank || strcmp(set, first_set) != 0)
                x->version_specific = true;
            free(set);
        }
        free(first_set);
    }
    cascades(rv);
    per_version(rv);
}

int runview_load(Store *s, long long run_id, RunView **out, Err *err)
{
    if (store_run_load(s, run_id, out, err) < 0) return -1;
    analyse(*out);
    return 0;
}

const RvResult *runview_result(const RunView *rv, const RvStatement *st, int major)
{
    int v = store_run_version(rv, major);
    return v < 0 ? NULL : &st->results[v];
}

void runview_free(RunView *rv)
{
    store_run_free(rv);
}
