/*
 * test_store: the SQLite store against real SQLite files in a temp directory.
 *
 * A small corpus is built by hand (two chains, three migrations, six
 * statements), a run is begun, jobs with hand-made traces are written (locks,
 * rewrites, scans, changes, an error, a failed job, a retry), and the rows are
 * checked with SQL. Then: reopening migrates nothing, foreign files are
 * refused, evidence round-trips through zlib, the runview sees failed jobs as
 * skipped, and the write speed of a 200-statement job is measured.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/render.h"
#include "report/report.h"
#include "report/runview.h"
#include "store/internal.h" /* the file itself, to check and alter rows */
#include "t.h"

static char dir[] = "/tmp/lm_test_store_XXXXXX";

static char *path_in(const char *name)
{
    return xasprintf("%s/%s", dir, name);
}

/* ---- the corpus ----------------------------------------------------------- */

static char *subs_multi[] = {"ALTER TABLE ADD COLUMN", "ALTER TABLE ADD CONSTRAINT FOREIGN KEY"};
static char *refs_multi[] = {"customers", "orders"};

static Statement a1[] = {
    {.index = 1,
     .line = 1,
     .sql = "CREATE TABLE users (id int PRIMARY KEY)",
     .fingerprint = 0x0123456789abcdefULL,
     .info = {.cls = "CREATE TABLE", .target = "users"}},
    {.index = 2,
     .line = 3,
     .sql = "ALTER TABLE users ADD COLUMN email text DEFAULT 'x'",
     .fingerprint = 0xfedcba9876543210ULL,
     .info = {.cls = "ALTER TABLE ADD COLUMN DEFAULT constant", .target = "users"}},
};
static Statement a2[] = {
    {.index = 1,
     .line = 1,
     .sql = "CREATE INDEX CONCURRENTLY users_email ON users (email)",
     .fingerprint = 42,
     .info = {.cls = "CREATE INDEX CONCURRENTLY", .target = "users", .no_tx = true}},
};
static Statement b1[] = {
    {.index = 1,
     .line = 1,
     .sql = "CREATE TABLE orders (id int)",
     .fingerprint = 7,
     .info = {.cls = "CREATE TABLE", .target = "orders", .in_do_block = true}},
    {.index = 2,
     .line = 2,
     .sql = "SELECT * FROM nope",
     .fingerprint = 0,
     .info = {.cls = "unparsed"}},
    {.index = 3,
     .line = 4,
     .sql = "ALTER TABLE orders ADD COLUMN c int, ADD FOREIGN KEY (c) REFERENCES customers",
     .fingerprint = 9,
     .info = {.cls = "ALTER TABLE",
              .target = "orders",
              .target_schema = "public",
              .subclasses = subs_multi,
              .nsubclasses = 2,
              .referenced = refs_multi,
              .nreferenced = 2}},
};
static Migration migs_a[] = {
    {.path = "db/001_users.sql", .stmts = a1, .nstmts = 2},
    {.path = "db/002_index.sql", .stmts = a2, .nstmts = 1},
};
static Migration migs_b[] = {{.path = "one.sql", .stmts = b1, .nstmts = 3}};
static Chain chains[] = {
    {.name = "db", .migs = migs_a, .nmigs = 2, .nstmts = 3},
    {.name = "one.sql", .migs = migs_b, .nmigs = 1, .nstmts = 3},
};
static CorpusLayout layouts[] = {
    {.path = "db",
     .first_chain = 0,
     .nchains = 1,
     .sum = {.layout = "golang-migrate", .nup = 2, .ndown = 2, .nleft = 1, .left = "PREAMBLE.sql"}},
};
static Corpus corpus = {.chains = chains, .nchains = 2, .layouts = layouts, .nlayouts = 1};

/* ---- the traces ----------------------------------------------------------- */

static TraceLock l_create[] = {
    {"users", "new", "relation", "AccessExclusiveLock", true, false},
    {"users_pkey", "new", "relation", "AccessExclusiveLock", true, false},
    {"3/7", "virtualxid", "virtualxid", "ExclusiveLock", true, false},
};
static TraceLock l_alter[] = {
    {"users", "table", "relation", "AccessExclusiveLock", true, false},
    {"users", "table", "relation", "AccessShareLock", true, true},
};
static TraceLock l_index[] = {
    {"users", "table", "relation", "ShareUpdateExclusiveLock", true, false}};
static TraceLock l_waiting[] = {
    {"orders", "table", "relation", "AccessExclusiveLock", false, false}};
/* the CIC held at two phases: the table, then an older transaction */
static TraceLock ph_held[] = {
    {"users", "table", "relation", "ShareUpdateExclusiveLock", true, false}};
static TracePhase ph_index[] = {
    {.waiting_for = {"users", "table", "relation", "ShareUpdateExclusiveLock", false, false}},
    {.locks = ph_held,
     .nlocks = 1,
     .waiting_for = {"virtualxid (older transaction)", "virtualxid", "virtualxid", "ShareLock",
                     false, false}},
};
static char *rw_users[] = {"users"};
static TraceScan sc_users[] = {{"users", 1, 1000}};
static TraceChange ch_create[] = {{"relation_created", "users", "r"},
                                  {"index_created", "users_pkey", NULL}};
static TraceChange ch_alter[] = {{"column_added", "users", "email text"}};

/* chain 0 on 10: the ALTER rewrites users */
static Trace j_a10[] = {
    {.mig = 0,
     .stmt = 0,
     .status = TRACE_OK,
     .capture = "tx",
     .duration_ms = 1.5,
     .locks = l_create,
     .nlocks = 3,
     .changes = ch_create,
     .nchanges = 2},
    {.mig = 0,
     .stmt = 1,
     .status = TRACE_OK,
     .capture = "tx",
     .duration_ms = 12.25,
     .locks = l_alter,
     .nlocks = 2,
     .rewrites = rw_users,
     .nrewrites = 1,
     .scans = sc_users,
     .nscans = 1,
     .changes = ch_alter,
     .nchanges = 1,
     .lock_held_ms = 12.5,
     .lock_held_relation = "users",
     .lock_held_mode = "AccessExclusiveLock"},
    {.mig = 1,
     .stmt = 0,
     .status = TRACE_OK,
     .capture = "phase",
     .duration_ms = 30,
     .locks = l_index,
     .nlocks = 1,
     .phases = ph_index,
     .nphases = 2},
};
/* chain 0 on 11: no rewrite any more */
static Trace j_a11[] = {
    {.mig = 0, .stmt = 0, .status = TRACE_OK, .capture = "tx", .locks = l_create, .nlocks = 3},
    {.mig = 0,
     .stmt = 1,
     .status = TRACE_OK,
     .capture = "tx",
     .locks = l_alter,
     .nlocks = 1,
     .changes = ch_alter,
     .nchanges = 1},
    {.mig = 1, .stmt = 0, .status = TRACE_OK, .capture = "observer", .locks = l_index, .nlocks = 1},
};
/* chain 1 on 10: the worker died after the first statement */
static Trace j_b10[] = {{.mig = 0, .stmt = 0, .status = TRACE_OK, .capture = "tx"}};
/* chain 1 on 11: a first attempt that failed, then the full job */
static Trace j_b11_first[] = {
    {.mig = 0, .stmt = 0, .status = TRACE_TIMEOUT, .sqlstate = "57014", .message = "canceled"},
};
static Trace j_b11[] = {
    {.mig = 0, .stmt = 0, .status = TRACE_OK, .capture = "tx"},
    {.mig = 0,
     .stmt = 1,
     .status = TRACE_ERROR,
     .sqlstate = "42P01",
     .message = "relation \"nope\" does not exist",
     .capture = "tx"},
    {.mig = 0, .stmt = 2, .status = TRACE_OK, .capture = "tx", .locks = l_waiting, .nlocks = 1},
};
static Trace bad_trace[] = {{.mig = 5, .stmt = 0, .status = TRACE_OK}};

/* ---- helpers -------------------------------------------------------------- */

static long long sql_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    long long v = -12345;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        printf("# %s: %s\n", sql, sqlite3_errmsg(db));
        return v;
    }
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The first column of the first row as text (static buffer), "(none)" when no row. */
static const char *sql_text(sqlite3 *db, const char *sql)
{
    static char out[512];
    sqlite3_stmt *st;
    snprintf(out, sizeof(out), "(none)");
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(out, sizeof(out), "(error: %s)", sqlite3_errmsg(db));
        return out;
    }
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(out, sizeof(out), "%s", t ? (const char *)t : "(null)");
    }
    sqlite3_finalize(st);
    return out;
}

static void raw_exec(const char *path, const char *sql)
{
    sqlite3 *db;
    if (sqlite3_open(path, &db) == SQLITE_OK) sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static const VersionSet versions = {.v = {10, 11, 12}, .n = 3};

static int put(Store *s, long long run, size_t chain, int major, const char *status,
               const char *reason, int attempts, const Trace *t, size_t n, Err *err)
{
    JobResult jr = {.chain = chain,
                    .major = major,
                    .status = status,
                    .reason = reason,
                    .attempts = attempts,
                    .duration_ms = 100,
                    .traces = t,
                    .ntraces = n};
    return store_put_job(s, run, &corpus, &jr, err);
}

/* ---- the run written and read back by SQL ---------------------------------- */

static long long test_write(const char *path)
{
    Err err = {0};
    Store *s = store_open(path, true, &err);
    CHECK(s != NULL, "open new store: %s", err.msg);
    if (!s) return 0;
    CHECK(store_migrated(s) == store_schema_version(), "a new store gets every step: %d",
          store_migrated(s));
    CHECK(store_latest_run(s, &err) == 0, "no run yet");

    RunInfo ri = {.corpus = "db one.sql",
                  .versions = &versions,
                  .backend = "embedded",
                  .args = "lockmatrix run db one.sql",
                  .tool_version = "0.1.0",
                  .jobs = 2};
    long long run = 0;
    CHECK(store_run_begin(s, &ri, &corpus, &run, &err) == 0, "run_begin: %s", err.msg);
    CHECK(run == 1, "first run id %lld", run);
    CHECK(store_put_server(s, run, 10, "10.23", &err) == 0, "server 10: %s", err.msg);
    CHECK(store_put_server(s, run, 11, "11.22", &err) == 0, "server 11: %s", err.msg);

    static const struct {
        size_t chain;
        int major;
        const char *status, *reason;
        int attempts;
        const Trace *traces;
        size_t n;
    } jobs[] = {
        {0, 10, "ok", NULL, 1, j_a10, ARRAY_LEN(j_a10)},
        {0, 11, "ok", NULL, 1, j_a11, ARRAY_LEN(j_a11)},
        {1, 10, "failed", "worker died", 2, j_b10, ARRAY_LEN(j_b10)},
        {1, 11, "failed", "timeout", 1, j_b11_first, ARRAY_LEN(j_b11_first)},
        {1, 11, "ok", NULL, 2, j_b11, ARRAY_LEN(j_b11)}, /* the retry replaces it */
        {0, 12, "ok", NULL, 1, j_a11, ARRAY_LEN(j_a11)},
        {0, 12, "failed", "server gone", 2, NULL, 0}, /* ... and by fewer traces */
    };
    for (size_t i = 0; i < ARRAY_LEN(jobs); i++) {
        err_clear(&err);
        CHECK(put(s, run, jobs[i].chain, jobs[i].major, jobs[i].status, jobs[i].reason,
                  jobs[i].attempts, jobs[i].traces, jobs[i].n, &err) == 0,
              "job %zu: %s", i, err.msg);
    }
    /* a trace outside its chain is refused, and nothing of that job is written */
    err_clear(&err);
    CHECK(put(s, run, 1, 12, "ok", NULL, 1, bad_trace, 1, &err) < 0 && err.code == 2,
          "trace outside the chain refused: %d %s", err.code, err.msg);
    CHECK(strstr(err.msg, "migration 6") != NULL, "message names it: %s", err.msg);
    CHECK(put(s, run, 7, 12, "ok", NULL, 1, NULL, 0, &err) < 0 && err.code == 2,
          "chain outside the corpus refused: %s", err.msg);

    err_clear(&err);
    CHECK(store_run_finish(s, run, "complete", &err) == 0, "finish: %s", err.msg);
    CHECK(store_run_finish(s, 99, "complete", &err) < 0 && err.code == 2, "finish of no run: %s",
          err.msg);
    CHECK(store_latest_run(s, &err) == run, "latest run");

    sqlite3 *db = store_db(s);
    static const struct {
        const char *sql;
        long long want;
    } ints[] = {
        {"SELECT count(*) FROM runs WHERE status = 'complete' AND finished_at IS NOT NULL", 1},
        {"SELECT count(*) FROM runs WHERE versions = '10,11,12' AND jobs = 2", 1},
        {"SELECT count(*) FROM servers", 2},
        {"SELECT count(*) FROM migrations", 3},
        {"SELECT count(*) FROM migrations WHERE chain = 0 AND position = 2 AND chain_name = 'db'",
         1},
        {"SELECT count(*) FROM statements", 6},
        {"SELECT count(*) FROM statements WHERE fingerprint IS NULL", 1},
        {"SELECT line FROM statements WHERE idx = 3", 4},
        {"SELECT no_tx FROM statements WHERE class = 'CREATE INDEX CONCURRENTLY'", 1},
        {"SELECT count(*) FROM jobs", 5},
        {"SELECT attempts FROM jobs WHERE chain = 1 AND major = 11", 2},
        {"SELECT count(*) FROM jobs WHERE chain = 0 AND major = 12 AND status = 'failed'", 1},
        {"SELECT count(*) FROM traces", 3 + 3 + 1 + 3},
        {"SELECT count(*) FROM traces WHERE status = 'timeout'", 0},
        {"SELECT count(*) FROM traces WHERE major = 12", 0},
        {"SELECT count(*) FROM traces t JOIN jobs j ON j.id = t.job_id "
         "WHERE j.chain = 1 AND j.major = 11",
         3},
        {"SELECT count(*) FROM traces WHERE status = 'error' AND sqlstate = '42P01'", 1},
        {"SELECT count(*) FROM locks", 3 + 2 + 1 + 3 + 1 + 1 + 1},
        {"SELECT count(*) FROM locks WHERE held_before", 1},
        {"SELECT count(*) FROM locks WHERE NOT granted", 1},
        {"SELECT count(*) FROM rewrites", 1},
        {"SELECT tup_read FROM scans", 1000},
        {"SELECT count(*) FROM changes", 2 + 1 + 1},
        {"SELECT count(*) FROM changes WHERE detail IS NULL", 1},
        {"SELECT count(*) FROM predictions", 0},
        {"SELECT count(*) FROM pragma_foreign_key_check", 0},
        {"PRAGMA foreign_keys", 1},
        {"PRAGMA application_id", 0x4c4d5458},
        {"SELECT count(*) FROM meta WHERE key = 'application' AND value = 'lockmatrix'", 1},
    };
    for (size_t i = 0; i < ARRAY_LEN(ints); i++) {
        long long got = sql_int(db, ints[i].sql);
        CHECK(got == ints[i].want, "%s: got %lld, want %lld", ints[i].sql, got, ints[i].want);
    }
    CHECK(sql_int(db, "PRAGMA user_version") == store_schema_version(), "user_version");

    static const struct {
        const char *sql, *want;
    } texts[] = {
        {"PRAGMA journal_mode", "wal"},
        {"PRAGMA synchronous", "1"}, /* NORMAL */
        {"SELECT fingerprint FROM statements WHERE idx = 2 AND class LIKE 'ALTER%DEFAULT%'",
         "fedcba9876543210"},
        {"SELECT fingerprint FROM statements WHERE class = 'CREATE INDEX CONCURRENTLY'",
         "000000000000002a"},
        {"SELECT referenced FROM statements WHERE target_schema = 'public'", "customers,orders"},
        {"SELECT subclasses FROM statements WHERE target_schema = 'public'",
         "ALTER TABLE ADD COLUMN; ALTER TABLE ADD CONSTRAINT FOREIGN KEY"},
        {"SELECT message FROM traces WHERE status = 'error'", "relation \"nope\" does not exist"},
        {"SELECT capture FROM traces WHERE duration_ms = 30", "phase"},
        {"SELECT group_concat(phase || ':' || waiting || ':' || relation || ':' || mode, ' ') FROM "
         "(SELECT * FROM phase_locks ORDER BY id)",
         "1:1:users:ShareUpdateExclusiveLock 2:0:users:ShareUpdateExclusiveLock "
         "2:1:virtualxid (older transaction):ShareLock"},
        {"SELECT lock_held_ms || ' ' || lock_held_relation || ' ' || lock_held_mode FROM traces "
         "WHERE lock_held_ms IS NOT NULL",
         "12.5 users AccessExclusiveLock"},
        {"SELECT count(*) FROM traces WHERE lock_held_ms IS NULL AND lock_held_mode IS NULL", "9"},
        {"SELECT version FROM servers WHERE major = 11", "11.22"},
        {"SELECT reason FROM jobs WHERE chain = 1 AND major = 10", "worker died"},
        {"SELECT role || ' ' || locktype FROM locks WHERE mode = 'ExclusiveLock'",
         "virtualxid virtualxid"},
        {"SELECT group_concat(relation) FROM rewrites", "users"},
        {"SELECT path FROM migrations WHERE chain = 1", "one.sql"},
        {"SELECT corpus || '|' || backend || '|' || args FROM runs",
         "db one.sql|embedded|lockmatrix run db one.sql"},
    };
    for (size_t i = 0; i < ARRAY_LEN(texts); i++)
        CHECK_STR(sql_text(db, texts[i].sql), texts[i].want, "%s", texts[i].sql);

    /* evidence: compressed in the file, the same bytes back */
    long long tid = 0;
    CHECK(store_trace_id(s, run, 0, 0, 1, 10, &tid, &err) == 0 && tid > 0, "trace id: %s", err.msg);
    long long none = 1;
    CHECK(store_trace_id(s, run, 1, 0, 2, 10, &none, &err) == 0 && none == 0,
          "no trace for a statement the failed job never reached");
    Buf big;
    buf_init(&big);
    for (int i = 0; i < 2000; i++)
        buf_printf(&big, "relation users mode AccessExclusiveLock granted t pid %d\n",
                   4000 + i % 7);
    CHECK(store_put_evidence(s, tid, "pg_locks", big.data, big.len, &err) == 0, "evidence: %s",
          err.msg);
    CHECK(store_put_evidence(s, tid, "empty", "", 0, &err) == 0, "empty evidence: %s", err.msg);
    long long zsize = sql_int(db, "SELECT length(data) FROM evidence WHERE kind = 'pg_locks'");
    CHECK(zsize > 0 && zsize < (long long)big.len / 10, "compressed %lld of %zu bytes", zsize,
          big.len);
    char *back = NULL;
    size_t nback = 0;
    CHECK(store_get_evidence(s, tid, "pg_locks", &back, &nback, &err) == 0 && back &&
              nback == big.len && memcmp(back, big.data, big.len) == 0,
          "evidence round trip: %zu bytes", nback);
    free(back);
    CHECK(store_get_evidence(s, tid, "empty", &back, &nback, &err) == 0 && back && nback == 0,
          "empty evidence round trip");
    free(back);
    CHECK(store_get_evidence(s, tid, "server_log", &back, &nback, &err) == 0 && back == NULL,
          "no evidence of a kind never put");
    buf_free(&big);
    store_close(s);
    return run;
}

/* ---- reopen, refusals ------------------------------------------------------ */

/* A store written by a build that knew every step but the last five (phases,
 * requests, layouts, args as a list, predicted relations): opened, it gets
 * them. */
static void test_migrate_forward(void)
{
    char *p = path_in("schema1.db");
    Err err = {0};
    Store *s = store_open(p, true, &err);
    CHECK(s != NULL, "new store: %s", err.msg);
    store_close(s);
    /* undo the last three steps by hand */
    char *undo =
        xasprintf("ALTER TABLE predictions DROP COLUMN relations; DROP TABLE layouts; "
                  "DROP TABLE requests; ALTER TABLE traces DROP COLUMN requested; "
                  "DROP TABLE phase_locks; ALTER TABLE traces DROP COLUMN lock_held_ms; "
                  "ALTER TABLE traces DROP COLUMN lock_held_relation; "
                  "ALTER TABLE traces DROP COLUMN lock_held_mode; PRAGMA user_version = %d",
                  store_schema_version() - 5);
    raw_exec(p, undo);
    free(undo);
    s = store_open(p, false, &err);
    CHECK(s != NULL && store_migrated(s) == 5, "the store before phases migrated forward: %d steps",
          s ? store_migrated(s) : -1);
    CHECK(s && sql_int(store_db(s), "SELECT count(*) FROM phase_locks") == 0, "phase_locks exists");
    CHECK(s && sql_int(store_db(s), "SELECT count(lock_held_ms) FROM traces") == 0,
          "lock_held_ms exists");
    CHECK(s && sql_int(store_db(s), "SELECT count(*) FROM requests") == 0, "requests exists");
    CHECK(s && sql_int(store_db(s), "SELECT count(requested) FROM traces") == 0,
          "requested exists");
    CHECK(s && sql_int(store_db(s), "SELECT count(*) FROM layouts") == 0, "layouts exists");
    store_close(s);
    free(p);
}

/* A run stored before layouts were (schema 5): the store is migrated, the run
 * reads back and reports without them. */
static void test_before_layouts(const char *path, long long run)
{
    char *undo = xasprintf("ALTER TABLE predictions DROP COLUMN relations; DROP TABLE layouts; "
                           "PRAGMA user_version = %d",
                           store_schema_version() - 3);
    raw_exec(path, undo);
    free(undo);
    Err err = {0};
    Store *s = store_open(path, false, &err);
    CHECK(s && store_migrated(s) == 3, "a store before layouts: three steps: %d",
          s ? store_migrated(s) : -1);
    RunView *rv = NULL;
    CHECK(s && runview_load(s, run, &rv, &err) == 0, "its run loads: %s", err.msg);
    CHECK(rv && rv->nlayouts == 0 && rv->nstmts == 6, "without layouts, all its statements");
    if (rv) {
        Buf out;
        buf_init(&out);
        ReportOpts o;
        render_opts_init(&o);
        report_text(&(RenderInput){.run = rv}, &o, &out);
        CHECK(out.data && strstr(out.data, "per version:") && !strstr(out.data, "layout:"),
              "the text report: no layout section");
        buf_free(&out);
    }
    runview_free(rv);
    store_close(s);
}

static void test_reopen(const char *path)
{
    Err err = {0};
    Store *s = store_open(path, false, &err);
    CHECK(s != NULL, "reopen: %s", err.msg);
    if (!s) return;
    CHECK(store_migrated(s) == 0, "reopening migrates nothing: %d", store_migrated(s));
    CHECK(store_latest_run(s, &err) == 1, "the run is still there");
    store_close(s);
}

typedef enum { F_NONE, F_TEXT, F_FOREIGN_DB, F_OTHER_APP, F_NEWER, F_EMPTY, F_DIR } FileKind;

static void test_refusals(const char *store_path)
{
    static const struct {
        const char *name;
        FileKind kind;
        bool create;
        int code;
        const char *want; /* substring of the message */
    } cases[] = {
        {"missing.db", F_NONE, false, 2, "no store at \""},
        {"text.db", F_TEXT, false, 2, "is not a lockmatrix store"},
        {"text2.db", F_TEXT, true, 2, "is not a lockmatrix store"},
        {"foreign.db", F_FOREIGN_DB, true, 2, "is not a lockmatrix store"},
        {"otherapp.db", F_OTHER_APP, true, 2, "is not a lockmatrix store"},
        {"newer.db", F_NEWER, false, 2,
         "was written by a newer lockmatrix (schema 999, this one knows "},
        {"empty.db", F_EMPTY, false, 2, "is not a lockmatrix store"},
        {"dir.db", F_DIR, true, 2, "is a directory"},
        {"nodir/x.db", F_NONE, true, 3, "could not open store"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char *p = path_in(cases[i].name);
        switch (cases[i].kind) {
        case F_NONE:
            break;
        case F_TEXT:
            write_file(p,
                       "-- not a database\nCREATE TABLE users (id int);\n"
                       "this text is long enough to fill the 100 bytes of an SQLite header ....\n");
            break;
        case F_FOREIGN_DB:
            raw_exec(p, "CREATE TABLE t (x int)");
            break;
        case F_OTHER_APP:
            raw_exec(p, "PRAGMA application_id = 1234; CREATE TABLE meta (k)");
            break;
        case F_NEWER: {
            char *cmd = xasprintf("cp %s %s", store_path, p);
            CHECK(system(cmd) == 0, "%s", cmd);
            free(cmd);
            raw_exec(p, "PRAGMA user_version = 999");
            break;
        }
        case F_EMPTY:
            write_file(p, "");
            break;
        case F_DIR:
            mkdir(p, 0755);
            break;
        }
        Err err = {0};
        Store *s = store_open(p, cases[i].create, &err);
        CHECK(s == NULL, "%s refused", cases[i].name);
        store_close(s);
        CHECK(err.code == cases[i].code, "%s: code %d, want %d (%s)", cases[i].name, err.code,
              cases[i].code, err.msg);
        CHECK(strstr(err.msg, cases[i].want) != NULL, "%s: message \"%s\" lacks \"%s\"",
              cases[i].name, err.msg, cases[i].want);
        if (cases[i].kind == F_FOREIGN_DB) {
            sqlite3 *db;
            sqlite3_open(p, &db);
            CHECK_STR(sql_text(db, "PRAGMA journal_mode"), "delete",
                      "a foreign file is left as it was");
            sqlite3_close(db);
        }
        free(p);
    }
    /* an empty file may become a store when asked to create one */
    char *p = path_in("empty2.db");
    write_file(p, "");
    Err err = {0};
    Store *s = store_open(p, true, &err);
    CHECK(s != NULL && store_migrated(s) == store_schema_version(), "empty file created: %s",
          err.msg);
    store_close(s);
    free(p);
}

/* ---- the runview of the run ------------------------------------------------ */

static void test_runview(const char *path, long long run)
{
    Err err = {0};
    Store *s = store_open(path, false, &err);
    RunView *rv = NULL;
    CHECK(s && runview_load(s, run, &rv, &err) == 0, "runview_load: %s", err.msg);
    if (!rv) {
        store_close(s);
        return;
    }
    CHECK(rv->nversions == 3 && rv->versions[0] == 10 && rv->versions[2] == 12, "versions");
    CHECK(rv->nservers == 2 && rv->servers[1].major == 11, "servers");
    CHECK_STR(rv->status, "complete", "run status");
    CHECK(rv->nstmts == 6, "statements: %zu", rv->nstmts);
    CHECK(rv->njobs == 5, "jobs: %zu", rv->njobs);
    CHECK(rv->nlayouts == 1, "layouts: %zu", rv->nlayouts);
    if (rv->nlayouts == 1) {
        Buf line;
        buf_init(&line);
        render_layout(&rv->layouts[0], &line);
        CHECK_STR(line.data,
                  "db: golang-migrate: 2 up, 2 down (not run; --down runs them); left out: "
                  "PREAMBLE.sql",
                  "the layout line read back");
        CHECK(rv->layouts[0].first_chain == 0 && rv->layouts[0].nchains == 1, "its chains");
        buf_free(&line);
    }

    static const struct {
        size_t stmt; /* index in corpus order */
        int major;
        const char *status;
        const char *reason; /* skip_reason, NULL for none */
        const char *strongest;
        size_t nlocks, nrewrites;
    } cases[] = {
        {0, 10, "ok", NULL, NULL, 3, 0},
        {1, 10, "ok", NULL, "AccessExclusiveLock", 2, 1},
        {1, 11, "ok", NULL, "AccessExclusiveLock", 1, 0},
        {1, 12, "skipped", "server gone", NULL, 0, 0}, /* the failed retry replaced the traces */
        {2, 10, "ok", NULL, "ShareUpdateExclusiveLock", 1, 0},
        {3, 10, "ok", NULL, NULL, 0, 0},
        {4, 10, "skipped", "worker died", NULL, 0, 0}, /* the failed job never got there */
        {5, 10, "skipped", "worker died", NULL, 0, 0},
        {4, 11, "error", NULL, NULL, 0, 0},
        {5, 11, "ok", NULL, "AccessExclusiveLock", 1, 0}, /* waiting counts */
        {5, 12, "skipped", "not run", NULL, 0, 0},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const RvStatement *x = &rv->stmts[cases[i].stmt];
        const RvResult *r = runview_result(rv, x, cases[i].major);
        CHECK(r != NULL, "result %zu", i);
        if (!r) continue;
        CHECK_STR(r->status, cases[i].status, "case %zu status", i);
        CHECK_STR(r->skip_reason, cases[i].reason, "case %zu skip reason", i);
        CHECK_STR(lock_mode_name(r->target_rank), cases[i].strongest, "case %zu strongest", i);
        CHECK(r->nlocks == cases[i].nlocks && r->nrewrites == cases[i].nrewrites,
              "case %zu: %zu locks, %zu rewrites", i, r->nlocks, r->nrewrites);
    }
    CHECK(runview_result(rv, &rv->stmts[0], 13) == NULL, "no result for a version not in the run");
    const RvResult *e = runview_result(rv, &rv->stmts[4], 11);
    CHECK_STR(e->sqlstate, "42P01", "sqlstate");
    CHECK_STR(rv->stmts[4].migration, "one.sql", "migration path");
    CHECK(rv->stmts[2].position == 2 && rv->stmts[2].index == 1, "position, index");
    CHECK_STR(rv->stmts[1].fingerprint, "fedcba9876543210", "fingerprint");
    CHECK(rv->stmts[1].version_specific, "rewrite on 10, none on 11");
    CHECK(!rv->stmts[0].version_specific, "same on 10 and 11, skipped on 12");
    CHECK(!rv->stmts[4].version_specific, "one version with a result only");
    /* phases, the hold of a transaction's lock, the DO-block mark */
    const RvResult *ph = runview_result(rv, &rv->stmts[2], 10);
    CHECK(ph->nphases == 2, "phases read back: %zu", ph->nphases);
    if (ph->nphases == 2) {
        CHECK(ph->phases[0].nlocks == 0 && ph->phases[0].waiting_for &&
                  strcmp(ph->phases[0].waiting_for->mode, "ShareUpdateExclusiveLock") == 0 &&
                  !ph->phases[0].waiting_for->granted,
              "phase 1 waits for the table");
        CHECK(ph->phases[1].nlocks == 1 && ph->phases[1].locks[0].granted &&
                  ph->phases[1].waiting_for &&
                  strcmp(ph->phases[1].waiting_for->relation, "virtualxid (older transaction)") ==
                      0,
              "phase 2 holds the table, waits for an older transaction");
    }
    const RvResult *lh = runview_result(rv, &rv->stmts[1], 10);
    CHECK(lh->lock_held_ms == 12.5 && lh->lock_held_relation &&
              strcmp(lh->lock_held_relation, "users") == 0,
          "lock_held read back");
    CHECK(runview_result(rv, &rv->stmts[1], 11)->lock_held_ms == 0,
          "no lock_held where none was written");
    CHECK(rv->stmts[3].do_block && !rv->stmts[2].do_block, "do_block read back");
    ReportOpts ro;
    render_opts_init(&ro);
    Buf text;
    buf_init(&text);
    report_text(&(RenderInput){.run = rv}, &ro, &text);
    CHECK(text.data &&
              strstr(text.data, "* DO block: the locks come from the DDL inside it") != NULL,
          "text: the DO block is marked");
    buf_free(&text);
    runview_free(rv);
    Buf json;
    buf_init(&json);
    CHECK(report_json(s, run, &json, &err) == 0, "report_json: %s", err.msg);
    CHECK(strstr(json.data, "\"capture\": \"phase\",\n") != NULL, "json: capture phase");
    CHECK(strstr(json.data, "\"phases\": [") != NULL, "json: phases");
    CHECK(strstr(json.data, "\"waiting_for\": {") != NULL, "json: waiting_for");
    CHECK(strstr(json.data, "\"lock_held_ms\": 12.5") != NULL, "json: lock_held_ms");
    CHECK(strstr(json.data, "\"do_block\": true") != NULL, "json: do_block");
    CHECK(strstr(json.data, "\"held_before\": true") != NULL, "json: held_before");
    buf_free(&json);

    RunSummary *runs;
    size_t n;
    CHECK(store_runs_list(s, &runs, &n, &err) == 0 && n == 1, "runs listed: %s", err.msg);
    if (n == 1) {
        CHECK(runs[0].nstatements == 6 && runs[0].jobs_ok == 3 && runs[0].jobs_failed == 2,
              "summary: %lld statements, %lld ok, %lld failed", runs[0].nstatements,
              runs[0].jobs_ok, runs[0].jobs_failed);
        CHECK(runs[0].duration_s >= 0, "duration");
        CHECK_STR(runs[0].layouts, "golang-migrate", "the layouts of the run");
    }
    store_runs_free(runs, n);
    CHECK(runview_load(s, 42, &rv, &err) < 0 && err.code == 2 && rv == NULL, "no run 42: %s",
          err.msg);
    store_close(s);
}

/* ---- another writer holds the lock ------------------------------------------ */

static void test_locked(const char *path, long long run)
{
    Err err = {0};
    Store *s = store_open(path, false, &err);
    sqlite3 *other;
    CHECK(s && sqlite3_open(path, &other) == SQLITE_OK, "open twice: %s", err.msg);
    CHECK(sqlite3_exec(other, "BEGIN IMMEDIATE; UPDATE runs SET args = 'x'", NULL, NULL, NULL) ==
              SQLITE_OK,
          "the other connection takes the write lock");
    /* readers are not blocked by a writer (WAL) */
    RunView *rv = NULL;
    CHECK(runview_load(s, run, &rv, &err) == 0 && rv->nstmts == 6, "read while locked: %s",
          err.msg);
    runview_free(rv);
    /* a writer waits busy_timeout, then fails as an environment error */
    double t0 = now_ms();
    err_clear(&err);
    CHECK(put(s, run, 0, 10, "ok", NULL, 1, j_a10, ARRAY_LEN(j_a10), &err) < 0 && err.code == 3,
          "write while locked: code %d", err.code);
    CHECK(strstr(err.msg, "database is locked") != NULL, "sqlite's message: %s", err.msg);
    CHECK(now_ms() - t0 > 1000, "it waited for the lock: %.0f ms", now_ms() - t0);
    sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(other);
    err_clear(&err);
    CHECK(put(s, run, 0, 10, "ok", NULL, 1, j_a10, ARRAY_LEN(j_a10), &err) == 0,
          "write after the lock is gone: %s", err.msg);
    store_close(s);
}

/* ---- the previous run (--against last) ------------------------------------- */

/* By corpus root (the paths given) and shard, whatever the corpus identity
 * (a corpus that grew has another), finished runs only. */
static void test_previous_run(const char *path)
{
    static const struct {
        const char *corpus, *shard, *corpus_id, *status;
        long long previous;
    } runs[] = {
        {"cases", NULL, "id1", "complete", 0},
        {"cases", NULL, "id2", "complete", 1},  /* the corpus grew: same root */
        {"other", NULL, "id2", "complete", 0},  /* same identity, another root */
        {"cases", "1/2", "id2", "complete", 0}, /* no earlier run of that shard */
        {"cases", "2/2", "id2", "failed", 0},
        {"cases", NULL, "id3", "interrupted", 2}, /* 3 is another root, 4 and 5 shards */
        {"cases", "1/2", "id3", "complete", 4},
        {"cases", "2/2", "id3", "complete", 5}, /* a failed run finished too */
        {"cases", NULL, "id4", "complete", 2},  /* 6 did not finish */
        {"cases/", NULL, "id4", "complete", 0}, /* the paths as recorded */
    };
    Err err = {0};
    Store *s = store_open(path, true, &err);
    CHECK(s != NULL, "open: %s", err.msg);
    for (size_t i = 0; s && i < ARRAY_LEN(runs); i++) {
        RunInfo ri = {.corpus = runs[i].corpus,
                      .shard = runs[i].shard,
                      .corpus_id = runs[i].corpus_id,
                      .versions = &versions,
                      .backend = "embedded"};
        long long run = 0;
        CHECK(store_run_begin(s, &ri, &corpus, &run, &err) == 0 && run == (long long)i + 1,
              "run %zu: %s", i + 1, err.msg);
        CHECK(store_run_finish(s, run, runs[i].status, &err) == 0, "finish: %s", err.msg);
        long long prev = store_previous_run(s, run, &err);
        CHECK(prev == runs[i].previous, "run %lld (%s, shard %s, %s): previous %lld, want %lld",
              run, runs[i].corpus, runs[i].shard ? runs[i].shard : "none", runs[i].corpus_id, prev,
              runs[i].previous);
    }
    store_close(s);
}

/* ---- write speed ------------------------------------------------------------ */

static void test_speed(const char *path)
{
    enum { NSTMT = 200, NLOCK = 10, ROUNDS = 5 };
    Statement *st = xcalloc(NSTMT, sizeof(*st));
    Trace *tr = xcalloc(NSTMT, sizeof(*tr));
    TraceLock locks[NLOCK];
    for (int i = 0; i < NLOCK; i++)
        locks[i] = (TraceLock){"some_table_name",
                               i ? "index" : "table",
                               "relation",
                               "AccessExclusiveLock",
                               true,
                               false};
    for (int i = 0; i < NSTMT; i++) {
        st[i] = (Statement){.index = i + 1,
                            .line = i + 1,
                            .sql = "ALTER TABLE some_table_name ADD COLUMN c int DEFAULT 0",
                            .fingerprint = (uint64_t)i * 7919,
                            .info = {.cls = "ALTER TABLE ADD COLUMN DEFAULT constant",
                                     .target = "some_table_name"}};
        tr[i] = (Trace){.mig = 0,
                        .stmt = i,
                        .status = TRACE_OK,
                        .capture = "tx",
                        .duration_ms = 1,
                        .locks = locks,
                        .nlocks = NLOCK,
                        .rewrites = rw_users,
                        .nrewrites = 1,
                        .changes = ch_alter,
                        .nchanges = 1};
    }
    Migration m = {.path = "big.sql", .stmts = st, .nstmts = NSTMT};
    Chain ch = {.name = "big.sql", .migs = &m, .nmigs = 1, .nstmts = NSTMT};
    Corpus c = {.chains = &ch, .nchains = 1};
    Err err = {0};
    Store *s = store_open(path, true, &err);
    RunInfo ri = {.corpus = "big.sql", .versions = &versions, .backend = "embedded"};
    long long run = 0;
    double t0 = now_ms();
    CHECK(s && store_run_begin(s, &ri, &c, &run, &err) == 0, "big run: %s", err.msg);
    double t_begin = now_ms() - t0, best = 1e9, total = 0;
    for (int r = 0; r < ROUNDS && s; r++) {
        JobResult jr = {.chain = 0,
                        .major = 10 + r % 3,
                        .status = "ok",
                        .attempts = 1,
                        .traces = tr,
                        .ntraces = NSTMT};
        t0 = now_ms();
        CHECK(store_put_job(s, run, &c, &jr, &err) == 0, "big job: %s", err.msg);
        double t = now_ms() - t0;
        total += t;
        if (t < best) best = t;
    }
    RunView *rv = NULL;
    t0 = now_ms();
    CHECK(s && runview_load(s, run, &rv, &err) == 0, "big runview: %s", err.msg);
    double t_load = now_ms() - t0;
    CHECK(rv && rv->stmts[NSTMT - 1].results[0].nlocks == NLOCK, "locks read back");
    Buf json;
    buf_init(&json);
    t0 = now_ms();
    CHECK(s && report_json(s, run, &json, &err) == 0, "big report: %s", err.msg);
    double t_json = now_ms() - t0;
    printf("# speed: report_json of that run %.2f ms, %zu bytes\n", t_json, json.len);
    buf_free(&json);
    printf("# speed: run_begin %d statements %.2f ms; put_job %d statements x %d locks: "
           "best %.2f ms, mean %.2f ms; runview_load (3 versions) %.2f ms\n",
           NSTMT, t_begin, NSTMT, NLOCK, best, total / ROUNDS, t_load);
    /* a few ms on this machine; generous so that a sanitizer build passes too */
    CHECK(best < 250, "put_job took %.2f ms", best);
    runview_free(rv);
    store_close(s);

    /* a resumed run: another Store (process) writes a job of the same run; the
     * statement ids come from the file */
    s = store_open(path, false, &err);
    JobResult jr = {.chain = 0, .major = 12, .status = "ok", .traces = tr, .ntraces = NSTMT};
    t0 = now_ms();
    CHECK(s && store_put_job(s, run, &c, &jr, &err) == 0, "job of a resumed run: %s", err.msg);
    printf("# speed: put_job of a resumed run (statement ids loaded first) %.2f ms\n",
           now_ms() - t0);
    CHECK(s && sql_int(store_db(s), "SELECT count(*) FROM traces WHERE major = 12") == NSTMT,
          "its traces");
    store_close(s);
    free(st);
    free(tr);
}

/* A store that kept the command line as one quoted line (schema 6): opened,
 * a line without quotes becomes the JSON array of its words; a quoted one
 * stays as it was (run --resume says it cannot read it back). */
static void test_args_as_list(void)
{
    char *p = path_in("args.db");
    Err err = {0};
    Store *s = store_open(p, true, &err);
    CHECK(s != NULL, "new store: %s", err.msg);
    store_close(s);
    char *old = xasprintf("INSERT INTO runs (started_at, corpus, versions, backend, args) VALUES "
                          "('t', 'a', '17', 'embedded', 'run -V 16,17  -d x.db a.sql'), "
                          "('t', 'b', '17', 'embedded', 'run ''b c.sql'''), "
                          "('t', 'c', '17', 'embedded', NULL); "
                          "ALTER TABLE predictions DROP COLUMN relations; PRAGMA user_version = %d",
                          store_schema_version() - 2);
    raw_exec(p, old);
    free(old);
    s = store_open(p, false, &err);
    CHECK(s && store_migrated(s) == 2, "two steps: %d", s ? store_migrated(s) : -1);
    struct {
        const char *corpus, *want;
    } cases[] = {
        {"a", "[\"run\",\"-V\",\"16,17\",\"-d\",\"x.db\",\"a.sql\"]"},
        {"b", "run 'b c.sql'"},
        {"c", NULL},
    };
    for (size_t i = 0; s && i < ARRAY_LEN(cases); i++) {
        sqlite3_stmt *st = NULL;
        sqlite3_prepare_v2(store_db(s), "SELECT args FROM runs WHERE corpus = ?", -1, &st, NULL);
        sqlite3_bind_text(st, 1, cases[i].corpus, -1, SQLITE_STATIC);
        const char *got =
            sqlite3_step(st) == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : "(no row)";
        if (cases[i].want)
            CHECK(got && strcmp(got, cases[i].want) == 0, "args of %s: %s", cases[i].corpus,
                  got ? got : "NULL");
        else
            CHECK(got == NULL, "no args stays none: %s", got ? got : "NULL");
        sqlite3_finalize(st);
    }
    store_close(s);
    free(p);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char *path = path_in("lockmatrix.db");
    long long run = test_write(path);
    test_reopen(path);
    test_migrate_forward();
    test_refusals(path);
    test_runview(path, run);
    test_locked(path, run);
    test_before_layouts(path, run);
    test_args_as_list();
    char *prev = path_in("previous.db");
    test_previous_run(prev);
    free(prev);
    char *big = path_in("big.db");
    test_speed(big);
    free(big);
    free(path);
    remove_tree(dir);
    return t_done("test_store");
}
