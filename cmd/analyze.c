/* cmd/analyze: not built yet. */
#include "cmd/cmd.h"

int cmd_analyze(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cmd_fail(EXIT_USAGE, "\"analyze\" is not implemented yet");
}
