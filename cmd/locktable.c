/*
 * cmd/locktable: print, export, check or regenerate the lock table from the
 * newest run's observations; or show it as a page (html) or for
 * documentation (markdown), each class linked to its evidence.
 */
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/opts.h"
#include "predict/classify.h"
#include "predict/locktable.h"
#include "model/versions.h"
#include "report/gate.h"
#include "report/ltpage.h"
#include "report/runview.h"
#include "store/store.h"

#define DEFAULT_TABLE "predict/locktable.tsv"
#define DEFAULT_CASES "fixtures/cases"
#define EVIDENCE_LINES 3 /* evidence lines under a changed row without --verbose */

static const char locktable_head[] =
    "usage: lockmatrix locktable [options]\n"
    "\n"
    "Print the lock table, or compare it with (--check) or rebuild it from\n"
    "(--update) the observations of a stored run.\n"

    "\n"
    "Only what a statement itself requested counts: its own locks when it ran\n"
    "alone or first in its transaction, else those the replay measured. A\n"
    "statement whose transaction held locks before it and that the replay could\n"
    "not measure is left out (its locks are a lower bound), and so are failed,\n"
    "skipped and unclassified ones and those classified from their keywords only\n"
    "(syntax newer than the parser); both commands print how many and why.\n"
    "\n"
    "--format html writes it as one self-contained page (no external asset,\n"
    "the report's Content-Security-Policy): a row per class, a column per\n"
    "version (" VERSIONS_DEFAULT "), each cell the mode, what it blocks, rewrite and scan,\n"
    "other relations, the cells that differ from the version before framed;\n"
    "risk and note per row; a search box and filters (blocks writes on one\n"
    "version but not another, risk, rewrite). --format markdown gives the same\n"
    "table for documentation. Each class links to its evidence: the fixture\n"
    "cases whose statement under study has the class, or with -d the\n"
    "observations of a traced run (file:line, versions, server versions).\n"
    "\n"
    "options:\n";

static const char locktable_tail[] =
    "\n"
    "Exit codes: 0 ok, 1 the table disagrees (--check), 2 usage or input error,\n"
    "3 environment error.\n";

static const char *const locktable_formats[] = {"tsv", "json", "html", "markdown"};

/* Every result of run run_id that has a trace or should have had one, as an
 * observation: those that ran ok and have one class are observed, the others
 * carry why they are left out (LtCellObs.left_out). The strings point into
 * *rv (free with runview_free after *obs). */
static int load_observations(Store *store, long long run_id, RunView **rv, LtCellObs **obs,
                             size_t *nobs, Err *err)
{
    *obs = NULL;
    *nobs = 0;
    if (runview_load(store, run_id, rv, err) != 0) return -1;
    size_t cap = 0, nran = 0;
    for (size_t i = 0; i < (*rv)->nstmts; i++) {
        const RvStatement *st = &(*rv)->stmts[i];
        LtUse why = LT_USE_USED;
        if (!st->cls || strcmp(st->cls, "unparsed") == 0 || strcmp(st->cls, "empty") == 0) {
            why = LT_USE_UNCLASSIFIED;
        } else {
            StmtInfo info;
            classify_statement(st->sql, &info);
            if (info.parsed == STMT_PARSED_KEYWORDS)
                why = LT_USE_KEYWORDS;
            else if (info.nsubclasses > 1)
                why = LT_USE_SEVERAL;
            classify_free(&info);
        }
        for (size_t v = 0; v < (*rv)->nversions; v++) {
            const RvResult *r = &st->results[v];
            bool ok = r->traced && strcmp(r->status, "ok") == 0;
            LtCellObs *o = ARRAY_PUSH(*obs, *nobs, cap);
            memset(o, 0, sizeof(*o));
            o->cls = why == LT_USE_UNCLASSIFIED ? NULL : st->cls;
            o->major = r->major;
            o->path = st->migration;
            o->line = st->line;
            o->left_out = ok ? why : LT_USE_FAILED;
            if (ok) {
                gate_observe(r, &o->obs);
                nran++;
            }
        }
    }
    if (nran == 0) {
        free(*obs);
        *obs = NULL;
        *nobs = 0;
        runview_free(*rv);
        *rv = NULL;
        return err_set(err, EXIT_USAGE, "run %lld has no statement that ran", run_id);
    }
    return 0;
}

/* Which observations a regeneration used and which it left out: a count per
 * reason, and with verbose every one of them, to stdout. */
static size_t print_uses(const LtCellObs *obs, size_t nobs, bool verbose)
{
    size_t count[LT_NUSES] = {0}, left = 0;
    for (size_t i = 0; i < nobs; i++)
        count[locktable_cell_use(&obs[i])]++;
    for (int u = 1; u < LT_NUSES; u++)
        left += count[u];
    printf("used %zu observations (statement x version)", count[LT_USE_USED]);
    if (left) printf("; left out %zu:", left);
    printf("\n");
    for (int u = 1; u < LT_NUSES; u++)
        if (count[u]) printf("  %zu %s\n", count[u], locktable_use_reason((LtUse)u));
    if (!verbose) return count[LT_USE_USED];
    Buf b;
    buf_init(&b);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < nobs; i++) {
            const LtCellObs *o = &obs[i];
            LtUse u = locktable_cell_use(o);
            if ((u == LT_USE_USED) != (pass == 0)) continue;
            buf_reset(&b);
            if (u == LT_USE_USED || u == LT_USE_UNMEASURED || u == LT_USE_SKIPPED) {
                buf_puts(&b, "requested ");
                locktable_obs_describe(&o->obs, &b);
            }
            printf("%s %s:%d on %s [%s]: %s\n", u == LT_USE_USED ? "used" : "left out",
                   o->path ? o->path : "(statement)", o->line, VERSION_NAME(o->major),
                   o->cls ? o->cls : "no class",
                   u == LT_USE_USED ? b.data : locktable_use_reason(u));
            if (u != LT_USE_USED && b.len) printf("    %s\n", b.data);
        }
    }
    buf_free(&b);
    return count[LT_USE_USED];
}

static int write_out(const char *path, const Buf *b, Err *err)
{
    if (!path) {
        fwrite(b->data ? b->data : "", 1, b->len, stdout);
        return 0;
    }
    return file_write_out(path, b->data ? b->data : "", b->len, err);
}

/* The evidence of a traced run (the newest when run_id is 0): the statements
 * whose observations a regeneration would use, each with its major and that
 * major's server version; source names the run, servers lists them. */
static int run_evidence(const char *db_path, long long run_id, LtEvidence **ev, size_t *nev,
                        Buf *source, Buf *servers, Err *err)
{
    *ev = NULL;
    *nev = 0;
    Store *store = store_open(db_path, false, err);
    if (!store) return -1;
    if (run_id == 0 && (run_id = store_latest_run(store, err)) <= 0) {
        if (run_id == 0) err_set(err, EXIT_USAGE, "no run in \"%s\"", db_path);
        store_close(store);
        return -1;
    }
    RunView *rv = NULL;
    LtCellObs *obs = NULL;
    size_t nobs = 0, cap = 0;
    if (load_observations(store, run_id, &rv, &obs, &nobs, err) != 0) {
        store_close(store);
        return -1;
    }
    for (size_t i = 0; i < nobs; i++) {
        const LtCellObs *o = &obs[i];
        if (!o->cls || locktable_cell_use(o) != LT_USE_USED) continue;
        LtEvidence *e = ARRAY_PUSH(*ev, *nev, cap);
        memset(e, 0, sizeof(*e));
        e->cls = xstrdup(o->cls);
        e->path = xstrdup(o->path ? o->path : "(statement)");
        e->line = o->line;
        e->major = o->major;
        for (size_t k = 0; k < rv->nservers; k++)
            if (rv->servers[k].major == o->major) e->server = xstrdup(rv->servers[k].version);
    }
    buf_printf(source, "run %lld in %s", run_id, db_path);
    for (size_t k = 0; k < rv->nservers; k++)
        buf_printf(servers, "%s%s: %s", k ? ", " : "", VERSION_NAME(rv->servers[k].major),
                   rv->servers[k].version ? rv->servers[k].version : "?");
    free(obs);
    runview_free(rv);
    store_close(store);
    return 0;
}

/* Where an html page goes: a directory (one that exists, or a new path not
 * ending in .html) gets index.html; anything else is the file. */
static char *page_path(const char *out_path, Err *err)
{
    struct stat st;
    size_t len = strlen(out_path);
    bool html_name = (len > 5 && strcmp(out_path + len - 5, ".html") == 0) ||
                     (len > 4 && strcmp(out_path + len - 4, ".htm") == 0);
    bool dir = stat(out_path, &st) == 0 ? S_ISDIR(st.st_mode) : !html_name;
    if (!dir) return xstrdup(out_path);
    if (mkdir_p(out_path, 0755, err) != 0) return NULL;
    Buf b;
    buf_init(&b);
    buf_printf(&b, "%s%sindex.html", out_path, out_path[len - 1] == '/' ? "" : "/");
    return buf_steal(&b);
}

/* --format html | markdown: the table with its evidence, from the run in db
 * (NULL: the fixture cases in cases_dir, or its default when it exists). */
static int page_out(const LockTable *table, const char *format, const char *out_path,
                    const char *db, long long run_id, const char *cases_dir, const char *link_base)
{
    Err err = {0};
    VersionSet vs;
    if (versions_parse(VERSIONS_DEFAULT, &vs, &err) != 0) return cmd_fail_err(&err, EXIT_ENV);
    LtEvidence *ev = NULL;
    size_t nev = 0;
    Buf source, servers;
    buf_init(&source);
    buf_init(&servers);
    int rc = 0;
    if (db) {
        if (run_evidence(db, run_id, &ev, &nev, &source, &servers, &err) != 0)
            rc = cmd_fail_err(&err, EXIT_USAGE);
    } else {
        if (!cases_dir && access(DEFAULT_CASES, F_OK) == 0) cases_dir = DEFAULT_CASES;
        if (cases_dir && ltpage_case_evidence(cases_dir, &ev, &nev, &err) != 0)
            rc = cmd_fail_err(&err, EXIT_USAGE);
        if (cases_dir) buf_printf(&source, "the fixture cases in %s", cases_dir);
    }
    if (rc == 0) {
        LtPageOpts o = {
            .versions = vs.v,
            .nversions = (size_t)vs.n,
            .link_base = link_base,
            .ev = ev,
            .nev = nev,
            .source = source.len ? source.data : NULL,
            .servers = servers.len ? servers.data : NULL,
        };
        Buf out;
        buf_init(&out);
        char *path = NULL;
        if (strcmp(format, "html") == 0) {
            ltpage_html(table, &o, &out);
            if (out_path && !(path = page_path(out_path, &err))) rc = cmd_fail_err(&err, EXIT_ENV);
        } else {
            ltpage_markdown(table, &o, &out);
            if (out_path) path = xstrdup(out_path);
        }
        if (rc == 0 && write_out(path, &out, &err) != 0) rc = cmd_fail_err(&err, EXIT_ENV);
        free(path);
        buf_free(&out);
    }
    ltpage_evidence_free(ev, nev);
    buf_free(&source);
    buf_free(&servers);
    return rc;
}

/* What the command line asks of locktable. */
typedef struct LtArgs {
    bool check, update, verbose;
    bool page; /* --format html or markdown: the table shown */
    const char *format, *out_path, *db_path, *lt_path, *cases_dir, *link_base;
    long long run_id; /* 0: the newest */
} LtArgs;

/* The command line into a, by locktable's options in the order of its help
 * (the store's default applied: db_given says whether -d was); false: return *rc. */
static bool parse_args(int argc, char **argv, LtArgs *a, bool *db_given, int *rc)
{
    const Opt options[] = {
        {"check", 0, OPTK_FLAG, &a->check, NULL,
         .help = "exit 1, printing the difference, when the table and\n"
                 "the run's observations disagree",
         .excludes = "update"},
        {"update", 0, OPTK_FLAG, &a->update, NULL,
         .help = "rebuild the table from the run's observations (equal\n"
                 "neighbouring versions merged, risks and notes kept:\n"
                 "rows that differ there stay apart; locks on other\n"
                 "relations only raised),\n"
                 "write it and print the difference\n"
                 "(both: under each changed row the statements that\n"
                 "drive it, file:line, versions, what they requested)"},
        {"verbose", 'v', OPTK_FLAG, &a->verbose, NULL,
         .help = "list every observation used and left out, and all\n"
                 "the evidence of a changed row (default: 3 lines)"},
        {"format", 0, OPTK_CHOICE, &a->format, "FORMAT",
         .help = "tsv (default) | json | html | markdown", .choices = OPT_NAMES(locktable_formats),
         .noun = "format"},
        {"output", 'o', OPTK_STR, &a->out_path, "FILE",
         .help = "write here (default: stdout; with --update the table\n"
                 "file; html: a directory gets DIR/index.html)"},
        {"db", 'd', OPTK_STR, &a->db_path, "FILE",
         .help = "the store (default ./" STORE_DEFAULT_PATH "); html, markdown:\n"
                 "link each class to the observations of its run"},
        {"cases", 0, OPTK_STR, &a->cases_dir, "DIR",
         .help = "html, markdown without -d: the fixture cases to link\n"
                 "(default: " DEFAULT_CASES " when it exists)"},
        {"link-base", 0, OPTK_STR, &a->link_base, "URL",
         .help = "html, markdown: put before every evidence path in\n"
                 "links (default: none, the paths as they are)"},
        {"run", 0, OPTK_RUN_ID, &a->run_id, "ID",
         .help = "the run to compare with or link (default: the newest)"},
        {"locktable", 0, OPTK_STR, &a->lt_path, "FILE",
         .help = "the table file (default: " DEFAULT_TABLE " when it\n"
                 "exists, else the built-in copy)"},
        OPTS_END,
    };
    const OptCmd cmd = {"locktable", locktable_head, locktable_tail, 26, NULL, 0, options};
    int first;
    if (!opts_parse(&cmd, argc, argv, &first, rc)) return false;
    *db_given = a->db_path != NULL;
    if (!*db_given) a->db_path = STORE_DEFAULT_PATH;
    if (strcmp(a->format, "html") == 0 || strcmp(a->format, "markdown") == 0) {
        if (a->check || a->update) {
            *rc = opts_fail(&cmd, "--format %s shows the table: not with --check or --update",
                            a->format);
            return false;
        }
        a->page = true;
    }
    return true;
}

/* --check or --update against the observations of a run of the store. */
static int check_or_update(const LtArgs *a, const LockTable *table)
{
    Err err = {0};
    int rc = 0;
    long long run_id = a->run_id;
    const char *dest = a->out_path ? a->out_path : a->lt_path;
    if (a->update && !dest)
        return cmd_fail(EXIT_USAGE, "the built-in table cannot be rewritten: give -o FILE");
    Store *store = store_open(a->db_path, false, &err);
    if (!store) return cmd_fail_err(&err, EXIT_USAGE);
    if (run_id == 0 && (run_id = store_latest_run(store, &err)) <= 0) {
        rc = run_id < 0 ? cmd_fail_err(&err, EXIT_ENV)
                        : cmd_fail(EXIT_USAGE, "no run in \"%s\"", a->db_path);
        store_close(store);
        return rc;
    }
    RunView *rv = NULL;
    LtCellObs *obs = NULL;
    size_t nobs = 0;
    if (load_observations(store, run_id, &rv, &obs, &nobs, &err) != 0) {
        rc = cmd_fail_err(&err, EXIT_USAGE);
        store_close(store);
        return rc;
    }
    LockTable *fresh = locktable_regenerate(table, obs, nobs);
    Buf diff;
    buf_init(&diff);
    size_t ndiff =
        locktable_diff_evidence(table, fresh, obs, nobs, a->verbose ? 0 : EVIDENCE_LINES, &diff);
    const char *name = a->lt_path ? a->lt_path : "built-in";
    if (diff.len) fputs(diff.data, stdout);
    size_t nused = print_uses(obs, nobs, a->verbose);
    if (a->check) {
        if (ndiff) {
            rc = cmd_fail(EXIT_CHECKS,
                          "the lock table \"%s\" disagrees with run %lld in \"%s\" (%zu rows)\n"
                          "hint: lockmatrix locktable --update -d %s",
                          name, run_id, a->db_path, ndiff, a->db_path);
        } else {
            printf("the lock table \"%s\" (%zu classes, %zu rows) agrees with run %lld "
                   "(%zu observations used)\n",
                   name, locktable_nclasses(table), table->nrows, run_id, nused);
        }
    } else {
        Buf out;
        buf_init(&out);
        if (strcmp(a->format, "json") == 0)
            locktable_format_json(fresh, &out);
        else
            locktable_format_tsv(fresh, &out);
        if (write_out(dest, &out, &err) != 0) {
            rc = cmd_fail_err(&err, EXIT_ENV);
        } else {
            printf("%s: %zu classes, %zu rows from run %lld (%zu observations used); %zu rows "
                   "differ\n",
                   dest, locktable_nclasses(fresh), fresh->nrows, run_id, nused, ndiff);
        }
        buf_free(&out);
    }
    buf_free(&diff);
    locktable_free(fresh);
    free(obs);
    runview_free(rv);
    store_close(store);
    return rc;
}

int cmd_locktable(int argc, char **argv)
{
    LtArgs a = {.format = "tsv", .link_base = ""};
    bool db_given;
    int rc;
    if (!parse_args(argc, argv, &a, &db_given, &rc)) return rc;
    if (!a.lt_path && access(DEFAULT_TABLE, F_OK) == 0) a.lt_path = DEFAULT_TABLE;

    Err err = {0};
    LockTable *table;
    if (locktable_load(a.lt_path, &table, &err) != 0) return cmd_fail_err(&err, EXIT_USAGE);
    if (a.page) {
        rc = page_out(table, a.format, a.out_path, db_given ? a.db_path : NULL, a.run_id,
                      a.cases_dir, a.link_base);
    } else if (a.check || a.update) {
        rc = check_or_update(&a, table);
    } else {
        Buf out;
        buf_init(&out);
        if (strcmp(a.format, "json") == 0)
            locktable_format_json(table, &out);
        else
            locktable_format_tsv(table, &out);
        if (write_out(a.out_path, &out, &err) != 0) rc = cmd_fail_err(&err, EXIT_ENV);
        buf_free(&out);
    }
    locktable_free(table);
    return rc;
}
