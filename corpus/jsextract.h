/*
 * jsextract: the SQL of JS/TS migrations (knex, typeorm, sequelize): the
 * string literals passed to ".raw(" or ".query(" calls, read by a small JS
 * tokenizer (comments, '...', "...", template literals, regular expression
 * literals). docs/layouts.md says what is kept and what is not.
 */
#ifndef LM_JSEXTRACT_H
#define LM_JSEXTRACT_H

#include "common/util.h"

typedef struct JsPiece {
    char *sql; /* the literal's value (escapes resolved, concatenations joined); owned */
    int line;  /* 1-based line of its opening quote */
} JsPiece;

/* Extracts the SQL passed as first argument to a ".raw(" or ".query(" call
 * (knex.raw, queryRunner.query, queryInterface.sequelize.query ...) outside
 * the migration's down function, from JS/TS text: string literals, template
 * literals without ${...}, and their + concatenations. *skipped counts calls
 * whose argument is not such a constant. Free with jsextract_free. */
void jsextract_sql(const char *text, size_t len, JsPiece **out, size_t *n, size_t *skipped);
void jsextract_free(JsPiece *p, size_t n);

#endif
