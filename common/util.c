/*
 * util: memory, growable strings, error messages, clocks and files.
 */
#include "common/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- memory ----------------------------------------------------------- */

static void oom(size_t n)
{
    fprintf(stderr, "lockmatrix: out of memory (%zu bytes)\n", n);
    _exit(3);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) oom(n);
    return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
    void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
    if (!p) oom(nmemb * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) oom(n);
    return q;
}

char *xstrdup(const char *s)
{
    return s ? xstrndup(s, strlen(s)) : NULL;
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    Buf b;
    va_list ap;
    buf_init(&b);
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    return buf_steal(&b);
}

void grow_array(void **arr, size_t elem, size_t *cap, size_t need)
{
    if (need <= *cap) return;
    size_t n = *cap ? *cap * 2 : 8;
    while (n < need)
        n *= 2;
    *arr = xrealloc(*arr, n * elem);
    memset((char *)*arr + *cap * elem, 0, (n - *cap) * elem);
    *cap = n;
}

/* ---- Buf -------------------------------------------------------------- */

void buf_init(Buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void buf_free(Buf *b)
{
    free(b->data);
    buf_init(b);
}

void buf_reset(Buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

static void buf_reserve(Buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap) return;
    size_t n = b->cap ? b->cap : 64;
    while (n < b->len + extra + 1)
        n *= 2;
    b->data = xrealloc(b->data, n);
    b->cap = n;
}

void buf_append(Buf *b, const void *p, size_t n)
{
    buf_reserve(b, n);
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void buf_puts(Buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

void buf_putc(Buf *b, char c)
{
    buf_append(b, &c, 1);
}

void buf_vprintf(Buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) return;
    buf_reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void buf_printf(Buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

char *buf_steal(Buf *b)
{
    char *s = b->data ? b->data : xstrdup("");
    buf_init(b);
    return s;
}

/* ---- Err -------------------------------------------------------------- */

int err_set(Err *err, int code, const char *fmt, ...)
{
    if (!err) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    if (code) err->code = code;
    return -1;
}

void err_clear(Err *err)
{
    if (err) {
        err->msg[0] = '\0';
        err->code = 0;
    }
}

/* ---- time ------------------------------------------------------------- */

double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

char *now_iso8601(void)
{
    time_t t = time(NULL);
    struct tm tm;
    char s[32];
    gmtime_r(&t, &tm);
    strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return xstrdup(s);
}

/* ---- files ------------------------------------------------------------ */

int file_read_all(const char *path, char **out, size_t *len, Err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return err_set(err, EXIT_USAGE, "could not open \"%s\": %s", path, strerror(errno));
    int rc = fd_read_all(fd, path, out, len, err);
    close(fd);
    return rc;
}

int fd_read_all(int fd, const char *path, char **out, size_t *len, Err *err)
{
    struct stat st = {0};
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
        return err_set(err, EXIT_USAGE, "could not read \"%s\": Is a directory", path);
    Buf b;
    buf_init(&b);
    buf_reserve(&b, st.st_size > 0 ? (size_t)st.st_size : 4096);
    for (;;) {
        buf_reserve(&b, 65536);
        ssize_t n = pread(fd, b.data + b.len, b.cap - b.len - 1, (off_t)b.len);
        if (n < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            buf_free(&b);
            return err_set(err, EXIT_USAGE, "could not read \"%s\": %s", path, strerror(e));
        }
        if (n == 0) break;
        b.len += (size_t)n;
    }
    b.data[b.len] = '\0';
    if (len) *len = b.len;
    *out = b.data;
    return 0;
}

static int write_fd_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Writes into an existing file, device or FIFO without replacing it. */
static int write_into(const char *path, int flags, const void *data, size_t len, Err *err)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC | flags, 0644);
    if (fd < 0) return err_set(err, EXIT_ENV, "could not open \"%s\": %s", path, strerror(errno));
    if (write_fd_all(fd, data, len) != 0) {
        int e = errno;
        close(fd);
        return err_set(err, EXIT_ENV, "could not write \"%s\": %s", path, strerror(e));
    }
    if (close(fd) != 0)
        return err_set(err, EXIT_ENV, "could not write \"%s\": %s", path, strerror(errno));
    return 0;
}

static int write_replace(const char *path, mode_t mode, const void *data, size_t len, Err *err)
{
    char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        err_set(err, EXIT_ENV, "could not create \"%s\": %s", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    (void)fchmod(fd, mode); /* the umask may have narrowed it */
    int e = 0;
    if (write_fd_all(fd, data, len) != 0) e = errno;
    if (close(fd) != 0 && !e) e = errno;
    if (e) {
        unlink(tmp);
        err_set(err, EXIT_ENV, "could not write \"%s\": %s", tmp, strerror(e));
        free(tmp);
        return -1;
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
        err_set(err, EXIT_ENV, "could not rename \"%s\" to \"%s\": %s", tmp, path, strerror(e));
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

int file_write_out(const char *path, const void *data, size_t len, Err *err)
{
    struct stat lst, st;
    if (lstat(path, &lst) != 0) {
        if (errno != ENOENT)
            return err_set(err, EXIT_ENV, "could not write \"%s\": %s", path, strerror(errno));
        return write_replace(path, 0644, data, len, err);
    }
    if (stat(path, &st) != 0) /* a dangling symlink: create what it names */
        return write_into(path, O_CREAT | O_TRUNC, data, len, err);
    if (S_ISDIR(st.st_mode))
        return err_set(err, EXIT_ENV, "could not write \"%s\": Is a directory", path);
    bool special = strncmp(path, "/dev/", 5) == 0 || strncmp(path, "/proc/", 6) == 0;
    if (!S_ISREG(st.st_mode)) return write_into(path, 0, data, len, err);
    if (special) return write_into(path, O_APPEND, data, len, err);
    if (!S_ISLNK(lst.st_mode)) return write_replace(path, st.st_mode & 07777, data, len, err);
    char *target = realpath(path, NULL);
    if (!target)
        return err_set(err, EXIT_ENV, "could not resolve \"%s\": %s", path, strerror(errno));
    int rc = strncmp(target, "/proc/", 6) == 0 || strncmp(target, "/dev/", 5) == 0
                 ? write_into(target, O_APPEND, data, len, err)
                 : write_replace(target, st.st_mode & 07777, data, len, err);
    free(target);
    return rc;
}

int mkdir_p(const char *path, int mode, Err *err)
{
    char *p = xstrdup(path);
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST) {
                int e = errno;
                err_set(err, EXIT_ENV, "could not create directory \"%s\": %s", p, strerror(e));
                free(p);
                return -1;
            }
            *s = c;
            if (c == '\0') break;
        }
    }
    free(p);
    return 0;
}

int remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode)) return unlink(path);
    DIR *d = opendir(path);
    /* a directory its owner cannot read (an overlay's work directory is
     * made with mode 0): its owner may change that */
    if (!d && errno == EACCES && chmod(path, 0700) == 0) d = opendir(path);
    if (!d) return -1;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        char *child = xasprintf("%s/%s", path, de->d_name);
        if (remove_tree(child) != 0) rc = -1;
        free(child);
    }
    closedir(d);
    if (rmdir(path) != 0) rc = -1;
    return rc;
}

static int copy_file(const char *from, const char *to, mode_t mode, Err *err)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0) return err_set(err, EXIT_ENV, "could not open \"%s\": %s", from, strerror(errno));
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 07777);
    if (out < 0) {
        int e = errno;
        close(in);
        return err_set(err, EXIT_ENV, "could not create \"%s\": %s", to, strerror(e));
    }
    int rc = 0;
    for (;;) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
        if (n == 0) break;
        if (n < 0) {
            /* Fall back to read/write where copy_file_range is not supported. */
            char buf[65536];
            ssize_t r;
            while ((r = read(in, buf, sizeof(buf))) > 0)
                if (write(out, buf, (size_t)r) != r) {
                    r = -1;
                    break;
                }
            if (r < 0)
                rc = err_set(err, EXIT_ENV, "could not copy \"%s\": %s", from, strerror(errno));
            break;
        }
    }
    close(in);
    if (close(out) != 0 && rc == 0)
        rc = err_set(err, EXIT_ENV, "could not write \"%s\": %s", to, strerror(errno));
    return rc;
}

static int copy_tree_at(const char *from, const char *to, const char *rel,
                        bool (*skip)(const char *rel, void *ctx), void *ctx, Err *err)
{
    if (skip && rel[0] && skip(rel, ctx)) return 0;
    struct stat st;
    if (lstat(from, &st) != 0)
        return err_set(err, EXIT_ENV, "could not stat \"%s\": %s", from, strerror(errno));
    if (S_ISLNK(st.st_mode)) {
        char target[4096];
        ssize_t n = readlink(from, target, sizeof(target) - 1);
        if (n < 0)
            return err_set(err, EXIT_ENV, "could not read link \"%s\": %s", from, strerror(errno));
        target[n] = '\0';
        if (symlink(target, to) != 0)
            return err_set(err, EXIT_ENV, "could not create link \"%s\": %s", to, strerror(errno));
        return 0;
    }
    if (S_ISREG(st.st_mode)) return copy_file(from, to, st.st_mode, err);
    if (!S_ISDIR(st.st_mode)) return 0; /* sockets, fifos: nothing to copy */
    if (mkdir(to, st.st_mode & 07777) != 0 && errno != EEXIST)
        return err_set(err, EXIT_ENV, "could not create directory \"%s\": %s", to, strerror(errno));
    DIR *d = opendir(from);
    if (!d)
        return err_set(err, EXIT_ENV, "could not open directory \"%s\": %s", from, strerror(errno));
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        char *a = xasprintf("%s/%s", from, de->d_name);
        char *b = xasprintf("%s/%s", to, de->d_name);
        char *r = rel[0] ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
        rc = copy_tree_at(a, b, r, skip, ctx, err);
        free(a);
        free(b);
        free(r);
    }
    closedir(d);
    return rc;
}

int copy_tree(const char *from, const char *to, Err *err)
{
    return copy_tree_at(from, to, "", NULL, NULL, err);
}

int copy_tree_skip(const char *from, const char *to, bool (*skip)(const char *rel, void *ctx),
                   void *ctx, Err *err)
{
    return copy_tree_at(from, to, "", skip, ctx, err);
}

/* ---- text ------------------------------------------------------------- */

bool utf8_valid(const char *str, size_t n, size_t *bad_offset)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t len;
        unsigned int cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else {
            goto bad;
        }
        if (i + len > n) goto bad;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) goto bad;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            goto bad;
        i += len;
    }
    return true;
bad:
    if (bad_offset) *bad_offset = i;
    return false;
}

int natural_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
            const char *sa = a, *sb = b;
            while (*sa == '0')
                sa++;
            while (*sb == '0')
                sb++;
            const char *ea = sa, *eb = sb;
            while (*ea >= '0' && *ea <= '9')
                ea++;
            while (*eb >= '0' && *eb <= '9')
                eb++;
            if (ea - sa != eb - sb) return (ea - sa) < (eb - sb) ? -1 : 1;
            int c = strncmp(sa, sb, (size_t)(ea - sa));
            if (c) return c;
            a = ea;
            b = eb;
        } else {
            if (*a != *b) return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
            a++;
            b++;
        }
    }
    return *a ? 1 : (*b ? -1 : 0);
}

/* ---- Hash128 -------------------------------------------------------------- */

Hash128 hash128_init(void)
{
    return ((Hash128)0x6c62272e07bb0142ULL << 64) | 0x62b821756295c58dULL;
}

void hash128_add(Hash128 *h, const void *p, size_t n)
{
    const Hash128 prime = ((Hash128)1 << 88) + 0x13B;
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        *h ^= b[i];
        *h *= prime;
    }
}

void hash128_field(Hash128 *h, char tag, const char *s)
{
    hash128_add(h, &tag, 1);
    if (s)
        hash128_add(h, s, strlen(s) + 1);
    else
        hash128_add(h, "\0", 2);
}

void hash128_hex(Hash128 h, char out[33])
{
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)(h >> 64), (unsigned long long)h);
}

/* ---- processes ------------------------------------------------------------ */

/* The fields of /proc/<pid>/stat after the command name: from field 3 (the
 * state) on, into buf; NULL when the process is gone. */
static const char *proc_stat_fields(pid_t pid, char *buf, size_t size)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n <= 0) return NULL;
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    return p && p[1] == ' ' ? p + 2 : NULL;
}

char proc_state(pid_t pid)
{
    char buf[1024];
    const char *p = proc_stat_fields(pid, buf, sizeof(buf));
    return p ? p[0] : 0;
}

unsigned long long proc_starttime(pid_t pid)
{
    char buf[1024];
    const char *p = proc_stat_fields(pid, buf, sizeof(buf));
    for (int field = 3; field < 22 && p; field++) {
        p = strchr(p, ' ');
        if (p) p++;
    }
    return p ? strtoull(p, NULL, 10) : 0;
}
