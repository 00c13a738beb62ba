/*
 * test_docker: the Engine API client and the docker backend against a real
 * dockerd and the local postgres:<major>-alpine images (make docker-images).
 * What the backend does without an engine: test_dockerbackend.
 *
 * Skipped, with a message, only when no Docker engine answers at all.
 * Every container this test makes carries the label lockmatrix.run of a run
 * id of its own (900000 + pid) or the label lockmatrix.test, and is removed.
 *
 * LOCKMATRIX_DOCKER_SAMPLES=N: containers started per version for the
 * time-to-ready figures (default 3).
 */
#include <fcntl.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner/dockerbackend.h"
#include "t.h"

static long long run_id;
static char tag_exits[64], tag_sleeps[64], tag_import[64];

/* ---- helpers ---------------------------------------------------------------- */

static int count_label(DockerClient *dc, const char *label)
{
    DockerContainerInfo *list = NULL;
    size_t n = 0;
    Err err = {0};
    if (docker_container_list(dc, label, &list, &n, &err) < 0) {
        printf("# list %s: %s\n", label, err.msg);
        return -1;
    }
    docker_list_free(list, n);
    return (int)n;
}

static int count_run(DockerClient *dc, long long run)
{
    char label[64];
    snprintf(label, sizeof(label), "%s=%lld", DOCKER_LABEL_RUN, run);
    return count_label(dc, label);
}

static bool container_exists(DockerClient *dc, const char *id)
{
    DockerState st;
    Err err = {0};
    int r = docker_container_inspect(dc, id, 0, &st, &err);
    docker_state_free(&st);
    return r == 0;
}

/* Runs sql on conninfo + dbname=postgres; the first value, malloc'd, or NULL. */
static char *query1(const char *conninfo, const char *sql)
{
    char *ci = xasprintf("%s dbname=postgres connect_timeout=5", conninfo);
    PGconn *c = PQconnectdb(ci);
    free(ci);
    char *out = NULL;
    if (PQstatus(c) == CONNECTION_OK) {
        PGresult *r = PQexec(c, sql);
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
            out = xstrdup(PQgetvalue(r, 0, 0));
        PQclear(r);
    } else {
        printf("# connect: %s", PQerrorMessage(c));
    }
    PQfinish(c);
    return out;
}

/* Writes a one-file ustar archive to path. */
static int write_tar(const char *path, const char *name, const char *content)
{
    unsigned char h[512] = {0};
    size_t len = strlen(content);
    snprintf((char *)h, 100, "%s", name);
    snprintf((char *)h + 100, 8, "%07o", 0644);
    snprintf((char *)h + 108, 8, "%07o", 0);
    snprintf((char *)h + 116, 8, "%07o", 0);
    snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)len & 077777777777ULL);
    snprintf((char *)h + 136, 12, "%011o", 0);
    memset(h + 148, ' ', 8);
    h[156] = '0';
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    unsigned sum = 0;
    for (size_t i = 0; i < sizeof(h); i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    h[155] = ' ';
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    fwrite(h, 1, sizeof(h), f);
    fwrite(content, 1, len, f);
    unsigned char zero[1024] = {0};
    fwrite(zero, 1, (512 - len % 512) % 512, f);
    fwrite(zero, 1, sizeof(zero), f);
    return fclose(f);
}

/* An image made from base with another entrypoint, by create + commit. */
static int make_image(DockerClient *dc, const char *base, const char *ref, const char *entry)
{
    char *repo = xstrndup(ref, (size_t)(strrchr(ref, ':') - ref));
    const char *tag = strrchr(ref, ':') + 1;
    const char *label = "lockmatrix.test=helper";
    DockerCreate o = {.image = base, .labels = &label, .nlabels = 1};
    char *id = NULL;
    Err err = {0};
    int rc = docker_container_create(dc, &o, &id, &err);
    char *change = xasprintf("ENTRYPOINT %s", entry);
    const char *changes[] = {change, "CMD []"};
    if (rc == 0) rc = docker_commit(dc, id, repo, tag, changes, 2, &err);
    if (rc < 0) printf("# make_image %s: %s\n", ref, err.msg);
    if (id) docker_container_remove(dc, id, &err);
    free(id);
    free(change);
    free(repo);
    return rc;
}

/* "<pid> <starttime>" of process pid, like the backend's owner label. */
static char *owner_of_pid(int pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    char line[1024] = "";
    if (f) {
        if (!fgets(line, sizeof(line), f)) line[0] = '\0';
        fclose(f);
    }
    const char *p = strrchr(line, ')');
    int field = 2;
    for (; p && *p && field < 22; p++)
        if (*p == ' ') field++;
    return xasprintf("%d %llu", pid, p ? strtoull(p, NULL, 10) : 0ULL);
}

static char *my_owner(void)
{
    return owner_of_pid((int)getpid());
}

/* Two stores may hold runs of the same id: a container named like ours but
 * owned by another live lockmatrix is left alone (ours takes another name,
 * reap and clean of our run do not touch it); one owned by a lockmatrix
 * that is gone is replaced. */
static void test_name_conflicts(DockerClient *dc)
{
    char host[256] = "";
    gethostname(host, sizeof(host) - 1);
    char *init_owner = owner_of_pid(1); /* a process that runs, not us */
    char *l_run = xasprintf("%s=%lld", DOCKER_LABEL_RUN, run_id);
    char *l_live = xasprintf("%s=%s", DOCKER_LABEL_OWNER, init_owner);
    char *l_dead = xasprintf("%s=%d 1", DOCKER_LABEL_OWNER, (int)getpid());
    char *l_host = xasprintf("%s=%s", DOCKER_LABEL_HOST, host);
    char *n_live = docker_container_name(run_id, 5);
    char *n_dead = docker_container_name(run_id, 6);
    const char *live_labels[] = {l_run, "lockmatrix.worker=5", l_live, l_host};
    const char *dead_labels[] = {l_run, "lockmatrix.worker=6", l_dead, l_host};
    DockerCreate lo = {
        .name = n_live, .image = "postgres:17-alpine", .labels = live_labels, .nlabels = 4};
    DockerCreate dd = {
        .name = n_dead, .image = "postgres:17-alpine", .labels = dead_labels, .nlabels = 4};
    char *live_id = NULL, *dead_id = NULL;
    Err err = {0};
    CHECK(docker_container_create(dc, &lo, &live_id, &err) == 0, "live twin: %s", err.msg);
    CHECK(docker_container_create(dc, &dd, &dead_id, &err) == 0, "dead twin: %s", err.msg);

    BackendCfg cfg = {.name = "docker", .run_id = run_id, .start_timeout_ms = 60000};
    Container c5, c6;
    CHECK(docker_backend.start(&cfg, 17, 5, &c5, &err) == 0, "start w5 next to a live twin: %s",
          err.msg);
    CHECK(docker_backend.start(&cfg, 17, 6, &c6, &err) == 0, "start w6 over a dead twin: %s",
          err.msg);
    char *want5 = xasprintf("%s-p%d", n_live, (int)getpid());
    CHECK_STR(c5.name, want5, "a name of its own next to a live twin");
    CHECK_STR(c6.name, n_dead, "the usual name over a dead twin");
    CHECK(live_id && container_exists(dc, live_id), "the live twin survives");
    CHECK(dead_id && !container_exists(dc, dead_id), "the dead twin is replaced");
    char *id5 = xstrdup(c5.docker_id);
    docker_backend.reap(&cfg, 5);
    CHECK(!container_exists(dc, id5), "reap found w5 by its labels");
    CHECK(live_id && container_exists(dc, live_id), "reap left the live twin");
    CHECK(docker_backend.clean(&cfg, run_id, &err) == 1, "the run's clean: only w6: %s", err.msg);
    CHECK(live_id && container_exists(dc, live_id), "the run's clean left the live twin");
    BackendCfg other = {.name = "docker", .run_id = -1};
    CHECK(docker_backend.clean(&other, run_id, &err) == 1, "clean --run from elsewhere removes it");
    CHECK(live_id && !container_exists(dc, live_id), "gone");
    docker_backend.stop(&cfg, &c5);
    docker_backend.stop(&cfg, &c6);
    free(id5);
    free(want5);
    free(live_id);
    free(dead_id);
    free(n_live);
    free(n_dead);
    free(l_run);
    free(l_live);
    free(l_dead);
    free(l_host);
    free(init_owner);
}

/* A created (not started) container with these labels; its id, malloc'd. */
static char *labelled(DockerClient *dc, const char *const *labels, int n)
{
    DockerCreate o = {.image = "postgres:17-alpine", .labels = labels, .nlabels = n};
    char *id = NULL;
    Err err = {0};
    if (docker_container_create(dc, &o, &id, &err) < 0) printf("# create: %s\n", err.msg);
    return id;
}

static void test_clean_every_run(DockerClient *dc)
{
    char host[256] = "";
    gethostname(host, sizeof(host) - 1);
    char *owner = my_owner();
    char *l_host = xasprintf("%s=%s", DOCKER_LABEL_HOST, host);
    char *l_dead_run = xasprintf("%s=%lld", DOCKER_LABEL_RUN, run_id + 2);
    char *l_dead_owner = xasprintf("%s=%d 1", DOCKER_LABEL_OWNER, (int)getpid());
    char *l_live_run = xasprintf("%s=%lld", DOCKER_LABEL_RUN, run_id + 3);
    char *l_live_owner = xasprintf("%s=%s", DOCKER_LABEL_OWNER, owner);
    const char *dead[] = {l_dead_run, l_dead_owner, l_host};
    const char *live[] = {l_live_run, l_live_owner, l_host};
    const char *foreign[] = {"lockmatrix.test=foreign"};
    char *dead_id = labelled(dc, dead, 3);
    char *live_id = labelled(dc, live, 3);
    char *foreign_id = labelled(dc, foreign, 1);
    CHECK(dead_id && live_id && foreign_id, "three containers for clean");

    BackendCfg cfg = {.name = "docker", .run_id = -1};
    Err err = {0};
    int n = docker_backend.clean(&cfg, -1, &err);
    CHECK(n >= 1, "clean of every run: %d %s", n, err.msg);
    CHECK(dead_id && !container_exists(dc, dead_id), "a run whose owner is gone is removed");
    CHECK(live_id && container_exists(dc, live_id), "a run whose owner runs is kept");
    CHECK(foreign_id && container_exists(dc, foreign_id), "a container without our label is kept");
    CHECK(docker_backend.clean(&cfg, run_id + 3, &err) == 1, "clean of one run removes it");
    CHECK(live_id && !container_exists(dc, live_id), "gone");
    if (foreign_id) docker_container_remove(dc, foreign_id, &err);
    free(dead_id);
    free(live_id);
    free(foreign_id);
    free(owner);
    free(l_host);
    free(l_dead_run);
    free(l_dead_owner);
    free(l_live_run);
    free(l_live_owner);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ---- the cases ------------------------------------------------------------------ */

static void test_unreachable(void)
{
    /* a socket file where nothing listens, a missing socket, a closed TCP port */
    char sock[64];
    snprintf(sock, sizeof(sock), "/tmp/lockmatrix-test-%d.sock", (int)getpid());
    unlink(sock);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
    CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "bind");
    close(fd); /* the file stays, nobody listens */

    char *dead = xasprintf("unix://%s", sock);
    const struct {
        const char *host;
        const char *want; /* in the message */
    } cases[] = {
        {dead, "Connection refused"},
        {"unix:///tmp/lockmatrix-no-such.sock", "No such file or directory"},
        {"tcp://127.0.0.1:1", "cannot reach the Docker engine at \"tcp://127.0.0.1:1\""},
        {"ssh://somewhere", "unsupported DOCKER_HOST"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        Err err = {0};
        DockerClient *dc = docker_open(cases[i].host, NULL, &err);
        CHECK(dc == NULL, "%s opened", cases[i].host);
        CHECK(err.code == 3, "%s: code %d", cases[i].host, err.code);
        CHECK(strstr(err.msg, "cannot reach the Docker engine at \"") != NULL, "%s: \"%s\"",
              cases[i].host, err.msg);
        CHECK(strstr(err.msg, cases[i].want) != NULL, "%s: \"%s\"", cases[i].host, err.msg);
        docker_close(dc);
    }

    setenv("DOCKER_TLS_VERIFY", "1", 1);
    Err terr = {0};
    DockerClient *tdc = docker_open("tcp://127.0.0.1:2376", NULL, &terr);
    CHECK(tdc == NULL && terr.code == 3 &&
              strstr(terr.msg, "TLS (DOCKER_TLS_VERIFY) is not supported"),
          "tls: \"%s\"", terr.msg);
    docker_close(tdc);
    unsetenv("DOCKER_TLS_VERIFY");

    unlink(sock);
    free(dead);
}

/* ---- tcp://: a relay from a TCP port to the engine's Unix socket ----------- */

static void relay(int a, int b)
{
    char buf[65536];
    struct pollfd p[2] = {{.fd = a, .events = POLLIN}, {.fd = b, .events = POLLIN}};
    for (;;) {
        if (poll(p, 2, 30000) <= 0) return;
        for (int i = 0; i < 2; i++) {
            if (!(p[i].revents & (POLLIN | POLLHUP))) continue;
            ssize_t n = read(p[i].fd, buf, sizeof(buf));
            if (n <= 0) return;
            for (ssize_t off = 0; off < n;) {
                ssize_t w = write(p[1 - i].fd, buf + off, (size_t)(n - off));
                if (w <= 0) return;
                off += w;
            }
        }
    }
}

/* Forks a process that accepts on 127.0.0.1:*port and relays every
 * connection to the Unix socket sock. Returns its pid. */
static pid_t start_relay(const char *sock, int *port)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(ls, 16) != 0 ||
        getsockname(ls, (struct sockaddr *)&sa, &len) != 0)
        return -1;
    *port = ntohs(sa.sin_port);
    fflush(stdout);
    pid_t pid = fork();
    if (pid != 0) {
        close(ls);
        return pid;
    }
    for (;;) {
        int c = accept(ls, NULL, NULL);
        if (c < 0) _exit(0);
        if (fork() == 0) {
            struct sockaddr_un su = {.sun_family = AF_UNIX};
            snprintf(su.sun_path, sizeof(su.sun_path), "%s", sock);
            int u = socket(AF_UNIX, SOCK_STREAM, 0);
            if (connect(u, (struct sockaddr *)&su, sizeof(su)) == 0) relay(c, u);
            _exit(0);
        }
        close(c);
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
    }
}

static void test_tcp(void)
{
    const char *h = getenv("DOCKER_HOST");
    const char *sock = h && strncmp(h, "unix://", 7) == 0 ? h + 7 : "/var/run/docker.sock";
    if (h && strncmp(h, "unix://", 7) != 0) {
        printf("# skip tcp relay: DOCKER_HOST is %s\n", h);
        return;
    }
    int port = 0;
    pid_t relay_pid = start_relay(sock, &port);
    CHECK(relay_pid > 0, "relay");
    if (relay_pid <= 0) return;
    char *host = xasprintf("tcp://127.0.0.1:%d", port);
    Err err = {0};
    DockerClient *dc = docker_open(host, NULL, &err);
    CHECK(dc != NULL, "open %s: %s", host, err.msg);
    if (dc) {
        CHECK(strcmp(docker_api_version(dc), DOCKER_API_MIN) >= 0, "api over tcp");
        CHECK(docker_image_exists(dc, "postgres:17-alpine", &err) == 1, "image over tcp: %s",
              err.msg);
        DockerContainerInfo *list = NULL;
        size_t n = 0;
        CHECK(docker_container_list(dc, "lockmatrix.none=x", &list, &n, &err) == 0 && n == 0,
              "list over tcp: %s", err.msg);
        docker_list_free(list, n);
        CHECK_STR(docker_host(dc), host, "host");
    }
    docker_close(dc);
    free(host);
    kill(relay_pid, SIGKILL);
    waitpid(relay_pid, NULL, 0);
}

static void test_client(DockerClient *dc)
{
    CHECK(strcmp(docker_api_version(dc), DOCKER_API_MAX) <= 0 &&
              strcmp(docker_api_version(dc), DOCKER_API_MIN) >= 0,
          "api %s", docker_api_version(dc));
    CHECK(docker_engine_version(dc)[0] != '\0', "engine version");
    printf("# engine %s, API %s at %s\n", docker_engine_version(dc), docker_api_version(dc),
           docker_host(dc));

    Err err = {0};
    CHECK(docker_image_exists(dc, "postgres:17-alpine", &err) == 1, "postgres:17-alpine: %s",
          err.msg);
    CHECK(docker_image_exists(dc, "lockmatrix-test/no-such:1", &err) == 0, "missing image");

    /* no registry here (or no such image there): a clear error with the status */
    err_clear(&err);
    CHECK(docker_image_pull(dc, "lockmatrix-test/no-such-image:1", false, &err) == -1, "pull");
    CHECK(err.code == 3 && strstr(err.msg, "/images/create"), "pull: \"%s\"", err.msg);
    printf("# pull error: %s\n", err.msg);

    /* import: a one-file tarball, gzip'd on the way, with a label */
    char tar[128];
    snprintf(tar, sizeof(tar), "/tmp/lockmatrix-test-%d.tar", (int)getpid());
    CHECK(write_tar(tar, "hello.txt", "hello from lockmatrix\n") == 0, "write tar");
    int fd = open(tar, O_RDONLY);
    const char *changes[] = {"LABEL lockmatrix.test=imported", "ENV A=b"};
    char *repo = xstrndup(tag_import, (size_t)(strrchr(tag_import, ':') - tag_import));
    err_clear(&err);
    CHECK(docker_image_import(dc, fd, repo, strrchr(tag_import, ':') + 1, changes, 2, &err) == 0,
          "import: %s", err.msg);
    close(fd);
    unlink(tar);
    char *label = NULL;
    CHECK(docker_image_label(dc, tag_import, "lockmatrix.test", &label, &err) == 1, "imported");
    CHECK_STR(label, "imported", "label of the imported image");
    free(label);
    CHECK(docker_image_remove(dc, tag_import, &err) == 0, "image remove: %s", err.msg);
    CHECK(docker_image_exists(dc, tag_import, &err) == 0, "imported image removed");
    free(repo);

    /* an import that is not a tarball: the engine's message comes back */
    snprintf(tar, sizeof(tar), "/tmp/lockmatrix-test-%d.txt", (int)getpid());
    FILE *f = fopen(tar, "w");
    fputs("not a tarball\n", f);
    fclose(f);
    fd = open(tar, O_RDONLY);
    err_clear(&err);
    int r = docker_image_import(dc, fd, "lockmatrix-test", "garbage", NULL, 0, &err);
    close(fd);
    unlink(tar);
    printf("# import of garbage: %d %s\n", r, err.msg);
    if (r == 0) docker_image_remove(dc, "lockmatrix-test:garbage", &err);

    /* 404s: inspect, logs, remove of a container that does not exist */
    DockerState st;
    CHECK(docker_container_inspect(dc, "lockmatrix-test-none", 0, &st, &err) == 1, "inspect 404");
    docker_state_free(&st);
    CHECK(docker_container_remove(dc, "lockmatrix-test-none", &err) == 0, "remove 404");
    char *logs = NULL;
    err_clear(&err);
    CHECK(docker_container_logs(dc, "lockmatrix-test-none", 5, &logs, &err) == -1, "logs 404");
    CHECK(strstr(err.msg, "HTTP 404") && strstr(err.msg, "lockmatrix-test-none"), "logs: \"%s\"",
          err.msg);
    free(logs);
}

static void test_backend(DockerClient *dc)
{
    const BackendOps *ops = &docker_backend;
    BackendCfg cfg = {.name = "docker", .run_id = run_id, .start_timeout_ms = 60000};
    int majors[] = {17};
    Err err = {0};
    CHECK(ops->prepare(&cfg, majors, 1, &err) == 0, "prepare: %s", err.msg);

    /* an image that is neither local nor pullable */
    BackendCfg bad = cfg;
    bad.image_tmpl = "lockmatrix-test/no-such:{major}";
    err_clear(&err);
    CHECK(ops->prepare(&bad, majors, 1, &err) == -1, "prepare of a missing image");
    CHECK(err.code == 3 && strstr(err.msg, "\"lockmatrix-test/no-such:17\""), "\"%s\"", err.msg);

    /* three containers of one run, one foreign, one of another run */
    Container c[3];
    for (int i = 0; i < 3; i++) {
        err_clear(&err);
        int rc = ops->start(&cfg, 17, i + 1, &c[i], &err);
        CHECK(rc == 0, "start w%d: %s", i + 1, err.msg);
        if (rc != 0) return;
    }
    char *want = docker_container_name(run_id, 1);
    CHECK_STR(c[0].name, want, "name");
    free(want);
    CHECK(c[0].major == 17, "major");
    CHECK(c[0].server_version && strncmp(c[0].server_version, "17.", 3) == 0, "version %s",
          c[0].server_version);
    CHECK(c[0].conninfo && !strstr(c[0].conninfo, "dbname"), "conninfo without dbname");
    CHECK(c[0].conninfo && strstr(c[0].conninfo, "host=127.0.0.1 port="), "on 127.0.0.1");
    CHECK(c[0].docker_id && strlen(c[0].docker_id) == 64, "id");
    CHECK(c[0].ready_ms > 0, "ready_ms");
    char *v = query1(c[0].conninfo, "SELECT current_setting('fsync') || ' ' || current_user");
    CHECK_STR(v, "off postgres", "query through the published port");
    free(v);
    /* the password is required over TCP */
    char *wrong = xstrdup(c[0].conninfo);
    char *pw = strstr(wrong, "password=") + 9;
    pw[0] = pw[0] == 'x' ? 'y' : 'x';
    v = query1(wrong, "SELECT 1");
    CHECK(v == NULL, "a wrong password is refused");
    free(v);
    free(wrong);
    CHECK(strcmp(c[0].conninfo, c[1].conninfo) != 0, "each container its own port and password");
    CHECK(count_run(dc, run_id) == 3, "three labelled containers");
    {
        char label[64];
        snprintf(label, sizeof(label), "%s=%lld", DOCKER_LABEL_RUN, run_id);
        DockerContainerInfo *list = NULL;
        size_t n = 0;
        char *owner = my_owner();
        CHECK(docker_container_list(dc, label, &list, &n, &err) == 0, "list: %s", err.msg);
        for (size_t i = 0; i < n; i++) {
            CHECK(strncmp(list[i].name, "lockmatrix-r", 12) == 0, "name %s", list[i].name);
            CHECK(list[i].run && atoll(list[i].run) == run_id, "run label");
            CHECK_STR(list[i].owner, owner, "owner label of %s", list[i].name);
            CHECK(list[i].host && list[i].host[0], "host label");
            CHECK_STR(list[i].state, "running", "state");
            CHECK_STR(list[i].image, "postgres:17-alpine", "image");
        }
        docker_list_free(list, n);
        free(owner);
    }

    const char *flabel = "lockmatrix.test=foreign";
    char *fname = xasprintf("lockmatrix-test-foreign-%d", (int)getpid());
    DockerCreate fo = {
        .name = fname, .image = "postgres:17-alpine", .labels = &flabel, .nlabels = 1};
    char *fid = NULL;
    CHECK(docker_container_create(dc, &fo, &fid, &err) == 0, "foreign: %s", err.msg);
    char *olabel = xasprintf("%s=%lld", DOCKER_LABEL_RUN, run_id + 1);
    const char *ol = olabel;
    DockerCreate oo = {.image = "postgres:17-alpine", .labels = &ol, .nlabels = 1};
    char *oid = NULL;
    CHECK(docker_container_create(dc, &oo, &oid, &err) == 0, "other run: %s", err.msg);

    /* stop removes w1, reap removes w2 by name, clean removes w3 only */
    char *id1 = xstrdup(c[0].docker_id), *id2 = xstrdup(c[1].docker_id);
    ops->stop(&cfg, &c[0]);
    CHECK(c[0].conninfo == NULL && c[0].docker_id == NULL, "stop frees the fields");
    CHECK(!container_exists(dc, id1), "stop removed w1");
    ops->reap(&cfg, 2);
    CHECK(!container_exists(dc, id2), "reap removed w2");
    ops->reap(&cfg, 2);     /* nothing left: quiet */
    ops->stop(&cfg, &c[1]); /* already gone: frees the fields quietly */
    err_clear(&err);
    CHECK(ops->clean(&cfg, run_id, &err) == 1, "clean of the run: %s", err.msg);
    CHECK(count_run(dc, run_id) == 0, "nothing of the run left");
    CHECK(fid && container_exists(dc, fid), "the foreign container survives");
    CHECK(oid && container_exists(dc, oid), "the other run's container survives");
    CHECK(ops->clean(&cfg, run_id + 1, &err) == 1, "clean of the other run");
    CHECK(oid && !container_exists(dc, oid), "the other run's container is gone");
    CHECK(ops->clean(&cfg, run_id, &err) == 0, "clean again: 0");
    /* the stopped w3's fields are still ours to free */
    c[2].docker_id[0] = 'x'; /* already removed: stop must not complain loudly or crash */
    free(c[2].docker_id);
    c[2].docker_id = NULL;
    ops->stop(&cfg, &c[2]);
    if (fid) docker_container_remove(dc, fid, &err);
    CHECK(fid && !container_exists(dc, fid), "foreign removed by the test");
    free(fid);
    free(oid);
    free(olabel);
    free(fname);
    free(id1);
    free(id2);
}

static void test_start_errors(DockerClient *dc)
{
    const BackendOps *ops = &docker_backend;
    const struct {
        const char *what;
        const char *image;
        int timeout_ms;
        const char *want1, *want2;
        const char *unwanted;
    } cases[] = {
        {"missing image", "lockmatrix-test/no-such:{major}", 10000,
         "could not create a container of image \"lockmatrix-test/no-such:17\"", "HTTP 404", NULL},
        {"exits at once", tag_exits, 10000, "exited with code 7 before it was ready",
         "password is ***", NULL},
        {"port never answers", tag_sleeps, 1500,
         "did not accept connections on 127.0.0.1:", "within 1500 ms", NULL},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        BackendCfg cfg = {.name = "docker",
                          .run_id = run_id,
                          .image_tmpl = cases[i].image,
                          .start_timeout_ms = cases[i].timeout_ms};
        Container c;
        Err err = {0};
        double t0 = now_ms();
        int rc = ops->start(&cfg, 17, 9, &c, &err);
        double ms = now_ms() - t0;
        CHECK(rc == -1, "%s: started", cases[i].what);
        CHECK(err.code == 3, "%s: code %d", cases[i].what, err.code);
        CHECK(strstr(err.msg, cases[i].want1) != NULL, "%s: \"%s\"", cases[i].what, err.msg);
        CHECK(strstr(err.msg, cases[i].want2) != NULL, "%s: \"%s\"", cases[i].what, err.msg);
        CHECK(ms < cases[i].timeout_ms + 5000, "%s: took %.0f ms", cases[i].what, ms);
        CHECK(count_run(dc, run_id) == 0, "%s: nothing left", cases[i].what);
        printf("# %s (%.0f ms): %s\n", cases[i].what, ms, err.msg);
    }
}

static void test_ready_times(void)
{
    const char *s = getenv("LOCKMATRIX_DOCKER_SAMPLES");
    int samples = s ? atoi(s) : 3;
    if (samples < 1) samples = 1;
    DockerClient *dc = docker_open(NULL, NULL, NULL);
    int majors[] = {10, 11, 12, 13, 14, 15, 16, 17};
    for (size_t m = 0; m < ARRAY_LEN(majors); m++) {
        char *image = docker_image_name(NULL, majors[m]);
        int have = docker_image_exists(dc, image, NULL);
        free(image);
        if (have != 1) continue;
        BackendCfg cfg = {.name = "docker", .run_id = run_id, .start_timeout_ms = 60000};
        double *t = xcalloc((size_t)samples, sizeof(double));
        double *stop = xcalloc((size_t)samples, sizeof(double));
        int ok = 0;
        char *version = NULL;
        for (int i = 0; i < samples; i++) {
            Container c;
            Err err = {0};
            if (docker_backend.start(&cfg, majors[m], 20 + i, &c, &err) < 0) {
                CHECK(0, "start %d: %s", majors[m], err.msg);
                continue;
            }
            t[ok] = c.ready_ms;
            free(version);
            version = xstrdup(c.server_version);
            double t0 = now_ms();
            docker_backend.stop(&cfg, &c);
            stop[ok++] = now_ms() - t0;
        }
        if (ok) {
            qsort(t, (size_t)ok, sizeof(double), cmp_double);
            qsort(stop, (size_t)ok, sizeof(double), cmp_double);
            printf("# docker ready: PostgreSQL %s median %.0f ms (min %.0f, max %.0f, n=%d); "
                   "stop+remove median %.0f ms\n",
                   version, t[ok / 2], t[0], t[ok - 1], ok, stop[ok / 2]);
            CHECK(version && atoi(version) == majors[m], "version %s of %d", version, majors[m]);
        }
        free(version);
        free(t);
        free(stop);
    }
    CHECK(count_run(dc, run_id) == 0, "nothing left after the timings");
    docker_close(dc);
}

int main(void)
{
    run_id = 900000 + (getpid() % 90000);
    snprintf(tag_exits, sizeof(tag_exits), "lockmatrix-test:exits-%d", (int)getpid());
    snprintf(tag_sleeps, sizeof(tag_sleeps), "lockmatrix-test:sleeps-%d", (int)getpid());
    snprintf(tag_import, sizeof(tag_import), "lockmatrix-test:import-%d", (int)getpid());

    test_unreachable();

    Err err = {0};
    DockerClient *dc = docker_open(NULL, NULL, &err);
    if (!dc) {
        printf("# skip: no Docker engine answers (%s)\n", err.msg);
        return t_done("test_docker");
    }
    if (docker_image_exists(dc, "postgres:17-alpine", &err) != 1) {
        CHECK(0, "the image postgres:17-alpine is missing: run 'make docker-images' (%s)", err.msg);
        docker_close(dc);
        return t_done("test_docker");
    }
    test_client(dc);
    test_tcp();
    CHECK(make_image(dc, "postgres:17-alpine", tag_exits,
                     "[\"/bin/sh\", \"-c\", \"echo password is $POSTGRES_PASSWORD >&2; "
                     "echo fatal: this image exits at once >&2; exit 7\"]") == 0,
          "image that exits");
    CHECK(make_image(dc, "postgres:17-alpine", tag_sleeps,
                     "[\"/bin/sh\", \"-c\", \"exec sleep 3600\"]") == 0,
          "image that sleeps");
    test_backend(dc);
    test_clean_every_run(dc);
    test_name_conflicts(dc);
    test_start_errors(dc);
    test_ready_times();

    docker_image_remove(dc, tag_exits, &err);
    docker_image_remove(dc, tag_sleeps, &err);
    CHECK(count_label(dc, "lockmatrix.test") == 0, "no test helper left");
    docker_close(dc);
    return t_done("test_docker");
}
