/*
 * backend: how a throwaway PostgreSQL server (a container) is provided.
 * Two backends share this interface: embedded (local binaries) and docker.
 *
 * Process split: prepare() and reap()/clean() run in the parent (the
 * scheduler); start()/stop() run in a worker, which owns one container.
 */
#ifndef LM_BACKEND_H
#define LM_BACKEND_H

#include <sys/types.h>

#include "common/util.h"
#include "runner/pginstall.h"

typedef struct BackendCfg {
    const char *name;       /* "embedded" or "docker" */
    long long run_id;       /* the run the containers belong to */
    const PgInstalls *pgs;  /* embedded: installations found; not owned */
    const char *image_tmpl; /* docker: "postgres:{major}-alpine" */
    char *runtime_root;     /* embedded: private 0700 directory of this run's instances; owned */
    char *cache_dir;        /* embedded: templates live under <cache>/templates; owned */
    uid_t run_uid;          /* embedded: user the servers run as (when we are root) */
    gid_t run_gid;
    bool drop_privileges; /* embedded: we are root, servers run as run_uid */
    int start_timeout_ms; /* budget to get a container ready */
} BackendCfg;

/* Databases a server holds for jobs: postgres and lm_1 .. lm_{BACKEND_JOB_DBS - 1}. A job runs
 * in a database nothing ran in before, so a server serves at most this many jobs. */
#define BACKEND_JOB_DBS 32

typedef struct Container {
    int major;            /* requested major */
    char *server_version; /* what the server says, "17.10"; owned */
    char *conninfo;       /* libpq conninfo without dbname; owned */
    char *name;           /* "r12.w3" (embedded: directory; docker: container name); owned */
    char *dir;            /* embedded: instance directory; owned */
    pid_t pid;            /* embedded: postmaster pid */
    char *docker_id;      /* docker: container id; owned */
    double ready_ms;      /* time it took to get ready */
    int dbs;              /* job databases it holds from the start (BACKEND_JOB_DBS: the
                             embedded template's), each made usable by use_db; 0: only
                             postgres, the worker creates the others */
} Container;

typedef struct BackendOps {
    const char *name;
    /* Parent, before any worker: check the environment (binaries, engine),
     * create directories. Code 3 errors for a missing environment. */
    int (*prepare)(BackendCfg *cfg, const int *majors, int nmajors, Err *err);
    /* Worker: start a container of major for worker number seq. */
    int (*start)(const BackendCfg *cfg, int major, int seq, Container *out, Err *err);
    /* Worker: stop and remove it; frees the Container's fields. */
    void (*stop)(const BackendCfg *cfg, Container *c);
    /* Worker, optional: stop it without waiting, for a next container that
     * start() places elsewhere; removed by a later start() or stop() of the
     * same worker (or reap, clean). Frees the Container's fields. */
    void (*retire)(const BackendCfg *cfg, Container *c);
    /* Parent: remove whatever the container of worker seq left (the worker died). */
    void (*reap)(const BackendCfg *cfg, int seq);
    /* Parent: remove everything of run_id (or of every run when run_id < 0);
     * returns the number of containers removed, -1 on error. */
    int (*clean)(const BackendCfg *cfg, long long run_id, Err *err);
    /* Worker, optional: make job database k (lm_k, 1 <= k < c->dbs) usable before its
     * first connection. */
    int (*use_db)(const BackendCfg *cfg, const Container *c, int k, Err *err);
} BackendOps;

const BackendOps *backend_get(const char *name); /* NULL when unknown */
void backend_cfg_free(BackendCfg *cfg);

/* LOCKMATRIX_FAST=0 takes the path of earlier releases, to compare with: the
 * embedded backend's containers copied from a template without job databases
 * (no overlay), the databases created by CREATE DATABASE when a server starts,
 * and every job in a database of its own (no packed jobs: runner/worker.c). */
bool backend_fast_path(void);

#endif
