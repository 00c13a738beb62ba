/*
 * cmd/clean: `lockmatrix clean` removes what killed runs left behind:
 * servers still running, their shared memory, their directories.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "runner/backend.h"

/* The backends `clean` visits when no -b is given (docker: containers
 * labelled lockmatrix.run; skipped with a note when no engine answers). */
static const char *const clean_default[] = {
    "embedded",
    "docker",
};

static void clean_usage(FILE *f)
{
    fprintf(f,
            "usage: %s clean [-b BACKEND] [--run ID]\n\n"
            "Remove leftover containers of runs that were killed.\n\n"
            "  -b, --backend NAME   only this backend (embedded, docker)\n"
            "      --run ID         only the containers of run ID; without it, every run\n"
            "                       whose lockmatrix process is no longer running\n",
            progname);
}

static int parse_run_id(const char *s, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 0) return -1;
    *out = v;
    return 0;
}

int cmd_clean(int argc, char **argv)
{
    const char *only = NULL;
    long long run_id = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        if (cmd_is_help(a)) {
            clean_usage(stdout);
            return 0;
        }
        if (strcmp(a, "-b") == 0 || strcmp(a, "--backend") == 0 || strcmp(a, "--run") == 0) {
            if (i + 1 >= argc) return cmd_fail(EXIT_USAGE, "%s needs a value", a);
            val = argv[++i];
        } else if (strncmp(a, "--backend=", 10) == 0) {
            val = a + 10;
            a = "--backend";
        } else if (strncmp(a, "--run=", 6) == 0) {
            val = a + 6;
            a = "--run";
        } else {
            cmd_fail(EXIT_USAGE, "unknown argument \"%s\"", a);
            fprintf(stderr, "hint: '%s clean --help' tells the options\n", progname);
            return EXIT_USAGE;
        }
        if (strcmp(a, "--run") == 0) {
            if (parse_run_id(val, &run_id) != 0)
                return cmd_fail(EXIT_USAGE, "invalid run id \"%s\"", val);
        } else {
            if (!backend_get(val)) return cmd_fail(EXIT_USAGE, "unknown backend \"%s\"", val);
            only = val;
        }
    }

    const char *const *names = only ? &only : clean_default;
    size_t nnames = only ? 1 : ARRAY_LEN(clean_default);
    int rc = 0;
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
