/*
 * cmd/report: render a stored run, or what changed since an earlier one.
 *
 *   lockmatrix report [--run ID] [--against ID] [--format FORMAT] [--only version-specific]
 *                     [--max-risk LEVEL] [--min-version N] [-o FILE] [-d FILE]
 *
 * Formats are the table of report/formats.c (a renderer for a run, one for a
 * diff). Without --format: text on a terminal, json otherwise (scripts
 * and pipes get the contract). With --against the exit code is 1 when the
 * observed behaviour changed on some version (a regression).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "predict/locktable.h"
#include "report/diff.h"
#include "report/render.h"
#include "report/report.h"
#include "store/store.h"

/* What --only accepts. */
static const char *const only_values[] = {"version-specific"};

static void usage(FILE *f)
{
    Buf fm;
    buf_init(&fm);
    report_format_names(&fm);
    fprintf(f,
            "usage: %s report [--run ID] [--against ID] [--format FORMAT]\n"
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
            "\n"
            "  -r, --run ID         the run to report (see '%s runs')\n"
            "  -a, --against ID     compare with this earlier run (statements matched by\n"
            "                       migration path, text and position in the file, on the\n"
            "                       versions both ran); last: the previous run given the\n"
            "                       same paths (and shard), whatever migrations they held\n"
            "  -f, --format FORMAT  %s\n"
            "                       (default: text on a terminal, json otherwise)\n"
            "      --only WHAT      version-specific: only statements whose behaviour (lock on\n"
            "                       the target, rewrites) differs between versions where they\n"
            "                       ran ok (failing on some versions only is not)\n"
            "      --max-risk LEVEL sarif: report predictions riskier than LEVEL (safe, low,\n"
            "                       medium, high, critical; default medium)\n"
            "      --min-version N  sarif: the oldest major the corpus supports; server errors\n"
            "                       below it are not reported (rule LM004 reports the others)\n"
            "  -o, --output FILE    write to FILE instead of stdout (a regular file is replaced\n"
            "                       atomically; a device, FIFO or /dev/stdout is written into)\n"
            "  -d, --db FILE        the store (default ./%s)\n"
            "  -h, --help           this help\n"
            "\n"
            "Text is coloured on a terminal unless NO_COLOR is set.\n",
            progname, progname, fm.data, STORE_DEFAULT_PATH);
    buf_free(&fm);
}

static void pragmas(Store *s)
{
    /* a report reads whole runs: sort in memory, map the file, keep its pages */
    sqlite3_exec(store_db(s), "PRAGMA temp_store = MEMORY; PRAGMA mmap_size = 1073741824; "
                              "PRAGMA cache_size = -131072",
                 NULL, NULL, NULL);
}

static int parse_run_id(const char *opt, const char *arg, long long *out)
{
    char *end;
    errno = 0;
    *out = strtoll(arg, &end, 10);
    if (errno || end == arg || *end || *out <= 0)
        return cmd_fail(EXIT_USAGE, "%s needs a run id, not \"%s\"", opt, arg);
    return 0;
}

/* --against last: the previous run of the same corpus and shard (0 with a note
 * when there is none: the run is reported alone). */
#define AGAINST_LAST (-1LL)
static int resolve_last(Store *s, const char *db, long long run_id, long long *against)
{
    Err err = {0};
    *against = store_previous_run(s, run_id, &err);
    if (*against < 0) {
        cmd_fail_err(&err, EXIT_ENV);
        return -1;
    }
    if (*against == 0)
        fprintf(stderr, "%s: no run of the same corpus before run %lld in \"%s\": nothing to "
                        "compare, the run alone is reported\n",
                progname, run_id, db);
    return 0;
}

int cmd_report(int argc, char **argv)
{
    enum { OPT_ONLY = 1000, OPT_MAX_RISK, OPT_MIN_VERSION };
    static const struct option longopts[] = {
        {"run", required_argument, NULL, 'r'},    {"against", required_argument, NULL, 'a'},
        {"format", required_argument, NULL, 'f'}, {"output", required_argument, NULL, 'o'},
        {"db", required_argument, NULL, 'd'},     {"only", required_argument, NULL, OPT_ONLY},
        {"max-risk", required_argument, NULL, OPT_MAX_RISK},
        {"min-version", required_argument, NULL, OPT_MIN_VERSION},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    const char *db = STORE_DEFAULT_PATH, *format = NULL, *output = NULL;
    long long run_id = 0, against = 0;
    ReportOpts opts;
    render_opts_init(&opts);
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":r:a:f:o:d:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            if (parse_run_id("--run", optarg, &run_id))
                return EXIT_USAGE;
            break;
        case 'a':
            if (strcmp(optarg, "last") == 0)
                against = AGAINST_LAST;
            else if (parse_run_id("--against", optarg, &against))
                return EXIT_USAGE;
            break;
        case 'f': format = optarg; break;
        case 'o': output = optarg; break;
        case 'd': db = optarg; break;
        case OPT_ONLY: {
            bool known = false;
            for (size_t i = 0; i < ARRAY_LEN(only_values); i++)
                known |= strcmp(optarg, only_values[i]) == 0;
            if (!known)
                return cmd_fail(EXIT_USAGE, "unknown --only \"%s\"\nhint: --only version-specific",
                                optarg);
            opts.only_version_specific = true;
            break;
        }
        case OPT_MAX_RISK:
            opts.max_risk = risk_parse(optarg);
            if (opts.max_risk < 0)
                return cmd_fail(EXIT_USAGE,
                                "unknown risk level \"%s\" (%s)", optarg,
                                risk_names());
            break;
        case OPT_MIN_VERSION: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (!*optarg || *end || v <= 0 || v > 99)
                return cmd_fail(EXIT_USAGE, "invalid --min-version \"%s\": a major version such as 13",
                                optarg);
            opts.min_version = (int)v;
            break;
        }
        case 'h': usage(stdout); return 0;
        case ':': return cmd_fail(EXIT_USAGE, "option \"%s\" needs a value", argv[optind - 1]);
        default:
            usage(stderr);
            return cmd_fail(EXIT_USAGE, "unknown option \"%s\"", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cmd_fail(EXIT_USAGE, "unexpected argument \"%s\"", argv[optind]);

    bool tty = !output && isatty(STDOUT_FILENO);
    if (!format)
        format = tty ? "text" : "json";
    const char *no_color = getenv("NO_COLOR");
    opts.color = tty && !(no_color && *no_color);

    const ReportFormat *r = report_format(format);
    if (!r) {
        Buf fm;
        buf_init(&fm);
        report_format_names(&fm);
        cmd_fail(EXIT_USAGE, "unknown format \"%s\"\nhint: the formats are %s", format, fm.data);
        buf_free(&fm);
        return EXIT_USAGE;
    }

    if (access(db, F_OK) != 0 && errno == ENOENT)
        return cmd_fail(EXIT_USAGE, "no store at \"%s\"\nhint: '%s run PATH...' traces a corpus into it",
                        db, progname);
    Err err = {0};
    Store *s = store_open(db, false, &err);
    if (!s)
        return cmd_fail_err(&err, EXIT_ENV);
    pragmas(s);
    int rc = 0;
    Buf out;
    buf_init(&out);
    RunView *rv = NULL, *earlier = NULL, *shown = NULL;
    RunDiff *diff = NULL;
    if (run_id == 0) {
        run_id = store_latest_run(s, &err);
        if (run_id < 0) {
            rc = cmd_fail_err(&err, EXIT_ENV);
            goto out;
        }
        if (run_id == 0) {
            rc = cmd_fail(EXIT_USAGE, "no runs in \"%s\"\nhint: '%s run PATH...' traces a corpus into it",
                          db, progname);
            goto out;
        }
    }
    if (against == AGAINST_LAST && resolve_last(s, db, run_id, &against) < 0) {
        rc = EXIT_ENV;
        goto out;
    }
    if (against && against == run_id) {
        rc = cmd_fail(EXIT_USAGE, "--against %lld is the run reported\nhint: compare with an earlier "
                                  "run ('%s runs' lists them)",
                      against, progname);
        goto out;
    }
    if (runview_load(s, run_id, &rv, &err) < 0 ||
        (against && runview_load(s, against, &earlier, &err) < 0)) {
        rc = cmd_fail_err(&err, EXIT_ENV);
        goto out;
    }
    shown = render_filtered(rv, &opts);
    if (earlier)
        diff = diff_runs(earlier, rv, &opts);
    (diff ? r->diff : r->run)(&(RenderInput){.run = shown, .diff = diff}, &opts, &out);
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
