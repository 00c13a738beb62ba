/*
 * predict/classify_keywords: the keyword reader. A statement libpg_query's
 * parser (PostgreSQL 15's) rejects is classified from its leading keywords
 * on the scanner's tokens, when they tell (ALTER TABLE, CREATE INDEX, CREATE
 * TABLE): a coarse class, with info->parsed STMT_PARSED_KEYWORDS. Part of the
 * classifier: see the top of predict/classify.c.
 */
#include "predict/classify.h"
#include "predict/classify_int.h"

#include <ctype.h>
#include <pg_query.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the keyword reader ----------------------------------------------- */

/* The statement's real tokens (comments left out), read left to right up to
 * end (a subcommand's end, or the first ';'). */
typedef struct Kw {
    const char *sql;
    PgQuery__ScanToken **tok; /* into the unpacked scan result; the array is owned */
    size_t n;                 /* tokens before the first ';' */
    size_t i;                 /* the next one to read */
    size_t end;               /* reading stops here */
} Kw;

static const char *kw_text(const Kw *k, size_t i)
{
    return k->sql + k->tok[i]->start;
}

static size_t kw_len(const Kw *k, size_t i)
{
    return (size_t)(k->tok[i]->end - k->tok[i]->start);
}

/* Whether the words of phrase (space-separated: keywords, identifiers or
 * punctuation, any case, never quoted) come at token i; *next is the token
 * after them. */
static bool kw_match(const Kw *k, size_t i, const char *phrase, size_t *next)
{
    const char *p = phrase;
    while (*p) {
        size_t n = strcspn(p, " ");
        if (i >= k->end || kw_len(k, i) != n || strncasecmp(kw_text(k, i), p, n) != 0) return false;
        i++;
        p += n;
        while (*p == ' ')
            p++;
    }
    *next = i;
    return true;
}

/* Reads phrase when it comes next. */
static bool kw_accept(Kw *k, const char *phrase)
{
    return kw_match(k, k->i, phrase, &k->i);
}

/* Whether phrase comes anywhere in [k->i, k->end) outside parentheses. */
static bool kw_has(const Kw *k, const char *phrase)
{
    int depth = 0;
    size_t next;
    for (size_t i = k->i; i < k->end; i++) {
        if (kw_len(k, i) == 1 && kw_text(k, i)[0] == '(') depth++;
        if (kw_len(k, i) == 1 && kw_text(k, i)[0] == ')' && depth > 0) depth--;
        if (depth == 0 && kw_match(k, i, phrase, &next)) return true;
    }
    return false;
}

/* Token i as a name, as the server names it: quotes removed ("" is one "),
 * unquoted folded to lower case (ASCII, as the server does in UTF-8). NULL
 * when it cannot be a name (a reserved keyword, a literal, punctuation).
 * Free with free. */
static bool kw_is_name(const Kw *k, size_t i)
{
    if (i >= k->end) return false;
    const PgQuery__ScanToken *t = k->tok[i];
    return t->token == PG_QUERY__TOKEN__IDENT ||
           t->keyword_kind == PG_QUERY__KEYWORD_KIND__UNRESERVED_KEYWORD ||
           t->keyword_kind == PG_QUERY__KEYWORD_KIND__COL_NAME_KEYWORD;
}

static char *kw_ident_at(const Kw *k, size_t i)
{
    if (!kw_is_name(k, i)) return NULL;
    const char *s = kw_text(k, i);
    size_t n = kw_len(k, i);
    Buf b;
    buf_init(&b);
    buf_puts(&b, "");
    if (n >= 2 && s[0] == '"') {
        for (size_t j = 1; j + 1 < n; j++) {
            buf_putc(&b, s[j]);
            if (s[j] == '"') j++; /* "" */
        }
    } else {
        for (size_t j = 0; j < n; j++)
            buf_putc(&b, s[j] >= 'A' && s[j] <= 'Z' ? (char)(s[j] - 'A' + 'a') : s[j]);
    }
    if (b.len == 0) {
        buf_free(&b);
        return NULL;
    }
    /* the server keeps NAMEDATALEN - 1 bytes of a name, whole characters */
    if (b.len > 63) {
        size_t n63 = 63;
        while (n63 > 0 && ((unsigned char)b.data[n63] & 0xC0) == 0x80)
            n63--;
        b.len = n63;
        b.data[n63] = '\0';
    }
    return buf_steal(&b);
}

/* [database.][schema.]name next: *schema (NULL when not qualified) and *name,
 * both owned. False, nothing read, when no name comes. */
static bool kw_qualified(Kw *k, char **schema, char **name)
{
    char *parts[3] = {NULL, NULL, NULL};
    size_t np = 0, i = k->i;
    for (;;) {
        char *p = kw_ident_at(k, i);
        if (!p) break;
        parts[np++] = p;
        i++;
        if (np == 3 || i >= k->end || kw_len(k, i) != 1 || kw_text(k, i)[0] != '.') break;
        if (!kw_is_name(k, i + 1)) break;
        i++;
    }
    if (np == 0) return false;
    *name = parts[np - 1];
    *schema = np >= 2 ? parts[np - 2] : NULL;
    if (np == 3) free(parts[0]);
    k->i = i;
    return true;
}

/* A relation named next, as a referenced one (REFERENCES x, PARTITION OF x). */
static void kw_ref(Kw *k, StmtInfo *info)
{
    char *schema, *name;
    if (!kw_qualified(k, &schema, &name)) return;
    cl_add_ref(info, schema, name);
    free(schema);
    free(name);
}

/* Every REFERENCES x in [k->i, k->end), at any depth. */
static bool kw_refs(Kw *k, StmtInfo *info)
{
    bool any = false;
    size_t save = k->i, next;
    for (size_t i = save; i < k->end; i++) {
        if (!kw_match(k, i, "REFERENCES", &next)) continue;
        k->i = next;
        size_t before = info->nreferenced;
        kw_ref(k, info);
        any = any || info->nreferenced > before;
    }
    k->i = save;
    return any;
}

/* ALTER TABLE subcommands named by their leading words alone. */
static const struct {
    const char *words;
    const char *body;
} kw_at_phrases[] = {
    {"ALTER CONSTRAINT", "ALTER CONSTRAINT"},
    {"VALIDATE CONSTRAINT", "VALIDATE CONSTRAINT"},
    {"DROP CONSTRAINT", "DROP CONSTRAINT"},
    {"RENAME CONSTRAINT", "RENAME CONSTRAINT"},
    {"RENAME TO", "RENAME"},
    {"SET (", "SET (storage parameters)"},
    {"RESET (", "RESET (storage parameters)"},
    {"SET LOGGED", "SET LOGGED"},
    {"SET UNLOGGED", "SET UNLOGGED"},
    {"SET TABLESPACE", "SET TABLESPACE"},
    {"SET ACCESS METHOD", "SET ACCESS METHOD"},
    {"SET SCHEMA", "SET SCHEMA"},
    {"SET WITHOUT CLUSTER", "SET WITHOUT CLUSTER"},
    {"SET WITHOUT OIDS", "SET WITHOUT OIDS"},
    {"CLUSTER ON", "CLUSTER ON"},
    {"OWNER TO", "OWNER TO"},
    {"REPLICA IDENTITY", "REPLICA IDENTITY"},
    {"ENABLE ALWAYS TRIGGER", "ENABLE ALWAYS TRIGGER"},
    {"ENABLE REPLICA TRIGGER", "ENABLE REPLICA TRIGGER"},
    {"ENABLE TRIGGER", "ENABLE TRIGGER"},
    {"DISABLE TRIGGER", "DISABLE TRIGGER"},
    {"ENABLE ALWAYS RULE", "ENABLE ALWAYS RULE"},
    {"ENABLE REPLICA RULE", "ENABLE REPLICA RULE"},
    {"ENABLE RULE", "ENABLE RULE"},
    {"DISABLE RULE", "DISABLE RULE"},
    {"ENABLE ROW LEVEL SECURITY", "ENABLE ROW LEVEL SECURITY"},
    {"DISABLE ROW LEVEL SECURITY", "DISABLE ROW LEVEL SECURITY"},
    {"FORCE ROW LEVEL SECURITY", "FORCE ROW LEVEL SECURITY"},
    {"NO FORCE ROW LEVEL SECURITY", "NO FORCE ROW LEVEL SECURITY"},
};

/* ALTER [COLUMN] c subcommands, after the column's name. */
static const struct {
    const char *words;
    const char *body;
} kw_column_phrases[] = {
    {"TYPE", "ALTER COLUMN TYPE"},
    {"SET DATA TYPE", "ALTER COLUMN TYPE"},
    {"SET NOT NULL", "ALTER COLUMN SET NOT NULL"},
    {"DROP NOT NULL", "ALTER COLUMN DROP NOT NULL"},
    {"SET DEFAULT", "ALTER COLUMN SET DEFAULT"},
    {"DROP DEFAULT", "ALTER COLUMN DROP DEFAULT"},
    {"SET EXPRESSION", "ALTER COLUMN SET EXPRESSION"},
    {"DROP EXPRESSION", "ALTER COLUMN DROP EXPRESSION"},
    {"SET STATISTICS", "ALTER COLUMN SET STATISTICS"},
    {"SET STORAGE", "ALTER COLUMN SET STORAGE"},
    {"SET COMPRESSION", "ALTER COLUMN SET COMPRESSION"},
    {"ADD GENERATED", "ALTER COLUMN ADD GENERATED AS IDENTITY"},
    {"SET GENERATED", "ALTER COLUMN SET GENERATED"},
    {"DROP IDENTITY", "ALTER COLUMN DROP IDENTITY"},
    {"SET (", "ALTER COLUMN SET (attribute options)"},
    {"RESET (", "ALTER COLUMN RESET (attribute options)"},
};

/* ADD [CONSTRAINT name] kind ...: the body, NULL when kind is none of ours. */
static const char *kw_constraint(Kw *k, StmtInfo *info)
{
    if (kw_accept(k, "CONSTRAINT")) {
        char *name = kw_ident_at(k, k->i);
        if (!name) return NULL;
        free(name);
        k->i++;
    }
    bool not_valid = kw_has(k, "NOT VALID");
    if (kw_accept(k, "CHECK"))
        return not_valid ? "ADD CONSTRAINT CHECK NOT VALID" : "ADD CONSTRAINT CHECK";
    if (kw_accept(k, "FOREIGN KEY")) {
        kw_refs(k, info);
        return not_valid ? "ADD CONSTRAINT FOREIGN KEY NOT VALID" : "ADD CONSTRAINT FOREIGN KEY";
    }
    if (kw_accept(k, "NOT NULL"))
        return not_valid ? "ADD CONSTRAINT NOT NULL NOT VALID" : "ADD CONSTRAINT NOT NULL";
    if (kw_accept(k, "UNIQUE"))
        return kw_accept(k, "USING INDEX") ? "ADD CONSTRAINT UNIQUE USING INDEX"
                                           : "ADD CONSTRAINT UNIQUE";
    if (kw_accept(k, "PRIMARY KEY"))
        return kw_accept(k, "USING INDEX") ? "ADD CONSTRAINT PRIMARY KEY USING INDEX"
                                           : "ADD CONSTRAINT PRIMARY KEY";
    if (kw_accept(k, "EXCLUDE")) return "ADD CONSTRAINT EXCLUDE";
    return NULL;
}

/* One ALTER TABLE subcommand in [k->i, k->end): its body ("ADD COLUMN"), NULL
 * when it is not one the reader knows. */
static const char *kw_at_subcommand(Kw *k, StmtInfo *info)
{
    for (size_t i = 0; i < ARRAY_LEN(kw_at_phrases); i++) {
        if (kw_accept(k, kw_at_phrases[i].words)) {
            if (kw_accept(k, "IF EXISTS")) info->may_skip = true;
            return kw_at_phrases[i].body;
        }
    }
    if (kw_accept(k, "ADD")) {
        static const char *const starts[] = {"CONSTRAINT",  "CHECK",   "UNIQUE",  "PRIMARY KEY",
                                             "FOREIGN KEY", "EXCLUDE", "NOT NULL"};
        size_t next;
        for (size_t i = 0; i < ARRAY_LEN(starts); i++)
            if (kw_match(k, k->i, starts[i], &next)) return kw_constraint(k, info);
        kw_accept(k, "COLUMN");
        if (kw_accept(k, "IF NOT EXISTS")) info->may_skip = true;
        char *col = kw_ident_at(k, k->i);
        if (!col) return NULL;
        free(col);
        if (k->i + 1 >= k->end) return NULL; /* a column has a type */
        /* the one detail read: a foreign key locks the table at its other end */
        return kw_refs(k, info) ? "ADD COLUMN REFERENCES" : "ADD COLUMN";
    }
    if (kw_accept(k, "ALTER")) {
        kw_accept(k, "COLUMN");
        char *col = kw_ident_at(k, k->i);
        if (!col) return NULL;
        if (!info->column)
            info->column = col; /* SET EXPRESSION's kind of column decides its rewrite */
        else
            free(col);
        k->i++;
        for (size_t i = 0; i < ARRAY_LEN(kw_column_phrases); i++) {
            if (kw_accept(k, kw_column_phrases[i].words)) {
                if (kw_accept(k, "IF EXISTS")) info->may_skip = true; /* DROP IDENTITY */
                if (i < 2 && kw_has(k, "USING")) return "ALTER COLUMN TYPE USING";
                return kw_column_phrases[i].body;
            }
        }
        return NULL;
    }
    if (kw_accept(k, "DROP")) {
        kw_accept(k, "COLUMN");
        if (kw_accept(k, "IF EXISTS")) info->may_skip = true;
        char *col = kw_ident_at(k, k->i);
        free(col);
        return col ? "DROP COLUMN" : NULL;
    }
    if (kw_accept(k, "RENAME")) {
        kw_accept(k, "COLUMN");
        char *col = kw_ident_at(k, k->i);
        free(col);
        if (!col) return NULL;
        k->i++;
        return kw_accept(k, "TO") ? "RENAME COLUMN" : NULL;
    }
    bool attach = kw_accept(k, "ATTACH PARTITION");
    if (attach || kw_accept(k, "DETACH PARTITION")) {
        size_t before = info->nreferenced;
        kw_ref(k, info);
        if (info->nreferenced == before) return NULL;
        if (attach) return "ATTACH PARTITION";
        if (kw_accept(k, "FINALIZE")) return "DETACH PARTITION FINALIZE";
        if (kw_accept(k, "CONCURRENTLY")) {
            info->no_tx = true;
            return "DETACH PARTITION CONCURRENTLY";
        }
        return "DETACH PARTITION";
    }
    bool no = kw_accept(k, "NO");
    if (kw_accept(k, "INHERIT")) {
        size_t before = info->nreferenced;
        kw_ref(k, info);
        return info->nreferenced > before ? (no ? "NO INHERIT" : "INHERIT") : NULL;
    }
    return NULL;
}

/* ALTER TABLE [IF EXISTS] [ONLY] name [*] subcommand [, ...] */
static char *kw_alter_table(Kw *k, StmtInfo *info)
{
    kw_accept(k, "IF EXISTS");
    kw_accept(k, "ONLY");
    char *schema, *name;
    if (!kw_qualified(k, &schema, &name)) return NULL;
    info->target = name;
    info->target_schema = schema;
    kw_accept(k, "*");
    if (k->i >= k->n) return NULL;
    Buf b;
    buf_init(&b);
    size_t n = k->n;
    for (;;) {
        /* the subcommand ends at a ',' outside parentheses */
        size_t e = k->i;
        int depth = 0;
        for (; e < n; e++) {
            char c = kw_len(k, e) == 1 ? kw_text(k, e)[0] : '\0';
            if (c == '(') depth++;
            if (c == ')' && depth > 0) depth--;
            if (c == ',' && depth == 0) break;
        }
        k->end = e;
        const char *body = kw_at_subcommand(k, info);
        if (!body) {
            buf_free(&b);
            return NULL;
        }
        char *sub = xasprintf("ALTER TABLE %s", body);
        info->subclasses = xrealloc(info->subclasses, (info->nsubclasses + 1) * sizeof(char *));
        info->subclasses[info->nsubclasses++] = sub;
        if (b.len) buf_puts(&b, ", ");
        buf_puts(&b, sub);
        if (e >= n) break;
        k->i = e + 1; /* after the ',': another subcommand must follow */
        k->end = n;
    }
    return buf_steal(&b);
}

/* CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] [name] ON [ONLY] table */
static char *kw_create_index(Kw *k, StmtInfo *info, bool unique)
{
    bool conc = kw_accept(k, "CONCURRENTLY");
    kw_accept(k, "IF NOT EXISTS");
    if (!kw_accept(k, "ON")) {
        char *iname = kw_ident_at(k, k->i);
        if (!iname) return NULL;
        free(iname);
        k->i++;
        if (!kw_accept(k, "ON")) return NULL;
    }
    kw_accept(k, "ONLY");
    char *schema, *name;
    if (!kw_qualified(k, &schema, &name)) return NULL;
    info->target = name;
    info->target_schema = schema;
    info->no_tx = conc;
    return xasprintf("CREATE %sINDEX%s", unique ? "UNIQUE " : "", conc ? " CONCURRENTLY" : "");
}

/* CREATE [GLOBAL|LOCAL] [TEMP|TEMPORARY|UNLOGGED] TABLE [IF NOT EXISTS] name ... */
static char *kw_create_table(Kw *k, StmtInfo *info, bool temp, bool unlogged)
{
    kw_accept(k, "IF NOT EXISTS");
    char *schema, *name;
    if (!kw_qualified(k, &schema, &name)) return NULL;
    info->target = name;
    info->target_schema = schema;
    if (k->i >= k->end) return NULL;
    if (kw_has(k, "ON COMMIT DROP")) info->on_commit_drop = true;
    if (kw_has(k, "AS")) return xstrdup("CREATE TABLE AS");
    bool partition = kw_accept(k, "PARTITION OF");
    if (partition) kw_ref(k, info);
    bool fk = kw_refs(k, info);
    /* LIKE sources in the column list, INHERITS parents after it */
    size_t save = k->i, next;
    int depth = 0;
    for (size_t i = save; i < k->end; i++) {
        char c = kw_len(k, i) == 1 ? kw_text(k, i)[0] : '\0';
        bool item = (c == '(' && depth == 0) || (c == ',' && depth == 1);
        if (item && kw_match(k, i + 1, "LIKE", &next)) {
            k->i = next;
            kw_ref(k, info);
        }
        if (c == '(') depth++;
        if (c == ')' && depth > 0) depth--;
        if (depth == 0 && kw_match(k, i, "INHERITS (", &next)) {
            k->i = next;
            do {
                kw_ref(k, info);
            } while (kw_accept(k, ","));
            break;
        }
    }
    k->i = save;
    if (partition) return xstrdup("CREATE TABLE PARTITION OF");
    if (unlogged) return xstrdup(fk ? "CREATE UNLOGGED TABLE REFERENCES" : "CREATE UNLOGGED TABLE");
    if (temp) return xstrdup("CREATE TEMPORARY TABLE");
    return xstrdup(fk ? "CREATE TABLE REFERENCES" : "CREATE TABLE");
}

static char *kw_statement(Kw *k, StmtInfo *info)
{
    if (kw_accept(k, "ALTER TABLE")) return kw_alter_table(k, info);
    if (!kw_accept(k, "CREATE")) return NULL;
    bool unique = kw_accept(k, "UNIQUE");
    if (kw_accept(k, "INDEX")) return kw_create_index(k, info, unique);
    if (unique) return NULL;
    if (!kw_accept(k, "GLOBAL")) kw_accept(k, "LOCAL");
    bool temp = kw_accept(k, "TEMPORARY") || kw_accept(k, "TEMP");
    bool unlogged = !temp && kw_accept(k, "UNLOGGED");
    if (kw_accept(k, "TABLE")) return kw_create_table(k, info, temp, unlogged);
    return NULL;
}

bool classify_keywords(const char *sql, StmtInfo *info)
{
    if (!sql) return false;
    PgQueryScanResult r = pg_query_scan(sql);
    if (r.error) {
        pg_query_free_scan_result(r);
        return false;
    }
    PgQuery__ScanResult *sr =
        pg_query__scan_result__unpack(NULL, r.pbuf.len, (const uint8_t *)r.pbuf.data);
    if (!sr) {
        pg_query_free_scan_result(r);
        return false;
    }
    Kw k = {.sql = sql, .tok = xcalloc(sr->n_tokens + 1, sizeof(*k.tok))};
    for (size_t i = 0; i < sr->n_tokens; i++) {
        PgQuery__ScanToken *t = sr->tokens[i];
        if (t->token == PG_QUERY__TOKEN__SQL_COMMENT || t->token == PG_QUERY__TOKEN__C_COMMENT)
            continue;
        if (t->token == PG_QUERY__TOKEN__ASCII_59) break; /* ';': the statement ends */
        k.tok[k.n++] = t;
    }
    k.end = k.n;
    StmtInfo got;
    memset(&got, 0, sizeof(got));
    char *cls = kw_statement(&k, &got);
    free(k.tok);
    pg_query__scan_result__free_unpacked(sr, NULL);
    pg_query_free_scan_result(r);
    if (!cls) {
        classify_free(&got);
        return false;
    }
    got.cls = cls;
    got.parsed = STMT_PARSED_KEYWORDS;
    *info = got;
    return true;
}
