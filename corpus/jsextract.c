/*
 * jsextract: a small JS tokenizer and, on its tokens, the first argument of
 * every ".raw(" / ".query(" call when it is a constant string.
 */
#include "corpus/jsextract.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef enum { TK_IDENT, TK_STRING, TK_PUNCT } TokKind;

typedef struct Tok {
    TokKind kind;
    const char *s; /* identifier start */
    size_t len;    /* identifier length */
    char c;        /* punctuation */
    char *value;   /* string value, NULL for a template with ${...}; owned */
    int line;
} Tok;

static void put_utf8(Buf *b, unsigned long cp)
{
    char u[4];
    if (cp < 0x80) {
        buf_putc(b, (char)cp);
        return;
    }
    if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        buf_append(b, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        buf_append(b, u, 3);
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        buf_append(b, u, 4);
    }
}

static unsigned long hexval(const char *p, size_t n, size_t *used)
{
    unsigned long v = 0;
    size_t i = 0;
    for (; i < n && isxdigit((unsigned char)p[i]); i++) {
        int c = tolower((unsigned char)p[i]);
        v = v * 16 + (unsigned long)(isdigit(c) ? c - '0' : c - 'a' + 10);
    }
    *used = i;
    return v;
}

/* Reads a string or template literal starting at text[*i] (the quote); its
 * value into *value (NULL for a template with ${...}); *i past the closing
 * quote; *line advanced over its newlines. */
static void read_literal(const char *t, size_t len, size_t *i, int *line, char **value)
{
    char q = t[*i];
    size_t p = *i + 1;
    Buf b;
    buf_init(&b);
    buf_puts(&b, "");
    bool dynamic = false;
    while (p < len && t[p] != q) {
        char c = t[p];
        if (c == '\n') {
            /* an unterminated string ends at the line; the caller counts
             * that newline (counting it here too put every later line off by one) */
            if (q != '`') break;
            (*line)++;
        }
        if (c == '\\' && p + 1 < len) {
            char e = t[p + 1];
            p += 2;
            size_t used;
            switch (e) {
            case 'n':
                buf_putc(&b, '\n');
                break;
            case 't':
                buf_putc(&b, '\t');
                break;
            case 'r':
                buf_putc(&b, '\r');
                break;
            case 'b':
                buf_putc(&b, '\b');
                break;
            case 'f':
                buf_putc(&b, '\f');
                break;
            case 'v':
                buf_putc(&b, '\v');
                break;
            case '0':
                break; /* a NUL has no place in SQL text */
            case '\r': /* a continuation by CRLF; a lone CR starts no line (lines are \n) */
                if (p < len && t[p] == '\n') {
                    p++;
                    (*line)++;
                }
                break;
            case '\n':
                (*line)++;
                break; /* line continuation */
            case 'x':
                put_utf8(&b, hexval(t + p, 2, &used));
                p += used;
                break;
            case 'u':
                if (p < len && t[p] == '{') {
                    unsigned long cp = hexval(t + p + 1, 8, &used);
                    p += used + 1;
                    if (p < len && t[p] == '}') p++;
                    put_utf8(&b, cp);
                } else {
                    put_utf8(&b, hexval(t + p, 4, &used));
                    p += used;
                }
                break;
            default:
                buf_putc(&b, e);
                break;
            }
            continue;
        }
        if (q == '`' && c == '$' && p + 1 < len && t[p + 1] == '{') {
            /* ${ ... }: skip to the matching brace, strings inside included */
            dynamic = true;
            int depth = 1;
            p += 2;
            while (p < len && depth > 0) {
                if (t[p] == '{')
                    depth++;
                else if (t[p] == '}')
                    depth--;
                else if (t[p] == '\'' || t[p] == '"' || t[p] == '`') {
                    char *ignored = NULL;
                    size_t k = p;
                    read_literal(t, len, &k, line, &ignored);
                    free(ignored);
                    p = k;
                    continue;
                } else if (t[p] == '\n') {
                    (*line)++;
                }
                p++;
            }
            continue;
        }
        buf_putc(&b, c);
        p++;
    }
    if (p < len && t[p] == q) p++;
    *i = p;
    if (dynamic) {
        buf_free(&b);
        *value = NULL;
    } else {
        *value = buf_steal(&b);
    }
}

/* Whether a '/' after token prev starts a regular expression literal. */
static bool regex_allowed(const Tok *prev)
{
    if (!prev) return true;
    if (prev->kind == TK_STRING) return false;
    if (prev->kind == TK_IDENT)
        return (prev->len == 6 && strncmp(prev->s, "return", 6) == 0) ||
               (prev->len == 6 && strncmp(prev->s, "typeof", 6) == 0);
    return strchr("(,=:[!&|?{};+-*%<>~^", prev->c) != NULL;
}

static void tokenize(const char *t, size_t len, Tok **toks, size_t *n)
{
    size_t cap = 0;
    int line = 1;
    *toks = NULL;
    *n = 0;
    for (size_t i = 0; i < len;) {
        char c = t[i];
        if (c == '\n') {
            line++;
            i++;
        } else if (isspace((unsigned char)c)) {
            i++;
        } else if (c == '/' && i + 1 < len && t[i + 1] == '/') {
            while (i < len && t[i] != '\n')
                i++;
        } else if (c == '/' && i + 1 < len && t[i + 1] == '*') {
            i += 2;
            while (i + 1 < len && !(t[i] == '*' && t[i + 1] == '/')) {
                if (t[i] == '\n') line++;
                i++;
            }
            i += 2;
        } else if (c == '\'' || c == '"' || c == '`') {
            Tok *k = ARRAY_PUSH(*toks, *n, cap);
            memset(k, 0, sizeof(*k));
            k->kind = TK_STRING;
            k->line = line;
            read_literal(t, len, &i, &line, &k->value);
        } else if (c == '/' && regex_allowed(*n ? &(*toks)[*n - 1] : NULL)) {
            bool cls = false;
            for (i++; i < len && t[i] != '\n'; i++) {
                if (t[i] == '\\') {
                    i++;
                    continue;
                }
                if (t[i] == '[')
                    cls = true;
                else if (t[i] == ']')
                    cls = false;
                else if (t[i] == '/' && !cls)
                    break;
            }
            i++;
            while (i < len && isalpha((unsigned char)t[i]))
                i++;
            Tok *k = ARRAY_PUSH(*toks, *n, cap);
            memset(k, 0, sizeof(*k));
            k->kind = TK_STRING; /* a value, not SQL */
            k->line = line;
            k->value = NULL;
        } else if (isalpha((unsigned char)c) || c == '_' || c == '$' || (unsigned char)c >= 0x80) {
            size_t b = i;
            while (i < len && (isalnum((unsigned char)t[i]) || t[i] == '_' || t[i] == '$' ||
                               (unsigned char)t[i] >= 0x80))
                i++;
            Tok *k = ARRAY_PUSH(*toks, *n, cap);
            memset(k, 0, sizeof(*k));
            k->kind = TK_IDENT;
            k->s = t + b;
            k->len = i - b;
            k->line = line;
        } else if (isdigit((unsigned char)c)) {
            while (i < len && (isalnum((unsigned char)t[i]) || t[i] == '.' || t[i] == '_'))
                i++;
            Tok *k = ARRAY_PUSH(*toks, *n, cap);
            memset(k, 0, sizeof(*k));
            k->kind = TK_IDENT;
            k->s = t;
            k->len = 0;
            k->line = line;
        } else {
            Tok *k = ARRAY_PUSH(*toks, *n, cap);
            memset(k, 0, sizeof(*k));
            k->kind = TK_PUNCT;
            k->c = c;
            k->line = line;
            i++;
        }
    }
}

static bool ident_is(const Tok *k, const char *w)
{
    return k->kind == TK_IDENT && k->len == strlen(w) && strncmp(k->s, w, k->len) == 0;
}

static bool punct_is(const Tok *k, char c)
{
    return k->kind == TK_PUNCT && k->c == c;
}

void jsextract_sql(const char *text, size_t len, JsPiece **out, size_t *n, size_t *skipped)
{
    Tok *t;
    size_t nt;
    tokenize(text, len, &t, &nt);
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    *skipped = 0;
    bool down = false;
    for (size_t i = 0; i < nt; i++) {
        /* up / down sections: "up(", "up:", "up =", "async up (", "exports.up" */
        if ((ident_is(&t[i], "up") || ident_is(&t[i], "down")) && i + 1 < nt &&
            (punct_is(&t[i + 1], '(') || punct_is(&t[i + 1], ':') || punct_is(&t[i + 1], '='))) {
            down = ident_is(&t[i], "down");
            continue;
        }
        if (!(ident_is(&t[i], "raw") || ident_is(&t[i], "query")) || i == 0 ||
            !punct_is(&t[i - 1], '.') || i + 1 >= nt || !punct_is(&t[i + 1], '('))
            continue;
        /* the first argument: literal (+ literal)* followed by ',' or ')' */
        size_t k = i + 2;
        Buf b;
        buf_init(&b);
        bool constant = k < nt && t[k].kind == TK_STRING;
        int line = k < nt ? t[k].line : 0;
        while (constant && k < nt && t[k].kind == TK_STRING) {
            if (!t[k].value) {
                constant = false;
                break;
            }
            buf_puts(&b, t[k].value);
            k++;
            if (k < nt && punct_is(&t[k], '+')) {
                k++;
                if (k >= nt || t[k].kind != TK_STRING) constant = false;
                continue;
            }
            break;
        }
        if (constant && k < nt && !(punct_is(&t[k], ',') || punct_is(&t[k], ')'))) constant = false;
        if (down) {
            buf_free(&b);
            continue;
        }
        if (!constant) {
            (*skipped)++;
            buf_free(&b);
            continue;
        }
        JsPiece *pc = ARRAY_PUSH(*out, *n, cap);
        pc->sql = b.data ? buf_steal(&b) : xstrdup("");
        pc->line = line;
    }
    for (size_t i = 0; i < nt; i++)
        free(t[i].value);
    free(t);
}

void jsextract_free(JsPiece *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(p[i].sql);
    free(p);
}
