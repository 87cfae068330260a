/* clawrun-check: one sandbox escape attempt per invocation, run from inside a
 * clawrun session by `clawrun verify`.
 *
 *   clawrun-check CHECK [ARGS...]
 *   clawrun-check all CHECK [ARGS...] [, CHECK [ARGS...]]...
 *
 * Each check tries one attack and prints exactly one line:
 *
 *   ok <name>: <detail>      the attack failed: the sandbox held      (exit 0)
 *   FAIL <name>: <detail>    the attack worked, or could not be tried (exit 1)
 *
 * `all` runs several checks, each in a child process of its own (a check that crashes
 * or is killed by seccomp cannot take the others with it), and exits 1 if any failed.
 * The `timeout` check is the exception: it prints one "started" line and then waits
 * to be killed; `clawrun verify` judges it from the outside.
 *
 * Static, no dependencies beyond libc: it must run in any image.  Every check is
 * harmless where the sandbox holds; the destructive ones (write-root, memory, pids,
 * workspace, timeout, mount) must never be run on a host.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024UL * 1024UL)

/* ---- output: one line, written with one write(2) (no stdio buffers across fork) ---- */

static bool
report (bool ok, const char *name, const char *fmt, ...)
{
  char buf[1024];
  int n = snprintf (buf, sizeof buf, "%s %s: ", ok ? "ok" : "FAIL", name);
  va_list ap;
  va_start (ap, fmt);
  n += vsnprintf (buf + n, sizeof buf - (size_t) n - 1, fmt, ap);
  va_end (ap);
  if (n > (int) sizeof buf - 2)
    n = (int) sizeof buf - 2;
  for (int i = 0; i < n; i++)
    if (buf[i] == '\n')
      buf[i] = ' ';
  buf[n++] = '\n';
  (void) !write (STDOUT_FILENO, buf, (size_t) n);
  return ok;
}

static const char *
ename (int e)
{
  const char *s = strerrorname_np (e);
  return s ? s : "E?";
}

/* append to a fixed-size detail buffer */
static void
add (char *buf, size_t len, const char *fmt, ...)
{
  size_t used = strlen (buf);
  if (used + 1 >= len)
    return;
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (buf + used, len - used, fmt, ap);
  va_end (ap);
}

static bool
parse_num (const char *s, unsigned long max, unsigned long *out)
{
  char *end;
  errno = 0;
  unsigned long v = strtoul (s, &end, 10);
  if (errno || end == s || *end || v > max || s[0] == '-')
    return false;
  *out = v;
  return true;
}

/* ---- host-file PATH [TOKEN] ---- */

/* A canary the verifier wrote on the host: it must not be readable (or, at the same
 * path, must be some other file: one without TOKEN). */
static bool
check_host_file (int argc, char **argv)
{
  if (argc < 1)
    return report (false, "host-file", "usage: host-file PATH [TOKEN]");
  const char *path = argv[0], *token = argc > 1 ? argv[1] : NULL;
  char alt[4096];
  snprintf (alt, sizeof alt, "/proc/1/root%s", path);
  const char *tries[] = { path, alt };
  char detail[512] = "";
  for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++)
    {
      int fd = open (tries[i], O_RDONLY | O_CLOEXEC | O_NONBLOCK);
      if (fd < 0)
        {
          add (detail, sizeof detail, "%s%s: %s", *detail ? ", " : "", tries[i], ename (errno));
          continue;
        }
      char buf[4096];
      ssize_t n = read (fd, buf, sizeof buf - 1);
      close (fd);
      buf[n > 0 ? n : 0] = '\0';
      if (token == NULL || strstr (buf, token))
        return report (false, "host-file", "read the host's %s through %s", path, tries[i]);
      add (detail, sizeof detail, "%s%s: a different file", *detail ? ", " : "", tries[i]);
    }
  return report (true, "host-file", "%s", detail);
}

/* ---- host-pids HOSTPID ---- */

static bool
check_host_pids (int argc, char **argv)
{
  unsigned long host;
  if (argc < 1 || !parse_num (argv[0], 1UL << 22, &host) || host == 0)
    return report (false, "host-pids", "usage: host-pids HOSTPID");
  DIR *d = opendir ("/proc");
  if (d == NULL)
    return report (false, "host-pids", "cannot verify: opendir /proc: %s", ename (errno));
  int count = 0;
  bool seen = false;
  struct dirent *de;
  while ((de = readdir (d)))
    {
      unsigned long p;
      if (!parse_num (de->d_name, 1UL << 22, &p))
        continue;
      count++;
      if (p == host)
        seen = true;
    }
  closedir (d);
  char comm[64] = "?";
  int fd = open ("/proc/1/comm", O_RDONLY | O_CLOEXEC);
  if (fd >= 0)
    {
      ssize_t n = read (fd, comm, sizeof comm - 1);
      comm[n > 0 ? n : 0] = '\0';
      comm[strcspn (comm, "\n")] = '\0';
      close (fd);
    }
  if (seen || kill ((pid_t) host, 0) == 0 || errno == EPERM)
    return report (false, "host-pids", "the verifier's host pid %lu is visible (%d pids in /proc, pid 1 is %s)",
                   host, count, comm);
  if (count > 16)
    return report (false, "host-pids", "%d pids visible in /proc (pid 1 is %s)", count, comm);
  return report (true, "host-pids", "host pid %lu not visible; %d pid%s in /proc, pid 1 is %s", host, count,
                 count == 1 ? "" : "s", comm);
}

/* ---- docker-socket [PATH...] ---- */

static bool
check_docker_socket (int argc, char **argv)
{
  const char *defaults[] = { "/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock" };
  char detail[768] = "";
  int n = (int) (sizeof defaults / sizeof defaults[0]) + argc;
  for (int i = 0; i < n; i++)
    {
      const char *path = i < 3 ? defaults[i] : argv[i - 3];
      struct sockaddr_un sa = { .sun_family = AF_UNIX };
      if (strlen (path) >= sizeof sa.sun_path)
        continue;
      strcpy (sa.sun_path, path);
      int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0)
        {
          add (detail, sizeof detail, "%ssocket(AF_UNIX): %s", *detail ? ", " : "", ename (errno));
          continue;
        }
      int r = connect (fd, (struct sockaddr *) &sa, sizeof sa);
      int e = errno;
      close (fd);
      if (r == 0)
        return report (false, "docker-socket", "connected to %s", path);
      add (detail, sizeof detail, "%s%s: %s", *detail ? ", " : "", path, ename (e));
    }
  return report (true, "docker-socket", "%s", detail);
}

/* ---- write-root ---- */

static bool
check_write_root (int argc, char **argv)
{
  const char *dirs[] = { "/", "/bin", "/etc", "/usr" };
  char detail[512] = "";
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
    {
      struct stat st;
      if (stat (dirs[i], &st) < 0 || !S_ISDIR (st.st_mode))
        continue; /* not in this image */
      char path[256];
      snprintf (path, sizeof path, "%s%s.clawrun-check-%d", dirs[i], i ? "/" : "", (int) getpid ());
      int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
      if (fd >= 0)
        {
          close (fd);
          unlink (path);
          return report (false, "write-root", "created %s", path);
        }
      int e = errno;
      if (e != EROFS && e != EACCES && e != EPERM)
        return report (false, "write-root", "create %s: %s (expected EROFS or EACCES)", path, ename (e));
      add (detail, sizeof detail, "%s%s: %s", *detail ? ", " : "", dirs[i], ename (e));
    }
  if (mkdir ("/.clawrun-check-dir", 0700) == 0)
    {
      rmdir ("/.clawrun-check-dir");
      return report (false, "write-root", "created the directory /.clawrun-check-dir");
    }
  /* an existing file opened for writing (nothing is written) */
  int fd = open ("/etc/passwd", O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
  if (fd >= 0)
    {
      close (fd);
      return report (false, "write-root", "opened /etc/passwd for writing");
    }
  if (errno != ENOENT)
    add (detail, sizeof detail, ", /etc/passwd: %s", ename (errno));
  if (*detail == '\0')
    return report (false, "write-root", "cannot verify: no directory to try");
  return report (true, "write-root", "%s", detail);
}

/* ---- setuid [PATH] ---- */

static bool
check_setuid (int argc, char **argv)
{
  const char *path = argc > 0 ? argv[0] : "/check-suid";
  struct stat st;
  if (stat (path, &st) < 0)
    return report (false, "setuid", "cannot verify: %s: %s", path, ename (errno));
  if (st.st_uid != 0 || !(st.st_mode & S_ISUID))
    return report (false, "setuid", "cannot verify: %s is not setuid root (uid %u, mode %04o)", path,
                   (unsigned) st.st_uid, (unsigned) (st.st_mode & 07777));
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return report (false, "setuid", "cannot verify: pipe: %s", ename (errno));
  pid_t pid = fork ();
  if (pid < 0)
    return report (false, "setuid", "cannot verify: fork: %s", ename (errno));
  if (pid == 0)
    {
      dup2 (p[1], STDOUT_FILENO);
      execl (path, path, "report-euid", (char *) NULL);
      printf ("exec-error %d\n", errno);
      fflush (stdout);
      _exit (127);
    }
  close (p[1]);
  char buf[128];
  size_t len = 0;
  ssize_t n;
  while (len < sizeof buf - 1 && ((n = read (p[0], buf + len, sizeof buf - 1 - len)) > 0 || (n < 0 && errno == EINTR)))
    if (n > 0)
      len += (size_t) n;
  buf[len] = '\0';
  close (p[0]);
  int status;
  waitpid (pid, &status, 0);
  int nnp = -1;
  FILE *f = fopen ("/proc/self/status", "re");
  char line[256];
  while (f && fgets (line, sizeof line, f))
    if (sscanf (line, "NoNewPrivs: %d", &nnp) == 1)
      break;
  if (f)
    fclose (f);
  int e, euid;
  if (sscanf (buf, "exec-error %d", &e) == 1)
    {
      if (e == EACCES || e == EPERM)
        return report (true, "setuid", "exec of the setuid-root %s refused: %s", path, ename (e));
      return report (false, "setuid", "cannot verify: exec %s: %s", path, ename (e));
    }
  if (sscanf (buf, "euid %d", &euid) != 1)
    return report (false, "setuid", "cannot verify: no answer from %s", path);
  if (euid == 0)
    return report (false, "setuid", "a setuid-root binary ran with euid 0");
  return report (true, "setuid", "a setuid-root binary ran with euid %d (no_new_privs=%d)", euid, nnp);
}

/* ---- caps ---- */

static bool
check_caps (int argc, char **argv)
{
  FILE *f = fopen ("/proc/self/status", "re");
  if (f == NULL)
    return report (false, "caps", "cannot verify: /proc/self/status: %s", ename (errno));
  char line[256], detail[256] = "";
  int found = 0;
  bool ok = true;
  while (fgets (line, sizeof line, f))
    {
      char set[8];
      unsigned long long v;
      if (sscanf (line, "Cap%3[A-Za-z]: %llx", set, &v) != 2)
        continue;
      set[strcspn (set, ":")] = '\0';
      if (strcmp (set, "Eff") && strcmp (set, "Prm") && strcmp (set, "Bnd"))
        continue;
      found++;
      if (v != 0)
        ok = false;
      add (detail, sizeof detail, "%sCap%s=%016llx", *detail ? " " : "", set, v);
    }
  fclose (f);
  if (found != 3)
    return report (false, "caps", "cannot verify: %d of CapEff/CapPrm/CapBnd in /proc/self/status", found);
  return report (ok, "caps", "%s", detail);
}

/* ---- memory MB ---- */

static bool
check_memory (int argc, char **argv)
{
  unsigned long mb;
  if (argc < 1 || !parse_num (argv[0], 1UL << 20, &mb) || mb == 0)
    return report (false, "memory", "usage: memory MB");
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return report (false, "memory", "cannot verify: pipe: %s", ename (errno));
  pid_t pid = fork ();
  if (pid < 0)
    return report (false, "memory", "cannot verify: fork: %s", ename (errno));
  if (pid == 0)
    {
      close (p[0]);
      /* be the OOM killer's first choice, not the checker */
      int fd = open ("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
      if (fd >= 0)
        {
          (void) !write (fd, "1000", 4);
          close (fd);
        }
      for (unsigned long i = 0; i < mb; i++)
        {
          char *m = mmap (NULL, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
          if (m == MAP_FAILED)
            _exit (3);
          for (size_t off = 0; off < MIB; off += 4096)
            m[off] = (char) (off + 1);
          (void) !write (p[1], "m", 1); /* one byte per MiB touched */
        }
      _exit (0);
    }
  close (p[1]);
  unsigned long got = 0;
  char buf[256];
  ssize_t n;
  while ((n = read (p[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0)
      got += (unsigned long) n;
  close (p[0]);
  int status;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL)
    return report (true, "memory", "a %lu MiB allocation was OOM-killed after %lu MiB; the checker survived", mb,
                   got);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 3)
    return report (true, "memory", "mmap failed after %lu of %lu MiB", got, mb);
  if (WIFEXITED (status))
    return report (false, "memory", "allocated and touched %lu MiB (exit %d)", got, WEXITSTATUS (status));
  return report (false, "memory", "the allocating child died of signal %d after %lu MiB (expected SIGKILL)",
                 WTERMSIG (status), got);
}

/* ---- pids N ---- */

static bool
check_pids (int argc, char **argv)
{
  unsigned long max;
  if (argc < 1 || !parse_num (argv[0], 100000, &max) || max == 0)
    return report (false, "pids", "usage: pids N");
  /* children wait on this pipe: they all exit when we close (or lose) the write end */
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return report (false, "pids", "cannot verify: pipe: %s", ename (errno));
  unsigned long n = 0;
  int err = 0;
  while (n < max)
    {
      pid_t pid = fork ();
      if (pid < 0)
        {
          err = errno;
          break;
        }
      if (pid == 0)
        {
          close (p[1]);
          char c;
          while (read (p[0], &c, 1) < 0 && errno == EINTR)
            ;
          _exit (0);
        }
      n++;
    }
  close (p[1]);
  close (p[0]);
  while (wait (NULL) > 0 || errno == EINTR)
    ;
  if (n >= max)
    return report (false, "pids", "forked %lu processes without hitting a limit", n);
  return report (true, "pids", "fork failed with %s after %lu children", ename (err), n);
}

/* ---- workspace MB ---- */

static bool
check_workspace (int argc, char **argv)
{
  unsigned long mb;
  if (argc < 1 || !parse_num (argv[0], 1UL << 24, &mb) || mb == 0)
    return report (false, "workspace", "usage: workspace MB");
  const char *dir = argc > 1 ? argv[1] : "/workspace";
  char path[512];
  snprintf (path, sizeof path, "%s/.clawrun-check-fill-%d", dir, (int) getpid ());
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return report (false, "workspace", "cannot verify: create %s: %s", path, ename (errno));
  static char chunk[64 * 1024];
  memset (chunk, 'w', sizeof chunk);
  unsigned long long written = 0, want = (unsigned long long) mb * MIB;
  int err = 0;
  while (written < want)
    {
      ssize_t n = write (fd, chunk, sizeof chunk);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          err = errno;
          break;
        }
      written += (unsigned long long) n;
    }
  close (fd);
  unlink (path);
  if (err == 0)
    return report (false, "workspace", "wrote %lu MiB into %s", mb, dir);
  if (err == ENOSPC || err == EDQUOT)
    return report (true, "workspace", "%s after %llu MiB of %lu", ename (err), written / MIB, mb);
  return report (false, "workspace", "write failed with %s after %llu MiB (expected ENOSPC)", ename (err),
                 written / MIB);
}

/* ---- timeout ---- */

/* Make the session hard to end: ignore SIGTERM, leave a grandchild in a session of its
 * own that ignores it too, and sleep.  Only the timeout's SIGKILL can end this. */
static bool
check_timeout (int argc, char **argv)
{
  signal (SIGTERM, SIG_IGN);
  signal (SIGINT, SIG_IGN);
  signal (SIGHUP, SIG_IGN);
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return report (false, "timeout", "cannot verify: pipe: %s", ename (errno));
  pid_t child = fork ();
  if (child < 0)
    return report (false, "timeout", "cannot verify: fork: %s", ename (errno));
  if (child == 0)
    {
      close (p[0]);
      pid_t gc = fork ();
      if (gc == 0)
        {
          setsid ();
          int me = (int) getpid ();
          (void) !write (p[1], &me, sizeof me);
          close (p[1]);
          for (;;)
            pause ();
        }
      _exit (gc < 0 ? 1 : 0);
    }
  close (p[1]);
  int gc = 0;
  ssize_t n = read (p[0], &gc, sizeof gc);
  close (p[0]);
  waitpid (child, NULL, 0);
  if (n != (ssize_t) sizeof gc)
    return report (false, "timeout", "cannot verify: the grandchild did not start");
  char buf[160];
  int len = snprintf (buf, sizeof buf, "started timeout: SIGTERM ignored, orphaned grandchild %d in its own session\n", gc);
  (void) !write (STDOUT_FILENO, buf, (size_t) len);
  for (;;)
    pause ();
}

/* ---- network ADDR PORT ---- */

static bool
check_network (int argc, char **argv)
{
  const char *addr = argc > 0 ? argv[0] : "192.0.2.1";
  unsigned long port = 80;
  if (argc > 1 && (!parse_num (argv[1], 65535, &port) || port == 0))
    return report (false, "network", "usage: network ADDR PORT");
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
  if (inet_pton (AF_INET, addr, &sa.sin_addr) != 1)
    return report (false, "network", "usage: network ADDR PORT (ADDR: an IPv4 address)");
  char ifs[256] = "";
  bool other_if = false;
  struct if_nameindex *ni = if_nameindex ();
  for (struct if_nameindex *i = ni; i && i->if_index; i++)
    {
      add (ifs, sizeof ifs, "%s%s", *ifs ? "," : "", i->if_name);
      if (strcmp (i->if_name, "lo") != 0)
        other_if = true;
    }
  if (ni)
    if_freenameindex (ni);
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return report (true, "network", "socket(AF_INET): %s; interfaces: %s", ename (errno), *ifs ? ifs : "none");
  int r = connect (fd, (struct sockaddr *) &sa, sizeof sa);
  int e = r == 0 ? 0 : errno;
  if (r < 0 && e == EINPROGRESS)
    {
      struct pollfd pf = { .fd = fd, .events = POLLOUT };
      int pr = poll (&pf, 1, 2000);
      if (pr == 0)
        e = ETIMEDOUT;
      else
        {
          socklen_t l = sizeof e;
          if (getsockopt (fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0)
            e = errno;
        }
    }
  close (fd);
  if (e == 0)
    return report (false, "network", "connected to %s:%lu", addr, port);
  if (other_if)
    return report (false, "network", "connect %s:%lu: %s, but interfaces other than lo exist: %s", addr, port,
                   ename (e), ifs);
  return report (true, "network", "connect %s:%lu: %s; interfaces: %s", addr, port, ename (e), *ifs ? ifs : "none");
}

/* ---- mount ---- */

static bool
check_mount (int argc, char **argv)
{
  const char *target = argc > 0 ? argv[0] : "/tmp";
  char detail[256] = "";
  if (mount ("clawrun-check", target, "tmpfs", 0, "size=1m") == 0)
    {
      umount2 (target, MNT_DETACH);
      return report (false, "mount", "mounted a tmpfs on %s", target);
    }
  add (detail, sizeof detail, "mount tmpfs: %s", ename (errno));
  /* the unprivileged way: a new user namespace grants CAP_SYS_ADMIN over a new mount
   * namespace.  In a child: the new namespaces must not outlive the attempt. */
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return report (false, "mount", "cannot verify: pipe: %s", ename (errno));
  pid_t pid = fork ();
  if (pid == 0)
    {
      close (p[0]);
      int res[2] = { 0, 0 };
      if (unshare (CLONE_NEWUSER | CLONE_NEWNS) < 0)
        res[0] = errno;
      else if (mount ("clawrun-check", target, "tmpfs", 0, "size=1m") < 0)
        res[1] = errno;
      else
        res[1] = -1; /* mounted */
      (void) !write (p[1], res, sizeof res);
      _exit (0);
    }
  close (p[1]);
  int res[2] = { 0, 0 };
  ssize_t n = pid > 0 ? read (p[0], res, sizeof res) : -1;
  close (p[0]);
  if (pid > 0)
    waitpid (pid, NULL, 0);
  if (n != (ssize_t) sizeof res)
    return report (true, "mount", "%s; the unshare attempt died", detail);
  if (res[0])
    return report (true, "mount", "%s; unshare(CLONE_NEWUSER|CLONE_NEWNS): %s", detail, ename (res[0]));
  if (res[1] == -1)
    return report (false, "mount", "%s, but mounted a tmpfs after unshare(CLONE_NEWUSER|CLONE_NEWNS)", detail);
  return report (false, "mount", "%s, but unshare(CLONE_NEWUSER|CLONE_NEWNS) succeeded (mount then: %s)", detail,
                 ename (res[1]));
}

/* ---- ptrace ---- */

static bool
check_ptrace (int argc, char **argv)
{
  /* in a child: a traced process must not be us */
  pid_t pid = fork ();
  if (pid < 0)
    return report (false, "ptrace", "cannot verify: fork: %s", ename (errno));
  if (pid == 0)
    {
      if (ptrace (PTRACE_TRACEME, 0, NULL, NULL) == 0)
        _exit (0);
      _exit (errno & 0xff ? errno & 0xff : 255);
    }
  int status;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return report (false, "ptrace", "PTRACE_TRACEME succeeded");
  if (WIFEXITED (status))
    return report (true, "ptrace", "PTRACE_TRACEME: %s", ename (WEXITSTATUS (status)));
  return report (true, "ptrace", "PTRACE_TRACEME: killed by signal %d", WTERMSIG (status));
}

/* ---- dispatch ---- */

static const struct check {
  const char *name;
  bool (*fn) (int argc, char **argv);
  const char *args;
} checks[] = {
  { "host-file", check_host_file, "PATH [TOKEN]" },
  { "host-pids", check_host_pids, "HOSTPID" },
  { "docker-socket", check_docker_socket, "[SOCKET...]" },
  { "write-root", check_write_root, "" },
  { "setuid", check_setuid, "[PATH]" },
  { "caps", check_caps, "" },
  { "memory", check_memory, "MB" },
  { "pids", check_pids, "N" },
  { "workspace", check_workspace, "MB [DIR]" },
  { "timeout", check_timeout, "" },
  { "network", check_network, "[ADDR [PORT]]" },
  { "mount", check_mount, "[TARGET]" },
  { "ptrace", check_ptrace, "" },
};

static const struct check *
find_check (const char *name)
{
  for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
    if (strcmp (checks[i].name, name) == 0)
      return &checks[i];
  return NULL;
}

static int
usage (void)
{
  fprintf (stderr, "usage: clawrun-check CHECK [ARGS...]\n"
                   "       clawrun-check all CHECK [ARGS...] [, CHECK [ARGS...]]...\n"
                   "Prints \"ok NAME: DETAIL\" when the attack failed (exit 0), \"FAIL NAME: DETAIL\"\n"
                   "when it worked (exit 1).  Checks:\n");
  for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
    fprintf (stderr, "  %s %s\n", checks[i].name, checks[i].args);
  return 2;
}

/* One check in a child, so that a crash or a seccomp kill stays contained. */
static bool
run_isolated (const struct check *c, int argc, char **argv)
{
  pid_t pid = fork ();
  if (pid < 0)
    return report (false, c->name, "cannot verify: fork: %s", ename (errno));
  if (pid == 0)
    _exit (c->fn (argc, argv) ? 0 : 1);
  int status;
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return report (false, c->name, "cannot verify: waitpid: %s", ename (errno));
  if (WIFEXITED (status))
    return WEXITSTATUS (status) == 0;
  if (WTERMSIG (status) == SIGSYS)
    return report (true, c->name, "killed by seccomp (SIGSYS)");
  return report (false, c->name, "cannot verify: the check died of signal %d", WTERMSIG (status));
}

/* As a session's pid 1 a signal from outside is dropped unless we handle it: let
 * SIGINT/SIGTERM (forwarded by the session runner on ^C) end the checks. */
static void
on_term (int sig)
{
  _exit (128 + sig);
}

int
main (int argc, char **argv)
{
  struct sigaction sa = { .sa_handler = on_term };
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGHUP, &sa, NULL);
  if (argc >= 2 && strcmp (argv[1], "report-euid") == 0)
    {
      /* run as the setuid copy: say who we are, nothing else */
      printf ("euid %d\n", (int) geteuid ());
      return 0;
    }
  /* As the setuid-root copy (/check-suid) nothing but report-euid may run: that copy
   * exists on the host too, in verify's private work directory. */
  if (geteuid () != getuid () || getegid () != getgid ())
    {
      fprintf (stderr, "clawrun-check: refusing to run setuid except for report-euid\n");
      return 2;
    }
  if (argc < 2 || strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "--help") == 0)
    return usage ();
  if (strcmp (argv[1], "all") != 0)
    {
      const struct check *c = find_check (argv[1]);
      if (c == NULL)
        {
          fprintf (stderr, "clawrun-check: unknown check \"%s\"\n", argv[1]);
          return usage ();
        }
      return c->fn (argc - 2, argv + 2) ? 0 : 1;
    }
  bool all_ok = true;
  int i = 2;
  while (i < argc)
    {
      int j = i;
      while (j < argc && strcmp (argv[j], ",") != 0)
        j++;
      if (j > i)
        {
          const struct check *c = find_check (argv[i]);
          if (c == NULL)
            {
              report (false, argv[i], "unknown check");
              all_ok = false;
            }
          else if (strcmp (c->name, "timeout") == 0)
            {
              report (false, c->name, "cannot run in \"all\": it needs a session of its own");
              all_ok = false;
            }
          else if (!run_isolated (c, j - i - 1, argv + i + 1))
            all_ok = false;
        }
      i = j + 1;
    }
  return all_ok ? 0 : 1;
}
