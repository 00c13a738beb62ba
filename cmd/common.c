/*
 * cmd/common: what every command shares: error messages and help detection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"

int cmd_fail(int code, const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "%s: ", progname);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

int cmd_fail_err(const Err *err, int fallback)
{
    fflush(stdout);
    fprintf(stderr, "%s: %s\n", progname, err->msg[0] ? err->msg : "unknown error");
    return err->code ? err->code : fallback;
}

bool cmd_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

void cmd_observe_result(const RvResult *r, LtObs *out)
{
    LtLock *locks = xcalloc(r->nlocks + 1, sizeof(*locks));
    for (size_t k = 0; k < r->nlocks; k++)
        locks[k] = (LtLock){.relation = r->locks[k].relation,
                            .role = r->locks[k].role,
                            .locktype = r->locks[k].locktype,
                            .mode = r->locks[k].mode,
                            .granted = r->locks[k].granted,
                            .held_before = r->locks[k].held_before};
    const char **scanned = xcalloc(r->nscans + 1, sizeof(*scanned));
    size_t nscanned = 0;
    for (size_t k = 0; k < r->nscans; k++)
        if (r->scans[k].seq_scan > 0)
            scanned[nscanned++] = r->scans[k].relation;
    locktable_observe(locks, r->nlocks, r->rewrites, r->nrewrites, scanned, nscanned, r->capture,
                      out);
    out->skipped = out->mode < 0 && locktable_said_skipping(r->said);
    free(scanned);
    free(locks);
}
