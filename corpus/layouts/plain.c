/*
 * plain and each: .sql files as psql -f would run them, statement by
 * statement in autocommit, in natural name order. plain: one chain, whose
 * order an ORDER file (one relative path a line, # comments) may give
 * instead; each: every file its own chain.
 */
#include "corpus/layouts/ops.h"

#include <stdlib.h>
#include <string.h>

/* Every .sql entry (a directory named x.sql too: reported unusable). */
static int plan_sql_files(const LayoutDir *d, LayoutPlan *p, Err *err)
{
    for (size_t i = 0; i < d->n; i++)
        if (layout_ends_with(d->ents[i], ".sql"))
            layout_plan_add(p, d->dir, d->ents[i], LAYOUT_TX_NONE);
    if (p->nfiles == 0) return err_set(err, EXIT_USAGE, "no .sql files in \"%s\"", d->dir);
    return 0;
}

static int plan_each(const LayoutDir *d, bool downs, LayoutPlan *p, Err *err)
{
    (void)downs;
    return plan_sql_files(d, p, err);
}

static int plan_plain(const LayoutDir *d, bool downs, LayoutPlan *p, Err *err)
{
    (void)downs;
    char *order_path = layout_join(d->dir, "ORDER");
    if (!layout_is_file(order_path)) {
        free(order_path);
        return plan_sql_files(d, p, err);
    }
    char *text = layout_read_text(order_path);
    free(order_path);
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        size_t l = strlen(line);
        while (l && (line[l - 1] == '\r' || line[l - 1] == ' ' || line[l - 1] == '\t'))
            line[--l] = '\0';
        while (*line == ' ' || *line == '\t')
            line++;
        if (!*line || *line == '#') continue;
        layout_plan_add(p, d->dir, line, LAYOUT_TX_NONE);
    }
    free(text);
    if (p->nfiles == 0) return err_set(err, EXIT_USAGE, "\"%s/ORDER\" names no files", d->dir);
    return 0;
}

const LayoutOps layout_plain = {
    .name = "plain",
    .one = "file",
    .many = "files",
    .plan = plan_plain,
    .tx = LAYOUT_TX_NONE,
};

const LayoutOps layout_each = {
    .name = "each",
    .one = "file, each its own chain",
    .many = "files, each its own chain",
    .plan = plan_each,
    .tx = LAYOUT_TX_NONE,
};
