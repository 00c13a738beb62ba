/*
 * cmd/analyze: static prediction only, no servers. Every statement of the
 * corpus is classified and looked up in the lock table for each selected
 * version; a table (text) or the report's statements shape (json).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/opts.h"
#include "common/json.h"
#include "corpus/corpus.h"
#include "predict/locktable.h"
#include "model/versions.h"

static const char analyze_head[] =
    "usage: lockmatrix analyze [options] FILE...\n"
    "\n"
    "Predict, without any server, what each statement of the migrations locks\n"
    "on each version: the lock on its target, rewrite, scan, locks on other\n"
    "relations and a risk level, from the lock table. A statement the parser\n"
    "(PostgreSQL 15's) rejects is classified from its leading keywords when they\n"
    "tell (ALTER TABLE, CREATE INDEX, CREATE TABLE): a coarse class, said under it\n"
    "(JSON: \"parsed\": \"keywords\"), whose rewrite and scan are not predicted.\n"
    "\n"
    "options:\n";

static const char analyze_tail[] =
    "\n"
    "Exit codes: 0 ok, 1 a statement above --max-risk, 2 usage or input error.\n";

static const char *const analyze_formats[] = {"text", "json"};

/* ---- text -------------------------------------------------------------- */

static bool pred_eq(bool ha, const Prediction *a, bool hb, const Prediction *b)
{
    if (ha != hb) return false;
    if (!ha) return true;
    return a->mode == b->mode && a->rewrite == b->rewrite && a->scan == b->scan &&
           memcmp(a->others, b->others, sizeof(a->others)) == 0 && a->risk == b->risk &&
           a->note == b->note;
}

static void others_text(const int *others, Buf *b)
{
    bool any = false;
    for (int i = 0; i < PREDICTION_NROLES; i++) {
        if (others[i] < 0) continue;
        buf_printf(b, "%s%s:%s", any ? "," : "", locktable_role_name(i),
                   lock_mode_label(others[i]));
        any = true;
    }
    if (!any) buf_putc(b, '-');
}

static void text_statement(Buf *out, const Migration *m, const Statement *st, const VersionSet *vs,
                           const Prediction *p, const bool *have)
{
    buf_printf(out, "%s:%d  %s%s%s%s\n    ", m->path, st->line, st->info.cls,
               m->extracted_from ? " (SQL extracted from " : "",
               m->extracted_from ? m->extracted_from : "", m->extracted_from ? ")" : "");
    locktable_shorten(st->sql, 100, out);
    buf_putc(out, '\n');
    const char *note = classify_parsed_note(st->info.parsed);
    if (note) buf_printf(out, "    * %s\n", note);
    for (int i = 0; i < vs->n;) {
        int j = i;
        while (j + 1 < vs->n && vs->v[j + 1] == vs->v[j] + 1 &&
               pred_eq(have[i], &p[i], have[j + 1], &p[j + 1]))
            j++;
        Buf range;
        buf_init(&range);
        versions_ranges(&vs->v[i], (size_t)(j - i + 1), &range);
        if (!have[i]) {
            buf_printf(out, "    %-6s %s\n", range.data, "unpredicted: no row in the lock table");
        } else {
            Buf o;
            buf_init(&o);
            if (p[i].rewrite != TRI_NO)
                buf_puts(&o, p[i].rewrite == TRI_YES ? "rewrite " : "rewrite? ");
            if (p[i].scan != TRI_NO) buf_puts(&o, p[i].scan == TRI_YES ? "scan " : "scan? ");
            if (p[i].others[0] >= 0 || p[i].others[1] >= 0) others_text(p[i].others, &o);
            while (o.len && o.data[o.len - 1] == ' ')
                o.data[--o.len] = '\0';
            buf_printf(out, "    %-6s %-24s %-8s %-s%s%s\n", range.data, lock_mode_label(p[i].mode),
                       risk_name(p[i].risk), o.data ? o.data : "",
                       o.len && p[i].note && *p[i].note ? "; " : "", p[i].note ? p[i].note : "");
            buf_free(&o);
        }
        buf_free(&range);
        i = j + 1;
    }
}

/* ---- json -------------------------------------------------------------- */

static void json_tri(JsonW *w, Tri t)
{
    if (t == TRI_DEPENDS)
        json_null(w);
    else
        json_bool(w, t == TRI_YES);
}

static void json_statement(JsonW *w, const Migration *m, const Statement *st, const VersionSet *vs,
                           const Prediction *p, const bool *have)
{
    json_obj_begin(w);
    json_kv_str(w, "migration", m->path);
    json_kv_int(w, "index", st->index);
    json_kv_int(w, "line", st->line);
    json_kv_str(w, "sql", st->sql);
    if (m->extracted_from) {
        json_kv_str(w, "extracted_from", m->extracted_from);
    }
    json_kv_str(w, "class", st->info.cls);
    json_kv_str(w, "parsed", classify_parsed_name(st->info.parsed));
    json_kv_str(w, "target", st->info.target);
    json_key(w, "results");
    json_obj_begin(w);
    for (int i = 0; i < vs->n; i++) {
        char k[16];
        snprintf(k, sizeof(k), "%s", VERSION_NAME(vs->v[i]));
        json_key(w, k);
        json_obj_begin(w);
        json_key(w, "predicted");
        if (!have[i]) {
            json_null(w);
        } else {
            json_obj_begin(w);
            json_kv_str(w, "mode", p[i].mode >= 0 ? lock_mode_label(p[i].mode) : NULL);
            json_key(w, "rewrite");
            json_tri(w, p[i].rewrite);
            json_key(w, "scan");
            json_tri(w, p[i].scan);
            json_key(w, "others");
            json_obj_begin(w);
            for (int r = 0; r < PREDICTION_NROLES; r++) {
                if (p[i].others[r] < 0) continue;
                json_key(w, locktable_role_name(r));
                json_str(w, lock_mode_label(p[i].others[r]));
            }
            json_obj_end(w);
            json_kv_str(w, "risk", risk_name(p[i].risk));
            json_kv_str(w, "note", p[i].note);
            json_obj_end(w);
        }
        json_obj_end(w);
    }
    json_obj_end(w);
    json_obj_end(w);
}

/* ---- CI ------------------------------------------------------------------ */

/* Why p is above max_risk, into b. */
static void risk_reason(const Prediction *p, int max_risk, Buf *b)
{
    buf_printf(b, "risk %s above %s: %s takes %s", risk_name(p->risk),
               risk_name((Risk)max_risk), p->cls, lock_mode_label(p->mode));
    if (p->rewrite != TRI_NO)
        buf_puts(b, p->rewrite == TRI_YES ? ", rewrites the table" : ", may rewrite the table");
    if (p->scan != TRI_NO) buf_puts(b, p->scan == TRI_YES ? ", scans it" : ", may scan it");
    if (p->note && *p->note) buf_printf(b, " (%s)", p->note);
}

/* One line per run of neighbouring versions with the same reason; the number
 * of versions above max_risk. */
static size_t ci_statement(Buf *msgs, const Migration *m, const Statement *st, const VersionSet *vs,
                           const Prediction *p, const bool *have, int max_risk)
{
    size_t n = 0;
    Buf cur, next;
    buf_init(&cur);
    buf_init(&next);
    for (int i = 0; i < vs->n;) {
        if (!have[i] || (int)p[i].risk <= max_risk) {
            i++;
            continue;
        }
        buf_reset(&cur);
        risk_reason(&p[i], max_risk, &cur);
        int j = i;
        while (j + 1 < vs->n && have[j + 1] && (int)p[j + 1].risk > max_risk) {
            buf_reset(&next);
            risk_reason(&p[j + 1], max_risk, &next);
            if (strcmp(cur.data, next.data) != 0) break;
            j++;
        }
        Buf range;
        buf_init(&range);
        versions_ranges(&vs->v[i], (size_t)(j - i + 1), &range);
        locktable_ci_line(msgs, m->path, st->line, st->sql, range.data, cur.data);
        buf_free(&range);
        buf_putc(msgs, '\n');
        n += (size_t)(j - i + 1);
        i = j + 1;
    }
    buf_free(&cur);
    buf_free(&next);
    return n;
}

/* ---- the command ------------------------------------------------------- */

/* What the command line asks of analyze. */
typedef struct AnalyzeArgs {
    const char *versions_spec, *format, *lt_path;
    bool ci;
    int max_risk; /* -1: no --max-risk */
    CorpusOpts copts;
} AnalyzeArgs;

/* The command line into a, by analyze's options in the order of its help;
 * false: return *rc. The paths are argv[*first..argc). */
static bool analyze_parse(int argc, char **argv, AnalyzeArgs *a, int *first, int *rc)
{
    const Opt options[] = {
        {"versions", 'V', OPTK_VERSIONS, &a->versions_spec, "LIST",
         .help = "versions: " VERSIONS_DEFAULT " (default: every supported major),\n"
                 "12,14, 11- (11 and later), -12"},
        {"format", 0, OPTK_CHOICE, &a->format, "FORMAT", .help = "text (default) | json",
         .choices = OPT_NAMES(analyze_formats), .noun = "format"},
        {"locktable", 0, OPTK_STR, &a->lt_path, "FILE",
         .help = "the lock table (default: the built-in copy)"},
        {"ci", 0, OPTK_FLAG, &a->ci, NULL,
         .help = "exit 1 when a statement's risk exceeds --max-risk"},
        {"max-risk", 0, OPTK_RISK, &a->max_risk, "LEVEL",
         .help = "safe | low | medium | high | critical (implies --ci)"},
        {"each", 0, OPTK_FLAG, &a->copts.each_file, NULL,
         .help = "every file of a directory is its own chain"},
        {"layout", 0, OPTK_STR, &a->copts.layout, "NAME",
         .help = "the layout of the directories (default: detected; see\n"
                 "docs/layouts.md): plain, each, golang-migrate, flyway,\n"
                 "prisma, drizzle, diesel, sqitch, knex, typeorm, sequelize"},
        {"down", 0, OPTK_FLAG, &a->copts.downs, NULL,
         .help = "also the down migrations, after every up, newest first\n"
                 "(empty or comment-only downs are skipped and counted)"},
        OPTS_END,
    };
    const OptCmd cmd = {"analyze", analyze_head, analyze_tail, 26, "FILE", 1, options};
    return opts_parse(&cmd, argc, argv, first, rc);
}

int cmd_analyze(int argc, char **argv)
{
    AnalyzeArgs a = {.versions_spec = VERSIONS_DEFAULT, .format = "text", .max_risk = -1};
    int first, rc;
    if (!analyze_parse(argc, argv, &a, &first, &rc)) return rc;
    const char *versions_spec = a.versions_spec, *format = a.format, *lt_path = a.lt_path;
    bool ci = a.ci || a.max_risk >= 0;
    int max_risk = a.max_risk;
    CorpusOpts copts = a.copts;
    if (ci && max_risk < 0) max_risk = RISK_CRITICAL; /* nothing is above critical */
    Err err = {0};
    VersionSet vs;
    if (versions_parse(versions_spec, &vs, &err) != 0) return cmd_fail_err(&err, EXIT_USAGE);
    LockTable *lt;
    if (locktable_load(lt_path, &lt, &err) != 0) return cmd_fail_err(&err, EXIT_USAGE);
    Corpus corpus;
    if (corpus_load(&corpus, argv + first, argc - first, &copts, &err) != 0) {
        locktable_free(lt);
        return cmd_fail_err(&err, EXIT_USAGE);
    }

    Buf out, ci_msgs, tmp;
    buf_init(&out);
    buf_init(&ci_msgs);
    buf_init(&tmp);
    JsonW w;
    bool json = strcmp(format, "json") == 0;
    if (json) {
        json_init(&w, &out, true);
        json_obj_begin(&w);
        json_key(&w, "versions");
        json_arr_begin(&w);
        for (int i = 0; i < vs.n; i++)
            version_json(&w, vs.v[i]);
        json_arr_end(&w);
        json_key(&w, "statements");
        json_arr_begin(&w);
    }
    Prediction pred[VERSIONS_CAP];
    bool have[VERSIONS_CAP];
    size_t nstmts = 0, nunpredicted = 0, nabove = 0, risk_count[RISK_CRITICAL + 1] = {0};
    cmd_print_layouts(&corpus, true); /* only what needs saying: stdout is the answer */
    for (size_t c = 0; c < corpus.nchains; c++) {
        const Chain *ch = &corpus.chains[c];
        for (size_t mi = 0; mi < ch->nmigs; mi++) {
            const Migration *m = &ch->migs[mi];
            if (m->error) fprintf(stderr, "%s: %s\n", progname, m->error);
            for (size_t si = 0; si < m->nstmts; si++) {
                const Statement *st = &m->stmts[si];
                int worst = -1;
                bool any_missing = false;
                for (int v = 0; v < vs.n; v++) {
                    have[v] = locktable_predict(lt, &st->info, vs.v[v], &pred[v]);
                    if (!have[v]) {
                        any_missing = true;
                        continue;
                    }
                    if ((int)pred[v].risk > worst) worst = (int)pred[v].risk;
                }
                if (ci) nabove += ci_statement(&ci_msgs, m, st, &vs, pred, have, max_risk);
                nstmts++;
                if (any_missing) nunpredicted++;
                if (worst >= 0) risk_count[worst]++;
                if (json)
                    json_statement(&w, m, st, &vs, pred, have);
                else
                    text_statement(&out, m, st, &vs, pred, have);
                if (out.len > 1 << 16) {
                    fwrite(out.data, 1, out.len, stdout);
                    buf_reset(&out);
                }
            }
        }
    }
    if (json) {
        json_arr_end(&w);
        json_obj_end(&w);
        buf_putc(&out, '\n');
    } else {
        buf_printf(&out, "\n%zu statements on %d versions; highest risk per statement:", nstmts,
                   vs.n);
        for (int r = 0; r <= RISK_CRITICAL; r++)
            buf_printf(&out, " %s %zu,", risk_name((Risk)r), risk_count[r]);
        buf_printf(&out, " unpredicted on some version %zu\n", nunpredicted);
    }
    fwrite(out.data, 1, out.len, stdout);
    fflush(stdout);

    if (corpus.nempty_downs)
        fprintf(stderr, "%s: %zu empty down migrations skipped (no statements: nothing to undo)\n",
                progname, corpus.nempty_downs);
    rc = corpus.nerrors ? EXIT_USAGE : 0;
    if (nabove) {
        fputs(ci_msgs.data, stderr);
        cmd_fail(EXIT_CHECKS, "%zu statement versions above risk %s", nabove,
                 risk_name((Risk)max_risk));
        rc = EXIT_CHECKS;
    }
    buf_free(&out);
    buf_free(&ci_msgs);
    buf_free(&tmp);
    corpus_free(&corpus);
    locktable_free(lt);
    return rc;
}
