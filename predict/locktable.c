/*
 * locktable: the static lock table (see locktable.h), its file format,
 * predictions, verdicts and regeneration from observations.
 *
 * File format (TSV, one row per line, '#' lines are comments):
 *   class  first  last  mode  rewrite  scan  others  risk  note
 * mode: a PostgreSQL lock mode name, "-" for none; rewrite, scan: yes, no,
 * depends; others: "-" or role:Mode[,role:Mode] with role referenced or other;
 * risk: safe, low, medium, high, critical. A class has at most one row per
 * major.
 */
#include "predict/locktable.h"

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/json.h"
#include "common/tsv.h"
#include "predict/pgtree.h"
#include "model/versions.h"

/* ---- the built-in copy ------------------------------------------------- */

/* predict/locktable.tsv, assembled into the binary; NUL-terminated. */
TSV_EMBED(lm_locktable_tsv, "predict/locktable.tsv");

const char *locktable_builtin(size_t *len)
{
    *len = (size_t)(lm_locktable_tsv_end - lm_locktable_tsv_start);
    return lm_locktable_tsv_start;
}

/* ---- names ------------------------------------------------------------- */

static const char *const role_names[PREDICTION_NROLES] = {"referenced", "other"};
static const char *const columns[] = {"class", "first",  "last", "mode", "rewrite",
                                      "scan",  "others", "risk", "note"};
#define NCOLS ARRAY_LEN(columns)

int locktable_mode_rank(const char *name)
{
    if (!name) return -2;
    if (strcmp(name, "-") == 0) return -1;
    int r = lock_mode_rank(name);
    return r >= 0 ? r : -2;
}

const char *locktable_role_name(int role)
{
    return role >= 0 && role < PREDICTION_NROLES ? role_names[role] : "?";
}

static int role_index(const char *role)
{
    for (int i = 0; role && i < PREDICTION_NROLES; i++)
        if (strcmp(role, role_names[i]) == 0) return i;
    return -1;
}

/* ---- the table --------------------------------------------------------- */

static void row_free(LtRow *r)
{
    free(r->cls);
    free(r->note);
}

void locktable_free(LockTable *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->nrows; i++)
        row_free(&t->rows[i]);
    free(t->rows);
    free(t->header);
    free(t->source);
    free(t->index);
    free(t);
}

static const LockTable *sort_table; /* qsort has no context argument */

static int index_cmp(const void *a, const void *b)
{
    const LtRow *x = &sort_table->rows[*(const size_t *)a];
    const LtRow *y = &sort_table->rows[*(const size_t *)b];
    int c = strcmp(x->cls, y->cls);
    if (c) return c;
    return x->first - y->first;
}

static void build_index(LockTable *t)
{
    free(t->index);
    t->index = xmalloc((t->nrows + 1) * sizeof(size_t));
    for (size_t i = 0; i < t->nrows; i++)
        t->index[i] = i;
    sort_table = t;
    if (t->nrows > 1) qsort(t->index, t->nrows, sizeof(size_t), index_cmp);
    sort_table = NULL;
}

/* Position in t->index of the first row of cls, or t->nrows. */
static size_t index_first(const LockTable *t, const char *cls)
{
    size_t lo = 0, hi = t->nrows;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(t->rows[t->index[mid]].cls, cls) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const LtRow *locktable_lookup(const LockTable *t, const char *cls, int major)
{
    if (!t || !cls) return NULL;
    major = version_major(major); /* a minor release behaves as its major's row says */
    for (size_t k = index_first(t, cls); k < t->nrows; k++) {
        const LtRow *r = &t->rows[t->index[k]];
        if (strcmp(r->cls, cls) != 0) break;
        if (major >= r->first && major <= r->last) return r;
    }
    return NULL;
}

size_t locktable_nclasses(const LockTable *t)
{
    size_t n = 0;
    for (size_t k = 0; k < t->nrows; k++)
        if (k == 0 || strcmp(t->rows[t->index[k]].cls, t->rows[t->index[k - 1]].cls) != 0) n++;
    return n;
}

/* ---- parsing ----------------------------------------------------------- */

static int parse_int(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 0 || v > 99) return -1;
    *out = (int)v;
    return 0;
}

/* "referenced:ShareRowExclusiveLock,other:AccessShareLock" or "-". */
static int parse_others(char *s, int *others, const char **bad)
{
    for (int i = 0; i < PREDICTION_NROLES; i++)
        others[i] = -1;
    if (strcmp(s, "-") == 0) return 0;
    for (char *item = strtok(s, ","); item; item = strtok(NULL, ",")) {
        char *colon = strchr(item, ':');
        *bad = item;
        if (!colon) return -1;
        *colon = '\0';
        int role = role_index(item);
        int mode = locktable_mode_rank(colon + 1);
        *colon = ':';
        if (role < 0 || mode < 0) return -1;
        if (mode > others[role]) others[role] = mode;
    }
    return 0;
}

static int parse_row(char **f, LtRow *r, const char *name, int line, Err *err)
{
    int v;
    const char *bad = NULL;
#define FAIL(...) err_set(err, EXIT_USAGE, "\"%s\" line %d: " __VA_ARGS__)
    if (!*f[0]) return FAIL("empty class", name, line);
    r->cls = xstrdup(f[0]);
    r->line = line;
    if (parse_int(f[1], &r->first) < 0)
        return FAIL("invalid first version \"%s\"", name, line, f[1]);
    if (parse_int(f[2], &r->last) < 0) return FAIL("invalid last version \"%s\"", name, line, f[2]);
    if (r->last < r->first)
        return FAIL("last version %d before first version %d", name, line, r->last, r->first);
    if ((r->mode = locktable_mode_rank(f[3])) < -1)
        return FAIL("unknown lock mode \"%s\"", name, line, f[3]);
    if ((v = tri_parse(f[4])) < 0)
        return FAIL("invalid rewrite \"%s\" (yes, no, depends)", name, line, f[4]);
    r->rewrite = (Tri)v;
    if ((v = tri_parse(f[5])) < 0)
        return FAIL("invalid scan \"%s\" (yes, no, depends)", name, line, f[5]);
    r->scan = (Tri)v;
    if (parse_others(f[6], r->others, &bad) < 0)
        return FAIL("invalid other lock \"%s\" (role:Mode, role referenced or other)", name, line,
                    bad ? bad : f[6]);
    if ((v = risk_parse(f[7])) < 0)
        return FAIL("unknown risk \"%s\" (%s)", name, line, f[7], risk_names());
    r->risk = (Risk)v;
    r->note = xstrdup(f[8]);
#undef FAIL
    return 0;
}

int locktable_parse(const char *text, size_t len, const char *name, LockTable **out, Err *err)
{
    LockTable *t = xcalloc(1, sizeof(*t));
    t->source = xstrdup(name);
    Buf header;
    buf_init(&header);
    size_t cap = 0;
    bool have_columns = false;
    char *copy = xstrndup(text, len);
    *out = NULL;

    TsvReader rd;
    tsv_init(&rd, copy, len, true);
    char *f[NCOLS];
    int got;
    while ((got = tsv_next(&rd, f, (int)NCOLS)) > 0) {
        size_t nf = (size_t)got;
        int line = rd.line;
        if (f[0][0] == '#') {
            if (!have_columns) {
                buf_puts(&header, f[0]);
                buf_putc(&header, '\n');
            }
            continue;
        }
        if (!have_columns) {
            bool ok = nf == NCOLS;
            for (size_t i = 0; ok && i < NCOLS; i++)
                ok = strcmp(f[i], columns[i]) == 0;
            if (!ok) {
                err_set(err, EXIT_USAGE,
                        "\"%s\" line %d: expected the column names (class, first, last, mode, "
                        "rewrite, scan, others, risk, note, tab-separated)",
                        name, line);
                goto fail;
            }
            have_columns = true;
            continue;
        }
        if (nf != NCOLS) {
            err_set(err, EXIT_USAGE, "\"%s\" line %d: %zu fields, expected %zu (tab-separated)",
                    name, line, nf, NCOLS);
            goto fail;
        }
        LtRow *r = ARRAY_PUSH(t->rows, t->nrows, cap);
        memset(r, 0, sizeof(*r));
        if (parse_row(f, r, name, line, err) < 0) goto fail;
    }
    if (!have_columns) {
        err_set(err, EXIT_USAGE, "\"%s\": no column names line (a lock table starts with them)",
                name);
        goto fail;
    }
    build_index(t);
    /* one row per class and major */
    for (size_t k = 1; k < t->nrows; k++) {
        const LtRow *a = &t->rows[t->index[k - 1]], *b = &t->rows[t->index[k]];
        if (strcmp(a->cls, b->cls) == 0 && b->first <= a->last) {
            err_set(err, EXIT_USAGE, "\"%s\" line %d: \"%s\" %d-%d overlaps line %d (%d-%d)", name,
                    b->line, b->cls, b->first, b->last, a->line, a->first, a->last);
            goto fail;
        }
    }
    t->header = buf_steal(&header);
    free(copy);
    *out = t;
    return 0;
fail:
    buf_free(&header);
    free(copy);
    locktable_free(t);
    return -1;
}

int locktable_load(const char *path, LockTable **out, Err *err)
{
    if (!path) {
        size_t len;
        const char *text = locktable_builtin(&len);
        return locktable_parse(text, len, "built-in", out, err);
    }
    char *text;
    size_t len;
    if (file_read_all(path, &text, &len, err) < 0) return -1;
    int rc = locktable_parse(text, len, path, out, err);
    free(text);
    return rc;
}

/* ---- predictions ------------------------------------------------------- */

static Tri tri_or(Tri a, Tri b)
{
    if (a == TRI_YES || b == TRI_YES) return TRI_YES;
    if (a == TRI_DEPENDS || b == TRI_DEPENDS) return TRI_DEPENDS;
    return TRI_NO;
}

/* Adds row r to the prediction: the first row sets it, the next ones raise
 * it (the strongest modes, a rewrite or scan when any has one, the note of
 * the riskiest). */
static void predict_add_row(const LtRow *r, Prediction *p, bool first)
{
    if (first) {
        p->mode = r->mode;
        p->rewrite = r->rewrite;
        p->scan = r->scan;
        memcpy(p->others, r->others, sizeof(p->others));
        p->risk = r->risk;
        p->note = r->note;
        p->cls = r->cls;
        return;
    }
    if (r->mode > p->mode) p->mode = r->mode;
    p->rewrite = tri_or(p->rewrite, r->rewrite);
    p->scan = tri_or(p->scan, r->scan);
    for (int k = 0; k < PREDICTION_NROLES; k++)
        if (r->others[k] > p->others[k]) p->others[k] = r->others[k];
    if (r->risk > p->risk) {
        p->risk = r->risk;
        p->note = r->note;
        p->cls = r->cls;
    }
}

/* What the schema decided of one subclass: its rewrite and its scan (a Tri
 * each), over its row's; -1 where the row's stands. */
typedef struct Decided {
    int rewrite, scan;
} Decided;

/* Adds class cls to the prediction: its row, else the rows of the parts it
 * combines (classify_parts); false when a row is missing. dec (may be NULL):
 * what the schema decided of this class. */
static bool predict_add_class(const LockTable *t, const char *cls, int major, Prediction *p,
                              bool first, const Decided *dec)
{
    const LtRow *r = locktable_lookup(t, cls, major);
    if (r) {
        LtRow d = *r;
        if (dec && dec->rewrite >= 0) d.rewrite = (Tri)dec->rewrite;
        if (dec && dec->scan >= 0) d.scan = (Tri)dec->scan;
        predict_add_row(&d, p, first);
        return true;
    }
    char **parts;
    size_t n = classify_parts(cls, &parts);
    bool ok = n > 0;
    for (size_t i = 0; ok && i < n; i++)
        ok = locktable_lookup(t, parts[i], major) != NULL;
    for (size_t i = 0; ok && i < n; i++)
        predict_add_row(locktable_lookup(t, parts[i], major), p, first && i == 0);
    for (size_t i = 0; i < n; i++)
        free(parts[i]);
    free(parts);
    return ok;
}

/* locktable_predict, with decided[i] what the schema decided for subclass i
 * (decided NULL: nothing). */
static bool predict_classes(const LockTable *t, const StmtInfo *info, int major,
                            const Decided *decided, Prediction *out)
{
    prediction_clear(out);
    if (!t || !info || !info->cls) return false;
    bool ok = true;
    if (info->nsubclasses <= 1)
        ok = predict_add_class(t, info->cls, major, out, true, decided ? &decided[0] : NULL);
    for (size_t i = 0; ok && info->nsubclasses > 1 && i < info->nsubclasses; i++)
        ok = predict_add_class(t, info->subclasses[i], major, out, i == 0,
                               decided ? &decided[i] : NULL);
    if (!ok) {
        prediction_clear(out);
        return false;
    }
    /* ADD COLUMN IF NOT EXISTS of a column that exists takes its lock and
     * does nothing more: the rewrite of its class may not happen */
    if (info->may_skip && out->rewrite == TRI_YES) out->rewrite = TRI_DEPENDS;
    /* a class from the keywords names the subcommand, not what decides a
     * rewrite or a scan (a volatile default, NOT ENFORCED ...), unless the
     * schema decided them */
    if (info->parsed == STMT_PARSED_KEYWORDS && !decided) out->rewrite = out->scan = TRI_DEPENDS;
    out->predicted = true;
    return true;
}

bool locktable_predict(const LockTable *t, const StmtInfo *info, int major, Prediction *out)
{
    return predict_classes(t, info, major, NULL, out);
}

/* ---- predictions in a schema ---------------------------------------------- */

bool locktable_tz_is_utc(const char *name)
{
    static const char *const utc[] = {
        "UTC",       "Etc/UTC",       "UCT",       "Etc/UCT",       "GMT",   "Etc/GMT",
        "GMT0",      "Etc/GMT0",      "GMT+0",     "Etc/GMT+0",     "GMT-0", "Etc/GMT-0",
        "Greenwich", "Etc/Greenwich", "Universal", "Etc/Universal", "Zulu",  "Etc/Zulu"};
    for (size_t i = 0; name && i < ARRAY_LEN(utc); i++)
        if (strcasecmp(name, utc[i]) == 0) return true;
    return false;
}

typedef PgQuery__Node Node;

static const char *node_str(const Node *n)
{
    return n && n->node_case == PG_QUERY__NODE__NODE_STRING && n->string ? n->string->sval : NULL;
}

/* The typmod the server keeps for a column of the model (facts_typmod's). */
static int column_typmod(const SchemaColumn *c)
{
    const char *t = c->type;
    if (strcmp(t, "interval") == 0)
        return c->interval_fields < 0 && c->fsec < 0
                   ? -1
                   : ((c->interval_fields < 0 ? 0x7FFF : c->interval_fields) << 16) |
                         (c->fsec < 0 ? 0xFFFF : c->fsec);
    int mods[2] = {-1, 0}, n = 0;
    if (strcmp(t, "numeric") == 0) {
        mods[0] = c->precision, mods[1] = c->scale, n = c->precision >= 0 ? 2 : 0;
    } else if (c->length >= 0) {
        mods[0] = c->length, n = 1;
    } else if (c->fsec >= 0) {
        mods[0] = c->fsec, n = 1;
    }
    return facts_typmod(t, mods, n);
}

/* A column's type as ALTER COLUMN TYPE compares it: the server's name, the
 * typmod, whether an array of it, and the type the chain made it (enum,
 * composite; a domain is followed down to its base: a value of a domain is
 * one of its base type). */
typedef struct ColType {
    const char *type;
    int typmod;
    bool array;
    const SchemaType *user; /* an enum or composite of the chain, else NULL */
    bool checked;           /* a domain with constraints was on the way down */
} ColType;

/* Follows ct's domains down to their base types (a bounded number of them). */
static void coltype_resolve(const Schema *s, const char *type_schema, ColType *ct)
{
    ct->user = NULL;
    for (int depth = 0; depth < 8; depth++) {
        const SchemaType *ut = schema_type(s, type_schema, ct->type);
        if (!ut) return;
        if (ut->kind != SCHEMA_TYPE_DOMAIN || !ut->basecol.type) {
            ct->user = ut;
            return;
        }
        if (ut->nchecks > 0 || ut->not_null) ct->checked = true;
        ct->type = ut->basecol.type;
        ct->typmod = column_typmod(&ut->basecol);
        ct->array = ct->array || ut->basecol.array;
        type_schema = ut->basecol.type_schema;
    }
}

/* The type a TypeName declares; false for what cannot be compared (%TYPE,
 * SETOF, modifiers other than integers). */
static bool typename_of(const Schema *s, const PgQuery__TypeName *tn, ColType *ct)
{
    *ct = (ColType){0};
    if (!tn || tn->n_names == 0 || tn->n_names > 2 || tn->pct_type || tn->setof) return false;
    const char *sch = tn->n_names == 2 ? node_str(tn->names[0]) : NULL;
    ct->type = node_str(tn->names[tn->n_names - 1]);
    if (!ct->type || tn->n_typmods > 2) return false;
    int mods[2] = {0, 0};
    for (size_t i = 0; i < tn->n_typmods; i++) {
        const Node *m = tn->typmods[i];
        if (!m || m->node_case != PG_QUERY__NODE__NODE_A_CONST ||
            m->a_const->val_case != PG_QUERY__A__CONST__VAL_IVAL)
            return false;
        mods[i] = m->a_const->ival ? m->a_const->ival->ival : 0;
    }
    if (strcmp(ct->type, "interval") == 0)
        ct->typmod =
            tn->n_typmods == 0 ? -1 : (mods[0] << 16) | (tn->n_typmods > 1 ? mods[1] : 0xFFFF);
    else
        ct->typmod = facts_typmod(ct->type, mods, (int)tn->n_typmods);
    ct->array = tn->n_array_bounds > 0;
    if (!sch || strcmp(sch, "pg_catalog") != 0) coltype_resolve(s, sch, ct);
    if (!ct->user) ct->type = facts_type_name(ct->type);
    return true;
}

static void coltype_of_column(const Schema *s, const SchemaColumn *c, ColType *ct)
{
    *ct = (ColType){.type = c->type, .typmod = column_typmod(c), .array = c->array};
    coltype_resolve(s, c->type_schema, ct);
    if (!ct->user) ct->type = facts_type_name(ct->type);
}

/* What one ALTER COLUMN TYPE subcommand decides on major, before and apart
 * from the facts: the same type (a domain's base counts as the domain's, an
 * enum as itself) keeps the files; a domain with constraints, an array
 * changed or a type of the chain changed rewrite (the server then converts
 * every value: ATColumnChangeRequiresRewrite sees no bare column); else
 * depends: the facts decide the built-in types. */
static Tri type_change_rule(const ColType *from, const ColType *to)
{
    if (to->checked) return TRI_YES;
    bool same_user = from->user == to->user;
    bool same = same_user && from->array == to->array && strcmp(from->type, to->type) == 0 &&
                from->typmod == to->typmod;
    if (same) return TRI_NO;
    if (from->array || to->array || from->user || to->user) return TRI_YES;
    return TRI_DEPENDS;
}

/* What decides one ALTER COLUMN TYPE subcommand: the column's type before
 * and after, or why it cannot be decided. */
typedef struct TypeChange {
    bool decidable; /* both types known, no USING but the column itself */
    ColType from, to;
    FactsUsing using;
} TypeChange;

static const char lacks_table[] = "table %s not defined in the corpus";

/* ALTER COLUMN TYPE subcommand cmd of table r (NULL: not in the model) into
 * *tc; "" or what the schema lacks into unknown. */
static void type_change_of(const Schema *s, const SchemaRel *r, const char *table,
                           const PgQuery__AlterTableCmd *cmd, TypeChange *tc, char *unknown)
{
    *tc = (TypeChange){0};
    if (!cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF) return;
    const PgQuery__ColumnDef *cd = cmd->def->column_def;
    tc->using = FACTS_USING_NONE;
    if (cd->raw_default) { /* USING: decided here only when it is the column itself (else
                              its row: every value is computed again, a rewrite) */
        const Node *u = cd->raw_default;
        if (u->node_case != PG_QUERY__NODE__NODE_COLUMN_REF || u->column_ref->n_fields != 1 ||
            !node_str(u->column_ref->fields[0]) ||
            strcmp(node_str(u->column_ref->fields[0]), cmd->name) != 0)
            return;
        tc->using = FACTS_USING_SELF;
    }
    if (!typename_of(s, cd->type_name, &tc->to)) return;
    if (!r) {
        snprintf(unknown, PREDICTION_UNKNOWN_MAX, lacks_table, table);
        return;
    }
    const SchemaColumn *c = schema_column(r, cmd->name);
    if (!c || !c->type) {
        if (!r->cols_unknown)
            snprintf(unknown, PREDICTION_UNKNOWN_MAX, "column %s.%s not defined in the corpus",
                     table, cmd->name);
        else
            snprintf(unknown, PREDICTION_UNKNOWN_MAX,
                     "the type of column %s.%s is not known (a query made the table)", table,
                     cmd->name);
        return;
    }
    coltype_of_column(s, c, &tc->from);
    tc->decidable = true;
}

static const char note_tz_utc[] = "decided for a session TimeZone of UTC (SET TimeZone, else "
                                  "--timezone): under another zone it rewrites";
static const char note_tz_other[] = "decided for a session TimeZone other than UTC (SET TimeZone, "
                                    "else --timezone): under UTC it does not rewrite";

/* The classes whose rewrite or scan a statement's details and the schema
 * decide (locktable_predict_in); a class of several subcommands names them
 * all. */
static const char *const schema_classes[] = {"ALTER COLUMN TYPE", "ALTER TABLE SET LOGGED",
                                             "ALTER TABLE SET UNLOGGED",
                                             "ALTER TABLE SET ACCESS METHOD"};
static const char class_seq[] = "ALTER SEQUENCE";
static const char class_set_expression[] = "ALTER TABLE ALTER COLUMN SET EXPRESSION";

/* The classes of ADD COLUMN with a default whose volatility the facts
 * of the major and the chain's functions decide. */
static const char *const default_classes[] = {" DEFAULT volatile", " DEFAULT constant"};

static bool class_needs_schema(const char *cls)
{
    for (size_t i = 0; i < ARRAY_LEN(default_classes); i++)
        if (strstr(cls, default_classes[i])) return true;
    for (size_t i = 0; i < ARRAY_LEN(schema_classes); i++)
        if (strstr(cls, schema_classes[i])) return true;
    return false;
}

bool locktable_needs_schema(const StmtInfo *info)
{
    if (!info || !info->cls) return false;
    if (info->parsed == STMT_PARSED_KEYWORDS) return strcmp(info->cls, class_set_expression) == 0;
    if (info->parsed != STMT_PARSED_TREE) return false;
    if (strcmp(info->cls, class_seq) == 0) return true;
    if (class_needs_schema(info->cls)) return true;
    for (size_t i = 0; i < info->nsubclasses; i++)
        if (class_needs_schema(info->subclasses[i])) return true;
    return false;
}

/* ALTER SEQUENCE: every option but OWNED BY writes the sequence anew (a new
 * relfilenode: RESTART, START, AS, INCREMENT, MINVALUE, MAXVALUE, CACHE,
 * CYCLE, as traced on 10-18); OWNED BY alone changes the catalog. */
static void decide_sequence(const PgQuery__AlterSeqStmt *as, Decided *d)
{
    bool rewrite = false;
    for (size_t i = 0; i < as->n_options; i++) {
        const Node *o = as->options[i];
        if (o && o->node_case == PG_QUERY__NODE__NODE_DEF_ELEM && o->def_elem->defname &&
            strcmp(o->def_elem->defname, "owned_by") != 0)
            rewrite = true;
    }
    d->rewrite = rewrite ? TRI_YES : TRI_NO;
}

/* SET LOGGED, SET UNLOGGED, SET ACCESS METHOD of table r: a rewrite (and the
 * scan that copies it) when they change what r has, nothing when r has it
 * already (the server skips it: traced on 10-18, 15-18). */
static void decide_storage(const SchemaRel *r, const PgQuery__AlterTableCmd *cmd, Decided *d)
{
    if (!r || r->kind != SCHEMA_REL_TABLE) return;
    int change = -1;
    switch (cmd->subtype) {
    case PG_QUERY__ALTER_TABLE_TYPE__AT_SetLogged:
        if (r->persistence != SCHEMA_TEMP) change = r->persistence != SCHEMA_PERMANENT;
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_SetUnLogged:
        if (r->persistence != SCHEMA_TEMP) change = r->persistence != SCHEMA_UNLOGGED;
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_SetAccessMethod:
        if (r->access_method && cmd->name && *cmd->name)
            change = strcmp(r->access_method, cmd->name) != 0;
        break;
    default:
        return;
    }
    if (change >= 0) d->rewrite = d->scan = change ? TRI_YES : TRI_NO;
}

static bool is_storage_cmd(PgQuery__AlterTableType t)
{
    return t == PG_QUERY__ALTER_TABLE_TYPE__AT_SetLogged ||
           t == PG_QUERY__ALTER_TABLE_TYPE__AT_SetUnLogged ||
           t == PG_QUERY__ALTER_TABLE_TYPE__AT_SetAccessMethod;
}

/* What an ALTER TABLE's subcommands decide, one Decided each (ncls of them);
 * *by_tz: a decision the TimeZone made; what the schema lacks into unknown.
 * True when any was decided. */
static bool decide_alter_table(const Schema *s, const Facts *f, const PgQuery__AlterTableStmt *as,
                               int major, bool tz_utc, Decided *decided, size_t ncls, bool *by_tz,
                               char *unknown)
{
    if (as->n_cmds != ncls || !as->relation) return false;
    const char *sch =
        as->relation->schemaname && *as->relation->schemaname ? as->relation->schemaname : NULL;
    const char *table = as->relation->relname;
    const SchemaRel *r = schema_rel(s, sch, table);
    bool any = false;
    for (size_t i = 0; i < ncls; i++) {
        const Node *n = as->cmds[i];
        if (!n || n->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD) continue;
        const PgQuery__AlterTableCmd *cmd = n->alter_table_cmd;
        char lacks[PREDICTION_UNKNOWN_MAX] = "";
        if (is_storage_cmd(cmd->subtype)) {
            if (!r) snprintf(lacks, sizeof(lacks), lacks_table, table);
            decide_storage(r, cmd, &decided[i]);
        } else if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType) {
            TypeChange tc;
            type_change_of(s, r, table, cmd, &tc, lacks);
            Tri d = tc.decidable ? type_change_rule(&tc.from, &tc.to) : TRI_DEPENDS;
            if (tc.decidable && d == TRI_DEPENDS) {
                Tri utc = facts_type_change(f, major, tc.from.type, tc.from.typmod, tc.to.type,
                                            tc.to.typmod, tc.using, true, NULL);
                Tri other = facts_type_change(f, major, tc.from.type, tc.from.typmod, tc.to.type,
                                              tc.to.typmod, tc.using, false, NULL);
                d = tz_utc ? utc : other;
                if (d != TRI_DEPENDS && utc != other) *by_tz = true;
            }
            if (d != TRI_DEPENDS) decided[i].rewrite = decided[i].scan = (int)d;
        }
        if (!*unknown) memcpy(unknown, lacks, sizeof(lacks)); /* the first one says it */
        any = any || decided[i].rewrite >= 0 || decided[i].scan >= 0;
    }
    return any;
}

/* How volatile a function is on one major: pg_catalog's by the facts, the
 * chain's by its CREATE FUNCTION; the first one neither knows is kept. */
typedef struct VolCtx {
    const Schema *s;
    const Facts *f;
    int major;
    FactsVolatility unknown_as;           /* what a function nobody knows counts as */
    char unknown[PREDICTION_UNKNOWN_MAX]; /* why the first such function is not known */
} VolCtx;

static FactsVolatility volatility_in(const char *schema, const char *name, void *ctx)
{
    VolCtx *v = ctx;
    bool sql;
    char mine = schema_function_volatility(v->s, schema, name, &sql);
    /* 12+ plans the default before it asks whether it is volatile: a VOLATILE
     * LANGUAGE sql function may be inlined, its body's volatility then counts
     * (one returning a constant keeps the fast default, traced on 12-18; 10
     * and 11 rewrite). A STABLE or IMMUTABLE one stays so: the planner inlines
     * no body more volatile than the function says. */
    if (mine && !(sql && mine == 'v' && version_major(v->major) >= 12))
        return facts_volatility_of(mine);
    FactsVolatility fv = !mine && (!schema || strcasecmp(schema, "pg_catalog") == 0)
                             ? facts_function_volatility(v->f, v->major, name, NULL)
                             : FACTS_FN_UNKNOWN;
    if (fv != FACTS_FN_UNKNOWN && fv != FACTS_FN_MIXED) return fv;
    if (!v->unknown[0])
        snprintf(v->unknown, sizeof(v->unknown),
                 mine ? "function %s is LANGUAGE sql: the server may inline it into its body"
                 : fv == FACTS_FN_MIXED
                     ? "function %s: some of its overloads are volatile, the arguments decide"
                     : "function %s not defined in the corpus",
                 name);
    return v->unknown_as;
}

/* ADD COLUMN ... DEFAULT: the prediction of the class the default's
 * volatility on major gives (11+: a non-volatile default is stored once, a
 * volatile one computed into every row). A function neither the facts nor
 * the chain know is said in unknown, and what its volatility would change
 * is not guessed. */
static bool predict_default(const LockTable *t, const Schema *s, const Facts *f, const char *sql,
                            int major, bool runs, Prediction *out)
{
    VolCtx vc = {s, f, major, FACTS_FN_VOLATILE, ""};
    StmtInfo vi;
    classify_statement_with(sql, volatility_in, &vc, &vi);
    if (runs) vi.may_skip = false;
    bool ok = locktable_predict(t, &vi, major, out);
    classify_free(&vi);
    if (!ok || !vc.unknown[0]) return ok;
    Prediction other;
    VolCtx cc = {s, f, major, FACTS_FN_IMMUTABLE, ""};
    classify_statement_with(sql, volatility_in, &cc, &vi);
    if (runs) vi.may_skip = false;
    if (locktable_predict(t, &vi, major, &other)) {
        if (other.rewrite != out->rewrite) out->rewrite = TRI_DEPENDS;
        if (other.scan != out->scan) out->scan = TRI_DEPENDS;
    }
    classify_free(&vi);
    snprintf(out->unknown, sizeof(out->unknown), "%s", vc.unknown);
    return true;
}

static bool is_default_class(const StmtInfo *info)
{
    for (size_t i = 0; i < ARRAY_LEN(default_classes); i++)
        if (strstr(info->cls, default_classes[i])) return true;
    for (size_t k = 0; k < info->nsubclasses; k++)
        for (size_t i = 0; i < ARRAY_LEN(default_classes); i++)
            if (strstr(info->subclasses[k], default_classes[i])) return true;
    return false;
}

/* ALTER COLUMN SET EXPRESSION (17+, newer than the parser: read by its
 * keywords): a stored generated column is computed again in a rewrite, a
 * virtual one (18+) is catalog only. The row decides where every generated
 * column is stored (17); on 18 the model's column does: it keeps only stored
 * ones (the parser cannot read VIRTUAL, so a virtual column never enters the
 * model, and one it lacks is said in unknown). */
static bool decide_set_expression(const LockTable *t, const Schema *s, const StmtInfo *info,
                                  int major, Decided *d, char *unknown)
{
    const LtRow *row = locktable_lookup(t, info->cls, major);
    if (!row) return false;
    if (row->rewrite != TRI_DEPENDS) {
        *d = (Decided){(int)row->rewrite, (int)row->scan};
        return true;
    }
    if (!info->target || !info->column) return false;
    const SchemaRel *r = schema_rel(s, info->target_schema, info->target);
    const SchemaColumn *c = r ? schema_column(r, info->column) : NULL;
    if (c && c->generated == 's') {
        *d = (Decided){TRI_YES, TRI_YES};
        return true;
    }
    if (!r)
        snprintf(unknown, PREDICTION_UNKNOWN_MAX, lacks_table, info->target);
    else if (!c && !r->cols_unknown)
        snprintf(unknown, PREDICTION_UNKNOWN_MAX,
                 "column %s.%s not defined in the corpus (a virtual column is not read)",
                 info->target, info->column);
    return false;
}

/* What the model says of an ALTER TABLE's IF [NOT] EXISTS subcommands:
 * SKIPS_NONE, every one finds what it needs to run (ADD COLUMN IF NOT EXISTS
 * of a column the table lacks, DROP COLUMN or DROP CONSTRAINT IF EXISTS of one
 * it has): the statement is predicted as it would be without them;
 * SKIPS_ALL, every subcommand is one of them and each finds nothing to do:
 * the server takes the table's lock and skips the rest; SKIPS_UNKNOWN,
 * neither, or the model lacks the table. */
enum { SKIPS_UNKNOWN = -1, SKIPS_NONE = 0, SKIPS_ALL = 1 };

static int subcommands_skip(const Schema *s, const char *sql)
{
    const PgQuery__ParseResult *pr = pgtree_parse(sql, NULL, NULL);
    const Node *n = pr && pr->n_stmts == 1 ? pr->stmts[0]->stmt : NULL;
    if (!n || n->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT) return SKIPS_UNKNOWN;
    const PgQuery__AlterTableStmt *as = n->alter_table_stmt;
    const char *schema = as->relation && as->relation->schemaname && *as->relation->schemaname
                             ? as->relation->schemaname
                             : NULL;
    const SchemaRel *r = as->relation ? schema_rel(s, schema, as->relation->relname) : NULL;
    if (!r) return SKIPS_UNKNOWN;
    size_t runs = 0, skips = 0;
    for (size_t i = 0; i < as->n_cmds; i++) {
        const Node *c = as->cmds[i];
        if (!c || c->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD) return SKIPS_UNKNOWN;
        const PgQuery__AlterTableCmd *cmd = c->alter_table_cmd;
        if (!cmd->missing_ok) {
            runs++;
            continue;
        }
        bool has;
        switch (cmd->subtype) {
        case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
        case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumnRecurse:
            if (!cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
                return SKIPS_UNKNOWN;
            has = !schema_column(r, cmd->def->column_def->colname); /* runs when absent */
            break;
        case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
        case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumnRecurse:
            has = schema_column(r, cmd->name) != NULL;
            break;
        case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint:
        case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraintRecurse:
            has = schema_constraint(r, cmd->name) != NULL;
            break;
        default:
            return SKIPS_UNKNOWN;
        }
        if (has)
            runs++;
        else
            skips++;
    }
    return skips == 0 ? SKIPS_NONE : runs == 0 ? SKIPS_ALL : SKIPS_UNKNOWN;
}

bool locktable_predict_in(const LockTable *t, const Schema *s, const Facts *f, const char *sql,
                          const StmtInfo *info, int major, const PredictOpts *o, Prediction *out)
{
    int skips = s && sql && info && info->may_skip && info->parsed == STMT_PARSED_TREE
                    ? subcommands_skip(s, sql)
                    : SKIPS_UNKNOWN;
    if (skips != SKIPS_UNKNOWN) {
        StmtInfo runs = *info; /* the same statement, its skips ruled out */
        runs.may_skip = false;
        bool ok = locktable_predict_in(t, s, f, sql, &runs, major, o, out);
        if (ok && skips == SKIPS_ALL) out->rewrite = out->scan = TRI_NO; /* the lock alone */
        return ok;
    }
    if (!s || !f || !o || !sql || !locktable_needs_schema(info))
        return locktable_predict(t, info, major, out);
    if (info->parsed == STMT_PARSED_TREE && is_default_class(info))
        return predict_default(t, s, f, sql, major, !info->may_skip, out);
    size_t ncls = info->nsubclasses > 1 ? info->nsubclasses : 1;
    char unknown[PREDICTION_UNKNOWN_MAX] = "";
    Decided *decided = xmalloc(ncls * sizeof(*decided));
    for (size_t i = 0; i < ncls; i++)
        decided[i] = (Decided){-1, -1};
    /* a zone the chain set (SET TimeZone) before the session's default */
    const char *zone = schema_timezone(s);
    bool tz_utc = zone ? locktable_tz_is_utc(zone) : o->tz_utc;
    bool by_tz = false, any = false;
    if (info->parsed == STMT_PARSED_KEYWORDS) {
        any = decide_set_expression(t, s, info, major, &decided[0], unknown);
    } else {
        const PgQuery__ParseResult *tree = pgtree_parse(sql, NULL, NULL);
        const Node *stmt = tree && tree->n_stmts == 1 ? tree->stmts[0]->stmt : NULL;
        if (stmt && stmt->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_STMT)
            any = decide_alter_table(s, f, stmt->alter_table_stmt, major, tz_utc, decided, ncls,
                                     &by_tz, unknown);
        else if (stmt && stmt->node_case == PG_QUERY__NODE__NODE_ALTER_SEQ_STMT && ncls == 1) {
            decide_sequence(stmt->alter_seq_stmt, &decided[0]);
            any = true;
        }
    }
    bool ok = predict_classes(t, info, major, any ? decided : NULL, out);
    free(decided);
    if (!ok) return false;
    if (by_tz) out->note = tz_utc ? note_tz_utc : note_tz_other;
    snprintf(out->unknown, sizeof(out->unknown), "%s", unknown);
    return true;
}

/* ---- observations ------------------------------------------------------ */

static bool is_relation_lock(const TraceLock *l)
{
    return !l->locktype || strcmp(l->locktype, "relation") == 0;
}

bool locktable_capture_exact(const char *capture)
{
    /* "phase": every request on the target and on every relation of its
     * family a holder can hold waits and is read, the same from run to run
     * (runner/trace/observer.c, tracer_run_observed); what no holder can stop (a TOAST
     * table's lock between two stops) has no role the table judges */
    return !capture || (strcmp(capture, "observer") != 0 && strcmp(capture, "poll") != 0);
}

bool locktable_capture_scans(const char *capture)
{
    /* "phase": the statement ran in autocommit, its scans are not counted */
    return locktable_capture_exact(capture) && !(capture && strcmp(capture, "phase") == 0);
}

/* The role of relation name among the locks, NULL when it was not locked. */
static const char *role_of(const TraceLock *locks, size_t nlocks, const char *name)
{
    for (size_t k = 0; k < nlocks; k++)
        if (is_relation_lock(&locks[k]) && locks[k].relation && name &&
            strcmp(locks[k].relation, name) == 0)
            return locks[k].role;
    return NULL;
}

void locktable_observe(const Trace *t, LtObs *out)
{
    const TraceLock *locks = t->locks;
    size_t nlocks = t->nlocks;
    out->exact = locktable_capture_exact(t->capture);   /* every lock seen */
    bool counted = locktable_capture_scans(t->capture); /* scans counted */
    out->no_scans = out->exact && !counted;
    out->skipped = locktable_said_skipping(t->said);
    out->req = t->req;
    out->created = false;
    out->mode = -1;
    out->rewrite = false;
    out->scan = false;
    for (int i = 0; i < PREDICTION_NROLES; i++)
        out->others[i] = -1;
    bool replay = t->req == TRACE_REQ_REPLAY;
    const TraceLock *own = replay ? t->requested : locks;
    size_t nown = replay ? t->nrequested : nlocks;
    bool hidden = false; /* a lock held before on a relation: requests may hide behind it */
    for (size_t i = 0; i < nown; i++) {
        const TraceLock *l = &own[i];
        if (!is_relation_lock(l) || !l->role) continue;
        int m = locktable_mode_rank(l->mode);
        if (m < 0) continue;
        if (l->held_before) {
            hidden = true;
            continue;
        }
        if (strcmp(l->role, "table") == 0) {
            if (m > out->mode) out->mode = m;
            continue;
        }
        if (strcmp(l->role, "new") == 0) out->created = true;
        int r = role_index(l->role);
        if (r >= 0 && m > out->others[r]) out->others[r] = m;
    }
    if (out->mode >= 0) out->created = false;
    /* what the statement added is all it requested only when it ran alone or
     * was measured alone */
    if (!replay && (t->req == TRACE_REQ_UNMEASURED || hidden)) out->exact = false;
    char *const *rewrites = replay ? t->req_rewrites : t->rewrites;
    size_t nrewrites = replay ? t->nreq_rewrites : t->nrewrites;
    size_t nscanned = replay ? t->nreq_scanned : t->nscans;
    if (replay) {
        locks = own; /* the roles of what the replay rewrote and scanned */
        nlocks = nown;
    }
    /* a rewrite: a rewritten relation that is not an index, toast table,
     * sequence, or a relation the statement created (a partition of the
     * target counts: a partitioned table has no storage of its own); one that was not seen
     * locked counts only when every lock was seen in the tracer's transaction
     * (phases may not see a TOAST table's locks: REINDEX TABLE of a
     * partitioned table on 14-16 rebuilds the partitions' TOAST indexes after
     * its last stop) */
    for (size_t i = 0; i < nrewrites && !out->rewrite; i++) {
        const char *role = role_of(locks, nlocks, rewrites[i]);
        if (role ? strcmp(role, "table") == 0 || strcmp(role, "partition") == 0 ||
                       strcmp(role, "referenced") == 0 || strcmp(role, "other") == 0
                 : out->exact && counted)
            out->rewrite = true;
    }
    for (size_t i = 0; counted && i < nscanned && !out->scan; i++) {
        /* the replay's are names of relations scanned; a trace's scans count
         * with seq_scan > 0 */
        if (!replay && t->scans[i].seq_scan <= 0) continue;
        const char *role =
            role_of(locks, nlocks, replay ? t->req_scanned[i] : t->scans[i].relation);
        out->scan = !role || (strcmp(role, "new") != 0 && strcmp(role, "transient") != 0);
    }
}

/* ---- verdicts ---------------------------------------------------------- */

bool locktable_said_skipping(const char *said)
{
    for (const char *l = said; l && *l;) {
        const char *nl = strchr(l, '\n');
        size_t n = nl ? (size_t)(nl - l) : strlen(l);
        if (n > 18 && strncmp(l, "NOTICE:", 7) == 0 && strncmp(l + n - 10, ", skipping", 10) == 0)
            return true;
        l = nl ? nl + 1 : l + n;
    }
    return false;
}

Verdict locktable_verdict(const Prediction *p, const LtObs *o, bool failed)
{
    if (failed) return VERDICT_ERROR;
    if (!p || !p->predicted) return VERDICT_UNPREDICTED;
    /* skipped with a lock on its target (ADD COLUMN IF NOT EXISTS of a column
     * that exists): the lock was taken, nothing else done */
    if (o->skipped)
        return o->mode < 0 || (o->exact ? p->mode == o->mode : o->mode <= p->mode)
                   ? VERDICT_CONFIRMED
                   : VERDICT_MISMATCH;
    /* a target the statement created has no lock to predict: the row's mode is
     * that of the target when it exists (CREATE OR REPLACE VIEW replacing) */
    bool created = o->created && o->mode < 0;
    if (!created && (o->exact ? p->mode != o->mode : o->mode > p->mode)) return VERDICT_MISMATCH;
    /* a rewrite missing from an unmeasured statement may be its transaction's
     * doing (TRUNCATE of a table created earlier in it keeps its file): only a
     * rewrite seen counts there */
    bool rewrite_known = o->req != TRACE_REQ_UNMEASURED || o->rewrite;
    if (p->rewrite != TRI_DEPENDS && rewrite_known && (p->rewrite == TRI_YES) != o->rewrite)
        return VERDICT_MISMATCH;
    if (o->scan && p->scan == TRI_NO) return VERDICT_TRACE_ONLY;
    for (int i = 0; i < PREDICTION_NROLES; i++)
        if (o->others[i] > p->others[i]) return VERDICT_TRACE_ONLY;
    return VERDICT_CONFIRMED;
}

static void others_str(const int *others, Buf *b)
{
    bool any = false;
    for (int i = 0; i < PREDICTION_NROLES; i++) {
        if (others[i] < 0) continue;
        buf_printf(b, "%s%s:%s", any ? "," : "", role_names[i], lock_mode_label(others[i]));
        any = true;
    }
    if (!any) buf_putc(b, '-');
}

void locktable_explain(const Prediction *p, const LtObs *o, Buf *b)
{
    if (!p || !p->predicted) {
        buf_puts(b, "no row in the lock table");
        return;
    }
    buf_printf(b, "predicted %s, %s", lock_mode_label(p->mode),
               p->rewrite == TRI_YES  ? "rewrite"
               : p->rewrite == TRI_NO ? "no rewrite"
                                      : "rewrite depends");
    if (o->scan && p->scan == TRI_NO) buf_puts(b, ", no scan");
    if (memcmp(p->others, o->others, sizeof(p->others)) != 0) {
        buf_puts(b, ", others ");
        others_str(p->others, b);
    }
    buf_printf(b, "; observed %s, %s", lock_mode_label(o->mode),
               o->rewrite ? "rewrite" : "no rewrite");
    if (o->scan && p->scan == TRI_NO) buf_puts(b, ", scan");
    if (memcmp(p->others, o->others, sizeof(p->others)) != 0) {
        buf_puts(b, ", others ");
        others_str(o->others, b);
    }
}

/* ---- regeneration ------------------------------------------------------ */

const char *locktable_use_reason(LtUse u)
{
    static const char *const reasons[LT_NUSES] = {
        [LT_USE_USED] = "used",
        [LT_USE_UNMEASURED] = "requests not measured (the transaction held locks before)",
        [LT_USE_SKIPPED] = "skipped by the server (IF [NOT] EXISTS with nothing to do)",
        [LT_USE_FAILED] = "did not run ok (error, timeout or not run)",
        [LT_USE_SEVERAL] = "an ALTER TABLE with several subcommands (no one class)",
        [LT_USE_UNCLASSIFIED] = "no class (unparsed or empty)",
        [LT_USE_KEYWORDS] = "classified from its keywords only (syntax newer than the parser)",
    };
    return u >= LT_USE_USED && u < LT_NUSES ? reasons[u] : "unknown";
}

LtUse locktable_cell_use(const LtCellObs *o)
{
    if (o->left_out != LT_USE_USED) return o->left_out;
    if (!o->cls) return LT_USE_UNCLASSIFIED;
    if (o->obs.skipped) return LT_USE_SKIPPED;
    /* a lower bound taken inside a transaction that held locks: a weaker mode
     * there says nothing about what the statement asks for */
    if (o->obs.req != TRACE_REQ_OWN && o->obs.req != TRACE_REQ_REPLAY) return LT_USE_UNMEASURED;
    return LT_USE_USED;
}

void locktable_obs_describe(const LtObs *o, Buf *b)
{
    if (o->mode >= 0)
        buf_printf(b, "%s on the target", lock_mode_label(o->mode));
    else
        buf_puts(b, "no lock on the target");
    buf_puts(b, o->rewrite ? ", rewrite" : ", no rewrite");
    if (o->exact && !o->no_scans) buf_puts(b, o->scan ? ", scan" : ", no scan");
    bool any = false;
    for (int i = 0; i < PREDICTION_NROLES; i++)
        any |= o->others[i] >= 0;
    if (any) {
        buf_puts(b, ", others ");
        others_str(o->others, b);
    }
    buf_printf(b, " (%s%s)", trace_req_name(o->req), o->exact ? "" : ", a lower bound");
}

/* What one (class, major) cell holds while a table is rebuilt. */
typedef struct Cell {
    const char *cls; /* points into the old table or the observations */
    int major;
    bool have;     /* any value */
    bool observed; /* from observations (else from the old table) */
    int mode;
    Tri rewrite, scan;
    int others[PREDICTION_NROLES];
    int nyes_rewrite, nyes_scan, nobs, nexact, nscans; /* nscans: exact with scans counted */
    bool had_old; /* the old table had this cell (old_* below) */
    int old_mode;
    Tri old_rewrite, old_scan;
    int old_others[PREDICTION_NROLES];
} Cell;

typedef struct Grid {
    const char **classes; /* in output order */
    size_t nclasses, cap;
    Cell *cells; /* nclasses x NMAJ */
} Grid;

#define NMAJ 100 /* majors 0..99: the file's range */

static size_t grid_class(Grid *g, const char *cls)
{
    for (size_t i = g->nclasses; i-- > 0;)
        if (strcmp(g->classes[i], cls) == 0) return i;
    size_t oldcap = g->cap;
    *ARRAY_PUSH(g->classes, g->nclasses, g->cap) = cls;
    if (g->cap != oldcap) {
        g->cells = xrealloc(g->cells, g->cap * NMAJ * sizeof(Cell));
    }
    memset(&g->cells[(g->nclasses - 1) * NMAJ], 0, NMAJ * sizeof(Cell));
    return g->nclasses - 1;
}

static bool cell_eq(const Cell *a, const Cell *b)
{
    return a->have && b->have && a->mode == b->mode && a->rewrite == b->rewrite &&
           a->scan == b->scan && memcmp(a->others, b->others, sizeof(a->others)) == 0;
}

/* A default risk for a class the old table lacks: table data, not ifs
 * scattered over the code. Indexed by the lock mode on the target (+1). */
static Risk default_risk(int mode, Tri rewrite, Tri scan)
{
    static const Risk base[9] = {
        RISK_SAFE,   /* none */
        RISK_SAFE,   /* AccessShare */
        RISK_SAFE,   /* RowShare */
        RISK_LOW,    /* RowExclusive */
        RISK_LOW,    /* ShareUpdateExclusive */
        RISK_MEDIUM, /* Share: blocks writes */
        RISK_MEDIUM, /* ShareRowExclusive */
        RISK_HIGH,   /* Exclusive: blocks all but reads */
        RISK_MEDIUM, /* AccessExclusive, brief (catalog only) */
    };
    Risk r = base[mode + 1];
    if (mode >= 4 && scan != TRI_NO && r < RISK_HIGH) r = RISK_HIGH;
    if (mode >= 6 && rewrite != TRI_NO) r = RISK_CRITICAL;
    return r;
}

/* The old row of cls that overlaps [first, last] most (NULL when none). */
static const LtRow *best_old(const LockTable *old, const char *cls, int first, int last)
{
    const LtRow *best = NULL;
    int best_ov = -1000;
    for (size_t k = index_first(old, cls); k < old->nrows; k++) {
        const LtRow *r = &old->rows[old->index[k]];
        if (strcmp(r->cls, cls) != 0) break;
        int lo = r->first > first ? r->first : first, hi = r->last < last ? r->last : last;
        int ov = hi - lo; /* negative: the distance */
        if (ov > best_ov) {
            best_ov = ov;
            best = r;
        }
    }
    return best;
}

/* Whether two rows of the old table say the same risk and note: equal
 * neighbours that differ there stay apart, their words kept (SET NOT NULL:
 * high on 10-11, which scan unless the column is NOT NULL already, medium on
 * 12+, which may use a CHECK instead). A major the old table lacks (NULL)
 * joins its neighbour. */
static bool same_words(const LtRow *a, const LtRow *b)
{
    if (!a || !b) return true;
    return a->risk == b->risk && strcmp(a->note ? a->note : "", b->note ? b->note : "") == 0;
}

static int str_ptr_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

LockTable *locktable_regenerate(const LockTable *old, const LtCellObs *obs, size_t nobs)
{
    Grid g = {0};
    /* the old table's cells, in its order */
    for (size_t i = 0; i < old->nrows; i++) {
        const LtRow *r = &old->rows[i];
        size_t c = grid_class(&g, r->cls);
        for (int m = r->first; m <= r->last && m < NMAJ; m++) {
            Cell *x = &g.cells[c * NMAJ + (size_t)m];
            x->have = x->had_old = true;
            x->old_mode = r->mode;
            x->old_rewrite = r->rewrite;
            x->old_scan = r->scan;
            memcpy(x->old_others, r->others, sizeof(x->old_others));
            x->mode = r->mode;
            x->rewrite = r->rewrite;
            x->scan = r->scan;
            memcpy(x->others, r->others, sizeof(x->others));
        }
    }
    /* a major newer than every row of its class (the first run on a new
     * PostgreSQL major) starts from the newest one's row: what statements
     * cannot refute ("depends", locks on other relations, the mode of a
     * sampled statement) carries over, and the new major joins the row when
     * it behaves the same. Not a value of its own: only an observation
     * gives the cell one. */
    for (size_t c = 0; c < g.nclasses; c++) {
        for (int m = 1; m < NMAJ; m++) {
            Cell *x = &g.cells[c * NMAJ + (size_t)m];
            const Cell *prev = &g.cells[c * NMAJ + (size_t)m - 1];
            if (x->had_old || !prev->had_old) continue;
            x->had_old = true;
            x->old_mode = prev->old_mode;
            x->old_rewrite = prev->old_rewrite;
            x->old_scan = prev->old_scan;
            memcpy(x->old_others, prev->old_others, sizeof(x->old_others));
            x->mode = prev->old_mode;
            x->rewrite = prev->old_rewrite;
            x->scan = prev->old_scan;
            memcpy(x->others, prev->old_others, sizeof(x->others));
        }
    }
    /* classes only observed: appended sorted */
    size_t nold = g.nclasses;
    const char **fresh = NULL;
    size_t nfresh = 0, fcap = 0;
    for (size_t i = 0; i < nobs; i++) {
        if (locktable_cell_use(&obs[i]) != LT_USE_USED) continue;
        bool known = false;
        for (size_t k = 0; k < g.nclasses && !known; k++)
            known = strcmp(g.classes[k], obs[i].cls) == 0;
        for (size_t k = 0; k < nfresh && !known; k++)
            known = strcmp(fresh[k], obs[i].cls) == 0;
        if (!known) *ARRAY_PUSH(fresh, nfresh, fcap) = obs[i].cls;
    }
    if (nfresh > 1) qsort(fresh, nfresh, sizeof(*fresh), str_ptr_cmp);
    for (size_t k = 0; k < nfresh; k++)
        grid_class(&g, fresh[k]);
    free(fresh);
    (void)nold;

    /* observations replace whole cells */
    for (size_t i = 0; i < nobs; i++) {
        if (obs[i].major < 0 || obs[i].major >= NMAJ || locktable_cell_use(&obs[i]) != LT_USE_USED)
            continue;
        size_t c = grid_class(&g, obs[i].cls);
        Cell *x = &g.cells[c * NMAJ + (size_t)obs[i].major];
        const LtObs *o = &obs[i].obs;
        if (!x->observed) {
            x->observed = x->have = true;
            x->mode = -1;
            for (int k = 0; k < PREDICTION_NROLES; k++)
                x->others[k] = -1;
        }
        x->nobs++;
        if (o->mode > x->mode) x->mode = o->mode;
        x->nyes_rewrite += o->rewrite;
        if (o->exact) {
            x->nexact++;
            if (!o->no_scans) {
                x->nscans++;
                x->nyes_scan += o->scan;
            }
        }
        for (int k = 0; k < PREDICTION_NROLES; k++)
            if (o->others[k] > x->others[k]) x->others[k] = o->others[k];
    }
    for (size_t c = 0; c < g.nclasses; c++) {
        for (int m = 0; m < NMAJ; m++) {
            Cell *x = &g.cells[c * NMAJ + (size_t)m];
            if (!x->observed) continue;
            x->rewrite = x->nyes_rewrite == 0         ? TRI_NO
                         : x->nyes_rewrite == x->nobs ? TRI_YES
                                                      : TRI_DEPENDS;
            x->scan = x->nyes_scan == 0           ? TRI_NO
                      : x->nyes_scan == x->nscans ? TRI_YES
                                                  : TRI_DEPENDS;
            if (x->nscans == 0) /* no scan counted (capture "phase"): the table's stays */
                x->scan = x->had_old ? x->old_scan : TRI_DEPENDS;
            /* a "depends" of the table stays: statements of one kind cannot
             * refute it (SET LOGGED of a logged table does not rewrite) */
            if (x->had_old && x->old_rewrite == TRI_DEPENDS) x->rewrite = TRI_DEPENDS;
            if (x->had_old && x->old_scan == TRI_DEPENDS) x->scan = TRI_DEPENDS;
            /* nor can they refute a lock on another relation: the table's
             * are upper bounds (DROP TABLE of a table no foreign key
             * references locks no other table) */
            for (int k = 0; x->had_old && k < PREDICTION_NROLES; k++)
                if (x->old_others[k] > x->others[k]) x->others[k] = x->old_others[k];
            if (x->nexact == 0) {
                /* only sampled: lower bounds, no scan counts */
                x->scan = x->had_old ? x->old_scan : TRI_DEPENDS;
                if (x->had_old && x->old_mode > x->mode) x->mode = x->old_mode;
            }
        }
    }

    /* cells back into rows: equal neighbours merged */
    LockTable *t = xcalloc(1, sizeof(*t));
    t->source = xstrdup(old->source);
    t->header = xstrdup(old->header ? old->header : "");
    size_t cap = 0;
    for (size_t c = 0; c < g.nclasses; c++) {
        for (int m = 0; m < NMAJ;) {
            Cell *x = &g.cells[c * NMAJ + (size_t)m];
            if (!x->have) {
                m++;
                continue;
            }
            int last = m;
            while (last + 1 < NMAJ && cell_eq(x, &g.cells[c * NMAJ + (size_t)last + 1]) &&
                   same_words(locktable_lookup(old, g.classes[c], m),
                              locktable_lookup(old, g.classes[c], last + 1)))
                last++;
            LtRow *r = ARRAY_PUSH(t->rows, t->nrows, cap);
            memset(r, 0, sizeof(*r));
            r->cls = xstrdup(g.classes[c]);
            r->first = m;
            r->last = last;
            r->mode = x->mode;
            r->rewrite = x->rewrite;
            r->scan = x->scan;
            memcpy(r->others, x->others, sizeof(r->others));
            const LtRow *o = best_old(old, r->cls, m, last);
            r->risk = o ? o->risk : default_risk(r->mode, r->rewrite, r->scan);
            r->note = xstrdup(o ? o->note : "");
            m = last + 1;
        }
    }
    free(g.classes);
    free(g.cells);
    build_index(t);
    return t;
}

/* ---- output ------------------------------------------------------------ */

void locktable_format_row(const LtRow *r, Buf *out)
{
    buf_printf(out, "%s\t%d\t%d\t%s\t%s\t%s\t", r->cls, r->first, r->last, lock_mode_label(r->mode),
               tri_name(r->rewrite), tri_name(r->scan));
    others_str(r->others, out);
    buf_printf(out, "\t%s\t%s", risk_name(r->risk), r->note ? r->note : "");
}

void locktable_format_tsv(const LockTable *t, Buf *out)
{
    if (t->header) buf_puts(out, t->header);
    for (size_t i = 0; i < NCOLS; i++)
        buf_printf(out, "%s%s", i ? "\t" : "", columns[i]);
    buf_putc(out, '\n');
    for (size_t i = 0; i < t->nrows; i++) {
        locktable_format_row(&t->rows[i], out);
        buf_putc(out, '\n');
    }
}

void locktable_format_json(const LockTable *t, Buf *out)
{
    JsonW w;
    json_init(&w, out, true);
    json_obj_begin(&w);
    json_key(&w, "columns");
    json_arr_begin(&w);
    for (size_t i = 0; i < NCOLS; i++)
        json_str(&w, columns[i]);
    json_arr_end(&w);
    json_key(&w, "rows");
    json_arr_begin(&w);
    for (size_t i = 0; i < t->nrows; i++) {
        const LtRow *r = &t->rows[i];
        json_obj_begin(&w);
        json_key(&w, "class");
        json_str(&w, r->cls);
        json_key(&w, "first");
        json_int(&w, r->first);
        json_key(&w, "last");
        json_int(&w, r->last);
        json_key(&w, "mode");
        json_str(&w, r->mode >= 0 ? lock_mode_label(r->mode) : NULL);
        json_key(&w, "rewrite");
        json_str(&w, tri_name(r->rewrite));
        json_key(&w, "scan");
        json_str(&w, tri_name(r->scan));
        json_key(&w, "others");
        json_obj_begin(&w);
        for (int k = 0; k < PREDICTION_NROLES; k++) {
            if (r->others[k] < 0) continue;
            json_key(&w, role_names[k]);
            json_str(&w, lock_mode_label(r->others[k]));
        }
        json_obj_end(&w);
        json_key(&w, "risk");
        json_str(&w, risk_name(r->risk));
        json_key(&w, "note");
        json_str(&w, r->note);
        json_obj_end(&w);
    }
    json_arr_end(&w);
    json_obj_end(&w);
    buf_putc(out, '\n');
}

/* Whether table t has a row whose TSV line is line. */
static bool has_line(const LockTable *t, const char *cls, const char *line, Buf *tmp)
{
    for (size_t k = index_first(t, cls); k < t->nrows; k++) {
        const LtRow *r = &t->rows[t->index[k]];
        if (strcmp(r->cls, cls) != 0) break;
        buf_reset(tmp);
        locktable_format_row(r, tmp);
        if (strcmp(tmp->data, line) == 0) return true;
    }
    return false;
}

/* The observations a diff shows as evidence under the rows it adds. */
typedef struct Evidence {
    const LtCellObs *obs;
    size_t nobs;
    size_t max; /* lines per row, 0: all */
} Evidence;

/* One line of evidence: a statement and what it requested on some majors. */
typedef struct EvLine {
    const char *path; /* points into the observations */
    int line;
    int mode;
    char *what;  /* owned */
    int *majors; /* ascending, distinct; owned */
    size_t nmajors, cap;
} EvLine;

static bool str_eq_null(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static void evline_print(const EvLine *l, Buf *out)
{
    buf_printf(out, "    %s:%d on ", l->path ? l->path : "(statement)", l->line);
    versions_ranges(l->majors, l->nmajors, out);
    buf_printf(out, ": requested %s\n", l->what);
}

/* Under a row the diff adds: the used observations of its class and
 * majors, those that set its mode first. */
static void row_evidence(const LtRow *r, const Evidence *ev, Buf *out)
{
    EvLine *lines = NULL;
    size_t n = 0, cap = 0;
    Buf what;
    buf_init(&what);
    for (size_t i = 0; i < ev->nobs; i++) {
        const LtCellObs *o = &ev->obs[i];
        if (o->major < r->first || o->major > r->last || locktable_cell_use(o) != LT_USE_USED ||
            strcmp(o->cls, r->cls) != 0)
            continue;
        buf_reset(&what);
        locktable_obs_describe(&o->obs, &what);
        EvLine *l = NULL;
        for (size_t k = 0; k < n && !l; k++)
            if (lines[k].line == o->line && str_eq_null(lines[k].path, o->path) &&
                strcmp(lines[k].what, what.data) == 0)
                l = &lines[k];
        if (!l) {
            l = ARRAY_PUSH(lines, n, cap);
            memset(l, 0, sizeof(*l));
            l->path = o->path;
            l->line = o->line;
            l->mode = o->obs.mode;
            l->what = xstrdup(what.data);
        }
        size_t at = l->nmajors;
        while (at > 0 && l->majors[at - 1] > o->major)
            at--;
        if (at > 0 && l->majors[at - 1] == o->major) continue;
        ARRAY_PUSH(l->majors, l->nmajors, l->cap);
        memmove(&l->majors[at + 1], &l->majors[at], (l->nmajors - 1 - at) * sizeof(int));
        l->majors[at] = o->major;
    }
    if (n == 0) buf_puts(out, "    no observation on these versions: kept from the table\n");
    size_t shown = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t k = 0; k < n; k++) {
            if ((lines[k].mode == r->mode) != (pass == 0)) continue;
            if (ev->max == 0 || shown < ev->max) evline_print(&lines[k], out);
            shown++;
        }
    if (ev->max && shown > ev->max) buf_printf(out, "    ... %zu more\n", shown - ev->max);
    for (size_t k = 0; k < n; k++) {
        free(lines[k].what);
        free(lines[k].majors);
    }
    free(lines);
    buf_free(&what);
}

/* Prints the rows of class cls in x (file order) missing from y, with mark;
 * under each, its evidence when ev is not NULL. */
static size_t diff_class(const LockTable *x, const LockTable *y, const char *cls, char mark,
                         const Evidence *ev, Buf *out)
{
    size_t n = 0;
    Buf line, tmp;
    buf_init(&line);
    buf_init(&tmp);
    for (size_t k = index_first(x, cls); k < x->nrows; k++) {
        const LtRow *r = &x->rows[x->index[k]];
        if (strcmp(r->cls, cls) != 0) break;
        buf_reset(&line);
        locktable_format_row(r, &line);
        if (!has_line(y, cls, line.data, &tmp)) {
            buf_printf(out, "%c %s\n", mark, line.data);
            if (ev) row_evidence(r, ev, out);
            n++;
        }
    }
    buf_free(&line);
    buf_free(&tmp);
    return n;
}

static bool has_class(const LockTable *t, const char *cls)
{
    size_t k = index_first(t, cls);
    return k < t->nrows && strcmp(t->rows[t->index[k]].cls, cls) == 0;
}

/* True when row i is the first of its class in file order. */
static bool first_of_class(const LockTable *t, size_t i)
{
    for (size_t k = 0; k < i; k++)
        if (strcmp(t->rows[k].cls, t->rows[i].cls) == 0) return false;
    return true;
}

static size_t diff_tables(const LockTable *a, const LockTable *b, const Evidence *ev, Buf *out)
{
    size_t n = 0;
    /* classes in b's order, then those only in a */
    for (size_t i = 0; i < b->nrows; i++) {
        if (!first_of_class(b, i)) continue;
        n += diff_class(a, b, b->rows[i].cls, '-', NULL, out);
        n += diff_class(b, a, b->rows[i].cls, '+', ev, out);
    }
    for (size_t i = 0; i < a->nrows; i++)
        if (first_of_class(a, i) && !has_class(b, a->rows[i].cls))
            n += diff_class(a, b, a->rows[i].cls, '-', NULL, out);
    return n;
}

size_t locktable_diff(const LockTable *a, const LockTable *b, Buf *out)
{
    return diff_tables(a, b, NULL, out);
}

size_t locktable_diff_evidence(const LockTable *a, const LockTable *b, const LtCellObs *obs,
                               size_t nobs, size_t max_evidence, Buf *out)
{
    Evidence ev = {.obs = obs, .nobs = nobs, .max = max_evidence};
    return diff_tables(a, b, &ev, out);
}
