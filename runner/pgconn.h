/*
 * pgconn: a libpq connection that never blocks without a deadline.
 *
 * Connecting polls PQconnectPoll on the socket until a deadline. A query
 * string (one or several statements) is sent with PQsendQuery on a
 * non-blocking connection; its results are read with poll() on PQsocket,
 * PQconsumeInput and PQisBusy until the deadline, then the statement is
 * cancelled (PQcancel) and the results are read on, for a short grace period,
 * until PQgetResult returns NULL. Every result is always drained.
 *
 * A reply tells apart "the server refused a statement" (PG_REFUSED, with
 * SQLSTATE and primary message), "the deadline passed" (PG_TIMEOUT) and "the
 * connection is gone" (PG_LOST: PQstatus is CONNECTION_BAD, or the server
 * did not answer even a cancel).
 *
 * pgconn_send and pgconn_poll let a caller run a query on one connection
 * while it works on another (the tracer's observer).
 */
#ifndef LM_PGCONN_H
#define LM_PGCONN_H

#include <libpq-fe.h>

#include "common/util.h"

typedef struct PgConn PgConn;

typedef enum PgStatus {
    PG_OK = 0,      /* every statement of the string succeeded */
    PG_REFUSED = 1, /* the server refused a statement: sqlstate and message are set */
    PG_TIMEOUT = 2, /* the deadline passed and the statement was cancelled */
    PG_LOST = 3,    /* the connection is gone (message says why) */
} PgStatus;

typedef struct PgReply {
    PgStatus status;
    PGresult **res; /* every result of the string, in order, including a failed one;
                       owned, freed by pgreply_clear */
    size_t nres;
    size_t cap;
    char sqlstate[6]; /* of the first error ("" when none; "57014" for a cancel) */
    char *message;    /* primary message of the first error, or why the connection
                         was lost; owned; NULL when none */
    char *said;       /* what the server said: every notice and the first error in full
                         (DETAIL, HINT, CONTEXT lines), as psql prints them; owned;
                         NULL when nothing */
    double ms;        /* from send to the last result */
} PgReply;

/* Connects within timeout_ms (<= 0: 30 s). NULL with err (code 3) on failure.
 * Free with pgconn_close. */
PgConn *pgconn_connect(const char *conninfo, int timeout_ms, Err *err);
void pgconn_close(PgConn *c);

PGconn *pgconn_raw(PgConn *c);              /* the libpq handle; still owned by c */
int pgconn_pid(const PgConn *c);            /* backend pid */
int pgconn_server_version(const PgConn *c); /* 170010, 100023 ... */
bool pgconn_ok(const PgConn *c);            /* PQstatus is CONNECTION_OK */

/* Runs sql (one or several statements) and waits at most timeout_ms
 * (<= 0: 60 s) before it cancels; fills *out (cleared first) and returns
 * out->status. Free out with pgreply_clear. */
PgStatus pgconn_exec(PgConn *c, const char *sql, int timeout_ms, PgReply *out);

/* Sends sql without waiting for it. 0, or -1 when the connection is lost
 * (the reason in out->message of the next pgconn_poll, and in err). */
int pgconn_send(PgConn *c, const char *sql, Err *err);

/* Reads what has arrived for the query sent by pgconn_send, waiting at most
 * wait_ms (0: do not wait). Returns 1 when the query is complete (*out filled,
 * its ms measured from the send), 0 while it still runs. */
int pgconn_poll(PgConn *c, int wait_ms, PgReply *out);

/* Asks the server to cancel the running query (PQcancel, a short blocking
 * connect to the server's socket). The results still have to be read with
 * pgconn_poll. 0, or -1 when the request could not be sent. */
int pgconn_cancel(PgConn *c);

/* Waits for the query sent by pgconn_send until deadline_ms (a now_ms()
 * value), then cancels it and reads on for a short grace period. Fills *out. */
PgStatus pgconn_wait(PgConn *c, double deadline_ms, PgReply *out);

/* Waits until one of the n connections has something to read (or still has
 * a query to write), at most wait_ms. The number of such connections, 0 when
 * the time passed, -1 on error. Read with pgconn_poll(c, 0, ...). */
int pgconn_wait_any(PgConn *const *cs, int n, int wait_ms);

/* A statement on a connection of its own, for a server that may not be up
 * yet: connects, runs sql and reads the first column of its first row into
 * *value (malloc'd; NULL when it returned no row or NULL), all within
 * timeout_ms (<= 0: 30 s) in total, then closes. 0, or -1 with err (code 3)
 * saying why: "could not connect to the server: ...", the server's message,
 * or "\"<sql>\" timed out after <n> ms". */
int pgconn_query_value(const char *conninfo, const char *sql, int timeout_ms, char **value,
                       Err *err);

/* CREATE DATABASE lm_1 .. lm_n TEMPLATE template0 on the server of conninfo
 * (no dbname), at once (in batches of 15), on one connection each: CREATE DATABASE waits for
 * checkpoints (before 12 in 100 ms naps), which databases created together
 * share. Each within timeout_ms on the server (connecting: connect_ms). 0, or
 * -1 with err (code 3) saying why ("could not create a job database: ..."). */
int pgconn_create_databases(const char *conninfo, int n, int timeout_ms, int connect_ms, Err *err);

void pgreply_clear(PgReply *r);

/* Text of column col of row row of result i (NULL for SQL NULL or out of range). */
const char *pgreply_value(const PgReply *r, size_t i, int row, int col);

#endif
