/*
 * page: the skeleton every HTML page of lockmatrix shares (the run report,
 * the lock table page): one self-contained document whose
 * Content-Security-Policy forbids loading anything (default-src 'none'; only
 * the page's own inline style and script run), the common style sheet, and
 * the colour class of each lock level.
 */
#ifndef LM_PAGE_H
#define LM_PAGE_H

#include "common/util.h"
#include "report/render.h"

/* The CSS class of a lock level's colour (LockLevel 0..3): "l0".."l3". */
extern const char *const html_level_class[4];

/* <!DOCTYPE html> to the page's <h1>: the CSP meta, the title, the common
 * style sheet followed by extra_css (the page's own rules, may be ""). title
 * is trusted text (the caller makes it; it is not escaped). */
void html_page_begin(Buf *out, const char *title, const char *extra_css);
/* The page's script (trusted, inline, allowed by the CSP) and the end. */
void html_page_end(Buf *out, const char *js);

#endif
