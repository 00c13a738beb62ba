/*
 * test_tracer: the tracer against a real server, a table of cases.
 *
 *   LM_TEST_CONNINFO  libpq conninfo of a throwaway database (dbname included)
 *   LM_TEST_MAJOR     the server's major version (read from the server when unset)
 *   LM_TEST_VERBOSE   print every trace
 *
 * Without LM_TEST_CONNINFO the test passes with nothing checked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner/pgconn.h"
#include "runner/tracer.h"
#include "tests/unit/servers.h"

#define TIMEOUT_MS 1500

typedef struct ExpLock {
    const char *relation; /* NULL ends the list */
    const char *role;
    const char *mode;     /* NULL: any mode, just present */
    int min, max;         /* majors where expected (0: any) */
    bool absent;          /* must not be there */
} ExpLock;

typedef struct Case {
    const char *name;
    int min, max;           /* majors the case runs on (0: any) */
    const char *setup;      /* traced as one statement first (keeps the tracer's cache right) */
    const char *sql;
    const char *target, *target_schema, *referenced;
    bool no_tx;
    int no_tx_below;
    bool tx_control;
    TraceStatus status;
    const char *sqlstate;
    const char *capture;    /* NULL: "tx" */
    int rewrite_until;      /* a rewrite of the target expected on majors <= this; -1 never; -2 don't check */
    int scan_until;         /* a sequential scan of the target expected on majors <= this; -1 never; -2 don't check */
    bool no_relation_locks; /* no relation lock at all, and no lock of any kind */
    const char *change_kind, *change_relation; /* one expected catalog change */
    const char *role_present; /* some lock has this role */
    ExpLock locks[4];
} Case;

static const Case cases[] = {
    {.name = "add column default constant",
     .setup = "DROP TABLE IF EXISTS acd; CREATE TABLE acd(id int); INSERT INTO acd SELECT generate_series(1, 1000)",
     .sql = "ALTER TABLE acd ADD COLUMN c int DEFAULT 0", .target = "acd",
     .rewrite_until = 10, .scan_until = 10,
     .change_kind = "column_added", .change_relation = "acd",
     .locks = {{"acd", "table", "AccessExclusiveLock"}}},
    {.name = "alter column type int to bigint",
     .setup = "DROP TABLE IF EXISTS ib; CREATE TABLE ib(id int primary key, v text); INSERT INTO ib SELECT g, 'x' FROM generate_series(1, 1000) g",
     .sql = "ALTER TABLE ib ALTER COLUMN id TYPE bigint", .target = "ib",
     .rewrite_until = 99, .scan_until = 99, .role_present = "transient",
     .change_kind = "column_altered", .change_relation = "ib",
     .locks = {{"ib", "table", "AccessExclusiveLock"}}},
    {.name = "alter column type varchar(10) to varchar(20)",
     .setup = "DROP TABLE IF EXISTS vc; CREATE TABLE vc(v varchar(10)); INSERT INTO vc SELECT 'x' FROM generate_series(1, 1000)",
     .sql = "ALTER TABLE vc ALTER COLUMN v TYPE varchar(20)", .target = "vc",
     .rewrite_until = -1, .scan_until = -1,
     .change_kind = "column_altered", .change_relation = "vc",
     .locks = {{"vc", "table", "AccessExclusiveLock"}}},
    {.name = "create index",
     .setup = "DROP TABLE IF EXISTS ci; CREATE TABLE ci(id int, v int); INSERT INTO ci SELECT g, g FROM generate_series(1, 1000) g",
     .sql = "CREATE INDEX ci_v ON ci (v)", .target = "ci",
     .rewrite_until = -1, .scan_until = 99,
     .change_kind = "index_created", .change_relation = "ci_v",
     .locks = {{"ci", "table", "ShareLock"}, {"ci_v", "new", NULL},
               {"ci", "table", "AccessExclusiveLock", .absent = true}}},
    {.name = "create index concurrently",
     .setup = "DROP TABLE IF EXISTS cic; CREATE TABLE cic(id int, v int); INSERT INTO cic SELECT g, g FROM generate_series(1, 1000) g",
     .sql = "CREATE INDEX CONCURRENTLY cic_v ON cic (v)", .target = "cic", .no_tx = true,
     .capture = "phase", .rewrite_until = -1, .scan_until = -2,
     .change_kind = "index_created", .change_relation = "cic_v",
     .locks = {{"cic", "table", "ShareUpdateExclusiveLock"},
               {"cic", "table", "ShareLock", .absent = true}}},
    {.name = "set not null",
     .setup = "DROP TABLE IF EXISTS snn; CREATE TABLE snn(id int); INSERT INTO snn SELECT generate_series(1, 1000)",
     .sql = "ALTER TABLE snn ALTER COLUMN id SET NOT NULL", .target = "snn",
     .rewrite_until = -1, .scan_until = 99,
     .change_kind = "column_altered", .change_relation = "snn",
     .locks = {{"snn", "table", "AccessExclusiveLock"}}},
    {.name = "set not null with a valid check",
     .setup = "DROP TABLE IF EXISTS snc; CREATE TABLE snc(id int, CONSTRAINT snc_id_nn CHECK (id IS NOT NULL)); INSERT INTO snc SELECT generate_series(1, 1000)",
     .sql = "ALTER TABLE snc ALTER COLUMN id SET NOT NULL", .target = "snc",
     .rewrite_until = -1, .scan_until = 11,
     .locks = {{"snc", "table", "AccessExclusiveLock"}}},
    {.name = "add foreign key",
     .setup = "DROP TABLE IF EXISTS fk_child, fk_parent; CREATE TABLE fk_parent(id int primary key); "
              "CREATE TABLE fk_child(id int, pid int); INSERT INTO fk_parent SELECT generate_series(1, 100); "
              "INSERT INTO fk_child SELECT g, g FROM generate_series(1, 100) g",
     .sql = "ALTER TABLE fk_child ADD CONSTRAINT fk_child_pid FOREIGN KEY (pid) REFERENCES fk_parent (id)",
     .target = "fk_child", .referenced = "fk_parent", .rewrite_until = -1, .scan_until = -2,
     .change_kind = "constraint_added", .change_relation = "fk_child",
     .locks = {{"fk_child", "table", "ShareRowExclusiveLock"},
               {"fk_parent", "referenced", "ShareRowExclusiveLock"},
               {"fk_parent_pkey", "other", "AccessShareLock"}}},
    {.name = "add foreign key, referenced found from the new constraint",
     .setup = "DROP TABLE IF EXISTS fk2_child, fk2_parent; CREATE TABLE fk2_parent(id int primary key); "
              "CREATE TABLE fk2_child(id int, pid int)",
     .sql = "ALTER TABLE fk2_child ADD FOREIGN KEY (pid) REFERENCES fk2_parent (id) NOT VALID",
     .target = "fk2_child", .rewrite_until = -1, .scan_until = -1,
     .change_kind = "constraint_added", .change_relation = "fk2_child",
     .locks = {{"fk2_parent", "referenced", "ShareRowExclusiveLock"}}},
    {.name = "validate constraint",
     .setup = "DROP TABLE IF EXISTS vcon; CREATE TABLE vcon(id int); INSERT INTO vcon SELECT generate_series(1, 100); "
              "ALTER TABLE vcon ADD CONSTRAINT vcon_pos CHECK (id > 0) NOT VALID",
     .sql = "ALTER TABLE vcon VALIDATE CONSTRAINT vcon_pos", .target = "vcon",
     .rewrite_until = -1, .scan_until = 99,
     .change_kind = "constraint_validated", .change_relation = "vcon",
     .locks = {{"vcon", "table", "ShareUpdateExclusiveLock"},
               {"vcon", "table", "AccessExclusiveLock", .absent = true}}},
    {.name = "a failing statement",
     .sql = "ALTER TABLE no_such_table ADD COLUMN x int", .target = "no_such_table",
     .status = TRACE_ERROR, .sqlstate = "42P01", .rewrite_until = -1, .scan_until = -1},
    {.name = "select 1 takes no lock (the tracer does not pollute)",
     .sql = "SELECT 1", .rewrite_until = -1, .scan_until = -1, .no_relation_locks = true},
    {.name = "a statement past the timeout",
     .sql = "SELECT pg_sleep(30)", .status = TRACE_TIMEOUT, .sqlstate = "57014",
     .rewrite_until = -1, .scan_until = -1},
    {.name = "the connection is usable after the timeout",
     .sql = "SELECT 2", .rewrite_until = -1, .scan_until = -1, .no_relation_locks = true},
    {.name = "refused in a transaction block (25001): retried outside",
     .setup = "DROP TABLE IF EXISTS vac; CREATE TABLE vac(id int); INSERT INTO vac SELECT generate_series(1, 100)",
     .sql = "VACUUM vac", .target = "vac", .capture = "phase",
     .rewrite_until = -1, .scan_until = -2,
     .locks = {{"vac", "table", "ShareUpdateExclusiveLock"}}},
    {.name = "drop index concurrently (the index's table is held)",
     .setup = "DROP TABLE IF EXISTS dic; CREATE TABLE dic(id int); CREATE INDEX dic_id ON dic (id)",
     .sql = "DROP INDEX CONCURRENTLY dic_id", .target = "dic_id", .no_tx = true, .capture = "phase",
     .rewrite_until = -1, .scan_until = -2,
     .change_kind = "index_dropped", .change_relation = "dic_id",
     .locks = {{"dic", "other", "ShareUpdateExclusiveLock"}}},
    {.name = "timeout outside a transaction block", .sql = "SELECT pg_sleep(30)", .no_tx = true,
     .status = TRACE_TIMEOUT, .sqlstate = "57014", .capture = "poll", .rewrite_until = -1,
     .scan_until = -2},
    {.name = "usable after a timeout outside a transaction block", .sql = "SELECT 3",
     .rewrite_until = -1, .scan_until = -1, .no_relation_locks = true},
    {.name = "drop table",
     .setup = "DROP TABLE IF EXISTS dt; CREATE TABLE dt(id int primary key)",
     .sql = "DROP TABLE dt", .target = "dt", .rewrite_until = -1, .scan_until = -1,
     .change_kind = "relation_dropped", .change_relation = "dt",
     .locks = {{"dt", "table", "AccessExclusiveLock"}, {"dt_pkey", "index", "AccessExclusiveLock"}}},
    {.name = "create table in a schema",
     .setup = "DROP SCHEMA IF EXISTS app CASCADE; CREATE SCHEMA app",
     .sql = "CREATE TABLE app.items(id serial primary key, name text)", .target = "items",
     .target_schema = "app", .rewrite_until = -1, .scan_until = -1,
     .change_kind = "relation_created", .change_relation = "app.items",
     .locks = {{"app.items", "new", "AccessExclusiveLock"}}},
    {.name = "refused at commit (deferred constraint)",
     .setup = "DROP TABLE IF EXISTS dc_child, dc_parent; CREATE TABLE dc_parent(id int primary key); "
              "CREATE TABLE dc_child(pid int REFERENCES dc_parent DEFERRABLE INITIALLY DEFERRED)",
     .sql = "INSERT INTO dc_child VALUES (1)", .target = "dc_child", .status = TRACE_ERROR,
     .sqlstate = "23503", .rewrite_until = -1, .scan_until = -2},
    {.name = "the snapshot is right after a commit-time failure",
     .sql = "ALTER TABLE dc_child ADD COLUMN note text", .target = "dc_child",
     .rewrite_until = -1, .scan_until = -1,
     .change_kind = "column_added", .change_relation = "dc_child",
     .locks = {{"dc_child", "table", "AccessExclusiveLock"}}},
    {.name = "create index concurrently that fails leaves an invalid index",
     .setup = "DROP TABLE IF EXISTS cicf; CREATE TABLE cicf(v int); INSERT INTO cicf VALUES (1), (1)",
     .sql = "CREATE UNIQUE INDEX CONCURRENTLY cicf_v ON cicf (v)", .target = "cicf", .no_tx = true,
     .status = TRACE_ERROR, .sqlstate = "23505", .capture = "phase",
     .rewrite_until = -1, .scan_until = -2,
     .change_kind = "index_created", .change_relation = "cicf_v",
     .locks = {{"cicf", "table", "ShareUpdateExclusiveLock"}}},
    {.name = "a trailing comment does not swallow the tracer's queries",
     .setup = "DROP TABLE IF EXISTS tc; CREATE TABLE tc(id int)",
     .sql = "ALTER TABLE tc ADD COLUMN c int -- no newline after this comment", .target = "tc",
     .rewrite_until = -1, .scan_until = -1,
     .change_kind = "column_added", .change_relation = "tc",
     .locks = {{"tc", "table", "AccessExclusiveLock"}}},
    {.name = "transaction control runs plainly", .sql = "BEGIN", .tx_control = true, .capture = "none",
     .rewrite_until = -1, .scan_until = -1, .no_relation_locks = true},
    {.name = "transaction control runs plainly (commit)", .sql = "COMMIT", .tx_control = true,
     .capture = "none", .rewrite_until = -1, .scan_until = -1, .no_relation_locks = true},
    {.name = "after transaction control the snapshot is read again",
     .setup = "DROP TABLE IF EXISTS atc, atc2; CREATE TABLE atc(id int)",
     .sql = "ALTER TABLE atc RENAME TO atc2", .target = "atc", .rewrite_until = -1, .scan_until = -1,
     .change_kind = "relation_renamed", .change_relation = "atc2",
     .locks = {{"atc2", "table", "AccessExclusiveLock"}}},
    {.name = "deallocate all (the tracer's prepared statements go too)", .sql = "DEALLOCATE ALL",
     .rewrite_until = -1, .scan_until = -1, .no_relation_locks = true},
    {.name = "traced as before after deallocate all",
     .setup = "DROP TABLE IF EXISTS da; CREATE TABLE da(id int)",
     .sql = "ALTER TABLE da ADD COLUMN c int", .target = "da", .rewrite_until = -1, .scan_until = -1,
     .change_kind = "column_added", .change_relation = "da",
     .locks = {{"da", "table", "AccessExclusiveLock"}}},
    {.name = "discard all (refused in a transaction block, then run outside)", .sql = "DISCARD ALL",
     .capture = "poll", .rewrite_until = -1, .scan_until = -2},
    {.name = "traced as before after discard all",
     .setup = "DROP TABLE IF EXISTS da; CREATE TABLE da(id int)",
     .sql = "ALTER TABLE da ADD COLUMN c int", .target = "da", .rewrite_until = -1, .scan_until = -1,
     .change_kind = "column_added", .change_relation = "da",
     .locks = {{"da", "table", "AccessExclusiveLock"}}},
    /* catalog changes the incremental snapshot must follow (verified against a full one) */
    {.name = "rename a schema (relations renamed without a lock)",
     .setup = "DROP SCHEMA IF EXISTS s_old CASCADE; DROP SCHEMA IF EXISTS s_new CASCADE; "
              "CREATE SCHEMA s_old; CREATE TABLE s_old.r(id int primary key)",
     .sql = "ALTER SCHEMA s_old RENAME TO s_new", .rewrite_until = -1, .scan_until = -2,
     .change_kind = "relation_renamed", .change_relation = "s_new.r"},
    {.name = "set schema",
     .setup = "DROP TABLE IF EXISTS ss; CREATE TABLE ss(id int primary key, t text)",
     .sql = "ALTER TABLE ss SET SCHEMA s_new", .target = "ss", .rewrite_until = -1, .scan_until = -2,
     .change_kind = "relation_renamed", .change_relation = "s_new.ss",
     .locks = {{"s_new.ss", "table", "AccessExclusiveLock"}}},
    {.name = "drop schema cascade", .sql = "DROP SCHEMA s_new CASCADE", .rewrite_until = -1,
     .scan_until = -2, .change_kind = "relation_dropped", .change_relation = "s_new.ss"},
    {.name = "create table as",
     .setup = "DROP TABLE IF EXISTS cta CASCADE; DROP TABLE IF EXISTS cta_src; CREATE TABLE cta_src(id int); "
              "INSERT INTO cta_src SELECT generate_series(1, 10)",
     .sql = "CREATE TABLE cta AS SELECT id, 'x'::text AS t FROM cta_src", .target = "cta",
     .rewrite_until = -1, .scan_until = -1, .change_kind = "relation_created", .change_relation = "cta",
     .locks = {{"cta_src", "other", "AccessShareLock"}, {"cta", "new", "AccessExclusiveLock"}}},
    {.name = "create view and materialized view",
     .setup = "DROP MATERIALIZED VIEW IF EXISTS mv; DROP VIEW IF EXISTS v",
     .sql = "CREATE VIEW v AS SELECT id FROM cta; CREATE MATERIALIZED VIEW mv AS SELECT id FROM cta",
     .rewrite_until = -1, .scan_until = -2, .change_kind = "relation_created", .change_relation = "mv"},
    {.name = "refresh materialized view (a rewrite)", .sql = "REFRESH MATERIALIZED VIEW mv",
     .target = "mv", .rewrite_until = 99, .scan_until = -2,
     .locks = {{"mv", "table", "AccessExclusiveLock"}}},
    {.name = "truncate (new relfilenode)", .sql = "TRUNCATE cta", .target = "cta", .rewrite_until = 99,
     .scan_until = -1, .locks = {{"cta", "table", "AccessExclusiveLock"}}},
    {.name = "rename a column", .sql = "ALTER TABLE cta RENAME COLUMN t TO txt", .target = "cta",
     .rewrite_until = -1, .scan_until = -1, .change_kind = "column_altered", .change_relation = "cta"},
    {.name = "drop a column", .sql = "ALTER TABLE cta DROP COLUMN txt", .target = "cta",
     .rewrite_until = -1, .scan_until = -1, .change_kind = "column_dropped", .change_relation = "cta"},
    {.name = "set and drop a default", .sql = "ALTER TABLE cta ALTER COLUMN id SET DEFAULT 7",
     .target = "cta", .rewrite_until = -1, .scan_until = -1, .change_kind = "column_altered",
     .change_relation = "cta", .locks = {{"cta", "table", "AccessExclusiveLock"}}},
    {.name = "domain constraint",
     .setup = "DROP DOMAIN IF EXISTS posint CASCADE; CREATE DOMAIN posint AS int",
     .sql = "ALTER DOMAIN posint ADD CONSTRAINT posint_pos CHECK (VALUE > 0)", .rewrite_until = -1,
     .scan_until = -2, .change_kind = "constraint_added", .change_relation = "posint"},
    {.name = "rename a type used by a column",
     .setup = "DROP TABLE IF EXISTS tr; DROP TYPE IF EXISTS color; DROP TYPE IF EXISTS colour; "
              "CREATE TYPE color AS ENUM ('red'); CREATE TABLE tr(c color)",
     .sql = "ALTER TYPE color RENAME TO colour", .rewrite_until = -1, .scan_until = -2},
    {.name = "attach a partition",
     .setup = "DROP TABLE IF EXISTS pt; DROP TABLE IF EXISTS pt_1; "
              "CREATE TABLE pt(id int) PARTITION BY RANGE (id); CREATE TABLE pt_1(id int)",
     .sql = "ALTER TABLE pt ATTACH PARTITION pt_1 FOR VALUES FROM (0) TO (100)", .target = "pt",
     .referenced = "pt_1", .rewrite_until = -1, .scan_until = -2,
     .locks = {{"pt", "table", "AccessExclusiveLock", .max = 11},
               {"pt", "table", "ShareUpdateExclusiveLock", .min = 12},
               {"pt_1", "referenced", "AccessExclusiveLock"}}},
    {.name = "sequence restart",
     .setup = "DROP SEQUENCE IF EXISTS sq; CREATE SEQUENCE sq",
     .sql = "ALTER SEQUENCE sq RESTART WITH 10", .target = "sq", .rewrite_until = -2, .scan_until = -1},
    {.name = "a DO block with DDL inside",
     .setup = "DROP TABLE IF EXISTS dob",
     .sql = "DO $$ BEGIN CREATE TABLE dob(id int); ALTER TABLE dob ADD COLUMN t text; END $$",
     .rewrite_until = -1, .scan_until = -2, .change_kind = "relation_created", .change_relation = "dob"},
    {.name = "a procedure that commits (2D000 in a transaction block): retried outside", .min = 11,
     .setup = "DROP TABLE IF EXISTS pc; CREATE TABLE pc(id int); "
              "CREATE OR REPLACE PROCEDURE pc_fill() LANGUAGE plpgsql AS "
              "$$ BEGIN INSERT INTO pc VALUES (1); COMMIT; INSERT INTO pc VALUES (2); END $$",
     .sql = "CALL pc_fill()", .target = "pc", .capture = "phase", .rewrite_until = -1,
     .scan_until = -2, .locks = {{"pc", "table", "RowExclusiveLock"}}},
    {.name = "an unqualified target also found in another schema",
     .setup = "DROP SCHEMA IF EXISTS arch CASCADE; DROP TABLE IF EXISTS tw; CREATE SCHEMA arch; "
              "CREATE TABLE arch.tw(id int); CREATE TABLE tw(id int)",
     .sql = "DROP TABLE tw, arch.tw", .target = "tw", .rewrite_until = -1, .scan_until = -1,
     .locks = {{"tw", "table", "AccessExclusiveLock"}, {"arch.tw", "other", "AccessExclusiveLock"}}},
    {.name = "alter type add value before 12 (outside a transaction)", .max = 11,
     .setup = "DROP TYPE IF EXISTS mood; CREATE TYPE mood AS ENUM ('sad')",
     .sql = "ALTER TYPE mood ADD VALUE 'happy'", .no_tx_below = 12, .capture = "poll",
     .rewrite_until = -1, .scan_until = -2},
    {.name = "alter type add value from 12 (inside a transaction)", .min = 12,
     .setup = "DROP TYPE IF EXISTS mood; CREATE TYPE mood AS ENUM ('sad')",
     .sql = "ALTER TYPE mood ADD VALUE 'happy'", .no_tx_below = 12, .rewrite_until = -1,
     .scan_until = -1, .role_present = "object"},
};

static bool in_range(int major, int min, int max)
{
    return (!min || major >= min) && (!max || major <= max);
}

static void print_trace(const Trace *t)
{
    printf("    status %s %s %s capture %s %.2f ms\n", trace_status_name(t->status), t->sqlstate,
           t->message ? t->message : "", t->capture, t->duration_ms);
    for (size_t i = 0; i < t->nlocks; i++)
        printf("    lock %-30s %-10s %-13s %s%s%s\n", t->locks[i].relation ? t->locks[i].relation : "-",
               t->locks[i].role, t->locks[i].locktype, t->locks[i].mode,
               t->locks[i].granted ? "" : " (waiting)", t->locks[i].held_before ? " (held before)" : "");
    for (size_t p = 0; p < t->nphases; p++) {
        printf("    phase %zu: waits for %s %s %s\n", p + 1,
               t->phases[p].waiting_for.relation ? t->phases[p].waiting_for.relation : "-",
               t->phases[p].waiting_for.locktype ? t->phases[p].waiting_for.locktype : "-",
               t->phases[p].waiting_for.mode ? t->phases[p].waiting_for.mode : "-");
        for (size_t i = 0; i < t->phases[p].nlocks; i++)
            printf("      holds %-28s %-10s %-13s %s\n",
                   t->phases[p].locks[i].relation ? t->phases[p].locks[i].relation : "-",
                   t->phases[p].locks[i].role, t->phases[p].locks[i].locktype, t->phases[p].locks[i].mode);
    }
    if (t->lock_held_ms > 0)
        printf("    lock held %.2f ms: %s %s\n", t->lock_held_ms, t->lock_held_relation, t->lock_held_mode);
    for (size_t i = 0; i < t->nrewrites; i++)
        printf("    rewrite %s\n", t->rewrites[i]);
    for (size_t i = 0; i < t->nscans; i++)
        printf("    scan %s %lld %lld\n", t->scans[i].relation, t->scans[i].seq_scan, t->scans[i].tup_read);
    for (size_t i = 0; i < t->nchanges; i++)
        printf("    change %s %s %s\n", t->changes[i].kind, t->changes[i].relation,
               t->changes[i].detail ? t->changes[i].detail : "");
}

static bool has_lock(const Trace *t, const ExpLock *e)
{
    for (size_t i = 0; i < t->nlocks; i++) {
        const TraceLock *l = &t->locks[i];
        if (l->relation && strcmp(l->relation, e->relation) == 0 && strcmp(l->role, e->role) == 0 &&
            (!e->mode || strcmp(l->mode, e->mode) == 0))
            return true;
    }
    return false;
}

static bool has_name(char **names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

/* A statement as the corpus gives it: classified (its class decides how the
 * observers hold it), with the case's own target and flags. Free with
 * free_stmt. */
static Statement make_stmt(const char *sql, const Case *c, char **refs)
{
    Statement st;
    memset(&st, 0, sizeof(st));
    st.index = 1;
    st.sql = (char *)sql;
    StmtInfo ci;
    classify_statement(sql, &ci);
    st.info.cls = ci.cls;
    st.info.in_do_block = ci.in_do_block;
    ci.cls = NULL;
    classify_free(&ci);
    if (c) {
        st.info.target = (char *)c->target;
        st.info.target_schema = (char *)c->target_schema;
        if (c->referenced) {
            refs[0] = (char *)c->referenced;
            st.info.referenced = refs;
            st.info.nreferenced = 1;
        }
        st.info.no_tx = c->no_tx;
        st.info.no_tx_below = c->no_tx_below;
        st.info.tx_control = c->tx_control;
    }
    return st;
}

static void free_stmt(Statement *st)
{
    free(st->info.cls);
    st->info.cls = NULL;
}

static void run_case(Tracer *tr, const Case *c, int major, bool verbose)
{
    Err err = {0};
    Trace t;
    char *refs[1];
    if (c->setup) {
        Statement setup = make_stmt(c->setup, NULL, refs);
        int rc = tracer_run(tr, &setup, &t, &err);
        free_stmt(&setup);
        CHECK(rc == 0 && t.status == TRACE_OK, "%s: setup: %s %s", c->name, err.msg,
              t.message ? t.message : "");
        trace_free(&t);
    }
    Statement st = make_stmt(c->sql, c, refs);
    int rc = tracer_run(tr, &st, &t, &err);
    free_stmt(&st);
    if (verbose) {
        printf("%d: %s: %s\n", major, c->name, c->sql);
        print_trace(&t);
    }
    CHECK(rc == 0, "%s: tracer_run: %s", c->name, err.msg);
    CHECK(t.status == c->status, "%s on %d: status %s (%s)", c->name, major,
          trace_status_name(t.status), t.message ? t.message : "");
    if (c->sqlstate)
        CHECK_STR(t.sqlstate, c->sqlstate, "%s on %d: sqlstate", c->name, major);
    CHECK_STR(t.capture, c->capture ? c->capture : "tx", "%s on %d: capture", c->name, major);
    if (c->rewrite_until == -2) {
        /* not checked */
    } else if (c->target && c->rewrite_until != 0) {
        bool want = major <= c->rewrite_until;
        CHECK(has_name(t.rewrites, t.nrewrites, c->target) == want, "%s on %d: rewrite %s expected %s",
              c->name, major, c->target, want ? "yes" : "no");
    } else if (c->rewrite_until < 0) {
        CHECK(t.nrewrites == 0, "%s on %d: no rewrite expected, got %zu", c->name, major, t.nrewrites);
    }
    if (c->scan_until != -2) {
        bool want = major <= c->scan_until;
        bool got = false;
        for (size_t i = 0; i < t.nscans; i++)
            if (c->target && strcmp(t.scans[i].relation, c->target) == 0)
                got = true;
        CHECK(got == want, "%s on %d: scan of %s expected %s", c->name, major,
              c->target ? c->target : "-", want ? "yes" : "no");
        if (!c->target)
            CHECK(t.nscans == 0, "%s on %d: no scan expected", c->name, major);
    }
    if (c->status != TRACE_OK)
        CHECK(t.message != NULL, "%s on %d: a message", c->name, major);
    if (c->no_relation_locks)
        CHECK(t.nlocks == 0, "%s on %d: no lock expected, got %zu (first %s %s)", c->name, major,
              t.nlocks, t.nlocks ? t.locks[0].relation : "", t.nlocks ? t.locks[0].mode : "");
    if (c->change_kind) {
        bool got = false;
        for (size_t i = 0; i < t.nchanges; i++)
            if (strcmp(t.changes[i].kind, c->change_kind) == 0 &&
                strcmp(t.changes[i].relation, c->change_relation) == 0)
                got = true;
        CHECK(got, "%s on %d: change %s %s expected", c->name, major, c->change_kind,
              c->change_relation);
    }
    if (c->role_present) {
        bool got = false;
        for (size_t i = 0; i < t.nlocks; i++)
            if (strcmp(t.locks[i].role, c->role_present) == 0)
                got = true;
        CHECK(got, "%s on %d: a lock with role %s expected", c->name, major, c->role_present);
    }
    for (size_t i = 0; i < t.nlocks; i++)
        CHECK(t.locks[i].relation && strncmp(t.locks[i].relation, "(relation ", 10) != 0,
              "%s on %d: every lock is named (%s)", c->name, major,
              t.locks[i].relation ? t.locks[i].relation : "null");
    for (const ExpLock *e = c->locks; e < c->locks + 4 && e->relation; e++) {
        if (!in_range(major, e->min, e->max))
            continue;
        CHECK(has_lock(&t, e) != e->absent, "%s on %d: lock %s %s %s %s", c->name, major,
              e->relation, e->role, e->mode ? e->mode : "(any)", e->absent ? "absent" : "present");
    }
    trace_free(&t);
    err_clear(&err);
    int v = tracer_verify_cache(tr, &err);
    CHECK(v == 0, "%s on %d: the incremental snapshot equals a full one: %s", c->name, major, err.msg);
}

/* Overhead: the same statements traced and run plainly (autocommit, one
 * round trip each) on two twin tables, interleaved so that both see the same
 * load; the median of the per-statement differences is the overhead. Prints
 * the figures; checks a generous bound. */
static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void measure(const char *conninfo, int major)
{
    static const char *const stmts[] = {
        "ALTER TABLE %s ADD COLUMN c1 int",
        "ALTER TABLE %s ADD COLUMN c2 text DEFAULT 'x'",
        "CREATE INDEX %s_c1 ON %s (c1)",
        "ALTER TABLE %s ALTER COLUMN c1 SET DEFAULT 1",
        "DROP INDEX %s_c1",
        "ALTER TABLE %s DROP COLUMN c2",
        "ALTER TABLE %s DROP COLUMN c1",
        "SELECT count(*) FROM %s",
    };
    enum { ROUNDS = 12, N = ROUNDS * ARRAY_LEN(stmts) };
    Err err = {0};
    PgConn *plain = pgconn_connect(conninfo, 5000, &err);
    CHECK(plain != NULL, "bench: connect: %s", err.msg);
    if (!plain)
        return;
    PgReply r;
    pgconn_exec(plain, "DROP TABLE IF EXISTS bench_p, bench_t; CREATE TABLE bench_p(id int); "
                       "CREATE TABLE bench_t(id int); INSERT INTO bench_p SELECT generate_series(1, 100); "
                       "INSERT INTO bench_t SELECT generate_series(1, 100)", 5000, &r);
    pgreply_clear(&r);
    /* a new tracer: the plain connection changed the catalog behind the back of any other */
    TracerOpts opts = {.statement_timeout_ms = 5000, .server_major = major};
    Tracer *tr = tracer_new(conninfo, &opts, &err);
    CHECK(tr != NULL, "bench: tracer_new: %s", err.msg);
    if (!tr) {
        pgconn_close(plain);
        return;
    }
    static double diff[N], plain_ms[N], traced_ms[N], stmt_ms[N];
    int n = 0;
    for (int round = 0; round < ROUNDS; round++) {
        for (size_t i = 0; i < ARRAY_LEN(stmts); i++, n++) {
            char *sp = xasprintf(stmts[i], "bench_p", "bench_p");
            char *stx = xasprintf(stmts[i], "bench_t", "bench_t");
            double t0 = now_ms();
            pgconn_exec(plain, sp, 5000, &r);
            plain_ms[n] = now_ms() - t0;
            CHECK(r.status == PG_OK, "bench: plain %s: %s", sp, r.message ? r.message : "");
            pgreply_clear(&r);
            Statement st;
            memset(&st, 0, sizeof(st));
            st.index = 1;
            st.sql = stx;
            st.info.target = "bench_t";
            Trace t;
            t0 = now_ms();
            int rc = tracer_run(tr, &st, &t, &err);
            traced_ms[n] = now_ms() - t0;
            stmt_ms[n] = t.duration_ms;
            diff[n] = traced_ms[n] - plain_ms[n];
            CHECK(rc == 0 && t.status == TRACE_OK, "bench: %s: %s", stx, t.message ? t.message : err.msg);
            trace_free(&t);
            free(sp);
            free(stx);
        }
    }
    qsort(diff, N, sizeof(double), dbl_cmp);
    qsort(plain_ms, N, sizeof(double), dbl_cmp);
    qsort(traced_ms, N, sizeof(double), dbl_cmp);
    qsort(stmt_ms, N, sizeof(double), dbl_cmp);
    printf("# overhead on %d over %d statements: median plain %.3f ms, traced %.3f ms (statement itself %.3f); "
           "overhead median %.3f ms, 90th percentile %.3f ms\n",
           major, N, plain_ms[N / 2], traced_ms[N / 2], stmt_ms[N / 2], diff[N / 2], diff[N * 9 / 10]);
    CHECK(diff[N / 2] < 10.0, "bench: overhead %.3f ms per statement", diff[N / 2]);
    tracer_free(tr);
    pgconn_close(plain);
}

/* Every check of this file against one server. */
static void run_server(const char *conninfo, int major)
{
    bool verbose = getenv("LM_TEST_VERBOSE") != NULL;
    TracerOpts opts = {.statement_timeout_ms = TIMEOUT_MS, .server_major = major};
    Err err = {0};
    Tracer *tr = tracer_new(conninfo, &opts, &err);
    CHECK(tr != NULL, "tracer_new: %s", err.msg);
    if (!tr)
        return;
    if (!major) {
        PgConn *c = pgconn_connect(conninfo, 5000, &err);
        major = c ? pgconn_server_version(c) / 10000 : 0;
        pgconn_close(c);
    }
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        if (in_range(major, cases[i].min, cases[i].max))
            run_case(tr, &cases[i], major, verbose);

    /* bad conninfo: an environment error, no hang */
    Tracer *bad = tracer_new("host=/nonexistent dbname=x connect_timeout=2", &opts, &err);
    CHECK(bad == NULL && err.code == 3, "tracer_new on a missing server fails with code 3");
    tracer_free(bad);

    /* the check of the cached snapshot can fail: change the catalog behind the tracer's back */
    {
        PgConn *c = pgconn_connect(conninfo, 5000, &err);
        PgReply r;
        pgconn_exec(c, "DROP TABLE IF EXISTS behind_back; CREATE TABLE behind_back(id int)", 5000, &r);
        pgreply_clear(&r);
        err_clear(&err);
        CHECK(tracer_verify_cache(tr, &err) > 0, "a change behind the tracer's back is seen");
        pgconn_exec(c, "DROP TABLE behind_back", 5000, &r);
        pgreply_clear(&r);
        pgconn_close(c);
    }

    if (!getenv("LM_TEST_NO_BENCH"))
        measure(conninfo, major);
    tracer_free(tr);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    t_with_servers(run_server);
    return t_done("test_tracer");
}
