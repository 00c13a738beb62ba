/*
 * test_relations_ddl: the relations every statement but ALTER TABLE locks
 * and rewrites (predict/relations_ddl.c), per major, from a chain's catalog.
 * Each expectation is what servers 10-18 were traced doing on the same
 * chain (tests/relations/ddl/ holds the probes).
 */
#include "predict/classify.h"
#include "predict/facts.h"
#include "predict/locktable.h"
#include "predict/relations.h"
#include "predict/schema.h"
#include "t.h"

#include <stdlib.h>

typedef struct Case {
    const char *setup; /* the chain before the statement */
    const char *sql;
    int major;
    const char *want; /* "-" not modelled, else "name:mode ..." sorted, then "| rewrites" */
} Case;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_lock(const void *a, const void *b)
{
    return strcmp(((const RelLock *)a)->relation, ((const RelLock *)b)->relation);
}

/* p as "name:mode ..." (sorted), " | " and its rewrites (sorted); "-" first
 * when not modelled. */
static void render(const RelPred *p, Buf *out)
{
    RelLock *v = malloc((p->nlocks + 1) * sizeof(*v));
    if (p->nlocks) memcpy(v, p->locks, p->nlocks * sizeof(*v));
    qsort(v, p->nlocks, sizeof(*v), cmp_lock);
    if (!p->modelled) buf_puts(out, "- ");
    for (size_t i = 0; i < p->nlocks; i++)
        buf_printf(out, "%s%s:%d", i ? " " : "", v[i].relation, v[i].mode);
    free(v);
    if (!p->nrewrites) return;
    char **rw = malloc(p->nrewrites * sizeof(*rw));
    memcpy(rw, p->rewrites, p->nrewrites * sizeof(*rw));
    qsort(rw, p->nrewrites, sizeof(*rw), cmp_str);
    buf_puts(out, " |");
    for (size_t i = 0; i < p->nrewrites; i++)
        buf_printf(out, " %s", rw[i]);
    free(rw);
}

#define FK_SQL                                                                                     \
    "CREATE TABLE r (id int PRIMARY KEY, note text);"                                              \
    "CREATE TABLE m (id serial PRIMARY KEY, r_id int REFERENCES r (id), body text);"               \
    "CREATE INDEX m_r ON m (r_id);"                                                                \
    "CREATE TABLE c (id int PRIMARY KEY, m_id int REFERENCES m (id));"                             \
    "CREATE VIEW v AS SELECT * FROM m;"
static const char FK[] = FK_SQL;
/* FK with rows in r and m (c, referencing m with NO ACTION, stays empty) */
static const char FK_ROWS[] = FK_SQL "INSERT INTO r VALUES (1, 'a'), (2, 'b');"
                                     "INSERT INTO m (r_id) SELECT id FROM r;";
static const char FK_EMPTIED[] = FK_SQL "INSERT INTO r VALUES (1, 'a'), (2, 'b');"
                                        "INSERT INTO m (r_id) SELECT id FROM r;"
                                        "TRUNCATE r CASCADE;";
static const char CASCADE[] = "CREATE TABLE r (id int PRIMARY KEY);"
                              "CREATE TABLE d (id int, r_id int REFERENCES r ON DELETE CASCADE);"
                              "CREATE TABLE e (id int, d_r int REFERENCES r ON DELETE SET NULL);"
                              "INSERT INTO r VALUES (1);";
static const char ON_UPDATE[] = "CREATE TABLE r (id int PRIMARY KEY, v int);"
                                "CREATE TABLE d (id int, r_id int REFERENCES r ON UPDATE CASCADE);"
                                "CREATE TABLE e (id int, r_id int REFERENCES r);"
                                "INSERT INTO r VALUES (1, 1);";
static const char CASCADE_EMPTIED[] =
    "CREATE TABLE r (id int PRIMARY KEY);"
    "CREATE TABLE d (id int, r_id int REFERENCES r ON DELETE CASCADE);"
    "INSERT INTO r VALUES (1); DELETE FROM r;";
static const char PART[] = "CREATE TABLE p (id int, k int, v text) PARTITION BY RANGE (k);"
                           "CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10);"
                           "CREATE TABLE p2 PARTITION OF p FOR VALUES FROM (10) TO (20);"
                           "CREATE INDEX p_k ON p (k);";
static const char RI[] = "CREATE TABLE t (id int PRIMARY KEY, v text); CREATE INDEX t_v ON t (v);";
static const char MV[] = "CREATE TABLE a (id int PRIMARY KEY, v text);"
                         "CREATE MATERIALIZED VIEW mv AS SELECT * FROM a;"
                         "CREATE UNIQUE INDEX mv_id ON mv (id);";

static const Case cases[] = {
    /* CREATE TABLE: the referenced table, LIKE's source, an inheritance parent */
    {FK, "CREATE TABLE f (id int, c_id int REFERENCES c (id))", 14, "c:5"},
    {FK, "CREATE TABLE l (LIKE r INCLUDING ALL)", 14, "r:0"},
    {FK, "CREATE TABLE i (x int) INHERITS (c)", 10, "c:3"},
    {FK, "CREATE TABLE n (id int)", 18, ""},
    /* PARTITION OF: the parent; its indexes from 12 */
    {PART, "CREATE TABLE p3 PARTITION OF p FOR VALUES FROM (20) TO (30)", 11, "p:7"},
    {PART, "CREATE TABLE p3 PARTITION OF p FOR VALUES FROM (20) TO (30)", 12, "p:7 p_k:3"},
    /* queries: the planner's index locks, at the relation's mode from 12 */
    {FK, "CREATE TABLE x AS SELECT * FROM r", 13, "r:0 r_pkey:0"},
    {FK, "CREATE TABLE x AS SELECT * FROM r WITH NO DATA", 13, "r:0"},
    {FK, "CREATE VIEW w AS SELECT * FROM v", 13, "v:0"},
    {FK, "SELECT * FROM c FOR UPDATE", 11, "c:1 c_pkey:0"},
    {FK, "SELECT * FROM c FOR UPDATE", 12, "c:1 c_pkey:1"},
    {FK, "SELECT * FROM v", 15, "m:0 m_pkey:0 m_r:0 v:0"},
    {PART, "SELECT * FROM p", 15, "p:0 p1:0 p1_k_idx:0 p2:0 p2_k_idx:0"},
    {PART, "SELECT * FROM p", 16, "p:0 p1:0 p1_k_idx:0 p2:0 p2_k_idx:0 p_k:0"},
    /* DML: an INSERT's sequence and foreign key checks; UPDATE's indexes */
    {FK, "INSERT INTO m (r_id, body) VALUES (1, 'x')", 11, "m:2 m_id_seq:2 r:1 r_pkey:0"},
    {FK, "INSERT INTO m (r_id, body) VALUES (1, 'x')", 12, "m:2 m_id_seq:2 r:1 r_pkey:1"},
    {FK, "INSERT INTO m VALUES (7, 1, 'x')", 12, "m:2 r:1 r_pkey:1"},
    {FK, "UPDATE m SET body = 'y'", 17, "m:2 m_pkey:2 m_r:2"},
    /* the chain's tables start empty: no row, no key checked, no sequence */
    {FK, "UPDATE m SET r_id = 2", 17, "m:2 m_pkey:2 m_r:2"},
    {FK, "INSERT INTO m (r_id) SELECT id FROM r", 17, "m:2 r:0 r_pkey:0"},
    {FK, "DELETE FROM m", 17, "m:2 m_pkey:2 m_r:2"},
    /* once the chain wrote rows: the keys an UPDATE sets (not to NULL) are
       checked, a table's rows draw the sequence and are checked, the rows
       deleted fire the referencing side's actions */
    {FK_ROWS, "UPDATE m SET r_id = 2", 17, "m:2 m_pkey:2 m_r:2 r:1 r_pkey:1"},
    {FK_ROWS, "UPDATE m SET r_id = 2", 11, "m:2 m_pkey:2 m_r:2 r:1 r_pkey:0"},
    {FK_ROWS, "UPDATE m SET r_id = NULL", 17, "m:2 m_pkey:2 m_r:2"},
    {FK_ROWS, "INSERT INTO m (r_id) SELECT id FROM r", 17, "m:2 m_id_seq:2 r:1 r_pkey:1"},
    {FK_ROWS, "DELETE FROM m WHERE id = 1", 12, "c:1 c_pkey:1 m:2 m_pkey:2 m_r:2"},
    {FK_EMPTIED, "INSERT INTO c SELECT id, id FROM m", 17, "c:2 m:0 m_pkey:0 m_r:0"},
    {CASCADE, "DELETE FROM r", 14, "d:2 e:2 r:2 r_pkey:2"},
    {CASCADE_EMPTIED, "DELETE FROM r", 14, "r:2 r_pkey:2"},
    {ON_UPDATE, "UPDATE r SET id = 2", 17, "d:2 e:1 r:2 r_pkey:2"},
    {ON_UPDATE, "UPDATE r SET v = 2", 17, "r:2 r_pkey:2"},
    {FK, "SELECT nextval('m_id_seq')", 10, "m_id_seq:2"},
    /* DROP: what goes with the table and the tables on both sides */
    {FK, "DROP TABLE m CASCADE", 15,
     "c:7 m:7 m_id_seq:7 m_pkey:7 m_r:7 r:7 toast(m):7 toast_index(m):7 v:7"},
    {PART, "DROP TABLE p2", 10, "p:7 p2:7 toast(p2):7 toast_index(p2):7"},
    {PART, "DROP TABLE p2", 11, "p:7 p2:7 p2_k_idx:7 toast(p2):7 toast_index(p2):7"},
    {RI, "DROP INDEX t_v", 14, "t:7 t_v:7"},
    {RI, "DROP INDEX CONCURRENTLY t_v", 14, "t:3 t_v:7"},
    {RI, "DROP INDEX IF EXISTS nonesuch", 14, ""},
    {PART, "DROP INDEX p_k", 13, "p:7 p1:7 p1_k_idx:7 p2:7 p2_k_idx:7 p_k:7"},
    /* TRUNCATE: new storage for each table emptied */
    {FK, "TRUNCATE c", 16, "c:7 c_pkey:7 | c c_pkey"},
    {FK, "TRUNCATE m CASCADE", 16,
     "c:7 c_pkey:7 m:7 m_pkey:7 m_r:7 toast(m):7 toast_index(m):7 | c c_pkey m m_pkey m_r "
     "toast(m) toast_index(m)"},
    {PART, "TRUNCATE p1", 13,
     "p:0 p1:7 p1_k_idx:7 toast(p1):7 toast_index(p1):7 | p1 p1_k_idx toast(p1) toast_index(p1)"},
    {PART, "TRUNCATE p1", 14,
     "p1:7 p1_k_idx:7 toast(p1):7 toast_index(p1):7 | p1 p1_k_idx toast(p1) toast_index(p1)"},
    /* REINDEX, CLUSTER, VACUUM */
    {RI, "REINDEX TABLE t", 11,
     "t:4 t_pkey:7 t_v:7 toast(t):4 toast_index(t):7 | t_pkey t_v toast_index(t)"},
    {RI, "REINDEX INDEX CONCURRENTLY t_v", 12, "t:3 t_v:7 | t_v"},
    {PART, "REINDEX TABLE p", 13, "p:4"},
    {PART, "REINDEX TABLE p", 14,
     "p:4 p1:4 p1_k_idx:7 p2:4 p2_k_idx:7 toast(p1):4 toast(p2):4 toast_index(p1):7 "
     "toast_index(p2):7 | p1_k_idx p2_k_idx toast_index(p1) toast_index(p2)"},
    {RI, "VACUUM FULL t", 17,
     "t:7 t_pkey:7 t_v:7 toast(t):7 toast_index(t):7 | t t_pkey t_v toast(t) toast_index(t)"},
    {RI, "VACUUM t", 17, "t:3 t_pkey:2 t_v:2"},
    {RI, "ANALYZE t", 17, "t:3 t_pkey:0 t_v:0"},
    /* materialized views */
    {MV, "REFRESH MATERIALIZED VIEW mv", 16,
     "a:0 a_pkey:0 mv:7 mv_id:7 toast(mv):7 toast_index(mv):7 | mv mv_id toast(mv) "
     "toast_index(mv)"},
    {MV, "REFRESH MATERIALIZED VIEW CONCURRENTLY mv", 16, "a:0 a_pkey:0 mv:6 mv_id:2"},
    /* objects on a table, ACLs, LOCK */
    {FK, "CREATE RULE ru AS ON INSERT TO c DO ALSO INSERT INTO r VALUES (NEW.id)", 14, "c:7 r:2"},
    {RI, "COMMENT ON COLUMN t.v IS 'x'", 14, "t:3"},
    {RI, "GRANT SELECT ON t TO PUBLIC", 17, ""},
    {RI, "GRANT SELECT ON t TO PUBLIC", 18, "t:0"},
    {FK, "LOCK TABLE v IN SHARE MODE", 11, "m:4 v:4"},
    {PART, "LOCK TABLE p IN ROW EXCLUSIVE MODE", 14, "p:2 p1:2 p2:2"},
    {FK, "CREATE SEQUENCE s OWNED BY c.id", 14, "c:0"},
    /* not modelled */
    {FK, "DO $$ BEGIN PERFORM 1; END $$", 14, "- "},
    {FK, "DROP SCHEMA public CASCADE", 14, "- "},
};

static void test_cases(void)
{
    LockTable *lt;
    Facts *f;
    Err err = {0};
    CHECK(locktable_load(NULL, &lt, &err) == 0, "%s", err.msg);
    CHECK(facts_load(NULL, &f, &err) == 0, "%s", err.msg);
    const PredictOpts po = {.tz_utc = true};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const Case *k = &cases[i];
        Schema *s = schema_new();
        schema_apply(s, k->setup);
        StmtInfo info;
        classify_statement(k->sql, &info);
        Prediction row;
        bool have = locktable_predict_in(lt, s, f, k->sql, &info, k->major, &po, &row);
        RelPred p;
        relations_predict(s, f, k->sql, &info, k->major, &po, have ? &row : NULL, &p);
        Buf b;
        buf_init(&b);
        render(&p, &b);
        CHECK_STR(b.data ? b.data : "", k->want, "%s on %d", k->sql, k->major);
        buf_free(&b);
        relpred_free(&p);
        classify_free(&info);
        schema_free(s);
    }
    facts_free(f);
    locktable_free(lt);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_cases();
    return t_done("test_relations_ddl");
}
