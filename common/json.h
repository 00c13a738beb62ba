/*
 * json: a streaming JSON writer into a Buf. Commas and nesting are tracked,
 * strings are escaped (control characters, quotes, and '<', '>', '&' as
 * \u escapes so that JSON embedded in HTML cannot close a script tag).
 */
#ifndef LM_JSON_H
#define LM_JSON_H

#include "common/util.h"

typedef struct JsonW {
    Buf *out; /* not owned */
    int depth;
    bool first[64]; /* first element at each depth still to come */
    bool after_key; /* a key was written, its value comes next */
    bool pretty;    /* newline + two-space indent */
} JsonW;

void json_init(JsonW *w, Buf *out, bool pretty);
void json_obj_begin(JsonW *w);
void json_obj_end(JsonW *w);
void json_arr_begin(JsonW *w);
void json_arr_end(JsonW *w);
void json_key(JsonW *w, const char *key);
void json_str(JsonW *w, const char *s); /* NULL writes null */
void json_strn(JsonW *w, const char *s, size_t n);
void json_int(JsonW *w, long long v);
void json_num(JsonW *w, double v); /* %.3f-ish, trailing zeros trimmed */
void json_bool(JsonW *w, bool v);
void json_null(JsonW *w);
/* A key and its value in one call. */
void json_kv_str(JsonW *w, const char *key, const char *s);
void json_kv_int(JsonW *w, const char *key, long long v);
void json_kv_num(JsonW *w, const char *key, double v);
void json_kv_bool(JsonW *w, const char *key, bool v);
/* Appends s to b as a JSON string literal with quotes. */
void json_escape(Buf *b, const char *s, size_t n);

#endif
