/* clawrun events: the cgroups issue builds it out (--stats, --interval, oom). */
#include <errno.h>
#include <string.h>

#include "cli.h"
#include "log.h"

int
cmd_events (struct clr_globals *g, int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    if (!strcmp (argv[i], "--help") || !strcmp (argv[i], "-h"))
      {
        clr_cli_print_help ("clawrun events [OPTIONS] ID", "Show container statistics and events (not available yet).", NULL);
        return 0;
      }
  clr_err err;
  clr_fail (&err, EOPNOTSUPP, "events");
  clr_log_error (&err);
  return 1;
}
