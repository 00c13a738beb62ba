/*
 * svg: the pictures of the HTML report, as inline SVG (no script, no
 * external asset; every string from the store escaped with render_html):
 *  - per version, a bar of its statements ok / failed / aborted / not run;
 *  - per migration that ran as one transaction, a timeline: one row per
 *    relation, one column per statement up to COMMIT, each cell coloured by
 *    the strongest mode held on the relation at that statement (the lock
 *    level classes of page.h), the statement that took it marked;
 *  - per statement captured in phases (CONCURRENTLY), its phases in order
 *    with the locks of each one and the lock it waited for.
 * Cells carry class "cell lN" (or "cell none"), data-rel (the relation) and
 * data-taken="1" where the statement itself took the mode; the browser test
 * reads them.
 */
#ifndef LM_SVG_H
#define LM_SVG_H

#include "common/util.h"
#include "report/runview.h"

/* The bar of one version (width proportional to each count of s). */
void svg_version_bar(Buf *out, const RvVersion *s);
/* The section "Locks over time": the timelines and the phase pictures of
 * rv; nothing when it has neither. */
void svg_pictures(Buf *out, const RunView *rv);

#endif
