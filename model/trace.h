/*
 * trace: what the tracer observed of one statement on one server (the trace
 * protocol of DESIGN.md), as every layer reads it: the worker sends it, the
 * store keeps it, the lock table judges it, the reports show it.
 *
 * Conventions (the tracer, runner/trace/, keeps them):
 * - roles of relation locks: table, index (of the table or of its partitions),
 *   toast, sequence, referenced, partition (of the table, at any depth, not
 *   named by the statement), new, transient, other, and catalog (pg_catalog
 *   relations the statement itself locked); other locktypes have the
 *   locktype as role;
 * - the own transaction's virtualxid and transactionid locks are left out;
 * - names: "toast(users)", "toast_index(users)" for toast relations,
 *   "(transient N)" for relations that existed only inside the statement,
 *   "pg_type (gone N)" for objects gone by capture time: stable across
 *   versions, unlike oids.
 */
#ifndef LM_TRACE_H
#define LM_TRACE_H

#include <stdbool.h>
#include <stddef.h>

#include "model/vocab.h"

/* Where a statement's own lock requests come from. PostgreSQL shows a lock
 * once per transaction and mode: inside a migration's transaction, a
 * statement that asks again for a lock its transaction holds at that mode
 * adds nothing to pg_locks. */
typedef enum TraceReq {
    TRACE_REQ_OWN = 0,        /* it ran in a transaction of its own (or first in its
                                 transaction): the locks it added are its requests */
    TRACE_REQ_REPLAY = 1,     /* its transaction held locks before it: its requests were
                                 measured by replaying the chain on a sibling database,
                                 each statement in a transaction of its own */
    TRACE_REQ_UNMEASURED = 2, /* its transaction held locks before it and the replay could
                                 not measure it: the locks it added are a lower bound */
} TraceReq;

const char *trace_req_name(TraceReq r); /* "own", "replay", "unmeasured" */
/* The TraceReq of a name; TRACE_REQ_UNMEASURED for anything else. */
TraceReq trace_req_parse(const char *name);

typedef struct TraceLock {
    char
        *relation; /* relation name (schema-qualified outside public), or for other
                      locktypes a description ("virtualxid 3/7", "type mood"); owned; may be NULL */
    char *role;    /* table, index, toast, sequence, referenced, partition, new, transient, catalog,
                      other; for non-relation locks: the locktype; static string */
    char *locktype; /* pg_locks.locktype; owned */
    char *mode;     /* "AccessExclusiveLock"; owned */
    bool granted;
    bool held_before; /* already held by an earlier statement of the same transaction */
} TraceLock;

/* One stop of a statement traced outside a transaction block (capture
 * "phase"): the observers made it wait, and what it held and waited for was
 * read while it waited. */
typedef struct TracePhase {
    TraceLock *locks;
    size_t nlocks;         /* granted to the statement at this stop; owned */
    TraceLock waiting_for; /* the lock it waited for (granted false); its strings
                              owned; mode NULL when none */
} TracePhase;

typedef struct TraceScan {
    char *relation; /* owned */
    long long seq_scan;
    long long tup_read;
} TraceScan;

typedef struct TraceChange {
    char *kind;     /* relation_created, relation_dropped, column_added, column_dropped,
                       column_altered, constraint_added, constraint_dropped,
                       constraint_validated, index_created, index_dropped,
                       index_recreated (a new oid on the old storage: no rewrite),
                       index_valid, index_invalid ...; owned */
    char *relation; /* owned */
    char *detail;   /* "email text not null", "users_pkey p valid"; owned; may be NULL */
} TraceChange;

typedef struct Trace {
    int mig;  /* migration index in its chain */
    int stmt; /* statement index in its migration (0-based) */
    TraceStatus status;
    char sqlstate[6]; /* "" when none */
    char *message;    /* error message; owned; NULL when none */
    char capture[12]; /* "tx" (own backend, inside the transaction), "phase" (autocommit: the
                         observers stopped it at each of its phases, exact), "poll"
                         (autocommit, sampled: a lower bound), "none" (run plainly:
                         transaction control, or refused at once in an aborted
                         transaction) */
    double duration_ms;
    TraceLock *locks;
    size_t nlocks;
    char **rewrites;
    size_t nrewrites; /* relation names whose storage changed: same oid,
                         new relfilenode, or created again on a new one;
                         owned */
    TraceScan *scans;
    size_t nscans; /* of relations that existed before the statement */
    TraceChange *changes;
    size_t nchanges;
    TracePhase *phases;
    size_t nphases; /* capture "phase": the stops in order */
    /* The end of a migration's own transaction (its COMMIT or ROLLBACK, or the
     * last statement of a Migration.wrap_tx migration): how long the
     * transaction held its strongest lock on a user relation, from the start
     * of the statement that took it to the end of the transaction. 0: none. */
    double lock_held_ms;
    char *lock_held_relation; /* that lock's relation; owned; NULL when none */
    char *lock_held_mode;     /* and mode; owned; NULL when none */
    char *said;               /* what the server said while the statement ran: its notices and
                                 the error with DETAIL, HINT and CONTEXT, as psql prints them
                                 (stored as evidence "server_messages"); owned; NULL: nothing */
    /* What the statement itself requested. PostgreSQL shows a lock once per
     * transaction and mode: inside a migration's transaction, a statement that
     * asks again for a lock the transaction holds at that mode adds nothing to
     * pg_locks, so the locks above (held_before) cannot tell what it asked
     * for. The worker replays such a chain on a sibling database of the same
     * server, each statement in a transaction of its own, and keeps that
     * statement's locks here. */
    TraceReq req;
    TraceLock *requested;
    size_t nrequested; /* req TRACE_REQ_REPLAY: its own requests
       (held_before false); owned */
    char **req_rewrites;
    size_t nreq_rewrites; /* and what it rewrote there; owned */
    char **req_scanned;
    size_t nreq_scanned; /* and scanned there (seq_scan > 0); owned */
} Trace;

void trace_free(Trace *t);
void tracelock_free(TraceLock *l); /* its strings */
/* The static string of a pg_locks locktype; "other" for anything else. */
const char *trace_locktype_static(const char *locktype);
/* The static string a Trace uses for role (a relation lock's role, or the
 * locktype of another lock); "other" when it is none of them. */
const char *trace_role_static(const char *role);
/* The order roles sort in (table first, other last); one past the last
 * for anything else. */
int trace_role_rank(const char *role);

#endif
