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
#include "corpus/corpus.h"
#include "predict/locktable.h"
#include "predict/relations.h"
#include "model/versions.h"
#include "report/analyze.h"
#include "report/gate.h"

static const char analyze_head[] =
    "usage: lockmatrix analyze [options] FILE...\n"
    "\n"
    "Predict, without any server, what each statement of the migrations locks\n"
    "on each version: the lock on its target, rewrite, scan, locks on other\n"
    "relations and a risk level, from the lock table. A statement the parser\n"
    "(PostgreSQL 15's) rejects is classified from its leading keywords when they\n"
    "tell (ALTER TABLE, CREATE INDEX, CREATE TABLE): a coarse class, said under it\n"
    "(JSON: \"parsed\": \"keywords\"), whose rewrite and scan are not predicted.\n"
    "Each chain is replayed through a model of the catalog it builds (after\n"
    "--schema's): ALTER COLUMN TYPE (from the column's type and the new one, by\n"
    "each version's facts), SET LOGGED/UNLOGGED and SET ACCESS METHOD (against\n"
    "what the table has), ALTER SEQUENCE (from its options) and ADD COLUMN ...\n"
    "DEFAULT (the volatility of the functions it calls, pg_catalog's per version\n"
    "and the chain's own) are decided; a statement whose table or function the\n"
    "chain never defines keeps its row and says so (JSON: \"unknown\"). Every\n"
    "relation a statement locks besides its target (indexes, TOAST, sequences,\n"
    "partitions, parent, foreign-key partners, sources) is named with its mode\n"
    "and role, and every relation it rewrites (JSON: \"locks\", \"rewrites\";\n"
    "text: also:, rewrites:).\n"
    "\n"
    "options:\n";

static const char analyze_tail[] =
    "\n"
    "Exit codes: 0 ok, 1 a statement above --max-risk, 2 usage or input error.\n";

static const char *const analyze_formats[] = {"text", "json"};

/* ---- the command ------------------------------------------------------- */

/* The model --schema's file builds into *out; its warnings (file:line) on
 * stderr when warn. -1 with err when the file cannot be read. */
static int analyze_schema(const char *path, bool warn, Schema **out, Err *err)
{
    Schema *s = schema_new();
    if (schema_load_dump(s, path, err) != 0) {
        schema_free(s);
        *out = NULL;
        return -1;
    }
    for (size_t i = 0; warn && i < schema_nwarnings(s); i++)
        fprintf(stderr, "%s: %s\n", progname, schema_warning(s, i));
    *out = s;
    return 0;
}

/* What the command line asks of analyze. */
typedef struct AnalyzeArgs {
    const char *versions_spec, *format, *lt_path;
    const char *schema_path; /* --schema: a dump every chain starts from */
    const char *preamble;    /* --preamble: SQL every chain starts from, after --schema */
    const char *timezone;    /* --timezone: the session's TimeZone */
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
        {"schema", 0, OPTK_STR, &a->schema_path, "FILE",
         .help = "the catalog every chain starts from: SQL such as\n"
                 "pg_dump --schema-only output"},
        {"preamble", 0, OPTK_STR, &a->preamble, "FILE",
         .help = "SQL run before every chain, after --schema (as\n"
                 "run --preamble): its objects are in the catalog"},
        {"timezone", 0, OPTK_STR, &a->timezone, "NAME",
         .help = "the session's TimeZone until a migration SETs one\n"
                 "(default UTC): decides timestamp to timestamptz"},
        {"ci", 0, OPTK_FLAG, &a->ci, NULL,
         .help = "exit 1 when a statement's risk exceeds --max-risk"},
        {"max-risk", 0, OPTK_RISK, &a->max_risk, "LEVEL", .help = "{} (implies --ci)",
         .list = risk_names()},
        {"each", 0, OPTK_FLAG, &a->copts.each_file, NULL,
         .help = "every file of a directory is its own chain"},
        {"layout", 0, OPTK_STR, &a->copts.layout, "NAME",
         .help = "the layout of the directories (default: detected; see\n"
                 "docs/layouts.md): {}",
         .list = layout_names()},
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
    AnalyzeArgs a = {
        .versions_spec = VERSIONS_DEFAULT, .format = "text", .timezone = "UTC", .max_risk = -1};
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
    Facts *facts;
    if (facts_load(NULL, &facts, &err) != 0) {
        locktable_free(lt);
        return cmd_fail_err(&err, EXIT_USAGE);
    }
    /* --schema: loaded once, each chain starts from a copy (loaded again) */
    Schema *base = NULL;
    if (a.schema_path && analyze_schema(a.schema_path, true, &base, &err) != 0) {
        facts_free(facts);
        locktable_free(lt);
        return cmd_fail_err(&err, EXIT_USAGE);
    }
    schema_free(base);
    const PredictOpts po = {.tz_utc = locktable_tz_is_utc(a.timezone)};
    Corpus corpus;
    int loaded = corpus_load(&corpus, argv + first, argc - first, &copts, &err);
    if (loaded == 0 && a.preamble && corpus_set_preamble(&corpus, a.preamble, &err) != 0) {
        corpus_free(&corpus);
        loaded = -1;
    }
    if (loaded != 0) {
        facts_free(facts);
        locktable_free(lt);
        return cmd_fail_err(&err, EXIT_USAGE);
    }

    Buf out, ci_msgs;
    buf_init(&out);
    buf_init(&ci_msgs);
    AnalyzeOut answer;
    analyze_begin(&answer, &out, &vs, strcmp(format, "json") == 0);
    Prediction pred[VERSIONS_CAP];
    bool have[VERSIONS_CAP];
    size_t nabove = 0;
    cmd_print_layouts(&corpus, true); /* only what needs saying: stdout is the answer */
    for (size_t c = 0; c < corpus.nchains; c++) {
        const Chain *ch = &corpus.chains[c];
        /* every statement meets the catalog the chain built before it */
        Schema *sch = NULL;
        if (a.schema_path) analyze_schema(a.schema_path, false, &sch, &err);
        if (!sch) sch = schema_new();
        for (size_t k = 0; k < corpus.npre_stmts; k++)
            schema_apply(sch, corpus.pre_stmts[k].sql);
        if (corpus.npre_stmts) schema_end_session(sch); /* as run: a session of its own */
        for (size_t mi = 0; mi < ch->nmigs; mi++) {
            const Migration *m = &ch->migs[mi];
            if (m->error) fprintf(stderr, "%s: %s\n", progname, m->error);
            for (size_t si = 0; si < m->nstmts; si++) {
                const Statement *st = &m->stmts[si];
                for (int v = 0; v < vs.n; v++)
                    have[v] = relations_predict_in(lt, sch, facts, st->sql, &st->info, vs.v[v], &po,
                                                   &pred[v]);
                schema_apply(sch, st->sql);
                if (ci) nabove += gate_predictions(&ci_msgs, m, st, &vs, pred, have, max_risk);
                analyze_statement(&answer, m, st, pred, have);
                for (int v = 0; v < vs.n; v++)
                    prediction_free(&pred[v]);
                if (out.len > 1 << 16) {
                    fwrite(out.data, 1, out.len, stdout);
                    buf_reset(&out);
                }
            }
        }
        schema_free(sch);
    }
    analyze_end(&answer);
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
    corpus_free(&corpus);
    facts_free(facts);
    locktable_free(lt);
    return rc;
}
