/*
 * test_shard: --shard specs (table of accepted and refused), the assignment
 * (deterministic, every job in exactly one shard, balanced by statements,
 * whole jobs), and the corpus identity (same files: same identity; any change
 * of a path, a statement or the layout: another).
 */
#include "corpus/shard.h"
#include "t.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct SpecCase {
    const char *spec;
    int k, n; /* 0: refused */
} SpecCase;

static const SpecCase spec_cases[] = {
    {"1/1", 1, 1},  {"2/4", 2, 4},  {"4/4", 4, 4},    {"1000/1000", 1000, 1000},
    {"0/3", 0, 0},  {"4/3", 0, 0},  {"1/0", 0, 0},    {"-1/3", 0, 0},
    {"1/-3", 0, 0}, {"+1/3", 0, 0}, {"1/3x", 0, 0},   {"1", 0, 0},
    {"", 0, 0},     {"a/b", 0, 0},  {"1/1001", 0, 0}, {"1//3", 0, 0},
};

static void test_parse(void)
{
    for (size_t i = 0; i < ARRAY_LEN(spec_cases); i++) {
        const SpecCase *c = &spec_cases[i];
        Shard s = {0};
        Err err = {0};
        int rc = shard_parse(c->spec, &s, &err);
        if (c->n) {
            CHECK(rc == 0 && s.k == c->k && s.n == c->n, "\"%s\": %s", c->spec, err.msg);
        } else {
            CHECK(rc == -1 && err.code == 2, "\"%s\" should be refused", c->spec);
            CHECK(strstr(err.msg, "invalid --shard") != NULL, "\"%s\": %s", c->spec, err.msg);
        }
    }
}

typedef struct AssignCase {
    const char *name;
    size_t cost[12];
    size_t njobs;
    int n;
    int want[12];
} AssignCase;

static const AssignCase assign_cases[] = {
    {"one shard", {3, 1, 2}, 3, 1, {0, 0, 0}},
    {"costly first, least loaded, lowest on a tie", {1, 5, 3, 3}, 4, 2, {0, 0, 1, 1}},
    {"three shards", {5, 4, 3, 3, 2, 1}, 6, 3, {0, 1, 2, 2, 1, 0}},
    {"equal costs round robin by position", {1, 1, 1, 1, 1}, 5, 2, {0, 1, 0, 1, 0}},
    {"more shards than jobs", {2, 2}, 2, 4, {0, 1}},
};

static void test_assign(void)
{
    for (size_t i = 0; i < ARRAY_LEN(assign_cases); i++) {
        const AssignCase *c = &assign_cases[i];
        int got[12];
        shard_assign(c->cost, c->njobs, c->n, got);
        for (size_t j = 0; j < c->njobs; j++)
            CHECK(got[j] == c->want[j], "%s: job %zu in shard %d, want %d", c->name, j, got[j],
                  c->want[j]);
    }
    /* a bigger table: every job once, loads within the largest cost */
    enum { NJ = 500, NS = 7 };
    size_t cost[NJ];
    int a[NJ], b[NJ];
    for (size_t i = 0; i < NJ; i++)
        cost[i] = 1 + (i * 7919) % 97;
    shard_assign(cost, NJ, NS, a);
    shard_assign(cost, NJ, NS, b);
    size_t load[NS] = {0}, maxcost = 0;
    bool same = true;
    for (size_t i = 0; i < NJ; i++) {
        CHECK(a[i] >= 0 && a[i] < NS, "job %zu in shard %d", i, a[i]);
        load[a[i]] += cost[i];
        same &= a[i] == b[i];
        if (cost[i] > maxcost) maxcost = cost[i];
    }
    CHECK(same, "the assignment is deterministic");
    size_t lo = load[0], hi = load[0];
    for (int s = 1; s < NS; s++) {
        lo = load[s] < lo ? load[s] : lo;
        hi = load[s] > hi ? load[s] : hi;
    }
    CHECK(hi - lo <= maxcost, "balanced: loads %zu..%zu, largest job %zu", lo, hi, maxcost);
}

/* ---- shards of a corpus and its identity -------------------------------- */

static char dir[64];

static void write_file(const char *name, const char *text)
{
    char *p = xasprintf("%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
    free(p);
}

static char *id_of(const char *path, bool each)
{
    Corpus c;
    Err err = {0};
    char *paths[] = {(char *)path};
    CorpusOpts o = {.each_file = each};
    if (corpus_load(&c, paths, 1, &o, &err) != 0) {
        CHECK(0, "load %s: %s", path, err.msg);
        return xstrdup("");
    }
    char *id = shard_corpus_id(&c);
    corpus_free(&c);
    return id;
}

static void test_corpus(void)
{
    snprintf(dir, sizeof(dir), "/tmp/lm_test_shard.XXXXXX");
    if (!mkdtemp(dir)) {
        CHECK(0, "mkdtemp");
        return;
    }
    write_file("1_a.sql", "CREATE TABLE a (id int);\nALTER TABLE a ADD COLUMN b int;\n");
    write_file("2_b.sql", "CREATE TABLE b (id int);\n");
    write_file("3_c.sql", "CREATE INDEX ON a (b);\nSELECT 1;\nSELECT 2;\n");

    char *id1 = id_of(dir, false), *id2 = id_of(dir, false), *each = id_of(dir, true);
    CHECK(strlen(id1) == 32, "32 hex digits: %s", id1);
    CHECK_STR(id1, id2, "same files, same identity");
    CHECK(strcmp(id1, each) != 0, "another layout (each file a chain), another identity");
    write_file("2_b.sql", "CREATE TABLE b (id bigint);\n");
    char *id3 = id_of(dir, false);
    CHECK(strcmp(id1, id3) != 0, "a changed statement changes the identity");
    char *f = xasprintf("%s/2_b.sql", dir), *g = xasprintf("%s/2_z.sql", dir);
    rename(f, g);
    char *id4 = id_of(dir, false);
    CHECK(strcmp(id3, id4) != 0, "a renamed file changes the identity");

    /* the jobs of a corpus: every (chain, version) once over the shards */
    Corpus c;
    Err err = {0};
    char *paths[] = {dir};
    CorpusOpts o = {.each_file = true};
    CHECK(corpus_load(&c, paths, 1, &o, &err) == 0, "%s", err.msg);
    VersionSet v;
    versions_parse("10-17", &v, &err);
    int *of = shard_of_jobs(&c, &v, 4);
    size_t load[4] = {0};
    for (size_t ch = 0; ch < c.nchains; ch++)
        for (int i = 0; i < v.n; i++) {
            int s = of[ch * (size_t)v.n + (size_t)i];
            CHECK(s >= 0 && s < 4, "chain %zu version %d in shard %d", ch, v.v[i], s);
            if (s >= 0 && s < 4) load[s] += c.chains[ch].nstmts;
        }
    /* 3 chains of 2, 1, 3 statements on 8 versions: 48 statements, 12 each */
    for (int s = 0; s < 4; s++)
        CHECK(load[s] == 12, "shard %d has %zu statements, want 12", s + 1, load[s]);
    free(of);
    corpus_free(&c);

    free(id1);
    free(id2);
    free(id3);
    free(id4);
    free(each);
    unlink(g);
    free(f);
    free(g);
    char *p = xasprintf("%s/1_a.sql", dir);
    unlink(p);
    free(p);
    p = xasprintf("%s/3_c.sql", dir);
    unlink(p);
    free(p);
    rmdir(dir);
}

int main(void)
{
    test_parse();
    test_assign();
    test_corpus();
    return t_done("test_shard");
}
