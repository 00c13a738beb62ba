/*
 * versions: the set of PostgreSQL versions a run covers, its columns.
 * Specs: "10-17", "12,14,17", "11-" (11 up to VERSIONS_MAX), "-12", and
 * minor releases: "17.9,17.10", "17.0-17.10", mixed: "16,17.9,17.10".
 *
 * A column is named by an int id: the major itself (10..VERSIONS_MAX) for
 * the default build of that major, major * 100 + minor (1709) for a named
 * minor release. Everything keyed by major (scheduler arrays, store rows,
 * report columns) is keyed by this id; version_major() gives the major the
 * lock table is looked up with, version_name() the one way to print it.
 * Sorted by id, the default builds come first, then the named minors.
 */
#ifndef LM_VERSIONS_H
#define LM_VERSIONS_H

#include "common/util.h"

#define VERSIONS_MIN 10
#define VERSIONS_MAX 18
#define VERSIONS_DEFAULT "10-17"
/* The largest column id (18.99) and how many columns one run may have. */
#define VERSIONS_ID_MAX (VERSIONS_MAX * 100 + 99)
#define VERSIONS_CAP 128

typedef struct VersionSet {
    int v[VERSIONS_CAP]; /* column ids, ascending, distinct */
    int n;
} VersionSet;

/* Minor releases a range such as "17.0-17.10" expands to: the ids of the
 * releases that exist (installed ones); NULL: every number in the range. */
typedef struct VersionsKnown {
    const int *ids;
    size_t n;
} VersionsKnown;

int versions_parse(const char *spec, VersionSet *out, Err *err);
/* versions_parse with minor ranges limited to known (NULL: no limit); a
 * minor range with no known release in it is an error. */
int versions_parse_known(const char *spec, const VersionsKnown *known, VersionSet *out, Err *err);
bool versions_has(const VersionSet *s, int id);
/* "10,11,12" into b: every version, as a spec versions_parse reads and the
 * store keeps (runs.versions) */
void versions_format(const VersionSet *s, Buf *b);
/* ids (ascending) into b as ranges of consecutive versions, the one way
 * every output shows a list of versions: "10-12,14", "10-11", "17.9-17.10" */
void versions_ranges(const int *ids, size_t n, Buf *b);

/* ---- one column id ----------------------------------------------------- */
#define VERSION_NAME_LEN 16
/* The id of minor release major.minor. */
int version_id(int major, int minor);
/* The major of an id (17 for 17 and for 1709). */
int version_major(int id);
/* The minor of a named minor release, -1 for a major's default build. */
int version_minor(int id);
/* "17" or "17.9" into out; returns out. */
const char *version_name(int id, char out[VERSION_NAME_LEN]);
/* version_name into a temporary that lives until the end of the enclosing
 * block: printf("%s", VERSION_NAME(id)). */
#define VERSION_NAME(id) version_name((id), (char[VERSION_NAME_LEN]){0})
/* An id in JSON: a number for a major (17), a string for a minor ("17.9"). */
struct JsonW;
void version_json(struct JsonW *w, int id);
/* A stored list ("10,11,17.9", as versions_format wrote it) into *ids
 * (malloc'd, free()); the number of ids. */
size_t versions_read_stored(const char *text, int **ids);

#endif
