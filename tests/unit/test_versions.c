/*
 * test_versions: version-set specs, good and bad, as a table.
 */
#include "matrix/versions.h"
#include "t.h"

typedef struct Case {
    const char *spec;
    const char *want; /* versions_format of the result, or NULL when it must fail */
    const char *msg;  /* the error message when it fails */
} Case;

/* the bounds of the version map as strings: "10", "18" */
#define STR_(x) #x
#define STR(x) STR_(x)
#define MIN_S STR(VERSIONS_MIN)
#define MAX_S STR(VERSIONS_MAX)
#define OUTSIDE " is outside " MIN_S "-" MAX_S

static const Case cases[] = {
    {"10-17", "10,11,12,13,14,15,16,17", NULL},
    {VERSIONS_DEFAULT, VERSIONS_ALL, NULL},
    {"10-", VERSIONS_ALL, NULL},
    {"12,14,17", "12,14,17", NULL},
    {"17,12,14,12", "12,14,17", NULL},
    {"11-", VERSIONS_ALL + 3, NULL}, /* VERSIONS_ALL without "10," */
    {"-12", "10,11,12", NULL},
    {"10,12-14", "10,12,13,14", NULL},
    {"10-11,16-17", "10,11,16,17", NULL},
    {"10-11," MAX_S "-", "10,11," MAX_S, NULL},
    {" 10 - 12 , 15 ", "10,11,12,15", NULL},
    {"\t14\t", "14", NULL},
    {MAX_S, MAX_S, NULL},
    {"10", "10", NULL},
    {"15-15", "15", NULL},
    {"012", "12", NULL},
    {"", NULL, "invalid version list \"\": empty"},
    {"   ", NULL, "invalid version list \"   \": empty"},
    {"9", NULL, "invalid version list \"9\": 9" OUTSIDE},
    {"99", NULL, "invalid version list \"99\": 99" OUTSIDE},
    {"9-12", NULL, "invalid version list \"9-12\": 9" OUTSIDE},
    {"12-99", NULL, "invalid version list \"12-99\": 99" OUTSIDE},
    {"14-12", NULL, "invalid version list \"14-12\": range 14-12 is reversed"},
    {"12,", NULL, "invalid version list \"12,\": expected a version"},
    {",12", NULL, "invalid version list \",12\": expected a version"},
    {"12,,13", NULL, "invalid version list \"12,,13\": expected a version"},
    {"-", NULL, "invalid version list \"-\": expected a version after '-'"},
    {"12-x", NULL, "invalid version list \"12-x\": expected a version after '-'"},
    {"abc", NULL, "invalid version list \"abc\": expected a version"},
    {"12 13", NULL, "invalid version list \"12 13\": unexpected '1'"},
    {"12;13", NULL, "invalid version list \"12;13\": unexpected ';'"},
    {"12-13-14", NULL, "invalid version list \"12-13-14\": unexpected '-'"},
    {"99999999999", NULL, "invalid version list \"99999999999\": expected a version"},
};

int main(void)
{
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const Case *c = &cases[i];
        VersionSet s;
        Err err = {0};
        int rc = versions_parse(c->spec, &s, &err);
        if (c->want) {
            CHECK(rc == 0, "\"%s\" parses (%s)", c->spec, err.msg);
            Buf b;
            buf_init(&b);
            versions_format(&s, &b);
            CHECK_STR(b.data ? b.data : "", c->want, "format of \"%s\"", c->spec);
            buf_free(&b);
        } else {
            CHECK(rc == -1, "\"%s\" is rejected", c->spec);
            CHECK(err.code == 2, "\"%s\": code %d", c->spec, err.code);
            CHECK_STR(err.msg, c->msg, "message for \"%s\"", c->spec);
        }
    }

    static const struct {
        int v[8];
        size_t n;
        const char *want;
    } ranges[] = {
        {{10, 11, 12, 13, 14, 15, 16, 17}, 8, "10-17"},
        {{10}, 1, "10"},
        {{10, 11}, 2, "10-11"},
        {{10, 12, 13, 15}, 4, "10,12-13,15"},
        {{0}, 0, ""},
    };
    for (size_t i = 0; i < ARRAY_LEN(ranges); i++) {
        Buf b;
        buf_init(&b);
        buf_puts(&b, "");
        versions_ranges(ranges[i].v, ranges[i].n, &b);
        CHECK_STR(b.data, ranges[i].want, "versions %zu", i);
        buf_free(&b);
    }

    VersionSet s;
    Err err = {0};
    CHECK(versions_parse("10,12-14", &s, &err) == 0, "parse");
    CHECK(versions_has(&s, 10) && versions_has(&s, 13) && !versions_has(&s, 11) &&
              !versions_has(&s, 17),
          "versions_has");
    CHECK(!versions_has(&s, 9) && !versions_has(&s, 99), "versions_has out of range");
    CHECK(versions_parse(NULL, &s, &err) == -1 && err.code == 2, "NULL spec is rejected");
    return t_done("test_versions");
}
