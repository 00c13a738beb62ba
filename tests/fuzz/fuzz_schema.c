/*
 * libFuzzer target: the schema model (predict/schema.c). The input is a
 * chain: applied whole (schema_apply takes several statements), then line by
 * line into a second model, then loaded as a dump file (meta-commands, COPY
 * data, statements the parser rejects). Invariants: nothing crashes or leaks,
 * every relation a lookup finds answers its questions (partitions,
 * foreign-key partners, dependent views) without a dangling pointer, and the
 * reverse lists (refby, viewers) agree with the forward ones.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "predict/schema.h"

static void ask(const Schema *s)
{
    static const char *const names[] = {"t", "a", "b", "p", "users", "t_pkey", "t_a_seq"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const SchemaRel *r = schema_rel(s, NULL, names[i]);
        if (!r) continue;
        const SchemaRel **v;
        size_t n = schema_partitions(r, &v);
        for (size_t k = 0; k < n; k++)
            if (!v[k]->name) abort();
        free(v);
        n = schema_referenced(r, &v);
        free(v);
        n += schema_referencing(s, r, &v);
        free(v);
        n += schema_dependent_views(s, r, &v);
        free(v);
        for (size_t k = 0; k < r->nindexes; k++)
            if (r->indexes[k]->table != r) abort();
        for (size_t k = 0; k < r->ncons; k++) { /* a foreign key is in its table's refby */
            const SchemaRel *ref = r->cons[k].ref;
            size_t seen = 0;
            for (size_t j = 0; ref && j < ref->nrefby; j++)
                seen += ref->refby[j] == r;
            if (r->cons[k].kind == SCHEMA_CON_FOREIGN && ref && seen == 0) abort();
        }
        for (size_t k = 0; k < r->nviewers; k++) { /* and a view names what it depends on */
            size_t seen = 0;
            for (size_t j = 0; j < r->viewers[k]->ndeps; j++)
                seen += r->viewers[k]->deps[j] == r;
            if (seen != 1) abort();
        }
        for (size_t k = 0; k < r->ncols; k++)
            schema_column(r, r->cols[k].name);
        (void)n;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *sql = malloc(size + 1);
    memcpy(sql, data, size);
    sql[size] = '\0';
    Schema *a = schema_new();
    schema_apply(a, sql);
    ask(a);
    schema_free(a);

    Schema *b = schema_new();
    char *line = sql;
    while (line) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        schema_apply(b, line);
        line = nl ? nl + 1 : NULL;
    }
    ask(b);
    schema_free(b);

    int fd = memfd_create("dump.sql", 0);
    if (fd >= 0 && write(fd, data, size) == (ssize_t)size) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        Schema *c = schema_new();
        Err err = {0};
        if (schema_load_dump(c, path, &err) != 0) abort();
        for (size_t i = 0; i < schema_nwarnings(c); i++)
            if (!schema_warning(c, i)) abort();
        ask(c);
        schema_free(c);
    }
    if (fd >= 0) close(fd);
    free(sql);
    return 0;
}
