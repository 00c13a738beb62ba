/*
 * json: streaming writer.
 */
#include "common/json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void json_init(JsonW *w, Buf *out, bool pretty)
{
    memset(w, 0, sizeof(*w));
    w->out = out;
    w->pretty = pretty;
    w->first[0] = true;
}

static void indent(JsonW *w)
{
    if (!w->pretty) return;
    /* a newline and two spaces a level, in one append */
    static const char spaces[] =
        "\n                                                                "
        "                                                                ";
    size_t n = 1 + 2 * (size_t)w->depth;
    if (n > sizeof(spaces) - 1) n = sizeof(spaces) - 1;
    buf_append(w->out, spaces, n);
}

/* Before a value or a key: comma and indentation as needed. */
static void before(JsonW *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth > 0) {
        if (!w->first[w->depth]) buf_putc(w->out, ',');
        indent(w);
    }
    w->first[w->depth] = false;
}

static void open_(JsonW *w, char c)
{
    before(w);
    buf_putc(w->out, c);
    if (w->depth < (int)ARRAY_LEN(w->first) - 1) w->depth++;
    w->first[w->depth] = true;
}

static void close_(JsonW *w, char c)
{
    bool empty = w->first[w->depth];
    if (w->depth > 0) w->depth--;
    if (!empty) indent(w);
    buf_putc(w->out, c);
}

void json_obj_begin(JsonW *w)
{
    open_(w, '{');
}
void json_obj_end(JsonW *w)
{
    close_(w, '}');
}
void json_arr_begin(JsonW *w)
{
    open_(w, '[');
}
void json_arr_end(JsonW *w)
{
    close_(w, ']');
}

void json_key(JsonW *w, const char *key)
{
    before(w);
    json_escape(w->out, key, strlen(key));
    buf_puts(w->out, w->pretty ? ": " : ":");
    w->after_key = true;
}

void json_escape(Buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"':
            buf_puts(b, "\\\"");
            break;
        case '\\':
            buf_puts(b, "\\\\");
            break;
        case '\n':
            buf_puts(b, "\\n");
            break;
        case '\r':
            buf_puts(b, "\\r");
            break;
        case '\t':
            buf_puts(b, "\\t");
            break;
        default:
            if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&') {
                char e[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
                buf_puts(b, e);
            } else if (c >= 0x80) {
                /* JSON text is UTF-8: a byte that does not start a valid
                 * sequence (a Latin-1 file name, a cut message) becomes U+FFFD */
                size_t len = c >= 0xc2 && c <= 0xdf   ? 2
                             : c >= 0xe0 && c <= 0xef ? 3
                             : c >= 0xf0 && c <= 0xf4 ? 4
                                                      : 0;
                size_t bad;
                if (len && i + len <= n && utf8_valid(s + i, len, &bad)) {
                    buf_append(b, s + i, len);
                    i += len - 1;
                } else {
                    buf_puts(b, "\\ufffd");
                }
            } else {
                buf_putc(b, (char)c);
            }
        }
    }
    buf_putc(b, '"');
}

void json_strn(JsonW *w, const char *s, size_t n)
{
    before(w);
    json_escape(w->out, s, n);
}

void json_str(JsonW *w, const char *s)
{
    if (!s) {
        json_null(w);
        return;
    }
    json_strn(w, s, strlen(s));
}

void json_int(JsonW *w, long long v)
{
    before(w);
    buf_printf(w->out, "%lld", v);
}

void json_num(JsonW *w, double v)
{
    before(w);
    if (!isfinite(v)) {
        buf_puts(w->out, "null");
        return;
    }
    char s[64];
    snprintf(s, sizeof(s), "%.3f", v);
    char *e = s + strlen(s) - 1;
    while (e > s && *e == '0')
        *e-- = '\0';
    if (*e == '.') *e = '\0';
    buf_puts(w->out, s);
}

void json_bool(JsonW *w, bool v)
{
    before(w);
    buf_puts(w->out, v ? "true" : "false");
}

void json_null(JsonW *w)
{
    before(w);
    buf_puts(w->out, "null");
}

void json_kv_str(JsonW *w, const char *key, const char *s)
{
    json_key(w, key);
    json_str(w, s);
}

void json_kv_int(JsonW *w, const char *key, long long v)
{
    json_key(w, key);
    json_int(w, v);
}

void json_kv_num(JsonW *w, const char *key, double v)
{
    json_key(w, key);
    json_num(w, v);
}

void json_kv_bool(JsonW *w, const char *key, bool v)
{
    json_key(w, key);
    json_bool(w, v);
}
