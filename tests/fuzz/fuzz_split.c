/*
 * libFuzzer target: the statement splitter (corpus_split: psql meta-command
 * blanking, libpg_query's scanner, statement ends, lines; every statement is
 * classified on the way). Invariants: statements come in order, with lines
 * inside the text, text that is a part of the input, never empty.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "matrix/corpus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    size_t len = strlen(text); /* corpus_load refuses NUL bytes before splitting */
    int lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    Statement *st = NULL;
    size_t n = 0;
    Err err = {0};
    if (corpus_split(text, len, &st, &n, &err) == 0) {
        int prev = 1;
        for (size_t i = 0; i < n; i++) {
            if (!st[i].sql || !st[i].sql[0] || st[i].line < prev || st[i].line > lines ||
                st[i].index != (int)i + 1 || !st[i].info.cls || strlen(st[i].sql) > len)
                abort();
            prev = st[i].line;
        }
        statements_free(st, n);
    } else if (!err.msg[0]) {
        abort(); /* an error always says why */
    }
    free(text);
    return 0;
}
