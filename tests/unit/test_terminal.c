/* Unit tests for runtime/terminal.c. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "runtime/terminal.h"
#include "runtime/util.h"
#include "tests/unit/tap.h"

static char tmpdir[] = "/tmp/clawrun-test-terminal-XXXXXX";

static int
count_fds (void)
{
  DIR *d = opendir ("/proc/self/fd");
  int n = 0;
  struct dirent *de;
  while ((de = readdir (d)))
    if (de->d_name[0] != '.')
      n++;
  closedir (d);
  return n;
}

static bool
is_cloexec (int fd)
{
  int f = fcntl (fd, F_GETFD);
  return f >= 0 && (f & FD_CLOEXEC);
}

/* Send COUNT copies of FD in one SCM_RIGHTS message with PAYLOAD. */
static ssize_t
send_raw (int sock, const char *payload, int fd, int count)
{
  struct iovec iov = { .iov_base = (void *) payload, .iov_len = strlen (payload) };
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE (sizeof (int) * 4)];
  } u;
  memset (&u, 0, sizeof u);
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
  if (count > 0)
    {
      msg.msg_control = u.buf;
      msg.msg_controllen = CMSG_SPACE (sizeof (int) * count);
      struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (sizeof (int) * count);
      for (int i = 0; i < count; i++)
        memcpy (CMSG_DATA (c) + i * sizeof (int), &fd, sizeof fd);
    }
  return sendmsg (sock, &msg, MSG_NOSIGNAL);
}

static void
test_send_recv (void)
{
  int sv[2], p[2];
  socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
  if (pipe2 (p, O_CLOEXEC) < 0)
    abort ();
  clr_err err = { 0 };

  int r = clr_send_fd (sv[0], p[1], "/dev/ptmx", &err);
  TAP_OK (r == 0, "send_fd (%s)", r ? err.msg : "ok");
  int got = -1;
  r = clr_recv_fd (sv[1], &got, &err);
  TAP_OK (r == 0 && got >= 0 && got != p[1], "recv_fd gets a new fd (%s)", r ? err.msg : "ok");
  TAP_OK (is_cloexec (got), "received fd is O_CLOEXEC");
  char c = 0;
  TAP_OK (write (got, "z", 1) == 1 && read (p[0], &c, 1) == 1 && c == 'z',
          "received fd is the sent pipe");
  close (got);

  /* empty name: still exactly one message with the fd */
  r = clr_send_fd (sv[0], p[1], "", &err);
  got = -1;
  int r2 = clr_recv_fd (sv[1], &got, &err);
  TAP_OK (r == 0 && r2 == 0 && got >= 0, "empty name round-trips");
  if (got >= 0)
    close (got);

  /* the longest name the protocol allows, and one byte more */
  char name[4097];
  memset (name, 'n', sizeof name);
  name[4095] = '\0';
  r = clr_send_fd (sv[0], p[1], name, &err);
  got = -1;
  r2 = clr_recv_fd (sv[1], &got, &err);
  TAP_OK (r == 0 && r2 == 0 && got >= 0, "4095-byte name round-trips");
  if (got >= 0)
    close (got);
  name[4095] = 'n';
  name[4096] = '\0';
  r = clr_send_fd (sv[0], p[1], name, &err);
  TAP_OK (r < 0 && err.code == ENAMETOOLONG, "4096-byte name refused: '%s'", err.msg);

  int before = count_fds ();

  /* a message without SCM_RIGHTS */
  send_raw (sv[0], "hello", -1, 0);
  got = -1;
  r = clr_recv_fd (sv[1], &got, &err);
  TAP_OK (r < 0 && got == -1 && err.code == EPROTO, "message without an fd rejected: '%s'",
          err.msg);

  /* two fds in one message: both closed, none returned */
  send_raw (sv[0], "x", p[1], 2);
  got = -1;
  r = clr_recv_fd (sv[1], &got, &err);
  TAP_OK (r < 0 && got == -1 && err.code == EPROTO, "message with 2 fds rejected: '%s'", err.msg);

  /* more fds than our control buffer holds: truncated, still nothing leaks */
  int many = 0;
  {
    struct iovec iov = { .iov_base = "x", .iov_len = 1 };
    int fds[64];
    for (int i = 0; i < 64; i++)
      fds[i] = p[1];
    char buf[CMSG_SPACE (sizeof fds)] __attribute__ ((aligned (8)));
    memset (buf, 0, sizeof buf);
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf,
                          .msg_controllen = sizeof buf };
    struct cmsghdr *cm = CMSG_FIRSTHDR (&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN (sizeof fds);
    memcpy (CMSG_DATA (cm), fds, sizeof fds);
    many = sendmsg (sv[0], &msg, MSG_NOSIGNAL) == 1;
  }
  got = -1;
  r = clr_recv_fd (sv[1], &got, &err);
  TAP_OK (many && r < 0 && got == -1, "message with 64 fds rejected: '%s'", err.msg);
  TAP_OK (count_fds () == before, "rejected messages leak no fds");

  /* peer gone */
  close (sv[0]);
  r = clr_recv_fd (sv[1], &got, &err);
  TAP_OK (r < 0 && err.code == ECONNRESET, "closed peer: '%s'", err.msg);
  close (sv[1]);

  /* sending to a closed peer is an error, not a SIGPIPE */
  socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
  close (sv[1]);
  r = clr_send_fd (sv[0], p[1], "x", &err);
  TAP_OK (r < 0 && err.code == EPIPE, "send to a closed peer fails cleanly: '%s'", err.msg);
  close (sv[0]);
  close (p[0]);
  close (p[1]);
}

static void
test_pty (void)
{
  int master = -1, slave = -1;
  cleanup_free char *path = NULL;
  clr_err err = { 0 };
  int r = clr_terminal_open_pty (&master, &slave, &path, &err);
  TAP_OK (r == 0, "open_pty (%s)", r ? err.msg : "ok");
  if (r < 0)
    return;
  TAP_OK (path && clr_has_prefix (path, "/dev/pts/"), "slave path %s", path ? path : "(null)");
  TAP_OK (is_cloexec (master) && is_cloexec (slave), "master and slave are O_CLOEXEC");
  TAP_OK (isatty (slave) && isatty (master), "both ends are ttys");
  struct stat a, b;
  TAP_OK (fstat (slave, &a) == 0 && stat (path, &b) == 0 && a.st_rdev == b.st_rdev,
          "slave fd is the device at the slave path");

  r = clr_terminal_set_size (master, 24, 80, &err);
  struct winsize ws = { 0 };
  ioctl (slave, TIOCGWINSZ, &ws);
  TAP_OK (r == 0 && ws.ws_row == 24 && ws.ws_col == 80, "set_size 24x80 seen on the slave");
  r = clr_terminal_set_size (slave, 50, 132, &err);
  memset (&ws, 0, sizeof ws);
  ioctl (master, TIOCGWINSZ, &ws);
  TAP_OK (r == 0 && ws.ws_row == 50 && ws.ws_col == 132, "set_size on the slave seen on the master");
  r = clr_terminal_set_size (master, 70000, 80, &err);
  TAP_OK (r < 0 && err.code == EINVAL, "oversized terminal refused: '%s'", err.msg);

  char c = 0;
  TAP_OK (write (slave, "q", 1) == 1 && read (master, &c, 1) == 1 && c == 'q',
          "data flows slave -> master");
  close (master);
  close (slave);
}

static void
test_console_socket (void)
{
  clr_err err = { 0 };
  cleanup_free char *sockpath = xasprintf ("%s/console.sock", tmpdir);
  int l = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  strcpy (addr.sun_path, sockpath);
  bind (l, (struct sockaddr *) &addr, sizeof addr);
  listen (l, 1);

  int s = -1;
  int r = clr_console_socket_connect (sockpath, &s, &err);
  TAP_OK (r == 0 && s >= 0 && is_cloexec (s), "console_socket_connect (%s)", r ? err.msg : "ok");
  int a = accept4 (l, NULL, NULL, SOCK_CLOEXEC);

  /* the whole console-socket flow: a pty master to the engine */
  int master = -1, slave = -1;
  cleanup_free char *path = NULL;
  clr_terminal_open_pty (&master, &slave, &path, &err);
  r = clr_send_fd (s, master, "/dev/ptmx", &err);
  int got = -1;
  int r2 = clr_recv_fd (a, &got, &err);
  TAP_OK (r == 0 && r2 == 0 && got >= 0 && isatty (got), "pty master received over the console socket");
  char c = 0;
  TAP_OK (got >= 0 && write (slave, "k", 1) == 1 && read (got, &c, 1) == 1 && c == 'k',
          "received master is the pty's master");
  if (got >= 0)
    close (got);
  close (master);
  close (slave);
  close (s);
  close (a);
  close (l);

  /* a path longer than sun_path */
  cleanup_free char *longdir = xasprintf ("%s/%0150d", tmpdir, 7);
  mkdir (longdir, 0700);
  cleanup_free char *longpath = xasprintf ("%s/c.sock", longdir);
  int dfd = open (longdir, O_PATH | O_CLOEXEC);
  cleanup_free char *via = xasprintf ("/proc/self/fd/%d/c.sock", dfd);
  l = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  strcpy (addr.sun_path, via);
  int bound = bind (l, (struct sockaddr *) &addr, sizeof addr) == 0 && listen (l, 1) == 0;
  close (dfd);
  s = -1;
  r = clr_console_socket_connect (longpath, &s, &err);
  TAP_OK (bound && r == 0 && s >= 0, "connect to a %zu-byte socket path (%s)", strlen (longpath),
          r ? err.msg : "ok");
  if (s >= 0)
    close (s);
  close (l);

  cleanup_free char *missing = xasprintf ("%s/nope.sock", tmpdir);
  r = clr_console_socket_connect (missing, &s, &err);
  TAP_OK (r < 0 && err.code == ENOENT, "missing socket: '%s'", err.msg);
}

/* ---- proxy ---- */

static pid_t
spawn_on_pty (int slave, char *const argv[])
{
  pid_t pid = fork ();
  if (pid == 0)
    {
      clr_err e;
      setsid ();
      if (clr_terminal_make_controlling (slave, &e) < 0)
        _exit (100);
      if (slave > 2)
        close (slave);
      execv (argv[0], argv);
      _exit (101);
    }
  return pid;
}

/* Run the proxy with our stdin = IN_FD and stdout = OUT_PATH. */
static int
run_proxy (int master, int pidfd, int in_fd, const char *out_path, clr_err *err)
{
  fflush (stdout);
  int save0 = fcntl (0, F_DUPFD_CLOEXEC, 3), save1 = fcntl (1, F_DUPFD_CLOEXEC, 3);
  int out = open (out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  dup2 (in_fd, 0);
  dup2 (out, 1);
  close (out);
  int r = clr_terminal_proxy (master, pidfd, err);
  dup2 (save0, 0);
  dup2 (save1, 1);
  close (save0);
  close (save1);
  return r;
}

static char *
slurp (const char *path)
{
  char *s = NULL;
  clr_err err;
  if (clr_read_file (path, 1 << 20, &s, NULL, &err) < 0)
    return xstrdup ("");
  return s;
}

static int
wait_status (pid_t pid)
{
  int st = -1;
  while (waitpid (pid, &st, 0) < 0 && errno == EINTR)
    ;
  return st;
}

/* stdin (a pipe) -> cat on the pty -> our stdout; stdin EOF must end cat via VEOF. */
static void
proxy_cat (const char *input, bool use_pidfd, const char *what)
{
  int master, slave;
  cleanup_free char *path = NULL;
  clr_err err = { 0 };
  if (clr_terminal_open_pty (&master, &slave, &path, &err) < 0)
    {
      TAP_OK (0, "open_pty: %s", err.msg);
      return;
    }
  char *argv[] = { "/bin/cat", NULL };
  pid_t pid = spawn_on_pty (slave, argv);
  close (slave);
  int pidfd = use_pidfd ? clr_pidfd_open (pid) : -1;

  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    abort ();
  (void) !write (p[1], input, strlen (input));
  close (p[1]);
  cleanup_free char *out = xasprintf ("%s/proxy.out", tmpdir);
  int r = run_proxy (master, pidfd, p[0], out, &err);
  close (p[0]);
  int flags = fcntl (master, F_GETFL);
  int st = wait_status (pid);
  cleanup_free char *got = slurp (out);
  /* the tty echoes the input and cat prints it again */
  size_t n = 0;
  for (const char *q = got; (q = strstr (q, "hello")); q++)
    n++;
  TAP_OK (r == 0 && WIFEXITED (st) && WEXITSTATUS (st) == 0 && n == 2,
          "proxy, %s: cat got the input and its EOF (status %d, %zu copies)", what, st, n);
  TAP_OK (!(flags & O_NONBLOCK), "proxy, %s: master's flags restored", what);
  if (pidfd >= 0)
    close (pidfd);
  close (master);
}

/* Run ARGV on a fresh pty through the proxy with stdin = /dev/null; returns its output
 * and sets *ELAPSED (seconds spent in the proxy) and *STATUS. */
static char *
proxy_run_cmd (char *const argv[], bool use_pidfd, double *elapsed, int *status)
{
  int master, slave;
  cleanup_free char *path = NULL;
  clr_err err = { 0 };
  if (clr_terminal_open_pty (&master, &slave, &path, &err) < 0)
    return xstrdup ("");
  /* no echo of the VEOF we send for /dev/null, no \r added: plain output */
  struct termios t;
  tcgetattr (slave, &t);
  t.c_oflag &= ~OPOST;
  tcsetattr (slave, TCSANOW, &t);
  pid_t pid = spawn_on_pty (slave, argv);
  close (slave);
  int pidfd = use_pidfd ? clr_pidfd_open (pid) : -1;
  int devnull = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  cleanup_free char *out = xasprintf ("%s/proxy-cmd.out", tmpdir);
  struct timespec a, b;
  clock_gettime (CLOCK_MONOTONIC, &a);
  run_proxy (master, pidfd, devnull, out, &err);
  clock_gettime (CLOCK_MONOTONIC, &b);
  *elapsed = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
  *status = wait_status (pid);
  close (devnull);
  if (pidfd >= 0)
    close (pidfd);
  close (master);
  return slurp (out);
}

static void
test_proxy_output (bool have_pidfd)
{
  double el;
  int st;
  char *big[] = { "/bin/sh", "-c", "head -c 300000 /dev/zero | tr '\\0' a", NULL };
  cleanup_free char *got = proxy_run_cmd (big, have_pidfd, &el, &st);
  size_t n = strspn (got, "a");
  TAP_OK (n == 300000 && got[n] == '\0', "all 300000 bytes of output copied (%zu)", n);

  if (!have_pidfd)
    {
      TAP_SKIP ("no pidfd_open", "proxy returns when the process exits");
      return;
    }
  /* a background child keeps the slave open: the proxy still ends with the process */
  char *bg[] = { "/bin/sh", "-c", "sleep 4 & echo done", NULL };
  cleanup_free char *got2 = proxy_run_cmd (bg, true, &el, &st);
  TAP_OK (strstr (got2, "done") && el < 3.5,
          "proxy returns when the process exits, not when the slave closes (%.2f s)", el);
}

static void
test_proxy (void)
{
  bool have_pidfd = false;
  int self = clr_pidfd_open (getpid ());
  if (self >= 0)
    {
      have_pidfd = true;
      close (self);
    }
  proxy_cat ("hello\n", have_pidfd, "line + EOF");
  proxy_cat ("hello", have_pidfd, "partial line + EOF");
  proxy_cat ("hello\n", false, "no pidfd");
  test_proxy_output (have_pidfd);

  sigset_t cur;
  sigprocmask (SIG_BLOCK, NULL, &cur);
  TAP_OK (!sigismember (&cur, SIGWINCH), "SIGWINCH mask restored");

  /* stdin a tty: raw while proxying, restored afterwards; window size copied and
   * SIGWINCH forwarded */
  int m2, s2, master, slave;
  cleanup_free char *p2 = NULL, *path = NULL;
  clr_err err = { 0 };
  if (clr_terminal_open_pty (&m2, &s2, &p2, &err) < 0
      || clr_terminal_open_pty (&master, &slave, &path, &err) < 0)
    {
      TAP_OK (0, "open_pty: %s", err.msg);
      return;
    }
  clr_terminal_set_size (m2, 30, 100, &err);
  struct termios before, after;
  /* zeroed first: memcmp below must not see struct padding */
  memset (&before, 0, sizeof before);
  memset (&after, 0, sizeof after);
  tcgetattr (s2, &before);

  /* timeline: proxy copies our size at ~0 s, first stty at 0.3 s, resize at 0.8 s,
   * second stty at 1.5 s */
  char *argv[] = { "/bin/sh", "-c", "sleep 0.3; stty size; sleep 1.2; stty size; stty -a | grep -o -- '-\\?icanon'", NULL };
  pid_t pid = spawn_on_pty (slave, argv);
  close (slave);
  int pidfd = have_pidfd ? clr_pidfd_open (pid) : -1;

  pid_t me = getpid ();
  pid_t resizer = fork ();
  if (resizer == 0)
    {
      clr_err e;
      usleep (800 * 1000);
      clr_terminal_set_size (m2, 40, 120, &e);
      kill (me, SIGWINCH);
      _exit (0);
    }
  cleanup_free char *out = xasprintf ("%s/proxy-tty.out", tmpdir);
  int r = run_proxy (master, pidfd, s2, out, &err);
  tcgetattr (s2, &after);
  wait_status (resizer);
  int st = wait_status (pid);
  cleanup_free char *got = slurp (out);
  TAP_OK (r == 0 && WIFEXITED (st), "proxy with a tty stdin ends when the process exits");
  TAP_OK (strstr (got, "30 100") != NULL, "initial window size copied to the container");
  TAP_OK (strstr (got, "40 120") != NULL, "SIGWINCH forwarded as a resize");
  TAP_OK (memcmp (&before, &after, sizeof before) == 0, "stdin terminal mode restored");
  /* the container's own tty keeps its (canonical) mode: only our stdin goes raw */
  TAP_OK (strstr (got, "-icanon") == NULL && strstr (got, "icanon") != NULL,
          "container tty stays canonical");
  if (pidfd >= 0)
    close (pidfd);
  close (master);
  close (m2);
  close (s2);
}

int
main (void)
{
  if (!mkdtemp (tmpdir))
    {
      perror ("mkdtemp");
      return 1;
    }
  test_send_recv ();
  test_pty ();
  test_console_socket ();
  test_proxy ();

  clr_err err;
  clr_remove_tree_at (AT_FDCWD, tmpdir, &err);
  return tap_done ();
}
