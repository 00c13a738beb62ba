/*
 * libFuzzer target: corpus loading of a directory, its layout file
 * (.lockmatrix-layout) and the checks of a migration file (empty, NUL bytes,
 * UTF-8, splitting). The input is "<layout file>\n--\n<a.sql>" (without the
 * separator: all of it is the layout file, and a.sql is "SELECT 1;"); both
 * are written into a private directory and corpus_load reads it back.
 * Invariants: either an error with a message, or chains whose migrations
 * either have statements or an error naming the file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "corpus/corpus.h"

static char dir[64];

static void put(const char *name, const uint8_t *p, size_t n)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (n && fwrite(p, 1, n, f) != n)
        abort();
    fclose(f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snprintf(dir, sizeof(dir), "/tmp/lmfuzz.XXXXXX");
    if (!mkdtemp(dir))
        abort();
    put("b.sql", (const uint8_t *)"CREATE TABLE b (id int);\n", 25);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *sep = NULL;
    for (size_t i = 0; i + 4 <= size; i++)
        if (memcmp(data + i, "\n--\n", 4) == 0) {
            sep = data + i;
            break;
        }
    if (sep) {
        put(CORPUS_LAYOUT_FILE, data, (size_t)(sep - data));
        put("a.sql", sep + 4, size - (size_t)(sep - data) - 4);
    } else {
        put(CORPUS_LAYOUT_FILE, data, size);
        put("a.sql", (const uint8_t *)"SELECT 1;\n", 10);
    }
    Corpus c;
    Err err = {0};
    char *paths[] = {dir};
    if (corpus_load(&c, paths, 1, NULL, &err) == 0) {
        size_t nmigs = 0;
        for (size_t i = 0; i < c.nchains; i++)
            for (size_t m = 0; m < c.chains[i].nmigs; m++) {
                const Migration *mg = &c.chains[i].migs[m];
                nmigs++;
                if (mg->error ? !strstr(mg->error, mg->path) : mg->nstmts == 0)
                    abort();
            }
        if (nmigs != 2 || (c.nchains != 1 && c.nchains != 2))
            abort();
        corpus_free(&c);
    } else if (!err.msg[0] || !strstr(err.msg, dir)) {
        abort();
    }
    return 0;
}
