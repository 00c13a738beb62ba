/*
 * libFuzzer target: SQL extraction from JS/TS migrations (corpus/jsextract.c:
 * jsextract_sql; corpus/layout.c: layout_sniff_js, layout_breakpoints) — text of
 * repositories lockmatrix did not write. Invariants: pieces in line order
 * within the text, breakpoints in order and inside the text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "corpus/jsextract.h"
#include "corpus/layout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    size_t len = strlen(text);
    int lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    JsPiece *p = NULL;
    size_t n = 0, skipped = 0;
    jsextract_sql(text, len, &p, &n, &skipped);
    for (size_t i = 0; i < n; i++)
        if (!p[i].sql || p[i].line < 1 || p[i].line > lines || (i && p[i].line < p[i - 1].line))
            abort();
    jsextract_free(p, n);
    (void)layout_sniff_js(text);
    size_t *starts = NULL, nb = 0;
    layout_breakpoints(text, &starts, &nb);
    for (size_t i = 0; i < nb; i++)
        if (starts[i] > len || (i && starts[i] < starts[i - 1])) /* a mark at 0 repeats the first start */
            abort();
    free(starts);
    free(text);
    return 0;
}
