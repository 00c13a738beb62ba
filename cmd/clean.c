/* cmd/clean: not built yet. */
#include "cmd/cmd.h"

int cmd_clean(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cmd_fail(EXIT_USAGE, "\"clean\" is not implemented yet");
}
