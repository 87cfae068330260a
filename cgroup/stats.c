/* clawrun: cgroup resource usage (see stats.h).
 *
 * The files and conversions follow runc's libcontainer/cgroups/fs (v1) and fs2 (v2)
 * GetStats, so that `clawrun events --stats` reports what `runc events --stats` would
 * for the same cgroup.  A cgroup may vanish while we read it (the container exits and
 * is deleted): a file that is gone then reads as 0 rather than failing the sample.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "internal.h"
#include "stats.h"
#include "../runtime/util.h"

/* Larger stat files than this are an error (memory.stat is a few KiB). */
#define MAX_STAT_FILE (1 << 20)



static bool
dir_exists (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

/* DIR/FILE into *OUT; 1 when read, 0 when the file (or DIR) does not exist. */
static int
read_opt (const char *dir, const char *file, char **out, clr_err *err)
{
  *out = NULL;
  if (dir == NULL)
    return 0;
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);
  clr_err e = { 0 };
  if (clr_read_file (path, MAX_STAT_FILE, out, NULL, &e) < 0)
    {
      /* ENODEV: a v1 file of a controller the kernel has disabled */
      if (e.code == ENOENT || e.code == ENODEV)
        return 0;
      *err = e;
      return -1;
    }
  return 1;
}

/* One unsigned number; "max" (v2's "no limit") is UINT64_MAX.  A negative value (v1's
 * "-1" in some files) reads as 0. */
static bool
parse_u64_tok (const char *s, uint64_t *v)
{
  while (*s == ' ' || *s == '\t')
    s++;
  if (strncmp (s, "max", 3) == 0 && (s[3] == '\0' || isspace ((unsigned char) s[3])))
    {
      *v = UINT64_MAX;
      return true;
    }
  if (*s == '-')
    {
      *v = 0;
      return isdigit ((unsigned char) s[1]);
    }
  if (!isdigit ((unsigned char) *s))
    return false;
  char *end;
  errno = 0;
  unsigned long long x = strtoull (s, &end, 10);
  if (errno != 0 || (*end != '\0' && !isspace ((unsigned char) *end)))
    return false;
  *v = x;
  return true;
}

/* DIR/FILE as a single number; a missing file leaves *V at 0. */
static int
read_u64 (const char *dir, const char *file, uint64_t *v, clr_err *err)
{
  cleanup_free char *buf = NULL;
  int r = read_opt (dir, file, &buf, err);
  *v = 0;
  if (r <= 0)
    return r;
  if (!parse_u64_tok (buf, v))
    return clr_fail (err, EINVAL, "read %s/%s: not a number: \"%.32s\"", dir, file, buf);
  return 0;
}

/* The value of KEY in a "key value\n" file body (cpu.stat, memory.events...). */
static bool
kv_lookup (const char *body, const char *key, uint64_t *v)
{
  size_t kl = strlen (key);
  for (const char *l = body; l && *l; l = strchr (l, '\n') ? strchr (l, '\n') + 1 : NULL)
    if (strncmp (l, key, kl) == 0 && l[kl] == ' ')
      return parse_u64_tok (l + kl + 1, v);
  return false;
}

static int
read_kv (const char *dir, const char *file, const char *key, uint64_t *v, bool *found,
         clr_err *err)
{
  cleanup_free char *buf = NULL;
  *v = 0;
  if (found)
    *found = false;
  int r = read_opt (dir, file, &buf, err);
  if (r <= 0)
    return r;
  bool ok = kv_lookup (buf, key, v);
  if (found)
    *found = ok;
  return 0;
}

/* A whitespace-separated list of numbers (cpuacct.usage_percpu). */
static void
parse_u64_list (const char *s, uint64_t **out, size_t *n)
{
  uint64_t *v = NULL;
  size_t k = 0;
  while (*s)
    {
      while (*s && isspace ((unsigned char) *s))
        s++;
      if (!*s)
        break;
      uint64_t x;
      if (!parse_u64_tok (s, &x))
        break;
      v = xrealloc (v, (k + 1) * sizeof *v);
      v[k++] = x;
      while (*s && !isspace ((unsigned char) *s))
        s++;
    }
  *out = v;
  *n = k;
}

/* ---------------------------------------------------------------- cpu */

static int
cpu_v1 (struct clr_cgroup *cg, struct clr_cgroup_stats *s, clr_err *err)
{
  cleanup_free char *acct = clr_cg_ctrl_dir (cg, "cpuacct");
  cleanup_free char *cpu = clr_cg_ctrl_dir (cg, "cpu");
  cleanup_free char *buf = NULL;
  if (read_u64 (acct, "cpuacct.usage", &s->cpu.total, err) < 0)
    return -1;
  int r = read_opt (acct, "cpuacct.usage_percpu", &buf, err);
  if (r < 0)
    return -1;
  if (r > 0)
    parse_u64_list (buf, &s->cpu.percpu, &s->cpu.n_percpu);

  /* cpuacct.usage_all: "cpu user system" then one line per cpu, in ns */
  free (buf);
  r = read_opt (acct, "cpuacct.usage_all", &buf, err);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      char *save = NULL;
      strtok_r (buf, "\n", &save); /* header */
      for (char *l = strtok_r (NULL, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
        {
          unsigned long long c, u, k;
          if (sscanf (l, "%llu %llu %llu", &c, &u, &k) != 3)
            continue;
          size_t i = s->cpu.n_percpu_user++;
          s->cpu.n_percpu_kernel++;
          s->cpu.percpu_user = xrealloc (s->cpu.percpu_user, (i + 1) * sizeof (uint64_t));
          s->cpu.percpu_kernel = xrealloc (s->cpu.percpu_kernel, (i + 1) * sizeof (uint64_t));
          s->cpu.percpu_user[i] = u;
          s->cpu.percpu_kernel[i] = k;
        }
    }

  /* cpuacct.stat counts USER_HZ ticks */
  free (buf);
  r = read_opt (acct, "cpuacct.stat", &buf, err);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      long hz = sysconf (_SC_CLK_TCK);
      uint64_t ns_per_tick = hz > 0 ? 1000000000ULL / (uint64_t) hz : 10000000ULL;
      uint64_t v;
      if (kv_lookup (buf, "user", &v))
        s->cpu.user = v * ns_per_tick;
      if (kv_lookup (buf, "system", &v))
        s->cpu.kernel = v * ns_per_tick;
    }

  free (buf);
  r = read_opt (cpu, "cpu.stat", &buf, err);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      kv_lookup (buf, "nr_periods", &s->cpu.periods);
      kv_lookup (buf, "nr_throttled", &s->cpu.throttled_periods);
      kv_lookup (buf, "throttled_time", &s->cpu.throttled_time);
    }
  return 0;
}

static int
cpu_v2 (struct clr_cgroup *cg, struct clr_cgroup_stats *s, clr_err *err)
{
  cleanup_free char *dir = clr_cg_ctrl_dir (cg, "cpu");
  cleanup_free char *buf = NULL;
  int r = read_opt (dir, "cpu.stat", &buf, err);
  if (r <= 0)
    return r;
  uint64_t v;
  /* microseconds in v2 */
  if (kv_lookup (buf, "usage_usec", &v))
    s->cpu.total = v * 1000;
  if (kv_lookup (buf, "user_usec", &v))
    s->cpu.user = v * 1000;
  if (kv_lookup (buf, "system_usec", &v))
    s->cpu.kernel = v * 1000;
  kv_lookup (buf, "nr_periods", &s->cpu.periods);
  kv_lookup (buf, "nr_throttled", &s->cpu.throttled_periods);
  if (kv_lookup (buf, "throttled_usec", &v))
    s->cpu.throttled_time = v * 1000;
  return 0;
}

int
clr_cgroup_cpu_usage (struct clr_cgroup *cg, uint64_t *ns, clr_err *err)
{
  if (!clr_cg_is_v2 (cg))
    {
      cleanup_free char *acct = clr_cg_ctrl_dir (cg, "cpuacct");
      return read_u64 (acct, "cpuacct.usage", ns, err);
    }
  cleanup_free char *dir = clr_cg_ctrl_dir (cg, "cpu");
  uint64_t us;
  if (read_kv (dir, "cpu.stat", "usage_usec", &us, NULL, err) < 0)
    return -1;
  *ns = us * 1000;
  return 0;
}

/* ---------------------------------------------------------------- cpuset */

/* Larger lists than this are not a real machine's (and would be a huge array). */
#define MAX_CPUSET_ENTRIES 65536

/* "0-3,8,10-11\n" -> 0 1 2 3 8 10 11 */
static void
parse_cpuset_list (const char *s, uint16_t **out, size_t *n)
{
  uint16_t *v = NULL;
  size_t k = 0;
  while (*s && *s != '\n')
    {
      char *end;
      unsigned long a = strtoul (s, &end, 10), b = a;
      if (end == s)
        break;
      s = end;
      if (*s == '-')
        {
          b = strtoul (s + 1, &end, 10);
          if (end == s + 1)
            break;
          s = end;
        }
      for (unsigned long i = a; i <= b && i <= UINT16_MAX && k < MAX_CPUSET_ENTRIES; i++)
        {
          v = xrealloc (v, (k + 1) * sizeof *v);
          v[k++] = (uint16_t) i;
        }
      if (*s == ',')
        s++;
    }
  *out = v;
  *n = k;
}

static int
cpuset_stats (struct clr_cgroup *cg, struct clr_cgroup_stats *s, clr_err *err)
{
  cleanup_free char *dir = clr_cg_ctrl_dir (cg, "cpuset");
  cleanup_free char *cpus = NULL, *mems = NULL;
  /* v2: what the cgroup actually gets (cpuset.cpus is often empty: inherit) */
  if (read_opt (dir, clr_cg_is_v2 (cg) ? "cpuset.cpus.effective" : "cpuset.cpus", &cpus, err) < 0
      || read_opt (dir, clr_cg_is_v2 (cg) ? "cpuset.mems.effective" : "cpuset.mems", &mems, err) < 0)
    return -1;
  if (cpus)
    parse_cpuset_list (cpus, &s->cpuset.cpus, &s->cpuset.n_cpus);
  if (mems)
    parse_cpuset_list (mems, &s->cpuset.mems, &s->cpuset.n_mems);
  if (clr_cg_is_v2 (cg))
    return 0;
  static const char *const files[] = {
    "cpuset.cpu_exclusive",      "cpuset.mem_hardwall",        "cpuset.mem_exclusive",
    "cpuset.memory_migrate",     "cpuset.memory_spread_page",  "cpuset.memory_spread_slab",
    "cpuset.memory_pressure",    "cpuset.sched_load_balance",
  };
  uint64_t *dst[] = { &s->cpuset.cpu_exclusive,      &s->cpuset.mem_hardwall,
                      &s->cpuset.mem_exclusive,      &s->cpuset.memory_migrate,
                      &s->cpuset.memory_spread_page, &s->cpuset.memory_spread_slab,
                      &s->cpuset.memory_pressure,    &s->cpuset.sched_load_balance };
  for (size_t i = 0; i < CLR_ARRAY_SIZE (files); i++)
    if (read_u64 (dir, files[i], dst[i], err) < 0)
      return -1;
  /* signed: -1 is "the system default" */
  cleanup_free char *lvl = NULL;
  int r = read_opt (dir, "cpuset.sched_relax_domain_level", &lvl, err);
  if (r < 0)
    return -1;
  if (r > 0)
    s->cpuset.sched_relax_domain_level = strtoll (lvl, NULL, 10);
  return 0;
}

/* ---------------------------------------------------------------- memory */

static int
read_raw (const char *dir, struct clr_cgroup_stats *s, clr_err *err)
{
  cleanup_free char *buf = NULL;
  int r = read_opt (dir, "memory.stat", &buf, err);
  if (r <= 0)
    return r;
  char *save = NULL;
  for (char *l = strtok_r (buf, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    {
      char *sp = strchr (l, ' ');
      uint64_t v;
      if (sp == NULL || !parse_u64_tok (sp + 1, &v))
        continue;
      s->memory.raw = xrealloc (s->memory.raw, (s->memory.n_raw + 1) * sizeof *s->memory.raw);
      s->memory.raw[s->memory.n_raw].key = xasprintf ("%.*s", (int) (sp - l), l);
      s->memory.raw[s->memory.n_raw++].value = v;
    }
  return 0;
}

static uint64_t
raw_get (const struct clr_cgroup_stats *s, const char *key)
{
  for (size_t i = 0; i < s->memory.n_raw; i++)
    if (strcmp (s->memory.raw[i].key, key) == 0)
      return s->memory.raw[i].value;
  return 0;
}

/* v1: PREFIX.usage_in_bytes, .limit_in_bytes, .max_usage_in_bytes, .failcnt */
static int
mem_entry_v1 (const char *dir, const char *prefix, struct clr_cgroup_mem_entry *e, clr_err *err)
{
  static const char *const names[] = { "usage_in_bytes", "limit_in_bytes", "max_usage_in_bytes", "failcnt" };
  uint64_t *dst[] = { &e->usage, &e->limit, &e->max, &e->failcnt };
  for (size_t i = 0; i < CLR_ARRAY_SIZE (names); i++)
    {
      cleanup_free char *file = xasprintf ("%s.%s", prefix, names[i]);
      if (read_u64 (dir, file, dst[i], err) < 0)
        return -1;
    }
  return 0;
}

static int
memory_v1 (struct clr_cgroup *cg, struct clr_cgroup_stats *s, clr_err *err)
{
  cleanup_free char *dir = clr_cg_ctrl_dir (cg, "memory");
  if (mem_entry_v1 (dir, "memory", &s->memory.usage, err) < 0
      || mem_entry_v1 (dir, "memory.memsw", &s->memory.swap, err) < 0
      || mem_entry_v1 (dir, "memory.kmem", &s->memory.kernel, err) < 0
      || mem_entry_v1 (dir, "memory.kmem.tcp", &s->memory.kernel_tcp, err) < 0
      || read_raw (dir, s, err) < 0)
    return -1;
  s->memory.cache = raw_get (s, "cache");
  return 0;
}

/* v2: PREFIX.current, .max, .peak; failcnt is the "max" count of memory.events */
static int
mem_entry_v2 (const char *dir, const char *prefix, struct clr_cgroup_mem_entry *e, clr_err *err)
{
  cleanup_free char *cur = xasprintf ("%s.current", prefix);
  cleanup_free char *max = xasprintf ("%s.max", prefix);
  cleanup_free char *peak = xasprintf ("%s.peak", prefix);
  cleanup_free char *events = xasprintf ("%s.events", prefix);
  if (read_u64 (dir, cur, &e->usage, err) < 0 || read_u64 (dir, max, &e->limit, err) < 0
      || read_u64 (dir, peak, &e->max, err) < 0
      || read_kv (dir, events, "max", &e->failcnt, NULL, err) < 0)
    return -1;
  return 0;
}

static int
memory_v2 (struct clr_cgroup *cg, struct clr_cgroup_stats *s, clr_err *err)
{
  cleanup_free char *dir = clr_cg_ctrl_dir (cg, "memory");
  if (mem_entry_v2 (dir, "memory", &s->memory.usage, err) < 0
      || mem_entry_v2 (dir, "memory.swap", &s->memory.swap, err) < 0 || read_raw (dir, s, err) < 0)
    return -1;
  /* v1 compatibility, as runc: swap is reported as memory+swap */
  s->memory.swap.usage += s->memory.usage.usage;
  if (s->memory.swap.limit != UINT64_MAX)
    s->memory.swap.limit = s->memory.usage.limit == UINT64_MAX
                               ? UINT64_MAX
                               : s->memory.swap.limit + s->memory.usage.limit;
  s->memory.cache = raw_get (s, "file");
  return 0;
}

/* ---------------------------------------------------------------- pids */

static int
pids_stats (struct clr_cgroup *cg, struct clr_cgroup_stats *s, clr_err *err)
{
  cleanup_free char *dir = clr_cg_ctrl_dir (cg, "pids");
  if (read_u64 (dir, "pids.current", &s->pids.current, err) < 0
      || read_u64 (dir, "pids.max", &s->pids.limit, err) < 0)
    return -1;
  if (s->pids.limit == UINT64_MAX)
    s->pids.limit = 0; /* runc: 0 is "no limit" */
  return 0;
}

/* ---------------------------------------------------------------- block I/O */

static void
blkio_push (struct clr_cgroup_blkio_entry **v, size_t *n, uint64_t major, uint64_t minor,
            const char *op, uint64_t value)
{
  *v = xrealloc (*v, (*n + 1) * sizeof **v);
  struct clr_cgroup_blkio_entry *e = &(*v)[(*n)++];
  e->major = major;
  e->minor = minor;
  snprintf (e->op, sizeof e->op, "%s", op);
  e->value = value;
}

/* v1 "MAJ:MIN Op VALUE" lines (the trailing "Total VALUE" line has no device). */
static int
blkio_v1_file (const char *dir, const char *file, struct clr_cgroup_blkio_entry **v, size_t *n,
               clr_err *err)
{
  cleanup_free char *buf = NULL;
  int r = read_opt (dir, file, &buf, err);
  if (r <= 0)
    return r;
  char *save = NULL;
  for (char *l = strtok_r (buf, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    {
      unsigned long long maj, min, val;
      char op[16];
      if (sscanf (l, "%llu:%llu %15s %llu", &maj, &min, op, &val) == 4)
        blkio_push (v, n, maj, min, op, val);
    }
  return 0;
}

static int
blkio_v1 (struct clr_cgroup *cg, struct clr_cgroup_stats *s, clr_err *err)
{
  cleanup_free char *dir = clr_cg_ctrl_dir (cg, "blkio");
  /* runc's order: the I/O scheduler's own counters (BFQ, then CFQ) when they have
   * anything, else the throttling layer's, which sees every request */
  static const char *const prefixes[] = { "blkio.bfq.", "blkio.", "blkio.throttle." };
  for (size_t i = 0; i < CLR_ARRAY_SIZE (prefixes); i++)
    {
      cleanup_free char *bytes = xasprintf ("%sio_service_bytes_recursive", prefixes[i]);
      cleanup_free char *ios = xasprintf ("%sio_serviced_recursive", prefixes[i]);
      if (blkio_v1_file (dir, bytes, &s->blkio.service_bytes, &s->blkio.n_service_bytes, err) < 0
          || blkio_v1_file (dir, ios, &s->blkio.serviced, &s->blkio.n_serviced, err) < 0)
        return -1;
      if (s->blkio.n_service_bytes > 0 || s->blkio.n_serviced > 0)
        break;
    }
  return 0;
}

static int
blkio_v2 (struct clr_cgroup *cg, struct clr_cgroup_stats *s, clr_err *err)
{
  cleanup_free char *dir = clr_cg_ctrl_dir (cg, "io");
  cleanup_free char *buf = NULL;
  int r = read_opt (dir, "io.stat", &buf, err);
  if (r <= 0)
    return r;
  char *save = NULL;
  for (char *l = strtok_r (buf, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    {
      unsigned long long maj, min;
      int off = 0;
      if (sscanf (l, "%llu:%llu%n", &maj, &min, &off) != 2)
        continue;
      char *s2 = NULL;
      for (char *t = strtok_r (l + off, " ", &s2); t; t = strtok_r (NULL, " ", &s2))
        {
          char *eq = strchr (t, '=');
          uint64_t v;
          if (eq == NULL || !parse_u64_tok (eq + 1, &v))
            continue;
          *eq = '\0';
          if (strcmp (t, "rbytes") == 0)
            blkio_push (&s->blkio.service_bytes, &s->blkio.n_service_bytes, maj, min, "Read", v);
          else if (strcmp (t, "wbytes") == 0)
            blkio_push (&s->blkio.service_bytes, &s->blkio.n_service_bytes, maj, min, "Write", v);
          else if (strcmp (t, "rios") == 0)
            blkio_push (&s->blkio.serviced, &s->blkio.n_serviced, maj, min, "Read", v);
          else if (strcmp (t, "wios") == 0)
            blkio_push (&s->blkio.serviced, &s->blkio.n_serviced, maj, min, "Write", v);
        }
    }
  return 0;
}

/* ---------------------------------------------------------------- hugetlb */

/* "hugepages-2048kB" -> "2MB" (runc's HugePageSizes naming). */
static bool
hugepage_name (const char *dirent, char *out, size_t len)
{
  unsigned long long kb;
  char unit[4] = "";
  if (sscanf (dirent, "hugepages-%llu%3s", &kb, unit) != 2 || strcmp (unit, "kB") != 0)
    return false;
  static const char *const units[] = { "KB", "MB", "GB", "TB", "PB" };
  size_t u = 0;
  while (kb >= 1024 && kb % 1024 == 0 && u + 1 < CLR_ARRAY_SIZE (units))
    {
      kb /= 1024;
      u++;
    }
  snprintf (out, len, "%llu%s", kb, units[u]);
  return true;
}

static int
hugetlb_stats (struct clr_cgroup *cg, struct clr_cgroup_stats *s, clr_err *err)
{
  cleanup_free char *dir = clr_cg_ctrl_dir (cg, "hugetlb");
  if (dir == NULL || !dir_exists (dir))
    return 0;
  DIR *d = opendir ("/sys/kernel/mm/hugepages");
  if (d == NULL)
    return 0;
  int ret = 0;
  struct dirent *de;
  while ((de = readdir (d)))
    {
      char size[16];
      if (!hugepage_name (de->d_name, size, sizeof size))
        continue;
      struct clr_cgroup_hugetlb h = { 0 };
      snprintf (h.size, sizeof h.size, "%s", size);
      cleanup_free char *usage = xasprintf ("hugetlb.%s.%s", size, clr_cg_is_v2 (cg) ? "current" : "usage_in_bytes");
      cleanup_free char *limit_file = xasprintf ("hugetlb.%s.%s", size, clr_cg_is_v2 (cg) ? "max" : "limit_in_bytes");
      cleanup_free char *probe = NULL;
      int r = read_opt (dir, limit_file, &probe, err);
      if (r < 0)
        {
          ret = -1;
          break;
        }
      if (r == 0)
        continue; /* this size is not enabled in the cgroup */
      if (read_u64 (dir, usage, &h.usage, err) < 0)
        {
          ret = -1;
          break;
        }
      if (clr_cg_is_v2 (cg))
        {
          /* no max usage in v2; failcnt is the "max" count of hugetlb.SIZE.events */
          cleanup_free char *events = xasprintf ("hugetlb.%s.events", size);
          if (read_kv (dir, events, "max", &h.failcnt, NULL, err) < 0)
            {
              ret = -1;
              break;
            }
        }
      else
        {
          cleanup_free char *max = xasprintf ("hugetlb.%s.max_usage_in_bytes", size);
          cleanup_free char *fc = xasprintf ("hugetlb.%s.failcnt", size);
          if (read_u64 (dir, max, &h.max, err) < 0 || read_u64 (dir, fc, &h.failcnt, err) < 0)
            {
              ret = -1;
              break;
            }
        }
      s->hugetlb = xrealloc (s->hugetlb, (s->n_hugetlb + 1) * sizeof *s->hugetlb);
      s->hugetlb[s->n_hugetlb++] = h;
    }
  closedir (d);
  return ret;
}

/* ---------------------------------------------------------------- all of it */

/* Does the cgroup exist?  Checked in the hierarchy that matters most for the numbers:
 * the unified one on v2, else memory (or whatever v1 hierarchy there is). */
static bool
cgroup_exists (struct clr_cgroup *cg)
{
  cleanup_free char *dir = clr_cg_ctrl_dir (cg, "memory");
  if (dir == NULL)
    {
      struct clr_cg_priv *p = clr_cg_priv (cg);
      if (p->n_hier == 0)
        return false;
      dir = clr_cg_dir (cg, &p->hier[0]);
    }
  return dir_exists (dir);
}

void
clr_cgroup_stats_release (struct clr_cgroup_stats *s)
{
  free (s->cpu.percpu);
  free (s->cpu.percpu_kernel);
  free (s->cpu.percpu_user);
  free (s->cpuset.cpus);
  free (s->cpuset.mems);
  for (size_t i = 0; i < s->memory.n_raw; i++)
    free (s->memory.raw[i].key);
  free (s->memory.raw);
  free (s->blkio.service_bytes);
  free (s->blkio.serviced);
  free (s->hugetlb);
  memset (s, 0, sizeof *s);
}

int
clr_cgroup_stats (struct clr_cgroup *cg, struct clr_cgroup_stats *out, clr_err *err)
{
  memset (out, 0, sizeof *out);
  if (!cgroup_exists (cg))
    return clr_fail (err, ENOENT, "cgroup %s", cg->path);
  int r = clr_cg_is_v2 (cg) ? cpu_v2 (cg, out, err) : cpu_v1 (cg, out, err);
  if (r < 0 || cpuset_stats (cg, out, err) < 0 || (clr_cg_is_v2 (cg) ? memory_v2 (cg, out, err) : memory_v1 (cg, out, err)) < 0
      || pids_stats (cg, out, err) < 0
      || (clr_cg_is_v2 (cg) ? blkio_v2 (cg, out, err) : blkio_v1 (cg, out, err)) < 0
      || hugetlb_stats (cg, out, err) < 0)
    return clr_wrap (err, "stats of cgroup %s", cg->path);
  return 0;
}

/* ---------------------------------------------------------------- OOM */

int
clr_cgroup_oom_kills (struct clr_cgroup *cg, uint64_t *count, bool *available, clr_err *err)
{
  cleanup_free char *dir = clr_cg_ctrl_dir (cg, "memory");
  return read_kv (dir, clr_cg_is_v2 (cg) ? "memory.events" : "memory.oom_control", "oom_kill", count,
                  available, err);
}

int
clr_cgroup_oom_notifier (struct clr_cgroup *cg, int *fd, clr_err *err)
{
  *fd = -1;
  cleanup_free char *dir = clr_cg_ctrl_dir (cg, "memory");
  if (dir == NULL)
    return 0;
  if (clr_cg_is_v2 (cg))
    {
      /* the kernel signals a modification of memory.events on every counter change */
      cleanup_free char *path = xasprintf ("%s/memory.events", dir);
      cleanup_close int ifd = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
      if (ifd < 0)
        return clr_fail (err, errno, "inotify_init1");
      if (inotify_add_watch (ifd, path, IN_MODIFY) < 0)
        {
          if (errno == ENOENT)
            return 0;
          return clr_fail (err, errno, "inotify_add_watch %s", path);
        }
      *fd = clr_steal_fd (&ifd);
      return 0;
    }

  /* v1: "<eventfd> <fd of memory.oom_control>" into cgroup.event_control.  The kernel
   * keeps its own reference to the cgroup, so the oom_control fd can go right away; the
   * registration goes away when the eventfd is closed. */
  cleanup_free char *ctl = xasprintf ("%s/memory.oom_control", dir);
  cleanup_free char *evctl = xasprintf ("%s/cgroup.event_control", dir);
  cleanup_close int ofd = open (ctl, O_RDONLY | O_CLOEXEC);
  if (ofd < 0)
    return errno == ENOENT ? 0 : clr_fail (err, errno, "open %s", ctl);
  cleanup_close int efd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (efd < 0)
    return clr_fail (err, errno, "eventfd");
  cleanup_close int cfd = open (evctl, O_WRONLY | O_CLOEXEC);
  if (cfd < 0)
    return errno == ENOENT ? 0 : clr_fail (err, errno, "open %s", evctl);
  char buf[64];
  int len = snprintf (buf, sizeof buf, "%d %d", efd, ofd);
  if (write (cfd, buf, len) != len)
    return clr_fail (err, errno, "write %s", evctl);
  *fd = clr_steal_fd (&efd);
  return 0;
}

uint64_t
clr_host_mem_total (void)
{
  cleanup_free char *buf = NULL;
  clr_err e;
  if (clr_read_file ("/proc/meminfo", MAX_STAT_FILE, &buf, NULL, &e) < 0)
    return 0;
  const char *p = strstr (buf, "MemTotal:");
  unsigned long long kb;
  if (p == NULL || sscanf (p, "MemTotal: %llu kB", &kb) != 1)
    return 0;
  return (uint64_t) kb * 1024;
}
