/*
 * relations_ddl: the relations every statement but ALTER TABLE locks and
 * rewrites (predict/relations_int.h).
 *
 * Each form below was traced on servers 10 to 18 (tests/relations/ddl/ holds
 * the probes); where PostgreSQL changed, the rule says from which major.
 * Queries (SELECT, DML, CREATE TABLE AS, views) lock what they read at
 * AccessShareLock, and the planner opens the indexes of each relation it
 * plans (at AccessShareLock before 12, at the relation's own mode since 12,
 * when the range table carries rellockmode); a partitioned table's own
 * indexes are opened by the planner from 16 on.
 */
#include "predict/relations_int.h"

#include <stdlib.h>
#include <string.h>

#include <pg_query.h>

#include "predict/pgtree.h"

/* ---- names in parse trees ------------------------------------------------------------ */

static const char *str_of(const PgQuery__Node *n)
{
    return n && n->node_case == PG_QUERY__NODE__NODE_STRING && n->string ? n->string->sval : NULL;
}

/* The relation a qualified name (a List of String: [schema,] name) names;
 * the last skip items are not part of it (DROP TRIGGER's trigger name). */
static const SchemaRel *rel_of_names(RelCtx *c, PgQuery__Node *const *items, size_t n, size_t skip,
                                     const char **name)
{
    if (n < 1 + skip) return NULL;
    n -= skip;
    const char *rel = str_of(items[n - 1]);
    const char *schema = n >= 2 ? str_of(items[n - 2]) : NULL;
    if (name) *name = rel;
    return rel ? schema_rel(c->s, schema, rel) : NULL;
}

static const SchemaRel *rel_of_list(RelCtx *c, const PgQuery__Node *obj, size_t skip,
                                    const char **name)
{
    if (!obj || obj->node_case != PG_QUERY__NODE__NODE_LIST) return NULL;
    return rel_of_names(c, obj->list->items, obj->list->n_items, skip, name);
}

/* The relation rv names; an unknown one is said once. */
static const SchemaRel *need_rv(RelCtx *c, const PgQuery__RangeVar *rv)
{
    const SchemaRel *r = rel_of_rv(c, rv);
    if (!r && rv && rv->relname) rel_unknown(c, "table %s not defined in the corpus", rv->relname);
    return r;
}

/* Whether r has a TOAST table. A materialized view's columns come from its
 * query: the model does not know them, so it has one when a relation it
 * reads has one (a toastable column most likely came from there). On 10 a
 * partitioned table still had one, as its partitions (the same columns). */
static bool has_toast(const RelCtx *c, const SchemaRel *r)
{
    if (!r) return false;
    if (r->has_toast) return true;
    if (r->kind == SCHEMA_REL_PARTITIONED && c->major < 11) {
        for (size_t i = 0; i < r->nchildren; i++)
            if (has_toast(c, r->children[i])) return true;
        return false;
    }
    if (r->kind != SCHEMA_REL_MATVIEW || !r->cols_unknown) return false;
    for (size_t i = 0; i < r->ndeps; i++)
        if (has_toast(c, r->deps[i])) return true;
    return false;
}

/* An index of a partitioned table (relkind I). */
static bool is_part_index(const SchemaRel *x)
{
    return x->table && x->table->kind == SCHEMA_REL_PARTITIONED;
}

static bool same_cols(char *const *a, size_t na, char *const *b, size_t nb)
{
    if (na != nb) return false;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i], b[i]) != 0) return false;
    return true;
}

/* Whether index x exists on major. The model keeps a CREATE INDEX on a
 * partitioned table and its copies on the partitions, which 10 refuses: a
 * partition's index on the keys of one of its parent's is such a copy. */
static bool index_exists(const RelCtx *c, const SchemaRel *x)
{
    if (c->major >= 11) return true;
    if (is_part_index(x)) return false;
    const SchemaRel *t = x->table;
    for (size_t i = 0; t && t->is_partition && i < t->nparents; i++)
        for (size_t k = 0; k < t->parents[i]->nindexes; k++) {
            const SchemaRel *px = t->parents[i]->indexes[k];
            if (px->keys && x->keys && same_cols(px->keys, px->nkeys, x->keys, x->nkeys))
                return false;
        }
    return true;
}

/* The partitions and inheritance children of r at every depth, parents
 * before their children, each once; into *out (free()). */
static size_t family(const SchemaRel *r, const SchemaRel ***out)
{
    const SchemaRel **v = NULL;
    size_t n = 0;
    for (size_t i = 0; i < r->nchildren; i++) {
        v = xrealloc(v, (n + 1) * sizeof(*v));
        v[n++] = r->children[i];
    }
    for (size_t i = 0; i < n && n < 4096; i++)
        for (size_t k = 0; k < v[i]->nchildren; k++) {
            bool seen = false;
            for (size_t j = 0; j < n && !seen; j++)
                seen = v[j] == v[i]->children[k];
            if (seen) continue;
            v = xrealloc(v, (n + 1) * sizeof(*v));
            v[n++] = v[i]->children[k];
        }
    *out = v;
    return n;
}

/* r's TOAST table (at tmode) and its index (at imode), -1: not locked; and
 * their new storage where rw_table, rw_index. Nothing when r has none
 * (has_toast). */
static void toast_family(RelCtx *c, const SchemaRel *r, int tmode, int imode, bool rw_table,
                         bool rw_index)
{
    if (has_toast(c, r)) rel_toast(c, r, tmode, imode, rw_table, rw_index);
}

static void lock_toast(RelCtx *c, const SchemaRel *r, int mode)
{
    toast_family(c, r, mode, mode, false, false);
}

/* r's new storage (rel_rewrite), with the TOAST table has_toast finds and
 * only the indexes that exist on the major. */
static void rewrite(RelCtx *c, const SchemaRel *r)
{
    char *n = rel_name(r);
    if (r->kind != SCHEMA_REL_PARTITIONED) rel_rewrite_name(c, n);
    for (size_t i = 0; i < r->nindexes; i++) {
        if (is_part_index(r->indexes[i]) || !index_exists(c, r->indexes[i])) continue;
        char *in = rel_name(r->indexes[i]);
        rel_rewrite_name(c, in);
        free(in);
    }
    free(n);
    toast_family(c, r, -1, -1, true, true);
}

/* Whether the target's row says it is rewritten (TRI_DEPENDS: say nothing). */
static bool row_rewrites(const RelCtx *c)
{
    return c->row && c->row->predicted && c->row->rewrite == TRI_YES;
}

/* Takes back a lock the core predicted: a DROP/ALTER ... IF EXISTS of what
 * does not exist locks nothing. */
static void unlock_name(RelCtx *c, const char *name)
{
    RelPred *p = c->out;
    for (size_t i = 0; name && i < p->nlocks; i++)
        if (strcmp(p->locks[i].relation, name) == 0) {
            free(p->locks[i].relation);
            memmove(&p->locks[i], &p->locks[i + 1], (p->nlocks - i - 1) * sizeof(*p->locks));
            p->nlocks--;
            return;
        }
}

/* The same for the relation a RangeVar names, by the core's name for it. */
static void unlock_rv(RelCtx *c, const PgQuery__RangeVar *rv)
{
    if (!rv || !rv->relname) return;
    if (!rv->schemaname || !*rv->schemaname || strcmp(rv->schemaname, "public") == 0) {
        unlock_name(c, rv->relname);
        return;
    }
    char *n = xasprintf("%s.%s", rv->schemaname, rv->relname);
    unlock_name(c, n);
    free(n);
}

/* r's indexes that exist on the major. */
static void lock_indexes(RelCtx *c, const SchemaRel *r, int mode)
{
    for (size_t i = 0; r && i < r->nindexes; i++)
        if (index_exists(c, r->indexes[i])) rel_lock(c, r->indexes[i], REL_INDEX, mode);
}

/* Each partition (or inheritance child) of r at every depth, at mode, with
 * its indexes at imode (-1: not) and its TOAST at tmode (-1: not). */
static void lock_family(RelCtx *c, const SchemaRel *r, int mode, int imode, int tmode)
{
    const SchemaRel **parts;
    size_t n = family(r, &parts);
    for (size_t i = 0; i < n; i++) {
        rel_lock(c, parts[i], REL_PARTITION, mode);
        if (imode >= 0) lock_indexes(c, parts[i], imode);
        if (tmode >= 0) lock_toast(c, parts[i], tmode);
    }
    free(parts);
}

/* ---- queries --------------------------------------------------------------------------- */

typedef struct Query {
    RelCtx *c;
    int mode;  /* the mode relations read are locked at */
    bool plan; /* the query is planned: indexes are opened and views expanded */
    char **ctes;
    size_t nctes;
    const PgQuery__RangeVar *skip; /* a DML target the walk meets: locked by its own rule */
    const ProtobufCMessage *top;   /* the statement walked: a DML below it is a CTE's */
    bool rows; /* it certainly produces rows: the nextval() it calls are drawn */
} Query;

static void read_rel(Query *q, const SchemaRel *r, bool inh, int depth);

static void read_planned_indexes(Query *q, const SchemaRel *r)
{
    RelCtx *c = q->c;
    int imode = c->major >= 12 ? q->mode : RL_ACCESS_SHARE;
    for (size_t i = 0; i < r->nindexes; i++) {
        if ((is_part_index(r->indexes[i]) && c->major < 16) || !index_exists(c, r->indexes[i]))
            continue;
        rel_lock(c, r->indexes[i], REL_INDEX, imode);
    }
}

static void read_rel(Query *q, const SchemaRel *r, bool inh, int depth)
{
    RelCtx *c = q->c;
    if (!r || depth > 16) return;
    rel_lock(c, r, REL_SOURCE, q->mode);
    if (!q->plan) return;
    if (r->kind == SCHEMA_REL_VIEW) {
        /* the rewriter expands it: the planner meets what it reads */
        for (size_t i = 0; i < r->ndeps; i++)
            read_rel(q, r->deps[i], true, depth + 1);
        return;
    }
    read_planned_indexes(q, r);
    if (!inh) return;
    const SchemaRel **parts;
    size_t n = family(r, &parts);
    for (size_t i = 0; i < n; i++) {
        rel_lock(c, parts[i], REL_PARTITION, q->mode);
        read_planned_indexes(q, parts[i]);
    }
    free(parts);
}

static bool is_cte(const Query *q, const PgQuery__RangeVar *rv)
{
    if (rv->schemaname && *rv->schemaname) return false;
    for (size_t i = 0; i < q->nctes; i++)
        if (strcmp(q->ctes[i], rv->relname) == 0) return true;
    return false;
}

static bool collect_ctes(const ProtobufCMessage *m, void *ctx)
{
    Query *q = ctx;
    if (m->descriptor == &pg_query__common_table_expr__descriptor) {
        const PgQuery__CommonTableExpr *e = (const PgQuery__CommonTableExpr *)m;
        if (e->ctename) {
            q->ctes = xrealloc(q->ctes, (q->nctes + 1) * sizeof(*q->ctes));
            q->ctes[q->nctes++] = e->ctename;
        }
    }
    return true;
}

/* The sequence named by the text of a regclass constant ('seq',
 * 'app.seq'), drawn from: RowExclusiveLock. */
static void lock_seq_named(RelCtx *c, const char *name)
{
    /* 'schema.name' (an unquoted name folds to lower case: the model's names are) */
    char *text = xstrdup(name), *dot = strchr(text, '.');
    for (char *p = text; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
    const SchemaRel *s =
        dot ? (*dot = 0, schema_rel(c->s, text, dot + 1)) : schema_rel(c->s, NULL, text);
    if (s)
        rel_lock(c, s, REL_SEQUENCE, RL_ROW_EXCLUSIVE);
    else
        rel_unknown(c, "sequence %s not defined in the corpus", name);
    free(text);
}

/* The sequence a nextval/setval/currval call names by a constant. */
static void seq_call(RelCtx *c, const PgQuery__FuncCall *f)
{
    const char *fn = f->n_funcname ? str_of(f->funcname[f->n_funcname - 1]) : NULL;
    if (!fn ||
        (strcmp(fn, "nextval") != 0 && strcmp(fn, "setval") != 0 && strcmp(fn, "currval") != 0) ||
        f->n_args < 1)
        return;
    const PgQuery__Node *a = f->args[0];
    if (a->node_case == PG_QUERY__NODE__NODE_TYPE_CAST) a = a->type_cast->arg;
    if (!a || a->node_case != PG_QUERY__NODE__NODE_A_CONST ||
        a->a_const->val_case != PG_QUERY__A__CONST__VAL_SVAL)
        return;
    lock_seq_named(c, a->a_const->sval->sval);
}

static bool visit_seq_calls(const ProtobufCMessage *m, void *ctx)
{
    if (m->descriptor == &pg_query__func_call__descriptor)
        seq_call(ctx, (const PgQuery__FuncCall *)m);
    return true;
}

void rel_lock_seq_calls(RelCtx *c, const ProtobufCMessage *n)
{
    if (n) pgtree_walk(n, visit_seq_calls, c);
}

static bool do_insert(RelCtx *c, const PgQuery__InsertStmt *st);
static bool do_update(RelCtx *c, const PgQuery__UpdateStmt *st);
static bool do_delete(RelCtx *c, const PgQuery__DeleteStmt *st);

static bool visit_query(const ProtobufCMessage *m, void *ctx)
{
    Query *q = ctx;
    /* a data-modifying WITH: its statement writes as it would alone */
    if (m != q->top) {
        if (m->descriptor == &pg_query__insert_stmt__descriptor) {
            do_insert(q->c, (const PgQuery__InsertStmt *)m);
            return false;
        }
        if (m->descriptor == &pg_query__update_stmt__descriptor) {
            do_update(q->c, (const PgQuery__UpdateStmt *)m);
            return false;
        }
        if (m->descriptor == &pg_query__delete_stmt__descriptor) {
            do_delete(q->c, (const PgQuery__DeleteStmt *)m);
            return false;
        }
    }
    if (m->descriptor == &pg_query__range_var__descriptor) {
        const PgQuery__RangeVar *rv = (const PgQuery__RangeVar *)m;
        if (rv == q->skip || !rv->relname || is_cte(q, rv)) return false;
        read_rel(q, need_rv(q->c, rv), rv->inh, 0);
        return false;
    }
    if (m->descriptor == &pg_query__func_call__descriptor && q->rows)
        seq_call(q->c, (const PgQuery__FuncCall *)m);
    return true;
}

/* Every relation the parse tree below n reads; rows: it certainly produces
 * rows, so the nextval() calls it makes are drawn. */
static void read_query_rows(RelCtx *c, const ProtobufCMessage *n, int mode, bool plan,
                            const PgQuery__RangeVar *skip, bool rows)
{
    if (!n) return;
    Query q = {c, mode, plan, NULL, 0, skip, n, rows};
    pgtree_walk(n, collect_ctes, &q);
    pgtree_walk(n, visit_query, &q);
    free(q.ctes);
}

/* Whether the tree below n reads a relation other than skip (a CTE's name
 * aside): its rows then depend on data the model does not know. */
static bool find_relation(const ProtobufCMessage *m, void *ctx)
{
    Query *q = ctx;
    if (m->descriptor != &pg_query__range_var__descriptor) return !q->rows;
    const PgQuery__RangeVar *rv = (const PgQuery__RangeVar *)m;
    if (rv != q->skip && rv->relname && !is_cte(q, rv) && rel_of_rv(q->c, rv)) q->rows = true;
    return false;
}

static bool reads_relation(RelCtx *c, const ProtobufCMessage *n, const PgQuery__RangeVar *skip)
{
    if (!n) return false;
    Query q = {c, 0, false, NULL, 0, skip, n, false};
    pgtree_walk(n, collect_ctes, &q);
    pgtree_walk(n, find_relation, &q);
    free(q.ctes);
    return q.rows;
}

/* The same for a statement whose rows come from what it reads: certain when
 * it reads no relation (VALUES, generate_series, constants). DML and SELECT
 * ask the model whether the tables they read may hold rows instead
 * (select_rows, modify_rows). */
static void read_query(RelCtx *c, const ProtobufCMessage *n, int mode, bool plan,
                       const PgQuery__RangeVar *skip)
{
    read_query_rows(c, n, mode, plan, skip, n && !reads_relation(c, n, skip));
}

/* ---- foreign keys ---------------------------------------------------------------------- */

/* The RI checks of a row written to r: the referenced table at RowShareLock
 * (SELECT ... FOR KEY SHARE), and, as the check's query is planned, every
 * index of it (at AccessShareLock before 12). */
static void fk_check(RelCtx *c, const SchemaConstraint *k)
{
    if (!k->ref) {
        rel_unknown(c, "the table foreign key %s references is not defined in the corpus", k->name);
        return;
    }
    rel_lock(c, k->ref, REL_REFERENCED, RL_ROW_SHARE);
    lock_indexes(c, k->ref, c->major >= 12 ? RL_ROW_SHARE : RL_ACCESS_SHARE);
}

static void fk_checks(RelCtx *c, const SchemaRel *r)
{
    for (size_t i = 0; i < r->ncons; i++)
        if (r->cons[i].kind == SCHEMA_CON_FOREIGN) fk_check(c, &r->cons[i]);
}

/* ---- DML and queries ------------------------------------------------------------------- */

static bool listed(PgQuery__Node *const *cols, size_t n, const char *col)
{
    for (size_t i = 0; i < n; i++)
        if (cols[i]->node_case == PG_QUERY__NODE__NODE_RES_TARGET && cols[i]->res_target->name &&
            strcmp(cols[i]->res_target->name, col) == 0)
            return true;
    return false;
}

/* How many columns an INSERT without a column list fills: the first VALUES
 * row's length, or the SELECT's targets (SIZE_MAX: a star, all). */
static size_t insert_width(const PgQuery__InsertStmt *st)
{
    const PgQuery__Node *s = st->select_stmt;
    if (!s || s->node_case != PG_QUERY__NODE__NODE_SELECT_STMT) return SIZE_MAX;
    const PgQuery__SelectStmt *sel = s->select_stmt;
    if (sel->n_values_lists) {
        const PgQuery__Node *row = sel->values_lists[0];
        return row->node_case == PG_QUERY__NODE__NODE_LIST ? row->list->n_items : SIZE_MAX;
    }
    for (size_t i = 0; i < sel->n_target_list; i++) {
        const PgQuery__Node *t = sel->target_list[i];
        if (t->node_case == PG_QUERY__NODE__NODE_RES_TARGET && t->res_target->val &&
            t->res_target->val->node_case == PG_QUERY__NODE__NODE_COLUMN_REF) {
            const PgQuery__ColumnRef *cr = t->res_target->val->column_ref;
            if (cr->n_fields &&
                cr->fields[cr->n_fields - 1]->node_case == PG_QUERY__NODE__NODE_A_STAR)
                return SIZE_MAX;
        }
    }
    return sel->n_target_list ? sel->n_target_list : SIZE_MAX;
}

/* Whether the first VALUES row of an INSERT without a column list writes
 * DEFAULT at position pos. */
static bool values_default(const PgQuery__InsertStmt *st, size_t pos)
{
    const PgQuery__Node *s = st->select_stmt;
    if (st->n_cols || !s || s->node_case != PG_QUERY__NODE__NODE_SELECT_STMT ||
        !s->select_stmt->n_values_lists)
        return false;
    const PgQuery__Node *row = s->select_stmt->values_lists[0];
    return row->node_case == PG_QUERY__NODE__NODE_LIST && pos < row->list->n_items &&
           row->list->items[pos]->node_case == PG_QUERY__NODE__NODE_SET_TO_DEFAULT;
}

static bool draws_nextval(const SchemaColumn *col)
{
    for (size_t i = 0; i < col->ndefault_funcs; i++)
        if (strcmp(col->default_funcs[i], "nextval") == 0) return true;
    return false;
}

static const SchemaRel *owned_seq(const SchemaRel *r, const char *col)
{
    for (size_t i = 0; i < r->nseqs; i++)
        if (r->seqs[i]->owner_col && strcmp(r->seqs[i]->owner_col, col) == 0) return r->seqs[i];
    return NULL;
}

/* Whether a SELECT makes rows: VALUES, or a FROM whose relations may all
 * hold rows (schema_select_rows: the chain's tables start empty, a dump's
 * have rows); a WHERE is taken to let them through. */
static bool select_rows(RelCtx *c, const PgQuery__SelectStmt *sel)
{
    return schema_select_rows(c->s, sel);
}

static bool insert_rows(RelCtx *c, const PgQuery__InsertStmt *st)
{
    const PgQuery__Node *s = st->select_stmt;
    if (!s) return true; /* DEFAULT VALUES */
    return s->node_case == PG_QUERY__NODE__NODE_SELECT_STMT && select_rows(c, s->select_stmt);
}

static bool do_insert(RelCtx *c, const PgQuery__InsertStmt *st)
{
    const SchemaRel *r = need_rv(c, st->relation);
    /* the sequences drawn and the foreign keys checked row by row: only when
       it makes rows (select_rows) */
    bool rows = insert_rows(c, st);
    read_query_rows(c, &st->base, RL_ACCESS_SHARE, true, st->relation, rows);
    if (!r) return false;
    rel_lock(c, r, REL_TARGET, RL_ROW_EXCLUSIVE);
    /* the defaults that draw from owned sequences: columns the statement leaves out */
    size_t width = st->n_cols ? 0 : insert_width(st);
    for (size_t i = 0; rows && i < r->ncols; i++) {
        const SchemaColumn *col = &r->cols[i];
        bool given = st->n_cols ? listed(st->cols, st->n_cols, col->name) : i < width;
        if (given && values_default(st, i)) given = false;
        if (given || !col->has_default || !draws_nextval(col) || owned_seq(r, col->name)) continue;
        for (size_t k = 0; k < col->ndefault_seqs; k++)
            lock_seq_named(c, col->default_seqs[k]);
        if (!col->ndefault_seqs)
            rel_unknown(c, "the sequence the default of %s.%s draws from is not in the model",
                        r->name, col->name);
    }
    for (size_t i = 0; rows && i < r->nseqs; i++) {
        const SchemaRel *s = r->seqs[i];
        if (!s->owner_col) continue;
        const SchemaColumn *col = schema_column(r, s->owner_col);
        if (!col || (!col->has_default && !col->identity)) continue;
        size_t pos = (size_t)(col - r->cols);
        bool given = st->n_cols ? listed(st->cols, st->n_cols, s->owner_col) : pos < width;
        if (given && !st->n_cols && values_default(st, pos)) given = false;
        if (!given) rel_lock(c, s, REL_SEQUENCE, RL_ROW_EXCLUSIVE);
    }
    /* ON CONFLICT: a conflict target is inferred at planning, opening every
       index; without one they are opened at the first row */
    if (st->on_conflict_clause && (st->on_conflict_clause->infer || rows))
        lock_indexes(c, r, RL_ROW_EXCLUSIVE);
    if (r->kind == SCHEMA_REL_PARTITIONED) {
        /* before 12 tuple routing locked every partition up front; since,
           only those rows go to. The rows of VALUES name their partitions by
           bounds the model does not keep; those of a query are taken to
           reach every one (generate_series, or a table's rows: a partition
           they miss is predicted locked, never one they reach missed) */
        bool query = rows && st->select_stmt &&
                     st->select_stmt->node_case == PG_QUERY__NODE__NODE_SELECT_STMT &&
                     !st->select_stmt->select_stmt->n_values_lists;
        if (c->major < 12 || query)
            lock_family(c, r, RL_ROW_EXCLUSIVE, -1, -1);
        else
            return false;
    }
    if (!rows) return true;
    fk_checks(c, r);
    /* a row written straight into a partition is checked against its
       bound, which reads the parent from 14 */
    for (size_t i = 0; r->is_partition && c->major >= 14 && i < r->nparents; i++)
        rel_lock(c, r->parents[i], REL_PARENT, RL_ACCESS_SHARE);
    return true;
}

/* The target of UPDATE/DELETE: it and its indexes at RowExclusiveLock, and
 * its partitions with theirs (no pruning is assumed). */
static void modify_target(RelCtx *c, const SchemaRel *r, bool inh)
{
    rel_lock(c, r, REL_TARGET, RL_ROW_EXCLUSIVE);
    for (size_t i = 0; i < r->nindexes; i++)
        if ((!is_part_index(r->indexes[i]) || c->major >= 16) && index_exists(c, r->indexes[i]))
            rel_lock(c, r->indexes[i], REL_INDEX, RL_ROW_EXCLUSIVE);
    if (inh) lock_family(c, r, RL_ROW_EXCLUSIVE, RL_ROW_EXCLUSIVE, -1);
}

/* Whether the rows an UPDATE or DELETE meets may exist: its target and
 * every table of its FROM or USING may hold rows. */
static bool modify_rows(RelCtx *c, const SchemaRel *r, const PgQuery__RangeVar *rv,
                        PgQuery__Node *const *from, size_t nfrom)
{
    if (!schema_has_rows(r, rv->inh)) return false;
    for (size_t i = 0; i < nfrom; i++)
        if (from[i]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR &&
            !schema_has_rows(rel_of_rv(c, from[i]->range_var), from[i]->range_var->inh))
            return false;
    return true;
}

static bool is_null_const(const PgQuery__Node *n)
{
    return n && n->node_case == PG_QUERY__NODE__NODE_A_CONST && n->a_const->isnull;
}

/* Whether an UPDATE's SET changes one of cols (nonnull: to a value other
 * than NULL, as a new foreign key is checked only then). */
static bool sets_cols(const PgQuery__UpdateStmt *st, char *const *cols, size_t ncols, bool nonnull)
{
    for (size_t t = 0; t < st->n_target_list; t++) {
        const PgQuery__Node *n = st->target_list[t];
        if (n->node_case != PG_QUERY__NODE__NODE_RES_TARGET || !n->res_target->name) continue;
        for (size_t j = 0; j < ncols; j++)
            if (strcmp(cols[j], n->res_target->name) == 0 &&
                !(nonnull && is_null_const(n->res_target->val)))
                return true;
    }
    return false;
}

/* The action a key's change or delete fires on the referencing table f
 * (action as pg_constraint's confupdtype/confdeltype): NO ACTION and
 * RESTRICT read it (SELECT ... FOR KEY SHARE: RowShareLock, its indexes as
 * fk_check), CASCADE, SET NULL and SET DEFAULT write it (as modify_target). */
static void ri_action(RelCtx *c, const SchemaRel *f, char action)
{
    if (action == 'a' || action == 'r') {
        rel_lock(c, f, REL_REFERENCING, RL_ROW_SHARE);
        lock_indexes(c, f, c->major >= 12 ? RL_ROW_SHARE : RL_ACCESS_SHARE);
    } else
        modify_target(c, f, false);
}

static bool do_update(RelCtx *c, const PgQuery__UpdateStmt *st)
{
    const SchemaRel *r = need_rv(c, st->relation);
    /* rows only when its target (and FROM) may hold some (modify_rows):
       then the nextval() of its SET are drawn and the foreign keys it sets
       checked */
    bool rows = r && modify_rows(c, r, st->relation, st->from_clause, st->n_from_clause);
    read_query_rows(c, &st->base, RL_ACCESS_SHARE, true, st->relation, rows);
    if (!r) return false;
    if (r->kind == SCHEMA_REL_VIEW) return false;
    modify_target(c, r, st->relation->inh);
    for (size_t i = 0; rows && i < r->ncons; i++)
        if (r->cons[i].kind == SCHEMA_CON_FOREIGN &&
            sets_cols(st, r->cons[i].cols, r->cons[i].ncols, true))
            fk_check(c, &r->cons[i]);
    /* a referenced key changed fires the referencing side's ON UPDATE */
    for (size_t i = 0; rows && i < r->nrefby; i++)
        for (size_t k = 0; k < r->refby[i]->ncons; k++) {
            const SchemaConstraint *fk = &r->refby[i]->cons[k];
            if (fk->kind == SCHEMA_CON_FOREIGN && fk->ref == r &&
                sets_cols(st, fk->ref_cols, fk->nref_cols, false))
                ri_action(c, r->refby[i], fk->upd_action);
        }
    return true;
}

/* The actions the rows deleted from r fire on the tables referencing it
 * (ri_action); a referencing table that may hold rows passes a cascade on. */
static void delete_actions(RelCtx *c, const SchemaRel *r, int depth)
{
    for (size_t i = 0; depth < 8 && i < r->nrefby; i++) {
        const SchemaRel *f = r->refby[i];
        for (size_t k = 0; k < f->ncons; k++) {
            const SchemaConstraint *fk = &f->cons[k];
            if (fk->kind != SCHEMA_CON_FOREIGN || fk->ref != r) continue;
            ri_action(c, f, fk->del_action);
            if (fk->del_action == 'c' && f != r && schema_has_rows(f, false))
                delete_actions(c, f, depth + 1);
        }
    }
}

static bool do_delete(RelCtx *c, const PgQuery__DeleteStmt *st)
{
    const SchemaRel *r = need_rv(c, st->relation);
    bool rows = r && modify_rows(c, r, st->relation, st->using_clause, st->n_using_clause);
    read_query_rows(c, &st->base, RL_ACCESS_SHARE, true, st->relation, rows);
    if (!r) return false;
    if (r->kind == SCHEMA_REL_VIEW) return false;
    modify_target(c, r, st->relation->inh);
    /* the rows deleted fire the referencing side's actions */
    if (rows) delete_actions(c, r, 0);
    return true;
}

static bool do_select(RelCtx *c, const PgQuery__SelectStmt *st)
{
    bool rowmarks = st->n_locking_clause > 0;
    if (st->into_clause) {
        /* SELECT INTO: CREATE TABLE AS */
        read_query(c, &st->base, RL_ACCESS_SHARE, true, st->into_clause->rel);
        return true;
    }
    read_query_rows(c, &st->base, rowmarks ? RL_ROW_SHARE : RL_ACCESS_SHARE, true, NULL,
                    select_rows(c, st));
    return true;
}

/* ---- CREATE ---------------------------------------------------------------------------- */

static void fk_reference(RelCtx *c, const PgQuery__Constraint *k)
{
    if (k->contype != PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN || !k->pktable) return;
    rel_lock(c, need_rv(c, k->pktable), REL_REFERENCED, RL_SHARE_ROW_EXCLUSIVE);
}

static bool do_create(RelCtx *c, const PgQuery__CreateStmt *st)
{
    if (st->if_not_exists && rel_of_rv(c, st->relation)) return true; /* skipped */
    for (size_t i = 0; i < st->n_constraints; i++)
        if (st->constraints[i]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
            fk_reference(c, st->constraints[i]->constraint);
    for (size_t i = 0; i < st->n_table_elts; i++) {
        const PgQuery__Node *e = st->table_elts[i];
        if (e->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
            fk_reference(c, e->constraint);
        else if (e->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
            for (size_t k = 0; k < e->column_def->n_constraints; k++)
                if (e->column_def->constraints[k]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
                    fk_reference(c, e->column_def->constraints[k]->constraint);
        } else if (e->node_case == PG_QUERY__NODE__NODE_TABLE_LIKE_CLAUSE)
            rel_lock(c, need_rv(c, e->table_like_clause->relation), REL_SOURCE, RL_ACCESS_SHARE);
    }
    for (size_t i = 0; i < st->n_inh_relations; i++) {
        const PgQuery__Node *p = st->inh_relations[i];
        if (p->node_case != PG_QUERY__NODE__NODE_RANGE_VAR) continue;
        const SchemaRel *parent = need_rv(c, p->range_var);
        if (!parent) continue;
        if (!st->partbound) {
            rel_lock(c, parent, REL_PARENT, RL_SHARE_UPDATE_EXCLUSIVE);
            continue;
        }
        /* PARTITION OF: the parent and the indexes cloned from it (from 12),
           and from 11 its DEFAULT partition (AccessExclusiveLock, its rows are
           checked against the new bound) */
        rel_lock(c, parent, REL_PARENT, RL_ACCESS_EXCLUSIVE);
        const SchemaRel *dflt = schema_default_partition(parent);
        if (c->major >= 11 && dflt && !st->partbound->is_default)
            rel_lock(c, dflt, REL_PARTITION, RL_ACCESS_EXCLUSIVE);
        if (c->major >= 12) lock_indexes(c, parent, RL_SHARE_UPDATE_EXCLUSIVE);
        /* the parent's foreign keys are cloned onto the partition: the
           referenced table read on 11, its triggers added since 12 */
        const SchemaRel **refs;
        size_t n = schema_referenced(parent, &refs);
        for (size_t k = 0; k < n; k++)
            rel_lock(c, refs[k], REL_REFERENCED,
                     c->major >= 12 ? RL_SHARE_ROW_EXCLUSIVE : RL_ACCESS_SHARE);
        free(refs);
    }
    return true;
}

/* CREATE TABLE AS, SELECT INTO, CREATE MATERIALIZED VIEW: the query runs
 * (planned) unless WITH NO DATA, where it is only analysed. */
static bool do_create_as(RelCtx *c, const PgQuery__CreateTableAsStmt *st)
{
    if (st->if_not_exists && st->into && rel_of_rv(c, st->into->rel)) return true;
    read_query(c, st->query ? &st->query->base : NULL, RL_ACCESS_SHARE,
               !(st->into && st->into->skip_data), NULL);
    return true;
}

/* CREATE [OR REPLACE] VIEW: the query is analysed, not planned; a view it
 * names is not expanded. */
static bool do_view(RelCtx *c, const PgQuery__ViewStmt *st)
{
    const SchemaRel *old = rel_of_rv(c, st->view);
    if (st->replace && old) rel_lock(c, old, REL_TARGET, RL_ACCESS_EXCLUSIVE);
    if (!old) unlock_rv(c, st->view); /* created: no one's to wait for */
    read_query(c, st->query ? &st->query->base : NULL, RL_ACCESS_SHARE, false, NULL);
    return true;
}

/* REFRESH MATERIALIZED VIEW: the query runs into new storage swapped in
 * (the view, its indexes and TOAST at AccessExclusiveLock); CONCURRENTLY
 * runs it into a temporary table and merges the difference (its indexes at
 * RowExclusiveLock, no new storage). */
static bool do_refresh(RelCtx *c, const PgQuery__RefreshMatViewStmt *st)
{
    const SchemaRel *mv = need_rv(c, st->relation);
    if (!mv) return true;
    if (!st->skip_data)
        for (size_t i = 0; i < mv->ndeps; i++) {
            Query q = {c, RL_ACCESS_SHARE, true, NULL, 0, NULL, NULL, false};
            read_rel(&q, mv->deps[i], true, 0);
        }
    if (st->concurrent) {
        lock_indexes(c, mv, RL_ROW_EXCLUSIVE);
        return true;
    }
    lock_indexes(c, mv, RL_ACCESS_EXCLUSIVE);
    lock_toast(c, mv, RL_ACCESS_EXCLUSIVE);
    if (row_rewrites(c)) rewrite(c, mv);
    return true;
}

/* CREATE INDEX: on a partitioned table (11+), unless ON ONLY, every
 * partition at the table's mode. */
static bool do_index(RelCtx *c, const PgQuery__IndexStmt *st)
{
    const SchemaRel *r = need_rv(c, st->relation);
    if (!r) return true;
    if (st->if_not_exists && st->idxname && schema_rel(c->s, r->schema, st->idxname)) return true;
    if (r->kind == SCHEMA_REL_PARTITIONED && st->relation->inh && c->major >= 11)
        lock_family(c, r, st->concurrent ? RL_SHARE_UPDATE_EXCLUSIVE : RL_SHARE, -1, -1);
    return true;
}

/* ---- DROP ------------------------------------------------------------------------------ */

static void drop_rel(RelCtx *c, const SchemaRel *r, bool cascade, int depth);

/* A table or materialized view goes with its storage: indexes, TOAST,
 * owned sequences. */
static void drop_storage(RelCtx *c, const SchemaRel *r)
{
    lock_indexes(c, r, RL_ACCESS_EXCLUSIVE);
    lock_toast(c, r, RL_ACCESS_EXCLUSIVE);
    for (size_t i = 0; i < r->nseqs; i++)
        rel_lock(c, r->seqs[i], REL_SEQUENCE, RL_ACCESS_EXCLUSIVE);
}

static void drop_views_of(RelCtx *c, const SchemaRel *r, bool cascade, int depth)
{
    if (!cascade) return;
    const SchemaRel **v;
    size_t n = schema_dependent_views(c->s, r, &v);
    for (size_t i = 0; i < n; i++)
        drop_rel(c, v[i], true, depth + 1);
    free(v);
}

/* Whether a partition's parent references ref: the partition's foreign key
 * to it is a clone, whose triggers on ref belong to the parent's. */
static bool parent_references(const SchemaRel *r, const SchemaRel *ref)
{
    for (size_t i = 0; r->is_partition && i < r->nparents; i++)
        for (size_t k = 0; k < r->parents[i]->ncons; k++)
            if (r->parents[i]->cons[k].kind == SCHEMA_CON_FOREIGN &&
                r->parents[i]->cons[k].ref == ref)
                return true;
    return false;
}

/* Dropping r: AccessExclusiveLock on it and on what goes with it; the
 * tables on either side of its foreign keys lose their triggers (or, on
 * the referencing side, with CASCADE, the constraint); a partition's
 * parent is locked, an inheritance parent is not. */
static void drop_rel(RelCtx *c, const SchemaRel *r, bool cascade, int depth)
{
    if (!r || depth > 16) return;
    rel_lock(c, r, depth ? REL_VIEW : REL_TARGET, RL_ACCESS_EXCLUSIVE);
    if (r->kind == SCHEMA_REL_VIEW) {
        drop_views_of(c, r, cascade, depth);
        return;
    }
    drop_storage(c, r);
    drop_views_of(c, r, cascade, depth);
    if (r->kind == SCHEMA_REL_MATVIEW) return;
    if (r->is_partition)
        for (size_t i = 0; i < r->nparents; i++)
            rel_lock(c, r->parents[i], REL_PARENT, RL_ACCESS_EXCLUSIVE);
    const SchemaRel **v;
    size_t n = schema_referenced(r, &v);
    for (size_t i = 0; i < n; i++)
        if (!parent_references(r, v[i])) rel_lock(c, v[i], REL_REFERENCED, RL_ACCESS_EXCLUSIVE);
    free(v);
    n = schema_referencing(c->s, r, &v);
    for (size_t i = 0; i < n; i++)
        if (v[i] != r) rel_lock(c, v[i], REL_REFERENCING, RL_ACCESS_EXCLUSIVE);
    free(v);
    /* partitions go with the table; inheritance children only with CASCADE */
    if (r->kind != SCHEMA_REL_PARTITIONED && !cascade) return;
    const SchemaRel **parts;
    n = family(r, &parts);
    for (size_t i = 0; i < n; i++) {
        rel_lock(c, parts[i], REL_PARTITION, RL_ACCESS_EXCLUSIVE);
        drop_storage(c, parts[i]);
    }
    free(parts);
}

/* DROP INDEX: the index and its table (AccessExclusiveLock; CONCURRENTLY:
 * the table at ShareUpdateExclusiveLock); a partitioned index takes its
 * partitions' indexes and their tables with it. */
static void drop_index(RelCtx *c, const SchemaRel *x, bool concurrent)
{
    int tmode = concurrent ? RL_SHARE_UPDATE_EXCLUSIVE : RL_ACCESS_EXCLUSIVE;
    rel_lock(c, x, REL_TARGET, RL_ACCESS_EXCLUSIVE);
    rel_lock(c, x->table, REL_TARGET, tmode);
    if (!is_part_index(x)) return;
    /* the partitions' indexes attached to it: those on the same keys */
    const SchemaRel **parts;
    size_t n = family(x->table, &parts);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < parts[i]->nindexes; k++) {
            const SchemaRel *px = parts[i]->indexes[k];
            if (px->keys && x->keys && same_cols(px->keys, px->nkeys, x->keys, x->nkeys) &&
                px->unique == x->unique && px->partial == x->partial) {
                rel_lock(c, parts[i], REL_PARTITION, tmode);
                rel_lock(c, px, REL_INDEX, RL_ACCESS_EXCLUSIVE);
            }
        }
    free(parts);
}

static bool do_drop(RelCtx *c, const PgQuery__DropStmt *st)
{
    bool cascade = st->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE;
    switch (st->remove_type) {
    case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
    case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
    case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
    case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
    case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
    case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE:
        break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER:
    case PG_QUERY__OBJECT_TYPE__OBJECT_RULE:
    case PG_QUERY__OBJECT_TYPE__OBJECT_POLICY: {
        /* the table, at AccessExclusiveLock (the core's row); IF EXISTS of
           one the chain never made (or dropped) finds nothing and locks
           nothing */
        const char *kind = st->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER ? "trigger"
                           : st->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_RULE  ? "rule"
                                                                                    : "policy";
        for (size_t i = 0; i < st->n_objects; i++) {
            const char *name = NULL;
            const SchemaRel *r = rel_of_list(c, st->objects[i], 1, &name);
            if (!r) {
                rel_unknown(c, "table %s not defined in the corpus", name ? name : "?");
                if (st->missing_ok) return false;
                continue;
            }
            const PgQuery__Node *o = st->objects[i];
            const char *obj = o->node_case == PG_QUERY__NODE__NODE_LIST && o->list->n_items
                                  ? str_of(o->list->items[o->list->n_items - 1])
                                  : NULL;
            if (st->missing_ok && !schema_table_object(r, kind, obj))
                unlock_name(c, name);
            else
                rel_lock(c, r, REL_TARGET, RL_ACCESS_EXCLUSIVE);
        }
        return true;
    }
    case PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION:
    case PG_QUERY__OBJECT_TYPE__OBJECT_PROCEDURE:
    case PG_QUERY__OBJECT_TYPE__OBJECT_EXTENSION:
        /* a function's dependents (triggers, defaults) go only with CASCADE */
        return !cascade;
    case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE:
        /* a composite type is a relation (relkind c) the drop locks */
        for (size_t i = 0; i < st->n_objects; i++) {
            const PgQuery__Node *o = st->objects[i];
            if (o->node_case != PG_QUERY__NODE__NODE_TYPE_NAME) continue;
            const PgQuery__TypeName *t = o->type_name;
            const SchemaRel *r = rel_of_names(c, t->names, t->n_names, 0, NULL);
            if (r && r->kind == SCHEMA_REL_COMPOSITE)
                rel_lock(c, r, REL_TARGET, RL_ACCESS_EXCLUSIVE);
        }
        return !cascade;
    case PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN:
    case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA:
        /* with CASCADE every relation using it goes: the model cannot list
           them */
        return !cascade;
    default:
        return false;
    }
    for (size_t i = 0; i < st->n_objects; i++) {
        const char *name = NULL;
        const SchemaRel *r = rel_of_list(c, st->objects[i], 0, &name);
        if (!r) {
            if (!st->missing_ok)
                rel_unknown(c, "relation %s not defined in the corpus", name ? name : "?");
            else
                unlock_name(c, name); /* DROP ... IF EXISTS of nothing: no lock */
            continue;
        }
        if (r->kind == SCHEMA_REL_INDEX)
            drop_index(c, r, st->concurrent);
        else if (r->kind == SCHEMA_REL_SEQUENCE) {
            rel_lock(c, r, REL_TARGET, RL_ACCESS_EXCLUSIVE);
            /* CASCADE drops the defaults that call it (their tables at
               AccessExclusiveLock): the model knows only the owning column's */
            if (cascade && !r->table) return false;
            if (cascade) rel_lock(c, r->table, REL_OTHER, RL_ACCESS_EXCLUSIVE);
        } else
            drop_rel(c, r, cascade, 0);
    }
    return true;
}

/* ---- TRUNCATE -------------------------------------------------------------------------- */

static void truncate_rel(RelCtx *c, const SchemaRel *r, RelRole role, bool restart)
{
    rel_lock(c, r, role, RL_ACCESS_EXCLUSIVE);
    if (r->kind == SCHEMA_REL_PARTITIONED) return; /* no storage of its own */
    lock_indexes(c, r, RL_ACCESS_EXCLUSIVE);
    lock_toast(c, r, RL_ACCESS_EXCLUSIVE);
    if (row_rewrites(c)) rewrite(c, r);
    for (size_t i = 0; restart && i < r->nseqs; i++) {
        rel_lock(c, r->seqs[i], REL_SEQUENCE, RL_ACCESS_EXCLUSIVE);
        if (row_rewrites(c)) rel_rewrite(c, r->seqs[i]);
    }
}

/* TRUNCATE: each table, its partitions or children (not with ONLY) and,
 * with CASCADE, the tables referencing them, each emptied into new storage;
 * a partition's parent is read (AccessShareLock) before 14. */
static bool do_truncate(RelCtx *c, const PgQuery__TruncateStmt *st)
{
    bool cascade = st->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE;
    const SchemaRel **todo = NULL;
    size_t n = 0;
    for (size_t i = 0; i < st->n_relations; i++) {
        const PgQuery__Node *x = st->relations[i];
        if (x->node_case != PG_QUERY__NODE__NODE_RANGE_VAR) continue;
        const SchemaRel *r = need_rv(c, x->range_var);
        if (!r) continue;
        todo = xrealloc(todo, (n + 1) * sizeof(*todo));
        todo[n++] = r;
        truncate_rel(c, r, REL_TARGET, st->restart_seqs);
        if (r->is_partition && c->major < 14)
            for (size_t k = 0; k < r->nparents; k++)
                rel_lock(c, r->parents[k], REL_PARENT, RL_ACCESS_SHARE);
        if (!x->range_var->inh) continue;
        const SchemaRel **parts;
        size_t np = family(r, &parts);
        for (size_t k = 0; k < np; k++) {
            truncate_rel(c, parts[k], REL_PARTITION, st->restart_seqs);
            todo = xrealloc(todo, (n + 1) * sizeof(*todo));
            todo[n++] = parts[k];
        }
        free(parts);
    }
    /* CASCADE: the referencing tables, to a fixed point */
    for (size_t i = 0; cascade && i < n; i++) {
        const SchemaRel **v;
        size_t nv = schema_referencing(c->s, todo[i], &v);
        for (size_t k = 0; k < nv; k++) {
            bool seen = false;
            for (size_t j = 0; j < n && !seen; j++)
                seen = todo[j] == v[k];
            if (seen) continue;
            truncate_rel(c, v[k], REL_REFERENCING, st->restart_seqs);
            todo = xrealloc(todo, (n + 1) * sizeof(*todo));
            todo[n++] = v[k];
        }
        free(v);
    }
    free(todo);
    return true;
}

/* ---- maintenance ----------------------------------------------------------------------- */

static bool defelem_named(PgQuery__Node *const *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (v[i]->node_case == PG_QUERY__NODE__NODE_DEF_ELEM && v[i]->def_elem->defname &&
            strcmp(v[i]->def_elem->defname, name) == 0) {
            const PgQuery__Node *a = v[i]->def_elem->arg;
            /* (CONCURRENTLY false) */
            if (a && a->node_case == PG_QUERY__NODE__NODE_BOOLEAN) return a->boolean->boolval;
            if (a && a->node_case == PG_QUERY__NODE__NODE_STRING)
                return strcmp(a->string->sval, "false") != 0 && strcmp(a->string->sval, "off");
            return true;
        }
    return false;
}

/* One table's indexes rebuilt by REINDEX TABLE: each index (and the TOAST
 * index) at AccessExclusiveLock and new storage, the TOAST table at the
 * table's mode. */
static void reindex_table(RelCtx *c, const SchemaRel *r, RelRole role, int mode)
{
    rel_lock(c, r, role, mode);
    for (size_t i = 0; i < r->nindexes; i++) {
        if (is_part_index(r->indexes[i]) || !index_exists(c, r->indexes[i])) continue;
        rel_lock(c, r->indexes[i], REL_INDEX, RL_ACCESS_EXCLUSIVE);
        char *n = rel_name(r->indexes[i]);
        rel_rewrite_name(c, n);
        free(n);
    }
    toast_family(c, r, mode, RL_ACCESS_EXCLUSIVE, false, true);
}

/* REINDEX INDEX|TABLE [CONCURRENTLY] (12+): the table at ShareLock
 * (ShareUpdateExclusiveLock concurrently), each index rebuilt. Partitioned
 * tables and indexes are rebuilt partition by partition from 14 (before,
 * REINDEX TABLE of one does nothing and REINDEX INDEX fails). */
static bool do_reindex(RelCtx *c, const PgQuery__ReindexStmt *st)
{
    bool conc = defelem_named(st->params, st->n_params, "concurrently");
    int mode = conc ? RL_SHARE_UPDATE_EXCLUSIVE : RL_SHARE;
    const SchemaRel *r = need_rv(c, st->relation);
    if (!r) return true;
    if (st->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_TABLE) {
        /* a partitioned table's own: none, but its TOAST on 10 */
        reindex_table(c, r, REL_TARGET, mode);
        if (r->kind != SCHEMA_REL_PARTITIONED || c->major < 14) return true;
        const SchemaRel **parts;
        size_t n = family(r, &parts);
        for (size_t i = 0; i < n; i++)
            if (parts[i]->kind == SCHEMA_REL_PARTITIONED)
                rel_lock(c, parts[i], REL_PARTITION, mode);
            else
                reindex_table(c, parts[i], REL_PARTITION, mode);
        free(parts);
        return true;
    }
    if (st->kind != PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_INDEX) return false;
    if (r->kind != SCHEMA_REL_INDEX) return true;
    rel_lock(c, r, REL_TARGET, RL_ACCESS_EXCLUSIVE);
    rel_lock(c, r->table, REL_OTHER, mode);
    if (!is_part_index(r)) {
        char *n = rel_name(r);
        rel_rewrite_name(c, n);
        free(n);
        return true;
    }
    if (!r->table || c->major < 14) return true;
    /* a partitioned index: each partition's index, the partition at the
       table's mode, the index read at it too (ShareLock) and rebuilt */
    const SchemaRel **parts;
    size_t n = family(r->table, &parts);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < parts[i]->nindexes; k++) {
            const SchemaRel *px = parts[i]->indexes[k];
            if (!px->keys || !r->keys || !same_cols(px->keys, px->nkeys, r->keys, r->nkeys))
                continue;
            rel_lock(c, parts[i], REL_PARTITION, mode);
            rel_lock(c, px, REL_INDEX, mode);
            if (!is_part_index(px)) {
                char *pn = rel_name(px);
                rel_rewrite_name(c, pn);
                free(pn);
            }
        }
    free(parts);
    return true;
}

/* CLUSTER and VACUUM FULL: the table and its family at AccessExclusiveLock,
 * copied into new storage when the row says so. */
static void rebuild(RelCtx *c, const SchemaRel *r)
{
    rel_lock(c, r, REL_TARGET, RL_ACCESS_EXCLUSIVE);
    lock_indexes(c, r, RL_ACCESS_EXCLUSIVE);
    lock_toast(c, r, RL_ACCESS_EXCLUSIVE);
    if (row_rewrites(c)) rewrite(c, r);
}

static bool do_cluster(RelCtx *c, const PgQuery__ClusterStmt *st)
{
    if (!st->relation) return false; /* every clustered table of the database */
    const SchemaRel *r = need_rv(c, st->relation);
    if (!r) return true;
    if (r->kind == SCHEMA_REL_PARTITIONED) return false;
    rebuild(c, r);
    return true;
}

/* VACUUM: the table at ShareUpdateExclusiveLock, its indexes at
 * RowExclusiveLock (ANALYZE alone: AccessShareLock); FULL rebuilds it. */
static bool do_vacuum(RelCtx *c, const PgQuery__VacuumStmt *st)
{
    if (!st->n_rels) return false; /* the whole database */
    bool full = st->is_vacuumcmd && defelem_named(st->options, st->n_options, "full");
    for (size_t i = 0; i < st->n_rels; i++) {
        const PgQuery__Node *x = st->rels[i];
        if (x->node_case != PG_QUERY__NODE__NODE_VACUUM_RELATION) continue;
        const SchemaRel *r = need_rv(c, x->vacuum_relation->relation);
        if (!r) continue;
        if (r->kind == SCHEMA_REL_PARTITIONED && full) return false;
        if (full) {
            rebuild(c, r);
            continue;
        }
        /* a partitioned table: each partition as a table of its own */
        int imode = st->is_vacuumcmd ? RL_ROW_EXCLUSIVE : RL_ACCESS_SHARE;
        rel_lock(c, r, REL_TARGET, RL_SHARE_UPDATE_EXCLUSIVE);
        lock_indexes(c, r, imode);
        if (r->kind == SCHEMA_REL_PARTITIONED)
            lock_family(c, r, RL_SHARE_UPDATE_EXCLUSIVE, imode, -1);
    }
    return true;
}

/* ---- objects on a table ---------------------------------------------------------------- */

/* CREATE TRIGGER (ShareRowExclusiveLock, the row's), CREATE POLICY ...: the
 * table alone; on a partitioned table a row trigger is cloned on every
 * partition. */
static bool do_trigger(RelCtx *c, const PgQuery__CreateTrigStmt *st)
{
    const SchemaRel *r = need_rv(c, st->relation);
    if (r && r->kind == SCHEMA_REL_PARTITIONED && st->row)
        lock_family(c, r, RL_SHARE_ROW_EXCLUSIVE, -1, -1);
    return true;
}

/* CREATE RULE: the table at AccessExclusiveLock and what its actions name,
 * as they would be locked when run (analysed, not planned). */
static bool do_rule(RelCtx *c, const PgQuery__RuleStmt *st)
{
    const SchemaRel *r = need_rv(c, st->relation);
    rel_lock(c, r, REL_TARGET, RL_ACCESS_EXCLUSIVE);
    for (size_t i = 0; i < st->n_actions; i++) {
        const PgQuery__Node *a = st->actions[i];
        const PgQuery__RangeVar *target = NULL;
        if (a->node_case == PG_QUERY__NODE__NODE_INSERT_STMT)
            target = a->insert_stmt->relation;
        else if (a->node_case == PG_QUERY__NODE__NODE_UPDATE_STMT)
            target = a->update_stmt->relation;
        else if (a->node_case == PG_QUERY__NODE__NODE_DELETE_STMT)
            target = a->delete_stmt->relation;
        if (target) rel_lock(c, need_rv(c, target), REL_OTHER, RL_ROW_EXCLUSIVE);
        read_query(c, &a->base, RL_ACCESS_SHARE, false, target);
    }
    /* NEW and OLD are the table itself */
    return true;
}

static bool is_relation_object(PgQuery__ObjectType t)
{
    return t == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE || t == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX ||
           t == PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE || t == PG_QUERY__OBJECT_TYPE__OBJECT_VIEW ||
           t == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW ||
           t == PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE;
}

/* COMMENT ON a relation or its column: ShareUpdateExclusiveLock on it; on a
 * constraint: its table read (AccessShareLock); on objects that are not
 * relations: nothing. */
static bool do_comment(RelCtx *c, const PgQuery__CommentStmt *st)
{
    const char *name = NULL;
    if (is_relation_object(st->objtype) || st->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN) {
        size_t skip = st->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN ? 1 : 0;
        const SchemaRel *r = rel_of_list(c, st->object, skip, &name);
        if (!r) rel_unknown(c, "relation %s not defined in the corpus", name ? name : "?");
        rel_lock(c, r, REL_TARGET, RL_SHARE_UPDATE_EXCLUSIVE);
        return true;
    }
    if (st->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT) {
        const SchemaRel *r = rel_of_list(c, st->object, 1, &name);
        if (!r) rel_unknown(c, "table %s not defined in the corpus", name ? name : "?");
        rel_lock(c, r, REL_TARGET, RL_ACCESS_SHARE);
        return true;
    }
    if (st->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER ||
        st->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_RULE ||
        st->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_POLICY ||
        st->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_STATISTIC_EXT)
        return false;
    return true;
}

/* GRANT/REVOKE on named relations: from 18 each is read (AccessShareLock)
 * while its ACL changes; before, nothing is locked. */
static bool do_grant(RelCtx *c, const PgQuery__GrantStmt *st)
{
    if (st->targtype != PG_QUERY__GRANT_TARGET_TYPE__ACL_TARGET_OBJECT) return true;
    if (!is_relation_object(st->objtype)) return true;
    for (size_t i = 0; i < st->n_objects; i++) {
        const PgQuery__Node *x = st->objects[i];
        if (x->node_case != PG_QUERY__NODE__NODE_RANGE_VAR) continue;
        const SchemaRel *r = need_rv(c, x->range_var);
        if (c->major >= 18) rel_lock(c, r, REL_TARGET, RL_ACCESS_SHARE);
    }
    return true;
}

static bool do_stats(RelCtx *c, const PgQuery__CreateStatsStmt *st)
{
    for (size_t i = 0; i < st->n_relations; i++)
        if (st->relations[i]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
            rel_lock(c, need_rv(c, st->relations[i]->range_var), REL_TARGET,
                     RL_SHARE_UPDATE_EXCLUSIVE);
    return true;
}

/* CREATE/ALTER SEQUENCE ... OWNED BY t.col: the table is read. */
static void owned_by(RelCtx *c, PgQuery__Node *const *options, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const PgQuery__Node *o = options[i];
        if (o->node_case != PG_QUERY__NODE__NODE_DEF_ELEM || !o->def_elem->defname ||
            strcmp(o->def_elem->defname, "owned_by") != 0 || !o->def_elem->arg ||
            o->def_elem->arg->node_case != PG_QUERY__NODE__NODE_LIST)
            continue;
        const PgQuery__List *l = o->def_elem->arg->list;
        if (l->n_items < 2) continue; /* OWNED BY NONE */
        const char *name = NULL;
        const SchemaRel *t = rel_of_names(c, l->items, l->n_items, 1, &name);
        if (!t) rel_unknown(c, "table %s not defined in the corpus", name ? name : "?");
        rel_lock(c, t, REL_OTHER, RL_ACCESS_SHARE);
    }
}

/* ALTER SEQUENCE: the sequence (ShareRowExclusiveLock, the row's), new
 * storage when the row says so; OWNED BY reads the table. */
static bool do_alter_seq(RelCtx *c, const PgQuery__AlterSeqStmt *st)
{
    const SchemaRel *s = rel_of_rv(c, st->sequence);
    if (!s) {
        if (st->missing_ok && st->sequence) {
            unlock_name(c, st->sequence->relname);
            return true;
        }
        need_rv(c, st->sequence);
        return true;
    }
    owned_by(c, st->options, st->n_options);
    if (row_rewrites(c)) rel_rewrite(c, s);
    return true;
}

/* LOCK TABLE: each relation at the mode, its partitions and children too
 * (not with ONLY); a view (11+) locks what its query names, recursively. */
static void lock_one(RelCtx *c, const SchemaRel *r, bool inh, int mode, int depth)
{
    if (!r || depth > 16) return;
    rel_lock(c, r, depth ? REL_SOURCE : REL_TARGET, mode);
    if (r->kind == SCHEMA_REL_VIEW) {
        for (size_t i = 0; c->major >= 11 && i < r->ndeps; i++)
            lock_one(c, r->deps[i], true, mode, depth + 1);
        return;
    }
    if (inh) lock_family(c, r, mode, -1, -1);
}

static bool do_lock(RelCtx *c, const PgQuery__LockStmt *st)
{
    int mode = st->mode - 1; /* lockdefs.h: AccessShareLock is 1 */
    if (mode < RL_ACCESS_SHARE || mode > RL_ACCESS_EXCLUSIVE) return false;
    for (size_t i = 0; i < st->n_relations; i++)
        if (st->relations[i]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR) {
            const PgQuery__RangeVar *rv = st->relations[i]->range_var;
            lock_one(c, need_rv(c, rv), rv->inh, mode, 0);
        }
    return true;
}

/* CREATE FUNCTION: a LANGUAGE sql body is analysed at creation (with
 * check_function_bodies), reading what it names; other languages lock
 * nothing. */
static bool do_function(RelCtx *c, const PgQuery__CreateFunctionStmt *st)
{
    if (st->sql_body) return false;
    const char *lang = NULL, *body = NULL;
    for (size_t i = 0; i < st->n_options; i++) {
        const PgQuery__Node *o = st->options[i];
        if (o->node_case != PG_QUERY__NODE__NODE_DEF_ELEM || !o->def_elem->defname) continue;
        const PgQuery__Node *a = o->def_elem->arg;
        if (strcmp(o->def_elem->defname, "language") == 0)
            lang = str_of(a);
        else if (strcmp(o->def_elem->defname, "as") == 0 && a &&
                 a->node_case == PG_QUERY__NODE__NODE_LIST && a->list->n_items == 1)
            body = str_of(a->list->items[0]);
    }
    if (!lang) return false;
    if (strcmp(lang, "sql") != 0) return true;
    if (!body) return false;
    PgQueryProtobufParseResult r = pg_query_parse_protobuf(body);
    bool ok = !r.error;
    if (ok) {
        PgQuery__ParseResult *pr = pg_query__parse_result__unpack(
            NULL, r.parse_tree.len, (const uint8_t *)r.parse_tree.data);
        ok = pr != NULL;
        /* each statement analysed: what it names, none planned */
        for (size_t i = 0; pr && i < pr->n_stmts; i++)
            if (pr->stmts[i]->stmt) {
                const PgQuery__Node *n = pr->stmts[i]->stmt;
                if (n->node_case == PG_QUERY__NODE__NODE_INSERT_STMT ||
                    n->node_case == PG_QUERY__NODE__NODE_UPDATE_STMT ||
                    n->node_case == PG_QUERY__NODE__NODE_DELETE_STMT)
                    ok = false; /* their targets at RowExclusiveLock: not traced */
                else
                    read_query(c, &n->base, RL_ACCESS_SHARE, false, NULL);
            }
        if (pr) pg_query__parse_result__free_unpacked(pr, NULL);
    }
    pg_query_free_protobuf_parse_result(r);
    return ok;
}

/* RENAME: a relation renamed is the target, at the row's mode, under the
 * name it has after the statement (the tracer names relations so); a
 * column or constraint renamed locks the table (the row's). ALTER TYPE,
 * FUNCTION, SCHEMA ... RENAME lock no relation. */
static bool do_rename(RelCtx *c, const PgQuery__RenameStmt *st)
{
    if (st->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN ||
        st->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT) {
        const SchemaRel *r = need_rv(c, st->relation);
        /* renamed in the partitions and children too (not with ONLY) */
        if (r && st->relation->inh) lock_family(c, r, RL_ACCESS_EXCLUSIVE, -1, -1);
        return true;
    }
    if (!is_relation_object(st->rename_type))
        return st->rename_type != PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER &&
               st->rename_type != PG_QUERY__OBJECT_TYPE__OBJECT_RULE &&
               st->rename_type != PG_QUERY__OBJECT_TYPE__OBJECT_POLICY;
    const SchemaRel *r = rel_of_rv(c, st->relation);
    if (!r || !st->newname) {
        if (st->missing_ok) unlock_rv(c, st->relation);
        need_rv(c, st->relation);
        return st->missing_ok;
    }
    char *old = rel_name(r);
    const RelLock *l = relpred_lock_of(c->out, old);
    int mode = l ? l->mode : -1;
    unlock_name(c, old);
    free(old);
    if (mode < 0) return false;
    char *now = r->persistence == SCHEMA_TEMP ? xasprintf("pg_temp.%s", st->newname)
                : !r->schema || strcmp(r->schema, "public") == 0
                    ? xstrdup(st->newname)
                    : xasprintf("%s.%s", r->schema, st->newname);
    rel_lock_name(c, now, REL_TARGET, mode);
    free(now);
    return true;
}

/* ---- the forms ------------------------------------------------------------------------- */

bool relations_ddl(RelCtx *c, const PgQuery__Node *n)
{
    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_CREATE_STMT:
        return do_create(c, n->create_stmt);
    case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
        return do_create_as(c, n->create_table_as_stmt);
    case PG_QUERY__NODE__NODE_VIEW_STMT:
        return do_view(c, n->view_stmt);
    case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT:
        return do_refresh(c, n->refresh_mat_view_stmt);
    case PG_QUERY__NODE__NODE_INDEX_STMT:
        return do_index(c, n->index_stmt);
    case PG_QUERY__NODE__NODE_DROP_STMT:
        return do_drop(c, n->drop_stmt);
    case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
        return do_truncate(c, n->truncate_stmt);
    case PG_QUERY__NODE__NODE_REINDEX_STMT:
        return do_reindex(c, n->reindex_stmt);
    case PG_QUERY__NODE__NODE_CLUSTER_STMT:
        return do_cluster(c, n->cluster_stmt);
    case PG_QUERY__NODE__NODE_VACUUM_STMT:
        return do_vacuum(c, n->vacuum_stmt);
    case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT:
        return do_trigger(c, n->create_trig_stmt);
    case PG_QUERY__NODE__NODE_RULE_STMT:
        return do_rule(c, n->rule_stmt);
    case PG_QUERY__NODE__NODE_CREATE_POLICY_STMT:
        rel_lock(c, need_rv(c, n->create_policy_stmt->table), REL_TARGET, RL_ACCESS_EXCLUSIVE);
        return true;
    case PG_QUERY__NODE__NODE_ALTER_POLICY_STMT:
        rel_lock(c, need_rv(c, n->alter_policy_stmt->table), REL_TARGET, RL_ACCESS_EXCLUSIVE);
        return true;
    case PG_QUERY__NODE__NODE_COMMENT_STMT:
        return do_comment(c, n->comment_stmt);
    case PG_QUERY__NODE__NODE_GRANT_STMT:
        return do_grant(c, n->grant_stmt);
    case PG_QUERY__NODE__NODE_CREATE_STATS_STMT:
        return do_stats(c, n->create_stats_stmt);
    case PG_QUERY__NODE__NODE_ALTER_SEQ_STMT:
        return do_alter_seq(c, n->alter_seq_stmt);
    case PG_QUERY__NODE__NODE_LOCK_STMT:
        return do_lock(c, n->lock_stmt);
    case PG_QUERY__NODE__NODE_INSERT_STMT:
        return do_insert(c, n->insert_stmt);
    case PG_QUERY__NODE__NODE_UPDATE_STMT:
        return do_update(c, n->update_stmt);
    case PG_QUERY__NODE__NODE_DELETE_STMT:
        return do_delete(c, n->delete_stmt);
    case PG_QUERY__NODE__NODE_SELECT_STMT:
        return do_select(c, n->select_stmt);
    case PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT:
        return do_function(c, n->create_function_stmt);
    case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
        owned_by(c, n->create_seq_stmt->options, n->create_seq_stmt->n_options);
        return true;
    /* statements that lock no relation that existed before them */
    case PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT:
    case PG_QUERY__NODE__NODE_CREATE_ENUM_STMT:
    case PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT:
    case PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT:
    case PG_QUERY__NODE__NODE_CREATE_EXTENSION_STMT:
    case PG_QUERY__NODE__NODE_ALTER_ENUM_STMT:
    case PG_QUERY__NODE__NODE_ALTER_FUNCTION_STMT:
    case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
    case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
        return true;
    case PG_QUERY__NODE__NODE_RENAME_STMT:
        return do_rename(c, n->rename_stmt);
    default:
        return false;
    }
}
