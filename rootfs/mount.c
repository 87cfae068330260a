/* clawrun: one "mounts" entry at a time, with the new mount API.
 *
 * The target is always an O_PATH fd resolved inside the root (resolve.c); the new mount
 * is built detached (open_tree clone or fsopen/fsmount), gets its attributes while nobody
 * can see it, and is attached with move_mount() onto the fd: no path string joined with
 * the rootfs is ever handed to the kernel (CVE-2021-30465).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../runtime/util.h"
#include "internal.h"

#define MOVE_FDS (MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH)

/* ------------------------------------------------------------------ attributes */

/* MS_* flags (per-mount part) to MOUNT_ATTR_* set/clear masks for mount_setattr(). */
static void
ms_to_attr (unsigned long set, unsigned long clear, uint64_t *aset, uint64_t *aclr)
{
  static const struct
  {
    unsigned long ms;
    uint64_t attr;
  } map[] = {
    { MS_RDONLY, MOUNT_ATTR_RDONLY },         { MS_NOSUID, MOUNT_ATTR_NOSUID },
    { MS_NODEV, MOUNT_ATTR_NODEV },           { MS_NOEXEC, MOUNT_ATTR_NOEXEC },
    { MS_NODIRATIME, MOUNT_ATTR_NODIRATIME }, { MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW },
  };
  *aset = *aclr = 0;
  for (size_t i = 0; i < CLR_ARRAY_SIZE (map); i++)
    {
      if (set & map[i].ms)
        *aset |= map[i].attr;
      else if (clear & map[i].ms)
        *aclr |= map[i].attr;
    }
  /* atime is one 3-valued field: changing it means clearing the whole field */
  if (set & MS_NOATIME)
    *aset |= MOUNT_ATTR_NOATIME, *aclr |= MOUNT_ATTR__ATIME;
  else if (set & MS_STRICTATIME)
    *aset |= MOUNT_ATTR_STRICTATIME, *aclr |= MOUNT_ATTR__ATIME;
  else if ((set & MS_RELATIME) || (clear & (MS_NOATIME | MS_STRICTATIME)))
    *aclr |= MOUNT_ATTR__ATIME; /* MOUNT_ATTR_RELATIME == 0 */
}

/* Attributes for a brand-new mount (fsmount): everything starts rw/suid/dev/exec/relatime,
 * so only the set bits matter; recursive ones apply too (a new mount has no children). */
static uint64_t
fresh_attrs (const struct clr_mount *m)
{
  uint64_t set, clr;
  ms_to_attr (m->flags, m->clear_flags, &set, &clr);
  uint64_t rset = m->rec_attr_set, rclr = m->rec_attr_clr;
  if ((rset & MOUNT_ATTR__ATIME) || (rclr & MOUNT_ATTR__ATIME))
    set = (set & ~(uint64_t) MOUNT_ATTR__ATIME) | (rset & MOUNT_ATTR__ATIME);
  set |= rset & ~(uint64_t) MOUNT_ATTR__ATIME;
  set &= ~(rclr & ~(uint64_t) MOUNT_ATTR__ATIME);
  return set;
}

static int
setattr (int fd, unsigned flags, uint64_t set, uint64_t clr)
{
  struct mount_attr a = { .attr_set = set, .attr_clr = clr };
  if ((set & MOUNT_ATTR__ATIME) && !(clr & MOUNT_ATTR__ATIME))
    a.attr_clr |= MOUNT_ATTR__ATIME;
  return mount_setattr (fd, "", AT_EMPTY_PATH | flags, &a, sizeof a);
}

/* Apply the entry's per-mount and recursive attributes to the mount at FD. */
static int
apply_attrs (int fd, const struct clr_mount *m, uint64_t extra_set, clr_err *err)
{
  uint64_t set, clr;
  ms_to_attr (m->flags, m->clear_flags, &set, &clr);
  set |= extra_set;
  clr &= ~extra_set;
  if ((set || clr) && setattr (fd, 0, set, clr) < 0)
    {
      if (errno != EPERM)
        return clr_fail (err, errno, "mount %s: set mount attributes", m->destination);
      /* In a user namespace, flags inherited from a more privileged mount namespace are
         locked (ro, nosuid, nodev, noexec, atime): keep them instead of failing, as runc
         does for "rw" on a locked read-only source. */
      struct statvfs sv;
      if (fstatvfs (fd, &sv) == 0)
        {
          if (sv.f_flag & ST_RDONLY)
            clr &= ~(uint64_t) MOUNT_ATTR_RDONLY;
          if (sv.f_flag & ST_NOSUID)
            clr &= ~(uint64_t) MOUNT_ATTR_NOSUID;
          if (sv.f_flag & ST_NODEV)
            clr &= ~(uint64_t) MOUNT_ATTR_NODEV;
          if (sv.f_flag & ST_NOEXEC)
            clr &= ~(uint64_t) MOUNT_ATTR_NOEXEC;
        }
      set &= ~(uint64_t) MOUNT_ATTR__ATIME;
      clr &= ~(uint64_t) MOUNT_ATTR__ATIME;
      if ((set || clr) && setattr (fd, 0, set, clr) < 0)
        return clr_fail (err, errno, "mount %s: set mount attributes", m->destination);
    }
  if ((m->rec_attr_set || m->rec_attr_clr)
      && setattr (fd, AT_RECURSIVE, m->rec_attr_set, m->rec_attr_clr) < 0)
    return clr_fail (err, errno, "mount %s: set recursive mount attributes", m->destination);
  return 0;
}

static int
set_propagation (int fd, unsigned long prop)
{
  struct mount_attr a = { .propagation = prop & ~(unsigned long) MS_REC };
  return mount_setattr (fd, "", AT_EMPTY_PATH | ((prop & MS_REC) ? AT_RECURSIVE : 0), &a, sizeof a);
}

/* move_mount MNT onto TARGET, then the entry's propagation (on the attached mount: that
 * is where it means something). */
static int
attach (const struct clr_mount *m, const char *what, int mnt, int target, clr_err *err)
{
  if (move_mount (mnt, "", target, "", MOVE_FDS) < 0)
    return clr_fail (err, errno, "mount %s on %s", what, m->destination);
  if (m->propagation && set_propagation (mnt, m->propagation) < 0)
    return clr_fail (err, errno, "mount %s on %s: set propagation", what, m->destination);
  return 0;
}

/* ------------------------------------------------------------------ idmapped mounts */

static int
write_map (pid_t pid, const char *file, const struct clr_idmap *map, size_t n, clr_err *err)
{
  char path[64], buf[4096];
  size_t len = 0;
  for (size_t i = 0; i < n; i++)
    {
      int w = snprintf (buf + len, sizeof buf - len, "%u %u %u\n", map[i].container_id,
                        map[i].host_id, map[i].size);
      if (w < 0 || (size_t) w >= sizeof buf - len)
        return clr_fail (err, E2BIG, "idmapped mount: %s too long", file);
      len += (size_t) w;
    }
  snprintf (path, sizeof path, "/proc/%d/%s", pid, file);
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write (fd, buf, len) != (ssize_t) len)
    return clr_fail (err, errno, "idmapped mount: write %s", path);
  return 0;
}

/* A user namespace carrying the mount's own mappings: a child is cloned into a new userns,
 * we write its maps and keep an fd of its namespace; the child is then killed.  Only for
 * idmap mounts with explicit uidMappings/gidMappings. */
static int
helper_userns (const struct clr_mount *m, clr_err *err)
{
  int pfd[2];
  if (pipe2 (pfd, O_CLOEXEC) < 0)
    return clr_fail (err, errno, "idmapped mount %s: pipe", m->destination);
  pid_t pid = (pid_t) syscall (SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
  if (pid < 0)
    {
      int e = errno;
      close (pfd[0]), close (pfd[1]);
      return clr_fail (err, e, "idmapped mount %s: clone a user namespace", m->destination);
    }
  if (pid == 0)
    {
      /* Tell the parent our pid as /proc sees it (/proc may belong to an ancestor pid
         namespace, where our pid differs from the one clone returned), then wait. */
      char self[32];
      ssize_t n = readlink ("/proc/self", self, sizeof self);
      (void) !write (pfd[1], self, n > 0 ? (size_t) n : 0);
      close (pfd[1]);
      for (;;)
        pause ();
    }
  close (pfd[1]);
  char buf[32];
  ssize_t n = read (pfd[0], buf, sizeof buf - 1);
  close (pfd[0]);
  int ret = -1;
  uint64_t procpid = 0;
  if (n > 0)
    buf[n] = '\0';
  if (n <= 0 || clr_parse_u64 (buf, INT32_MAX, &procpid) < 0)
    clr_fail (err, EIO, "idmapped mount %s: helper did not report its pid", m->destination);
  else if (write_map ((pid_t) procpid, "uid_map", m->uid_mappings, m->n_uid_mappings, err) == 0
           && write_map ((pid_t) procpid, "gid_map", m->gid_mappings, m->n_gid_mappings, err) == 0)
    {
      char path[64];
      snprintf (path, sizeof path, "/proc/%d/ns/user", (int) procpid);
      ret = open (path, O_RDONLY | O_CLOEXEC);
      if (ret < 0)
        clr_fail (err, errno, "idmapped mount %s: open %s", m->destination, path);
    }
  kill (pid, SIGKILL);
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
  return ret;
}

static int
apply_idmap (struct clr_rootfs_state *st, const struct clr_mount *m, int mnt, clr_err *err)
{
  cleanup_close int userns = -1;
  if (m->n_uid_mappings == 0 && m->n_gid_mappings == 0)
    {
      /* no mappings of its own: the container's user namespace */
      userns = open ("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
      if (userns < 0)
        return clr_fail (err, errno, "idmapped mount %s: open /proc/self/ns/user", m->destination);
    }
  else if (st->ctx->new_userns)
    /* mount mappings are host ids; from inside the container's user namespace we could
       only map ids of that namespace.  Needs the mount to be prepared by the parent. */
    return clr_fail (err, EOPNOTSUPP,
                     "idmapped mount %s: custom mappings inside a user namespace not supported",
                     m->destination);
  else if ((userns = helper_userns (m, err)) < 0)
    return -1;
  struct mount_attr a = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) userns };
  if (mount_setattr (mnt, "", AT_EMPTY_PATH | (m->recursive_idmap ? AT_RECURSIVE : 0), &a, sizeof a)
      < 0)
    return clr_fail (err, errno, "idmapped mount %s", m->destination);
  return 0;
}

/* ------------------------------------------------------------------ tmpcopyup */

static int
copy_data (int in, int out)
{
  for (;;)
    {
      ssize_t n = copy_file_range (in, NULL, out, NULL, 1 << 30, 0);
      if (n == 0)
        return 0;
      if (n > 0)
        continue;
      if (errno == EINTR)
        continue;
      if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
        return -1;
      break;
    }
  char buf[65536];
  for (;;)
    {
      ssize_t n = read (in, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return (int) n;
      if (clr_write_all (out, buf, (size_t) n) < 0)
        return -1;
    }
}

static int
copy_owner (int dirfd, const char *name, const struct stat *sb)
{
  if (fchownat (dirfd, name, sb->st_uid, sb->st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EINVAL)
    return -1; /* EINVAL: the owner is not mapped in our user namespace; keep ours */
  /* chown drops set-id bits: put them back */
  if ((sb->st_mode & (S_ISUID | S_ISGID)) && !S_ISLNK (sb->st_mode)
      && fchmodat (dirfd, name, sb->st_mode & 07777, 0) < 0)
    return -1;
  return 0;
}

/* Copy the directory SRC (an fd of the image's directory under the new tmpfs) into DST,
 * without following any symlink of the image. */
static int
copy_tree (int src, int dst, const char *dest, int depth, clr_err *err)
{
  if (depth > 128)
    return clr_fail (err, ELOOP, "tmpcopyup %s: directory tree too deep", dest);
  int dfd = openat (src, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return clr_fail (err, errno, "tmpcopyup %s: open", dest);
  DIR *d = fdopendir (dfd);
  if (d == NULL)
    {
      int e = errno;
      close (dfd);
      return clr_fail (err, e, "tmpcopyup %s: fdopendir", dest);
    }
  int ret = 0;
  struct dirent *de;
  while (ret == 0 && (errno = 0, de = readdir (d)) != NULL)
    {
      const char *name = de->d_name;
      if (strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
        continue;
      struct stat sb;
      if (fstatat (dfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
        {
          ret = clr_fail (err, errno, "tmpcopyup %s: stat %s", dest, name);
          break;
        }
      mode_t mode = sb.st_mode & 07777;
      switch (sb.st_mode & S_IFMT)
        {
        case S_IFDIR:
          {
            if (mkdirat (dst, name, mode) < 0)
              {
                ret = clr_fail (err, errno, "tmpcopyup %s: mkdir %s", dest, name);
                break;
              }
            cleanup_close int s = openat (dfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            cleanup_close int t = openat (dst, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (s < 0 || t < 0)
              ret = clr_fail (err, errno, "tmpcopyup %s: open %s", dest, name);
            else
              ret = copy_tree (s, t, dest, depth + 1, err);
            break;
          }
        case S_IFREG:
          {
            cleanup_close int s = openat (dfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
            cleanup_close int t
                = openat (dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
            if (s < 0 || t < 0 || copy_data (s, t) < 0)
              ret = clr_fail (err, errno, "tmpcopyup %s: copy %s", dest, name);
            break;
          }
        case S_IFLNK:
          {
            char target[PATH_MAX];
            ssize_t n = readlinkat (dfd, name, target, sizeof target - 1);
            if (n < 0)
              {
                ret = clr_fail (err, errno, "tmpcopyup %s: readlink %s", dest, name);
                break;
              }
            target[n] = '\0';
            if (symlinkat (target, dst, name) < 0)
              ret = clr_fail (err, errno, "tmpcopyup %s: symlink %s", dest, name);
            break;
          }
        default:
          if (mknodat (dst, name, sb.st_mode, sb.st_rdev) < 0)
            ret = clr_fail (err, errno, "tmpcopyup %s: mknod %s", dest, name);
          break;
        }
      if (ret == 0 && copy_owner (dst, name, &sb) < 0)
        ret = clr_fail (err, errno, "tmpcopyup %s: chown %s", dest, name);
    }
  if (ret == 0 && errno != 0 && de == NULL)
    ret = clr_fail (err, errno, "tmpcopyup %s: readdir", dest);
  closedir (d);
  return ret;
}

/* ------------------------------------------------------------------ filesystems */

/* Keep the last error line the kernel logged in the fs context ("e tmpfs: Bad value ..."). */
static void
fs_log (int fsfd, char *out, size_t len)
{
  char buf[512];
  out[0] = '\0';
  for (int i = 0; i < 16; i++)
    {
      ssize_t n = read (fsfd, buf, sizeof buf - 1);
      if (n <= 0)
        break;
      buf[n] = '\0';
      if (n > 2 && buf[0] == 'e' && buf[1] == ' ')
        {
          size_t l = strnlen (buf + 2, len - 1);
          memcpy (out, buf + 2, l);
          out[l] = '\0';
        }
    }
}

static void
append_detail (clr_err *err, const char *detail)
{
  if (err && detail && *detail)
    {
      size_t l = strlen (err->msg);
      snprintf (err->msg + l, sizeof err->msg - l, " [%s]", detail);
    }
}

static bool
has_data_option (const struct clr_mount *m, const char *key)
{
  size_t kl = strlen (key);
  for (size_t i = 0; i < m->n_data_options; i++)
    if (strncmp (m->data_options[i], key, kl) == 0
        && (m->data_options[i][kl] == '=' || m->data_options[i][kl] == '\0'))
      return true;
  return false;
}

static int
fsconfig_option (int fsfd, const char *opt)
{
  const char *eq = strchr (opt, '=');
  if (eq == NULL)
    return fsconfig (fsfd, FSCONFIG_SET_FLAG, opt, NULL, 0);
  char key[256];
  size_t kl = (size_t) (eq - opt);
  if (kl == 0 || kl >= sizeof key)
    {
      errno = EINVAL;
      return -1;
    }
  memcpy (key, opt, kl);
  key[kl] = '\0';
  return fsconfig (fsfd, FSCONFIG_SET_STRING, key, eq + 1, 0);
}

enum { FS_OK = 0, FS_LEGACY = 1 };

/* fsopen + fsconfig + create + fsmount.  Returns FS_OK with *MNT set, FS_LEGACY when the
 * new API refused the type or an option (the caller then uses mount(2), like runc), or -1
 * with ERR filled (err->code is the errno). */
static int
new_fs (const struct clr_mount *m, const char *type, const char *mode_opt, uint64_t attrs,
        int *mnt, clr_err *err)
{
  static const struct
  {
    unsigned long ms;
    const char *name;
  } sb_flags[] = {
    { MS_SYNCHRONOUS, "sync" }, { MS_DIRSYNC, "dirsync" },
    { MS_LAZYTIME, "lazytime" }, { MS_MANDLOCK, "mand" },
  };
  char log[256];
  cleanup_close int fsfd = fsopen (type, FSOPEN_CLOEXEC);
  if (fsfd < 0)
    {
      if (errno == ENODEV || errno == EINVAL || errno == ENOSYS)
        return FS_LEGACY;
      return clr_fail (err, errno, "mount %s on %s", type, m->destination);
    }
  if (m->source && *m->source && fsconfig (fsfd, FSCONFIG_SET_STRING, "source", m->source, 0) < 0)
    return FS_LEGACY;
  for (size_t i = 0; i < m->n_data_options; i++)
    if (fsconfig_option (fsfd, m->data_options[i]) < 0)
      {
        if (errno == EINVAL || errno == EOPNOTSUPP)
          return FS_LEGACY;
        int e = errno;
        fs_log (fsfd, log, sizeof log);
        clr_fail (err, e, "mount %s on %s: option %s", type, m->destination, m->data_options[i]);
        append_detail (err, log);
        return -1;
      }
  for (size_t i = 0; i < CLR_ARRAY_SIZE (sb_flags); i++)
    if ((m->flags & sb_flags[i].ms) && fsconfig (fsfd, FSCONFIG_SET_FLAG, sb_flags[i].name, NULL, 0) < 0)
      return FS_LEGACY;
  if (mode_opt && fsconfig (fsfd, FSCONFIG_SET_STRING, "mode", mode_opt, 0) < 0)
    return FS_LEGACY;
  if (fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    {
      int e = errno;
      fs_log (fsfd, log, sizeof log);
      clr_fail (err, e, "mount %s on %s", type, m->destination);
      append_detail (err, log);
      return -1;
    }
  *mnt = fsmount (fsfd, FSMOUNT_CLOEXEC, (unsigned) attrs);
  if (*mnt < 0)
    return clr_fail (err, errno, "mount %s on %s: fsmount", type, m->destination);
  return FS_OK;
}

/* The classic mount(2) on the magic link of the O_PATH target: runc's way, for types
 * or options the new API does not take. */
static int
legacy_mount (struct clr_rootfs_state *st, const struct clr_mount *m, const char *type, int target,
              unsigned long drop_flags, unsigned long add_flags, const char *mode_opt, bool ro_after,
              clr_err *err)
{
  char proc[64];
  cleanup_free char *data = NULL;
  const char *d = m->data ? m->data : "";
  if (mode_opt)
    d = data = *d ? xasprintf ("%s,mode=%s", d, mode_opt) : xasprintf ("mode=%s", mode_opt);
  unsigned long flags = ((m->flags & ~(MS_REMOUNT | drop_flags)) | add_flags);
  snprintf (proc, sizeof proc, "/proc/self/fd/%d", target);
  if (mount (m->source, proc, type, flags, d) < 0)
    return clr_fail (err, errno, "mount %s on %s", type, m->destination);
  if (!m->tmpcopyup && !m->rec_attr_set && !m->rec_attr_clr && !m->propagation && !m->idmap)
    return 0;
  if (m->idmap)
    return clr_fail (err, EOPNOTSUPP, "idmapped mount %s: type %s needs the new mount API",
                     m->destination, type);
  /* TARGET still is the directory under the new mount (that is where the old contents
     are read from for tmpcopyup); reopen the destination to reach the mount itself. */
  cleanup_close int fd
      = rootfs_open_in_root (st->rootfd, m->destination, O_PATH, CLR_RESOLVE_NOCREATE, NULL, err);
  if (fd < 0)
    return -1;
  if (m->tmpcopyup && copy_tree (target, fd, m->destination, 0, err) < 0)
    return -1;
  if (ro_after && setattr (fd, 0, MOUNT_ATTR_RDONLY, 0) < 0)
    return clr_fail (err, errno, "mount %s on %s: make read-only", type, m->destination);
  if ((m->rec_attr_set || m->rec_attr_clr)
      && setattr (fd, AT_RECURSIVE, m->rec_attr_set, m->rec_attr_clr) < 0)
    return clr_fail (err, errno, "mount %s: set recursive mount attributes", m->destination);
  if (m->propagation && set_propagation (fd, m->propagation) < 0)
    return clr_fail (err, errno, "mount %s on %s: set propagation", type, m->destination);
  return 0;
}

static int
bind_tree (struct clr_rootfs_state *st, const struct clr_mount *m, const char *what, int tree,
           uint64_t extra_set, int target, clr_err *err);

static bool
is_cgroup_type (const char *type)
{
  return strcmp (type, "cgroup") == 0 || strcmp (type, "cgroup2") == 0;
}

/* A filesystem mount (proc, sysfs, tmpfs, devpts, mqueue, cgroup2, overlay, ...).
 * With MNT_OUT the attached mount's fd is handed back (used to populate it). */
static int
mount_fs (struct clr_rootfs_state *st, const struct clr_mount *m, const char *type, int *mnt_out,
          clr_err *err)
{
  bool created = false;
  cleanup_close int target = rootfs_open_in_root (st->rootfd, m->destination, O_PATH | O_DIRECTORY,
                                                  CLR_RESOLVE_MKDIR, &created, err);
  if (target < 0)
    return clr_wrap (err, "mount %s on %s", type, m->destination);

  uint64_t attrs = fresh_attrs (m);
  /* security.md row 9: a writable cgroupfs is an escape; read-only unless asked for rw */
  if (is_cgroup_type (type) && !(m->clear_flags & MS_RDONLY))
    attrs |= MOUNT_ATTR_RDONLY;
  bool is_dev = rootfs_path_eq (m->destination, "/dev");
  /* ro is applied later when we still have to write into it: the devices in /dev,
     the copied-up contents of a tmpcopyup tmpfs. */
  bool delay_ro = (attrs & MOUNT_ATTR_RDONLY) && (is_dev || m->tmpcopyup);
  if (delay_ro)
    {
      attrs &= ~(uint64_t) MOUNT_ATTR_RDONLY;
      if (is_dev)
        st->dev_ro = true;
    }

  /* A tmpfs over an existing directory keeps the directory's mode unless mode= is given
     (runc), so that e.g. /run stays 0755 instead of tmpfs's 1777. */
  char mode_buf[16];
  const char *mode_opt = NULL;
  if (strcmp (type, "tmpfs") == 0 && !created && !has_data_option (m, "mode"))
    {
      struct stat sb;
      if (fstat (target, &sb) < 0)
        return clr_fail (err, errno, "mount %s on %s: stat", type, m->destination);
      snprintf (mode_buf, sizeof mode_buf, "%o", (unsigned) (sb.st_mode & 07777));
      mode_opt = mode_buf;
    }

  int mfd = -1;
  int r = new_fs (m, type, mode_opt, attrs, &mfd, err);
  if (r < 0)
    {
      /* sysfs needs CAP_SYS_ADMIN over the network namespace: without a netns of its own
         (in a user namespace) the container gets the host's /sys as a recursive bind
         (runc), read-only all the way down whatever the entry says: it is the host's. */
      if (strcmp (type, "sysfs") == 0 && err && err->code == EPERM && !st->new_netns)
        {
          cleanup_close int tree = open_tree (AT_FDCWD, "/sys", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC
                                                                    | AT_RECURSIVE);
          if (tree < 0)
            return clr_fail (err, errno, "mount sysfs on %s: bind /sys", m->destination);
          if (apply_attrs (tree, m, 0, err) < 0)
            return -1;
          if (setattr (tree, AT_RECURSIVE, MOUNT_ATTR_RDONLY, 0) < 0)
            return clr_fail (err, errno, "mount sysfs on %s: make /sys read-only", m->destination);
          return attach (m, "/sys", tree, target, err);
        }
      return -1;
    }
  if (r == FS_LEGACY)
    return legacy_mount (st, m, type, target, delay_ro ? MS_RDONLY : 0,
                         (attrs & MOUNT_ATTR_RDONLY) ? MS_RDONLY : 0, mode_opt,
                         delay_ro && !is_dev, err);

  cleanup_close int mnt = mfd;
  if (m->tmpcopyup)
    {
      if (copy_tree (target, mnt, m->destination, 0, err) < 0)
        return -1;
      if (delay_ro && !is_dev && setattr (mnt, 0, MOUNT_ATTR_RDONLY, 0) < 0)
        return clr_fail (err, errno, "mount %s on %s: make read-only", type, m->destination);
    }
  if (m->idmap && apply_idmap (st, m, mnt, err) < 0)
    return -1;
  if (attach (m, type, mnt, target, err) < 0)
    return -1;
  if (mnt_out)
    *mnt_out = clr_steal_fd (&mnt);
  return 0;
}

/* ------------------------------------------------------------------ bind mounts */

/* Attach the detached TREE at the entry's destination (TARGET, or resolved here and
 * created after the source's type), with the entry's attributes plus EXTRA_SET. */
static int
bind_tree (struct clr_rootfs_state *st, const struct clr_mount *m, const char *what, int tree,
           uint64_t extra_set, int target, clr_err *err)
{
  cleanup_close int own = -1;
  if (target < 0)
    {
      own = rootfs_openat2 (st->rootfd, m->destination, O_PATH);
      if (own < 0 && errno == ENOENT)
        {
          struct stat sb;
          if (fstat (tree, &sb) < 0)
            return clr_fail (err, errno, "bind mount %s on %s: stat source", what, m->destination);
          own = rootfs_create_in_root (st->rootfd, m->destination,
                                       S_ISDIR (sb.st_mode) ? O_PATH | O_DIRECTORY : O_PATH,
                                       S_ISDIR (sb.st_mode) ? CLR_RESOLVE_MKDIR : CLR_RESOLVE_MKFILE,
                                       NULL, err);
          if (own < 0)
            return clr_wrap (err, "bind mount %s on %s", what, m->destination);
        }
      else if (own < 0)
        return clr_fail (err, errno, "bind mount %s on %s: open %s", what, m->destination,
                         m->destination);
      target = own;
    }
  if (apply_attrs (tree, m, extra_set, err) < 0)
    return -1;
  if (m->idmap && apply_idmap (st, m, tree, err) < 0)
    return -1;
  return attach (m, what, tree, target, err);
}

static int
mount_bind (struct clr_rootfs_state *st, const struct clr_mount *m, clr_err *err)
{
  char buf[PATH_MAX];
  const char *src = m->source;
  if (src == NULL || *src == '\0')
    return clr_fail (err, EINVAL, "bind mount on %s: no source", m->destination);
  if (src[0] != '/' && st->ctx->bundle)
    {
      /* relative sources are relative to the bundle (runtime-spec) */
      if ((size_t) snprintf (buf, sizeof buf, "%s/%s", st->ctx->bundle, src) >= sizeof buf)
        return clr_fail (err, ENAMETOOLONG, "bind mount %s on %s", src, m->destination);
      src = buf;
    }
  cleanup_close int tree = open_tree (AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC
                                                         | (m->recursive_bind ? AT_RECURSIVE : 0));
  if (tree < 0)
    return clr_fail (err, errno, "bind mount %s on %s", m->source, m->destination);
  return bind_tree (st, m, m->source, tree, 0, -1, err);
}

int
rootfs_bind_fd (int src_fd, const char *src, int target, const char *dest, clr_err *err)
{
  cleanup_close int tree
      = src_fd >= 0 ? open_tree (src_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH)
                    : open_tree (AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0 || move_mount (tree, "", target, "", MOVE_FDS) < 0)
    return clr_fail (err, errno, "bind mount %s on %s", src, dest);
  return 0;
}

/* ------------------------------------------------------------------ remount */

static int
mount_remount (struct clr_rootfs_state *st, const struct clr_mount *m, clr_err *err)
{
  cleanup_close int fd = rootfs_open_in_root (st->rootfd, m->destination, O_PATH,
                                              CLR_RESOLVE_NOCREATE, NULL, err);
  if (fd < 0)
    return clr_wrap (err, "remount %s", m->destination);
  if (apply_attrs (fd, m, 0, err) < 0)
    return -1;
  if (m->propagation && set_propagation (fd, m->propagation) < 0)
    return clr_fail (err, errno, "remount %s: set propagation", m->destination);
  return 0;
}

/* ------------------------------------------------------------------ cgroups */

static int
proc_cgroup (struct clr_rootfs_state *st, clr_err *err)
{
  if (st->proc_cgroup)
    return 0;
  if (clr_read_file ("/proc/self/cgroup", 1 << 20, &st->proc_cgroup, NULL, err) < 0)
    return clr_wrap (err, "cgroup mount");
  return 0;
}

static bool
host_unified (struct clr_rootfs_state *st)
{
  if (st->cgroup_unified < 0)
    {
      struct statfs sf;
      st->cgroup_unified = statfs ("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
    }
  return st->cgroup_unified == 1;
}

/* The path of our own cgroup in the hierarchy whose /proc/self/cgroup controller field is
 * CTRLS ("" = cgroup2), copied into BUF; NULL when absent. */
static const char *
own_cgroup_path (struct clr_rootfs_state *st, const char *ctrls, char *buf, size_t len)
{
  for (const char *line = st->proc_cgroup; line && *line;)
    {
      const char *nl = strchrnul (line, '\n');
      const char *c1 = memchr (line, ':', (size_t) (nl - line));
      const char *c2 = c1 ? memchr (c1 + 1, ':', (size_t) (nl - c1 - 1)) : NULL;
      if (c2 && (size_t) (c2 - c1 - 1) == strlen (ctrls) && strncmp (c1 + 1, ctrls, strlen (ctrls)) == 0
          && (size_t) (nl - c2 - 1) < len)
        {
          memcpy (buf, c2 + 1, (size_t) (nl - c2 - 1));
          buf[nl - c2 - 1] = '\0';
          return buf;
        }
      line = *nl ? nl + 1 : nl;
    }
  return NULL;
}

/* cgroup2: a fresh mount shows the cgroup namespace's root.  Without a cgroup namespace a
 * fresh mount would show the whole host tree, so bind the container's own cgroup instead
 * (what a cgroupns would show; runc's fallback does the same). */
static int
mount_cgroup2 (struct clr_rootfs_state *st, const struct clr_mount *m, clr_err *err)
{
  if (st->ctx->new_cgroupns)
    return mount_fs (st, m, "cgroup2", NULL, err);
  char path[PATH_MAX], src[PATH_MAX];
  if (proc_cgroup (st, err) < 0)
    return -1;
  const char *own = own_cgroup_path (st, "", path, sizeof path);
  if (own == NULL)
    return clr_fail (err, ENOENT, "mount cgroup2 on %s: no cgroup2 line in /proc/self/cgroup",
                     m->destination);
  if ((size_t) snprintf (src, sizeof src, "%s%s",
                        host_unified (st) ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified", own)
      >= sizeof src)
    return clr_fail (err, ENAMETOOLONG, "mount cgroup2 on %s", m->destination);
  cleanup_close int tree = open_tree (AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0)
    return clr_fail (err, errno, "mount cgroup2 on %s: bind %s", m->destination, src);
  uint64_t ro = (m->clear_flags & MS_RDONLY) ? 0 : MOUNT_ATTR_RDONLY;
  return bind_tree (st, m, "cgroup2", tree, ro, -1, err);
}

/* One v1 (or hybrid-unified) hierarchy NAME into the cgroup tmpfs DIRFD. */
static int
mount_cgroup_hierarchy (struct clr_rootfs_state *st, const struct clr_mount *m, int dirfd,
                        const char *name, const char *ctrls, const char *own, uint64_t attrs,
                        clr_err *err)
{
  char host[PATH_MAX];
  bool v2 = *ctrls == '\0';
  snprintf (host, sizeof host, "/sys/fs/cgroup/%s", name);
  cleanup_close int mnt = -1;
  if (st->ctx->new_cgroupns)
    {
      /* only hierarchies the host has: a fresh v1 mount of an unmounted controller would
         create a new host-wide hierarchy */
      if (access (host, F_OK) < 0)
        return 0;
      cleanup_close int fsfd = fsopen (v2 ? "cgroup2" : "cgroup", FSOPEN_CLOEXEC);
      if (fsfd < 0)
        return clr_fail (err, errno, "mount cgroup on %s/%s", m->destination, name);
      bool has_controller = false;
      char list[256];
      snprintf (list, sizeof list, "%s", ctrls);
      for (char *save = NULL, *c = strtok_r (list, ",", &save); c; c = strtok_r (NULL, ",", &save))
        {
          int r;
          if (strncmp (c, "name=", 5) == 0)
            r = fsconfig (fsfd, FSCONFIG_SET_STRING, "name", c + 5, 0);
          else
            r = fsconfig (fsfd, FSCONFIG_SET_FLAG, c, NULL, 0), has_controller = true;
          if (r < 0)
            return clr_fail (err, errno, "mount cgroup on %s/%s: option %s", m->destination, name, c);
        }
      if (!v2 && !has_controller && fsconfig (fsfd, FSCONFIG_SET_FLAG, "none", NULL, 0) < 0)
        return clr_fail (err, errno, "mount cgroup on %s/%s: option none", m->destination, name);
      if (fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0
          || (mnt = fsmount (fsfd, FSMOUNT_CLOEXEC, (unsigned) attrs)) < 0)
        {
          int e = errno;
          char log[256];
          fs_log (fsfd, log, sizeof log);
          clr_fail (err, e, "mount cgroup on %s/%s", m->destination, name);
          append_detail (err, log);
          return -1;
        }
    }
  else
    {
      size_t l = strlen (host);
      if (snprintf (host + l, sizeof host - l, "%s", own) >= (int) (sizeof host - l))
        return clr_fail (err, ENAMETOOLONG, "mount cgroup on %s/%s", m->destination, name);
      mnt = open_tree (AT_FDCWD, host, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
      if (mnt < 0 && errno == ENOENT)
        return 0; /* hierarchy not mounted on the host */
      if (mnt < 0)
        return clr_fail (err, errno, "mount cgroup on %s/%s: bind %s", m->destination, name, host);
      if (setattr (mnt, 0, attrs, 0) < 0)
        return clr_fail (err, errno, "mount cgroup on %s/%s: set attributes", m->destination, name);
    }
  /* DIRFD is our fresh tmpfs: nothing in it can be a symlink planted by the image */
  if (mkdirat (dirfd, name, 0755) < 0 && errno != EEXIST)
    return clr_fail (err, errno, "mount cgroup: mkdir %s/%s", m->destination, name);
  cleanup_close int target = openat (dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (target < 0 || move_mount (mnt, "", target, "", MOVE_FDS) < 0)
    return clr_fail (err, errno, "mount cgroup on %s/%s", m->destination, name);
  /* merged hierarchies ("cpu,cpuacct") get one symlink per controller, as runc makes */
  if (strchr (ctrls, ',') != NULL)
    {
      char list[256];
      snprintf (list, sizeof list, "%s", ctrls);
      for (char *save = NULL, *c = strtok_r (list, ",", &save); c; c = strtok_r (NULL, ",", &save))
        {
          if (strncmp (c, "name=", 5) == 0)
            c += 5;
          if (strcmp (c, name) != 0 && symlinkat (name, dirfd, c) < 0 && errno != EEXIST)
            return clr_fail (err, errno, "mount cgroup: symlink %s/%s", m->destination, c);
        }
    }
  return 0;
}

/* Docker's "cgroup" on a v1/hybrid host: a tmpfs with each hierarchy of the container's
 * cgroup in it (runc), all read-only unless the entry says rw (security.md row 9). */
static int
mount_cgroup_v1 (struct clr_rootfs_state *st, const struct clr_mount *m, clr_err *err)
{
  static char *tmpfs_opts[] = { (char *) "mode=755", NULL };
  bool ro = !(m->clear_flags & MS_RDONLY);
  struct clr_mount t = {
    .destination = m->destination,
    .type = "tmpfs",
    .source = "tmpfs",
    .flags = MS_NOSUID | MS_NODEV | MS_NOEXEC,
    .propagation = m->propagation,
    .data_options = tmpfs_opts,
    .n_data_options = 1,
    .data = "mode=755",
  };
  if (proc_cgroup (st, err) < 0)
    return -1;
  cleanup_close int dirfd = -1;
  if (mount_fs (st, &t, "tmpfs", &dirfd, err) < 0)
    return -1;
  uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC
                   | (ro ? MOUNT_ATTR_RDONLY : 0);
  for (const char *line = st->proc_cgroup; *line;)
    {
      const char *nl = strchrnul (line, '\n');
      char buf[PATH_MAX + 512];
      size_t l = (size_t) (nl - line);
      if (l >= sizeof buf)
        return clr_fail (err, ENAMETOOLONG, "mount cgroup on %s: /proc/self/cgroup line",
                         m->destination);
      memcpy (buf, line, l);
      buf[l] = '\0';
      line = *nl ? nl + 1 : nl;
      char *c1 = strchr (buf, ':');
      char *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 == NULL)
        continue;
      *c1 = *c2 = '\0';
      const char *ctrls = c1 + 1, *own = c2 + 1, *name;
      if (*ctrls == '\0')
        {
          if (strcmp (buf, "0") != 0)
            continue;
          name = "unified"; /* hybrid: the (controller-less) cgroup2 hierarchy */
        }
      else if (strncmp (ctrls, "name=", 5) == 0)
        name = ctrls + 5;
      else
        name = ctrls;
      if (*name == '\0' || strchr (name, '/') || strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
        continue;
      if (mount_cgroup_hierarchy (st, m, dirfd, name, ctrls, own, attrs, err) < 0)
        return -1;
    }
  if (ro && setattr (dirfd, 0, MOUNT_ATTR_RDONLY, 0) < 0)
    return clr_fail (err, errno, "mount cgroup on %s: make read-only", m->destination);
  return 0;
}

/* ------------------------------------------------------------------ dispatch */

int
rootfs_do_mount (struct clr_rootfs_state *st, const struct clr_mount *m, clr_err *err)
{
  if (m->destination == NULL || m->destination[0] != '/')
    return clr_fail (err, EINVAL, "mount destination %s: not an absolute path",
                     m->destination ? m->destination : "(null)");
  if (m->flags & MS_REMOUNT)
    return mount_remount (st, m, err);
  if (m->bind)
    return mount_bind (st, m, err);
  const char *type = m->type;
  if (type == NULL || *type == '\0')
    return clr_fail (err, EINVAL, "mount on %s: no type", m->destination);
  if (strcmp (type, "cgroup") == 0)
    return host_unified (st) ? mount_cgroup2 (st, m, err) : mount_cgroup_v1 (st, m, err);
  if (strcmp (type, "cgroup2") == 0)
    return mount_cgroup2 (st, m, err);
  return mount_fs (st, m, type, NULL, err);
}
