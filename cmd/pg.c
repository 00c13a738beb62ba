/* cmd/pg: not built yet. */
#include "cmd/cmd.h"

int cmd_pg(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cmd_fail(EXIT_USAGE, "\"pg\" is not implemented yet");
}
