/*
 * facts: PostgreSQL's per-version facts (see facts.h), their file format,
 * the categories of type modifiers and the lookups.
 *
 * File format (TSV, one row per line, '#' lines are comments):
 *   cast        first  last  source  target  method  context
 *   typechange  first  last  from  to  relation  using  tz  rewrite  index
 *   function    first  last  function  args  volatility
 * method: binary, function, inout; context: implicit, assignment, explicit;
 * relation: a FactsRelation name; using: "-" (none), self, cast; tz: utc,
 * non-utc, any; rewrite: yes, no; index: yes, no, "-" (the type has no
 * btree index); args: "-" (every overload) or "(int4,int4)"; volatility:
 * volatile, stable, immutable.
 */
#include "predict/facts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/tsv.h"
#include "model/versions.h"

/* ---- the built-in copy ------------------------------------------------- */

/* predict/facts.tsv, assembled into the binary (the Makefile makes this
 * object depend on the file); NUL-terminated. */
TSV_EMBED(lm_facts_tsv, "predict/facts.tsv");

const char *facts_builtin(size_t *len)
{
    *len = (size_t)(lm_facts_tsv_end - lm_facts_tsv_start);
    return lm_facts_tsv_start;
}

/* ---- the kinds of rows ------------------------------------------------- */

/* The words a field takes (n of them); n 0: any non-empty word. */
typedef struct Words {
    const char *const *w;
    int n;
} Words;

#define WORDS(arr)                                                                                 \
    {                                                                                              \
        (arr), (int)ARRAY_LEN(arr)                                                                 \
    }
#define ANY_WORD                                                                                   \
    {                                                                                              \
        NULL, 0                                                                                    \
    }

static const char *const methods[] = {"binary", "function", "inout"};
static const char *const contexts[] = {"implicit", "assignment", "explicit"};
static const char *const yes_no[] = {"yes", "no"};
static const char *const yes_no_none[] = {"yes", "no", "-"};
static const char *const volatilities[] = {"immutable", "stable",
                                           "volatile"}; /* FactsVolatility - 1 */
static const char *const relation_names[FACTS_NRELATIONS];
static const char *const tz_names[FACTS_NTZ];
static const char *const using_names[FACTS_NUSING];

static const struct kind {
    const char *name;
    int nf;
    const char *fields[FACTS_MAXFIELDS];
    Words words[FACTS_MAXFIELDS];
} kinds[FACT_NKINDS] = {
    [FACT_CAST] = {"cast",
                   4,
                   {"source", "target", "method", "context"},
                   {ANY_WORD, ANY_WORD, WORDS(methods), WORDS(contexts)}},
    [FACT_TYPECHANGE] = {"typechange",
                         7,
                         {"from", "to", "relation", "using", "tz", "rewrite", "index"},
                         {ANY_WORD, ANY_WORD, WORDS(relation_names), WORDS(using_names),
                          WORDS(tz_names), WORDS(yes_no), WORDS(yes_no_none)}},
    [FACT_FUNCTION] = {"function",
                       3,
                       {"function", "args", "volatility"},
                       {ANY_WORD, ANY_WORD, WORDS(volatilities)}},
};

/* The index of s among words, -1 when it is none of them (or empty). */
static int word_index(const Words *words, const char *s)
{
    if (!*s) return -1;
    if (words->n == 0) return 0;
    for (int i = 0; i < words->n; i++)
        if (strcmp(s, words->w[i]) == 0) return i;
    return -1;
}

const char *facts_kind_name(FactKind k)
{
    return k >= 0 && k < FACT_NKINDS ? kinds[k].name : "?";
}

int facts_kind_fields(FactKind k)
{
    return k >= 0 && k < FACT_NKINDS ? kinds[k].nf : 0;
}

static int kind_parse(const char *s)
{
    for (int k = 0; k < FACT_NKINDS; k++)
        if (strcmp(s, kinds[k].name) == 0) return k;
    return -1;
}

/* ---- type names and modifiers ------------------------------------------ */

static const struct alias {
    const char *sql, *name;
} aliases[] = {
    {"smallint", "int2"},
    {"integer", "int4"},
    {"int", "int4"},
    {"bigint", "int8"},
    {"decimal", "numeric"},
    {"real", "float4"},
    {"float", "float8"},
    {"double precision", "float8"},
    {"boolean", "bool"},
    {"character varying", "varchar"},
    {"char varying", "varchar"},
    {"character", "bpchar"},
    {"char", "bpchar"},
    {"bit varying", "varbit"},
    {"time without time zone", "time"},
    {"time with time zone", "timetz"},
    {"timestamp without time zone", "timestamp"},
    {"timestamp with time zone", "timestamptz"},
    {"smallserial", "int2"},
    {"serial", "int4"},
    {"bigserial", "int8"},
};

const char *facts_type_name(const char *name)
{
    if (!name) return NULL;
    const char *bare = strncmp(name, "pg_catalog.", 11) == 0 ? name + 11 : name;
    for (size_t i = 0; i < ARRAY_LEN(aliases); i++)
        if (strcasecmp(bare, aliases[i].sql) == 0) return aliases[i].name;
    return bare;
}

static const char *const relation_names[FACTS_NRELATIONS] = {
    [FACTS_REL_PLAIN] = "plain",
    [FACTS_REL_SAME] = "same",
    [FACTS_REL_WIDER] = "wider",
    [FACTS_REL_NARROWER] = "narrower",
    [FACTS_REL_UNCONSTRAIN] = "unconstrain",
    [FACTS_REL_CONSTRAIN] = "constrain",
    [FACTS_REL_PRECISION_UP] = "precision-up",
    [FACTS_REL_PRECISION_DOWN] = "precision-down",
    [FACTS_REL_SCALE_CHANGE] = "scale-change",
    [FACTS_REL_FIELDS_CHANGE] = "fields-change",
    [FACTS_REL_OTHER] = "other",
};

const char *facts_relation_name(FactsRelation r)
{
    return r >= 0 && r < FACTS_NRELATIONS ? relation_names[r] : "?";
}

/* How a type's typmod is made from its declared modifiers (PostgreSQL's
 * typmodin functions). */
typedef enum TypmodKind { TM_NONE, TM_LENGTH, TM_VARLENGTH, TM_NUMERIC, TM_INTERVAL } TypmodKind;

static const struct typmod_type {
    const char *name;
    TypmodKind kind;
} typmod_types[] = {
    {"varchar", TM_VARLENGTH}, {"bpchar", TM_VARLENGTH}, {"numeric", TM_NUMERIC},
    {"bit", TM_LENGTH},        {"varbit", TM_LENGTH},    {"time", TM_LENGTH},
    {"timetz", TM_LENGTH},     {"timestamp", TM_LENGTH}, {"timestamptz", TM_LENGTH},
    {"interval", TM_INTERVAL},
};

#define VARHDRSZ 4
#define INTERVAL_FULL_RANGE 0x7FFF
#define INTERVAL_FULL_PRECISION 0xFFFF

static TypmodKind typmod_kind(const char *type)
{
    type = facts_type_name(type);
    for (size_t i = 0; type && i < ARRAY_LEN(typmod_types); i++)
        if (strcmp(type, typmod_types[i].name) == 0) return typmod_types[i].kind;
    return TM_NONE;
}

int facts_typmod(const char *type, const int *mods, int n)
{
    if (n <= 0) return -1;
    switch (typmod_kind(type)) {
    case TM_VARLENGTH:
        return mods[0] + VARHDRSZ;
    case TM_LENGTH:
        return mods[0];
    case TM_NUMERIC:
        return ((mods[0] << 16) | ((n > 1 ? mods[1] : 0) & 0x7ff)) + VARHDRSZ;
    case TM_INTERVAL:
        return (INTERVAL_FULL_RANGE << 16) | mods[0];
    case TM_NONE:
        break;
    }
    return -1;
}

/* A typmod as (length or precision, scale, fields); false for none. */
typedef struct Mod {
    int len, scale, fields;
} Mod;

static bool typmod_decode(const char *type, int typmod, Mod *m)
{
    *m = (Mod){0};
    if (typmod < 0) return false;
    switch (typmod_kind(type)) {
    case TM_VARLENGTH:
        m->len = typmod - VARHDRSZ;
        return true;
    case TM_LENGTH:
        m->len = typmod;
        return true;
    case TM_NUMERIC:
        m->len = ((typmod - VARHDRSZ) >> 16) & 0xffff;
        m->scale = (((typmod - VARHDRSZ) & 0x7ff) ^ 1024) - 1024; /* 11 bits, signed */
        return true;
    case TM_INTERVAL:
        m->len = typmod & 0xffff;
        m->fields = (typmod >> 16) & 0x7fff;
        return true;
    case TM_NONE:
        break;
    }
    return false;
}

FactsRelation facts_typmod_relation(const char *from, int from_typmod, const char *to,
                                    int to_typmod)
{
    Mod a, b;
    bool has_a = typmod_decode(from, from_typmod, &a);
    bool has_b = typmod_decode(to, to_typmod, &b);
    if (!has_a && !has_b) return FACTS_REL_PLAIN;
    /* interval without a modifier has every field: limiting them is no
     * mere (un)constraining */
    if (has_a != has_b && typmod_kind(has_a ? from : to) == TM_INTERVAL &&
        (has_a ? a : b).fields != INTERVAL_FULL_RANGE)
        return FACTS_REL_FIELDS_CHANGE;
    if (!has_b) return FACTS_REL_UNCONSTRAIN;
    if (!has_a) return FACTS_REL_CONSTRAIN;
    bool num_a = typmod_kind(from) == TM_NUMERIC, num_b = typmod_kind(to) == TM_NUMERIC;
    if (num_a != num_b) return FACTS_REL_OTHER;
    if (num_a) {
        if (a.scale != b.scale) return FACTS_REL_SCALE_CHANGE;
        if (a.len == b.len) return FACTS_REL_SAME;
        return b.len > a.len ? FACTS_REL_PRECISION_UP : FACTS_REL_PRECISION_DOWN;
    }
    if (a.fields != b.fields) return FACTS_REL_FIELDS_CHANGE;
    if (a.len == b.len) return FACTS_REL_SAME;
    /* interval's "no precision" is the largest number: wider than any */
    return b.len > a.len ? FACTS_REL_WIDER : FACTS_REL_NARROWER;
}

static const char *const tz_names[FACTS_NTZ] = {"utc", "non-utc", "any"};

const char *facts_tz_name(FactsTz tz)
{
    return tz >= 0 && tz < FACTS_NTZ ? tz_names[tz] : "?";
}

static const char *const using_names[FACTS_NUSING] = {"-", "self", "cast"};

const char *facts_using_name(FactsUsing u)
{
    return u >= 0 && u < FACTS_NUSING ? using_names[u] : "?";
}

/* ---- the table --------------------------------------------------------- */

Facts *facts_new(void)
{
    return xcalloc(1, sizeof(Facts));
}

void facts_free(Facts *f)
{
    if (!f) return;
    for (size_t i = 0; i < f->nrows; i++)
        for (int j = 0; j < f->rows[i].nf; j++)
            free(f->rows[i].f[j]);
    free(f->rows);
    free(f->source);
    free(f);
}

void facts_add(Facts *f, FactKind kind, int first, int last, const char *const *fields)
{
    grow_array((void **)&f->rows, sizeof(FactRow), &f->cap, f->nrows + 1);
    FactRow *r = &f->rows[f->nrows++];
    *r = (FactRow){.kind = kind, .first = first, .last = last, .nf = kinds[kind].nf};
    for (int j = 0; j < r->nf; j++)
        r->f[j] = xstrdup(fields[j]);
}

static int row_fields_cmp(const FactRow *x, const FactRow *y)
{
    if (x->kind != y->kind) return (int)x->kind - (int)y->kind;
    for (int j = 0; j < x->nf; j++) {
        int c = strcmp(x->f[j], y->f[j]);
        if (c) return c;
    }
    return 0;
}

/* The fields that name a fact (the rest is what it says about it). */
static const int key_fields[FACT_NKINDS] = {
    [FACT_CAST] = 2, [FACT_TYPECHANGE] = 5, [FACT_FUNCTION] = 2};

static int key_cmp(const FactRow *x, const FactRow *y)
{
    if (x->kind != y->kind) return (int)x->kind - (int)y->kind;
    for (int j = 0; j < key_fields[x->kind]; j++) {
        int c = strcmp(x->f[j], y->f[j]);
        if (c) return c;
    }
    return 0;
}

static int row_key_cmp(const void *a, const void *b)
{
    const FactRow *x = *(const FactRow *const *)a, *y = *(const FactRow *const *)b;
    int c = key_cmp(x, y);
    return c ? c : x->first - y->first;
}

static int row_cmp(const void *a, const void *b)
{
    const FactRow *x = a, *y = b;
    int c = row_fields_cmp(x, y);
    return c ? c : x->first - y->first;
}

void facts_merge(Facts *f)
{
    if (f->nrows > 1) qsort(f->rows, f->nrows, sizeof(FactRow), row_cmp);
    size_t out = 0;
    for (size_t i = 0; i < f->nrows; i++) {
        FactRow *r = &f->rows[i];
        if (out > 0) {
            FactRow *prev = &f->rows[out - 1];
            if (row_fields_cmp(prev, r) == 0 && r->first <= prev->last + 1) {
                if (r->last > prev->last) prev->last = r->last;
                for (int j = 0; j < r->nf; j++)
                    free(r->f[j]);
                continue;
            }
        }
        f->rows[out++] = *r;
    }
    f->nrows = out;
}

Facts *facts_restrict(const Facts *f, const int *majors, int n)
{
    Facts *o = facts_new();
    o->source = xstrdup(f->source);
    for (size_t i = 0; i < f->nrows; i++)
        for (int k = 0; k < n; k++)
            if (majors[k] >= f->rows[i].first && majors[k] <= f->rows[i].last)
                facts_add(o, f->rows[i].kind, majors[k], majors[k],
                          (const char *const *)f->rows[i].f);
    facts_merge(o);
    return o;
}

void facts_write_row(const FactRow *r, Buf *out)
{
    buf_printf(out, "%s\t%d\t%d", kinds[r->kind].name, r->first, r->last);
    for (int j = 0; j < r->nf; j++)
        buf_printf(out, "\t%s", r->f[j]);
}

void facts_write(const Facts *f, Buf *out)
{
    buf_puts(out, "# PostgreSQL's facts per major, probed on the servers themselves.\n"
                  "# Made by `lockmatrix facts --update`; do not edit by hand.\n"
                  "# (predict/facts.c describes the format.)\n");
    for (int k = 0; k < FACT_NKINDS; k++) {
        buf_printf(out, "# %s\tfirst\tlast", kinds[k].name);
        for (int j = 0; j < kinds[k].nf; j++)
            buf_printf(out, "\t%s", kinds[k].fields[j]);
        buf_putc(out, '\n');
    }
    for (size_t i = 0; i < f->nrows; i++) {
        facts_write_row(&f->rows[i], out);
        buf_putc(out, '\n');
    }
}

/* ---- parsing ----------------------------------------------------------- */

static int parse_major(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 1 || v > 99) return -1;
    *out = (int)v;
    return 0;
}

static int parse_row(char **f, int nf, FactRow *r, const char *name, int line, Err *err)
{
#define FAIL(...) err_set(err, EXIT_USAGE, "\"%s\" line %d: " __VA_ARGS__)
    int k = kind_parse(f[0]);
    if (k < 0) return FAIL("unknown kind \"%s\" (cast, typechange, function)", name, line, f[0]);
    const struct kind *kd = &kinds[k];
    if (nf != 3 + kd->nf)
        return FAIL("%d fields, expected %d for %s (tab-separated)", name, line, nf, 3 + kd->nf,
                    kd->name);
    *r = (FactRow){.kind = (FactKind)k, .nf = kd->nf, .line = line};
    if (parse_major(f[1], &r->first) < 0)
        return FAIL("invalid first version \"%s\"", name, line, f[1]);
    if (parse_major(f[2], &r->last) < 0)
        return FAIL("invalid last version \"%s\"", name, line, f[2]);
    if (r->last < r->first)
        return FAIL("last version %d before first version %d", name, line, r->last, r->first);
    for (int j = 0; j < kd->nf; j++) {
        const Words *w = &kd->words[j];
        if (word_index(w, f[3 + j]) >= 0) continue;
        Buf list;
        buf_init(&list);
        for (int i = 0; i < w->n; i++)
            buf_printf(&list, "%s%s", i ? ", " : " (", w->w[i]);
        if (w->n) buf_putc(&list, ')');
        FAIL("invalid %s \"%s\"%s", name, line, kd->fields[j], f[3 + j],
             list.data ? list.data : "");
        buf_free(&list);
        return -1;
    }
    for (int j = 0; j < kd->nf; j++)
        r->f[j] = xstrdup(f[3 + j]);
    return 0;
#undef FAIL
}

int facts_parse(const char *text, size_t len, const char *name, Facts **out, Err *err)
{
    Facts *t = facts_new();
    t->source = xstrdup(name);
    char *copy = xstrndup(text, len);
    TsvReader rd;
    tsv_init(&rd, copy, len, false);
    *out = NULL;
    char *f[3 + FACTS_MAXFIELDS + 1];
    int nf;
    while ((nf = tsv_next(&rd, f, (int)ARRAY_LEN(f))) > 0) {
        FactRow r; /* a line of too many fields is refused on its count alone */
        if (parse_row(f, nf, &r, name, rd.line, err) < 0) goto fail;
        grow_array((void **)&t->rows, sizeof(FactRow), &t->cap, t->nrows + 1);
        t->rows[t->nrows++] = r;
    }
    /* a fact holds at most once per major: neighbours by key must not overlap */
    const FactRow **by = xmalloc((t->nrows + 1) * sizeof(*by));
    for (size_t i = 0; i < t->nrows; i++)
        by[i] = &t->rows[i];
    if (t->nrows > 1) qsort(by, t->nrows, sizeof(*by), row_key_cmp);
    for (size_t i = 1; i < t->nrows; i++) {
        const FactRow *a = by[i - 1], *b = by[i];
        if (key_cmp(a, b) == 0 && b->first <= a->last) {
            if (a->line > b->line) {
                const FactRow *x = a;
                a = b;
                b = x;
            }
            Buf key;
            buf_init(&key);
            buf_puts(&key, kinds[b->kind].name);
            for (int k = 0; k < key_fields[b->kind]; k++)
                buf_printf(&key, " %s", b->f[k]);
            err_set(err, EXIT_USAGE, "\"%s\" line %d: %s %d-%d overlaps line %d (%d-%d)", name,
                    b->line, key.data, b->first, b->last, a->line, a->first, a->last);
            buf_free(&key);
            free(by);
            goto fail;
        }
    }
    free(by);
    free(copy);
    *out = t;
    return 0;
fail:
    free(copy);
    facts_free(t);
    return -1;
}

int facts_load(const char *path, Facts **out, Err *err)
{
    char *read = NULL;
    size_t len = 0;
    if (path && file_read_all(path, &read, &len, err) != 0) return -1;
    const char *text = path ? read : facts_builtin(&len);
    int rc = facts_parse(text, len, path ? path : "built-in", out, err);
    free(read);
    return rc;
}

/* ---- lookups ----------------------------------------------------------- */

static bool holds(const FactRow *r, FactKind kind, int major)
{
    return r->kind == kind && major >= r->first && major <= r->last;
}

Tri facts_type_change(const Facts *f, int major, const char *from, int from_typmod, const char *to,
                      int to_typmod, FactsUsing using, bool tz_utc, bool *index_rebuild)
{
    if (index_rebuild) *index_rebuild = false;
    if (!f || !from || !to) return TRI_DEPENDS;
    major = version_major(major);
    from = facts_type_name(from);
    to = facts_type_name(to);
    const char *rel = facts_relation_name(facts_typmod_relation(from, from_typmod, to, to_typmod));
    const char *tz = facts_tz_name(tz_utc ? FACTS_TZ_UTC : FACTS_TZ_NON_UTC);
    /* USING the column itself: its own row where one was probed, else as none */
    for (int pass = 0; pass < 2; pass++) {
        FactsUsing u = pass == 0 ? using : FACTS_USING_NONE;
        if (pass == 1 && using != FACTS_USING_SELF) break;
        for (size_t i = 0; i < f->nrows; i++) {
            const FactRow *r = &f->rows[i];
            if (!holds(r, FACT_TYPECHANGE, major) || strcmp(r->f[0], from) != 0 ||
                strcmp(r->f[1], to) != 0 || strcmp(r->f[2], rel) != 0 ||
                strcmp(r->f[3], facts_using_name(u)) != 0)
                continue;
            if (strcmp(r->f[4], facts_tz_name(FACTS_TZ_ANY)) != 0 && strcmp(r->f[4], tz) != 0)
                continue;
            if (index_rebuild) *index_rebuild = tri_parse(r->f[6]) == TRI_YES;
            return tri_parse(r->f[5]) == TRI_YES ? TRI_YES : TRI_NO;
        }
    }
    return TRI_DEPENDS;
}

const char *facts_volatility_name(FactsVolatility v)
{
    if (v >= FACTS_FN_IMMUTABLE && v <= FACTS_FN_VOLATILE) return volatilities[v - 1];
    return v == FACTS_FN_MIXED ? "mixed" : "unknown";
}

FactsVolatility facts_volatility_of(char provolatile)
{
    return provolatile == 'v'   ? FACTS_FN_VOLATILE
           : provolatile == 's' ? FACTS_FN_STABLE
           : provolatile == 'i' ? FACTS_FN_IMMUTABLE
                                : FACTS_FN_UNKNOWN;
}

FactsVolatility facts_function_volatility(const Facts *f, int major, const char *fname,
                                          const char *args)
{
    if (!f || !fname) return FACTS_FN_UNKNOWN;
    if (major > 0) major = version_major(major);
    if (strncasecmp(fname, "pg_catalog.", 11) == 0) fname += 11;
    char *want = args ? xasprintf("(%s)", args) : NULL;
    FactsVolatility v = FACTS_FN_UNKNOWN;
    bool vol = false, nonvol = false;
    for (size_t i = 0; i < f->nrows; i++) {
        const FactRow *r = &f->rows[i];
        if (r->kind != FACT_FUNCTION || (major > 0 && !holds(r, FACT_FUNCTION, major)) ||
            strcasecmp(r->f[0], fname) != 0)
            continue;
        if (want && strcmp(r->f[1], "-") != 0 && strcmp(r->f[1], want) != 0) continue;
        FactsVolatility rv =
            (FactsVolatility)(word_index(&(Words)WORDS(volatilities), r->f[2]) + 1);
        if (rv > v) v = rv;
        if (rv == FACTS_FN_VOLATILE)
            vol = true;
        else
            nonvol = true;
    }
    free(want);
    return vol && nonvol ? FACTS_FN_MIXED : v;
}

const char *facts_cast_method(const Facts *f, int major, const char *source, const char *target)
{
    if (!f || !source || !target) return NULL;
    major = version_major(major);
    source = facts_type_name(source);
    target = facts_type_name(target);
    for (size_t i = 0; i < f->nrows; i++) {
        const FactRow *r = &f->rows[i];
        if (holds(r, FACT_CAST, major) && strcmp(r->f[0], source) == 0 &&
            strcmp(r->f[1], target) == 0)
            return r->f[2];
    }
    return NULL;
}
