/*
 * pgtree: a walk over any libpg_query protobuf message (predict/pgtree.h).
 */
#include "predict/pgtree.h"

#include <pg_query.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

typedef struct Parsed {
    char *sql;
    PgQuery__ParseResult *tree; /* NULL: rejected */
    char *error;
    int cursor;
} Parsed;

static Parsed cache[PGTREE_CACHED];
static size_t next_slot; /* the oldest entry, replaced next */

const PgQuery__ParseResult *pgtree_parse(const char *sql, const char **error, int *cursor)
{
    if (!sql) sql = "";
    Parsed *p = NULL;
    for (size_t i = 0; i < PGTREE_CACHED && !p; i++)
        if (cache[i].sql && strcmp(cache[i].sql, sql) == 0) p = &cache[i];
    if (!p) {
        p = &cache[next_slot];
        next_slot = (next_slot + 1) % PGTREE_CACHED;
        free(p->sql);
        free(p->error);
        if (p->tree) pg_query__parse_result__free_unpacked(p->tree, NULL);
        *p = (Parsed){.sql = xstrdup(sql)};
        PgQueryProtobufParseResult r = pg_query_parse_protobuf(sql);
        if (r.error) {
            p->error = xstrdup(r.error->message ? r.error->message : "syntax error");
            p->cursor = r.error->cursorpos;
        } else {
            p->tree = pg_query__parse_result__unpack(NULL, r.parse_tree.len,
                                                     (const uint8_t *)r.parse_tree.data);
            if (!p->tree) p->error = xstrdup("the parse tree could not be read");
        }
        pg_query_free_protobuf_parse_result(r);
    }
    if (error) *error = p->error;
    if (cursor) *cursor = p->cursor;
    return p->tree;
}

void pgtree_walk(const ProtobufCMessage *m, PgTreeVisit visit, void *ctx)
{
    if (!m || !visit(m, ctx)) return;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_MESSAGE) continue;
        const char *base = (const char *)m;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(base + f->quantifier_offset);
            ProtobufCMessage *const *arr = *(ProtobufCMessage *const *const *)(base + f->offset);
            for (size_t k = 0; k < n; k++)
                pgtree_walk(arr[k], visit, ctx);
        } else {
            if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
                *(const uint32_t *)(base + f->quantifier_offset) != f->id)
                continue;
            pgtree_walk(*(ProtobufCMessage *const *)(base + f->offset), visit, ctx);
        }
    }
}
