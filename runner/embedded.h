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
 * Environment: LOCKMATRIX_RUNTIME (default /tmp/lockmatrix-<euid>) holds one
 * r<run> directory per run; LOCKMATRIX_USER is the user servers run as when
 * lockmatrix runs as root (default "lockmatrix", else "nobody").
 */
#ifndef LM_EMBEDDED_H
#define LM_EMBEDDED_H

#include "runner/backend.h"

extern const BackendOps embedded_backend;

#endif
