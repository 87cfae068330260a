/* clawrun start ID */
#include "cli.h"
#include "container.h"
#include "log.h"

int
cmd_start (struct clr_globals *g, int argc, char **argv)
{
  const char *id;
  int r = clr_cli_id_only (argc, argv, "clawrun start ID",
                           "Run the user process of a created container.", &id);
  if (r >= 0)
    return r;
  clr_err err = { 0 };
  if (clr_container_start (g, id, &err) < 0)
    {
      clr_log_error (&err);
      return 1;
    }
  return 0;
}
