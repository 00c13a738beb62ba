/*
 * trace: the one Trace type's helpers (model/trace.h).
 */
#include "model/trace.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

const char *trace_req_name(TraceReq r)
{
    static const char *const names[] = {"own", "replay", "unmeasured"};
    return r >= TRACE_REQ_OWN && r <= TRACE_REQ_UNMEASURED ? names[r] : names[TRACE_REQ_UNMEASURED];
}

TraceReq trace_req_parse(const char *name)
{
    for (int r = TRACE_REQ_OWN; r <= TRACE_REQ_UNMEASURED; r++)
        if (name && strcmp(name, trace_req_name((TraceReq)r)) == 0) return (TraceReq)r;
    return TRACE_REQ_UNMEASURED;
}

/* ---- roles ------------------------------------------------------------------- */

static const char *const role_order[] = {"table",    "partition",  "index", "toast",
                                         "sequence", "referenced", "new",   "transient",
                                         "catalog",  "other"};

int trace_role_rank(const char *role)
{
    for (size_t i = 0; i < ARRAY_LEN(role_order); i++)
        if (strcmp(role, role_order[i]) == 0) return (int)i;
    return (int)ARRAY_LEN(role_order);
}

/* pg_locks locktypes as static strings (TraceLock.role is static). */
static const char *const locktypes[] = {
    "relation",   "extend",    "frozenid", "page",     "tuple",    "transactionid",
    "virtualxid", "spectoken", "object",   "userlock", "advisory", "applytransaction"};

const char *trace_locktype_static(const char *t)
{
    for (size_t i = 0; i < ARRAY_LEN(locktypes); i++)
        if (strcmp(t, locktypes[i]) == 0) return locktypes[i];
    return "other";
}

const char *trace_role_static(const char *role)
{
    for (size_t i = 0; role && i < ARRAY_LEN(role_order); i++)
        if (strcmp(role, role_order[i]) == 0) return role_order[i];
    return role ? trace_locktype_static(role) : "other";
}

void tracelock_free(TraceLock *l)
{
    free(l->relation);
    free(l->locktype);
    free(l->mode);
}

void trace_free(Trace *t)
{
    if (!t) return;
    free(t->message);
    free(t->said);
    for (size_t i = 0; i < t->nlocks; i++)
        tracelock_free(&t->locks[i]);
    free(t->locks);
    for (size_t i = 0; i < t->nphases; i++) {
        for (size_t k = 0; k < t->phases[i].nlocks; k++)
            tracelock_free(&t->phases[i].locks[k]);
        free(t->phases[i].locks);
        tracelock_free(&t->phases[i].waiting_for);
    }
    free(t->phases);
    free(t->lock_held_relation);
    free(t->lock_held_mode);
    for (size_t i = 0; i < t->nrewrites; i++)
        free(t->rewrites[i]);
    free(t->rewrites);
    for (size_t i = 0; i < t->nscans; i++)
        free(t->scans[i].relation);
    free(t->scans);
    for (size_t i = 0; i < t->nchanges; i++) {
        free(t->changes[i].kind);
        free(t->changes[i].relation);
        free(t->changes[i].detail);
    }
    free(t->changes);
    for (size_t i = 0; i < t->nrequested; i++)
        tracelock_free(&t->requested[i]);
    free(t->requested);
    for (size_t i = 0; i < t->nreq_rewrites; i++)
        free(t->req_rewrites[i]);
    free(t->req_rewrites);
    for (size_t i = 0; i < t->nreq_scanned; i++)
        free(t->req_scanned[i]);
    free(t->req_scanned);
    memset(t, 0, sizeof(*t));
}
