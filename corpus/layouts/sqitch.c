/*
 * sqitch: deploy/<change>.sql for each change of sqitch.plan, in the plan's
 * order; revert/<change>.sql its downs. No transaction added: sqitch runs
 * each script with psql, and the scripts carry their own BEGIN/COMMIT.
 */
#include "corpus/layouts/ops.h"

#include <stdlib.h>
#include <string.h>

static bool detect(const LayoutDir *d)
{
    char *plan = layout_join(d->dir, "sqitch.plan");
    bool r = layout_is_file(plan);
    free(plan);
    return r;
}

typedef struct Change {
    char *name;
    char *tag; /* the first tag after it; owned */
} Change;

/* sqitch.plan: one change a line ("name [deps] date planner <email> # note"),
 * "%pragma", "@tag ..." and comments left out. */
static Change *read_plan(char *text, size_t *n)
{
    Change *chs = NULL;
    size_t cap = 0;
    *n = 0;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        while (*line == ' ' || *line == '\t')
            line++;
        if (!*line || *line == '#' || *line == '%' || *line == '\r') continue;
        size_t l = strcspn(line, " \t\r");
        if (*line == '@') {
            char *tag = xstrndup(line + 1, l - 1);
            for (size_t i = *n; i-- > 0 && !chs[i].tag;)
                chs[i].tag = xstrdup(tag);
            free(tag);
            continue;
        }
        if (*line == '+') {
            line++;
            l--;
        } else if (*line == '-') {
            continue; /* a change to revert */
        }
        Change *c = ARRAY_PUSH(chs, *n, cap);
        c->name = xstrndup(line, l);
        c->tag = NULL;
    }
    return chs;
}

/* A change reworked later deploys from deploy/<name>@<the first tag after
 * it>.sql. */
static int plan(const LayoutDir *d, bool downs, LayoutPlan *p, Err *err)
{
    char *ppath = layout_join(d->dir, "sqitch.plan");
    char *text = NULL;
    if (file_read_all(ppath, &text, NULL, err) != 0) {
        free(ppath);
        return -1;
    }
    free(ppath);
    size_t nch;
    Change *chs = read_plan(text, &nch);
    free(text);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t j = 0; j < nch; j++) {
            size_t i = pass == 0 ? j : nch - 1 - j; /* reverts: newest first */
            bool reworked = false;
            for (size_t k = i + 1; k < nch && !reworked; k++)
                reworked = strcmp(chs[k].name, chs[i].name) == 0;
            const char *sub = pass == 0 ? "deploy" : "revert";
            char *rel = reworked && chs[i].tag
                            ? xasprintf("%s/%s@%s.sql", sub, chs[i].name, chs[i].tag)
                            : xasprintf("%s/%s.sql", sub, chs[i].name);
            char *full = layout_join(d->dir, rel);
            bool present = pass == 0 || layout_is_file(full);
            p->ndowns_found += pass == 1 && present;
            if (present && (pass == 0 || downs))
                layout_plan_add(p, d->dir, rel, LAYOUT_TX_NONE)->down = pass == 1;
            free(full);
            free(rel);
        }
    }
    for (size_t i = 0; i < nch; i++) {
        free(chs[i].name);
        free(chs[i].tag);
    }
    free(chs);
    if (p->nfiles == 0)
        return err_set(err, EXIT_USAGE, "\"%s/sqitch.plan\" names no changes", d->dir);
    return 0;
}

const LayoutOps layout_sqitch = {
    .name = "sqitch",
    .one = "deploy",
    .many = "deploy",
    .down = "revert",
    .detect = detect,
    .hides = {LAYOUT_PRISMA, LAYOUT_DIESEL},
    .plan = plan,
    .tx = LAYOUT_TX_NONE,
};
