/*
 * relations: the core of the relation predictor (predict/relations.h): the
 * prediction's building blocks, the dispatch to the statement forms
 * (relations_alter.c, relations_ddl.c), its text form and its comparison
 * with a trace.
 */
#include "predict/relations.h"
#include "predict/pgtree.h"
#include "predict/relations_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const role_names[REL_ROLES] = {
    "target",     "index",       "toast",  "sequence", "partition", "parent",
    "referenced", "referencing", "source", "view",     "other",
};

const char *relrole_name(RelRole r)
{
    return (int)r >= 0 && r < REL_ROLES ? role_names[r] : "?";
}

int relrole_parse(const char *name)
{
    for (int i = 0; name && i < REL_ROLES; i++)
        if (strcmp(name, role_names[i]) == 0) return i;
    return -1;
}

void relpred_init(RelPred *p)
{
    memset(p, 0, sizeof(*p));
}

void relpred_free(RelPred *p)
{
    for (size_t i = 0; i < p->nlocks; i++)
        free(p->locks[i].relation);
    free(p->locks);
    for (size_t i = 0; i < p->nrewrites; i++)
        free(p->rewrites[i]);
    free(p->rewrites);
    relpred_init(p);
}

const RelLock *relpred_lock_of(const RelPred *p, const char *name)
{
    for (size_t i = 0; name && i < p->nlocks; i++)
        if (strcmp(p->locks[i].relation, name) == 0) return &p->locks[i];
    return NULL;
}

bool relpred_rewrites(const RelPred *p, const char *name)
{
    for (size_t i = 0; name && i < p->nrewrites; i++)
        if (strcmp(p->rewrites[i], name) == 0) return true;
    return false;
}

static void add_lock(RelPred *p, const char *name, RelRole role, int mode)
{
    if (!name || mode < 0 || mode >= LOCK_MODES) return;
    for (size_t i = 0; i < p->nlocks; i++)
        if (strcmp(p->locks[i].relation, name) == 0) {
            if (mode > p->locks[i].mode) p->locks[i].mode = mode;
            return;
        }
    if (p->nlocks == p->caplocks) {
        p->caplocks = p->caplocks ? 2 * p->caplocks : 8;
        p->locks = xrealloc(p->locks, p->caplocks * sizeof(*p->locks));
    }
    p->locks[p->nlocks++] = (RelLock){xstrdup(name), role, mode};
}

static void add_rewrite(RelPred *p, const char *name)
{
    if (!name || relpred_rewrites(p, name)) return;
    if (p->nrewrites == p->caprewrites) {
        p->caprewrites = p->caprewrites ? 2 * p->caprewrites : 8;
        p->rewrites = xrealloc(p->rewrites, p->caprewrites * sizeof(*p->rewrites));
    }
    p->rewrites[p->nrewrites++] = xstrdup(name);
}

/* ---- building blocks (relations_int.h) --------------------------------------------- */

static char *qualified(const char *schema, const char *name, bool temp)
{
    if (temp) return xasprintf("pg_temp.%s", name);
    if (!schema || strcmp(schema, "public") == 0) return xstrdup(name);
    return xasprintf("%s.%s", schema, name);
}

char *rel_name(const SchemaRel *r)
{
    return qualified(r->schema, r->name, r->persistence == SCHEMA_TEMP);
}

void rel_lock_name(RelCtx *c, const char *name, RelRole role, int mode)
{
    add_lock(c->out, name, role, mode);
}

void rel_lock(RelCtx *c, const SchemaRel *r, RelRole role, int mode)
{
    if (!r) return;
    char *n = rel_name(r);
    add_lock(c->out, n, role, mode);
    free(n);
}

void rel_toast(RelCtx *c, const SchemaRel *r, int tmode, int imode, bool rw_table, bool rw_index)
{
    if (!r) return;
    char *n = rel_name(r);
    char *t = xasprintf("toast(%s)", n), *ti = xasprintf("toast_index(%s)", n);
    add_lock(c->out, t, REL_TOAST, tmode);
    add_lock(c->out, ti, REL_TOAST, imode);
    if (rw_table) add_rewrite(c->out, t);
    if (rw_index) add_rewrite(c->out, ti);
    free(t);
    free(ti);
    free(n);
}

void rel_lock_toast(RelCtx *c, const SchemaRel *r, int mode)
{
    if (r && r->has_toast) rel_toast(c, r, mode, mode, false, false);
}

void rel_lock_indexes(RelCtx *c, const SchemaRel *r, int mode)
{
    for (size_t i = 0; r && i < r->nindexes; i++)
        rel_lock(c, r->indexes[i], REL_INDEX, mode);
}

void rel_rewrite_name(RelCtx *c, const char *name)
{
    add_rewrite(c->out, name);
}

void rel_rewrite(RelCtx *c, const SchemaRel *r)
{
    rel_rewrite_toast(c, r, r && r->has_toast);
}

void rel_rewrite_toast(RelCtx *c, const SchemaRel *r, bool toast)
{
    if (!r) return;
    /* a partitioned table and its indexes have no storage of their own */
    if (r->kind == SCHEMA_REL_PARTITIONED) return;
    char *n = rel_name(r);
    add_rewrite(c->out, n);
    free(n);
    for (size_t i = 0; i < r->nindexes; i++) {
        char *in = rel_name(r->indexes[i]);
        add_rewrite(c->out, in);
        free(in);
    }
    if (toast && r->has_toast) rel_toast(c, r, -1, -1, true, true);
}

const SchemaRel *rel_of_rv(const RelCtx *c, const PgQuery__RangeVar *rv)
{
    if (!rv || !rv->relname) return NULL;
    const char *schema = rv->schemaname && *rv->schemaname ? rv->schemaname : NULL;
    return schema_rel(c->s, schema, rv->relname);
}

void rel_unknown(RelCtx *c, const char *fmt, ...)
{
    if (c->out->unknown[0]) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->out->unknown, sizeof(c->out->unknown), fmt, ap);
    va_end(ap);
}

/* ---- the prediction ------------------------------------------------------------------ */

/* Whether sql says IF EXISTS of its target (DROP, ALTER, RENAME, SET SCHEMA). */
static bool missing_ok(const char *sql)
{
    const PgQuery__ParseResult *pr = sql ? pgtree_parse(sql, NULL, NULL) : NULL;
    if (!pr || pr->n_stmts != 1 || !pr->stmts[0]->stmt) return false;
    const PgQuery__Node *n = pr->stmts[0]->stmt;
    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
        return n->alter_table_stmt->missing_ok;
    case PG_QUERY__NODE__NODE_DROP_STMT:
        return n->drop_stmt->missing_ok;
    case PG_QUERY__NODE__NODE_RENAME_STMT:
        return n->rename_stmt->missing_ok;
    case PG_QUERY__NODE__NODE_ALTER_OBJECT_SCHEMA_STMT:
        return n->alter_object_schema_stmt->missing_ok;
    default:
        return false;
    }
}

/* The statement's forms, from its parse tree: whether one of them models it. */
static bool dispatch(RelCtx *c)
{
    const PgQuery__ParseResult *pr = pgtree_parse(c->sql, NULL, NULL);
    if (!pr || pr->n_stmts != 1 || !pr->stmts[0]->stmt) return false;
    const PgQuery__Node *n = pr->stmts[0]->stmt;
    return n->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_STMT
               ? relations_alter(c, n->alter_table_stmt)
               : relations_ddl(c, n);
}

void relations_predict(const Schema *s, const Facts *f, const char *sql, const StmtInfo *info,
                       int major, const PredictOpts *o, const Prediction *row, RelPred *out)
{
    relpred_init(out);
    Schema *empty = s ? NULL : schema_new();
    RelCtx c = {s ? s : empty, f, sql, info, row, o, major, out};
    /* the target, at the row's mode */
    const SchemaRel *target =
        info->target ? schema_rel(c.s, info->target_schema, info->target) : NULL;
    bool locks_target = row && row->predicted && row->mode >= 0;
    if (locks_target && target) {
        rel_lock(&c, target, REL_TARGET, row->mode);
    } else if (locks_target && info->target && missing_ok(sql)) {
        /* IF EXISTS of a table the chain never made: in the catalog the
         * chain builds it does not exist, and the server skips it */
        rel_unknown(&c, "%s not defined in the corpus: skipped if it does not exist, else %s",
                    info->target, lock_mode_name(row->mode));
    } else if (locks_target && info->target) {
        char *n = qualified(info->target_schema, info->target, false);
        add_lock(out, n, REL_TARGET, row->mode);
        free(n);
    }
    if (info->in_do_block) {
        out->undecidable = true;
        rel_unknown(&c,
                    "what a %s locks depends on the statements its control flow and data "
                    "choose",
                    strcmp(info->cls, "CALL") == 0 ? "procedure" : "DO block");
    } else if (info->parsed == STMT_PARSED_TREE && sql) {
        out->modelled = dispatch(&c);
    }
    if (locks_target && info->target && !target && out->modelled)
        rel_unknown(&c, "table %s not defined in the corpus", info->target);
    schema_free(empty);
}

bool relations_predict_in(const LockTable *t, const Schema *s, const Facts *f, const char *sql,
                          const StmtInfo *info, int major, const PredictOpts *o, Prediction *out)
{
    bool have = locktable_predict_in(t, s, f, sql, info, major, o, out);
    RelPred rp;
    relations_predict(s, f, sql, info, major, o, out, &rp);
    if (rp.modelled || rp.undecidable || rp.nlocks) {
        Buf b;
        buf_init(&b);
        relpred_format(&rp, &b);
        out->relations = buf_steal(&b);
    }
    if (!out->unknown[0] && rp.unknown[0])
        snprintf(out->unknown, sizeof(out->unknown), "%s", rp.unknown);
    relpred_free(&rp);
    return have;
}

Verdict relations_verdict(const Prediction *p, const Trace *t, const LtObs *o, bool failed)
{
    Verdict v = locktable_verdict(p, o, failed);
    if ((v != VERDICT_CONFIRMED && v != VERDICT_TRACE_ONLY) || o->skipped || !p->relations)
        return v;
    RelPred rp;
    relpred_parse(p->relations, &rp);
    if (rp.modelled) {
        RelAgreement a;
        relpred_compare(&rp, t, &a, NULL);
        if (a.disagree) v = VERDICT_MISMATCH;
    }
    relpred_free(&rp);
    return v;
}

void relations_explain(const Prediction *p, const Trace *t, Buf *why)
{
    if (!p->relations) return;
    RelPred rp;
    relpred_parse(p->relations, &rp);
    if (rp.modelled) {
        RelAgreement a;
        relpred_compare(&rp, t, &a, why);
    }
    relpred_free(&rp);
}

/* ---- text form ------------------------------------------------------------------------- */

void relpred_format(const RelPred *p, Buf *out)
{
    if (p->modelled) buf_puts(out, "m\n");
    if (p->undecidable) buf_puts(out, "u\n");
    for (size_t i = 0; i < p->nlocks; i++)
        buf_printf(out, "L\t%d\t%s\t%s\n", p->locks[i].mode, relrole_name(p->locks[i].role),
                   p->locks[i].relation);
    for (size_t i = 0; i < p->nrewrites; i++)
        buf_printf(out, "R\t%s\n", p->rewrites[i]);
}

void relpred_parse(const char *text, RelPred *p)
{
    relpred_init(p);
    for (const char *l = text; l && *l;) {
        const char *nl = strchr(l, '\n');
        size_t n = nl ? (size_t)(nl - l) : strlen(l);
        char *line = xstrndup(l, n);
        if (strcmp(line, "m") == 0)
            p->modelled = true;
        else if (strcmp(line, "u") == 0)
            p->undecidable = true;
        else if (line[0] == 'R' && line[1] == '\t')
            add_rewrite(p, line + 2);
        else if (line[0] == 'L' && line[1] == '\t') {
            char *mode = line + 2, *role = strchr(mode, '\t');
            char *name = role ? strchr(role + 1, '\t') : NULL;
            if (name) {
                *role++ = 0;
                *name++ = 0;
                int r = relrole_parse(role);
                add_lock(p, name, r < 0 ? REL_OTHER : (RelRole)r, atoi(mode));
            }
        }
        free(line);
        l = nl ? nl + 1 : l + n;
    }
}

/* ---- comparison with a trace ------------------------------------------------------- */

static bool is_relation_lock(const TraceLock *l)
{
    return l->relation && (!l->locktype || strcmp(l->locktype, "relation") == 0);
}

/* Whether a trace role names a relation that existed before the statement
 * and is not a system catalog. */
static bool judged_role(const char *role)
{
    return role && strcmp(role, "new") != 0 && strcmp(role, "transient") != 0 &&
           strcmp(role, "catalog") != 0;
}

typedef struct Seen {
    const char *name;
    const char *role;
    int mode;
} Seen;

static Seen *seen_find(Seen *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].name, name) == 0) return &v[i];
    return NULL;
}

static bool names_have(char *const *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] && strcmp(v[i], name) == 0) return true;
    return false;
}

void relpred_compare(const RelPred *p, const Trace *t, RelAgreement *a, Buf *why)
{
    memset(a, 0, sizeof(*a));
    bool replay = t->req == TRACE_REQ_REPLAY;
    const TraceLock *own = replay ? t->requested : t->locks;
    size_t nown = replay ? t->nrequested : t->nlocks;
    bool exact = locktable_capture_exact(t->capture);
    bool phase = t->capture[0] && strcmp(t->capture, "phase") == 0;
    bool hidden = false;
    Seen *seen = xmalloc((nown + 1) * sizeof(*seen));
    size_t nseen = 0;
    for (size_t i = 0; i < nown; i++) {
        const TraceLock *l = &own[i];
        int m = lock_mode_rank(l->mode);
        if (!is_relation_lock(l) || !judged_role(l->role) || m < 0) continue;
        if (l->held_before) {
            hidden = true;
            continue;
        }
        Seen *s = seen_find(seen, nseen, l->relation);
        if (!s) {
            s = &seen[nseen++];
            *s = (Seen){l->relation, l->role, -1};
        }
        if (m > s->mode) s->mode = m;
    }
    if (!replay && (t->req == TRACE_REQ_UNMEASURED || hidden)) exact = false;

    /* every relation either side locked */
    for (size_t i = 0; i < p->nlocks; i++) {
        const RelLock *pl = &p->locks[i];
        Seen *s = seen_find(seen, nseen, pl->relation);
        int om = s ? s->mode : -1;
        a->compared++;
        bool differs = om != pl->mode;
        if (differs && om < pl->mode && !exact) differs = false; /* a lower bound */
        if (differs && om < 0 && phase && pl->role == REL_TOAST) differs = false;
        if (!differs) continue;
        a->disagree++;
        if (pl->role == REL_TARGET) a->target_differs = true;
        if (why)
            buf_printf(why, "%s%s: predicted %s, observed %s", why->len ? "; " : "", pl->relation,
                       lock_mode_name(pl->mode), om < 0 ? "none" : lock_mode_name(om));
    }
    for (size_t i = 0; i < nseen; i++) {
        if (relpred_lock_of(p, seen[i].name)) continue;
        a->compared++;
        a->disagree++;
        if (strcmp(seen[i].role, "table") == 0) a->target_differs = true;
        if (why)
            buf_printf(why, "%s%s: predicted none, observed %s", why->len ? "; " : "", seen[i].name,
                       lock_mode_name(seen[i].mode));
    }

    /* the rewrites, of relations that existed before */
    char *const *rw = replay ? t->req_rewrites : t->rewrites;
    size_t nrw = replay ? t->nreq_rewrites : t->nrewrites;
    for (size_t i = 0; i < nrw; i++) {
        const char *role = NULL;
        for (size_t k = 0; k < t->nlocks && !role; k++)
            if (is_relation_lock(&t->locks[k]) && strcmp(t->locks[k].relation, rw[i]) == 0)
                role = t->locks[k].role;
        for (size_t k = 0; replay && k < t->nrequested && !role; k++)
            if (is_relation_lock(&t->requested[k]) && strcmp(t->requested[k].relation, rw[i]) == 0)
                role = t->requested[k].role;
        if (role && !judged_role(role)) continue;
        if (!role && rw[i][0] == '(') continue; /* "(transient 1)" */
        a->compared++;
        if (relpred_rewrites(p, rw[i])) continue;
        a->disagree++;
        if (why) buf_printf(why, "%s%s: rewrite not predicted", why->len ? "; " : "", rw[i]);
    }
    /* an unmeasured statement's transaction may have spared it a rewrite */
    bool rw_exact = replay || t->req != TRACE_REQ_UNMEASURED;
    for (size_t i = 0; rw_exact && i < p->nrewrites; i++) {
        if (names_have(rw, nrw, p->rewrites[i])) continue;
        a->compared++;
        a->disagree++;
        if (why)
            buf_printf(why, "%s%s: predicted a rewrite, none observed", why->len ? "; " : "",
                       p->rewrites[i]);
    }
    free(seen);
}
