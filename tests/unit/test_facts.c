/*
 * test_facts: the per-version facts (predict/facts.c): parse errors naming
 * file:line, the categories of type modifiers, merging and cutting version
 * ranges, aliases, the lookups; and against a real server of every major,
 * that reading its facts again (runner/factsprobe.c) gives the checked-in
 * predict/facts.tsv, and that the typmods facts_typmod makes are the server's.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/versions.h"
#include "predict/facts.h"
#include "runner/factsprobe.h"
#include "runner/pgconn.h"
#include "tests/unit/servers.h"
#include "tests/unit/t.h"

/* ---- parsing ----------------------------------------------------------- */

static void test_parse_errors(void)
{
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"bogus\t10\t11\n", "\"t\" line 1: unknown kind \"bogus\" (cast, typechange, function)"},
        {"# c\ncast\t10\t11\tint4\tint8\n",
         "\"t\" line 2: 5 fields, expected 7 for cast (tab-separated)"},
        {"cast\tx\t11\tint4\tint8\tfunction\timplicit\n",
         "\"t\" line 1: invalid first version \"x\""},
        {"cast\t10\t0\tint4\tint8\tfunction\timplicit\n",
         "\"t\" line 1: invalid last version \"0\""},
        {"cast\t12\t11\tint4\tint8\tfunction\timplicit\n",
         "\"t\" line 1: last version 11 before first version 12"},
        {"cast\t10\t11\tint4\tint8\tmagic\timplicit\n",
         "\"t\" line 1: invalid method \"magic\" (binary, function, inout)"},
        {"\ntypechange\t10\t18\tint4\tint8\tbigger\t-\tany\tyes\tyes\n",
         "\"t\" line 2: invalid relation \"bigger\" (plain, same, wider, narrower, unconstrain, "
         "constrain, precision-up, precision-down, scale-change, fields-change, other)"},
        {"typechange\t10\t18\tint4\tint8\tplain\t-\tmars\tyes\tyes\n",
         "\"t\" line 1: invalid tz \"mars\" (utc, non-utc, any)"},
        {"typechange\t10\t18\tint4\tint8\tplain\t-\tany\tmaybe\tyes\n",
         "\"t\" line 1: invalid rewrite \"maybe\" (yes, no)"},
        {"function\t10\t11\t\t-\tvolatile\n", "\"t\" line 1: invalid function \"\""},
        {"function\t10\t11\tnow\t-\tfickle\n",
         "\"t\" line 1: invalid volatility \"fickle\" (immutable, stable, volatile)"},
        {"cast\t10\t12\tint4\tint8\tfunction\timplicit\n"
         "cast\t12\t13\tint4\tint8\tbinary\timplicit\n",
         "\"t\" line 2: cast int4 int8 12-13 overlaps line 1 (10-12)"},
        {"function\t13\t18\trandom\t-\tvolatile\nfunction\t10\t13\trandom\t-\tstable\n",
         "\"t\" line 2: function random - 10-13 overlaps line 1 (13-18)"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        Facts *f = NULL;
        Err err = {0};
        int rc = facts_parse(cases[i].text, strlen(cases[i].text), "t", &f, &err);
        CHECK(rc == -1 && f == NULL && err.code == EXIT_USAGE, "case %zu refused", i);
        CHECK_STR(err.msg, cases[i].msg, "case %zu", i);
        facts_free(f);
    }

    /* a file names its path */
    char dir[] = "/tmp/lm_test_facts_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char *path = xasprintf("%s/facts.tsv", dir);
    static const char bad[] = "# x\nfunction\t10\t18\trandom\t-\tvolatile\ncast\t10\t18\tint4\n";
    Err err = {0};
    CHECK(file_write_out(path, bad, strlen(bad), &err) == 0, "write: %s", err.msg);
    Facts *f = NULL;
    CHECK(facts_load(path, &f, &err) == -1 && f == NULL, "bad file refused");
    char *want = xasprintf("\"%s\" line 3: 4 fields, expected 7 for cast (tab-separated)", path);
    CHECK_STR(err.msg, want, "the path and line");
    free(want);
    err_clear(&err);
    char *missing = xasprintf("%s/none.tsv", dir);
    CHECK(facts_load(missing, &f, &err) == -1 && f == NULL && strstr(err.msg, missing),
          "a missing file: %s", err.msg);
    free(missing);
    remove_tree(dir);
    free(path);

    /* the built-in copy parses, and has every kind */
    CHECK(facts_load(NULL, &f, &err) == 0, "built-in: %s", err.msg);
    int seen[FACT_NKINDS] = {0};
    for (size_t i = 0; f && i < f->nrows; i++)
        seen[f->rows[i].kind]++;
    for (int k = 0; k < FACT_NKINDS; k++)
        CHECK(seen[k] > 0, "built-in rows of %s: %d", facts_kind_name(k), seen[k]);
    facts_free(f);
}

/* ---- type modifiers ---------------------------------------------------- */

/* declared modifiers: the values, how many */
#define M(...) {__VA_ARGS__}, (int)(sizeof((int[]){__VA_ARGS__}) / sizeof(int))
#define NOMOD {0}, 0

/* INTERVAL DAY TO SECOND: the fields DAY, HOUR, MINUTE, SECOND, full precision */
#define DAY_TO_SECOND ((((1 << 3) | (1 << 10) | (1 << 11) | (1 << 12)) << 16) | 0xFFFF)

static void test_relations(void)
{
    static const struct {
        const char *from;
        int fm[2], nfm;
        const char *to;
        int tm[2], ntm;
        const char *want;
    } cases[] = {
        {"int4", NOMOD, "int8", NOMOD, "plain"},
        {"varchar", NOMOD, "text", NOMOD, "plain"},
        {"varchar", M(10), "varchar", M(10), "same"},
        {"varchar", M(10), "varchar", M(20), "wider"},
        {"character varying", M(20), "varchar", M(10), "narrower"},
        {"varchar", M(10), "text", NOMOD, "unconstrain"},
        {"text", NOMOD, "varchar", M(10), "constrain"},
        {"bpchar", M(10), "varchar", M(20), "wider"},
        {"bit", M(8), "varbit", M(8), "same"},
        {"varbit", M(16), "bit varying", M(8), "narrower"},
        {"numeric", M(10, 2), "numeric", M(12, 2), "precision-up"},
        {"decimal", M(12, 2), "numeric", M(10, 2), "precision-down"},
        {"numeric", M(10, 2), "numeric", M(10, 3), "scale-change"},
        {"numeric", M(10, 2), "numeric", M(12, 4), "scale-change"},
        {"numeric", M(10), "numeric", M(10, 0), "same"},
        {"numeric", M(10, 2), "numeric", NOMOD, "unconstrain"},
        {"numeric", NOMOD, "numeric", M(10, 2), "constrain"},
        {"numeric", M(10, 2), "int4", NOMOD, "unconstrain"},
        {"numeric", M(10, 2), "varchar", M(10), "other"},
        {"time", M(3), "time", M(6), "wider"},
        {"timestamptz", M(6), "timestamp with time zone", M(3), "narrower"},
        {"interval", M(3), "interval", M(6), "wider"},
        {"interval", M(3), "interval", NOMOD, "unconstrain"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        int a = facts_typmod(cases[i].from, cases[i].fm, cases[i].nfm);
        int b = facts_typmod(cases[i].to, cases[i].tm, cases[i].ntm);
        CHECK_STR(facts_relation_name(facts_typmod_relation(facts_type_name(cases[i].from), a,
                                                            facts_type_name(cases[i].to), b)),
                  cases[i].want, "case %zu: %s -> %s", i, cases[i].from, cases[i].to);
    }
    CHECK_STR(facts_relation_name(facts_typmod_relation("interval", -1, "interval", DAY_TO_SECOND)),
              "fields-change", "interval -> interval day to second");
    CHECK_STR(facts_relation_name(
                  facts_typmod_relation("interval", DAY_TO_SECOND, "interval", 0x7FFF0003)),
              "fields-change", "interval day to second -> interval(3)");
    static const int four[] = {4};
    CHECK(facts_typmod("int4", four, 1) == -1, "int4 takes no modifier");
    CHECK(facts_typmod("varchar", four, 0) == -1, "varchar without one");
    CHECK_STR(facts_relation_name(FACTS_NRELATIONS), "?", "out of range");
}

static void test_aliases(void)
{
    static const struct {
        const char *sql, *name;
    } cases[] = {
        {"integer", "int4"},
        {"INT", "int4"},
        {"smallint", "int2"},
        {"bigint", "int8"},
        {"Character Varying", "varchar"},
        {"character", "bpchar"},
        {"char", "bpchar"},
        {"decimal", "numeric"},
        {"double precision", "float8"},
        {"boolean", "bool"},
        {"bit varying", "varbit"},
        {"timestamp without time zone", "timestamp"},
        {"timestamp with time zone", "timestamptz"},
        {"time with time zone", "timetz"},
        {"pg_catalog.int8", "int8"},
        {"pg_catalog.bigint", "int8"},
        {"jsonb", "jsonb"},
        {"my_type", "my_type"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        CHECK_STR(facts_type_name(cases[i].sql), cases[i].name, "alias %zu", i);
}

/* ---- ranges ------------------------------------------------------------ */

/* The rows of f, a line each, into out (reset first). */
static void rows_text(const Facts *f, Buf *out)
{
    buf_reset(out);
    for (size_t i = 0; i < f->nrows; i++) {
        facts_write_row(&f->rows[i], out);
        buf_putc(out, '\n');
    }
}

static void test_ranges(void)
{
    Facts *f = facts_new();
    f->source = xstrdup("made");
    const char *a[3] = {"random", "-", "volatile"}, *b[3] = {"gen_random_uuid", "-", "volatile"};
    static const int amaj[] = {12, 10, 11, 14, 11};
    for (size_t i = 0; i < ARRAY_LEN(amaj); i++)
        facts_add(f, FACT_FUNCTION, amaj[i], amaj[i], a);
    facts_add(f, FACT_FUNCTION, 13, 18, b);
    facts_merge(f);
    Buf out;
    buf_init(&out);
    rows_text(f, &out);
    CHECK_STR(out.data,
              "function\t13\t18\tgen_random_uuid\t-\tvolatile\n"
              "function\t10\t12\trandom\t-\tvolatile\n"
              "function\t14\t14\trandom\t-\tvolatile\n",
              "merged: equal rows of consecutive majors, a gap kept");

    static const int some[] = {12, 13, 17};
    Facts *r = facts_restrict(f, some, ARRAY_LEN(some));
    rows_text(r, &out);
    CHECK_STR(out.data,
              "function\t13\t13\tgen_random_uuid\t-\tvolatile\n"
              "function\t17\t17\tgen_random_uuid\t-\tvolatile\n"
              "function\t12\t12\trandom\t-\tvolatile\n",
              "restricted to 12, 13, 17");

    /* the written file reads back as it was */
    buf_reset(&out);
    facts_write(f, &out);
    Facts *back = NULL;
    Err err = {0};
    CHECK(facts_parse(out.data, out.len, "written", &back, &err) == 0, "reads back: %s", err.msg);
    CHECK(back && back->nrows == f->nrows, "rows read back");
    CHECK(out.data && strstr(out.data, "lockmatrix facts --update"),
          "the header says how it is made");
    facts_free(back);
    facts_free(r);
    facts_free(f);
    buf_free(&out);
}

/* ---- lookups ----------------------------------------------------------- */

static const char sample[] =
    "# a sample\n"
    "cast\t10\t18\tint4\tint8\tfunction\timplicit\n"
    "cast\t10\t18\tvarchar\ttext\tbinary\timplicit\n"
    "typechange\t10\t11\ttimestamp\ttimestamptz\tplain\t-\tany\tyes\tyes\n"
    "typechange\t12\t18\ttimestamp\ttimestamptz\tplain\t-\tnon-utc\tyes\tyes\n"
    "typechange\t12\t18\ttimestamp\ttimestamptz\tplain\t-\tutc\tno\tyes\n"
    "typechange\t10\t18\tvarchar\tvarchar\twider\t-\tany\tno\tno\n"
    "typechange\t10\t18\tvarchar\tvarchar\tnarrower\t-\tany\tyes\tyes\n"
    "typechange\t10\t18\tint4\tint8\tplain\t-\tany\tyes\tyes\n"
    "typechange\t10\t18\tint4\tint8\tplain\tself\tany\tno\tno\n"
    "typechange\t10\t18\tjson\tjsonb\tplain\t-\tany\tyes\t-\n"
    "function\t10\t18\trandom\t-\tvolatile\n"
    "function\t13\t18\tgen_random_uuid\t-\tvolatile\n"
    "function\t10\t18\tnow\t-\tstable\n"
    "function\t10\t18\tlower\t-\timmutable\n"
    "function\t10\t14\ttimezone\t(text,timetz)\tvolatile\n"
    "function\t15\t18\ttimezone\t(text,timetz)\tstable\n"
    "function\t10\t18\ttimezone\t(text,timestamptz)\timmutable\n";

static void test_lookups(void)
{
    Facts *f = NULL;
    Err err = {0};
    CHECK(facts_parse(sample, strlen(sample), "sample", &f, &err) == 0, "sample: %s", err.msg);
    if (!f) return;
    static const struct {
        int major;
        const char *from;
        int fmod;
        const char *to;
        int tmod;
        FactsUsing using;
        bool utc;
        Tri want;
        bool index;
    } cases[] = {
        {11, "timestamp without time zone", -1, "timestamptz", -1, FACTS_USING_NONE, true, TRI_YES,
         true},
        {12, "timestamp", -1, "timestamp with time zone", -1, FACTS_USING_NONE, true, TRI_NO, true},
        {12, "timestamp", -1, "timestamptz", -1, FACTS_USING_NONE, false, TRI_YES, true},
        {1709, "timestamp", -1, "timestamptz", -1, FACTS_USING_NONE, true, TRI_NO, true},
        {17, "character varying", 14, "varchar", 24, FACTS_USING_NONE, true, TRI_NO, false},
        {17, "varchar", 24, "varchar", 14, FACTS_USING_NONE, false, TRI_YES, true},
        {17, "integer", -1, "bigint", -1, FACTS_USING_NONE, true, TRI_YES, true},
        /* the row of USING itself where there is one, else the row without USING */
        {17, "integer", -1, "bigint", -1, FACTS_USING_SELF, true, TRI_NO, false},
        {17, "varchar", 14, "varchar", 24, FACTS_USING_SELF, true, TRI_NO, false},
        {17, "varchar", 14, "varchar", 24, FACTS_USING_CAST, true, TRI_DEPENDS, false},
        {17, "json", -1, "jsonb", -1, FACTS_USING_NONE, true, TRI_YES, false},
        /* not covered: another major, pair or category */
        {9, "varchar", 14, "varchar", 24, FACTS_USING_NONE, true, TRI_DEPENDS, false},
        {19, "integer", -1, "bigint", -1, FACTS_USING_NONE, true, TRI_DEPENDS, false},
        {17, "int4", -1, "uuid", -1, FACTS_USING_NONE, true, TRI_DEPENDS, false},
        {17, "varchar", -1, "varchar", 14, FACTS_USING_NONE, true, TRI_DEPENDS, false},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        bool index = !cases[i].index;
        Tri t = facts_type_change(f, cases[i].major, cases[i].from, cases[i].fmod, cases[i].to,
                                  cases[i].tmod, cases[i].using, cases[i].utc, &index);
        CHECK(t == cases[i].want, "type change %zu (%s -> %s on %d): %s, want %s", i, cases[i].from,
              cases[i].to, cases[i].major, tri_name(t), tri_name(cases[i].want));
        CHECK(index == cases[i].index, "type change %zu: index rebuild %d", i, index);
    }

    static const struct {
        int major;
        const char *fname, *args;
        FactsVolatility want;
    } vol[] = {
        {10, "random", NULL, FACTS_FN_VOLATILE},
        {18, "pg_catalog.random", NULL, FACTS_FN_VOLATILE},
        {12, "gen_random_uuid", NULL, FACTS_FN_UNKNOWN}, /* 13 made it built in */
        {13, "gen_random_uuid", NULL, FACTS_FN_VOLATILE},
        {17, "NOW", NULL, FACTS_FN_STABLE},
        {17, "lower", NULL, FACTS_FN_IMMUTABLE},
        {17, "timezone", NULL, FACTS_FN_STABLE}, /* the most volatile of its overloads */
        {12, "timezone", NULL, FACTS_FN_MIXED},  /* one of them volatile */
        {17, "timezone", "text,timetz", FACTS_FN_STABLE},
        {12, "timezone", "text,timetz", FACTS_FN_VOLATILE},
        {17, "timezone", "text,timestamptz", FACTS_FN_IMMUTABLE},
        {17, "random", "", FACTS_FN_VOLATILE},
        {17, "uuid_generate_v4", NULL, FACTS_FN_UNKNOWN},
        /* 0: every major; a function whose volatility changed is mixed */
        {0, "now", NULL, FACTS_FN_STABLE},
        {0, "timezone", "text,timetz", FACTS_FN_MIXED},
        {0, "gen_random_uuid", NULL, FACTS_FN_VOLATILE},
    };
    for (size_t i = 0; i < ARRAY_LEN(vol); i++) {
        FactsVolatility v = facts_function_volatility(f, vol[i].major, vol[i].fname, vol[i].args);
        CHECK(v == vol[i].want, "volatility %zu (%s on %d): %s, want %s", i, vol[i].fname,
              vol[i].major, facts_volatility_name(v), facts_volatility_name(vol[i].want));
    }
    CHECK(facts_volatility_of('s') == FACTS_FN_STABLE &&
              facts_volatility_of('x') == FACTS_FN_UNKNOWN,
          "provolatile letters");

    CHECK_STR(facts_cast_method(f, 17, "integer", "bigint"), "function", "int4 -> int8");
    CHECK_STR(facts_cast_method(f, 17, "character varying", "text"), "binary", "varchar -> text");
    CHECK_STR(facts_cast_method(f, 17, "bigint", "integer"), NULL, "no int8 -> int4 row");
    CHECK_STR(facts_cast_method(f, 9, "integer", "bigint"), NULL, "no row for 9");
    facts_free(f);
}

/* ---- against the servers ----------------------------------------------- */

/* Reading the server's facts again gives the checked-in file's rows for its
 * major; facts_typmod makes the typmods the server keeps. */
static void on_server(const char *conninfo, int major)
{
    Err err = {0};
    Facts *got = facts_new();
    got->source = xstrdup("server");
    CHECK(factsprobe_server(conninfo, major, got, &err) == 0, "%d: probe: %s", major, err.msg);
    facts_merge(got);
    Facts *builtin = NULL;
    CHECK(facts_load(NULL, &builtin, &err) == 0, "built-in: %s", err.msg);
    if (builtin) {
        Facts *mine = facts_restrict(builtin, &major, 1);
        Buf a, b;
        buf_init(&a);
        buf_init(&b);
        facts_write(mine, &a);
        facts_write(got, &b);
        const char *p = a.data, *q = b.data;
        while (*p && *q && *p == *q)
            p++, q++;
        while (p > a.data && p[-1] != '\n')
            p--, q--;
        CHECK(strcmp(a.data, b.data) == 0,
              "%d: predict/facts.tsv is current (lockmatrix facts --update); first difference:\n"
              "  built-in: %.*s\n  server:   %.*s",
              major, (int)strcspn(p, "\n"), p, (int)strcspn(q, "\n"), q);
        CHECK(mine->nrows > 100, "%d: %zu rows in the built-in copy", major, mine->nrows);
        buf_free(&a);
        buf_free(&b);
        facts_free(mine);
    }
    facts_free(builtin);
    facts_free(got);

    static const struct {
        const char *decl, *type;
        int mods[2], n;
    } mods[] = {
        {"varchar(10)", "varchar", M(10)},
        {"char(3)", "bpchar", M(3)},
        {"numeric(10,2)", "numeric", M(10, 2)},
        {"numeric(7)", "numeric", M(7)},
        {"bit(8)", "bit", M(8)},
        {"varbit(5)", "varbit", M(5)},
        {"time(3)", "time", M(3)},
        {"timestamptz(0)", "timestamptz", M(0)},
        {"interval(4)", "interval", M(4)},
        {"text", "text", NOMOD},
    };
    PgConn *c = pgconn_connect(conninfo, 10000, &err);
    CHECK(c != NULL, "%d: connect: %s", major, err.msg);
    for (size_t i = 0; c && i < ARRAY_LEN(mods); i++) {
        const char *sql = "SELECT a.atttypmod FROM pg_attribute a"
                          " WHERE a.attrelid = 'lm_mods'::regclass AND a.attname = 'c'";
        char *create =
            xasprintf("DROP TABLE IF EXISTS lm_mods; CREATE TABLE lm_mods (c %s)", mods[i].decl);
        PgReply r = {0};
        CHECK(pgconn_exec(c, create, 0, &r) == PG_OK, "%s: %s", create, r.message);
        pgreply_clear(&r);
        CHECK(pgconn_exec(c, sql, 0, &r) == PG_OK, "%s: %s", sql, r.message);
        const char *v = pgreply_value(&r, 0, 0, 0);
        int want = facts_typmod(mods[i].type, mods[i].mods, mods[i].n);
        CHECK(v && atoi(v) == want, "%d: %s: atttypmod %s, facts_typmod %d", major, mods[i].decl,
              v ? v : "(null)", want);
        pgreply_clear(&r);
        free(create);
    }
    PgReply r = {0};
    if (c) pgconn_exec(c, "DROP TABLE IF EXISTS lm_mods", 0, &r);
    pgreply_clear(&r);
    pgconn_close(c);
}

int main(void)
{
    test_parse_errors();
    test_relations();
    test_aliases();
    test_ranges();
    test_lookups();
    t_with_servers(on_server);
    return t_done("test_facts");
}
