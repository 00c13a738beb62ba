/*
 * schema: the catalog a chain builds, replayed from libpg_query's parse tree
 * (protobuf, pg_query/pg_query.pb-c.h). See schema.h for what it answers.
 *
 * Relations live in one hash map keyed by (schema, name), chained; every
 * cross-reference (an index's table, a table's partitions, a foreign key's
 * referenced table) is a pointer, kept both ways (refby and viewers are the
 * reverse of foreign keys and views), and a DROP first marks every relation
 * it takes, then unlinks them from their neighbours, then frees them: no
 * statement walks the whole model but DROP SCHEMA, DROP TYPE and renaming a
 * schema or a type.
 *
 * Names the server chooses are chosen the same way (makeObjectName in
 * PostgreSQL's indexcmds.c: both parts cut to fit 63 bytes): t_pkey,
 * t_a_b_key, t_a_idx, t_lower_idx, t_a_fkey, t_a_check, t_a_excl, t_a_seq.
 * A collision suffix (t_a_idx1) is not modelled.
 *
 * The TOAST rule is PostgreSQL's needs_toast_table (toasting.c): a table gets
 * one when a column's type is varlena with a storage other than plain and the
 * widest row it can hold exceeds TOAST_TUPLE_THRESHOLD (2032 bytes), counting
 * a bounded varlena (varchar(n), numeric(p,s), bit(n)) at its maximum size in
 * UTF8 (4 bytes a character). Once made it stays (DROP COLUMN leaves it)
 * until a rewrite makes the table anew: an ALTER COLUMN TYPE that is not
 * binary-coercible (type_change_keeps_storage), after which the rule decides
 * again.
 */
#include "predict/schema.h"
#include "predict/pgtree.h"

#include <ctype.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef PgQuery__Node Node;

#define NAMEDATALEN 64

/* TableLikeClause.options: PostgreSQL's CREATE_TABLE_LIKE_* bits. */
#define LIKE_CONSTRAINTS (1u << 2)
#define LIKE_DEFAULTS (1u << 3)
#define LIKE_GENERATED (1u << 4)
#define LIKE_IDENTITY (1u << 5)
#define LIKE_INDEXES (1u << 6)

typedef struct Entry {
    SchemaRel *rel;
    uint64_t hash;
    struct Entry *next;
} Entry;

struct Schema {
    Entry **buckets; /* owned, with their entries and relations */
    size_t nbuckets, nrels;
    SchemaType *types; /* owned */
    size_t ntypes, captypes;
    char **schemas; /* the schemas that exist; owned */
    size_t nschemas, capschemas;
    char **path; /* the search path; owned */
    size_t npath, cappath;
    char *timezone;   /* SET TimeZone's zone; NULL: not set (the server's); owned */
    char *default_am; /* SET default_table_access_method's; NULL: not set (heap); owned */
    struct SchemaFunc {
        char *schema, *name; /* owned */
        char volatility;     /* 'i', 's', 'v' */
        bool sql;            /* LANGUAGE sql (or a BEGIN ATOMIC / RETURN body) */
    } * funcs;               /* CREATE FUNCTION's, one per statement; owned */
    size_t nfuncs, capfuncs;
    const char *elt_schema; /* CREATE SCHEMA's elements: where unqualified ones go */
    SchemaRel **marked;     /* what the DROP being applied takes (their dropping set) */
    size_t nmarked, capmarked;
    char **warnings; /* owned */
    size_t nwarnings, capwarnings;
};

/* ---- small helpers ------------------------------------------------------ */

static const char *node_str(const Node *n)
{
    return n && n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : NULL;
}

static const char *nz(const char *s) /* protobuf's "" as NULL */
{
    return s && *s ? s : NULL;
}

static bool str_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static void strs_push(char ***arr, size_t *n, const char *s)
{
    *arr = xrealloc(*arr, (*n + 1) * sizeof(**arr));
    (*arr)[(*n)++] = xstrdup(s);
}

static void strs_free(char **arr, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(arr[i]);
    free(arr);
}

static bool strs_has(char *const *arr, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (str_eq(arr[i], s)) return true;
    return false;
}

static void ptrs_push(SchemaRel ***arr, size_t *n, size_t *cap, SchemaRel *r)
{
    for (size_t i = 0; i < *n; i++)
        if ((*arr)[i] == r) return;
    *ARRAY_PUSH(*arr, *n, *cap) = r;
}

static void ptrs_remove(SchemaRel **arr, size_t *n, const SchemaRel *r)
{
    size_t k = 0;
    for (size_t i = 0; i < *n; i++)
        if (arr[i] != r) arr[k++] = arr[i];
    *n = k;
}

/* Removes one occurrence of r (the lists that hold a table once per foreign key). */
static void ptrs_remove_one(SchemaRel **arr, size_t *n, const SchemaRel *r)
{
    for (size_t i = 0; i < *n; i++)
        if (arr[i] == r) {
            memmove(&arr[i], &arr[i + 1], (*n - i - 1) * sizeof(*arr));
            (*n)--;
            return;
        }
}

/* A copy of arr with each relation once; free(). */
static size_t ptrs_unique(SchemaRel *const *arr, size_t n, SchemaRel ***out)
{
    SchemaRel **v = NULL;
    size_t nv = 0, cap = 0;
    for (size_t i = 0; i < n; i++)
        ptrs_push(&v, &nv, &cap, arr[i]);
    *out = v;
    return nv;
}

static int aconst_int(const Node *n, int dflt)
{
    if (n && n->node_case == PG_QUERY__NODE__NODE_A_CONST &&
        n->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL && n->a_const->ival)
        return n->a_const->ival->ival;
    return dflt;
}

static const char *aconst_str(const Node *n)
{
    if (n && n->node_case == PG_QUERY__NODE__NODE_A_CONST &&
        n->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL && n->a_const->sval)
        return n->a_const->sval->sval;
    return NULL;
}

typedef struct StrList {
    char **v;
    size_t n;
} StrList;

/* The functions an expression calls (funcs[0]) and the sequences its
 * nextval() calls name by a constant (funcs[1]). */
static bool visit_funcs(const ProtobufCMessage *m, void *ctx)
{
    if (m->descriptor == &pg_query__func_call__descriptor) {
        const PgQuery__FuncCall *f = (const PgQuery__FuncCall *)m;
        const char *name = f->n_funcname ? node_str(f->funcname[f->n_funcname - 1]) : NULL;
        StrList *l = ctx;
        if (name && !strs_has(l[0].v, l[0].n, name)) strs_push(&l[0].v, &l[0].n, name);
        const Node *a = name && str_eq(name, "nextval") && f->n_args ? f->args[0] : NULL;
        if (a && a->node_case == PG_QUERY__NODE__NODE_TYPE_CAST) a = a->type_cast->arg;
        const char *seq = a ? aconst_str(a) : NULL;
        if (seq && !strs_has(l[1].v, l[1].n, seq)) strs_push(&l[1].v, &l[1].n, seq);
    }
    return true;
}

static bool visit_colrefs(const ProtobufCMessage *m, void *ctx)
{
    if (m->descriptor == &pg_query__column_ref__descriptor) {
        const PgQuery__ColumnRef *c = (const PgQuery__ColumnRef *)m;
        const char *name = c->n_fields ? node_str(c->fields[c->n_fields - 1]) : NULL;
        StrList *l = ctx;
        if (name && !strs_has(l->v, l->n, name)) strs_push(&l->v, &l->n, name);
    }
    return true;
}

/* ---- names the server chooses (makeObjectName) ---------------------------- */

static char *object_name(const char *name1, const char *name2, const char *label)
{
    size_t n1 = strlen(name1), n2 = name2 ? strlen(name2) : 0;
    size_t overhead = (label ? strlen(label) + 1 : 0) + (name2 ? 1 : 0);
    size_t avail = NAMEDATALEN - 1 - overhead;
    while (n1 + n2 > avail) {
        if (n1 > n2)
            n1--;
        else
            n2--;
    }
    Buf b;
    buf_init(&b);
    buf_append(&b, name1, n1);
    if (name2) {
        buf_putc(&b, '_');
        buf_append(&b, name2, n2);
    }
    if (label) buf_printf(&b, "_%s", label);
    return buf_steal(&b);
}

/* Column names joined by '_' (ChooseIndexNameAddition), NULL when none. */
static char *join_names(char *const *names, size_t n)
{
    if (n == 0) return NULL;
    Buf b;
    buf_init(&b);
    for (size_t i = 0; i < n; i++) {
        if (i) buf_putc(&b, '_');
        buf_puts(&b, names[i] ? names[i] : "expr");
    }
    return buf_steal(&b);
}

/* ---- the map ------------------------------------------------------------ */

static uint64_t key_hash(const char *schema, const char *name)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = schema; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    h = (h ^ 0x1f) * 1099511628211ull;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h;
}

static SchemaRel *map_find(const Schema *s, const char *schema, const char *name)
{
    if (!schema || !name) return NULL;
    uint64_t h = key_hash(schema, name);
    for (Entry *e = s->buckets[h % s->nbuckets]; e; e = e->next)
        if (e->hash == h && strcmp(e->rel->name, name) == 0 && strcmp(e->rel->schema, schema) == 0)
            return e->rel;
    return NULL;
}

static void map_put(Schema *s, SchemaRel *r)
{
    if (s->nrels + 1 > s->nbuckets) {
        size_t nb = s->nbuckets * 2;
        Entry **b = xcalloc(nb, sizeof(*b));
        for (size_t i = 0; i < s->nbuckets; i++)
            for (Entry *e = s->buckets[i], *next; e; e = next) {
                next = e->next;
                e->next = b[e->hash % nb];
                b[e->hash % nb] = e;
            }
        free(s->buckets);
        s->buckets = b;
        s->nbuckets = nb;
    }
    Entry *e = xmalloc(sizeof(*e));
    e->rel = r;
    e->hash = key_hash(r->schema, r->name);
    e->next = s->buckets[e->hash % s->nbuckets];
    s->buckets[e->hash % s->nbuckets] = e;
    s->nrels++;
}

static void map_del(Schema *s, const SchemaRel *r)
{
    uint64_t h = key_hash(r->schema, r->name);
    for (Entry **p = &s->buckets[h % s->nbuckets]; *p; p = &(*p)->next)
        if ((*p)->rel == r) {
            Entry *e = *p;
            *p = e->next;
            free(e);
            s->nrels--;
            return;
        }
}

/* Every relation, into *out (free()); the count. */
static size_t all_rels(const Schema *s, SchemaRel ***out)
{
    SchemaRel **v = xmalloc((s->nrels + 1) * sizeof(*v));
    size_t n = 0;
    for (size_t i = 0; i < s->nbuckets; i++)
        for (Entry *e = s->buckets[i]; e; e = e->next)
            v[n++] = e->rel;
    *out = v;
    return n;
}

/* ---- freeing ------------------------------------------------------------ */

static void column_clear(SchemaColumn *c)
{
    free(c->name);
    free(c->type);
    free(c->type_schema);
    free(c->collation);
    strs_free(c->default_funcs, c->ndefault_funcs);
    strs_free(c->default_seqs, c->ndefault_seqs);
    memset(c, 0, sizeof(*c));
}

static void constraint_clear(SchemaConstraint *c)
{
    free(c->name);
    strs_free(c->cols, c->ncols);
    strs_free(c->ref_cols, c->nref_cols);
    memset(c, 0, sizeof(*c));
}

static void rel_free(SchemaRel *r)
{
    free(r->schema);
    free(r->name);
    strs_free(r->objects, r->nobjects);
    for (size_t i = 0; i < r->ncols; i++)
        column_clear(&r->cols[i]);
    free(r->cols);
    for (size_t i = 0; i < r->ncons; i++)
        constraint_clear(&r->cons[i]);
    free(r->cons);
    free(r->indexes);
    free(r->seqs);
    free(r->children);
    free(r->parents);
    free(r->deps);
    free(r->refby);
    free(r->viewers);
    strs_free(r->keys, r->nkeys);
    strs_free(r->keynames, r->nkeys);
    strs_free(r->uses, r->nuses);
    free(r->owner_col);
    free(r->seq_type);
    free(r->access_method);
    free(r);
}

/* ---- schemas and the search path ----------------------------------------- */

static bool schema_exists(const Schema *s, const char *name)
{
    return strs_has(s->schemas, s->nschemas, name);
}

static void set_path(Schema *s, char *const *names, size_t n)
{
    strs_free(s->path, s->npath);
    s->path = NULL;
    s->npath = s->cappath = 0;
    for (size_t i = 0; i < n; i++)
        strs_push(&s->path, &s->npath, names[i]);
}

/* A search_path value as set_config takes it: "a, \"B\", public". */
static void set_path_string(Schema *s, const char *v)
{
    StrList l = {0};
    const char *p = v;
    while (*p) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        if (!*p) break;
        Buf b;
        buf_init(&b);
        if (*p == '"') {
            for (p++; *p && !(*p == '"' && p[1] != '"'); p++) {
                if (*p == '"') p++;
                buf_putc(&b, *p);
            }
            if (*p) p++;
        } else {
            for (; *p && *p != ',' && *p != ' '; p++)
                buf_putc(&b, (char)tolower((unsigned char)*p));
        }
        l.v = xrealloc(l.v, (l.n + 1) * sizeof(*l.v));
        l.v[l.n++] = buf_steal(&b);
    }
    set_path(s, l.v, l.n);
    strs_free(l.v, l.n);
}

/* Where an object named with schema (or none) is created. NULL: nowhere. */
static const char *create_in(const Schema *s, const char *schema, bool temp)
{
    if (nz(schema)) return schema_exists(s, schema) ? schema : NULL;
    if (temp) return "pg_temp";
    if (s->elt_schema) return s->elt_schema;
    for (size_t i = 0; i < s->npath; i++)
        if (schema_exists(s, s->path[i]) && strcmp(s->path[i], "pg_catalog") != 0)
            return s->path[i];
    return NULL;
}

static SchemaRel *find(const Schema *s, const char *schema, const char *name)
{
    if (!nz(name)) return NULL;
    if (nz(schema)) return map_find(s, schema, name);
    SchemaRel *r = map_find(s, "pg_temp", name);
    if (!r && s->elt_schema) r = map_find(s, s->elt_schema, name);
    for (size_t i = 0; !r && i < s->npath; i++)
        r = map_find(s, s->path[i], name);
    return r;
}

static SchemaRel *find_rv(const Schema *s, const PgQuery__RangeVar *rv)
{
    return rv ? find(s, rv->schemaname, rv->relname) : NULL;
}

/* A name list (schema.name or name), as DROP and CREATE TYPE give it. */
static void split_names(Node *const *names, size_t n, const char **schema, const char **name)
{
    *schema = n >= 2 ? node_str(names[n - 2]) : NULL;
    *name = n >= 1 ? node_str(names[n - 1]) : NULL;
}

/* ---- relations ------------------------------------------------------------ */

static SchemaRel *rel_new(Schema *s, const char *schema, const char *name, SchemaRelKind kind,
                          SchemaPersistence pers)
{
    if (!schema || !nz(name) || map_find(s, schema, name)) return NULL;
    SchemaRel *r = xcalloc(1, sizeof(*r));
    r->schema = xstrdup(schema);
    r->name = xstrdup(name);
    r->kind = kind;
    r->persistence = pers;
    map_put(s, r);
    return r;
}

static void rel_rename(Schema *s, SchemaRel *r, const char *schema, const char *name)
{
    if (map_find(s, schema, name)) return;
    map_del(s, r);
    char *ns = xstrdup(schema), *nn = xstrdup(name);
    free(r->schema);
    free(r->name);
    r->schema = ns;
    r->name = nn;
    map_put(s, r);
}

static SchemaColumn *column_get(SchemaRel *r, const char *name)
{
    for (size_t i = 0; r && i < r->ncols; i++)
        if (str_eq(r->cols[i].name, name)) return &r->cols[i];
    return NULL;
}

static SchemaConstraint *constraint_get(SchemaRel *r, const char *name)
{
    for (size_t i = 0; r && i < r->ncons; i++)
        if (str_eq(r->cons[i].name, name)) return &r->cons[i];
    return NULL;
}

static bool is_table(const SchemaRel *r)
{
    return r && (r->kind == SCHEMA_REL_TABLE || r->kind == SCHEMA_REL_PARTITIONED ||
                 r->kind == SCHEMA_REL_FOREIGN);
}

/* ---- types and TOAST -------------------------------------------------------- */

typedef struct TypeInfo {
    const char *name;
    int len;    /* bytes; -1 varlena */
    int align;  /* bytes */
    char store; /* 'p' plain, 'm' main, 'x' extended */
} TypeInfo;

static const TypeInfo type_infos[] = {
    {"bool", 1, 1, 'p'},        {"char", 1, 1, 'p'},      {"int2", 2, 2, 'p'},
    {"int4", 4, 4, 'p'},        {"int8", 8, 8, 'p'},      {"float4", 4, 4, 'p'},
    {"float8", 8, 8, 'p'},      {"oid", 4, 4, 'p'},       {"date", 4, 4, 'p'},
    {"time", 8, 8, 'p'},        {"timetz", 12, 8, 'p'},   {"timestamp", 8, 8, 'p'},
    {"timestamptz", 8, 8, 'p'}, {"interval", 16, 8, 'p'}, {"uuid", 16, 1, 'p'},
    {"money", 8, 8, 'p'},       {"macaddr", 6, 4, 'p'},   {"macaddr8", 8, 4, 'p'},
    {"point", 16, 8, 'p'},      {"pg_lsn", 8, 8, 'p'},    {"tid", 6, 2, 'p'},
    {"inet", -1, 4, 'm'},       {"cidr", -1, 4, 'm'},     {"numeric", -1, 4, 'm'},
};

static const TypeInfo *type_info(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(type_infos); i++)
        if (str_eq(type_infos[i].name, name)) return &type_infos[i];
    return NULL;
}

static SchemaType *type_find(const Schema *s, const char *schema, const char *name)
{
    for (size_t i = 0; name && i < s->ntypes; i++) {
        SchemaType *t = &s->types[i];
        if (!str_eq(t->name, name)) continue;
        if (nz(schema) ? str_eq(t->schema, schema) : true) return t;
    }
    return NULL;
}

/* The widest a column can be: -1 unbounded; its alignment and storage. */
static int column_width(const Schema *s, const SchemaColumn *c, int *align, char *store)
{
    *align = 4;
    *store = 'x';
    if (!c->type || c->array) return -1;
    const char *t = c->type;
    const SchemaType *ut = type_find(s, c->type_schema, t);
    if (ut && ut->kind == SCHEMA_TYPE_ENUM) return *store = 'p', 4;
    if (ut && ut->kind == SCHEMA_TYPE_DOMAIN && ut->base) t = ut->base;
    if ((str_eq(t, "varchar") || str_eq(t, "bpchar")) && c->length >= 0) return c->length * 4 + 4;
    if ((str_eq(t, "bit") || str_eq(t, "varbit")) && c->length >= 0) return 8 + (c->length + 7) / 8;
    if (str_eq(t, "numeric") && c->precision >= 0)
        return *store = 'm', 8 + ((c->precision + 3) / 4 + 1) * 2;
    const TypeInfo *ti = type_info(t);
    if (!ti) return -1;
    *align = ti->align;
    *store = ti->store;
    return ti->len;
}

static bool needs_toast(const Schema *s, const SchemaRel *r)
{
    if (r->kind != SCHEMA_REL_TABLE && r->kind != SCHEMA_REL_MATVIEW) return false;
    bool toastable = false, unbounded = false;
    long data = 0;
    for (size_t i = 0; i < r->ncols; i++) {
        int align;
        char store;
        int w = column_width(s, &r->cols[i], &align, &store);
        if (store != 'p') toastable = true;
        if (w < 0) {
            unbounded = true;
            continue;
        }
        data = (data + align - 1) / align * align + w;
    }
    if (!toastable) return false;
    if (unbounded) return true;
    long header = (23 + ((long)r->ncols + 7) / 8 + 7) / 8 * 8;
    return header + (data + 7) / 8 * 8 > 2032;
}

/* ---- columns ---------------------------------------------------------------- */

static void column_set_type(SchemaColumn *c, const PgQuery__TypeName *tn)
{
    free(c->type);
    free(c->type_schema);
    c->type = c->type_schema = NULL;
    c->length = c->precision = c->fsec = c->interval_fields = -1;
    c->scale = 0;
    c->array = false;
    if (!tn || tn->n_names == 0) return;
    const char *name = node_str(tn->names[tn->n_names - 1]);
    const char *sch = tn->n_names >= 2 ? node_str(tn->names[tn->n_names - 2]) : NULL;
    c->type = xstrdup(name);
    if (sch && strcmp(sch, "pg_catalog") != 0) c->type_schema = xstrdup(sch);
    c->array = tn->n_array_bounds > 0;
    int m0 = tn->n_typmods >= 1 ? aconst_int(tn->typmods[0], -1) : -1;
    int m1 = tn->n_typmods >= 2 ? aconst_int(tn->typmods[1], -1) : -1;
    if (!name) return;
    if (!strcmp(name, "varchar") || !strcmp(name, "bpchar") || !strcmp(name, "bit") ||
        !strcmp(name, "varbit"))
        c->length = m0;
    else if (!strcmp(name, "numeric")) {
        c->precision = m0;
        c->scale = m1 >= 0 ? m1 : 0;
    } else if (!strcmp(name, "time") || !strcmp(name, "timetz") || !strcmp(name, "timestamp") ||
               !strcmp(name, "timestamptz"))
        c->fsec = m0;
    else if (!strcmp(name, "interval")) {
        c->interval_fields = m0 == 0x7FFF ? -1 : m0;
        c->fsec = tn->n_typmods >= 2 && m1 != 0xFFFF ? m1 : -1;
    }
}

static void column_set_default(SchemaColumn *c, const Node *expr)
{
    strs_free(c->default_funcs, c->ndefault_funcs);
    strs_free(c->default_seqs, c->ndefault_seqs);
    c->default_funcs = c->default_seqs = NULL;
    c->ndefault_funcs = c->ndefault_seqs = 0;
    c->has_default = expr != NULL;
    if (!expr) return;
    StrList l[2] = {{0}};
    pgtree_walk(&expr->base, visit_funcs, l);
    c->default_funcs = l[0].v;
    c->ndefault_funcs = l[0].n;
    c->default_seqs = l[1].v;
    c->ndefault_seqs = l[1].n;
}

static void column_copy(SchemaColumn *dst, const SchemaColumn *src, bool defaults)
{
    memset(dst, 0, sizeof(*dst));
    dst->name = xstrdup(src->name);
    dst->type = xstrdup(src->type);
    dst->type_schema = xstrdup(src->type_schema);
    dst->array = src->array;
    dst->length = src->length;
    dst->precision = src->precision;
    dst->scale = src->scale;
    dst->fsec = src->fsec;
    dst->interval_fields = src->interval_fields;
    dst->collation = xstrdup(src->collation);
    dst->not_null = src->not_null;
    if (defaults) {
        dst->has_default = src->has_default;
        for (size_t i = 0; i < src->ndefault_funcs; i++)
            strs_push(&dst->default_funcs, &dst->ndefault_funcs, src->default_funcs[i]);
        for (size_t i = 0; i < src->ndefault_seqs; i++)
            strs_push(&dst->default_seqs, &dst->ndefault_seqs, src->default_seqs[i]);
        dst->generated = src->generated;
    }
}

/* Adds a copy of src to r unless a column of that name is there (inheritance merges them). */
static SchemaColumn *column_add_copy(SchemaRel *r, const SchemaColumn *src, bool defaults)
{
    SchemaColumn *c = column_get(r, src->name);
    if (c) return c;
    c = ARRAY_PUSH(r->cols, r->ncols, r->capcols);
    column_copy(c, src, defaults);
    return c;
}

static SchemaColumn *column_add(SchemaRel *r, const char *name)
{
    SchemaColumn *c = column_get(r, name);
    if (c) return c;
    c = ARRAY_PUSH(r->cols, r->ncols, r->capcols);
    memset(c, 0, sizeof(*c));
    c->name = xstrdup(name);
    c->length = c->precision = c->fsec = c->interval_fields = -1;
    return c;
}

/* ---- sequences ------------------------------------------------------------- */

static void seq_own(SchemaRel *seq, SchemaRel *table, const char *col)
{
    if (seq->table) ptrs_remove(seq->table->seqs, &seq->table->nseqs, seq);
    free(seq->owner_col);
    seq->table = table;
    seq->owner_col = table ? xstrdup(col) : NULL;
    if (table) ptrs_push(&table->seqs, &table->nseqs, &table->capseqs, seq);
}

/* The sequence of a serial or identity column of t: named as the server
 * names it, or by an identity's SEQUENCE NAME among opts (as pg_dump writes). */
static SchemaRel *seq_create_owned(Schema *s, SchemaRel *t, const char *col, const char *type,
                                   bool identity, Node *const *opts, size_t nopts)
{
    const char *schema = t->schema, *given = NULL;
    for (size_t i = 0; i < nopts; i++) {
        const PgQuery__DefElem *d = opts[i] && opts[i]->node_case == PG_QUERY__NODE__NODE_DEF_ELEM
                                        ? opts[i]->def_elem
                                        : NULL;
        if (d && str_eq(d->defname, "sequence_name") && d->arg &&
            d->arg->node_case == PG_QUERY__NODE__NODE_LIST) {
            const char *sch;
            split_names(d->arg->list->items, d->arg->list->n_items, &sch, &given);
            if (sch) schema = sch;
        }
    }
    char *name = given ? xstrdup(given) : object_name(t->name, col, "seq");
    SchemaRel *seq = rel_new(s, schema, name, SCHEMA_REL_SEQUENCE, t->persistence);
    free(name);
    if (!seq) return NULL;
    seq->seq_type = xstrdup(type);
    seq->identity = identity;
    seq_own(seq, t, col);
    return seq;
}

/* ---- indexes ---------------------------------------------------------------- */

typedef struct IndexSpec {
    char **keys;  /* column names, NULL for an expression */
    char **names; /* what names it: the column, the function, or "expr" */
    size_t n;
    StrList uses; /* the columns its expressions and predicate name */
    bool unique, primary, exclusion, partial, only;
    bool constraint; /* the index of a constraint of kind kind */
    SchemaConKind kind;
} IndexSpec;

static void spec_free(IndexSpec *sp)
{
    strs_free(sp->keys, sp->n);
    strs_free(sp->names, sp->n);
    strs_free(sp->uses.v, sp->uses.n);
    memset(sp, 0, sizeof(*sp));
}

static void spec_add(IndexSpec *sp, const char *key, const char *name)
{
    sp->keys = xrealloc(sp->keys, (sp->n + 1) * sizeof(*sp->keys));
    sp->names = xrealloc(sp->names, (sp->n + 1) * sizeof(*sp->names));
    sp->keys[sp->n] = xstrdup(key);
    sp->names[sp->n] = xstrdup(name ? name : key);
    sp->n++;
}

static void spec_add_elem(IndexSpec *sp, const Node *n)
{
    if (!n || n->node_case != PG_QUERY__NODE__NODE_INDEX_ELEM) return;
    const PgQuery__IndexElem *e = n->index_elem;
    if (nz(e->name)) {
        spec_add(sp, e->name, NULL);
        return;
    }
    if (e->expr) pgtree_walk(&e->expr->base, visit_colrefs, &sp->uses);
    const char *fn = NULL;
    if (e->expr && e->expr->node_case == PG_QUERY__NODE__NODE_FUNC_CALL &&
        e->expr->func_call->n_funcname)
        fn = node_str(e->expr->func_call->funcname[e->expr->func_call->n_funcname - 1]);
    spec_add(sp, NULL, nz(e->indexcolname) ? e->indexcolname : fn ? fn : "expr");
}

static const char *spec_label(const IndexSpec *sp)
{
    return sp->primary ? "pkey" : sp->exclusion ? "excl" : sp->constraint ? "key" : "idx";
}

static SchemaConstraint *constraint_of_index(SchemaRel *t, const SchemaRel *ix)
{
    for (size_t i = 0; t && i < t->ncons; i++)
        if (t->cons[i].index == ix) return &t->cons[i];
    return NULL;
}

/* Whether ix (an index of t) is one the server takes for sp instead of making
 * another: the same keys, uniqueness and being a constraint's or not. */
static bool index_matches(SchemaRel *t, const SchemaRel *ix, const IndexSpec *sp)
{
    if (ix->nkeys != sp->n || ix->unique != (sp->unique || sp->primary) ||
        (constraint_of_index(t, ix) != NULL) != sp->constraint)
        return false;
    for (size_t i = 0; i < sp->n; i++)
        if (!ix->keys[i] || !sp->keys[i] || strcmp(ix->keys[i], sp->keys[i]) != 0) return false;
    return true;
}

/* The spec of ix, an index of t, to make it again elsewhere. */
static void index_spec_of(SchemaRel *t, const SchemaRel *ix, IndexSpec *sp)
{
    memset(sp, 0, sizeof(*sp));
    for (size_t i = 0; i < ix->nkeys; i++)
        spec_add(sp, ix->keys[i], ix->keynames[i]);
    for (size_t i = 0; i < ix->nuses; i++)
        strs_push(&sp->uses.v, &sp->uses.n, ix->uses[i]);
    sp->unique = ix->unique;
    sp->primary = ix->primary;
    sp->partial = ix->partial;
    const SchemaConstraint *c = constraint_of_index(t, ix);
    sp->constraint = c != NULL;
    sp->kind = c ? c->kind : SCHEMA_CON_UNIQUE;
    sp->exclusion = c && c->kind == SCHEMA_CON_EXCLUSION;
}

static SchemaConstraint *constraint_push(SchemaRel *r, const char *name, SchemaConKind kind);

/* An index on t named name (NULL: the server's choice), with its constraint
 * when sp says so, and the same on every partition at every depth unless ON
 * ONLY (where a partition has an index that matches, that one is attached). */
static SchemaRel *index_create(Schema *s, SchemaRel *t, const char *name, const IndexSpec *sp)
{
    char *chosen = NULL;
    if (!nz(name)) {
        char *add = sp->primary ? NULL : join_names(sp->names, sp->n);
        name = chosen = object_name(t->name, add, spec_label(sp));
        free(add);
    }
    SchemaRel *ix = rel_new(s, t->schema, name, SCHEMA_REL_INDEX, t->persistence);
    free(chosen);
    if (!ix) return NULL;
    ix->table = t;
    ix->keys = xcalloc(sp->n + 1, sizeof(*ix->keys));
    ix->keynames = xcalloc(sp->n + 1, sizeof(*ix->keynames));
    for (size_t i = 0; i < sp->n; i++) {
        ix->keys[i] = xstrdup(sp->keys[i]);
        ix->keynames[i] = xstrdup(sp->names[i]);
    }
    ix->nkeys = sp->n;
    for (size_t i = 0; i < sp->uses.n; i++)
        strs_push(&ix->uses, &ix->nuses, sp->uses.v[i]);
    ix->unique = sp->unique || sp->primary;
    ix->primary = sp->primary;
    ix->partial = sp->partial;
    ix->only = sp->only;
    ptrs_push(&t->indexes, &t->nindexes, &t->capindexes, ix);
    if (sp->primary)
        for (size_t i = 0; i < sp->n; i++) {
            SchemaColumn *c = column_get(t, sp->keys[i]);
            if (c) c->not_null = true;
        }
    if (sp->constraint && !constraint_get(t, ix->name)) {
        SchemaConstraint *c = constraint_push(t, ix->name, sp->kind);
        c->index = ix;
        for (size_t i = 0; i < sp->n; i++)
            if (sp->keys[i]) strs_push(&c->cols, &c->ncols, sp->keys[i]);
    }
    if (t->kind == SCHEMA_REL_PARTITIONED && !sp->only)
        for (size_t i = 0; i < t->nchildren; i++) {
            SchemaRel *ch = t->children[i];
            bool have = false;
            for (size_t k = 0; k < ch->nindexes && !have; k++)
                have = index_matches(ch, ch->indexes[k], sp);
            if (!have && ch->is_partition) {
                IndexSpec csp = *sp;
                csp.only = false;
                index_create(s, ch, NULL, &csp);
            }
        }
    return ix;
}

/* ---- constraints -------------------------------------------------------------- */

static SchemaConstraint *constraint_push(SchemaRel *r, const char *name, SchemaConKind kind)
{
    SchemaConstraint *c = ARRAY_PUSH(r->cons, r->ncons, r->capcons);
    memset(c, 0, sizeof(*c));
    c->name = xstrdup(name);
    c->kind = kind;
    c->validated = true;
    return c;
}

/* A foreign key of holder is listed in its referenced table's refby. */
static void fk_link(SchemaRel *holder, const SchemaConstraint *c)
{
    if (c->kind == SCHEMA_CON_FOREIGN && c->ref)
        *ARRAY_PUSH(c->ref->refby, c->ref->nrefby, c->ref->caprefby) = holder;
}

/* Removes constraint k of t (a foreign key also from its table's refby). */
static void constraint_remove_at(SchemaRel *t, size_t k)
{
    SchemaConstraint *c = &t->cons[k];
    if (c->kind == SCHEMA_CON_FOREIGN && c->ref) ptrs_remove_one(c->ref->refby, &c->ref->nrefby, t);
    constraint_clear(c);
    *c = t->cons[--t->ncons];
}

static void constraint_copy_fk(SchemaRel *to, const SchemaConstraint *src)
{
    if (constraint_get(to, src->name)) return;
    SchemaConstraint *c = constraint_push(to, src->name, SCHEMA_CON_FOREIGN);
    c->validated = src->validated;
    c->ref = src->ref;
    c->del_action = src->del_action;
    c->upd_action = src->upd_action;
    for (size_t i = 0; i < src->ncols; i++)
        strs_push(&c->cols, &c->ncols, src->cols[i]);
    for (size_t i = 0; i < src->nref_cols; i++)
        strs_push(&c->ref_cols, &c->nref_cols, src->ref_cols[i]);
    fk_link(to, c);
}

/* A foreign key of t onto its partitions at every depth, as the server clones it. */
static void fk_clone_down(SchemaRel *t, const SchemaConstraint *c)
{
    for (size_t i = 0; i < t->nchildren; i++)
        if (t->children[i]->is_partition) {
            constraint_copy_fk(t->children[i], c);
            fk_clone_down(t->children[i], c);
        }
}

/* A CHECK constraint of t onto its children (partitions and inheritance) at every depth. */
static void check_clone_down(SchemaRel *t, const SchemaConstraint *c)
{
    for (size_t i = 0; i < t->nchildren; i++) {
        SchemaRel *ch = t->children[i];
        if (!constraint_get(ch, c->name)) {
            SchemaConstraint *cc = constraint_push(ch, c->name, SCHEMA_CON_CHECK);
            cc->validated = c->validated;
            for (size_t k = 0; k < c->ncols; k++)
                strs_push(&cc->cols, &cc->ncols, c->cols[k]);
        }
        check_clone_down(ch, c);
    }
}

static void strs_from_nodes(char ***out, size_t *n, Node *const *nodes, size_t nn)
{
    for (size_t i = 0; i < nn; i++)
        if (node_str(nodes[i])) strs_push(out, n, node_str(nodes[i]));
}

/* A constraint of t (col: written on that column), as CREATE TABLE or ALTER
 * TABLE ADD CONSTRAINT makes it; on partitions too where the server clones it,
 * and a CHECK on the children, unless ONLY (recurse false: a key then stays on
 * the partitioned table, as pg_dump writes it before each partition's own) or
 * NO INHERIT. */
static void constraint_add(Schema *s, SchemaRel *t, const PgQuery__Constraint *con, const char *col,
                           bool recurse)
{
    const char *conname = nz(con->conname);
    switch (con->contype) {
    case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK: {
        StrList l = {0};
        if (con->raw_expr) pgtree_walk(&con->raw_expr->base, visit_colrefs, &l);
        char *name =
            conname ? xstrdup(conname) : object_name(t->name, l.n == 1 ? l.v[0] : NULL, "check");
        if (!constraint_get(t, name)) {
            SchemaConstraint *c = constraint_push(t, name, SCHEMA_CON_CHECK);
            c->validated = !con->skip_validation;
            c->cols = l.v;
            c->ncols = l.n;
            l.v = NULL;
            l.n = 0;
            if (recurse && !con->is_no_inherit) check_clone_down(t, c);
        }
        strs_free(l.v, l.n);
        free(name);
        return;
    }
    case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
    case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
    case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION: {
        bool pk = con->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY;
        bool excl = con->contype == PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION;
        SchemaRel *ix = NULL;
        if (nz(con->indexname)) { /* USING INDEX: the index becomes the constraint's */
            ix = find(s, t->schema, con->indexname);
            if (!ix || ix->table != t) return;
            if (conname && strcmp(conname, ix->name) != 0) rel_rename(s, ix, ix->schema, conname);
            ix->unique = true;
            ix->primary = pk;
            if (pk)
                for (size_t i = 0; i < ix->nkeys; i++) {
                    SchemaColumn *c = column_get(t, ix->keys[i]);
                    if (c) c->not_null = true;
                }
            SchemaConstraint *c =
                constraint_push(t, ix->name, pk ? SCHEMA_CON_PRIMARY : SCHEMA_CON_UNIQUE);
            c->index = ix;
            for (size_t i = 0; i < ix->nkeys; i++)
                if (ix->keys[i]) strs_push(&c->cols, &c->ncols, ix->keys[i]);
            return;
        }
        IndexSpec sp = {0};
        if (col)
            spec_add(&sp, col, NULL);
        else if (excl)
            for (size_t i = 0; i < con->n_exclusions; i++) {
                const Node *pair = con->exclusions[i];
                if (pair && pair->node_case == PG_QUERY__NODE__NODE_LIST && pair->list->n_items)
                    spec_add_elem(&sp, pair->list->items[0]);
            }
        else
            for (size_t i = 0; i < con->n_keys; i++)
                if (node_str(con->keys[i])) spec_add(&sp, node_str(con->keys[i]), NULL);
        if (con->where_clause) pgtree_walk(&con->where_clause->base, visit_colrefs, &sp.uses);
        sp.unique = !excl;
        sp.primary = pk;
        sp.exclusion = excl;
        sp.constraint = true;
        sp.kind = pk ? SCHEMA_CON_PRIMARY : excl ? SCHEMA_CON_EXCLUSION : SCHEMA_CON_UNIQUE;
        sp.partial = con->where_clause != NULL;
        sp.only = !recurse && t->kind == SCHEMA_REL_PARTITIONED;
        index_create(s, t, conname, &sp);
        spec_free(&sp);
        return;
    }
    case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN: {
        StrList cols = {0};
        if (col)
            strs_push(&cols.v, &cols.n, col);
        else
            strs_from_nodes(&cols.v, &cols.n, con->fk_attrs, con->n_fk_attrs);
        char *add = join_names(cols.v, cols.n);
        char *name = conname ? xstrdup(conname) : object_name(t->name, add, "fkey");
        free(add);
        if (constraint_get(t, name)) {
            strs_free(cols.v, cols.n);
            free(name);
            return;
        }
        SchemaConstraint *c = constraint_push(t, name, SCHEMA_CON_FOREIGN);
        free(name);
        c->validated = !con->skip_validation;
        c->cols = cols.v;
        c->ncols = cols.n;
        c->ref = find_rv(s, con->pktable);
        c->del_action = nz(con->fk_del_action) ? con->fk_del_action[0] : 'a';
        c->upd_action = nz(con->fk_upd_action) ? con->fk_upd_action[0] : 'a';
        strs_from_nodes(&c->ref_cols, &c->nref_cols, con->pk_attrs, con->n_pk_attrs);
        if (c->nref_cols == 0 && c->ref)
            for (size_t i = 0; i < c->ref->ncons; i++)
                if (c->ref->cons[i].kind == SCHEMA_CON_PRIMARY)
                    for (size_t k = 0; k < c->ref->cons[i].ncols; k++)
                        strs_push(&c->ref_cols, &c->nref_cols, c->ref->cons[i].cols[k]);
        fk_link(t, c);
        SchemaConstraint copy = *c;
        fk_clone_down(t, &copy);
        return;
    }
    default:
        return;
    }
}

/* What a partition takes from its parent as it joins: the parent's indexes
 * with their constraints (an index of its own that matches is attached
 * instead), and its foreign keys, at every depth below. */
static void partition_inherit(Schema *s, SchemaRel *parent, SchemaRel *ch)
{
    for (size_t i = 0; i < parent->nindexes; i++) {
        IndexSpec sp;
        index_spec_of(parent, parent->indexes[i], &sp);
        bool have = false;
        for (size_t k = 0; k < ch->nindexes && !have; k++)
            have = index_matches(ch, ch->indexes[k], &sp);
        if (!have) index_create(s, ch, NULL, &sp);
        spec_free(&sp);
    }
    for (size_t i = 0; i < parent->ncons; i++)
        if (parent->cons[i].kind == SCHEMA_CON_FOREIGN) {
            SchemaConstraint copy = parent->cons[i];
            constraint_copy_fk(ch, &copy);
            fk_clone_down(ch, &copy);
        }
}

static void link_child(SchemaRel *parent, SchemaRel *ch, bool partition)
{
    ptrs_push(&parent->children, &parent->nchildren, &parent->capchildren, ch);
    ptrs_push(&ch->parents, &ch->nparents, &ch->capparents, parent);
    if (partition) ch->is_partition = true;
}

static void unlink_child(SchemaRel *parent, SchemaRel *ch)
{
    ptrs_remove(parent->children, &parent->nchildren, ch);
    ptrs_remove(ch->parents, &ch->nparents, parent);
    ch->is_partition = false;
    ch->is_default = false;
}

/* ---- dropping -----------------------------------------------------------------
 * A DROP marks what it takes (mark: a relation with its indexes, owned
 * sequences and partitions; with CASCADE also the views on them and their
 * inheritance children), checks that nothing else needs them when it has no
 * CASCADE, then sweeps: each marked relation is unlinked from its neighbours
 * (found through its own pointers and the reverse lists refby and viewers, so
 * a DROP costs what it touches, not the size of the model) and freed. */

static void mark(Schema *s, SchemaRel *r)
{
    if (!r || r->dropping) return;
    r->dropping = true;
    *ARRAY_PUSH(s->marked, s->nmarked, s->capmarked) = r;
    for (size_t i = 0; i < r->nindexes; i++)
        mark(s, r->indexes[i]);
    for (size_t i = 0; i < r->nseqs; i++)
        mark(s, r->seqs[i]);
    for (size_t i = 0; i < r->nchildren; i++)
        if (r->children[i]->is_partition) mark(s, r->children[i]);
}

/* Whether anything outside the marked set needs a marked relation (the server
 * refuses the DROP without CASCADE): a foreign key, a view, an inheritance child. */
static bool drop_blocked(const Schema *s)
{
    for (size_t i = 0; i < s->nmarked; i++) {
        const SchemaRel *r = s->marked[i];
        for (size_t k = 0; k < r->nrefby; k++)
            if (!r->refby[k]->dropping) return true;
        for (size_t k = 0; k < r->nviewers; k++)
            if (!r->viewers[k]->dropping) return true;
        for (size_t k = 0; k < r->nchildren; k++)
            if (!r->children[k]->dropping) return true;
    }
    return false;
}

/* Marks what CASCADE takes along: the views on, and inheritance children of,
 * marked relations (the foreign keys on them go in the sweep). */
static void mark_cascade(Schema *s)
{
    for (size_t i = 0; i < s->nmarked; i++) {
        SchemaRel *r = s->marked[i];
        for (size_t k = 0; k < r->nviewers; k++)
            mark(s, r->viewers[k]);
        for (size_t k = 0; k < r->nchildren; k++)
            mark(s, r->children[k]);
    }
}

/* Unlinks r (marked) from every neighbour that stays. */
static void unlink_marked(SchemaRel *r)
{
    SchemaRel *t = r->table;
    if (t && !t->dropping) {
        if (r->kind == SCHEMA_REL_INDEX) {
            ptrs_remove(t->indexes, &t->nindexes, r);
            for (size_t k = 0; k < t->ncons; k++)
                if (t->cons[k].index == r) constraint_remove_at(t, k--);
        } else {
            ptrs_remove(t->seqs, &t->nseqs, r);
        }
    }
    for (size_t k = 0; k < r->nparents; k++)
        if (!r->parents[k]->dropping)
            ptrs_remove(r->parents[k]->children, &r->parents[k]->nchildren, r);
    for (size_t k = 0; k < r->nchildren; k++) {
        SchemaRel *ch = r->children[k];
        if (ch->dropping) continue;
        ptrs_remove(ch->parents, &ch->nparents, r);
        if (ch->nparents == 0) ch->is_partition = false;
    }
    SchemaRel **holders;
    size_t nh = ptrs_unique(r->refby, r->nrefby, &holders);
    for (size_t i = 0; i < nh; i++) /* the foreign keys on r go */
        for (size_t k = 0; !holders[i]->dropping && k < holders[i]->ncons; k++)
            if (holders[i]->cons[k].kind == SCHEMA_CON_FOREIGN && holders[i]->cons[k].ref == r)
                constraint_remove_at(holders[i], k--);
    free(holders);
    for (size_t k = 0; k < r->ncons; k++) { /* r's own foreign keys leave refby lists */
        SchemaRel *ref = r->cons[k].ref;
        if (r->cons[k].kind == SCHEMA_CON_FOREIGN && ref && !ref->dropping)
            ptrs_remove_one(ref->refby, &ref->nrefby, r);
    }
    for (size_t k = 0; k < r->nviewers; k++)
        if (!r->viewers[k]->dropping) ptrs_remove(r->viewers[k]->deps, &r->viewers[k]->ndeps, r);
    for (size_t k = 0; k < r->ndeps; k++)
        if (!r->deps[k]->dropping) ptrs_remove(r->deps[k]->viewers, &r->deps[k]->nviewers, r);
    for (size_t k = 0; k < r->nseqs; k++) {
        SchemaRel *seq = r->seqs[k];
        if (seq->dropping) continue;
        seq->table = NULL; /* a sequence no longer owned */
        free(seq->owner_col);
        seq->owner_col = NULL;
    }
}

/* DROP of the relations marked; refused (nothing changes) when others depend
 * on them and cascade is false. */
static void drop_marked(Schema *s, bool cascade)
{
    if (cascade)
        mark_cascade(s);
    else if (drop_blocked(s)) {
        for (size_t i = 0; i < s->nmarked; i++)
            s->marked[i]->dropping = false;
        s->nmarked = 0;
        return;
    }
    for (size_t i = 0; i < s->nmarked; i++) {
        map_del(s, s->marked[i]);
        unlink_marked(s->marked[i]);
    }
    for (size_t i = 0; i < s->nmarked; i++)
        rel_free(s->marked[i]);
    s->nmarked = 0;
}

static void drop_one(Schema *s, SchemaRel *r, bool cascade)
{
    mark(s, r);
    drop_marked(s, cascade);
}

static bool same_set(char *const *a, size_t na, char *const *b, size_t nb)
{
    if (na != nb) return false;
    for (size_t i = 0; i < na; i++)
        if (!strs_has(b, nb, a[i])) return false;
    return true;
}

static void constraint_remove(SchemaRel *t, SchemaConstraint *c)
{
    constraint_remove_at(t, (size_t)(c - t->cons));
}

/* ALTER TABLE DROP CONSTRAINT: the constraint, its index, its clones on the
 * children (a CHECK's and a foreign key's by name, a key's by its index), and
 * the foreign keys that lean on a key: with CASCADE they go, without it the
 * server refuses and nothing changes. */
static void constraint_drop(Schema *s, SchemaRel *t, const char *name, bool cascade)
{
    SchemaConstraint *c = constraint_get(t, name);
    if (!c) return;
    if (c->index && c->kind != SCHEMA_CON_EXCLUSION) {
        SchemaRel **all;
        size_t n = ptrs_unique(t->refby, t->nrefby, &all);
        bool leaned = false;
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < all[i]->ncons; k++) {
                SchemaConstraint *fk = &all[i]->cons[k];
                c = constraint_get(t, name);
                if (fk->kind != SCHEMA_CON_FOREIGN || fk->ref != t ||
                    !same_set(fk->ref_cols, fk->nref_cols, c->cols, c->ncols))
                    continue;
                leaned = true;
                if (cascade) constraint_remove_at(all[i], k--);
            }
        free(all);
        if (leaned && !cascade) return;
        c = constraint_get(t, name);
    }
    SchemaConKind kind = c->kind;
    SchemaRel *ix = c->index;
    IndexSpec sp = {0};
    if (ix) index_spec_of(t, ix, &sp);
    for (size_t i = 0; i < t->nchildren; i++) {
        SchemaRel *ch = t->children[i];
        if (kind == SCHEMA_CON_CHECK || (kind == SCHEMA_CON_FOREIGN && ch->is_partition)) {
            constraint_drop(s, ch, name, cascade);
        } else if (ix && ch->is_partition) {
            for (size_t k = 0; k < ch->nindexes; k++)
                if (index_matches(ch, ch->indexes[k], &sp)) {
                    const SchemaConstraint *cc = constraint_of_index(ch, ch->indexes[k]);
                    char *cname = xstrdup(cc->name);
                    constraint_drop(s, ch, cname, cascade);
                    free(cname);
                    break;
                }
        }
    }
    spec_free(&sp);
    c = constraint_get(t, name);
    if (c) constraint_remove(t, c);
    if (ix) {
        mark(s, ix);
        drop_marked(s, true);
    }
}

/* ---- statements: CREATE TABLE ------------------------------------------------- */

static SchemaPersistence persistence_of(const PgQuery__RangeVar *rv)
{
    if (rv && rv->relpersistence && rv->relpersistence[0] == 'u') return SCHEMA_UNLOGGED;
    if (rv && rv->relpersistence && rv->relpersistence[0] == 't') return SCHEMA_TEMP;
    return SCHEMA_PERMANENT;
}

/* serial, bigserial, smallserial (and serial2/4/8): the column type, or NULL. */
static const char *serial_type(const PgQuery__TypeName *tn)
{
    if (!tn || tn->n_names != 1 || tn->n_array_bounds) return NULL;
    const char *n = node_str(tn->names[0]);
    if (str_eq(n, "serial") || str_eq(n, "serial4")) return "int4";
    if (str_eq(n, "bigserial") || str_eq(n, "serial8")) return "int8";
    if (str_eq(n, "smallserial") || str_eq(n, "serial2")) return "int2";
    return NULL;
}

/* A column definition on t: its type, default, flags, constraints. */
static void column_define(Schema *s, SchemaRel *t, const PgQuery__ColumnDef *cd)
{
    if (!nz(cd->colname)) return;
    SchemaColumn *c = column_add(t, cd->colname);
    const char *ser = serial_type(cd->type_name);
    if (ser) {
        column_set_type(c, cd->type_name);
        free(c->type);
        c->type = xstrdup(ser);
        c->not_null = true;
        c->has_default = true;
        strs_push(&c->default_funcs, &c->ndefault_funcs, "nextval");
        seq_create_owned(s, t, cd->colname, ser, false, NULL, 0);
    } else if (cd->type_name) {
        column_set_type(c, cd->type_name);
    }
    if (cd->coll_clause && cd->coll_clause->n_collname) {
        free(c->collation);
        c->collation =
            xstrdup(node_str(cd->coll_clause->collname[cd->coll_clause->n_collname - 1]));
    }
    if (cd->is_not_null) c->not_null = true;
    if (cd->raw_default) column_set_default(c, cd->raw_default);
    for (size_t i = 0; i < cd->n_constraints; i++) {
        const Node *n = cd->constraints[i];
        if (!n || n->node_case != PG_QUERY__NODE__NODE_CONSTRAINT) continue;
        const PgQuery__Constraint *con = n->constraint;
        c = column_get(t, cd->colname); /* constraint_add may move the array */
        switch (con->contype) {
        case PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL:
            c->not_null = true;
            break;
        case PG_QUERY__CONSTR_TYPE__CONSTR_NULL:
            c->not_null = false;
            break;
        case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT:
            column_set_default(c, con->raw_expr);
            break;
        case PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY:
            c->identity = con->generated_when && con->generated_when[0] == 'a' ? 'a' : 'd';
            c->not_null = true;
            seq_create_owned(s, t, cd->colname, c->type ? c->type : "int8", true, con->options,
                             con->n_options);
            break;
        case PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED:
            c->generated = 's';
            column_set_default(c, con->raw_expr);
            break;
        default:
            constraint_add(s, t, con, cd->colname, true);
            break;
        }
    }
}

static void like_clause(Schema *s, SchemaRel *t, const PgQuery__TableLikeClause *lc)
{
    SchemaRel *src = find_rv(s, lc->relation);
    if (!src) return;
    unsigned o = lc->options;
    for (size_t i = 0; i < src->ncols; i++) {
        const SchemaColumn *sc = &src->cols[i];
        SchemaColumn *c = column_add_copy(t, sc, (o & LIKE_DEFAULTS) != 0);
        if (!(o & LIKE_GENERATED) && c->generated) {
            c->generated = 0;
            column_set_default(c, NULL);
        }
        if ((o & LIKE_IDENTITY) && sc->identity) {
            c->identity = sc->identity;
            seq_create_owned(s, t, sc->name, sc->type, true, NULL, 0);
        }
    }
    if (o & LIKE_CONSTRAINTS)
        for (size_t i = 0; i < src->ncons; i++)
            if (src->cons[i].kind == SCHEMA_CON_CHECK && !constraint_get(t, src->cons[i].name)) {
                SchemaConstraint *c = constraint_push(t, src->cons[i].name, SCHEMA_CON_CHECK);
                c->validated = true;
                for (size_t k = 0; k < src->cons[i].ncols; k++)
                    strs_push(&c->cols, &c->ncols, src->cons[i].cols[k]);
            }
    if (o & LIKE_INDEXES)
        for (size_t i = 0; i < src->nindexes; i++) {
            IndexSpec sp;
            index_spec_of(src, src->indexes[i], &sp);
            index_create(s, t, NULL, &sp);
            spec_free(&sp);
        }
}

static void create_table(Schema *s, const PgQuery__CreateStmt *cs, bool foreign)
{
    const PgQuery__RangeVar *rv = cs->relation;
    if (!rv) return;
    SchemaPersistence pers = persistence_of(rv);
    const char *schema = create_in(s, rv->schemaname, pers == SCHEMA_TEMP);
    SchemaRelKind kind = cs->partspec ? SCHEMA_REL_PARTITIONED
                         : foreign    ? SCHEMA_REL_FOREIGN
                                      : SCHEMA_REL_TABLE;
    SchemaRel *t = rel_new(s, schema, rv->relname, kind, pers);
    if (!t) return;
    if (kind == SCHEMA_REL_TABLE)
        t->access_method = xstrdup(cs->access_method && *cs->access_method ? cs->access_method
                                   : s->default_am                         ? s->default_am
                                                                           : "heap");
    SchemaRel *part_parent = NULL;
    for (size_t i = 0; i < cs->n_inh_relations; i++) {
        const Node *n = cs->inh_relations[i];
        SchemaRel *p =
            n && n->node_case == PG_QUERY__NODE__NODE_RANGE_VAR ? find_rv(s, n->range_var) : NULL;
        if (!is_table(p)) continue;
        for (size_t k = 0; k < p->ncols; k++)
            column_add_copy(t, &p->cols[k], true);
        for (size_t k = 0; k < p->ncons; k++)
            if (p->cons[k].kind == SCHEMA_CON_CHECK && !constraint_get(t, p->cons[k].name)) {
                SchemaConstraint *c = constraint_push(t, p->cons[k].name, SCHEMA_CON_CHECK);
                for (size_t j = 0; j < p->cons[k].ncols; j++)
                    strs_push(&c->cols, &c->ncols, p->cons[k].cols[j]);
            }
        link_child(p, t, cs->partbound != NULL);
        if (cs->partbound) part_parent = p;
        t->is_default = cs->partbound && cs->partbound->is_default;
    }
    for (size_t i = 0; i < cs->n_table_elts; i++) {
        const Node *n = cs->table_elts[i];
        if (!n) continue;
        if (n->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
            column_define(s, t, n->column_def);
        else if (n->node_case == PG_QUERY__NODE__NODE_TABLE_LIKE_CLAUSE)
            like_clause(s, t, n->table_like_clause);
    }
    for (size_t i = 0; i < cs->n_table_elts; i++) {
        const Node *n = cs->table_elts[i];
        if (n && n->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
            constraint_add(s, t, n->constraint, NULL, true);
    }
    for (size_t i = 0; i < cs->n_constraints; i++) /* CREATE TABLE ... PARTITION OF's list */
        if (cs->constraints[i] && cs->constraints[i]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
            constraint_add(s, t, cs->constraints[i]->constraint, NULL, true);
    if (part_parent) partition_inherit(s, part_parent, t);
    t->has_toast = needs_toast(s, t);
}

/* ---- statements: indexes, sequences, views, types ------------------------------ */

static void create_index(Schema *s, const PgQuery__IndexStmt *is)
{
    SchemaRel *t = find_rv(s, is->relation);
    if (!t || !(is_table(t) || t->kind == SCHEMA_REL_MATVIEW)) return;
    IndexSpec sp = {0};
    for (size_t i = 0; i < is->n_index_params; i++)
        spec_add_elem(&sp, is->index_params[i]);
    sp.unique = is->unique;
    sp.primary = is->primary;
    sp.partial = is->where_clause != NULL;
    if (is->where_clause) pgtree_walk(&is->where_clause->base, visit_colrefs, &sp.uses);
    sp.only = !is->relation->inh;
    index_create(s, t, nz(is->idxname), &sp);
    spec_free(&sp);
}

/* OWNED BY and AS of CREATE/ALTER SEQUENCE. */
static void seq_options(Schema *s, SchemaRel *seq, Node *const *opts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!opts[i] || opts[i]->node_case != PG_QUERY__NODE__NODE_DEF_ELEM) continue;
        const PgQuery__DefElem *d = opts[i]->def_elem;
        if (str_eq(d->defname, "as") && d->arg &&
            d->arg->node_case == PG_QUERY__NODE__NODE_TYPE_NAME) {
            SchemaColumn tmp = {0};
            column_set_type(&tmp, d->arg->type_name);
            free(seq->seq_type);
            seq->seq_type = xstrdup(tmp.type);
            column_clear(&tmp);
        } else if (str_eq(d->defname, "owned_by") && d->arg &&
                   d->arg->node_case == PG_QUERY__NODE__NODE_LIST) {
            const PgQuery__List *l = d->arg->list;
            if (l->n_items == 1 && str_eq(node_str(l->items[0]), "none")) {
                seq_own(seq, NULL, NULL);
                continue;
            }
            if (l->n_items < 2) continue;
            const char *col = node_str(l->items[l->n_items - 1]);
            const char *tname = node_str(l->items[l->n_items - 2]);
            const char *tschema = l->n_items >= 3 ? node_str(l->items[l->n_items - 3]) : NULL;
            SchemaRel *t = find(s, tschema, tname);
            if (t && column_get(t, col)) seq_own(seq, t, col);
        }
    }
}

static void create_sequence(Schema *s, const PgQuery__CreateSeqStmt *cs)
{
    const PgQuery__RangeVar *rv = cs->sequence;
    if (!rv) return;
    SchemaPersistence pers = persistence_of(rv);
    SchemaRel *seq = rel_new(s, create_in(s, rv->schemaname, pers == SCHEMA_TEMP), rv->relname,
                             SCHEMA_REL_SEQUENCE, pers);
    if (!seq) return;
    seq->seq_type = xstrdup("int8");
    seq_options(s, seq, cs->options, cs->n_options);
}

typedef struct DepCtx {
    const Schema *s;
    SchemaRel *view;
} DepCtx;

static bool visit_deps(const ProtobufCMessage *m, void *ctx)
{
    if (m->descriptor == &pg_query__range_var__descriptor) {
        DepCtx *d = ctx;
        SchemaRel *r = find_rv(d->s, (const PgQuery__RangeVar *)m);
        SchemaRel *v = d->view;
        bool known = false;
        for (size_t i = 0; r && i < v->ndeps && !known; i++)
            known = v->deps[i] == r;
        if (r && r != v && !known) {
            *ARRAY_PUSH(v->deps, v->ndeps, v->capdeps) = r;
            *ARRAY_PUSH(r->viewers, r->nviewers, r->capviewers) = v;
        }
    }
    return true;
}

static void view_deps(const Schema *s, SchemaRel *v, const Node *query)
{
    for (size_t i = 0; i < v->ndeps; i++)
        ptrs_remove(v->deps[i]->viewers, &v->deps[i]->nviewers, v);
    v->ndeps = 0;
    DepCtx d = {s, v};
    if (query) pgtree_walk(&query->base, visit_deps, &d);
}

static void create_view(Schema *s, const PgQuery__ViewStmt *vs)
{
    const PgQuery__RangeVar *rv = vs->view;
    if (!rv) return;
    SchemaPersistence pers = persistence_of(rv);
    const char *schema = create_in(s, rv->schemaname, pers == SCHEMA_TEMP);
    SchemaRel *v = schema ? map_find(s, schema, rv->relname) : NULL;
    if (v && !(vs->replace && v->kind == SCHEMA_REL_VIEW)) return;
    if (!v) v = rel_new(s, schema, rv->relname, SCHEMA_REL_VIEW, pers);
    if (!v) return;
    v->cols_unknown = true;
    for (size_t i = 0; i < vs->n_aliases; i++)
        if (node_str(vs->aliases[i])) column_add(v, node_str(vs->aliases[i]));
    view_deps(s, v, vs->query);
}

static void create_table_as(Schema *s, const PgQuery__IntoClause *into, const Node *query,
                            bool matview)
{
    if (!into || !into->rel) return;
    SchemaPersistence pers = persistence_of(into->rel);
    SchemaRel *t =
        rel_new(s, create_in(s, into->rel->schemaname, pers == SCHEMA_TEMP), into->rel->relname,
                matview ? SCHEMA_REL_MATVIEW : SCHEMA_REL_TABLE, pers);
    if (!t) return;
    t->cols_unknown = true;
    for (size_t i = 0; i < into->n_col_names; i++)
        if (node_str(into->col_names[i])) column_add(t, node_str(into->col_names[i]));
    if (matview) view_deps(s, t, query);
}

static SchemaType *type_new(Schema *s, Node *const *names, size_t n, SchemaTypeKind kind)
{
    const char *schema, *name;
    split_names(names, n, &schema, &name);
    schema = create_in(s, schema, false);
    if (!schema || !name || type_find(s, schema, name)) return NULL;
    SchemaType *t = ARRAY_PUSH(s->types, s->ntypes, s->captypes);
    memset(t, 0, sizeof(*t));
    t->schema = xstrdup(schema);
    t->name = xstrdup(name);
    t->kind = kind;
    return t;
}

/* CREATE FUNCTION: its name and volatility (VOLATILE unless it says). */
static void create_function(Schema *s, const PgQuery__CreateFunctionStmt *cf)
{
    const char *schema, *name;
    if (cf->is_procedure) return;
    split_names(cf->funcname, cf->n_funcname, &schema, &name);
    schema = create_in(s, schema, false);
    if (!schema || !name) return;
    char v = 'v';
    bool sql = cf->sql_body != NULL;
    for (size_t i = 0; i < cf->n_options; i++) {
        const Node *o = cf->options[i];
        if (!o || o->node_case != PG_QUERY__NODE__NODE_DEF_ELEM) continue;
        const char *w = node_str(o->def_elem->arg);
        if (w && str_eq(o->def_elem->defname, "volatility")) v = w[0];
        if (w && str_eq(o->def_elem->defname, "language")) sql = strcasecmp(w, "sql") == 0;
    }
    struct SchemaFunc *f = NULL;
    for (size_t i = 0; cf->replace && i < s->nfuncs && !f; i++)
        if (str_eq(s->funcs[i].schema, schema) && str_eq(s->funcs[i].name, name))
            f = &s->funcs[i]; /* OR REPLACE: what it says now */
    if (!f) {
        f = ARRAY_PUSH(s->funcs, s->nfuncs, s->capfuncs);
        f->schema = xstrdup(schema);
        f->name = xstrdup(name);
    }
    f->volatility = v;
    f->sql = sql;
}

/* A constraint of domain t added (CHECK, NOT NULL) or dropped (add false). */
static void domain_constraint(SchemaType *t, const Node *n, bool add)
{
    if (!n || n->node_case != PG_QUERY__NODE__NODE_CONSTRAINT) return;
    const PgQuery__Constraint *c = n->constraint;
    if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK)
        t->nchecks += add ? 1 : t->nchecks > 0 ? -1 : 0;
    else if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL)
        t->not_null = add;
    else if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_NULL && add)
        t->not_null = false;
}

/* ALTER DOMAIN's subtype (AlterDomainStmt in parsenodes.h): 'C' ADD
 * CONSTRAINT, 'X' DROP CONSTRAINT (a CHECK: NOT NULL is dropped by 'N'),
 * 'O' SET NOT NULL, 'N' DROP NOT NULL. */
static void alter_domain(SchemaType *t, const PgQuery__AlterDomainStmt *ad)
{
    char op = ad->subtype ? ad->subtype[0] : 0;
    if (op == 'C') domain_constraint(t, ad->def, true);
    if (op == 'X' && t->nchecks > 0) t->nchecks--;
    if (op == 'O') t->not_null = true;
    if (op == 'N') t->not_null = false;
}

static void create_composite(Schema *s, const PgQuery__CompositeTypeStmt *ct)
{
    const PgQuery__RangeVar *rv = ct->typevar;
    if (!rv) return;
    const char *schema = create_in(s, rv->schemaname, false);
    if (!schema || type_find(s, schema, rv->relname)) return;
    SchemaRel *r = rel_new(s, schema, rv->relname, SCHEMA_REL_COMPOSITE, SCHEMA_PERMANENT);
    if (!r) return;
    SchemaType *t = ARRAY_PUSH(s->types, s->ntypes, s->captypes);
    memset(t, 0, sizeof(*t));
    t->schema = xstrdup(schema);
    t->name = xstrdup(rv->relname);
    t->kind = SCHEMA_TYPE_COMPOSITE;
    for (size_t i = 0; i < ct->n_coldeflist; i++)
        if (ct->coldeflist[i] && ct->coldeflist[i]->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
            column_define(s, r, ct->coldeflist[i]->column_def);
}

static void type_drop(Schema *s, SchemaType *t, bool cascade)
{
    SchemaRel **all;
    size_t n = all_rels(s, &all);
    bool used = false;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < all[i]->ncols; k++) {
            SchemaColumn *c = &all[i]->cols[k];
            if (!str_eq(c->type, t->name) || (c->type_schema && !str_eq(c->type_schema, t->schema)))
                continue;
            used = true;
            if (cascade) {
                column_clear(c); /* the others keep their order */
                memmove(c, c + 1, (all[i]->ncols - k - 1) * sizeof(*c));
                all[i]->ncols--;
                k--;
            }
        }
    free(all);
    if (used && !cascade) return;
    if (t->kind == SCHEMA_TYPE_COMPOSITE) {
        SchemaRel *r = map_find(s, t->schema, t->name);
        if (r && r->kind == SCHEMA_REL_COMPOSITE) drop_one(s, r, true);
    }
    free(t->schema);
    free(t->name);
    free(t->base);
    column_clear(&t->basecol);
    *t = s->types[--s->ntypes];
}

/* ---- statements: ALTER TABLE ------------------------------------------------------ */

/* t and, unless ONLY, its children at every depth. */
static size_t with_children(SchemaRel *t, bool recurse, SchemaRel ***out)
{
    SchemaRel **v = NULL;
    size_t n = 0, cap = 0;
    ptrs_push(&v, &n, &cap, t);
    for (size_t i = 0; recurse && i < n; i++)
        for (size_t k = 0; k < v[i]->nchildren; k++)
            ptrs_push(&v, &n, &cap, v[i]->children[k]);
    *out = v;
    return n;
}

static void column_drop(Schema *s, SchemaRel *t, const char *name, bool cascade)
{
    SchemaColumn *c = column_get(t, name);
    if (!c) return;
    SchemaRel **holders;
    size_t nh = ptrs_unique(t->refby, t->nrefby, &holders);
    bool used = false;
    for (size_t i = 0; i < nh && !cascade && !used; i++)
        for (size_t k = 0; k < holders[i]->ncons && !used; k++)
            used = holders[i] != t && holders[i]->cons[k].ref == t &&
                   strs_has(holders[i]->cons[k].ref_cols, holders[i]->cons[k].nref_cols, name);
    if (used) { /* a foreign key of another table on it: the server refuses */
        free(holders);
        return;
    }
    for (size_t i = 0; i < t->nindexes; i++)
        if (strs_has(t->indexes[i]->keys, t->indexes[i]->nkeys, name) ||
            strs_has(t->indexes[i]->uses, t->indexes[i]->nuses, name))
            mark(s, t->indexes[i]);
    for (size_t i = 0; i < t->nseqs; i++)
        if (str_eq(t->seqs[i]->owner_col, name)) mark(s, t->seqs[i]);
    for (size_t i = 0; i < t->ncons; i++)
        if (strs_has(t->cons[i].cols, t->cons[i].ncols, name)) constraint_remove_at(t, i--);
    for (size_t i = 0; cascade && i < nh; i++) /* foreign keys of other tables on it go too */
        for (size_t k = 0; k < holders[i]->ncons; k++) {
            SchemaConstraint *fk = &holders[i]->cons[k];
            if (fk->kind == SCHEMA_CON_FOREIGN && fk->ref == t &&
                strs_has(fk->ref_cols, fk->nref_cols, name))
                constraint_remove_at(holders[i], k--);
        }
    free(holders);
    c = column_get(t, name);
    column_clear(c);
    size_t idx = (size_t)(c - t->cols);
    memmove(&t->cols[idx], &t->cols[idx + 1], (t->ncols - idx - 1) * sizeof(*c));
    t->ncols--;
    drop_marked(s, true);
}

static void strs_rename(char **v, size_t n, const char *from, const char *to)
{
    for (size_t i = 0; i < n; i++)
        if (str_eq(v[i], from)) {
            free(v[i]);
            v[i] = xstrdup(to);
        }
}

static void column_rename(SchemaRel *t, const char *from, const char *to)
{
    SchemaColumn *c = column_get(t, from);
    if (!c || column_get(t, to)) return;
    free(c->name);
    c->name = xstrdup(to);
    for (size_t i = 0; i < t->nindexes; i++)
        for (size_t k = 0; k < t->indexes[i]->nkeys; k++)
            if (str_eq(t->indexes[i]->keys[k], from)) {
                free(t->indexes[i]->keys[k]);
                t->indexes[i]->keys[k] = xstrdup(to);
            }
    for (size_t i = 0; i < t->nseqs; i++)
        if (str_eq(t->seqs[i]->owner_col, from)) {
            free(t->seqs[i]->owner_col);
            t->seqs[i]->owner_col = xstrdup(to);
        }
    for (size_t k = 0; k < t->ncons; k++)
        strs_rename(t->cons[k].cols, t->cons[k].ncols, from, to);
    SchemaRel **holders; /* the foreign keys on t name its columns too */
    size_t nh = ptrs_unique(t->refby, t->nrefby, &holders);
    for (size_t i = 0; i < nh; i++)
        for (size_t k = 0; k < holders[i]->ncons; k++) {
            SchemaConstraint *fk = &holders[i]->cons[k];
            if (fk->kind == SCHEMA_CON_FOREIGN && fk->ref == t)
                strs_rename(fk->ref_cols, fk->nref_cols, from, to);
        }
    free(holders);
}

/* Whether ALTER COLUMN TYPE from old to new keeps the table's storage (a
 * binary-coercible change PostgreSQL makes without a rewrite: a longer or
 * unbounded varchar or varbit, varchar to text and back, a wider numeric of
 * the same scale, a finer time); anything else is taken as a rewrite. */
static bool type_change_keeps_storage(const SchemaColumn *old, const SchemaColumn *new)
{
    if (!old->type || !new->type || old->array != new->array) return false;
    const char *a = old->type, *b = new->type;
    bool text_like_a = str_eq(a, "varchar") || str_eq(a, "text");
    if (text_like_a && (str_eq(b, "text") || (str_eq(b, "varchar") && new->length < 0)))
        return true;
    bool same_schema = old->type_schema == new->type_schema ||
                       str_eq(old->type_schema, new->type_schema); /* both NULL, or equal */
    if (!str_eq(a, b) || !same_schema) return false;
    if (str_eq(a, "varchar") || str_eq(a, "varbit"))
        return new->length < 0 || (old->length >= 0 && new->length >= old->length);
    if (str_eq(a, "numeric"))
        return new->precision < 0 ||
               (old->precision >= 0 && new->scale == old->scale &&new->precision >= old->precision);
    if (str_eq(a, "time") || str_eq(a, "timetz") || str_eq(a, "timestamp") ||
        str_eq(a, "timestamptz"))
        return new->fsec < 0 || (old->fsec >= 0 && new->fsec >= old->fsec);
    return old->length == new->length && old->fsec == new->fsec &&
           old->interval_fields == new->interval_fields;
}

static void alter_cmd(Schema *s, SchemaRel *t, const PgQuery__AlterTableCmd *cmd, bool recurse)
{
    SchemaRel **v;
    size_t n;
    const char *name = nz(cmd->name);
    bool cascade = cmd->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE;
    switch (cmd->subtype) {
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumnRecurse:
        if (!cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF) return;
        if (column_get(t, cmd->def->column_def->colname)) return;
        column_define(s, t, cmd->def->column_def);
        n = with_children(t, recurse, &v);
        for (size_t i = 1; i < n; i++)
            column_add_copy(v[i], column_get(t, cmd->def->column_def->colname), true);
        free(v);
        return;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumnRecurse:
        n = with_children(t, recurse, &v);
        for (size_t i = n; i-- > 0;)
            column_drop(s, v[i], name, cascade);
        free(v);
        return;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
        if (!cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF) return;
        n = with_children(t, recurse, &v);
        for (size_t i = 0; i < n; i++) {
            SchemaColumn *c = column_get(v[i], name);
            if (!c) continue;
            SchemaColumn old;
            column_copy(&old, c, false);
            column_set_type(c, cmd->def->column_def->type_name);
            if (cmd->def->column_def->raw_default || !type_change_keeps_storage(&old, c))
                v[i]->rewriting = true;
            column_clear(&old);
            if (cmd->def->column_def->coll_clause &&
                cmd->def->column_def->coll_clause->n_collname) {
                free(c->collation);
                const PgQuery__CollateClause *cc = cmd->def->column_def->coll_clause;
                c->collation = xstrdup(node_str(cc->collname[cc->n_collname - 1]));
            }
        }
        free(v);
        return;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault:
        n = with_children(t, recurse, &v);
        for (size_t i = 0; i < n; i++) {
            SchemaColumn *c = column_get(v[i], name);
            if (c && !c->generated) column_set_default(c, cmd->def);
        }
        free(v);
        return;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull:
        n = with_children(t, recurse, &v);
        for (size_t i = 0; i < n; i++) {
            SchemaColumn *c = column_get(v[i], name);
            if (c) c->not_null = cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull;
        }
        free(v);
        return;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DropExpression: {
        SchemaColumn *c = column_get(t, name);
        if (c && c->generated) {
            c->generated = 0;
            column_set_default(c, NULL);
        }
        return;
    }
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AddIdentity: {
        SchemaColumn *c = column_get(t, name);
        if (!c || c->identity || !cmd->def ||
            cmd->def->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
            return;
        c->identity = str_eq(cmd->def->constraint->generated_when, "a") ? 'a' : 'd';
        c->not_null = true;
        seq_create_owned(s, t, name, c->type ? c->type : "int8", true,
                         cmd->def->constraint->options, cmd->def->constraint->n_options);
        return;
    }
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DropIdentity: {
        SchemaColumn *c = column_get(t, name);
        if (!c || !c->identity) return;
        c->identity = 0;
        for (size_t i = 0; i < t->nseqs; i++)
            if (t->seqs[i]->identity && str_eq(t->seqs[i]->owner_col, name)) mark(s, t->seqs[i]);
        drop_marked(s, true);
        return;
    }
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraintRecurse:
        if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
            constraint_add(s, t, cmd->def->constraint, NULL, recurse);
        return;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraintRecurse:
        n = with_children(t, true, &v);
        for (size_t i = 0; i < n; i++) {
            SchemaConstraint *c = constraint_get(v[i], name);
            if (c) c->validated = true;
        }
        free(v);
        return;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraintRecurse:
        constraint_drop(s, t, name, cascade);
        return;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition: {
        if (!cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_PARTITION_CMD) return;
        SchemaRel *ch = find_rv(s, cmd->def->partition_cmd->name);
        if (!is_table(ch) || ch == t || ch->nparents || t->kind != SCHEMA_REL_PARTITIONED) return;
        link_child(t, ch, true);
        ch->is_default =
            cmd->def->partition_cmd->bound && cmd->def->partition_cmd->bound->is_default;
        partition_inherit(s, t, ch);
        return;
    }
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition: {
        if (!cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_PARTITION_CMD) return;
        SchemaRel *ch = find_rv(s, cmd->def->partition_cmd->name);
        for (size_t i = 0; ch && i < t->nchildren; i++)
            if (t->children[i] == ch) {
                unlink_child(t, ch);
                break;
            }
        return;
    }
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AddInherit:
        if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_RANGE_VAR) {
            SchemaRel *p = find_rv(s, cmd->def->range_var);
            if (is_table(p) && p != t) link_child(p, t, false);
        }
        return;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DropInherit:
        if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_RANGE_VAR) {
            SchemaRel *p = find_rv(s, cmd->def->range_var);
            if (p) unlink_child(p, t);
        }
        return;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_SetAccessMethod:
        if (t->access_method && cmd->name && *cmd->name) {
            free(t->access_method);
            t->access_method = xstrdup(cmd->name);
        }
        return;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_SetLogged:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_SetUnLogged: {
        SchemaPersistence p = cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_SetLogged
                                  ? SCHEMA_PERMANENT
                                  : SCHEMA_UNLOGGED;
        t->persistence = p;
        for (size_t i = 0; i < t->nindexes; i++)
            t->indexes[i]->persistence = p;
        return;
    }
    default:
        return; /* OWNER, SET (...), triggers, ...: no change to the model */
    }
}

static void alter_table(Schema *s, const PgQuery__AlterTableStmt *as)
{
    SchemaRel *t = find_rv(s, as->relation);
    if (!t) return;
    bool recurse = as->relation->inh;
    for (size_t i = 0; i < as->n_cmds; i++) {
        const Node *n = as->cmds[i];
        if (n && n->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
            alter_cmd(s, t, n->alter_table_cmd, recurse);
    }
    SchemaRel **v;
    size_t n = with_children(t, recurse, &v);
    for (size_t i = 0; i < n; i++) { /* a rewrite makes the TOAST table anew */
        v[i]->has_toast = (!v[i]->rewriting && v[i]->has_toast) || needs_toast(s, v[i]);
        v[i]->rewriting = false;
    }
    free(v);
}

static void alter_sequence(Schema *s, const PgQuery__AlterSeqStmt *as)
{
    SchemaRel *seq = find_rv(s, as->sequence);
    if (seq && seq->kind == SCHEMA_REL_SEQUENCE) seq_options(s, seq, as->options, as->n_options);
}

/* ---- triggers, rules and policies ------------------------------------------------ */

/* The kind word of a table object's entry ("trigger:name"), NULL for others. */
static const char *table_object_kind(PgQuery__ObjectType ot)
{
    switch (ot) {
    case PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER:
        return "trigger";
    case PG_QUERY__OBJECT_TYPE__OBJECT_RULE:
        return "rule";
    case PG_QUERY__OBJECT_TYPE__OBJECT_POLICY:
        return "policy";
    default:
        return NULL;
    }
}

static void table_object_add(SchemaRel *r, const char *kind, const char *name)
{
    if (!r || !kind || !nz(name) || schema_table_object(r, kind, name)) return;
    char *e = xasprintf("%s:%s", kind, name);
    strs_push(&r->objects, &r->nobjects, e);
    free(e);
}

static void table_object_drop(SchemaRel *r, const char *kind, const char *name)
{
    for (size_t i = 0; r && kind && name && i < r->nobjects; i++) {
        size_t kl = strlen(kind);
        if (strncmp(r->objects[i], kind, kl) == 0 && r->objects[i][kl] == ':' &&
            strcmp(r->objects[i] + kl + 1, name) == 0) {
            free(r->objects[i]);
            r->objects[i] = r->objects[--r->nobjects];
            return;
        }
    }
}

bool schema_table_object(const SchemaRel *r, const char *kind, const char *name)
{
    size_t kl = kind ? strlen(kind) : 0;
    for (size_t i = 0; r && kind && name && i < r->nobjects; i++)
        if (strncmp(r->objects[i], kind, kl) == 0 && r->objects[i][kl] == ':' &&
            strcmp(r->objects[i] + kl + 1, name) == 0)
            return true;
    return false;
}

/* ---- statements: RENAME, SET SCHEMA, DROP ------------------------------------------- */

static void rename_stmt(Schema *s, const PgQuery__RenameStmt *rs)
{
    const char *to = nz(rs->newname);
    if (!to) return;
    switch (rs->rename_type) {
    case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
    case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
    case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
    case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
    case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
    case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE: {
        SchemaRel *r = find_rv(s, rs->relation);
        if (!r || map_find(s, r->schema, to)) return;
        if (r->kind == SCHEMA_REL_INDEX && r->table) { /* its constraint follows */
            SchemaConstraint *c = constraint_get(r->table, r->name);
            if (c && c->index == r) {
                free(c->name);
                c->name = xstrdup(to);
            }
        }
        rel_rename(s, r, r->schema, to);
        return;
    }
    case PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER:
    case PG_QUERY__OBJECT_TYPE__OBJECT_RULE:
    case PG_QUERY__OBJECT_TYPE__OBJECT_POLICY: {
        SchemaRel *r = find_rv(s, rs->relation);
        const char *kind = table_object_kind(rs->rename_type);
        if (!r || !schema_table_object(r, kind, nz(rs->subname))) return;
        table_object_drop(r, kind, rs->subname);
        table_object_add(r, kind, to);
        return;
    }
    case PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN: {
        SchemaRel *r = find_rv(s, rs->relation);
        if (!r || !nz(rs->subname)) return;
        SchemaRel **v;
        size_t n = with_children(r, rs->relation->inh, &v);
        for (size_t i = 0; i < n; i++)
            column_rename(v[i], rs->subname, to);
        free(v);
        return;
    }
    case PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT: {
        SchemaRel *r = find_rv(s, rs->relation);
        SchemaConstraint *c = constraint_get(r, nz(rs->subname));
        if (!c || constraint_get(r, to)) return;
        if (c->index) {
            if (map_find(s, c->index->schema, to)) return;
            rel_rename(s, c->index, c->index->schema, to);
        }
        free(c->name);
        c->name = xstrdup(to);
        return;
    }
    case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE:
    case PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN: {
        if (!rs->object || rs->object->node_case != PG_QUERY__NODE__NODE_LIST) return;
        const char *schema, *name;
        split_names(rs->object->list->items, rs->object->list->n_items, &schema, &name);
        SchemaType *t = type_find(s, schema, name);
        if (!t || type_find(s, t->schema, to)) return;
        SchemaRel **all;
        size_t n = all_rels(s, &all);
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < all[i]->ncols; k++) {
                SchemaColumn *c = &all[i]->cols[k];
                if (str_eq(c->type, t->name) &&
                    (!c->type_schema || str_eq(c->type_schema, t->schema))) {
                    free(c->type);
                    c->type = xstrdup(to);
                }
            }
        free(all);
        if (t->kind == SCHEMA_TYPE_COMPOSITE) {
            SchemaRel *r = map_find(s, t->schema, t->name);
            if (r) rel_rename(s, r, r->schema, to);
        }
        free(t->name);
        t->name = xstrdup(to);
        return;
    }
    case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA: {
        const char *from = nz(rs->subname);
        if (!from || !schema_exists(s, from) || schema_exists(s, to)) return;
        for (size_t i = 0; i < s->nschemas; i++)
            if (str_eq(s->schemas[i], from)) {
                free(s->schemas[i]);
                s->schemas[i] = xstrdup(to);
            }
        SchemaRel **all;
        size_t n = all_rels(s, &all);
        for (size_t i = 0; i < n; i++)
            if (str_eq(all[i]->schema, from)) rel_rename(s, all[i], to, all[i]->name);
        free(all);
        for (size_t i = 0; i < s->ntypes; i++)
            if (str_eq(s->types[i].schema, from)) {
                free(s->types[i].schema);
                s->types[i].schema = xstrdup(to);
            }
        return;
    }
    default:
        return;
    }
}

static void set_schema(Schema *s, const PgQuery__AlterObjectSchemaStmt *as)
{
    const char *to = nz(as->newschema);
    if (!to || !schema_exists(s, to)) return;
    if (as->relation) {
        SchemaRel *r = find_rv(s, as->relation);
        if (!r || map_find(s, to, r->name)) return;
        for (size_t i = 0; i < r->nindexes; i++)
            rel_rename(s, r->indexes[i], to, r->indexes[i]->name);
        for (size_t i = 0; i < r->nseqs; i++)
            rel_rename(s, r->seqs[i], to, r->seqs[i]->name);
        rel_rename(s, r, to, r->name);
        return;
    }
    if ((as->object_type == PG_QUERY__OBJECT_TYPE__OBJECT_TYPE ||
         as->object_type == PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN) &&
        as->object && as->object->node_case == PG_QUERY__NODE__NODE_LIST) {
        const char *schema, *name;
        split_names(as->object->list->items, as->object->list->n_items, &schema, &name);
        SchemaType *t = type_find(s, schema, name);
        if (!t || type_find(s, to, t->name)) return;
        if (t->kind == SCHEMA_TYPE_COMPOSITE) {
            SchemaRel *r = map_find(s, t->schema, t->name);
            if (r) rel_rename(s, r, to, r->name);
        }
        free(t->schema);
        t->schema = xstrdup(to);
    }
}

static void drop_schema(Schema *s, const char *name, bool cascade)
{
    if (!schema_exists(s, name) || str_eq(name, "pg_catalog")) return;
    SchemaRel **all;
    size_t n = all_rels(s, &all);
    bool empty = true;
    for (size_t i = 0; i < n; i++)
        if (str_eq(all[i]->schema, name)) {
            empty = false;
            if (cascade) mark(s, all[i]);
        }
    free(all);
    for (size_t i = 0; i < s->ntypes; i++)
        if (str_eq(s->types[i].schema, name)) empty = false;
    if (!empty && !cascade) return;
    drop_marked(s, true);
    for (size_t i = s->ntypes; i-- > 0;)
        if (str_eq(s->types[i].schema, name)) type_drop(s, &s->types[i], true);
    for (size_t i = 0; i < s->nschemas; i++)
        if (str_eq(s->schemas[i], name)) {
            free(s->schemas[i]);
            s->schemas[i] = s->schemas[--s->nschemas];
            break;
        }
}

static bool drop_kind_matches(PgQuery__ObjectType ot, const SchemaRel *r)
{
    switch (ot) {
    case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
        return r->kind == SCHEMA_REL_TABLE || r->kind == SCHEMA_REL_PARTITIONED;
    case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE:
        return r->kind == SCHEMA_REL_FOREIGN;
    case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
        return r->kind == SCHEMA_REL_INDEX;
    case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
        return r->kind == SCHEMA_REL_SEQUENCE;
    case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
        return r->kind == SCHEMA_REL_VIEW;
    case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
        return r->kind == SCHEMA_REL_MATVIEW;
    default:
        return false;
    }
}

/* DROP TRIGGER | RULE | POLICY name ON table: objects are [schema, table, name]. */
static void drop_table_objects(Schema *s, const PgQuery__DropStmt *ds, const char *kind)
{
    for (size_t i = 0; i < ds->n_objects; i++) {
        const Node *o = ds->objects[i];
        if (!o || o->node_case != PG_QUERY__NODE__NODE_LIST || o->list->n_items < 2) continue;
        const char *schema, *table;
        split_names(o->list->items, o->list->n_items - 1, &schema, &table);
        table_object_drop(find(s, schema, table), kind,
                          node_str(o->list->items[o->list->n_items - 1]));
    }
}

static void drop_stmt(Schema *s, const PgQuery__DropStmt *ds)
{
    bool cascade = ds->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE;
    PgQuery__ObjectType ot = ds->remove_type;
    if (table_object_kind(ot)) {
        drop_table_objects(s, ds, table_object_kind(ot));
        return;
    }
    if (ot == PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA) {
        for (size_t i = 0; i < ds->n_objects; i++)
            if (node_str(ds->objects[i])) drop_schema(s, node_str(ds->objects[i]), cascade);
        return;
    }
    if (ot == PG_QUERY__OBJECT_TYPE__OBJECT_TYPE || ot == PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN) {
        for (size_t i = 0; i < ds->n_objects; i++) {
            const Node *o = ds->objects[i];
            if (!o || o->node_case != PG_QUERY__NODE__NODE_TYPE_NAME) continue;
            const char *schema, *name;
            split_names(o->type_name->names, o->type_name->n_names, &schema, &name);
            SchemaType *t = type_find(s, schema, name);
            if (t) type_drop(s, t, cascade);
        }
        return;
    }
    bool any = false;
    for (size_t i = 0; i < ds->n_objects; i++) {
        const Node *o = ds->objects[i];
        if (!o || o->node_case != PG_QUERY__NODE__NODE_LIST) continue;
        const char *schema, *name;
        split_names(o->list->items, o->list->n_items, &schema, &name);
        SchemaRel *r = find(s, schema, name);
        if (!r || !drop_kind_matches(ot, r)) continue;
        if (r->kind == SCHEMA_REL_INDEX && r->table) { /* a constraint's index: refused */
            SchemaConstraint *c = constraint_get(r->table, r->name);
            if (c && c->index == r) continue;
        }
        if (r->kind == SCHEMA_REL_SEQUENCE && r->identity) continue;
        mark(s, r);
        any = true;
    }
    if (any) drop_marked(s, cascade);
}

/* ---- the statements ------------------------------------------------------------------ */

/* ---- statements: rows ------------------------------------------------------------ */

/* Rows written to r: a partitioned table routes them by bounds the model
 * does not keep, so any of its partitions may get them. */
static void rows_fill(SchemaRel *r)
{
    if (!r) return;
    if (r->kind == SCHEMA_REL_PARTITIONED) {
        for (size_t i = 0; i < r->nchildren; i++)
            rows_fill(r->children[i]);
        return;
    }
    r->rows = true;
}

static void rows_clear(SchemaRel *r, bool inh)
{
    r->rows = false;
    for (size_t i = 0; inh && i < r->nchildren; i++)
        rows_clear(r->children[i], true);
}

static bool has_rows(const SchemaRel *r, bool inh, int depth)
{
    if (!r || depth > 16) return true;
    if (r->kind == SCHEMA_REL_SEQUENCE || r->kind == SCHEMA_REL_FOREIGN) return true;
    if (r->kind == SCHEMA_REL_VIEW) {
        for (size_t i = 0; i < r->ndeps; i++)
            if (!has_rows(r->deps[i], true, depth + 1)) return false;
        return true;
    }
    if (r->rows) return true;
    for (size_t i = 0; inh && i < r->nchildren; i++)
        if (has_rows(r->children[i], true, depth + 1)) return true;
    return false;
}

bool schema_has_rows(const SchemaRel *r, bool inh)
{
    return has_rows(r, inh, 0);
}

/* The WITH clauses in scope of a query, innermost first. */
typedef struct RowsScope {
    const PgQuery__WithClause *with;
    const struct RowsScope *up;
} RowsScope;

static bool select_rows(const Schema *s, const PgQuery__SelectStmt *sel, const RowsScope *up,
                        int depth);

static bool from_rows(const Schema *s, const Node *n, const RowsScope *sc, int depth)
{
    if (!n || depth > 16) return true;
    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_RANGE_VAR: {
        const PgQuery__RangeVar *rv = n->range_var;
        for (const RowsScope *w = nz(rv->schemaname) ? NULL : sc; w; w = w->up)
            for (size_t i = 0; w->with && i < w->with->n_ctes; i++) {
                const Node *e = w->with->ctes[i];
                if (e->node_case != PG_QUERY__NODE__NODE_COMMON_TABLE_EXPR ||
                    !str_eq(e->common_table_expr->ctename, rv->relname))
                    continue;
                const Node *q = e->common_table_expr->ctequery;
                return !q || q->node_case != PG_QUERY__NODE__NODE_SELECT_STMT ||
                       select_rows(s, q->select_stmt, w, depth + 1);
            }
        return has_rows(find_rv(s, rv), rv->inh, 0);
    }
    case PG_QUERY__NODE__NODE_JOIN_EXPR: {
        const PgQuery__JoinExpr *j = n->join_expr;
        bool l = from_rows(s, j->larg, sc, depth + 1), r = from_rows(s, j->rarg, sc, depth + 1);
        switch (j->jointype) {
        case PG_QUERY__JOIN_TYPE__JOIN_LEFT:
            return l;
        case PG_QUERY__JOIN_TYPE__JOIN_RIGHT:
            return r;
        case PG_QUERY__JOIN_TYPE__JOIN_FULL:
            return l || r;
        default:
            return l && r;
        }
    }
    case PG_QUERY__NODE__NODE_RANGE_SUBSELECT: {
        const Node *q = n->range_subselect->subquery;
        return !q || q->node_case != PG_QUERY__NODE__NODE_SELECT_STMT ||
               select_rows(s, q->select_stmt, sc, depth + 1);
    }
    default:
        return true; /* a function, a table sample, ...: taken to make rows */
    }
}

static bool select_rows(const Schema *s, const PgQuery__SelectStmt *sel, const RowsScope *up,
                        int depth)
{
    if (!sel || depth > 16) return true;
    RowsScope sc = {sel->with_clause, up};
    if (sel->n_values_lists) return true;
    switch (sel->op) {
    case PG_QUERY__SET_OPERATION__SETOP_UNION:
        return select_rows(s, sel->larg, &sc, depth + 1) ||
               select_rows(s, sel->rarg, &sc, depth + 1);
    case PG_QUERY__SET_OPERATION__SETOP_INTERSECT:
        return select_rows(s, sel->larg, &sc, depth + 1) &&
               select_rows(s, sel->rarg, &sc, depth + 1);
    case PG_QUERY__SET_OPERATION__SETOP_EXCEPT:
        return select_rows(s, sel->larg, &sc, depth + 1);
    default:
        break;
    }
    for (size_t i = 0; i < sel->n_from_clause; i++)
        if (!from_rows(s, sel->from_clause[i], &sc, depth + 1)) return false;
    return true;
}

bool schema_select_rows(const Schema *s, const struct PgQuery__SelectStmt *sel)
{
    return select_rows(s, sel, NULL, 0);
}

static bool query_rows(const Schema *s, const Node *q)
{
    return !q || q->node_case != PG_QUERY__NODE__NODE_SELECT_STMT ||
           select_rows(s, q->select_stmt, NULL, 0);
}

static void insert_stmt(Schema *s, const PgQuery__InsertStmt *st)
{
    SchemaRel *r = find_rv(s, st->relation);
    if (is_table(r) && query_rows(s, st->select_stmt)) rows_fill(r); /* no query: DEFAULT VALUES */
}

static void delete_stmt(Schema *s, const PgQuery__DeleteStmt *st)
{
    SchemaRel *r = find_rv(s, st->relation);
    if (is_table(r) && !st->where_clause && !st->n_using_clause) rows_clear(r, st->relation->inh);
}

/* TRUNCATE ... CASCADE empties the tables referencing one it empties. */
static void truncate_rel(SchemaRel *r, bool inh, bool cascade, int depth)
{
    if (!is_table(r) || depth > 16) return;
    rows_clear(r, inh);
    for (size_t i = 0; cascade && i < r->nrefby; i++)
        if (r->refby[i] != r && has_rows(r->refby[i], true, 0))
            truncate_rel(r->refby[i], true, true, depth + 1);
}

static void truncate_stmt(Schema *s, const PgQuery__TruncateStmt *st)
{
    bool cascade = st->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE;
    for (size_t i = 0; i < st->n_relations; i++)
        if (st->relations[i]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
            truncate_rel(find_rv(s, st->relations[i]->range_var), st->relations[i]->range_var->inh,
                         cascade, 0);
}

/* CREATE TABLE AS and SELECT INTO: the rows of their query, none WITH NO DATA. */
static void created_rows(Schema *s, const PgQuery__IntoClause *into, const Node *query,
                         const PgQuery__SelectStmt *sel)
{
    SchemaRel *r = into && into->rel ? find_rv(s, into->rel) : NULL;
    if (!r || into->skip_data) return;
    r->rows = sel ? select_rows(s, sel, NULL, 0) : query_rows(s, query);
}

static void apply_node(Schema *s, const Node *n);

static void create_schema(Schema *s, const PgQuery__CreateSchemaStmt *cs)
{
    const char *name = nz(cs->schemaname);
    if (!name && cs->authrole) name = nz(cs->authrole->rolename);
    if (!name) return;
    if (!schema_exists(s, name)) strs_push(&s->schemas, &s->nschemas, name);
    const char *saved = s->elt_schema;
    s->elt_schema = name;
    for (size_t i = 0; i < cs->n_schema_elts; i++)
        apply_node(s, cs->schema_elts[i]);
    s->elt_schema = saved;
}

/* SET TimeZone (SET TIME ZONE): the zone's name; a number of hours as "UTC"
 * when 0, else as written; DEFAULT, RESET: not set. */
static void set_timezone(Schema *s, const PgQuery__VariableSetStmt *vs)
{
    free(s->timezone);
    s->timezone = NULL;
    if (vs->kind != PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE || vs->n_args != 1) return;
    const Node *a = vs->args[0];
    const char *v = aconst_str(a);
    if (v)
        s->timezone = xstrdup(v);
    else if (a && a->node_case == PG_QUERY__NODE__NODE_A_CONST && aconst_int(a, -1) == 0 &&
             a->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL)
        s->timezone = xstrdup("UTC");
    else
        s->timezone = xstrdup("an offset"); /* a number or an interval */
}

static void variable_set(Schema *s, const PgQuery__VariableSetStmt *vs)
{
    if (str_eq(vs->name, "timezone")) {
        set_timezone(s, vs);
        return;
    }
    if (str_eq(vs->name, "default_table_access_method")) {
        free(s->default_am);
        s->default_am = NULL;
        const char *v = vs->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE && vs->n_args == 1
                            ? aconst_str(vs->args[0])
                            : NULL;
        if (v) s->default_am = xstrdup(v);
        return;
    }
    if (!str_eq(vs->name, "search_path")) return;
    if (vs->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE) {
        StrList l = {0};
        for (size_t i = 0; i < vs->n_args; i++) {
            const char *v = aconst_str(vs->args[i]);
            if (v) {
                l.v = xrealloc(l.v, (l.n + 1) * sizeof(*l.v));
                l.v[l.n++] = (char *)v;
            }
        }
        set_path(s, l.v, l.n);
        free(l.v);
    } else if (vs->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_SET_DEFAULT ||
               vs->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_RESET) {
        set_path_string(s, "\"$user\", public");
    }
}

/* SELECT pg_catalog.set_config('search_path', '...', ...) as pg_dump writes it. */
static void select_set_config(Schema *s, const PgQuery__SelectStmt *ss)
{
    for (size_t i = 0; i < ss->n_target_list; i++) {
        const Node *t = ss->target_list[i];
        if (!t || t->node_case != PG_QUERY__NODE__NODE_RES_TARGET || !t->res_target->val ||
            t->res_target->val->node_case != PG_QUERY__NODE__NODE_FUNC_CALL)
            continue;
        const PgQuery__FuncCall *f = t->res_target->val->func_call;
        if (!f->n_funcname || !str_eq(node_str(f->funcname[f->n_funcname - 1]), "set_config") ||
            f->n_args < 2 || !str_eq(aconst_str(f->args[0]), "search_path"))
            continue;
        const char *v = aconst_str(f->args[1]);
        if (v) set_path_string(s, v);
    }
}

static void apply_node(Schema *s, const Node *n)
{
    if (!n) return;
    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_CREATE_STMT:
        create_table(s, n->create_stmt, false);
        return;
    case PG_QUERY__NODE__NODE_CREATE_FOREIGN_TABLE_STMT:
        if (n->create_foreign_table_stmt->base_stmt)
            create_table(s, n->create_foreign_table_stmt->base_stmt, true);
        return;
    case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
        create_table_as(s, n->create_table_as_stmt->into, n->create_table_as_stmt->query,
                        n->create_table_as_stmt->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW);
        created_rows(s, n->create_table_as_stmt->into, n->create_table_as_stmt->query, NULL);
        return;
    case PG_QUERY__NODE__NODE_SELECT_STMT:
        if (n->select_stmt->into_clause) {
            create_table_as(s, n->select_stmt->into_clause, NULL, false);
            created_rows(s, n->select_stmt->into_clause, NULL, n->select_stmt);
        } else
            select_set_config(s, n->select_stmt);
        return;
    case PG_QUERY__NODE__NODE_INSERT_STMT:
        insert_stmt(s, n->insert_stmt);
        return;
    case PG_QUERY__NODE__NODE_DELETE_STMT:
        delete_stmt(s, n->delete_stmt);
        return;
    case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
        truncate_stmt(s, n->truncate_stmt);
        return;
    case PG_QUERY__NODE__NODE_COPY_STMT:
        if (n->copy_stmt->is_from) rows_fill(find_rv(s, n->copy_stmt->relation));
        return;
    case PG_QUERY__NODE__NODE_INDEX_STMT:
        create_index(s, n->index_stmt);
        return;
    case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
        create_sequence(s, n->create_seq_stmt);
        return;
    case PG_QUERY__NODE__NODE_ALTER_SEQ_STMT:
        alter_sequence(s, n->alter_seq_stmt);
        return;
    case PG_QUERY__NODE__NODE_VIEW_STMT:
        create_view(s, n->view_stmt);
        return;
    case PG_QUERY__NODE__NODE_CREATE_ENUM_STMT:
        type_new(s, n->create_enum_stmt->type_name, n->create_enum_stmt->n_type_name,
                 SCHEMA_TYPE_ENUM);
        return;
    case PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT:
        create_composite(s, n->composite_type_stmt);
        return;
    case PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT:
        create_function(s, n->create_function_stmt);
        return;
    case PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT: {
        const PgQuery__CreateDomainStmt *d = n->create_domain_stmt;
        SchemaType *t = type_new(s, d->domainname, d->n_domainname, SCHEMA_TYPE_DOMAIN);
        if (t && d->type_name) {
            column_set_type(&t->basecol, d->type_name);
            t->base = t->basecol.type ? xstrdup(t->basecol.type) : NULL;
        }
        for (size_t i = 0; t && i < d->n_constraints; i++)
            domain_constraint(t, d->constraints[i], true);
        return;
    }
    case PG_QUERY__NODE__NODE_ALTER_DOMAIN_STMT: {
        const PgQuery__AlterDomainStmt *ad = n->alter_domain_stmt;
        const char *schema, *name;
        split_names(ad->type_name, ad->n_type_name, &schema, &name);
        SchemaType *t = type_find(s, schema, name);
        if (t && t->kind == SCHEMA_TYPE_DOMAIN) alter_domain(t, ad);
        return;
    }
    case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
        alter_table(s, n->alter_table_stmt);
        return;
    case PG_QUERY__NODE__NODE_RENAME_STMT:
        rename_stmt(s, n->rename_stmt);
        return;
    case PG_QUERY__NODE__NODE_ALTER_OBJECT_SCHEMA_STMT:
        set_schema(s, n->alter_object_schema_stmt);
        return;
    case PG_QUERY__NODE__NODE_DROP_STMT:
        drop_stmt(s, n->drop_stmt);
        return;
    case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT:
        table_object_add(find_rv(s, n->create_trig_stmt->relation), "trigger",
                         n->create_trig_stmt->trigname);
        return;
    case PG_QUERY__NODE__NODE_RULE_STMT:
        table_object_add(find_rv(s, n->rule_stmt->relation), "rule", n->rule_stmt->rulename);
        return;
    case PG_QUERY__NODE__NODE_CREATE_POLICY_STMT:
        table_object_add(find_rv(s, n->create_policy_stmt->table), "policy",
                         n->create_policy_stmt->policy_name);
        return;
    case PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT:
        create_schema(s, n->create_schema_stmt);
        return;
    case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
        variable_set(s, n->variable_set_stmt);
        return;
    default:
        return; /* DO, functions, grants, UPDATE, ...: nothing the model holds */
    }
}

/* Parses sql and applies it; on a parse error returns false with *msg and
 * *cursor (1-based offset into sql, 0 when unknown) set (free *msg). */
static bool apply_text(Schema *s, const char *sql, char **msg, int *cursor)
{
    const char *error;
    const PgQuery__ParseResult *pr = pgtree_parse(sql, &error, cursor);
    if (!pr) {
        if (msg) *msg = xstrdup(error);
        return false;
    }
    for (size_t i = 0; i < pr->n_stmts; i++)
        if (pr->stmts[i]) apply_node(s, pr->stmts[i]->stmt);
    return true;
}

void schema_apply(Schema *s, const char *sql)
{
    if (s && sql) apply_text(s, sql, NULL, NULL);
}

/* ---- dump files ------------------------------------------------------------------------ */

static size_t line_end(const char *t, size_t len, size_t i)
{
    while (i < len && t[i] != '\n')
        i++;
    return i;
}

/* Whether the statement that starts at line i (and runs to the first line
 * ending in ';') is COPY ... FROM stdin, by the parser; *stmt_end gets the
 * offset after that line. */
static bool copy_from_stdin(const char *t, size_t len, size_t i, size_t *stmt_end)
{
    size_t p = i;
    while (p < len && (t[p] == ' ' || t[p] == '\t'))
        p++;
    if (len - p < 5 || strncasecmp(t + p, "copy", 4) != 0 || isalnum((unsigned char)t[p + 4]))
        return false;
    size_t e = i;
    for (;;) {
        size_t le = line_end(t, len, e);
        size_t k = le;
        while (k > e && (t[k - 1] == ' ' || t[k - 1] == '\t' || t[k - 1] == '\r'))
            k--;
        if (k > e && t[k - 1] == ';') {
            e = le;
            break;
        }
        if (le >= len) return false;
        e = le + 1;
    }
    char *sql = xstrndup(t + i, e - i);
    PgQueryProtobufParseResult r = pg_query_parse_protobuf(sql);
    bool yes = false;
    if (!r.error) {
        PgQuery__ParseResult *pr = pg_query__parse_result__unpack(
            NULL, r.parse_tree.len, (const uint8_t *)r.parse_tree.data);
        if (pr && pr->n_stmts == 1 && pr->stmts[0]->stmt &&
            pr->stmts[0]->stmt->node_case == PG_QUERY__NODE__NODE_COPY_STMT) {
            const PgQuery__CopyStmt *c = pr->stmts[0]->stmt->copy_stmt;
            yes = c->is_from && !nz(c->filename) && !c->is_program;
        }
        if (pr) pg_query__parse_result__free_unpacked(pr, NULL);
    }
    pg_query_free_protobuf_parse_result(r);
    free(sql);
    *stmt_end = e < len ? e + 1 : len;
    return yes;
}

/* Blanks psql meta-command lines and COPY FROM stdin data (to its "\." line)
 * with spaces, so that offsets and line numbers stay put. */
static void blank_non_sql(char *t, size_t len)
{
    for (size_t i = 0; i < len;) {
        size_t le = line_end(t, len, i);
        size_t after;
        if (t[i] == '\\') {
            memset(t + i, ' ', le - i);
        } else if (copy_from_stdin(t, len, i, &after)) {
            size_t d = after, stop = len;
            while (d < len) { /* the data's end: a line "\." */
                size_t dle = line_end(t, len, d);
                if (dle - d >= 2 && t[d] == '\\' && t[d + 1] == '.') {
                    stop = dle;
                    break;
                }
                d = dle + 1;
            }
            if (stop < len || d >= len) {
                for (size_t k = after; k < stop && k < len; k++)
                    if (t[k] != '\n') t[k] = ' ';
                le = stop;
            }
        }
        i = le + 1;
    }
}

static int line_at(const char *t, size_t off, size_t *from_off, int from_line)
{
    int line = from_line;
    for (size_t i = *from_off; i < off; i++)
        if (t[i] == '\n') line++;
    *from_off = off;
    return line;
}

/* A warning "<file>:<line>: msg" at offset off of the dump text. */
static void dump_warn(Schema *s, const char *base, const char *text, size_t off, size_t *at,
                      int *line, const char *msg)
{
    *line = line_at(text, off, at, *line);
    char *w = xasprintf("%s:%d: %s", base, *line, msg);
    *ARRAY_PUSH(s->warnings, s->nwarnings, s->capwarnings) = w;
}

/* The offset of the first ';' token of t (len bytes, NUL-terminated), by the
 * scanner (comments and quoted text skipped); len when none. *first: the
 * offset of the first token that is not a comment (0 when none). */
static size_t first_semicolon(const char *t, size_t len, size_t *first)
{
    *first = 0;
    bool seen = false;
    PgQueryScanResult r = pg_query_scan(t);
    size_t at = len;
    PgQuery__ScanResult *sr =
        r.error ? NULL
                : pg_query__scan_result__unpack(NULL, r.pbuf.len, (const uint8_t *)r.pbuf.data);
    for (size_t i = 0; sr && i < sr->n_tokens; i++) {
        PgQuery__Token tk = sr->tokens[i]->token;
        if (!seen && tk != PG_QUERY__TOKEN__SQL_COMMENT && tk != PG_QUERY__TOKEN__C_COMMENT) {
            *first = (size_t)sr->tokens[i]->start;
            seen = true;
        }
        if (tk == PG_QUERY__TOKEN__ASCII_59) {
            at = (size_t)sr->tokens[i]->start;
            break;
        }
    }
    if (sr) pg_query__scan_result__free_unpacked(sr, NULL);
    pg_query_free_scan_result(r);
    return at < len ? at : len;
}

/* Applies text[from..len) statement by statement, warning for each that does
 * not parse. The scanner's split stops silently at what it cannot scan (an
 * unbalanced parenthesis): from there the piece up to the next ';' is taken
 * as one bad statement, and the split goes on after it. */
static void load_statements(Schema *s, const char *base, const char *text, size_t len)
{
    size_t at = 0, from = 0;
    int line = 1;
    while (from < len) {
        while (from < len && isspace((unsigned char)text[from]))
            from++;
        if (from >= len) break;
        PgQuerySplitResult sr = pg_query_split_with_scanner(text + from);
        size_t next = from;
        for (int i = 0; !sr.error && i < sr.n_stmts; i++) {
            size_t loc = from + (size_t)sr.stmts[i]->stmt_location;
            size_t n = (size_t)sr.stmts[i]->stmt_len;
            if (n == 0) n = len - loc; /* the last statement, without its ';' */
            char *sql = xstrndup(text + loc, n);
            char *msg = NULL;
            int cursor = 0;
            if (!apply_text(s, sql, &msg, &cursor)) {
                size_t off = loc + (cursor > 0 ? (size_t)cursor - 1 : 0);
                while (off == loc && off < len && isspace((unsigned char)text[off]))
                    loc = ++off; /* the statement's first token */
                dump_warn(s, base, text, off, &at, &line, msg);
                free(msg);
            }
            free(sql);
            next = loc + n;
            while (next < len && text[next] != ';' && isspace((unsigned char)text[next]))
                next++;
            if (next < len && text[next] == ';') next++;
        }
        size_t rest = next;
        while (rest < len && isspace((unsigned char)text[rest]))
            rest++;
        if (rest < len && (sr.error || rest == from || next > from)) {
            /* what the split did not reach: one bad statement up to the next ';' */
            size_t first;
            size_t end = rest + first_semicolon(text + rest, len - rest, &first);
            bool semi = end < len;
            char *sql = xstrndup(text + rest, end - rest);
            char *msg = NULL;
            if (!apply_text(s, sql, &msg, NULL)) {
                dump_warn(s, base, text, rest + (first < end - rest ? first : 0), &at, &line,
                          sr.error ? sr.error->message
                          : msg    ? msg
                                   : "cannot be read");
                free(msg);
            }
            free(sql);
            next = semi ? end + 1 : len;
        }
        pg_query_free_split_result(sr);
        if (next <= from) break; /* no progress: nothing more to read */
        from = next;
    }
}

int schema_load_dump(Schema *s, const char *path, Err *err)
{
    char *text;
    size_t len;
    if (file_read_all(path, &text, &len, err) != 0) return -1;
    blank_non_sql(text, len);
    if (!apply_text(s, text, NULL, NULL)) /* one bad statement: each on its own */
        load_statements(s, strrchr(path, '/') ? strrchr(path, '/') + 1 : path, text, len);
    free(text);
    /* a dump's tables are production tables: they have rows */
    SchemaRel **v;
    size_t n = all_rels(s, &v);
    for (size_t i = 0; i < n; i++)
        if (v[i]->kind == SCHEMA_REL_TABLE || v[i]->kind == SCHEMA_REL_MATVIEW) v[i]->rows = true;
    free(v);
    return 0;
}

size_t schema_nwarnings(const Schema *s)
{
    return s ? s->nwarnings : 0;
}

const char *schema_warning(const Schema *s, size_t i)
{
    return s && i < s->nwarnings ? s->warnings[i] : NULL;
}

/* ---- the model ------------------------------------------------------------------------ */

Schema *schema_new(void)
{
    Schema *s = xcalloc(1, sizeof(*s));
    s->nbuckets = 64;
    s->buckets = xcalloc(s->nbuckets, sizeof(*s->buckets));
    strs_push(&s->schemas, &s->nschemas, "pg_catalog");
    strs_push(&s->schemas, &s->nschemas, "public");
    strs_push(&s->schemas, &s->nschemas, "pg_temp");
    set_path_string(s, "\"$user\", public");
    return s;
}

bool schema_toast_after(const Schema *s, const SchemaRel *r, const char *sql)
{
    const PgQuery__ParseResult *pr = sql ? pgtree_parse(sql, NULL, NULL) : NULL;
    const Node *n = pr && pr->n_stmts == 1 ? pr->stmts[0]->stmt : NULL;
    if (!r || !n || n->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT) return r && r->has_toast;
    /* r's columns as the statement leaves them: shallow copies, but for the
     * ones it retypes or adds */
    SchemaRel after = {.kind = r->kind, .ncols = r->ncols};
    after.cols = xcalloc(r->ncols + n->alter_table_stmt->n_cmds + 1, sizeof(SchemaColumn));
    bool *own = xcalloc(r->ncols + n->alter_table_stmt->n_cmds + 1, sizeof(bool));
    memcpy(after.cols, r->cols, r->ncols * sizeof(SchemaColumn));
    for (size_t i = 0; i < n->alter_table_stmt->n_cmds; i++) {
        const Node *c = n->alter_table_stmt->cmds[i];
        if (!c || c->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD) continue;
        const PgQuery__AlterTableCmd *cmd = c->alter_table_cmd;
        const PgQuery__ColumnDef *cd =
            cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF
                ? cmd->def->column_def
                : NULL;
        if (!cd || !cd->type_name) continue;
        size_t k = after.ncols;
        if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType) {
            for (k = 0; k < after.ncols && !str_eq(after.cols[k].name, cmd->name); k++)
                ;
            if (k == after.ncols) continue;
        } else if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn &&
                   cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumnRecurse) {
            continue;
        }
        if (own[k]) column_clear(&after.cols[k]);
        after.cols[k] =
            (SchemaColumn){.name = xstrdup(k < r->ncols ? r->cols[k].name : cd->colname)};
        column_set_type(&after.cols[k], cd->type_name);
        own[k] = true;
        if (k == after.ncols) after.ncols++;
    }
    bool toast = needs_toast(s, &after);
    for (size_t k = 0; k < after.ncols; k++)
        if (own[k]) column_clear(&after.cols[k]);
    free(own);
    free(after.cols);
    return toast;
}

void schema_end_session(Schema *s)
{
    if (!s) return;
    set_path_string(s, "\"$user\", public");
    free(s->timezone);
    s->timezone = NULL;
    free(s->default_am);
    s->default_am = NULL;
}

void schema_free(Schema *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->nbuckets; i++)
        for (Entry *e = s->buckets[i], *next; e; e = next) {
            next = e->next;
            rel_free(e->rel);
            free(e);
        }
    free(s->buckets);
    for (size_t i = 0; i < s->ntypes; i++) {
        free(s->types[i].schema);
        free(s->types[i].name);
        free(s->types[i].base);
        column_clear(&s->types[i].basecol);
    }
    free(s->types);
    strs_free(s->schemas, s->nschemas);
    strs_free(s->path, s->npath);
    free(s->timezone);
    free(s->default_am);
    for (size_t i = 0; i < s->nfuncs; i++) {
        free(s->funcs[i].schema);
        free(s->funcs[i].name);
    }
    free(s->funcs);
    strs_free(s->warnings, s->nwarnings);
    free(s->marked);
    free(s);
}

const SchemaRel *schema_rel(const Schema *s, const char *schema, const char *name)
{
    return s ? find(s, schema, name) : NULL;
}

const SchemaType *schema_type(const Schema *s, const char *schema, const char *name)
{
    if (!s || !name) return NULL;
    if (nz(schema)) return type_find(s, schema, name);
    for (size_t i = 0; i < s->npath; i++) {
        const SchemaType *t = type_find(s, s->path[i], name);
        if (t) return t;
    }
    return NULL;
}

const SchemaColumn *schema_column(const SchemaRel *r, const char *name)
{
    return column_get((SchemaRel *)r, name);
}

const SchemaConstraint *schema_constraint(const SchemaRel *r, const char *name)
{
    return constraint_get((SchemaRel *)r, name);
}

const SchemaRel *schema_default_partition(const SchemaRel *r)
{
    for (size_t i = 0; r && i < r->nchildren; i++)
        if (r->children[i]->is_partition && r->children[i]->is_default) return r->children[i];
    return NULL;
}

size_t schema_partitions(const SchemaRel *r, const SchemaRel ***out)
{
    SchemaRel **v = NULL;
    size_t n = 0, cap = 0;
    if (r)
        for (size_t i = 0; i < r->nchildren; i++)
            if (r->children[i]->is_partition) ptrs_push(&v, &n, &cap, r->children[i]);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < v[i]->nchildren; k++)
            if (v[i]->children[k]->is_partition) ptrs_push(&v, &n, &cap, v[i]->children[k]);
    *out = (const SchemaRel **)v;
    return n;
}

size_t schema_referenced(const SchemaRel *r, const SchemaRel ***out)
{
    SchemaRel **v = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; r && i < r->ncons; i++)
        if (r->cons[i].kind == SCHEMA_CON_FOREIGN && r->cons[i].ref)
            ptrs_push(&v, &n, &cap, r->cons[i].ref);
    *out = (const SchemaRel **)v;
    return n;
}

size_t schema_referencing(const Schema *s, const SchemaRel *r, const SchemaRel ***out)
{
    (void)s;
    SchemaRel **v = NULL;
    size_t n = r ? ptrs_unique(r->refby, r->nrefby, &v) : 0;
    *out = (const SchemaRel **)v;
    return n;
}

size_t schema_dependent_views(const Schema *s, const SchemaRel *r, const SchemaRel ***out)
{
    (void)s;
    SchemaRel **v = NULL;
    size_t n = r ? ptrs_unique(r->viewers, r->nviewers, &v) : 0;
    *out = (const SchemaRel **)v;
    return n;
}

const char *schema_timezone(const Schema *s)
{
    return s ? s->timezone : NULL;
}

char schema_function_volatility(const Schema *s, const char *schema, const char *name, bool *sql)
{
    static const char order[] = "isv"; /* least volatile first */
    char v = 0;
    if (sql) *sql = false;
    for (size_t i = 0; s && name && i < s->nfuncs; i++) {
        const struct SchemaFunc *f = &s->funcs[i];
        if (!str_eq(f->name, name) || (schema && !str_eq(f->schema, schema))) continue;
        if (!v || strchr(order, f->volatility) > strchr(order, v)) v = f->volatility;
        if (sql && f->sql) *sql = true;
    }
    return v;
}

const char *schema_search_path(const Schema *s, size_t i)
{
    return s && i < s->npath ? s->path[i] : NULL;
}
