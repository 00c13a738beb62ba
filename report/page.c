/*
 * page: the HTML skeleton and style sheet every page shares (see page.h).
 */
#include "report/page.h"

const char *const html_level_class[4] = {"l0", "l1", "l2", "l3"};

static const char css[] =
    "body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;margin:1.5em;color:#1b1f24;"
    "background:#fff}"
    "h1{font-size:1.4em;margin:0 0 .3em}h2{font-size:1.15em;margin:1.6em 0 .5em}"
    ".meta{color:#555;margin:.2em 0 1em}"
    "table{border-collapse:collapse}th,td{border:1px solid #d0d7de;padding:3px 6px;"
    "vertical-align:top;text-align:left}"
    "thead th{background:#f3f5f7;position:sticky;top:0;cursor:pointer;user-select:none;"
    "white-space:nowrap}"
    "thead th[aria-sort=ascending]::after{content:' \\25B2'}"
    "thead th[aria-sort=descending]::after{content:' \\25BC'}"
    "td.c{font:12px/1.3 ui-monospace,'DejaVu Sans Mono',monospace;white-space:nowrap;"
    "text-align:center}"
    ":root{--l0:#dcf3dc;--l1:#d6ecf7;--l2:#fde7b8;--l3:#f6c4c4;--err:#e6d3f3}"
    ".l0{background:var(--l0)}.l1{background:var(--l1)}.l2{background:var(--l2)}"
    ".l3{background:var(--l3);font-weight:600}.err{background:var(--err)}.skip{color:#999}"
    ".none{color:#777}"
    /* the pictures (svg.c): cells take the colour of their lock level */
    "svg text{font:12px ui-monospace,'DejaVu Sans Mono',monospace;fill:#1b1f24}"
    "svg .l0{fill:var(--l0)}svg .l1{fill:var(--l1)}svg .l2{fill:var(--l2)}"
    "svg .l3{fill:var(--l3)}svg .none{fill:#f6f8fa}svg .skip{fill:#eee}"
    "svg .waits{stroke:#b00020;stroke-dasharray:4 2}svg line.end{stroke:#555;stroke-width:2}"
    "svg text.head{fill:#555}svg.bar{display:block;margin:.15em 0}"
    "svg .seg.ok{fill:#7fc98f}svg .seg.failed{fill:#d9534f}svg .seg.aborted{fill:#c9a3e0}"
    "svg .seg.notrun{fill:#ccc}figure{margin:.8em 0}figcaption{margin-bottom:.2em}"
    "tr.vs td:first-child{box-shadow:inset 4px 0 #d4380d}"
    "td.ex{max-width:28em}tr.vs td.ex{font-weight:600;color:#8a2a00}"
    ".cls{font-weight:600}.path{font:12px ui-monospace,monospace;word-break:break-all;"
    "max-width:18em}"
    "details summary{cursor:pointer;color:#0b5cad;font-size:12px}"
    "pre{margin:.3em 0;padding:.4em;background:#f6f8fa;white-space:pre-wrap;"
    "word-break:break-word;max-width:48em;font-size:12px}"
    "#controls{display:flex;gap:1em;align-items:center;margin:.5em 0;flex-wrap:wrap}"
    "#q{width:28em;padding:4px 6px;font-size:14px}"
    "#count{color:#555}.legend td{font-size:13px}"
    ".bad{color:#b00020;font-weight:600}.good{color:#176f2c;font-weight:600}.aborted{color:#666}";

void html_page_begin(Buf *out, const char *title, const char *extra_css)
{
    buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                  "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                  "<title>");
    buf_puts(out, title);
    buf_printf(out, "</title>\n<style>%s%s</style>\n</head>\n<body>\n<h1>", css, extra_css);
    buf_puts(out, title);
    buf_puts(out, "</h1>\n");
}

void html_page_end(Buf *out, const char *js)
{
    buf_printf(out, "<script>\n%s</script>\n</body>\n</html>\n", js);
}
