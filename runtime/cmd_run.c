/* clawrun run [OPTIONS] ID: create + start + wait + delete, like runc run. */
#define _GNU_SOURCE
#include <getopt.h>
#include <signal.h>

#include "cli.h"
#include "container.h"
#include "exec.h"
#include "log.h"
#include "session.h"
#include "util.h"

int clr_parse_create_flags (int argc, char **argv, struct clr_create_opts *o, bool run, bool *detach,
                            bool *keep);

int
cmd_run (struct clr_globals *g, int argc, char **argv)
{
  if (clr_session_requested (argc, argv))
    return clr_session_main (g, argc, argv);
  struct clr_create_opts o = { 0 };
  bool detach = false, keep = false;
  int r = clr_parse_create_flags (argc, argv, &o, true, &detach, &keep);
  if (r >= 0)
    return r;
  o.proxy_tty = !detach && o.console_socket == NULL;
  clr_err err = { 0 };
  struct clr_created created;
  if (clr_container_create (g, &o, &created, &err) < 0)
    {
      clr_log_error (&err);
      return 1;
    }
  if (clr_container_start (g, o.id, &err) < 0)
    {
      clr_log_error (&err);
      clr_err e2 = { 0 };
      clr_container_delete (g, o.id, true, &e2);
      return 1;
    }
  if (detach)
    {
      close (created.pidfd);
      return 0;
    }
  int status = clr_wait_foreground (created.pid, created.pidfd, created.tty_master, &err);
  close (created.pidfd);
  if (created.tty_master >= 0)
    close (created.tty_master);
  if (status < 0)
    {
      clr_log_error (&err);
      status = 1;
    }
  if (!keep)
    {
      clr_err e2 = { 0 };
      if (clr_container_delete (g, o.id, true, &e2) < 0)
        clr_log_error (&e2);
    }
  return status;
}
