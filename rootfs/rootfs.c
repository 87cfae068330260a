/* clawrun: the container's filesystem view: prepare (mounts, /dev) and pivot (pivot_root,
 * masked and read-only paths, root.readonly, rootfsPropagation), plus /dev/console.
 * Runs in the container's init, in its own mount namespace.  See rootfs.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../runtime/util.h"
#include "internal.h"

#define MOVE_FDS (MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH)

/* Default /dev when the config has none (security.md row 7: never the image's /dev). */
static char *dev_tmpfs_opts[] = { (char *) "mode=755", (char *) "size=65536k", NULL };
static const struct clr_mount dev_tmpfs = {
  .destination = "/dev",
  .type = "tmpfs",
  .source = "tmpfs",
  .flags = MS_NOSUID | MS_NOEXEC,
  .data_options = dev_tmpfs_opts,
  .n_data_options = 2,
  .data = "mode=755,size=65536k",
};

/* Make the mount that holds PATH private.  Needed when "/" was not made rslave/rprivate:
 * otherwise the rootfs bind below would propagate to the host's peers, and pivot_root
 * refuses a shared parent anyway (runc's rootfsParentMountPrivate).  propagation changes
 * need the mount's root, so walk up to it comparing mount ids. */
static int
make_parent_private (const char *path, clr_err *err)
{
  cleanup_close int fd = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return clr_fail (err, errno, "open rootfs %s", path);
  struct statx sx, up;
  if (statx (fd, "", AT_EMPTY_PATH, STATX_MNT_ID | STATX_INO, &sx) < 0)
    return clr_fail (err, errno, "statx rootfs %s", path);
  for (int depth = 0; depth < 4096; depth++)
    {
      int parent = openat (fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (parent < 0)
        return clr_fail (err, errno, "open parent of %s", path);
      if (statx (parent, "", AT_EMPTY_PATH, STATX_MNT_ID | STATX_INO, &up) < 0)
        {
          int e = errno;
          close (parent);
          return clr_fail (err, e, "statx parent of %s", path);
        }
      /* another mount above, or ".." of / is / itself: FD is the mount's root */
      bool top = up.stx_mnt_id != sx.stx_mnt_id
                 || (up.stx_ino == sx.stx_ino && up.stx_dev_major == sx.stx_dev_major
                     && up.stx_dev_minor == sx.stx_dev_minor);
      if (top)
        {
          close (parent);
          break;
        }
      close (fd);
      fd = parent;
      sx = up;
    }
  char proc[64];
  snprintf (proc, sizeof proc, "/proc/self/fd/%d", fd);
  if (mount (NULL, proc, NULL, MS_PRIVATE, NULL) < 0)
    return clr_fail (err, errno, "make the mount holding %s private", path);
  return 0;
}

static void
scan_config (struct clr_rootfs_state *st, bool *has_dev)
{
  const struct clr_config *cfg = st->cfg;
  for (size_t i = 0; i < cfg->linux.n_namespaces; i++)
    if (cfg->linux.namespaces[i].type == CLONE_NEWNET && cfg->linux.namespaces[i].path == NULL)
      st->new_netns = true;
  for (size_t i = 0; i < cfg->n_mounts; i++)
    {
      const struct clr_mount *m = &cfg->mounts[i];
      char clean[PATH_MAX];
      if (m->destination == NULL || !rootfs_path_clean (m->destination, clean, sizeof clean)
          || (m->flags & MS_REMOUNT))
        continue;
      if (strcmp (clean, "/dev") == 0)
        {
          *has_dev = true;
          st->dev_is_bind = m->bind;
        }
      else if (strcmp (clean, "/dev/pts") == 0)
        st->has_devpts = m->type && strcmp (m->type, "devpts") == 0 && !m->bind;
      else if (strcmp (clean, "/dev/shm") == 0)
        st->has_shm = true;
    }
}

static int
do_prepare (struct clr_rootfs_state *st, clr_err *err)
{
  const struct clr_config *cfg = st->cfg;
  bool has_dev = false;
  scan_config (st, &has_dev);
  /* /dev first, so that /dev/pts, /dev/shm, /dev/mqueue entries land in it */
  if (!has_dev && rootfs_do_mount (st, &dev_tmpfs, err) < 0)
    return -1;
  for (size_t i = 0; i < cfg->n_mounts; i++)
    if (rootfs_do_mount (st, &cfg->mounts[i], err) < 0)
      return -1;
  return rootfs_setup_dev (st, err);
}

int
clr_rootfs_prepare (struct clr_rootfs_ctx *ctx, clr_err *err)
{
  const struct clr_config *cfg = ctx->cfg;
  ctx->rootfd = -1;
  if (ctx->rootfs == NULL || ctx->rootfs[0] != '/')
    return clr_fail (err, EINVAL, "rootfs %s: not an absolute path", ctx->rootfs ? ctx->rootfs : "(null)");

  /* Nothing we mount may propagate back to the host: rslave by default (runc). */
  unsigned long prop = cfg->linux.rootfs_propagation ? cfg->linux.rootfs_propagation
                                                     : MS_SLAVE | MS_REC;
  if (mount (NULL, "/", NULL, prop, NULL) < 0)
    return clr_fail (err, errno, "set the propagation of /");
  if (!((prop & MS_REC) && (prop & (MS_SLAVE | MS_PRIVATE)))
      && make_parent_private (ctx->rootfs, err) < 0)
    return -1;
  /* pivot_root needs the new root to be a mount point */
  if (mount (ctx->rootfs, ctx->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return clr_fail (err, errno, "bind mount the rootfs %s on itself", ctx->rootfs);
  ctx->rootfd = open (ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (ctx->rootfd < 0)
    return clr_fail (err, errno, "open rootfs %s", ctx->rootfs);

  struct clr_rootfs_state st = {
    .ctx = ctx,
    .cfg = cfg,
    .rootfd = ctx->rootfd,
    .cgroup_unified = -1,
  };
  /* exact modes for every directory, node and copied file we create */
  mode_t old_umask = umask (0);
  int ret = do_prepare (&st, err);
  umask (old_umask);
  free (st.proc_cgroup);
  if (ret < 0)
    {
      close (ctx->rootfd);
      ctx->rootfd = -1;
    }
  return ret;
}

/* ------------------------------------------------------------------ pivot */

static void
unescape_mountinfo (char *s)
{
  char *w = s;
  for (char *r = s; *r; r++)
    {
      if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0'
          && r[3] <= '7')
        {
          *w++ = (char) (((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
          r += 3;
        }
      else
        *w++ = *r;
    }
  *w = '\0';
}

/* --no-pivot leaves the host's tree in the namespace, under the chroot.  A fully visible
 * host procfs/sysfs there would let a process with CAP_SYS_ADMIN in a user namespace mount
 * a fresh, unmasked procfs (mount_too_revealing passes): detach them, or cover them with
 * an empty tmpfs when they are locked (runc's msMoveRoot). */
static int
hide_host_procfs (const char *rootfs, clr_err *err)
{
  char real[PATH_MAX];
  if (realpath (rootfs, real) == NULL)
    return clr_fail (err, errno, "realpath %s", rootfs);
  size_t rl = strlen (real);
  cleanup_free char *info = NULL;
  if (clr_read_file ("/proc/self/mountinfo", 16 << 20, &info, NULL, err) < 0)
    return -1;
  /* collect first, act in reverse order: children before their parents */
  size_t n = 0, cap = 16;
  cleanup_free char **points = xcalloc (cap, sizeof *points);
  for (char *save = NULL, *line = strtok_r (info, "\n", &save); line;
       line = strtok_r (NULL, "\n", &save))
    {
      char *f[5], *sep = strstr (line, " - ");
      char *p = line;
      if (sep == NULL)
        continue;
      for (int i = 0; i < 5; i++)
        {
          f[i] = p;
          p = strchr (p, ' ');
          if (p == NULL || p > sep)
            break;
          *p++ = '\0';
        }
      if (p == NULL || p > sep + 1)
        continue;
      char *fstype = sep + 3, *sp = strchr (fstype, ' ');
      if (sp)
        *sp = '\0';
      if (strcmp (fstype, "proc") != 0 && strcmp (fstype, "sysfs") != 0)
        continue;
      char *mp = f[4];
      unescape_mountinfo (mp);
      if (strncmp (mp, real, rl) == 0 && (mp[rl] == '\0' || mp[rl] == '/'))
        continue; /* the container's own */
      if (n == cap)
        points = xrealloc (points, (cap *= 2) * sizeof *points);
      points[n++] = mp;
    }
  while (n-- > 0)
    {
      const char *mp = points[n];
      if (mount (NULL, mp, NULL, MS_SLAVE | MS_REC, NULL) < 0 && errno != ENOENT && errno != EINVAL)
        return clr_fail (err, errno, "make %s rslave", mp);
      if (umount2 (mp, MNT_DETACH) == 0 || errno == ENOENT)
        continue;
      if (errno != EINVAL && errno != EPERM)
        return clr_fail (err, errno, "unmount %s", mp);
      if (mount ("tmpfs", mp, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0")
              < 0
          && errno != ENOENT)
        return clr_fail (err, errno, "cover %s", mp);
    }
  return 0;
}

static int
pivot (struct clr_rootfs_ctx *ctx, clr_err *err)
{
  cleanup_close int oldroot = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (oldroot < 0)
    return clr_fail (err, errno, "open /");
  if (fchdir (ctx->rootfd) < 0)
    return clr_fail (err, errno, "chdir to the rootfs");
  /* pivot_root(".", "."): the old root ends up stacked on the new one, no put_old dir */
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return clr_fail (err, errno, "pivot_root");
  if (fchdir (oldroot) < 0)
    return clr_fail (err, errno, "chdir to the old root");
  /* rslave first so that detaching the old root does not propagate to the host */
  if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return clr_fail (err, errno, "make the old root rslave");
  if (umount2 (".", MNT_DETACH) < 0)
    return clr_fail (err, errno, "unmount the old root");
  if (chdir ("/") < 0)
    return clr_fail (err, errno, "chdir /");
  return 0;
}

static int
move_root (struct clr_rootfs_ctx *ctx, clr_err *err)
{
  if (hide_host_procfs (ctx->rootfs, err) < 0)
    return clr_wrap (err, "no-pivot");
  if (fchdir (ctx->rootfd) < 0)
    return clr_fail (err, errno, "chdir to the rootfs");
  if (move_mount (ctx->rootfd, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return clr_fail (err, errno, "move the rootfs to /");
  if (chroot (".") < 0)
    return clr_fail (err, errno, "chroot");
  if (chdir ("/") < 0)
    return clr_fail (err, errno, "chdir /");
  return 0;
}

/* maskedPaths: directories get an empty read-only tmpfs made here, files the /dev/null
 * node we created, checked to really be char 1:3 (CVE-2025-31133: a /dev/null swapped for
 * a symlink turned the "mask" into a writable bind of a procfs file).  Missing paths are
 * skipped.  Everything is resolved in the root, so an image symlink cannot redirect a mask. */
static int
mask_paths (const struct clr_config *cfg, int rootfd, clr_err *err)
{
  cleanup_close int devnull = -1;
  cleanup_close int empty = -1; /* the first attached empty tmpfs, cloned for the others */
  for (size_t i = 0; i < cfg->linux.n_masked_paths; i++)
    {
      const char *path = cfg->linux.masked_paths[i];
      cleanup_close int target = rootfs_openat2 (rootfd, path, O_PATH);
      if (target < 0 && errno == ENOENT)
        continue;
      if (target < 0)
        return clr_fail (err, errno, "mask %s", path);
      struct stat sb;
      if (fstat (target, &sb) < 0)
        return clr_fail (err, errno, "mask %s: stat", path);
      if (S_ISDIR (sb.st_mode))
        {
          if (empty >= 0)
            {
              if (rootfs_bind_fd (empty, "empty tmpfs", target, path, err) < 0)
                return clr_wrap (err, "mask %s", path);
              continue;
            }
          cleanup_close int fsfd = fsopen ("tmpfs", FSOPEN_CLOEXEC);
          if (fsfd < 0 || fsconfig (fsfd, FSCONFIG_SET_STRING, "size", "4k", 0) < 0
              || fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
            return clr_fail (err, errno, "mask %s: create tmpfs", path);
          empty = fsmount (fsfd, FSMOUNT_CLOEXEC,
                           MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
          if (empty < 0 || move_mount (empty, "", target, "", MOVE_FDS) < 0)
            return clr_fail (err, errno, "mask %s", path);
          continue;
        }
      if (devnull < 0)
        {
          struct stat ns;
          devnull = rootfs_openat2 (rootfd, "/dev/null", O_PATH | O_NOFOLLOW);
          if (devnull < 0 || fstat (devnull, &ns) < 0)
            return clr_fail (err, errno, "mask %s: open /dev/null", path);
          if (!S_ISCHR (ns.st_mode) || ns.st_rdev != makedev (1, 3))
            return clr_fail (err, 0, "mask %s: /dev/null is not the 1:3 character device, refusing",
                             path);
        }
      if (rootfs_bind_fd (devnull, "/dev/null", target, path, err) < 0)
        return clr_wrap (err, "mask %s", path);
    }
  return 0;
}

/* readonlyPaths: a recursive bind of the path onto itself, read-only all the way down;
 * nosuid/nodev/noexec of the original are kept (they are inherited by the clone). */
static int
readonly_paths (const struct clr_config *cfg, int rootfd, clr_err *err)
{
  for (size_t i = 0; i < cfg->linux.n_readonly_paths; i++)
    {
      const char *path = cfg->linux.readonly_paths[i];
      cleanup_close int target = rootfs_openat2 (rootfd, path, O_PATH);
      if (target < 0 && errno == ENOENT)
        continue;
      if (target < 0)
        return clr_fail (err, errno, "read-only path %s", path);
      cleanup_close int tree
          = open_tree (target, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
      if (tree < 0)
        return clr_fail (err, errno, "read-only path %s: clone", path);
      struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };
      if (mount_setattr (tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) < 0)
        return clr_fail (err, errno, "read-only path %s", path);
      if (move_mount (tree, "", target, "", MOVE_FDS) < 0)
        return clr_fail (err, errno, "read-only path %s: mount", path);
    }
  return 0;
}

int
clr_rootfs_pivot (struct clr_rootfs_ctx *ctx, clr_err *err)
{
  const struct clr_config *cfg = ctx->cfg;
  if (ctx->rootfd < 0)
    return clr_fail (err, EBADF, "pivot: the rootfs was not prepared");
  /* ROOTFD keeps pointing at the rootfs mount, which is "/" from now on: every later
     lookup resolves in it with RESOLVE_IN_ROOT. */
  int ret = ctx->no_pivot ? move_root (ctx, err) : pivot (ctx, err);
  if (ret == 0)
    ret = mask_paths (cfg, ctx->rootfd, err);
  if (ret == 0)
    ret = readonly_paths (cfg, ctx->rootfd, err);
  if (ret == 0 && cfg->root_readonly)
    {
      /* non-recursive, like runc's remount of / */
      struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };
      if (mount_setattr (ctx->rootfd, "", AT_EMPTY_PATH, &a, sizeof a) < 0)
        ret = clr_fail (err, errno, "make / read-only");
    }
  /* after pivot_root: on the old rootfs it would have reached the host's mounts */
  if (ret == 0 && cfg->linux.rootfs_propagation
      && mount (NULL, "/", NULL, cfg->linux.rootfs_propagation, NULL) < 0)
    ret = clr_fail (err, errno, "set the propagation of /");
  close (ctx->rootfd);
  ctx->rootfd = -1;
  return ret;
}

/* ------------------------------------------------------------------ console */

int
clr_rootfs_mount_console (int slave_fd, clr_err *err)
{
  cleanup_close int root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return clr_fail (err, errno, "open /");
  cleanup_close int dev = rootfs_openat2 (root, "/dev", O_PATH | O_DIRECTORY);
  if (dev < 0)
    return clr_fail (err, errno, "console: open /dev");
  /* O_NOFOLLOW: an existing /dev/console that is a symlink is refused, not followed
     (CVE-2025-52565: a console bind redirected onto a procfs file). */
  cleanup_close int target = openat (dev, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (target < 0 && errno == ENOENT)
    {
      if (mknodat (dev, "console", S_IFREG | 0600, 0) < 0 && errno != EEXIST)
        return clr_fail (err, errno, "create /dev/console");
      target = openat (dev, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
    }
  if (target < 0)
    return clr_fail (err, errno, "open /dev/console");
  struct stat sb;
  if (fstat (target, &sb) < 0)
    return clr_fail (err, errno, "stat /dev/console");
  if (!S_ISREG (sb.st_mode) && !S_ISCHR (sb.st_mode))
    return clr_fail (err, 0, "/dev/console is not a regular file or character device, refusing");
  return rootfs_bind_fd (slave_fd, "the console", target, "/dev/console", err);
}
