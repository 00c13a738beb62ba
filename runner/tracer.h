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
 * tracer's own queries do not depend on them (details at the top of tracer.c).
 *
 * Conventions (details at the top of tracer.c):
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
#include "matrix/corpus.h"
#include "matrix/locktable.h"

typedef enum TraceStatus {
    TRACE_OK = 0,
    TRACE_ERROR = 1,     /* the server refused it: sqlstate + message */
    TRACE_SKIPPED = 2,   /* not run (the chain stopped, the file had an error) */
    TRACE_TIMEOUT = 3,   /* cancelled after the statement timeout */
} TraceStatus;

const char *trace_status_name(TraceStatus s); /* "ok", "error", "skipped", "timeout" */


typedef struct TraceLock {
    char *relation;   /* relation name (schema-qualified outside public), or for other
                         locktypes a description ("virtualxid 3/7", "type mood"); owned; may be NULL */
    char *role;       /* table, index, toast, sequence, referenced, partition, new, transient, catalog,
                         other; for non-relation locks: the locktype; static string */
    char *locktype;   /* pg_locks.locktype; owned */
    char *mode;       /* "AccessExclusiveLock"; owned */
    bool granted;
    bool held_before; /* already held by an earlier statement of the same transaction */
} TraceLock;

/* One stop of a statement traced outside a transaction block (capture
 * "phase"): the observers made it wait, and what it held and waited for was
 * read while it waited. */
typedef struct TracePhase {
    TraceLock *locks; size_t nlocks; /* granted to the statement at this stop; owned */
    TraceLock waiting_for;           /* the lock it waited for (granted false); its strings
                                        owned; mode NULL when none */
} TracePhase;

typedef struct TraceScan {
    char *relation;   /* owned */
    long long seq_scan;
    long long tup_read;
} TraceScan;

typedef struct TraceChange {
    char *kind;       /* relation_created, relation_dropped, column_added, column_dropped,
                         column_altered, constraint_added, constraint_dropped,
                         constraint_validated, index_created, index_dropped,
                         index_recreated (a new oid on the old storage: no rewrite),
                         index_valid, index_invalid ...; owned */
    char *relation;   /* owned */
    char *detail;     /* "email text not null", "users_pkey p valid"; owned; may be NULL */
} TraceChange;

typedef struct Trace {
    int mig;              /* migration index in its chain */
    int stmt;             /* statement index in its migration (0-based) */
    TraceStatus status;
    char sqlstate[6];     /* "" when none */
    char *message;        /* error message; owned; NULL when none */
    char capture[12];     /* "tx" (own backend, inside the transaction), "phase" (autocommit: the
                             observers stopped it at each of its phases, exact), "poll"
                             (autocommit, sampled: a lower bound), "none" (run plainly:
                             transaction control, or refused at once in an aborted
                             transaction) */
    double duration_ms;
    TraceLock *locks;   size_t nlocks;
    char **rewrites;    size_t nrewrites;  /* relation names whose storage changed: same oid,
                                              new relfilenode, or created again on a new one;
                                              owned */
    TraceScan *scans;   size_t nscans;     /* of relations that existed before the statement */
    TraceChange *changes; size_t nchanges;
    TracePhase *phases; size_t nphases;   /* capture "phase": the stops in order */
    /* The end of a migration's own transaction (its COMMIT or ROLLBACK, or the
     * last statement of a Migration.wrap_tx migration): how long the
     * transaction held its strongest lock on a user relation, from the start
     * of the statement that took it to the end of the transaction. 0: none. */
    double lock_held_ms;
    char *lock_held_relation; /* that lock's relation; owned; NULL when none */
    char *lock_held_mode;     /* and mode; owned; NULL when none */
    char *said;           /* what the server said while the statement ran: its notices and
                             the error with DETAIL, HINT and CONTEXT, as psql prints them
                             (stored as evidence "server_messages"); owned; NULL: nothing */
    /* What the statement itself requested. PostgreSQL shows a lock once per
     * transaction and mode: inside a migration's transaction, a statement that
     * asks again for a lock the transaction holds at that mode adds nothing to
     * pg_locks, so the locks above (held_before) cannot tell what it asked
     * for. The worker replays such a chain on a sibling database of the same
     * server, each statement in a transaction of its own, and keeps that
     * statement's locks here. */
    LtReq req;
    TraceLock *requested; size_t nrequested; /* req LT_REQ_REPLAY: its own requests
                             (held_before false); owned */
    char **req_rewrites; size_t nreq_rewrites; /* and what it rewrote there; owned */
    char **req_scanned; size_t nreq_scanned;   /* and scanned there (seq_scan > 0); owned */
} Trace;

void trace_free(Trace *t);
/* The static string a Trace uses for role (a relation lock's role, or the
 * locktype of another lock); "other" when it is none of them. */
const char *trace_role_static(const char *role);

typedef struct TracerOpts {
    int statement_timeout_ms;  /* client-side deadline per statement, then cancel */
    int server_major;
    bool target_only;          /* measurement only (make bench): the observer path holds
                                  the target alone, without the family's holders, as it
                                  did before them; not exact */
} TracerOpts;

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

/* Check for tests and paranoid runs: reads the whole catalog snapshot and
 * compares it with the one the tracer keeps (updated incrementally from the
 * relations each statement locked). 0 when equal, > 0 when they differ
 * (err says how), -1 with err when the catalog cannot be read. */
int tracer_verify_cache(Tracer *t, Err *err);

#endif
