/*
 * cmd/clean: `lockmatrix clean` removes what killed runs left behind:
 * servers still running, their shared memory, their directories.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/opts.h"
#include "runner/backend.h"

static const char clean_head[] = "usage: lockmatrix clean [-b BACKEND] [--run ID]\n\n"
                                 "Remove leftover containers of runs that were killed.\n\n";

int cmd_clean(int argc, char **argv)
{
    const char *only = NULL;
    long long run_id = 0;
    int first, rc;
    const Opt options[] = {
        {"backend", 'b', OPTK_CHOICE, &only, "NAME", .help = "only this backend (embedded, docker)",
         .choices = OPT_NAMES(cmd_backends), .noun = "backend"},
        {"run", 0, OPTK_RUN_ID, &run_id, "ID",
         .help = "only the containers of run ID; without it, every run\n"
                 "whose lockmatrix process is no longer running"},
        OPTS_END,
    };
    const OptCmd cmd = {"clean", clean_head, NULL, 23, NULL, 0, options};
    if (!opts_parse(&cmd, argc, argv, &first, &rc)) return rc;
    if (run_id == 0) run_id = -1; /* every run */

    /* Without -b, every backend (docker: containers labelled lockmatrix.run;
     * skipped with a note when no engine answers). */
    const char *const *names = only ? &only : cmd_backends;
    size_t nnames = only ? 1 : ARRAY_LEN(cmd_backends);
    for (size_t i = 0; i < nnames; i++) {
        const BackendOps *ops = backend_get(names[i]);
        BackendCfg cfg = {.name = names[i], .run_id = run_id};
        Err err;
        err_clear(&err);
        int n = ops ? ops->clean(&cfg, run_id, &err) : -1;
        backend_cfg_free(&cfg);
        if (n < 0) {
            /* Without -b, an engine that is not there has nothing to clean. */
            if (!only && strcmp(names[i], "docker") == 0) {
                printf("%s: skipped (%s)\n", names[i], err.msg);
                continue;
            }
            rc = cmd_fail_err(&err, EXIT_ENV);
            continue;
        }
        printf("%s: removed %d container%s\n", names[i], n, n == 1 ? "" : "s");
    }
    return rc;
}
