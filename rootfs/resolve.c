/* clawrun: resolving paths inside the container's root.
 *
 * Everything the runtime opens or creates in the rootfs goes through here.  The image is
 * untrusted: any component may be a symlink aimed at the host ("/../../../etc").  The
 * kernel resolves for us with RESOLVE_IN_ROOT, so ".." and absolute symlinks stop at the
 * rootfs (CVE-2021-30465).  Missing components are created one at a time with
 * mkdirat()/openat(O_EXCL) relative to a directory fd we already hold, never with a
 * mkdir -p on a host path string (CVE-2024-45310).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../runtime/util.h"
#include "internal.h"

#define ROOTFS_RESOLVE (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
#define MAX_SYMLINKS 40 /* same budget as the kernel's own path walk */

int
rootfs_openat2 (int dirfd, const char *path, int flags)
{
  struct open_how how = {
    .flags = (uint64_t) (unsigned) (flags | O_CLOEXEC),
    .resolve = ROOTFS_RESOLVE,
  };
  if (path == NULL || *path == '\0')
    path = "/";
  /* EAGAIN: a rename or mount raced with a ".." step; the kernel asks us to retry. */
  for (int i = 0; i < 128; i++)
    {
      int fd = (int) syscall (SYS_openat2, dirfd, path, &how, sizeof how);
      if (fd >= 0 || errno != EAGAIN)
        return fd;
    }
  errno = EAGAIN;
  return -1;
}

bool
rootfs_path_clean (const char *in, char *out, size_t len)
{
  size_t n = 0;
  const char *p = in;
  if (len < 2)
    return false;
  out[n++] = '/';
  while (*p)
    {
      while (*p == '/')
        p++;
      if (!*p)
        break;
      const char *e = strchrnul (p, '/');
      size_t l = (size_t) (e - p);
      if (l == 1 && p[0] == '.')
        ;
      else if (l == 2 && p[0] == '.' && p[1] == '.')
        {
          while (n > 1 && out[n - 1] != '/')
            n--;
          if (n > 1)
            n--; /* drop the separator too */
        }
      else
        {
          if (n > 1)
            {
              if (n + 1 >= len)
                return false;
              out[n++] = '/';
            }
          if (n + l >= len)
            return false;
          memcpy (out + n, p, l);
          n += l;
        }
      p = e;
    }
  out[n] = '\0';
  return true;
}

bool
rootfs_path_eq (const char *a, const char *b)
{
  char ca[PATH_MAX], cb[PATH_MAX];
  if (a == NULL || b == NULL)
    return false;
  if (!rootfs_path_clean (a, ca, sizeof ca) || !rootfs_path_clean (b, cb, sizeof cb))
    return false;
  return strcmp (ca, cb) == 0;
}

/* The directory fd of RESOLVED (a path of real directories below the root). */
static int
reopen_dir (int rootfd, const char *resolved)
{
  return rootfs_openat2 (rootfd, *resolved ? resolved : "/", O_PATH | O_DIRECTORY);
}

/* Create NAME in DIRFD (a directory we hold inside the root) and return an O_PATH fd of
 * it.  NAME is one component: mkdirat/mknodat never follow a symlink at the last
 * component (an existing one gives EEXIST), and the O_NOFOLLOW open checks the type. */
static int
create_last (int dirfd, const char *name, int create)
{
  if (create == CLR_RESOLVE_MKFILE)
    {
      if (mknodat (dirfd, name, S_IFREG | 0644, 0) < 0)
        return -1;
      return openat (dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    }
  if (mkdirat (dirfd, name, 0755) < 0)
    return -1;
  return openat (dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* The caller can use the fd of what we just created as is when it asked for nothing more
 * than an O_PATH fd (of a directory, for MKDIR). */
static bool
simple_flags (int flags, int create)
{
  if ((flags & ~(O_PATH | O_DIRECTORY | O_CLOEXEC)) != 0 || !(flags & O_PATH))
    return false;
  return !(create == CLR_RESOLVE_MKFILE && (flags & O_DIRECTORY));
}

/* Walk PATH below ROOTFD one component at a time and create what is missing.  Symlinks
 * met on the way are not followed by the kernel here: their target is spliced into the
 * remaining path and resolved by this same loop, so an absolute or ".." target still
 * lands inside the root.  Returns an fd of the result or -1. */
static int
create_walk (int rootfd, const char *path, int flags, int create, bool *created, clr_err *err)
{
  cleanup_free char *todo = xstrdup (path);
  cleanup_close int cur = -1; /* -1 means rootfd */
  char resolved[PATH_MAX] = "";
  size_t rlen = 0;
  int links = 0, retries = 0;
  bool missing = false; /* the previous component did not exist: no need to probe */
  const char *p = todo;

  for (;;)
    {
      while (*p == '/')
        p++;
      if (*p == '\0')
        break;
      const char *end = strchrnul (p, '/');
      size_t clen = (size_t) (end - p);
      char comp[NAME_MAX + 1];
      if (clen > NAME_MAX)
        return clr_fail (err, ENAMETOOLONG, "open %s", path);
      memcpy (comp, p, clen);
      comp[clen] = '\0';
      const char *rest = end;
      while (*rest == '/')
        rest++;
      bool last = *rest == '\0';
      int dirfd = cur >= 0 ? cur : rootfd;

      if (strcmp (comp, ".") == 0)
        {
          p = end;
          continue;
        }
      if (strcmp (comp, "..") == 0)
        {
          /* RESOLVED holds only real directories, so the lexical parent is the parent;
             reopen it through the root so ".." can never climb out. */
          while (rlen > 0 && resolved[rlen - 1] != '/')
            rlen--;
          if (rlen > 0)
            rlen--;
          resolved[rlen] = '\0';
          int fd = reopen_dir (rootfd, resolved);
          if (fd < 0)
            return clr_fail (err, errno, "open %s", *resolved ? resolved : "/");
          if (cur >= 0)
            close (cur);
          cur = fd;
          missing = false;
          p = end;
          continue;
        }
      if (rlen + 1 + clen >= sizeof resolved)
        return clr_fail (err, ENAMETOOLONG, "open %s", path);

      int fd = -1;
      if (!missing)
        {
          fd = openat (dirfd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
          if (fd < 0 && errno != ENOENT)
            return clr_fail (err, errno, "open %s/%s", resolved, comp);
        }
      if (fd < 0)
        {
          /* missing: create it (a directory, or the file at the end for MKFILE) */
          int kind = last ? create : CLR_RESOLVE_MKDIR;
          fd = create_last (dirfd, comp, kind);
          if (fd < 0)
            {
              if (errno == EEXIST && ++retries < 16)
                {
                  missing = false; /* raced, or a dangling symlink: look at it again */
                  continue;
                }
              return clr_fail (err, errno, "%s %s/%s", kind == CLR_RESOLVE_MKFILE ? "create" : "mkdir",
                               resolved, comp);
            }
          missing = true;
          if (last)
            {
              if (created)
                *created = true;
              if (simple_flags (flags, create))
                return fd;
              close (fd);
              break;
            }
        }
      else
        {
          struct stat sb;
          if (fstat (fd, &sb) < 0)
            {
              int e = errno;
              close (fd);
              return clr_fail (err, e, "stat %s/%s", resolved, comp);
            }
          if (S_ISLNK (sb.st_mode))
            {
              char target[PATH_MAX];
              close (fd);
              if (++links > MAX_SYMLINKS)
                return clr_fail (err, ELOOP, "open %s", path);
              ssize_t n = readlinkat (dirfd, comp, target, sizeof target - 1);
              if (n < 0)
                return clr_fail (err, errno, "readlink %s/%s", resolved, comp);
              target[n] = '\0';
              if (target[0] == '/')
                {
                  /* absolute: restart at the container's root, not the host's */
                  rlen = 0;
                  resolved[0] = '\0';
                  if (cur >= 0)
                    close (cur);
                  cur = -1;
                }
              char *next = xasprintf ("%s/%s", target, rest);
              free (todo);
              todo = next;
              p = todo;
              continue;
            }
          if (!S_ISDIR (sb.st_mode))
            {
              close (fd);
              if (last)
                break; /* exists; the final open decides whether the type fits */
              return clr_fail (err, ENOTDIR, "open %s", path);
            }
        }
      /* a directory: descend */
      resolved[rlen++] = '/';
      memcpy (resolved + rlen, comp, clen + 1);
      rlen += clen;
      if (cur >= 0)
        close (cur);
      cur = fd;
      p = end;
    }
  /* everything exists now (or was there already): resolve PATH like the fast path */
  int fd = rootfs_openat2 (rootfd, path, flags);
  if (fd < 0)
    return clr_fail (err, errno, "open %s", path);
  return fd;
}

/* The slow path, for when PATH was just found missing. */
static int
create_path (int rootfd, const char *path, int flags, int create, bool *created, clr_err *err)
{
  /* Common case: only the last component is missing (/dev/pts in a fresh /dev). */
  const char *slash = strrchr (path, '/');
  const char *base = slash ? slash + 1 : path;
  size_t dlen = slash ? (size_t) (slash - path) : 0;
  if (*base && strcmp (base, ".") != 0 && strcmp (base, "..") != 0 && strlen (base) <= NAME_MAX
      && dlen < PATH_MAX)
    {
      char dir[PATH_MAX];
      memcpy (dir, path, dlen);
      dir[dlen] = '\0';
      /* a parent that is the root itself ("/data") is ROOTFD */
      bool top = strspn (dir, "/") == dlen;
      cleanup_close int parent = top ? -1 : rootfs_openat2 (rootfd, dir, O_PATH | O_DIRECTORY);
      if (top || parent >= 0)
        {
          int fd = create_last (top ? rootfd : parent, base, create);
          if (fd >= 0)
            {
              if (created)
                *created = true;
              if (simple_flags (flags, create))
                return fd;
              close (fd);
              fd = rootfs_openat2 (rootfd, path, flags);
              return fd >= 0 ? fd : clr_fail (err, errno, "open %s", path);
            }
          if (errno != EEXIST)
            return clr_fail (err, errno, "%s %s", create == CLR_RESOLVE_MKFILE ? "create" : "mkdir",
                             path);
          /* EEXIST: a dangling symlink (or a race): the walk sorts it out */
        }
    }
  return create_walk (rootfd, path, flags, create, created, err);
}

int
rootfs_create_in_root (int rootfd, const char *path, int flags, int create, bool *created,
                       clr_err *err)
{
  if (created)
    *created = false;
  return create_path (rootfd, path, flags | O_CLOEXEC, create, created, err);
}

int
rootfs_open_in_root (int rootfd, const char *path, int flags, int create, bool *created,
                     clr_err *err)
{
  if (created)
    *created = false;
  int fd = rootfs_openat2 (rootfd, path, flags);
  if (fd >= 0)
    return fd;
  if (errno != ENOENT || create == CLR_RESOLVE_NOCREATE)
    return clr_fail (err, errno, "open %s", path);
  return create_path (rootfd, path, flags | O_CLOEXEC, create, created, err);
}

int
clr_open_in_root (int rootfd, const char *path, int flags, int create, clr_err *err)
{
  return rootfs_open_in_root (rootfd, path, flags, create, NULL, err);
}
