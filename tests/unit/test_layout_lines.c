/*
 * jsextract_sql: the line of every extracted piece, a table of cases.
 * Fuzzing (tests/fuzz/fuzz_jsextract.c, regression input
 * tests/fuzz/regressions/jsextract/) found that an unterminated string counted
 * its newline twice: every later piece was reported a line too low.
 */
#include "corpus/jsextract.h"
#include "t.h"

static const struct {
    const char *js;
    int npieces;
    int lines[4];
} cases[] = {
    {"knex.raw('SELECT 1');\nknex.raw('SELECT 2');\n", 2, {1, 2}},
    {"x = 'never closed;\nknex.raw('SELECT 2');\n", 1, {2}},
    {"x = \"never closed;\ny = 'again;\n\nknex.raw(`SELECT 4`);\n", 1, {4}},
    {"knex.raw(`SELECT\n1`);\nknex.raw('SELECT 3');\n", 2, {1, 3}},
    {"/* a\nb */ knex.raw('SELECT 2');\n", 1, {2}},
    {"x = `a ${ 'b' }\n c`;\nknex.raw('SELECT 3');\n", 1, {3}},
    {"x = `a ${ 'unterminated\n } c`;\nknex.raw('SELECT 3');\n", 1, {3}},
    /* the second find: a backslash before a lone CR counted a line */
    {"x = 'a\\\rb';\nknex.raw('SELECT 2');\n", 1, {2}},
    {"x = 'a\\\r\nb';\nknex.raw('SELECT 3');\n", 1, {3}},
};

int main(void)
{
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        JsPiece *p = NULL;
        size_t n = 0, skipped = 0;
        jsextract_sql(cases[i].js, strlen(cases[i].js), &p, &n, &skipped);
        CHECK(n == (size_t)cases[i].npieces, "case %zu: %zu pieces", i, n);
        for (size_t k = 0; k < n && k < 4; k++)
            CHECK(p[k].line == cases[i].lines[k], "case %zu piece %zu: line %d, want %d", i, k,
                  p[k].line, cases[i].lines[k]);
        jsextract_free(p, n);
    }
    return t_done("test_layout_lines");
}
