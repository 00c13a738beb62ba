/*
 * cmd/report: render a stored run.
 *
 *   lockmatrix report [--run ID] [--format FORMAT] [-o FILE] [-d FILE]
 *
 * Formats are a table of renderers: adding one is one line. The first entry
 * is the default.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "report/report.h"
#include "store/store.h"

typedef int (*Renderer)(Store *s, long long run_id, Buf *out, Err *err);

static const struct renderer {
    const char *name;
    Renderer fn;
} renderers[] = {
    {"json", report_json},
};

static void known_formats(Buf *b)
{
    for (size_t i = 0; i < ARRAY_LEN(renderers); i++)
        buf_printf(b, "%s%s", i ? ", " : "", renderers[i].name);
}

static void usage(FILE *f)
{
    Buf fm;
    buf_init(&fm);
    known_formats(&fm);
    fprintf(f,
            "usage: %s report [--run ID] [--format FORMAT] [-o FILE] [-d FILE]\n"
            "\n"
            "Renders a stored run (the newest unless --run says which).\n"
            "\n"
            "  -r, --run ID         the run to report (see '%s runs')\n"
            "  -f, --format FORMAT  %s (default %s)\n"
            "  -o, --output FILE    write to FILE (atomically) instead of stdout\n"
            "  -d, --db FILE        the store (default ./%s)\n"
            "  -h, --help           this help\n",
            progname, progname, fm.data, renderers[0].name, STORE_DEFAULT_PATH);
    buf_free(&fm);
}

/* Writes b to path through a temporary file in the same directory and a rename,
 * so that a reader never sees half a report. */
static int write_atomic(const char *path, const Buf *b, Err *err)
{
    char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        err_set(err, 3, "could not create \"%s\": %s", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    size_t off = 0;
    while (off < b->len) {
        ssize_t n = write(fd, b->data + off, b->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err_set(err, 3, "could not write \"%s\": %s", tmp, strerror(errno));
            goto fail;
        }
        off += (size_t)n;
    }
    if (close(fd) != 0) {
        fd = -1;
        err_set(err, 3, "could not write \"%s\": %s", tmp, strerror(errno));
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        err_set(err, 3, "could not rename \"%s\" to \"%s\": %s", tmp, path, strerror(errno));
        goto fail;
    }
    free(tmp);
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    free(tmp);
    return -1;
}

int cmd_report(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"run", required_argument, NULL, 'r'},    {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'}, {"db", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    const char *db = STORE_DEFAULT_PATH, *format = renderers[0].name, *output = NULL;
    long long run_id = 0;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":r:f:o:d:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'r': {
            char *end;
            errno = 0;
            run_id = strtoll(optarg, &end, 10);
            if (errno || end == optarg || *end || run_id <= 0)
                return cmd_fail(EXIT_USAGE, "--run needs a run id, not \"%s\"", optarg);
            break;
        }
        case 'f': format = optarg; break;
        case 'o': output = optarg; break;
        case 'd': db = optarg; break;
        case 'h': usage(stdout); return 0;
        case ':': return cmd_fail(EXIT_USAGE, "option \"%s\" needs a value", argv[optind - 1]);
        default:
            usage(stderr);
            return cmd_fail(EXIT_USAGE, "unknown option \"%s\"", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cmd_fail(EXIT_USAGE, "unexpected argument \"%s\"", argv[optind]);

    const struct renderer *r = NULL;
    for (size_t i = 0; i < ARRAY_LEN(renderers); i++)
        if (strcmp(format, renderers[i].name) == 0)
            r = &renderers[i];
    if (!r) {
        Buf fm;
        buf_init(&fm);
        known_formats(&fm);
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
    int rc = 0;
    Buf out;
    buf_init(&out);
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
    if (r->fn(s, run_id, &out, &err) < 0) {
        rc = cmd_fail_err(&err, EXIT_ENV);
        goto out;
    }
    if (output) {
        if (write_atomic(output, &out, &err) < 0)
            rc = cmd_fail_err(&err, EXIT_ENV);
    } else if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
        rc = cmd_fail(EXIT_ENV, "could not write the report: %s", strerror(errno));
    }
out:
    buf_free(&out);
    store_close(s);
    return rc;
}
