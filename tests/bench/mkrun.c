/*
 * mkrun: writes a synthetic run into a store through the store API, for the
 * report benchmark and the browser test (no servers needed).
 *
 *   mkrun DB N [--evil]
 *
 * N statements in migrations of 10, one chain, traced on 10-17. The statements
 * cycle through a table of shapes, each with its own behaviour per version
 * (some differ across versions, some do not), with realistic locks (target,
 * an index, a virtualxid), predictions and verdicts. --evil adds a migration
 * full of hostile strings (<script> in a comment and a quoted identifier,
 * pipes, backticks, ANSI escapes). Prints what it wrote as one JSON object:
 * {"run": 1, "statements": N, "version_specific": K, "classes": {...}}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/runview.h"
#include "store/internal.h" /* the raw rows it writes */
#include "store/store.h"

#define NV 8
static const int majors[NV] = {10, 11, 12, 13, 14, 15, 16, 17};
static const char *const servers[NV] = {"10.23", "11.22", "12.22", "13.23",
                                        "14.23", "15.18", "16.14", "17.10"};

/* One shape: the class, the SQL template (%d: table number), and per version
 * the strongest target lock, rewrite, scan, or an error. first_new: the first
 * major where the "new" behaviour applies (0: none). */
typedef struct Shape {
    const char *cls, *sql;
    const char *mode_old, *mode_new;
    bool rewrite_old, rewrite_new, scan;
    const char *error_old; /* SQLSTATE before first_new, or NULL */
    int first_new;
} Shape;

static const Shape shapes[] = {
    {"ALTER TABLE ADD COLUMN DEFAULT constant", "ALTER TABLE t%d ADD COLUMN c int DEFAULT 0",
     "AccessExclusiveLock", "AccessExclusiveLock", true, false, false, NULL, 11},
    {"CREATE INDEX", "CREATE INDEX t%d_c ON t%d (c)", "ShareLock", "ShareLock", false, false, true,
     NULL, 0},
    {"ALTER TABLE ADD CONSTRAINT FOREIGN KEY",
     "ALTER TABLE t%d ADD CONSTRAINT fk FOREIGN KEY (c) REFERENCES parent (id)",
     "ShareRowExclusiveLock", "ShareRowExclusiveLock", false, false, true, NULL, 0},
    {"ALTER TABLE ALTER COLUMN SET NOT NULL", "ALTER TABLE t%d ALTER COLUMN c SET NOT NULL",
     "AccessExclusiveLock", "AccessExclusiveLock", false, false, true, NULL, 0},
    {"ALTER TABLE ATTACH PARTITION", "ALTER TABLE t%d ATTACH PARTITION t%d_p FOR VALUES IN (1)",
     "AccessExclusiveLock", "ShareUpdateExclusiveLock", false, false, true, NULL, 12},
    {"ALTER TYPE ADD VALUE", "ALTER TYPE mood%d ADD VALUE 'happy'", "AccessExclusiveLock",
     "AccessExclusiveLock", false, false, false, "25001", 12},
    {"CREATE INDEX CONCURRENTLY", "CREATE INDEX CONCURRENTLY t%d_d ON t%d (d)",
     "ShareUpdateExclusiveLock", "ShareUpdateExclusiveLock", false, false, true, NULL, 0},
    {"ALTER TABLE ALTER COLUMN TYPE", "ALTER TABLE t%d ALTER COLUMN c TYPE bigint",
     "AccessExclusiveLock", "AccessExclusiveLock", true, true, false, NULL, 0},
    {"ALTER TABLE DETACH PARTITION", "ALTER TABLE t%d DETACH PARTITION t%d_old",
     "AccessExclusiveLock", "AccessExclusiveLock", false, false, false, NULL, 0},
    {"ALTER TABLE SET STATISTICS", "ALTER TABLE t%d ALTER COLUMN c SET STATISTICS 500",
     "ShareUpdateExclusiveLock", "ShareUpdateExclusiveLock", false, false, false, NULL, 0},
};

#define EVIL_ID "<script>alert(1)</script>"
static char evil_sql[] = "-- " EVIL_ID " | `tick` \x1b[31mRED\x1b[0m\n"
                         "CREATE TABLE \"" EVIL_ID "\" (\"a|b`c\" int)";

static bool is_new(const Shape *s, int major) { return s->first_new && major >= s->first_new; }

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: mkrun DB N [--evil]\n");
        return 2;
    }
    const char *db = argv[1];
    int n = atoi(argv[2]);
    bool evil = argc > 3 && strcmp(argv[3], "--evil") == 0;
    if (n < 1) {
        fprintf(stderr, "mkrun: N must be positive\n");
        return 2;
    }
    int per = 10, nmig = (n + per - 1) / per + (evil ? 1 : 0);
    Statement *st = calloc((size_t)n + 1, sizeof(Statement));
    Migration *migs = calloc((size_t)nmig, sizeof(Migration));
    char **tables = calloc((size_t)n + 1, sizeof(char *));
    for (int i = 0; i < n; i++) {
        const Shape *s = &shapes[i % ARRAY_LEN(shapes)];
        st[i].index = i % per + 1;
        st[i].line = 2 * (i % per) + 1;
        st[i].sql = xasprintf(s->sql, i, i);
        st[i].fingerprint = 0x1000 + (uint64_t)i;
        st[i].info.cls = (char *)s->cls;
        tables[i] = xasprintf("t%d", i);
        st[i].info.target = tables[i];
    }
    for (int m = 0; m * per < n; m++) {
        migs[m].path = xasprintf("db/migrations/%05d_step.sql", m + 1);
        migs[m].stmts = st + m * per;
        migs[m].nstmts = (size_t)(n - m * per < per ? n - m * per : per);
    }
    Statement evil_st = {1, 2, evil_sql, 0xe11, {.cls = "CREATE TABLE", .target = EVIL_ID}};
    if (evil) {
        migs[nmig - 1].path = "db/migrations/99999_evil <b>|`x`.sql";
        migs[nmig - 1].stmts = &evil_st;
        migs[nmig - 1].nstmts = 1;
    }
    Chain ch = {.name = "db/migrations", .migs = migs, .nmigs = (size_t)nmig,
                .nstmts = (size_t)n + evil};
    Corpus c = {.chains = &ch, .nchains = 1};

    Err err = {0};
    Store *s = store_open(db, true, &err);
    if (!s) {
        fprintf(stderr, "mkrun: %s\n", err.msg);
        return 3;
    }
    VersionSet vs = {.n = NV};
    memcpy(vs.v, majors, sizeof(majors));
    RunInfo ri = {.corpus = "db/migrations", .versions = &vs, .backend = "embedded", .jobs = 2,
                  .tool_version = "0.1.0", .args = "mkrun"};
    long long run = 0;
    if (store_run_begin(s, &ri, &c, &run, &err) < 0)
        goto fail;
    Trace *tr = calloc((size_t)n + 1, sizeof(Trace));
    TraceLock *locks = calloc(((size_t)n + 1) * 3, sizeof(TraceLock));
    TraceScan *scans = calloc((size_t)n + 1, sizeof(TraceScan));
    for (int v = 0; v < NV; v++) {
        int major = majors[v];
        if (store_put_server(s, run, major, servers[v], &err) < 0)
            goto fail;
        size_t nt = 0;
        for (int i = 0; i < n; i++) {
            const Shape *sh = &shapes[i % ARRAY_LEN(shapes)];
            bool nw = is_new(sh, major);
            Trace *t = &tr[nt++];
            memset(t, 0, sizeof(*t));
            t->mig = i / per;
            t->stmt = i % per;
            t->status = TRACE_OK;
            snprintf(t->capture, sizeof(t->capture), "tx");
            t->duration_ms = 1.5;
            if (sh->error_old && !nw) {
                t->status = TRACE_ERROR;
                snprintf(t->sqlstate, sizeof(t->sqlstate), "%s", sh->error_old);
                t->message = "ALTER TYPE ... ADD VALUE cannot run inside a transaction block";
                continue;
            }
            TraceLock *l = &locks[(size_t)i * 3];
            l[0] = (TraceLock){tables[i], "table", "relation",
                               (char *)(nw ? sh->mode_new : sh->mode_old), true, false};
            l[1] = (TraceLock){tables[i], "index", "relation", "AccessShareLock", true, false};
            l[2] = (TraceLock){"3/7", "virtualxid", "virtualxid", "ExclusiveLock", true, false};
            t->locks = l;
            t->nlocks = 3;
            if (nw ? sh->rewrite_new : sh->rewrite_old) {
                t->rewrites = &tables[i];
                t->nrewrites = 1;
            }
            if (sh->scan) {
                scans[i] = (TraceScan){tables[i], 1, 1000};
                t->scans = &scans[i];
                t->nscans = 1;
            }
        }
        if (evil) {
            Trace *t = &tr[nt++];
            memset(t, 0, sizeof(*t));
            t->mig = nmig - 1;
            t->status = major < 12 ? TRACE_OK : TRACE_ERROR;
            if (t->status == TRACE_ERROR) {
                snprintf(t->sqlstate, sizeof(t->sqlstate), "42601");
                t->message = "syntax error at or near \"" EVIL_ID "\" \x1b[2J";
            } else {
                static TraceLock el[] = {{EVIL_ID, "table", "relation", "AccessExclusiveLock", true, false}};
                t->locks = el;
                t->nlocks = 1;
            }
        }
        JobResult jr = {.chain = 0, .major = major, .status = "ok", .attempts = 1,
                        .duration_ms = 1000, .traces = tr, .ntraces = nt};
        if (store_put_job(s, run, &c, &jr, &err) < 0)
            goto fail;
    }
    /* predictions, in one transaction: the lock table's view of each shape (the
     * old behaviour), so that the new one is a mismatch */
    sqlite3 *sdb = store_db(s);
    sqlite3_exec(sdb, "BEGIN", NULL, NULL, NULL);
    sqlite3_stmt *ins;
    sqlite3_prepare_v2(sdb,
                       "INSERT INTO predictions (trace_id, mode, rewrite, scan, risk, verdict) "
                       "SELECT t.id, ?2, ?3, ?4, ?5, ?6 FROM traces t JOIN statements s ON "
                       "s.id = t.statement_id JOIN migrations m ON m.id = s.migration_id "
                       "WHERE m.run_id = ?1 AND s.fingerprint = printf('%016x', ?7) AND t.major = ?8",
                       -1, &ins, NULL);
    for (int i = 0; i < n; i++) {
        const Shape *sh = &shapes[i % ARRAY_LEN(shapes)];
        for (int v = 0; v < NV; v++) {
            bool nw = is_new(sh, majors[v]);
            bool same = !nw || (strcmp(sh->mode_old, sh->mode_new) == 0 &&
                                sh->rewrite_old == sh->rewrite_new);
            const char *verdict = sh->error_old && !nw ? "error" : same ? "confirmed" : "mismatch";
            sqlite3_bind_int64(ins, 1, run);
            sqlite3_bind_text(ins, 2, sh->mode_old, -1, SQLITE_STATIC);
            sqlite3_bind_int(ins, 3, sh->rewrite_old);
            sqlite3_bind_int(ins, 4, sh->scan);
            sqlite3_bind_text(ins, 5,
                              lock_mode_rank(sh->mode_old) == 7 ? "high" : "low", -1,
                              SQLITE_STATIC);
            sqlite3_bind_text(ins, 6, verdict, -1, SQLITE_STATIC);
            sqlite3_bind_int64(ins, 7, 0x1000 + i);
            sqlite3_bind_int(ins, 8, majors[v]);
            if (sqlite3_step(ins) != SQLITE_DONE) {
                fprintf(stderr, "mkrun: prediction: %s\n", sqlite3_errmsg(sdb));
                return 3;
            }
            sqlite3_reset(ins);
        }
    }
    sqlite3_finalize(ins);
    sqlite3_exec(sdb, "COMMIT", NULL, NULL, NULL);
    if (store_run_finish(s, run, "complete", &err) < 0)
        goto fail;

    /* what was written, for the tests' expectations */
    size_t counts[ARRAY_LEN(shapes)] = {0}, vspec = 0;
    for (int i = 0; i < n; i++) {
        const Shape *sh = &shapes[i % ARRAY_LEN(shapes)];
        counts[i % ARRAY_LEN(shapes)]++;
        /* a difference between versions where it ran ok; an error before
         * first_new (and the evil statement's on 12+) is a failure, not one */
        if (sh->first_new && !sh->error_old &&
            (strcmp(sh->mode_old, sh->mode_new) != 0 || sh->rewrite_old != sh->rewrite_new))
            vspec++;
    }
    printf("{\"run\": %lld, \"statements\": %d, \"version_specific\": %zu, \"classes\": {", run,
           n + evil, vspec);
    for (size_t k = 0; k < ARRAY_LEN(shapes); k++)
        printf("%s\"%s\": %zu", k ? ", " : "", shapes[k].cls, counts[k]);
    printf("}}\n");
    store_close(s);
    return 0;
fail:
    fprintf(stderr, "mkrun: %s\n", err.msg);
    store_close(s);
    return 3;
}
