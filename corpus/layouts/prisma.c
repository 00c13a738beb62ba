/*
 * Prisma: <timestamp>_name/migration.sql by folder name; the script sent as
 * one query, so PostgreSQL's implicit transaction.
 */
#include "corpus/layouts/ops.h"

static bool detect(const LayoutDir *d)
{
    return layout_has_subdir_file(d, "migration.sql");
}

static int plan(const LayoutDir *d, bool downs, LayoutPlan *p, Err *err)
{
    (void)downs;
    return layout_plan_subdirs(d, "migration.sql", LAYOUT_TX_IMPLICIT, p, err);
}

const LayoutOps layout_prisma = {
    .name = "prisma",
    .one = "migration.sql",
    .many = "migration.sql",
    .detect = detect,
    .plan = plan,
    .tx = LAYOUT_TX_IMPLICIT,
};
