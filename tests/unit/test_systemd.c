/* Unit tests for the systemd cgroup driver's pure part (cgroupsPath -> unit and cgroup
 * path) and for its behaviour on a host without systemd (these build machines): the
 * D-Bus entry points must refuse with the one clear message, before connecting to
 * anything.  No system bus or systemd is started here. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-id128.h>

#include "cgroup/systemd.h"
#include "runtime/util.h"
#include "tests/unit/tap.h"

/* Expect CGROUPS_PATH/ID to give WANT. */
static void
ok_path (const char *cgroups_path, const char *id, const char *want)
{
  clr_err err = { 0 };
  cleanup_free char *got = clr_systemd_cgroup_path (cgroups_path, id, &err);
  TAP_OK (got && strcmp (got, want) == 0, "cgroupsPath %s%s%s (id %s) -> %s", cgroups_path ? "\"" : "",
          cgroups_path ? cgroups_path : "NULL", cgroups_path ? "\"" : "", id, want);
  if (got == NULL)
    printf ("#   error: %s\n", err.msg);
  else if (strcmp (got, want) != 0)
    printf ("#   got: %s\n", got);
}

/* Expect CGROUPS_PATH to be refused with exactly WANT (and EINVAL). */
static void
bad_path (const char *cgroups_path, const char *want)
{
  clr_err err = { 0 };
  cleanup_free char *got = clr_systemd_cgroup_path (cgroups_path, "abc", &err);
  TAP_OK (got == NULL && strcmp (err.msg, want) == 0 && err.code == EINVAL, "cgroupsPath \"%s\" refused", cgroups_path);
  if (got)
    printf ("#   unexpectedly accepted: %s\n", got);
  else if (strcmp (err.msg, want) != 0)
    printf ("#   got:  %s\n#   want: %s\n", err.msg, want);
}

static void
ok_unit (const char *cgroup_path, const char *want)
{
  cleanup_free char *got = clr_systemd_unit_from_path (cgroup_path);
  TAP_OK ((want == NULL && got == NULL) || (want && got && strcmp (got, want) == 0),
          "unit of %s is %s", cgroup_path ? cgroup_path : "NULL", want ? want : "(none)");
  if (got && (want == NULL || strcmp (got, want) != 0))
    printf ("#   got: %s\n", got);
}

/* ---------------------------------------------------------------- a fake systemd
 *
 * To check what actually goes over the wire (the signature of every property, the job
 * wait, the retries), the D-Bus tests run in a private mount namespace with a tmpfs on
 * /run: /run/systemd/system exists there (so sd_booted() says yes), the system bus
 * address points nowhere (so the driver falls back to systemd's private socket, as it
 * does for root on a host without dbus-daemon), and /run/systemd/private is served by a
 * child of this test implementing the few Manager calls the driver makes.  No bus daemon
 * and no systemd are started; the host's /run is untouched.
 *
 * The fake's behaviour is chosen by the unit name: "fail-*" ends its job "failed",
 * "exists-*" is UnitExists until reset, "old-*" rejects CollectMode like a systemd that
 * lacks it, "system-there.slice" always exists, "nosuch-*" is NoSuchUnit on stop.  Every
 * call is appended, as one line, to /run/fake.log. */

#define FAKE_LOG "/run/fake.log"
#define JOB7 "/org/freedesktop/systemd1/job/7"

static void
fake_log (const char *fmt, ...)
{
  char buf[2048];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (buf, sizeof buf, fmt, ap);
  va_end (ap);
  int fd = open (FAKE_LOG, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd >= 0)
    {
      dprintf (fd, "%s\n", buf);
      close (fd);
    }
}

/* the last unit reset-failed: an "exists-*" unit is gone after its own reset */
static char fake_reset_unit[256];

/* The properties of a StartTransientUnit as "Name=value Name=value ...". */
static int
read_props (sd_bus_message *m, char *out, size_t len)
{
  size_t used = 0;
  out[0] = '\0';
  int r = sd_bus_message_enter_container (m, 'a', "(sv)");
  if (r < 0)
    return r;
  while ((r = sd_bus_message_enter_container (m, 'r', "sv")) > 0)
    {
      const char *name, *contents;
      char type, val[256] = "";
      if ((r = sd_bus_message_read (m, "s", &name)) < 0 || (r = sd_bus_message_peek_type (m, &type, &contents)) < 0
          || (r = sd_bus_message_enter_container (m, 'v', contents)) < 0)
        return r;
      if (strcmp (contents, "s") == 0)
        {
          const char *v;
          r = sd_bus_message_read (m, "s", &v);
          snprintf (val, sizeof val, "%s", v);
        }
      else if (strcmp (contents, "b") == 0)
        {
          int b;
          r = sd_bus_message_read (m, "b", &b);
          snprintf (val, sizeof val, "%s", b ? "yes" : "no");
        }
      else if (strcmp (contents, "as") == 0)
        {
          const char *v;
          r = sd_bus_message_enter_container (m, 'a', "s");
          while (r >= 0 && (r = sd_bus_message_read (m, "s", &v)) > 0)
            snprintf (val + strlen (val), sizeof val - strlen (val), "[%s]", v);
          if (r >= 0)
            r = sd_bus_message_exit_container (m);
        }
      else if (strcmp (contents, "au") == 0)
        {
          uint32_t v;
          r = sd_bus_message_enter_container (m, 'a', "u");
          while (r >= 0 && (r = sd_bus_message_read (m, "u", &v)) > 0)
            snprintf (val + strlen (val), sizeof val - strlen (val), "[%u]", v);
          if (r >= 0)
            r = sd_bus_message_exit_container (m);
        }
      else
        {
          snprintf (val, sizeof val, "?%s", contents);
          r = sd_bus_message_skip (m, contents);
        }
      if (r < 0 || (r = sd_bus_message_exit_container (m)) < 0 || (r = sd_bus_message_exit_container (m)) < 0)
        return r;
      used += snprintf (out + used, len - used, "%s%s=%s", used ? " " : "", name, val);
      if (used >= len)
        return -ENOBUFS;
    }
  if (r < 0)
    return r;
  return sd_bus_message_exit_container (m);
}

static int
fake_job_removed (sd_bus *bus, const char *unit, const char *result)
{
  /* someone else's job first: the driver must wait for its own */
  sd_bus_emit_signal (bus, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", "JobRemoved", "uoss",
                      (uint32_t) 6, "/org/freedesktop/systemd1/job/6", "other.scope", "failed");
  return sd_bus_emit_signal (bus, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", "JobRemoved",
                             "uoss", (uint32_t) 7, JOB7, unit, result);
}

static int
fake_start (sd_bus_message *m, void *userdata, sd_bus_error *e)
{
  const char *name, *mode;
  char props[1024];
  int r = sd_bus_message_read (m, "ss", &name, &mode);
  if (r < 0 || (r = read_props (m, props, sizeof props)) < 0
      || (r = sd_bus_message_skip (m, "a(sa(sv))")) < 0)
    return r;
  fake_log ("start %s %s %s", name, mode, props);
  if ((clr_has_prefix (name, "exists-") && strcmp (fake_reset_unit, name) != 0) || strcmp (name, "system-there.slice") == 0)
    return sd_bus_error_setf (e, "org.freedesktop.systemd1.UnitExists", "Unit %s already exists.", name);
  if (clr_has_prefix (name, "old-") && strstr (props, "CollectMode"))
    return sd_bus_error_setf (e, SD_BUS_ERROR_PROPERTY_READ_ONLY, "Cannot set property CollectMode, or unknown property.");
  if (clr_has_prefix (name, "bad-"))
    return sd_bus_error_setf (e, SD_BUS_ERROR_INVALID_ARGS, "Slice bad.slice does not exist");
  if ((r = sd_bus_reply_method_return (m, "o", JOB7)) < 0)
    return r;
  return fake_job_removed (sd_bus_message_get_bus (m), name, clr_has_prefix (name, "fail-") ? "failed" : "done");
}

static int
fake_stop (sd_bus_message *m, void *userdata, sd_bus_error *e)
{
  const char *name, *mode;
  int r = sd_bus_message_read (m, "ss", &name, &mode);
  if (r < 0)
    return r;
  fake_log ("stop %s %s", name, mode);
  if (clr_has_prefix (name, "nosuch-"))
    return sd_bus_error_setf (e, "org.freedesktop.systemd1.NoSuchUnit", "Unit %s not loaded.", name);
  if ((r = sd_bus_reply_method_return (m, "o", JOB7)) < 0)
    return r;
  return fake_job_removed (sd_bus_message_get_bus (m), name, clr_has_prefix (name, "fail-") ? "canceled" : "done");
}

static int
fake_reset (sd_bus_message *m, void *userdata, sd_bus_error *e)
{
  const char *name;
  int r = sd_bus_message_read (m, "s", &name);
  if (r < 0)
    return r;
  fake_log ("reset-failed %s", name);
  snprintf (fake_reset_unit, sizeof fake_reset_unit, "%s", name);
  return sd_bus_reply_method_return (m, "");
}

static int
fake_version (sd_bus *bus, const char *path, const char *interface, const char *property, sd_bus_message *reply,
              void *userdata, sd_bus_error *e)
{
  return sd_bus_message_append (reply, "s", "252.39-1~deb12u2");
}

static const sd_bus_vtable fake_vtable[] = {
  SD_BUS_VTABLE_START (0),
  SD_BUS_PROPERTY ("Version", "s", fake_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
  SD_BUS_METHOD ("StartTransientUnit", "ssa(sv)a(sa(sv))", "o", fake_start, 0),
  SD_BUS_METHOD ("StopUnit", "ss", "o", fake_stop, 0),
  SD_BUS_METHOD ("ResetFailedUnit", "s", "", fake_reset, 0),
  SD_BUS_SIGNAL ("JobRemoved", "uoss", 0),
  SD_BUS_VTABLE_END,
};

/* Serve one connection after the other until killed. */
static void __attribute__ ((noreturn))
fake_serve (int lfd)
{
  for (;;)
    {
      int fd = accept4 (lfd, NULL, NULL, SOCK_CLOEXEC);
      if (fd < 0)
        _exit (errno == EINTR ? 0 : 1);
      sd_bus *bus = NULL;
      sd_id128_t id;
      if (sd_bus_new (&bus) < 0 || sd_bus_set_fd (bus, fd, fd) < 0 || sd_id128_randomize (&id) < 0
          || sd_bus_set_server (bus, 1, id) < 0
          || sd_bus_add_object_vtable (bus, NULL, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                                       fake_vtable, NULL) < 0
          || sd_bus_start (bus) < 0)
        _exit (2);
      for (;;)
        {
          int r = sd_bus_process (bus, NULL);
          if (r < 0)
            break;
          if (r > 0)
            continue;
          if (sd_bus_wait (bus, UINT64_MAX) < 0)
            break;
        }
      sd_bus_flush_close_unref (bus);
    }
}

/* Private mount namespace + tmpfs /run + the fake on /run/systemd/private.  Returns the
 * fake's pid, or 0 (with WHY) when this host cannot do it (not root, no unshare). */
static pid_t
fake_systemd_start (const char **why)
{
  if (geteuid () != 0)
    return *why = "needs root (a private mount namespace)", 0;
  if (unshare (CLONE_NEWNS) < 0 || mount ("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0
      || mount ("tmpfs", "/run", "tmpfs", 0, "mode=0755") < 0)
    return *why = "cannot make a private mount namespace with a tmpfs /run", 0;
  if (mkdir ("/run/systemd", 0755) < 0 || mkdir ("/run/systemd/system", 0755) < 0)
    return *why = "mkdir /run/systemd/system", 0;
  setenv ("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/run/no-such-bus-socket", 1);
  int lfd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = "/run/systemd/private" };
  if (lfd < 0 || bind (lfd, (struct sockaddr *) &sa, sizeof sa) < 0 || listen (lfd, 8) < 0)
    return *why = "listen on /run/systemd/private", 0;
  fflush (stdout);
  pid_t pid = fork ();
  if (pid == 0)
    {
      /* never outlive the test, whatever happens to it */
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      fake_serve (lfd);
    }
  close (lfd);
  return pid < 0 ? (*why = "fork", 0) : pid;
}

/* What the fake logged since the last call (and forget it). */
static char *
fake_calls (void)
{
  char *s = NULL;
  clr_err e;
  if (clr_read_file (FAKE_LOG, 1 << 20, &s, NULL, &e) < 0)
    return xstrdup ("");
  unlink (FAKE_LOG);
  return s;
}

static void
check_calls (const char *what, const char *want)
{
  cleanup_free char *got = fake_calls ();
  TAP_OK (strcmp (got, want) == 0, "%s: systemd saw the expected calls", what);
  if (strcmp (got, want) != 0)
    printf ("#   got:\n%s#   want:\n%s", got, want);
}

static void
fake_systemd_tests (void)
{
  const char *why = NULL;
  pid_t fake = fake_systemd_start (&why);
  if (fake == 0)
    {
      for (int i = 0; i < 9; i++)
        TAP_SKIP (why, "fake systemd test %d", i + 1);
      return;
    }
  clr_err err = { 0 };
  int r;

  TAP_OK (clr_systemd_available (), "with /run/systemd/system, systemd counts as running");

  r = clr_systemd_start_scope ("system.slice:docker:abc", "abc", 4242, NULL, &err);
  TAP_OK (r == 0, "start a scope: the job ends \"done\"%s%s", r ? ": " : "", r ? err.msg : "");
  check_calls ("start a scope",
               "start docker-abc.scope fail Description=clawrun container abc Slice=system.slice Delegate=yes "
               "PIDs=[4242] DefaultDependencies=no MemoryAccounting=yes CPUAccounting=yes IOAccounting=yes "
               "TasksAccounting=yes CollectMode=inactive-or-failed\n");

  r = clr_systemd_start_scope ("system.slice:fail:abc", "abc", 4242, "my container", &err);
  TAP_OK (r < 0
              && strcmp (err.msg, "systemd: start unit fail-abc.scope in system.slice: job failed "
                                  "(see journalctl -u fail-abc.scope)") == 0,
          "a failed start job is an error naming the unit (%s)", err.msg);
  check_calls ("failed start",
               "start fail-abc.scope fail Description=my container Slice=system.slice Delegate=yes PIDs=[4242] "
               "DefaultDependencies=no MemoryAccounting=yes CPUAccounting=yes IOAccounting=yes TasksAccounting=yes "
               "CollectMode=inactive-or-failed\nreset-failed fail-abc.scope\n");

  r = clr_systemd_start_scope ("system.slice:bad:abc", "abc", 4242, NULL, &err);
  TAP_OK (r < 0
              && strcmp (err.msg, "systemd: start unit bad-abc.scope in system.slice: Slice bad.slice does not exist "
                                  "(org.freedesktop.DBus.Error.InvalidArgs)") == 0
              && err.code == EINVAL,
          "systemd's refusal is reported with its message (%s)", err.msg);
  free (fake_calls ());

  r = clr_systemd_start_scope (":exists:abc", "abc", 4242, "d", &err);
  cleanup_free char *log = fake_calls ();
  TAP_OK (r == 0 && clr_has_prefix (log, "start exists-abc.scope ")
              && strstr (log, "\nreset-failed exists-abc.scope\nstart exists-abc.scope ") != NULL,
          "UnitExists: reset-failed, then the start is retried once%s%s", r ? ": " : "", r ? err.msg : "");

  r = clr_systemd_start_scope (":old:abc", "abc", 4242, "d", &err);
  check_calls ("a systemd without CollectMode",
               "start old-abc.scope fail Description=d Slice=system.slice Delegate=yes PIDs=[4242] "
               "DefaultDependencies=no MemoryAccounting=yes CPUAccounting=yes IOAccounting=yes TasksAccounting=yes "
               "CollectMode=inactive-or-failed\n"
               "start old-abc.scope fail Description=d Slice=system.slice Delegate=yes PIDs=[4242] "
               "DefaultDependencies=no\n");

  r = clr_systemd_start_scope ("system.slice:p:system-there.slice", "abc", 4242, "d", &err);
  cleanup_free char *slog = fake_calls ();
  TAP_OK (r == 0 && strcmp (slog, "start system-there.slice fail Description=d Wants=[system.slice] "
                                  "DefaultDependencies=no MemoryAccounting=yes CPUAccounting=yes IOAccounting=yes "
                                  "TasksAccounting=yes CollectMode=inactive-or-failed\n") == 0,
          "a slice unit: Wants= its parent, no PIDs, and one that exists already is fine");
  if (r < 0)
    printf ("#   %s\n", err.msg);
  else
    printf ("#   %s", slog);

  r = clr_systemd_stop_scope ("docker-abc.scope", &err);
  cleanup_free char *stop_log = fake_calls ();
  TAP_OK (r == 0 && strcmp (stop_log, "stop docker-abc.scope replace\nreset-failed docker-abc.scope\n") == 0,
          "stop a scope: StopUnit, wait for the job, reset-failed");

  r = clr_systemd_stop_scope ("nosuch-abc.scope", &err);
  free (fake_calls ());
  TAP_OK (r == 0, "stopping a unit systemd does not know is fine%s%s", r ? ": " : "", r ? err.msg : "");

  kill (fake, SIGKILL);
  waitpid (fake, NULL, 0);
}

int
main (void)
{
  /* ---- conversion: runc's cases ---- */
  ok_path ("system.slice:docker:abc", "abc", "/system.slice/docker-abc.scope");
  ok_path ("a-b.slice:pre:x", "abc", "/a.slice/a-b.slice/pre-x.scope");
  ok_path ("test-a-b.slice:p:n", "abc", "/test.slice/test-a.slice/test-a-b.slice/p-n.scope");
  ok_path ("-.slice:p:n", "abc", "/p-n.scope");
  ok_path (":docker:abc", "abc", "/system.slice/docker-abc.scope");
  ok_path ("machine.slice:libpod:0123abcd", "x", "/machine.slice/libpod-0123abcd.scope");
  /* runc joins prefix and name with "-" even when the prefix is empty */
  ok_path ("system.slice::abc", "abc", "/system.slice/-abc.scope");
  /* default: "system.slice:clawrun:<id>" */
  ok_path ("", "c1", "/system.slice/clawrun-c1.scope");
  ok_path (NULL, "c1", "/system.slice/clawrun-c1.scope");
  /* a container id may have "+", a unit name may not: systemd's \x escape */
  ok_path (NULL, "a+b", "/system.slice/clawrun-a\\x2bb.scope");
  /* a default id ending in ".slice" is still a scope */
  ok_path (NULL, "pod.slice", "/system.slice/clawrun-pod.slice.scope");
  /* slice units: placed by their own name */
  ok_path ("system.slice:p:system-pod1.slice", "abc", "/system.slice/system-pod1.slice");
  ok_path (":p:system-pod1.slice", "abc", "/system.slice/system-pod1.slice");
  ok_path (":p:kubepods-burstable-pod12.slice", "abc",
           "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod12.slice");
  ok_path ("-.slice:p:top.slice", "abc", "/top.slice");
  /* systemd's cg_escape: names that could clash with kernel files get a "_" */
  ok_path ("cpu.slice:p:n", "abc", "/_cpu.slice/p-n.scope");
  ok_path ("system.slice:memory:x", "abc", "/system.slice/memory-x.scope");
  ok_path ("-.slice:p:pids.slice", "abc", "/_pids.slice");
  ok_path ("system.slice:_x:y", "abc", "/system.slice/__x-y.scope");

  /* ---- malformed ---- */
  bad_path ("onlyone", "cgroupsPath \"onlyone\": expected slice:prefix:name for --systemd-cgroup");
  bad_path ("a:b", "cgroupsPath \"a:b\": expected slice:prefix:name for --systemd-cgroup");
  bad_path ("a:b:c:d", "cgroupsPath \"a:b:c:d\": expected slice:prefix:name for --systemd-cgroup");
  bad_path ("/clawrun/abc", "cgroupsPath \"/clawrun/abc\": expected slice:prefix:name for --systemd-cgroup");
  bad_path ("x.service:p:n",
            "cgroupsPath \"x.service:p:n\": slice \"x.service\" is not a slice unit name (expected <name>.slice)");
  bad_path (".slice:p:n", "cgroupsPath \".slice:p:n\": slice \".slice\" is not a slice unit name (expected <name>.slice)");
  bad_path ("system.slice/foo.slice:p:n",
            "cgroupsPath \"system.slice/foo.slice:p:n\": slice \"system.slice/foo.slice\" must not contain \"/\" "
            "(systemd nests slices by \"-\": \"a-b.slice\" is /a.slice/a-b.slice)");
  bad_path ("-a.slice:p:n",
            "cgroupsPath \"-a.slice:p:n\": slice \"-a.slice\" has an empty level (a leading, trailing or double \"-\")");
  bad_path ("a--b.slice:p:n",
            "cgroupsPath \"a--b.slice:p:n\": slice \"a--b.slice\" has an empty level (a leading, trailing or double \"-\")");
  bad_path ("a-.slice:p:n",
            "cgroupsPath \"a-.slice:p:n\": slice \"a-.slice\" has an empty level (a leading, trailing or double \"-\")");
  bad_path ("a b.slice:p:n",
            "cgroupsPath \"a b.slice:p:n\": slice \"a b.slice\" has characters systemd does not allow in unit names "
            "(allowed: A-Z a-z 0-9 : _ . - \\)");
  bad_path ("system.slice:docker:a/b",
            "cgroupsPath \"system.slice:docker:a/b\": name \"a/b\" must not contain \"/\" (it names a systemd unit, "
            "not a directory)");
  bad_path ("system.slice:d/x:abc",
            "cgroupsPath \"system.slice:d/x:abc\": prefix \"d/x\" must not contain \"/\" (it is part of a systemd unit "
            "name)");
  bad_path ("system.slice:docker:", "cgroupsPath \"system.slice:docker:\": the name is empty (expected slice:prefix:name)");
  bad_path ("system.slice:docker:a+b",
            "cgroupsPath \"system.slice:docker:a+b\": unit name \"docker-a+b.scope\" has characters systemd does not "
            "allow (allowed: A-Z a-z 0-9 : _ . - \\)");
  bad_path ("system.slice:p:n@1",
            "cgroupsPath \"system.slice:p:n@1\": unit name \"p-n@1.scope\" has characters systemd does not allow "
            "(allowed: A-Z a-z 0-9 : _ . - \\)");
  bad_path ("a.slice:p:b.slice",
            "cgroupsPath \"a.slice:p:b.slice\": slice unit \"b.slice\" belongs in \"-.slice\", not \"a.slice\" (systemd "
            "places a slice by its name)");
  bad_path ("system.slice:p:-.slice",
            "cgroupsPath \"system.slice:p:-.slice\": the root slice \"-.slice\" cannot be a container's unit");
  bad_path (":p:x--y.slice",
            "cgroupsPath \":p:x--y.slice\": name \"x--y.slice\" has an empty level (a leading, trailing or double \"-\")");
  {
    char name[300];
    memset (name, 'x', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    cleanup_free char *cp = xasprintf ("system.slice:p:%s", name);
    clr_err err = { 0 };
    cleanup_free char *got = clr_systemd_cgroup_path (cp, "abc", &err);
    TAP_OK (got == NULL && strstr (err.msg, "is longer than 255 bytes") && err.code == EINVAL,
            "a unit name of 256+ bytes is refused");
  }

  /* ---- unit from a stored cgroup path ---- */
  ok_unit ("/system.slice/docker-abc.scope", "docker-abc.scope");
  ok_unit ("/_pids.slice", "pids.slice");
  ok_unit ("/system.slice/__x-y.scope", "_x-y.scope");
  ok_unit ("/system.slice/system-pod1.slice", "system-pod1.slice");
  ok_unit ("/clawrun/abc", NULL);
  ok_unit ("/system.slice/ssh.service", NULL);
  ok_unit (NULL, NULL);

  /* ---- no systemd on this host ---- */
  struct stat st;
  bool booted = lstat ("/run/systemd/system", &st) == 0 && S_ISDIR (st.st_mode);
  if (booted)
    {
      TAP_SKIP ("this host runs systemd", "clr_systemd_available() is false without systemd");
      TAP_SKIP ("this host runs systemd", "start_scope refuses without systemd");
      TAP_SKIP ("this host runs systemd", "stop_scope refuses without systemd");
      TAP_SKIP ("this host runs systemd", "the refusal comes before the cgroupsPath is parsed");
      fake_systemd_tests ();
      return tap_done ();
    }
  TAP_OK (!clr_systemd_available (), "clr_systemd_available() is false without /run/systemd/system");
  {
    clr_err err = { 0 };
    int r = clr_systemd_start_scope ("system.slice:clawrun:abc", "abc", getpid (), NULL, &err);
    TAP_OK (r < 0 && strcmp (err.msg, CLR_SYSTEMD_NOT_RUNNING) == 0 && err.code == EOPNOTSUPP,
            "start_scope fails with exactly the 'not running' error");
    printf ("#   %s\n", err.msg);
    TAP_OK (strcmp (err.msg, "--systemd-cgroup: systemd is not running on this host (no /run/systemd/system); "
                             "use the default cgroupfs driver") == 0,
            "the 'not running' message is the documented one");
  }
  {
    clr_err err = { 0 };
    int r = clr_systemd_stop_scope ("clawrun-abc.scope", &err);
    TAP_OK (r < 0 && strcmp (err.msg, CLR_SYSTEMD_NOT_RUNNING) == 0, "stop_scope fails with exactly the 'not running' error");
  }
  {
    /* "before anything": not even the cgroupsPath is looked at */
    clr_err err = { 0 };
    int r = clr_systemd_start_scope ("onlyone", "abc", getpid (), NULL, &err);
    TAP_OK (r < 0 && strcmp (err.msg, CLR_SYSTEMD_NOT_RUNNING) == 0,
            "start_scope says 'not running' before judging the cgroupsPath");
  }
  /* last: it moves this process into a private mount namespace */
  fake_systemd_tests ();
  return tap_done ();
}
