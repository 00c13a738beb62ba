/*
 * cmd/opts: the option parser of every command (see cmd/opts.h): getopt_long
 * driven by the command's table, every message about an option here.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/opts.h"
#include "model/versions.h"
#include "model/vocab.h"

#define OPTS_MAX 64      /* options of one command */
#define OPT_VAL_BASE 256 /* getopt's value of a long-only option: base + its index */

static size_t opts_count(const OptCmd *c)
{
    size_t n = 0;
    while (c->opts[n].name)
        n++;
    return n;
}

static const char *choice_at(const OptChoices *ch, size_t i)
{
    return *(const char *const *)((const char *)ch->first + i * ch->stride);
}

static void choices_list(const OptChoices *ch, Buf *b)
{
    for (size_t i = 0; i < ch->n; i++)
        buf_printf(b, "%s%s", i ? ", " : "", choice_at(ch, i));
}

int opts_fail(const OptCmd *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cmd_vfail(EXIT_USAGE, fmt, ap);
    va_end(ap);
    fprintf(stderr, "hint: '%s %s --help' tells the options\n", progname, c->name);
    return EXIT_USAGE;
}

/* "-V RANGE" or "--db FILE": how a message names option o. */
static void opt_name(const Opt *o, Buf *b)
{
    if (o->letter)
        buf_printf(b, "-%c", o->letter);
    else
        buf_printf(b, "--%s", o->name);
    if (o->meta) buf_printf(b, " %s", o->meta);
}

/* A whole number; false when s is not one. */
static bool whole(const char *s, long long *v)
{
    char *end;
    errno = 0;
    *v = strtoll(s, &end, 10);
    return *s && !*end && errno == 0;
}

/* Stores value v of option o; false after the message. */
static bool opt_store(const OptCmd *c, const Opt *o, const char *v)
{
    long long n;
    switch (o->kind) {
    case OPTK_HELP:
        return true;
    case OPTK_FLAG:
        *(bool *)o->to = true;
        return true;
    case OPTK_STR:
        *(const char **)o->to = v;
        return true;
    case OPTK_LIST: {
        OptList *l = o->to;
        *ARRAY_PUSH(l->v, l->n, l->cap) = (char *)v;
        return true;
    }
    case OPTK_INT:
        if (!whole(v, &n) || n < o->min || n > o->max) break;
        *(long *)o->to = (long)n;
        return true;
    case OPTK_RUN_LAST:
        if (strcmp(v, "last") == 0) {
            *(long long *)o->to = OPT_LAST;
            return true;
        }
        /* fall through */
    case OPTK_RUN_ID:
        if (!whole(v, &n) || n <= 0) break;
        *(long long *)o->to = n;
        return true;
    case OPTK_RISK: {
        int r = risk_parse(v);
        if (r < 0) {
            opts_fail(c, "unknown risk level \"%s\" (%s)", v, risk_names());
            return false;
        }
        *(int *)o->to = r;
        return true;
    }
    case OPTK_VERSIONS: {
        VersionSet vs;
        Err err = {0};
        if (versions_parse(v, &vs, &err) != 0) {
            opts_fail(c, "%s", err.msg);
            return false;
        }
        *(const char **)o->to = v;
        return true;
    }
    case OPTK_CHOICE:
        for (size_t i = 0; i < o->choices.n; i++)
            if (strcmp(v, choice_at(&o->choices, i)) == 0) {
                *(const char **)o->to = v;
                return true;
            }
        Buf names;
        buf_init(&names);
        choices_list(&o->choices, &names);
        if (o->noun)
            opts_fail(c, "unknown %s \"%s\" (%s)", o->noun, v, names.data);
        else
            opts_fail(c, "unknown --%s \"%s\" (%s)", o->name, v, names.data);
        buf_free(&names);
        return false;
    case OPTK_CUSTOM: {
        Err err = {0};
        if (o->parse(v, o->to, &err) != 0) {
            opts_fail(c, "%s", err.msg);
            return false;
        }
        return true;
    }
    }
    opts_fail(c, "invalid --%s \"%s\": %s", o->name, v,
              o->want                    ? o->want
              : o->kind == OPTK_RUN_LAST ? "last or a run id"
                                         : "a run id");
    return false;
}

/* The first option given that excludes another given, as a message; false then. */
static bool opts_check(const OptCmd *c, const bool *given, int argc, int first)
{
    for (size_t i = 0; c->opts[i].name; i++) {
        const Opt *o = &c->opts[i];
        if (o->required && !given[i]) {
            Buf b;
            buf_init(&b);
            opt_name(o, &b);
            opts_fail(c, "no %s given", b.data);
            buf_free(&b);
            return false;
        }
        if (!o->excludes || !given[i]) continue;
        for (size_t k = 0; c->opts[k].name; k++)
            if (given[k] && strcmp(c->opts[k].name, o->excludes) == 0) {
                opts_fail(c, "--%s and --%s exclude each other", o->name, o->excludes);
                return false;
            }
    }
    if (argc - first < c->min_args) {
        opts_fail(c, "no %s given", c->args);
        return false;
    }
    return true;
}

bool opts_parse(const OptCmd *c, int argc, char **argv, int *first, int *rc)
{
    size_t n = opts_count(c);
    struct option longs[OPTS_MAX + 1];
    char shorts[2 * OPTS_MAX + 3] = ":";
    bool given[OPTS_MAX] = {false};
    size_t ns = 1;
    for (size_t i = 0; i < n && i < OPTS_MAX; i++) {
        const Opt *o = &c->opts[i];
        bool arg = o->kind != OPTK_HELP && o->kind != OPTK_FLAG;
        longs[i] = (struct option){o->name, arg ? required_argument : no_argument, NULL,
                                   o->letter ? o->letter : OPT_VAL_BASE + (int)i};
        if (o->letter) {
            shorts[ns++] = o->letter;
            if (arg) shorts[ns++] = ':';
        }
    }
    longs[n < OPTS_MAX ? n : OPTS_MAX] = (struct option){0};
    shorts[ns] = '\0';
    *rc = EXIT_USAGE;
    optind = 0; /* 0: getopt starts afresh (a command may parse twice) */
    opterr = 0;
    int v;
    while ((v = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        int key = v == ':' || v == '?' ? optopt : v;
        const Opt *o = NULL;
        for (size_t i = 0; i < n && !o; i++)
            if (key && (c->opts[i].letter ? c->opts[i].letter : OPT_VAL_BASE + (int)i) == key) {
                o = &c->opts[i];
                given[i] = true;
            }
        if (v == '?' || !o) {
            const char *bad = argv[optind - 1];
            if (key && bad[0] == '-' && bad[1] != '-') {
                char s[3] = {'-', (char)key, '\0'};
                opts_fail(c, "unknown option \"%s\"", s);
            } else {
                opts_fail(c, "unknown option \"%s\"", bad);
            }
            return false;
        }
        if (v == ':') {
            opts_fail(c, "option \"--%s\" needs a value (%s)", o->name, o->meta ? o->meta : "");
            return false;
        }
        if (o->kind == OPTK_HELP) {
            opts_help(c, stdout);
            *rc = 0;
            return false;
        }
        if (!opt_store(c, o, optarg)) return false;
    }
    *first = optind;
    if (!c->args && optind < argc) {
        opts_fail(c, "unexpected argument \"%s\"", argv[optind]);
        return false;
    }
    if (!opts_check(c, given, argc, optind)) return false;
    *rc = 0;
    return true;
}

/* names ("a, b, c") appended to b, a line broken before a name that would
 * pass HELP_WIDTH columns, the next indented to col. */
#define HELP_WIDTH 86
static void names_wrapped(Buf *b, const char *names, int col)
{
    const char *line = strrchr(b->data ? b->data : "", '\n');
    size_t at = line ? b->len - (size_t)(line + 1 - b->data) : b->len;
    for (const char *p = names; *p;) {
        const char *end = strstr(p, ", ");
        size_t n = end ? (size_t)(end - p) + 1 : strlen(p); /* the name and its comma */
        if (p != names && at + 1 + n > HELP_WIDTH) {
            buf_printf(b, "\n%*s", col, "");
            at = (size_t)col;
        } else if (p != names) {
            buf_putc(b, ' ');
            at++;
        }
        buf_printf(b, "%.*s", (int)n, p);
        at += n;
        p += end ? n + 1 : n;
    }
}

/* One option's help: "  -d, --db FILE" padded to the column (two spaces
 * when it reaches it), the text, each continuation line indented to it. */
static void opt_help(const OptCmd *c, const Opt *o, FILE *f)
{
    Buf b;
    buf_init(&b);
    if (o->letter)
        buf_printf(&b, "  -%c, --%s", o->letter, o->name);
    else
        buf_printf(&b, "      --%s", o->name);
    if (o->meta) buf_printf(&b, " %s", o->meta);
    int pad = (int)b.len < c->col ? c->col - (int)b.len : 2;
    buf_printf(&b, "%*s", pad, "");
    for (const char *p = o->help; *p; p++) {
        if (p[0] == '{' && p[1] == '}') {
            Buf names;
            buf_init(&names);
            if (o->list)
                buf_puts(&names, o->list);
            else
                choices_list(&o->choices, &names);
            names_wrapped(&b, names.data ? names.data : "", c->col);
            buf_free(&names);
            p++;
        } else if (*p == '\n') {
            buf_printf(&b, "\n%*s", c->col, "");
        } else {
            buf_putc(&b, *p);
        }
    }
    fprintf(f, "%s\n", b.data);
    buf_free(&b);
}

void opts_help(const OptCmd *c, FILE *f)
{
    fputs(c->head, f);
    for (size_t i = 0; c->opts[i].name; i++)
        if (c->opts[i].help) opt_help(c, &c->opts[i], f);
    if (c->tail) fputs(c->tail, f);
}
