/*
 * libFuzzer target: the classifier (classify_statement on libpg_query's parse
 * tree) and the fingerprint. Invariants: a class always, and the same class
 * for the same text twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "matrix/classify.h"

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
    if (!a.cls || !b.cls || strcmp(a.cls, b.cls) != 0)
        abort();
    (void)classify_fingerprint(sql);
    classify_free(&a);
    classify_free(&b);
    free(sql);
    return 0;
}
