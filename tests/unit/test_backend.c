/*
 * test_backend: the table of backends (every name found, every operation
 * there, unknown names refused) and what a backend's config owns
 * (backend_cfg_free). The backends themselves: test_embedded, test_docker,
 * test_dockerbackend.
 */
#include <stdlib.h>

#include "runner/backend.h"
#include "runner/dockerbackend.h"
#include "runner/embedded.h"
#include "t.h"

static void test_lookup(void)
{
    const struct {
        const char *name;
        const BackendOps *want;
    } cases[] = {
        {"embedded", &embedded_backend},
        {"docker", &docker_backend},
        {"Docker", NULL},
        {"embedded ", NULL},
        {"emb", NULL},
        {"", NULL},
        {NULL, NULL},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const BackendOps *ops = backend_get(cases[i].name);
        CHECK(ops == cases[i].want, "backend_get(\"%s\")", cases[i].name ? cases[i].name : "NULL");
        if (!ops) continue;
        CHECK_STR(ops->name, cases[i].name, "the backend's own name");
        CHECK(ops->prepare && ops->start && ops->stop && ops->reap && ops->clean,
              "%s: every operation", ops->name);
    }
}

static void test_cfg_free(void)
{
    BackendCfg cfg = {.name = "embedded",
                      .runtime_root = xstrdup("/tmp/x/r1-2"),
                      .cache_dir = xstrdup("/tmp/cache")};
    backend_cfg_free(&cfg);
    CHECK(cfg.runtime_root == NULL && cfg.cache_dir == NULL, "owned fields freed and cleared");
    CHECK_STR(cfg.name, "embedded", "the rest is the caller's");
    backend_cfg_free(&cfg); /* twice: nothing left to free */
    backend_cfg_free(NULL);
    BackendCfg empty = {0};
    backend_cfg_free(&empty);
    CHECK(empty.runtime_root == NULL && empty.cache_dir == NULL, "an empty config");
}

int main(void)
{
    test_lookup();
    test_cfg_free();
    return t_done("test_backend");
}
