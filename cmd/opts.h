/*
 * cmd/opts: the one option parser of the commands. A command describes its
 * options in a table (name, short letter, the kind of value, where it goes,
 * its help line); opts_parse reads argv by it and owns every message about
 * them, worded the same in every command:
 *
 *   unknown option "--bogus"                     (then a hint: CMD --help)
 *   option "--db" needs a value (FILE)
 *   invalid --jobs "0": a number from 1 to 256   (the option's .want)
 *   unknown format "xml" (text, json)            (a choice: the names taken)
 *   unknown risk level "x" (safe, low, ...)
 *   --check and --update exclude each other
 *   no -V RANGE given                            (a required option)
 *   no PATH given / unexpected argument "x"      (the positional words)
 *
 * opts_help prints a command's --help: its head, a line per option from the
 * table (short and long name, metavar, the help text, its continuation lines
 * indented to the command's column), its tail.
 */
#ifndef LM_CMD_OPTS_H
#define LM_CMD_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/util.h"

typedef enum OptKind {
    OPTK_HELP,     /* -h, --help: print the help, exit 0 */
    OPTK_FLAG,     /* no value: *(bool *)to = true */
    OPTK_STR,      /* a string (a name, a file, a template): *(const char **)to, argv's */
    OPTK_LIST,     /* repeatable string: appended to *(OptList *)to */
    OPTK_INT,      /* a whole number in [min, max]: *(long *)to */
    OPTK_RUN_ID,   /* a run id (> 0): *(long long *)to */
    OPTK_RUN_LAST, /* "last" (OPT_LAST) or a run id: *(long long *)to */
    OPTK_RISK,     /* a risk level name (model/vocab.h): *(int *)to, a Risk */
    OPTK_VERSIONS, /* a version list versions_parse reads: *(const char **)to */
    OPTK_CHOICE,   /* one of .choices: *(const char **)to */
    OPTK_CUSTOM,   /* .parse(value, to, err) says; its err names the fault */
} OptKind;

#define OPT_LAST (-1LL) /* OPTK_RUN_LAST: "last" */

/* A repeatable option's values, in the order given; the strings are argv's,
 * the array is the caller's to free (free(list.v)). */
typedef struct OptList {
    char **v;
    size_t n, cap;
} OptList;

/* The names a choice takes: n names, each a const char * stride bytes after
 * the one before (a column of the command's own table, or an array of names). */
typedef struct OptChoices {
    const void *first;
    size_t stride, n;
} OptChoices;

#define OPT_NAMES(arr) ((OptChoices){(arr), sizeof((arr)[0]), ARRAY_LEN(arr)})
#define OPT_COLUMN(arr, field) ((OptChoices){&(arr)[0].field, sizeof((arr)[0]), ARRAY_LEN(arr)})

typedef struct Opt {
    const char *name; /* long name, "db"; NULL ends the table */
    char letter;      /* short letter, 'd'; 0: none */
    OptKind kind;
    void *to;           /* where the value goes (see OptKind) */
    const char *meta;   /* the value's name in help and messages, "FILE" */
    const char *help;   /* help text; '\n' starts a continuation line; "{}" the choices;
                           NULL: not shown */
    long min, max;      /* OPTK_INT: the bounds */
    const char *want;   /* OPTK_INT, OPTK_RUN_*: what the value must be, for the message */
    OptChoices choices; /* OPTK_CHOICE */
    const char *list;   /* what "{}" shows for another kind: names ", "-separated, from
                           their table (layout_names(), risk_names()) */
    const char *noun;   /* OPTK_CHOICE: "format" in 'unknown format "x"'; NULL: "--NAME" */
    int (*parse)(const char *value, void *to, Err *err); /* OPTK_CUSTOM */
    const char *excludes; /* the long name of an option this one cannot go with */
    bool required;        /* "no -V RANGE given" when absent */
} Opt;

/* The end of every table: -h, --help, then the entry that ends it. */
#define OPTS_END                                                                                   \
    {"help", 'h', OPTK_HELP, NULL, NULL, .help = "this help"},                                     \
    {                                                                                              \
        0                                                                                          \
    }

typedef struct OptCmd {
    const char *name; /* "run", for the hint */
    const char *head; /* the help above the option lines */
    const char *tail; /* the help below them; NULL: none */
    int col;          /* the column option help texts start at */
    const char *args; /* the positional words, "PATH"; NULL: none taken */
    int min_args;     /* at least this many (said "no PATH given") */
    const Opt *opts;  /* ended by an entry with name NULL */
} OptCmd;

/* Reads argv (argv[0] the command) by c.opts, values into each option's to.
 * True: go on, the positional words are argv[*first..argc). False: return
 * *rc: 0 after the help, EXIT_USAGE after the message on stderr. */
bool opts_parse(const OptCmd *c, int argc, char **argv, int *first, int *rc);
/* The help of c into f. */
void opts_help(const OptCmd *c, FILE *f);
/* A usage error of c: "lockmatrix: <msg>" and the hint to its --help, on
 * stderr; returns EXIT_USAGE. */
int opts_fail(const OptCmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
