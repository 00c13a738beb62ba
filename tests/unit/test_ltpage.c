/*
 * test_ltpage: the lock table as a page and as Markdown (report/ltpage.c) on a
 * small table with a class that changes across versions, one missing on a
 * version, and hostile text in a class and a note; the evidence of fixture
 * cases written into a temporary directory.
 */
#include <stdlib.h>
#include <unistd.h>

#include "report/ltpage.h"
#include "t.h"

#define HDR "class\tfirst\tlast\tmode\trewrite\tscan\tothers\trisk\tnote\n"

static const char table_text[] =
    HDR "ALTER TABLE ADD COLUMN DEFAULT constant\t10\t10\tAccessExclusiveLock\tyes\tyes\t-\t"
        "critical\tbackfill in batches\n"
        "ALTER TABLE ADD COLUMN DEFAULT constant\t11\t12\tAccessExclusiveLock\tno\tno\t-\tlow\t"
        "fast default\n"
        "CREATE INDEX\t10\t12\tShareLock\tno\tyes\t-\thigh\tuse CONCURRENTLY\n"
        "EVIL <script>alert(1)</script>\t11\t12\tShareUpdateExclusiveLock\tno\tdepends\t"
        "referenced:ShareRowExclusiveLock\tmedium\ta | b `c` <img src=x>\n";

static const int versions[] = {10, 11, 12};

static LockTable *table(void)
{
    LockTable *t = NULL;
    Err err = {0};
    int rc = locktable_parse(table_text, strlen(table_text), "t.tsv", &t, &err);
    CHECK(rc == 0, "the table parses: %s", err.msg);
    return t;
}

static const LtEvidence evidence[] = {
    {"CREATE INDEX", "cases/create index.sql", 7, 0, NULL},
    {"ALTER TABLE ADD COLUMN DEFAULT constant", "db/1.sql", 3, 11, "11.22"},
    {"ALTER TABLE ADD COLUMN DEFAULT constant", "db/1.sql", 3, 10, "10.23"},
    {"ALTER TABLE ADD COLUMN DEFAULT constant", "db/1.sql", 3, 12, "12.22"},
};

static void test_html(void)
{
    LockTable *t = table();
    LtPageOpts o = {.versions = versions,
                    .nversions = 3,
                    .link_base = "",
                    .ev = evidence,
                    .nev = ARRAY_LEN(evidence),
                    .source = "the cases"};
    Buf b;
    buf_init(&b);
    ltpage_html(t, &o, &b);
    const char *p = b.data;
    CHECK(strstr(p, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"),
          "the report's CSP");
    CHECK(!strstr(p, "<script>alert") && !strstr(p, "<img"), "hostile text is escaped");
    CHECK(strstr(p, "EVIL &lt;script&gt;alert(1)&lt;/script&gt;"), "and shown");
    CHECK(strstr(p, "<tr data-cls=\"ALTER TABLE ADD COLUMN DEFAULT constant\" data-lv=\"3,3,3\" "
                    "data-risk=\"4\" data-rw=\"1\" class=\"vs\">"),
          "row attributes: levels, highest risk, rewrite, differs");
    CHECK(strstr(p, "data-cls=\"CREATE INDEX\" data-lv=\"2,2,2\" data-risk=\"3\" data-rw=\"0\">"),
          "a class that does not differ");
    CHECK(strstr(p, "data-lv=\"-2,1,1\""), "no row on 10: level -2");
    CHECK(strstr(p, "<td class=\"c norow\" title=\"no row for 10\">n/a</td>"), "the n/a cell");
    CHECK(strstr(p, "<td class=\"c l3\" title=\"AccessExclusiveLock: blocks reads and writes; "
                    "rewrite yes; scan yes (table line 2)\"><b>AX R S</b><span class=\"bl\">"
                    "blocks reads and writes</span></td><td class=\"c l3 chg\""),
          "the cell of 10, and 11 framed as it differs");
    CHECK(strstr(p, "<b>SUX S?</b><span class=\"bl\">blocks DDL and VACUUM, not reads or "
                    "writes</span><span class=\"oth\">referenced SRX</span>"),
          "depends and other relations");
    CHECK(strstr(p, "10: critical; 11-12: low"), "risk with its versions");
    CHECK(strstr(p, "10: backfill in batches; 11-12: fast default"), "note with its versions");
    CHECK(strstr(p, "<a href=\"cases/create%20index.sql#L7\" title=\"cases/create index.sql\">"
                    "create index.sql:7</a>"),
          "a case link, the path URL-encoded");
    CHECK(strstr(p, "title=\"db/1.sql on 10: 10.23, 11: 11.22, 12: 12.22\">1.sql:3</a> on 10-12"),
          "a run's evidence: versions and servers");
    CHECK(strstr(p, "<option selected>10</option>") && strstr(p, "<option selected>12</option>"),
          "the version selects");
    buf_free(&b);
    locktable_free(t);
}

static void test_markdown(void)
{
    LockTable *t = table();
    LtPageOpts o = {.versions = versions,
                    .nversions = 3,
                    .link_base = "https://x.org/b/",
                    .ev = evidence,
                    .nev = ARRAY_LEN(evidence),
                    .source = "run 1"};
    Buf b;
    buf_init(&b);
    ltpage_markdown(t, &o, &b);
    const char *p = b.data;
    CHECK(strstr(p, "\n| class | 10 | 11 | 12 | risk | note | evidence |\n"), "the header");
    CHECK(strstr(p, "\n| ALTER TABLE ADD COLUMN DEFAULT constant | AX R S | **AX** | AX | 10: "
                    "critical; 11-12: low | 10: backfill in batches; 11-12: fast default | "
                    "[1.sql:3](https://x.org/b/db/1.sql#L3) on 10-12 |\n"),
          "a changing class: bold where it changes, link with the base");
    CHECK(strstr(p, "\n| EVIL &lt;script&gt;alert(1)&lt;/script&gt; | n/a | **SUX S?; "
                    "referenced SRX** | SUX S?; referenced SRX | medium | a \\| b \\`c\\` "
                    "&lt;img src=x&gt; | |\n"),
          "pipes and backticks escaped, n/a");
    CHECK(strstr(p, "[create index.sql:7](https://x.org/b/cases/create%20index.sql#L7)"),
          "case link URL-encoded");
    CHECK(strstr(p, "| AX | AccessExclusiveLock | blocks reads and writes |"), "the legend");
    buf_free(&b);
    locktable_free(t);
}

static void test_case_evidence(void)
{
    char dir[] = "/tmp/lm_test_ltpage_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    Buf p;
    buf_init(&p);
    struct {
        const char *name, *text;
    } files[] = {
        {"b_tx.sql", "-- header\nCREATE TABLE x (a int);\n-- under study\nBEGIN;\n"
                     "ALTER TABLE x ADD COLUMN b int;\nCREATE INDEX ON x (a);\nCOMMIT;\n"},
        {"a_plain.sql", "CREATE TABLE y (a int);\n\nCREATE INDEX ON y (a);\n"},
        {"notes.txt", "CREATE INDEX ON z (a);\n"},
    };
    for (size_t i = 0; i < ARRAY_LEN(files); i++) {
        buf_reset(&p);
        buf_printf(&p, "%s/%s", dir, files[i].name);
        Err err = {0};
        CHECK(file_write_out(p.data, files[i].text, strlen(files[i].text), &err) == 0, "%s",
              err.msg);
    }
    LtEvidence *ev;
    size_t n;
    Err err = {0};
    CHECK(ltpage_case_evidence(dir, &ev, &n, &err) == 0, "%s", err.msg);
    CHECK(n == 3, "three statements under study: %zu", n);
    if (n == 3) {
        buf_reset(&p);
        buf_printf(&p, "%s/a_plain.sql", dir);
        CHECK_STR(ev[0].path, p.data, "no marker: the last statement");
        CHECK_STR(ev[0].cls, "CREATE INDEX", "its class");
        CHECK(ev[0].line == 3 && ev[0].major == 0, "line %d", ev[0].line);
        CHECK_STR(ev[1].cls, "ALTER TABLE ADD COLUMN", "after the marker, no BEGIN");
        CHECK(ev[1].line == 5, "line %d", ev[1].line);
        CHECK_STR(ev[2].cls, "CREATE INDEX", "nor COMMIT");
        CHECK(ev[2].line == 6, "line %d", ev[2].line);
    }
    ltpage_evidence_free(ev, n);
    buf_reset(&p);
    buf_printf(&p, "%s/missing", dir);
    CHECK(ltpage_case_evidence(p.data, &ev, &n, &err) < 0 && err.code == 2,
          "a directory that does not exist");
    for (size_t i = 0; i < ARRAY_LEN(files); i++) {
        buf_reset(&p);
        buf_printf(&p, "%s/%s", dir, files[i].name);
        unlink(p.data);
    }
    rmdir(dir);
    buf_free(&p);
}

int main(void)
{
    test_html();
    test_markdown();
    test_case_evidence();
    return t_done("test_ltpage");
}
