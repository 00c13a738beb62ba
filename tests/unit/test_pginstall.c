/*
 * test_pginstall: discovery of the real installations on this machine (the
 * cache filled by scripts/setup.sh, Debian's /usr/lib/postgresql), the search
 * order, and --pg-bin overrides, good and bad.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner/pginstall.h"
#include "t.h"

/* What scripts/setup.sh puts in the cache. */
static const struct {
    int major;
    const char *version;
} cached[] = {
    {10, "10.23"}, {11, "11.22"}, {12, "12.22"}, {13, "13.23"}, {14, "14.23"},
    {15, "15.18"}, {16, "16.14"}, {17, "17.10"}, {18, "18.4"},
};

static bool is_exec(const char *p)
{
    return access(p, X_OK) == 0;
}

static char *cache_bindir(int major)
{
    char *cache = pginstall_cache_dir();
    char *bin = xasprintf("%s/pg/%d/native/bin", cache, major);
    free(cache);
    return bin;
}

static void test_cache(void)
{
    PgInstalls pgs;
    Err err;
    err_clear(&err);
    double t0 = now_ms();
    int rc = pginstall_find(&pgs, NULL, 0, &err);
    double ms = now_ms() - t0;
    CHECK(rc == 0, "pginstall_find: %s", err.msg);
    printf("# discovery: %zu installations in %.1f ms\n", pgs.n, ms);
    CHECK(ms < 500, "discovery took %.1f ms", ms);

    int in_cache = 0;
    for (size_t i = 0; i < ARRAY_LEN(cached); i++) {
        char *bin = cache_bindir(cached[i].major);
        char *postgres = xasprintf("%s/postgres", bin);
        if (is_exec(postgres)) {
            in_cache++;
            const PgInstall *p = pginstall_get(&pgs, cached[i].major);
            CHECK(p != NULL, "cached %d found", cached[i].major);
            if (p) {
                CHECK_STR(p->version, cached[i].version, "version of cached %d", cached[i].major);
                CHECK_STR(p->bindir, bin, "bindir of cached %d", cached[i].major);
                CHECK_STR(p->source, "cache", "source of cached %d", cached[i].major);
            }
        }
        free(postgres);
        free(bin);
    }
    if (in_cache == 0) printf("# the cache is empty: run \"make setup\"\n");

    /* Sorted by major, one per major, every bindir absolute. */
    for (size_t i = 0; i < pgs.n; i++) {
        const PgInstall *p = &pgs.items[i];
        CHECK(p->major >= 10 && p->major <= 18, "major %d in range", p->major);
        CHECK(i == 0 || pgs.items[i - 1].major < p->major, "sorted and unique at %zu", i);
        CHECK(p->bindir[0] == '/', "absolute bindir %s", p->bindir);
        CHECK(atoi(p->version) == p->major, "version %s matches major %d", p->version, p->major);
        CHECK(strchr(p->version, ' ') == NULL, "version \"%s\" has no suffix", p->version);
    }
    CHECK(pginstall_get(&pgs, 9) == NULL && pginstall_get(&pgs, 99) == NULL, "no major 9 or 99");
    pginstall_free(&pgs);
    CHECK(pgs.n == 0 && pgs.items == NULL, "pginstall_free empties the list");
}

/* An installation of some major, and the bindir of one to use in overrides. */
static const PgInstall *any_install(const PgInstalls *pgs)
{
    return pgs->n ? &pgs->items[pgs->n - 1] : NULL;
}

static void test_overrides(void)
{
    PgInstalls all;
    Err err;
    err_clear(&err);
    pginstall_find(&all, NULL, 0, &err);
    const PgInstall *some = any_install(&all);
    if (!some) {
        printf("# no installation: override cases skipped\n");
        pginstall_free(&all);
        return;
    }
    int m = some->major;
    int other = m == 17 ? 16 : 17;

    /* A broken installation: postgres and initdb that cannot say a version. */
    char broken[] = "/tmp/lm-test-broken-XXXXXX";
    CHECK(mkdtemp(broken) != NULL, "mkdtemp");
    char *bp = xasprintf("%s/postgres", broken), *bi = xasprintf("%s/initdb", broken);
    CHECK(symlink("/bin/false", bp) == 0 && symlink("/bin/false", bi) == 0, "broken install");
    /* A prefix (DIR/bin) of a real one. */
    char *prefix = xstrdup(some->bindir);
    char *slash = strrchr(prefix, '/');
    if (slash) *slash = '\0';

    char *s_ok = xasprintf("%d=%s", m, some->bindir);
    char *s_prefix = xasprintf("%d=%s", m, prefix);
    char *s_wrong = xasprintf("%d=%s", other, some->bindir);
    char *s_full = xasprintf("%s=%s", some->version, some->bindir);
    char *s_broken = xasprintf("%d=%s", m, broken);
    char *s_file = xasprintf("%d=%s", m, bp);

    const struct {
        const char *name;
        const char *ov[2];
        size_t n;
        int code;         /* 0: success */
        const char *want; /* substring of the message */
    } cases[] = {
        {"good", {s_ok}, 1, 0, NULL},
        {"prefix", {s_prefix}, 1, 0, NULL},
        {"full version", {s_full}, 1, 0, NULL},
        {"no '='", {"17"}, 1, 2, "malformed --pg-bin \"17\""},
        {"no version", {"=/usr"}, 1, 2, "malformed"},
        {"no dir", {"17="}, 1, 2, "malformed"},
        {"not a number", {"x=/usr"}, 1, 2, "malformed"},
        {"trailing junk", {"17x=/usr"}, 1, 2, "malformed"},
        {"too old", {"9=/usr"}, 1, 2, "version 9 is not supported"},
        {"too new", {"19=/usr"}, 1, 2, "version 19 is not supported"},
        {"missing dir",
         {"17=/nonexistent/bin"},
         1,
         2,
         "could not open \"/nonexistent/bin\": No such file"},
        {"a file", {s_file}, 1, 2, "is not a directory"},
        {"no postgres", {"17=/tmp"}, 1, 2, "no executable postgres and initdb in \"/tmp\""},
        {"wrong major", {s_wrong}, 1, 2, "not "},
        {"broken", {s_broken}, 1, 2, "--version\" failed"},
        {"twice", {s_ok, s_ok}, 2, 2, "given twice"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        PgInstalls pgs;
        err_clear(&err);
        int rc = pginstall_find(&pgs, (char *const *)cases[i].ov, cases[i].n, &err);
        if (cases[i].code == 0) {
            CHECK(rc == 0, "%s: %s", cases[i].name, err.msg);
            const PgInstall *p = pginstall_get(&pgs, m);
            CHECK(p && strcmp(p->source, "--pg-bin") == 0, "%s: source --pg-bin", cases[i].name);
            CHECK(p && strcmp(p->bindir, some->bindir) == 0, "%s: bindir %s", cases[i].name,
                  p ? p->bindir : "");
            CHECK(p && strcmp(p->version, some->version) == 0, "%s: version", cases[i].name);
        } else {
            CHECK(rc == -1 && err.code == cases[i].code, "%s: code %d (rc %d): %s", cases[i].name,
                  err.code, rc, err.msg);
            CHECK(strstr(err.msg, cases[i].want) != NULL, "%s: message \"%s\" wants \"%s\"",
                  cases[i].name, err.msg, cases[i].want);
            CHECK(pgs.n == 0 && pgs.items == NULL, "%s: nothing returned", cases[i].name);
        }
        pginstall_free(&pgs);
    }
    unlink(bp);
    unlink(bi);
    rmdir(broken);
    free(bp);
    free(bi);
    free(prefix);
    free(s_ok);
    free(s_prefix);
    free(s_wrong);
    free(s_full);
    free(s_broken);
    free(s_file);
    pginstall_free(&all);
}

/* The search order: $LOCKMATRIX_PG_PATH before the cache, the cache before
 * the system, and an empty cache leaves the system's. */
static void test_order(void)
{
    const char *sys15 = "/usr/lib/postgresql/15/bin";
    char *sys_postgres = xasprintf("%s/postgres", sys15);
    bool have_sys = is_exec(sys_postgres);
    free(sys_postgres);
    if (!have_sys) {
        printf("# no %s: order cases skipped\n", sys15);
        return;
    }
    char empty[] = "/tmp/lm-test-cache-XXXXXX";
    CHECK(mkdtemp(empty) != NULL, "mkdtemp");
    char *empty_pg = xasprintf("%s/pg", empty); /* a cache with nothing in it yet */
    CHECK(mkdir(empty_pg, 0755) == 0, "mkdir %s", empty_pg);
    char *old_cache = getenv("LOCKMATRIX_CACHE") ? xstrdup(getenv("LOCKMATRIX_CACHE")) : NULL;

    const struct {
        const char *name;
        const char *pg_path; /* NULL: unset */
        bool empty_cache;
        const char *want_source; /* of major 15 */
    } cases[] = {
        {"LOCKMATRIX_PG_PATH first", "/nonexistent:/usr/lib/postgresql/15/bin", false,
         "LOCKMATRIX_PG_PATH"},
        {"LOCKMATRIX_PG_PATH prefix", "/usr/lib/postgresql/15", false, "LOCKMATRIX_PG_PATH"},
        {"system without a cache", NULL, true, "system"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        if (cases[i].pg_path)
            setenv("LOCKMATRIX_PG_PATH", cases[i].pg_path, 1);
        else
            unsetenv("LOCKMATRIX_PG_PATH");
        if (cases[i].empty_cache) setenv("LOCKMATRIX_CACHE", empty, 1);
        PgInstalls pgs;
        Err err;
        err_clear(&err);
        CHECK(pginstall_find(&pgs, NULL, 0, &err) == 0, "%s: %s", cases[i].name, err.msg);
        const PgInstall *p = pginstall_get(&pgs, 15);
        CHECK(p && strcmp(p->source, cases[i].want_source) == 0, "%s: source %s", cases[i].name,
              p ? p->source : "(none)");
        CHECK(p && strcmp(p->bindir, sys15) == 0, "%s: bindir %s", cases[i].name,
              p ? p->bindir : "(none)");
        if (cases[i].empty_cache)
            CHECK(pgs.n >= 1 && pginstall_get(&pgs, 17) == NULL, "%s: no cache, no 17",
                  cases[i].name);
        pginstall_free(&pgs);
        if (old_cache)
            setenv("LOCKMATRIX_CACHE", old_cache, 1);
        else
            unsetenv("LOCKMATRIX_CACHE");
    }
    unsetenv("LOCKMATRIX_PG_PATH");
    free(old_cache);
    rmdir(empty_pg);
    free(empty_pg);
    rmdir(empty);
}

/* Minor releases side by side in a cache: <cache>/pg/<major>.<minor>, each
 * the installation of its column id; a directory whose server is another
 * release than its name says is left out. The cache is made of links to
 * the real builds. */
static void test_minors(void)
{
    char *real17 = cache_bindir(17), *real16 = cache_bindir(16);
    char *p17 = xasprintf("%s/postgres", real17), *p16 = xasprintf("%s/postgres", real16);
    bool have = is_exec(p17) && is_exec(p16);
    free(p17);
    free(p16);
    if (!have) {
        printf("# no cached 16 and 17: minor cases skipped\n");
        free(real17);
        free(real16);
        return;
    }
    char *old_cache = getenv("LOCKMATRIX_CACHE") ? xstrdup(getenv("LOCKMATRIX_CACHE")) : NULL;
    char dir[] = "/tmp/lm-test-minors-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    /* <dir>/pg/<name>/native/bin -> a real bin directory */
    const struct {
        const char *name;
        const char *to;
    } links[] = {{"17", real17}, {"17.10", real17}, {"17.9", real16}, {"17.x", real17}};
    for (size_t i = 0; i < ARRAY_LEN(links); i++) {
        char *native = xasprintf("%s/pg/%s/native", dir, links[i].name);
        char *bin = xasprintf("%s/bin", native);
        Err e;
        CHECK(mkdir_p(native, 0755, &e) == 0 && symlink(links[i].to, bin) == 0, "link %s", bin);
        free(bin);
        free(native);
    }
    setenv("LOCKMATRIX_CACHE", dir, 1);
    PgInstalls pgs;
    Err err;
    err_clear(&err);
    CHECK(pginstall_find(&pgs, NULL, 0, &err) == 0, "find: %s", err.msg);
    const PgInstall *d = pginstall_get(&pgs, 17), *m = pginstall_get(&pgs, 1710);
    CHECK(d && d->id == 17 && strcmp(d->version, "17.10") == 0 && d->minor == 10,
          "17: the default build, 17.10");
    CHECK(m && m != d && m->id == 1710 && m->major == 17 && m->minor == 10 &&
              strcmp(m->source, "cache") == 0,
          "17.10: the named release of the cache");
    CHECK(pginstall_get(&pgs, 1709) == NULL, "17.9 holds 16: left out");
    CHECK(pgs.nminors == 1, "one named minor (%zu)", pgs.nminors);
    for (size_t i = 0; i < pgs.n; i++)
        CHECK(pgs.items[i].id == pgs.items[i].major, "defaults keep their major as id");
    Buf b;
    buf_init(&b);
    pginstall_describe_major(&pgs, 17, &b);
    CHECK_STR(b.data, "17.10 (default), 17.10", "what 17 has");
    buf_reset(&b);
    pginstall_describe_major(&pgs, 13, &b);
    CHECK(b.data && (strstr(b.data, "(default)") || strcmp(b.data, "none") == 0), "what 13 has: %s",
          b.data);
    buf_free(&b);
    pginstall_free(&pgs);
    CHECK(pgs.minors == NULL && pgs.nminors == 0, "pginstall_free empties the minors");

    /* Without a named 17.10, the default build that is 17.10 serves it. */
    char *named = xasprintf("%s/pg/17.10", dir);
    CHECK(remove_tree(named) == 0, "rm %s", named);
    free(named);
    CHECK(pginstall_find(&pgs, NULL, 0, &err) == 0, "find: %s", err.msg);
    CHECK(pginstall_get(&pgs, 1710) == pginstall_get(&pgs, 17) && pginstall_get(&pgs, 17),
          "17.10 is the default build");
    CHECK(pginstall_get(&pgs, 1711) == NULL, "no 17.11");
    pginstall_free(&pgs);

    /* --all: what the defaults shadow is listed too, never as a column. */
    CHECK(pginstall_find_flags(&pgs, NULL, 0, PGINSTALL_ALL, &err) == 0, "find all: %s", err.msg);
    for (size_t i = 0; i < pgs.nshadowed; i++) {
        const PgInstall *p = &pgs.shadowed[i];
        CHECK(p->id == 0 && pginstall_get(&pgs, p->major) != p, "shadowed %s", p->bindir);
    }
    pginstall_free(&pgs);

    if (old_cache)
        setenv("LOCKMATRIX_CACHE", old_cache, 1);
    else
        unsetenv("LOCKMATRIX_CACHE");
    free(old_cache);
    remove_tree(dir);
    free(real17);
    free(real16);
}

static void test_cache_dir(void)
{
    char *old = getenv("LOCKMATRIX_CACHE") ? xstrdup(getenv("LOCKMATRIX_CACHE")) : NULL;
    setenv("LOCKMATRIX_CACHE", "/x/y", 1);
    char *d = pginstall_cache_dir();
    CHECK_STR(d, "/x/y", "LOCKMATRIX_CACHE wins");
    free(d);
    unsetenv("LOCKMATRIX_CACHE");
    d = pginstall_cache_dir();
    if (geteuid() == 0)
        CHECK_STR(d, "/var/cache/lockmatrix", "root's cache");
    else
        CHECK(strstr(d, "/lockmatrix") != NULL, "user cache %s", d);
    free(d);
    if (old) setenv("LOCKMATRIX_CACHE", old, 1);
    free(old);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_cache();
    test_overrides();
    test_order();
    test_minors();
    test_cache_dir();
    return t_done("test_pginstall");
}
