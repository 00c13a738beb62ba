/* cmd/report: not built yet. */
#include "cmd/cmd.h"

int cmd_report(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cmd_fail(EXIT_USAGE, "\"report\" is not implemented yet");
}
