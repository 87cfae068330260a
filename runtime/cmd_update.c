/* clawrun update: the cgroups issue builds it out (runc's flags and --resources). */
#include <errno.h>
#include <string.h>

#include "cli.h"
#include "log.h"

int
cmd_update (struct clr_globals *g, int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    if (!strcmp (argv[i], "--help") || !strcmp (argv[i], "-h"))
      {
        clr_cli_print_help ("clawrun update [OPTIONS] ID", "Update the resource limits of a container (not available yet).", NULL);
        return 0;
      }
  clr_err err;
  clr_fail (&err, EOPNOTSUPP, "update");
  clr_log_error (&err);
  return 1;
}
