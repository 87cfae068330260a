/* clawrun: resource usage of a cgroup (for `events` and `stats`), read from the v1
 * controller files or the cgroup2 files per the handle's mode, in the units and with
 * the meanings of runc's libcontainer/cgroups Stats (so `events` can print runc's JSON):
 *
 *   cpu      nanoseconds; v2's microsecond counters are converted
 *   memory   bytes; "usage" is memory, "swap" is memory+swap (v1's memsw meaning, v2
 *            adds memory.current to memory.swap.current as runc does), an unlimited
 *            limit is v1's huge number or UINT64_MAX for v2's "max"
 *   pids     limit 0 = unlimited
 *
 * A counter whose file this host or kernel lacks reads as 0 (kmem on v2, memory.peak
 * before 5.19, a controller that is not mounted).
 */
#ifndef CLAWRUN_CGROUP_STATS_H
#define CLAWRUN_CGROUP_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup.h"

struct clr_cgroup_mem_entry
{
  uint64_t limit, usage, max, failcnt;
};

struct clr_cgroup_kv
{
  char *key;
  uint64_t value;
};

struct clr_cgroup_blkio_entry
{
  uint64_t major, minor;
  char op[16];      /* "Read", "Write", "Sync", "Async", "Discard", "Total" */
  uint64_t value;
};

struct clr_cgroup_hugetlb
{
  char size[16];    /* "2MB", "1GB" (runc's names) */
  uint64_t usage, max, failcnt;
};

struct clr_cgroup_stats
{
  struct
  {
    uint64_t total, kernel, user;
    uint64_t *percpu, *percpu_kernel, *percpu_user; /* v1 only; may be NULL */
    size_t n_percpu, n_percpu_kernel, n_percpu_user;
    uint64_t periods, throttled_periods, throttled_time;
  } cpu;
  struct
  {
    uint16_t *cpus, *mems;      /* the lists expanded ("0-2" -> 0, 1, 2) */
    size_t n_cpus, n_mems;
    /* v1 flags and counters (0 on v2) */
    uint64_t cpu_exclusive, mem_hardwall, mem_exclusive, memory_migrate, memory_spread_page,
        memory_spread_slab, memory_pressure, sched_load_balance;
    int64_t sched_relax_domain_level;
  } cpuset;
  struct
  {
    uint64_t cache;
    struct clr_cgroup_mem_entry usage, swap, kernel, kernel_tcp;
    struct clr_cgroup_kv *raw;    /* memory.stat, in file order */
    size_t n_raw;
  } memory;
  struct
  {
    uint64_t current, limit;
  } pids;
  struct
  {
    struct clr_cgroup_blkio_entry *service_bytes, *serviced;
    size_t n_service_bytes, n_serviced;
  } blkio;
  struct clr_cgroup_hugetlb *hugetlb;
  size_t n_hugetlb;
};

/* Fill OUT (zeroed first; release it with clr_cgroup_stats_release even on failure).
 * Fails with ENOENT when the cgroup does not exist (any more). */
int clr_cgroup_stats (struct clr_cgroup *cg, struct clr_cgroup_stats *out, clr_err *err);
void clr_cgroup_stats_release (struct clr_cgroup_stats *s);

/* Only the CPU usage counter (ns), for cheap repeated sampling. */
int clr_cgroup_cpu_usage (struct clr_cgroup *cg, uint64_t *ns, clr_err *err);

/* How many times the kernel's OOM killer killed a process of the cgroup (v2
 * memory.events oom_kill, v1 memory.oom_control oom_kill).  *AVAILABLE false (count 0)
 * when the host has no such counter. */
int clr_cgroup_oom_kills (struct clr_cgroup *cg, uint64_t *count, bool *available, clr_err *err);

/* An fd that becomes readable when the cgroup's memory events change: an eventfd armed
 * on memory.oom_control through cgroup.event_control (v1; it also fires when the cgroup
 * is removed), or an inotify watch on memory.events (v2).  Read it (8 bytes on v1, the
 * inotify records on v2) to rearm, then look at clr_cgroup_oom_kills.  *FD is -1 when
 * there is no way to be notified: poll the counter instead. */
int clr_cgroup_oom_notifier (struct clr_cgroup *cg, int *fd, clr_err *err);

/* The host's MemTotal in bytes (0 if unknown), for showing an unlimited memory limit. */
uint64_t clr_host_mem_total (void);

#endif
