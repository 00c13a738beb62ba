/*
 * test_relations: the relation predictor's core (predict/relations.c): its
 * text form round trip, the target locked at its row's mode under the
 * tracer's names, "unknown" for a table the model lacks, and the comparison
 * with a trace relation by relation (lower bounds for sampled or hidden
 * locks, the replay's requests, rewrites, roles that are not judged). What
 * each statement form locks is checked against real servers by
 * tests/integration/relations.sh.
 */
#include "predict/relations.h"
#include "tests/unit/t.h"

#include <stdlib.h>
#include <string.h>

static void round_trip(void)
{
    const char *text = "m\nL\t7\ttarget\tusers\nL\t7\tindex\tusers_pkey\nL\t5\treferenced\ts.orgs\n"
                       "R\tusers\nR\ttoast(users)\n";
    RelPred p;
    relpred_parse(text, &p);
    CHECK(p.modelled, "modelled read back");
    CHECK(p.nlocks == 3 && p.nrewrites == 2, "3 locks, 2 rewrites: %zu %zu", p.nlocks, p.nrewrites);
    const RelLock *l = relpred_lock_of(&p, "s.orgs");
    CHECK(l && l->mode == 5 && l->role == REL_REFERENCED, "s.orgs ShareRowExclusive, referenced");
    CHECK(relpred_rewrites(&p, "toast(users)") && !relpred_rewrites(&p, "users_pkey"),
          "rewrites as written");
    Buf b;
    buf_init(&b);
    relpred_format(&p, &b);
    CHECK_STR(b.data, text, "formatted as parsed");
    buf_free(&b);
    relpred_free(&p);
    relpred_parse("x\nL\tbad\nL\t3\tnorole\tt\n", &p);
    CHECK(!p.modelled && p.nlocks == 1 && p.locks[0].role == REL_OTHER,
          "junk lines skipped, an unknown role is other");
    relpred_free(&p);
    for (int r = 0; r < REL_ROLES; r++)
        CHECK(relrole_parse(relrole_name((RelRole)r)) == r, "role %d by name", r);
    CHECK(relrole_parse("nope") == -1, "unknown role");
}

static void target_and_unknown(void)
{
    Schema *s = schema_new();
    schema_apply(s, "CREATE SCHEMA app; CREATE TABLE app.users (id int PRIMARY KEY)");
    StmtInfo info;
    classify_statement("ALTER TABLE app.users ADD COLUMN x int", &info);
    Prediction row;
    prediction_clear(&row);
    row.predicted = true;
    row.mode = 7;
    RelPred p;
    relations_predict(s, NULL, "ALTER TABLE app.users ADD COLUMN x int", &info, 17, NULL, &row, &p);
    const RelLock *l = relpred_lock_of(&p, "app.users");
    CHECK(l && l->role == REL_TARGET && l->mode == 7, "the target by the tracer's name");
    CHECK(!p.unknown[0], "the model has the table: %s", p.unknown);
    relpred_free(&p);
    classify_free(&info);

    classify_statement("ALTER TABLE ghosts ADD COLUMN x int", &info);
    relations_predict(s, NULL, "ALTER TABLE ghosts ADD COLUMN x int", &info, 17, NULL, &row, &p);
    l = relpred_lock_of(&p, "ghosts");
    CHECK(l && l->mode == 7, "a table outside the model still has its row's lock");
    CHECK(!p.modelled || strstr(p.unknown, "ghosts") != NULL,
          "a modelled prediction says what it lacked: \"%s\"", p.unknown);
    relpred_free(&p);
    classify_free(&info);

    /* IF EXISTS of a table the chain never made: skipped, nothing locked */
    const char *drop = "DROP TABLE IF EXISTS ghosts";
    classify_statement(drop, &info);
    relations_predict(s, NULL, drop, &info, 17, NULL, &row, &p);
    CHECK(p.nlocks == 0 && strstr(p.unknown, "skipped if it does not exist"),
          "IF EXISTS of an unknown table locks nothing: %zu, \"%s\"", p.nlocks, p.unknown);
    relpred_free(&p);
    classify_free(&info);

    /* a DO block: no reading can tell */
    const char *block = "DO $$ BEGIN IF random() > 0.5 THEN DROP TABLE app.users; END IF; END $$";
    classify_statement(block, &info);
    relations_predict(s, NULL, block, &info, 17, NULL, &row, &p);
    CHECK(p.undecidable && !p.modelled && strstr(p.unknown, "DO block"),
          "a DO block is undecidable: \"%s\"", p.unknown);
    Buf b;
    buf_init(&b);
    relpred_format(&p, &b);
    RelPred back;
    relpred_parse(b.data, &back);
    CHECK(back.undecidable, "undecidable survives the text form");
    relpred_free(&back);
    buf_free(&b);
    relpred_free(&p);
    classify_free(&info);
    schema_free(s);
}

/* A trace with the locks given as "relation:role:mode[:held]" words. */
static Trace make_trace(const char *capture, TraceReq req, const char *const *locks,
                        const char *const *rewrites)
{
    Trace t = {0};
    snprintf(t.capture, sizeof(t.capture), "%s", capture);
    t.req = req;
    size_t n = 0;
    while (locks[n])
        n++;
    t.locks = calloc(n + 1, sizeof(*t.locks));
    for (size_t i = 0; i < n; i++) {
        char *w = xstrdup(locks[i]), *role = strchr(w, ':'), *mode = strchr(role + 1, ':');
        *role++ = 0;
        *mode++ = 0;
        char *held = strchr(mode, ':');
        if (held) *held = 0;
        t.locks[i] = (TraceLock){.relation = xstrdup(w),
                                 .role = (char *)trace_role_static(role),
                                 .locktype = xstrdup("relation"),
                                 .mode = xstrdup(mode),
                                 .granted = true,
                                 .held_before = held != NULL};
        free(w);
    }
    t.nlocks = n;
    while (rewrites && rewrites[t.nrewrites])
        t.nrewrites++;
    t.rewrites = calloc(t.nrewrites + 1, sizeof(char *));
    for (size_t i = 0; i < t.nrewrites; i++)
        t.rewrites[i] = xstrdup(rewrites[i]);
    return t;
}

static size_t disagreements(const char *pred, const Trace *t, Buf *why)
{
    RelPred p;
    relpred_parse(pred, &p);
    RelAgreement a;
    relpred_compare(&p, t, &a, why);
    relpred_free(&p);
    return a.disagree;
}

static void compare(void)
{
    const char *locks[] = {
        "users:table:AccessExclusiveLock",   "users_pkey:index:AccessExclusiveLock",
        "pg_class:catalog:RowExclusiveLock", "(transient 1):transient:ShareLock",
        "new_t:new:AccessExclusiveLock",     NULL};
    const char *rw[] = {"users", "users_pkey", "(transient 1)", NULL};
    Trace t = make_trace("tx", TRACE_REQ_OWN, locks, rw);
    const char *full = "m\nL\t7\ttarget\tusers\nL\t7\tindex\tusers_pkey\nR\tusers\nR\tusers_pkey\n";
    Buf why;
    buf_init(&why);
    CHECK(disagreements(full, &t, &why) == 0, "agrees; catalog, transient, new not judged: %s",
          why.data ? why.data : "");
    buf_reset(&why);
    CHECK(disagreements("m\nL\t7\ttarget\tusers\nR\tusers\nR\tusers_pkey\n", &t, &why) == 1,
          "an index lock not predicted");
    CHECK_STR(why.data, "users_pkey: predicted none, observed AccessExclusiveLock", "why");
    buf_reset(&why);
    CHECK(disagreements("m\nL\t7\ttarget\tusers\nL\t7\tindex\tusers_pkey\nR\tusers\n", &t, &why) ==
              1,
          "a rewrite not predicted");
    CHECK_STR(why.data, "users_pkey: rewrite not predicted", "why");
    buf_reset(&why);
    CHECK(disagreements("m\nL\t7\ttarget\tusers\nL\t4\tindex\tusers_pkey\nR\tusers\nR\tusers_"
                        "pkey\nR\ttoast(users)\n",
                        &t, &why) == 2,
          "a weaker mode and a rewrite that did not happen");
    trace_free(&t);

    /* sampled: a lower bound, only stronger or unpredicted locks count */
    const char *sampled[] = {"users:table:ShareLock", NULL};
    t = make_trace("poll", TRACE_REQ_OWN, sampled, NULL);
    CHECK(disagreements("m\nL\t7\ttarget\tusers\nL\t7\tindex\tusers_pkey\n", &t, NULL) == 0,
          "a sampled capture is a lower bound");
    CHECK(disagreements("m\nL\t3\ttarget\tusers\n", &t, NULL) == 1,
          "a stronger lock than predicted counts even sampled");
    trace_free(&t);

    /* held before by the transaction: what was added is a lower bound */
    const char *hidden[] = {"users:table:AccessExclusiveLock:held", NULL};
    t = make_trace("tx", TRACE_REQ_OWN, hidden, NULL);
    CHECK(disagreements("m\nL\t7\ttarget\tusers\nL\t7\tindex\tusers_pkey\n", &t, NULL) == 0,
          "locks hidden behind earlier ones are no disagreement");
    trace_free(&t);

    /* the replay's requests stand for the statement */
    const char *outer[] = {"users:table:AccessExclusiveLock:held", NULL};
    t = make_trace("tx", TRACE_REQ_REPLAY, outer, NULL);
    t.requested = calloc(1, sizeof(*t.requested));
    t.requested[0] = (TraceLock){xstrdup("users"),
                                 (char *)trace_role_static("table"),
                                 xstrdup("relation"),
                                 xstrdup("ShareLock"),
                                 true,
                                 false};
    t.nrequested = 1;
    CHECK(disagreements("m\nL\t4\ttarget\tusers\n", &t, NULL) == 0, "the replay's request agrees");
    CHECK(disagreements("m\nL\t7\ttarget\tusers\n", &t, NULL) == 1,
          "the replay's request is exact");
    trace_free(&t);

    /* phases may miss a TOAST table's lock between two stops */
    const char *phase[] = {"users:table:ShareLock", NULL};
    t = make_trace("phase", TRACE_REQ_OWN, phase, NULL);
    CHECK(disagreements("m\nL\t4\ttarget\tusers\nL\t4\ttoast\ttoast(users)\n", &t, NULL) == 0,
          "a TOAST lock no phase saw");
    CHECK(disagreements("m\nL\t4\ttarget\tusers\nL\t4\tindex\tusers_pkey\n", &t, NULL) == 1,
          "an index lock no phase saw");
    trace_free(&t);
    buf_free(&why);
}

int main(void)
{
    round_trip();
    target_and_unknown();
    compare();
    return t_done("test_relations");
}
