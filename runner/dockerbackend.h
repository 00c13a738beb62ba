/*
 * dockerbackend: the docker backend (runner/backend.h) on the Engine API
 * client of runner/docker.h. One container per worker, named
 * lockmatrix-r<run>-w<seq> and labelled with its run, worker, owner and host
 * (DOCKER_LABEL_*), its port 5432 published on 127.0.0.1 at a random host
 * port, a random password, the data on a tmpfs. Ready when a connection
 * through the published port answers SHOW server_version (pgconn).
 *
 * LOCKMATRIX_DOCKER_START_TIMEOUT_MS may lower the start budget (never
 * raise it: the scheduler's own deadline derives from the config's).
 */
#ifndef LM_DOCKERBACKEND_H
#define LM_DOCKERBACKEND_H

#include "runner/backend.h"
#include "runner/docker.h"

#define DOCKER_DEFAULT_IMAGE "postgres:{major}-alpine"

extern const BackendOps docker_backend;

/* The image of major for template tmpl (NULL or "": DOCKER_DEFAULT_IMAGE):
 * every "{major}" replaced by the version's name ("17", "17.10"). malloc'd. */
char *docker_image_name(const char *tmpl, int major);
/* "lockmatrix-r<run>-w<seq>"; malloc'd. */
char *docker_container_name(long long run_id, int seq);

#endif
