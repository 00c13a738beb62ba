/*
 * test_tsv: the data files' line reader (common/tsv.c): fields split on
 * tabs, line numbers, CR LF, blank lines, comments skipped or returned, more
 * fields than the caller keeps.
 */
#include <stdlib.h>
#include <string.h>

#include "common/tsv.h"
#include "common/util.h"
#include "tests/unit/t.h"

/* The lines of text as "line:field|field;" (comments returned when asked),
 * at most 3 fields kept a line, the count when there were more. */
static char *lines(const char *text, bool comments)
{
    char *copy = xstrdup(text);
    TsvReader r;
    tsv_init(&r, copy, strlen(copy), comments);
    Buf out;
    buf_init(&out);
    char *f[3];
    int n;
    while ((n = tsv_next(&r, f, 3)) > 0) {
        buf_printf(&out, "%d:", r.line);
        for (int i = 0; i < n && i < 3; i++)
            buf_printf(&out, "%s%s", i ? "|" : "", f[i]);
        if (n > 3) buf_printf(&out, "(+%d)", n - 3);
        buf_putc(&out, ';');
    }
    free(copy);
    return out.data ? buf_steal(&out) : xstrdup("");
}

int main(void)
{
    static const struct {
        const char *text;
        bool comments;
        const char *want;
    } cases[] = {
        {"", false, ""},
        {"a\tb\tc\n", false, "1:a|b|c;"},
        {"a\tb", false, "1:a|b;"},
        {"a\r\nb\tc\r\n", false, "1:a;2:b|c;"},
        {"# head\n\n  \t \na\n# mid\nb\n", false, "4:a;6:b;"},
        {"# head\n\n  \t \na\n# mid\nb\n", true, "1:# head;4:a;5:# mid;6:b;"},
        {"a\t\tc\n", false, "1:a||c;"},
        {"a\tb\tc\td\te\n", false, "1:a|b|c(+2);"},
        {"x\n\n\ny\n", false, "1:x;4:y;"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char *got = lines(cases[i].text, cases[i].comments);
        CHECK_STR(got, cases[i].want, "case %zu", i);
        free(got);
    }
    return t_done("test_tsv");
}
