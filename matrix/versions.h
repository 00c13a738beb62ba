/*
 * versions: the set of PostgreSQL major versions a run covers.
 * Specs: "10-17", "12,14,17", "11-" (11 up to VERSIONS_MAX), "-12".
 */
#ifndef LM_VERSIONS_H
#define LM_VERSIONS_H

#include "common/util.h"

#define VERSIONS_MIN 10
#define VERSIONS_MAX 18
#define VERSIONS_DEFAULT "10-17"

typedef struct VersionSet {
    int v[VERSIONS_MAX - VERSIONS_MIN + 1]; /* ascending, distinct */
    int n;
} VersionSet;

int versions_parse(const char *spec, VersionSet *out, Err *err);
bool versions_has(const VersionSet *s, int major);
/* "10,11,12" into b: every version, as a spec versions_parse reads and the
 * store keeps (runs.versions) */
void versions_format(const VersionSet *s, Buf *b);
/* majors (ascending) into b as ranges of consecutive numbers, the one way
 * every output shows a list of versions: "10-12,14", "10-11", "10,17" */
void versions_ranges(const int *majors, size_t n, Buf *b);

#endif
