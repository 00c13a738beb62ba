/*
 * test_util: common/util.c, the helpers every module shares: Buf, the x*
 * allocators, Err, files (read, the atomic write of -o, mkdir -p, copy and
 * removal of trees), UTF-8, natural order, Hash128, and a process's identity
 * (proc_state, proc_starttime) read on a child of this test.
 *
 * Every file it makes is under its own temporary directory, removed at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "t.h"

static char dir[] = "/tmp/lm-test-util-XXXXXX";

/* A path under the test's directory; free(). */
static char *in_dir(const char *name)
{
    return xasprintf("%s/%s", dir, name);
}

static char *read_back(const char *path)
{
    char *s = NULL;
    Err err = {0};
    if (file_read_all(path, &s, NULL, &err) != 0) return xasprintf("(unreadable: %s)", err.msg);
    return s;
}

static void put(const char *path, const char *s, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    CHECK(fd >= 0 && write(fd, s, strlen(s)) == (ssize_t)strlen(s), "write %s", path);
    if (fd >= 0) close(fd);
}

/* ---- Buf and the allocators ------------------------------------------- */

static void test_buf(void)
{
    Buf b;
    buf_init(&b);
    CHECK(b.len == 0 && b.data == NULL, "a new Buf holds nothing yet");
    char *empty = buf_steal(&b);
    CHECK_STR(empty, "", "stealing an empty Buf gives \"\"");
    free(empty);
    buf_puts(&b, "lock");
    buf_putc(&b, ' ');
    buf_printf(&b, "%s=%d", "mode", 8);
    buf_append(&b, "xyz", 2);
    CHECK_STR(b.data, "lock mode=8xy", "puts, putc, printf, append");
    CHECK(b.len == strlen(b.data), "len %zu is the string's length", b.len);

    /* Growth well past any first allocation, through printf and append. */
    buf_reset(&b);
    CHECK(b.len == 0 && b.data[0] == '\0', "reset empties");
    for (int i = 0; i < 5000; i++)
        buf_printf(&b, "%04d,", i);
    CHECK(b.len == 25000 && b.cap > b.len, "5000 printfs: len %zu cap %zu", b.len, b.cap);
    CHECK(strncmp(b.data + 24995, "4999,", 5) == 0 && b.data[25000] == '\0', "the last one");
    char big[10000];
    memset(big, 'q', sizeof(big));
    buf_append(&b, big, sizeof(big));
    CHECK(b.len == 35000 && b.data[34999] == 'q' && b.data[35000] == '\0', "append 10000");

    char *s = buf_steal(&b);
    CHECK(strlen(s) == 35000, "steal hands over the string");
    CHECK(b.len == 0 && b.data == NULL && b.cap == 0, "and leaves an empty Buf");
    free(s);
    buf_puts(&b, "again");
    CHECK_STR(b.data, "again", "usable after steal");
    buf_free(&b);
    CHECK(b.data == NULL && b.len == 0 && b.cap == 0, "free empties");
    buf_free(&b);
}

static void test_alloc(void)
{
    CHECK(xstrdup(NULL) == NULL, "xstrdup(NULL) stays NULL");
    char *s = xstrndup("postgres", 4);
    CHECK_STR(s, "post", "xstrndup");
    free(s);
    /* n bytes, all of them readable: a NUL among them does not stop the copy. */
    s = xstrndup("a\0b", 3);
    CHECK(memcmp(s, "a\0b", 4) == 0, "xstrndup copies n bytes and ends them with NUL");
    free(s);
    s = xasprintf("%s %d %.1f", "v", 17, 2.5);
    CHECK_STR(s, "v 17 2.5", "xasprintf");
    free(s);

    int *arr = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < 1000; i++)
        *ARRAY_PUSH(arr, n, cap) = i * i;
    CHECK(n == 1000 && cap >= 1000, "ARRAY_PUSH: n %zu cap %zu", n, cap);
    CHECK(arr[0] == 0 && arr[999] == 999 * 999, "ARRAY_PUSH keeps every element");
    free(arr);
}

/* ---- Err ---------------------------------------------------------------- */

static void test_err(void)
{
    Err err = {0};
    CHECK(err_set(&err, EXIT_ENV, "could not open \"%s\": %s", "x.sql", "gone") == -1,
          "err_set returns -1");
    CHECK_STR(err.msg, "could not open \"x.sql\": gone", "the message");
    CHECK(err.code == EXIT_ENV, "the code");
    err_set(&err, 0, "second");
    CHECK(err.code == EXIT_ENV && strcmp(err.msg, "second") == 0, "code 0 keeps the code");
    err_set(&err, EXIT_USAGE, "third");
    CHECK(err.code == EXIT_USAGE, "a code replaces it");
    CHECK(err_set(NULL, EXIT_ENV, "nowhere") == -1, "NULL err: still -1");

    char longer[3000];
    memset(longer, 'e', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    err_set(&err, EXIT_ENV, "%s", longer);
    CHECK(strlen(err.msg) == sizeof(err.msg) - 1, "a long message is cut, NUL-terminated");
    err_clear(&err);
    CHECK(err.msg[0] == '\0' && err.code == 0, "err_clear");
    err_clear(NULL);

    CHECK(EXIT_CHECKS == 1 && EXIT_USAGE == 2 && EXIT_ENV == 3, "the exit kinds");
}

static void test_time(void)
{
    double a = now_ms();
    usleep(20000);
    double b = now_ms();
    CHECK(b - a >= 19.0, "now_ms moves with the clock (%.1f ms)", b - a);
    char *s = now_iso8601();
    CHECK(strlen(s) == 20 && s[4] == '-' && s[10] == 'T' && s[13] == ':' && s[19] == 'Z',
          "now_iso8601 \"%s\"", s);
    free(s);
}

/* ---- files -------------------------------------------------------------- */

static void test_read(void)
{
    char *path = in_dir("nul.bin");
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && write(fd, "a\0b\n", 4) == 4, "write nul.bin");

    char *s = NULL;
    size_t len = 0;
    Err err = {0};
    CHECK(file_read_all(path, &s, &len, &err) == 0, "file_read_all: %s", err.msg);
    CHECK(len == 4 && memcmp(s, "a\0b\n", 5) == 0, "every byte, NUL-terminated (len %zu)", len);
    free(s);
    /* The descriptor's offset is at the end (after write): pread reads it all. */
    CHECK(fd_read_all(fd, path, &s, &len, &err) == 0 && len == 4, "fd_read_all from the start");
    free(s);
    CHECK(lseek(fd, 0, SEEK_CUR) == 4, "and leaves the offset alone");
    close(fd);

    struct {
        const char *name; /* under the test's directory */
        const char *want; /* the message after the path */
    } bad[] = {
        {"missing.sql", "could not open \"%s\": No such file or directory"},
        {"", "could not read \"%s\": Is a directory"},
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        char *p = in_dir(bad[i].name);
        char *want = xasprintf(bad[i].want, p);
        err_clear(&err);
        s = NULL;
        CHECK(file_read_all(p, &s, &len, &err) == -1 && s == NULL, "%s fails", p);
        CHECK_STR(err.msg, want, "the message for %s", p);
        CHECK(err.code == EXIT_USAGE, "input: EXIT_USAGE");
        free(want);
        free(p);
    }
    free(path);
}

static void test_write_out(void)
{
    Err err = {0};
    struct stat st, st2;

    /* A new file: 0644. */
    char *fresh = in_dir("fresh.txt");
    CHECK(file_write_out(fresh, "one\n", 4, &err) == 0, "new file: %s", err.msg);
    char *s = read_back(fresh);
    CHECK_STR(s, "one\n", "new file content");
    free(s);
    CHECK(stat(fresh, &st) == 0 && (st.st_mode & 07777) == 0644, "new file mode %o",
          st.st_mode & 07777);

    /* An existing regular file: replaced (a new inode), its mode kept. */
    CHECK(chmod(fresh, 0600) == 0 && stat(fresh, &st) == 0, "chmod 0600");
    CHECK(file_write_out(fresh, "two\n", 4, &err) == 0, "replace: %s", err.msg);
    CHECK(stat(fresh, &st2) == 0 && st2.st_ino != st.st_ino, "replaced by rename");
    CHECK((st2.st_mode & 07777) == 0600, "mode kept: %o", st2.st_mode & 07777);
    s = read_back(fresh);
    CHECK_STR(s, "two\n", "replaced content");
    free(s);

    /* A symlink to a file: the target replaced, the link stays. */
    char *link = in_dir("link.txt");
    CHECK(symlink(fresh, link) == 0, "symlink");
    CHECK(file_write_out(link, "three\n", 6, &err) == 0, "through a link: %s", err.msg);
    CHECK(lstat(link, &st) == 0 && S_ISLNK(st.st_mode), "the link stays a link");
    s = read_back(fresh);
    CHECK_STR(s, "three\n", "the target has the data");
    free(s);

    /* A dangling symlink: what it names is created. */
    char *target = in_dir("named.txt"), *dangling = in_dir("dangling.txt");
    CHECK(symlink(target, dangling) == 0, "dangling symlink");
    CHECK(file_write_out(dangling, "four\n", 5, &err) == 0, "dangling: %s", err.msg);
    s = read_back(target);
    CHECK_STR(s, "four\n", "the named file was created");
    free(s);

    /* A FIFO: written into (its reader gets the data), never replaced. */
    char *fifo = in_dir("fifo");
    CHECK(mkfifo(fifo, 0600) == 0, "mkfifo");
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        int fd = open(fifo, O_RDONLY);
        char buf[64];
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
        if (n > 0 && write(fds[1], buf, (size_t)n) != n) _exit(1);
        _exit(0);
    }
    close(fds[1]);
    CHECK(file_write_out(fifo, "five\n", 5, &err) == 0, "fifo: %s", err.msg);
    char got[64] = {0};
    ssize_t n = read(fds[0], got, sizeof(got) - 1);
    close(fds[0]);
    waitpid(pid, NULL, 0);
    CHECK(n == 5 && strcmp(got, "five\n") == 0, "the reader got \"%s\"", got);
    CHECK(lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode), "the FIFO stays a FIFO");

    /* A directory, and a directory that does not exist: EXIT_ENV. */
    err_clear(&err);
    CHECK(file_write_out(dir, "x", 1, &err) == -1 && err.code == EXIT_ENV, "a directory fails");
    CHECK(strstr(err.msg, "Is a directory") != NULL, "saying so: %s", err.msg);
    char *nodir = in_dir("no/such/file");
    err_clear(&err);
    CHECK(file_write_out(nodir, "x", 1, &err) == -1 && err.code == EXIT_ENV, "no directory");
    CHECK(strstr(err.msg, "No such file or directory") != NULL, "saying so: %s", err.msg);

    /* No temporary file is left beside what was written. */
    DIR *d = opendir(dir);
    struct dirent *de;
    int tmps = 0;
    while (d && (de = readdir(d)) != NULL)
        tmps += strstr(de->d_name, ".tmp.") != NULL;
    if (d) closedir(d);
    CHECK(d && tmps == 0, "no .tmp. file left in %s (%d)", dir, tmps);
    free(nodir);
    free(fifo);
    free(target);
    free(dangling);
    free(link);
    free(fresh);
}

static void test_trees(void)
{
    Err err = {0};
    struct stat st;
    char *deep = in_dir("tree/a/b/c");
    CHECK(mkdir_p(deep, 0750, &err) == 0, "mkdir_p: %s", err.msg);
    CHECK(stat(deep, &st) == 0 && S_ISDIR(st.st_mode), "the deepest directory exists");
    CHECK(mkdir_p(deep, 0750, &err) == 0, "mkdir_p again: nothing to do");
    char *file = in_dir("tree/a/file");
    put(file, "data", 0640);
    char *under_file = in_dir("tree/a/file/sub");
    err_clear(&err);
    CHECK(mkdir_p(under_file, 0755, &err) == -1 && err.code == EXIT_ENV, "under a file fails");
    CHECK(strstr(err.msg, "Not a directory") != NULL, "saying so: %s", err.msg);

    /* copy_tree: files with their modes, directories, symlinks as symlinks. */
    char *outside = in_dir("outside.txt");
    put(outside, "keep me", 0644);
    char *ln = in_dir("tree/a/b/link");
    CHECK(symlink(outside, ln) == 0, "symlink out of the tree");
    char *from = in_dir("tree"), *to = in_dir("copy");
    CHECK(copy_tree(from, to, &err) == 0, "copy_tree: %s", err.msg);
    char *cfile = in_dir("copy/a/file"), *clink = in_dir("copy/a/b/link");
    char *s = read_back(cfile);
    CHECK_STR(s, "data", "a file copied");
    free(s);
    CHECK(stat(cfile, &st) == 0 && (st.st_mode & 07777) == 0640, "its mode kept: %o",
          st.st_mode & 07777);
    char target[4096] = {0};
    CHECK(readlink(clink, target, sizeof(target) - 1) > 0 && strcmp(target, outside) == 0,
          "a symlink copied as a symlink: %s", target);
    char *missing = in_dir("nothing-here");
    err_clear(&err);
    CHECK(copy_tree(missing, to, &err) == -1 && err.code == EXIT_ENV, "copy of nothing fails");

    /* remove_tree: the tree goes, what a link in it points to stays. */
    CHECK(remove_tree(to) == 0 && remove_tree(from) == 0, "remove_tree");
    CHECK(lstat(from, &st) != 0 && errno == ENOENT, "gone");
    CHECK(stat(outside, &st) == 0, "a link's target outside the tree stays");
    CHECK(remove_tree(missing) == 0, "removing what is not there succeeds");
    free(missing);
    free(cfile);
    free(clink);
    free(from);
    free(to);
    free(ln);
    free(outside);
    free(under_file);
    free(file);
    free(deep);
}

/* ---- text --------------------------------------------------------------- */

static void test_utf8(void)
{
    struct {
        const char *s;
        size_t n; /* 0: strlen */
        bool valid;
        size_t bad; /* the first bad byte when not valid */
    } cases[] = {
        {"", 0, true, 0},
        {"ALTER TABLE t", 0, true, 0},
        {"caf\xc3\xa9", 0, true, 0},       /* 2 bytes */
        {"\xe2\x82\xac 5", 0, true, 0},    /* 3 bytes: euro */
        {"\xf0\x9f\x94\x92", 0, true, 0},  /* 4 bytes: a lock */
        {"a\0b", 3, true, 0},              /* NUL is ASCII */
        {"ab\xff", 0, false, 2},           /* never valid */
        {"x\x80", 0, false, 1},            /* a stray continuation */
        {"\xc0\x80", 0, false, 0},         /* overlong NUL */
        {"ok\xe0\x80\xaf", 0, false, 2},   /* overlong '/' */
        {"\xed\xa0\x80", 0, false, 0},     /* a surrogate */
        {"\xf4\x90\x80\x80", 0, false, 0}, /* past U+10FFFF */
        {"abc\xe2\x82", 0, false, 3},      /* cut short */
        {"\xc3\xa9\xc3", 0, false, 2},     /* cut short after a good one */
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        size_t n = cases[i].n ? cases[i].n : strlen(cases[i].s);
        size_t bad = 999;
        bool v = utf8_valid(cases[i].s, n, &bad);
        CHECK(v == cases[i].valid, "case %zu valid %d", i, v);
        if (!cases[i].valid)
            CHECK(bad == cases[i].bad, "case %zu first bad byte %zu, want %zu", i, bad,
                  cases[i].bad);
    }
    CHECK(!utf8_valid("\xff", 1, NULL), "bad_offset may be NULL");
}

static int sign(int x)
{
    return x < 0 ? -1 : x > 0;
}

static void test_natural(void)
{
    struct {
        const char *a, *b;
        int want; /* the sign */
    } cases[] = {
        {"2_a.sql", "10_a.sql", -1},
        {"10_a.sql", "2_a.sql", 1},
        {"001_x", "1_x", 0}, /* leading zeros do not count */
        {"1_x", "01_y", -1}, /* then the rest decides */
        {"v1.9", "v1.10", -1},
        {"abc", "abd", -1},
        {"abc", "abc", 0},
        {"ab", "abc", -1},
        {"abc", "ab", 1},
        {"", "", 0},
        {"", "a", -1},
        {"20240101_init", "20231231_last", 1},
        {"a\xc3\xa9", "az", 1},                                /* bytes compare unsigned */
        {"99999999999999999999", "100000000000000000000", -1}, /* no overflow */
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        CHECK(sign(natural_cmp(cases[i].a, cases[i].b)) == cases[i].want, "\"%s\" vs \"%s\"",
              cases[i].a, cases[i].b);
}

static void test_hash(void)
{
    char hex[33];
    hash128_hex(hash128_init(), hex);
    CHECK_STR(hex, "6c62272e07bb014262b821756295c58d", "FNV-1a 128 offset basis");

    /* Tagged fields: no two different sequences hash the same bytes. */
    struct {
        const char *a1, *a2, *b1, *b2;
    } pairs[] = {
        {"ab", "c", "a", "bc"},
        {"", NULL, NULL, ""},
        {NULL, "x", "", "x"},
    };
    for (size_t i = 0; i < ARRAY_LEN(pairs); i++) {
        Hash128 a = hash128_init(), b = hash128_init();
        hash128_field(&a, 's', pairs[i].a1);
        hash128_field(&a, 't', pairs[i].a2);
        hash128_field(&b, 's', pairs[i].b1);
        hash128_field(&b, 't', pairs[i].b2);
        CHECK(a != b, "pair %zu hashes apart", i);
    }
    Hash128 a = hash128_init(), b = hash128_init();
    hash128_add(&a, "abc", 3);
    hash128_add(&b, "ab", 2);
    hash128_add(&b, "c", 1);
    CHECK(a == b, "a running hash: the same bytes in pieces");
    hash128_field(&a, 's', "x");
    hash128_field(&b, 't', "x");
    CHECK(a != b, "the tag counts");
}

/* ---- processes ---------------------------------------------------------- */

/* A child whose command name holds a space and parentheses, as a process's
 * may; it says it is ready on the pipe, then waits for a signal. */
static pid_t start_child(void)
{
    int fds[2];
    if (pipe(fds) != 0) return -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        prctl(PR_SET_NAME, "lm) x (y", 0, 0, 0);
        if (write(fds[1], "r", 1) != 1) _exit(1);
        for (;;)
            pause();
    }
    close(fds[1]);
    char c;
    if (pid < 0 || read(fds[0], &c, 1) != 1) {
        close(fds[0]);
        return -1;
    }
    close(fds[0]);
    return pid;
}

/* The state of pid once it is one of want (it changes asynchronously). */
static char wait_state(pid_t pid, const char *want)
{
    char s = 0;
    for (int i = 0; i < 200; i++) {
        s = proc_state(pid);
        if (s && strchr(want, s)) break;
        usleep(10000);
    }
    return s;
}

static void test_proc(void)
{
    char self = proc_state(getpid());
    CHECK(self == 'R', "this process is running: '%c'", self ? self : '0');
    unsigned long long me = proc_starttime(getpid());
    CHECK(me > 0, "this process has a start time");

    pid_t pid = start_child();
    CHECK(pid > 0, "child started");
    if (pid <= 0) return;
    char s = wait_state(pid, "S");
    CHECK(s == 'S', "the child sleeps in pause(): '%c'", s ? s : '0');
    unsigned long long st = proc_starttime(pid);
    CHECK(st >= me, "the child started after its parent (%llu >= %llu)", st, me);
    CHECK(proc_starttime(pid) == st, "the start time does not move");

    kill(pid, SIGSTOP);
    s = wait_state(pid, "Tt");
    CHECK(s == 'T' || s == 't', "stopped: '%c'", s ? s : '0');
    CHECK(proc_starttime(pid) == st, "same identity when stopped");
    kill(pid, SIGKILL);
    s = wait_state(pid, "Z");
    CHECK(s == 'Z', "killed and not reaped: a zombie '%c'", s ? s : '0');
    CHECK(proc_starttime(pid) == st, "a zombie keeps its start time");
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status), "reaped");
    CHECK(proc_state(pid) == 0 && proc_starttime(pid) == 0, "gone: state 0, start time 0");
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!mkdtemp(dir)) {
        printf("not ok - mkdtemp %s: %s\n", dir, strerror(errno));
        return 1;
    }
    test_buf();
    test_alloc();
    test_err();
    test_time();
    test_read();
    test_write_out();
    test_trees();
    test_utf8();
    test_natural();
    test_hash();
    test_proc();
    CHECK(remove_tree(dir) == 0, "the test's directory removed");
    return t_done("test_util");
}
