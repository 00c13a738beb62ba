/*
 * classify: a statement's class, target and transaction needs, read from the
 * libpg_query parse tree (protobuf, pg_query/pg_query.pb-c.h). No regular
 * expressions and no string matching on SQL text.
 *
 * Class names (stable: the lock table keys on them). SQL words in upper
 * case, descriptive qualifiers in lower case ("constant", "volatile",
 * "composite", "(storage parameters)"). Where a command has a prefix of
 * ALTER TABLE form, the prefix follows the object: ALTER TABLE, ALTER INDEX,
 * ALTER VIEW, ALTER MATERIALIZED VIEW, ALTER SEQUENCE, ALTER FOREIGN TABLE,
 * ALTER TYPE (composite attributes: COLUMN reads ATTRIBUTE).
 *
 *   ALTER TABLE ADD COLUMN[<default>][<constraints>]
 *       <default>, the first that applies:
 *         " GENERATED STORED"          GENERATED ALWAYS AS (expr) STORED
 *         " IDENTITY"                  GENERATED ... AS IDENTITY
 *         " SERIAL"                    serial, bigserial, smallserial (serial2/4/8)
 *         " DEFAULT volatile"          the default calls a volatile (or unknown) function
 *         " NOT NULL DEFAULT constant" NOT NULL and a non-volatile default
 *         " DEFAULT constant"          a non-volatile default (now() and
 *                                      CURRENT_TIMESTAMP count: PG11+ fast default)
 *         " NOT NULL"                  NOT NULL without a default
 *         ""                           nothing (DEFAULT NULL is no default)
 *       <constraints>, each that applies, in this order:
 *         " PRIMARY KEY", " UNIQUE", " REFERENCES", " CHECK"
 *   ALTER TABLE DROP COLUMN
 *   ALTER TABLE ALTER COLUMN TYPE, ALTER TABLE ALTER COLUMN TYPE USING
 *   ALTER TABLE ALTER COLUMN SET DEFAULT, ... DROP DEFAULT
 *   ALTER TABLE ALTER COLUMN SET NOT NULL, ... DROP NOT NULL
 *   ALTER TABLE ALTER COLUMN DROP EXPRESSION
 *   ALTER TABLE ALTER COLUMN SET STATISTICS, ... SET STORAGE, ... SET COMPRESSION
 *   ALTER TABLE ALTER COLUMN SET (attribute options), ... RESET (attribute options)
 *   ALTER TABLE ALTER COLUMN OPTIONS
 *   ALTER TABLE ALTER COLUMN ADD GENERATED AS IDENTITY, ... SET GENERATED, ... DROP IDENTITY
 *   ALTER TABLE ADD CONSTRAINT CHECK, ... CHECK NOT VALID
 *   ALTER TABLE ADD CONSTRAINT FOREIGN KEY, ... FOREIGN KEY NOT VALID
 *   ALTER TABLE ADD CONSTRAINT UNIQUE, ... UNIQUE USING INDEX
 *   ALTER TABLE ADD CONSTRAINT PRIMARY KEY, ... PRIMARY KEY USING INDEX
 *   ALTER TABLE ADD CONSTRAINT EXCLUDE
 *   ALTER TABLE ALTER CONSTRAINT, ALTER TABLE VALIDATE CONSTRAINT, ALTER TABLE DROP CONSTRAINT
 *   ALTER TABLE RENAME, ALTER TABLE RENAME COLUMN, ALTER TABLE RENAME CONSTRAINT
 *   ALTER TABLE SET SCHEMA, ALTER TABLE SET TABLESPACE, ALTER TABLE SET ACCESS METHOD
 *   ALTER TABLE SET (storage parameters), ALTER TABLE RESET (storage parameters)
 *   ALTER TABLE SET LOGGED, ALTER TABLE SET UNLOGGED, ALTER TABLE SET WITHOUT OIDS
 *   ALTER TABLE ENABLE TRIGGER, ... DISABLE TRIGGER, ... ENABLE ALWAYS TRIGGER,
 *     ... ENABLE REPLICA TRIGGER (ALL and USER forms included)
 *   ALTER TABLE ENABLE RULE, ... DISABLE RULE, ... ENABLE ALWAYS RULE, ... ENABLE REPLICA RULE
 *   ALTER TABLE ENABLE ROW LEVEL SECURITY, ... DISABLE ..., ... FORCE ..., ... NO FORCE ...
 *   ALTER TABLE OWNER TO, ALTER TABLE CLUSTER ON, ALTER TABLE SET WITHOUT CLUSTER
 *   ALTER TABLE REPLICA IDENTITY, ALTER TABLE INHERIT, ALTER TABLE NO INHERIT
 *   ALTER TABLE OF, ALTER TABLE NOT OF, ALTER TABLE OPTIONS
 *   ALTER TABLE ATTACH PARTITION, ALTER TABLE DETACH PARTITION,
 *   ALTER TABLE DETACH PARTITION CONCURRENTLY, ALTER TABLE DETACH PARTITION FINALIZE
 *   An ALTER TABLE with several subcommands: subclasses holds one class per
 *   subcommand, in order; cls is them joined with ", " (repeats kept).
 *
 *   CREATE TABLE, CREATE TABLE REFERENCES (a foreign key to another table),
 *   CREATE UNLOGGED TABLE, CREATE UNLOGGED TABLE REFERENCES, CREATE TEMPORARY TABLE,
 *   CREATE TABLE PARTITION OF, CREATE TABLE AS, SELECT INTO, CREATE FOREIGN TABLE
 *   CREATE INDEX, CREATE UNIQUE INDEX, CREATE INDEX CONCURRENTLY, CREATE UNIQUE INDEX CONCURRENTLY
 *   DROP <object> (DROP TABLE, DROP INDEX, DROP INDEX CONCURRENTLY, DROP VIEW,
 *     DROP TRIGGER, DROP POLICY, DROP TYPE, DROP FUNCTION, ...)
 *   REINDEX INDEX, REINDEX TABLE, REINDEX SCHEMA, REINDEX DATABASE, REINDEX SYSTEM,
 *     each also ... CONCURRENTLY
 *   TRUNCATE, VACUUM, VACUUM FULL, ANALYZE (each "... (every table)" when it names
 *     none), CLUSTER, CREATE PUBLICATION [FOR TABLE]
 *   LOCK TABLE IN <mode> MODE (ACCESS SHARE ... ACCESS EXCLUSIVE)
 *   CREATE SEQUENCE, ALTER SEQUENCE
 *   CREATE VIEW, CREATE OR REPLACE VIEW, CREATE MATERIALIZED VIEW,
 *   REFRESH MATERIALIZED VIEW, REFRESH MATERIALIZED VIEW CONCURRENTLY
 *   CREATE TRIGGER, CREATE OR REPLACE TRIGGER, CREATE CONSTRAINT TRIGGER, CREATE EVENT TRIGGER
 *   CREATE FUNCTION, CREATE OR REPLACE FUNCTION, CREATE PROCEDURE,
 *     CREATE OR REPLACE PROCEDURE, ALTER FUNCTION (ALTER PROCEDURE, ALTER ROUTINE)
 *   CREATE TYPE AS ENUM, CREATE TYPE composite, CREATE TYPE AS RANGE, CREATE TYPE
 *   ALTER TYPE ADD VALUE, ALTER TYPE RENAME VALUE, ALTER TYPE SET
 *   CREATE DOMAIN, ALTER DOMAIN SET DEFAULT, ... DROP DEFAULT, ... SET NOT NULL,
 *     ... DROP NOT NULL, ... ADD CONSTRAINT, ... ADD CONSTRAINT NOT VALID,
 *     ... DROP CONSTRAINT, ... VALIDATE CONSTRAINT
 *   ALTER <object> RENAME, ALTER <object> RENAME COLUMN / CONSTRAINT / ATTRIBUTE,
 *   ALTER <object> SET SCHEMA, ALTER <object> OWNER TO (objects other than tables)
 *   CREATE EXTENSION, ALTER EXTENSION, CREATE SCHEMA, CREATE STATISTICS, CREATE RULE
 *   COMMENT ON <object> (COMMENT ON TABLE, COMMENT ON COLUMN, ...)
 *   GRANT, REVOKE, GRANT ROLE, REVOKE ROLE, ALTER DEFAULT PRIVILEGES
 *   CREATE ROLE, CREATE USER, CREATE GROUP, ALTER ROLE, DROP ROLE
 *   CREATE POLICY, ALTER POLICY
 *   INSERT, UPDATE, DELETE, SELECT ("... WITH data-modifying CTE" when a WITH clause
 *     holds an INSERT, UPDATE, DELETE or MERGE; a SELECT's target is then the table
 *     the first of them writes), MERGE, SELECT, SELECT FOR UPDATE, SELECT FOR NO KEY UPDATE,
 *     SELECT FOR SHARE, SELECT FOR KEY SHARE, COPY FROM, COPY TO, EXPLAIN, EXPLAIN ANALYZE
 *   DO, CALL, SET, RESET, SET TRANSACTION, SHOW, SET CONSTRAINTS
 *   BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE SAVEPOINT, ROLLBACK TO SAVEPOINT,
 *     PREPARE TRANSACTION, COMMIT PREPARED, ROLLBACK PREPARED
 *   CREATE DATABASE, DROP DATABASE, ALTER DATABASE, CREATE TABLESPACE, DROP TABLESPACE,
 *     ALTER SYSTEM, CHECKPOINT, NOTIFY, LISTEN, UNLISTEN, DISCARD
 *   CREATE PUBLICATION, ALTER PUBLICATION, CREATE SUBSCRIPTION, ALTER SUBSCRIPTION,
 *     DROP SUBSCRIPTION, SECURITY LABEL, CREATE LANGUAGE, CREATE CAST, ALTER EXTENSION ADD,
 *     ALTER EXTENSION DROP, and the rest of fixed_classes[] below (CREATE OPERATOR CLASS,
 *     CREATE SERVER, IMPORT FOREIGN SCHEMA, PREPARE, ...)
 *   anything else (a node type a newer libpg_query adds): derived from the node's type
 *     ("create_foo_stmt" -> "CREATE FOO"; an unknown ALTER TABLE subcommand ->
 *     "ALTER TABLE AT_..."), with info->generic set
 *   from the keywords (classify_keywords, when libpg_query rejected the statement):
 *     ALTER TABLE <subcommand>[, ...], CREATE [UNIQUE] INDEX [CONCURRENTLY],
 *     CREATE [UNLOGGED|TEMPORARY] TABLE [REFERENCES|PARTITION OF|AS], with
 *     info->parsed STMT_PARSED_KEYWORDS
 *   unparsed: libpg_query rejected the statement and the keywords did not tell
 *   empty:    no statement at all (only comments)
 *
 * target: the relation acted on (see classify_node); referenced: the other
 * relations named (foreign-key targets, partitions attached or detached, the
 * parent of PARTITION OF, LIKE and INHERITS sources, OWNED BY tables, further
 * tables of TRUNCATE/LOCK/VACUUM/DROP), "schema.name" when qualified, each
 * once, never the target itself. The parser (PostgreSQL 15's, in
 * libpg_query 15-4) rejects syntax newer than 15: such statements are read
 * again by their leading keywords on the scanner's tokens (the keyword reader
 * at the end of this file), else "unparsed".
 */
#include "predict/classify.h"
#include "model/vocab.h"

#include <ctype.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef PgQuery__Node Node;

/* ---- small helpers over the tree ------------------------------------- */

static const char *node_str(const Node *n)
{
    return n && n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : NULL;
}

/* DefElem boolean: absent argument means true (VACUUM (FULL)). */
static bool defelem_true(const PgQuery__DefElem *d)
{
    const Node *a = d->arg;
    if (!a) return true;
    switch (a->node_case) {
    case PG_QUERY__NODE__NODE_BOOLEAN:
        return a->boolean->boolval;
    case PG_QUERY__NODE__NODE_INTEGER:
        return a->integer->ival != 0;
    case PG_QUERY__NODE__NODE_STRING: {
        const char *s = a->string->sval;
        return !(strcmp(s, "false") == 0 || strcmp(s, "off") == 0 || strcmp(s, "0") == 0 ||
                 strcmp(s, "no") == 0);
    }
    case PG_QUERY__NODE__NODE_A_CONST:
        if (a->a_const->val_case == PG_QUERY__A__CONST__VAL_BOOLVAL)
            return a->a_const->boolval->boolval;
        if (a->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL)
            return a->a_const->ival->ival != 0;
        return true;
    default:
        return true;
    }
}

/* True when the option list (DefElem nodes) has name set to true. */
static bool option_on(Node **opts, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (opts[i]->node_case == PG_QUERY__NODE__NODE_DEF_ELEM &&
            strcmp(opts[i]->def_elem->defname, name) == 0)
            return defelem_true(opts[i]->def_elem);
    return false;
}

static void set_target(StmtInfo *info, const char *schema, const char *name)
{
    if (info->target || !name || !*name) return;
    info->target = xstrdup(name);
    info->target_schema = schema && *schema ? xstrdup(schema) : NULL;
}

static void set_target_rv(StmtInfo *info, const PgQuery__RangeVar *rv)
{
    if (rv) set_target(info, rv->schemaname, rv->relname);
}

/* Adds "schema.name" (or "name") to referenced, once, unless it is the target. */
static void add_ref(StmtInfo *info, const char *schema, const char *name)
{
    if (!name || !*name) return;
    /* the target itself (a self-referencing foreign key) is not another relation */
    if (info->target && strcmp(info->target, name) == 0 &&
        strcmp(info->target_schema ? info->target_schema : "", schema ? schema : "") == 0)
        return;
    char *s = schema && *schema ? xasprintf("%s.%s", schema, name) : xstrdup(name);
    for (size_t i = 0; i < info->nreferenced; i++) {
        if (strcmp(info->referenced[i], s) == 0) {
            free(s);
            return;
        }
    }
    info->referenced = xrealloc(info->referenced, (info->nreferenced + 1) * sizeof(char *));
    info->referenced[info->nreferenced++] = s;
}

static void add_ref_rv(StmtInfo *info, const PgQuery__RangeVar *rv)
{
    if (rv) add_ref(info, rv->schemaname, rv->relname);
}

/* The table the first data-modifying statement of a WITH clause writes,
 * NULL when none does. */
static const PgQuery__RangeVar *with_modified(const PgQuery__WithClause *w)
{
    for (size_t i = 0; w && i < w->n_ctes; i++) {
        const Node *c = w->ctes[i];
        if (c->node_case != PG_QUERY__NODE__NODE_COMMON_TABLE_EXPR || !c->common_table_expr->ctequery)
            continue;
        const Node *q = c->common_table_expr->ctequery;
        switch (q->node_case) {
        case PG_QUERY__NODE__NODE_INSERT_STMT:
            return q->insert_stmt->relation;
        case PG_QUERY__NODE__NODE_UPDATE_STMT:
            return q->update_stmt->relation;
        case PG_QUERY__NODE__NODE_DELETE_STMT:
            return q->delete_stmt->relation;
        case PG_QUERY__NODE__NODE_MERGE_STMT:
            return q->merge_stmt->relation;
        default:
            break;
        }
    }
    return NULL;
}

/* INSERT, UPDATE, DELETE, SELECT: "verb WITH data-modifying CTE" when a WITH
 * clause writes another table. */
static char *dml_class(const char *verb, const PgQuery__WithClause *w)
{
    return with_modified(w) ? xasprintf("%s WITH data-modifying CTE", verb) : xstrdup(verb);
}

/* A qualified name as a list of String nodes: the last is the name, the one
 * before it the schema. drop_last skips a trailing member name (the column of
 * COMMENT ON COLUMN, the trigger of DROP TRIGGER). */
static void names_split(Node **items, size_t n, bool drop_last, const char **schema,
                        const char **name)
{
    *schema = *name = NULL;
    if (drop_last) {
        if (n < 2) return;
        n--;
    }
    if (n >= 1) *name = node_str(items[n - 1]);
    if (n >= 2) *schema = node_str(items[n - 2]);
}

static void set_target_names(StmtInfo *info, Node **items, size_t n, bool drop_last)
{
    const char *schema, *name;
    names_split(items, n, drop_last, &schema, &name);
    set_target(info, schema, name);
}

/* Target from a DropStmt / CommentStmt object node. */
static void target_from_object(StmtInfo *info, const Node *obj, bool drop_last, bool as_ref)
{
    if (!obj) return;
    const char *schema = NULL, *name = NULL;
    if (obj->node_case == PG_QUERY__NODE__NODE_LIST)
        names_split(obj->list->items, obj->list->n_items, drop_last, &schema, &name);
    else if (obj->node_case == PG_QUERY__NODE__NODE_TYPE_NAME)
        names_split(obj->type_name->names, obj->type_name->n_names, false, &schema, &name);
    else if (obj->node_case == PG_QUERY__NODE__NODE_RANGE_VAR) {
        schema = obj->range_var->schemaname;
        name = obj->range_var->relname;
    } else if (obj->node_case == PG_QUERY__NODE__NODE_STRING && !drop_last)
        name = obj->string->sval;
    if (as_ref)
        add_ref(info, schema, name);
    else
        set_target(info, schema, name);
}

/* ---- a generic walk over any protobuf message ------------------------ */

typedef bool (*VisitFn)(const ProtobufCMessage *m, void *ctx); /* false: stop descending */

static void walk(const ProtobufCMessage *m, VisitFn visit, void *ctx)
{
    if (!m || !visit(m, ctx)) return;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_MESSAGE) continue;
        const char *base = (const char *)m;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(base + f->quantifier_offset);
            ProtobufCMessage *const *arr = *(ProtobufCMessage *const *const *)(base + f->offset);
            for (size_t k = 0; k < n; k++)
                walk(arr[k], visit, ctx);
        } else {
            if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
                *(const uint32_t *)(base + f->quantifier_offset) != f->id)
                continue;
            walk(*(ProtobufCMessage *const *)(base + f->offset), visit, ctx);
        }
    }
}

/* ---- volatility of a default expression ------------------------------ */

/* Functions PostgreSQL marks stable or immutable that defaults commonly use:
 * a default calling only these keeps PG11+'s fast (no-rewrite) default. Any
 * other function call counts as volatile (random(), gen_random_uuid(),
 * uuid_generate_v4(), nextval(), clock_timestamp(), timeofday(), ...). */
static const char *const nonvolatile_funcs[] = {
    "now",
    "transaction_timestamp",
    "statement_timestamp",
    "current_setting",
    "timezone",
    "lower",
    "upper",
    "btrim",
    "ltrim",
    "rtrim",
    "length",
    "char_length",
    "concat",
    "concat_ws",
    "replace",
    "substr",
    "substring",
    "left",
    "right",
    "md5",
    "encode",
    "decode",
    "format",
    "to_char",
    "to_timestamp",
    "to_date",
    "to_number",
    "date_trunc",
    "date_part",
    "make_date",
    "make_interval",
    "make_timestamp",
    "make_timestamptz",
    "abs",
    "round",
    "floor",
    "ceil",
    "to_json",
    "to_jsonb",
    "json_build_object",
    "jsonb_build_object",
    "json_build_array",
    "jsonb_build_array",
    "array_length",
    "cardinality",
    "int4",
    "int8",
    "text",
    "numeric",
};

static bool func_nonvolatile(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(nonvolatile_funcs); i++)
        if (strcmp(name, nonvolatile_funcs[i]) == 0) return true;
    return false;
}

static bool visit_volatile(const ProtobufCMessage *m, void *ctx)
{
    bool *vol = ctx;
    if (*vol) return false;
    if (m->descriptor == &pg_query__func_call__descriptor) {
        const PgQuery__FuncCall *fc = (const PgQuery__FuncCall *)m;
        const char *name = fc->n_funcname ? node_str(fc->funcname[fc->n_funcname - 1]) : NULL;
        if (!name || !func_nonvolatile(name)) {
            *vol = true;
            return false;
        }
    } else if (m->descriptor == &pg_query__sub_link__descriptor) {
        *vol = true; /* not allowed in a default; be conservative elsewhere */
        return false;
    }
    return true;
}

static bool expr_volatile(const Node *e)
{
    bool vol = false;
    walk(&e->base, visit_volatile, &vol);
    return vol;
}

/* DEFAULT NULL (or NULL::type): PostgreSQL stores no default at all. */
static bool is_null_const(const Node *e)
{
    while (e && e->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
        e = e->type_cast->arg;
    return e && e->node_case == PG_QUERY__NODE__NODE_A_CONST && e->a_const->isnull;
}

/* ---- object type words ------------------------------------------------ */

/* The SQL words for an object type ("MATERIALIZED VIEW"). */
static const char *const objtype_words[] = {
    [PG_QUERY__OBJECT_TYPE__OBJECT_ACCESS_METHOD] = "ACCESS METHOD",
    [PG_QUERY__OBJECT_TYPE__OBJECT_AGGREGATE] = "AGGREGATE",
    [PG_QUERY__OBJECT_TYPE__OBJECT_AMOP] = "OPERATOR",
    [PG_QUERY__OBJECT_TYPE__OBJECT_AMPROC] = "FUNCTION",
    [PG_QUERY__OBJECT_TYPE__OBJECT_ATTRIBUTE] = "ATTRIBUTE",
    [PG_QUERY__OBJECT_TYPE__OBJECT_CAST] = "CAST",
    [PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN] = "COLUMN",
    [PG_QUERY__OBJECT_TYPE__OBJECT_COLLATION] = "COLLATION",
    [PG_QUERY__OBJECT_TYPE__OBJECT_CONVERSION] = "CONVERSION",
    [PG_QUERY__OBJECT_TYPE__OBJECT_DATABASE] = "DATABASE",
    [PG_QUERY__OBJECT_TYPE__OBJECT_DEFAULT] = "DEFAULT",
    [PG_QUERY__OBJECT_TYPE__OBJECT_DEFACL] = "DEFAULT PRIVILEGES",
    [PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN] = "DOMAIN",
    [PG_QUERY__OBJECT_TYPE__OBJECT_DOMCONSTRAINT] = "CONSTRAINT",
    [PG_QUERY__OBJECT_TYPE__OBJECT_EVENT_TRIGGER] = "EVENT TRIGGER",
    [PG_QUERY__OBJECT_TYPE__OBJECT_EXTENSION] = "EXTENSION",
    [PG_QUERY__OBJECT_TYPE__OBJECT_FDW] = "FOREIGN DATA WRAPPER",
    [PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_SERVER] = "SERVER",
    [PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE] = "FOREIGN TABLE",
    [PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION] = "FUNCTION",
    [PG_QUERY__OBJECT_TYPE__OBJECT_INDEX] = "INDEX",
    [PG_QUERY__OBJECT_TYPE__OBJECT_LANGUAGE] = "LANGUAGE",
    [PG_QUERY__OBJECT_TYPE__OBJECT_LARGEOBJECT] = "LARGE OBJECT",
    [PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW] = "MATERIALIZED VIEW",
    [PG_QUERY__OBJECT_TYPE__OBJECT_OPCLASS] = "OPERATOR CLASS",
    [PG_QUERY__OBJECT_TYPE__OBJECT_OPERATOR] = "OPERATOR",
    [PG_QUERY__OBJECT_TYPE__OBJECT_OPFAMILY] = "OPERATOR FAMILY",
    [PG_QUERY__OBJECT_TYPE__OBJECT_PARAMETER_ACL] = "PARAMETER",
    [PG_QUERY__OBJECT_TYPE__OBJECT_POLICY] = "POLICY",
    [PG_QUERY__OBJECT_TYPE__OBJECT_PROCEDURE] = "PROCEDURE",
    [PG_QUERY__OBJECT_TYPE__OBJECT_PUBLICATION] = "PUBLICATION",
    [PG_QUERY__OBJECT_TYPE__OBJECT_PUBLICATION_NAMESPACE] = "PUBLICATION SCHEMA",
    [PG_QUERY__OBJECT_TYPE__OBJECT_PUBLICATION_REL] = "PUBLICATION TABLE",
    [PG_QUERY__OBJECT_TYPE__OBJECT_ROLE] = "ROLE",
    [PG_QUERY__OBJECT_TYPE__OBJECT_ROUTINE] = "ROUTINE",
    [PG_QUERY__OBJECT_TYPE__OBJECT_RULE] = "RULE",
    [PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA] = "SCHEMA",
    [PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE] = "SEQUENCE",
    [PG_QUERY__OBJECT_TYPE__OBJECT_SUBSCRIPTION] = "SUBSCRIPTION",
    [PG_QUERY__OBJECT_TYPE__OBJECT_STATISTIC_EXT] = "STATISTICS",
    [PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT] = "CONSTRAINT",
    [PG_QUERY__OBJECT_TYPE__OBJECT_TABLE] = "TABLE",
    [PG_QUERY__OBJECT_TYPE__OBJECT_TABLESPACE] = "TABLESPACE",
    [PG_QUERY__OBJECT_TYPE__OBJECT_TRANSFORM] = "TRANSFORM",
    [PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER] = "TRIGGER",
    [PG_QUERY__OBJECT_TYPE__OBJECT_TSCONFIGURATION] = "TEXT SEARCH CONFIGURATION",
    [PG_QUERY__OBJECT_TYPE__OBJECT_TSDICTIONARY] = "TEXT SEARCH DICTIONARY",
    [PG_QUERY__OBJECT_TYPE__OBJECT_TSPARSER] = "TEXT SEARCH PARSER",
    [PG_QUERY__OBJECT_TYPE__OBJECT_TSTEMPLATE] = "TEXT SEARCH TEMPLATE",
    [PG_QUERY__OBJECT_TYPE__OBJECT_TYPE] = "TYPE",
    [PG_QUERY__OBJECT_TYPE__OBJECT_USER_MAPPING] = "USER MAPPING",
    [PG_QUERY__OBJECT_TYPE__OBJECT_VIEW] = "VIEW",
};

static const char *objtype_word(int t)
{
    if (t >= 0 && (size_t)t < ARRAY_LEN(objtype_words) && objtype_words[t]) return objtype_words[t];
    return "OBJECT";
}

/* Object types whose name is a relation (a lock on it is a relation lock). */
static bool objtype_is_relation(int t)
{
    return t == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE || t == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX ||
           t == PG_QUERY__OBJECT_TYPE__OBJECT_VIEW || t == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW ||
           t == PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE ||
           t == PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE;
}

/* Object types named by (relation..., member): trigger, policy, rule, table constraint, column. */
static bool objtype_is_member(int t)
{
    return t == PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER ||
           t == PG_QUERY__OBJECT_TYPE__OBJECT_POLICY || t == PG_QUERY__OBJECT_TYPE__OBJECT_RULE ||
           t == PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT ||
           t == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN;
}

/* "create_stats_stmt" -> "CREATE STATS": the generic fallback. */
static char *generic_from_field(const char *field)
{
    Buf b;
    buf_init(&b);
    size_t n = strlen(field);
    if (n > 5 && strcmp(field + n - 5, "_stmt") == 0) n -= 5;
    for (size_t i = 0; i < n; i++)
        buf_putc(&b, field[i] == '_' ? ' ' : (char)toupper((unsigned char)field[i]));
    return buf_steal(&b);
}

static char *generic_class(const Node *stmt)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(
        &pg_query__node__descriptor, (unsigned)stmt->node_case);
    return generic_from_field(f ? f->name : "unknown_stmt");
}

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

    if (cd->raw_default && !is_null_const(cd->raw_default)) {
        has_default = true;
        vol = expr_volatile(cd->raw_default);
    }
    for (size_t i = 0; i < cd->n_constraints; i++) {
        if (cd->constraints[i]->node_case != PG_QUERY__NODE__NODE_CONSTRAINT) continue;
        const PgQuery__Constraint *c = cd->constraints[i]->constraint;
        switch (c->contype) {
        case PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL:
            notnull = true;
            break;
        case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT:
            if (c->raw_expr && !is_null_const(c->raw_expr)) {
                has_default = true;
                if (expr_volatile(c->raw_expr)) vol = true;
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
            add_ref_rv(info, c->pktable);
            break;
        case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
            check = true;
            break;
        default:
            break;
        }
    }
    if (cd->type_name && cd->type_name->n_names == 1 && !cd->type_name->pct_type) {
        const char *t = node_str(cd->type_name->names[0]);
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
        add_ref_rv(info, c->pktable);
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
            add_ref_rv(info, def->range_var);
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartitionFinalize: {
        const PgQuery__PartitionCmd *pc =
            def && def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD ? def->partition_cmd : NULL;
        if (pc) add_ref_rv(info, pc->name);
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

static char *classify_alter_table(const PgQuery__AlterTableStmt *s, StmtInfo *info)
{
    const char *prefix = alter_prefix(s->objtype);
    bool is_type = s->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_TYPE;
    set_target_rv(info, s->relation);
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
            add_ref_rv(info, s->inh_relations[i]->range_var);
    for (size_t i = 0; i < s->n_table_elts; i++) {
        const Node *e = s->table_elts[i];
        if (e->node_case == PG_QUERY__NODE__NODE_TABLE_LIKE_CLAUSE) {
            add_ref_rv(info, e->table_like_clause->relation);
        } else if (e->node_case == PG_QUERY__NODE__NODE_CONSTRAINT) {
            if (e->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN) {
                add_ref_rv(info, e->constraint->pktable);
                fk = fk || fk_to_other(s, e->constraint->pktable);
            }
        } else if (e->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
            const PgQuery__ColumnDef *cd = e->column_def;
            for (size_t k = 0; k < cd->n_constraints; k++)
                if (cd->constraints[k]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
                    cd->constraints[k]->constraint->contype ==
                        PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN) {
                    add_ref_rv(info, cd->constraints[k]->constraint->pktable);
                    fk = fk || fk_to_other(s, cd->constraints[k]->constraint->pktable);
                }
        }
    }
    for (size_t i = 0; i < s->n_constraints; i++)
        if (s->constraints[i]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
            s->constraints[i]->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN) {
            add_ref_rv(info, s->constraints[i]->constraint->pktable);
            fk = fk || fk_to_other(s, s->constraints[i]->constraint->pktable);
        }
    return fk;
}

static char *classify_create_table(const PgQuery__CreateStmt *s, StmtInfo *info, bool foreign)
{
    set_target_rv(info, s->relation);
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

/* ---- the rest --------------------------------------------------------- */

static void targets_from_rels(StmtInfo *info, Node **rels, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const PgQuery__RangeVar *rv = NULL;
        if (rels[i]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
            rv = rels[i]->range_var;
        else if (rels[i]->node_case == PG_QUERY__NODE__NODE_VACUUM_RELATION)
            rv = rels[i]->vacuum_relation->relation;
        if (!rv) continue;
        if (!info->target)
            set_target_rv(info, rv);
        else
            add_ref_rv(info, rv);
    }
}

/* A sequence's OWNED BY table.column names the table. */
static void owned_by_ref(Node **opts, size_t n, StmtInfo *info)
{
    for (size_t i = 0; i < n; i++) {
        if (opts[i]->node_case != PG_QUERY__NODE__NODE_DEF_ELEM ||
            strcmp(opts[i]->def_elem->defname, "owned_by") != 0)
            continue;
        const Node *a = opts[i]->def_elem->arg;
        if (a && a->node_case == PG_QUERY__NODE__NODE_LIST)
            target_from_object(info, a, true,
                               true); /* (schema, table, column); OWNED BY NONE has no table */
    }
}

static char *classify_drop(const PgQuery__DropStmt *s, StmtInfo *info)
{
    int t = s->remove_type;
    bool rel = objtype_is_relation(t), member = objtype_is_member(t);
    if (rel || member || t == PG_QUERY__OBJECT_TYPE__OBJECT_TYPE ||
        t == PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN) {
        /* DROP TYPE: a composite type's row-type relation (relkind 'c') is
         * locked, an enum or range type has none, and the statement does not
         * say which it drops: the types are referenced relations (a lock the
         * table may predict), not a target whose lock it must */
        bool type = t == PG_QUERY__OBJECT_TYPE__OBJECT_TYPE;
        for (size_t i = 0; i < s->n_objects; i++)
            target_from_object(info, s->objects[i], member, type || i > 0);
    }
    if (t == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX && s->concurrent) {
        info->no_tx = true;
        return xstrdup("DROP INDEX CONCURRENTLY");
    }
    if (t == PG_QUERY__OBJECT_TYPE__OBJECT_TABLESPACE) info->no_tx = true;
    return xasprintf("DROP %s", objtype_word(t));
}

static char *classify_reindex(const PgQuery__ReindexStmt *s, StmtInfo *info)
{
    const char *what;
    switch (s->kind) {
    case PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_INDEX:
        what = "INDEX";
        break;
    case PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_TABLE:
        what = "TABLE";
        break;
    case PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SCHEMA:
        what = "SCHEMA";
        break;
    case PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SYSTEM:
        what = "SYSTEM";
        break;
    case PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_DATABASE:
        what = "DATABASE";
        break;
    default:
        what = "OBJECT";
        break;
    }
    set_target_rv(info, s->relation);
    bool conc = option_on(s->params, s->n_params, "concurrently");
    /* REINDEX SCHEMA/DATABASE/SYSTEM refuse a transaction block in any form */
    if (conc || !s->relation) info->no_tx = true;
    return xasprintf("REINDEX %s%s", what, conc ? " CONCURRENTLY" : "");
}

static char *classify_rename(const PgQuery__RenameStmt *s, StmtInfo *info)
{
    int t = s->rename_type;
    if (s->relation)
        set_target_rv(info, s->relation);
    else if (t == PG_QUERY__OBJECT_TYPE__OBJECT_TYPE || t == PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN ||
             t == PG_QUERY__OBJECT_TYPE__OBJECT_ATTRIBUTE)
        target_from_object(info, s->object, false, false);
    switch (t) {
    case PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN:
        return xasprintf("ALTER %s RENAME COLUMN", objtype_word(s->relation_type));
    case PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT:
        /* the grammar leaves relationType unset here: only ALTER TABLE has it */
        return xstrdup("ALTER TABLE RENAME CONSTRAINT");
    case PG_QUERY__OBJECT_TYPE__OBJECT_ATTRIBUTE:
        return xstrdup("ALTER TYPE RENAME ATTRIBUTE");
    case PG_QUERY__OBJECT_TYPE__OBJECT_DOMCONSTRAINT:
        return xstrdup("ALTER DOMAIN RENAME CONSTRAINT");
    default:
        return xasprintf("ALTER %s RENAME", objtype_word(t));
    }
}

static char *classify_vacuum(const PgQuery__VacuumStmt *s, StmtInfo *info)
{
    targets_from_rels(info, s->rels, s->n_rels);
    /* without a table: every table of the database, each locked in turn */
    const char *every = s->n_rels ? "" : " (every table)";
    if (!s->is_vacuumcmd) return xasprintf("ANALYZE%s", every);
    info->no_tx = true;
    return xasprintf("%s%s", option_on(s->options, s->n_options, "full") ? "VACUUM FULL" : "VACUUM",
                     every);
}

static char *classify_create_publication(const PgQuery__CreatePublicationStmt *s, StmtInfo *info)
{
    for (size_t i = 0; i < s->n_pubobjects; i++) {
        const Node *o = s->pubobjects[i];
        if (o->node_case != PG_QUERY__NODE__NODE_PUBLICATION_OBJ_SPEC || !o->publication_obj_spec->pubtable ||
            !o->publication_obj_spec->pubtable->relation)
            continue;
        const PgQuery__RangeVar *rv = o->publication_obj_spec->pubtable->relation;
        if (!info->target)
            set_target_rv(info, rv);
        else
            add_ref_rv(info, rv);
    }
    return xstrdup(info->target ? "CREATE PUBLICATION FOR TABLE" : "CREATE PUBLICATION");
}

static char *classify_select(const PgQuery__SelectStmt *s, StmtInfo *info)
{
    if (s->into_clause) {
        set_target_rv(info, s->into_clause->rel);
        return xstrdup("SELECT INTO");
    }
    /* WITH d AS (DELETE ... RETURNING ...) SELECT ...: a write, its target
     * the table the WITH clause modifies (RowExclusiveLock), not a read */
    const PgQuery__RangeVar *modified = with_modified(s->with_clause);
    if (modified) {
        set_target_rv(info, modified);
        return dml_class("SELECT", s->with_clause);
    }
    int strength = 0;
    for (size_t i = 0; i < s->n_locking_clause; i++)
        if (s->locking_clause[i]->node_case == PG_QUERY__NODE__NODE_LOCKING_CLAUSE &&
            (int)s->locking_clause[i]->locking_clause->strength > strength)
            strength = s->locking_clause[i]->locking_clause->strength;
    switch (strength) {
    case PG_QUERY__LOCK_CLAUSE_STRENGTH__LCS_FORKEYSHARE:
        return xstrdup("SELECT FOR KEY SHARE");
    case PG_QUERY__LOCK_CLAUSE_STRENGTH__LCS_FORSHARE:
        return xstrdup("SELECT FOR SHARE");
    case PG_QUERY__LOCK_CLAUSE_STRENGTH__LCS_FORNOKEYUPDATE:
        return xstrdup("SELECT FOR NO KEY UPDATE");
    case PG_QUERY__LOCK_CLAUSE_STRENGTH__LCS_FORUPDATE:
        return xstrdup("SELECT FOR UPDATE");
    default:
        return xstrdup("SELECT");
    }
}

static char *classify_transaction(const PgQuery__TransactionStmt *s, StmtInfo *info)
{
    info->tx_control = true;
    switch (s->kind) {
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START:
        return xstrdup("BEGIN");
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
        return xstrdup("COMMIT");
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
        return xstrdup("ROLLBACK");
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_SAVEPOINT:
        return xstrdup("SAVEPOINT");
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_RELEASE:
        return xstrdup("RELEASE SAVEPOINT");
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO:
        return xstrdup("ROLLBACK TO SAVEPOINT");
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE:
        return xstrdup("PREPARE TRANSACTION");
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT_PREPARED:
        info->no_tx = true;
        return xstrdup("COMMIT PREPARED");
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_PREPARED:
        info->no_tx = true;
        return xstrdup("ROLLBACK PREPARED");
    default:
        return xstrdup("TRANSACTION");
    }
}

static char *classify_alter_domain(const PgQuery__AlterDomainStmt *s)
{
    const char *sub = s->subtype ? s->subtype : "";
    switch (sub[0]) {
    case 'T':
        return xstrdup(s->def ? "ALTER DOMAIN SET DEFAULT" : "ALTER DOMAIN DROP DEFAULT");
    case 'N':
        return xstrdup("ALTER DOMAIN DROP NOT NULL");
    case 'O':
        return xstrdup("ALTER DOMAIN SET NOT NULL");
    case 'C':
        if (s->def && s->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
            s->def->constraint->skip_validation)
            return xstrdup("ALTER DOMAIN ADD CONSTRAINT NOT VALID");
        return xstrdup("ALTER DOMAIN ADD CONSTRAINT");
    case 'X':
        return xstrdup("ALTER DOMAIN DROP CONSTRAINT");
    case 'V':
        return xstrdup("ALTER DOMAIN VALIDATE CONSTRAINT");
    default:
        return xstrdup("ALTER DOMAIN");
    }
}

static char *classify_comment(const PgQuery__CommentStmt *s, StmtInfo *info)
{
    int t = s->objtype;
    if (objtype_is_relation(t) || objtype_is_member(t))
        target_from_object(info, s->object, objtype_is_member(t), false);
    return xasprintf("COMMENT ON %s", objtype_word(t));
}

static char *classify_grant(const PgQuery__GrantStmt *s, StmtInfo *info)
{
    if (s->targtype == PG_QUERY__GRANT_TARGET_TYPE__ACL_TARGET_OBJECT &&
        objtype_is_relation(s->objtype))
        targets_from_rels(info, s->objects, s->n_objects);
    return xstrdup(s->is_grant ? "GRANT" : "REVOKE");
}

/* Statements whose class is fixed by their node type alone. */
static const struct {
    int node;
    const char *cls;
    bool no_tx; /* refuses a transaction block */
} fixed_classes[] = {
    {PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT, "CREATE DOMAIN", false},
    {PG_QUERY__NODE__NODE_CREATE_EXTENSION_STMT, "CREATE EXTENSION", false},
    {PG_QUERY__NODE__NODE_ALTER_EXTENSION_STMT, "ALTER EXTENSION", false},
    {PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT, "CREATE SCHEMA", false},
    {PG_QUERY__NODE__NODE_ALTER_DEFAULT_PRIVILEGES_STMT, "ALTER DEFAULT PRIVILEGES", false},
    {PG_QUERY__NODE__NODE_DROP_ROLE_STMT, "DROP ROLE", false},
    {PG_QUERY__NODE__NODE_VARIABLE_SHOW_STMT, "SHOW", false},
    {PG_QUERY__NODE__NODE_CONSTRAINTS_SET_STMT, "SET CONSTRAINTS", false},
    {PG_QUERY__NODE__NODE_CREATEDB_STMT, "CREATE DATABASE", true},
    {PG_QUERY__NODE__NODE_DROPDB_STMT, "DROP DATABASE", true},
    {PG_QUERY__NODE__NODE_ALTER_DATABASE_SET_STMT, "ALTER DATABASE SET", false},
    {PG_QUERY__NODE__NODE_CREATE_TABLE_SPACE_STMT, "CREATE TABLESPACE", true},
    {PG_QUERY__NODE__NODE_DROP_TABLE_SPACE_STMT, "DROP TABLESPACE", true},
    {PG_QUERY__NODE__NODE_ALTER_SYSTEM_STMT, "ALTER SYSTEM", true},
    {PG_QUERY__NODE__NODE_CHECK_POINT_STMT, "CHECKPOINT", false},
    {PG_QUERY__NODE__NODE_NOTIFY_STMT, "NOTIFY", false},
    {PG_QUERY__NODE__NODE_LISTEN_STMT, "LISTEN", false},
    {PG_QUERY__NODE__NODE_UNLISTEN_STMT, "UNLISTEN", false},
    {PG_QUERY__NODE__NODE_DISCARD_STMT, "DISCARD", false},
    {PG_QUERY__NODE__NODE_CREATE_EVENT_TRIG_STMT, "CREATE EVENT TRIGGER", false},
    {PG_QUERY__NODE__NODE_ALTER_PUBLICATION_STMT, "ALTER PUBLICATION", false},
    {PG_QUERY__NODE__NODE_CREATE_SUBSCRIPTION_STMT, "CREATE SUBSCRIPTION", false},
    {PG_QUERY__NODE__NODE_ALTER_SUBSCRIPTION_STMT, "ALTER SUBSCRIPTION", false},
    {PG_QUERY__NODE__NODE_DROP_SUBSCRIPTION_STMT, "DROP SUBSCRIPTION", false},
    {PG_QUERY__NODE__NODE_CREATE_PLANG_STMT, "CREATE LANGUAGE", false},
    {PG_QUERY__NODE__NODE_CREATE_CAST_STMT, "CREATE CAST", false},
    {PG_QUERY__NODE__NODE_ALTER_COLLATION_STMT, "ALTER COLLATION", false},
    {PG_QUERY__NODE__NODE_ALTER_DATABASE_REFRESH_COLL_STMT,
     "ALTER DATABASE REFRESH COLLATION VERSION", false},
    {PG_QUERY__NODE__NODE_ALTER_EVENT_TRIG_STMT, "ALTER EVENT TRIGGER", false},
    {PG_QUERY__NODE__NODE_ALTER_FDW_STMT, "ALTER FOREIGN DATA WRAPPER", false},
    {PG_QUERY__NODE__NODE_ALTER_FOREIGN_SERVER_STMT, "ALTER SERVER", false},
    {PG_QUERY__NODE__NODE_ALTER_OPERATOR_STMT, "ALTER OPERATOR", false},
    {PG_QUERY__NODE__NODE_ALTER_OP_FAMILY_STMT, "ALTER OPERATOR FAMILY", false},
    {PG_QUERY__NODE__NODE_ALTER_STATS_STMT, "ALTER STATISTICS", false},
    {PG_QUERY__NODE__NODE_ALTER_TABLE_MOVE_ALL_STMT, "ALTER TABLE ALL IN TABLESPACE SET TABLESPACE",
     false},
    {PG_QUERY__NODE__NODE_ALTER_TABLE_SPACE_OPTIONS_STMT, "ALTER TABLESPACE", false},
    {PG_QUERY__NODE__NODE_ALTER_TSCONFIGURATION_STMT, "ALTER TEXT SEARCH CONFIGURATION", false},
    {PG_QUERY__NODE__NODE_ALTER_TSDICTIONARY_STMT, "ALTER TEXT SEARCH DICTIONARY", false},
    {PG_QUERY__NODE__NODE_ALTER_USER_MAPPING_STMT, "ALTER USER MAPPING", false},
    {PG_QUERY__NODE__NODE_CLOSE_PORTAL_STMT, "CLOSE", false},
    {PG_QUERY__NODE__NODE_CREATE_AM_STMT, "CREATE ACCESS METHOD", false},
    {PG_QUERY__NODE__NODE_CREATE_CONVERSION_STMT, "CREATE CONVERSION", false},
    {PG_QUERY__NODE__NODE_CREATE_FDW_STMT, "CREATE FOREIGN DATA WRAPPER", false},
    {PG_QUERY__NODE__NODE_CREATE_FOREIGN_SERVER_STMT, "CREATE SERVER", false},
    {PG_QUERY__NODE__NODE_CREATE_OP_CLASS_STMT, "CREATE OPERATOR CLASS", false},
    {PG_QUERY__NODE__NODE_CREATE_OP_FAMILY_STMT, "CREATE OPERATOR FAMILY", false},
    {PG_QUERY__NODE__NODE_CREATE_TRANSFORM_STMT, "CREATE TRANSFORM", false},
    {PG_QUERY__NODE__NODE_CREATE_USER_MAPPING_STMT, "CREATE USER MAPPING", false},
    {PG_QUERY__NODE__NODE_DEALLOCATE_STMT, "DEALLOCATE", false},
    {PG_QUERY__NODE__NODE_DECLARE_CURSOR_STMT, "DECLARE CURSOR", false},
    {PG_QUERY__NODE__NODE_DROP_OWNED_STMT, "DROP OWNED", false},
    {PG_QUERY__NODE__NODE_DROP_USER_MAPPING_STMT, "DROP USER MAPPING", false},
    {PG_QUERY__NODE__NODE_EXECUTE_STMT, "EXECUTE", false},
    {PG_QUERY__NODE__NODE_FETCH_STMT, "FETCH", false},
    {PG_QUERY__NODE__NODE_IMPORT_FOREIGN_SCHEMA_STMT, "IMPORT FOREIGN SCHEMA", false},
    {PG_QUERY__NODE__NODE_LOAD_STMT, "LOAD", false},
    {PG_QUERY__NODE__NODE_PREPARE_STMT, "PREPARE", false},
    {PG_QUERY__NODE__NODE_REASSIGN_OWNED_STMT, "REASSIGN OWNED", false},
};

/* The class of one parsed statement node; fills the rest of info. */
static char *classify_node(const Node *n, StmtInfo *info)
{
    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
        return classify_alter_table(n->alter_table_stmt, info);
    case PG_QUERY__NODE__NODE_CREATE_STMT:
        return classify_create_table(n->create_stmt, info, false);
    case PG_QUERY__NODE__NODE_CREATE_FOREIGN_TABLE_STMT:
        return classify_create_table(n->create_foreign_table_stmt->base_stmt, info, true);
    case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT: {
        const PgQuery__CreateTableAsStmt *s = n->create_table_as_stmt;
        if (s->into) {
            set_target_rv(info, s->into->rel);
            info->on_commit_drop = s->into->on_commit == PG_QUERY__ON_COMMIT_ACTION__ONCOMMIT_DROP;
        }
        if (s->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW)
            return xstrdup("CREATE MATERIALIZED VIEW");
        return xstrdup(s->is_select_into ? "SELECT INTO" : "CREATE TABLE AS");
    }
    case PG_QUERY__NODE__NODE_INDEX_STMT: {
        const PgQuery__IndexStmt *s = n->index_stmt;
        set_target_rv(info, s->relation);
        if (s->concurrent) info->no_tx = true;
        return xasprintf("CREATE %sINDEX%s", s->unique ? "UNIQUE " : "",
                         s->concurrent ? " CONCURRENTLY" : "");
    }
    case PG_QUERY__NODE__NODE_DROP_STMT:
        return classify_drop(n->drop_stmt, info);
    case PG_QUERY__NODE__NODE_REINDEX_STMT:
        return classify_reindex(n->reindex_stmt, info);
    case PG_QUERY__NODE__NODE_RENAME_STMT:
        return classify_rename(n->rename_stmt, info);
    case PG_QUERY__NODE__NODE_ALTER_OBJECT_SCHEMA_STMT: {
        const PgQuery__AlterObjectSchemaStmt *s = n->alter_object_schema_stmt;
        if (s->relation)
            set_target_rv(info, s->relation);
        else if (s->object_type == PG_QUERY__OBJECT_TYPE__OBJECT_TYPE ||
                 s->object_type == PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN)
            target_from_object(info, s->object, false, false);
        return xasprintf("ALTER %s SET SCHEMA", objtype_word(s->object_type));
    }
    case PG_QUERY__NODE__NODE_ALTER_OWNER_STMT: {
        const PgQuery__AlterOwnerStmt *s = n->alter_owner_stmt;
        if (s->relation)
            set_target_rv(info, s->relation);
        else if (s->object_type == PG_QUERY__OBJECT_TYPE__OBJECT_TYPE ||
                 s->object_type == PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN)
            target_from_object(info, s->object, false, false);
        return xasprintf("ALTER %s OWNER TO", objtype_word(s->object_type));
    }
    case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
        targets_from_rels(info, n->truncate_stmt->relations, n->truncate_stmt->n_relations);
        return xstrdup("TRUNCATE");
    case PG_QUERY__NODE__NODE_VACUUM_STMT:
        return classify_vacuum(n->vacuum_stmt, info);
    case PG_QUERY__NODE__NODE_CLUSTER_STMT:
        set_target_rv(info, n->cluster_stmt->relation);
        if (!n->cluster_stmt->relation)
            info->no_tx = true; /* CLUSTER of every table refuses a transaction block */
        return xstrdup("CLUSTER");
    case PG_QUERY__NODE__NODE_LOCK_STMT: {
        const PgQuery__LockStmt *s = n->lock_stmt;
        targets_from_rels(info, s->relations, s->n_relations);
        int m = s->mode >= 1 && s->mode <= 8 ? s->mode : 8;
        return xasprintf("LOCK TABLE IN %s MODE", lock_mode(m - 1)->words); /* LockStmt modes are 1..8 */
    }
    case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
        set_target_rv(info, n->create_seq_stmt->sequence);
        owned_by_ref(n->create_seq_stmt->options, n->create_seq_stmt->n_options, info);
        return xstrdup("CREATE SEQUENCE");
    case PG_QUERY__NODE__NODE_ALTER_SEQ_STMT:
        set_target_rv(info, n->alter_seq_stmt->sequence);
        owned_by_ref(n->alter_seq_stmt->options, n->alter_seq_stmt->n_options, info);
        return xstrdup("ALTER SEQUENCE");
    case PG_QUERY__NODE__NODE_VIEW_STMT:
        set_target_rv(info, n->view_stmt->view);
        return xstrdup(n->view_stmt->replace ? "CREATE OR REPLACE VIEW" : "CREATE VIEW");
    case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT:
        set_target_rv(info, n->refresh_mat_view_stmt->relation);
        return xstrdup(n->refresh_mat_view_stmt->concurrent
                           ? "REFRESH MATERIALIZED VIEW CONCURRENTLY"
                           : "REFRESH MATERIALIZED VIEW");
    case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT: {
        const PgQuery__CreateTrigStmt *s = n->create_trig_stmt;
        set_target_rv(info, s->relation);
        add_ref_rv(info, s->constrrel);
        if (s->isconstraint) return xstrdup("CREATE CONSTRAINT TRIGGER");
        return xstrdup(s->replace ? "CREATE OR REPLACE TRIGGER" : "CREATE TRIGGER");
    }
    case PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT: {
        const PgQuery__CreateFunctionStmt *s = n->create_function_stmt;
        return xasprintf("CREATE %s%s", s->replace ? "OR REPLACE " : "",
                         s->is_procedure ? "PROCEDURE" : "FUNCTION");
    }
    case PG_QUERY__NODE__NODE_ALTER_FUNCTION_STMT:
        return xasprintf("ALTER %s", objtype_word(n->alter_function_stmt->objtype));
    case PG_QUERY__NODE__NODE_CREATE_ENUM_STMT:
        set_target_names(info, n->create_enum_stmt->type_name, n->create_enum_stmt->n_type_name,
                         false);
        return xstrdup("CREATE TYPE AS ENUM");
    case PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT:
        set_target_rv(info, n->composite_type_stmt->typevar);
        return xstrdup("CREATE TYPE composite");
    case PG_QUERY__NODE__NODE_CREATE_RANGE_STMT:
        set_target_names(info, n->create_range_stmt->type_name, n->create_range_stmt->n_type_name,
                         false);
        return xstrdup("CREATE TYPE AS RANGE");
    case PG_QUERY__NODE__NODE_DEFINE_STMT: {
        const PgQuery__DefineStmt *s = n->define_stmt;
        if (s->kind == PG_QUERY__OBJECT_TYPE__OBJECT_TYPE)
            set_target_names(info, s->defnames, s->n_defnames, false);
        return xasprintf("CREATE %s", objtype_word(s->kind));
    }
    case PG_QUERY__NODE__NODE_ALTER_ENUM_STMT: {
        const PgQuery__AlterEnumStmt *s = n->alter_enum_stmt;
        set_target_names(info, s->type_name, s->n_type_name, false);
        if (s->old_val && *s->old_val) return xstrdup("ALTER TYPE RENAME VALUE");
        info->no_tx_below = 12;
        return xstrdup("ALTER TYPE ADD VALUE");
    }
    case PG_QUERY__NODE__NODE_ALTER_TYPE_STMT:
        set_target_names(info, n->alter_type_stmt->type_name, n->alter_type_stmt->n_type_name,
                         false);
        return xstrdup("ALTER TYPE SET");
    case PG_QUERY__NODE__NODE_ALTER_DOMAIN_STMT:
        return classify_alter_domain(n->alter_domain_stmt);
    case PG_QUERY__NODE__NODE_RULE_STMT:
        set_target_rv(info, n->rule_stmt->relation);
        return xstrdup(n->rule_stmt->replace ? "CREATE OR REPLACE RULE" : "CREATE RULE");
    case PG_QUERY__NODE__NODE_COMMENT_STMT:
        return classify_comment(n->comment_stmt, info);
    case PG_QUERY__NODE__NODE_CREATE_PUBLICATION_STMT:
        return classify_create_publication(n->create_publication_stmt, info);
    case PG_QUERY__NODE__NODE_CREATE_STATS_STMT: {
        const PgQuery__CreateStatsStmt *cs = n->create_stats_stmt;
        if (cs->n_relations > 0 && cs->relations[0]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
            set_target_rv(info, cs->relations[0]->range_var);
        return xstrdup("CREATE STATISTICS");
    }
    case PG_QUERY__NODE__NODE_SEC_LABEL_STMT: {
        const PgQuery__SecLabelStmt *sl = n->sec_label_stmt;
        if (objtype_is_relation(sl->objtype) || objtype_is_member(sl->objtype))
            target_from_object(info, sl->object, objtype_is_member(sl->objtype), false);
        return xstrdup("SECURITY LABEL");
    }
    case PG_QUERY__NODE__NODE_GRANT_STMT:
        return classify_grant(n->grant_stmt, info);
    case PG_QUERY__NODE__NODE_GRANT_ROLE_STMT:
        return xstrdup(n->grant_role_stmt->is_grant ? "GRANT ROLE" : "REVOKE ROLE");
    case PG_QUERY__NODE__NODE_CREATE_ROLE_STMT:
        switch (n->create_role_stmt->stmt_type) {
        case PG_QUERY__ROLE_STMT_TYPE__ROLESTMT_USER:
            return xstrdup("CREATE USER");
        case PG_QUERY__ROLE_STMT_TYPE__ROLESTMT_GROUP:
            return xstrdup("CREATE GROUP");
        default:
            return xstrdup("CREATE ROLE");
        }
    case PG_QUERY__NODE__NODE_ALTER_EXTENSION_CONTENTS_STMT:
        return xstrdup(n->alter_extension_contents_stmt->action < 0 ? "ALTER EXTENSION DROP"
                                                                    : "ALTER EXTENSION ADD");
    case PG_QUERY__NODE__NODE_ALTER_OBJECT_DEPENDS_STMT: {
        const PgQuery__AlterObjectDependsStmt *s = n->alter_object_depends_stmt;
        set_target_rv(info, s->relation);
        return xasprintf("ALTER %s %sDEPENDS ON EXTENSION", objtype_word(s->object_type),
                         s->remove ? "NO " : "");
    }
    case PG_QUERY__NODE__NODE_ALTER_ROLE_STMT:
    case PG_QUERY__NODE__NODE_ALTER_ROLE_SET_STMT:
        return xstrdup("ALTER ROLE");
    case PG_QUERY__NODE__NODE_CREATE_POLICY_STMT:
        set_target_rv(info, n->create_policy_stmt->table);
        return xstrdup("CREATE POLICY");
    case PG_QUERY__NODE__NODE_ALTER_POLICY_STMT:
        set_target_rv(info, n->alter_policy_stmt->table);
        return xstrdup("ALTER POLICY");
    case PG_QUERY__NODE__NODE_INSERT_STMT:
        set_target_rv(info, n->insert_stmt->relation);
        return dml_class("INSERT", n->insert_stmt->with_clause);
    case PG_QUERY__NODE__NODE_UPDATE_STMT:
        set_target_rv(info, n->update_stmt->relation);
        return dml_class("UPDATE", n->update_stmt->with_clause);
    case PG_QUERY__NODE__NODE_DELETE_STMT:
        set_target_rv(info, n->delete_stmt->relation);
        return dml_class("DELETE", n->delete_stmt->with_clause);
    case PG_QUERY__NODE__NODE_MERGE_STMT:
        set_target_rv(info, n->merge_stmt->relation);
        return xstrdup("MERGE");
    case PG_QUERY__NODE__NODE_SELECT_STMT:
        return classify_select(n->select_stmt, info);
    case PG_QUERY__NODE__NODE_COPY_STMT:
        set_target_rv(info, n->copy_stmt->relation);
        return xstrdup(n->copy_stmt->is_from ? "COPY FROM" : "COPY TO");
    case PG_QUERY__NODE__NODE_EXPLAIN_STMT:
        return xstrdup(option_on(n->explain_stmt->options, n->explain_stmt->n_options, "analyze")
                           ? "EXPLAIN ANALYZE"
                           : "EXPLAIN");
    case PG_QUERY__NODE__NODE_DO_STMT:
        info->in_do_block = true;
        return xstrdup("DO");
    case PG_QUERY__NODE__NODE_CALL_STMT:
        info->in_do_block = true;
        return xstrdup("CALL");
    case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
        switch (n->variable_set_stmt->kind) {
        case PG_QUERY__VARIABLE_SET_KIND__VAR_RESET:
        case PG_QUERY__VARIABLE_SET_KIND__VAR_RESET_ALL:
            return xstrdup("RESET");
        case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_MULTI:
            return xstrdup("SET TRANSACTION");
        default:
            return xstrdup("SET");
        }
    case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
        return classify_transaction(n->transaction_stmt, info);
    case PG_QUERY__NODE__NODE_ALTER_DATABASE_STMT:
        if (option_on(n->alter_database_stmt->options, n->alter_database_stmt->n_options,
                      "tablespace"))
            info->no_tx = true; /* ALTER DATABASE SET TABLESPACE */
        return xstrdup("ALTER DATABASE");
    default:
        for (size_t i = 0; i < ARRAY_LEN(fixed_classes); i++) {
            if (fixed_classes[i].node == (int)n->node_case) {
                info->no_tx = fixed_classes[i].no_tx;
                return xstrdup(fixed_classes[i].cls);
            }
        }
        info->generic = true;
        return generic_class(n);
    }
}

/* ---- public ----------------------------------------------------------- */

/* Statements whose effects outlive the job's database: the cluster's roles,
 * tablespaces, databases and settings. */
static const int cluster_wide_nodes[] = {
    PG_QUERY__NODE__NODE_CREATE_ROLE_STMT,       PG_QUERY__NODE__NODE_ALTER_ROLE_STMT,
    PG_QUERY__NODE__NODE_ALTER_ROLE_SET_STMT,    PG_QUERY__NODE__NODE_DROP_ROLE_STMT,
    PG_QUERY__NODE__NODE_GRANT_ROLE_STMT,        PG_QUERY__NODE__NODE_CREATEDB_STMT,
    PG_QUERY__NODE__NODE_DROPDB_STMT,            PG_QUERY__NODE__NODE_ALTER_DATABASE_STMT,
    PG_QUERY__NODE__NODE_ALTER_DATABASE_SET_STMT, PG_QUERY__NODE__NODE_CREATE_TABLE_SPACE_STMT,
    PG_QUERY__NODE__NODE_DROP_TABLE_SPACE_STMT,  PG_QUERY__NODE__NODE_ALTER_TABLE_SPACE_OPTIONS_STMT,
    PG_QUERY__NODE__NODE_ALTER_SYSTEM_STMT,      PG_QUERY__NODE__NODE_REASSIGN_OWNED_STMT,
    PG_QUERY__NODE__NODE_DO_STMT,                PG_QUERY__NODE__NODE_CALL_STMT,
    PG_QUERY__NODE__NODE_CREATE_SUBSCRIPTION_STMT,
};

static bool is_cluster_wide(int node)
{
    for (size_t i = 0; i < ARRAY_LEN(cluster_wide_nodes); i++)
        if (cluster_wide_nodes[i] == node)
            return true;
    return false;
}

void classify_statement(const char *sql, StmtInfo *info)
{
    memset(info, 0, sizeof(*info));
    PgQueryProtobufParseResult r = pg_query_parse_protobuf(sql ? sql : "");
    if (r.error) {
        pg_query_free_protobuf_parse_result(r);
        /* syntax newer than the parser: its leading keywords may still tell */
        if (classify_keywords(sql, info)) return;
        info->cls = xstrdup("unparsed");
        info->parsed = STMT_PARSED_NONE;
        info->cluster_wide = true; /* nothing is known of it */
        return;
    }
    PgQuery__ParseResult *pr =
        pg_query__parse_result__unpack(NULL, r.parse_tree.len, (const uint8_t *)r.parse_tree.data);
    if (!pr) {
        info->cls = xstrdup("unparsed");
        info->parsed = STMT_PARSED_NONE;
    } else if (pr->n_stmts == 0 || !pr->stmts[0]->stmt) {
        info->cls = xstrdup("empty");
    } else {
        /* one statement expected; with several, the first one decides */
        info->cls = classify_node(pr->stmts[0]->stmt, info);
        for (size_t i = 0; i < pr->n_stmts; i++)
            if (pr->stmts[i]->stmt && is_cluster_wide((int)pr->stmts[i]->stmt->node_case))
                info->cluster_wide = true;
    }
    if (pr) pg_query__parse_result__free_unpacked(pr, NULL);
    pg_query_free_protobuf_parse_result(r);
}

void classify_free(StmtInfo *info)
{
    if (!info) return;
    free(info->cls);
    for (size_t i = 0; i < info->nsubclasses; i++)
        free(info->subclasses[i]);
    free(info->subclasses);
    free(info->target);
    free(info->target_schema);
    for (size_t i = 0; i < info->nreferenced; i++)
        free(info->referenced[i]);
    free(info->referenced);
    memset(info, 0, sizeof(*info));
}

uint64_t classify_fingerprint(const char *sql)
{
    PgQueryFingerprintResult r = pg_query_fingerprint(sql ? sql : "");
    uint64_t fp = r.error ? 0 : r.fingerprint;
    pg_query_free_fingerprint_result(r);
    return fp;
}

/* ---- the keyword reader ----------------------------------------------- */

/* The statement's real tokens (comments left out), read left to right up to
 * end (a subcommand's end, or the first ';'). */
typedef struct Kw {
    const char *sql;
    PgQuery__ScanToken **tok; /* into the unpacked scan result; the array is owned */
    size_t n;                 /* tokens before the first ';' */
    size_t i;                 /* the next one to read */
    size_t end;               /* reading stops here */
} Kw;

static const char *kw_text(const Kw *k, size_t i)
{
    return k->sql + k->tok[i]->start;
}

static size_t kw_len(const Kw *k, size_t i)
{
    return (size_t)(k->tok[i]->end - k->tok[i]->start);
}

/* Whether the words of phrase (space-separated: keywords, identifiers or
 * punctuation, any case, never quoted) come at token i; *next is the token
 * after them. */
static bool kw_match(const Kw *k, size_t i, const char *phrase, size_t *next)
{
    const char *p = phrase;
    while (*p) {
        size_t n = strcspn(p, " ");
        if (i >= k->end || kw_len(k, i) != n || strncasecmp(kw_text(k, i), p, n) != 0) return false;
        i++;
        p += n;
        while (*p == ' ')
            p++;
    }
    *next = i;
    return true;
}

/* Reads phrase when it comes next. */
static bool kw_accept(Kw *k, const char *phrase)
{
    return kw_match(k, k->i, phrase, &k->i);
}

/* Whether phrase comes anywhere in [k->i, k->end) outside parentheses. */
static bool kw_has(const Kw *k, const char *phrase)
{
    int depth = 0;
    size_t next;
    for (size_t i = k->i; i < k->end; i++) {
        if (kw_len(k, i) == 1 && kw_text(k, i)[0] == '(') depth++;
        if (kw_len(k, i) == 1 && kw_text(k, i)[0] == ')' && depth > 0) depth--;
        if (depth == 0 && kw_match(k, i, phrase, &next)) return true;
    }
    return false;
}

/* Token i as a name, as the server names it: quotes removed ("" is one "),
 * unquoted folded to lower case (ASCII, as the server does in UTF-8). NULL
 * when it cannot be a name (a reserved keyword, a literal, punctuation).
 * Free with free. */
static bool kw_is_name(const Kw *k, size_t i)
{
    if (i >= k->end) return false;
    const PgQuery__ScanToken *t = k->tok[i];
    return t->token == PG_QUERY__TOKEN__IDENT ||
           t->keyword_kind == PG_QUERY__KEYWORD_KIND__UNRESERVED_KEYWORD ||
           t->keyword_kind == PG_QUERY__KEYWORD_KIND__COL_NAME_KEYWORD;
}

static char *kw_ident_at(const Kw *k, size_t i)
{
    if (!kw_is_name(k, i)) return NULL;
    const char *s = kw_text(k, i);
    size_t n = kw_len(k, i);
    Buf b;
    buf_init(&b);
    buf_puts(&b, "");
    if (n >= 2 && s[0] == '"') {
        for (size_t j = 1; j + 1 < n; j++) {
            buf_putc(&b, s[j]);
            if (s[j] == '"') j++; /* "" */
        }
    } else {
        for (size_t j = 0; j < n; j++)
            buf_putc(&b, s[j] >= 'A' && s[j] <= 'Z' ? (char)(s[j] - 'A' + 'a') : s[j]);
    }
    if (b.len == 0) {
        buf_free(&b);
        return NULL;
    }
    /* the server keeps NAMEDATALEN - 1 bytes of a name, whole characters */
    if (b.len > 63) {
        size_t n63 = 63;
        while (n63 > 0 && ((unsigned char)b.data[n63] & 0xC0) == 0x80)
            n63--;
        b.len = n63;
        b.data[n63] = '\0';
    }
    return buf_steal(&b);
}

/* [database.][schema.]name next: *schema (NULL when not qualified) and *name,
 * both owned. False, nothing read, when no name comes. */
static bool kw_qualified(Kw *k, char **schema, char **name)
{
    char *parts[3] = {NULL, NULL, NULL};
    size_t np = 0, i = k->i;
    for (;;) {
        char *p = kw_ident_at(k, i);
        if (!p) break;
        parts[np++] = p;
        i++;
        if (np == 3 || i >= k->end || kw_len(k, i) != 1 || kw_text(k, i)[0] != '.') break;
        if (!kw_is_name(k, i + 1)) break;
        i++;
    }
    if (np == 0) return false;
    *name = parts[np - 1];
    *schema = np >= 2 ? parts[np - 2] : NULL;
    if (np == 3) free(parts[0]);
    k->i = i;
    return true;
}

/* A relation named next, as a referenced one (REFERENCES x, PARTITION OF x). */
static void kw_ref(Kw *k, StmtInfo *info)
{
    char *schema, *name;
    if (!kw_qualified(k, &schema, &name)) return;
    add_ref(info, schema, name);
    free(schema);
    free(name);
}

/* Every REFERENCES x in [k->i, k->end), at any depth. */
static bool kw_refs(Kw *k, StmtInfo *info)
{
    bool any = false;
    size_t save = k->i, next;
    for (size_t i = save; i < k->end; i++) {
        if (!kw_match(k, i, "REFERENCES", &next)) continue;
        k->i = next;
        size_t before = info->nreferenced;
        kw_ref(k, info);
        any = any || info->nreferenced > before;
    }
    k->i = save;
    return any;
}

/* ALTER TABLE subcommands named by their leading words alone. */
static const struct {
    const char *words;
    const char *body;
} kw_at_phrases[] = {
    {"ALTER CONSTRAINT", "ALTER CONSTRAINT"},
    {"VALIDATE CONSTRAINT", "VALIDATE CONSTRAINT"},
    {"DROP CONSTRAINT", "DROP CONSTRAINT"},
    {"RENAME CONSTRAINT", "RENAME CONSTRAINT"},
    {"RENAME TO", "RENAME"},
    {"SET (", "SET (storage parameters)"},
    {"RESET (", "RESET (storage parameters)"},
    {"SET LOGGED", "SET LOGGED"},
    {"SET UNLOGGED", "SET UNLOGGED"},
    {"SET TABLESPACE", "SET TABLESPACE"},
    {"SET ACCESS METHOD", "SET ACCESS METHOD"},
    {"SET SCHEMA", "SET SCHEMA"},
    {"SET WITHOUT CLUSTER", "SET WITHOUT CLUSTER"},
    {"SET WITHOUT OIDS", "SET WITHOUT OIDS"},
    {"CLUSTER ON", "CLUSTER ON"},
    {"OWNER TO", "OWNER TO"},
    {"REPLICA IDENTITY", "REPLICA IDENTITY"},
    {"ENABLE ALWAYS TRIGGER", "ENABLE ALWAYS TRIGGER"},
    {"ENABLE REPLICA TRIGGER", "ENABLE REPLICA TRIGGER"},
    {"ENABLE TRIGGER", "ENABLE TRIGGER"},
    {"DISABLE TRIGGER", "DISABLE TRIGGER"},
    {"ENABLE ALWAYS RULE", "ENABLE ALWAYS RULE"},
    {"ENABLE REPLICA RULE", "ENABLE REPLICA RULE"},
    {"ENABLE RULE", "ENABLE RULE"},
    {"DISABLE RULE", "DISABLE RULE"},
    {"ENABLE ROW LEVEL SECURITY", "ENABLE ROW LEVEL SECURITY"},
    {"DISABLE ROW LEVEL SECURITY", "DISABLE ROW LEVEL SECURITY"},
    {"FORCE ROW LEVEL SECURITY", "FORCE ROW LEVEL SECURITY"},
    {"NO FORCE ROW LEVEL SECURITY", "NO FORCE ROW LEVEL SECURITY"},
};

/* ALTER [COLUMN] c subcommands, after the column's name. */
static const struct {
    const char *words;
    const char *body;
} kw_column_phrases[] = {
    {"TYPE", "ALTER COLUMN TYPE"},
    {"SET DATA TYPE", "ALTER COLUMN TYPE"},
    {"SET NOT NULL", "ALTER COLUMN SET NOT NULL"},
    {"DROP NOT NULL", "ALTER COLUMN DROP NOT NULL"},
    {"SET DEFAULT", "ALTER COLUMN SET DEFAULT"},
    {"DROP DEFAULT", "ALTER COLUMN DROP DEFAULT"},
    {"SET EXPRESSION", "ALTER COLUMN SET EXPRESSION"},
    {"DROP EXPRESSION", "ALTER COLUMN DROP EXPRESSION"},
    {"SET STATISTICS", "ALTER COLUMN SET STATISTICS"},
    {"SET STORAGE", "ALTER COLUMN SET STORAGE"},
    {"SET COMPRESSION", "ALTER COLUMN SET COMPRESSION"},
    {"ADD GENERATED", "ALTER COLUMN ADD GENERATED AS IDENTITY"},
    {"SET GENERATED", "ALTER COLUMN SET GENERATED"},
    {"DROP IDENTITY", "ALTER COLUMN DROP IDENTITY"},
    {"SET (", "ALTER COLUMN SET (attribute options)"},
    {"RESET (", "ALTER COLUMN RESET (attribute options)"},
};

/* ADD [CONSTRAINT name] kind ...: the body, NULL when kind is none of ours. */
static const char *kw_constraint(Kw *k, StmtInfo *info)
{
    if (kw_accept(k, "CONSTRAINT")) {
        char *name = kw_ident_at(k, k->i);
        if (!name) return NULL;
        free(name);
        k->i++;
    }
    bool not_valid = kw_has(k, "NOT VALID");
    if (kw_accept(k, "CHECK"))
        return not_valid ? "ADD CONSTRAINT CHECK NOT VALID" : "ADD CONSTRAINT CHECK";
    if (kw_accept(k, "FOREIGN KEY")) {
        kw_refs(k, info);
        return not_valid ? "ADD CONSTRAINT FOREIGN KEY NOT VALID" : "ADD CONSTRAINT FOREIGN KEY";
    }
    if (kw_accept(k, "NOT NULL"))
        return not_valid ? "ADD CONSTRAINT NOT NULL NOT VALID" : "ADD CONSTRAINT NOT NULL";
    if (kw_accept(k, "UNIQUE"))
        return kw_accept(k, "USING INDEX") ? "ADD CONSTRAINT UNIQUE USING INDEX"
                                           : "ADD CONSTRAINT UNIQUE";
    if (kw_accept(k, "PRIMARY KEY"))
        return kw_accept(k, "USING INDEX") ? "ADD CONSTRAINT PRIMARY KEY USING INDEX"
                                           : "ADD CONSTRAINT PRIMARY KEY";
    if (kw_accept(k, "EXCLUDE")) return "ADD CONSTRAINT EXCLUDE";
    return NULL;
}

/* One ALTER TABLE subcommand in [k->i, k->end): its body ("ADD COLUMN"), NULL
 * when it is not one the reader knows. */
static const char *kw_at_subcommand(Kw *k, StmtInfo *info)
{
    for (size_t i = 0; i < ARRAY_LEN(kw_at_phrases); i++) {
        if (kw_accept(k, kw_at_phrases[i].words)) {
            if (kw_accept(k, "IF EXISTS")) info->may_skip = true;
            return kw_at_phrases[i].body;
        }
    }
    if (kw_accept(k, "ADD")) {
        static const char *const starts[] = {"CONSTRAINT",  "CHECK",   "UNIQUE",  "PRIMARY KEY",
                                             "FOREIGN KEY", "EXCLUDE", "NOT NULL"};
        size_t next;
        for (size_t i = 0; i < ARRAY_LEN(starts); i++)
            if (kw_match(k, k->i, starts[i], &next)) return kw_constraint(k, info);
        kw_accept(k, "COLUMN");
        if (kw_accept(k, "IF NOT EXISTS")) info->may_skip = true;
        char *col = kw_ident_at(k, k->i);
        if (!col) return NULL;
        free(col);
        if (k->i + 1 >= k->end) return NULL; /* a column has a type */
        /* the one detail read: a foreign key locks the table at its other end */
        return kw_refs(k, info) ? "ADD COLUMN REFERENCES" : "ADD COLUMN";
    }
    if (kw_accept(k, "ALTER")) {
        kw_accept(k, "COLUMN");
        char *col = kw_ident_at(k, k->i);
        if (!col) return NULL;
        free(col);
        k->i++;
        for (size_t i = 0; i < ARRAY_LEN(kw_column_phrases); i++) {
            if (kw_accept(k, kw_column_phrases[i].words)) {
                if (kw_accept(k, "IF EXISTS")) info->may_skip = true; /* DROP IDENTITY */
                if (i < 2 && kw_has(k, "USING")) return "ALTER COLUMN TYPE USING";
                return kw_column_phrases[i].body;
            }
        }
        return NULL;
    }
    if (kw_accept(k, "DROP")) {
        kw_accept(k, "COLUMN");
        if (kw_accept(k, "IF EXISTS")) info->may_skip = true;
        char *col = kw_ident_at(k, k->i);
        free(col);
        return col ? "DROP COLUMN" : NULL;
    }
    if (kw_accept(k, "RENAME")) {
        kw_accept(k, "COLUMN");
        char *col = kw_ident_at(k, k->i);
        free(col);
        if (!col) return NULL;
        k->i++;
        return kw_accept(k, "TO") ? "RENAME COLUMN" : NULL;
    }
    bool attach = kw_accept(k, "ATTACH PARTITION");
    if (attach || kw_accept(k, "DETACH PARTITION")) {
        size_t before = info->nreferenced;
        kw_ref(k, info);
        if (info->nreferenced == before) return NULL;
        if (attach) return "ATTACH PARTITION";
        if (kw_accept(k, "FINALIZE")) return "DETACH PARTITION FINALIZE";
        if (kw_accept(k, "CONCURRENTLY")) {
            info->no_tx = true;
            return "DETACH PARTITION CONCURRENTLY";
        }
        return "DETACH PARTITION";
    }
    bool no = kw_accept(k, "NO");
    if (kw_accept(k, "INHERIT")) {
        size_t before = info->nreferenced;
        kw_ref(k, info);
        return info->nreferenced > before ? (no ? "NO INHERIT" : "INHERIT") : NULL;
    }
    return NULL;
}

/* ALTER TABLE [IF EXISTS] [ONLY] name [*] subcommand [, ...] */
static char *kw_alter_table(Kw *k, StmtInfo *info)
{
    kw_accept(k, "IF EXISTS");
    kw_accept(k, "ONLY");
    char *schema, *name;
    if (!kw_qualified(k, &schema, &name)) return NULL;
    info->target = name;
    info->target_schema = schema;
    kw_accept(k, "*");
    if (k->i >= k->n) return NULL;
    Buf b;
    buf_init(&b);
    size_t n = k->n;
    for (;;) {
        /* the subcommand ends at a ',' outside parentheses */
        size_t e = k->i;
        int depth = 0;
        for (; e < n; e++) {
            char c = kw_len(k, e) == 1 ? kw_text(k, e)[0] : '\0';
            if (c == '(') depth++;
            if (c == ')' && depth > 0) depth--;
            if (c == ',' && depth == 0) break;
        }
        k->end = e;
        const char *body = kw_at_subcommand(k, info);
        if (!body) {
            buf_free(&b);
            return NULL;
        }
        char *sub = xasprintf("ALTER TABLE %s", body);
        info->subclasses = xrealloc(info->subclasses, (info->nsubclasses + 1) * sizeof(char *));
        info->subclasses[info->nsubclasses++] = sub;
        if (b.len) buf_puts(&b, ", ");
        buf_puts(&b, sub);
        if (e >= n) break;
        k->i = e + 1; /* after the ',': another subcommand must follow */
        k->end = n;
    }
    return buf_steal(&b);
}

/* CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] [name] ON [ONLY] table */
static char *kw_create_index(Kw *k, StmtInfo *info, bool unique)
{
    bool conc = kw_accept(k, "CONCURRENTLY");
    kw_accept(k, "IF NOT EXISTS");
    if (!kw_accept(k, "ON")) {
        char *iname = kw_ident_at(k, k->i);
        if (!iname) return NULL;
        free(iname);
        k->i++;
        if (!kw_accept(k, "ON")) return NULL;
    }
    kw_accept(k, "ONLY");
    char *schema, *name;
    if (!kw_qualified(k, &schema, &name)) return NULL;
    info->target = name;
    info->target_schema = schema;
    info->no_tx = conc;
    return xasprintf("CREATE %sINDEX%s", unique ? "UNIQUE " : "", conc ? " CONCURRENTLY" : "");
}

/* CREATE [GLOBAL|LOCAL] [TEMP|TEMPORARY|UNLOGGED] TABLE [IF NOT EXISTS] name ... */
static char *kw_create_table(Kw *k, StmtInfo *info, bool temp, bool unlogged)
{
    kw_accept(k, "IF NOT EXISTS");
    char *schema, *name;
    if (!kw_qualified(k, &schema, &name)) return NULL;
    info->target = name;
    info->target_schema = schema;
    if (k->i >= k->end) return NULL;
    if (kw_has(k, "ON COMMIT DROP")) info->on_commit_drop = true;
    if (kw_has(k, "AS")) return xstrdup("CREATE TABLE AS");
    bool partition = kw_accept(k, "PARTITION OF");
    if (partition) kw_ref(k, info);
    bool fk = kw_refs(k, info);
    /* LIKE sources in the column list, INHERITS parents after it */
    size_t save = k->i, next;
    int depth = 0;
    for (size_t i = save; i < k->end; i++) {
        char c = kw_len(k, i) == 1 ? kw_text(k, i)[0] : '\0';
        bool item = (c == '(' && depth == 0) || (c == ',' && depth == 1);
        if (item && kw_match(k, i + 1, "LIKE", &next)) {
            k->i = next;
            kw_ref(k, info);
        }
        if (c == '(') depth++;
        if (c == ')' && depth > 0) depth--;
        if (depth == 0 && kw_match(k, i, "INHERITS (", &next)) {
            k->i = next;
            do {
                kw_ref(k, info);
            } while (kw_accept(k, ","));
            break;
        }
    }
    k->i = save;
    if (partition) return xstrdup("CREATE TABLE PARTITION OF");
    if (unlogged) return xstrdup(fk ? "CREATE UNLOGGED TABLE REFERENCES" : "CREATE UNLOGGED TABLE");
    if (temp) return xstrdup("CREATE TEMPORARY TABLE");
    return xstrdup(fk ? "CREATE TABLE REFERENCES" : "CREATE TABLE");
}

static char *kw_statement(Kw *k, StmtInfo *info)
{
    if (kw_accept(k, "ALTER TABLE")) return kw_alter_table(k, info);
    if (!kw_accept(k, "CREATE")) return NULL;
    bool unique = kw_accept(k, "UNIQUE");
    if (kw_accept(k, "INDEX")) return kw_create_index(k, info, unique);
    if (unique) return NULL;
    if (!kw_accept(k, "GLOBAL")) kw_accept(k, "LOCAL");
    bool temp = kw_accept(k, "TEMPORARY") || kw_accept(k, "TEMP");
    bool unlogged = !temp && kw_accept(k, "UNLOGGED");
    if (kw_accept(k, "TABLE")) return kw_create_table(k, info, temp, unlogged);
    return NULL;
}

bool classify_keywords(const char *sql, StmtInfo *info)
{
    if (!sql) return false;
    PgQueryScanResult r = pg_query_scan(sql);
    if (r.error) {
        pg_query_free_scan_result(r);
        return false;
    }
    PgQuery__ScanResult *sr =
        pg_query__scan_result__unpack(NULL, r.pbuf.len, (const uint8_t *)r.pbuf.data);
    if (!sr) {
        pg_query_free_scan_result(r);
        return false;
    }
    Kw k = {.sql = sql, .tok = xcalloc(sr->n_tokens + 1, sizeof(*k.tok))};
    for (size_t i = 0; i < sr->n_tokens; i++) {
        PgQuery__ScanToken *t = sr->tokens[i];
        if (t->token == PG_QUERY__TOKEN__SQL_COMMENT || t->token == PG_QUERY__TOKEN__C_COMMENT)
            continue;
        if (t->token == PG_QUERY__TOKEN__ASCII_59) break; /* ';': the statement ends */
        k.tok[k.n++] = t;
    }
    k.end = k.n;
    StmtInfo got;
    memset(&got, 0, sizeof(got));
    char *cls = kw_statement(&k, &got);
    free(k.tok);
    pg_query__scan_result__free_unpacked(sr, NULL);
    pg_query_free_scan_result(r);
    if (!cls) {
        classify_free(&got);
        return false;
    }
    got.cls = cls;
    got.parsed = STMT_PARSED_KEYWORDS;
    *info = got;
    return true;
}

const char *classify_parsed_name(StmtParsed p)
{
    static const char *const names[] = {"tree", "keywords", "none"};
    return p >= STMT_PARSED_TREE && p <= STMT_PARSED_NONE ? names[p] : "none";
}

const char *classify_parsed_note(StmtParsed p)
{
    return p == STMT_PARSED_KEYWORDS ? "class from its keywords only: syntax newer than the "
                                       "parser's (PostgreSQL " PG_MAJORVERSION ")"
                                     : NULL;
}

StmtParsed classify_parsed_of(const char *cls, bool has_fingerprint)
{
    if (has_fingerprint) return STMT_PARSED_TREE;
    if (!cls || strcmp(cls, "unparsed") == 0) return STMT_PARSED_NONE;
    return STMT_PARSED_KEYWORDS;
}
