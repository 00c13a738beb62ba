/*
 * pgfetch: fetch PostgreSQL minor releases into the cache (see pgfetch.h).
 *
 * npm and tar run as child processes (posix_spawn, no shell), each within a
 * budget; whatever overruns it is killed. The release is unpacked in a
 * private directory under <cache>/pg and renamed into place only once it is
 * whole, so that a fetch that fails or is interrupted leaves nothing a run
 * could pick up (a later fetch removes the leftovers of one older than an
 * hour, as scripts/setup.sh does).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runner/pgfetch.h"
#include "common/jsonread.h"
#include "model/versions.h"

extern char **environ;

#define VIEW_BUDGET_MS 60000  /* npm view */
#define PACK_BUDGET_MS 600000 /* npm pack: about 30 MB */
#define TAR_BUDGET_MS 120000
#define STALE_SECONDS 3600 /* a .fetch-* directory this old is a leftover */

/* ---- child processes ------------------------------------------------------ */

/* Runs argv (argv[0] looked up on PATH) in cwd (NULL: here), its stdout and
 * stderr into out, within budget_ms. 0 when it exits 0; -1 with err (code 3)
 * otherwise, the message ending in what it printed. */
static int run_tool(char *const argv[], const char *cwd, Buf *out, int budget_ms, Err *err)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return err_set(err, EXIT_ENV, "could not create a pipe: %s", strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_adddup2(&fa, p[1], 2);
    if (cwd) posix_spawn_file_actions_addchdir_np(&fa, cwd);
    fflush(NULL);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    if (rc != 0) {
        close(p[0]);
        return err_set(err, EXIT_ENV, "could not run %s: %s", argv[0], strerror(rc));
    }
    double deadline = now_ms() + budget_ms;
    bool late = false;
    for (;;) {
        int left = (int)(deadline - now_ms());
        if (left <= 0) {
            late = true;
            break;
        }
        struct pollfd pf = {.fd = p[0], .events = POLLIN};
        int r = poll(&pf, 1, left);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) continue;
        char buf[4096];
        ssize_t k = read(p[0], buf, sizeof(buf));
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        if (out->len < (1u << 20)) buf_append(out, buf, (size_t)k);
    }
    close(p[0]);
    int st = 0;
    if (late) kill(pid, SIGKILL);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (late)
        return err_set(err, EXIT_ENV, "%s did not finish within %d s", argv[0], budget_ms / 1000);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        const char *said = out->data ? out->data : "";
        return err_set(err, EXIT_ENV, "%s %s failed (%s %d)%s%.600s", argv[0],
                       argv[1] ? argv[1] : "", WIFEXITED(st) ? "exit" : "signal",
                       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), *said ? ":\n" : "", said);
    }
    return 0;
}

/* ---- the releases the package has ------------------------------------------- */

/* "17.9.0-beta.17": major 17, minor 9, then (patch, beta) to pick the newest
 * package of a minor. false when it is not such a version. */
static bool parse_npm_version(const char *s, int *major, int *minor, long *rank)
{
    int n[3] = {0};
    for (int i = 0; i < 3; i++) {
        if (!isdigit((unsigned char)*s)) return false;
        long v = 0;
        while (isdigit((unsigned char)*s) && v < 100000)
            v = v * 10 + (*s++ - '0');
        n[i] = (int)v;
        if (i < 2 && *s++ != '.') return false;
    }
    long beta = 0;
    if (strncmp(s, "-beta.", 6) == 0) {
        s += 6;
        while (isdigit((unsigned char)*s) && beta < 100000)
            beta = beta * 10 + (*s++ - '0');
    } else if (*s != '\0') {
        return false; /* alphas and anything else: not offered */
    }
    if (*s != '\0' || n[0] < VERSIONS_MIN || n[0] > VERSIONS_MAX || n[1] > 99) return false;
    *major = n[0];
    *minor = n[1];
    *rank = (long)n[2] * 100000 + beta;
    return true;
}

static int release_cmp(const void *a, const void *b)
{
    return ((const PgRelease *)a)->id - ((const PgRelease *)b)->id;
}

int pgfetch_parse_releases(const char *json, size_t len, PgReleases *out, Err *err)
{
    memset(out, 0, sizeof(*out));
    Err perr;
    err_clear(&perr);
    JsonNode *root = jsonread_parse(json, len, &perr);
    if (!root || root->type != JSONR_ARRAY) {
        jsonread_free(root);
        return err_set(err, EXIT_ENV, "npm view %s versions: not a list of versions%s%s",
                       PGFETCH_PACKAGE, perr.msg[0] ? ": " : "", perr.msg);
    }
    long *ranks = NULL;
    size_t cap = 0, rcap = 0, nr = 0;
    for (size_t i = 0; i < root->len; i++) {
        const char *v = jsonread_str(jsonread_at(root, i));
        int major, minor;
        long rank;
        if (!v || !parse_npm_version(v, &major, &minor, &rank)) continue;
        int id = version_id(major, minor);
        size_t k = 0;
        while (k < out->n && out->items[k].id != id)
            k++;
        if (k == out->n) {
            PgRelease *r = ARRAY_PUSH(out->items, out->n, cap);
            r->id = id;
            r->npm_version = xstrdup(v);
            *ARRAY_PUSH(ranks, nr, rcap) = rank;
        } else if (rank > ranks[k]) {
            free(out->items[k].npm_version);
            out->items[k].npm_version = xstrdup(v);
            ranks[k] = rank;
        }
    }
    free(ranks);
    jsonread_free(root);
    if (out->n > 1) qsort(out->items, out->n, sizeof(*out->items), release_cmp);
    return 0;
}

int pgfetch_releases(PgReleases *out, Err *err)
{
    memset(out, 0, sizeof(*out));
    Buf o;
    buf_init(&o);
    char *argv[] = {"npm", "view", PGFETCH_PACKAGE, "versions", "--json", NULL};
    int rc = run_tool(argv, NULL, &o, VIEW_BUDGET_MS, err);
    if (rc == 0) rc = pgfetch_parse_releases(o.data ? o.data : "", o.len, out, err);
    buf_free(&o);
    return rc;
}

const PgRelease *pgfetch_release(const PgReleases *r, int id)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->items[i].id == id) return &r->items[i];
    return NULL;
}

void pgfetch_describe(const PgReleases *r, int major, Buf *b)
{
    size_t n0 = b->len;
    for (size_t i = 0; i < r->n; i++)
        if (major == 0 || version_major(r->items[i].id) == major)
            buf_printf(b, "%s%s", b->len > n0 ? ", " : "", VERSION_NAME(r->items[i].id));
    if (b->len == n0) buf_puts(b, "none");
}

void pgfetch_releases_free(PgReleases *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->items[i].npm_version);
    free(r->items);
    r->items = NULL;
    r->n = 0;
}

/* ---- one release into the cache --------------------------------------------- */

char *pgfetch_dir(const char *cache, int id)
{
    return xasprintf("%s/pg/%s", cache, VERSION_NAME(id));
}

static bool has_postgres(const char *dir)
{
    char *p = xasprintf("%s/native/bin/postgres", dir);
    bool ok = access(p, X_OK) == 0;
    free(p);
    return ok;
}

/* chmod a+rX: the servers run as an unprivileged user. */
static int readable_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)ftw;
    if (flag == FTW_SL || S_ISLNK(st->st_mode)) return 0;
    mode_t m = st->st_mode & 07777;
    mode_t want = m | 0444 | ((S_ISDIR(st->st_mode) || (m & 0111)) ? 0111 : 0);
    if (want != m && chmod(path, want) != 0) return -1;
    return 0;
}

/* The symlinks the package lists in native/pg-symlinks.json ("target"
 * becomes a link to the basename of "source"), which npm pack drops. */
static int make_symlinks(const char *pkg, Err *err)
{
    char *path = xasprintf("%s/native/pg-symlinks.json", pkg);
    if (access(path, F_OK) != 0) {
        free(path);
        return 0;
    }
    char *text = NULL;
    size_t len = 0;
    int rc = file_read_all(path, &text, &len, err);
    JsonNode *root = rc == 0 ? jsonread_parse(text, len, err) : NULL;
    if (rc == 0 && (!root || root->type != JSONR_ARRAY))
        rc = err_set(err, EXIT_ENV, "\"%s\": not a list of symlinks", path);
    for (size_t i = 0; rc == 0 && i < root->len; i++) {
        const JsonNode *e = jsonread_at(root, i);
        const char *src = jsonread_str(jsonread_get(e, "source"));
        const char *dst = jsonread_str(jsonread_get(e, "target"));
        if (!src || !dst || strstr(dst, "..") || dst[0] == '/') {
            rc = err_set(err, EXIT_ENV, "\"%s\": entry %zu is not a symlink within the package",
                         path, i);
            break;
        }
        const char *base = strrchr(src, '/') ? strrchr(src, '/') + 1 : src;
        char *link = xasprintf("%s/%s", pkg, dst);
        unlink(link);
        if (symlink(base, link) != 0)
            rc = err_set(err, EXIT_ENV, "could not create the symlink \"%s\": %s", link,
                         strerror(errno));
        free(link);
    }
    jsonread_free(root);
    free(text);
    free(path);
    return rc;
}

/* Leftovers of fetches that were interrupted (old enough not to be running). */
static void remove_stale(const char *pgdir)
{
    DIR *d = opendir(pgdir);
    if (!d) return;
    struct dirent *de;
    time_t now = time(NULL);
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, ".fetch-", 7) != 0) continue;
        char *p = xasprintf("%s/%s", pgdir, de->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && now - st.st_mtime > STALE_SECONDS) remove_tree(p);
        free(p);
    }
    closedir(d);
}

int pgfetch_install(const char *cache, int id, const char *npm_version, bool *fetched, Err *err)
{
    *fetched = false;
    char *target = pgfetch_dir(cache, id);
    if (has_postgres(target)) {
        free(target);
        return 0;
    }
    char *pgdir = xasprintf("%s/pg", cache);
    int rc = mkdir_p(pgdir, 0755, err);
    if (rc == 0) {
        /* The servers run unprivileged: the cache must be traversable by anyone. */
        chmod(cache, 0755);
        chmod(pgdir, 0755);
        remove_stale(pgdir);
    }
    char *tmp = xasprintf("%s/.fetch-%s.XXXXXX", pgdir, VERSION_NAME(id));
    if (rc == 0 && !mkdtemp(tmp))
        rc = err_set(err, EXIT_ENV, "could not create a directory in \"%s\": %s", pgdir,
                     strerror(errno));
    bool made = rc == 0;
    char *spec = xasprintf("%s@%s", PGFETCH_PACKAGE, npm_version);
    char *pkg = xasprintf("%s/package", tmp);
    Buf out;
    buf_init(&out);
    if (rc == 0) {
        char *argv[] = {"npm", "pack", "--silent", "--no-fund", "--no-audit", spec, NULL};
        rc = run_tool(argv, tmp, &out, PACK_BUDGET_MS, err);
    }
    char *tarball = NULL;
    if (rc == 0) {
        /* npm pack prints the tarball's name last. */
        while (out.len && (out.data[out.len - 1] == '\n' || out.data[out.len - 1] == '\r'))
            out.data[--out.len] = '\0';
        const char *nl = out.data ? strrchr(out.data, '\n') : NULL;
        const char *name = nl ? nl + 1 : out.data ? out.data : "";
        tarball = xasprintf("%s/%s", tmp, name);
        if (!*name || strchr(name, '/') || access(tarball, R_OK) != 0)
            rc = err_set(err, EXIT_ENV, "npm pack %s gave no tarball (\"%s\")", spec, name);
    }
    if (rc == 0) {
        buf_reset(&out);
        char *argv[] = {"tar", "-xzf", tarball, "-C", tmp, NULL};
        rc = run_tool(argv, NULL, &out, TAR_BUDGET_MS, err);
        unlink(tarball);
    }
    if (rc == 0 && !has_postgres(pkg))
        rc = err_set(err, EXIT_ENV, "%s holds no native/bin/postgres", spec);
    if (rc == 0) rc = make_symlinks(pkg, err);
    if (rc == 0 && nftw(pkg, readable_one, 32, FTW_PHYS) != 0)
        rc = err_set(err, EXIT_ENV, "could not make \"%s\" readable: %s", pkg, strerror(errno));
    if (rc == 0) {
        /* Another fetch of the same release may have finished first. */
        if (has_postgres(target)) {
            rc = 0;
        } else {
            if (access(target, F_OK) == 0) remove_tree(target); /* half-made, from before */
            if (rename(pkg, target) != 0 && !has_postgres(target))
                rc = err_set(err, EXIT_ENV, "could not move \"%s\" to \"%s\": %s", pkg, target,
                             strerror(errno));
            else
                *fetched = true;
        }
    }
    if (made) remove_tree(tmp);
    buf_free(&out);
    free(tarball);
    free(pkg);
    free(spec);
    free(tmp);
    free(pgdir);
    free(target);
    return rc;
}
