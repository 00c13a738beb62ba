/*
 * libFuzzer target: the statement splitter (corpus_split: psql meta-command
 * blanking, libpg_query's scanner, statement ends, lines; every statement is
 * classified on the way). Invariants: statements come in order, with lines
 * inside the text, text that is a part of the input, never empty; and
 * splitting in small scanner windows (the first byte picks 1-64) gives
 * exactly what one scan of the whole text gives, errors included.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "corpus/corpus.h"

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
    /* windows: the same statements, or the same error */
    Statement *whole = NULL, *win = NULL;
    size_t nwhole = 0, nwin = 0;
    Err ew = {0}, ev = {0};
    int rw = corpus_split_window(text, len, len + 1, &whole, &nwhole, &ew);
    int rv = corpus_split_window(text, len, size ? (size_t)(data[0] % 64) + 1 : 1, &win, &nwin, &ev);
    if (rw != rv || (rw != 0 && strcmp(ew.msg, ev.msg) != 0) || nwhole != nwin)
        abort();
    for (size_t i = 0; i < nwhole; i++)
        if (strcmp(whole[i].sql, win[i].sql) != 0 || whole[i].line != win[i].line)
            abort();
    statements_free(whole, nwhole);
    statements_free(win, nwin);
    free(text);
    return 0;
}
