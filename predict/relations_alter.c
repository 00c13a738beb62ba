/*
 * relations_alter: the relations ALTER TABLE locks and rewrites
 * (predict/relations_int.h).
 */
#include "predict/relations_int.h"

bool relations_alter(RelCtx *c, const PgQuery__AlterTableStmt *st)
{
    (void)c;
    (void)st;
    return false;
}
