/*
 * test_wire: framed records survive a socketpair byte for byte, in pieces,
 * and corrupt input is refused.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runner/wire.h"
#include "t.h"

static Trace sample(void)
{
    Trace t = {0};
    t.mig = 2;
    t.stmt = 7;
    t.status = TRACE_ERROR;
    strcpy(t.sqlstate, "42P07");
    t.message = xstrdup("relation \"users\" already exists");
    t.said = xstrdup("ERROR:  relation \"users\" already exists\n");
    strcpy(t.capture, "tx");
    t.duration_ms = 1.25;
    t.nlocks = 2;
    t.locks = xcalloc(2, sizeof(TraceLock));
    t.locks[0] = (TraceLock){xstrdup("users"),
                             "table",
                             xstrdup("relation"),
                             xstrdup("AccessExclusiveLock"),
                             true,
                             false};
    t.locks[1] = (TraceLock){NULL,  "virtualxid", xstrdup("virtualxid"), xstrdup("ExclusiveLock"),
                             false, true};
    t.nrewrites = 1;
    t.rewrites = xcalloc(1, sizeof(char *));
    t.rewrites[0] = xstrdup("users");
    t.nscans = 1;
    t.scans = xcalloc(1, sizeof(TraceScan));
    t.scans[0] = (TraceScan){xstrdup("users"), 1, 1000};
    t.nchanges = 1;
    t.changes = xcalloc(1, sizeof(TraceChange));
    t.changes[0] = (TraceChange){xstrdup("column_added"), xstrdup("users"), NULL};
    /* two phases: a wait on the table, then one on an older transaction */
    t.nphases = 2;
    t.phases = xcalloc(2, sizeof(TracePhase));
    t.phases[0].waiting_for = (TraceLock){xstrdup("users"),
                                          "table",
                                          xstrdup("relation"),
                                          xstrdup("ShareUpdateExclusiveLock"),
                                          false,
                                          false};
    t.phases[1].nlocks = 1;
    t.phases[1].locks = xcalloc(1, sizeof(TraceLock));
    t.phases[1].locks[0] = (TraceLock){xstrdup("users"),
                                       "table",
                                       xstrdup("relation"),
                                       xstrdup("ShareUpdateExclusiveLock"),
                                       true,
                                       false};
    t.phases[1].waiting_for = (TraceLock){xstrdup("virtualxid (older transaction)"),
                                          "virtualxid",
                                          xstrdup("virtualxid"),
                                          xstrdup("ShareLock"),
                                          false,
                                          false};
    t.lock_held_ms = 12.5;
    t.lock_held_relation = xstrdup("users");
    t.lock_held_mode = xstrdup("AccessExclusiveLock");
    /* what the replay measured the statement to request alone */
    t.req = TRACE_REQ_REPLAY;
    t.nrequested = 1;
    t.requested = xcalloc(1, sizeof(TraceLock));
    t.requested[0] = (TraceLock){
        xstrdup("users"), "table", xstrdup("relation"), xstrdup("RowExclusiveLock"), true, false};
    t.nreq_rewrites = 1;
    t.req_rewrites = xcalloc(1, sizeof(char *));
    t.req_rewrites[0] = xstrdup("users_pkey");
    t.nreq_scanned = 2;
    t.req_scanned = xcalloc(2, sizeof(char *));
    t.req_scanned[0] = xstrdup("users");
    t.req_scanned[1] = xstrdup("orders");
    return t;
}

static void check_same(const Trace *a, const Trace *b)
{
    CHECK(a->mig == b->mig && a->stmt == b->stmt, "position");
    CHECK(a->status == b->status, "status");
    CHECK_STR(b->sqlstate, a->sqlstate, "sqlstate");
    CHECK_STR(b->message, a->message, "message");
    CHECK_STR(b->said, a->said, "what the server said");
    CHECK_STR(b->capture, a->capture, "capture");
    CHECK(a->duration_ms == b->duration_ms, "duration");
    CHECK(b->nlocks == 2, "nlocks %zu", b->nlocks);
    if (b->nlocks == 2) {
        CHECK_STR(b->locks[0].relation, "users", "lock relation");
        CHECK_STR(b->locks[0].role, "table", "lock role");
        CHECK_STR(b->locks[0].mode, "AccessExclusiveLock", "lock mode");
        CHECK(b->locks[0].granted && !b->locks[0].held_before, "flags 0");
        CHECK(b->locks[1].relation == NULL, "NULL relation kept");
        CHECK(!b->locks[1].granted && b->locks[1].held_before, "flags 1");
        CHECK_STR(b->locks[1].role, "virtualxid", "role of a non-relation lock");
    }
    CHECK(b->nrewrites == 1 && strcmp(b->rewrites[0], "users") == 0, "rewrites");
    CHECK(b->nscans == 1 && b->scans[0].tup_read == 1000, "scans");
    CHECK(b->nchanges == 1 && b->changes[0].detail == NULL, "changes");
    CHECK(b->nphases == 2, "nphases %zu", b->nphases);
    if (b->nphases == 2) {
        CHECK(b->phases[0].nlocks == 0, "phase 1 holds nothing");
        CHECK_STR(b->phases[0].waiting_for.mode, "ShareUpdateExclusiveLock", "phase 1 waits");
        CHECK_STR(b->phases[0].waiting_for.role, "table", "phase 1 wait role");
        CHECK(b->phases[1].nlocks == 1 && b->phases[1].locks[0].granted, "phase 2 holds one");
        CHECK_STR(b->phases[1].waiting_for.relation, "virtualxid (older transaction)",
                  "phase 2 waits");
        CHECK_STR(b->phases[1].waiting_for.role, "virtualxid", "phase 2 wait role");
    }
    CHECK(b->lock_held_ms == 12.5, "lock_held_ms");
    CHECK_STR(b->lock_held_relation, "users", "lock_held_relation");
    CHECK_STR(b->lock_held_mode, "AccessExclusiveLock", "lock_held_mode");
    CHECK(b->req == TRACE_REQ_REPLAY, "req %d", (int)b->req);
    CHECK(b->nrequested == 1, "nrequested %zu", b->nrequested);
    if (b->nrequested == 1) {
        CHECK_STR(b->requested[0].mode, "RowExclusiveLock", "requested mode");
        CHECK_STR(b->requested[0].role, "table", "requested role");
    }
    CHECK(b->nreq_rewrites == 1 && strcmp(b->req_rewrites[0], "users_pkey") == 0, "req_rewrites");
    CHECK(b->nreq_scanned == 2 && strcmp(b->req_scanned[1], "orders") == 0, "req_scanned");
}

int main(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
    Trace t = sample();
    Buf b;
    buf_init(&b);
    Err err = {0};

    /* Two records back to back, read whole. */
    wire_begin(&b, WIRE_TRACE);
    wire_put_trace(&b, &t);
    CHECK(wire_send(sv[0], &b, &err) == 0, "send 1");
    wire_begin(&b, WIRE_JOB);
    wire_put_i64(&b, 41);
    CHECK(wire_send(sv[0], &b, &err) == 0, "send 2");

    WireReader r;
    wire_reader_init(&r);
    const char *p;
    size_t n;
    CHECK(wire_recv(&r, sv[1], 1000, &p, &n, &err) == 1, "recv 1");
    CHECK(wire_type(p, n) == WIRE_TRACE, "type trace");
    WireCursor c;
    wire_cursor(&c, p, n);
    Trace got;
    wire_get_trace(&c, &got);
    CHECK(!c.bad && c.left == 0, "trace consumed exactly");
    check_same(&t, &got);
    trace_free(&got);
    CHECK(wire_recv(&r, sv[1], 1000, &p, &n, &err) == 1, "recv 2");
    wire_cursor(&c, p, n);
    CHECK(wire_type(p, n) == WIRE_JOB && wire_get_i64(&c) == 41, "job 41");

    /* A prediction travels as its ranks and comes back the same, note and
     * cls left behind; an absent one stays absent. */
    Prediction preds[3];
    preds[0] = (Prediction){.predicted = true,
                            .mode = 3,
                            .rewrite = TRI_NO,
                            .scan = TRI_DEPENDS,
                            .others = {5, -1},
                            .risk = RISK_MEDIUM,
                            .note = "a note",
                            .cls = "alter_table",
                            .relations = "m\nL\t7\ttarget\tusers\nR\tusers\n",
                            .verdict = VERDICT_TRACE_ONLY};
    prediction_clear(&preds[1]);
    preds[1].verdict = VERDICT_UNPREDICTED;
    prediction_clear(&preds[2]);
    for (size_t i = 0; i < ARRAY_LEN(preds); i++) {
        wire_begin(&b, WIRE_TRACE);
        wire_put_prediction(&b, &preds[i]);
        wire_cursor(&c, b.data + 4, b.len - 4);
        Prediction gp;
        wire_get_prediction(&c, &gp);
        CHECK(!c.bad && c.left == 0, "prediction %zu consumed exactly", i);
        CHECK(gp.predicted == preds[i].predicted && gp.rewrite == preds[i].rewrite &&
                  gp.scan == preds[i].scan,
              "prediction %zu flags", i);
        CHECK(gp.mode == preds[i].mode, "prediction %zu mode %d", i, gp.mode);
        CHECK(!memcmp(gp.others, preds[i].others, sizeof(gp.others)), "prediction %zu others", i);
        CHECK(gp.risk == preds[i].risk, "prediction %zu risk", i);
        CHECK(gp.verdict == preds[i].verdict, "prediction %zu verdict %d", i, (int)gp.verdict);
        CHECK(!gp.note && !gp.cls, "prediction %zu: note and cls stay behind", i);
        CHECK_STR(gp.relations, preds[i].relations, "prediction %zu relations", i);
        prediction_free(&gp);
    }

    /* Roles come back as the tracer's own static strings, every one of them. */
    static const char *const roles[] = {
        "table",     "partition", "index", "toast",      "sequence",      "referenced", "new",
        "transient", "catalog",   "other", "virtualxid", "transactionid", "object",     "advisory"};
    for (size_t i = 0; i < ARRAY_LEN(roles); i++)
        CHECK(strcmp(trace_role_static(roles[i]), roles[i]) == 0, "role %s kept", roles[i]);
    CHECK(strcmp(trace_role_static("bogus"), "other") == 0 &&
              strcmp(trace_role_static(NULL), "other") == 0,
          "an unknown role is other");

    /* A record arriving a byte at a time is assembled. */
    wire_begin(&b, WIRE_LOG);
    wire_put_str(&b, "hello");
    uint32_t len = (uint32_t)(b.len - 4);
    memcpy(b.data, &len, 4);
    for (size_t i = 0; i < b.len; i++) {
        CHECK(write(sv[0], b.data + i, 1) == 1, "write byte");
        if (i + 1 < b.len) {
            wire_fill(&r, sv[1]);
            CHECK(wire_next(&r, &p, &n) == 0, "incomplete record not returned (byte %zu)", i);
        }
    }
    CHECK(wire_recv(&r, sv[1], 1000, &p, &n, &err) == 1, "assembled");
    wire_cursor(&c, p, n);
    char *s = wire_get_str(&c);
    CHECK_STR(s, "hello", "log text");
    free(s);

    /* A truncated trace is flagged, not read past its end. */
    wire_begin(&b, WIRE_TRACE);
    wire_put_trace(&b, &t);
    wire_cursor(&c, b.data + 4, b.len - 4 - 10);
    wire_get_trace(&c, &got);
    CHECK(c.bad, "truncated trace is bad");
    trace_free(&got);

    /* A huge length is a corrupt stream. */
    uint32_t huge = WIRE_MAX_RECORD + 1;
    CHECK(write(sv[0], &huge, 4) == 4, "write huge");
    wire_fill(&r, sv[1]);
    CHECK(wire_next(&r, &p, &n) == -1, "oversized record refused");

    /* EOF. */
    close(sv[0]);
    WireReader r2;
    wire_reader_init(&r2);
    CHECK(wire_recv(&r2, sv[1], 1000, &p, &n, &err) == 0, "eof");
    wire_reader_free(&r2);

    wire_reader_free(&r);
    close(sv[1]);
    buf_free(&b);
    trace_free(&t);
    return t_done("test_wire");
}
