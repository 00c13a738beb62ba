/*
 * golang-migrate: NNN_name.up.sql by version number, NNN_name.down.sql its
 * downs; each file sent in one Exec, so PostgreSQL's implicit transaction.
 */
#include "corpus/layouts/ops.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ^([0-9]+)_(.*)\.(up|down)\.sql$ ; *up tells which. */
static bool golang_name(const char *n, bool *up, unsigned long long *version)
{
    const char *p = n;
    if (!isdigit((unsigned char)*p)) return false;
    unsigned long long v = 0;
    while (isdigit((unsigned char)*p))
        v = v * 10 + (unsigned long long)(*p++ - '0');
    if (*p != '_') return false;
    if (layout_ends_with(n, ".up.sql"))
        *up = true;
    else if (layout_ends_with(n, ".down.sql"))
        *up = false;
    else
        return false;
    if (version) *version = v;
    return true;
}

/* The .sql files (not directories) of the pattern, and the downs among them. */
static size_t count_names(const LayoutDir *d, size_t *ndown)
{
    size_t n = 0;
    *ndown = 0;
    for (size_t i = 0; i < d->n; i++) {
        bool up;
        if (d->isdir[i] || !golang_name(d->ents[i], &up, NULL)) continue;
        n++;
        *ndown += !up;
    }
    return n;
}

/* Most .sql files follow the pattern (a setup script beside them is left
 * out), and at least one is a down. */
static bool detect(const LayoutDir *d)
{
    size_t ndown, n = count_names(d, &ndown);
    return d->nsql && n * 2 > d->nsql && ndown;
}

static const char *near(const LayoutDir *d)
{
    size_t ndown;
    if (!d->nsql || count_names(d, &ndown) != d->nsql) return NULL;
    return "NNN_name.up.sql files without downs: loaded as plain SQL (same order, "
           "no transaction); --layout golang-migrate for its implicit transaction";
}

typedef struct GoFile {
    char *name;
    unsigned long long version;
} GoFile;

static int gofile_cmp(const void *a, const void *b)
{
    const GoFile *x = a, *y = b;
    if (x->version != y->version) return x->version < y->version ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int plan(const LayoutDir *d, bool downs, LayoutPlan *p, Err *err)
{
    GoFile *gf = NULL, *gd = NULL;
    size_t ng = 0, cap = 0, nd = 0, dcap = 0;
    for (size_t i = 0; i < d->n; i++) {
        bool up;
        unsigned long long v;
        if (!golang_name(d->ents[i], &up, &v)) {
            if (layout_ends_with(d->ents[i], ".sql")) layout_left_out(p, d->ents[i]);
            continue;
        }
        if (up)
            *ARRAY_PUSH(gf, ng, cap) = (GoFile){.name = d->ents[i], .version = v};
        else
            *ARRAY_PUSH(gd, nd, dcap) = (GoFile){.name = d->ents[i], .version = v};
    }
    if (ng > 1) qsort(gf, ng, sizeof(*gf), gofile_cmp);
    if (nd > 1) qsort(gd, nd, sizeof(*gd), gofile_cmp);
    for (size_t i = 0; i < ng; i++)
        layout_plan_add(p, d->dir, gf[i].name, LAYOUT_TX_IMPLICIT);
    for (size_t i = nd; downs && ng && i-- > 0;)
        layout_plan_add(p, d->dir, gd[i].name, LAYOUT_TX_IMPLICIT)->down = true;
    free(gf);
    free(gd);
    p->ndowns_found = nd;
    if (p->nfiles == 0)
        return err_set(err, EXIT_USAGE, "no NNN_name.up.sql files in \"%s\"", d->dir);
    return 0;
}

const LayoutOps layout_golang_migrate = {
    .name = "golang-migrate",
    .one = "up",
    .many = "up",
    .down = "down",
    .detect = detect,
    .near = near,
    .plan = plan,
    .tx = LAYOUT_TX_IMPLICIT,
};
