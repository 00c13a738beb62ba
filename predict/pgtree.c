/*
 * pgtree: a walk over any libpg_query protobuf message (predict/pgtree.h).
 */
#include "predict/pgtree.h"

#include <stdint.h>

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
