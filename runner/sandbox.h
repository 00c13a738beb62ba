/*
 * sandbox: what a throwaway server may touch. Entered in the postmaster's
 * child, before exec, as the (unprivileged) run user:
 *   1. new user, mount, network and IPC namespaces; in the user namespace the
 *      run user is root (uid_map "0 <uid> 1"), which allows mounts there;
 *   2. the instance directory is bind-mounted onto itself (it stays writable),
 *      then every other mount is remounted read-only (keeping the flags the
 *      kernel locks: nosuid, nodev, noexec, atime);
 *   3. a second user namespace maps the run user back (uid_map "<uid> 0 1"):
 *      PostgreSQL refuses to run as root, and sees its own uid.
 * The network namespace has only its own loopback (brought up: before 15 the
 * statistics collector, which the scan counts come from, talks UDP over it);
 * the Unix socket, a path in the instance directory, is all the server can be
 * reached by, and nothing outside the namespace can be reached from it. No
 * pid namespace: the worker waits for and signals the postmaster by its pid
 * as before. The SQL of a corpus (COPY ... TO PROGRAM, adminpack, lo_export)
 * thus sees a read-only filesystem but for its own directory, no network,
 * and its own SysV IPC (gone with the server).
 *
 * LOCKMATRIX_SANDBOX chooses: "0" no sandbox, "1" a sandbox or no server,
 * anything else (the default) a sandbox when the kernel allows user
 * namespaces, else none (the server's log says why).
 */
#ifndef LM_SANDBOX_H
#define LM_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

typedef enum SandboxMode {
    SANDBOX_TRY = 0,  /* a sandbox when the kernel allows it */
    SANDBOX_OFF,      /* LOCKMATRIX_SANDBOX=0 */
    SANDBOX_REQUIRED, /* LOCKMATRIX_SANDBOX=1 */
} SandboxMode;

/* The mode LOCKMATRIX_SANDBOX asks for. */
SandboxMode sandbox_mode(void);

/* An overlay mounted in the sandbox: target shows lower (read-only, never
 * written) with every change going to upper (work: the overlay's scratch
 * directory); all three inside keep_rw but lower. */
typedef struct SandboxOverlay {
    const char *lower, *upper, *work, *target;
} SandboxOverlay;

/* Enters the sandbox in which only keep_rw (an absolute path) stays
 * writable, with the overlay ov mounted when ov is not NULL and the kernel
 * allows it (*overlaid says whether it did; a sandbox without it is still
 * entered). Returns 0, or -1 with the step that failed and the system's
 * reason in why ("unshare: Operation not permitted"); the process is then
 * in whatever namespaces it had got, and is meant to exec or exit. */
int sandbox_enter(const char *keep_rw, const SandboxOverlay *ov, bool *overlaid, char *why,
                  size_t whylen);

#endif
