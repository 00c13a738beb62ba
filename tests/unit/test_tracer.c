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
#include "runner/trace/tracer.h"
#include "tests/unit/servers.h"

#define TIMEOUT_MS 1500

typedef struct ExpLock {
    const char *relation; /* NULL ends the list */
    const char *role;
    const char *mode; /* NULL: any mode, just present */
    int min, max;     /* majors where expected (0: any) */
    bool absent;      /* must not be there */
    int held;         /* 1: held_before expected, -1: not held before, 0: either */
} ExpLock;

typedef struct Case {
    const char *name;
    int min, max;      /* majors the case runs on (0: any) */
    const char *setup; /* traced as one statement first (keeps the tracer's cache right) */
    const char *sql;
    const char *target, *target_schema, *referenced;
    bool no_tx;
    int no_tx_below;
    bool tx_control;
    TraceStatus status;
    const char *sqlstate;
    const char *capture; /* NULL: "tx" */
    int rewrite_until;   /* a rewrite of the target expected on majors <= this; -1 never; -2 don't
                            check */
    int scan_until;      /* a sequential scan of the target expected on majors <= this; -1 never; -2
                            don't check */
    bool no_relation_locks; /* no relation lock at all, and no lock of any kind */
    const char *change_kind, *change_relation; /* one expected catalog change */
    const char *role_present;                  /* some lock has this role */
    ExpLock locks[4];
    bool no_rewrites, no_scans;                  /* no relation at all rewritten, scanned */
    const char *rewritten;                       /* a relation that must be rewritten too */
    const char *change2_kind, *change2_relation; /* a second expected change */
} Case;

static const Case cases[] = {
    {.name = "add column default constant",
     .setup = "DROP TABLE IF EXISTS acd; CREATE TABLE acd(id int); INSERT INTO acd SELECT "
              "generate_series(1, 1000)",
     .sql = "ALTER TABLE acd ADD COLUMN c int DEFAULT 0",
     .target = "acd",
     .rewrite_until = 10,
     .scan_until = 10,
     .change_kind = "column_added",
     .change_relation = "acd",
     .locks = {{"acd", "table", "AccessExclusiveLock"}}},
    {.name = "alter column type int to bigint",
     .setup = "DROP TABLE IF EXISTS ib; CREATE TABLE ib(id int primary key, v text); INSERT INTO "
              "ib SELECT g, 'x' FROM generate_series(1, 1000) g",
     .sql = "ALTER TABLE ib ALTER COLUMN id TYPE bigint",
     .target = "ib",
     .rewrite_until = 99,
     .scan_until = 99,
     .role_present = "transient",
     .change_kind = "column_altered",
     .change_relation = "ib",
     .locks = {{"ib", "table", "AccessExclusiveLock"}}},
    {.name = "alter column type varchar(10) to varchar(20)",
     .setup = "DROP TABLE IF EXISTS vc; CREATE TABLE vc(v varchar(10)); INSERT INTO vc SELECT 'x' "
              "FROM generate_series(1, 1000)",
     .sql = "ALTER TABLE vc ALTER COLUMN v TYPE varchar(20)",
     .target = "vc",
     .rewrite_until = -1,
     .scan_until = -1,
     .change_kind = "column_altered",
     .change_relation = "vc",
     .locks = {{"vc", "table", "AccessExclusiveLock"}}},
    /* an index the type change keeps: created again (new oid, same name) on
     * its old relfilenode, no rewrite */
    {.name = "alter column type varchar(10) to varchar(20), indexed",
     .setup =
         "DROP TABLE IF EXISTS vci; CREATE TABLE vci(id int primary key, v varchar(10) unique); "
         "CREATE INDEX vci_v ON vci (v); INSERT INTO vci SELECT g, 'x' || g FROM "
         "generate_series(1, 1000) g",
     .sql = "ALTER TABLE vci ALTER COLUMN v TYPE varchar(20)",
     .target = "vci",
     .rewrite_until = -1,
     .scan_until = -1,
     .no_rewrites = true,
     .no_scans = true,
     .change_kind = "index_recreated",
     .change_relation = "vci_v",
     .change2_kind = "index_recreated",
     .change2_relation = "vci_v_key",
     .locks = {{"vci", "table", "AccessExclusiveLock"}}},
    {.name = "alter column type varchar to text, indexed",
     .setup = "DROP TABLE IF EXISTS vti; CREATE TABLE vti(v varchar(30)); CREATE INDEX vti_v ON "
              "vti (v); "
              "INSERT INTO vti SELECT 'x' || g FROM generate_series(1, 1000) g",
     .sql = "ALTER TABLE vti ALTER COLUMN v TYPE text",
     .target = "vti",
     .rewrite_until = -1,
     .scan_until = -1,
     .no_rewrites = true,
     .no_scans = true,
     .change_kind = "index_recreated",
     .change_relation = "vti_v"},
    /* a rebuilt index: created again on new storage, a rewrite like the table's */
    {.name = "alter column type int to bigint, indexed",
     .setup = "DROP TABLE IF EXISTS ibi; CREATE TABLE ibi(id int primary key, v int); CREATE INDEX "
              "ibi_v ON ibi (v); "
              "INSERT INTO ibi SELECT g, g FROM generate_series(1, 1000) g",
     .sql = "ALTER TABLE ibi ALTER COLUMN v TYPE bigint",
     .target = "ibi",
     .rewrite_until = 99,
     .scan_until = 99,
     .rewritten = "ibi_v",
     .change_kind = "column_altered",
     .change_relation = "ibi"},
    /* a partitioned index has no storage (a relfilenode but no file before
     * 12): created again, never rewritten; the partition's index is built
     * again (new storage, the partition scanned) on 11-17 */
    {.name = "alter column type varchar widen, partitioned and indexed",
     .min = 11,
     .setup = "DROP TABLE IF EXISTS vpi; CREATE TABLE vpi(id int, v varchar(10)) PARTITION BY "
              "RANGE (id); "
              "CREATE TABLE vpi_1 PARTITION OF vpi FOR VALUES FROM (0) TO (10000); CREATE INDEX "
              "vpi_v ON vpi (v); "
              "INSERT INTO vpi SELECT g, 'x' || g FROM generate_series(1, 1000) g",
     .sql = "ALTER TABLE vpi ALTER COLUMN v TYPE varchar(20)",
     .target = "vpi",
     .rewrite_until = -1,
     .scan_until = -1,
     .rewritten = "vpi_1_v_idx",
     .change_kind = "index_recreated",
     .change_relation = "vpi_v"},
    /* the index build reads the new, empty table: not a scan of the statement's */
    {.name = "create table with a primary key",
     .setup = "DROP TABLE IF EXISTS ctpk",
     .sql = "CREATE TABLE ctpk(id int primary key, v text)",
     .target = "ctpk",
     .rewrite_until = -1,
     .scan_until = -1,
     .no_rewrites = true,
     .no_scans = true,
     .change_kind = "relation_created",
     .change_relation = "ctpk",
     .locks = {{"ctpk", "new", NULL}}},
    {.name = "create index",
     .setup = "DROP TABLE IF EXISTS ci; CREATE TABLE ci(id int, v int); INSERT INTO ci SELECT g, g "
              "FROM generate_series(1, 1000) g",
     .sql = "CREATE INDEX ci_v ON ci (v)",
     .target = "ci",
     .rewrite_until = -1,
     .scan_until = 99,
     .change_kind = "index_created",
     .change_relation = "ci_v",
     .locks = {{"ci", "table", "ShareLock"},
               {"ci_v", "new", NULL},
               {"ci", "table", "AccessExclusiveLock", .absent = true}}},
    {.name = "create index concurrently",
     .setup = "DROP TABLE IF EXISTS cic; CREATE TABLE cic(id int, v int); INSERT INTO cic SELECT "
              "g, g FROM generate_series(1, 1000) g",
     .sql = "CREATE INDEX CONCURRENTLY cic_v ON cic (v)",
     .target = "cic",
     .no_tx = true,
     .capture = "phase",
     .rewrite_until = -1,
     .scan_until = -2,
     .change_kind = "index_created",
     .change_relation = "cic_v",
     .locks = {{"cic", "table", "ShareUpdateExclusiveLock"},
               {"cic", "table", "ShareLock", .absent = true}}},
    {.name = "set not null",
     .setup = "DROP TABLE IF EXISTS snn; CREATE TABLE snn(id int); INSERT INTO snn SELECT "
              "generate_series(1, 1000)",
     .sql = "ALTER TABLE snn ALTER COLUMN id SET NOT NULL",
     .target = "snn",
     .rewrite_until = -1,
     .scan_until = 99,
     .change_kind = "column_altered",
     .change_relation = "snn",
     .locks = {{"snn", "table", "AccessExclusiveLock"}}},
    {.name = "set not null with a valid check",
     .setup = "DROP TABLE IF EXISTS snc; CREATE TABLE snc(id int, CONSTRAINT snc_id_nn CHECK (id "
              "IS NOT NULL)); INSERT INTO snc SELECT generate_series(1, 1000)",
     .sql = "ALTER TABLE snc ALTER COLUMN id SET NOT NULL",
     .target = "snc",
     .rewrite_until = -1,
     .scan_until = 11,
     .locks = {{"snc", "table", "AccessExclusiveLock"}}},
    {.name = "add foreign key",
     .setup =
         "DROP TABLE IF EXISTS fk_child, fk_parent; CREATE TABLE fk_parent(id int primary key); "
         "CREATE TABLE fk_child(id int, pid int); INSERT INTO fk_parent SELECT generate_series(1, "
         "100); "
         "INSERT INTO fk_child SELECT g, g FROM generate_series(1, 100) g",
     .sql = "ALTER TABLE fk_child ADD CONSTRAINT fk_child_pid FOREIGN KEY (pid) REFERENCES "
            "fk_parent (id)",
     .target = "fk_child",
     .referenced = "fk_parent",
     .rewrite_until = -1,
     .scan_until = -2,
     .change_kind = "constraint_added",
     .change_relation = "fk_child",
     .locks = {{"fk_child", "table", "ShareRowExclusiveLock"},
               {"fk_parent", "referenced", "ShareRowExclusiveLock"},
               {"fk_parent_pkey", "other", "AccessShareLock"}}},
    {.name = "add foreign key, referenced found from the new constraint",
     .setup =
         "DROP TABLE IF EXISTS fk2_child, fk2_parent; CREATE TABLE fk2_parent(id int primary key); "
         "CREATE TABLE fk2_child(id int, pid int)",
     .sql = "ALTER TABLE fk2_child ADD FOREIGN KEY (pid) REFERENCES fk2_parent (id) NOT VALID",
     .target = "fk2_child",
     .rewrite_until = -1,
     .scan_until = -1,
     .change_kind = "constraint_added",
     .change_relation = "fk2_child",
     .locks = {{"fk2_parent", "referenced", "ShareRowExclusiveLock"}}},
    {.name = "validate constraint",
     .setup = "DROP TABLE IF EXISTS vcon; CREATE TABLE vcon(id int); INSERT INTO vcon SELECT "
              "generate_series(1, 100); "
              "ALTER TABLE vcon ADD CONSTRAINT vcon_pos CHECK (id > 0) NOT VALID",
     .sql = "ALTER TABLE vcon VALIDATE CONSTRAINT vcon_pos",
     .target = "vcon",
     .rewrite_until = -1,
     .scan_until = 99,
     .change_kind = "constraint_validated",
     .change_relation = "vcon",
     .locks = {{"vcon", "table", "ShareUpdateExclusiveLock"},
               {"vcon", "table", "AccessExclusiveLock", .absent = true}}},
    {.name = "a failing statement",
     .sql = "ALTER TABLE no_such_table ADD COLUMN x int",
     .target = "no_such_table",
     .status = TRACE_ERROR,
     .sqlstate = "42P01",
     .rewrite_until = -1,
     .scan_until = -1},
    {.name = "select 1 takes no lock (the tracer does not pollute)",
     .sql = "SELECT 1",
     .rewrite_until = -1,
     .scan_until = -1,
     .no_relation_locks = true},
    {.name = "a statement past the timeout",
     .sql = "SELECT pg_sleep(30)",
     .status = TRACE_TIMEOUT,
     .sqlstate = "57014",
     .rewrite_until = -1,
     .scan_until = -1},
    {.name = "the connection is usable after the timeout",
     .sql = "SELECT 2",
     .rewrite_until = -1,
     .scan_until = -1,
     .no_relation_locks = true},
    {.name = "refused in a transaction block (25001): retried outside",
     .setup = "DROP TABLE IF EXISTS vac; CREATE TABLE vac(id int); INSERT INTO vac SELECT "
              "generate_series(1, 100)",
     .sql = "VACUUM vac",
     .target = "vac",
     .capture = "phase",
     .rewrite_until = -1,
     .scan_until = -2,
     .locks = {{"vac", "table", "ShareUpdateExclusiveLock"}}},
    {.name = "drop index concurrently (the index's table is held)",
     .setup = "DROP TABLE IF EXISTS dic; CREATE TABLE dic(id int); CREATE INDEX dic_id ON dic (id)",
     .sql = "DROP INDEX CONCURRENTLY dic_id",
     .target = "dic_id",
     .no_tx = true,
     .capture = "phase",
     .rewrite_until = -1,
     .scan_until = -2,
     .change_kind = "index_dropped",
     .change_relation = "dic_id",
     .locks = {{"dic", "other", "ShareUpdateExclusiveLock"}}},
    {.name = "timeout outside a transaction block",
     .sql = "SELECT pg_sleep(30)",
     .no_tx = true,
     .status = TRACE_TIMEOUT,
     .sqlstate = "57014",
     .capture = "poll",
     .rewrite_until = -1,
     .scan_until = -2},
    {.name = "usable after a timeout outside a transaction block",
     .sql = "SELECT 3",
     .rewrite_until = -1,
     .scan_until = -1,
     .no_relation_locks = true},
    {.name = "drop table",
     .setup = "DROP TABLE IF EXISTS dt; CREATE TABLE dt(id int primary key)",
     .sql = "DROP TABLE dt",
     .target = "dt",
     .rewrite_until = -1,
     .scan_until = -1,
     .change_kind = "relation_dropped",
     .change_relation = "dt",
     .locks = {{"dt", "table", "AccessExclusiveLock"},
               {"dt_pkey", "index", "AccessExclusiveLock"}}},
    {.name = "create table in a schema",
     .setup = "DROP SCHEMA IF EXISTS app CASCADE; CREATE SCHEMA app",
     .sql = "CREATE TABLE app.items(id serial primary key, name text)",
     .target = "items",
     .target_schema = "app",
     .rewrite_until = -1,
     .scan_until = -1,
     .change_kind = "relation_created",
     .change_relation = "app.items",
     .locks = {{"app.items", "new", "AccessExclusiveLock"}}},
    {.name = "refused at commit (deferred constraint)",
     .setup =
         "DROP TABLE IF EXISTS dc_child, dc_parent; CREATE TABLE dc_parent(id int primary key); "
         "CREATE TABLE dc_child(pid int REFERENCES dc_parent DEFERRABLE INITIALLY DEFERRED)",
     .sql = "INSERT INTO dc_child VALUES (1)",
     .target = "dc_child",
     .status = TRACE_ERROR,
     .sqlstate = "23503",
     .rewrite_until = -1,
     .scan_until = -2},
    {.name = "the snapshot is right after a commit-time failure",
     .sql = "ALTER TABLE dc_child ADD COLUMN note text",
     .target = "dc_child",
     .rewrite_until = -1,
     .scan_until = -1,
     .change_kind = "column_added",
     .change_relation = "dc_child",
     .locks = {{"dc_child", "table", "AccessExclusiveLock"}}},
    {.name = "create index concurrently that fails leaves an invalid index",
     .setup =
         "DROP TABLE IF EXISTS cicf; CREATE TABLE cicf(v int); INSERT INTO cicf VALUES (1), (1)",
     .sql = "CREATE UNIQUE INDEX CONCURRENTLY cicf_v ON cicf (v)",
     .target = "cicf",
     .no_tx = true,
     .status = TRACE_ERROR,
     .sqlstate = "23505",
     .capture = "phase",
     .rewrite_until = -1,
     .scan_until = -2,
     .change_kind = "index_created",
     .change_relation = "cicf_v",
     .locks = {{"cicf", "table", "ShareUpdateExclusiveLock"}}},
    {.name = "a trailing comment does not swallow the tracer's queries",
     .setup = "DROP TABLE IF EXISTS tc; CREATE TABLE tc(id int)",
     .sql = "ALTER TABLE tc ADD COLUMN c int -- no newline after this comment",
     .target = "tc",
     .rewrite_until = -1,
     .scan_until = -1,
     .change_kind = "column_added",
     .change_relation = "tc",
     .locks = {{"tc", "table", "AccessExclusiveLock"}}},
    {.name = "transaction control runs plainly",
     .sql = "BEGIN",
     .tx_control = true,
     .capture = "none",
     .rewrite_until = -1,
     .scan_until = -1,
     .no_relation_locks = true},
    {.name = "transaction control runs plainly (commit)",
     .sql = "COMMIT",
     .tx_control = true,
     .capture = "none",
     .rewrite_until = -1,
     .scan_until = -1,
     .no_relation_locks = true},
    {.name = "after transaction control the snapshot is read again",
     .setup = "DROP TABLE IF EXISTS atc, atc2; CREATE TABLE atc(id int)",
     .sql = "ALTER TABLE atc RENAME TO atc2",
     .target = "atc",
     .rewrite_until = -1,
     .scan_until = -1,
     .change_kind = "relation_renamed",
     .change_relation = "atc2",
     .locks = {{"atc2", "table", "AccessExclusiveLock"}}},
    {.name = "deallocate all (the tracer's prepared statements go too)",
     .sql = "DEALLOCATE ALL",
     .rewrite_until = -1,
     .scan_until = -1,
     .no_relation_locks = true},
    {.name = "traced as before after deallocate all",
     .setup = "DROP TABLE IF EXISTS da; CREATE TABLE da(id int)",
     .sql = "ALTER TABLE da ADD COLUMN c int",
     .target = "da",
     .rewrite_until = -1,
     .scan_until = -1,
     .change_kind = "column_added",
     .change_relation = "da",
     .locks = {{"da", "table", "AccessExclusiveLock"}}},
    {.name = "discard all (refused in a transaction block, then run outside)",
     .sql = "DISCARD ALL",
     .capture = "poll",
     .rewrite_until = -1,
     .scan_until = -2},
    {.name = "traced as before after discard all",
     .setup = "DROP TABLE IF EXISTS da; CREATE TABLE da(id int)",
     .sql = "ALTER TABLE da ADD COLUMN c int",
     .target = "da",
     .rewrite_until = -1,
     .scan_until = -1,
     .change_kind = "column_added",
     .change_relation = "da",
     .locks = {{"da", "table", "AccessExclusiveLock"}}},
    /* catalog changes the incremental snapshot must follow (verified against a full one) */
    {.name = "rename a schema (relations renamed without a lock)",
     .setup = "DROP SCHEMA IF EXISTS s_old CASCADE; DROP SCHEMA IF EXISTS s_new CASCADE; "
              "CREATE SCHEMA s_old; CREATE TABLE s_old.r(id int primary key)",
     .sql = "ALTER SCHEMA s_old RENAME TO s_new",
     .rewrite_until = -1,
     .scan_until = -2,
     .change_kind = "relation_renamed",
     .change_relation = "s_new.r"},
    {.name = "set schema",
     .setup = "DROP TABLE IF EXISTS ss; CREATE TABLE ss(id int primary key, t text)",
     .sql = "ALTER TABLE ss SET SCHEMA s_new",
     .target = "ss",
     .rewrite_until = -1,
     .scan_until = -2,
     .change_kind = "relation_renamed",
     .change_relation = "s_new.ss",
     .locks = {{"s_new.ss", "table", "AccessExclusiveLock"}}},
    {.name = "drop schema cascade",
     .sql = "DROP SCHEMA s_new CASCADE",
     .rewrite_until = -1,
     .scan_until = -2,
     .change_kind = "relation_dropped",
     .change_relation = "s_new.ss"},
    {.name = "create table as",
     .setup = "DROP TABLE IF EXISTS cta CASCADE; DROP TABLE IF EXISTS cta_src; CREATE TABLE "
              "cta_src(id int); "
              "INSERT INTO cta_src SELECT generate_series(1, 10)",
     .sql = "CREATE TABLE cta AS SELECT id, 'x'::text AS t FROM cta_src",
     .target = "cta",
     .rewrite_until = -1,
     .scan_until = -1,
     .change_kind = "relation_created",
     .change_relation = "cta",
     .locks = {{"cta_src", "other", "AccessShareLock"}, {"cta", "new", "AccessExclusiveLock"}}},
    {.name = "create view and materialized view",
     .setup = "DROP MATERIALIZED VIEW IF EXISTS mv; DROP VIEW IF EXISTS v",
     .sql =
         "CREATE VIEW v AS SELECT id FROM cta; CREATE MATERIALIZED VIEW mv AS SELECT id FROM cta",
     .rewrite_until = -1,
     .scan_until = -2,
     .change_kind = "relation_created",
     .change_relation = "mv"},
    {.name = "refresh materialized view (a rewrite)",
     .sql = "REFRESH MATERIALIZED VIEW mv",
     .target = "mv",
     .rewrite_until = 99,
     .scan_until = -2,
     .locks = {{"mv", "table", "AccessExclusiveLock"}}},
    {.name = "truncate (new relfilenode)",
     .sql = "TRUNCATE cta",
     .target = "cta",
     .rewrite_until = 99,
     .scan_until = -1,
     .locks = {{"cta", "table", "AccessExclusiveLock"}}},
    {.name = "rename a column",
     .sql = "ALTER TABLE cta RENAME COLUMN t TO txt",
     .target = "cta",
     .rewrite_until = -1,
     .scan_until = -1,
     .change_kind = "column_altered",
     .change_relation = "cta"},
    {.name = "drop a column",
     .sql = "ALTER TABLE cta DROP COLUMN txt",
     .target = "cta",
     .rewrite_until = -1,
     .scan_until = -1,
     .change_kind = "column_dropped",
     .change_relation = "cta"},
    {.name = "set and drop a default",
     .sql = "ALTER TABLE cta ALTER COLUMN id SET DEFAULT 7",
     .target = "cta",
     .rewrite_until = -1,
     .scan_until = -1,
     .change_kind = "column_altered",
     .change_relation = "cta",
     .locks = {{"cta", "table", "AccessExclusiveLock"}}},
    {.name = "domain constraint",
     .setup = "DROP DOMAIN IF EXISTS posint CASCADE; CREATE DOMAIN posint AS int",
     .sql = "ALTER DOMAIN posint ADD CONSTRAINT posint_pos CHECK (VALUE > 0)",
     .rewrite_until = -1,
     .scan_until = -2,
     .change_kind = "constraint_added",
     .change_relation = "posint"},
    {.name = "rename a type used by a column",
     .setup = "DROP TABLE IF EXISTS tr; DROP TYPE IF EXISTS color; DROP TYPE IF EXISTS colour; "
              "CREATE TYPE color AS ENUM ('red'); CREATE TABLE tr(c color)",
     .sql = "ALTER TYPE color RENAME TO colour",
     .rewrite_until = -1,
     .scan_until = -2},
    {.name = "attach a partition",
     .setup = "DROP TABLE IF EXISTS pt; DROP TABLE IF EXISTS pt_1; "
              "CREATE TABLE pt(id int) PARTITION BY RANGE (id); CREATE TABLE pt_1(id int)",
     .sql = "ALTER TABLE pt ATTACH PARTITION pt_1 FOR VALUES FROM (0) TO (100)",
     .target = "pt",
     .referenced = "pt_1",
     .rewrite_until = -1,
     .scan_until = -2,
     .locks = {{"pt", "table", "AccessExclusiveLock", .max = 11},
               {"pt", "table", "ShareUpdateExclusiveLock", .min = 12},
               {"pt_1", "referenced", "AccessExclusiveLock"}}},
    {.name = "sequence restart",
     .setup = "DROP SEQUENCE IF EXISTS sq; CREATE SEQUENCE sq",
     .sql = "ALTER SEQUENCE sq RESTART WITH 10",
     .target = "sq",
     .rewrite_until = -2,
     .scan_until = -1},
    {.name = "a DO block with DDL inside",
     .setup = "DROP TABLE IF EXISTS dob",
     .sql = "DO $$ BEGIN CREATE TABLE dob(id int); ALTER TABLE dob ADD COLUMN t text; END $$",
     .rewrite_until = -1,
     .scan_until = -2,
     .change_kind = "relation_created",
     .change_relation = "dob"},
    {.name = "a procedure that commits (2D000 in a transaction block): retried outside",
     .min = 11,
     .setup = "DROP TABLE IF EXISTS pc; CREATE TABLE pc(id int); "
              "CREATE OR REPLACE PROCEDURE pc_fill() LANGUAGE plpgsql AS "
              "$$ BEGIN INSERT INTO pc VALUES (1); COMMIT; INSERT INTO pc VALUES (2); END $$",
     .sql = "CALL pc_fill()",
     .target = "pc",
     .capture = "phase",
     .rewrite_until = -1,
     .scan_until = -2,
     .locks = {{"pc", "table", "RowExclusiveLock"}}},
    {.name = "partitions of the target (at any depth) and their indexes",
     .setup =
         "DROP TABLE IF EXISTS ptp CASCADE; "
         "CREATE TABLE ptp(id int, k int) PARTITION BY RANGE (k); "
         "CREATE TABLE ptp_1 PARTITION OF ptp FOR VALUES FROM (0) TO (10) PARTITION BY RANGE (k); "
         "CREATE TABLE ptp_1a PARTITION OF ptp_1 FOR VALUES FROM (0) TO (5); "
         "CREATE INDEX ptp_1a_k ON ptp_1a (k)",
     .sql = "ALTER TABLE ptp ADD COLUMN z int",
     .target = "ptp",
     .rewrite_until = -1,
     .scan_until = -1,
     .locks = {{"ptp", "table", "AccessExclusiveLock"},
               {"ptp_1", "partition", "AccessExclusiveLock"},
               {"ptp_1a", "partition", "AccessExclusiveLock"}}},
    {.name = "an unqualified target also found in another schema",
     .setup = "DROP SCHEMA IF EXISTS arch CASCADE; DROP TABLE IF EXISTS tw; CREATE SCHEMA arch; "
              "CREATE TABLE arch.tw(id int); CREATE TABLE tw(id int)",
     .sql = "DROP TABLE tw, arch.tw",
     .target = "tw",
     .rewrite_until = -1,
     .scan_until = -1,
     .locks = {{"tw", "table", "AccessExclusiveLock"},
               {"arch.tw", "other", "AccessExclusiveLock"}}},
    {.name = "alter type add value before 12 (outside a transaction, held on its type)",
     .max = 11,
     .setup = "DROP TYPE IF EXISTS mood; CREATE TYPE mood AS ENUM ('sad'); COMMENT ON TYPE mood IS "
              "'keep me'",
     .sql = "ALTER TYPE mood ADD VALUE 'happy'",
     .target = "mood",
     .no_tx_below = 12,
     .capture = "phase",
     .rewrite_until = -1,
     .scan_until = -2,
     .locks = {{"type mood", "object", "ExclusiveLock"}}},
    {.name = "the observers' COMMENT ON TYPE left no trace",
     .max = 11,
     .sql = "DO $$ BEGIN IF obj_description('mood'::regtype, 'pg_type') IS DISTINCT FROM 'keep me' "
            "THEN RAISE EXCEPTION 'comment lost'; END IF; END $$",
     .rewrite_until = -1,
     .scan_until = -1},
    {.name = "alter type add value from 12 (inside a transaction)",
     .min = 12,
     .setup = "DROP TYPE IF EXISTS mood; CREATE TYPE mood AS ENUM ('sad')",
     .sql = "ALTER TYPE mood ADD VALUE 'happy'",
     .no_tx_below = 12,
     .rewrite_until = -1,
     .scan_until = -1,
     .role_present = "object"},
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
        printf("    lock %-30s %-10s %-13s %s%s%s\n",
               t->locks[i].relation ? t->locks[i].relation : "-", t->locks[i].role,
               t->locks[i].locktype, t->locks[i].mode, t->locks[i].granted ? "" : " (waiting)",
               t->locks[i].held_before ? " (held before)" : "");
    for (size_t p = 0; p < t->nphases; p++) {
        printf("    phase %zu: waits for %s %s %s\n", p + 1,
               t->phases[p].waiting_for.relation ? t->phases[p].waiting_for.relation : "-",
               t->phases[p].waiting_for.locktype ? t->phases[p].waiting_for.locktype : "-",
               t->phases[p].waiting_for.mode ? t->phases[p].waiting_for.mode : "-");
        for (size_t i = 0; i < t->phases[p].nlocks; i++)
            printf("      holds %-28s %-10s %-13s %s\n",
                   t->phases[p].locks[i].relation ? t->phases[p].locks[i].relation : "-",
                   t->phases[p].locks[i].role, t->phases[p].locks[i].locktype,
                   t->phases[p].locks[i].mode);
    }
    if (t->lock_held_ms > 0)
        printf("    lock held %.2f ms: %s %s\n", t->lock_held_ms, t->lock_held_relation,
               t->lock_held_mode);
    for (size_t i = 0; i < t->nrewrites; i++)
        printf("    rewrite %s\n", t->rewrites[i]);
    for (size_t i = 0; i < t->nscans; i++)
        printf("    scan %s %lld %lld\n", t->scans[i].relation, t->scans[i].seq_scan,
               t->scans[i].tup_read);
    for (size_t i = 0; i < t->nchanges; i++)
        printf("    change %s %s %s\n", t->changes[i].kind, t->changes[i].relation,
               t->changes[i].detail ? t->changes[i].detail : "");
}

static bool has_lock(const Trace *t, const ExpLock *e)
{
    for (size_t i = 0; i < t->nlocks; i++) {
        const TraceLock *l = &t->locks[i];
        if (l->relation && strcmp(l->relation, e->relation) == 0 && strcmp(l->role, e->role) == 0 &&
            (!e->mode || strcmp(l->mode, e->mode) == 0) &&
            (!e->held || l->held_before == (e->held > 0)))
            return true;
    }
    return false;
}

static bool has_name(char **names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0) return true;
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
    st.info.parsed = ci.parsed;
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
    if (c->sqlstate) CHECK_STR(t.sqlstate, c->sqlstate, "%s on %d: sqlstate", c->name, major);
    CHECK_STR(t.capture, c->capture ? c->capture : "tx", "%s on %d: capture", c->name, major);
    if (c->rewrite_until == -2) {
        /* not checked */
    } else if (c->target && c->rewrite_until != 0) {
        bool want = major <= c->rewrite_until;
        CHECK(has_name(t.rewrites, t.nrewrites, c->target) == want,
              "%s on %d: rewrite %s expected %s", c->name, major, c->target, want ? "yes" : "no");
    } else if (c->rewrite_until < 0) {
        CHECK(t.nrewrites == 0, "%s on %d: no rewrite expected, got %zu", c->name, major,
              t.nrewrites);
    }
    if (c->scan_until != -2) {
        bool want = major <= c->scan_until;
        bool got = false;
        for (size_t i = 0; i < t.nscans; i++)
            if (c->target && strcmp(t.scans[i].relation, c->target) == 0) got = true;
        CHECK(got == want, "%s on %d: scan of %s expected %s", c->name, major,
              c->target ? c->target : "-", want ? "yes" : "no");
        if (!c->target) CHECK(t.nscans == 0, "%s on %d: no scan expected", c->name, major);
    }
    if (c->no_rewrites)
        CHECK(t.nrewrites == 0, "%s on %d: no rewrite expected, got %zu (first %s)", c->name, major,
              t.nrewrites, t.nrewrites ? t.rewrites[0] : "");
    if (c->rewritten)
        CHECK(has_name(t.rewrites, t.nrewrites, c->rewritten), "%s on %d: rewrite of %s expected",
              c->name, major, c->rewritten);
    if (c->no_scans) {
        size_t n = 0;
        for (size_t i = 0; i < t.nscans; i++)
            n += t.scans[i].seq_scan > 0;
        CHECK(n == 0, "%s on %d: no scan expected, got %zu (first %s)", c->name, major, n,
              n ? t.scans[0].relation : "");
    }
    if (c->status != TRACE_OK) CHECK(t.message != NULL, "%s on %d: a message", c->name, major);
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
    if (c->change2_kind) {
        bool got = false;
        for (size_t i = 0; i < t.nchanges; i++)
            if (strcmp(t.changes[i].kind, c->change2_kind) == 0 &&
                strcmp(t.changes[i].relation, c->change2_relation) == 0)
                got = true;
        CHECK(got, "%s on %d: change %s %s expected", c->name, major, c->change2_kind,
              c->change2_relation);
    }
    if (c->role_present) {
        bool got = false;
        for (size_t i = 0; i < t.nlocks; i++)
            if (strcmp(t.locks[i].role, c->role_present) == 0) got = true;
        CHECK(got, "%s on %d: a lock with role %s expected", c->name, major, c->role_present);
    }
    for (size_t i = 0; i < t.nlocks; i++)
        CHECK(t.locks[i].relation && strncmp(t.locks[i].relation, "(relation ", 10) != 0,
              "%s on %d: every lock is named (%s)", c->name, major,
              t.locks[i].relation ? t.locks[i].relation : "null");
    for (const ExpLock *e = c->locks; e < c->locks + 4 && e->relation; e++) {
        if (!in_range(major, e->min, e->max)) continue;
        CHECK(has_lock(&t, e) != e->absent, "%s on %d: lock %s %s %s %s", c->name, major,
              e->relation, e->role, e->mode ? e->mode : "(any)", e->absent ? "absent" : "present");
    }
    trace_free(&t);
    err_clear(&err);
    int v = tracer_verify_cache(tr, &err);
    CHECK(v == 0, "%s on %d: the incremental snapshot equals a full one: %s", c->name, major,
          err.msg);
}

/* ---- phase capture ------------------------------------------------------------------ */

/* A statement that cannot run in a transaction block, held by the observers
 * at each of its phases. Each case runs PHASE_ROUNDS times on a fresh setup: the
 * phases (and the union) must come out the same every time. */
typedef struct PhaseCase {
    const char *name;
    int min; /* majors from */
    const char *setup;
    const char *sql;
    const char *target, *referenced;
    int nphases; /* exactly so many stops (0: at least min_phases) */
    int min_phases;
    const char *first_rel, *first_role, *first_mode; /* the lock the first stop waits for */
    int older;                        /* at least so many stops wait for an older transaction */
    const char *held_rel, *held_mode; /* held at every stop after the first that holds anything */
    ExpLock locks[4];                 /* in the union */
    bool first_released;              /* the first stop's lock is gone by the second stop */
} PhaseCase;

#define PHASE_ROUNDS 3

static const PhaseCase phase_cases[] = {
    {.name = "create index concurrently",
     .setup = "DROP TABLE IF EXISTS pcic; CREATE TABLE pcic(id int, v int); "
              "INSERT INTO pcic SELECT g, g FROM generate_series(1, 1000) g",
     .sql = "CREATE INDEX CONCURRENTLY pcic_v ON pcic (v)",
     .target = "pcic",
     .nphases = 4,
     .first_rel = "pcic",
     .first_role = "table",
     .first_mode = "ShareUpdateExclusiveLock",
     .older = 3,
     .held_rel = "pcic",
     .held_mode = "ShareUpdateExclusiveLock",
     .locks = {{"pcic", "table", "ShareUpdateExclusiveLock"},
               {"pcic", "table", "ShareLock", .absent = true}}},
    {.name = "drop index concurrently",
     .setup =
         "DROP TABLE IF EXISTS pdic; CREATE TABLE pdic(id int); CREATE INDEX pdic_id ON pdic (id)",
     /* the last stop: when it deletes the dead index's catalog rows (a row
      * holder), with its AccessExclusiveLock on the index granted */
     .sql = "DROP INDEX CONCURRENTLY pdic_id",
     .target = "pdic_id",
     .nphases = 4,
     .first_rel = "pdic",
     .first_role = "other",
     .first_mode = "ShareUpdateExclusiveLock",
     .older = 2,
     .held_rel = "pdic",
     .held_mode = "ShareUpdateExclusiveLock",
     .locks = {{"pdic", "other", "ShareUpdateExclusiveLock"},
               {"pdic_id", "table", "ShareUpdateExclusiveLock"},
               {"pdic_id", "table", "AccessExclusiveLock"}}},
    {.name = "reindex index concurrently",
     .min = 12,
     .setup = "DROP TABLE IF EXISTS pric; CREATE TABLE pric(id int, v int); "
              "INSERT INTO pric SELECT g, g FROM generate_series(1, 1000) g; CREATE INDEX pric_v "
              "ON pric (v)",
     .sql = "REINDEX INDEX CONCURRENTLY pric_v",
     .target = "pric_v",
     .min_phases = 5,
     .first_rel = "pric",
     .first_role = "other",
     .first_mode = "ShareUpdateExclusiveLock",
     .older = 4,
     .held_rel = "pric",
     .held_mode = "ShareUpdateExclusiveLock",
     .locks = {{"pric", "other", "ShareUpdateExclusiveLock"},
               {"pric_v", "table", "ShareUpdateExclusiveLock"},
               {"pric", "other", "AccessExclusiveLock", .absent = true}}},
    {.name = "reindex table concurrently",
     .min = 12,
     .setup = "DROP TABLE IF EXISTS prt; CREATE TABLE prt(id int primary key, v int); "
              "INSERT INTO prt SELECT g, g FROM generate_series(1, 1000) g; CREATE INDEX prt_v ON "
              "prt (v)",
     .sql = "REINDEX TABLE CONCURRENTLY prt",
     .target = "prt",
     .min_phases = 5,
     .first_rel = "prt",
     .first_role = "table",
     .first_mode = "ShareUpdateExclusiveLock",
     .older = 4,
     .held_rel = "prt",
     .held_mode = "ShareUpdateExclusiveLock",
     .locks = {{"prt", "table", "ShareUpdateExclusiveLock"},
               {"prt_v", "index", "ShareUpdateExclusiveLock"},
               {"prt", "table", "AccessExclusiveLock", .absent = true}}},
    {.name = "detach partition concurrently",
     .min = 14,
     .setup = "DROP TABLE IF EXISTS pdp, pdp_1; CREATE TABLE pdp(id int) PARTITION BY RANGE (id); "
              "CREATE TABLE pdp_1 PARTITION OF pdp FOR VALUES FROM (0) TO (10); "
              "CREATE TABLE pdp_2 PARTITION OF pdp FOR VALUES FROM (10) TO (20)",
     .sql = "ALTER TABLE pdp DETACH PARTITION pdp_1 CONCURRENTLY",
     .target = "pdp",
     .referenced = "pdp_1",
     .min_phases = 3,
     .first_rel = "pdp",
     .first_role = "table",
     .first_mode = "ShareUpdateExclusiveLock",
     .older = 1,
     .held_rel = "pdp",
     .held_mode = "ShareUpdateExclusiveLock",
     .locks = {{"pdp", "table", "ShareUpdateExclusiveLock"},
               {"pdp_1", "referenced", "AccessExclusiveLock"},
               {"pdp", "table", "AccessExclusiveLock", .absent = true}}},
    /* VACUUM looks the table up under an AccessShareLock that it lets go at
     * once (microseconds: no sampler sees it), then takes ShareUpdateExclusiveLock
     * in a transaction of its own: both requests are stops (10 has no lookup lock) */
    {.name = "vacuum: a lock held for microseconds",
     .min = 11,
     .setup = "DROP TABLE IF EXISTS pvac; CREATE TABLE pvac(id int); INSERT INTO pvac SELECT "
              "generate_series(1, 1000)",
     .sql = "VACUUM pvac",
     .target = "pvac",
     .nphases = 2,
     .first_rel = "pvac",
     .first_role = "table",
     .first_mode = "AccessShareLock",
     .first_released = true,
     .locks = {{"pvac", "table", "AccessShareLock"},
               {"pvac", "table", "ShareUpdateExclusiveLock"}}},
    {.name = "vacuum on 10",
     .min = 10,
     .setup = "DROP TABLE IF EXISTS pvac; CREATE TABLE pvac(id int); INSERT INTO pvac SELECT "
              "generate_series(1, 1000)",
     .sql = "VACUUM pvac",
     .target = "pvac",
     .min_phases = 1,
     .locks = {{"pvac", "table", "ShareUpdateExclusiveLock"}}},
    {.name = "vacuum full",
     .min = 11,
     .setup = "DROP TABLE IF EXISTS pvf; CREATE TABLE pvf(id int); INSERT INTO pvf SELECT "
              "generate_series(1, 1000)",
     .sql = "VACUUM FULL pvf",
     .target = "pvf",
     .nphases = 2,
     .first_rel = "pvf",
     .first_role = "table",
     .first_mode = "AccessShareLock",
     .first_released = true,
     .locks = {{"pvf", "table", "AccessExclusiveLock"}}},
};

/* The phases and the union as one string, to compare runs. Caller frees. */
static char *phase_signature(const Trace *t)
{
    Buf b;
    buf_init(&b);
    buf_printf(&b, "%s %s|", trace_status_name(t->status), t->capture);
    for (size_t i = 0; i < t->nlocks; i++)
        buf_printf(&b, "%s %s %s;", t->locks[i].relation, t->locks[i].role, t->locks[i].mode);
    for (size_t p = 0; p < t->nphases; p++) {
        const TracePhase *ph = &t->phases[p];
        buf_printf(&b, "|%zu waits %s %s:", p + 1, ph->waiting_for.relation, ph->waiting_for.mode);
        for (size_t i = 0; i < ph->nlocks; i++)
            buf_printf(&b, "%s %s %s,", ph->locks[i].relation, ph->locks[i].role,
                       ph->locks[i].mode);
    }
    return buf_steal(&b);
}

static bool phase_holds(const TracePhase *p, const char *rel, const char *mode)
{
    for (size_t i = 0; i < p->nlocks; i++)
        if (strcmp(p->locks[i].relation, rel) == 0 && strcmp(p->locks[i].mode, mode) == 0)
            return true;
    return false;
}

static void run_phase_case(Tracer *tr, const PhaseCase *c, int major, bool verbose)
{
    char *first_sig = NULL;
    for (int round = 0; round < PHASE_ROUNDS; round++) {
        Err err = {0};
        Trace t;
        char *refs[1];
        Statement setup = make_stmt(c->setup, NULL, refs);
        int rc = tracer_run(tr, &setup, &t, &err);
        free_stmt(&setup);
        CHECK(rc == 0 && t.status == TRACE_OK, "%s: setup: %s %s", c->name, err.msg,
              t.message ? t.message : "");
        trace_free(&t);
        Case cc = {.target = c->target, .referenced = c->referenced};
        Statement st = make_stmt(c->sql, &cc, refs);
        rc = tracer_run(tr, &st, &t, &err);
        free_stmt(&st);
        if (verbose && round == 0) {
            printf("%d: %s: %s\n", major, c->name, c->sql);
            print_trace(&t);
        }
        CHECK(rc == 0 && t.status == TRACE_OK, "%s on %d: ok: %s %s", c->name, major, err.msg,
              t.message ? t.message : "");
        CHECK_STR(t.capture, "phase", "%s on %d (round %d): capture", c->name, major, round + 1);
        if (c->nphases)
            CHECK(t.nphases == (size_t)c->nphases, "%s on %d: %d phases, got %zu", c->name, major,
                  c->nphases, t.nphases);
        else
            CHECK(t.nphases >= (size_t)c->min_phases, "%s on %d: at least %d phases, got %zu",
                  c->name, major, c->min_phases, t.nphases);
        if (t.nphases && c->first_rel) {
            const TraceLock *w = &t.phases[0].waiting_for;
            CHECK(w->relation && strcmp(w->relation, c->first_rel) == 0 &&
                      strcmp(w->role, c->first_role) == 0 && strcmp(w->mode, c->first_mode) == 0 &&
                      !w->granted,
                  "%s on %d: the first stop waits for %s %s %s, got %s %s %s", c->name, major,
                  c->first_rel, c->first_role, c->first_mode, w->relation, w->role, w->mode);
        }
        int older = 0;
        for (size_t p = 0; p < t.nphases; p++) {
            const TraceLock *w = &t.phases[p].waiting_for;
            CHECK(w->mode != NULL, "%s on %d: stop %zu waits for something", c->name, major, p + 1);
            if (w->relation && strcmp(w->relation, "virtualxid (older transaction)") == 0 &&
                strcmp(w->mode, "ShareLock") == 0) {
                older++;
                /* while it waits for older transactions it keeps its table lock */
                if (c->held_rel)
                    CHECK(phase_holds(&t.phases[p], c->held_rel, c->held_mode) ||
                              t.phases[p].nlocks == 0,
                          "%s on %d: stop %zu holds %s %s", c->name, major, p + 1, c->held_rel,
                          c->held_mode);
            }
        }
        CHECK(older >= c->older, "%s on %d: %d stops wait for older transactions, want %d", c->name,
              major, older, c->older);
        if (c->held_rel) {
            bool any = false;
            for (size_t p = 1; p < t.nphases; p++)
                any = any || phase_holds(&t.phases[p], c->held_rel, c->held_mode);
            CHECK(any, "%s on %d: %s %s held through its phases", c->name, major, c->held_rel,
                  c->held_mode);
        }
        if (c->first_released && t.nphases >= 2)
            CHECK(!phase_holds(&t.phases[1], c->first_rel, c->first_mode),
                  "%s on %d: %s %s was let go before the next request, and still captured", c->name,
                  major, c->first_rel, c->first_mode);
        for (const ExpLock *e = c->locks; e < c->locks + 3 && e->relation; e++)
            CHECK(has_lock(&t, e) != e->absent, "%s on %d: lock %s %s %s %s", c->name, major,
                  e->relation, e->role, e->mode ? e->mode : "(any)",
                  e->absent ? "absent" : "present");
        char *sig = phase_signature(&t);
        if (!first_sig)
            first_sig = sig;
        else {
            CHECK(strcmp(sig, first_sig) == 0,
                  "%s on %d: round %d captures what round 1 did:\n#   %s\n#   %s", c->name, major,
                  round + 1, first_sig, sig);
            free(sig);
        }
        trace_free(&t);
        err_clear(&err);
        CHECK(tracer_verify_cache(tr, &err) == 0, "%s on %d: snapshot: %s", c->name, major,
              err.msg);
    }
    free(first_sig);
}

/* ---- a migration's own transactions, and session settings --------------------------- */

typedef struct Step {
    const char *sql; /* NULL ends the script */
    const char *target;
    int wrap;          /* 1: tracer_tx_begin before it; 2: tracer_tx_end after it */
    const char *other; /* run first on another session (it holds a lock meanwhile) */
    TraceStatus status;
    const char *sqlstate;
    const char *capture; /* NULL: "tx" */
    ExpLock locks[4];
    bool only_listed;                 /* every lock the statement added (not held before) on a user
                                         relation is one of locks[] */
    const char *held_rel, *held_mode; /* lock_held_* expected; NULL: none */
    const char *change_kind, *change_relation;
    int scan;        /* 1: a sequential scan of the target, -1: no scan at all, 0: not checked */
    bool no_catalog; /* no catalog lock is charged to it (the tracer's own reads are not) */
} Step;

typedef struct Script {
    const char *name;
    int min; /* majors from */
    const char *setup;
    Step steps[10];
} Script;

#define AEL "AccessExclusiveLock"

static const Script scripts[] = {
    {"BEGIN; ALTER TABLE; CREATE INDEX; COMMIT: one transaction",
     0,
     "DROP TABLE IF EXISTS txa; CREATE TABLE txa(id int); INSERT INTO txa SELECT "
     "generate_series(1, 100)",
     {{.sql = "BEGIN", .capture = "none"},
      {.sql = "ALTER TABLE txa ADD COLUMN c int",
       .target = "txa",
       .locks = {{"txa", "table", AEL, .held = -1}},
       .only_listed = true,
       .change_kind = "column_added",
       .change_relation = "txa",
       .scan = -1},
      {.sql = "CREATE INDEX txa_c ON txa (c)",
       .target = "txa",
       .scan = 1,
       .locks = {{"txa", "table", "ShareLock", .held = -1},
                 {"txa", "table", AEL, .held = 1},
                 {"txa_c", "new", AEL, .held = -1},
                 {"txa", "table", AEL, .held = -1, .absent = true}},
       .only_listed = true,
       .change_kind = "index_created",
       .change_relation = "txa_c"},
      {.sql = "COMMIT",
       .capture = "none",
       .held_rel = "txa",
       .held_mode = AEL,
       .locks = {{"txa", "other", AEL, .held = 1}}},
      {.sql = "ALTER TABLE txa ADD COLUMN c2 int",
       .target = "txa",
       .locks = {{"txa", "table", AEL, .held = -1}},
       .only_listed = true}}},
    {"a failing statement aborts the transaction: 25P02 until ROLLBACK",
     0,
     NULL,
     {{.sql = "BEGIN", .capture = "none"},
      {.sql = "ALTER TABLE txa ADD COLUMN d int",
       .target = "txa",
       .locks = {{"txa", "table", AEL}}},
      {.sql = "ALTER TABLE no_such_table ADD COLUMN x int",
       .target = "no_such_table",
       .status = TRACE_ERROR,
       .sqlstate = "42P01"},
      {.sql = "ALTER TABLE txa ADD COLUMN e int",
       .target = "txa",
       .status = TRACE_ERROR,
       .sqlstate = "25P02",
       .capture = "none"},
      {.sql = "ROLLBACK", .capture = "none", .held_rel = "txa", .held_mode = AEL},
      {.sql = "ALTER TABLE txa ADD COLUMN d int",
       .target = "txa",
       .change_kind = "column_added",
       .change_relation = "txa"}}},
    {"a statement that cannot run in a transaction block, inside one: refused as in production",
     0,
     NULL,
     {{.sql = "BEGIN", .capture = "none"},
      {.sql = "CREATE INDEX CONCURRENTLY txa_d ON txa (d)",
       .target = "txa",
       .status = TRACE_ERROR,
       .sqlstate = "25001"},
      {.sql = "SELECT 1", .status = TRACE_ERROR, .sqlstate = "25P02", .capture = "none"},
      {.sql = "COMMIT", .capture = "none"},
      {.sql = "SELECT 1"}}},
    {"two transactions in one file",
     0,
     NULL,
     {{.sql = "BEGIN", .capture = "none"},
      {.sql = "ALTER TABLE txa ADD COLUMN m1 int",
       .target = "txa",
       .locks = {{"txa", "table", AEL, .held = -1}}},
      {.sql = "COMMIT", .capture = "none", .held_rel = "txa", .held_mode = AEL},
      {.sql = "BEGIN", .capture = "none"},
      {.sql = "ALTER TABLE txa ADD COLUMN m2 int",
       .target = "txa",
       .locks = {{"txa", "table", AEL, .held = -1}},
       .only_listed = true,
       .change_kind = "column_added",
       .change_relation = "txa"},
      {.sql = "COMMIT", .capture = "none", .held_rel = "txa", .held_mode = AEL}}},
    {"a COMMIT refused (deferred constraint): the transaction is rolled back",
     0,
     "DROP TABLE IF EXISTS txd_child, txd_parent; CREATE TABLE txd_parent(id int primary key); "
     "CREATE TABLE txd_child(pid int REFERENCES txd_parent DEFERRABLE INITIALLY DEFERRED)",
     {{.sql = "BEGIN", .capture = "none"},
      {.sql = "ALTER TABLE txd_child ADD COLUMN note text", .target = "txd_child"},
      {.sql = "INSERT INTO txd_child VALUES (1)", .target = "txd_child"},
      {.sql = "COMMIT",
       .capture = "none",
       .status = TRACE_ERROR,
       .sqlstate = "23503",
       .held_rel = "txd_child",
       .held_mode = AEL},
      {.sql = "ALTER TABLE txd_child ADD COLUMN note text",
       .target = "txd_child",
       .change_kind = "column_added",
       .change_relation = "txd_child"}}},
    {"COMMIT AND CHAIN: two transactions",
     12,
     NULL,
     {{.sql = "BEGIN", .capture = "none"},
      {.sql = "ALTER TABLE txa ADD COLUMN f int",
       .target = "txa",
       .locks = {{"txa", "table", AEL, .held = -1}}},
      {.sql = "COMMIT AND CHAIN", .capture = "none", .held_rel = "txa", .held_mode = AEL},
      {.sql = "ALTER TABLE txa ADD COLUMN g int",
       .target = "txa",
       .locks = {{"txa", "table", AEL, .held = -1}},
       .only_listed = true},
      {.sql = "COMMIT", .capture = "none", .held_rel = "txa", .held_mode = AEL}}},
    {"a migration its tool wraps in a transaction (wrap_tx)",
     0,
     NULL,
     {{.sql = "ALTER TABLE txa ADD COLUMN h int",
       .target = "txa",
       .wrap = 1,
       .locks = {{"txa", "table", AEL, .held = -1}}},
      {.sql = "CREATE INDEX txa_h ON txa (h)",
       .target = "txa",
       .wrap = 2,
       .locks = {{"txa", "table", "ShareLock", .held = -1}, {"txa", "table", AEL, .held = 1}},
       .only_listed = true,
       .held_rel = "txa",
       .held_mode = AEL},
      {.sql = "ALTER TABLE txa ADD COLUMN h2 int",
       .target = "txa",
       .locks = {{"txa", "table", AEL, .held = -1}}}}},
    /* inside one transaction, a check, a foreign key and a default added and
     * dropped (a dropped foreign key deletes only its pg_constraint row, a
     * dropped default its pg_attrdef row): each step's snapshot is checked
     * against a full read */
    {"constraints and defaults added and dropped inside one transaction",
     0,
     "DROP TABLE IF EXISTS kw_c; DROP TABLE IF EXISTS kw_p; CREATE TABLE kw_p(id int primary key)",
     {{.sql = "BEGIN", .capture = "none"},
      {.sql = "CREATE TABLE kw_c(id int, v text)", .target = "kw_c"},
      {.sql = "CREATE INDEX kw_c_v ON kw_c (v)", .target = "kw_c"},
      {.sql = "ALTER TABLE kw_c ADD CONSTRAINT kw_pos CHECK (id > 0)",
       .target = "kw_c",
       .change_kind = "constraint_added",
       .change_relation = "kw_c"},
      {.sql = "ALTER TABLE kw_c ADD CONSTRAINT kw_fk FOREIGN KEY (id) REFERENCES kw_p (id)",
       .target = "kw_c"},
      {.sql = "ALTER TABLE kw_c DROP CONSTRAINT kw_fk",
       .target = "kw_c",
       .change_kind = "constraint_dropped",
       .change_relation = "kw_c"},
      {.sql = "ALTER TABLE kw_c ALTER COLUMN v SET DEFAULT 'x'", .target = "kw_c"},
      {.sql = "ALTER TABLE kw_c ALTER COLUMN v DROP DEFAULT", .target = "kw_c"},
      {.sql = "ALTER TABLE kw_c RENAME COLUMN v TO w",
       .target = "kw_c",
       .change_kind = "column_altered",
       .change_relation = "kw_c"},
      {.sql = "COMMIT", .capture = "none", .held_rel = "kw_c", .held_mode = AEL}}},
    {"the catalog read afresh inside a migration's transaction is not the statement's",
     0,
     NULL,
     {{.sql = "BEGIN", .capture = "none"},
      {.sql = "ROLLBACK", .capture = "none"},
      {.sql = "BEGIN", .capture = "none"},
      {.sql = "ALTER TABLE txa ADD COLUMN m int",
       .target = "txa",
       .no_catalog = true,
       .locks = {{"txa", "table", AEL, .held = -1}}},
      {.sql = "COMMIT", .capture = "none", .held_rel = "txa", .held_mode = AEL},
      {.sql = "BEGIN", .capture = "none"},
      {.sql = "ROLLBACK", .capture = "none"},
      {.sql = "ALTER TABLE txa ADD COLUMN n int",
       .target = "txa",
       .wrap = 1,
       .no_catalog = true,
       .locks = {{"txa", "table", AEL, .held = -1}}},
      {.sql = "ALTER TABLE txa ADD COLUMN o int",
       .target = "txa",
       .wrap = 2,
       .no_catalog = true,
       .held_rel = "txa",
       .held_mode = AEL}}},
    {"a savepoint rolled back: the catalog is read again",
     0,
     NULL,
     {{.sql = "BEGIN", .capture = "none"},
      {.sql = "ALTER TABLE txa ADD COLUMN i int", .target = "txa"},
      {.sql = "SAVEPOINT s1", .capture = "none"},
      {.sql = "ALTER TABLE txa ADD COLUMN j int", .target = "txa"},
      {.sql = "ROLLBACK TO SAVEPOINT s1", .capture = "none"},
      {.sql = "ALTER TABLE txa ADD COLUMN j int",
       .target = "txa",
       .change_kind = "column_added",
       .change_relation = "txa",
       .locks = {{"txa", "table", AEL, .held = 1}}},
      {.sql = "COMMIT", .capture = "none", .held_rel = "txa", .held_mode = AEL}}},
    {"SET lock_timeout: it fires on a lock another session holds, not on the observers",
     0,
     "DROP TABLE IF EXISTS slt; CREATE TABLE slt(id int); INSERT INTO slt SELECT "
     "generate_series(1, 100)",
     {{.sql = "SET lock_timeout = '50ms'"},
      {.sql = "ALTER TABLE slt ADD COLUMN k int",
       .target = "slt",
       .other = "BEGIN; LOCK TABLE slt IN ACCESS SHARE MODE",
       .status = TRACE_ERROR,
       .sqlstate = "55P03"},
      {.sql = "CREATE INDEX CONCURRENTLY slt_id ON slt (id)",
       .target = "slt",
       .capture = "phase",
       .locks = {{"slt", "table", "ShareUpdateExclusiveLock"}}},
      {.sql = "ALTER TABLE slt ADD COLUMN k int",
       .target = "slt",
       .other = "BEGIN; LOCK TABLE slt IN ACCESS SHARE MODE",
       .status = TRACE_ERROR,
       .sqlstate = "55P03"},
      {.sql = "RESET lock_timeout"},
      {.sql = "ALTER TABLE slt ADD COLUMN k int",
       .target = "slt",
       .change_kind = "column_added",
       .change_relation = "slt"}}},
    {"SET statement_timeout and search_path apply to the statements after them",
     0,
     "DROP SCHEMA IF EXISTS lmsp CASCADE; CREATE SCHEMA lmsp",
     {{.sql = "SET statement_timeout = '100ms'"},
      {.sql = "SELECT pg_sleep(1)", .status = TRACE_ERROR, .sqlstate = "57014"},
      {.sql = "ALTER TABLE slt ADD COLUMN l int",
       .target = "slt",
       .change_kind = "column_added",
       .change_relation = "slt"},
      {.sql = "RESET statement_timeout"},
      {.sql = "SET search_path = lmsp"},
      {.sql = "CREATE TABLE sp_t(id int)",
       .target = "sp_t",
       .change_kind = "relation_created",
       .change_relation = "lmsp.sp_t",
       .locks = {{"lmsp.sp_t", "new", AEL}}},
      {.sql = "ALTER TABLE sp_t ADD COLUMN c int",
       .target = "sp_t",
       .change_kind = "column_added",
       .change_relation = "lmsp.sp_t"},
      {.sql = "RESET search_path"}}},
    {"SET ROLE: a role with no rights on the catalog's tables of others still traces",
     0,
     "DROP SCHEMA IF EXISTS lm_app_s CASCADE; "
     "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lm_app') THEN CREATE ROLE "
     "lm_app; END IF; END $$; "
     "CREATE SCHEMA lm_app_s AUTHORIZATION lm_app",
     {{.sql = "SET ROLE lm_app"},
      {.sql = "CREATE TABLE lm_app_s.t(id int)",
       .target = "t",
       .change_kind = "relation_created",
       .change_relation = "lm_app_s.t"},
      {.sql = "ALTER TABLE lm_app_s.t ADD COLUMN c int",
       .target = "t",
       .change_kind = "column_added",
       .change_relation = "lm_app_s.t",
       .locks = {{"lm_app_s.t", "table", AEL}}},
      {.sql = "RESET ROLE"}}},
    {"DEALLOCATE ALL inside a transaction: the catalog reads after it go on in plain text",
     0,
     "DROP TABLE IF EXISTS txd; CREATE TABLE txd(id int)",
     {{.sql = "BEGIN", .capture = "none"},
      {.sql = "ALTER TABLE txd ADD COLUMN p1 int",
       .target = "txd",
       .change_kind = "column_added",
       .change_relation = "txd"},
      /* read with the prepared queries: the transaction holds the same locks */
      {.sql = "ALTER TABLE txd ADD COLUMN p2 int",
       .target = "txd",
       .locks = {{"txd", "table", AEL, .held = 1}},
       .change_kind = "column_added",
       .change_relation = "txd",
       .no_catalog = true},
      {.sql = "DEALLOCATE ALL", .scan = -1},
      {.sql = "ALTER TABLE txd ADD COLUMN p3 int",
       .target = "txd",
       .locks = {{"txd", "table", AEL, .held = 1}},
       .change_kind = "column_added",
       .change_relation = "txd"},
      {.sql = "ALTER TABLE txd ADD COLUMN p4 int",
       .target = "txd",
       .change_kind = "column_added",
       .change_relation = "txd"},
      {.sql = "COMMIT", .capture = "none", .held_rel = "txd", .held_mode = AEL},
      {.sql = "ALTER TABLE txd ADD COLUMN p5 int",
       .target = "txd",
       .locks = {{"txd", "table", AEL, .held = -1}},
       .change_kind = "column_added",
       .change_relation = "txd"}}},
};

static void run_script(Tracer *tr, const char *conninfo, const Script *sc, int major, bool verbose)
{
    Err err = {0};
    Trace t;
    char *refs[1];
    if (sc->setup) {
        Statement setup = make_stmt(sc->setup, NULL, refs);
        int rc = tracer_run(tr, &setup, &t, &err);
        free_stmt(&setup);
        CHECK(rc == 0 && t.status == TRACE_OK, "%s: setup: %s %s", sc->name, err.msg,
              t.message ? t.message : "");
        trace_free(&t);
    }
    for (const Step *s = sc->steps; s < sc->steps + 10 && s->sql; s++) {
        PgConn *other = NULL;
        PgReply r;
        if (s->other) {
            other = pgconn_connect(conninfo, 5000, &err);
            CHECK(other && pgconn_exec(other, s->other, 5000, &r) == PG_OK, "%s: other session",
                  sc->name);
            if (other) pgreply_clear(&r);
        }
        if (s->wrap == 1)
            CHECK(tracer_tx_begin(tr, &err) == 0, "%s: tx_begin: %s", sc->name, err.msg);
        Case cc = {.target = s->target};
        Statement st = make_stmt(s->sql, &cc, refs);
        st.info.tx_control =
            st.info.cls &&
            (strcmp(st.info.cls, "BEGIN") == 0 || strcmp(st.info.cls, "COMMIT") == 0 ||
             strcmp(st.info.cls, "ROLLBACK") == 0 || strcmp(st.info.cls, "SAVEPOINT") == 0 ||
             strcmp(st.info.cls, "ROLLBACK TO SAVEPOINT") == 0);
        st.info.no_tx = st.info.cls && strstr(st.info.cls, "CONCURRENTLY") != NULL;
        int rc = tracer_run(tr, &st, &t, &err);
        free_stmt(&st);
        if (s->wrap == 2)
            CHECK(tracer_tx_end(tr, &t, &err) == 0, "%s: tx_end: %s", sc->name, err.msg);
        if (other) {
            pgconn_exec(other, "ROLLBACK", 5000, &r);
            pgreply_clear(&r);
            pgconn_close(other);
        }
        if (verbose) {
            printf("%d: %s: %s\n", major, sc->name, s->sql);
            print_trace(&t);
        }
        CHECK(rc == 0, "%s / %s: tracer_run: %s", sc->name, s->sql, err.msg);
        CHECK(t.status == s->status, "%s / %s on %d: status %s (%s)", sc->name, s->sql, major,
              trace_status_name(t.status), t.message ? t.message : "");
        if (s->sqlstate)
            CHECK_STR(t.sqlstate, s->sqlstate, "%s / %s on %d: sqlstate", sc->name, s->sql, major);
        CHECK_STR(t.capture, s->capture ? s->capture : "tx", "%s / %s on %d: capture", sc->name,
                  s->sql, major);
        for (const ExpLock *e = s->locks; e < s->locks + 4 && e->relation; e++)
            CHECK(has_lock(&t, e) != e->absent, "%s / %s on %d: lock %s %s %s%s %s", sc->name,
                  s->sql, major, e->relation, e->role, e->mode,
                  e->held > 0   ? " held before"
                  : e->held < 0 ? " added"
                                : "",
                  e->absent ? "absent" : "present");
        if (s->only_listed)
            for (size_t i = 0; i < t.nlocks; i++) {
                const TraceLock *l = &t.locks[i];
                if (l->held_before || strcmp(l->locktype, "relation") != 0 ||
                    strcmp(l->role, "catalog") == 0 || strcmp(l->role, "new") == 0)
                    continue;
                bool listed = false;
                for (const ExpLock *e = s->locks; e < s->locks + 4 && e->relation; e++)
                    listed = listed || (!e->absent && strcmp(e->relation, l->relation) == 0 &&
                                        strcmp(e->mode, l->mode) == 0 && e->held <= 0);
                listed = listed || strncmp(l->relation, "toast", 5) == 0;
                CHECK(listed, "%s / %s on %d: charged only with what it added, not %s %s", sc->name,
                      s->sql, major, l->relation, l->mode);
            }
        for (size_t i = 0; s->no_catalog && i < t.nlocks; i++)
            CHECK(t.locks[i].held_before || strcmp(t.locks[i].role, "catalog") != 0,
                  "%s / %s on %d: the tracer's catalog read is not charged to it: %s %s", sc->name,
                  s->sql, major, t.locks[i].relation, t.locks[i].mode);
        if (s->held_rel) {
            CHECK(t.lock_held_ms > 0 && t.lock_held_relation &&
                      strcmp(t.lock_held_relation, s->held_rel) == 0 && t.lock_held_mode &&
                      strcmp(t.lock_held_mode, s->held_mode) == 0,
                  "%s / %s on %d: lock held %s %s (got %.3f ms %s %s)", sc->name, s->sql, major,
                  s->held_rel, s->held_mode, t.lock_held_ms,
                  t.lock_held_relation ? t.lock_held_relation : "-",
                  t.lock_held_mode ? t.lock_held_mode : "-");
        } else {
            CHECK(t.lock_held_ms == 0, "%s / %s on %d: no lock_held", sc->name, s->sql, major);
        }
        if (s->scan) {
            bool got = false;
            for (size_t i = 0; i < t.nscans; i++)
                got = got || strcmp(t.scans[i].relation, s->target) == 0;
            if (s->scan > 0)
                CHECK(got, "%s / %s on %d: a scan of %s", sc->name, s->sql, major, s->target);
            else
                CHECK(t.nscans == 0, "%s / %s on %d: no scan (got %zu, first %s)", sc->name, s->sql,
                      major, t.nscans, t.nscans ? t.scans[0].relation : "");
        }
        if (s->change_kind) {
            bool got = false;
            for (size_t i = 0; i < t.nchanges; i++)
                got = got || (strcmp(t.changes[i].kind, s->change_kind) == 0 &&
                              strcmp(t.changes[i].relation, s->change_relation) == 0);
            CHECK(got, "%s / %s on %d: change %s %s", sc->name, s->sql, major, s->change_kind,
                  s->change_relation);
        }
        trace_free(&t);
        err_clear(&err);
        CHECK(tracer_verify_cache(tr, &err) == 0, "%s / %s on %d: snapshot: %s", sc->name, s->sql,
              major, err.msg);
    }
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
    if (!plain) return;
    PgReply r;
    pgconn_exec(plain,
                "DROP TABLE IF EXISTS bench_p, bench_t; CREATE TABLE bench_p(id int); "
                "CREATE TABLE bench_t(id int); INSERT INTO bench_p SELECT generate_series(1, 100); "
                "INSERT INTO bench_t SELECT generate_series(1, 100)",
                5000, &r);
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
            CHECK(rc == 0 && t.status == TRACE_OK, "bench: %s: %s", stx,
                  t.message ? t.message : err.msg);
            trace_free(&t);
            free(sp);
            free(stx);
        }
    }
    qsort(diff, N, sizeof(double), dbl_cmp);
    qsort(plain_ms, N, sizeof(double), dbl_cmp);
    qsort(traced_ms, N, sizeof(double), dbl_cmp);
    qsort(stmt_ms, N, sizeof(double), dbl_cmp);
    printf("# overhead on %d over %d statements: median plain %.3f ms, traced %.3f ms (statement "
           "itself %.3f); "
           "overhead median %.3f ms, 90th percentile %.3f ms\n",
           major, N, plain_ms[N / 2], traced_ms[N / 2], stmt_ms[N / 2], diff[N / 2],
           diff[N * 9 / 10]);
    CHECK(diff[N / 2] < 10.0, "bench: overhead %.3f ms per statement", diff[N / 2]);
    tracer_free(tr);
    pgconn_close(plain);
}

/* The cost of the family's holders on the observer path (make bench,
 * LM_BENCH_OBSERVED=1): each class traced on fresh tables with two indexes
 * and a TOAST table (partitioned: two levels), alternately with the holders
 * and with the target alone (TracerOpts.target_only, as before them); the
 * medians of the wall time of tracer_run. "@" in the SQL is the table. */
static char *subst(const char *tmpl, const char *name)
{
    Buf b;
    buf_init(&b);
    for (const char *p = tmpl; *p; p++) {
        if (*p == '@')
            buf_puts(&b, name);
        else
            buf_printf(&b, "%c", *p);
    }
    return buf_steal(&b);
}

static void measure_observed(const char *conninfo, int major)
{
#define OB_TABLE                                                                                   \
    "CREATE TABLE @ (id int PRIMARY KEY, k int NOT NULL, note text); CREATE INDEX @_k ON @ (k); "  \
    "INSERT INTO @ SELECT g, g % 7, repeat('n', 10) FROM generate_series(1, 1000) g; "             \
    "DELETE FROM @ WHERE id % 2 = 0"
#define OB_PARTS                                                                                   \
    "CREATE TABLE @ (id int NOT NULL, k int NOT NULL, note text) PARTITION BY RANGE (id); "        \
    "CREATE TABLE @_1 PARTITION OF @ FOR VALUES FROM (1) TO (1001) PARTITION BY RANGE (id); "      \
    "CREATE TABLE @_1a PARTITION OF @_1 FOR VALUES FROM (1) TO (501); "                            \
    "CREATE TABLE @_1b PARTITION OF @_1 FOR VALUES FROM (501) TO (1001); "                         \
    "CREATE TABLE @_2 PARTITION OF @ FOR VALUES FROM (1001) TO (2001); "                           \
    "CREATE INDEX @_1a_k ON @_1a (k); CREATE INDEX @_1b_k ON @_1b (k); CREATE INDEX @_2_k ON @_2 " \
    "(k); "                                                                                        \
    "INSERT INTO @ SELECT g, g % 7, repeat('n', 10) FROM generate_series(1, 2000) g"
    static const struct {
        const char *cls;
        int min;
        const char *setup, *sql, *target, *referenced;
    } classes[] = {
        {"VACUUM", 10, OB_TABLE, "VACUUM @", "@", NULL},
        {"VACUUM FULL", 10, OB_TABLE, "VACUUM FULL @", "@", NULL},
        {"CREATE INDEX CONCURRENTLY", 10, OB_TABLE, "CREATE INDEX CONCURRENTLY @_n ON @ (id, k)",
         "@", NULL},
        {"DROP INDEX CONCURRENTLY", 10, OB_TABLE, "DROP INDEX CONCURRENTLY @_k", "@_k", NULL},
        {"REINDEX INDEX CONCURRENTLY", 12, OB_TABLE, "REINDEX INDEX CONCURRENTLY @_k", "@_k", NULL},
        {"REINDEX TABLE CONCURRENTLY", 12, OB_TABLE, "REINDEX TABLE CONCURRENTLY @", "@", NULL},
        {"REINDEX TABLE (partitioned)", 14, OB_PARTS, "REINDEX TABLE @", "@", NULL},
        {"DETACH PARTITION CONCURRENTLY", 14, OB_PARTS,
         "ALTER TABLE @ DETACH PARTITION @_1 CONCURRENTLY", "@", "@_1"},
    };
    enum { ROUNDS = 5 };
    Err err = {0};
    Tracer *tr[2];
    for (int mode = 0; mode < 2; mode++) {
        TracerOpts opts = {
            .statement_timeout_ms = TIMEOUT_MS, .server_major = major, .target_only = mode == 1};
        tr[mode] = tracer_new(conninfo, &opts, &err);
        CHECK(tr[mode] != NULL, "bench: tracer_new: %s", err.msg);
        if (!tr[mode]) {
            if (mode) tracer_free(tr[0]);
            return;
        }
    }
    for (size_t c = 0; c < ARRAY_LEN(classes); c++) {
        if (major < classes[c].min) continue;
        double ms[2][ROUNDS];
        for (int round = 0; round < ROUNDS; round++) {
            for (int mode = 0; mode < 2; mode++) {
                char name[32];
                snprintf(name, sizeof(name), "bo%zu_%d_%d", c, round, mode);
                char *setup = subst(classes[c].setup, name), *sql = subst(classes[c].sql, name);
                char *target = subst(classes[c].target, name);
                char *refd = classes[c].referenced ? subst(classes[c].referenced, name) : NULL;
                char *refs[1];
                Trace t;
                Statement st = make_stmt(setup, NULL, refs);
                int rc = tracer_run(tr[mode], &st, &t, &err);
                free_stmt(&st);
                CHECK(rc == 0 && t.status == TRACE_OK, "bench: setup %s: %s %s", classes[c].cls,
                      err.msg, t.message ? t.message : "");
                trace_free(&t);
                Case cc = {.target = target, .referenced = refd, .no_tx = true};
                st = make_stmt(sql, &cc, refs);
                double t0 = now_ms();
                rc = tracer_run(tr[mode], &st, &t, &err);
                ms[mode][round] = now_ms() - t0;
                free_stmt(&st);
                CHECK(rc == 0 && t.status == TRACE_OK && strcmp(t.capture, "phase") == 0,
                      "bench: %s on %d: %s %s (capture %s)", classes[c].cls, major, err.msg,
                      t.message ? t.message : "", t.capture);
                trace_free(&t);
                free(setup);
                free(sql);
                free(target);
                free(refd);
            }
        }
        qsort(ms[0], ROUNDS, sizeof(double), dbl_cmp);
        qsort(ms[1], ROUNDS, sizeof(double), dbl_cmp);
        printf("# observed on %d: %-30s median %7.1f ms with the holders, %7.1f ms the target "
               "alone: %.2fx\n",
               major, classes[c].cls, ms[0][ROUNDS / 2], ms[1][ROUNDS / 2],
               ms[0][ROUNDS / 2] / ms[1][ROUNDS / 2]);
    }
    tracer_free(tr[0]);
    tracer_free(tr[1]);
#undef OB_TABLE
#undef OB_PARTS
}

/* Every check of this file against one server. */
/* The end of a statement's text: a line comment there hides nothing of the
 * tracer's (the lock read follows the statement in its string), and a
 * statement cut short gets the server's own message, as when it ran alone. */
static void run_text_ends(Tracer *tr, int major)
{
    Err err = {0};
    Trace t;
    char *refs[1];
    Case cc = {.target = "te"};
    Statement st = make_stmt("DROP TABLE IF EXISTS te; CREATE TABLE te(id int)", NULL, refs);
    CHECK(tracer_run(tr, &st, &t, &err) == 0 && t.status == TRACE_OK, "text ends: setup");
    free_stmt(&st);
    trace_free(&t);
    st = make_stmt("ALTER TABLE te ADD COLUMN c int -- a comment at the end", &cc, refs);
    CHECK(st.info.parsed == STMT_PARSED_TREE, "text ends: parsed");
    int rc = tracer_run(tr, &st, &t, &err);
    free_stmt(&st);
    ExpLock e = {.relation = "te", .role = "table", .mode = "AccessExclusiveLock"};
    CHECK(rc == 0 && t.status == TRACE_OK && has_lock(&t, &e),
          "text ends on %d: a line comment at the end: %s %s", major, err.msg,
          t.message ? t.message : "");
    trace_free(&t);
    st = make_stmt("ALTER TABLE te ADD COLUMN", &cc, refs);
    CHECK(st.info.parsed != STMT_PARSED_TREE, "text ends: cut short is not parsed");
    rc = tracer_run(tr, &st, &t, &err);
    free_stmt(&st);
    CHECK(rc == 0 && t.status == TRACE_ERROR && t.message &&
              strcmp(t.message, "syntax error at end of input") == 0,
          "text ends on %d: cut short: the server's message (%s)", major,
          t.message ? t.message : "");
    trace_free(&t);
    err_clear(&err);
    CHECK(tracer_verify_cache(tr, &err) == 0, "text ends on %d: snapshot: %s", major, err.msg);
}

/* The describable catalogs' fixed oids are the server's. */
static void run_describable(const char *conninfo, int major)
{
    Err err = {0};
    PgConn *c = pgconn_connect(conninfo, 5000, &err);
    CHECK(c != NULL, "describable on %d: connect: %s", major, err.msg);
    if (!c) return;
    for (size_t i = 0; i < ndescribable; i++) {
        char *sql = xasprintf("SELECT 'pg_catalog.%s'::pg_catalog.regclass::pg_catalog.oid",
                              describable[i].name);
        PgReply r;
        PgStatus s = pgconn_exec(c, sql, 5000, &r);
        unsigned oid = s == PG_OK && r.nres == 1 && PQntuples(r.res[0]) == 1
                           ? (unsigned)strtoul(PQgetvalue(r.res[0], 0, 0), NULL, 10)
                           : 0;
        CHECK(oid == describable[i].oid, "describable on %d: %s is %u, the table says %u", major,
              describable[i].name, oid, describable[i].oid);
        pgreply_clear(&r);
        free(sql);
    }
    pgconn_close(c);
}

/* A tracer that keeps no columns (the replay's) gives the same locks,
 * rewrites and scans as one that does, and no column changes; its snapshot
 * stays true to the catalog it reads. */
static void run_no_columns(const char *conninfo, int major)
{
    TracerOpts opts = {.statement_timeout_ms = TIMEOUT_MS, .server_major = major};
    TracerOpts nopts = opts;
    nopts.no_columns = true;
    Err err = {0};
    Tracer *full = tracer_new(conninfo, &opts, &err);
    Tracer *lean = tracer_new(conninfo, &nopts, &err);
    CHECK(full && lean, "no columns on %d: tracers: %s", major, err.msg);
    if (!full || !lean) {
        tracer_free(full);
        tracer_free(lean);
        return;
    }
    static const char *const steps[] = {
        "DROP TABLE IF EXISTS %s_t; CREATE TABLE %s_t(id int PRIMARY KEY, v text DEFAULT 'x')",
        "INSERT INTO %s_t SELECT g, 'v' FROM generate_series(1, 50) g",
        "ALTER TABLE %s_t ALTER COLUMN id TYPE bigint",
        "ALTER TABLE %s_t ADD COLUMN w int NOT NULL DEFAULT 1",
        "SELECT count(*) FROM %s_t WHERE v = 'v'",
        "DROP TABLE %s_t",
    };
    /* one tracer after the other: each must be alone in changing the catalog */
    Trace t[2][ARRAY_LEN(steps)];
    for (int k = 0; k < 2; k++) {
        const char *name = k ? "nocols" : "cols";
        for (size_t i = 0; i < ARRAY_LEN(steps); i++) {
            char *sql = xasprintf(steps[i], name, name);
            Statement st = make_stmt(sql, NULL, NULL);
            CHECK(tracer_run(k ? lean : full, &st, &t[k][i], &err) == 0 &&
                      t[k][i].status == TRACE_OK,
                  "no columns on %d, step %zu (%s): %s", major, i, name, err.msg);
            free_stmt(&st);
            free(sql);
        }
        err_clear(&err);
        CHECK(tracer_verify_cache(k ? lean : full, &err) == 0, "no columns on %d: %s snapshot: %s",
              major, name, err.msg);
    }
    for (size_t i = 0; i < ARRAY_LEN(steps); i++) {
        Trace *a = &t[0][i], *b = &t[1][i];
        bool same =
            a->nlocks == b->nlocks && a->nrewrites == b->nrewrites && a->nscans == b->nscans;
        for (size_t l = 0; same && l < a->nlocks; l++)
            same = strcmp(a->locks[l].mode, b->locks[l].mode) == 0 &&
                   strcmp(a->locks[l].role, b->locks[l].role) == 0;
        CHECK(same,
              "no columns on %d, step %zu: the same locks (%zu, %zu), rewrites (%zu, %zu) and "
              "scans (%zu, %zu)",
              major, i, a->nlocks, b->nlocks, a->nrewrites, b->nrewrites, a->nscans, b->nscans);
        size_t cols[2] = {0, 0};
        for (int k = 0; k < 2; k++)
            for (size_t c = 0; c < t[k][i].nchanges; c++)
                cols[k] += strncmp(t[k][i].changes[c].kind, "column_", 7) == 0;
        CHECK(cols[1] == 0, "no columns on %d, step %zu: no column changes (%zu)", major, i,
              cols[1]);
        if (i == 3)
            CHECK(cols[0] > 0, "no columns on %d: the full tracer sees the column added", major);
        trace_free(a);
        trace_free(b);
    }
    tracer_free(full);
    tracer_free(lean);
}

static void run_server(const char *conninfo, int major)
{
    if (getenv("LM_BENCH_OBSERVED")) {
        measure_observed(conninfo, major);
        return;
    }
    bool verbose = getenv("LM_TEST_VERBOSE") != NULL;
    TracerOpts opts = {.statement_timeout_ms = TIMEOUT_MS, .server_major = major};
    Err err = {0};
    Tracer *tr = tracer_new(conninfo, &opts, &err);
    CHECK(tr != NULL, "tracer_new: %s", err.msg);
    if (!tr) return;
    if (!major) {
        PgConn *c = pgconn_connect(conninfo, 5000, &err);
        major = c ? pgconn_server_version(c) / 10000 : 0;
        pgconn_close(c);
    }
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        if (in_range(major, cases[i].min, cases[i].max)) run_case(tr, &cases[i], major, verbose);
    for (size_t i = 0; i < ARRAY_LEN(phase_cases); i++)
        if (in_range(major, phase_cases[i].min, phase_cases[i].min == 10 ? 10 : 0))
            run_phase_case(tr, &phase_cases[i], major, verbose);
    for (size_t i = 0; i < ARRAY_LEN(scripts); i++)
        if (in_range(major, scripts[i].min, 0))
            run_script(tr, conninfo, &scripts[i], major, verbose);
    run_text_ends(tr, major);
    run_no_columns(conninfo, major);
    run_describable(conninfo, major);

    /* bad conninfo: an environment error, no hang */
    Tracer *bad = tracer_new("host=/nonexistent dbname=x connect_timeout=2", &opts, &err);
    CHECK(bad == NULL && err.code == 3, "tracer_new on a missing server fails with code 3");
    tracer_free(bad);

    /* the check of the cached snapshot can fail: change the catalog behind the tracer's back */
    {
        PgConn *c = pgconn_connect(conninfo, 5000, &err);
        PgReply r;
        pgconn_exec(c, "DROP TABLE IF EXISTS behind_back; CREATE TABLE behind_back(id int)", 5000,
                    &r);
        pgreply_clear(&r);
        err_clear(&err);
        CHECK(tracer_verify_cache(tr, &err) > 0, "a change behind the tracer's back is seen");
        pgconn_exec(c, "DROP TABLE behind_back", 5000, &r);
        pgreply_clear(&r);
        pgconn_close(c);
    }

    if (!getenv("LM_TEST_NO_BENCH")) measure(conninfo, major);
    tracer_free(tr);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    t_with_servers(run_server);
    return t_done("test_tracer");
}
