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
 *   GRANT, REVOKE (on relations), GRANT|REVOKE ON ALL IN SCHEMA, GRANT|REVOKE
 *   ON OBJECT (functions, schemas, types ...), GRANT ROLE, REVOKE ROLE, ALTER
 *   DEFAULT PRIVILEGES
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
 * again by their leading keywords on the scanner's tokens (the keyword reader,
 * classify_keywords.c), else "unparsed".
 *
 * The files: classify.c (this one: the helpers over the tree, volatility,
 * object types, the statement nodes, the entry points), classify_alter.c
 * (ALTER TABLE and its subcommands, CREATE TABLE), classify_keywords.c (the
 * keyword reader); predict/classify_int.h is what they share.
 */
#include "predict/classify.h"
#include "predict/classify_int.h"
#include "predict/pgtree.h"
#include "model/vocab.h"

#include <ctype.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- small helpers over the tree ------------------------------------- */

const char *cl_node_str(const Node *n)
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

void cl_set_target_rv(StmtInfo *info, const PgQuery__RangeVar *rv)
{
    if (rv) set_target(info, rv->schemaname, rv->relname);
}

/* Adds "schema.name" (or "name") to referenced, once, unless it is the target. */
void cl_add_ref(StmtInfo *info, const char *schema, const char *name)
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

void cl_add_ref_rv(StmtInfo *info, const PgQuery__RangeVar *rv)
{
    if (rv) cl_add_ref(info, rv->schemaname, rv->relname);
}

/* The table the first data-modifying statement of a WITH clause writes,
 * NULL when none does. */
static const PgQuery__RangeVar *with_modified(const PgQuery__WithClause *w)
{
    for (size_t i = 0; w && i < w->n_ctes; i++) {
        const Node *c = w->ctes[i];
        if (c->node_case != PG_QUERY__NODE__NODE_COMMON_TABLE_EXPR ||
            !c->common_table_expr->ctequery)
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
    if (n >= 1) *name = cl_node_str(items[n - 1]);
    if (n >= 2) *schema = cl_node_str(items[n - 2]);
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
        cl_add_ref(info, schema, name);
    else
        set_target(info, schema, name);
}

/* ---- volatility of a default expression ------------------------------ */

/* Who says how volatile a function is while a statement is classified
 * (classify_statement_with); NULL: pg_catalog's functions on every major, as
 * the built-in facts hold them. */
static ClassifyVolatility vol_fn;
static void *vol_ctx;

/* The built-in facts, read once (they live as long as the process). */
static const Facts *builtin_facts(void)
{
    static Facts *f;
    static bool tried;
    if (!tried) {
        Err err = {0};
        tried = true;
        if (facts_load(NULL, &f, &err) != 0) f = NULL;
    }
    return f;
}

static FactsVolatility volatility_of(const char *schema, const char *name)
{
    if (vol_fn) return vol_fn(schema, name, vol_ctx);
    if (schema && strcasecmp(schema, "pg_catalog") != 0) return FACTS_FN_UNKNOWN;
    return facts_function_volatility(builtin_facts(), 0, name, NULL);
}

/* A default is volatile when it calls a function that is or one nobody
 * knows: the server rewrites the table to compute it for every row. A name
 * whose overloads (or majors) differ counts as not (timezone('UTC', now())
 * is immutable; timezone(text, timetz) was volatile until 14): the class
 * names the common case, a prediction in a schema leaves it undecided where
 * it differs (locktable_predict_in). */
static bool visit_volatile(const ProtobufCMessage *m, void *ctx)
{
    bool *vol = ctx;
    if (*vol) return false;
    if (m->descriptor == &pg_query__func_call__descriptor) {
        const PgQuery__FuncCall *fc = (const PgQuery__FuncCall *)m;
        const char *name = fc->n_funcname ? cl_node_str(fc->funcname[fc->n_funcname - 1]) : NULL;
        const char *schema = fc->n_funcname == 2 ? cl_node_str(fc->funcname[0]) : NULL;
        FactsVolatility v =
            name && fc->n_funcname <= 2 ? volatility_of(schema, name) : FACTS_FN_UNKNOWN;
        if (v == FACTS_FN_VOLATILE || v == FACTS_FN_UNKNOWN) {
            *vol = true;
            return false;
        }
    } else if (m->descriptor == &pg_query__sub_link__descriptor) {
        *vol = true; /* not allowed in a default; be conservative elsewhere */
        return false;
    }
    return true;
}

bool cl_expr_volatile(const Node *e)
{
    bool vol = false;
    pgtree_walk(&e->base, visit_volatile, &vol);
    return vol;
}

/* DEFAULT NULL (or NULL::type): PostgreSQL stores no default at all. */
bool cl_is_null_const(const Node *e)
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
            cl_set_target_rv(info, rv);
        else
            cl_add_ref_rv(info, rv);
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
    cl_set_target_rv(info, s->relation);
    bool conc = option_on(s->params, s->n_params, "concurrently");
    /* REINDEX SCHEMA/DATABASE/SYSTEM refuse a transaction block in any form */
    if (conc || !s->relation) info->no_tx = true;
    return xasprintf("REINDEX %s%s", what, conc ? " CONCURRENTLY" : "");
}

static char *classify_rename(const PgQuery__RenameStmt *s, StmtInfo *info)
{
    int t = s->rename_type;
    if (s->relation)
        cl_set_target_rv(info, s->relation);
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
        if (o->node_case != PG_QUERY__NODE__NODE_PUBLICATION_OBJ_SPEC ||
            !o->publication_obj_spec->pubtable || !o->publication_obj_spec->pubtable->relation)
            continue;
        const PgQuery__RangeVar *rv = o->publication_obj_spec->pubtable->relation;
        if (!info->target)
            cl_set_target_rv(info, rv);
        else
            cl_add_ref_rv(info, rv);
    }
    return xstrdup(info->target ? "CREATE PUBLICATION FOR TABLE" : "CREATE PUBLICATION");
}

static char *classify_select(const PgQuery__SelectStmt *s, StmtInfo *info)
{
    if (s->into_clause) {
        cl_set_target_rv(info, s->into_clause->rel);
        return xstrdup("SELECT INTO");
    }
    /* WITH d AS (DELETE ... RETURNING ...) SELECT ...: a write, its target
     * the table the WITH clause modifies (RowExclusiveLock), not a read */
    const PgQuery__RangeVar *modified = with_modified(s->with_clause);
    if (modified) {
        cl_set_target_rv(info, modified);
        return dml_class("SELECT", s->with_clause);
    }
    int strength = 0;
    for (size_t i = 0; i < s->n_locking_clause; i++)
        if (s->locking_clause[i]->node_case == PG_QUERY__NODE__NODE_LOCKING_CLAUSE &&
            (int)s->locking_clause[i]->locking_clause->strength > strength)
            strength = s->locking_clause[i]->locking_clause->strength;
    /* a locking read of one table: that table is its target (RowShareLock) */
    if (strength && s->n_from_clause == 1 &&
        s->from_clause[0]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
        cl_set_target_rv(info, s->from_clause[0]->range_var);
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

/* GRANT and REVOKE on relations lock them from 18; on every table of a
 * schema (ALL ... IN SCHEMA) or on another object (a function, a schema, a
 * type ...) they lock no relation: classes of their own. */
static char *classify_grant(const PgQuery__GrantStmt *s, StmtInfo *info)
{
    const char *verb = s->is_grant ? "GRANT" : "REVOKE";
    if (s->targtype != PG_QUERY__GRANT_TARGET_TYPE__ACL_TARGET_OBJECT)
        return xasprintf("%s ON ALL IN SCHEMA", verb);
    if (!objtype_is_relation(s->objtype)) return xasprintf("%s ON OBJECT", verb);
    targets_from_rels(info, s->objects, s->n_objects);
    return xstrdup(verb);
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
            cl_set_target_rv(info, s->into->rel);
            info->on_commit_drop = s->into->on_commit == PG_QUERY__ON_COMMIT_ACTION__ONCOMMIT_DROP;
        }
        if (s->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW)
            return xstrdup("CREATE MATERIALIZED VIEW");
        return xstrdup(s->is_select_into ? "SELECT INTO" : "CREATE TABLE AS");
    }
    case PG_QUERY__NODE__NODE_INDEX_STMT: {
        const PgQuery__IndexStmt *s = n->index_stmt;
        cl_set_target_rv(info, s->relation);
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
            cl_set_target_rv(info, s->relation);
        else if (s->object_type == PG_QUERY__OBJECT_TYPE__OBJECT_TYPE ||
                 s->object_type == PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN)
            target_from_object(info, s->object, false, false);
        return xasprintf("ALTER %s SET SCHEMA", objtype_word(s->object_type));
    }
    case PG_QUERY__NODE__NODE_ALTER_OWNER_STMT: {
        const PgQuery__AlterOwnerStmt *s = n->alter_owner_stmt;
        if (s->relation)
            cl_set_target_rv(info, s->relation);
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
        cl_set_target_rv(info, n->cluster_stmt->relation);
        if (!n->cluster_stmt->relation)
            info->no_tx = true; /* CLUSTER of every table refuses a transaction block */
        return xstrdup("CLUSTER");
    case PG_QUERY__NODE__NODE_LOCK_STMT: {
        const PgQuery__LockStmt *s = n->lock_stmt;
        targets_from_rels(info, s->relations, s->n_relations);
        int m = s->mode >= 1 && s->mode <= 8 ? s->mode : 8;
        return xasprintf("LOCK TABLE IN %s MODE",
                         lock_mode(m - 1)->words); /* LockStmt modes are 1..8 */
    }
    case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
        cl_set_target_rv(info, n->create_seq_stmt->sequence);
        owned_by_ref(n->create_seq_stmt->options, n->create_seq_stmt->n_options, info);
        return xstrdup("CREATE SEQUENCE");
    case PG_QUERY__NODE__NODE_ALTER_SEQ_STMT:
        cl_set_target_rv(info, n->alter_seq_stmt->sequence);
        owned_by_ref(n->alter_seq_stmt->options, n->alter_seq_stmt->n_options, info);
        return xstrdup("ALTER SEQUENCE");
    case PG_QUERY__NODE__NODE_VIEW_STMT:
        cl_set_target_rv(info, n->view_stmt->view);
        return xstrdup(n->view_stmt->replace ? "CREATE OR REPLACE VIEW" : "CREATE VIEW");
    case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT:
        cl_set_target_rv(info, n->refresh_mat_view_stmt->relation);
        return xstrdup(n->refresh_mat_view_stmt->concurrent
                           ? "REFRESH MATERIALIZED VIEW CONCURRENTLY"
                           : "REFRESH MATERIALIZED VIEW");
    case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT: {
        const PgQuery__CreateTrigStmt *s = n->create_trig_stmt;
        cl_set_target_rv(info, s->relation);
        cl_add_ref_rv(info, s->constrrel);
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
        cl_set_target_rv(info, n->composite_type_stmt->typevar);
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
        cl_set_target_rv(info, n->rule_stmt->relation);
        return xstrdup(n->rule_stmt->replace ? "CREATE OR REPLACE RULE" : "CREATE RULE");
    case PG_QUERY__NODE__NODE_COMMENT_STMT:
        return classify_comment(n->comment_stmt, info);
    case PG_QUERY__NODE__NODE_CREATE_PUBLICATION_STMT:
        return classify_create_publication(n->create_publication_stmt, info);
    case PG_QUERY__NODE__NODE_CREATE_STATS_STMT: {
        const PgQuery__CreateStatsStmt *cs = n->create_stats_stmt;
        if (cs->n_relations > 0 && cs->relations[0]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
            cl_set_target_rv(info, cs->relations[0]->range_var);
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
        cl_set_target_rv(info, s->relation);
        return xasprintf("ALTER %s %sDEPENDS ON EXTENSION", objtype_word(s->object_type),
                         s->remove ? "NO " : "");
    }
    case PG_QUERY__NODE__NODE_ALTER_ROLE_STMT:
    case PG_QUERY__NODE__NODE_ALTER_ROLE_SET_STMT:
        return xstrdup("ALTER ROLE");
    case PG_QUERY__NODE__NODE_CREATE_POLICY_STMT:
        cl_set_target_rv(info, n->create_policy_stmt->table);
        return xstrdup("CREATE POLICY");
    case PG_QUERY__NODE__NODE_ALTER_POLICY_STMT:
        cl_set_target_rv(info, n->alter_policy_stmt->table);
        return xstrdup("ALTER POLICY");
    case PG_QUERY__NODE__NODE_INSERT_STMT:
        cl_set_target_rv(info, n->insert_stmt->relation);
        return dml_class("INSERT", n->insert_stmt->with_clause);
    case PG_QUERY__NODE__NODE_UPDATE_STMT:
        cl_set_target_rv(info, n->update_stmt->relation);
        return dml_class("UPDATE", n->update_stmt->with_clause);
    case PG_QUERY__NODE__NODE_DELETE_STMT:
        cl_set_target_rv(info, n->delete_stmt->relation);
        return dml_class("DELETE", n->delete_stmt->with_clause);
    case PG_QUERY__NODE__NODE_MERGE_STMT:
        cl_set_target_rv(info, n->merge_stmt->relation);
        return xstrdup("MERGE");
    case PG_QUERY__NODE__NODE_SELECT_STMT:
        return classify_select(n->select_stmt, info);
    case PG_QUERY__NODE__NODE_COPY_STMT:
        cl_set_target_rv(info, n->copy_stmt->relation);
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
    PG_QUERY__NODE__NODE_CREATE_ROLE_STMT,
    PG_QUERY__NODE__NODE_ALTER_ROLE_STMT,
    PG_QUERY__NODE__NODE_ALTER_ROLE_SET_STMT,
    PG_QUERY__NODE__NODE_DROP_ROLE_STMT,
    PG_QUERY__NODE__NODE_GRANT_ROLE_STMT,
    PG_QUERY__NODE__NODE_CREATEDB_STMT,
    PG_QUERY__NODE__NODE_DROPDB_STMT,
    PG_QUERY__NODE__NODE_ALTER_DATABASE_STMT,
    PG_QUERY__NODE__NODE_ALTER_DATABASE_SET_STMT,
    PG_QUERY__NODE__NODE_CREATE_TABLE_SPACE_STMT,
    PG_QUERY__NODE__NODE_DROP_TABLE_SPACE_STMT,
    PG_QUERY__NODE__NODE_ALTER_TABLE_SPACE_OPTIONS_STMT,
    PG_QUERY__NODE__NODE_ALTER_SYSTEM_STMT,
    PG_QUERY__NODE__NODE_REASSIGN_OWNED_STMT,
    PG_QUERY__NODE__NODE_DO_STMT,
    PG_QUERY__NODE__NODE_CALL_STMT,
    PG_QUERY__NODE__NODE_CREATE_SUBSCRIPTION_STMT,
};

static bool is_cluster_wide(int node)
{
    for (size_t i = 0; i < ARRAY_LEN(cluster_wide_nodes); i++)
        if (cluster_wide_nodes[i] == node) return true;
    return false;
}

void classify_statement_with(const char *sql, ClassifyVolatility fn, void *ctx, StmtInfo *info)
{
    ClassifyVolatility saved_fn = vol_fn;
    void *saved_ctx = vol_ctx;
    vol_fn = fn, vol_ctx = ctx;
    classify_statement(sql, info);
    vol_fn = saved_fn, vol_ctx = saved_ctx;
}

void classify_statement(const char *sql, StmtInfo *info)
{
    memset(info, 0, sizeof(*info));
    const PgQuery__ParseResult *pr = pgtree_parse(sql, NULL, NULL);
    if (!pr) {
        /* syntax newer than the parser: its leading keywords may still tell */
        if (classify_keywords(sql, info)) return;
        info->cls = xstrdup("unparsed");
        info->parsed = STMT_PARSED_NONE;
        info->cluster_wide = true; /* nothing is known of it */
        return;
    }
    if (pr->n_stmts == 0 || !pr->stmts[0]->stmt) {
        info->cls = xstrdup("empty");
    } else {
        /* one statement expected; with several, the first one decides */
        info->cls = classify_node(pr->stmts[0]->stmt, info);
        for (size_t i = 0; i < pr->n_stmts; i++)
            if (pr->stmts[i]->stmt && is_cluster_wide((int)pr->stmts[i]->stmt->node_case))
                info->cluster_wide = true;
    }
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
    free(info->column);
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
