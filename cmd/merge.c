/*
 * cmd/merge: combine the stores of a sharded run into one run.
 *
 *   lockmatrix merge OUT IN...
 */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "store/merge.h"

static void merge_usage(FILE *f)
{
    fprintf(f,
            "usage: %s merge OUT IN...\n"
            "\n"
            "Combine the stores of the shards of one run ('%s run --shard K/N' on several\n"
            "machines) into one run appended to the store OUT (created when missing), as if\n"
            "the corpus had been run on one machine: '%s report -d OUT' reports it, and\n"
            "'%s report -d OUT --against last' compares it with OUT's previous run of the\n"
            "same corpus. The newest run of each IN is taken.\n"
            "\n"
            "Refused (exit 2, nothing written): runs of different corpora, tool versions or\n"
            "backends; a run that did not finish; shards that overlap or are missing (per\n"
            "version set, shards 1..N each once; shards x versions: one version set per\n"
            "column of the matrix, no version in two); servers of one version that are\n"
            "different releases.\n"
            "\n"
            "  -h, --help   this help\n",
            progname, progname, progname, progname);
}

int cmd_merge(int argc, char **argv)
{
    int first = 1;
    for (int i = 1; i < argc; i++) {
        if (cmd_is_help(argv[i])) {
            merge_usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--") == 0) {
            first = i + 1;
            break;
        }
        if (argv[i][0] == '-' && argv[i][1]) {
            merge_usage(stderr);
            return cmd_fail(EXIT_USAGE, "unknown option \"%s\"", argv[i]);
        }
    }
    if (argc - first < 2) {
        merge_usage(stderr);
        return cmd_fail(EXIT_USAGE, "merge needs OUT and at least one IN");
    }
    Buf args;
    buf_init(&args);
    buf_puts(&args, progname);
    for (int i = 0; i < argc; i++)
        buf_printf(&args, " %s", argv[i]);
    MergeResult res;
    Err err = {0};
    int rc = merge_stores(argv[first], argv + first + 1, (size_t)(argc - first - 1), args.data,
                          &res, &err);
    buf_free(&args);
    if (rc != 0) return cmd_fail_err(&err, EXIT_ENV);
    printf("run %lld in %s: %zu stores merged, versions %s, %zu jobs, %zu statements traced (%s)\n",
           res.run_id, argv[first], res.ninputs, res.versions, res.njobs, res.ntraces, res.status);
    return 0;
}
