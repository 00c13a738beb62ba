/* cmd/runs: not built yet. */
#include "cmd/cmd.h"

int cmd_runs(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cmd_fail(EXIT_USAGE, "\"runs\" is not implemented yet");
}
