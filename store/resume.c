/*
 * store/resume: finding, checking and claiming an unfinished run.
 *
 * The process that writes a run is recorded in meta ("owner.run.<id>":
 * "<host> <pid> <start time>", start time from /proc/<pid>/stat) from
 * store_run_begin (or store_run_claim) until store_run_finish, so that a
 * resume never takes over a run whose writer is still alive.
 */
#include "store/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *owner_self(void)
{
    char host[256] = "";
    gethostname(host, sizeof(host) - 1);
    return xasprintf("%s %ld %llu", host[0] ? host : "-", (long)getpid(), proc_starttime(getpid()));
}

/* True when owner (as written by owner_self) is a live process of this host
 * other than this one. */
static bool owner_alive(const char *owner)
{
    char host[256] = "", me[256] = "";
    long pid = 0;
    unsigned long long start = 0;
    if (!owner || sscanf(owner, "%255s %ld %llu", host, &pid, &start) != 3 || pid <= 0)
        return false;
    gethostname(me, sizeof(me) - 1);
    if (strcmp(host, me[0] ? me : "-") != 0)
        return true; /* another machine: we cannot tell, assume it is running */
    return pid != (long)getpid() && proc_starttime((pid_t)pid) == start;
}

int store_owner_put(Store *s, long long run_id, Err *err)
{
    char *owner = owner_self();
    char *sql = sqlite3_mprintf("INSERT OR REPLACE INTO meta (key, value) "
                                "VALUES ('owner.run.%lld', %Q)",
                                run_id, owner);
    int rc = store_exec(s, sql, err, "write");
    sqlite3_free(sql);
    free(owner);
    return rc;
}

void store_owner_drop(Store *s, long long run_id)
{
    char *sql = sqlite3_mprintf("DELETE FROM meta WHERE key = 'owner.run.%lld'", run_id);
    sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    sqlite3_free(sql);
}

void store_run_record_free(StoreRun *r)
{
    free(r->status);
    free(r->corpus);
    free(r->versions);
    free(r->backend);
    free(r->args);
    memset(r, 0, sizeof(*r));
}

int store_run_unfinished(Store *s, StoreRun *out, Err *err)
{
    memset(out, 0, sizeof(*out));
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT id, status, corpus, versions, backend, args, jobs FROM runs "
                           "WHERE status <> 'complete' ORDER BY id DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return store_db_err(s, err, "read");
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        char **text[] = {&out->status, &out->corpus, &out->versions, &out->backend, &out->args};
        out->id = sqlite3_column_int64(st, 0);
        for (size_t k = 0; k < ARRAY_LEN(text); k++)
            *text[k] = store_col_str(st, (int)k + 1);
        out->jobs = sqlite3_column_int(st, 6);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_db_err(s, err, "read");
    return 0;
}

/* corpus_migration_each: compares each statement with the next stored row
 * of its migration; the first difference goes to err. */
typedef struct StmtComparer {
    Store *s;
    sqlite3_stmt *rows; /* idx, line, sql of the stored migration, in order */
    long long run_id;
    const char *path;
    bool failed;
    Err *err;
} StmtComparer;

static void compare_each(void *ctx, Statement *now)
{
    StmtComparer *cp = ctx;
    if (cp->failed) return;
    int rc = sqlite3_step(cp->rows);
    if (rc != SQLITE_ROW) {
        cp->failed = true;
        if (rc == SQLITE_DONE)
            err_set(cp->err, EXIT_USAGE, "the corpus changed since run %lld: \"%s\"", cp->run_id,
                    cp->path);
        else
            store_db_err(cp->s, cp->err, "read");
        return;
    }
    const char *sql = (const char *)sqlite3_column_text(cp->rows, 2);
    if (sqlite3_column_int64(cp->rows, 0) != now->index || !sql ||
        strcmp(sql, now->sql ? now->sql : "") != 0 ||
        sqlite3_column_int(cp->rows, 1) != now->line) {
        cp->failed = true;
        err_set(cp->err, EXIT_USAGE,
                "the corpus changed since run %lld: \"%s\" line %d: statement %d "
                "is not the one traced then",
                cp->run_id, cp->path, now->line, now->index);
    }
}

int store_run_compare(Store *s, long long run_id, Corpus *c, Err *err)
{
    sqlite3_stmt *st, *rows;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT m.chain, m.position, m.path, "
                           "(SELECT count(*) FROM statements x WHERE x.migration_id = m.id), m.id "
                           "FROM migrations m WHERE m.run_id = ?1 ORDER BY m.chain, m.position",
                           -1, &st, NULL) != SQLITE_OK)
        return store_db_err(s, err, "read");
    if (sqlite3_prepare_v2(
            s->db, "SELECT idx, line, sql FROM statements WHERE migration_id = ?1 ORDER BY idx", -1,
            &rows, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return store_db_err(s, err, "read");
    }
    sqlite3_bind_int64(st, 1, run_id);
    size_t nmigs = 0, want_migs = 0;
    for (size_t i = 0; i < c->nchains; i++)
        want_migs += c->chains[i].nmigs;
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        long long chain = sqlite3_column_int64(st, 0), pos = sqlite3_column_int64(st, 1);
        const char *path = (const char *)sqlite3_column_text(st, 2);
        long long nst = sqlite3_column_int64(st, 3);
        nmigs++;
        if (chain < 0 || (size_t)chain >= c->nchains || pos < 1 ||
            (size_t)pos > c->chains[chain].nmigs) {
            ret = err_set(err, EXIT_USAGE, "the corpus changed since run %lld: \"%s\" is gone",
                          run_id, path ? path : "");
            break;
        }
        Migration *m = &c->chains[chain].migs[pos - 1];
        if (!path || strcmp(path, m->path) != 0) {
            ret = err_set(err, EXIT_USAGE,
                          "the corpus changed since run %lld: \"%s\" where \"%s\" was", run_id,
                          m->path, path ? path : "");
            break;
        }
        if ((size_t)nst != m->nstmts) {
            ret = err_set(err, EXIT_USAGE,
                          "the corpus changed since run %lld: \"%s\" has %zu statements, "
                          "it had %lld",
                          run_id, m->path, m->nstmts, nst);
            break;
        }
        /* statement by statement, as the file is split again */
        sqlite3_reset(rows);
        sqlite3_bind_int64(rows, 1, sqlite3_column_int64(st, 4));
        StmtComparer cp = {.s = s, .rows = rows, .run_id = run_id, .path = m->path, .err = err};
        if (corpus_migration_each(m, compare_each, &cp, err) != 0 || cp.failed) {
            ret = -1;
            break;
        }
    }
    if (ret == 0 && rc != SQLITE_DONE) ret = store_db_err(s, err, "read");
    sqlite3_finalize(rows);
    sqlite3_finalize(st);
    if (ret == 0 && nmigs != want_migs)
        ret = err_set(err, EXIT_USAGE,
                      "the corpus changed since run %lld: %zu migrations, it had %zu", run_id,
                      want_migs, nmigs);
    return ret;
}

int store_run_jobs_ok(Store *s, long long run_id, size_t **chains, int **majors, size_t *n,
                      Err *err)
{
    *chains = NULL;
    *majors = NULL;
    *n = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT chain, major FROM jobs WHERE run_id = ?1 AND status = 'ok' "
                           "ORDER BY chain, major",
                           -1, &st, NULL) != SQLITE_OK)
        return store_db_err(s, err, "read");
    sqlite3_bind_int64(st, 1, run_id);
    size_t cap = 0, mcap = 0, nm = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *ARRAY_PUSH(*chains, *n, cap) = (size_t)sqlite3_column_int64(st, 0);
        *ARRAY_PUSH(*majors, nm, mcap) = sqlite3_column_int(st, 1);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(*chains);
        free(*majors);
        *chains = NULL;
        *majors = NULL;
        *n = 0;
        return store_db_err(s, err, "read");
    }
    return 0;
}

int store_run_claim(Store *s, long long run_id, Err *err)
{
    if (store_tx_begin(s, err) < 0) return -1;
    sqlite3_stmt *st;
    char *owner = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'owner.run.' || ?1", -1, &st,
                           NULL) != SQLITE_OK) {
        store_db_err(s, err, "read");
        goto fail;
    }
    sqlite3_bind_int64(st, 1, run_id);
    if (sqlite3_step(st) == SQLITE_ROW) owner = store_col_str(st, 0);
    sqlite3_finalize(st);
    if (owner_alive(owner)) {
        long pid = 0;
        sscanf(owner, "%*s %ld", &pid);
        err_set(err, EXIT_ENV, "run %lld is still being written by process %ld (%s)", run_id, pid,
                s->path);
        free(owner);
        goto fail;
    }
    free(owner);
    char *sql = sqlite3_mprintf(
        "UPDATE runs SET status = 'running', finished_at = NULL WHERE id = %lld", run_id);
    int rc = store_exec(s, sql, err, "write");
    sqlite3_free(sql);
    if (rc < 0 || store_owner_put(s, run_id, err) < 0) goto fail;
    if (store_tx_commit(s, err) < 0) goto fail;
    return 0;
fail:
    store_tx_rollback(s);
    return -1;
}
