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
#include "cmd/opts.h"
#include "runner/docker.h"

static const char import_head[] =
    "usage: lockmatrix docker-import [-c|--change LINE]... [-f TAR] REPO:TAG\n\n"
    "Imports a root filesystem tarball (stdin, or -f TAR) as the Docker image REPO:TAG.\n"
    "Each LINE is a Dockerfile instruction applied to the image (ENTRYPOINT, CMD, ENV,\n"
    "USER, LABEL, EXPOSE, STOPSIGNAL, WORKDIR).\n\n";

int cmd_docker_import(int argc, char **argv)
{
    OptList changes = {0};
    const char *file = NULL;
    int first, rc;
    const Opt options[] = {
        {"change", 'c', OPTK_LIST, &changes, "LINE", .help = "a Dockerfile instruction"},
        {"file", 'f', OPTK_STR, &file, "TAR", .help = "the tarball (default: stdin)"},
        OPTS_END,
    };
    const OptCmd cmd = {"docker-import", import_head, NULL, 22, "REPO:TAG", 1, options};
    if (!opts_parse(&cmd, argc, argv, &first, &rc)) {
        free(changes.v);
        return rc;
    }
    if (argc - first > 1) {
        free(changes.v);
        return opts_fail(&cmd, "docker-import: one REPO:TAG only");
    }
    const char *ref = argv[first];
    const char *colon = strrchr(ref, ':');
    if (!colon || strchr(colon, '/') || !colon[1] || colon == ref) {
        free(changes.v);
        return cmd_fail(EXIT_USAGE, "docker-import: \"%s\" is not REPO:TAG", ref);
    }
    int fd = 0;
    if (file) {
        fd = open(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            free(changes.v);
            return cmd_fail(EXIT_USAGE, "could not open \"%s\": %m", file);
        }
    } else if (isatty(0)) {
        free(changes.v);
        return cmd_fail(EXIT_USAGE, "docker-import: the tarball comes on stdin (or -f TAR)");
    }
    Err err = {0};
    char *repo = xstrndup(ref, (size_t)(colon - ref));
    double t0 = now_ms();
    DockerClient *dc = docker_open(NULL, NULL, &err);
    rc = dc ? docker_image_import(dc, fd, repo, colon + 1, (const char **)changes.v, (int)changes.n,
                                  &err)
            : -1;
    docker_close(dc);
    if (file) close(fd);
    free(repo);
    free(changes.v);
    if (rc < 0) return cmd_fail_err(&err, EXIT_ENV);
    printf("imported %s in %.1f s\n", ref, (now_ms() - t0) / 1000.0);
    return 0;
}
