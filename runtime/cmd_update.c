/* clawrun update [OPTIONS] ID: change the resource limits of a live container.
 *
 * runc's flags, or -r/--resources FILE|- with a LinuxResources JSON object (what
 * containerd-shim-runc-v2 and Docker send on stdin).  Either way the request becomes one
 * LinuxResources document that the cgroup layer validates as a whole and then writes, and
 * that is merged into linux.resources of the config copy in the state directory (runc
 * persists updated limits too).
 *
 * runc's update semantics are kept: a field that is absent, null, 0 or "" means "leave
 * it as it is" (engines send {"cpu":{"quota":0,"period":0}} for "no change"), except
 * where 0 is a real setting (memory.swappiness, cpu.idle, cpu.burst).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "../cgroup/cgroup.h"
#include "../cgroup/resources.h"
#include "cli.h"
#include "json.h"
#include "container.h"
#include "log.h"
#include "util.h"

/* A LinuxResources document larger than this is not a resources object. */
#define MAX_RESOURCES_JSON (4 << 20)

static void
yajl_tree_freep (yajl_val *v)
{
  if (*v)
    yajl_tree_free (*v);
}
#define cleanup_yajl __attribute__ ((cleanup (yajl_tree_freep)))


enum
{
  O_MEMORY = 256,
  O_MEMORY_SWAP,
  O_MEMORY_RESERVATION,
  O_KERNEL_MEMORY,
  O_KERNEL_MEMORY_TCP,
  O_CPU_SHARES,
  O_CPU_QUOTA,
  O_CPU_PERIOD,
  O_CPU_BURST,
  O_CPU_RT_PERIOD,
  O_CPU_RT_RUNTIME,
  O_CPUSET_CPUS,
  O_CPUSET_MEMS,
  O_PIDS_LIMIT,
  O_BLKIO_WEIGHT,
  O_L3_CACHE,
  O_MEM_BW,
  O_LAST
};

/* ---------------------------------------------------------------- flag values */

/* docker/go-units RAMInBytes, as runc uses it: "512m", "1.5g", "1GiB", "100" (bytes),
 * binary multipliers; "-1" (handled by the caller) is unlimited. */
static int
parse_ram (const char *s, int64_t *out)
{
  const char *p = s;
  const char *num = p;
  if (*p < '0' || *p > '9')
    return -1;
  while (*p >= '0' && *p <= '9')
    p++;
  if (*p == '.')
    {
      p++;
      if (*p < '0' || *p > '9')
        return -1;
      while (*p >= '0' && *p <= '9')
        p++;
    }
  size_t numlen = p - num;
  if (*p == ' ')
    p++;
  long double mul = 1;
  const char *units = "kmgtp";
  const char *u = *p ? strchr (units, *p | 0x20) : NULL;
  if (u)
    {
      for (const char *q = units; q <= u; q++)
        mul *= 1024;
      p++;
    }
  if (*p == 'i' || *p == 'I')
    p++;
  if (*p == 'b' || *p == 'B')
    p++;
  if (*p != '\0')
    return -1;
  char buf[64];
  if (numlen >= sizeof buf)
    return -1;
  memcpy (buf, num, numlen);
  buf[numlen] = '\0';
  long double v = strtold (buf, NULL) * mul;
  if (!isfinite (v) || v >= 9223372036854775807.0L)
    return -1;
  *out = (int64_t) v;
  return 0;
}

static int
bad_value (const char *flag, const char *value, const char *why)
{
  return clr_usage_error ("update", "invalid value for --%s: \"%s\"%s%s", flag, value,
                          why ? ": " : "", why ? why : "");
}

/* The parsed flags. */
struct upd
{
  bool has_memory, has_swap, has_reservation;
  int64_t memory, swap, reservation;
  bool has_shares, has_quota, has_period, has_burst, has_rt_period, has_rt_runtime;
  uint64_t shares, period, burst, rt_period;
  int64_t quota, rt_runtime;
  const char *cpus, *mems;
  bool has_pids;
  int64_t pids;
  bool has_weight;
  uint64_t weight;
};

static const struct option opts[] = {
  { "resources", required_argument, NULL, 'r' },
  { "memory", required_argument, NULL, O_MEMORY },
  { "memory-swap", required_argument, NULL, O_MEMORY_SWAP },
  { "memory-reservation", required_argument, NULL, O_MEMORY_RESERVATION },
  { "kernel-memory", required_argument, NULL, O_KERNEL_MEMORY },
  { "kernel-memory-tcp", required_argument, NULL, O_KERNEL_MEMORY_TCP },
  { "cpu-share", required_argument, NULL, O_CPU_SHARES }, /* runc's spelling */
  { "cpu-shares", required_argument, NULL, O_CPU_SHARES },
  { "cpu-quota", required_argument, NULL, O_CPU_QUOTA },
  { "cpu-period", required_argument, NULL, O_CPU_PERIOD },
  { "cpu-burst", required_argument, NULL, O_CPU_BURST },
  { "cpu-rt-period", required_argument, NULL, O_CPU_RT_PERIOD },
  { "cpu-rt-runtime", required_argument, NULL, O_CPU_RT_RUNTIME },
  { "cpuset-cpus", required_argument, NULL, O_CPUSET_CPUS },
  { "cpuset-mems", required_argument, NULL, O_CPUSET_MEMS },
  { "pids-limit", required_argument, NULL, O_PIDS_LIMIT },
  { "blkio-weight", required_argument, NULL, O_BLKIO_WEIGHT },
  { "l3-cache-schema", required_argument, NULL, O_L3_CACHE },
  { "mem-bw-schema", required_argument, NULL, O_MEM_BW },
  { "help", no_argument, NULL, 'h' },
  { 0 },
};

/* NAME: the flag as the user spelled it (for messages). */
static int
parse_flag (struct upd *u, int c, const char *name, const char *v)
{
  int64_t i;
  uint64_t x;
  switch (c)
    {
    case O_MEMORY:
    case O_MEMORY_SWAP:
    case O_MEMORY_RESERVATION:
      if (strcmp (v, "-1") == 0)
        i = -1;
      else if (parse_ram (v, &i) < 0)
        return bad_value (name, v, "expected a size such as 512m, 1g or -1 (unlimited)");
      if (c == O_MEMORY)
        u->has_memory = true, u->memory = i;
      else if (c == O_MEMORY_SWAP)
        u->has_swap = true, u->swap = i;
      else
        u->has_reservation = true, u->reservation = i;
      return 0;
    case O_KERNEL_MEMORY:
    case O_KERNEL_MEMORY_TCP:
      if (strcmp (v, "-1") != 0 && parse_ram (v, &i) < 0)
        return bad_value (name, v, "expected a size such as 512m, 1g or -1 (unlimited)");
      clr_warn ("--%s is ignored: kernel memory limits are not supported", name);
      return 0;
    case O_CPU_SHARES:
    case O_CPU_PERIOD:
    case O_CPU_BURST:
    case O_CPU_RT_PERIOD:
      if (clr_parse_u64 (v, UINT64_MAX, &x) < 0)
        return bad_value (name, v, "expected a non-negative integer");
      if (c == O_CPU_SHARES)
        u->has_shares = true, u->shares = x;
      else if (c == O_CPU_PERIOD)
        u->has_period = true, u->period = x;
      else if (c == O_CPU_BURST)
        u->has_burst = true, u->burst = x;
      else
        u->has_rt_period = true, u->rt_period = x;
      return 0;
    case O_CPU_QUOTA:
    case O_CPU_RT_RUNTIME:
      if (clr_parse_i64 (v, -1, INT64_MAX, &i) < 0)
        return bad_value (name, v, "expected an integer (-1: unlimited)");
      if (c == O_CPU_QUOTA)
        u->has_quota = true, u->quota = i;
      else
        u->has_rt_runtime = true, u->rt_runtime = i;
      return 0;
    case O_CPUSET_CPUS:
    case O_CPUSET_MEMS:
      if (v[0] == '\0' || strspn (v, "0123456789,-") != strlen (v))
        return bad_value (name, v, "expected a list such as 0-2,4");
      if (c == O_CPUSET_CPUS)
        u->cpus = v;
      else
        u->mems = v;
      return 0;
    case O_PIDS_LIMIT:
      if (clr_parse_i64 (v, INT64_MIN, INT64_MAX, &i) < 0)
        return bad_value (name, v, "expected an integer (-1: unlimited)");
      u->has_pids = true;
      u->pids = i;
      return 0;
    case O_BLKIO_WEIGHT:
      if (clr_parse_u64 (v, UINT64_MAX, &x) < 0 || (x != 0 && (x < 10 || x > 1000)))
        return bad_value (name, v, "expected a weight between 10 and 1000");
      u->has_weight = true;
      u->weight = x;
      return 0;
    case O_L3_CACHE:
    case O_MEM_BW:
      return clr_usage_error ("update", "--%s: Intel RDT is not supported", name);
    }
  return clr_usage_error ("update", "BUG: unhandled option %d", c);
}

static void
gen_u64 (yajl_gen g, const char *key, uint64_t v)
{
  char buf[32];
  int n = snprintf (buf, sizeof buf, "%" PRIu64, v);
  clr_json_str (g, key);
  yajl_gen_number (g, buf, n);
}

/* The LinuxResources text for the flags. */
static char *
flags_json (const struct upd *u)
{
  yajl_gen g = clr_json_gen (false);
  yajl_gen_map_open (g);
  if (u->has_memory || u->has_swap || u->has_reservation)
    {
      clr_json_str (g, "memory");
      yajl_gen_map_open (g);
      if (u->has_memory)
        clr_cli_kv_int (g, "limit", u->memory);
      if (u->has_swap)
        clr_cli_kv_int (g, "swap", u->swap);
      if (u->has_reservation)
        clr_cli_kv_int (g, "reservation", u->reservation);
      yajl_gen_map_close (g);
    }
  if (u->has_shares || u->has_quota || u->has_period || u->has_burst || u->has_rt_period
      || u->has_rt_runtime || u->cpus || u->mems)
    {
      clr_json_str (g, "cpu");
      yajl_gen_map_open (g);
      if (u->has_shares)
        gen_u64 (g, "shares", u->shares);
      if (u->has_quota)
        clr_cli_kv_int (g, "quota", u->quota);
      if (u->has_period)
        gen_u64 (g, "period", u->period);
      if (u->has_burst)
        gen_u64 (g, "burst", u->burst);
      if (u->has_rt_period)
        gen_u64 (g, "realtimePeriod", u->rt_period);
      if (u->has_rt_runtime)
        clr_cli_kv_int (g, "realtimeRuntime", u->rt_runtime);
      if (u->cpus)
        clr_cli_kv_str (g, "cpus", u->cpus);
      if (u->mems)
        clr_cli_kv_str (g, "mems", u->mems);
      yajl_gen_map_close (g);
    }
  if (u->has_pids)
    {
      clr_json_str (g, "pids");
      yajl_gen_map_open (g);
      clr_cli_kv_int (g, "limit", u->pids);
      yajl_gen_map_close (g);
    }
  if (u->has_weight)
    {
      clr_json_str (g, "blockIO");
      yajl_gen_map_open (g);
      gen_u64 (g, "weight", u->weight);
      yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);
  return clr_json_gen_take (g);
}

/* ---------------------------------------------------------------- JSON merging */


static bool
is_zero (yajl_val v)
{
  if (!YAJL_IS_NUMBER (v))
    return false;
  return strtod (YAJL_GET_NUMBER (v), NULL) == 0;
}

/* runc's "not set" for an update field (see the top of the file). */
static bool
unset_in_update (const char *key, yajl_val v)
{
  static const char *const zero_is_a_value[] = { "swappiness", "idle", "burst" };
  if (v == NULL || YAJL_IS_NULL (v))
    return true;
  if (YAJL_IS_STRING (v))
    return YAJL_GET_STRING (v)[0] == '\0';
  if (is_zero (v))
    {
      for (size_t i = 0; i < CLR_ARRAY_SIZE (zero_is_a_value); i++)
        if (strcmp (key, zero_is_a_value[i]) == 0)
          return false;
      return true;
    }
  return false;
}

static void
emit (yajl_gen g, yajl_val v)
{
  if (v == NULL)
    {
      yajl_gen_null (g);
      return;
    }
  switch (v->type)
    {
    case yajl_t_string:
      clr_json_str (g, v->u.string);
      break;
    case yajl_t_number:
      yajl_gen_number (g, v->u.number.r, strlen (v->u.number.r));
      break;
    case yajl_t_object:
      yajl_gen_map_open (g);
      for (size_t i = 0; i < v->u.object.len; i++)
        {
          clr_json_str (g, v->u.object.keys[i]);
          emit (g, v->u.object.values[i]);
        }
      yajl_gen_map_close (g);
      break;
    case yajl_t_array:
      yajl_gen_array_open (g);
      for (size_t i = 0; i < v->u.array.len; i++)
        emit (g, v->u.array.values[i]);
      yajl_gen_array_close (g);
      break;
    case yajl_t_true:
      yajl_gen_bool (g, 1);
      break;
    case yajl_t_false:
      yajl_gen_bool (g, 0);
      break;
    default:
      yajl_gen_null (g);
      break;
    }
}

/* BASE with OVER laid on top: objects merge member by member, anything else in OVER
 * replaces (arrays too: a new device list is the whole list).  With FILTER, members of
 * OVER that are "not set" in runc's update sense are skipped.  Either may be NULL. */
static void
emit_merge (yajl_gen g, yajl_val base, yajl_val over, bool filter)
{
  yajl_gen_map_open (g);
  if (YAJL_IS_OBJECT (base))
    for (size_t i = 0; i < base->u.object.len; i++)
      {
        const char *k = base->u.object.keys[i];
        yajl_val b = base->u.object.values[i], o = clr_json_get (over, k);
        clr_json_str (g, k);
        if (o == NULL || (filter ? unset_in_update (k, o) : false))
          emit (g, b);
        else if (YAJL_IS_OBJECT (o) && (YAJL_IS_OBJECT (b) || b == NULL || YAJL_IS_NULL (b)))
          emit_merge (g, b, o, filter);
        else
          emit (g, o);
      }
  if (YAJL_IS_OBJECT (over))
    for (size_t i = 0; i < over->u.object.len; i++)
      {
        const char *k = over->u.object.keys[i];
        yajl_val o = over->u.object.values[i];
        if (clr_json_get (base, k) != NULL || (filter && unset_in_update (k, o)))
          continue;
        clr_json_str (g, k);
        if (YAJL_IS_OBJECT (o))
          emit_merge (g, NULL, o, filter);
        else
          emit (g, o);
      }
  yajl_gen_map_close (g);
}

static int
parse_json (const char *text, const char *what, yajl_val *out, clr_err *err)
{
  char msg[512] = "";
  *out = yajl_tree_parse (text, msg, sizeof msg);
  if (*out == NULL)
    {
      msg[strcspn (msg, "\n")] = '\0';
      return clr_fail (err, 0, "%s: invalid JSON%s%s", what, msg[0] ? ": " : "", msg);
    }
  return 0;
}

/* ---------------------------------------------------------------- the update */

/* cgroup v2 takes quota and period in one write ("QUOTA PERIOD"), and runc keeps the
 * other one at its old value when only one is given: add the stored one to the request
 * (harmless on v1, where it rewrites the same value). */
static char *
cpu_fill_in (yajl_val delta, yajl_val old_res)
{
  yajl_val dcpu = clr_json_get (delta, "cpu"), ocpu = clr_json_get (old_res, "cpu");
  yajl_val q = clr_json_get (dcpu, "quota"), p = clr_json_get (dcpu, "period");
  bool has_q = YAJL_IS_NUMBER (q) && !is_zero (q), has_p = YAJL_IS_NUMBER (p) && !is_zero (p);
  if (has_q == has_p)
    return NULL;
  const char *missing = has_q ? "period" : "quota";
  yajl_val old = clr_json_get (ocpu, missing);
  if (!YAJL_IS_NUMBER (old) || is_zero (old))
    return NULL;
  yajl_gen g = clr_json_gen (false);
  yajl_gen_map_open (g);
  clr_json_str (g, "cpu");
  yajl_gen_map_open (g);
  clr_json_str (g, missing);
  emit (g, old);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  return clr_json_gen_take (g);
}

/* Merge the applied resources EFF into linux.resources of the config copy. */
static int
persist (int dirfd, yajl_val config, yajl_val eff, clr_err *err)
{
  yajl_gen g = clr_json_gen (false);
  yajl_gen_map_open (g);
  clr_json_str (g, "linux");
  yajl_gen_map_open (g);
  clr_json_str (g, "resources");
  emit (g, eff);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  cleanup_free char *overlay_text = clr_json_gen_take (g);
  cleanup_yajl yajl_val overlay = NULL;
  if (parse_json (overlay_text, "linux.resources", &overlay, err) < 0)
    return -1;
  g = clr_json_gen (true);
  emit_merge (g, config, overlay, false);
  cleanup_free char *text = clr_json_gen_take (g);
  return clr_write_file_atomic_at (dirfd, "config.json", text, strlen (text), 0600, err);
}

static int
do_update (struct clr_globals *g, const char *id, const char *delta_text, clr_err *err)
{
  cleanup_yajl yajl_val delta = NULL;
  if (parse_json (delta_text, "--resources", &delta, err) < 0)
    return -1;
  if (!YAJL_IS_OBJECT (delta))
    return clr_fail (err, 0, "--resources: expected a JSON object (LinuxResources)");

  cleanup_container struct clr_container c;
  if (clr_container_load (g, id, true, &c, err) < 0)
    return -1;
  if (c.status == CLR_STATUS_STOPPED)
    return clr_fail (err, 0, "container not running");
  if (c.status == CLR_STATUS_CREATING)
    return clr_fail (err, 0, "container \"%s\" is still being created", id);

  /* The stored config: for the values a partial cpu request keeps, and to record the
   * update.  Losing the record is not worth refusing the update for. */
  cleanup_free char *cfg_text = NULL;
  cleanup_yajl yajl_val config = NULL;
  clr_err cerr = { 0 };
  if (clr_read_file_at (c.dirfd, "config.json", 64 << 20, &cfg_text, NULL, &cerr) < 0
      || parse_json (cfg_text, "config.json", &config, &cerr) < 0)
    {
      clr_warn ("the new limits are not recorded in the state directory: %s", cerr.msg);
      config = NULL;
    }
  yajl_val old_res = clr_json_get (clr_json_get (config, "linux"), "resources");

  cleanup_free char *fill_text = cpu_fill_in (delta, old_res);
  cleanup_yajl yajl_val fill = NULL;
  if (fill_text && parse_json (fill_text, "cpu", &fill, err) < 0)
    return -1;
  yajl_gen gen = clr_json_gen (false);
  emit_merge (gen, fill, delta, true);
  cleanup_free char *eff_text = clr_json_gen_take (gen);
  cleanup_yajl yajl_val eff = NULL;
  if (parse_json (eff_text, "--resources", &eff, err) < 0)
    return -1;
  clr_debug ("update %s: %s", id, eff_text);

  cleanup_cgroup struct clr_cgroup *cg = NULL;
  if (clr_cgroup_open (c.state->cgroup_path, &cg, err) < 0
      || clr_cgroup_apply_resources (cg, eff, err) < 0)
    return -1;

  if (config && YAJL_IS_OBJECT (config) && persist (c.dirfd, config, eff, &cerr) < 0)
    clr_warn ("the new limits are applied but not recorded in the state directory: %s",
              cerr.msg);
  return 0;
}

int
cmd_update (struct clr_globals *g, int argc, char **argv)
{
  static const char *const lines[] = {
    "-r, --resources FILE", "LinuxResources JSON to apply (\"-\": read it from stdin)",
    "--memory SIZE", "memory limit (512m, 1g...; -1: unlimited)",
    "--memory-swap SIZE", "memory+swap limit (-1: unlimited swap)",
    "--memory-reservation SIZE", "memory soft limit",
    "--kernel-memory SIZE", "ignored (kernel memory limits are gone from Linux)",
    "--cpu-shares N", "CPU shares, relative weight (also --cpu-share)",
    "--cpu-quota US", "CFS quota per period in microseconds (-1: none)",
    "--cpu-period US", "CFS period in microseconds",
    "--cpu-burst US", "CFS burst in microseconds",
    "--cpu-rt-period US", "realtime period in microseconds (cgroup v1)",
    "--cpu-rt-runtime US", "realtime runtime in microseconds (cgroup v1)",
    "--cpuset-cpus LIST", "CPUs allowed (0-3, 0,1)",
    "--cpuset-mems LIST", "memory nodes allowed (0-3, 0,1)",
    "--pids-limit N", "maximum number of processes (-1: unlimited)",
    "--blkio-weight N", "block I/O weight, 10 to 1000",
    "--l3-cache-schema S", "not supported (Intel RDT)",
    "--mem-bw-schema S", "not supported (Intel RDT)",
    NULL,
  };
  struct upd u = { 0 };
  const char *resources = NULL;
  bool any_flag = false;
  opterr = 0;
  int c, idx = -1;
  while ((idx = -1, c = getopt_long (argc, argv, "+:r:h", opts, &idx)) != -1)
    switch (c)
      {
      case 'r':
        resources = optarg;
        break;
      case 'h':
        clr_cli_print_help ("clawrun update [OPTIONS] ID",
                            "Update the resource limits of a created, running or paused container.\n"
                            "With --resources, the other limit flags are not allowed.",
                            lines);
        return 0;
      case '?':
      case ':':
        return clr_cli_bad_option (argv[0], c, argv);
      default:
        if (parse_flag (&u, c, idx >= 0 ? opts[idx].name : "?", optarg) != 0)
          return 1;
        any_flag = true;
        break;
      }
  if (optind >= argc)
    return clr_usage_error (argv[0], "missing container id");
  if (optind + 1 < argc)
    return clr_usage_error (argv[0], "too many arguments (the container id comes last)");
  const char *id = argv[optind];
  if (resources && any_flag)
    return clr_usage_error (argv[0], "--resources cannot be combined with other limit flags");

  clr_err err = { 0 };
  cleanup_free char *text = NULL;
  if (resources)
    {
      int r = strcmp (resources, "-") == 0
                  ? clr_read_fd (0, MAX_RESOURCES_JSON, &text, NULL, &err)
                  : clr_read_file (resources, MAX_RESOURCES_JSON, &text, NULL, &err);
      if (r < 0)
        {
          clr_wrap (&err, "--resources %s", resources);
          clr_log_error (&err);
          return 1;
        }
    }
  else
    {
      if (!any_flag)
        return clr_usage_error (argv[0], "nothing to update: give --resources or a limit flag");
      text = flags_json (&u);
    }
  if (do_update (g, id, text, &err) < 0)
    {
      clr_log_error (&err);
      return 1;
    }
  return 0;
}
