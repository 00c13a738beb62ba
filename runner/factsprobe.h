/*
 * factsprobe: PostgreSQL's per-version facts (predict/facts.h) read from
 * real servers: the catalogs (pg_cast, pg_proc) and, for ALTER COLUMN TYPE,
 * probes: a table with the column (one row, an index on the column), its
 * relfilenodes noted, the ALTER, the relfilenodes compared.
 */
#ifndef LM_FACTSPROBE_H
#define LM_FACTSPROBE_H

#include "predict/facts.h"
#include "runner/backend.h"

/* Reads the facts of the server at conninfo (a database it may create and
 * drop a table in), which is major, into f as rows of major..major (not
 * merged). 0, or -1 with err (code 3) naming the query or probe that failed. */
int factsprobe_server(const char *conninfo, int major, Facts *f, Err *err);

/* Starts a container of major (worker number seq) of the prepared backend
 * ops/cfg in a child process (start() drops privileges there), reads its
 * facts with factsprobe_server within timeout_ms and adds them to f; the
 * container is stopped and the child reaped. 0, or -1 with err. */
int factsprobe_version(const BackendOps *ops, const BackendCfg *cfg, int major, int seq,
                       int timeout_ms, Facts *f, Err *err);

#endif
