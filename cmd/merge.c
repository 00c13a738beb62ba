/* cmd/merge: not built yet. */
#include "cmd/cmd.h"

int cmd_merge(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cmd_fail(EXIT_USAGE, "\"merge\" is not implemented yet");
}
