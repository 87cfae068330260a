/* clawrun: ptys, the --console-socket protocol and the foreground terminal proxy. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "terminal.h"
#include "util.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO ('T', 0x41)
#endif

/* runc's utils.MaxNameLen: containerd's console socket reads the name with a buffer
 * of this size, so the payload must stay below it. */
#define CLR_FD_NAME_MAX 4096

int
clr_terminal_open_pty (int *master, int *slave, char **slave_path, clr_err *err)
{
  cleanup_close int m = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0)
    return clr_fail (err, errno, "open /dev/ptmx");
  if (unlockpt (m) < 0)
    return clr_fail (err, errno, "unlockpt");

  unsigned int n;
  if (ioctl (m, TIOCGPTN, &n) < 0)
    return clr_fail (err, errno, "ioctl TIOCGPTN");
  cleanup_free char *path = xasprintf ("/dev/pts/%u", n);

  /* TIOCGPTPEER opens the peer of this very master, without a path lookup that a
   * crafted /dev/pts could redirect; fall back to the path on kernels before 4.13
   * (EINVAL/ENOTTY) or where a filter refuses the ioctl. */
  cleanup_close int s = ioctl (m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0)
    {
      s = open (path, O_RDWR | O_NOCTTY | O_CLOEXEC);
      if (s < 0)
        return clr_fail (err, errno, "open %s", path);
    }

  *master = clr_steal_fd (&m);
  *slave = clr_steal_fd (&s);
  if (slave_path)
    *slave_path = clr_steal_ptr (&path);
  return 0;
}

int
clr_terminal_make_controlling (int slave, clr_err *err)
{
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return clr_fail (err, errno, "ioctl TIOCSCTTY");
  for (int fd = 0; fd <= 2; fd++)
    {
      if (fd == slave)
        {
          /* dup2 onto itself is a no-op that would keep O_CLOEXEC: clear it. */
          if (fcntl (fd, F_SETFD, 0) < 0)
            return clr_fail (err, errno, "fcntl F_SETFD %d", fd);
          continue;
        }
      if (dup2 (slave, fd) < 0)
        return clr_fail (err, errno, "dup2 tty to %d", fd);
    }
  return 0;
}

int
clr_terminal_set_size (int fd, unsigned rows, unsigned cols, clr_err *err)
{
  if (rows > USHRT_MAX || cols > USHRT_MAX)
    return clr_fail (err, EINVAL, "terminal size %ux%u", rows, cols);
  struct winsize ws = { .ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols };
  if (ioctl (fd, TIOCSWINSZ, &ws) < 0)
    return clr_fail (err, errno, "ioctl TIOCSWINSZ");
  return 0;
}

int
clr_console_socket_connect (const char *path, int *sock, clr_err *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int dirfd = -1;
  size_t len = strlen (path);

  if (len == 0)
    return clr_fail (err, EINVAL, "console socket: empty path");
  if (len >= sizeof addr.sun_path)
    {
      /* Too long for sun_path: reach it through an O_PATH fd of its directory. */
      const char *slash = strrchr (path, '/');
      if (slash == NULL)
        return clr_fail (err, ENAMETOOLONG, "console socket %s", path);
      cleanup_free char *dir = slash == path ? xstrdup ("/") : strndup (path, slash - path);
      if (dir == NULL)
        return clr_fail (err, ENOMEM, "console socket %s", path);
      dirfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (dirfd < 0)
        return clr_fail (err, errno, "open %s", dir);
      int r = snprintf (addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dirfd,
                        slash + 1);
      if (r < 0 || (size_t) r >= sizeof addr.sun_path)
        return clr_fail (err, ENAMETOOLONG, "console socket %s", path);
    }
  else
    memcpy (addr.sun_path, path, len + 1);

  cleanup_close int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return clr_fail (err, errno, "console socket: socket");
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    return clr_fail (err, errno, "connect to console socket %s", path);
  *sock = clr_steal_fd (&fd);
  return 0;
}

int
clr_send_fd (int sock, int fd, const char *name, clr_err *err)
{
  size_t len = name ? strlen (name) : 0;
  if (len >= CLR_FD_NAME_MAX)
    return clr_fail (err, ENAMETOOLONG, "send fd: name longer than %d bytes", CLR_FD_NAME_MAX - 1);

  /* On a stream socket the rights travel with the first byte, so an empty name becomes
   * a single NUL byte, as Go's Sendmsg does for runc. */
  char dummy = '\0';
  struct iovec iov = {
    .iov_base = len ? (void *) name : &dummy,
    .iov_len = len ? len : 1,
  };
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE (sizeof (int))];
  } u;
  memset (&u, 0, sizeof u);
  struct msghdr msg = {
    .msg_iov = &iov,
    .msg_iovlen = 1,
    .msg_control = u.buf,
    .msg_controllen = sizeof u.buf,
  };
  struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &fd, sizeof (int));

  ssize_t r;
  /* MSG_NOSIGNAL: the engine may have gone away; that is an error, not a SIGPIPE. */
  while ((r = sendmsg (sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR)
    ;
  if (r < 0)
    return clr_fail (err, errno, "send fd");
  /* A short write on a stream socket: the fd went with the first part, the rest of the
   * name follows as plain data. */
  const char *p = (const char *) iov.iov_base + r;
  size_t left = iov.iov_len - (size_t) r;
  while (left > 0)
    {
      ssize_t w = send (sock, p, left, MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return clr_fail (err, errno, "send fd name");
      p += w;
      left -= (size_t) w;
    }
  return 0;
}

/* Close every fd carried by SCM_RIGHTS messages in MSG (used on rejection, so that a
 * malformed message cannot leak fds into us). */
static void
close_received_fds (struct msghdr *msg)
{
  for (struct cmsghdr *c = CMSG_FIRSTHDR (msg); c; c = CMSG_NXTHDR (msg, c))
    {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN (0))
        continue;
      size_t n = (c->cmsg_len - CMSG_LEN (0)) / sizeof (int);
      for (size_t i = 0; i < n; i++)
        {
          int fd;
          memcpy (&fd, CMSG_DATA (c) + i * sizeof (int), sizeof fd);
          if (fd >= 0)
            close (fd);
        }
    }
}

int
clr_recv_fd (int sock, int *out, clr_err *err)
{
  char name[CLR_FD_NAME_MAX];
  struct iovec iov = { .iov_base = name, .iov_len = sizeof name };
  /* Room for a few more fds than we accept: extra ones are received and closed, rather
   * than truncated away (MSG_CTRUNC) with no way to tell how many there were. */
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE (sizeof (int) * 8)];
  } u;
  memset (&u, 0, sizeof u);
  struct msghdr msg = {
    .msg_iov = &iov,
    .msg_iovlen = 1,
    .msg_control = u.buf,
    .msg_controllen = sizeof u.buf,
  };

  ssize_t r;
  while ((r = recvmsg (sock, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
    ;
  if (r < 0)
    return clr_fail (err, errno, "receive fd");

  /* Bounds-check everything the kernel handed us before trusting it (security.md
   * row 10): exactly one SCM_RIGHTS message carrying exactly one fd, nothing cut. */
  int fd = -1, n_fds = 0;
  bool bad = false;
  if (msg.msg_flags & MSG_CTRUNC)
    bad = true;
  if (msg.msg_controllen > sizeof u.buf)
    {
      /* cannot happen per the kernel ABI; never walk past our buffer */
      return clr_fail (err, EPROTO, "receive fd: bad control length");
    }
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&msg); c; c = CMSG_NXTHDR (&msg, c))
    {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
        {
          bad = true;
          continue;
        }
      if (c->cmsg_len < CMSG_LEN (0) || (c->cmsg_len - CMSG_LEN (0)) % sizeof (int) != 0)
        {
          bad = true;
          continue;
        }
      size_t n = (c->cmsg_len - CMSG_LEN (0)) / sizeof (int);
      n_fds += (int) n;
      if (n == 1)
        memcpy (&fd, CMSG_DATA (c), sizeof fd);
    }

  if (bad || n_fds > 1)
    {
      close_received_fds (&msg);
      return clr_fail (err, EPROTO, "receive fd: unexpected control message (%d fds%s)", n_fds,
                       msg.msg_flags & MSG_CTRUNC ? ", truncated" : "");
    }
  if (n_fds == 0 || fd < 0)
    {
      if (r == 0)
        return clr_fail (err, ECONNRESET, "receive fd: peer closed the connection");
      return clr_fail (err, EPROTO, "receive fd: message without a file descriptor");
    }
  *out = fd;
  return 0;
}

/* ---- foreground proxy ---- */

struct proxy {
  int master;
  int sigfd;
  bool stdin_raw;
  struct termios stdin_orig;
  bool master_flags_saved;
  int master_flags;
  bool mask_saved;
  sigset_t old_mask;
};

static void
proxy_restore (struct proxy *p)
{
  if (p->stdin_raw)
    (void) tcsetattr (0, TCSANOW, &p->stdin_orig);
  if (p->master_flags_saved)
    (void) fcntl (p->master, F_SETFL, p->master_flags);
  if (p->sigfd >= 0)
    close (p->sigfd);
  if (p->mask_saved)
    (void) sigprocmask (SIG_SETMASK, &p->old_mask, NULL);
}

/* Our window size (from whichever of stdin/stdout/stderr is a tty) onto MASTER; the
 * kernel then sends SIGWINCH to the container's foreground process group. */
static void
copy_winsize (int master)
{
  struct winsize ws;
  for (int fd = 0; fd <= 2; fd++)
    if (ioctl (fd, TIOCGWINSZ, &ws) == 0)
      {
        if (ws.ws_row || ws.ws_col)
          (void) ioctl (master, TIOCSWINSZ, &ws);
        return;
      }
}

/* Write all of BUF to our stdout; output that cannot be written is dropped rather than
 * blocking the container on a full pty. */
static void
write_stdout (const char *buf, size_t len)
{
  (void) clr_write_all (1, buf, len);
}

/* Drain what MASTER has right now.  Returns true when the slave side hung up. */
static bool
drain_master (int master)
{
  char buf[8192];
  for (;;)
    {
      ssize_t r = read (master, buf, sizeof buf);
      if (r > 0)
        {
          write_stdout (buf, (size_t) r);
          continue;
        }
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0 && errno == EAGAIN)
        return false;
      return true; /* EIO: every slave fd closed; 0 or other errors: nothing more */
    }
}

int
clr_terminal_proxy (int master, int pidfd, clr_err *err)
{
  __attribute__ ((cleanup (proxy_restore))) struct proxy p = { .master = master, .sigfd = -1 };

  /* SIGWINCH through a signalfd, so that no handler (global state) is needed. */
  sigset_t winch;
  sigemptyset (&winch);
  sigaddset (&winch, SIGWINCH);
  if (sigprocmask (SIG_BLOCK, &winch, &p.old_mask) < 0)
    return clr_fail (err, errno, "sigprocmask");
  p.mask_saved = true;
  p.sigfd = signalfd (-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK);
  if (p.sigfd < 0)
    return clr_fail (err, errno, "signalfd");

  /* The master is non-blocking so that a container which does not read its input
   * cannot stall the output direction.  The flag lives on the shared open file
   * description: put it back on return. */
  p.master_flags = fcntl (master, F_GETFL);
  if (p.master_flags < 0)
    return clr_fail (err, errno, "fcntl F_GETFL");
  if (fcntl (master, F_SETFL, p.master_flags | O_NONBLOCK) < 0)
    return clr_fail (err, errno, "fcntl F_SETFL");
  p.master_flags_saved = true;

  if (isatty (0))
    {
      if (tcgetattr (0, &p.stdin_orig) < 0)
        return clr_fail (err, errno, "tcgetattr stdin");
      struct termios raw = p.stdin_orig;
      cfmakeraw (&raw);
      if (tcsetattr (0, TCSANOW, &raw) < 0)
        return clr_fail (err, errno, "tcsetattr stdin");
      p.stdin_raw = true;
    }
  copy_winsize (master);

  char inbuf[4096];
  size_t in_len = 0, in_off = 0;
  bool stdin_open = true;    /* still reading stdin */
  bool eof_pending = false;  /* stdin hit EOF: send VEOF once the buffer is flushed */
  char last_sent = '\n';     /* last byte written to the master (start of line) */
  bool exited = false;
  int64_t drain_deadline = 0;

  for (;;)
    {
      struct pollfd pfd[4];
      nfds_t n = 0;
      int i_master = -1, i_stdin = -1, i_sig = -1, i_pid = -1;

      pfd[n] = (struct pollfd) { .fd = master, .events = POLLIN };
      if (in_off < in_len || eof_pending)
        pfd[n].events |= POLLOUT;
      i_master = (int) n++;
      if (stdin_open && in_off == in_len && !eof_pending && !exited)
        {
          pfd[n] = (struct pollfd) { .fd = 0, .events = POLLIN };
          i_stdin = (int) n++;
        }
      pfd[n] = (struct pollfd) { .fd = p.sigfd, .events = POLLIN };
      i_sig = (int) n++;
      if (pidfd >= 0 && !exited)
        {
          pfd[n] = (struct pollfd) { .fd = pidfd, .events = POLLIN };
          i_pid = (int) n++;
        }

      /* After the process exited, output it wrote just before exiting may still be on
       * its way through the tty layer (it is pushed to the master asynchronously): wait
       * briefly for more before concluding the master is drained. */
      int wait_ms = -1;
      if (exited)
        {
          /* ... but not forever: a daemonised child holding the slave and writing
           * continuously must not keep a finished `run` alive. */
          int64_t left = drain_deadline - clr_now_ms ();
          if (left <= 0)
            break;
          wait_ms = left < 100 ? (int) left : 100;
        }
      int r = poll (pfd, n, wait_ms);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return clr_fail (err, errno, "poll");
      if (r == 0)
        break; /* exited, and the master stayed quiet */

      if (pfd[i_sig].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          while (read (p.sigfd, &si, sizeof si) > 0)
            ;
          copy_winsize (master);
        }

      if (i_pid >= 0 && pfd[i_pid].revents)
        {
          exited = true;
          drain_deadline = clr_now_ms () + 2000;
          stdin_open = false;
          in_len = in_off = 0;
          eof_pending = false;
        }

      short mrev = pfd[i_master].revents;
      if (mrev & (POLLIN | POLLHUP | POLLERR))
        {
          if (drain_master (master))
            break; /* slave hung up and everything it wrote has been copied */
        }
      if (mrev & POLLNVAL)
        return clr_fail (err, EBADF, "terminal master");

      if ((mrev & POLLOUT) && in_off < in_len)
        {
          ssize_t w = write (master, inbuf + in_off, in_len - in_off);
          if (w > 0)
            {
              in_off += (size_t) w;
              last_sent = inbuf[in_off - 1];
            }
          else if (w < 0 && errno != EAGAIN && errno != EINTR)
            {
              /* EIO: the slave is gone; input has nowhere to go. */
              in_len = in_off = 0;
              stdin_open = false;
              eof_pending = false;
            }
          if (in_off == in_len)
            in_len = in_off = 0;
        }
      else if ((mrev & POLLOUT) && eof_pending)
        {
          /* Stdin EOF is forwarded as the tty's EOF character (like typing Ctrl-D), so
           * the container sees end of input and the terminal stays open for output.
           * In canonical mode VEOF only ends input at the start of a line: after a
           * partial line the first one just flushes it, so send two. */
          struct termios t;
          char eof[2];
          size_t neof = 1;
          eof[0] = 4; /* ^D */
          if (tcgetattr (master, &t) == 0)
            {
              if (t.c_cc[VEOF] != _POSIX_VDISABLE)
                eof[0] = (char) t.c_cc[VEOF];
              if ((t.c_lflag & ICANON) && last_sent != '\n' && last_sent != eof[0])
                eof[neof++] = eof[0];
            }
          ssize_t w = write (master, eof, neof);
          if (w >= 0 || (errno != EAGAIN && errno != EINTR))
            eof_pending = false;
          if (w > 0)
            last_sent = eof[0];
        }

      if (i_stdin >= 0 && pfd[i_stdin].revents)
        {
          ssize_t rd = read (0, inbuf, sizeof inbuf);
          if (rd > 0)
            {
              in_len = (size_t) rd;
              in_off = 0;
            }
          else if (rd < 0 && (errno == EINTR || errno == EAGAIN))
            ;
          else
            {
              /* EOF, an error, or POLLNVAL (stdin closed): no more input. */
              stdin_open = false;
              eof_pending = true;
            }
        }
    }
  return 0;
}

int
clr_console_prepare (const char *console_socket, int *send_fd, int *keep_fd, clr_err *err)
{
  *keep_fd = -1;
  if (console_socket)
    return clr_console_socket_connect (console_socket, send_fd, err);
  int sp[2];
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
    return clr_fail (err, errno, "socketpair");
  *keep_fd = sp[0];
  *send_fd = sp[1];
  return 0;
}
