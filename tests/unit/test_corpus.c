/*
 * test_corpus: splitting (table of texts and the statements they give),
 * loading directories and files (order, each_file, every bad input with its
 * exact message), and the shared real-world corpora when they are present.
 *
 * Files are made under a fresh directory in /tmp and removed at the end.
 * LM_SHARED_DIR points at the shared directory (with corpora/ inside); else
 * ../shared next to the repository root is tried. LM_VERBOSE=1 prints the
 * class histogram of the shared corpora.
 */
#include "corpus/corpus.h"
#include "corpus/shard.h"
#include "t.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- splitting -------------------------------------------------------- */

typedef struct Want {
    int line;
    const char *sql;
    const char *cls;
} Want;

typedef struct SplitCase {
    const char *name;
    const char *text;
    const char *error; /* expected error message, or NULL */
    size_t n;
    Want want[4];
} SplitCase;

static const SplitCase split_cases[] = {
    {"two lines",
     "SELECT 1;\nSELECT 2;\n",
     NULL,
     2,
     {{1, "SELECT 1", "SELECT"}, {2, "SELECT 2", "SELECT"}}},
    {"no final semicolon",
     "SELECT 1;\nSELECT 2",
     NULL,
     2,
     {{1, "SELECT 1", "SELECT"}, {2, "SELECT 2", "SELECT"}}},
    {"leading comments",
     "-- header\n/* block\n   comment */\n\n   CREATE TABLE t (id int); -- trailing\n",
     NULL,
     1,
     {{5, "CREATE TABLE t (id int)", "CREATE TABLE"}}},
    {"licence block then statement",
     "/* Copyright\n *\n * Licensed\n */\n\nALTER TABLE pushers ADD COLUMN enabled BOOLEAN;",
     NULL,
     1,
     {{6, "ALTER TABLE pushers ADD COLUMN enabled BOOLEAN", "ALTER TABLE ADD COLUMN"}}},
    {"nested block comment", "/* a /* b */ c */ SELECT 1", NULL, 1, {{1, "SELECT 1", "SELECT"}}},
    {"trailing comment without semicolon",
     "SELECT 1 -- note\n",
     NULL,
     1,
     {{1, "SELECT 1", "SELECT"}}},
    {"comment before semicolon",
     "SELECT 1 /* x */ ;\nSELECT 2",
     NULL,
     2,
     {{1, "SELECT 1", "SELECT"}, {2, "SELECT 2", "SELECT"}}},
    {"interior kept exactly",
     "SELECT  1 ,\n  -- two\n  2 ;",
     NULL,
     1,
     {{1, "SELECT  1 ,\n  -- two\n  2", "SELECT"}}},
    {"strings with semicolons",
     "INSERT INTO t VALUES ('a;b');\nSELECT ';', E'\\';' ;",
     NULL,
     2,
     {{1, "INSERT INTO t VALUES ('a;b')", "INSERT"}, {2, "SELECT ';', E'\\';'", "SELECT"}}},
    {"quoted identifier with semicolon",
     "CREATE TABLE \"a;b\" (x int);",
     NULL,
     1,
     {{1, "CREATE TABLE \"a;b\" (x int)", "CREATE TABLE"}}},
    {"dollar quotes",
     "DO $$ BEGIN PERFORM 1; END $$;\nSELECT 1;",
     NULL,
     2,
     {{1, "DO $$ BEGIN PERFORM 1; END $$", "DO"}, {2, "SELECT 1", "SELECT"}}},
    {"function body",
     "\nCREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $fn$\nBEGIN\n  RETURN 1; -- "
     "x\nEND\n$fn$;\n\nSELECT f();",
     NULL,
     2,
     {{2,
       "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $fn$\nBEGIN\n  RETURN 1; -- "
       "x\nEND\n$fn$",
       "CREATE FUNCTION"},
      {8, "SELECT f()", "SELECT"}}},
    {"dollar quote holding another tag",
     "SELECT $a$ $b$ ; $b$ $a$; SELECT 2",
     NULL,
     2,
     {{1, "SELECT $a$ $b$ ; $b$ $a$", "SELECT"}, {1, "SELECT 2", "SELECT"}}},
    {"psql meta-commands",
     "\\set ON_ERROR_STOP 1\nSELECT 1;\n\\i other.sql\nSELECT 2;\n\\echo done",
     NULL,
     2,
     {{2, "SELECT 1", "SELECT"}, {4, "SELECT 2", "SELECT"}}},
    {"empty statements", ";;; SELECT 1;;\n;", NULL, 1, {{1, "SELECT 1", "SELECT"}}},
    {"only comments", "-- nothing\n/* here */\n", NULL, 0, {{0}}},
    {"only whitespace", "  \n\t\n", NULL, 0, {{0}}},
    {"multi-byte text",
     "SELECT 'é';\n\nSELECT 'ü' AS x;",
     NULL,
     2,
     {{1, "SELECT 'é'", "SELECT"}, {3, "SELECT 'ü' AS x", "SELECT"}}},
    {"byte order mark", "\xEF\xBB\xBFSELECT 1;", NULL, 1, {{1, "SELECT 1", "SELECT"}}},
    {"CRLF line ends",
     "SELECT 1;\r\nSELECT 2;\r\n",
     NULL,
     2,
     {{1, "SELECT 1", "SELECT"}, {2, "SELECT 2", "SELECT"}}},
    {"rule with several actions",
     "CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2);\nSELECT 3",
     NULL,
     2,
     {{1, "CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2)", "CREATE RULE"},
      {2, "SELECT 3", "SELECT"}}},
    {"BEGIN ATOMIC body",
     "CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN x > 0 "
     "THEN 1 ELSE 0 END;\n"
     "  SELECT 2;\nEND;\nSELECT 3;",
     NULL,
     2,
     {{1,
       "CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN x > 0 "
       "THEN 1 ELSE 0 "
       "END;\n  SELECT 2;\nEND",
       "CREATE FUNCTION"},
      {6, "SELECT 3", "SELECT"}}},
    {"BEGIN as a transaction is not a body",
     "BEGIN;\nCREATE TABLE t (x int);\nCOMMIT;",
     NULL,
     3,
     {{1, "BEGIN", "BEGIN"},
      {2, "CREATE TABLE t (x int)", "CREATE TABLE"},
      {3, "COMMIT", "COMMIT"}}},
    {"statements without a keyword are kept",
     "SELEC 1; foo;\nSELECT 2",
     NULL,
     3,
     {{1, "SELEC 1", "unparsed"}, {1, "foo", "unparsed"}, {2, "SELECT 2", "SELECT"}}},
    {"unparsable statement kept",
     "SELEC 1;\nSELECT 2",
     NULL,
     2,
     {{1, "SELEC 1", "unparsed"}, {2, "SELECT 2", "SELECT"}}},
    {"syntax newer than the parser: split by the scanner, classified by its keywords",
     "CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS (a * 2) VIRTUAL;"
     " -- 18\nALTER TABLE t ADD CONSTRAINT k CHECK (a > 0 AND (a < 9 OR a = 1)) NOT ENFORCED;\n"
     "SELECT 2",
     NULL,
     4,
     {{1, "CREATE TABLE t (a int)", "CREATE TABLE"},
      {2, "ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS (a * 2) VIRTUAL",
       "ALTER TABLE ADD COLUMN"},
      {3, "ALTER TABLE t ADD CONSTRAINT k CHECK (a > 0 AND (a < 9 OR a = 1)) NOT ENFORCED",
       "ALTER TABLE ADD CONSTRAINT CHECK"},
      {4, "SELECT 2", "SELECT"}}},
    {"unterminated dollar quote",
     "SELECT 1;\n\nDO $$ BEGIN\n  PERFORM 1;\n",
     "unterminated dollar-quoted string at line 3",
     0,
     {{0}}},
    {"unterminated string",
     "SELECT 1;\nSELECT 'abc;\nSELECT 2;",
     "unterminated quoted string at line 2",
     0,
     {{0}}},
    {"unterminated identifier",
     "SELECT \"abc",
     "unterminated quoted identifier at line 1",
     0,
     {{0}}},
    {"unterminated comment",
     "SELECT 1;\n/* never closed\n",
     "unterminated /* comment at line 2",
     0,
     {{0}}},
};

static void test_split(void)
{
    for (size_t i = 0; i < ARRAY_LEN(split_cases); i++) {
        const SplitCase *c = &split_cases[i];
        Statement *st = NULL;
        size_t n = 0;
        Err err = {0};
        int rc = corpus_split(c->text, strlen(c->text), &st, &n, &err);
        if (c->error) {
            CHECK(rc == -1, "%s: fails", c->name);
            CHECK_STR(err.msg, c->error, "%s: message", c->name);
            CHECK(st == NULL && n == 0, "%s: no statements on error", c->name);
            continue;
        }
        CHECK(rc == 0, "%s: splits (%s)", c->name, err.msg);
        CHECK(n == c->n, "%s: %zu statements, want %zu", c->name, n, c->n);
        for (size_t k = 0; k < n && k < c->n; k++) {
            CHECK(st[k].index == (int)k + 1, "%s: index %d", c->name, st[k].index);
            CHECK(st[k].line == c->want[k].line, "%s: statement %zu line %d, want %d", c->name,
                  k + 1, st[k].line, c->want[k].line);
            CHECK_STR(st[k].sql, c->want[k].sql, "%s: statement %zu text", c->name, k + 1);
            CHECK_STR(st[k].info.cls, c->want[k].cls, "%s: statement %zu class", c->name, k + 1);
            bool unparsed = strcmp(c->want[k].cls, "unparsed") == 0;
            CHECK(unparsed == (st[k].info.parsed == STMT_PARSED_NONE),
                  "%s: statement %zu parsed %s", c->name, k + 1,
                  classify_parsed_name(st[k].info.parsed));
            /* a fingerprint exactly when the parse tree classified it */
            CHECK((st[k].info.parsed == STMT_PARSED_TREE) == (st[k].fingerprint != 0),
                  "%s: statement %zu fingerprint", c->name, k + 1);
        }
        statements_free(st, n);
    }
}

/* ---- loading ---------------------------------------------------------- */

static char tmp[256];

static void put(const char *rel, const void *data, size_t len)
{
    char *p = xasprintf("%s/%s", tmp, rel);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
        printf("not ok - could not write %s: %s\n", p, strerror(errno));
        t_fail++;
    }
    if (fd >= 0) close(fd);
    free(p);
}

static void puts_file(const char *rel, const char *text)
{
    put(rel, text, strlen(text));
}

static char *tp(const char *rel)
{
    return xasprintf("%s/%s", tmp, rel);
}

static void mkd(const char *rel)
{
    char *p = tp(rel);
    mkdir(p, 0755);
    free(p);
}

static void lnk(const char *target, const char *rel)
{
    char *p = tp(rel);
    if (symlink(target, p) != 0) {
        printf("not ok - symlink %s: %s\n", p, strerror(errno));
        t_fail++;
    }
    free(p);
}

static void test_order_and_chains(void)
{
    mkd("chain");
    puts_file("chain/1_a.sql", "CREATE TABLE a (id int);\n");
    puts_file("chain/10_c.sql",
              "ALTER TABLE a ADD COLUMN c int;\nALTER TABLE a ADD COLUMN d int;\n");
    puts_file("chain/2_b.sql", "CREATE INDEX a_id ON a (id);\n");
    puts_file("chain/V2.1__x.sql", "SELECT 21;\n");
    puts_file("chain/V2.10__x.sql", "SELECT 210;\n");
    puts_file("chain/V2.9__x.sql", "SELECT 29;\n");
    puts_file("chain/notes.txt", "not sql\n");
    puts_file("chain/.hidden.sql", "SELECT 0;\n");
    mkd("chain/sub");
    puts_file("chain/sub/3_sub.sql", "SELECT 3;\n");

    char *dir = tp("chain");
    char *paths[] = {dir};
    Corpus c;
    Err err = {0};
    CHECK(corpus_load(&c, paths, 1, NULL, &err) == 0, "load directory (%s)", err.msg);
    CHECK(c.nchains == 1, "one chain, got %zu", c.nchains);
    if (c.nchains == 1) {
        const Chain *ch = &c.chains[0];
        CHECK_STR(ch->name, dir, "chain named for the directory");
        static const char *const order[] = {"1_a.sql",     "2_b.sql",     "10_c.sql",
                                            "V2.1__x.sql", "V2.9__x.sql", "V2.10__x.sql"};
        CHECK(ch->nmigs == ARRAY_LEN(order),
              "%zu migrations (no .txt, hidden or subdirectory files)", ch->nmigs);
        for (size_t i = 0; i < ch->nmigs && i < ARRAY_LEN(order); i++) {
            char *want = xasprintf("%s/%s", dir, order[i]);
            CHECK_STR(ch->migs[i].path, want, "natural order position %zu", i);
            free(want);
        }
        CHECK(ch->nstmts == 7, "chain statements %zu", ch->nstmts);
        CHECK(c.nerrors == 0, "no errors");
    }
    corpus_free(&c);

    /* a trailing slash does not double */
    char *dirslash = xasprintf("%s/", dir);
    char *paths2[] = {dirslash};
    CHECK(corpus_load(&c, paths2, 1, NULL, &err) == 0, "load dir/");
    if (c.nchains == 1 && c.chains[0].nmigs > 0) {
        char *want = xasprintf("%s/1_a.sql", dir);
        CHECK_STR(c.chains[0].migs[0].path, want, "dir/ joined once");
        free(want);
    }
    corpus_free(&c);
    free(dirslash);

    /* each_file: every file its own chain, in the same order */
    CorpusOpts eo = {.each_file = true};
    CHECK(corpus_load(&c, paths, 1, &eo, &err) == 0, "load each_file");
    CHECK(c.nchains == 6, "each_file gives 6 chains, got %zu", c.nchains);
    if (c.nchains == 6) {
        char *want = xasprintf("%s/10_c.sql", dir);
        CHECK_STR(c.chains[2].name, want, "each_file chain named for its file");
        CHECK(c.chains[2].nmigs == 1 && c.chains[2].nstmts == 2, "each_file chain of one");
        free(want);
    }
    corpus_free(&c);

    /* several paths: several chains, in argument order; a file is a chain of one */
    char *f1 = tp("chain/2_b.sql"), *f2 = tp("chain/1_a.sql");
    char *paths3[] = {f1, dir, f2};
    CHECK(corpus_load(&c, paths3, 3, NULL, &err) == 0, "load file, dir, file");
    CHECK(c.nchains == 3, "three chains, got %zu", c.nchains);
    if (c.nchains == 3) {
        CHECK_STR(c.chains[0].name, f1, "first chain");
        CHECK(c.chains[0].nmigs == 1 && c.chains[0].nstmts == 1, "file is a chain of one");
        CHECK_STR(c.chains[1].name, dir, "second chain");
        CHECK_STR(c.chains[2].name, f2, "third chain");
    }
    corpus_free(&c);

    /* a file named without .sql is taken when given directly */
    char *txt = tp("chain/notes.txt");
    char *paths4[] = {txt};
    CHECK(corpus_load(&c, paths4, 1, NULL, &err) == 0, "load a .txt file given directly");
    CHECK(c.nerrors == 0 && c.nchains == 1, "a .txt file given directly loads");
    if (c.nchains == 1 && c.chains[0].nmigs == 1 && c.chains[0].migs[0].nstmts == 1)
        CHECK_STR(c.chains[0].migs[0].stmts[0].info.cls, "unparsed",
                  "\"not sql\" is a statement, unparsed");
    corpus_free(&c);
    free(txt);
    free(f1);
    free(f2);
    free(dir);
}

typedef struct BadCase {
    const char *file;
    const char *error; /* after the path: "%s" replaced by the path */
} BadCase;

static void test_bad_inputs(void)
{
    mkd("bad");
    puts_file("bad/a_utf8.sql", "SELECT 1;\nSELECT 2;\nSELECT '\xff';\n");
    put("bad/b_nul.sql", "SELECT 1;\nSELECT\0 2;\n", 20);
    puts_file("bad/c_empty.sql", "");
    puts_file("bad/d_comments.sql", "-- nothing to run\n/* at all */\n\n");
    mkd("bad/e_dir.sql");
    lnk("f_loop.sql", "bad/f_loop.sql");
    puts_file("bad/g_dollar.sql",
              "SELECT 1;\nCREATE FUNCTION f() RETURNS int AS $body$\nSELECT 1;\n");
    lnk("j_good.sql", "bad/h_link.sql");
    lnk("nowhere.sql", "bad/i_dangling.sql");
    puts_file("bad/j_good.sql", "SELECT 1;\nSELECT 2;\n");
    puts_file("bad/k_overlong.sql", "SELECT '\xc0\xaf';\n");
    puts_file("bad/l_string.sql", "\n\nINSERT INTO t VALUES ('oops);\n");

    static const BadCase bad[] = {
        {"a_utf8.sql", "\"%s\": not valid UTF-8 at line 3"},
        {"b_nul.sql", "\"%s\": contains a NUL byte at line 2"},
        {"c_empty.sql", "\"%s\": empty file"},
        {"d_comments.sql", "\"%s\": no SQL statements (only comments or whitespace)"},
        {"e_dir.sql", "could not read \"%s\": Is a directory"},
        {"f_loop.sql", "could not open \"%s\": Too many levels of symbolic links"},
        {"g_dollar.sql", "\"%s\": unterminated dollar-quoted string at line 2"},
        {"h_link.sql", NULL},
        {"i_dangling.sql", "could not open \"%s\": No such file or directory"},
        {"j_good.sql", NULL},
        {"k_overlong.sql", "\"%s\": not valid UTF-8 at line 1"},
        {"l_string.sql", "\"%s\": unterminated quoted string at line 3"},
    };

    char *dir = tp("bad");
    char *paths[] = {dir};
    Corpus c;
    Err err = {0};
    CHECK(corpus_load(&c, paths, 1, NULL, &err) == 0, "bad files still load (%s)", err.msg);
    CHECK(c.nchains == 1, "one chain");
    size_t want_errors = 0;
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        want_errors += bad[i].error != NULL;
    CHECK(c.nerrors == want_errors, "nerrors %zu, want %zu", c.nerrors, want_errors);
    if (c.nchains == 1) {
        const Chain *ch = &c.chains[0];
        CHECK(ch->nmigs == ARRAY_LEN(bad), "%zu migrations, want %zu", ch->nmigs, ARRAY_LEN(bad));
        CHECK(ch->nstmts == 4, "only the good file and its link give statements: %zu", ch->nstmts);
        for (size_t i = 0; i < ch->nmigs && i < ARRAY_LEN(bad); i++) {
            const Migration *m = &ch->migs[i];
            char *path = xasprintf("%s/%s", dir, bad[i].file);
            CHECK_STR(m->path, path, "migration %zu path", i);
            if (bad[i].error) {
                char *want = xasprintf(bad[i].error, path);
                CHECK_STR(m->error, want, "error of %s", bad[i].file);
                CHECK(m->nstmts == 0 && m->stmts == NULL, "%s has no statements", bad[i].file);
                free(want);
            } else {
                CHECK(m->error == NULL, "%s loads: %s", bad[i].file, m->error);
                CHECK(m->nstmts == 2, "%s has 2 statements", bad[i].file);
            }
            free(path);
        }
    }
    corpus_free(&c);

    /* a file that cannot be read: only meaningful when not root */
    if (geteuid() != 0) {
        mkd("perm");
        puts_file("perm/secret.sql", "SELECT 1;");
        char *p = tp("perm/secret.sql");
        chmod(p, 0);
        char *pp[] = {p};
        CHECK(corpus_load(&c, pp, 1, NULL, &err) == 0, "unreadable file still loads");
        char *want = xasprintf("could not open \"%s\": Permission denied", p);
        if (c.nchains == 1) CHECK_STR(c.chains[0].migs[0].error, want, "unreadable message");
        free(want);
        corpus_free(&c);
        chmod(p, 0644);
        free(p);
    } else {
        printf("# skip: chmod 000 test (running as root reads everything; directory-as-file covers "
               "it)\n");
    }

    /* the whole corpus fails: a missing path, an empty directory */
    char *missing = tp("nope.sql");
    char *good = tp("bad/j_good.sql");
    char *pm[] = {good, missing};
    CHECK(corpus_load(&c, pm, 2, NULL, &err) == -1, "missing path fails the load");
    CHECK(err.code == 2, "missing path code %d", err.code);
    char *want = xasprintf("could not open \"%s\": No such file or directory", missing);
    CHECK_STR(err.msg, want, "missing path message");
    CHECK(c.nchains == 0 && c.chains == NULL, "nothing kept after a failed load");
    free(want);

    mkd("emptydir");
    puts_file("emptydir/readme.md", "x");
    char *ed = tp("emptydir");
    char *pe[] = {ed};
    err_clear(&err);
    CHECK(corpus_load(&c, pe, 1, NULL, &err) == -1, "directory without .sql fails");
    want = xasprintf("no .sql files in \"%s\"", ed);
    CHECK_STR(err.msg, want, "empty directory message");
    CHECK(err.code == 2, "empty directory code");
    free(want);

    /* a symlink loop given directly: that entry is unusable, the rest loads */
    char *loop = tp("bad/f_loop.sql");
    char *pl[] = {loop, good};
    CHECK(corpus_load(&c, pl, 2, NULL, &err) == 0, "loop given directly still loads");
    CHECK(c.nchains == 2 && c.nerrors == 1, "loop chain kept with its error");
    if (c.nchains == 2) {
        want = xasprintf("could not open \"%s\": Too many levels of symbolic links", loop);
        CHECK_STR(c.chains[0].migs[0].error, want, "loop message");
        free(want);
        CHECK(c.chains[1].nstmts == 2, "good file after the loop");
    }
    corpus_free(&c);

    /* a path through a file is "not a directory": same as missing */
    char *through = tp("bad/j_good.sql/x.sql");
    char *pt[] = {through};
    CHECK(corpus_load(&c, pt, 1, NULL, &err) == -1, "path through a file fails");
    want = xasprintf("could not open \"%s\": Not a directory", through);
    CHECK_STR(err.msg, want, "path through a file message");
    free(want);

    CHECK(corpus_load(&c, NULL, 0, NULL, &err) == -1 && err.code == 2, "no paths fails");

    free(through);
    free(loop);
    free(ed);
    free(good);
    free(missing);
    free(dir);
}

/* ---- the shared real-world corpora ------------------------------------ */

static char *find_shared(void)
{
    const char *env = getenv("LM_SHARED_DIR");
    if (env && *env) return xasprintf("%s/corpora", env);
    /* the repository root: the first directory upwards holding corpus/corpus.h */
    char cwd[4096];
    if (!getcwd(cwd, sizeof(cwd))) return NULL;
    for (int up = 0; up < 4; up++) {
        char *probe = xasprintf("%s/corpus/corpus.h", cwd);
        bool here = access(probe, F_OK) == 0;
        free(probe);
        if (here) return xasprintf("%s/../shared/corpora", cwd);
        char *slash = strrchr(cwd, '/');
        if (!slash || slash == cwd) break;
        *slash = '\0';
    }
    return NULL;
}

typedef struct ClassCount {
    char *cls;
    int n;
} ClassCount;

static int count_cmp(const void *a, const void *b)
{
    const ClassCount *x = a, *y = b;
    return x->n != y->n ? y->n - x->n : strcmp(x->cls, y->cls);
}

static void test_shared(void)
{
    char *root = find_shared();
    struct stat st;
    if (!root || stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        printf("# skip: shared corpora not found (%s); set LM_SHARED_DIR\n",
               root ? root : "no repository root");
        free(root);
        return;
    }
    static const char *const names[] = {"synapse", "supabase_auth"};
    bool verbose = getenv("LM_VERBOSE") != NULL;
    for (size_t i = 0; i < ARRAY_LEN(names); i++) {
        char *dir = xasprintf("%s/%s/up", root, names[i]);
        char *paths[] = {dir};
        Corpus c;
        Err err = {0};
        double t0 = now_ms();
        int rc = corpus_load(&c, paths, 1, NULL, &err);
        double load_ms = now_ms() - t0;
        CHECK(rc == 0, "load %s (%s)", dir, err.msg);
        if (rc != 0) {
            free(dir);
            continue;
        }
        CHECK(c.nerrors == 0, "%s: %zu files with errors", names[i], c.nerrors);
        size_t total = 0, unparsed = 0, generic = 0, nmigs = 0;
        ClassCount *counts = NULL;
        size_t ncounts = 0, cap = 0;
        for (size_t k = 0; k < c.nchains; k++) {
            nmigs += c.chains[k].nmigs;
            for (size_t m = 0; m < c.chains[k].nmigs; m++) {
                const Migration *mig = &c.chains[k].migs[m];
                if (mig->error) printf("# %s\n", mig->error);
                for (size_t s = 0; s < mig->nstmts; s++) {
                    const Statement *stmt = &mig->stmts[s];
                    total++;
                    CHECK(stmt->info.cls && stmt->info.cls[0], "%s:%d classified", mig->path,
                          stmt->line);
                    if (!stmt->info.cls) continue;
                    if (strcmp(stmt->info.cls, "unparsed") == 0) {
                        unparsed++;
                        printf("# unparsed: %s:%d\n", mig->path, stmt->line);
                    }
                    if (stmt->info.generic) {
                        generic++;
                        printf("# generic \"%s\": %s:%d\n", stmt->info.cls, mig->path, stmt->line);
                    }
                    size_t q;
                    for (q = 0; q < ncounts; q++)
                        if (strcmp(counts[q].cls, stmt->info.cls) == 0) break;
                    if (q == ncounts)
                        *ARRAY_PUSH(counts, ncounts, cap) =
                            (ClassCount){xstrdup(stmt->info.cls), 0};
                    counts[q].n++;
                }
            }
        }
        /* classification speed alone: classify every statement again */
        double t1 = now_ms();
        for (size_t k = 0; k < c.nchains; k++)
            for (size_t m = 0; m < c.chains[k].nmigs; m++)
                for (size_t s = 0; s < c.chains[k].migs[m].nstmts; s++) {
                    StmtInfo in;
                    classify_statement(c.chains[k].migs[m].stmts[s].sql, &in);
                    classify_free(&in);
                }
        double cls_ms = now_ms() - t1;
        CHECK(total > 0, "%s has statements", names[i]);
        printf("# %s: %zu files, %zu statements, %zu unparsed, %zu generic, %zu classes; "
               "load+split+classify %.1f ms, classify %.1f ms (%.0f statements/s)\n",
               names[i], nmigs, total, unparsed, generic, ncounts, load_ms, cls_ms,
               cls_ms > 0 ? total / (cls_ms / 1000.0) : 0.0);
        qsort(counts, ncounts, sizeof(*counts), count_cmp);
        for (size_t q = 0; q < ncounts; q++) {
            if (verbose) printf("#   %5d  %s\n", counts[q].n, counts[q].cls);
            free(counts[q].cls);
        }
        free(counts);
        corpus_free(&c);
        free(dir);
    }
    free(root);
}

/* ---- lean loading ----------------------------------------------------- */

/* A lean load keeps counts, wrap_tx and digests but no statement; loading a
 * chain brings back exactly what a full load has, dropping frees them, and a
 * file changed in between is refused by name. */
static void test_lean(void)
{
    mkd("lean");
    puts_file("lean/1_a.sql", "CREATE TABLE a (id int);\nALTER TABLE a ADD COLUMN b int;\n");
    puts_file("lean/2_b.sql", "-- comment\nCREATE INDEX CONCURRENTLY a_b ON a (b);\n");
    puts_file("lean/3_c.sql", "SELECT 1;\nSELECT 2;\nSELECT 3;\n");
    char *dir = tp("lean");
    char *paths[] = {dir};
    Corpus full, lean;
    Err err = {0};
    CorpusOpts lo = {.lean = true};
    CHECK(corpus_load(&full, paths, 1, NULL, &err) == 0, "full load: %s", err.msg);
    CHECK(corpus_load(&lean, paths, 1, &lo, &err) == 0, "lean load: %s", err.msg);
    CHECK(lean.nchains == 1 && full.nchains == 1, "one chain each");
    if (lean.nchains != 1 || full.nchains != 1 || lean.chains[0].nmigs != 3) {
        CHECK(0, "lean shape");
        corpus_free(&full);
        corpus_free(&lean);
        free(dir);
        return;
    }
    Chain *lc = &lean.chains[0];
    const Chain *fc = &full.chains[0];
    CHECK(lc->nstmts == 6 && fc->nstmts == 6, "statements counted: %zu", lc->nstmts);
    for (size_t m = 0; m < 3; m++) {
        CHECK(lc->migs[m].stmts == NULL, "lean migration %zu holds no statement", m);
        CHECK(lc->migs[m].nstmts == fc->migs[m].nstmts, "count %zu", m);
        CHECK(lc->migs[m].digest == fc->migs[m].digest, "digest %zu", m);
        CHECK(lc->migs[m].wrap_tx == fc->migs[m].wrap_tx, "wrap_tx %zu", m);
    }
    CHECK(lc->migs[0].digest != lc->migs[2].digest, "different files, different digests");
    char *id_full = shard_corpus_id(&full), *id_lean = shard_corpus_id(&lean);
    CHECK_STR(id_lean, id_full, "the corpus identity does not depend on lean");
    free(id_full);
    free(id_lean);

    CHECK(corpus_chain_load(lc, &err) == 0, "chain load: %s", err.msg);
    for (size_t m = 0; m < 3; m++)
        for (size_t i = 0; i < lc->migs[m].nstmts && lc->migs[m].stmts; i++) {
            CHECK_STR(lc->migs[m].stmts[i].sql, fc->migs[m].stmts[i].sql, "sql %zu.%zu", m, i);
            CHECK(lc->migs[m].stmts[i].line == fc->migs[m].stmts[i].line, "line %zu.%zu", m, i);
            CHECK_STR(lc->migs[m].stmts[i].info.cls, fc->migs[m].stmts[i].info.cls, "class %zu.%zu",
                      m, i);
        }
    CHECK(lc->migs[1].stmts && lc->migs[1].stmts[0].line == 2, "line kept after a reload");
    corpus_chain_drop(lc);
    CHECK(lc->migs[0].stmts == NULL && lc->migs[2].stmts == NULL, "dropped again");
    CHECK(corpus_chain_load(lc, &err) == 0 && corpus_chain_load(lc, &err) == 0,
          "loading twice is a no-op the second time");
    corpus_chain_drop(lc);

    /* a full load is not dropped */
    corpus_chain_drop(&full.chains[0]);
    CHECK(full.chains[0].migs[0].stmts != NULL, "a full load keeps its statements");

    /* only comments changed: the same statements, accepted */
    puts_file("lean/3_c.sql", "-- a new comment\nSELECT 1;\nSELECT 2;\nSELECT 3;\n");
    CHECK(corpus_migration_load(&lc->migs[2], &err) == 0, "comments do not change statements: %s",
          err.msg);
    corpus_migration_drop(&lc->migs[2]);
    /* a statement changed: refused, naming the file; nothing left loaded */
    puts_file("lean/3_c.sql", "SELECT 1;\nSELECT 22;\nSELECT 3;\n");
    Err e2 = {0};
    CHECK(corpus_chain_load(lc, &e2) == -1 && e2.code == 2, "a changed file is refused");
    CHECK(strstr(e2.msg, "3_c.sql") && strstr(e2.msg, "changed since the run started"),
          "message: %s", e2.msg);
    CHECK(lc->migs[0].stmts == NULL && lc->migs[1].stmts == NULL, "a failed chain load drops all");
    /* a file gone */
    char *gone = tp("lean/2_b.sql");
    unlink(gone);
    free(gone);
    Err e3 = {0};
    CHECK(corpus_migration_load(&lc->migs[1], &e3) == -1 && strstr(e3.msg, "2_b.sql"),
          "a file gone is refused: %s", e3.msg);
    corpus_free(&full);
    corpus_free(&lean);
    free(dir);
}

/* ---- windows ------------------------------------------------------------ */

/* A text of several scanner windows (corpus/corpus.c SPLIT_WINDOW): strings,
 * comments and dollar-quoted bodies with ';' inside, one body longer than a
 * window, BEGIN ATOMIC bodies; every statement comes out whole, in order,
 * on its line, wherever the windows are cut. */
static void test_windows(void)
{
    Buf text, big;
    buf_init(&text);
    buf_init(&big);
    for (int i = 0; i < 30000; i++)
        buf_printf(&big, "  x := x + %d; -- ; in a body\n", i);
    size_t want = 0;
    int line = 1;
    int *lines = xcalloc(60000, sizeof(int));
    for (int i = 0; want < 50000 && text.len < (size_t)3 << 20; i++) {
        const char *piece;
        char tmp[256];
        switch (i % 6) {
        case 0:
            snprintf(tmp, sizeof(tmp), "INSERT INTO t VALUES (%d, 'a;b;c');\n", i);
            piece = tmp;
            break;
        case 1:
            snprintf(tmp, sizeof(tmp), "/* ; comment ; */ SELECT %d;\n", i);
            piece = tmp;
            break;
        case 2:
            snprintf(
                tmp, sizeof(tmp),
                "CREATE FUNCTION f%d() RETURNS int AS $f$ SELECT 1; SELECT 2; $f$ LANGUAGE sql;\n",
                i);
            piece = tmp;
            break;
        case 3:
            snprintf(tmp, sizeof(tmp),
                     "CREATE FUNCTION g%d() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  "
                     "SELECT CASE WHEN true THEN 1 END;\nEND;\n",
                     i);
            piece = tmp;
            break;
        case 4:
            snprintf(tmp, sizeof(tmp), "-- a comment;\nALTER TABLE t ADD COLUMN c%d int;\n", i);
            piece = tmp;
            break;
        default:
            piece = NULL;
            break;
        }
        if (!piece) {
            if (i == 5 || i % 600 == 5) {
                /* a body of ~900 KB: longer than a window */
                lines[want++] = line;
                buf_printf(&text, "DO $body$ BEGIN\n%sEND $body$;\n", big.data);
                line += 30000 + 2;
            }
            continue;
        }
        /* the statement's line: after a leading comment line */
        lines[want++] = line + (i % 6 == 4 ? 1 : 0);
        for (const char *c = piece; *c; c++)
            if (*c == '\n') line++;
        buf_puts(&text, piece);
    }
    Statement *st = NULL;
    size_t n = 0;
    Err err = {0};
    CHECK(corpus_split(text.data, text.len, &st, &n, &err) == 0, "split %zu bytes: %s", text.len,
          err.msg);
    CHECK(text.len > (size_t)4 * (256 << 10), "the text spans many windows (%zu bytes)", text.len);
    CHECK(n == want, "%zu statements, want %zu", n, want);
    size_t bad = 0;
    for (size_t i = 0; i < n && i < want; i++) {
        if (st[i].line != lines[i] || st[i].index != (int)i + 1 || !strchr("ICDAS", st[i].sql[0]) ||
            st[i].sql[strlen(st[i].sql) - 1] == ';') {
            if (bad++ < 3)
                CHECK(0, "statement %zu: line %d (want %d): %.60s", i + 1, st[i].line, lines[i],
                      st[i].sql);
        }
        if (strncmp(st[i].sql, "DO", 2) == 0 && !strstr(st[i].sql, "x := x + 29999"))
            CHECK(0, "statement %zu: the long body is whole", i + 1);
    }
    CHECK(bad == 0, "every statement whole and on its line (%zu not)", bad);
    /* a scanner error after several windows names its line */
    buf_puts(&text, "SELECT 'unterminated;\n");
    Err e2 = {0};
    statements_free(st, n);
    CHECK(corpus_split(text.data, text.len, &st, &n, &e2) == -1,
          "an unterminated quote at the end fails");
    char *want_msg = xasprintf("at line %d", line);
    CHECK(strstr(e2.msg, want_msg) != NULL, "error names line %d: %s", line, e2.msg);
    free(want_msg);
    free(lines);
    buf_free(&text);
    buf_free(&big);

    /* the scanner's error cursor counts characters, not bytes: 30 two-byte
     * characters before the error do not move it up a line */
    const char *mb =
        "-- \xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
        "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
        "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\n"
        "SELECT 1;\nSELECT 'x;\n";
    for (size_t w = 1; w <= strlen(mb) + 1; w += strlen(mb)) {
        Err e3 = {0};
        Statement *m3 = NULL;
        size_t n3 = 0;
        CHECK(corpus_split_window(mb, strlen(mb), w, &m3, &n3, &e3) == -1 &&
                  strstr(e3.msg, "unterminated quoted string at line 3") != NULL,
              "error line after multi-byte characters (window %zu): %s", w, e3.msg);
        statements_free(m3, n3);
    }
}

/* Comments out of a statement shown on one line; everything quoted kept. */
static void test_uncommented(void)
{
    static const struct {
        const char *sql, *want;
    } cases[] = {
        {"SELECT 1", "SELECT 1"},
        {"-- lead\nSELECT 1", " \nSELECT 1"},
        {"SELECT 1 -- tail\n, 2", "SELECT 1  \n, 2"},
        {"SELECT /* a /* nested */ b */ 1", "SELECT   1"},
        {"SELECT '-- not a comment', 'it''s -- x'", "SELECT '-- not a comment', 'it''s -- x'"},
        {"SELECT \"a--b\" FROM t", "SELECT \"a--b\" FROM t"},
        {"SELECT E'\\' -- x' -- y", "SELECT E'\\' -- x'  "},
        {"DO $$ BEGIN -- body\n END $$ -- after", "DO $$ BEGIN -- body\n END $$  "},
        {"DO $f$ a $$ b $f$", "DO $f$ a $$ b $f$"},
        {"SELECT $1 -- p", "SELECT $1  "},
        {"SELECT 1 /* unterminated", "SELECT 1  "},
        {"SELECT 'unterminated -- x", "SELECT 'unterminated -- x"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = corpus_sql_uncommented(cases[i].sql);
        CHECK_STR(got, cases[i].want, "uncommented %zu", i);
        free(got);
    }
    char *none = corpus_sql_uncommented(NULL);
    CHECK_STR(none, "", "NULL gives an empty string");
    free(none);
}

int main(void)
{
    test_uncommented();
    test_split();
    test_windows();

    snprintf(tmp, sizeof(tmp), "/tmp/lm_test_corpus.%d", (int)getpid());
    remove_tree(tmp);
    if (mkdir(tmp, 0755) != 0) {
        printf("not ok - mkdir %s: %s\n", tmp, strerror(errno));
        return 1;
    }
    test_order_and_chains();
    test_bad_inputs();
    test_lean();
    remove_tree(tmp);

    test_shared();
    return t_done("test_corpus");
}
