/* cmd/run: not built yet. */
#include "cmd/cmd.h"

int cmd_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cmd_fail(EXIT_USAGE, "\"run\" is not implemented yet");
}
