/*
 * tsv: the data files built into lockmatrix (the lock table, PostgreSQL's
 * per-version facts), read a line at a time: fields split on tabs in place,
 * CR LF taken as LF, blank lines skipped, '#' lines handed back as comments
 * or skipped; and the macro that assembles such a file into the binary.
 */
#ifndef LM_TSV_H
#define LM_TSV_H

#include <stdbool.h>
#include <stddef.h>

/* Assembles the file at path (relative to the build's directory) into
 * .rodata as the NUL-terminated array sym##_start, sym##_end its end (the
 * NUL not counted). The Makefile makes the object depend on the file. */
#define TSV_EMBED(sym, path)                                                                       \
    __asm__(".section .rodata\n"                                                                   \
            ".balign 16\n" #sym "_start:\n"                                                        \
            ".incbin \"" path "\"\n" #sym "_end:\n"                                                \
            ".byte 0\n"                                                                            \
            ".previous\n");                                                                        \
    extern const char sym##_start[] __asm__(#sym "_start");                                        \
    extern const char sym##_end[] __asm__(#sym "_end")

typedef struct TsvReader {
    char *p, *end; /* what is left of the text (the caller's, written into) */
    int line;      /* of the line tsv_next returned last, from 1 */
    bool comments; /* return '#' lines (as one field, the whole line) */
} TsvReader;

/* Reads text[0..len) (a NUL-terminated copy the caller owns; tsv_next writes
 * NULs into it). */
void tsv_init(TsvReader *r, char *text, size_t len, bool comments);

/* The next line that is not blank: its fields (pointers into the text) in
 * f[0..max), their number returned (it may be above max: the fields past max
 * are not stored); a comment line (with r->comments) is one field starting
 * with '#'. 0 at the end. */
int tsv_next(TsvReader *r, char **f, int max);

#endif
