/* clawrun state ID: the OCI state document. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "container.h"
#include "log.h"

int
cmd_state (struct clr_globals *g, int argc, char **argv)
{
  const char *id;
  int r = clr_cli_id_only (argc, argv, "clawrun state ID",
                           "Print the state of a container as OCI state JSON.", &id);
  if (r >= 0)
    return r;
  clr_err err = { 0 };
  struct clr_container c;
  if (clr_container_load (g, id, false, &c, &err) < 0)
    {
      clr_log_error (&err);
      return 1;
    }
  char *json = clr_state_json (c.state, c.status, true);
  printf ("%s\n", json);
  free (json);
  clr_container_release (&c);
  return 0;
}
