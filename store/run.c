/*
 * store/run: a stored run read back (store/run.h), and the list of runs.
 *
 * Loading is a handful of set queries over the run (statements, traces with
 * their predictions, then locks, rewrites, scans and changes of every trace),
 * not one query per statement: rows find their result by binary search on
 * statement id and trace id.
 */
#include "store/run.h"

#include <stdlib.h>
#include <string.h>

#include "model/versions.h"
#include "model/vocab.h"
#include "store/internal.h"

/* ---- reading helpers ----------------------------------------------------- */

#define col_str store_col_str

static int read_err(Store *s, Err *err)
{
    return store_db_err(s, err, "read");
}

static sqlite3_stmt *prepare(Store *s, const char *sql, long long run_id, Err *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        read_err(s, err);
        return NULL;
    }
    if (sqlite3_bind_parameter_count(st) >= 1) sqlite3_bind_int64(st, 1, run_id);
    return st;
}

/* Ends a row loop: finalizes st; -1 with err unless the loop ended with DONE. */
static int finish(Store *s, sqlite3_stmt *st, int rc, Err *err)
{
    if (rc != SQLITE_DONE) read_err(s, err);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* ---- loading ------------------------------------------------------------- */

typedef struct IdRef {
    long long id;
    size_t i;    /* statement index */
    RvResult *r; /* for traces */
} IdRef;

static int idref_cmp(const void *a, const void *b)
{
    long long x = ((const IdRef *)a)->id, y = ((const IdRef *)b)->id;
    return x < y ? -1 : x > y;
}

static IdRef *idref_find(IdRef *v, size_t n, long long id)
{
    IdRef key = {.id = id};
    if (n == 0) return NULL;
    return bsearch(&key, v, n, sizeof(*v), idref_cmp);
}

int store_run_version(const RunView *rv, int major)
{
    for (size_t i = 0; i < rv->nversions; i++)
        if (rv->versions[i] == major) return (int)i;
    return -1;
}

/* What a load carries from one query to the next. */
typedef struct Load {
    RunView *rv;
    IdRef *ids;    /* statement id -> index, sorted by id; owned */
    IdRef *traces; /* trace id -> result, sorted by id; owned */
    size_t ntraces;
    size_t cap;                /* of the array the current query fills */
    struct Child const *child; /* the child table being read */
} Load;

/* One row of a query into ld. */
typedef void (*RowFn)(Load *ld, sqlite3_stmt *st);

/* Every row of sql (?1 bound to the run's id) through fn. */
static int each_row(Store *s, const char *sql, RowFn fn, Load *ld, Err *err)
{
    sqlite3_stmt *st = prepare(s, sql, ld->rv->id, err);
    if (!st) return -1;
    ld->cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fn(ld, st);
    return finish(s, st, rc, err);
}

static int load_run(Store *s, RunView *rv, long long run_id, Err *err)
{
    sqlite3_stmt *st = prepare(s,
                               "SELECT id, started_at, finished_at, status, corpus, versions, "
                               "backend, args, tool_version, jobs FROM runs WHERE id = ?1",
                               run_id, err);
    if (!st) return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_finalize(st);
        return err_set(err, EXIT_USAGE, "no run %lld in \"%s\"", run_id, store_path(s));
    }
    if (rc != SQLITE_ROW) return finish(s, st, rc, err);
    rv->id = sqlite3_column_int64(st, 0);
    rv->started_at = col_str(st, 1);
    rv->finished_at = col_str(st, 2);
    rv->status = col_str(st, 3);
    rv->corpus = col_str(st, 4);
    rv->nversions = versions_read_stored((const char *)sqlite3_column_text(st, 5), &rv->versions);
    rv->backend = col_str(st, 6);
    rv->args = col_str(st, 7);
    rv->tool_version = col_str(st, 8);
    rv->parallel = sqlite3_column_int(st, 9);
    sqlite3_finalize(st);
    return 0;
}

static void row_server(Load *ld, sqlite3_stmt *st)
{
    RvServer *sv = ARRAY_PUSH(ld->rv->servers, ld->rv->nservers, ld->cap);
    sv->major = sqlite3_column_int(st, 0);
    sv->version = col_str(st, 1);
}

static void row_layout(Load *ld, sqlite3_stmt *st)
{
    CorpusLayout *l = ARRAY_PUSH(ld->rv->layouts, ld->rv->nlayouts, ld->cap);
    memset(l, 0, sizeof(*l));
    l->path = col_str(st, 0);
    l->first_chain = (size_t)sqlite3_column_int64(st, 1);
    l->nchains = (size_t)sqlite3_column_int64(st, 2);
    l->sum.layout = col_str(st, 3);
    l->sum.forced = sqlite3_column_int(st, 4) != 0;
    l->sum.nup = (size_t)sqlite3_column_int64(st, 5);
    l->sum.ndown = (size_t)sqlite3_column_int64(st, 6);
    l->sum.downs_run = sqlite3_column_int(st, 7) != 0;
    l->sum.nleft = (size_t)sqlite3_column_int64(st, 8);
    l->sum.left = col_str(st, 9);
    l->sum.note = col_str(st, 10);
}

static void row_job(Load *ld, sqlite3_stmt *st)
{
    RvJob *j = ARRAY_PUSH(ld->rv->jobs, ld->rv->njobs, ld->cap);
    j->chain = (size_t)sqlite3_column_int64(st, 0);
    j->major = sqlite3_column_int(st, 1);
    j->status = col_str(st, 2);
    j->reason = col_str(st, 3);
    j->attempts = sqlite3_column_int(st, 4);
    j->duration_ms = sqlite3_column_double(st, 5);
}

static void row_statement(Load *ld, sqlite3_stmt *st)
{
    RunView *rv = ld->rv;
    RvStatement *x = ARRAY_PUSH(rv->stmts, rv->nstmts, ld->cap);
    memset(x, 0, sizeof(*x));
    x->id = sqlite3_column_int64(st, 0);
    x->chain = (size_t)sqlite3_column_int64(st, 1);
    x->chain_name = col_str(st, 2);
    x->position = sqlite3_column_int(st, 3);
    x->migration = col_str(st, 4);
    x->index = sqlite3_column_int(st, 5);
    x->line = sqlite3_column_int(st, 6);
    x->sql = col_str(st, 7);
    x->cls = col_str(st, 8);
    x->target = col_str(st, 9);
    x->target_schema = col_str(st, 10);
    x->fingerprint = col_str(st, 11);
    x->parsed = classify_parsed_of(x->cls, x->fingerprint != NULL);
    x->extracted_from = col_str(st, 12);
    x->do_block = sqlite3_column_int(st, 13) != 0;
    x->results = xcalloc(rv->nversions ? rv->nversions : 1, sizeof(RvResult));
    for (size_t v = 0; v < rv->nversions; v++) {
        x->results[v].major = rv->versions[v];
        x->results[v].status = "skipped";
        x->results[v].target_rank = -1;
        prediction_clear(&x->results[v].pred);
    }
}

/* The statements by id (ld->ids), once they are loaded. */
static void index_statements(Load *ld)
{
    RunView *rv = ld->rv;
    ld->ids = xcalloc(rv->nstmts ? rv->nstmts : 1, sizeof(IdRef));
    for (size_t i = 0; i < rv->nstmts; i++)
        ld->ids[i] = (IdRef){.id = rv->stmts[i].id, .i = i};
    qsort(ld->ids, rv->nstmts, sizeof(IdRef), idref_cmp);
}

/* A stored rewrite or scan: 1 yes, 0 no, NULL depends. */
static Tri col_tri(sqlite3_stmt *st, int i)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL) return TRI_DEPENDS;
    return sqlite3_column_int(st, i) ? TRI_YES : TRI_NO;
}

/* A trace (with its prediction) into its result; ld->traces gets trace id ->
 * result, in order of trace id. */
static void row_trace(Load *ld, sqlite3_stmt *st)
{
    RunView *rv = ld->rv;
    if (!ld->ids) index_statements(ld);
    IdRef *sref = idref_find(ld->ids, rv->nstmts, sqlite3_column_int64(st, 1));
    int v = store_run_version(rv, sqlite3_column_int(st, 2));
    if (!sref || v < 0) return; /* a version the run did not select: not part of the view */
    RvResult *r = &rv->stmts[sref->i].results[v];
    r->traced = true;
    r->status = trace_status_name(trace_status_parse((const char *)sqlite3_column_text(st, 3)));
    r->sqlstate = col_str(st, 4);
    r->message = col_str(st, 5);
    r->capture = col_str(st, 6);
    r->duration_ms = sqlite3_column_double(st, 7);
    if (sqlite3_column_int(st, 8)) {
        /* a row without a risk: the lock table had no row (unpredicted) */
        if (sqlite3_column_type(st, 12) != SQLITE_NULL) {
            r->pred.predicted = true;
            r->pred.mode = lock_mode_rank((const char *)sqlite3_column_text(st, 9));
            r->pred.rewrite = col_tri(st, 10);
            r->pred.scan = col_tri(st, 11);
            r->pred.risk = (Risk)risk_parse((const char *)sqlite3_column_text(st, 12));
        }
        r->pred.verdict = verdict_parse((const char *)sqlite3_column_text(st, 13));
        r->pred.relations = col_str(st, 18);
    }
    r->lock_held_ms = sqlite3_column_double(st, 14);
    r->lock_held_relation = col_str(st, 15);
    r->lock_held_mode = col_str(st, 16);
    const char *req = (const char *)sqlite3_column_text(st, 17);
    r->req = req ? (int)trace_req_parse(req) : TRACE_REQ_OWN;
    *ARRAY_PUSH(ld->traces, ld->ntraces, ld->cap) =
        (IdRef){.id = sqlite3_column_int64(st, 0), .r = r};
}

static const struct {
    const char *sql;
    RowFn fn;
} run_rows[] = {
    {"SELECT major, version FROM servers WHERE run_id = ?1 ORDER BY major", row_server},
    {"SELECT path, first_chain, chains, layout, forced, ups, downs, downs_run, "
     "left_out, left_names, note FROM layouts WHERE run_id = ?1 ORDER BY id",
     row_layout},
    {"SELECT chain, major, status, reason, attempts, duration_ms FROM jobs "
     "WHERE run_id = ?1 ORDER BY chain, major",
     row_job},
    {"SELECT s.id, m.chain, m.chain_name, m.position, m.path, s.idx, s.line, s.sql, s.class, "
     "s.target, s.target_schema, s.fingerprint, m.extracted_from, s.in_do_block FROM statements s "
     "JOIN migrations m ON m.id = s.migration_id WHERE m.run_id = ?1 "
     "ORDER BY m.chain, m.position, s.idx",
     row_statement},
    /* after the statements: row_trace finds them by id */
    {"SELECT t.id, t.statement_id, t.major, t.status, t.sqlstate, t.message, t.capture, "
     "t.duration_ms, p.trace_id IS NOT NULL, p.mode, p.rewrite, p.scan, p.risk, p.verdict, "
     "t.lock_held_ms, t.lock_held_relation, t.lock_held_mode, t.requested, p.relations "
     "FROM traces t JOIN statements s ON s.id = t.statement_id "
     "JOIN migrations m ON m.id = s.migration_id "
     "LEFT JOIN predictions p ON p.trace_id = t.id WHERE m.run_id = ?1 ORDER BY t.id",
     row_trace},
};

/* The lock of columns c0.. (relation, role, locktype, mode, then granted when
 * with_granted) into l; held_before false. */
static void read_lock(TraceLock *l, sqlite3_stmt *st, int c0, bool with_granted)
{
    l->relation = col_str(st, c0);
    l->role = (char *)trace_role_static((const char *)sqlite3_column_text(st, c0 + 1));
    l->locktype = col_str(st, c0 + 2);
    l->mode = col_str(st, c0 + 3);
    l->granted = !with_granted || sqlite3_column_int(st, c0 + 4) != 0;
    l->held_before = false;
}

/* One row of a trace's child table (column 0 is the trace id) into r. */
typedef void (*ChildFn)(RvResult *r, sqlite3_stmt *st);

static void child_lock(RvResult *r, sqlite3_stmt *st)
{
    r->locks = xrealloc(r->locks, (r->nlocks + 1) * sizeof(TraceLock));
    TraceLock *l = &r->locks[r->nlocks++];
    read_lock(l, st, 1, true);
    l->held_before = sqlite3_column_int(st, 6) != 0;
}

static void child_request(RvResult *r, sqlite3_stmt *st)
{
    const char *kind = (const char *)sqlite3_column_text(st, 1);
    if (!kind) return;
    if (strcmp(kind, "lock") == 0) {
        r->requested = xrealloc(r->requested, (r->nrequested + 1) * sizeof(TraceLock));
        TraceLock *l = &r->requested[r->nrequested++];
        read_lock(l, st, 2, false);
    } else if (strcmp(kind, "rewrite") == 0) {
        r->req_rewrites = xrealloc(r->req_rewrites, (r->nreq_rewrites + 1) * sizeof(char *));
        r->req_rewrites[r->nreq_rewrites++] = col_str(st, 2);
    } else if (strcmp(kind, "scan") == 0) {
        r->req_scanned = xrealloc(r->req_scanned, (r->nreq_scanned + 1) * sizeof(char *));
        r->req_scanned[r->nreq_scanned++] = col_str(st, 2);
    }
}

/* Rows come in order of id: phase by phase, as written. */
static void child_phase_lock(RvResult *r, sqlite3_stmt *st)
{
    int phase = sqlite3_column_int(st, 1);
    if (phase < 1 || phase > 100000) return;
    if ((size_t)phase > r->nphases) {
        r->phases = xrealloc(r->phases, (size_t)phase * sizeof(RvPhase));
        memset(r->phases + r->nphases, 0, ((size_t)phase - r->nphases) * sizeof(RvPhase));
        r->nphases = (size_t)phase;
    }
    RvPhase *p = &r->phases[phase - 1];
    TraceLock *l;
    if (sqlite3_column_int(st, 2)) {
        if (p->waiting_for) return;
        l = p->waiting_for = xcalloc(1, sizeof(TraceLock));
    } else {
        p->locks = xrealloc(p->locks, (p->nlocks + 1) * sizeof(TraceLock));
        l = &p->locks[p->nlocks++];
        memset(l, 0, sizeof(*l));
    }
    read_lock(l, st, 3, true);
}

static void child_rewrite(RvResult *r, sqlite3_stmt *st)
{
    r->rewrites = xrealloc(r->rewrites, (r->nrewrites + 1) * sizeof(char *));
    r->rewrites[r->nrewrites++] = col_str(st, 1);
}

static void child_scan(RvResult *r, sqlite3_stmt *st)
{
    r->scans = xrealloc(r->scans, (r->nscans + 1) * sizeof(TraceScan));
    TraceScan *x = &r->scans[r->nscans++];
    x->relation = col_str(st, 1);
    x->seq_scan = sqlite3_column_int64(st, 2);
    x->tup_read = sqlite3_column_int64(st, 3);
}

static void child_change(RvResult *r, sqlite3_stmt *st)
{
    r->changes = xrealloc(r->changes, (r->nchanges + 1) * sizeof(TraceChange));
    TraceChange *x = &r->changes[r->nchanges++];
    x->kind = col_str(st, 1);
    x->relation = col_str(st, 2);
    x->detail = col_str(st, 3);
}

static void child_evidence(RvResult *r, sqlite3_stmt *st)
{
    const char *kind = (const char *)sqlite3_column_text(st, 1);
    if (r->said || !kind || strcmp(kind, STORE_EVIDENCE_SERVER) != 0) return;
    r->said =
        store_evidence_inflate(sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3),
                               (size_t)sqlite3_column_int64(st, 2));
}

static const struct Child {
    const char *table;
    const char *columns;
    ChildFn fn;
    const char *order; /* within a trace: as recorded, or by name where the
                        * server's order is not stable from run to run */
} children[] = {
    {"locks", "relation, x.role, x.locktype, x.mode, x.granted, x.held_before", child_lock, "x.id"},
    {"requests", "kind, x.relation, x.role, x.locktype, x.mode", child_request, "x.id"},
    {"rewrites", "relation", child_rewrite, "x.id"},
    {"scans", "relation, x.seq_scan, x.tup_read", child_scan, "x.relation, x.id"},
    {"changes", "kind, x.relation, x.detail", child_change, "x.id"},
    {"phase_locks", "phase, x.waiting, x.relation, x.role, x.locktype, x.mode, x.granted",
     child_phase_lock, "x.id"},
    {"evidence", "kind, x.size, x.data", child_evidence, "x.id"},
};

static void row_child(Load *ld, sqlite3_stmt *st)
{
    IdRef *t = idref_find(ld->traces, ld->ntraces, sqlite3_column_int64(st, 0));
    if (t) ld->child->fn(t->r, st);
}

static int load_children(Store *s, Load *ld, Err *err)
{
    for (size_t c = 0; c < ARRAY_LEN(children); c++) {
        /* IN (the run's traces) rather than a join: the rows then come in the
         * order of the child's trace_id index, with no sort of the whole run */
        char *sql = xasprintf("SELECT x.trace_id, x.%s FROM %s x "
                              "WHERE x.trace_id IN (SELECT t.id FROM traces t "
                              "JOIN statements s ON s.id = t.statement_id "
                              "JOIN migrations m ON m.id = s.migration_id "
                              "WHERE m.run_id = ?1) ORDER BY x.trace_id, %s",
                              children[c].columns, children[c].table, children[c].order);
        ld->child = &children[c];
        int rc = each_row(s, sql, row_child, ld, err);
        free(sql);
        if (rc < 0) return -1;
    }
    return 0;
}

int store_run_load(Store *s, long long run_id, RunView **out, Err *err)
{
    RunView *rv = xcalloc(1, sizeof(*rv));
    Load ld = {.rv = rv};
    int rc = load_run(s, rv, run_id, err);
    for (size_t i = 0; rc == 0 && i < ARRAY_LEN(run_rows); i++)
        rc = each_row(s, run_rows[i].sql, run_rows[i].fn, &ld, err);
    if (rc == 0) rc = load_children(s, &ld, err);
    free(ld.ids);
    free(ld.traces);
    if (rc < 0) {
        store_run_free(rv);
        rv = NULL;
    }
    *out = rv;
    return rc < 0 ? -1 : 0;
}

static void result_free(RvResult *r)
{
    free(r->skip_reason);
    free(r->sqlstate);
    free(r->message);
    free(r->said);
    free(r->capture);
    for (size_t i = 0; i < r->nlocks; i++)
        tracelock_free(&r->locks[i]);
    free(r->locks);
    for (size_t i = 0; i < r->nrequested; i++)
        tracelock_free(&r->requested[i]);
    free(r->requested);
    for (size_t i = 0; i < r->nreq_rewrites; i++)
        free(r->req_rewrites[i]);
    free(r->req_rewrites);
    for (size_t i = 0; i < r->nreq_scanned; i++)
        free(r->req_scanned[i]);
    free(r->req_scanned);
    for (size_t i = 0; i < r->nphases; i++) {
        for (size_t k = 0; k < r->phases[i].nlocks; k++)
            tracelock_free(&r->phases[i].locks[k]);
        free(r->phases[i].locks);
        if (r->phases[i].waiting_for) tracelock_free(r->phases[i].waiting_for);
        free(r->phases[i].waiting_for);
    }
    free(r->phases);
    free(r->lock_held_relation);
    free(r->lock_held_mode);
    prediction_free(&r->pred);
    for (size_t i = 0; i < r->nrewrites; i++)
        free(r->rewrites[i]);
    free(r->rewrites);
    for (size_t i = 0; i < r->nscans; i++)
        free(r->scans[i].relation);
    free(r->scans);
    for (size_t i = 0; i < r->nchanges; i++) {
        free(r->changes[i].kind);
        free(r->changes[i].relation);
        free(r->changes[i].detail);
    }
    free(r->changes);
}

void store_run_free(RunView *rv)
{
    if (!rv) return;
    for (size_t i = 0; i < rv->nstmts; i++) {
        RvStatement *x = &rv->stmts[i];
        for (size_t v = 0; x->results && v < rv->nversions; v++)
            result_free(&x->results[v]);
        free(x->results);
        free(x->chain_name);
        free(x->migration);
        free(x->extracted_from);
        free(x->sql);
        free(x->cls);
        free(x->target);
        free(x->target_schema);
        free(x->fingerprint);
    }
    free(rv->stmts);
    free(rv->per_version);
    for (size_t i = 0; i < rv->nservers; i++)
        free(rv->servers[i].version);
    free(rv->servers);
    for (size_t i = 0; i < rv->njobs; i++) {
        free(rv->jobs[i].status);
        free(rv->jobs[i].reason);
    }
    free(rv->jobs);
    for (size_t i = 0; i < rv->nlayouts; i++) {
        free(rv->layouts[i].path);
        layout_summary_free(&rv->layouts[i].sum);
    }
    free(rv->layouts);
    free(rv->versions);
    free(rv->started_at);
    free(rv->finished_at);
    free(rv->status);
    free(rv->corpus);
    free(rv->backend);
    free(rv->args);
    free(rv->tool_version);
    free(rv);
}

/* ---- the list of runs ---------------------------------------------------- */

int store_runs_list(Store *s, RunSummary **out, size_t *n, Err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = prepare(
        s,
        "SELECT r.id, r.started_at, r.finished_at, r.status, r.versions, r.corpus, r.backend, "
        "(SELECT count(*) FROM statements s JOIN migrations m ON m.id = s.migration_id "
        "  WHERE m.run_id = r.id), "
        "(SELECT count(*) FROM jobs j WHERE j.run_id = r.id AND j.status = 'ok'), "
        "(SELECT count(*) FROM jobs j WHERE j.run_id = r.id AND j.status = 'failed'), "
        "CASE WHEN r.finished_at IS NULL THEN -1 "
        "  ELSE (julianday(r.finished_at) - julianday(r.started_at)) * 86400.0 END, "
        "(SELECT group_concat(layout, ',') FROM (SELECT layout FROM layouts l "
        "  WHERE l.run_id = r.id ORDER BY l.id)) "
        "FROM runs r ORDER BY r.id",
        0, err);
    if (!st) return -1;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        RunSummary *r = ARRAY_PUSH(*out, *n, cap);
        r->id = sqlite3_column_int64(st, 0);
        r->started_at = col_str(st, 1);
        r->finished_at = col_str(st, 2);
        r->status = col_str(st, 3);
        r->versions = col_str(st, 4);
        r->corpus = col_str(st, 5);
        r->backend = col_str(st, 6);
        r->nstatements = sqlite3_column_int64(st, 7);
        r->jobs_ok = sqlite3_column_int64(st, 8);
        r->jobs_failed = sqlite3_column_int64(st, 9);
        r->duration_s = sqlite3_column_double(st, 10);
        r->layouts = col_str(st, 11);
    }
    if (finish(s, st, rc, err) < 0) {
        store_runs_free(*out, *n);
        *out = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

void store_runs_free(RunSummary *runs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        RunSummary *r = &runs[i];
        char *owned[] = {r->started_at, r->finished_at, r->status, r->versions,
                         r->corpus,     r->backend,     r->layouts};
        for (size_t k = 0; k < ARRAY_LEN(owned); k++)
            free(owned[k]);
    }
    free(runs);
}

void store_tune_for_reading(Store *s)
{
    /* a report reads whole runs: sort in memory, map the file, keep its pages */
    sqlite3_exec(s->db,
                 "PRAGMA temp_store = MEMORY; PRAGMA mmap_size = 1073741824; "
                 "PRAGMA cache_size = -131072",
                 NULL, NULL, NULL);
}
