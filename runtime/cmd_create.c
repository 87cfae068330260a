/* clawrun create [OPTIONS] ID */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdlib.h>

#include "cli.h"
#include "container.h"
#include "log.h"
#include "util.h"

/* Shared by create and run: parse the create flags.  Returns -1 to continue, else an
 * exit status (help printed or usage error). */
int clr_parse_create_flags (int argc, char **argv, struct clr_create_opts *o, bool run, bool *detach,
                            bool *keep);

static const char *const create_option_lines[] = {
  "-b, --bundle DIR", "path to the bundle (default: the current directory)",
  "--pid-file FILE", "write the init's pid to FILE",
  "--console-socket PATH", "unix socket that receives the pty master (process.terminal)",
  "--no-pivot", "use MS_MOVE + chroot instead of pivot_root",
  "--no-new-keyring", "keep the caller's session keyring",
  "--preserve-fds N", "pass N extra fds (3 .. 3+N-1) to the container",
  NULL,
};

static const char *const run_option_lines[] = {
  "-b, --bundle DIR", "path to the bundle (default: the current directory)",
  "-d, --detach", "return once the container is started",
  "--keep", "do not delete the container after it exits",
  "--pid-file FILE", "write the init's pid to FILE",
  "--console-socket PATH", "unix socket that receives the pty master (process.terminal)",
  "--no-pivot", "use MS_MOVE + chroot instead of pivot_root",
  "--no-new-keyring", "keep the caller's session keyring",
  "--preserve-fds N", "pass N extra fds (3 .. 3+N-1) to the container",
  NULL,
};

int
clr_parse_create_flags (int argc, char **argv, struct clr_create_opts *o, bool run, bool *detach,
                        bool *keep)
{
  enum { OPT_PID = 256, OPT_CONSOLE, OPT_NOPIVOT, OPT_NOKEYRING, OPT_PRESERVE, OPT_KEEP, OPT_NOSUB };
  static const struct option opts[] = {
    { "bundle", required_argument, NULL, 'b' },
    { "pid-file", required_argument, NULL, OPT_PID },
    { "console-socket", required_argument, NULL, OPT_CONSOLE },
    { "no-pivot", no_argument, NULL, OPT_NOPIVOT },
    { "no-new-keyring", no_argument, NULL, OPT_NOKEYRING },
    { "preserve-fds", required_argument, NULL, OPT_PRESERVE },
    { "no-subreaper", no_argument, NULL, OPT_NOSUB },
    { "detach", no_argument, NULL, 'd' },
    { "keep", no_argument, NULL, OPT_KEEP },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  opterr = 0;
  int c;
  while ((c = getopt_long (argc, argv, run ? "+:b:dh" : "+:b:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'b':
        o->bundle = optarg;
        break;
      case OPT_PID:
        o->pid_file = optarg;
        break;
      case OPT_CONSOLE:
        o->console_socket = optarg;
        break;
      case OPT_NOPIVOT:
        o->no_pivot = true;
        break;
      case OPT_NOKEYRING:
        o->no_new_keyring = true;
        break;
      case OPT_NOSUB:
        break;
      case OPT_PRESERVE:
        {
          uint64_t n;
          if (clr_parse_u64 (optarg, 65536, &n) < 0)
            return clr_usage_error (argv[0], "--preserve-fds: expected a number, got \"%s\"", optarg);
          o->preserve_fds = (int) n;
          break;
        }
      case 'd':
        if (!run)
          return clr_cli_bad_option (argv[0], '?', argv);
        *detach = true;
        break;
      case OPT_KEEP:
        if (!run)
          return clr_cli_bad_option (argv[0], '?', argv);
        *keep = true;
        break;
      case 'h':
        if (run)
          clr_cli_print_help ("clawrun run [OPTIONS] ID\n       clawrun run --image IMAGE [SESSION OPTIONS] [--] [CMD ARGS...]",
                              "Create and start a container from the bundle, wait for it and delete it.\n"
                              "The exit status is the container process's (128 + signal when killed).",
                              run_option_lines);
        else
          clr_cli_print_help ("clawrun create [OPTIONS] ID",
                              "Create a container from the bundle.  It is left blocked before the\n"
                              "user process runs; `clawrun start ID` releases it.",
                              create_option_lines);
        return 0;
      default:
        return clr_cli_bad_option (argv[0], c, argv);
      }
  if (optind != argc - 1)
    return clr_usage_error (argv[0], optind >= argc ? "missing container id" : "too many arguments");
  o->id = argv[optind];
  return -1;
}

int
cmd_create (struct clr_globals *g, int argc, char **argv)
{
  struct clr_create_opts o = { 0 };
  bool d = false, k = false;
  int r = clr_parse_create_flags (argc, argv, &o, false, &d, &k);
  if (r >= 0)
    return r;
  clr_err err = { 0 };
  struct clr_created created;
  if (clr_container_create (g, &o, &created, &err) < 0)
    {
      clr_log_error (&err);
      return 1;
    }
  if (created.pidfd >= 0)
    close (created.pidfd);
  return 0;
}
