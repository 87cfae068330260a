/* clawrun list [-q] [--format table|json] */
#define _GNU_SOURCE
#include <dirent.h>
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "container.h"
#include "log.h"
#include "util.h"

struct row {
  char *id, *pid, *status, *bundle, *created, *owner;
};

static void
print_cell (const char *s, size_t width, bool last)
{
  if (last)
    printf ("%s\n", s);
  else
    printf ("%-*s", (int) (width + 3 > 12 ? width + 3 : 12), s);
}

int
cmd_list (struct clr_globals *g, int argc, char **argv)
{
  static const struct option opts[] = { { "quiet", no_argument, NULL, 'q' },
                                        { "format", required_argument, NULL, 'f' },
                                        { "help", no_argument, NULL, 'h' },
                                        { 0 } };
  static const char *const lines[] = { "-q, --quiet", "print only the container ids",
                                       "-f, --format FORMAT", "table (default) or json", NULL };
  bool quiet = false, json = false;
  opterr = 0;
  int c;
  while ((c = getopt_long (argc, argv, "+:qf:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'q':
        quiet = true;
        break;
      case 'f':
        if (strcmp (optarg, "json") == 0)
          json = true;
        else if (strcmp (optarg, "table") != 0)
          return clr_usage_error (argv[0], "--format: expected table or json, got \"%s\"", optarg);
        break;
      case 'h':
        clr_cli_print_help ("clawrun list [OPTIONS]", "List the containers under --root.", lines);
        return 0;
      default:
        return clr_cli_bad_option (argv[0], c, argv);
      }
  if (optind != argc)
    return clr_usage_error (argv[0], "too many arguments");

  struct row *rows = NULL;
  size_t n = 0;
  cleanup_close int rootfd = -1;
  clr_err err = { 0 };
  DIR *d = NULL;
  if (clr_root_open (g->root, false, &rootfd, &err) == 0)
    d = fdopendir (dup (rootfd));
  cleanup_json_gen yajl_gen gen = json ? clr_json_gen_new (false) : NULL;
  if (gen)
    yajl_gen_array_open (gen);
  struct dirent *de;
  while (d && (de = readdir (d)))
    {
      if (de->d_name[0] == '.' || clr_validate_id (de->d_name, &err) < 0)
        continue;
      struct clr_container ct;
      if (clr_container_load (g, de->d_name, false, &ct, &err) < 0)
        continue;
      const struct clr_state *st = ct.state;
      pid_t pid = ct.status == CLR_STATUS_STOPPED ? 0 : st->pid;
      if (gen)
        {
          yajl_gen_map_open (gen);
          clr_cli_kv_str (gen, "ociVersion", CLR_OCI_VERSION);
          clr_cli_kv_str (gen, "id", st->id);
          clr_cli_kv_int (gen, "pid", pid);
          clr_cli_kv_str (gen, "status", clr_status_name (ct.status));
          clr_cli_kv_str (gen, "bundle", st->bundle);
          clr_cli_kv_str (gen, "rootfs", st->rootfs);
          clr_cli_kv_str (gen, "created", st->created);
          clr_cli_kv_str (gen, "owner", st->owner);
          yajl_gen_map_close (gen);
        }
      else
        {
          rows = xrealloc (rows, (n + 1) * sizeof *rows);
          rows[n++] = (struct row){ xstrdup (st->id), xasprintf ("%d", pid),
                                    xstrdup (clr_status_name (ct.status)), xstrdup (st->bundle),
                                    xstrdup (st->created), xstrdup (st->owner) };
        }
      clr_container_release (&ct);
    }
  if (d)
    closedir (d);
  if (gen)
    {
      yajl_gen_array_close (gen);
      clr_json_gen_print (gen, stdout);
      return 0;
    }
  /* runc's tabwriter layout: min width 12, padding 3 */
  static const char *const hdr[] = { "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER" };
  size_t w[6];
  for (int i = 0; i < 6; i++)
    w[i] = strlen (hdr[i]);
  for (size_t r = 0; r < n; r++)
    {
      char *cols[6] = { rows[r].id, rows[r].pid, rows[r].status, rows[r].bundle, rows[r].created, rows[r].owner };
      for (int i = 0; i < 6; i++)
        if (strlen (cols[i]) > w[i])
          w[i] = strlen (cols[i]);
    }
  if (!quiet)
    {
      for (int i = 0; i < 6; i++)
        print_cell (hdr[i], w[i], i == 5);
    }
  for (size_t r = 0; r < n; r++)
    {
      char *cols[6] = { rows[r].id, rows[r].pid, rows[r].status, rows[r].bundle, rows[r].created, rows[r].owner };
      if (quiet)
        printf ("%s\n", rows[r].id);
      else
        for (int i = 0; i < 6; i++)
          print_cell (cols[i], w[i], i == 5);
      for (int i = 0; i < 6; i++)
        free (cols[i]);
    }
  free (rows);
  return 0;
}
