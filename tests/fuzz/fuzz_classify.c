/*
 * libFuzzer target: the classifier (classify_statement on libpg_query's parse
 * tree, its keyword reader where the parser fails) and the fingerprint.
 * Invariants: a class always, and the same class for the same text twice; a
 * fingerprint exactly when the tree classified it; the keyword reader alone
 * (on any text) gives a class when it says yes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "predict/classify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *sql = malloc(size + 1);
    memcpy(sql, data, size);
    sql[size] = '\0';
    StmtInfo a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    classify_statement(sql, &a);
    classify_statement(sql, &b);
    if (!a.cls || !b.cls || strcmp(a.cls, b.cls) != 0 || a.parsed != b.parsed)
        abort();
    if ((classify_fingerprint(sql) != 0) != (a.parsed == STMT_PARSED_TREE) && a.cls &&
        strcmp(a.cls, "empty") != 0)
        abort();
    classify_free(&a);
    classify_free(&b);
    if (classify_keywords(sql, &a)) {
        if (!a.cls || a.parsed != STMT_PARSED_KEYWORDS) abort();
        classify_free(&a);
    }
    free(sql);
    return 0;
}
