/*
 * schema: a model of the catalog a chain of statements builds, for the static
 * predictor. Statements are replayed through libpg_query's parse tree
 * (schema_apply), or read from a file such as `pg_dump --schema-only` output
 * (schema_load_dump); the model then answers what a statement will meet: a
 * table's columns with their types and typmods, its indexes, owned sequences,
 * constraints, partitions at every depth, parents, foreign-key partners,
 * whether it has a TOAST table and whether it may hold rows.
 *
 * Names are as the server folds them (unquoted identifiers in lower case, as
 * the parser hands them over). A lookup with no schema goes through pg_temp,
 * then the search path ("public" until a SET search_path changes it).
 * Statements the model does not know (DO blocks, functions, grants, ...)
 * leave it unchanged; so do statements the server would refuse where the
 * model can tell (DROP TABLE of a table others depend on, without CASCADE).
 */
#ifndef LM_PREDICT_SCHEMA_H
#define LM_PREDICT_SCHEMA_H

#include "common/util.h"

typedef enum SchemaRelKind {
    SCHEMA_REL_TABLE,       /* r */
    SCHEMA_REL_PARTITIONED, /* p: PARTITION BY */
    SCHEMA_REL_VIEW,        /* v */
    SCHEMA_REL_MATVIEW,     /* m */
    SCHEMA_REL_INDEX,       /* i (and I on a partitioned table) */
    SCHEMA_REL_SEQUENCE,    /* S */
    SCHEMA_REL_FOREIGN,     /* f */
    SCHEMA_REL_COMPOSITE,   /* c: CREATE TYPE ... AS (...) */
} SchemaRelKind;

typedef enum SchemaPersistence {
    SCHEMA_PERMANENT,
    SCHEMA_UNLOGGED,
    SCHEMA_TEMP,
} SchemaPersistence;

typedef struct SchemaColumn {
    char *name;
    char *type;        /* as the server names it in pg_type: int4, int8, varchar, numeric,
                          timestamptz, text, ...; of the element for an array */
    char *type_schema; /* the schema a user type was qualified with, else NULL */
    bool array;
    int length;           /* varchar, bpchar, bit, varbit: the length; -1 when none */
    int precision, scale; /* numeric: precision (-1 when none) and scale */
    int fsec;             /* time, timetz, timestamp, timestamptz, interval: fractional
                             seconds precision; -1 when none */
    int interval_fields;  /* interval: the fields written (DAY, MINUTE TO SECOND, ...) as
                             the server's INTERVAL_MASK bits; -1 when none (all) */
    char *collation;      /* COLLATE name, else NULL */
    bool has_default;
    char **default_funcs; /* the functions the default calls, by their last name */
    size_t ndefault_funcs;
    char **default_seqs; /* the sequences its nextval() calls name by a constant, as written
                            ('app.seq'); a serial's owned sequence is not among them */
    size_t ndefault_seqs;
    bool not_null;
    char generated; /* 's': GENERATED ALWAYS AS (...) STORED; else 0 */
    char identity;  /* 'a' GENERATED ALWAYS, 'd' BY DEFAULT AS IDENTITY; else 0 */
} SchemaColumn;

/* pg_constraint's kinds the model keeps. NOT NULL is SchemaColumn.not_null
 * (PostgreSQL 18 also makes it a constraint row, named t_col_not_null). */
typedef enum SchemaConKind {
    SCHEMA_CON_CHECK,
    SCHEMA_CON_UNIQUE,
    SCHEMA_CON_PRIMARY,
    SCHEMA_CON_FOREIGN,
    SCHEMA_CON_EXCLUSION,
} SchemaConKind;

typedef struct SchemaRel SchemaRel;

typedef struct SchemaConstraint {
    char *name;
    SchemaConKind kind;
    bool validated; /* false: added NOT VALID and not validated since */
    char **cols;    /* the columns it constrains (a CHECK: the columns its expression names) */
    size_t ncols;
    SchemaRel *index; /* unique, primary, exclusion: its index */
    SchemaRel *ref;   /* foreign: the referenced table; NULL when the model does not know it */
    char **ref_cols;  /* foreign: the referenced columns (none written: empty) */
    size_t nref_cols;
    char del_action; /* foreign: ON DELETE as pg_constraint.confdeltype: 'a' NO ACTION, 'r'
                        RESTRICT, 'c' CASCADE, 'n' SET NULL, 'd' SET DEFAULT */
    char upd_action; /* foreign: ON UPDATE the same way (confupdtype) */
} SchemaConstraint;

/* One relation (pg_class row). Every pointer into other relations is owned by
 * the Schema and stays valid until that relation is dropped from the model. */
struct SchemaRel {
    char *schema, *name;
    SchemaRelKind kind;
    SchemaPersistence persistence;

    SchemaColumn *cols; /* tables, views (their aliases), composite types */
    size_t ncols, capcols;
    SchemaConstraint *cons;
    size_t ncons, capcons;
    SchemaRel **indexes; /* a table's indexes */
    size_t nindexes, capindexes;
    SchemaRel **seqs; /* a table's owned sequences (serial, identity, OWNED BY) */
    size_t nseqs, capseqs;
    SchemaRel **children; /* direct partitions or inheritance children (pg_inherits) */
    size_t nchildren, capchildren;
    SchemaRel **parents; /* pg_inherits the other way; a partition has one */
    size_t nparents, capparents;
    SchemaRel **deps; /* a view or matview: the relations its query names */
    size_t ndeps, capdeps;
    SchemaRel **viewers; /* the views and matviews whose query names it (deps the other way) */
    size_t nviewers, capviewers;
    SchemaRel **refby; /* the tables whose foreign keys reference it, once per foreign key */
    size_t nrefby, caprefby;
    bool is_partition;
    bool is_default;   /* a partition: its parent's DEFAULT partition */
    bool has_toast;    /* a TOAST table exists (tables and matviews; false where the
                          columns are unknown) */
    bool rows;         /* its own storage may hold rows (schema_has_rows) */
    bool cols_unknown; /* CREATE TABLE AS, SELECT INTO, views and materialized views:
                          the query decides the columns; cols holds only names given
                          in the statement, with no type */

    /* an index */
    SchemaRel *table; /* an index: its table; a sequence: the table owning it, or NULL */
    char **keys;      /* an index: its key columns, NULL for an expression */
    char **keynames;  /* an index: its columns' names (pg_attribute): the column, else what
                         the server calls the expression ("lower", "expr") */
    size_t nkeys;
    char **uses; /* an index: the columns its expressions and predicate name */
    size_t nuses;
    bool unique, primary, partial;
    bool only; /* CREATE INDEX ON ONLY a partitioned table: not on its partitions */

    /* a sequence */
    char *owner_col; /* the owning column, when owned */
    bool identity;   /* the sequence of an identity column (deptype 'i', else 'a') */
    char *seq_type;  /* int2, int4 or int8 (AS; serial: the column's type) */

    /* a table */
    char *access_method; /* its table access method (USING, SET ACCESS METHOD, else the
                            default_table_access_method the chain set, else heap) */

    char **objects; /* a table's triggers, rules and policies: "trigger:name", "rule:name",
                       "policy:name" (schema_table_object) */
    size_t nobjects;

    bool dropping;  /* internal: marked while a DROP removes it */
    bool rewriting; /* internal: the ALTER TABLE being applied rewrites it */
};

/* A type of pg_type the chain created (enum, composite, domain). */
typedef enum SchemaTypeKind {
    SCHEMA_TYPE_ENUM,
    SCHEMA_TYPE_COMPOSITE,
    SCHEMA_TYPE_DOMAIN
} SchemaTypeKind;

typedef struct SchemaType {
    char *schema, *name;
    SchemaTypeKind kind;
    char *base;           /* a domain: its base type, as SchemaColumn.type */
    SchemaColumn basecol; /* a domain: its base type with its modifiers, as a column of
                             that type holds them (type is base) */
    int nchecks;          /* a domain: its CHECK constraints (CREATE, ALTER DOMAIN) */
    bool not_null;        /* a domain: NOT NULL */
} SchemaType;

typedef struct Schema Schema;

/* An empty model: schemas public and pg_catalog, search path "$user",
 * public (as the server's default). Free with schema_free. */
Schema *schema_new(void);
void schema_free(Schema *s);

/* Whether r has a TOAST table after sql, an ALTER TABLE that rewrites it
 * (its columns retyped or added as sql says): the new heap gets one only
 * when PostgreSQL's rule still asks for it, else the old one is dropped, not
 * rewritten. r->has_toast for any other statement. */
bool schema_toast_after(const Schema *s, const SchemaRel *r, const char *sql);

/* The session the statements ran in ends: what it SET (the search path,
 * TimeZone, default_table_access_method) is back to the server's default;
 * the catalog stays. (run --preamble runs in a session of its own.) */
void schema_end_session(Schema *s);

/* Applies sql (one statement or several) to the model as the catalog would
 * change. SQL the parser rejects and statements the model does not know
 * change nothing; never fails. */
void schema_apply(Schema *s, const char *sql);

/* Applies every statement of the file at path (pg_dump --schema-only output,
 * or any SQL). psql meta-commands (\connect, \restrict) and the data of
 * COPY ... FROM stdin are skipped. A statement that does not parse adds a
 * warning naming the file by its base name and the line of the error
 * ("dump.sql:123: syntax error at or near ...") and the rest goes on.
 * 0, or -1 with err (code EXIT_USAGE) when the file cannot be read. */
int schema_load_dump(Schema *s, const char *path, Err *err);
size_t schema_nwarnings(const Schema *s);
const char *schema_warning(const Schema *s, size_t i); /* owned by s; NULL past the end */

/* A relation by schema (NULL: pg_temp, then the search path) and name; NULL
 * when the model has none. */
const SchemaRel *schema_rel(const Schema *s, const char *schema, const char *name);
/* A type (enum, composite, domain) the same way. */
const SchemaType *schema_type(const Schema *s, const char *schema, const char *name);
/* Column name of r, or NULL. */
const SchemaColumn *schema_column(const SchemaRel *r, const char *name);
/* Constraint name of r, or NULL. */
const SchemaConstraint *schema_constraint(const SchemaRel *r, const char *name);

/* The partitions of r at every depth (parents before their partitions) into
 * *out (malloc'd, free()); their count. */
size_t schema_partitions(const SchemaRel *r, const SchemaRel ***out);
/* Whether table r has the trigger, rule or policy (kind "trigger", "rule",
 * "policy") name: created on it by the chain (CREATE TRIGGER | RULE | POLICY,
 * not dropped or renamed since). */
bool schema_table_object(const SchemaRel *r, const char *kind, const char *name);
/* The DEFAULT partition of the partitioned table r, NULL when none. */
const SchemaRel *schema_default_partition(const SchemaRel *r);
/* The tables r's foreign keys reference, each once; into *out (free()). */
size_t schema_referenced(const SchemaRel *r, const SchemaRel ***out);
/* The tables whose foreign keys reference r, each once; into *out (free()). */
size_t schema_referencing(const Schema *s, const SchemaRel *r, const SchemaRel ***out);
/* The views and materialized views whose query names r; into *out (free()). */
size_t schema_dependent_views(const Schema *s, const SchemaRel *r, const SchemaRel ***out);

/* Whether r may hold rows; with inh, counting its children at every depth
 * (a partitioned table's rows are its partitions'). A table the chain
 * creates starts empty; INSERT, COPY FROM, CREATE TABLE AS and SELECT INTO
 * that make rows fill it (an INSERT into a partitioned table: every
 * partition, as the model does not keep their bounds); TRUNCATE (with
 * CASCADE, the tables referencing it too) and DELETE without WHERE empty
 * it. An UPDATE or a DELETE with WHERE leaves it as it was: rows stay
 * possible. A table of a dump (schema_load_dump) is a production table and
 * has rows; so has a relation the model does not hold (r NULL), a sequence,
 * a foreign table, and a view whose relations all have rows. */
bool schema_has_rows(const SchemaRel *r, bool inh);
/* Whether a SELECT (VALUES, a set operation, a query) may make rows: every
 * relation of its FROM may hold rows (one of a LEFT JOIN's right side aside;
 * a WHERE is taken to let them through). */
struct PgQuery__SelectStmt;
bool schema_select_rows(const Schema *s, const struct PgQuery__SelectStmt *sel);

/* How volatile the chain's function name is (CREATE [OR REPLACE] FUNCTION ...
 * IMMUTABLE | STABLE | VOLATILE, VOLATILE when it says none): 'i', 's' or
 * 'v', the most volatile of its overloads; 0 when the chain created none of
 * that name (schema NULL: in any schema). *sql (may be NULL): one of them is
 * LANGUAGE sql (the planner may inline it: its body then counts). */
char schema_function_volatility(const Schema *s, const char *schema, const char *name, bool *sql);

/* The session's TimeZone as the statements set it (SET TimeZone, SET TIME
 * ZONE: "Europe/Berlin", "UTC" for 0 hours), NULL when none did or RESET. */
const char *schema_timezone(const Schema *s);

/* The current search path, entry i (NULL past the end). */
const char *schema_search_path(const Schema *s, size_t i);

#endif
