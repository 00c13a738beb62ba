/*
 * json_escape (common/json.c): a table of strings and the JSON text they
 * become, including what fuzzing found (tests/fuzz/regressions/escape/):
 * bytes that are not UTF-8 used to be copied as they were, making the JSON
 * report invalid; they become U+FFFD.
 */
#include "common/json.h"
#include "common/jsonread.h"
#include "common/util.h"
#include "t.h"

static const struct {
    const char *in;
    size_t n; /* 0: strlen */
    const char *want;
} cases[] = {
    {"plain", 0, "\"plain\""},
    {"", 0, "\"\""},
    {"quote \" and \\ back", 0, "\"quote \\\" and \\\\ back\""},
    {"nl\ntab\tcr\r", 0, "\"nl\\ntab\\tcr\\r\""},
    {"\x1b[31mred", 0, "\"\\u001b[31mred\""},
    {"</script><!--&", 0, "\"\\u003c/script\\u003e\\u003c!--\\u0026\""},
    {"del\x7f", 0, "\"del\\u007f\""},
    {"nul\0byte", 8, "\"nul\\u0000byte\""},
    {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x98", 0,
     "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x98\""},
    /* the fuzzer's find: ff fe c3 28 */
    {"\xff\xfe\xc3(", 0, "\"\\ufffd\\ufffd\\ufffd(\""},
    {"latin1 caf\xe9.sql", 0, "\"latin1 caf\\ufffd.sql\""},
    {"cut \xe2\x82", 0, "\"cut \\ufffd\\ufffd\""},
    {"overlong \xc0\xaf", 0, "\"overlong \\ufffd\\ufffd\""},
    {"surrogate \xed\xa0\x80", 0, "\"surrogate \\ufffd\\ufffd\\ufffd\""},
    {"too big \xf4\x90\x80\x80", 0, "\"too big \\ufffd\\ufffd\\ufffd\\ufffd\""},
};

int main(void)
{
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        Buf b;
        buf_init(&b);
        size_t n = cases[i].n ? cases[i].n : strlen(cases[i].in);
        json_escape(&b, cases[i].in, n);
        CHECK_STR(b.data, cases[i].want, "case %zu", i);
        size_t bad;
        CHECK(utf8_valid(b.data, b.len, &bad), "case %zu: valid UTF-8", i);
        Err err = {0};
        JsonNode *node = jsonread_parse(b.data, b.len, &err);
        CHECK(node && jsonread_str(node), "case %zu parses back: %s", i, err.msg);
        jsonread_free(node);
        buf_free(&b);
    }
    return t_done("test_json_escape");
}
