/*
 * report/sarif: SARIF 2.1.0 for code-scanning views. One result per statement
 * and rule:
 *   LM001 a lock prediction mismatch (verdict "mismatch" on some version),
 *   LM002 a regression against the earlier run (report --against),
 *   LM003 a prediction whose risk is above the threshold (--max-risk),
 *   LM004 a statement the server refused (an error or a timeout; not on
 *         versions below --min-version, not a 25P02 that only follows one),
 * located at the migration's file and the statement's first line, with the
 * versions concerned in the message and in properties. Strings go through the
 * JSON writer (every control character and < > & escaped).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/release.h"
#include "common/json.h"
#include "predict/locktable.h"
#include "report/gate.h"
#include "report/report.h"

typedef enum { RULE_MISMATCH, RULE_REGRESSION, RULE_RISK, RULE_SERVER_ERROR } Rule;

static const struct {
    const char *id, *name, *short_text, *full_text, *level;
} rules[] = {
    [RULE_MISMATCH] = {"LM001", "LockPredictionMismatch",
                       "The lock table's prediction differs from what the server did",
                       "The static lock table predicts a lock mode or rewrite for this statement's "
                       "class on a version, and tracing the statement on a real server of that "
                       "version observed something else. The table or its classification is "
                       "wrong for that version.",
                       "error"},
    [RULE_REGRESSION] = {"LM002", "BehaviourRegression",
                         "Observed behaviour changed since the earlier run",
                         "On the same PostgreSQL major version, the statement took other locks, "
                         "rewrote or scanned other relations, or ended with another status than "
                         "in the earlier run (often a new minor release).",
                         "error"},
    [RULE_RISK] = {"LM003", "RiskyLock",
                   "The statement takes a lock whose risk is above the threshold",
                   "The lock table rates what this statement does (lock mode, rewrite, scan) "
                   "on these versions as risky for a table in use: it blocks reads or writes "
                   "for as long as the statement runs.",
                   "warning"},
    [RULE_SERVER_ERROR] = {"LM004", "ServerError", "The server refused the statement",
                           "Traced on a real server of this version, the statement failed with "
                           "an error (or ran past the statement timeout): the migration does not "
                           "apply there. Versions below the corpus's --min-version are not "
                           "reported; a 'current transaction is aborted' error (25P02) that only "
                           "follows an earlier failure is part of that failure.",
                           "error"},
};

/* ---- helpers --------------------------------------------------------------------- */

/* A relative path as a URI reference (percent-encoded, '/' kept); an absolute
 * one as a file:// URI. */
static char *path_uri(const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    Buf b;
    buf_init(&b);
    if (path && path[0] == '/') buf_puts(&b, "file://");
    for (const unsigned char *p = (const unsigned char *)(path ? path : ""); *p; p++) {
        unsigned c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-._~/", (int)c)) {
            buf_putc(&b, (char)c);
        } else {
            buf_putc(&b, '%');
            buf_putc(&b, hex[c >> 4]);
            buf_putc(&b, hex[c & 15]);
        }
    }
    if (!b.len) buf_puts(&b, "unknown");
    return buf_steal(&b);
}

/* Groups per-version labels: "label on 10-12; other on 13" into out. labels[v]
 * NULL: the version is left out. */
static void grouped(const RunView *rv, char **labels, Buf *out)
{
    size_t n = rv->nversions;
    int *majors = xmalloc((n ? n : 1) * sizeof(int));
    bool *done = xcalloc(n ? n : 1, sizeof(bool));
    for (size_t i = 0; i < n; i++) {
        if (!labels[i] || done[i]) continue;
        size_t m = 0;
        for (size_t k = i; k < n; k++)
            if (labels[k] && !done[k] && strcmp(labels[k], labels[i]) == 0) {
                majors[m++] = rv->versions[k];
                done[k] = true;
            }
        buf_printf(out, "%s%s on ", out->len ? "; " : "", labels[i]);
        versions_ranges(majors, m, out);
    }
    free(majors);
    free(done);
}

/* "locations": [the statement's file and line]. */
static void locations(JsonW *w, const RvStatement *x)
{
    json_key(w, "locations");
    json_arr_begin(w);
    json_obj_begin(w);
    json_key(w, "physicalLocation");
    json_obj_begin(w);
    json_key(w, "artifactLocation");
    json_obj_begin(w);
    char *uri = path_uri(x->migration);
    json_kv_str(w, "uri", uri);
    free(uri);
    json_obj_end(w);
    json_key(w, "region");
    json_obj_begin(w);
    json_kv_int(w, "startLine", x->line > 0 ? x->line : 1);
    json_obj_end(w);
    json_obj_end(w);
    json_obj_end(w);
    json_arr_end(w);
}

/* The per-version summary, then the layout of each directory given
 * (render_layout), as the invocation's notifications: one per version,
 * "warning" where something failed, located at the first failure; one per
 * directory, "warning" where files were left out. */
static void invocation(JsonW *w, const RunView *rv)
{
    json_key(w, "invocations");
    json_arr_begin(w);
    json_obj_begin(w);
    json_kv_bool(w, "executionSuccessful", true);
    json_key(w, "toolExecutionNotifications");
    json_arr_begin(w);
    for (size_t v = 0; rv->per_version && v < rv->nversions; v++) {
        const RvVersion *pv = &rv->per_version[v];
        Buf line;
        buf_init(&line);
        render_version_summary(pv, &line);
        json_obj_begin(w);
        json_kv_str(w, "level", pv->failed ? "warning" : "note");
        json_key(w, "message");
        json_obj_begin(w);
        json_kv_str(w, "text", line.data);
        json_obj_end(w);
        if (pv->first_failure) locations(w, pv->first_failure);
        json_key(w, "properties");
        json_obj_begin(w);
        json_key(w, "version");
        version_json(w, pv->major);
        json_kv_int(w, "run", (long long)pv->ran);
        json_kv_int(w, "ok", (long long)pv->ok);
        json_kv_int(w, "failed", (long long)pv->failed);
        json_kv_int(w, "aborted", (long long)pv->aborted);
        json_kv_int(w, "notRun", (long long)pv->not_run);
        if (pv->first_failure) {
            json_kv_int(w, "abortedAfterFirstFailure", (long long)pv->after_aborted);
            json_kv_int(w, "notRunAfterFirstFailure", (long long)pv->after_not_run);
        }
        json_obj_end(w);
        json_obj_end(w);
        buf_free(&line);
    }
    for (size_t i = 0; i < rv->nlayouts; i++) { /* the layout of each directory given */
        const CorpusLayout *l = &rv->layouts[i];
        Buf line;
        buf_init(&line);
        render_layout(l, &line);
        json_obj_begin(w);
        json_kv_str(w, "level", l->sum.nleft ? "warning" : "note");
        json_key(w, "message");
        json_obj_begin(w);
        json_kv_str(w, "text", line.data);
        json_obj_end(w);
        json_key(w, "properties");
        json_obj_begin(w);
        json_kv_str(w, "path", l->path);
        json_kv_str(w, "layout", l->sum.layout);
        json_kv_int(w, "up", (long long)l->sum.nup);
        json_kv_int(w, "down", (long long)l->sum.ndown);
        json_kv_int(w, "leftOut", (long long)l->sum.nleft);
        json_obj_end(w);
        json_obj_end(w);
        buf_free(&line);
    }
    json_arr_end(w);
    json_obj_end(w);
    json_arr_end(w);
}

typedef struct Sarif {
    JsonW w;
    size_t nresults;
} Sarif;

static void result(Sarif *s, Rule rule, const char *level, const RvStatement *x, const char *msg,
                   const int *majors, size_t nmajors)
{
    JsonW *w = &s->w;
    json_obj_begin(w);
    json_kv_str(w, "ruleId", rules[rule].id);
    json_kv_int(w, "ruleIndex", rule);
    json_kv_str(w, "level", level);
    json_key(w, "message");
    json_obj_begin(w);
    json_kv_str(w, "text", msg);
    json_obj_end(w);
    locations(w, x);
    json_key(w, "partialFingerprints");
    json_obj_begin(w);
    json_key(w, "lockmatrixStatement/v1");
    char *fp = xasprintf("%s:%s:%s", rules[rule].id, x->fingerprint ? x->fingerprint : "-",
                         x->cls ? x->cls : "-");
    json_str(w, fp);
    free(fp);
    json_obj_end(w);
    json_key(w, "properties");
    json_obj_begin(w);
    json_kv_str(w, "class", x->cls);
    json_kv_str(w, "parsed", classify_parsed_name(x->parsed));
    json_kv_int(w, "statementIndex", x->index);
    json_key(w, "versions");
    json_arr_begin(w);
    for (size_t i = 0; i < nmajors; i++)
        version_json(w, majors[i]);
    json_arr_end(w);
    json_obj_end(w);
    json_obj_end(w);
    s->nresults++;
}

static void statement_prefix(Buf *b, const RvStatement *x)
{
    buf_puts(b, x->cls ? x->cls : "statement");
    if (x->target) buf_printf(b, " on %s", x->target);
    buf_puts(b, ": ");
}

/* ---- the rules ----------------------------------------------------------------- */

/* One result of rule for statement x: its per-version labels (NULL where the
 * version has none) grouped into runs of versions; frees labels and majors. */
static void emit_grouped(Sarif *s, const RunView *rv, const RvStatement *x, Rule rule,
                         const char *level, char **labels, int *majors, size_t m)
{
    if (m) {
        Buf msg, g;
        buf_init(&msg);
        buf_init(&g);
        statement_prefix(&msg, x);
        grouped(rv, labels, &g);
        buf_puts(&msg, g.data);
        result(s, rule, level, x, msg.data, majors, m);
        buf_free(&g);
        buf_free(&msg);
    }
    for (size_t v = 0; v < rv->nversions; v++)
        free(labels[v]);
    free(labels);
    free(majors);
}

static void mismatches(Sarif *s, const RunView *rv, const RvStatement *x)
{
    size_t n = rv->nversions, m = 0;
    char **labels = xcalloc(n ? n : 1, sizeof(char *));
    int *majors = xmalloc((n ? n : 1) * sizeof(int));
    for (size_t v = 0; v < n; v++) {
        const RvResult *r = &x->results[v];
        if (r->pred.verdict != VERDICT_MISMATCH) continue;
        const char *obs = lock_mode_name(r->target_rank);
        const char *predicted = r->pred.predicted ? lock_mode_name(r->pred.mode) : NULL;
        Buf why;
        buf_init(&why);
        gate_relations_why(r, &why);
        labels[v] =
            xasprintf("predicted %s%s, observed %s%s%s%s", predicted ? predicted : "no lock",
                      r->pred.predicted && r->pred.rewrite == TRI_YES ? " with a rewrite" : "",
                      obs ? obs : "no lock", r->nrewrites ? " with a rewrite" : "",
                      why.len ? "; relations: " : "", why.len ? why.data : "");
        buf_free(&why);
        majors[m++] = r->major;
    }
    emit_grouped(s, rv, x, RULE_MISMATCH, rules[RULE_MISMATCH].level, labels, majors, m);
}

static void risks(Sarif *s, const RunView *rv, const RvStatement *x, int threshold)
{
    size_t n = rv->nversions, m = 0;
    char **labels = xcalloc(n ? n : 1, sizeof(char *));
    int *majors = xmalloc((n ? n : 1) * sizeof(int));
    int worst = -1;
    for (size_t v = 0; v < n; v++) {
        const RvResult *r = &x->results[v];
        int risk = r->pred.predicted ? (int)r->pred.risk : -1;
        if (risk < 0 || risk <= threshold) continue;
        if (risk > worst) worst = risk;
        const LockMode *lm = lock_mode(r->pred.mode);
        labels[v] = xasprintf("risk %s (%s%s%s)", risk_name((Risk)risk), lm ? lm->name : "no lock",
                              lm ? ": " : "", lm ? lm->blocks : "");
        majors[m++] = r->major;
    }
    emit_grouped(s, rv, x, RULE_RISK, worst >= 4 ? "error" : "warning", labels, majors, m);
}

static void server_errors(Sarif *s, const RunView *rv, const RvStatement *x, int min_version)
{
    size_t n = rv->nversions, m = 0;
    char **labels = xcalloc(n ? n : 1, sizeof(char *));
    int *majors = xmalloc((n ? n : 1) * sizeof(int));
    for (size_t v = 0; v < n; v++) {
        const RvResult *r = &x->results[v];
        if (render_failure(r, min_version) != RENDER_FAILED) continue;
        Buf c;
        buf_init(&c);
        buf_puts(&c, "");
        render_cascade(r, &c);
        labels[v] = xasprintf("failed with %s: %s%s", r->sqlstate ? r->sqlstate : r->status,
                              r->message ? r->message : "no message", c.data);
        buf_free(&c);
        majors[m++] = r->major;
    }
    emit_grouped(s, rv, x, RULE_SERVER_ERROR, rules[RULE_SERVER_ERROR].level, labels, majors, m);
}

static void regressions(Sarif *s, const RunDiff *d)
{
    for (size_t i = 0; i < d->nchanges;) {
        const RvStatement *x = diff_stmt(&d->changes[i]);
        size_t j = i;
        Buf msg;
        buf_init(&msg);
        statement_prefix(&msg, x);
        buf_printf(&msg, "changed since run %lld: ", d->a->id);
        int majors[64];
        size_t m = 0, nreg = 0;
        for (; j < d->nchanges && diff_stmt(&d->changes[j]) == x; j++) {
            const DiffChange *c = &d->changes[j];
            if (!c->regression) continue;
            char ver[DIFF_VERSION_LEN];
            buf_printf(&msg, "%s%s %s %s -> %s", nreg ? "; " : "",
                       diff_version(c->major_a, c->major, ver), diff_kind_name(c->kind), c->before,
                       c->after);
            if (diff_says_what(c)) buf_printf(&msg, " (%s)", c->what);
            nreg++;
            bool seen = false;
            for (size_t k = 0; k < m; k++)
                seen |= majors[k] == c->major;
            if (!seen && m < ARRAY_LEN(majors)) majors[m++] = c->major;
        }
        if (nreg) result(s, RULE_REGRESSION, rules[RULE_REGRESSION].level, x, msg.data, majors, m);
        buf_free(&msg);
        i = j;
    }
}

/* ---- the document ------------------------------------------------------------------------ */

void report_sarif(const RenderInput *in, const ReportOpts *o, Buf *out)
{
    const RunView *rv = in->run;
    const RunDiff *d = in->diff;
    Sarif s = {0};
    JsonW *w = &s.w;
    json_init(w, out, true);
    json_obj_begin(w);
    json_kv_str(w, "$schema", "https://json.schemastore.org/sarif-2.1.0.json");
    json_kv_str(w, "version", "2.1.0");
    json_key(w, "runs");
    json_arr_begin(w);
    json_obj_begin(w);
    json_key(w, "tool");
    json_obj_begin(w);
    json_key(w, "driver");
    json_obj_begin(w);
    json_kv_str(w, "name", "lockmatrix");
    json_kv_str(w, "version", rv->tool_version ? rv->tool_version : LOCKMATRIX_VERSION);
    json_key(w, "rules");
    json_arr_begin(w);
    for (size_t i = 0; i < ARRAY_LEN(rules); i++) {
        json_obj_begin(w);
        json_kv_str(w, "id", rules[i].id);
        json_kv_str(w, "name", rules[i].name);
        json_key(w, "shortDescription");
        json_obj_begin(w);
        json_kv_str(w, "text", rules[i].short_text);
        json_obj_end(w);
        json_key(w, "fullDescription");
        json_obj_begin(w);
        json_kv_str(w, "text", rules[i].full_text);
        json_obj_end(w);
        json_key(w, "defaultConfiguration");
        json_obj_begin(w);
        json_kv_str(w, "level", rules[i].level);
        json_obj_end(w);
        json_obj_end(w);
    }
    json_arr_end(w);
    json_obj_end(w);
    json_obj_end(w);

    invocation(w, rv);

    json_key(w, "automationDetails");
    json_obj_begin(w);
    json_key(w, "id");
    char *aid = d ? xasprintf("lockmatrix/run-%lld-against-%lld/", rv->id, d->a->id)
                  : xasprintf("lockmatrix/run-%lld/", rv->id);
    json_str(w, aid);
    free(aid);
    json_obj_end(w);

    json_key(w, "results");
    json_arr_begin(w);
    for (size_t i = 0; i < rv->nstmts; i++) {
        mismatches(&s, rv, &rv->stmts[i]);
        risks(&s, rv, &rv->stmts[i], o->max_risk);
        server_errors(&s, rv, &rv->stmts[i], o->min_version);
    }
    if (d) regressions(&s, d);
    json_arr_end(w);

    json_key(w, "properties");
    json_obj_begin(w);
    json_kv_int(w, "run", rv->id);
    if (d) {
        json_kv_int(w, "against", d->a->id);
    }
    json_key(w, "versions");
    json_arr_begin(w);
    for (size_t i = 0; i < rv->nversions; i++)
        version_json(w, rv->versions[i]);
    json_arr_end(w);
    json_obj_end(w);
    json_obj_end(w);
    json_arr_end(w);
    json_obj_end(w);
    buf_putc(out, '\n');
}
