/*
 * layouts/ops: what one migration tool's layout is, as a row of function
 * pointers and data (LayoutOps), and the helpers corpus/layout.c shares with
 * the tools' files (corpus/layouts/<tool>.c, one LayoutOps each).
 *
 * Adding a tool: a file corpus/layouts/<tool>.c defining
 * `const LayoutOps layout_<tool>`, and its row in LAYOUT_TABLE
 * (corpus/layout.h). docs/layouts.md says what the table of rules wants.
 */
#ifndef LM_LAYOUT_OPS_H
#define LM_LAYOUT_OPS_H

#include "corpus/layout.h"

/* A directory being planned. */
typedef struct LayoutDir {
    const char *dir;
    char **ents; /* its entries, not hidden, in natural name order */
    size_t n;
    bool *isdir; /* per entry: a directory */
    size_t nsql; /* .sql entries that are not directories */
    int js_kind; /* the kind most .js/.ts files look like (layout_sniff_js); -1: none */
} LayoutDir;

typedef struct LayoutOps {
    const char *name;       /* "golang-migrate": --layout NAME and every message */
    const char *one, *many; /* what the layout line counts ("migration", "migrations") */
    const char *down;       /* its down migrations ("down"); NULL: it has none */
    /* Whether the directory looks like this tool's. NULL: a JS/TS tool
     * (extracted) fits a directory without .sql whose .js/.ts files mostly
     * look like its own (js_kind); any other is never detected, only named. */
    bool (*detect)(const LayoutDir *d);
    /* Tools that do not fit when this one does (its files match their
     * patterns too); LAYOUT_PLAIN: none. */
    LayoutKind hides[2];
    /* When nothing fits: a note if the directory nearly is this tool's, else NULL. */
    const char *(*near)(const LayoutDir *d);
    /* Adds the migrations to p in the order the tool applies them with their
     * transaction rule, after them the down migrations (newest first) when
     * downs, and counts the downs present and the files left out. -1 with
     * err (EXIT_USAGE) when the directory holds none. */
    int (*plan)(const LayoutDir *d, bool downs, LayoutPlan *p, Err *err);
    LayoutTx tx;             /* the rule of a file given alone */
    bool tx_in_js;           /* ... unless its JS/TS says "transaction: false" (or "= false") */
    bool breakpoints;        /* statements also end at "--> statement-breakpoint" */
    bool extracted;          /* JS/TS migrations: their SQL is what jsextract finds */
    const char *js_words[2]; /* JS/TS: words that mark a file as this tool's ... */
    int js_rank;             /* ... checked in descending rank (the surest first) */
} LayoutOps;

#define LAYOUT_OPS_DECL(id, ops) extern const LayoutOps ops;
LAYOUT_TABLE(LAYOUT_OPS_DECL)
#undef LAYOUT_OPS_DECL

/* ---- helpers for the tools' files (corpus/layout.c) ---------------------- */

bool layout_ends_with(const char *s, const char *suffix);
/* dir + "/" + name (no second '/'); owned. */
char *layout_join(const char *dir, const char *name);
bool layout_is_file(const char *path);
bool layout_is_dir(const char *path);
/* The text of a small file, NULL when it cannot be read; owned. */
char *layout_read_text(const char *path);
/* Whether text (TOML, properties, or an SQL header "-- flyway:key=value")
 * has a line "key = value" with value false (quotes, spaces, case ignored). */
bool layout_setting_is_false(const char *text, const char *key);

/* Appends dir/rel to p's files with rule tx. */
LayoutFile *layout_plan_add(LayoutPlan *p, const char *dir, const char *rel, LayoutTx tx);
/* The same with the whole path, owned by p from then on. */
LayoutFile *layout_plan_add_path(LayoutPlan *p, char *path, LayoutTx tx);
/* Appends note to p's note ("a; b"). */
void layout_note(LayoutPlan *p, const char *note);
/* A file that fits no pattern of the layout: named (the first
 * LAYOUT_LEFT_NAMES), counted. */
void layout_left_out(LayoutPlan *p, const char *name);

/* Whether a folder of the directory holds file. */
bool layout_has_subdir_file(const LayoutDir *d, const char *file);
/* Every "<folder>/<file>" of the directory, by folder name, with rule tx;
 * -1 with err when there is none. */
int layout_plan_subdirs(const LayoutDir *d, const char *file, LayoutTx tx, LayoutPlan *p, Err *err);
/* Every .js/.ts file, by name, with the tool's rule (layout_file_tx). */
int layout_plan_js(const LayoutDir *d, bool downs, LayoutPlan *p, Err *err);

#endif
