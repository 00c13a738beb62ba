/*
 * Sequelize: .js migrations by file name (umzug / sequelize-cli); their SQL
 * is the string literals passed to .query(...)
 * (queryInterface.sequelize.query). No transaction: sequelize-cli does not
 * wrap a migration.
 */
#include "corpus/layouts/ops.h"

const LayoutOps layout_sequelize = {
    .name = "sequelize",
    .one = "file",
    .many = "files",
    .plan = layout_plan_js,
    .extracted = true,
    .tx = LAYOUT_TX_NONE,
    .js_words = {"queryInterface"},
    .js_rank = 2,
};
