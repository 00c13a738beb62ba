/*
 * diesel: <version>_name/up.sql by folder name, <folder>/down.sql its down;
 * one transaction per migration unless the folder's metadata.toml says
 * run_in_transaction = false.
 */
#include "corpus/layouts/ops.h"

#include <stdlib.h>
#include <string.h>

static bool detect(const LayoutDir *d)
{
    return layout_has_subdir_file(d, "up.sql");
}

static int plan(const LayoutDir *d, bool downs, LayoutPlan *p, Err *err)
{
    if (layout_plan_subdirs(d, "up.sql", LAYOUT_TX_FILE, p, err) != 0) return -1;
    size_t nup = p->nfiles;
    for (size_t i = 0; i < nup; i++) {
        LayoutFile *f = &p->files[i];
        int folder = (int)(strlen(f->path) - strlen("up.sql"));
        char *meta = xasprintf("%.*smetadata.toml", folder, f->path);
        char *text = layout_read_text(meta);
        if (text && layout_setting_is_false(text, "run_in_transaction")) f->tx = LAYOUT_TX_NONE;
        free(text);
        free(meta);
    }
    /* down.sql, newest first, with the folder's transaction rule */
    for (size_t i = nup; i-- > 0;) {
        const char *up = p->files[i].path;
        char *down = xasprintf("%.*sdown.sql", (int)(strlen(up) - strlen("up.sql")), up);
        bool present = layout_is_file(down);
        p->ndowns_found += present;
        if (present && downs) {
            LayoutTx tx = p->files[i].tx;
            layout_plan_add_path(p, down, tx)->down = true;
        } else {
            free(down);
        }
    }
    return 0;
}

const LayoutOps layout_diesel = {
    .name = "diesel",
    .one = "up.sql",
    .many = "up.sql",
    .down = "down.sql",
    .detect = detect,
    .plan = plan,
    .tx = LAYOUT_TX_FILE,
};
