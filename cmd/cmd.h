/*
 * cmd: the subcommands. Each lives in its own file (cmd/<name>.c) and is
 * listed once, with its summary, in the table in main.c. A command parses its
 * own options, prints its own --help, and turns module errors into messages
 * on stderr and exit codes:
 *   0 ok, 1 the checks failed, 2 usage or input error, 3 environment error.
 */
#ifndef LM_CMD_H
#define LM_CMD_H

#include "common/util.h"
#include "store/store.h"
#include "model/release.h"
#include "corpus/corpus.h"
#include "predict/locktable.h"
#include "report/runview.h"

extern const char *progname; /* "lockmatrix" */

int cmd_run(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_runs(int argc, char **argv);
int cmd_pg(int argc, char **argv);
int cmd_bisect(int argc, char **argv);
int cmd_clean(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_locktable(int argc, char **argv);
int cmd_facts(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_docker_import(int argc, char **argv); /* hidden: make docker-images */

/* Prints "lockmatrix: <msg>" to stderr; returns code (for `return cmd_fail(...)`). */
int cmd_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cmd_vfail(int code, const char *fmt, va_list ap);
/* Prints err's message and returns its code (or fallback when it has none). */
int cmd_fail_err(const Err *err, int fallback);
/* The store at db opened to read a run that is in it; NULL with *rc the exit
 * code (and the message printed) when there is no store there or it cannot
 * be opened. */
Store *cmd_open_existing(const char *db, int *rc);
/* A command line as the store keeps it (runs.args): a JSON array of its
 * words, argv[0] (the command) first. */
void cmd_args_json(Buf *b, int argc, char *const *argv);
/* The layout line of each path of c that has one, "lockmatrix: db/migrations:
 * golang-migrate: 362 up, 362 down; left out: PREAMBLE.sql", to stderr; quiet
 * prints only those that left files out or have a note. */
void cmd_print_layouts(const Corpus *c, bool quiet);
/* The backends' names, as -b takes them: embedded first (the default). */
#define CMD_NBACKENDS 2
extern const char *const cmd_backends[CMD_NBACKENDS];
/* True when arg is -h or --help. */
bool cmd_is_help(const char *arg);

#endif
