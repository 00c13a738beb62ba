/*
 * pginstall: the PostgreSQL installations found on this machine.
 *
 * Discovery goes source by source (see pginstall.h for the order). Within a
 * source every candidate's `postgres --version` runs at once (posix_spawn,
 * one pipe each, no shell), so finding eight installations costs about one
 * process start, not eight. A candidate whose major is already known from
 * its path (cache, /usr/lib/postgresql/<major>) and already taken by an
 * earlier source is not even asked.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runner/pginstall.h"
#include "model/versions.h"

extern char **environ;

#define VERSION_BUDGET_MS 5000 /* for every `--version` of one source together */

/* ---- candidates ---------------------------------------------------------- */

/* One directory to look at, and what asking its postgres gave. */
typedef struct Cand {
    char *bindir;       /* absolute, resolved; owned */
    int hint_major;     /* major known from the path, 0 when unknown */
    const char *origin; /* the override text for --pg-bin, else NULL; not owned */
    pid_t pid;          /* `postgres --version` while it runs, else -1 */
    int fd;             /* read end of its output pipe, else -1 */
    Buf out;            /* what it printed */
    int status;         /* its wait status, -1 when it did not finish */
    const char *why;    /* why it does not count (static), NULL when it does */
} Cand;

typedef struct Cands {
    Cand *items;
    size_t n, cap;
} Cands;

static void cands_free(Cands *cs)
{
    for (size_t i = 0; i < cs->n; i++) {
        free(cs->items[i].bindir);
        buf_free(&cs->items[i].out);
    }
    free(cs->items);
    cs->items = NULL;
    cs->n = cs->cap = 0;
}

static bool is_exec_file(const char *dir, const char *name)
{
    char *p = xasprintf("%s/%s", dir, name);
    struct stat st;
    bool ok = stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
    free(p);
    return ok;
}

static bool is_pg_bindir(const char *dir)
{
    return is_exec_file(dir, "postgres") && is_exec_file(dir, "initdb");
}

static void cands_add(Cands *cs, const char *dir, int hint_major, const char *origin)
{
    Cand *c = ARRAY_PUSH(cs->items, cs->n, cs->cap);
    memset(c, 0, sizeof(*c));
    char resolved[PATH_MAX];
    c->bindir = xstrdup(realpath(dir, resolved) ? resolved : dir);
    c->hint_major = hint_major;
    c->origin = origin;
    c->pid = -1;
    c->fd = -1;
    c->status = -1;
    buf_init(&c->out);
}

/* Parses the leading digits of s as a major in range; 0 when it is not one. */
static int parse_major(const char *s, const char **end)
{
    if (!isdigit((unsigned char)*s)) return 0;
    long v = 0;
    while (isdigit((unsigned char)*s) && v < 1000)
        v = v * 10 + (*s++ - '0');
    if (end) *end = s;
    return (int)v;
}

/* ---- `postgres --version`, all candidates at once ------------------------- */

static void cand_spawn(Cand *c)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        c->why = "could not create a pipe";
        return;
    }
    char *path = xasprintf("%s/postgres", c->bindir);
    char *argv[] = {path, "--version", NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_adddup2(&fa, p[1], 2);
    pid_t pid;
    int rc = posix_spawn(&pid, path, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    free(path);
    close(p[1]);
    if (rc != 0) {
        close(p[0]);
        c->why = "could not run postgres --version";
        return;
    }
    c->pid = pid;
    c->fd = p[0];
}

/* Reads every pipe to its end, then reaps every process, all within one
 * budget; whatever overruns it is killed. */
static void cands_collect(Cand *cs, size_t n, int budget_ms)
{
    double deadline = now_ms() + budget_ms;
    struct pollfd *pf = xcalloc(n ? n : 1, sizeof(*pf));
    for (;;) {
        size_t open_n = 0;
        for (size_t i = 0; i < n; i++) {
            pf[i].fd = cs[i].fd; /* negative fds are ignored by poll */
            pf[i].events = POLLIN;
            pf[i].revents = 0;
            if (cs[i].fd >= 0) open_n++;
        }
        if (open_n == 0) break;
        int left = (int)(deadline - now_ms());
        if (left <= 0) break;
        int r = poll(pf, n, left);
        if (r < 0 && errno != EINTR) break;
        for (size_t i = 0; i < n; i++) {
            if (cs[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[512];
            ssize_t k = read(cs[i].fd, buf, sizeof(buf));
            if (k > 0 && cs[i].out.len < 4096) {
                buf_append(&cs[i].out, buf, (size_t)k);
            } else if (k == 0 || (k < 0 && errno != EINTR && errno != EAGAIN)) {
                close(cs[i].fd);
                cs[i].fd = -1;
            }
        }
    }
    free(pf);
    for (size_t i = 0; i < n; i++) {
        Cand *c = &cs[i];
        if (c->fd >= 0) {
            close(c->fd);
            c->fd = -1;
        }
        if (c->pid < 0) continue;
        for (;;) {
            int st;
            pid_t w = waitpid(c->pid, &st, WNOHANG);
            if (w == c->pid) {
                c->status = st;
                break;
            }
            if (w < 0 && errno != EINTR) break;
            if (now_ms() >= deadline) {
                kill(c->pid, SIGKILL);
                waitpid(c->pid, &st, 0);
                c->why = "postgres --version did not answer in time";
                break;
            }
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
        c->pid = -1;
    }
}

/* Fills major/version from the output: "postgres (PostgreSQL) 17.10" (any
 * suffix, e.g. " (Debian 15.20-0+deb12u1)", is dropped). */
static int cand_version(const Cand *c, int *major, char **version)
{
    if (c->status < 0 || !WIFEXITED(c->status) || WEXITSTATUS(c->status) != 0 || !c->out.data)
        return -1;
    const char *p = strstr(c->out.data, "(PostgreSQL) ");
    if (!p) return -1;
    p += strlen("(PostgreSQL) ");
    size_t len = strcspn(p, " \t\r\n");
    int m = parse_major(p, NULL);
    if (len == 0 || m == 0) return -1;
    *major = m;
    *version = xstrndup(p, len);
    return 0;
}

/* ---- sources --------------------------------------------------------------- */

static bool major_taken(const PgInstalls *out, int major)
{
    return pginstall_get(out, major) != NULL;
}

static bool bindir_taken(const PgInstalls *out, const char *bindir)
{
    for (size_t i = 0; i < out->n; i++)
        if (strcmp(out->items[i].bindir, bindir) == 0) return true;
    return false;
}

/* The minor of a version string ("17.10": 10), -1 when it has none. */
static int minor_of(const char *version)
{
    const char *dot = strchr(version, '.');
    if (!dot || !isdigit((unsigned char)dot[1])) return -1;
    return parse_major(dot + 1, NULL);
}

static void fill_install(PgInstall *pi, int id, int major, char *version, const char *bindir,
                         const char *source)
{
    pi->id = id;
    pi->major = major;
    pi->minor = minor_of(version);
    pi->version = version;
    pi->bindir = xstrdup(bindir);
    pi->source = (char *)source;
}

static void push_install(PgInstalls *out, size_t *cap, int major, char *version, const char *bindir,
                         const char *source)
{
    fill_install(ARRAY_PUSH(out->items, out->n, *cap), major, major, version, bindir, source);
}

static bool listed(const PgInstall *items, size_t n, const char *bindir)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(items[i].bindir, bindir) == 0) return true;
    return false;
}

/* With PGINSTALL_ALL: an installation a default of its major shadows. */
static void push_shadowed(PgInstalls *out, int major, char *version, const char *bindir,
                          const char *source)
{
    if (listed(out->shadowed, out->nshadowed, bindir) ||
        listed(out->minors, out->nminors, bindir)) {
        free(version);
        return;
    }
    size_t cap = out->nshadowed; /* grown one at a time: few of them */
    fill_install(ARRAY_PUSH(out->shadowed, out->nshadowed, cap), 0, major, version, bindir, source);
}

/* Asks every candidate of one source and keeps the first of each major not
 * yet found. Candidates that do not answer are skipped silently. */
static void take_source(PgInstalls *out, size_t *cap, Cands *cs, const char *source, int flags)
{
    size_t n = 0;
    bool all = flags & PGINSTALL_ALL;
    for (size_t i = 0; i < cs->n; i++) {
        Cand *c = &cs->items[i];
        if ((!all && c->hint_major && major_taken(out, c->hint_major)) ||
            bindir_taken(out, c->bindir))
            continue;
        cand_spawn(c);
        n++;
    }
    if (n == 0) return;
    cands_collect(cs->items, cs->n, VERSION_BUDGET_MS);
    for (size_t i = 0; i < cs->n; i++) {
        Cand *c = &cs->items[i];
        int major;
        char *version;
        if (c->status < 0 || cand_version(c, &major, &version) != 0) continue;
        if (major < VERSIONS_MIN || major > VERSIONS_MAX || bindir_taken(out, c->bindir)) {
            free(version);
            continue;
        }
        if (major_taken(out, major)) {
            if (all)
                push_shadowed(out, major, version, c->bindir, source);
            else
                free(version);
            continue;
        }
        push_install(out, cap, major, version, c->bindir, source);
    }
}

static int numeric_dir_cmp(const void *a, const void *b)
{
    return parse_major(*(char *const *)a, NULL) - parse_major(*(char *const *)b, NULL);
}

/* Every <parent>/<major><suffix> with a number as its name, in major order. */
static void add_major_dirs(Cands *cs, const char *parent, const char *suffix)
{
    DIR *d = opendir(parent);
    if (!d) return;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *end;
        int m = parse_major(de->d_name, &end);
        if (m == 0 || *end != '\0') continue;
        *ARRAY_PUSH(names, n, cap) = xstrdup(de->d_name);
    }
    closedir(d);
    if (n > 1) qsort(names, n, sizeof(*names), numeric_dir_cmp);
    for (size_t i = 0; i < n; i++) {
        char *dir = xasprintf("%s/%s%s", parent, names[i], suffix);
        if (is_pg_bindir(dir)) cands_add(cs, dir, parse_major(names[i], NULL), NULL);
        free(dir);
        free(names[i]);
    }
    free(names);
}

/* Every <parent>/<major>.<minor>/native/bin: the named minor releases of the
 * cache, their column id as hint_major. */
static void add_minor_dirs(Cands *cs, const char *parent)
{
    DIR *d = opendir(parent);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *end;
        int m = parse_major(de->d_name, &end);
        if (m < VERSIONS_MIN || m > VERSIONS_MAX || *end != '.' || !isdigit((unsigned char)end[1]))
            continue;
        int minor = parse_major(end + 1, &end);
        if (*end != '\0' || minor > 99) continue;
        char *dir = xasprintf("%s/%s/native/bin", parent, de->d_name);
        if (is_pg_bindir(dir)) cands_add(cs, dir, version_id(m, minor), NULL);
        free(dir);
    }
    closedir(d);
}

static int id_cmp(const void *a, const void *b)
{
    return ((const PgInstall *)a)->id - ((const PgInstall *)b)->id;
}

/* The named minors of the cache, their `--version` spawned already: each
 * must be the release its directory names (a directory that is not is left
 * out). */
static void take_minors(PgInstalls *out, Cands *cs)
{
    if (cs->n == 0) return;
    size_t cap = 0;
    cands_collect(cs->items, cs->n, VERSION_BUDGET_MS);
    for (size_t i = 0; i < cs->n; i++) {
        Cand *c = &cs->items[i];
        int major;
        char *version;
        if (cand_version(c, &major, &version) != 0) continue;
        if (major != version_major(c->hint_major) ||
            minor_of(version) != version_minor(c->hint_major)) {
            free(version);
            continue;
        }
        fill_install(ARRAY_PUSH(out->minors, out->nminors, cap), c->hint_major, major, version,
                     c->bindir, "cache");
    }
    if (out->nminors > 1) qsort(out->minors, out->nminors, sizeof(*out->minors), id_cmp);
}

/* `pg_config --bindir`, found on PATH; NULL when there is none. Returns a
 * malloc'd string. */
static char *pg_config_bindir(void)
{
    const char *path = getenv("PATH");
    if (!path || !*path) path = "/usr/local/bin:/usr/bin:/bin";
    char *copy = xstrdup(path), *save = NULL, *exe = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save))
        if (*dir && is_exec_file(dir, "pg_config")) {
            exe = xasprintf("%s/pg_config", dir);
            break;
        }
    free(copy);
    if (!exe) return NULL;

    int p[2];
    char *result = NULL;
    if (pipe2(p, O_CLOEXEC) != 0) {
        free(exe);
        return NULL;
    }
    char *argv[] = {exe, "--bindir", NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawn(&pid, exe, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    if (rc != 0) {
        close(p[0]);
        free(exe);
        return NULL;
    }
    Cand c = {.bindir = NULL, .pid = pid, .fd = p[0], .status = -1};
    buf_init(&c.out);
    cands_collect(&c, 1, VERSION_BUDGET_MS);
    if (c.status >= 0 && WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0 && c.out.data) {
        c.out.data[strcspn(c.out.data, "\r\n")] = '\0';
        if (c.out.data[0] == '/') result = xstrdup(c.out.data);
    }
    buf_free(&c.out);
    free(exe);
    return result;
}

/* ---- overrides -------------------------------------------------------------- */

/* --pg-bin VERSION=DIR: each must name a real installation of that major. */
static int take_overrides(PgInstalls *out, size_t *cap, char *const *overrides, size_t n, Err *err)
{
    Cands cs = {0};
    int *want = xcalloc(n ? n : 1, sizeof(*want));
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *o = overrides[i];
        const char *eq = strchr(o, '=');
        const char *end;
        int m = parse_major(o, &end);
        if (!eq || eq == o || eq[1] == '\0' || m == 0 || (end != eq && *end != '.')) {
            rc = err_set(err, EXIT_USAGE,
                         "malformed --pg-bin \"%s\": expected VERSION=DIR, e.g. "
                         "%d=/usr/lib/postgresql/%d/bin",
                         o, VERSIONS_MAX, VERSIONS_MAX);
            break;
        }
        if (m < VERSIONS_MIN || m > VERSIONS_MAX) {
            rc = err_set(err, EXIT_USAGE, "--pg-bin \"%s\": version %d is not supported (%d to %d)",
                         o, m, VERSIONS_MIN, VERSIONS_MAX);
            break;
        }
        for (size_t k = 0; k < i; k++)
            if (want[k] == m) {
                rc = err_set(err, EXIT_USAGE, "--pg-bin \"%s\": version %d is given twice", o, m);
                break;
            }
        if (rc) break;
        want[i] = m;
        const char *dir = eq + 1;
        struct stat st;
        if (stat(dir, &st) != 0) {
            rc = err_set(err, EXIT_USAGE, "--pg-bin \"%s\": could not open \"%s\": %s", o, dir,
                         strerror(errno));
            break;
        }
        if (!S_ISDIR(st.st_mode)) {
            rc = err_set(err, EXIT_USAGE, "--pg-bin \"%s\": \"%s\" is not a directory", o, dir);
            break;
        }
        /* An installation prefix is accepted too: DIR/bin. */
        char *bin = xasprintf("%s/bin", dir);
        if (is_pg_bindir(dir)) {
            cands_add(&cs, dir, 0, o);
        } else if (is_pg_bindir(bin)) {
            cands_add(&cs, bin, 0, o);
        } else {
            rc = err_set(err, EXIT_USAGE,
                         "--pg-bin \"%s\": no executable postgres and initdb in \"%s\"", o, dir);
        }
        free(bin);
    }
    if (rc == 0) {
        for (size_t i = 0; i < cs.n; i++)
            cand_spawn(&cs.items[i]);
        cands_collect(cs.items, cs.n, VERSION_BUDGET_MS);
    }
    for (size_t i = 0; i < cs.n && rc == 0; i++) {
        Cand *c = &cs.items[i];
        int major;
        char *version;
        if (cand_version(c, &major, &version) != 0) {
            const char *said = c->out.data ? c->out.data : "";
            rc = err_set(err, EXIT_USAGE,
                         "--pg-bin \"%s\": \"%s/postgres --version\" failed%s%.200s", c->origin,
                         c->bindir, *said ? ": " : "", said);
            break;
        }
        if (major != want[i]) {
            rc = err_set(err, EXIT_USAGE, "--pg-bin \"%s\": \"%s\" holds PostgreSQL %s, not %d",
                         c->origin, c->bindir, version, want[i]);
            free(version);
            break;
        }
        push_install(out, cap, major, version, c->bindir, "--pg-bin");
    }
    free(want);
    cands_free(&cs);
    return rc;
}

/* ---- public ------------------------------------------------------------------ */

static int install_cmp(const void *a, const void *b)
{
    return ((const PgInstall *)a)->major - ((const PgInstall *)b)->major;
}

int pginstall_find(PgInstalls *out, char *const *overrides, size_t noverrides, Err *err)
{
    return pginstall_find_flags(out, overrides, noverrides, 0, err);
}

int pginstall_find_flags(PgInstalls *out, char *const *overrides, size_t noverrides, int flags,
                         Err *err)
{
    memset(out, 0, sizeof(*out));
    size_t cap = 0;

    if (take_overrides(out, &cap, overrides, noverrides, err) != 0) {
        pginstall_free(out);
        return -1;
    }

    const char *env = getenv("LOCKMATRIX_PG_PATH");
    if (env && *env) {
        Cands cs = {0};
        char *copy = xstrdup(env), *save = NULL;
        for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
            if (is_pg_bindir(dir))
                cands_add(&cs, dir, 0, NULL);
            else {
                /* A prefix is accepted too. */
                char *bin = xasprintf("%s/bin", dir);
                if (is_pg_bindir(bin)) cands_add(&cs, bin, 0, NULL);
                free(bin);
            }
        }
        free(copy);
        take_source(out, &cap, &cs, "LOCKMATRIX_PG_PATH", flags);
        cands_free(&cs);
    }

    char *cache = pginstall_cache_dir();
    char *cache_pg = xasprintf("%s/pg", cache);
    Cands cs = {0}, ms = {0};
    /* The minors' `--version` runs while the default builds' does. */
    add_minor_dirs(&ms, cache_pg);
    for (size_t i = 0; i < ms.n; i++)
        cand_spawn(&ms.items[i]);
    add_major_dirs(&cs, cache_pg, "/native/bin");
    take_source(out, &cap, &cs, "cache", flags);
    cands_free(&cs);
    take_minors(out, &ms);
    cands_free(&ms);
    free(cache_pg);
    free(cache);

    add_major_dirs(&cs, "/usr/lib/postgresql", "/bin");
    take_source(out, &cap, &cs, "system", flags);
    cands_free(&cs);

    char *bindir = pg_config_bindir();
    if (bindir && is_pg_bindir(bindir)) {
        cands_add(&cs, bindir, 0, NULL);
        take_source(out, &cap, &cs, "pg_config", flags);
        cands_free(&cs);
    }
    free(bindir);

    if (out->n > 1) qsort(out->items, out->n, sizeof(*out->items), install_cmp);
    return 0;
}

const PgInstall *pginstall_get(const PgInstalls *list, int id)
{
    if (!list) return NULL;
    int major = version_major(id);
    const PgInstall *def = NULL;
    for (size_t i = 0; i < list->n; i++)
        if (list->items[i].major == major) def = &list->items[i];
    if (id == major) return def;
    for (size_t i = 0; i < list->nminors; i++)
        if (list->minors[i].id == id) return &list->minors[i];
    return def && def->minor == version_minor(id) ? def : NULL;
}

void pginstall_describe_major(const PgInstalls *list, int major, Buf *b)
{
    size_t n0 = b->len;
    for (size_t i = 0; i < list->n; i++)
        if (list->items[i].major == major) buf_printf(b, "%s (default)", list->items[i].version);
    for (size_t i = 0; i < list->nminors; i++)
        if (list->minors[i].major == major)
            buf_printf(b, "%s%s", b->len > n0 ? ", " : "", list->minors[i].version);
    if (b->len == n0) buf_puts(b, "none");
}

size_t pginstall_releases(const PgInstalls *list, int **ids)
{
    *ids = xcalloc(list->n + list->nminors + 1, sizeof(**ids));
    size_t n = 0;
    for (size_t i = 0; i < list->n; i++)
        if (list->items[i].minor >= 0 && list->items[i].minor <= 99)
            (*ids)[n++] = version_id(list->items[i].major, list->items[i].minor);
    for (size_t i = 0; i < list->nminors; i++)
        (*ids)[n++] = list->minors[i].id;
    return n;
}

static void free_items(PgInstall **items, size_t *n)
{
    for (size_t i = 0; i < *n; i++) {
        free((*items)[i].version);
        free((*items)[i].bindir);
    }
    free(*items);
    *items = NULL;
    *n = 0;
}

void pginstall_free(PgInstalls *list)
{
    if (!list) return;
    free_items(&list->items, &list->n);
    free_items(&list->minors, &list->nminors);
    free_items(&list->shadowed, &list->nshadowed);
}

char *pginstall_cache_dir(void)
{
    const char *env = getenv("LOCKMATRIX_CACHE");
    if (env && *env) return xstrdup(env);
    if (geteuid() == 0) return xstrdup("/var/cache/lockmatrix");
    const char *xdg = getenv("XDG_CACHE_HOME");
    if (xdg && *xdg == '/') return xasprintf("%s/lockmatrix", xdg);
    const char *home = getenv("HOME");
    if (!home || !*home) {
        struct passwd *pw = getpwuid(geteuid());
        home = pw && pw->pw_dir ? pw->pw_dir : "/tmp";
    }
    return xasprintf("%s/.cache/lockmatrix", home);
}
