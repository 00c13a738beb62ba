/*
 * knex: .js/.ts migrations by file name; their SQL is the string literals
 * passed to .raw(...) (knex.raw, knex.schema.raw). One transaction per
 * migration unless the file has config = { transaction: false }.
 */
#include "corpus/layouts/ops.h"

const LayoutOps layout_knex = {
    .name = "knex",
    .one = "file",
    .many = "files",
    .plan = layout_plan_js,
    .extracted = true,
    .tx = LAYOUT_TX_FILE,
    .tx_in_js = true,
    .js_words = {"knex", "Knex"},
    .js_rank = 1,
};
