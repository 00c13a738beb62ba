/*
 * sandbox: the namespaces and read-only mounts a server runs in.
 */
#include "runner/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/util.h"

static int write_proc(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int map_ids(unsigned inner_uid, unsigned outer_uid, unsigned inner_gid, unsigned outer_gid)
{
    char map[64];
    if (write_proc("/proc/self/setgroups", "deny") != 0 && errno != ENOENT) return -1;
    snprintf(map, sizeof(map), "%u %u 1\n", inner_uid, outer_uid);
    if (write_proc("/proc/self/uid_map", map) != 0) return -1;
    snprintf(map, sizeof(map), "%u %u 1\n", inner_gid, outer_gid);
    return write_proc("/proc/self/gid_map", map);
}

/* Mount points of /proc/self/mountinfo (field 5, octal escapes undone), in
 * order; free each and the array. */
static char **mount_points(size_t *n)
{
    *n = 0;
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f) return NULL;
    char **out = NULL;
    size_t cap = 0;
    char line[4096];
    while (fgets(line, sizeof(line), f)) {
        char mp[4096];
        if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1) continue;
        char *w = mp;
        for (const char *r = mp; *r; r++) {
            if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
                r[3] >= '0' && r[3] <= '7') {
                *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
                r += 3;
            } else {
                *w++ = *r;
            }
        }
        *w = '\0';
        *ARRAY_PUSH(out, *n, cap) = xstrdup(mp);
    }
    fclose(f);
    return out;
}

int sandbox_enter(const char *keep_rw, const SandboxOverlay *ov, bool *overlaid, char *why,
                  size_t whylen)
{
    if (overlaid) *overlaid = false;
    unsigned uid = (unsigned)geteuid(), gid = (unsigned)getegid();
    const char *step = "unshare";
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC) != 0) goto fail;
    step = "uid_map";
    if (map_ids(0, uid, 0, gid) != 0) goto fail;
    step = "loopback";
    int sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
    bool up = sk >= 0 && ioctl(sk, SIOCGIFFLAGS, &ifr) == 0 &&
              (ifr.ifr_flags |= IFF_UP | IFF_RUNNING, ioctl(sk, SIOCSIFFLAGS, &ifr) == 0);
    if (sk >= 0) close(sk);
    if (!up) goto fail;
    step = "private mounts";
    if (mount("none", "/", "", MS_REC | MS_PRIVATE, NULL) != 0) goto fail;
    step = "bind of the instance directory";
    if (mount(keep_rw, keep_rw, "", MS_BIND | MS_REC, NULL) != 0) goto fail;
    size_t n;
    char **mps = mount_points(&n);
    step = "mountinfo";
    if (!mps) goto fail;
    for (size_t i = 0; i < n; i++) {
        struct statvfs sv;
        if (strcmp(mps[i], keep_rw) != 0 && statvfs(mps[i], &sv) == 0 && !(sv.f_flag & ST_RDONLY)) {
            unsigned long fl = MS_REMOUNT | MS_BIND | MS_RDONLY;
            if (sv.f_flag & ST_NOSUID) fl |= MS_NOSUID;
            if (sv.f_flag & ST_NODEV) fl |= MS_NODEV;
            if (sv.f_flag & ST_NOEXEC) fl |= MS_NOEXEC;
            if (sv.f_flag & ST_NOATIME) fl |= MS_NOATIME;
            if (sv.f_flag & ST_NODIRATIME) fl |= MS_NODIRATIME;
            if (sv.f_flag & ST_RELATIME) fl |= MS_RELATIME;
            mount("none", mps[i], "", fl, NULL); /* a mount that refuses stays as it was */
        }
        free(mps[i]);
    }
    free(mps);
    struct statvfs root;
    step = "read-only root";
    if (statvfs("/", &root) != 0 || !(root.f_flag & ST_RDONLY)) goto fail;
    if (ov) {
        /* where the user namespace may mount an overlay (Linux 5.11, user.*
         * extended attributes): nothing to copy; else the caller copies */
        char *opts = xasprintf("lowerdir=%s,upperdir=%s,workdir=%s,userxattr", ov->lower, ov->upper,
                               ov->work);
        bool ok = mount("overlay", ov->target, "overlay", MS_NOSUID | MS_NODEV, opts) == 0;
        free(opts);
        if (overlaid) *overlaid = ok;
    }
    step = "second user namespace";
    if (unshare(CLONE_NEWUSER) != 0) goto fail;
    step = "uid_map back";
    if (map_ids(uid, 0, gid, 0) != 0) goto fail;
    return 0;
fail:
    snprintf(why, whylen, "%s: %s", step, strerror(errno));
    return -1;
}

SandboxMode sandbox_mode(void)
{
    const char *sb = getenv("LOCKMATRIX_SANDBOX");
    if (sb && strcmp(sb, "0") == 0) return SANDBOX_OFF;
    if (sb && strcmp(sb, "1") == 0) return SANDBOX_REQUIRED;
    return SANDBOX_TRY;
}
