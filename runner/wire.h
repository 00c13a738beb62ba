/*
 * wire: framed records between the scheduler and its workers over a
 * socketpair. A record is a 4-byte length (host order: both ends are the same
 * binary on the same machine) and that many bytes of payload; a payload is a
 * type byte and fields written with the wire_put_* functions.
 */
#ifndef LM_WIRE_H
#define LM_WIRE_H

#include "common/util.h"
#include "runner/trace/tracer.h"
#include "store/store.h"

#define WIRE_MAX_RECORD (64u << 20) /* a record larger than this is a protocol error */

typedef enum WireType {
    WIRE_HELLO = 1,    /* W->P: container ready: str server_version, f64 ready_ms */
    WIRE_START_FAILED, /* W->P: str reason; the worker exits */
    WIRE_NEED_JOB,     /* W->P: its first job, please: i64 job databases its server has
                          left (0: the next job starts a fresh server) */
    WIRE_JOB,          /* P->W: i64 chain index, i64 jobs of its version still pending */
    WIRE_NO_JOB,       /* P->W: none left: stop the container and exit */
    WIRE_TRACE,        /* W->P: a Trace, then its Prediction */
    WIRE_JOB_DONE,     /* W->P: i64 chain, u8 ok, str reason, f64 duration_ms, i64 job
                          databases left (as NEED_JOB's); after an ok job the next one,
                          please (JOB or NO_JOB), sent before this one is stored */
    WIRE_LOG,          /* W->P: str a diagnostic line for stderr */
    WIRE_PROFILE,      /* W->P, before JOB_DONE: u8 n, n x f64 ms per phase (runner/profile.h)
                          since the last one */
} WireType;

/* ---- writing ---------------------------------------------------------- */
void wire_begin(Buf *b, WireType type); /* resets b, reserves the length, writes the type */
void wire_put_u8(Buf *b, unsigned v);
void wire_put_i64(Buf *b, long long v);
void wire_put_f64(Buf *b, double v);
void wire_put_str(Buf *b, const char *s); /* NULL is kept as NULL */
void wire_put_trace(Buf *b, const Trace *t);
/* A prediction travels as its ranks (model/vocab.h, model/prediction.h); its
 * note and cls, pointers into the sender's lock table, stay behind. */
void wire_put_prediction(Buf *b, const Prediction *p);
/* Fills in the length and writes the whole record to fd (blocking, EINTR-safe). */
int wire_send(int fd, Buf *b, Err *err);

/* ---- reading ---------------------------------------------------------- */
typedef struct WireReader {
    Buf in;       /* bytes received and not yet consumed; owned */
    size_t start; /* offset of the next record in in */
} WireReader;

void wire_reader_init(WireReader *r);
void wire_reader_free(WireReader *r);
/* Reads what fd has (one read()). Returns bytes read, 0 on EOF, -1 on error
 * (errno set; EAGAIN/EINTR mean try later). */
long wire_fill(WireReader *r, int fd);
/* The next complete record: 1 with *p and *n pointing into the reader (valid until
 * the next wire_fill/wire_next), 0 when none is complete yet, -1 when the
 * stream is corrupt (a length over WIRE_MAX_RECORD). */
int wire_next(WireReader *r, const char **p, size_t *n);
/* Blocking read of one record with a deadline in ms (-1: none).
 * 1 ok, 0 EOF, -1 error or timeout (err set). */
int wire_recv(WireReader *r, int fd, int timeout_ms, const char **p, size_t *n, Err *err);

typedef struct WireCursor {
    const char *p;
    size_t left;
    bool bad; /* a read ran past the end: the record is corrupt */
} WireCursor;

void wire_cursor(WireCursor *c, const char *p, size_t n); /* positioned after the type byte */
WireType wire_type(const char *p, size_t n);
unsigned wire_get_u8(WireCursor *c);
long long wire_get_i64(WireCursor *c);
double wire_get_f64(WireCursor *c);
char *wire_get_str(WireCursor *c); /* malloc'd copy, or NULL */
/* Decodes a Trace into *t (zeroed first); free with trace_free. */
void wire_get_trace(WireCursor *c, Trace *t);
/* Decodes a prediction; note and cls NULL, out-of-range ranks cleared. */
void wire_get_prediction(WireCursor *c, Prediction *p);

#endif
