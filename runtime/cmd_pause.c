/* clawrun pause ID / clawrun resume ID: freeze and thaw the container's cgroup. */
#include "../cgroup/cgroup.h"
#include "cli.h"
#include "container.h"
#include "log.h"

static int
freeze (struct clr_globals *g, int argc, char **argv, bool frozen)
{
  const char *id;
  int r = clr_cli_id_only (argc, argv, frozen ? "clawrun pause ID" : "clawrun resume ID",
                           frozen ? "Suspend every process of a running container."
                                  : "Resume every process of a paused container.",
                           &id);
  if (r >= 0)
    return r;
  clr_err err = { 0 };
  struct clr_container c;
  if (clr_container_load (g, id, true, &c, &err) < 0)
    {
      clr_log_error (&err);
      return 1;
    }
  cleanup_cgroup struct clr_cgroup *cg = NULL;
  int ret = 1;
  if (frozen && c.status != CLR_STATUS_RUNNING)
    clr_fail (&err, 0, "container not running");
  else if (!frozen && c.status != CLR_STATUS_PAUSED)
    clr_fail (&err, 0, "container not paused");
  else if (clr_cgroup_open (c.state->cgroup_path, &cg, &err) == 0 && clr_cgroup_freeze (cg, frozen, &err) == 0)
    ret = 0;
  if (ret)
    clr_log_error (&err);
  clr_container_release (&c);
  return ret;
}

int
cmd_pause (struct clr_globals *g, int argc, char **argv)
{
  return freeze (g, argc, argv, true);
}

int
cmd_resume (struct clr_globals *g, int argc, char **argv)
{
  return freeze (g, argc, argv, false);
}
