/*
 * test_merge: the stores of the shards of one run merged into one run
 * (store/merge.c), and every input merge refuses, with its message.
 *
 * Each shard store is written the way a run writes it (store_run_begin,
 * store_put_server, store_put_job with traces and predictions,
 * store_run_finish), with the jobs corpus/shard.h gives its shard.
 */
#include <stdlib.h>
#include <unistd.h>

#include "corpus/shard.h"
#include "store/merge.h"
#include "store/run.h"
#include "t.h"

static char dir[] = "/tmp/lm_test_merge_XXXXXX";

/* ---- the corpus: two chains, three statements ----------------------------- */

static Statement a1[] = {
    {.index = 1,
     .line = 1,
     .sql = "CREATE TABLE users (id int)",
     .fingerprint = 1,
     .info = {.cls = "CREATE TABLE", .target = "users"}},
    {.index = 2,
     .line = 2,
     .sql = "ALTER TABLE users ADD COLUMN e text",
     .fingerprint = 2,
     .info = {.cls = "ALTER TABLE ADD COLUMN", .target = "users"}},
};
static Statement b1[] = {
    {.index = 1,
     .line = 1,
     .sql = "CREATE TABLE orders (id int)",
     .fingerprint = 3,
     .info = {.cls = "CREATE TABLE", .target = "orders"}},
};
static Migration migs_a[] = {{.path = "a/001.sql", .stmts = a1, .nstmts = 2}};
static Migration migs_b[] = {{.path = "b/001.sql", .stmts = b1, .nstmts = 1}};
static Chain chains[] = {
    {.name = "a", .migs = migs_a, .nmigs = 1, .nstmts = 2},
    {.name = "b", .migs = migs_b, .nmigs = 1, .nstmts = 1},
};
static Corpus corpus = {.chains = chains, .nchains = 2};

static TraceLock lock_table[] = {
    {"users", "table", "relation", "AccessExclusiveLock", true, false}};

/* ---- writing one shard's store ----------------------------------------------- */

/* How a shard store differs from a good one. */
typedef struct Shape {
    const char *versions;  /* "10,17" */
    const char *shard;     /* "1/2"; NULL: not sharded */
    const char *status;    /* how the run finished; NULL: complete */
    const char *corpus_id; /* NULL: "c0ffee" */
    bool no_corpus_id;
    const char *tool_version; /* NULL: "1.0" */
    const char *backend;      /* NULL: embedded */
    const char *server17;     /* the release of 17; NULL: "17.6" */
    bool drop_job;            /* leave out the shard's first job */
} Shape;

static const char * or (const char *v, const char *dflt)
{
    return v ? v : dflt;
}

/* The traces of one job (chain ch), each with a prediction. */
static int put_job(Store *s, long long run, size_t ch, int major, Err *err)
{
    const Chain *c = &chains[ch];
    Trace t[2];
    Prediction p[2];
    memset(t, 0, sizeof(t));
    for (size_t i = 0; i < c->migs[0].nstmts; i++) {
        t[i] = (Trace){.mig = 0,
                       .stmt = (int)i,
                       .status = TRACE_OK,
                       .duration_ms = 1.5,
                       .locks = lock_table,
                       .nlocks = 1,
                       .req = TRACE_REQ_OWN};
        snprintf(t[i].capture, sizeof(t[i].capture), "tx");
        p[i] = (Prediction){.predicted = true,
                            .mode = 7,
                            .rewrite = TRI_NO,
                            .scan = TRI_NO,
                            .others = {-1, -1},
                            .risk = RISK_HIGH,
                            .verdict = VERDICT_CONFIRMED};
    }
    JobResult jr = {.chain = ch,
                    .major = major,
                    .status = "ok",
                    .attempts = 1,
                    .duration_ms = 10,
                    .traces = t,
                    .ntraces = c->migs[0].nstmts,
                    .predictions = p};
    return store_put_job(s, run, &corpus, &jr, err);
}

static int make_store(const char *path, const Shape *sh)
{
    Err err = {0};
    VersionSet vs;
    if (versions_parse(sh->versions, &vs, &err) != 0) return -1;
    Store *s = store_open(path, true, &err);
    if (!s) return -1;
    RunInfo ri = {.corpus = "a b",
                  .versions = &vs,
                  .backend = or (sh->backend, "embedded"),
                  .args = "lockmatrix run",
                  .tool_version = or (sh->tool_version, "1.0"),
                  .jobs = 1,
                  .shard = sh->shard,
                  .corpus_id = sh->no_corpus_id ? NULL : or (sh->corpus_id, "c0ffee")};
    long long run = 0;
    int rc = store_run_begin(s, &ri, &corpus, &run, &err);
    for (int i = 0; rc == 0 && i < vs.n; i++) {
        char *release = xasprintf("%d.%d", vs.v[i], vs.v[i] == 17 ? 6 : 23);
        rc = store_put_server(s, run, vs.v[i],
                              vs.v[i] == 17 && sh->server17 ? sh->server17 : release, &err);
        free(release);
    }
    Shard part = {.k = 1, .n = 1};
    if (rc == 0 && sh->shard) rc = shard_parse(sh->shard, &part, &err);
    int *of = shard_of_jobs(&corpus, &vs, part.n);
    bool dropped = false;
    for (size_t ch = 0; rc == 0 && ch < corpus.nchains; ch++)
        for (int i = 0; rc == 0 && i < vs.n; i++) {
            if (of[ch * (size_t)vs.n + (size_t)i] != part.k - 1) continue;
            if (sh->drop_job && !dropped) {
                dropped = true;
                continue;
            }
            rc = put_job(s, run, ch, vs.v[i], &err);
        }
    free(of);
    if (rc == 0) rc = store_run_finish(s, run, or (sh->status, "complete"), &err);
    if (rc != 0) printf("# %s: %s\n", path, err.msg);
    store_close(s);
    return rc;
}

static char *path_in(const char *name)
{
    return xasprintf("%s/%s", dir, name);
}

/* ---- merging ------------------------------------------------------------------ */

static void test_merge_ok(void)
{
    char *in[2] = {path_in("ok1.db"), path_in("ok2.db")};
    char *out = path_in("ok-out.db");
    CHECK(make_store(in[0], &(Shape){.versions = "10,17", .shard = "1/2"}) == 0, "shard 1 written");
    CHECK(make_store(in[1], &(Shape){.versions = "10,17", .shard = "2/2"}) == 0, "shard 2 written");
    MergeResult res;
    Err err = {0};
    for (int round = 1; round <= 2; round++) {
        /* the second merge into the same output appends a run */
        CHECK(merge_stores(out, in, 2, "lockmatrix merge", &res, &err) == 0, "merged: %s", err.msg);
        CHECK(res.run_id == round && res.ninputs == 2, "run %lld of %zu inputs", res.run_id,
              res.ninputs);
        CHECK(res.njobs == 4 && res.ntraces == 6, "%zu jobs, %zu traces", res.njobs, res.ntraces);
        CHECK_STR(res.versions, "10,17", "versions");
        CHECK_STR(res.status, "complete", "status");
    }

    Store *s = store_open(out, false, &err);
    RunView *rv = NULL;
    CHECK(s && store_run_load(s, res.run_id, &rv, &err) == 0, "merged run loads: %s", err.msg);
    if (rv) {
        CHECK(rv->nstmts == 3 && rv->nversions == 2 && rv->njobs == 4, "the whole corpus");
        CHECK(rv->nservers == 2 && !strcmp(rv->servers[1].version, "17.6"), "servers of both");
        CHECK_STR(rv->args, "lockmatrix merge", "the merge's command line");
        size_t traced = 0, confirmed = 0;
        for (size_t i = 0; i < rv->nstmts; i++)
            for (size_t v = 0; v < rv->nversions; v++) {
                const RvResult *r = &rv->stmts[i].results[v];
                traced += r->traced && r->nlocks == 1;
                confirmed +=
                    r->pred.predicted && r->pred.mode == 7 && r->pred.verdict == VERDICT_CONFIRMED;
            }
        CHECK(traced == 6, "every statement traced on every version, with its lock (%zu)", traced);
        CHECK(confirmed == 6, "every prediction and verdict copied (%zu)", confirmed);
        store_run_free(rv);
    }
    store_close(s);

    /* a shard that failed makes the merged run failed */
    char *f[2] = {path_in("f1.db"), path_in("f2.db")};
    char *fout = path_in("f-out.db");
    make_store(f[0], &(Shape){.versions = "10,17", .shard = "1/2", .status = "failed"});
    make_store(f[1], &(Shape){.versions = "10,17", .shard = "2/2"});
    CHECK(merge_stores(fout, f, 2, "m", &res, &err) == 0, "failed shard merged: %s", err.msg);
    CHECK_STR(res.status, "failed", "a failed shard: failed");
    for (int i = 0; i < 2; i++) {
        free(in[i]);
        free(f[i]);
    }
    free(out);
    free(fout);
}

/* ---- what merge refuses --------------------------------------------------------- */

typedef struct Refusal {
    const char *name;
    Shape a, b;       /* b.versions NULL: one input only */
    const char *want; /* in the message */
} Refusal;

static const Refusal refusals[] = {
    {"a missing shard", {.versions = "10,17", .shard = "1/2"}, {0}, "missing shards: 2/2"},
    {"one shard twice",
     {.versions = "10,17", .shard = "1/2"},
     {.versions = "10,17", .shard = "1/2"},
     "shards overlap"},
    {"two N for one version set",
     {.versions = "10,17", .shard = "1/2"},
     {.versions = "10,17", .shard = "2/3"},
     "the shards of one run have one N"},
    {"a version in two version sets",
     {.versions = "10", .shard = "1/1"},
     {.versions = "10,17", .shard = "1/1"},
     "both ran version 10"},
    {"different corpora",
     {.versions = "10,17", .shard = "1/2"},
     {.versions = "10,17", .shard = "2/2", .corpus_id = "decaf"},
     "runs of different corpora"},
    {"no corpus identity",
     {.versions = "10,17", .shard = "1/2", .no_corpus_id = true},
     {.versions = "10,17", .shard = "2/2"},
     "has no corpus identity"},
    {"different tool versions",
     {.versions = "10,17", .shard = "1/2"},
     {.versions = "10,17", .shard = "2/2", .tool_version = "2.0"},
     "merge only stores of one tool version"},
    {"different backends",
     {.versions = "10,17", .shard = "1/2"},
     {.versions = "10,17", .shard = "2/2", .backend = "docker"},
     "merge only runs of one backend"},
    {"an unfinished shard",
     {.versions = "10,17", .shard = "1/2", .status = "interrupted"},
     {.versions = "10,17", .shard = "2/2"},
     "not every job of its shard ran"},
    {"a job missing",
     {.versions = "10,17", .shard = "1/2", .drop_job = true},
     {.versions = "10,17", .shard = "2/2"},
     "lacks 1 jobs of its shard"},
    {"two releases of one major",
     {.versions = "10,17", .shard = "1/2"},
     {.versions = "10,17", .shard = "2/2", .server17 = "17.5"},
     "the shards ran different servers of version 17"},
};

static void test_refusals(void)
{
    for (size_t i = 0; i < ARRAY_LEN(refusals); i++) {
        const Refusal *c = &refusals[i];
        char *in[2] = {xasprintf("%s/r%zu-a.db", dir, i), xasprintf("%s/r%zu-b.db", dir, i)};
        char *out = xasprintf("%s/r%zu-out.db", dir, i);
        size_t n = c->b.versions ? 2 : 1;
        CHECK(make_store(in[0], &c->a) == 0 && (n == 1 || make_store(in[1], &c->b) == 0),
              "%s: inputs written", c->name);
        MergeResult res;
        Err err = {0};
        CHECK(merge_stores(out, in, n, "m", &res, &err) < 0, "%s: refused", c->name);
        CHECK(err.code == EXIT_USAGE, "%s: code %d", c->name, err.code);
        CHECK(strstr(err.msg, c->want) != NULL, "%s: \"%s\" in \"%s\"", c->name, c->want, err.msg);
        CHECK(access(out, F_OK) != 0, "%s: no output written", c->name);
        free(in[0]);
        free(in[1]);
        free(out);
    }

    /* the inputs themselves */
    MergeResult res;
    Err err = {0};
    char *empty = path_in("empty.db"), *out = path_in("empty-out.db");
    Store *s = store_open(empty, true, &err);
    store_close(s);
    CHECK(merge_stores(out, &empty, 1, "m", &res, &err) < 0 && strstr(err.msg, "no runs in"),
          "a store without runs: %s", err.msg);
    CHECK(merge_stores(out, NULL, 0, "m", &res, &err) < 0 && err.code == EXIT_USAGE &&
              strstr(err.msg, "no stores to merge"),
          "nothing to merge: %s", err.msg);
    char *self = path_in("self.db");
    make_store(self, &(Shape){.versions = "10"});
    CHECK(merge_stores(self, &self, 1, "m", &res, &err) < 0 &&
              strstr(err.msg, "is both the output and an input"),
          "the output as an input: %s", err.msg);
    free(empty);
    free(out);
    free(self);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_merge_ok();
    test_refusals();
    remove_tree(dir);
    return t_done("test_merge");
}
