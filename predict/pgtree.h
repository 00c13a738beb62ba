/*
 * pgtree: what every reader of libpg_query's parse trees (protobuf, typed
 * through pg_query/pg_query.pb-c.h) shares: a walk over any message.
 */
#ifndef LM_PGTREE_H
#define LM_PGTREE_H

#include <pg_query/pg_query.pb-c.h>
#include <stdbool.h>

/* Called on every message of a walk; false: do not descend into it. */
typedef bool (*PgTreeVisit)(const ProtobufCMessage *m, void *ctx);

/* Visits m and, depth first, every message below it (repeated fields in
 * order, only the set member of a oneof). */
void pgtree_walk(const ProtobufCMessage *m, PgTreeVisit visit, void *ctx);

#endif
