/*
 * diff: run-to-run comparison (see diff.h).
 */
#include "report/diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus/corpus.h"
#include "model/versions.h"

static const char *const kind_names[] = {"status", "lock_mode", "lock_set", "rewrite",
                                         "scan",   "new",       "gone"};

const char *diff_kind_name(DiffKind k)
{
    return (size_t)k < ARRAY_LEN(kind_names) ? kind_names[k] : "?";
}

const RvStatement *diff_stmt(const DiffChange *c)
{
    return c->b ? c->b : c->a;
}

bool diff_says_what(const DiffChange *c)
{
    return c->what && (c->kind == DIFF_LOCK_SET || c->kind == DIFF_REWRITE || c->kind == DIFF_SCAN);
}

bool diff_server_changed(const DiffServer *s)
{
    if (!s->a || !s->b) return s->a != s->b;
    return strcmp(s->a, s->b) != 0;
}

static int strcmp_p_const(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ---- matching ------------------------------------------------------------------ */

typedef struct Key {
    char *key; /* path \x1f text (comments left out, whitespace runs as one space); owned */
    size_t i;  /* statement index in its view */
} Key;

static int key_cmp(const void *x, const void *y)
{
    const Key *a = x, *b = y;
    int c = strcmp(a->key, b->key);
    return c ? c : (a->i > b->i) - (a->i < b->i);
}

/* "path\x1f" then sql without comments, every run of white space one space,
 * none at either end. */
static char *stmt_key(const RvStatement *x)
{
    char *plain = corpus_sql_uncommented(x->sql ? x->sql : "");
    Buf b;
    buf_init(&b);
    buf_printf(&b, "%s\x1f", x->migration ? x->migration : "");
    bool space = false;
    for (const char *p = plain; *p; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v') {
            space = true;
            continue;
        }
        if (space && b.data[b.len - 1] != '\x1f') buf_putc(&b, ' ');
        space = false;
        buf_putc(&b, *p);
    }
    free(plain);
    return buf_steal(&b);
}

static Key *keys_of(const RunView *rv)
{
    Key *k = xmalloc((rv->nstmts ? rv->nstmts : 1) * sizeof(Key));
    for (size_t i = 0; i < rv->nstmts; i++) {
        k[i].i = i;
        k[i].key = stmt_key(&rv->stmts[i]);
    }
    qsort(k, rv->nstmts, sizeof(Key), key_cmp);
    return k;
}

static void keys_free(Key *k, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(k[i].key);
    free(k);
}

/* The migration paths of a view's statements, sorted, distinct; the strings
 * point into the view. free() the array. */
static const char **paths_of(const RunView *rv, size_t *n)
{
    const char **p = xmalloc((rv->nstmts ? rv->nstmts : 1) * sizeof(char *));
    size_t k = 0;
    for (size_t i = 0; i < rv->nstmts; i++)
        p[k++] = rv->stmts[i].migration ? rv->stmts[i].migration : "";
    qsort(p, k, sizeof(char *), strcmp_p_const);
    size_t m = 0;
    for (size_t i = 0; i < k; i++)
        if (!m || strcmp(p[m - 1], p[i]) != 0) p[m++] = p[i];
    *n = m;
    return p;
}

static bool has_path(const char **paths, size_t n, const char *path)
{
    const char *key = path ? path : "";
    return n && bsearch(&key, paths, n, sizeof(char *), strcmp_p_const) != NULL;
}

/* ---- observations -------------------------------------------------------------- */

static bool skipped(const RvResult *r)
{
    return !r || !r->traced || strcmp(r->status, "skipped") == 0;
}

static char *status_text(const RvResult *r)
{
    if (skipped(r))
        return xasprintf("not traced (%s)", r && r->skip_reason ? r->skip_reason : "skipped");
    if (strcmp(r->status, "ok") == 0) return xstrdup("ok");
    Buf b;
    buf_init(&b);
    buf_printf(&b, "%s", r->status);
    if (r->sqlstate && *r->sqlstate) {
        buf_putc(&b, ' ');
        render_clean(&b, r->sqlstate, true);
    }
    return buf_steal(&b);
}

/* Status compared as the kind of outcome plus SQLSTATE; the skip reason is not
 * an observation. */
static bool status_same(const RvResult *a, const RvResult *b)
{
    if (skipped(a) || skipped(b)) return skipped(a) && skipped(b);
    if (strcmp(a->status, b->status) != 0) return false;
    return strcmp(a->sqlstate ? a->sqlstate : "", b->sqlstate ? b->sqlstate : "") == 0;
}

static int strcmp_p(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, distinct, owned strings. */
typedef struct StrSet {
    char **v;
    size_t n;
} StrSet;

static void set_finish(StrSet *s)
{
    qsort(s->v, s->n, sizeof(char *), strcmp_p);
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (k && strcmp(s->v[k - 1], s->v[i]) == 0) {
            free(s->v[i]);
            continue;
        }
        s->v[k++] = s->v[i];
    }
    s->n = k;
}

static void set_free(StrSet *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
}

/* A lock as a comparable string. Names that change from run to run (TOAST and
 * transient relations carry OIDs, virtual transaction ids) are left out. */
static char *lock_text(const TraceLock *l)
{
    const char *role = l->role ? l->role : "other";
    bool named = l->locktype && strcmp(l->locktype, "relation") == 0 &&
                 strcmp(role, "toast") != 0 && strcmp(role, "transient") != 0;
    Buf b;
    buf_init(&b);
    render_clean(&b, l->mode ? l->mode : "?", true);
    buf_puts(&b, " on ");
    if (named)
        render_clean(&b, l->relation ? l->relation : "?", true);
    else
        render_clean(&b,
                     strcmp(role, "toast") == 0 || strcmp(role, "transient") == 0
                         ? role
                         : (l->locktype ? l->locktype : "?"),
                     true);
    if (named) {
        buf_printf(&b, " (%s%s)", role, l->granted ? "" : ", waiting");
    } else if (!l->granted) {
        buf_puts(&b, " (waiting)");
    }
    return buf_steal(&b);
}

static StrSet lock_set(const RvResult *r)
{
    StrSet s = {xmalloc((r->nlocks + 1) * sizeof(char *)), 0};
    for (size_t i = 0; i < r->nlocks; i++)
        if (!r->locks[i].role || strcmp(r->locks[i].role, "catalog") != 0)
            s.v[s.n++] = lock_text(&r->locks[i]);
    set_finish(&s);
    return s;
}

static char *rel_name(const char *rel)
{
    if (rel && strncmp(rel, "pg_toast", 8) == 0) return xstrdup("pg_toast");
    Buf b;
    buf_init(&b);
    buf_puts(&b, "");
    render_clean(&b, rel ? rel : "?", true);
    return buf_steal(&b);
}

static StrSet rewrite_set(const RvResult *r)
{
    StrSet s = {xmalloc((r->nrewrites + 1) * sizeof(char *)), 0};
    for (size_t i = 0; i < r->nrewrites; i++)
        s.v[s.n++] = rel_name(r->rewrites[i]);
    set_finish(&s);
    return s;
}

static StrSet scan_set(const RvResult *r)
{
    StrSet s = {xmalloc((r->nscans + 1) * sizeof(char *)), 0};
    for (size_t i = 0; i < r->nscans; i++)
        if (r->scans[i].seq_scan > 0) s.v[s.n++] = rel_name(r->scans[i].relation);
    set_finish(&s);
    return s;
}

static bool set_eq(const StrSet *a, const StrSet *b)
{
    if (a->n != b->n) return false;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i], b->v[i]) != 0) return false;
    return true;
}

/* The members of a not in b, "; "-joined, "none" when there are none. */
static char *set_minus(const StrSet *a, const StrSet *b)
{
    Buf out;
    buf_init(&out);
    for (size_t i = 0, k = 0; i < a->n; i++) {
        while (k < b->n && strcmp(b->v[k], a->v[i]) < 0)
            k++;
        if (k < b->n && strcmp(b->v[k], a->v[i]) == 0) continue;
        buf_printf(&out, "%s%s", out.len ? "; " : "", a->v[i]);
    }
    if (!out.len) buf_puts(&out, "none");
    return buf_steal(&out);
}

static char *set_join(const StrSet *s)
{
    if (s->n == 0) return xstrdup("none");
    Buf out;
    buf_init(&out);
    for (size_t i = 0; i < s->n; i++)
        buf_printf(&out, "%s%s", i ? ", " : "", s->v[i]);
    return buf_steal(&out);
}

/* ---- what changed, in words --------------------------------------------------- */

/* The role a result's locks give relation rel ("index"), NULL when none. */
static const char *role_of(const RvResult *r, const char *rel)
{
    for (size_t i = 0; i < r->nlocks; i++)
        if (r->locks[i].relation && r->locks[i].role && strcmp(r->locks[i].relation, rel) == 0)
            return r->locks[i].role;
    for (size_t i = 0; i < r->nrequested; i++)
        if (r->requested[i].relation && r->requested[i].role &&
            strcmp(r->requested[i].relation, rel) == 0)
            return r->requested[i].role;
    return NULL;
}

/* "now VERB x, y; no longer VERB z": the members of b not in a, then of a not
 * in b; with roles from the results ("index t_v_idx") when ra and rb are given. */
static char *set_words(const StrSet *a, const StrSet *b, const char *verb, const RvResult *ra,
                       const RvResult *rb)
{
    Buf out;
    buf_init(&out);
    for (int side = 0; side < 2; side++) {
        const StrSet *x = side ? a : b, *y = side ? b : a;
        const RvResult *rx = side ? ra : rb;
        size_t n = 0;
        for (size_t i = 0, k = 0; i < x->n; i++) {
            while (k < y->n && strcmp(y->v[k], x->v[i]) < 0)
                k++;
            if (k < y->n && strcmp(y->v[k], x->v[i]) == 0) continue;
            if (n++ == 0)
                buf_printf(&out, "%s%s%s ", out.len ? "; " : "", side ? "no longer " : "now ",
                           verb);
            else
                buf_puts(&out, ", ");
            if (strcmp(x->v[i], "pg_toast") == 0) {
                buf_puts(&out, "the TOAST table");
                continue;
            }
            const char *role = rx ? role_of(rx, x->v[i]) : NULL;
            if (role) buf_printf(&out, "%s ", role);
            buf_puts(&out, x->v[i]);
        }
    }
    if (!out.len) buf_puts(&out, "the same");
    return buf_steal(&out);
}

/* ---- the diff -------------------------------------------------------------------- */

typedef struct Builder {
    RunDiff *d;
    size_t cap;
    const ReportOpts *opts;
    int major_a; /* the column of A being compared */
} Builder;

/* Takes before, after and what. */
static void add(Builder *bd, DiffKind kind, const RvStatement *a, const RvStatement *b, int major,
                bool sampled, char *before, char *after, char *what)
{
    if (bd->opts && bd->opts->only_version_specific &&
        !((a && a->version_specific) || (b && b->version_specific))) {
        free(before);
        free(after);
        free(what);
        return;
    }
    DiffChange *c = ARRAY_PUSH(bd->d->changes, bd->d->nchanges, bd->cap);
    *c = (DiffChange){.kind = kind,
                      .a = a,
                      .b = b,
                      .major = major,
                      .major_a = major ? bd->major_a : 0,
                      .before = before,
                      .after = after,
                      .what = what,
                      .sampled = sampled,
                      .regression = kind != DIFF_NEW && kind != DIFF_GONE && !sampled};
    if (c->regression)
        bd->d->nregressions++;
    else if (sampled)
        bd->d->nsampled++;
    else if (kind == DIFF_NEW)
        bd->d->nnew++;
    else
        bd->d->ngone++;
}

static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Fast paths: the same lists in the same order are the same sets. */
static bool locks_identical(const RvResult *a, const RvResult *b)
{
    if (a->nlocks != b->nlocks) return false;
    for (size_t i = 0; i < a->nlocks; i++) {
        const TraceLock *x = &a->locks[i], *y = &b->locks[i];
        if (x->granted != y->granted || !same_str(x->mode, y->mode) ||
            !same_str(x->relation, y->relation) || !same_str(x->role, y->role) ||
            !same_str(x->locktype, y->locktype))
            return false;
    }
    return true;
}

static bool rewrites_identical(const RvResult *a, const RvResult *b)
{
    if (a->nrewrites != b->nrewrites) return false;
    for (size_t i = 0; i < a->nrewrites; i++)
        if (!same_str(a->rewrites[i], b->rewrites[i])) return false;
    return true;
}

static bool scans_identical(const RvResult *a, const RvResult *b)
{
    if (a->nscans != b->nscans) return false;
    for (size_t i = 0; i < a->nscans; i++)
        if ((a->scans[i].seq_scan > 0) != (b->scans[i].seq_scan > 0) ||
            !same_str(a->scans[i].relation, b->scans[i].relation))
            return false;
    return true;
}

/* Locks read by sampling rather than captured exactly at each phase. */
static bool sampled_capture(const RvResult *r)
{
    return r && r->traced && r->capture && strcmp(r->capture, "tx") != 0 &&
           strcmp(r->capture, "phase") != 0;
}

static void compare_result(Builder *bd, const RvStatement *a, const RvStatement *b, int major,
                           const RvResult *ra, const RvResult *rb)
{
    bool sm = sampled_capture(ra) || sampled_capture(rb);
    if (!status_same(ra, rb)) {
        char *x = status_text(ra), *y = status_text(rb);
        add(bd, DIFF_STATUS, a, b, major, sm && !skipped(ra) && !skipped(rb), x, y,
            xasprintf("now %s (was %s)", y, x));
        return;
    }
    if (skipped(ra)) return;
    if (ra->target_rank != rb->target_rank) {
        const char *x = lock_mode_name(ra->target_rank), *y = lock_mode_name(rb->target_rank);
        add(bd, DIFF_LOCK_MODE, a, b, major, sm, xstrdup(x ? x : "none"), xstrdup(y ? y : "none"),
            xasprintf("the strongest lock on the target is now %s (was %s)", y ? y : "none",
                      x ? x : "none"));
    } else if (!locks_identical(ra, rb)) {
        StrSet la = lock_set(ra), lb = lock_set(rb);
        if (!set_eq(&la, &lb))
            add(bd, DIFF_LOCK_SET, a, b, major, sm, set_minus(&la, &lb), set_minus(&lb, &la),
                set_words(&la, &lb, "takes", NULL, NULL));
        set_free(&la);
        set_free(&lb);
    }
    if (!rewrites_identical(ra, rb)) {
        StrSet wa = rewrite_set(ra), wb = rewrite_set(rb);
        if (!set_eq(&wa, &wb))
            add(bd, DIFF_REWRITE, a, b, major, sm, set_join(&wa), set_join(&wb),
                set_words(&wa, &wb, "rewrites", ra, rb));
        set_free(&wa);
        set_free(&wb);
    }
    if (!scans_identical(ra, rb)) {
        StrSet sa = scan_set(ra), sb = scan_set(rb);
        if (!set_eq(&sa, &sb))
            add(bd, DIFF_SCAN, a, b, major, sm, set_join(&sa), set_join(&sb),
                set_words(&sa, &sb, "scans", ra, rb));
        set_free(&sa);
        set_free(&sb);
    }
}

static const char *server_of(const RunView *rv, int major)
{
    for (size_t i = 0; i < rv->nservers; i++)
        if (rv->servers[i].major == major) return rv->servers[i].version;
    return NULL;
}

static void servers(RunDiff *d)
{
    size_t cap = 0;
    int lo = 1 << 30, hi = -1;
    const RunView *both[] = {d->a, d->b};
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < both[k]->nversions; i++) {
            if (both[k]->versions[i] < lo) lo = both[k]->versions[i];
            if (both[k]->versions[i] > hi) hi = both[k]->versions[i];
        }
    for (int m = lo; m <= hi; m++) {
        bool sel_a = false, sel_b = false;
        for (size_t i = 0; i < d->a->nversions; i++)
            sel_a |= d->a->versions[i] == m;
        for (size_t i = 0; i < d->b->nversions; i++)
            sel_b |= d->b->versions[i] == m;
        if (!sel_a && !sel_b) continue;
        *ARRAY_PUSH(d->servers, d->nservers, cap) =
            (DiffServer){.major = m, .a = server_of(d->a, m), .b = server_of(d->b, m)};
        if (sel_a && sel_b) {
            size_t mc = d->nmajors;
            d->majors = xrealloc(d->majors, (mc + 1) * sizeof(int));
            d->majors_a = xrealloc(d->majors_a, (mc + 1) * sizeof(int));
            d->majors_a[d->nmajors] = m;
            d->majors[d->nmajors++] = m;
        }
    }
    /* Different releases of one major (A on 17.9, B on 17.10): compared
     * with each other when each run has exactly one column of that major
     * the other has not. */
    for (int major = VERSIONS_MIN; major <= VERSIONS_MAX; major++) {
        int only[2], nonly[2] = {0, 0};
        for (size_t k = 0; k < 2; k++) {
            const RunView *me = both[k], *other = both[1 - k];
            for (size_t i = 0; i < me->nversions; i++) {
                int id = me->versions[i];
                if (version_major(id) != major) continue;
                bool shared = false;
                for (size_t j = 0; j < other->nversions; j++)
                    shared |= other->versions[j] == id;
                if (!shared) only[k] = id, nonly[k]++;
            }
        }
        if (nonly[0] != 1 || nonly[1] != 1) continue;
        size_t mc = d->nmajors;
        d->majors = xrealloc(d->majors, (mc + 1) * sizeof(int));
        d->majors_a = xrealloc(d->majors_a, (mc + 1) * sizeof(int));
        d->majors_a[d->nmajors] = only[0];
        d->majors[d->nmajors++] = only[1];
    }
}

void diff_compared(const RunDiff *d, Buf *b)
{
    int *same = xcalloc(d->nmajors + 1, sizeof(int));
    size_t n = 0;
    for (size_t i = 0; i < d->nmajors; i++)
        if (d->majors_a[i] == d->majors[i]) same[n++] = d->majors[i];
    size_t n0 = b->len;
    versions_ranges(same, n, b);
    for (size_t i = 0; i < d->nmajors; i++)
        if (d->majors_a[i] != d->majors[i]) {
            char v[DIFF_VERSION_LEN];
            buf_printf(b, "%s%s", b->len > n0 ? "," : "",
                       diff_version(d->majors_a[i], d->majors[i], v));
        }
    if (b->len == n0) buf_puts(b, "no common version");
    free(same);
}

const char *diff_version(int major_a, int major, char out[DIFF_VERSION_LEN])
{
    if (major_a && major_a != major)
        snprintf(out, DIFF_VERSION_LEN, "%s->%s", VERSION_NAME(major_a), VERSION_NAME(major));
    else
        snprintf(out, DIFF_VERSION_LEN, "%s", VERSION_NAME(major));
    return out;
}

/* The migrations of from (paths sorted in fp) that other (op) has not: listed
 * once each, in from's order, with their statement counts. */
static void migs_only(RunDiff *d, size_t *cap, const RunView *from, const char **op, size_t on,
                      bool added)
{
    for (size_t i = 0; i < from->nstmts;) {
        const char *path = from->stmts[i].migration ? from->stmts[i].migration : "";
        size_t j = i;
        while (j < from->nstmts &&
               strcmp(from->stmts[j].migration ? from->stmts[j].migration : "", path) == 0)
            j++;
        if (!has_path(op, on, path)) {
            *ARRAY_PUSH(d->migs, d->nmigs, *cap) =
                (DiffMigration){.path = path, .added = added, .nstmts = j - i};
            if (added)
                d->nmig_added++;
            else
                d->nmig_removed++;
        }
        i = j;
    }
}

RunDiff *diff_runs(const RunView *a, const RunView *b, const ReportOpts *opts)
{
    RunDiff *d = xcalloc(1, sizeof(*d));
    d->a = a;
    d->b = b;
    servers(d);
    Builder bd = {.d = d, .opts = opts};

    size_t npa, npb, mcap = 0;
    const char **pa = paths_of(a, &npa), **pb = paths_of(b, &npb);
    migs_only(d, &mcap, b, pa, npa, true);
    migs_only(d, &mcap, a, pb, npb, false);

    Key *ka = keys_of(a), *kb = keys_of(b);
    long *match_b = xmalloc((b->nstmts ? b->nstmts : 1) * sizeof(long)); /* b -> a, -1 */
    bool *used_a = xcalloc(a->nstmts ? a->nstmts : 1, sizeof(bool));
    for (size_t i = 0; i < b->nstmts; i++)
        match_b[i] = -1;
    /* both sorted by key, then position: equal keys pair up in order */
    for (size_t i = 0, k = 0; i < a->nstmts && k < b->nstmts;) {
        int c = strcmp(ka[i].key, kb[k].key);
        if (c < 0)
            i++;
        else if (c > 0)
            k++;
        else {
            match_b[kb[k].i] = (long)ka[i].i;
            used_a[ka[i].i] = true;
            i++;
            k++;
        }
    }

    for (size_t i = 0; i < b->nstmts; i++) {
        const RvStatement *sb = &b->stmts[i];
        if (match_b[i] < 0) {
            if (has_path(pa, npa, sb->migration)) /* else its migration is listed as added */
                add(&bd, DIFF_NEW, NULL, sb, 0, false, NULL, NULL, NULL);
            continue;
        }
        const RvStatement *sa = &a->stmts[match_b[i]];
        d->matched++;
        for (size_t v = 0; v < d->nmajors; v++) {
            int m = d->majors[v], ma = d->majors_a[v];
            if (!runview_job(a, sa->chain, ma) != !runview_job(b, sb->chain, m)) {
                d->nuncompared++;
                continue;
            }
            bd.major_a = ma;
            compare_result(&bd, sa, sb, m, runview_result(a, sa, ma), runview_result(b, sb, m));
        }
    }
    for (size_t i = 0; i < a->nstmts; i++)
        if (!used_a[i] && has_path(pb, npb, a->stmts[i].migration))
            add(&bd, DIFF_GONE, &a->stmts[i], NULL, 0, false, NULL, NULL, NULL);

    keys_free(ka, a->nstmts);
    keys_free(kb, b->nstmts);
    free(pa);
    free(pb);
    free(match_b);
    free(used_a);
    return d;
}

void diff_free(RunDiff *d)
{
    if (!d) return;
    for (size_t i = 0; i < d->nchanges; i++) {
        free(d->changes[i].before);
        free(d->changes[i].after);
        free(d->changes[i].what);
    }
    free(d->changes);
    free(d->migs);
    free(d->majors);
    free(d->majors_a);
    free(d->servers);
    free(d);
}
