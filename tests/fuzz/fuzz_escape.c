/*
 * libFuzzer target: the escaping of untrusted text in reports (report/render.c:
 * render_clean, render_html, render_md, render_width, render_wrap) and JSON
 * strings (common/json.c json_escape, read back by common/jsonread.c).
 * Invariants: cleaned text is valid UTF-8 without control characters (but
 * newline and tab when not collapsed); HTML has no < > " ' and no & that does
 * not start an entity; Markdown has no unescaped | or newline; a JSON string
 * is valid UTF-8 and parses back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/jsonread.h"
#include "common/util.h"
#include "report/render.h"

static void check_clean(const char *s, bool collapse)
{
    size_t bad;
    if (!utf8_valid(s, strlen(s), &bad))
        abort();
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == 0x7f || (*p < 0x20 && (collapse || (*p != '\n' && *p != '\t'))))
            abort();
        /* C1 controls (U+0080..U+009F) and bidi overrides must be escaped too */
        if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
            abort();
        if (p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae)
            abort();
        if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';

    Buf b;
    buf_init(&b);
    for (int collapse = 0; collapse < 2; collapse++) {
        buf_reset(&b);
        buf_puts(&b, "");
        render_clean(&b, s, collapse);
        check_clean(b.data, collapse);
        (void)render_width(b.data);
        if (collapse) {
            Buf w;
            buf_init(&w);
            int width = size ? 8 + data[0] % 80 : 40;
            render_wrap(&w, b.data, "  ", width, size > 1 ? data[1] % 4 : 0);
            buf_free(&w);
        }
        buf_reset(&b);
        buf_puts(&b, "");
        render_html(&b, s, collapse);
        check_clean(b.data, collapse);
        for (const char *p = b.data; *p; p++) {
            if (*p == '<' || *p == '>' || *p == '"' || *p == '\'')
                abort();
            if (*p == '&' && !strchr(p, ';'))
                abort();
        }
    }
    buf_reset(&b);
    buf_puts(&b, "");
    render_md(&b, s);
    check_clean(b.data, true);
    for (const char *p = b.data; *p; p++)
        if ((*p == '|' || *p == '`') && (p == b.data || p[-1] != '\\'))
            abort();

    buf_reset(&b);
    json_escape(&b, s, size); /* with its quotes */
    size_t bad;
    if (!utf8_valid(b.data, b.len, &bad))
        abort(); /* a JSON text is UTF-8 (RFC 8259) */
    Err err = {0};
    JsonNode *n = jsonread_parse(b.data, b.len, &err);
    if (!n || !jsonread_str(n))
        abort();
    jsonread_free(n);
    buf_free(&b);
    free(s);
    return 0;
}
