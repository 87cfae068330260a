/* clawrun kill [--all] ID [SIGNAL] */
#define _GNU_SOURCE
#include <getopt.h>
#include <signal.h>

#include "cli.h"
#include "container.h"
#include "log.h"
#include "util.h"

int
cmd_kill (struct clr_globals *g, int argc, char **argv)
{
  static const struct option opts[] = { { "all", no_argument, NULL, 'a' },
                                        { "help", no_argument, NULL, 'h' },
                                        { 0 } };
  static const char *const lines[] = { "-a, --all", "send the signal to every process of the container", NULL };
  bool all = false;
  opterr = 0;
  int c;
  while ((c = getopt_long (argc, argv, "+:ah", opts, NULL)) != -1)
    switch (c)
      {
      case 'a':
        all = true;
        break;
      case 'h':
        clr_cli_print_help ("clawrun kill [OPTIONS] ID [SIGNAL]",
                            "Send SIGNAL (a name such as TERM, SIGKILL or a number; default SIGTERM)\n"
                            "to the container's init.",
                            lines);
        return 0;
      default:
        return clr_cli_bad_option (argv[0], c, argv);
      }
  if (optind >= argc)
    return clr_usage_error (argv[0], "missing container id");
  if (argc - optind > 2)
    return clr_usage_error (argv[0], "too many arguments");
  const char *id = argv[optind];
  int sig = SIGTERM;
  if (argc - optind == 2 && (sig = clr_parse_signal (argv[optind + 1])) < 0)
    return clr_usage_error (argv[0], "unknown signal \"%s\"", argv[optind + 1]);
  clr_err err = { 0 };
  if (clr_container_kill (g, id, sig, all, &err) < 0)
    {
      clr_log_error (&err);
      return 1;
    }
  return 0;
}
