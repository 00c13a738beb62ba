/*
 * test_embedded: real servers of every installed major 10..18, started the
 * way a worker starts them (in a forked child that drops root), checked, and
 * stopped; then the ways a container ends badly: its worker killed (the
 * postmaster must follow it; reap and clean must leave nothing).
 *
 * Prints per version: the cold start (initdb of a fresh template + copy +
 * start), the warm start median (copy + start), and the copy of a template.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner/backend.h"
#include "runner/pginstall.h"
#include "t.h"

#define WARM_STARTS 3
#define QUERY_TIMEOUT_MS 10000

static const BackendOps *ops;

/* ---- helpers ------------------------------------------------------------------ */

/* One value of a one-row query, with a deadline (PQsendQuery + poll + cancel).
 * Returns a malloc'd string or NULL. */
static char *query1(PGconn *conn, const char *sql)
{
    if (!PQsendQuery(conn, sql)) return NULL;
    double deadline = now_ms() + QUERY_TIMEOUT_MS;
    while (PQisBusy(conn)) {
        int left = (int)(deadline - now_ms());
        if (left <= 0) {
            PGcancel *c = PQgetCancel(conn);
            char e[256];
            if (c) {
                PQcancel(c, e, sizeof(e));
                PQfreeCancel(c);
            }
            break;
        }
        struct pollfd pf = {.fd = PQsocket(conn), .events = POLLIN};
        if (poll(&pf, 1, left) < 0 && errno != EINTR) break;
        if (!PQconsumeInput(conn)) break;
    }
    char *v = NULL;
    PGresult *r;
    while ((r = PQgetResult(conn)) != NULL) {
        if (!v && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
            v = xstrdup(PQgetvalue(r, 0, 0));
        PQclear(r);
    }
    return v;
}

/* Socket inodes of pid that listen on TCP (IPv4 or IPv6). */
static int tcp_listeners(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d) return -1;
    unsigned long inodes[256];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < 256) {
        char fd[600], target[128];
        snprintf(fd, sizeof(fd), "%s/%s", path, de->d_name);
        ssize_t k = readlink(fd, target, sizeof(target) - 1);
        if (k <= 0) continue;
        target[k] = '\0';
        unsigned long ino;
        if (sscanf(target, "socket:[%lu]", &ino) == 1) inodes[n++] = ino;
    }
    closedir(d);
    int listening = 0;
    const char *tables[] = {"/proc/net/tcp", "/proc/net/tcp6"};
    for (size_t t = 0; t < ARRAY_LEN(tables); t++) {
        FILE *f = fopen(tables[t], "r");
        if (!f) continue;
        char line[512];
        while (fgets(line, sizeof(line), f)) {
            char st[8];
            unsigned long ino;
            /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
            if (sscanf(line, "%*s %*s %*s %7s %*s %*s %*s %*s %*s %lu", st, &ino) != 2) continue;
            if (strcmp(st, "0A") != 0) continue;
            for (int i = 0; i < n; i++)
                if (inodes[i] == ino) listening++;
        }
        fclose(f);
    }
    return listening;
}

static bool gone_within(pid_t pid, int ms)
{
    double deadline = now_ms() + ms;
    for (;;) {
        char path[64], buf[512];
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        FILE *f = fopen(path, "r");
        if (!f) return true;
        size_t k = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[k] = '\0';
        char *p = strrchr(buf, ')');
        if (p && (p[2] == 'Z' || p[2] == 'X')) return true;
        if (now_ms() > deadline) return false;
        usleep(2000);
    }
}

static bool path_exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ---- a worker's life, in a child --------------------------------------------------- */

typedef struct Result {
    int pass, fail;
    double ready_ms;
    double stop_ms;
    pid_t pm;      /* postmaster pid (for the kill tests) */
    char dir[256]; /* instance directory */
    char err[1024];
} Result;

static void send_result(int fd, Result *r)
{
    r->pass = t_pass;
    r->fail = t_fail;
    if (write(fd, r, sizeof(*r)) != (ssize_t)sizeof(*r)) _exit(3);
}

static bool recv_result(int fd, Result *r)
{
    size_t got = 0;
    while (got < sizeof(*r)) {
        ssize_t k = read(fd, (char *)r + got, sizeof(*r) - got);
        if (k <= 0) return false;
        got += (size_t)k;
    }
    return true;
}

/* The job databases of a container: from its template (LOCKMATRIX_FAST=0:
 * none, the worker creates them), lm_5 usable after use_db; where the
 * sandbox mounted an overlay (dir/overlay) nothing is copied, else lm_5's
 * directory is copied by use_db and not before. */
static void check_job_dbs(const BackendCfg *cfg, Container *c, int major)
{
    const char *fast = getenv("LOCKMATRIX_FAST");
    if (fast && strcmp(fast, "0") == 0) {
        CHECK(c->dbs == 0, "%d: the slow path holds no job databases (%d)", major, c->dbs);
        return;
    }
    CHECK(c->dbs == BACKEND_JOB_DBS, "%d: %d job databases from the template (%d)", major,
          BACKEND_JOB_DBS, c->dbs);
    char *ci = xasprintf("%s dbname=postgres connect_timeout=5", c->conninfo);
    PGconn *conn = PQconnectdb(ci);
    free(ci);
    char *oid = query1(conn, "SELECT oid FROM pg_database WHERE datname = 'lm_5'");
    char *n = query1(conn, "SELECT count(*) FROM pg_database WHERE datname LIKE 'lm\\_%'");
    PQfinish(conn);
    CHECK(oid && n && atoi(n) == BACKEND_JOB_DBS - 1, "%d: lm_1 .. lm_%d listed (%s)", major,
          BACKEND_JOB_DBS - 1, n ? n : "?");
    char *mark = xasprintf("%s/overlay", c->dir);
    char *base = xasprintf("%s/data/base/%s", c->dir, oid ? oid : "0");
    bool overlay = path_exists(mark);
    const char *sb = getenv("LOCKMATRIX_SANDBOX");
    if (sb && strcmp(sb, "0") == 0) CHECK(!overlay, "%d: no sandbox, no overlay", major);
    CHECK(!path_exists(base), "%d: lm_5's directory not copied before it is used (%s)", major,
          overlay ? "overlay" : "copy");
    Err err;
    err_clear(&err);
    CHECK(ops->use_db(cfg, c, 5, &err) == 0, "%d: use_db lm_5: %s", major, err.msg);
    CHECK(path_exists(base) == !overlay, "%d: %s", major,
          overlay ? "an overlay copies nothing" : "use_db copied lm_5's directory");
    /* its relcache init file, put back by use_db, is the one its first
     * backend reads: a file the server rejected would be written anew */
    char *init = xasprintf("/proc/%d/cwd/base/%s/pg_internal.init", (int)c->pid, oid ? oid : "0");
    struct stat before = {0}, after = {0};
    CHECK(stat(init, &before) == 0 && before.st_size > 0,
          "%d: use_db put lm_5's relcache init file back (%s)", major, strerror(errno));
    ci = xasprintf("%s dbname=lm_5 connect_timeout=5", c->conninfo);
    conn = PQconnectdb(ci);
    free(ci);
    char *one = query1(conn, "SELECT count(*) > 100 FROM pg_class");
    CHECK_STR(one, "t", "%d: lm_5 answers with its catalogs (%s)", major,
              PQstatus(conn) == CONNECTION_OK ? "" : PQerrorMessage(conn));
    PQfinish(conn);
    CHECK(stat(init, &after) == 0 && after.st_ino == before.st_ino &&
              after.st_mtime == before.st_mtime,
          "%d: the first backend in lm_5 read its init file and wrote none (inode %lu -> %lu)",
          major, (unsigned long)before.st_ino, (unsigned long)after.st_ino);
    free(init);
    printf("  %d: job databases from the template, %s\n", major, overlay ? "an overlay" : "copied");
    free(one);
    free(mark);
    free(base);
    free(oid);
    free(n);
}

/* A connection to job database lm_k of server c, made ready by use_db. */
static PGconn *job_conn(const BackendCfg *cfg, Container *c, int k)
{
    Err err;
    err_clear(&err);
    if (ops->use_db(cfg, c, k, &err) != 0) return NULL;
    char *ci = xasprintf("%s dbname=lm_%d connect_timeout=5", c->conninfo, k);
    PGconn *conn = PQconnectdb(ci);
    free(ci);
    return conn;
}

/* The directory lm_k has in the template under server c (base/<oid>). */
static char *job_db_rel(Container *c, int k)
{
    char *ci = xasprintf("%s dbname=postgres connect_timeout=5", c->conninfo);
    PGconn *conn = PQconnectdb(ci);
    free(ci);
    char *sql = xasprintf("SELECT oid FROM pg_database WHERE datname = 'lm_%d'", k);
    char *oid = query1(conn, sql);
    PQfinish(conn);
    free(sql);
    char *rel = xasprintf("base/%s", oid ? oid : "0");
    free(oid);
    return rel;
}

/* What a server on an overlay copied up and never changed stays in its
 * directory's upper for the server two turns later, and nothing else does.
 * Before the first server retires, it reads lm_6's pg_proc (a copy-up
 * only) and rewrites lm_5's pg_class (VACUUM FULL: a new file, the old one
 * deleted, lm_5's relation map written). Returns lm_6's pg_proc in the
 * upper ("" without an overlay). */
static char *reuse_before(const BackendCfg *cfg, Container *c, int major)
{
    char *mark = xasprintf("%s/overlay", c->dir);
    bool overlay = path_exists(mark);
    free(mark);
    if (!overlay) return xstrdup("");
    char *rel6 = job_db_rel(c, 6);
    PGconn *conn = job_conn(cfg, c, 6);
    char *n = query1(conn, "SELECT count(*) > 1000 FROM pg_proc");
    CHECK_STR(n, "t", "%d: lm_6 reads pg_proc", major);
    free(n);
    PQfinish(conn);
    conn = job_conn(cfg, c, 5);
    PGresult *r = PQexec(conn, "VACUUM FULL pg_class");
    CHECK(PQresultStatus(r) == PGRES_COMMAND_OK, "%d: VACUUM FULL pg_class in lm_5: %s", major,
          PQerrorMessage(conn));
    PQclear(r);
    char *fn = query1(conn, "SELECT pg_relation_filenode('pg_class') <> 1259");
    CHECK_STR(fn, "t", "%d: lm_5's pg_class in a new file", major);
    free(fn);
    PQfinish(conn);
    char *upper = xasprintf("%s/upper/%s/1255", c->dir, rel6);
    free(rel6);
    CHECK(path_exists(upper), "%d: lm_6's pg_proc copied up (%s)", major, upper);
    return upper;
}

/* Two turns after reuse_before, c in the same directory: lm_6's pg_proc is
 * still in the upper, of the template's size and time; lm_5 is the
 * template's again (its pg_class in file 1259, whole). */
static void reuse_after(const BackendCfg *cfg, Container *c, int major, const char *upper)
{
    if (!*upper) return;
    char *mark = xasprintf("%s/overlay", c->dir);
    char *tpl = NULL;
    CHECK(file_read_all(mark, &tpl, NULL, NULL) == 0, "%d: the overlay mark names the template",
          major);
    free(mark);
    const char *rel = strstr(upper, "/upper/");
    char *lower = xasprintf("%s/%s", tpl ? tpl : "", rel ? rel + 7 : "");
    struct stat us, ls;
    CHECK(stat(upper, &us) == 0 && stat(lower, &ls) == 0 && us.st_size == ls.st_size &&
              us.st_mtim.tv_sec == ls.st_mtim.tv_sec && us.st_mtim.tv_nsec == ls.st_mtim.tv_nsec,
          "%d: lm_6's pg_proc, copied up and unchanged, kept for the next server (%s)", major,
          upper);
    PGconn *conn = job_conn(cfg, c, 5);
    char *ok = query1(conn, "SELECT pg_relation_filenode('pg_class') = 1259 AND "
                            "(SELECT count(*) > 100 FROM pg_class)");
    CHECK_STR(ok, "t", "%d: lm_5 is the template's again: %s", major, PQerrorMessage(conn));
    free(ok);
    PQfinish(conn);
    free(lower);
    free(tpl);
}

/* Replacing a server (retire, then start): the next one starts in the other
 * directory while the old one shuts down, the one after in the first again,
 * the first postmaster reaped by then, with what the first copied up and
 * did not change (reuse_before). *c ends as the third server; returns the
 * second's directory (free()). */
static char *check_retire(const BackendCfg *cfg, Container *c, int major, int seq)
{
    char *first = xstrdup(c->dir);
    pid_t pm1 = c->pid;
    Err err;
    err_clear(&err);
    char *kept = reuse_before(cfg, c, major);
    ops->retire(cfg, c);
    CHECK(ops->start(cfg, major, seq, c, &err) == 0, "%d: a server after a retired one: %s", major,
          err.msg);
    char *second = xstrdup(c->dir ? c->dir : "");
    CHECK(strcmp(first, second) != 0, "%d: the next server in another directory (%s)", major,
          second);
    ops->retire(cfg, c);
    CHECK(ops->start(cfg, major, seq, c, &err) == 0, "%d: a third server: %s", major, err.msg);
    CHECK(c->dir && strcmp(c->dir, first) == 0, "%d: the third in the first one's directory (%s)",
          major, c->dir ? c->dir : "");
    CHECK(kill(pm1, 0) != 0 && errno == ESRCH, "%d: the first postmaster %d reaped", major,
          (int)pm1);
    reuse_after(cfg, c, major, kept);
    free(kept);
    free(first);
    return second;
}

/* Start, check everything, stop. Runs in the child. */
static void child_full(const BackendCfg *cfg, int major, int seq, bool checks, bool expect_fail,
                       int out)
{
    Result r;
    memset(&r, 0, sizeof(r));
    t_pass = t_fail = 0;
    Container c;
    Err err;
    err_clear(&err);
    int rc = ops->start(cfg, major, seq, &c, &err);
    if (!expect_fail)
        CHECK(rc == 0, "start %d: %s", major, err.msg);
    else
        CHECK(rc == -1 && err.code == 3, "start %d fails with code 3 (%d)", major, err.code);
    if (rc != 0) {
        snprintf(r.err, sizeof(r.err), "%s", err.msg);
        send_result(out, &r);
        _exit(1);
    }
    r.ready_ms = c.ready_ms;
    snprintf(r.dir, sizeof(r.dir), "%s", c.dir);
    if (checks) {
        char want_prefix[16];
        snprintf(want_prefix, sizeof(want_prefix), "%d.", major);
        CHECK(c.server_version &&
                  strncmp(c.server_version, want_prefix, strlen(want_prefix)) == 0 &&
                  !strchr(c.server_version, ' '),
              "server_version \"%s\" for %d", c.server_version, major);
        char want_name[64];
        snprintf(want_name, sizeof(want_name), "r%lld.w%d", cfg->run_id, seq);
        CHECK_STR(c.name, want_name, "container name");
        CHECK(c.conninfo && strstr(c.conninfo, "dbname") == NULL, "conninfo has no dbname: %s",
              c.conninfo);
        CHECK(c.pid > 0 && kill(c.pid, 0) == 0, "postmaster %d runs", (int)c.pid);

        struct stat st;
        CHECK(stat(c.dir, &st) == 0 && (st.st_mode & 0777) == 0700,
              "socket dir \"%s\" is 0700 (%o)", c.dir, (unsigned)(st.st_mode & 0777));
        if (cfg->drop_privileges)
            CHECK(st.st_uid == cfg->run_uid && getuid() == cfg->run_uid &&
                      geteuid() == cfg->run_uid,
                  "dir and worker belong to uid %d", (int)cfg->run_uid);

        char *ci = xasprintf("%s dbname=postgres connect_timeout=5", c.conninfo);
        PGconn *conn = PQconnectdb(ci);
        free(ci);
        CHECK(PQstatus(conn) == CONNECTION_OK, "connect %d: %s", major, PQerrorMessage(conn));
        if (PQstatus(conn) == CONNECTION_OK) {
            char *num = query1(conn, "SELECT current_setting('server_version_num')");
            CHECK(num && atoi(num) / 10000 == major, "server_version_num %s for %d", num, major);
            free(num);
            char *la = query1(conn, "SHOW listen_addresses");
            CHECK_STR(la, "", "listen_addresses on %d", major);
            free(la);
            char *perm = query1(conn, "SHOW unix_socket_permissions");
            CHECK_STR(perm, "0700", "unix_socket_permissions on %d", major);
            free(perm);
            char *fs = query1(conn, "SHOW fsync");
            CHECK_STR(fs, "off", "fsync on %d", major);
            free(fs);
            char *av = query1(conn, "SHOW autovacuum");
            CHECK_STR(av, "off", "autovacuum on %d", major);
            free(av);
            char *sv = query1(conn, "SHOW server_version");
            CHECK(sv && strncmp(sv, c.server_version, strlen(c.server_version)) == 0,
                  "SHOW server_version \"%s\" vs \"%s\"", sv, c.server_version);
            free(sv);
        }
        PQfinish(conn);
        CHECK(tcp_listeners(c.pid) == 0, "postmaster %d listens on no TCP port", (int)c.pid);
        check_job_dbs(cfg, &c, major);
    }
    char *second = checks ? check_retire(cfg, &c, major, seq) : NULL;
    char *dir = xstrdup(c.dir);
    pid_t pm = c.pid;
    double t0 = now_ms();
    ops->stop(cfg, &c);
    r.stop_ms = now_ms() - t0;
    CHECK(!path_exists(dir), "\"%s\" is gone after stop", dir);
    CHECK(kill(pm, 0) != 0, "postmaster %d is gone after stop", (int)pm);
    CHECK(c.dir == NULL && c.conninfo == NULL, "stop freed the container");
    if (second) CHECK(!path_exists(second), "\"%s\", a retired one's, is gone after stop", second);
    CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD,
          "stop left no child of the worker (no zombie)");
    free(second);
    free(dir);
    send_result(out, &r);
    _exit(0); /* no atexit work in a forked child */
}

/* Start, report, then wait to be killed. Runs in the child. */
static void child_hold(const BackendCfg *cfg, int major, int seq, int out)
{
    Result r;
    memset(&r, 0, sizeof(r));
    t_pass = t_fail = 0;
    Container c;
    Err err;
    err_clear(&err);
    if (ops->start(cfg, major, seq, &c, &err) != 0) {
        snprintf(r.err, sizeof(r.err), "%s", err.msg);
        r.fail = 1;
        send_result(out, &r);
        _exit(1);
    }
    r.ready_ms = c.ready_ms;
    r.pm = c.pid;
    snprintf(r.dir, sizeof(r.dir), "%s", c.dir);
    send_result(out, &r);
    for (;;)
        pause();
}

/* Forks a worker; mode 0: start and stop, 1: with every check, 2: start and
 * hold until killed, 3: start must fail. Returns its pid, *fd the read end. */
static pid_t fork_worker(const BackendCfg *cfg, int major, int seq, int mode, int *fd)
{
    int p[2];
    if (pipe(p) != 0) return -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        if (mode == 2) child_hold(cfg, major, seq, p[1]);
        child_full(cfg, major, seq, mode == 1, mode == 3, p[1]);
    }
    close(p[1]);
    *fd = p[0];
    return pid;
}

/* Runs a full worker and adds its checks to ours. Returns ready_ms, -1 on
 * failure; *stop_ms (may be NULL) gets the time stop() took. */
static double run_worker(const BackendCfg *cfg, int major, int seq, bool checks, double *stop_ms)
{
    int fd;
    pid_t pid = fork_worker(cfg, major, seq, checks ? 1 : 0, &fd);
    CHECK(pid > 0, "fork");
    if (pid <= 0) return -1;
    Result r;
    bool got = recv_result(fd, &r);
    close(fd);
    int st;
    waitpid(pid, &st, 0);
    CHECK(got, "worker for %d reported", major);
    if (!got) return -1;
    t_pass += r.pass;
    t_fail += r.fail;
    if (r.err[0]) printf("  worker %d: %s\n", major, r.err);
    if (stop_ms) *stop_ms = r.stop_ms;
    return r.fail ? -1 : r.ready_ms;
}

/* shmid named by a postmaster.pid, -1 when none. */
static int pidfile_shmid(const char *dir)
{
    /* the data directory, or seen through an overlay's upper directory */
    char *path = xasprintf("%s/data/postmaster.pid", dir);
    FILE *f = fopen(path, "r");
    free(path);
    if (!f) {
        path = xasprintf("%s/upper/postmaster.pid", dir);
        f = fopen(path, "r");
        free(path);
    }
    if (!f) return -1;
    char line[256];
    int shmid = -1;
    for (int i = 1; fgets(line, sizeof(line), f); i++)
        if (i == 7) {
            unsigned long key, id;
            if (sscanf(line, "%lu %lu", &key, &id) == 2) shmid = (int)id;
            break;
        }
    fclose(f);
    return shmid;
}

static bool shm_gone(int shmid)
{
    struct shmid_ds ds;
    if (shmid < 0) return true;
    if (shmctl(shmid, IPC_STAT, &ds) != 0) return true;
    return (ds.shm_perm.mode & SHM_DEST) != 0;
}

/* ---- the tests -------------------------------------------------------------------- */

static void test_prepare_errors(const PgInstalls *pgs)
{
    static const struct {
        int majors[3];
        int n;
        const char *want;
    } cases[] = {
        {{99}, 1, "no PostgreSQL installation for version 99"},
        {{10, 98, 99}, 3, "versions 98, 99"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        int majors[3];
        int n = 0;
        for (int k = 0; k < cases[i].n; k++)
            if (cases[i].majors[k] >= 90 || pginstall_get(pgs, cases[i].majors[k]))
                majors[n++] = cases[i].majors[k];
        BackendCfg cfg = {.name = "embedded", .run_id = 1, .pgs = pgs};
        Err err;
        err_clear(&err);
        int rc = ops->prepare(&cfg, majors, n, &err);
        CHECK(rc == -1 && err.code == 3, "prepare case %zu fails with code 3 (rc %d code %d)", i,
              rc, err.code);
        CHECK(strstr(err.msg, cases[i].want) != NULL, "case %zu message: %s", i, err.msg);
        CHECK(strstr(err.msg, "make setup") != NULL, "case %zu hint: %s", i, err.msg);
        backend_cfg_free(&cfg);
    }
    CHECK(backend_get("embedded") == ops, "backend_get(embedded)");
    CHECK(backend_get("nope") == NULL, "backend_get(nope)");
}

/* Kill the worker: the postmaster follows (PDEATHSIG); reap leaves nothing. */
static void test_worker_killed(const BackendCfg *cfg, int major, int seq)
{
    int fd;
    pid_t w = fork_worker(cfg, major, seq, 2, &fd);
    Result r;
    bool got = recv_result(fd, &r);
    close(fd);
    CHECK(got && r.fail == 0 && r.pm > 0, "held worker for %d started: %s", major,
          got ? r.err : "");
    if (!got || r.fail) {
        kill(w, SIGKILL);
        waitpid(w, NULL, 0);
        return;
    }
    int shmid = pidfile_shmid(r.dir);
    CHECK(kill(r.pm, 0) == 0, "postmaster %d runs before the kill", (int)r.pm);
    kill(w, SIGKILL);
    waitpid(w, NULL, 0);
    double t0 = now_ms();
    bool gone = gone_within(r.pm, 3000);
    CHECK(gone, "postmaster %d died with its worker", (int)r.pm);
    printf("  %d: postmaster gone %.0f ms after its worker was killed\n", major, now_ms() - t0);
    CHECK(path_exists(r.dir), "the dead worker left \"%s\"", r.dir);
    ops->reap(cfg, seq);
    CHECK(!path_exists(r.dir), "reap removed \"%s\"", r.dir);
    CHECK(shm_gone(shmid), "reap removed shared memory segment %d", shmid);
}

/* reap of a live server (the worker hangs): SIGQUIT, then everything goes. */
static void test_reap_live(const BackendCfg *cfg, int major, int seq)
{
    int fd;
    pid_t w = fork_worker(cfg, major, seq, 2, &fd);
    Result r;
    bool got = recv_result(fd, &r);
    close(fd);
    CHECK(got && r.fail == 0 && r.pm > 0, "held worker for %d started", major);
    if (got && !r.fail) {
        int shmid = pidfile_shmid(r.dir);
        ops->reap(cfg, seq);
        CHECK(gone_within(r.pm, 100), "reap stopped live postmaster %d", (int)r.pm);
        CHECK(!path_exists(r.dir), "reap removed \"%s\"", r.dir);
        CHECK(shm_gone(shmid), "reap removed shared memory segment %d", shmid);
    }
    kill(w, SIGKILL);
    waitpid(w, NULL, 0);
}

/* clean: what killed workers left is found and removed, and counted. */
static void test_clean(const BackendCfg *cfg, int major)
{
    int seqs[] = {40, 41};
    for (size_t i = 0; i < ARRAY_LEN(seqs); i++) {
        int fd;
        pid_t w = fork_worker(cfg, major, seqs[i], 2, &fd);
        Result r;
        bool got = recv_result(fd, &r);
        close(fd);
        CHECK(got && r.fail == 0, "held worker %d started", seqs[i]);
        kill(w, SIGKILL);
        waitpid(w, NULL, 0);
    }
    Err err;
    err_clear(&err);
    int n = ops->clean(cfg, cfg->run_id, &err);
    CHECK(n == 2, "clean removed %d containers, want 2 (%s)", n, err.msg);
    CHECK(!path_exists(cfg->runtime_root), "clean removed \"%s\"", cfg->runtime_root);
    n = ops->clean(cfg, cfg->run_id, &err);
    CHECK(n == 0, "second clean removed %d", n);
}

/* A new template with job databases replaces the one an earlier build left
 * (<version>-<hash>-db32: the same without the init files), which goes. */
static void test_template_replaced(const BackendCfg *cfg, const PgInstall *pi)
{
    char *tdir = xasprintf("%s/templates", cfg->cache_dir);
    char *tpl = NULL;
    DIR *d = opendir(tdir);
    struct dirent *de;
    size_t vl = strlen(pi->version), nl;
    while (d && (de = readdir(d)) != NULL)
        if (strncmp(de->d_name, pi->version, vl) == 0 && de->d_name[vl] == '-' &&
            (nl = strlen(de->d_name)) > 5 && strcmp(de->d_name + nl - 5, "-init") == 0)
            tpl = xasprintf("%s/%s", tdir, de->d_name);
    if (d) closedir(d);
    free(tdir);
    CHECK(tpl != NULL, "a template of %s with job databases", pi->version);
    if (!tpl) return;
    char *old = xasprintf("%.*s", (int)strlen(tpl) - 5, tpl);
    char *pgv = xasprintf("%s/PG_VERSION", old);
    CHECK(mkdir(old, 0700) == 0, "an earlier build's template %s", old);
    FILE *f = fopen(pgv, "w");
    CHECK(f && fputs(pi->version, f) >= 0 && fclose(f) == 0, "write %s", pgv);
    if (geteuid() == 0) /* the run user's, as the templates it makes */
        CHECK(chown(old, cfg->run_uid, cfg->run_gid) == 0 &&
                  chown(pgv, cfg->run_uid, cfg->run_gid) == 0,
              "%s to the run user", old);
    CHECK(remove_tree(tpl) == 0, "remove %s", tpl);
    CHECK(run_worker(cfg, pi->major, 31, true, NULL) >= 0, "%s starts on a new template",
          pi->version);
    CHECK(path_exists(tpl), "the new template %s", tpl);
    CHECK(!path_exists(old), "the template it replaces is gone: %s", old);
    free(pgv);
    free(old);
    free(tpl);
}

/* A server that cannot start (its template damaged for real: PG_VERSION
 * says 9.6) is an error with the server's own words, and leaves nothing. */
static void test_damaged_template(const BackendCfg *cfg, const PgInstall *pi)
{
    char *tdir = xasprintf("%s/templates", cfg->cache_dir);
    char *pgv = NULL;
    DIR *d = opendir(tdir);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL)
        if (strncmp(de->d_name, pi->version, strlen(pi->version)) == 0 &&
            de->d_name[strlen(pi->version)] == '-')
            pgv = xasprintf("%s/%s/PG_VERSION", tdir, de->d_name);
    if (d) closedir(d);
    free(tdir);
    CHECK(pgv != NULL, "a template of %s to damage", pi->version);
    if (!pgv) return;
    FILE *f = fopen(pgv, "w");
    CHECK(f && fputs("9.6\n", f) >= 0 && fclose(f) == 0, "damage %s", pgv);
    free(pgv);

    int fd;
    pid_t w = fork_worker(cfg, pi->major, 30, 3, &fd);
    Result r;
    bool got = recv_result(fd, &r);
    close(fd);
    waitpid(w, NULL, 0);
    CHECK(got && r.fail == 0 && r.pass == 1, "start on a damaged template fails");
    CHECK(got && strstr(r.err, "exited with code") && strstr(r.err, "server log:") &&
              strstr(r.err, "9.6") && strstr(r.err, "hint: a damaged template"),
          "error tells why: %s", got ? r.err : "");
    char *dir = xasprintf("%s/w30", cfg->runtime_root);
    CHECK(!path_exists(dir), "failed start left no \"%s\"", dir);
    free(dir);
}

/* A server not ready within the start budget (1 ms: it cannot be): an error
 * that says how long it waited and the last reason it was not reachable,
 * and leaves nothing. */
static void test_start_timeout(const BackendCfg *cfg, int major)
{
    BackendCfg quick = *cfg; /* shares cfg's strings: not freed here */
    quick.start_timeout_ms = 1;
    int fd;
    pid_t w = fork_worker(&quick, major, 31, 3, &fd);
    Result r;
    bool got = recv_result(fd, &r);
    close(fd);
    waitpid(w, NULL, 0);
    CHECK(got && r.fail == 0 && r.pass == 1, "start within 1 ms fails");
    CHECK(got && strstr(r.err, "was not ready within 1 ms (could not connect to the server: ") &&
              strstr(r.err, "); server log:"),
          "error says why: %s", got ? r.err : "");
    char *dir = xasprintf("%s/w31", cfg->runtime_root);
    CHECK(!path_exists(dir), "timed out start left no \"%s\"", dir);
    free(dir);
}

/* Two workers that need the same missing template at once both get it; one
 * template stays, no temp directory is left. */
static void test_template_race(const PgInstalls *pgs, int major, long long run_id)
{
    char cache[] = "/tmp/lm-test-race-XXXXXX";
    CHECK(mkdtemp(cache) != NULL && chmod(cache, 0755) == 0, "race cache dir");
    BackendCfg cfg = {
        .name = "embedded", .run_id = run_id, .pgs = pgs, .cache_dir = xstrdup(cache)};
    Err err;
    err_clear(&err);
    CHECK(ops->prepare(&cfg, &major, 1, &err) == 0, "prepare (race): %s", err.msg);
    int fds[2];
    pid_t ws[2];
    for (int i = 0; i < 2; i++)
        ws[i] = fork_worker(&cfg, major, i + 1, 0, &fds[i]);
    for (int i = 0; i < 2; i++) {
        Result r;
        bool got = recv_result(fds[i], &r);
        close(fds[i]);
        waitpid(ws[i], NULL, 0);
        CHECK(got && r.fail == 0, "racing worker %d: %s", i + 1, got ? r.err : "no report");
        if (got) {
            t_pass += r.pass;
            t_fail += r.fail;
        }
    }
    char *tdir = xasprintf("%s/templates", cache);
    DIR *d = opendir(tdir);
    int templates = 0, temps = 0;
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        if (de->d_name[0] == '.' && !strstr(de->d_name, ".lock"))
            temps++;
        else if (de->d_name[0] == '.')
            continue;
        else
            templates++;
    }
    if (d) closedir(d);
    CHECK(templates == 1 && temps == 0, "race left %d templates and %d temp dirs", templates,
          temps);
    free(tdir);
    CHECK(ops->clean(&cfg, run_id, &err) == 0, "race run left nothing");
    remove_tree(cache);
    backend_cfg_free(&cfg);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    ops = backend_get("embedded");
    CHECK(ops != NULL, "embedded backend exists");
    if (!ops) return t_done("test_embedded");

    PgInstalls pgs;
    Err err;
    err_clear(&err);
    CHECK(pginstall_find(&pgs, NULL, 0, &err) == 0, "pginstall_find: %s", err.msg);
    test_prepare_errors(&pgs);

    int majors[9], n = 0;
    for (int m = 10; m <= 18; m++)
        if (pginstall_get(&pgs, m)) majors[n++] = m;
    if (n == 0) {
        printf("# no PostgreSQL installed: run \"make setup\"; container tests skipped\n");
        pginstall_free(&pgs);
        return t_done("test_embedded");
    }

    long long run_id = 900000 + getpid() % 90000;

    /* Cold: a fresh template directory, so every version runs initdb first. */
    char cold_cache[] = "/tmp/lm-test-cache-XXXXXX";
    CHECK(mkdtemp(cold_cache) != NULL && chmod(cold_cache, 0755) == 0, "cold cache dir");
    BackendCfg cold = {
        .name = "embedded", .run_id = run_id, .pgs = &pgs, .cache_dir = xstrdup(cold_cache)};
    err_clear(&err);
    CHECK(ops->prepare(&cold, majors, n, &err) == 0, "prepare (cold): %s", err.msg);

    BackendCfg cfg = {.name = "embedded", .run_id = run_id + 1, .pgs = &pgs};
    err_clear(&err);
    CHECK(ops->prepare(&cfg, majors, n, &err) == 0, "prepare: %s", err.msg);
    CHECK(cfg.runtime_root && strlen(cfg.runtime_root) + 20 < 107, "runtime root \"%s\" is short",
          cfg.runtime_root);
    if (geteuid() == 0)
        CHECK(cfg.drop_privileges && cfg.run_uid != 0, "as root, servers run as uid %d",
              (int)cfg.run_uid);

    /* initdb on a disk takes a second per version: every version with LM_TEST_COLD=1. */
    bool all_cold = getenv("LM_TEST_COLD") && strcmp(getenv("LM_TEST_COLD"), "1") == 0;
    printf("# major  cold start (initdb+databases+start)  warm start median (overlay or copy, "
           "start)  copy of the whole template  "
           "stop\n");
    double warm_all[9 * WARM_STARTS];
    int nwarm_all = 0;
    for (int i = 0; i < n; i++) {
        int m = majors[i];
        double cold_ms = all_cold || i == n - 1 ? run_worker(&cold, m, 1, true, NULL) : -1;
        double warm[WARM_STARTS], stops[WARM_STARTS];
        int nw = 0;
        for (int k = 0; k < WARM_STARTS; k++) {
            double stop_ms = -1;
            double ms = run_worker(&cfg, m, k + 1, k == 0, &stop_ms);
            if (ms >= 0) {
                stops[nw] = stop_ms;
                warm[nw++] = warm_all[nwarm_all++] = ms;
            }
        }
        qsort(warm, nw, sizeof(*warm), cmp_double);
        qsort(stops, nw, sizeof(*stops), cmp_double);
        /* The copy alone, of the template the cold start made. */
        const PgInstall *pi = pginstall_get(&pgs, m);
        char *tdir = xasprintf("%s/templates", cold_cache);
        char *tpl = NULL;
        DIR *d = opendir(tdir);
        struct dirent *de;
        while (d && (de = readdir(d)) != NULL)
            if (strncmp(de->d_name, pi->version, strlen(pi->version)) == 0 &&
                de->d_name[strlen(pi->version)] == '-')
                tpl = xasprintf("%s/%s", tdir, de->d_name);
        if (d) closedir(d);
        CHECK(tpl != NULL || cold_ms < 0, "the cold start left a template for %s", pi->version);
        if (!tpl) { /* no cold start for this one: copy the shared template */
            char *shared = xasprintf("%s/templates", cfg.cache_dir);
            DIR *sd = opendir(shared);
            while (sd && (de = readdir(sd)) != NULL)
                if (!tpl && strncmp(de->d_name, pi->version, strlen(pi->version)) == 0 &&
                    de->d_name[strlen(pi->version)] == '-')
                    tpl = xasprintf("%s/%s", shared, de->d_name);
            if (sd) closedir(sd);
            free(shared);
        }
        double copy_ms = -1;
        if (tpl) {
            char *to = xasprintf("%s/copy-%d", cfg.runtime_root, m); /* where containers go */
            double t0 = now_ms();
            Err e2;
            err_clear(&e2);
            CHECK(copy_tree(tpl, to, &e2) == 0, "copy_tree: %s", e2.msg);
            copy_ms = now_ms() - t0;
            remove_tree(to);
            free(to);
        }
        free(tpl);
        free(tdir);
        printf("# %-5d  %8.0f ms  %26.0f ms  %26.0f ms  %6.0f ms\n", m, cold_ms,
               nw ? warm[nw / 2] : -1.0, copy_ms, nw ? stops[nw / 2] : -1.0);
    }
    qsort(warm_all, nwarm_all, sizeof(*warm_all), cmp_double);
    if (nwarm_all)
        printf("# warm start median over every version: %.0f ms (target < 300 ms)\n",
               warm_all[nwarm_all / 2]);

    /* The other two ways to a server, on the newest version: a copy of the
     * template (no sandbox, so no overlay), and the slow path
     * (LOCKMATRIX_FAST=0: a template without job databases) */
    setenv("LOCKMATRIX_SANDBOX", "0", 1);
    CHECK(run_worker(&cfg, majors[n - 1], 40, true, NULL) >= 0, "a copied server starts");
    unsetenv("LOCKMATRIX_SANDBOX");
    setenv("LOCKMATRIX_FAST", "0", 1);
    CHECK(run_worker(&cfg, majors[n - 1], 41, true, NULL) >= 0, "a server of the slow path starts");
    unsetenv("LOCKMATRIX_FAST");

    test_template_replaced(&cold, pginstall_get(&pgs, majors[n - 1]));
    test_damaged_template(&cold, pginstall_get(&pgs, majors[n - 1]));

    test_start_timeout(&cfg, majors[n - 1]);

    /* Ending badly, on the oldest and the newest version. */
    test_worker_killed(&cfg, majors[0], 20);
    test_worker_killed(&cfg, majors[n - 1], 21);
    test_reap_live(&cfg, majors[n - 1], 22);
    test_clean(&cfg, majors[n - 1]);
    test_template_race(&pgs, majors[0], run_id + 2);

    err_clear(&err);
    CHECK(ops->clean(&cold, cold.run_id, &err) == 0, "cold run left nothing: %s", err.msg);
    remove_tree(cold_cache);
    backend_cfg_free(&cold);
    backend_cfg_free(&cfg);
    pginstall_free(&pgs);
    return t_done("test_embedded");
}
