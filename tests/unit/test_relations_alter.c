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

/* The prediction of sql on major meeting s, the row's mode and rewrite given. */
static void predict(const Schema *s, const char *sql, int major, int mode, Tri rewrite, RelPred *p)
{
    StmtInfo info;
    classify_statement(sql, &info);
    Prediction row;
    prediction_clear(&row);
    row.predicted = true;
    row.mode = mode;
    row.rewrite = rewrite;
    relations_predict(s, NULL, sql, &info, major, NULL, &row, p);
    classify_free(&info);
}

/* The mode predicted on name, -1 when none. */
static int mode_of(const RelPred *p, const char *name)
{
    const RelLock *l = relpred_lock_of(p, name);
    return l ? l->mode : -1;
}

static void retype_and_rewrite(void)
{
    Schema *s = schema_new();
    schema_apply(s, "CREATE TABLE p (id int PRIMARY KEY, body text);"
                    "CREATE TABLE c (id int PRIMARY KEY, p_id int REFERENCES p (id), n int);"
                    "CREATE INDEX c_n ON c (n)");
    RelPred r;
    predict(s, "ALTER TABLE p ALTER COLUMN id TYPE bigint", 17, 7, TRI_YES, &r);
    CHECK(r.modelled, "ALTER COLUMN TYPE is modelled");
    CHECK(mode_of(&r, "p_pkey") == 7 && mode_of(&r, "toast(p)") == 7 &&
              mode_of(&r, "toast_index(p)") == 7,
          "a rewrite rebuilds the indexes and the TOAST table under AccessExclusiveLock");
    CHECK(relpred_rewrites(&r, "p") && relpred_rewrites(&r, "p_pkey") &&
              relpred_rewrites(&r, "toast(p)") && !relpred_rewrites(&r, "c"),
          "the table, its index and TOAST get new storage, the referencing table not");
    CHECK(mode_of(&r, "c") == 7, "the key referencing the column is dropped: c AccessExclusive");
    CHECK(mode_of(&r, "c_pkey") == 0 && mode_of(&r, "c_n") == 0,
          "the key added again is checked by a query planned over c's indexes");
    relpred_free(&r);

    predict(s, "ALTER TABLE c ALTER COLUMN n TYPE bigint", 17, 7, TRI_DEPENDS, &r);
    CHECK(r.nrewrites == 0, "a rewrite that depends says nothing of rewrites: %zu", r.nrewrites);
    CHECK(mode_of(&r, "c_n") == 7, "the index on the column is rebuilt all the same");
    CHECK(mode_of(&r, "p") == -1, "a column outside the key leaves p alone");
    relpred_free(&r);
    schema_free(s);
}

static void foreign_keys(void)
{
    Schema *s = schema_new();
    schema_apply(s, "CREATE TABLE r (id int PRIMARY KEY);"
                    "CREATE TABLE t (id int PRIMARY KEY, r_id int)");
    RelPred p;
    predict(s, "ALTER TABLE t ADD CONSTRAINT t_fk FOREIGN KEY (r_id) REFERENCES r (id)", 17, 5,
            TRI_NO, &p);
    CHECK(mode_of(&p, "r") == 5, "the referenced table ShareRowExclusive");
    CHECK(mode_of(&p, "r_pkey") == 0 && mode_of(&p, "t_pkey") == 0,
          "the validating query's indexes AccessShare");
    relpred_free(&p);
    predict(s, "ALTER TABLE t ADD CONSTRAINT t_fk FOREIGN KEY (r_id) REFERENCES r (id) NOT VALID",
            17, 5, TRI_NO, &p);
    CHECK(mode_of(&p, "r") == 5 && mode_of(&p, "r_pkey") == -1 && mode_of(&p, "t_pkey") == -1,
          "NOT VALID: no query");
    relpred_free(&p);
    predict(s, "ALTER TABLE t ADD COLUMN r2 int REFERENCES r (id)", 17, 7, TRI_NO, &p);
    CHECK(mode_of(&p, "r") == 5 && mode_of(&p, "r_pkey") == -1,
          "a key on a new column without a default is not checked");
    relpred_free(&p);
    predict(s, "ALTER TABLE t ADD COLUMN r2 int DEFAULT 1 REFERENCES r (id)", 17, 7, TRI_NO, &p);
    CHECK(mode_of(&p, "r_pkey") == 0, "with a default it is");
    relpred_free(&p);

    schema_apply(s, "ALTER TABLE t ADD CONSTRAINT t_fk FOREIGN KEY (r_id) REFERENCES r (id) "
                    "NOT VALID");
    predict(s, "ALTER TABLE t VALIDATE CONSTRAINT t_fk", 17, 3, TRI_NO, &p);
    CHECK(mode_of(&p, "r") == 1 && mode_of(&p, "r_pkey") == 0,
          "VALIDATE: the referenced table RowShare, its index planned over");
    relpred_free(&p);
    predict(s, "ALTER TABLE t DROP CONSTRAINT t_fk", 17, 7, TRI_NO, &p);
    CHECK(mode_of(&p, "r") == 7, "dropping a key locks the other table AccessExclusive");
    relpred_free(&p);
    schema_free(s);
}

static void drop_column(void)
{
    Schema *s = schema_new();
    schema_apply(s, "CREATE TABLE r (id int PRIMARY KEY);"
                    "CREATE TABLE t (id serial PRIMARY KEY, r_id int REFERENCES r, n int, m int);"
                    "CREATE INDEX t_nm ON t (n, m); CREATE INDEX t_part ON t (id) WHERE m > 0");
    RelPred p;
    predict(s, "ALTER TABLE t DROP COLUMN m", 17, 7, TRI_NO, &p);
    CHECK(mode_of(&p, "t_nm") == 7 && mode_of(&p, "t_part") == 7 && mode_of(&p, "t_pkey") == -1,
          "the indexes naming the column go, others stay");
    relpred_free(&p);
    predict(s, "ALTER TABLE t DROP COLUMN id CASCADE", 17, 7, TRI_NO, &p);
    CHECK(mode_of(&p, "t_id_seq") == 7, "the column's sequence goes");
    relpred_free(&p);
    predict(s, "ALTER TABLE t DROP COLUMN r_id", 17, 7, TRI_NO, &p);
    CHECK(mode_of(&p, "r") == 7, "the key on the column goes: its table AccessExclusive");
    relpred_free(&p);
    schema_free(s);
}

static void partitions(void)
{
    Schema *s = schema_new();
    schema_apply(s, "CREATE TABLE pt (id int NOT NULL, k int NOT NULL) PARTITION BY LIST (k);"
                    "CREATE TABLE pt1 PARTITION OF pt FOR VALUES IN (1);"
                    "CREATE TABLE pt2 PARTITION OF pt FOR VALUES IN (2) PARTITION BY LIST (k);"
                    "CREATE TABLE pt2a PARTITION OF pt2 FOR VALUES IN (2);"
                    "CREATE INDEX pt_k ON pt (k);"
                    "CREATE TABLE nw (id int NOT NULL, k int NOT NULL)");
    RelPred p;
    predict(s, "ALTER TABLE pt ADD COLUMN z int", 17, 7, TRI_NO, &p);
    CHECK(mode_of(&p, "pt1") == 7 && mode_of(&p, "pt2a") == 7,
          "a recursing subcommand locks the partitions at every depth");
    relpred_free(&p);
    predict(s, "ALTER TABLE ONLY pt ALTER COLUMN k SET STATISTICS 10", 17, 3, TRI_NO, &p);
    CHECK(mode_of(&p, "pt1") == -1, "ONLY: the partitions are not reached");
    relpred_free(&p);
    predict(s, "ALTER TABLE pt ATTACH PARTITION nw FOR VALUES IN (3)", 11, 7, TRI_NO, &p);
    CHECK(mode_of(&p, "nw") == 7 && mode_of(&p, "pt_k") == -1, "ATTACH on 11: the partition");
    relpred_free(&p);
    predict(s, "ALTER TABLE pt ATTACH PARTITION nw FOR VALUES IN (3)", 12, 3, TRI_NO, &p);
    CHECK(mode_of(&p, "nw") == 7 && mode_of(&p, "pt_k") == 3,
          "ATTACH from 12: the parent's indexes ShareUpdateExclusive too");
    relpred_free(&p);
    predict(s, "ALTER TABLE pt DETACH PARTITION pt1", 13, 7, TRI_NO, &p);
    CHECK(mode_of(&p, "pt1") == 3, "DETACH before 14: the partition ShareUpdateExclusive");
    relpred_free(&p);
    predict(s, "ALTER TABLE pt DETACH PARTITION pt2", 14, 7, TRI_NO, &p);
    CHECK(mode_of(&p, "pt2") == 7 && mode_of(&p, "pt2a") == 7,
          "DETACH from 14: the partition and its own partitions AccessExclusive");
    relpred_free(&p);
    schema_free(s);
}

static void storage(void)
{
    Schema *s = schema_new();
    schema_apply(s, "CREATE UNLOGGED TABLE u (id serial PRIMARY KEY, body text);"
                    "CREATE UNIQUE INDEX u_body ON u (body)");
    RelPred p;
    predict(s, "ALTER TABLE u SET LOGGED", 15, 7, TRI_DEPENDS, &p);
    CHECK(mode_of(&p, "u_id_seq") == 7 && relpred_rewrites(&p, "u_id_seq") &&
              relpred_rewrites(&p, "u") && mode_of(&p, "u_pkey") == 7,
          "SET LOGGED of an unlogged table on 15: a rewrite, the owned sequence with it");
    relpred_free(&p);
    predict(s, "ALTER TABLE u SET LOGGED", 14, 7, TRI_DEPENDS, &p);
    CHECK(mode_of(&p, "u_id_seq") == -1 && relpred_rewrites(&p, "u"),
          "on 14 the sequence stays as it is");
    relpred_free(&p);
    predict(s, "ALTER TABLE u SET UNLOGGED", 17, 7, TRI_DEPENDS, &p);
    CHECK(p.nrewrites == 0 && mode_of(&p, "u_pkey") == -1, "SET UNLOGGED of an unlogged table");
    relpred_free(&p);
    predict(s, "ALTER TABLE u SET (fillfactor = 70)", 17, 3, TRI_NO, &p);
    CHECK(mode_of(&p, "toast(u)") == 3 && mode_of(&p, "toast_index(u)") == -1,
          "options reach the TOAST table, not its index");
    relpred_free(&p);
    predict(s, "ALTER TABLE u ADD CONSTRAINT u_body_key UNIQUE USING INDEX u_body", 11, 7, TRI_NO,
            &p);
    CHECK(mode_of(&p, "u_body_key") == 7, "USING INDEX on 11: the index, by its new name");
    relpred_free(&p);
    predict(s, "ALTER TABLE u ADD CONSTRAINT u_body_key UNIQUE USING INDEX u_body", 12, 7, TRI_NO,
            &p);
    CHECK(mode_of(&p, "u_body_key") == 3, "from 12 ShareUpdateExclusive");
    relpred_free(&p);
    predict(s, "ALTER TABLE u OWNER TO someone", 17, 7, TRI_NO, &p);
    CHECK(mode_of(&p, "u_pkey") == 7 && mode_of(&p, "u_id_seq") == 7 &&
              mode_of(&p, "toast(u)") == 7,
          "OWNER TO carries the indexes, sequences and TOAST along");
    relpred_free(&p);
    predict(s, "ALTER TABLE u OWNER TO CURRENT_USER", 17, 7, TRI_NO, &p);
    CHECK(p.nlocks == 1, "OWNER TO the owner: the target alone (%zu)", p.nlocks);
    relpred_free(&p);
    schema_free(s);
}

int main(void)
{
    retype_and_rewrite();
    foreign_keys();
    drop_column();
    partitions();
    storage();
    return t_done("test_relations_alter");
}
