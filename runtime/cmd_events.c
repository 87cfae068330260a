/* clawrun events [--stats] [--interval DUR] ID: runc's event stream, one JSON object
 * per line:
 *
 *   {"type":"stats","id":ID,"data":{"cpu":...,"memory":...,"pids":...,"blkio":...,...}}
 *   {"type":"oom","id":ID}
 *
 * --stats prints one stats event and exits.  Otherwise a stats event every --interval
 * (default 5s, first one after one interval, as runc) and an oom event whenever the
 * cgroup's OOM-kill counter grows, until the container stops (exit 0) or SIGINT/SIGTERM
 * (exit 0).  The data object has runc's field names and Go's omitempty rules (a zero
 * counter is left out where runc leaves it out), so runc's consumers parse it unchanged.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"
#include "../cgroup/stats.h"
#include "cli.h"
#include "container.h"
#include "log.h"
#include "util.h"

/* Without a notifier fd, the OOM counter is polled this often. */
#define OOM_POLL_MS 100
/* After a v1 OOM notification (sent before the victim is killed), how long and how
 * often to look for the kill counter to move. */
#define OOM_SETTLE_MS 1000
#define OOM_SETTLE_POLL_MS 10

/* ---------------------------------------------------------------- durations */

/* Go's time.ParseDuration: "300ms", "1.5s", "1m30s", "2h45m", "0"; units ns, us/µs/μs,
 * ms, s, m, h.  Into nanoseconds. */
static int
parse_go_duration (const char *s, int64_t *out)
{
  static const struct
  {
    const char *name;
    long double ns;
  } units[] = {
    { "ns", 1 },           { "us", 1e3 },  { "\u00b5s", 1e3 }, { "\u03bcs", 1e3 },
    { "ms", 1e6 },         { "s", 1e9 },   { "m", 60e9 },      { "h", 3600e9 },
  };
  const char *p = s;
  bool neg = false;
  if (*p == '-' || *p == '+')
    neg = *p++ == '-';
  if (strcmp (p, "0") == 0)
    {
      *out = 0;
      return 0;
    }
  if (*p == '\0')
    return -1;
  long double total = 0;
  while (*p)
    {
      const char *start = p;
      while ((*p >= '0' && *p <= '9') || *p == '.')
        p++;
      if (p == start || (p - start == 1 && *start == '.'))
        return -1;
      size_t dots = 0;
      for (const char *q = start; q < p; q++)
        dots += *q == '.';
      if (dots > 1)
        return -1;
      char num[64];
      if ((size_t) (p - start) >= sizeof num)
        return -1;
      memcpy (num, start, p - start);
      num[p - start] = '\0';
      long double v = strtold (num, NULL);
      size_t best = 0, best_len = 0;
      for (size_t i = 0; i < CLR_ARRAY_SIZE (units); i++)
        {
          size_t l = strlen (units[i].name);
          if (strncmp (p, units[i].name, l) == 0 && l > best_len)
            best = i, best_len = l;
        }
      if (best_len == 0)
        return -1; /* a number needs a unit (except a lone 0) */
      p += best_len;
      total += v * units[best].ns;
      if (total > (long double) INT64_MAX)
        return -1;
    }
  *out = (int64_t) (neg ? -total : total);
  return 0;
}

static int64_t
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---------------------------------------------------------------- JSON */

static void
gen_u64 (yajl_gen g, uint64_t v)
{
  char buf[32];
  int n = snprintf (buf, sizeof buf, "%" PRIu64, v);
  yajl_gen_number (g, buf, n);
}

static void
kv_u64 (yajl_gen g, const char *key, uint64_t v)
{
  clr_json_str (g, key);
  gen_u64 (g, v);
}

/* Go's `json:",omitempty"` for a number */
static void
kv_u64_opt (yajl_gen g, const char *key, uint64_t v)
{
  if (v != 0)
    kv_u64 (g, key, v);
}

static void
kv_u64v_opt (yajl_gen g, const char *key, const uint64_t *v, size_t n)
{
  if (n == 0)
    return;
  clr_json_str (g, key);
  yajl_gen_array_open (g);
  for (size_t i = 0; i < n; i++)
    gen_u64 (g, v[i]);
  yajl_gen_array_close (g);
}

static void
gen_mem_entry (yajl_gen g, const char *key, const struct clr_cgroup_mem_entry *e)
{
  clr_json_str (g, key);
  yajl_gen_map_open (g);
  kv_u64 (g, "limit", e->limit);
  kv_u64_opt (g, "usage", e->usage);
  kv_u64_opt (g, "max", e->max);
  kv_u64 (g, "failcnt", e->failcnt);
  yajl_gen_map_close (g);
}

static void
gen_blkio (yajl_gen g, const char *key, const struct clr_cgroup_blkio_entry *v, size_t n)
{
  if (n == 0)
    return;
  clr_json_str (g, key);
  yajl_gen_array_open (g);
  for (size_t i = 0; i < n; i++)
    {
      yajl_gen_map_open (g);
      kv_u64_opt (g, "major", v[i].major);
      kv_u64_opt (g, "minor", v[i].minor);
      if (v[i].op[0])
        clr_cli_kv_str (g, "op", v[i].op);
      kv_u64_opt (g, "value", v[i].value);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
}

/* runc's types.Stats (runc/types/events.go) */
static void
gen_stats (yajl_gen g, const struct clr_cgroup_stats *s)
{
  yajl_gen_map_open (g);

  clr_json_str (g, "cpu");
  yajl_gen_map_open (g);
  clr_json_str (g, "usage");
  yajl_gen_map_open (g);
  kv_u64_opt (g, "total", s->cpu.total);
  kv_u64v_opt (g, "percpu", s->cpu.percpu, s->cpu.n_percpu);
  kv_u64v_opt (g, "percpu_kernel", s->cpu.percpu_kernel, s->cpu.n_percpu_kernel);
  kv_u64v_opt (g, "percpu_user", s->cpu.percpu_user, s->cpu.n_percpu_user);
  kv_u64 (g, "kernel", s->cpu.kernel);
  kv_u64 (g, "user", s->cpu.user);
  yajl_gen_map_close (g);
  clr_json_str (g, "throttling");
  yajl_gen_map_open (g);
  kv_u64_opt (g, "periods", s->cpu.periods);
  kv_u64_opt (g, "throttledPeriods", s->cpu.throttled_periods);
  kv_u64_opt (g, "throttledTime", s->cpu.throttled_time);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);

  clr_json_str (g, "cpuset");
  yajl_gen_map_open (g);
  if (s->cpuset.n_cpus > 0)
    {
      clr_json_str (g, "cpus");
      yajl_gen_array_open (g);
      for (size_t i = 0; i < s->cpuset.n_cpus; i++)
        yajl_gen_integer (g, s->cpuset.cpus[i]);
      yajl_gen_array_close (g);
    }
  kv_u64 (g, "cpu_exclusive", s->cpuset.cpu_exclusive);
  if (s->cpuset.n_mems > 0)
    {
      clr_json_str (g, "mems");
      yajl_gen_array_open (g);
      for (size_t i = 0; i < s->cpuset.n_mems; i++)
        yajl_gen_integer (g, s->cpuset.mems[i]);
      yajl_gen_array_close (g);
    }
  kv_u64 (g, "mem_hardwall", s->cpuset.mem_hardwall);
  kv_u64 (g, "mem_exclusive", s->cpuset.mem_exclusive);
  kv_u64 (g, "memory_migrate", s->cpuset.memory_migrate);
  kv_u64 (g, "memory_spread_page", s->cpuset.memory_spread_page);
  kv_u64 (g, "memory_spread_slab", s->cpuset.memory_spread_slab);
  kv_u64 (g, "memory_pressure", s->cpuset.memory_pressure);
  kv_u64 (g, "sched_load_balance", s->cpuset.sched_load_balance);
  clr_cli_kv_int (g, "sched_relax_domain_level", s->cpuset.sched_relax_domain_level);
  yajl_gen_map_close (g);

  clr_json_str (g, "memory");
  yajl_gen_map_open (g);
  kv_u64_opt (g, "cache", s->memory.cache);
  gen_mem_entry (g, "usage", &s->memory.usage);
  gen_mem_entry (g, "swap", &s->memory.swap);
  gen_mem_entry (g, "kernel", &s->memory.kernel);
  gen_mem_entry (g, "kernelTCP", &s->memory.kernel_tcp);
  if (s->memory.n_raw > 0)
    {
      clr_json_str (g, "raw");
      yajl_gen_map_open (g);
      for (size_t i = 0; i < s->memory.n_raw; i++)
        kv_u64 (g, s->memory.raw[i].key, s->memory.raw[i].value);
      yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);

  clr_json_str (g, "pids");
  yajl_gen_map_open (g);
  kv_u64_opt (g, "current", s->pids.current);
  kv_u64_opt (g, "limit", s->pids.limit);
  yajl_gen_map_close (g);

  clr_json_str (g, "blkio");
  yajl_gen_map_open (g);
  gen_blkio (g, "ioServiceBytesRecursive", s->blkio.service_bytes, s->blkio.n_service_bytes);
  gen_blkio (g, "ioServicedRecursive", s->blkio.serviced, s->blkio.n_serviced);
  yajl_gen_map_close (g);

  clr_json_str (g, "hugetlb");
  yajl_gen_map_open (g);
  for (size_t i = 0; i < s->n_hugetlb; i++)
    {
      clr_json_str (g, s->hugetlb[i].size);
      yajl_gen_map_open (g);
      kv_u64_opt (g, "usage", s->hugetlb[i].usage);
      kv_u64_opt (g, "max", s->hugetlb[i].max);
      kv_u64 (g, "failcnt", s->hugetlb[i].failcnt);
      yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);

  /* always empty here, present in runc's output */
  clr_json_str (g, "intel_rdt");
  yajl_gen_map_open (g);
  yajl_gen_map_close (g);
  clr_json_str (g, "network_interfaces");
  yajl_gen_null (g);

  yajl_gen_map_close (g);
}

/* Print one event; STATS NULL for an event without data. */
static int
print_event (const char *type, const char *id, const struct clr_cgroup_stats *stats, clr_err *err)
{
  cleanup_json_gen yajl_gen g = clr_json_gen_new (false);
  yajl_gen_map_open (g);
  clr_cli_kv_str (g, "type", type);
  clr_cli_kv_str (g, "id", id);
  if (stats)
    {
      clr_json_str (g, "data");
      gen_stats (g, stats);
    }
  yajl_gen_map_close (g);
  if (clr_json_gen_print (g, stdout) < 0)
    return clr_fail (err, errno, "write to stdout");
  return 0;
}

static int
print_stats_event (struct clr_cgroup *cg, const char *id, clr_err *err)
{
  struct clr_cgroup_stats s;
  int r = clr_cgroup_stats (cg, &s, err);
  if (r == 0)
    r = print_event ("stats", id, &s, err);
  clr_cgroup_stats_release (&s);
  return r;
}

/* ---------------------------------------------------------------- the stream */

struct watch
{
  const struct clr_globals *g;
  const char *id;
  struct clr_cgroup *cg;
  int pidfd;           /* init; -1: find out with a status check instead */
  int oomfd;           /* clr_cgroup_oom_notifier; -1: poll the counter */
  bool oom_available;  /* the counter has been read once (the baseline) */
  uint64_t oom_kills;
  /* A notification came while the cgroup existed and the kill counter has not moved
   * yet (v1 notifies when the cgroup hits OOM, before the victim is chosen). */
  bool oom_pending;
  int64_t settle_until;
  bool oom_reported;   /* at least one oom event went out */
};

static int
emit_oom (struct watch *w, uint64_t n, clr_err *err)
{
  for (uint64_t i = 0; i < n; i++)
    if (print_event ("oom", w->id, NULL, err) < 0)
      return -1;
  w->oom_reported = w->oom_reported || n > 0;
  return 0;
}

/* Look at the OOM-kill counter: one oom event per kill since the last look.
 * NOTIFICATIONS: how many notifier wake-ups led here (0 for a plain poll). */
static int
check_oom (struct watch *w, uint64_t notifications, clr_err *err)
{
  uint64_t n;
  bool avail;
  clr_err e;
  if (clr_cgroup_oom_kills (w->cg, &n, &avail, &e) < 0 || !avail)
    {
      /* The cgroup is gone (the container exited and was deleted) before its kill was
       * counted, or between the OOM and our look at it.  v1 signals the eventfd once
       * more when the cgroup is removed, so two or more unseen wake-ups mean there was
       * an OOM too (only trusted before the first report: later ones may be the tail
       * of an OOM already reported). */
      bool lost = w->oom_pending || (w->oom_available && !w->oom_reported && notifications >= 2);
      w->oom_pending = false;
      return lost ? emit_oom (w, 1, err) : 0;
    }
  if (!w->oom_available)
    {
      w->oom_available = true;
      w->oom_kills = n;
      return 0;
    }
  if (n > w->oom_kills)
    {
      uint64_t d = n - w->oom_kills;
      w->oom_kills = n;
      w->oom_pending = false;
      return emit_oom (w, d, err);
    }
  if (notifications > 0)
    {
      w->oom_pending = true;
      w->settle_until = now_ns () + OOM_SETTLE_MS * 1000000LL;
    }
  else if (w->oom_pending && now_ns () > w->settle_until)
    w->oom_pending = false; /* the OOM was resolved without a kill: nothing to report */
  return 0;
}

static bool
stopped (struct watch *w)
{
  if (w->pidfd >= 0)
    {
      struct pollfd p = { .fd = w->pidfd, .events = POLLIN };
      return poll (&p, 1, 0) > 0;
    }
  struct clr_container c;
  clr_err e;
  if (clr_container_load (w->g, w->id, false, &c, &e) < 0)
    return true; /* deleted */
  bool st = c.status == CLR_STATUS_STOPPED;
  clr_container_release (&c);
  return st;
}

/* Consume the notifier's pending data; the number of notifications (v1's eventfd
 * counts them; an inotify batch counts as one).  -1 when the fd is broken. */
static int64_t
drain (struct watch *w)
{
  int64_t n = 0;
  for (;;)
    {
      union
      {
        uint64_t count;
        char buf[4096];
      } u;
      ssize_t r = read (w->oomfd, &u, sizeof u);
      if (r < 0)
        return errno == EAGAIN || errno == EINTR ? n : -1;
      if (r == 0)
        return n;
      n += w->cg->mode != CLR_CGROUP_UNIFIED && r == sizeof u.count ? (int64_t) u.count : 1;
    }
}

static int
stream (struct watch *w, int64_t interval, clr_err *err)
{
  sigset_t mask;
  sigemptyset (&mask);
  sigaddset (&mask, SIGINT);
  sigaddset (&mask, SIGTERM);
  if (sigprocmask (SIG_BLOCK, &mask, NULL) < 0)
    return clr_fail (err, errno, "sigprocmask");
  cleanup_close int sigfd = signalfd (-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sigfd < 0)
    return clr_fail (err, errno, "signalfd");

  if (check_oom (w, 0, err) < 0)
    return -1;
  int64_t next_stats = now_ns () + interval;
  for (;;)
    {
      int64_t now = now_ns ();
      int64_t wait_ns = next_stats - now;
      int64_t poll_ns = w->oom_pending                      ? OOM_SETTLE_POLL_MS * 1000000LL
                        : (w->oomfd < 0 || w->pidfd < 0) ? OOM_POLL_MS * 1000000LL
                                                          : -1;
      if (poll_ns >= 0 && poll_ns < wait_ns)
        wait_ns = poll_ns;
      if (wait_ns < 0)
        wait_ns = 0;

      struct pollfd fds[3] = { { .fd = sigfd, .events = POLLIN },
                               { .fd = w->pidfd, .events = POLLIN },
                               { .fd = w->oomfd, .events = POLLIN } };
      int r = poll (fds, 3, (int) ((wait_ns + 999999) / 1000000));
      if (r < 0 && errno != EINTR)
        return clr_fail (err, errno, "poll");
      if (r > 0 && (fds[0].revents & POLLIN))
        return 0; /* SIGINT / SIGTERM: a clean end of the stream */
      int64_t notified = 0;
      if (r > 0 && fds[2].revents)
        {
          notified = drain (w);
          if (notified < 0 || (fds[2].revents & (POLLERR | POLLHUP | POLLNVAL)))
            {
              w->oomfd = -1; /* broken notifier: fall back to polling */
              notified = 0;
            }
        }
      if (check_oom (w, (uint64_t) notified, err) < 0)
        return -1;
      if ((r > 0 && fds[1].revents) || (w->pidfd < 0 && stopped (w)))
        {
          /* init is gone: the container stopped.  A kill that was pending is counted
           * by now (the victim was killed before init could exit). */
          return check_oom (w, 0, err);
        }
      if (now_ns () >= next_stats)
        {
          clr_err serr = { 0 };
          if (print_stats_event (w->cg, w->id, &serr) < 0)
            {
              if (stopped (w))
                return check_oom (w, 0, err);
              /* runc logs a failed sample and carries on */
              if (serr.code == EPIPE)
                {
                  *err = serr;
                  return -1;
                }
              clr_log_error (&serr);
            }
          next_stats += interval;
          if (next_stats < now_ns ())
            next_stats = now_ns () + interval;
        }
    }
}

int
cmd_events (struct clr_globals *g, int argc, char **argv)
{
  static const struct option opts[] = { { "stats", no_argument, NULL, 's' },
                                        { "interval", required_argument, NULL, 'i' },
                                        { "help", no_argument, NULL, 'h' },
                                        { 0 } };
  static const char *const lines[] = {
    "--stats", "print the container's statistics once and exit",
    "--interval DURATION", "time between stats events (default 5s; 500ms, 1m...)",
    NULL,
  };
  bool once = false;
  int64_t interval = 5000000000LL;
  opterr = 0;
  int c;
  while ((c = getopt_long (argc, argv, "+:h", opts, NULL)) != -1)
    switch (c)
      {
      case 's':
        once = true;
        break;
      case 'i':
        if (parse_go_duration (optarg, &interval) < 0)
          return clr_usage_error (argv[0], "invalid value for --interval: \"%s\": expected a duration such as 5s or 500ms", optarg);
        if (interval <= 0)
          return clr_usage_error (argv[0], "invalid value for --interval: \"%s\": must be positive", optarg);
        break;
      case 'h':
        clr_cli_print_help ("clawrun events [OPTIONS] ID",
                            "Print the container's statistics (every --interval) and its OOM\n"
                            "events as JSON lines until it stops; with --stats, once.",
                            lines);
        return 0;
      default:
        return clr_cli_bad_option (argv[0], c, argv);
      }
  if (optind >= argc)
    return clr_usage_error (argv[0], "missing container id");
  if (optind + 1 < argc)
    return clr_usage_error (argv[0], "too many arguments (the container id comes last)");
  const char *id = argv[optind];

  clr_err err = { 0 };
  struct clr_container ct;
  if (clr_container_load (g, id, false, &ct, &err) < 0)
    {
      clr_log_error (&err);
      return 1;
    }
  cleanup_cgroup struct clr_cgroup *cg = NULL;
  cleanup_close int pidfd = clr_steal_fd (&ct.pidfd);
  cleanup_close int oomfd = -1;
  int ret = 1;
  if (ct.status == CLR_STATUS_STOPPED)
    clr_fail (&err, 0, "container \"%s\" is not running", id);
  else if (clr_cgroup_open (ct.state->cgroup_path, &cg, &err) == 0)
    ret = 0;
  /* Not held while streaming: other commands (kill, delete) must not wait for us. */
  clr_container_release (&ct);
  if (ret == 0)
    {
      if (once)
        ret = print_stats_event (cg, id, &err) < 0;
      else
        {
          struct watch w = { .g = g, .id = id, .cg = cg, .pidfd = pidfd };
          clr_err nerr;
          if (clr_cgroup_oom_notifier (cg, &oomfd, &nerr) < 0)
            {
              clr_debug ("events %s: no OOM notifications, polling: %s", id, nerr.msg);
              oomfd = -1;
            }
          w.oomfd = oomfd;
          ret = stream (&w, interval, &err) < 0;
        }
    }
  if (ret)
    clr_log_error (&err);
  return ret;
}
