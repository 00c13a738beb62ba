/*
 * relations_ddl: the relations every statement but ALTER TABLE locks and
 * rewrites (predict/relations_int.h).
 */
#include "predict/relations_int.h"

bool relations_ddl(RelCtx *c, const PgQuery__Node *stmt)
{
    (void)c;
    (void)stmt;
    return false;
}
