/*
 * jsonread: a recursive-descent JSON reader into a tree. See jsonread.h.
 */
#include "common/jsonread.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define JSONREAD_MAX_DEPTH 256

typedef struct Parser {
    const char *s;
    size_t n;
    size_t pos;
    Err *err;
} Parser;

static int fail(Parser *p, const char *what)
{
    return err_set(p->err, EXIT_ENV, "invalid JSON at offset %zu: %s", p->pos, what);
}

static void skip_ws(Parser *p)
{
    while (p->pos < p->n) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

static void node_clear(JsonNode *node)
{
    if (node->type == JSONR_STRING) {
        free(node->str);
    } else if (node->type == JSONR_ARRAY || node->type == JSONR_OBJECT) {
        for (size_t i = 0; i < node->len; i++) {
            node_clear(&node->kids[i]);
            if (node->keys) free(node->keys[i]);
        }
        free(node->kids);
        free(node->keys);
    }
    memset(node, 0, sizeof(*node));
}

static int hex4(Parser *p, unsigned *out)
{
    if (p->n - p->pos < 4) return fail(p, "truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p->s[p->pos++];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return fail(p, "bad hex digit in \\u escape");
    }
    *out = v;
    return 0;
}

static void put_utf8(Buf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    buf_append(b, u, n);
}

/* At the opening quote; leaves the unescaped string in out. */
static int parse_string(Parser *p, Buf *out)
{
    p->pos++; /* the quote */
    for (;;) {
        if (p->pos >= p->n) return fail(p, "unterminated string");
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == '"') {
            p->pos++;
            return 0;
        }
        if (c < 0x20) return fail(p, "control character in string");
        if (c != '\\') {
            /* copy a run of plain bytes at once */
            size_t start = p->pos;
            while (p->pos < p->n && p->s[p->pos] != '"' && p->s[p->pos] != '\\' &&
                   (unsigned char)p->s[p->pos] >= 0x20)
                p->pos++;
            buf_append(out, p->s + start, p->pos - start);
            continue;
        }
        p->pos++;
        if (p->pos >= p->n) return fail(p, "unterminated escape");
        char e = p->s[p->pos++];
        switch (e) {
        case '"':
            buf_putc(out, '"');
            break;
        case '\\':
            buf_putc(out, '\\');
            break;
        case '/':
            buf_putc(out, '/');
            break;
        case 'b':
            buf_putc(out, '\b');
            break;
        case 'f':
            buf_putc(out, '\f');
            break;
        case 'n':
            buf_putc(out, '\n');
            break;
        case 'r':
            buf_putc(out, '\r');
            break;
        case 't':
            buf_putc(out, '\t');
            break;
        case 'u': {
            unsigned cp;
            if (hex4(p, &cp) < 0) return -1;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (p->n - p->pos >= 6 && p->s[p->pos] == '\\' && p->s[p->pos + 1] == 'u') {
                    p->pos += 2;
                    if (hex4(p, &lo) < 0) return -1;
                    if (lo >= 0xDC00 && lo <= 0xDFFF) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    } else {
                        put_utf8(out, 0xFFFD);
                        cp = lo; /* an unpaired high surrogate, then whatever came */
                    }
                } else {
                    cp = 0xFFFD;
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cp = 0xFFFD;
            }
            put_utf8(out, cp);
            break;
        }
        default:
            p->pos--;
            return fail(p, "unknown escape");
        }
    }
}

static int parse_number(Parser *p, JsonNode *node)
{
    size_t start = p->pos;
    if (p->pos < p->n && p->s[p->pos] == '-') p->pos++;
    if (p->pos >= p->n || p->s[p->pos] < '0' || p->s[p->pos] > '9') return fail(p, "bad number");
    if (p->s[p->pos] == '0')
        p->pos++;
    else
        while (p->pos < p->n && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
            p->pos++;
    if (p->pos < p->n && p->s[p->pos] == '.') {
        p->pos++;
        size_t d = p->pos;
        while (p->pos < p->n && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
            p->pos++;
        if (p->pos == d) return fail(p, "bad number: no digit after the point");
    }
    if (p->pos < p->n && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        p->pos++;
        if (p->pos < p->n && (p->s[p->pos] == '+' || p->s[p->pos] == '-')) p->pos++;
        size_t d = p->pos;
        while (p->pos < p->n && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
            p->pos++;
        if (p->pos == d) return fail(p, "bad number: no digit in the exponent");
    }
    char tmp[64];
    size_t len = p->pos - start;
    if (len >= sizeof(tmp)) {
        char *big = xstrndup(p->s + start, len);
        node->num = strtod(big, NULL);
        free(big);
    } else {
        memcpy(tmp, p->s + start, len);
        tmp[len] = '\0';
        node->num = strtod(tmp, NULL);
    }
    node->type = JSONR_NUMBER;
    return 0;
}

static int parse_value(Parser *p, JsonNode *node, int depth);

static int parse_container(Parser *p, JsonNode *node, int depth, bool object)
{
    char close = object ? '}' : ']';
    size_t cap = 0;
    size_t keycap = 0;
    node->type = object ? JSONR_OBJECT : JSONR_ARRAY;
    p->pos++;
    skip_ws(p);
    if (p->pos < p->n && p->s[p->pos] == close) {
        p->pos++;
        return 0;
    }
    for (;;) {
        char *key = NULL;
        if (object) {
            skip_ws(p);
            if (p->pos >= p->n || p->s[p->pos] != '"') return fail(p, "expected a string key");
            Buf k;
            buf_init(&k);
            if (parse_string(p, &k) < 0) {
                buf_free(&k);
                return -1;
            }
            key = buf_steal(&k);
            skip_ws(p);
            if (p->pos >= p->n || p->s[p->pos] != ':') {
                free(key);
                return fail(p, "expected ':'");
            }
            p->pos++;
        }
        size_t idx = node->len;
        grow_array((void **)&node->kids, sizeof(*node->kids), &cap, idx + 1);
        memset(&node->kids[idx], 0, sizeof(node->kids[idx]));
        if (object) {
            grow_array((void **)&node->keys, sizeof(*node->keys), &keycap, idx + 1);
            node->keys[idx] = key;
        }
        node->len++;
        if (parse_value(p, &node->kids[idx], depth + 1) < 0) return -1;
        skip_ws(p);
        if (p->pos >= p->n) return fail(p, object ? "unterminated object" : "unterminated array");
        if (p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->s[p->pos] == close) {
            p->pos++;
            return 0;
        }
        return fail(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int parse_literal(Parser *p, const char *word, JsonType type, JsonNode *node)
{
    size_t len = strlen(word);
    if (p->n - p->pos < len || memcmp(p->s + p->pos, word, len) != 0)
        return fail(p, "unexpected character");
    p->pos += len;
    node->type = type;
    return 0;
}

static int parse_value(Parser *p, JsonNode *node, int depth)
{
    if (depth > JSONREAD_MAX_DEPTH) return fail(p, "nested too deeply");
    skip_ws(p);
    if (p->pos >= p->n) return fail(p, "unexpected end");
    switch (p->s[p->pos]) {
    case '{':
        return parse_container(p, node, depth, true);
    case '[':
        return parse_container(p, node, depth, false);
    case '"': {
        Buf b;
        buf_init(&b);
        if (parse_string(p, &b) < 0) {
            buf_free(&b);
            return -1;
        }
        node->type = JSONR_STRING;
        node->len = b.len;
        node->str = buf_steal(&b);
        return 0;
    }
    case 't':
        return parse_literal(p, "true", JSONR_TRUE, node);
    case 'f':
        return parse_literal(p, "false", JSONR_FALSE, node);
    case 'n':
        return parse_literal(p, "null", JSONR_NULL, node);
    default:
        return parse_number(p, node);
    }
}

JsonNode *jsonread_parse(const char *text, size_t n, Err *err)
{
    Parser p = {.s = text, .n = n, .pos = 0, .err = err};
    JsonNode *root = xcalloc(1, sizeof(*root));
    if (parse_value(&p, root, 0) < 0) {
        jsonread_free(root);
        return NULL;
    }
    skip_ws(&p);
    if (p.pos != n) {
        fail(&p, "trailing characters after the value");
        jsonread_free(root);
        return NULL;
    }
    return root;
}

void jsonread_free(JsonNode *root)
{
    if (!root) return;
    node_clear(root);
    free(root);
}

const JsonNode *jsonread_get(const JsonNode *obj, const char *key)
{
    if (!obj || obj->type != JSONR_OBJECT) return NULL;
    for (size_t i = 0; i < obj->len; i++)
        if (strcmp(obj->keys[i], key) == 0) return &obj->kids[i];
    return NULL;
}

const JsonNode *jsonread_path(const JsonNode *node, ...)
{
    va_list ap;
    va_start(ap, node);
    const char *key;
    while (node && (key = va_arg(ap, const char *)) != NULL)
        node = jsonread_get(node, key);
    va_end(ap);
    return node;
}

const JsonNode *jsonread_at(const JsonNode *arr, size_t i)
{
    if (!arr || arr->type != JSONR_ARRAY || i >= arr->len) return NULL;
    return &arr->kids[i];
}

const char *jsonread_str(const JsonNode *node)
{
    return node && node->type == JSONR_STRING ? node->str : NULL;
}

double jsonread_num(const JsonNode *node, double def)
{
    return node && node->type == JSONR_NUMBER ? node->num : def;
}

bool jsonread_true(const JsonNode *node)
{
    return node && node->type == JSONR_TRUE;
}
