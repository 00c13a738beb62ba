/*
 * vocab: the one table of each of PostgreSQL's words lockmatrix uses.
 */
#include "model/vocab.h"

#include <stdio.h>
#include <string.h>

#include "common/util.h"

/* ---- lock modes ------------------------------------------------------------
 * PostgreSQL's eight table lock modes, weakest first, with what they block
 * said the way people think of it. */

static const LockMode lock_modes[LOCK_MODES] = {
    {"AccessShareLock", "ACCESS SHARE", "AS",
     "blocks only AccessExclusiveLock: reads and writes go on", "SELECT", LOCK_LEVEL_NONE},
    {"RowShareLock", "ROW SHARE", "RS", "blocks ExclusiveLock and stronger: reads and writes go on",
     "SELECT FOR UPDATE/SHARE", LOCK_LEVEL_NONE},
    {"RowExclusiveLock", "ROW EXCLUSIVE", "RX",
     "blocks ShareLock and stronger: reads and writes go on", "INSERT, UPDATE, DELETE",
     LOCK_LEVEL_NONE},
    {"ShareUpdateExclusiveLock", "SHARE UPDATE EXCLUSIVE", "SUX",
     "blocks DDL and VACUUM, not reads or writes",
     "VACUUM, ANALYZE, CREATE INDEX CONCURRENTLY, VALIDATE CONSTRAINT", LOCK_LEVEL_DDL},
    {"ShareLock", "SHARE", "S", "blocks writes, not reads", "CREATE INDEX", LOCK_LEVEL_WRITES},
    {"ShareRowExclusiveLock", "SHARE ROW EXCLUSIVE", "SRX",
     "blocks writes and other DDL, not reads", "CREATE TRIGGER, ADD FOREIGN KEY",
     LOCK_LEVEL_WRITES},
    {"ExclusiveLock", "EXCLUSIVE", "X",
     "blocks writes and SELECT FOR UPDATE; only plain reads go on",
     "REFRESH MATERIALIZED VIEW CONCURRENTLY", LOCK_LEVEL_WRITES},
    {"AccessExclusiveLock", "ACCESS EXCLUSIVE", "AX", "blocks reads and writes",
     "DROP, TRUNCATE, most ALTER TABLE, VACUUM FULL, CLUSTER", LOCK_LEVEL_READS},
};

const LockMode *lock_mode(int rank)
{
    return rank >= 0 && rank < LOCK_MODES ? &lock_modes[rank] : NULL;
}

const char *lock_mode_name(int rank)
{
    return rank >= 0 && rank < LOCK_MODES ? lock_modes[rank].name : NULL;
}

const char *lock_mode_label(int rank)
{
    return rank >= 0 && rank < LOCK_MODES ? lock_modes[rank].name : "-";
}

int lock_mode_rank(const char *name)
{
    for (int i = 0; name && i < LOCK_MODES; i++)
        if (strcmp(name, lock_modes[i].name) == 0) return i;
    return -1;
}

/* ---- risks ----------------------------------------------------------------- */

static const char *const risks[RISKS] = {"safe", "low", "medium", "high", "critical"};

const char *risk_name(Risk r)
{
    return (unsigned)r < RISKS ? risks[r] : "?";
}

int risk_parse(const char *name)
{
    for (int i = 0; name && i < RISKS; i++)
        if (strcmp(name, risks[i]) == 0) return i;
    if (name && strcmp(name, "none") == 0) return RISK_SAFE; /* an older spelling */
    return -1;
}

const char *risk_names(void)
{
    static char list[64];
    if (!list[0])
        for (int i = 0; i < RISKS; i++)
            snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
                     risks[i]);
    return list;
}

/* ---- yes / no / depends ------------------------------------------------------ */

static const char *const tris[] = {"no", "yes", "depends"};

const char *tri_name(Tri t)
{
    return (unsigned)t < ARRAY_LEN(tris) ? tris[t] : "?";
}

int tri_parse(const char *name)
{
    for (int i = 0; name && i < (int)ARRAY_LEN(tris); i++)
        if (strcmp(name, tris[i]) == 0) return i;
    return -1;
}

/* ---- trace statuses ---------------------------------------------------------- */

static const char *const statuses[TRACE_STATUSES] = {
    [TRACE_OK] = "ok",
    [TRACE_ERROR] = "error",
    [TRACE_SKIPPED] = "skipped",
    [TRACE_TIMEOUT] = "timeout",
};

const char *trace_status_name(TraceStatus s)
{
    return (unsigned)s < TRACE_STATUSES ? statuses[s] : "?";
}

TraceStatus trace_status_parse(const char *name)
{
    for (int i = 0; name && i < TRACE_STATUSES; i++)
        if (strcmp(name, statuses[i]) == 0) return (TraceStatus)i;
    return TRACE_SKIPPED;
}
