/* test_jsonread: the JSON reader, a table of documents and what they hold. */
#include <math.h>
#include <stdlib.h>

#include "common/jsonread.h"
#include "t.h"

static const struct {
    const char *doc;
    const char *path; /* "Key" or "Key.Sub" or "#2" (array index), NULL: root */
    const char *str;  /* expected string, or NULL */
    double num;       /* expected number when str is NULL and type is number */
    JsonType type;
} ok_cases[] = {
    {"{\"ApiVersion\":\"1.41\"}", "ApiVersion", "1.41", 0, JSONR_STRING},
    {" {\"a\" : {\"b\": [1, 2, 3]}} ", "a.b", NULL, 0, JSONR_ARRAY},
    {"[1, -2.5e2, 3]", "#1", NULL, -250, JSONR_NUMBER},
    {"{\"s\":\"tab\\there \\\"q\\\" \\\\ \\/\"}", "s", "tab\there \"q\" \\ /", 0, JSONR_STRING},
    {"{\"u\":\"\\u00e9\\u20ac\"}", "u", "\xc3\xa9\xe2\x82\xac", 0, JSONR_STRING},
    {"{\"p\":\"\\ud83d\\ude00\"}", "p", "\xf0\x9f\x98\x80", 0, JSONR_STRING},
    {"{\"e\":\"\"}", "e", "", 0, JSONR_STRING},
    {"{\"t\":true,\"f\":false,\"n\":null}", "t", NULL, 0, JSONR_TRUE},
    {"{\"t\":true,\"f\":false,\"n\":null}", "f", NULL, 0, JSONR_FALSE},
    {"{\"t\":true,\"f\":false,\"n\":null}", "n", NULL, 0, JSONR_NULL},
    {"{\"Ports\":{\"5432/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"49153\"}]}}",
     "Ports.5432/tcp", NULL, 0, JSONR_ARRAY},
    {"0", NULL, NULL, 0, JSONR_NUMBER},
    {"[]", NULL, NULL, 0, JSONR_ARRAY},
    {"{}", NULL, NULL, 0, JSONR_OBJECT},
    {"{\"dup\":1,\"dup\":2}", "dup", NULL, 1, JSONR_NUMBER},
};

static const char *bad_cases[] = {
    "",         "{",     "[1,]",  "{\"a\" 1}", "{\"a\":1,}", "\"unterminated",
    "tru",      "01x",   "1.",    "1e",        "\"\\x\"",    "\"\\u12g4\"",
    "\"a\nb\"", "{} []", "[1 2]", "{1:2}",     "-",          "nul",
};

static const JsonNode *follow(const JsonNode *n, const char *path)
{
    if (!path) return n;
    char *copy = strdup(path);
    char *save = NULL;
    /* split on '.' only between keys (keys here hold no dots) */
    for (char *k = strtok_r(copy, ".", &save); k && n; k = strtok_r(NULL, ".", &save))
        n = k[0] == '#' ? jsonread_at(n, (size_t)atoi(k + 1)) : jsonread_get(n, k);
    free(copy);
    return n;
}

int main(void)
{
    for (size_t i = 0; i < ARRAY_LEN(ok_cases); i++) {
        Err err = {0};
        JsonNode *root = jsonread_parse(ok_cases[i].doc, strlen(ok_cases[i].doc), &err);
        CHECK(root != NULL, "case %zu: %s", i, err.msg);
        if (!root) continue;
        const JsonNode *n = follow(root, ok_cases[i].path);
        CHECK(n && n->type == ok_cases[i].type, "case %zu: type", i);
        if (n && ok_cases[i].str) CHECK_STR(jsonread_str(n), ok_cases[i].str, "case %zu", i);
        if (n && !ok_cases[i].str && n->type == JSONR_NUMBER)
            CHECK(fabs(n->num - ok_cases[i].num) < 1e-9, "case %zu: %g", i, n->num);
        jsonread_free(root);
    }
    for (size_t i = 0; i < ARRAY_LEN(bad_cases); i++) {
        Err err = {0};
        JsonNode *root = jsonread_parse(bad_cases[i], strlen(bad_cases[i]), &err);
        CHECK(root == NULL, "bad case %zu \"%s\" parsed", i, bad_cases[i]);
        CHECK(strncmp(err.msg, "invalid JSON at offset ", 23) == 0, "bad case %zu: \"%s\"", i,
              err.msg);
        jsonread_free(root);
    }

    /* helpers on the wrong types and NULLs */
    Err err = {0};
    const char *doc = "{\"State\":{\"Running\":true,\"ExitCode\":7},\"Names\":[\"/x\"]}";
    JsonNode *root = jsonread_parse(doc, strlen(doc), &err);
    CHECK(jsonread_true(jsonread_path(root, "State", "Running", NULL)), "path");
    CHECK(jsonread_num(jsonread_path(root, "State", "ExitCode", NULL), -1) == 7, "num");
    CHECK(jsonread_path(root, "State", "Nope", "Deeper", NULL) == NULL, "missing path");
    CHECK_STR(jsonread_str(jsonread_at(jsonread_get(root, "Names"), 0)), "/x", "at");
    CHECK(jsonread_at(jsonread_get(root, "Names"), 1) == NULL, "at out of range");
    CHECK(jsonread_str(jsonread_get(root, "State")) == NULL, "str of an object");
    CHECK(jsonread_num(NULL, 3) == 3, "num of NULL");
    CHECK(jsonread_get(jsonread_get(root, "Names"), "x") == NULL, "get on an array");
    jsonread_free(root);

    /* nesting limit */
    char deep[600];
    memset(deep, '[', 300);
    memset(deep + 300, ']', 300);
    root = jsonread_parse(deep, 600, &err);
    CHECK(root == NULL && strstr(err.msg, "nested too deeply"), "deep: %s", err.msg);
    jsonread_free(root);
    return t_done("test_jsonread");
}
