/*
 * layout: what the layouts of migration tools share: the table of them
 * (LAYOUT_TABLE, one LayoutOps per tool in corpus/layouts/), detection from
 * the files present, the plan of a directory, the summary line, and the
 * helpers the tools' files use.
 *
 * Detection looks only at names (and for JS/TS at a few words of the text):
 * each tool's detect() says whether the directory looks like its own; a
 * tool's hides[] drops the tools its files also match. More than one fit:
 * plain, with a note.
 */
#include "corpus/layout.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "corpus/corpus.h"
#include "corpus/layouts/ops.h"

static const LayoutOps *const table[LAYOUT_COUNT] = {
#define LAYOUT_ROW(id, ops) [LAYOUT_##id] = &ops,
    LAYOUT_TABLE(LAYOUT_ROW)
#undef LAYOUT_ROW
};

const char *layout_name(LayoutKind k)
{
    return (k >= 0 && k < LAYOUT_COUNT) ? table[k]->name : "?";
}

int layout_parse(const char *name)
{
    if (!name) return -1;
    if (strcmp(name, "chain") == 0) return LAYOUT_PLAIN;
    for (int k = 0; k < LAYOUT_COUNT; k++)
        if (strcmp(name, table[k]->name) == 0) return k;
    return -1;
}

const char *layout_names(void)
{
    static char all[512];
    if (!all[0]) {
        size_t at = 0;
        for (int k = 0; k < LAYOUT_COUNT && at < sizeof(all); k++)
            at +=
                (size_t)snprintf(all + at, sizeof(all) - at, "%s%s", k ? ", " : "", table[k]->name);
    }
    return all;
}

bool layout_is_extracted(LayoutKind k)
{
    return k >= 0 && k < LAYOUT_COUNT && table[k]->extracted;
}

void layout_plan_free(LayoutPlan *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->nfiles; i++)
        free(p->files[i].path);
    free(p->files);
    free(p->note);
    free(p->left);
    memset(p, 0, sizeof(*p));
}

/* ---- the summary line ------------------------------------------------------ */

void layout_plan_summary(const LayoutPlan *p, bool downs, LayoutSummary *out)
{
    memset(out, 0, sizeof(*out));
    out->layout = xstrdup(layout_name(p->kind));
    out->forced = p->forced;
    for (size_t i = 0; i < p->nfiles; i++)
        out->nup += !p->files[i].down;
    out->ndown = p->ndowns_found;
    out->downs_run = downs && table[p->kind]->down != NULL;
    out->nleft = p->nleft;
    out->left = p->left ? xstrdup(p->left) : NULL;
    out->note = p->note ? xstrdup(p->note) : NULL;
}

void layout_summary_line(const LayoutSummary *s, Buf *out)
{
    int k = layout_parse(s->layout);
    const char *one = k >= 0 ? table[k]->one : "file", *many = k >= 0 ? table[k]->many : "files";
    const char *down = k >= 0 ? table[k]->down : NULL;
    buf_printf(out, "%s: %zu %s", s->layout ? s->layout : "?", s->nup, s->nup == 1 ? one : many);
    if (down && (s->ndown || s->downs_run)) {
        buf_printf(out, ", %zu %s", s->ndown, down);
        if (s->ndown && !s->downs_run) buf_puts(out, " (not run; --down runs them)");
    }
    if (s->nleft) {
        buf_puts(out, "; left out: ");
        size_t shown = 0;
        for (const char *q = s->left; q && *q; shown++) {
            size_t l = strcspn(q, "\n");
            buf_printf(out, "%s%.*s", shown ? ", " : "", (int)l, q);
            q += l + (q[l] == '\n');
        }
        if (shown < s->nleft)
            buf_printf(out, "%s%zu %s", shown ? " and " : "", s->nleft - shown,
                       shown ? "more" : "files");
    }
    if (s->forced) buf_puts(out, "; named, not detected");
    if (s->note && *s->note) buf_printf(out, "; %s", s->note);
}

void layout_summary_free(LayoutSummary *s)
{
    if (!s) return;
    free(s->layout);
    free(s->left);
    free(s->note);
    memset(s, 0, sizeof(*s));
}

/* ---- helpers of the tools' files ------------------------------------------- */

bool layout_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

char *layout_join(const char *dir, const char *name)
{
    size_t dl = strlen(dir);
    return xasprintf("%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", name);
}

bool layout_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool layout_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *layout_read_text(const char *path)
{
    char *t = NULL;
    Err e = {0};
    if (file_read_all(path, &t, NULL, &e) != 0) return NULL;
    return t;
}

bool layout_setting_is_false(const char *text, const char *key)
{
    size_t kl = strlen(key);
    for (const char *line = text; line && *line;) {
        const char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        /* "-- flyway:executeInTransaction=false" in an SQL header */
        if (strncmp(p, "--", 2) == 0) {
            p += 2;
            while (*p == ' ')
                p++;
            if (strncmp(p, "flyway:", 7) == 0) p += 7;
        }
        if (strncmp(p, key, kl) == 0) {
            p += kl;
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p == '=' || *p == ':') {
                p++;
                while (*p == ' ' || *p == '\t' || *p == '"' || *p == '\'')
                    p++;
                if (strncasecmp(p, "false", 5) == 0) return true;
            }
        }
        line = strchr(line, '\n');
        if (line) line++;
    }
    return false;
}

LayoutFile *layout_plan_add_path(LayoutPlan *p, char *path, LayoutTx tx)
{
    LayoutFile *f = ARRAY_PUSH(p->files, p->nfiles, p->cap);
    memset(f, 0, sizeof(*f));
    f->path = path;
    f->tx = tx;
    return f;
}

LayoutFile *layout_plan_add(LayoutPlan *p, const char *dir, const char *rel, LayoutTx tx)
{
    return layout_plan_add_path(p, layout_join(dir, rel), tx);
}

void layout_note(LayoutPlan *p, const char *note)
{
    char *n = p->note ? xasprintf("%s; %s", p->note, note) : xstrdup(note);
    free(p->note);
    p->note = n;
}

void layout_left_out(LayoutPlan *p, const char *name)
{
    if (p->nleft < LAYOUT_LEFT_NAMES) {
        char *l = p->left ? xasprintf("%s\n%s", p->left, name) : xstrdup(name);
        free(p->left);
        p->left = l;
    }
    p->nleft++;
}

bool layout_has_subdir_file(const LayoutDir *d, const char *file)
{
    bool found = false;
    for (size_t i = 0; i < d->n && !found; i++) {
        if (!d->isdir[i]) continue;
        char *sub = layout_join(d->dir, d->ents[i]);
        char *f = layout_join(sub, file);
        found = layout_is_file(f);
        free(f);
        free(sub);
    }
    return found;
}

int layout_plan_subdirs(const LayoutDir *d, const char *file, LayoutTx tx, LayoutPlan *p, Err *err)
{
    for (size_t i = 0; i < d->n; i++) {
        char *rel = xasprintf("%s/%s", d->ents[i], file);
        char *f = layout_join(d->dir, rel);
        if (d->isdir[i] && layout_is_file(f))
            layout_plan_add_path(p, f, tx);
        else
            free(f);
        free(rel);
    }
    if (p->nfiles == 0) return err_set(err, EXIT_USAGE, "no */%s in \"%s\"", file, d->dir);
    return 0;
}

/* ---- JS/TS migrations ------------------------------------------------------- */

static bool is_js_name(const char *n)
{
    if (layout_ends_with(n, ".d.ts")) return false;
    return layout_ends_with(n, ".js") || layout_ends_with(n, ".ts") ||
           layout_ends_with(n, ".mjs") || layout_ends_with(n, ".cjs");
}

int layout_plan_js(const LayoutDir *d, bool downs, LayoutPlan *p, Err *err)
{
    (void)downs;
    for (size_t i = 0; i < d->n; i++) {
        if (!is_js_name(d->ents[i])) continue;
        char *path = layout_join(d->dir, d->ents[i]);
        if (layout_is_file(path))
            layout_plan_add_path(p, path, layout_file_tx(p->kind, path));
        else
            free(path);
    }
    if (p->nfiles == 0)
        return err_set(err, EXIT_USAGE, "no .js or .ts migrations in \"%s\"", d->dir);
    return 0;
}

int layout_sniff_js(const char *text)
{
    if (!text) return -1;
    int best = -1;
    for (int k = 0; k < LAYOUT_COUNT; k++) {
        const LayoutOps *o = table[k];
        if (best >= 0 && o->js_rank <= table[best]->js_rank) continue;
        for (size_t w = 0; w < ARRAY_LEN(o->js_words); w++)
            if (o->js_words[w] && strstr(text, o->js_words[w])) {
                best = k;
                break;
            }
    }
    return best;
}

/* "transaction: false" or "transaction = false" anywhere in the text. */
static bool js_tx_off(const char *path)
{
    char *text = layout_read_text(path);
    bool off = false;
    for (char *q = text ? strstr(text, "transaction") : NULL; q && !off;
         q = strstr(q + 1, "transaction")) {
        char *r = q + 11;
        while (*r == ' ' || *r == '\t')
            r++;
        if (*r == ':' || *r == '=') {
            r++;
            while (*r == ' ' || *r == '\t')
                r++;
            off = strncmp(r, "false", 5) == 0;
        }
    }
    free(text);
    return off;
}

LayoutTx layout_file_tx(LayoutKind k, const char *path)
{
    if (k < 0 || k >= LAYOUT_COUNT) return LAYOUT_TX_NONE;
    if (table[k]->tx_in_js && js_tx_off(path)) return LAYOUT_TX_NONE;
    return table[k]->tx;
}

/* ---- reading the directory ------------------------------------------------------ */

static int natural_name_cmp(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    int r = natural_cmp(x, y);
    return r ? r : strcmp(x, y);
}

static void dir_free(LayoutDir *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->ents[i]);
    free(d->ents);
    free(d->isdir);
    memset(d, 0, sizeof(*d));
}

/* Reads dir: its entries (not hidden) in natural order, which are
 * directories, the .sql files, the JS/TS tool most .js/.ts files look like. */
static int dir_read(const char *dir, LayoutDir *d, Err *err)
{
    memset(d, 0, sizeof(*d));
    d->dir = dir;
    d->js_kind = -1;
    DIR *dh = opendir(dir);
    if (!dh)
        return err_set(err, EXIT_USAGE, "could not open directory \"%s\": %s", dir,
                       strerror(errno));
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(dh)) != NULL)
        if (de->d_name[0] != '.') *ARRAY_PUSH(d->ents, d->n, cap) = xstrdup(de->d_name);
    closedir(dh);
    if (d->n > 1) qsort(d->ents, d->n, sizeof(char *), natural_name_cmp);
    d->isdir = xcalloc(d->n ? d->n : 1, sizeof(bool));
    size_t js_kind[LAYOUT_COUNT] = {0}, njs = 0;
    for (size_t i = 0; i < d->n; i++) {
        char *path = layout_join(dir, d->ents[i]);
        d->isdir[i] = layout_is_dir(path);
        if (!d->isdir[i] && layout_ends_with(d->ents[i], ".sql")) {
            d->nsql++;
        } else if (!d->isdir[i] && is_js_name(d->ents[i])) {
            njs++;
            char *text = layout_read_text(path);
            int k = layout_sniff_js(text);
            free(text);
            if (k >= 0) js_kind[k]++;
        }
        free(path);
    }
    for (int k = 0; k < LAYOUT_COUNT && njs; k++) /* the most files; a tie: the first */
        if (js_kind[k] && (d->js_kind < 0 || js_kind[k] > js_kind[d->js_kind])) d->js_kind = k;
    return 0;
}

/* ---- detection --------------------------------------------------------------- */

static int read_layout_file(const char *dir, int *kind, Err *err)
{
    char *path = layout_join(dir, CORPUS_LAYOUT_FILE);
    if (access(path, F_OK) != 0) {
        free(path);
        return 0;
    }
    char *text = NULL;
    if (file_read_all(path, &text, NULL, err) != 0) {
        free(path);
        return -1;
    }
    char word[32] = "";
    sscanf(text, "%31s", word);
    free(text);
    int k = layout_parse(word);
    int rc = 0;
    if (k < 0)
        rc = err_set(err, EXIT_USAGE, "\"%s\": line 1: unknown layout \"%s\" (%s)", path, word,
                     layout_names());
    else
        *kind = k;
    free(path);
    return rc;
}

static bool fits(const LayoutDir *d, LayoutKind k)
{
    const LayoutOps *o = table[k];
    if (o->detect) return o->detect(d);
    return o->extracted && d->nsql == 0 && d->js_kind == (int)k;
}

static void detect(const LayoutDir *d, LayoutPlan *p)
{
    bool fit[LAYOUT_COUNT];
    for (int k = 0; k < LAYOUT_COUNT; k++)
        fit[k] = fits(d, (LayoutKind)k);
    for (int k = 0; k < LAYOUT_COUNT; k++)
        for (size_t h = 0; fit[k] && h < ARRAY_LEN(table[k]->hides); h++)
            if (table[k]->hides[h] != LAYOUT_PLAIN) fit[table[k]->hides[h]] = false;
    int found = -1, nfit = 0;
    Buf which;
    buf_init(&which);
    for (int k = 0; k < LAYOUT_COUNT; k++) {
        if (!fit[k]) continue;
        buf_printf(&which, "%s%s", nfit ? ", " : "", table[k]->name);
        found = k;
        nfit++;
    }
    if (nfit == 1) {
        p->kind = (LayoutKind)found;
    } else if (nfit > 1) {
        p->kind = LAYOUT_PLAIN;
        char *note = xasprintf("layout ambiguous (%s): loaded as plain SQL; --layout NAME "
                               "chooses one",
                               which.data);
        layout_note(p, note);
        free(note);
    } else {
        p->kind = LAYOUT_PLAIN;
        for (int k = 0; k < LAYOUT_COUNT; k++) {
            const char *near = table[k]->near ? table[k]->near(d) : NULL;
            if (near) {
                layout_note(p, near);
                break;
            }
        }
    }
    buf_free(&which);
}

/* Where projects keep the migrations of their tool, below the project root. */
static const char *const project_dirs[] = {
    "migrations", "db/migrate",     "db/migrations",       "prisma/migrations",
    "drizzle",    "src/migrations", "supabase/migrations", "sqitch",
};

/* A project root: dir itself holds no layout, one of project_dirs below it
 * does (a tool's, or .sql files). Refused (2) with both named, so that the
 * root is never traced as a plain set of whatever .sql files lie at its top. */
static int refuse_project_root(const char *dir, Err *err)
{
    for (size_t i = 0; i < ARRAY_LEN(project_dirs); i++) {
        char *sub = layout_join(dir, project_dirs[i]);
        LayoutDir d;
        Err ignore = {0};
        if (!layout_is_dir(sub) || dir_read(sub, &d, &ignore) != 0) {
            err_clear(&ignore);
            free(sub);
            continue;
        }
        LayoutPlan p;
        memset(&p, 0, sizeof(p));
        detect(&d, &p);
        int kind = p.kind;
        layout_plan_free(&p);
        /* plain SQL migrations count too (golang-migrate ups without downs) */
        size_t nsql = 0;
        for (size_t k = 0; k < d.n; k++)
            nsql += layout_ends_with(d.ents[k], ".sql");
        dir_free(&d);
        if (kind != LAYOUT_PLAIN || nsql) {
            int rc = err_set(err, EXIT_USAGE,
                             "\"%s\" holds a %s layout in \"%s\": run lockmatrix on that "
                             "directory\nhint: --layout plain traces \"%s\" itself as plain SQL",
                             dir, table[kind]->name, sub, dir);
            free(sub);
            return rc;
        }
        free(sub);
    }
    return 0;
}

int layout_plan(const char *dir, int forced, bool downs, LayoutPlan *out, Err *err)
{
    memset(out, 0, sizeof(*out));
    int kind = forced;
    if (kind < 0 && read_layout_file(dir, &kind, err) != 0) return -1;
    LayoutDir d;
    if (dir_read(dir, &d, err) != 0) return -1;
    if (kind >= 0) {
        out->kind = (LayoutKind)kind;
        out->forced = true;
    } else {
        detect(&d, out);
        if (out->kind == LAYOUT_PLAIN && refuse_project_root(dir, err) != 0) {
            dir_free(&d);
            layout_plan_free(out);
            return -1;
        }
    }
    const LayoutOps *o = table[out->kind];
    int rc = o->plan(&d, downs, out, err);
    dir_free(&d);
    for (size_t i = 0; rc == 0 && o->breakpoints && i < out->nfiles; i++)
        out->files[i].breakpoints = true;
    if (rc == 0 && downs && !o->down) {
        char *note = xasprintf("the %s layout has no down migrations: --down ignored", o->name);
        layout_note(out, note);
        free(note);
    }
    if (rc != 0) layout_plan_free(out);
    return rc;
}
