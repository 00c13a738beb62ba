/*
 * formats: the one table of report formats (see report.h). Adding a format is
 * one line here: report --format, its --help and error messages, the command
 * list of lockmatrix --help and the shell completions (which read --help) all
 * follow it.
 */
#include <string.h>

#include "report/report.h"

const ReportFormat report_formats[] = {
    {"text", report_text, report_text_diff},
    {"markdown", report_markdown, report_markdown_diff},
    {"json", report_json_view, report_json_diff},
    {"html", report_html, report_html_diff},
    {"sarif", report_sarif, report_sarif},
};
const size_t report_nformats = ARRAY_LEN(report_formats);

const ReportFormat *report_format(const char *name)
{
    for (size_t i = 0; i < report_nformats; i++)
        if (strcmp(name, report_formats[i].name) == 0) return &report_formats[i];
    return NULL;
}

void report_format_names(Buf *b)
{
    for (size_t i = 0; i < report_nformats; i++)
        buf_printf(b, "%s%s", i ? ", " : "", report_formats[i].name);
}
