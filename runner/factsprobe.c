/*
 * factsprobe: reads PostgreSQL's per-version facts from a real server (see
 * factsprobe.h). The rows go into a Facts as predict/facts.c defines them;
 * a child process hands them to its parent in that file's format.
 */
#include "runner/factsprobe.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner/pgconn.h"

#define QUERY_MS 30000

/* The ALTER COLUMN TYPE probes: a column declared from, altered to to. Each
 * runs under a session TimeZone of UTC and of another zone. */
static const struct probe {
    const char *from, *to;
    FactsUsing using;
} probes[] = {
    /* integers among themselves, and out of them */
    {"int2", "int4", FACTS_USING_NONE},
    {"int2", "int8", FACTS_USING_NONE},
    {"int4", "int2", FACTS_USING_NONE},
    {"int4", "int8", FACTS_USING_NONE},
    {"int4", "int8", FACTS_USING_SELF},
    {"int8", "int2", FACTS_USING_NONE},
    {"int8", "int4", FACTS_USING_NONE},
    {"int4", "numeric", FACTS_USING_NONE},
    {"int4", "numeric(10,2)", FACTS_USING_NONE},
    {"int4", "text", FACTS_USING_NONE},
    /* numeric's precision and scale */
    {"numeric(10,2)", "numeric(10,2)", FACTS_USING_NONE},
    {"numeric(10,2)", "numeric(12,2)", FACTS_USING_NONE},
    {"numeric(12,2)", "numeric(10,2)", FACTS_USING_NONE},
    {"numeric(10,2)", "numeric(10,3)", FACTS_USING_NONE},
    {"numeric(10,2)", "numeric(12,4)", FACTS_USING_NONE},
    {"numeric(10,2)", "numeric", FACTS_USING_NONE},
    {"numeric", "numeric(10,2)", FACTS_USING_NONE},
    {"numeric(10,2)", "int4", FACTS_USING_NONE},
    /* character types with lengths */
    {"varchar(10)", "varchar(20)", FACTS_USING_NONE},
    {"varchar(10)", "varchar(20)", FACTS_USING_SELF},
    {"varchar(20)", "varchar(10)", FACTS_USING_NONE},
    {"varchar(10)", "varchar(10)", FACTS_USING_NONE},
    {"varchar(10)", "varchar", FACTS_USING_NONE},
    {"varchar", "varchar(10)", FACTS_USING_NONE},
    {"varchar(10)", "text", FACTS_USING_NONE},
    {"varchar", "text", FACTS_USING_NONE},
    {"text", "varchar", FACTS_USING_NONE},
    {"text", "varchar(10)", FACTS_USING_NONE},
    {"varchar(10)", "bpchar(10)", FACTS_USING_NONE},
    {"bpchar(10)", "bpchar(20)", FACTS_USING_NONE},
    {"bpchar(20)", "bpchar(10)", FACTS_USING_NONE},
    {"bpchar(10)", "varchar(10)", FACTS_USING_NONE},
    {"bpchar(10)", "varchar", FACTS_USING_NONE},
    {"bpchar(10)", "text", FACTS_USING_NONE},
    {"text", "bpchar(10)", FACTS_USING_NONE},
    /* bit strings */
    {"bit(8)", "bit(16)", FACTS_USING_NONE},
    {"bit(16)", "bit(8)", FACTS_USING_NONE},
    {"bit(8)", "varbit(8)", FACTS_USING_NONE},
    {"bit(8)", "varbit", FACTS_USING_NONE},
    {"varbit(8)", "varbit(16)", FACTS_USING_NONE},
    {"varbit(16)", "varbit(8)", FACTS_USING_NONE},
    {"varbit(8)", "varbit", FACTS_USING_NONE},
    {"varbit", "varbit(8)", FACTS_USING_NONE},
    /* times and their fractional precision */
    {"time(3)", "time(6)", FACTS_USING_NONE},
    {"time(6)", "time(3)", FACTS_USING_NONE},
    {"time(3)", "time", FACTS_USING_NONE},
    {"time", "time(3)", FACTS_USING_NONE},
    {"timetz(3)", "timetz(6)", FACTS_USING_NONE},
    {"timetz(6)", "timetz(3)", FACTS_USING_NONE},
    {"timetz(3)", "timetz", FACTS_USING_NONE},
    {"timetz", "timetz(3)", FACTS_USING_NONE},
    {"timestamp(3)", "timestamp(6)", FACTS_USING_NONE},
    {"timestamp(6)", "timestamp(3)", FACTS_USING_NONE},
    {"timestamp(3)", "timestamp", FACTS_USING_NONE},
    {"timestamp", "timestamp(3)", FACTS_USING_NONE},
    {"timestamptz(3)", "timestamptz(6)", FACTS_USING_NONE},
    {"timestamptz(6)", "timestamptz(3)", FACTS_USING_NONE},
    {"timestamptz(3)", "timestamptz", FACTS_USING_NONE},
    {"timestamptz", "timestamptz(3)", FACTS_USING_NONE},
    {"interval(3)", "interval(6)", FACTS_USING_NONE},
    {"interval(6)", "interval(3)", FACTS_USING_NONE},
    {"interval(3)", "interval", FACTS_USING_NONE},
    {"interval", "interval(3)", FACTS_USING_NONE},
    {"interval", "interval day to second", FACTS_USING_NONE},
    /* timestamp and timestamptz, date */
    {"timestamp", "timestamptz", FACTS_USING_NONE},
    {"timestamptz", "timestamp", FACTS_USING_NONE},
    {"timestamp(3)", "timestamptz(3)", FACTS_USING_NONE},
    {"date", "timestamp", FACTS_USING_NONE},
    {"date", "timestamptz", FACTS_USING_NONE},
    /* json, text, uuid */
    {"json", "jsonb", FACTS_USING_NONE},
    {"jsonb", "json", FACTS_USING_NONE},
    {"text", "json", FACTS_USING_CAST},
    {"text", "jsonb", FACTS_USING_CAST},
    {"json", "text", FACTS_USING_NONE},
    {"jsonb", "text", FACTS_USING_NONE},
    {"uuid", "text", FACTS_USING_NONE},
    {"text", "uuid", FACTS_USING_CAST},
};

/* The session TimeZone of each pass: UTC, and one that is not. */
static const struct zone {
    const char *tz;
    FactsTz which;
} zones[] = {{"UTC", FACTS_TZ_UTC}, {"America/New_York", FACTS_TZ_NON_UTC}};

/* Runs sql; the reply in *r (clear it) or -1 with err naming what for. */
static int run(PgConn *c, const char *sql, const char *what, PgReply *r, Err *err)
{
    if (pgconn_exec(c, sql, QUERY_MS, r) == PG_OK) return 0;
    err_set(err, EXIT_ENV, "%s: \"%s\": %s", what, sql, r->message ? r->message : "failed");
    pgreply_clear(r);
    return -1;
}

/* ---- catalogs ---------------------------------------------------------- */

static int read_casts(PgConn *c, int major, Facts *f, Err *err)
{
    static const char sql[] =
        "SELECT s.typname, t.typname,"
        " CASE c.castmethod WHEN 'b' THEN 'binary' WHEN 'f' THEN 'function' ELSE 'inout' END,"
        " CASE c.castcontext WHEN 'i' THEN 'implicit' WHEN 'a' THEN 'assignment'"
        " ELSE 'explicit' END"
        " FROM pg_cast c JOIN pg_type s ON s.oid = c.castsource"
        " JOIN pg_type t ON t.oid = c.casttarget"
        " WHERE c.oid < 16384 AND s.typtype = 'b' AND t.typtype = 'b'"
        " AND s.typcategory <> 'A' AND t.typcategory <> 'A'"
        " AND s.typnamespace = 'pg_catalog'::regnamespace"
        " AND t.typnamespace = 'pg_catalog'::regnamespace";
    PgReply r = {0};
    if (run(c, sql, "reading pg_cast", &r, err) < 0) return -1;
    int n = r.nres ? PQntuples(r.res[0]) : 0;
    for (int i = 0; i < n; i++) {
        const char *fields[4];
        for (int j = 0; j < 4; j++)
            fields[j] = pgreply_value(&r, 0, i, j);
        facts_add(f, FACT_CAST, major, major, fields);
    }
    pgreply_clear(&r);
    return 0;
}

static int read_functions(PgConn *c, int major, Facts *f, Err *err)
{
    /* plain functions only: an aggregate or a procedure is no default */
    char *sql = xasprintf(
        "SELECT p.proname, '(' || coalesce((SELECT string_agg(t.typname, ',' ORDER BY a.n)"
        " FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY a(o, n)"
        " JOIN pg_type t ON t.oid = a.o), '') || ')', p.provolatile"
        " FROM pg_proc p WHERE p.pronamespace = 'pg_catalog'::regnamespace AND %s"
        " ORDER BY 1, 2",
        pgconn_server_version(c) >= 110000 ? "p.prokind = 'f'"
                                           : "NOT p.proisagg AND NOT p.proiswindow");
    PgReply r = {0};
    int rc = run(c, sql, "reading pg_proc", &r, err);
    free(sql);
    if (rc < 0) return -1;
    int n = r.nres ? PQntuples(r.res[0]) : 0;
    /* a name's overloads are neighbours: when they agree one row without
     * arguments, else a row for each */
    for (int i = 0; i < n;) {
        const char *name = pgreply_value(&r, 0, i, 0);
        const char *first = pgreply_value(&r, 0, i, 2);
        int end = i;
        bool agree = true;
        while (end < n && strcmp(pgreply_value(&r, 0, end, 0), name) == 0) {
            if (strcmp(pgreply_value(&r, 0, end, 2), first) != 0) agree = false;
            end++;
        }
        for (int k = i; k < end; k++) {
            const char *fields[3] = {
                name, agree ? "-" : pgreply_value(&r, 0, k, 1),
                facts_volatility_name(facts_volatility_of(pgreply_value(&r, 0, k, 2)[0]))};
            facts_add(f, FACT_FUNCTION, major, major, fields);
            if (agree) break;
        }
        i = end;
    }
    pgreply_clear(&r);
    return 0;
}

/* ---- ALTER COLUMN TYPE ------------------------------------------------- */

/* The column's type and typmod, the table's and the index's relfilenode
 * ("" for no index). */
typedef struct State {
    char type[64];
    int typmod;
    char table[32], index[32];
} State;

static int read_state(PgConn *c, State *s, Err *err)
{
    static const char sql[] = "SELECT t.typname, a.atttypmod, pg_relation_filenode('lm_facts'),"
                              " coalesce(pg_relation_filenode(to_regclass('lm_facts_i'))::text, '')"
                              " FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
                              " WHERE a.attrelid = 'lm_facts'::regclass AND a.attname = 'c'";
    PgReply r = {0};
    if (run(c, sql, "reading the column", &r, err) < 0) return -1;
    const char *v[4];
    for (int j = 0; j < 4; j++)
        v[j] = pgreply_value(&r, 0, 0, j);
    if (!v[0] || !v[1] || !v[2] || !v[3]) {
        pgreply_clear(&r);
        return err_set(err, EXIT_ENV, "reading the column: no row for lm_facts.c");
    }
    snprintf(s->type, sizeof(s->type), "%s", v[0]);
    s->typmod = atoi(v[1]);
    snprintf(s->table, sizeof(s->table), "%s", v[2]);
    snprintf(s->index, sizeof(s->index), "%s", v[3]);
    pgreply_clear(&r);
    return 0;
}

/* One probe; with_index false: no index on the column. 1 when the ALTER
 * failed because the new type has no btree operator class (the index cannot
 * be rebuilt: probe again without one). */
static int probe_one(PgConn *c, const struct probe *p, const struct zone *z, bool with_index,
                     int major, Facts *f, Err *err)
{
    PgReply r = {0};
    char *setup = xasprintf("SET TimeZone = '%s'; DROP TABLE IF EXISTS lm_facts;"
                            " CREATE TABLE lm_facts (c %s); INSERT INTO lm_facts VALUES (NULL)",
                            z->tz, p->from);
    int rc = run(c, setup, "creating the probe's table", &r, err);
    free(setup);
    if (rc < 0) return -1;
    pgreply_clear(&r);
    /* a type without a btree operator class (json) gets no index */
    if (with_index) {
        pgconn_exec(c, "CREATE INDEX lm_facts_i ON lm_facts (c)", QUERY_MS, &r);
        bool lost = r.status == PG_LOST || r.status == PG_TIMEOUT;
        pgreply_clear(&r);
        if (lost)
            return err_set(err, EXIT_ENV, "creating the probe's index: the server did not answer");
    }

    State before, after;
    if (read_state(c, &before, err) < 0) return -1;
    char *alter = xasprintf("ALTER TABLE lm_facts ALTER COLUMN c TYPE %s%s%s", p->to,
                            p->using == FACTS_USING_SELF   ? " USING c"
                            : p->using == FACTS_USING_CAST ? " USING c::"
                                                           : "",
                            p->using == FACTS_USING_CAST ? p->to : "");
    pgconn_exec(c, alter, QUERY_MS, &r);
    bool no_opclass = r.status == PG_REFUSED && strcmp(r.sqlstate, "42704") == 0 && *before.index;
    if (no_opclass || r.status != PG_OK) {
        if (!no_opclass)
            err_set(err, EXIT_ENV, "probing: \"%s\": %s", alter, r.message ? r.message : "failed");
        pgreply_clear(&r);
        free(alter);
        return no_opclass ? 1 : -1;
    }
    pgreply_clear(&r);
    free(alter);
    if (read_state(c, &after, err) < 0) return -1;

    const char *fields[7] = {
        before.type,
        after.type,
        facts_relation_name(
            facts_typmod_relation(before.type, before.typmod, after.type, after.typmod)),
        facts_using_name(p->using),
        facts_tz_name(z->which),
        tri_name(strcmp(before.table, after.table) != 0 ? TRI_YES : TRI_NO),
        !*before.index ? "-" : tri_name(strcmp(before.index, after.index) != 0 ? TRI_YES : TRI_NO),
    };
    facts_add(f, FACT_TYPECHANGE, major, major, fields);
    return 0;
}

/* The probes' rows of one (from, to, relation, using) that agree under every
 * zone become one row of tz "any". */
static void merge_zones(Facts *f, size_t from)
{
    for (size_t i = from; i < f->nrows; i++) {
        FactRow *a = &f->rows[i];
        if (a->kind != FACT_TYPECHANGE || strcmp(a->f[4], facts_tz_name(FACTS_TZ_UTC)) != 0)
            continue;
        for (size_t j = from; j < f->nrows; j++) {
            FactRow *b = &f->rows[j];
            if (b->kind != FACT_TYPECHANGE || strcmp(b->f[4], facts_tz_name(FACTS_TZ_NON_UTC)) != 0)
                continue;
            bool same = true;
            for (int k = 0; k < b->nf && same; k++)
                same = k == 4 || strcmp(a->f[k], b->f[k]) == 0;
            if (!same) continue;
            free(a->f[4]);
            a->f[4] = xstrdup(facts_tz_name(FACTS_TZ_ANY));
            for (int k = 0; k < b->nf; k++)
                free(b->f[k]);
            f->rows[j] = f->rows[--f->nrows];
            break;
        }
    }
}

int factsprobe_server(const char *conninfo, int major, Facts *f, Err *err)
{
    PgConn *c = pgconn_connect(conninfo, 10000, err);
    if (!c) return -1;
    int rc = read_casts(c, major, f, err);
    if (rc == 0) rc = read_functions(c, major, f, err);
    size_t first = f->nrows;
    for (size_t i = 0; rc == 0 && i < ARRAY_LEN(probes); i++)
        for (size_t z = 0; rc == 0 && z < ARRAY_LEN(zones); z++) {
            if ((rc = probe_one(c, &probes[i], &zones[z], true, major, f, err)) == 1)
                rc = probe_one(c, &probes[i], &zones[z], false, major, f, err);
            if (rc < 0) {
                char *m = xasprintf("%s -> %s: %s", probes[i].from, probes[i].to, err->msg);
                err_set(err, EXIT_ENV, "%s", m);
                free(m);
            }
        }
    if (rc == 0) {
        merge_zones(f, first);
        PgReply r = {0};
        pgconn_exec(c, "DROP TABLE IF EXISTS lm_facts", QUERY_MS, &r);
        pgreply_clear(&r);
    }
    pgconn_close(c);
    return rc;
}

/* ---- a server of one version ------------------------------------------- */

/* The child: starts the container, writes the rows (or "!" and the error)
 * to fd, stops it. Never returns. */
static void child(const BackendOps *ops, const BackendCfg *cfg, int major, int seq, int fd)
{
    Err err = {0};
    Container ct;
    Buf out;
    buf_init(&out);
    int code = 0;
    if (ops->start(cfg, major, seq, &ct, &err) != 0) {
        buf_printf(&out, "!starting PostgreSQL %d: %s\n", major, err.msg);
        code = 1;
    } else {
        char *conninfo = xasprintf("%s dbname=postgres", ct.conninfo);
        Facts *f = facts_new();
        if (factsprobe_server(conninfo, major, f, &err) != 0) {
            buf_printf(&out, "!PostgreSQL %s: %s\n", ct.server_version, err.msg);
            code = 1;
        } else {
            facts_merge(f); /* two probes of one category that agree make one row */
            buf_printf(&out, "# PostgreSQL %s\n", ct.server_version);
            for (size_t i = 0; i < f->nrows; i++) {
                facts_write_row(&f->rows[i], &out);
                buf_putc(&out, '\n');
            }
        }
        facts_free(f);
        free(conninfo);
        ops->stop(cfg, &ct);
    }
    for (size_t off = 0; off < out.len;) {
        ssize_t w = write(fd, out.data + off, out.len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) _exit(2);
        off += (size_t)w;
    }
    _exit(code);
}

int factsprobe_version(const BackendOps *ops, const BackendCfg *cfg, int major, int seq,
                       int timeout_ms, Facts *f, Err *err)
{
    int fds[2];
    if (pipe(fds) != 0) return err_set(err, EXIT_ENV, "pipe: %s", strerror(errno));
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return err_set(err, EXIT_ENV, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        close(fds[0]);
        child(ops, cfg, major, seq, fds[1]);
    }
    close(fds[1]);

    Buf in;
    buf_init(&in);
    double deadline = now_ms() + timeout_ms;
    bool timed_out = false;
    for (;;) {
        int left = (int)(deadline - now_ms());
        if (left <= 0) {
            timed_out = true;
            break;
        }
        struct pollfd p = {.fd = fds[0], .events = POLLIN};
        int n = poll(&p, 1, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) continue;
        char chunk[8192];
        ssize_t got = read(fds[0], chunk, sizeof(chunk));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        buf_append(&in, chunk, (size_t)got);
    }
    close(fds[0]);
    if (timed_out) kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (timed_out) ops->reap(cfg, seq);

    int rc = 0;
    if (timed_out) {
        rc =
            err_set(err, EXIT_ENV, "PostgreSQL %d: no facts within %d s", major, timeout_ms / 1000);
    } else if (in.len > 0 && in.data[0] == '!') {
        size_t n = strcspn(in.data + 1, "\n");
        rc = err_set(err, EXIT_ENV, "%.*s", (int)n, in.data + 1);
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        rc = err_set(err, EXIT_ENV, "PostgreSQL %d: the probing process failed (status %d)", major,
                     status);
    } else {
        char *name = xasprintf("PostgreSQL %d", major);
        Facts *got = NULL;
        rc = facts_parse(in.data ? in.data : "", in.len, name, &got, err);
        free(name);
        for (size_t i = 0; rc == 0 && i < got->nrows; i++)
            facts_add(f, got->rows[i].kind, got->rows[i].first, got->rows[i].last,
                      (const char *const *)got->rows[i].f);
        facts_free(got);
    }
    buf_free(&in);
    return rc;
}
