/*
 * test_layout: the layouts of migration tools. Every fixture directory of
 * tests/data/layouts (run from the repository root) is loaded as
 * corpus_load does it and must come out in the tool's order, with the tool's
 * transaction rule (wrap_tx), statement counts and extraction marks; then
 * the pieces: Flyway's version order, the JS/TS literal extractor, Drizzle's
 * breakpoints, errors.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "corpus/corpus.h"
#include "corpus/jsextract.h"
#include "corpus/layout.h"
#include "t.h"

#define DATA "tests/data/layouts/"

typedef struct Want {
    const char *file; /* path relative to the fixture directory */
    bool wrap;
    size_t nstmts;
} Want;

typedef struct Case {
    const char *dir;
    const char *forced;    /* --layout, or NULL */
    const char *layout;    /* the chain's layout name */
    const char *note;      /* a substring of the chain's note, or NULL for none */
    const char *extracted; /* extracted_from of every migration */
    Want want[12];
    bool downs;       /* --down */
    const char *line; /* the directory's layout line (layout_summary_line), or NULL */
} Case;

static const Case cases[] = {
    {"plain",
     NULL,
     "plain",
     NULL,
     NULL,
     {{"1_users.sql", false, 1}, {"2_email.sql", false, 2}, {"10_name.sql", false, 1}},
     false,
     "plain: 3 files"},
    {"plain_order",
     NULL,
     "plain",
     NULL,
     NULL,
     {{"z_first.sql", false, 1}, {"a_second.sql", false, 1}},
     false,
     NULL},
    /* golang-migrate: one Exec per file, PostgreSQL's implicit transaction:
     * only with several statements; a file with its own BEGIN/COMMIT as written */
    {"golang_migrate",
     NULL,
     "golang-migrate",
     NULL,
     NULL,
     {{"1_create_users.up.sql", false, 1},
      {"2_index_users.up.sql", false, 1},
      {"10_columns.up.sql", true, 2},
      {"11_own_tx.up.sql", false, 3}},
     false,
     "golang-migrate: 4 up, 3 down (not run; --down runs them)"},
    {"golang_ups_only",
     NULL,
     "plain",
     "without downs",
     NULL,
     {{"0001_t.up.sql", false, 1}, {"0002_t.up.sql", false, 2}},
     false,
     NULL},
    {"forced_golang",
     NULL,
     "golang-migrate",
     NULL,
     NULL,
     {{"0001_t.up.sql", false, 1}, {"0002_t.up.sql", true, 2}},
     false,
     NULL},
    {"golang_ups_only",
     "golang-migrate",
     "golang-migrate",
     NULL,
     NULL,
     {{"0001_t.up.sql", false, 1}, {"0002_t.up.sql", true, 2}},
     false,
     NULL},
    /* Flyway: V by version parts (1.2 < 1.10), R by description after; a
     * transaction per migration unless all of it cannot run in one, or
     * executeInTransaction=false (.conf or header); U (undo) left out */
    {"flyway",
     NULL,
     "flyway",
     "1 Flyway callbacks",
     NULL,
     {{"V1__init.sql", true, 1},
      {"V1_1__ab.sql", true, 2},
      {"V1_2__c.sql", true, 1},
      {"V1_10__d.sql", true, 1},
      {"V2__concurrent_index.sql", false, 1},
      {"V3__no_tx.sql", false, 2},
      {"V4__header_no_tx.sql", false, 2},
      {"R__a_functions.sql", true, 1},
      {"R__views.sql", true, 1}},
     false,
     NULL},
    /* Prisma: folders by name; the script as one query (implicit transaction) */
    {"prisma",
     NULL,
     "prisma",
     NULL,
     NULL,
     {{"20240101120000_init/migration.sql", true, 2},
      {"20240215093000_index/migration.sql", false, 1}},
     false,
     NULL},
    /* Drizzle: the journal's order (a file not in it is not applied), split
     * at breakpoints (a chunk without ';' too), one transaction */
    {"drizzle",
     NULL,
     "drizzle",
     NULL,
     NULL,
     {{"0000_init.sql", true, 3}, {"0001_tags.sql", true, 2}},
     false,
     NULL},
    /* diesel: folders by name, a transaction unless metadata.toml says not */
    {"diesel",
     NULL,
     "diesel",
     NULL,
     NULL,
     {{"00000000000000_diesel_initial_setup/up.sql", true, 1},
      {"2024-01-01-000000_create_users/up.sql", true, 2},
      {"2024-02-01-000000_index_users/up.sql", false, 1}},
     false,
     NULL},
    /* sqitch: the plan's order, a reworked change from its tagged file; the
     * scripts' own BEGIN/COMMIT */
    {"sqitch",
     NULL,
     "sqitch",
     NULL,
     NULL,
     {{"deploy/appschema.sql", false, 3},
      {"deploy/users@v1.0.0.sql", false, 3},
      {"deploy/flips.sql", false, 3},
      {"deploy/users.sql", false, 3}},
     false,
     NULL},
    /* JS/TS: the literals of .raw() / .query() in up, not down */
    {"knex",
     NULL,
     "knex",
     NULL,
     "knex",
     {{"20240101120000_create_users.js", true, 4},
      {"20240102090000_index_concurrently.js", false, 1}},
     false,
     NULL},
    {"typeorm",
     NULL,
     "typeorm",
     NULL,
     "typeorm",
     {{"1700000000000-CreatePhoto.ts", true, 2}, {"1700000100000-PhotoIndex.ts", false, 1}},
     false,
     NULL},
    {"sequelize",
     NULL,
     "sequelize",
     NULL,
     "sequelize",
     {{"20240101000000-create-task.js", false, 3}},
     false,
     NULL},
    {"ambiguous",
     NULL,
     "plain",
     "ambiguous (flyway, prisma)",
     NULL,
     {{"V1__amb.sql", false, 1}},
     false,
     NULL},
    {"ambiguous",
     "prisma",
     "prisma",
     NULL,
     NULL,
     {{"20240101_x/migration.sql", false, 1}},
     false,
     NULL},
    /* one line for the directory, not one per chain */
    {"plain",
     "each",
     "each",
     NULL,
     NULL,
     {{"1_users.sql", false, 1}, {"2_email.sql", false, 2}, {"10_name.sql", false, 1}},
     false,
     "each: 3 files, each its own chain; named, not detected"},
    /* --down: the downs after every up, newest first, with the tool's rule */
    {.dir = "golang_migrate",
     .layout = "golang-migrate",
     .downs = true,
     .line = "golang-migrate: 4 up, 3 down",
     .want = {{"1_create_users.up.sql", false, 1},
              {"2_index_users.up.sql", false, 1},
              {"10_columns.up.sql", true, 2},
              {"11_own_tx.up.sql", false, 3},
              {"10_columns.down.sql", false, 1},
              {"2_index_users.down.sql", false, 1},
              {"1_create_users.down.sql", false, 1}}},
    {.dir = "diesel",
     .layout = "diesel",
     .downs = true,
     .line = "diesel: 3 up.sql, 3 down.sql",
     .want = {{"00000000000000_diesel_initial_setup/up.sql", true, 1},
              {"2024-01-01-000000_create_users/up.sql", true, 2},
              {"2024-02-01-000000_index_users/up.sql", false, 1},
              {"2024-02-01-000000_index_users/down.sql", false, 1},
              {"2024-01-01-000000_create_users/down.sql", true, 1},
              {"00000000000000_diesel_initial_setup/down.sql", true, 1}}},
    {.dir = "sqitch",
     .layout = "sqitch",
     .downs = true,
     .want = {{"deploy/appschema.sql", false, 3},
              {"deploy/users@v1.0.0.sql", false, 3},
              {"deploy/flips.sql", false, 3},
              {"deploy/users.sql", false, 3},
              {"revert/users.sql", false, 3},
              {"revert/flips.sql", false, 3},
              {"revert/users@v1.0.0.sql", false, 3},
              {"revert/appschema.sql", false, 3}}},
    {.dir = "flyway",
     .layout = "flyway",
     .note = "callbacks",
     .downs = true,
     .want = {{"V1__init.sql", true, 1},
              {"V1_1__ab.sql", true, 2},
              {"V1_2__c.sql", true, 1},
              {"V1_10__d.sql", true, 1},
              {"V2__concurrent_index.sql", false, 1},
              {"V3__no_tx.sql", false, 2},
              {"V4__header_no_tx.sql", false, 2},
              {"R__a_functions.sql", true, 1},
              {"R__views.sql", true, 1},
              {"U2__undo.sql", true, 1}}},
    {.dir = "prisma",
     .layout = "prisma",
     .note = "no down migrations",
     .downs = true,
     .want = {{"20240101120000_init/migration.sql", true, 2},
              {"20240215093000_index/migration.sql", false, 1}}},
};

static void test_fixtures(void)
{
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const Case *c = &cases[i];
        char *dir = xasprintf(DATA "%s", c->dir);
        char *paths[] = {dir};
        CorpusOpts o = {.layout = c->forced, .downs = c->downs};
        Corpus co;
        Err err = {0};
        const char *label = c->forced ? c->forced : c->dir;
        if (corpus_load(&co, paths, 1, &o, &err) != 0) {
            CHECK(false, "%s (%s) loads: %s", c->dir, label, err.msg);
            free(dir);
            continue;
        }
        CHECK(co.nerrors == 0, "%s: no file errors (%zu)", c->dir, co.nerrors);
        size_t nwant = 0;
        while (nwant < ARRAY_LEN(c->want) && c->want[nwant].file)
            nwant++;
        bool each = c->forced && strcmp(c->forced, "each") == 0;
        CHECK(co.nchains == (each ? nwant : 1), "%s (%s): %zu chains", c->dir, label, co.nchains);
        /* the migrations in order, over the chains */
        size_t k = 0;
        /* one layout for the directory, over all its chains */
        CHECK(co.nlayouts == 1 && co.layouts[0].first_chain == 0 &&
                  co.layouts[0].nchains == co.nchains,
              "%s (%s): %zu layouts", c->dir, label, co.nlayouts);
        const LayoutSummary *sum = co.nlayouts ? &co.layouts[0].sum : NULL;
        const char *note = sum ? sum->note : NULL;
        if (c->note)
            CHECK(note && strstr(note, c->note), "%s: note \"%s\" has \"%s\"", c->dir,
                  note ? note : "(null)", c->note);
        else
            CHECK(note == NULL, "%s (%s): no note: %s", c->dir, label, note);
        if (sum) {
            Buf line;
            buf_init(&line);
            layout_summary_line(sum, &line);
            printf("# %s (%s): %s\n", c->dir, label, line.data);
            if (c->line) CHECK_STR(line.data, c->line, "%s (%s): layout line", c->dir, label);
            buf_free(&line);
        }
        for (size_t ci = 0; ci < co.nchains; ci++) {
            const Chain *ch = &co.chains[ci];
            CHECK_STR(ch->layout, c->layout, "%s (%s): layout", c->dir, label);
            for (size_t m = 0; m < ch->nmigs; m++, k++) {
                const Migration *mg = &ch->migs[m];
                if (k >= nwant) {
                    CHECK(false, "%s: unexpected migration %s", c->dir, mg->path);
                    continue;
                }
                char *want_path = xasprintf("%s/%s", dir, c->want[k].file);
                CHECK_STR(mg->path, want_path, "%s (%s): migration %zu", c->dir, label, k + 1);
                CHECK(mg->error == NULL, "%s: %s", mg->path, mg->error);
                CHECK(mg->wrap_tx == c->want[k].wrap, "%s (%s): wrap_tx %d, want %d", mg->path,
                      label, mg->wrap_tx, c->want[k].wrap);
                CHECK(mg->nstmts == c->want[k].nstmts, "%s: %zu statements, want %zu", mg->path,
                      mg->nstmts, c->want[k].nstmts);
                CHECK_STR(mg->extracted_from, c->extracted, "%s: extracted_from", mg->path);
                for (size_t s = 0; s < mg->nstmts; s++)
                    CHECK(mg->stmts[s].index == (int)s + 1, "%s: statement %zu numbered %d",
                          mg->path, s + 1, mg->stmts[s].index);
                free(want_path);
            }
        }
        CHECK(k == nwant, "%s (%s): %zu migrations, want %zu", c->dir, label, k, nwant);
        corpus_free(&co);
        free(dir);
    }
}

/* Statement text and lines where the source of a statement matters. */
static void test_statements(void)
{
    typedef struct {
        const char *path;
        size_t stmt; /* 0-based */
        int line;
        const char *sql;
    } S;
    static const S cases2[] = {
        {DATA "drizzle/0000_init.sql", 1, 6,
         "CREATE TABLE IF NOT EXISTS \"comments\" (\n\t\"id\" serial PRIMARY KEY NOT NULL,\n"
         "\t\"post_id\" integer\n)"},
        {DATA "drizzle/0000_init.sql", 2, 11, NULL},
        {DATA "drizzle/0001_tags.sql", 1, 2, NULL},
        {DATA "knex/20240101120000_create_users.js", 0, 4,
         "CREATE TABLE users (id serial PRIMARY KEY, email text)"},
        /* a concatenation's statements carry the line of its first literal */
        {DATA "knex/20240101120000_create_users.js", 1, 6,
         "ALTER TABLE users ADD COLUMN name text"},
        {DATA "knex/20240101120000_create_users.js", 2, 6,
         "ALTER TABLE users ADD COLUMN \"it's\" int"},
        {DATA "knex/20240101120000_create_users.js", 3, 10,
         "CREATE INDEX users_email\n      ON users (email)"},
        {DATA "typeorm/1700000000000-CreatePhoto.ts", 1, 8,
         "ALTER TABLE \"photo\" ADD \"views\" integer NOT NULL DEFAULT 0"},
        {DATA "sequelize/20240101000000-create-task.js", 1, 6,
         "CREATE INDEX tasks_title ON tasks (title)"},
        {DATA "sequelize/20240101000000-create-task.js", 2, 8,
         "ALTER TABLE tasks ADD COLUMN done boolean DEFAULT false"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases2); i++) {
        const S *c = &cases2[i];
        const char *slash = strrchr(c->path, '/');
        char *dir = xstrndup(c->path, (size_t)(slash - c->path));
        char *paths[] = {dir};
        Corpus co;
        Err err = {0};
        if (corpus_load(&co, paths, 1, NULL, &err) != 0) {
            CHECK(false, "%s: %s", dir, err.msg);
            free(dir);
            continue;
        }
        const Migration *m = NULL;
        for (size_t k = 0; k < co.chains[0].nmigs; k++)
            if (strcmp(co.chains[0].migs[k].path, c->path) == 0) m = &co.chains[0].migs[k];
        CHECK(m && c->stmt < m->nstmts, "%s: statement %zu exists", c->path, c->stmt + 1);
        if (m && c->stmt < m->nstmts) {
            CHECK(m->stmts[c->stmt].line == c->line, "%s #%zu: line %d, want %d", c->path,
                  c->stmt + 1, m->stmts[c->stmt].line, c->line);
            if (c->sql) CHECK_STR(m->stmts[c->stmt].sql, c->sql, "%s #%zu", c->path, c->stmt + 1);
        }
        corpus_free(&co);
        free(dir);
    }
}

/* The extractor alone: a table of JS snippets. */
static void test_extract(void)
{
    typedef struct {
        const char *js;
        size_t n, skipped;
        const char *first;
    } X;
    static const X xs[] = {
        {"knex.raw('SELECT 1')", 1, 0, "SELECT 1"},
        {"knex.raw(\"a\\nb\\tc\\u00e9\\x41\")", 1, 0,
         "a\nb\tc\xc3\xa9"
         "A"},
        {"knex.raw(`x ${y} z`)", 0, 1, NULL},
        {"knex.raw(sql)", 0, 1, NULL},
        {"knex.raw('a' + b)", 0, 1, NULL},
        {"knex.raw('a' + 'b' + `c`, [1])", 1, 0, "abc"},
        {"// knex.raw('commented')\nknex.raw('real')", 1, 0, "real"},
        {"/* knex.raw('x') */ q.query('y')", 1, 0, "y"},
        {"const r = /'/; knex.raw('after regex')", 1, 0, "after regex"},
        {"x = a / b; knex.raw('after division')", 1, 0, "after division"},
        {"up(k) { k.raw('u') } down(k) { k.raw('d') }", 1, 0, "u"},
        {"exports.down = k => k.raw('d'); exports.up = k => k.raw('u')", 1, 0, "u"},
        {"raw('no receiver')", 0, 0, NULL},
        {"db.query(`line1\nline2`)", 1, 0, "line1\nline2"},
        {"s = `t ${ {a: '}'}.a } u`; knex.raw('ok')", 1, 0, "ok"},
    };
    for (size_t i = 0; i < ARRAY_LEN(xs); i++) {
        JsPiece *p;
        size_t n, skipped;
        jsextract_sql(xs[i].js, strlen(xs[i].js), &p, &n, &skipped);
        CHECK(n == xs[i].n, "%s: %zu pieces, want %zu", xs[i].js, n, xs[i].n);
        CHECK(skipped == xs[i].skipped, "%s: %zu skipped, want %zu", xs[i].js, skipped,
              xs[i].skipped);
        if (n && xs[i].first) CHECK_STR(p[0].sql, xs[i].first, "%s", xs[i].js);
        jsextract_free(p, n);
    }
}

static void test_names_and_errors(void)
{
    for (int k = 0; k < LAYOUT_COUNT; k++)
        CHECK(layout_parse(layout_name((LayoutKind)k)) == k, "%s parses",
              layout_name((LayoutKind)k));
    CHECK(layout_parse("chain") == LAYOUT_PLAIN, "chain is plain");
    CHECK(layout_parse("liquibase") == -1, "unknown layout");
    Buf all;
    buf_init(&all);
    for (int k = 0; k < LAYOUT_COUNT; k++)
        buf_printf(&all, "%s%s", k ? ", " : "", layout_name((LayoutKind)k));
    CHECK_STR(layout_names(), all.data, "every layout of the table named, in its order");
    buf_free(&all);
    /* the surest words win: TypeORM's over Sequelize's over knex's */
    CHECK(layout_sniff_js("knex; queryRunner.query('x')") == LAYOUT_TYPEORM, "typeorm first");
    CHECK(layout_sniff_js("Knex; queryInterface.sequelize") == LAYOUT_SEQUELIZE, "sequelize next");
    CHECK(layout_sniff_js("import { Knex } from 'knex'") == LAYOUT_KNEX, "knex");
    CHECK(layout_sniff_js("module.exports = {}") == -1, "none");

    Corpus co;
    Err err = {0};
    char *paths[] = {DATA "plain"};
    CorpusOpts o = {.layout = "liquibase"};
    CHECK(corpus_load(&co, paths, 1, &o, &err) == -1 && err.code == 2, "unknown --layout refused");
    CHECK(strstr(err.msg, "unknown layout \"liquibase\"") != NULL, "message: %s", err.msg);
    /* a layout forced on a directory that has none of its files */
    CorpusOpts o2 = {.layout = "sqitch"};
    err_clear(&err);
    CHECK(corpus_load(&co, paths, 1, &o2, &err) == -1 && strstr(err.msg, "sqitch.plan"),
          "sqitch without a plan: %s", err.msg);
    CorpusOpts o3 = {.layout = "prisma"};
    err_clear(&err);
    CHECK(corpus_load(&co, paths, 1, &o3, &err) == -1 && strstr(err.msg, "migration.sql"),
          "prisma without folders: %s", err.msg);

    /* a single JS file on the command line: sniffed */
    char *files[] = {DATA "typeorm/1700000000000-CreatePhoto.ts"};
    err_clear(&err);
    CHECK(corpus_load(&co, files, 1, NULL, &err) == 0, "a .ts file loads: %s", err.msg);
    if (co.nchains == 1) {
        CHECK_STR(co.chains[0].layout, "typeorm", "sniffed layout");
        CHECK(co.chains[0].nstmts == 2 && co.chains[0].migs[0].wrap_tx, "2 statements, wrapped");
    }
    corpus_free(&co);

    /* the preamble */
    Corpus pc = {0};
    err_clear(&err);
    CHECK(corpus_set_preamble(&pc, DATA "flyway/V1_1__ab.sql", &err) == 0, "preamble loads: %s",
          err.msg);
    CHECK(pc.npre_stmts == 2 && pc.preamble && strstr(pc.preamble, "ADD COLUMN b"), "2 statements");
    err_clear(&err);
    CHECK(corpus_set_preamble(&pc, DATA "nope.sql", &err) == -1 && err.code == 2 &&
              strstr(err.msg, "No such file"),
          "missing preamble: %s", err.msg);
    corpus_free(&pc);
}

/* Files that fit no pattern of the detected layout: left out, named (the
 * first LAYOUT_LEFT_NAMES), counted, and the layout still chosen. */
static void test_left_out(void)
{
    char tmp[] = "/tmp/lm_test_layout_XXXXXX";
    if (!mkdtemp(tmp)) {
        CHECK(false, "mkdtemp");
        return;
    }
    static const char *const files[] = {"001_a.up.sql",   "001_a.down.sql", "002_b.up.sql",
                                        "002_b.down.sql", "003_c.up.sql",   "003_c.down.sql",
                                        "004_d.up.sql",   "004_d.down.sql", "PREAMBLE.sql"};
    Err err = {0};
    for (size_t i = 0; i < ARRAY_LEN(files); i++) {
        char *p = xasprintf("%s/%s", tmp, files[i]);
        file_write_out(p, "SELECT 1;\n", 10, &err);
        free(p);
    }
    char *paths[] = {tmp};
    Corpus co;
    CHECK(corpus_load(&co, paths, 1, NULL, &err) == 0, "stray: loads: %s", err.msg);
    Buf line;
    buf_init(&line);
    if (co.nlayouts == 1) layout_summary_line(&co.layouts[0].sum, &line);
    CHECK_STR(line.data,
              "golang-migrate: 4 up, 4 down (not run; --down runs them); left out: "
              "PREAMBLE.sql",
              "one stray file named");
    CHECK(co.nchains == 1 && co.chains[0].nmigs == 4, "the four ups taken");
    corpus_free(&co);
    /* three more strays: still golang-migrate (8 of 12); eleven of them: plain */
    for (int i = 0; i < 3; i++) {
        char *p = xasprintf("%s/setup_%d.sql", tmp, i + 1);
        file_write_out(p, "SELECT 1;\n", 10, &err);
        free(p);
    }
    CHECK(corpus_load(&co, paths, 1, &(CorpusOpts){.downs = true}, &err) == 0, "loads: %s",
          err.msg);
    buf_reset(&line);
    if (co.nlayouts == 1) layout_summary_line(&co.layouts[0].sum, &line);
    CHECK_STR(line.data,
              "golang-migrate: 4 up, 4 down; left out: PREAMBLE.sql, setup_1.sql, "
              "setup_2.sql, setup_3.sql",
              "four named");
    corpus_free(&co);
    /* more than LAYOUT_LEFT_NAMES left out: the rest counted */
    LayoutSummary sum = {.layout = "golang-migrate",
                         .nup = 40,
                         .ndown = 40,
                         .downs_run = true,
                         .nleft = 13,
                         .left = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj"};
    buf_reset(&line);
    layout_summary_line(&sum, &line);
    CHECK_STR(line.data,
              "golang-migrate: 40 up, 40 down; left out: a, b, c, d, e, f, g, h, i, j "
              "and 3 more",
              "ten named, three counted");
    buf_free(&line);
    remove_tree(tmp);
}

/* Drizzle's meta/_journal.json is read as JSON: a malformed one is an error
 * (2) naming the file and what is wrong, never a guess at its tags. */
static void test_drizzle_journal(void)
{
    char tmp[] = "/tmp/lm_test_layout_XXXXXX";
    if (!mkdtemp(tmp)) {
        CHECK(false, "mkdtemp");
        return;
    }
    Err err = {0};
    char *meta = xasprintf("%s/meta", tmp), *journal = xasprintf("%s/_journal.json", meta);
    CHECK(mkdir(meta, 0700) == 0, "mkdir %s", meta);
    for (int i = 0; i < 2; i++) {
        char *p = xasprintf("%s/000%d_t.sql", tmp, i);
        file_write_out(p, "CREATE TABLE t (id int);\n", 25, &err);
        free(p);
    }
    static const struct {
        const char *json; /* the journal */
        const char *want; /* a substring of the error, or NULL: loads */
    } js[] = {
        {"{\"entries\": [{\"idx\": 1, \"tag\": \"0001_t\"}, {\"tag\": \"0000_t\"}]}", NULL},
        {"{\"entries\": [{\"tag\": \"0000_t\"}, {\"tag\": \"0001_t\"", "invalid JSON at offset"},
        {"{\"version\": \"7\", \"tag\": \"0000_t\"}", "no \"entries\" array"},
        {"[{\"tag\": \"0000_t\"}]", "no \"entries\" array"},
        {"{\"entries\": [{\"tag\": \"0000_t\"}, {\"tag\": 1}]}",
         "entry 2 of \"entries\" has no \"tag\""},
        {"{\"entries\": []}", "no Drizzle migrations"},
    };
    for (size_t i = 0; i < ARRAY_LEN(js); i++) {
        file_write_out(journal, js[i].json, strlen(js[i].json), &err);
        LayoutPlan p;
        err_clear(&err);
        int rc = layout_plan(tmp, -1, false, &p, &err);
        if (!js[i].want) {
            CHECK(rc == 0 && p.kind == LAYOUT_DRIZZLE && p.nfiles == 2, "%s: loads: %s", js[i].json,
                  err.msg);
            if (rc == 0 && p.nfiles == 2)
                CHECK(strstr(p.files[0].path, "0001_t.sql") && p.files[1].breakpoints,
                      "the journal's order, with breakpoints");
            if (rc == 0) layout_plan_free(&p);
            continue;
        }
        CHECK(rc == -1 && err.code == EXIT_USAGE, "%s: refused (2), got %d", js[i].json, rc);
        CHECK(strstr(err.msg, js[i].want) != NULL, "%s: says %s: %s", js[i].json, js[i].want,
              err.msg);
        if (strcmp(js[i].want, "no Drizzle migrations") != 0)
            CHECK(strstr(err.msg, journal) != NULL, "names the journal: %s", err.msg);
    }
    free(journal);
    free(meta);
    remove_tree(tmp);
}

int main(void)
{
    test_fixtures();
    test_left_out();
    test_statements();
    test_extract();
    test_names_and_errors();
    test_drizzle_journal();
    return t_done("test_layout");
}
