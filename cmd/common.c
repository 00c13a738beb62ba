/*
 * cmd/common: what every command shares: error messages and help detection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"

int cmd_vfail(int code, const char *fmt, va_list ap)
{
    fflush(stdout);
    fprintf(stderr, "%s: ", progname);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    return code;
}

int cmd_fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cmd_vfail(code, fmt, ap);
    va_end(ap);
    return code;
}

int cmd_fail_err(const Err *err, int fallback)
{
    fflush(stdout);
    fprintf(stderr, "%s: %s\n", progname, err->msg[0] ? err->msg : "unknown error");
    return err->code ? err->code : fallback;
}

const char *const cmd_backends[CMD_NBACKENDS] = {"embedded", "docker"};

bool cmd_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

/* A result's locks as the lock table sees them (the strings stay the result's). */
static LtLock *lt_locks(const RvLock *v, size_t n)
{
    LtLock *locks = xcalloc(n + 1, sizeof(*locks));
    for (size_t k = 0; k < n; k++)
        locks[k] = (LtLock){.relation = v[k].relation,
                            .role = v[k].role,
                            .locktype = v[k].locktype,
                            .mode = v[k].mode,
                            .granted = v[k].granted,
                            .held_before = v[k].held_before};
    return locks;
}

void cmd_observe_result(const RvResult *r, LtObs *out)
{
    LtLock *locks = lt_locks(r->locks, r->nlocks);
    LtLock *requested = lt_locks(r->requested, r->nrequested);
    const char **scanned = xcalloc(r->nscans + 1, sizeof(*scanned));
    size_t nscanned = 0;
    for (size_t k = 0; k < r->nscans; k++)
        if (r->scans[k].seq_scan > 0)
            scanned[nscanned++] = r->scans[k].relation;
    LtTrace view = {.locks = locks, .nlocks = r->nlocks, .req = (TraceReq)r->req,
                    .requested = requested, .nrequested = r->nrequested,
                    .req_rewrites = r->req_rewrites, .nreq_rewrites = r->nreq_rewrites,
                    .req_scanned = (const char *const *)r->req_scanned,
                    .nreq_scanned = r->nreq_scanned,
                    .rewrites = r->rewrites, .nrewrites = r->nrewrites,
                    .scanned = scanned, .nscanned = nscanned, .capture = r->capture};
    locktable_observe(&view, out);
    out->skipped = locktable_said_skipping(r->said);
    free(scanned);
    free(locks);
    free(requested);
}

void cmd_print_layouts(const Corpus *c, bool quiet)
{
    for (size_t i = 0; i < c->nlayouts; i++) {
        const CorpusLayout *l = &c->layouts[i];
        if (quiet && !l->sum.nleft && !l->sum.note) continue;
        Buf line;
        buf_init(&line);
        layout_summary_line(&l->sum, &line);
        fprintf(stderr, "%s: %s: %s\n", progname, l->path, line.data);
        buf_free(&line);
    }
}
