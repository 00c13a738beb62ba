/*
 * test_gate: the CI gates (report/gate.c): the line of a failing statement,
 * analyze --ci over predictions, run --ci over a run, with versions grouped
 * when the reason is the same.
 */
#include <stdlib.h>

#include "report/gate.h"
#include "t.h"

static void test_shorten(void)
{
    static const struct {
        const char *sql;
        size_t max;
        const char *want, *what;
    } cases[] = {
        {"ALTER   TABLE\n  t\tADD COLUMN c int", 100, "ALTER TABLE t ADD COLUMN c int",
         "whitespace collapsed"},
        {"ALTER TABLE t ADD COLUMN c int", 11, "ALTER TABLE...", "cut"},
        {"\xc3\xa9\xc3\xa9\xc3\xa9", 2, "\xc3\xa9\xc3\xa9...", "utf-8 kept whole"},
        {"ALTER TABLE t -- why\n  ADD COLUMN c int", 100, "ALTER TABLE t ADD COLUMN c int",
         "comments left out"},
    };
    Buf b;
    buf_init(&b);
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        buf_reset(&b);
        gate_shorten(cases[i].sql, cases[i].max, &b);
        CHECK_STR(b.data, cases[i].want, "%s", cases[i].what);
    }
    buf_reset(&b);
    gate_line(&b, "m.sql", 3, "ALTER TABLE t ADD COLUMN c int", "10-17", "reason");
    CHECK_STR(b.data, "m.sql:3: \"ALTER TABLE t ADD COLUMN c int\" on 10-17: reason", "ci line");
    buf_reset(&b);
    gate_line(&b, NULL, 3, "SELECT 1", "10", "reason");
    CHECK_STR(b.data, "?:3: \"SELECT 1\" on 10: reason", "no path");
    buf_free(&b);
}

static void test_predictions(void)
{
    VersionSet vs = {.v = {10, 11, 12, 13, 14}, .n = 5};
    Prediction high = {.predicted = true,
                       .mode = 7,
                       .rewrite = TRI_YES,
                       .scan = TRI_NO,
                       .others = {-1, -1},
                       .risk = RISK_HIGH,
                       .cls = "alter_table_set_type",
                       .note = ""};
    Prediction p[5] = {high, high, high, high, high};
    p[2].note = "unless binary coercible";
    p[3].risk = RISK_LOW;
    bool have[5] = {true, true, true, true, false};
    Statement st = {.line = 4, .sql = "ALTER TABLE t ALTER c TYPE bigint"};
    Migration m = {.path = "db/1.sql"};
    Buf msgs;
    buf_init(&msgs);
    size_t n = gate_predictions(&msgs, &m, &st, &vs, p, have, RISK_MEDIUM);
    CHECK(n == 3, "three versions above medium: %zu", n);
    CHECK_STR(msgs.data,
              "db/1.sql:4: \"ALTER TABLE t ALTER c TYPE bigint\" on 10-11: risk high above medium: "
              "alter_table_set_type takes AccessExclusiveLock, rewrites the table\n"
              "db/1.sql:4: \"ALTER TABLE t ALTER c TYPE bigint\" on 12: risk high above medium: "
              "alter_table_set_type takes AccessExclusiveLock, rewrites the table (unless "
              "binary coercible)\n",
              "one line per run of versions with the same reason");
    buf_reset(&msgs);
    CHECK(gate_predictions(&msgs, &m, &st, &vs, p, have, RISK_CRITICAL) == 0 && msgs.len == 0,
          "nothing above critical");
    buf_free(&msgs);
}

static void test_run(void)
{
    /* statement 1 creates n; statement 2 fails on 10 and 11, is unsupported on
     * 9 (below --min-version 10) and risky on 12; statement 3 locks only n,
     * risky but created by the same migration. */
    TraceLock new_n = {
        .relation = "n", .role = "new", .mode = "AccessExclusiveLock", .granted = true};
    TraceLock on_n = {
        .relation = "n", .role = "table", .mode = "AccessExclusiveLock", .granted = true};
    Prediction risky = {.predicted = true,
                        .mode = 7,
                        .rewrite = TRI_YES,
                        .scan = TRI_NO,
                        .others = {-1, -1},
                        .risk = RISK_HIGH,
                        .verdict = VERDICT_CONFIRMED};
    RvResult r1[4], r2[4], r3[4];
    int versions[4] = {9, 10, 11, 12};
    for (int v = 0; v < 4; v++) {
        r1[v] = (RvResult){
            .major = versions[v], .traced = true, .status = "ok", .locks = &new_n, .nlocks = 1};
        r2[v] = (RvResult){.major = versions[v],
                           .traced = true,
                           .status = "error",
                           .sqlstate = "42883",
                           .message = "function f() does not exist"};
        r3[v] = (RvResult){.major = versions[v],
                           .traced = true,
                           .status = "ok",
                           .locks = &on_n,
                           .nlocks = 1,
                           .pred = risky};
    }
    r2[3] = (RvResult){.major = 12, .traced = true, .status = "ok", .pred = risky};
    RvStatement stmts[3] = {
        {.chain = 0,
         .position = 1,
         .migration = "m.sql",
         .line = 1,
         .sql = "CREATE TABLE n ()",
         .results = r1},
        {.chain = 0,
         .position = 1,
         .migration = "m.sql",
         .line = 2,
         .sql = "SELECT f()",
         .results = r2},
        {.chain = 0,
         .position = 1,
         .migration = "m.sql",
         .line = 3,
         .sql = "ALTER TABLE n ALTER c TYPE int",
         .results = r3},
    };
    RunView rv = {.versions = versions, .nversions = 4, .stmts = stmts, .nstmts = 3};
    Buf msgs;
    buf_init(&msgs);
    size_t n = gate_run(&rv, RISK_MEDIUM, 10, "lm", &msgs);
    CHECK(n == 3, "three failing results: %zu", n);
    CHECK_STR(msgs.data,
              "m.sql:2: \"SELECT f()\" on 10-11: failed on the server: 42883: function f() does "
              "not exist\n"
              "m.sql:2: \"SELECT f()\" on 12: risk high above medium: AccessExclusiveLock, "
              "rewrites the table\n"
              "lm: 4 statement versions above --max-risk medium lock only tables created earlier "
              "in the same migration (no other session uses them yet): not counted\n"
              "lm: not supported on 9 (below --min-version 10): 1 statements failed there, not "
              "counted\n",
              "failures, risks, and what is not counted");
    buf_reset(&msgs);
    n = gate_run(&rv, -1, 0, "lm", &msgs);
    CHECK(n == 3 && strstr(msgs.data, "on 9-11: failed on the server") != NULL &&
              strstr(msgs.data, "risk") == NULL,
          "no risk gate, every version counts: %zu\n%s", n, msgs.data);
    buf_free(&msgs);
}

int main(void)
{
    test_shorten();
    test_predictions();
    test_run();
    return t_done("test_gate");
}
