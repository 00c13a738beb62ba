/*
 * corpus: files and directories of migrations loaded into chains, each file
 * split into statements with libpg_query's scanner and classified.
 *
 * Splitting: psql meta-command lines (a backslash in the first column) are
 * blanked out first (replaced by spaces, so offsets and line numbers stay
 * put); a UTF-8 byte order mark is blanked the same way. Then libpg_query's
 * scanner (pg_query_scan, the server's own lexer) tokenizes the whole text
 * once and statements end at a ';' token outside parentheses and outside a
 * BEGIN ATOMIC body. A statement runs from its first real token to the end
 * of its last, so leading and trailing comments and whitespace fall away and
 * its line is the line of its first token; comment-only pieces are dropped.
 *
 * Why not pg_query_split_with_scanner (libpg_query 15-4.0): it silently drops
 * a statement without a keyword ("SELEC 1;" vanishes instead of showing up
 * as unparsed) and cuts CREATE FUNCTION ... BEGIN ATOMIC ... END (PG14+
 * SQL-standard bodies) at the inner semicolons. Same lexer, same errors.
 */
#include "matrix/corpus.h"

#include <dirent.h>
#include <errno.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- splitting -------------------------------------------------------- */

static int line_of(const char *text, size_t off)
{
    int line = 1;
    for (size_t i = 0; i < off; i++)
        if (text[i] == '\n') line++;
    return line;
}

/* Blanks psql meta-command lines and a leading BOM in place. */
static void blank_non_sql(char *t, size_t len)
{
    if (len >= 3 && (unsigned char)t[0] == 0xEF && (unsigned char)t[1] == 0xBB &&
        (unsigned char)t[2] == 0xBF)
        memset(t, ' ', 3);
    for (size_t i = 0; i < len; i++) {
        if ((i == 0 || t[i - 1] == '\n') && t[i] == '\\') {
            while (i < len && t[i] != '\n')
                t[i++] = ' ';
        }
    }
}

/* "unterminated quoted string at or near ..." -> "unterminated quoted string" */
static void scanner_message(const char *msg, Buf *out)
{
    const char *near = strstr(msg, " at or near");
    const char *end = strstr(msg, " at end of input");
    size_t n = strlen(msg);
    if (near && (size_t)(near - msg) < n) n = (size_t)(near - msg);
    if (end && (size_t)(end - msg) < n) n = (size_t)(end - msg);
    buf_append(out, msg, n);
}

/* Where statements end, decided on the scanner's tokens: a ';' outside
 * parentheses (CREATE RULE ... (a; b) is one statement) and outside the
 * BEGIN ATOMIC ... END body of a CREATE FUNCTION/PROCEDURE (CASE ... END
 * nests inside it), as psql decides. */
typedef struct Splitter {
    int parens;   /* open parentheses */
    int atomic;   /* BEGIN ATOMIC / CASE depth inside a routine body */
    int ntok;     /* real tokens so far in this statement, the ';' included */
    bool create;  /* the statement starts with CREATE */
    bool routine; /* ... and names FUNCTION or PROCEDURE */
    int prev;     /* previous real token */
} Splitter;

/* Feeds one real token; true when it ends the statement. */
static bool splitter_feed(Splitter *sp, int tok)
{
    bool end = false;
    if (sp->ntok == 0)
        sp->create = tok == PG_QUERY__TOKEN__CREATE;
    else if (sp->create && (tok == PG_QUERY__TOKEN__FUNCTION || tok == PG_QUERY__TOKEN__PROCEDURE))
        sp->routine = true;
    switch (tok) {
    case PG_QUERY__TOKEN__ASCII_40:
        sp->parens++;
        break;
    case PG_QUERY__TOKEN__ASCII_41:
        if (sp->parens > 0) sp->parens--;
        break;
    case PG_QUERY__TOKEN__ATOMIC:
        if (sp->routine && sp->prev == PG_QUERY__TOKEN__BEGIN_P) sp->atomic++;
        break;
    case PG_QUERY__TOKEN__CASE:
        if (sp->atomic > 0) sp->atomic++;
        break;
    case PG_QUERY__TOKEN__END_P:
        if (sp->atomic > 0) sp->atomic--;
        break;
    case PG_QUERY__TOKEN__ASCII_59:
        end = sp->parens == 0 && sp->atomic == 0;
        break;
    default:
        break;
    }
    sp->ntok++;
    sp->prev = tok;
    return end;
}

/* Adds the statement work[b, e) to *st. */
static void add_statement(Statement **st, size_t *count, size_t *cap, const char *work, size_t b,
                          size_t e, int line)
{
    Statement *s = ARRAY_PUSH(*st, *count, *cap);
    memset(s, 0, sizeof(*s));
    s->index = (int)*count;
    s->line = line;
    s->sql = xstrndup(work + b, e - b);
    s->fingerprint = classify_fingerprint(s->sql);
    classify_statement(s->sql, &s->info);
}

int corpus_split(const char *text, size_t len, Statement **out, size_t *n, Err *err)
{
    *out = NULL;
    *n = 0;
    char *work = xstrndup(text, len);
    blank_non_sql(work, len);

    PgQueryScanResult r = pg_query_scan(work);
    if (r.error) {
        /* cursorpos: 1-based byte offset of the offending token */
        size_t off = r.error->cursorpos > 0 ? (size_t)r.error->cursorpos - 1 : len;
        if (off > len) off = len;
        Buf m;
        buf_init(&m);
        scanner_message(r.error->message, &m);
        err_set(err, 2, "%s at line %d", m.data ? m.data : "scanner error", line_of(work, off));
        buf_free(&m);
        pg_query_free_scan_result(r);
        free(work);
        return -1;
    }
    PgQuery__ScanResult *sr =
        pg_query__scan_result__unpack(NULL, r.pbuf.len, (const uint8_t *)r.pbuf.data);
    if (!sr) {
        pg_query_free_scan_result(r);
        free(work);
        return err_set(err, 2, "could not read the scanner's tokens");
    }

    Statement *st = NULL;
    size_t cap = 0, count = 0;
    size_t line_pos = 0; /* lines counted incrementally: statements come in order */
    int line = 1;
    Splitter sp = {0};
    size_t b = 0, e = 0; /* the current statement: start of its first real token, end of its last */
    for (size_t i = 0; i <= sr->n_tokens; i++) {
        const PgQuery__ScanToken *t = i < sr->n_tokens ? sr->tokens[i] : NULL;
        if (t &&
            (t->token == PG_QUERY__TOKEN__SQL_COMMENT || t->token == PG_QUERY__TOKEN__C_COMMENT))
            continue;
        if (t && !splitter_feed(&sp, t->token)) {
            if (sp.ntok == 1) b = (size_t)t->start;
            e = (size_t)t->end;
            continue;
        }
        /* a ';' that ends the statement, or the end of the text */
        bool has_tokens = t ? sp.ntok > 1 : sp.ntok > 0;
        if (has_tokens && e > b && e <= len) {
            for (; line_pos < b; line_pos++)
                if (work[line_pos] == '\n') line++;
            add_statement(&st, &count, &cap, work, b, e, line);
        }
        memset(&sp, 0, sizeof(sp));
        b = e = 0;
    }
    pg_query__scan_result__free_unpacked(sr, NULL);
    pg_query_free_scan_result(r);
    free(work);
    *out = st;
    *n = count;
    return 0;
}

void statements_free(Statement *s, size_t n)
{
    if (!s) return;
    for (size_t i = 0; i < n; i++) {
        free(s[i].sql);
        classify_free(&s[i].info);
    }
    free(s);
}

/* ---- loading ---------------------------------------------------------- */

static void migration_fail(Migration *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void migration_fail(Migration *m, const char *fmt, ...)
{
    Buf b;
    buf_init(&b);
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    free(m->error);
    m->error = buf_steal(&b);
}

/* Reads and splits one file into m (m->error set when it cannot be used). */
static void migration_load(Migration *m, const char *path)
{
    memset(m, 0, sizeof(*m));
    m->path = xstrdup(path);

    struct stat st;
    if (stat(path, &st) != 0) {
        migration_fail(m, "could not open \"%s\": %s", path, strerror(errno));
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        migration_fail(m, "could not read \"%s\": Is a directory", path);
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        migration_fail(m, "could not read \"%s\": not a regular file", path);
        return;
    }
    char *text = NULL;
    size_t len = 0;
    Err e = {0};
    if (file_read_all(path, &text, &len, &e) != 0) {
        m->error = xstrdup(e.msg);
        return;
    }
    const char *nul = memchr(text, '\0', len);
    size_t bad;
    if (len == 0) {
        migration_fail(m, "\"%s\": empty file", path);
    } else if (nul) {
        migration_fail(m, "\"%s\": contains a NUL byte at line %d", path,
                       line_of(text, (size_t)(nul - text)));
    } else if (!utf8_valid(text, len, &bad)) {
        migration_fail(m, "\"%s\": not valid UTF-8 at line %d", path, line_of(text, bad));
    } else if (corpus_split(text, len, &m->stmts, &m->nstmts, &e) != 0) {
        migration_fail(m, "\"%s\": %s", path, e.msg);
    } else if (m->nstmts == 0) {
        migration_fail(m, "\"%s\": no SQL statements (only comments or whitespace)", path);
    }
    free(text);
}

static Chain *chain_add(Corpus *c, size_t *cap, const char *name)
{
    Chain *ch = ARRAY_PUSH(c->chains, c->nchains, *cap);
    memset(ch, 0, sizeof(*ch));
    ch->name = xstrdup(name);
    return ch;
}

static void chain_add_file(Corpus *c, Chain *ch, size_t *mcap, const char *path)
{
    Migration *m = ARRAY_PUSH(ch->migs, ch->nmigs, *mcap);
    migration_load(m, path);
    ch->nstmts += m->nstmts;
    if (m->error) c->nerrors++;
}

static int name_cmp(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    int r = natural_cmp(x, y);
    return r ? r : strcmp(x, y);
}

static bool is_sql_name(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && n > 4 && strcmp(name + n - 4, ".sql") == 0;
}

/* Sorted .sql names of dir (free each and the array). -1 with err when the
 * directory cannot be listed. */
static int list_sql(const char *dir, char ***names, size_t *n, Err *err)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return err_set(err, 2, "could not open directory \"%s\": %s", dir, strerror(errno));
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!is_sql_name(de->d_name)) continue;
        *ARRAY_PUSH(*names, *n, cap) = xstrdup(de->d_name);
    }
    closedir(d);
    if (*n > 1) qsort(*names, *n, sizeof(char *), name_cmp);
    return 0;
}

/* A directory may say how its files form chains: a file CORPUS_LAYOUT_FILE
 * whose first word is "each" (every file its own chain, as fixtures/cases)
 * or "chain" (the default: the directory is one chain). */
static int dir_layout(const char *dir, bool *each_file, Err *err)
{
    char *path = xasprintf("%s/%s", dir, CORPUS_LAYOUT_FILE);
    char *text = NULL;
    if (access(path, F_OK) != 0) {
        free(path);
        return 0;
    }
    if (file_read_all(path, &text, NULL, err) != 0) {
        free(path);
        return -1;
    }
    char word[16] = "";
    sscanf(text, "%15s", word);
    free(text);
    int rc = 0;
    if (strcmp(word, "each") == 0)
        *each_file = true;
    else if (strcmp(word, "chain") != 0)
        rc = err_set(err, 2, "\"%s\": line 1: unknown layout \"%s\" (each, chain)", path, word);
    free(path);
    return rc;
}

static int load_dir(Corpus *c, size_t *ccap, const char *dir, bool each_file, Err *err)
{
    char **names;
    size_t n;
    if (dir_layout(dir, &each_file, err) != 0) return -1;
    if (list_sql(dir, &names, &n, err) != 0) return -1;
    if (n == 0) {
        free(names);
        return err_set(err, 2, "no .sql files in \"%s\"", dir);
    }
    size_t dl = strlen(dir);
    bool slash = dl > 0 && dir[dl - 1] == '/';
    Chain *ch = NULL;
    size_t mcap = 0;
    for (size_t i = 0; i < n; i++) {
        char *path = xasprintf("%s%s%s", dir, slash ? "" : "/", names[i]);
        if (each_file || !ch) {
            ch = chain_add(c, ccap, each_file ? path : dir);
            mcap = 0;
        }
        chain_add_file(c, ch, &mcap, path);
        free(path);
        free(names[i]);
    }
    free(names);
    return 0;
}

int corpus_load(Corpus *c, char *const *paths, int npaths, const CorpusOpts *opts, Err *err)
{
    memset(c, 0, sizeof(*c));
    bool each_file = opts && opts->each_file;
    size_t ccap = 0;
    if (npaths <= 0) return err_set(err, 2, "no migrations given");
    for (int i = 0; i < npaths; i++) {
        const char *p = paths[i];
        struct stat st;
        if (stat(p, &st) != 0) {
            int e = errno;
            if (e == ENOENT || e == ENOTDIR) {
                corpus_free(c);
                return err_set(err, 2, "could not open \"%s\": %s", p, strerror(e));
            }
            /* a symlink loop, no permission ...: kept as an unusable migration */
        } else if (S_ISDIR(st.st_mode)) {
            if (load_dir(c, &ccap, p, each_file, err) != 0) {
                corpus_free(c);
                return -1;
            }
            continue;
        }
        size_t mcap = 0;
        Chain *ch = chain_add(c, &ccap, p);
        chain_add_file(c, ch, &mcap, p);
    }
    return 0;
}

void corpus_free(Corpus *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->nchains; i++) {
        Chain *ch = &c->chains[i];
        for (size_t k = 0; k < ch->nmigs; k++) {
            free(ch->migs[k].path);
            free(ch->migs[k].error);
            statements_free(ch->migs[k].stmts, ch->migs[k].nstmts);
        }
        free(ch->migs);
        free(ch->name);
    }
    free(c->preamble);
    free(c->chains);
    memset(c, 0, sizeof(*c));
}
