/*
 * classify: what a statement is, from its libpg_query parse tree (protobuf,
 * typed access through pg_query/pg_query.pb-c.h; never regular expressions
 * on SQL text).
 *
 * The class names the command and the details that change its locks, e.g.
 * "ALTER TABLE ADD COLUMN DEFAULT volatile", "CREATE INDEX CONCURRENTLY".
 * A statement libpg_query cannot parse (syntax newer than its parser, PostgreSQL
 * 15's) is read a second time by its leading keywords (classify_keywords, on
 * the scanner's tokens): ALTER TABLE, CREATE TABLE and CREATE INDEX get a
 * coarse class and their target that way; anything else gets "unparsed".
 */
#ifndef LM_CLASSIFY_H
#define LM_CLASSIFY_H

#include "common/util.h"
#include "predict/facts.h"

/* How a statement was classified. */
typedef enum StmtParsed {
    STMT_PARSED_TREE = 0, /* from libpg_query's parse tree */
    STMT_PARSED_KEYWORDS, /* the parser rejected it; class and target from its leading
                             keywords (classify_keywords): coarse, its details unread */
    STMT_PARSED_NONE,     /* neither: class "unparsed" */
} StmtParsed;

typedef struct StmtInfo {
    char *cls;         /* the class; owned; never NULL after classify_statement */
    char **subclasses; /* ALTER TABLE with several subcommands: one class each; owned */
    size_t nsubclasses;
    char *target;        /* relation the statement acts on, as the server names it
                            (unquoted identifiers folded to lower case), or NULL */
    char *target_schema; /* schema when the statement names one, else NULL */
    char *column;        /* classified from its keywords: the column the first ALTER
                            [COLUMN] subcommand names (as the server names it), else
                            NULL; owned */
    char **referenced;   /* other relations the statement names (FK targets, partitions
                            attached, LIKE sources ...); owned */
    size_t nreferenced;
    bool no_tx;          /* cannot run inside a transaction block on any version
                            (CONCURRENTLY forms, VACUUM, CREATE DATABASE ...) */
    int no_tx_below;     /* cannot run in a transaction block on majors below this
                            one (ALTER TYPE ... ADD VALUE: 12), else 0 */
    bool tx_control;     /* BEGIN, COMMIT, ROLLBACK, SAVEPOINT, ... */
    bool in_do_block;    /* a DO block or function body (DDL hidden inside) */
    bool on_commit_drop; /* CREATE TEMP TABLE (or CREATE TABLE AS) ... ON COMMIT DROP: the
                            table lives only until its transaction ends */
    bool cluster_wide;   /* may change what every database of the server shares (roles,
                            tablespaces, databases, server settings), or cannot be known
                            not to (DO blocks, unparsed): the next job needs a fresh server */
    bool may_skip;       /* an ALTER TABLE subcommand with IF [NOT] EXISTS (ADD COLUMN IF NOT
                            EXISTS of a column that exists): the server may find nothing
                            to do, take its lock and skip the rest (no rewrite, no scan) */
    bool generic;        /* cls came from the fallback (named after the parse node's
                            type), not from classify.c's table of known forms */
    StmtParsed parsed;   /* how cls was found */
} StmtInfo;

/* Classifies sql (one statement, no trailing semicolon needed). Never fails on
 * SQL the parser rejects: that gives cls "unparsed". Free with classify_free. */
void classify_statement(const char *sql, StmtInfo *info);
void classify_free(StmtInfo *info);

/* How volatile the function a default calls is (schema NULL when the call
 * names none): a default is "volatile" unless every function it calls is
 * IMMUTABLE or STABLE. */
typedef FactsVolatility (*ClassifyVolatility)(const char *schema, const char *name, void *ctx);
/* classify_statement, with fn (and its ctx) saying how volatile functions are;
 * classify_statement asks pg_catalog's volatility on every major (the
 * built-in facts: "volatile" when it is on one), and knows no other function. */
void classify_statement_with(const char *sql, ClassifyVolatility fn, void *ctx, StmtInfo *info);

/* The keyword reader alone (classify_statement falls back on it): classifies
 * sql from its leading keywords on libpg_query's scanner tokens, which know no
 * grammar and so read syntax newer than the parser's. Reads ALTER TABLE [IF
 * EXISTS] [ONLY] name and its subcommands (ADD [COLUMN], ADD [CONSTRAINT name]
 * CHECK|UNIQUE|PRIMARY KEY|FOREIGN KEY|EXCLUDE|NOT NULL, ALTER [COLUMN] ...,
 * ALTER CONSTRAINT, DROP ..., SET ..., comma-separated), CREATE [UNIQUE] INDEX
 * [CONCURRENTLY] ... ON [ONLY] name and CREATE [TEMP|UNLOGGED] TABLE name;
 * names quoted or not, schema-qualified or not. The class names the command
 * and subcommand only (the details that decide a rewrite or a scan are not
 * read; a foreign key to another table is: "... REFERENCES"). Returns false, info untouched, for
 * anything else. On true, info (zeroed first) holds the class, target, referenced relations and
 * flags, parsed STMT_PARSED_KEYWORDS; free with classify_free. */
bool classify_keywords(const char *sql, StmtInfo *info);

/* "tree", "keywords", "none": the name reports use (JSON "parsed"). Static. */
const char *classify_parsed_name(StmtParsed p);

/* What reports say of a statement classified from its keywords (one line,
 * "class from its keywords only: syntax newer than the parser's (PostgreSQL
 * 15)"), NULL for the others. Static. */
const char *classify_parsed_note(StmtParsed p);

/* How a stored statement was classified, from what the store keeps: a
 * fingerprint only when libpg_query parsed it, class "unparsed" when nothing
 * did. */
StmtParsed classify_parsed_of(const char *cls, bool has_fingerprint);

/* The parts a combined ADD COLUMN class is made of, each a class of its own:
 * "ALTER TABLE ADD COLUMN NOT NULL UNIQUE CHECK" gives "ALTER TABLE ADD
 * COLUMN NOT NULL", "... ADD COLUMN UNIQUE" and "... ADD COLUMN CHECK" (the
 * lock table predicts a combination it has no row for from its parts' rows).
 * Returns how many (then *parts is an owned array of owned strings, NULL
 * ended), 0 when cls is not such a combination. */
size_t classify_parts(const char *cls, char ***parts);

/* libpg_query fingerprint of sql, 0 when it cannot be parsed. */
uint64_t classify_fingerprint(const char *sql);

#endif
