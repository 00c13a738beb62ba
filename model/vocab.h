/*
 * vocab: PostgreSQL's words as lockmatrix uses them, one table each: the
 * eight table lock modes (name, SQL words, short name, what they block),
 * risk levels, yes/no/depends answers and trace statuses. Every layer above
 * reads these names from here; nothing else keeps a copy.
 */
#ifndef LM_VOCAB_H
#define LM_VOCAB_H

#include <stdbool.h>

/* ---- lock modes ----------------------------------------------------------- */

#define LOCK_MODES 8 /* ranks 0 (AccessShareLock) .. 7 (AccessExclusiveLock) */

typedef enum LockLevel {
    LOCK_LEVEL_NONE = 0,   /* blocks no reads, writes or routine DDL */
    LOCK_LEVEL_DDL = 1,    /* blocks DDL and VACUUM, not reads or writes */
    LOCK_LEVEL_WRITES = 2, /* blocks writes, not plain reads */
    LOCK_LEVEL_READS = 3,  /* blocks reads and writes */
} LockLevel;

typedef struct LockMode {
    const char *name;   /* "AccessExclusiveLock" (pg_locks.mode) */
    const char *words;  /* "ACCESS EXCLUSIVE" (LOCK TABLE ... IN ... MODE) */
    const char *abbr;   /* "AX" (matrix cells) */
    const char *blocks; /* "blocks reads and writes" */
    const char *takers; /* what usually takes it: "DROP, most ALTER TABLE, VACUUM FULL" */
    LockLevel level;
} LockMode;

/* The mode of rank 0..7, weakest first; NULL for anything else. */
const LockMode *lock_mode(int rank);
/* Its pg_locks name; NULL out of range. */
const char *lock_mode_name(int rank);
/* Its name, or "-" for any rank out of range (a lock table cell). */
const char *lock_mode_label(int rank);
/* The rank of a pg_locks name; -1 for NULL or anything else. */
int lock_mode_rank(const char *name);

/* ---- risks ---------------------------------------------------------------- */

typedef enum Risk {
    RISK_SAFE = 0,
    RISK_LOW,
    RISK_MEDIUM,
    RISK_HIGH,
    RISK_CRITICAL,
} Risk;
#define RISKS 5

const char *risk_name(Risk r);    /* "safe" ... "critical"; "?" out of range */
int risk_parse(const char *name); /* Risk; -1 when unknown; "none" is read as safe */
const char *risk_names(void);     /* "safe, low, medium, high, critical"; static */

/* ---- yes / no / depends --------------------------------------------------- */

/* depends: on the statement's details (e.g. the old and new type of ALTER
 * COLUMN TYPE, or a valid CHECK constraint proving NOT NULL) */
typedef enum Tri { TRI_NO = 0, TRI_YES = 1, TRI_DEPENDS = 2 } Tri;

const char *tri_name(Tri t);     /* "no", "yes", "depends"; "?" out of range */
int tri_parse(const char *name); /* Tri; -1 when unknown */

/* ---- trace statuses ------------------------------------------------------- */

typedef enum TraceStatus {
    TRACE_OK = 0,
    TRACE_ERROR = 1,   /* the server refused it: sqlstate + message */
    TRACE_SKIPPED = 2, /* not run (the chain stopped, the file had an error) */
    TRACE_TIMEOUT = 3, /* cancelled after the statement timeout */
} TraceStatus;
#define TRACE_STATUSES 4

const char *trace_status_name(TraceStatus s); /* "ok", "error", "skipped", "timeout" */
/* The status of a stored name; TRACE_SKIPPED for anything unknown. */
TraceStatus trace_status_parse(const char *name);

#endif
