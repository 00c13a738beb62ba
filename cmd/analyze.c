/*
 * cmd/analyze: static prediction only, no servers. Every statement of the
 * corpus is classified and looked up in the lock table for each selected
 * version; report/analyze.c writes the answer (a table, or the report's
 * statements shape in json), report/gate.c the --ci gate.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "corpus/corpus.h"
#include "predict/locktable.h"
#include "model/versions.h"
#include "report/analyze.h"
#include "report/gate.h"

static const char usage_text[] =
    "usage: lockmatrix analyze [options] FILE...\n"
    "\n"
    "Predict, without any server, what each statement of the migrations locks\n"
    "on each version: the lock on its target, rewrite, scan, locks on other\n"
    "relations and a risk level, from the lock table. A statement the parser\n"
    "(PostgreSQL 15's) rejects is classified from its leading keywords when they\n"
    "tell (ALTER TABLE, CREATE INDEX, CREATE TABLE): a coarse class, said under it\n"
    "(JSON: \"parsed\": \"keywords\"), whose rewrite and scan are not predicted.\n"
    "\n"
    "options:\n"
    "  -V, --versions LIST     versions: " VERSIONS_DEFAULT " (default: every supported major),\n"
    "                          12,14, 11- (11 and later), -12\n"
    "      --format FORMAT     text (default) | json\n"
    "      --locktable FILE    the lock table (default: the built-in copy)\n"
    "      --ci                exit 1 when a statement's risk exceeds --max-risk\n"
    "      --max-risk LEVEL    safe | low | medium | high | critical (implies --ci)\n"
    "      --each              every file of a directory is its own chain\n"
    "      --layout NAME       the layout of the directories (default: detected; see\n"
    "                          docs/layouts.md): plain, each, golang-migrate, flyway,\n"
    "                          prisma, drizzle, diesel, sqitch, knex, typeorm, sequelize\n"
    "      --down              also the down migrations, after every up, newest first\n"
    "                          (empty or comment-only downs are skipped and counted)\n"
    "  -h, --help              this help\n"
    "\n"
    "Exit codes: 0 ok, 1 a statement above --max-risk, 2 usage or input error.\n";

enum { OPT_FORMAT = 256, OPT_LOCKTABLE, OPT_CI, OPT_MAX_RISK, OPT_EACH, OPT_LAYOUT, OPT_DOWN };

static const struct option long_opts[] = {
    {"versions", required_argument, NULL, 'V'},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"locktable", required_argument, NULL, OPT_LOCKTABLE},
    {"ci", no_argument, NULL, OPT_CI},
    {"max-risk", required_argument, NULL, OPT_MAX_RISK},
    {"each", no_argument, NULL, OPT_EACH},
    {"layout", required_argument, NULL, OPT_LAYOUT},
    {"down", no_argument, NULL, OPT_DOWN},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* ---- the command ------------------------------------------------------- */

int cmd_analyze(int argc, char **argv)
{
    const char *versions_spec = VERSIONS_DEFAULT, *format = "text", *lt_path = NULL;
    bool ci = false;
    int max_risk = -1;
    CorpusOpts copts = {0};

    optind = 1;
    int o;
    while ((o = getopt_long(argc, argv, "V:h", long_opts, NULL)) != -1) {
        switch (o) {
        case 'V':
            versions_spec = optarg;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "text") != 0 && strcmp(optarg, "json") != 0)
                return cmd_fail(EXIT_USAGE, "unknown format \"%s\" (text, json)", optarg);
            format = optarg;
            break;
        case OPT_LOCKTABLE:
            lt_path = optarg;
            break;
        case OPT_CI:
            ci = true;
            break;
        case OPT_MAX_RISK:
            if ((max_risk = risk_parse(optarg)) < 0)
                return cmd_fail(EXIT_USAGE,
                                "unknown risk level \"%s\" (%s)", optarg,
                                risk_names());
            ci = true;
            break;
        case OPT_EACH:
            copts.each_file = true;
            break;
        case OPT_LAYOUT:
            copts.layout = optarg;
            break;
        case OPT_DOWN:
            copts.downs = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        default:
            fputs(usage_text, stderr);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "%s: analyze: no FILE given\n", progname);
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    if (ci && max_risk < 0) max_risk = RISK_CRITICAL; /* nothing is above critical */

    Err err = {0};
    VersionSet vs;
    if (versions_parse(versions_spec, &vs, &err) != 0) return cmd_fail_err(&err, EXIT_USAGE);
    LockTable *lt;
    if (locktable_load(lt_path, &lt, &err) != 0) return cmd_fail_err(&err, EXIT_USAGE);
    Corpus corpus;
    if (corpus_load(&corpus, argv + optind, argc - optind, &copts, &err) != 0) {
        locktable_free(lt);
        return cmd_fail_err(&err, EXIT_USAGE);
    }

    Buf out, ci_msgs;
    buf_init(&out);
    buf_init(&ci_msgs);
    AnalyzeOut answer;
    analyze_begin(&answer, &out, &vs, strcmp(format, "json") == 0);
    LtPrediction pred[VERSIONS_CAP];
    bool have[VERSIONS_CAP];
    size_t nabove = 0;
    cmd_print_layouts(&corpus, true); /* only what needs saying: stdout is the answer */
    for (size_t c = 0; c < corpus.nchains; c++) {
        const Chain *ch = &corpus.chains[c];
        for (size_t mi = 0; mi < ch->nmigs; mi++) {
            const Migration *m = &ch->migs[mi];
            if (m->error) fprintf(stderr, "%s: %s\n", progname, m->error);
            for (size_t si = 0; si < m->nstmts; si++) {
                const Statement *st = &m->stmts[si];
                for (int v = 0; v < vs.n; v++)
                    have[v] = locktable_predict(lt, &st->info, vs.v[v], &pred[v]);
                if (ci) nabove += gate_predictions(&ci_msgs, m, st, &vs, pred, have, max_risk);
                analyze_statement(&answer, m, st, pred, have);
                if (out.len > 1 << 16) {
                    fwrite(out.data, 1, out.len, stdout);
                    buf_reset(&out);
                }
            }
        }
    }
    analyze_end(&answer);
    fwrite(out.data, 1, out.len, stdout);
    fflush(stdout);

    if (corpus.nempty_downs)
        fprintf(stderr, "%s: %zu empty down migrations skipped (no statements: nothing to undo)\n",
                progname, corpus.nempty_downs);
    int rc = corpus.nerrors ? EXIT_USAGE : 0;
    if (nabove) {
        fputs(ci_msgs.data, stderr);
        cmd_fail(EXIT_CHECKS, "%zu statement versions above risk %s", nabove,
                 risk_name((Risk)max_risk));
        rc = EXIT_CHECKS;
    }
    buf_free(&out);
    buf_free(&ci_msgs);
    corpus_free(&corpus);
    locktable_free(lt);
    return rc;
}
