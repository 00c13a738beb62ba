/*
 * test_report_json: the JSON report of a stored run, checked with a real JSON
 * parser (SQLite's json_extract / json_type / json_each on the output), and
 * the report and runs commands run as the built binary.
 *
 * The run: one migration of statements built so that each exercises one rule
 * of version_specific, traced on 10 and 11 (12 selected but never run), and
 * one statement whose SQL needs escaping.
 */
#include <libgen.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report/report.h"
#include "store/internal.h" /* the file itself, to check and alter rows */
#include "t.h"

static char dir[] = "/tmp/lm_test_report_json_XXXXXX";

#define NASTY_SQL "SELECT '</script><script>alert(1)</script>' AS \"x&y\", E'\\x01\x01\x1f\t\n\x7f'"

static Statement stmts[] = {
    {1, 1, "CREATE TABLE users (id int)", 1, {.cls = "CREATE TABLE", .target = "users"}},
    {2,
     2,
     "ALTER TABLE users ADD COLUMN a int DEFAULT random()",
     2,
     {.cls = "ALTER TABLE ADD COLUMN DEFAULT volatile", .target = "users"}},
    {3,
     3,
     "ALTER TABLE users ALTER COLUMN a SET NOT NULL",
     3,
     {.cls = "ALTER TABLE SET NOT NULL", .target = "users"}},
    {4,
     4,
     "ALTER TABLE users ADD CONSTRAINT c CHECK (a > 0)",
     4,
     {.cls = "ALTER TABLE ADD CONSTRAINT CHECK", .target = "users"}},
    {5, 5, "VACUUM users", 5, {.cls = "VACUUM", .target = "users", .no_tx = true}},
    {6, 6, "CLUSTER users USING users_pkey", 6, {.cls = "CLUSTER", .target = "users"}},
    {7,
     7,
     "ALTER TABLE users ADD FOREIGN KEY (a) REFERENCES other",
     7,
     {.cls = "ALTER TABLE ADD CONSTRAINT FOREIGN KEY", .target = "users"}},
    {8, 8, NASTY_SQL, 8, {.cls = "SELECT"}},
};
static Migration migs[] = {{.path = "cases/m.sql", .stmts = stmts, .nstmts = ARRAY_LEN(stmts)}};
static Chain chains[] = {
    {.name = "cases/m.sql", .migs = migs, .nmigs = 1, .nstmts = ARRAY_LEN(stmts)}};
static CorpusLayout layouts[] = {
    {.path = "cases",
     .first_chain = 0,
     .nchains = 1,
     .sum = {.layout = "flyway",
             .nup = 1,
             .nleft = 2,
             .left = "setup.sql\nseed.sql",
             .note = "1 Flyway callbacks (before*/after*.sql) not run"}},
};
static Corpus corpus = {.chains = chains, .nchains = 1, .layouts = layouts, .nlayouts = 1};

static TraceLock l_ae[] = {
    {"users", "table", "relation", "AccessExclusiveLock", true, false},
    {"users_pkey", "index", "relation", "AccessShareLock", true, true},
};
static TraceLock l_ae_other_index[] = {
    {"users", "table", "relation", "AccessExclusiveLock", true, false},
    {"users_a_idx", "index", "relation", "ShareLock", true, false},
};
static TraceLock l_sue[] = {
    {"users", "table", "relation", "ShareUpdateExclusiveLock", true, false}};
static TraceLock l_fk_10[] = {
    {"users", "table", "relation", "ShareRowExclusiveLock", true, false},
    {"other", "referenced", "relation", "AccessExclusiveLock", true, false},
};
static TraceLock l_fk_11[] = {
    {"users", "table", "relation", "ShareRowExclusiveLock", true, false},
    {"other", "referenced", "relation", "ShareRowExclusiveLock", true, false},
};
static char *rw_users[] = {"users"};
static char *rw_two[] = {"users", "users_pkey"};
static char *rw_two_rev[] = {"users_pkey", "users"};
static TraceScan sc_users[] = {{"users", 1, 500}, {"idle", 0, 0}};
static TraceChange ch_col[] = {{"column_added", "users", "a integer"}};

/* statement 3 on 10: its requests measured by the replay */
static TraceLock l_req[] = {{"users", "table", "relation", "RowExclusiveLock", true, false}};
static char *sc_req[] = {"users"};

static Trace t10[] = {
    {0, 0,    TRACE_OK, "", NULL, "tx", 1.25, l_ae,          2,    NULL, 0,    NULL, 0,    NULL,
     0, NULL, 0,        0,  NULL, NULL, NULL, TRACE_REQ_OWN, NULL, 0,    NULL, 0,    NULL, 0},
    {0,    1, TRACE_OK, "", NULL, "tx", 2, l_ae, 2,    rw_users, 1,
     NULL, 0, ch_col,   1,  NULL, 0,    0, NULL, NULL, NULL,     TRACE_REQ_OWN,
     NULL, 0, NULL,     0,  NULL, 0},
    {0, 2,    TRACE_OK, "", NULL, "tx", 3,    l_ae,          1,    NULL, 0,    sc_users, 2,    NULL,
     0, NULL, 0,        0,  NULL, NULL, NULL, TRACE_REQ_OWN, NULL, 0,    NULL, 0,        NULL, 0},
    {0,     3, TRACE_OK, "", NULL,   "tx", 4, l_ae, 1,    NULL, 0,
     NULL,  0, NULL,     0,  NULL,   0,    0, NULL, NULL, NULL, TRACE_REQ_REPLAY,
     l_req, 1, NULL,     0,  sc_req, 1},
    {0,    4, TRACE_OK, "", NULL, "observer", 5, l_sue, 1,    NULL, 0,
     NULL, 0, NULL,     0,  NULL, 0,          0, NULL,  NULL, NULL, TRACE_REQ_OWN,
     NULL, 0, NULL,     0,  NULL, 0},
    {0, 5,    TRACE_OK, "", NULL, "tx", 6,    l_ae,          1,    rw_two, 2,    NULL, 0,    NULL,
     0, NULL, 0,        0,  NULL, NULL, NULL, TRACE_REQ_OWN, NULL, 0,      NULL, 0,    NULL, 0},
    {0, 6,    TRACE_OK, "", NULL, "tx", 7,    l_fk_10,       2,    NULL, 0,    NULL, 0,    NULL,
     0, NULL, 0,        0,  NULL, NULL, NULL, TRACE_REQ_OWN, NULL, 0,    NULL, 0,    NULL, 0},
    {0,
     7,
     TRACE_TIMEOUT,
     "57014",
     "canceling statement due to statement timeout",
     "tx",
     5000,
     NULL,
     0,
     NULL,
     0,
     NULL,
     0,
     NULL,
     0,
     NULL,
     0,
     0,
     NULL,
     NULL,
     NULL,
     TRACE_REQ_OWN,
     NULL,
     0,
     NULL,
     0,
     NULL,
     0},
};
static Trace t11[] = {
    {0, 0,    TRACE_OK, "", NULL, "tx", 1,    l_ae_other_index, 2,    NULL, 0,    NULL, 0,    NULL,
     0, NULL, 0,        0,  NULL, NULL, NULL, TRACE_REQ_OWN,    NULL, 0,    NULL, 0,    NULL, 0},
    {0, 1,    TRACE_OK, "", NULL, "tx", 2,    l_ae,          2,    NULL, 0,    NULL, 0,    ch_col,
     1, NULL, 0,        0,  NULL, NULL, NULL, TRACE_REQ_OWN, NULL, 0,    NULL, 0,    NULL, 0},
    {0, 2,    TRACE_OK, "", NULL, "tx", 3,    l_sue,         1,    NULL, 0,    sc_users, 1,    NULL,
     0, NULL, 0,        0,  NULL, NULL, NULL, TRACE_REQ_OWN, NULL, 0,    NULL, 0,        NULL, 0},
    {0,
     3,
     TRACE_ERROR,
     "23514",
     "check constraint \"c\" is violated by some row",
     "tx",
     4,
     l_ae,
     1,
     NULL,
     0,
     NULL,
     0,
     NULL,
     0,
     NULL,
     0,
     0,
     NULL,
     NULL,
     NULL,
     TRACE_REQ_OWN,
     NULL,
     0,
     NULL,
     0,
     NULL,
     0},
    /* no trace of statement 5 */
    {0,    5, TRACE_OK, "", NULL, "tx", 6, l_ae, 1,    rw_two_rev, 2,
     NULL, 0, NULL,     0,  NULL, 0,    0, NULL, NULL, NULL,       TRACE_REQ_OWN,
     NULL, 0, NULL,     0,  NULL, 0},
    {0, 6,    TRACE_OK, "", NULL, "tx", 7,    l_fk_11,       2,    NULL, 0,    NULL, 0,    NULL,
     0, NULL, 0,        0,  NULL, NULL, NULL, TRACE_REQ_OWN, NULL, 0,    NULL, 0,    NULL, 0},
    {0,
     7,
     TRACE_ERROR,
     "XX000",
     "\"quoted\" \\ <b>&amp;",
     "tx",
     0,
     NULL,
     0,
     NULL,
     0,
     NULL,
     0,
     NULL,
     0,
     NULL,
     0,
     0,
     NULL,
     NULL,
     NULL,
     TRACE_REQ_OWN,
     NULL,
     0,
     NULL,
     0,
     NULL,
     0},
};

/* ---- JSON through SQLite's parser ----------------------------------------- */

static sqlite3 *jdb;

/* One value of the query run on the report (?1) as text: "(none)" for no row,
 * "(sqlnull)" for SQL NULL (a path that is not there). Static buffer. */
static const char *jq(const char *json, const char *sql, const char *path)
{
    static char out[2048];
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(jdb, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(out, sizeof(out), "(error: %s)", sqlite3_errmsg(jdb));
        return out;
    }
    sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
    if (path) sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
    snprintf(out, sizeof(out), "(none)");
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(out, sizeof(out), "%s", t ? (const char *)t : "(sqlnull)");
    } else if (rc != SQLITE_DONE) {
        snprintf(out, sizeof(out), "(error: %s)", sqlite3_errmsg(jdb));
    }
    sqlite3_finalize(st);
    return out;
}

static const char *jtype(const char *json, const char *path)
{
    return jq(json, "SELECT json_type(?1, ?2)", path);
}
static const char *jget(const char *json, const char *path)
{
    return jq(json, "SELECT json_extract(?1, ?2)", path);
}
static const char *jkeys(const char *json, const char *path)
{
    return jq(json, "SELECT group_concat(key, ',') FROM json_each(?1, ?2)", path);
}

static void check_report(const char *json)
{
    CHECK_STR(jq(json, "SELECT json_valid(?1)", NULL), "1", "the report is valid JSON");

    /* keys in the contract's order */
    static const struct {
        const char *path, *keys;
    } orders[] = {
        {"$", "run,per_version,agreement,layouts,statements"},
        {"$.layouts[0]",
         "path,layout,forced,up,down,downs_run,left_out,left_out_names,note,chains,line"},
        {"$.per_version[0]", "version,run,ok,failed,aborted,not_run,first_failure"},
        {"$.per_version[1].first_failure",
         "migration,index,line,sqlstate,message,aborted_after,not_run_after"},
        {"$.run", "id,versions,started_at,finished_at,status,corpus,backend,servers"},
        {"$.statements[0]",
         "migration,index,line,sql,class,parsed,target,version_specific,results"},
        {"$.statements[0].results", "10,11,12"},
        {"$.statements[0].results.\"10\"", "status,error,locks,requested,rewrites,scans,scan_"
                                           "counts,changes,capture,predicted,verdict,"
                                           "duration_ms"},
        {"$.statements[0].results.\"10\".locks[0]", "relation,role,locktype,mode,granted"},
        {"$.statements[0].results.\"10\".locks[1]",
         "relation,role,locktype,mode,granted,held_before"},
        {"$.statements[3].results.\"10\".requested", "from,locks,rewrites,scans"},
        {"$.statements[1].results.\"10\".changes[0]", "kind,relation,detail"},
        {"$.statements[7].results.\"10\".error", "sqlstate,message"},
    };
    for (size_t i = 0; i < ARRAY_LEN(orders); i++)
        CHECK_STR(jkeys(json, orders[i].path), orders[i].keys, "keys of %s", orders[i].path);

    /* values: json_type, and the value as SQLite returns it */
    static const struct {
        const char *path, *type, *value; /* value NULL: not checked */
    } values[] = {
        {"$.run.id", "integer", "1"},
        {"$.run.versions", "array", "[10,11,12]"},
        {"$.run.status", "text", "complete"},
        {"$.run.corpus", "text", "cases/m.sql"},
        {"$.run.backend", "text", "embedded"},
        {"$.run.servers", "object", "{\"10\":\"10.23\",\"11\":\"11.22\"}"},
        {"$.run.started_at", "text", NULL},
        {"$.run.finished_at", "text", NULL},
        {"$.layouts[0].path", "text", "cases"},
        {"$.layouts[0].layout", "text", "flyway"},
        {"$.layouts[0].forced", "false", NULL},
        {"$.layouts[0].up", "integer", "1"},
        {"$.layouts[0].down", "integer", "0"},
        {"$.layouts[0].left_out", "integer", "2"},
        {"$.layouts[0].left_out_names", "array", "[\"setup.sql\",\"seed.sql\"]"},
        {"$.layouts[0].chains", "integer", "1"},
        {"$.layouts[0].line", "text",
         "flyway: 1 migration; left out: setup.sql, seed.sql; 1 Flyway callbacks "
         "(before*/after*.sql) not run"},
        {"$.layouts[1]", NULL, NULL}, /* one directory */
        {"$.statements", "array", NULL},
        {"$.statements[8]", NULL, NULL}, /* 8 statements exactly */
        {"$.statements[0].migration", "text", "cases/m.sql"},
        {"$.statements[0].index", "integer", "1"},
        {"$.statements[3].line", "integer", "4"},
        {"$.statements[1].class", "text", "ALTER TABLE ADD COLUMN DEFAULT volatile"},
        {"$.statements[1].target", "text", "users"},
        {"$.statements[1].parsed", "text", "tree"}, /* it has a fingerprint */
        {"$.statements[7].target", "null", NULL},
        {"$.statements[0].results.\"10\".status", "text", "ok"},
        {"$.statements[0].results.\"10\".error", "null", NULL},
        {"$.statements[0].results.\"10\".locks[0].mode", "text", "AccessExclusiveLock"},
        {"$.statements[0].results.\"10\".locks[0].granted", "true", NULL},
        {"$.statements[0].results.\"10\".locks[0].held_before", NULL, NULL}, /* only when true */
        {"$.statements[0].results.\"10\".locks[1].held_before", "true", NULL},
        {"$.statements[0].results.\"10\".rewrites", "array", "[]"},
        {"$.statements[0].results.\"10\".scans", "array", "[]"},
        {"$.statements[0].results.\"10\".capture", "text", "tx"},
        {"$.statements[0].results.\"10\".predicted", "null", NULL},
        {"$.statements[0].results.\"10\".verdict", "null", NULL},
        {"$.statements[0].results.\"10\".duration_ms", "real", "1.25"},
        {"$.statements[1].results.\"10\".rewrites", "array", "[\"users\"]"},
        {"$.statements[1].results.\"10\".changes[0].detail", "text", "a integer"},
        {"$.statements[1].results.\"10\".predicted", "object",
         "{\"mode\":\"AccessExclusiveLock\",\"rewrite\":true}"},
        {"$.statements[1].results.\"10\".verdict", "text", "confirmed"},
        {"$.statements[2].results.\"10\".scans", "array", "[\"users\"]"},
        {"$.statements[2].results.\"10\".scan_counts.users.tup_read", "integer", "500"},
        {"$.statements[2].results.\"10\".scan_counts.idle.seq_scan", "integer", "0"},
        {"$.statements[0].results.\"10\".requested.from", "text", "own"},
        {"$.statements[0].results.\"10\".requested.locks[0].mode", "text", "AccessExclusiveLock"},
        {"$.statements[0].results.\"10\".requested.locks[1]", NULL,
         NULL}, /* held_before left out */
        {"$.statements[3].results.\"10\".requested.from", "text", "replay"},
        {"$.statements[3].results.\"10\".requested.locks[0].mode", "text", "RowExclusiveLock"},
        {"$.statements[3].results.\"10\".requested.rewrites", "array", "[]"},
        {"$.statements[3].results.\"10\".requested.scans", "array", "[\"users\"]"},
        {"$.statements[3].results.\"10\".locks[0].mode", "text", "AccessExclusiveLock"},
        {"$.statements[3].results.\"11\".requested", "null", NULL},
        {"$.statements[3].results.\"11\".status", "text", "error"},
        {"$.statements[3].results.\"11\".error.sqlstate", "text", "23514"},
        {"$.statements[3].results.\"11\".error.message", "text",
         "check constraint \"c\" is violated by some row"},
        {"$.statements[4].results.\"10\".capture", "text", "observer"},
        {"$.statements[4].results.\"11\".status", "text", "skipped"},
        {"$.statements[4].results.\"11\".error", "null", NULL},
        {"$.statements[4].results.\"11\".locks", "array", "[]"},
        {"$.statements[4].results.\"11\".duration_ms", "null", NULL},
        {"$.statements[4].results.\"12\".status", "text", "skipped"},
        {"$.statements[7].results.\"10\".status", "text", "timeout"},
        {"$.statements[7].results.\"10\".error.sqlstate", "text", "57014"},
        {"$.statements[7].results.\"11\".error.message", "text", "\"quoted\" \\ <b>&amp;"},
        {"$.statements[7].sql", "text", NASTY_SQL},
        /* version_specific: one rule each */
        {"$.statements[0].version_specific", "false", NULL}, /* other index locks differ only */
        {"$.statements[1].version_specific", "true", NULL},  /* rewrite on 10, none on 11 */
        {"$.statements[2].version_specific", "true", NULL},  /* strongest target lock differs */
        {"$.statements[3].version_specific", "false", NULL}, /* ok on 10, error on 11: a
                                                                failure, not a difference */
        {"$.statements[4].version_specific", "false", NULL}, /* a result on 10 only */
        {"$.statements[5].version_specific", "false", NULL}, /* same rewrites, other order */
        {"$.statements[6].version_specific", "false", NULL}, /* a "referenced" lock differs */
        {"$.statements[7].version_specific", "false", NULL}, /* timeout vs error: ran ok nowhere */
        /* the per-version summary: 10 times out at statement 8; 11 fails at
         * statement 4, has no trace of 5, fails at 8; 12 never ran */
        {"$.per_version[0].version", "integer", "10"},
        {"$.per_version[0].run", "integer", "8"},
        {"$.per_version[0].ok", "integer", "7"},
        {"$.per_version[0].failed", "integer", "1"},
        {"$.per_version[0].first_failure.line", "integer", "8"},
        {"$.per_version[0].first_failure.sqlstate", "text", "57014"},
        {"$.per_version[1].run", "integer", "7"},
        {"$.per_version[1].ok", "integer", "5"},
        {"$.per_version[1].failed", "integer", "2"},
        {"$.per_version[1].aborted", "integer", "0"},
        {"$.per_version[1].not_run", "integer", "1"},
        {"$.per_version[1].first_failure.migration", "text", "cases/m.sql"},
        {"$.per_version[1].first_failure.index", "integer", "4"},
        {"$.per_version[1].first_failure.sqlstate", "text", "23514"},
        {"$.per_version[1].first_failure.not_run_after", "integer", "1"},
        {"$.per_version[1].first_failure.aborted_after", "integer", "0"},
        {"$.per_version[2].version", "integer", "12"},
        {"$.per_version[2].run", "integer", "0"},
        {"$.per_version[2].not_run", "integer", "8"},
        {"$.per_version[2].first_failure", "null", NULL},
    };
    for (size_t i = 0; i < ARRAY_LEN(values); i++) {
        const char *want_type = values[i].type ? values[i].type : "(sqlnull)";
        CHECK_STR(jtype(json, values[i].path), want_type, "type of %s", values[i].path);
        if (values[i].value)
            CHECK_STR(jget(json, values[i].path), values[i].value, "value of %s", values[i].path);
    }

    /* escaping: nothing that could close a script tag, no raw control characters */
    CHECK(strstr(json, "<script>") == NULL && strstr(json, "</script>") == NULL,
          "no raw <script> in the output");
    CHECK(strstr(json, "\\u003c/script\\u003e\\u003cscript\\u003e") != NULL, "<, > escaped");
    CHECK(strstr(json, "\\\"x\\u0026y\\\"") != NULL, "quote and & escaped");
    CHECK(strstr(json, "\\u0001\\u001f\\t\\n\\u007f") != NULL, "control characters escaped");
    bool raw_ctl = false;
    for (const char *p = json; *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\n') raw_ctl = true;
    CHECK(!raw_ctl, "no raw control character but newlines");
    static const char head[] = "{\n  \"run\": {\n    \"id\": 1,\n    \"versions\": [\n      10,";
    CHECK(strncmp(json, head, strlen(head)) == 0, "pretty, two spaces: %.60s", json);
}

/* ---- the commands, as the built binary ------------------------------------- */

static char *lm; /* the lockmatrix binary next to this test's build directory */

/* Runs lm with args (a shell fragment); stdout and stderr into files of dir. */
static int run_lm(const char *args, char **out, char **errout)
{
    char *cmd = xasprintf("%s %s >%s/out 2>%s/err", lm, args, dir, dir);
    int st = system(cmd);
    free(cmd);
    char *p = xasprintf("%s/out", dir);
    size_t n;
    if (file_read_all(p, out, &n, NULL) < 0) *out = xstrdup("");
    free(p);
    p = xasprintf("%s/err", dir);
    if (file_read_all(p, errout, &n, NULL) < 0) *errout = xstrdup("");
    free(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* args with {db}, {text} and {dir} replaced; free(). */
static char *expand(const char *args, const char *db, const char *text)
{
    Buf b;
    buf_init(&b);
    for (const char *p = args; *p;) {
        if (strncmp(p, "{db}", 4) == 0) {
            buf_puts(&b, db);
            p += 4;
        } else if (strncmp(p, "{text}", 6) == 0) {
            buf_puts(&b, text);
            p += 6;
        } else if (strncmp(p, "{dir}", 5) == 0) {
            buf_puts(&b, dir);
            p += 5;
        } else {
            buf_putc(&b, *p++);
        }
    }
    return buf_steal(&b);
}

static void check_commands(const char *db, const char *json)
{
    char *text = xasprintf("%s/text.db", dir);
    FILE *f = fopen(text, "w");
    if (f) {
        fputs("this is a text file, not a database, and it is long enough for a header.....\n"
              "line two of the text file so that it is over one hundred bytes long.\n",
              f);
        fclose(f);
    }
    static const struct {
        const char *args; /* {db}: the store, {text}: the text file, {dir}: the dir */
        int code;
        const char *out, *err; /* substrings, NULL: not checked */
    } cases[] = {
        {"report -d {db}", 0, "\"statements\": [", ""},
        {"report --db {db} --run 1 --format json", 0, "\"id\": 1,", ""},
        {"report -d {db} -o {dir}/report.json", 0, NULL, ""},
        {"report -d {db} --format xml", 2, "", "unknown format \"xml\""},
        {"report -d {db} --format nope", 2, "", "(text, markdown, json, html, sarif)"},
        {"report -d {dir}/missing.db", 2, "", "no store at \""},
        {"report -d {dir}/missing.db", 2, "", "hint: 'lockmatrix run PATH...'"},
        {"report -d {db} --run 99", 2, "", "no run 99 in"},
        {"report -d {db} --run x", 2, "", "invalid --run \"x\": a run id"},
        {"report -d {db} --bogus", 2, NULL, "unknown option \"--bogus\""},
        {"report -d {db} extra", 2, "", "unexpected argument \"extra\""},
        {"report -d {text}", 2, "", "is not a lockmatrix store"},
        {"report --help", 0, "usage: lockmatrix report", ""},
        {"runs -d {db}", 0, "complete", ""},
        {"runs -d {db}", 0, "10-12", ""},
        {"runs -d {db} --format json", 0, "\"jobs_ok\": 2", ""},
        {"runs -d {dir}/missing.db", 2, "", "no store at"},
        {"runs -d {db} --format xml", 2, "", "unknown format \"xml\""},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char *args = expand(cases[i].args, db, text);
        char *out, *err;
        int code = run_lm(args, &out, &err);
        CHECK(code == cases[i].code, "lockmatrix %s: exit %d, want %d (%s)", args, code,
              cases[i].code, err);
        if (cases[i].out && *cases[i].out)
            CHECK(strstr(out, cases[i].out) != NULL, "lockmatrix %s: stdout lacks \"%s\"", args,
                  cases[i].out);
        if (cases[i].out && !*cases[i].out)
            CHECK(*out == '\0', "lockmatrix %s: stdout not empty", args);
        if (cases[i].err && *cases[i].err)
            CHECK(strstr(err, cases[i].err) != NULL, "lockmatrix %s: stderr \"%s\" lacks \"%s\"",
                  args, err, cases[i].err);
        if (cases[i].err && !*cases[i].err)
            CHECK(*err == '\0', "lockmatrix %s: stderr not empty: %s", args, err);
        if (i == 0) CHECK_STR(out, json, "the command prints what report_json renders");
        free(args);
        free(out);
        free(err);
    }
    char *p = xasprintf("%s/report.json", dir), *file = NULL;
    size_t n;
    CHECK(file_read_all(p, &file, &n, NULL) == 0, "-o wrote the file");
    if (file) {
        CHECK_STR(file, json, "-o wrote the report");
        free(file);
    }
    free(p);
    /* no temporary file left next to it */
    char *cmd = xasprintf("ls %s | grep -c tmp >/dev/null", dir);
    CHECK(system(cmd) != 0, "no temporary file left in %s", dir);
    free(cmd);
    free(text);
}

int main(int argc, char **argv)
{
    (void)argc;
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char *self = xstrdup(argv[0]);
    lm = xasprintf("%s/../lockmatrix", dirname(self));
    free(self);
    char *db = xasprintf("%s/lockmatrix.db", dir);

    Err err = {0};
    Store *s = store_open(db, true, &err);
    CHECK(s != NULL, "store: %s", err.msg);
    if (!s) return t_done("test_report_json");
    VersionSet vs = {.v = {10, 11, 12}, .n = 3};
    RunInfo ri = {.corpus = "cases/m.sql", .versions = &vs, .backend = "embedded", .jobs = 2};
    long long run = 0;
    CHECK(store_run_begin(s, &ri, &corpus, &run, &err) == 0, "run: %s", err.msg);
    store_put_server(s, run, 10, "10.23", &err);
    store_put_server(s, run, 11, "11.22", &err);
    JobResult j10 = {.chain = 0,
                     .major = 10,
                     .status = "ok",
                     .attempts = 1,
                     .traces = t10,
                     .ntraces = ARRAY_LEN(t10)};
    JobResult j11 = {.chain = 0,
                     .major = 11,
                     .status = "ok",
                     .attempts = 1,
                     .traces = t11,
                     .ntraces = ARRAY_LEN(t11)};
    CHECK(store_put_job(s, run, &corpus, &j10, &err) == 0, "job 10: %s", err.msg);
    CHECK(store_put_job(s, run, &corpus, &j11, &err) == 0, "job 11: %s", err.msg);
    /* a prediction, as the static side will write it */
    long long tid = 0;
    store_trace_id(s, run, 0, 0, 1, 10, &tid, &err);
    char *ins = xasprintf("INSERT INTO predictions (trace_id, mode, rewrite, scan, risk, verdict) "
                          "VALUES (%lld, 'AccessExclusiveLock', 1, 0, 'high', 'confirmed')",
                          tid);
    CHECK(sqlite3_exec(store_db(s), ins, NULL, NULL, NULL) == SQLITE_OK, "prediction inserted");
    free(ins);
    CHECK(store_run_finish(s, run, "complete", &err) == 0, "finish: %s", err.msg);

    Buf out;
    buf_init(&out);
    CHECK(report_json(s, run, &out, &err) == 0, "report_json: %s", err.msg);
    Buf none;
    buf_init(&none);
    CHECK(report_json(s, 77, &none, &err) < 0 && err.code == 2, "no run 77: %s", err.msg);
    buf_free(&none);
    store_close(s);

    sqlite3_open(":memory:", &jdb);
    if (out.data) {
        check_report(out.data);
        check_commands(db, out.data);
    }
    sqlite3_close(jdb);
    buf_free(&out);
    free(db);
    free(lm);
    remove_tree(dir);
    return t_done("test_report_json");
}
