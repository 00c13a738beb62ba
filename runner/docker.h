/*
 * docker: a client of the Docker Engine API on libcurl (no docker CLI). The
 * docker backend built on it is runner/dockerbackend.h.
 *
 * The engine is found at $DOCKER_HOST (unix:///path or tcp://host:port),
 * else unix:///var/run/docker.sock. docker_open() pings it and negotiates
 * the API version (the daemon's, capped to DOCKER_API_MAX); every path is
 * then prefixed with /v1.xx. Every call has a deadline (connect 5 s, the
 * call itself from 10 s to the pull/import budgets below).
 *
 * Errors come back through Err, code 3 (the environment), with the method,
 * path, HTTP status and Docker's own message:
 *   docker engine: POST /containers/create: HTTP 404: No such image: x:1
 * Secrets registered with docker_add_secret() (the containers' passwords)
 * are replaced by "***" in every message and log text the client returns.
 *
 * One DockerClient belongs to one process (do not use it across fork()).
 */
#ifndef LM_DOCKER_H
#define LM_DOCKER_H

#include <stdbool.h>

#include "common/util.h"

#define DOCKER_API_MAX "1.41" /* newest API version we speak */
#define DOCKER_API_MIN "1.25" /* oldest we accept (Docker 1.13, 2017) */
#define DOCKER_DEFAULT_HOST "unix:///var/run/docker.sock"

typedef struct DockerClient DockerClient;

/* Opens a client of host (NULL: $DOCKER_HOST, else the default socket),
 * pings the engine and negotiates the API version (skipped when api is
 * given, e.g. one negotiated before by the parent). Returns NULL with
 * code 3 "cannot reach the Docker engine at \"unix:///...\": ..." when the
 * engine does not answer. Free with docker_close(). */
DockerClient *docker_open(const char *host, const char *api, Err *err);
void docker_close(DockerClient *dc);
const char *docker_host(const DockerClient *dc);           /* "unix:///var/run/docker.sock" */
const char *docker_api_version(const DockerClient *dc);    /* "1.41" */
const char *docker_engine_version(const DockerClient *dc); /* "20.10.24", "" when api was given */

/* Scrubs s (not owned, copied) from every message and log the client returns. */
void docker_add_secret(DockerClient *dc, const char *s);

/* ---- images ------------------------------------------------------------ */
/* 1 when image (a reference "repo:tag") exists locally, 0 when not, -1 on error. */
int docker_image_exists(DockerClient *dc, const char *image, Err *err);
/* Pulls image from its registry; progress lines go to stderr only when
 * progress is true (the caller passes isatty(2)). */
int docker_image_pull(DockerClient *dc, const char *image, bool progress, Err *err);
/* Imports an uncompressed tar stream read from fd as image repo:tag: it is
 * gzip-compressed with zlib on the fly and streamed to POST /images/create
 * ?fromSrc=-. changes are Dockerfile instructions applied to the image
 * ("ENTRYPOINT [\"/x\"]", "USER postgres", "ENV A=b", "LABEL k=v"). */
int docker_image_import(DockerClient *dc, int fd, const char *repo, const char *tag,
                        const char *const *changes, int nchanges, Err *err);
/* Commits container id (it may be stopped) as image repo:tag with changes. */
int docker_commit(DockerClient *dc, const char *id, const char *repo, const char *tag,
                  const char *const *changes, int nchanges, Err *err);
/* Removes image; 0 also when it does not exist. */
int docker_image_remove(DockerClient *dc, const char *image, Err *err);
/* The label key of image into *value (malloc'd, NULL when the image has no
 * such label). 1 when the image exists, 0 when not, -1 on error. */
int docker_image_label(DockerClient *dc, const char *image, const char *key, char **value,
                       Err *err);
/* Where a container of image keeps its data, to mount a tmpfs on: the
 * volume the image declares that holds its PGDATA (postgres:17 and older:
 * /var/lib/postgresql/data; 18 and later: /var/lib/postgresql, PGDATA being
 * /var/lib/postgresql/<major>/docker), else the directory PGDATA is in, into
 * *dir (malloc'd; NULL when the image sets no PGDATA). 1 when the image
 * exists, 0 when not, -1 on error. */
int docker_image_data_dir(DockerClient *dc, const char *image, char **dir, Err *err);

/* ---- containers -------------------------------------------------------- */
typedef struct DockerCreate {
    const char *name; /* container name, NULL for a generated one */
    const char *image;
    const char *const *env; /* "K=V" */
    int nenv;
    const char *const *labels; /* "k=v" */
    int nlabels;
    const char *const *cmd; /* NULL: the image's */
    int ncmd;
    const char *const *entrypoint; /* NULL: the image's */
    int nentrypoint;
    int publish_port;  /* container TCP port published on 127.0.0.1:<random>, 0 none */
    const char *tmpfs; /* a path mounted as tmpfs, NULL none */
} DockerCreate;

/* Creates a container; *id is its id (malloc'd, free()). */
int docker_container_create(DockerClient *dc, const DockerCreate *opt, char **id, Err *err);
int docker_container_start(DockerClient *dc, const char *id, Err *err);

typedef struct DockerState {
    bool running;
    int exit_code;
    char *status;  /* "created", "running", "exited", ...; owned */
    char *error;   /* the engine's error starting it, "" when none; owned */
    int host_port; /* host port published for publish_port, 0 when none (yet) */
    char *owner;   /* the lockmatrix.owner label, NULL when absent; owned */
    char *host;    /* the lockmatrix.host label, NULL when absent; owned */
} DockerState;

/* Inspects container id (or name); port is the container port whose host
 * binding goes to st->host_port (0: none). 0 when found, 1 when no such
 * container, -1 on error. Free st with docker_state_free(). */
int docker_container_inspect(DockerClient *dc, const char *id, int port, DockerState *st, Err *err);
void docker_state_free(DockerState *st);

/* The last tail lines of the container's stdout and stderr, demultiplexed,
 * secrets scrubbed; *out malloc'd. */
int docker_container_logs(DockerClient *dc, const char *id, int tail, char **out, Err *err);
/* Stops (kills) and removes container id or name with its anonymous
 * volumes. 1 removed, 0 there was no such container, -1 on error. */
int docker_container_remove(DockerClient *dc, const char *id, Err *err);

typedef struct DockerContainerInfo {
    char *id;    /* owned */
    char *name;  /* without the leading '/'; owned */
    char *image; /* owned */
    char *state; /* "running", "exited", ...; owned */
    char *run;   /* the lockmatrix.run label, NULL when absent; owned */
    char *owner; /* the lockmatrix.owner label ("<pid> <starttime>"), NULL when absent; owned */
    char *host;  /* the lockmatrix.host label, NULL when absent; owned */
} DockerContainerInfo;

/* Every container (running or not) carrying label (a key, or "key=value");
 * *out malloc'd array of *n entries, free with docker_list_free(). */
int docker_container_list(DockerClient *dc, const char *label, DockerContainerInfo **out, size_t *n,
                          Err *err);
/* The same with several labels, all of which a container must carry. */
int docker_container_list_all(DockerClient *dc, const char *const *labels, int nlabels,
                              DockerContainerInfo **out, size_t *n, Err *err);
void docker_list_free(DockerContainerInfo *list, size_t n);

/* ---- the labels of lockmatrix's containers ----------------------------- */
#define DOCKER_LABEL_RUN "lockmatrix.run"
/* "<pid> <starttime>" of the lockmatrix process that owns the run (the one
 * that called prepare), and the host it runs on: clean() without a run id
 * keeps the containers of runs whose owner still runs. */
#define DOCKER_LABEL_OWNER "lockmatrix.owner"
#define DOCKER_LABEL_HOST "lockmatrix.host"

#endif
