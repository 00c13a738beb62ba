/*
 * corpus: what the user points at, loaded into chains of migrations of
 * statements.
 *
 * A file argument is a chain of one; a directory is one chain of its
 * migrations in the order of its layout (corpus/layout.h: plain .sql files in
 * natural name order, or a migration tool's layout, detected or forced;
 * "each": every file its own chain).
 * Statements are split with libpg_query's scanner, each keeping its line.
 */
#ifndef LM_CORPUS_H
#define LM_CORPUS_H

#include "common/util.h"
#include "predict/classify.h"
#include "corpus/layout.h"

typedef struct Statement {
    int index;            /* 1-based position in its migration */
    int line;             /* 1-based line of its first character in the file */
    char *sql;            /* the statement's text, trimmed, no trailing ';'; owned */
    uint64_t fingerprint; /* libpg_query fingerprint; 0 when unparsed */
    StmtInfo info;        /* classification */
} Statement;

typedef struct Migration {
    char *path;   /* as given / found, relative to the cwd when it was; owned */
    char *error;  /* why the file could not be used ("not valid UTF-8 at line 3"), or NULL */
    bool wrap_tx; /* the migration tool runs this file in one transaction: it is
                     traced as one (see runner/trace/tracer.h). Decided by the layout's rule
                     (docs/layouts.md) and the statements: false for a file with
                     its own transaction control, for a single statement under a
                     tool whose transaction is PostgreSQL's implicit one, and for
                     a Flyway file of statements that cannot run in one */
    const char *extracted_from; /* "knex", "typeorm", "sequelize": the statements are SQL
                             string literals of a JS/TS migration; static; NULL for SQL files */
    Statement *stmts;           /* NULL while a lean migration's statements are in its file only */
    size_t nstmts;              /* kept when the statements are dropped */
    Hash128 digest;             /* of the statements' text, in order: a file loaded again must
                                   give the same (corpus_migration_load) */
    bool lean;                  /* loaded lean: statements are brought back from the file when
                                   needed and dropped after (corpus_chain_load/_drop) */
    bool breakpoints;           /* how the file is split again: Drizzle breakpoints */
    int extract;                /* LayoutKind of the JS/TS extraction, -1: SQL */
    int fd;                     /* the file opened by the parent (corpus_open_files), read
                                   through it when split again; -1: read by path. Closed by
                                   corpus_free */
    bool empty;                 /* no statement in it: an empty file, or only comments and
                                   whitespace (error says which) */
    bool tx_control;            /* a statement controls transactions (BEGIN, COMMIT ...) */
    bool cluster_wide;          /* a statement may change what every database of the server
                                   shares (StmtInfo.cluster_wide) */
} Migration;

typedef struct Chain {
    char *name;         /* the directory or file it came from; owned */
    const char *layout; /* its layout's name ("plain", "flyway" ...); static */
    Migration *migs;
    size_t nmigs;
    size_t nstmts; /* statements over all its migrations */
} Chain;

/* A directory given and the layout it was loaded with (also a JS/TS file
 * given alone: the layout its text looks like). */
typedef struct CorpusLayout {
    char *path;         /* as given; owned */
    size_t first_chain; /* its chains: first_chain .. first_chain + nchains - 1 */
    size_t nchains;
    LayoutSummary sum; /* what it took and why (layout_summary_line) */
} CorpusLayout;

typedef struct Corpus {
    Chain *chains;
    size_t nchains;
    CorpusLayout *layouts; /* in the order given */
    size_t nlayouts;
    char *preamble;       /* setup SQL run before every chain, not traced (--preamble); owned */
    char *preamble_path;  /* the file it came from; owned */
    Statement *pre_stmts; /* the preamble split into statements (classified); owned */
    size_t npre_stmts;
    size_t nerrors;      /* migrations with an error */
    size_t nempty_downs; /* down migrations left out for having no statement (a no-op,
                            not an error; an up migration with none is an error) */
    bool wrap_tx;        /* CorpusOpts.wrap_tx */
} Corpus;

/* The largest migration file loaded (bigger ones are kept with an error):
 * its text is read whole and split in scanner windows; a lean load keeps none
 * of its statements, a full one all (measured on a 15 MB file of 330,000
 * statements: 38 MB peak in a run's parent, 144 MB in `analyze`, ~4 s), and
 * every statement is traced on every version. */
#define CORPUS_MAX_FILE_BYTES ((long long)16 << 20)

/* A file in a directory that names its layout: "each", "chain" (plain) or
 * any layout name of corpus/layout.h. */
#define CORPUS_LAYOUT_FILE ".lockmatrix-layout"

typedef struct CorpusOpts {
    bool each_file;     /* every file of a directory is its own chain */
    const char *layout; /* force this layout on every directory (a layout name); NULL:
                           the directory's layout file, or detection */
    bool downs;         /* append the down migrations (layout_plan), newest first */
    bool wrap_tx;       /* every migration runs in one transaction, whatever its layout's
                           rule (as golang-migrate or diesel run them): LAYOUT_TX_AUTO */
    bool lean;          /* keep no statement in memory: each migration is split, counted,
                           digested and dropped (Migration.lean); the parent of a run holds
                           the corpus this way, so its memory does not grow with the
                           statements, and a worker loads the one chain it runs */
} CorpusOpts;

/* Loads paths into c. Files that cannot be used are kept with their error
 * (and reported by the caller); -1 only when nothing usable was given (a path
 * that does not exist, an empty directory), with err. Free with corpus_free. */
int corpus_load(Corpus *c, char *const *paths, int npaths, const CorpusOpts *opts, Err *err);
void corpus_free(Corpus *c);

/* Brings back the statements of a lean migration by splitting its file
 * again; nothing to do when they are there (or it has an error). -1 with err
 * (code 2) when the file no longer gives the statements it gave at load
 * ("changed since the run started"). */
int corpus_migration_load(Migration *m, Err *err);
/* Shows every statement of m, in order, to each (which must not keep it),
 * without keeping them: a lean migration's file is split again and checked
 * as by corpus_migration_load (-1 with err, after the statements shown so
 * far, when it changed). */
typedef void (*StatementFn)(void *ctx, Statement *st);
int corpus_migration_each(Migration *m, StatementFn each, void *ctx, Err *err);
/* Drops the statements of a lean migration again (no-op otherwise). */
void corpus_migration_drop(Migration *m);
/* The same for every migration of a chain (on error, what was loaded is
 * dropped again). */
int corpus_chain_load(Chain *ch, Err *err);
/* Whether m runs its statements inside a transaction of its own (its tool
 * wraps it, or the file opens one). Known without its statements. */
bool migration_in_tx(const Migration *m);
/* Whether a statement of ch may change what every database of the server
 * shares: a job of it needs a server of its own. Known without its statements. */
bool chain_cluster_wide(const Chain *ch);
/* sql with every comment (-- to the end of its line, nested slash-star ones)
 * replaced by one space, strings, quoted identifiers and dollar-quoted bodies
 * kept as they are: what a statement shows on one line, where text after a
 * "--" would read as commented out. free(). */
char *corpus_sql_uncommented(const char *sql);
/* Opens every usable migration file and keeps it open in Migration.fd, so that
 * workers that run as another user (the embedded backend drops root) read
 * files that only the caller can read. Returns how many it opened; stops
 * quietly when descriptors run out (the rest are read by path). */
size_t corpus_open_files(Corpus *c);
void corpus_chain_drop(Chain *ch);

/* Reads the preamble file path into c (text and classified statements). -1
 * with err (code 2) when it cannot be read, is not UTF-8, does not split or
 * holds no statement. */
int corpus_set_preamble(Corpus *c, const char *path, Err *err);

/* Splits text (len bytes, NUL-terminated) into statements. On a scanner error
 * returns -1 with err naming the line. *out freed with statements_free. */
int corpus_split(const char *text, size_t len, Statement **out, size_t *n, Err *err);
void statements_free(Statement *s, size_t n);
/* corpus_split scanning windows of window bytes at first (it scans ~256 KB
 * at a time; a window as long as the text scans it whole): tests compare. */
int corpus_split_window(const char *text, size_t len, size_t window, Statement **out, size_t *n,
                        Err *err);

#endif
