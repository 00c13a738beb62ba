/* cmd/locktable: not built yet. */
#include "cmd/cmd.h"

int cmd_locktable(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cmd_fail(EXIT_USAGE, "\"locktable\" is not implemented yet");
}
