/*
 * embedded: throwaway PostgreSQL servers from local binaries.
 *
 * Life of a container (worker side):
 *   1. drop root for good (setgroups, setgid, setuid), when the parent is root;
 *   2. make sure the installation has a template: initdb once into a temp
 *      directory beside <cache>/templates/<version>-<hash>, then rename()
 *      into place, so racing workers both end up with a complete template;
 *   3. the data directory <runtime_root>/w<seq>/data (0700): an overlay of
 *      the template where the sandbox can mount one (its upper keeps, from
 *      one server in the directory to the next, the files copied up and
 *      never changed: reuse_dir), else a copy;
 *   4. fork+exec postgres directly, with the socket in that directory, no
 *      TCP listener, durability off, and PR_SET_PDEATHSIG so it dies with
 *      the worker; wait until it answers SHOW server_version (pgconn, with a
 *      deadline). The postmaster runs in a sandbox (runner/sandbox.h) when
 *      the kernel allows user namespaces.
 * The parent cleans what a dead worker left behind (reap) and what a killed
 * run left behind (clean): the postmaster, if still alive, its SysV shared
 * memory segment, and the directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "runner/embedded.h"
#include "runner/pgconn.h"
#include "runner/sandbox.h"
#include "model/versions.h"

extern char **environ;

#define SOCKET_NAME "/.s.PGSQL.5432"
#define INITDB_BUDGET_MS 120000
#define STOP_BUDGET_MS 5000
#define REAP_BUDGET_MS 2000
#define DEFAULT_START_TIMEOUT_MS 30000
#define LOG_TAIL_BYTES 600
#define PING_BUDGET_MS 2000 /* one attempt to reach a starting server */

/* ---- small helpers ----------------------------------------------------------- */

static void sleep_ms(double ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)((ms - (time_t)(ms / 1000) * 1000) * 1e6)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* 32-bit FNV-1a: a short, stable name for a bin directory. */
static unsigned fnv1a(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

/* True while pid runs (a zombie counts as gone). Reaps it when it is our child. */
static bool proc_alive(pid_t pid)
{
    if (pid <= 0) return false;
    int st;
    if (waitpid(pid, &st, WNOHANG) == pid) return false;
    if (kill(pid, 0) != 0 && errno != EPERM) return false;
    char s = proc_state(pid);
    if (s == 'Z' || s == 'X') {
        waitpid(pid, &st, WNOHANG); /* it died since the first look: reap it if it is ours */
        return false;
    }
    return s != 0;
}

/* Waits up to budget_ms for pid to be gone. */
static bool proc_wait_gone(pid_t pid, int budget_ms)
{
    double deadline = now_ms() + budget_ms;
    double pause = 0.5;
    while (proc_alive(pid)) {
        if (now_ms() >= deadline) return false;
        sleep_ms(pause);
        if (pause < 20) pause *= 2;
    }
    return true;
}

/* True when pid is a postgres whose working directory is dir (the postmaster
 * chdir()s into its data directory). When cwd cannot be read (another user's
 * process and we are not root), the executable's name is enough. */
static bool proc_is_postgres_of(pid_t pid, const char *dir)
{
    char path[64], target[PATH_MAX];
    bool named = false;
    snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(path, target, sizeof(target) - 1);
    if (n > 0) {
        target[n] = '\0';
        const char *base = strrchr(target, '/');
        named = strncmp(base ? base + 1 : target, "postgres", 8) == 0;
    } else {
        snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            n = read(fd, target, sizeof(target) - 1);
            close(fd);
            if (n > 0) {
                target[n] = '\0';
                const char *base = strrchr(target, '/');
                named = strncmp(base ? base + 1 : target, "postgres", 8) == 0;
            }
        }
    }
    if (!named) return false;
    snprintf(path, sizeof(path), "/proc/%d/cwd", (int)pid);
    n = readlink(path, target, sizeof(target) - 1);
    if (n <= 0) return true;
    target[n] = '\0';
    char resolved[PATH_MAX];
    const char *want = realpath(dir, resolved) ? resolved : dir;
    return strcmp(target, want) == 0;
}

/* The last lines of a log file, at most LOG_TAIL_BYTES; malloc'd, never NULL. */
static char *log_tail(const char *path)
{
    char *text = NULL;
    size_t len = 0;
    if (file_read_all(path, &text, &len, NULL) != 0) return xstrdup("(no server log)");
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        text[--len] = '\0';
    const char *start = text;
    if (len > LOG_TAIL_BYTES) {
        start = text + len - LOG_TAIL_BYTES;
        const char *nl = strchr(start, '\n');
        if (nl) start = nl + 1;
    }
    char *out = xstrdup(*start ? start : "(empty)");
    free(text);
    return out;
}

/* Where the runs' directories may live when $LOCKMATRIX_RUNTIME is not set:
 * /tmp, unless /tmp is on a disk and /dev/shm is a roomy tmpfs. Containers
 * are copied and removed all the time; on a disk that costs seconds of
 * system time per container (measured: 0.7 s to copy a 28 MB template to
 * ext4, 0.04 s to tmpfs). */
static const char *const runtime_parents[] = {"/tmp", "/dev/shm"};
#define TMPFS_MIN_FREE (1ULL << 30)

static bool is_roomy_tmpfs(const char *path)
{
    struct statfs sf;
    return statfs(path, &sf) == 0 && sf.f_type == TMPFS_MAGIC &&
           (unsigned long long)sf.f_bavail * (unsigned long long)sf.f_bsize >= TMPFS_MIN_FREE &&
           access(path, W_OK | X_OK) == 0;
}

/* Where this run's directory goes: $LOCKMATRIX_RUNTIME or <parent>/lockmatrix-<euid>. */
static char *runtime_base(void)
{
    const char *env = getenv("LOCKMATRIX_RUNTIME");
    if (env && *env) return xstrdup(env);
    const char *parent = runtime_parents[0];
    struct statfs sf;
    if (!(statfs("/tmp", &sf) == 0 && sf.f_type == TMPFS_MAGIC) && is_roomy_tmpfs("/dev/shm"))
        parent = "/dev/shm";
    return xasprintf("%s/lockmatrix-%d", parent, (int)geteuid());
}

/* Changes the owner of a tree (not following symlinks). */
static void chown_tree(const char *path, uid_t uid, gid_t gid)
{
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (lchown(path, uid, gid) != 0) return;
    if (!S_ISDIR(st.st_mode)) return;
    DIR *d = opendir(path);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        char *child = xasprintf("%s/%s", path, de->d_name);
        chown_tree(child, uid, gid);
        free(child);
    }
    closedir(d);
}

/* A directory we create for the run user: mode, then owner when root. */
static int own_dir(const char *path, int mode, const BackendCfg *cfg, Err *err)
{
    if (mkdir(path, (mode_t)mode) != 0 && errno != EEXIST)
        return err_set(err, EXIT_ENV, "could not create directory \"%s\": %s", path,
                       strerror(errno));
    struct stat st;
    if (lstat(path, &st) != 0)
        return err_set(err, EXIT_ENV, "could not stat \"%s\": %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode)) return err_set(err, EXIT_ENV, "\"%s\" is not a directory", path);
    if (cfg->drop_privileges && (st.st_uid != cfg->run_uid || st.st_gid != cfg->run_gid) &&
        lchown(path, cfg->run_uid, cfg->run_gid) != 0)
        return err_set(err, EXIT_ENV, "could not change the owner of \"%s\": %s", path,
                       strerror(errno));
    if ((st.st_mode & 07777) != (mode_t)mode && chmod(path, (mode_t)mode) != 0)
        return err_set(err, EXIT_ENV, "could not change the mode of \"%s\": %s", path,
                       strerror(errno));
    return 0;
}

/* ---- prepare (parent) ---------------------------------------------------------- */

static int resolve_run_user(BackendCfg *cfg, Err *err)
{
    const char *name = getenv("LOCKMATRIX_USER");
    struct passwd *pw;
    if (name && *name) {
        pw = getpwnam(name);
        if (!pw)
            return err_set(err, EXIT_ENV, "no user \"%s\" (from LOCKMATRIX_USER) on this machine",
                           name);
    } else {
        pw = getpwnam("lockmatrix");
        if (!pw) pw = getpwnam("nobody");
        if (!pw)
            return err_set(
                err, EXIT_ENV,
                "running as root, but there is no unprivileged user to run PostgreSQL as\n"
                "hint: run \"make setup\" (it creates the user \"lockmatrix\"), or set "
                "LOCKMATRIX_USER");
    }
    if (pw->pw_uid == 0)
        return err_set(err, EXIT_ENV, "user \"%s\" is root: PostgreSQL refuses to run as root",
                       pw->pw_name);
    cfg->drop_privileges = true;
    cfg->run_uid = pw->pw_uid;
    cfg->run_gid = pw->pw_gid;
    return 0;
}

/* The directory that holds every run's directory. The default one in /tmp
 * must be ours (someone else could have made it first), and is 0711: the run
 * user passes through it to its r<run> directory but cannot list it. */
static int make_runtime_base(const char *base, Err *err)
{
    const char *env = getenv("LOCKMATRIX_RUNTIME");
    if (env && *env) return mkdir_p(base, 0711, err);
    if (mkdir(base, 0711) != 0 && errno != EEXIST)
        return err_set(err, EXIT_ENV, "could not create directory \"%s\": %s", base,
                       strerror(errno));
    struct stat st;
    if (lstat(base, &st) != 0)
        return err_set(err, EXIT_ENV, "could not stat \"%s\": %s", base, strerror(errno));
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid())
        return err_set(
            err, EXIT_ENV,
            "\"%s\" is not a directory owned by uid %d\nhint: remove it, or set LOCKMATRIX_RUNTIME",
            base, (int)geteuid());
    if ((st.st_mode & 07777) != 0711 && chmod(base, 0711) != 0)
        return err_set(err, EXIT_ENV, "could not change the mode of \"%s\": %s", base,
                       strerror(errno));
    return 0;
}

static int write_owner(const char *rundir)
{
    char *path = xasprintf("%s/owner", rundir);
    FILE *f = fopen(path, "we");
    free(path);
    if (!f) return -1;
    fprintf(f, "%d %llu\n", (int)getpid(), proc_starttime(getpid()));
    return fclose(f);
}

static bool run_owner_alive(const char *rundir);
static int reap_instances(const char *rundir);

static int embedded_prepare(BackendCfg *cfg, const int *majors, int nmajors, Err *err)
{
    Buf missing;
    buf_init(&missing);
    int nmissing = 0;
    /* A named minor release not installed: say what is, and how to fetch it. */
    for (int i = 0; i < nmajors; i++)
        if (version_minor(majors[i]) >= 0 && !pginstall_get(cfg->pgs, majors[i])) {
            const char *name = VERSION_NAME(majors[i]);
            pginstall_describe_major(cfg->pgs, version_major(majors[i]), &missing);
            err_set(err, EXIT_ENV,
                    "PostgreSQL %s is not installed (installed of %d: %s)\n"
                    "hint: \"%s pg fetch %s\" fetches it into the cache",
                    name, version_major(majors[i]), missing.data, "lockmatrix", name);
            buf_free(&missing);
            return -1;
        }
    for (int i = 0; i < nmajors; i++)
        if (!pginstall_get(cfg->pgs, majors[i])) {
            buf_printf(&missing, "%s%d", nmissing ? ", " : "", majors[i]);
            nmissing++;
        }
    if (nmissing) {
        err_set(err, EXIT_ENV,
                "no PostgreSQL installation for version%s %s\n"
                "hint: run \"make setup\" to fill the cache, or give --pg-bin VERSION=DIR",
                nmissing > 1 ? "s" : "", missing.data);
        buf_free(&missing);
        return -1;
    }
    buf_free(&missing);

    if (cfg->start_timeout_ms <= 0) cfg->start_timeout_ms = DEFAULT_START_TIMEOUT_MS;
    if (geteuid() == 0 && resolve_run_user(cfg, err) != 0) return -1;

    /* The runtime root: short, private, owned by the run user. */
    char *base = runtime_base();
    if (make_runtime_base(base, err) != 0) {
        free(base);
        return -1;
    }
    free(cfg->runtime_root);
    /* Run ids are per store: the scheduler's pid keeps two runs with the same
     * id (two stores) apart. */
    cfg->runtime_root = xasprintf("%s/r%lld-%d", base, cfg->run_id, (int)getpid());
    free(base);
    size_t socklen = strlen(cfg->runtime_root) + strlen("/w1234567890" SOCKET_NAME);
    if (socklen >= sizeof(((struct sockaddr_un *)0)->sun_path))
        return err_set(
            err, EXIT_ENV,
            "runtime directory \"%s\" is too long for a Unix socket path (%zu bytes, at most %zu)\n"
            "hint: set LOCKMATRIX_RUNTIME to a shorter directory",
            cfg->runtime_root, socklen, sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
    if (own_dir(cfg->runtime_root, 0700, cfg, err) != 0) return -1;
    /* The same run prepared again (resumed): what its dead owner left goes. */
    if (!run_owner_alive(cfg->runtime_root)) reap_instances(cfg->runtime_root);
    if (write_owner(cfg->runtime_root) != 0)
        return err_set(err, EXIT_ENV, "could not write \"%s/owner\": %s", cfg->runtime_root,
                       strerror(errno));

    /* Templates: written by the workers, so owned by the run user. */
    if (!cfg->cache_dir) cfg->cache_dir = pginstall_cache_dir();
    if (mkdir_p(cfg->cache_dir, 0755, err) != 0) return -1;
    char *tdir = xasprintf("%s/templates", cfg->cache_dir);
    int rc = own_dir(tdir, 0755, cfg, err);
    if (rc == 0 && cfg->drop_privileges) {
        /* Templates made earlier as another user are handed over. */
        DIR *d = opendir(tdir);
        struct dirent *de;
        while (d && (de = readdir(d)) != NULL) {
            if (de->d_name[0] == '.') continue;
            char *t = xasprintf("%s/%s", tdir, de->d_name);
            struct stat st;
            if (lstat(t, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid != cfg->run_uid)
                chown_tree(t, cfg->run_uid, cfg->run_gid);
            free(t);
        }
        if (d) closedir(d);
    }
    free(tdir);
    return rc;
}

/* ---- start (worker) ------------------------------------------------------------- */

static int drop_privileges(const BackendCfg *cfg, Err *err)
{
    if (!cfg->drop_privileges) return 0;
    if (geteuid() != 0) {
        if (geteuid() == cfg->run_uid && getuid() == cfg->run_uid)
            return 0; /* already done in this process */
        return err_set(err, EXIT_ENV, "cannot switch to uid %d: not running as root",
                       (int)cfg->run_uid);
    }
    if (setgroups(0, NULL) != 0)
        return err_set(err, EXIT_ENV, "could not drop supplementary groups: %s", strerror(errno));
    if (setgid(cfg->run_gid) != 0)
        return err_set(err, EXIT_ENV, "could not switch to gid %d: %s", (int)cfg->run_gid,
                       strerror(errno));
    if (setuid(cfg->run_uid) != 0)
        return err_set(err, EXIT_ENV, "could not switch to uid %d: %s", (int)cfg->run_uid,
                       strerror(errno));
    if (getuid() != cfg->run_uid || geteuid() != cfg->run_uid || getgid() != cfg->run_gid ||
        getegid() != cfg->run_gid || setuid(0) == 0)
        return err_set(err, EXIT_ENV, "could not drop root privileges for good");
    /* setuid() made us non-dumpable; nothing privileged is left, so let the
     * run user (and LeakSanitizer, core dumps) look at this process again. */
    prctl(PR_SET_DUMPABLE, 1);
    return 0;
}

/* Runs argv (no shell) in dir with stdout and stderr appended to log and
 * extra_env added to the environment; waits up to budget_ms. Returns the wait
 * status, -1 with err when it could not run or overran. */
static int run_logged(char *const argv[], const char *extra_env, const char *dir, const char *log,
                      int budget_ms, Err *err)
{
    /* The environment, with extra_env ("NAME=value") replacing NAME. */
    size_t n = 0;
    while (environ[n])
        n++;
    char **envp = xcalloc(n + 2, sizeof(*envp));
    size_t k = 0, namelen = extra_env ? strcspn(extra_env, "=") + 1 : 0;
    for (size_t i = 0; i < n; i++)
        if (!extra_env || strncmp(environ[i], extra_env, namelen) != 0) envp[k++] = environ[i];
    if (extra_env) envp[k++] = (char *)extra_env;
    envp[k] = NULL;

    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        free(envp);
        return err_set(err, EXIT_ENV, "could not fork: %s", strerror(errno));
    }
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || nul < 0 || dup2(nul, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0 ||
            chdir(dir) != 0)
            _exit(126);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        execve(argv[0], argv, envp);
        _exit(127);
    }
    free(envp);
    double deadline = now_ms() + budget_ms;
    double pause = 1;
    for (;;) {
        int st;
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid) return st;
        if (w < 0 && errno != EINTR)
            return err_set(err, EXIT_ENV, "could not wait for \"%s\": %s", argv[0],
                           strerror(errno));
        if (now_ms() >= deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return err_set(err, EXIT_ENV, "\"%s\" did not finish within %d ms", argv[0], budget_ms);
        }
        sleep_ms(pause);
        if (pause < 20) pause *= 2;
    }
}

static bool is_template(const char *dir)
{
    char *p = xasprintf("%s/PG_VERSION", dir);
    bool ok = access(p, F_OK) == 0;
    free(p);
    return ok;
}

static char *ensure_template_locked(const BackendCfg *cfg, const PgInstall *pi, char *tpl,
                                    bool with_dbs, Err *err);
static int template_add_databases(const PgInstall *pi, const char *data, const char *log, Err *err);

/* <cache>/templates/<version>-<hash>, made by initdb when missing, and with
 * with_dbs its job databases and their relcache init files (INIT_FILES):
 * <version>-<hash>-db<BACKEND_JOB_DBS>-init. Returns
 * the path (free()) or NULL with err. */
static char *ensure_template(const BackendCfg *cfg, const PgInstall *pi, bool with_dbs, Err *err)
{
    char *tpl = with_dbs ? xasprintf("%s/templates/%s-%08x-db%d-init", cfg->cache_dir, pi->version,
                                     fnv1a(pi->bindir), BACKEND_JOB_DBS)
                         : xasprintf("%s/templates/%s-%08x", cfg->cache_dir, pi->version,
                                     fnv1a(pi->bindir));
    if (is_template(tpl)) return tpl;

    /* One initdb per template: a second worker waits for the first one's
     * (without the lock, both would run and the rename keeps one). */
    char *lockp = xasprintf("%s/templates/.%s-%08x%s.lock", cfg->cache_dir, pi->version,
                            fnv1a(pi->bindir), with_dbs ? "-db" : "");
    int lfd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    free(lockp);
    if (lfd >= 0) {
        double deadline = now_ms() + INITDB_BUDGET_MS;
        while (flock(lfd, LOCK_EX | LOCK_NB) != 0 && now_ms() < deadline)
            sleep_ms(10);
        if (is_template(tpl)) {
            close(lfd);
            return tpl;
        }
    }
    char *result = ensure_template_locked(cfg, pi, tpl, with_dbs, err);
    if (lfd >= 0) close(lfd);
    return result;
}

/* The initdb part of ensure_template; takes tpl (returned, or freed on error). */
static char *ensure_template_locked(const BackendCfg *cfg, const PgInstall *pi, char *tpl,
                                    bool with_dbs, Err *err)
{
    char *tmp =
        xasprintf("%s/templates/.%s-%08x.XXXXXX", cfg->cache_dir, pi->version, fnv1a(pi->bindir));
    if (!mkdtemp(tmp)) {
        err_set(err, EXIT_ENV, "could not create a directory in \"%s/templates\": %s",
                cfg->cache_dir, strerror(errno));
        free(tmp);
        free(tpl);
        return NULL;
    }
    char *data = xasprintf("%s/data", tmp);
    char *log = xasprintf("%s/initdb.log", tmp);
    char *initdb = xasprintf("%s/initdb", pi->bindir);
    char *argv[16];
    int a = 0;
    argv[a++] = initdb;
    argv[a++] = "-D";
    argv[a++] = data;
    argv[a++] = "-A";
    argv[a++] = "trust";
    argv[a++] = "-N";
    argv[a++] = "-U";
    argv[a++] = "postgres";
    argv[a++] = "-E";
    argv[a++] = "UTF8";
    argv[a++] = "--locale=C";
    if (pi->major >= 11)
        argv[a++] = "--wal-segsize=1"; /* 1 MB WAL segments: 15 MB less to copy per container */
    argv[a] = NULL;

    /* TZ=UTC: initdb takes the time zone from TZ instead of scanning zoneinfo,
     * and every server reports times the same way. */
    int st = run_logged(argv, "TZ=UTC", tmp, log, INITDB_BUDGET_MS, err);
    char *result = NULL;
    if (st >= 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
        char *tail = log_tail(log);
        err_set(err, EXIT_ENV, "initdb of PostgreSQL %s into \"%s\" failed (%s %d):\n%s",
                pi->version, data, WIFEXITED(st) ? "exit code" : "signal",
                WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), tail);
        free(tail);
    } else if (st >= 0 && with_dbs && template_add_databases(pi, data, log, err) != 0) {
        /* err says why */
    } else if (st >= 0) {
        if (rename(data, tpl) == 0 || is_template(tpl)) /* another worker may have won */
            result = tpl;
        else
            err_set(err, EXIT_ENV, "could not rename \"%s\" to \"%s\": %s", data, tpl,
                    strerror(errno));
    }
    if (result && with_dbs) {
        /* the template this one replaces (an earlier build's: job databases
         * without their init files): moved out of the way, then removed */
        char *old = xasprintf("%s/templates/%s-%08x-db%d", cfg->cache_dir, pi->version,
                              fnv1a(pi->bindir), BACKEND_JOB_DBS);
        char *gone = xasprintf("%s/old", tmp);
        if (rename(old, gone) == 0) remove_tree(gone);
        free(gone);
        free(old);
    }
    remove_tree(tmp);
    free(initdb);
    free(log);
    free(data);
    free(tmp);
    if (!result) free(tpl);
    return result;
}

/* The postmaster.pid of the server of instance directory dir: in its data
 * directory dir/data, seen through dir/upper where that is an overlay, or
 * in dir itself (a template's server, a directory of an earlier release).
 * 0 with *text (and *data, the data directory, when wanted), -1 when there
 * is none. */
static int pidfile_read(const char *dir, char **text, char **data)
{
    static const char *const where[][2] = {{"/data/postmaster.pid", "/data"},
                                           {"/upper/postmaster.pid", "/data"},
                                           {"/postmaster.pid", ""}};
    for (size_t i = 0; i < ARRAY_LEN(where); i++) {
        char *path = xasprintf("%s%s", dir, where[i][0]);
        int rc = file_read_all(path, text, NULL, NULL);
        free(path);
        if (rc == 0) {
            if (data) *data = xasprintf("%s%s", dir, where[i][1]);
            return 0;
        }
    }
    return -1;
}

/* The server of a container's directory, gone: the postmaster if it still
 * runs (SIGQUIT, then SIGKILL; it exits after its last backend), its SysV
 * shared memory segment. The directory stays. */
static void reap_server(const char *dir)
{
    char *text = NULL, *data = NULL;
    if (pidfile_read(dir, &text, &data) == 0) {
        /* Line 1: pid; line 7: "<key> <shmid>" of the SysV segment. */
        pid_t pid = (pid_t)strtol(text, NULL, 10);
        unsigned long key = 0, shmid = 0;
        bool have_shm = false;
        char *line = text;
        for (int i = 1; line && i < 7; i++) {
            line = strchr(line, '\n');
            if (line) line++;
        }
        if (line && sscanf(line, "%lu %lu", &key, &shmid) == 2) have_shm = true;
        if (pid > 0 && proc_alive(pid) && proc_is_postgres_of(pid, data)) {
            kill(pid, SIGQUIT);
            if (!proc_wait_gone(pid, REAP_BUDGET_MS)) {
                kill(pid, SIGKILL);
                proc_wait_gone(pid, REAP_BUDGET_MS);
            }
        }
        bool running = pid > 0 && proc_alive(pid) && proc_is_postgres_of(pid, data);
        if (have_shm && !running) {
            struct shmid_ds ds;
            if (shmctl((int)shmid, IPC_STAT, &ds) == 0 && (unsigned long)ds.shm_perm.__key == key &&
                (ds.shm_nattch == 0 || ds.shm_cpid == pid))
                shmctl((int)shmid, IPC_RMID, NULL); /* gone once the last backend detaches */
        }
        free(text);
        free(data);
    }
}

/* Everything a container's directory may hold, gone: its server
 * (reap_server), the directory. */
static void reap_dir(const char *dir)
{
    reap_server(dir);
    remove_tree(dir);
}

/* An overlay directory's mark of whiteouts below it ("opaque": made again
 * after a delete) or of a rename: trusted.* for a mount by root, user.* for
 * one in a user namespace (userxattr). */
static bool ovl_marked(const char *path)
{
    static const char *const names[] = {"user.overlay.opaque", "trusted.overlay.opaque",
                                        "user.overlay.redirect", "trusted.overlay.redirect"};
    for (size_t i = 0; i < ARRAY_LEN(names); i++) {
        char v[8];
        if (lgetxattr(path, names[i], v, sizeof(v)) >= 0 || errno == ERANGE) return true;
    }
    return false;
}

/* Prunes upper, the upper directory of an overlay on lower whose server is
 * gone, so that the next server on it starts from lower's state with the
 * files it is likely to open already copied up: opening a file for writing
 * (PostgreSQL opens every relation file so, even to read it) copies the
 * whole file up, and a job's backend opens some 60 catalog files of its
 * database. What stays: a regular file lower has too, of the same size and
 * modification time to the nanosecond (a copy-up keeps the lower file's
 * times, and every write, truncation or extension sets them: the server
 * only read it, so its bytes are lower's). Everything else goes: files
 * written or made, whiteouts of deleted ones, directories made again
 * (opaque) or renamed, anything lower has not. Returns the files kept. */
static long prune_upper(const char *upper, const char *lower)
{
    DIR *d = opendir(upper);
    if (!d) return 0;
    long kept = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        char *u = xasprintf("%s/%s", upper, de->d_name);
        char *l = xasprintf("%s/%s", lower, de->d_name);
        struct stat us, ls;
        bool below = lstat(l, &ls) == 0;
        if (lstat(u, &us) != 0) {
            /* gone already */
        } else if (S_ISDIR(us.st_mode) && below && S_ISDIR(ls.st_mode) && !ovl_marked(u)) {
            kept += prune_upper(u, l);
        } else if (S_ISREG(us.st_mode) && below && S_ISREG(ls.st_mode) &&
                   us.st_size == ls.st_size && us.st_mtim.tv_sec == ls.st_mtim.tv_sec &&
                   us.st_mtim.tv_nsec == ls.st_mtim.tv_nsec) {
            kept++;
        } else {
            remove_tree(u);
        }
        free(u);
        free(l);
    }
    closedir(d);
    return kept;
}

/* Readies dir, a container's directory whose server is gone, for a new
 * server on the template tpl: when its last server ran on an overlay of
 * tpl (the mark "overlay" names it), everything but the upper directory
 * goes and that is pruned (prune_upper); else all of it goes. */
static void reuse_dir(const char *dir, const char *tpl)
{
    char *mark = xasprintf("%s/overlay", dir);
    char *was = NULL;
    bool same = file_read_all(mark, &was, NULL, NULL) == 0 && strcmp(was, tpl) == 0;
    free(was);
    free(mark);
    if (!same) {
        remove_tree(dir);
        return;
    }
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
            strcmp(de->d_name, "upper") == 0)
            continue;
        char *child = xasprintf("%s/%s", dir, de->d_name);
        remove_tree(child);
        free(child);
    }
    if (d) closedir(d);
    char *upper = xasprintf("%s/upper", dir);
    prune_upper(upper, tpl);
    free(upper);
}

/* conninfo value, quoted when it needs to be. Returns a malloc'd string. */
static char *conn_quote(const char *v)
{
    if (!strpbrk(v, " '\\\t") && *v) return xstrdup(v);
    Buf b;
    buf_init(&b);
    buf_putc(&b, '\'');
    for (; *v; v++) {
        if (*v == '\'' || *v == '\\') buf_putc(&b, '\\');
        buf_putc(&b, *v);
    }
    buf_putc(&b, '\'');
    return buf_steal(&b);
}

/* The oid of job database k as data/lockmatrix.dbs lists it, 0 when missing. */
static unsigned job_db_oid(const char *data, int k)
{
    char *path = xasprintf("%s/lockmatrix.dbs", data);
    char *text = NULL;
    unsigned oid = 0;
    if (file_read_all(path, &text, NULL, NULL) == 0) {
        const char *line = text;
        for (int i = 1; line && i < k; i++) {
            line = strchr(line, '\n');
            if (line) line++;
        }
        if (line) oid = (unsigned)strtoul(line, NULL, 10);
        free(text);
    }
    free(path);
    return oid;
}

/* "\n<oid>\n<oid>\n" of the job databases of template tpl ("" when it has
 * none listed); owned. */
static char *job_db_oids(const char *tpl)
{
    char *path = xasprintf("%s/lockmatrix.dbs", tpl);
    char *text = NULL;
    char *oids =
        file_read_all(path, &text, NULL, NULL) == 0 ? xasprintf("\n%s", text) : xstrdup("");
    free(text);
    free(path);
    return oids;
}

/* copy_tree_skip: the job databases' directories stay behind (use_db copies
 * each when a job first needs it). */
static bool skip_job_db(const char *rel, void *ctx)
{
    const char *oids = ctx; /* "\n<oid>\n<oid>\n..." */
    if (strncmp(rel, "base/", 5) != 0 || strchr(rel + 5, '/')) return false;
    char key[32];
    snprintf(key, sizeof(key), "\n%s\n", rel + 5);
    return strstr(oids, key) != NULL;
}

/* Starts postgres on data, its socket in dir (the sandbox's writable
 * directory). tpl: data is dir/data, an empty directory to fill from that
 * template: with overlay, an overlay of it where the sandbox can mount one (dir/upper
 * takes the changes; dir/overlay is made to say so), else a copy without the
 * job databases (use_db copies each when first needed). NULL: data is
 * complete already. */
static pid_t spawn_postmaster(const PgInstall *pi, const char *dir, const char *data,
                              const char *tpl, bool overlay, const char *log, Err *err)
{
    char *postgres = xasprintf("%s/postgres", pi->bindir);
    char *argv[64];
    int a = 0;
    argv[a++] = postgres;
    argv[a++] = "-D";
    argv[a++] = (char *)data;
    argv[a++] = "-k";
    argv[a++] = (char *)dir;
    static char *const settings[] = {
        "listen_addresses=", /* no TCP at all: the socket in dir only */
        "port=5432",
        "unix_socket_permissions=0700",
        "fsync=off", /* throwaway data: no durability */
        "synchronous_commit=off",
        "full_page_writes=off",
        "max_connections=30",
        /* PostgreSQL's default, room for the catalog pages of a server's
         * 32 job databases: a dirty buffer evicted would be written to its
         * file, which the next server in the directory copies up again
         * (reuse_dir) */
        "shared_buffers=128MB",
        "huge_pages=off",
        "dynamic_shared_memory_type=mmap", /* in dir/pg_dynshmem: nothing left in /dev/shm */
        "autovacuum=off",                  /* no background locks in the traces */
        "log_min_messages=warning",
        "logging_collector=off",
    };
    for (size_t i = 0; i < ARRAY_LEN(settings); i++) {
        argv[a++] = "-c";
        argv[a++] = settings[i];
    }
    if (pi->major >= 11) {
        argv[a++] = "-c";
        argv[a++] = "jit=off";
    }
    /* WAL segments past the last checkpoint are removed, not kept for reuse:
     * a template keeps none of its CREATE DATABASEs' WAL (two segments: 1 MB
     * from 11 on, initdb --wal-segsize=1; 16 MB on 10) */
    argv[a++] = "-c";
    argv[a++] = pi->major >= 11 ? "min_wal_size=2MB" : "min_wal_size=32MB";
    argv[a] = NULL;

    pid_t parent = getpid();
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        free(postgres);
        err_set(err, EXIT_ENV, "could not fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        /* The postmaster dies with its worker; a worker that already died
         * before prctl took effect means no one wants this server. It stays
         * in the worker's process group, so killing that group kills it too. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(1);
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || nul < 0 || dup2(nul, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0 ||
            chdir(dir) != 0)
            _exit(126);
        SandboxMode sb = sandbox_mode();
        char *upper = xasprintf("%s/upper", dir), *work = xasprintf("%s/work", dir);
        SandboxOverlay ov = {.lower = tpl, .upper = upper, .work = work, .target = data};
        bool overlaid = false;
        if (sb != SANDBOX_OFF) {
            char why[256];
            if (sandbox_enter(dir, tpl && overlay ? &ov : NULL, &overlaid, why, sizeof(why)) != 0) {
                if (sb == SANDBOX_REQUIRED) {
                    fprintf(stderr, "lockmatrix: no sandbox for the server: %s\n", why);
                    _exit(125); /* LOCKMATRIX_SANDBOX=1: a sandbox or no server */
                }
                fprintf(stderr, "lockmatrix: the server runs without a sandbox: %s\n", why);
            } else if (chdir(dir) != 0) {
                _exit(126);
            }
        }
        if (tpl && overlaid) {
            /* the mark names the lower directory: the next server in dir
             * keeps what this one copied up and did not change (reuse_dir) */
            char *mark = xasprintf("%s/overlay", dir);
            int mfd = open(mark, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
            if (mfd < 0 || write(mfd, tpl, strlen(tpl)) != (ssize_t)strlen(tpl)) _exit(126);
            close(mfd);
        } else if (tpl) {
            Err cerr = {0};
            char *oids = job_db_oids(tpl);
            if (copy_tree_skip(tpl, data, skip_job_db, oids, &cerr) != 0) {
                fprintf(stderr, "lockmatrix: %s\n", cerr.msg);
                _exit(126);
            }
            free(oids);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    free(postgres);
    return pid;
}

/* SIGINT: fast shutdown, a clean data directory (a template's); SIGQUIT:
 * immediate, for a directory thrown away after (no shutdown checkpoint). */
static void stop_postmaster(pid_t pid, int sig)
{
    if (pid <= 0) return;
    kill(pid, sig);
    if (!proc_wait_gone(pid, STOP_BUDGET_MS)) {
        kill(pid, SIGKILL);
        proc_wait_gone(pid, REAP_BUDGET_MS);
    }
}

/* The status line of the postmaster.pid of dir's server (line 8, written
 * since PostgreSQL 10) says the postmaster accepts connections. */
static bool pidfile_ready(const char *dir)
{
    char *text = NULL;
    bool ready = false;
    if (pidfile_read(dir, &text, NULL) == 0) {
        const char *line = text;
        for (int i = 1; line && i < 8; i++) {
            line = strchr(line, '\n');
            if (line) line++;
        }
        ready = line && strncmp(line, "ready", 5) == 0;
        free(text);
    }
    return ready;
}

/* Waits until the postmaster *pid of dir is ready: its postmaster.pid says
 * so (polled: an attempt to connect to a server still starting costs it a
 * backend), then it answers SHOW server_version. 0 with *version (the number
 * alone), or -1 with *failure "exited" (*st its wait status, *pid -1) or
 * "timed out" (why: the last attempt's error). */
static int wait_ready(const char *dir, pid_t *pid, double deadline, char **version,
                      const char **failure, int *st, Err *why)
{
    char *host = conn_quote(dir);
    char *ping = xasprintf("host=%s port=5432 user=postgres dbname=postgres", host);
    free(host);
    double pause = 0.25;
    *version = NULL;
    *failure = NULL;
    for (;;) {
        if (waitpid(*pid, st, WNOHANG) == *pid) {
            *pid = -1;
            *failure = "exited";
            break;
        }
        double left = deadline - now_ms();
        if (pidfile_ready(dir) || left < PING_BUDGET_MS) {
            int attempt = left < 1 ? 1 : left < PING_BUDGET_MS ? (int)left + 1 : PING_BUDGET_MS;
            err_clear(why);
            if (pgconn_query_value(ping, "SHOW server_version", attempt, version, why) == 0 &&
                *version) {
                (*version)[strcspn(*version, " ")] = '\0';
                break;
            }
            free(*version);
            *version = NULL;
        }
        if (now_ms() >= deadline) {
            *failure = "timed out";
            break;
        }
        sleep_ms(pause);
        if (pause < 2) pause *= 2;
    }
    free(ping);
    return *failure ? -1 : 0;
}

/* INIT_FILES: the relcache init file of each job database (pg_internal.init,
 * what a database's first backend writes so that the next ones start without
 * reading the catalogs for it), moved aside in a new template as
 * data/INIT_FILES/<oid> and put back into the running server's data directory
 * by use_db, before any backend connects to the database. A server removes
 * every init file when it starts ("In theory we could leave them in place if
 * the database had been cleanly shut down, but it seems safest to just remove
 * them always", xlog.c): a template is shut down cleanly and nothing changes a
 * job database's catalogs before its first connection, so the file put back
 * is the one the server would write. It saves each job's first backend about
 * 2 ms; a file that cannot be put back costs only that. */
#define INIT_FILES "lockmatrix.init"
#define INIT_FILE "pg_internal.init"

/* Moves the init file of each job database of template data (as
 * data/lockmatrix.dbs lists them) to data/INIT_FILES/<oid>. */
static int save_init_files(const char *data, Err *err)
{
    char *dir = xasprintf("%s/" INIT_FILES, data);
    int rc = mkdir(dir, 0700) == 0
                 ? 0
                 : err_set(err, EXIT_ENV, "could not create \"%s\": %s", dir, strerror(errno));
    for (int k = 1; rc == 0 && k < BACKEND_JOB_DBS; k++) {
        unsigned oid = job_db_oid(data, k);
        char *from = xasprintf("%s/base/%u/" INIT_FILE, data, oid);
        char *to = xasprintf("%s/%u", dir, oid);
        if (rename(from, to) != 0)
            rc = err_set(err, EXIT_ENV, "could not move \"%s\" to \"%s\": %s", from, to,
                         strerror(errno));
        free(from);
        free(to);
    }
    free(dir);
    return rc;
}

/* Puts the init file of job database oid from template tpl into the data
 * directory of the running server pid, seen as its working directory (the
 * postmaster's, inside its sandbox: through the overlay where there is one).
 * Best effort: without it the first backend writes one. */
static void put_init_file(const char *tpl, pid_t pid, unsigned oid)
{
    char *from = xasprintf("%s/" INIT_FILES "/%u", tpl, oid);
    char *tmp = xasprintf("/proc/%d/cwd/base/%u/" INIT_FILE ".lockmatrix", (int)pid, oid);
    char *to = xasprintf("/proc/%d/cwd/base/%u/" INIT_FILE, (int)pid, oid);
    char *text = NULL;
    size_t len = 0;
    if (file_read_all(from, &text, &len, NULL) == 0) {
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        bool ok = fd >= 0 && write(fd, text, len) == (ssize_t)len;
        if (fd >= 0 && close(fd) != 0) ok = false;
        if (ok) (void)link(tmp, to); /* not rename: never over a file the server wrote */
        if (fd >= 0) unlink(tmp);
    }
    free(text);
    free(to);
    free(tmp);
    free(from);
}

/* The job databases lm_1 .. lm_{BACKEND_JOB_DBS - 1}, created once in a new
 * template (data, its server's log into log), with their oids in
 * data/lockmatrix.dbs (one a line, in order): a container copied from the
 * template holds them, ready, instead of creating them (CREATE DATABASE waits
 * for checkpoints, from 15 on writes every page to the WAL). */
static int template_add_databases(const PgInstall *pi, const char *data, const char *log, Err *err)
{
    pid_t pid = spawn_postmaster(pi, data, data, NULL, false, log, err);
    if (pid < 0) return -1;
    const char *failure = NULL;
    char *version = NULL;
    Err why = {0};
    int st = 0, rc = 0;
    if (wait_ready(data, &pid, now_ms() + INITDB_BUDGET_MS, &version, &failure, &st, &why) != 0) {
        char *tail = log_tail(log);
        rc = err_set(err, EXIT_ENV, "the new template of PostgreSQL %s in \"%s\" %s: %s\n%s",
                     pi->version, data, failure, why.msg, tail);
        free(tail);
    }
    free(version);
    char *host = conn_quote(data);
    char *base = xasprintf("host=%s port=5432 user=postgres", host);
    char *ci = xasprintf("%s dbname=postgres", base);
    free(host);
    /* together, they share the checkpoints CREATE DATABASE waits for */
    if (rc == 0)
        rc = pgconn_create_databases(base, BACKEND_JOB_DBS - 1, INITDB_BUDGET_MS, INITDB_BUDGET_MS,
                                     err);
    free(base);
    PgConn *c = rc == 0 ? pgconn_connect(ci, INITDB_BUDGET_MS, err) : NULL;
    free(ci);
    if (rc == 0 && !c) rc = -1;
    Buf oids;
    buf_init(&oids);
    for (int k = 1; rc == 0 && k < BACKEND_JOB_DBS; k++) {
        char sql[128];
        snprintf(sql, sizeof(sql), "SELECT oid FROM pg_catalog.pg_database WHERE datname = 'lm_%d'",
                 k);
        PgReply r;
        PgStatus ps = pgconn_exec(c, sql, INITDB_BUDGET_MS, &r);
        const char *oid = ps == PG_OK ? pgreply_value(&r, 0, 0, 0) : NULL;
        if (oid)
            buf_printf(&oids, "%s\n", oid);
        else
            rc = err_set(err, EXIT_ENV,
                         "no job database lm_%d in a new template of PostgreSQL %s: %s", k,
                         pi->version, r.message ? r.message : "no row");
        pgreply_clear(&r);
    }
    pgconn_close(c);
    /* the first backend in a database writes its relcache init file */
    for (int k = 1; rc == 0 && k < BACKEND_JOB_DBS; k++) {
        char *dci = xasprintf("host=%s port=5432 user=postgres dbname=lm_%d", data, k);
        PgConn *d = pgconn_connect(dci, INITDB_BUDGET_MS, err);
        free(dci);
        if (!d) rc = -1;
        pgconn_close(d);
    }
    if (pid > 0) {
        stop_postmaster(pid, SIGINT); /* a clean shutdown: the template starts without recovery */
        waitpid(pid, &st, 0);
    }
    if (rc == 0) {
        char *path = xasprintf("%s/lockmatrix.dbs", data);
        rc = file_write_out(path, oids.data, oids.len, err);
        free(path);
    }
    if (rc == 0) rc = save_init_files(data, err);
    buf_free(&oids);
    return rc;
}

/* The directory of worker seq's server of turn (its starts, counted): a
 * worker's servers take turns between w<seq> and w<seq>b, so that a retired
 * one shuts down while the next one starts; the one two turns before, long
 * gone, is removed when its directory is used again. */
static char *server_dir(const BackendCfg *cfg, int seq, int turn)
{
    return xasprintf(turn % 2 ? "%s/w%db" : "%s/w%d", cfg->runtime_root, seq);
}

/* The other turn's directory of server directory dir. */
static char *server_dir_other(const char *dir)
{
    size_t n = strlen(dir);
    return n && dir[n - 1] == 'b' ? xasprintf("%.*s", (int)n - 1, dir) : xasprintf("%sb", dir);
}

static int server_turn; /* this worker's server starts so far */

static int embedded_start(const BackendCfg *cfg, int major, int seq, Container *out, Err *err)
{
    double t0 = now_ms();
    memset(out, 0, sizeof(*out));
    out->major = major;
    out->pid = -1;

    const PgInstall *pi = pginstall_get(cfg->pgs, major);
    if (!pi)
        return err_set(err, EXIT_ENV,
                       "no PostgreSQL installation for version %s\nhint: run \"make setup\"",
                       VERSION_NAME(major));
    if (!cfg->runtime_root || !cfg->cache_dir)
        return err_set(err, EXIT_ENV, "the embedded backend was not prepared");
    if (drop_privileges(cfg, err) != 0) return -1;

    bool fast = backend_fast_path();
    char *tpl = ensure_template(cfg, pi, fast, err);
    if (!tpl) return -1;

    char *dir = server_dir(cfg, seq, server_turn++);
    /* the server two turns before, or what an earlier worker of this seq left */
    reap_server(dir);
    reuse_dir(dir, tpl);
    /* dir: the socket, the log; data (PGDATA), and for an overlay its upper
     * and work directories, all 0700 (upper may be there: reuse_dir) */
    char *data = xasprintf("%s/data", dir);
    const char *const subdirs[] = {"data", "upper", "work"};
    int made = mkdir(dir, 0700) == 0 || errno == EEXIST ? 0 : -1;
    for (size_t i = 0; made == 0 && i < ARRAY_LEN(subdirs); i++) {
        char *sub = xasprintf("%s/%s", dir, subdirs[i]);
        bool upper = strcmp(subdirs[i], "upper") == 0;
        made = mkdir(sub, 0700) == 0 || (upper && errno == EEXIST) ? 0 : -1;
        free(sub);
    }
    if (made != 0) {
        err_set(err, EXIT_ENV, "could not create the directory of a server in \"%s\": %s", dir,
                strerror(errno));
        remove_tree(dir);
        free(data);
        free(tpl);
        free(dir);
        return -1;
    }

    char *log = xasprintf("%s/server.log", dir);
    pid_t pid = spawn_postmaster(pi, dir, data, tpl, fast, log, err);
    free(data);
    if (pid < 0) {
        remove_tree(dir);
        free(log);
        free(tpl);
        free(dir);
        return -1;
    }

    /* Ready when it answers a query; a postmaster that exits is noticed at once. */
    int timeout = cfg->start_timeout_ms > 0 ? cfg->start_timeout_ms : DEFAULT_START_TIMEOUT_MS;
    char *host = conn_quote(dir);
    const char *failure = NULL;
    char *version = NULL;
    Err why = {0};
    int st = 0;
    wait_ready(dir, &pid, t0 + timeout, &version, &failure, &st, &why);

    if (failure) {
        if (pid > 0) {
            kill(pid, SIGKILL);
            proc_wait_gone(pid, REAP_BUDGET_MS);
        }
        char *tail = log_tail(log);
        if (strcmp(failure, "exited") == 0 && WIFEXITED(st))
            err_set(err, EXIT_ENV,
                    "PostgreSQL %s in \"%s\" exited with code %d while starting; server log:\n%s\n"
                    "hint: a damaged template is made again once \"%s\" is removed",
                    pi->version, dir, WEXITSTATUS(st), tail, tpl);
        else if (strcmp(failure, "timed out") == 0)
            err_set(err, EXIT_ENV,
                    "PostgreSQL %s in \"%s\" was not ready within %d ms (%s); server log:\n%s",
                    pi->version, dir, timeout, why.msg[0] ? why.msg : "no answer", tail);
        else
            err_set(err, EXIT_ENV, "PostgreSQL %s in \"%s\" %s; server log:\n%s", pi->version, dir,
                    failure, tail);
        free(tail);
        reap_dir(dir);
        free(version);
        free(host);
        free(log);
        free(tpl);
        free(dir);
        return -1;
    }
    free(tpl);

    out->server_version = version;
    out->conninfo = xasprintf("host=%s port=5432 user=postgres", host);
    out->name = xasprintf("r%lld.w%d", cfg->run_id, seq);
    out->dir = dir;
    out->pid = pid;
    out->ready_ms = now_ms() - t0;
    out->dbs = fast ? BACKEND_JOB_DBS : 0;
    free(host);
    free(log);
    return 0;
}

/* Job database k, lm_k: its directory and its relcache init file from the
 * template, before anything connects to it (the server has never touched it,
 * so nothing of it is cached). */
static int embedded_use_db(const BackendCfg *cfg, const Container *c, int k, Err *err)
{
    if (!c->dir) return err_set(err, EXIT_ENV, "no server directory");
    char *mark = xasprintf("%s/overlay", c->dir);
    bool overlay = access(mark, F_OK) == 0; /* else the directory is copied */
    free(mark);
    const PgInstall *pi = pginstall_get(cfg->pgs, c->major);
    char *tpl = pi ? ensure_template(cfg, pi, true, err) : NULL;
    if (!tpl) return pi ? -1 : err_set(err, EXIT_ENV, "no PostgreSQL installation");
    unsigned oid = job_db_oid(tpl, k);
    int rc = 0;
    if (!oid) {
        rc = err_set(err, EXIT_ENV, "the template \"%s\" lists no job database %d", tpl, k);
    } else {
        char *to = xasprintf("%s/data/base/%u", c->dir, oid);
        char *from = xasprintf("%s/base/%u", tpl, oid);
        if (!overlay && access(to, F_OK) != 0) rc = copy_tree(from, to, err);
        if (rc == 0) put_init_file(tpl, c->pid, oid);
        free(from);
        free(to);
    }
    free(tpl);
    return rc;
}

/* ---- stop (worker) ----------------------------------------------------------------- */

static void container_clear(Container *c)
{
    free(c->server_version);
    free(c->conninfo);
    free(c->name);
    free(c->dir);
    free(c->docker_id);
    memset(c, 0, sizeof(*c));
    c->pid = -1;
}

/* The postmaster this worker retired last, until it is reaped: a child of
 * ours, so its pid stays its own (a zombie) until then. */
static pid_t retired = -1;

static void reap_retired(void)
{
    if (retired > 0) stop_postmaster(retired, SIGQUIT); /* long gone: it only reaps it */
    retired = -1;
}

static void embedded_stop(const BackendCfg *cfg, Container *c)
{
    (void)cfg;
    if (!c) return;
    reap_retired();
    stop_postmaster(c->pid, SIGQUIT);
    if (c->dir) {
        reap_dir(c->dir);
        char *other = server_dir_other(c->dir); /* the server retired before it */
        reap_dir(other);
        free(other);
    }
    container_clear(c);
}

/* An immediate shutdown, not waited for: the next server starts in the
 * other directory meanwhile (its socket path too: the postmaster removes its
 * own socket file by name when it exits). */
static void embedded_retire(const BackendCfg *cfg, Container *c)
{
    (void)cfg;
    if (!c) return;
    reap_retired(); /* the one before: 32 jobs ago */
    if (c->pid > 0) kill(c->pid, SIGQUIT);
    retired = c->pid;
    container_clear(c);
}

/* ---- reap and clean (parent) ------------------------------------------------------- */

static void embedded_reap(const BackendCfg *cfg, int seq)
{
    if (!cfg->runtime_root) return;
    for (int turn = 0; turn < 2; turn++) {
        char *dir = server_dir(cfg, seq, turn);
        reap_dir(dir);
        free(dir);
    }
}

/* True when the process that prepared rundir still runs (and is not us). */
static bool run_owner_alive(const char *rundir)
{
    char *path = xasprintf("%s/owner", rundir);
    char *text = NULL;
    bool alive = false;
    if (file_read_all(path, &text, NULL, NULL) == 0) {
        int pid = 0;
        unsigned long long start = 0;
        if (sscanf(text, "%d %llu", &pid, &start) == 2 && pid > 0 && pid != getpid())
            alive = proc_alive(pid) && proc_starttime(pid) == start;
        free(text);
    }
    free(path);
    return alive;
}

/* Removes every instance (w<seq>) of one run directory; returns how many. */
static int reap_instances(const char *rundir)
{
    int count = 0;
    DIR *d = opendir(rundir);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (de->d_name[0] != 'w') continue;
            char *w = xasprintf("%s/%s", rundir, de->d_name);
            struct stat st;
            if (lstat(w, &st) == 0 && S_ISDIR(st.st_mode)) {
                reap_dir(w);
                count++;
            }
            free(w);
        }
        closedir(d);
    }
    return count;
}

/* Removes every instance of one run directory, then the directory. */
static int clean_run(const char *rundir)
{
    int count = reap_instances(rundir);
    remove_tree(rundir);
    return count;
}

/* Cleans one base directory (see runtime_parents); adds to *count. */
static int clean_base(const char *base, long long run_id, int *count, Err *err)
{
    char prefix[32];
    snprintf(prefix, sizeof(prefix), "r%lld-", run_id);
    DIR *d = opendir(base);
    if (!d) {
        if (errno == ENOENT) return 0;
        return err_set(err, EXIT_ENV, "could not open directory \"%s\": %s", base, strerror(errno));
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] != 'r') continue;
        if (run_id >= 0 && strncmp(de->d_name, prefix, strlen(prefix)) != 0) continue;
        char *rundir = xasprintf("%s/%s", base, de->d_name);
        /* A run whose scheduler still runs is not a leftover. */
        if (!run_owner_alive(rundir)) *count += clean_run(rundir);
        free(rundir);
    }
    closedir(d);
    return 0;
}

static int embedded_clean(const BackendCfg *cfg, long long run_id, Err *err)
{
    /* A run cleaning up after itself: its own directory only (run ids are per
     * store: r<id>-<pid> of a dead process may be another store's leftover,
     * which `lockmatrix clean` reports and removes) */
    if (cfg && cfg->runtime_root && run_id == cfg->run_id) {
        struct stat sb;
        return stat(cfg->runtime_root, &sb) == 0 ? clean_run(cfg->runtime_root) : 0;
    }
    int count = 0, rc = 0;
    const char *env = getenv("LOCKMATRIX_RUNTIME");
    if (env && *env) return clean_base(env, run_id, &count, err) == 0 ? count : -1;
    /* Look wherever runtime_base() may have put them. */
    for (size_t i = 0; i < ARRAY_LEN(runtime_parents); i++) {
        char *base = xasprintf("%s/lockmatrix-%d", runtime_parents[i], (int)geteuid());
        if (clean_base(base, run_id, &count, err) != 0) rc = -1;
        free(base);
    }
    return rc == 0 ? count : -1;
}

const BackendOps embedded_backend = {
    .name = "embedded",
    .prepare = embedded_prepare,
    .start = embedded_start,
    .stop = embedded_stop,
    .retire = embedded_retire,
    .reap = embedded_reap,
    .clean = embedded_clean,
    .use_db = embedded_use_db,
};
