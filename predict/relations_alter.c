/*
 * relations_alter: the relations ALTER TABLE locks and rewrites
 * (predict/relations_int.h), ALTER INDEX, SEQUENCE, VIEW and MATERIALIZED
 * VIEW included (the same statement with another objtype).
 *
 * What each subcommand touches beyond its target, as traced on 10-18
 * (tests/relations/alter/) and as tablecmds.c does it:
 * - the subcommands that recurse (ADD/DROP COLUMN, column defaults, NOT
 *   NULL, statistics, storage, TYPE, CHECK, DROP CONSTRAINT, triggers of a
 *   partitioned table) lock every child at the statement's mode, unless ONLY;
 * - a rewrite rebuilds the indexes and the TOAST table (AccessExclusiveLock);
 * - a dropped or retyped column drops or rebuilds the indexes, sequences and
 *   foreign keys on it, and a foreign key's drop locks the other table;
 * - a foreign key added and validated plans a query over both tables: their
 *   indexes at AccessShareLock;
 * - ATTACH and DETACH PARTITION lock the partition and its own partitions;
 *   ATTACH the parent's indexes from 12 on and, from 11, what the parent's
 *   foreign keys need to be cloned and checked on the partition.
 * What the model does not hold is not guessed: which partition is the
 * default one (ATTACH and DETACH lock it from 11), who owns a relation
 * (OWNER TO CURRENT_USER is taken to change nothing). A nextval() default
 * evaluated by a rewrite locks its sequence only when the table may hold
 * rows (schema_has_rows).
 */
#include "predict/relations_int.h"

#include <stdlib.h>
#include <string.h>

/* One ALTER TABLE being predicted. */
typedef struct Alter {
    RelCtx *c;
    const SchemaRel *t;
    int mode;     /* the statement's mode on the target (and on the children it recurses to) */
    bool recurse; /* not ONLY */
    const SchemaRel **kids; /* the target's children at every depth */
    size_t nkids;
    bool rewrite_children;    /* a recursing subcommand that may rewrite (ADD COLUMN, TYPE) */
    bool to_pg_default;       /* SET TABLESPACE pg_default */
    bool persistence_changes; /* SET LOGGED / UNLOGGED of a table that is not so yet */
    bool column_default;      /* some ADD COLUMN of the statement has a default */
} Alter;

#define AT(x) PG_QUERY__ALTER_TABLE_TYPE__AT_##x

static bool has_name(char *const *v, size_t n, const char *name)
{
    for (size_t i = 0; name && i < n; i++)
        if (v[i] && strcmp(v[i], name) == 0) return true;
    return false;
}

/* r alone gets new storage (a sequence, an index rebuilt). */
static void rewrite_one(RelCtx *c, const SchemaRel *r)
{
    char *n = rel_name(r);
    rel_rewrite_name(c, n);
    free(n);
}

/* Whether index idx names column col, in a key, an expression or its
 * predicate. */
static bool index_uses(const SchemaRel *idx, const char *col)
{
    return has_name(idx->keys, idx->nkeys, col) || has_name(idx->uses, idx->nuses, col);
}

static bool is_partitioned(const SchemaRel *r)
{
    return r && r->kind == SCHEMA_REL_PARTITIONED;
}

/* Whether foreign key con references column col of con->ref: one of the
 * columns written, else of the referenced table's primary key. */
static bool fk_refers_to(const SchemaConstraint *con, const char *col)
{
    if (con->nref_cols) return has_name(con->ref_cols, con->nref_cols, col);
    for (size_t i = 0; con->ref && i < con->ref->ncons; i++)
        if (con->ref->cons[i].kind == SCHEMA_CON_PRIMARY)
            return has_name(con->ref->cons[i].cols, con->ref->cons[i].ncols, col);
    return false;
}

/* The relations a foreign key's validating query over r plans with: its
 * indexes and its partitions' indexes, at AccessShareLock; a referenced
 * partitioned table's own indexes too from 16 on. */
static void lock_planned(RelCtx *c, const SchemaRel *r, bool referenced)
{
    if (!r) return;
    if (!is_partitioned(r)) {
        rel_lock_indexes(c, r, RL_ACCESS_SHARE);
        return;
    }
    if (referenced && c->major >= 16) rel_lock_indexes(c, r, RL_ACCESS_SHARE);
    const SchemaRel **parts;
    size_t n = schema_partitions(r, &parts);
    for (size_t i = 0; i < n; i++)
        if (!is_partitioned(parts[i])) rel_lock_indexes(c, parts[i], RL_ACCESS_SHARE);
    free(parts);
}

/* One side of a foreign key at mode: the table and, when partitioned, its
 * partitions, which hold the key's triggers (a partitioned table references
 * from 11, is referenced from 12). */
static void lock_fk_side(RelCtx *c, const SchemaRel *r, RelRole role, int mode)
{
    rel_lock(c, r, role, mode);
    if (!is_partitioned(r) || c->major < (role == REL_REFERENCED ? 12 : 11)) return;
    const SchemaRel **parts;
    size_t n = schema_partitions(r, &parts);
    for (size_t i = 0; i < n; i++)
        rel_lock(c, parts[i], role, mode);
    free(parts);
}

static void lock_referenced(RelCtx *c, const SchemaRel *ref, int mode)
{
    lock_fk_side(c, ref, REL_REFERENCED, mode);
}

/* The children at the statement's mode (a recursing subcommand). */
static void lock_kids(Alter *a)
{
    if (!a->recurse) return;
    for (size_t i = 0; i < a->nkids; i++)
        rel_lock(a->c, a->kids[i], REL_PARTITION, a->mode);
}

/* The relations a subcommand on column col of r and (recursing) of its
 * children reaches: fn(a, rel, col) on each. */
static void each_rel(Alter *a, const char *col,
                     void (*fn)(Alter *, const SchemaRel *, const char *))
{
    fn(a, a->t, col);
    for (size_t i = 0; a->recurse && i < a->nkids; i++)
        fn(a, a->kids[i], col);
}

/* DROP COLUMN on r: what depends on the column goes with it. */
static void drop_column_on(Alter *a, const SchemaRel *r, const char *col)
{
    RelCtx *c = a->c;
    for (size_t i = 0; i < r->nindexes; i++)
        if (index_uses(r->indexes[i], col))
            rel_lock(c, r->indexes[i], REL_INDEX, RL_ACCESS_EXCLUSIVE);
    for (size_t i = 0; i < r->nseqs; i++)
        if (r->seqs[i]->owner_col && strcmp(r->seqs[i]->owner_col, col) == 0)
            rel_lock(c, r->seqs[i], REL_SEQUENCE, RL_ACCESS_EXCLUSIVE);
    for (size_t i = 0; i < r->ncons; i++) {
        const SchemaConstraint *k = &r->cons[i];
        if (k->kind == SCHEMA_CON_FOREIGN && has_name(k->cols, k->ncols, col))
            lock_referenced(c, k->ref, RL_ACCESS_EXCLUSIVE);
    }
    for (size_t i = 0; i < r->nrefby; i++)
        for (size_t k = 0; k < r->refby[i]->ncons; k++) {
            const SchemaConstraint *fk = &r->refby[i]->cons[k];
            if (fk->kind == SCHEMA_CON_FOREIGN && fk->ref == r && fk_refers_to(fk, col))
                lock_fk_side(c, r->refby[i], REL_REFERENCING, RL_ACCESS_EXCLUSIVE);
        }
}

/* ALTER COLUMN TYPE on r: the indexes on the column are rebuilt (new
 * storage when the table keeps its own and the index cannot be reused: an
 * expression or predicate, or a partition's index of a partitioned one), the
 * foreign keys on it dropped and added again (the other table locked, both
 * planned over), an identity's sequence retyped. */
static void retype_column_on(Alter *a, const SchemaRel *r, const char *col)
{
    RelCtx *c = a->c;
    bool keeps = c->row && c->row->rewrite == TRI_NO;
    for (size_t i = 0; i < r->nindexes; i++) {
        const SchemaRel *idx = r->indexes[i];
        if (!index_uses(idx, col)) continue;
        rel_lock(c, idx, REL_INDEX, RL_ACCESS_EXCLUSIVE);
        bool rebuilt = has_name(idx->uses, idx->nuses, col) || idx->partial ||
                       (r != a->t && is_partitioned(a->t));
        if (keeps && rebuilt && !is_partitioned(r)) rewrite_one(c, idx);
    }
    for (size_t i = 0; i < r->ncons; i++) {
        const SchemaConstraint *k = &r->cons[i];
        if (k->kind != SCHEMA_CON_FOREIGN || !has_name(k->cols, k->ncols, col)) continue;
        lock_referenced(c, k->ref, RL_ACCESS_EXCLUSIVE);
        lock_planned(c, k->ref, true);
        lock_planned(c, r, false);
    }
    for (size_t i = 0; i < r->nrefby; i++)
        for (size_t k = 0; k < r->refby[i]->ncons; k++) {
            const SchemaConstraint *fk = &r->refby[i]->cons[k];
            if (fk->kind != SCHEMA_CON_FOREIGN || fk->ref != r || !fk_refers_to(fk, col)) continue;
            lock_fk_side(c, r->refby[i], REL_REFERENCING, RL_ACCESS_EXCLUSIVE);
            lock_planned(c, r->refby[i], false);
            lock_planned(c, r, true);
        }
    for (size_t i = 0; i < r->nseqs; i++) {
        const SchemaRel *q = r->seqs[i];
        if (!q->identity || !q->owner_col || strcmp(q->owner_col, col) != 0) continue;
        rel_lock(c, q, REL_SEQUENCE, RL_SHARE_ROW_EXCLUSIVE);
        if (!c->row || c->row->rewrite != TRI_DEPENDS) rewrite_one(c, q);
    }
}

/* The identity sequence of column col of r, NULL when none. */
static const SchemaRel *identity_seq(const SchemaRel *r, const char *col)
{
    for (size_t i = 0; col && i < r->nseqs; i++)
        if (r->seqs[i]->identity && r->seqs[i]->owner_col &&
            strcmp(r->seqs[i]->owner_col, col) == 0)
            return r->seqs[i];
    return NULL;
}

/* A relation's index by name, NULL when none. */
static const SchemaRel *index_named(const SchemaRel *r, const char *name)
{
    for (size_t i = 0; name && i < r->nindexes; i++)
        if (strcmp(r->indexes[i]->name, name) == 0) return r->indexes[i];
    return NULL;
}

/* A new foreign key: the referenced table at ShareRowExclusiveLock and,
 * unless NOT VALID, the validating query's indexes on both sides. One
 * written on a column ADD COLUMN adds (inline) is not validated when no
 * column of the statement has a default: the new columns are all NULL
 * (transformAlterTableStmt's skipValidation). */
static void add_foreign_key(Alter *a, const PgQuery__Constraint *k, bool inline_fk)
{
    RelCtx *c = a->c;
    const SchemaRel *ref = rel_of_rv(c, k->pktable);
    if (!ref) {
        rel_unknown(c, "table %s not defined in the corpus",
                    k->pktable && k->pktable->relname ? k->pktable->relname : "?");
        return;
    }
    lock_referenced(c, ref, RL_SHARE_ROW_EXCLUSIVE);
    if (is_partitioned(a->t)) lock_kids(a);
    if (k->skip_validation || (inline_fk && !a->column_default)) return;
    lock_planned(c, a->t, false);
    lock_planned(c, ref, true);
}

static void add_constraint(Alter *a, const PgQuery__Constraint *k)
{
    RelCtx *c = a->c;
    switch (k->contype) {
    case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
        add_foreign_key(a, k, false);
        break;
    case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
        if (!k->is_no_inherit) lock_kids(a);
        break;
    case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
    case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
        if (k->indexname && *k->indexname) {
            /* the index becomes the constraint's, under its name */
            const SchemaRel *idx = index_named(a->t, k->indexname);
            if (!idx) break;
            SchemaRel renamed = *idx;
            if (k->conname && *k->conname) renamed.name = k->conname;
            char *n = rel_name(&renamed);
            rel_lock_name(c, n, REL_INDEX,
                          c->major >= 12 ? RL_SHARE_UPDATE_EXCLUSIVE : RL_ACCESS_EXCLUSIVE);
            free(n);
        } else if (is_partitioned(a->t) && a->recurse) {
            /* DefineIndex on each partition: ShareLock; 18 also adds their NOT NULL */
            for (size_t i = 0; i < a->nkids; i++)
                rel_lock(c, a->kids[i], REL_PARTITION,
                         c->major >= 18 ? RL_ACCESS_EXCLUSIVE : RL_SHARE);
        }
        break;
    default:
        break;
    }
}

/* Whether index idx is the unique (primary) index of the columns of key k:
 * a partition's part of a partitioned table's key. */
static bool same_key(const SchemaRel *idx, const SchemaConstraint *k)
{
    if (!idx->unique || idx->primary != (k->kind == SCHEMA_CON_PRIMARY) || idx->nkeys != k->ncols)
        return false;
    for (size_t i = 0; i < k->ncols; i++)
        if (!has_name(idx->keys, idx->nkeys, k->cols[i])) return false;
    return true;
}

static void drop_constraint(Alter *a, const char *name)
{
    RelCtx *c = a->c;
    const SchemaConstraint *k = schema_constraint(a->t, name);
    if (is_partitioned(a->t) || (k && k->kind == SCHEMA_CON_CHECK)) lock_kids(a);
    if (!k) return;
    if (k->kind == SCHEMA_CON_FOREIGN) lock_referenced(c, k->ref, RL_ACCESS_EXCLUSIVE);
    if (k->index) rel_lock(c, k->index, REL_INDEX, RL_ACCESS_EXCLUSIVE);
    if (k->kind != SCHEMA_CON_PRIMARY && k->kind != SCHEMA_CON_UNIQUE) return;
    /* a partitioned table's key index takes its partitions' with it */
    for (size_t i = 0; is_partitioned(a->t) && i < a->nkids; i++)
        for (size_t j = 0; j < a->kids[i]->nindexes; j++)
            if (same_key(a->kids[i]->indexes[j], k))
                rel_lock(c, a->kids[i]->indexes[j], REL_INDEX, RL_ACCESS_EXCLUSIVE);
    /* the foreign keys on its columns go with it (CASCADE) */
    for (size_t i = 0; i < a->t->nrefby; i++)
        for (size_t j = 0; j < a->t->refby[i]->ncons; j++) {
            const SchemaConstraint *fk = &a->t->refby[i]->cons[j];
            if (fk->kind != SCHEMA_CON_FOREIGN || fk->ref != a->t) continue;
            bool all = true;
            for (size_t x = 0; x < k->ncols && all; x++)
                all = fk_refers_to(fk, k->cols[x]);
            if (all) lock_fk_side(c, a->t->refby[i], REL_REFERENCING, RL_ACCESS_EXCLUSIVE);
        }
}

static void validate_constraint(Alter *a, const char *name)
{
    RelCtx *c = a->c;
    const SchemaConstraint *k = schema_constraint(a->t, name);
    if (!k || k->validated) return;
    lock_kids(a);
    if (k->kind != SCHEMA_CON_FOREIGN) return;
    lock_referenced(c, k->ref, RL_ROW_SHARE);
    lock_planned(c, a->t, false);
    lock_planned(c, k->ref, true);
}

/* ALTER COLUMN ... SET GENERATED / SET sequence options / RESTART: the
 * identity's sequence; its options (not GENERATED alone) give it new storage. */
static void set_identity(Alter *a, const PgQuery__AlterTableCmd *cmd)
{
    const SchemaRel *q = identity_seq(a->t, cmd->name);
    if (!q) return;
    rel_lock(a->c, q, REL_SEQUENCE, RL_SHARE_ROW_EXCLUSIVE);
    const PgQuery__List *l =
        cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_LIST ? cmd->def->list : NULL;
    for (size_t i = 0; l && i < l->n_items; i++) {
        const PgQuery__Node *n = l->items[i];
        if (n->node_case != PG_QUERY__NODE__NODE_DEF_ELEM || !n->def_elem->defname) continue;
        if (strcmp(n->def_elem->defname, "generated") == 0) continue;
        rewrite_one(a->c, q);
        return;
    }
}

/* OWNER TO another role carries the indexes, owned sequences and TOAST
 * table along. CURRENT_USER and SESSION_USER are taken to own the relation
 * already (the model keeps no owners): nothing changes, nothing more is
 * locked. */
static void change_owner(Alter *a, const PgQuery__RoleSpec *who)
{
    if (!who || who->roletype != PG_QUERY__ROLE_SPEC_TYPE__ROLESPEC_CSTRING) return;
    if (a->t->kind == SCHEMA_REL_INDEX || a->t->kind == SCHEMA_REL_SEQUENCE ||
        a->t->kind == SCHEMA_REL_VIEW)
        return;
    rel_lock_indexes(a->c, a->t, RL_ACCESS_EXCLUSIVE);
    for (size_t i = 0; i < a->t->nseqs; i++)
        rel_lock(a->c, a->t->seqs[i], REL_SEQUENCE, RL_ACCESS_EXCLUSIVE);
    rel_lock_toast(a->c, a->t, RL_ACCESS_EXCLUSIVE);
}

/* SET LOGGED / UNLOGGED of a table that is not so yet: a rewrite (the
 * model knows what the lock table's row cannot: the table's persistence),
 * and from 15 the owned sequences follow the table. */
static void set_persistence(Alter *a, SchemaPersistence want)
{
    if (a->t->persistence == want) return;
    a->persistence_changes = true;
    if (a->c->major < 15) return;
    for (size_t i = 0; i < a->t->nseqs; i++) {
        rel_lock(a->c, a->t->seqs[i], REL_SEQUENCE, RL_ACCESS_EXCLUSIVE);
        rewrite_one(a->c, a->t->seqs[i]);
    }
}

/* The table ATTACH or DETACH PARTITION names; NULL (said) when the model
 * lacks it. */
static const SchemaRel *partition_named(RelCtx *c, const PgQuery__PartitionCmd *pc)
{
    const SchemaRel *part = pc ? rel_of_rv(c, pc->name) : NULL;
    if (!part)
        rel_unknown(c, "table %s not defined in the corpus",
                    pc && pc->name && pc->name->relname ? pc->name->relname : "?");
    return part;
}

/* From 11 a partition attached or detached changes what the DEFAULT partition
 * of parent may hold: it is locked in AccessExclusiveLock (and scanned for
 * rows that belong to the new bound), unless part is the default itself. */
static void lock_default_partition(RelCtx *c, const SchemaRel *parent, const SchemaRel *part)
{
    const SchemaRel *d = schema_default_partition(parent);
    if (c->major >= 11 && d && d != part) rel_lock(c, d, REL_PARTITION, RL_ACCESS_EXCLUSIVE);
}

static void attach_partition(Alter *a, const PgQuery__PartitionCmd *pc)
{
    RelCtx *c = a->c;
    const SchemaRel *part = partition_named(c, pc);
    if (!part) return;
    rel_lock(c, part, REL_PARTITION, RL_ACCESS_EXCLUSIVE);
    lock_default_partition(c, a->t, part);
    const SchemaRel **sub;
    size_t n = schema_partitions(part, &sub);
    for (size_t i = 0; i < n; i++)
        rel_lock(c, sub[i], REL_PARTITION, RL_ACCESS_EXCLUSIVE);
    free(sub);
    /* from 12 the parent is only ShareUpdateExclusive-locked and its indexes
     * are matched under the same mode */
    if (c->major >= 12) rel_lock_indexes(c, a->t, RL_SHARE_UPDATE_EXCLUSIVE);
    /* the parent's foreign keys are cloned onto the partition and checked
     * there: the referenced table (ShareRowExclusive from 12, where the
     * clone locks it as ADD FOREIGN KEY does) and the query's indexes */
    for (size_t i = 0; c->major >= 11 && i < a->t->ncons; i++) {
        const SchemaConstraint *k = &a->t->cons[i];
        if (k->kind != SCHEMA_CON_FOREIGN || !k->ref) continue;
        lock_referenced(c, k->ref, c->major >= 12 ? RL_SHARE_ROW_EXCLUSIVE : RL_ROW_SHARE);
        lock_planned(c, k->ref, true);
        lock_planned(c, part, false);
    }
}

static void detach_partition(Alter *a, const PgQuery__PartitionCmd *pc)
{
    RelCtx *c = a->c;
    const SchemaRel *part = partition_named(c, pc);
    if (!part) return;
    /* before 14 the partition is only ShareUpdateExclusive-locked (the
     * default partition and one with its parent's row triggers excepted:
     * the model knows no triggers) */
    bool strong = pc->concurrent || c->major >= 14 || part->is_default;
    rel_lock(c, part, REL_PARTITION, strong ? RL_ACCESS_EXCLUSIVE : RL_SHARE_UPDATE_EXCLUSIVE);
    if (!pc->concurrent) lock_default_partition(c, a->t, part);
    if (c->major < 11 || pc->concurrent) return;
    /* its indexes leave the parent's, its partitions go with it, and the
     * foreign keys it inherited become its own (their triggers made again) */
    rel_lock_indexes(c, part, RL_ACCESS_EXCLUSIVE);
    const SchemaRel **sub;
    size_t n = schema_partitions(part, &sub);
    for (size_t i = 0; i < n; i++)
        rel_lock(c, sub[i], REL_PARTITION, RL_ACCESS_EXCLUSIVE);
    free(sub);
    for (size_t i = 0; i < a->t->ncons; i++)
        if (a->t->cons[i].kind == SCHEMA_CON_FOREIGN)
            rel_lock(c, a->t->cons[i].ref, REL_REFERENCED, RL_SHARE_ROW_EXCLUSIVE);
}

/* The column a ColumnDef adds: its inline constraints. */
static void add_column(Alter *a, const PgQuery__Node *def)
{
    lock_kids(a);
    a->rewrite_children = true;
    if (!def || def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF) return;
    const PgQuery__ColumnDef *cd = def->column_def;
    /* a rewrite evaluates the default for each row: the sequences it draws
       from are locked when the table may hold rows */
    bool evaluated =
        a->c->row && a->c->row->rewrite == TRI_YES && schema_has_rows(a->t, a->recurse);
    if (evaluated && cd->raw_default) rel_lock_seq_calls(a->c, &cd->raw_default->base);
    for (size_t i = 0; i < cd->n_constraints; i++) {
        if (cd->constraints[i]->node_case != PG_QUERY__NODE__NODE_CONSTRAINT) continue;
        const PgQuery__Constraint *k = cd->constraints[i]->constraint;
        if (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN) add_foreign_key(a, k, true);
        if (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT && evaluated && k->raw_expr)
            rel_lock_seq_calls(a->c, &k->raw_expr->base);
    }
}

/* One subcommand; false when its form is not modelled. */
static bool subcommand(Alter *a, const PgQuery__AlterTableCmd *cmd)
{
    RelCtx *c = a->c;
    const PgQuery__Node *def = cmd->def;
    switch (cmd->subtype) {
    case AT(AddColumn):
    case AT(AddColumnRecurse):
        add_column(a, def);
        return true;
    case AT(ColumnDefault):
    case AT(CookedColumnDefault):
    case AT(DropNotNull):
    case AT(SetNotNull):
    case AT(CheckNotNull):
    case AT(SetStatistics):
    case AT(SetStorage):
    case AT(SetCompression):
    case AT(DropExpression):
        if (a->t->kind != SCHEMA_REL_INDEX) lock_kids(a);
        return true;
    case AT(DropColumn):
    case AT(DropColumnRecurse):
        lock_kids(a);
        if (!schema_column(a->t, cmd->name)) return true; /* IF EXISTS, or unknown */
        each_rel(a, cmd->name, drop_column_on);
        if (cmd->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE)
            for (size_t i = 0; i < a->t->nviewers; i++)
                rel_lock(c, a->t->viewers[i], REL_VIEW, RL_ACCESS_EXCLUSIVE);
        return true;
    case AT(AlterColumnType):
        lock_kids(a);
        a->rewrite_children = true;
        each_rel(a, cmd->name, retype_column_on);
        return true;
    case AT(AddConstraint):
    case AT(AddConstraintRecurse):
    case AT(AddIndexConstraint):
    case AT(AddIndex):
        if (def && def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
            add_constraint(a, def->constraint);
        return true;
    case AT(ValidateConstraint):
    case AT(ValidateConstraintRecurse):
        validate_constraint(a, cmd->name);
        return true;
    case AT(DropConstraint):
    case AT(DropConstraintRecurse):
        drop_constraint(a, cmd->name);
        return true;
    case AT(AddIdentity):
        return true;
    case AT(SetIdentity):
        set_identity(a, cmd);
        return true;
    case AT(DropIdentity): {
        const SchemaRel *q = identity_seq(a->t, cmd->name);
        if (q) rel_lock(c, q, REL_SEQUENCE, RL_ACCESS_EXCLUSIVE);
        return true;
    }
    case AT(ChangeOwner):
        change_owner(a, cmd->newowner);
        return true;
    case AT(SetLogged):
        set_persistence(a, SCHEMA_PERMANENT);
        return true;
    case AT(SetUnLogged):
        set_persistence(a, SCHEMA_UNLOGGED);
        return true;
    case AT(SetRelOptions):
    case AT(ResetRelOptions):
    case AT(ReplaceRelOptions):
        /* the options reach the TOAST table too (toast.* and the shared ones) */
        if ((a->t->kind == SCHEMA_REL_TABLE || a->t->kind == SCHEMA_REL_MATVIEW) && a->t->has_toast)
            rel_toast(c, a->t, RL_SHARE_UPDATE_EXCLUSIVE, -1, false, false);
        return true;
    case AT(SetTableSpace):
        /* the table and its TOAST table move (rewrite_rel); its indexes stay */
        a->to_pg_default = cmd->name && strcmp(cmd->name, "pg_default") == 0;
        return true;
    case AT(ClusterOn):
        rel_lock(c, index_named(a->t, cmd->name), REL_INDEX, RL_SHARE_UPDATE_EXCLUSIVE);
        return true;
    case AT(ReplicaIdentity):
        if (def && def->node_case == PG_QUERY__NODE__NODE_REPLICA_IDENTITY_STMT)
            rel_lock(c, index_named(a->t, def->replica_identity_stmt->name), REL_INDEX, RL_SHARE);
        return true;
    case AT(EnableTrig):
    case AT(EnableAlwaysTrig):
    case AT(EnableReplicaTrig):
    case AT(DisableTrig):
    case AT(EnableTrigAll):
    case AT(DisableTrigAll):
    case AT(EnableTrigUser):
    case AT(DisableTrigUser):
        /* a partitioned table's row triggers are its partitions' too */
        if (is_partitioned(a->t)) lock_kids(a);
        return true;
    case AT(AddInherit):
    case AT(DropInherit):
        if (def && def->node_case == PG_QUERY__NODE__NODE_RANGE_VAR) {
            const SchemaRel *p = rel_of_rv(c, def->range_var);
            if (!p) {
                rel_unknown(c, "table %s not defined in the corpus", def->range_var->relname);
                return true;
            }
            rel_lock(c, p, REL_PARENT,
                     cmd->subtype == AT(AddInherit) ? RL_SHARE_UPDATE_EXCLUSIVE : RL_ACCESS_SHARE);
        }
        return true;
    case AT(AddOf):
        if (def && def->node_case == PG_QUERY__NODE__NODE_TYPE_NAME) {
            const PgQuery__TypeName *tn = def->type_name;
            const char *name = NULL, *schema = NULL;
            if (tn->n_names >= 1 &&
                tn->names[tn->n_names - 1]->node_case == PG_QUERY__NODE__NODE_STRING)
                name = tn->names[tn->n_names - 1]->string->sval;
            if (tn->n_names >= 2 && tn->names[0]->node_case == PG_QUERY__NODE__NODE_STRING)
                schema = tn->names[0]->string->sval;
            const SchemaRel *ty = name ? schema_rel(c->s, schema, name) : NULL;
            if (ty) rel_lock(c, ty, REL_OTHER, RL_ACCESS_SHARE);
        }
        return true;
    case AT(AttachPartition):
        attach_partition(a, def && def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD
                                ? def->partition_cmd
                                : NULL);
        return true;
    case AT(DetachPartition):
        detach_partition(a, def && def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD
                                ? def->partition_cmd
                                : NULL);
        return true;
    case AT(DropOids):
        if (c->major < 12) {
            lock_kids(a);
            a->rewrite_children = true;
        }
        return true;
    case AT(DropCluster):
    case AT(SetAccessMethod):
    case AT(SetOptions):
    case AT(ResetOptions):
    case AT(EnableRule):
    case AT(EnableAlwaysRule):
    case AT(EnableReplicaRule):
    case AT(DisableRule):
    case AT(DropOf):
    case AT(EnableRowSecurity):
    case AT(DisableRowSecurity):
    case AT(ForceRowSecurity):
    case AT(NoForceRowSecurity):
    case AT(AlterConstraint):
    case AT(GenericOptions):
    case AT(AlterColumnGenericOptions):
        return true;
    default:
        return false;
    }
}

/* r gets new storage: the indexes rebuilt and the TOAST table, all at
 * AccessExclusiveLock. */
static void rewrite_rel(Alter *a, const SchemaRel *r, bool tablespace)
{
    RelCtx *c = a->c;
    if (is_partitioned(r)) return;
    rel_lock_toast(c, r, RL_ACCESS_EXCLUSIVE);
    if (tablespace) {
        char *n = rel_name(r);
        rel_rewrite_name(c, n);
        free(n);
        if (r->has_toast) rel_toast(c, r, -1, -1, true, true);
        return;
    }
    rel_lock_indexes(c, r, RL_ACCESS_EXCLUSIVE);
    rel_rewrite_toast(c, r, schema_toast_after(c->s, r, c->sql));
}

/* Whether cmd is an ADD COLUMN with a default. */
static bool column_has_default(const PgQuery__AlterTableCmd *cmd)
{
    if ((cmd->subtype != AT(AddColumn) && cmd->subtype != AT(AddColumnRecurse)) || !cmd->def ||
        cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
        return false;
    const PgQuery__ColumnDef *cd = cmd->def->column_def;
    if (cd->raw_default) return true;
    for (size_t i = 0; i < cd->n_constraints; i++)
        if (cd->constraints[i]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
            cd->constraints[i]->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT)
            return true;
    return false;
}

/* r's children at every depth, partitions and inheritance children alike
 * (find_all_inheritors), parents before their children; into *out (free()). */
static size_t all_children(const SchemaRel *r, const SchemaRel ***out)
{
    const SchemaRel **v = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i <= n; i++) {
        const SchemaRel *p = i == 0 ? r : v[i - 1];
        for (size_t k = 0; k < p->nchildren; k++) {
            bool seen = p->children[k] == r;
            for (size_t j = 0; j < n && !seen; j++)
                seen = v[j] == p->children[k];
            if (seen) continue;
            if (n == cap) {
                cap = cap ? 2 * cap : 8;
                v = xrealloc(v, cap * sizeof(*v));
            }
            v[n++] = p->children[k];
        }
    }
    *out = v;
    return n;
}

bool relations_alter(RelCtx *c, const PgQuery__AlterTableStmt *st)
{
    const SchemaRel *t = st ? rel_of_rv(c, st->relation) : NULL;
    if (!t) return false;
    Alter a = {
        .c = c,
        .t = t,
        .mode =
            c->row && c->row->predicted && c->row->mode >= 0 ? c->row->mode : RL_ACCESS_EXCLUSIVE,
        .recurse = st->relation->inh,
    };
    a.nkids = all_children(t, &a.kids);
    for (size_t i = 0; i < st->n_cmds; i++)
        if (st->cmds[i]->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_CMD &&
            column_has_default(st->cmds[i]->alter_table_cmd))
            a.column_default = true;
    bool modelled = true, tablespace_only = st->n_cmds > 0;
    for (size_t i = 0; i < st->n_cmds; i++) {
        const PgQuery__Node *n = st->cmds[i];
        if (n->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD) {
            modelled = false;
            continue;
        }
        if (n->alter_table_cmd->subtype != AT(SetTableSpace)) tablespace_only = false;
        if (!subcommand(&a, n->alter_table_cmd)) modelled = false;
    }
    /* The model keeps no tablespaces: a relation the chain made lives in
     * pg_default, where SET TABLESPACE pg_default finds it and moves nothing. */
    bool stays = tablespace_only && a.to_pg_default;
    Tri rw = c->row ? c->row->rewrite : TRI_DEPENDS;
    if (rw == TRI_DEPENDS && a.persistence_changes) rw = TRI_YES;
    if (rw == TRI_YES && !stays && t->kind != SCHEMA_REL_VIEW && t->kind != SCHEMA_REL_SEQUENCE) {
        rewrite_rel(&a, t, tablespace_only);
        for (size_t i = 0; a.rewrite_children && a.recurse && i < a.nkids; i++)
            rewrite_rel(&a, a.kids[i], false);
    }
    free(a.kids);
    return modelled;
}
