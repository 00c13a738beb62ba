/*
 * Drizzle: <tag>.sql for each entry of meta/_journal.json, in the journal's
 * order; statements also end at "--> statement-breakpoint"; each file in one
 * transaction (drizzle-orm runs all pending migrations in one).
 */
#include "corpus/layouts/ops.h"

#include <stdlib.h>
#include <string.h>

#include "common/jsonread.h"

#define JOURNAL "meta/_journal.json"

static bool detect(const LayoutDir *d)
{
    char *journal = layout_join(d->dir, JOURNAL);
    bool r = layout_is_file(journal);
    free(journal);
    return r;
}

/* The journal's tags in order: {"entries": [{"tag": "0000_init", ...}, ...]}. */
static int plan_journal(const LayoutDir *d, const char *path, const char *text, LayoutPlan *p,
                        Err *err)
{
    Err e = {0};
    JsonNode *root = jsonread_parse(text, strlen(text), &e);
    if (!root) return err_set(err, EXIT_USAGE, "\"%s\": %s", path, e.msg);
    const JsonNode *entries = jsonread_get(root, "entries");
    int rc = 0;
    if (!entries || entries->type != JSONR_ARRAY)
        rc = err_set(err, EXIT_USAGE, "\"%s\": no \"entries\" array of migrations", path);
    for (size_t i = 0; rc == 0 && i < entries->len; i++) {
        const char *tag = jsonread_str(jsonread_get(jsonread_at(entries, i), "tag"));
        if (!tag || !*tag) {
            rc = err_set(err, EXIT_USAGE,
                         "\"%s\": entry %zu of \"entries\" has no \"tag\" naming "
                         "a migration file",
                         path, i + 1);
            break;
        }
        char *rel = xasprintf("%s.sql", tag);
        layout_plan_add(p, d->dir, rel, LAYOUT_TX_FILE);
        free(rel);
    }
    jsonread_free(root);
    return rc;
}

static int plan(const LayoutDir *d, bool downs, LayoutPlan *p, Err *err)
{
    (void)downs;
    char *path = layout_join(d->dir, JOURNAL);
    char *text = layout_read_text(path);
    int rc = 0;
    if (text) {
        rc = plan_journal(d, path, text, p, err);
    } else {
        layout_note(p, "no " JOURNAL ": files in name order");
        for (size_t i = 0; i < d->n; i++)
            if (layout_ends_with(d->ents[i], ".sql"))
                layout_plan_add(p, d->dir, d->ents[i], LAYOUT_TX_FILE);
    }
    free(text);
    free(path);
    if (rc == 0 && p->nfiles == 0)
        rc = err_set(err, EXIT_USAGE, "no Drizzle migrations in \"%s\"", d->dir);
    return rc;
}

void layout_breakpoints(const char *text, size_t **starts, size_t *n)
{
    static const char mark[] = "--> statement-breakpoint";
    size_t cap = 0;
    *starts = NULL;
    *n = 0;
    *ARRAY_PUSH(*starts, *n, cap) = 0;
    for (const char *p = strstr(text, mark); p; p = strstr(p + 1, mark))
        *ARRAY_PUSH(*starts, *n, cap) = (size_t)(p - text);
}

const LayoutOps layout_drizzle = {
    .name = "drizzle",
    .one = "migration",
    .many = "migrations",
    .detect = detect,
    .hides = {LAYOUT_FLYWAY, LAYOUT_GOLANG_MIGRATE},
    .plan = plan,
    .tx = LAYOUT_TX_FILE,
    .breakpoints = true,
};
