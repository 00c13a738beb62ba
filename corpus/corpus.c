/*
 * corpus: files and directories of migrations loaded into chains, each file
 * split into statements with libpg_query's scanner and classified.
 *
 * Splitting: psql meta-command lines (a backslash in the first column) are
 * blanked out first (replaced by spaces, so offsets and line numbers stay
 * put); a UTF-8 byte order mark is blanked the same way. Then libpg_query's
 * scanner (pg_query_scan, the server's own lexer) tokenizes the text, in
 * windows of ~256 KB (split_stream), and statements end at a ';' token
 * outside parentheses and outside a BEGIN ATOMIC body. A statement runs from its first real token
 * to the end of its last, so leading and trailing comments and whitespace fall away and its line is
 * the line of its first token; comment-only pieces are dropped.
 *
 * Why not pg_query_split_with_scanner (libpg_query 15-4.0): it silently drops
 * a statement without a keyword ("SELEC 1;" vanishes instead of showing up
 * as unparsed) and cuts CREATE FUNCTION ... BEGIN ATOMIC ... END (PG14+
 * SQL-standard bodies) at the inner semicolons. Same lexer, same errors.
 */
#include "corpus/corpus.h"

#include "corpus/jsextract.h"
#include "corpus/layout.h"

#include <errno.h>
#include <fcntl.h>
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

/* split_stream hands each statement over: fn owns it (unlike StatementFn of
 * corpus_migration_each, which only shows it). */
typedef void (*StatementTake)(void *ctx, Statement *st);

/* The byte offset of character chars of s (n bytes): the scanner's error
 * cursor counts characters (UTF-8, by lead byte as the server does). */
static size_t char_offset(const char *s, size_t n, size_t chars)
{
    size_t off = 0;
    for (size_t c = 0; c < chars && off < n; c++) {
        unsigned char b = (unsigned char)s[off];
        off += b < 0x80             ? 1
               : (b & 0xE0) == 0xC0 ? 2
               : (b & 0xF0) == 0xE0 ? 3
               : (b & 0xF8) == 0xF0 ? 4
                                    : 1;
    }
    return off < n ? off : n;
}

/* The text is scanned in windows of at least this many bytes: the scanner's
 * tokens of a whole 15 MB file took 300 MB; a window's take a few. */
#define SPLIT_WINDOW ((size_t)256 << 10)

/* Scans work[pos, pos + n) (NUL put at its end for the scanner, and put
 * back). */
static PgQueryScanResult scan_window(char *work, size_t pos, size_t n)
{
    char saved = work[pos + n];
    work[pos + n] = '\0';
    PgQueryScanResult r = pg_query_scan(work + pos);
    work[pos + n] = saved;
    return r;
}

/* Splits work (len bytes, meta-command lines blanked) and hands each
 * statement, classified, to fn (which owns it). Windows: a window that does
 * not reach the end is used up to its last statement-ending ';' (tokens are
 * lexed left to right, so those before it are the same as in a scan of the
 * whole text); one whose scan fails is cut before the failing token (a quote
 * or comment the cut left open), or doubled when that token starts it; one
 * that ends no statement is doubled.
 * -1 with err naming the line on a scanner error. */
static int split_stream(char *work, size_t len, size_t first_window, StatementTake fn, void *ctx,
                        Err *err)
{
    if (first_window == 0) first_window = 1;
    size_t pos = 0, window = first_window, need = 0;
    size_t line_pos = 0; /* lines counted incrementally: statements come in order */
    int line = 1, index = 0;
    while (pos < len) {
        size_t n = len - pos < window ? len - pos : window;
        bool last = pos + n == len;
        PgQueryScanResult r = scan_window(work, pos, n);
        if (r.error && !last) {
            /* the cut is inside a quote or a comment: the window ends before
             * it (the error's token), or grows when that is its start */
            size_t at = r.error->cursorpos > 0
                            ? char_offset(work + pos, n, (size_t)r.error->cursorpos - 1)
                            : 0;
            pg_query_free_scan_result(r);
            window = at > need && at < n ? at : n * 2;
            continue;
        }
        if (r.error) {
            /* cursorpos: 1-based character offset of the offending token */
            size_t off = r.error->cursorpos > 0
                             ? char_offset(work + pos, n, (size_t)r.error->cursorpos - 1)
                             : n;
            Buf m;
            buf_init(&m);
            scanner_message(r.error->message, &m);
            err_set(err, EXIT_USAGE, "%s at line %d", m.data ? m.data : "scanner error",
                    line_of(work, pos + off));
            buf_free(&m);
            pg_query_free_scan_result(r);
            return -1;
        }
        PgQuery__ScanResult *sr =
            pg_query__scan_result__unpack(NULL, r.pbuf.len, (const uint8_t *)r.pbuf.data);
        if (!sr) {
            pg_query_free_scan_result(r);
            return err_set(err, EXIT_USAGE, "could not read the scanner's tokens");
        }
        Splitter sp = {0};
        size_t b = 0,
               e = 0;    /* the current statement: start of its first real token, end of its last */
        size_t used = 0; /* window bytes up to the last statement-ending ';' */
        for (size_t i = 0; i <= sr->n_tokens; i++) {
            const PgQuery__ScanToken *t = i < sr->n_tokens ? sr->tokens[i] : NULL;
            if (!t && !last) break; /* the rest is split again with the next window */
            if (t && (t->token == PG_QUERY__TOKEN__SQL_COMMENT ||
                      t->token == PG_QUERY__TOKEN__C_COMMENT))
                continue;
            if (t && !splitter_feed(&sp, t->token)) {
                if (sp.ntok == 1) b = (size_t)t->start;
                e = (size_t)t->end;
                continue;
            }
            /* a ';' that ends the statement, or the end of the text */
            bool has_tokens = t ? sp.ntok > 1 : sp.ntok > 0;
            if (has_tokens && e > b && e <= n) {
                for (; line_pos < pos + b; line_pos++)
                    if (work[line_pos] == '\n') line++;
                Statement st = {.index = ++index, .line = line};
                st.sql = xstrndup(work + pos + b, e - b);
                st.fingerprint = classify_fingerprint(st.sql);
                classify_statement(st.sql, &st.info);
                fn(ctx, &st);
            }
            if (t) used = (size_t)t->end;
            memset(&sp, 0, sizeof(sp));
            b = e = 0;
        }
        pg_query__scan_result__free_unpacked(sr, NULL);
        pg_query_free_scan_result(r);
        if (last) break;
        if (used == 0) {
            need = n; /* no statement ends in it: the next must reach further */
            window = n * 2;
            continue;
        }
        pos += used;
        window = first_window;
        need = 0;
    }
    return 0;
}

typedef struct Collect {
    Statement *st;
    size_t n, cap;
} Collect;

static void collect(void *ctx, Statement *st)
{
    Collect *c = ctx;
    *ARRAY_PUSH(c->st, c->n, c->cap) = *st;
}

int corpus_split(const char *text, size_t len, Statement **out, size_t *n, Err *err)
{
    return corpus_split_window(text, len, SPLIT_WINDOW, out, n, err);
}

int corpus_split_window(const char *text, size_t len, size_t window, Statement **out, size_t *n,
                        Err *err)
{
    char *work = xstrndup(text, len);
    blank_non_sql(work, len);
    Collect c = {0};
    int rc = split_stream(work, len, window, collect, &c, err);
    free(work);
    if (rc != 0) {
        statements_free(c.st, c.n);
        c.st = NULL;
        c.n = 0;
    }
    *out = c.st;
    *n = c.n;
    return rc;
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

/* The text of path, checked (a regular file, not empty, no NUL, UTF-8), or
 * NULL with why in *why (free()). */
static char *read_checked(const char *path, int fd, size_t *len, char **why, bool *unreadable,
                          bool *empty)
{
    *why = NULL;
    *unreadable = false;
    *empty = false;
    struct stat st;
    if ((fd >= 0 ? fstat(fd, &st) : stat(path, &st)) != 0) {
        *why = xasprintf("could not open \"%s\": %s", path, strerror(errno));
        *unreadable = true;
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        *why = xasprintf("could not read \"%s\": Is a directory", path);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        *why = xasprintf("could not read \"%s\": not a regular file", path);
        return NULL;
    }
    if ((long long)st.st_size > CORPUS_MAX_FILE_BYTES) {
        *why = xasprintf("\"%s\": too large (%.1f MB; a migration may have at most %lld MB)", path,
                         (double)st.st_size / (1 << 20), CORPUS_MAX_FILE_BYTES >> 20);
        return NULL;
    }
    char *text = NULL;
    Err e = {0};
    if ((fd >= 0 ? fd_read_all(fd, path, &text, len, &e) : file_read_all(path, &text, len, &e)) !=
        0) {
        *why = xstrdup(e.msg);
        *unreadable = true;
        return NULL;
    }
    const char *nul = memchr(text, '\0', *len);
    size_t bad;
    *empty = *len == 0;
    if (*len == 0)
        *why = xasprintf("\"%s\": empty file", path);
    else if (nul)
        *why = xasprintf("\"%s\": contains a NUL byte at line %d", path,
                         line_of(text, (size_t)(nul - text)));
    else if (!utf8_valid(text, *len, &bad))
        *why = xasprintf("\"%s\": not valid UTF-8 at line %d", path, line_of(text, bad));
    if (*why) {
        free(text);
        return NULL;
    }
    return text;
}

/* Loading one file into a Migration: every statement is counted, digested
 * and looked at for decide_wrap; kept only when keep. */
typedef struct Loader {
    Migration *m;
    size_t cap;
    bool keep;         /* keep the statements (a lean load drops each at once) */
    int first_line;    /* line of the file where the piece being split starts */
    bool tx_control;   /* a statement controls transactions (BEGIN, COMMIT ...) */
    bool cluster_wide; /* a statement may change what every database shares */
    bool all_no_tx;    /* no statement can run in a transaction block (so far) */
    StatementFn each;  /* when set, every statement is handed to it instead */
    void *each_ctx;
    bool unreadable; /* the file could not be opened or read (not a content problem) */
    bool empty;      /* the file is empty (0 bytes) */
} Loader;

static void load_statement(void *ctx, Statement *st)
{
    Loader *l = ctx;
    Migration *m = l->m;
    st->line += l->first_line - 1;
    st->index = (int)m->nstmts + 1;
    hash128_field(&m->digest, 'S', st->sql);
    if (st->info.tx_control) l->tx_control = true;
    if (st->info.cluster_wide) l->cluster_wide = true;
    if (!st->info.no_tx) l->all_no_tx = false;
    if (l->each) {
        l->each(l->each_ctx, st);
        free(st->sql);
        classify_free(&st->info);
    } else if (l->keep) {
        grow_array((void **)&m->stmts, sizeof(*m->stmts), &l->cap, m->nstmts + 1);
        m->stmts[m->nstmts] = *st;
    } else {
        free(st->sql);
        classify_free(&st->info);
    }
    m->nstmts++;
}

/* Splits a piece of a file (work: its text, len bytes, changed in place)
 * whose first line is line first_line of the file into l's migration,
 * numbered on. -1 with err naming the file's line. */
static int split_piece(Loader *l, char *work, size_t len, int first_line, Err *err)
{
    blank_non_sql(work, len);
    l->first_line = first_line;
    Err e = {0};
    if (split_stream(work, len, SPLIT_WINDOW, load_statement, l, &e) != 0) {
        /* "... at line N": N of the piece -> of the file */
        const char *at = strstr(e.msg, " at line ");
        if (at) {
            int n = atoi(at + 9);
            return err_set(err, EXIT_USAGE, "%.*s at line %d", (int)(at - e.msg), e.msg,
                           n + first_line - 1);
        }
        return err_set(err, EXIT_USAGE, "%s", e.msg);
    }
    return 0;
}

/* Drizzle: the chunks between "--> statement-breakpoint" markers, each split. */
static int split_breakpoints(Loader *l, const char *text, size_t len, Err *err)
{
    size_t *starts, nst;
    layout_breakpoints(text, &starts, &nst);
    int rc = 0;
    for (size_t i = 0; i < nst && rc == 0; i++) {
        size_t b = starts[i], e = i + 1 < nst ? starts[i + 1] : len;
        char *chunk = xstrndup(text + b, e - b);
        rc = split_piece(l, chunk, e - b, line_of(text, b), err);
        free(chunk);
    }
    free(starts);
    return rc;
}

/* JS/TS: the SQL string literals, each split. */
static int split_js(Loader *l, const char *text, size_t len, Err *err)
{
    JsPiece *pc;
    size_t n, skipped;
    jsextract_sql(text, len, &pc, &n, &skipped);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = split_piece(l, pc[i].sql, strlen(pc[i].sql), pc[i].line, err);
    jsextract_free(pc, n);
    if (rc == 0 && l->m->nstmts == 0)
        rc = err_set(err, EXIT_USAGE, "no SQL string literals passed to .raw() or .query()%s",
                     skipped ? " (only ones built at run time)" : "");
    return rc;
}

/* Reads and splits one file into m (m->error set when it cannot be used):
 * SQL, Drizzle SQL with breakpoints, or JS/TS of layout extract. keep: keep
 * the statements (else only their count and digest); *l gets what
 * decide_wrap needs. */
static void migration_load_as(Migration *m, const char *path, int fd, bool breakpoints, int extract,
                              bool keep, Loader *l)
{
    memset(m, 0, sizeof(*m));
    m->fd = -1;
    m->path = xstrdup(path);
    m->breakpoints = breakpoints;
    m->extract = extract;
    m->digest = hash128_init();
    if (extract >= 0) m->extracted_from = layout_name((LayoutKind)extract);
    StatementFn each = l->each;
    void *each_ctx = l->each_ctx;
    *l = (Loader){.m = m, .keep = keep, .all_no_tx = true, .each = each, .each_ctx = each_ctx};
    size_t len = 0;
    char *why = NULL;
    char *text = read_checked(path, fd, &len, &why, &l->unreadable, &l->empty);
    if (!text) {
        m->error = why;
        m->empty = l->empty;
        return;
    }
    Err e = {0};
    int rc = extract >= 0  ? split_js(l, text, len, &e)
             : breakpoints ? split_breakpoints(l, text, len, &e)
                           : split_piece(l, text, len, 1, &e);
    if (rc != 0) {
        migration_fail(m, "\"%s\": %s", path, e.msg);
        statements_free(m->stmts, m->nstmts);
        m->stmts = NULL;
        m->nstmts = 0;
        m->digest = hash128_init();
    } else if (m->nstmts == 0) {
        migration_fail(m, "\"%s\": no SQL statements (only comments or whitespace)", path);
        m->empty = true;
    }
    free(text);
}

/* Splits m's file again into again (statements kept, or handed to each);
 * -1 with err when it no longer gives what it gave at load. */
static int reload(const Migration *m, Migration *again, StatementFn each, void *ctx, Err *err)
{
    Loader l = {.each = each, .each_ctx = ctx};
    migration_load_as(again, m->path, m->fd, m->breakpoints, m->extract, !each, &l);
    int rc = 0;
    if (again->error && l.unreadable) /* not a change: say why it cannot be read now */
        rc = err_set(err, EXIT_USAGE, "%s", again->error);
    else if (again->error)
        rc = err_set(err, EXIT_USAGE, "%s (it changed since the run started)", again->error);
    else if (again->nstmts != m->nstmts)
        rc = err_set(err, EXIT_USAGE,
                     "\"%s\" changed since the run started (%zu statements then, %zu now)", m->path,
                     m->nstmts, again->nstmts);
    else if (again->digest != m->digest)
        rc = err_set(err, EXIT_USAGE,
                     "\"%s\" changed since the run started (its statements differ)", m->path);
    return rc;
}

int corpus_migration_each(Migration *m, StatementFn each, void *ctx, Err *err)
{
    if (m->error || m->nstmts == 0) return 0;
    if (m->stmts) {
        for (size_t i = 0; i < m->nstmts; i++)
            each(ctx, &m->stmts[i]);
        return 0;
    }
    Migration again;
    int rc = reload(m, &again, each, ctx, err);
    free(again.path);
    free(again.error);
    return rc;
}

int corpus_migration_load(Migration *m, Err *err)
{
    if (m->stmts || m->error || m->nstmts == 0) return 0;
    Migration again;
    int rc = reload(m, &again, NULL, NULL, err);
    if (rc == 0) {
        m->stmts = again.stmts;
        again.stmts = NULL;
    }
    statements_free(again.stmts, again.nstmts);
    free(again.path);
    free(again.error);
    return rc;
}

void corpus_migration_drop(Migration *m)
{
    if (!m->lean || !m->stmts) return;
    statements_free(m->stmts, m->nstmts);
    m->stmts = NULL;
}

/* ---- display ------------------------------------------------------------------- */

/* Length of a dollar-quote tag ($$ or $name$) starting at p, 0 when none. */
static size_t dollar_tag(const char *p)
{
    if (*p != '$') return 0;
    size_t i = 1;
    if (p[i] >= '0' && p[i] <= '9') return 0; /* $1: a parameter */
    while (p[i] && (p[i] == '_' || (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
                    (p[i] >= '0' && p[i] <= '9') || (unsigned char)p[i] >= 0x80))
        i++;
    return p[i] == '$' ? i + 1 : 0;
}

char *corpus_sql_uncommented(const char *sql)
{
    Buf b;
    buf_init(&b);
    buf_puts(&b, "");
    const char *p = sql ? sql : "";
    while (*p) {
        if (p[0] == '-' && p[1] == '-') { /* to the end of the line, which stays */
            while (*p && *p != '\n')
                p++;
            buf_putc(&b, ' ');
            continue;
        }
        if (p[0] == '/' && p[1] == '*') { /* nested, as PostgreSQL has them */
            int depth = 0;
            while (*p) {
                if (p[0] == '/' && p[1] == '*') {
                    depth++;
                    p += 2;
                } else if (p[0] == '*' && p[1] == '/') {
                    p += 2;
                    if (--depth == 0) break;
                } else
                    p++;
            }
            buf_putc(&b, ' ');
            continue;
        }
        size_t tag = dollar_tag(p);
        if (tag) { /* $tag$ ... $tag$ kept whole */
            const char *end = p + tag;
            while (*end && strncmp(end, p, tag) != 0)
                end++;
            end = *end ? end + tag : end;
            buf_append(&b, p, (size_t)(end - p));
            p = end;
            continue;
        }
        if (*p == '\'' || *p == '"') { /* a string or identifier, quotes doubled inside */
            char q = *p;
            bool backslash = q == '\'' && p > sql && (p[-1] == 'E' || p[-1] == 'e');
            const char *s = p++;
            while (*p) {
                if (backslash && *p == '\\' && p[1]) {
                    p += 2;
                    continue;
                }
                if (*p == q) {
                    if (p[1] == q) {
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                p++;
            }
            buf_append(&b, s, (size_t)(p - s));
            continue;
        }
        buf_putc(&b, *p++);
    }
    return buf_steal(&b);
}

size_t corpus_open_files(Corpus *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nchains; i++)
        for (size_t k = 0; k < c->chains[i].nmigs; k++) {
            Migration *m = &c->chains[i].migs[k];
            if (m->fd >= 0 || m->error) continue;
            m->fd = open(m->path, O_RDONLY | O_CLOEXEC);
            if (m->fd < 0) return n; /* out of descriptors: the rest are read by path */
            n++;
        }
    return n;
}

int corpus_chain_load(Chain *ch, Err *err)
{
    for (size_t i = 0; i < ch->nmigs; i++)
        if (corpus_migration_load(&ch->migs[i], err) != 0) {
            corpus_chain_drop(ch);
            return -1;
        }
    return 0;
}

bool migration_in_tx(const Migration *m)
{
    return (m->wrap_tx && m->nstmts > 1) || m->tx_control;
}

bool chain_cluster_wide(const Chain *ch)
{
    for (size_t m = 0; m < ch->nmigs; m++)
        if (ch->migs[m].cluster_wide) return true;
    return false;
}

void corpus_chain_drop(Chain *ch)
{
    for (size_t i = 0; i < ch->nmigs; i++)
        corpus_migration_drop(&ch->migs[i]);
}

/* wrap_tx from the tool's rule and the statements: a file that runs its own
 * transaction control is traced as written. */
static bool decide_wrap(LayoutTx tx, const Migration *m, const Loader *l)
{
    if (m->error || tx == LAYOUT_TX_NONE) return false;
    if (l->tx_control) return false;
    bool all_no_tx = m->nstmts > 0 && l->all_no_tx;
    switch (tx) {
    case LAYOUT_TX_FILE:
        return true;
    case LAYOUT_TX_IMPLICIT:
        return m->nstmts > 1;
    case LAYOUT_TX_AUTO:
        return !all_no_tx;
    default:
        return false;
    }
}

/* Frees what m owns (not m itself) and closes its file. */
static void migration_free(Migration *m)
{
    free(m->path);
    free(m->error);
    if (m->fd >= 0) close(m->fd);
    statements_free(m->stmts, m->nstmts);
}

static Chain *chain_add(Corpus *c, size_t *cap, const char *name, LayoutKind kind)
{
    Chain *ch = ARRAY_PUSH(c->chains, c->nchains, *cap);
    memset(ch, 0, sizeof(*ch));
    ch->name = xstrdup(name);
    ch->layout = layout_name(kind);
    return ch;
}

static void chain_add_file(Corpus *c, Chain *ch, size_t *mcap, const char *path, LayoutTx tx,
                           bool breakpoints, int extract, bool lean)
{
    Migration *m = ARRAY_PUSH(ch->migs, ch->nmigs, *mcap);
    Loader l = {0};
    migration_load_as(m, path, -1, breakpoints, extract, !lean, &l);
    m->wrap_tx = decide_wrap(c->wrap_tx ? LAYOUT_TX_AUTO : tx, m, &l);
    m->tx_control = l.tx_control;
    m->cluster_wide = l.cluster_wide;
    m->lean = lean;
    ch->nstmts += m->nstmts;
    if (m->error) c->nerrors++;
}

/* A path given, with the chains about to be added (its summary to fill). A
 * few per run: grown one at a time. */
static CorpusLayout *layout_add(Corpus *c, const char *path)
{
    c->layouts = xrealloc(c->layouts, (c->nlayouts + 1) * sizeof(*c->layouts));
    CorpusLayout *cl = &c->layouts[c->nlayouts++];
    memset(cl, 0, sizeof(*cl));
    cl->path = xstrdup(path);
    cl->first_chain = c->nchains;
    return cl;
}

static int load_dir(Corpus *c, size_t *ccap, const char *dir, int forced, bool downs, bool lean,
                    Err *err)
{
    LayoutPlan plan;
    if (layout_plan(dir, forced, downs, &plan, err) != 0) return -1;
    CorpusLayout *cl = layout_add(c, dir);
    layout_plan_summary(&plan, downs, &cl->sum);
    bool each = plan.kind == LAYOUT_EACH;
    int extract = layout_is_extracted(plan.kind) ? (int)plan.kind : -1;
    Chain *ch = NULL;
    size_t mcap = 0;
    for (size_t i = 0; i < plan.nfiles; i++) {
        const LayoutFile *f = &plan.files[i];
        if (each || !ch) {
            ch = chain_add(c, ccap, each ? f->path : dir, plan.kind);
            mcap = 0;
        }
        chain_add_file(c, ch, &mcap, f->path, f->tx, f->breakpoints, extract, lean);
        Migration *m = &ch->migs[ch->nmigs - 1];
        if (f->down && m->empty) { /* a down with nothing to undo: a no-op, left out */
            migration_free(m);
            ch->nmigs--;
            c->nerrors--;
            c->nempty_downs++;
        }
    }
    cl->nchains = c->nchains - cl->first_chain;
    layout_plan_free(&plan);
    return 0;
}

static bool is_js_path(const char *p)
{
    size_t n = strlen(p);
    if (n > 5 && strcmp(p + n - 5, ".d.ts") == 0) return false;
    return (n > 3 && (strcmp(p + n - 3, ".js") == 0 || strcmp(p + n - 3, ".ts") == 0)) ||
           (n > 4 && (strcmp(p + n - 4, ".mjs") == 0 || strcmp(p + n - 4, ".cjs") == 0));
}

/* A file given on the command line: a chain of one, SQL or (.js/.ts) the SQL
 * of a JS/TS migration. */
static void load_file(Corpus *c, size_t *ccap, const char *p, int forced, bool lean)
{
    int kind = forced;
    if (kind < 0 && is_js_path(p)) {
        char *text = NULL;
        Err e = {0};
        if (file_read_all(p, &text, NULL, &e) == 0) kind = layout_sniff_js(text);
        free(text);
        if (kind < 0) kind = LAYOUT_KNEX; /* best effort: .raw() / .query() calls */
    }
    if (kind < 0 || kind == LAYOUT_EACH) kind = LAYOUT_PLAIN;
    size_t mcap = 0;
    if (layout_is_extracted((LayoutKind)kind)) {
        CorpusLayout *cl = layout_add(c, p);
        cl->nchains = 1;
        LayoutPlan one = {.kind = (LayoutKind)kind, .forced = forced >= 0, .nfiles = 0};
        layout_plan_summary(&one, false, &cl->sum);
        cl->sum.nup = 1;
    }
    Chain *ch = chain_add(c, ccap, p, (LayoutKind)kind);
    chain_add_file(c, ch, &mcap, p, layout_file_tx((LayoutKind)kind, p), kind == LAYOUT_DRIZZLE,
                   layout_is_extracted((LayoutKind)kind) ? kind : -1, lean);
}

int corpus_load(Corpus *c, char *const *paths, int npaths, const CorpusOpts *opts, Err *err)
{
    memset(c, 0, sizeof(*c));
    int forced = -1;
    if (opts && opts->layout) {
        forced = layout_parse(opts->layout);
        if (forced < 0)
            return err_set(err, EXIT_USAGE, "unknown layout \"%s\" (%s)", opts->layout,
                           layout_names());
    }
    if (opts && opts->each_file) forced = LAYOUT_EACH;
    c->wrap_tx = opts && opts->wrap_tx;
    size_t ccap = 0;
    if (npaths <= 0) return err_set(err, EXIT_USAGE, "no migrations given");
    for (int i = 0; i < npaths; i++) {
        const char *p = paths[i];
        struct stat st;
        if (stat(p, &st) != 0) {
            int e = errno;
            if (e == ENOENT || e == ENOTDIR) {
                corpus_free(c);
                return err_set(err, EXIT_USAGE, "could not open \"%s\": %s", p, strerror(e));
            }
            /* a symlink loop, no permission ...: kept as an unusable migration */
        } else if (S_ISDIR(st.st_mode)) {
            if (load_dir(c, &ccap, p, forced, opts && opts->downs, opts && opts->lean, err) != 0) {
                corpus_free(c);
                return -1;
            }
            continue;
        }
        load_file(c, &ccap, p, forced, opts && opts->lean);
    }
    return 0;
}

int corpus_set_preamble(Corpus *c, const char *path, Err *err)
{
    size_t len = 0;
    char *why = NULL;
    bool unreadable, empty;
    char *text = read_checked(path, -1, &len, &why, &unreadable, &empty);
    if (!text) {
        err_set(err, EXIT_USAGE, "preamble: %s", why);
        free(why);
        return -1;
    }
    Statement *st;
    size_t n;
    Err e = {0};
    if (corpus_split(text, len, &st, &n, &e) != 0) {
        free(text);
        return err_set(err, EXIT_USAGE, "preamble \"%s\": %s", path, e.msg);
    }
    if (n == 0) {
        free(text);
        return err_set(err, EXIT_USAGE, "preamble \"%s\": no SQL statements", path);
    }
    free(c->preamble);
    free(c->preamble_path);
    statements_free(c->pre_stmts, c->npre_stmts);
    c->preamble = text;
    c->preamble_path = xstrdup(path);
    c->pre_stmts = st;
    c->npre_stmts = n;
    return 0;
}

void corpus_free(Corpus *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->nchains; i++) {
        Chain *ch = &c->chains[i];
        for (size_t k = 0; k < ch->nmigs; k++)
            migration_free(&ch->migs[k]);
        free(ch->migs);
        free(ch->name);
    }
    for (size_t i = 0; i < c->nlayouts; i++) {
        free(c->layouts[i].path);
        layout_summary_free(&c->layouts[i].sum);
    }
    free(c->layouts);
    free(c->preamble);
    free(c->preamble_path);
    statements_free(c->pre_stmts, c->npre_stmts);
    free(c->chains);
    memset(c, 0, sizeof(*c));
}
