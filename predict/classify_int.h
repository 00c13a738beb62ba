/*
 * predict/classify_int: what the files of the classifier share, for them
 * only (classify.c: the entry points and the statement nodes;
 * classify_alter.c: ALTER TABLE and its subcommands, CREATE TABLE;
 * classify_keywords.c: the keyword reader for statements the parser rejects).
 * Other modules include predict/classify.h.
 */
#ifndef LM_PREDICT_CLASSIFY_INT_H
#define LM_PREDICT_CLASSIFY_INT_H

#include <pg_query/pg_query.pb-c.h>

#include "predict/classify.h"

typedef PgQuery__Node Node;

/* ---- helpers over the tree (classify.c) ---------------------------------- */

/* A String node's text, or NULL. */
const char *cl_node_str(const Node *n);
/* info's target (and its schema) from rv; nothing when rv is NULL. */
void cl_set_target_rv(StmtInfo *info, const PgQuery__RangeVar *rv);
/* A referenced relation, once, never the target itself. */
void cl_add_ref(StmtInfo *info, const char *schema, const char *name);
void cl_add_ref_rv(StmtInfo *info, const PgQuery__RangeVar *rv);
/* Whether a default expression may be volatile (a rewrite on every version). */
bool cl_expr_volatile(const Node *e);
/* Whether e is the constant NULL. */
bool cl_is_null_const(const Node *e);

/* ---- ALTER TABLE, CREATE TABLE (classify_alter.c) ---------------------- */

/* The class of an ALTER TABLE (or ALTER INDEX, VIEW, ... on a relation): its
 * subcommands' classes joined by ", ", each in info->subclasses; owned. */
char *classify_alter_table(const PgQuery__AlterTableStmt *s, StmtInfo *info);
/* The class of CREATE [FOREIGN] TABLE; owned. */
char *classify_create_table(const PgQuery__CreateStmt *s, StmtInfo *info, bool foreign);

#endif
