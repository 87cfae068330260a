/* clawrun exec [OPTIONS] ID [ARGS...] */
#define _GNU_SOURCE
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "exec.h"
#include "log.h"
#include "util.h"

static void
push (char ***v, size_t *n, const char *s)
{
  *v = xrealloc (*v, (*n + 2) * sizeof (char *));
  (*v)[(*n)++] = (char *) s;
  (*v)[*n] = NULL;
}

int
cmd_exec (struct clr_globals *g, int argc, char **argv)
{
  enum { OPT_CONSOLE = 256, OPT_PID, OPT_NNP, OPT_PRESERVE, OPT_GIDS, OPT_CAP, OPT_PROCESS, OPT_CWD };
  static const struct option opts[] = {
    { "process", required_argument, NULL, 'p' },
    { "env", required_argument, NULL, 'e' },
    { "cwd", required_argument, NULL, OPT_CWD },
    { "user", required_argument, NULL, 'u' },
    { "additional-gids", required_argument, NULL, 'g' },
    { "cap", required_argument, NULL, 'c' },
    { "tty", no_argument, NULL, 't' },
    { "console-socket", required_argument, NULL, OPT_CONSOLE },
    { "detach", no_argument, NULL, 'd' },
    { "pid-file", required_argument, NULL, OPT_PID },
    { "no-new-privs", no_argument, NULL, OPT_NNP },
    { "preserve-fds", required_argument, NULL, OPT_PRESERVE },
    { "process-label", required_argument, NULL, 'l' },
    { "apparmor", required_argument, NULL, 'a' },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  static const char *const lines[] = {
    "-p, --process FILE", "the process to run, as runtime-spec process JSON",
    "-e, --env KEY=VALUE", "set an environment variable (repeatable)",
    "--cwd DIR", "working directory in the container",
    "-u, --user UID[:GID]", "numeric user (and group) to run as",
    "-g, --additional-gids GID", "additional group (repeatable)",
    "-c, --cap CAP", "add a capability (repeatable)",
    "-t, --tty", "allocate a pseudo-terminal",
    "--console-socket PATH", "unix socket that receives the pty master",
    "-d, --detach", "do not wait for the process",
    "--pid-file FILE", "write the process's pid to FILE",
    "--no-new-privs", "set no_new_privs for the process",
    "--preserve-fds N", "pass N extra fds (3 .. 3+N-1) to the process",
    NULL,
  };
  struct clr_exec_opts o = { 0 };
  size_t nenv = 0, ngids = 0, ncaps = 0;
  opterr = 0;
  int c;
  while ((c = getopt_long (argc, argv, "+:p:e:u:g:c:tdl:a:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'p':
        o.process_file = optarg;
        break;
      case 'e':
        push (&o.env, &nenv, optarg);
        break;
      case OPT_CWD:
        o.cwd = optarg;
        break;
      case 'u':
        o.user = optarg;
        break;
      case 'g':
        push (&o.additional_gids, &ngids, optarg);
        break;
      case 'c':
        push (&o.caps, &ncaps, optarg);
        break;
      case 't':
        o.tty = true;
        break;
      case OPT_CONSOLE:
        o.console_socket = optarg;
        break;
      case 'd':
        o.detach = true;
        break;
      case OPT_PID:
        o.pid_file = optarg;
        break;
      case OPT_NNP:
        o.no_new_privs = true;
        break;
      case OPT_PRESERVE:
        {
          uint64_t n;
          if (clr_parse_u64 (optarg, 65536, &n) < 0)
            return clr_usage_error (argv[0], "--preserve-fds: expected a number, got \"%s\"", optarg);
          o.preserve_fds = (int) n;
          break;
        }
      case 'l':
      case 'a':
        break; /* LSM labels: not applied by this build */
      case 'h':
        clr_cli_print_help ("clawrun exec [OPTIONS] ID [COMMAND [ARGS...]]",
                            "Run a new process inside a running container.  Without --detach the\n"
                            "exit status is the process's.",
                            lines);
        return 0;
      default:
        return clr_cli_bad_option (argv[0], c, argv);
      }
  if (optind >= argc)
    return clr_usage_error (argv[0], "missing container id");
  const char *id = argv[optind++];
  if (o.process_file && optind < argc)
    return clr_usage_error (argv[0], "--process and a command are mutually exclusive");
  o.args = argv + optind;
  clr_err err = { 0 };
  int status = clr_container_exec (g, id, &o, &err);
  free (o.env);
  free (o.additional_gids);
  free (o.caps);
  if (status < 0)
    {
      clr_log_error (&err);
      return 255;
    }
  return status;
}
