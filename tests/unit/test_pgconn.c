/*
 * test_pgconn: the libpq wrapper against a real server (LM_TEST_CONNINFO);
 * without one only the cases that need no server run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "runner/pgconn.h"
#include "tests/unit/servers.h"

typedef struct ExecCase {
    const char *name;
    const char *sql;
    int timeout_ms;
    PgStatus status;
    size_t nres;          /* results expected */
    const char *sqlstate; /* NULL: none */
    const char *message;  /* expected primary message, NULL: not checked */
    const char *value;    /* first column of the first row of the last result, NULL: not checked */
    double max_ms;        /* the reply must come before this */
} ExecCase;

static const ExecCase exec_cases[] = {
    {"one statement", "SELECT 42", 5000, PG_OK, 1, NULL, NULL, "42", 2000},
    {"several statements", "SELECT 1; SELECT 2; SELECT 'three'", 5000, PG_OK, 3, NULL, NULL,
     "three", 2000},
    {"refused", "SELECT * FROM no_such_table_here", 5000, PG_REFUSED, 1, "42P01",
     "relation \"no_such_table_here\" does not exist", NULL, 2000},
    {"refused in the middle stops the string", "SELECT 1; SELECT 1/0; SELECT 3", 5000, PG_REFUSED,
     2, "22012", "division by zero", NULL, 2000},
    {"syntax error", "SELEC 1", 5000, PG_REFUSED, 1, "42601", NULL, NULL, 2000},
    {"timeout cancels", "SELECT pg_sleep(20)", 300, PG_TIMEOUT, 1, "57014", NULL, NULL, 3000},
    {"usable after a timeout", "SELECT 'again'", 5000, PG_OK, 1, NULL, NULL, "again", 2000},
    {"copy from stdin is refused, not hung", "CREATE TEMP TABLE cp(x int); COPY cp FROM STDIN",
     5000, PG_REFUSED, 2, "57014", NULL, NULL, 2000},
    {"copy to stdout is drained",
     "COPY (SELECT generate_series(1, 10000)) TO STDOUT; SELECT 'after'", 5000, PG_OK, 2, NULL,
     NULL, "after", 3000},
    {"empty string", "", 5000, PG_OK, 1, NULL, NULL, NULL, 2000},
    {"notices are not printed", "DO $$ BEGIN RAISE NOTICE 'quiet'; END $$", 5000, PG_OK, 1, NULL,
     NULL, NULL, 2000},
};

static void run_exec_cases(PgConn *c)
{
    for (size_t i = 0; i < ARRAY_LEN(exec_cases); i++) {
        const ExecCase *k = &exec_cases[i];
        PgReply r;
        double t0 = now_ms();
        PgStatus s = pgconn_exec(c, k->sql, k->timeout_ms, &r);
        double ms = now_ms() - t0;
        CHECK(s == k->status && r.status == k->status, "%s: status %d, want %d (%s)", k->name, s,
              k->status, r.message ? r.message : "");
        CHECK(r.nres == k->nres, "%s: %zu results, want %zu", k->name, r.nres, k->nres);
        CHECK_STR(r.sqlstate, k->sqlstate ? k->sqlstate : "", "%s: sqlstate", k->name);
        if (k->message) CHECK_STR(r.message, k->message, "%s: message", k->name);
        if (k->value)
            CHECK_STR(pgreply_value(&r, r.nres - 1, 0, 0), k->value, "%s: value", k->name);
        CHECK(ms < k->max_ms, "%s: took %.1f ms", k->name, ms);
        pgreply_clear(&r);
    }
}

/* send + poll: the caller keeps working while the query runs */
static void run_send_poll(PgConn *c)
{
    Err err = {0};
    PgReply r;
    CHECK(pgconn_send(c, "SELECT pg_sleep(0.2), 'done'", &err) == 0, "send: %s", err.msg);
    CHECK(pgconn_send(c, "SELECT 1", &err) < 0, "a second send while busy is refused");
    int polls = 0, done = 0;
    double t0 = now_ms();
    while (!(done = pgconn_poll(c, 20, &r)) && now_ms() - t0 < 3000)
        polls++;
    CHECK(done, "the query completes");
    CHECK(polls >= 3, "poll returned while the query ran (%d polls)", polls);
    CHECK(r.status == PG_OK, "send/poll status %d", r.status);
    CHECK_STR(pgreply_value(&r, 0, 0, 1), "done", "send/poll value");
    CHECK(r.ms >= 150, "reply ms %.1f measured from the send", r.ms);
    pgreply_clear(&r);

    /* pgconn_wait with a deadline in the past cancels at once */
    CHECK(pgconn_send(c, "SELECT pg_sleep(20)", &err) == 0, "send: %s", err.msg);
    t0 = now_ms();
    PgStatus s = pgconn_wait(c, now_ms() + 100, &r);
    CHECK(s == PG_TIMEOUT, "wait past its deadline: %d", s);
    CHECK(now_ms() - t0 < 3000, "the cancel took %.1f ms", now_ms() - t0);
    pgreply_clear(&r);
}

/* waiting on several connections at once: the first to answer wakes the caller */
static void run_wait_any(const char *conninfo)
{
    Err err = {0};
    PgConn *slow = pgconn_connect(conninfo, 5000, &err);
    PgConn *fast = pgconn_connect(conninfo, 5000, &err);
    CHECK(slow && fast, "connect: %s", err.msg);
    if (!slow || !fast) {
        pgconn_close(slow);
        pgconn_close(fast);
        return;
    }
    PgReply r;
    CHECK(pgconn_send(slow, "SELECT pg_sleep(0.5)", &err) == 0, "send: %s", err.msg);
    CHECK(pgconn_send(fast, "SELECT 'fast'", &err) == 0, "send: %s", err.msg);
    PgConn *both[2] = {slow, fast};
    double t0 = now_ms();
    int got = 0, waits = 0;
    while (!got && now_ms() - t0 < 3000) {
        if (pgconn_wait_any(both, 2, 1000) < 0) break;
        waits++;
        got = pgconn_poll(fast, 0, &r);
    }
    CHECK(waits < 20, "no busy loop: %d waits", waits);
    CHECK(got && now_ms() - t0 < 400, "the fast one is seen first, after %.1f ms", now_ms() - t0);
    CHECK_STR(pgreply_value(&r, 0, 0, 0), "fast", "its value");
    pgreply_clear(&r);
    CHECK(pgconn_poll(slow, 0, &r) == 0, "the slow one still runs");
    CHECK(pgconn_wait(slow, now_ms() + 3000, &r) == PG_OK, "then completes");
    pgreply_clear(&r);
    CHECK(pgconn_wait_any(both, 2, 50) == 0, "nothing to read: the time passes");
    pgconn_close(slow);
    pgconn_close(fast);
}

/* the server ends the backend: PG_LOST, not PG_REFUSED */
static void run_lost(const char *conninfo)
{
    Err err = {0};
    PgConn *victim = pgconn_connect(conninfo, 5000, &err);
    PgConn *killer = pgconn_connect(conninfo, 5000, &err);
    CHECK(victim && killer, "connect: %s", err.msg);
    if (!victim || !killer) {
        pgconn_close(victim);
        pgconn_close(killer);
        return;
    }
    PgReply r;
    CHECK(pgconn_send(victim, "SELECT pg_sleep(20)", &err) == 0, "send: %s", err.msg);
    char *kill = xasprintf("SELECT pg_terminate_backend(%d)", pgconn_pid(victim));
    pgconn_exec(killer, kill, 5000, &r);
    free(kill);
    pgreply_clear(&r);
    PgStatus s = pgconn_wait(victim, now_ms() + 5000, &r);
    CHECK(s == PG_LOST, "terminated backend: status %d (%s)", s, r.message ? r.message : "");
    CHECK(r.message != NULL, "a reason is given");
    CHECK(!pgconn_ok(victim), "the connection is no longer ok");
    pgreply_clear(&r);
    s = pgconn_exec(victim, "SELECT 1", 1000, &r);
    CHECK(s == PG_LOST, "exec on a lost connection: %d", s);
    pgreply_clear(&r);
    pgconn_close(victim);
    pgconn_close(killer);
}

/* pgconn_query_value: connect, one value, close, within one budget. */
static void run_query_value(const char *conninfo, int major)
{
    static const struct {
        const char *sql;
        int timeout_ms;
        int rc;
        const char *value;   /* "MAJOR": the server's major first; NULL: no value */
        const char *message; /* in err.msg when rc is -1 */
    } cases[] = {
        {"SHOW server_version", 5000, 0, "MAJOR", NULL},
        {"SELECT 'a', 'b' UNION ALL SELECT 'c', 'd'", 5000, 0, "a", NULL},
        {"SELECT NULL", 5000, 0, NULL, NULL},
        {"SELECT 1 WHERE false", 5000, 0, NULL, NULL},
        {"SET work_mem = '4MB'; SELECT 'second'", 5000, 0, "second", NULL},
        {"SELECT * FROM no_such_relation", 5000, -1, NULL, "\"no_such_relation\" does not exist"},
        {"SELECT pg_sleep(10)", 400, -1, NULL, "\"SELECT pg_sleep(10)\" timed out after 400 ms"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        Err err = {0};
        char *v = NULL;
        double t0 = now_ms();
        int rc = pgconn_query_value(conninfo, cases[i].sql, cases[i].timeout_ms, &v, &err);
        double ms = now_ms() - t0;
        CHECK(rc == cases[i].rc, "query_value %zu: rc %d: %s", i, rc, err.msg);
        if (cases[i].value && strcmp(cases[i].value, "MAJOR") == 0)
            CHECK(v && (major == 0 || atoi(v) == version_major(major)), "query_value %zu: %s", i,
                  v ? v : "(null)");
        else
            CHECK_STR(v, cases[i].value, "query_value %zu", i);
        if (cases[i].message)
            CHECK(err.code == EXIT_ENV && strstr(err.msg, cases[i].message), "query_value %zu: %s",
                  i, err.msg);
        CHECK(ms < cases[i].timeout_ms + 3000, "query_value %zu took %.0f ms", i, ms);
        free(v);
    }
}

/* The server cases, against one server. */
static void run_server(const char *conninfo, int major)
{
    run_query_value(conninfo, major);
    Err err = {0};
    PgConn *c = pgconn_connect(conninfo, 5000, &err);
    CHECK(c != NULL, "connect: %s", err.msg);
    if (!c) return;
    CHECK(pgconn_ok(c), "connection ok");
    CHECK(pgconn_pid(c) > 0, "backend pid");
    CHECK(pgconn_server_version(c) >= 100000, "server version %d", pgconn_server_version(c));
    run_exec_cases(c);
    run_send_poll(c);
    pgconn_close(c);
    run_wait_any(conninfo);
    run_lost(conninfo);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    Err err = {0};
    /* no server there: an environment error, quickly */
    double t0 = now_ms();
    PgConn *none = pgconn_connect("host=/nonexistent/socket/dir dbname=x", 2000, &err);
    CHECK(none == NULL && err.code == 3, "connect to a missing server fails with code 3");
    CHECK(strncmp(err.msg, "could not connect to the server: ", 33) == 0, "message: %s", err.msg);
    CHECK(now_ms() - t0 < 2500, "connect failure took %.1f ms", now_ms() - t0);
    pgconn_close(none);

    /* a server that takes the connection and never answers: the budget holds */
    char sdir[] = "/tmp/lm-test-pgconn.XXXXXX";
    int silent = -1;
    if (mkdtemp(sdir)) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/.s.PGSQL.5432", sdir);
        silent = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (silent >= 0 &&
            (bind(silent, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(silent, 8) != 0)) {
            close(silent);
            silent = -1;
        }
    }
    CHECK(silent >= 0, "a silent server in %s", sdir);
    const struct {
        const char *host;
        const char *message;
    } nowhere[] = {
        {"/nonexistent/socket/dir", "could not connect to the server: "},
        {sdir, "could not connect to the server: timed out after 300 ms"},
    };
    for (size_t i = 0; i < ARRAY_LEN(nowhere); i++) {
        char *ci = xasprintf("host=%s port=5432 dbname=x", nowhere[i].host);
        char *v = NULL;
        err_clear(&err);
        t0 = now_ms();
        int rc = pgconn_query_value(ci, "SELECT 1", 300, &v, &err);
        CHECK(rc == -1 && v == NULL && err.code == EXIT_ENV, "query_value to %s: %d", ci, rc);
        CHECK(strncmp(err.msg, nowhere[i].message, strlen(nowhere[i].message)) == 0,
              "query_value to %s: %s", ci, err.msg);
        CHECK(now_ms() - t0 < 1000, "query_value to %s took %.0f ms", ci, now_ms() - t0);
        free(ci);
    }
    if (silent >= 0) close(silent);
    remove_tree(sdir);

    t_with_servers(run_server);
    return t_done("test_pgconn");
}
