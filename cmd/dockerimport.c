/*
 * cmd/dockerimport: `lockmatrix docker-import [--change LINE]... REPO:TAG < rootfs.tar`
 * imports an uncompressed root filesystem tarball as a Docker image through
 * the Engine API (gzip-compressed with zlib on the way). Used by
 * scripts/docker-images.sh (`make docker-images`); not listed in --help.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "runner/docker.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: %s docker-import [-c|--change LINE]... [-f TAR] REPO:TAG\n\n", progname);
    fprintf(f,
            "Imports a root filesystem tarball (stdin, or -f TAR) as the Docker image REPO:TAG.\n");
    fprintf(f,
            "Each LINE is a Dockerfile instruction applied to the image (ENTRYPOINT, CMD, ENV,\n");
    fprintf(f, "USER, LABEL, EXPOSE, STOPSIGNAL, WORKDIR).\n");
}

int cmd_docker_import(int argc, char **argv)
{
    const char **changes = NULL;
    size_t nchanges = 0, cap = 0;
    const char *file = NULL, *ref = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cmd_is_help(a)) {
            usage(stdout);
            free(changes);
            return 0;
        } else if ((strcmp(a, "-c") == 0 || strcmp(a, "--change") == 0) && i + 1 < argc) {
            *ARRAY_PUSH(changes, nchanges, cap) = argv[++i];
        } else if (strcmp(a, "-f") == 0 && i + 1 < argc) {
            file = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            free(changes);
            return cmd_fail(EXIT_USAGE, "docker-import: unknown option \"%s\"", a);
        } else if (!ref) {
            ref = a;
        } else {
            free(changes);
            return cmd_fail(EXIT_USAGE, "docker-import: one REPO:TAG only");
        }
    }
    if (!ref) {
        usage(stderr);
        free(changes);
        return EXIT_USAGE;
    }
    const char *colon = strrchr(ref, ':');
    if (!colon || strchr(colon, '/') || !colon[1] || colon == ref) {
        free(changes);
        return cmd_fail(EXIT_USAGE, "docker-import: \"%s\" is not REPO:TAG", ref);
    }
    int fd = 0;
    if (file) {
        fd = open(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            free(changes);
            return cmd_fail(EXIT_USAGE, "could not open \"%s\": %m", file);
        }
    } else if (isatty(0)) {
        free(changes);
        return cmd_fail(EXIT_USAGE, "docker-import: the tarball comes on stdin (or -f TAR)");
    }
    Err err = {0};
    char *repo = xstrndup(ref, (size_t)(colon - ref));
    double t0 = now_ms();
    DockerClient *dc = docker_open(NULL, NULL, &err);
    int rc = dc ? docker_image_import(dc, fd, repo, colon + 1, changes, (int)nchanges, &err) : -1;
    docker_close(dc);
    if (file) close(fd);
    free(repo);
    free(changes);
    if (rc < 0) return cmd_fail_err(&err, EXIT_ENV);
    printf("imported %s in %.1f s\n", ref, (now_ms() - t0) / 1000.0);
    return 0;
}
