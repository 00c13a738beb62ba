/*
 * test_relations_alter: what the relation predictor says ALTER TABLE locks
 * and rewrites beyond its target (predict/relations_alter.c), for catalogs
 * built here and the lock table's row given: the rules, one by one, as the
 * probes of tests/relations/alter/ saw them on real servers (checked there
 * by tests/integration/relations.sh).
 */
#include "predict/relations.h"
#include "predict/schema.h"
#include "tests/unit/t.h"

#include <stdlib.h>
#include <string.h>

/* The catalogs the cases meet. */
static const char *const catalogs[] = {
    /* 0: a foreign key between two tables, an index, TOAST */
    "CREATE TABLE p (id int PRIMARY KEY, body text);"
    "CREATE TABLE c (id int PRIMARY KEY, p_id int REFERENCES p (id), n int);"
    "CREATE INDEX c_n ON c (n);"
    "CREATE TABLE t (id int PRIMARY KEY, r_id int);"
    "CREATE TABLE v (id int PRIMARY KEY, p_id int);"
    "ALTER TABLE v ADD CONSTRAINT v_fk FOREIGN KEY (p_id) REFERENCES p (id) NOT VALID",
    /* 1: what a dropped column takes along */
    "CREATE TABLE r (id int PRIMARY KEY);"
    "CREATE TABLE t (id serial PRIMARY KEY, r_id int REFERENCES r, n int, m int);"
    "CREATE INDEX t_nm ON t (n, m); CREATE INDEX t_part ON t (id) WHERE m > 0",
    /* 2: partitions at two depths */
    "CREATE TABLE pt (id int NOT NULL, k int NOT NULL) PARTITION BY LIST (k);"
    "CREATE TABLE pt1 PARTITION OF pt FOR VALUES IN (1);"
    "CREATE TABLE pt2 PARTITION OF pt FOR VALUES IN (2) PARTITION BY LIST (k);"
    "CREATE TABLE pt2a PARTITION OF pt2 FOR VALUES IN (2);"
    "CREATE INDEX pt_k ON pt (k);"
    "CREATE TABLE nw (id int NOT NULL, k int NOT NULL)",
    /* 3: an unlogged table with a serial and TOAST */
    "CREATE UNLOGGED TABLE u (id serial PRIMARY KEY, body text);"
    "CREATE UNIQUE INDEX u_body ON u (body)",
    /* 4: a sequence, and a table the chain wrote a row to */
    "CREATE SEQUENCE q; CREATE TABLE w (id int PRIMARY KEY); INSERT INTO w VALUES (1)",
    /* 5: the same table left empty */
    "CREATE SEQUENCE q; CREATE TABLE w (id int PRIMARY KEY)",
};

typedef struct Case {
    int catalog;
    const char *sql;
    int major, mode; /* the row's */
    Tri rewrite;     /* the row's */
    const char *rel;
    int want;    /* the mode predicted on rel, -1: none */
    int rewrote; /* 1: rel among the rewrites, 0: not, -1: not asked */
    const char *why;
} Case;

static const Case cases[] = {
    /* a rewrite, and a retyped key column */
    {0, "ALTER TABLE p ALTER COLUMN id TYPE bigint", 17, 7, TRI_YES, "p_pkey", 7, 1,
     "a rewrite rebuilds the indexes under AccessExclusiveLock"},
    {0, "ALTER TABLE p ALTER COLUMN id TYPE bigint", 17, 7, TRI_YES, "toast(p)", 7, 1,
     "and the TOAST table"},
    {0, "ALTER TABLE p ALTER COLUMN id TYPE bigint", 17, 7, TRI_YES, "toast_index(p)", 7, 1,
     "and its index"},
    {0, "ALTER TABLE p ALTER COLUMN id TYPE bigint", 17, 7, TRI_YES, "c", 7, 0,
     "the key referencing the column is dropped: c AccessExclusive, not rewritten"},
    {0, "ALTER TABLE p ALTER COLUMN id TYPE bigint", 17, 7, TRI_YES, "c_n", 0, 0,
     "the key added again is checked by a query planned over c's indexes"},
    {0, "ALTER TABLE c ALTER COLUMN n TYPE bigint", 17, 7, TRI_DEPENDS, "c_n", 7, 0,
     "a rewrite that depends: the index on the column rebuilt, no rewrite said"},
    {0, "ALTER TABLE c ALTER COLUMN n TYPE bigint", 17, 7, TRI_DEPENDS, "p", -1, -1,
     "a column outside the key leaves p alone"},
    /* foreign keys */
    {0, "ALTER TABLE t ADD CONSTRAINT t_fk FOREIGN KEY (r_id) REFERENCES p (id)", 17, 5, TRI_NO,
     "p", 5, -1, "the referenced table ShareRowExclusive"},
    {0, "ALTER TABLE t ADD CONSTRAINT t_fk FOREIGN KEY (r_id) REFERENCES p (id)", 17, 5, TRI_NO,
     "p_pkey", 0, -1, "the validating query's indexes AccessShare"},
    {0, "ALTER TABLE t ADD CONSTRAINT t_fk FOREIGN KEY (r_id) REFERENCES p (id)", 17, 5, TRI_NO,
     "t_pkey", 0, -1, "on both sides"},
    {0, "ALTER TABLE t ADD CONSTRAINT t_fk FOREIGN KEY (r_id) REFERENCES p (id) NOT VALID", 17, 5,
     TRI_NO, "p_pkey", -1, -1, "NOT VALID: no query"},
    {0, "ALTER TABLE t ADD COLUMN r2 int REFERENCES p (id)", 17, 7, TRI_NO, "p_pkey", -1, -1,
     "a key on a new column without a default is not checked"},
    {0, "ALTER TABLE t ADD COLUMN r2 int DEFAULT 1 REFERENCES p (id)", 17, 7, TRI_NO, "p_pkey", 0,
     -1, "with a default it is"},
    {0, "ALTER TABLE v VALIDATE CONSTRAINT v_fk", 17, 3, TRI_NO, "p", 1, -1,
     "VALIDATE: the referenced table RowShare"},
    {0, "ALTER TABLE v VALIDATE CONSTRAINT v_fk", 17, 3, TRI_NO, "p_pkey", 0, -1,
     "and its index planned over"},
    {0, "ALTER TABLE v DROP CONSTRAINT v_fk", 17, 7, TRI_NO, "p", 7, -1,
     "dropping a key locks the other table AccessExclusive"},
    /* DROP COLUMN */
    {1, "ALTER TABLE t DROP COLUMN m", 17, 7, TRI_NO, "t_nm", 7, -1,
     "an index with the column among its keys goes"},
    {1, "ALTER TABLE t DROP COLUMN m", 17, 7, TRI_NO, "t_part", 7, -1,
     "an index with it in its predicate too"},
    {1, "ALTER TABLE t DROP COLUMN m", 17, 7, TRI_NO, "t_pkey", -1, -1, "the others stay"},
    {1, "ALTER TABLE t DROP COLUMN id CASCADE", 17, 7, TRI_NO, "t_id_seq", 7, -1,
     "the column's sequence goes"},
    {1, "ALTER TABLE t DROP COLUMN r_id", 17, 7, TRI_NO, "r", 7, -1,
     "the key on the column goes: its table AccessExclusive"},
    /* partitions */
    {2, "ALTER TABLE pt ADD COLUMN z int", 17, 7, TRI_NO, "pt2a", 7, -1,
     "a recursing subcommand locks the partitions at every depth"},
    {2, "ALTER TABLE ONLY pt ALTER COLUMN k SET STATISTICS 10", 17, 3, TRI_NO, "pt1", -1, -1,
     "ONLY: the partitions are not reached"},
    {2, "ALTER TABLE pt ATTACH PARTITION nw FOR VALUES IN (3)", 11, 7, TRI_NO, "nw", 7, -1,
     "ATTACH: the partition AccessExclusive"},
    {2, "ALTER TABLE pt ATTACH PARTITION nw FOR VALUES IN (3)", 11, 7, TRI_NO, "pt_k", -1, -1,
     "ATTACH on 11: not the parent's indexes"},
    {2, "ALTER TABLE pt ATTACH PARTITION nw FOR VALUES IN (3)", 12, 3, TRI_NO, "pt_k", 3, -1,
     "ATTACH from 12: the parent's indexes ShareUpdateExclusive"},
    {2, "ALTER TABLE pt DETACH PARTITION pt1", 13, 7, TRI_NO, "pt1", 3, -1,
     "DETACH before 14: the partition ShareUpdateExclusive"},
    {2, "ALTER TABLE pt DETACH PARTITION pt2", 14, 7, TRI_NO, "pt2a", 7, -1,
     "DETACH from 14: the partition's own partitions AccessExclusive"},
    /* persistence, options, USING INDEX, owners */
    {3, "ALTER TABLE u SET LOGGED", 15, 7, TRI_DEPENDS, "u_id_seq", 7, 1,
     "SET LOGGED of an unlogged table on 15: the owned sequence follows"},
    {3, "ALTER TABLE u SET LOGGED", 15, 7, TRI_DEPENDS, "u_pkey", 7, 1,
     "a rewrite the model decides"},
    {3, "ALTER TABLE u SET LOGGED", 14, 7, TRI_DEPENDS, "u_id_seq", -1, 0,
     "on 14 the sequence stays as it is"},
    {3, "ALTER TABLE u SET UNLOGGED", 17, 7, TRI_DEPENDS, "u", 7, 0,
     "SET UNLOGGED of an unlogged table: no rewrite"},
    {3, "ALTER TABLE u SET (fillfactor = 70)", 17, 3, TRI_NO, "toast(u)", 3, -1,
     "options reach the TOAST table"},
    {3, "ALTER TABLE u SET (fillfactor = 70)", 17, 3, TRI_NO, "toast_index(u)", -1, -1,
     "not its index"},
    {3, "ALTER TABLE u ADD CONSTRAINT u_body_key UNIQUE USING INDEX u_body", 11, 7, TRI_NO,
     "u_body_key", 7, -1, "USING INDEX on 11: the index AccessExclusive, by its new name"},
    {3, "ALTER TABLE u ADD CONSTRAINT u_body_key UNIQUE USING INDEX u_body", 12, 7, TRI_NO,
     "u_body_key", 3, -1, "from 12 ShareUpdateExclusive"},
    {3, "ALTER TABLE u OWNER TO someone", 17, 7, TRI_NO, "u_id_seq", 7, -1,
     "OWNER TO carries the sequences along"},
    {3, "ALTER TABLE u OWNER TO someone", 17, 7, TRI_NO, "toast(u)", 7, -1, "and the TOAST table"},
    {3, "ALTER TABLE u OWNER TO CURRENT_USER", 17, 7, TRI_NO, "u_pkey", -1, -1,
     "OWNER TO the owner: nothing is carried"},
    /* a default evaluated by the rewrite, row by row */
    {4, "ALTER TABLE w ADD COLUMN n bigint DEFAULT nextval('q')", 17, 7, TRI_YES, "q", 2, -1,
     "a rewrite of a table with rows draws the default's sequence"},
    {5, "ALTER TABLE w ADD COLUMN n bigint DEFAULT nextval('q')", 17, 7, TRI_YES, "q", -1, -1,
     "an empty table: the default is never evaluated"},
};

static void run_case(const Schema *s, const Case *k)
{
    StmtInfo info;
    classify_statement(k->sql, &info);
    Prediction row;
    prediction_clear(&row);
    row.predicted = true;
    row.mode = k->mode;
    row.rewrite = k->rewrite;
    RelPred p;
    relations_predict(s, NULL, k->sql, &info, k->major, NULL, &row, &p);
    const RelLock *l = relpred_lock_of(&p, k->rel);
    int got = l ? l->mode : -1;
    CHECK(p.modelled && got == k->want, "%s (%s on %d: %s %d, want %d)", k->why, k->sql, k->major,
          k->rel, got, k->want);
    if (k->rewrote >= 0)
        CHECK(relpred_rewrites(&p, k->rel) == (k->rewrote == 1), "%s: %s %s rewritten", k->why,
              k->rel, k->rewrote ? "is" : "is not");
    relpred_free(&p);
    classify_free(&info);
}

int main(void)
{
    size_t ncat = sizeof(catalogs) / sizeof(catalogs[0]);
    Schema **s = malloc(ncat * sizeof(*s));
    for (size_t i = 0; i < ncat; i++) {
        s[i] = schema_new();
        schema_apply(s[i], catalogs[i]);
    }
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(s[cases[i].catalog], &cases[i]);
    for (size_t i = 0; i < ncat; i++)
        schema_free(s[i]);
    free(s);
    return t_done("test_relations_alter");
}
