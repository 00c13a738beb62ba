/*
 * servers.h: runs a test body against real, throwaway servers: the one named
 * by LM_TEST_CONNINFO (and LM_TEST_MAJOR), or else one embedded container of
 * every installed major in LM_TEST_VERSIONS (default 10-17), each started in
 * a forked child the way a worker starts it (dropping root), its checks
 * counted back into the parent's totals.
 */
#ifndef LM_TEST_SERVERS_H
#define LM_TEST_SERVERS_H

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "model/versions.h"
#include "runner/backend.h"
#include "runner/pginstall.h"
#include "tests/unit/t.h"

typedef void (*t_server_fn)(const char *conninfo, int major);

/* The embedded backend prepared in cfg (run id run_id) for one version, the
 * newest installed of the default set, into vs (n 0 when none). true when
 * prepared; free with embedded clean, backend_cfg_free and pginstall_free. */
static inline bool t_embedded_newest(PgInstalls *pgs, BackendCfg *cfg, VersionSet *vs,
                                     long long run_id)
{
    Err err = {0};
    VersionSet all;
    vs->n = 0;
    if (versions_parse(VERSIONS_DEFAULT, &all, &err) == 0 &&
        pginstall_find(pgs, NULL, 0, &err) == 0)
        for (int i = all.n - 1; i >= 0 && vs->n == 0; i--)
            if (pginstall_get(pgs, all.v[i])) vs->v[vs->n++] = all.v[i];
    CHECK(vs->n == 1, "an installed PostgreSQL (make setup): %s", err.msg);
    *cfg =
        (BackendCfg){.name = "embedded", .run_id = run_id, .pgs = pgs, .start_timeout_ms = 30000};
    bool prepared = vs->n == 1 && backend_get("embedded")->prepare(cfg, vs->v, 1, &err) == 0;
    CHECK(prepared, "prepare the embedded backend: %s", err.msg);
    return prepared;
}

static inline int t_with_servers(t_server_fn fn)
{
    const char *ci = getenv("LM_TEST_CONNINFO");
    if (ci && *ci) {
        const char *m = getenv("LM_TEST_MAJOR");
        fn(ci, m ? atoi(m) : 0);
        return 1;
    }
    const BackendOps *ops = backend_get("embedded");
    PgInstalls pgs = {0};
    Err err = {0};
    VersionSet vs;
    const char *spec = getenv("LM_TEST_VERSIONS");
    if (versions_parse(spec && *spec ? spec : VERSIONS_DEFAULT, &vs, &err) != 0 ||
        pginstall_find(&pgs, NULL, 0, &err) != 0) {
        CHECK(0, "servers: %s", err.msg);
        return 0;
    }
    int majors[VERSIONS_MAX], n = 0;
    for (int i = 0; i < vs.n; i++) {
        CHECK(pginstall_get(&pgs, vs.v[i]) != NULL, "PostgreSQL %d is installed (make setup)",
              vs.v[i]);
        if (pginstall_get(&pgs, vs.v[i])) majors[n++] = vs.v[i];
    }
    BackendCfg cfg = {.name = "embedded", .run_id = 800000 + getpid() % 90000, .pgs = &pgs};
    if (n == 0 || ops->prepare(&cfg, majors, n, &err) != 0) {
        CHECK(n == 0, "prepare: %s", err.msg);
        pginstall_free(&pgs);
        return 0;
    }
    for (int i = 0; i < n; i++) {
        int fds[2];
        if (pipe(fds) != 0) break;
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            t_pass = t_fail = 0;
            Container c;
            Err e2 = {0};
            if (ops->start(&cfg, majors[i], i + 1, &c, &e2) != 0) {
                CHECK(0, "start %d: %s", majors[i], e2.msg);
            } else {
                char *conninfo = xasprintf("%s dbname=postgres", c.conninfo);
                printf("# PostgreSQL %s\n", c.server_version);
                fn(conninfo, majors[i]);
                free(conninfo);
                ops->stop(&cfg, &c);
            }
            int counts[2] = {t_pass, t_fail};
            if (write(fds[1], counts, sizeof(counts)) != (ssize_t)sizeof(counts)) _exit(2);
            fflush(stdout);
            _exit(0);
        }
        close(fds[1]);
        int counts[2] = {0, 0};
        ssize_t got = pid > 0 ? read(fds[0], counts, sizeof(counts)) : -1;
        close(fds[0]);
        int status = 0;
        if (pid > 0) waitpid(pid, &status, 0);
        CHECK(got == (ssize_t)sizeof(counts) && WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "test child for %d ended cleanly (status %d)", majors[i], status);
        t_pass += counts[0];
        t_fail += counts[1];
    }
    ops->clean(&cfg, cfg.run_id, &err);
    backend_cfg_free(&cfg);
    pginstall_free(&pgs);
    return n;
}

#endif
