/* clawrun stats [--format table|json] [ID...]: a resource usage snapshot of containers,
 * like `docker stats --no-stream` (every live container under --root when no ID is
 * given):
 *
 *   ID        CPU %     MEM USAGE / LIMIT     MEM %     PIDS
 *   web       0.52%     1.93MiB / 512MiB      0.38%     3
 *
 * CPU % is docker's: CPU time used over a ~100 ms window divided by the wall time, so
 * 100% is one CPU's worth.  Memory usage leaves out inactive page cache as docker does;
 * an unlimited (or above the host's RAM) limit shows the host's MemTotal.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "../cgroup/cgroup.h"
#include "../cgroup/stats.h"
#include "cli.h"
#include "container.h"
#include "log.h"
#include "util.h"

/* The CPU sampling window. */
#define SAMPLE_MS 100

struct target
{
  char *id;
  struct clr_cgroup *cg;
  bool cgroup_gone;
  uint64_t cpu0, cpu1;
  int64_t t0, t1;
  double cpu_percent;
  uint64_t mem_usage, mem_limit;
  double mem_percent;
  uint64_t pids;
};

static int64_t
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
targets_free (struct target *t, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (t[i].id);
      clr_cgroup_free (t[i].cg);
    }
  free (t);
}

/* Open the container's cgroup.  EXPLICIT: named on the command line (a stopped one is
 * shown too; when listing all, only live ones are). */
static int
add_target (struct clr_globals *g, const char *id, bool explicit, struct target **v, size_t *n,
            clr_err *err)
{
  struct clr_container c;
  if (clr_container_load (g, id, false, &c, err) < 0)
    return -1;
  int ret = 0;
  if (explicit || c.status != CLR_STATUS_STOPPED)
    {
      struct clr_cgroup *cg = NULL;
      if (clr_cgroup_open (c.state->cgroup_path, &cg, err) < 0)
        ret = -1;
      else
        {
          *v = xrealloc (*v, (*n + 1) * sizeof **v);
          (*v)[(*n)++] = (struct target){ .id = xstrdup (id), .cg = cg };
        }
    }
  clr_container_release (&c);
  return ret;
}

static int
cmp_target (const void *a, const void *b)
{
  return strcmp (((const struct target *) a)->id, ((const struct target *) b)->id);
}

static int
all_targets (struct clr_globals *g, struct target **v, size_t *n, clr_err *err)
{
  cleanup_close int rootfd = -1;
  if (clr_root_open (g->root, false, &rootfd, err) < 0)
    return err->code == ENOENT ? 0 : -1; /* no root yet: no containers */
  DIR *d = fdopendir (dup (rootfd));
  if (d == NULL)
    return clr_fail (err, errno, "opendir %s", g->root);
  struct dirent *de;
  while ((de = readdir (d)))
    {
      clr_err e;
      if (de->d_name[0] == '.' || clr_validate_id (de->d_name, &e) < 0)
        continue;
      /* a container deleted meanwhile is simply not listed */
      (void) add_target (g, de->d_name, false, v, n, &e);
    }
  closedir (d);
  qsort (*v, *n, sizeof **v, cmp_target);
  return 0;
}

static void
sleep_ms (int ms)
{
  struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
}

static uint64_t
raw_value (const struct clr_cgroup_stats *s, const char *key, bool *found)
{
  for (size_t i = 0; i < s->memory.n_raw; i++)
    if (strcmp (s->memory.raw[i].key, key) == 0)
      {
        *found = true;
        return s->memory.raw[i].value;
      }
  *found = false;
  return 0;
}

/* The numbers of one container, after the second CPU sample. */
static int
measure (struct target *t, uint64_t mem_total, clr_err *err)
{
  struct clr_cgroup_stats s;
  int r = clr_cgroup_stats (t->cg, &s, err);
  if (r < 0)
    {
      clr_cgroup_stats_release (&s);
      if (err->code == ENOENT)
        {
          t->cgroup_gone = true;
          t->mem_limit = mem_total;
          return 0;
        }
      return -1;
    }
  if (!t->cgroup_gone && t->t1 > t->t0 && t->cpu1 >= t->cpu0)
    t->cpu_percent = (double) (t->cpu1 - t->cpu0) / (double) (t->t1 - t->t0) * 100.0;

  /* docker's calculateMemUsageUnixNoCache: inactive file pages can be reclaimed at once */
  bool found;
  uint64_t inactive = raw_value (&s, t->cg->mode == CLR_CGROUP_UNIFIED ? "inactive_file"
                                                                      : "total_inactive_file",
                                 &found);
  t->mem_usage = s.memory.usage.usage;
  if (found && inactive < t->mem_usage)
    t->mem_usage -= inactive;
  t->mem_limit = s.memory.usage.limit;
  if (mem_total && (t->mem_limit == 0 || t->mem_limit > mem_total))
    t->mem_limit = mem_total;
  if (t->mem_limit)
    t->mem_percent = (double) t->mem_usage / (double) t->mem_limit * 100.0;
  t->pids = s.pids.current;
  clr_cgroup_stats_release (&s);
  return 0;
}

/* docker/go-units BytesSize: "%.4g" with binary units. */
static void
human (char *buf, size_t len, uint64_t v)
{
  static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
  double d = (double) v;
  size_t u = 0;
  while (d >= 1024 && u + 1 < CLR_ARRAY_SIZE (units))
    {
      d /= 1024;
      u++;
    }
  snprintf (buf, len, "%.4g%s", d, units[u]);
}

static void
print_table (const struct target *t, size_t n)
{
  enum { NCOL = 5 };
  static const char *const hdr[NCOL] = { "ID", "CPU %", "MEM USAGE / LIMIT", "MEM %", "PIDS" };
  char *(*cells)[NCOL] = xcalloc (n ? n : 1, sizeof *cells);
  size_t w[NCOL];
  for (int c = 0; c < NCOL; c++)
    w[c] = strlen (hdr[c]);
  for (size_t i = 0; i < n; i++)
    {
      char u[32], l[32];
      human (u, sizeof u, t[i].mem_usage);
      human (l, sizeof l, t[i].mem_limit);
      cells[i][0] = xstrdup (t[i].id);
      cells[i][1] = xasprintf ("%.2f%%", t[i].cpu_percent);
      cells[i][2] = xasprintf ("%s / %s", u, l);
      cells[i][3] = xasprintf ("%.2f%%", t[i].mem_percent);
      cells[i][4] = xasprintf ("%" PRIu64, t[i].pids);
      for (int c = 0; c < NCOL; c++)
        if (strlen (cells[i][c]) > w[c])
          w[c] = strlen (cells[i][c]);
    }
  /* docker's tabwriter: minimum width 10, padding 3 */
  for (int c = 0; c < NCOL; c++)
    w[c] = w[c] + 3 > 10 ? w[c] + 3 : 10;
  for (size_t i = 0; i <= n; i++)
    for (int c = 0; c < NCOL; c++)
      {
        const char *s = i == 0 ? hdr[c] : cells[i - 1][c];
        if (c == NCOL - 1)
          printf ("%s\n", s);
        else
          printf ("%-*s", (int) w[c], s);
      }
  for (size_t i = 0; i < n; i++)
    for (int c = 0; c < NCOL; c++)
      free (cells[i][c]);
  free (cells);
  fflush (stdout);
}

static void
kv_fixed2 (yajl_gen g, const char *key, double v)
{
  char buf[64];
  int n = snprintf (buf, sizeof buf, "%.2f", v);
  clr_json_str (g, key);
  yajl_gen_number (g, buf, n);
}

static void
kv_u64 (yajl_gen g, const char *key, uint64_t v)
{
  char buf[32];
  int n = snprintf (buf, sizeof buf, "%" PRIu64, v);
  clr_json_str (g, key);
  yajl_gen_number (g, buf, n);
}

static int
print_json (const struct target *t, size_t n)
{
  cleanup_json_gen yajl_gen g = clr_json_gen_new (false);
  yajl_gen_array_open (g);
  for (size_t i = 0; i < n; i++)
    {
      yajl_gen_map_open (g);
      clr_cli_kv_str (g, "id", t[i].id);
      kv_fixed2 (g, "cpu_percent", t[i].cpu_percent);
      kv_u64 (g, "memory_usage", t[i].mem_usage);
      kv_u64 (g, "memory_limit", t[i].mem_limit);
      kv_fixed2 (g, "memory_percent", t[i].mem_percent);
      kv_u64 (g, "pids", t[i].pids);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  return clr_json_gen_print (g, stdout);
}

int
cmd_stats (struct clr_globals *g, int argc, char **argv)
{
  static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
                                        { "no-stream", no_argument, NULL, 'n' },
                                        { "help", no_argument, NULL, 'h' },
                                        { 0 } };
  static const char *const lines[] = {
    "-f, --format FORMAT", "table (default) or json",
    "--no-stream", "accepted for docker's muscle memory (one snapshot is all there is)",
    NULL,
  };
  bool json = false;
  opterr = 0;
  int c;
  while ((c = getopt_long (argc, argv, "+:f:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        if (strcmp (optarg, "json") == 0)
          json = true;
        else if (strcmp (optarg, "table") == 0)
          json = false;
        else
          return clr_usage_error (argv[0], "invalid value for --format: \"%s\": expected table or json", optarg);
        break;
      case 'n':
        break;
      case 'h':
        clr_cli_print_help ("clawrun stats [OPTIONS] [ID...]",
                            "Show a snapshot of the CPU, memory and process usage of containers\n"
                            "(every created, running or paused one when no ID is given).",
                            lines);
        return 0;
      default:
        return clr_cli_bad_option (argv[0], c, argv);
      }

  clr_err err = { 0 };
  struct target *t = NULL;
  size_t n = 0;
  int ret = 1;
  if (optind < argc)
    {
      for (int i = optind; i < argc; i++)
        if (add_target (g, argv[i], true, &t, &n, &err) < 0)
          goto out;
    }
  else if (all_targets (g, &t, &n, &err) < 0)
    goto out;

  for (size_t i = 0; i < n; i++)
    {
      clr_err e;
      t[i].t0 = now_ns ();
      if (clr_cgroup_cpu_usage (t[i].cg, &t[i].cpu0, &e) < 0)
        t[i].cgroup_gone = true;
    }
  if (n > 0)
    sleep_ms (SAMPLE_MS);
  uint64_t mem_total = clr_host_mem_total ();
  for (size_t i = 0; i < n; i++)
    {
      clr_err e;
      t[i].t1 = now_ns ();
      if (clr_cgroup_cpu_usage (t[i].cg, &t[i].cpu1, &e) < 0)
        t[i].cgroup_gone = true;
      if (measure (&t[i], mem_total, &err) < 0)
        goto out;
    }
  if (json)
    {
      if (print_json (t, n) < 0)
        {
          clr_fail (&err, errno, "write to stdout");
          goto out;
        }
    }
  else
    print_table (t, n);
  ret = 0;
out:
  if (ret)
    clr_log_error (&err);
  targets_free (t, n);
  return ret;
}
