/* clawrun: the container's /dev.
 *
 * /dev is a tmpfs this runtime mounted (or the config's own non-bind /dev mount), never
 * the image's directory (security.md row 7: an image-provided /dev/null or /dev/console
 * symlink was the way in for CVE-2025-31133 / CVE-2025-52565).  Nodes are made with
 * mknodat() relative to an fd of /dev resolved inside the root; a name that already
 * exists (even a symlink) is never followed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../runtime/util.h"
#include "internal.h"

static const struct
{
  const char *name;
  unsigned major, minor;
} default_devices[] = {
  { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 }, { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static const struct
{
  const char *target, *name;
} dev_links[] = {
  { "/proc/self/fd", "fd" },
  { "/proc/self/fd/0", "stdin" },
  { "/proc/self/fd/1", "stdout" },
  { "/proc/self/fd/2", "stderr" },
};

static bool
config_lists (const struct clr_config *cfg, const char *path)
{
  for (size_t i = 0; i < cfg->linux.n_devices; i++)
    if (rootfs_path_eq (cfg->linux.devices[i].path, path))
      return true;
  return false;
}

/* In a user namespace mknod is refused: bind the host's node onto an empty file (runc).
 * The host path is the container path, as runc does. */
static int
bind_device (int dirfd, const char *name, const char *path, clr_err *err)
{
  if (mknodat (dirfd, name, S_IFREG | 0000, 0) < 0 && errno != EEXIST)
    return clr_fail (err, errno, "create %s", path);
  cleanup_close int target = openat (dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (target < 0)
    return clr_fail (err, errno, "open %s", path);
  struct stat sb;
  if (fstat (target, &sb) < 0)
    return clr_fail (err, errno, "stat %s", path);
  if (S_ISLNK (sb.st_mode) || S_ISDIR (sb.st_mode))
    return clr_fail (err, EEXIST, "bind-mount device %s: target is a symlink or directory", path);
  return rootfs_bind_fd (-1, path, target, path, err);
}

static int
make_device (struct clr_rootfs_state *st, int dirfd, const char *name, const char *path, char type,
             unsigned major, unsigned minor, mode_t mode, bool chown, uid_t uid, gid_t gid,
             clr_err *err)
{
  mode_t fmt = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
  if (fmt != S_IFIFO && st->ctx->new_userns)
    return bind_device (dirfd, name, path, err);
  /* umask is 0 during prepare: MODE is exact, no fchmod needed */
  if (mknodat (dirfd, name, fmt | (mode & 07777), makedev (major, minor)) < 0)
    {
      if (errno == EEXIST)
        return 0; /* runc keeps what is there */
      if (errno == EPERM && fmt != S_IFIFO)
        return bind_device (dirfd, name, path, err); /* no CAP_MKNOD */
      return clr_fail (err, errno, "mknod %s", path);
    }
  if (chown && fchownat (dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return clr_fail (err, errno, "chown %s", path);
  return 0;
}

static int
linux_devices (struct clr_rootfs_state *st, int devfd, clr_err *err)
{
  const struct clr_linux *lx = &st->cfg->linux;
  for (size_t i = 0; i < lx->n_devices; i++)
    {
      const struct clr_device *d = &lx->devices[i];
      char clean[PATH_MAX], dir[PATH_MAX];
      if (d->path == NULL || !rootfs_path_clean (d->path, clean, sizeof clean)
          || strcmp (clean, "/") == 0)
        return clr_fail (err, EINVAL, "device %s: bad path", d->path ? d->path : "(null)");
      char *slash = strrchr (clean, '/');
      const char *name = slash + 1;
      size_t l = (size_t) (slash - clean);
      memcpy (dir, clean, l);
      dir[l] = '\0';
      cleanup_close int own = -1;
      int dirfd = devfd;
      if (strcmp (dir, "/dev") != 0)
        {
          own = rootfs_open_in_root (st->rootfd, l ? dir : "/", O_PATH | O_DIRECTORY,
                                     CLR_RESOLVE_MKDIR, NULL, err);
          if (own < 0)
            return clr_wrap (err, "device %s", clean);
          dirfd = own;
        }
      if (d->type != 'c' && d->type != 'u' && d->type != 'b' && d->type != 'p')
        return clr_fail (err, EINVAL, "device %s: unknown type '%c'", clean, d->type);
      if (d->type != 'p' && (d->major < 0 || d->minor < 0 || d->major > 0xfff || d->minor > 0xfffff))
        return clr_fail (err, EINVAL, "device %s: bad major/minor", clean);
      mode_t mode = d->has_file_mode ? (mode_t) (d->file_mode & 07777) : 0666;
      /* new nodes belong to us (0:0): chown only for other owners; -1 keeps one side */
      bool chown = (d->has_uid && d->uid != 0) || (d->has_gid && d->gid != 0);
      if (make_device (st, dirfd, name, clean, d->type, (unsigned) d->major, (unsigned) d->minor,
                       mode, chown, d->has_uid ? (uid_t) d->uid : (uid_t) -1,
                       d->has_gid ? (gid_t) d->gid : (gid_t) -1, err)
          < 0)
        return -1;
    }
  return 0;
}

int
rootfs_setup_dev (struct clr_rootfs_state *st, clr_err *err)
{
  /* runc: a bind-mounted /dev is the host's; creating or replacing nodes there would
     change the host. */
  if (st->dev_is_bind)
    return 0;
  cleanup_close int devfd = rootfs_open_in_root (st->rootfd, "/dev", O_PATH | O_DIRECTORY,
                                                 CLR_RESOLVE_MKDIR, NULL, err);
  if (devfd < 0)
    return -1;

  for (size_t i = 0; i < CLR_ARRAY_SIZE (default_devices); i++)
    {
      char path[32];
      snprintf (path, sizeof path, "/dev/%s", default_devices[i].name);
      if (config_lists (st->cfg, path))
        continue; /* the config's own entry wins */
      if (make_device (st, devfd, default_devices[i].name, path, 'c', default_devices[i].major,
                       default_devices[i].minor, 0666, false, 0, 0, err)
          < 0)
        return -1;
    }
  if (linux_devices (st, devfd, err) < 0)
    return -1;

  if (!st->has_devpts && mkdirat (devfd, "pts", 0755) < 0 && errno != EEXIST)
    return clr_fail (err, errno, "mkdir /dev/pts");
  if (!st->has_shm && mkdirat (devfd, "shm", 01777) < 0 && errno != EEXIST)
    return clr_fail (err, errno, "mkdir /dev/shm");

  if (st->has_devpts && !config_lists (st->cfg, "/dev/ptmx"))
    {
      /* the devpts instance's own ptmx, so ptys come from the container's instance */
      if (symlinkat ("pts/ptmx", devfd, "ptmx") < 0)
        {
          if (errno != EEXIST || unlinkat (devfd, "ptmx", 0) < 0
              || symlinkat ("pts/ptmx", devfd, "ptmx") < 0)
            return clr_fail (err, errno, "symlink /dev/ptmx");
        }
    }
  for (size_t i = 0; i < CLR_ARRAY_SIZE (dev_links); i++)
    if (symlinkat (dev_links[i].target, devfd, dev_links[i].name) < 0 && errno != EEXIST)
      return clr_fail (err, errno, "symlink /dev/%s", dev_links[i].name);

  if (st->dev_ro)
    {
      struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };
      if (mount_setattr (devfd, "", AT_EMPTY_PATH, &a, sizeof a) < 0)
        return clr_fail (err, errno, "make /dev read-only");
    }
  return 0;
}
