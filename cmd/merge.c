/*
 * cmd/merge: combine the stores of a sharded run into one run.
 *
 *   lockmatrix merge OUT IN...
 */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/opts.h"
#include "store/merge.h"

static const char merge_head[] =
    "usage: lockmatrix merge OUT IN...\n"
    "\n"
    "Combine the stores of the shards of one run ('lockmatrix run --shard K/N' on several\n"
    "machines) into one run appended to the store OUT (created when missing), as if\n"
    "the corpus had been run on one machine: 'lockmatrix report -d OUT' reports it, and\n"
    "'lockmatrix report -d OUT --against last' compares it with OUT's previous run of the\n"
    "same corpus. The newest run of each IN is taken.\n"
    "\n"
    "Refused (exit 2, nothing written): runs of different corpora, tool versions or\n"
    "backends; a run that did not finish; shards that overlap or are missing (per\n"
    "version set, shards 1..N each once; shards x versions: one version set per\n"
    "column of the matrix, no version in two); servers of one version that are\n"
    "different releases.\n"
    "\n";

int cmd_merge(int argc, char **argv)
{
    const Opt options[] = {
        OPTS_END,
    };
    const OptCmd cmd = {"merge", merge_head, NULL, 15, "OUT IN...", 0, options};
    int first, rc;
    if (!opts_parse(&cmd, argc, argv, &first, &rc)) return rc;
    if (argc - first < 2) return opts_fail(&cmd, "merge needs OUT and at least one IN");
    Buf args;
    buf_init(&args);
    cmd_args_json(&args, argc, argv);
    MergeResult res;
    Err err = {0};
    rc = merge_stores(argv[first], argv + first + 1, (size_t)(argc - first - 1), args.data, &res,
                      &err);
    buf_free(&args);
    if (rc != 0) return cmd_fail_err(&err, EXIT_ENV);
    printf("run %lld in %s: %zu stores merged, versions %s, %zu jobs, %zu statements traced (%s)\n",
           res.run_id, argv[first], res.ninputs, res.versions, res.njobs, res.ntraces, res.status);
    return 0;
}
