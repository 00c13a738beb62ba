/*
 * store/evidence: raw dumps of a trace kept zlib-compressed.
 */
#include "store/internal.h"

#include <stdlib.h>
#include <zlib.h>

int store_trace_id(Store *s, long long run_id, size_t chain, int mig, int stmt, int major,
                   long long *trace_id, Err *err)
{
    sqlite3_stmt *q = store_query(s, Q_TRACE_ID, err);
    if (!q) return -1;
    sqlite3_bind_int64(q, 1, run_id);
    sqlite3_bind_int64(q, 2, (long long)chain);
    sqlite3_bind_int(q, 3, mig + 1);
    sqlite3_bind_int(q, 4, stmt + 1);
    sqlite3_bind_int(q, 5, major);
    int rc = sqlite3_step(q);
    *trace_id = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
    sqlite3_reset(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_db_err(s, err, "read");
    return 0;
}

int store_put_evidence(Store *s, long long trace_id, const char *kind, const void *bytes, size_t n,
                       Err *err)
{
    uLongf zn = compressBound((uLong)n);
    Bytef *z = xmalloc(zn ? zn : 1);
    if (compress2(z, &zn, bytes, (uLong)n, Z_DEFAULT_COMPRESSION) != Z_OK) {
        free(z);
        return err_set(err, EXIT_ENV, "could not compress %zu bytes of evidence", n);
    }
    sqlite3_stmt *q = store_query(s, Q_EVIDENCE_PUT, err);
    int rc = -1;
    if (q) {
        sqlite3_bind_int64(q, 1, trace_id);
        store_bind_text(q, 2, kind);
        sqlite3_bind_int64(q, 3, (long long)n);
        sqlite3_bind_blob(q, 4, z, (int)zn, SQLITE_STATIC);
        rc = store_step_done(s, q, err);
    }
    free(z);
    return rc;
}

int store_get_evidence(Store *s, long long trace_id, const char *kind, char **out, size_t *n,
                       Err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *q = store_query(s, Q_EVIDENCE_GET, err);
    if (!q) return -1;
    sqlite3_bind_int64(q, 1, trace_id);
    store_bind_text(q, 2, kind);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(q);
        return 0;
    }
    if (rc != SQLITE_ROW) {
        sqlite3_reset(q);
        return store_db_err(s, err, "read");
    }
    size_t size = (size_t)sqlite3_column_int64(q, 0);
    char *buf =
        store_evidence_inflate(sqlite3_column_blob(q, 1), (size_t)sqlite3_column_bytes(q, 1), size);
    sqlite3_reset(q);
    if (!buf)
        return err_set(err, EXIT_ENV, "evidence \"%s\" of trace %lld in \"%s\" is corrupt", kind,
                       trace_id, s->path);
    *out = buf;
    *n = size;
    return 0;
}

char *store_evidence_inflate(const void *z, size_t zn, size_t size)
{
    if (size > ((size_t)1 << 30)) return NULL;
    char *buf = xmalloc(size + 1);
    uLongf got = (uLongf)size;
    if (uncompress((Bytef *)buf, &got, z, (uLong)zn) != Z_OK || got != size) {
        free(buf);
        return NULL;
    }
    buf[size] = '\0';
    return buf;
}
