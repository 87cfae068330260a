/* The v2 device allow-list: generate, load, attach to a cgroup2 directory of our own
 * (on hybrid hosts the unified mount carries cgroup BPF too) and check what a process
 * inside may open. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/devices_bpf.h"
#include "tests/unit/tap.h"

static const char *
cgroup2_root (void)
{
  static const char *const cands[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
  for (size_t i = 0; i < 2; i++)
    {
      struct statfs s;
      if (statfs (cands[i], &s) == 0 && s.f_type == CGROUP2_SUPER_MAGIC)
        return cands[i];
    }
  return NULL;
}

/* In a child placed in DIR: try to open PATH with FLAGS; return errno (0 = opened). */
static int
try_open_in (const char *dir, const char *path, int flags)
{
  int pfd[2];
  if (pipe (pfd) < 0)
    return -1;
  pid_t pid = fork ();
  if (pid == 0)
    {
      char procs[512], me[32];
      snprintf (procs, sizeof procs, "%s/cgroup.procs", dir);
      snprintf (me, sizeof me, "%d", getpid ());
      int fd = open (procs, O_WRONLY);
      if (fd < 0 || write (fd, me, strlen (me)) < 0)
        _exit (99);
      close (fd);
      int r = open (path, flags);
      int e = r < 0 ? errno : 0;
      (void) !write (pfd[1], &e, sizeof e);
      _exit (0);
    }
  close (pfd[1]);
  int e = -1;
  if (read (pfd[0], &e, sizeof e) != sizeof e)
    e = -1;
  close (pfd[0]);
  waitpid (pid, NULL, 0);
  return e;
}

static int
count_attached (int fd)
{
  uint32_t ids[16];
  union bpf_attr q;
  memset (&q, 0, sizeof q);
  q.query.target_fd = fd;
  q.query.attach_type = BPF_CGROUP_DEVICE;
  q.query.prog_ids = (uint64_t) (uintptr_t) ids;
  q.query.prog_cnt = 16;
  if (syscall (SYS_bpf, BPF_PROG_QUERY, &q, sizeof q) < 0)
    return -1;
  return (int) q.query.prog_cnt;
}

int
main (void)
{
  struct clr_dev_rule rules[] = {
    { false, 'a', -1, -1, "rwm" },
    { true, 'c', 1, 3, "rwm" },   /* /dev/null */
    { true, 'c', 1, 5, "r" },     /* /dev/zero: read only */
    { true, 'c', 1, 7, "rwm" },   /* /dev/full ... */
    { false, 'c', 1, 7, "w" },    /* ... but not for writing (later rule wins) */
  };
  TAP_OK (clr_devices_bpf_insn_count (rules, 5) > 8, "rules compile to %zu instructions",
          clr_devices_bpf_insn_count (rules, 5));
  TAP_OK (clr_devices_bpf_insn_count (rules, 1) == 8, "a lone 'deny all' is prologue + one block");

  const char *root = cgroup2_root ();
  if (root == NULL || geteuid () != 0)
    {
      TAP_SKIP ("no cgroup2 mount or not root", "device program enforcement");
      return tap_done ();
    }
  char dir[256];
  snprintf (dir, sizeof dir, "%s/clawrun-test-devbpf-%d", root, getpid ());
  if (mkdir (dir, 0755) < 0)
    {
      TAP_SKIP ("cannot create a test cgroup", "device program enforcement");
      return tap_done ();
    }
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  clr_err err = { 0 };
  int r = clr_devices_bpf_apply (fd, rules, 5, &err);
  TAP_OK (r == 0, "load and attach (%s)", r ? err.msg : "ok");
  TAP_OK (count_attached (fd) == 1, "one device program attached");
  TAP_OK (try_open_in (dir, "/dev/null", O_RDWR) == 0, "/dev/null rw allowed");
  TAP_OK (try_open_in (dir, "/dev/zero", O_RDONLY) == 0, "/dev/zero read allowed");
  TAP_OK (try_open_in (dir, "/dev/zero", O_WRONLY) == EPERM, "/dev/zero write denied");
  TAP_OK (try_open_in (dir, "/dev/full", O_RDONLY) == 0, "/dev/full read allowed");
  TAP_OK (try_open_in (dir, "/dev/full", O_WRONLY) == EPERM, "/dev/full write denied by a later deny rule");
  TAP_OK (try_open_in (dir, "/dev/urandom", O_RDONLY) == EPERM, "/dev/urandom (no rule) denied");

  /* update: a new rule set replaces the old program, it does not stack */
  struct clr_dev_rule open_all[] = { { true, 'a', -1, -1, "rwm" } };
  r = clr_devices_bpf_apply (fd, open_all, 1, &err);
  TAP_OK (r == 0 && count_attached (fd) == 1, "update replaces the program (%d attached)", count_attached (fd));
  TAP_OK (try_open_in (dir, "/dev/urandom", O_RDONLY) == 0, "after update /dev/urandom is allowed");

  struct clr_dev_rule bad[] = { { true, 'c', 1LL << 40, 0, "r" } };
  TAP_OK (clr_devices_bpf_apply (fd, bad, 1, &err) < 0 && strstr (err.msg, "out of range"),
          "major out of range refused: %s", err.msg);
  close (fd);
  TAP_OK (rmdir (dir) == 0, "test cgroup removed (programs go with it)");
  return tap_done ();
}
