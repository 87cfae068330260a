#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#include "util.h"

static void __attribute__ ((noreturn)) oom (void)
{
  static const char m[] = "clawrun: out of memory\n";
  (void) !write (2, m, sizeof m - 1);
  abort ();
}

void *
xmalloc (size_t n)
{
  void *p = malloc (n ? n : 1);
  if (!p)
    oom ();
  return p;
}

void *
xcalloc (size_t n, size_t sz)
{
  void *p = calloc (n ? n : 1, sz ? sz : 1);
  if (!p)
    oom ();
  return p;
}

void *
xrealloc (void *p, size_t n)
{
  p = realloc (p, n ? n : 1);
  if (!p)
    oom ();
  return p;
}

char *
xstrdup (const char *s)
{
  char *p = strdup (s ? s : "");
  if (!p)
    oom ();
  return p;
}

char *
xasprintf (const char *fmt, ...)
{
  char *s;
  va_list ap;
  va_start (ap, fmt);
  int r = vasprintf (&s, fmt, ap);
  va_end (ap);
  if (r < 0)
    oom ();
  return s;
}

void
clr_strv_freep (char ***v)
{
  if (*v == NULL)
    return;
  for (char **p = *v; *p; p++)
    free (*p);
  free (*v);
  *v = NULL;
}

bool
clr_has_prefix (const char *s, const char *prefix)
{
  return strncmp (s, prefix, strlen (prefix)) == 0;
}

bool
clr_has_suffix (const char *s, const char *suffix)
{
  size_t a = strlen (s), b = strlen (suffix);
  return a >= b && strcmp (s + a - b, suffix) == 0;
}

size_t
clr_strv_len (char *const *v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

char **
clr_strv_dup (char *const *v)
{
  size_t n = clr_strv_len (v);
  char **r = xcalloc (n + 1, sizeof *r);
  for (size_t i = 0; i < n; i++)
    r[i] = xstrdup (v[i]);
  return r;
}

int
clr_parse_u64 (const char *s, uint64_t max, uint64_t *out)
{
  if (s == NULL || *s < '0' || *s > '9')
    return -1;
  errno = 0;
  char *end;
  unsigned long long v = strtoull (s, &end, 10);
  if (errno || *end != '\0' || v > max)
    return -1;
  *out = v;
  return 0;
}

int
clr_parse_i64 (const char *s, int64_t min, int64_t max, int64_t *out)
{
  if (s == NULL || !(*s == '-' || (*s >= '0' && *s <= '9')))
    return -1;
  errno = 0;
  char *end;
  long long v = strtoll (s, &end, 10);
  if (errno || *end != '\0' || end == s || v < min || v > max)
    return -1;
  *out = v;
  return 0;
}

int
clr_read_fd (int fd, size_t max, char **out, size_t *len, clr_err *err)
{
  size_t cap = 4096, n = 0;
  cleanup_free char *buf = xmalloc (cap + 1);
  for (;;)
    {
      if (n == cap)
        {
          if (cap >= max)
            return clr_fail (err, EFBIG, "file larger than %zu bytes", max);
          cap = cap * 2 > max ? max : cap * 2;
          buf = xrealloc (buf, cap + 1);
        }
      ssize_t r = read (fd, buf + n, cap - n);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return clr_fail (err, errno, "read");
      if (r == 0)
        break;
      n += r;
    }
  buf[n] = '\0';
  if (len)
    *len = n;
  *out = clr_steal_ptr (&buf);
  return 0;
}

int
clr_read_file_at (int dirfd, const char *path, size_t max, char **out, size_t *len, clr_err *err)
{
  cleanup_close int fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return clr_fail (err, errno, "open %s", path);
  if (clr_read_fd (fd, max, out, len, err) < 0)
    return clr_wrap (err, "%s", path);
  return 0;
}

int
clr_read_file (const char *path, size_t max, char **out, size_t *len, clr_err *err)
{
  return clr_read_file_at (AT_FDCWD, path, max, out, len, err);
}

int
clr_write_all (int fd, const void *data, size_t len)
{
  const char *p = data;
  while (len > 0)
    {
      ssize_t w = write (fd, p, len);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return -1;
      p += w;
      len -= w;
    }
  return 0;
}

int
clr_copy_fd (int in, int out)
{
  char buf[65536];
  ssize_t n;
  while ((n = read (in, buf, sizeof buf)) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 || clr_write_all (out, buf, (size_t) n) < 0)
        return -1;
    }
  return 0;
}

int
clr_write_file_at (int dirfd, const char *path, const void *data, size_t len, clr_err *err)
{
  cleanup_close int fd = openat (dirfd, path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return clr_fail (err, errno, "open %s", path);
  if (clr_write_all (fd, data, len) < 0)
    return clr_fail (err, errno, "write %s", path);
  return 0;
}

int
clr_write_file_atomic_at (int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                          clr_err *err)
{
  char tmp[PATH_MAX];
  snprintf (tmp, sizeof tmp, ".%s.tmp.%d", name, getpid ());
  cleanup_close int fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0)
    return clr_fail (err, errno, "create %s", tmp);
  if (clr_write_all (fd, data, len) < 0)
    {
      int e = errno;
      unlinkat (dirfd, tmp, 0);
      return clr_fail (err, e, "write %s", tmp);
    }
  if (renameat (dirfd, tmp, dirfd, name) < 0)
    {
      int e = errno;
      unlinkat (dirfd, tmp, 0);
      return clr_fail (err, e, "rename %s to %s", tmp, name);
    }
  return 0;
}

static int
remove_tree_fd (int parentfd, const char *name, dev_t dev, clr_err *err)
{
  if (unlinkat (parentfd, name, 0) == 0 || errno == ENOENT)
    return 0;
  if (errno != EISDIR && errno != EPERM)
    return clr_fail (err, errno, "unlink %s", name);
  int fd = openat (parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : clr_fail (err, errno, "open %s", name);
  struct stat st;
  if (fstat (fd, &st) < 0 || st.st_dev != dev)
    {
      close (fd);
      /* a mount point: refuse to descend (rm must never cross into another fs) */
      return clr_fail (err, EBUSY, "remove %s: is a mount point", name);
    }
  DIR *d = fdopendir (fd);
  if (!d)
    {
      close (fd);
      return clr_fail (err, errno, "fdopendir %s", name);
    }
  struct dirent *de;
  int ret = 0;
  while ((de = readdir (d)))
    {
      if (!strcmp (de->d_name, ".") || !strcmp (de->d_name, ".."))
        continue;
      if (remove_tree_fd (dirfd (d), de->d_name, dev, err) < 0)
        {
          ret = -1;
          break;
        }
    }
  closedir (d);
  if (ret < 0)
    return ret;
  if (unlinkat (parentfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return clr_fail (err, errno, "rmdir %s", name);
  return 0;
}

int
clr_remove_tree_at (int dirfd, const char *name, clr_err *err)
{
  struct stat st;
  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : clr_fail (err, errno, "stat %s", name);
  return remove_tree_fd (dirfd, name, st.st_dev, err);
}

uint64_t
clr_proc_start_time (pid_t pid)
{
  char path[64], buf[1024];
  snprintf (path, sizeof path, "/proc/%d/stat", pid);
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  /* comm may contain spaces and parentheses: fields start after the last ')'. */
  char *p = strrchr (buf, ')');
  if (!p)
    return 0;
  p++;
  /* after ')' come fields 3.. ; start time is field 22 */
  for (int field = 2; field < 21 && p; field++)
    p = strchr (p + 1, ' ');
  if (!p)
    return 0;
  return strtoull (p + 1, NULL, 10);
}

int
clr_pidfd_open (pid_t pid)
{
  return (int) syscall (SYS_pidfd_open, pid, 0);
}

int
clr_pidfd_send_signal (int pidfd, int sig)
{
  return (int) syscall (SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

int
clr_pidfd_open_checked (pid_t pid, uint64_t start_time)
{
  if (pid <= 0)
    {
      errno = ESRCH;
      return -1;
    }
  int fd = clr_pidfd_open (pid);
  if (fd < 0)
    return -1;
  /* With the pidfd held the pid cannot be reused; now compare start times. */
  if (start_time != 0 && clr_proc_start_time (pid) != start_time)
    {
      close (fd);
      errno = ESRCH;
      return -1;
    }
  return fd;
}

int
clr_parse_signal (const char *s)
{
  uint64_t n;
  if (clr_parse_u64 (s, 64, &n) == 0)
    return n >= 1 ? (int) n : -1;
  const char *name = s;
  if (strncasecmp (name, "SIG", 3) == 0)
    name += 3;
  for (int i = 1; i < NSIG; i++)
    {
      const char *abbrev = sigabbrev_np (i);
      if (abbrev && strcasecmp (abbrev, name) == 0)
        return i;
    }
  if (strncasecmp (name, "RTMIN+", 6) == 0 && clr_parse_u64 (name + 6, 64, &n) == 0
      && SIGRTMIN + (int) n <= SIGRTMAX)
    return SIGRTMIN + (int) n;
  if (strncasecmp (name, "RTMAX-", 6) == 0 && clr_parse_u64 (name + 6, 64, &n) == 0
      && SIGRTMAX - (int) n >= SIGRTMIN)
    return SIGRTMAX - (int) n;
  return -1;
}

void
clr_rfc3339_now (char *buf, size_t len)
{
  struct timespec ts;
  struct tm tm;
  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  size_t n = strftime (buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (buf + n, len - n, ".%09ldZ", ts.tv_nsec);
}

int
clr_write_pid_file (const char *path, pid_t pid, clr_err *err)
{
  cleanup_free char *copy = xstrdup (path);
  cleanup_free char *copy2 = xstrdup (path);
  const char *dir = dirname (copy);
  const char *base = basename (copy2);
  cleanup_close int dfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return clr_fail (err, errno, "open pid file directory %s", dir);
  char buf[32];
  int n = snprintf (buf, sizeof buf, "%d", pid);
  if (clr_write_file_atomic_at (dfd, base, buf, n, 0644, err) < 0)
    return clr_wrap (err, "write pid file %s", path);
  return 0;
}

int64_t
clr_now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
clr_reset_signal_dispositions (void)
{
  /* the kernel's struct sigaction: handler, flags, restorer, mask (8 bytes) */
  struct
  {
    void *handler;
    unsigned long flags;
    void *restorer;
    unsigned long mask;
  } dfl = { 0 };
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      (void) syscall (SYS_rt_sigaction, sig, &dfl, NULL, sizeof dfl.mask);
}
