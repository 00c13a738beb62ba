/*
 * pgtree: what every reader of libpg_query's parse trees (protobuf, typed
 * through pg_query/pg_query.pb-c.h) shares: a walk over any message.
 */
#ifndef LM_PGTREE_H
#define LM_PGTREE_H

#include <pg_query/pg_query.pb-c.h>
#include <stdbool.h>

/* The parse tree of sql (libpg_query's, unpacked), NULL when the parser
 * rejects it: then *error gets its message and *cursor its 1-based offset
 * (0 when unknown), when not NULL. A statement is read in turn by classify,
 * the schema model, the lock table and the relation predictor: the last
 * PGTREE_CACHED statements' trees are kept, so each is parsed once. The tree
 * and the message belong to the cache: valid until PGTREE_CACHED other
 * statements have been parsed; never free them. */
#define PGTREE_CACHED 4
const PgQuery__ParseResult *pgtree_parse(const char *sql, const char **error, int *cursor);

/* Called on every message of a walk; false: do not descend into it. */
typedef bool (*PgTreeVisit)(const ProtobufCMessage *m, void *ctx);

/* Visits m and, depth first, every message below it (repeated fields in
 * order, only the set member of a oneof). */
void pgtree_walk(const ProtobufCMessage *m, PgTreeVisit visit, void *ctx);

#endif
