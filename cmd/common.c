/*
 * cmd/common: what every command shares: error messages and help detection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "common/json.h"

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

Store *cmd_open_existing(const char *db, int *rc)
{
    if (access(db, F_OK) != 0 && errno == ENOENT) {
        *rc = cmd_fail(EXIT_USAGE,
                       "no store at \"%s\"\nhint: '%s run PATH...' traces a corpus into it", db,
                       progname);
        return NULL;
    }
    Err err = {0};
    Store *s = store_open(db, false, &err);
    if (!s) *rc = cmd_fail_err(&err, EXIT_ENV);
    return s;
}

void cmd_args_json(Buf *b, int argc, char *const *argv)
{
    JsonW w;
    json_init(&w, b, false);
    json_arr_begin(&w);
    for (int i = 0; i < argc; i++)
        json_str(&w, argv[i]);
    json_arr_end(&w);
}
