/*
 * tracer: runs one statement on one server and observes what it does (the
 * trace protocol of DESIGN.md): the locks of the own backend, rewrites
 * (storage changed), sequential scans of the statement's transaction,
 * catalog changes (columns, constraints, indexes, relations), its duration.
 *
 * Statements that cannot run in a transaction block run in autocommit while
 * two observer connections hold them at each of their phases, and holder
 * connections the rest of their target's family one relation each, and
 * read their locks while they wait (capture "phase"; "poll" when they could
 * not be held).
 * A migration's own transaction (BEGIN ... COMMIT in the file, or
 * tracer_tx_begin/tracer_tx_end around a wrapped migration) is traced as that
 * transaction: locks accumulate, each statement is charged with what it adds
 * (held_before marks the rest), a failed statement aborts it (25P02 after).
 * Session settings of a migration apply to the statements after them; the
 * tracer's own queries do not depend on them (details at the top of runner/trace/tracer.c).
 *
 * Conventions (details at the top of runner/trace/locks.c and build.c):
 * - roles of relation locks: table, index (of the table or of its partitions),
 *   toast, sequence, referenced, partition (of the table, at any depth, not
 *   named by the statement), new, transient, other, and catalog (pg_catalog
 *   relations the statement itself locked); other locktypes have the
 *   locktype as role;
 * - the own transaction's virtualxid and transactionid locks are left out;
 * - names: "toast(users)", "toast_index(users)" for toast relations,
 *   "(transient N)" for relations that existed only inside the statement,
 *   "pg_type (gone N)" for objects gone by capture time: stable across
 *   versions, unlike oids;
 * - the tracer keeps the catalog snapshot between statements: only the
 *   tracer may change the database's catalog (tracer_verify_cache checks).
 */
#ifndef LM_TRACER_H
#define LM_TRACER_H

#include "common/util.h"
#include "corpus/corpus.h"
#include "predict/locktable.h"
#include "model/trace.h"

typedef struct TracerOpts {
    int statement_timeout_ms; /* client-side deadline per statement, then cancel */
    int server_major;
    bool target_only; /* measurement only (make bench): the observer path holds
                         the target alone, without the family's holders, as it
                         did before them; not exact */
    bool no_columns;  /* the replay's tracer: its traces give locks, rewrites and
                         scans only, so its snapshot keeps no columns (the
                         catalog changes of its traces leave them out) */
} TracerOpts;

/* The catalogs whose objects a lock's description names (pg_describe_object
 * raises an error for a missing object before 14: each is looked up in its
 * catalog first); their oids are fixed by PostgreSQL (test_tracer checks
 * them on every major). */
typedef struct DescribableCatalog {
    const char *name;
    unsigned oid;
} DescribableCatalog;
extern const DescribableCatalog describable[];
extern const size_t ndescribable;

typedef struct Tracer Tracer;

/* Opens the traced and the observer connections to conninfo (which names the
 * job's database). NULL with err on failure. Free with tracer_free. */
Tracer *tracer_new(const char *conninfo, const TracerOpts *opts, Err *err);
void tracer_free(Tracer *t);

/* Traces st into *out (zeroed first). A statement the server refuses is not a
 * failure of the tracer: out->status = TRACE_ERROR and 0 is returned. -1 with
 * err only when tracing cannot go on (connection lost, server gone). */
int tracer_run(Tracer *t, const Statement *st, Trace *out, Err *err);

/* A migration its tool runs in one transaction (Migration.wrap_tx): BEGIN
 * before its first statement; its statements are then traced as statements of
 * a migration's own transaction (TraceLock.held_before). -1 with err only when
 * tracing cannot go on. */
int tracer_tx_begin(Tracer *t, Err *err);
/* The end of that migration: COMMIT (ROLLBACK when a statement aborted the
 * transaction; nothing when the file ended it itself). last is the trace of
 * the migration's last statement: it gets lock_held_*, and a COMMIT the server
 * refuses (deferred constraint) turns it into an error. */
int tracer_tx_end(Tracer *t, Trace *last, Err *err);

/* Whether the next statement runs inside a transaction the migration opened
 * (or tracer_tx_begin) that already holds locks: its requests are hidden by
 * what the transaction holds. */
bool tracer_tx_holds_locks(const Tracer *t);

/* Whether the tracer may trace another chain in its database: connected, no
 * transaction of a migration left open, its catalog snapshot trusted (see
 * worker.c, packed jobs). */
bool tracer_reusable(const Tracer *t);

/* The names of every object made in the tracer's database after initdb
 * (oid >= 16384: relations, types, schemas, functions, constraints,
 * triggers, rules, policies, operators, collations, statistics, text search
 * and conversion objects), folded to lower case, into *names (owned array
 * of owned strings). Returns how many, -1 with err when they cannot be
 * read. */
long tracer_user_names(Tracer *t, char ***names, Err *err);

/* Check for tests and paranoid runs: reads the whole catalog snapshot and
 * compares it with the one the tracer keeps (updated incrementally from the
 * relations each statement locked). 0 when equal, > 0 when they differ
 * (err says how), -1 with err when the catalog cannot be read. */
int tracer_verify_cache(Tracer *t, Err *err);

#endif
