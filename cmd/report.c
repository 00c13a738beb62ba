/*
 * cmd/report: render a stored run, or what changed since an earlier one.
 *
 *   lockmatrix report [--run ID] [--against ID] [--format FORMAT] [--only version-specific]
 *                     [--max-risk LEVEL] [--min-version N] [-o FILE] [-d FILE]
 *
 * Formats are a table of renderers (one for a run, one for a diff): adding one
 * is one line. Without --format: text on a terminal, json otherwise (scripts
 * and pipes get the contract). With --against the exit code is 1 when the
 * observed behaviour changed on some version (a regression).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/opts.h"
#include "predict/locktable.h"
#include "report/diff.h"
#include "report/render.h"
#include "report/report.h"
#include "store/store.h"

/* What --only accepts. */
static const char *const only_values[] = {"version-specific"};

static const char report_head[] =
    "usage: lockmatrix report [--run ID] [--against ID] [--format FORMAT]\n"
    "                  [--only version-specific] [-o FILE] [-d FILE]\n"
    "\n"
    "Renders a stored run (the newest unless --run says which): first, per version,\n"
    "the statements run, ok, failed, aborted (25P02 after a failure of their\n"
    "transaction) and not run, and the first failure (file:line, SQLSTATE, message);\n"
    "then per statement the strongest lock on its target on every version, rewrites,\n"
    "scans, errors, verdicts, and how the versions differ; then a summary per\n"
    "statement class. With --against, what changed since an earlier run on the\n"
    "versions both traced; exit code 1 when an observation of a statement both runs\n"
    "have changed (migrations added or removed, statements new or gone, and changes\n"
    "seen only through sampled lock captures are listed apart and do not count).\n"
    "\n";

static const char report_tail[] = "\nText is coloured on a terminal unless NO_COLOR is set.\n";

/* --against last: the previous run of the same corpus and shard (0 with a note
 * when there is none: the run is reported alone). */
static int resolve_last(Store *s, const char *db, long long run_id, long long *against)
{
    Err err = {0};
    *against = store_previous_run(s, run_id, &err);
    if (*against < 0) {
        cmd_fail_err(&err, EXIT_ENV);
        return -1;
    }
    if (*against == 0)
        fprintf(stderr,
                "%s: no run of the same corpus before run %lld in \"%s\": nothing to "
                "compare, the run alone is reported\n",
                progname, run_id, db);
    return 0;
}

/* The run to report (0: the newest) and the one to compare it with
 * (OPT_LAST: the previous of the same corpus), as ids; 0 or the exit code. */
static int pick_runs(Store *s, const char *db, long long *run_id, long long *against)
{
    Err err = {0};
    if (*run_id == 0) {
        *run_id = store_latest_run(s, &err);
        if (*run_id < 0) return cmd_fail_err(&err, EXIT_ENV);
        if (*run_id == 0)
            return cmd_fail(EXIT_USAGE,
                            "no runs in \"%s\"\nhint: '%s run PATH...' traces a corpus into it", db,
                            progname);
    }
    if (*against == OPT_LAST && resolve_last(s, db, *run_id, against) < 0) return EXIT_ENV;
    if (*against && *against == *run_id)
        return cmd_fail(EXIT_USAGE,
                        "--against %lld is the run reported\nhint: compare with an earlier "
                        "run ('%s runs' lists them)",
                        *against, progname);
    return 0;
}

int cmd_report(int argc, char **argv)
{
    const char *db = STORE_DEFAULT_PATH, *format = NULL, *output = NULL, *only = NULL;
    long long run_id = 0, against = 0;
    int first, rc;
    long min_version = 0;
    ReportOpts opts;
    render_opts_init(&opts);
    const Opt options[] = {
        {"run", 'r', OPTK_RUN_ID, &run_id, "ID",
         .help = "the run to report (see 'lockmatrix runs')"},
        {"against", 'a', OPTK_RUN_LAST, &against, "ID",
         .help = "compare with this earlier run (statements matched by\n"
                 "migration path, text and position in the file, on the\n"
                 "versions both ran); last: the previous run given the\n"
                 "same paths (and shard), whatever migrations they held"},
        {"format", 'f', OPTK_CHOICE, &format, "FORMAT",
         .help = "{}\n(default: text on a terminal, json otherwise)",
         .choices = {&report_formats[0].name, sizeof(report_formats[0]), report_nformats},
         .noun = "format"},
        {"only", 0, OPTK_CHOICE, &only, "WHAT",
         .help = "version-specific: only statements whose behaviour (lock on\n"
                 "the target, rewrites) differs between versions where they\n"
                 "ran ok (failing on some versions only is not)",
         .choices = OPT_NAMES(only_values)},
        {"max-risk", 0, OPTK_RISK, &opts.max_risk, "LEVEL",
         .help = "sarif: report predictions riskier than\n"
                 "LEVEL ({}; default medium)",
         .list = risk_names()},
        {"min-version", 0, OPTK_INT, &min_version, "N",
         .help = "sarif: the oldest major the corpus supports; server errors\n"
                 "below it are not reported (rule LM004 reports the others)",
         .min = 1, .max = 99, .want = "a major version such as 13"},
        {"output", 'o', OPTK_STR, &output, "FILE",
         .help = "write to FILE instead of stdout (a regular file is replaced\n"
                 "atomically; a device, FIFO or /dev/stdout is written into)"},
        {"db", 'd', OPTK_STR, &db, "FILE", .help = "the store (default ./" STORE_DEFAULT_PATH ")"},
        OPTS_END,
    };
    const OptCmd cmd = {"report", report_head, report_tail, 23, NULL, 0, options};
    if (!opts_parse(&cmd, argc, argv, &first, &rc)) return rc;
    opts.only_version_specific = only != NULL;
    if (min_version) opts.min_version = (int)min_version;

    bool tty = !output && isatty(STDOUT_FILENO);
    if (!format) format = tty ? "text" : "json";
    const char *no_color = getenv("NO_COLOR");
    opts.color = tty && !(no_color && *no_color);

    const ReportFormat *r = report_format(format); /* the option table checked the name */
    Store *s = cmd_open_existing(db, &rc);
    Err err = {0};
    if (!s) return rc;
    store_tune_for_reading(s);
    Buf out;
    buf_init(&out);
    RunView *rv = NULL, *earlier = NULL, *shown = NULL;
    RunDiff *diff = NULL;
    if ((rc = pick_runs(s, db, &run_id, &against)) != 0) goto out;
    if (runview_load(s, run_id, &rv, &err) < 0 ||
        (against && runview_load(s, against, &earlier, &err) < 0)) {
        rc = cmd_fail_err(&err, EXIT_ENV);
        goto out;
    }
    shown = render_filtered(rv, &opts);
    if (earlier) {
        diff = diff_runs(earlier, rv, &opts);
        r->diff(&(RenderInput){.run = shown, .diff = diff}, &opts, &out);
    } else {
        r->run(&(RenderInput){.run = shown}, &opts, &out);
    }
    if (output) {
        if (file_write_out(output, out.data ? out.data : "", out.len, &err) < 0)
            rc = cmd_fail_err(&err, EXIT_ENV);
    } else if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
        rc = cmd_fail(EXIT_ENV, "could not write the report: %s", strerror(errno));
    }
    if (rc == 0 && diff && diff->nregressions) {
        fprintf(stderr, "%s: %zu changes of observed behaviour since run %lld\n", progname,
                diff->nregressions, against);
        rc = EXIT_CHECKS;
    }
out:
    diff_free(diff);
    render_filtered_free(shown);
    runview_free(earlier);
    runview_free(rv);
    buf_free(&out);
    store_close(s);
    return rc;
}
