/*
 * dockerbackend: the docker backend (BackendOps) on the Engine API client
 * of runner/docker.c (see runner/dockerbackend.h). One container per worker, named
 * lockmatrix-r<run>-w<seq>, labelled lockmatrix.run=<run>, its port 5432
 * published on 127.0.0.1 at a random host port, a random password.
 *
 * Readiness: the server counts as ready when a libpq connection through the
 * published TCP port answers SHOW server_version. The official images run a
 * temporary server for their init scripts, stop it and start the final one;
 * that temporary server listens on the Unix socket only, so a TCP connection
 * can only reach the final server.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner/dockerbackend.h"
#include "runner/pgconn.h"
#include "model/versions.h"

#define DEFAULT_START_TIMEOUT_MS 60000
#define PG_PORT 5432
#define PASSWORD_LEN 24
#define LOG_TAIL 20
/* the tmpfs for the data of an image that sets no PGDATA */
#define DATA_TMPFS "/var/lib/postgresql/data"

/* The API version negotiated by prepare() in the parent; workers forked
 * after it skip the negotiation. */
static char negotiated_api[16];
/* "<pid> <starttime>" of the process that called prepare() (the run's
 * owner), inherited by the workers; see DOCKER_LABEL_OWNER. */
static char run_owner[64];

/* ---- small helpers --------------------------------------------------------- */

char *docker_image_name(const char *tmpl, int major)
{
    if (!tmpl || !*tmpl) tmpl = DOCKER_DEFAULT_IMAGE;
    Buf b;
    buf_init(&b);
    for (const char *p = tmpl; *p;) {
        if (strncmp(p, "{major}", 7) == 0) {
            buf_printf(&b, "%s", VERSION_NAME(major));
            p += 7;
        } else {
            buf_putc(&b, *p++);
        }
    }
    return buf_steal(&b);
}

char *docker_container_name(long long run_id, int seq)
{
    return xasprintf("lockmatrix-r%lld-w%d", run_id, seq);
}

/* PASSWORD_LEN random letters and digits from /dev/urandom into pw. */
static int random_password(char pw[PASSWORD_LEN + 1], Err *err)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char raw[PASSWORD_LEN * 2];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set(err, EXIT_ENV, "could not open \"/dev/urandom\": %s", strerror(errno));
    size_t got = 0;
    while (got < sizeof(raw)) {
        ssize_t r = read(fd, raw + got, sizeof(raw) - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            close(fd);
            return err_set(err, EXIT_ENV, "could not read \"/dev/urandom\": %s",
                           r < 0 ? strerror(errno) : "end of file");
        }
        got += (size_t)r;
    }
    close(fd);
    /* rejection sampling: 62 letters, drop bytes >= 248 to stay uniform */
    size_t n = 0;
    for (size_t i = 0; i < sizeof(raw) && n < PASSWORD_LEN; i++)
        if (raw[i] < 248) pw[n++] = alphabet[raw[i] % 62];
    while (n < PASSWORD_LEN) /* practically never: 48 bytes all >= 248 */
        pw[n] = alphabet[n % 62], n++;
    pw[PASSWORD_LEN] = '\0';
    explicit_bzero(raw, sizeof(raw));
    return 0;
}

static void owner_of(pid_t pid, char *buf, size_t n)
{
    snprintf(buf, n, "%d %llu", (int)pid, proc_starttime(pid));
}

/* True when owner ("<pid> <starttime>") is a process that still runs here. */
static bool owner_alive(const char *owner)
{
    int pid = 0;
    unsigned long long start = 0;
    if (!owner || sscanf(owner, "%d %llu", &pid, &start) != 2 || pid <= 0) return false;
    return proc_starttime(pid) == start;
}

static char *host_name(void)
{
    char h[256] = "";
    if (gethostname(h, sizeof(h) - 1) != 0) h[0] = '\0';
    return xstrdup(h);
}

/* True when a container (its labels in st) belongs to this run's owner or
 * to a lockmatrix that no longer runs here. */
static bool stale_or_ours(const DockerState *st)
{
    if (st->owner && strcmp(st->owner, run_owner) == 0) return true;
    char *here = host_name();
    bool alive = st->host && strcmp(st->host, here) == 0 && owner_alive(st->owner);
    free(here);
    return !alive;
}

static DockerClient *open_client(Err *err)
{
    return docker_open(NULL, negotiated_api[0] ? negotiated_api : NULL, err);
}

/* cfg's budget; $LOCKMATRIX_DOCKER_START_TIMEOUT_MS may lower it (tests of
 * a server that never answers), never raise it: the scheduler's own
 * deadline for a starting worker derives from cfg. */
static int start_timeout(const BackendCfg *cfg)
{
    int t = cfg->start_timeout_ms > 0 ? cfg->start_timeout_ms : DEFAULT_START_TIMEOUT_MS;
    const char *env = getenv("LOCKMATRIX_DOCKER_START_TIMEOUT_MS");
    int e = env ? atoi(env) : 0;
    return e > 0 && e < t ? e : t;
}

/* ---- the operations -------------------------------------------------------------- */

static int docker_prepare(BackendCfg *cfg, const int *majors, int nmajors, Err *err)
{
    DockerClient *dc = docker_open(NULL, NULL, err);
    if (!dc) return -1;
    snprintf(negotiated_api, sizeof(negotiated_api), "%s", docker_api_version(dc));
    owner_of(getpid(), run_owner, sizeof(run_owner));
    int rc = 0;
    for (int i = 0; i < nmajors && rc == 0; i++) {
        char *image = docker_image_name(cfg->image_tmpl, majors[i]);
        Err e = {0};
        int have = docker_image_exists(dc, image, &e);
        if (have < 0) {
            rc = err_set(err, EXIT_ENV, "%s", e.msg);
        } else if (have == 0 && docker_image_pull(dc, image, isatty(2), &e) < 0) {
            rc = err_set(err, EXIT_ENV,
                         "docker image \"%s\" is not available locally and could not be pulled: "
                         "%s\nhint: 'make docker-images' builds postgres:{major}-alpine images "
                         "from the local PostgreSQL binaries",
                         image, e.msg);
        }
        free(image);
    }
    docker_close(dc);
    return rc;
}

/* Removes the container; the reason of a failure is appended to msg. */
static void discard(DockerClient *dc, const char *id, Buf *msg)
{
    Err e = {0};
    if (docker_container_remove(dc, id, &e) < 0)
        buf_printf(msg, "\nand it could not be removed: %s", e.msg);
}

static void append_logs(DockerClient *dc, const char *id, Buf *msg)
{
    char *logs = NULL;
    Err e = {0};
    if (docker_container_logs(dc, id, LOG_TAIL, &logs, &e) < 0) {
        buf_printf(msg, "\n(its log could not be read: %s)", e.msg);
        return;
    }
    size_t n = strlen(logs);
    while (n > 0 && logs[n - 1] == '\n')
        logs[--n] = '\0';
    if (n == 0) {
        buf_puts(msg, "\n(its log is empty)");
    } else {
        /* keep the end: Err holds 1 KiB */
        const char *start = logs;
        if (n > 700) {
            start = logs + n - 700;
            const char *nl = strchr(start, '\n');
            if (nl) start = nl + 1;
        }
        buf_printf(msg, "\nlast lines of its log:\n%s", start);
    }
    free(logs);
}

static int docker_start(const BackendCfg *cfg, int major, int seq, Container *out, Err *err)
{
    double t0 = now_ms();
    double deadline = t0 + start_timeout(cfg);
    memset(out, 0, sizeof(*out));
    DockerClient *dc = open_client(err);
    if (!dc) return -1;
    char pw[PASSWORD_LEN + 1];
    if (random_password(pw, err) < 0) {
        docker_close(dc);
        return -1;
    }
    docker_add_secret(dc, pw);
    char *image = docker_image_name(cfg->image_tmpl, major);
    char *name = docker_container_name(cfg->run_id, seq);
    char *env_pw = xasprintf("POSTGRES_PASSWORD=%s", pw);
    char *l_run = xasprintf("%s=%lld", DOCKER_LABEL_RUN, cfg->run_id);
    char *l_seq = xasprintf("lockmatrix.worker=%d", seq);
    char *l_major = xasprintf("lockmatrix.major=%d", major);
    if (!run_owner[0]) /* start without prepare (tests): this process owns it */
        owner_of(getpid(), run_owner, sizeof(run_owner));
    char *l_owner = xasprintf("%s=%s", DOCKER_LABEL_OWNER, run_owner);
    char *host = host_name();
    char *l_host = xasprintf("%s=%s", DOCKER_LABEL_HOST, host);
    free(host);
    const char *env[] = {env_pw};
    const char *labels[] = {l_run, l_seq, l_major, l_owner, l_host};
    const char *cmd[] = {"postgres",
                         "-c",
                         "fsync=off",
                         "-c",
                         "full_page_writes=off",
                         "-c",
                         "synchronous_commit=off"};
    /* the data on a tmpfs, where the image keeps it: postgres:18 and later
     * moved PGDATA (and the volume) out of /var/lib/postgresql/data */
    char *data_dir = NULL;
    Err de = {0};
    if (docker_image_data_dir(dc, image, &data_dir, &de) < 0) data_dir = NULL;
    DockerCreate opt = {
        .name = name,
        .image = image,
        .env = env,
        .nenv = 1,
        .labels = labels,
        .nlabels = (int)ARRAY_LEN(labels),
        .cmd = cmd,
        .ncmd = (int)ARRAY_LEN(cmd),
        .publish_port = PG_PORT,
        .tmpfs = data_dir ? data_dir : DATA_TMPFS,
    };
    char *id = NULL;
    char *version = NULL;
    char *conninfo = NULL;
    int host_port = 0;
    Buf msg;
    buf_init(&msg);
    Err e = {0};

    /* A container of that name: one left by this run (an earlier attempt)
     * or by a run whose lockmatrix is gone is removed; one of another live
     * run (the same run id in another store) is left alone, and this
     * container takes a name of its own. */
    DockerState old;
    if (docker_container_inspect(dc, name, 0, &old, &e) == 0 && !stale_or_ours(&old)) {
        char *own = xasprintf("%s-p%d", name, atoi(run_owner));
        free(name);
        name = own;
        opt.name = name;
    }
    docker_state_free(&old);
    docker_container_remove(dc, name, &e);
    if (docker_container_create(dc, &opt, &id, &e) < 0) {
        buf_printf(&msg, "could not create a container of image \"%s\": %s", image, e.msg);
        goto fail;
    }
    if (docker_container_start(dc, id, &e) < 0) {
        buf_printf(&msg, "could not start container \"%s\" (image \"%s\"): %s", name, image, e.msg);
        append_logs(dc, id, &msg);
        discard(dc, id, &msg);
        goto fail;
    }

    char *why = NULL;
    for (;;) {
        DockerState st;
        int r = docker_container_inspect(dc, id, PG_PORT, &st, &e);
        if (r != 0) {
            buf_printf(&msg, "container \"%s\" (image \"%s\") vanished while starting%s%s", name,
                       image, r < 0 ? ": " : "", r < 0 ? e.msg : "");
            docker_state_free(&st);
            free(why);
            discard(dc, id, &msg);
            goto fail;
        }
        if (!st.running) {
            buf_printf(
                &msg, "container \"%s\" (image \"%s\") exited with code %d before it was ready%s%s",
                name, image, st.exit_code, st.error[0] ? ": " : "", st.error);
            docker_state_free(&st);
            free(why);
            append_logs(dc, id, &msg);
            discard(dc, id, &msg);
            goto fail;
        }
        if (st.host_port && !conninfo) {
            host_port = st.host_port;
            conninfo = xasprintf("host=127.0.0.1 port=%d user=postgres password=%s sslmode=disable",
                                 host_port, pw);
        }
        docker_state_free(&st);
        if (conninfo) {
            double attempt_end = now_ms() + 2000;
            if (attempt_end > deadline) attempt_end = deadline;
            char *dbinfo = xasprintf("%s dbname=postgres", conninfo);
            Err pe = {0};
            int left = (int)(attempt_end - now_ms());
            int ok = pgconn_query_value(dbinfo, "SHOW server_version", left > 1 ? left : 1,
                                        &version, &pe);
            explicit_bzero(dbinfo, strlen(dbinfo));
            free(dbinfo);
            if (ok == 0 && version) {
                version[strcspn(version, " ")] = '\0';
                break;
            }
            free(version);
            version = NULL;
            /* an attempt cut short by the deadline says less than the one before */
            if (!(why && attempt_end >= deadline && strstr(pe.msg, "timed out"))) {
                free(why);
                why = xstrdup(pe.msg[0] ? pe.msg : "no answer to SHOW server_version");
            }
        }
        if (now_ms() >= deadline) {
            if (host_port)
                buf_printf(&msg,
                           "container \"%s\" (image \"%s\") did not accept connections on "
                           "127.0.0.1:%d within %d ms: %s",
                           name, image, host_port, start_timeout(cfg), why ? why : "no answer");
            else
                buf_printf(
                    &msg,
                    "container \"%s\" (image \"%s\") published no port for %d/tcp within %d ms",
                    name, image, PG_PORT, start_timeout(cfg));
            free(why);
            append_logs(dc, id, &msg);
            discard(dc, id, &msg);
            goto fail;
        }
        poll(NULL, 0, 25);
    }
    free(why);

    out->major = major;
    out->server_version = version;
    out->conninfo = conninfo;
    out->name = name;
    out->docker_id = id;
    out->ready_ms = now_ms() - t0;
    free(image);
    free(data_dir);
    free(env_pw);
    free(l_run);
    free(l_seq);
    free(l_major);
    free(l_owner);
    free(l_host);
    explicit_bzero(pw, sizeof(pw));
    docker_close(dc);
    return 0;

fail:
    /* messages went through the client's scrubber where they came from it;
     * scrub the whole once more before it leaves */
    err_set(err, EXIT_ENV, "%s", msg.data ? msg.data : "could not start a container");
    {
        char *p;
        while (err && (p = strstr(err->msg, pw)) != NULL) {
            memcpy(p, "***", 3);
            memmove(p + 3, p + PASSWORD_LEN, strlen(p + PASSWORD_LEN) + 1);
        }
    }
    buf_free(&msg);
    free(version);
    if (conninfo) explicit_bzero(conninfo, strlen(conninfo));
    free(conninfo);
    free(id);
    free(name);
    free(image);
    free(data_dir);
    explicit_bzero(env_pw, strlen(env_pw));
    free(env_pw);
    free(l_run);
    free(l_seq);
    free(l_major);
    free(l_owner);
    free(l_host);
    explicit_bzero(pw, sizeof(pw));
    docker_close(dc);
    return -1;
}

static void container_free(Container *c)
{
    free(c->server_version);
    if (c->conninfo) explicit_bzero(c->conninfo, strlen(c->conninfo));
    free(c->conninfo);
    free(c->name);
    free(c->dir);
    free(c->docker_id);
    memset(c, 0, sizeof(*c));
}

static void docker_stop(const BackendCfg *cfg, Container *c)
{
    (void)cfg;
    const char *what = c->docker_id ? c->docker_id : c->name;
    if (what) {
        Err e = {0};
        DockerClient *dc = open_client(&e);
        if (!dc || docker_container_remove(dc, what, &e) < 0)
            fprintf(stderr, "lockmatrix: warning: could not remove container \"%s\": %s\n",
                    c->name ? c->name : what, e.msg);
        docker_close(dc);
    }
    container_free(c);
}

/* The containers of worker seq of this run: found by their labels (run,
 * worker, owner), whatever their name; by name when no owner is known. */
static void docker_reap(const BackendCfg *cfg, int seq)
{
    char *name = docker_container_name(cfg->run_id, seq);
    Err e = {0};
    DockerClient *dc = open_client(&e);
    if (dc && run_owner[0]) {
        char *l_run = xasprintf("%s=%lld", DOCKER_LABEL_RUN, cfg->run_id);
        char *l_seq = xasprintf("lockmatrix.worker=%d", seq);
        char *l_owner = xasprintf("%s=%s", DOCKER_LABEL_OWNER, run_owner);
        const char *labels[] = {l_run, l_seq, l_owner};
        DockerContainerInfo *list = NULL;
        size_t n = 0;
        if (docker_container_list_all(dc, labels, 3, &list, &n, &e) < 0)
            fprintf(stderr, "lockmatrix: warning: could not list the containers of worker %d: %s\n",
                    seq, e.msg);
        for (size_t i = 0; i < n; i++)
            if (docker_container_remove(dc, list[i].id, &e) < 0)
                fprintf(stderr, "lockmatrix: warning: could not remove container \"%s\": %s\n",
                        list[i].name, e.msg);
        docker_list_free(list, n);
        free(l_run);
        free(l_seq);
        free(l_owner);
    } else if (!dc || docker_container_remove(dc, name, &e) < 0) {
        fprintf(stderr, "lockmatrix: warning: could not remove container \"%s\": %s\n", name,
                e.msg);
    }
    docker_close(dc);
    free(name);
}

static int docker_clean(const BackendCfg *cfg, long long run_id, Err *err)
{
    DockerClient *dc = open_client(err);
    if (!dc) return -1;
    char *label =
        run_id >= 0 ? xasprintf("%s=%lld", DOCKER_LABEL_RUN, run_id) : xstrdup(DOCKER_LABEL_RUN);
    /* the run cleaning up after itself: only its own containers (another
     * store may have a live run of the same id) */
    char *l_owner = run_id >= 0 && run_id == cfg->run_id && run_owner[0]
                        ? xasprintf("%s=%s", DOCKER_LABEL_OWNER, run_owner)
                        : NULL;
    const char *labels[] = {label, l_owner};
    DockerContainerInfo *list = NULL;
    size_t n = 0;
    int count = 0;
    char *here = host_name();
    if (docker_container_list_all(dc, labels, l_owner ? 2 : 1, &list, &n, err) < 0) {
        count = -1;
    } else {
        for (size_t i = 0; i < n; i++) {
            /* every run: keep those whose lockmatrix still runs on this host */
            if (run_id < 0 && list[i].host && strcmp(list[i].host, here) == 0 &&
                owner_alive(list[i].owner))
                continue;
            Err e = {0};
            int r = docker_container_remove(dc, list[i].id, &e);
            if (r > 0) {
                count++;
            } else if (r < 0) {
                err_set(err, EXIT_ENV, "could not remove container \"%s\": %s", list[i].name,
                        e.msg);
                count = -1;
                break;
            }
        }
    }
    docker_list_free(list, n);
    free(here);
    free(label);
    free(l_owner);
    docker_close(dc);
    return count;
}

const BackendOps docker_backend = {
    .name = "docker",
    .prepare = docker_prepare,
    .start = docker_start,
    .stop = docker_stop,
    .reap = docker_reap,
    .clean = docker_clean,
};
