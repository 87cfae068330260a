/* clawrun: the systemd cgroup driver (see systemd.h).
 *
 * The cgroupsPath conversion follows runc (libcontainer/specconv and cgroups/systemd:
 * "slice:prefix:name", ExpandSlice, getUnitName) and systemd's own rules for where a unit's
 * cgroup lives (cg_slice_to_path, cg_escape), so the path we compute is the directory
 * systemd actually creates.  The D-Bus side is what runc's startUnit/stopUnit do, over
 * sd-bus: one short-lived connection per call (sd-bus objects must not cross a fork, and
 * create/delete are separate processes anyway).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>

#include "internal.h"
#include "systemd.h"
#include "../runtime/log.h"
#include "../runtime/util.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_OBJ "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
/* systemd's private socket: reachable without a D-Bus daemon (root only). */
#define SD_PRIVATE_SOCKET "/run/systemd/private"
#define SD_PRIVATE_ADDRESS "unix:path=" SD_PRIVATE_SOCKET

/* systemd's UNIT_NAME_MAX: names are shorter than this. */
#define UNIT_NAME_MAX 256
/* How long a start/stop job may take before we give up on it. */
#define JOB_TIMEOUT_MS 10000
/* CollectMode= exists since systemd 236. */
#define SD_VERSION_COLLECT_MODE 236

#define cleanup_bus __attribute__ ((cleanup (sd_bus_flush_close_unrefp)))
#define cleanup_slot __attribute__ ((cleanup (sd_bus_slot_unrefp)))
#define cleanup_msg __attribute__ ((cleanup (sd_bus_message_unrefp)))
#define cleanup_bus_error __attribute__ ((cleanup (sd_bus_error_free)))

bool
clr_systemd_available (void)
{
  return sd_booted () > 0;
}

static int
not_running (clr_err *err)
{
  clr_fail (err, 0, CLR_SYSTEMD_NOT_RUNNING);
  err->code = EOPNOTSUPP;
  return -1;
}

/* A malformed cgroupsPath: the message only (no errno text), code EINVAL. */
static int __attribute__ ((format (printf, 2, 3)))
bad_path (clr_err *err, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (err->msg, sizeof err->msg, fmt, ap);
  va_end (ap);
  err->code = EINVAL;
  return -1;
}

/* ---------------------------------------------------------------- names and paths */

/* systemd's VALID_CHARS for unit names (no "@": that would make an instance name). */
static bool
unit_char_ok (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':'
         || c == '-' || c == '_' || c == '.' || c == '\\';
}

static bool
unit_chars_ok (const char *s)
{
  for (; *s; s++)
    if (!unit_char_ok (*s))
      return false;
  return true;
}

#define UNIT_CHARS_HINT "allowed: A-Z a-z 0-9 : _ . - \\"

/* systemd's cg_escape(): a unit whose name could clash with a kernel file in the cgroup
 * directory ("cgroup.*", "<controller>.*", a leading "_" or ".") lives in "_<name>". */
static bool
cg_needs_escape (const char *n)
{
  static const char *const controllers[] = {
    "cpu",          "cpuacct",     "cpuset",      "io",
    "blkio",        "memory",      "devices",     "pids",
    "bpf-firewall", "bpf-devices", "bpf-foreign", "bpf-socket-bind",
    "bpf-restrict-network-interfaces",
  };
  if (n[0] == '\0' || n[0] == '_' || n[0] == '.')
    return true;
  if (strcmp (n, "notify_on_release") == 0 || strcmp (n, "release_agent") == 0
      || strcmp (n, "tasks") == 0 || clr_has_prefix (n, "cgroup."))
    return true;
  const char *dot = strrchr (n, '.');
  if (dot)
    for (size_t i = 0; i < CLR_ARRAY_SIZE (controllers); i++)
      if (strlen (controllers[i]) == (size_t) (dot - n) && memcmp (n, controllers[i], dot - n) == 0)
        return true;
  return false;
}

static char *
cg_escape (const char *n)
{
  return cg_needs_escape (n) ? xasprintf ("_%s", n) : xstrdup (n);
}

/* systemd's cg_slice_to_path (runc's ExpandSlice): "a-b-c.slice" ->
 * "/a.slice/a-b.slice/a-b-c.slice"; the root slice "-.slice" -> "".  NULL with *WHY
 * (to follow the slice's name in a message) when SLICE is not a valid slice name. */
static char *
expand_slice (const char *slice, const char **why)
{
  static const char suffix[] = ".slice";
  if (strcmp (slice, "-.slice") == 0)
    return xstrdup ("");
  if (strchr (slice, '/'))
    {
      *why = "must not contain \"/\" (systemd nests slices by \"-\": \"a-b.slice\" is "
             "/a.slice/a-b.slice)";
      return NULL;
    }
  size_t len = strlen (slice);
  if (!clr_has_suffix (slice, suffix) || len == sizeof suffix - 1)
    {
      *why = "is not a slice unit name (expected <name>.slice)";
      return NULL;
    }
  if (!unit_chars_ok (slice))
    {
      *why = "has characters systemd does not allow in unit names (" UNIT_CHARS_HINT ")";
      return NULL;
    }
  if (len >= UNIT_NAME_MAX)
    {
      *why = "is longer than 255 bytes";
      return NULL;
    }
  size_t stem = len - (sizeof suffix - 1);
  if (slice[0] == '-' || slice[stem - 1] == '-' || memmem (slice, stem, "--", 2))
    {
      *why = "has an empty level (a leading, trailing or double \"-\")";
      return NULL;
    }
  cleanup_free char *path = xstrdup ("");
  for (size_t i = 0; i <= stem; i++)
    if (i == stem || slice[i] == '-')
      {
        cleanup_free char *level = xasprintf ("%.*s%s", (int) i, slice, suffix);
        cleanup_free char *esc = cg_escape (level);
        cleanup_free char *prev = clr_steal_ptr (&path);
        path = xasprintf ("%s/%s", prev, esc);
      }
  return clr_steal_ptr (&path);
}

/* The parent of slice unit NAME by systemd's naming: "a-b.slice" -> "a.slice",
 * "a.slice" -> "-.slice". */
static char *
slice_parent (const char *name)
{
  size_t stem = strlen (name) - strlen (".slice");
  const char *dash = memrchr (name, '-', stem);
  return dash ? xasprintf ("%.*s.slice", (int) (dash - name), name) : xstrdup ("-.slice");
}

/* systemd's unit name escaping (\xNN) for the characters a container id may have that a
 * unit name may not ("+"), so the default unit is always valid. */
static char *
escape_id (const char *id)
{
  size_t n = strlen (id);
  char *out = xmalloc (n * 4 + 1), *o = out;
  for (const char *p = id; *p; p++)
    if (unit_char_ok (*p) && *p != ':' && *p != '\\')
      *o++ = *p;
    else
      o += sprintf (o, "\\x%02x", (unsigned char) *p);
  *o = '\0';
  return out;
}

struct target
{
  char *slice;   /* the slice: Slice= of a scope, Wants= of a slice unit */
  char *unit;    /* "<prefix>-<name>.scope" or "<name>.slice" */
  char *path;    /* absolute cgroup path */
  bool is_slice;
};

static void
target_clear (struct target *t)
{
  free (t->slice);
  free (t->unit);
  free (t->path);
  memset (t, 0, sizeof *t);
}
#define cleanup_target __attribute__ ((cleanup (target_clear)))

static int
parse_target (const char *cgroups_path, const char *id, struct target *t, clr_err *err)
{
  memset (t, 0, sizeof *t);
  cleanup_free char *buf = NULL, *eid = NULL;
  const char *slice, *prefix, *name;
  bool is_default = cgroups_path == NULL || cgroups_path[0] == '\0';
  if (is_default)
    {
      eid = escape_id (id ? id : "");
      buf = xasprintf ("system.slice:clawrun:%s", eid);
      slice = "system.slice";
      prefix = "clawrun";
      name = eid;
      cgroups_path = buf; /* what the messages below show */
    }
  else
    {
      /* exactly three fields, as runc: strings.Split(path, ":") must give 3 */
      cleanup_free char *copy = xstrdup (cgroups_path);
      char *c1 = strchr (copy, ':');
      char *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 == NULL || strchr (c2 + 1, ':'))
        return bad_path (err, "cgroupsPath \"%s\": expected slice:prefix:name for --systemd-cgroup",
                         cgroups_path);
      *c1 = *c2 = '\0';
      buf = clr_steal_ptr (&copy);
      slice = buf[0] ? buf : "system.slice";
      prefix = c1 + 1;
      name = c2 + 1;
    }

  const char *why = NULL;
  cleanup_free char *slice_path = expand_slice (slice, &why);
  if (slice_path == NULL)
    return bad_path (err, "cgroupsPath \"%s\": slice \"%s\" %s", cgroups_path, slice, why);
  if (strchr (prefix, '/'))
    return bad_path (err, "cgroupsPath \"%s\": prefix \"%s\" must not contain \"/\" (it is part of a systemd unit name)",
                     cgroups_path, prefix);
  if (strchr (name, '/'))
    return bad_path (err, "cgroupsPath \"%s\": name \"%s\" must not contain \"/\" (it names a systemd unit, not a directory)",
                     cgroups_path, name);
  if (name[0] == '\0')
    return bad_path (err, "cgroupsPath \"%s\": the name is empty (expected slice:prefix:name)", cgroups_path);

  /* (not for the default: a container id ending in ".slice" still gets a scope) */
  if (!is_default && clr_has_suffix (name, ".slice"))
    {
      /* A slice unit: systemd places it by its own name, whatever Wants= says, so the
       * slice field can only agree with the name (runc would join the two and compute a
       * directory systemd never creates). */
      if (strcmp (name, "-.slice") == 0)
        return bad_path (err, "cgroupsPath \"%s\": the root slice \"-.slice\" cannot be a container's unit",
                         cgroups_path);
      cleanup_free char *path = expand_slice (name, &why);
      if (path == NULL)
        return bad_path (err, "cgroupsPath \"%s\": name \"%s\" %s", cgroups_path, name, why);
      cleanup_free char *parent = slice_parent (name);
      bool slice_given = buf[0] != '\0'; /* buf holds the slice field */
      if (slice_given && strcmp (parent, slice) != 0)
        return bad_path (err, "cgroupsPath \"%s\": slice unit \"%s\" belongs in \"%s\", not \"%s\" (systemd places a slice by its name)",
                         cgroups_path, name, parent, slice);
      t->slice = clr_steal_ptr (&parent);
      t->unit = xstrdup (name);
      t->path = clr_steal_ptr (&path);
      t->is_slice = true;
      return 0;
    }

  cleanup_free char *unit = xasprintf ("%s-%s.scope", prefix, name);
  if (!unit_chars_ok (unit))
    return bad_path (err, "cgroupsPath \"%s\": unit name \"%s\" has characters systemd does not allow (" UNIT_CHARS_HINT ")",
                     cgroups_path, unit);
  if (strlen (unit) >= UNIT_NAME_MAX)
    return bad_path (err, "cgroupsPath \"%.64s...\": unit name \"%.64s...\" is longer than 255 bytes",
                     cgroups_path, unit);
  cleanup_free char *esc = cg_escape (unit);
  t->slice = xstrdup (slice);
  t->path = xasprintf ("%s/%s", slice_path, esc);
  t->unit = clr_steal_ptr (&unit);
  return 0;
}

char *
clr_systemd_cgroup_path (const char *cgroups_path, const char *id, clr_err *err)
{
  cleanup_target struct target t;
  if (parse_target (cgroups_path, id, &t, err) < 0)
    return NULL;
  return clr_steal_ptr (&t.path);
}

char *
clr_systemd_unit_from_path (const char *cgroup_path)
{
  if (cgroup_path == NULL)
    return NULL;
  const char *last = strrchr (cgroup_path, '/');
  last = last ? last + 1 : cgroup_path;
  /* undo cg_escape: it only ever adds one leading "_" */
  if (last[0] == '_')
    last++;
  if ((!clr_has_suffix (last, ".scope") && !clr_has_suffix (last, ".slice"))
      || !unit_chars_ok (last) || strlen (last) <= strlen (".scope"))
    return NULL;
  return xstrdup (last);
}

/* ---------------------------------------------------------------- limits */

int
clr_systemd_apply_resources (struct clr_cgroup *cg, const void *resources_json, clr_err *err)
{
  cleanup_cg_res struct clr_cg_res *r = NULL;
  if (clr_cg_res_parse (resources_json, &r, err) < 0)
    return -1;
  /* init is still parked before exec (it waits for the parent's GO), so the device list
   * can be rewritten without freezing it, as at create */
  if (clr_cg_res_apply (cg, r, true, err) < 0)
    return clr_wrap (err, "reapply linux.resources after systemd started the unit");
  return 0;
}

/* ---------------------------------------------------------------- D-Bus */

/* The system bus; for root without a D-Bus daemon, systemd's private socket (what
 * systemctl and go-systemd, hence runc, fall back to).  *DIRECT: no bus daemon in
 * between, so messages carry no sender to match on. */
static int
bus_open (sd_bus **out, bool *direct, clr_err *err)
{
  sd_bus *bus = NULL;
  *direct = false;
  int r = sd_bus_open_system (&bus);
  if (r < 0 && geteuid () == 0)
    {
      sd_bus *pb = NULL;
      int r2 = sd_bus_new (&pb);
      if (r2 >= 0)
        r2 = sd_bus_set_address (pb, SD_PRIVATE_ADDRESS);
      if (r2 >= 0)
        r2 = sd_bus_start (pb);
      if (r2 >= 0)
        {
          bus = pb;
          *direct = true;
          r = 0;
        }
      else
        sd_bus_unref (pb);
    }
  if (r < 0)
    return clr_fail (err, -r, "--systemd-cgroup: connect to systemd over the system bus%s",
                     geteuid () == 0 ? " (or " SD_PRIVATE_SOCKET ")" : "");
  /* one budget for every call: a hung systemd must not hang create/delete */
  (void) sd_bus_set_method_call_timeout (bus, (uint64_t) JOB_TIMEOUT_MS * 1000);
  *out = bus;
  return 0;
}

/* systemd's error text for E, or strerror of R when there is none. */
static const char *
bus_msg (const sd_bus_error *e, int r)
{
  if (e && e->message && e->message[0])
    return e->message;
  return strerror (r < 0 ? -r : r);
}

static int __attribute__ ((format (printf, 4, 5)))
bus_fail (clr_err *err, const sd_bus_error *e, int r, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (err->msg, sizeof err->msg, fmt, ap);
  va_end (ap);
  size_t l = strlen (err->msg);
  if (e && e->name)
    snprintf (err->msg + l, sizeof err->msg - l, ": %s (%s)", bus_msg (e, r), e->name);
  else
    snprintf (err->msg + l, sizeof err->msg - l, ": %s", bus_msg (e, r));
  err->code = e && e->name ? sd_bus_error_get_errno (e) : (r < 0 ? -r : r);
  return -1;
}

/* "v245.4-1.fc32", "252", "252.39-1~deb12u2" -> the leading number (runc's
 * systemdVersionAtoi); -1 when unknown. */
static int
systemd_version (sd_bus *bus)
{
  cleanup_bus_error sd_bus_error e = SD_BUS_ERROR_NULL;
  cleanup_free char *v = NULL;
  if (sd_bus_get_property_string (bus, SD_DEST, SD_OBJ, SD_MANAGER, "Version", &e, &v) < 0 || v == NULL)
    return -1;
  const char *p = v;
  while (*p == '"' || *p == 'v')
    p++;
  if (*p < '0' || *p > '9')
    return -1;
  return (int) strtol (p, NULL, 10);
}

struct job_wait
{
  char *job;     /* object path of the job we wait for */
  char *result;  /* its result, once JobRemoved arrived */
};

static int
on_job_removed (sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
  struct job_wait *w = userdata;
  uint32_t id;
  const char *path, *unit, *result;
  if (sd_bus_message_read (m, "uoss", &id, &path, &unit, &result) < 0)
    return 0;
  if (w->job && w->result == NULL && strcmp (path, w->job) == 0)
    w->result = xstrdup (result);
  return 0;
}

/* Subscribe to JobRemoved before asking for the job, so its end cannot be missed.
 * sd_bus_call queues signals that arrive while it waits for the reply; they are
 * dispatched later, by wait_job, once W->job is known. */
static int
watch_jobs (sd_bus *bus, bool direct, sd_bus_slot **slot, struct job_wait *w, clr_err *err)
{
  int r = sd_bus_match_signal (bus, slot, direct ? NULL : SD_DEST, SD_OBJ, SD_MANAGER, "JobRemoved",
                               on_job_removed, w);
  if (r < 0)
    return clr_fail (err, -r, "systemd: subscribe to JobRemoved");
  return 0;
}

/* Take the job path out of a method reply ("o"). */
static int
take_job (sd_bus_message *reply, struct job_wait *w, const char *what, const char *unit, clr_err *err)
{
  const char *job;
  int r = sd_bus_message_read (reply, "o", &job);
  if (r < 0)
    return clr_fail (err, -r, "systemd: %s %s: read the job from the reply", what, unit);
  w->job = xstrdup (job);
  return 0;
}

static int
wait_job (sd_bus *bus, struct job_wait *w, const char *what, const char *unit, clr_err *err)
{
  int64_t deadline = clr_now_ms () + JOB_TIMEOUT_MS;
  while (w->result == NULL)
    {
      int r = sd_bus_process (bus, NULL);
      if (r < 0)
        return clr_fail (err, -r, "systemd: %s %s: wait for job %s", what, unit, w->job);
      if (r > 0)
        continue;
      int64_t left = deadline - clr_now_ms ();
      if (left <= 0)
        {
          clr_fail (err, 0, "systemd: %s %s: job %s not finished after %d s", what, unit, w->job,
                    JOB_TIMEOUT_MS / 1000);
          err->code = ETIMEDOUT;
          return -1;
        }
      r = sd_bus_wait (bus, (uint64_t) left * 1000);
      if (r < 0 && r != -EINTR)
        return clr_fail (err, -r, "systemd: %s %s: wait for job %s", what, unit, w->job);
    }
  return 0;
}

static void
job_wait_clear (struct job_wait *w)
{
  free (w->job);
  free (w->result);
}

/* Let systemd forget a failed unit (so a new one of that name can start); best effort. */
static void
reset_failed (sd_bus *bus, const char *unit)
{
  cleanup_bus_error sd_bus_error e = SD_BUS_ERROR_NULL;
  (void) sd_bus_call_method (bus, SD_DEST, SD_OBJ, SD_MANAGER, "ResetFailedUnit", &e, NULL, "s", unit);
}

/* Append one (sv) property: NAME, then the variant of TYPE with the arguments. */
#define PROP(m, name, type, ...) sd_bus_message_append ((m), "(sv)", (name), (type), __VA_ARGS__)

static int
start_call (sd_bus *bus, const struct target *t, pid_t pid, const char *description, bool extras,
            bool collect_mode, sd_bus_error *e, sd_bus_message **reply)
{
  cleanup_msg sd_bus_message *m = NULL;
  int r = sd_bus_message_new_method_call (bus, &m, SD_DEST, SD_OBJ, SD_MANAGER, "StartTransientUnit");
  if (r < 0)
    return r;
  /* "fail": do not replace a job already queued for this unit */
  if ((r = sd_bus_message_append (m, "ss", t->unit, "fail")) < 0
      || (r = sd_bus_message_open_container (m, 'a', "(sv)")) < 0)
    return r;
  if ((r = PROP (m, "Description", "s", description)) < 0)
    return r;
  if (t->is_slice)
    r = PROP (m, "Wants", "as", 1, t->slice);
  else
    {
      /* Delegate: the subtree is ours (limits, nested cgroups); PIDs: the scope is born
       * holding the container's init, as systemd requires of a scope. */
      if ((r = PROP (m, "Slice", "s", t->slice)) >= 0 && (r = PROP (m, "Delegate", "b", 1)) >= 0)
        r = PROP (m, "PIDs", "au", 1, (uint32_t) pid);
    }
  if (r < 0)
    return r;
  /* No implicit ordering against shutdown.target & co: the container's life is ours. */
  if ((r = PROP (m, "DefaultDependencies", "b", 0)) < 0)
    return r;
  if (extras)
    {
      /* runc enables all accounting: systemd then enables every controller on the path
       * down to the unit, which the cgroupfs limits need. */
      if ((r = PROP (m, "MemoryAccounting", "b", 1)) < 0 || (r = PROP (m, "CPUAccounting", "b", 1)) < 0
          || (r = PROP (m, "IOAccounting", "b", 1)) < 0 || (r = PROP (m, "TasksAccounting", "b", 1)) < 0)
        return r;
      /* Collect the unit even when it ends "failed" (init killed by a signal), or a
       * container of the same name could not be created again until reset-failed. */
      if (collect_mode && (r = PROP (m, "CollectMode", "s", "inactive-or-failed")) < 0)
        return r;
    }
  if ((r = sd_bus_message_close_container (m)) < 0)
    return r;
  /* aux units: none */
  if ((r = sd_bus_message_append (m, "a(sa(sv))", 0)) < 0)
    return r;
  return sd_bus_call (bus, m, 0, e, reply);
}

int
clr_systemd_start_scope (const char *cgroups_path, const char *id, pid_t pid, const char *description,
                         clr_err *err)
{
  if (!clr_systemd_available ())
    return not_running (err);
  cleanup_target struct target t;
  if (parse_target (cgroups_path, id, &t, err) < 0)
    return -1;
  if (!t.is_slice && pid <= 0)
    return clr_fail (err, EINVAL, "systemd: start unit %s: no pid to put in the scope", t.unit);
  cleanup_free char *desc = description ? xstrdup (description) : xasprintf ("clawrun container %s", id ? id : "");

  cleanup_bus sd_bus *bus = NULL;
  bool direct;
  if (bus_open (&bus, &direct, err) < 0)
    return -1;
  struct job_wait w = { 0 };
  cleanup_slot sd_bus_slot *slot = NULL;
  int ret = -1;
  if (watch_jobs (bus, direct, &slot, &w, err) < 0)
    goto out;

  int ver = systemd_version (bus);
  bool extras = true, retried_exists = false;
  for (;;)
    {
      cleanup_bus_error sd_bus_error e = SD_BUS_ERROR_NULL;
      cleanup_msg sd_bus_message *reply = NULL;
      int r = start_call (bus, &t, pid, desc, extras, ver >= SD_VERSION_COLLECT_MODE, &e, &reply);
      if (r >= 0)
        {
          if (take_job (reply, &w, "start unit", t.unit, err) < 0)
            goto out;
          break;
        }
      if (sd_bus_error_has_name (&e, "org.freedesktop.systemd1.UnitExists"))
        {
          /* A slice that exists already is what was asked for (runc's ignoreExist, for
           * kubelet's pod slices). */
          if (t.is_slice)
            {
              ret = 0;
              goto out;
            }
          /* maybe a leftover failed scope of an earlier container: reset, retry once */
          if (!retried_exists)
            {
              retried_exists = true;
              reset_failed (bus, t.unit);
              continue;
            }
        }
      else if (extras && sd_bus_error_has_name (&e, SD_BUS_ERROR_PROPERTY_READ_ONLY))
        {
          /* systemd says "unknown property": an old one (no IOAccounting, < 230) or a new
           * one that dropped a setting.  The accounting and CollectMode are nice to have;
           * the unit itself is not. */
          clr_debug ("systemd: start unit %s: %s; retrying without the optional properties", t.unit,
                     bus_msg (&e, r));
          extras = false;
          continue;
        }
      bus_fail (err, &e, r, "systemd: start unit %s in %s", t.unit, t.slice);
      goto out;
    }

  if (wait_job (bus, &w, "start unit", t.unit, err) < 0)
    {
      reset_failed (bus, t.unit);
      goto out;
    }
  if (strcmp (w.result, "done") != 0)
    {
      /* the unit may be left "failed": let systemd drop it (runc does the same) */
      reset_failed (bus, t.unit);
      clr_fail (err, 0, "systemd: start unit %s in %s: job %s (see journalctl -u %s)", t.unit, t.slice,
                w.result, t.unit);
      err->code = EIO;
      goto out;
    }
  ret = 0;
out:
  job_wait_clear (&w);
  return ret;
}

int
clr_systemd_stop_scope (const char *unit, clr_err *err)
{
  if (!clr_systemd_available ())
    return not_running (err);
  if (unit == NULL || unit[0] == '\0' || strchr (unit, '/') || !unit_chars_ok (unit))
    {
      clr_fail (err, 0, "systemd: stop unit \"%s\": not a unit name", unit ? unit : "");
      err->code = EINVAL;
      return -1;
    }

  cleanup_bus sd_bus *bus = NULL;
  bool direct;
  if (bus_open (&bus, &direct, err) < 0)
    return -1;
  struct job_wait w = { 0 };
  cleanup_slot sd_bus_slot *slot = NULL;
  int ret = -1;
  if (watch_jobs (bus, direct, &slot, &w, err) < 0)
    goto out;

  {
    cleanup_bus_error sd_bus_error e = SD_BUS_ERROR_NULL;
    cleanup_msg sd_bus_message *reply = NULL;
    int r = sd_bus_call_method (bus, SD_DEST, SD_OBJ, SD_MANAGER, "StopUnit", &e, &reply, "ss", unit,
                                "replace");
    if (r < 0)
      {
        /* gone already: an emptied scope is stopped and collected by systemd itself */
        if (sd_bus_error_has_name (&e, "org.freedesktop.systemd1.NoSuchUnit"))
          {
            reset_failed (bus, unit);
            ret = 0;
            goto out;
          }
        bus_fail (err, &e, r, "systemd: stop unit %s", unit);
        goto out;
      }
    if (take_job (reply, &w, "stop unit", unit, err) < 0)
      goto out;
  }
  if (wait_job (bus, &w, "stop unit", unit, err) < 0)
    goto out;
  /* Like runc: a stop that did not end "done" (e.g. "canceled" by a concurrent start)
   * is not worth failing a delete for; the unit is gone or will be collected. */
  if (strcmp (w.result, "done") != 0)
    clr_warn ("systemd: stop unit %s: job %s", unit, w.result);
  reset_failed (bus, unit);
  ret = 0;
out:
  job_wait_clear (&w);
  return ret;
}
