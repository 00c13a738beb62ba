/*
 * test_locktable: the lock table's file format (errors name the file and
 * line), the built-in table, classify -> predict over a table of statements,
 * observations, verdicts, regeneration (ranges merged, notes kept), the diff
 * and the JSON export.
 */
#include "predict/locktable.h"
#include "model/versions.h"
#include "t.h"

#include <stdlib.h>

#define HDR "class\tfirst\tlast\tmode\trewrite\tscan\tothers\trisk\tnote\n"

/* ---- parsing ------------------------------------------------------------ */

typedef struct ParseCase {
    const char *text;
    const char *error; /* substring of the message, NULL: parses */
} ParseCase;

static const ParseCase parse_cases[] = {
    {"# comment\n" HDR "X\t10\t17\tAccessExclusiveLock\tyes\tno\t-\thigh\tnote\n", NULL},
    {HDR "X\t10\t11\t-\tno\tdepends\treferenced:ShareLock,other:AccessShareLock\tsafe\t\n", NULL},
    {HDR "\n# between\nX\t10\t17\t-\tno\tno\t-\tsafe\tn\r\n", NULL},
    {"X\t10\t17\t-\tno\tno\t-\tsafe\tn\n", "\"t.tsv\" line 1: expected the column names"},
    {"# only a comment\n", "no column names line"},
    {HDR "X\t10\t17\tAccessExclusive\tyes\tno\t-\thigh\tn\n",
     "\"t.tsv\" line 2: unknown lock mode \"AccessExclusive\""},
    {HDR "X\t10\t17\t-\tmaybe\tno\t-\thigh\tn\n", "line 2: invalid rewrite \"maybe\""},
    {HDR "X\t10\t17\t-\tno\tsometimes\t-\thigh\tn\n", "line 2: invalid scan \"sometimes\""},
    {HDR "X\t10\t17\t-\tno\tno\ttable:ShareLock\thigh\tn\n", "line 2: invalid other lock \"table"},
    {HDR "X\t10\t17\t-\tno\tno\treferenced\thigh\tn\n", "line 2: invalid other lock"},
    {HDR "X\t10\t17\t-\tno\tno\t-\tterrible\tn\n", "line 2: unknown risk \"terrible\""},
    {HDR "X\tten\t17\t-\tno\tno\t-\tsafe\tn\n", "line 2: invalid first version \"ten\""},
    {HDR "X\t12\t11\t-\tno\tno\t-\tsafe\tn\n", "line 2: last version 11 before first version 12"},
    {HDR "X\t10\t17\t-\tno\tno\t-\tsafe\n", "line 2: 8 fields, expected 9"},
    {HDR "\t10\t17\t-\tno\tno\t-\tsafe\tn\n", "line 2: empty class"},
    {HDR "X\t10\t13\t-\tno\tno\t-\tsafe\tn\nY\t10\t17\t-\tno\tno\t-\tsafe\tn\n"
         "X\t13\t17\t-\tno\tno\t-\tsafe\tn\n",
     "\"t.tsv\" line 4: \"X\" 13-17 overlaps line 2 (10-13)"},
};

static void test_parse(void)
{
    for (size_t i = 0; i < ARRAY_LEN(parse_cases); i++) {
        const ParseCase *c = &parse_cases[i];
        LockTable *t = NULL;
        Err err = {0};
        int rc = locktable_parse(c->text, strlen(c->text), "t.tsv", &t, &err);
        if (!c->error) {
            CHECK(rc == 0 && t, "case %zu parses: %s", i, err.msg);
        } else {
            CHECK(rc < 0 && !t && err.code == 2, "case %zu fails with code 2", i);
            CHECK(strstr(err.msg, c->error) != NULL, "case %zu: \"%s\" in \"%s\"", i, c->error,
                  err.msg);
        }
        locktable_free(t);
    }
    Err err = {0};
    LockTable *t = NULL;
    CHECK(locktable_load("/nonexistent/locktable.tsv", &t, &err) < 0 && !t, "missing file fails");
    CHECK(strstr(err.msg, "/nonexistent/locktable.tsv") != NULL, "names the file: %s", err.msg);
}

/* ---- the built-in table ------------------------------------------------- */

static void test_builtin(LockTable *t)
{
    CHECK(locktable_nclasses(t) >= 60, "at least 60 classes: %zu", locktable_nclasses(t));
    /* every class covers every major in full from its first row to its
     * last (rows no run has measured on the newest major yet end before it) */
    size_t gaps = 0;
    for (size_t i = 0; i < t->nrows; i++) {
        const LtRow *r = &t->rows[i];
        int last = r->last;
        for (size_t k = 0; k < t->nrows; k++)
            if (strcmp(t->rows[k].cls, r->cls) == 0 && t->rows[k].last > last)
                last = t->rows[k].last;
        for (int m = r->first; m <= last; m++)
            if (!locktable_lookup(t, r->cls, m)) gaps++;
        CHECK(r->last <= VERSIONS_MAX, "%s: row ends at %d, after the newest major", r->cls,
              r->last);
    }
    CHECK(gaps == 0, "no class has a hole in its versions after its first: %zu", gaps);
    /* the text round-trips */
    Buf b;
    buf_init(&b);
    locktable_format_tsv(t, &b);
    LockTable *u = NULL;
    Err err = {0};
    CHECK(locktable_parse(b.data, b.len, "again", &u, &err) == 0, "formatted table parses: %s",
          err.msg);
    Buf d;
    buf_init(&d);
    CHECK(u && locktable_diff(t, u, &d) == 0, "and equals the original: %s", d.data ? d.data : "");
    buf_free(&d);
    buf_free(&b);
    locktable_free(u);
    /* JSON */
    buf_init(&b);
    locktable_format_json(t, &b);
    CHECK(strstr(b.data, "\"rows\": [") != NULL, "json has rows");
    CHECK(strstr(b.data, "\"class\": \"ALTER TABLE ADD COLUMN DEFAULT volatile\"") != NULL,
          "json names classes");
    buf_free(&b);
}

/* ---- classify -> predict ------------------------------------------------ */

typedef struct PredictCase {
    const char *sql;
    int major;
    const char *mode; /* NULL: unpredicted */
    const char *rewrite;
    const char *risk;
} PredictCase;

static const PredictCase predict_cases[] = {
    {"ALTER TABLE t ADD COLUMN c text", 10, "AccessExclusiveLock", "no", "low"},
    {"ALTER TABLE t ADD COLUMN c text DEFAULT 'x'", 10, "AccessExclusiveLock", "yes", "critical"},
    {"ALTER TABLE t ADD COLUMN c text DEFAULT 'x'", 11, "AccessExclusiveLock", "no", "low"},
    {"ALTER TABLE t ADD COLUMN c text DEFAULT 'x'", 17, "AccessExclusiveLock", "no", "low"},
    {"ALTER TABLE t ADD COLUMN c bool NOT NULL DEFAULT false", 10, "AccessExclusiveLock", "yes",
     "critical"},
    {"ALTER TABLE t ADD COLUMN c bool NOT NULL DEFAULT false", 12, "AccessExclusiveLock", "no",
     "low"},
    {"ALTER TABLE t ADD COLUMN c float8 DEFAULT random()", 14, "AccessExclusiveLock", "yes",
     "critical"},
    {"ALTER TABLE t ADD COLUMN c uuid DEFAULT gen_random_uuid()", 16, "AccessExclusiveLock", "yes",
     "critical"},
    {"ALTER TABLE t ADD COLUMN id bigserial", 13, "AccessExclusiveLock", "yes", "critical"},
    {"ALTER TABLE t ADD COLUMN id int GENERATED ALWAYS AS IDENTITY", 15, "AccessExclusiveLock",
     "yes", "critical"},
    {"ALTER TABLE t ADD COLUMN x int GENERATED ALWAYS AS (a * 2) STORED", 12, "AccessExclusiveLock",
     "yes", "critical"},
    {"ALTER TABLE t ADD COLUMN x int GENERATED ALWAYS AS (a * 2) STORED", 11, NULL, NULL, NULL},
    {"ALTER TABLE t ADD COLUMN o int REFERENCES other (id)", 14, "AccessExclusiveLock", "no",
     "medium"},
    {"ALTER TABLE t DROP COLUMN c", 10, "AccessExclusiveLock", "no", "low"},
    {"ALTER TABLE t ALTER COLUMN c TYPE bigint", 14, "AccessExclusiveLock", "depends", "high"},
    {"ALTER TABLE t ALTER COLUMN c TYPE int USING c::int", 14, "AccessExclusiveLock", "yes",
     "critical"},
    {"ALTER TABLE t ALTER COLUMN c SET DEFAULT 0", 11, "AccessExclusiveLock", "no", "low"},
    {"ALTER TABLE t ALTER COLUMN c SET NOT NULL", 11, "AccessExclusiveLock", "no", "high"},
    {"ALTER TABLE t ALTER COLUMN c SET NOT NULL", 12, "AccessExclusiveLock", "no", "medium"},
    {"ALTER TABLE t ALTER COLUMN c DROP NOT NULL", 17, "AccessExclusiveLock", "no", "low"},
    {"ALTER TABLE t ALTER COLUMN c SET STATISTICS 500", 13, "ShareUpdateExclusiveLock", "no",
     "safe"},
    {"ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0)", 10, "AccessExclusiveLock", "no", "high"},
    {"ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID", 10, "AccessExclusiveLock", "no",
     "low"},
    {"ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (o) REFERENCES p (id)", 16,
     "ShareRowExclusiveLock", "no", "high"},
    {"ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (o) REFERENCES p (id) NOT VALID", 16,
     "ShareRowExclusiveLock", "no", "low"},
    {"ALTER TABLE t VALIDATE CONSTRAINT f", 12, "ShareUpdateExclusiveLock", "no", "low"},
    {"ALTER TABLE t ADD PRIMARY KEY (id)", 15, "AccessExclusiveLock", "no", "high"},
    {"ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX t_idx", 15, "AccessExclusiveLock",
     "no", "medium"},
    {"ALTER TABLE t ADD CONSTRAINT u UNIQUE USING INDEX t_idx", 15, "AccessExclusiveLock", "no",
     "low"},
    {"ALTER TABLE t ADD CONSTRAINT u UNIQUE (a)", 15, "AccessExclusiveLock", "no", "high"},
    {"ALTER TABLE t DROP CONSTRAINT c", 15, "AccessExclusiveLock", "no", "medium"},
    {"ALTER TABLE t RENAME TO u", 10, "AccessExclusiveLock", "no", "low"},
    {"ALTER TABLE t RENAME COLUMN a TO b", 10, "AccessExclusiveLock", "no", "low"},
    {"ALTER INDEX i RENAME TO j", 11, "AccessExclusiveLock", "no", "low"},
    {"ALTER INDEX i RENAME TO j", 12, "ShareUpdateExclusiveLock", "no", "safe"},
    {"ALTER TABLE t SET (fillfactor = 70)", 10, "ShareUpdateExclusiveLock", "no", "safe"},
    {"ALTER TABLE t SET LOGGED", 10, "AccessExclusiveLock", "depends", "critical"},
    {"ALTER TABLE t SET UNLOGGED", 17, "AccessExclusiveLock", "depends", "critical"},
    {"ALTER TABLE t ENABLE ROW LEVEL SECURITY", 13, "AccessExclusiveLock", "no", "low"},
    {"ALTER TABLE p ATTACH PARTITION c FOR VALUES FROM (1) TO (10)", 11, "AccessExclusiveLock",
     "no", "high"},
    {"ALTER TABLE p ATTACH PARTITION c FOR VALUES FROM (1) TO (10)", 12, "ShareUpdateExclusiveLock",
     "no", "medium"},
    {"ALTER TABLE p DETACH PARTITION c", 13, "AccessExclusiveLock", "no", "medium"},
    {"ALTER TABLE p DETACH PARTITION c CONCURRENTLY", 14, "ShareUpdateExclusiveLock", "no", "low"},
    {"ALTER TABLE p DETACH PARTITION c CONCURRENTLY", 13, NULL, NULL, NULL},
    {"CREATE TABLE t (id int PRIMARY KEY)", 10, "-", "no", "safe"},
    {"CREATE TABLE c PARTITION OF p FOR VALUES FROM (1) TO (10)", 10, "-", "no", "medium"},
    {"CREATE INDEX i ON t (a)", 10, "ShareLock", "no", "high"},
    {"CREATE UNIQUE INDEX i ON t (a)", 17, "ShareLock", "no", "high"},
    {"CREATE INDEX CONCURRENTLY i ON t (a)", 17, "ShareUpdateExclusiveLock", "no", "low"},
    {"DROP INDEX i", 10, "AccessExclusiveLock", "no", "medium"},
    {"DROP INDEX CONCURRENTLY i", 10, "AccessExclusiveLock", "no", "low"},
    {"DROP TABLE t", 10, "AccessExclusiveLock", "no", "medium"},
    {"TRUNCATE t", 10, "AccessExclusiveLock", "yes", "high"},
    {"VACUUM t", 10, "ShareUpdateExclusiveLock", "no", "safe"},
    {"VACUUM FULL t", 10, "AccessExclusiveLock", "yes", "critical"},
    {"CLUSTER t USING i", 10, "AccessExclusiveLock", "yes", "critical"},
    {"REINDEX INDEX i", 10, "AccessExclusiveLock", "yes", "high"},
    {"REINDEX TABLE t", 10, "ShareLock", "no", "high"},
    {"REINDEX TABLE CONCURRENTLY t", 12, "ShareUpdateExclusiveLock", "no", "low"},
    {"REINDEX TABLE CONCURRENTLY t", 11, NULL, NULL, NULL},
    {"REFRESH MATERIALIZED VIEW v", 10, "AccessExclusiveLock", "yes", "high"},
    {"REFRESH MATERIALIZED VIEW CONCURRENTLY v", 10, "ExclusiveLock", "no", "medium"},
    {"LOCK TABLE t IN SHARE MODE", 10, "ShareLock", "no", "medium"},
    {"LOCK TABLE t", 10, "AccessExclusiveLock", "no", "high"},
    {"CREATE TRIGGER tr BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION f()", 11,
     "ShareRowExclusiveLock", "no", "low"},
    {"CREATE SEQUENCE s", 10, "-", "no", "safe"},
    {"ALTER SEQUENCE s RESTART WITH 10", 10, "ShareRowExclusiveLock", "depends", "low"},
    {"ALTER TYPE mood ADD VALUE 'meh'", 10, "-", "no", "safe"},
    {"COMMENT ON TABLE t IS 'x'", 10, "ShareUpdateExclusiveLock", "no", "safe"},
    {"COMMENT ON COLUMN t.c IS 'x'", 10, "ShareUpdateExclusiveLock", "no", "safe"},
    {"CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'select 1'", 10, "-", "no", "safe"},
    {"CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS 'select 1'", 10, "-", "no",
     "safe"},
    {"CREATE TYPE mood AS ENUM ('a', 'b')", 10, "-", "no", "safe"},
    {"CREATE EXTENSION IF NOT EXISTS pgcrypto", 10, "-", "no", "safe"},
    {"CREATE SCHEMA IF NOT EXISTS auth", 10, "-", "no", "safe"},
    {"GRANT SELECT ON t TO someone", 10, "-", "no", "safe"},
    {"INSERT INTO t VALUES (1)", 10, "RowExclusiveLock", "no", "safe"},
    {"UPDATE t SET a = 1", 10, "RowExclusiveLock", "no", "low"},
    {"DELETE FROM t WHERE a = 1", 10, "RowExclusiveLock", "no", "low"},
    {"SELECT 1", 10, "-", "no", "safe"},
    {"DO $$ BEGIN PERFORM 1; END $$", 10, "-", "depends", "medium"},
    {"SET statement_timeout = 0", 10, "-", "no", "safe"},
    {"BEGIN", 10, "-", "no", "safe"},
    {"COMMIT", 10, "-", "no", "safe"},
    /* several subcommands: the strongest mode, rewrite when any rewrites */
    {"ALTER TABLE t ALTER COLUMN a SET STATISTICS 100, ADD COLUMN b int DEFAULT random()", 12,
     "AccessExclusiveLock", "yes", "critical"},
    {"ALTER TABLE t ADD COLUMN a int, ADD COLUMN b text DEFAULT 'x'", 10, "AccessExclusiveLock",
     "yes", "critical"},
    {"ALTER TABLE t ADD COLUMN a int, ADD COLUMN b text DEFAULT 'x'", 11, "AccessExclusiveLock",
     "no", "low"},
    {"ALTER TABLE t ALTER COLUMN a SET STATISTICS 100, ALTER COLUMN b SET STATISTICS 100", 10,
     "ShareUpdateExclusiveLock", "no", "safe"},
    {"ALTER TABLE t ADD COLUMN a int, ALTER COLUMN b TYPE bigint", 10, "AccessExclusiveLock",
     "depends", "high"},
    /* IF NOT EXISTS: the server may skip it, so the rewrite may not happen */
    {"ALTER TABLE t ADD COLUMN IF NOT EXISTS c bool NOT NULL DEFAULT false", 10,
     "AccessExclusiveLock", "depends", "critical"},
    {"ALTER TABLE t ADD COLUMN IF NOT EXISTS c bool NOT NULL DEFAULT false", 12,
     "AccessExclusiveLock", "no", "low"},
    /* a combined ADD COLUMN class without a row of its own: from its parts */
    {"ALTER TABLE t ADD COLUMN a int NOT NULL UNIQUE", 14, "AccessExclusiveLock", "no", "high"},
    {"ALTER TABLE t ADD COLUMN a bigserial REFERENCES p (id)", 10, "AccessExclusiveLock", "yes",
     "critical"},
    {"ALTER TABLE t ADD COLUMN a int DEFAULT 1 PRIMARY KEY", 10, "AccessExclusiveLock", "yes",
     "critical"},
    {"ALTER TABLE t ADD COLUMN a int DEFAULT 1 PRIMARY KEY", 11, "AccessExclusiveLock", "no",
     "high"},
    {"ALTER TABLE t ADD COLUMN a int UNIQUE CHECK (a > 0)", 17, "AccessExclusiveLock", "no",
     "high"},
    {"ALTER TABLE t ADD COLUMN x int GENERATED ALWAYS AS (a * 2) STORED UNIQUE", 11, NULL, NULL,
     NULL},
    /* a SELECT whose WITH clause writes a table */
    {"WITH d AS (DELETE FROM q WHERE done RETURNING id) SELECT count(*) FROM d", 10,
     "RowExclusiveLock", "no", "low"},
    /* newer than the parser, classified from the keywords: the coarse class's
     * mode and risk, rewrite (and scan) "depends": the details are not read */
    {"ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS (a * 2) VIRTUAL", 17,
     "AccessExclusiveLock", "depends", "low"},
    {"ALTER TABLE t ADD CONSTRAINT ck CHECK (x > 0) NOT ENFORCED", 17, "AccessExclusiveLock",
     "depends", "high"},
    {"ALTER TABLE t ALTER COLUMN a SET STATISTICS DEFAULT", 17, "ShareUpdateExclusiveLock",
     "depends", "safe"},
    {"ALTER TABLE t ALTER COLUMN c SET EXPRESSION AS (a * 3)", 17, "AccessExclusiveLock", "depends",
     "high"},
    /* no row */
    {"THIS IS NOT SQL", 10, NULL, NULL, NULL},
    {"ALTER TABLE t ADD COLUMN a int", VERSIONS_MAX + 1, NULL, NULL,
     NULL}, /* a major after the table */
};

static void test_predict(const LockTable *t)
{
    for (size_t i = 0; i < ARRAY_LEN(predict_cases); i++) {
        const PredictCase *c = &predict_cases[i];
        StmtInfo info;
        classify_statement(c->sql, &info);
        Prediction p;
        bool have = locktable_predict(t, &info, c->major, &p);
        if (!c->mode) {
            CHECK(!have, "%s on %d: unpredicted (class \"%s\")", c->sql, c->major, info.cls);
        } else {
            CHECK(have, "%s on %d: predicted (class \"%s\")", c->sql, c->major, info.cls);
            if (have) {
                CHECK_STR(lock_mode_label(p.mode), c->mode, "%s on %d: mode", c->sql, c->major);
                CHECK_STR(tri_name(p.rewrite), c->rewrite, "%s on %d: rewrite", c->sql, c->major);
                CHECK_STR(risk_name(p.risk), c->risk, "%s on %d: risk", c->sql, c->major);
                if (info.parsed == STMT_PARSED_KEYWORDS)
                    CHECK(p.scan == TRI_DEPENDS, "%s on %d: scan depends", c->sql, c->major);
            }
        }
        classify_free(&info);
    }
}

/* ---- observations and verdicts ----------------------------------------- */

/* locktable_observe of a statement that ran in a transaction of its own;
 * scanned: the relations with seq_scan > 0 */
static void observe(TraceLock *locks, size_t nlocks, char **rewrites, size_t nrewrites,
                    char **scanned, size_t nscanned, const char *capture, LtObs *o)
{
    TraceScan scans[4] = {{0}};
    for (size_t i = 0; i < nscanned && i < ARRAY_LEN(scans); i++)
        scans[i] = (TraceScan){.relation = scanned[i], .seq_scan = 1};
    Trace t = {.locks = locks,
               .nlocks = nlocks,
               .req = TRACE_REQ_OWN,
               .rewrites = rewrites,
               .nrewrites = nrewrites,
               .scans = scans,
               .nscans = nscanned};
    snprintf(t.capture, sizeof(t.capture), "%s", capture);
    locktable_observe(&t, o);
}

static void test_observe(void)
{
    TraceLock locks[] = {
        {"t", "table", "relation", "AccessShareLock", true, false},
        {"t", "table", "relation", "AccessExclusiveLock", true, false},
        {"t_pkey", "index", "relation", "AccessExclusiveLock", true, false},
        {"p", "referenced", "relation", "ShareRowExclusiveLock", true, false},
        {"q", "other", "relation", "RowShareLock", false, false},
        {"x", "other", "relation", "AccessExclusiveLock", true, true}, /* held before */
        {"n", "new", "relation", "AccessExclusiveLock", true, false},
        {"virtualxid 3/7", "virtualxid", "virtualxid", "ExclusiveLock", true, false},
    };
    char *rewrites_idx[] = {"t_pkey"};
    char *rewrites_t[] = {"t_pkey", "t"};
    char *scans_new[] = {"n"};
    char *scans_t[] = {"t"};
    LtObs o;
    observe(locks, ARRAY_LEN(locks), rewrites_idx, 1, scans_new, 1, "tx", &o);
    CHECK(o.mode == locktable_mode_rank("AccessExclusiveLock"), "strongest target mode");
    CHECK(!o.rewrite, "an index rewritten is not a table rewrite");
    CHECK(!o.scan, "a scan of a new relation does not count");
    CHECK(o.others[0] == locktable_mode_rank("ShareRowExclusiveLock"), "referenced");
    CHECK(o.others[1] == locktable_mode_rank("RowShareLock"), "other, held before ignored");
    CHECK(!o.exact, "tx with a lock held before: a lower bound");
    observe(locks, ARRAY_LEN(locks) - 3, rewrites_idx, 1, scans_new, 1, "tx", &o);
    CHECK(o.exact, "tx with nothing held before is exact");
    observe(locks, ARRAY_LEN(locks), rewrites_t, 2, scans_t, 1, "observer", &o);
    CHECK(o.rewrite, "the target rewritten");
    CHECK(!o.scan && !o.exact, "sampled: no scans");
    /* phases: every lock read, exact; the scans of a statement run in
     * autocommit are not counted */
    observe(locks, ARRAY_LEN(locks) - 3, rewrites_t, 2, scans_t, 1, "phase", &o);
    CHECK(o.exact && o.no_scans && !o.scan && o.rewrite, "phase: exact locks, no scans counted");
    observe(locks, ARRAY_LEN(locks) - 3, rewrites_t, 2, scans_t, 1, "tx", &o);
    CHECK(o.exact && !o.no_scans && o.scan, "tx: exact, scans counted");
    char *rewrites_unseen[] = {"toast_index(t)"};
    observe(locks, ARRAY_LEN(locks) - 3, rewrites_unseen, 1, NULL, 0, "phase", &o);
    CHECK(!o.rewrite, "phase: a relation rewritten but not seen locked is no table rewrite");
    observe(locks, ARRAY_LEN(locks) - 3, rewrites_unseen, 1, NULL, 0, "tx", &o);
    CHECK(o.rewrite, "tx: a relation rewritten and not seen locked is a rewrite");
    /* only locks held before on the target: they never stand for the
     * statement's own (an INSERT after CREATE TABLE in one transaction) */
    TraceLock held[] = {{"t", "table", "relation", "AccessExclusiveLock", true, true}};
    observe(held, 1, NULL, 0, NULL, 0, "tx", &o);
    CHECK(o.mode == -1, "held before does not count");
    CHECK(!o.exact, "held before: a lower bound");
    CHECK(!o.created, "nothing new: not created");
    /* a target the statement created (CREATE OR REPLACE VIEW of a new view):
     * the row's mode on an existing target does not apply */
    TraceLock made[] = {{"v", "new", "relation", "AccessExclusiveLock", true, false},
                        {"u", "other", "relation", "AccessShareLock", true, false}};
    observe(made, 2, NULL, 0, NULL, 0, "tx", &o);
    CHECK(o.mode == -1 && o.created && o.exact, "created target: no mode, created");
    Prediction pv = {.predicted = true,
                     .mode = locktable_mode_rank("AccessExclusiveLock"),
                     .rewrite = TRI_NO,
                     .scan = TRI_NO,
                     .others = {-1, locktable_mode_rank("AccessShareLock")}};
    CHECK(locktable_verdict(&pv, &o, false) == VERDICT_CONFIRMED, "created target: confirmed");
    pv.others[1] = -1;
    CHECK(locktable_verdict(&pv, &o, false) == VERDICT_TRACE_ONLY,
          "created target: others still count");
    observe(locks, 3, NULL, 0, NULL, 0, "tx", &o);
    CHECK(!o.created, "a target locked: not created");
    /* the replay's requests stand for the statement */
    TraceLock req[] = {{"t", "table", "relation", "RowExclusiveLock", true, false}};
    char *req_rw[] = {"t"};
    char *req_sc[] = {"t"};
    Trace tr = {.locks = held,
                .nlocks = 1,
                .req = TRACE_REQ_REPLAY,
                .requested = req,
                .nrequested = 1,
                .req_rewrites = req_rw,
                .nreq_rewrites = 1,
                .req_scanned = req_sc,
                .nreq_scanned = 1,
                .capture = "tx"};
    locktable_observe(&tr, &o);
    CHECK(o.mode == locktable_mode_rank("RowExclusiveLock"), "replay: requested mode");
    CHECK(o.exact && o.rewrite && o.scan, "replay: exact, its rewrite and scan");
    /* a rewrite seen in the transaction but not in the replay does not count
     * (TRUNCATE of a table created in the same transaction keeps its file) */
    tr.nreq_rewrites = 0;
    tr.rewrites = req_rw;
    tr.nrewrites = 1;
    locktable_observe(&tr, &o);
    CHECK(!o.rewrite, "replay: the transaction's rewrite does not count");
    tr.req = TRACE_REQ_UNMEASURED;
    locktable_observe(&tr, &o);
    CHECK(o.mode == -1 && !o.exact, "unmeasured: only what was added, inexact");
    /* the observation reads the trace itself: a scan with seq_scan 0 is no
     * scan, a notice that says "skipping" marks the statement skipped */
    TraceScan idle = {.relation = "t", .seq_scan = 0};
    Trace ts = {.locks = locks,
                .nlocks = 3,
                .scans = &idle,
                .nscans = 1,
                .capture = "tx",
                .said = "NOTICE:  relation \"t\" already exists, skipping\n"};
    locktable_observe(&ts, &o);
    CHECK(!o.scan && o.skipped, "seq_scan 0: no scan; said skipping: skipped");
    idle.seq_scan = 2;
    ts.said = NULL;
    locktable_observe(&ts, &o);
    CHECK(o.scan && !o.skipped, "seq_scan 2: a scan; nothing said: not skipped");
    CHECK(trace_req_parse(trace_req_name(TRACE_REQ_REPLAY)) == TRACE_REQ_REPLAY, "req names");
    CHECK(trace_req_parse("own") == TRACE_REQ_OWN, "req own");
    CHECK(trace_req_parse("bogus") == TRACE_REQ_UNMEASURED, "req unknown");
    /* a rewrite of a relation never seen locked: counts only when exact */
    char *unseen[] = {"u"};
    observe(NULL, 0, unseen, 1, NULL, 0, "tx", &o);
    CHECK(o.rewrite, "exact: unseen rewritten relation counts");
    observe(NULL, 0, unseen, 1, NULL, 0, "poll", &o);
    CHECK(!o.rewrite, "sampled: unseen rewritten relation does not count");
}

typedef struct VerdictCase {
    int pmode;
    Tri prewrite, pscan;
    int pref; /* predicted referenced mode */
    int omode;
    bool orewrite, oscan, exact;
    int oref;
    bool failed, unpredicted;
    const char *want;
} VerdictCase;

#define AEL 7
#define SUE 3
#define SRE 5
static const VerdictCase verdict_cases[] = {
    {AEL, TRI_NO, TRI_NO, -1, AEL, false, false, true, -1, false, false, "confirmed"},
    {AEL, TRI_YES, TRI_NO, -1, AEL, false, false, true, -1, false, false, "mismatch"},
    {AEL, TRI_NO, TRI_NO, -1, AEL, true, false, true, -1, false, false, "mismatch"},
    {AEL, TRI_DEPENDS, TRI_NO, -1, AEL, true, false, true, -1, false, false, "confirmed"},
    {AEL, TRI_DEPENDS, TRI_NO, -1, AEL, false, false, true, -1, false, false, "confirmed"},
    {AEL, TRI_NO, TRI_NO, -1, SUE, false, false, true, -1, false, false, "mismatch"},
    {SUE, TRI_NO, TRI_NO, -1, AEL, false, false, true, -1, false, false, "mismatch"},
    {AEL, TRI_NO, TRI_NO, -1, AEL, false, true, true, -1, false, false, "trace-only"},
    {AEL, TRI_NO, TRI_DEPENDS, -1, AEL, false, true, true, -1, false, false, "confirmed"},
    {AEL, TRI_NO, TRI_YES, -1, AEL, false, false, true, -1, false, false, "confirmed"},
    {SRE, TRI_NO, TRI_NO, -1, SRE, false, false, true, SRE, false, false, "trace-only"},
    {SRE, TRI_NO, TRI_NO, SRE, SRE, false, false, true, SRE, false, false, "confirmed"},
    {SRE, TRI_NO, TRI_NO, AEL, SRE, false, false, true, SRE, false, false, "confirmed"},
    {AEL, TRI_NO, TRI_NO, -1, AEL, false, false, true, -1, true, false, "error"},
    {AEL, TRI_NO, TRI_NO, -1, AEL, false, false, true, -1, true, true, "error"},
    {AEL, TRI_NO, TRI_NO, -1, AEL, false, false, true, -1, false, true, "unpredicted"},
    /* sampled: a weaker mode is a lower bound, a stronger one a mismatch */
    {AEL, TRI_NO, TRI_NO, -1, SUE, false, false, false, -1, false, false, "confirmed"},
    {AEL, TRI_NO, TRI_NO, -1, -1, false, false, false, -1, false, false, "confirmed"},
    {SUE, TRI_NO, TRI_NO, -1, AEL, false, false, false, -1, false, false, "mismatch"},
    {SUE, TRI_YES, TRI_NO, -1, SUE, false, false, false, -1, false, false, "mismatch"},
};

static void test_verdicts(void)
{
    for (size_t i = 0; i < ARRAY_LEN(verdict_cases); i++) {
        const VerdictCase *c = &verdict_cases[i];
        Prediction p = {.predicted = true,
                        .mode = c->pmode,
                        .rewrite = c->prewrite,
                        .scan = c->pscan,
                        .others = {c->pref, -1}};
        LtObs o = {.mode = c->omode,
                   .rewrite = c->orewrite,
                   .scan = c->oscan,
                   .others = {c->oref, -1},
                   .exact = c->exact};
        Verdict v = locktable_verdict(c->unpredicted ? NULL : &p, &o, c->failed);
        CHECK_STR(verdict_name(v), c->want, "verdict case %zu", i);
        CHECK(verdict_parse(c->want) == v, "verdict name round trip %zu", i);
    }
    /* unmeasured (its transaction held locks before it): a missing rewrite is
     * no mismatch (TRUNCATE of a table the transaction created keeps its
     * file), a rewrite where none is predicted is */
    Prediction pt = {.predicted = true, .mode = AEL, .rewrite = TRI_YES, .others = {-1, -1}};
    LtObs ot = {.mode = -1, .others = {-1, -1}, .req = TRACE_REQ_UNMEASURED};
    CHECK(locktable_verdict(&pt, &ot, false) == VERDICT_CONFIRMED, "unmeasured, no rewrite seen");
    ot.req = TRACE_REQ_REPLAY;
    ot.exact = true;
    ot.mode = AEL;
    CHECK(locktable_verdict(&pt, &ot, false) == VERDICT_MISMATCH, "measured alone, no rewrite");
    pt.rewrite = TRI_NO;
    ot = (LtObs){.mode = -1, .rewrite = true, .others = {-1, -1}, .req = TRACE_REQ_UNMEASURED};
    CHECK(locktable_verdict(&pt, &ot, false) == VERDICT_MISMATCH, "unmeasured, a rewrite seen");
    Prediction p = {.predicted = true, .mode = AEL, .rewrite = TRI_YES, .others = {-1, -1}};
    LtObs o = {.mode = SUE, .rewrite = false, .others = {-1, -1}, .exact = true};
    Buf b;
    buf_init(&b);
    locktable_explain(&p, &o, &b);
    CHECK_STR(b.data,
              "predicted AccessExclusiveLock, rewrite; observed ShareUpdateExclusiveLock, "
              "no rewrite",
              "explain");
    buf_free(&b);
}

/* ---- regeneration and diff --------------------------------------------- */

static const char regen_old[] =
    "# header kept\n" HDR "A\t10\t17\tAccessExclusiveLock\tno\tno\t-\tlow\tnote A\n"
    "B\t10\t17\tShareLock\tno\tyes\t-\thigh\tnote B\n"
    "C\t10\t17\tAccessExclusiveLock\tyes\tyes\t-\tcritical\tnote C\n";

/* A "depends" written in the table is not refuted by statements of one kind:
 * SET LOGGED of a logged table does not rewrite, of an unlogged one does. */
/* A statement the server skipped (IF [NOT] EXISTS with nothing to do) is
 * confirmed whatever the table says, and does not regenerate its row. */
static void test_skipped(void)
{
    CHECK(locktable_said_skipping("NOTICE:  table \"nope\" does not exist, skipping\n"),
          "drop skipped");
    CHECK(locktable_said_skipping(
              "NOTICE:  other\nNOTICE:  relation \"t\" already exists, skipping\n"),
          "second line");
    CHECK(!locktable_said_skipping("NOTICE:  table \"x\" will be created, not skipping it\n"),
          "not at the end");
    CHECK(!locktable_said_skipping("ERROR:  x, skipping\n"), "an error is not a skip");
    CHECK(!locktable_said_skipping(NULL) && !locktable_said_skipping(""), "nothing said");
    Prediction p = {.predicted = true, .mode = AEL, .rewrite = TRI_YES, .others = {-1, -1}};
    LtObs o = {.mode = -1, .others = {-1, -1}, .exact = true};
    CHECK(locktable_verdict(&p, &o, false) == VERDICT_MISMATCH, "no lock, not skipped: mismatch");
    o.skipped = true;
    CHECK(locktable_verdict(&p, &o, false) == VERDICT_CONFIRMED, "skipped: confirmed");
    CHECK(locktable_verdict(&p, &o, true) == VERDICT_ERROR, "failed stays error");
    CHECK(locktable_verdict(NULL, &o, false) == VERDICT_UNPREDICTED, "no row stays unpredicted");
    Prediction none;
    prediction_clear(&none);
    CHECK(locktable_verdict(&none, &o, false) == VERDICT_UNPREDICTED,
          "nothing predicted: unpredicted");
    CHECK(none.verdict == VERDICT_NONE && !verdict_name(none.verdict),
          "a cleared prediction: no verdict");
    /* skipped with its lock taken (ADD COLUMN IF NOT EXISTS of a column that
     * exists): the mode is judged, the rewrite and scan it did not do are not */
    LtObs l = {.mode = AEL, .others = {-1, -1}, .exact = true, .skipped = true};
    p.scan = TRI_NO;
    l.scan = false;
    CHECK(locktable_verdict(&p, &l, false) == VERDICT_CONFIRMED,
          "skipped with its lock: confirmed");
    l.mode = locktable_mode_rank("ShareLock");
    CHECK(locktable_verdict(&p, &l, false) == VERDICT_MISMATCH, "skipped, another mode: mismatch");
    l.exact = false;
    CHECK(locktable_verdict(&p, &l, false) == VERDICT_CONFIRMED,
          "skipped, a weaker lower bound: confirmed");
    l.skipped = false;
    l.exact = true;
    l.mode = AEL;
    CHECK(locktable_verdict(&p, &l, false) == VERDICT_MISMATCH,
          "not skipped, no rewrite: mismatch");

    static const char text[] = HDR "G\t10\t17\tAccessExclusiveLock\tno\tno\t-\thigh\tnote G\n";
    LockTable *old = NULL;
    Err err = {0};
    CHECK(locktable_parse(text, strlen(text), "old.tsv", &old, &err) == 0, "%s", err.msg);
    if (!old) return;
    LtCellObs obs[1] = {{.cls = "G",
                         .major = 12,
                         .obs = {.mode = -1, .exact = true, .skipped = true, .others = {-1, -1}}}};
    LockTable *t = locktable_regenerate(old, obs, 1);
    Buf b;
    buf_init(&b);
    locktable_format_tsv(t, &b);
    CHECK(strstr(b.data, "G\t10\t17\tAccessExclusiveLock\tno\tno\t") != NULL,
          "a skipped statement leaves its row as it was: %s", b.data);
    buf_free(&b);
    locktable_free(t);
    locktable_free(old);
}

/* Phases (exact locks, no scans counted) set a row's mode, even a weaker
 * one than the table's, and leave its scan as it was. */
static void test_phase_rows(void)
{
    static const char text[] = HDR "P\t10\t17\tAccessExclusiveLock\tno\tyes\t-\tlow\tnote P\n";
    LockTable *old = NULL;
    Err err = {0};
    CHECK(locktable_parse(text, strlen(text), "old.tsv", &old, &err) == 0, "%s", err.msg);
    if (!old) return;
    LtCellObs obs[8];
    size_t n = 0;
    for (int m = 10; m <= 17; m++)
        obs[n++] =
            (LtCellObs){.cls = "P",
                        .major = m,
                        .obs = {.mode = SUE, .exact = true, .no_scans = true, .others = {-1, -1}}};
    LockTable *t = locktable_regenerate(old, obs, n);
    Buf b;
    buf_init(&b);
    locktable_format_tsv(t, &b);
    CHECK(strstr(b.data, "P\t10\t17\tShareUpdateExclusiveLock\tno\tyes\t-\tlow\tnote P\n") != NULL,
          "phases: their mode, the table's scan: %s", b.data);
    Prediction p = {
        .predicted = true, .mode = AEL, .rewrite = TRI_NO, .scan = TRI_YES, .others = {-1, -1}};
    CHECK(locktable_verdict(&p, &obs[0].obs, false) == VERDICT_MISMATCH,
          "phase: a weaker mode is a mismatch");
    p.mode = SUE;
    CHECK(locktable_verdict(&p, &obs[0].obs, false) == VERDICT_CONFIRMED,
          "phase: the same mode is confirmed");
    buf_free(&b);
    locktable_free(t);
    locktable_free(old);
}

static void test_depends_stays(void)
{
    static const char text[] =
        HDR "E\t10\t17\tAccessExclusiveLock\tdepends\tdepends\t-\tcritical\tnote E\n"
            "F\t10\t17\tAccessExclusiveLock\tno\tno\t-\tlow\tnote F\n";
    LockTable *old = NULL;
    Err err = {0};
    CHECK(locktable_parse(text, strlen(text), "old.tsv", &old, &err) == 0, "%s", err.msg);
    if (!old) return;
    LtCellObs obs[16];
    size_t n = 0;
    for (int m = 10; m <= 17; m++) {
        obs[n++] = (LtCellObs){
            .cls = "E",
            .major = m,
            .obs = {.mode = AEL, .rewrite = true, .scan = true, .exact = true, .others = {-1, -1}}};
        obs[n++] =
            (LtCellObs){.cls = "F",
                        .major = m,
                        .obs = {.mode = AEL, .rewrite = true, .exact = true, .others = {-1, -1}}};
    }
    LockTable *t = locktable_regenerate(old, obs, n);
    Buf b;
    buf_init(&b);
    locktable_format_tsv(t, &b);
    CHECK(strstr(b.data, "E\t10\t17\tAccessExclusiveLock\tdepends\tdepends\t") != NULL,
          "a depends stays when every statement rewrote: %s", b.data);
    CHECK(strstr(b.data, "F\t10\t17\tAccessExclusiveLock\tyes\tno\t") != NULL,
          "a no is refuted by rewrites: %s", b.data);
    buf_free(&b);
    locktable_free(t);
    locktable_free(old);
}

/* A major the old table has no row for (the first run on a new PostgreSQL
 * major) starts from the newest older major's row: its "depends", its locks
 * on other relations and its hand-checked mode of a sampled statement carry
 * over, so that the new major joins the row when it behaves the same. */
static void test_new_major_inherits(void)
{
    static const char text[] =
        HDR "E\t10\t17\tAccessExclusiveLock\tdepends\tdepends\treferenced:"
            "AccessExclusiveLock\tcritical\tnote E\n"
            "S\t10\t17\tAccessExclusiveLock\tyes\tyes\t-\tcritical\tnote S\n";
    LockTable *old = NULL;
    Err err = {0};
    CHECK(locktable_parse(text, strlen(text), "old.tsv", &old, &err) == 0, "%s", err.msg);
    if (!old) return;
    LtCellObs obs[32];
    size_t n = 0;
    for (int m = 10; m <= 18; m++) {
        obs[n++] = (LtCellObs){
            .cls = "E",
            .major = m,
            .obs = {.mode = AEL, .rewrite = true, .scan = true, .exact = true, .others = {-1, -1}}};
        /* sampled only (outside a transaction): a weaker mode, no scan count */
        obs[n++] = (LtCellObs){
            .cls = "S", .major = m, .obs = {.mode = SRE, .rewrite = true, .others = {-1, -1}}};
    }
    LockTable *t = locktable_regenerate(old, obs, n);
    Buf b;
    buf_init(&b);
    locktable_format_tsv(t, &b);
    CHECK(strstr(b.data, "E\t10\t18\tAccessExclusiveLock\tdepends\tdepends\treferenced:"
                         "AccessExclusiveLock\tcritical\tnote E\n") != NULL,
          "the new major joins the row of the one before: %s", b.data);
    CHECK(strstr(b.data, "S\t10\t18\tAccessExclusiveLock\tyes\tyes\t-\tcritical\tnote S\n") != NULL,
          "a sampled statement keeps the mode and scan of the one before: %s", b.data);
    buf_free(&b);
    locktable_free(t);
    locktable_free(old);
}

/* Locks on other relations are upper bounds: a run whose statements lock
 * no other table (DROP TABLE of a table no foreign key references) keeps
 * them; a stronger one seen raises them. */
static void test_others_stay(void)
{
    static const char text[] = HDR
        "K\t10\t17\tAccessExclusiveLock\tno\tno\treferenced:AccessExclusiveLock\tmedium\tnote K\n"
        "L\t10\t17\tAccessExclusiveLock\tno\tno\tother:AccessShareLock\tlow\tnote L\n";
    LockTable *old = NULL;
    Err err = {0};
    CHECK(locktable_parse(text, strlen(text), "old.tsv", &old, &err) == 0, "%s", err.msg);
    if (!old) return;
    LtCellObs obs[16];
    size_t n = 0;
    for (int m = 10; m <= 17; m++) {
        obs[n++] = (LtCellObs){
            .cls = "K", .major = m, .obs = {.mode = AEL, .exact = true, .others = {-1, -1}}};
        obs[n++] = (LtCellObs){
            .cls = "L", .major = m, .obs = {.mode = AEL, .exact = true, .others = {SRE, -1}}};
    }
    LockTable *t = locktable_regenerate(old, obs, n);
    Buf b;
    buf_init(&b);
    locktable_format_tsv(t, &b);
    CHECK(strstr(b.data,
                 "K\t10\t17\tAccessExclusiveLock\tno\tno\treferenced:AccessExclusiveLock\t") !=
              NULL,
          "a lock on another relation stays when none was seen: %s", b.data);
    CHECK(strstr(b.data, "L\t10\t17\tAccessExclusiveLock\tno\tno\t"
                         "referenced:ShareRowExclusiveLock,other:AccessShareLock\t") != NULL,
          "a stronger lock seen is added: %s", b.data);
    buf_free(&b);
    locktable_free(t);
    locktable_free(old);
}

/* Equal neighbouring cells merge only when their rows say the same risk and
 * note: a version difference written by hand survives a run that cannot see
 * it (SET NOT NULL of a column NOT NULL already scans on no version). */
static void test_words_keep_rows_apart(void)
{
    static const char text[] =
        HDR "M\t10\t11\tAccessExclusiveLock\tno\tdepends\t-\thigh\tnote M old\n"
            "M\t12\t17\tAccessExclusiveLock\tno\tdepends\t-\tmedium\tnote M new\n"
            "N\t10\t11\tAccessExclusiveLock\tno\tyes\t-\tlow\tnote N\n"
            "N\t12\t17\tAccessExclusiveLock\tno\tno\t-\tlow\tnote N\n";
    LockTable *old = NULL;
    Err err = {0};
    CHECK(locktable_parse(text, strlen(text), "old.tsv", &old, &err) == 0, "%s", err.msg);
    if (!old) return;
    LtCellObs obs[16];
    size_t n = 0;
    for (int m = 10; m <= 17; m++) {
        obs[n++] = (LtCellObs){
            .cls = "M", .major = m, .obs = {.mode = AEL, .exact = true, .others = {-1, -1}}};
        obs[n++] = (LtCellObs){
            .cls = "N", .major = m, .obs = {.mode = AEL, .exact = true, .others = {-1, -1}}};
    }
    LockTable *t = locktable_regenerate(old, obs, n);
    Buf b;
    buf_init(&b);
    locktable_format_tsv(t, &b);
    CHECK(strstr(b.data,
                 "M\t10\t11\tAccessExclusiveLock\tno\tdepends\t-\thigh\tnote M old\n"
                 "M\t12\t17\tAccessExclusiveLock\tno\tdepends\t-\tmedium\tnote M new\n") != NULL,
          "rows with their own risk and note stay apart: %s", b.data);
    CHECK(strstr(b.data, "N\t10\t17\tAccessExclusiveLock\tno\tno\t-\tlow\tnote N\n") != NULL,
          "rows with the same words merge: %s", b.data);
    buf_free(&b);
    locktable_free(t);
    locktable_free(old);
}

static void test_regenerate(void)
{
    LockTable *old = NULL;
    Err err = {0};
    CHECK(locktable_parse(regen_old, strlen(regen_old), "old.tsv", &old, &err) == 0, "%s", err.msg);
    if (!old) return;
    LtCellObs obs[8 * 3 + 2];
    size_t n = 0;
    for (int m = 10; m <= 17; m++) {
        /* A: 10 rewrites, 11+ do not */
        obs[n++] = (LtCellObs){
            .cls = "A",
            .major = m,
            .obs = {.mode = AEL, .rewrite = m == 10, .exact = true, .others = {-1, -1}}};
        /* B: as in the table, one statement scans and one does not on 12 */
        obs[n++] = (LtCellObs){.cls = "B",
                               .major = m,
                               .obs = {.mode = 4, .scan = true, .exact = true, .others = {-1, -1}}};
        /* C: sampled, a weaker lock seen: the table keeps AccessExclusiveLock */
        obs[n++] =
            (LtCellObs){.cls = "C",
                        .major = m,
                        .obs = {.mode = SUE, .rewrite = true, .exact = false, .others = {-1, -1}}};
    }
    obs[n++] = (LtCellObs){.cls = "B",
                           .major = 12,
                           .obs = {.mode = 4, .scan = false, .exact = true, .others = {-1, -1}}};
    obs[n++] = (LtCellObs){
        .cls = "D", .major = 15, .obs = {.mode = SRE, .exact = true, .others = {SRE, -1}}};
    LockTable *t = locktable_regenerate(old, obs, n);
    Buf b;
    buf_init(&b);
    locktable_format_tsv(t, &b);
    CHECK_STR(
        b.data,
        "# header kept\n" HDR "A\t10\t10\tAccessExclusiveLock\tyes\tno\t-\tlow\tnote A\n"
        "A\t11\t17\tAccessExclusiveLock\tno\tno\t-\tlow\tnote A\n"
        "B\t10\t11\tShareLock\tno\tyes\t-\thigh\tnote B\n"
        "B\t12\t12\tShareLock\tno\tdepends\t-\thigh\tnote B\n"
        "B\t13\t17\tShareLock\tno\tyes\t-\thigh\tnote B\n"
        "C\t10\t17\tAccessExclusiveLock\tyes\tyes\t-\tcritical\tnote C\n"
        "D\t15\t15\tShareRowExclusiveLock\tno\tno\treferenced:ShareRowExclusiveLock\tmedium\t\n",
        "regenerated table");
    Buf d;
    buf_init(&d);
    size_t nd = locktable_diff(old, t, &d);
    CHECK(nd == 8, "8 rows differ: %zu: %s", nd, d.data);
    CHECK(strstr(d.data, "- A\t10\t17\t") && strstr(d.data, "+ A\t10\t10\t") &&
              strstr(d.data, "+ D\t15\t15\t"),
          "diff: %s", d.data);
    /* regenerating again from the same observations changes nothing */
    LockTable *t2 = locktable_regenerate(t, obs, n);
    Buf d2;
    buf_init(&d2);
    CHECK(locktable_diff(t, t2, &d2) == 0, "stable: %s", d2.data ? d2.data : "");
    buf_free(&d2);
    buf_free(&d);
    buf_free(&b);
    locktable_free(t2);
    locktable_free(t);
    locktable_free(old);
}

/* Only observations of what a statement itself requested (own, replay) drive
 * a row: one whose transaction held locks before it and that the replay could
 * not measure neither lowers nor raises it, nor refutes its rewrite, and a
 * class seen only so gets no row. Every changed row shows its evidence. */
static void test_requested_only(void)
{
    static const char text[] = HDR "H\t10\t17\tAccessExclusiveLock\tyes\tno\t-\tcritical\tnote H\n";
    LockTable *old = NULL;
    Err err = {0};
    CHECK(locktable_parse(text, strlen(text), "old.tsv", &old, &err) == 0, "%s", err.msg);
    if (!old) return;
    LtObs weaker = {.mode = SUE, .exact = false, .req = TRACE_REQ_UNMEASURED, .others = {-1, -1}};
    LtObs own = {
        .mode = AEL, .rewrite = true, .exact = true, .req = TRACE_REQ_OWN, .others = {-1, -1}};
    LtObs replay = {.mode = SUE, .exact = true, .req = TRACE_REQ_REPLAY, .others = {SRE, -1}};
    LtCellObs obs[] = {
        /* 11: only a lower bound, weaker and without the rewrite: no change */
        {"H", 11, weaker, 0, "m/1.sql", 4},
        /* 12: measured alone as the table says, and a lower bound: as the table */
        {"H", 12, own, 0, "m/2.sql", 2},
        {"H", 12, weaker, 0, "m/3.sql", 3},
        /* 13: the replay measured a weaker mode: it drives the row */
        {"H", 13, replay, 0, "m/4.sql", 5},
        {"H", 13, weaker, 0, "m/4.sql", 6},
        /* a class seen only through lower bounds gets no row */
        {"J", 12, weaker, 0, "m/5.sql", 1},
        /* left out by the caller: failed */
        {"H", 14, replay, LT_USE_FAILED, "m/6.sql", 1},
    };
    size_t n = sizeof(obs) / sizeof(obs[0]);
    static const LtUse want[] = {LT_USE_UNMEASURED, LT_USE_USED,       LT_USE_UNMEASURED,
                                 LT_USE_USED,       LT_USE_UNMEASURED, LT_USE_UNMEASURED,
                                 LT_USE_FAILED};
    for (size_t i = 0; i < n; i++)
        CHECK(locktable_cell_use(&obs[i]) == want[i], "use of observation %zu: %s", i,
              locktable_use_reason(locktable_cell_use(&obs[i])));
    CHECK_STR(locktable_use_reason(LT_USE_UNMEASURED),
              "requests not measured (the transaction held locks before)", "reason");
    LockTable *t = locktable_regenerate(old, obs, n);
    Buf b;
    buf_init(&b);
    locktable_format_tsv(t, &b);
    CHECK_STR(b.data,
              HDR "H\t10\t12\tAccessExclusiveLock\tyes\tno\t-\tcritical\tnote H\n"
                  "H\t13\t13\tShareUpdateExclusiveLock\tno\tno\treferenced:ShareRowExclusiveLock"
                  "\tcritical\tnote H\n"
                  "H\t14\t17\tAccessExclusiveLock\tyes\tno\t-\tcritical\tnote H\n",
              "unmeasured observations leave the row alone, a replayed one drives it");
    Buf d;
    buf_init(&d);
    size_t nd = locktable_diff_evidence(old, t, obs, n, 0, &d);
    CHECK(nd == 4, "4 rows differ: %zu", nd);
    CHECK(strstr(d.data,
                 "+ H\t13\t13\tShareUpdateExclusiveLock\tno\tno\treferenced:"
                 "ShareRowExclusiveLock\tcritical\tnote H\n"
                 "    m/4.sql:5 on 13: requested ShareUpdateExclusiveLock on the target, "
                 "no rewrite, no scan, others referenced:ShareRowExclusiveLock (replay)\n") != NULL,
          "the changed row with its evidence: %s", d.data);
    CHECK(strstr(d.data, "+ H\t10\t12\tAccessExclusiveLock\tyes\tno\t-\tcritical\tnote H\n"
                         "    m/2.sql:2 on 12: requested AccessExclusiveLock on the target, "
                         "rewrite, no scan (own)\n+") != NULL,
          "only used observations are evidence: %s", d.data);
    CHECK(strstr(d.data, "+ H\t14\t17\tAccessExclusiveLock\tyes\tno\t-\tcritical\tnote H\n"
                         "    no observation on these versions: kept from the table\n") != NULL,
          "a row kept from the table says so: %s", d.data);
    CHECK(strstr(d.data, "m/3.sql") == NULL && strstr(d.data, "m/6.sql") == NULL,
          "no left-out observation is evidence: %s", d.data);
    /* at most max lines of evidence per row, the strongest first */
    LtObs sre = {.mode = SRE, .exact = true, .others = {-1, -1}};
    LtCellObs many[5] = {
        {"H", 13, replay, 0, "a.sql", 1}, {"H", 13, replay, 0, "b.sql", 1},
        {"H", 13, sre, 0, "c.sql", 1},    {"H", 14, replay, 0, "b.sql", 1},
        {"H", 14, sre, 0, "c.sql", 1},
    };
    LockTable *t2 = locktable_regenerate(old, many, 5);
    buf_reset(&d);
    locktable_diff_evidence(old, t2, many, 5, 1, &d);
    CHECK(strstr(d.data, "+ H\t13\t14\tShareRowExclusiveLock\tno\tno\t"
                         "referenced:ShareRowExclusiveLock\tcritical\tnote H\n"
                         "    c.sql:1 on 13-14: requested ShareRowExclusiveLock on the target, no "
                         "rewrite, no scan (own)\n    ... 2 more\n") != NULL,
          "capped evidence, the one that set the mode first: %s", d.data);
    buf_reset(&d);
    locktable_diff_evidence(old, t2, many, 5, 0, &d);
    CHECK(strstr(d.data, "    b.sql:1 on 13-14: requested ShareUpdateExclusiveLock") != NULL,
          "one line per statement and what it requested, its versions as ranges: %s", d.data);
    buf_free(&d);
    buf_free(&b);
    locktable_free(t2);
    locktable_free(t);
    locktable_free(old);
}

/* ---- predictions in a schema -------------------------------------------- */

typedef struct InCase {
    const char *sql;
    bool tz_utc;
    int major;
    Tri rewrite;         /* and scan */
    const char *unknown; /* substring of Prediction.unknown; NULL: "" */
    bool tz_note;        /* the note says the TimeZone decided */
} InCase;

static const InCase in_cases[] = {
    {"ALTER TABLE t ALTER COLUMN a TYPE bigint", true, 17, TRI_YES, NULL, false},
    {"ALTER TABLE t ALTER COLUMN b TYPE varchar(20)", true, 10, TRI_NO, NULL, false},
    {"ALTER TABLE t ALTER COLUMN b TYPE varchar(5)", true, 17, TRI_YES, NULL, false},
    {"ALTER TABLE t ALTER COLUMN b TYPE text", true, 17, TRI_NO, NULL, false},
    {"ALTER TABLE t ALTER COLUMN d TYPE numeric(12,2)", true, 17, TRI_NO, NULL, false},
    {"ALTER TABLE t ALTER COLUMN d TYPE numeric(10,4)", true, 17, TRI_YES, NULL, false},
    {"ALTER TABLE t ALTER COLUMN f TYPE timestamptz", true, 11, TRI_YES, NULL, false},
    {"ALTER TABLE t ALTER COLUMN f TYPE timestamptz", true, 12, TRI_NO, NULL, true},
    {"ALTER TABLE t ALTER COLUMN f TYPE timestamptz", false, 17, TRI_YES, NULL, true},
    /* USING the column itself is decided, any other USING keeps its row */
    {"ALTER TABLE t ALTER COLUMN b TYPE varchar(30) USING b", true, 17, TRI_NO, NULL, false},
    {"ALTER TABLE t ALTER COLUMN b TYPE varchar(30) USING lower(b)", true, 17, TRI_YES, NULL,
     false},
    /* several subcommands: a rewrite when one rewrites */
    {"ALTER TABLE t ALTER COLUMN b TYPE varchar(30), ALTER COLUMN d TYPE numeric(11,2)", true, 17,
     TRI_NO, NULL, false},
    {"ALTER TABLE t ALTER COLUMN b TYPE text, ALTER COLUMN a TYPE int8", true, 17, TRI_YES, NULL,
     false},
    /* an array of another element type rewrites; a domain's column is its base type's */
    {"ALTER TABLE t ALTER COLUMN g TYPE bigint[]", true, 17, TRI_YES, NULL, false},
    {"ALTER TABLE t ALTER COLUMN g TYPE int4[]", true, 17, TRI_NO, NULL, false},
    {"ALTER TABLE t ALTER COLUMN h TYPE bigint", true, 17, TRI_YES, NULL, false},
    {"ALTER TABLE t ALTER COLUMN h TYPE int", true, 17, TRI_NO, NULL, false},
    /* what neither the rules nor the facts cover stays undecided */
    {"ALTER TABLE t ALTER COLUMN a TYPE nosuchtype", true, 17, TRI_DEPENDS, NULL, false},
    {"ALTER TABLE t ALTER COLUMN nope TYPE bigint", true, 17, TRI_DEPENDS,
     "column t.nope not defined in the corpus", false},
    {"ALTER TABLE users ALTER COLUMN id TYPE bigint", true, 17, TRI_DEPENDS,
     "table users not defined in the corpus", false},
};

/* What the statement and the schema decide beyond ALTER COLUMN TYPE's facts:
 * the rewrite and the scan apart. */
typedef struct DecCase {
    const char *sql;
    int major;
    Tri rewrite, scan;
    const char *unknown; /* substring of Prediction.unknown; NULL: "" */
} DecCase;

static const DecCase dec_cases[] = {
    /* every option but OWNED BY writes a new sequence file; nothing scans */
    {"ALTER SEQUENCE s RESTART", 10, TRI_YES, TRI_NO, NULL},
    {"ALTER SEQUENCE s INCREMENT BY 2 CACHE 5", 17, TRI_YES, TRI_NO, NULL},
    {"ALTER SEQUENCE s OWNED BY t.a", 17, TRI_NO, TRI_NO, NULL},
    {"ALTER SEQUENCE s OWNED BY NONE", 12, TRI_NO, TRI_NO, NULL},
    /* persistence: a change rewrites, the same one is nothing */
    {"ALTER TABLE t SET UNLOGGED", 13, TRI_YES, TRI_YES, NULL},
    {"ALTER TABLE t SET LOGGED", 13, TRI_NO, TRI_NO, NULL},
    {"ALTER TABLE u SET LOGGED", 18, TRI_YES, TRI_YES, NULL},
    {"ALTER TABLE u SET UNLOGGED", 18, TRI_NO, TRI_NO, NULL},
    {"ALTER TABLE nope SET LOGGED", 18, TRI_DEPENDS, TRI_DEPENDS,
     "table nope not defined in the corpus"},
    /* access methods: the one the table has is nothing */
    {"ALTER TABLE t SET ACCESS METHOD heap", 15, TRI_NO, TRI_NO, NULL},
    {"ALTER TABLE t SET ACCESS METHOD heap2", 15, TRI_YES, TRI_YES, NULL},
    {"ALTER TABLE u SET ACCESS METHOD heap2", 16, TRI_NO, TRI_NO, NULL},
    {"ALTER TABLE nope SET ACCESS METHOD heap", 17, TRI_DEPENDS, TRI_DEPENDS,
     "table nope not defined in the corpus"},
    /* enums, domains with and without constraints */
    {"ALTER TABLE t ALTER COLUMN m TYPE mood", 17, TRI_NO, TRI_NO, NULL},
    {"ALTER TABLE t ALTER COLUMN m TYPE text", 17, TRI_YES, TRI_YES, NULL},
    {"ALTER TABLE t ALTER COLUMN a TYPE posint", 17, TRI_YES, TRI_YES, NULL},
    {"ALTER TABLE t ALTER COLUMN a TYPE dom", 17, TRI_NO, TRI_NO, NULL},
    {"ALTER TABLE t ALTER COLUMN b TYPE short", 17, TRI_NO, TRI_NO, NULL},
    {"ALTER TABLE t ALTER COLUMN b TYPE tiny", 17, TRI_YES, TRI_YES, NULL},
    /* a CHECK dropped: a domain without constraints again */
    {"ALTER TABLE t ALTER COLUMN a TYPE pos2", 17, TRI_NO, TRI_NO, NULL},
    /* USING anything but the column: every value computed again */
    {"ALTER TABLE t ALTER COLUMN a TYPE int USING a + 1", 17, TRI_YES, TRI_YES, NULL},
    /* SET EXPRESSION: 17 has only stored generated columns; on 18 the model's
     * column is stored (a virtual one never enters it) */
    {"ALTER TABLE t ALTER COLUMN x SET EXPRESSION AS (a * 3)", 17, TRI_YES, TRI_YES, NULL},
    {"ALTER TABLE t ALTER COLUMN x SET EXPRESSION AS (a * 3)", 18, TRI_DEPENDS, TRI_DEPENDS,
     "column t.x not defined in the corpus"},
    {"ALTER TABLE g ALTER COLUMN b SET EXPRESSION AS (a * 3)", 18, TRI_YES, TRI_YES, NULL},
    {"ALTER TABLE nope ALTER b SET EXPRESSION AS (1)", 18, TRI_DEPENDS, TRI_DEPENDS,
     "table nope not defined in the corpus"},
    /* a default's volatility: pg_catalog's from the facts of the major, the
     * chain's from its CREATE FUNCTION; 10 rewrites for any default */
    {"ALTER TABLE t ADD COLUMN c1 timestamptz DEFAULT now()", 17, TRI_NO, TRI_NO, NULL},
    {"ALTER TABLE t ADD COLUMN c1 timestamptz DEFAULT now()", 10, TRI_YES, TRI_YES, NULL},
    {"ALTER TABLE t ADD COLUMN c1 text DEFAULT to_char(now(), 'YYYY')", 17, TRI_NO, TRI_NO, NULL},
    {"ALTER TABLE t ADD COLUMN c1 float8 DEFAULT random()", 17, TRI_YES, TRI_YES, NULL},
    {"ALTER TABLE t ADD COLUMN c1 int DEFAULT f_stable()", 17, TRI_NO, TRI_NO, NULL},
    {"ALTER TABLE t ADD COLUMN c1 int DEFAULT public.f_stable()", 17, TRI_NO, TRI_NO, NULL},
    {"ALTER TABLE t ADD COLUMN c1 int DEFAULT f_vol()", 17, TRI_YES, TRI_YES, NULL},
    {"ALTER TABLE t ADD COLUMN c1 int DEFAULT f_replaced()", 17, TRI_NO, TRI_NO, NULL},
    /* a VOLATILE LANGUAGE sql function: 12+ may inline it */
    {"ALTER TABLE t ADD COLUMN c1 int DEFAULT f_sql()", 11, TRI_YES, TRI_YES, NULL},
    {"ALTER TABLE t ADD COLUMN c1 int DEFAULT f_sql()", 12, TRI_DEPENDS, TRI_DEPENDS,
     "function f_sql is LANGUAGE sql"},
    {"ALTER TABLE t ADD COLUMN c1 int DEFAULT f_sql_stable()", 17, TRI_NO, TRI_NO, NULL},
    /* nobody knows it: said, and its volatility not guessed where it decides */
    {"ALTER TABLE t ADD COLUMN c1 int DEFAULT nosuch()", 17, TRI_DEPENDS, TRI_DEPENDS,
     "function nosuch not defined in the corpus"},
    {"ALTER TABLE t ADD COLUMN c1 int DEFAULT nosuch()", 10, TRI_YES, TRI_YES,
     "function nosuch not defined in the corpus"},
    {"ALTER TABLE t ADD COLUMN c1 uuid DEFAULT gen_random_uuid()", 12, TRI_DEPENDS, TRI_DEPENDS,
     "function gen_random_uuid not defined in the corpus"},
    {"ALTER TABLE t ADD COLUMN c1 uuid DEFAULT gen_random_uuid()", 13, TRI_YES, TRI_YES, NULL},
    /* timezone(text, timetz) was volatile until 14: its other overloads not */
    {"ALTER TABLE t ADD COLUMN c1 timestamp DEFAULT timezone('UTC', now())", 14, TRI_DEPENDS,
     TRI_DEPENDS, "function timezone: some of its overloads are volatile"},
    {"ALTER TABLE t ADD COLUMN c1 timestamp DEFAULT timezone('UTC', now())", 15, TRI_NO, TRI_NO,
     NULL},
    /* IF NOT EXISTS of a column the model lacks runs: decided as without it;
     * of a column it has, the server may skip it */
    {"ALTER TABLE t ADD COLUMN IF NOT EXISTS c1 int DEFAULT 1", 10, TRI_YES, TRI_YES, NULL},
    {"ALTER TABLE t ADD COLUMN IF NOT EXISTS a int DEFAULT 1", 10, TRI_NO, TRI_NO, NULL},
    {"ALTER TABLE t ADD COLUMN IF NOT EXISTS a int DEFAULT 1, ADD COLUMN c2 int DEFAULT 1", 10,
     TRI_DEPENDS, TRI_YES, NULL},
    {"ALTER TABLE t ADD COLUMN IF NOT EXISTS c1 float8 DEFAULT random()", 17, TRI_YES, TRI_YES,
     NULL},
    {"ALTER TABLE t DROP COLUMN IF EXISTS a, ADD COLUMN IF NOT EXISTS c1 int DEFAULT 1", 10,
     TRI_YES, TRI_YES, NULL},
};

static void test_predict_decided(const LockTable *lt, const Facts *f)
{
    Schema *s = schema_new();
    schema_apply(s, "CREATE TYPE mood AS ENUM ('a'); CREATE DOMAIN dom AS int; "
                    "CREATE DOMAIN posint AS int CHECK (VALUE > 0); "
                    "CREATE DOMAIN pos2 AS int CONSTRAINT c CHECK (VALUE > 0); "
                    "ALTER DOMAIN pos2 DROP CONSTRAINT c; "
                    "CREATE DOMAIN short AS varchar(20); CREATE DOMAIN tiny AS varchar(5); "
                    "CREATE TABLE t (a int, b varchar(10), m mood); CREATE SEQUENCE s; "
                    "SET default_table_access_method = heap2; CREATE UNLOGGED TABLE u (a int); "
                    "CREATE FUNCTION f_stable() RETURNS int LANGUAGE plpgsql STABLE AS 'x'; "
                    "CREATE FUNCTION f_vol() RETURNS int LANGUAGE plpgsql AS 'x'; "
                    "CREATE FUNCTION f_replaced() RETURNS int LANGUAGE plpgsql AS 'x'; "
                    "CREATE OR REPLACE FUNCTION f_replaced() RETURNS int LANGUAGE plpgsql "
                    "IMMUTABLE AS 'x'; "
                    "CREATE FUNCTION f_sql() RETURNS int LANGUAGE sql AS 'SELECT 1'; "
                    "CREATE FUNCTION f_sql_stable() RETURNS int STABLE RETURN 1; "
                    "CREATE TABLE g (a int, b int GENERATED ALWAYS AS (a * 2) STORED)");
    for (size_t i = 0; i < ARRAY_LEN(dec_cases); i++) {
        const DecCase *c = &dec_cases[i];
        StmtInfo info;
        classify_statement(c->sql, &info);
        CHECK(locktable_needs_schema(&info), "case %zu (%s) needs the schema", i, c->sql);
        PredictOpts o = {.tz_utc = true};
        Prediction p;
        bool ok = locktable_predict_in(lt, s, f, c->sql, &info, c->major, &o, &p);
        CHECK(ok && p.predicted, "case %zu predicted", i);
        CHECK(p.rewrite == c->rewrite && p.scan == c->scan,
              "case %zu (%s on %d): rewrite %s scan %s, want %s %s", i, c->sql, c->major,
              tri_name(p.rewrite), tri_name(p.scan), tri_name(c->rewrite), tri_name(c->scan));
        CHECK(c->unknown ? strstr(p.unknown, c->unknown) != NULL : p.unknown[0] == '\0',
              "case %zu: unknown \"%s\"", i, p.unknown);
        classify_free(&info);
    }
    schema_free(s);
}

static void test_predict_in(const LockTable *lt)
{
    Facts *f = NULL;
    Err err = {0};
    CHECK(facts_load(NULL, &f, &err) == 0, "the built-in facts load: %s", err.msg);
    Schema *s = schema_new();
    schema_apply(s, "CREATE DOMAIN dom AS int; CREATE TABLE t (a int, b varchar(10), "
                    "d numeric(10,2), f timestamp, g int[], h dom)");
    for (size_t i = 0; i < ARRAY_LEN(in_cases); i++) {
        const InCase *c = &in_cases[i];
        StmtInfo info;
        classify_statement(c->sql, &info);
        PredictOpts o = {.tz_utc = c->tz_utc};
        Prediction p;
        bool ok = locktable_predict_in(lt, s, f, c->sql, &info, c->major, &o, &p);
        CHECK(ok && p.predicted, "case %zu predicted", i);
        CHECK(p.rewrite == c->rewrite && p.scan == c->rewrite,
              "case %zu (%s on %d): rewrite %s scan %s, want %s", i, c->sql, c->major,
              tri_name(p.rewrite), tri_name(p.scan), tri_name(c->rewrite));
        CHECK(c->unknown ? strstr(p.unknown, c->unknown) != NULL : p.unknown[0] == '\0',
              "case %zu: unknown \"%s\"", i, p.unknown);
        bool tz = p.note && strstr(p.note, "TimeZone") != NULL;
        CHECK(tz == c->tz_note, "case %zu: note %s", i, p.note ? p.note : "(none)");
        classify_free(&info);
    }
    /* a zone the chain sets goes before the session's default */
    static const struct {
        const char *set;
        Tri rewrite;
    } zones[] = {{"SET TimeZone = 'Europe/Berlin'", TRI_YES},
                 {"RESET TimeZone", TRI_NO},
                 {"SET TIME ZONE 'Etc/UTC'", TRI_NO},
                 {"SET TIME ZONE 2", TRI_YES},
                 {"SET TIME ZONE 0", TRI_NO}};
    const char *tz_sql = "ALTER TABLE t ALTER COLUMN f TYPE timestamptz";
    for (size_t i = 0; i < ARRAY_LEN(zones); i++) {
        schema_apply(s, zones[i].set);
        StmtInfo zi;
        classify_statement(tz_sql, &zi);
        PredictOpts zo = {.tz_utc = true};
        Prediction zp;
        locktable_predict_in(lt, s, f, tz_sql, &zi, 17, &zo, &zp);
        CHECK(zp.rewrite == zones[i].rewrite, "after %s: rewrite %s", zones[i].set,
              tri_name(zp.rewrite));
        classify_free(&zi);
    }
    /* no schema: the row alone */
    StmtInfo info;
    classify_statement(in_cases[0].sql, &info);
    Prediction p;
    PredictOpts o = {.tz_utc = true};
    locktable_predict_in(lt, NULL, f, in_cases[0].sql, &info, 17, &o, &p);
    CHECK(p.predicted && p.rewrite == TRI_DEPENDS && !p.unknown[0], "no schema: the row's depends");
    classify_free(&info);
    CHECK(locktable_tz_is_utc("UTC") && locktable_tz_is_utc("etc/utc") &&
              locktable_tz_is_utc("GMT") && !locktable_tz_is_utc("Europe/Paris") &&
              !locktable_tz_is_utc(NULL),
          "UTC zones");
    schema_free(s);
    test_predict_decided(lt, f);
    facts_free(f);
}

int main(void)
{
    test_parse();
    LockTable *t = NULL;
    Err err = {0};
    CHECK(locktable_load(NULL, &t, &err) == 0, "the built-in table loads: %s", err.msg);
    if (t) {
        test_builtin(t);
        test_predict(t);
        test_predict_in(t);
    }
    locktable_free(t);
    test_observe();
    test_verdicts();
    test_regenerate();
    test_depends_stays();
    test_phase_rows();
    test_new_major_inherits();
    test_others_stay();
    test_words_keep_rows_apart();
    test_skipped();
    test_requested_only();
    return t_done("test_locktable");
}
