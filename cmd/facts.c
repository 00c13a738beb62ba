/*
 * cmd/facts: `lockmatrix facts` reads PostgreSQL's per-version facts (casts,
 * ALTER COLUMN TYPE probes, functions' volatility: predict/facts.h) from an
 * embedded server of each version, and prints them, writes them (--update,
 * -o) or compares them with the built-in copy (--check).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/opts.h"
#include "model/versions.h"
#include "predict/facts.h"
#include "runner/backend.h"
#include "runner/factsprobe.h"

#define DEFAULT_FACTS "predict/facts.tsv"
#define PROBE_TIMEOUT_MS 300000 /* one version: start, catalogs, every probe */

static const char facts_head[] =
    "usage: lockmatrix facts [options]\n"
    "\n"
    "Read PostgreSQL's facts that decide whether a statement rewrites its table\n"
    "from a server of each version: the built-in casts between base types\n"
    "(pg_cast: binary, function, inout), ALTER COLUMN TYPE as probed (a table\n"
    "with the column, one row and an index, the ALTER, its relfilenodes\n"
    "compared: rewrite and index rebuild, per type-modifier change and session\n"
    "TimeZone) and the volatility of pg_catalog's functions. Print them, write\n"
    "them, or compare them with the copy built into lockmatrix\n"
    "(" DEFAULT_FACTS " when it was built).\n"
    "\n"
    "options:\n";

static const char facts_tail[] =
    "\n"
    "Exit codes: 0 ok, 1 the facts disagree (--check), 2 usage error,\n"
    "3 environment error (no server of a version, a probe that failed).\n";

/* Compares the text of two fact tables, the file's (built-in or --facts) and
 * the servers'; 0 when equal, else 1 after naming the first line that differs. */
static int compare(const Facts *file, const Facts *got, const char *versions)
{
    Buf a, b, name;
    buf_init(&a);
    buf_init(&b);
    buf_init(&name);
    if (strcmp(file->source, "built-in") == 0)
        buf_puts(&name, "the built-in facts");
    else
        buf_printf(&name, "the facts of \"%s\"", file->source);
    facts_write(file, &a);
    facts_write(got, &b);
    const char *p = a.data ? a.data : "", *q = b.data ? b.data : "";
    int line = 1, rc = 0;
    while (*p || *q) {
        size_t la = strcspn(p, "\n"), lb = strcspn(q, "\n");
        if (la != lb || memcmp(p, q, la) != 0) {
            fprintf(stderr, "%s: facts: %s differ from PostgreSQL %s at line %d:\n", progname,
                    name.data, versions, line);
            fprintf(stderr, "  file:    %.*s\n", *p ? (int)la : 6, *p ? p : "(none)");
            fprintf(stderr, "  servers: %.*s\n", *q ? (int)lb : 6, *q ? q : "(none)");
            fprintf(stderr, "hint: '%s facts --update' rewrites " DEFAULT_FACTS ", then rebuild\n",
                    progname);
            rc = 1;
            break;
        }
        p += la + (p[la] == '\n');
        q += lb + (q[lb] == '\n');
        line++;
    }
    if (rc == 0)
        printf("facts: %s agree with PostgreSQL %s (%zu rows)\n", name.data, versions, got->nrows);
    buf_free(&name);
    buf_free(&a);
    buf_free(&b);
    return rc;
}

/* Reads the facts of every version of vs into *out; 0 or the exit code after
 * the message. */
static int facts_read(const VersionSet *vs, Facts **out)
{
    Err err = {0};
    PgInstalls pgs = {0};
    if (pginstall_find(&pgs, NULL, 0, &err) != 0) return cmd_fail_err(&err, EXIT_ENV);
    for (int i = 0; i < vs->n; i++)
        if (!pginstall_get(&pgs, vs->v[i])) {
            pginstall_free(&pgs);
            return cmd_fail(EXIT_ENV, "facts: PostgreSQL %d is not installed (make setup)",
                            vs->v[i]);
        }
    const BackendOps *ops = backend_get("embedded");
    /* no store: a run id of this process's own, for the backend's directories */
    BackendCfg cfg = {.name = "embedded",
                      .run_id = 900000 + getpid() % 90000,
                      .pgs = &pgs,
                      .start_timeout_ms = 60000};
    int rc = 0;
    if (ops->prepare(&cfg, vs->v, vs->n, &err) != 0) {
        rc = cmd_fail_err(&err, EXIT_ENV);
    } else {
        Facts *f = facts_new();
        for (int i = 0; i < vs->n && rc == 0; i++) {
            size_t before = f->nrows;
            double t0 = now_ms();
            fprintf(stderr, "%s: facts: PostgreSQL %d ...\n", progname, vs->v[i]);
            if (factsprobe_version(ops, &cfg, vs->v[i], i + 1, PROBE_TIMEOUT_MS, f, &err) != 0)
                rc = cmd_fail_err(&err, EXIT_ENV);
            else
                fprintf(stderr, "%s: facts: PostgreSQL %d: %zu facts in %.1f s\n", progname,
                        vs->v[i], f->nrows - before, (now_ms() - t0) / 1000);
        }
        facts_merge(f);
        if (rc == 0)
            *out = f;
        else
            facts_free(f);
    }
    Err e2 = {0};
    ops->clean(&cfg, cfg.run_id, &e2);
    backend_cfg_free(&cfg);
    pginstall_free(&pgs);
    return rc;
}

int cmd_facts(int argc, char **argv)
{
    const char *spec = VERSIONS_DEFAULT, *output = NULL, *against = NULL;
    bool update = false, check = false;
    int first, rc;
    const Opt options[] = {
        {"versions", 'V', OPTK_VERSIONS, &spec, "LIST",
         .help = "majors to read: " VERSIONS_DEFAULT " (default: every\n"
                 "supported major), 12,14, 11- ..."},
        {"update", 0, OPTK_FLAG, &update, NULL,
         .help = "write them to " DEFAULT_FACTS " (rebuild then)", .excludes = "check"},
        {"check", 0, OPTK_FLAG, &check, NULL,
         .help = "compare them with the built-in copy; exit 1 naming\n"
                 "the first line that differs",
         .excludes = "output"},
        {"output", 'o', OPTK_STR, &output, "FILE", .help = "write them to FILE",
         .excludes = "update"},
        {"facts", 0, OPTK_STR, &against, "FILE",
         .help = "--check: compare with FILE, not the built-in copy"},
        OPTS_END,
    };
    const OptCmd cmd = {"facts", facts_head, facts_tail, 24, NULL, 0, options};
    if (!opts_parse(&cmd, argc, argv, &first, &rc)) return rc;

    if (against && !check) return opts_fail(&cmd, "--facts goes with --check");
    Err err = {0};
    VersionSet vs;
    if (versions_parse(spec, &vs, &err) != 0) return cmd_fail_err(&err, EXIT_USAGE);
    for (int i = 0; i < vs.n; i++)
        if (version_minor(vs.v[i]) >= 0)
            return opts_fail(&cmd, "facts are per major: -V \"%s\" names a minor release", spec);
    Buf range;
    buf_init(&range);
    versions_ranges(vs.v, (size_t)vs.n, &range);

    Facts *builtin = NULL;
    if (check && facts_load(against, &builtin, &err) != 0) {
        buf_free(&range);
        return cmd_fail_err(&err, EXIT_USAGE);
    }
    Facts *f = NULL;
    if ((rc = facts_read(&vs, &f)) != 0) {
        facts_free(builtin);
        buf_free(&range);
        return rc;
    }
    if (check) {
        Facts *mine = facts_restrict(builtin, vs.v, vs.n);
        rc = compare(mine, f, range.data);
        facts_free(mine);
    } else {
        Buf out;
        buf_init(&out);
        facts_write(f, &out);
        const char *path = update ? DEFAULT_FACTS : output;
        if (!path) {
            fwrite(out.data, 1, out.len, stdout);
        } else if (file_write_out(path, out.data, out.len, &err) != 0) {
            rc = cmd_fail_err(&err, EXIT_ENV);
        } else {
            fprintf(stderr, "%s: facts: %zu rows of PostgreSQL %s written to %s\n", progname,
                    f->nrows, range.data, path);
        }
        buf_free(&out);
    }
    facts_free(builtin);
    facts_free(f);
    buf_free(&range);
    return rc;
}
