/* clawrun: command-line entry point (global flags, dispatch). */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdarg.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "log.h"
#include "selfexe.h"
#include "state.h"
#include "util.h"

static const struct
{
  const char *name;
  clr_cmd_fn fn;
  bool enters_container; /* needs the CVE-2019-5736 defence */
  const char *help;
} commands[] = {
  { "create", cmd_create, true, "create a container" },
  { "start", cmd_start, false, "start a created container" },
  { "run", cmd_run, true, "create and start a container (or a sandboxed session with --image)" },
  { "state", cmd_state, false, "print the state of a container" },
  { "kill", cmd_kill, false, "send a signal to the container's init (or all processes)" },
  { "delete", cmd_delete, false, "delete a container and everything it holds" },
  { "list", cmd_list, false, "list containers" },
  { "exec", cmd_exec, true, "run a new process inside a container" },
  { "ps", cmd_ps, false, "show the processes of a container" },
  { "pause", cmd_pause, false, "freeze all processes of a container" },
  { "resume", cmd_resume, false, "thaw a paused container" },
  { "update", cmd_update, false, "update the resource limits of a container" },
  { "events", cmd_events, false, "show container statistics and events" },
  { "stats", cmd_stats, false, "show a snapshot of the resource usage of containers" },
  { "features", cmd_features, false, "show the features this runtime supports" },
  { "spec", cmd_spec, false, "create a starter config.json" },
  { "verify", cmd_verify, false, "check that the session sandbox holds on this host" },
};

static void
print_version (void)
{
  printf ("clawrun version %s\ncommit: %s\nspec: %s\n", CLAWRUN_VERSION, CLAWRUN_COMMIT, CLR_OCI_VERSION);
}

static void
print_help (void)
{
  printf ("Usage: clawrun [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n\n"
          "clawrun is an OCI container runtime for untrusted AI-agent sessions,\n"
          "compatible with runc's command line.\n\nCommands:\n");
  for (size_t i = 0; i < CLR_ARRAY_SIZE (commands); i++)
    printf ("  %-10s %s\n", commands[i].name, commands[i].help);
  printf ("\nGlobal options:\n"
          "  --root DIR            state directory (default " CLR_DEFAULT_ROOT ")\n"
          "  --log FILE            also write diagnostics to FILE\n"
          "  --log-format FORMAT   text (default) or json\n"
          "  --debug               verbose diagnostics\n"
          "  --systemd-cgroup      manage cgroups through systemd (transient scopes)\n"
          "  --rootless VALUE      accepted and ignored\n"
          "  -v, --version         print the version\n"
          "  -h, --help            show this help\n\n"
          "Run 'clawrun COMMAND --help' for a command's options.\n");
}


int
main (int argc, char **argv)
{
  struct clr_globals g = { .root = CLR_DEFAULT_ROOT };
  enum { OPT_ROOT = 256, OPT_LOG, OPT_LOG_FORMAT, OPT_DEBUG, OPT_SYSTEMD, OPT_ROOTLESS, OPT_CRIU };
  static const struct option opts[] = {
    { "root", required_argument, NULL, OPT_ROOT },
    { "log", required_argument, NULL, OPT_LOG },
    { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
    { "debug", no_argument, NULL, OPT_DEBUG },
    { "systemd-cgroup", no_argument, NULL, OPT_SYSTEMD },
    { "rootless", optional_argument, NULL, OPT_ROOTLESS },
    { "criu", required_argument, NULL, OPT_CRIU },
    { "version", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  opterr = 0;
  int c;
  while ((c = getopt_long (argc, argv, "+:vh", opts, NULL)) != -1)
    switch (c)
      {
      case OPT_ROOT:
        g.root = optarg;
        break;
      case OPT_LOG:
        g.log_path = optarg;
        break;
      case OPT_LOG_FORMAT:
        if (strcmp (optarg, "json") == 0)
          g.log_json = true;
        else if (strcmp (optarg, "text") != 0)
          return clr_usage_error (NULL, "--log-format: expected text or json, got \"%s\"", optarg);
        break;
      case OPT_DEBUG:
        g.debug = true;
        break;
      case OPT_SYSTEMD:
        g.systemd_cgroup = true;
        break;
      case OPT_ROOTLESS:
        g.rootless = true;
        break;
      case OPT_CRIU:
        break;
      case 'v':
        print_version ();
        return 0;
      case 'h':
        print_help ();
        return 0;
      default:
        return clr_cli_bad_option (NULL, c, argv);
      }
  clr_log_setup (g.log_path, g.log_json, g.debug);
  if (optind >= argc)
    {
      print_help ();
      return 1;
    }
  if (g.root[0] == '\0')
    return clr_usage_error (NULL, "--root must not be empty");
  const char *name = argv[optind];
  for (size_t i = 0; i < CLR_ARRAY_SIZE (commands); i++)
    if (strcmp (commands[i].name, name) == 0)
      {
        if (commands[i].enters_container)
          {
            clr_err err = { 0 };
            if (clr_ensure_sealed_self (argv, &err) < 0)
              {
                clr_log_error (&err);
                return 1;
              }
          }
        int cargc = argc - optind;
        char **cargv = argv + optind;
        optind = 0; /* full getopt reset for the command's own parsing */
        return commands[i].fn (&g, cargc, cargv);
      }
  return clr_usage_error (NULL, "unknown command \"%s\"", name);
}
