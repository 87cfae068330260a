/* clawrun delete [--force] ID */
#define _GNU_SOURCE
#include <getopt.h>

#include "cli.h"
#include "container.h"
#include "log.h"

int
cmd_delete (struct clr_globals *g, int argc, char **argv)
{
  static const struct option opts[] = { { "force", no_argument, NULL, 'f' },
                                        { "help", no_argument, NULL, 'h' },
                                        { 0 } };
  static const char *const lines[] = {
    "-f, --force", "kill a running container first; a missing container is not an error", NULL
  };
  bool force = false;
  opterr = 0;
  int c;
  while ((c = getopt_long (argc, argv, "+:fh", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        force = true;
        break;
      case 'h':
        clr_cli_print_help ("clawrun delete [OPTIONS] ID",
                            "Delete a stopped container: its processes, cgroup and state.", lines);
        return 0;
      default:
        return clr_cli_bad_option (argv[0], c, argv);
      }
  if (optind != argc - 1)
    return clr_usage_error (argv[0], optind >= argc ? "missing container id" : "too many arguments");
  clr_err err = { 0 };
  if (clr_container_delete (g, argv[optind], force, &err) < 0)
    {
      clr_log_error (&err);
      return 1;
    }
  return 0;
}
