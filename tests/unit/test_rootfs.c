/* Unit tests for rootfs/: resolution in the root, every mount kind, /dev, masks,
 * read-only paths, pivot_root, the console.
 *
 * Machine safety: everything that mounts runs in a forked child that first unshares a
 * mount namespace (+ pid, ipc, uts, net) and makes / rprivate, so every mount vanishes
 * with it; a second fork makes pid 1 of the new pid namespace, which runs
 * clr_rootfs_prepare/pivot and the checks and reports "1 text" / "0 text" lines over a
 * pipe; the parent prints them as TAP.  The rootfs is a temp dir under /tmp. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include "rootfs/rootfs.h"
#include "runtime/util.h"
#include "tap.h"

#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC 0x19800202
#endif

static char base[PATH_MAX - 64], root[PATH_MAX];
static int out_fd = -1; /* in the namespace child: where results go */

/* ------------------------------------------------------------------ reporting */

static void __attribute__ ((format (printf, 2, 3)))
report (bool ok, const char *fmt, ...)
{
  char buf[2048];
  int n = snprintf (buf, sizeof buf, "%d ", ok ? 1 : 0);
  va_list ap;
  va_start (ap, fmt);
  n += vsnprintf (buf + n, sizeof buf - (size_t) n - 2, fmt, ap);
  va_end (ap);
  if (n > (int) sizeof buf - 2)
    n = (int) sizeof buf - 2;
  for (int i = 0; i < n; i++)
    if (buf[i] == '\n')
      buf[i] = ' ';
  buf[n++] = '\n';
  (void) !write (out_fd, buf, (size_t) n);
}

static void __attribute__ ((format (printf, 2, 3)))
skip (const char *why, const char *fmt, ...)
{
  char buf[2048];
  int n = snprintf (buf, sizeof buf, "S %s\t", why);
  va_list ap;
  va_start (ap, fmt);
  n += vsnprintf (buf + n, sizeof buf - (size_t) n - 2, fmt, ap);
  va_end (ap);
  if (n > (int) sizeof buf - 2)
    n = (int) sizeof buf - 2;
  for (int i = 0; i < n; i++)
    if (buf[i] == '\n')
      buf[i] = ' ';
  buf[n++] = '\n';
  (void) !write (out_fd, buf, (size_t) n);
}

static void __attribute__ ((format (printf, 1, 2)))
diag (const char *fmt, ...)
{
  char buf[2048] = "# ";
  va_list ap;
  va_start (ap, fmt);
  int n = 2 + vsnprintf (buf + 2, sizeof buf - 4, fmt, ap);
  va_end (ap);
  if (n > (int) sizeof buf - 2)
    n = (int) sizeof buf - 2;
  for (int i = 2; i < n; i++)
    if (buf[i] == '\n')
      buf[i] = ' ';
  buf[n++] = '\n';
  (void) !write (out_fd, buf, (size_t) n);
}

/* ------------------------------------------------------------------ helpers */

static void
xmkdir (const char *fmt, ...)
{
  char p[PATH_MAX];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (p, sizeof p, fmt, ap);
  va_end (ap);
  if (mkdir (p, 0755) < 0 && errno != EEXIST)
    {
      perror (p);
      exit (2);
    }
}

static void
xwrite_file (const char *path, const char *content)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || clr_write_all (fd, content, strlen (content)) < 0)
    {
      perror (path);
      exit (2);
    }
  close (fd);
}

static void
xsymlink (const char *target, const char *path)
{
  if (symlink (target, path) < 0)
    {
      perror (path);
      exit (2);
    }
}

static int
copy_file (const char *from, const char *to, mode_t mode)
{
  int in = open (from, O_RDONLY | O_CLOEXEC), out = open (to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  int ret = in >= 0 && out >= 0 ? 0 : -1;
  char buf[65536];
  while (ret == 0)
    {
      ssize_t n = read (in, buf, sizeof buf);
      if (n < 0 || (n > 0 && clr_write_all (out, buf, (size_t) n) < 0))
        ret = -1;
      if (n <= 0)
        break;
    }
  if (in >= 0)
    close (in);
  if (out >= 0)
    close (out);
  return ret;
}

static bool
fs_is (const char *path, long magic)
{
  struct statfs sf;
  return statfs (path, &sf) == 0 && sf.f_type == magic;
}

static bool
is_ro (const char *path)
{
  struct statvfs sv;
  return statvfs (path, &sv) == 0 && (sv.f_flag & ST_RDONLY);
}

static int
try_create (const char *path)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return errno;
  close (fd);
  unlink (path);
  return 0;
}

static bool
read_is (const char *path, const char *expect)
{
  char *data = NULL;
  size_t len;
  clr_err err;
  if (clr_read_file (path, 1 << 20, &data, &len, &err) < 0)
    return false;
  bool ok = len == strlen (expect) && memcmp (data, expect, len) == 0;
  free (data);
  return ok;
}

static bool
is_chr (const char *path, unsigned maj, unsigned min, mode_t mode)
{
  struct stat sb;
  return lstat (path, &sb) == 0 && S_ISCHR (sb.st_mode) && sb.st_rdev == makedev (maj, min)
         && (sb.st_mode & 07777) == mode;
}

static bool
link_is (const char *path, const char *target)
{
  char buf[PATH_MAX];
  ssize_t n = readlink (path, buf, sizeof buf - 1);
  if (n < 0)
    return false;
  buf[n] = '\0';
  return strcmp (buf, target) == 0;
}

static bool
dir_empty (const char *path)
{
  DIR *d = opendir (path);
  struct dirent *de;
  int n = 0;
  if (d == NULL)
    return false;
  while ((de = readdir (d)))
    n += strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0;
  closedir (d);
  return n == 0;
}

/* The line of /proc/self/mountinfo for mount point MP contains WORD. */
static bool
mountinfo_has (const char *mp, const char *word)
{
  char *info = NULL;
  clr_err err;
  bool found = false;
  if (clr_read_file ("/proc/self/mountinfo", 1 << 20, &info, NULL, &err) < 0)
    return false;
  for (char *save = NULL, *l = strtok_r (info, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    {
      char *f = l;
      for (int i = 0; i < 4 && f; i++)
        f = strchr (f, ' '), f = f ? f + 1 : NULL;
      if (f && strncmp (f, mp, strlen (mp)) == 0 && f[strlen (mp)] == ' ' && strstr (l, word))
        found = true;
    }
  free (info);
  return found;
}

static int
count_fds (void)
{
  int n = 0;
  for (int fd = 0; fd < 1024; fd++)
    n += fcntl (fd, F_GETFD) >= 0;
  return n;
}

/* ------------------------------------------------------------------ config building */

static struct clr_mount
mnt (const char *dest, const char *type, const char *src, unsigned long flags, const char *data)
{
  struct clr_mount m = { .destination = dest, .type = type, .source = src, .flags = flags };
  m.data = data ? data : "";
  if (data && *data)
    {
      size_t n = 1;
      for (const char *p = data; *p; p++)
        n += *p == ',';
      char **v = xcalloc (n + 1, sizeof *v), *copy = xstrdup (data), *save = NULL;
      size_t i = 0;
      for (char *t = strtok_r (copy, ",", &save); t; t = strtok_r (NULL, ",", &save))
        v[i++] = t;
      m.data_options = v;
      m.n_data_options = i;
    }
  if (type && strcmp (type, "bind") == 0)
    m.bind = true;
  return m;
}

static char *
bpath (const char *fmt, ...)
{
  char tail[PATH_MAX];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (tail, sizeof tail, fmt, ap);
  va_end (ap);
  return xasprintf ("%s%s", base, tail);
}

/* ------------------------------------------------------------------ the image */

static void
build_rootfs (void)
{
  snprintf (root, sizeof root, "%s/rootfs", base);
  xmkdir ("%s", root);
  xmkdir ("%s/bin", root);
  if (copy_file ("/bin/busybox", xasprintf ("%s/bin/busybox", root), 0755) < 0)
    {
      perror ("copy busybox");
      exit (2);
    }
  static const char *const applets[] = { "sh", "ls", "cat", "echo", "mount" };
  for (size_t i = 0; i < CLR_ARRAY_SIZE (applets); i++)
    xsymlink ("busybox", xasprintf ("%s/bin/%s", root, applets[i]));
  xmkdir ("%s/etc", root);
  xwrite_file (xasprintf ("%s/etc/hostname", root), "image\n");
  xmkdir ("%s/proc", root);
  xmkdir ("%s/sys", root);
  xmkdir ("%s/tmp", root);
  /* an image /dev with a fake null: must never be what the container gets (row 7) */
  xmkdir ("%s/dev", root);
  xwrite_file (xasprintf ("%s/dev/null", root), "FAKE");
  xwrite_file (xasprintf ("%s/secret-file", root), "TOPSECRET");
  xmkdir ("%s/secretdir", root);
  xwrite_file (xasprintf ("%s/secretdir/key", root), "KEY");
  xmkdir ("%s/rodir", root);
  xmkdir ("%s/copydir", root);
  xmkdir ("%s/copydir/sub", root);
  xwrite_file (xasprintf ("%s/copydir/a", root), "AAA");
  xwrite_file (xasprintf ("%s/copydir/sub/b", root), "BBB");
  chmod (xasprintf ("%s/copydir/sub/b", root), 0600);
  xsymlink ("a", xasprintf ("%s/copydir/link", root));
  xmkdir ("%s/run", root);
  chmod (xasprintf ("%s/run", root), 0750);
  /* mount destination through a symlink aimed at the host's /etc (CVE-2021-30465) */
  xsymlink ("/../../../etc", xasprintf ("%s/mnt", root));

  xmkdir ("%s/src", base);
  xwrite_file (xasprintf ("%s/src/hello", base), "hi");
  xwrite_file (xasprintf ("%s/srcfile", base), "filecontent");
  xmkdir ("%s/src2", base);
  xmkdir ("%s/src2/sub", base);
  xmkdir ("%s/locked", base);
  xmkdir ("%s/outside", base);
  xmkdir ("%s/fakedev", base);
  xsymlink ("/proc/sys/kernel/core_pattern", xasprintf ("%s/fakedev/null", base));
  xsymlink ("/proc/sys/kernel/core_pattern", xasprintf ("%s/fakedev/console", base));
}

/* ------------------------------------------------------------------ scenario runner */

struct scenario
{
  const char *name;
  int (*fn) (void *);
  void *arg;
  int unshare_flags;
  bool userns;
};

static int
write_proc (pid_t pid, const char *file, const char *data)
{
  char p[64];
  snprintf (p, sizeof p, "/proc/%d/%s", pid, file);
  int fd = open (p, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  int r = clr_write_all (fd, data, strlen (data));
  close (fd);
  return r;
}

static void
run_scenario (const struct scenario *s)
{
  int res[2], sync1[2], sync2[2];
  if (pipe2 (res, O_CLOEXEC) < 0 || pipe2 (sync1, O_CLOEXEC) < 0 || pipe2 (sync2, O_CLOEXEC) < 0)
    {
      TAP_OK (0, "%s: pipes", s->name);
      return;
    }
  fflush (stdout);
  pid_t pid = fork ();
  if (pid == 0)
    {
      char c = 0;
      close (res[0]);
      close (sync1[0]);
      close (sync2[1]);
      out_fd = res[1];
      if (s->userns)
        {
          /* a read-only nosuid mount made before the userns: locked in the namespaces
             the userns owns (only in this child's private mount namespace) */
          if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0
              || mount ("tmpfs", xasprintf ("%s/locked", base), "tmpfs", MS_RDONLY | MS_NOSUID, "size=64k") < 0)
            {
              report (false, "%s: locked mount: %s", s->name, strerror (errno));
              _exit (1);
            }
          if (unshare (CLONE_NEWUSER) < 0)
            {
              report (false, "%s: unshare(CLONE_NEWUSER): %s", s->name, strerror (errno));
              _exit (1);
            }
          (void) !write (sync1[1], "u", 1);
          if (read (sync2[0], &c, 1) != 1 || c != 'k')
            {
              report (false, "%s: id maps not written", s->name);
              _exit (1);
            }
        }
      if (unshare (s->unshare_flags) < 0)
        {
          report (false, "%s: unshare: %s", s->name, strerror (errno));
          _exit (1);
        }
      /* nothing done below may reach the host's mount namespace */
      if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        {
          report (false, "%s: make / rprivate: %s", s->name, strerror (errno));
          _exit (1);
        }
      pid_t init = fork ();
      if (init == 0)
        _exit (s->fn (s->arg));
      int st = 0;
      while (waitpid (init, &st, 0) < 0 && errno == EINTR)
        ;
      _exit (WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st));
    }
  close (res[1]);
  close (sync1[1]);
  close (sync2[0]);
  if (s->userns)
    {
      char c;
      if (read (sync1[0], &c, 1) == 1)
        {
          /* identity map: the userns is about privileges, not about ids */
          bool ok = write_proc (pid, "uid_map", "0 0 4294967295\n") == 0
                    && write_proc (pid, "gid_map", "0 0 4294967295\n") == 0;
          (void) !write (sync2[1], ok ? "k" : "x", 1);
        }
    }
  close (sync1[0]);
  close (sync2[1]);

  char *buf = NULL;
  size_t len = 0;
  clr_err err;
  clr_read_fd (res[0], 1 << 24, &buf, &len, &err);
  close (res[0]);
  int st = 0;
  while (waitpid (pid, &st, 0) < 0 && errno == EINTR)
    ;
  int results = 0;
  for (char *save = NULL, *l = buf ? strtok_r (buf, "\n", &save) : NULL; l; l = strtok_r (NULL, "\n", &save))
    {
      if (l[0] == '#')
        {
          printf ("%s\n", l);
          continue;
        }
      results++;
      if (l[0] == 'S')
        {
          char *tab = strchr (l + 2, '\t');
          if (tab)
            *tab++ = '\0';
          TAP_SKIP (l + 2, "%s: %s", s->name, tab ? tab : "");
          continue;
        }
      TAP_OK (l[0] == '1', "%s: %s", s->name, l + 2);
    }
  free (buf);
  TAP_OK (WIFEXITED (st) && WEXITSTATUS (st) == 0 && results > 0,
          "%s: namespace child exited cleanly (status %d, %d results)", s->name, st, results);
}

/* ------------------------------------------------------------------ scenario: full */

static struct clr_config full_cfg;
static struct clr_mount full_mounts[32];
static struct clr_device full_devices[4];
static struct clr_namespace full_ns[4];
static struct clr_idmap idmap_uid = { 0, 1000, 1 }, idmap_gid = { 0, 1000, 1 };
static char *full_masked[] = { "/secret-file", "/secretdir", "/proc/kcore", "/proc/timer_list",
                                "/proc/keys", "/nonexistent", "/proc/acpi", NULL };
static char *full_ro[] = { "/rodir", "/proc/sys", "/nonexistent2", NULL };

static void
build_full_config (void)
{
  size_t n = 0;
  struct clr_mount *m = full_mounts;
  m[n++] = mnt ("/proc", "proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
  m[n++] = mnt ("/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
                "newinstance,ptmxmode=0666,mode=0620,gid=5");
  m[n++] = mnt ("/dev/shm", "tmpfs", "shm", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k");
  m[n++] = mnt ("/dev/mqueue", "mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  m[n++] = mnt ("/sys", "sysfs", "sysfs", MS_RDONLY | MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
  /* Docker's cgroup entry, without "ro": read-only anyway (security.md row 9) */
  m[n++] = mnt ("/sys/fs/cgroup", "cgroup", "cgroup", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
  m[n] = mnt ("/data", "bind", bpath ("/src"), MS_RDONLY, NULL);
  m[n++].propagation = MS_SHARED;
  m[n++] = mnt ("/bound-file", "bind", bpath ("/srcfile"), MS_RDONLY, NULL);
  m[n] = mnt ("/rro", "bind", bpath ("/src2"), 0, NULL);
  m[n].recursive_bind = true;
  m[n++].rec_attr_set = MOUNT_ATTR_RDONLY;
  m[n] = mnt ("/rbind-ro", "bind", bpath ("/src2"), MS_RDONLY, NULL);
  m[n++].recursive_bind = true;
  m[n++] = mnt ("/mnt", "tmpfs", "tmpfs", 0, "size=1m");
  m[n++] = mnt ("/new/deep/dir", "tmpfs", "tmpfs", 0, NULL);
  m[n++] = mnt ("/sized", "tmpfs", "tmpfs", MS_NOEXEC, "size=1m");
  m[n++] = mnt ("/sized", NULL, NULL, MS_REMOUNT | MS_RDONLY, NULL);
  m[n] = mnt ("/copydir", "tmpfs", "tmpfs", MS_RDONLY, NULL);
  m[n++].tmpcopyup = true;
  m[n++] = mnt ("/run", "tmpfs", "tmpfs", 0, NULL);
  /* "rw,suid" on a source whose ro/nosuid are locked (userns): kept, not an error */
  m[n] = mnt ("/locked", "bind", bpath ("/locked"), 0, NULL);
  m[n++].clear_flags = MS_RDONLY | MS_NOSUID;
  full_cfg.mounts = m;
  full_cfg.n_mounts = n;

  full_devices[0] = (struct clr_device){ .path = "/dev/myzero", .type = 'c', .major = 1, .minor = 5,
                                         .has_file_mode = true, .file_mode = 0640,
                                         .has_uid = true, .uid = 1000, .has_gid = true, .gid = 1001 };
  full_devices[1] = (struct clr_device){ .path = "/dev/myfifo", .type = 'p', .has_file_mode = true,
                                         .file_mode = 0600 };
  full_devices[2] = (struct clr_device){ .path = "/dev/sub/dir/node", .type = 'c', .major = 1, .minor = 3 };
  full_cfg.linux.devices = full_devices;
  full_cfg.linux.n_devices = 3;
  full_ns[0] = (struct clr_namespace){ .type = CLONE_NEWNS };
  full_ns[1] = (struct clr_namespace){ .type = CLONE_NEWPID };
  full_ns[2] = (struct clr_namespace){ .type = CLONE_NEWNET };
  full_ns[3] = (struct clr_namespace){ .type = CLONE_NEWIPC };
  full_cfg.linux.namespaces = full_ns;
  full_cfg.linux.n_namespaces = 4;
  full_cfg.linux.masked_paths = full_masked;
  full_cfg.linux.n_masked_paths = clr_strv_len (full_masked);
  full_cfg.linux.readonly_paths = full_ro;
  full_cfg.linux.n_readonly_paths = clr_strv_len (full_ro);
  full_cfg.root_readonly = true;
  full_cfg.has_linux = true;
}

/* In a user namespace: no mknod (host nodes are bound, so only devices the host has),
 * no idmap with own mappings, no netns (sysfs falls back to a read-only rbind). */
static struct clr_config userns_cfg;

static void
build_userns_config (void)
{
  userns_cfg = full_cfg;
  userns_cfg.linux.devices = &full_devices[1];
  userns_cfg.linux.n_devices = 1;
  userns_cfg.linux.n_namespaces = 2;
}

static int
scenario_full (void *arg)
{
  bool userns = arg != NULL;
  clr_err err = { 0 };
  struct clr_rootfs_ctx ctx = { .cfg = userns ? &userns_cfg : &full_cfg, .rootfs = root,
                                .bundle = base, .new_userns = userns, .rootfd = -1 };
  /* a submount in the rbind sources: "rro" must reach it, "ro" must not */
  if (mount ("tmpfs", xasprintf ("%s/src2/sub", base), "tmpfs", 0, "size=64k") < 0)
    diag ("tmpfs on src2/sub: %s", strerror (errno));

  int fds_before = count_fds ();
  int r = clr_rootfs_prepare (&ctx, &err);
  report (r == 0, "prepare%s%s", r ? ": " : "", r ? err.msg : "");
  if (r < 0)
    return 1;
  report (ctx.rootfd >= 0, "prepare leaves an O_PATH fd of the rootfs");

  /* before pivot we still see the host's paths: the symlinked /mnt must have landed in
     the rootfs's etc, not on the host's /etc */
  report (fs_is (xasprintf ("%s/etc", root), TMPFS_MAGIC) && !fs_is ("/etc", TMPFS_MAGIC),
          "mount on /mnt -> /../../../etc lands on ROOTFS/etc, not on the host's /etc");
  struct stat sb;
  report (stat (xasprintf ("%s/new/deep/dir", root), &sb) == 0 && S_ISDIR (sb.st_mode),
          "missing destination /new/deep/dir created inside the rootfs");
  report (lstat (xasprintf ("%s/bound-file", root), &sb) == 0 && S_ISREG (sb.st_mode),
          "missing file destination created as a file for a file bind");

  r = clr_rootfs_pivot (&ctx, &err);
  report (r == 0, "pivot%s%s", r ? ": " : "", r ? err.msg : "");
  if (r < 0)
    return 1;
  report (ctx.rootfd == -1, "pivot closes the rootfd");
  char cwd[PATH_MAX];
  report (getcwd (cwd, sizeof cwd) && strcmp (cwd, "/") == 0, "cwd is / after pivot");
  report (access ("/bin/busybox", X_OK) == 0 && access (root, F_OK) < 0,
          "/ is the rootfs; the host's tree is gone");

  report (fs_is ("/proc", PROC_SUPER_MAGIC), "/proc is procfs");
  report (access ("/proc/1/status", F_OK) == 0 && access ("/proc/2", F_OK) < 0,
          "/proc shows the container's pid namespace");
  report (fs_is ("/dev", TMPFS_MAGIC), "/dev is a tmpfs");
  report (is_chr ("/dev/null", 1, 3, 0666), "/dev/null is char 1:3 0666 (not the image's fake)");
  report (is_chr ("/dev/zero", 1, 5, 0666) && is_chr ("/dev/full", 1, 7, 0666)
              && is_chr ("/dev/random", 1, 8, 0666) && is_chr ("/dev/urandom", 1, 9, 0666)
              && is_chr ("/dev/tty", 5, 0, 0666),
          "default devices zero full random urandom tty");
  if (!userns)
    {
      report (stat ("/dev/myzero", &sb) == 0 && S_ISCHR (sb.st_mode) && sb.st_rdev == makedev (1, 5)
                  && (sb.st_mode & 07777) == 0640 && sb.st_uid == 1000 && sb.st_gid == 1001,
              "linux.devices entry with fileMode 0640 uid 1000 gid 1001");
      report (is_chr ("/dev/sub/dir/node", 1, 3, 0666), "device in a nested missing directory");
    }
  else
    {
      struct stat d;
      report (stat ("/dev/null", &sb) == 0 && stat ("/dev", &d) == 0 && sb.st_dev != d.st_dev,
              "userns: /dev/null is a bind of the host's node");
    }
  report (stat ("/dev/myfifo", &sb) == 0 && S_ISFIFO (sb.st_mode) && (sb.st_mode & 07777) == 0600,
          "linux.devices FIFO");
  report (link_is ("/dev/ptmx", "pts/ptmx") && link_is ("/dev/fd", "/proc/self/fd")
              && link_is ("/dev/stdin", "/proc/self/fd/0") && link_is ("/dev/stdout", "/proc/self/fd/1")
              && link_is ("/dev/stderr", "/proc/self/fd/2") && access ("/dev/core", F_OK) < 0,
          "/dev symlinks ptmx fd stdin stdout stderr (no core)");
  report (fs_is ("/dev/pts", DEVPTS_SUPER_MAGIC), "/dev/pts is devpts");
  report (fs_is ("/dev/shm", TMPFS_MAGIC), "/dev/shm is a tmpfs");
  report (fs_is ("/dev/mqueue", MQUEUE_MAGIC), "/dev/mqueue is mqueue");

  report (read_is ("/data/hello", "hi") && try_create ("/data/new") == EROFS,
          "ro bind mount: readable, write fails EROFS");
  report (mountinfo_has ("/data", "shared:"), "bind mount propagation shared applied");
  report (read_is ("/bound-file", "filecontent") && try_create ("/bound-file") == EROFS,
          "file bind mount");
  report (try_create ("/rro/sub/x") == EROFS && try_create ("/rro/x") == EROFS,
          "rro: submounts read-only too");
  report (try_create ("/rbind-ro/x") == EROFS && try_create ("/rbind-ro/sub/x") == 0,
          "rbind + ro: only the top mount read-only");
  report (fs_is ("/etc", TMPFS_MAGIC) && access ("/etc/hostname", F_OK) < 0,
          "inside: the symlinked /mnt mount covers the image's /etc");
  report (fs_is ("/new/deep/dir", TMPFS_MAGIC), "tmpfs on created /new/deep/dir");
  struct statfs sf;
  report (statfs ("/sized", &sf) == 0 && (uint64_t) sf.f_blocks * (uint64_t) sf.f_bsize == 1 << 20,
          "tmpfs size=1m is 1 MiB");
  report (is_ro ("/sized") && try_create ("/sized/x") == EROFS, "remount entry made /sized read-only");
  report (fs_is ("/copydir", TMPFS_MAGIC) && read_is ("/copydir/a", "AAA")
              && read_is ("/copydir/sub/b", "BBB") && link_is ("/copydir/link", "a")
              && stat ("/copydir/sub/b", &sb) == 0 && (sb.st_mode & 07777) == 0600,
          "tmpcopyup copied files, dirs, symlinks and modes");
  report (is_ro ("/copydir"), "tmpcopyup + ro: read-only after the copy");
  report (stat ("/run", &sb) == 0 && (sb.st_mode & 07777) == 0750 && fs_is ("/run", TMPFS_MAGIC),
          "tmpfs without mode= keeps the directory's mode (0750)");
  report (fs_is ("/sys", SYSFS_MAGIC) && is_ro ("/sys"), "/sys mounted read-only");
  if (userns)
    report (is_ro ("/sys/kernel/security") || access ("/sys/kernel/security", F_OK) < 0,
            "userns without netns: /sys is a recursive read-only bind of the host's");
  report (is_ro ("/sys/fs/cgroup"), "cgroup tmpfs read-only without \"ro\" (row 9)");
  bool v2 = fs_is ("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC);
  char *procs = NULL;
  clr_read_file (v2 ? "/sys/fs/cgroup/cgroup.procs" : "/sys/fs/cgroup/memory/cgroup.procs", 1 << 20,
                 &procs, NULL, &err);
  report (procs && (strncmp (procs, "1\n", 2) == 0 || strstr (procs, "\n1\n"))
              && (v2 || (fs_is ("/sys/fs/cgroup/memory", CGROUP_SUPER_MAGIC)
                         && is_ro ("/sys/fs/cgroup/memory"))),
          "cgroup hierarchy bound read-only, showing the container's own cgroup");
  free (procs);
  if (!v2)
    report (link_is ("/sys/fs/cgroup/cpu", "cpu,cpuacct") || access ("/sys/fs/cgroup/cpu", F_OK) == 0,
            "cgroup v1 hierarchies present");
  if (userns)
    report (is_ro ("/locked"), "locked ro kept on a \"rw\" bind in a userns");
  else
    report (!is_ro ("/locked") && try_create ("/locked/x") == 0, "\"rw\" bind is writable");

  report (read_is ("/secret-file", "") && is_chr ("/secret-file", 1, 3, 0666), "masked file reads empty");
  report (dir_empty ("/secretdir") && try_create ("/secretdir/x") == EROFS,
          "masked directory is empty and read-only");
  report ((access ("/proc/kcore", F_OK) < 0 || is_chr ("/proc/kcore", 1, 3, 0666))
              && is_chr ("/proc/timer_list", 1, 3, 0666) && is_chr ("/proc/keys", 1, 3, 0666),
          "/proc files masked with /dev/null (kcore when the kernel has it)");
  report (try_create ("/rodir/x") == EROFS, "readonly path rejects writes");
  report (is_ro ("/proc/sys") && is_ro ("/proc/sys/kernel"), "/proc/sys read-only");
  report (try_create ("/newfile") == EROFS && try_create ("/tmp/x") == EROFS,
          "root.readonly: / is read-only");
  report (try_create ("/dev/shm/x") == 0, "/dev/shm still writable with a read-only root");

  /* the console: a pty of the container's devpts, bound onto /dev/console */
  int master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master >= 0 && unlockpt (master) == 0)
    {
      char name[64];
      int slave = ptsname_r (master, name, sizeof name) == 0 ? open (name, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
      struct stat ss, cs;
      r = slave >= 0 ? clr_rootfs_mount_console (slave, &err) : -1;
      report (r == 0 && fstat (slave, &ss) == 0 && stat ("/dev/console", &cs) == 0
                  && S_ISCHR (cs.st_mode) && cs.st_rdev == ss.st_rdev,
              "console: pty slave bound onto /dev/console%s%s", r ? ": " : "", r ? err.msg : "");
      if (slave >= 0)
        close (slave);
    }
  else
    report (false, "open /dev/ptmx: %s", strerror (errno));
  if (master >= 0)
    close (master);
  report (count_fds () == fds_before, "no fd leaked by prepare/pivot/console (%d before, %d after)",
          fds_before, count_fds ());
  return 0;
}

/* ------------------------------------------------------------------ scenario: no-pivot */

static int
scenario_nopivot (void *arg)
{
  static struct clr_mount m[2];
  static char *masked[] = { "/secret-file", NULL };
  struct clr_config cfg = { 0 };
  m[0] = mnt ("/proc", "proc", "proc", 0, NULL);
  cfg.mounts = m;
  cfg.n_mounts = 1;
  cfg.linux.masked_paths = masked;
  cfg.linux.n_masked_paths = 1;
  clr_err err = { 0 };
  struct clr_rootfs_ctx ctx = { .cfg = &cfg, .rootfs = root, .bundle = base, .no_pivot = true, .rootfd = -1 };
  int r = clr_rootfs_prepare (&ctx, &err);
  if (r == 0)
    r = clr_rootfs_pivot (&ctx, &err);
  report (r == 0, "prepare + MS_MOVE/chroot%s%s", r ? ": " : "", r ? err.msg : "");
  if (r < 0)
    return 1;
  report (access ("/bin/busybox", X_OK) == 0 && access (root, F_OK) < 0, "chrooted into the rootfs");
  report (fs_is ("/proc", PROC_SUPER_MAGIC) && read_is ("/secret-file", ""), "proc mounted, mask applied");
  return 0;
}

/* ------------------------------------------------------------------ scenario: idmap */

static int
scenario_idmap (void *arg)
{
  static struct clr_mount m[1];
  struct clr_config cfg = { 0 };
  m[0] = mnt ("/idmapped", "bind", bpath ("/src"), 0, NULL);
  m[0].idmap = true;
  m[0].uid_mappings = &idmap_uid;
  m[0].n_uid_mappings = 1;
  m[0].gid_mappings = &idmap_gid;
  m[0].n_gid_mappings = 1;
  cfg.mounts = m;
  cfg.n_mounts = 1;
  clr_err err = { 0 };
  struct clr_rootfs_ctx ctx = { .cfg = &cfg, .rootfs = root, .bundle = base, .rootfd = -1 };
  int r = clr_rootfs_prepare (&ctx, &err);
  if (r < 0 && err.code == EINVAL && strstr (err.msg, "idmapped mount"))
    {
      skip ("filesystem of the temp dir cannot be idmapped", "idmapped bind mount: %s", err.msg);
      return 0;
    }
  if (r == 0)
    r = clr_rootfs_pivot (&ctx, &err);
  report (r == 0, "prepare + pivot%s%s", r ? ": " : "", r ? err.msg : "");
  if (r < 0)
    return 1;
  struct stat sb = { 0 };
  int sr = stat ("/idmapped/hello", &sb);
  report (sr == 0 && sb.st_uid == 1000 && sb.st_gid == 1000,
          "idmapped bind mount with own mappings shows uid 0 as 1000 (uid %u)", sb.st_uid);
  return 0;
}

/* ------------------------------------------------------------------ scenario: cgroupns */

/* With a cgroup namespace each hierarchy is a fresh mount showing the namespace's root
 * (the container's cgroup), still read-only. */
static int
scenario_cgroupns (void *arg)
{
  static struct clr_mount m[3];
  struct clr_config cfg = { 0 };
  m[0] = mnt ("/proc", "proc", "proc", 0, NULL);
  m[1] = mnt ("/sys", "sysfs", "sysfs", MS_RDONLY, NULL);
  m[2] = mnt ("/sys/fs/cgroup", "cgroup", "cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  cfg.mounts = m;
  cfg.n_mounts = 3;
  clr_err err = { 0 };
  struct clr_rootfs_ctx ctx = { .cfg = &cfg, .rootfs = root, .bundle = base, .new_cgroupns = true,
                                .rootfd = -1 };
  int r = clr_rootfs_prepare (&ctx, &err);
  if (r == 0)
    r = clr_rootfs_pivot (&ctx, &err);
  report (r == 0, "prepare + pivot%s%s", r ? ": " : "", r ? err.msg : "");
  if (r < 0)
    return 1;
  bool v2 = fs_is ("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC);
  const char *dir = v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/memory";
  char *procs = NULL;
  clr_read_file (xasprintf ("%s/cgroup.procs", dir), 1 << 20, &procs, NULL, &err);
  /* our cgroup: pid 1 is in it; anything else in it is outside our pid namespace (0) */
  bool only_us = procs != NULL;
  bool has_1 = false;
  for (char *save = NULL, *l = procs ? strtok_r (procs, "\n", &save) : NULL; l;
       l = strtok_r (NULL, "\n", &save))
    {
      has_1 |= strcmp (l, "1") == 0;
      only_us &= strcmp (l, "1") == 0 || strcmp (l, "0") == 0;
    }
  report (fs_is (dir, v2 ? CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC) && is_ro (dir) && only_us && has_1,
          "fresh cgroup mount in the cgroupns: read-only, shows the container's cgroup");
  free (procs);
  if (!v2)
    report (fs_is ("/sys/fs/cgroup/systemd", CGROUP_SUPER_MAGIC) && is_ro ("/sys/fs/cgroup/systemd")
                && (access ("/sys/fs/cgroup/unified", F_OK) < 0
                    || fs_is ("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC)),
            "named (name=systemd) and unified hierarchies");
  return 0;
}

/* ------------------------------------------------------------------ scenario: rshared */

static int
scenario_rshared (void *arg)
{
  static struct clr_mount m[1];
  struct clr_config cfg = { 0 };
  m[0] = mnt ("/proc", "proc", "proc", 0, NULL);
  cfg.mounts = m;
  cfg.n_mounts = 1;
  cfg.linux.rootfs_propagation = (unsigned long) (uintptr_t) arg;
  clr_err err = { 0 };
  struct clr_rootfs_ctx ctx = { .cfg = &cfg, .rootfs = root, .bundle = base, .rootfd = -1 };
  int r = clr_rootfs_prepare (&ctx, &err);
  if (r == 0)
    r = clr_rootfs_pivot (&ctx, &err);
  report (r == 0, "prepare + pivot_root%s%s", r ? ": " : "", r ? err.msg : "");
  if (r < 0)
    return 1;
  if (cfg.linux.rootfs_propagation & MS_SHARED)
    report (mountinfo_has ("/", "shared:"), "/ is shared after pivot");
  else if (cfg.linux.rootfs_propagation & MS_UNBINDABLE)
    report (mountinfo_has ("/", "unbindable"), "/ is unbindable after pivot");
  else
    report (!mountinfo_has ("/", "shared:") && !mountinfo_has ("/", "master:"), "/ is private after pivot");
  return 0;
}

/* ------------------------------------------------------------------ error scenarios */

static int
scenario_errors (void *arg)
{
  clr_err err = { 0 };
  static struct clr_mount m[1];
  struct clr_config cfg = { 0 };
  m[0] = mnt ("/x", "nosuchfs", "none", 0, NULL);
  cfg.mounts = m;
  cfg.n_mounts = 1;
  struct clr_rootfs_ctx ctx = { .cfg = &cfg, .rootfs = root, .bundle = base, .rootfd = -1 };
  int r = clr_rootfs_prepare (&ctx, &err);
  report (r < 0 && strcmp (err.msg, "mount nosuchfs on /x: ENODEV (no such device)") == 0
              && ctx.rootfd == -1,
          "unknown fs type: error names type and container path (%s)", err.msg);

  m[0] = mnt ("/sized", "tmpfs", "tmpfs", 0, "size=bogus");
  r = clr_rootfs_prepare (&ctx, &err);
  report (r < 0 && clr_has_prefix (err.msg, "mount tmpfs on /sized: EINVAL"),
          "bad tmpfs option: error with context (%s)", err.msg);

  m[0] = mnt ("/data", "bind", "no-such-source", 0, NULL);
  r = clr_rootfs_prepare (&ctx, &err);
  report (r < 0 && strcmp (err.msg, "bind mount no-such-source on /data: ENOENT (no such file or directory)") == 0,
          "missing bind source (%s)", err.msg);
  return 0;
}

/* a config /dev that is a bind of a directory with symlinks at null and console: no
 * devices are created in it, and neither a mask nor the console may use them */
static int
scenario_fakedev (void *arg)
{
  bool with_mask = arg != NULL;
  static struct clr_mount m[1];
  static char *masked[] = { "/secret-file", NULL };
  struct clr_config cfg = { 0 };
  m[0] = mnt ("/dev", "bind", bpath ("/fakedev"), 0, NULL);
  cfg.mounts = m;
  cfg.n_mounts = 1;
  if (with_mask)
    {
      cfg.linux.masked_paths = masked;
      cfg.linux.n_masked_paths = 1;
    }
  clr_err err = { 0 };
  struct clr_rootfs_ctx ctx = { .cfg = &cfg, .rootfs = root, .bundle = base, .rootfd = -1 };
  int r = clr_rootfs_prepare (&ctx, &err);
  report (r == 0, "prepare with a bind-mounted /dev%s%s", r ? ": " : "", r ? err.msg : "");
  if (r < 0)
    return 1;
  report (access (xasprintf ("%s/fakedev/zero", base), F_OK) < 0
              && link_is (xasprintf ("%s/fakedev/null", base), "/proc/sys/kernel/core_pattern"),
          "nothing created in a bind-mounted /dev");
  r = clr_rootfs_pivot (&ctx, &err);
  if (with_mask)
    {
      report (r < 0 && strstr (err.msg, "not the 1:3 character device") != NULL,
              "mask refuses a /dev/null that is a symlink (CVE-2025-31133): %s", err.msg);
      return 0;
    }
  report (r == 0, "pivot%s%s", r ? ": " : "", r ? err.msg : "");
  r = clr_rootfs_mount_console (0, &err);
  report (r < 0 && strstr (err.msg, "refusing") != NULL,
          "console refuses a /dev/console symlink (CVE-2025-52565): %s", err.msg);
  return 0;
}

/* ------------------------------------------------------------------ resolution (no mounts) */

static void
test_resolve (void)
{
  clr_err err = { 0 };
  int rootfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  TAP_OK (rootfd >= 0, "open rootfs");
  char target[PATH_MAX + 32];

  snprintf (target, sizeof target, "/../../../..%s/outside", base);
  xsymlink (target, xasprintf ("%s/escape", root));
  int fd = clr_open_in_root (rootfd, "/escape/newdir", O_PATH | O_DIRECTORY, CLR_RESOLVE_MKDIR, &err);
  struct stat sb;
  TAP_OK (fd >= 0 && access (xasprintf ("%s/outside/newdir", base), F_OK) < 0
              && stat (xasprintf ("%s%s/outside/newdir", root, base), &sb) == 0 && S_ISDIR (sb.st_mode),
          "MKDIR through an escaping symlink creates inside the root, not on the host (CVE-2024-45310) %s",
          fd < 0 ? err.msg : "");
  if (fd >= 0)
    close (fd);

  xsymlink ("/target-dir/sub", xasprintf ("%s/dangling", root));
  fd = clr_open_in_root (rootfd, "dangling/x", O_PATH | O_DIRECTORY, CLR_RESOLVE_MKDIR, &err);
  TAP_OK (fd >= 0 && stat (xasprintf ("%s/target-dir/sub/x", root), &sb) == 0,
          "MKDIR through a dangling absolute symlink creates its target in the root %s",
          fd < 0 ? err.msg : "");
  if (fd >= 0)
    close (fd);

  fd = clr_open_in_root (rootfd, "/a/../../../b/c", O_PATH | O_DIRECTORY, CLR_RESOLVE_MKDIR, &err);
  TAP_OK (fd >= 0 && stat (xasprintf ("%s/b/c", root), &sb) == 0 && access (xasprintf ("%s/b", base), F_OK) < 0,
          "\"..\" above the root stays at the root %s", fd < 0 ? err.msg : "");
  if (fd >= 0)
    close (fd);

  fd = clr_open_in_root (rootfd, "/files/f", O_PATH, CLR_RESOLVE_MKFILE, &err);
  TAP_OK (fd >= 0 && fstat (fd, &sb) == 0 && S_ISREG (sb.st_mode) && sb.st_size == 0,
          "MKFILE creates parents and an empty regular file");
  if (fd >= 0)
    close (fd);

  fd = clr_open_in_root (rootfd, "/nope/nothing", O_PATH, CLR_RESOLVE_NOCREATE, &err);
  TAP_OK (fd < 0 && err.code == ENOENT && strcmp (err.msg, "open /nope/nothing: ENOENT (no such file or directory)") == 0
              && access (xasprintf ("%s/nope", root), F_OK) < 0,
          "NOCREATE: ENOENT with the container path, nothing created");

  fd = clr_open_in_root (rootfd, "/secret-file/x", O_PATH, CLR_RESOLVE_MKDIR, &err);
  TAP_OK (fd < 0 && err.code == ENOTDIR, "a file in the middle of the path: ENOTDIR (%s)", err.msg);

  xsymlink ("loop2", xasprintf ("%s/loop1", root));
  xsymlink ("loop1", xasprintf ("%s/loop2", root));
  fd = clr_open_in_root (rootfd, "/loop1/x", O_PATH, CLR_RESOLVE_MKDIR, &err);
  TAP_OK (fd < 0 && err.code == ELOOP, "symlink loop: ELOOP (%s)", err.msg);
  close (rootfd);
}

int
main (void)
{
  if (geteuid () != 0)
    {
      TAP_SKIP ("needs root", "rootfs tests");
      return tap_done ();
    }
  snprintf (base, sizeof base, "/tmp/clawrun-rootfs-XXXXXX");
  if (mkdtemp (base) == NULL)
    {
      perror ("mkdtemp");
      return 2;
    }
  build_rootfs ();
  build_full_config ();
  build_userns_config ();

  test_resolve ();

  const int ns = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET;
  const struct scenario scenarios[] = {
    { "full", scenario_full, NULL, ns, false },
    { "userns", scenario_full, (void *) 1, ns & ~CLONE_NEWNET, true },
    { "no-pivot", scenario_nopivot, NULL, ns, false },
    { "errors", scenario_errors, NULL, ns, false },
    { "idmap", scenario_idmap, NULL, ns, false },
    { "cgroupns", scenario_cgroupns, NULL, ns | CLONE_NEWCGROUP, false },
    { "rshared", scenario_rshared, (void *) (uintptr_t) (MS_SHARED | MS_REC), ns, false },
    { "private", scenario_rshared, (void *) (uintptr_t) MS_PRIVATE, ns, false },
    { "runbindable", scenario_rshared, (void *) (uintptr_t) (MS_UNBINDABLE | MS_REC), ns, false },
    { "fake-dev", scenario_fakedev, NULL, ns, false },
    { "fake-dev-mask", scenario_fakedev, (void *) 1, ns, false },
  };
  for (size_t i = 0; i < CLR_ARRAY_SIZE (scenarios); i++)
    run_scenario (&scenarios[i]);

  /* the idmap and userns scenarios must not have left anything owned oddly on the host */
  struct stat sb;
  TAP_OK (stat (xasprintf ("%s/src/hello", base), &sb) == 0 && sb.st_uid == 0, "bind source untouched");
  TAP_OK (access (xasprintf ("%s/new/deep/dir", root), F_OK) == 0, "created destination persists in the rootfs dir");

  clr_err err = { 0 };
  int r = clr_remove_tree_at (AT_FDCWD, base, &err);
  TAP_OK (r == 0 && access (base, F_OK) < 0, "temp dir removed (no mount left behind) %s", r ? err.msg : "");
  return tap_done ();
}
