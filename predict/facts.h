/*
 * facts: what each PostgreSQL major says about itself that decides whether
 * a statement rewrites its table, as predict/facts.tsv holds it (built into
 * the binary; `lockmatrix facts --update` regenerates it from the servers):
 *
 *   cast        the built-in casts between base types (pg_cast): method
 *               (binary, function, inout) and context (implicit, assignment,
 *               explicit)
 *   typechange  ALTER TABLE ... ALTER COLUMN TYPE as probed on each server:
 *               from and to type, the relation of their type modifiers
 *               (facts_typmod_relation), the USING (none, the column itself,
 *               a cast of it), the session's TimeZone it holds for, and
 *               whether the table was rewritten and an index on the column
 *               rebuilt
 *   function    pg_catalog's plain functions and their provolatile (volatile,
 *               stable, immutable): a name once when its overloads agree, else
 *               once per overload with its argument types
 *
 * Every row holds for a range of majors (first..last). Type names are the
 * server's (pg_type.typname: int4, varchar, bpchar, timestamptz);
 * facts_type_name maps the SQL spellings onto them.
 */
#ifndef LM_FACTS_H
#define LM_FACTS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/util.h"
#include "model/vocab.h"

typedef enum FactKind { FACT_CAST, FACT_TYPECHANGE, FACT_FUNCTION, FACT_NKINDS } FactKind;

#define FACTS_MAXFIELDS 7 /* the most fields a kind has after first and last */

typedef struct FactRow {
    FactKind kind;
    int first, last;          /* majors */
    int nf;                   /* fields of the kind (facts_kind_fields) */
    char *f[FACTS_MAXFIELDS]; /* owned */
    int line;                 /* in the file it was read from; 0 when made */
} FactRow;

typedef struct Facts {
    FactRow *rows;
    size_t nrows, cap;
    char *source; /* "built-in" or the path; owned */
} Facts;

/* ---- type modifiers ---------------------------------------------------- */

/* How the type modifier of a column's new type relates to its old one. The
 * one list of these categories: the generator files each probe under one,
 * the lookups find rows by it. */
typedef enum FactsRelation {
    FACTS_REL_PLAIN,          /* neither type has a modifier */
    FACTS_REL_SAME,           /* equal modifiers */
    FACTS_REL_WIDER,          /* a length or fractional precision up */
    FACTS_REL_NARROWER,       /* ... down */
    FACTS_REL_UNCONSTRAIN,    /* a modifier, then none (varchar(10) -> text) */
    FACTS_REL_CONSTRAIN,      /* none, then one (text -> varchar(10)) */
    FACTS_REL_PRECISION_UP,   /* numeric: precision up, same scale */
    FACTS_REL_PRECISION_DOWN, /* numeric: precision down, same scale */
    FACTS_REL_SCALE_CHANGE,   /* numeric: another scale */
    FACTS_REL_FIELDS_CHANGE,  /* interval: other fields (YEAR TO MONTH ...) */
    FACTS_REL_OTHER,          /* modifiers of unrelated kinds */
    FACTS_NRELATIONS
} FactsRelation;

/* The category of from(from_typmod) -> to(to_typmod); typmods as the server
 * keeps them (pg_attribute.atttypmod, -1 for none; facts_typmod makes them
 * from declared ones); canonical type names. */
FactsRelation facts_typmod_relation(const char *from, int from_typmod, const char *to,
                                    int to_typmod);
const char *facts_relation_name(FactsRelation r); /* "wider"; "?" out of range */

/* The typmod the server keeps for type declared with modifiers mods[0..n)
 * (varchar(10): 14; numeric(10,2): 655366); -1 without modifiers or for a
 * type that takes none. */
int facts_typmod(const char *type, const int *mods, int n);

/* The server's name of a type written as in SQL ("integer", "character
 * varying", "timestamp with time zone": int4, varchar, timestamptz), any
 * case; a name that is no alias comes back as given. Static storage or name. */
const char *facts_type_name(const char *name);

/* ---- the table --------------------------------------------------------- */

/* The built-in copy (predict/facts.tsv in the binary), NUL-terminated. */
const char *facts_builtin(size_t *len);

/* Reads a facts file's text; name names it in messages ("\"x\" line 3:
 * ..."). 0, or -1 with err (code 2). Free *out with facts_free. */
int facts_parse(const char *text, size_t len, const char *name, Facts **out, Err *err);
/* facts_parse of the file at path, or of the built-in copy when path is NULL. */
int facts_load(const char *path, Facts **out, Err *err);
Facts *facts_new(void); /* empty; free with facts_free */
void facts_free(Facts *f);

const char *facts_kind_name(FactKind k); /* "cast"; "?" out of range */
int facts_kind_fields(FactKind k);       /* the number of fields after first and last */

/* Adds a row of kind for first..last with the kind's fields (copied). */
void facts_add(Facts *f, FactKind kind, int first, int last, const char *const *fields);
/* Sorts the rows (kind, fields, first) and merges equal rows of consecutive
 * majors into one range. */
void facts_merge(Facts *f);
/* The rows of f that hold on one of majors[0..n), cut to them (a row of
 * 10..18 kept for 12 and 13 only becomes 12..13), merged. Free with facts_free. */
Facts *facts_restrict(const Facts *f, const int *majors, int n);
/* The file: the header comment, then every row, one line each. */
void facts_write(const Facts *f, Buf *out);
/* One row as its line (no newline). */
void facts_write_row(const FactRow *r, Buf *out);

/* ---- lookups ----------------------------------------------------------- */

/* The session TimeZone a typechange row holds for. */
typedef enum FactsTz { FACTS_TZ_UTC, FACTS_TZ_NON_UTC, FACTS_TZ_ANY, FACTS_NTZ } FactsTz;
const char *facts_tz_name(FactsTz tz); /* "utc", "non-utc", "any" */

typedef enum FactsUsing {
    FACTS_USING_NONE, /* no USING, or USING the column itself */
    FACTS_USING_SELF, /* USING the column itself, as probed */
    FACTS_USING_CAST, /* USING column::type */
    FACTS_NUSING
} FactsUsing;
const char *facts_using_name(FactsUsing u); /* "-", "self", "cast" */

/* ALTER COLUMN TYPE from(from_typmod) to to(to_typmod) on major (names as in
 * SQL or the server's; typmods as facts_typmod gives them): yes when the
 * table is rewritten, no when not, depends when no row covers it (*index_rebuild
 * then false). USING the column itself is looked up as probed, else as no
 * USING. *index_rebuild (may be NULL): an index on the column is rebuilt. */
Tri facts_type_change(const Facts *f, int major, const char *from, int from_typmod, const char *to,
                      int to_typmod, FactsUsing using, bool tz_utc, bool *index_rebuild);

/* The volatility of a function (pg_proc.provolatile), strongest last. */
typedef enum FactsVolatility {
    FACTS_FN_UNKNOWN = 0, /* no function of pg_catalog has the name */
    FACTS_FN_IMMUTABLE,
    FACTS_FN_STABLE,
    FACTS_FN_VOLATILE,
    FACTS_FN_MIXED, /* some overloads (or majors) volatile, some not */
} FactsVolatility;

/* The volatility of pg_catalog's function fname (any case, "pg_catalog."
 * allowed) on major (0: on any major): of all its overloads (args NULL), or
 * of the one whose argument types args names ("int4,int4", "" for none); the
 * most volatile of them, MIXED when some are volatile and some not. */
FactsVolatility facts_function_volatility(const Facts *f, int major, const char *fname,
                                          const char *args);
/* "volatile", "stable", "immutable"; "unknown", "mixed". */
const char *facts_volatility_name(FactsVolatility v);
/* 'v', 's', 'i' (provolatile, or CREATE FUNCTION's word's first letter) as one; else UNKNOWN. */
FactsVolatility facts_volatility_of(char provolatile);

/* The method of the built-in cast source -> target on major ("binary",
 * "function", "inout"); NULL when there is none. */
const char *facts_cast_method(const Facts *f, int major, const char *source, const char *target);

#endif
