/*
 * layout: the layouts of migration tools: detection from the files present,
 * each tool's order and transaction rule, and the SQL of JS/TS migrations.
 *
 * Detection looks only at names (and for JS/TS at a few words of the text):
 * sqitch.plan, meta/_journal.json, subdirectories with migration.sql or
 * up.sql, .sql names that all follow Flyway's or golang-migrate's pattern,
 * JS/TS files without any .sql. More than one fit: plain, with a note.
 */
#include "corpus/layout.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "corpus/corpus.h"

static const char *const names[LAYOUT_COUNT] = {
    [LAYOUT_PLAIN] = "plain",       [LAYOUT_EACH] = "each",
    [LAYOUT_GOLANG_MIGRATE] = "golang-migrate",
    [LAYOUT_FLYWAY] = "flyway",     [LAYOUT_PRISMA] = "prisma",
    [LAYOUT_DRIZZLE] = "drizzle",   [LAYOUT_DIESEL] = "diesel",
    [LAYOUT_SQITCH] = "sqitch",     [LAYOUT_KNEX] = "knex",
    [LAYOUT_TYPEORM] = "typeorm",   [LAYOUT_SEQUELIZE] = "sequelize",
};

const char *layout_name(LayoutKind k)
{
    return (k >= 0 && k < LAYOUT_COUNT) ? names[k] : "?";
}

int layout_parse(const char *name)
{
    if (!name) return -1;
    if (strcmp(name, "chain") == 0) return LAYOUT_PLAIN;
    for (int k = 0; k < LAYOUT_COUNT; k++)
        if (strcmp(name, names[k]) == 0) return k;
    return -1;
}

const char *layout_names(void)
{
    return "plain, each, golang-migrate, flyway, prisma, drizzle, diesel, sqitch, knex, "
           "typeorm, sequelize";
}

bool layout_is_extracted(LayoutKind k)
{
    return k == LAYOUT_KNEX || k == LAYOUT_TYPEORM || k == LAYOUT_SEQUELIZE;
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

/* How each layout counts what it took: one, many, and its down migrations
 * (NULL: it has none). */
static const struct {
    const char *one, *many, *down;
} units[LAYOUT_COUNT] = {
    [LAYOUT_PLAIN] = {"file", "files", NULL},
    [LAYOUT_EACH] = {"file, each its own chain", "files, each its own chain", NULL},
    [LAYOUT_GOLANG_MIGRATE] = {"up", "up", "down"},
    [LAYOUT_FLYWAY] = {"migration", "migrations", "undo"},
    [LAYOUT_PRISMA] = {"migration.sql", "migration.sql", NULL},
    [LAYOUT_DRIZZLE] = {"migration", "migrations", NULL},
    [LAYOUT_DIESEL] = {"up.sql", "up.sql", "down.sql"},
    [LAYOUT_SQITCH] = {"deploy", "deploy", "revert"},
    [LAYOUT_KNEX] = {"file", "files", NULL},
    [LAYOUT_TYPEORM] = {"file", "files", NULL},
    [LAYOUT_SEQUELIZE] = {"file", "files", NULL},
};

void layout_plan_summary(const LayoutPlan *p, bool downs, LayoutSummary *out)
{
    memset(out, 0, sizeof(*out));
    out->layout = xstrdup(layout_name(p->kind));
    out->forced = p->forced;
    for (size_t i = 0; i < p->nfiles; i++)
        out->nup += !p->files[i].down;
    out->ndown = p->ndowns_found;
    out->downs_run = downs && units[p->kind].down != NULL;
    out->nleft = p->nleft;
    out->left = p->left ? xstrdup(p->left) : NULL;
    out->note = p->note ? xstrdup(p->note) : NULL;
}

void layout_summary_line(const LayoutSummary *s, Buf *out)
{
    int k = layout_parse(s->layout);
    const char *one = k >= 0 ? units[k].one : "file", *many = k >= 0 ? units[k].many : "files";
    const char *down = k >= 0 ? units[k].down : NULL;
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

/* ---- small helpers ------------------------------------------------------- */

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static char *join(const char *dir, const char *name)
{
    size_t dl = strlen(dir);
    return xasprintf("%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", name);
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool has_file(const char *dir, const char *name)
{
    char *p = join(dir, name);
    bool r = is_file(p);
    free(p);
    return r;
}

/* Entry names of dir, not hidden, sorted naturally (free each and the array). */
static int list_dir(const char *dir, char ***out, size_t *n, Err *err)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return err_set(err, EXIT_USAGE, "could not open directory \"%s\": %s", dir, strerror(errno));
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') continue;
        *ARRAY_PUSH(*out, *n, cap) = xstrdup(de->d_name);
    }
    closedir(d);
    return 0;
}

static void free_names(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static int natural_name_cmp(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    int r = natural_cmp(x, y);
    return r ? r : strcmp(x, y);
}

static LayoutFile *plan_add(LayoutPlan *p, size_t *cap, const char *dir, const char *rel,
                            LayoutTx tx)
{
    LayoutFile *f = ARRAY_PUSH(p->files, p->nfiles, *cap);
    memset(f, 0, sizeof(*f));
    f->path = join(dir, rel);
    f->tx = tx;
    return f;
}

static void note_add(LayoutPlan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note_add(LayoutPlan *p, const char *fmt, ...)
{
    Buf b;
    buf_init(&b);
    if (p->note) {
        buf_puts(&b, p->note);
        buf_puts(&b, "; ");
    }
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    free(p->note);
    p->note = buf_steal(&b);
}

/* ---- name patterns --------------------------------------------------------- */

static bool is_js_name(const char *n)
{
    if (ends_with(n, ".d.ts")) return false;
    return ends_with(n, ".js") || ends_with(n, ".ts") || ends_with(n, ".mjs") ||
           ends_with(n, ".cjs");
}

/* golang-migrate: ^([0-9]+)_(.*)\.(up|down)\.sql$ ; *up tells which. */
static bool golang_name(const char *n, bool *up, unsigned long long *version)
{
    const char *p = n;
    if (!isdigit((unsigned char)*p)) return false;
    unsigned long long v = 0;
    while (isdigit((unsigned char)*p))
        v = v * 10 + (unsigned long long)(*p++ - '0');
    if (*p != '_') return false;
    if (ends_with(n, ".up.sql")) *up = true;
    else if (ends_with(n, ".down.sql")) *up = false;
    else return false;
    if (version) *version = v;
    return true;
}

/* Flyway: V<version>__<desc>.sql, U<version>__..., R__<desc>.sql, and SQL
 * callbacks (beforeMigrate.sql, afterEachMigrate__x.sql ...: 'C', not run).
 * 'V', 'U', 'R', 'C' or 0. */
static char flyway_name(const char *n)
{
    if (!ends_with(n, ".sql")) return 0;
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

/* ---- reading small files --------------------------------------------------- */

static char *read_text(const char *path)
{
    char *t = NULL;
    Err e = {0};
    if (file_read_all(path, &t, NULL, &e) != 0) return NULL;
    return t;
}

/* A line of text (a TOML or properties file) "key = value" with value
 * "false" (quotes, spaces and case ignored). */
static bool setting_is_false(const char *text, const char *key)
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

/* ---- each layout ------------------------------------------------------------ */

/* plain / each: .sql names, natural order, or the order of an ORDER file. */
static int plan_plain(const char *dir, char **ents, size_t n, LayoutPlan *p, Err *err)
{
    size_t cap = 0;
    char *order_path = join(dir, "ORDER");
    if (p->kind == LAYOUT_PLAIN && is_file(order_path)) {
        char *text = read_text(order_path);
        int lineno = 0;
        for (char *line = text, *next; line && *line; line = next) {
            next = strchr(line, '\n');
            if (next) *next++ = '\0';
            lineno++;
            size_t l = strlen(line);
            while (l && (line[l - 1] == '\r' || line[l - 1] == ' ' || line[l - 1] == '\t'))
                line[--l] = '\0';
            while (*line == ' ' || *line == '\t')
                line++;
            if (!*line || *line == '#') continue;
            plan_add(p, &cap, dir, line, LAYOUT_TX_NONE);
        }
        free(text);
        free(order_path);
        if (p->nfiles == 0) return err_set(err, EXIT_USAGE, "\"%s/ORDER\" names no files", dir);
        return 0;
    }
    free(order_path);
    for (size_t i = 0; i < n; i++) /* a directory named x.sql too: reported unusable */
        if (ends_with(ents[i], ".sql")) plan_add(p, &cap, dir, ents[i], LAYOUT_TX_NONE);
    if (p->nfiles == 0) return err_set(err, EXIT_USAGE, "no .sql files in \"%s\"", dir);
    return 0;
}

/* Adds a file that fits no pattern of the layout to those left out (named up
 * to LAYOUT_LEFT_NAMES, then counted). */
static void left_out(LayoutPlan *p, const char *name)
{
    if (p->nleft < LAYOUT_LEFT_NAMES) {
        char *l = p->left ? xasprintf("%s\n%s", p->left, name) : xstrdup(name);
        free(p->left);
        p->left = l;
    }
    p->nleft++;
}

static int plan_golang(const char *dir, char **ents, size_t n, bool with_downs, LayoutPlan *p,
                       Err *err)
{
    GoFile *gf = NULL, *gd = NULL;
    size_t ng = 0, cap = 0, nd = 0, dcap = 0;
    for (size_t i = 0; i < n; i++) {
        bool up;
        unsigned long long v;
        if (!golang_name(ents[i], &up, &v)) {
            if (ends_with(ents[i], ".sql")) left_out(p, ents[i]);
            continue;
        }
        if (!up) {
            *ARRAY_PUSH(gd, nd, dcap) = (GoFile){.name = ents[i], .version = v};
            continue;
        }
        *ARRAY_PUSH(gf, ng, cap) = (GoFile){.name = ents[i], .version = v};
    }
    if (ng > 1) qsort(gf, ng, sizeof(*gf), gofile_cmp);
    if (nd > 1) qsort(gd, nd, sizeof(*gd), gofile_cmp);
    size_t fcap = 0;
    for (size_t i = 0; i < ng; i++)
        plan_add(p, &fcap, dir, gf[i].name, LAYOUT_TX_IMPLICIT);
    for (size_t i = nd; with_downs && ng && i-- > 0;)
        plan_add(p, &fcap, dir, gd[i].name, LAYOUT_TX_IMPLICIT)->down = true;
    free(gf);
    free(gd);
    p->ndowns_found = nd;
    if (p->nfiles == 0) return err_set(err, EXIT_USAGE, "no NNN_name.up.sql files in \"%s\"", dir);
    return 0;
}

static int plan_flyway(const char *dir, char **ents, size_t n, bool with_downs, LayoutPlan *p,
                       Err *err)
{
    char **v = NULL, **u = NULL;
    size_t nv = 0, cap = 0, nu = 0, ucap = 0, callbacks = 0;
    for (size_t i = 0; i < n; i++) {
        char t = flyway_name(ents[i]);
        if (t == 'V' || t == 'R')
            *ARRAY_PUSH(v, nv, cap) = ents[i];
        else if (t == 'U' && ++p->ndowns_found && with_downs)
            *ARRAY_PUSH(u, nu, ucap) = ents[i];
        else if (t == 'C')
            callbacks++;
        else if (t == 0 && ends_with(ents[i], ".sql"))
            left_out(p, ents[i]);
    }
    if (nv > 1) qsort(v, nv, sizeof(*v), flyway_cmp);
    size_t fcap = 0;
    for (size_t i = 0; i < nv; i++) {
        /* executeInTransaction=false: in <file>.conf, or in the script's own header */
        char *conf = xasprintf("%s/%s.conf", dir, v[i]);
        char *text = read_text(conf);
        bool off = text && setting_is_false(text, "executeInTransaction");
        free(text);
        free(conf);
        if (!off) {
            char *path = join(dir, v[i]);
            text = read_text(path);
            free(path);
            if (text) {
                /* only the leading comment lines */
                char *p2 = text;
                while (*p2) {
                    char *q = p2;
                    while (*q == ' ' || *q == '\t')
                        q++;
                    if (*q != '\n' && strncmp(q, "--", 2) != 0) break;
                    char *nl = strchr(q, '\n');
                    if (!nl) {
                        p2 = q + strlen(q);
                        break;
                    }
                    p2 = nl + 1;
                }
                *p2 = '\0';
                off = setting_is_false(text, "executeInTransaction");
                free(text);
            }
        }
        plan_add(p, &fcap, dir, v[i], off ? LAYOUT_TX_NONE : LAYOUT_TX_AUTO);
    }
    if (nu > 1) qsort(u, nu, sizeof(*u), flyway_cmp);
    for (size_t i = nu; nv && i-- > 0;)
        plan_add(p, &fcap, dir, u[i], LAYOUT_TX_AUTO)->down = true;
    free(u);
    free(v);
    if (callbacks) note_add(p, "%zu Flyway callbacks (before*/after*.sql) not run", callbacks);
    if (p->nfiles == 0) return err_set(err, EXIT_USAGE, "no Flyway V<version>__name.sql files in \"%s\"", dir);
    return 0;
}

/* Prisma (migration.sql) and diesel (up.sql): one subdirectory per migration,
 * in name order. */
static int plan_subdirs(const char *dir, char **ents, size_t n, const char *file, bool with_downs,
                        LayoutPlan *p, Err *err)
{
    size_t cap = 0;
    for (size_t i = 0; i < n; i++) {
        char *sub = join(dir, ents[i]);
        char *f = join(sub, file);
        if (is_dir(sub) && is_file(f)) {
            LayoutTx tx = LAYOUT_TX_IMPLICIT;
            if (p->kind == LAYOUT_DIESEL) {
                char *meta = join(sub, "metadata.toml");
                char *text = read_text(meta);
                tx = text && setting_is_false(text, "run_in_transaction") ? LAYOUT_TX_NONE
                                                                          : LAYOUT_TX_FILE;
                free(text);
                free(meta);
            }
            char *rel = xasprintf("%s/%s", ents[i], file);
            plan_add(p, &cap, dir, rel, tx);
            free(rel);
        }
        free(f);
        free(sub);
    }
    if (p->nfiles == 0) return err_set(err, EXIT_USAGE, "no */%s in \"%s\"", file, dir);
    /* diesel's down.sql, newest first, with the folder's transaction rule */
    size_t nup = p->nfiles;
    for (size_t i = nup; p->kind == LAYOUT_DIESEL && i-- > 0;) {
        const char *up = p->files[i].path;
        char *down = xasprintf("%.*sdown.sql", (int)(strlen(up) - strlen(file)), up);
        bool present = is_file(down);
        p->ndowns_found += present;
        if (present && with_downs) {
            LayoutTx tx = p->files[i].tx;
            LayoutFile *d = ARRAY_PUSH(p->files, p->nfiles, cap);
            memset(d, 0, sizeof(*d));
            d->path = down;
            d->tx = tx;
            d->down = true;
        } else {
            free(down);
        }
    }
    return 0;
}

/* The string value of "key": "..." after *pos in JSON text, advancing *pos. */
static char *json_next_string(const char *text, const char *key, const char **pos)
{
    char *pat = xasprintf("\"%s\"", key);
    const char *p = strstr(*pos, pat);
    size_t pl = strlen(pat);
    free(pat);
    if (!p) return NULL;
    p += pl;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (*p != ':') {
        *pos = p;
        return json_next_string(text, key, pos);
    }
    p++;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (*p != '"') {
        *pos = p;
        return json_next_string(text, key, pos);
    }
    const char *s = ++p;
    while (*p && *p != '"') {
        if (*p == '\\' && p[1]) p++;
        p++;
    }
    *pos = p;
    return xstrndup(s, (size_t)(p - s));
}

static int plan_drizzle(const char *dir, char **ents, size_t n, LayoutPlan *p, Err *err)
{
    char *jpath = join(dir, "meta/_journal.json");
    char *text = read_text(jpath);
    size_t cap = 0;
    if (text) {
        const char *pos = text;
        char *tag;
        while ((tag = json_next_string(text, "tag", &pos)) != NULL) {
            char *rel = xasprintf("%s.sql", tag);
            plan_add(p, &cap, dir, rel, LAYOUT_TX_FILE);
            free(rel);
            free(tag);
        }
        free(text);
    } else {
        note_add(p, "no meta/_journal.json: files in name order");
        for (size_t i = 0; i < n; i++)
            if (ends_with(ents[i], ".sql")) plan_add(p, &cap, dir, ents[i], LAYOUT_TX_FILE);
    }
    for (size_t i = 0; i < p->nfiles; i++)
        p->files[i].breakpoints = true;
    free(jpath);
    if (p->nfiles == 0) return err_set(err, EXIT_USAGE, "no Drizzle migrations in \"%s\"", dir);
    return 0;
}

/* sqitch.plan: one change a line ("name [deps] date planner <email> # note"),
 * "%pragma", "@tag ..." and comments left out. A change reworked later
 * deploys from deploy/<name>@<the first tag after it>.sql. */
static int plan_sqitch(const char *dir, bool with_downs, LayoutPlan *p, Err *err)
{
    char *ppath = join(dir, "sqitch.plan");
    char *text = NULL;
    if (file_read_all(ppath, &text, NULL, err) != 0) {
        free(ppath);
        return -1;
    }
    free(ppath);
    typedef struct Ch {
        char *name;
        char *tag; /* the first tag after it; owned */
    } Ch;
    Ch *chs = NULL;
    size_t nch = 0, ccap = 0;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        while (*line == ' ' || *line == '\t')
            line++;
        if (!*line || *line == '#' || *line == '%' || *line == '\r') continue;
        size_t l = strcspn(line, " \t\r");
        if (*line == '@') {
            char *tag = xstrndup(line + 1, l - 1);
            for (size_t i = nch; i-- > 0 && !chs[i].tag;)
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
        Ch *c = ARRAY_PUSH(chs, nch, ccap);
        c->name = xstrndup(line, l);
        c->tag = NULL;
    }
    free(text);
    size_t cap = 0;
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
            char *full = join(dir, rel);
            bool present = pass == 0 || is_file(full);
            p->ndowns_found += pass == 1 && present;
            if (present && (pass == 0 || with_downs))
                plan_add(p, &cap, dir, rel, LAYOUT_TX_NONE)->down = pass == 1;
            free(full);
            free(rel);
        }
    }
    for (size_t i = 0; i < nch; i++) {
        free(chs[i].name);
        free(chs[i].tag);
    }
    free(chs);
    if (p->nfiles == 0) return err_set(err, EXIT_USAGE, "\"%s/sqitch.plan\" names no changes", dir);
    return 0;
}

/* Knex: a transaction per migration unless the file says
 * config = { transaction: false }; TypeORM: one unless transaction = false;
 * Sequelize: none. */
LayoutTx layout_file_tx(LayoutKind k, const char *path)
{
    switch (k) {
    case LAYOUT_KNEX:
    case LAYOUT_TYPEORM: {
        char *text = read_text(path);
        bool off = false;
        if (text) {
            for (char *q = strstr(text, "transaction"); q && !off; q = strstr(q + 1, "transaction")) {
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
        }
        return off ? LAYOUT_TX_NONE : LAYOUT_TX_FILE;
    }
    case LAYOUT_GOLANG_MIGRATE:
    case LAYOUT_PRISMA:
        return LAYOUT_TX_IMPLICIT;
    case LAYOUT_FLYWAY:
        return LAYOUT_TX_AUTO;
    case LAYOUT_DRIZZLE:
    case LAYOUT_DIESEL:
        return LAYOUT_TX_FILE;
    default:
        return LAYOUT_TX_NONE;
    }
}

static int plan_js(const char *dir, char **ents, size_t n, LayoutPlan *p, Err *err)
{
    size_t cap = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_js_name(ents[i])) continue;
        char *path = join(dir, ents[i]);
        if (is_file(path)) plan_add(p, &cap, dir, ents[i], layout_file_tx(p->kind, path));
        free(path);
    }
    if (p->nfiles == 0) return err_set(err, EXIT_USAGE, "no .js or .ts migrations in \"%s\"", dir);
    return 0;
}

int layout_sniff_js(const char *text)
{
    if (!text) return -1;
    if (strstr(text, "MigrationInterface") || strstr(text, "queryRunner")) return LAYOUT_TYPEORM;
    if (strstr(text, "queryInterface")) return LAYOUT_SEQUELIZE;
    if (strstr(text, "knex") || strstr(text, "Knex")) return LAYOUT_KNEX;
    return -1;
}

/* ---- detection --------------------------------------------------------------- */

static int read_layout_file(const char *dir, int *kind, Err *err)
{
    char *path = join(dir, CORPUS_LAYOUT_FILE);
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

static void detect(const char *dir, char **ents, size_t n, LayoutPlan *p)
{
    bool fit[LAYOUT_COUNT] = {0};
    size_t nsql = 0, nflyway = 0, ngo = 0, ngo_down = 0, njs = 0, js_kind[LAYOUT_COUNT] = {0};
    fit[LAYOUT_SQITCH] = has_file(dir, "sqitch.plan");
    char *journal = join(dir, "meta/_journal.json");
    fit[LAYOUT_DRIZZLE] = is_file(journal);
    free(journal);
    for (size_t i = 0; i < n; i++) {
        const char *e = ents[i];
        char *path = join(dir, e);
        if (is_dir(path)) {
            char *m = join(path, "migration.sql"), *u = join(path, "up.sql");
            if (is_file(m)) fit[LAYOUT_PRISMA] = true;
            if (is_file(u)) fit[LAYOUT_DIESEL] = true;
            free(m);
            free(u);
        } else if (ends_with(e, ".sql")) {
            nsql++;
            char t = flyway_name(e);
            if (t) nflyway++;
            bool up;
            if (golang_name(e, &up, NULL)) {
                ngo++;
                if (!up) ngo_down++;
            }
        } else if (is_js_name(e)) {
            njs++;
            char *text = read_text(path);
            int k = layout_sniff_js(text);
            free(text);
            if (k >= 0) js_kind[k]++;
        }
        free(path);
    }
    /* A tool's pattern fits when most .sql files follow it: a setup script kept
     * beside the migrations is left out by name (the plan's note), it does not
     * turn the directory into plain SQL. */
    if (nsql && nflyway * 2 > nsql) fit[LAYOUT_FLYWAY] = true;
    if (nsql && ngo * 2 > nsql && ngo_down) fit[LAYOUT_GOLANG_MIGRATE] = true;
    if (nsql == 0 && njs) {
        int best = -1;
        for (int k = LAYOUT_KNEX; k <= LAYOUT_SEQUELIZE; k++)
            if (js_kind[k] && (best < 0 || js_kind[k] > js_kind[best])) best = k;
        if (best >= 0) fit[best] = true;
    }
    /* Drizzle and sqitch directories also hold .sql files of their own
     * pattern; their marker files decide. */
    if (fit[LAYOUT_DRIZZLE]) fit[LAYOUT_FLYWAY] = fit[LAYOUT_GOLANG_MIGRATE] = false;
    if (fit[LAYOUT_SQITCH]) fit[LAYOUT_PRISMA] = fit[LAYOUT_DIESEL] = false;
    int found = -1, nfit = 0;
    Buf which;
    buf_init(&which);
    for (int k = 0; k < LAYOUT_COUNT; k++) {
        if (!fit[k]) continue;
        buf_printf(&which, "%s%s", nfit ? ", " : "", names[k]);
        found = k;
        nfit++;
    }
    if (nfit == 1) {
        p->kind = (LayoutKind)found;
    } else {
        p->kind = LAYOUT_PLAIN;
        if (nfit > 1)
            note_add(p, "layout ambiguous (%s): loaded as plain SQL; --layout NAME chooses one",
                     which.data);
        else if (nsql && ngo == nsql)
            note_add(p, "NNN_name.up.sql files without downs: loaded as plain SQL (same order, "
                        "no transaction); --layout golang-migrate for its implicit transaction");
    }
    buf_free(&which);
}

/* Where projects keep the migrations of their tool, below the project root. */
static const char *const project_dirs[] = {
    "migrations", "db/migrate", "db/migrations", "prisma/migrations",
    "drizzle", "src/migrations", "supabase/migrations", "sqitch",
};

/* A project root: dir itself holds no layout, one of project_dirs below it
 * does (a tool's, or .sql files). Refused (2) with both named, so that the root is never traced as a
 * plain set of whatever .sql files lie at its top. */
static int refuse_project_root(const char *dir, Err *err)
{
    for (size_t i = 0; i < ARRAY_LEN(project_dirs); i++) {
        char *sub = join(dir, project_dirs[i]);
        char **ents;
        size_t n;
        Err ignore = {0};
        if (!is_dir(sub) || list_dir(sub, &ents, &n, &ignore) != 0) {
            err_clear(&ignore);
            free(sub);
            continue;
        }
        LayoutPlan p;
        memset(&p, 0, sizeof(p));
        detect(sub, ents, n, &p);
        size_t nsql = 0; /* plain SQL migrations count too (golang-migrate ups without downs) */
        for (size_t k = 0; k < n; k++)
            nsql += ends_with(ents[k], ".sql");
        free_names(ents, n);
        int kind = p.kind;
        layout_plan_free(&p);
        if (kind != LAYOUT_PLAIN || nsql) {
            int rc = err_set(err, EXIT_USAGE,
                             "\"%s\" holds a %s layout in \"%s\": run lockmatrix on that "
                             "directory\nhint: --layout plain traces \"%s\" itself as plain SQL",
                             dir, names[kind], sub, dir);
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
    char **ents;
    size_t n;
    if (list_dir(dir, &ents, &n, err) != 0) return -1;
    if (n > 1) qsort(ents, n, sizeof(char *), natural_name_cmp);
    if (kind >= 0) {
        out->kind = (LayoutKind)kind;
        out->forced = true;
    } else {
        detect(dir, ents, n, out);
        if (out->kind == LAYOUT_PLAIN && refuse_project_root(dir, err) != 0) {
            free_names(ents, n);
            layout_plan_free(out);
            return -1;
        }
    }
    int rc;
    switch (out->kind) {
    case LAYOUT_GOLANG_MIGRATE: rc = plan_golang(dir, ents, n, downs, out, err); break;
    case LAYOUT_FLYWAY: rc = plan_flyway(dir, ents, n, downs, out, err); break;
    case LAYOUT_PRISMA: rc = plan_subdirs(dir, ents, n, "migration.sql", false, out, err); break;
    case LAYOUT_DIESEL: rc = plan_subdirs(dir, ents, n, "up.sql", downs, out, err); break;
    case LAYOUT_DRIZZLE: rc = plan_drizzle(dir, ents, n, out, err); break;
    case LAYOUT_SQITCH: rc = plan_sqitch(dir, downs, out, err); break;
    case LAYOUT_KNEX:
    case LAYOUT_TYPEORM:
    case LAYOUT_SEQUELIZE: rc = plan_js(dir, ents, n, out, err); break;
    default: rc = plan_plain(dir, ents, n, out, err); break;
    }
    free_names(ents, n);
    if (rc == 0 && downs && out->kind != LAYOUT_GOLANG_MIGRATE && out->kind != LAYOUT_FLYWAY &&
        out->kind != LAYOUT_DIESEL && out->kind != LAYOUT_SQITCH)
        note_add(out, "the %s layout has no down migrations: --down ignored", names[out->kind]);
    if (rc != 0) layout_plan_free(out);
    return rc;
}

/* ---- Drizzle breakpoints ------------------------------------------------------ */

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

/* ---- JS/TS string literals ------------------------------------------------------ */

typedef enum { TK_IDENT, TK_STRING, TK_PUNCT } TokKind;

typedef struct Tok {
    TokKind kind;
    const char *s;  /* identifier start */
    size_t len;     /* identifier length */
    char c;         /* punctuation */
    char *value;    /* string value, NULL for a template with ${...}; owned */
    int line;
} Tok;

static void put_utf8(Buf *b, unsigned long cp)
{
    char u[4];
    if (cp < 0x80) {
        buf_putc(b, (char)cp);
        return;
    }
    if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        buf_append(b, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        buf_append(b, u, 3);
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        buf_append(b, u, 4);
    }
}

static unsigned long hexval(const char *p, size_t n, size_t *used)
{
    unsigned long v = 0;
    size_t i = 0;
    for (; i < n && isxdigit((unsigned char)p[i]); i++)
        v = v * 16 + (unsigned long)(isdigit((unsigned char)p[i]) ? p[i] - '0'
                                                                   : (tolower((unsigned char)p[i]) - 'a' + 10));
    *used = i;
    return v;
}

/* Reads a string or template literal starting at text[*i] (the quote); its
 * value into *value (NULL for a template with ${...}); *i past the closing
 * quote; *line advanced over its newlines. */
static void read_literal(const char *t, size_t len, size_t *i, int *line, char **value)
{
    char q = t[*i];
    size_t p = *i + 1;
    Buf b;
    buf_init(&b);
    buf_puts(&b, "");
    bool dynamic = false;
    while (p < len && t[p] != q) {
        char c = t[p];
        if (c == '\n') {
            /* an unterminated string ends at the line; the caller counts
             * that newline (counting it here too put every later line off by one) */
            if (q != '`') break;
            (*line)++;
        }
        if (c == '\\' && p + 1 < len) {
            char e = t[p + 1];
            p += 2;
            size_t used;
            switch (e) {
            case 'n': buf_putc(&b, '\n'); break;
            case 't': buf_putc(&b, '\t'); break;
            case 'r': buf_putc(&b, '\r'); break;
            case 'b': buf_putc(&b, '\b'); break;
            case 'f': buf_putc(&b, '\f'); break;
            case 'v': buf_putc(&b, '\v'); break;
            case '0': break; /* a NUL has no place in SQL text */
            case '\r': /* a continuation by CRLF; a lone CR starts no line (lines are \n) */
                if (p < len && t[p] == '\n') {
                    p++;
                    (*line)++;
                }
                break;
            case '\n': (*line)++; break; /* line continuation */
            case 'x': put_utf8(&b, hexval(t + p, 2, &used)); p += used; break;
            case 'u':
                if (p < len && t[p] == '{') {
                    unsigned long cp = hexval(t + p + 1, 8, &used);
                    p += used + 1;
                    if (p < len && t[p] == '}') p++;
                    put_utf8(&b, cp);
                } else {
                    put_utf8(&b, hexval(t + p, 4, &used));
                    p += used;
                }
                break;
            default: buf_putc(&b, e); break;
            }
            continue;
        }
        if (q == '`' && c == '$' && p + 1 < len && t[p + 1] == '{') {
            /* ${ ... }: skip to the matching brace, strings inside included */
            dynamic = true;
            int depth = 1;
            p += 2;
            while (p < len && depth > 0) {
                if (t[p] == '{') depth++;
                else if (t[p] == '}') depth--;
                else if (t[p] == '\'' || t[p] == '"' || t[p] == '`') {
                    char *ignored = NULL;
                    size_t k = p;
                    read_literal(t, len, &k, line, &ignored);
                    free(ignored);
                    p = k;
                    continue;
                } else if (t[p] == '\n') {
                    (*line)++;
                }
                p++;
            }
            continue;
        }
        buf_putc(&b, c);
        p++;
    }
    if (p < len && t[p] == q) p++;
    *i = p;
    if (dynamic) {
        buf_free(&b);
        *value = NULL;
    } else {
        *value = buf_steal(&b);
    }
}

/* Whether a '/' after token prev starts a regular expression literal. */
static bool regex_allowed(const Tok *prev)
{
    if (!prev) return true;
    if (prev->kind == TK_STRING) return false;
    if (prev->kind == TK_IDENT)
        return (prev->len == 6 && strncmp(prev->s, "return", 6) == 0) ||
               (prev->len == 6 && strncmp(prev->s, "typeof", 6) == 0);
    return strchr("(,=:[!&|?{};+-*%<>~^", prev->c) != NULL;
}

static void tokenize(const char *t, size_t len, Tok **toks, size_t *n)
{
    size_t cap = 0;
    int line = 1;
    *toks = NULL;
    *n = 0;
    for (size_t i = 0; i < len;) {
        char c = t[i];
        if (c == '\n') {
            line++;
            i++;
        } else if (isspace((unsigned char)c)) {
            i++;
        } else if (c == '/' && i + 1 < len && t[i + 1] == '/') {
            while (i < len && t[i] != '\n')
                i++;
        } else if (c == '/' && i + 1 < len && t[i + 1] == '*') {
            i += 2;
            while (i + 1 < len && !(t[i] == '*' && t[i + 1] == '/')) {
                if (t[i] == '\n') line++;
                i++;
            }
            i += 2;
        } else if (c == '\'' || c == '"' || c == '`') {
            Tok *k = ARRAY_PUSH(*toks, *n, cap);
            memset(k, 0, sizeof(*k));
            k->kind = TK_STRING;
            k->line = line;
            read_literal(t, len, &i, &line, &k->value);
        } else if (c == '/' && regex_allowed(*n ? &(*toks)[*n - 1] : NULL)) {
            bool cls = false;
            for (i++; i < len && t[i] != '\n'; i++) {
                if (t[i] == '\\') {
                    i++;
                    continue;
                }
                if (t[i] == '[') cls = true;
                else if (t[i] == ']') cls = false;
                else if (t[i] == '/' && !cls) break;
            }
            i++;
            while (i < len && isalpha((unsigned char)t[i]))
                i++;
            Tok *k = ARRAY_PUSH(*toks, *n, cap);
            memset(k, 0, sizeof(*k));
            k->kind = TK_STRING; /* a value, not SQL */
            k->line = line;
            k->value = NULL;
        } else if (isalpha((unsigned char)c) || c == '_' || c == '$' || (unsigned char)c >= 0x80) {
            size_t b = i;
            while (i < len && (isalnum((unsigned char)t[i]) || t[i] == '_' || t[i] == '$' ||
                               (unsigned char)t[i] >= 0x80))
                i++;
            Tok *k = ARRAY_PUSH(*toks, *n, cap);
            memset(k, 0, sizeof(*k));
            k->kind = TK_IDENT;
            k->s = t + b;
            k->len = i - b;
            k->line = line;
        } else if (isdigit((unsigned char)c)) {
            while (i < len && (isalnum((unsigned char)t[i]) || t[i] == '.' || t[i] == '_'))
                i++;
            Tok *k = ARRAY_PUSH(*toks, *n, cap);
            memset(k, 0, sizeof(*k));
            k->kind = TK_IDENT;
            k->s = t;
            k->len = 0;
            k->line = line;
        } else {
            Tok *k = ARRAY_PUSH(*toks, *n, cap);
            memset(k, 0, sizeof(*k));
            k->kind = TK_PUNCT;
            k->c = c;
            k->line = line;
            i++;
        }
    }
}

static bool ident_is(const Tok *k, const char *w)
{
    return k->kind == TK_IDENT && k->len == strlen(w) && strncmp(k->s, w, k->len) == 0;
}

static bool punct_is(const Tok *k, char c)
{
    return k->kind == TK_PUNCT && k->c == c;
}

void layout_extract_js(const char *text, size_t len, JsPiece **out, size_t *n, size_t *skipped)
{
    Tok *t;
    size_t nt;
    tokenize(text, len, &t, &nt);
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    *skipped = 0;
    bool down = false;
    for (size_t i = 0; i < nt; i++) {
        /* up / down sections: "up(", "up:", "up =", "async up (", "exports.up" */
        if ((ident_is(&t[i], "up") || ident_is(&t[i], "down")) && i + 1 < nt &&
            (punct_is(&t[i + 1], '(') || punct_is(&t[i + 1], ':') || punct_is(&t[i + 1], '='))) {
            down = ident_is(&t[i], "down");
            continue;
        }
        if (!(ident_is(&t[i], "raw") || ident_is(&t[i], "query")) || i == 0 ||
            !punct_is(&t[i - 1], '.') || i + 1 >= nt || !punct_is(&t[i + 1], '('))
            continue;
        /* the first argument: literal (+ literal)* followed by ',' or ')' */
        size_t k = i + 2;
        Buf b;
        buf_init(&b);
        bool constant = k < nt && t[k].kind == TK_STRING;
        int line = k < nt ? t[k].line : 0;
        while (constant && k < nt && t[k].kind == TK_STRING) {
            if (!t[k].value) {
                constant = false;
                break;
            }
            buf_puts(&b, t[k].value);
            k++;
            if (k < nt && punct_is(&t[k], '+')) {
                k++;
                if (k >= nt || t[k].kind != TK_STRING) constant = false;
                continue;
            }
            break;
        }
        if (constant && k < nt && !(punct_is(&t[k], ',') || punct_is(&t[k], ')')))
            constant = false;
        if (down) {
            buf_free(&b);
            continue;
        }
        if (!constant) {
            (*skipped)++;
            buf_free(&b);
            continue;
        }
        JsPiece *pc = ARRAY_PUSH(*out, *n, cap);
        pc->sql = b.data ? buf_steal(&b) : xstrdup("");
        pc->line = line;
    }
    for (size_t i = 0; i < nt; i++)
        free(t[i].value);
    free(t);
}

void js_pieces_free(JsPiece *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(p[i].sql);
    free(p);
}
