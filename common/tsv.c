/*
 * tsv: reading the data files' lines (see tsv.h).
 */
#include "common/tsv.h"

#include <string.h>

void tsv_init(TsvReader *r, char *text, size_t len, bool comments)
{
    *r = (TsvReader){.p = text, .end = text + strnlen(text, len), .comments = comments};
}

int tsv_next(TsvReader *r, char **f, int max)
{
    while (r->p < r->end) {
        char *s = r->p;
        char *nl = memchr(s, '\n', (size_t)(r->end - s));
        char *eol = nl ? nl : r->end;
        r->p = nl ? nl + 1 : r->end;
        r->line++;
        if (eol > s && eol[-1] == '\r') eol--;
        *eol = '\0';
        if (*s == '#') {
            if (!r->comments) continue;
            if (max > 0) f[0] = s;
            return 1;
        }
        if (strspn(s, " \t") == (size_t)(eol - s)) continue;
        int n = 0;
        for (char *q = s;; n++) {
            char *tab = strchr(q, '\t');
            if (n < max) f[n] = q;
            if (!tab) break;
            *tab = '\0';
            q = tab + 1;
        }
        return n + 1;
    }
    return 0;
}
