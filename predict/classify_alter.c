/*
 * predict/classify_alter: the classes of ALTER TABLE (and of ALTER INDEX,
 * VIEW, SEQUENCE, TYPE ... on a relation), one per subcommand, and of CREATE
 * TABLE. Part of the classifier: see the top of predict/classify.c for the
 * classes and predict/classify_int.h for what its files share.
 */
#include "predict/classify.h"
#include "predict/classify_int.h"
#include "model/vocab.h"

#include <pg_query.h>
#include <stdlib.h>
#include <string.h>

/* ---- ALTER TABLE subcommands ------------------------------------------ */

/* Subcommands whose class depends on nothing but their type. */
static const struct {
    int type;
    const char *body;
} at_simple[] = {
    {PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn, "DROP COLUMN"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumnRecurse, "DROP COLUMN"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull, "ALTER COLUMN DROP NOT NULL"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull, "ALTER COLUMN SET NOT NULL"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_DropExpression, "ALTER COLUMN DROP EXPRESSION"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_SetStatistics, "ALTER COLUMN SET STATISTICS"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_SetOptions, "ALTER COLUMN SET (attribute options)"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_ResetOptions, "ALTER COLUMN RESET (attribute options)"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_SetStorage, "ALTER COLUMN SET STORAGE"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_SetCompression, "ALTER COLUMN SET COMPRESSION"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnGenericOptions, "ALTER COLUMN OPTIONS"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_AddIdentity, "ALTER COLUMN ADD GENERATED AS IDENTITY"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_SetIdentity, "ALTER COLUMN SET GENERATED"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_DropIdentity, "ALTER COLUMN DROP IDENTITY"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_AlterConstraint, "ALTER CONSTRAINT"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint, "VALIDATE CONSTRAINT"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraintRecurse, "VALIDATE CONSTRAINT"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint, "DROP CONSTRAINT"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraintRecurse, "DROP CONSTRAINT"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_ChangeOwner, "OWNER TO"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_ClusterOn, "CLUSTER ON"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_DropCluster, "SET WITHOUT CLUSTER"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_SetLogged, "SET LOGGED"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_SetUnLogged, "SET UNLOGGED"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_DropOids, "SET WITHOUT OIDS"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_SetAccessMethod, "SET ACCESS METHOD"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_SetTableSpace, "SET TABLESPACE"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_SetRelOptions, "SET (storage parameters)"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_ReplaceRelOptions, "SET (storage parameters)"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_ResetRelOptions, "RESET (storage parameters)"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrig, "ENABLE TRIGGER"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrigAll, "ENABLE TRIGGER"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrigUser, "ENABLE TRIGGER"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_EnableAlwaysTrig, "ENABLE ALWAYS TRIGGER"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_EnableReplicaTrig, "ENABLE REPLICA TRIGGER"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrig, "DISABLE TRIGGER"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrigAll, "DISABLE TRIGGER"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrigUser, "DISABLE TRIGGER"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_EnableRule, "ENABLE RULE"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_EnableAlwaysRule, "ENABLE ALWAYS RULE"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_EnableReplicaRule, "ENABLE REPLICA RULE"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_DisableRule, "DISABLE RULE"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_AddOf, "OF"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_DropOf, "NOT OF"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_ReplicaIdentity, "REPLICA IDENTITY"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_EnableRowSecurity, "ENABLE ROW LEVEL SECURITY"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_DisableRowSecurity, "DISABLE ROW LEVEL SECURITY"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_ForceRowSecurity, "FORCE ROW LEVEL SECURITY"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_NoForceRowSecurity, "NO FORCE ROW LEVEL SECURITY"},
    {PG_QUERY__ALTER_TABLE_TYPE__AT_GenericOptions, "OPTIONS"},
};

/* The constraints an ADD COLUMN class ends with, in this order. */
static const char *const add_column_constraints[] = {" PRIMARY KEY", " UNIQUE", " REFERENCES",
                                                     " CHECK"};

static void add_column_class(Buf *b, const PgQuery__ColumnDef *cd, StmtInfo *info)
{
    bool notnull = false, has_default = false, vol = false, identity = false, generated = false;
    bool pk = false, uniq = false, fk = false, check = false, serial = false;

    if (cd->raw_default && !cl_is_null_const(cd->raw_default)) {
        has_default = true;
        vol = cl_expr_volatile(cd->raw_default);
    }
    for (size_t i = 0; i < cd->n_constraints; i++) {
        if (cd->constraints[i]->node_case != PG_QUERY__NODE__NODE_CONSTRAINT) continue;
        const PgQuery__Constraint *c = cd->constraints[i]->constraint;
        switch (c->contype) {
        case PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL:
            notnull = true;
            break;
        case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT:
            if (c->raw_expr && !cl_is_null_const(c->raw_expr)) {
                has_default = true;
                if (cl_expr_volatile(c->raw_expr)) vol = true;
            }
            break;
        case PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY:
            identity = true;
            break;
        case PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED:
            generated = true;
            break;
        case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
            pk = true;
            break;
        case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
            uniq = true;
            break;
        case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
            fk = true;
            cl_add_ref_rv(info, c->pktable);
            break;
        case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
            check = true;
            break;
        default:
            break;
        }
    }
    if (cd->type_name && cd->type_name->n_names == 1 && !cd->type_name->pct_type) {
        const char *t = cl_node_str(cd->type_name->names[0]);
        static const char *const serials[] = {"serial",  "serial4",     "bigserial",
                                              "serial8", "smallserial", "serial2"};
        for (size_t i = 0; t && i < ARRAY_LEN(serials); i++)
            if (strcmp(t, serials[i]) == 0) serial = true;
    }
    if (generated)
        buf_puts(b, " GENERATED STORED");
    else if (identity)
        buf_puts(b, " IDENTITY");
    else if (serial)
        buf_puts(b, " SERIAL");
    else if (has_default && vol)
        buf_puts(b, " DEFAULT volatile");
    else if (has_default && notnull)
        buf_puts(b, " NOT NULL DEFAULT constant");
    else if (has_default)
        buf_puts(b, " DEFAULT constant");
    else if (notnull)
        buf_puts(b, " NOT NULL");
    const bool has[ARRAY_LEN(add_column_constraints)] = {pk, uniq, fk, check};
    for (size_t i = 0; i < ARRAY_LEN(add_column_constraints); i++)
        if (has[i]) buf_puts(b, add_column_constraints[i]);
}

size_t classify_parts(const char *cls, char ***parts)
{
    static const char prefix[] = "ALTER TABLE ADD COLUMN";
    *parts = NULL;
    if (!cls || strncmp(cls, prefix, sizeof(prefix) - 1) != 0) return 0;
    size_t end = strlen(cls), n = 0;
    const char *found[ARRAY_LEN(add_column_constraints)];
    /* the constraints close the class, in add_column_constraints' order */
    for (size_t i = ARRAY_LEN(add_column_constraints); i-- > 0;) {
        size_t w = strlen(add_column_constraints[i]);
        if (end >= sizeof(prefix) - 1 + w &&
            strncmp(cls + end - w, add_column_constraints[i], w) == 0) {
            found[n++] = add_column_constraints[i];
            end -= w;
        }
    }
    bool has_default = end > sizeof(prefix) - 1;
    if (n + has_default < 2) return 0;
    char **out = xcalloc(n + has_default + 1, sizeof(*out));
    size_t k = 0;
    if (has_default) out[k++] = xasprintf("%.*s", (int)end, cls);
    while (n-- > 0)
        out[k++] = xasprintf("%s%s", prefix, found[n]);
    *parts = out;
    return k;
}

static void add_constraint_class(Buf *b, const PgQuery__Constraint *c, StmtInfo *info,
                                 bool *generic)
{
    switch (c->contype) {
    case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
        buf_puts(b, c->skip_validation ? "ADD CONSTRAINT CHECK NOT VALID" : "ADD CONSTRAINT CHECK");
        break;
    case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
        cl_add_ref_rv(info, c->pktable);
        buf_puts(b, c->skip_validation ? "ADD CONSTRAINT FOREIGN KEY NOT VALID"
                                       : "ADD CONSTRAINT FOREIGN KEY");
        break;
    case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
        buf_puts(b, c->indexname && *c->indexname ? "ADD CONSTRAINT UNIQUE USING INDEX"
                                                  : "ADD CONSTRAINT UNIQUE");
        break;
    case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
        buf_puts(b, c->indexname && *c->indexname ? "ADD CONSTRAINT PRIMARY KEY USING INDEX"
                                                  : "ADD CONSTRAINT PRIMARY KEY");
        break;
    case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION:
        buf_puts(b, "ADD CONSTRAINT EXCLUDE");
        break;
    case PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL:
        buf_puts(b, "ADD CONSTRAINT NOT NULL");
        break;
    default:
        buf_puts(b, "ADD CONSTRAINT");
        *generic = true;
        break;
    }
}

/* One subcommand's class, prefix included ("ALTER TABLE DROP COLUMN"). */
static char *at_subclass(const char *prefix, bool is_type, const PgQuery__AlterTableCmd *cmd,
                         StmtInfo *info)
{
    Buf b;
    buf_init(&b);
    buf_puts(&b, prefix);
    buf_putc(&b, ' ');
    size_t body = b.len;
    const Node *def = cmd->def;

    if (cmd->missing_ok) info->may_skip = true;
    switch (cmd->subtype) {
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumnRecurse:
        buf_puts(&b, "ADD COLUMN");
        if (!is_type && def && def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
            add_column_class(&b, def->column_def, info);
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault:
        buf_puts(&b, def ? "ALTER COLUMN SET DEFAULT" : "ALTER COLUMN DROP DEFAULT");
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType: {
        bool using = def && def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF &&
                     def->column_def->raw_default;
        buf_puts(&b, using ? "ALTER COLUMN TYPE USING" : "ALTER COLUMN TYPE");
        break;
    }
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraintRecurse:
        if (def && def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
            add_constraint_class(&b, def->constraint, info, &info->generic);
        else
            buf_puts(&b, "ADD CONSTRAINT");
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AddInherit:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DropInherit:
        buf_puts(&b, cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddInherit ? "INHERIT"
                                                                               : "NO INHERIT");
        if (def && def->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
            cl_add_ref_rv(info, def->range_var);
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartitionFinalize: {
        const PgQuery__PartitionCmd *pc =
            def && def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD ? def->partition_cmd : NULL;
        if (pc) cl_add_ref_rv(info, pc->name);
        if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition) {
            buf_puts(&b, "ATTACH PARTITION");
        } else if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartitionFinalize) {
            buf_puts(&b, "DETACH PARTITION FINALIZE");
        } else if (pc && pc->concurrent) {
            buf_puts(&b, "DETACH PARTITION CONCURRENTLY");
            info->no_tx = true;
        } else {
            buf_puts(&b, "DETACH PARTITION");
        }
        break;
    }
    default: {
        size_t i;
        for (i = 0; i < ARRAY_LEN(at_simple); i++) {
            if (at_simple[i].type == (int)cmd->subtype) {
                buf_puts(&b, at_simple[i].body);
                break;
            }
        }
        if (i == ARRAY_LEN(at_simple)) {
            const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
                &pg_query__alter_table_type__descriptor, (int)cmd->subtype);
            buf_puts(&b, v ? v->name : "UNKNOWN");
            info->generic = true;
        }
        break;
    }
    }
    if (is_type) {
        /* ALTER TYPE composite: ADD/DROP/ALTER ATTRIBUTE */
        char *s = b.data + body;
        const char *const words[] = {"ADD COLUMN", "DROP COLUMN", "ALTER COLUMN"};
        for (size_t i = 0; i < ARRAY_LEN(words); i++) {
            size_t wl = strlen(words[i]);
            if (strncmp(s, words[i], wl) == 0 && (s[wl] == '\0' || s[wl] == ' ')) {
                char *rest = xstrdup(s + wl);
                b.len = body;
                b.data[b.len] = '\0';
                buf_append(&b, words[i], wl - strlen("COLUMN"));
                buf_puts(&b, "ATTRIBUTE");
                buf_puts(&b, rest);
                free(rest);
                break;
            }
        }
    }
    return buf_steal(&b);
}

static const char *alter_prefix(int objtype)
{
    switch (objtype) {
    case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
        return "ALTER INDEX";
    case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
        return "ALTER VIEW";
    case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
        return "ALTER MATERIALIZED VIEW";
    case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
        return "ALTER SEQUENCE";
    case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE:
        return "ALTER FOREIGN TABLE";
    case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE:
        return "ALTER TYPE";
    default:
        return "ALTER TABLE";
    }
}

char *classify_alter_table(const PgQuery__AlterTableStmt *s, StmtInfo *info)
{
    const char *prefix = alter_prefix(s->objtype);
    bool is_type = s->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_TYPE;
    cl_set_target_rv(info, s->relation);
    if (s->n_cmds == 0) return xstrdup(prefix);
    info->subclasses = xcalloc(s->n_cmds, sizeof(char *));
    Buf b;
    buf_init(&b);
    for (size_t i = 0; i < s->n_cmds; i++) {
        const Node *n = s->cmds[i];
        char *sub = n->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_CMD
                        ? at_subclass(prefix, is_type, n->alter_table_cmd, info)
                        : xstrdup(prefix);
        info->subclasses[info->nsubclasses++] = sub;
        if (i) buf_puts(&b, ", ");
        buf_puts(&b, sub);
    }
    return buf_steal(&b);
}

/* ---- CREATE TABLE ----------------------------------------------------- */

/* A foreign key of the new table to another table (not to itself). */
static bool fk_to_other(const PgQuery__CreateStmt *s, const PgQuery__RangeVar *pk)
{
    if (!pk || !pk->relname) return false;
    const PgQuery__RangeVar *t = s->relation;
    if (!t || !t->relname || strcmp(t->relname, pk->relname) != 0) return true;
    const char *a = t->schemaname ? t->schemaname : "", *b = pk->schemaname ? pk->schemaname : "";
    return strcmp(a, b) != 0;
}

/* The relations the new table names (parents, LIKE, foreign-key targets) as
 * referenced; whether it has a foreign key to another table. */
static bool create_table_refs(const PgQuery__CreateStmt *s, StmtInfo *info)
{
    bool fk = false;
    for (size_t i = 0; i < s->n_inh_relations; i++)
        if (s->inh_relations[i]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
            cl_add_ref_rv(info, s->inh_relations[i]->range_var);
    for (size_t i = 0; i < s->n_table_elts; i++) {
        const Node *e = s->table_elts[i];
        if (e->node_case == PG_QUERY__NODE__NODE_TABLE_LIKE_CLAUSE) {
            cl_add_ref_rv(info, e->table_like_clause->relation);
        } else if (e->node_case == PG_QUERY__NODE__NODE_CONSTRAINT) {
            if (e->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN) {
                cl_add_ref_rv(info, e->constraint->pktable);
                fk = fk || fk_to_other(s, e->constraint->pktable);
            }
        } else if (e->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
            const PgQuery__ColumnDef *cd = e->column_def;
            for (size_t k = 0; k < cd->n_constraints; k++)
                if (cd->constraints[k]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
                    cd->constraints[k]->constraint->contype ==
                        PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN) {
                    cl_add_ref_rv(info, cd->constraints[k]->constraint->pktable);
                    fk = fk || fk_to_other(s, cd->constraints[k]->constraint->pktable);
                }
        }
    }
    for (size_t i = 0; i < s->n_constraints; i++)
        if (s->constraints[i]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
            s->constraints[i]->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN) {
            cl_add_ref_rv(info, s->constraints[i]->constraint->pktable);
            fk = fk || fk_to_other(s, s->constraints[i]->constraint->pktable);
        }
    return fk;
}

char *classify_create_table(const PgQuery__CreateStmt *s, StmtInfo *info, bool foreign)
{
    cl_set_target_rv(info, s->relation);
    bool fk = create_table_refs(s, info);
    info->on_commit_drop = s->oncommit == PG_QUERY__ON_COMMIT_ACTION__ONCOMMIT_DROP;
    if (foreign)
        return xstrdup(s->partbound ? "CREATE FOREIGN TABLE PARTITION OF" : "CREATE FOREIGN TABLE");
    if (s->partbound) return xstrdup("CREATE TABLE PARTITION OF");
    const char *p = s->relation ? s->relation->relpersistence : "p";
    /* a foreign key locks the table it references: a class of its own */
    if (p && strcmp(p, "u") == 0)
        return xstrdup(fk ? "CREATE UNLOGGED TABLE REFERENCES" : "CREATE UNLOGGED TABLE");
    if (p && strcmp(p, "t") == 0) return xstrdup("CREATE TEMPORARY TABLE");
    return xstrdup(fk ? "CREATE TABLE REFERENCES" : "CREATE TABLE");
}
