/*
 * TypeORM: .ts/.js migration classes by file name (the timestamp prefix);
 * their SQL is the string literals passed to .query(...) (queryRunner.query).
 * One transaction per migration unless the class says transaction = false.
 */
#include "corpus/layouts/ops.h"

const LayoutOps layout_typeorm = {
    .name = "typeorm",
    .one = "file",
    .many = "files",
    .plan = layout_plan_js,
    .extracted = true,
    .tx = LAYOUT_TX_FILE,
    .tx_in_js = true,
    .js_words = {"MigrationInterface", "queryRunner"},
    .js_rank = 3,
};
