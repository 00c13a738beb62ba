/*
 * store/schema: the schema of the store, as the ordered steps store_open
 * applies (a file at PRAGMA user_version k gets steps k+1..N in one
 * transaction).
 */
#include "store/internal.h"

/* ---- schema ------------------------------------------------------------
 * Never edit a step that has shipped: append a new one. Conventions:
 * migrations.chain is the 0-based index of the chain in the corpus,
 * migrations.position the 1-based position of the migration in its chain,
 * statements.idx the 1-based position of the statement in its migration.
 * Fingerprints are 16 hex digits (a 64-bit unsigned does not fit SQLite's
 * signed integer cleanly); NULL when the statement could not be parsed. */
const char *const store_schema_steps[] = {
    /* 1: everything */
    "CREATE TABLE meta (\n"
    "  key   TEXT PRIMARY KEY,\n"
    "  value TEXT NOT NULL\n"
    ");\n"
    "INSERT INTO meta (key, value) VALUES ('application', 'lockmatrix');\n"
    "CREATE TABLE runs (\n"
    "  id           INTEGER PRIMARY KEY,\n"
    "  started_at   TEXT NOT NULL,\n"
    "  finished_at  TEXT,\n"
    "  status       TEXT NOT NULL DEFAULT 'running'\n"
    "               CHECK (status IN ('running', 'complete', 'failed', 'interrupted')),\n"
    "  corpus       TEXT NOT NULL,\n"
    "  versions     TEXT NOT NULL,\n" /* "10,11,12" */
    "  backend      TEXT NOT NULL,\n"
    "  args         TEXT,\n"
    "  tool_version TEXT,\n"
    "  jobs         INTEGER\n"
    ");\n"
    "CREATE TABLE servers (\n"
    "  run_id  INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,\n"
    "  major   INTEGER NOT NULL,\n"
    "  version TEXT NOT NULL,\n"
    "  PRIMARY KEY (run_id, major)\n"
    ");\n"
    "CREATE TABLE migrations (\n"
    "  id         INTEGER PRIMARY KEY,\n"
    "  run_id     INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,\n"
    "  chain      INTEGER NOT NULL,\n"
    "  chain_name TEXT NOT NULL,\n"
    "  position   INTEGER NOT NULL,\n"
    "  path       TEXT NOT NULL,\n"
    "  error      TEXT,\n"
    "  UNIQUE (run_id, chain, position)\n"
    ");\n"
    "CREATE INDEX migrations_path ON migrations (path);\n"
    "CREATE TABLE statements (\n"
    "  id            INTEGER PRIMARY KEY,\n"
    "  migration_id  INTEGER NOT NULL REFERENCES migrations (id) ON DELETE CASCADE,\n"
    "  idx           INTEGER NOT NULL,\n"
    "  line          INTEGER NOT NULL,\n"
    "  sql           TEXT NOT NULL,\n"
    "  fingerprint   TEXT,\n"
    "  class         TEXT,\n"
    "  subclasses    TEXT,\n" /* "; "-joined */
    "  target        TEXT,\n"
    "  target_schema TEXT,\n"
    "  referenced    TEXT,\n" /* ","-joined */
    "  no_tx         INTEGER NOT NULL DEFAULT 0,\n"
    "  no_tx_below   INTEGER NOT NULL DEFAULT 0,\n"
    "  tx_control    INTEGER NOT NULL DEFAULT 0,\n"
    "  in_do_block   INTEGER NOT NULL DEFAULT 0,\n"
    "  UNIQUE (migration_id, idx)\n"
    ");\n"
    "CREATE INDEX statements_fingerprint ON statements (fingerprint);\n"
    "CREATE TABLE jobs (\n"
    "  id          INTEGER PRIMARY KEY,\n"
    "  run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,\n"
    "  chain       INTEGER NOT NULL,\n"
    "  major       INTEGER NOT NULL,\n"
    "  status      TEXT NOT NULL CHECK (status IN ('ok', 'failed')),\n"
    "  reason      TEXT,\n"
    "  attempts    INTEGER NOT NULL DEFAULT 1,\n"
    "  duration_ms REAL,\n"
    "  finished_at TEXT,\n"
    "  UNIQUE (run_id, chain, major)\n"
    ");\n"
    "CREATE TABLE traces (\n"
    "  id           INTEGER PRIMARY KEY,\n"
    "  job_id       INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,\n"
    "  statement_id INTEGER NOT NULL REFERENCES statements (id) ON DELETE CASCADE,\n"
    "  major        INTEGER NOT NULL,\n"
    "  status       TEXT NOT NULL CHECK (status IN ('ok', 'error', 'skipped', 'timeout')),\n"
    "  sqlstate     TEXT,\n"
    "  message      TEXT,\n"
    "  capture      TEXT,\n"
    "  duration_ms  REAL,\n"
    "  UNIQUE (statement_id, major)\n"
    ");\n"
    "CREATE INDEX traces_job ON traces (job_id);\n"
    "CREATE TABLE locks (\n"
    "  id          INTEGER PRIMARY KEY,\n"
    "  trace_id    INTEGER NOT NULL REFERENCES traces (id) ON DELETE CASCADE,\n"
    "  relation    TEXT,\n"
    "  role        TEXT,\n"
    "  locktype    TEXT NOT NULL,\n"
    "  mode        TEXT NOT NULL,\n"
    "  granted     INTEGER NOT NULL,\n"
    "  held_before INTEGER NOT NULL DEFAULT 0\n"
    ");\n"
    "CREATE INDEX locks_trace ON locks (trace_id);\n"
    "CREATE TABLE rewrites (\n"
    "  id       INTEGER PRIMARY KEY,\n"
    "  trace_id INTEGER NOT NULL REFERENCES traces (id) ON DELETE CASCADE,\n"
    "  relation TEXT NOT NULL\n"
    ");\n"
    "CREATE INDEX rewrites_trace ON rewrites (trace_id);\n"
    "CREATE TABLE scans (\n"
    "  id       INTEGER PRIMARY KEY,\n"
    "  trace_id INTEGER NOT NULL REFERENCES traces (id) ON DELETE CASCADE,\n"
    "  relation TEXT NOT NULL,\n"
    "  seq_scan INTEGER NOT NULL,\n"
    "  tup_read INTEGER NOT NULL\n"
    ");\n"
    "CREATE INDEX scans_trace ON scans (trace_id);\n"
    "CREATE TABLE changes (\n"
    "  id       INTEGER PRIMARY KEY,\n"
    "  trace_id INTEGER NOT NULL REFERENCES traces (id) ON DELETE CASCADE,\n"
    "  kind     TEXT NOT NULL,\n"
    "  relation TEXT,\n"
    "  detail   TEXT\n"
    ");\n"
    "CREATE INDEX changes_trace ON changes (trace_id);\n"
    "CREATE TABLE predictions (\n"
    "  trace_id INTEGER PRIMARY KEY REFERENCES traces (id) ON DELETE CASCADE,\n"
    "  mode     TEXT,\n"
    "  rewrite  INTEGER,\n"
    "  scan     INTEGER,\n"
    "  risk     TEXT,\n"
    "  verdict  TEXT\n"
    ");\n"
    "CREATE TABLE evidence (\n"
    "  id       INTEGER PRIMARY KEY,\n"
    "  trace_id INTEGER NOT NULL REFERENCES traces (id) ON DELETE CASCADE,\n"
    "  kind     TEXT NOT NULL,\n"
    "  size     INTEGER NOT NULL,\n" /* bytes before compression */
    "  data     BLOB NOT NULL\n"     /* zlib (compress2) */
    ");\n"
    "CREATE INDEX evidence_trace ON evidence (trace_id, kind);\n",
    /* 2: how a migration tool runs each migration (corpus/layout.h): in one
     * transaction, and SQL extracted from a JS/TS migration ("knex" ...) */
    "ALTER TABLE migrations ADD COLUMN wrap_tx INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE migrations ADD COLUMN extracted_from TEXT;\n",
    /* 3: sharded runs (run --shard K/N, merge): the shard, NULL when the run
     * had every job, and the corpus identity (corpus/shard.h) */
    "ALTER TABLE runs ADD COLUMN shard TEXT;\n"
    "ALTER TABLE runs ADD COLUMN corpus_id TEXT;\n"
    "CREATE INDEX runs_corpus_id ON runs (corpus_id);\n",
    /* 4: phases of statements held by the observers at each stop (capture
     * "phase"), and how long a migration's own transaction held its strongest
     * lock (on the trace of its COMMIT, or of the last statement of a
     * migration its tool wraps in a transaction) */
    "ALTER TABLE traces ADD COLUMN lock_held_ms REAL;\n"
    "ALTER TABLE traces ADD COLUMN lock_held_relation TEXT;\n"
    "ALTER TABLE traces ADD COLUMN lock_held_mode TEXT;\n"
    "CREATE TABLE phase_locks (\n"
    "  id          INTEGER PRIMARY KEY,\n"
    "  trace_id    INTEGER NOT NULL REFERENCES traces (id) ON DELETE CASCADE,\n"
    "  phase       INTEGER NOT NULL,\n" /* 1-based, in order */
    "  waiting     INTEGER NOT NULL,\n" /* 1: the lock the statement waited for at this stop */
    "  relation    TEXT,\n"
    "  role        TEXT,\n"
    "  locktype    TEXT NOT NULL,\n"
    "  mode        TEXT NOT NULL,\n"
    "  granted     INTEGER NOT NULL\n"
    ");\n"
    "CREATE INDEX phase_locks_trace ON phase_locks (trace_id);\n",
    /* 5: what a statement itself requested (predict/locktable.h TraceReq): "own"
     * (its locks are its requests), "replay" (measured on a sibling database,
     * rows in requests), "unmeasured" (its transaction held locks before it
     * and nothing measured it: older stores' statements inside a migration's
     * transaction); the replay's rows: kind "lock" (relation, role, locktype,
     * mode), "rewrite" and "scan" (relation) */
    "ALTER TABLE traces ADD COLUMN requested TEXT;\n"
    "UPDATE traces SET requested = CASE WHEN id IN (SELECT trace_id FROM locks WHERE "
    "held_before) THEN 'unmeasured' ELSE 'own' END WHERE status = 'ok';\n"
    "CREATE TABLE requests (\n"
    "  id          INTEGER PRIMARY KEY,\n"
    "  trace_id    INTEGER NOT NULL REFERENCES traces (id) ON DELETE CASCADE,\n"
    "  kind        TEXT NOT NULL CHECK (kind IN ('lock', 'rewrite', 'scan')),\n"
    "  relation    TEXT,\n"
    "  role        TEXT,\n"
    "  locktype    TEXT,\n"
    "  mode        TEXT\n"
    ");\n"
    "CREATE INDEX requests_trace ON requests (trace_id);\n",
    /* 6: the layout each directory given was loaded with (corpus/layout.h
     * LayoutSummary): what it took and why; its chains are first_chain ..
     * first_chain + chains - 1. left_names: the first names, one a line */
    "CREATE TABLE layouts (\n"
    "  id          INTEGER PRIMARY KEY,\n"
    "  run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,\n"
    "  path        TEXT NOT NULL,\n"
    "  first_chain INTEGER NOT NULL,\n"
    "  chains      INTEGER NOT NULL,\n"
    "  layout      TEXT NOT NULL,\n"
    "  forced      INTEGER NOT NULL,\n"
    "  ups         INTEGER NOT NULL,\n"
    "  downs       INTEGER NOT NULL,\n"
    "  downs_run   INTEGER NOT NULL,\n"
    "  left_out    INTEGER NOT NULL,\n"
    "  left_names  TEXT,\n"
    "  note        TEXT\n"
    ");\n"
    "CREATE INDEX layouts_run ON layouts (run_id);\n",
    /* 7: runs.args is the command line as a JSON array of its words (it was
     * one line, a word with a shell character single-quoted). A line with no
     * quote or backslash is split on its spaces; one with them stays as it
     * was, and --resume says it cannot read it back. */
    "UPDATE runs SET args = (\n"
    "  WITH RECURSIVE w(i, word, rest) AS (\n"
    "    SELECT 0, NULL, runs.args || ' '\n"
    "    UNION ALL\n"
    "    SELECT i + 1, substr(rest, 1, instr(rest, ' ') - 1), substr(rest, instr(rest, ' ') + 1)\n"
    "    FROM w WHERE rest <> '')\n"
    "  SELECT json_group_array(word) FROM (SELECT word FROM w WHERE word <> '' ORDER BY i))\n"
    "WHERE args IS NOT NULL AND instr(args, '''') = 0 AND instr(args, '\\') = 0;\n",
    /* 8: every relation the statement was predicted to lock and rewrite
     * (model/prediction.h Prediction.relations: predict/relations.h's text
     * form); NULL in older stores and where none was made */
    "ALTER TABLE predictions ADD COLUMN relations TEXT;\n",
};

int store_schema_version(void)
{
    return (int)(sizeof(store_schema_steps) / sizeof(store_schema_steps[0]));
}
