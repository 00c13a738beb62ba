/*
 * versions: parse and print the set of PostgreSQL majors a run covers.
 *
 * Grammar (whitespace allowed around every token):
 *   spec  := item { "," item }
 *   item  := N | N "-" N | N "-" | "-" N
 * "11-" runs to VERSIONS_MAX, "-12" starts at VERSIONS_MIN.
 */
#include "matrix/versions.h"

#include <ctype.h>
#include <string.h>

static void skip_ws(const char **p)
{
    while (**p == ' ' || **p == '\t')
        (*p)++;
}

/* Reads a decimal number at *p; -1 when there is none (or it is absurdly long). */
static int read_num(const char **p)
{
    skip_ws(p);
    if (!isdigit((unsigned char)**p)) return -1;
    int v = 0, digits = 0;
    while (isdigit((unsigned char)**p)) {
        if (++digits > 4) return -1;
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    skip_ws(p);
    return v;
}

int versions_parse(const char *spec, VersionSet *out, Err *err)
{
    bool have[VERSIONS_MAX + 1] = {false};
    const char *p = spec ? spec : "";
    memset(out, 0, sizeof(*out));

    skip_ws(&p);
    if (*p == '\0') return err_set(err, 2, "invalid version list \"%s\": empty", spec ? spec : "");
    for (;;) {
        int lo, hi;
        skip_ws(&p);
        if (*p == '-') {
            p++;
            lo = VERSIONS_MIN;
            hi = read_num(&p);
            if (hi < 0)
                return err_set(err, 2, "invalid version list \"%s\": expected a version after '-'",
                               spec);
        } else {
            lo = read_num(&p);
            if (lo < 0)
                return err_set(err, 2, "invalid version list \"%s\": expected a version", spec);
            hi = lo;
            if (*p == '-') {
                p++;
                skip_ws(&p);
                if (*p == ',' || *p == '\0') {
                    hi = VERSIONS_MAX;
                } else {
                    hi = read_num(&p);
                    if (hi < 0)
                        return err_set(err, 2,
                                       "invalid version list \"%s\": expected a version after '-'",
                                       spec);
                }
            }
        }
        if (lo < VERSIONS_MIN || lo > VERSIONS_MAX)
            return err_set(err, 2, "invalid version list \"%s\": %d is outside %d-%d", spec, lo,
                           VERSIONS_MIN, VERSIONS_MAX);
        if (hi < VERSIONS_MIN || hi > VERSIONS_MAX)
            return err_set(err, 2, "invalid version list \"%s\": %d is outside %d-%d", spec, hi,
                           VERSIONS_MIN, VERSIONS_MAX);
        if (hi < lo)
            return err_set(err, 2, "invalid version list \"%s\": range %d-%d is reversed", spec, lo,
                           hi);
        for (int v = lo; v <= hi; v++)
            have[v] = true;
        skip_ws(&p);
        if (*p == '\0') break;
        if (*p != ',')
            return err_set(err, 2, "invalid version list \"%s\": unexpected '%c'", spec, *p);
        p++;
    }
    for (int v = VERSIONS_MIN; v <= VERSIONS_MAX; v++)
        if (have[v]) out->v[out->n++] = v;
    return 0;
}

bool versions_has(const VersionSet *s, int major)
{
    for (int i = 0; i < s->n; i++)
        if (s->v[i] == major) return true;
    return false;
}

void versions_ranges(const int *majors, size_t n, Buf *b)
{
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && majors[j + 1] == majors[j] + 1)
            j++;
        buf_printf(b, "%s%d", i ? "," : "", majors[i]);
        if (j > i)
            buf_printf(b, "-%d", majors[j]);
        i = j + 1;
    }
}

void versions_format(const VersionSet *s, Buf *b)
{
    for (int i = 0; i < s->n; i++)
        buf_printf(b, "%s%d", i ? "," : "", s->v[i]);
}
