/*
 * merge: shards' stores combined into one run (see merge.h).
 *
 * Inputs are read through their own connections (store_open migrates them to
 * the current schema) for the checks, then attached one at a time to the
 * output's connection and copied with INSERT ... SELECT, ids remapped through
 * temporary maps keyed by what is unique in a run: migrations by (chain,
 * position), statements by (migration, idx), jobs by (chain, major), traces by
 * (statement, major). Rows are copied in id order, so the order of a trace's
 * locks, rewrites, scans and changes is kept.
 */
#include "store/merge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "corpus/shard.h"
#include "model/versions.h"
#include "store/internal.h"

typedef struct Input {
    const char *path;
    long long run;
    char *status, *corpus, *versions, *backend, *tool_version, *shard, *corpus_id;
    char *started_at, *finished_at;
    int jobs_opt; /* -j */
    VersionSet vs;
    int k, n;    /* shard k of n; 1/1 when the run had every job */
    int *smajor; /* servers */
    char **sversion;
    size_t nservers;
    bool *has_job; /* [chain * MAJORS + column id] */
} Input;

/* The corpus's chains as stored: statements per chain and names. */
typedef struct Chains {
    size_t n;
    size_t *nstmts;
    char **names;
} Chains;

#define MAJORS (VERSIONS_ID_MAX + 1)

static void input_free(Input *in)
{
    free(in->status);
    free(in->corpus);
    free(in->versions);
    free(in->backend);
    free(in->tool_version);
    free(in->shard);
    free(in->corpus_id);
    free(in->started_at);
    free(in->finished_at);
    for (size_t i = 0; i < in->nservers; i++)
        free(in->sversion[i]);
    free(in->smajor);
    free(in->sversion);
    free(in->has_job);
}

static void chains_free(Chains *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->names[i]);
    free(c->names);
    free(c->nstmts);
}

static int read_err(const char *path, sqlite3 *db, Err *err)
{
    return err_set(err, EXIT_ENV, "could not read store \"%s\": %s", path, sqlite3_errmsg(db));
}

/* The chains of run in db (only from the first input: the corpus is one). */
static int read_chains(sqlite3 *db, const char *path, long long run, Chains *c, Err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT m.chain, min(m.chain_name), count(s.id) FROM migrations m "
                           "LEFT JOIN statements s ON s.migration_id = m.id WHERE m.run_id = ?1 "
                           "GROUP BY m.chain ORDER BY m.chain",
                           -1, &st, NULL) != SQLITE_OK)
        return read_err(path, db, err);
    sqlite3_bind_int64(st, 1, run);
    size_t cap = 0, ncap = 0, nn = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        size_t ch = (size_t)sqlite3_column_int64(st, 0);
        while (c->n <= ch) {
            *ARRAY_PUSH(c->nstmts, c->n, cap) = 0;
            *ARRAY_PUSH(c->names, nn, ncap) = NULL;
        }
        c->nstmts[ch] = (size_t)sqlite3_column_int64(st, 2);
        free(c->names[ch]);
        c->names[ch] = store_col_str(st, 1);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return read_err(path, db, err);
    return 0;
}

/* Reads the newest run of in->path, its servers and its jobs. */
static int read_input(Input *in, size_t nchains_hint, Chains *chains, Err *err)
{
    Store *s = store_open(in->path, false, err);
    if (!s) return -1;
    sqlite3 *db = store_db(s);
    int ret = -1;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(
            db,
            "SELECT id, status, corpus, versions, backend, tool_version, shard, "
            "corpus_id, started_at, finished_at, jobs FROM runs ORDER BY id DESC LIMIT 1",
            -1, &st, NULL) != SQLITE_OK) {
        read_err(in->path, db, err);
        goto out;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        err_set(err, EXIT_USAGE, "no runs in \"%s\"", in->path);
        goto out;
    }
    if (rc != SQLITE_ROW) {
        read_err(in->path, db, err);
        goto out;
    }
    in->run = sqlite3_column_int64(st, 0);
    in->status = store_col_str(st, 1);
    in->corpus = store_col_str(st, 2);
    in->versions = store_col_str(st, 3);
    in->backend = store_col_str(st, 4);
    in->tool_version = store_col_str(st, 5);
    in->shard = store_col_str(st, 6);
    in->corpus_id = store_col_str(st, 7);
    in->started_at = store_col_str(st, 8);
    in->finished_at = store_col_str(st, 9);
    in->jobs_opt = sqlite3_column_int(st, 10);
    sqlite3_finalize(st);
    st = NULL;

    Err e = {0};
    if (!in->versions || versions_parse(in->versions, &in->vs, &e) != 0) {
        err_set(err, EXIT_USAGE, "run %lld in \"%s\" has no valid versions (\"%s\")", in->run,
                in->path, in->versions ? in->versions : "");
        goto out;
    }
    in->k = in->n = 1;
    if (in->shard) {
        Shard sh;
        if (shard_parse(in->shard, &sh, &e) != 0) {
            err_set(err, EXIT_USAGE, "run %lld in \"%s\" has an invalid shard \"%s\"", in->run,
                    in->path, in->shard);
            goto out;
        }
        in->k = sh.k;
        in->n = sh.n;
    }

    if (sqlite3_prepare_v2(db,
                           "SELECT major, version FROM servers WHERE run_id = ?1 ORDER BY major",
                           -1, &st, NULL) != SQLITE_OK) {
        read_err(in->path, db, err);
        goto out;
    }
    sqlite3_bind_int64(st, 1, in->run);
    size_t cap = 0, vcap = 0, nv = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *ARRAY_PUSH(in->smajor, in->nservers, cap) = sqlite3_column_int(st, 0);
        *ARRAY_PUSH(in->sversion, nv, vcap) = store_col_str(st, 1);
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc != SQLITE_DONE) {
        read_err(in->path, db, err);
        goto out;
    }

    if (chains->n == 0 && nchains_hint == 0 && read_chains(db, in->path, in->run, chains, err) < 0)
        goto out;
    in->has_job = xcalloc((chains->n ? chains->n : 1) * MAJORS, sizeof(bool));
    if (sqlite3_prepare_v2(db, "SELECT chain, major FROM jobs WHERE run_id = ?1", -1, &st, NULL) !=
        SQLITE_OK) {
        read_err(in->path, db, err);
        goto out;
    }
    sqlite3_bind_int64(st, 1, in->run);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        long long ch = sqlite3_column_int64(st, 0);
        int major = sqlite3_column_int(st, 1);
        if (ch >= 0 && (size_t)ch < chains->n && major >= 0 && major < MAJORS)
            in->has_job[(size_t)ch * MAJORS + (size_t)major] = true;
    }
    if (rc != SQLITE_DONE) {
        read_err(in->path, db, err);
        goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    store_close(s);
    return ret;
}

/* ---- checks ----------------------------------------------------------------- */

static bool same(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* The jobs shard k of n of versions vs should hold, from the stored corpus:
 * want[chain * MAJORS + major]. */
static bool *shard_jobs(const Chains *c, const VersionSet *vs, int k, int n)
{
    size_t total = c->n * (size_t)vs->n;
    size_t *cost = xmalloc((total ? total : 1) * sizeof(size_t));
    size_t *where = xmalloc((total ? total : 1) * sizeof(size_t));
    size_t nj = 0;
    for (size_t ch = 0; ch < c->n; ch++)
        for (int i = 0; i < vs->n; i++)
            if (c->nstmts[ch]) {
                cost[nj] = c->nstmts[ch];
                where[nj++] = ch * MAJORS + (size_t)vs->v[i];
            }
    int *of = xmalloc((nj ? nj : 1) * sizeof(int));
    shard_assign(cost, nj, n, of);
    bool *want = xcalloc((c->n ? c->n : 1) * MAJORS, sizeof(bool));
    for (size_t j = 0; j < nj; j++)
        if (of[j] == k - 1) want[where[j]] = true;
    free(of);
    free(where);
    free(cost);
    return want;
}

static int check_inputs(Input *in, size_t n, const Chains *chains, Err *err)
{
    for (size_t i = 0; i < n; i++) {
        if (!same(in[i].status, "complete") && !same(in[i].status, "failed"))
            return err_set(err, EXIT_USAGE,
                           "run %lld in \"%s\" is %s: not every job of its shard ran (run the "
                           "shard again)",
                           in[i].run, in[i].path, in[i].status ? in[i].status : "?");
        if (!in[i].corpus_id)
            return err_set(err, EXIT_USAGE,
                           "run %lld in \"%s\" has no corpus identity (it was made before runs "
                           "recorded one): it cannot be merged",
                           in[i].run, in[i].path);
    }
    for (size_t i = 1; i < n; i++) {
        if (!same(in[i].corpus_id, in[0].corpus_id))
            return err_set(err, EXIT_USAGE,
                           "\"%s\" and \"%s\" are runs of different corpora (\"%s\" and \"%s\", "
                           "identities %.12s and %.12s): merge only the shards of one corpus",
                           in[0].path, in[i].path, in[0].corpus ? in[0].corpus : "",
                           in[i].corpus ? in[i].corpus : "", in[0].corpus_id, in[i].corpus_id);
        if (!same(in[i].tool_version, in[0].tool_version))
            return err_set(err, EXIT_USAGE,
                           "\"%s\" was made by lockmatrix %s and \"%s\" by lockmatrix %s: merge "
                           "only stores of one tool version",
                           in[0].path, in[0].tool_version ? in[0].tool_version : "(unknown)",
                           in[i].path, in[i].tool_version ? in[i].tool_version : "(unknown)");
        if (!same(in[i].backend, in[0].backend))
            return err_set(err, EXIT_USAGE,
                           "\"%s\" ran on the %s backend and \"%s\" on %s: merge only runs of one "
                           "backend",
                           in[0].path, in[0].backend ? in[0].backend : "?", in[i].path,
                           in[i].backend ? in[i].backend : "?");
    }
    /* shards: per version set one N, each K once; no version in two sets */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            if (same(in[i].versions, in[j].versions)) {
                if (in[i].n != in[j].n)
                    return err_set(
                        err, EXIT_USAGE,
                        "\"%s\" is shard %d/%d and \"%s\" shard %d/%d of the same versions "
                        "(%s): the shards of one run have one N",
                        in[i].path, in[i].k, in[i].n, in[j].path, in[j].k, in[j].n, in[i].versions);
                if (in[i].k == in[j].k)
                    return err_set(err, EXIT_USAGE,
                                   "shards overlap: \"%s\" and \"%s\" both hold shard %d/%d of "
                                   "versions %s",
                                   in[i].path, in[j].path, in[i].k, in[i].n, in[i].versions);
                continue;
            }
            for (int a = 0; a < in[i].vs.n; a++)
                if (versions_has(&in[j].vs, in[i].vs.v[a]))
                    return err_set(err, EXIT_USAGE,
                                   "shards overlap: \"%s\" (versions %s) and \"%s\" (versions %s) "
                                   "both ran version %d",
                                   in[i].path, in[i].versions, in[j].path, in[j].versions,
                                   in[i].vs.v[a]);
        }
    Buf missing;
    buf_init(&missing);
    for (size_t i = 0; i < n; i++) {
        bool first = true;
        for (size_t j = 0; j < i; j++)
            first &= !same(in[j].versions, in[i].versions);
        if (!first) continue;
        for (int k = 1; k <= in[i].n; k++) {
            bool have = false;
            for (size_t j = i; j < n; j++)
                have |= same(in[j].versions, in[i].versions) && in[j].k == k;
            if (!have)
                buf_printf(&missing, "%s%d/%d (versions %s)", missing.len ? ", " : "", k, in[i].n,
                           in[i].versions);
        }
    }
    if (missing.len) {
        err_set(err, EXIT_USAGE, "missing shards: %s", missing.data);
        buf_free(&missing);
        return -1;
    }
    buf_free(&missing);
    /* every input holds exactly the jobs of its shard */
    for (size_t i = 0; i < n; i++) {
        bool *want = shard_jobs(chains, &in[i].vs, in[i].k, in[i].n);
        size_t lack = 0, extra = 0, first_lack = 0, first_extra = 0;
        for (size_t x = 0; x < chains->n * MAJORS; x++) {
            if (want[x] && !in[i].has_job[x] && lack++ == 0) first_lack = x;
            if (!want[x] && in[i].has_job[x] && extra++ == 0) first_extra = x;
        }
        free(want);
        if (lack || extra) {
            size_t x = lack ? first_lack : first_extra;
            const char *name = chains->names[x / MAJORS];
            return err_set(err, EXIT_USAGE,
                           "\"%s\" (shard %d/%d of versions %s) %s %zu jobs %s its shard, e.g. "
                           "chain \"%s\" on %zu: was it made from another corpus or by a run that "
                           "did not finish?",
                           in[i].path, in[i].k, in[i].n, in[i].versions, lack ? "lacks" : "has",
                           lack ? lack : extra, lack ? "of" : "outside", name ? name : "?",
                           x % MAJORS);
        }
    }
    /* one release per major */
    for (size_t i = 0; i < n; i++)
        for (size_t a = 0; a < in[i].nservers; a++)
            for (size_t j = i + 1; j < n; j++)
                for (size_t b = 0; b < in[j].nservers; b++)
                    if (in[i].smajor[a] == in[j].smajor[b] &&
                        !same(in[i].sversion[a], in[j].sversion[b]))
                        return err_set(err, EXIT_USAGE,
                                       "the shards ran different servers of version %d: %s in "
                                       "\"%s\", %s in \"%s\"",
                                       in[i].smajor[a], in[i].sversion[a], in[i].path,
                                       in[j].sversion[b], in[j].path);
    return 0;
}

/* ---- copying ---------------------------------------------------------------- */

static int exec_sql(sqlite3 *db, const char *path, const char *sql, Err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        err_set(err, EXIT_ENV, "could not write store \"%s\": %s", path,
                msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Runs sql with ?1 = the new run, ?2 = the input's run; returns changes or -1. */
static long long run_bound(sqlite3 *db, const char *path, const char *sql, long long new_run,
                           long long src_run, Err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        err_set(err, EXIT_ENV, "could not write store \"%s\": %s", path, sqlite3_errmsg(db));
        return -1;
    }
    if (sqlite3_bind_parameter_count(st) >= 1) sqlite3_bind_int64(st, 1, new_run);
    if (sqlite3_bind_parameter_count(st) >= 2) sqlite3_bind_int64(st, 2, src_run);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        err_set(err, EXIT_ENV, "could not write store \"%s\": %s", path, sqlite3_errmsg(db));
        return -1;
    }
    return sqlite3_changes64(db);
}

/* The corpus (layouts, migrations, statements) of the first input. */
static const char *const corpus_sql[] = {
    "INSERT INTO main.layouts (run_id, path, first_chain, chains, layout, forced, ups, downs, "
    "downs_run, left_out, left_names, note) "
    "SELECT ?1, path, first_chain, chains, layout, forced, ups, downs, downs_run, left_out, "
    "left_names, note FROM src.layouts WHERE run_id = ?2 ORDER BY id",
    "INSERT INTO main.migrations (run_id, chain, chain_name, position, path, error, wrap_tx, "
    "extracted_from) "
    "SELECT ?1, chain, chain_name, position, path, error, wrap_tx, extracted_from "
    "FROM src.migrations WHERE run_id = ?2 "
    "ORDER BY id",
    "INSERT INTO main.statements (migration_id, idx, line, sql, fingerprint, class, subclasses, "
    "target, target_schema, referenced, no_tx, no_tx_below, tx_control, in_do_block) "
    "SELECT mm.id, s.idx, s.line, s.sql, s.fingerprint, s.class, s.subclasses, s.target, "
    "s.target_schema, s.referenced, s.no_tx, s.no_tx_below, s.tx_control, s.in_do_block "
    "FROM src.statements s JOIN src.migrations sm ON sm.id = s.migration_id AND sm.run_id = ?2 "
    "JOIN main.migrations mm ON mm.run_id = ?1 AND mm.chain = sm.chain AND mm.position = "
    "sm.position "
    "ORDER BY s.id",
};

/* One input's observations; maps in temp tables, dropped after. */
static const char *const observations_sql[] = {
    "CREATE TEMP TABLE stmt_map (old INTEGER PRIMARY KEY, new INTEGER NOT NULL)",
    "INSERT INTO stmt_map SELECT s.id, ms.id FROM src.statements s "
    "JOIN src.migrations sm ON sm.id = s.migration_id AND sm.run_id = ?2 "
    "JOIN main.migrations mm ON mm.run_id = ?1 AND mm.chain = sm.chain AND mm.position = "
    "sm.position "
    "JOIN main.statements ms ON ms.migration_id = mm.id AND ms.idx = s.idx",
    "INSERT OR REPLACE INTO main.servers (run_id, major, version) "
    "SELECT ?1, major, version FROM src.servers WHERE run_id = ?2",
    "INSERT INTO main.jobs (run_id, chain, major, status, reason, attempts, duration_ms, "
    "finished_at) "
    "SELECT ?1, chain, major, status, reason, attempts, duration_ms, finished_at FROM src.jobs "
    "WHERE run_id = ?2 ORDER BY id",
    "CREATE TEMP TABLE job_map (old INTEGER PRIMARY KEY, new INTEGER NOT NULL)",
    "INSERT INTO job_map SELECT j.id, mj.id FROM src.jobs j "
    "JOIN main.jobs mj ON mj.run_id = ?1 AND mj.chain = j.chain AND mj.major = j.major "
    "WHERE j.run_id = ?2",
    "INSERT INTO main.traces (job_id, statement_id, major, status, sqlstate, message, capture, "
    "duration_ms, lock_held_ms, lock_held_relation, lock_held_mode, requested) "
    "SELECT jm.new, sm.new, t.major, t.status, t.sqlstate, t.message, t.capture, "
    "t.duration_ms, t.lock_held_ms, t.lock_held_relation, t.lock_held_mode, t.requested "
    "FROM src.traces t JOIN job_map jm ON jm.old = t.job_id "
    "JOIN stmt_map sm ON sm.old = t.statement_id ORDER BY t.id",
    "CREATE TEMP TABLE trace_map (old INTEGER PRIMARY KEY, new INTEGER NOT NULL)",
    "INSERT INTO trace_map SELECT t.id, mt.id FROM src.traces t "
    "JOIN job_map jm ON jm.old = t.job_id JOIN stmt_map sm ON sm.old = t.statement_id "
    "JOIN main.traces mt ON mt.statement_id = sm.new AND mt.major = t.major",
    "INSERT INTO main.locks (trace_id, relation, role, locktype, mode, granted, held_before) "
    "SELECT tm.new, x.relation, x.role, x.locktype, x.mode, x.granted, x.held_before "
    "FROM src.locks x JOIN trace_map tm ON tm.old = x.trace_id ORDER BY x.id",
    "INSERT INTO main.requests (trace_id, kind, relation, role, locktype, mode) "
    "SELECT tm.new, x.kind, x.relation, x.role, x.locktype, x.mode "
    "FROM src.requests x JOIN trace_map tm ON tm.old = x.trace_id ORDER BY x.id",
    "INSERT INTO main.phase_locks (trace_id, phase, waiting, relation, role, locktype, mode, "
    "granted) SELECT tm.new, x.phase, x.waiting, x.relation, x.role, x.locktype, x.mode, "
    "x.granted FROM src.phase_locks x JOIN trace_map tm ON tm.old = x.trace_id ORDER BY x.id",
    "INSERT INTO main.rewrites (trace_id, relation) SELECT tm.new, x.relation "
    "FROM src.rewrites x JOIN trace_map tm ON tm.old = x.trace_id ORDER BY x.id",
    "INSERT INTO main.scans (trace_id, relation, seq_scan, tup_read) "
    "SELECT tm.new, x.relation, x.seq_scan, x.tup_read "
    "FROM src.scans x JOIN trace_map tm ON tm.old = x.trace_id ORDER BY x.id",
    "INSERT INTO main.changes (trace_id, kind, relation, detail) "
    "SELECT tm.new, x.kind, x.relation, x.detail "
    "FROM src.changes x JOIN trace_map tm ON tm.old = x.trace_id ORDER BY x.id",
    "INSERT INTO main.predictions (trace_id, mode, rewrite, scan, risk, verdict, relations) "
    "SELECT tm.new, x.mode, x.rewrite, x.scan, x.risk, x.verdict, x.relations "
    "FROM src.predictions x JOIN trace_map tm ON tm.old = x.trace_id ORDER BY x.trace_id",
    "INSERT INTO main.evidence (trace_id, kind, size, data) SELECT tm.new, x.kind, x.size, x.data "
    "FROM src.evidence x JOIN trace_map tm ON tm.old = x.trace_id ORDER BY x.id",
    "DROP TABLE temp.stmt_map",
    "DROP TABLE temp.job_map",
    "DROP TABLE temp.trace_map",
};

/* Copies input i (attached as src) in one transaction. */
static int copy_input(sqlite3 *db, const char *out, long long new_run, const Input *in, bool first,
                      MergeResult *res, Err *err)
{
    if (exec_sql(db, out, "BEGIN IMMEDIATE", err) < 0) return -1;
    if (first)
        for (size_t q = 0; q < ARRAY_LEN(corpus_sql); q++)
            if (run_bound(db, out, corpus_sql[q], new_run, in->run, err) < 0) goto fail;
    for (size_t q = 0; q < ARRAY_LEN(observations_sql); q++) {
        long long c = run_bound(db, out, observations_sql[q], new_run, in->run, err);
        if (c < 0) goto fail;
        if (strncmp(observations_sql[q], "INSERT INTO main.jobs", 21) == 0) res->njobs += (size_t)c;
        if (strncmp(observations_sql[q], "INSERT INTO main.traces", 23) == 0)
            res->ntraces += (size_t)c;
    }
    if (exec_sql(db, out, "COMMIT", err) < 0) goto fail;
    return 0;
fail:
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_exec(db,
                 "DROP TABLE IF EXISTS temp.stmt_map; DROP TABLE IF EXISTS temp.job_map; "
                 "DROP TABLE IF EXISTS temp.trace_map",
                 NULL, NULL, NULL);
    return -1;
}

static int attach(sqlite3 *db, const char *out, const char *path, Err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "ATTACH DATABASE ?1 AS src", -1, &st, NULL) != SQLITE_OK)
        return err_set(err, EXIT_ENV, "could not write store \"%s\": %s", out, sqlite3_errmsg(db));
    sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return err_set(err, EXIT_ENV, "could not attach \"%s\": %s", path, sqlite3_errmsg(db));
    return 0;
}

/* The merged run's row; *id its id. */
static int insert_run(sqlite3 *db, const char *out, const Input *in, size_t n, const char *args,
                      const char *versions, long long *id, Err *err)
{
    const char *started = in[0].started_at, *finished = in[0].finished_at;
    bool failed = false;
    int jobs = 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i].started_at && (!started || strcmp(in[i].started_at, started) < 0))
            started = in[i].started_at;
        if (in[i].finished_at && (!finished || strcmp(in[i].finished_at, finished) > 0))
            finished = in[i].finished_at;
        failed |= same(in[i].status, "failed");
        if (in[i].jobs_opt > jobs) jobs = in[i].jobs_opt;
    }
    sqlite3_stmt *st;
    /* 'running' until every input is in: a merge that fails half-way is deleted */
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO runs (started_at, finished_at, status, corpus, versions, "
                           "backend, args, tool_version, jobs, shard, corpus_id) "
                           "VALUES (?1, ?2, 'running', ?3, ?4, ?5, ?6, ?7, ?8, NULL, ?9)",
                           -1, &st, NULL) != SQLITE_OK)
        return err_set(err, EXIT_ENV, "could not write store \"%s\": %s", out, sqlite3_errmsg(db));
    sqlite3_bind_text(st, 1, started ? started : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, finished, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, in[0].corpus ? in[0].corpus : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, versions, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, in[0].backend ? in[0].backend : "embedded", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, args, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, in[0].tool_version, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 8, jobs);
    sqlite3_bind_text(st, 9, in[0].corpus_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return err_set(err, EXIT_ENV, "could not write store \"%s\": %s", out, sqlite3_errmsg(db));
    *id = sqlite3_last_insert_rowid(db);
    return failed ? 1 : 0;
}

static bool same_file(const char *a, const char *b)
{
    struct stat x, y;
    return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

int merge_stores(const char *out_path, char *const *paths, size_t n, const char *args,
                 MergeResult *res, Err *err)
{
    memset(res, 0, sizeof(*res));
    if (n == 0) return err_set(err, EXIT_USAGE, "no stores to merge");
    for (size_t i = 0; i < n; i++)
        if (same_file(out_path, paths[i]))
            return err_set(err, EXIT_USAGE, "\"%s\" is both the output and an input", paths[i]);
    Input *in = xcalloc(n, sizeof(*in));
    Chains chains = {0};
    Store *out = NULL;
    int ret = -1;
    for (size_t i = 0; i < n; i++) {
        in[i].path = paths[i];
        if (read_input(&in[i], i, &chains, err) < 0) goto done;
    }
    if (check_inputs(in, n, &chains, err) < 0) goto done;

    VersionSet all = {.n = 0};
    for (int m = VERSIONS_MIN; m <= VERSIONS_ID_MAX && all.n < VERSIONS_CAP; m++)
        for (size_t i = 0; i < n; i++)
            if (versions_has(&in[i].vs, m)) {
                all.v[all.n++] = m;
                break;
            }
    Buf vb;
    buf_init(&vb);
    versions_format(&all, &vb);
    snprintf(res->versions, sizeof(res->versions), "%s", vb.data ? vb.data : "");
    buf_free(&vb);

    out = store_open(out_path, true, err);
    if (!out) goto done;
    sqlite3 *db = store_db(out);
    long long run = 0;
    int failed = insert_run(db, out_path, in, n, args, res->versions, &run, err);
    if (failed < 0) goto done;
    for (size_t i = 0; i < n; i++) {
        if (attach(db, out_path, in[i].path, err) < 0) goto undo;
        int c = copy_input(db, out_path, run, &in[i], i == 0, res, err);
        sqlite3_exec(db, "DETACH DATABASE src", NULL, NULL, NULL);
        if (c < 0) goto undo;
    }
    char sql[160];
    snprintf(sql, sizeof(sql), "UPDATE runs SET status = '%s' WHERE id = %lld",
             failed ? "failed" : "complete", run);
    if (exec_sql(db, out_path, sql, err) < 0) goto undo;
    res->run_id = run;
    res->ninputs = n;
    snprintf(res->status, sizeof(res->status), "%s", failed ? "failed" : "complete");
    ret = 0;
    goto done;
undo:
    snprintf(sql, sizeof(sql), "DELETE FROM runs WHERE id = %lld", run);
    sqlite3_exec(db, sql, NULL, NULL, NULL);
done:
    store_close(out);
    for (size_t i = 0; i < n; i++)
        input_free(&in[i]);
    free(in);
    chains_free(&chains);
    return ret;
}
