/*
 * test_report_render: the human reports (text, markdown, html, sarif), the
 * run-to-run diff and the report command, on runs written to a real SQLite
 * store with hand-made traces.
 *
 * Run 1 (10, 11, 12): one migration whose statements each differ across
 * versions in one way (a rewrite on 10 only, ShareLock then
 * ShareUpdateExclusiveLock, an error on 10-11), one that does not, and a
 * hostile migration: <script> in a comment, in a quoted identifier, in relation
 * names and messages, pipes, backticks, ANSI escapes and other control
 * characters, a bidi override, in its path too. Predictions give verdicts and
 * risks. Run 2 changes some observations, drops a statement, adds one and has a
 * newer 12; run 3 repeats run 1.
 */
#include <libgen.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "predict/locktable.h"
#include "report/diff.h"
#include "report/render.h"
#include "report/report.h"
#include "report/svg.h"
#include "store/internal.h" /* the file itself, to check and alter rows */
#include "t.h"

static char dir[] = "/tmp/lm_test_report_render_XXXXXX";

#define EVIL_ID "<script>alert(1)</script>"
#define EVIL_SQL                                                                                   \
    "-- a comment, not shown on one line\n"                                                        \
    "CREATE TABLE \"" EVIL_ID "\" (\"a|b`c\" text DEFAULT ' | `tick` \x1b[31mRED\x1b[0m "          \
    "bell\x07 \xe2\x80\xae -- in a string', \"<img src=x onerror=alert(2)>\" text)"
#define EVIL_PATH "cases/evil <b>|`x`\x1b[1m.sql"
#define EVIL_MSG "syntax error at or near \"" EVIL_ID "\" \x1b[2J\x1b]0;pwned\x07"

/* ---- the corpus of run 1 (and 3), and of run 2 ----------------------------------- */

static Statement m0_a[] = {
    {1, 1, "CREATE TABLE users (id int)", 101, {.cls = "CREATE TABLE", .target = "users"}},
    {2,
     2,
     "ALTER TABLE users ADD COLUMN a int DEFAULT 0",
     102,
     {.cls = "ALTER TABLE ADD COLUMN DEFAULT constant", .target = "users"}},
    {3, 4, "CREATE INDEX users_a ON users (a)", 103, {.cls = "CREATE INDEX", .target = "users"}},
    {4,
     5,
     "ALTER TABLE users ADD COLUMN b int GENERATED ALWAYS AS IDENTITY",
     104,
     {.cls = "ALTER TABLE ADD COLUMN IDENTITY", .target = "users"}},
    {5,
     7,
     "ALTER TABLE users ADD CONSTRAINT c CHECK (a > 0 AND a < 1000000 AND a <> 42 AND a <> 43 "
     "AND a <> 44 AND a <> 45 AND a <> 46 AND a <> 47 AND a <> 48 AND a <> 49 AND a <> 50 AND "
     "a <> 51)",
     105,
     {.cls = "ALTER TABLE ADD CONSTRAINT CHECK", .target = "users"}},
};
static Statement m0_b[] = {
    {1, 1, "CREATE TABLE users (id int)", 101, {.cls = "CREATE TABLE", .target = "users"}},
    {2,
     2,
     "ALTER TABLE users ADD COLUMN a int DEFAULT 0",
     102,
     {.cls = "ALTER TABLE ADD COLUMN DEFAULT constant", .target = "users"}},
    {3, 4, "CREATE INDEX users_a ON users (a)", 103, {.cls = "CREATE INDEX", .target = "users"}},
    {4,
     5,
     "ALTER TABLE users ADD COLUMN b int GENERATED ALWAYS AS IDENTITY",
     104,
     {.cls = "ALTER TABLE ADD COLUMN IDENTITY", .target = "users"}},
    {5,
     7,
     "ALTER TABLE users DROP COLUMN b",
     106,
     {.cls = "ALTER TABLE DROP COLUMN", .target = "users"}},
};
static Statement m1[] = {
    {1, 3, EVIL_SQL, 201, {.cls = "CREATE TABLE", .target = EVIL_ID}},
};
static Migration migs_a[] = {
    {.path = "cases/add_column.sql", .stmts = m0_a, .nstmts = ARRAY_LEN(m0_a)},
    {.path = EVIL_PATH, .stmts = m1, .nstmts = ARRAY_LEN(m1)},
};
static Migration migs_b[] = {
    {.path = "cases/add_column.sql", .stmts = m0_b, .nstmts = ARRAY_LEN(m0_b)},
    {.path = EVIL_PATH, .stmts = m1, .nstmts = ARRAY_LEN(m1)},
};
static Chain chain_a = {.name = "cases", .migs = migs_a, .nmigs = 2, .nstmts = 6};
static Chain chain_b = {.name = "cases", .migs = migs_b, .nmigs = 2, .nstmts = 6};
static Corpus corpus_a = {.chains = &chain_a, .nchains = 1};
static Corpus corpus_b = {.chains = &chain_b, .nchains = 1};

/* ---- traces ------------------------------------------------------------------------ */

static TraceLock l_new[] = {{"users", "new", "relation", "AccessExclusiveLock", true, false}};
static TraceLock l_ax[] = {{"users", "table", "relation", "AccessExclusiveLock", true, false},
                           {"7/12", "virtualxid", "virtualxid", "ExclusiveLock", true, false}};
static TraceLock l_share[] = {{"users", "table", "relation", "ShareLock", true, false}};
static TraceLock l_sux[] = {
    {"users", "table", "relation", "ShareUpdateExclusiveLock", true, false}};
static TraceLock l_evil_ax[] = {{EVIL_ID, "table", "relation", "AccessExclusiveLock", true, false}};
static TraceLock l_evil_srx[] = {
    {EVIL_ID, "table", "relation", "ShareRowExclusiveLock", true, false}};
static char *rw_users[] = {"users"};
static char *rw_evil[] = {EVIL_ID "\x1b[31m"};
static TraceScan sc_users[] = {{"users", 1, 100}};

static Trace T(int mig, int stmt, TraceLock *l, size_t nl)
{
    return (Trace){.mig = mig,
                   .stmt = stmt,
                   .status = TRACE_OK,
                   .capture = "tx",
                   .duration_ms = 1,
                   .locks = l,
                   .nlocks = nl};
}

static void error(Trace *t, const char *sqlstate, const char *msg)
{
    t->status = TRACE_ERROR;
    snprintf(t->sqlstate, sizeof(t->sqlstate), "%s", sqlstate);
    t->message = (char *)msg;
    t->nlocks = 0;
}

/* The traces of run variant 'A' (runs 1 and 3) or 'B' (run 2) on major. */
static size_t traces_for(char variant, int major, Trace *t)
{
    size_t n = 0;
    t[n++] = T(0, 0, l_new, 1);
    Trace s2 = T(0, 1, l_ax, 2);
    if (major == 10 || (variant == 'B' && major == 11)) {
        s2.rewrites = rw_users;
        s2.nrewrites = 1;
    }
    t[n++] = s2;
    t[n++] = T(0, 2, major == 12 && variant == 'A' ? l_sux : l_share, 1);
    Trace s4 = T(0, 3, l_ax, 1);
    if (major <= 11 && !(variant == 'B' && major == 10))
        error(&s4, "42601", "syntax error at or near \"GENERATED\"");
    t[n++] = s4;
    Trace s5 = T(0, 4, l_ax, 1);
    if (variant == 'A') {
        s5.scans = sc_users;
        s5.nscans = 1;
    }
    t[n++] = s5;
    Trace e1 = T(1, 0, major == 10 ? l_evil_ax : l_evil_srx, 1);
    if (major == 10) {
        e1.rewrites = rw_evil;
        e1.nrewrites = 1;
    }
    if (major == 12) error(&e1, "42601", EVIL_MSG);
    if (variant == 'B' && major == 11) {
        /* another lock, seen by a sampling observer: listed, not a regression */
        e1.locks = l_evil_ax;
        snprintf(e1.capture, sizeof(e1.capture), "poll");
    }
    t[n++] = e1;
    return n;
}

static const struct {
    int mig, stmt, major;
    const char *mode;
    int rewrite;
    const char *risk, *verdict;
} predictions[] = {
    {0, 1, 10, "AccessExclusiveLock", 1, "high", "confirmed"},
    {0, 1, 11, "AccessExclusiveLock", 1, "high", "mismatch"},
    {0, 1, 12, "AccessExclusiveLock", 0, "low", "confirmed"},
    {0, 2, 12, "ShareLock", 0, "medium", "mismatch"},
    {1, 0, 10, "AccessExclusiveLock", 0, "critical", "confirmed"},
};

static long long write_run(Store *s, char variant, const char *v12, const char *corpus, Err *err)
{
    /* A also selects 13, whose job fails before tracing anything */
    VersionSet vs = {.v = {10, 11, 12, 13}, .n = variant == 'A' ? 4 : 3};
    Corpus *c = variant == 'B' ? &corpus_b : &corpus_a;
    RunInfo ri = {.corpus = corpus,
                  .versions = &vs,
                  .backend = "embedded",
                  .jobs = 2,
                  .tool_version = "0.1.0"};
    long long run = 0;
    if (store_run_begin(s, &ri, c, &run, err) < 0) return -1;
    const char *servers[] = {"10.23", "11.22", v12};
    for (int m = 10; m <= 12; m++) {
        if (store_put_server(s, run, m, servers[m - 10], err) < 0) return -1;
        Trace t[16];
        size_t n = traces_for(variant, m, t);
        JobResult jr = {
            .chain = 0, .major = m, .status = "ok", .attempts = 1, .traces = t, .ntraces = n};
        if (store_put_job(s, run, c, &jr, err) < 0) return -1;
    }
    if (variant == 'A') {
        JobResult failed = {
            .chain = 0, .major = 13, .status = "failed", .reason = "server gone", .attempts = 2};
        if (store_put_job(s, run, c, &failed, err) < 0) return -1;
    }
    for (size_t i = 0; variant == 'A' && i < ARRAY_LEN(predictions); i++) {
        long long tid = 0;
        store_trace_id(s, run, 0, predictions[i].mig, predictions[i].stmt, predictions[i].major,
                       &tid, err);
        char *sql =
            xasprintf("INSERT INTO predictions (trace_id, mode, rewrite, scan, risk, verdict)"
                      " VALUES (%lld, '%s', %d, 0, '%s', '%s')",
                      tid, predictions[i].mode, predictions[i].rewrite, predictions[i].risk,
                      predictions[i].verdict);
        int rc = sqlite3_exec(store_db(s), sql, NULL, NULL, NULL);
        free(sql);
        if (rc != SQLITE_OK || tid == 0)
            return err_set(err, EXIT_ENV, "prediction %zu not written", i);
    }
    if (store_run_finish(s, run, "complete", err) < 0) return -1;
    return run;
}

/* ---- the shared helpers --------------------------------------------------------------- */

static void test_helpers(void)
{
    static const struct {
        const char *in;
        bool collapse;
        const char *clean, *html, *md;
    } texts[] = {
        {"a  b\n\tc ", true, "a b c", "a b c", "a b c"},
        {"a\r\nb\tc", false, "a\nb\tc", "a\nb\tc", NULL},
        {"\x1b[31mred\x07", true, "\\x1b[31mred\\x07", "\\x1b[31mred\\x07",
         "\\\\x1b\\[31mred\\\\x07"},
        {"<script>&'\"", true, "<script>&'\"", "&lt;script&gt;&amp;&#39;&quot;",
         "&lt;script&gt;&amp;'\""},
        {"a|b`c*d_e[f]~#", true, "a|b`c*d_e[f]~#", "a|b`c*d_e[f]~#",
         "a\\|b\\`c\\*d\\_e\\[f\\]\\~\\#"},
        {"x\xe2\x80\xaey\xc2\x85z\x7f", true, "x\\u202ey\\u0085z\\x7f", NULL, NULL},
        {"bad\xff\xc3(", true, "bad\\xff\\xc3(", NULL, NULL},
        {"caf\xc3\xa9 \xe2\x9c\x93", true, "caf\xc3\xa9 \xe2\x9c\x93", NULL, NULL},
    };
    for (size_t i = 0; i < ARRAY_LEN(texts); i++) {
        Buf b;
        buf_init(&b);
        buf_puts(&b, "");
        render_clean(&b, texts[i].in, texts[i].collapse);
        CHECK_STR(b.data, texts[i].clean, "clean %zu", i);
        if (texts[i].html) {
            buf_reset(&b);
            buf_puts(&b, "");
            render_html(&b, texts[i].in, texts[i].collapse);
            CHECK_STR(b.data, texts[i].html, "html %zu", i);
        }
        if (texts[i].md) {
            buf_reset(&b);
            buf_puts(&b, "");
            render_md(&b, texts[i].in);
            CHECK_STR(b.data, texts[i].md, "md %zu", i);
        }
        buf_free(&b);
    }

    /* wrapping: no line over the width, words kept, a cut marked */
    Buf w;
    buf_init(&w);
    render_wrap(&w, "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk", "  ", 22, 0);
    CHECK_STR(w.data, "  aaaa bbbb cccc dddd\n  eeee ffff gggg hhhh\n  iiii jjjj kkkk\n", "wrap");
    buf_reset(&w);
    render_wrap(&w, "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk", "  ", 22, 2);
    CHECK_STR(w.data, "  aaaa bbbb cccc dddd\n  eeee ffff gggg hh...\n", "wrap cut");
    buf_reset(&w);
    render_wrap(&w, "abcdefghijklmnopqrstuvwxyz0123456789", "", 20, 0);
    CHECK_STR(w.data, "abcdefghijklmnopqrst\nuvwxyz0123456789\n", "a long word is cut");
    buf_free(&w);

    /* the lock table: 8 modes, the ranks of runview, levels that only grow */
    for (int k = 0; k < LOCK_MODES; k++) {
        const LockMode *m = lock_mode(k);
        CHECK(m && strcmp(m->name, lock_mode_name(k)) == 0, "mode %d", k);
        CHECK(k == 0 || m->level >= lock_mode(k - 1)->level, "levels grow at %d", k);
    }
    CHECK(lock_mode(-1) == NULL && lock_mode(8) == NULL, "no meaning outside 0..7");
    CHECK_STR(lock_mode(7)->blocks, "blocks reads and writes", "AccessExclusiveLock");
    CHECK_STR(lock_mode(4)->blocks, "blocks writes, not reads", "ShareLock");
    CHECK_STR(lock_mode(3)->blocks, "blocks DDL and VACUUM, not reads or writes", "SUX");
    CHECK(risk_parse("high") == 3 && risk_parse("bogus") == -1 && risk_parse("none") == 0 &&
              risk_parse("safe") == 0,
          "risk ranks");
}

/* ---- the formats ------------------------------------------------------------------------ */

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* No hostile string gets through raw; true when clean. markup: <script> and
 * <img> count too (not in a terminal, where they are inert text). */
static bool no_raw(const char *out, bool allow_sgr, bool markup)
{
    if (markup &&
        (strstr(out, "<script>alert") || strstr(out, "<img src=x") || strstr(out, "</script>\""))) {
        printf("# raw <script>/<img> in output\n");
        return false;
    }
    for (const char *p = out; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == 0x1b) {
            if (!allow_sgr || p[1] != '[')
                return printf("# raw ESC at %zu\n", (size_t)(p - out)), false;
            const char *q = p + 2;
            while ((*q >= '0' && *q <= '9') || *q == ';')
                q++;
            if (*q != 'm') return printf("# ESC not an SGR at %zu\n", (size_t)(p - out)), false;
            continue;
        }
        if ((c < 0x20 && c != '\n') || c == 0x7f)
            return printf("# raw control 0x%02x at %zu\n", c, (size_t)(p - out)), false;
        if (c == 0xe2 && (unsigned char)p[1] == 0x80 && (unsigned char)p[2] == 0xae)
            return printf("# raw bidi override\n"), false;
    }
    return true;
}

static bool no_raw_evil(const char *out, bool allow_sgr)
{
    return no_raw(out, allow_sgr, true);
}

static sqlite3 *jdb;

static const char *jq(const char *json, const char *sql)
{
    static char out[4096];
    sqlite3_stmt *st;
    snprintf(out, sizeof(out), "(none)");
    if (sqlite3_prepare_v2(jdb, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(out, sizeof(out), "(error: %s)", sqlite3_errmsg(jdb));
        return out;
    }
    sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(out, sizeof(out), "%s", t ? (const char *)t : "(sqlnull)");
    }
    sqlite3_finalize(st);
    return out;
}

static const char *explain_1[] = {
    "rewrites users on 10; metadata-only on 11-12",
    "ShareLock on 10-11; ShareUpdateExclusiveLock on 12",
};
/* Failing on some versions only is no difference: the per-version summary
 * counts it (ADD COLUMN IDENTITY: error on 10-11, ok on 12) */
static const char *not_specific = "error 42601 on 10-11; ok on 12";

static void test_text(const RunView *rv)
{
    ReportOpts o;
    render_opts_init(&o);
    Buf out;
    buf_init(&out);
    report_text(&(RenderInput){.run = rv}, &o, &out);
    const char *t = out.data;
    for (size_t i = 0; i < ARRAY_LEN(explain_1); i++) {
        char *want = xasprintf("* version-specific: %s\n", explain_1[i]);
        CHECK(strstr(t, want) != NULL, "text has \"%s\"", explain_1[i]);
        free(want);
    }
    CHECK(strstr(t, not_specific) == NULL, "a failure on some versions is not version-specific");
    CHECK(strstr(t, "per version:\n  10: 6 run, 5 ok, 1 failed, 0 aborted, 0 not run\n"
                    "      first failure cases/add_column.sql:5: 42601 syntax error at or near "
                    "\"GENERATED\"; after it 0\n      aborted, 0 not run\n") != NULL,
          "per version: 10 and its first failure");
    CHECK(strstr(t, "\n  13: 0 run, 0 ok, 0 failed, 0 aborted, 6 not run\n\n") != NULL,
          "per version: 13 never ran");
    CHECK(strstr(t, "per version:") < strstr(t, "Cells:"), "the per-version summary comes first");
    CHECK(strstr(t, "== By class: strongest lock") != NULL, "class summary");
    CHECK(strstr(t, "* 1 of 1 version-specific: rewrites on 10; metadata-only on 11-12") != NULL,
          "class explanation without names");
    CHECK(strstr(t, "AX R=") != NULL && strstr(t, "AX!") != NULL, "cells with verdicts");
    CHECK(strstr(t, "SUX!") != NULL, "a mismatch mark");
    CHECK(strstr(t, "E42601") != NULL, "error cell");
    CHECK(strstr(t, "   10      11      12      13\n") != NULL, "a column per version");
    CHECK(strstr(t, "E42601  AX      .\n") != NULL, "a version not traced is a dot");
    CHECK(strstr(t, "AX S ") != NULL || strstr(t, "AX S\n") != NULL, "scan flag");
    CHECK(strstr(t, "blocks reads and writes") != NULL, "legend says what AX blocks");
    CHECK(strstr(t, "error 42601 on 10-11: syntax error at or near \"GENERATED\"") != NULL,
          "error message line");
    CHECK(strstr(t, "\\x1b[31mRED") != NULL, "the ESC of the SQL shown as \\x1b");
    CHECK(strstr(t, "\\u202e") != NULL, "bidi override shown");
    CHECK(strstr(t, "a comment, not shown") == NULL, "a -- comment is not shown on one line");
    CHECK(strstr(t, "-- in a string") != NULL, "-- inside a string is kept");
    bool raw = false;
    for (const char *p = t; *p; p++)
        raw |= ((unsigned char)*p < 0x20 && *p != '\n') || *p == 0x7f;
    CHECK(!raw, "no control character reaches the terminal");
    /* every line fits 100 columns */
    size_t longest = 0, line = 0;
    for (const char *p = t; *p; p++) {
        if (*p == '\n') {
            if (line > longest) longest = line;
            line = 0;
        } else if (((unsigned char)*p & 0xC0) != 0x80) {
            line++;
        }
    }
    CHECK(longest <= 100, "longest line %zu columns", longest);
    CHECK(strstr(t, "6 statements in 2 migrations: 3 version-specific, 3 errors, 2 mismatches") !=
              NULL,
          "footer counts");

    /* colour: SGR sequences only, and the same text once they are removed */
    o.color = true;
    Buf col;
    buf_init(&col);
    report_text(&(RenderInput){.run = rv}, &o, &col);
    CHECK(strstr(col.data, "\x1b[31mAX") != NULL, "AccessExclusiveLock in red");
    CHECK(no_raw(col.data, true, false), "only SGR escapes in colour");
    Buf stripped;
    buf_init(&stripped);
    for (const char *p = col.data; *p; p++) {
        if (*p == 0x1b) {
            while (*p != 'm')
                p++;
            continue;
        }
        buf_putc(&stripped, *p);
    }
    CHECK_STR(stripped.data, t, "colour adds escapes only");
    buf_free(&stripped);
    buf_free(&col);
    buf_free(&out);
}

/* Unescaped pipes of a Markdown table line. */
static int md_pipes(const char *line, size_t n)
{
    int k = 0;
    for (size_t i = 0; i < n; i++)
        if (line[i] == '|' && (i == 0 || line[i - 1] != '\\')) k++;
    return k;
}

static void test_markdown(const RunView *rv)
{
    ReportOpts o;
    render_opts_init(&o);
    Buf out;
    buf_init(&out);
    report_markdown(&(RenderInput){.run = rv}, &o, &out);
    const char *m = out.data;
    for (size_t i = 0; i < ARRAY_LEN(explain_1); i++) {
        char *want = xasprintf("**version-specific**: %s", explain_1[i]);
        CHECK(strstr(m, want) != NULL, "markdown has \"%s\"", explain_1[i]);
        free(want);
    }
    CHECK(strstr(m, not_specific) == NULL, "markdown: a failure is no difference");
    CHECK(strstr(m, "Per version:\n\n- 10: 6 run, 5 ok, 1 failed, 0 aborted, 0 not run; first "
                    "failure cases/add\\_column.sql:5: 42601 syntax error") != NULL,
          "markdown: per version");
    CHECK(strstr(m, "| # | line | statement | 10 | 11 | 12 | 13 | notes |") != NULL,
          "matrix header");
    CHECK(strstr(m, "| AX | AccessExclusiveLock | blocks reads and writes |") != NULL, "legend");
    CHECK(strstr(m, "\\| \\`tick\\`") != NULL, "pipe and backticks escaped");
    CHECK(strstr(m, "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL, "<script> as entities");
    CHECK(strstr(m, "### cases/evil &lt;b&gt;\\|\\`x\\`\\\\x1b\\[1m.sql") != NULL,
          "hostile path escaped: %s",
          strstr(m, "### cases/evil") ? strstr(m, "### cases/evil") : "");
    CHECK(no_raw_evil(m, false), "no raw hostile string in markdown");
    CHECK(strstr(m, "<b>") == NULL, "no raw <b> from the path");
    /* every table row has as many cells as its header */
    int want = -1;
    bool ok = true;
    for (const char *p = m; *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n && p[0] == '|') {
            int k = md_pipes(p, n);
            if (want < 0)
                want = k;
            else if (k != want) {
                ok = false;
                printf("# row with %d pipes, header %d: %.*s\n", k, want, (int)n, p);
            }
        } else {
            want = -1;
        }
        p = e ? e + 1 : p + n;
    }
    CHECK(ok, "no cell breaks its table");
    buf_free(&out);
}

static void test_html(const RunView *rv)
{
    ReportOpts o;
    render_opts_init(&o);
    Buf out;
    buf_init(&out);
    report_html(&(RenderInput){.run = rv}, &o, &out);
    const char *h = out.data;
    CHECK(strncmp(h, "<!DOCTYPE html>", 15) == 0, "doctype");
    CHECK(count(h, "<script") == 1, "one script element, ours: %zu", count(h, "<script"));
    CHECK(count(h, "<img") == 0, "no img element");
    CHECK(strstr(h, "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL, "escaped identifier");
    CHECK(strstr(h, "&lt;img src=x onerror=alert(2)&gt;") != NULL, "escaped img");
    CHECK(no_raw_evil(h, false), "no raw hostile string in html");
    CHECK(strstr(h, "http://") == NULL && strstr(h, "https://") == NULL &&
              strstr(h, " src=\"") == NULL && strstr(h, " href=\"") == NULL,
          "no external asset");
    CHECK(strstr(h, "Content-Security-Policy") != NULL, "CSP");
    CHECK(strstr(h, "<table id=\"matrix\"") != NULL, "matrix table");
    CHECK(strstr(h, "<ul class=\"per-version\">\n<li class=\"bad\">10: 6 run, 5 ok, 1 failed") !=
              NULL,
          "html: per version");
    CHECK(count(h, "<tr data-vs=\"1\"") == 3 && count(h, "<tr data-vs=\"0\"") == 3,
          "version-specific rows flagged");
    for (size_t i = 0; i < ARRAY_LEN(explain_1); i++)
        CHECK(strstr(h, explain_1[i]) != NULL, "html has \"%s\"", explain_1[i]);
    CHECK(strstr(h, "<details><summary>SQL</summary><pre>") != NULL, "SQL on demand");
    CHECK(strstr(h, "<td class=\"c l3\"") != NULL && strstr(h, "<td class=\"c l2\"") != NULL,
          "colour by lock strength");
    buf_free(&out);
}

static void test_sarif(const RunView *rv)
{
    ReportOpts o;
    render_opts_init(&o);
    Buf out;
    buf_init(&out);
    report_sarif(&(RenderInput){.run = rv}, &o, &out);
    const char *s = out.data;
    CHECK_STR(jq(s, "SELECT json_valid(?1)"), "1", "valid JSON");
    CHECK_STR(jq(s, "SELECT json_extract(?1, '$.version')"), "2.1.0", "version");
    CHECK_STR(jq(s, "SELECT json_extract(?1, '$.runs[0].tool.driver.name')"), "lockmatrix", "tool");
    CHECK_STR(jq(s, "SELECT group_concat(json_extract(value, '$.id')) FROM "
                    "json_each(?1, '$.runs[0].tool.driver.rules')"),
              "LM001,LM002,LM003,LM004", "rules");
    /* the per-version summary: the invocation's notifications, one per version */
    CHECK_STR(
        jq(s,
           "SELECT group_concat(json_extract(value, '$.level') || ':' || "
           "json_extract(value, '$.properties.version') || ':' || "
           "json_extract(value, '$.properties.failed') || ':' || "
           "ifnull(json_extract(value, '$.locations[0].physicalLocation.region.startLine'), "
           "'-'), ' ') FROM json_each(?1, '$.runs[0].invocations[0].toolExecutionNotifications')"),
        "warning:10:1:5 warning:11:1:5 warning:12:1:3 note:13:0:-", "sarif: per version");
    CHECK_STR(jq(s, "SELECT json_extract(?1, '$.runs[0].invocations[0].executionSuccessful')"), "1",
              "sarif: an invocation");
    /* mismatch of s2 (11), of s3 (12); the server's error of the statement at line 5; risk
     * of s2 (high on 10-11), of e1 (critical on 10) and e1's error */
    CHECK_STR(jq(s, "SELECT group_concat(json_extract(value, '$.ruleId') || '@' || "
                    "json_extract(value, '$.locations[0].physicalLocation.region.startLine'), ' ') "
                    "FROM json_each(?1, '$.runs[0].results')"),
              "LM001@2 LM003@2 LM001@4 LM004@5 LM003@3 LM004@3", "results");
    CHECK_STR(jq(s, "SELECT json_extract(?1, '$.runs[0].results[0].message.text')"),
              "ALTER TABLE ADD COLUMN DEFAULT constant on users: predicted AccessExclusiveLock "
              "with a rewrite, observed AccessExclusiveLock on 11",
              "mismatch message");
    CHECK_STR(jq(s, "SELECT json_extract(?1, '$.runs[0].results[1].message.text')"),
              "ALTER TABLE ADD COLUMN DEFAULT constant on users: risk high (AccessExclusiveLock: "
              "blocks reads and writes) on 10-11",
              "risk message");
    CHECK_STR(jq(s, "SELECT json_extract(?1, '$.runs[0].results[4].level')"), "error",
              "critical risk is an error");
    CHECK_STR(jq(s, "SELECT json_extract(?1, '$.runs[0].results[3].level')"), "error",
              "a server error is an error");
    CHECK(strstr(jq(s, "SELECT json_extract(?1, '$.runs[0].results[3].message.text')"),
                 "failed with ") != NULL,
          "a server error's message names its SQLSTATE");
    CHECK_STR(jq(s, "SELECT json_extract(?1, "
                    "'$.runs[0].results[4].locations[0].physicalLocation.artifactLocation.uri')"),
              "cases/evil%20%3Cb%3E%7C%60x%60%1B%5B1m.sql", "hostile path percent-encoded");
    CHECK(no_raw_evil(s, false), "no raw hostile string in sarif");
    buf_free(&out);

    /* a lower threshold reports more */
    o.max_risk = 0;
    Buf low;
    buf_init(&low);
    report_sarif(&(RenderInput){.run = rv}, &o, &low);
    CHECK_STR(jq(low.data, "SELECT count(*) FROM json_each(?1, '$.runs[0].results') "
                           "WHERE json_extract(value, '$.ruleId') = 'LM003'"),
              "3", "risk above none: s2, s3, e1");
    buf_free(&low);
}

static void test_filter(const RunView *rv)
{
    ReportOpts o;
    render_opts_init(&o);
    o.only_version_specific = true;
    RunView *f = render_filtered(rv, &o);
    CHECK(f->nstmts == 3, "3 version-specific statements: %zu", f->nstmts);
    Buf out;
    buf_init(&out);
    report_json_view(&(RenderInput){.run = f}, NULL, &out);
    CHECK_STR(jq(out.data, "SELECT json_array_length(?1, '$.statements')"), "3", "json filtered");
    CHECK_STR(jq(out.data, "SELECT json_extract(?1, '$.per_version[3].not_run')"), "6",
              "the per-version summary is of the whole run");
    CHECK_STR(jq(out.data, "SELECT count(*) FROM json_each(?1, '$.statements') WHERE "
                           "json_extract(value, '$.version_specific') = 0"),
              "0", "only version-specific ones");
    buf_reset(&out);
    report_text(&(RenderInput){.run = f}, &o, &out);
    CHECK(strstr(out.data, "CREATE TABLE users") == NULL, "text filtered");
    CHECK(strstr(out.data, "(version-specific only)") != NULL, "text says it is filtered");
    buf_reset(&out);
    report_markdown(&(RenderInput){.run = f}, &o, &out);
    CHECK(strstr(out.data, "CREATE TABLE users") == NULL, "markdown filtered");
    buf_reset(&out);
    report_html(&(RenderInput){.run = f}, &o, &out);
    CHECK(count(out.data, "<tr data-vs=\"0\"") == 0, "html filtered");
    buf_free(&out);
    render_filtered_free(f);
}

/* ---- the table of formats ------------------------------------------------------------------ */

/* Every format renders a run and a diff through the table, and what the
 * table renders is what its renderer does. */
static void test_formats(const RunView *r1, const RunView *r2)
{
    Buf names;
    buf_init(&names);
    report_format_names(&names);
    CHECK_STR(names.data, "text, markdown, json, html, sarif", "the formats, in order");
    buf_free(&names);
    CHECK(report_format("nope") == NULL && report_format("") == NULL, "no such format");
    CHECK(report_format("sarif") == &report_formats[report_nformats - 1], "lookup by name");
    ReportOpts o;
    render_opts_init(&o);
    RunDiff *d = diff_runs(r1, r2, NULL);
    Buf via, direct;
    buf_init(&via);
    buf_init(&direct);
    for (size_t i = 0; i < report_nformats; i++) {
        const ReportFormat *f = &report_formats[i];
        CHECK(f->run && f->diff, "%s renders a run and a diff", f->name);
        buf_reset(&via);
        buf_reset(&direct);
        f->run(&(RenderInput){.run = r2}, &o, &direct);
        f->diff(&(RenderInput){.run = r2, .diff = d}, &o, &via);
        CHECK(direct.len > 0 && via.len > 0 && strcmp(via.data, direct.data) != 0,
              "%s: a run and a diff, each its own", f->name);
    }
    buf_reset(&via);
    buf_reset(&direct);
    report_format("text")->diff(&(RenderInput){.run = r2, .diff = d}, &o, &via);
    report_text_diff(&(RenderInput){.diff = d}, &o, &direct);
    CHECK_STR(via.data, direct.data, "text: the table's diff renderer is report_text_diff");
    buf_free(&via);
    buf_free(&direct);
    diff_free(d);
}

/* ---- the diff ------------------------------------------------------------------------------ */

static void test_diff(const RunView *r1, const RunView *r2, const RunView *r3)
{
    RunDiff *d = diff_runs(r1, r2, NULL);
    static const struct {
        const char *kind;
        int major, index;
        const char *before, *after;
    } want[] = {
        {"rewrite", 11, 2, "none", "users"},
        {"lock_mode", 12, 3, "ShareUpdateExclusiveLock", "ShareLock"},
        {"status", 10, 4, "error 42601", "ok"},
        {"new", 0, 5, NULL, NULL},
        {"lock_mode", 11, 1, "ShareRowExclusiveLock", "AccessExclusiveLock"},
        {"gone", 0, 5, NULL, NULL},
    };
    CHECK(d->nchanges == ARRAY_LEN(want), "%zu changes", d->nchanges);
    for (size_t i = 0; i < d->nchanges && i < ARRAY_LEN(want); i++) {
        const DiffChange *c = &d->changes[i];
        CHECK_STR(diff_kind_name(c->kind), want[i].kind, "change %zu kind", i);
        CHECK(c->major == want[i].major, "change %zu major %d", i, c->major);
        CHECK(diff_stmt(c)->index == want[i].index, "change %zu statement", i);
        CHECK_STR(c->before, want[i].before, "change %zu before", i);
        CHECK_STR(c->after, want[i].after, "change %zu after", i);
    }
    CHECK(d->nregressions == 3 && d->nnew == 1 && d->ngone == 1 && d->matched == 5 &&
              d->nsampled == 1,
          "counts: %zu regressions, %zu new, %zu gone, %zu matched, %zu sampled", d->nregressions,
          d->nnew, d->ngone, d->matched, d->nsampled);
    CHECK(d->nchanges > 4 && d->changes[4].sampled && !d->changes[4].regression,
          "a sampled change is not a regression");
    CHECK(d->nservers == 4 && d->nmajors == 3 && strcmp(d->servers[2].a, "12.22") == 0 &&
              strcmp(d->servers[2].b, "12.23") == 0,
          "server versions of both runs");

    ReportOpts o;
    render_opts_init(&o);
    Buf out;
    buf_init(&out);
    report_text_diff(&(RenderInput){.diff = d}, &o, &out);
    CHECK(strstr(out.data, "12: 12.22 -> 12.23   (changed)") != NULL, "text: servers");
    CHECK(strstr(out.data, "REGRESSION: 3 changes of observed behaviour") != NULL, "text: verdict");
    CHECK(strstr(out.data, "12 lock_mode: ShareUpdateExclusiveLock -> ShareLock") != NULL,
          "text: a change");
    CHECK(strstr(out.data, "new statement: ALTER TABLE DROP COLUMN") != NULL, "text: new");
    CHECK(strstr(out.data, "gone statement: ALTER TABLE ADD CONSTRAINT CHECK") != NULL,
          "text: gone");
    CHECK(strstr(out.data, "11 lock_mode: ShareRowExclusiveLock -> AccessExclusiveLock (sampled "
                           "capture: not counted)") != NULL,
          "text: a sampled change");
    CHECK(strstr(out.data,
                 "1 changes seen through sampled lock captures are listed, not counted") != NULL,
          "text: sampled count");
    CHECK(no_raw(out.data, false, false), "text diff clean");
    buf_reset(&out);
    report_markdown_diff(&(RenderInput){.diff = d}, &o, &out);
    CHECK(strstr(out.data, "| 12 | 12.22 | **12.23** |") != NULL, "markdown: servers");
    CHECK(strstr(out.data, "| 11 | rewrite | none | users (now rewrites table users) |") != NULL,
          "markdown: a change, in words");
    buf_reset(&out);
    report_json_diff(&(RenderInput){.diff = d}, &o, &out);
    CHECK_STR(jq(out.data, "SELECT json_valid(?1)"), "1", "json diff valid");
    CHECK_STR(jq(out.data, "SELECT json_extract(?1, '$.regressions')"), "3", "json regressions");
    CHECK_STR(jq(out.data, "SELECT json_extract(?1, '$.servers.\"12\".run') || ' ' || "
                           "json_extract(?1, '$.servers.\"12\".against')"),
              "12.23 12.22", "json servers");
    CHECK_STR(jq(out.data, "SELECT group_concat(json_extract(value, '$.kind')) FROM "
                           "json_each(?1, '$.changes')"),
              "rewrite,lock_mode,status,new,lock_mode,gone", "json changes");
    buf_reset(&out);
    report_html_diff(&(RenderInput){.diff = d}, &o, &out);
    CHECK(count(out.data, "<script") == 1 && strstr(out.data, "lock_mode") != NULL, "html diff");
    buf_reset(&out);
    report_sarif(&(RenderInput){.run = r2, .diff = d}, &o, &out);
    CHECK_STR(jq(out.data, "SELECT group_concat(json_extract(value, '$.ruleId')) FROM "
                           "json_each(?1, '$.runs[0].results') WHERE json_extract(value, "
                           "'$.ruleId') = 'LM002'"),
              "LM002,LM002,LM002", "sarif: one regression result per statement");
    buf_free(&out);
    diff_free(d);

    d = diff_runs(r1, r3, NULL);
    CHECK(d->nchanges == 0 && d->nregressions == 0 && d->matched == 6,
          "identical runs: %zu changes", d->nchanges);
    diff_free(d);
    ReportOpts only;
    render_opts_init(&only);
    only.only_version_specific = true;
    d = diff_runs(r1, r2, &only);
    /* not the status change of ADD COLUMN IDENTITY: it fails on some versions only */
    CHECK(d->nchanges == 3, "--only version-specific keeps the changes of such statements: %zu",
          d->nchanges);
    diff_free(d);
}

/* ---- matching: migrations by path, statements by text and position ----------------------- */

/* "path|sql" entries, NULL-terminated; ran: the run had the job of chain 0 on 17. */
static RunView *view_of(const char *const *stmts, bool ran)
{
    RunView *rv = xcalloc(1, sizeof(*rv));
    rv->versions = xmalloc(sizeof(int));
    rv->versions[0] = 17;
    rv->nversions = 1;
    if (ran) {
        rv->jobs = xcalloc(1, sizeof(RvJob));
        rv->jobs[0] = (RvJob){.chain = 0, .major = 17, .status = xstrdup("ok")};
        rv->njobs = 1;
    }
    size_t n = 0;
    while (stmts[n])
        n++;
    rv->stmts = xcalloc(n ? n : 1, sizeof(RvStatement));
    rv->nstmts = n;
    for (size_t i = 0; i < n; i++) {
        RvStatement *x = &rv->stmts[i];
        const char *bar = strchr(stmts[i], '|');
        x->migration = xstrndup(stmts[i], (size_t)(bar - stmts[i]));
        x->sql = xstrdup(bar + 1);
        x->index = x->line = (int)i + 1;
        x->results = xcalloc(1, sizeof(RvResult));
        x->results[0] = (RvResult){.major = 17, .status = "ok", .traced = true, .target_rank = -1};
    }
    return rv;
}

static void test_diff_matching(void)
{
    static const struct {
        const char *name;
        const char *a[5], *b[5];
        bool ran_b;
        size_t matched, nnew, ngone, added, removed, uncompared;
        const char *first; /* the first listed migration, or the first new/gone statement */
    } cases[] = {
        {"a statement that moved and was reformatted matches",
         {"m/2.sql|ALTER TABLE t ADD c int", NULL},
         {"m/2.sql|COMMENT ON TABLE t IS 'x'", "m/2.sql|-- why\nALTER  TABLE t\n\tADD c int", NULL},
         true,
         1,
         1,
         0,
         0,
         0,
         0,
         "COMMENT ON TABLE t IS 'x'"},
        {"equal texts pair up in order: the second is gone",
         {"m/1.sql|SELECT 1", "m/1.sql|SELECT 1", NULL},
         {"m/1.sql|SELECT 1", NULL},
         true,
         1,
         0,
         1,
         0,
         0,
         0,
         "SELECT 1"},
        {"a migration added is listed apart, not its statements",
         {"m/3.sql|SELECT 3", NULL},
         {"m/1.sql|SELECT 1", "m/1.sql|SELECT 2", "m/3.sql|SELECT 3", NULL},
         true,
         1,
         0,
         0,
         1,
         0,
         0,
         "m/1.sql"},
        {"a migration removed is listed apart",
         {"m/1.sql|SELECT 1", "m/3.sql|SELECT 3", NULL},
         {"m/3.sql|SELECT 3", NULL},
         true,
         1,
         0,
         0,
         0,
         1,
         0,
         "m/1.sql"},
        {"an edited type modifier is another statement (fingerprints are equal)",
         {"m/1.sql|ALTER TABLE t ALTER v TYPE varchar(20)", NULL},
         {"m/1.sql|ALTER TABLE t ALTER v TYPE varchar(10)", NULL},
         true,
         0,
         1,
         1,
         0,
         0,
         0,
         "ALTER TABLE t ALTER v TYPE varchar(10)"},
        {"the same path elsewhere is another migration",
         {"a/1.sql|SELECT 1", NULL},
         {"b/1.sql|SELECT 1", NULL},
         true,
         0,
         0,
         0,
         1,
         1,
         0,
         "b/1.sql"},
        {"a job only one run had (another shard) is not compared",
         {"m/1.sql|SELECT 1", NULL},
         {"m/1.sql|SELECT 1", NULL},
         false,
         1,
         0,
         0,
         0,
         0,
         1,
         NULL},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        RunView *a = view_of(cases[i].a, true), *b = view_of(cases[i].b, cases[i].ran_b);
        RunDiff *d = diff_runs(a, b, NULL);
        CHECK(d->matched == cases[i].matched && d->nnew == cases[i].nnew &&
                  d->ngone == cases[i].ngone && d->nmig_added == cases[i].added &&
                  d->nmig_removed == cases[i].removed && d->nuncompared == cases[i].uncompared &&
                  d->nregressions == 0,
              "%s: matched %zu, new %zu, gone %zu, migrations +%zu -%zu, uncompared %zu",
              cases[i].name, d->matched, d->nnew, d->ngone, d->nmig_added, d->nmig_removed,
              d->nuncompared);
        const char *first = d->nmigs      ? d->migs[0].path
                            : d->nchanges ? diff_stmt(&d->changes[0])->sql
                                          : NULL;
        CHECK_STR(first, cases[i].first, "%s: what is listed first", cases[i].name);
        diff_free(d);
        runview_free(a);
        runview_free(b);
    }
}

/* ---- the command ----------------------------------------------------------------------------- */

static char *lm;

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

static void test_command(const char *db)
{
    static const struct {
        const char *args; /* %s: the store */
        int code;
        const char *out, *err;
    } cases[] = {
        {"report -d %s", 0, "\"statements\": [", NULL},
        {"report -d %s --format text", 0, "* version-specific: rewrites users on 10; metadata-only",
         ""},
        {"report -d %s --run 1 -f markdown", 0, "**version-specific**: ShareLock on 10-11", ""},
        {"report -d %s --run 1 -f html", 0, "<table id=\"matrix\"", ""},
        {"report -d %s --run 1 -f sarif", 0, "\"ruleId\": \"LM001\"", ""},
        {"report -d %s --run 1 -f json --only version-specific", 0, "\"version_specific\": true",
         ""},
        {"report -d %s --run 2 --against 1", 1, "\"regressions\": 3",
         "3 changes of observed behaviour"},
        {"report -d %s --run 2 --against 1 -f text", 1, "REGRESSION: 3 changes", NULL},
        {"report -d %s --run 2 --against 1 -f markdown", 1, "| 12 | 12.22 | **12.23** |", NULL},
        {"report -d %s --run 2 --against 1 -f html", 1, "ShareUpdateExclusiveLock", NULL},
        {"report -d %s --run 2 --against 1 -f sarif", 1, "\"LM002\"", NULL},
        {"report -d %s --run 3 --against 1 -f text", 0, "no change of observed behaviour", ""},
        {"report -d %s --run 3 --against 1", 0, "\"regressions\": 0", ""},
        {"report -d %s --against 3", 2, "", "--against 3 is the run reported"},
        {"report -d %s --against 99", 2, "", "no run 99 in"},
        {"report -d %s --against x", 2, "", "invalid --against \"x\": last or a run id"},
        {"report -d %s --only bogus", 2, "", "unknown --only \"bogus\""},
        {"report -d %s --max-risk extreme", 2, "", "unknown risk level \"extreme\""},
        {"report -d %s --format xml", 2, "", "(text, markdown, json, html, sarif)"},
        {"runs -d %s", 0, "10-12", ""},
        {"runs -d %s", 0, "cases \\x1b[2J\\x1b]0;x\\x07\n", ""},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char *args = xasprintf(cases[i].args, db);
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
        CHECK(strchr(out, '\x1b') == NULL, "lockmatrix %s: no ESC on stdout", args);
        free(args);
        free(out);
        free(err);
    }

    /* on a terminal (script(1) gives it one): text, in colour unless NO_COLOR */
    if (system("command -v script >/dev/null 2>&1") == 0) {
        static const struct {
            const char *env;
            bool colour;
        } ttys[] = {{"", true}, {"NO_COLOR=1", false}};
        for (size_t i = 0; i < ARRAY_LEN(ttys); i++) {
            char *cmd = xasprintf("env %s script -qec '%s report -d %s --run 1' /dev/null "
                                  ">%s/tty 2>&1",
                                  ttys[i].env, lm, db, dir);
            int st = system(cmd);
            free(cmd);
            char *p = xasprintf("%s/tty", dir), *out = NULL;
            size_t n;
            CHECK(st == 0 && file_read_all(p, &out, &n, NULL) == 0, "report on a tty");
            if (out) {
                CHECK(strstr(out, "version-specific: rewrites users on 10") != NULL,
                      "text by default on a terminal");
                CHECK((strstr(out, "\x1b[31mAX") != NULL) == ttys[i].colour, "colour %s",
                      ttys[i].colour ? "on" : "off with NO_COLOR");
                CHECK(strstr(out, "\x1b[2J") == NULL && strstr(out, "\x1b]0;") == NULL,
                      "no escape from the migration");
            }
            free(out);
            free(p);
        }
    }
}

/* ---- the pictures (svg.c) --------------------------------------------------------------- */

static TraceLock rvlock(const char *rel, const char *mode, bool before)
{
    return (TraceLock){.relation = xstrdup(rel),
                       .role = (char *)"table", /* static, as a Trace's roles are */
                       .locktype = xstrdup("relation"),
                       .mode = xstrdup(mode),
                       .granted = true,
                       .held_before = before};
}

/* A migration in one transaction: CREATE TABLE t, CREATE TABLE of a hostile
 * name (whose locks leave t out, as the trace does), INSERT into t; the
 * timeline carries t's AccessExclusiveLock to COMMIT and escapes the name.
 * And the bar of a version: 3 ok, 1 failed in proportion. */
static void test_svg(void)
{
    static const char *const stmts[] = {"m.sql|CREATE TABLE t (id int)", "m.sql|CREATE TABLE x",
                                        "m.sql|INSERT INTO t VALUES (1)", NULL};
    RunView *rv = view_of(stmts, true);
    const char *evil = "<b\"'>&";
    RvResult *r = &rv->stmts[0].results[0];
    r->locks = xcalloc(1, sizeof(TraceLock));
    r->locks[0] = rvlock("t", "AccessExclusiveLock", false);
    r->nlocks = 1;
    r = &rv->stmts[1].results[0];
    r->locks = xcalloc(1, sizeof(TraceLock));
    r->locks[0] = rvlock(evil, "AccessExclusiveLock", false);
    r->nlocks = 1;
    r = &rv->stmts[2].results[0];
    r->locks = xcalloc(2, sizeof(TraceLock));
    r->locks[0] = rvlock("t", "RowExclusiveLock", false);
    r->locks[1] = rvlock("t", "AccessExclusiveLock", true);
    r->nlocks = 2;
    r->lock_held_ms = 2.5;
    r->lock_held_relation = xstrdup("t");
    r->lock_held_mode = xstrdup("AccessExclusiveLock");
    Buf out;
    buf_init(&out);
    svg_pictures(&out, rv);
    const char *row = out.data ? strstr(out.data, "data-rel=\"t\"") : NULL;
    const char *row2 = row ? strstr(row, "<g class=\"row\"") : NULL;
    CHECK(count(out.data, "<figure class=\"timeline\" data-version=\"17\">") == 1, "one timeline");
    CHECK(row && row2, "rows for t and the hostile name: %s", out.data);
    if (row && row2) {
        char *t = xstrndup(row, (size_t)(row2 - row));
        CHECK(count(t, "class=\"cell l3\" data-mode=\"AccessExclusiveLock\"") == 3 &&
                  count(t, "data-taken=\"1\"") == 1 && count(t, "held since #1") == 2,
              "t: AccessExclusiveLock at each statement, taken at #1: %s", t);
        free(t);
    }
    CHECK(strstr(out.data, "data-rel=\"&lt;b&quot;&#39;&gt;&amp;\"") && !strstr(out.data, "<b\""),
          "the hostile name is escaped");
    CHECK(strstr(out.data, "COMMIT: AccessExclusiveLock on t held 2.5 ms"), "COMMIT's tooltip");
    buf_free(&out);
    runview_free(rv);

    RvVersion v = {.major = 12, .ran = 4, .ok = 3, .failed = 1};
    buf_init(&out);
    svg_version_bar(&out, &v);
    CHECK(strstr(out.data, "data-kind=\"ok\" data-n=\"3\" x=\"0.00\" y=\"0\" width=\"180.00\"") &&
              strstr(out.data,
                     "data-kind=\"failed\" data-n=\"1\" x=\"180.00\" y=\"0\" width=\"60.00\"") &&
              strstr(out.data, "<title>12: 1 failed</title>") && !strstr(out.data, "aborted\""),
          "the bar: %s", out.data);
    buf_free(&out);
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
    sqlite3_open(":memory:", &jdb);
    test_helpers();

    char *db = xasprintf("%s/lockmatrix.db", dir);
    Err err = {0};
    Store *s = store_open(db, true, &err);
    CHECK(s != NULL, "store: %s", err.msg);
    if (!s) return t_done("test_report_render");
    long long r1 = write_run(s, 'A', "12.22", "cases", &err);
    long long r2 = r1 > 0 ? write_run(s, 'B', "12.23", "cases", &err) : -1;
    long long r3 = r2 > 0 ? write_run(s, 'A', "12.22", "cases \x1b[2J\x1b]0;x\x07", &err) : -1;
    CHECK(r1 == 1 && r2 == 2 && r3 == 3, "runs written: %s", err.msg);
    RunView *v1 = NULL, *v2 = NULL, *v3 = NULL;
    CHECK(runview_load(s, 1, &v1, &err) == 0 && runview_load(s, 2, &v2, &err) == 0 &&
              runview_load(s, 3, &v3, &err) == 0,
          "runviews: %s", err.msg);
    store_close(s);
    if (v1 && v2 && v3) {
        test_text(v1);
        test_markdown(v1);
        test_html(v1);
        test_sarif(v1);
        test_filter(v1);
        test_formats(v1, v2);
        test_diff(v1, v2, v3);
        test_diff_matching();
        test_svg();
        test_command(db);
    }
    runview_free(v1);
    runview_free(v2);
    runview_free(v3);
    sqlite3_close(jdb);
    free(db);
    free(lm);
    if (!getenv("LM_KEEP"))
        remove_tree(dir);
    else
        printf("# kept %s\n", dir);
    return t_done("test_report_render");
}
