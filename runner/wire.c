/*
 * wire: framed records over a socketpair.
 */
#include "runner/wire.h"

#include "predict/locktable.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- writing ---------------------------------------------------------- */

void wire_begin(Buf *b, WireType type)
{
    uint32_t len = 0;
    buf_reset(b);
    buf_append(b, &len, sizeof(len));
    wire_put_u8(b, (unsigned)type);
}

void wire_put_u8(Buf *b, unsigned v)
{
    unsigned char c = (unsigned char)v;
    buf_append(b, &c, 1);
}

void wire_put_i64(Buf *b, long long v)
{
    int64_t x = v;
    buf_append(b, &x, sizeof(x));
}

void wire_put_f64(Buf *b, double v)
{
    buf_append(b, &v, sizeof(v));
}

void wire_put_str(Buf *b, const char *s)
{
    if (!s) {
        wire_put_i64(b, -1);
        return;
    }
    size_t n = strlen(s);
    wire_put_i64(b, (long long)n);
    buf_append(b, s, n);
}

static void put_lock(Buf *b, const TraceLock *l)
{
    wire_put_str(b, l->relation);
    wire_put_str(b, l->role);
    wire_put_str(b, l->locktype);
    wire_put_str(b, l->mode);
    wire_put_u8(b, (l->granted ? 1u : 0u) | (l->held_before ? 2u : 0u));
}

void wire_put_trace(Buf *b, const Trace *t)
{
    wire_put_i64(b, t->mig);
    wire_put_i64(b, t->stmt);
    wire_put_u8(b, (unsigned)t->status);
    wire_put_str(b, t->sqlstate);
    wire_put_str(b, t->message);
    wire_put_str(b, t->said);
    wire_put_str(b, t->capture);
    wire_put_f64(b, t->duration_ms);
    wire_put_i64(b, (long long)t->nlocks);
    for (size_t i = 0; i < t->nlocks; i++)
        put_lock(b, &t->locks[i]);
    wire_put_i64(b, (long long)t->nrewrites);
    for (size_t i = 0; i < t->nrewrites; i++)
        wire_put_str(b, t->rewrites[i]);
    wire_put_i64(b, (long long)t->nscans);
    for (size_t i = 0; i < t->nscans; i++) {
        wire_put_str(b, t->scans[i].relation);
        wire_put_i64(b, t->scans[i].seq_scan);
        wire_put_i64(b, t->scans[i].tup_read);
    }
    wire_put_i64(b, (long long)t->nchanges);
    for (size_t i = 0; i < t->nchanges; i++) {
        wire_put_str(b, t->changes[i].kind);
        wire_put_str(b, t->changes[i].relation);
        wire_put_str(b, t->changes[i].detail);
    }
    wire_put_i64(b, (long long)t->nphases);
    for (size_t i = 0; i < t->nphases; i++) {
        const TracePhase *p = &t->phases[i];
        wire_put_i64(b, (long long)p->nlocks);
        for (size_t k = 0; k < p->nlocks; k++)
            put_lock(b, &p->locks[k]);
        put_lock(b, &p->waiting_for);
    }
    wire_put_f64(b, t->lock_held_ms);
    wire_put_str(b, t->lock_held_relation);
    wire_put_str(b, t->lock_held_mode);
    wire_put_u8(b, (unsigned)t->req);
    wire_put_i64(b, (long long)t->nrequested);
    for (size_t i = 0; i < t->nrequested; i++)
        put_lock(b, &t->requested[i]);
    wire_put_i64(b, (long long)t->nreq_rewrites);
    for (size_t i = 0; i < t->nreq_rewrites; i++)
        wire_put_str(b, t->req_rewrites[i]);
    wire_put_i64(b, (long long)t->nreq_scanned);
    for (size_t i = 0; i < t->nreq_scanned; i++)
        wire_put_str(b, t->req_scanned[i]);
}

int wire_send(int fd, Buf *b, Err *err)
{
    uint32_t len = (uint32_t)(b->len - sizeof(uint32_t));
    memcpy(b->data, &len, sizeof(len));
    size_t off = 0;
    while (off < b->len) {
        ssize_t n = write(fd, b->data + off, b->len - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                struct pollfd pfd = {.fd = fd, .events = POLLOUT};
                poll(&pfd, 1, 1000);
                continue;
            }
            return err_set(err, EXIT_ENV, "could not send to the scheduler: %s", strerror(errno));
        }
        off += (size_t)n;
    }
    return 0;
}

/* ---- reading ---------------------------------------------------------- */

void wire_reader_init(WireReader *r)
{
    buf_init(&r->in);
    r->start = 0;
}

void wire_reader_free(WireReader *r)
{
    buf_free(&r->in);
    r->start = 0;
}

long wire_fill(WireReader *r, int fd)
{
    /* Drop what was consumed before reading more. */
    if (r->start > 0) {
        memmove(r->in.data, r->in.data + r->start, r->in.len - r->start);
        r->in.len -= r->start;
        r->start = 0;
    }
    char chunk[65536];
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n > 0) buf_append(&r->in, chunk, (size_t)n);
    return (long)n;
}

int wire_next(WireReader *r, const char **p, size_t *n)
{
    size_t avail = r->in.len - r->start;
    uint32_t len;
    if (avail < sizeof(len)) return 0;
    memcpy(&len, r->in.data + r->start, sizeof(len));
    if (len == 0 || len > WIRE_MAX_RECORD) return -1;
    if (avail < sizeof(len) + len) return 0;
    *p = r->in.data + r->start + sizeof(len);
    *n = len;
    r->start += sizeof(len) + len;
    return 1;
}

int wire_recv(WireReader *r, int fd, int timeout_ms, const char **p, size_t *n, Err *err)
{
    double deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : -1;
    for (;;) {
        int rc = wire_next(r, p, n);
        if (rc == 1) return 1;
        if (rc < 0) return err_set(err, EXIT_ENV, "corrupt record from the scheduler");
        int wait = -1;
        if (deadline >= 0) {
            wait = (int)(deadline - now_ms());
            if (wait <= 0) return err_set(err, EXIT_ENV, "timed out waiting for the scheduler");
        }
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int pr = poll(&pfd, 1, wait);
        if (pr < 0 && errno != EINTR) return err_set(err, EXIT_ENV, "poll: %s", strerror(errno));
        if (pr <= 0) continue;
        long got = wire_fill(r, fd);
        if (got == 0) return 0;
        if (got < 0 && errno != EINTR && errno != EAGAIN)
            return err_set(err, EXIT_ENV, "could not read from the scheduler: %s", strerror(errno));
    }
}

void wire_cursor(WireCursor *c, const char *p, size_t n)
{
    c->p = p;
    c->left = n;
    c->bad = false;
    if (n > 0) {
        c->p++;
        c->left--;
    }
}

WireType wire_type(const char *p, size_t n)
{
    return n > 0 ? (WireType)(unsigned char)p[0] : (WireType)0;
}

static bool take(WireCursor *c, void *out, size_t n)
{
    if (c->bad || c->left < n) {
        c->bad = true;
        memset(out, 0, n);
        return false;
    }
    memcpy(out, c->p, n);
    c->p += n;
    c->left -= n;
    return true;
}

unsigned wire_get_u8(WireCursor *c)
{
    unsigned char v;
    take(c, &v, 1);
    return v;
}

long long wire_get_i64(WireCursor *c)
{
    int64_t v;
    take(c, &v, sizeof(v));
    return v;
}

double wire_get_f64(WireCursor *c)
{
    double v;
    take(c, &v, sizeof(v));
    return v;
}

char *wire_get_str(WireCursor *c)
{
    long long n = wire_get_i64(c);
    if (n < 0 || c->bad) return NULL;
    if ((unsigned long long)n > c->left) {
        c->bad = true;
        return NULL;
    }
    char *s = xstrndup(c->p, (size_t)n);
    c->p += n;
    c->left -= (size_t)n;
    return s;
}

/* A count read from the wire, bounded by what the record can still hold. */
static size_t get_count(WireCursor *c, size_t min_elem)
{
    long long n = wire_get_i64(c);
    if (n < 0 || (unsigned long long)n * min_elem > c->left) {
        c->bad = true;
        return 0;
    }
    return (size_t)n;
}

static void copy_fixed(char *dst, size_t cap, char *s)
{
    snprintf(dst, cap, "%s", s ? s : "");
    free(s);
}

static char *static_role(char *s)
{
    /* Roles are static strings in a Trace; map the received one back. */
    const char *r = trace_role_static(s);
    free(s);
    return (char *)r;
}

static void get_lock(WireCursor *c, TraceLock *l)
{
    l->relation = wire_get_str(c);
    l->role = static_role(wire_get_str(c));
    l->locktype = wire_get_str(c);
    l->mode = wire_get_str(c);
    unsigned f = wire_get_u8(c);
    l->granted = f & 1u;
    l->held_before = (f & 2u) != 0;
}

void wire_get_trace(WireCursor *c, Trace *t)
{
    memset(t, 0, sizeof(*t));
    t->mig = (int)wire_get_i64(c);
    t->stmt = (int)wire_get_i64(c);
    t->status = (TraceStatus)wire_get_u8(c);
    copy_fixed(t->sqlstate, sizeof(t->sqlstate), wire_get_str(c));
    t->message = wire_get_str(c);
    t->said = wire_get_str(c);
    copy_fixed(t->capture, sizeof(t->capture), wire_get_str(c));
    t->duration_ms = wire_get_f64(c);
    t->nlocks = get_count(c, 8);
    t->locks = xcalloc(t->nlocks, sizeof(TraceLock));
    for (size_t i = 0; i < t->nlocks; i++)
        get_lock(c, &t->locks[i]);
    t->nrewrites = get_count(c, 8);
    t->rewrites = xcalloc(t->nrewrites, sizeof(char *));
    for (size_t i = 0; i < t->nrewrites; i++)
        t->rewrites[i] = wire_get_str(c);
    t->nscans = get_count(c, 8);
    t->scans = xcalloc(t->nscans, sizeof(TraceScan));
    for (size_t i = 0; i < t->nscans; i++) {
        t->scans[i].relation = wire_get_str(c);
        t->scans[i].seq_scan = wire_get_i64(c);
        t->scans[i].tup_read = wire_get_i64(c);
    }
    t->nchanges = get_count(c, 8);
    t->changes = xcalloc(t->nchanges, sizeof(TraceChange));
    for (size_t i = 0; i < t->nchanges; i++) {
        t->changes[i].kind = wire_get_str(c);
        t->changes[i].relation = wire_get_str(c);
        t->changes[i].detail = wire_get_str(c);
    }
    t->nphases = get_count(c, 16);
    t->phases = xcalloc(t->nphases, sizeof(TracePhase));
    for (size_t i = 0; i < t->nphases; i++) {
        TracePhase *p = &t->phases[i];
        p->nlocks = get_count(c, 8);
        p->locks = xcalloc(p->nlocks, sizeof(TraceLock));
        for (size_t k = 0; k < p->nlocks; k++)
            get_lock(c, &p->locks[k]);
        get_lock(c, &p->waiting_for);
    }
    t->lock_held_ms = wire_get_f64(c);
    t->lock_held_relation = wire_get_str(c);
    t->lock_held_mode = wire_get_str(c);
    unsigned req = wire_get_u8(c);
    t->req = req <= TRACE_REQ_UNMEASURED ? (TraceReq)req : TRACE_REQ_UNMEASURED;
    t->nrequested = get_count(c, 8);
    t->requested = xcalloc(t->nrequested, sizeof(TraceLock));
    for (size_t i = 0; i < t->nrequested; i++)
        get_lock(c, &t->requested[i]);
    t->nreq_rewrites = get_count(c, 8);
    t->req_rewrites = xcalloc(t->nreq_rewrites, sizeof(char *));
    for (size_t i = 0; i < t->nreq_rewrites; i++)
        t->req_rewrites[i] = wire_get_str(c);
    t->nreq_scanned = get_count(c, 8);
    t->req_scanned = xcalloc(t->nreq_scanned, sizeof(char *));
    for (size_t i = 0; i < t->nreq_scanned; i++)
        t->req_scanned[i] = wire_get_str(c);
}

/* The ranks of mode, others and risk, the Tris and the verdict; note and cls
 * point into the sender's lock table and do not travel. */
void wire_put_prediction(Buf *b, const Prediction *p)
{
    wire_put_u8(b, p->predicted);
    wire_put_i64(b, p->mode);
    wire_put_i64(b, p->rewrite);
    wire_put_i64(b, p->scan);
    for (int i = 0; i < PREDICTION_NROLES; i++)
        wire_put_i64(b, p->others[i]);
    wire_put_i64(b, p->risk);
    wire_put_i64(b, p->verdict);
    wire_put_str(b, p->relations);
}

/* A rank in [lo, hi], else fallback. */
static int get_rank(WireCursor *c, int lo, int hi, int fallback)
{
    long long v = wire_get_i64(c);
    return v >= lo && v <= hi ? (int)v : fallback;
}

void wire_get_prediction(WireCursor *c, Prediction *p)
{
    prediction_clear(p);
    p->predicted = wire_get_u8(c) != 0;
    p->mode = get_rank(c, -1, LOCK_MODES - 1, -1);
    p->rewrite = (Tri)get_rank(c, TRI_NO, TRI_DEPENDS, TRI_DEPENDS);
    p->scan = (Tri)get_rank(c, TRI_NO, TRI_DEPENDS, TRI_DEPENDS);
    for (int i = 0; i < PREDICTION_NROLES; i++)
        p->others[i] = get_rank(c, -1, LOCK_MODES - 1, -1);
    p->risk = (Risk)get_rank(c, RISK_SAFE, RISK_CRITICAL, RISK_SAFE);
    p->verdict = (Verdict)get_rank(c, VERDICT_NONE, VERDICTS - 1, VERDICT_NONE);
    p->relations = wire_get_str(c);
}
