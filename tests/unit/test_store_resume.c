/*
 * store: what `run --resume` relies on. store_run_unfinished finds the newest
 * run not complete; store_run_compare accepts the same corpus and names the
 * first difference of another (a statement changed, a migration gone, added,
 * renamed); store_run_jobs_ok lists the jobs recorded ok; store_run_claim
 * refuses a run whose recorded writer is alive and takes over one whose
 * writer is gone; store_run_finish drops the owner.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/internal.h" /* the file itself, to check and alter rows */
#include "t.h"

static char dir[] = "/tmp/lm_test_store_resume_XXXXXX";

/* A corpus of the given files' texts: one chain per file. */
static bool lean_load; /* load corpora as a run's parent does (corpus/corpus.h) */

static void load(Corpus *c, const char *const *texts, const char *const *names, int n)
{
    char *paths[8];
    for (int i = 0; i < n; i++) {
        paths[i] = xasprintf("%s/%s", dir, names[i]);
        FILE *f = fopen(paths[i], "w");
        fputs(texts[i], f);
        fclose(f);
    }
    Err err = {0};
    CorpusOpts o = {.lean = lean_load};
    int rc = corpus_load(c, paths, n, &o, &err);
    CHECK(rc == 0, "corpus_load: %s", err.msg);
    for (int i = 0; i < n; i++)
        free(paths[i]);
}

int main(void)
{
    if (!mkdtemp(dir)) return 1;
    char *db = xasprintf("%s/s.db", dir);
    Err err = {0};
    Store *s = store_open(db, true, &err);
    CHECK(s != NULL, "open: %s", err.msg);

    const char *names[] = {"a.sql", "b.sql"};
    const char *texts[] = {"CREATE TABLE a (id int);\nALTER TABLE a ADD COLUMN b int;\n",
                           "CREATE TABLE b (id int);\n"};
    Corpus c;
    load(&c, texts, names, 2);
    VersionSet vs = {.n = 2, .v = {16, 17}};
    RunInfo ri = {.corpus = "a.sql b.sql",
                  .versions = &vs,
                  .backend = "embedded",
                  .args = "run -V 16,17 a.sql 'b c.sql'",
                  .tool_version = "t",
                  .jobs = 2};
    long long run = 0;
    CHECK(store_run_begin(s, &ri, &c, &run, &err) == 0, "begin: %s", err.msg);

    StoreRun r;
    CHECK(store_run_unfinished(s, &r, &err) == 0 && r.id == run, "unfinished: the running run");
    CHECK_STR(r.status, "running", "status");
    CHECK_STR(r.versions, "16,17", "versions");
    CHECK_STR(r.args, "run -V 16,17 a.sql 'b c.sql'", "args kept as given");
    store_run_record_free(&r);

    /* jobs: chain 0 ok on 16, chain 1 failed on 17 */
    JobResult ok = {.chain = 0, .major = 16, .status = "ok", .attempts = 1};
    JobResult bad = {.chain = 1, .major = 17, .status = "failed", .reason = "x", .attempts = 2};
    CHECK(store_put_job(s, run, &c, &ok, &err) == 0, "put ok: %s", err.msg);
    CHECK(store_put_job(s, run, &c, &bad, &err) == 0, "put failed: %s", err.msg);
    size_t *chains, n;
    int *majors;
    CHECK(store_run_jobs_ok(s, run, &chains, &majors, &n, &err) == 0, "jobs_ok");
    CHECK(n == 1 && chains[0] == 0 && majors[0] == 16, "only the ok job: n=%zu", n);
    free(chains);
    free(majors);

    /* the same corpus, and corpora that changed */
    CHECK(store_run_compare(s, run, &c, &err) == 0, "same corpus: %s", err.msg);
    static const struct {
        const char *a, *b;
        const char *want; /* in the message */
    } changed[] = {
        {"CREATE TABLE a (id int);\nALTER TABLE a ADD COLUMN c int;\n", NULL,
         "a.sql\" line 2: statement 2 is not the one traced then"},
        {"CREATE TABLE a (id int);\n\nALTER TABLE a ADD COLUMN b int;\n", NULL,
         "a.sql\" line 3: statement 2"},
        {"CREATE TABLE a (id int);\n", NULL, "a.sql\" has 1 statements, it had 2"},
        {"CREATE TABLE a (id int);\nALTER TABLE a ADD COLUMN b int;\nSELECT 1;\n", NULL,
         "a.sql\" has 3 statements, it had 2"},
        {NULL, "CREATE TABLE bb (id int);\n", "b.sql\" line 1: statement 1"},
    };
    for (int lean = 0; lean < 2; lean++) {
        lean_load = lean;
        Corpus same;
        load(&same, texts, names, 2);
        CHECK(store_run_compare(s, run, &same, &err) == 0, "same corpus (lean %d): %s", lean,
              err.msg);
        CHECK(!lean || same.chains[0].migs[0].stmts == NULL, "a lean corpus stays lean");
        corpus_free(&same);
        for (size_t i = 0; i < ARRAY_LEN(changed); i++) {
            const char *t2[] = {changed[i].a ? changed[i].a : texts[0],
                                changed[i].b ? changed[i].b : texts[1]};
            Corpus c2;
            load(&c2, t2, names, 2);
            Err e2 = {0};
            CHECK(store_run_compare(s, run, &c2, &e2) == -1 && e2.code == 2,
                  "changed %zu refused (lean %d)", i, lean);
            CHECK(strstr(e2.msg, changed[i].want) != NULL, "changed %zu (lean %d): %s", i, lean,
                  e2.msg);
            corpus_free(&c2);
        }
    }
    lean_load = false;
    {
        Corpus c3;
        load(&c3, texts, names, 1); /* b.sql gone */
        Err e3 = {0};
        CHECK(store_run_compare(s, run, &c3, &e3) == -1, "a migration gone");
        CHECK(strstr(e3.msg, "b.sql\" is gone") != NULL, "gone: %s", e3.msg);
        corpus_free(&c3);
        const char *names4[] = {"a.sql", "c.sql"};
        Corpus c4;
        load(&c4, texts, names4, 2);
        Err e4 = {0};
        CHECK(store_run_compare(s, run, &c4, &e4) == -1, "renamed");
        CHECK(strstr(e4.msg, "c.sql\" where") != NULL, "renamed: %s", e4.msg);
        corpus_free(&c4);
    }

    /* claim: the writer recorded is this process: a second store handle of a
     * child process sees it alive and is refused */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        Err e = {0};
        Store *s2 = store_open(db, false, &e);
        int rc = s2 ? store_run_claim(s2, run, &e) : -2;
        int code =
            (rc == -1 && e.code == 3 && strstr(e.msg, "still being written by process")) ? 0 : 1;
        store_close(s2);
        _exit(code);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a live writer is not taken over");
    /* a writer that is gone: a child begins a run and is killed */
    pid = fork();
    if (pid == 0) {
        Err e = {0};
        Store *s2 = store_open(db, false, &e);
        long long r2;
        if (s2 && store_run_begin(s2, &ri, &c, &r2, &e) == 0) raise(SIGKILL);
        _exit(1);
    }
    waitpid(pid, &st, 0);
    CHECK(WIFSIGNALED(st), "the child began a run and died");
    CHECK(store_run_unfinished(s, &r, &err) == 0 && r.id == run + 1, "the newest unfinished run");
    store_run_record_free(&r);
    CHECK(store_run_claim(s, run + 1, &err) == 0, "a dead writer's run is taken over: %s", err.msg);
    CHECK(store_run_finish(s, run + 1, "complete", &err) == 0, "finish");
    CHECK(store_run_finish(s, run, "complete", &err) == 0, "finish");
    CHECK(store_run_unfinished(s, &r, &err) == 0 && r.id == 0, "nothing unfinished");
    store_run_record_free(&r);
    sqlite3_stmt *q;
    sqlite3_prepare_v2(store_db(s), "SELECT count(*) FROM meta WHERE key LIKE 'owner.%'", -1, &q,
                       NULL);
    sqlite3_step(q);
    CHECK(sqlite3_column_int(q, 0) == 0, "finished runs have no owner row");
    sqlite3_finalize(q);

    store_close(s);
    corpus_free(&c);
    char *cmd = xasprintf("rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    free(cmd);
    free(db);
    return t_done("test_store_resume");
}
