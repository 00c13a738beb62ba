/*
 * Flyway: V<version>__desc.sql by version, then R__desc.sql by description;
 * U<version>__ its undo migrations; SQL callbacks (before*.sql, after*.sql)
 * not run. One transaction per migration unless every statement cannot run
 * in one (LAYOUT_TX_AUTO) or executeInTransaction=false says so.
 */
#include "corpus/layouts/ops.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* 'V', 'U', 'R', 'C' (a callback: beforeMigrate.sql, afterEachMigrate__x.sql
 * ...) or 0. */
static char flyway_name(const char *n)
{
    if (!layout_ends_with(n, ".sql")) return 0;
    if (strncmp(n, "before", 6) == 0 || strncmp(n, "after", 5) == 0) return 'C';
    const char *sep = strstr(n, "__");
    if (!sep) return 0;
    if (n[0] == 'R' && sep == n + 1) return 'R';
    if (n[0] != 'V' && n[0] != 'U') return 0;
    if (sep == n + 1) return 0;
    for (const char *p = n + 1; p < sep; p++)
        if (!isdigit((unsigned char)*p) && *p != '.' && *p != '_') return 0;
    return n[0];
}

/* Most .sql files (not directories) follow the pattern: a setup script
 * beside them is left out. */
static bool detect(const LayoutDir *d)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++)
        n += !d->isdir[i] && flyway_name(d->ents[i]) != 0;
    return d->nsql && n * 2 > d->nsql;
}

/* Flyway's version order: parts separated by '.' or '_' compared as numbers
 * (1.1 < 1.10; a missing part counts as 0: 1 == 1.0). */
static int flyway_version_cmp(const char *a, const char *b)
{
    const char *ea = strstr(a, "__"), *eb = strstr(b, "__");
    const char *p = a + 1, *q = b + 1;
    while (p < ea || q < eb) {
        unsigned long long x = 0, y = 0;
        while (p < ea && isdigit((unsigned char)*p))
            x = x * 10 + (unsigned long long)(*p++ - '0');
        while (q < eb && isdigit((unsigned char)*q))
            y = y * 10 + (unsigned long long)(*q++ - '0');
        if (x != y) return x < y ? -1 : 1;
        if (p < ea) p++;
        if (q < eb) q++;
    }
    return 0;
}

static int flyway_cmp(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    if (x[0] != y[0]) return x[0] == 'V' ? -1 : 1; /* versioned before repeatable */
    int r = x[0] == 'V' ? flyway_version_cmp(x, y) : strcmp(strstr(x, "__"), strstr(y, "__"));
    return r ? r : strcmp(x, y);
}

/* executeInTransaction=false: in <file>.conf, or in the script's own leading
 * comment lines. */
static bool tx_off(const char *dir, const char *name)
{
    char *conf = xasprintf("%s/%s.conf", dir, name);
    char *text = layout_read_text(conf);
    bool off = text && layout_setting_is_false(text, "executeInTransaction");
    free(text);
    free(conf);
    if (off) return true;
    char *path = layout_join(dir, name);
    text = layout_read_text(path);
    free(path);
    if (!text) return false;
    char *p = text;
    while (*p) {
        char *q = p;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q != '\n' && strncmp(q, "--", 2) != 0) break;
        char *nl = strchr(q, '\n');
        if (!nl) {
            p = q + strlen(q);
            break;
        }
        p = nl + 1;
    }
    *p = '\0';
    off = layout_setting_is_false(text, "executeInTransaction");
    free(text);
    return off;
}

static int plan(const LayoutDir *d, bool downs, LayoutPlan *p, Err *err)
{
    char **v = NULL, **u = NULL;
    size_t nv = 0, cap = 0, nu = 0, ucap = 0, callbacks = 0;
    for (size_t i = 0; i < d->n; i++) {
        char t = flyway_name(d->ents[i]);
        if (t == 'V' || t == 'R')
            *ARRAY_PUSH(v, nv, cap) = d->ents[i];
        else if (t == 'U' && ++p->ndowns_found && downs)
            *ARRAY_PUSH(u, nu, ucap) = d->ents[i];
        else if (t == 'C')
            callbacks++;
        else if (t == 0 && layout_ends_with(d->ents[i], ".sql"))
            layout_left_out(p, d->ents[i]);
    }
    if (nv > 1) qsort(v, nv, sizeof(*v), flyway_cmp);
    for (size_t i = 0; i < nv; i++)
        layout_plan_add(p, d->dir, v[i], tx_off(d->dir, v[i]) ? LAYOUT_TX_NONE : LAYOUT_TX_AUTO);
    if (nu > 1) qsort(u, nu, sizeof(*u), flyway_cmp);
    for (size_t i = nu; nv && i-- > 0;)
        layout_plan_add(p, d->dir, u[i], LAYOUT_TX_AUTO)->down = true;
    free(u);
    free(v);
    if (callbacks) {
        char *note = xasprintf("%zu Flyway callbacks (before*/after*.sql) not run", callbacks);
        layout_note(p, note);
        free(note);
    }
    if (p->nfiles == 0)
        return err_set(err, EXIT_USAGE, "no Flyway V<version>__name.sql files in \"%s\"", d->dir);
    return 0;
}

const LayoutOps layout_flyway = {
    .name = "flyway",
    .one = "migration",
    .many = "migrations",
    .down = "undo",
    .detect = detect,
    .plan = plan,
    .tx = LAYOUT_TX_AUTO,
};
