/*
 * test_versions: version-set specs, good and bad, as a table.
 */
#include <stdlib.h>

#include "model/versions.h"
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
    /* minor releases: a column each, after the majors, in release order */
    {"17.9,17.10", "17.9,17.10", NULL},
    {"17.10,17.9", "17.9,17.10", NULL},
    {"16,17.9,17.10", "16,17.9,17.10", NULL},
    {"17,17.10", "17,17.10", NULL},
    {"17.0-17.3", "17.0,17.1,17.2,17.3", NULL},
    {" 17.8 - 17.10 ", "17.8,17.9,17.10", NULL},
    {"18.4,10.0", "10.0,18.4", NULL},
    {"17.9,17.9", "17.9", NULL},
    {"17.99", "17.99", NULL}, /* well-formed; whether it exists is the installation's word */
    {"9.6", NULL, "invalid version list \"9.6\": 9.6 is outside 10-18"},
    {"19.1", NULL, "invalid version list \"19.1\": 19.1 is outside 10-18"},
    {"18.x", NULL, "invalid version list \"18.x\": expected a minor release number after \"18.\""},
    {"18.", NULL, "invalid version list \"18.\": expected a minor release number after \"18.\""},
    {"17.100", NULL, "invalid version list \"17.100\": 17.100 is no release (a minor is 0-99)"},
    {"17.9.1", NULL, "invalid version list \"17.9.1\": unexpected '.'"},
    {"16-17.9", NULL,
     "invalid version list \"16-17.9\": range 16-17.9 mixes a major and a minor release"},
    {"16.1-17", NULL,
     "invalid version list \"16.1-17\": range 16.1-17 mixes a major and a minor release"},
    {"16.1-17.2", NULL,
     "invalid version list \"16.1-17.2\": range 16.1-17.2 spans two majors (name the minors of "
     "each major apart)"},
    {"17.10-17.9", NULL, "invalid version list \"17.10-17.9\": range 17.10-17.9 is reversed"},
    {"17.9-", NULL,
     "invalid version list \"17.9-\": a range of minor releases needs both ends, e.g. 17.0-17.10"},
    {"-17.9", NULL,
     "invalid version list \"-17.9\": a range of minor releases needs both ends, e.g. 17.0-17.10"},
    {"10.0-10.99,11.0-11.99", NULL,
     "invalid version list \"10.0-10.99,11.0-11.99\": more than 128 versions"},
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
        {{1709, 1710}, 2, "17.9-17.10"},
        {{16, 17, 1708, 1710}, 4, "16-17,17.8,17.10"},
        {{17, 1700, 1799, 1800}, 4, "17,17.0,17.99,18.0"},
        {{18, 1701, 1702, 1703}, 4, "18,17.1-17.3"},
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

    /* One column id, and its one name. */
    static const struct {
        int id, major, minor;
        const char *name;
    } ids[] = {
        {17, 17, -1, "17"},      {10, 10, -1, "10"},    {1709, 17, 9, "17.9"},
        {1710, 17, 10, "17.10"}, {1000, 10, 0, "10.0"}, {1899, 18, 99, "18.99"},
    };
    for (size_t i = 0; i < ARRAY_LEN(ids); i++) {
        CHECK(version_major(ids[i].id) == ids[i].major, "major of %d", ids[i].id);
        CHECK(version_minor(ids[i].id) == ids[i].minor, "minor of %d", ids[i].id);
        CHECK_STR(VERSION_NAME(ids[i].id), ids[i].name, "name of %d", ids[i].id);
        if (ids[i].minor >= 0)
            CHECK(version_id(ids[i].major, ids[i].minor) == ids[i].id, "id of %s", ids[i].name);
        /* what versions_format writes, versions_parse reads back */
        CHECK(versions_parse(ids[i].name, &s, &err) == 0 && s.n == 1 && s.v[0] == ids[i].id,
              "\"%s\" reads back as %d", ids[i].name, ids[i].id);
    }

    /* A range of minors runs the releases there are (installed ones). */
    static const int installed[] = {1700, 1702, 1709, 1710, 1604};
    VersionsKnown known = {installed, ARRAY_LEN(installed)};
    static const Case known_cases[] = {
        {"17.0-17.10", "17.0,17.2,17.9,17.10", NULL},
        {"16,17.1-17.9", "16,17.2,17.9", NULL},
        {"17.3", "17.3", NULL}, /* named alone: kept, its absence is told where it runs */
        {"17.3-17.8", NULL,
         "invalid version list \"17.3-17.8\": no release in 17.3-17.8 is installed"},
    };
    for (size_t i = 0; i < ARRAY_LEN(known_cases); i++) {
        const Case *c = &known_cases[i];
        err_clear(&err);
        int rc = versions_parse_known(c->spec, &known, &s, &err);
        if (c->want) {
            Buf b;
            buf_init(&b);
            versions_format(&s, &b);
            CHECK(rc == 0, "known \"%s\" parses (%s)", c->spec, err.msg);
            CHECK_STR(b.data ? b.data : "", c->want, "known \"%s\"", c->spec);
            buf_free(&b);
        } else {
            CHECK(rc == -1, "known \"%s\" is rejected", c->spec);
            CHECK_STR(err.msg, c->msg, "message for known \"%s\"", c->spec);
        }
    }

    /* What the store keeps (versions_format) reads back, and lists written
     * by older versions too. */
    int *got;
    size_t n = versions_read_stored("10,16,17.9,17.10", &got);
    CHECK(n == 4 && got[0] == 10 && got[1] == 16 && got[2] == 1709 && got[3] == 1710,
          "stored list with minors reads back (%zu)", n);
    free(got);
    n = versions_read_stored("10, 11,x12", &got);
    CHECK(n == 3 && got[2] == 12, "a hand-written list: every number (%zu)", n);
    free(got);
    return t_done("test_versions");
}
