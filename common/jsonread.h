/*
 * jsonread: a small JSON reader (RFC 8259) into a tree, for the answers of
 * the Docker Engine API and anything else that reads JSON. Objects, arrays,
 * strings with every escape (\uXXXX surrogate pairs to UTF-8), numbers,
 * true/false/null; nesting limited to 256 levels.
 *
 * jsonread_parse() returns a tree that jsonread_free() frees; every pointer
 * into the tree (strings, child nodes) lives as long as the tree.
 */
#ifndef LM_JSONREAD_H
#define LM_JSONREAD_H

#include "common/util.h"

typedef enum JsonType {
    JSONR_NULL,
    JSONR_FALSE,
    JSONR_TRUE,
    JSONR_NUMBER,
    JSONR_STRING,
    JSONR_ARRAY,
    JSONR_OBJECT,
} JsonType;

typedef struct JsonNode {
    JsonType type;
    double num;            /* JSONR_NUMBER */
    char *str;             /* JSONR_STRING: NUL-terminated UTF-8 (may hold NULs: see len) */
    size_t len;            /* JSONR_STRING: bytes; ARRAY/OBJECT: number of children */
    struct JsonNode *kids; /* ARRAY/OBJECT: children, in order */
    char **keys;           /* OBJECT: keys[i] names kids[i] */
} JsonNode;

/* Parses text[0..n); trailing whitespace only after the value. On error NULL
 * and err (code 3: a peer sent it) says where: "invalid JSON at offset 12: ...". */
JsonNode *jsonread_parse(const char *text, size_t n, Err *err);
void jsonread_free(JsonNode *root);

/* The member key of an object (first match), NULL when absent or obj is not an object. */
const JsonNode *jsonread_get(const JsonNode *obj, const char *key);
/* Follows object keys: jsonread_path(root, "State", "Running", NULL). */
const JsonNode *jsonread_path(const JsonNode *node, ...) __attribute__((sentinel));
/* Element i of an array, NULL when out of range or not an array. */
const JsonNode *jsonread_at(const JsonNode *arr, size_t i);
/* The string, or NULL when node is NULL or not a string. */
const char *jsonread_str(const JsonNode *node);
/* The number, or def when node is NULL or not a number. */
double jsonread_num(const JsonNode *node, double def);
/* True only for JSON true. */
bool jsonread_true(const JsonNode *node);

#endif
