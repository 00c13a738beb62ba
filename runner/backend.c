/*
 * backend: the table of backends and what every backend's config owns.
 */
#include <stdlib.h>
#include <string.h>

#include "runner/backend.h"
#include "runner/dockerbackend.h"
#include "runner/embedded.h"

/* Every backend, by name. */
static const BackendOps *const backends[] = {
    &embedded_backend,
    &docker_backend,
};

const BackendOps *backend_get(const char *name)
{
    if (!name) return NULL;
    for (size_t i = 0; i < ARRAY_LEN(backends); i++)
        if (strcmp(backends[i]->name, name) == 0) return backends[i];
    return NULL;
}

bool backend_fast_path(void)
{
    const char *f = getenv("LOCKMATRIX_FAST");
    return !(f && strcmp(f, "0") == 0);
}

void backend_cfg_free(BackendCfg *cfg)
{
    if (!cfg) return;
    free(cfg->runtime_root);
    free(cfg->cache_dir);
    cfg->runtime_root = NULL;
    cfg->cache_dir = NULL;
}
