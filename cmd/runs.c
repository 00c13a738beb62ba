/*
 * cmd/runs: list the runs of a store, one line each.
 *
 *   lockmatrix runs [-d FILE] [--format text|json]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/opts.h"
#include "common/json.h"
#include "model/versions.h"
#include "report/render.h"
#include "report/runview.h"
#include "store/store.h"

static const char runs_head[] =
    "usage: lockmatrix runs [-d FILE] [--format text|json]\n"
    "\n"
    "Lists the runs of the store: id, start, status, versions, statements,\n"
    "jobs ok/failed, duration, the layouts of the directories given (- when\n"
    "none was stored), corpus.\n"
    "\n";

static const char *const runs_formats[] = {"text", "json"};

/* A stored list "10,11,12,14" as versions_ranges shows it: "10-12,14". */
static void stored_versions(const char *list, Buf *b)
{
    int *v;
    size_t n = versions_read_stored(list, &v);
    versions_ranges(v, n, b);
    free(v);
}

static void duration(double s, char *out, size_t n)
{
    if (s < 0)
        snprintf(out, n, "-");
    else if (s < 60)
        snprintf(out, n, "%.0fs", s);
    else if (s < 3600)
        snprintf(out, n, "%dm%02ds", (int)s / 60, (int)s % 60);
    else
        snprintf(out, n, "%dh%02dm", (int)s / 3600, (int)s % 3600 / 60);
}

static void print_text(const RunSummary *runs, size_t n, Buf *out)
{
    buf_printf(out, "%-5s %-20s %-11s %-9s %6s %14s %8s  %-14s  %s\n", "ID", "STARTED", "STATUS",
               "VERSIONS", "STMTS", "JOBS OK/FAILED", "DURATION", "LAYOUT", "CORPUS");
    for (size_t i = 0; i < n; i++) {
        const RunSummary *r = &runs[i];
        Buf vs, jobs;
        buf_init(&vs);
        buf_init(&jobs);
        stored_versions(r->versions, &vs);
        buf_printf(&jobs, "%lld/%lld", r->jobs_ok, r->jobs_failed);
        char d[32];
        duration(r->duration_s, d, sizeof(d));
        /* what came from the store is made terminal-safe */
        Buf started, status, corpus, layouts;
        buf_init(&started);
        buf_init(&status);
        buf_init(&corpus);
        buf_init(&layouts);
        buf_puts(&started, "");
        buf_puts(&status, "");
        buf_puts(&corpus, "");
        buf_puts(&layouts, r->layouts ? "" : "-");
        render_clean(&started, r->started_at, true);
        render_clean(&status, r->status, true);
        render_clean(&corpus, r->corpus, true);
        render_clean(&layouts, r->layouts, true);
        buf_printf(out, "%-5lld %-20s %-11s %-9s %6lld %14s %8s  %-14s  %s\n", r->id, started.data,
                   status.data, vs.data ? vs.data : "", r->nstatements, jobs.data, d, layouts.data,
                   corpus.data);
        buf_free(&layouts);
        buf_free(&started);
        buf_free(&status);
        buf_free(&corpus);
        buf_free(&vs);
        buf_free(&jobs);
    }
}

static void print_json(const RunSummary *runs, size_t n, Buf *out)
{
    JsonW w;
    json_init(&w, out, true);
    json_arr_begin(&w);
    for (size_t i = 0; i < n; i++) {
        const RunSummary *r = &runs[i];
        json_obj_begin(&w);
        json_key(&w, "id");
        json_int(&w, r->id);
        json_key(&w, "started_at");
        json_str(&w, r->started_at);
        json_key(&w, "finished_at");
        json_str(&w, r->finished_at);
        json_key(&w, "status");
        json_str(&w, r->status);
        json_key(&w, "versions");
        json_arr_begin(&w);
        int *ids;
        size_t nids = versions_read_stored(r->versions, &ids);
        for (size_t k = 0; k < nids; k++)
            version_json(&w, ids[k]);
        free(ids);
        json_arr_end(&w);
        json_key(&w, "statements");
        json_int(&w, r->nstatements);
        json_key(&w, "jobs_ok");
        json_int(&w, r->jobs_ok);
        json_key(&w, "jobs_failed");
        json_int(&w, r->jobs_failed);
        json_key(&w, "duration_s");
        if (r->duration_s < 0)
            json_null(&w);
        else
            json_num(&w, r->duration_s);
        json_key(&w, "corpus");
        json_str(&w, r->corpus);
        json_key(&w, "backend");
        json_str(&w, r->backend);
        json_key(&w, "layouts"); /* as stored with the run, in the order given */
        json_arr_begin(&w);
        for (const char *p = r->layouts; p && *p;) {
            size_t l = strcspn(p, ",");
            char *name = xstrndup(p, l);
            json_str(&w, name);
            free(name);
            p += l + (p[l] == ',');
        }
        json_arr_end(&w);
        json_obj_end(&w);
    }
    json_arr_end(&w);
    buf_putc(out, '\n');
}

int cmd_runs(int argc, char **argv)
{
    const char *db = STORE_DEFAULT_PATH, *format = "text";
    int first, rc;
    const Opt options[] = {
        {"format", 'f', OPTK_CHOICE, &format, "FORMAT", .help = "text (default) or json",
         .choices = OPT_NAMES(runs_formats), .noun = "format"},
        {"db", 'd', OPTK_STR, &db, "FILE", .help = "the store (default ./" STORE_DEFAULT_PATH ")"},
        OPTS_END,
    };
    const OptCmd cmd = {"runs", runs_head, NULL, 23, NULL, 0, options};
    if (!opts_parse(&cmd, argc, argv, &first, &rc)) return rc;
    bool json = strcmp(format, "json") == 0;
    Store *s = cmd_open_existing(db, &rc);
    Err err = {0};
    if (!s) return rc;
    RunSummary *runs;
    size_t n;
    if (store_runs_list(s, &runs, &n, &err) < 0) {
        store_close(s);
        return cmd_fail_err(&err, EXIT_ENV);
    }
    Buf out;
    buf_init(&out);
    if (json)
        print_json(runs, n, &out);
    else
        print_text(runs, n, &out);
    if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0)
        rc = cmd_fail(EXIT_ENV, "could not write the list: %s", strerror(errno));
    buf_free(&out);
    store_runs_free(runs, n);
    store_close(s);
    return rc;
}
