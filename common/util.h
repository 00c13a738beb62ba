/*
 * util: memory, growable strings, error messages and clocks shared by every
 * module.
 *
 * Allocation: xmalloc/xcalloc/xrealloc/xstrdup never return NULL (running
 * out of memory ends the process with a message, like git's xmalloc); what
 * they return is freed with free().
 */
#ifndef LM_UTIL_H
#define LM_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s); /* NULL stays NULL */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow *arr (element size elem) so that it can hold at least need elements. */
void grow_array(void **arr, size_t elem, size_t *cap, size_t need);
#define ARRAY_PUSH(arr, n, cap)                                                                    \
    (grow_array((void **)&(arr), sizeof(*(arr)), &(cap), (n) + 1), &(arr)[(n)++])

/* ---- Hash128: FNV-1a over 128 bits, a running hash of bytes ----------- */
typedef unsigned __int128 Hash128;

Hash128 hash128_init(void);
void hash128_add(Hash128 *h, const void *p, size_t n);
/* A tagged field: the tag, then s and its NUL (NULL: a second NUL), so that
 * no two different sequences of fields hash the same bytes. */
void hash128_field(Hash128 *h, char tag, const char *s);
/* 32 lower-case hex digits into out[33]. */
void hash128_hex(Hash128 h, char out[33]);

/* ---- Buf: a growable NUL-terminated byte string ---------------------- */
typedef struct Buf {
    char *data; /* NUL-terminated; owned, freed by buf_free */
    size_t len; /* bytes before the NUL */
    size_t cap; /* bytes allocated */
} Buf;

void buf_init(Buf *b);
void buf_free(Buf *b);
void buf_reset(Buf *b);
void buf_append(Buf *b, const void *p, size_t n);
void buf_puts(Buf *b, const char *s);
void buf_putc(Buf *b, char c);
void buf_printf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(Buf *b, const char *fmt, va_list ap);
/* Hands the string to the caller (free with free()); b is empty again. */
char *buf_steal(Buf *b);

/* ---- processes ------------------------------------------------------------
 * A process's identity is its pid and its start time: a pid can be reused,
 * the pair cannot. Both read /proc/<pid>/stat (the command name in it may
 * hold spaces and parentheses). */
char proc_state(pid_t pid);                   /* 'R', 'S', 'Z', ...; 0 when gone */
unsigned long long proc_starttime(pid_t pid); /* field 22, clock ticks since boot; 0 when gone */

/* ---- Err: what a module tells its caller when it fails ---------------- */

/* The kinds of failure, each the exit code the command ends with (0 is
 * success, 130 and 143 an interrupt or a TERM). */
#define EXIT_CHECKS 1 /* the checks failed: a CI gate, a mismatch asked to fail */
#define EXIT_USAGE 2  /* usage or input: a bad option, file or statement */
#define EXIT_ENV 3    /* environment: a server, the store, a file system, a child */

typedef struct Err {
    char msg[1024]; /* lowercase, no trailing period; empty when no error */
    int code;       /* EXIT_USAGE or EXIT_ENV: the exit code the command layer uses */
} Err;

/* Sets the message (and keeps code unless non-zero); returns -1 so that a
 * module can write `return err_set(err, EXIT_ENV, "...")`. err may be NULL. */
int err_set(Err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void err_clear(Err *err);

/* ---- time ------------------------------------------------------------- */
double now_ms(void);     /* monotonic clock, milliseconds */
char *now_iso8601(void); /* UTC wall clock, "2026-11-24T05:13:24Z"; free() */

/* ---- files ------------------------------------------------------------ */
/* Reads a whole file; *out NUL-terminated, free(). -1 with err on failure. */
int file_read_all(const char *path, char **out, size_t *len, Err *err);
/* The same from an open descriptor, from its start with pread (processes that
 * share the descriptor do not move each other's offset); path names it in
 * messages; the descriptor stays open. */
int fd_read_all(int fd, const char *path, char **out, size_t *len, Err *err);
/* Writes data to the file a user named with -o. A regular file (or one a
 * symlink points to; the symlink stays) is replaced atomically: a temporary
 * file in its directory, then rename, keeping the old file's mode. Anything
 * else is written into, never replaced: a character device (/dev/null), a
 * FIFO (its reader gets the data), a socket, and every path under /dev or
 * /proc (/dev/stdout: appended to when it is a regular file, so a shell's
 * `>>` keeps what it had). -1 with err (code 3) on failure. */
int file_write_out(const char *path, const void *data, size_t len, Err *err);
/* mkdir -p with mode for the directories it creates. */
int mkdir_p(const char *path, int mode, Err *err);
/* rm -rf, not following symlinks. Returns 0 when the tree is gone. */
int remove_tree(const char *path);
/* Copies a directory tree (regular files, directories, symlinks), keeping modes. */
int copy_tree(const char *from, const char *to, Err *err);
/* copy_tree without the entries skip(rel, ctx) is true for (rel: the path below from,
 * "base/16384"); a skipped directory is not entered. */
int copy_tree_skip(const char *from, const char *to, bool (*skip)(const char *rel, void *ctx),
                   void *ctx, Err *err);

/* True when s is valid UTF-8 of length n; *bad_offset gets the first bad byte. */
bool utf8_valid(const char *s, size_t n, size_t *bad_offset);

/* Natural ("version-aware") comparison: "2_a" < "10_a". */
int natural_cmp(const char *a, const char *b);

#endif
