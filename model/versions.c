/*
 * versions: parse and print the set of PostgreSQL versions a run covers.
 *
 * Grammar (whitespace allowed around every token):
 *   spec     := item { "," item }
 *   item     := N | N "-" N | N "-" | "-" N | M "-" M
 *   M        := N "." N                       a minor release, "17.9"
 * "11-" runs to VERSIONS_MAX, "-12" starts at VERSIONS_MIN; a range of minor
 * releases stays within one major and has both ends.
 */
#include "model/versions.h"
#include "common/json.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
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

/* One version at *p: a major (its id is itself) or major.minor (its id is
 * version_id). -1 with err when there is none; *is_minor tells which. */
static int read_version(const char **p, const char *spec, const char *what, bool *is_minor,
                        Err *err)
{
    int major = read_num(p);
    if (major < 0)
        return err_set(err, EXIT_USAGE, "invalid version list \"%s\": expected a version%s", spec,
                       what);
    *is_minor = false;
    if (**p == '.') {
        (*p)++;
        int minor = read_num(p);
        if (minor < 0)
            return err_set(err, EXIT_USAGE,
                           "invalid version list \"%s\": expected a minor release number after "
                           "\"%d.\"",
                           spec, major);
        if (major < VERSIONS_MIN || major > VERSIONS_MAX)
            return err_set(err, EXIT_USAGE, "invalid version list \"%s\": %d.%d is outside %d-%d",
                           spec, major, minor, VERSIONS_MIN, VERSIONS_MAX);
        if (minor > 99)
            return err_set(err, EXIT_USAGE,
                           "invalid version list \"%s\": %d.%d is no release (a minor is 0-99)",
                           spec, major, minor);
        *is_minor = true;
        return version_id(major, minor);
    }
    return major;
}

static bool known_has(const VersionsKnown *known, int id)
{
    for (size_t i = 0; i < known->n; i++)
        if (known->ids[i] == id) return true;
    return false;
}

int versions_parse(const char *spec, VersionSet *out, Err *err)
{
    return versions_parse_known(spec, NULL, out, err);
}

int versions_parse_known(const char *spec, const VersionsKnown *known, VersionSet *out, Err *err)
{
    bool have[VERSIONS_ID_MAX + 1] = {false};
    const char *p = spec ? spec : "";
    memset(out, 0, sizeof(*out));

    skip_ws(&p);
    if (*p == '\0')
        return err_set(err, EXIT_USAGE, "invalid version list \"%s\": empty", spec ? spec : "");
    for (;;) {
        int lo, hi;
        bool lo_minor = false, hi_minor = false;
        skip_ws(&p);
        const char *item = p;
        if (*p == '-') {
            p++;
            lo = VERSIONS_MIN;
            hi = read_version(&p, spec, " after '-'", &hi_minor, err);
            if (hi < 0) return -1;
            if (hi_minor)
                return err_set(err, EXIT_USAGE,
                               "invalid version list \"%s\": a range of minor releases needs both "
                               "ends, e.g. 17.0-17.10",
                               spec);
        } else {
            lo = read_version(&p, spec, "", &lo_minor, err);
            if (lo < 0) return -1;
            hi = lo;
            hi_minor = lo_minor;
            if (*p == '-') {
                p++;
                skip_ws(&p);
                if (*p == ',' || *p == '\0') {
                    if (lo_minor)
                        return err_set(err, EXIT_USAGE,
                                       "invalid version list \"%s\": a range of minor releases "
                                       "needs both ends, e.g. 17.0-17.10",
                                       spec);
                    hi = VERSIONS_MAX;
                } else {
                    hi = read_version(&p, spec, " after '-'", &hi_minor, err);
                    if (hi < 0) return -1;
                }
            }
        }
        int item_len = (int)(p - item);
        while (item_len > 0 && (item[item_len - 1] == ' ' || item[item_len - 1] == '\t'))
            item_len--;
        if (lo_minor != hi_minor)
            return err_set(err, EXIT_USAGE,
                           "invalid version list \"%s\": range %.*s mixes a major and a minor "
                           "release",
                           spec, item_len, item);
        if (!lo_minor) {
            if (lo < VERSIONS_MIN || lo > VERSIONS_MAX)
                return err_set(err, EXIT_USAGE, "invalid version list \"%s\": %d is outside %d-%d",
                               spec, lo, VERSIONS_MIN, VERSIONS_MAX);
            if (hi < VERSIONS_MIN || hi > VERSIONS_MAX)
                return err_set(err, EXIT_USAGE, "invalid version list \"%s\": %d is outside %d-%d",
                               spec, hi, VERSIONS_MIN, VERSIONS_MAX);
        } else if (version_major(lo) != version_major(hi)) {
            return err_set(err, EXIT_USAGE,
                           "invalid version list \"%s\": range %.*s spans two majors (name the "
                           "minors of each major apart)",
                           spec, item_len, item);
        }
        if (hi < lo) {
            if (lo_minor)
                return err_set(err, EXIT_USAGE,
                               "invalid version list \"%s\": range %.*s is reversed", spec,
                               item_len, item);
            return err_set(err, EXIT_USAGE, "invalid version list \"%s\": range %d-%d is reversed",
                           spec, lo, hi);
        }
        if (lo_minor && hi > lo && known) {
            /* A range of minors: the releases there are. */
            int found = 0;
            for (int v = lo; v <= hi; v++)
                if (known_has(known, v)) {
                    have[v] = true;
                    found++;
                }
            if (found == 0)
                return err_set(err, EXIT_USAGE,
                               "invalid version list \"%s\": no release in %.*s is installed", spec,
                               item_len, item);
        } else {
            for (int v = lo; v <= hi; v++)
                have[v] = true;
        }
        skip_ws(&p);
        if (*p == '\0') break;
        if (*p != ',')
            return err_set(err, EXIT_USAGE, "invalid version list \"%s\": unexpected '%c'", spec,
                           *p);
        p++;
    }
    for (int v = VERSIONS_MIN; v <= VERSIONS_ID_MAX; v++)
        if (have[v]) {
            if (out->n == VERSIONS_CAP)
                return err_set(err, EXIT_USAGE,
                               "invalid version list \"%s\": more than %d versions", spec,
                               VERSIONS_CAP);
            out->v[out->n++] = v;
        }
    return 0;
}

bool versions_has(const VersionSet *s, int major)
{
    for (int i = 0; i < s->n; i++)
        if (s->v[i] == major) return true;
    return false;
}

void versions_ranges(const int *ids, size_t n, Buf *b)
{
    for (size_t i = 0; i < n;) {
        size_t j = i;
        /* consecutive: the next major, or the next minor of one major */
        while (j + 1 < n && ids[j + 1] == ids[j] + 1 &&
               version_major(ids[j + 1]) == version_major(ids[j]) + (ids[j] > VERSIONS_MAX ? 0 : 1))
            j++;
        buf_printf(b, "%s%s", i ? "," : "", VERSION_NAME(ids[i]));
        if (j > i) buf_printf(b, "-%s", VERSION_NAME(ids[j]));
        i = j + 1;
    }
}

void versions_format(const VersionSet *s, Buf *b)
{
    for (int i = 0; i < s->n; i++)
        buf_printf(b, "%s%s", i ? "," : "", VERSION_NAME(s->v[i]));
}

int version_id(int major, int minor)
{
    return major * 100 + minor;
}

int version_major(int id)
{
    return id >= 100 ? id / 100 : id;
}

int version_minor(int id)
{
    return id >= 100 ? id % 100 : -1;
}

const char *version_name(int id, char out[VERSION_NAME_LEN])
{
    if (id >= 100)
        snprintf(out, VERSION_NAME_LEN, "%d.%d", id / 100, id % 100);
    else
        snprintf(out, VERSION_NAME_LEN, "%d", id);
    return out;
}

void version_json(JsonW *w, int id)
{
    if (version_minor(id) >= 0)
        json_str(w, VERSION_NAME(id));
    else
        json_int(w, id);
}

size_t versions_read_stored(const char *text, int **ids)
{
    VersionSet vs;
    Err err;
    err_clear(&err);
    *ids = NULL;
    size_t n = 0, cap = 0;
    if (text && versions_parse(text, &vs, &err) == 0) {
        for (int i = 0; i < vs.n; i++)
            *ARRAY_PUSH(*ids, n, cap) = vs.v[i];
        return n;
    }
    /* Not a spec (a store written by hand): every number in it. */
    for (const char *p = text; p && *p;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p) {
            p++;
            continue;
        }
        *ARRAY_PUSH(*ids, n, cap) = (int)v;
        p = end;
    }
    return n;
}
