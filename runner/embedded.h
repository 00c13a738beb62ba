/*
 * embedded: the default backend, real PostgreSQL binaries on this machine
 * (see DESIGN.md "Backends: embedded").
 *
 * A container is a copy of an initdb'd template in a private 0700 directory
 * <runtime_root>/w<seq>, served by a postmaster that listens on a Unix socket
 * in that directory only and dies with its worker (PR_SET_PDEATHSIG).
 * Templates live in <cache>/templates/<version>-<hash of bindir>, made once
 * by the first worker that needs one.
 *
 * Environment: LOCKMATRIX_RUNTIME holds one r<run> directory per run
 * (default /tmp/lockmatrix-<euid>, or /dev/shm/lockmatrix-<euid> when /tmp is
 * on a disk and /dev/shm is a tmpfs with 1 GB free: copying a template to
 * ext4 costs ~0.7 s, to tmpfs ~25 ms); LOCKMATRIX_USER is the user servers
 * run as when lockmatrix runs as root (default "lockmatrix", else "nobody").
 *
 * start() runs in the worker and, when the parent was root, drops the
 * worker's privileges for good: never call it in the scheduler itself.
 * clean() with run_id < 0 leaves runs whose lockmatrix process still runs.
 */
#ifndef LM_EMBEDDED_H
#define LM_EMBEDDED_H

#include "runner/backend.h"

extern const BackendOps embedded_backend;

#endif
