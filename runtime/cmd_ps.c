/* clawrun ps [--format table|json] ID [PS OPTIONS]: like runc, the table comes from
 * ps(1) filtered to the container's processes. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <sys/wait.h>

#include "../cgroup/cgroup.h"
#include "cli.h"
#include "container.h"
#include "log.h"
#include "util.h"

static int
ps_table (pid_t *pids, size_t n, char **ps_args, clr_err *err)
{
  int pfd[2];
  if (pipe2 (pfd, O_CLOEXEC) < 0)
    return clr_fail (err, errno, "pipe");
  pid_t child = fork ();
  if (child < 0)
    return clr_fail (err, errno, "fork");
  if (child == 0)
    {
      dup2 (pfd[1], 1);
      size_t na = clr_strv_len (ps_args);
      char **argv = xcalloc (na + 3, sizeof (char *));
      argv[0] = (char *) "ps";
      if (na == 0)
        argv[1] = (char *) "-ef";
      for (size_t i = 0; i < na; i++)
        argv[i + 1] = ps_args[i];
      execvp ("ps", argv);
      _exit (127);
    }
  close (pfd[1]);
  cleanup_free char *out = NULL;
  int r = clr_read_fd (pfd[0], 16 << 20, &out, NULL, err);
  close (pfd[0]);
  int status;
  waitpid (child, &status, 0);
  if (r < 0)
    return -1;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return clr_fail (err, 0, "ps failed (status %d)", WIFEXITED (status) ? WEXITSTATUS (status) : -1);
  char *save = NULL;
  char *line = strtok_r (out, "\n", &save);
  if (!line)
    return 0;
  /* find the PID column in the header */
  int col = -1, i = 0;
  {
    cleanup_free char *h = xstrdup (line);
    char *s2 = NULL;
    for (char *t = strtok_r (h, " \t", &s2); t; t = strtok_r (NULL, " \t", &s2), i++)
      if (strcmp (t, "PID") == 0)
        col = i;
  }
  if (col < 0)
    return clr_fail (err, 0, "ps: no PID column in the output");
  printf ("%s\n", line);
  while ((line = strtok_r (NULL, "\n", &save)))
    {
      cleanup_free char *l = xstrdup (line);
      char *s2 = NULL, *t = strtok_r (l, " \t", &s2);
      for (int k = 0; t && k < col; k++)
        t = strtok_r (NULL, " \t", &s2);
      int64_t pid;
      if (t && clr_parse_i64 (t, 1, INT32_MAX, &pid) == 0)
        for (size_t k = 0; k < n; k++)
          if (pids[k] == pid)
            {
              printf ("%s\n", line);
              break;
            }
    }
  return 0;
}

int
cmd_ps (struct clr_globals *g, int argc, char **argv)
{
  static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
                                        { "help", no_argument, NULL, 'h' },
                                        { 0 } };
  static const char *const lines[] = { "-f, --format FORMAT", "table (default) or json (an array of host pids)", NULL };
  bool json = false;
  opterr = 0;
  int c;
  while ((c = getopt_long (argc, argv, "+:f:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        if (strcmp (optarg, "json") == 0)
          json = true;
        else if (strcmp (optarg, "table") != 0)
          return clr_usage_error (argv[0], "--format: expected table or json, got \"%s\"", optarg);
        break;
      case 'h':
        clr_cli_print_help ("clawrun ps [OPTIONS] ID [PS OPTIONS]",
                            "Show the processes running in a container.", lines);
        return 0;
      default:
        return clr_cli_bad_option (argv[0], c, argv);
      }
  if (optind >= argc)
    return clr_usage_error (argv[0], "missing container id");
  const char *id = argv[optind];
  clr_err err = { 0 };
  struct clr_container ct;
  if (clr_container_load (g, id, false, &ct, &err) < 0)
    {
      clr_log_error (&err);
      return 1;
    }
  cleanup_cgroup struct clr_cgroup *cg = NULL;
  pid_t *pids = NULL;
  size_t n = 0;
  int ret = 1;
  if (clr_cgroup_open (ct.state->cgroup_path, &cg, &err) < 0 || clr_cgroup_pids (cg, &pids, &n, &err) < 0)
    goto out;
  if (json)
    {
      cleanup_json_gen yajl_gen gen = clr_json_gen_new (false);
      yajl_gen_array_open (gen);
      for (size_t i = 0; i < n; i++)
        yajl_gen_integer (gen, pids[i]);
      yajl_gen_array_close (gen);
      clr_json_gen_print (gen, stdout);
      ret = 0;
    }
  else if (json == false && ct.status == CLR_STATUS_STOPPED && n == 0)
    {
      clr_fail (&err, 0, "container %s is not running", id);
    }
  else if (ps_table (pids, n, argv + optind + 1, &err) == 0)
    ret = 0;
out:
  if (ret)
    clr_log_error (&err);
  free (pids);
  clr_container_release (&ct);
  return ret;
}
