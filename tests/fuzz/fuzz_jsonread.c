/*
 * libFuzzer target: the JSON reader (common/jsonread.c) that reads the Docker
 * Engine's answers. Invariants: no crash, an error always has a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    Err err = {0};
    JsonNode *n = jsonread_parse(s, size, &err);
    if (n) {
        (void)jsonread_path(n, "State", "Running", NULL);
        (void)jsonread_at(n, 0);
        (void)jsonread_str(jsonread_get(n, "Id"));
        jsonread_free(n);
    } else if (!err.msg[0]) {
        abort();
    }
    free(s);
    return 0;
}
