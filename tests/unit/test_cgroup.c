/* Unit tests for the cgroup layer.  Needs root and a real /sys/fs/cgroup.  Everything is
 * created under "/clawrun-test-<pid>" (and, for the parent-cleanup check,
 * "/clawrun/clawrun-test-<pid>") and removed again; the last tests check that. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <yajl/yajl_tree.h>

#include "cgroup/cgroup.h"
#include "cgroup/resources.h"
#include "runtime/util.h"
#include "tests/unit/tap.h"

static char test_root[64];

static yajl_val
json (const char *s)
{
  char ebuf[256];
  yajl_val v = yajl_tree_parse (s, ebuf, sizeof ebuf);
  if (v == NULL)
    {
      fprintf (stderr, "bad test json: %s\n", ebuf);
      abort ();
    }
  return v;
}

/* /sys/fs/cgroup/<hier><path> */
static char *
hpath (const char *hier, const char *path)
{
  return xasprintf ("/sys/fs/cgroup/%s%s", hier, path);
}

static bool
is_dir (const char *p)
{
  struct stat st;
  return stat (p, &st) == 0 && S_ISDIR (st.st_mode);
}

/* Does PATH exist in any hierarchy under /sys/fs/cgroup? */
static bool
exists_anywhere (const char *path)
{
  cleanup_free char *v2 = hpath ("", path);
  if (is_dir (v2))
    return true;
  DIR *d = opendir ("/sys/fs/cgroup");
  if (!d)
    return false;
  bool found = false;
  struct dirent *de;
  while (!found && (de = readdir (d)))
    {
      if (de->d_name[0] == '.')
        continue;
      cleanup_free char *p = hpath (de->d_name, path);
      found = is_dir (p);
    }
  closedir (d);
  return found;
}

static char *
slurp (const char *hier, const char *path, const char *file)
{
  cleanup_free char *p = xasprintf ("/sys/fs/cgroup/%s%s/%s", hier, path, file);
  char *buf = NULL;
  clr_err e;
  if (clr_read_file (p, 1 << 20, &buf, NULL, &e) < 0)
    return xstrdup ("<unreadable>");
  buf[strcspn (buf, "\n")] = '\0';
  return buf;
}

static bool
file_has_line (const char *hier, const char *path, const char *file, const char *line)
{
  cleanup_free char *p = xasprintf ("/sys/fs/cgroup/%s%s/%s", hier, path, file);
  cleanup_free char *buf = NULL;
  clr_err e;
  if (clr_read_file (p, 1 << 20, &buf, NULL, &e) < 0)
    return false;
  for (char *l = strtok (buf, "\n"); l; l = strtok (NULL, "\n"))
    if (strcmp (l, line) == 0)
      return true;
  return false;
}

static bool
proc_cgroup_has (pid_t pid, const char *entry)
{
  cleanup_free char *p = xasprintf ("/proc/%d/cgroup", pid);
  cleanup_free char *buf = NULL;
  clr_err e;
  if (clr_read_file (p, 1 << 16, &buf, NULL, &e) < 0)
    return false;
  return strstr (buf, entry) != NULL;
}

/* A child that waits for "go" on GO, then forks a grandchild (both sleep forever) and
 * reports on READY.  Returns the child's pid. */
static pid_t
spawn_sleeper (int *go_w, int *ready_r)
{
  int go[2], ready[2];
  if (pipe2 (go, O_CLOEXEC) < 0 || pipe2 (ready, O_CLOEXEC) < 0)
    abort ();
  pid_t pid = fork ();
  if (pid == 0)
    {
      char c;
      close (go[1]);
      close (ready[0]);
      if (read (go[0], &c, 1) != 1)
        _exit (1);
      pid_t g = fork ();
      if (g == 0)
        for (;;)
          pause ();
      if (write (ready[1], &g, sizeof g) != sizeof g)
        _exit (1);
      for (;;)
        pause ();
    }
  close (go[0]);
  close (ready[1]);
  *go_w = go[1];
  *ready_r = ready[0];
  return pid;
}

/* Reap everything that has died (we are a subreaper: grandchildren come to us too). */
static void
reap_all (void)
{
  while (waitpid (-1, NULL, WNOHANG) > 0)
    ;
}

/* Pure v2: is CONTROLLER usable below the root? */
static bool
v2_has (const char *controller)
{
  cleanup_free char *c = slurp ("", "", "cgroup.controllers");
  for (char *t = strtok (c, " "); t; t = strtok (NULL, " "))
    if (strcmp (t, controller) == 0)
      return true;
  return false;
}

static void
test_paths (void)
{
  cleanup_free char *a = clr_cgroup_resolve_path ("/a/b", "id");
  cleanup_free char *b = clr_cgroup_resolve_path ("x/y", "id");
  cleanup_free char *c = clr_cgroup_resolve_path (NULL, "abc");
  TAP_OK (strcmp (a, "/a/b") == 0, "absolute cgroupsPath kept (%s)", a);
  TAP_OK (strcmp (b, "/clawrun/x/y") == 0, "relative cgroupsPath under /clawrun (%s)", b);
  TAP_OK (strcmp (c, "/clawrun/abc") == 0, "no cgroupsPath: /clawrun/<id> (%s)", c);

  clr_err err = { 0 };
  struct clr_cgroup *cg = NULL;
  cleanup_free char *dd = xasprintf ("%s/../../etc", test_root);
  TAP_OK (clr_cgroup_create (dd, NULL, &cg, &err) < 0
              && strcmp (err.msg, "cgroupsPath: must not contain \"..\"") == 0,
          "create refuses \"..\" (%s)", err.msg);
  TAP_OK (clr_cgroup_open ("/clawrun/../x", &cg, &err) < 0
              && strcmp (err.msg, "cgroupsPath: must not contain \"..\"") == 0,
          "open refuses \"..\" (%s)", err.msg);
  TAP_OK (clr_cgroup_open ("//./", &cg, &err) < 0 && strstr (err.msg, "root cgroup"),
          "the root cgroup is refused (%s)", err.msg);
  TAP_OK (!exists_anywhere (test_root), "nothing created by refused paths");
}

static void
test_bad_resources (enum clr_cgroup_mode mode)
{
  clr_err err = { 0 };
  struct clr_cgroup *cg = NULL;
  cleanup_free char *path = xasprintf ("%s/bad", test_root);

  yajl_val j = json ("{\"memory\":{\"limit\":\"64m\"}}");
  int r = clr_cgroup_create (path, j, &cg, &err);
  yajl_tree_free (j);
  TAP_OK (r < 0 && strcmp (err.msg, "linux.resources.memory.limit: expected a number") == 0,
          "memory.limit as a string: %s", err.msg);
  TAP_OK (!exists_anywhere (test_root), "a type error creates nothing");

  j = json ("{\"pids\":{\"limit\":1.5}}");
  r = clr_cgroup_create (path, j, &cg, &err);
  yajl_tree_free (j);
  TAP_OK (r < 0
              && strcmp (err.msg, "linux.resources.pids.limit: expected an integer, got 1.5") == 0,
          "pids.limit 1.5: %s", err.msg);

  j = json ("{\"devices\":[{\"allow\":true,\"type\":\"x\"}]}");
  r = clr_cgroup_create (path, j, &cg, &err);
  yajl_tree_free (j);
  TAP_OK (r < 0
              && strcmp (err.msg, "linux.resources.devices[0].type: \"x\" is not one of a, b, c")
                     == 0,
          "bad device type: %s", err.msg);

  /* the kernel refuses it: the directories (parent included) must go again */
  j = json ("{\"cpu\":{\"cpus\":\"999\"}}");
  r = clr_cgroup_create (path, j, &cg, &err);
  yajl_tree_free (j);
  /* the errno is the kernel's (ERANGE on 6.x); the message names the file and value */
  TAP_OK (r < 0 && clr_has_prefix (err.msg, "set cpuset.cpus to 999: "), "cpus the host lacks: %s",
          err.msg);
  TAP_OK (!exists_anywhere (test_root), "a failed write leaves nothing behind (parent included)");

  if (mode != CLR_CGROUP_UNIFIED)
    {
      j = json ("{\"unified\":{\"memory.high\":\"1000000\"}}");
      r = clr_cgroup_create (path, j, &cg, &err);
      yajl_tree_free (j);
      TAP_OK (r < 0 && strcmp (err.msg, "linux.resources.unified: requires cgroup v2") == 0,
              "unified on a v1 host: %s", err.msg);
      TAP_OK (!exists_anywhere (test_root), "nothing left after the unified error");
    }
  else
    TAP_SKIP ("pure v2 host", "unified on a v1 host");
}

static void
test_lifecycle (enum clr_cgroup_mode mode)
{
  clr_err err = { 0 };
  cleanup_free char *path = xasprintf ("%s/a", test_root);
  cleanup_cgroup struct clr_cgroup *cg = NULL;
  const char *limits = "{\"memory\":{\"limit\":67108864},\"pids\":{\"limit\":100},"
                       "\"cpu\":{\"shares\":512},"
                       "\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}";
  /* a v2 host without the controllers (this host's cgroup2 mounted alone) still runs the
   * rest: check the error, then go on without limits */
  bool v2_limits
      = mode == CLR_CGROUP_UNIFIED && v2_has ("memory") && v2_has ("pids") && v2_has ("cpu");
  yajl_val j;
  int r;
  if (mode == CLR_CGROUP_UNIFIED && !v2_limits)
    {
      j = json (limits);
      r = clr_cgroup_create (path, j, &cg, &err);
      yajl_tree_free (j);
      TAP_OK (
          r < 0
              && strcmp (err.msg,
                         v2_has ("memory")
                             ? "set pids.max to 100: the pids controller is not available"
                             : "set memory.max to 67108864: the memory controller is not available")
                     == 0,
          "v2 without controllers: %s", err.msg);
      TAP_OK (!exists_anywhere (test_root), "and nothing left behind");
      limits = "{}";
    }
  j = json (limits);
  r = clr_cgroup_create (path, j, &cg, &err);
  yajl_tree_free (j);
  TAP_OK (r == 0, "create %s (%s)", path, r < 0 ? err.msg : "ok");
  if (r < 0)
    return;
  TAP_OK (cg->mode == mode && strcmp (cg->path, path) == 0, "handle has mode and path");

  if (mode != CLR_CGROUP_UNIFIED)
    {
      cleanup_free char *mem = slurp ("memory", path, "memory.limit_in_bytes");
      cleanup_free char *pids = slurp ("pids", path, "pids.max");
      cleanup_free char *shares = slurp ("cpu", path, "cpu.shares");
      TAP_OK (strcmp (mem, "67108864") == 0, "memory.limit_in_bytes = %s", mem);
      TAP_OK (strcmp (pids, "100") == 0, "pids.max = %s", pids);
      TAP_OK (strcmp (shares, "512") == 0, "cpu.shares = %s", shares);

      cleanup_free char *root_cpus = slurp ("cpuset", "", "cpuset.cpus");
      cleanup_free char *root_mems = slurp ("cpuset", "", "cpuset.mems");
      cleanup_free char *par_cpus = slurp ("cpuset", test_root, "cpuset.cpus");
      cleanup_free char *cpus = slurp ("cpuset", path, "cpuset.cpus");
      cleanup_free char *mems = slurp ("cpuset", path, "cpuset.mems");
      TAP_OK (strcmp (cpus, root_cpus) == 0 && strcmp (par_cpus, root_cpus) == 0 && cpus[0],
              "cpuset.cpus copied down every new level (%s)", cpus);
      TAP_OK (strcmp (mems, root_mems) == 0 && mems[0], "cpuset.mems copied (%s)", mems);

      TAP_OK (file_has_line ("devices", path, "devices.list", "c 1:3 rwm")
                  && file_has_line ("devices", path, "devices.list", "c 136:* rwm")
                  && !file_has_line ("devices", path, "devices.list", "a *:* rwm")
                  && !file_has_line ("devices", path, "devices.list", "c 10:200 rwm"),
              "devices: deny all + the default allow-list");
      cleanup_free char *named = hpath ("systemd", path);
      if (is_dir ("/sys/fs/cgroup/systemd"))
        TAP_OK (is_dir (named), "named hierarchy (name=systemd) gets the cgroup too");
      else
        TAP_SKIP ("no name=systemd hierarchy", "named hierarchy gets the cgroup too");
    }
  else if (v2_limits)
    {
      cleanup_free char *mem = slurp ("", path, "memory.max");
      cleanup_free char *pids = slurp ("", path, "pids.max");
      TAP_OK (strcmp (mem, "67108864") == 0, "memory.max = %s", mem);
      TAP_OK (strcmp (pids, "100") == 0, "pids.max = %s", pids);
    }

  if (mode != CLR_CGROUP_LEGACY)
    {
      cleanup_free char *u = hpath (mode == CLR_CGROUP_UNIFIED ? "" : "unified", path);
      struct stat a, b;
      TAP_OK (is_dir (u), "cgroup2 directory %s exists", u);
      TAP_OK (cg->unified_fd >= 0 && fstat (cg->unified_fd, &a) == 0 && stat (u, &b) == 0
                  && a.st_ino == b.st_ino && (fcntl (cg->unified_fd, F_GETFD) & FD_CLOEXEC),
              "unified_fd is that directory, O_CLOEXEC");
    }

  /* a pre-existing, empty cgroup is fine (engines pre-create parents) */
  {
    cleanup_cgroup struct clr_cgroup *again = NULL;
    r = clr_cgroup_create (path, NULL, &again, &err);
    TAP_OK (r == 0, "create over an existing empty cgroup (%s)", r < 0 ? err.msg : "ok");
  }

  /* processes */
  int go, ready;
  pid_t child = spawn_sleeper (&go, &ready);
  r = clr_cgroup_enter (cg, child, false, &err);
  TAP_OK (r == 0, "enter pid %d (%s)", child, r < 0 ? err.msg : "ok");
  pid_t grandchild = 0;
  if (write (go, "g", 1) != 1 || read (ready, &grandchild, sizeof grandchild) != sizeof grandchild)
    grandchild = 0;
  close (go);
  close (ready);
  cleanup_free char *want = xasprintf (mode == CLR_CGROUP_UNIFIED ? "%s\n" : "memory:%s\n", path);
  TAP_OK (proc_cgroup_has (child, want), "/proc/%d/cgroup has %s", child, path);
  if (mode == CLR_CGROUP_HYBRID)
    {
      cleanup_free char *w2 = xasprintf ("0::%s\n", path);
      TAP_OK (proc_cgroup_has (child, w2), "and in the unified hierarchy");
    }

  cleanup_free pid_t *pids = NULL;
  size_t n = 0;
  r = clr_cgroup_pids (cg, &pids, &n, &err);
  TAP_OK (r == 0 && n == 2
              && ((pids[0] == child && pids[1] == grandchild)
                  || (pids[1] == child && pids[0] == grandchild)),
          "pids() finds child and grandchild (n=%zu)", n);

  /* a sub-cgroup made by the container itself: pids() descends, destroy removes it */
  const char *sub_hier = mode == CLR_CGROUP_UNIFIED ? "" : "pids";
  cleanup_free char *sub = xasprintf ("%s/inner", path);
  cleanup_free char *subdir = hpath (sub_hier, sub);
  cleanup_free char *subprocs = xasprintf ("%s/cgroup.procs", subdir);
  bool moved = false;
  if (mkdir (subdir, 0755) == 0)
    {
      char buf[32];
      int fd = open (subprocs, O_WRONLY | O_CLOEXEC);
      snprintf (buf, sizeof buf, "%d", grandchild);
      moved = fd >= 0 && write (fd, buf, strlen (buf)) > 0;
      if (fd >= 0)
        close (fd);
    }
  free (pids);
  pids = NULL;
  r = clr_cgroup_pids (cg, &pids, &n, &err);
  TAP_OK (moved && r == 0 && n == 2, "pids() includes descendant cgroups (n=%zu)", n);

  bool frozen = true;
  r = clr_cgroup_is_frozen (cg, &frozen, &err);
  TAP_OK (r == 0 && !frozen, "not frozen");
  r = clr_cgroup_freeze (cg, true, &err);
  TAP_OK (r == 0, "freeze (%s)", r < 0 ? err.msg : "ok");
  r = clr_cgroup_is_frozen (cg, &frozen, &err);
  TAP_OK (r == 0 && frozen, "is_frozen after freeze");
  r = clr_cgroup_freeze (cg, false, &err);
  TAP_OK (r == 0, "thaw (%s)", r < 0 ? err.msg : "ok");
  r = clr_cgroup_is_frozen (cg, &frozen, &err);
  TAP_OK (r == 0 && !frozen, "not frozen after thaw");

  /* a second handle from open() sees the same */
  {
    cleanup_cgroup struct clr_cgroup *o = NULL;
    cleanup_free pid_t *p2 = NULL;
    size_t n2 = 0;
    r = clr_cgroup_open (path, &o, &err);
    TAP_OK (r == 0 && clr_cgroup_pids (o, &p2, &n2, &err) == 0 && n2 == 2,
            "open() handle lists the same pids");
  }

  /* taking over a cgroup in use is refused */
  {
    cleanup_cgroup struct clr_cgroup *again = NULL;
    r = clr_cgroup_create (path, NULL, &again, &err);
    cleanup_free char *m = xasprintf ("cgroup %s: already in use by pid ", path);
    TAP_OK (r < 0 && clr_has_prefix (err.msg, m), "create on a busy cgroup fails (%s)", err.msg);
  }

  /* update */
  j = json ("{\"pids\":{\"limit\":200}}");
  r = clr_cgroup_apply_resources (cg, j, &err);
  yajl_tree_free (j);
  cleanup_free char *pmax = slurp (sub_hier, path, "pids.max");
  if (mode != CLR_CGROUP_UNIFIED || v2_limits)
    TAP_OK (r == 0 && strcmp (pmax, "200") == 0, "apply_resources updates pids.max (%s)", pmax);
  else
    TAP_OK (
        r < 0 && strcmp (err.msg, "set pids.max to 200: the pids controller is not available") == 0,
        "apply_resources: %s", err.msg);
  if (mode != CLR_CGROUP_UNIFIED)
    {
      /* device rules rewritten under a running process: frozen meanwhile, thawed after */
      j = json ("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
                "{\"allow\":true,\"type\":\"c\",\"major\":10,\"minor\":229,\"access\":\"rw\"}]}");
      r = clr_cgroup_apply_resources (cg, j, &err);
      yajl_tree_free (j);
      bool fz = true;
      TAP_OK (r == 0 && file_has_line ("devices", path, "devices.list", "c 10:229 rw")
                  && file_has_line ("devices", path, "devices.list", "c 1:3 rwm")
                  && clr_cgroup_is_frozen (cg, &fz, &err) == 0 && !fz,
              "device update applied, container thawed again (%s)", r < 0 ? err.msg : "ok");
    }
  j = json ("{\"memory\":{\"limit\":true}}");
  r = clr_cgroup_apply_resources (cg, j, &err);
  yajl_tree_free (j);
  TAP_OK (r < 0 && strcmp (err.msg, "linux.resources.memory.limit: expected a number") == 0,
          "apply_resources names the bad field (%s)", err.msg);

  r = clr_cgroup_kill (cg, SIGKILL, &err);
  TAP_OK (r == 0, "kill SIGKILL (%s)", r < 0 ? err.msg : "ok");
  int status = 0;
  pid_t w = waitpid (child, &status, 0);
  TAP_OK (w == child && WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL,
          "child died of SIGKILL");
  /* the grandchild was reparented to us (subreaper) */
  w = waitpid (grandchild, &status, 0);
  TAP_OK (w == grandchild && WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL,
          "grandchild (in a sub-cgroup) died of SIGKILL");
  free (pids);
  pids = NULL;
  r = clr_cgroup_pids (cg, &pids, &n, &err);
  TAP_OK (r == 0 && n == 0, "pids() empty after kill (n=%zu)", n);

  r = clr_cgroup_destroy (cg, &err);
  TAP_OK (r == 0, "destroy (%s)", r < 0 ? err.msg : "ok");
  TAP_OK (!exists_anywhere (path), "%s is gone from every hierarchy", path);
  TAP_OK (exists_anywhere (test_root), "its parent (outside /clawrun) is left alone");
  r = clr_cgroup_destroy (cg, &err);
  TAP_OK (r == 0, "destroy twice is fine (%s)", r < 0 ? err.msg : "ok");
}

/* "maj:min" of some block device (from /sys/block/NAME/dev). */
static bool
first_block_device (char *buf, size_t len)
{
  DIR *d = opendir ("/sys/block");
  bool found = false;
  struct dirent *de;
  while (d && !found && (de = readdir (d)))
    {
      if (de->d_name[0] == '.')
        continue;
      cleanup_free char *p = xasprintf ("/sys/block/%s/dev", de->d_name);
      cleanup_free char *v = NULL;
      clr_err e;
      if (clr_read_file (p, 64, &v, NULL, &e) == 0)
        {
          v[strcspn (v, "\n")] = '\0';
          snprintf (buf, len, "%s", v);
          found = true;
        }
    }
  if (d)
    closedir (d);
  return found;
}

/* A Docker-like linux.resources on v1, then updates that need the memory/memsw order. */
static void
test_resources_v1 (void)
{
  clr_err err = { 0 };
  cleanup_free char *path = xasprintf ("%s/res", test_root);
  cleanup_cgroup struct clr_cgroup *cg = NULL;
  /* any block device of this machine for the throttle (vda is 254:0 here) */
  char bdev[32] = "", maj[16] = "", min[16] = "";
  if (first_block_device (bdev, sizeof bdev))
    sscanf (bdev, "%15[0-9]:%15[0-9]", maj, min);
  cleanup_free char *throttle
      = maj[0] ? xasprintf (
            ",\"throttleReadBpsDevice\":[{\"major\":%s,\"minor\":%s,\"rate\":1048576}]", maj, min)
               : xstrdup ("");
  cleanup_free char *cfg = xasprintf (
      "{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
      "{\"allow\":true,\"type\":\"c\",\"major\":10,\"minor\":229,\"access\":\"rw\"}],"
      "\"memory\":{\"limit\":134217728,\"reservation\":67108864,\"swap\":268435456,"
      "\"swappiness\":10,\"disableOOMKiller\":true,\"kernel\":null},"
      "\"cpu\":{\"shares\":0,\"quota\":50000,\"period\":100000,\"cpus\":\"0\",\"mems\":\"0\"},"
      "\"pids\":{\"limit\":0},"
      "\"blockIO\":{\"weight\":500%s}}",
      throttle);
  yajl_val j = json (cfg);
  int r = clr_cgroup_create (path, j, &cg, &err);
  yajl_tree_free (j);
  TAP_OK (r == 0, "create with a full resources object (%s)", r < 0 ? err.msg : "ok");
  if (r < 0)
    return;
  struct
  {
    const char *hier, *file, *want;
  } checks[] = {
    { "memory", "memory.limit_in_bytes", "134217728" },
    { "memory", "memory.memsw.limit_in_bytes", "268435456" },
    { "memory", "memory.soft_limit_in_bytes", "67108864" },
    { "memory", "memory.swappiness", "10" },
    { "memory", "memory.oom_control", "oom_kill_disable 1" },
    { "cpu", "cpu.cfs_quota_us", "50000" },
    { "cpu", "cpu.cfs_period_us", "100000" },
    { "cpu", "cpu.shares", "1024" },
    { "cpuset", "cpuset.cpus", "0" },
    { "pids", "pids.max", "max" },
  };
  for (size_t i = 0; i < CLR_ARRAY_SIZE (checks); i++)
    {
      cleanup_free char *v = slurp (checks[i].hier, path, checks[i].file);
      TAP_OK (strcmp (v, checks[i].want) == 0, "%s = %s", checks[i].file, v);
    }
  cleanup_free char *wfile = hpath ("blkio", path);
  cleanup_free char *wpath = xasprintf ("%s/blkio.weight", wfile);
  const char *wname = access (wpath, F_OK) == 0 ? "blkio.weight" : "blkio.bfq.weight";
  cleanup_free char *w = slurp ("blkio", path, wname);
  TAP_OK (strstr (w, "500") != NULL, "%s = %s", wname, w);
  if (maj[0])
    {
      cleanup_free char *want = xasprintf ("%s 1048576", bdev);
      cleanup_free char *t = slurp ("blkio", path, "blkio.throttle.read_bps_device");
      TAP_OK (strcmp (t, want) == 0, "blkio.throttle.read_bps_device = %s", t);
    }
  else
    TAP_SKIP ("no block device", "blkio throttle");
  TAP_OK (file_has_line ("devices", path, "devices.list", "c 10:229 rw"),
          "config device rule applied");

  const char *updates[][3] = {
    { "{\"memory\":{\"limit\":536870912,\"swap\":1073741824}}", "536870912", "1073741824" },
    { "{\"memory\":{\"limit\":33554432,\"swap\":67108864}}", "33554432", "67108864" },
    { "{\"memory\":{\"limit\":-1}}", "9223372036854771712", "9223372036854771712" },
  };
  for (size_t i = 0; i < CLR_ARRAY_SIZE (updates); i++)
    {
      j = json (updates[i][0]);
      r = clr_cgroup_apply_resources (cg, j, &err);
      yajl_tree_free (j);
      cleanup_free char *l = slurp ("memory", path, "memory.limit_in_bytes");
      cleanup_free char *s = slurp ("memory", path, "memory.memsw.limit_in_bytes");
      TAP_OK (r == 0 && strcmp (l, updates[i][1]) == 0 && strcmp (s, updates[i][2]) == 0,
              "update %s -> limit %s memsw %s (%s)", updates[i][0], l, s, r < 0 ? err.msg : "ok");
    }

  j = json ("{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":0}]}");
  r = clr_cgroup_apply_resources (cg, j, &err);
  yajl_tree_free (j);
  if (!is_dir ("/sys/fs/cgroup/hugetlb"))
    TAP_OK (
        r < 0
            && strcmp (
                   err.msg,
                   "set hugetlb.2MB.limit_in_bytes to 0: the hugetlb controller is not available")
                   == 0,
        "missing controller named: %s", err.msg);
  else
    TAP_OK (r == 0, "hugetlb limit (%s)", r < 0 ? err.msg : "ok");

  j = json ("{\"cpu\":{\"shares\":1}}");
  r = clr_cgroup_apply_resources (cg, j, &err);
  yajl_tree_free (j);
  TAP_OK (r < 0 && strstr (err.msg, "linux.resources.cpu.shares: 1 is out of range"),
          "shares clamped by the kernel: %s", err.msg);

  j = json ("{\"memory\":{\"limit\":18446744073709551615}}");
  r = clr_cgroup_apply_resources (cg, j, &err);
  yajl_tree_free (j);
  TAP_OK (
      r < 0
          && strcmp (err.msg, "linux.resources.memory.limit: 18446744073709551615 is out of range")
                 == 0,
      "out-of-range number: %s", err.msg);

  r = clr_cgroup_destroy (cg, &err);
  TAP_OK (r == 0 && !exists_anywhere (path), "destroy (%s)", r < 0 ? err.msg : "ok");
}

/* destroy of a cgroup that still has a process: kill, wait, rmdir */
static void
test_destroy_busy (void)
{
  clr_err err = { 0 };
  cleanup_free char *path = xasprintf ("%s/busy", test_root);
  cleanup_cgroup struct clr_cgroup *cg = NULL;
  int r = clr_cgroup_create (path, NULL, &cg, &err);
  TAP_OK (r == 0, "create %s (%s)", path, r < 0 ? err.msg : "ok");
  if (r < 0)
    return;
  int go, ready;
  pid_t child = spawn_sleeper (&go, &ready);
  pid_t g = 0;
  r = clr_cgroup_enter (cg, child, false, &err);
  if (write (go, "g", 1) != 1 || read (ready, &g, sizeof g) != sizeof g)
    g = 0;
  close (go);
  close (ready);
  TAP_OK (r == 0 && g > 0, "child and grandchild running in it");
  r = clr_cgroup_destroy (cg, &err);
  TAP_OK (r == 0, "destroy kills and removes (%s)", r < 0 ? err.msg : "ok");
  int status = 0;
  TAP_OK (waitpid (child, &status, 0) == child && WIFSIGNALED (status), "child was killed");
  waitpid (g, NULL, 0);
  TAP_OK (!exists_anywhere (path), "busy cgroup removed everywhere");

  /* destroy of something that never existed */
  cleanup_cgroup struct clr_cgroup *none = NULL;
  cleanup_free char *np = xasprintf ("%s/never", test_root);
  r = clr_cgroup_open (np, &none, &err);
  TAP_OK (r == 0 && none->unified_fd == -1, "open of a missing cgroup works");
  cleanup_free pid_t *pids = NULL;
  size_t n = 1;
  bool fz = true;
  TAP_OK (r == 0 && clr_cgroup_pids (none, &pids, &n, &err) == 0 && n == 0
              && clr_cgroup_is_frozen (none, &fz, &err) == 0 && !fz
              && clr_cgroup_kill (none, SIGKILL, &err) == 0
              && clr_cgroup_kill (none, SIGTERM, &err) == 0 && clr_cgroup_destroy (none, &err) == 0,
          "missing cgroup: empty, not frozen, kill and destroy succeed");
}

/* Under /clawrun/ destroy also removes the empty parents it owns. */
static void
test_clawrun_parents (enum clr_cgroup_mode mode)
{
  clr_err err = { 0 };
  const char *probe
      = mode == CLR_CGROUP_UNIFIED ? "/sys/fs/cgroup/clawrun" : "/sys/fs/cgroup/memory/clawrun";
  bool had_clawrun = is_dir (probe);
  cleanup_free char *mine = xasprintf ("/clawrun%s", test_root);
  cleanup_free char *path = xasprintf ("%s/x", mine);
  cleanup_cgroup struct clr_cgroup *cg = NULL;
  int r = clr_cgroup_create (path, NULL, &cg, &err);
  TAP_OK (r == 0, "create %s (%s)", path, r < 0 ? err.msg : "ok");
  if (r < 0)
    return;
  r = clr_cgroup_destroy (cg, &err);
  TAP_OK (r == 0 && !exists_anywhere (path) && !exists_anywhere (mine),
          "destroy removes empty parents under /clawrun (%s)", r < 0 ? err.msg : "ok");
  /* /clawrun is shared: another runtime (or test) may have put a cgroup there meanwhile */
  if (!had_clawrun && !exists_anywhere ("/clawrun"))
    TAP_OK (true, "and /clawrun itself when it became empty");
  else if (!had_clawrun)
    TAP_SKIP ("/clawrun in use concurrently", "/clawrun removed when empty");
  else
    TAP_SKIP ("/clawrun was in use before the test", "/clawrun removed when empty");
}

static void
run_suite (void)
{
  /* grandchildren killed with the cgroup are reparented to us, so we can reap them */
  prctl (PR_SET_CHILD_SUBREAPER, 1);

  clr_err err = { 0 };
  enum clr_cgroup_mode mode;
  int r = clr_cgroup_detect_mode (&mode, &err);
  TAP_OK (r == 0, "detect mode: %s",
          r < 0                        ? err.msg
          : mode == CLR_CGROUP_UNIFIED ? "unified"
          : mode == CLR_CGROUP_HYBRID  ? "hybrid"
                                       : "legacy");
  if (r < 0)
    return;

  test_paths ();
  test_bad_resources (mode);
  test_lifecycle (mode);
  if (mode != CLR_CGROUP_UNIFIED)
    test_resources_v1 ();
  test_destroy_busy ();

  /* the test parent: an empty cgroup outside /clawrun, removed through a handle */
  {
    cleanup_cgroup struct clr_cgroup *p = NULL;
    r = clr_cgroup_open (test_root, &p, &err);
    if (r == 0)
      r = clr_cgroup_destroy (p, &err);
    TAP_OK (r == 0 && !exists_anywhere (test_root), "test parent %s removed (%s)", test_root,
            r < 0 ? err.msg : "ok");
  }

  test_clawrun_parents (mode);
  reap_all ();

  TAP_OK (!exists_anywhere (test_root), "nothing named %s left in /sys/fs/cgroup/*/",
          test_root + 1);
  cleanup_free char *under = xasprintf ("/clawrun%s", test_root);
  TAP_OK (!exists_anywhere (under), "nothing left under /clawrun either");
}

/* The pure-v2 code paths on a hybrid host: in a private mount namespace, bind a cgroup2
 * directory of our own over /sys/fs/cgroup, so the suite sees a cgroup2 root (without
 * controllers) and everything it does stays under that directory. */
static void
run_suite_v2_on_hybrid (const char *base)
{
  cleanup_free char *v2root = xasprintf ("/sys/fs/cgroup/unified%s-v2", base);
  if (mkdir (v2root, 0755) < 0)
    {
      TAP_OK (false, "mkdir %s: %s", v2root, strerror (errno));
      return;
    }
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    abort ();
  printf ("# again as pure cgroup v2 (%s bound over /sys/fs/cgroup)\n", v2root);
  fflush (stdout);
  pid_t pid = fork ();
  if (pid == 0)
    {
      close (p[0]);
      /* (the fstype is ignored for these two; "none" keeps valgrind quiet) */
      if (unshare (CLONE_NEWNS) < 0 || mount ("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0
          || mount (v2root, "/sys/fs/cgroup", "none", MS_BIND, NULL) < 0)
        TAP_OK (false, "private cgroup2 mount: %s", strerror (errno));
      else
        run_suite ();
      int counts[2] = { tap_n, tap_failed };
      free (clr_steal_ptr (&v2root));
      if (write (p[1], counts, sizeof counts) != sizeof counts)
        _exit (2);
      _exit (0);
    }
  close (p[1]);
  int counts[2] = { tap_n, tap_failed + 1 }, status;
  if (read (p[0], counts, sizeof counts) != sizeof counts)
    counts[1] = tap_failed + 1;
  close (p[0]);
  waitpid (pid, &status, 0);
  tap_n = counts[0];
  tap_failed = counts[1];
  TAP_OK (rmdir (v2root) == 0, "v2 test root %s empty and removed", v2root);
}

int
main (void)
{
  if (geteuid () != 0)
    {
      printf ("1..0 # SKIP needs root\n");
      return 0;
    }
  char base[64];
  snprintf (base, sizeof base, "/clawrun-test-%d", (int) getpid ());
  snprintf (test_root, sizeof test_root, "%s", base);
  run_suite ();

  enum clr_cgroup_mode mode;
  clr_err err;
  if (clr_cgroup_detect_mode (&mode, &err) == 0 && mode == CLR_CGROUP_HYBRID)
    run_suite_v2_on_hybrid (base);
  TAP_OK (!exists_anywhere (base), "finally: nothing named %s in /sys/fs/cgroup/*/", base + 1);
  cleanup_free char *v2 = xasprintf ("%s-v2", base);
  TAP_OK (!exists_anywhere (v2), "nor %s", v2 + 1);
  return tap_done ();
}
