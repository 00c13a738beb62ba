/*
 * relations_int: what the parts of the relation predictor share
 * (predict/relations.c: the core, names and comparison; relations_alter.c:
 * ALTER TABLE; relations_ddl.c: every other statement).
 */
#ifndef LM_PREDICT_RELATIONS_INT_H
#define LM_PREDICT_RELATIONS_INT_H

#include <pg_query/pg_query.pb-c.h>

#include "predict/relations.h"
#include "predict/schema.h"

/* Lock mode ranks (model/vocab.h), as PostgreSQL's lockdefs.h names them. */
enum {
    RL_ACCESS_SHARE = 0,
    RL_ROW_SHARE = 1,
    RL_ROW_EXCLUSIVE = 2,
    RL_SHARE_UPDATE_EXCLUSIVE = 3,
    RL_SHARE = 4,
    RL_SHARE_ROW_EXCLUSIVE = 5,
    RL_EXCLUSIVE = 6,
    RL_ACCESS_EXCLUSIVE = 7,
};

/* One prediction being made. */
typedef struct RelCtx {
    const Schema *s; /* the catalog before the statement; never NULL */
    const Facts *f;  /* may be NULL */
    const char *sql;
    const StmtInfo *info;
    const Prediction *row; /* the lock table's: row->mode is the target's mode */
    const PredictOpts *o;  /* may be NULL */
    int major;
    RelPred *out;
} RelCtx;

/* The parts: each returns whether it models the statement (out->modelled).
 * The core has already locked the target named by info->target at
 * row->mode (when the row predicts a lock and the model has the target);
 * they add every other relation and the rewrites. */
bool relations_alter(RelCtx *c, const PgQuery__AlterTableStmt *st);
bool relations_ddl(RelCtx *c, const PgQuery__Node *stmt);

/* ---- building a prediction ---------------------------------------------------------- */

/* The tracer's name of r ("users", "s.users" outside public); owned. */
char *rel_name(const SchemaRel *r);
/* Locks r at mode in role (a lock already predicted on r is raised to mode,
 * its role kept). r NULL: nothing. */
void rel_lock(RelCtx *c, const SchemaRel *r, RelRole role, int mode);
/* The same by the tracer's name. */
void rel_lock_name(RelCtx *c, const char *name, RelRole role, int mode);
/* The one place that names r's TOAST table and its index ("toast(r)",
 * "toast_index(r)"): locked at tmode and imode (-1: not locked), given new
 * storage where rw_table and rw_index; whether r has them is the caller's
 * to say. */
void rel_toast(RelCtx *c, const SchemaRel *r, int tmode, int imode, bool rw_table, bool rw_index);
/* r's TOAST table and its index at mode, when r has one. */
void rel_lock_toast(RelCtx *c, const SchemaRel *r, int mode);
/* r's indexes at mode (role index). */
void rel_lock_indexes(RelCtx *c, const SchemaRel *r, int mode);
/* r gets new storage: r (a partitioned table has none: its partitions do),
 * its indexes, its TOAST table and TOAST index. */
void rel_rewrite(RelCtx *c, const SchemaRel *r);
/* rel_rewrite, the TOAST table and its index only when toast: a rewrite
 * whose new heap needs no TOAST drops the old one (schema_toast_after). */
void rel_rewrite_toast(RelCtx *c, const SchemaRel *r, bool toast);
/* One relation's new storage by the tracer's name. */
void rel_rewrite_name(RelCtx *c, const char *name);
/* The sequences the nextval(), setval() and currval() calls below n name by
 * a constant, at RowExclusiveLock (the calls are made: rows are met). */
void rel_lock_seq_calls(RelCtx *c, const ProtobufCMessage *n);
/* The relation a RangeVar names in the model, NULL when none. */
const SchemaRel *rel_of_rv(const RelCtx *c, const PgQuery__RangeVar *rv);
/* Says what the model lacked (printf-style) into out->unknown, the first
 * time only. */
void rel_unknown(RelCtx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
