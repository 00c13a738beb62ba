/*
 * layout: how a migration tool lays out a directory of migrations, the order
 * it applies them in and whether it wraps each one in a transaction.
 *
 * A directory's layout is forced (--layout NAME, or a CORPUS_LAYOUT_FILE
 * naming one) or detected from the files present; when several layouts fit
 * it is loaded as plain with a note. Each tool is a LayoutOps of its own
 * file (corpus/layouts/<tool>.c), a row of LAYOUT_TABLE below.
 * docs/layouts.md has the table of rules and where each comes from.
 */
#ifndef LM_LAYOUT_H
#define LM_LAYOUT_H

#include "common/util.h"

/* The layouts, one row each: its kind (LAYOUT_<ID>) and the LayoutOps that
 * is it (corpus/layouts/<tool>.c, corpus/layouts/ops.h). The order is the
 * order of names in messages. Adding a tool is a row here and its file. */
#define LAYOUT_TABLE(X)                                                                            \
    X(PLAIN, layout_plain)                                                                         \
    X(EACH, layout_each)                                                                           \
    X(GOLANG_MIGRATE, layout_golang_migrate)                                                       \
    X(FLYWAY, layout_flyway)                                                                       \
    X(PRISMA, layout_prisma)                                                                       \
    X(DRIZZLE, layout_drizzle)                                                                     \
    X(DIESEL, layout_diesel)                                                                       \
    X(SQITCH, layout_sqitch)                                                                       \
    X(KNEX, layout_knex)                                                                           \
    X(TYPEORM, layout_typeorm)                                                                     \
    X(SEQUELIZE, layout_sequelize)

typedef enum LayoutKind {
#define LAYOUT_KIND(id, ops) LAYOUT_##id,
    LAYOUT_TABLE(LAYOUT_KIND)
#undef LAYOUT_KIND
        LAYOUT_COUNT
} LayoutKind;

/* "plain", "golang-migrate" ...; static. */
const char *layout_name(LayoutKind k);
/* The kind named name ("chain" is plain); -1 when none. */
int layout_parse(const char *name);
/* "plain, each, golang-migrate, ...": the names for messages; static. */
const char *layout_names(void);
/* True for the layouts whose migrations are SQL extracted from JS/TS. */
bool layout_is_extracted(LayoutKind k);

/* How the tool runs one migration file. */
typedef enum LayoutTx {
    LAYOUT_TX_NONE = 0, /* statement by statement, in autocommit */
    LAYOUT_TX_FILE,     /* the file in one transaction (BEGIN ... COMMIT around it) */
    LAYOUT_TX_IMPLICIT, /* the file sent as one query string: PostgreSQL's implicit
                           transaction, so one transaction only with several statements */
    LAYOUT_TX_AUTO,     /* Flyway: one transaction unless every statement is one that
                           cannot run in a transaction block */
} LayoutTx;

typedef struct LayoutFile {
    char *path; /* dir + "/" + the file's relative path; owned */
    LayoutTx tx;
    bool breakpoints; /* Drizzle: statements end at "--> statement-breakpoint" too */
    bool down;        /* a down migration (asked for: after every up, newest first) */
} LayoutFile;

typedef struct LayoutPlan {
    LayoutKind kind;
    bool forced;       /* named by the caller or the directory, not detected */
    LayoutFile *files; /* in the order the tool applies them */
    size_t nfiles;
    size_t cap;          /* room in files (layout_plan_add) */
    char *note;          /* something the user should know (ambiguous, callbacks not run ...);
                            owned or NULL */
    size_t ndowns_found; /* down migrations of the layout present (taken or not) */
    size_t nleft;        /* files that fit no pattern of the layout, left out */
    char *left;          /* their names, one a line, the first LAYOUT_LEFT_NAMES; owned or NULL */
} LayoutPlan;

/* How many left-out files are named (the rest are counted). */
#define LAYOUT_LEFT_NAMES 10

/* What a directory's layout took and why: the one line every output prints
 * for it ("golang-migrate: 362 up, 362 down; left out: PREAMBLE.sql"),
 * stored with the run. Strings owned (layout_summary_free). */
typedef struct LayoutSummary {
    char *layout;   /* its name ("golang-migrate") */
    bool forced;    /* named (--layout, --each, CORPUS_LAYOUT_FILE), not detected */
    size_t nup;     /* migrations taken, the down ones aside (plain: files) */
    size_t ndown;   /* down migrations present */
    bool downs_run; /* ... and taken (--down) */
    size_t nleft;   /* files that fit no pattern of the layout, left out */
    char *left;     /* their names, one a line, the first LAYOUT_LEFT_NAMES; NULL: none */
    char *note;     /* the rest the user should know (ambiguous ...); NULL: nothing */
} LayoutSummary;

/* The summary of plan p (downs: --down was asked for). */
void layout_plan_summary(const LayoutPlan *p, bool downs, LayoutSummary *out);
/* The line: "<layout>: <counts in the layout's words>[ (downs not run ...)]
 * [; left out: a.sql, b.sql and 3 more][; named, not detected][; <note>]". */
void layout_summary_line(const LayoutSummary *s, Buf *out);
void layout_summary_free(LayoutSummary *s);

/* The plan for directory dir: forced < 0 detects (after the directory's own
 * CORPUS_LAYOUT_FILE). downs: after the up migrations, the down migrations
 * of the layouts that have them (golang-migrate .down.sql, diesel down.sql,
 * Flyway U<version>__, sqitch revert/) in reverse order. -1 with err (code
 * 2) when the directory cannot be read, a layout file or a tool's own file
 * (ORDER, sqitch.plan, meta/_journal.json) is wrong, or no migration of the
 * layout is found. Free with layout_plan_free. */
int layout_plan(const char *dir, int forced, bool downs, LayoutPlan *out, Err *err);
void layout_plan_free(LayoutPlan *p);

/* The transaction rule of a single file given on the command line. */
LayoutTx layout_file_tx(LayoutKind k, const char *path);

/* The layout a JS/TS migration's text looks like (knex, typeorm, sequelize),
 * or -1. */
int layout_sniff_js(const char *text);

/* Splits Drizzle text at "--> statement-breakpoint" comments: offsets of the
 * chunks' starts (the first is 0) into *starts (free()), their number in *n. */
void layout_breakpoints(const char *text, size_t **starts, size_t *n);

#endif
