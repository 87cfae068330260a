/* clawrun: linux.resources -> cgroup v1 / v2 files.
 *
 * Two steps: parse the whole object into struct clr_cg_res (every type and range error
 * named by its field, before anything is written), then write it.  Conversions and
 * orderings follow runc so that the same config gives the same limits under either
 * runtime.  "0 means unset" for the fields where runc treats it so (Docker sends
 * "shares": 0, "weight": 0 and the like for "not specified").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_tree.h>

#include "cgroup.h"
#include "devices_bpf.h"
#include "internal.h"
#include "resources.h"
#include "../runtime/json.h"
#include "../runtime/util.h"

struct opt_i64
{
  bool set;
  int64_t v;
};
struct opt_u64
{
  bool set;
  uint64_t v;
};

/* a device rule: the same struct the v2 BPF generator takes */
#define res_dev clr_dev_rule

struct res_wdev
{
  int64_t major, minor;
  struct opt_u64 weight, leaf_weight;
};

struct res_tdev
{
  int64_t major, minor;
  uint64_t rate;
};

struct res_hp
{
  char *page_size;
  uint64_t limit;
};

struct res_prio
{
  char *name;
  uint64_t priority;
};

struct res_rdma
{
  char *device;
  struct opt_u64 handles, objects;
};

struct res_kv
{
  char *key, *value;
};

enum
{
  T_READ_BPS,
  T_WRITE_BPS,
  T_READ_IOPS,
  T_WRITE_IOPS,
  T_N
};

static const char *const throttle_keys[T_N] = {
  "throttleReadBpsDevice",
  "throttleWriteBpsDevice",
  "throttleReadIOPSDevice",
  "throttleWriteIOPSDevice",
};
static const char *const throttle_v1[T_N] = {
  "blkio.throttle.read_bps_device",
  "blkio.throttle.write_bps_device",
  "blkio.throttle.read_iops_device",
  "blkio.throttle.write_iops_device",
};
static const char *const throttle_v2[T_N] = { "rbps", "wbps", "riops", "wiops" };

struct clr_cg_res
{
  bool has_devices;
  struct res_dev *devices;
  size_t n_devices;

  struct
  {
    struct opt_i64 limit, reservation, swap, kernel, kernel_tcp;
    struct opt_u64 swappiness;
    bool disable_oom_killer;
  } memory;

  struct
  {
    struct opt_u64 shares, period, burst, rt_period;
    struct opt_i64 quota, rt_runtime, idle;
    char *cpus, *mems;
  } cpu;

  struct opt_i64 pids_limit;

  struct
  {
    struct opt_u64 weight, leaf_weight;
    struct res_wdev *wdev;
    size_t n_wdev;
    struct res_tdev *tdev[T_N];
    size_t n_tdev[T_N];
  } blkio;

  struct res_hp *hugepages;
  size_t n_hugepages;

  struct
  {
    struct opt_u64 class_id;
    struct res_prio *prio;
    size_t n_prio;
  } net;

  struct res_rdma *rdma;
  size_t n_rdma;

  struct res_kv *unified;
  size_t n_unified;
};

void
clr_cg_res_free (struct clr_cg_res *r)
{
  if (r == NULL)
    return;
  free (r->devices);
  free (r->cpu.cpus);
  free (r->cpu.mems);
  free (r->blkio.wdev);
  for (int t = 0; t < T_N; t++)
    free (r->blkio.tdev[t]);
  for (size_t i = 0; i < r->n_hugepages; i++)
    free (r->hugepages[i].page_size);
  free (r->hugepages);
  for (size_t i = 0; i < r->net.n_prio; i++)
    free (r->net.prio[i].name);
  free (r->net.prio);
  for (size_t i = 0; i < r->n_rdma; i++)
    free (r->rdma[i].device);
  free (r->rdma);
  for (size_t i = 0; i < r->n_unified; i++)
    {
      free (r->unified[i].key);
      free (r->unified[i].value);
    }
  free (r->unified);
  free (r);
}

static void warn (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

static void
warn (const char *fmt, ...)
{
  char buf[512];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (buf, sizeof buf, fmt, ap);
  va_end (ap);
  fprintf (stderr, "clawrun: warning: %s\n", buf);
}

/* ================================================================ parsing */

/* OBJ[KEY]; a JSON null is the same as absent (Go marshals unset pointers as null). */
static yajl_val
jget (yajl_val obj, const char *key)
{
  yajl_val v = clr_json_get (obj, key);
  return YAJL_IS_NULL (v) ? NULL : v;
}

static int
bad_number (clr_err *err, const char *ctx, const char *key, const char *s)
{
  if (strpbrk (s, ".eE"))
    return clr_fail (err, 0, "%s.%s: expected an integer, got %s", ctx, key, s);
  return clr_fail (err, 0, "%s.%s: %s is out of range", ctx, key, s);
}

static int
p_i64 (yajl_val obj, const char *ctx, const char *key, int64_t min, int64_t max, struct opt_i64 *o,
       clr_err *err)
{
  yajl_val v = jget (obj, key);
  if (v == NULL)
    return 0;
  if (!YAJL_IS_NUMBER (v))
    return clr_fail (err, 0, "%s.%s: expected a number", ctx, key);
  /* the number's text, not yajl's long long: exact for the whole int64/uint64 range */
  if (clr_parse_i64 (YAJL_GET_NUMBER (v), min, max, &o->v) < 0)
    return bad_number (err, ctx, key, YAJL_GET_NUMBER (v));
  o->set = true;
  return 0;
}

static int
p_u64 (yajl_val obj, const char *ctx, const char *key, uint64_t max, struct opt_u64 *o,
       clr_err *err)
{
  yajl_val v = jget (obj, key);
  if (v == NULL)
    return 0;
  if (!YAJL_IS_NUMBER (v))
    return clr_fail (err, 0, "%s.%s: expected a number", ctx, key);
  if (clr_parse_u64 (YAJL_GET_NUMBER (v), max, &o->v) < 0)
    return bad_number (err, ctx, key, YAJL_GET_NUMBER (v));
  o->set = true;
  return 0;
}

static int
p_bool (yajl_val obj, const char *ctx, const char *key, bool *out, clr_err *err)
{
  yajl_val v = jget (obj, key);
  if (v == NULL)
    return 0;
  if (!YAJL_IS_TRUE (v) && !YAJL_IS_FALSE (v))
    return clr_fail (err, 0, "%s.%s: expected a boolean", ctx, key);
  *out = YAJL_IS_TRUE (v);
  return 0;
}

static int
p_str (yajl_val obj, const char *ctx, const char *key, const char **out, clr_err *err)
{
  yajl_val v = jget (obj, key);
  *out = NULL;
  if (v == NULL)
    return 0;
  if (!YAJL_IS_STRING (v))
    return clr_fail (err, 0, "%s.%s: expected a string", ctx, key);
  *out = YAJL_GET_STRING (v);
  return 0;
}

static int
p_obj (yajl_val obj, const char *ctx, const char *key, yajl_val *out, clr_err *err)
{
  yajl_val v = jget (obj, key);
  *out = NULL;
  if (v == NULL)
    return 0;
  if (!YAJL_IS_OBJECT (v))
    return clr_fail (err, 0, "%s.%s: expected an object", ctx, key);
  *out = v;
  return 0;
}

static int
p_arr (yajl_val obj, const char *ctx, const char *key, yajl_val *out, size_t *n, clr_err *err)
{
  yajl_val v = jget (obj, key);
  *out = NULL;
  *n = 0;
  if (v == NULL)
    return 0;
  if (!YAJL_IS_ARRAY (v))
    return clr_fail (err, 0, "%s.%s: expected an array", ctx, key);
  *out = v;
  *n = v->u.array.len;
  return 0;
}

/* Element I of array KEY must be an object; its context name goes to BUF. */
static int
p_elem (yajl_val arr, const char *ctx, const char *key, size_t i, char *buf, size_t len,
        yajl_val *out, clr_err *err)
{
  snprintf (buf, len, "%s.%s[%zu]", ctx, key, i);
  *out = arr->u.array.values[i];
  if (!YAJL_IS_OBJECT (*out))
    return clr_fail (err, 0, "%s: expected an object", buf);
  return 0;
}

/* Device numbers: a missing, null or negative one is the wildcard. */
static int
p_devnum (yajl_val obj, const char *ctx, const char *key, bool required, int64_t *out, clr_err *err)
{
  struct opt_i64 o = { 0 };
  if (p_i64 (obj, ctx, key, INT64_MIN, UINT32_MAX, &o, err) < 0)
    return -1;
  if (!o.set && required)
    return clr_fail (err, 0, "%s.%s: required", ctx, key);
  if (required && o.v < 0)
    return clr_fail (err, 0, "%s.%s: %" PRId64 " is out of range", ctx, key, o.v);
  *out = o.set && o.v >= 0 ? o.v : -1;
  return 0;
}

static int
parse_devices (yajl_val res, struct clr_cg_res *r, clr_err *err)
{
  const char *ctx = "linux.resources";
  yajl_val arr;
  size_t n;
  if (p_arr (res, ctx, "devices", &arr, &n, err) < 0)
    return -1;
  r->has_devices = arr != NULL;
  r->devices = xcalloc (n ? n : 1, sizeof *r->devices);
  for (size_t i = 0; i < n; i++)
    {
      char c[128];
      yajl_val d;
      struct res_dev *dev = &r->devices[r->n_devices++];
      const char *type, *access;
      if (p_elem (arr, ctx, "devices", i, c, sizeof c, &d, err) < 0
          || p_bool (d, c, "allow", &dev->allow, err) < 0 || p_str (d, c, "type", &type, err) < 0
          || p_str (d, c, "access", &access, err) < 0
          || p_devnum (d, c, "major", false, &dev->major, err) < 0
          || p_devnum (d, c, "minor", false, &dev->minor, err) < 0)
        return -1;
      if (type == NULL || type[0] == '\0')
        type = "a";
      if (strlen (type) != 1 || !strchr ("abc", type[0]))
        return clr_fail (err, 0, "%s.type: \"%s\" is not one of a, b, c", c, type);
      dev->type = type[0];
      if (access == NULL || access[0] == '\0')
        access = "rwm";
      size_t al = strlen (access);
      if (al > 3 || strspn (access, "rwm") != al)
        return clr_fail (err, 0, "%s.access: \"%s\" is not a combination of r, w, m", c, access);
      memcpy (dev->access, access, al + 1);
    }
  return 0;
}

static int
parse_memory (yajl_val res, struct clr_cg_res *r, clr_err *err)
{
  const char *ctx = "linux.resources.memory";
  yajl_val m;
  if (p_obj (res, "linux.resources", "memory", &m, err) < 0)
    return -1;
  if (m == NULL)
    return 0;
  bool ignored = false;
  if (p_i64 (m, ctx, "limit", -1, INT64_MAX, &r->memory.limit, err) < 0
      || p_i64 (m, ctx, "reservation", -1, INT64_MAX, &r->memory.reservation, err) < 0
      || p_i64 (m, ctx, "swap", -1, INT64_MAX, &r->memory.swap, err) < 0
      || p_i64 (m, ctx, "kernel", INT64_MIN, INT64_MAX, &r->memory.kernel, err) < 0
      || p_i64 (m, ctx, "kernelTCP", INT64_MIN, INT64_MAX, &r->memory.kernel_tcp, err) < 0
      || p_u64 (m, ctx, "swappiness", UINT64_MAX, &r->memory.swappiness, err) < 0
      || p_bool (m, ctx, "disableOOMKiller", &r->memory.disable_oom_killer, err) < 0
      || p_bool (m, ctx, "useHierarchy", &ignored, err) < 0
      || p_bool (m, ctx, "checkBeforeUpdate", &ignored, err) < 0)
    return -1;
  /* (uint64)-1 is how some engines spell "not set" */
  if (r->memory.swappiness.set && r->memory.swappiness.v == UINT64_MAX)
    r->memory.swappiness.set = false;
  if (r->memory.swappiness.set && r->memory.swappiness.v > 100)
    return clr_fail (err, 0, "%s.swappiness: %" PRIu64 " is out of range (0-100)", ctx,
                     r->memory.swappiness.v);
  return 0;
}

static int
parse_cpu (yajl_val res, struct clr_cg_res *r, clr_err *err)
{
  const char *ctx = "linux.resources.cpu";
  yajl_val c;
  if (p_obj (res, "linux.resources", "cpu", &c, err) < 0)
    return -1;
  if (c == NULL)
    return 0;
  const char *cpus, *mems;
  if (p_u64 (c, ctx, "shares", UINT64_MAX, &r->cpu.shares, err) < 0
      || p_i64 (c, ctx, "quota", -1, INT64_MAX, &r->cpu.quota, err) < 0
      || p_u64 (c, ctx, "burst", UINT64_MAX, &r->cpu.burst, err) < 0
      || p_u64 (c, ctx, "period", UINT64_MAX, &r->cpu.period, err) < 0
      || p_i64 (c, ctx, "realtimeRuntime", -1, INT64_MAX, &r->cpu.rt_runtime, err) < 0
      || p_u64 (c, ctx, "realtimePeriod", UINT64_MAX, &r->cpu.rt_period, err) < 0
      || p_i64 (c, ctx, "idle", INT64_MIN, INT64_MAX, &r->cpu.idle, err) < 0
      || p_str (c, ctx, "cpus", &cpus, err) < 0 || p_str (c, ctx, "mems", &mems, err) < 0)
    return -1;
  if (cpus && cpus[0])
    r->cpu.cpus = xstrdup (cpus);
  if (mems && mems[0])
    r->cpu.mems = xstrdup (mems);
  return 0;
}

static int
parse_pids (yajl_val res, struct clr_cg_res *r, clr_err *err)
{
  yajl_val p;
  if (p_obj (res, "linux.resources", "pids", &p, err) < 0)
    return -1;
  return p_i64 (p, "linux.resources.pids", "limit", INT64_MIN, INT64_MAX, &r->pids_limit, err);
}

static int
parse_blkio (yajl_val res, struct clr_cg_res *r, clr_err *err)
{
  const char *ctx = "linux.resources.blockIO";
  yajl_val b, arr;
  size_t n;
  if (p_obj (res, "linux.resources", "blockIO", &b, err) < 0)
    return -1;
  if (b == NULL)
    return 0;
  if (p_u64 (b, ctx, "weight", UINT16_MAX, &r->blkio.weight, err) < 0
      || p_u64 (b, ctx, "leafWeight", UINT16_MAX, &r->blkio.leaf_weight, err) < 0
      || p_arr (b, ctx, "weightDevice", &arr, &n, err) < 0)
    return -1;
  r->blkio.wdev = xcalloc (n ? n : 1, sizeof *r->blkio.wdev);
  for (size_t i = 0; i < n; i++)
    {
      char c[128];
      yajl_val d;
      struct res_wdev *w = &r->blkio.wdev[r->blkio.n_wdev++];
      if (p_elem (arr, ctx, "weightDevice", i, c, sizeof c, &d, err) < 0
          || p_devnum (d, c, "major", true, &w->major, err) < 0
          || p_devnum (d, c, "minor", true, &w->minor, err) < 0
          || p_u64 (d, c, "weight", UINT16_MAX, &w->weight, err) < 0
          || p_u64 (d, c, "leafWeight", UINT16_MAX, &w->leaf_weight, err) < 0)
        return -1;
    }
  for (int t = 0; t < T_N; t++)
    {
      if (p_arr (b, ctx, throttle_keys[t], &arr, &n, err) < 0)
        return -1;
      r->blkio.tdev[t] = xcalloc (n ? n : 1, sizeof *r->blkio.tdev[t]);
      for (size_t i = 0; i < n; i++)
        {
          char c[128];
          yajl_val d;
          struct opt_u64 rate = { 0 };
          struct res_tdev *td = &r->blkio.tdev[t][r->blkio.n_tdev[t]++];
          if (p_elem (arr, ctx, throttle_keys[t], i, c, sizeof c, &d, err) < 0
              || p_devnum (d, c, "major", true, &td->major, err) < 0
              || p_devnum (d, c, "minor", true, &td->minor, err) < 0
              || p_u64 (d, c, "rate", UINT64_MAX, &rate, err) < 0)
            return -1;
          if (!rate.set)
            return clr_fail (err, 0, "%s.rate: required", c);
          td->rate = rate.v;
        }
    }
  return 0;
}

/* "2MB", "1GB", "64KB": also a file name component, so nothing else gets through. */
static bool
valid_page_size (const char *s)
{
  size_t d = strspn (s, "0123456789");
  return d > 0 && strlen (s) == d + 2 && strchr ("KMGTP", s[d]) && s[d + 1] == 'B';
}

static int
parse_hugepages (yajl_val res, struct clr_cg_res *r, clr_err *err)
{
  const char *ctx = "linux.resources";
  yajl_val arr;
  size_t n;
  if (p_arr (res, ctx, "hugepageLimits", &arr, &n, err) < 0)
    return -1;
  r->hugepages = xcalloc (n ? n : 1, sizeof *r->hugepages);
  for (size_t i = 0; i < n; i++)
    {
      char c[128];
      yajl_val h;
      const char *size;
      struct opt_u64 limit = { 0 };
      if (p_elem (arr, ctx, "hugepageLimits", i, c, sizeof c, &h, err) < 0
          || p_str (h, c, "pageSize", &size, err) < 0
          || p_u64 (h, c, "limit", UINT64_MAX, &limit, err) < 0)
        return -1;
      if (size == NULL || !valid_page_size (size))
        return clr_fail (err, 0, "%s.pageSize: \"%s\" is not a size like 2MB", c, size ? size : "");
      if (!limit.set)
        return clr_fail (err, 0, "%s.limit: required", c);
      r->hugepages[r->n_hugepages].page_size = xstrdup (size);
      r->hugepages[r->n_hugepages++].limit = limit.v;
    }
  return 0;
}

static int
parse_network (yajl_val res, struct clr_cg_res *r, clr_err *err)
{
  const char *ctx = "linux.resources.network";
  yajl_val net, arr;
  size_t n;
  if (p_obj (res, "linux.resources", "network", &net, err) < 0)
    return -1;
  if (net == NULL)
    return 0;
  if (p_u64 (net, ctx, "classID", UINT32_MAX, &r->net.class_id, err) < 0
      || p_arr (net, ctx, "priorities", &arr, &n, err) < 0)
    return -1;
  r->net.prio = xcalloc (n ? n : 1, sizeof *r->net.prio);
  for (size_t i = 0; i < n; i++)
    {
      char c[128];
      yajl_val p;
      const char *name;
      struct opt_u64 prio = { 0 };
      if (p_elem (arr, ctx, "priorities", i, c, sizeof c, &p, err) < 0
          || p_str (p, c, "name", &name, err) < 0
          || p_u64 (p, c, "priority", UINT32_MAX, &prio, err) < 0)
        return -1;
      if (name == NULL || name[0] == '\0' || strpbrk (name, " \n/"))
        return clr_fail (err, 0, "%s.name: \"%s\" is not an interface name", c, name ? name : "");
      r->net.prio[r->net.n_prio].name = xstrdup (name);
      r->net.prio[r->net.n_prio++].priority = prio.v;
    }
  return 0;
}

static int
parse_rdma (yajl_val res, struct clr_cg_res *r, clr_err *err)
{
  yajl_val rd;
  if (p_obj (res, "linux.resources", "rdma", &rd, err) < 0)
    return -1;
  size_t n = rd ? rd->u.object.len : 0;
  r->rdma = xcalloc (n ? n : 1, sizeof *r->rdma);
  for (size_t i = 0; i < n; i++)
    {
      const char *dev = rd->u.object.keys[i];
      yajl_val v = rd->u.object.values[i];
      char c[192];
      snprintf (c, sizeof c, "linux.resources.rdma.%s", dev);
      if (dev[0] == '\0' || strpbrk (dev, " \n"))
        return clr_fail (err, 0, "%s: not a device name", c);
      if (!YAJL_IS_OBJECT (v))
        return clr_fail (err, 0, "%s: expected an object", c);
      struct res_rdma *e = &r->rdma[r->n_rdma++];
      e->device = xstrdup (dev);
      if (p_u64 (v, c, "hcaHandles", UINT32_MAX, &e->handles, err) < 0
          || p_u64 (v, c, "hcaObjects", UINT32_MAX, &e->objects, err) < 0)
        return -1;
    }
  return 0;
}

/* Core files that would move processes or break the "no internal processes" rule. */
static const char *const unified_refused[]
    = { "cgroup.procs", "cgroup.threads", "cgroup.kill", "cgroup.subtree_control", "cgroup.type" };

static int
parse_unified (yajl_val res, struct clr_cg_res *r, clr_err *err)
{
  yajl_val u;
  if (p_obj (res, "linux.resources", "unified", &u, err) < 0)
    return -1;
  size_t n = u ? u->u.object.len : 0;
  r->unified = xcalloc (n ? n : 1, sizeof *r->unified);
  for (size_t i = 0; i < n; i++)
    {
      const char *k = u->u.object.keys[i];
      yajl_val v = u->u.object.values[i];
      /* the key becomes a file name in the container's cgroup directory */
      if (k[0] == '\0' || k[0] == '.' || strchr (k, '/') || !strchr (k, '.'))
        return clr_fail (err, 0, "linux.resources.unified: \"%s\" is not a cgroup file name", k);
      for (size_t j = 0; j < CLR_ARRAY_SIZE (unified_refused); j++)
        if (strcmp (k, unified_refused[j]) == 0)
          return clr_fail (err, 0, "linux.resources.unified.%s: not allowed", k);
      if (!YAJL_IS_STRING (v))
        return clr_fail (err, 0, "linux.resources.unified.%s: expected a string", k);
      r->unified[r->n_unified].key = xstrdup (k);
      r->unified[r->n_unified++].value = xstrdup (YAJL_GET_STRING (v));
    }
  return 0;
}

int
clr_cg_res_parse (const void *resources_json, struct clr_cg_res **out, clr_err *err)
{
  yajl_val res = (yajl_val) resources_json;
  if (res && !YAJL_IS_NULL (res) && !YAJL_IS_OBJECT (res))
    return clr_fail (err, 0, "linux.resources: expected an object");
  struct clr_cg_res *r = xcalloc (1, sizeof *r);
  if (parse_devices (res, r, err) < 0 || parse_memory (res, r, err) < 0
      || parse_cpu (res, r, err) < 0 || parse_pids (res, r, err) < 0
      || parse_blkio (res, r, err) < 0 || parse_hugepages (res, r, err) < 0
      || parse_network (res, r, err) < 0 || parse_rdma (res, r, err) < 0
      || parse_unified (res, r, err) < 0)
    {
      clr_cg_res_free (r);
      return -1;
    }
  *out = r;
  return 0;
}

/* ================================================================ writing */



static bool
has_controller (struct clr_cgroup *cg, const char *controller)
{
  cleanup_free char *dir = clr_cg_ctrl_dir (cg, controller);
  if (dir == NULL)
    return false;
  if (!clr_cg_is_v2 (cg) || controller == NULL || strcmp (controller, "cgroup") == 0)
    return true;
  cleanup_free char *path = xasprintf ("%s/cgroup.controllers", dir);
  cleanup_free char *list = NULL;
  clr_err e;
  if (clr_read_file (path, 1 << 16, &list, NULL, &e) < 0)
    return false;
  return clr_cg_has_word (list, controller);
}

static bool
has_file (struct clr_cgroup *cg, const char *controller, const char *file)
{
  cleanup_free char *dir = clr_cg_ctrl_dir (cg, controller);
  if (dir == NULL)
    return false;
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);
  return access (path, F_OK) == 0;
}

static int
not_available (const char *controller, const char *file, const char *value, clr_err *err)
{
  return clr_fail (err, 0, "set %s to %s: the %s controller is not available", file, value,
                   controller);
}

/* Write VALUE to CONTROLLER's FILE.  UNLIMITED: VALUE only asks for "no limit", which a
 * host without the controller already gives, so its absence is not an error then. */
static int
set_x (struct clr_cgroup *cg, const char *controller, const char *file, const char *value,
       bool unlimited, clr_err *err)
{
  cleanup_free char *dir = clr_cg_ctrl_dir (cg, controller);
  if (dir == NULL)
    return unlimited ? 0 : not_available (controller, file, value, err);
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    {
      int e = errno;
      if (e == ENOENT && !has_controller (cg, controller))
        return unlimited ? 0 : not_available (controller, file, value, err);
      return clr_fail (err, e, "set %s to %s", file, value);
    }
  /* one write(2) per value: cgroup files parse each write as a whole */
  size_t len = strlen (value);
  ssize_t w;
  do
    w = write (fd, value, len);
  while (w < 0 && errno == EINTR);
  if (w < 0 || (size_t) w != len)
    return clr_fail (err, w < 0 ? errno : EIO, "set %s to %s", file, value);
  return 0;
}

static int
set (struct clr_cgroup *cg, const char *controller, const char *file, const char *value,
     clr_err *err)
{
  return set_x (cg, controller, file, value, false, err);
}

static int
set_i64 (struct clr_cgroup *cg, const char *controller, const char *file, int64_t v, clr_err *err)
{
  char buf[32];
  snprintf (buf, sizeof buf, "%" PRId64, v);
  return set (cg, controller, file, buf, err);
}

static int
set_u64 (struct clr_cgroup *cg, const char *controller, const char *file, uint64_t v, clr_err *err)
{
  char buf[32];
  snprintf (buf, sizeof buf, "%" PRIu64, v);
  return set (cg, controller, file, buf, err);
}

/* "max" for -1, the number otherwise (v2 limit syntax) */
static void
fmt_max (char *buf, size_t len, int64_t v)
{
  if (v < 0)
    snprintf (buf, len, "max");
  else
    snprintf (buf, len, "%" PRId64, v);
}

static int
get_u64 (struct clr_cgroup *cg, const char *controller, const char *file, uint64_t *out,
         clr_err *err)
{
  cleanup_free char *dir = clr_cg_ctrl_dir (cg, controller);
  if (dir == NULL)
    return clr_fail (err, 0, "read %s: the %s controller is not available", file, controller);
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);
  cleanup_free char *buf = NULL;
  if (clr_read_file (path, 4096, &buf, NULL, err) < 0)
    return -1;
  buf[strcspn (buf, "\n")] = '\0';
  if (strcmp (buf, "max") == 0)
    {
      *out = UINT64_MAX;
      return 0;
    }
  if (clr_parse_u64 (buf, UINT64_MAX, out) < 0)
    return clr_fail (err, EINVAL, "read %s: \"%s\"", path, buf);
  return 0;
}

/* ---- devices */

/* runc's default allow-list, appended after the config's rules (runc 1.1 specconv
 * AllowedDevices) minus /dev/net/tun, which an untrusted sandbox has no use for. */
static const struct clr_dev_rule default_device_rules[] = {
  { true, 'c', -1, -1, "m" },  { true, 'b', -1, -1, "m" },    { true, 'c', 1, 3, "rwm" },
  { true, 'c', 1, 8, "rwm" },  { true, 'c', 1, 7, "rwm" },    { true, 'c', 5, 0, "rwm" },
  { true, 'c', 1, 5, "rwm" },  { true, 'c', 1, 9, "rwm" },    { true, 'c', 136, -1, "rwm" },
  { true, 'c', 5, 2, "rwm" },
};

/* v2: the config's rules then the defaults, compiled into one BPF program. */
static int
apply_devices_bpf (struct clr_cgroup *cg, const struct clr_cg_res *r, clr_err *err)
{
  size_t n = r->n_devices + CLR_ARRAY_SIZE (default_device_rules);
  cleanup_free struct clr_dev_rule *all = xcalloc (n, sizeof *all);
  memcpy (all, r->devices, r->n_devices * sizeof *all);
  memcpy (all + r->n_devices, default_device_rules, sizeof default_device_rules);
  if (cg->unified_fd < 0)
    return 0;
  return clr_devices_bpf_apply (cg->unified_fd, all, n, err);
}

static int write_device_rules (struct clr_cgroup *cg, const struct clr_cg_res *r, clr_err *err);

static int
apply_devices (struct clr_cgroup *cg, const struct clr_cg_res *r, bool creating, clr_err *err)
{
  if (!creating && !r->has_devices)
    return 0;
  if (clr_cg_is_v2 (cg))
    return apply_devices_bpf (cg, r, err);
  if (clr_cg_v1_hier (cg, "devices") == NULL)
    {
      if (r->n_devices > 0)
        warn ("linux.resources.devices: no devices cgroup on this host, device rules not applied");
      return 0;
    }
  /* Deny everything, then replay the rules in order (the kernel's own semantics: a later
   * rule overrides an earlier one), then the defaults.  On update the container runs: keep
   * it frozen meanwhile, or it could see /dev/null fail with EPERM between the writes. */
  bool thaw = false;
  if (!creating)
    {
      bool frozen = true;
      clr_err ferr;
      if (clr_cgroup_is_frozen (cg, &frozen, &ferr) == 0 && !frozen)
        thaw = clr_cgroup_freeze (cg, true, &ferr) == 0;
    }
  int ret = write_device_rules (cg, r, err);
  if (thaw)
    {
      clr_err terr;
      if (clr_cgroup_freeze (cg, false, ret < 0 ? &terr : err) < 0)
        ret = -1;
    }
  return ret;
}

static int
write_device_rules (struct clr_cgroup *cg, const struct clr_cg_res *r, clr_err *err)
{
  if (set (cg, "devices", "devices.deny", "a", err) < 0)
    return -1;
  for (size_t i = 0; i < r->n_devices + CLR_ARRAY_SIZE (default_device_rules); i++)
    {
      const struct res_dev *d = i < r->n_devices ? &r->devices[i] : &default_device_rules[i - r->n_devices];
      char maj[24], min[24], rule[80];
      if (d->major < 0)
        snprintf (maj, sizeof maj, "*");
      else
        snprintf (maj, sizeof maj, "%" PRId64, d->major);
      if (d->minor < 0)
        snprintf (min, sizeof min, "*");
      else
        snprintf (min, sizeof min, "%" PRId64, d->minor);
      if (d->type == 'a')
        snprintf (rule, sizeof rule, "a");
      else
        snprintf (rule, sizeof rule, "%c %s:%s %s", d->type, maj, min, d->access);
      if (set (cg, "devices", d->allow ? "devices.allow" : "devices.deny", rule, err) < 0)
        return -1;
    }
  return 0;
}

/* ---- memory */

static int
apply_memory_v1 (struct clr_cgroup *cg, const struct clr_cg_res *r, clr_err *err)
{
  const char *M = "memory", *LIMIT = "memory.limit_in_bytes",
             *MEMSW = "memory.memsw.limit_in_bytes";
  struct opt_i64 limit = r->memory.limit, swap = r->memory.swap;
  if (limit.set && limit.v == 0)
    limit.set = false;
  if (swap.set && swap.v == 0)
    swap.set = false;
  bool has_memsw = has_file (cg, M, MEMSW);
  /* runc: unlimited memory with swap unset means unlimited swap too */
  if (limit.set && limit.v == -1 && !swap.set && has_memsw)
    swap = (struct opt_i64){ true, -1 };
  /* no swap accounting in this kernel: "unlimited swap" is what it does anyway */
  if (swap.set && swap.v == -1 && !has_memsw)
    swap.set = false;

  if (limit.set && swap.set)
    {
      /* the kernel wants limit <= memsw after every write: raise memsw first when it
       * grows, lower the limit first when it shrinks */
      uint64_t cur;
      if (get_u64 (cg, M, LIMIT, &cur, err) < 0)
        return -1;
      if (swap.v == -1 || cur < (uint64_t) swap.v)
        {
          if (set_i64 (cg, M, MEMSW, swap.v, err) < 0 || set_i64 (cg, M, LIMIT, limit.v, err) < 0)
            return -1;
        }
      else if (set_i64 (cg, M, LIMIT, limit.v, err) < 0 || set_i64 (cg, M, MEMSW, swap.v, err) < 0)
        return -1;
    }
  else if (limit.set)
    {
      if (limit.v == -1 ? set_x (cg, M, LIMIT, "-1", true, err) < 0
                        : set_i64 (cg, M, LIMIT, limit.v, err) < 0)
        return -1;
    }
  else if (swap.set && set_i64 (cg, M, MEMSW, swap.v, err) < 0)
    return -1;

  if (r->memory.reservation.set && r->memory.reservation.v != 0
      && set_i64 (cg, M, "memory.soft_limit_in_bytes", r->memory.reservation.v, err) < 0)
    return -1;
  if (r->memory.swappiness.set
      && set_u64 (cg, M, "memory.swappiness", r->memory.swappiness.v, err) < 0)
    return -1;
  if (r->memory.disable_oom_killer && set (cg, M, "memory.oom_control", "1", err) < 0)
    return -1;
  return 0;
}

/* OCI's swap is memory+swap (the v1 memsw meaning); memory.swap.max is swap alone.
 * runc's ConvertMemorySwapToCgroupV2Value. */
static int
v2_swap (int64_t limit, int64_t swap, int64_t *out, clr_err *err)
{
  if (limit == -1 && swap == 0)
    *out = -1;
  else if (swap == -1 || swap == 0)
    *out = swap;
  else if (limit == 0 || limit == -1)
    return clr_fail (err, 0,
                     "linux.resources.memory.swap: cannot limit swap without a memory limit");
  else if (swap < limit)
    return clr_fail (err, 0,
                     "linux.resources.memory.swap: %" PRId64 " is below the memory limit %" PRId64
                     " (swap is memory+swap)",
                     swap, limit);
  else
    *out = swap - limit;
  return 0;
}

static int
apply_memory_v2 (struct clr_cgroup *cg, const struct clr_cg_res *r, clr_err *err)
{
  const char *M = "memory";
  char buf[32];
  int64_t limit = r->memory.limit.set ? r->memory.limit.v : 0;
  int64_t swap = r->memory.swap.set ? r->memory.swap.v : 0, swap2 = 0;
  if (v2_swap (limit, swap, &swap2, err) < 0)
    return -1;
  if (swap2 != 0)
    {
      fmt_max (buf, sizeof buf, swap2);
      /* without swap accounting "unlimited swap" needs no file */
      bool skip = swap2 == -1 && !has_file (cg, M, "memory.swap.max");
      if (!skip && set_x (cg, M, "memory.swap.max", buf, swap2 == -1, err) < 0)
        return -1;
    }
  if (limit != 0)
    {
      fmt_max (buf, sizeof buf, limit);
      if (set_x (cg, M, "memory.max", buf, limit == -1, err) < 0)
        return -1;
    }
  if (r->memory.reservation.set && r->memory.reservation.v != 0)
    {
      fmt_max (buf, sizeof buf, r->memory.reservation.v);
      if (set (cg, M, "memory.low", buf, err) < 0)
        return -1;
    }
  if (r->memory.swappiness.set)
    warn ("linux.resources.memory.swappiness is ignored on cgroup v2");
  if (r->memory.disable_oom_killer)
    warn ("linux.resources.memory.disableOOMKiller is ignored on cgroup v2");
  return 0;
}

static int
apply_memory (struct clr_cgroup *cg, const struct clr_cg_res *r, clr_err *err)
{
  /* Kernel memory limits are gone from recent kernels (and never existed in v2); runc
   * ignores them too. */
  if (r->memory.kernel.set && r->memory.kernel.v != 0)
    warn ("linux.resources.memory.kernel is ignored");
  if (r->memory.kernel_tcp.set && r->memory.kernel_tcp.v != 0)
    warn ("linux.resources.memory.kernelTCP is ignored");
  return clr_cg_is_v2 (cg) ? apply_memory_v2 (cg, r, err) : apply_memory_v1 (cg, r, err);
}

/* ---- cpu, cpuset */

static int
apply_cpuset (struct clr_cgroup *cg, const struct clr_cg_res *r, clr_err *err)
{
  if (r->cpu.cpus && set (cg, "cpuset", "cpuset.cpus", r->cpu.cpus, err) < 0)
    return -1;
  if (r->cpu.mems && set (cg, "cpuset", "cpuset.mems", r->cpu.mems, err) < 0)
    return -1;
  return 0;
}

static int
apply_cpu_v1 (struct clr_cgroup *cg, const struct clr_cg_res *r, clr_err *err)
{
  const char *C = "cpu";
  if (r->cpu.shares.set && r->cpu.shares.v != 0)
    {
      if (set_u64 (cg, C, "cpu.shares", r->cpu.shares.v, err) < 0)
        return -1;
      /* the kernel clamps to [2, 262144] silently: say so instead (runc does) */
      uint64_t got;
      if (get_u64 (cg, C, "cpu.shares", &got, err) < 0)
        return -1;
      if (got != r->cpu.shares.v)
        return clr_fail (err, 0,
                         "linux.resources.cpu.shares: %" PRIu64
                         " is out of range (the kernel set %" PRIu64 ")",
                         r->cpu.shares.v, got);
    }

  /* A smaller period can be refused (EINVAL) while the old quota/new period would exceed
   * the parent's bandwidth; when a quota is coming too, retry the period after it. */
  bool period_pending = false;
  if (r->cpu.period.set && r->cpu.period.v != 0)
    {
      clr_err perr;
      if (set_u64 (cg, C, "cpu.cfs_period_us", r->cpu.period.v, &perr) < 0)
        {
          if (perr.code != EINVAL || !r->cpu.quota.set || r->cpu.quota.v == 0)
            {
              *err = perr;
              return -1;
            }
          period_pending = true;
        }
    }
  if (r->cpu.quota.set && r->cpu.quota.v != 0)
    {
      if (set_i64 (cg, C, "cpu.cfs_quota_us", r->cpu.quota.v, err) < 0)
        return -1;
      if (period_pending && set_u64 (cg, C, "cpu.cfs_period_us", r->cpu.period.v, err) < 0)
        return -1;
    }
  if (r->cpu.burst.set && set_u64 (cg, C, "cpu.cfs_burst_us", r->cpu.burst.v, err) < 0)
    return -1;
  if (r->cpu.rt_period.set && r->cpu.rt_period.v != 0
      && set_u64 (cg, C, "cpu.rt_period_us", r->cpu.rt_period.v, err) < 0)
    return -1;
  if (r->cpu.rt_runtime.set && r->cpu.rt_runtime.v != 0
      && set_i64 (cg, C, "cpu.rt_runtime_us", r->cpu.rt_runtime.v, err) < 0)
    return -1;
  /* idle 0 is the default: no need for a kernel that has cpu.idle */
  if (r->cpu.idle.set && (r->cpu.idle.v != 0 || has_file (cg, C, "cpu.idle"))
      && set_i64 (cg, C, "cpu.idle", r->cpu.idle.v, err) < 0)
    return -1;
  return 0;
}

/* runc's ConvertCPUSharesToCgroupV2Value: [2, 262144] onto [1, 10000]. */
static uint64_t
shares_to_weight (uint64_t shares)
{
  if (shares < 2)
    shares = 2;
  if (shares > 262144)
    shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

static int
apply_cpu_v2 (struct clr_cgroup *cg, const struct clr_cg_res *r, clr_err *err)
{
  const char *C = "cpu";
  if ((r->cpu.rt_runtime.set && r->cpu.rt_runtime.v != 0)
      || (r->cpu.rt_period.set && r->cpu.rt_period.v != 0))
    return clr_fail (err, 0, "linux.resources.cpu.%s: requires cgroup v1",
                     r->cpu.rt_runtime.set && r->cpu.rt_runtime.v != 0 ? "realtimeRuntime"
                                                                       : "realtimePeriod");
  if (r->cpu.shares.set && r->cpu.shares.v != 0
      && set_u64 (cg, C, "cpu.weight", shares_to_weight (r->cpu.shares.v), err) < 0)
    return -1;
  bool quota = r->cpu.quota.set && r->cpu.quota.v != 0,
       period = r->cpu.period.set && r->cpu.period.v != 0;
  if (quota || period)
    {
      /* "$QUOTA $PERIOD"; the period may be left out to keep the current one */
      char buf[64];
      int n = quota && r->cpu.quota.v > 0 ? snprintf (buf, sizeof buf, "%" PRId64, r->cpu.quota.v)
                                          : snprintf (buf, sizeof buf, "max");
      if (period)
        snprintf (buf + n, sizeof buf - n, " %" PRIu64, r->cpu.period.v);
      if (set (cg, C, "cpu.max", buf, err) < 0)
        return -1;
    }
  if (r->cpu.burst.set && set_u64 (cg, C, "cpu.max.burst", r->cpu.burst.v, err) < 0)
    return -1;
  if (r->cpu.idle.set && (r->cpu.idle.v != 0 || has_file (cg, C, "cpu.idle"))
      && set_i64 (cg, C, "cpu.idle", r->cpu.idle.v, err) < 0)
    return -1;
  return 0;
}

/* ---- pids */

static int
apply_pids (struct clr_cgroup *cg, const struct clr_cg_res *r, clr_err *err)
{
  if (!r->pids_limit.set)
    return 0;
  /* OCI: 0 or -1 is unlimited */
  if (r->pids_limit.v <= 0)
    return set_x (cg, "pids", "pids.max", "max", true, err);
  return set_i64 (cg, "pids", "pids.max", r->pids_limit.v, err);
}

/* ---- block I/O */

static int
set_dev (struct clr_cgroup *cg, const char *controller, const char *file, int64_t major,
         int64_t minor, uint64_t v, clr_err *err)
{
  char buf[96];
  snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %" PRIu64, major, minor, v);
  return set (cg, controller, file, buf, err);
}

static int
apply_blkio_v1 (struct clr_cgroup *cg, const struct clr_cg_res *r, clr_err *err)
{
  const char *B = "blkio";
  /* CFQ's blkio.weight is gone from recent kernels; BFQ's takes the same 1..1000 */
  bool bfq = !has_file (cg, B, "blkio.weight") && has_file (cg, B, "blkio.bfq.weight");
  if (r->blkio.weight.set && r->blkio.weight.v != 0
      && set_u64 (cg, B, bfq ? "blkio.bfq.weight" : "blkio.weight", r->blkio.weight.v, err) < 0)
    return -1;
  if (r->blkio.leaf_weight.set && r->blkio.leaf_weight.v != 0)
    {
      if (!has_file (cg, B, "blkio.leaf_weight"))
        warn ("linux.resources.blockIO.leafWeight is ignored (not supported by this kernel)");
      else if (set_u64 (cg, B, "blkio.leaf_weight", r->blkio.leaf_weight.v, err) < 0)
        return -1;
    }
  for (size_t i = 0; i < r->blkio.n_wdev; i++)
    {
      const struct res_wdev *w = &r->blkio.wdev[i];
      if (w->weight.set
          && set_dev (cg, B, bfq ? "blkio.bfq.weight_device" : "blkio.weight_device", w->major,
                      w->minor, w->weight.v, err)
                 < 0)
        return -1;
      if (w->leaf_weight.set)
        {
          if (!has_file (cg, B, "blkio.leaf_weight_device"))
            warn ("linux.resources.blockIO.weightDevice[%zu].leafWeight is ignored (not supported "
                  "by this kernel)",
                  i);
          else if (set_dev (cg, B, "blkio.leaf_weight_device", w->major, w->minor, w->leaf_weight.v,
                            err)
                   < 0)
            return -1;
        }
    }
  for (int t = 0; t < T_N; t++)
    for (size_t i = 0; i < r->blkio.n_tdev[t]; i++)
      {
        const struct res_tdev *d = &r->blkio.tdev[t][i];
        if (set_dev (cg, B, throttle_v1[t], d->major, d->minor, d->rate, err) < 0)
          return -1;
      }
  return 0;
}

/* runc's ConvertBlkIOToIOWeightValue: [10, 1000] onto [1, 10000]. */
static uint64_t
blkio_to_io_weight (uint64_t w)
{
  if (w < 10)
    w = 10;
  if (w > 1000)
    w = 1000;
  return 1 + (w - 10) * 9999 / 990;
}

static int
apply_blkio_v2 (struct clr_cgroup *cg, const struct clr_cg_res *r, clr_err *err)
{
  const char *IO = "io";
  bool bfq = has_file (cg, IO, "io.bfq.weight");
  if (r->blkio.weight.set && r->blkio.weight.v != 0)
    {
      int rc = bfq ? set_u64 (cg, IO, "io.bfq.weight", r->blkio.weight.v, err)
                   : set_u64 (cg, IO, "io.weight", blkio_to_io_weight (r->blkio.weight.v), err);
      if (rc < 0)
        return -1;
    }
  if (r->blkio.leaf_weight.set && r->blkio.leaf_weight.v != 0)
    warn ("linux.resources.blockIO.leafWeight is ignored on cgroup v2");
  for (size_t i = 0; i < r->blkio.n_wdev; i++)
    {
      const struct res_wdev *w = &r->blkio.wdev[i];
      if (w->weight.set)
        {
          int rc = bfq ? set_dev (cg, IO, "io.bfq.weight", w->major, w->minor, w->weight.v, err)
                       : set_dev (cg, IO, "io.weight", w->major, w->minor,
                                  blkio_to_io_weight (w->weight.v), err);
          if (rc < 0)
            return -1;
        }
      if (w->leaf_weight.set)
        warn ("linux.resources.blockIO.weightDevice[%zu].leafWeight is ignored on cgroup v2", i);
    }
  for (int t = 0; t < T_N; t++)
    for (size_t i = 0; i < r->blkio.n_tdev[t]; i++)
      {
        const struct res_tdev *d = &r->blkio.tdev[t][i];
        char buf[128];
        /* v1 takes 0 as "no limit"; v2 spells it max */
        if (d->rate == 0)
          snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %s=max", d->major, d->minor,
                    throttle_v2[t]);
        else
          snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %s=%" PRIu64, d->major, d->minor,
                    throttle_v2[t], d->rate);
        if (set (cg, IO, "io.max", buf, err) < 0)
          return -1;
      }
  return 0;
}

/* ---- hugetlb, network, rdma, unified */

static int
apply_hugetlb (struct clr_cgroup *cg, const struct clr_cg_res *r, clr_err *err)
{
  for (size_t i = 0; i < r->n_hugepages; i++)
    {
      cleanup_free char *file = xasprintf ("hugetlb.%s.%s", r->hugepages[i].page_size,
                                           clr_cg_is_v2 (cg) ? "max" : "limit_in_bytes");
      if (set_u64 (cg, "hugetlb", file, r->hugepages[i].limit, err) < 0)
        return -1;
    }
  return 0;
}

static int
apply_network (struct clr_cgroup *cg, const struct clr_cg_res *r, clr_err *err)
{
  if (clr_cg_is_v2 (cg))
    {
      /* net_cls/net_prio have no v2 counterpart (tag traffic with cgroup BPF instead) */
      if (r->net.class_id.set || r->net.n_prio > 0)
        warn ("linux.resources.network is ignored on cgroup v2");
      return 0;
    }
  if (r->net.class_id.set && set_u64 (cg, "net_cls", "net_cls.classid", r->net.class_id.v, err) < 0)
    return -1;
  for (size_t i = 0; i < r->net.n_prio; i++)
    {
      char buf[128];
      snprintf (buf, sizeof buf, "%s %" PRIu64, r->net.prio[i].name, r->net.prio[i].priority);
      if (set (cg, "net_prio", "net_prio.ifpriomap", buf, err) < 0)
        return -1;
    }
  return 0;
}

static int
apply_rdma (struct clr_cgroup *cg, const struct clr_cg_res *r, clr_err *err)
{
  for (size_t i = 0; i < r->n_rdma; i++)
    {
      const struct res_rdma *d = &r->rdma[i];
      char h[24], o[24];
      if (d->handles.set)
        snprintf (h, sizeof h, "%" PRIu64, d->handles.v);
      else
        snprintf (h, sizeof h, "max");
      if (d->objects.set)
        snprintf (o, sizeof o, "%" PRIu64, d->objects.v);
      else
        snprintf (o, sizeof o, "max");
      cleanup_free char *line = xasprintf ("%s hca_handle=%s hca_object=%s", d->device, h, o);
      if (set (cg, "rdma", "rdma.max", line, err) < 0)
        return -1;
    }
  return 0;
}

static int
apply_unified (struct clr_cgroup *cg, const struct clr_cg_res *r, clr_err *err)
{
  if (r->n_unified == 0)
    return 0;
  if (!clr_cg_is_v2 (cg))
    return clr_fail (err, 0, "linux.resources.unified: requires cgroup v2");
  for (size_t i = 0; i < r->n_unified; i++)
    {
      /* "memory.high" belongs to the memory controller: name it when it is missing */
      const char *k = r->unified[i].key;
      cleanup_free char *controller = xasprintf ("%.*s", (int) (strchr (k, '.') - k), k);
      if (set (cg, controller, k, r->unified[i].value, err) < 0)
        return -1;
    }
  return 0;
}

int
clr_cg_res_apply (struct clr_cgroup *cg, const struct clr_cg_res *r, bool creating, clr_err *err)
{
  if (apply_cpuset (cg, r, err) < 0 || apply_devices (cg, r, creating, err) < 0
      || apply_memory (cg, r, err) < 0
      || (clr_cg_is_v2 (cg) ? apply_cpu_v2 (cg, r, err) : apply_cpu_v1 (cg, r, err)) < 0
      || apply_pids (cg, r, err) < 0
      || (clr_cg_is_v2 (cg) ? apply_blkio_v2 (cg, r, err) : apply_blkio_v1 (cg, r, err)) < 0
      || apply_hugetlb (cg, r, err) < 0 || apply_network (cg, r, err) < 0
      || apply_rdma (cg, r, err) < 0 || apply_unified (cg, r, err) < 0)
    return -1;
  return 0;
}

int
clr_cgroup_apply_resources (struct clr_cgroup *cg, const void *resources_json, clr_err *err)
{
  cleanup_cg_res struct clr_cg_res *r = NULL;
  if (clr_cg_res_parse (resources_json, &r, err) < 0)
    return -1;
  return clr_cg_res_apply (cg, r, false, err);
}
