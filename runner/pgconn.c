/*
 * pgconn: a libpq connection that never blocks without a deadline.
 */
#include "runner/pgconn.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#define CONNECT_DEFAULT_MS 30000
#define EXEC_DEFAULT_MS 60000
#define CANCEL_GRACE_MS 5000

struct PgConn {
    PGconn *conn;     /* owned, PQfinish */
    bool busy;        /* a query was sent and its results are not all read */
    bool flushing;    /* the query is not fully written to the socket yet */
    bool in_copy_out; /* draining COPY TO STDOUT data */
    bool cancelled;   /* a cancel was sent for the running query */
    bool lost;        /* the connection broke during the running query */
    double sent_at;   /* now_ms() when the query was sent */
    PgReply acc;      /* results of the running query so far */
    Buf said;         /* notices and the error of the running query (PgReply.said) */
};

/* A notice, warning or info the server sent: kept for the running query. */
static void keep_notice(void *arg, const char *msg)
{
    PgConn *c = arg;
    if (c->said.len < (64u << 10)) buf_puts(&c->said, msg);
}

/* libpq messages end with a newline and may have several lines: keep the first. */
static char *first_line(const char *msg)
{
    if (!msg || !*msg) return xstrdup("unknown error");
    size_t n = strcspn(msg, "\n");
    return xstrndup(msg, n);
}

/* Waits until the socket is ready for events or wait_ms passes. 1 ready, 0 timeout, -1 error. */
static int wait_socket(PGconn *conn, short events, double wait_ms)
{
    int fd = PQsocket(conn);
    if (fd < 0) return -1;
    struct pollfd p = {.fd = fd, .events = events};
    int ms = wait_ms <= 0 ? 0 : (int)(wait_ms + 0.999);
    for (;;) {
        int r = poll(&p, 1, ms);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        return r > 0 ? 1 : 0;
    }
}

PgConn *pgconn_connect(const char *conninfo, int timeout_ms, Err *err)
{
    double deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : CONNECT_DEFAULT_MS);
    PGconn *conn = PQconnectStart(conninfo);
    if (!conn) {
        err_set(err, EXIT_ENV, "could not connect to the server: out of memory");
        return NULL;
    }
    if (PQstatus(conn) == CONNECTION_BAD) goto fail;
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    for (;;) {
        if (st == PGRES_POLLING_OK) break;
        if (st == PGRES_POLLING_FAILED) goto fail;
        double left = deadline - now_ms();
        if (left <= 0) {
            PQfinish(conn);
            err_set(err, EXIT_ENV, "could not connect to the server: timed out after %d ms",
                    timeout_ms > 0 ? timeout_ms : CONNECT_DEFAULT_MS);
            return NULL;
        }
        int r = wait_socket(conn, st == PGRES_POLLING_READING ? POLLIN : POLLOUT, left);
        if (r < 0) goto fail;
        if (r == 0) continue;
        st = PQconnectPoll(conn);
    }
    if (PQsetnonblocking(conn, 1) != 0) goto fail;
    PgConn *c = xcalloc(1, sizeof(*c));
    c->conn = conn;
    buf_init(&c->said);
    PQsetNoticeProcessor(conn, keep_notice, c);
    return c;

fail:;
    char *m = first_line(PQerrorMessage(conn));
    err_set(err, EXIT_ENV, "could not connect to the server: %s", m);
    free(m);
    PQfinish(conn);
    return NULL;
}

void pgconn_close(PgConn *c)
{
    if (!c) return;
    pgreply_clear(&c->acc);
    PQfinish(c->conn);
    buf_free(&c->said);
    free(c);
}

PGconn *pgconn_raw(PgConn *c)
{
    return c->conn;
}

int pgconn_pid(const PgConn *c)
{
    return PQbackendPID(c->conn);
}

int pgconn_server_version(const PgConn *c)
{
    return PQserverVersion(c->conn);
}

bool pgconn_ok(const PgConn *c)
{
    return c && !c->lost && PQstatus(c->conn) == CONNECTION_OK;
}

void pgreply_clear(PgReply *r)
{
    for (size_t i = 0; i < r->nres; i++)
        PQclear(r->res[i]);
    free(r->res);
    free(r->message);
    free(r->said);
    memset(r, 0, sizeof(*r));
}

const char *pgreply_value(const PgReply *r, size_t i, int row, int col)
{
    if (i >= r->nres) return NULL;
    PGresult *res = r->res[i];
    if (row < 0 || row >= PQntuples(res) || col < 0 || col >= PQnfields(res)) return NULL;
    if (PQgetisnull(res, row, col)) return NULL;
    return PQgetvalue(res, row, col);
}

static void mark_lost(PgConn *c, const char *why)
{
    c->lost = true;
    if (c->acc.status != PG_LOST) {
        c->acc.status = PG_LOST;
        free(c->acc.message);
        c->acc.message = first_line(why);
    }
}

static void keep_result(PgConn *c, PGresult *r)
{
    PgReply *a = &c->acc;
    ExecStatusType st = PQresultStatus(r);
    if ((st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE) && a->status == PG_OK) {
        const char *code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        const char *prim = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
        buf_puts(&c->said, PQresultErrorMessage(r));
        if (code) {
            snprintf(a->sqlstate, sizeof(a->sqlstate), "%s", code);
            a->status = PG_REFUSED;
            a->message = first_line(prim ? prim : PQresultErrorMessage(r));
        } else {
            /* no SQLSTATE: libpq's own error, the connection is in trouble */
            a->status = PG_REFUSED;
            a->message = first_line(PQresultErrorMessage(r));
        }
    }
    grow_array((void **)&a->res, sizeof(*a->res), &a->cap, a->nres + 1);
    a->res[a->nres++] = r;
}

/* Moves what arrived into c->acc. 1 when the query is complete, 0 when more is
 * to come, -1 when the connection is lost. */
static int pump(PgConn *c)
{
    PGconn *conn = c->conn;
    if (c->flushing) {
        int f = PQflush(conn);
        if (f < 0) {
            mark_lost(c, PQerrorMessage(conn));
            return -1;
        }
        c->flushing = f == 1;
    }
    if (!PQconsumeInput(conn)) {
        mark_lost(c, PQerrorMessage(conn));
        return -1;
    }
    for (;;) {
        if (c->in_copy_out) {
            char *buf = NULL;
            int n;
            while ((n = PQgetCopyData(conn, &buf, 1)) > 0)
                PQfreemem(buf);
            if (n == 0) return 0;
            c->in_copy_out = false; /* -1: done, -2: error; the result follows */
        }
        if (PQisBusy(conn)) return 0;
        PGresult *r = PQgetResult(conn);
        if (!r) return 1;
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_COPY_IN) {
            PQclear(r);
            if (PQputCopyEnd(conn, "lockmatrix does not feed COPY FROM STDIN") < 0) {
                mark_lost(c, PQerrorMessage(conn));
                return -1;
            }
            c->flushing = true;
            continue;
        }
        if (st == PGRES_COPY_OUT) {
            PQclear(r);
            c->in_copy_out = true;
            continue;
        }
        keep_result(c, r);
        if (PQstatus(conn) == CONNECTION_BAD) {
            mark_lost(c, PQerrorMessage(conn));
            return -1;
        }
    }
}

int pgconn_send(PgConn *c, const char *sql, Err *err)
{
    if (c->busy)
        return err_set(err, EXIT_ENV,
                       "internal error: a query is still running on this connection");
    pgreply_clear(&c->acc);
    buf_reset(&c->said);
    c->cancelled = false;
    c->in_copy_out = false;
    c->sent_at = now_ms();
    if (!PQsendQuery(c->conn, sql)) {
        char *m = first_line(PQerrorMessage(c->conn));
        c->lost = PQstatus(c->conn) == CONNECTION_BAD;
        err_set(err, EXIT_ENV, "could not send the query: %s", m);
        free(m);
        return -1;
    }
    c->busy = true;
    c->flushing = true;
    return 0;
}

/* The query is complete (or lost): hand the reply over. */
static void finish(PgConn *c, PgReply *out)
{
    PgReply *a = &c->acc;
    a->ms = now_ms() - c->sent_at;
    if (a->status == PG_REFUSED && c->cancelled && strcmp(a->sqlstate, "57014") == 0)
        a->status = PG_TIMEOUT;
    if (a->status != PG_LOST && PQstatus(c->conn) == CONNECTION_BAD)
        mark_lost(c, PQerrorMessage(c->conn));
    if (c->said.len) {
        free(a->said);
        a->said = xstrdup(c->said.data);
        buf_reset(&c->said);
    }
    *out = *a;
    memset(a, 0, sizeof(*a));
    c->busy = false;
}

int pgconn_poll(PgConn *c, int wait_ms, PgReply *out)
{
    if (!c->busy) {
        memset(out, 0, sizeof(*out));
        out->status = c->lost ? PG_LOST : PG_OK;
        return 1;
    }
    double deadline = now_ms() + (wait_ms > 0 ? wait_ms : 0);
    for (;;) {
        int r = pump(c);
        if (r != 0) {
            finish(c, out);
            return 1;
        }
        double left = deadline - now_ms();
        if (left <= 0) return 0;
        short ev = POLLIN | (c->flushing ? POLLOUT : 0);
        if (wait_socket(c->conn, ev, left) < 0) {
            mark_lost(c, "could not wait for the server's socket");
            finish(c, out);
            return 1;
        }
    }
}

int pgconn_wait_any(PgConn *const *cs, int n, int wait_ms)
{
    struct pollfd p[8];
    if (n < 1 || n > 8) return -1;
    for (int i = 0; i < n; i++) {
        if (cs[i]->flushing) {
            int f = PQflush(cs[i]->conn);
            if (f < 0) return 1; /* pgconn_poll tells what happened */
            cs[i]->flushing = f == 1;
        }
        p[i].fd = PQsocket(cs[i]->conn);
        p[i].events = POLLIN | (cs[i]->flushing ? POLLOUT : 0);
        p[i].revents = 0;
        /* input libpq already read from the socket counts as ready */
        if (cs[i]->busy && !PQisBusy(cs[i]->conn)) return 1;
    }
    for (;;) {
        int r = poll(p, (nfds_t)n, wait_ms < 0 ? 0 : wait_ms);
        if (r < 0 && errno == EINTR) continue;
        return r;
    }
}

int pgconn_cancel(PgConn *c)
{
    char buf[256];
    PGcancel *cn = PQgetCancel(c->conn);
    if (!cn) return -1;
    int ok = PQcancel(cn, buf, sizeof(buf));
    PQfreeCancel(cn);
    c->cancelled = true;
    return ok ? 0 : -1;
}

PgStatus pgconn_wait(PgConn *c, double deadline_ms, PgReply *out)
{
    for (;;) {
        double left = deadline_ms - now_ms();
        if (left < 0) left = 0;
        if (pgconn_poll(c, (int)(left + 0.999), out)) return out->status;
        if (now_ms() < deadline_ms) continue;
        if (!c->cancelled) {
            pgconn_cancel(c);
            deadline_ms = now_ms() + CANCEL_GRACE_MS;
            continue;
        }
        /* the server answers neither the query nor the cancel */
        mark_lost(c, "the server did not answer a cancel request");
        finish(c, out);
        return out->status;
    }
}

PgStatus pgconn_exec(PgConn *c, const char *sql, int timeout_ms, PgReply *out)
{
    Err err = {0};
    memset(out, 0, sizeof(*out));
    if (pgconn_send(c, sql, &err) < 0) {
        out->status = PG_LOST;
        out->message = xstrdup(err.msg);
        return PG_LOST;
    }
    return pgconn_wait(c, now_ms() + (timeout_ms > 0 ? timeout_ms : EXEC_DEFAULT_MS), out);
}

int pgconn_query_value(const char *conninfo, const char *sql, int timeout_ms, char **value,
                       Err *err)
{
    int budget = timeout_ms > 0 ? timeout_ms : CONNECT_DEFAULT_MS;
    double deadline = now_ms() + budget;
    *value = NULL;
    PgConn *c = pgconn_connect(conninfo, budget, err);
    if (!c) return -1;
    double left = deadline - now_ms();
    PgReply r;
    PgStatus st = pgconn_exec(c, sql, left >= 1 ? (int)left : 1, &r);
    int rc = -1;
    if (st == PG_OK) {
        const char *v = NULL;
        for (size_t i = 0; i < r.nres && !v; i++)
            v = pgreply_value(&r, i, 0, 0);
        *value = v ? xstrdup(v) : NULL;
        rc = 0;
    } else if (st == PG_TIMEOUT) {
        err_set(err, EXIT_ENV, "\"%s\" timed out after %d ms", sql, budget);
    } else {
        err_set(err, EXIT_ENV, "%s", r.message ? r.message : "the statement failed");
    }
    pgreply_clear(&r);
    pgconn_close(c);
    return rc;
}

/* Connections pgconn_create_databases opens at once: well below a server's
 * max_connections. */
#define CREATE_DB_BATCH 15

int pgconn_create_databases(const char *conninfo, int n, int timeout_ms, int connect_ms, Err *err)
{
    PgConn *conns[CREATE_DB_BATCH + 1] = {0};
    char *reason = NULL;
    char *ci = xasprintf("%s dbname=postgres application_name=lockmatrix "
                         "options='-c statement_timeout=%d'",
                         conninfo, timeout_ms);
    for (int first = 1; first <= n && !reason; first += CREATE_DB_BATCH) {
        int opened = 0;
        for (int k = 0; k < CREATE_DB_BATCH && first + k <= n && !reason; k++) {
            Err cerr = {0};
            conns[k] = pgconn_connect(ci, connect_ms, &cerr);
            if (!conns[k]) {
                reason = xasprintf("could not connect to create a job database: %s", cerr.msg);
                break;
            }
            opened = k + 1;
            /* from 15 on, the default strategy writes every page to the WAL */
            char sql[128];
            snprintf(sql, sizeof(sql), "CREATE DATABASE lm_%d TEMPLATE template0%s", first + k,
                     pgconn_server_version(conns[k]) >= 150000 ? " STRATEGY FILE_COPY" : "");
            if (pgconn_send(conns[k], sql, &cerr) != 0)
                reason = xasprintf("could not create a job database: %s", cerr.msg);
        }
        double deadline = now_ms() + timeout_ms + connect_ms;
        for (int k = 0; k < opened; k++) {
            PgReply r;
            PgStatus st = pgconn_wait(conns[k], deadline, &r);
            if (st != PG_OK && !reason)
                reason =
                    xasprintf("could not create a job database: %s", st == PG_TIMEOUT ? "timed out"
                                                                     : r.message      ? r.message
                                                                                      : "failed");
            pgreply_clear(&r);
            pgconn_close(conns[k]);
            conns[k] = NULL;
        }
    }
    free(ci);
    int rc = reason ? err_set(err, EXIT_ENV, "%s", reason) : 0;
    free(reason);
    return rc;
}
