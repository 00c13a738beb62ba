/*
 * test_dockerbackend: the docker backend where no engine is needed: the
 * names it gives images and containers, and every operation when the
 * engine at DOCKER_HOST does not answer (a socket file nobody listens on):
 * an environment error (code 3) that names the engine, at once, and a stop
 * or reap that warns and leaves nothing allocated. With an engine:
 * test_docker.
 */
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "runner/dockerbackend.h"
#include "t.h"

static char dir[] = "/tmp/lm-test-dockerbackend.XXXXXX";

static void test_names(void)
{
    const struct {
        const char *tmpl;
        int major;
        const char *want;
    } cases[] = {
        {NULL, 17, "postgres:17-alpine"},
        {"", 12, "postgres:12-alpine"},
        {"postgis/postgis:{major}-3.4", 16, "postgis/postgis:16-3.4"},
        {"x:{major}-{major}", 10, "x:10-10"},
        {"plain:tag", 12, "plain:tag"},
        {"x:{major", 11, "x:{major"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char *s = docker_image_name(cases[i].tmpl, cases[i].major);
        CHECK_STR(s, cases[i].want, "template %zu", i);
        free(s);
    }
    const struct {
        long long run;
        int seq;
        const char *want;
    } names[] = {
        {12, 3, "lockmatrix-r12-w3"},
        {1, 1, "lockmatrix-r1-w1"},
        {123456789012LL, 40, "lockmatrix-r123456789012-w40"},
    };
    for (size_t i = 0; i < ARRAY_LEN(names); i++) {
        char *n = docker_container_name(names[i].run, names[i].seq);
        CHECK_STR(n, names[i].want, "container name %zu", i);
        free(n);
    }
}

/* Every operation with DOCKER_HOST at a socket nobody listens on. */
static void test_no_engine(void)
{
    char *sock = xasprintf("%s/docker.sock", dir);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
    CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "bind %s", sock);
    close(fd); /* the file stays, nobody listens */
    char *host = xasprintf("unix://%s", sock);
    setenv("DOCKER_HOST", host, 1);
    char *want = xasprintf("cannot reach the Docker engine at \"%s\"", host);

    BackendCfg cfg = {
        .name = "docker", .run_id = 900000 + getpid() % 90000, .start_timeout_ms = 5000};
    int majors[] = {17};
    enum {
        OP_PREPARE,
        OP_START,
        OP_CLEAN_RUN,
        OP_CLEAN_ALL
    } ops[] = {OP_PREPARE, OP_START, OP_CLEAN_RUN, OP_CLEAN_ALL};
    static const char *const op_names[] = {"prepare", "start", "clean of the run", "clean of all"};
    for (size_t i = 0; i < ARRAY_LEN(ops); i++) {
        Err err = {0};
        Container c;
        double t0 = now_ms();
        int rc = 0;
        switch (ops[i]) {
        case OP_PREPARE:
            rc = docker_backend.prepare(&cfg, majors, 1, &err);
            break;
        case OP_START:
            rc = docker_backend.start(&cfg, 17, 1, &c, &err);
            break;
        case OP_CLEAN_RUN:
            rc = docker_backend.clean(&cfg, cfg.run_id, &err);
            break;
        case OP_CLEAN_ALL:
            rc = docker_backend.clean(&cfg, -1, &err);
            break;
        }
        CHECK(rc == -1 && err.code == EXIT_ENV, "%s: rc %d code %d", op_names[i], rc, err.code);
        CHECK(strstr(err.msg, want) && strstr(err.msg, "Connection refused"), "%s: \"%s\"",
              op_names[i], err.msg);
        CHECK(now_ms() - t0 < 2000, "%s failed at once: %.0f ms", op_names[i], now_ms() - t0);
    }

    /* stop and reap warn on stderr and go on; stop frees the container */
    Container c = {.major = 17,
                   .server_version = xstrdup("17.0"),
                   .conninfo = xstrdup("host=127.0.0.1 password=secret"),
                   .name = docker_container_name(cfg.run_id, 1),
                   .docker_id = xstrdup("0123456789ab")};
    docker_backend.stop(&cfg, &c);
    CHECK(!c.server_version && !c.conninfo && !c.name && !c.docker_id, "stop frees the container");
    Container none = {0};
    docker_backend.stop(&cfg, &none);
    CHECK(!none.name && !none.docker_id, "stop of an empty container");
    docker_backend.reap(&cfg, 1);

    unsetenv("DOCKER_HOST");
    free(want);
    free(host);
    unlink(sock);
    free(sock);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_names();
    test_no_engine();
    remove_tree(dir);
    return t_done("test_dockerbackend");
}
