/*
 * t.h: the unit tests' tiny harness. Every check prints "ok - ..." or
 * "not ok - ..." and t_done() prints the totals and returns the exit code.
 * Tests are tables of cases wherever they can be.
 */
#ifndef LM_T_H
#define LM_T_H

#include <stdio.h>
#include <string.h>

static int t_pass, t_fail;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (cond) {                                                                                \
            t_pass++;                                                                              \
        } else {                                                                                   \
            t_fail++;                                                                              \
            printf("not ok - %s:%d: %s: ", __FILE__, __LINE__, #cond);                             \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
        }                                                                                          \
    } while (0)

#define CHECK_STR(got, want, ...)                                                                  \
    do {                                                                                           \
        const char *g_ = (got), *w_ = (want);                                                      \
        if ((g_ == NULL && w_ == NULL) || (g_ && w_ && strcmp(g_, w_) == 0)) {                     \
            t_pass++;                                                                              \
        } else {                                                                                   \
            t_fail++;                                                                              \
            printf("not ok - %s:%d: got \"%s\", want \"%s\": ", __FILE__, __LINE__,                \
                   g_ ? g_ : "(null)", w_ ? w_ : "(null)");                                        \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
        }                                                                                          \
    } while (0)

static inline int t_done(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, t_pass, t_fail);
    return t_fail ? 1 : 0;
}

#endif
